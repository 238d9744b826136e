// parseContentRange (core/online/transport.h): the server's word on where the bytes
// of a resumed download start. Everything not strictly "bytes FIRST-LAST/COMPLETE"
// is refused, so a confused or hostile server cannot make the device write at an
// offset it did not ask for (an overflowing number used to read as 0).
#include "online/transport.h"

#include <QTest>

using namespace s16;

Q_DECLARE_METATYPE(std::optional<s16::ContentRange>)

class tst_ContentRange : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_data();
    void parse();
};

void tst_ContentRange::parse_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<std::optional<ContentRange>>("expected");
    const std::optional<ContentRange> refused;
    const qint64 max = std::numeric_limits<qint64>::max();

    QTest::newRow("whole body") << QByteArray("bytes 0-99/100") << std::optional(ContentRange{0, 99, 100});
    QTest::newRow("resumed tail") << QByteArray("bytes 1048576-3145744/3145745") << std::optional(ContentRange{1048576, 3145744, 3145745});
    QTest::newRow("unknown complete length") << QByteArray("bytes 5-9/*") << std::optional(ContentRange{5, 9, -1});
    QTest::newRow("one byte") << QByteArray("bytes 7-7/8") << std::optional(ContentRange{7, 7, 8});
    QTest::newRow("unit in any case") << QByteArray("Bytes 0-0/1") << std::optional(ContentRange{0, 0, 1});
    QTest::newRow("surrounding white space") << QByteArray(" bytes 0-9/10\t") << std::optional(ContentRange{0, 9, 10});
    QTest::newRow("largest numbers") << QByteArray("bytes 0-9223372036854775806/9223372036854775807")
                                     << std::optional(ContentRange{0, max - 1, max});

    QTest::newRow("empty") << QByteArray() << refused;
    QTest::newRow("other unit") << QByteArray("items 0-9/10") << refused;
    QTest::newRow("no space after unit") << QByteArray("bytes0-9/10") << refused;
    QTest::newRow("unsatisfied range (416)") << QByteArray("bytes */100") << refused;
    QTest::newRow("first after last") << QByteArray("bytes 9-5/10") << refused;
    QTest::newRow("last at complete length") << QByteArray("bytes 0-10/10") << refused;
    QTest::newRow("negative first") << QByteArray("bytes -1-5/10") << refused;
    QTest::newRow("plus sign") << QByteArray("bytes +1-5/10") << refused;
    QTest::newRow("overflowing first") << QByteArray("bytes 99999999999999999999-1/2") << refused;
    QTest::newRow("overflowing complete length") << QByteArray("bytes 0-1/9223372036854775808") << refused;
    QTest::newRow("space inside") << QByteArray("bytes 0 -9/10") << refused;
    QTest::newRow("trailing garbage") << QByteArray("bytes 0-9/10x") << refused;
    QTest::newRow("trailing star garbage") << QByteArray("bytes 0-9/*0") << refused;
    QTest::newRow("missing last") << QByteArray("bytes 0-/10") << refused;
    QTest::newRow("missing complete length") << QByteArray("bytes 0-9/") << refused;
    QTest::newRow("hex") << QByteArray("bytes 0x0-0x9/10") << refused;
    QTest::newRow("non-ASCII digit") << QByteArray("bytes \xd9\xa1-9/10") << refused;
    QTest::newRow("two ranges") << QByteArray("bytes 0-9/10, 20-29/30") << refused;
}

void tst_ContentRange::parse()
{
    QFETCH(QByteArray, value);
    QFETCH(std::optional<ContentRange>, expected);
    const auto parsed = parseContentRange(value);
    QCOMPARE(parsed.has_value(), expected.has_value());
    if (expected) {
        QCOMPARE(parsed->first, expected->first);
        QCOMPARE(parsed->last, expected->last);
        QCOMPARE(parsed->completeLength, expected->completeLength);
    }
}

QTEST_GUILESS_MAIN(tst_ContentRange)
#include "tst_contentrange.moc"
