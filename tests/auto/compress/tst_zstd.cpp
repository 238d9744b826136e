// core/compress against the zstd command line, both ways: what the publisher writes the tool
// unpacks, what the tool writes the device unpacks, and what is damaged, cut short, followed by
// anything, or asks for a window a device does not give is refused with a clear error.
#include "compress/zstd.h"
#include "crypto/crypto.h"
#include "support/testutil.h"

#include <QFile>
#include <QRandomGenerator64>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <unistd.h>

using namespace s16;
using namespace s16::test;

namespace {

// Something that compresses like a system image: text and runs, with some noise.
QByteArray imageLike(qsizetype size)
{
    QByteArray out;
    out.reserve(size);
    quint32 x = 2463534242u;
    while (out.size() < size) {
        out += "usr/lib/x86_64-linux-gnu/libQt6Core.so.6 ";
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out += QByteArray::number(x);
        out += QByteArray(int(x % 200), '\0');
    }
    out.truncate(size);
    return out;
}

} // namespace

class tst_Zstd : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void publisherOutputUnpacksWithTheTool();
    void toolOutputUnpacksOnTheDevice();
    void refusedInput_data();
    void refusedInput();
    void moreThanDeclaredIsRefused();
    void unpackerChecksWhatArrives_data();
    void unpackerChecksWhatArrives();
    void unpackerAsksToWaitWhenBehind();

private:
    QTemporaryDir m_dir;
    QString m_plain;
    QByteArray m_content;
};

void tst_Zstd::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_plain = m_dir.filePath(QStringLiteral("image"));
    m_content = imageLike(3 * 1024 * 1024 + 17);
    QVERIFY(putFileBytes(m_plain, m_content));
}

void tst_Zstd::publisherOutputUnpacksWithTheTool()
{
    const QString packed = m_dir.filePath(QStringLiteral("by-s16.zst"));
    QVERIFY(zstd::compressFile(m_plain, packed, 3));
    QVERIFY(QFileInfo(packed).size() < m_content.size() / 3);
    const auto r = test::runTool(QStringLiteral("zstd"), {QStringLiteral("-d"), QStringLiteral("-c"), packed});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, m_content);
    const auto c = zstd::contentOf(packed, m_content.size());
    QVERIFY2(c, c ? "" : qPrintable(c.error()));
    QCOMPARE(c->size, m_content.size());
    QCOMPARE(c->sha256, crypto::Sha256::hexHash(m_content));
}

void tst_Zstd::unpackerChecksWhatArrives_data()
{
    QTest::addColumn<int>("piece");
    QTest::addColumn<int>("cut"); // bytes left off the end of the stream
    QTest::addColumn<bool>("ok");
    QTest::newRow("one byte at a time") << 1 << 0 << true;
    QTest::newRow("as a network delivers") << 16384 << 0 << true;
    QTest::newRow("all at once") << (1 << 30) << 0 << true;
    QTest::newRow("truncated") << 16384 << 5 << false;
}

void tst_Zstd::unpackerChecksWhatArrives()
{
    QFETCH(int, piece);
    QFETCH(int, cut);
    QFETCH(bool, ok);
    const QString packed = m_dir.filePath(QStringLiteral("pushed.zst"));
    QCOMPARE(test::runTool(QStringLiteral("zstd"),
                           {QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("-3"), m_plain, QStringLiteral("-o"), packed})
                 .exitCode,
             0);
    QByteArray stream = fileBytes(packed);
    stream.chop(cut);
    auto unpacker = zstd::Unpacker::create(m_content.size());
    QVERIFY(unpacker);
    // one byte at a time only for the first 64 KiB, and then on in large pieces: the test stays short
    qsizetype at = 0;
    for (; at < stream.size() && (piece > 1 || at < 65536); at += piece)
        (*unpacker)->push(QByteArrayView(stream).sliced(at, std::min<qsizetype>(piece, stream.size() - at)));
    if (at < stream.size())
        (*unpacker)->push(QByteArrayView(stream).sliced(at));
    const auto content = (*unpacker)->finish();
    QCOMPARE(content.has_value(), ok);
    if (ok) {
        QCOMPARE(content->size, m_content.size());
        QCOMPARE(content->sha256, crypto::Sha256::hexHash(m_content));
    }
    // A frame that ends exactly where the decoder's buffer is full (512 KiB: four of its 128 KiB).
    const QByteArray exact = imageLike(512 * 1024);
    const auto exactPacked = zstd::compress(exact, 3);
    QVERIFY(exactPacked);
    auto whole = zstd::Unpacker::create(exact.size());
    QVERIFY(whole);
    (*whole)->push(*exactPacked);
    const auto exactContent = (*whole)->finish();
    QVERIFY2(exactContent.has_value(), exactContent ? "" : qPrintable(exactContent.error()));
    QCOMPARE(exactContent->sha256, crypto::Sha256::hexHash(exact));
    // more content than declared is refused
    auto smaller = zstd::Unpacker::create(m_content.size() - 1);
    QVERIFY(smaller);
    (*smaller)->push(fileBytes(packed));
    QVERIFY(!(*smaller)->finish().has_value());
}

