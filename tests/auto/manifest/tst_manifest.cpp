#include "manifest/manifest.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>
#include <QTest>

using namespace s16;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(s16::ManifestError)

namespace QTest {
template <>
char *toString(const ManifestError &code)
{
    return qstrdup(manifestErrorName(code).toUtf8().constData());
}
} // namespace QTest

namespace {

const QString kHashA = u"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"_s;
const QString kHashB = u"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"_s;
const QString kHashC = u"fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13"_s;

// The CONTRACT §3 example with real-looking hashes and two migrations.
QJsonObject validManifest()
{
    return QJsonObject{
        {u"format"_s, 1},
        {u"product"_s, u"s16"_s},
        {u"version"_s, u"2.1.0"_s},
        {u"released"_s, u"2026-11-20T10:00:00Z"_s},
        {u"expires"_s, u"2027-02-20T10:00:00Z"_s},
        {u"priority"_s, false},
        {u"notes"_s, QJsonObject{{u"en"_s, u"Faster start-up."_s}, {u"de"_s, u"Schnellerer Start."_s}}},
        {u"image"_s, QJsonObject{{u"path"_s, u"images/s16-2.1.0.img"_s}, {u"size"_s, 268435456}, {u"sha256"_s, kHashA}}},
        {u"schema"_s, 4},
        {u"migrations"_s,
         QJsonArray{QJsonObject{{u"schema"_s, 3}, {u"path"_s, u"migrations/0003.sql"_s}, {u"size"_s, 0}, {u"sha256"_s, kHashB}},
                    QJsonObject{{u"schema"_s, 4}, {u"path"_s, u"migrations/0004.sql"_s}, {u"size"_s, 120}, {u"sha256"_s, kHashC}}}},
    };
}

QByteArray toBytes(const QJsonObject &o) { return QJsonDocument(o).toJson(QJsonDocument::Indented); }

// Sets (or with an undefined value removes) the value at a path such as
// "image.sha256" or "migrations[1].path".
QJsonValue withChange(const QJsonValue &node, QStringList steps, const QJsonValue &value)
{
    static const QRegularExpression indexed(u"^(.*)\\[(\\d+)\\]$"_s);
    const QString step = steps.takeFirst();
    const auto match = indexed.match(step);
    const QString key = match.hasMatch() ? match.captured(1) : step;
    QJsonObject o = node.toObject();
    if (match.hasMatch()) {
        QJsonArray a = o.value(key).toArray();
        const qsizetype i = match.captured(2).toInt();
        if (steps.isEmpty())
            a[i] = value;
        else
            a[i] = withChange(a.at(i), steps, value);
        o.insert(key, a);
    } else if (steps.isEmpty()) {
        if (value.isUndefined())
            o.remove(key);
        else
            o.insert(key, value);
    } else {
        o.insert(key, withChange(o.value(key), steps, value));
    }
    return o;
}

QJsonObject changed(const QString &path, const QJsonValue &value)
{
    return withChange(validManifest(), path.split(u'.'), value).toObject();
}

QDateTime utc(const QString &iso)
{
    QDateTime dt = QDateTime::fromString(iso, Qt::ISODate);
    Q_ASSERT(dt.isValid());
    return dt.toUTC();
}

Manifest parsedValid()
{
    auto m = parseManifest(toBytes(validManifest()));
    Q_ASSERT(m);
    return *m;
}

} // namespace

class tst_Manifest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesTheContractExample();
    void rejects_data();
    void rejects();
    void rejectsRawBytes_data();
    void rejectsRawBytes();
    void accepts_data();
    void accepts();
    void sizeLimitIsCheckedBeforeParsing();
    void deepNestingIsRefusedQuickly_data();
    void deepNestingIsRefusedQuickly();
    void roundTrip();
    void roundTripKeepsEscapesAndBuildMetadata();
    void compressedImageRoundTrips();
    void serializerWritesContractKeyOrder();
    void notesFor_data();
    void notesFor();
    void safeRelativePath_data();
    void safeRelativePath();
    void checkManifestFor_data();
    void checkManifestFor();
    void toErrorNamesTheField();
    void corpusSeeds();
};

