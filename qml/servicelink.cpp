#include "servicelink.h"

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusReply>
#include <QDBusServiceWatcher>
#include <QDBusVariant>

namespace s16 {
namespace {

const QString kName = QStringLiteral("org.s16.Updater1");
const QString kPath = QStringLiteral("/org/s16/Updater1");
const QString kProperties = QStringLiteral("org.freedesktop.DBus.Properties");

// Values as QtDBus hands them over (a map inside a variant stays a QDBusArgument until
// someone reads it) made plain, to any depth: the controller and QML see QVariantMaps.
QVariant plain(const QVariant &v)
{
    if (v.userType() == qMetaTypeId<QDBusVariant>())
        return plain(v.value<QDBusVariant>().variant());
    if (v.userType() != qMetaTypeId<QDBusArgument>())
        return v;
    const QDBusArgument arg = v.value<QDBusArgument>();
    if (arg.currentType() == QDBusArgument::MapType) {
        QVariantMap m;
        arg >> m;
        for (auto it = m.begin(); it != m.end(); ++it)
            it.value() = plain(it.value());
        return m;
    }
    if (arg.currentType() == QDBusArgument::ArrayType) {
        QVariantList l;
        arg >> l;
        for (QVariant &x : l)
            x = plain(x);
        return l;
    }
    return v;
}

} // namespace

ServiceLink::ServiceLink(QObject *parent)
    : QObject(parent)
{
    QDBusConnection bus = QDBusConnection::systemBus();
    if (!bus.isConnected()) {
        setUnavailable(QStringLiteral("no D-Bus system bus: ") + bus.lastError().message());
        return;
    }
    // Subscribed by the well-known name: QtDBus follows its owner, also a new one after a restart.
    bus.connect(kName, kPath, kProperties, QStringLiteral("PropertiesChanged"), this,
                SLOT(onPropertiesChanged(QString, QVariantMap, QStringList)));
    bus.connect(kName, kPath, kName, QStringLiteral("Completed"), this, SLOT(onCompleted(QString, int, QString)));
    m_watcher = new QDBusServiceWatcher(kName, bus, QDBusServiceWatcher::WatchForOwnerChange, this);
    connect(m_watcher, &QDBusServiceWatcher::serviceOwnerChanged, this, [this](const QString &, const QString &, const QString &newOwner) {
        if (newOwner.isEmpty())
            setUnavailable(QString(kName + QStringLiteral(" left the bus")));
        else
            refresh();
    });
    refresh();
}

ServiceLink::~ServiceLink() = default;

void ServiceLink::setUnavailable(const QString &reason)
{
    m_reason = reason;
    const bool was = std::exchange(m_available, false);
    const QStringList keys = m_properties.keys();
    m_properties.clear();
    if (!keys.isEmpty())
        Q_EMIT propertiesChanged(keys);
    if (was)
        Q_EMIT availableChanged();
}

void ServiceLink::refresh()
{
    // Once, when the service appears: a reply of a few hundred bytes. Waiting for it keeps
    // the first screen from showing a state that is not the device's.
    const QDBusMessage call = QDBusMessage::createMethodCall(kName, kPath, kProperties, QStringLiteral("GetAll")) << kName;
    const QDBusMessage reply = QDBusConnection::systemBus().call(call, QDBus::Block, 5000);
    if (reply.type() != QDBusMessage::ReplyMessage || reply.arguments().isEmpty()) {
        setUnavailable(reply.errorName() == QLatin1String("org.freedesktop.DBus.Error.ServiceUnknown")
                           ? QString(kName + QStringLiteral(" is not on the bus"))
                           : QString(reply.errorName() + QStringLiteral(": ") + reply.errorMessage()));
        return;
    }
    const QVariantMap all = plain(reply.arguments().constFirst()).toMap();
    m_properties = all;
    m_reason.clear();
    const bool was = std::exchange(m_available, true);
    Q_EMIT propertiesChanged(all.keys());
    if (!was)
        Q_EMIT availableChanged();
}

void ServiceLink::onPropertiesChanged(const QString &interface, const QVariantMap &changed, const QStringList &invalidated)
{
    if (interface != kName || !m_available)
        return;
    QStringList keys;
    for (auto it = changed.cbegin(); it != changed.cend(); ++it) {
        m_properties.insert(it.key(), plain(it.value()));
        keys.append(it.key());
    }
    for (const QString &key : invalidated) {
        m_properties.remove(key);
        keys.append(key);
    }
    if (!keys.isEmpty())
        Q_EMIT propertiesChanged(keys);
}

void ServiceLink::onCompleted(const QString &operation, int code, const QString &message) { Q_EMIT completed(operation, code, message); }

void ServiceLink::call(const QString &method, const QVariantList &args)
{
    QDBusMessage message = QDBusMessage::createMethodCall(kName, kPath, kName, method);
    message.setArguments(args);
    auto *watcher = new QDBusPendingCallWatcher(QDBusConnection::systemBus().asyncCall(message), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, method](QDBusPendingCallWatcher *w) {
        w->deleteLater();
        if (w->isError())
            Q_EMIT callFailed(method, w->error().name(), w->error().message());
    });
}

QString ServiceLink::callForString(const QString &method, const QVariantList &args) const
{
    if (!m_available)
        return {};
    QDBusMessage message = QDBusMessage::createMethodCall(kName, kPath, kName, method);
    message.setArguments(args);
    const QDBusReply<QString> reply = QDBusConnection::systemBus().call(message, QDBus::Block, 5000);
    return reply.isValid() ? reply.value() : QString();
}

} // namespace s16
