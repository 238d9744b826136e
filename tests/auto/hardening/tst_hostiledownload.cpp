// The input matrix, download and update partition (docs/security.md): an image longer
// than its manifest declares, lying Content-Length and Content-Range headers, symlinks
// planted in updateDir, and a partition that fills up during the download. Each must end
// in its exit code with nothing installed and the running system untouched, nothing
// written outside updateDir; and the good update still installs afterwards.
#include "hostileworld.h"

#include "support/faultserver.h"
#include "support/testpki.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QTest>

#include <unistd.h>

using namespace s16;
using namespace s16::hardening;
using test::FaultServer;

namespace {

constexpr qint64 kResumeAt = 100000;
const QString kImageUrlPath = QStringLiteral("/s16/images/s16-1.1.0.img");

void setKeys(const QString &config, const QMap<QString, QVariant> &values)
{
    QSettings s(config, QSettings::IniFormat);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        s.setValue(it.key(), it.value());
}

QString partFile(const QString &device) { return device + QStringLiteral("/update/partial/s16-1.1.0.img.part"); }

} // namespace

class tst_HostileDownload : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void imageLongerThanDeclared();
    void contentLengthShorterThanBodyNeverReachesDisk();
    void lyingContentRangeIsRefused_data();
    void lyingContentRangeIsRefused();
    void symlinkInUpdateDirIsNotFollowed_data();
    void symlinkInUpdateDirIsNotFollowed();
    void fullUpdateDir();
    void updateDirTooSmallRequestsNoImage();
    void compressedImageFromTheZstdToolIsFetchedInstead();
    void compressedImageThatUnpacksToAnotherImageIsRefused();

private:
    // Adds image.zstd for a file made by the zstd command line from content, signed.
    [[nodiscard]] bool offerCompressed(const QByteArray &content, const QStringList &zstdArgs = {});
    [[nodiscard]] bool mountSmallUpdateDir(const QString &size);
    [[nodiscard]] FaultServer *faultServer(const QString &config);
    HostileWorld m_world;
    std::unique_ptr<FaultServer> m_server;
    QString m_config, m_device;
    QString m_mount;
    int m_deviceCount = 0;
};

void tst_HostileDownload::initTestCase()
{
    if (!QFileInfo(QDir(test::binDir()).filePath(QStringLiteral("s16-recovery"))).isExecutable())
        QSKIP("s16-recovery is not in the bin folder: build the whole project");
    const auto started = m_world.start();
    QVERIFY2(started, e2e::why(started).constData());
}

void tst_HostileDownload::init()
{
    QVERIFY(m_world.restoreGoodRelease());
    const QString name = QString::number(++m_deviceCount);
    const auto config = m_world.newDevice(name);
    QVERIFY2(config, e2e::why(config).constData());
    m_config = *config;
    m_device = m_world.deviceDir(name);
    setKeys(m_config, {{QStringLiteral("server/maxTries"), 2}, {QStringLiteral("server/retryIntervalSeconds"), 0}});
}

void tst_HostileDownload::cleanup()
{
    m_server.reset();
    if (!m_mount.isEmpty()) {
        (void)test::runTool(QStringLiteral("umount"), {QStringLiteral("-l"), m_mount});
        m_mount.clear();
    }
}

FaultServer *tst_HostileDownload::faultServer(const QString &config)
{
    m_server = std::make_unique<FaultServer>();
    const auto &pki = test::TestPki::shared();
    if (!m_server->start({m_world.repo(), QStringLiteral("/s16/"), pki.server().cert, pki.server().key}))
        return nullptr;
    setKeys(config, {{QStringLiteral("server/url"), m_server->url(QStringLiteral("/s16/")).toString()}});
    return m_server.get();
}

