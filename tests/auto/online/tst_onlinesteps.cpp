// The online engine's step jobs alone (MetadataCheck, ImageTransfer, Staging), against real
// nginx over TLS and the in-process fault server: each one's typed result, one failure each
// with the edge it leaves by, and kill() mid-way.
#include "fixture.h"

#include "support/faultserver.h"
#include "support/nginxserver.h"
#include "support/testpki.h"

#include "crypto/crypto.h"
#include "manifest/manifest.h"
#include "online/deltatransfer.h"
#include "online/imagetransfer_p.h"
#include "online/metadatacheck_p.h"
#include "online/staging_p.h"
#include "online/transport.h"
#include "store/devicestate.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

using namespace s16;
using namespace s16::test;

namespace {

QString imagePath() { return QStringLiteral("/s16/images/s16-1.1.0.img"); }

// What a step needs from the engine, made the way the engine makes it.
struct Rig {
    Config config;
    std::unique_ptr<Journal> journal;
    FlowMachine flow;
    std::unique_ptr<HttpTransport> transport;
    std::unique_ptr<DeltaTransfer> delta;

    Rig(const OnlineFixture &fx, Node at)
        : config(fx.config())
        , journal(fx.journal())
        , flow(at)
    {
        auto made = HttpTransport::create(config);
        if (made)
            transport = std::move(*made);
    }
    [[nodiscard]] OnlineContext context() { return OnlineContext{config, journal.get(), flow, transport.get(), {}}; }
};

// Runs job to its end; false when finished() did not come exactly once.
bool finish(Job &job)
{
    QSignalSpy done(&job, &Job::finished);
    if (!job.isRunning())
        job.start();
    if (done.isEmpty() && !done.wait(30000))
        return false;
    QTest::qWait(50); // a second finished() would come from the event loop
    return done.size() == 1 && job.isFinished();
}

Manifest publishedManifest(const QString &repo)
{
    QFile f(repo + QStringLiteral("/manifest.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return parseManifest(f.readAll()).value_or(Manifest{});
}

DownloadItem rawImage(const Manifest &m, const Config &config)
{
    DownloadItem item;
    item.repoPath = m.image.path;
    item.stagedName = QFileInfo(item.repoPath).fileName();
    item.size = m.image.size;
    item.sha256 = m.image.sha256;
    item.partialPath = config.device.updateDir + QStringLiteral("/partial/") + item.stagedName + QStringLiteral(".part");
    QDir().mkpath(config.device.updateDir + QStringLiteral("/partial"));
    return item;
}

} // namespace

class tst_OnlineSteps : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void metadataCheck_e16_e17_trustedManifest();
    void metadataCheck_e07_unreachable();
    void metadataCheck_killedWhileFetching();
    void imageTransfer_e22_e31_receivedFile();
    void imageTransfer_e34_refused();
    void imageTransfer_killedWhileReceivingResumesWithRange();
    void staging_e35_e39_stagedRecord();
    void staging_e38_mismatch();

private:
    FaultServer *faultServer();
    OnlineFixture m_fx;
    QString m_repo;
    std::unique_ptr<FaultServer> m_server;
};

FaultServer *tst_OnlineSteps::faultServer()
{
    m_server = std::make_unique<FaultServer>();
    const auto &pki = TestPki::shared();
    if (!m_server->start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}))
        return nullptr;
    return m_server.get();
}

void tst_OnlineSteps::initTestCase()
{
    QVERIFY(TestPki::shared().isValid());
    QVERIFY(m_fx.isValid());
    m_repo = m_fx.repo();
    Release r;
    r.imageSize = 3 * 1024 * 1024 + 17;
    r.delta = false;
    QVERIFY(m_fx.publish(m_repo, r));
}

void tst_OnlineSteps::metadataCheck_e16_e17_trustedManifest()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    Rig rig(m_fx, Node::ConnectRepo);
    QVERIFY(rig.transport);
    auto keys = crypto::TrustedKeys::load(rig.config.trust.publicKeys);
    QVERIFY(keys);
    MetadataCheck check(rig.context(), *keys);
    QVERIFY(finish(check));
    QVERIFY2(!check.error(), qPrintable(check.error() ? check.error()->message : QString()));
    QFile published(m_repo + QStringLiteral("/manifest.json"));
    QVERIFY(published.open(QIODevice::ReadOnly));
    QCOMPARE(check.manifestBytes(), published.readAll());
    QVERIFY(!check.signature().isEmpty());
    const auto manifest = check.takeManifest();
    QVERIFY(manifest);
    QCOMPARE(manifest->version.toString(), QStringLiteral("1.1.0"));
    QCOMPARE(rig.flow.path(), (QList<Edge>{Edge::E02, Edge::E03, Edge::E10, Edge::E11, Edge::E13, Edge::E14, Edge::E16, Edge::E17}));
    QCOMPARE(rig.flow.current(), Node::NewImage);
    QCOMPARE(DeviceState(*rig.journal).lastTrusted().value_or(TrustedRelease{}).version, QStringLiteral("1.1.0"));
}

