// The normal system's check, E01-E20, against real nginx over TLS and the
// in-process fault server for what nginx cannot do.
#include "fixture.h"

#include "support/datatable.h"
#include "support/faultserver.h"
#include "support/nginxserver.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include "crypto/crypto.h"
#include "store/devicestate.h"
#include "publisher.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <unistd.h>

using namespace s16;
using namespace s16::test;

class tst_OnlineCheck : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void e01_e02_e03_e10_e11_e13_e14_e16_e17_e19_noNewerVersionWaits();
    void e20_checkAgainAfterWaiting();
    void resumePointAfterARestart_data();
    void resumePointAfterARestart();
    void e17_newerVersionIsAvailable();
    void e04_e05_e06_retryUntilTheServerAnswers_data();
    void e04_e05_e06_retryUntilTheServerAnswers();
    void e04_e07_connectionClosedWithoutResponse();
    void e02_proxyOfTheEnvironmentIsNotUsed();
    void e03_e04_connectionClosedInTheHandshakeIsTriedAgain();
    void e07_unreachableAfterMaxTries();
    void e12_invalidCertificateIsRejected_data();
    void e12_invalidCertificateIsRejected();
    void e12_pinnedKeyMismatch();
    void e12_oldTlsProtocolRefused();
    void e15_authenticationRejected_data();
    void e15_authenticationRejected();
    void e14_authenticatedWithTokenAndClientCertificate();
    void e18_metadataRejected_data();
    void e18_metadataRejected();
    void e18_replayedOlderManifestRefused();
    void e18_keyRotation();
    void e08_errorIsLoggedForTheApp();
    void plainHttpRefusedWithoutOptIn();
    // added with the mutation run (tests/mutations/mutations.txt): each kills mutations the tests above let live
    void e04_e05_e06_waitBeforeEachTry_data();
    void e04_e05_e06_waitBeforeEachTry();
    void e04_e06_busyServerIsTriedAgain_data();
    void e04_e06_busyServerIsTriedAgain();
    void e15_refusedStatusIsAuthenticationRejected_data();
    void e15_refusedStatusIsAuthenticationRejected();
    void e17_unreadableRunningVersionCountsAsOlder();
    void e18_replayRefusedByVersionOrByDate_data();
    void e18_replayRefusedByVersionOrByDate();
    void e04_e06_failedMetadataFileIsTriedAgain_data();
    void e04_e06_failedMetadataFileIsTriedAgain();
    void e06_eachTryConnectsAnew();
    void e15_certificateRefusedInTheHandshake_data();
    void e15_certificateRefusedInTheHandshake();
    void e10_e12_oldTlsRefusedWhereOpenSslAllowsIt();

private:
    OnlineFixture m_fx;
    QString m_repo;
};

void tst_OnlineCheck::initTestCase()
{
    QVERIFY(TestPki::shared().isValid());
    QVERIFY(m_fx.isValid());
    m_repo = m_fx.repo();
    QVERIFY(m_fx.publish(m_repo, Release{}));
}

void tst_OnlineCheck::e01_e02_e03_e10_e11_e13_e14_e16_e17_e19_noNewerVersionWaits()
{
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url(), {}, QStringLiteral("1.1.0")).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E11 E13 E14 E16 E17 E19"));
    QVERIFY(!run.check.available);
    QCOMPARE(run.check.version, QStringLiteral("1.1.0"));
    auto j = m_fx.journal();
    QCOMPARE(j->value(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("WaitForImage"));
    QVERIFY(!j->value(QStringLiteral("lastCheck")).toString().isEmpty());
    QCOMPARE(QDir(m_fx.deviceDir() + QStringLiteral("/update")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
}

void tst_OnlineCheck::e20_checkAgainAfterWaiting()
{
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url(), {}, QStringLiteral("1.1.0")).isEmpty());
    QVERIFY(!m_fx.run(false).error);
    const auto again = m_fx.run(false);
    QVERIFY(!again.error);
    QCOMPARE(again.path.first(), Edge::E20); // from WaitForImage straight to ConnectRepo
    QVERIFY(!again.path.contains(Edge::E01));
    QCOMPARE(nginx->requestCount(QStringLiteral("/manifest.json.sig")), 2);
}

void tst_OnlineCheck::resumePointAfterARestart_data()
{
    QTest::addColumn<int>("recorded"); // the node a cut left in the journal; -1: none
    QTest::addColumn<int>("first");    // the first edge the next check takes
    QTest::newRow("nothing recorded") << -1 << int(Edge::E01);
    QTest::newRow("waiting for the next check") << int(Node::WaitForImage) << int(Edge::E20);
    QTest::newRow("cut while fetching the metadata") << int(Node::SuccessImageRepo) << int(Edge::E01);
    QTest::newRow("cut while receiving") << int(Node::ReceiveFile) << int(Edge::E01);
    QTest::newRow("cut while staging") << int(Node::MoveFile) << int(Edge::E01);
    QTest::newRow("after an error") << int(Node::Consent) << int(Edge::E01);
}

