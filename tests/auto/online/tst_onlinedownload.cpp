// The normal system's download, E21-E43: receive, resume, verify, stage, notify,
// against real nginx over TLS and the in-process fault server.
#include "fixture.h"

#include "support/datatable.h"
#include "support/faultserver.h"
#include "support/nginxserver.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include "common/fileutil.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

using namespace s16;
using namespace s16::test;

namespace {

// S16_RECOVERY as GRUB's own tool reads the device's environment block.
QString recoveryRequest(const Config &config)
{
    QProcess p;
    p.start(QStringLiteral("grub-editenv"), {config.boot.envFile, QStringLiteral("list")});
    if (!p.waitForFinished(10000) || p.exitCode() != 0)
        return QStringLiteral("(grub-editenv failed)");
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        if (line.startsWith("S16_RECOVERY="))
            return QString::fromUtf8(line.mid(13));
    }
    return {};
}

} // namespace

class tst_OnlineDownload : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void e21_e22_e23_e28_e29_e31_e32_e35_e36_e37_e39_e40_e41_downloadStagesAndWaits();
    void e42_updateNowRequestsRebootIntoRecovery();
    void e43_priorityUpdateRebootsAtOnce();
    void stagedUpdateIsNotDownloadedAgain();
    void e42_updateNowAfterACheckOrAFailedCycle();
    void e42_failedRebootRequestKeepsTheUpdateWaiting();
    void e40_e43_stagedPriorityUpdateWhoseRebootWasLost();
    void e24_e25_e27_downloadConnectionRetried();
    void e26_downloadOutOfTries();
    void e33_e34_interruptedDownloadResumesWithRange();
    void e34_incompleteAfterAllTries();
    void e33_stalledTransferResumes();
    void e29_redirectOnTheSameHostIsFollowed();
    void e30_redirectRefused_data();
    void e30_redirectRefused();
    void e38_checksumMismatchDiscardsFile();
    void e38_moreBytesThanDeclared();
    void e34_refusedByServer();
    void notEnoughSpaceIsAStorageError();
    void resumesAfterTheProcessDied();
    // added with the mutation run (tests/mutations/mutations.txt): each kills mutations the tests above let live
    void e24_e25_e27_waitBeforeEachTry_data();
    void e24_e25_e27_waitBeforeEachTry();
    void e24_e27_refusedConnectionIsTriedAgain();
    void e34_refusedStatusIsNotTriedAgain_data();
    void e34_refusedStatusIsNotTriedAgain();
    void e33_lastByteMissingResumes();
    void e32_completePartialFileIsConfirmedBy416();
    void e36_e38_damagedMigrationIsRefused();
    void e39_updateReadyIsSignalled();
    void e42_noCycleWhileTheRebootIsPending();
    void e42_incompleteStagedUpdateIsDownloadedAgain();
    void e24_e27_eachTryConnectsAnew();

private:
    FaultServer *faultServer(const QString &repo);
    // A device whose server is a fault server in front of m_repo, with fault on the image; null
    // when something failed.
    FaultServer *deviceBehindFault(const FaultServer::Fault &fault);
    std::unique_ptr<NginxServer> priorityDevice(const QString &repo);
    // A device whose server answers the image with status (a 4xx): one request, the download fails at E34.
    void refusedStatusIsNotTriedAgain(int status);
    OnlineFixture m_fx;
    QString m_repo;
    std::unique_ptr<FaultServer> m_server;
};

FaultServer *tst_OnlineDownload::faultServer(const QString &repo)
{
    m_server = std::make_unique<FaultServer>();
    const auto &pki = TestPki::shared();
    if (!m_server->start({repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}))
        return nullptr;
    return m_server.get();
}

static QString imagePath() { return QStringLiteral("/s16/images/s16-1.1.0.img"); }

FaultServer *tst_OnlineDownload::deviceBehindFault(const FaultServer::Fault &fault)
{
    FaultServer *server = faultServer(m_repo);
    if (!server)
        return nullptr;
    server->setFault(imagePath(), fault);
    return m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty() ? nullptr : server;
}

