#include "faults.h"

#include "common/logging.h"

#include <QString>

#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace s16::fault {
namespace {

bool matches(const char *variable, QStringView point)
{
    const char *value = std::getenv(variable);
    return value && *value && QString::fromLatin1(value) == point;
}

} // namespace

bool injected(QStringView point)
{
    if (!matches("S16_FAULT", point))
        return false;
    qCWarning(lcInstall) << "injected fault at" << point;
    return true;
}

void killPoint(QStringView point)
{
    if (!matches("S16_KILL_AT", point))
        return;
    qCWarning(lcInstall) << "S16_KILL_AT: killing the process at" << point;
    ::kill(::getpid(), SIGKILL);
    ::pause(); // SIGKILL is delivered before kill() returns; never continue past a cut
}

} // namespace s16::fault
