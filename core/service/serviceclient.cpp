#include "serviceclient.h"

#include "updateservice.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusReply>
#include <QDBusServiceWatcher>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>

namespace s16 {
namespace {

const QString kName = QString::fromLatin1(UpdateService::kBusName);
const QString kPath = QString::fromLatin1(UpdateService::kObjectPath);

// Waits on the bus for one job's Completed, and reports Progress meanwhile.
class CompletionWaiter : public QObject
{
    Q_OBJECT
public:
    QString operation;
    std::function<void(const QVariantMap &)> onProgress;
    std::optional<std::pair<int, QString>> result;
    QEventLoop loop;

public Q_SLOTS:
    void completed(const QString &op, int code, const QString &message)
    {
        if (op != operation)
            return;
        result = std::pair{code, message};
        loop.quit();
    }
    void propertiesChanged(const QString &, const QVariantMap &changed, const QStringList &)
    {
        if (onProgress && changed.contains(QStringLiteral("Progress")))
            onProgress(qdbus_cast<QVariantMap>(changed.value(QStringLiteral("Progress"))));
    }
    void serviceGone() { loop.quit(); }
};

QJsonObject toJsonObject(const QVariant &v) { return QJsonObject::fromVariantMap(qdbus_cast<QVariantMap>(v)); }

} // namespace

std::optional<ServiceClient> ServiceClient::connect()
{
    QDBusConnection bus = QDBusConnection::systemBus();
    if (!bus.isConnected() || !bus.interface()->isServiceRegistered(kName))
        return std::nullopt;
    return ServiceClient();
}

Result<std::pair<int, QString>> ServiceClient::runJob(const QString &method, const QString &operation, const QVariantList &args,
                                                      const std::function<void(const QVariantMap &)> &onProgress) const
{
    QDBusConnection bus = QDBusConnection::systemBus();
    CompletionWaiter waiter;
    waiter.operation = operation;
    waiter.onProgress = onProgress;
    // Listen before calling: Completed follows the reply at once.
    bus.connect(kName, kPath, kName, QStringLiteral("Completed"), &waiter, SLOT(completed(QString, int, QString)));
    bus.connect(kName, kPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("PropertiesChanged"), &waiter,
                SLOT(propertiesChanged(QString, QVariantMap, QStringList)));
    QDBusServiceWatcher gone(kName, bus, QDBusServiceWatcher::WatchForUnregistration);
    QObject::connect(&gone, &QDBusServiceWatcher::serviceUnregistered, &waiter, &CompletionWaiter::serviceGone);

    QDBusMessage call = QDBusMessage::createMethodCall(kName, kPath, kName, method);
    call.setArguments(args);
    const QDBusMessage reply = bus.call(call);
    if (reply.type() == QDBusMessage::ErrorMessage) {
        const bool denied = reply.errorName() == QLatin1String("org.freedesktop.DBus.Error.AccessDenied");
        return fail(
            ExitCode::Usage,
            denied ? QStringLiteral("the update service refused the request: only root and members of the group s16-update may make it")
                   : QStringLiteral("the update service did not take the request"),
            reply.errorName() + QStringLiteral(": ") + reply.errorMessage());
    }
    if (!waiter.result)
        waiter.loop.exec();
    if (!waiter.result)
        return fail(ExitCode::Usage, QStringLiteral("the update service left the bus before the %1 ended").arg(operation));
    return *waiter.result;
}

Result<QVariantMap> ServiceClient::properties() const
{
    const QDBusMessage call =
        QDBusMessage::createMethodCall(kName, kPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("GetAll")) << kName;
    const QDBusReply<QVariantMap> reply = QDBusConnection::systemBus().call(call);
    if (!reply.isValid())
        return fail(ExitCode::Usage, QStringLiteral("cannot read the update service's state"), reply.error().message());
    return reply.value();
}

Result<QList<LogEntry>> ServiceClient::log() const
{
    const QDBusMessage call = QDBusMessage::createMethodCall(kName, kPath, kName, QStringLiteral("Log")) << 0u;
    const QDBusReply<QString> reply = QDBusConnection::systemBus().call(call);
    if (!reply.isValid())
        return fail(ExitCode::Usage, QStringLiteral("cannot read the update service's log"), reply.error().message());
    QList<LogEntry> entries;
    for (const QJsonValue &v : QJsonDocument::fromJson(reply.value().toUtf8()).array()) {
        if (auto e = logEntryFromJson(v.toObject()))
            entries.append(*e);
    }
    return entries;
}

DeviceStatus ServiceClient::status(const QVariantMap &p)
{
    DeviceStatus s;
    s.state = p.value(QStringLiteral("State")).toString();
    s.currentVersion = p.value(QStringLiteral("CurrentVersion")).toString();
    s.stagedVersion = p.value(QStringLiteral("StagedVersion")).toString();
    s.available = p.value(QStringLiteral("AvailableVersion")).toString();
    s.rebootPending = p.value(QStringLiteral("RebootPending")).toBool();
    s.lastCheck = p.value(QStringLiteral("LastCheck")).toString();
    s.lastError = toJsonObject(p.value(QStringLiteral("LastError")));
    s.consent = p.value(QStringLiteral("Consent")).toBool();
    s.flowNode = p.value(QStringLiteral("FlowNode")).toString();
    s.progress = toJsonObject(p.value(QStringLiteral("Progress")));
    s.outcome = toJsonObject(p.value(QStringLiteral("Outcome")));
    s.lastTransfer = toJsonObject(p.value(QStringLiteral("LastTransfer")));
    return s;
}

CheckResult ServiceClient::checkResult(const QVariantMap &p)
{
    const QVariantMap c = qdbus_cast<QVariantMap>(p.value(QStringLiteral("CheckResult")));
    CheckResult r;
    r.available = c.value(QStringLiteral("available")).toBool();
    r.version = c.value(QStringLiteral("version")).toString();
    r.priority = c.value(QStringLiteral("priority")).toBool();
    r.size = c.value(QStringLiteral("size")).toLongLong();
    r.notes = toJsonObject(c.value(QStringLiteral("notes")));
    return r;
}

} // namespace s16

#include "serviceclient.moc"
