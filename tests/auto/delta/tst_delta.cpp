// The chunked image (core/delta): the chunker, casync's blob index and chunk store. casync itself
// is the oracle for the format: it rebuilds an image from what the publisher writes, and what it
// writes is read here.
#include "compress/zstd.h"
#include "delta/chunker.h"
#include "delta/chunkindex.h"
#include "delta/chunkstore.h"
#include "delta/indexcheck.h"

#include "support/datatable.h"
#include "support/testutil.h"

#include <QDirIterator>
#include <QFile>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using namespace s16;
using namespace s16::test;

namespace {

QList<QByteArray> cut(const QByteArray &data, delta::ChunkSizes sizes)
{
    const delta::Chunker chunker(sizes);
    QList<QByteArray> chunks;
    for (qsizetype at = 0; at < data.size();) {
        const qsizetype n = chunker.cut(reinterpret_cast<const uchar *>(data.constData()) + at, data.size() - at, true);
        chunks.append(data.mid(at, n));
        at += n;
    }
    return chunks;
}

bool haveCasync() { return !QStandardPaths::findExecutable(QStringLiteral("casync")).isEmpty(); }

// Content as an ext4 image is: data, a long run of zeros (free space), data, zeros at the end.
QByteArray imageLikeContent()
{
    return randomBytes(300 * 1024, 71) + QByteArray(1024 * 1024, '\0') + randomBytes(100 * 1024, 72) + QByteArray(512 * 1024, '\0');
}

std::shared_ptr<const delta::ChunkIndex> indexOf(const QByteArray &content)
{
    auto index = std::make_shared<delta::ChunkIndex>();
    index->sizes = delta::kDefaultChunkSizes;
    quint64 end = 0;
    for (const QByteArray &c : cut(content, index->sizes)) {
        end += quint64(c.size());
        index->entries.append(delta::IndexEntry{end, delta::chunkIdOf(c)});
    }
    return index;
}

// What an IndexCheck says of content given to it in pieces of pieceBytes.
std::expected<zstd::Content, QString> checkInPieces(const std::shared_ptr<const delta::ChunkIndex> &index, const QByteArray &content,
                                                    qsizetype pieceBytes)
{
    delta::IndexCheck check(index);
    for (qsizetype at = 0; at < content.size(); at += pieceBytes)
        check.add(QByteArrayView(content).sliced(at, std::min(pieceBytes, content.size() - at)));
    return check.finish(content.size());
}

} // namespace

class tst_Delta : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void chunksKeepToTheirSizes();
    void cutsFollowTheContent();
    void chunkReaderCutsAsTheChunkerDoes();
    void indexRoundTrip();
    void malformedIndexIsRefused_data();
    void malformedIndexIsRefused();
    void storeKeepsChunksOnce();
    void casyncRebuildsThePublishedImage();
    void casyncIndexIsRead();
    void casyncDefaultDigestIsRefused();
    void decompressHoldsToTheDeclaredSize();
    void indexCheckTakesTheContentInAnyPieces_data();
    void indexCheckTakesTheContentInAnyPieces();
    void indexCheckRefusesOtherContent_data();
    void indexCheckRefusesOtherContent();
    void unpackerChecksWithTheIndex();

private:
    QTemporaryDir m_dir;
};

void tst_Delta::chunksKeepToTheirSizes()
{
    const QByteArray data = randomBytes(3 * 1024 * 1024 + 123, 7) + QByteArray(512 * 1024, '\0');
    const delta::ChunkSizes sizes = delta::kDefaultChunkSizes;
    const QList<QByteArray> chunks = cut(data, sizes);
    QCOMPARE(chunks.join(), data);
    for (qsizetype i = 0; i + 1 < chunks.size(); ++i) {
        QVERIFY(quint64(chunks[i].size()) >= sizes.min);
        QVERIFY(quint64(chunks[i].size()) <= sizes.max);
    }
    // Near the average on random data (a cut at each byte past min with probability 1/(avg-min)).
    const qint64 average = qint64(data.size()) / chunks.size();
    QVERIFY2(average > qint64(sizes.avg) * 3 / 4 && average < qint64(sizes.avg) * 5 / 4, qPrintable(QString::number(average)));
}

void tst_Delta::cutsFollowTheContent()
{
    // 100 bytes inserted in the middle move only the cuts nearby: almost every chunk stays.
    const QByteArray before = randomBytes(4 * 1024 * 1024, 11);
    const QByteArray after = before.left(2 * 1024 * 1024) + randomBytes(100, 12) + before.mid(2 * 1024 * 1024);
    const QList<QByteArray> a = cut(before, delta::kDefaultChunkSizes);
    const QList<QByteArray> b = cut(after, delta::kDefaultChunkSizes);
    const QSet<QByteArray> known(a.cbegin(), a.cend());
    qint64 shared = 0;
    for (const QByteArray &c : b)
        shared += known.contains(c) ? c.size() : 0;
    QVERIFY2(shared > after.size() - 3 * qint64(delta::kDefaultChunkSizes.max), qPrintable(QString::number(after.size() - shared)));
}

