#pragma once

#include "common/error.h"

#include <QString>

#include <expected>
#include <stop_token>

namespace s16 {

enum class ServiceError {
    ReloadFailed,   // the reload command did not start or exited non-zero
    ReloadTimedOut, // the reload command ran longer than the timeout and was killed
    Unhealthy,      // the health check did not start or exited non-zero
    HealthTimedOut, // the health check ran longer than the timeout and was killed
    Stopped,        // asked to stop (the engine shut down): the command was killed
};

struct ServiceProblem {
    ServiceError code;
    QString message;
    QString detail; // exit code and the command's stderr
};

[[nodiscard]] QString serviceErrorName(ServiceError code);
// Every service problem fails the install (ExitCode::InstallFailed) by edge E62.
[[nodiscard]] Error toError(const ServiceProblem &problem);

// The flowchart's "reload services" node: runs services.reload, then services.healthCheck,
// each through /bin/sh -c with a timeout; healthy means both exit 0. An empty command is
// skipped (a device without services to reload is trivially healthy). Blocks the calling
// thread: the install runs it on a step job's worker (ServiceCheck), never on a GUI thread.
// A stop request kills the running command within a tenth of a second.
class ServiceReload
{
public:
    struct Commands {
        QString reload;
        QString healthCheck;
        int timeoutSeconds = 120;
    };
    [[nodiscard]] static std::expected<void, ServiceProblem> run(const Commands &commands, std::stop_token stop = {});
};

} // namespace s16
