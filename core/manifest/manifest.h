#pragma once

#include "common/error.h"
#include "version/semver.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringView>

#include <expected>
#include <optional>

QT_BEGIN_NAMESPACE
class QLocale;
QT_END_NAMESPACE

namespace s16 {

// One file the manifest points at, relative to the release repository.
struct ManifestFile {
    QString path;      // "images/s16-2.1.0.img"
    qint64 size = 0;   // bytes
    QByteArray sha256; // 64 lowercase hex characters, as sha256sum prints them

    friend bool operator==(const ManifestFile &, const ManifestFile &) = default;
};

// The image as chunks for a delta update (image.chunks): the chunk index (a casync blob index,
// path under images/) and the chunk store it refers to (a folder, "chunks" or inside it). A
// device rebuilds the image from the chunks it has and those it fetches (docs/delta.md).
struct ManifestChunks {
    ManifestFile index;
    QString store; // "chunks"

    friend bool operator==(const ManifestChunks &, const ManifestChunks &) = default;
};

// A database migration script: applied to a database at schema - 1, it leaves it at schema.
struct ManifestMigration {
    int schema = 0;
    QString path; // "migrations/0004.sql"
    qint64 size = 0;
    QByteArray sha256;

    friend bool operator==(const ManifestMigration &, const ManifestMigration &) = default;
};

// The release manifest (CONTRACT §3, manifest.json): what a release is, which image
// and migrations belong to it, and how long it may be trusted. A Manifest that came
// out of parseManifest() has passed every structural rule; whether it is meant for
// this device, now, is the separate question checkManifestFor() answers, because the
// publisher can check the first without knowing the second. Dates are UTC with
// whole seconds, so a parse/serialize round trip gives back an equal Manifest.
// The format and every rule: docs/manifest.md.
struct Manifest {
    int format = 1;
    QString product;
    SemVer version;
    QDateTime released; // UTC
    QDateTime expires;  // UTC
    bool priority = false;
    QMap<QString, QString> notes; // language code ("en", "pt_BR") -> text
    ManifestFile image;
    // The same image compressed with zstd (image.zstd): a device may fetch it instead, then
    // checks both its sum and the sum of what it unpacks to (image.sha256).
    std::optional<ManifestFile> imageZstd;
    // The same image as chunks (image.chunks): a device may rebuild it from chunks it has.
    std::optional<ManifestChunks> imageChunks;
    std::optional<int> schema; // the app database schema the new system needs
    QList<ManifestMigration> migrations;

    // The notes in the best language for locale: the exact name ("de_DE"), then its
    // language ("de"), then "en", then any; empty if there are none.
    [[nodiscard]] QString notesFor(const QLocale &locale) const;

    friend bool operator==(const Manifest &, const Manifest &) = default;
};

// Why a manifest was refused. Each rule has its own code so that tests, logs and
// diagnostics can tell them apart; ManifestProblem::field says where.
enum class ManifestError {
    TooLarge,          // more than kMaxManifestBytes, refused before parsing
    NotJson,           // not well-formed UTF-8 JSON, or nested too deeply
    NotAnObject,       // the top level is not a JSON object
    MissingField,      // a required key is absent
    WrongType,         // a key holds the wrong JSON type (a string where a number belongs, ...)
    UnsupportedFormat, // "format" is anything but the integer 1
    BadProduct,        // not [a-z0-9._-]{1,64}
    BadVersion,        // not Semantic Versioning 2.0.0
    BadDate,           // not ISO 8601 date and time with Z or a UTC offset
    DatesOutOfOrder,   // expires is not after released
    BadPath,           // not a safe relative path under its folder (images/, migrations/)
    BadSize,           // not an integer, or out of range
    BadHash,           // not exactly 64 lowercase hex characters
    BadSchema,         // not an integer in 0..1000000, or migrations without a schema
    BadMigrations,     // too many, or the schemas do not climb by one to "schema"
    BadNotes,          // a language code that is not one, or a text over 16 KiB
    Expired,           // checkManifestFor: expires has passed
    WrongProduct,      // checkManifestFor: meant for another product
};

struct ManifestProblem {
    ManifestError code = ManifestError::NotJson;
    QString field;   // JSON path: "image.sha256", "migrations[1].path"; empty for the whole document
    QString message; // plain language, names the field
};

inline constexpr qint64 kMaxManifestBytes = 1024 * 1024;
inline constexpr qint64 kMaxImageSize = (qint64(1) << 53) - 1; // the largest integer a JSON double holds exactly
inline constexpr qint64 kMaxMigrationSize = 16 * 1024 * 1024;
inline constexpr qsizetype kMaxMigrations = 1000;
inline constexpr int kMaxSchema = 1000000;
inline constexpr qsizetype kMaxNoteBytes = 16 * 1024; // UTF-8 bytes per language

// Checks structure and every field of manifest.json's bytes (the size first, before parsing).
[[nodiscard]] std::expected<Manifest, ManifestProblem> parseManifest(QByteArrayView bytes);
// Whether a parsed manifest is for this device now: WrongProduct, else Expired (nowUtc at or after expires).
[[nodiscard]] std::expected<void, ManifestProblem> checkManifestFor(const Manifest &m, const QString &product, const QDateTime &nowUtc);
// UTF-8 JSON, indented, keys in CONTRACT §3 order; parseManifest(serializeManifest(m)) == m for a valid m.
[[nodiscard]] QByteArray serializeManifest(const Manifest &m);
// Whether path stays inside the repository wherever it is used: as a file name below a
// folder and appended to the repository URL. See docs/manifest.md for the rules.
[[nodiscard]] bool isSafeRelativePath(QStringView path);
// A stable, untranslated name ("BadHash") for logs and tests.
[[nodiscard]] QString manifestErrorName(ManifestError code);
// ExitCode::MetadataRejected leaving by edge E18, the message naming the field.
[[nodiscard]] Error toError(const ManifestProblem &p);

} // namespace s16
