#include "manifest.h"

#include "common/logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QLocale>
#include <QRegularExpression>
#include <QSet>
#include <QStringBuilder>

#include <cmath>

using namespace Qt::StringLiterals;

namespace s16 {

namespace {

using Unexpected = std::unexpected<ManifestProblem>;

Unexpected problem(ManifestError code, QString field, QString message)
{
    return Unexpected(ManifestProblem{code, std::move(field), std::move(message)});
}

QString childPath(const QString &parent, QLatin1StringView key) { return parent.isEmpty() ? QString(key) : parent % u'.' % key; }

bool isAsciiDigit(char16_t c) { return c >= u'0' && c <= u'9'; }

bool isLowerHex(char16_t c) { return isAsciiDigit(c) || (c >= u'a' && c <= u'f'); }

// Reads o[key]: absent is MissingField. The caller checks the type.
std::expected<QJsonValue, ManifestProblem> required(const QJsonObject &o, QLatin1StringView key, const QString &field)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd())
        return problem(ManifestError::MissingField, field, field % u" is missing"_s);
    return it.value();
}

std::expected<QString, ManifestProblem> requiredString(const QJsonObject &o, QLatin1StringView key, const QString &field)
{
    const auto v = required(o, key, field);
    if (!v)
        return Unexpected(v.error());
    if (!v->isString())
        return problem(ManifestError::WrongType, field, field % u" must be a string"_s);
    return v->toString();
}

// JSON has only doubles; an integer is a number with no fractional part. Qt keeps
// integer literals that fit in qint64 exact, so the range check below is exact too.
std::expected<qint64, ManifestProblem> integerIn(const QJsonValue &v, const QString &field, qint64 min, qint64 max,
                                                 ManifestError outOfRange)
{
    if (!v.isDouble())
        return problem(ManifestError::WrongType, field, field % u" must be a number"_s);
    const double d = v.toDouble();
    const auto rangeText = [&]() -> QString {
        return field % u" must be an integer from "_s % QString::number(min) % u" to "_s % QString::number(max);
    };
    if (!std::isfinite(d) || std::trunc(d) != d || d < double(min) || d > double(max))
        return problem(outOfRange, field, rangeText());
    const qint64 n = v.toInteger(min - 1);
    if (n < min || n > max)
        return problem(outOfRange, field, rangeText());
    return n;
}

std::expected<QByteArray, ManifestProblem> sha256Of(const QJsonObject &o, const QString &parent)
{
    const QString field = childPath(parent, "sha256"_L1);
    const auto s = requiredString(o, "sha256"_L1, field);
    if (!s)
        return Unexpected(s.error());
    if (s->size() != 64 || !std::all_of(s->cbegin(), s->cend(), [](QChar c) { return isLowerHex(c.unicode()); }))
        return problem(ManifestError::BadHash, field, field % u" must be 64 lowercase hexadecimal digits"_s);
    return s->toLatin1();
}

std::expected<QString, ManifestProblem> pathOf(const QJsonObject &o, const QString &parent, QLatin1StringView folder)
{
    const QString field = childPath(parent, "path"_L1);
    const auto s = requiredString(o, "path"_L1, field);
    if (!s)
        return Unexpected(s.error());
    if (!s->startsWith(folder) || s->size() == folder.size() || !isSafeRelativePath(*s))
        return problem(ManifestError::BadPath, field, field % u" must be a plain relative path inside \""_s % folder % u"\""_s);
    return *s;
}

bool isProductName(QStringView s)
{
    if (s.isEmpty() || s.size() > 64)
        return false;
    for (QChar c : s) {
        const char16_t u = c.unicode();
        if (!isAsciiDigit(u) && !(u >= u'a' && u <= u'z') && u != u'.' && u != u'_' && u != u'-')
            return false;
    }
    return true;
}

// Language, optional script, optional territory, joined by "_" as QLocale::name() does:
// "en", "pt_BR", "zh_Hant_TW", "es_419".
bool isLanguageCode(const QString &s)
{
    static const QRegularExpression re(u"^[a-z]{2,3}(_[A-Z][a-z]{3})?(_([A-Z]{2}|[0-9]{3}))?$"_s);
    return re.match(s).hasMatch();
}

