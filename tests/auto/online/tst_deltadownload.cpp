// The image as a delta from the running slot (docs/delta.md): real ext4 images made from file
// trees, real nginx over TLS, the release published by s16-publish's library with its chunk store.
// The download's edges (E21-E39) are the same as for a whole image; what changes is how few bytes
// cross the link, and that a bad chunk or index is refused before anything is staged (E38).
#include "fixture.h"

#include "support/datatable.h"
#include "support/faultserver.h"
#include "support/nginxserver.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include "config/config.h"
#include "online/transport.h"

#include "delta/chunkindex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator64>
#include <QSignalSpy>
#include <QTimer>
#include <QTest>

using namespace s16;
using namespace s16::test;

namespace {

const QStringList kWords = {QStringLiteral("update"),  QStringLiteral("slot"),    QStringLiteral("kernel"), QStringLiteral("library"),
                            QStringLiteral("service"), QStringLiteral("config"),  QStringLiteral("device"), QStringLiteral("boot"),
                            QStringLiteral("journal"), QStringLiteral("network"), QStringLiteral("screen"), QStringLiteral("data")};

// A file of text-like content (it compresses, as most of a root file system does), the same
// for the same seed.
bool writeTextFile(const QString &path, quint64 seed)
{
    QRandomGenerator64 rng(seed);
    QByteArray text;
    const int words = 200 + int(rng.bounded(4000));
    for (int i = 0; i < words; ++i) {
        text += kWords.at(int(rng.bounded(kWords.size()))).toLatin1();
        text += (i % 12 == 11) ? '\n' : ' ';
        if (rng.bounded(20) == 0)
            text += QByteArray::number(rng.generate() % 100000);
    }
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
}

// Version 1 of a root tree: 400 files in 20 folders. Version 2: every tenth file changed, every
// twentieth removed, 30 files added, as a month of package updates does to a small system.
bool writeTree(const QString &dir, int version)
{
    for (int i = 0; i < 400; ++i) {
        if (version == 2 && i % 20 == 7)
            continue;
        const QString folder = dir + QStringLiteral("/usr/d%1").arg(i % 20);
        if (!QDir().mkpath(folder))
            return false;
        const quint64 seed = (version == 2 && i % 10 == 3) ? 100000 + i : i;
        if (!writeTextFile(folder + QStringLiteral("/f%1").arg(i), seed))
            return false;
    }
    for (int i = 0; version == 2 && i < 30; ++i) {
        if (!QDir().mkpath(dir + QStringLiteral("/opt/new")) || !writeTextFile(dir + QStringLiteral("/opt/new/n%1").arg(i), 200000 + i))
            return false;
    }
    return true;
}

// An ext4 image of tree, made by mkfs.ext4 as a build system makes a root file system.
ToolResult makeExt4(const QString &tree, const QString &image)
{
    return runTool(QStringLiteral("mkfs.ext4"),
                   {QStringLiteral("-q"), QStringLiteral("-F"), QStringLiteral("-b"), QStringLiteral("4096"), QStringLiteral("-d"), tree,
                    QStringLiteral("-L"), QStringLiteral("s16root"), image, QStringLiteral("16M")});
}

qint64 number(const QJsonObject &o, const char *key) { return qint64(o.value(QLatin1StringView(key)).toDouble()); }

// An image that zstd shrinks about 32-fold: in every 4 KiB, 128 random bytes and zeros. Its
// compressed form arrives much faster than it unpacks and hashes.
bool writeSparseImage(const QString &path, qint64 size, quint64 seed)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    QRandomGenerator64 rng(seed);
    QByteArray page(4096, '\0');
    for (qint64 at = 0; at < size; at += page.size()) {
        rng.fillRange(reinterpret_cast<quint32 *>(page.data()), 128 / sizeof(quint32));
        if (f.write(page) != page.size())
            return false;
    }
    return true;
}

// The messages of one logging category while it lives, at debug level.
class CategoryLog
{
public:
    explicit CategoryLog(const char *category)
    {
        s_category = category;
        s_lines.clear();
        QLoggingCategory::setFilterRules(QStringLiteral("%1.debug=true").arg(QLatin1StringView(category)));
        m_previous = qInstallMessageHandler(&CategoryLog::handle);
    }
    ~CategoryLog()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QString());
    }
    [[nodiscard]] static int count(const QString &word)
    {
        int n = 0;
        for (const QString &line : std::as_const(s_lines))
            n += line.contains(word) ? 1 : 0;
        return n;
    }

private:
    static void handle(QtMsgType, const QMessageLogContext &context, const QString &message)
    {
        if (context.category && qstrcmp(context.category, s_category) == 0)
            s_lines.append(message);
    }
    QtMessageHandler m_previous = nullptr;
    static inline const char *s_category = nullptr;
    static inline QStringList s_lines;
};

} // namespace

