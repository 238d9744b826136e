#include "support/datatable.h"
#include "support/faultserver.h"
#include "support/nginxserver.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QHostAddress>
#include <QHostInfo>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace s16::test;

namespace {

// What one request through QNetworkAccessManager ended with.
struct Fetched {
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    int status = 0;
    QByteArray body;
    QList<QSslError::SslError> sslErrors;
    bool http2 = false;
    QByteArray contentRange;
    QByteArray location;
    QByteArray retryAfter;
};

QSslConfiguration trusting(const QString &caFile)
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setCaCertificates(QSslCertificate::fromPath(caFile)); // only the test CA, not the system store
    return config;
}

void useClientCertificate(QSslConfiguration &config, const TestPki::CertAndKey &client)
{
    config.setLocalCertificate(QSslCertificate::fromPath(client.cert).value(0));
    QFile key(client.key);
    if (key.open(QIODevice::ReadOnly))
        config.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec));
}

struct FetchOptions {
    QByteArray verb = "GET";
    QByteArray body;
    QList<std::pair<QByteArray, QByteArray>> headers;
    bool http2 = false;
    int transferTimeoutMs = 0;
};

// A fresh manager per request, so no connection or TLS session is reused between rows.
Fetched fetch(const QUrl &url, const QSslConfiguration &ssl, const FetchOptions &options = {})
{
    QNetworkAccessManager nam;
    QNetworkRequest request(url);
    request.setSslConfiguration(ssl);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, options.http2);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    if (options.transferTimeoutMs > 0)
        request.setTransferTimeout(options.transferTimeoutMs);
    for (const auto &[name, value] : options.headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = nam.sendCustomRequest(request, options.verb, options.body);
    Fetched result;
    QObject::connect(reply, &QNetworkReply::sslErrors, reply, [&result](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            result.sslErrors.append(e.error());
    });
    // Collected as it arrives: an aborted reply (transfer timeout) is closed and reads nothing.
    QObject::connect(reply, &QNetworkReply::readyRead, reply, [&result, reply] { result.body += reply->readAll(); });
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    result.error = reply->isFinished() ? reply->error() : QNetworkReply::TimeoutError;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->isOpen())
        result.body += reply->readAll();
    result.http2 = reply->attribute(QNetworkRequest::Http2WasUsedAttribute).toBool();
    result.contentRange = reply->rawHeader("Content-Range");
    result.location = reply->rawHeader("Location");
    result.retryAfter = reply->rawHeader("Retry-After");
    reply->abort();
    delete reply;
    return result;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

// The fault server on root at prefix, over TLS with the shared test PKI's server certificate or over plain HTTP.
FaultServer::Options faultServerOptions(const QString &root, const QString &prefix, bool tls)
{
    FaultServer::Options options{root, prefix, {}, {}};
    if (tls) {
        options.certFile = TestPki::shared().server().cert;
        options.keyFile = TestPki::shared().server().key;
    }
    return options;
}

// The process's peak resident memory (VmHWM) in bytes, or -1.
qint64 peakRss()
{
    const QByteArray status = readFile(QStringLiteral("/proc/self/status"));
    for (const QByteArray &line : status.split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return -1;
}

} // namespace

class tst_Support : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();

    void runToolReportsExitCodeAndOutput();
    void runToolKillsAfterTimeout();
    void randomFileIsReproducible();
    void sha256HexMatchesKnownDigest();

    void pkiServerCertificates_data();
    void pkiServerCertificates();
    void pkiClientCertificates_data();
    void pkiClientCertificates();
    void pkiServerPin();

    void nginxServesFileOverTls_data();
    void nginxServesFileOverTls();
    void nginxMutualTls_data();
    void nginxMutualTls();
    void nginxBearerToken_data();
    void nginxBearerToken();
    void nginxWebDavPutStoresFile();
    void nginxOldProtocolsOnly();
    void nginxLimitRateSlowsDownload();
    void nginxStartFailureCarriesErrorLog();

    void faultServerServesRanges_data();
    void faultServerServesRanges();
    void faultServerFaults_data();
    void faultServerFaults();
    void faultServerResetAndTruncateSeenByCurl_data();
    void faultServerResetAndTruncateSeenByCurl();
    void faultServerExtraBytesBeyondContentLength();
    void faultServerRefusesConnections_data();
    void faultServerRefusesConnections();
    void faultServerFaultForFirstRequestsOnly();
    void faultServerRecordsRequests();
    void faultServerRejectedCertificates_data();
    void faultServerRejectedCertificates();
    void unusedPortRefusesConnections();
    void faultServerStreamsLargeFile();

private:
    // nginx serving m_root with the test PKI's good server certificate; a test adds what it checks.
    NginxServer::Options nginxOptions() const;

    QTemporaryDir m_tmp;
    QString m_root;     // the repository nginx and the fault server serve
    QByteArray m_image; // images/image.img
};

NginxServer::Options tst_Support::nginxOptions() const
{
    NginxServer::Options options;
    options.certFile = TestPki::shared().server().cert;
    options.keyFile = TestPki::shared().server().key;
    options.root = m_root;
    return options;
}