// A device whose server offers a priority release, published into repo; the server, or
// null when something failed.
std::unique_ptr<NginxServer> tst_OnlineDownload::priorityDevice(const QString &repo)
{
    Release r;
    r.priority = true;
    if (!m_fx.publish(repo, r))
        return nullptr;
    auto nginx = startRepoServer(repo);
    if (!nginx || m_fx.makeDevice(nginx->url()).isEmpty())
        return nullptr;
    return nginx;
}

void tst_OnlineDownload::initTestCase()
{
    QVERIFY(TestPki::shared().isValid());
    QVERIFY(m_fx.isValid());
    m_repo = m_fx.repo();
    Release r;
    r.imageSize = 3 * 1024 * 1024 + 17;
    r.migrations = {{1, "CREATE TABLE t(x);"}, {2, "ALTER TABLE t ADD COLUMN y;"}};
    QVERIFY(m_fx.publish(m_repo, r));
    QVERIFY(QFile::exists(m_repo + QStringLiteral("/images/s16-1.1.0.img")));
}

void tst_OnlineDownload::e21_e22_e23_e28_e29_e31_e32_e35_e36_e37_e39_e40_e41_downloadStagesAndWaits()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY2(pathContains(run.path, {Edge::E17, Edge::E21, Edge::E22, Edge::E23, Edge::E28, Edge::E29, Edge::E31}),
             qPrintable(pathString(run.path)));
    QVERIFY(pathContains(run.path, {Edge::E32, Edge::E35, Edge::E36, Edge::E37, Edge::E39, Edge::E40, Edge::E41}));
    QVERIFY(!run.path.contains(Edge::E43));

    // The staged folder as CONTRACT §4 describes it, checked with the standard tools.
    const QString staged = m_fx.deviceDir() + QStringLiteral("/update/staged");
    QProcess sum;
    sum.setWorkingDirectory(staged);
    sum.start(QStringLiteral("sha256sum"), {QStringLiteral("-c"), QStringLiteral("s16-1.1.0.img.sha256")});
    QVERIFY(sum.waitForFinished());
    QCOMPARE(sum.exitCode(), 0);
    for (const QString &name : {QStringLiteral("manifest.json"), QStringLiteral("manifest.json.sig")}) {
        QFile a(staged + QLatin1Char('/') + name), b(m_repo + QLatin1Char('/') + name);
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QCOMPARE(a.readAll(), b.readAll()); // byte-identical to the server's
    }
    QCOMPARE(sha256Hex(staged + QStringLiteral("/s16-1.1.0.img")).value_or(QString()),
             sha256Hex(m_repo + QStringLiteral("/images/s16-1.1.0.img")).value_or(QStringLiteral("x")));
    QCOMPARE(QDir(staged + QStringLiteral("/migrations")).entryList(QDir::Files).size(), 2);
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/partial")));
    auto j = m_fx.journal();
    QCOMPARE(j->value(QStringLiteral("staged")).toObject().value(QStringLiteral("version")).toString(), QStringLiteral("1.1.0"));
    QCOMPARE(j->value(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("WaitForUser"));
    QVERIFY(!j->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(j->entries().last().event, QStringLiteral("staged"));
}

void tst_OnlineDownload::e42_updateNowRequestsRebootIntoRecovery()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    // Nothing staged yet: "Update now" has nothing to install.
    auto early = m_fx.install();
    QVERIFY(early.error);
    QCOMPARE(early.error->code, ExitCode::Usage);
    QVERIFY(!m_fx.run(true).error);
    const auto run = m_fx.install();
    QVERIFY(!run.error);
    QCOMPARE(pathString(run.path), QStringLiteral("E42"));
    auto j = m_fx.journal();
    QVERIFY(j->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(j->value(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("Reboot"));
    QCOMPARE(recoveryRequest(m_fx.config()), QStringLiteral("1"));
}

void tst_OnlineDownload::e43_priorityUpdateRebootsAtOnce()
{
    QTemporaryDir dir;
    const auto nginx = priorityDevice(dir.path());
    QVERIFY(nginx);
    const auto run = m_fx.run(true);
    QVERIFY(!run.error);
    QVERIFY(pathContains(run.path, {Edge::E39, Edge::E40, Edge::E43}));
    QVERIFY(!run.path.contains(Edge::E41));
    QVERIFY(m_fx.journal()->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(recoveryRequest(m_fx.config()), QStringLiteral("1"));
}

void tst_OnlineDownload::stagedUpdateIsNotDownloadedAgain()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(true).error);
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 1);
    const auto again = m_fx.run(true);
    QVERIFY(!again.error);
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 1);
    QVERIFY(!again.path.contains(Edge::E21));
}