void tst_Manifest::parsesTheContractExample()
{
    const auto m = parseManifest(toBytes(validManifest()));
    QVERIFY(m);
    QCOMPARE(m->format, 1);
    QCOMPARE(m->product, u"s16"_s);
    QCOMPARE(m->version.toString(), u"2.1.0"_s);
    QCOMPARE(m->released, QDateTime(QDate(2026, 11, 20), QTime(10, 0), Qt::UTC));
    QCOMPARE(m->released.timeSpec(), Qt::UTC);
    QCOMPARE(m->expires, QDateTime(QDate(2027, 2, 20), QTime(10, 0), Qt::UTC));
    QCOMPARE(m->priority, false);
    QCOMPARE(m->notes.size(), 2);
    QCOMPARE(m->notes.value(u"de"_s), u"Schnellerer Start."_s);
    QCOMPARE(m->image.path, u"images/s16-2.1.0.img"_s);
    QCOMPARE(m->image.size, 268435456);
    QCOMPARE(m->image.sha256, kHashA.toLatin1());
    QCOMPARE(m->schema, std::optional<int>(4));
    QCOMPARE(m->migrations.size(), 2);
    QCOMPARE(m->migrations[0], (ManifestMigration{3, u"migrations/0003.sql"_s, 0, kHashB.toLatin1()}));
    QCOMPARE(m->migrations[1], (ManifestMigration{4, u"migrations/0004.sql"_s, 120, kHashC.toLatin1()}));
}

