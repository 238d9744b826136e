#include "e2esupport.h"

#include "support/testpki.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

namespace s16::e2e {

std::expected<void, QString> ReleaseServer::start(const QString &workDir)
{
    m_dir = workDir;
    const test::TestPki &pki = test::TestPki::shared();
    if (!pki.isValid())
        return std::unexpected(QStringLiteral("test PKI: ") + pki.errorString());
    if (!QDir().mkpath(m_dir + QStringLiteral("/repo")) || !QDir().mkpath(m_dir + QStringLiteral("/images")))
        return std::unexpected(QStringLiteral("cannot create ") + m_dir);
    const auto keygen =
        test::runTool(QStringLiteral("s16-publish"), {QStringLiteral("keygen"), QStringLiteral("--out"), m_dir + QStringLiteral("/keys")});
    if (keygen.exitCode != 0)
        return std::unexpected(QStringLiteral("s16-publish keygen: ") + keygen.describe());
    test::NginxServer::Options options;
    options.certFile = pki.server().cert;
    options.keyFile = pki.server().key;
    options.root = m_dir + QStringLiteral("/repo");
    m_nginx = std::make_unique<test::NginxServer>(options);
    return m_nginx->start();
}

std::expected<void, QString> ReleaseServer::publish(const QString &version, qint64 bytes, const QStringList &extraArgs)
{
    const QString image = imagePath(version);
    if (auto w = test::writeRandomFile(image, bytes, qHash(version)); !w)
        return std::unexpected(w.error());
    QStringList args{QStringLiteral("release"),
                     QStringLiteral("--repo"),
                     m_dir + QStringLiteral("/repo"),
                     QStringLiteral("--image"),
                     image,
                     QStringLiteral("--version"),
                     version,
                     QStringLiteral("--key"),
                     m_dir + QStringLiteral("/keys/signing.key")};
    args += extraArgs;
    const auto r = test::runTool(QStringLiteral("s16-publish"), args);
    if (r.exitCode != 0)
        return std::unexpected(QStringLiteral("s16-publish release %1: ").arg(version) + r.describe());
    return {};
}

QString ReleaseServer::url() const { return m_nginx ? m_nginx->url().toString() : QString(); }
QString ReleaseServer::caFile() const { return test::TestPki::shared().caCert(); }
QString ReleaseServer::publicKey() const { return m_dir + QStringLiteral("/keys/signing.pub"); }
QString ReleaseServer::imagePath(const QString &version) const
{
    return m_dir + QStringLiteral("/images/s16-") + version + QStringLiteral(".img");
}

std::expected<QString, QString> initDevice(const QString &dir, const ReleaseServer &server, const QStringList &extraArgs)
{
    QStringList args{QStringLiteral("init"),       dir,
                     QStringLiteral("--repo-url"), server.url(),
                     QStringLiteral("--ca"),       server.caFile(),
                     QStringLiteral("--pubkey"),   server.publicKey()};
    args += extraArgs;
    const auto r = devsim(args);
    if (r.exitCode != 0)
        return std::unexpected(QStringLiteral("s16-devsim init: ") + r.describe());
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    return QString::fromUtf8(lines.constLast().trimmed());
}

test::ToolResult devsim(const QStringList &args, const QProcessEnvironment &env, int timeoutMs)
{
    return test::runTool(QStringLiteral("s16-devsim"), args, env, timeoutMs);
}

test::ToolResult update(const QString &config, const QStringList &args, int timeoutMs)
{
    return test::runTool(QStringLiteral("s16-update"), args + QStringList{QStringLiteral("--config"), config},
                         QProcessEnvironment::systemEnvironment(), timeoutMs);
}

std::expected<QJsonObject, QString> jsonOf(const test::ToolResult &r)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::unexpected(
            QStringLiteral("not one JSON object (%1): %2; %3").arg(error.errorString(), QString::fromUtf8(r.out), r.describe()));
    return doc.object();
}

std::expected<QJsonObject, QString> show(const QString &dir)
{
    const auto r = devsim({QStringLiteral("show"), dir, QStringLiteral("--json")});
    if (r.exitCode != 0)
        return std::unexpected(QStringLiteral("s16-devsim show: ") + r.describe());
    return jsonOf(r);
}

std::expected<QByteArray, QString> sqliteDump(const QString &db)
{
    const auto r = test::runTool(QStringLiteral("sqlite3"), {db, QStringLiteral(".dump")});
    if (r.exitCode != 0)
        return std::unexpected(QStringLiteral("sqlite3 .dump: ") + r.describe());
    return r.out;
}

std::expected<int, QString> sqliteUserVersion(const QString &db)
{
    const auto r = test::runTool(QStringLiteral("sqlite3"), {db, QStringLiteral("PRAGMA user_version")});
    bool ok = false;
    const int v = r.out.trimmed().toInt(&ok);
    if (r.exitCode != 0 || !ok)
        return std::unexpected(QStringLiteral("sqlite3 PRAGMA user_version: ") + r.describe());
    return v;
}

QByteArray migrationSql()
{
    return QByteArrayLiteral("ALTER TABLE recipes ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;\n"
                             "UPDATE recipes SET rating = 5 WHERE title = 'Bread';\n"
                             "CREATE TABLE favourites (recipe INTEGER NOT NULL REFERENCES recipes(id));\n"
                             "INSERT INTO favourites VALUES (2);\n");
}

} // namespace s16::e2e
