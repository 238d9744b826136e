#include "common/fileutil.h"
#include "delta/chunkindex.h"
#include "delta/chunkstore.h"
#include "install/slotwriter.h"
#include "support/datatable.h"
#include "support/testutil.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

using namespace s16;

namespace {

// The chunk index of a file, made as s16-publish makes it (with its chunk store beside it).
std::shared_ptr<const delta::ChunkIndex> indexOfFile(const QString &path)
{
    auto made = delta::writeChunkStore(path, path + QStringLiteral(".chunks"), delta::kDefaultChunkSizes, 1);
    return made ? std::make_shared<const delta::ChunkIndex>(std::move(made->index)) : nullptr;
}

} // namespace

class tst_SlotWriter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void writesAndVerifies_data();
    void writesAndVerifies();
    void refuses_data();
    void refuses();
    void injectedFaults_data();
    void injectedFaults();
    void errorsFailTheInstall();
    void e49_readBackIsCheckedAgainstTheChunkIndex_data();
    void e49_readBackIsCheckedAgainstTheChunkIndex();
    void e49_e51_slotChangedWhileWritingIsCaught_data();
    void e49_e51_slotChangedWhileWritingIsCaught();
    void e49_readBackComesFromTheMedium();

private:
    QString imageOf(qint64 size, quint64 seed = 7);
    QString emptySlot(const QString &name);
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_SlotWriter::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    qunsetenv("S16_FAULT");
}

QString tst_SlotWriter::imageOf(qint64 size, quint64 seed)
{
    const QString path = m_dir->filePath(QStringLiteral("image-%1-%2.img").arg(size).arg(seed));
    const auto written = test::writeRandomFile(path, size, seed);
    return written ? path : QString();
}

// A slot exists before anything is written to it (a partition; s16-devsim makes an empty file).
QString tst_SlotWriter::emptySlot(const QString &name)
{
    const QString path = m_dir->filePath(name);
    QFile f(path);
    return f.open(QIODevice::WriteOnly) ? path : QString();
}

void tst_SlotWriter::writesAndVerifies_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<qint64>("previousSlotSize"); // 0: an empty slot file, as s16-devsim makes it
    QTest::newRow("empty image") << qint64(0) << qint64(0);
    QTest::newRow("one byte") << qint64(1) << qint64(0);
    QTest::newRow("exactly one chunk") << SlotWriter::kChunkBytes << qint64(0);
    QTest::newRow("two chunks and a bit") << 2 * SlotWriter::kChunkBytes + 4099 << qint64(0);
    // read back window by window while the next ones are written
    QTest::newRow("three write-behind windows and a bit") << 3 * fileutil::WriteBehind::kWindowBytes + 4099 << qint64(0);
    QTest::newRow("slot held a larger image") << qint64(100000) << qint64(5000000);
    QTest::newRow("slot held a smaller image") << qint64(300000) << qint64(1000);
}

void tst_SlotWriter::writesAndVerifies()
{
    QFETCH(qint64, size);
    QFETCH(qint64, previousSlotSize);
    const QString image = imageOf(size);
    QVERIFY(!image.isEmpty());
    const auto sum = test::sha256Hex(image);
    QVERIFY2(sum, qPrintable(sum.error()));
    const QString slotA = m_dir->filePath(QStringLiteral("slotA"));
    const QString slotB = m_dir->filePath(QStringLiteral("slotB"));
    QVERIFY(test::writeRandomFile(slotA, 12345, 99));
    QVERIFY(test::writeRandomFile(slotB, previousSlotSize, 3));
    const auto slotABefore = test::sha256Hex(slotA);

    QList<QPair<qint64, qint64>> calls;
    const auto written = SlotWriter::write({image, size, sum->toLatin1(), slotB, slotA}, [&](qint64 bytes, qint64 total) {
        calls.append({bytes, total});
    });
    QVERIFY2(written, written ? "" : qPrintable(written.error().message + u' ' + written.error().detail));

    // the slot holds exactly the image, as an independent hash says
    QCOMPARE(QFileInfo(slotB).size(), size);
    QCOMPARE(*test::sha256Hex(slotB), *sum);
    // the fallback slot is untouched
    QCOMPARE(*test::sha256Hex(slotA), *slotABefore);
    // progress covers writing and reading back, rising, ending at the total
    if (size > 0) {
        QVERIFY(!calls.isEmpty());
        for (qsizetype i = 1; i < calls.size(); ++i)
            QVERIFY(calls[i].first >= calls[i - 1].first);
        QCOMPARE(calls.last().first, 2 * size);
        QCOMPARE(calls.last().second, 2 * size);
    }
}

