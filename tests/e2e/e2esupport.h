#pragma once

#include "support/nginxserver.h"
#include "support/testutil.h"

#include <QJsonObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <expected>
#include <memory>

// The end-to-end tests' world: a release server (an s16-publish repository served by
// real nginx over TLS on 127.0.0.1) and simulated devices made with the built
// s16-devsim, driven through the built executables only, as a device maker would.
namespace s16::e2e {

// A signing key, a release repository and nginx serving it with the shared test PKI.
class ReleaseServer
{
public:
    // keygen into workDir/keys, an empty repository workDir/repo, nginx started.
    [[nodiscard]] std::expected<void, QString> start(const QString &workDir);
    // Makes an image of `bytes` bytes for version (the same bytes for the same version)
    // and publishes it; extraArgs go to `s16-publish release` (--priority, --migration ...).
    [[nodiscard]] std::expected<void, QString> publish(const QString &version, qint64 bytes, const QStringList &extraArgs = {});
    [[nodiscard]] QString url() const;
    [[nodiscard]] QString caFile() const;
    [[nodiscard]] QString publicKey() const;
    [[nodiscard]] QString imagePath(const QString &version) const;
    [[nodiscard]] QString workDir() const { return m_dir; }

private:
    QString m_dir;
    std::unique_ptr<test::NginxServer> m_nginx;
};

// `s16-devsim init DIR` against server; returns the config path (the last line printed).
[[nodiscard]] std::expected<QString, QString> initDevice(const QString &dir, const ReleaseServer &server,
                                                         const QStringList &extraArgs = {});
// s16-devsim with args, in env.
[[nodiscard]] test::ToolResult devsim(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                                      int timeoutMs = 60000);
// s16-update with args, --config config appended.
[[nodiscard]] test::ToolResult update(const QString &config, const QStringList &args, int timeoutMs = 60000);
// `s16-devsim show DIR --json`, parsed.
[[nodiscard]] std::expected<QJsonObject, QString> show(const QString &dir);
// Parses a tool's stdout as one JSON object.
[[nodiscard]] std::expected<QJsonObject, QString> jsonOf(const test::ToolResult &r);
// `sqlite3 FILE .dump` and `sqlite3 FILE 'PRAGMA user_version'`, through the sqlite3 tool.
[[nodiscard]] std::expected<QByteArray, QString> sqliteDump(const QString &db);
[[nodiscard]] std::expected<int, QString> sqliteUserVersion(const QString &db);
// The message for a QVERIFY2 on an expected: QVERIFY2 evaluates its message even when the
// check holds, so it must never call error() on a value.
template <typename T>
[[nodiscard]] QByteArray why(const std::expected<T, QString> &result, const QString &context = {})
{
    return result ? QByteArray() : (context + result.error()).toLocal8Bit();
}

// The migration every update test publishes with 1.1.0: schema 1 -> 2.
[[nodiscard]] QByteArray migrationSql();

} // namespace s16::e2e
