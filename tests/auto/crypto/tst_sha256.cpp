#include "crypto/crypto.h"
#include "support/datatable.h"
#include "support/testutil.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using namespace s16::crypto;
using namespace s16::test;

namespace {

QByteArray qtHex(QByteArrayView data) { return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex(); }

} // namespace

class tst_Sha256 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void knownVectors_data();
    void knownVectors();
    void chunkingDoesNotMatter_data();
    void chunkingDoesNotMatter();
    void resultStartsANewMessage();
    void resetDiscardsData();
    void moveKeepsState();
    void fileHash_data();
    void fileHash();
    void fileHashMatchesSha256sum();
    void fileHashOfMissingFile();
};

void tst_Sha256::knownVectors_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("hex");
    // FIPS 180-2 appendix B and the empty message
    QTest::newRow("empty") << QByteArray() << QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    QTest::newRow("abc") << QByteArray("abc") << QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    QTest::newRow("two blocks") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                << QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    QTest::newRow("million a") << QByteArray(1000000, 'a')
                               << QByteArray("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

void tst_Sha256::knownVectors()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, hex);
    Sha256 h;
    h.addData(input);
    const QByteArray raw = h.result();
    QCOMPARE(raw.size(), 32);
    QCOMPARE(raw.toHex(), hex);
    QCOMPARE(Sha256::hexHash(input), hex);
    QCOMPARE(Sha256::hash(input), QByteArray::fromHex(hex));
}

void tst_Sha256::chunkingDoesNotMatter_data()
{
    addRows<qsizetype>("chunk", {{"1", qsizetype(1)},
                                 {"63", qsizetype(63)},
                                 {"64", qsizetype(64)},
                                 {"65", qsizetype(65)},
                                 {"4093", qsizetype(4093)},
                                 {"whole", qsizetype(1 << 20)}});
}

void tst_Sha256::chunkingDoesNotMatter()
{
    QFETCH(qsizetype, chunk);
    const QByteArray data = randomBytes(100000, 7);
    Sha256 h;
    for (qsizetype off = 0; off < data.size(); off += chunk)
        h.addData(QByteArrayView(data).sliced(off, qMin(chunk, data.size() - off)));
    const QByteArray hex = h.hexResult();
    QCOMPARE(hex.size(), 64);
    QCOMPARE(hex, hex.toLower());
    QCOMPARE(hex, qtHex(data));
}

void tst_Sha256::resultStartsANewMessage()
{
    Sha256 h;
    h.addData("something else");
    (void)h.result();
    h.addData("abc");
    QCOMPARE(h.hexResult(), QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

void tst_Sha256::resetDiscardsData()
{
    Sha256 h;
    h.addData("discard me");
    h.reset();
    h.addData("abc");
    QCOMPARE(h.hexResult(), qtHex("abc"));
}

void tst_Sha256::moveKeepsState()
{
    Sha256 a;
    a.addData("ab");
    Sha256 b(std::move(a));
    b.addData("c");
    QCOMPARE(b.hexResult(), qtHex("abc"));

    Sha256 c;
    c.addData("xy");
    c = std::move(b);
    c.addData("abc");
    QCOMPARE(c.hexResult(), qtHex("abc"));

    // a moved-from hash is usable and starts empty
    a.addData("abc"); // NOLINT(bugprone-use-after-move): documented behaviour under test
    QCOMPARE(a.hexResult(), qtHex("abc"));
}

void tst_Sha256::fileHash_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<int>("expectedCalls");
    QTest::newRow("empty") << qint64(0) << 0;
    QTest::newRow("small") << qint64(1000) << 1;
    QTest::newRow("exactly one chunk") << kHashChunkBytes << 1;
    QTest::newRow("one chunk and a byte") << kHashChunkBytes + 1 << 2;
    QTest::newRow("3.5 chunks") << kHashChunkBytes * 7 / 2 << 4;
}

void tst_Sha256::fileHash()
{
    QFETCH(qint64, size);
    QFETCH(int, expectedCalls);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("image.img"));
    const QByteArray data = randomBytes(qsizetype(size), quint32(size));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(data), size);
    }
    QList<qint64> calls;
    const auto hex = sha256FileHex(path, [&calls](qint64 done) { calls << done; });
    QVERIFY2(hex, qPrintable(hex ? QString() : hex.error().message));
    QCOMPARE(*hex, qtHex(data));
    QCOMPARE(calls.size(), expectedCalls);
    for (qsizetype i = 0; i < calls.size(); ++i) {
        QVERIFY(calls.at(i) > (i ? calls.at(i - 1) : 0));
        QVERIFY(calls.at(i) - (i ? calls.at(i - 1) : 0) <= kHashChunkBytes);
    }
    if (!calls.isEmpty())
        QCOMPARE(calls.last(), size);
    // without a progress callback the result is the same
    QCOMPARE(sha256FileHex(path).value_or(QByteArray()), qtHex(data));
}

void tst_Sha256::fileHashMatchesSha256sum()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("blob"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.write(randomBytes(3 * 1024 * 1024 + 17, 99)) > 0);
    }
    QProcess p;
    p.start(QStringLiteral("sha256sum"), {path});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray expected = p.readAllStandardOutput().left(64);
    QCOMPARE(sha256FileHex(path).value_or(QByteArray()), expected);
}

void tst_Sha256::fileHashOfMissingFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("missing.img"));
    const auto r = sha256FileHex(path);
    QVERIFY(!r);
    QCOMPARE(r.error().code, CryptoError::IoError);
    QVERIFY2(r.error().message.contains(path), qPrintable(r.error().message));
    QCOMPARE(toError(r.error()).code, ExitCode::StorageError);
}

QTEST_GUILESS_MAIN(tst_Sha256)
#include "tst_sha256.moc"
