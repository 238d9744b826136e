// The staged image's <image>.sha256 (CONTRACT §4), written by the download and read
// by the recovery engine through crypto::formatSha256Sum / parseSha256Sum. The
// format is checked against the real sha256sum both ways: what the writer makes,
// `sha256sum -c` accepts, and what sha256sum prints, the reader reads.
#include "crypto/crypto.h"

#include "support/datatable.h"
#include "support/testutil.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using crypto::CryptoError;

namespace {
const QByteArray kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
}

class tst_Sha256Sum : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_data();
    void parse();
    void refused_data();
    void refused();
    void agreesWithSha256sum_data();
    void agreesWithSha256sum();
};

void tst_Sha256Sum::parse_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("fileName");
    QTest::newRow("text mode") << QByteArray(kHex + "  s16-2.0.0.img\n") << QStringLiteral("s16-2.0.0.img");
    QTest::newRow("binary mode") << QByteArray(kHex + " *s16-2.0.0.img\n") << QStringLiteral("s16-2.0.0.img");
    QTest::newRow("no final newline") << QByteArray(kHex + "  a.img") << QStringLiteral("a.img");
    QTest::newRow("upper-case hex") << QByteArray(kHex.toUpper() + "  a.img\n") << QStringLiteral("a.img");
    QTest::newRow("escaped name") << QByteArray("\\" + kHex + "  a\\\\b\\nc\\rd\n") << QStringLiteral("a\\b\nc\rd");
    QTest::newRow("name with spaces") << QByteArray(kHex + "  my image.img\n") << QStringLiteral("my image.img");
    QTest::newRow("UTF-8 name") << QByteArray(kHex + "  \xc3\xa4.img\n") << QStringLiteral(u"\u00e4.img");
}

void tst_Sha256Sum::parse()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, fileName);
    const auto line = crypto::parseSha256Sum(text);
    QVERIFY2(line, qPrintable(line ? QString() : line.error().message));
    QCOMPARE(line->hex, kHex);
    QCOMPARE(line->fileName, fileName);
}

void tst_Sha256Sum::refused_data()
{
    test::addRows<QByteArray>("text", {{"empty", QByteArray()},
                                       {"hash only", QByteArray(kHex + "\n")},
                                       {"no file name", QByteArray(kHex + "  \n")},
                                       {"one space", QByteArray(kHex + " a.img\n")},
                                       {"short hash", QByteArray(kHex.left(63) + "  a.img\n")},
                                       {"long hash", QByteArray(kHex + "0  a.img\n")},
                                       {"not hex", QByteArray(QByteArray(kHex).replace(0, 1, "g") + "  a.img\n")},
                                       {"two lines", QByteArray(kHex + "  a.img\n" + kHex + "  b.img\n")},
                                       {"unknown escape", QByteArray("\\" + kHex + "  a\\x\n")},
                                       {"lone backslash at the end", QByteArray("\\" + kHex + "  a\\\n")},
                                       {"NUL in the name", QByteArray(kHex + QByteArray("  a\0b\n", 6))},
                                       {"BSD tag format", QByteArray("SHA256 (a.img) = " + kHex + "\n")}});
}

void tst_Sha256Sum::refused()
{
    QFETCH(QByteArray, text);
    const auto line = crypto::parseSha256Sum(text);
    QVERIFY(!line);
    QCOMPARE(line.error().code, CryptoError::BadChecksumFile);
    QCOMPARE(crypto::toError(line.error()).code, ExitCode::IntegrityMismatch);
}

void tst_Sha256Sum::agreesWithSha256sum_data()
{
    test::addRows<QString>("fileName", {{"plain", QStringLiteral("s16-2.0.0.img")},
                                        {"backslash", QStringLiteral("a\\b.img")},
                                        {"newline", QStringLiteral("a\nb.img")},
                                        {"space and UTF-8", QStringLiteral(u"\u00e4 b.img")}});
}

void tst_Sha256Sum::agreesWithSha256sum()
{
    QFETCH(QString, fileName);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString image = dir.filePath(fileName);
    QVERIFY(test::writeRandomFile(image, 4096, 7));
    const auto hex = crypto::sha256FileHex(image);
    QVERIFY(hex);

    // our line, checked by sha256sum -c
    QFile sums(dir.filePath(QStringLiteral("ours.sha256")));
    QVERIFY(sums.open(QIODevice::WriteOnly));
    sums.write(crypto::formatSha256Sum(*hex, fileName));
    sums.close();
    const auto check =
        test::runTool(QStringLiteral("/bin/sh"),
                      {QStringLiteral("-c"), QStringLiteral("cd \"$1\" && sha256sum -c ours.sha256"), QStringLiteral("sh"), dir.path()});
    QVERIFY2(check.exitCode == 0, qPrintable(check.describe()));

    // sha256sum's line, read by us
    const auto printed = test::runTool(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("cd \"$1\" && sha256sum -- \"$2\""),
                                                                   QStringLiteral("sh"), dir.path(), fileName});
    QVERIFY2(printed.exitCode == 0, qPrintable(printed.describe()));
    const auto line = crypto::parseSha256Sum(printed.out);
    QVERIFY2(line, qPrintable(line ? QString() : line.error().message));
    QCOMPARE(line->hex, *hex);
    QCOMPARE(line->fileName, fileName);
}

QTEST_GUILESS_MAIN(tst_Sha256Sum)
#include "tst_sha256sum.moc"