void tst_Manifest::rejects_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QJsonValue>("value"); // undefined: the key is removed
    QTest::addColumn<ManifestError>("code");
    QTest::addColumn<QString>("field");

    const QJsonValue removed(QJsonValue::Undefined);
    const auto row = [](const char *name, const QString &path, const QJsonValue &value, ManifestError code, const QString &field) {
        QTest::newRow(name) << path << value << code << field;
    };
    using E = ManifestError;

    row("format missing", u"format"_s, removed, E::MissingField, u"format"_s);
    row("format 2", u"format"_s, 2, E::UnsupportedFormat, u"format"_s);
    row("format as string", u"format"_s, u"1"_s, E::UnsupportedFormat, u"format"_s);
    row("format 1.5", u"format"_s, 1.5, E::UnsupportedFormat, u"format"_s);
    row("format null", u"format"_s, QJsonValue(), E::UnsupportedFormat, u"format"_s);

    row("product missing", u"product"_s, removed, E::MissingField, u"product"_s);
    row("product number", u"product"_s, 16, E::WrongType, u"product"_s);
    row("product empty", u"product"_s, u""_s, E::BadProduct, u"product"_s);
    row("product uppercase", u"product"_s, u"S16"_s, E::BadProduct, u"product"_s);
    row("product slash", u"product"_s, u"s16/x"_s, E::BadProduct, u"product"_s);
    row("product 65 chars", u"product"_s, QString(65, u'a'), E::BadProduct, u"product"_s);

    row("version missing", u"version"_s, removed, E::MissingField, u"version"_s);
    row("version number", u"version"_s, 2.1, E::WrongType, u"version"_s);
    row("version v prefix", u"version"_s, u"v2.1.0"_s, E::BadVersion, u"version"_s);
    row("version two parts", u"version"_s, u"2.1"_s, E::BadVersion, u"version"_s);
    row("version leading zero", u"version"_s, u"2.01.0"_s, E::BadVersion, u"version"_s);

    row("released missing", u"released"_s, removed, E::MissingField, u"released"_s);
    row("released number", u"released"_s, 1700000000, E::WrongType, u"released"_s);
    row("released without zone", u"released"_s, u"2026-11-20T10:00:00"_s, E::BadDate, u"released"_s);
    row("released date only", u"released"_s, u"2026-11-20"_s, E::BadDate, u"released"_s);
    row("released no seconds", u"released"_s, u"2026-11-20T10:00Z"_s, E::BadDate, u"released"_s);
    row("released space separator", u"released"_s, u"2026-11-20 10:00:00Z"_s, E::BadDate, u"released"_s);
    row("released 30 February", u"released"_s, u"2026-02-30T10:00:00Z"_s, E::BadDate, u"released"_s);
    row("released hour 24", u"released"_s, u"2026-11-20T24:00:00Z"_s, E::BadDate, u"released"_s);
    row("released second 60", u"released"_s, u"2026-12-31T23:59:60Z"_s, E::BadDate, u"released"_s);
    row("released offset without colon", u"released"_s, u"2026-11-20T10:00:00+0200"_s, E::BadDate, u"released"_s);
    row("released empty fraction", u"released"_s, u"2026-11-20T10:00:00.Z"_s, E::BadDate, u"released"_s);
    row("expires missing", u"expires"_s, removed, E::MissingField, u"expires"_s);
    row("expires garbage", u"expires"_s, u"next year"_s, E::BadDate, u"expires"_s);
    row("expires equals released", u"expires"_s, u"2026-11-20T10:00:00Z"_s, E::DatesOutOfOrder, u"expires"_s);
    row("expires before released", u"expires"_s, u"2025-11-20T10:00:00Z"_s, E::DatesOutOfOrder, u"expires"_s);
    // 11:00 at +02:00 is 09:00 UTC, an hour before the release.
    row("expires earlier once offset applied", u"expires"_s, u"2026-11-20T11:00:00+02:00"_s, E::DatesOutOfOrder, u"expires"_s);

    row("priority string", u"priority"_s, u"yes"_s, E::WrongType, u"priority"_s);
    row("priority number", u"priority"_s, 1, E::WrongType, u"priority"_s);

    row("notes array", u"notes"_s, QJsonArray{u"x"_s}, E::WrongType, u"notes"_s);
    row("notes bad language code", u"notes"_s, QJsonObject{{u"english"_s, u"x"_s}}, E::BadNotes, u"notes.english"_s);
    row("notes empty language code", u"notes"_s, QJsonObject{{u""_s, u"x"_s}}, E::BadNotes, u"notes."_s);
    row("notes text not a string", u"notes"_s, QJsonObject{{u"en"_s, 1}}, E::WrongType, u"notes.en"_s);
    row("notes text over 16 KiB", u"notes"_s, QJsonObject{{u"en"_s, QString(16 * 1024 + 1, u'x')}}, E::BadNotes, u"notes.en"_s);
    // 8193 two-byte characters: under 16 Ki characters, over 16 KiB of UTF-8.
    row("notes text over 16 KiB as UTF-8", u"notes"_s, QJsonObject{{u"de"_s, QString(8193, QChar(0xe4))}}, E::BadNotes, u"notes.de"_s);
    row("notes lone surrogate", u"notes"_s, QJsonObject{{u"en"_s, QString(1, QChar(0xd800))}}, E::BadNotes, u"notes.en"_s);

    row("image missing", u"image"_s, removed, E::MissingField, u"image"_s);
    const auto zstd = [](const QJsonValue &path, const QJsonValue &size, const QJsonValue &sha) {
        return QJsonObject{{u"path"_s, path}, {u"size"_s, size}, {u"sha256"_s, sha}};
    };
    row("image zstd string", u"image.zstd"_s, u"images/x.zst"_s, E::WrongType, u"image.zstd"_s);
    row("image zstd path missing", u"image.zstd"_s, QJsonObject{{u"size"_s, 10}, {u"sha256"_s, kHashB}}, E::MissingField,
        u"image.zstd.path"_s);
    row("image zstd path outside images", u"image.zstd"_s, zstd(u"s16.img.zst"_s, 10, kHashB), E::BadPath, u"image.zstd.path"_s);
    row("image zstd path climbs out", u"image.zstd"_s, zstd(u"images/../x.zst"_s, 10, kHashB), E::BadPath, u"image.zstd.path"_s);
    row("image zstd is the raw image", u"image.zstd"_s, zstd(u"images/s16-2.1.0.img"_s, 10, kHashB), E::BadPath, u"image.zstd.path"_s);
    row("image zstd size 0", u"image.zstd"_s, zstd(u"images/x.zst"_s, 0, kHashB), E::BadSize, u"image.zstd.size"_s);
    row("image zstd size string", u"image.zstd"_s, zstd(u"images/x.zst"_s, u"10"_s, kHashB), E::WrongType, u"image.zstd.size"_s);
    row("image zstd hash uppercase", u"image.zstd"_s, zstd(u"images/x.zst"_s, 10, kHashB.toUpper()), E::BadHash, u"image.zstd.sha256"_s);
    row("image string", u"image"_s, u"images/x.img"_s, E::WrongType, u"image"_s);
    row("image path missing", u"image.path"_s, removed, E::MissingField, u"image.path"_s);
    row("image path number", u"image.path"_s, 1, E::WrongType, u"image.path"_s);
    row("image path outside images", u"image.path"_s, u"s16.img"_s, E::BadPath, u"image.path"_s);
    row("image path in migrations", u"image.path"_s, u"migrations/0004.sql"_s, E::BadPath, u"image.path"_s);
    row("image path only the folder", u"image.path"_s, u"images/"_s, E::BadPath, u"image.path"_s);
    row("image path dot-dot", u"image.path"_s, u"images/../../etc/shadow"_s, E::BadPath, u"image.path"_s);
    row("image path absolute", u"image.path"_s, u"/images/s16.img"_s, E::BadPath, u"image.path"_s);
    row("image path encoded traversal", u"image.path"_s, u"images/%2e%2e/%2e%2e/etc/shadow"_s, E::BadPath, u"image.path"_s);
    row("image path prefix look-alike", u"image.path"_s, u"imagesx/s16.img"_s, E::BadPath, u"image.path"_s);
    row("image size missing", u"image.size"_s, removed, E::MissingField, u"image.size"_s);
    row("image size string", u"image.size"_s, u"100"_s, E::WrongType, u"image.size"_s);
    row("image size zero", u"image.size"_s, 0, E::BadSize, u"image.size"_s);
    row("image size negative", u"image.size"_s, -1, E::BadSize, u"image.size"_s);
    row("image size fraction", u"image.size"_s, 1.5, E::BadSize, u"image.size"_s);
    row("image size 2^53", u"image.size"_s, qint64(1) << 53, E::BadSize, u"image.size"_s);
    row("image size 1e300", u"image.size"_s, 1e300, E::BadSize, u"image.size"_s);
    row("image sha256 missing", u"image.sha256"_s, removed, E::MissingField, u"image.sha256"_s);
    row("image sha256 number", u"image.sha256"_s, 5, E::WrongType, u"image.sha256"_s);
    row("image sha256 uppercase", u"image.sha256"_s, kHashA.toUpper(), E::BadHash, u"image.sha256"_s);
    row("image sha256 63 digits", u"image.sha256"_s, kHashA.left(63), E::BadHash, u"image.sha256"_s);
    row("image sha256 65 digits", u"image.sha256"_s, QString(kHashA + u'0'), E::BadHash, u"image.sha256"_s);
    row("image sha256 not hex", u"image.sha256"_s, QString(kHashA).replace(0, 1, u'g'), E::BadHash, u"image.sha256"_s);

    row("schema string", u"schema"_s, u"4"_s, E::WrongType, u"schema"_s);
    row("schema negative", u"schema"_s, -1, E::BadSchema, u"schema"_s);
    row("schema too large", u"schema"_s, 1000001, E::BadSchema, u"schema"_s);
    row("schema fraction", u"schema"_s, 4.5, E::BadSchema, u"schema"_s);
    row("migrations without schema", u"schema"_s, removed, E::BadSchema, u"schema"_s);
    row("schema beyond last migration", u"schema"_s, 5, E::BadMigrations, u"migrations[1].schema"_s);

    row("migrations object", u"migrations"_s, QJsonObject(), E::WrongType, u"migrations"_s);
    row("migration not an object", u"migrations[0]"_s, u"migrations/0003.sql"_s, E::WrongType, u"migrations[0]"_s);
    row("migration schema missing", u"migrations[0].schema"_s, removed, E::MissingField, u"migrations[0].schema"_s);
    row("migration schema string", u"migrations[0].schema"_s, u"3"_s, E::WrongType, u"migrations[0].schema"_s);
    row("migration schema zero", u"migrations[0].schema"_s, 0, E::BadSchema, u"migrations[0].schema"_s);
    row("migration schema skips one", u"migrations[1].schema"_s, 5, E::BadMigrations, u"migrations[1].schema"_s);
    row("migration schema repeats", u"migrations[1].schema"_s, 3, E::BadMigrations, u"migrations[1].schema"_s);
    row("migration path missing", u"migrations[1].path"_s, removed, E::MissingField, u"migrations[1].path"_s);
    row("migration path in images", u"migrations[1].path"_s, u"images/0004.sql"_s, E::BadPath, u"migrations[1].path"_s);
    row("migration path dot-dot", u"migrations[1].path"_s, u"migrations/../images/s16-2.1.0.img"_s, E::BadPath, u"migrations[1].path"_s);
    row("migration path backslash", u"migrations[1].path"_s, u"migrations/..\\..\\x.sql"_s, E::BadPath, u"migrations[1].path"_s);
    row("migration path repeated", u"migrations[1].path"_s, u"migrations/0003.sql"_s, E::BadMigrations, u"migrations[1].path"_s);
    row("migration size missing", u"migrations[0].size"_s, removed, E::MissingField, u"migrations[0].size"_s);
    row("migration size negative", u"migrations[0].size"_s, -1, E::BadSize, u"migrations[0].size"_s);
    row("migration size over 16 MiB", u"migrations[0].size"_s, 16 * 1024 * 1024 + 1, E::BadSize, u"migrations[0].size"_s);
    row("migration sha256 missing", u"migrations[1].sha256"_s, removed, E::MissingField, u"migrations[1].sha256"_s);
    row("migration sha256 short", u"migrations[1].sha256"_s, u"abc"_s, E::BadHash, u"migrations[1].sha256"_s);

    QJsonArray tooMany;
    for (int i = 1; i <= 1001; ++i) {
        tooMany.append(QJsonObject{{u"schema"_s, i}, {u"path"_s, u"migrations/%1.sql"_s.arg(i)}, {u"size"_s, 1}, {u"sha256"_s, kHashB}});
    }
    row("migrations over 1000", u"migrations"_s, tooMany, E::BadMigrations, u"migrations"_s);
}