void tst_Zstd::unpackerAsksToWaitWhenBehind()
{
    // Random bytes do not pack: the stream is as large as its content, more than the backlog
    // the unpacker takes before it asks its caller to wait.
    QByteArray content(qsizetype(3 * zstd::Unpacker::kBacklogBytes), Qt::Uninitialized);
    QRandomGenerator64(5).fillRange(reinterpret_cast<quint32 *>(content.data()), content.size() / qsizetype(sizeof(quint32)));
    const auto packed = zstd::compress(content, 1);
    QVERIFY(packed);
    std::atomic<int> rooms{0};
    auto unpacker = zstd::Unpacker::create(content.size(), [&rooms] { ++rooms; });
    QVERIFY(unpacker);
    QVERIFY((*unpacker)->push(QByteArrayView(*packed).first(1024)));   // little: welcome
    QVERIFY(!(*unpacker)->push(QByteArrayView(*packed).sliced(1024))); // much: wait
    // The room is announced once, when the backlog is down to a quarter.
    QTRY_COMPARE(rooms.load(), 1);
    const auto done = (*unpacker)->finish();
    QVERIFY2(done.has_value(), done ? "" : qPrintable(done.error()));
    QCOMPARE(done->sha256, crypto::Sha256::hexHash(content));
    QCOMPARE(rooms.load(), 1);

    // waitForRoom() returns once the backlog is down, with no callback at all.
    auto waiting = zstd::Unpacker::create(content.size());
    QVERIFY(waiting);
    QVERIFY(!(*waiting)->push(*packed));
    (*waiting)->waitForRoom();
    const auto after = (*waiting)->finish();
    QVERIFY(after.has_value());
    QCOMPARE(after->size, content.size());

    // An unpacker dropped in the middle (a cancelled download) stops its threads at once.
    auto dropped = zstd::Unpacker::create(content.size());
    QVERIFY(dropped);
    (void)(*dropped)->push(*packed);
    dropped->reset();
}

void tst_Zstd::toolOutputUnpacksOnTheDevice()
{
    const QString packed = m_dir.filePath(QStringLiteral("by-tool.zst"));
    QCOMPARE(test::runTool(QStringLiteral("zstd"),
                           {QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("-19"), m_plain, QStringLiteral("-o"), packed})
                 .exitCode,
             0);
    // read in pieces of odd sizes, as the slot writer asks for 4 MiB at a time
    const int fd = ::open(QFile::encodeName(packed).constData(), O_RDONLY);
    QVERIFY(fd >= 0);
    auto reader = zstd::Reader::open(fd);
    QVERIFY(reader);
    QByteArray out;
    QByteArray piece(333331, '\0');
    for (;;) {
        const auto got = (*reader)->read(piece.data(), piece.size());
        QVERIFY2(got, got ? "" : qPrintable(got.error()));
        if (*got == 0)
            break;
        out += piece.left(*got);
    }
    ::close(fd);
    QCOMPARE(out, m_content);
}

void tst_Zstd::refusedInput_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<QString>("says");
    QTest::newRow("cut short") << "truncate"
                               << "truncated";
    QTest::newRow("a byte flipped") << "flip"
                                    << "damaged";
    QTest::newRow("garbage after the frame") << "append"
                                             << "damaged";
    QTest::newRow("not zstd at all") << "plain"
                                     << "damaged";
    QTest::newRow("a 128 MiB window") << "window"
                                      << "damaged";
}

void tst_Zstd::refusedInput()
{
    QFETCH(QString, how);
    QFETCH(QString, says);
    const QString packed = m_dir.filePath(QStringLiteral("bad-%1.zst").arg(how));
    if (how == QLatin1String("window")) {
        // streamed (size unknown): the frame declares the window it was made with
        QCOMPARE(test::runTool(QStringLiteral("sh"),
                               {QStringLiteral("-c"), QStringLiteral("zstd -q -3 --zstd=wlog=27 < \"$0\" > \"$1\""), m_plain, packed})
                     .exitCode,
                 0);
    } else {
        QVERIFY(zstd::compressFile(m_plain, packed, 3));
        QByteArray bytes = fileBytes(packed);
        if (how == QLatin1String("truncate"))
            bytes.chop(1000);
        else if (how == QLatin1String("flip"))
            bytes[bytes.size() / 2] = char(bytes.at(bytes.size() / 2) ^ 0x40);
        else if (how == QLatin1String("append"))
            bytes += "trailing bytes";
        else
            bytes = m_content.left(100000);
        QVERIFY(putFileBytes(packed, bytes));
    }
    const auto c = zstd::contentOf(packed, m_content.size());
    QVERIFY(!c);
    QVERIFY2(c.error().contains(says), qPrintable(c.error()));
    if (how == QLatin1String("window"))
        QVERIFY2(c.error().contains(QStringLiteral("memory")), qPrintable(c.error()));
}

void tst_Zstd::moreThanDeclaredIsRefused()
{
    const QString packed = m_dir.filePath(QStringLiteral("longer.zst"));
    QVERIFY(zstd::compressFile(m_plain, packed, 1));
    const auto c = zstd::contentOf(packed, m_content.size() - 1);
    QVERIFY(!c);
    QVERIFY2(c.error().contains(QStringLiteral("more than")), qPrintable(c.error()));
}

QTEST_GUILESS_MAIN(tst_Zstd)
#include "tst_zstd.moc"