class tst_DeltaDownload : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void e21_e32_e35_e37_e39_deltaFetchesOnlyWhatChanged();
    void progressTellsWhatCrossesTheLink();
    void damagedRunningSlotStillUpdates();
    void unknownRunningSlotFetchesTheCompressedImage();
    void e36_e38_compressedImageWithOtherContentIsRefusedByTheIndex();
    void compressedImageIsHashedWholeWhenTheIndexIsNotTheSignedOne();
    void e24_e27_indexLostOnTheNetworkIsAskedForAgain();
    void e38_compressedImageRefusedEarlyIsNotFetchedToItsEnd();
    void deltaTurnedOffFetchesTheCompressedImage();
    void e33_compressedImageResumesAfterACut();
    void e36_e38_damagedChunkOnTheServerIsRefused();
    void e36_e38_chunkWithAnotherContentIsRefused();
    void e36_e38_changedIndexIsRefused();
    void e34_missingChunkFailsThenTheNextDownloadResumes();
    void e24_e25_e27_busyServerIsTriedAgainForAChunk();
    void e33_brokenOffChunkIsFetchedAgain();
    void e30_redirectOfAChunkIsRefused();
    void olderDeviceFetchesTheRawImage();
    void compressedImageWaitsForItsUnpacking();
    void pausedExchangeEndsAfterItsLastBytes_data();
    void pausedExchangeEndsAfterItsLastBytes();

private:
    // A device running v1 from slot A, its server serving repo; the engine then downloads.
    [[nodiscard]] bool deviceOn(const QString &repo);
    [[nodiscard]] bool startFaultServer(); // the fault server in front of m_repo, for faults nginx cannot make
    [[nodiscard]] QString copyRepo(const QString &name);
    // The first (or last) chunk of v2 in image order that v1 does not hold.
    [[nodiscard]] QString neededChunk(const QString &repo, bool last = false) const;
    void expectStagedV2();
    void expectNothingStaged();
    // Flips one bit of the file at offset (from the end when negative).
    [[nodiscard]] static bool flipBit(const QString &path, qsizetype offset, char mask);
    // The device refuses what repo serves at E38 (exit 15) with a message naming what, and stages nothing.
    void expectRefusedAtE38(const QString &repo, const QString &what);
    // Replaces repo's compressed image by one of content (packed by the zstd tool) and signs the
    // manifest that names it again, as a publisher with a fault in its build would.
    [[nodiscard]] bool repackCompressed(const QString &repo, const QByteArray &content);

    OnlineFixture m_fx;
    QTemporaryDir m_dir;
    QString m_v1, m_v2, m_v2Sha, m_repo;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<FaultServer> m_faults;
};

void tst_DeltaDownload::initTestCase()
{
    QVERIFY(TestPki::shared().isValid());
    QVERIFY(m_fx.isValid());
    m_v1 = m_dir.filePath(QStringLiteral("v1.img"));
    m_v2 = m_dir.filePath(QStringLiteral("v2.img"));
    for (int v : {1, 2}) {
        const QString tree = m_dir.filePath(QStringLiteral("tree%1").arg(v));
        QVERIFY(writeTree(tree, v));
        const ToolResult made = makeExt4(tree, v == 1 ? m_v1 : m_v2);
        QVERIFY2(made.exitCode == 0, qPrintable(made.describe()));
    }
    m_v2Sha = sha256Hex(m_v2).value_or(QString());
    QCOMPARE(m_v2Sha.size(), 64);
    m_repo = m_fx.repo();
    Release r;
    r.version = QStringLiteral("1.1.0");
    r.imageFile = m_v2;
    r.zstdLevel = 3;
    QVERIFY(m_fx.publish(m_repo, r));
    QVERIFY(QFileInfo::exists(m_repo + QStringLiteral("/images/s16-1.1.0.caibx")));
}

void tst_DeltaDownload::init() { qputenv("S16_BOOTED_SLOT", "A"); }

void tst_DeltaDownload::cleanup()
{
    qunsetenv("S16_BOOTED_SLOT");
    m_nginx.reset();
    m_faults.reset();
}

bool tst_DeltaDownload::deviceOn(const QString &repo)
{
    m_nginx = startRepoServer(repo);
    if (!m_nginx || m_fx.makeDevice(m_nginx->url()).isEmpty())
        return false;
    const QString slotA = m_fx.deviceDir() + QStringLiteral("/slotA");
    QFile::remove(slotA);
    return QFile::copy(m_v1, slotA);
}

bool tst_DeltaDownload::startFaultServer()
{
    m_faults = std::make_unique<FaultServer>();
    const auto &pki = TestPki::shared();
    return m_faults->start({m_repo, QStringLiteral("/s16/"), pki.server().cert, pki.server().key}).has_value();
}

QString tst_DeltaDownload::copyRepo(const QString &name)
{
    const QString to = m_dir.filePath(name);
    const ToolResult cp = runTool(QStringLiteral("cp"), {QStringLiteral("-a"), m_repo, to});
    return cp.exitCode == 0 ? to : QString();
}