void tst_Manifest::rejects()
{
    QFETCH(QString, path);
    QFETCH(QJsonValue, value);
    QFETCH(ManifestError, code);
    QFETCH(QString, field);

    const auto m = parseManifest(toBytes(changed(path, value)));
    QVERIFY(!m);
    QCOMPARE(m.error().code, code);
    QCOMPARE(m.error().field, field);
    QVERIFY2(m.error().message.contains(field), qPrintable(m.error().message));
}

void tst_Manifest::rejectsRawBytes_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<ManifestError>("code");

    QByteArray badUtf8 = toBytes(validManifest());
    badUtf8.replace("Faster", "F\xff\xfeter");
    QByteArray trailing = toBytes(validManifest()) + "{}";

    QTest::newRow("empty") << QByteArray() << ManifestError::NotJson;
    QTest::newRow("whitespace") << QByteArray("  \n") << ManifestError::NotJson;
    QTest::newRow("truncated") << toBytes(validManifest()).chopped(10) << ManifestError::NotJson;
    QTest::newRow("trailing garbage") << trailing << ManifestError::NotJson;
    QTest::newRow("invalid UTF-8") << badUtf8 << ManifestError::NotJson;
    QTest::newRow("NUL byte") << QByteArray("{\"format\":\0 1}", 14) << ManifestError::NotJson;
    QTest::newRow("top-level string") << QByteArray("\"manifest\"") << ManifestError::NotJson;
    QTest::newRow("top-level array") << QByteArray("[{\"format\": 1}]") << ManifestError::NotAnObject;
    QTest::newRow("empty object") << QByteArray("{}") << ManifestError::MissingField;
}