// ISO 8601 calendar date and time with seconds and an explicit zone ("Z" or "+02:00"),
// as RFC 3339 profiles it. Qt::ISODate alone would take a date without a zone as
// local time, which makes expiry depend on the device's time zone.
std::optional<QDateTime> parseUtcDate(QStringView s)
{
    const auto number = [&](qsizetype pos, qsizetype n) -> int {
        if (pos + n > s.size())
            return -1;
        int v = 0;
        for (qsizetype i = pos; i < pos + n; ++i) {
            if (!isAsciiDigit(s[i].unicode()))
                return -1;
            v = v * 10 + (s[i].unicode() - u'0');
        }
        return v;
    };
    if (s.size() < 20 || s[4] != u'-' || s[7] != u'-' || s[10] != u'T' || s[13] != u':' || s[16] != u':')
        return std::nullopt;
    const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
    const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0)
        return std::nullopt;

    qsizetype pos = 19;
    if (s[pos] == u'.') {
        // A fraction is accepted and dropped: the manifest's dates are kept to the second.
        const qsizetype start = ++pos;
        while (pos < s.size() && isAsciiDigit(s[pos].unicode()) && pos - start < 9)
            ++pos;
        if (pos == start)
            return std::nullopt;
    }
    const QStringView zone = s.sliced(pos);
    int offsetSeconds = 0;
    if (zone != u"Z") {
        if (zone.size() != 6 || (zone[0] != u'+' && zone[0] != u'-') || zone[3] != u':')
            return std::nullopt;
        const int oh = number(pos + 1, 2), om = number(pos + 4, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59)
            return std::nullopt;
        offsetSeconds = (zone[0] == u'-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    const QDate date(year, month, day);
    const QTime time(hour, minute, second);
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    return QDateTime(date, time, Qt::UTC).addSecs(-offsetSeconds);
}

std::expected<QDateTime, ManifestProblem> dateOf(const QJsonObject &o, QLatin1StringView key)
{
    const QString field = key;
    const auto s = requiredString(o, key, field);
    if (!s)
        return Unexpected(s.error());
    const auto date = parseUtcDate(*s);
    if (!date)
        return problem(ManifestError::BadDate, field,
                       field % u" must be an ISO 8601 date and time with a time zone, like 2026-11-20T10:00:00Z"_s);
    return *date;
}

std::expected<void, ManifestProblem> readNotes(const QJsonObject &root, Manifest &m)
{
    const auto it = root.constFind("notes"_L1);
    if (it == root.constEnd())
        return {};
    if (!it->isObject())
        return problem(ManifestError::WrongType, u"notes"_s, u"notes must be an object of language code to text"_s);
    const QJsonObject notes = it->toObject();
    for (auto n = notes.constBegin(); n != notes.constEnd(); ++n) {
        const QString field = u"notes."_s % n.key();
        if (!isLanguageCode(n.key()))
            return problem(ManifestError::BadNotes, field,
                           field % u": \""_s % n.key() % u"\" is not a language code like en, de or pt_BR"_s);
        if (!n->isString())
            return problem(ManifestError::WrongType, field, field % u" must be a string"_s);
        const QString text = n->toString();
        if (!QStringView(text).isValidUtf16())
            return problem(ManifestError::BadNotes, field, field % u" is not valid Unicode text"_s);
        if (text.toUtf8().size() > kMaxNoteBytes)
            return problem(ManifestError::BadNotes, field, field % u" is longer than 16 KiB"_s);
        m.notes.insert(n.key(), text);
    }
    return {};
}

// path (under images/), size (1..kMaxImageSize) and sha256 of an image file at field.
std::expected<ManifestFile, ManifestProblem> imageFile(const QJsonObject &o, const QString &field)
{
    const auto path = pathOf(o, field, "images/"_L1);
    if (!path)
        return Unexpected(path.error());
    const auto sizeValue = required(o, "size"_L1, field % u".size"_s);
    if (!sizeValue)
        return Unexpected(sizeValue.error());
    const auto size = integerIn(*sizeValue, field % u".size"_s, 1, kMaxImageSize, ManifestError::BadSize);
    if (!size)
        return Unexpected(size.error());
    const auto sha = sha256Of(o, field);
    if (!sha)
        return Unexpected(sha.error());
    return ManifestFile{*path, *size, *sha};
}

std::expected<void, ManifestProblem> readImage(const QJsonObject &root, Manifest &m)
{
    const QString field = u"image"_s;
    const auto v = required(root, "image"_L1, field);
    if (!v)
        return Unexpected(v.error());
    if (!v->isObject())
        return problem(ManifestError::WrongType, field, u"image must be an object"_s);
    const QJsonObject image = v->toObject();
    auto file = imageFile(image, field);
    if (!file)
        return Unexpected(file.error());
    m.image = *file;
    // Optional: the same image compressed with zstd, which a device may fetch instead.
    if (const QJsonValue z = image.value("zstd"_L1); !z.isUndefined()) {
        const QString zfield = u"image.zstd"_s;
        if (!z.isObject())
            return problem(ManifestError::WrongType, zfield, u"image.zstd must be an object"_s);
        auto compressed = imageFile(z.toObject(), zfield);
        if (!compressed)
            return Unexpected(compressed.error());
        if (compressed->path == m.image.path)
            return problem(ManifestError::BadPath, zfield % u".path"_s, u"image.zstd.path must name another file than image.path"_s);
        m.imageZstd = *compressed;
    }
    // Optional: the image as chunks, for a delta update.
    if (const QJsonValue c = image.value("chunks"_L1); !c.isUndefined()) {
        const QString cfield = u"image.chunks"_s;
        if (!c.isObject())
            return problem(ManifestError::WrongType, cfield, u"image.chunks must be an object"_s);
        const QJsonObject chunks = c.toObject();
        auto index = imageFile(chunks, cfield);
        if (!index)
            return Unexpected(index.error());
        if (index->path == m.image.path || (m.imageZstd && index->path == m.imageZstd->path))
            return problem(ManifestError::BadPath, cfield % u".path"_s, u"image.chunks.path must name a file of its own"_s);
        const auto store = requiredString(chunks, "store"_L1, cfield % u".store"_s);
        if (!store)
            return Unexpected(store.error());
        if ((*store != u"chunks"_s && !store->startsWith(u"chunks/"_s)) || !isSafeRelativePath(*store))
            return problem(ManifestError::BadPath, cfield % u".store"_s,
                           u"image.chunks.store must be \"chunks\" or a plain relative path inside it"_s);
        m.imageChunks = ManifestChunks{*index, *store};
    }
    return {};
}

std::expected<void, ManifestProblem> readSchema(const QJsonObject &root, Manifest &m)
{
    const auto it = root.constFind("schema"_L1);
    if (it == root.constEnd())
        return {};
    const auto schema = integerIn(*it, u"schema"_s, 0, kMaxSchema, ManifestError::BadSchema);
    if (!schema)
        return Unexpected(schema.error());
    m.schema = int(*schema);
    return {};
}

std::expected<void, ManifestProblem> readMigrations(const QJsonObject &root, Manifest &m)
{
    const auto it = root.constFind("migrations"_L1);
    if (it == root.constEnd())
        return {};
    if (!it->isArray())
        return problem(ManifestError::WrongType, u"migrations"_s, u"migrations must be an array"_s);
    const QJsonArray list = it->toArray();
    if (list.size() > kMaxMigrations)
        return problem(ManifestError::BadMigrations, u"migrations"_s,
                       u"migrations has more than "_s % QString::number(kMaxMigrations) % u" entries"_s);

    QSet<QString> paths;
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString field = u"migrations["_s % QString::number(i) % u']';
        if (!list[i].isObject())
            return problem(ManifestError::WrongType, field, field % u" must be an object"_s);
        const QJsonObject o = list[i].toObject();

        const QString schemaField = field % u".schema"_s;
        const auto schemaValue = required(o, "schema"_L1, schemaField);
        if (!schemaValue)
            return Unexpected(schemaValue.error());
        // A migration takes the database from schema - 1 to schema, so 0 has none.
        const auto schema = integerIn(*schemaValue, schemaField, 1, kMaxSchema, ManifestError::BadSchema);
        if (!schema)
            return Unexpected(schema.error());
        if (!m.migrations.isEmpty() && *schema != m.migrations.last().schema + 1)
            return problem(ManifestError::BadMigrations, schemaField,
                           schemaField % u" must be "_s % QString::number(m.migrations.last().schema + 1)
                               % u": each migration raises the schema by one"_s);

        const auto path = pathOf(o, field, "migrations/"_L1);
        if (!path)
            return Unexpected(path.error());
        if (paths.contains(*path))
            return problem(ManifestError::BadMigrations, field % u".path"_s,
                           field % u".path names the same file as an earlier migration"_s);
        paths.insert(*path);

        const QString sizeField = field % u".size"_s;
        const auto sizeValue = required(o, "size"_L1, sizeField);
        if (!sizeValue)
            return Unexpected(sizeValue.error());
        const auto size = integerIn(*sizeValue, sizeField, 0, kMaxMigrationSize, ManifestError::BadSize);
        if (!size)
            return Unexpected(size.error());
        const auto sha = sha256Of(o, field);
        if (!sha)
            return Unexpected(sha.error());
        m.migrations.append(ManifestMigration{int(*schema), *path, *size, *sha});
    }

    if (!m.migrations.isEmpty()) {
        if (!m.schema)
            return problem(ManifestError::BadSchema, u"schema"_s, u"schema is missing, but migrations need it to say where they lead"_s);
        if (m.migrations.last().schema != *m.schema) {
            const QString field = u"migrations["_s % QString::number(m.migrations.size() - 1) % u"].schema"_s;
            return problem(ManifestError::BadMigrations, field,
                           field % u" must equal schema ("_s % QString::number(*m.schema)
                               % u"): the last migration leads to the schema the release needs"_s);
        }
    }
    return {};
}