QString tst_DeltaDownload::neededChunk(const QString &repo, bool last) const
{
    QFile f(repo + QStringLiteral("/images/s16-1.1.0.caibx"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const auto v2 = delta::parse(f.readAll());
    if (!v2)
        return {};
    // v1's chunks, found as a device finds them: cut with the index's sizes.
    QFile old(m_v1);
    if (!old.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = old.readAll();
    const delta::Chunker chunker(v2->sizes);
    QSet<QByteArray> inV1;
    for (qsizetype at = 0; at < bytes.size();) {
        const qsizetype n = chunker.cut(reinterpret_cast<const uchar *>(bytes.constData()) + at, bytes.size() - at, true);
        inV1.insert(delta::toHex(delta::chunkIdOf(QByteArrayView(bytes).sliced(at, n))));
        at += n;
    }
    QString found;
    for (const delta::IndexEntry &e : v2->entries) {
        if (!inV1.contains(delta::toHex(e.id))) {
            found = repo + QStringLiteral("/chunks/") + delta::chunkStorePath(e.id);
            if (!last)
                break;
        }
    }
    return found;
}

void tst_DeltaDownload::expectStagedV2()
{
    auto j = m_fx.journal();
    const QJsonObject staged = j->value(QStringLiteral("staged")).toObject();
    QCOMPARE(staged.value(QStringLiteral("version")).toString(), QStringLiteral("1.1.0"));
    QCOMPARE(staged.value(QStringLiteral("sha256")).toString(), m_v2Sha);
    const QString file = m_fx.deviceDir() + QStringLiteral("/update/staged/") + staged.value(QStringLiteral("image")).toString();
    QCOMPARE(sha256Hex(file).value_or(QString()), staged.value(QStringLiteral("compression")).isNull() ? m_v2Sha : QString());
}

void tst_DeltaDownload::expectNothingStaged()
{
    auto j = m_fx.journal();
    QVERIFY(j->value(QStringLiteral("staged")).toObject().isEmpty());
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/staged")));
}

bool tst_DeltaDownload::flipBit(const QString &path, qsizetype offset, char mask)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite))
        return false;
    QByteArray bytes = f.readAll();
    const qsizetype at = offset < 0 ? bytes.size() + offset : offset;
    bytes[at] = char(bytes[at] ^ mask);
    return f.seek(0) && f.write(bytes) == bytes.size();
}

void tst_DeltaDownload::expectRefusedAtE38(const QString &repo, const QString &what)
{
    QVERIFY(deviceOn(repo));
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::IntegrityMismatch);
    QCOMPARE(run.error->edge, std::optional(Edge::E38));
    QVERIFY2(run.error->message.contains(what), qPrintable(run.error->message));
    QVERIFY(pathContains(run.path, {Edge::E35, Edge::E36, Edge::E38, Edge::E08}));
    expectNothingStaged();
}

void tst_DeltaDownload::e21_e32_e35_e37_e39_deltaFetchesOnlyWhatChanged()
{
    QVERIFY(deviceOn(m_repo));
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message + QStringLiteral(" / ") + run.error->detail) : "");
    QVERIFY2(pathContains(run.path, {Edge::E21, Edge::E22, Edge::E23, Edge::E28, Edge::E29, Edge::E31, Edge::E32, Edge::E35, Edge::E36,
                                     Edge::E37, Edge::E39}),
             qPrintable(pathString(run.path)));
    expectStagedV2();
    auto j = m_fx.journal();
    QVERIFY(j->value(QStringLiteral("staged")).toObject().value(QStringLiteral("compression")).isNull()); // the raw image is staged
    // and beside it the index it was built by, for recovery's read back (E49)
    const QString stagedIndex = m_fx.deviceDir() + QStringLiteral("/update/staged/s16-1.1.0.img.caibx");
    QVERIFY(QFileInfo(stagedIndex).isFile());
    QCOMPARE(fileBytes(stagedIndex), fileBytes(m_repo + QStringLiteral("/images/s16-1.1.0.caibx")));
    const QJsonObject transfer = j->value(QStringLiteral("lastTransfer")).toObject();
    const qint64 imageSize = QFileInfo(m_v2).size();
    const qint64 compressedFull = QFileInfo(m_repo + QStringLiteral("/images/s16-1.1.0.img.zst")).size();
    qInfo("image %lld bytes, compressed %lld, fetched %lld, reused %lld", imageSize, compressedFull, number(transfer, "fetched"),
          number(transfer, "reused"));
    QVERIFY(number(transfer, "fetched") > 0);
    // A tenth of the files changed: the delta fetches well under half of what the compressed image costs.
    QVERIFY2(number(transfer, "fetched") * 2 < compressedFull, qPrintable(QString::number(number(transfer, "fetched"))));
    QVERIFY(number(transfer, "reused") * 2 > imageSize);
    QCOMPARE(number(transfer, "total"), imageSize);
}

void tst_DeltaDownload::progressTellsWhatCrossesTheLink()
{
    QVERIFY(deviceOn(m_repo));
    auto journal = m_fx.journal();
    UpdateEngine engine(m_fx.config(), journal.get());
    QList<TransferProgress> seen;
    connect(&engine, &UpdateEngine::progressChanged, this, [&] { seen.append(engine.progress()); });
    QSignalSpy done(&engine, &UpdateEngine::finished);
    engine.download();
    QVERIFY(done.wait(60000));
    QVERIFY(!engine.error());
    QVERIFY(!seen.isEmpty());
    // An estimate once the running slot is scanned, at the end what was fetched.
    const auto known = std::find_if(seen.cbegin(), seen.cend(), [](const TransferProgress &p) { return p.toFetch >= 0; });
    QVERIFY(known != seen.cend());
    const qint64 fetched = seen.constLast().fetched;
    QCOMPARE(seen.constLast().toFetch, fetched);
    QVERIFY2(known->toFetch > fetched / 3 && known->toFetch < fetched * 3,
             qPrintable(QStringLiteral("first estimate %1, fetched %2").arg(known->toFetch).arg(fetched)));
    QCOMPARE(seen.constLast().total, QFileInfo(m_v2).size());
    QCOMPARE(seen.constLast().bytes, QFileInfo(m_v2).size());
    QCOMPARE(seen.constLast().reused + seen.constLast().fetched < seen.constLast().total, true);
    // The log says what the download saved.
    const QList<LogEntry> entries = journal->entries(100);
    const bool said = std::any_of(entries.cbegin(), entries.cend(), [&](const LogEntry &e) {
        return e.event == QStringLiteral("downloadFinished") && e.message.contains(QStringLiteral("%1 of them fetched").arg(fetched));
    });
    QVERIFY(said);
}