void tst_Manifest::rejectsRawBytes()
{
    QFETCH(QByteArray, bytes);
    QFETCH(ManifestError, code);
    const auto m = parseManifest(bytes);
    QVERIFY(!m);
    QCOMPARE(m.error().code, code);
}

void tst_Manifest::accepts_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QJsonValue>("value");
    const QJsonValue removed(QJsonValue::Undefined);

    QTest::newRow("priority absent") << u"priority"_s << removed;
    QTest::newRow("priority true") << u"priority"_s << QJsonValue(true);
    QTest::newRow("notes absent") << u"notes"_s << removed;
    QTest::newRow("notes with regional codes") << u"notes"_s
                                               << QJsonValue(
                                                      QJsonObject{{u"pt_BR"_s, u"x"_s}, {u"zh_Hant_TW"_s, u"y"_s}, {u"es_419"_s, u"z"_s}});
    QTest::newRow("notes text exactly 16 KiB") << u"notes"_s << QJsonValue(QJsonObject{{u"en"_s, QString(16 * 1024, u'x')}});
    QTest::newRow("migrations absent") << u"migrations"_s << removed;
    QTest::newRow("migrations empty") << u"migrations"_s << QJsonValue(QJsonArray());
    QTest::newRow("released with offset") << u"released"_s << QJsonValue(u"2026-11-20T12:00:00+02:00"_s);
    QTest::newRow("released with fraction") << u"released"_s << QJsonValue(u"2026-11-20T10:00:00.999Z"_s);
    QTest::newRow("image size 2^53-1") << u"image.size"_s << QJsonValue((qint64(1) << 53) - 1);
    QTest::newRow("image size 1") << u"image.size"_s << QJsonValue(1);
    QTest::newRow("nested image path") << u"image.path"_s << QJsonValue(u"images/2.1/s16.img"_s);
    QTest::newRow("unknown top-level key") << u"signedBy"_s << QJsonValue(u"release-team"_s);
    QTest::newRow("unknown image key") << u"image.compression"_s << QJsonValue(u"none"_s);
    QTest::newRow("migration size 16 MiB") << u"migrations[0].size"_s << QJsonValue(16 * 1024 * 1024);
    QTest::newRow("pre-release version") << u"version"_s << QJsonValue(u"2.1.0-rc.1+build.7"_s);
}

void tst_Manifest::accepts()
{
    QFETCH(QString, path);
    QFETCH(QJsonValue, value);
    const QJsonObject json = changed(path, value);
    const auto m = parseManifest(toBytes(json));
    QVERIFY2(m, m ? "" : qPrintable(m.error().message));
    QCOMPARE(m->priority, json.value(u"priority"_s).toBool(false));
    QCOMPARE(m->notes.size(), json.value(u"notes"_s).toObject().size());
    QCOMPARE(m->migrations.size(), json.value(u"migrations"_s).toArray().size());
    QCOMPARE(m->image.size, json.value(u"image"_s).toObject().value(u"size"_s).toInteger());
    QCOMPARE(m->image.path, json.value(u"image"_s).toObject().value(u"path"_s).toString());
    QCOMPARE(m->version.toString(), json.value(u"version"_s).toString());
    // Offsets are converted, fractions dropped: every form above is 10:00:00 UTC.
    QCOMPARE(m->released, QDateTime(QDate(2026, 11, 20), QTime(10, 0), Qt::UTC));
}