std::expected<Manifest, ManifestProblem> readManifest(const QJsonObject &root)
{
    Manifest m;

    // The format first: a manifest of another format may be shaped differently, and
    // "unsupported format" is the one true thing to say about it.
    const auto format = required(root, "format"_L1, u"format"_s);
    if (!format)
        return Unexpected(format.error());
    if (!format->isDouble() || format->toDouble() != 1.0)
        return problem(ManifestError::UnsupportedFormat, u"format"_s, u"format must be 1, the only manifest format this updater reads"_s);

    const auto product = requiredString(root, "product"_L1, u"product"_s);
    if (!product)
        return Unexpected(product.error());
    if (!isProductName(*product))
        return problem(ManifestError::BadProduct, u"product"_s, u"product must be 1 to 64 of a-z, 0-9, \".\", \"_\" and \"-\""_s);
    m.product = *product;

    const auto version = requiredString(root, "version"_L1, u"version"_s);
    if (!version)
        return Unexpected(version.error());
    const auto semver = SemVer::parse(*version);
    if (!semver)
        return problem(ManifestError::BadVersion, u"version"_s, u"version \""_s % *version % u"\" is not a semantic version like 2.1.0"_s);
    m.version = *semver;

    const auto released = dateOf(root, "released"_L1);
    if (!released)
        return Unexpected(released.error());
    m.released = *released;
    const auto expires = dateOf(root, "expires"_L1);
    if (!expires)
        return Unexpected(expires.error());
    m.expires = *expires;
    if (m.expires <= m.released)
        return problem(ManifestError::DatesOutOfOrder, u"expires"_s, u"expires must be later than released"_s);

    if (const auto it = root.constFind("priority"_L1); it != root.constEnd()) {
        if (!it->isBool())
            return problem(ManifestError::WrongType, u"priority"_s, u"priority must be true or false"_s);
        m.priority = it->toBool();
    }

    if (auto r = readNotes(root, m); !r)
        return Unexpected(r.error());
    if (auto r = readImage(root, m); !r)
        return Unexpected(r.error());
    if (auto r = readSchema(root, m); !r)
        return Unexpected(r.error());
    if (auto r = readMigrations(root, m); !r)
        return Unexpected(r.error());
    return m;
}