void tst_Delta::chunkReaderCutsAsTheChunkerDoes()
{
    // The reader refills its buffer as it goes: its cuts across refills must equal one pass over
    // the whole data in memory.
    const QByteArray data = randomBytes(9 * 1024 * 1024 + 5, 3);
    const QString path = m_dir.filePath(QStringLiteral("reader.bin"));
    QVERIFY(putFileBytes(path, data));
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    QVERIFY(fd >= 0);
    delta::ChunkReader reader(fd, delta::kDefaultChunkSizes);
    QList<QByteArray> read;
    for (;;) {
        auto next = reader.next();
        QVERIFY(next.has_value());
        if (!*next)
            break;
        QCOMPARE(qsizetype((*next)->offset), read.isEmpty() ? 0 : read.join().size());
        read.append((*next)->data.toByteArray());
    }
    ::close(fd);
    QCOMPARE(read, cut(data, delta::kDefaultChunkSizes));
}

void tst_Delta::indexRoundTrip()
{
    delta::ChunkIndex index;
    index.sizes = delta::kDefaultChunkSizes;
    quint64 end = 0;
    for (const QByteArray &c : cut(randomBytes(1024 * 1024, 5), index.sizes)) {
        end += quint64(c.size());
        index.entries.append(delta::IndexEntry{end, delta::chunkIdOf(c)});
    }
    const auto parsed = delta::parse(delta::serialize(index));
    QVERIFY2(parsed.has_value(), parsed ? "" : qPrintable(parsed.error()));
    QCOMPARE(*parsed, index);
    QCOMPARE(parsed->imageSize(), quint64(1024 * 1024));
}

void tst_Delta::malformedIndexIsRefused_data()
{
    QTest::addColumn<int>("offset"); // a byte to change (-1: cut the file instead)
    QTest::addColumn<int>("value");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not an index") << 8 << 0 << QStringLiteral("not a casync blob index");
    QTest::newRow("SHA-512/256 ids") << 23 << 0xb0 << QStringLiteral("SHA-512/256");
    QTest::newRow("min over max") << 26 << 0x7f << QStringLiteral("not usable");
    QTest::newRow("no table") << 56 << 0 << QStringLiteral("no chunk table");
    QTest::newRow("offsets go back") << 64 + 40 + 1 << 0 << QStringLiteral("breaks the index's chunk sizes");
    QTest::newRow("chunk over max") << 64 + 2 << 0x7f << QStringLiteral("breaks the index's chunk sizes");
    QTest::newRow("tail marker") << -3 << 0 << QStringLiteral("tail is wrong");
    QTest::newRow("cut off") << -1 << 0 << QStringLiteral("cut off");
}

void tst_Delta::malformedIndexIsRefused()
{
    QFETCH(int, offset);
    QFETCH(int, value);
    QFETCH(QString, reason);
    delta::ChunkIndex index;
    quint64 end = 0;
    for (const QByteArray &c : cut(randomBytes(512 * 1024, 9), index.sizes)) {
        end += quint64(c.size());
        index.entries.append(delta::IndexEntry{end, delta::chunkIdOf(c)});
    }
    QByteArray bytes = delta::serialize(index);
    QVERIFY(delta::parse(bytes).has_value());
    if (offset == -1)
        bytes.chop(7);
    else
        bytes[offset < 0 ? bytes.size() + offset + 1 : offset] = char(value);
    const auto parsed = delta::parse(bytes);
    QVERIFY(!parsed.has_value());
    QVERIFY2(parsed.error().contains(reason), qPrintable(parsed.error()));
}

void tst_Delta::storeKeepsChunksOnce()
{
    const QString image = m_dir.filePath(QStringLiteral("store.img"));
    // Repeated content (the same 256 KiB eight times, then zeros) is stored once.
    const QByteArray block = randomBytes(256 * 1024, 21);
    QVERIFY(putFileBytes(image, block.repeated(8) + QByteArray(1024 * 1024, '\0')));
    const QString store = m_dir.filePath(QStringLiteral("store"));
    const auto first = delta::writeChunkStore(image, store, delta::kDefaultChunkSizes, 3);
    QVERIFY2(first.has_value(), first ? "" : qPrintable(first.error()));
    QVERIFY(first->reusedChunks > first->newChunks);
    qsizetype files = 0;
    for (QDirIterator it(store, QDir::Files, QDirIterator::Subdirectories); it.hasNext(); it.next())
        ++files;
    QCOMPARE(files, qsizetype(first->newChunks));
    const auto second = delta::writeChunkStore(image, store, delta::kDefaultChunkSizes, 3);
    QVERIFY(second.has_value());
    QCOMPARE(second->newChunks, 0);
    QCOMPARE(second->index, first->index);
}