void tst_Manifest::sizeLimitIsCheckedBeforeParsing()
{
    QByteArray exact = toBytes(validManifest());
    exact.append(QByteArray(kMaxManifestBytes - exact.size(), ' '));
    QCOMPARE(exact.size(), kMaxManifestBytes);
    QVERIFY(parseManifest(exact));

    const auto valid = parseManifest(QByteArray(exact + ' '));
    QVERIFY(!valid);
    QCOMPARE(valid.error().code, ManifestError::TooLarge);

    // Garbage would be NotJson if it were parsed at all.
    const auto garbage = parseManifest(QByteArray(kMaxManifestBytes + 1, 'x'));
    QVERIFY(!garbage);
    QCOMPARE(garbage.error().code, ManifestError::TooLarge);
}

void tst_Manifest::deepNestingIsRefusedQuickly_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<ManifestError>("code");

    const int depth = 100000;
    QTest::newRow("array 100000 deep") << (QByteArray(depth, '[') + QByteArray(depth, ']')) << false << ManifestError::NotJson;
    QByteArray objects = QByteArray("{\"a\":").repeated(depth) + "1" + QByteArray(depth, '}');
    QTest::newRow("object 100000 deep") << objects << false << ManifestError::NotJson;
    // Within Qt's nesting limit, deep but harmless: an unknown key may hold anything.
    QByteArray manifest = toBytes(validManifest());
    manifest.insert(manifest.indexOf('{') + 1, "\"x\": " + QByteArray(500, '[') + QByteArray(500, ']') + ",");
    QTest::newRow("500 deep under an unknown key") << manifest << true << ManifestError::NotJson;
    // Wide rather than deep: close to 1 MiB of small values, and no manifest fields.
    QByteArray wide = "{\"x\": [" + QByteArray("0,").repeated(500000) + "0]}";
    QTest::newRow("half a million values") << wide << false << ManifestError::MissingField;
}

void tst_Manifest::deepNestingIsRefusedQuickly()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, ok);
    QFETCH(ManifestError, code);
    QElapsedTimer timer;
    timer.start();
    const auto m = parseManifest(bytes);
    // Generous for a loaded machine; the real cost is milliseconds.
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(bool(m), ok);
    if (!ok)
        QCOMPARE(m.error().code, code);
}

void tst_Manifest::roundTrip()
{
    const Manifest original = parsedValid();
    const QByteArray bytes = serializeManifest(original);
    const auto again = parseManifest(bytes);
    QVERIFY2(again, again ? "" : qPrintable(again.error().message));
    QVERIFY(*again == original);
    QCOMPARE(serializeManifest(*again), bytes);

    // Through JSON, the serialized form holds the same data as the source.
    QCOMPARE(QJsonDocument::fromJson(bytes).object(), validManifest());
}

void tst_Manifest::compressedImageRoundTrips()
{
    const QJsonObject withZstd =
        changed(u"image.zstd"_s, QJsonObject{{u"path"_s, u"images/s16-2.1.0.img.zst"_s}, {u"size"_s, 9000000}, {u"sha256"_s, kHashB}});
    const auto m = parseManifest(toBytes(withZstd));
    QVERIFY2(m, m ? "" : qPrintable(m.error().message));
    QVERIFY(m->imageZstd);
    QCOMPARE(*m->imageZstd, (ManifestFile{u"images/s16-2.1.0.img.zst"_s, 9000000, kHashB.toLatin1()}));
    const QByteArray bytes = serializeManifest(*m);
    const auto again = parseManifest(bytes);
    QVERIFY(again && *again == *m);
    QCOMPARE(QJsonDocument::fromJson(bytes).object(), withZstd);
    // A device of an older release ignores the key: without it the manifest is the same release.
    QVERIFY(!parsedValid().imageZstd);
}

void tst_Manifest::roundTripKeepsEscapesAndBuildMetadata()
{
    Manifest m;
    m.product = u"s16-pro_2.x"_s;
    m.version = *SemVer::parse(u"3.0.0-beta.2+sha.5114f85");
    // Milliseconds are not part of the format: a manifest holds whole seconds.
    m.released = QDateTime(QDate(2030, 1, 2), QTime(3, 4, 5), Qt::UTC);
    m.expires = m.released.addDays(90);
    m.priority = true;
    m.notes.insert(u"en"_s, u"Quotes \" and \\ back\nslash\ttab \u0001 control"_s);
    m.notes.insert(u"de"_s, u"Gr\u00fc\u00dfe \U0001F680"_s);
    m.image = ManifestFile{u"images/s16 3.0.img"_s, (qint64(1) << 53) - 1, kHashC.toLatin1()};
    m.schema = 0;

    const auto again = parseManifest(serializeManifest(m));
    QVERIFY2(again, again ? "" : qPrintable(again.error().message));
    QVERIFY(*again == m);
    // SemVer equality ignores build metadata, so compare the text too.
    QCOMPARE(again->version.toString(), u"3.0.0-beta.2+sha.5114f85"_s);
    QCOMPARE(again->notes, m.notes);
    QCOMPARE(again->released.timeSpec(), Qt::UTC);

    // Without schema and migrations, the keys are left out and read back as absent.
    m.schema.reset();
    const QByteArray bytes = serializeManifest(m);
    QVERIFY(!bytes.contains("\"schema\""));
    QVERIFY(!bytes.contains("\"migrations\""));
    const auto noSchema = parseManifest(bytes);
    QVERIFY(noSchema);
    QVERIFY(!noSchema->schema);
}