// The serializer writes its own JSON so that keys come in CONTRACT §3's order, as a
// person reading a release expects; QJsonObject would sort them.
QByteArray jsonString(const QString &s)
{
    QString out;
    out.reserve(s.size() + 2);
    out += u'"';
    for (QChar c : s) {
        const char16_t u = c.unicode();
        switch (u) {
        case u'"': out += u"\\\""_s; break;
        case u'\\': out += u"\\\\"_s; break;
        case u'\n': out += u"\\n"_s; break;
        case u'\r': out += u"\\r"_s; break;
        case u'\t': out += u"\\t"_s; break;
        default:
            if (u < 0x20)
                out += u"\\u"_s % QString::number(u, 16).rightJustified(4, u'0');
            else
                out += c;
        }
    }
    out += u'"';
    return out.toUtf8();
}

QByteArray indent(int level) { return QByteArray(level * 4, ' '); }

QByteArray member(const char *key, const QByteArray &value) { return QByteArray(key).prepend('"') + "\": " + value; }

QByteArray block(char open, char close, const QList<QByteArray> &items, int level)
{
    if (items.isEmpty())
        return QByteArray() + open + close;
    QByteArray out = QByteArray() + open + '\n';
    for (qsizetype i = 0; i < items.size(); ++i)
        out += indent(level + 1) + items[i] + (i + 1 < items.size() ? ",\n" : "\n");
    return out + indent(level) + close;
}