void tst_OnlineDownload::e42_updateNowAfterACheckOrAFailedCycle()
{
    auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(true).error);
    // The user pressed "Later"; a check ran since (it ends at NewImage, not WaitForUser).
    QVERIFY(!m_fx.run(false).error);
    auto run = m_fx.install();
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    QCOMPARE(pathString(run.path), QStringLiteral("E42"));
    QCOMPARE(recoveryRequest(m_fx.config()), QStringLiteral("1"));

    // Again, with a cycle that failed while the server was down (it ends at Consent).
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(true).error);
    nginx.reset();
    const auto offline = m_fx.run(true);
    QVERIFY(offline.error);
    QCOMPARE(offline.error->code, ExitCode::ServerUnreachable);
    run = m_fx.install();
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    QCOMPARE(pathString(run.path), QStringLiteral("E42"));
    QVERIFY(m_fx.journal()->value(QStringLiteral("rebootPending")).toBool(false));
    // Pressed twice: the reboot is already requested, nothing more happens.
    run = m_fx.install();
    QVERIFY(!run.error);
    QVERIFY(run.path.isEmpty());
}

void tst_OnlineDownload::e42_failedRebootRequestKeepsTheUpdateWaiting()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(true).error);
    const QString conf = m_fx.deviceDir() + QStringLiteral("/update.conf");
    const QString envFile = m_fx.config().boot.envFile;
    {
        QSettings s(conf, QSettings::IniFormat);
        s.setValue(QStringLiteral("boot/envFile"), QString(m_fx.deviceDir() + QStringLiteral("/gone/grubenv")));
    }
    auto run = m_fx.install();
    QVERIFY(run.error);
    QVERIFY2(run.error->message.contains(QStringLiteral("cannot request the reboot into recovery")), qPrintable(run.error->message));
    auto j = m_fx.journal();
    QVERIFY(!j->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(j->value(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("WaitForUser"));
    QCOMPARE(j->value(QStringLiteral("lastError")).toObject().value(QStringLiteral("code")).toInt(), toInt(run.error->code));
    const auto log = j->entries(5);
    QVERIFY(!log.isEmpty());
    QCOMPARE(log.last().message, run.error->message);
    j.reset();

    // The environment is back: the next cycle is not stuck, and "Update now" works.
    {
        QSettings s(conf, QSettings::IniFormat);
        s.setValue(QStringLiteral("boot/envFile"), envFile);
    }
    QVERIFY(!m_fx.run(true).error);
    run = m_fx.install();
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    QCOMPARE(recoveryRequest(m_fx.config()), QStringLiteral("1"));
}

void tst_OnlineDownload::e40_e43_stagedPriorityUpdateWhoseRebootWasLost()
{
    QTemporaryDir dir;
    const auto nginx = priorityDevice(dir.path());
    QVERIFY(nginx);
    QVERIFY(!m_fx.run(true).error);
    // The power went after E39 staged it, before E43's request was written.
    {
        auto j = m_fx.journal();
        QVERIFY(j->set(QStringLiteral("rebootPending"), false));
        QVERIFY(j->set(QStringLiteral("flow"), QJsonObject{{QStringLiteral("node"), QStringLiteral("Notify")}}));
    }
    QProcess unset;
    unset.start(QStringLiteral("grub-editenv"), {m_fx.config().boot.envFile, QStringLiteral("unset"), QStringLiteral("S16_RECOVERY")});
    QVERIFY(unset.waitForFinished(10000) && unset.exitCode() == 0);
    QCOMPARE(recoveryRequest(m_fx.config()), QString());

    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    QVERIFY(run.path.contains(Edge::E43));
    QVERIFY(!run.path.contains(Edge::E21)); // not downloaded again
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 1);
    QVERIFY(m_fx.journal()->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(recoveryRequest(m_fx.config()), QStringLiteral("1"));
}

void tst_OnlineDownload::e24_e25_e27_downloadConnectionRetried()
{
    auto *server = deviceBehindFault(FaultServer::Fault::httpStatus(503).firstRequests(1));
    QVERIFY(server);
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(pathContains(run.path, {Edge::E21, Edge::E22, Edge::E24, Edge::E25, Edge::E27, Edge::E22, Edge::E23}));
    QCOMPARE(server->requestCount(imagePath()), 2);
}

void tst_OnlineDownload::e26_downloadOutOfTries()
{
    auto *server = deviceBehindFault(FaultServer::Fault::httpStatus(503));
    QVERIFY(server);
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::DownloadFailed);
    QCOMPARE(run.error->edge, std::optional(Edge::E26));
    QCOMPARE(server->requestCount(imagePath()), 3);
    QCOMPARE(countOf(run.path, Edge::E27), 2);
    QVERIFY(pathContains(run.path, {Edge::E24, Edge::E25, Edge::E26, Edge::E08}));
}