// The online part's resume points (onlineResumeNode): after a power cut anywhere in a cycle the
// next one starts over at E01, only a rest before the next check goes on by E20.
void tst_OnlineCheck::resumePointAfterARestart()
{
    QFETCH(int, recorded);
    QFETCH(int, first);
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url(), {}, QStringLiteral("1.1.0")).isEmpty());
    if (recorded >= 0) {
        auto j = m_fx.journal();
        const auto into = std::find_if(allEdges().begin(), allEdges().end(), [&](const EdgeInfo &e) { return e.to == Node(recorded); });
        QVERIFY(into != allEdges().end());
        QVERIFY(DeviceState(*j).setFlow(Node(recorded), into->id));
    }
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(!run.path.isEmpty());
    QCOMPARE(int(run.path.first()), first);
    QCOMPARE(pathString(run.path.mid(1)), QStringLiteral("E02 E03 E10 E11 E13 E14 E16 E17 E19"));
}

void tst_OnlineCheck::e17_newerVersionIsAvailable()
{
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(!run.error);
    QVERIFY(run.check.available);
    QCOMPARE(run.check.version, QStringLiteral("1.1.0"));
    QCOMPARE(run.check.size, 256 * 1024);
    QCOMPARE(run.path.last(), Edge::E17); // a check decides; the download takes E21 itself
    QVERIFY(!run.path.contains(Edge::E19));
    QCOMPARE(m_fx.journal()->value(QStringLiteral("lastTrusted")).toObject().value(QStringLiteral("version")).toString(),
             QStringLiteral("1.1.0"));
}

void tst_OnlineCheck::e04_e05_e06_retryUntilTheServerAnswers_data()
{
    // "kind": 1 503 with Retry-After, 2 502
    addRows<int>("kind", {{"HTTP 503", 1}, {"HTTP 502", 2}});
}