void tst_DeltaDownload::damagedRunningSlotStillUpdates()
{
    QVERIFY(deviceOn(m_repo));
    const auto clean = m_fx.run(true);
    QVERIFY(!clean.error);
    const qint64 cleanFetched = number(m_fx.journal()->value(QStringLiteral("lastTransfer")).toObject(), "fetched");

    QVERIFY(deviceOn(m_repo));
    // Every other MiB of the running slot overwritten: what is left of it is still used, the
    // rest is fetched.
    QFile slot(m_fx.deviceDir() + QStringLiteral("/slotA"));
    QVERIFY(slot.open(QIODevice::ReadWrite));
    for (qint64 at = 0; at < slot.size(); at += 2 * 1024 * 1024) {
        QVERIFY(slot.seek(at));
        QVERIFY(slot.write(QByteArray(1024 * 1024, '\x5a')) == 1024 * 1024);
    }
    slot.close();
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    expectStagedV2();
    const QJsonObject transfer = m_fx.journal()->value(QStringLiteral("lastTransfer")).toObject();
    QVERIFY(number(transfer, "reused") > 0);
    QVERIFY2(number(transfer, "fetched") > cleanFetched,
             qPrintable(QStringLiteral("%1 <= %2").arg(number(transfer, "fetched")).arg(cleanFetched)));
}

void tst_DeltaDownload::unknownRunningSlotFetchesTheCompressedImage()
{
    // The compressed image, and the chunk index to check its content with: nothing else.
    qunsetenv("S16_BOOTED_SLOT");
    QVERIFY(deviceOn(m_repo));
    std::optional<OnlineFixture::Run> run;
    {
        const CategoryLog log("s16.download");
        run = m_fx.run(true);
        QCOMPARE(CategoryLog::count(QStringLiteral("checked against the chunk index")), 1);
    }
    QVERIFY2(!run->error, run->error ? qPrintable(run->error->message) : "");
    auto j = m_fx.journal();
    const QJsonObject staged = j->value(QStringLiteral("staged")).toObject();
    QCOMPARE(staged.value(QStringLiteral("compression")).toString(), QStringLiteral("zstd"));
    QCOMPARE(staged.value(QStringLiteral("sha256")).toString(), m_v2Sha);
    const QString stagedIndex = m_fx.deviceDir() + QStringLiteral("/update/staged/s16-1.1.0.img.zst.caibx");
    QVERIFY(QFileInfo(stagedIndex).isFile());
    QCOMPARE(fileBytes(stagedIndex), fileBytes(m_repo + QStringLiteral("/images/s16-1.1.0.caibx")));
    QCOMPARE(number(j->value(QStringLiteral("lastTransfer")).toObject(), "fetched"),
             QFileInfo(m_repo + QStringLiteral("/images/s16-1.1.0.img.zst")).size()
                 + QFileInfo(m_repo + QStringLiteral("/images/s16-1.1.0.caibx")).size());
}

bool tst_DeltaDownload::repackCompressed(const QString &repo, const QByteArray &content)
{
    const QString packed = repo + QStringLiteral("/images/s16-1.1.0.img.zst");
    const ToolResult z = runTool(QStringLiteral("zstd"), {QStringLiteral("-q"), QStringLiteral("-3"), QStringLiteral("-c")},
                                 QProcessEnvironment::systemEnvironment(), 30000, content);
    if (z.exitCode != 0 || !putFileBytes(packed, z.out))
        return false;
    const QString manifestPath = repo + QStringLiteral("/manifest.json");
    QJsonObject manifest = QJsonDocument::fromJson(fileBytes(manifestPath)).object();
    QJsonObject image = manifest.value(QStringLiteral("image")).toObject();
    QJsonObject zst = image.value(QStringLiteral("zstd")).toObject();
    zst.insert(QStringLiteral("size"), double(z.out.size()));
    zst.insert(QStringLiteral("sha256"), sha256Hex(packed).value_or(QString()));
    image.insert(QStringLiteral("zstd"), zst);
    manifest.insert(QStringLiteral("image"), image);
    if (!putFileBytes(manifestPath, QJsonDocument(manifest).toJson()))
        return false;
    return runTool(QStringLiteral("openssl"),
                   {QStringLiteral("pkeyutl"), QStringLiteral("-sign"), QStringLiteral("-rawin"), QStringLiteral("-inkey"),
                    m_fx.privateKey(), QStringLiteral("-in"), manifestPath, QStringLiteral("-out"), manifestPath + QStringLiteral(".sig")})
               .exitCode
           == 0;
}

void tst_DeltaDownload::e36_e38_compressedImageWithOtherContentIsRefusedByTheIndex()
{
    // The compressed file's own sum holds (the manifest signs it), but it unpacks to another
    // image: the chunk index finds the chunk that differs before anything is staged (E38, exit 15).
    const QString repo = copyRepo(QStringLiteral("other-content"));
    QVERIFY(!repo.isEmpty());
    QByteArray other = fileBytes(m_v2);
    other[1024 + 8] = char(other[1024 + 8] ^ 0x01); // in ext4's superblock
    QVERIFY(repackCompressed(repo, other));
    qunsetenv("S16_BOOTED_SLOT");
    QVERIFY(deviceOn(repo));
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::IntegrityMismatch);
    QCOMPARE(run.error->edge, std::optional(Edge::E38));
    QVERIFY2(run.error->message.contains(QStringLiteral("does not unpack")), qPrintable(run.error->message));
    QVERIFY2(run.error->detail.contains(QStringLiteral("do not match chunk 0 of the chunk index")), qPrintable(run.error->detail));
    expectNothingStaged();
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/partial/s16-1.1.0.img.zst.part")));
}