QByteArray number(qint64 n) { return QByteArray::number(n); }

QByteArray dateText(const QDateTime &dt) { return jsonString(dt.toUTC().toString(Qt::ISODate)); }

} // namespace

QString Manifest::notesFor(const QLocale &locale) const
{
    if (notes.isEmpty())
        return {};
    const QString name = locale.name();
    for (const QString &key : {name, name.section(u'_', 0, 0), u"en"_s}) {
        if (const auto it = notes.constFind(key); it != notes.constEnd())
            return it.value();
    }
    return notes.first();
}

std::expected<Manifest, ManifestProblem> parseManifest(QByteArrayView bytes)
{
    if (bytes.size() > kMaxManifestBytes)
        return problem(ManifestError::TooLarge, QString(),
                       u"the manifest is larger than "_s % QString::number(kMaxManifestBytes) % u" bytes"_s);
    // Qt's parser refuses nesting deeper than 1024 levels, so hostile input costs
    // time proportional to its (bounded) size and no deep recursion.
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromRawData(bytes.data(), bytes.size()), &error);
    if (error.error != QJsonParseError::NoError)
        return problem(ManifestError::NotJson, QString(),
                       u"the manifest is not valid JSON: "_s % error.errorString() % u" at byte "_s % QString::number(error.offset));
    if (!doc.isObject())
        return problem(ManifestError::NotAnObject, QString(), u"the manifest is not a JSON object"_s);
    auto m = readManifest(doc.object());
    if (!m)
        qCDebug(lcManifest) << "manifest refused:" << manifestErrorName(m.error().code) << m.error().message;
    return m;
}

std::expected<void, ManifestProblem> checkManifestFor(const Manifest &m, const QString &product, const QDateTime &nowUtc)
{
    if (m.product != product)
        return problem(ManifestError::WrongProduct, u"product"_s,
                       u"product is \""_s % m.product % u"\", but this device is \""_s % product % u'"');
    if (nowUtc >= m.expires)
        return problem(ManifestError::Expired, u"expires"_s, u"expires ("_s % m.expires.toString(Qt::ISODate) % u") has passed"_s);
    return {};
}