void tst_Manifest::serializerWritesContractKeyOrder()
{
    const QByteArray bytes = serializeManifest(parsedValid());
    const QList<QByteArray> keys = {"\"format\"",   "\"product\"", "\"version\"", "\"released\"", "\"expires\"",
                                    "\"priority\"", "\"notes\"",   "\"image\"",   "\"schema\"",   "\"migrations\""};
    qsizetype last = -1;
    for (const QByteArray &key : keys) {
        const qsizetype at = bytes.indexOf(key);
        QVERIFY2(at > last, key.constData());
        last = at;
    }
    QVERIFY(bytes.contains("\n    \"format\": 1,\n"));
    QVERIFY(bytes.contains("\"released\": \"2026-11-20T10:00:00Z\""));
    QVERIFY(bytes.endsWith("}\n"));
}

void tst_Manifest::notesFor_data()
{
    QTest::addColumn<QStringList>("languages"); // notes present, text = "text-" + code
    QTest::addColumn<QString>("locale");
    QTest::addColumn<QString>("expected");

    QTest::newRow("exact territory") << QStringList{u"de"_s, u"de_AT"_s, u"en"_s} << u"de_AT"_s << u"text-de_AT"_s;
    QTest::newRow("language of de_DE") << QStringList{u"de"_s, u"en"_s} << u"de_DE"_s << u"text-de"_s;
    QTest::newRow("other territory falls to language") << QStringList{u"pt"_s, u"pt_BR"_s} << u"pt_PT"_s << u"text-pt"_s;
    QTest::newRow("english fallback") << QStringList{u"de"_s, u"en"_s, u"fr"_s} << u"ja_JP"_s << u"text-en"_s;
    QTest::newRow("any when no english") << QStringList{u"fr"_s} << u"ja_JP"_s << u"text-fr"_s;
    QTest::newRow("none") << QStringList() << u"de_DE"_s << QString();
}

void tst_Manifest::notesFor()
{
    QFETCH(QStringList, languages);
    QFETCH(QString, locale);
    QFETCH(QString, expected);
    Manifest m;
    for (const QString &code : languages)
        m.notes.insert(code, u"text-"_s + code);
    QCOMPARE(m.notesFor(QLocale(locale)), expected);
}

void tst_Manifest::safeRelativePath_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("safe");

    QTest::newRow("plain") << u"images/s16-2.1.0.img"_s << true;
    QTest::newRow("nested") << u"images/2026/s16.img"_s << true;
    QTest::newRow("dots inside a name") << u"images/s16..img"_s << true;
    QTest::newRow("three dots") << u"images/..."_s << true;
    QTest::newRow("colon after first segment") << u"images/a:b"_s << true;
    QTest::newRow("non-ASCII name") << u"images/gr\u00fc\u00df.img"_s << true;
    QTest::newRow("255 byte name") << (u"images/"_s + QString(255, u'a')) << true;

    QTest::newRow("empty") << QString() << false;
    QTest::newRow("absolute") << u"/etc/passwd"_s << false;
    QTest::newRow("dot-dot") << u".."_s << false;
    QTest::newRow("dot-dot segment") << u"images/../x"_s << false;
    QTest::newRow("trailing dot-dot") << u"images/.."_s << false;
    QTest::newRow("dot segment") << u"images/./x"_s << false;
    QTest::newRow("empty segment") << u"images//x"_s << false;
    QTest::newRow("trailing slash") << u"images/x/"_s << false;
    QTest::newRow("backslash") << u"images\\x"_s << false;
    QTest::newRow("backslash traversal") << u"images/..\\..\\x"_s << false;
    QTest::newRow("NUL") << QString::fromUtf16(u"images/x\0.img", 13) << false;
    QTest::newRow("newline") << u"images/x\n.img"_s << false;
    QTest::newRow("DEL") << u"images/x\u007f"_s << false;
    QTest::newRow("C1 control") << u"images/x\u0085"_s << false;
    QTest::newRow("encoded dot-dot") << u"images/%2e%2e/x"_s << false;
    QTest::newRow("encoded dot-dot upper") << u"images/%2E%2E/x"_s << false;
    QTest::newRow("encoded slash") << u"images/..%2fx"_s << false;
    QTest::newRow("double encoded") << u"images/%252e%252e/x"_s << false;
    QTest::newRow("query") << u"images/x.img?y=1"_s << false;
    QTest::newRow("fragment") << u"images/x.img#y"_s << false;
    QTest::newRow("scheme-like first segment") << u"https:evil/x"_s << false;
    QTest::newRow("lone surrogate") << (u"images/x"_s + QChar(0xdc00)) << false;
    QTest::newRow("256 byte name") << (u"images/"_s + QString(256, u'a')) << false;
    QTest::newRow("over 1024 characters") << (u"images/"_s + QString(QString(200, u'a') + u'/').repeated(6) + u'x') << false;
}

