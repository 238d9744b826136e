#include "publisher.h"

#include "compress/zstd.h"
#include "delta/chunkindex.h"
#include "delta/chunkstore.h"

#include "common/fileutil.h"
#include "crypto/crypto.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QSet>
#include <QStringBuilder>
#include <QTextStream>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace s16::publish {
namespace {

using crypto::TrustedKeys;

constexpr qint64 kCopyChunk = 1024 * 1024;
constexpr qint64 kMaxSigFileBytes = 4096;
const QString kManifestName = QStringLiteral("manifest.json");
const QString kSignatureName = QStringLiteral("manifest.json.sig");
const QString kImagesDir = QStringLiteral("images");
const QString kMigrationsDir = QStringLiteral("migrations");
const QString kChunksDir = QStringLiteral("chunks");

std::unexpected<PublishProblem> problem(PublishError code, QString message, QString file = {})
{
    return std::unexpected(PublishProblem{code, std::move(message), std::move(file)});
}

QString errnoText() { return QString::fromLocal8Bit(std::strerror(errno)); }
QByteArray encoded(const QString &path) { return QFile::encodeName(path); }

// An exclusive lock beside the repository, held for the whole release, so that two
// publishers never build or swap at once (and stale staging folders can be removed).
class RepoLock
{
    Q_DISABLE_COPY(RepoLock) // one owner of the descriptor: a copy would close it (and drop the lock) twice

public:
    RepoLock() = default;
    ~RepoLock()
    {
        if (m_fd >= 0)
            ::close(m_fd); // releases the flock
    }
    std::expected<void, PublishProblem> acquire(const QString &path)
    {
        m_fd = ::open(encoded(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (m_fd < 0)
            return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot create lock %1: %2").arg(path, errnoText()));
        if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0)
            return problem(PublishError::RepositoryUnusable,
                           QStringLiteral("another s16-publish is releasing into this repository (lock %1 is held)").arg(path));
        return {};
    }

private:
    int m_fd = -1;
};

// Removes a staging folder on every early return; dismissed once it became the repository.
class StagingGuard
{
public:
    explicit StagingGuard(QString path)
        : m_path(std::move(path))
    {
    }
    ~StagingGuard()
    {
        if (!m_path.isEmpty())
            QDir(m_path).removeRecursively();
    }
    void dismiss() { m_path.clear(); }

private:
    QString m_path;
};

struct CopiedFile {
    qint64 size = 0;
    QByteArray sha256;
};

// Copies src to dst (created, never replaced) in fixed chunks, hashing on the way, so
// memory stays bounded whatever the image size; the copy is fsynced.
std::expected<CopiedFile, PublishProblem> copyHashing(const QString &src, const QString &dst, qint64 maxSize)
{
    const QFileInfo info(src);
    if (!info.exists() || !info.isFile())
        return problem(PublishError::InputUnreadable, QStringLiteral("%1 is not a readable file").arg(src));
    QFile in(src);
    if (!in.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return problem(PublishError::InputUnreadable, QStringLiteral("cannot read %1: %2").arg(src, in.errorString()));
    const int fd = ::open(encoded(dst).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot create %1: %2").arg(dst, errnoText()));
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });

    crypto::Sha256 hash;
    QByteArray buffer(kCopyChunk, Qt::Uninitialized);
    CopiedFile out;
    for (;;) {
        const qint64 n = in.read(buffer.data(), buffer.size());
        if (n < 0)
            return problem(PublishError::InputUnreadable, QStringLiteral("cannot read %1: %2").arg(src, in.errorString()));
        if (n == 0)
            break;
        out.size += n;
        if (out.size > maxSize)
            return problem(PublishError::InputUnreadable, QStringLiteral("%1 is larger than %2 bytes").arg(src).arg(maxSize));
        hash.addData(QByteArrayView(buffer.constData(), n));
        for (qint64 done = 0; done < n;) {
            const ssize_t w = ::write(fd, buffer.constData() + done, size_t(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot write %1: %2").arg(dst, errnoText()));
            done += w;
        }
    }
    if (::fsync(fd) != 0)
        return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot sync %1: %2").arg(dst, errnoText()));
    out.sha256 = hash.hexResult();
    return out;
}

std::expected<void, PublishProblem> writeDurably(const QString &path, const QByteArray &data)
{
    if (auto w = fileutil::writeAtomically(path, data, 0644); !w)
        return problem(PublishError::RepositoryUnusable, w.error().message % QStringLiteral(": ") % w.error().detail);
    return {};
}

std::expected<void, PublishProblem> makeDir(const QString &path)
{
    if (::mkdir(encoded(path).constData(), 0755) != 0)
        return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot create %1: %2").arg(path, errnoText()));
    return {};
}

// Brings a file of the old repository into the new one without copying its bytes.
// Hard links share the inode, so the old repository's files stay what they were.
std::expected<void, PublishProblem> linkOrCopy(const QString &from, const QString &to)
{
    if (::link(encoded(from).constData(), encoded(to).constData()) == 0)
        return {};
    if (!QFile::copy(from, to))
        return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot carry %1 over into the new repository").arg(from));
    return {};
}

// Carries a tree (a maker's README, a robots.txt, a .well-known folder) over, keeping symlinks as symlinks.
std::expected<void, PublishProblem> carryTree(const QString &from, const QString &to)
{
    const QFileInfo fi(from);
    if (fi.isSymLink()) {
        char buf[4096];
        const ssize_t n = ::readlink(encoded(from).constData(), buf, sizeof buf - 1);
        if (n < 0 || ::symlink(QByteArray(buf, n).constData(), encoded(to).constData()) != 0)
            return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot carry symlink %1 over: %2").arg(from, errnoText()));
        return {};
    }
    if (fi.isDir()) {
        if (auto d = makeDir(to); !d)
            return d;
        const QStringList entries = QDir(from).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
        for (const QString &e : entries) {
            if (auto c = carryTree(from % QLatin1Char('/') % e, to % QLatin1Char('/') % e); !c)
                return c;
        }
        return {};
    }
    return linkOrCopy(from, to);
}

// fsyncs every folder of the staging tree, so the swap publishes only data on disk.
std::expected<void, PublishProblem> syncTree(const QString &root)
{
    QStringList dirs{root};
    QDirIterator it(root, QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot | QDir::NoSymLinks, QDirIterator::Subdirectories);
    while (it.hasNext())
        dirs << it.next();
    for (const QString &d : std::as_const(dirs)) {
        if (auto s = fileutil::syncPath(d); !s)
            return problem(PublishError::RepositoryUnusable, s.error().message % QStringLiteral(": ") % s.error().detail);
    }
    return {};
}

// The release's content, what makes two releases "the same": everything but the dates.
bool sameRelease(const Manifest &a, const Manifest &b)
{
    return a.product == b.product && a.version == b.version && a.version.build() == b.version.build() && a.priority == b.priority
           && a.notes == b.notes && a.image == b.image && a.schema == b.schema && a.migrations == b.migrations;
}

QStringList differences(const Manifest &a, const Manifest &b)
{
    QStringList d;
    if (a.product != b.product)
        d << QStringLiteral("product");
    if (a.version.build() != b.version.build())
        d << QStringLiteral("version build metadata");
    if (a.priority != b.priority)
        d << QStringLiteral("priority");
    if (a.notes != b.notes)
        d << QStringLiteral("notes");
    if (a.image != b.image)
        d << QStringLiteral("image");
    if (a.schema != b.schema)
        d << QStringLiteral("schema");
    if (a.migrations != b.migrations)
        d << QStringLiteral("migrations");
    return d;
}

struct Existing {
    Manifest manifest;
    QByteArray bytes;
    QByteArray signature;
};

// The release the repository holds now, if any. Its signature is not required here:
// the comparison is about content, and a broken old release must not block a new one.
std::expected<std::optional<Existing>, PublishProblem> readExisting(const QString &repo)
{
    const QString path = repo % QLatin1Char('/') % kManifestName;
    if (!QFileInfo::exists(path))
        return std::optional<Existing>();
    auto bytes = fileutil::readSmallFile(path, kMaxManifestBytes);
    if (!bytes)
        return problem(PublishError::RepositoryUnusable, bytes.error().message % QStringLiteral(": ") % bytes.error().detail,
                       kManifestName);
    auto m = parseManifest(*bytes);
    if (!m)
        return problem(PublishError::RepositoryUnusable,
                       QStringLiteral("%1 holds a manifest.json that cannot be read (%2); move it away to publish into this folder")
                           .arg(repo, m.error().message),
                       kManifestName);
    auto sig = fileutil::readSmallFile(repo % QLatin1Char('/') % kSignatureName, kMaxSigFileBytes);
    return std::optional<Existing>(Existing{*m, *bytes, sig.value_or(QByteArray())});
}

QString fileInRepo(const QString &repo, const QString &relative) { return repo % QLatin1Char('/') % relative; }

std::expected<VerifiedFile, PublishProblem> checkFile(const QString &repo, const QString &relative, qint64 size, const QByteArray &sha256)
{
    const QString path = fileInRepo(repo, relative);
    const QFileInfo fi(path);
    if (!fi.exists())
        return problem(PublishError::FileMissing, QStringLiteral("%1 is missing").arg(relative), relative);
    if (!fi.isFile())
        return problem(PublishError::FileMissing, QStringLiteral("%1 is not a regular file").arg(relative), relative);
    if (fi.size() != size)
        return problem(PublishError::SizeMismatch,
                       QStringLiteral("%1 is %2 bytes, the manifest says %3").arg(relative).arg(fi.size()).arg(size), relative);
    auto hex = crypto::sha256FileHex(path);
    if (!hex)
        return problem(PublishError::RepositoryUnusable, hex.error().message, relative);
    if (*hex != sha256)
        return problem(
            PublishError::HashMismatch,
            QStringLiteral("%1 has SHA-256 %2, the manifest says %3").arg(relative, QString::fromLatin1(*hex), QString::fromLatin1(sha256)),
            relative);
    return VerifiedFile{relative, size, sha256};
}

std::expected<delta::ChunkIndex, PublishProblem> readChunkIndex(const QString &repo, const QString &relative)
{
    auto bytes = fileutil::readSmallFile(fileInRepo(repo, relative), delta::kMaxIndexBytes);
    if (!bytes)
        return problem(PublishError::RepositoryUnusable, bytes.error().message, relative);
    auto index = delta::parse(*bytes);
    if (!index)
        return problem(PublishError::HashMismatch, QStringLiteral("%1: %2").arg(relative, index.error()), relative);
    return *index;
}

// What a device rebuilds from the chunk store must be the image, byte for byte: every chunk is
// unpacked and checked against its id, and the image's SHA-256 is taken over them in order.
std::expected<void, PublishProblem> checkChunks(const QString &repo, const Manifest &m)
{
    const QString &indexPath = m.imageChunks->index.path;
    auto index = readChunkIndex(repo, indexPath);
    if (!index)
        return std::unexpected(index.error());
    if (qint64(index->imageSize()) != m.image.size)
        return problem(
            PublishError::SizeMismatch,
            QStringLiteral("%1 describes %2 bytes, %3 has %4").arg(indexPath).arg(index->imageSize()).arg(m.image.path).arg(m.image.size),
            indexPath);
    crypto::Sha256 whole;
    for (qsizetype i = 0; i < index->entries.size(); ++i) {
        const QString relative = m.imageChunks->store % QLatin1Char('/') % delta::chunkStorePath(index->entries[i].id);
        const qint64 size = qint64(index->sizeOf(i));
        auto packed = fileutil::readSmallFile(fileInRepo(repo, relative), zstd::compressBound(size) + 64);
        if (!packed)
            return problem(PublishError::FileMissing, QStringLiteral("chunk %1 of %2: %3").arg(i).arg(indexPath, packed.error().message),
                           relative);
        auto data = zstd::decompress(*packed, size);
        if (!data || delta::chunkIdOf(*data) != index->entries[i].id)
            return problem(PublishError::HashMismatch,
                           QStringLiteral("%1 does not hold the chunk its name says%2")
                               .arg(relative, data ? QString() : QStringLiteral(": ") + data.error()),
                           relative);
        whole.addData(*data);
    }
    if (whole.hexResult() != m.image.sha256)
        return problem(PublishError::HashMismatch, QStringLiteral("the chunks of %1 do not rebuild %2").arg(indexPath, m.image.path),
                       indexPath);
    return {};
}

std::expected<VerifyOutcome, PublishProblem> verifyWith(const QString &repo, const TrustedKeys &keys)
{
    if (!QFileInfo(repo).isDir())
        return problem(PublishError::RepositoryUnusable, QStringLiteral("%1 is not a folder").arg(repo));
    const QString manifestPath = fileInRepo(repo, kManifestName);
    const QString sigPath = fileInRepo(repo, kSignatureName);
    if (!QFileInfo::exists(manifestPath))
        return problem(PublishError::ManifestMissing, QStringLiteral("%1 is missing").arg(kManifestName), kManifestName);
    auto bytes = fileutil::readSmallFile(manifestPath, kMaxManifestBytes);
    if (!bytes)
        return problem(PublishError::ManifestInvalid, QStringLiteral("%1: %2").arg(kManifestName, bytes.error().message), kManifestName);
    if (!QFileInfo::exists(sigPath))
        return problem(PublishError::ManifestMissing, QStringLiteral("%1 is missing").arg(kSignatureName), kSignatureName);
    auto sig = fileutil::readSmallFile(sigPath, kMaxSigFileBytes);
    if (!sig)
        return problem(PublishError::SignatureInvalid, QStringLiteral("%1: %2").arg(kSignatureName, sig.error().message), kSignatureName);

    // Authenticate before parsing, as a device does: nothing unsigned is interpreted.
    auto who = keys.verify(*bytes, *sig);
    if (!who)
        return problem(PublishError::SignatureInvalid,
                       QStringLiteral("%1 does not verify %2 with the trusted key(s): one of the two was changed or signed by "
                                      "another key (%3)")
                           .arg(kSignatureName, kManifestName, who.error().message),
                       kSignatureName);
    auto m = parseManifest(*bytes);
    if (!m)
        return problem(PublishError::ManifestInvalid, QStringLiteral("%1: %2").arg(kManifestName, m.error().message), kManifestName);

    VerifyOutcome outcome{*m, *who, {}};
    auto image = checkFile(repo, m->image.path, m->image.size, m->image.sha256);
    if (!image)
        return std::unexpected(image.error());
    outcome.files << *image;
    if (m->imageZstd) {
        auto packed = checkFile(repo, m->imageZstd->path, m->imageZstd->size, m->imageZstd->sha256);
        if (!packed)
            return std::unexpected(packed.error());
        // What a device unpacks must be the image, byte for byte.
        const auto content = zstd::contentOf(fileInRepo(repo, m->imageZstd->path), m->image.size);
        if (!content || content->size != m->image.size || content->sha256 != m->image.sha256)
            return problem(
                PublishError::HashMismatch,
                QStringLiteral("%1 does not unpack to %2: %3")
                    .arg(m->imageZstd->path, m->image.path,
                         content ? QStringLiteral("%1 bytes, SHA-256 %2").arg(content->size).arg(QString::fromLatin1(content->sha256))
                                 : content.error()),
                m->imageZstd->path);
        outcome.files << *packed;
    }
    if (m->imageChunks) {
        auto index = checkFile(repo, m->imageChunks->index.path, m->imageChunks->index.size, m->imageChunks->index.sha256);
        if (!index)
            return std::unexpected(index.error());
        if (auto rebuilt = checkChunks(repo, *m); !rebuilt)
            return std::unexpected(rebuilt.error());
        outcome.files << *index;
    }
    for (const ManifestMigration &mig : std::as_const(m->migrations)) {
        auto f = checkFile(repo, mig.path, mig.size, mig.sha256);
        if (!f)
            return std::unexpected(f.error());
        outcome.files << *f;
    }
    return outcome;
}

QDateTime wholeSecondsUtc(const QDateTime &t)
{
    const QDateTime base = t.isValid() ? t : QDateTime::currentDateTimeUtc();
    return QDateTime::fromSecsSinceEpoch(base.toSecsSinceEpoch(), Qt::UTC);
}

} // namespace

QString publishErrorName(PublishError code)
{
    switch (code) {
    case PublishError::Usage: return QStringLiteral("Usage");
    case PublishError::KeyUnusable: return QStringLiteral("KeyUnusable");
    case PublishError::InputUnreadable: return QStringLiteral("InputUnreadable");
    case PublishError::InvalidRelease: return QStringLiteral("InvalidRelease");
    case PublishError::VersionConflict: return QStringLiteral("VersionConflict");
    case PublishError::RepositoryUnusable: return QStringLiteral("RepositoryUnusable");
    case PublishError::ManifestMissing: return QStringLiteral("ManifestMissing");
    case PublishError::SignatureInvalid: return QStringLiteral("SignatureInvalid");
    case PublishError::ManifestInvalid: return QStringLiteral("ManifestInvalid");
    case PublishError::FileMissing: return QStringLiteral("FileMissing");
    case PublishError::SizeMismatch: return QStringLiteral("SizeMismatch");
    case PublishError::HashMismatch: return QStringLiteral("HashMismatch");
    }
    return QStringLiteral("Unknown");
}

int exitCodeFor(PublishError code)
{
    switch (code) {
    case PublishError::Usage:
    case PublishError::KeyUnusable:
    case PublishError::InputUnreadable:
    case PublishError::InvalidRelease: return toInt(ExitCode::Usage);
    case PublishError::VersionConflict: return 3;
    case PublishError::ManifestMissing:
    case PublishError::SignatureInvalid:
    case PublishError::ManifestInvalid: return toInt(ExitCode::MetadataRejected);
    case PublishError::FileMissing:
    case PublishError::SizeMismatch:
    case PublishError::HashMismatch: return toInt(ExitCode::IntegrityMismatch);
    case PublishError::RepositoryUnusable: return toInt(ExitCode::StorageError);
    }
    return 1;
}

std::expected<QString, PublishProblem> keygen(const QString &outDir)
{
    if (outDir.isEmpty())
        return problem(PublishError::Usage, QStringLiteral("keygen needs --out DIR"));
    if (!QFileInfo::exists(outDir)) {
        // only the owner may look into a folder of signing keys
        const QString absolute = QFileInfo(outDir).absoluteFilePath();
        if (!QDir().mkpath(QFileInfo(absolute).absolutePath()) || ::mkdir(encoded(absolute).constData(), 0700) != 0)
            return problem(PublishError::KeyUnusable, QStringLiteral("cannot create %1: %2").arg(outDir, errnoText()));
    }
    const QString priv = QDir(outDir).filePath(QStringLiteral("signing.key"));
    const QString pub = QDir(outDir).filePath(QStringLiteral("signing.pub"));
    if (auto made = crypto::generateKeyPair(priv, pub); !made)
        return problem(PublishError::KeyUnusable, made.error().message, priv);
    auto keys = TrustedKeys::load({pub});
    if (!keys)
        return problem(PublishError::KeyUnusable, keys.error().message, pub);
    return keys->fingerprints().value(0);
}

std::expected<VerifyOutcome, PublishProblem> verify(const QString &repo, const QStringList &publicKeys)
{
    if (repo.isEmpty() || publicKeys.isEmpty())
        return problem(PublishError::Usage, QStringLiteral("verify needs --repo DIR and --pubkey PUB"));
    auto keys = TrustedKeys::load(publicKeys);
    if (!keys)
        return problem(PublishError::KeyUnusable, keys.error().message);
    return verifyWith(repo, *keys);
}

std::expected<ReleaseOutcome, PublishProblem> release(const ReleaseOptions &opts)
{
    // ---- the request, checked before anything is touched ----
    if (opts.repo.isEmpty() || opts.image.isEmpty() || opts.version.isEmpty() || opts.key.isEmpty())
        return problem(PublishError::Usage, QStringLiteral("release needs --repo, --image, --version and --key"));
    const auto version = SemVer::parse(opts.version);
    if (!version)
        return problem(PublishError::Usage, QStringLiteral("--version %1 is not a semantic version (X.Y.Z)").arg(opts.version));
    if (opts.expiresDays < 1 || opts.expiresDays > 36500)
        return problem(PublishError::Usage, QStringLiteral("--expires-days must be between 1 and 36500"));
    QList<MigrationInput> migrations = opts.migrations;
    std::sort(migrations.begin(), migrations.end(), [](const auto &a, const auto &b) { return a.schema < b.schema; });
    for (qsizetype i = 1; i < migrations.size(); ++i) {
        if (migrations.at(i).schema == migrations.at(i - 1).schema)
            return problem(PublishError::Usage, QStringLiteral("two migrations for schema %1").arg(migrations.at(i).schema));
    }
    std::optional<int> schema = opts.schema;
    if (!schema && !migrations.isEmpty())
        schema = migrations.last().schema;
    if (!QFileInfo(opts.image).isFile())
        return problem(PublishError::InputUnreadable, QStringLiteral("image %1 is not a readable file").arg(opts.image));

    auto publicPem = crypto::publicKeyPemOf(opts.key);
    if (!publicPem)
        return problem(PublishError::KeyUnusable, publicPem.error().message, opts.key);
    auto ownKey = TrustedKeys::fromPem({*publicPem});
    if (!ownKey)
        return problem(PublishError::KeyUnusable, ownKey.error().message, opts.key);
    const QString fingerprint = ownKey->fingerprints().value(0);

    // ---- where: a symlinked repository is published into the folder it points at ----
    QFileInfo repoInfo(opts.repo);
    QString repo = repoInfo.absoluteFilePath();
    if (repoInfo.isSymLink()) {
        repo = repoInfo.canonicalFilePath();
        if (repo.isEmpty())
            return problem(PublishError::RepositoryUnusable, QStringLiteral("%1 is a dangling symlink").arg(opts.repo));
        repoInfo = QFileInfo(repo);
    }
    if (repoInfo.exists() && !repoInfo.isDir())
        return problem(PublishError::RepositoryUnusable, QStringLiteral("%1 exists and is not a folder").arg(repo));
    const QString parent = repoInfo.absolutePath();
    const QString name = repoInfo.fileName();
    if (!QFileInfo(parent).isDir())
        return problem(PublishError::RepositoryUnusable, QStringLiteral("the folder %1 does not exist").arg(parent));

    RepoLock lock;
    if (auto l = lock.acquire(parent % QStringLiteral("/.") % name % QStringLiteral(".lock")); !l)
        return std::unexpected(l.error());

    // Leftovers of an interrupted run were never visible; under the lock they are ours to remove.
    const QString stagingPrefix = QLatin1Char('.') % name % QStringLiteral(".staging-");
    for (const QString &stale :
         QDir(parent).entryList({stagingPrefix % QLatin1Char('*')}, QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot))
        QDir(parent % QLatin1Char('/') % stale).removeRecursively();

    auto existing = readExisting(repo);
    if (!existing)
        return std::unexpected(existing.error());

    // ---- build the new repository content beside the repository ----
    const QString staging = parent % QLatin1Char('/') % stagingPrefix % QString::number(::getpid());
    if (auto d = makeDir(staging); !d)
        return std::unexpected(d.error());
    StagingGuard guard(staging);
    if (auto d = makeDir(staging % QLatin1Char('/') % kImagesDir); !d)
        return std::unexpected(d.error());

    Manifest m;
    m.format = 1;
    m.product = opts.product;
    m.version = *version;
    m.released = wholeSecondsUtc(opts.now);
    m.expires = m.released.addDays(opts.expiresDays);
    m.priority = opts.priority;
    m.notes = opts.notes;
    m.schema = schema;

    m.image.path = kImagesDir % QLatin1Char('/') % opts.product % QLatin1Char('-') % version->toString() % QStringLiteral(".img");
    if (!isSafeRelativePath(m.image.path))
        return problem(PublishError::InvalidRelease, QStringLiteral("%1 is not a safe file name for the image").arg(m.image.path));
    auto image = copyHashing(opts.image, fileInRepo(staging, m.image.path), kMaxImageSize);
    if (!image)
        return std::unexpected(image.error());
    m.image.size = image->size;
    m.image.sha256 = image->sha256;
    if (opts.zstdLevel > 0) {
        // Beside the raw image (devices of older releases fetch that one), the same compressed:
        // a device of this release fetches the smaller file and checks what it unpacks to.
        ManifestFile z;
        z.path = m.image.path % QStringLiteral(".zst");
        const QString file = fileInRepo(staging, z.path);
        if (auto packed = zstd::compressFile(fileInRepo(staging, m.image.path), file, opts.zstdLevel); !packed)
            return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot compress the image: %1").arg(packed.error()), z.path);
        auto sum = crypto::sha256FileHex(file);
        if (!sum)
            return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot read %1 back").arg(z.path), sum.error().message);
        z.size = QFileInfo(file).size();
        z.sha256 = *sum;
        m.imageZstd = z;
    }
    if (opts.delta) {
        // The image as chunks for delta updates: the store is shared by the releases (what an
        // earlier one stored is linked over, not compressed again), and the index names the
        // chunks of this image in order.
        const QString store = fileInRepo(staging, kChunksDir);
        if (const QString old = fileInRepo(repo, kChunksDir); QFileInfo(old).isDir() && !QFileInfo(old).isSymLink()) {
            if (auto c = carryTree(old, store); !c)
                return std::unexpected(c.error());
        }
        auto stored = delta::writeChunkStore(fileInRepo(staging, m.image.path), store, delta::kDefaultChunkSizes,
                                             opts.zstdLevel > 0 ? opts.zstdLevel : zstd::kDefaultLevel);
        if (!stored)
            return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot write the chunk store: %1").arg(stored.error()),
                           kChunksDir);
        // Chunks that neither this release nor the one before it uses are dropped.
        QSet<QString> keep;
        for (const delta::IndexEntry &e : std::as_const(stored->index.entries))
            keep.insert(delta::chunkStorePath(e.id));
        if (*existing && (*existing)->manifest.imageChunks) {
            if (auto before = readChunkIndex(repo, (*existing)->manifest.imageChunks->index.path)) {
                for (const delta::IndexEntry &e : std::as_const(before->entries))
                    keep.insert(delta::chunkStorePath(e.id));
            }
        }
        QDirIterator chunkFiles(store, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (chunkFiles.hasNext()) {
            const QString file = chunkFiles.next();
            if (!keep.contains(file.mid(store.size() + 1)))
                QFile::remove(file);
        }
        ManifestChunks chunks;
        chunks.store = kChunksDir;
        chunks.index.path =
            kImagesDir % QLatin1Char('/') % opts.product % QLatin1Char('-') % version->toString() % QStringLiteral(".caibx");
        const QByteArray indexBytes = delta::serialize(stored->index);
        if (auto w = writeDurably(fileInRepo(staging, chunks.index.path), indexBytes); !w)
            return std::unexpected(w.error());
        chunks.index.size = indexBytes.size();
        chunks.index.sha256 = crypto::Sha256::hexHash(indexBytes);
        m.imageChunks = chunks;
    }

    if (!migrations.isEmpty()) {
        if (auto d = makeDir(staging % QLatin1Char('/') % kMigrationsDir); !d)
            return std::unexpected(d.error());
    }
    for (const MigrationInput &in : std::as_const(migrations)) {
        ManifestMigration mig;
        mig.schema = in.schema;
        mig.path = kMigrationsDir % QLatin1Char('/') % QStringLiteral("%1.sql").arg(in.schema, 4, 10, QLatin1Char('0'));
        auto copied = copyHashing(in.sourcePath, fileInRepo(staging, mig.path), kMaxMigrationSize);
        if (!copied)
            return std::unexpected(copied.error());
        mig.size = copied->size;
        mig.sha256 = copied->sha256;
        m.migrations << mig;
    }

    // The serializer's output is what devices will parse: it must pass the same rules.
    const QByteArray bytes = serializeManifest(m);
    if (auto parsed = parseManifest(bytes); !parsed)
        return problem(PublishError::InvalidRelease, QStringLiteral("the release would not be valid: %1").arg(parsed.error().message),
                       kManifestName);

    ReleaseOutcome outcome{m, fingerprint, false, {}};
    if (*existing) {
        const Existing &old = **existing;
        if (old.manifest.version == m.version) {
            if (!sameRelease(old.manifest, m))
                return problem(PublishError::VersionConflict,
                               QStringLiteral("%1 already holds a different release of version %2 (it differs in: %3); "
                                              "publish it under a new version")
                                   .arg(repo, old.manifest.version.toString(), differences(old.manifest, m).join(QStringLiteral(", "))),
                               kManifestName);
            // The same release again: nothing to do, unless it is to be re-signed by another key
            // (key rotation), which is then a fresh release of the same content.
            if (ownKey->verify(old.bytes, old.signature)) {
                outcome.manifest = old.manifest;
                outcome.unchanged = true;
                return outcome;
            }
        } else if (m.version < old.manifest.version) {
            outcome.warnings << QStringLiteral("%1 replaces the newer %2: devices that already run %2 will not install it")
                                    .arg(m.version.toString(), old.manifest.version.toString());
        }
    }

    auto signature = crypto::sign(opts.key, bytes);
    if (!signature)
        return problem(PublishError::KeyUnusable, signature.error().message, opts.key);
    if (auto w = writeDurably(fileInRepo(staging, kManifestName), bytes); !w)
        return std::unexpected(w.error());
    if (auto w = writeDurably(fileInRepo(staging, kSignatureName), *signature); !w)
        return std::unexpected(w.error());

    // Check what was built exactly as `verify` and a device would, before anyone can see it.
    if (auto self = verifyWith(staging, *ownKey); !self)
        return problem(PublishError::RepositoryUnusable,
                       QStringLiteral("the new release failed its own check: %1").arg(self.error().message), self.error().file);

    // Carry over what the old repository holds besides its release: the previous release's
    // payload (a device that fetched the old manifest moments ago can still download it)
    // and any files of the maker's own. Older payloads are dropped.
    if (QFileInfo(repo).isDir()) {
        QSet<QString> payload;
        if (*existing) {
            payload << (*existing)->manifest.image.path;
            if ((*existing)->manifest.imageZstd)
                payload << (*existing)->manifest.imageZstd->path;
            if ((*existing)->manifest.imageChunks)
                payload << (*existing)->manifest.imageChunks->index.path;
            for (const ManifestMigration &mig : std::as_const((*existing)->manifest.migrations))
                payload << mig.path;
        }
        for (const QString &rel : std::as_const(payload)) {
            const QString to = fileInRepo(staging, rel);
            if (QFileInfo::exists(to) || !QFileInfo(fileInRepo(repo, rel)).isFile())
                continue;
            const QString dir = QFileInfo(to).absolutePath();
            if (!QFileInfo::exists(dir)) {
                if (auto d = makeDir(dir); !d)
                    return std::unexpected(d.error());
            }
            if (auto c = linkOrCopy(fileInRepo(repo, rel), to); !c)
                return std::unexpected(c.error());
        }
        const QStringList own = QDir(repo).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
        for (const QString &entry : own) {
            if (entry == kManifestName || entry == kSignatureName || entry == kImagesDir || entry == kMigrationsDir)
                continue;
            if (entry == kChunksDir && QFileInfo::exists(fileInRepo(staging, kChunksDir)))
                continue; // carried over above, pruned
            if (auto c = carryTree(fileInRepo(repo, entry), fileInRepo(staging, entry)); !c)
                return std::unexpected(c.error());
        }
    }
    if (auto s = syncTree(staging); !s)
        return std::unexpected(s.error());

    // ---- the one visible step: the complete new folder takes the repository's name ----
    const QByteArray from = encoded(staging);
    const QByteArray to = encoded(repo);
    if (!QFileInfo::exists(repo)) {
        if (::rename(from.constData(), to.constData()) != 0)
            return problem(PublishError::RepositoryUnusable, QStringLiteral("cannot move %1 to %2: %3").arg(staging, repo, errnoText()));
    } else if (::renameat2(AT_FDCWD, from.constData(), AT_FDCWD, to.constData(), RENAME_EXCHANGE) != 0) {
        return problem(PublishError::RepositoryUnusable,
                       QStringLiteral("cannot swap the new release into %1: %2 (the file system must support "
                                      "renameat2 RENAME_EXCHANGE; ext4, xfs, btrfs and tmpfs do)")
                           .arg(repo, errnoText()));
    }
    // After the exchange the staging name holds the old repository; the guard removes it.
    if (auto s = fileutil::syncPath(parent); !s)
        return problem(PublishError::RepositoryUnusable, s.error().message);
    return outcome;
}

// ---- the command line ----
namespace {

struct Args {
    QString command;
    bool help = false;
    bool showVersion = false;
    bool json = false;
    QMap<QString, QStringList> values; // option -> values in order
    QStringList flags;
};

struct OptionSpec {
    const char *name;
    bool takesValue;
    const char *commands; // "" = every command
};

constexpr OptionSpec kOptions[] = {
    {"help", false, ""},
    {"config", true, ""},
    {"json", false, ""},
    {"out", true, "keygen"},
    {"repo", true, "release verify"},
    {"image", true, "release"},
    {"version", true, "release"},
    {"key", true, "release"},
    {"product", true, "release"},
    {"priority", false, "release"},
    {"notes", true, "release"},
    {"schema", true, "release"},
    {"migration", true, "release"},
    {"expires-days", true, "release"},
    {"pubkey", true, "verify"},
    {"zstd-level", true, "release"},
    {"no-compress", false, "release"},
    {"no-delta", false, "release"},
};

const QStringList kCommands{QStringLiteral("keygen"), QStringLiteral("release"), QStringLiteral("verify")};

QString helpText()
{
    return QStringLiteral("Usage: s16-publish <command> [options]\n"
                          "Release tooling for the S16 updater's server side: keys, signed releases, verification.\n"
                          "\n"
                          "Commands:\n"
                          "  keygen --out DIR                  write DIR/signing.key (Ed25519, PEM, 0600) and DIR/signing.pub\n"
                          "  release --repo DIR --image FILE --version X.Y.Z --key KEY\n"
                          "          [--product s16] [--priority] [--notes LANG=TEXT]... [--schema N]\n"
                          "          [--migration SCHEMA=FILE.sql]... [--expires-days N]\n"
                          "          [--zstd-level N | --no-compress] [--no-delta]\n"
                          "                                    publish a signed release into DIR, atomically\n"
                          "  verify --repo DIR --pubkey PUB... check signature, sizes and hashes of DIR\n"
                          "\n"
                          "Options:\n"
                          "  --json          one JSON object on stdout\n"
                          "  --config FILE   accepted for symmetry with the device tools, not used\n"
                          "  --help          this text\n"
                          "  --version       the program's version (with release: the release's version)\n"
                          "\n"
                          "Exit codes: 0 ok, 2 usage/key/input, 3 version conflict, 13 signature or manifest,\n"
                          "15 a file's size or hash, 16 repository storage. See docs/publishing.md.\n");
}

std::expected<Args, PublishProblem> parseArgs(const QStringList &arguments)
{
    Args a;
    const QStringList args = arguments.mid(1);
    // The command first, since it decides what --version means; values of options are skipped.
    const auto specFor = [](QStringView name) -> const OptionSpec * {
        for (const OptionSpec &o : kOptions) {
            if (name == QLatin1String(o.name))
                return &o;
        }
        return nullptr;
    };
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        if (arg.startsWith(QLatin1String("--"))) {
            const OptionSpec *spec = specFor(QStringView(arg).mid(2));
            if (spec && spec->takesValue && QLatin1String(spec->name) != QLatin1String("version"))
                ++i;
        } else if (kCommands.contains(arg)) {
            a.command = arg;
            break;
        }
    }
    bool commandSeen = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        if (arg == QLatin1String("-h")) {
            a.help = true;
            continue;
        }
        if (!arg.startsWith(QLatin1String("--"))) {
            if (arg == a.command && !commandSeen) {
                commandSeen = true;
                continue;
            }
            return problem(PublishError::Usage, QStringLiteral("unexpected argument \"%1\"").arg(arg));
        }
        QString name = arg.mid(2);
        std::optional<QString> inlineValue;
        if (const qsizetype eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
            inlineValue = name.mid(eq + 1);
            name.truncate(eq);
        }
        // --version is the program's version unless a release is being described
        if (name == QLatin1String("version") && a.command != QLatin1String("release")) {
            a.showVersion = true;
            continue;
        }
        const OptionSpec *spec = specFor(name);
        if (!spec)
            return problem(PublishError::Usage, QStringLiteral("unknown option --%1").arg(name));
        const QStringList allowed = QString::fromLatin1(spec->commands).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (!allowed.isEmpty() && !allowed.contains(a.command))
            return problem(PublishError::Usage, QStringLiteral("--%1 does not belong to %2")
                                                    .arg(name, a.command.isEmpty() ? QStringLiteral("this command line") : a.command));
        if (!spec->takesValue) {
            if (inlineValue)
                return problem(PublishError::Usage, QStringLiteral("--%1 takes no value").arg(name));
            if (name == QLatin1String("help"))
                a.help = true;
            else if (name == QLatin1String("json"))
                a.json = true;
            else
                a.flags << name;
            continue;
        }
        QString value;
        if (inlineValue) {
            value = *inlineValue;
        } else {
            if (i + 1 >= args.size())
                return problem(PublishError::Usage, QStringLiteral("--%1 needs a value").arg(name));
            value = args.at(++i);
        }
        a.values[name] << value;
    }
    return a;
}

std::expected<int, PublishProblem> intValue(const QString &option, const QString &text, int min, int max)
{
    bool ok = false;
    const int v = text.toInt(&ok);
    if (!ok || v < min || v > max)
        return problem(PublishError::Usage,
                       QStringLiteral("--%1 must be an integer from %2 to %3, not \"%4\"").arg(option).arg(min).arg(max).arg(text));
    return v;
}

// The value of a single-valued option; an option given twice is a mistake worth naming.
std::expected<QString, PublishProblem> single(const Args &a, const QString &name)
{
    const QStringList v = a.values.value(name);
    if (v.size() > 1)
        return problem(PublishError::Usage, QStringLiteral("--%1 given more than once").arg(name));
    return v.value(0);
}

// An integer option's value into *target when it is given; *target keeps its default otherwise.
template <typename Target>
std::expected<void, PublishProblem> intOption(const Args &a, const QString &name, int min, int max, Target *target)
{
    if (!a.values.contains(name))
        return {};
    auto text = single(a, name);
    if (!text)
        return std::unexpected(text.error());
    auto v = intValue(name, *text, min, max);
    if (!v)
        return std::unexpected(v.error());
    *target = *v;
    return {};
}

std::expected<ReleaseOptions, PublishProblem> releaseOptions(const Args &a)
{
    ReleaseOptions o;
    for (const auto &[name, target] :
         {std::pair{"repo", &o.repo}, std::pair{"image", &o.image}, std::pair{"version", &o.version}, std::pair{"key", &o.key}}) {
        auto v = single(a, QString::fromLatin1(name));
        if (!v)
            return std::unexpected(v.error());
        *target = *v;
    }
    if (a.values.contains(QStringLiteral("product"))) {
        auto v = single(a, QStringLiteral("product"));
        if (!v)
            return std::unexpected(v.error());
        o.product = *v;
    }
    o.priority = a.flags.contains(QStringLiteral("priority"));
    for (const QString &note : a.values.value(QStringLiteral("notes"))) {
        const qsizetype eq = note.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return problem(PublishError::Usage, QStringLiteral("--notes takes LANG=TEXT, not \"%1\"").arg(note));
        const QString lang = note.left(eq);
        if (o.notes.contains(lang))
            return problem(PublishError::Usage, QStringLiteral("--notes for %1 given twice").arg(lang));
        o.notes.insert(lang, note.mid(eq + 1));
    }
    if (auto set = intOption(a, QStringLiteral("schema"), 0, kMaxSchema, &o.schema); !set)
        return std::unexpected(set.error());
    for (const QString &mig : a.values.value(QStringLiteral("migration"))) {
        const qsizetype eq = mig.indexOf(QLatin1Char('='));
        if (eq <= 0 || eq == mig.size() - 1)
            return problem(PublishError::Usage, QStringLiteral("--migration takes SCHEMA=FILE.sql, not \"%1\"").arg(mig));
        auto schema = intValue(QStringLiteral("migration"), mig.left(eq), 1, kMaxSchema);
        if (!schema)
            return std::unexpected(schema.error());
        o.migrations << MigrationInput{*schema, mig.mid(eq + 1)};
    }
    if (auto set = intOption(a, QStringLiteral("expires-days"), 1, 36500, &o.expiresDays); !set)
        return std::unexpected(set.error());
    if (auto set = intOption(a, QStringLiteral("zstd-level"), 1, 19, &o.zstdLevel); !set)
        return std::unexpected(set.error());
    if (a.flags.contains(QStringLiteral("no-delta")))
        o.delta = false;
    if (a.flags.contains(QStringLiteral("no-compress"))) {
        if (a.values.contains(QStringLiteral("zstd-level")))
            return problem(PublishError::Usage, QStringLiteral("--no-compress and --zstd-level exclude each other"));
        o.zstdLevel = 0;
    }
    return o;
}

QString isoUtc(const QDateTime &t) { return t.toUTC().toString(Qt::ISODate); }

QJsonObject fileJson(const QString &path, qint64 size, const QByteArray &sha256)
{
    return QJsonObject{
        {QStringLiteral("path"), path}, {QStringLiteral("size"), double(size)}, {QStringLiteral("sha256"), QString::fromLatin1(sha256)}};
}

QJsonObject manifestJson(const Manifest &m)
{
    QJsonObject o{{QStringLiteral("product"), m.product},
                  {QStringLiteral("version"), m.version.toString()},
                  {QStringLiteral("released"), isoUtc(m.released)},
                  {QStringLiteral("expires"), isoUtc(m.expires)},
                  {QStringLiteral("priority"), m.priority},
                  {QStringLiteral("image"), [&m] {
                       QJsonObject image = fileJson(m.image.path, m.image.size, m.image.sha256);
                       if (m.imageZstd)
                           image.insert(QStringLiteral("zstd"), fileJson(m.imageZstd->path, m.imageZstd->size, m.imageZstd->sha256));
                       if (m.imageChunks) {
                           QJsonObject chunks = fileJson(m.imageChunks->index.path, m.imageChunks->index.size, m.imageChunks->index.sha256);
                           chunks.insert(QStringLiteral("store"), m.imageChunks->store);
                           image.insert(QStringLiteral("chunks"), chunks);
                       }
                       return image;
                   }()}};
    o.insert(QStringLiteral("schema"), m.schema ? QJsonValue(*m.schema) : QJsonValue(QJsonValue::Null));
    QJsonArray migrations;
    for (const ManifestMigration &mig : m.migrations) {
        QJsonObject j = fileJson(mig.path, mig.size, mig.sha256);
        j.insert(QStringLiteral("schema"), mig.schema);
        migrations.append(j);
    }
    o.insert(QStringLiteral("migrations"), migrations);
    return o;
}

void printJson(QTextStream &out, const QJsonObject &o)
{
    out << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)) << '\n';
}