void tst_OnlineCheck::e04_e05_e06_retryUntilTheServerAnswers()
{
    QFETCH(int, kind);
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    const auto fault = kind == 1 ? FaultServer::Fault::httpStatus(503, {{"Retry-After", "0"}}) : FaultServer::Fault::httpStatus(502);
    server.setFault(QStringLiteral("/s16/manifest.json"), fault.firstRequests(2));
    QVERIFY(!m_fx.makeDevice(server.url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(countOf(run.path, Edge::E04), 2);
    QCOMPARE(countOf(run.path, Edge::E06), 2);
    QVERIFY(pathContains(run.path,
                         {Edge::E02, Edge::E04, Edge::E05, Edge::E06, Edge::E02, Edge::E04, Edge::E05, Edge::E06, Edge::E02, Edge::E03}));
    QCOMPARE(server.requestCount(QStringLiteral("/s16/manifest.json")), 3);
    QVERIFY(run.check.available);
}

void tst_OnlineCheck::e04_e07_connectionClosedWithoutResponse()
{
    // The connection closes after the request, without a response: each try ends as a
    // failed connection (an HTTP client may resend an idempotent request once by itself).
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    server.setFault(QStringLiteral("/s16/manifest.json"), FaultServer::Fault::refuse());
    QVERIFY(!m_fx.makeDevice(server.url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::ServerUnreachable);
    QCOMPARE(countOf(run.path, Edge::E04), 3);
    QVERIFY(server.requestCount(QStringLiteral("/s16/manifest.json")) >= 3);
}

void tst_OnlineCheck::e03_e04_connectionClosedInTheHandshakeIsTriedAgain()
{
    // The server closes the connection before the TLS handshake is done: the connection failed
    // and is tried again (E04), it is no verdict on the server's certificate (E10, E12).
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    server.refuseConnections(1);
    QVERIFY(!m_fx.makeDevice(server.url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(pathString(run.path).left(23), QStringLiteral("E01 E02 E04 E05 E06 E02"));
    QVERIFY(!run.path.contains(Edge::E12));
    QCOMPARE(server.requestCount(QStringLiteral("/s16/manifest.json")), 1); // the closed connection carried none
    QVERIFY(run.check.available);
}

void tst_OnlineCheck::e02_proxyOfTheEnvironmentIsNotUsed()
{
    // The device talks to its configured server and nothing else: a proxy named by the
    // environment (here one that cannot be reached) is not used.
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const QByteArray proxy = "http://127.0.0.1:" + QByteArray::number(FaultServer::unusedPort());
    for (const char *name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
        qputenv(name, proxy);
    const auto run = m_fx.run(false);
    for (const char *name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
        qunsetenv(name);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(!run.path.contains(Edge::E04));
    QVERIFY(run.check.available);
}

void tst_OnlineCheck::e07_unreachableAfterMaxTries()
{
    const QUrl unreachable = FaultServer::unreachableUrl(QStringLiteral("/s16/"));
    QVERIFY(!m_fx.makeDevice(unreachable, {{QStringLiteral("server/maxTries"), QStringLiteral("4")}}).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::ServerUnreachable);
    QCOMPARE(run.error->edge, std::optional(Edge::E07));
    QCOMPARE(countOf(run.path, Edge::E02), 4); // maxTries tries in all
    QCOMPARE(countOf(run.path, Edge::E06), 3);
    QVERIFY(pathContains(run.path, {Edge::E04, Edge::E05, Edge::E07, Edge::E08}));
}

void tst_OnlineCheck::e12_invalidCertificateIsRejected_data()
{
    addRows<int>("kind", {{"self-signed", int(TestPki::Server::SelfSigned)},
                          {"expired", int(TestPki::Server::Expired)},
                          {"not yet valid", int(TestPki::Server::NotYetValid)},
                          {"wrong host", int(TestPki::Server::WrongHost)},
                          {"unknown CA", int(TestPki::Server::UnknownCa)}});
}

void tst_OnlineCheck::e12_invalidCertificateIsRejected()
{
    QFETCH(int, kind);
    NginxServer::Options o;
    o.certFile = TestPki::shared().server(TestPki::Server(kind)).cert;
    o.keyFile = TestPki::shared().server(TestPki::Server(kind)).key;
    auto nginx = startRepoServer(m_repo, o);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::TlsRejected);
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E12 E08"));
    QCOMPARE(nginx->requestCount(QStringLiteral("manifest")), 0); // no request got through, no retry
    QCOMPARE(QDir(m_fx.deviceDir() + QStringLiteral("/update")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
}

void tst_OnlineCheck::e12_pinnedKeyMismatch()
{
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    // The right pin passes, a wrong one is refused before any request.
    QVERIFY(!m_fx.makeDevice(nginx->url(), {{QStringLiteral("server/pinnedPublicKey"), TestPki::shared().serverPin()}}).isEmpty());
    QVERIFY(!m_fx.run(false).error);
    const QString wrong = QStringLiteral("sha256//") + QString::fromLatin1(QByteArray(32, 'x').toBase64());
    QVERIFY(!m_fx.makeDevice(nginx->url(), {{QStringLiteral("server/pinnedPublicKey"), wrong}}).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::TlsRejected);
    QVERIFY(run.path.contains(Edge::E12));
}

void tst_OnlineCheck::e12_oldTlsProtocolRefused()
{
    NginxServer::Options o;
    o.protocols = {QStringLiteral("TLSv1"), QStringLiteral("TLSv1.1")};
    o.ciphers = QStringLiteral("DEFAULT@SECLEVEL=0");
    auto nginx = startRepoServer(m_repo, o);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::TlsRejected);
    QVERIFY(run.path.contains(Edge::E12));
}

void tst_OnlineCheck::e15_authenticationRejected_data()
{
    QTest::addColumn<bool>("mutualTls");
    QTest::addColumn<int>("deviceIdentity"); // 0 none, 1 wrong token / untrusted client cert
    QTest::newRow("token required, none sent") << false << 0;
    QTest::newRow("wrong token") << false << 1;
    QTest::newRow("client certificate required, none sent") << true << 0;
    QTest::newRow("client certificate from an untrusted CA") << true << 1;
}

void tst_OnlineCheck::e15_authenticationRejected()
{
    QFETCH(bool, mutualTls);
    QFETCH(int, deviceIdentity);
    NginxServer::Options o;
    if (mutualTls)
        o.clientCaFile = TestPki::shared().clientCaCert();
    else
        o.bearerToken = QStringLiteral("s3cret-token");
    auto nginx = startRepoServer(m_repo, o);
    QVERIFY(nginx);
    QMap<QString, QString> extra;
    if (deviceIdentity == 1 && mutualTls) {
        extra.insert(QStringLiteral("server/clientCertificate"), TestPki::shared().client(TestPki::Client::Untrusted).cert);
        extra.insert(QStringLiteral("server/clientKey"), TestPki::shared().client(TestPki::Client::Untrusted).key);
    } else if (deviceIdentity == 1) {
        const QString token = m_fx.deviceDir() + QStringLiteral("-token");
        QFile f(token);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("wrong-token\n");
        f.close();
        extra.insert(QStringLiteral("server/tokenFile"), token);
    }
    QVERIFY(!m_fx.makeDevice(nginx->url(), extra).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::AuthRejected);
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E11 E13 E15 E08"));
}

void tst_OnlineCheck::e14_authenticatedWithTokenAndClientCertificate()
{
    NginxServer::Options o;
    o.clientCaFile = TestPki::shared().clientCaCert();
    o.bearerToken = QStringLiteral("s3cret-token");
    auto nginx = startRepoServer(m_repo, o);
    QVERIFY(nginx);
    const QString token = m_fx.deviceDir() + QStringLiteral("-token");
    QFile f(token);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("  s3cret-token\n");
    f.close();
    QVERIFY(!m_fx.makeDevice(nginx->url(), {{QStringLiteral("server/tokenFile"), token},
                                            {QStringLiteral("server/clientCertificate"), TestPki::shared().client().cert},
                                            {QStringLiteral("server/clientKey"), TestPki::shared().client().key}})
                 .isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message + run.error->detail : QString()));
    QVERIFY(pathContains(run.path, {Edge::E11, Edge::E13, Edge::E14, Edge::E16, Edge::E17}));
}

void tst_OnlineCheck::e18_metadataRejected_data()
{
    addRows<QString>("attack", {{"tampered manifest", QStringLiteral("tamper")},
                                {"missing manifest", QStringLiteral("missing")},
                                {"missing signature", QStringLiteral("nosig")},
                                {"expired (freeze)", QStringLiteral("expired")},
                                {"other product (mix-and-match)", QStringLiteral("product")},
                                {"signed by an untrusted key", QStringLiteral("otherkey")},
                                {"not JSON", QStringLiteral("garbage")}});
}

void tst_OnlineCheck::e18_metadataRejected()
{
    QFETCH(QString, attack);
    QTemporaryDir dir;
    const QString repo = dir.filePath(QStringLiteral("repo"));
    Release r;
    if (attack == QStringLiteral("expired"))
        r.expiresDays = -1;
    if (attack == QStringLiteral("product"))
        r.product = QStringLiteral("other");
    QString key;
    if (attack == QStringLiteral("otherkey")) {
        QVERIFY(publish::keygen(dir.filePath(QStringLiteral("k"))));
        key = dir.filePath(QStringLiteral("k/signing.key"));
    }
    if (attack != QStringLiteral("expired")) {
        QVERIFY(m_fx.publish(repo, r, key));
    } else {
        // s16-publish refuses to publish an already expired release: sign one by hand.
        QVERIFY(m_fx.publish(repo, Release{}, key));
        QFile m(repo + QStringLiteral("/manifest.json"));
        QVERIFY(m.open(QIODevice::ReadWrite));
        QByteArray bytes = m.readAll();
        const qsizetype at = bytes.indexOf("\"expires\"");
        QVERIFY(at > 0);
        bytes.replace(bytes.indexOf('"', at + 10) + 1, 4, "2001");
        const qsizetype rel = bytes.indexOf("\"released\"");
        QVERIFY(rel > 0);
        bytes.replace(bytes.indexOf('"', rel + 11) + 1, 4, "2000");
        m.resize(0);
        m.write(bytes);
        m.close();
        const auto sig = crypto::sign(m_fx.privateKey(), bytes);
        QVERIFY(sig);
        QFile s(repo + QStringLiteral("/manifest.json.sig"));
        QVERIFY(s.open(QIODevice::WriteOnly));
        s.write(*sig);
    }
    if (attack == QStringLiteral("tamper")) {
        QFile m(repo + QStringLiteral("/manifest.json"));
        QVERIFY(m.open(QIODevice::ReadWrite));
        QByteArray bytes = m.readAll();
        bytes.replace("Faster", "Slower");
        m.resize(0);
        m.write(bytes);
    } else if (attack == QStringLiteral("missing")) {
        QVERIFY(QFile::remove(repo + QStringLiteral("/manifest.json")));
    } else if (attack == QStringLiteral("nosig")) {
        QVERIFY(QFile::remove(repo + QStringLiteral("/manifest.json.sig")));
    } else if (attack == QStringLiteral("garbage")) {
        QFile m(repo + QStringLiteral("/manifest.json"));
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.write("{not json");
        m.close();
        const auto sig = crypto::sign(m_fx.privateKey(), QByteArray("{not json"));
        QFile s(repo + QStringLiteral("/manifest.json.sig"));
        QVERIFY(s.open(QIODevice::WriteOnly));
        s.write(*sig);
    }
    auto nginx = startRepoServer(repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::MetadataRejected);
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E11 E13 E14 E16 E18 E08"));
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 0); // nothing downloaded
    QVERIFY(!m_fx.journal()->keys().contains(QStringLiteral("lastTrusted")));
}

void tst_OnlineCheck::e18_replayedOlderManifestRefused()
{
    QTemporaryDir dir;
    const QString newer = dir.filePath(QStringLiteral("newer"));
    QVERIFY(m_fx.publish(dir.filePath(QStringLiteral("older")), Release{}));
    QTest::qWait(1100); // released timestamps have second precision
    Release r2;
    r2.version = QStringLiteral("1.2.0");
    QVERIFY(m_fx.publish(newer, r2));
    auto nginx = startRepoServer(newer);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(false).error);
    // A mirror now serves the older, correctly signed manifest.
    auto old = startRepoServer(dir.filePath(QStringLiteral("older")));
    QVERIFY(old);
    QVERIFY(m_fx.setServer(old->url()));
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::MetadataRejected);
    QVERIFY(run.path.contains(Edge::E18));
    QVERIFY(run.error->message.contains(QStringLiteral("replayed")));
}

void tst_OnlineCheck::e18_keyRotation()
{
    // Two trusted keys: a release signed by either is accepted; once the old key is
    // removed from the trusted set, its signatures are refused.
    QTemporaryDir dir;
    QVERIFY(publish::keygen(dir.filePath(QStringLiteral("new"))));
    const QString repo = dir.filePath(QStringLiteral("repo"));
    QVERIFY(m_fx.publish(repo, Release{}, dir.filePath(QStringLiteral("new/signing.key"))));
    auto nginx = startRepoServer(repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url(), {{QStringLiteral("trust/publicKeys"),
                                             m_fx.publicKey() + QLatin1Char(',') + dir.filePath(QStringLiteral("new/signing.pub"))}})
                 .isEmpty());
    QVERIFY(!m_fx.run(false).error);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty()); // only the old key trusted
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::MetadataRejected);
}

