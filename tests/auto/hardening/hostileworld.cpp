#include "hostileworld.h"

#include "crypto/crypto.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace s16::hardening {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

std::expected<void, QString> HostileWorld::start()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    if (!m_tmp->isValid())
        return std::unexpected(QStringLiteral("no temporary folder"));
    if (auto s = m_server.start(m_tmp->filePath(QStringLiteral("server"))); !s)
        return s;
    // The raw image only (no compressed image, no chunks): these tests meet the device with hostile variants of it
    // (tst_hostiledownload::compressed* add a compressed one of their own).
    if (auto s = m_server.publish(QStringLiteral("1.1.0"), kImageBytes, {QStringLiteral("--no-compress"), QStringLiteral("--no-delta")});
        !s)
        return s;
    m_manifest = readFile(repo() + QStringLiteral("/manifest.json"));
    m_signature = readFile(repo() + QStringLiteral("/manifest.json.sig"));
    m_image = readFile(repoImage());
    if (m_manifest.isEmpty() || m_signature.size() != 64 || m_image.size() != kImageBytes)
        return std::unexpected(QStringLiteral("the published release is not where it should be"));
    return {};
}

QString HostileWorld::repo() const { return m_server.workDir() + QStringLiteral("/repo"); }
QString HostileWorld::repoImage() const { return repo() + QStringLiteral("/images/s16-1.1.0.img"); }
QString HostileWorld::deviceDir(const QString &name) const { return m_tmp->filePath(QStringLiteral("device-") + name); }

std::expected<QString, QString> HostileWorld::newDevice(const QString &name, const QString &backend)
{
    return e2e::initDevice(deviceDir(name), m_server, {QStringLiteral("--boot"), backend});
}

std::expected<void, QString> HostileWorld::publishSigned(const QByteArray &manifest)
{
    const auto sig = crypto::sign(m_server.workDir() + QStringLiteral("/keys/signing.key"), manifest);
    if (!sig)
        return std::unexpected(sig.error().message);
    if (!writeFile(repo() + QStringLiteral("/manifest.json"), manifest) || !writeFile(repo() + QStringLiteral("/manifest.json.sig"), *sig))
        return std::unexpected(QStringLiteral("cannot write the repository"));
    return {};
}

std::expected<void, QString> HostileWorld::restoreGoodRelease()
{
    if (!writeFile(repo() + QStringLiteral("/manifest.json"), m_manifest)
        || !writeFile(repo() + QStringLiteral("/manifest.json.sig"), m_signature) || !writeFile(repoImage(), m_image))
        return std::unexpected(QStringLiteral("cannot restore the repository"));
    return {};
}

QString untouched(const QString &deviceDir)
{
    const auto state = e2e::show(deviceDir);
    if (!state)
        return state.error();
    const QJsonObject slots = state->value(QStringLiteral("slots")).toObject();
    const QJsonObject a = slots.value(QStringLiteral("A")).toObject();
    const QJsonObject b = slots.value(QStringLiteral("B")).toObject();
    const QJsonObject env = state->value(QStringLiteral("bootEnv")).toObject();
    QStringList wrong;
    if (state->value(QStringLiteral("bootedSlot")).toString() != QStringLiteral("A"))
        wrong << QStringLiteral("booted slot is not A");
    if (a.value(QStringLiteral("version")).toString() != QStringLiteral("1.0.0")
        || a.value(QStringLiteral("state")).toString() != QStringLiteral("good"))
        wrong << QStringLiteral("slot A is not 1.0.0/good");
    if (b.value(QStringLiteral("state")).toString() != QStringLiteral("empty"))
        wrong << QStringLiteral("slot B is %1").arg(b.value(QStringLiteral("state")).toString());
    if (state->value(QStringLiteral("rebootPending")).toBool(true))
        wrong << QStringLiteral("a reboot is pending");
    if (env.value(QStringLiteral("S16_RECOVERY")).toString() == QStringLiteral("1"))
        wrong << QStringLiteral("recovery is requested");
    if (!env.value(QStringLiteral("BOOT_ORDER")).toString().startsWith(u'A'))
        wrong << QStringLiteral("BOOT_ORDER is %1").arg(env.value(QStringLiteral("BOOT_ORDER")).toString());
    if (QFileInfo::exists(deviceDir + QStringLiteral("/update/staged")))
        wrong << QStringLiteral("an update is staged");
    return wrong.join(QStringLiteral("; "));
}

QString installsGoodUpdate(const QString &config, const QString &deviceDir)
{
    auto r = e2e::update(config, {QStringLiteral("download")});
    if (r.exitCode != 0)
        return QStringLiteral("download: ") + r.describe();
    r = e2e::update(config, {QStringLiteral("install")});
    if (r.exitCode != 0)
        return QStringLiteral("install: ") + r.describe();
    r = e2e::devsim({QStringLiteral("run"), deviceDir, QStringLiteral("--json")}, QProcessEnvironment::systemEnvironment(), 120000);
    if (r.exitCode != 0)
        return QStringLiteral("devsim run: ") + r.describe();
    const auto state = e2e::show(deviceDir);
    if (!state)
        return state.error();
    const QJsonObject b = state->value(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject();
    if (state->value(QStringLiteral("bootedSlot")).toString() != QStringLiteral("B")
        || b.value(QStringLiteral("version")).toString() != QStringLiteral("1.1.0")
        || b.value(QStringLiteral("state")).toString() != QStringLiteral("good"))
        return QStringLiteral("after the install: ") + QString::fromUtf8(QJsonDocument(*state).toJson(QJsonDocument::Compact));
    return {};
}

QJsonObject lastError(const QString &config)
{
    const auto r = e2e::update(config, {QStringLiteral("status"), QStringLiteral("--json")});
    const auto json = e2e::jsonOf(r);
    return json ? json->value(QStringLiteral("lastError")).toObject() : QJsonObject();
}

} // namespace s16::hardening