void tst_SlotWriter::refuses_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<SlotError>("expected");
    QTest::newRow("same path as the booted slot") << QStringLiteral("samePath") << SlotError::BootedSlot;
    QTest::newRow("symlink to the booted slot") << QStringLiteral("symlink") << SlotError::BootedSlot;
    QTest::newRow("hard link to the booted slot") << QStringLiteral("hardlink") << SlotError::BootedSlot;
    QTest::newRow("no target configured") << QStringLiteral("noTarget") << SlotError::NoTarget;
    QTest::newRow("image missing") << QStringLiteral("noImage") << SlotError::SourceUnreadable;
    QTest::newRow("image shorter than declared") << QStringLiteral("shortImage") << SlotError::SourceSize;
    QTest::newRow("slot folder missing") << QStringLiteral("noFolder") << SlotError::TargetUnopenable;
    // a slot is a partition: a device path that does not exist is an error, never a new file
    QTest::newRow("slot missing") << QStringLiteral("noSlot") << SlotError::TargetUnopenable;
    QTest::newRow("block device node missing") << QStringLiteral("noDevice") << SlotError::TargetUnopenable;
}

void tst_SlotWriter::refuses()
{
    QFETCH(QString, kind);
    QFETCH(SlotError, expected);
    const qint64 size = 50000;
    QString image = imageOf(size);
    const QByteArray sum = test::sha256Hex(image)->toLatin1();
    const QString slotA = m_dir->filePath(QStringLiteral("slotA"));
    QVERIFY(test::writeRandomFile(slotA, 7777, 5));
    const auto before = test::sha256Hex(slotA);
    QString target = m_dir->filePath(QStringLiteral("slotB"));
    qint64 declared = size;
    if (kind != QLatin1StringView("symlink") && kind != QLatin1StringView("hardlink") && kind != QLatin1StringView("noSlot"))
        QVERIFY(!emptySlot(QStringLiteral("slotB")).isEmpty());
    if (kind == QLatin1StringView("samePath")) {
        target = slotA;
    } else if (kind == QLatin1StringView("symlink")) {
        QVERIFY(QFile::link(slotA, target));
    } else if (kind == QLatin1StringView("hardlink")) {
        QCOMPARE(::link(QFile::encodeName(slotA).constData(), QFile::encodeName(target).constData()), 0);
    } else if (kind == QLatin1StringView("noTarget")) {
        target.clear();
    } else if (kind == QLatin1StringView("noImage")) {
        image = m_dir->filePath(QStringLiteral("missing.img"));
    } else if (kind == QLatin1StringView("shortImage")) {
        declared = size + 1;
    } else if (kind == QLatin1StringView("noFolder")) {
        target = m_dir->filePath(QStringLiteral("no/such/slotB"));
    } else if (kind == QLatin1StringView("noDevice")) {
        // /dev exists and is writable by root: a missing node there must not become a file
        target = QStringLiteral("/dev/s16-no-such-slot-%1").arg(::getpid());
    }
    const auto written = SlotWriter::write({image, declared, sum, target, slotA});
    QVERIFY(!written);
    QCOMPARE(written.error().code, expected);
    QCOMPARE(*test::sha256Hex(slotA), *before);
    if (kind == QLatin1StringView("noSlot") || kind == QLatin1StringView("noDevice")) {
        QVERIFY2(!QFileInfo::exists(target), qPrintable(target + QStringLiteral(" was created")));
        QVERIFY2(written.error().detail.contains(QStringLiteral("No such file")), qPrintable(written.error().detail));
    }
}