void tst_DeltaDownload::compressedImageIsHashedWholeWhenTheIndexIsNotTheSignedOne()
{
    // The index only saves work: one that is not what the manifest signs is not used, and the
    // content is hashed whole instead, which proves the same.
    const QString repo = copyRepo(QStringLiteral("changed-index-compressed"));
    QVERIFY(!repo.isEmpty());
    QVERIFY(flipBit(repo + QStringLiteral("/images/s16-1.1.0.caibx"), 100, 1));
    qunsetenv("S16_BOOTED_SLOT");
    QVERIFY(deviceOn(repo));
    std::optional<OnlineFixture::Run> run;
    {
        const CategoryLog log("s16.download");
        run = m_fx.run(true);
        QCOMPARE(CategoryLog::count(QStringLiteral("content is hashed whole")), 1);
        QCOMPARE(CategoryLog::count(QStringLiteral("checked against the chunk index")), 0);
    }
    QVERIFY2(!run->error, run->error ? qPrintable(run->error->message) : "");
    const QJsonObject staged = m_fx.journal()->value(QStringLiteral("staged")).toObject();
    QCOMPARE(staged.value(QStringLiteral("compression")).toString(), QStringLiteral("zstd"));
    QCOMPARE(staged.value(QStringLiteral("sha256")).toString(), m_v2Sha);

    // And hashed whole, other content is still refused.
    QByteArray other = fileBytes(m_v2);
    other[1024 + 8] = char(other[1024 + 8] ^ 0x01);
    QVERIFY(repackCompressed(repo, other));
    QVERIFY(deviceOn(repo));
    const auto refused = m_fx.run(true);
    QVERIFY2(refused.error, qPrintable(pathString(refused.path)));
    QCOMPARE(refused.error->edge, std::optional(Edge::E38));
    QVERIFY2(refused.error->detail.contains(QStringLiteral("unpacked %1 bytes with SHA-256").arg(QFileInfo(m_v2).size())),
             qPrintable(refused.error->detail));
}

void tst_DeltaDownload::deltaTurnedOffFetchesTheCompressedImage()
{
    m_nginx = startRepoServer(m_repo);
    QVERIFY(m_nginx);
    QVERIFY(!m_fx.makeDevice(m_nginx->url(), {{QStringLiteral("server/delta"), QStringLiteral("false")}}).isEmpty());
    QFile::remove(m_fx.deviceDir() + QStringLiteral("/slotA"));
    QVERIFY(QFile::copy(m_v1, m_fx.deviceDir() + QStringLiteral("/slotA")));
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    const QJsonObject staged = m_fx.journal()->value(QStringLiteral("staged")).toObject();
    QCOMPARE(staged.value(QStringLiteral("compression")).toString(), QStringLiteral("zstd"));
    QCOMPARE(staged.value(QStringLiteral("sha256")).toString(), m_v2Sha);
}

void tst_DeltaDownload::e33_compressedImageResumesAfterACut()
{
    // The compressed image is unpacked while it arrives; after a cut, what the partial file holds
    // is unpacked again before the rest is added, so the content checks out (E33, then E37).
    QVERIFY(startFaultServer());
    const QString zst = QStringLiteral("/s16/images/s16-1.1.0.img.zst");
    m_faults->setFault(
        zst, FaultServer::Fault::resetMidBody(QFileInfo(m_repo + QStringLiteral("/images/s16-1.1.0.img.zst")).size() / 2).firstRequests(1));
    QVERIFY(
        !m_fx.makeDevice(m_faults->url(QStringLiteral("/s16/")), {{QStringLiteral("server/delta"), QStringLiteral("false")}}).isEmpty());
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message + QStringLiteral(": ") + run.error->detail) : "");
    QVERIFY2(pathContains(run.path, {Edge::E31, Edge::E33, Edge::E25, Edge::E27, Edge::E22}), qPrintable(pathString(run.path)));
    QCOMPARE(m_faults->requestCount(zst), 2);
    const QJsonObject staged = m_fx.journal()->value(QStringLiteral("staged")).toObject();
    QCOMPARE(staged.value(QStringLiteral("compression")).toString(), QStringLiteral("zstd"));
    QCOMPARE(staged.value(QStringLiteral("sha256")).toString(), m_v2Sha);
}

