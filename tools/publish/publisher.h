#pragma once

#include "manifest/manifest.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <expected>
#include <optional>

QT_BEGIN_NAMESPACE
class QTextStream;
QT_END_NAMESPACE

// The server side of the updater: signing keys, signed releases, and the check that a
// release repository (CONTRACT §3) is whole. s16-publish is a thin command line over
// these functions; the tests drive the built binary, other tools may link this library.
// How a maker uses it, and why a release appears atomically: docs/publishing.md.
namespace s16::publish {

enum class PublishError {
    Usage,              // bad or missing arguments
    KeyUnusable,        // the signing or public key cannot be read, is not Ed25519, cannot be written
    InputUnreadable,    // the image or a migration script cannot be read
    InvalidRelease,     // the manifest this release would have breaks a manifest rule
    VersionConflict,    // the repository holds a different release of the same version
    RepositoryUnusable, // the repository cannot be read, locked or written
    ManifestMissing,    // verify: manifest.json or manifest.json.sig is missing or unreadable
    SignatureInvalid,   // verify: the signature does not hold for manifest.json
    ManifestInvalid,    // verify: manifest.json is signed but breaks a manifest rule
    FileMissing,        // verify: a file the manifest names is not there
    SizeMismatch,       // verify: a file's size differs from the manifest
    HashMismatch,       // verify: a file's SHA-256 differs from the manifest
};

struct PublishProblem {
    PublishError code = PublishError::Usage;
    QString message;
    QString file; // the file at fault, relative to the repository where it lies in one
};

[[nodiscard]] QString publishErrorName(PublishError code);
// s16-publish's exit code for a problem: 2 usage and keys, 3 version conflict,
// 13 signature or manifest, 15 a payload file, 16 storage (docs/publishing.md).
[[nodiscard]] int exitCodeFor(PublishError code);

struct MigrationInput {
    int schema = 0;     // the schema the script brings the database to
    QString sourcePath; // the .sql file to publish
};

struct ReleaseOptions {
    QString repo;
    QString image;
    QString version;
    QString key; // Ed25519 private key, PEM
    QString product = QStringLiteral("s16");
    bool priority = false;
    QMap<QString, QString> notes; // language -> text
    std::optional<int> schema;    // else the highest migration's schema, else none
    QList<MigrationInput> migrations;
    int expiresDays = 90;
    QDateTime now; // UTC; the current time when invalid
    // The image compressed with zstd beside the raw one (image.zstd); 0: no compressed image.
    int zstdLevel = 19;
    // The image as chunks for delta updates (image.chunks, the chunks/ store); false: none.
    bool delta = true;
};

struct ReleaseOutcome {
    Manifest manifest;
    QString keyFingerprint;
    bool unchanged = false; // the identical release, signed by this key, was already there
    QStringList warnings;   // worth telling the maker, not worth refusing (an older version)
};

// Writes DIR/signing.key (0600) and DIR/signing.pub, creating DIR (0700) if needed.
// Returns the new key's fingerprint.
[[nodiscard]] std::expected<QString, PublishProblem> keygen(const QString &outDir);

// Publishes one release into opts.repo, atomically (docs/publishing.md): the image is
// hashed while it is copied, in bounded memory.
[[nodiscard]] std::expected<ReleaseOutcome, PublishProblem> release(const ReleaseOptions &opts);

struct VerifiedFile {
    QString path;
    qint64 size = 0;
    QByteArray sha256;
};

struct VerifyOutcome {
    Manifest manifest;
    QString keyFingerprint; // the trusted key that made the signature
    QList<VerifiedFile> files;
};

// Checks a repository as a device would before using it: the signature over the exact
// bytes of manifest.json with one of the public keys (files or folders), the manifest's
// rules, then the size and SHA-256 of the image and of every migration.
[[nodiscard]] std::expected<VerifyOutcome, PublishProblem> verify(const QString &repo, const QStringList &publicKeys);

// The whole command line (arguments as QCoreApplication::arguments() gives them);
// returns the process exit code.
[[nodiscard]] int runCommandLine(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace s16::publish