void tst_SlotWriter::injectedFaults_data()
{
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<SlotError>("expected");
    QTest::newRow("write fails after the first chunk") << QByteArray("write") << SlotError::WriteFailed;
    QTest::newRow("read back differs") << QByteArray("readback") << SlotError::VerifyMismatch;
}

void tst_SlotWriter::injectedFaults()
{
    QFETCH(QByteArray, fault);
    QFETCH(SlotError, expected);
    const qint64 size = SlotWriter::kChunkBytes + 10;
    const QString image = imageOf(size);
    const QByteArray sum = test::sha256Hex(image)->toLatin1();
    QVERIFY(!emptySlot(QStringLiteral("slotB")).isEmpty());
    qputenv("S16_FAULT", fault);
    const auto written =
        SlotWriter::write({image, size, sum, m_dir->filePath(QStringLiteral("slotB")), m_dir->filePath(QStringLiteral("slotA"))});
    qunsetenv("S16_FAULT");
    QVERIFY(!written);
    QCOMPARE(written.error().code, expected);
}

void tst_SlotWriter::errorsFailTheInstall()
{
    // A damaged slot is only caught by reading it back: the wrong expected hash stands in.
    const QString image = imageOf(1000);
    QVERIFY(!emptySlot(QStringLiteral("slotB")).isEmpty());
    const auto written = SlotWriter::write(
        {image, 1000, QByteArray(64, '0'), m_dir->filePath(QStringLiteral("slotB")), m_dir->filePath(QStringLiteral("slotA"))});
    QVERIFY(!written);
    QCOMPARE(written.error().code, SlotError::VerifyMismatch);
    const Error e = toError(written.error());
    QCOMPARE(e.code, ExitCode::InstallFailed);
    QCOMPARE(e.edge, std::optional(Edge::E51));
    QVERIFY(e.message.contains(QStringLiteral("slotB")));
}

void tst_SlotWriter::e49_readBackIsCheckedAgainstTheChunkIndex_data()
{
    test::addRows<bool>("sameImage", {{"the image's index", true}, {"another image's index", false}});
}

void tst_SlotWriter::e49_readBackIsCheckedAgainstTheChunkIndex()
{
    // With the release's chunk index, the index's verdict on what was read back is the proof
    // (the whole SHA-256 is not computed: a wrong one given here changes nothing): an image of
    // data and a long run of zeros, as a root file system is, passes against its own index and
    // fails against one of an image that differs in a single byte.
    QFETCH(bool, sameImage);
    const QString image = m_dir->filePath(QStringLiteral("image.img"));
    const QByteArray data = test::randomBytes(3 * 1024 * 1024, 11);
    QVERIFY(test::putFileBytes(image, data + QByteArray(2 * fileutil::WriteBehind::kWindowBytes, '\0') + data.left(100000)));
    const qint64 size = QFileInfo(image).size();
    QString other = m_dir->filePath(QStringLiteral("other.img"));
    QVERIFY(QFile::copy(image, other));
    QFile changing(other);
    QVERIFY(changing.open(QIODevice::ReadWrite) && changing.seek(size - 5) && changing.write("x", 1) == 1);
    changing.close();
    SlotWriter::Job job{image, size, QByteArray(64, '0'), emptySlot(QStringLiteral("slotB")), m_dir->filePath(QStringLiteral("slotA"))};
    job.index = indexOfFile(sameImage ? image : other);
    QVERIFY(job.index);
    const auto written = SlotWriter::write(job);
    if (sameImage) {
        QVERIFY2(written, written ? "" : qPrintable(written.error().message + u' ' + written.error().detail));
        QCOMPARE(test::sha256Hex(job.target).value_or(QString()), test::sha256Hex(image).value_or(QString()));
    } else {
        QVERIFY(!written);
        QCOMPARE(written.error().code, SlotError::VerifyMismatch);
        QVERIFY2(written.error().detail.contains(QStringLiteral("of the chunk index")), qPrintable(written.error().detail));
    }
}