void tst_Support::initTestCase()
{
    QVERIFY2(TestPki::shared().isValid(), qPrintable(TestPki::shared().errorString()));
    QVERIFY(m_tmp.isValid());
    m_root = m_tmp.filePath(QStringLiteral("repo"));
    QVERIFY(QDir().mkpath(m_root + QStringLiteral("/images")));
    QVERIFY(writeFile(m_root + QStringLiteral("/manifest.json"), R"({"format": 1})"));
    const auto written = writeRandomFile(m_root + QStringLiteral("/images/image.img"), 300 * 1024, 7);
    QVERIFY2(written, qPrintable(errorText(written)));
    m_image = readFile(m_root + QStringLiteral("/images/image.img"));
    QCOMPARE(m_image.size(), 300 * 1024);
}

// ------------------------------------------------------------ testutil

void tst_Support::runToolReportsExitCodeAndOutput()
{
    const ToolResult r = runTool(QStringLiteral("sh"), {QStringLiteral("-c"), QStringLiteral("cat; echo out; echo err >&2; exit 3")},
                                 QProcessEnvironment::systemEnvironment(), 10000, "in:");
    QVERIFY(r.started);
    QVERIFY(!r.timedOut);
    QCOMPARE(r.exitCode, 3);
    QCOMPARE(r.out, QByteArray("in:out\n"));
    QCOMPARE(r.err, QByteArray("err\n"));

    const ToolResult missing = runTool(QStringLiteral("/nonexistent/tool"), {});
    QVERIFY(!missing.started);
    QCOMPARE(missing.exitCode, -1);
}