void tst_OnlineDownload::e33_e34_interruptedDownloadResumesWithRange()
{
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    const qint64 cut = 1536 * 1024;
    server->setFault(imagePath(), FaultServer::Fault::resetMidBody(cut).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(pathContains(run.path, {Edge::E29, Edge::E31, Edge::E33, Edge::E25, Edge::E27, Edge::E22}));
    // The second request resumed where the data on disk ended.
    QList<FaultServer::Request> images;
    for (const auto &r : server->requests()) {
        if (r.path == imagePath())
            images.append(r);
    }
    QCOMPARE(images.size(), 2);
    QVERIFY(images[0].header("Range").isEmpty());
    const QByteArray range = images[1].header("Range");
    QVERIFY2(range.startsWith("bytes="), range.constData());
    const qint64 from = range.mid(6, range.indexOf('-') - 6).toLongLong();
    QVERIFY(from > 0 && from <= cut);
    // E34: the interruption is in the log.
    bool logged = false;
    for (const auto &e : m_fx.journal()->entries())
        logged = logged || (e.edge == QStringLiteral("E34") && e.event == QStringLiteral("downloadInterrupted"));
    QVERIFY(logged);
    QCOMPARE(m_fx.journal()->value(QStringLiteral("staged")).toObject().value(QStringLiteral("version")).toString(),
             QStringLiteral("1.1.0"));
}

void tst_OnlineDownload::e34_incompleteAfterAllTries()
{
    auto *server = deviceBehindFault(FaultServer::Fault::truncate(1000));
    QVERIFY(server);
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::DownloadFailed);
    QCOMPARE(run.error->edge, std::optional(Edge::E34));
    QCOMPARE(countOf(run.path, Edge::E33), 2);
    QVERIFY(pathContains(run.path, {Edge::E31, Edge::E34, Edge::E08}));
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/staged")));
}

void tst_OnlineDownload::e33_stalledTransferResumes()
{
    // The server goes quiet mid-body without closing: after stallTimeoutSeconds (2 s
    // in the fixture) the try has failed, and the next one resumes from the bytes on disk.
    auto *server = deviceBehindFault(FaultServer::Fault::stall(1024 * 1024).firstRequests(1));
    QVERIFY(server);
    QElapsedTimer clock;
    clock.start();
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(clock.elapsed() >= 1900);
    QVERIFY(pathContains(run.path, {Edge::E31, Edge::E33, Edge::E25, Edge::E27}));
    QByteArray range;
    for (const auto &r : server->requests()) {
        if (r.path == imagePath())
            range = r.header("Range");
    }
    QVERIFY2(range.startsWith("bytes=") && range != "bytes=0-", range.constData());
}