void tst_DeltaDownload::e24_e27_indexLostOnTheNetworkIsAskedForAgain()
{
    // The server is busy for the index and then for the image: the first try would hash the
    // content whole, the second (after E24-E27) asks for the index again and checks by it.
    QVERIFY(startFaultServer());
    const QString index = QStringLiteral("/s16/images/s16-1.1.0.caibx");
    const QString zst = QStringLiteral("/s16/images/s16-1.1.0.img.zst");
    m_faults->setFault(index, FaultServer::Fault::httpStatus(503).firstRequests(1));
    m_faults->setFault(zst, FaultServer::Fault::httpStatus(503).firstRequests(1));
    QVERIFY(
        !m_fx.makeDevice(m_faults->url(QStringLiteral("/s16/")), {{QStringLiteral("server/delta"), QStringLiteral("false")}}).isEmpty());
    std::optional<OnlineFixture::Run> run;
    {
        const CategoryLog log("s16.download");
        run = m_fx.run(true);
        QCOMPARE(CategoryLog::count(QStringLiteral("content is hashed whole")), 1);
        QCOMPARE(CategoryLog::count(QStringLiteral("checked against the chunk index")), 1);
    }
    QVERIFY2(!run->error, run->error ? qPrintable(run->error->message) : "");
    QVERIFY2(pathContains(run->path, {Edge::E22, Edge::E24, Edge::E25, Edge::E27, Edge::E22}), qPrintable(pathString(run->path)));
    QCOMPARE(m_faults->requestCount(index), 2);
    QCOMPARE(m_faults->requestCount(zst), 2);
    QVERIFY(QFileInfo(m_fx.deviceDir() + QStringLiteral("/update/staged/s16-1.1.0.img.zst.caibx")).isFile());
}

void tst_DeltaDownload::e38_compressedImageRefusedEarlyIsNotFetchedToItsEnd()
{
    // A compressed image of another content from its first chunk on (random bytes: it packs to
    // about its own size, 16 MiB): the index refuses the first MiB unpacked, and the download
    // stops there instead of fetching the rest (E38, exit 15, nothing staged).
    const QString repo = copyRepo(QStringLiteral("other-from-the-start"));
    QVERIFY(!repo.isEmpty());
    QVERIFY(repackCompressed(repo, randomBytes(QFileInfo(m_v2).size(), 31)));
    const qint64 packedSize = QFileInfo(repo + QStringLiteral("/images/s16-1.1.0.img.zst")).size();
    qunsetenv("S16_BOOTED_SLOT");
    QVERIFY(deviceOn(repo));
    auto journal = m_fx.journal();
    UpdateEngine engine(m_fx.config(), journal.get());
    qint64 fetched = 0;
    connect(&engine, &UpdateEngine::progressChanged, this, [&] { fetched = std::max(fetched, engine.progress().fetched); });
    QSignalSpy done(&engine, &UpdateEngine::finished);
    engine.download();
    QVERIFY(done.wait(60000));
    QVERIFY(engine.error());
    QCOMPARE(engine.error()->code, ExitCode::IntegrityMismatch);
    QCOMPARE(engine.error()->edge, std::optional(Edge::E38));
    QVERIFY2(engine.error()->detail.contains(QStringLiteral("do not match chunk 0 of the chunk index")),
             qPrintable(engine.error()->detail));
    QVERIFY2(fetched > 0 && fetched < packedSize / 2, qPrintable(QStringLiteral("fetched %1 of %2").arg(fetched).arg(packedSize)));
    expectNothingStaged();
    QVERIFY(!QFileInfo::exists(m_fx.deviceDir() + QStringLiteral("/update/partial/s16-1.1.0.img.zst.part")));
}

void tst_DeltaDownload::e36_e38_damagedChunkOnTheServerIsRefused()
{
    const QString repo = copyRepo(QStringLiteral("damaged-chunk"));
    QVERIFY(!repo.isEmpty());
    const QString chunk = neededChunk(repo);
    QVERIFY(!chunk.isEmpty());
    QVERIFY(flipBit(chunk, QFileInfo(chunk).size() / 2, 0x40));
    expectRefusedAtE38(repo, QFileInfo(chunk).fileName());
}

void tst_DeltaDownload::e36_e38_chunkWithAnotherContentIsRefused()
{
    // A well-formed chunk file of the right size that unpacks to other bytes than its id names
    // (one byte changed, packed again by the zstd tool): only the id says it is wrong.
    const QString repo = copyRepo(QStringLiteral("swapped-chunk"));
    QVERIFY(!repo.isEmpty());
    const QString chunk = neededChunk(repo);
    QVERIFY(!chunk.isEmpty());
    const ToolResult unpacked = runTool(QStringLiteral("zstd"), {QStringLiteral("-q"), QStringLiteral("-d"), QStringLiteral("-c"), chunk});
    QVERIFY2(unpacked.exitCode == 0 && !unpacked.out.isEmpty(), qPrintable(unpacked.describe()));
    QByteArray other = unpacked.out;
    other[other.size() / 2] = char(other[other.size() / 2] ^ 0x20);
    const ToolResult packed = runTool(QStringLiteral("zstd"), {QStringLiteral("-q"), QStringLiteral("-c")},
                                      QProcessEnvironment::systemEnvironment(), 30000, other);
    QVERIFY2(packed.exitCode == 0, qPrintable(packed.describe()));
    QVERIFY(putFileBytes(chunk, packed.out));
    expectRefusedAtE38(repo, QStringLiteral("does not match its id"));
}

void tst_DeltaDownload::e36_e38_changedIndexIsRefused()
{
    const QString repo = copyRepo(QStringLiteral("changed-index"));
    QVERIFY(!repo.isEmpty());
    // a bit of a chunk id: still a well-formed index, but not the signed one
    QVERIFY(flipBit(repo + QStringLiteral("/images/s16-1.1.0.caibx"), 100, 1));
    expectRefusedAtE38(repo, QStringLiteral("s16-1.1.0.caibx"));
}