void tst_Delta::casyncRebuildsThePublishedImage()
{
    if (!haveCasync())
        QSKIP("casync is not installed (scripts/setup-deps installs it)");
    const QString image = m_dir.filePath(QStringLiteral("casync-oracle.img"));
    QVERIFY(putFileBytes(image, randomBytes(2 * 1024 * 1024, 31) + QByteArray(300 * 1024, '\0') + randomBytes(77777, 32)));
    const QString store = m_dir.filePath(QStringLiteral("oracle-store"));
    const auto stored = delta::writeChunkStore(image, store, delta::kDefaultChunkSizes, 19);
    QVERIFY(stored.has_value());
    const QString index = m_dir.filePath(QStringLiteral("oracle.caibx"));
    QVERIFY(putFileBytes(index, delta::serialize(stored->index)));
    const QString out = m_dir.filePath(QStringLiteral("oracle-out.img"));
    const ToolResult r = runTool(QStringLiteral("casync"), {QStringLiteral("extract"), QStringLiteral("--store=") + store, index, out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QCOMPARE(fileBytes(out), fileBytes(image));
}

void tst_Delta::casyncIndexIsRead()
{
    if (!haveCasync())
        QSKIP("casync is not installed (scripts/setup-deps installs it)");
    const QByteArray data = randomBytes(1024 * 1024 + 999, 41);
    const QString image = m_dir.filePath(QStringLiteral("casync-made.img"));
    QVERIFY(putFileBytes(image, data));
    const QString store = m_dir.filePath(QStringLiteral("casync-store"));
    const QString index = m_dir.filePath(QStringLiteral("casync-made.caibx"));
    const ToolResult r = runTool(QStringLiteral("casync"),
                                 {QStringLiteral("make"), QStringLiteral("--digest=sha256"),
                                  QStringLiteral("--chunk-size=4096:16384:65536"), QStringLiteral("--store=") + store, index, image});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const auto parsed = delta::parse(fileBytes(index));
    QVERIFY2(parsed.has_value(), parsed ? "" : qPrintable(parsed.error()));
    QCOMPARE(parsed->sizes, (delta::ChunkSizes{4096, 16384, 65536}));
    QCOMPARE(parsed->imageSize(), quint64(data.size()));
    // Each chunk of casync's store unpacks, as the device unpacks it, to the bytes its id names.
    QByteArray rebuilt;
    for (qsizetype i = 0; i < parsed->entries.size(); ++i) {
        const QByteArray packed = fileBytes(store + QLatin1Char('/') + delta::chunkStorePath(parsed->entries[i].id));
        const auto chunk = zstd::decompress(packed, qint64(parsed->sizeOf(i)));
        QVERIFY2(chunk.has_value(), chunk ? "" : qPrintable(chunk.error()));
        QCOMPARE(delta::chunkIdOf(*chunk), parsed->entries[i].id);
        rebuilt += *chunk;
    }
    QCOMPARE(rebuilt, data);
}

void tst_Delta::casyncDefaultDigestIsRefused()
{
    if (!haveCasync())
        QSKIP("casync is not installed (scripts/setup-deps installs it)");
    const QString image = m_dir.filePath(QStringLiteral("casync-default.img"));
    QVERIFY(putFileBytes(image, randomBytes(200 * 1024, 51)));
    const QString index = m_dir.filePath(QStringLiteral("casync-default.caibx"));
    const ToolResult r = runTool(QStringLiteral("casync"),
                                 {QStringLiteral("make"), QStringLiteral("--store=") + m_dir.filePath(QStringLiteral("s2")), index, image});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const auto parsed = delta::parse(fileBytes(index));
    QVERIFY(!parsed.has_value());
    QVERIFY2(parsed.error().contains(QStringLiteral("--digest=sha256")), qPrintable(parsed.error()));
}

void tst_Delta::decompressHoldsToTheDeclaredSize()
{
    const QByteArray data = randomBytes(20000, 61);
    const auto packed = zstd::compress(data, 3);
    QVERIFY(packed.has_value());
    QCOMPARE(zstd::decompress(*packed, data.size()).value_or(QByteArray()), data);
    QVERIFY(!zstd::decompress(*packed, data.size() - 1).has_value());                      // more than declared
    QVERIFY(!zstd::decompress(*packed, data.size() + 1).has_value());                      // less than declared
    QVERIFY(!zstd::decompress(packed->left(packed->size() - 5), data.size()).has_value()); // truncated
    QVERIFY(!zstd::decompress(QByteArray(), 0).has_value());
    QByteArray damaged = *packed;
    damaged[damaged.size() / 2] = char(damaged[damaged.size() / 2] ^ 1);
    QVERIFY(!zstd::decompress(damaged, data.size()).has_value()); // the frame's checksum
}

void tst_Delta::indexCheckTakesTheContentInAnyPieces_data()
{
    addRows<qsizetype>("pieceBytes", {{"1 byte", qsizetype(1)},
                                      {"4095 bytes", qsizetype(4095)},
                                      {"1 MiB", qsizetype(1024 * 1024)},
                                      {"all at once", qsizetype(16 * 1024 * 1024)}});
}

void tst_Delta::indexCheckTakesTheContentInAnyPieces()
{
    // A chunk split over pieces is carried over; one whole in a piece is checked in place.
    QFETCH(qsizetype, pieceBytes);
    const QByteArray content = imageLikeContent();
    const auto index = indexOf(content);
    const auto checked = checkInPieces(index, content, pieceBytes);
    QVERIFY2(checked.has_value(), checked ? "" : qPrintable(checked.error()));
    QCOMPARE(checked->size, content.size());
    QCOMPARE(checked->checkedBy, delta::IndexCheck::name());
    QVERIFY(checked->sha256.isEmpty()); // nothing claims a whole-content hash it did not compute
}

void tst_Delta::indexCheckRefusesOtherContent_data()
{
    const QByteArray good = imageLikeContent();
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("why");
    QByteArray data = good;
    data[1000] = char(data[1000] ^ 0x01);
    QTest::newRow("a byte of data changed") << data << QStringLiteral("do not match chunk 0 ");
    QByteArray inZeros = good;
    inZeros[300 * 1024 + 512 * 1024] = '\x01';
    QTest::newRow("a byte in the zeros set") << inZeros << QStringLiteral("do not match chunk");
    QByteArray zeroed = good;
    zeroed.replace(0, 300 * 1024, QByteArray(300 * 1024, '\0'));
    QTest::newRow("data turned to zeros") << zeroed << QStringLiteral("do not match chunk 0 ");
    QTest::newRow("a byte short") << good.chopped(1) << QStringLiteral("ends after");
    QTest::newRow("a byte more") << good + QByteArray(1, '\0') << QStringLiteral("goes on past");
}

void tst_Delta::indexCheckRefusesOtherContent()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, why);
    const auto index = indexOf(imageLikeContent());
    for (const qsizetype pieceBytes : {qsizetype(4095), qsizetype(1024 * 1024)}) {
        const auto checked = checkInPieces(index, content, pieceBytes);
        QVERIFY2(!checked.has_value(), qPrintable(QStringLiteral("accepted in pieces of %1").arg(pieceBytes)));
        QVERIFY2(checked.error().contains(why), qPrintable(checked.error()));
    }
}

