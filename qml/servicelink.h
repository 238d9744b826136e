#pragma once

#include <QObject>
#include <QVariantMap>

QT_FORWARD_DECLARE_CLASS(QDBusServiceWatcher)
QT_FORWARD_DECLARE_CLASS(QDBusPendingCallWatcher)

namespace s16 {

// The device UI's only way to the updater: the update service org.s16.Updater1 on the
// D-Bus system bus (docs/service.md). It keeps a copy of the service's properties, read
// once with GetAll when the service appears on the bus and then kept current by
// PropertiesChanged, so nothing is polled; it calls methods without waiting for them
// (each job ends in Completed), and it follows the service as it leaves the bus and comes
// back (a restart), reading everything anew. No engine, journal or lock is touched here:
// the process needs no access to the updater's files at all.
class ServiceLink : public QObject
{
    Q_OBJECT
public:
    explicit ServiceLink(QObject *parent = nullptr);
    ~ServiceLink() override;

    // The service is on the bus and its properties are read.
    [[nodiscard]] bool isAvailable() const { return m_available; }
    // Why it is not, for the technical details ("no system bus: …", "org.s16.Updater1 has no owner").
    [[nodiscard]] QString unavailableReason() const { return m_reason; }
    // The service's properties by name (State, Staged, Progress, …), nested maps as QVariantMap.
    [[nodiscard]] const QVariantMap &properties() const { return m_properties; }
    [[nodiscard]] QVariant property(const char *name) const { return m_properties.value(QLatin1String(name)); }

    // Reads every property anew (GetAll); the service's absence makes the link unavailable.
    void refresh();

    // Calls a method and returns at once; a refused or failed call ends in callFailed.
    void call(const QString &method, const QVariantList &args = {});
    // Calls a method that answers a string (Log, PreviewDiagnostics) and waits for it; the
    // answer is small. Empty when the service is not there or refused.
    [[nodiscard]] QString callForString(const QString &method, const QVariantList &args = {}) const;

Q_SIGNALS:
    void availableChanged();
    // keys: the properties that changed (all of them when the service appeared).
    void propertiesChanged(const QStringList &keys);
    void completed(const QString &operation, int code, const QString &message);
    // errorName: the D-Bus error, e.g. org.freedesktop.DBus.Error.AccessDenied.
    void callFailed(const QString &method, const QString &errorName, const QString &message);

private Q_SLOTS:
    void onPropertiesChanged(const QString &interface, const QVariantMap &changed, const QStringList &invalidated);
    void onCompleted(const QString &operation, int code, const QString &message);

private:
    void setUnavailable(const QString &reason);

    QDBusServiceWatcher *m_watcher = nullptr;
    QVariantMap m_properties;
    QString m_reason;
    bool m_available = false;
};

} // namespace s16