void tst_DeltaDownload::e34_missingChunkFailsThenTheNextDownloadResumes()
{
    const QString repo = copyRepo(QStringLiteral("missing-chunk"));
    QVERIFY(!repo.isEmpty());
    // The last chunk v1 lacks: the first try writes the image up to it, then the server's 404
    // ends the download (a repository without it cannot be made whole by trying again).
    const QString chunk = neededChunk(repo, true);
    QVERIFY(!chunk.isEmpty());
    const QString aside = chunk + QStringLiteral(".aside");
    QVERIFY(QFile::rename(chunk, aside));
    QVERIFY(deviceOn(repo));
    const auto first = m_fx.run(true);
    QVERIFY(first.error);
    QCOMPARE(first.error->code, ExitCode::DownloadFailed);
    QCOMPARE(first.error->edge, std::optional(Edge::E34));
    QVERIFY2(first.error->message.contains(QStringLiteral("404")), qPrintable(first.error->message));
    expectNothingStaged();
    const QString partial = m_fx.deviceDir() + QStringLiteral("/update/partial/s16-1.1.0.img.part");
    const qint64 kept = QFileInfo(partial).size();
    QVERIFY2(kept > QFileInfo(m_v2).size() / 2, qPrintable(QString::number(kept)));

    // The next download keeps what the partial file holds (each chunk checked again) and
    // fetches only what follows it.
    QVERIFY(QFile::rename(aside, chunk));
    const auto second = m_fx.run(true);
    QVERIFY2(!second.error, second.error ? qPrintable(second.error->message) : "");
    expectStagedV2();
    const QJsonObject transfer = m_fx.journal()->value(QStringLiteral("lastTransfer")).toObject();
    const qint64 indexSize = QFileInfo(repo + QStringLiteral("/images/s16-1.1.0.caibx")).size();
    QVERIFY2(number(transfer, "fetched") < indexSize + 64 * 1024, qPrintable(QString::number(number(transfer, "fetched"))));
}

// The URL path under which the fault server serves chunkFile, a file of repo.
static QString chunkUrlPath(const QString &repo, const QString &chunkFile)
{
    return QStringLiteral("/s16/") + chunkFile.mid(repo.size() + 1);
}

void tst_DeltaDownload::e24_e25_e27_busyServerIsTriedAgainForAChunk()
{
    QVERIFY(startFaultServer());
    const QString chunk = chunkUrlPath(m_repo, neededChunk(m_repo));
    m_faults->setFault(chunk, FaultServer::Fault::httpStatus(503).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(m_faults->url(QStringLiteral("/s16/"))).isEmpty());
    QVERIFY(QFile::remove(m_fx.deviceDir() + QStringLiteral("/slotA")) && QFile::copy(m_v1, m_fx.deviceDir() + QStringLiteral("/slotA")));
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    QVERIFY2(pathContains(run.path, {Edge::E22, Edge::E24, Edge::E25, Edge::E27, Edge::E22, Edge::E23}), qPrintable(pathString(run.path)));
    QCOMPARE(m_faults->requestCount(chunk), 2);
    expectStagedV2();
}

void tst_DeltaDownload::e33_brokenOffChunkIsFetchedAgain()
{
    QVERIFY(startFaultServer());
    const QString chunk = chunkUrlPath(m_repo, neededChunk(m_repo, true));
    m_faults->setFault(chunk, FaultServer::Fault::resetMidBody(8).firstRequests(1));
    QVERIFY(!m_fx.makeDevice(m_faults->url(QStringLiteral("/s16/"))).isEmpty());
    QVERIFY(QFile::remove(m_fx.deviceDir() + QStringLiteral("/slotA")) && QFile::copy(m_v1, m_fx.deviceDir() + QStringLiteral("/slotA")));
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    QVERIFY2(pathContains(run.path, {Edge::E29, Edge::E31, Edge::E33, Edge::E25, Edge::E27, Edge::E22}), qPrintable(pathString(run.path)));
    QCOMPARE(m_faults->requestCount(chunk), 2);
    // The index is fetched once: the second attempt continues the same transfer.
    QCOMPARE(m_faults->requestCount(QStringLiteral("/s16/images/s16-1.1.0.caibx")), 1);
    expectStagedV2();
}

void tst_DeltaDownload::e30_redirectOfAChunkIsRefused()
{
    // A chunk sent to another host: the device's trust does not follow it there (E30, exit 11).
    QVERIFY(startFaultServer());
    const QString chunk = chunkUrlPath(m_repo, neededChunk(m_repo));
    m_faults->setFault(chunk, FaultServer::Fault::redirect("https://elsewhere.example/chunk.cacnk"));
    QVERIFY(!m_fx.makeDevice(m_faults->url(QStringLiteral("/s16/"))).isEmpty());
    QVERIFY(QFile::remove(m_fx.deviceDir() + QStringLiteral("/slotA")) && QFile::copy(m_v1, m_fx.deviceDir() + QStringLiteral("/slotA")));
    const auto run = m_fx.run(true);
    QVERIFY(run.error);
    QCOMPARE(run.error->code, ExitCode::TlsRejected);
    QCOMPARE(run.error->edge, std::optional(Edge::E30));
    expectNothingStaged();
}