void tst_OnlineDownload::e29_redirectOnTheSameHostIsFollowed()
{
    // A server (a CDN's edge, say) may move the image elsewhere on itself: https on the same
    // host and port is followed, and what arrives from there is the image, checked as ever.
    const QString moved = m_repo + QStringLiteral("/images/moved.img");
    QFile::remove(moved);
    QVERIFY(QFile::copy(m_repo + QStringLiteral("/images/s16-1.1.0.img"), moved));
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    const QByteArray location = "https://127.0.0.1:" + QByteArray::number(server->port()) + "/s16/images/moved.img";
    server->setFault(imagePath(), FaultServer::Fault::redirect(location));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(true);
    QFile::remove(moved);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(!run.path.contains(Edge::E30));
    QCOMPARE(server->requestCount(imagePath()), 1);
    QCOMPARE(server->requestCount(QStringLiteral("/s16/images/moved.img")), 1);
    QCOMPARE(m_fx.journal()->value(QStringLiteral("staged")).toObject().value(QStringLiteral("version")).toString(),
             QStringLiteral("1.1.0"));
}

void tst_OnlineDownload::e30_redirectRefused_data()
{
    addRows<QByteArray>("location", {{"to plain http", QByteArray("http://127.0.0.1:%1/s16/images/s16-1.1.0.img")},
                                     {"to another host", QByteArray("https://localhost:%1/s16/images/s16-1.1.0.img")}});
}

void tst_OnlineDownload::e30_redirectRefused()
{
    QFETCH(QByteArray, location);
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    server->setFault(imagePath(), FaultServer::Fault::redirect(location.replace("%1", QByteArray::number(server->port()))));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::TlsRejected);
    QVERIFY2(pathContains(run.path, {Edge::E22, Edge::E23, Edge::E28, Edge::E30, Edge::E08}), qPrintable(pathString(run.path)));
    QCOMPARE(server->requestCount(imagePath()), 1); // the redirect was not followed
}

void tst_OnlineDownload::e38_checksumMismatchDiscardsFile()
{
    QTemporaryDir dir;
    QVERIFY(m_fx.publish(dir.path(), Release{}));
    // Same size, other bytes: only the hash can tell.
    QVERIFY(writeRandomFile(dir.path() + QStringLiteral("/images/s16-1.1.0.img"), 256 * 1024, 99));
    const auto nginx = startRepoServer(dir.path());
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::IntegrityMismatch);
    QVERIFY(pathContains(run.path, {Edge::E32, Edge::E35, Edge::E36, Edge::E38, Edge::E08}));
    QVERIFY(!run.path.contains(Edge::E37));
    QCOMPARE(QDir(m_fx.deviceDir() + QStringLiteral("/update/partial")).entryList(QDir::Files), QStringList());
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/staged")));
}

void tst_OnlineDownload::e38_moreBytesThanDeclared()
{
    auto *server = deviceBehindFault(FaultServer::Fault::extraBytes(4096));
    QVERIFY(server);
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::IntegrityMismatch);
    QVERIFY(run.path.contains(Edge::E38));
    QCOMPARE(server->requestCount(imagePath()), 1);
}

void tst_OnlineDownload::e34_refusedByServer() { refusedStatusIsNotTriedAgain(404); }

void tst_OnlineDownload::notEnoughSpaceIsAStorageError()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    // A 1 TiB margin, more than this disk has free: the check must refuse before a byte is written.
    if (fileutil::freeBytes(m_fx.deviceDir()).value_or(0) > (qint64(1) << 40))
        QSKIP("more than 1 TiB free here");
    QVERIFY(!m_fx.makeDevice(nginx->url(), {{QStringLiteral("device/freeSpaceMarginBytes"), QStringLiteral("1099511627776")}}).isEmpty());
    const QString update = m_fx.deviceDir() + QStringLiteral("/update");
    const QStringList before = QDir(update).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::StorageError);
    QVERIFY2(run.error->message.contains(QStringLiteral("not enough space")), qPrintable(run.error->message));
    // The signed manifest was fetched, the image never requested, and nothing was left behind.
    QTRY_COMPARE(nginx->requestCount(QStringLiteral("manifest.json.sig")), 1);
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 0);
    QCOMPARE(QDir(update).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), before);
}