void tst_SlotWriter::e49_e51_slotChangedWhileWritingIsCaught_data()
{
    test::addRows<bool>("byIndex", {{"hashed whole", false}, {"checked against the chunk index", true}});
}

void tst_SlotWriter::e49_e51_slotChangedWhileWritingIsCaught()
{
    // The read back checks the slot, not the image it was fed: a byte of the slot changed
    // by someone else after the writer put it there (here, after its first chunk) is caught.
    QFETCH(bool, byIndex);
    const qint64 size = 3 * fileutil::WriteBehind::kWindowBytes;
    const QString image = imageOf(size);
    const QByteArray sum = test::sha256Hex(image)->toLatin1();
    const QString slotB = emptySlot(QStringLiteral("slotB"));
    QVERIFY(!slotB.isEmpty());
    bool changed = false;
    // By the index, the whole SHA-256 given is wrong: only the index can catch the change.
    SlotWriter::Job job{image, size, byIndex ? QByteArray(64, '0') : sum, slotB, m_dir->filePath(QStringLiteral("slotA"))};
    if (byIndex)
        job.index = indexOfFile(image);
    const auto written = SlotWriter::write(job, [&](qint64 bytes, qint64) {
        if (changed || bytes < SlotWriter::kChunkBytes)
            return;
        QFile slot(slotB);
        QVERIFY(slot.open(QIODevice::ReadWrite));
        const QByteArray first = slot.read(1);
        QVERIFY(slot.seek(0));
        QCOMPARE(slot.write(QByteArray(1, char(~first.at(0)))), qint64(1));
        changed = true;
    });
    QVERIFY(changed);
    QVERIFY(!written);
    QCOMPARE(written.error().code, SlotError::VerifyMismatch);
    if (byIndex)
        QVERIFY2(written.error().detail.contains(QStringLiteral("do not match chunk 0 of the chunk index")),
                 qPrintable(written.error().detail));
}

// Bytes this process made the kernel fetch from a block device (its threads included).
static qint64 storageReadBytes()
{
    QFile io(QStringLiteral("/proc/self/io"));
    if (!io.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : io.readAll().split('\n')) {
        if (line.startsWith("read_bytes:"))
            return line.mid(11).trimmed().toLongLong();
    }
    return -1;
}

void tst_SlotWriter::e49_readBackComesFromTheMedium()
{
    // E49's proof is what the medium holds, not what the page cache remembers: the read back
    // must fetch every byte of the slot from storage, although all of it was just written.
    struct statfs fs {
    };
    QCOMPARE(::statfs(QFile::encodeName(m_dir->path()).constData(), &fs), 0);
    if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)
        QSKIP("the temporary folder lives in memory: there is no medium to read back from");
    const qint64 size = 3 * fileutil::WriteBehind::kWindowBytes + 4099;
    const QString image = imageOf(size);
    const QByteArray sum = test::sha256Hex(image)->toLatin1(); // the image is in the page cache now
    QVERIFY(!emptySlot(QStringLiteral("slotB")).isEmpty());
    const qint64 before = storageReadBytes();
    if (before < 0)
        QSKIP("/proc/self/io is not readable here");
    const auto written =
        SlotWriter::write({image, size, sum, m_dir->filePath(QStringLiteral("slotB")), m_dir->filePath(QStringLiteral("slotA"))});
    QVERIFY2(written, written ? "" : qPrintable(written.error().message + u' ' + written.error().detail));
    const qint64 fetched = storageReadBytes() - before;
    QVERIFY2(fetched >= size, qPrintable(QStringLiteral("read %1 bytes from storage, the slot holds %2").arg(fetched).arg(size)));
}

QTEST_GUILESS_MAIN(tst_SlotWriter)
#include "tst_slotwriter.moc"