void tst_OnlineCheck::e08_errorIsLoggedForTheApp()
{
    const QUrl unreachable = FaultServer::unreachableUrl(QStringLiteral("/s16/"));
    QVERIFY(!m_fx.makeDevice(unreachable, {{QStringLiteral("server/maxTries"), QStringLiteral("1")}}).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.path.last(), Edge::E08); // consent off: nothing is sent (no E09)
    auto j = m_fx.journal();
    const QJsonObject last = j->value(QStringLiteral("lastError")).toObject();
    QCOMPARE(last.value(QStringLiteral("code")).toInt(), 10);
    QCOMPARE(last.value(QStringLiteral("edge")).toString(), QStringLiteral("E07"));
    const auto entries = j->entries();
    QVERIFY(!entries.isEmpty());
    QCOMPARE(entries.last().code, 10);
    QCOMPARE(entries.last().level, LogEntry::Level::Error);
    QCOMPARE(entries.last().edge, QStringLiteral("E07"));
}

void tst_OnlineCheck::plainHttpRefusedWithoutOptIn()
{
    QVERIFY(!m_fx.makeDevice(QUrl(QStringLiteral("http://127.0.0.1:1/s16/"))).isEmpty());
    const auto c = loadConfig(m_fx.deviceDir() + QStringLiteral("/update.conf"));
    QVERIFY(!c);
    QCOMPARE(toError(c.error()).code, ExitCode::Usage);
}

