#pragma once

#include "common/error.h"

#include <QString>

#include <expected>

namespace s16 {

enum class ServiceError {
    ReloadFailed,   // the reload command did not start or exited non-zero
    ReloadTimedOut, // the reload command ran longer than the timeout and was killed
    Unhealthy,      // the health check did not start or exited non-zero
    HealthTimedOut, // the health check ran longer than the timeout and was killed
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
// thread, so it runs on the engine's worker, never on a GUI thread.
class ServiceReload
{
public:
    struct Commands {
        QString reload;
        QString healthCheck;
        int timeoutSeconds = 120;
    };
    [[nodiscard]] static std::expected<void, ServiceProblem> run(const Commands &commands);
};

} // namespace s16