void tst_Delta::unpackerChecksWithTheIndex()
{
    // The Unpacker hands its content to the check it is given instead of hashing it whole.
    const QByteArray content = imageLikeContent();
    const auto packed = zstd::compress(content, 3);
    QVERIFY(packed.has_value());
    auto unpacker = zstd::Unpacker::create(content.size(), {}, std::make_unique<delta::IndexCheck>(indexOf(content)));
    QVERIFY(unpacker.has_value());
    QVERIFY((*unpacker)->push(*packed));
    const auto good = (*unpacker)->finish();
    QVERIFY2(good.has_value(), good ? "" : qPrintable(good.error()));
    QCOMPARE(good->checkedBy, delta::IndexCheck::name());
    QCOMPARE(good->size, content.size());

    QByteArray other = content;
    other[5] = char(other[5] ^ 0x10);
    auto refusing = zstd::Unpacker::create(content.size(), {}, std::make_unique<delta::IndexCheck>(indexOf(other)));
    QVERIFY(refusing.has_value());
    QVERIFY((*refusing)->push(*packed));
    QTRY_VERIFY((*refusing)->failed()); // known before the end: the sender may stop
    const auto bad = (*refusing)->finish();
    QVERIFY(!bad.has_value());
    QVERIFY2(bad.error().contains(QStringLiteral("chunk 0 ")), qPrintable(bad.error()));
}

QTEST_GUILESS_MAIN(tst_Delta)
#include "tst_delta.moc"
