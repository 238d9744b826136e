// The pure parts of the transport (core/online/transport.h) that read what a server
// says: Retry-After, Content-Length, what an HTTP status means, and which redirects
// are followed. tests/fuzz/httpheaders runs the same functions on any bytes.
#include "online/transport.h"

#include <QTest>

#include <limits>

using namespace s16;

Q_DECLARE_METATYPE(std::optional<int>)
Q_DECLARE_METATYPE(std::optional<qint64>)
Q_DECLARE_METATYPE(s16::NetOutcome)

class tst_HttpHeaders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void retryAfter_data();
    void retryAfter();
    void contentLength_data();
    void contentLength();
    void outcomeForStatus_data();
    void outcomeForStatus();
    void redirect_data();
    void redirect();
};

void tst_HttpHeaders::retryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<std::optional<int>>("expected");
    const std::optional<int> ignored;
    QTest::newRow("seconds") << QByteArray("120") << std::optional(120);
    QTest::newRow("zero") << QByteArray("0") << std::optional(0);
    QTest::newRow("white space around") << QByteArray(" 5\t") << std::optional(5);
    QTest::newRow("beyond int is the largest") << QByteArray("99999999999") << std::optional(std::numeric_limits<int>::max());
    QTest::newRow("beyond qint64 too") << QByteArray("99999999999999999999999") << std::optional(std::numeric_limits<int>::max());
    QTest::newRow("absent") << QByteArray() << ignored;
    QTest::newRow("negative") << QByteArray("-5") << ignored;
    QTest::newRow("plus sign") << QByteArray("+5") << ignored;
    QTest::newRow("fraction") << QByteArray("1.5") << ignored;
    QTest::newRow("http date") << QByteArray("Fri, 31 Dec 1999 23:59:59 GMT") << ignored;
    QTest::newRow("two values") << QByteArray("5, 6") << ignored;
}

void tst_HttpHeaders::retryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(std::optional<int>, expected);
    QCOMPARE(parseRetryAfter(value), expected);
}

void tst_HttpHeaders::contentLength_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<std::optional<qint64>>("expected");
    const std::optional<qint64> none;
    QTest::newRow("length") << QByteArray("1048576") << std::optional<qint64>(1048576);
    QTest::newRow("zero") << QByteArray("0") << std::optional<qint64>(0);
    QTest::newRow("white space around") << QByteArray(" 10 ") << std::optional<qint64>(10);
    QTest::newRow("largest") << QByteArray("9223372036854775807") << std::optional(std::numeric_limits<qint64>::max());
    QTest::newRow("absent") << QByteArray() << none;
    QTest::newRow("negative") << QByteArray("-1") << none;
    QTest::newRow("overflowing") << QByteArray("9223372036854775808") << none;
    QTest::newRow("two values joined") << QByteArray("10, 10") << none;
    QTest::newRow("hex") << QByteArray("0x10") << none;
}

void tst_HttpHeaders::contentLength()
{
    QFETCH(QByteArray, value);
    QFETCH(std::optional<qint64>, expected);
    QCOMPARE(parseContentLength(value), expected);
}

void tst_HttpHeaders::outcomeForStatus_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("complete");
    QTest::addColumn<QString>("page");
    QTest::addColumn<NetOutcome>("expected");
    const QString none;
    QTest::newRow("200") << 200 << true << none << NetOutcome::Ok;
    QTest::newRow("206") << 206 << true << none << NetOutcome::Ok;
    QTest::newRow("200 cut off") << 200 << false << none << NetOutcome::Interrupted;
    QTest::newRow("401") << 401 << true << none << NetOutcome::AuthRejected;
    QTest::newRow("403") << 403 << true << none << NetOutcome::AuthRejected;
    QTest::newRow("400 nginx client certificate")
        << 400 << true << QStringLiteral("<h1>400 No required SSL certificate was sent</h1>") << NetOutcome::AuthRejected;
    QTest::newRow("400 other") << 400 << true << QStringLiteral("bad request") << NetOutcome::ClientError;
    QTest::newRow("404") << 404 << true << none << NetOutcome::ClientError;
    QTest::newRow("416") << 416 << true << none << NetOutcome::ClientError;
    QTest::newRow("408") << 408 << true << none << NetOutcome::ServerBusy;
    QTest::newRow("429") << 429 << true << none << NetOutcome::ServerBusy;
    QTest::newRow("500") << 500 << true << none << NetOutcome::ServerBusy;
    QTest::newRow("503 cut off") << 503 << false << none << NetOutcome::ServerBusy;
    QTest::newRow("999") << 999 << true << none << NetOutcome::ServerBusy;
    QTest::newRow("100") << 100 << true << none << NetOutcome::ClientError;
}

void tst_HttpHeaders::outcomeForStatus()
{
    QFETCH(int, status);
    QFETCH(bool, complete);
    QFETCH(QString, page);
    QFETCH(NetOutcome, expected);
    QCOMPARE(s16::outcomeForStatus(status, complete, page), expected);
}

void tst_HttpHeaders::redirect_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("target");
    QTest::addColumn<bool>("allowHttp");
    QTest::addColumn<bool>("allowed");
    const QString https = QStringLiteral("https://updates.example.com/s16/");
    const QString http = QStringLiteral("http://updates.example.com:8080/s16/");
    QTest::newRow("same host, other path") << https << QStringLiteral("https://updates.example.com/mirror/x") << false << true;
    QTest::newRow("explicit default port") << https << QStringLiteral("https://updates.example.com:443/x") << false << true;
    QTest::newRow("host in other case") << https << QStringLiteral("https://UPDATES.example.com/x") << false << true;
    QTest::newRow("other host") << https << QStringLiteral("https://evil.example.com/x") << false << false;
    QTest::newRow("other port") << https << QStringLiteral("https://updates.example.com:8443/x") << false << false;
    QTest::newRow("down to http") << https << QStringLiteral("http://updates.example.com/x") << true << false;
    QTest::newRow("down to http, port 443") << https << QStringLiteral("http://updates.example.com:443/x") << true << false;
    QTest::newRow("other scheme") << https << QStringLiteral("ftp://updates.example.com/x") << false << false;
    QTest::newRow("user info at another host") << https << QStringLiteral("https://updates.example.com@evil.example.com/x") << false
                                               << false;
    QTest::newRow("invalid port (fuzz)") << https << QStringLiteral("https://updates.example.com:<443/") << false << false;
    QTest::newRow("http allowed, same origin") << http << QStringLiteral("http://updates.example.com:8080/y") << true << true;
    QTest::newRow("http not allowed") << http << QStringLiteral("http://updates.example.com:8080/y") << false << false;
    QTest::newRow("http allowed, other port") << http << QStringLiteral("http://updates.example.com/y") << true << false;
}

void tst_HttpHeaders::redirect()
{
    QFETCH(QString, base);
    QFETCH(QString, target);
    QFETCH(bool, allowHttp);
    QFETCH(bool, allowed);
    QCOMPARE(isAllowedRedirect(QUrl(base), QUrl(target), allowHttp), allowed);
}

QTEST_GUILESS_MAIN(tst_HttpHeaders)
#include "tst_httpheaders.moc"
