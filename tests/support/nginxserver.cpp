#include "nginxserver.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace s16::test {

namespace {

QString quoted(const QString &value)
{
    QString v = value;
    v.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    v.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + v + QLatin1Char('"');
}

QString withSlash(const QString &path) { return path.endsWith(QLatin1Char('/')) ? path : path + QLatin1Char('/'); }

QString readText(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

// A port nobody listens on right now. nginx binds it a moment later; if
// another process wins the race, start() sees nginx's bind error and retries.
quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

QString findNginx()
{
    const QString sbin = QStandardPaths::findExecutable(
        QStringLiteral("nginx"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin"), QStringLiteral("/sbin")});
    return sbin.isEmpty() ? QStandardPaths::findExecutable(QStringLiteral("nginx")) : sbin;
}

} // namespace

NginxServer::NginxServer(Options options)
    : m_options(std::move(options))
    , m_dir(std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/s16-nginx-XXXXXX")))
{
}

NginxServer::~NginxServer() { stop(); }

QString NginxServer::dir() const { return m_dir->path(); }

QUrl NginxServer::url(const QString &path) const
{
    const QString absolute = path.startsWith(QLatin1Char('/')) ? path : withSlash(m_options.prefix) + path;
    return QUrl(QStringLiteral("https://127.0.0.1:%1").arg(m_port) + absolute);
}

QString NginxServer::errorLog() const
{
    return readText(m_dir->filePath(QStringLiteral("error.log"))) + readText(m_dir->filePath(QStringLiteral("stdout.log")));
}

QStringList NginxServer::accessLog() const
{
    return readText(m_dir->filePath(QStringLiteral("access.log"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

int NginxServer::requestCount(const QString &pathSubstring) const
{
    int count = 0;
    for (const QString &line : accessLog()) {
        // The request line is the first quoted field; nginx escapes quotes inside it.
        const qsizetype open = line.indexOf(QLatin1Char('"'));
        const qsizetype close = line.indexOf(QLatin1Char('"'), open + 1);
        if (open >= 0 && close > open && line.mid(open + 1, close - open - 1).contains(pathSubstring))
            ++count;
    }
    return count;
}

bool NginxServer::isRunning() const { return m_process && m_process->state() != QProcess::NotRunning; }

std::expected<void, QString> NginxServer::writeConfig() const
{
    const Options &o = m_options;
    static const QRegularExpression tokenChars(QStringLiteral("^[A-Za-z0-9._~+/=-]+$"));
    if (!o.bearerToken.isEmpty() && !tokenChars.match(o.bearerToken).hasMatch())
        return std::unexpected(QStringLiteral("bearer token has characters a token may not have: ") + o.bearerToken);
    if (o.certFile.isEmpty() || o.keyFile.isEmpty() || o.root.isEmpty())
        return std::unexpected(QStringLiteral("NginxServer needs certFile, keyFile and root"));

    const QString d = m_dir->path();
    const auto file = [&d](const char *name) { return quoted(d + QLatin1Char('/') + QLatin1String(name)); };
    QString c;
    // One process in the foreground: nothing to reap, and the death signal set
    // in start() takes it down with the test.
    c += QStringLiteral("master_process off;\n");
    if (::geteuid() == 0) {
        // As root nginx would switch its workers to "nobody", who cannot read a
        // 0700 temporary folder.
        if (const passwd *pw = ::getpwuid(::geteuid()))
            c += QStringLiteral("user %1;\n").arg(QString::fromLocal8Bit(pw->pw_name));
    }
    c += QStringLiteral("error_log %1 info;\n").arg(file("error.log"));
    c += QStringLiteral("events { worker_connections 512; }\n");
    c += QStringLiteral("http {\n");
    c += QStringLiteral("  types { application/json json; text/plain txt sql sha256; application/octet-stream img bin sig; }\n");
    c += QStringLiteral("  default_type application/octet-stream;\n");
    c += QStringLiteral("  log_format s16 '$status $body_bytes_sent \"$request\" range=\"$http_range\" "
                        "auth=\"$http_authorization\" tls=$ssl_protocol client=$ssl_client_verify';\n");
    c += QStringLiteral("  access_log %1 s16;\n").arg(file("access.log"));
    c += QStringLiteral("  client_body_temp_path %1;\n").arg(file("tmp/body"));
    c += QStringLiteral("  proxy_temp_path %1;\n").arg(file("tmp/proxy"));
    c += QStringLiteral("  fastcgi_temp_path %1;\n").arg(file("tmp/fastcgi"));
    c += QStringLiteral("  uwsgi_temp_path %1;\n").arg(file("tmp/uwsgi"));
    c += QStringLiteral("  scgi_temp_path %1;\n").arg(file("tmp/scgi"));
    c += QStringLiteral("  client_max_body_size 0;\n");
    c += QStringLiteral("  server {\n");
    c += QStringLiteral("    listen 127.0.0.1:%1 ssl%2;\n").arg(m_port).arg(o.http2 ? QStringLiteral(" http2") : QString());
    c += QStringLiteral("    server_name localhost 127.0.0.1;\n");
    c += QStringLiteral("    ssl_certificate %1;\n").arg(quoted(o.certFile));
    c += QStringLiteral("    ssl_certificate_key %1;\n").arg(quoted(o.keyFile));
    c += QStringLiteral("    ssl_protocols %1;\n")
             .arg(o.protocols.isEmpty() ? QStringLiteral("TLSv1.2 TLSv1.3") : o.protocols.join(QLatin1Char(' ')));
    if (!o.ciphers.isEmpty())
        c += QStringLiteral("    ssl_ciphers %1;\n").arg(quoted(o.ciphers));
    if (!o.clientCaFile.isEmpty()) {
        c += QStringLiteral("    ssl_verify_client on;\n");
        c += QStringLiteral("    ssl_verify_depth 2;\n");
        c += QStringLiteral("    ssl_client_certificate %1;\n").arg(quoted(o.clientCaFile));
    }
    if (!o.bearerToken.isEmpty())
        c += QStringLiteral("    if ($http_authorization != \"Bearer %1\") { return 401; }\n").arg(o.bearerToken);
    const QString prefix = withSlash(o.prefix);
    c += QStringLiteral("    location %1 {\n").arg(quoted(prefix));
    c += QStringLiteral("      alias %1;\n").arg(quoted(withSlash(QDir(o.root).absolutePath())));
    if (o.limitRateBytesPerSecond > 0)
        c += QStringLiteral("      limit_rate %1;\n").arg(o.limitRateBytesPerSecond);
    c += QStringLiteral("    }\n");
    if (!o.davRoot.isEmpty()) {
        c += QStringLiteral("    location %1 {\n").arg(quoted(withSlash(o.davPrefix)));
        c += QStringLiteral("      alias %1;\n").arg(quoted(withSlash(QDir(o.davRoot).absolutePath())));
        c += QStringLiteral("      dav_methods PUT;\n      create_full_put_path on;\n");
        c += QStringLiteral("      dav_access user:rw group:r all:r;\n    }\n");
    }
    if (prefix != QStringLiteral("/"))
        c += QStringLiteral("    location / { return 404; }\n");
    c += o.extraServerConfig + QLatin1Char('\n');
    c += QStringLiteral("  }\n}\n");

    QFile f(m_dir->filePath(QStringLiteral("nginx.conf")));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(c.toUtf8()) < 0)
        return std::unexpected(QStringLiteral("cannot write nginx.conf: ") + f.errorString());
    return {};
}

std::expected<void, QString> NginxServer::start()
{
    if (isRunning())
        return {};
    if (!m_dir->isValid())
        return std::unexpected(QStringLiteral("cannot create a temporary folder: ") + m_dir->errorString());
    if (!QDir(m_dir->path()).mkpath(QStringLiteral("tmp")))
        return std::unexpected(QStringLiteral("cannot create ") + m_dir->filePath(QStringLiteral("tmp")));
    std::expected<void, QString> result;
    for (int attempt = 0; attempt < 5; ++attempt) {
        result = startOnce();
        if (result || !errorLog().contains(QStringLiteral("Address already in use")))
            return result;
    }
    return result;
}

std::expected<void, QString> NginxServer::startOnce()
{
    stop();
    QFile::remove(m_dir->filePath(QStringLiteral("error.log")));
    QFile::remove(m_dir->filePath(QStringLiteral("stdout.log")));
    m_port = freePort();
    if (m_port == 0)
        return std::unexpected(QStringLiteral("no free port on 127.0.0.1"));
    if (auto written = writeConfig(); !written)
        return written;
    const QString nginx = findNginx();
    if (nginx.isEmpty())
        return std::unexpected(QStringLiteral("nginx not found (Debian package nginx-light)"));

    const QString d = m_dir->path();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setStandardOutputFile(m_dir->filePath(QStringLiteral("stdout.log")));
    m_process->setStandardInputFile(QProcess::nullDevice());
    // If the test binary dies (crash, timeout kill), nginx must not outlive it.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process->start(nginx,
                     {QStringLiteral("-p"), d + QLatin1Char('/'), QStringLiteral("-c"), m_dir->filePath(QStringLiteral("nginx.conf")),
                      QStringLiteral("-e"), m_dir->filePath(QStringLiteral("error.log")), QStringLiteral("-g"),
                      QStringLiteral("daemon off; pid %1;").arg(quoted(m_dir->filePath(QStringLiteral("nginx.pid"))))});
    if (!m_process->waitForStarted(5000))
        return std::unexpected(QStringLiteral("cannot start %1: %2").arg(nginx, m_process->errorString()));

    // With TLS 1.2/1.3 the probe completes a handshake and checks it meets our
    // certificate (not some other program that took the port); with old
    // protocols only a TLS 1.0 client could, so it checks the TCP accept.
    const bool probeTls = m_options.protocols.isEmpty();
    QSslCertificate expected;
    if (probeTls) {
        const auto certs = QSslCertificate::fromPath(m_options.certFile);
        if (!certs.isEmpty())
            expected = certs.first();
    }
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        if (m_process->state() == QProcess::NotRunning || m_process->waitForFinished(50)) {
            const QString log = errorLog();
            m_process.reset();
            return std::unexpected(QStringLiteral("nginx exited at start: ") + log);
        }
        if (errorLog().contains(QStringLiteral("[emerg]"))) {
            const QString log = errorLog();
            stop();
            return std::unexpected(QStringLiteral("nginx failed at start: ") + log);
        }
        if (probeTls) {
            QSslSocket socket;
            socket.setPeerVerifyMode(QSslSocket::VerifyNone);
            socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
            if (socket.waitForEncrypted(1000) && (expected.isNull() || socket.peerCertificate() == expected)) {
                socket.disconnectFromHost();
                return {};
            }
        } else {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, m_port);
            if (socket.waitForConnected(500)) {
                socket.disconnectFromHost();
                return {};
            }
        }
        QThread::msleep(20);
    }
    const QString log = errorLog();
    stop();
    return std::unexpected(QStringLiteral("nginx did not accept connections within 10 s: ") + log);
}

void NginxServer::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate(); // SIGTERM: nginx's fast shutdown
        if (!m_process->waitForFinished(3000)) {
            m_process->kill();
            m_process->waitForFinished(3000);
        }
    }
    m_process.reset();
}

} // namespace s16::test