void tst_OnlineDownload::resumesAfterTheProcessDied()
{
    // A partial file left by a killed process is hashed and continued, not fetched again.
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const QString partialDir = m_fx.deviceDir() + QStringLiteral("/update/partial");
    QVERIFY(QDir().mkpath(partialDir));
    QFile src(m_repo + QStringLiteral("/images/s16-1.1.0.img"));
    QVERIFY(src.open(QIODevice::ReadOnly));
    QFile part(partialDir + QStringLiteral("/s16-1.1.0.img.part"));
    QVERIFY(part.open(QIODevice::WriteOnly));
    part.write(src.read(2 * 1024 * 1024));
    part.close();
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QList<QByteArray> ranges;
    for (const auto &r : server->requests()) {
        if (r.path == imagePath())
            ranges.append(r.header("Range"));
    }
    QCOMPARE(ranges, QList<QByteArray>{QByteArray("bytes=2097152-")});
}

void tst_OnlineDownload::e24_e25_e27_waitBeforeEachTry_data()
{
    QTest::addColumn<int>("interval");          // server/retryIntervalSeconds
    QTest::addColumn<QByteArray>("retryAfter"); // the 503's Retry-After; empty: none
    QTest::addColumn<int>("expected");
    QTest::newRow("the configured interval") << 40 << QByteArray() << 40;
    QTest::newRow("a longer Retry-After") << 10 << QByteArray("90") << 90;
    QTest::newRow("Retry-After beyond an hour") << 10 << QByteArray("7200") << 3600;
}

void tst_OnlineDownload::e24_e25_e27_waitBeforeEachTry()
{
    // The engine's clock is the test's: the waits are seen, not waited for.
    QFETCH(int, interval);
    QFETCH(QByteArray, retryAfter);
    QFETCH(int, expected);
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    FaultServer::Headers headers;
    if (!retryAfter.isEmpty())
        headers.append({"Retry-After", retryAfter});
    server->setFault(imagePath(), FaultServer::Fault::httpStatus(503, headers).firstRequests(1));
    QVERIFY(
        !m_fx.makeDevice(server->url(QStringLiteral("/s16/")), {{QStringLiteral("server/retryIntervalSeconds"), QString::number(interval)}})
             .isEmpty());
    QElapsedTimer clock;
    clock.start();
    const auto run = m_fx.runWithClock(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QCOMPARE(run.waits, QList<int>{expected});
    QVERIFY(pathContains(run.path, {Edge::E22, Edge::E24, Edge::E25, Edge::E27, Edge::E22, Edge::E23}));
    QCOMPARE(server->requestCount(imagePath()), 2);
    QVERIFY(clock.elapsed() < 20000); // nothing was waited for
}

void tst_OnlineDownload::e24_e27_refusedConnectionIsTriedAgain()
{
    // The download's connection is closed before its TLS handshake: the connection failed, so
    // the try is counted and made again (E24), not resumed as an interrupted body (E33).
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    // every request has a connection of its own (the server closes each): the image's is the next
    bool refused = false;
    connect(server, &FaultServer::requestReceived, this, [&](const QString &path) {
        if (path == QStringLiteral("/s16/manifest.json.sig") && !std::exchange(refused, true))
            server->refuseConnections(1);
    });
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY2(pathContains(run.path, {Edge::E21, Edge::E22, Edge::E24, Edge::E25, Edge::E27, Edge::E22}), qPrintable(pathString(run.path)));
    QVERIFY(!run.path.contains(Edge::E33));
    QCOMPARE(server->requestCount(imagePath()), 1); // the refused connection carried no request
    QCOMPARE(m_fx.journal()->value(QStringLiteral("staged")).toObject().value(QStringLiteral("version")).toString(),
             QStringLiteral("1.1.0"));
}

void tst_OnlineDownload::e34_refusedStatusIsNotTriedAgain_data() { addRows<int>("status", "HTTP %d", {401, 403, 410}); }

void tst_OnlineDownload::e34_refusedStatusIsNotTriedAgain()
{
    QFETCH(int, status);
    refusedStatusIsNotTriedAgain(status);
}

void tst_OnlineDownload::refusedStatusIsNotTriedAgain(int status)
{
    auto *server = deviceBehindFault(FaultServer::Fault::httpStatus(status));
    QVERIFY(server);
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::DownloadFailed);
    QCOMPARE(run.error->edge, std::optional(Edge::E34));
    QVERIFY2(pathContains(run.path, {Edge::E29, Edge::E31, Edge::E34, Edge::E08}), qPrintable(pathString(run.path)));
    QCOMPARE(server->requestCount(imagePath()), 1); // a 4xx is not retried
}