void tst_DeltaDownload::olderDeviceFetchesTheRawImage()
{
    // What a device of the release before delta updates reads: image.path, size and sha256,
    // which the repository keeps beside the chunks, byte for byte the image.
    QCOMPARE(sha256Hex(m_repo + QStringLiteral("/images/s16-1.1.0.img")).value_or(QString()), m_v2Sha);
    // ...and a device that finds no chunks in a manifest (an older publisher) takes the whole image.
    const QString repo = m_dir.filePath(QStringLiteral("no-delta"));
    Release r;
    r.version = QStringLiteral("1.1.0");
    r.imageFile = m_v2;
    r.delta = false;
    QVERIFY(m_fx.publish(repo, r));
    QVERIFY(!QFileInfo::exists(repo + QStringLiteral("/chunks")));
    QVERIFY(deviceOn(repo));
    const auto run = m_fx.run(true);
    QVERIFY2(!run.error, run.error ? qPrintable(run.error->message) : "");
    expectStagedV2();
    QCOMPARE(number(m_fx.journal()->value(QStringLiteral("lastTransfer")).toObject(), "fetched"), QFileInfo(m_v2).size());
}

void tst_DeltaDownload::compressedImageWaitsForItsUnpacking()
{
    // 128 MiB that pack into about 4 MiB: the link delivers them faster than they unpack and
    // hash, so the exchange pauses while the unpacker's backlog is full (memory stays bounded)
    // and goes on when it has room; what is staged is still exactly the image signed.
    const QString image = m_dir.filePath(QStringLiteral("sparse.img"));
    QVERIFY(writeSparseImage(image, 128 * 1024 * 1024, 7));
    const QString repo = m_dir.filePath(QStringLiteral("sparse"));
    Release r;
    r.version = QStringLiteral("1.1.0");
    r.imageFile = image;
    r.zstdLevel = 1;
    r.delta = false;
    QVERIFY(m_fx.publish(repo, r));
    m_nginx = startRepoServer(repo);
    QVERIFY(m_nginx);
    QVERIFY(!m_fx.makeDevice(m_nginx->url()).isEmpty());
    std::optional<OnlineFixture::Run> run;
    {
        const CategoryLog net("s16.net");
        run = m_fx.run(true);
        QVERIFY2(CategoryLog::count(QStringLiteral(" paused at ")) > 0, "the download never waited for the unpacker");
        // Each pause but one at the very end (its bytes all read, the response over) went on.
        QVERIFY(CategoryLog::count(QStringLiteral(" resumed at ")) >= CategoryLog::count(QStringLiteral(" paused at ")) - 1);
    }
    QVERIFY2(!run->error, run->error ? qPrintable(run->error->message + QStringLiteral(": ") + run->error->detail) : "");
    const QJsonObject staged = m_fx.journal()->value(QStringLiteral("staged")).toObject();
    QCOMPARE(staged.value(QStringLiteral("compression")).toString(), QStringLiteral("zstd"));
    QCOMPARE(staged.value(QStringLiteral("sha256")).toString(), sha256Hex(image).value_or(QString()));
    QCOMPARE(number(m_fx.journal()->value(QStringLiteral("lastTransfer")).toObject(), "fetched"),
             QFileInfo(repo + QStringLiteral("/images/s16-1.1.0.img.zst")).size());
    QFile::remove(image);
    QVERIFY(QDir(repo).removeRecursively());
}

void tst_DeltaDownload::pausedExchangeEndsAfterItsLastBytes_data()
{
    addRows<bool>("bufferHoldsAll", {{"the whole response arrives while paused", true}, {"the response is held back by the link", false}});
}

void tst_DeltaDownload::pausedExchangeEndsAfterItsLastBytes()
{
    // A consumer pauses at its first bytes and goes on only after the stall timeout (2 s here)
    // has passed: nothing reaches it meanwhile and the stall timeout does not strike, whether the
    // whole response has arrived meanwhile (a read buffer that holds it all: its end is reported
    // after the last bytes, once it goes on) or the rest waits in the link (a 64 KiB buffer).
    QFETCH(bool, bufferHoldsAll);
    m_nginx = startRepoServer(m_repo);
    QVERIFY(m_nginx);
    QVERIFY(!m_fx.makeDevice(m_nginx->url()).isEmpty());
    auto transport = HttpTransport::create(m_fx.config());
    QVERIFY(transport);
    const QByteArray expected = fileBytes(m_v2);
    QByteArray body;
    bool paused = false;
    bool deliveredWhilePaused = false;
    bool endedWhilePaused = false;
    qsizetype bytesAtPause = -1;
    HttpExchange *x = nullptr;
    x = (*transport)
            ->get((*transport)->resolve(QStringLiteral("images/s16-1.1.0.img")), 0,
                  [&](QByteArrayView chunk, QString *) {
                      deliveredWhilePaused = deliveredWhilePaused || paused;
                      body += chunk;
                      if (bytesAtPause < 0) {
                          bytesAtPause = body.size();
                          paused = true;
                          x->setPaused(true);
                          QTimer::singleShot(3000, x, [&] {
                              paused = false;
                              x->setPaused(false);
                          });
                      }
                      return true;
                  },
                  bufferHoldsAll ? 2 * expected.size() : 64 * 1024);
    QSignalSpy ended(x, &HttpExchange::finished);
    connect(x, &HttpExchange::finished, this, [&] { endedWhilePaused = paused; });
    NetResult result;
    connect(x, &HttpExchange::finished, this, [&] { result = x->result(); });
    QVERIFY(ended.wait(15000));
    QVERIFY(bytesAtPause > 0 && bytesAtPause < expected.size());
    QVERIFY(!deliveredWhilePaused);
    QVERIFY(!endedWhilePaused);
    QCOMPARE(result.outcome, NetOutcome::Ok);
    QCOMPARE(body.size(), expected.size());
    QVERIFY(body == expected);
}

QTEST_GUILESS_MAIN(tst_DeltaDownload)
#include "tst_deltadownload.moc"