bool tst_HostileDownload::offerCompressed(const QByteArray &content, const QStringList &zstdArgs)
{
    const QString plain = m_world.repo() + QStringLiteral("/images/content.tmp");
    const QString packed = m_world.repo() + QStringLiteral("/images/s16-1.1.0.img.zst");
    if (!writeFile(plain, content))
        return false;
    // through a pipe, as a stream of unknown size: the frame then says the window it was made with
    const auto z = test::runTool(
        QStringLiteral("sh"),
        {QStringLiteral("-c"), QStringLiteral("zstd -q -19 %1 < \"$0\" > \"$1\"").arg(zstdArgs.join(QLatin1Char(' '))), plain, packed});
    QFile::remove(plain);
    if (z.exitCode != 0)
        return false;
    const QByteArray bytes = readFile(packed);
    QJsonObject manifest = QJsonDocument::fromJson(m_world.goodManifest()).object();
    QJsonObject image = manifest.value(QStringLiteral("image")).toObject();
    image.insert(QStringLiteral("zstd"), QJsonObject{{QStringLiteral("path"), QStringLiteral("images/s16-1.1.0.img.zst")},
                                                     {QStringLiteral("size"), double(bytes.size())},
                                                     {QStringLiteral("sha256"), test::sha256Hex(packed).value_or(QString())}});
    manifest.insert(QStringLiteral("image"), image);
    return m_world.publishSigned(QJsonDocument(manifest).toJson()).has_value();
}

void tst_HostileDownload::compressedImageFromTheZstdToolIsFetchedInstead()
{
    // A release whose image.zstd the zstd command line made: the device fetches that file, not
    // the raw image, checks what it unpacks to, stages it, and recovery unpacks it into the slot.
    const QByteArray compressible = m_world.goodImage().left(4096).repeated(int(kImageBytes / 4096));
    QVERIFY(writeFile(m_world.repoImage(), compressible));
    const QString packed = m_world.repo() + QStringLiteral("/images/s16-1.1.0.img.zst");
    QCOMPARE(test::runTool(QStringLiteral("zstd"), {QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("-19"), m_world.repoImage(),
                                                    QStringLiteral("-o"), packed})
                 .exitCode,
             0);
    QJsonObject manifest = QJsonDocument::fromJson(m_world.goodManifest()).object();
    QJsonObject image = manifest.value(QStringLiteral("image")).toObject();
    image.insert(QStringLiteral("sha256"), test::sha256Hex(m_world.repoImage()).value_or(QString()));
    image.insert(QStringLiteral("zstd"), QJsonObject{{QStringLiteral("path"), QStringLiteral("images/s16-1.1.0.img.zst")},
                                                     {QStringLiteral("size"), double(QFileInfo(packed).size())},
                                                     {QStringLiteral("sha256"), test::sha256Hex(packed).value_or(QString())}});
    manifest.insert(QStringLiteral("image"), image);
    QVERIFY(m_world.publishSigned(QJsonDocument(manifest).toJson()));
    QVERIFY(QFileInfo(packed).size() < kImageBytes / 10);

    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY(QFileInfo::exists(m_device + QStringLiteral("/update/staged/s16-1.1.0.img.zst")));
    QVERIFY(!QFileInfo::exists(m_device + QStringLiteral("/update/staged/s16-1.1.0.img")));
    const auto status = e2e::update(m_config, {QStringLiteral("status"), QStringLiteral("--json")});
    const QJsonObject o = QJsonDocument::fromJson(status.out).object();
    QCOMPARE(qint64(o.value(QStringLiteral("bytesFetched")).toDouble()), QFileInfo(packed).size());
    QCOMPARE(qint64(o.value(QStringLiteral("bytesReused")).toDouble()), 0);
    // "Update now" and the boots: slot B holds the image, byte for byte
    QCOMPARE(e2e::update(m_config, {QStringLiteral("install")}).exitCode, 0);
    const auto boots = e2e::devsim({QStringLiteral("run"), m_device});
    QVERIFY2(boots.exitCode == 0, qPrintable(boots.describe()));
    const auto state = e2e::show(m_device);
    QVERIFY(state);
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("B"));
    const QString slotB =
        QDir(m_device).absoluteFilePath(QSettings(m_config, QSettings::IniFormat).value(QStringLiteral("boot/slotB")).toString());
    QCOMPARE(readFile(slotB).left(kImageBytes), compressible);
}