void tst_OnlineDownload::e33_lastByteMissingResumes()
{
    // One byte short is incomplete: resumed for that byte, never hashed as it is. The server
    // goes quiet before the last byte (a close could lose buffered bytes, and with them the point).
    const qint64 size = QFileInfo(m_repo + QStringLiteral("/images/s16-1.1.0.img")).size();
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    server->setFault(imagePath(), FaultServer::Fault::stall(size - 1).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/")), {{QStringLiteral("server/stallTimeoutSeconds"), QStringLiteral("1")}})
                 .isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY2(pathContains(run.path, {Edge::E31, Edge::E33, Edge::E25, Edge::E27}), qPrintable(pathString(run.path)));
    QList<QByteArray> ranges;
    for (const auto &r : server->requests()) {
        if (r.path == imagePath())
            ranges.append(r.header("Range"));
    }
    QCOMPARE(ranges, (QList<QByteArray>{QByteArray(), "bytes=" + QByteArray::number(size - 1) + '-'}));
}

void tst_OnlineDownload::e32_completePartialFileIsConfirmedBy416()
{
    // A partial file that is already whole (the power went after its last byte): the server's
    // 416 to "bytes=<size>-" confirms there is nothing more, and it is verified and staged.
    auto *server = faultServer(m_repo);
    QVERIFY(server);
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const QString partialDir = m_fx.deviceDir() + QStringLiteral("/update/partial");
    QVERIFY(QDir().mkpath(partialDir));
    QVERIFY(QFile::copy(m_repo + QStringLiteral("/images/s16-1.1.0.img"), partialDir + QStringLiteral("/s16-1.1.0.img.part")));
    const qint64 size = QFileInfo(m_repo + QStringLiteral("/images/s16-1.1.0.img")).size();
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY(pathContains(run.path, {Edge::E31, Edge::E32, Edge::E35, Edge::E36, Edge::E37}));
    QList<QByteArray> ranges;
    for (const auto &r : server->requests()) {
        if (r.path == imagePath())
            ranges.append(r.header("Range"));
    }
    QCOMPARE(ranges, QList<QByteArray>{"bytes=" + QByteArray::number(size) + '-'});
    QCOMPARE(m_fx.journal()->value(QStringLiteral("staged")).toObject().value(QStringLiteral("version")).toString(),
             QStringLiteral("1.1.0"));
}

void tst_OnlineDownload::e36_e38_damagedMigrationIsRefused()
{
    // Every file's sum is compared, the migrations' too, not the image's only.
    QTemporaryDir dir;
    Release r;
    r.migrations = {{1, "CREATE TABLE t(x);"}, {2, "ALTER TABLE t ADD COLUMN y;"}};
    QVERIFY(m_fx.publish(dir.path(), r));
    QStringList scripts;
    QDirIterator it(dir.path(), {QStringLiteral("*.sql")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        scripts.append(it.next());
    QCOMPARE(scripts.size(), 2);
    scripts.sort();
    {
        QFile f(scripts.last()); // same size, other bytes: only the sum can tell
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray bytes = f.readAll();
        bytes[0] = bytes[0] == 'A' ? 'a' : 'A';
        f.seek(0);
        f.write(bytes);
    }
    const auto nginx = startRepoServer(dir.path());
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::IntegrityMismatch);
    QCOMPARE(run.error->edge, std::optional(Edge::E38));
    QVERIFY(pathContains(run.path, {Edge::E35, Edge::E36, Edge::E38, Edge::E08}));
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/staged")));
    QVERIFY(!m_fx.journal()->keys().contains(QStringLiteral("staged")));
}

void tst_OnlineDownload::e39_updateReadyIsSignalled()
{
    // E39 tells the user: the engine's updateReady, which the service and the UI show.
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    auto j = m_fx.journal();
    UpdateEngine engine(m_fx.config(), j.get());
    QSignalSpy ready(&engine, &UpdateEngine::updateReady);
    QSignalSpy done(&engine, &UpdateEngine::finished);
    engine.download();
    QVERIFY(done.wait(60000));
    QVERIFY(!engine.error());
    QCOMPARE(ready.size(), 1);
    QCOMPARE(ready.first().value(0).toString(), QStringLiteral("1.1.0"));
    QCOMPARE(ready.first().value(1).toBool(), false);
}

void tst_OnlineDownload::e42_noCycleWhileTheRebootIsPending()
{
    // After "Update now" the next boot installs: no check or download runs until then.
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(true).error);
    QVERIFY(!m_fx.install().error);
    const int before = nginx->requestCount(QStringLiteral("manifest.json"));
    for (bool download : {false, true}) {
        const auto run = m_fx.run(download);
        QVERIFY(run.error);
        QCOMPARE(run.error->code, ExitCode::Usage);
        QVERIFY(run.path.isEmpty());
    }
    QTest::qWait(200);
    QCOMPARE(nginx->requestCount(QStringLiteral("manifest.json")), before);
    auto j = m_fx.journal();
    QVERIFY(j->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(j->value(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("Reboot"));
}

void tst_OnlineDownload::e42_incompleteStagedUpdateIsDownloadedAgain()
{
    // "Update now" on a staged image that lost bytes: refused, dropped, fetched again later.
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    QVERIFY(!m_fx.run(true).error);
    const QString image = m_fx.deviceDir() + QStringLiteral("/update/staged/s16-1.1.0.img");
    {
        QFile f(image);
        QVERIFY(f.resize(f.size() - 1));
    }
    const auto run = m_fx.install();
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::IntegrityMismatch);
    QVERIFY(run.path.isEmpty());
    QVERIFY(!QFileInfo::exists(image));
    auto j = m_fx.journal();
    QVERIFY(!j->keys().contains(QStringLiteral("staged")));
    QVERIFY(!j->value(QStringLiteral("rebootPending")).toBool(false));
    QCOMPARE(recoveryRequest(m_fx.config()), QString());
    j.reset();
    QVERIFY(!m_fx.run(true).error);
    QCOMPARE(nginx->requestCount(QStringLiteral("/images/")), 2);
}

void tst_OnlineDownload::e24_e27_eachTryConnectsAnew()
{
    // A server that is busy for images asked on a connection it has served before: the image
    // request on the check's kept-alive connection is refused, and the next try gets through
    // only because it connects (and checks the certificate) anew.
    QTemporaryDir dir;
    QVERIFY(m_fx.publish(dir.path(), Release{}));
    NginxServer::Options o;
    o.extraServerConfig = QStringLiteral("    location /s16/stable/images/ {\n"
                                         "      alias %1/images/;\n"
                                         "      if ($connection_requests != 1) { return 503; }\n"
                                         "    }\n")
                              .arg(QDir(dir.path()).absolutePath());
    const auto nginx = startRepoServer(dir.path(), o);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, qPrintable(run.error ? run.error->message : QString()));
    QVERIFY2(pathContains(run.path, {Edge::E22, Edge::E24, Edge::E25, Edge::E27, Edge::E22, Edge::E23}), qPrintable(pathString(run.path)));
    QTRY_COMPARE(nginx->requestCount(QStringLiteral("/images/")), 2);
}

QTEST_GUILESS_MAIN(tst_OnlineDownload)
#include "tst_onlinedownload.moc"