void tst_Support::runToolKillsAfterTimeout()
{
    QElapsedTimer timer;
    timer.start();
    const ToolResult r = runTool(QStringLiteral("sleep"), {QStringLiteral("10")}, QProcessEnvironment::systemEnvironment(), 300);
    QVERIFY(r.started);
    QVERIFY(r.timedOut);
    QCOMPARE(r.exitCode, -1);
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

void tst_Support::randomFileIsReproducible()
{
    const QString a = m_tmp.filePath(QStringLiteral("rand-a"));
    const QString b = m_tmp.filePath(QStringLiteral("rand-b"));
    const QString c = m_tmp.filePath(QStringLiteral("rand-c"));
    QVERIFY(writeRandomFile(a, 100001, 1));
    QVERIFY(writeRandomFile(b, 100001, 1));
    QVERIFY(writeRandomFile(c, 100001, 2));
    QCOMPARE(QFileInfo(a).size(), 100001);
    QCOMPARE(readFile(a), readFile(b));
    QVERIFY(readFile(a) != readFile(c));
    QVERIFY(!writeRandomFile(m_tmp.filePath(QStringLiteral("no/such/folder/file")), 10, 1));
}

void tst_Support::sha256HexMatchesKnownDigest()
{
    const QString path = m_tmp.filePath(QStringLiteral("abc.txt"));
    QVERIFY(writeFile(path, "abc"));
    const auto hex = sha256Hex(path);
    QVERIFY2(hex, qPrintable(errorText(hex)));
    // FIPS 180-2's test vector for "abc".
    QCOMPARE(*hex, QStringLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QVERIFY(!sha256Hex(m_tmp.filePath(QStringLiteral("missing"))));
}

// ------------------------------------------------------------ TestPki

void tst_Support::pkiServerCertificates_data()
{
    QTest::addColumn<TestPki::Server>("kind");
    QTest::addColumn<int>("opensslError"); // X509_V_ERR_*; 0: verifies
    QTest::newRow("good") << TestPki::Server::Good << 0;
    QTest::newRow("self-signed") << TestPki::Server::SelfSigned << 18;   // DEPTH_ZERO_SELF_SIGNED_CERT
    QTest::newRow("expired") << TestPki::Server::Expired << 10;          // CERT_HAS_EXPIRED
    QTest::newRow("not yet valid") << TestPki::Server::NotYetValid << 9; // CERT_NOT_YET_VALID
    QTest::newRow("wrong host") << TestPki::Server::WrongHost << 62;     // HOSTNAME_MISMATCH
    QTest::newRow("unknown CA") << TestPki::Server::UnknownCa << 20;     // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
}

void tst_Support::pkiServerCertificates()
{
    QFETCH(TestPki::Server, kind);
    QFETCH(int, opensslError);
    const TestPki &pki = TestPki::shared();
    const auto files = pki.server(kind);
    QVERIFY(QFileInfo::exists(files.key));
    // Both host forms the server certificate is for must pass (or fail alike).
    for (const QStringList &host : {QStringList{QStringLiteral("-verify_hostname"), QStringLiteral("localhost")},
                                    QStringList{QStringLiteral("-verify_ip"), QStringLiteral("127.0.0.1")}}) {
        if (opensslError == 62 && host.first() == QStringLiteral("-verify_ip"))
            opensslError = 64; // IP_ADDRESS_MISMATCH
        const ToolResult r =
            runTool(QStringLiteral("openssl"), QStringList{QStringLiteral("verify"), QStringLiteral("-purpose"),
                                                           QStringLiteral("sslserver"), QStringLiteral("-CAfile"), pki.caCert()}
                                                   + host + QStringList{files.cert});
        const QByteArray output = r.out + r.err;
        if (opensslError == 0) {
            QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        } else {
            QVERIFY2(r.exitCode != 0, output.constData());
            QVERIFY2(output.contains(QByteArray("error " + QByteArray::number(opensslError) + " at 0 depth")), output.constData());
        }
    }
    // The key belongs to the certificate.
    QCOMPARE(TestPki::spkiPin(files.key).value_or(QString()), TestPki::spkiPin(files.cert).value_or(QStringLiteral("x")));
}

void tst_Support::pkiClientCertificates_data()
{
    QTest::addColumn<TestPki::Client>("kind");
    QTest::addColumn<int>("opensslError");
    QTest::newRow("trusted") << TestPki::Client::Trusted << 0;
    QTest::newRow("untrusted") << TestPki::Client::Untrusted << 20;
}

void tst_Support::pkiClientCertificates()
{
    QFETCH(TestPki::Client, kind);
    QFETCH(int, opensslError);
    const TestPki &pki = TestPki::shared();
    const ToolResult r =
        runTool(QStringLiteral("openssl"), {QStringLiteral("verify"), QStringLiteral("-purpose"), QStringLiteral("sslclient"),
                                            QStringLiteral("-CAfile"), pki.clientCaCert(), pki.client(kind).cert});
    if (opensslError == 0)
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    else
        QVERIFY2(QByteArray(r.out + r.err).contains(QByteArray("error " + QByteArray::number(opensslError) + " at 0 depth")),
                 qPrintable(r.describe()));
    // A client certificate must never pass as the server CA's.
    const ToolResult asServer =
        runTool(QStringLiteral("openssl"), {QStringLiteral("verify"), QStringLiteral("-CAfile"), pki.caCert(), pki.client(kind).cert});
    QVERIFY(asServer.exitCode != 0);
}

void tst_Support::pkiServerPin()
{
    const TestPki &pki = TestPki::shared();
    const QString pin = pki.serverPin();
    QVERIFY2(pin.startsWith(QStringLiteral("sha256//")), qPrintable(pin));
    QCOMPARE(QByteArray::fromBase64(pin.mid(8).toLatin1()).size(), 32);
    // The same pin from the certificate's public key, and a different one for another key.
    QCOMPARE(TestPki::spkiPin(pki.server().cert).value_or(QString()), pin);
    QVERIFY(TestPki::spkiPin(pki.server(TestPki::Server::UnknownCa).cert).value_or(pin) != pin);
    QVERIFY(!TestPki::spkiPin(m_tmp.filePath(QStringLiteral("missing.pem"))));
}

// ------------------------------------------------------------ NginxServer

void tst_Support::nginxServesFileOverTls_data() { addRows<bool>("http2", {{"http/1.1", false}, {"http/2", true}}); }

void tst_Support::nginxServesFileOverTls()
{
    QFETCH(bool, http2);
    const TestPki &pki = TestPki::shared();
    NginxServer::Options options = nginxOptions();
    options.http2 = http2;
    NginxServer nginx(options);
    const auto started = nginx.start();
    QVERIFY2(started, qPrintable(errorText(started)));
    QVERIFY(nginx.isRunning());
    QCOMPARE(nginx.url().toString(), QStringLiteral("https://127.0.0.1:%1/s16/stable/").arg(nginx.port()));

    FetchOptions allowHttp2;
    allowHttp2.http2 = true; // the client offers h2; the server decides
    const Fetched got = fetch(nginx.url(QStringLiteral("images/image.img")), trusting(pki.caCert()), allowHttp2);
    QCOMPARE(got.error, QNetworkReply::NoError);
    QCOMPARE(got.status, 200);
    QVERIFY(got.body == m_image);
    QCOMPARE(got.http2, http2);

    // curl with the CA and the pin, as the contract's tools see the server.
    const QString out = m_tmp.filePath(QStringLiteral("curl-out.img"));
    const ToolResult curl =
        runTool(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--fail"), QStringLiteral("--cacert"), pki.caCert(),
                                         QStringLiteral("--pinnedpubkey"), pki.serverPin(), QStringLiteral("-o"), out,
                                         nginx.url(QStringLiteral("images/image.img")).toString()});
    QVERIFY2(curl.exitCode == 0, qPrintable(curl.describe()));
    QCOMPARE(sha256Hex(out).value_or(QString()), sha256Hex(m_root + QStringLiteral("/images/image.img")).value_or(QStringLiteral("x")));

    // Outside the prefix nothing is served.
    QCOMPARE(fetch(nginx.url(QStringLiteral("/images/image.img")), trusting(pki.caCert())).status, 404);

    QTRY_COMPARE(nginx.requestCount(QStringLiteral("/s16/stable/images/image.img")), 2);
    QVERIFY(nginx.accessLog().first().startsWith(QStringLiteral("200 ")));
    nginx.stop();
    QVERIFY(!nginx.isRunning());
    QCOMPARE(fetch(nginx.url(QStringLiteral("manifest.json")), trusting(pki.caCert())).error, QNetworkReply::ConnectionRefusedError);
}

void tst_Support::nginxMutualTls_data()
{
    QTest::addColumn<int>("client"); // -1: none, else TestPki::Client
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("verify"); // $ssl_client_verify in the access log
    QTest::newRow("no certificate") << -1 << 400 << QStringLiteral("client=NONE");
    QTest::newRow("trusted") << int(TestPki::Client::Trusted) << 200 << QStringLiteral("client=SUCCESS");
    QTest::newRow("untrusted") << int(TestPki::Client::Untrusted) << 400 << QStringLiteral("client=FAILED");
}

void tst_Support::nginxMutualTls()
{
    QFETCH(int, client);
    QFETCH(int, status);
    QFETCH(QString, verify);
    const TestPki &pki = TestPki::shared();
    NginxServer::Options options = nginxOptions();
    options.clientCaFile = pki.clientCaCert();
    NginxServer nginx(options);
    const auto started = nginx.start();
    QVERIFY2(started, qPrintable(errorText(started)));

    QSslConfiguration ssl = trusting(pki.caCert());
    if (client >= 0)
        useClientCertificate(ssl, pki.client(static_cast<TestPki::Client>(client)));
    const Fetched got = fetch(nginx.url(QStringLiteral("manifest.json")), ssl);
    QCOMPARE(got.status, status);
    if (status == 200)
        QCOMPARE(got.body, QByteArray(R"({"format": 1})"));
    QTRY_COMPARE(nginx.accessLog().size(), 1);
    QVERIFY2(nginx.accessLog().first().contains(verify), qPrintable(nginx.accessLog().first()));
}

void tst_Support::nginxBearerToken_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("status");
    QTest::newRow("none") << QByteArray() << 401;
    QTest::newRow("wrong") << QByteArray("Bearer wrong") << 401;
    QTest::newRow("other scheme") << QByteArray("Basic czE2OnMzY3JldA==") << 401;
    QTest::newRow("right") << QByteArray("Bearer s3cret-T0ken") << 200;
}

