#include "reboot.h"

#include <QProcess>

namespace s16 {

std::expected<void, QString> runRebootCommand(const QString &command, int timeoutMs)
{
    if (command.isEmpty())
        return {};
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), command});
    if (!process.waitForStarted(timeoutMs))
        return std::unexpected(QStringLiteral("cannot run the reboot command \"%1\": %2").arg(command, process.errorString()));
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(1000);
        return std::unexpected(QStringLiteral("the reboot command \"%1\" did not finish within %2 s").arg(command).arg(timeoutMs / 1000));
    }
    const QString output = QString::fromLocal8Bit(process.readAll()).trimmed();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return std::unexpected(QStringLiteral("the reboot command \"%1\" failed (exit %2)%3")
                                   .arg(command)
                                   .arg(process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1)
                                   .arg(output.isEmpty() ? QString() : QStringLiteral(": ") + output.left(500)));
    return {};
}

} // namespace s16
