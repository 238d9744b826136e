#pragma once

#include <QString>
#include <QStringList>
#include <QUrl>

#include <expected>
#include <memory>

class QProcess;
class QTemporaryDir;

namespace s16::test {

// A real nginx (Debian's nginx-light) serving a release repository over TLS on
// 127.0.0.1, as a device meets it in the field. It runs as the current user in
// the foreground in a temporary folder of its own (config, logs, temp paths), on
// a free port, and dies with the test process. Options cover what the online
// tests vary: mutual TLS, a bearer token, a WebDAV PUT location for diagnostics,
// old TLS protocols, HTTP/2 and a rate limit to make a download slow enough to cut.
class NginxServer
{
public:
    struct Options {
        QString certFile; // server certificate (PEM)
        QString keyFile;  // its key (PEM)
        QString root;     // folder served at prefix
        QString prefix = QStringLiteral("/s16/stable/");
        QString clientCaFile; // non-empty: a client certificate signed by this CA is required
        QString bearerToken;  // non-empty: every request needs "Authorization: Bearer <token>", else 401
        QString davRoot;      // non-empty: PUT below davPrefix stores into this folder
        QString davPrefix = QStringLiteral("/diag/");
        QStringList protocols; // e.g. {"TLSv1", "TLSv1.1"}; empty: TLSv1.2 and TLSv1.3
        QString ciphers;       // ssl_ciphers, e.g. "DEFAULT@SECLEVEL=0"; empty: nginx's default
        bool http2 = true;
        qint64 limitRateBytesPerSecond = 0; // 0: unlimited
        QString extraServerConfig;          // raw directives for the server block
    };

    explicit NginxServer(Options options);
    ~NginxServer();
    NginxServer(const NginxServer &) = delete;
    NginxServer &operator=(const NginxServer &) = delete;

    // Starts nginx and returns once its port accepts connections (at most 10 s).
    // On failure the error holds nginx's own error log.
    [[nodiscard]] std::expected<void, QString> start();
    void stop();
    [[nodiscard]] bool isRunning() const;

    [[nodiscard]] quint16 port() const { return m_port; }
    // https://127.0.0.1:<port> plus path; a path without a leading slash is
    // relative to the prefix: url() is the repository URL, url("manifest.json") a file in it.
    [[nodiscard]] QUrl url(const QString &path = {}) const;
    // The temporary folder holding nginx.conf, the logs and temp paths.
    [[nodiscard]] QString dir() const;

    // Access log lines, in the format
    // `<status> <body bytes> "<request line>" range="<Range>" auth="<Authorization>" tls=<protocol> client=<verify result>`.
    // nginx writes a line once a request is finished, which may be just after
    // the client has its last byte: poll with QTRY_* for exact counts.
    [[nodiscard]] QStringList accessLog() const;
    // How many logged requests have pathSubstring in their request line.
    [[nodiscard]] int requestCount(const QString &pathSubstring) const;
    [[nodiscard]] QString errorLog() const;

private:
    [[nodiscard]] std::expected<void, QString> writeConfig() const;
    [[nodiscard]] std::expected<void, QString> startOnce();

    Options m_options;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

} // namespace s16::test
