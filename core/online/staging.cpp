#include "staging_p.h"

#include "common/fileutil.h"
#include "crypto/crypto.h"
#include "delta/indexcheck.h"
#include "manifest/manifest.h"
#include "store/journal.h"

#include <QDir>
#include <QFileInfo>
#include <QStringBuilder>

namespace s16 {

Staging::Staging(const OnlineContext &context, const Manifest &manifest, const QByteArray &manifestBytes, const QByteArray &signature,
                 QList<DownloadItem> items, std::optional<Error> mismatch, QObject *parent)
    : OnlineStep(context, parent)
    , m_manifest(&manifest)
    , m_manifestBytes(manifestBytes)
    , m_signature(signature)
    , m_items(std::move(items))
    , m_mismatch(std::move(mismatch))
{
}

Staging::~Staging() = default;

void Staging::doStart() { verifyAndStage(m_mismatch); }

QString Staging::partialDir() const { return m_config.device.updateDir % QStringLiteral("/partial"); }
QString Staging::stagedDir() const { return m_config.device.updateDir % QStringLiteral("/staged"); }

// The received files against the manifest; a file that does not match is discarded.
std::optional<Error> Staging::checkReceived()
{
    for (const DownloadItem &item : std::as_const(m_items)) {
        if (item.actualSha256 != item.sha256) {
            QFile::remove(item.partialPath); // a file that does not match is discarded
            return Error{
                ExitCode::IntegrityMismatch,
                QStringLiteral("%1 does not match the manifest's SHA-256; the file was discarded").arg(item.repoPath),
                {},
                QStringLiteral("expected %1, received %2").arg(QString::fromLatin1(item.sha256), QString::fromLatin1(item.actualSha256))};
        }
    }
    // A compressed image must also unpack to exactly the image the manifest signs (its size and
    // SHA-256), as it was unpacked while it arrived, with bounded memory. A mismatch is E38's as
    // much as a wrong sum of the received bytes (a broken or malicious publisher).
    for (const DownloadItem &item : std::as_const(m_items)) {
        if (!item.zstd)
            continue;
        const auto content = item.unpacked.value_or(std::unexpected(QStringLiteral("the compressed image was not unpacked")));
        // Checked against the chunk index (which the manifest signs, for exactly image.size
        // bytes) or hashed whole.
        const bool byIndex = content && content->checkedBy == delta::IndexCheck::name();
        const bool matches = content && content->size == m_manifest->image.size && (byIndex || content->sha256 == m_manifest->image.sha256);
        if (!matches) {
            QFile::remove(item.partialPath);
            QString detail = content ? QString() : content.error();
            if (content && byIndex)
                detail = QStringLiteral("unpacked %1 bytes; the manifest's image has %2").arg(content->size).arg(m_manifest->image.size);
            else if (content)
                detail = QStringLiteral("unpacked %1 bytes with SHA-256 %2; the manifest's image has %3 bytes with SHA-256 %4")
                             .arg(content->size)
                             .arg(QString::fromLatin1(content->sha256))
                             .arg(m_manifest->image.size)
                             .arg(QString::fromLatin1(m_manifest->image.sha256));
            return Error{ExitCode::IntegrityMismatch,
                         QStringLiteral("%1 does not unpack to the image the manifest names; the file was discarded").arg(item.repoPath),
                         {},
                         detail};
        }
    }
    return std::nullopt;
}

void Staging::verifyAndStage(std::optional<Error> mismatch)
{
    // E35/E36: the sums were computed while the bytes arrived; compare them now.
    if (!steps({Edge::E35, Edge::E36}))
        return;
    if (!mismatch)
        mismatch = checkReceived();
    if (mismatch) {
        failAt(Edge::E38, *mismatch);
        return;
    }
    if (!step(Edge::E37))
        return;

    // E37: move into the update partition as one new staged/ folder.
    const QString updateDir = m_config.device.updateDir;
    const QString fresh = updateDir % QStringLiteral("/staged.new");
    const QString old = updateDir % QStringLiteral("/staged.old");
    // links planted under these names are removed as links, never followed
    discard(fresh);
    discard(old);
    auto stage = [&]() -> Status {
        if (!QDir().mkpath(fresh % QStringLiteral("/migrations")))
            return fail(ExitCode::StorageError, QStringLiteral("cannot create %1").arg(fresh));
        for (const DownloadItem &item : std::as_const(m_items)) {
            if (auto s = fileutil::renameDurably(item.partialPath, fresh % QLatin1Char('/') % item.stagedName); !s)
                return s;
        }
        const DownloadItem &image = m_items.first();
        const QByteArray sumLine = crypto::formatSha256Sum(image.actualSha256, image.stagedName);
        for (auto [name, data] :
             {std::pair{QStringLiteral("manifest.json"), m_manifestBytes}, std::pair{QStringLiteral("manifest.json.sig"), m_signature},
              std::pair{QString(image.stagedName % QStringLiteral(".sha256")), sumLine}}) {
            if (auto s = fileutil::writeAtomically(fresh % QLatin1Char('/') % name, data); !s)
                return s;
        }
        // The chunk index the content was checked with: recovery checks the slot against it (E49).
        if (!image.index.isEmpty()) {
            if (auto s = fileutil::writeAtomically(delta::stagedIndexPath(fresh % QLatin1Char('/') % image.stagedName), image.index); !s)
                return s;
        }
        if (auto s = fileutil::syncPath(fresh % QStringLiteral("/migrations")); !s)
            return s;
        if (auto s = fileutil::syncPath(fresh); !s)
            return s;
        if (const QFileInfo current(stagedDir()); current.exists() || current.isSymLink()) {
            if (auto s = fileutil::renameDurably(stagedDir(), old); !s)
                return s;
        }
        if (auto s = fileutil::renameDurably(fresh, stagedDir()); !s)
            return s;
        discard(old);
        discard(partialDir());
        StagedRecord record;
        record.version = m_manifest->version.toString();
        record.sha256 = m_manifest->image.sha256;
        record.compression = image.zstd ? QStringLiteral("zstd") : QString();
        record.image = image.stagedName;
        record.size = image.size;
        record.imageSize = m_manifest->image.size;
        record.priority = m_manifest->priority;
        record.notes = notesJson(*m_manifest);
        record.schema = m_manifest->schema;
        record.released = m_manifest->released.toString(Qt::ISODate);
        m_staged = record;
        return state().setStaged(record);
    };
    if (auto staged = stage(); !staged) {
        // No edge leaves MoveFile but to Notify: a storage failure here is an error of the cycle.
        if (jump(Jump::StorageFailed))
            failAt(Edge::E08, staged.error().withContext(QStringLiteral("cannot stage the update")));
        return;
    }
    if (step(Edge::E39))
        done();
}

} // namespace s16