void tst_Manifest::safeRelativePath()
{
    QFETCH(QString, path);
    QFETCH(bool, safe);
    QCOMPARE(isSafeRelativePath(path), safe);
}

void tst_Manifest::checkManifestFor_data()
{
    QTest::addColumn<QString>("product");
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<ManifestError>("code");
    QTest::addColumn<QString>("field");

    const auto E = ManifestError::Expired;
    QTest::newRow("ours, in time") << u"s16"_s << utc(u"2026-12-01T00:00:00Z"_s) << true << E << QString();
    QTest::newRow("ours, before release") << u"s16"_s << utc(u"2026-11-01T00:00:00Z"_s) << true << E << QString();
    QTest::newRow("ours, last second") << u"s16"_s << utc(u"2027-02-20T09:59:59Z"_s) << true << E << QString();
    QTest::newRow("ours, at expiry") << u"s16"_s << utc(u"2027-02-20T10:00:00Z"_s) << false << E << u"expires"_s;
    QTest::newRow("ours, after expiry") << u"s16"_s << utc(u"2028-01-01T00:00:00Z"_s) << false << E << u"expires"_s;
    QTest::newRow("expiry given in another zone") << u"s16"_s << utc(u"2027-02-20T11:30:00+01:00"_s) << false << E << u"expires"_s;
    QTest::newRow("other product") << u"s17"_s << utc(u"2026-12-01T00:00:00Z"_s) << false << ManifestError::WrongProduct << u"product"_s;
    QTest::newRow("other product, expired") << u"s17"_s << utc(u"2028-01-01T00:00:00Z"_s) << false << ManifestError::WrongProduct
                                            << u"product"_s;
    QTest::newRow("product differs in case") << u"S16"_s << utc(u"2026-12-01T00:00:00Z"_s) << false << ManifestError::WrongProduct
                                             << u"product"_s;
}

void tst_Manifest::checkManifestFor()
{
    QFETCH(QString, product);
    QFETCH(QDateTime, now);
    QFETCH(bool, ok);
    QFETCH(ManifestError, code);
    QFETCH(QString, field);

    const auto r = s16::checkManifestFor(parsedValid(), product, now);
    QCOMPARE(bool(r), ok);
    if (!ok) {
        QCOMPARE(r.error().code, code);
        QCOMPARE(r.error().field, field);
    }
}

void tst_Manifest::toErrorNamesTheField()
{
    const auto m = parseManifest(toBytes(changed(u"image.sha256"_s, u"nope"_s)));
    QVERIFY(!m);
    const Error e = toError(m.error());
    QCOMPARE(e.code, ExitCode::MetadataRejected);
    QCOMPARE(toInt(e.code), 13);
    QCOMPARE(e.edge, std::optional(Edge::E18));
    QVERIFY2(e.message.contains(u"image.sha256"_s), qPrintable(e.message));
    QCOMPARE(e.detail, u"BadHash at image.sha256"_s);

    const auto expired = s16::checkManifestFor(parsedValid(), u"s16"_s, utc(u"2030-01-01T00:00:00Z"_s));
    QVERIFY(!expired);
    const Error e2 = toError(expired.error());
    QCOMPARE(e2.code, ExitCode::MetadataRejected);
    QCOMPARE(e2.edge, std::optional(Edge::E18));
    QVERIFY2(e2.message.contains(u"expires"_s), qPrintable(e2.message));
}

void tst_Manifest::corpusSeeds()
{
    // File names say what each seed must do: valid-*.json parses; invalid-<Error>-*.json
    // fails with that error.
    const QDir dir(QStringLiteral(S16_MANIFEST_CORPUS));
    const QStringList files = dir.entryList({u"*.json"_s}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 4);
    for (const QString &name : files) {
        QFile f(dir.filePath(name));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto m = parseManifest(f.readAll());
        if (name.startsWith(u"valid-"_s)) {
            QVERIFY2(m, qPrintable(name + u": "_s + (m ? QString() : m.error().message)));
        } else {
            QVERIFY2(name.startsWith(u"invalid-"_s), qPrintable(name));
            QVERIFY2(!m, qPrintable(name));
            const QString expected = name.section(u'-', 1, 1);
            QCOMPARE(manifestErrorName(m.error().code), expected);
        }
    }
}

QTEST_GUILESS_MAIN(tst_Manifest)
#include "tst_manifest.moc"