void tst_OnlineSteps::metadataCheck_e07_unreachable()
{
    auto *server = faultServer();
    QVERIFY(server);
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    server->stop();
    Rig rig(m_fx, Node::ConnectRepo);
    auto keys = crypto::TrustedKeys::load(rig.config.trust.publicKeys);
    QVERIFY(keys);
    MetadataCheck check(rig.context(), *keys);
    QVERIFY(finish(check));
    QVERIFY(check.error());
    QCOMPARE(check.error()->code, ExitCode::ServerUnreachable);
    QCOMPARE(check.error()->edge, std::optional(Edge::E07));
    QVERIFY(!check.flowRefused());
    // The step leaves the edge into the error log to the engine: it ends at E05, out of tries.
    QCOMPARE(rig.flow.path().count(Edge::E06), rig.config.server.maxTries - 1);
    QCOMPARE(rig.flow.path().last(), Edge::E05);
}

void tst_OnlineSteps::metadataCheck_killedWhileFetching()
{
    auto *server = faultServer();
    QVERIFY(server);
    server->setFault(QStringLiteral("/s16/manifest.json"), FaultServer::Fault::stall(10));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    Rig rig(m_fx, Node::ConnectRepo);
    auto keys = crypto::TrustedKeys::load(rig.config.trust.publicKeys);
    QVERIFY(keys);
    MetadataCheck check(rig.context(), *keys);
    QSignalSpy asked(server, &FaultServer::requestReceived);
    QSignalSpy done(&check, &Job::finished);
    check.start();
    QVERIFY(asked.wait(10000));
    check.kill();
    QVERIFY(done.wait(5000));
    QTest::qWait(50);
    QCOMPARE(done.size(), 1);
    QVERIFY(check.error());
    QCOMPARE(check.error()->code, ExitCode::Cancelled);
    QVERIFY(rig.flow.path().isEmpty());
}

void tst_OnlineSteps::imageTransfer_e22_e31_receivedFile()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    Rig rig(m_fx, Node::ConnectUpdate);
    const Manifest manifest = publishedManifest(m_repo);
    QVERIFY(manifest.image.size > 0);
    ImageTransfer transfer(rig.context(), manifest, rawImage(manifest, rig.config), rig.delta);
    QVERIFY(finish(transfer));
    QVERIFY2(!transfer.error(), qPrintable(transfer.error() ? transfer.error()->message : QString()));
    QVERIFY(!transfer.mismatch());
    QCOMPARE(transfer.item().actualSha256, manifest.image.sha256);
    QCOMPARE(transfer.written(), manifest.image.size);
    QCOMPARE(transfer.fetched(), manifest.image.size);
    QCOMPARE(QFileInfo(transfer.item().partialPath).size(), manifest.image.size);
    QCOMPARE(rig.flow.path(), (QList<Edge>{Edge::E22, Edge::E23, Edge::E28, Edge::E29, Edge::E31}));
    QCOMPARE(rig.flow.current(), Node::CompleteFile);
}

void tst_OnlineSteps::imageTransfer_e34_refused()
{
    auto *server = faultServer();
    QVERIFY(server);
    server->setFault(imagePath(), FaultServer::Fault::httpStatus(404));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    Rig rig(m_fx, Node::ConnectUpdate);
    const Manifest manifest = publishedManifest(m_repo);
    ImageTransfer transfer(rig.context(), manifest, rawImage(manifest, rig.config), rig.delta);
    QVERIFY(finish(transfer));
    QVERIFY(transfer.error());
    QCOMPARE(transfer.error()->code, ExitCode::DownloadFailed);
    QCOMPARE(transfer.error()->edge, std::optional(Edge::E34));
    QCOMPARE(rig.flow.path(), (QList<Edge>{Edge::E22, Edge::E23, Edge::E28, Edge::E29, Edge::E31}));
}