void tst_HostileDownload::compressedImageThatUnpacksToAnotherImageIsRefused()
{
    // Its own sum holds (the manifest signs it), what it unpacks to is not the image: E38,
    // exit 15, the file discarded, nothing staged; the raw release still installs afterwards.
    QByteArray other = m_world.goodImage();
    other[1000] = char(other.at(1000) ^ 0x01);
    QVERIFY(offerCompressed(other));
    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 15, qPrintable(r.describe()));
    QCOMPARE(lastError(m_config).value(QStringLiteral("edge")).toString(), QStringLiteral("E38"));
    QVERIFY2(lastError(m_config).value(QStringLiteral("message")).toString().contains(QStringLiteral("does not unpack")),
             qPrintable(lastError(m_config).value(QStringLiteral("message")).toString()));
    QVERIFY(!QFileInfo::exists(m_device + QStringLiteral("/update/partial/s16-1.1.0.img.zst.part")));
    QCOMPARE(untouched(m_device), QString());
    // A frame that asks for a 128 MiB window (more than a device gives, 32 MiB) is refused too,
    // before the memory is taken.
    QVERIFY(m_world.restoreGoodRelease());
    QVERIFY(offerCompressed(m_world.goodImage(), {QStringLiteral("--zstd=wlog=27")}));
    const auto wide = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(wide.exitCode == 15, qPrintable(wide.describe()));
    QCOMPARE(untouched(m_device), QString());
    QFile::remove(m_world.repo() + QStringLiteral("/images/s16-1.1.0.img.zst"));
    QVERIFY(m_world.restoreGoodRelease());
    const QString notInstalled = installsGoodUpdate(m_config, m_device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

void tst_HostileDownload::imageLongerThanDeclared()
{
    // nginx serves the longer file with an honest Content-Length: more than the signed
    // manifest declares is refused as soon as it arrives (E38, exit 15)
    QVERIFY(writeFile(m_world.repoImage(), m_world.goodImage() + QByteArray(4096, 'x')));
    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 15, qPrintable(r.describe()));
    QCOMPARE(lastError(m_config).value(QStringLiteral("edge")).toString(), QStringLiteral("E38"));
    QVERIFY(QFileInfo(partFile(m_device)).size() <= kImageBytes);
    QCOMPARE(untouched(m_device), QString());
    QVERIFY(m_world.restoreGoodRelease());
    const QString notInstalled = installsGoodUpdate(m_config, m_device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

void tst_HostileDownload::contentLengthShorterThanBodyNeverReachesDisk()
{
    // Content-Length says the file's size, 4096 more bytes follow: HTTP ends the body where
    // Content-Length says, so the rest never reaches the disk and the image verifies
    auto *server = faultServer(m_config);
    QVERIFY(server);
    server->setFault(kImageUrlPath, FaultServer::Fault::extraBytes(4096, true));
    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QCOMPARE(readFile(m_device + QStringLiteral("/update/staged/s16-1.1.0.img")), m_world.goodImage());
}

void tst_HostileDownload::lyingContentRangeIsRefused_data()
{
    QTest::addColumn<QByteArray>("contentRange");
    QTest::addColumn<qint64>("bodyFrom"); // where in the image the 206 body starts
    QTest::addColumn<qint64>("extra");    // bytes after the image's end
    QTest::addColumn<int>("exitCode");
    const QByteArray total = QByteArray::number(kImageBytes);
    QTest::newRow("starts at another offset") << QByteArray("bytes 0-" + QByteArray::number(kImageBytes - 1) + '/' + total) << qint64(0)
                                              << qint64(0) << 14;
    QTest::newRow("overflowing start") << QByteArray("bytes 99999999999999999999-" + QByteArray::number(kImageBytes - 1) + '/' + total)
                                       << kResumeAt << qint64(0) << 14;
    QTest::newRow("no Content-Range") << QByteArray() << kResumeAt << qint64(0) << 14;
    QTest::newRow("negative start") << QByteArray("bytes -100000-" + QByteArray::number(kImageBytes - 1) + '/' + total) << kResumeAt
                                    << qint64(0) << 14;
    // the right start, then more than the manifest declares: E38
    QTest::newRow("beyond the declared size") << QByteArray("bytes 100000-999999/1000000") << kResumeAt << qint64(1000) << 15;
}

void tst_HostileDownload::lyingContentRangeIsRefused()
{
    QFETCH(QByteArray, contentRange);
    QFETCH(qint64, bodyFrom);
    QFETCH(qint64, extra);
    QFETCH(int, exitCode);
    // a download cut after kResumeAt bytes: the device asks for the rest with a Range
    QVERIFY(QDir().mkpath(m_device + QStringLiteral("/update/partial")));
    QVERIFY(writeFile(partFile(m_device), m_world.goodImage().first(kResumeAt)));
    auto *server = faultServer(m_config);
    QVERIFY(server);
    FaultServer::Headers headers;
    if (!contentRange.isEmpty())
        headers.append({"Content-Range", contentRange});
    server->setFault(kImageUrlPath,
                     FaultServer::Fault::httpStatus(206, headers, m_world.goodImage().sliced(bodyFrom) + QByteArray(extra, 'x')));

    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == exitCode, qPrintable(r.describe()));
    QVERIFY(server->requestCount(kImageUrlPath) >= 1);
    // nothing was written at the offset the server claimed
    const QByteArray part = readFile(partFile(m_device));
    QVERIFY(part.size() <= kImageBytes);
    QCOMPARE(part, m_world.goodImage().first(part.size()));
    QCOMPARE(untouched(m_device), QString());
    server->clearFaults();
    const QString notInstalled = installsGoodUpdate(m_config, m_device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

void tst_HostileDownload::symlinkInUpdateDirIsNotFollowed_data()
{
    QTest::addColumn<QString>("link");  // inside updateDir
    QTest::addColumn<bool>("toFolder"); // the victim is a folder (else a file)
    QTest::newRow("partial/ to a folder elsewhere") << QStringLiteral("partial") << true;
    QTest::newRow("the partial file to a file elsewhere") << QStringLiteral("partial/s16-1.1.0.img.part") << false;
    QTest::newRow("staged/ to a folder elsewhere") << QStringLiteral("staged") << true;
    QTest::newRow("staged.new to a folder elsewhere") << QStringLiteral("staged.new") << true;
    QTest::newRow("staged.old to a folder elsewhere") << QStringLiteral("staged.old") << true;
}

void tst_HostileDownload::symlinkInUpdateDirIsNotFollowed()
{
    QFETCH(QString, link);
    QFETCH(bool, toFolder);
    // what someone wants the updater to overwrite, truncate or delete
    const QString victim = m_device + QStringLiteral("/victim");
    const QByteArray precious(600 * 1024, 'p'); // larger than the image: a resume would truncate it
    QString victimFile;
    if (toFolder) {
        QVERIFY(QDir().mkpath(victim));
        victimFile = victim + QStringLiteral("/s16-1.1.0.img.part");
    } else {
        victimFile = victim;
    }
    QVERIFY(writeFile(victimFile, precious));
    if (toFolder)
        QVERIFY(writeFile(victim + QStringLiteral("/manifest.json"), "keep me"));
    const QString linkPath = m_device + QStringLiteral("/update/") + link;
    QVERIFY(QDir().mkpath(QFileInfo(linkPath).path()));
    QVERIFY(QFile::link(victim, linkPath));

    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    // the victim is exactly as it was, whatever the updater made of the link
    QCOMPARE(readFile(victimFile), precious);
    if (toFolder) {
        QCOMPARE(readFile(victim + QStringLiteral("/manifest.json")), QByteArray("keep me"));
        QCOMPARE(QDir(victim).entryList(QDir::Files | QDir::Hidden).size(), 2);
    }
    QVERIFY2(r.exitCode == 0 || r.exitCode == 16, qPrintable(r.describe()));
    if (r.exitCode == 0) {
        // it replaced the link by its own folder and staged the update there
        const QString staged = m_device + QStringLiteral("/update/staged");
        QVERIFY(!QFileInfo(staged).isSymLink());
        QCOMPARE(readFile(staged + QStringLiteral("/s16-1.1.0.img")), m_world.goodImage());
        return;
    }
    QCOMPARE(untouched(m_device), QString());
    QVERIFY(QFile::remove(linkPath));
    const QString notInstalled = installsGoodUpdate(m_config, m_device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

// updateDir becomes a tmpfs of the given size (QSKIP where that cannot be done).
bool tst_HostileDownload::mountSmallUpdateDir(const QString &size)
{
    if (::geteuid() != 0)
        return false;
    const QString update = m_device + QStringLiteral("/update");
    if (!QDir(update).removeRecursively() || !QDir().mkpath(update))
        return false;
    const auto mounted = test::runTool(QStringLiteral("mount"), {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                                                                 QStringLiteral("size=") + size, QStringLiteral("tmpfs"), update});
    if (mounted.exitCode != 0) {
        qWarning().noquote() << "cannot mount a tmpfs here:" << mounted.describe();
        return false;
    }
    m_mount = update;
    return true;
}

void tst_HostileDownload::fullUpdateDir()
{
    if (!mountSmallUpdateDir(QStringLiteral("1m")))
        QSKIP("mounting a small tmpfs needs root and mount");
    const QString update = m_mount;

    // The free-space check passes (1 MiB for a 512 KiB image); the partition fills up
    // once the server has the request, as if another writer took the space meanwhile.
    auto *server = faultServer(m_config);
    QVERIFY(server);
    const QString filler = update + QStringLiteral("/filler");
    bool filled = false;
    connect(server, &FaultServer::requestReceived, this, [&](const QString &path) {
        if (path == kImageUrlPath && !filled)
            filled = writeFile(filler, QByteArray(1024 * 1024 - 64 * 1024, 'f'));
    });
    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY(filled);
    QVERIFY2(r.exitCode == 16, qPrintable(r.describe()));
    QCOMPARE(lastError(m_config).value(QStringLiteral("code")).toInt(), 16);
    QCOMPARE(untouched(m_device), QString());

    // space again: the next try resumes and the update installs
    QVERIFY(QFile::remove(filler));
    const QString notInstalled = installsGoodUpdate(m_config, m_device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

void tst_HostileDownload::updateDirTooSmallRequestsNoImage()
{
    // 256 KiB for a 512 KiB image: the signed manifest's size says so before the image is
    // requested, so the download costs no traffic and leaves no file (exit 16).
    if (!mountSmallUpdateDir(QStringLiteral("256k")))
        QSKIP("mounting a small tmpfs needs root and mount");
    auto *server = faultServer(m_config);
    QVERIFY(server);
    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 16, qPrintable(r.describe()));
    const QJsonObject error = lastError(m_config);
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), 16);
    QVERIFY2(error.value(QStringLiteral("message")).toString().contains(QStringLiteral("not enough space")),
             qPrintable(error.value(QStringLiteral("message")).toString()));
    QCOMPARE(server->requestCount(QStringLiteral("/s16/manifest.json")), 1);
    QCOMPARE(server->requestCount(kImageUrlPath), 0);
    QCOMPARE(QDir(m_mount).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
    QCOMPARE(untouched(m_device), QString());
}

QTEST_GUILESS_MAIN(tst_HostileDownload)
#include "tst_hostiledownload.moc"