int reportProblem(const PublishProblem &p, bool json, QTextStream &out, QTextStream &err)
{
    const int code = exitCodeFor(p.code);
    err << "s16-publish: " << p.message << '\n';
    if (json) {
        QJsonObject e{
            {QStringLiteral("code"), code}, {QStringLiteral("name"), publishErrorName(p.code)}, {QStringLiteral("message"), p.message}};
        e.insert(QStringLiteral("file"), p.file.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(p.file));
        printJson(out, QJsonObject{{QStringLiteral("ok"), false}, {QStringLiteral("error"), e}});
    }
    return code;
}

} // namespace

int runCommandLine(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    const auto parsed = parseArgs(arguments);
    if (!parsed) {
        err << "s16-publish: " << parsed.error().message << "\n(see s16-publish --help)\n";
        return exitCodeFor(parsed.error().code);
    }
    const Args &a = *parsed;
    if (a.help) {
        out << helpText();
        return 0;
    }
    if (a.showVersion) {
        out << "s16-publish " << QStringLiteral(S16_VERSION) << '\n';
        return 0;
    }
    if (a.command.isEmpty()) {
        err << "s16-publish: no command given\n\n" << helpText();
        return exitCodeFor(PublishError::Usage);
    }

    if (a.command == QLatin1String("keygen")) {
        auto dir = single(a, QStringLiteral("out"));
        if (!dir)
            return reportProblem(dir.error(), a.json, out, err);
        auto fp = keygen(*dir);
        if (!fp)
            return reportProblem(fp.error(), a.json, out, err);
        const QString priv = QDir(*dir).filePath(QStringLiteral("signing.key"));
        const QString pub = QDir(*dir).filePath(QStringLiteral("signing.pub"));
        if (a.json) {
            printJson(out, QJsonObject{{QStringLiteral("ok"), true},
                                       {QStringLiteral("privateKey"), priv},
                                       {QStringLiteral("publicKey"), pub},
                                       {QStringLiteral("fingerprint"), *fp}});
        } else {
            out << "wrote " << priv << " (keep it secret) and " << pub << " (give it to the devices)\n"
                << "key fingerprint " << *fp << '\n';
        }
        return 0;
    }

    if (a.command == QLatin1String("release")) {
        auto opts = releaseOptions(a);
        if (!opts)
            return reportProblem(opts.error(), a.json, out, err);
        auto r = release(*opts);
        if (!r)
            return reportProblem(r.error(), a.json, out, err);
        for (const QString &w : std::as_const(r->warnings))
            err << "s16-publish: warning: " << w << '\n';
        if (a.json) {
            QJsonObject o = manifestJson(r->manifest);
            o.insert(QStringLiteral("ok"), true);
            o.insert(QStringLiteral("unchanged"), r->unchanged);
            o.insert(QStringLiteral("repo"), opts->repo);
            o.insert(QStringLiteral("keyFingerprint"), r->keyFingerprint);
            o.insert(QStringLiteral("warnings"), QJsonArray::fromStringList(r->warnings));
            printJson(out, o);
        } else if (r->unchanged) {
            out << r->manifest.product << ' ' << r->manifest.version.toString() << " is already published in " << opts->repo
                << "; left unchanged\n";
        } else {
            const Manifest &m = r->manifest;
            out << "published " << m.product << ' ' << m.version.toString() << " to " << opts->repo << '\n'
                << "  " << m.image.path << "  " << m.image.size << " bytes  sha256 " << QString::fromLatin1(m.image.sha256) << '\n';
            for (const ManifestMigration &mig : m.migrations)
                out << "  " << mig.path << "  schema " << mig.schema << "  sha256 " << QString::fromLatin1(mig.sha256) << '\n';
            out << "  released " << isoUtc(m.released) << ", expires " << isoUtc(m.expires) << '\n'
                << "  signed by key " << r->keyFingerprint << '\n';
        }
        return 0;
    }

    // verify
    auto repo = single(a, QStringLiteral("repo"));
    if (!repo)
        return reportProblem(repo.error(), a.json, out, err);
    auto v = verify(*repo, a.values.value(QStringLiteral("pubkey")));
    if (!v)
        return reportProblem(v.error(), a.json, out, err);
    const bool expired = QDateTime::currentDateTimeUtc() >= v->manifest.expires;
    if (expired)
        err << "s16-publish: warning: the manifest expired on " << isoUtc(v->manifest.expires)
            << "; devices will refuse it until a new release is published\n";
    if (a.json) {
        QJsonObject o = manifestJson(v->manifest);
        o.insert(QStringLiteral("ok"), true);
        o.insert(QStringLiteral("expired"), expired);
        o.insert(QStringLiteral("keyFingerprint"), v->keyFingerprint);
        QJsonArray files;
        for (const VerifiedFile &f : std::as_const(v->files))
            files.append(fileJson(f.path, f.size, f.sha256));
        o.insert(QStringLiteral("files"), files);
        printJson(out, o);
    } else {
        out << "ok  " << kSignatureName << "  signed by key " << v->keyFingerprint << '\n';
        for (const VerifiedFile &f : std::as_const(v->files))
            out << "ok  " << f.path << "  " << f.size << " bytes  sha256 " << QString::fromLatin1(f.sha256) << '\n';
        out << "verified " << v->manifest.product << ' ' << v->manifest.version.toString() << '\n';
    }
    return 0;
}

} // namespace s16::publish