void tst_OnlineSteps::imageTransfer_killedWhileReceivingResumesWithRange()
{
    auto *server = faultServer();
    QVERIFY(server);
    const qint64 cut = 1024 * 1024;
    server->setFault(imagePath(), FaultServer::Fault::stall(cut).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(server->url(QStringLiteral("/s16/"))).isEmpty());
    const Manifest manifest = publishedManifest(m_repo);
    QString partial;
    {
        Rig rig(m_fx, Node::ConnectUpdate);
        ImageTransfer transfer(rig.context(), manifest, rawImage(manifest, rig.config), rig.delta);
        partial = transfer.item().partialPath;
        QSignalSpy done(&transfer, &Job::finished);
        transfer.start();
        QTRY_VERIFY_WITH_TIMEOUT(transfer.written() >= cut, 1500); // before the stall timeout (2 s)
        transfer.kill();
        QVERIFY(done.wait(5000));
        QTest::qWait(50);
        QCOMPARE(done.size(), 1);
        QVERIFY(transfer.error());
        QCOMPARE(transfer.error()->code, ExitCode::Cancelled);
        QVERIFY(!rig.flow.path().contains(Edge::E22));
    }
    QCOMPARE(QFileInfo(partial).size(), cut);

    Rig rig(m_fx, Node::ConnectUpdate);
    ImageTransfer again(rig.context(), manifest, rawImage(manifest, rig.config), rig.delta);
    QVERIFY(finish(again));
    QVERIFY2(!again.error(), qPrintable(again.error() ? again.error()->message : QString()));
    QCOMPARE(again.item().actualSha256, manifest.image.sha256);
    QCOMPARE(again.fetched(), manifest.image.size - cut);
    QList<FaultServer::Request> images;
    for (const auto &r : server->requests()) {
        if (r.path == imagePath())
            images.append(r);
    }
    QCOMPARE(images.size(), 2);
    QCOMPARE(images[1].header("Range"), QByteArray("bytes=") + QByteArray::number(cut) + '-');
}

void tst_OnlineSteps::staging_e35_e39_stagedRecord()
{
    const auto nginx = startRepoServer(m_repo);
    QVERIFY(nginx);
    QVERIFY(!m_fx.makeDevice(nginx->url()).isEmpty());
    Rig rig(m_fx, Node::ConnectUpdate);
    const Manifest manifest = publishedManifest(m_repo);
    ImageTransfer transfer(rig.context(), manifest, rawImage(manifest, rig.config), rig.delta);
    QVERIFY(finish(transfer));
    QVERIFY(!transfer.error());
    QVERIFY(rig.flow.take(Edge::E32));
    QFile bytes(m_repo + QStringLiteral("/manifest.json"));
    QVERIFY(bytes.open(QIODevice::ReadOnly));
    QFile sig(m_repo + QStringLiteral("/manifest.json.sig"));
    QVERIFY(sig.open(QIODevice::ReadOnly));
    Staging staging(rig.context(), manifest, bytes.readAll(), sig.readAll(), {transfer.item()}, std::nullopt);
    QVERIFY(finish(staging));
    QVERIFY2(!staging.error(), qPrintable(staging.error() ? staging.error()->message : QString()));
    QCOMPARE(staging.staged().version, QStringLiteral("1.1.0"));
    QCOMPARE(staging.staged().sha256, manifest.image.sha256);
    QCOMPARE(DeviceState(*rig.journal).staged().value_or(StagedRecord{}).version, QStringLiteral("1.1.0"));
    const QString staged = rig.config.device.updateDir + QStringLiteral("/staged/");
    QCOMPARE(QFileInfo(staged + transfer.item().stagedName).size(), manifest.image.size);
    QVERIFY(QFileInfo::exists(staged + transfer.item().stagedName + QStringLiteral(".sha256")));
    QVERIFY(QFileInfo::exists(staged + QStringLiteral("manifest.json.sig")));
    QVERIFY(!QFileInfo::exists(transfer.item().partialPath));
    const QList<Edge> tail = rig.flow.path().mid(rig.flow.path().size() - 4);
    QCOMPARE(tail, (QList<Edge>{Edge::E35, Edge::E36, Edge::E37, Edge::E39}));
    QCOMPARE(rig.flow.current(), Node::Notify);
}

void tst_OnlineSteps::staging_e38_mismatch()
{
    QVERIFY(!m_fx.makeDevice(QUrl(QStringLiteral("https://127.0.0.1:9/s16/"))).isEmpty());
    Rig rig(m_fx, Node::MakeChecksum);
    const Manifest manifest = publishedManifest(m_repo);
    DownloadItem item = rawImage(manifest, rig.config);
    QFile part(item.partialPath);
    QVERIFY(part.open(QIODevice::WriteOnly));
    QVERIFY(part.write(QByteArray(1000, 'x')) == 1000);
    part.close();
    item.actualSha256 = crypto::Sha256::hexHash(QByteArray(1000, 'x'));
    Staging staging(rig.context(), manifest, {}, {}, {item}, std::nullopt);
    QVERIFY(finish(staging));
    QVERIFY(staging.error());
    QCOMPARE(staging.error()->code, ExitCode::IntegrityMismatch);
    QCOMPARE(staging.error()->edge, std::optional(Edge::E38));
    QVERIFY(!QFileInfo::exists(item.partialPath));
    QCOMPARE(rig.flow.path(), (QList<Edge>{Edge::E35, Edge::E36}));
    QVERIFY(!QFileInfo::exists(rig.config.device.updateDir + QStringLiteral("/staged")));
}

QTEST_GUILESS_MAIN(tst_OnlineSteps)
#include "tst_onlinesteps.moc"