QByteArray serializeManifest(const Manifest &m)
{
    QList<QByteArray> top = {
        member("format", number(m.format)),
        member("product", jsonString(m.product)),
        member("version", jsonString(m.version.toString())),
        member("released", dateText(m.released)),
        member("expires", dateText(m.expires)),
        member("priority", m.priority ? "true" : "false"),
    };
    if (!m.notes.isEmpty()) {
        QList<QByteArray> notes;
        for (auto it = m.notes.constBegin(); it != m.notes.constEnd(); ++it)
            notes.append(jsonString(it.key()) + ": " + jsonString(it.value()));
        top.append(member("notes", block('{', '}', notes, 1)));
    }
    QList<QByteArray> image{member("path", jsonString(m.image.path)), member("size", number(m.image.size)),
                            member("sha256", jsonString(QString::fromLatin1(m.image.sha256)))};
    if (m.imageZstd) {
        image.append(member("zstd", block('{', '}',
                                          {member("path", jsonString(m.imageZstd->path)), member("size", number(m.imageZstd->size)),
                                           member("sha256", jsonString(QString::fromLatin1(m.imageZstd->sha256)))},
                                          2)));
    }
    if (m.imageChunks) {
        image.append(member("chunks",
                            block('{', '}',
                                  {member("path", jsonString(m.imageChunks->index.path)), member("size", number(m.imageChunks->index.size)),
                                   member("sha256", jsonString(QString::fromLatin1(m.imageChunks->index.sha256))),
                                   member("store", jsonString(m.imageChunks->store))},
                                  2)));
    }
    top.append(member("image", block('{', '}', image, 1)));
    if (m.schema)
        top.append(member("schema", number(*m.schema)));
    if (!m.migrations.isEmpty()) {
        QList<QByteArray> list;
        for (const ManifestMigration &mig : m.migrations) {
            list.append(block('{', '}',
                              {member("schema", number(mig.schema)), member("path", jsonString(mig.path)), member("size", number(mig.size)),
                               member("sha256", jsonString(QString::fromLatin1(mig.sha256)))},
                              2));
        }
        top.append(member("migrations", block('[', ']', list, 1)));
    }
    return block('{', '}', top, 0) + '\n';
}

bool isSafeRelativePath(QStringView path)
{
    // Short enough to sit below any folder on the device within PATH_MAX.
    if (path.isEmpty() || path.size() > 1024 || !path.isValidUtf16())
        return false;
    for (QChar c : path) {
        const char16_t u = c.unicode();
        if (u < 0x20 || (u >= 0x7f && u <= 0x9f)) // NUL and every C0/C1 control character
            return false;
        // "\\" is a separator to some servers; "%" would let "%2e%2e" or "%252e" decode
        // to ".." on the way; "?" and "#" would end the path part of the URL.
        if (u == u'\\' || u == u'%' || u == u'?' || u == u'#')
            return false;
    }
    const auto segments = path.split(u'/');
    // A colon in the first segment would read as a URL scheme ("http:x") once resolved.
    if (segments.first().contains(u':'))
        return false;
    for (QStringView s : segments) {
        if (s.isEmpty() || s == u"." || s == u".." || s.toUtf8().size() > 255)
            return false;
    }
    return true;
}

QString manifestErrorName(ManifestError code)
{
    switch (code) {
    case ManifestError::TooLarge: return u"TooLarge"_s;
    case ManifestError::NotJson: return u"NotJson"_s;
    case ManifestError::NotAnObject: return u"NotAnObject"_s;
    case ManifestError::MissingField: return u"MissingField"_s;
    case ManifestError::WrongType: return u"WrongType"_s;
    case ManifestError::UnsupportedFormat: return u"UnsupportedFormat"_s;
    case ManifestError::BadProduct: return u"BadProduct"_s;
    case ManifestError::BadVersion: return u"BadVersion"_s;
    case ManifestError::BadDate: return u"BadDate"_s;
    case ManifestError::DatesOutOfOrder: return u"DatesOutOfOrder"_s;
    case ManifestError::BadPath: return u"BadPath"_s;
    case ManifestError::BadSize: return u"BadSize"_s;
    case ManifestError::BadHash: return u"BadHash"_s;
    case ManifestError::BadSchema: return u"BadSchema"_s;
    case ManifestError::BadMigrations: return u"BadMigrations"_s;
    case ManifestError::BadNotes: return u"BadNotes"_s;
    case ManifestError::Expired: return u"Expired"_s;
    case ManifestError::WrongProduct: return u"WrongProduct"_s;
    }
    return u"Unknown"_s;
}

Error toError(const ManifestProblem &p)
{
    Error e;
    e.code = ExitCode::MetadataRejected;
    e.message = u"the release manifest was rejected: "_s % p.message;
    e.edge = Edge::E18;
    e.detail = manifestErrorName(p.code) % (p.field.isEmpty() ? QString() : u" at "_s % p.field);
    return e;
}

} // namespace s16
