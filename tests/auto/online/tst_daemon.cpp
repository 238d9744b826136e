// `s16-update daemon` (E19/E20): with no newer version it waits and checks again; the
// scheduled loop rides out a server outage and picks the update up once the server is
// back; it holds the engine lock only while a cycle runs, never exits on its own, and
// takes a wait longer than a QTimer can hold.
#include "fixture.h"

#include "support/faultserver.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace s16;
using namespace s16::test;

class tst_Daemon : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void e19_e20_noNewerVersionWaitsAndChecksAgain();
    void daemonRidesOutAnOutage();
    void waitLongerThanAQTimerCanHold();
};

namespace {

// Starts `s16-update daemon` with the flowchart's edges logged (s16.flow) on its stderr;
// false when it did not start.
[[nodiscard]] bool startDaemon(QProcess &daemon, const QString &conf)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("s16.flow.debug=true"));
    daemon.setProcessEnvironment(env);
    daemon.setProcessChannelMode(QProcess::MergedChannels);
    daemon.start(binDir() + QStringLiteral("/s16-update"), {QStringLiteral("daemon"), QStringLiteral("--config"), conf});
    return daemon.waitForStarted();
}

// A device that already runs what the repository (served by real nginx) holds, checking every
// interval seconds without jitter; the config path, empty when something failed.
[[nodiscard]] QString upToDateDevice(OnlineFixture &fx, std::unique_ptr<NginxServer> &nginx, const QString &interval)
{
    if (!fx.isValid() || !fx.publish(fx.repo(), Release{}))
        return {};
    nginx = startRepoServer(fx.repo());
    if (!nginx)
        return {};
    return fx.makeDevice(
        nginx->url(),
        {{QStringLiteral("server/checkIntervalSeconds"), interval}, {QStringLiteral("server/checkJitterSeconds"), QStringLiteral("0")}},
        QStringLiteral("1.1.0"));
}

} // namespace

void tst_Daemon::e19_e20_noNewerVersionWaitsAndChecksAgain()
{
    OnlineFixture fx;
    std::unique_ptr<NginxServer> nginx;
    const QString conf = upToDateDevice(fx, nginx, QStringLiteral("1"));
    QVERIFY(!conf.isEmpty());
    QProcess daemon;
    QVERIFY(startDaemon(daemon, conf));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += daemon.readAll()).count("\"E20\"") >= 1 && out.count("\"E19\"") >= 2, 20000);
    daemon.kill();
    daemon.waitForFinished();
    out += daemon.readAll();
    // E17 "no" -> E19 wait -> E20 check again, and no download ever
    QVERIFY2(out.indexOf("\"E19\"") < out.indexOf("\"E20\""), out.constData());
    QVERIFY2(!out.contains("\"E21\""), out.constData());
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 0);
    QVERIFY(nginx->requestCount(QStringLiteral("/manifest.json.sig")) >= 2);
}

void tst_Daemon::waitLongerThanAQTimerCanHold()
{
    OnlineFixture fx;
    std::unique_ptr<NginxServer> nginx;
    // 30 days: 2.6e9 ms does not fit QTimer's int milliseconds
    const QString conf = upToDateDevice(fx, nginx, QStringLiteral("2592000"));
    QVERIFY(!conf.isEmpty());
    QProcess daemon;
    QVERIFY(startDaemon(daemon, conf));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += daemon.readAll()).contains("next check in 2592000 s"), 20000);
    QTest::qWait(1500); // a wrapped timeout would check again at once, or never
    out += daemon.readAll();
    QCOMPARE(daemon.state(), QProcess::Running);
    QVERIFY2(!out.contains("QTimer") && !out.contains("negative"), out.constData());
    QCOMPARE(nginx->requestCount(QStringLiteral("/manifest.json.sig")), 1);
    daemon.kill();
    daemon.waitForFinished();
}

void tst_Daemon::daemonRidesOutAnOutage()
{
    OnlineFixture fx;
    QVERIFY(fx.isValid());
    QVERIFY(fx.publish(fx.repo(), Release{}));
    FaultServer server;
    const auto &pki = TestPki::shared();
    QVERIFY(server.start({fx.repo(), QStringLiteral("/s16/"), pki.server().cert, pki.server().key}));
    // The outage: every request answered 503 until the server is "back".
    server.setFault(QStringLiteral("/s16/manifest.json"), FaultServer::Fault::httpStatus(503));
    const QString conf =
        fx.makeDevice(server.url(QStringLiteral("/s16/")), {{QStringLiteral("server/maxTries"), QStringLiteral("1")},
                                                            {QStringLiteral("server/checkIntervalSeconds"), QStringLiteral("1")},
                                                            {QStringLiteral("server/checkJitterSeconds"), QStringLiteral("0")}});
    QVERIFY(!conf.isEmpty());

    QProcess daemon;
    daemon.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    daemon.start(binDir() + QStringLiteral("/s16-update"), {QStringLiteral("daemon"), QStringLiteral("--config"), conf});
    QVERIFY(daemon.waitForStarted());
    auto j = fx.journal();
    QTRY_VERIFY_WITH_TIMEOUT(j->value(QStringLiteral("lastError")).toObject().value(QStringLiteral("code")).toInt() == 10, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(server.requestCount(QStringLiteral("/s16/manifest.json")) >= 2, 20000); // checked again
    QCOMPARE(daemon.state(), QProcess::Running);
    // Between cycles the lock is free: the UI or `s16-update install` can work then.
    QTRY_VERIFY_WITH_TIMEOUT(!EngineLock::holder(fx.deviceDir() + QStringLiteral("/state")).has_value(), 10000);

    server.clearFaults(); // the server is back
    QTRY_COMPARE_WITH_TIMEOUT(j->value(QStringLiteral("staged")).toObject().value(QStringLiteral("version")).toString(),
                              QStringLiteral("1.1.0"), 30000);
    // the cycle that staged it ends without an error, which clears the outage's
    QTRY_VERIFY_WITH_TIMEOUT(!j->keys().contains(QStringLiteral("lastError")), 10000);
    // It keeps checking on schedule and never exits on its own.
    const int before = server.requestCount(QStringLiteral("/s16/manifest.json.sig"));
    QTRY_VERIFY_WITH_TIMEOUT(server.requestCount(QStringLiteral("/s16/manifest.json.sig")) > before, 10000);
    QCOMPARE(daemon.state(), QProcess::Running);
    QCOMPARE(server.requestCount(QStringLiteral("/s16/images/s16-1.1.0.img")), 1); // never downloaded twice
    daemon.kill();
    daemon.waitForFinished();
}

QTEST_GUILESS_MAIN(tst_Daemon)
#include "tst_daemon.moc"