void tst_Support::nginxBearerToken()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    const TestPki &pki = TestPki::shared();
    NginxServer::Options options = nginxOptions();
    options.bearerToken = QStringLiteral("s3cret-T0ken");
    NginxServer nginx(options);
    const auto started = nginx.start();
    QVERIFY2(started, qPrintable(errorText(started)));
    FetchOptions request;
    if (!authorization.isEmpty())
        request.headers.append({"Authorization", authorization});
    const Fetched got = fetch(nginx.url(QStringLiteral("manifest.json")), trusting(pki.caCert()), request);
    QCOMPARE(got.status, status);
    QCOMPARE(got.body == R"({"format": 1})", status == 200);
}

void tst_Support::nginxWebDavPutStoresFile()
{
    const TestPki &pki = TestPki::shared();
    const QString dav = m_tmp.filePath(QStringLiteral("dav"));
    QVERIFY(QDir().mkpath(dav));
    NginxServer::Options options = nginxOptions();
    options.davRoot = dav;
    NginxServer nginx(options);
    const auto started = nginx.start();
    QVERIFY2(started, qPrintable(errorText(started)));

    FetchOptions put;
    put.verb = "PUT";
    put.body = R"({"error": "E38"})";
    const Fetched got = fetch(nginx.url(QStringLiteral("/diag/device-0001/20260101T000000Z-1.json")), trusting(pki.caCert()), put);
    QCOMPARE(got.status, 201);
    QCOMPARE(readFile(dav + QStringLiteral("/device-0001/20260101T000000Z-1.json")), put.body);
    // The repository itself is not writable.
    QCOMPARE(fetch(nginx.url(QStringLiteral("put.json")), trusting(pki.caCert()), put).status, 405);
    QVERIFY(!QFileInfo::exists(m_root + QStringLiteral("/put.json")));
}

void tst_Support::nginxOldProtocolsOnly()
{
    const TestPki &pki = TestPki::shared();
    NginxServer::Options options = nginxOptions();
    options.protocols = {QStringLiteral("TLSv1"), QStringLiteral("TLSv1.1")};
    options.ciphers = QStringLiteral("DEFAULT@SECLEVEL=0");
    NginxServer nginx(options);
    const auto started = nginx.start();
    QVERIFY2(started, qPrintable(errorText(started)));

    // A TLS 1.2+ client finds no common protocol.
    const Fetched got = fetch(nginx.url(QStringLiteral("manifest.json")), trusting(pki.caCert()));
    QCOMPARE(got.error, QNetworkReply::SslHandshakeFailedError);
    QCOMPARE(got.status, 0);

    // An old client gets through, so the server really speaks TLS 1.1.
    const ToolResult curl = runTool(
        QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--fail"), QStringLiteral("--tlsv1.0"), QStringLiteral("--tls-max"),
                                 QStringLiteral("1.1"), QStringLiteral("--ciphers"), QStringLiteral("DEFAULT@SECLEVEL=0"),
                                 QStringLiteral("--cacert"), pki.caCert(), nginx.url(QStringLiteral("manifest.json")).toString()});
    QVERIFY2(curl.exitCode == 0, qPrintable(curl.describe()));
    QCOMPARE(curl.out, QByteArray(R"({"format": 1})"));
    QTRY_COMPARE(nginx.requestCount(QStringLiteral("manifest.json")), 1);
    QVERIFY2(nginx.accessLog().first().contains(QStringLiteral("tls=TLSv1.1")), qPrintable(nginx.accessLog().first()));
}

