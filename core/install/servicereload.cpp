#include "servicereload.h"

#include "common/logging.h"
#include "faults.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QStringBuilder>

namespace s16 {
namespace {

constexpr qsizetype kMaxStderrChars = 2000;

enum class Outcome { Ok, Failed, TimedOut, Stopped };

struct RunResult {
    Outcome outcome;
    QString detail;
};

RunResult runShell(const QString &command, int timeoutSeconds, const std::stop_token &stop)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), command});
    if (!process.waitForStarted(10000))
        return {Outcome::Failed, QStringLiteral("cannot start: ") % process.errorString()};
    // In slices, so that a stop request is seen while the command runs.
    const QDeadlineTimer deadline{std::chrono::seconds(timeoutSeconds)};
    while (!process.waitForFinished(100) && process.state() != QProcess::NotRunning) {
        const bool stopped = stop.stop_requested();
        if (!stopped && !deadline.hasExpired())
            continue;
        process.kill();
        process.waitForFinished(5000);
        if (stopped)
            return {Outcome::Stopped, QStringLiteral("stopped on request, killed")};
        return {Outcome::TimedOut, QStringLiteral("still running after %1 s, killed").arg(timeoutSeconds)};
    }
    const QString err = QString::fromLocal8Bit(process.readAllStandardError()).trimmed().right(kMaxStderrChars);
    if (process.exitStatus() != QProcess::NormalExit)
        return {Outcome::Failed, QStringLiteral("crashed") % (err.isEmpty() ? QString() : QStringLiteral(": ") % err)};
    if (process.exitCode() != 0) {
        return {Outcome::Failed,
                QStringLiteral("exit %1").arg(process.exitCode()) % (err.isEmpty() ? QString() : QStringLiteral(", stderr: ") % err)};
    }
    return {Outcome::Ok, {}};
}

} // namespace

QString serviceErrorName(ServiceError code)
{
    switch (code) {
    case ServiceError::ReloadFailed: return QStringLiteral("ReloadFailed");
    case ServiceError::ReloadTimedOut: return QStringLiteral("ReloadTimedOut");
    case ServiceError::Unhealthy: return QStringLiteral("Unhealthy");
    case ServiceError::HealthTimedOut: return QStringLiteral("HealthTimedOut");
    case ServiceError::Stopped: return QStringLiteral("Stopped");
    }
    return QStringLiteral("Unknown");
}

Error toError(const ServiceProblem &problem) { return Error{ExitCode::InstallFailed, problem.message, Edge::E62, problem.detail}; }

std::expected<void, ServiceProblem> ServiceReload::run(const Commands &commands, std::stop_token stop)
{
    const int timeout = std::max(1, commands.timeoutSeconds);
    if (fault::injected(u"reload"))
        return std::unexpected(ServiceProblem{ServiceError::ReloadFailed, QStringLiteral("the services could not be reloaded"),
                                              QStringLiteral("injected fault (S16_FAULT=reload)")});
    if (!commands.reload.isEmpty()) {
        const RunResult r = runShell(commands.reload, timeout, stop);
        if (r.outcome != Outcome::Ok) {
            return std::unexpected(ServiceProblem{r.outcome == Outcome::TimedOut  ? ServiceError::ReloadTimedOut
                                                  : r.outcome == Outcome::Stopped ? ServiceError::Stopped
                                                                                  : ServiceError::ReloadFailed,
                                                  QStringLiteral("the services could not be reloaded"),
                                                  commands.reload % QStringLiteral(": ") % r.detail});
        }
    }
    if (fault::injected(u"health"))
        return std::unexpected(ServiceProblem{ServiceError::Unhealthy, QStringLiteral("the services are not healthy"),
                                              QStringLiteral("injected fault (S16_FAULT=health)")});
    if (!commands.healthCheck.isEmpty()) {
        const RunResult r = runShell(commands.healthCheck, timeout, stop);
        if (r.outcome != Outcome::Ok) {
            return std::unexpected(ServiceProblem{r.outcome == Outcome::TimedOut  ? ServiceError::HealthTimedOut
                                                  : r.outcome == Outcome::Stopped ? ServiceError::Stopped
                                                                                  : ServiceError::Unhealthy,
                                                  QStringLiteral("the services are not healthy"),
                                                  commands.healthCheck % QStringLiteral(": ") % r.detail});
        }
    }
    qCInfo(lcInstall) << "services reloaded and healthy";
    return {};
}

} // namespace s16