void tst_OnlineCheck::e04_e05_e06_waitBeforeEachTry_data()
{
    QTest::addColumn<int>("interval");          // server/retryIntervalSeconds
    QTest::addColumn<QByteArray>("retryAfter"); // the 503's Retry-After; empty: none
    QTest::addColumn<int>("expected");          // seconds the engine waits before each further try
    QTest::newRow("the configured interval") << 30 << QByteArray() << 30;
    QTest::newRow("a longer Retry-After") << 5 << QByteArray("120") << 120;
    QTest::newRow("a shorter Retry-After") << 45 << QByteArray("2") << 45;
    QTest::newRow("Retry-After beyond an hour") << 5 << QByteArray("86400") << 3600;
}

void tst_OnlineCheck::e04_e05_e06_waitBeforeEachTry()
{
    // The engine's clock is the test's: the waits are seen, not waited for.
    QFETCH(int, interval);
    QFETCH(QByteArray, retryAfter);
    QFETCH(int, expected);
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    FaultServer::Headers headers;
    if (!retryAfter.isEmpty())
        headers.append({"Retry-After", retryAfter});
    server.setFault(QStringLiteral("/s16/manifest.json"), FaultServer::Fault::httpStatus(503, headers).firstRequests(2));
    QVERIFY(
        !m_fx.makeDevice(server.url(QStringLiteral("/s16/")), {{QStringLiteral("server/retryIntervalSeconds"), QString::number(interval)}})
             .isEmpty());
    QElapsedTimer clock;
    clock.start();
    const auto run = m_fx.runWithClock(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(run.waits, (QList<int>{expected, expected}));
    QVERIFY(pathContains(run.path,
                         {Edge::E02, Edge::E04, Edge::E05, Edge::E06, Edge::E02, Edge::E04, Edge::E05, Edge::E06, Edge::E02, Edge::E03}));
    QCOMPARE(server.requestCount(QStringLiteral("/s16/manifest.json")), 3);
    QVERIFY(clock.elapsed() < 20000); // nothing was waited for
}

void tst_OnlineCheck::e04_e06_busyServerIsTriedAgain_data() { addRows<int>("status", "HTTP %d", {408, 429, 500, 504}); }

void tst_OnlineCheck::e04_e06_busyServerIsTriedAgain()
{
    QFETCH(int, status);
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    server.setFault(QStringLiteral("/s16/manifest.json"), FaultServer::Fault::httpStatus(status).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(server.url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(pathString(run.path).left(23), QStringLiteral("E01 E02 E04 E05 E06 E02"));
    QCOMPARE(server.requestCount(QStringLiteral("/s16/manifest.json")), 2);
    QVERIFY(run.check.available);
}

void tst_OnlineCheck::e15_refusedStatusIsAuthenticationRejected_data()
{
    // The test servers answer a missing token with 401 and a refused client certificate with
    // 400 or a failed handshake (e15_authenticationRejected); a server may also say 403, and
    // it may protect the signature only.
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("status");
    for (const char *file : {"manifest.json", "manifest.json.sig"}) {
        for (int status : {401, 403})
            QTest::addRow("%s %d", file, status) << QString::fromLatin1(file) << status;
    }
}

void tst_OnlineCheck::e15_refusedStatusIsAuthenticationRejected()
{
    QFETCH(QString, file);
    QFETCH(int, status);
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    server.setFault(QStringLiteral("/s16/") + file, FaultServer::Fault::httpStatus(status));
    QVERIFY(!m_fx.makeDevice(server.url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::AuthRejected);
    QCOMPARE(run.error->edge, std::optional(Edge::E15));
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E11 E13 E15 E08"));
    QCOMPARE(server.requestCount(QStringLiteral("/s16/") + file), 1); // not tried again
    QCOMPARE(m_fx.journal()->value(QStringLiteral("lastError")).toObject().value(QStringLiteral("code")).toInt(),
             toInt(ExitCode::AuthRejected));
}

void tst_OnlineCheck::e17_unreadableRunningVersionCountsAsOlder()
{
    // A device whose version file was damaged can still be repaired by the next release.
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url(), {}, QStringLiteral("not a version")).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(run.check.available);
    QCOMPARE(run.path.last(), Edge::E17);
}

void tst_OnlineCheck::e18_replayRefusedByVersionOrByDate_data()
{
    // Each of the two comparisons alone refuses a replayed manifest (TUF's rollback attack).
    QTest::addColumn<QString>("trustedVersion");
    QTest::addColumn<QString>("trustedReleased");
    QTest::addColumn<QString>("servedVersion");
    QTest::addColumn<QString>("servedReleased");
    QTest::newRow("an older version released later") << QStringLiteral("1.2.0") << QStringLiteral("2025-01-01T00:00:00Z")
                                                     << QStringLiteral("1.1.0") << QStringLiteral("2025-06-01T00:00:00Z");
    QTest::newRow("the same version released earlier") << QStringLiteral("1.1.0") << QStringLiteral("2025-06-01T00:00:00Z")
                                                       << QStringLiteral("1.1.0") << QStringLiteral("2025-01-01T00:00:00Z");
}

void tst_OnlineCheck::e18_replayRefusedByVersionOrByDate()
{
    QFETCH(QString, trustedVersion);
    QFETCH(QString, trustedReleased);
    QFETCH(QString, servedVersion);
    QFETCH(QString, servedReleased);
    QTemporaryDir dir;
    // A release as published, then its "released" set and signed again by the release key.
    const auto publishAt = [&](const QString &repo, const QString &version, const QString &released) -> bool {
        Release r;
        r.version = version;
        if (!m_fx.publish(repo, r))
            return false;
        QFile m(repo + QStringLiteral("/manifest.json"));
        if (!m.open(QIODevice::ReadWrite))
            return false;
        QByteArray bytes = m.readAll();
        const qsizetype at = bytes.indexOf("\"released\"");
        const qsizetype from = bytes.indexOf('"', at + 10) + 1;
        const qsizetype to = bytes.indexOf('"', from);
        if (at < 0 || from <= 0 || to < from)
            return false;
        bytes.replace(from, to - from, released.toLatin1());
        m.resize(0);
        m.write(bytes);
        m.close();
        const auto sig = crypto::sign(m_fx.privateKey(), bytes);
        QFile s(repo + QStringLiteral("/manifest.json.sig"));
        return sig && s.open(QIODevice::WriteOnly) && s.write(*sig) == sig->size();
    };
    QVERIFY(publishAt(dir.filePath(QStringLiteral("trusted")), trustedVersion, trustedReleased));
    QVERIFY(publishAt(dir.filePath(QStringLiteral("served")), servedVersion, servedReleased));
    auto trusted = startRepoServer(dir.filePath(QStringLiteral("trusted")));
    QVERIFY(trusted);
    QVERIFY(!m_fx.makeDevice(trusted->url()).isEmpty());
    const auto first = m_fx.run(false);
    QVERIFY2(!first.error, qPrintable(first.error ? first.error->message : QString()));
    auto served = startRepoServer(dir.filePath(QStringLiteral("served")));
    QVERIFY(served);
    QVERIFY(m_fx.setServer(served->url()));
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::MetadataRejected);
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E11 E13 E14 E16 E18 E08"));
    QVERIFY2(run.error->message.contains(QStringLiteral("replayed")), qPrintable(run.error->message));
    QCOMPARE(m_fx.journal()->value(QStringLiteral("lastTrusted")).toObject().value(QStringLiteral("version")).toString(), trustedVersion);
}

void tst_OnlineCheck::e04_e06_failedMetadataFileIsTriedAgain_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("busy"); // 503; else the body breaks off after 40 bytes
    // Busy for manifest.json.sig alone: another try, like a busy manifest.json (not E18).
    QTest::newRow("busy signature") << QStringLiteral("/s16/manifest.json.sig") << true;
    // manifest.json breaks off after its first bytes: a failed try, made again (not E18).
    QTest::newRow("manifest broken off") << QStringLiteral("/s16/manifest.json") << false;
}

void tst_OnlineCheck::e04_e06_failedMetadataFileIsTriedAgain()
{
    QFETCH(QString, file);
    QFETCH(bool, busy);
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    server.setFault(file, (busy ? FaultServer::Fault::httpStatus(503) : FaultServer::Fault::truncate(40)).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(server.url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(countOf(run.path, Edge::E04), 1);
    QCOMPARE(server.requestCount(file), 2);
    QVERIFY(run.check.available);
}

void tst_OnlineCheck::e06_eachTryConnectsAnew()
{
    // A server that is busy for the first request of every connection: a try made on the
    // connection kept alive from the try before would get through. Each try connects (and
    // checks the certificate) anew, so all of them meet a first request and the check fails.
    NginxServer::Options o;
    o.extraServerConfig = QStringLiteral("    location = /s16/stable/manifest.json {\n"
                                         "      alias %1/manifest.json;\n"
                                         "      if ($connection_requests = 1) { return 503; }\n"
                                         "    }\n")
                              .arg(QDir(m_repo).absolutePath());
    auto nginx = startRepoServer(m_repo, o);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::ServerUnreachable);
    QCOMPARE(countOf(run.path, Edge::E06), 2);
    QTRY_COMPARE(nginx->accessLog().filter(QStringLiteral("503 ")).size(), 3);
}

void tst_OnlineCheck::e15_certificateRefusedInTheHandshake_data()
{
    // A server that refuses the device's certificate in the TLS handshake itself, with an
    // alert, as `openssl s_server -Verify` does (nginx finishes the handshake and answers 400,
    // e15_authenticationRejected): with TLS 1.2 the handshake fails, with TLS 1.3 the alert
    // arrives once the client thinks it is connected.
    QTest::addColumn<QString>("protocol");
    QTest::addColumn<bool>("untrustedCertificate");
    QTest::newRow("TLS 1.2, no certificate") << QStringLiteral("-tls1_2") << false;
    QTest::newRow("TLS 1.2, untrusted certificate") << QStringLiteral("-tls1_2") << true;
    QTest::newRow("TLS 1.3, no certificate") << QStringLiteral("-tls1_3") << false;
    QTest::newRow("TLS 1.3, untrusted certificate") << QStringLiteral("-tls1_3") << true;
}

void tst_OnlineCheck::e15_certificateRefusedInTheHandshake()
{
    QFETCH(QString, protocol);
    QFETCH(bool, untrustedCertificate);
    const auto &pki = TestPki::shared();
    const quint16 port = FaultServer::unusedPort();
    QProcess server;
    server.setWorkingDirectory(m_repo); // -WWW serves the files below it
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(QStringLiteral("openssl"),
                 {QStringLiteral("s_server"), QStringLiteral("-WWW"), QStringLiteral("-accept"), QStringLiteral("127.0.0.1:%1").arg(port),
                  QStringLiteral("-cert"), pki.server().cert, QStringLiteral("-key"), pki.server().key, QStringLiteral("-Verify"),
                  QStringLiteral("1"), QStringLiteral("-verify_return_error"), QStringLiteral("-CAfile"), pki.clientCaCert(), protocol});
    QVERIFY(server.waitForStarted());
    QByteArray said;
    QTRY_VERIFY_WITH_TIMEOUT((said += server.readAll()).contains("ACCEPT"), 10000);
    const QUrl url(QStringLiteral("https://127.0.0.1:%1/").arg(port));
    QMap<QString, QString> extra;
    if (untrustedCertificate) {
        extra.insert(QStringLiteral("server/clientCertificate"), pki.client(TestPki::Client::Untrusted).cert);
        extra.insert(QStringLiteral("server/clientKey"), pki.client(TestPki::Client::Untrusted).key);
    }
    QVERIFY(!m_fx.makeDevice(url, extra).isEmpty());
    const auto run = m_fx.run(false);
    QVERIFY(run.error);
    QVERIFY2(run.error->code == ExitCode::AuthRejected, qPrintable(run.error->message + QLatin1Char(' ') + run.error->detail));
    QCOMPARE(pathString(run.path), QStringLiteral("E01 E02 E03 E10 E11 E13 E15 E08"));
    server.kill();
    server.waitForFinished();
}

void tst_OnlineCheck::e10_e12_oldTlsRefusedWhereOpenSslAllowsIt()
{
    // Debian's OpenSSL refuses TLS 1.0 and 1.1 at its default security level; a device's
    // OpenSSL may be configured otherwise. The updater keeps its own floor, TLS 1.2: with an
    // OpenSSL that allows anything, a check (in a child process, which reads that OpenSSL
    // configuration as it starts) still refuses a TLS 1.0 server.
    NginxServer::Options o;
    o.protocols = {QStringLiteral("TLSv1")};
    o.ciphers = QStringLiteral("DEFAULT@SECLEVEL=0");
    auto nginx = startRepoServer(m_repo, o);
    QVERIFY(nginx);
    const QString conf = m_fx.makeDevice(nginx->url());
    QVERIFY(!conf.isEmpty());
    const QString opensslConf = m_fx.deviceDir() + QStringLiteral("/openssl-anything.cnf");
    {
        QFile f(opensslConf);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = anything\n"
                "[anything]\nMinProtocol = TLSv1\nCipherString = DEFAULT@SECLEVEL=0\n");
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("OPENSSL_CONF"), opensslConf);
    // This OpenSSL, so configured, does speak TLS 1.0 with the server: else the test proves nothing.
    const ToolResult probe = runTool(QStringLiteral("openssl"),
                                     {QStringLiteral("s_client"), QStringLiteral("-tls1"), QStringLiteral("-connect"),
                                      QStringLiteral("127.0.0.1:%1").arg(nginx->port())},
                                     env, 10000, QByteArray("Q\n"));
    if (probe.exitCode != 0 || !probe.out.contains("Protocol  : TLSv1\n"))
        QSKIP(qPrintable(QStringLiteral("this OpenSSL cannot speak TLS 1.0: ") + probe.describe()));
    const ToolResult r = runTool(QCoreApplication::applicationFilePath(), {QStringLiteral("--child-check"), conf}, env);
    QVERIFY2(r.exitCode == toInt(ExitCode::TlsRejected), qPrintable(r.describe()));
    QCOMPARE(nginx->requestCount(QStringLiteral("manifest")), 0);
}

// One check on the device of a config file, its exit code the engine's: the child process
// of e10_e12_oldTlsRefusedWhereOpenSslAllowsIt, started with an OpenSSL configuration of its own.
static int childCheck(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const auto config = loadConfig(QString::fromLocal8Bit(argv[2]));
    if (!config)
        return toInt(ExitCode::Usage);
    auto journal = Journal::open(config->device.stateDir, config->log.maxEntries);
    if (!journal)
        return toInt(ExitCode::StorageError);
    UpdateEngine engine(*config, journal->get());
    QObject::connect(&engine, &UpdateEngine::finished, &app, &QCoreApplication::quit, Qt::QueuedConnection);
    engine.check();
    app.exec();
    // The exit code is the answer: no exit handlers (a sanitizer's leak report would change it).
    const int code = engine.error() ? toInt(engine.error()->code) : 0;
    std::fflush(nullptr);
    ::_exit(code);
}

int main(int argc, char **argv)
{
    if (argc == 3 && qstrcmp(argv[1], "--child-check") == 0)
        return childCheck(argc, argv);
    QCoreApplication app(argc, argv);
    tst_OnlineCheck test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_onlinecheck.moc"
