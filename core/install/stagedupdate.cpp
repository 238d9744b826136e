#include "stagedupdate_p.h"

#include "common/fileutil.h"
#include "common/logging.h"
#include "crypto/crypto.h"
#include "delta/chunkindex.h"
#include "delta/indexcheck.h"
#include "faults.h"

#include <QDir>
#include <QFileInfo>
#include <QStringBuilder>

namespace s16::install {
namespace {

// Only an aid: a staged index that is missing, damaged or not the signed one leaves the read
// back to hash the slot whole, which proves the same.
std::shared_ptr<const delta::ChunkIndex> stagedIndex(const Staged &staged)
{
    if (!staged.manifest.imageChunks)
        return {};
    const ManifestFile &signedIndex = staged.manifest.imageChunks->index;
    const QString path = delta::stagedIndexPath(staged.image);
    const QFileInfo info(path);
    if (!info.exists() && !info.isSymLink())
        return {};
    QString why;
    // A link or a FIFO planted there is not read: it could point anywhere or block recovery.
    const Result<QByteArray> bytes = info.isFile() && !info.isSymLink()
                                         ? fileutil::readSmallFile(path, delta::kMaxCheckIndexBytes)
                                         : fail(ExitCode::IntegrityMismatch, QStringLiteral("not a regular file"));
    if (!bytes) {
        why = bytes.error().message;
    } else if (bytes->size() != signedIndex.size || crypto::Sha256::hexHash(*bytes) != signedIndex.sha256) {
        why = QStringLiteral("it is not the index the manifest signs");
    } else if (auto parsed = delta::parse(*bytes); !parsed) {
        why = parsed.error();
    } else if (qint64(parsed->imageSize()) != staged.manifest.image.size) {
        why = QStringLiteral("it describes %1 bytes, the image has %2").arg(parsed->imageSize()).arg(staged.manifest.image.size);
    } else {
        return std::make_shared<const delta::ChunkIndex>(std::move(*parsed));
    }
    qCWarning(lcInstall).noquote() << "the slot will be hashed whole: the staged chunk index" << path << "is not used:" << why;
    return {};
}

} // namespace

Error integrityError(const QString &message, const QString &detail)
{
    return Error{ExitCode::IntegrityMismatch, message, Edge::E48, detail};
}

Result<Staged> loadStaged(const Config &config, const std::optional<StagedRecord> &expected)
{
    Staged staged;
    staged.dir = QDir(config.device.updateDir).filePath(QStringLiteral("staged"));
    const QDir dir(staged.dir);
    const auto bytes = fileutil::readSmallFile(dir.filePath(QStringLiteral("manifest.json")), kMaxManifestBytes);
    const auto signature = fileutil::readSmallFile(dir.filePath(QStringLiteral("manifest.json.sig")), 1024);
    if (!bytes || !signature) {
        return std::unexpected(
            integrityError(QStringLiteral("the staged update is incomplete"), (!bytes ? bytes.error() : signature.error()).message));
    }
    const auto keys = crypto::TrustedKeys::load(config.trust.publicKeys);
    if (!keys) {
        return std::unexpected(integrityError(QStringLiteral("cannot check the staged update's signature"), keys.error().message));
    }
    if (const auto verified = keys->verify(*bytes, *signature); !verified) {
        return std::unexpected(integrityError(QStringLiteral("the staged update's signature does not verify"), verified.error().message));
    }
    auto manifest = parseManifest(*bytes);
    if (!manifest) {
        return std::unexpected(integrityError(QStringLiteral("the staged manifest is not valid"), manifest.error().message));
    }
    if (manifest->product != config.device.product) {
        return std::unexpected(
            integrityError(QStringLiteral("the staged update is for product %1, not %2").arg(manifest->product, config.device.product)));
    }
    // Only the release the online side verified and the user agreed to: another one in its
    // place, even one the same key signed (an older release, say), is not installed; nor
    // is anything when the journal records no download (files left or put in staged/).
    if (!expected)
        return std::unexpected(integrityError(QStringLiteral("no downloaded update is recorded for what is in %1").arg(dir.path())));
    if (expected->version != manifest->version.toString() || expected->sha256 != manifest->image.sha256) {
        return std::unexpected(
            integrityError(QStringLiteral("the staged update is not the one that was downloaded"),
                           QStringLiteral("staged: %1, downloaded: %2").arg(manifest->version.toString(), expected->version)));
    }
    staged.manifest = std::move(*manifest);
    // What the online side fetched and staged: the compressed image when it said so.
    staged.zstd = expected->compression == QLatin1String("zstd");
    if (staged.zstd && !staged.manifest.imageZstd)
        return std::unexpected(integrityError(QStringLiteral("the staged update records a compressed image its manifest does not name")));
    staged.image = dir.filePath(QFileInfo(staged.zstd ? staged.manifest.imageZstd->path : staged.manifest.image.path).fileName());
    for (const ManifestMigration &m : std::as_const(staged.manifest.migrations)) {
        QString path = dir.filePath(m.path);
        if (!QFileInfo::exists(path))
            path = dir.filePath(QStringLiteral("migrations/") % QFileInfo(m.path).fileName());
        staged.migrations.append(MigrationStep{m.schema, path, m.sha256});
    }
    staged.index = stagedIndex(staged);
    return staged;
}

Status verifyStaged(const Staged &staged, const std::function<void(qint64 done, qint64 total)> &progress)
{
    // The staged file's own sum and size: the compressed image's when it is compressed (what it
    // unpacks to is proven while the slot is written and read back, E47-E49).
    const ManifestFile &image = staged.zstd ? *staged.manifest.imageZstd : staged.manifest.image;
    const QString sumFile = staged.image % QStringLiteral(".sha256");
    const auto sumText = fileutil::readSmallFile(sumFile, 4096);
    if (!sumText)
        return std::unexpected(integrityError(QStringLiteral("the saved checksum of the staged image is missing"), sumFile));
    const auto sumLine = crypto::parseSha256Sum(*sumText);
    if (!sumLine)
        return std::unexpected(integrityError(QStringLiteral("the saved checksum of the staged image is not readable"),
                                              sumFile % QStringLiteral(": ") % sumLine.error().message));
    if (sumLine->fileName != QFileInfo(staged.image).fileName()) {
        return std::unexpected(integrityError(QStringLiteral("the saved checksum is for another file"),
                                              QStringLiteral("%1 names %2").arg(sumFile, sumLine->fileName)));
    }
    const QByteArray saved = sumLine->hex;
    if (saved != image.sha256) {
        return std::unexpected(integrityError(
            QStringLiteral("the saved checksum does not match the manifest"),
            QStringLiteral("%1 says %2, the manifest %3").arg(sumFile, QString::fromLatin1(saved), QString::fromLatin1(image.sha256))));
    }
    const QFileInfo info(staged.image);
    if (!info.isFile() || info.size() != image.size) {
        return std::unexpected(
            integrityError(QStringLiteral("the staged image is not the size the manifest declares"),
                           QStringLiteral("%1: %2 bytes, expected %3").arg(staged.image).arg(info.size()).arg(image.size)));
    }
    const auto hash = crypto::sha256FileHex(staged.image, [&](qint64 done) { progress(done, image.size); });
    if (!hash)
        return std::unexpected(integrityError(QStringLiteral("cannot read the staged image"), hash.error().message));
    if (fault::injected(u"verify") || *hash != saved) {
        return std::unexpected(
            integrityError(QStringLiteral("the staged image is damaged: its checksum does not match"),
                           QStringLiteral("SHA-256 %1, saved %2").arg(QString::fromLatin1(*hash), QString::fromLatin1(saved))));
    }
    for (const MigrationStep &m : staged.migrations) {
        const auto sum = crypto::sha256FileHex(m.path);
        if (!sum || *sum != m.sha256) {
            return std::unexpected(integrityError(QStringLiteral("the staged migration %1 is damaged or missing").arg(m.path),
                                                  sum ? QStringLiteral("SHA-256 %1").arg(QString::fromLatin1(*sum)) : sum.error().message));
        }
    }
    return {};
}

} // namespace s16::install
