#include "common/streamwriter.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using fileutil::StreamWriter;

class tst_StreamWriter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void writesAfterWhatWasThere_data();
    void writesAfterWhatWasThere();
    void aFailedWriteIsReported();
    void aMissingFileIsRefused();
    void droppedWithBlocksQueuedEndsCleanly();
};

namespace {

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QByteArray data(n, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    for (qsizetype i = 0; i < n; ++i)
        data[i] = char(rng.generate() & 0xff);
    return data;
}

} // namespace

void tst_StreamWriter::writesAfterWhatWasThere_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<qsizetype>("piece"); // the producer's chunk size (a TLS record, a read buffer)
    constexpr qsizetype MiB = 1024 * 1024;
    QTest::newRow("empty file, whole blocks") << qint64(0) << 8 * MiB << qsizetype(16384);
    QTest::newRow("empty file, a tail") << qint64(0) << 3 * MiB + 4097 << qsizetype(16384);
    QTest::newRow("aligned resume") << qint64(8192) << 2 * MiB + 5 << qsizetype(65536);
    QTest::newRow("unaligned resume, odd pieces") << qint64(1000) << 3 * MiB + 123 << qsizetype(4099);
    QTest::newRow("pieces larger than a block") << qint64(3 * MiB + 17) << 5 * MiB << 2 * MiB + 1;
    QTest::newRow("a few bytes") << qint64(5) << qsizetype(3) << qsizetype(1);
    QTest::newRow("nothing") << qint64(4096) << qsizetype(0) << qsizetype(1);
}

void tst_StreamWriter::writesAfterWhatWasThere()
{
    QFETCH(qint64, offset);
    QFETCH(qsizetype, size);
    QFETCH(qsizetype, piece);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("partial"));
    const QByteArray before = randomBytes(offset, 1);
    const QByteArray data = randomBytes(size, 2);
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(before), before.size());
    }
    QByteArray tapped; // the tap's thread appends, this one reads after finish()
    auto writer = StreamWriter::open(path, offset, [&tapped](QByteArrayView bytes) { tapped.append(bytes); });
    QVERIFY(writer);
    for (qsizetype at = 0; at < data.size(); at += piece)
        QVERIFY((*writer)->write(QByteArrayView(data).sliced(at, std::min(piece, data.size() - at))));
    QVERIFY((*writer)->finish());
    QCOMPARE(tapped.size(), data.size()); // the tap saw every byte, in order
    QVERIFY(tapped == data);
    // In the file once finish() returns, before the writer is gone.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray content = f.readAll();
    QCOMPARE(content.size(), before.size() + data.size());
    QVERIFY(content == before + data);
}

void tst_StreamWriter::aFailedWriteIsReported()
{
    // /dev/full takes the open and refuses every write (ENOSPC), like a full update partition.
    if (!QFile::exists(QStringLiteral("/dev/full")))
        QSKIP("no /dev/full here");
    auto writer = StreamWriter::open(QStringLiteral("/dev/full"), 0);
    QVERIFY(writer);
    const QByteArray data = randomBytes(3 * StreamWriter::kBlockBytes, 3);
    bool refused = false;
    for (int i = 0; i < 4 * StreamWriter::kBlocks && !refused; ++i)
        refused = !(*writer)->write(data);
    QVERIFY(refused); // the producer learns of it while it still sends
    const auto end = (*writer)->finish();
    QVERIFY(!end);
    QCOMPARE(end.error().code, ExitCode::StorageError);
    QVERIFY2(end.error().message.contains(QStringLiteral("/dev/full")), qPrintable(end.error().message));
    QVERIFY(!end.error().detail.isEmpty());
}

void tst_StreamWriter::aMissingFileIsRefused()
{
    QTemporaryDir dir;
    const auto writer = StreamWriter::open(dir.filePath(QStringLiteral("missing")), 0);
    QVERIFY(!writer);
    QCOMPARE(writer.error().code, ExitCode::StorageError);
}

void tst_StreamWriter::droppedWithBlocksQueuedEndsCleanly()
{
    // A download stopped mid-way: the writer goes while its blocks are still queued for the file
    // and the tap; what was queued is written and tapped, and nothing waits forever.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("partial"));
    QVERIFY(QFile(path).open(QIODevice::WriteOnly));
    const QByteArray data = randomBytes((StreamWriter::kBlocks + 2) * StreamWriter::kBlockBytes + 17, 4);
    qsizetype tapped = 0;
    {
        auto writer = StreamWriter::open(path, 0, [&tapped](QByteArrayView bytes) { tapped += bytes.size(); });
        QVERIFY(writer);
        QVERIFY((*writer)->write(data));
    }
    QCOMPARE(tapped, data.size());
    QCOMPARE(QFileInfo(path).size(), data.size());
}

QTEST_GUILESS_MAIN(tst_StreamWriter)
#include "tst_streamwriter.moc"
