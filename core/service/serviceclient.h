#pragma once

#include "online/devicestatus.h"
#include "online/updateengine.h"
#include "store/journal.h"

#include <QVariantList>
#include <QVariantMap>

#include <functional>
#include <optional>

namespace s16 {

// A client of the update service (org.s16.Updater1 on the system bus), as `s16-update`'s
// subcommands use it when the service runs, the way `rauc install` talks to RAUC's service:
// the same answers as the engine in process gives, read from the service's properties.
class ServiceClient
{
public:
    // Connects when the service's name has an owner on the system bus; nullopt otherwise
    // (no bus, no service): the caller then runs the engine in process.
    [[nodiscard]] static std::optional<ServiceClient> connect();

    // Calls a job's method (Check, Download, Install, SetConsent) and waits for the
    // Completed signal of its operation. Returns the exit code and message it carried; a
    // refused call (AccessDenied: not root, not in the group s16-update) or a service that
    // left the bus is an Error with exit code 2. onProgress sees each Progress change.
    [[nodiscard]] Result<std::pair<int, QString>> runJob(const QString &method, const QString &operation, const QVariantList &args = {},
                                                         const std::function<void(const QVariantMap &)> &onProgress = {}) const;

    [[nodiscard]] Result<QVariantMap> properties() const;
    [[nodiscard]] Result<QList<LogEntry>> log() const;

    // The service's properties as `status --json` and `check --json` report them.
    [[nodiscard]] static DeviceStatus status(const QVariantMap &properties);
    [[nodiscard]] static CheckResult checkResult(const QVariantMap &properties);

private:
    ServiceClient() = default;
};

} // namespace s16