void tst_Support::nginxLimitRateSlowsDownload()
{
    const TestPki &pki = TestPki::shared();
    NginxServer::Options options = nginxOptions();
    options.limitRateBytesPerSecond = 100 * 1024;
    NginxServer nginx(options);
    const auto started = nginx.start();
    QVERIFY2(started, qPrintable(errorText(started)));
    // nginx lets the first second's worth through at once, then holds the rate:
    // 300 KiB at 100 KiB/s takes about 2 s instead of milliseconds.
    QElapsedTimer timer;
    timer.start();
    const Fetched got = fetch(nginx.url(QStringLiteral("images/image.img")), trusting(pki.caCert()));
    const qint64 elapsed = timer.elapsed();
    QCOMPARE(got.status, 200);
    QVERIFY(got.body == m_image);
    QVERIFY2(elapsed >= 1500, qPrintable(QString::number(elapsed)));
}

void tst_Support::nginxStartFailureCarriesErrorLog()
{
    NginxServer::Options options = nginxOptions();
    options.certFile = m_tmp.filePath(QStringLiteral("missing.pem"));
    NginxServer nginx(options);
    QElapsedTimer timer;
    timer.start();
    const auto started = nginx.start();
    QVERIFY(!started);
    QVERIFY2(started.error().contains(QStringLiteral("cannot load certificate")), qPrintable(errorText(started)));
    QVERIFY2(started.error().contains(QStringLiteral("missing.pem")), qPrintable(errorText(started)));
    QVERIFY(!nginx.isRunning());
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

// ------------------------------------------------------------ FaultServer

void tst_Support::faultServerServesRanges_data()
{
    QTest::addColumn<QByteArray>("range");
    QTest::addColumn<int>("status");
    QTest::addColumn<qint64>("first");
    QTest::addColumn<qint64>("length");
    QTest::addColumn<QByteArray>("contentRange");
    const qint64 size = 300 * 1024;
    QTest::newRow("whole") << QByteArray() << 200 << qint64(0) << size << QByteArray();
    QTest::newRow("from 1000") << QByteArray("bytes=1000-") << 206 << qint64(1000) << size - 1000 << QByteArray("bytes 1000-307199/307200");
    QTest::newRow("10 to 19") << QByteArray("bytes=10-19") << 206 << qint64(10) << qint64(10) << QByteArray("bytes 10-19/307200");
    QTest::newRow("last byte") << QByteArray("bytes=307199-") << 206 << qint64(307199) << qint64(1)
                               << QByteArray("bytes 307199-307199/307200");
    QTest::newRow("past the end") << QByteArray("bytes=307200-") << 416 << qint64(0) << qint64(0) << QByteArray("bytes */307200");
}

void tst_Support::faultServerServesRanges()
{
    QFETCH(QByteArray, range);
    QFETCH(int, status);
    QFETCH(qint64, first);
    QFETCH(qint64, length);
    QFETCH(QByteArray, contentRange);
    const TestPki &pki = TestPki::shared();
    FaultServer server;
    const auto started = server.start({m_root, QStringLiteral("/s16/stable/"), pki.server().cert, pki.server().key});
    QVERIFY2(started, qPrintable(errorText(started)));
    FetchOptions request;
    if (!range.isEmpty())
        request.headers.append({"Range", range});
    const Fetched got = fetch(server.url(QStringLiteral("images/image.img")), trusting(pki.caCert()), request);
    QCOMPARE(got.status, status);
    QCOMPARE(got.contentRange, contentRange);
    QCOMPARE(got.body.size(), length);
    QVERIFY(got.body == m_image.mid(first, length));
    QCOMPARE(server.requestCount(QStringLiteral("images/image.img")), 1);
    QCOMPARE(server.requests().first().header("range"), range);
}

Q_DECLARE_METATYPE(FaultServer::Fault)

void tst_Support::faultServerFaults_data()
{
    using Fault = FaultServer::Fault;
    using Errors = QList<QNetworkReply::NetworkError>;
    QTest::addColumn<Fault>("fault");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<Errors>("errors"); // any of these
    QTest::addColumn<int>("status");
    QTest::addColumn<qint64>("bodySize"); // -1: do not compare
    const qint64 size = 300 * 1024;
    const auto closed = QNetworkReply::RemoteHostClosedError;
    for (const bool tls : {true, false}) {
        const QByteArray t = tls ? "https: " : "http: ";
        // Qt 6.4 over plain HTTP sometimes finishes a body cut short by the
        // server with NoError (it races the socket's close against the
        // parser): only the byte count tells. Over TLS it always reports it.
        const Errors cut = tls ? Errors{closed} : Errors{closed, QNetworkReply::NoError};
        QTest::newRow(QByteArray(t + "truncate").constData()) << Fault::truncate(1000) << tls << cut << 200 << qint64(1000);
        QTest::newRow(QByteArray(t + "reset").constData()) << Fault::resetMidBody(1000) << tls << cut << 200 << qint64(1000);
        QTest::newRow(QByteArray(t + "refuse").constData()) << Fault::refuse() << tls << Errors{closed} << 0 << qint64(0);
        QTest::newRow(QByteArray(t + "stall").constData())
            << Fault::stall(1000) << tls << Errors{QNetworkReply::OperationCanceledError} << 200 << qint64(1000);
        QTest::newRow(QByteArray(t + "extra bytes").constData())
            << Fault::extraBytes(100) << tls << Errors{QNetworkReply::NoError} << 200 << size + 100;
    }
    QTest::newRow("500") << Fault::httpStatus(500) << true << Errors{QNetworkReply::InternalServerError} << 500 << qint64(-1);
    QTest::newRow("503") << Fault::httpStatus(503, {{"Retry-After", "120"}}) << true << Errors{QNetworkReply::ServiceUnavailableError}
                         << 503 << qint64(-1);
    QTest::newRow("401") << Fault::httpStatus(401) << true << Errors{QNetworkReply::AuthenticationRequiredError} << 401 << qint64(-1);
    QTest::newRow("403") << Fault::httpStatus(403) << true << Errors{QNetworkReply::ContentAccessDenied} << 403 << qint64(-1);
    QTest::newRow("404") << Fault::httpStatus(404) << true << Errors{QNetworkReply::ContentNotFoundError} << 404 << qint64(-1);
    QTest::newRow("429") << Fault::httpStatus(429) << true << Errors{QNetworkReply::UnknownContentError} << 429 << qint64(-1);
    QTest::newRow("302") << Fault::redirect("https://example.invalid/x") << true << Errors{QNetworkReply::NoError} << 302 << qint64(0);
    QTest::newRow("301 to http") << Fault::redirect("http://127.0.0.1/x", 301) << true << Errors{QNetworkReply::NoError} << 301
                                 << qint64(0);
}

void tst_Support::faultServerFaults()
{
    QFETCH(FaultServer::Fault, fault);
    QFETCH(bool, tls);
    QFETCH(QList<QNetworkReply::NetworkError>, errors);
    QFETCH(int, status);
    QFETCH(qint64, bodySize);
    const TestPki &pki = TestPki::shared();
    FaultServer server;
    const auto started = server.start(faultServerOptions(m_root, QStringLiteral("/s16/stable/"), tls));
    QVERIFY2(started, qPrintable(errorText(started)));
    QCOMPARE(server.url().scheme(), tls ? QStringLiteral("https") : QStringLiteral("http"));
    server.setFault(QStringLiteral("images/image.img"), fault);

    FetchOptions request;
    request.transferTimeoutMs = 1000; // a stalled body ends the transfer after a second
    QElapsedTimer timer;
    timer.start();
    const Fetched got = fetch(server.url(QStringLiteral("images/image.img")), trusting(pki.caCert()), request);
    QVERIFY2(errors.contains(got.error), qPrintable(QString::number(int(got.error)))); // QTest::toString's buffer would leak
    QCOMPARE(got.status, status);
    if (bodySize >= 0)
        QCOMPARE(got.body.size(), bodySize);
    if (fault.kind != FaultServer::Fault::Kind::Status)
        QVERIFY(m_image.startsWith(got.body.left(m_image.size())));
    QVERIFY(server.requestCount(QStringLiteral("images/image.img")) >= 1);
    QVERIFY(server.requests().first().faulted);

    switch (fault.kind) {
    case FaultServer::Fault::Kind::Stall: QVERIFY2(timer.elapsed() >= 900, qPrintable(QString::number(timer.elapsed()))); break;
    case FaultServer::Fault::Kind::ExtraBytes: QCOMPARE(got.body.mid(m_image.size()), QByteArray(100, 'X')); break;
    case FaultServer::Fault::Kind::Redirect: QCOMPARE(got.location, fault.location); break;
    case FaultServer::Fault::Kind::Status: QCOMPARE(got.retryAfter, status == 503 ? QByteArray("120") : QByteArray()); break;
    default: break;
    }
    // Other paths are untouched by the fault.
    const Fetched manifest = fetch(server.url(QStringLiteral("manifest.json")), trusting(pki.caCert()));
    QCOMPARE(manifest.status, 200);
    QCOMPARE(manifest.body, QByteArray(R"({"format": 1})"));
}

void tst_Support::faultServerResetAndTruncateSeenByCurl_data()
{
    QTest::addColumn<FaultServer::Fault>("fault");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<int>("curlExit");
    for (const bool tls : {true, false}) {
        const QByteArray t = tls ? "https: " : "http: ";
        // 18: CURLE_PARTIAL_FILE (clean close before Content-Length); 56: CURLE_RECV_ERROR (reset by peer)
        QTest::newRow(QByteArray(t + "truncate").constData()) << FaultServer::Fault::truncate(5000) << tls << 18;
        QTest::newRow(QByteArray(t + "reset").constData()) << FaultServer::Fault::resetMidBody(5000) << tls << 56;
        QTest::newRow(QByteArray(t + "none").constData()) << FaultServer::Fault::truncate(5000).firstRequests(0) << tls << 0;
    }
}

void tst_Support::faultServerResetAndTruncateSeenByCurl()
{
    QFETCH(FaultServer::Fault, fault);
    QFETCH(bool, tls);
    QFETCH(int, curlExit);
    const TestPki &pki = TestPki::shared();
    FaultServer server;
    QVERIFY(server.start(faultServerOptions(m_root, QStringLiteral("/"), tls)));
    server.setFault(QStringLiteral("images/image.img"), fault);
    const QString out = m_tmp.filePath(QStringLiteral("curl-fault.img"));
    QFile::remove(out);
    const ToolResult curl =
        runTool(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--cacert"), pki.caCert(), QStringLiteral("-o"), out,
                                         server.url(QStringLiteral("images/image.img")).toString()});
    QVERIFY2(curl.exitCode == curlExit, qPrintable(curl.describe()));
    const QByteArray received = readFile(out);
    if (curlExit == 0)
        QVERIFY(received == m_image);
    else
        QVERIFY2(received.size() == 5000 && m_image.startsWith(received), qPrintable(QString::number(received.size())));
}

void tst_Support::faultServerExtraBytesBeyondContentLength()
{
    // A raw reader, because an HTTP client stops at Content-Length.
    FaultServer server;
    QVERIFY(server.start({m_root, QStringLiteral("/"), {}, {}}));
    server.setFault(QStringLiteral("manifest.json"), FaultServer::Fault::extraBytes(7, true));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("GET /manifest.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray response;
    QTRY_VERIFY_WITH_TIMEOUT((response += socket.readAll(), socket.state() == QAbstractSocket::UnconnectedState), 5000);
    response += socket.readAll();
    const qsizetype split = response.indexOf("\r\n\r\n");
    QVERIFY(split > 0);
    QVERIFY2(response.left(split).contains("\r\nContent-Length: 13\r\n"), response.constData());
    QCOMPARE(response.mid(split + 4), QByteArray(R"({"format": 1})") + "XXXXXXX");
}

void tst_Support::faultServerRefusesConnections_data()
{
    QTest::addColumn<bool>("tls");
    QTest::addColumn<int>("curlExit");
    QTest::newRow("https") << true << 35; // CURLE_SSL_CONNECT_ERROR: closed during the handshake
    QTest::newRow("http") << false << 52; // CURLE_GOT_NOTHING: closed without a response
}

void tst_Support::faultServerRefusesConnections()
{
    QFETCH(bool, tls);
    QFETCH(int, curlExit);
    const TestPki &pki = TestPki::shared();
    FaultServer server;
    QVERIFY(server.start(faultServerOptions(m_root, QStringLiteral("/"), tls)));
    server.refuseConnections(1);
    const QStringList args{QStringLiteral("-sS"), QStringLiteral("--cacert"), pki.caCert(),
                           server.url(QStringLiteral("manifest.json")).toString()};
    const ToolResult refused = runTool(QStringLiteral("curl"), args);
    QVERIFY2(refused.exitCode == curlExit, qPrintable(refused.describe()));
    QCOMPARE(server.connectionCount(), 1);
    QVERIFY(server.requests().isEmpty());
    const ToolResult served = runTool(QStringLiteral("curl"), args);
    QVERIFY2(served.exitCode == 0, qPrintable(served.describe()));
    QCOMPARE(served.out, QByteArray(R"({"format": 1})"));
    QCOMPARE(server.connectionCount(), 2);
    QCOMPARE(server.requestCount(QStringLiteral("manifest.json")), 1);
}

void tst_Support::faultServerFaultForFirstRequestsOnly()
{
    const TestPki &pki = TestPki::shared();
    FaultServer server;
    QVERIFY(server.start({m_root, QStringLiteral("/s16/stable/"), pki.server().cert, pki.server().key}));
    server.setFault(QStringLiteral("/s16/stable/images/image.img"), FaultServer::Fault::truncate(100).firstRequests(2));
    const QUrl url = server.url(QStringLiteral("images/image.img"));
    QCOMPARE(fetch(url, trusting(pki.caCert())).body.size(), 100);
    QCOMPARE(fetch(url, trusting(pki.caCert())).body.size(), 100);
    const Fetched third = fetch(url, trusting(pki.caCert()));
    QCOMPARE(third.error, QNetworkReply::NoError);
    QVERIFY(third.body == m_image);
    const auto requests = server.requests();
    QCOMPARE(requests.size(), 3);
    QVERIFY(requests.at(0).faulted);
    QVERIFY(requests.at(1).faulted);
    QVERIFY(!requests.at(2).faulted);

    server.setFault(QStringLiteral("images/image.img"), FaultServer::Fault::httpStatus(503));
    QCOMPARE(fetch(url, trusting(pki.caCert())).status, 503);
    server.clearFaults();
    QCOMPARE(fetch(url, trusting(pki.caCert())).status, 200);
}

void tst_Support::faultServerRecordsRequests()
{
    FaultServer server;
    QVERIFY(server.start({m_root, QStringLiteral("/s16/stable/"), {}, {}}));
    FetchOptions get;
    get.headers = {{"Authorization", "Bearer abc"}, {"Range", "bytes=5-"}};
    QCOMPARE(fetch(server.url(QStringLiteral("images/image.img?x=1")), {}, get).status, 206);
    FetchOptions put;
    put.verb = "PUT";
    put.body = "report";
    QCOMPARE(fetch(server.url(QStringLiteral("/diag/a%20b.json")), {}, put).status, 201);

    const auto requests = server.requests();
    QCOMPARE(requests.size(), 2);
    QCOMPARE(requests.at(0).method, QByteArray("GET"));
    QCOMPARE(requests.at(0).target, QByteArray("/s16/stable/images/image.img?x=1"));
    QCOMPARE(requests.at(0).path, QStringLiteral("/s16/stable/images/image.img"));
    QCOMPARE(requests.at(0).header("authorization"), QByteArray("Bearer abc"));
    QCOMPARE(requests.at(0).header("RANGE"), QByteArray("bytes=5-"));
    QCOMPARE(requests.at(0).header("X-Missing"), QByteArray());
    QCOMPARE(requests.at(1).method, QByteArray("PUT"));
    QCOMPARE(requests.at(1).path, QStringLiteral("/diag/a b.json"));
    QCOMPARE(requests.at(1).body, QByteArray("report"));
    QCOMPARE(server.requestCount(QStringLiteral("/diag/a b.json")), 1);
}

void tst_Support::faultServerRejectedCertificates_data()
{
    QTest::addColumn<TestPki::Server>("kind");
    QTest::addColumn<QSslError::SslError>("expected");
    QTest::newRow("good") << TestPki::Server::Good << QSslError::NoError;
    QTest::newRow("self-signed") << TestPki::Server::SelfSigned << QSslError::SelfSignedCertificate;
    QTest::newRow("expired") << TestPki::Server::Expired << QSslError::CertificateExpired;
    QTest::newRow("not yet valid") << TestPki::Server::NotYetValid << QSslError::CertificateNotYetValid;
    QTest::newRow("wrong host") << TestPki::Server::WrongHost << QSslError::HostNameMismatch;
    QTest::newRow("unknown CA") << TestPki::Server::UnknownCa << QSslError::UnableToGetLocalIssuerCertificate;
}

void tst_Support::faultServerRejectedCertificates()
{
    QFETCH(TestPki::Server, kind);
    QFETCH(QSslError::SslError, expected);
    const TestPki &pki = TestPki::shared();
    FaultServer server;
    const auto started = server.start({m_root, QStringLiteral("/"), pki.server(kind).cert, pki.server(kind).key});
    QVERIFY2(started, qPrintable(errorText(started)));
    // The certificates name 127.0.0.1 and localhost. A machine without /etc/hosts (a bare
    // debootstrap root) cannot resolve localhost: the IP alone is checked there.
    QStringList hosts{QStringLiteral("127.0.0.1")};
    if (!QHostInfo::fromName(QStringLiteral("localhost")).addresses().isEmpty())
        hosts << QStringLiteral("localhost");
    else
        qInfo("localhost does not resolve here: checking 127.0.0.1 only");
    for (const QString &host : std::as_const(hosts)) {
        QUrl url = server.url(QStringLiteral("manifest.json"));
        url.setHost(host);
        const Fetched got = fetch(url, trusting(pki.caCert()));
        if (expected == QSslError::NoError) {
            QCOMPARE(got.error, QNetworkReply::NoError);
            QVERIFY(got.sslErrors.isEmpty());
            QCOMPARE(got.status, 200);
        } else {
            QCOMPARE(got.error, QNetworkReply::SslHandshakeFailedError);
            QVERIFY2(got.sslErrors.contains(expected), qPrintable(QString::number(got.sslErrors.size())));
            QCOMPARE(got.status, 0);
        }
    }
}

void tst_Support::unusedPortRefusesConnections()
{
    const quint16 port = FaultServer::unusedPort();
    QVERIFY(port != 0);
    const Fetched got = fetch(QUrl(QStringLiteral("https://127.0.0.1:%1/manifest.json").arg(port)), trusting(TestPki::shared().caCert()));
    QCOMPARE(got.error, QNetworkReply::ConnectionRefusedError);
}

void tst_Support::faultServerStreamsLargeFile()
{
    const TestPki &pki = TestPki::shared();
    const QString big = m_tmp.filePath(QStringLiteral("big/image.img"));
    QVERIFY(QDir().mkpath(m_tmp.filePath(QStringLiteral("big"))));
    constexpr qint64 size = 64 * 1024 * 1024;
    QVERIFY(writeRandomFile(big, size, 64));
    FaultServer server;
    QVERIFY(server.start({m_tmp.filePath(QStringLiteral("big")), QStringLiteral("/"), pki.server().cert, pki.server().key}));

    // Reset the peak-RSS mark, so what follows is measured on its own.
    QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
    QVERIFY(clearRefs.open(QIODevice::WriteOnly));
    QVERIFY(clearRefs.write("5") == 1);
    clearRefs.close();
    const qint64 before = peakRss();
    QVERIFY(before > 0);

    const QString out = m_tmp.filePath(QStringLiteral("big-out.img"));
    const ToolResult curl =
        runTool(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--fail"), QStringLiteral("--cacert"), pki.caCert(),
                                         QStringLiteral("-o"), out, server.url(QStringLiteral("image.img")).toString()});
    QVERIFY2(curl.exitCode == 0, qPrintable(curl.describe()));
    QCOMPARE(QFileInfo(out).size(), size);
    QCOMPARE(sha256Hex(out).value_or(QString()), sha256Hex(big).value_or(QStringLiteral("x")));
    const qint64 growth = peakRss() - before;
#if defined(__SANITIZE_ADDRESS__)
    QSKIP("ASan's quarantine keeps freed memory resident: the peak RSS says nothing here");
#endif
    QVERIFY2(growth < 16 * 1024 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 bytes").arg(growth)));
    QFile::remove(out);
    QFile::remove(big);
}

QTEST_GUILESS_MAIN(tst_Support)
#include "tst_support.moc"
