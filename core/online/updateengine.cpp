#include "updateengine.h"

#include "boot/bootenv.h"
#include "boot/reboot.h"
#include "common/fileutil.h"
#include "common/logging.h"
#include "compress/zstd.h"
#include "crypto/crypto.h"
#include "manifest/manifest.h"
#include "online/deltatransfer.h"
#include "online/transport.h"
#include "store/devicestate.h"
#include "store/journal.h"
#include "version/semver.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QPointer>
#include <QStringBuilder>
#include <QTimer>

namespace s16 {
namespace {

constexpr qint64 kMaxSignatureBytes = 1024;
constexpr int kMaxRetryAfterSeconds = 3600;

QJsonObject notesJson(const Manifest &m)
{
    QJsonObject notes;
    for (auto it = m.notes.cbegin(); it != m.notes.cend(); ++it)
        notes.insert(it.key(), it.value());
    return notes;
}

Error fromNet(ExitCode code, const NetResult &r, const QString &context)
{
    Error e{code, context % QStringLiteral(": ") % r.message, {}, r.detail};
    return e;
}

// Removes what the engine no longer needs. A failure leaves litter that the next run removes
// again, or shows where the path is used next (a file that cannot be opened, a staging that
// fails), so it is logged here and not fatal.
void discard(const QString &path)
{
    if (!fileutil::removeTree(path))
        qCWarning(lcDownload).noquote() << "cannot remove" << path;
}

// How a request for the metadata (manifest.json or its signature) ended, and the chart's way
// from ConnectRepo for it: one table for both files.
constexpr Edge kMetadataUnreachable[] = {Edge::E02};
constexpr Edge kMetadataTlsRejected[] = {Edge::E02, Edge::E03, Edge::E10};
constexpr Edge kMetadataAuthRejected[] = {Edge::E02, Edge::E03, Edge::E10, Edge::E11, Edge::E13};
constexpr Edge kMetadataFetched[] = {Edge::E02, Edge::E03, Edge::E10, Edge::E11, Edge::E13, Edge::E14, Edge::E16};

struct MetadataEnd {
    std::span<const Edge> path;     // from ConnectRepo
    std::optional<Edge> toErrorLog; // none: another try (E04)
    ExitCode code;
    const char *why; // the error's context, %1 the file
};

const MetadataEnd &metadataEnd(NetOutcome outcome)
{
    static const MetadataEnd unreachable{kMetadataUnreachable, std::nullopt, ExitCode::ServerUnreachable, ""};
    static const MetadataEnd tlsRejected{kMetadataTlsRejected, Edge::E12, ExitCode::TlsRejected,
                                         "the update server's certificate was rejected"};
    static const MetadataEnd authRejected{kMetadataAuthRejected, Edge::E15, ExitCode::AuthRejected, "authentication failed"};
    static const MetadataEnd refused{kMetadataFetched, Edge::E18, ExitCode::MetadataRejected, "cannot fetch %1"};
    switch (outcome) {
    case NetOutcome::ConnectFailed:
    case NetOutcome::ServerBusy:
    case NetOutcome::Interrupted: return unreachable;
    case NetOutcome::TlsRejected: return tlsRejected;
    case NetOutcome::AuthRejected: return authRejected;
    case NetOutcome::ClientError:
    case NetOutcome::SinkRefused:
    case NetOutcome::Ok: break;
    }
    return refused;
}

} // namespace

struct UpdateEngine::DownloadItem {
    QString repoPath;   // as in the manifest
    QString stagedName; // path inside staged/
    qint64 size = 0;
    QByteArray sha256;
    QString partialPath;
    QByteArray actualSha256; // set once received completely
    bool zstd = false;       // the image, zstd-compressed (image.zstd): what it unpacks to is checked too
    bool delta = false;      // the image, rebuilt from the running slot and fetched chunks (image.chunks)
    QString seed;            // delta: the running slot it is rebuilt from
    std::optional<std::expected<zstd::Content, QString>> unpacked; // zstd: what it unpacked to, once received
};

UpdateEngine::UpdateEngine(Config config, Journal *journal, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_journal(journal)
{
    m_flow = FlowMachine(Node::NormalSystem, [this](Node node, Edge via) { return saveFlow(node, via); });
    m_flow.setObserver([this](Edge via) { Q_EMIT edgeTaken(int(via)); });
}

UpdateEngine::~UpdateEngine() = default;

QString UpdateEngine::runningVersion() const
{
    auto data = fileutil::readSmallFile(m_config.device.versionFile, 256);
    return data ? QString::fromUtf8(data->trimmed()) : QString();
}

QString UpdateEngine::partialDir() const { return m_config.device.updateDir % QStringLiteral("/partial"); }
QString UpdateEngine::stagedDir() const { return m_config.device.updateDir % QStringLiteral("/staged"); }

void UpdateEngine::check() { begin(Mode::Check); }
void UpdateEngine::download() { begin(Mode::Download); }

void UpdateEngine::begin(Mode mode)
{
    Q_ASSERT(!m_running);
    m_mode = mode;
    m_running = true;
    m_error.reset();
    m_check = {};
    m_tries = 0;

    // Where the last cycle stopped. A cycle interrupted by a power cut anywhere in the
    // online part simply starts over. Only a reboot that was requested and not yet made
    // stops it: the update installs at the next boot. A flow left at Reboot without the
    // request (it failed, or the power went before it was written) starts over too, and
    // finds the update staged.
    const Node at = onlineResumeNode(state().flowNode());
    if (state().rebootPending()) {
        m_error = Error{ExitCode::Usage, QStringLiteral("a reboot into recovery is pending; the update installs at the next boot"), {}, {}};
        QTimer::singleShot(0, this, &UpdateEngine::finish);
        return;
    }
    m_flow.resumeAt(at);
    if (!step(at == Node::WaitForImage ? Edge::E20 : Edge::E01)) // E20: the wait is over, check again
        return;

    auto transport = HttpTransport::create(m_config, this);
    if (!transport) {
        m_error = transport.error();
        QTimer::singleShot(0, this, &UpdateEngine::finish);
        return;
    }
    m_transport = std::move(*transport);
    auto keys = crypto::TrustedKeys::load(m_config.trust.publicKeys);
    if (!keys) {
        m_error = toError(keys.error()).withContext(QStringLiteral("cannot load the trusted keys"));
        m_error->code = ExitCode::Usage;
        QTimer::singleShot(0, this, &UpdateEngine::finish);
        return;
    }
    m_keys = std::make_unique<crypto::TrustedKeys>(std::move(*keys));
    m_jobContext = std::make_unique<QObject>();
    QTimer::singleShot(0, m_jobContext.get(), [this] {
        if (m_running)
            fetchMetadata();
    });
}

bool UpdateEngine::step(Edge edge) { return moved(m_flow.take(edge)); }

bool UpdateEngine::jump(Jump jump) { return moved(m_flow.jump(jump)); }

bool UpdateEngine::moved(const Status &move)
{
    if (move)
        return true;
    qCCritical(lcFlow) << move.error().message;
    m_error = move.error();
    finish();
    return false;
}

bool UpdateEngine::steps(std::span<const Edge> edges)
{
    for (Edge e : edges) {
        if (!step(e))
            return false;
    }
    return true;
}

bool UpdateEngine::steps(std::initializer_list<Edge> edges) { return steps(std::span<const Edge>(edges.begin(), edges.size())); }

// --- E02-E18: connect, TLS, authenticate, metadata ------------------------------

void UpdateEngine::fetchMetadata()
{
    ++m_tries;
    m_transport->dropConnections(); // each try connects and checks the certificate anew
    auto buffer = std::make_shared<QByteArray>();
    auto sink = [buffer](QByteArrayView chunk, QString *why) {
        if (buffer->size() + chunk.size() > kMaxManifestBytes) {
            *why = QStringLiteral("manifest.json is larger than %1 bytes").arg(kMaxManifestBytes);
            return false;
        }
        buffer->append(chunk);
        return true;
    };
    HttpExchange *x = m_transport->get(m_transport->resolve(QStringLiteral("manifest.json")), 0, sink, 256 * 1024);
    connect(x, &HttpExchange::finished, this, [this, x, buffer] {
        m_manifestBytes = *buffer;
        onMetadataFetched(x);
    });
}

bool UpdateEngine::metadataFailed(const NetResult &r, const QString &file)
{
    if (r.outcome == NetOutcome::Ok)
        return false;
    const MetadataEnd &end = metadataEnd(r.outcome);
    if (!steps(end.path))
        return true;
    if (end.toErrorLog)
        failAt(*end.toErrorLog, fromNet(end.code, r, QString::fromLatin1(end.why).arg(file)));
    else
        retryConnect(r.message, r.retryAfterSeconds);
    return true;
}

void UpdateEngine::onMetadataFetched(HttpExchange *x)
{
    if (metadataFailed(x->result(), QStringLiteral("manifest.json")))
        return;
    // The signature comes over the same, already trusted connection.
    auto sig = std::make_shared<QByteArray>();
    auto sink = [sig](QByteArrayView chunk, QString *why) {
        if (sig->size() + chunk.size() > kMaxSignatureBytes) {
            *why = QStringLiteral("manifest.json.sig is larger than %1 bytes").arg(kMaxSignatureBytes);
            return false;
        }
        sig->append(chunk);
        return true;
    };
    HttpExchange *s = m_transport->get(m_transport->resolve(QStringLiteral("manifest.json.sig")), 0, sink, 4096);
    connect(s, &HttpExchange::finished, this, [this, s, sig] {
        m_signature = *sig;
        onSignatureFetched(s);
    });
}

void UpdateEngine::retryConnect(const QString &why, int retryAfter)
{
    // E04: wait x seconds; E05: count the try; E06 again or E07 out of tries.
    if (!step(Edge::E04))
        return;
    qCInfo(lcNet) << "connect try" << m_tries << "of" << m_config.server.maxTries << "failed:" << why;
    const bool outOfTries = m_tries >= m_config.server.maxTries;
    auto countTry = [this, outOfTries, why] {
        if (!m_running || !step(Edge::E05))
            return;
        if (outOfTries) {
            failAt(Edge::E07, Error{ExitCode::ServerUnreachable,
                                    QStringLiteral("the update server could not be reached after %1 tries: %2").arg(m_tries).arg(why),
                                    {},
                                    {}});
        } else if (step(Edge::E06)) {
            fetchMetadata();
        }
    };
    // Out of tries the error follows at once; else E05 counts the try once the wait is over.
    if (outOfTries)
        countTry();
    else
        waitThen(retryWait(retryAfter), countTry);
}

std::chrono::seconds UpdateEngine::retryWait(int retryAfter) const
{
    return std::chrono::seconds(std::min(std::max(m_config.server.retryIntervalSeconds, retryAfter), kMaxRetryAfterSeconds));
}

void UpdateEngine::waitThen(std::chrono::seconds wait, std::function<void()> then)
{
    if (m_wait)
        m_wait(wait, m_jobContext.get(), std::move(then));
    else
        QTimer::singleShot(wait, m_jobContext.get(), std::move(then));
}

// E16's checks of the fetched metadata; the manifest it trusts becomes m_manifest and the
// journal's lastTrusted. Any refusal leaves by E18.
Status UpdateEngine::trustManifest()
{
    auto signer = m_keys->verify(m_manifestBytes, m_signature);
    if (!signer) {
        return fail(ExitCode::MetadataRejected, QStringLiteral("the manifest's signature is not valid for any trusted key"),
                    signer.error().message);
    }
    auto parsed = parseManifest(m_manifestBytes);
    if (!parsed)
        return std::unexpected(toError(parsed.error()));
    if (auto ok = checkManifestFor(*parsed, m_config.device.product, QDateTime::currentDateTimeUtc()); !ok)
        return std::unexpected(toError(ok.error()));
    // A replayed older manifest (TUF's rollback attack) is refused.
    const TrustedRelease last = state().lastTrusted().value_or(TrustedRelease{});
    const QDateTime lastReleased = QDateTime::fromString(last.released, Qt::ISODate);
    const auto lastVersion = SemVer::parse(last.version);
    if ((lastReleased.isValid() && parsed->released < lastReleased) || (lastVersion && parsed->version < *lastVersion)) {
        return fail(
            ExitCode::MetadataRejected,
            QStringLiteral(
                "the server offers release %1 of %2, older than release %3 of %4 that this device already trusted (a replayed manifest)")
                .arg(parsed->version.toString(), parsed->released.toString(Qt::ISODate), last.version, lastReleased.toString(Qt::ISODate)));
    }
    m_manifest = std::make_unique<Manifest>(std::move(*parsed));
    qCInfo(lcManifest) << "trusted manifest" << m_manifest->version.toString() << "signed by" << *signer;
    return m_journal->transaction([&]() -> Status {
        if (auto s = state().setLastTrusted({m_manifest->version.toString(), m_manifest->released.toString(Qt::ISODate)}); !s)
            return s;
        return state().setLastCheck(QDateTime::currentDateTimeUtc());
    });
}

void UpdateEngine::onSignatureFetched(HttpExchange *x)
{
    if (metadataFailed(x->result(), QStringLiteral("manifest.json.sig")) || !steps(kMetadataFetched))
        return;

    // E16: trust, in this order: signature over the exact bytes, then the content.
    if (auto trusted = trustManifest(); !trusted) {
        failAt(Edge::E18, trusted.error());
        return;
    }
    if (step(Edge::E17))
        decideNewImage();
}

void UpdateEngine::decideNewImage()
{
    const QString running = runningVersion();
    const auto current = SemVer::parse(running);
    m_check.version = m_manifest->version.toString();
    m_check.priority = m_manifest->priority;
    m_check.size = m_manifest->image.size;
    m_check.notes = notesJson(*m_manifest);
    // An unreadable running version counts as older than anything: the device can always be repaired.
    m_check.available = !current || *current < m_manifest->version;
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QStringLiteral("E17"),
                 m_check.available ? QStringLiteral("version %1 is available (running %2)").arg(m_check.version, running)
                                   : QStringLiteral("no newer version (running %1, server has %2)").arg(running, m_check.version),
                 {},
                 QStringLiteral("checked")});
    if (!m_check.available) {
        if (step(Edge::E19)) // wait x hours/days: the daemon schedules the next check
            finish();
        return;
    }
    if (m_mode == Mode::Check) {
        finish(); // the decision is made; download() takes E21 on its own run
        return;
    }
    // Already downloaded and verified: a staged update is never downloaded again.
    const std::optional<StagedRecord> staged = state().staged();
    QFile stagedManifest(stagedDir() % QStringLiteral("/manifest.json"));
    if (staged && staged->version == m_check.version && stagedManifest.open(QIODevice::ReadOnly)
        && stagedManifest.readAll() == m_manifestBytes) {
        qCInfo(lcDownload) << "version" << m_check.version << "is already staged";
        // E40's decision again: a priority update whose reboot request was lost (a power
        // cut between E39 and E43) still reboots at once.
        if (jump(Jump::AlreadyStaged))
            awaitInstall(m_manifest->priority);
        return;
    }
    if (step(Edge::E21))
        startDownload();
}

// --- E21-E38: download, verify ----------------------------------------------------

void UpdateEngine::startDownload()
{
    m_tries = 0;
    m_items.clear();
    m_itemIndex = 0;
    const QString partial = partialDir();
    // How the image comes: as a delta from the running slot when the release has chunks and
    // the device knows its slot, else compressed when the release has that, else raw.
    const QString seed = m_manifest->imageChunks && m_config.server.delta ? seedPath() : QString();
    enum class Transfer { Raw, Zstd, Delta };
    auto itemsFor = [&](Transfer how) {
        QList<DownloadItem> items;
        const ManifestFile &file = how == Transfer::Zstd ? *m_manifest->imageZstd : m_manifest->image;
        DownloadItem image;
        image.repoPath = file.path;
        image.stagedName = QFileInfo(image.repoPath).fileName();
        image.size = file.size;
        image.sha256 = file.sha256;
        image.zstd = how == Transfer::Zstd;
        image.delta = how == Transfer::Delta;
        image.seed = seed;
        image.partialPath = partial % QLatin1Char('/') % image.stagedName % QStringLiteral(".part");
        items.append(image);
        for (const ManifestMigration &mig : m_manifest->migrations) {
            DownloadItem item;
            item.repoPath = mig.path;
            item.stagedName = QStringLiteral("migrations/") % QFileInfo(mig.path).fileName();
            item.size = mig.size;
            item.sha256 = mig.sha256;
            item.partialPath = partial % QStringLiteral("/migration-") % QString::number(mig.schema) % QStringLiteral(".part");
            items.append(item);
        }
        return items;
    };
    Transfer how = !seed.isEmpty() ? Transfer::Delta : m_manifest->imageZstd ? Transfer::Zstd : Transfer::Raw;
    auto missingFor = [](const QList<DownloadItem> &items) {
        qint64 missing = 0;
        for (const DownloadItem &item : items) {
            const QFileInfo part(item.partialPath);
            const qint64 have = part.isFile() && !part.isSymLink() && part.size() <= item.size ? part.size() : 0;
            missing += item.size - have;
        }
        return missing;
    };
    m_items = itemsFor(how);
    // A delta stages the raw image; where only the compressed one fits, that is fetched instead.
    if (how == Transfer::Delta && m_manifest->imageZstd && !roomFor(missingFor(m_items))) {
        qCInfo(lcDownload) << "delta: the update partition cannot hold the raw image; fetching the compressed image";
        how = Transfer::Zstd;
        m_items = itemsFor(how);
    }
    // A link (or a file) planted as partial/ is dropped, never followed; the folder itself is
    // made only once the space is known to suffice.
    if (const QFileInfo planted(partial); planted.isSymLink() || (planted.exists() && !planted.isDir()))
        discard(partial);
    // Partial files of other releases are of no use any more.
    QStringList keep;
    for (const DownloadItem &item : std::as_const(m_items))
        keep.append(QFileInfo(item.partialPath).fileName());
    for (const QString &name : QDir(partial).entryList(QDir::Files | QDir::Hidden)) {
        if (!keep.contains(name))
            QFile::remove(partial % QLatin1Char('/') % name);
    }
    // The signed sizes say how much room the download needs: a partition too small for it
    // is refused before the image is requested, so it costs no traffic and leaves no file.
    const qint64 missing = missingFor(m_items);
    if (auto room = roomFor(missing); !room) {
        // No edge leaves ConnectUpdate for the error log: as a storage failure in staging,
        // this is an error of the cycle (docs/online.md).
        if (jump(Jump::StorageFailed))
            failAt(Edge::E08, room.error());
        return;
    }
    // a link planted as partial/ is replaced, never written through; a failure shows as
    // the partial file failing to open
    if (auto made = fileutil::ensureDirectory(partial); !made)
        qCWarning(lcDownload).noquote() << made.error().message << made.error().detail;
    m_rateClock.start();
    m_rateBytes = 0;
    m_progress = TransferProgress{};
    for (const DownloadItem &item : std::as_const(m_items))
        m_progress.total += item.size;
    // What crosses the link: every byte of a whole file; for a delta, known once the running
    // slot is scanned (recordProgress).
    m_progress.toFetch = how == Transfer::Delta ? -1 : m_progress.total;
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QStringLiteral("E21"),
                 QStringLiteral("download of version %1 started (%2 bytes%3)")
                     .arg(m_manifest->version.toString())
                     .arg(m_progress.total)
                     .arg(how == Transfer::Delta  ? QStringLiteral(", a delta from the running slot %1").arg(seed)
                          : how == Transfer::Zstd ? QStringLiteral(", compressed")
                                                  : QString()),
                 {},
                 QStringLiteral("downloadStarted")});
    downloadNext();
}

Status UpdateEngine::roomFor(qint64 missing) const
{
    const qint64 needed = missing + m_config.device.freeSpaceMarginBytes;
    auto free = fileutil::freeBytes(m_config.device.updateDir);
    if (!free)
        return std::unexpected(free.error());
    if (*free < needed)
        return fail(ExitCode::StorageError, QStringLiteral("not enough space in %1 for the update: %2 bytes needed, %3 free")
                                                .arg(m_config.device.updateDir)
                                                .arg(needed)
                                                .arg(*free));
    return {};
}

void UpdateEngine::downloadNext()
{
    ++m_tries;
    m_attemptError.reset();
    m_tooManyBytes = false;
    // Skip what is complete already; hash what is on disk (resume after a cut or a retry).
    DownloadItem &item = m_items[m_itemIndex];
    if (item.delta) {
        downloadDelta();
        return;
    }
    // Only a regular file of our own is resumed: a link would be written (and truncated)
    // through, a FIFO would block the read.
    if (const QFileInfo existing(item.partialPath); existing.isSymLink() || (existing.exists() && !existing.isFile()))
        discard(item.partialPath);
    m_file = std::make_unique<QFile>(item.partialPath);
    m_hasher = std::make_unique<crypto::Sha256>();
    // A compressed image is unpacked (and what comes out hashed) as it arrives: no second pass.
    // The unpacker works on threads of its own; while its backlog is full the exchange pauses,
    // so the link runs at the pace of the unpacking and memory stays bounded.
    auto exchange = std::make_shared<QPointer<HttpExchange>>();
    const auto newUnpacker = [this, exchange]() -> std::unique_ptr<zstd::Unpacker> {
        auto onRoom = [this, exchange] {
            QMetaObject::invokeMethod(
                this,
                [exchange] {
                    if (*exchange)
                        (*exchange)->setPaused(false);
                },
                Qt::QueuedConnection);
        };
        auto unpacker = zstd::Unpacker::create(m_manifest->image.size, std::move(onRoom));
        if (!unpacker) {
            m_attemptError = Error{ExitCode::StorageError, unpacker.error(), {}, {}};
            return {};
        }
        return std::move(*unpacker);
    };
    m_unpacker.reset();
    if (item.zstd)
        m_unpacker = newUnpacker();
    m_written = 0;
    if (!m_file->open(QIODevice::ReadWrite)) {
        // Reported once the server answers: the flow reaches ReceiveFile, then E34.
        m_attemptError = Error{ExitCode::StorageError, QStringLiteral("cannot open %1").arg(item.partialPath), {}, m_file->errorString()};
    } else {
        if (m_file->size() > item.size)
            m_file->resize(0);
        QByteArray chunk;
        while (!(chunk = m_file->read(crypto::kHashChunkBytes)).isEmpty()) {
            m_hasher->addData(chunk);
            if (m_unpacker && !m_unpacker->push(chunk))
                m_unpacker->waitForRoom();
        }
        m_written = m_file->size();
    }
    // the partial file goes to the medium while the rest arrives: the fsync before E37 is short
    m_writeBehind = fileutil::WriteBehind(m_written);

    // Again before each attempt: another writer may have taken the space since.
    if (!m_attemptError) {
        if (auto room = roomFor(item.size - m_written); !room)
            m_attemptError = room.error();
    }

    auto sink = [this, exchange](QByteArrayView chunk, QString *why) {
        DownloadItem &current = m_items[m_itemIndex];
        if (m_attemptError) {
            *why = m_attemptError->message;
            return false;
        }
        if (m_written + chunk.size() > current.size) {
            m_tooManyBytes = true;
            *why = QStringLiteral("the server sent more than the %1 bytes the manifest declares for %2")
                       .arg(current.size)
                       .arg(current.repoPath);
            return false;
        }
        if (m_file->write(chunk.data(), chunk.size()) != chunk.size() || !m_file->flush()) {
            m_attemptError =
                Error{ExitCode::StorageError, QStringLiteral("cannot write %1").arg(current.partialPath), {}, m_file->errorString()};
            *why = m_attemptError->message;
            return false;
        }
        m_hasher->addData(chunk);
        if (m_unpacker && !m_unpacker->push(chunk) && *exchange)
            (*exchange)->setPaused(true);
        m_written += chunk.size();
        m_writeBehind.written(m_file->handle(), m_written);
        m_rateBytes += chunk.size();
        return true;
    };
    // Nothing to fetch is still asked for: the exchange proves the connection and the
    // certificate, and the server's 416 confirms there is nothing more.
    HttpExchange *x = m_transport->get(m_transport->resolve(item.repoPath), m_written, sink);
    *exchange = x;
    connect(x, &HttpExchange::responseStarted, this, [this, x, newUnpacker] {
        const NetResult &r = x->result();
        if (m_attemptError) {
            x->abort(NetOutcome::SinkRefused, m_attemptError->message);
            return;
        }
        if (r.httpStatus == 200 && m_written > 0) {
            // The server ignored the range: start this file over.
            m_file->resize(0);
            m_file->seek(0);
            m_hasher->reset();
            if (m_unpacker)
                m_unpacker = newUnpacker();
            m_written = 0;
        } else if (r.httpStatus == 206 && r.rangeStart != m_written) {
            x->abort(NetOutcome::Interrupted, QStringLiteral("the server resumed at byte %1, not %2").arg(r.rangeStart).arg(m_written));
        }
    });
    connect(x, &HttpExchange::received, this, [this] { recordProgress(false); });
    connect(x, &HttpExchange::finished, this, [this, x] { onItemFinished(x->result()); });
}

void UpdateEngine::downloadDelta()
{
    const DownloadItem &item = m_items[m_itemIndex];
    m_file.reset();
    m_hasher.reset();
    if (!m_delta) {
        DeltaTransfer::Setup setup;
        setup.indexPath = m_manifest->imageChunks->index.path;
        setup.indexSize = m_manifest->imageChunks->index.size;
        setup.indexSha256 = m_manifest->imageChunks->index.sha256;
        setup.storePath = m_manifest->imageChunks->store;
        setup.seedPath = item.seed;
        setup.partialPath = item.partialPath;
        setup.imageSize = item.size;
        if (m_manifest->imageZstd && m_manifest->image.size > 0)
            setup.packRatio = double(m_manifest->imageZstd->size) / double(m_manifest->image.size);
        m_delta = std::make_unique<DeltaTransfer>(std::move(setup));
        connect(m_delta.get(), &DeltaTransfer::progressed, this, [this] {
            m_written = m_delta->written();
            m_rateBytes = m_delta->fetched();
            recordProgress(false);
        });
        connect(m_delta.get(), &DeltaTransfer::finished, this, [this] {
            m_written = m_delta->written();
            m_rateBytes = m_delta->fetched();
            NetResult r;
            switch (m_delta->end()) {
            case DeltaTransfer::End::Network: r = m_delta->netResult(); break;
            case DeltaTransfer::End::Storage: m_attemptError = m_delta->error(); break;
            case DeltaTransfer::End::Running:
            case DeltaTransfer::End::Complete:
            case DeltaTransfer::End::Integrity: break;
            }
            onItemFinished(r);
        });
    }
    m_delta->start(m_transport.get());
}

QString UpdateEngine::seedPath() const
{
    // The booted slot holds the running image. Where the system does not say which it is, the
    // journal's record of the slots does: the one noted with the running version, in use.
    QString slot;
    if (auto booted = detectBootedSlot())
        slot = *booted;
    else {
        const QString running = runningVersion();
        for (const QString &name : {QStringLiteral("A"), QStringLiteral("B")}) {
            const SlotRecord record = state().slot(name);
            if (!running.isEmpty() && record.version.value_or(QString()) == running
                && (record.state == SlotRecord::State::Good || record.state == SlotRecord::State::Trial)) {
                slot = name;
                break;
            }
        }
    }
    if (slot == QLatin1StringView("A"))
        return m_config.boot.slotA;
    if (slot == QLatin1StringView("B"))
        return m_config.boot.slotB;
    return {};
}

void UpdateEngine::onItemFinished(const NetResult &r)
{
    if (m_file && !m_file->flush())
        qCWarning(lcDownload).noquote() << "cannot flush" << m_file->fileName() << m_file->errorString();
    // E22: did the connection succeed?
    if (!step(Edge::E22))
        return;
    if (r.outcome == NetOutcome::ConnectFailed || r.outcome == NetOutcome::ServerBusy) {
        if (step(Edge::E24))
            retryDownload(fromNet(ExitCode::DownloadFailed, r, QStringLiteral("cannot connect for the download")), r.retryAfterSeconds);
        return;
    }
    if (!steps({Edge::E23, Edge::E28}))
        return;
    if (r.outcome == NetOutcome::TlsRejected) {
        failAt(Edge::E30, fromNet(ExitCode::TlsRejected, r, QStringLiteral("the download server's certificate was rejected")));
        return;
    }
    if (!steps({Edge::E29, Edge::E31}))
        return;
    const FileEnd end = fileEnd(r);
    switch (end.how) {
    case FileEnd::How::Failed: failAt(Edge::E34, end.error); return;
    case FileEnd::How::Interrupted:
        // E34: every interruption is logged; E33: resume after the wait.
        log(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Warning, toInt(ExitCode::DownloadFailed), QStringLiteral("E34"),
                     end.error.message, end.error.detail, QStringLiteral("downloadInterrupted")});
        if (step(Edge::E33))
            retryDownload(end.error, r.retryAfterSeconds);
        return;
    case FileEnd::How::Complete:
        if (m_itemIndex + 1 < m_items.size()) {
            // The next file of the same update.
            ++m_itemIndex;
            m_tries = 0;
            if (jump(Jump::NextFile))
                downloadNext();
            return;
        }
        recordProgress(true);
        // What this download cost the link, for `status --json` after it (bytesFetched, bytesReused).
        if (auto saved = state().setLastTransfer({m_manifest->version.toString(), m_progress.total, m_progress.fetched, m_progress.reused});
            !saved)
            qCWarning(lcStore).noquote() << "cannot record the transfer:" << saved.error().message;
        log(LogEntry{0,
                     QDateTime::currentDateTimeUtc(),
                     LogEntry::Level::Info,
                     0,
                     QStringLiteral("E32"),
                     QStringLiteral("download of version %1 finished (%2 bytes, %3 of them fetched)")
                         .arg(m_manifest->version.toString())
                         .arg(m_progress.total)
                         .arg(m_progress.fetched),
                     {},
                     QStringLiteral("downloadFinished")});
        break;
    case FileEnd::How::Mismatch: break;
    }
    if (step(Edge::E32))
        verifyAndStage(end.how == FileEnd::How::Mismatch ? std::optional<Error>(end.error) : std::nullopt);
}

UpdateEngine::FileEnd UpdateEngine::fileEnd(const NetResult &r)
{
    DownloadItem &current = m_items[m_itemIndex];
    const bool complete = m_written == current.size;
    if (current.delta && m_delta->end() == DeltaTransfer::End::Integrity) {
        // The index or a chunk does not match what the manifest signs: nothing of it was
        // written, the partial image keeps only checked chunks (E38, exit 15).
        return {FileEnd::How::Mismatch, m_delta->error()};
    }
    if (m_tooManyBytes) {
        // Complete and more: the data cannot match the metadata (E38, exit 15).
        m_file->close();
        QFile::remove(current.partialPath);
        return {FileEnd::How::Mismatch, Error{ExitCode::IntegrityMismatch, r.message, {}, {}}};
    }
    if (m_attemptError)
        return {FileEnd::How::Failed, *m_attemptError};
    const bool nothingMore = r.outcome == NetOutcome::ClientError && r.httpStatus == 416 && complete;
    if (r.outcome == NetOutcome::AuthRejected || (r.outcome == NetOutcome::ClientError && !nothingMore))
        return {FileEnd::How::Failed, fromNet(ExitCode::DownloadFailed, r, QStringLiteral("the server refused %1").arg(current.repoPath))};
    if (!complete) {
        const Error why =
            r.outcome == NetOutcome::Ok
                ? Error{ExitCode::DownloadFailed,
                        QStringLiteral("%1 ended after %2 of %3 bytes").arg(current.repoPath).arg(m_written).arg(current.size),
                        {},
                        {}}
                : fromNet(ExitCode::DownloadFailed, r,
                          QStringLiteral("%1 interrupted at %2 of %3 bytes").arg(current.repoPath).arg(m_written).arg(current.size));
        if (m_tries >= m_config.server.maxTries)
            return {FileEnd::How::Failed,
                    why.withContext(QStringLiteral("the update was not received completely after %1 tries").arg(m_tries))};
        return {FileEnd::How::Interrupted, why};
    }
    current.actualSha256 = current.delta ? m_delta->sha256Hex() : m_hasher->hexResult();
    if (current.zstd && m_unpacker)
        current.unpacked = m_unpacker->finish();
    if (auto synced = fileutil::syncPath(current.partialPath); !synced)
        return {FileEnd::How::Failed, synced.error()};
    if (m_file)
        m_file->close();
    return {FileEnd::How::Complete, {}};
}

void UpdateEngine::retryDownload(const Error &why, int retryAfter)
{
    if (!step(Edge::E25))
        return;
    if (m_tries >= m_config.server.maxTries) {
        failAt(Edge::E26, why.withContext(QStringLiteral("the update could not be downloaded after %1 tries").arg(m_tries)));
        return;
    }
    waitThen(retryWait(retryAfter), [this] {
        if (!m_running || !step(Edge::E27))
            return;
        m_transport->dropConnections();
        downloadNext();
    });
}

// The received files against the manifest; a file that does not match is discarded.
std::optional<Error> UpdateEngine::checkReceived()
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
        if (!content || content->size != m_manifest->image.size || content->sha256 != m_manifest->image.sha256) {
            QFile::remove(item.partialPath);
            return Error{ExitCode::IntegrityMismatch,
                         QStringLiteral("%1 does not unpack to the image the manifest names; the file was discarded").arg(item.repoPath),
                         {},
                         content ? QStringLiteral("expected %1 bytes with SHA-256 %2, unpacked %3 bytes with SHA-256 %4")
                                       .arg(m_manifest->image.size)
                                       .arg(QString::fromLatin1(m_manifest->image.sha256))
                                       .arg(content->size)
                                       .arg(QString::fromLatin1(content->sha256))
                                 : content.error()};
        }
    }
    return std::nullopt;
}

void UpdateEngine::verifyAndStage(std::optional<Error> mismatch)
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
        return state().setStaged(record);
    };
    if (auto staged = stage(); !staged) {
        // No edge leaves MoveFile but to Notify: a storage failure here is an error of the cycle.
        if (jump(Jump::StorageFailed))
            failAt(Edge::E08, staged.error().withContext(QStringLiteral("cannot stage the update")));
        return;
    }
    if (step(Edge::E39))
        notify();
}

void UpdateEngine::notify()
{
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QStringLiteral("E39"),
                 QStringLiteral("version %1 is ready to install").arg(m_manifest->version.toString()),
                 {},
                 QStringLiteral("staged")});
    Q_EMIT updateReady(m_manifest->version.toString(), m_manifest->priority);
    if (!step(Edge::E40))
        return;
    awaitInstall(m_manifest->priority);
}

void UpdateEngine::awaitInstall(bool priority)
{
    if (!priority) {
        if (step(Edge::E41)) // wait for the user's "Update now"
            finish();
        return;
    }
    if (!step(Edge::E43))
        return;
    if (auto requested = requestRebootIntoRecovery(); !requested)
        rebootRequestFailed(requested.error());
    finish();
}

// --- E42/E43: the reboot into recovery ----------------------------------------

Status UpdateEngine::install()
{
    if (state().rebootPending())
        return {}; // asked before: the update installs at the next boot
    const std::optional<StagedRecord> staged = state().staged();
    if (!staged)
        return fail(ExitCode::Usage, QStringLiteral("there is no downloaded update waiting to be installed"));
    const QString image = stagedDir() % QLatin1Char('/') % staged->image;
    if (QFileInfo(image).size() != staged->size || !QFileInfo::exists(image % QStringLiteral(".sha256"))) {
        // dropped, so that the next download fetches it again instead of finding it "staged"
        discard(stagedDir());
        if (auto cleared = state().clearStaged(); !cleared)
            qCWarning(lcStore).noquote() << "cannot drop the staged update's record:" << cleared.error().message;
        return fail(ExitCode::IntegrityMismatch, QStringLiteral("the staged update is incomplete; it will be downloaded again"));
    }
    // Whatever the last cycle did since (a check, a failed cycle while offline), a staged
    // update waits for the user.
    if (auto moved = m_flow.jump(Jump::InstallStaged); !moved)
        return moved;
    if (auto moved = m_flow.take(Edge::E42); !moved)
        return moved;
    if (auto requested = requestRebootIntoRecovery(); !requested) {
        rebootRequestFailed(requested.error());
        return requested;
    }
    return {};
}

Status UpdateEngine::requestRebootIntoRecovery()
{
    const QString context = QStringLiteral("cannot request the reboot into recovery");
    auto env = openBootEnvironment(m_config.boot.backend, m_config.boot.envFile);
    if (!env)
        return std::unexpected(toError(env.error()).withContext(context));
    if (auto set = (*env)->update({{QString(bootvar::Recovery), QStringLiteral("1")}}); !set)
        return std::unexpected(toError(set.error()).withContext(context));
    if (auto s = state().setRebootPending(true); !s)
        return std::unexpected(s.error().withContext(context));
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QString(),
                 QStringLiteral("reboot into recovery requested to install %1").arg(state().staged().value_or(StagedRecord{}).version),
                 {},
                 QStringLiteral("rebootRequested")});
    Q_EMIT rebootRequested();
    // The request is made: the next boot installs, whether this command works or not;
    // restartForInstall logs a failure itself (event rebootFailed).
    (void)restartForInstall(m_config.boot.rebootCommand, *m_journal);
    return {};
}

std::optional<QString> restartForInstall(const QString &command, Journal &journal)
{
    auto rebooted = runRebootCommand(command);
    if (rebooted)
        return std::nullopt;
    qCWarning(lcFlow).noquote() << rebooted.error();
    if (auto logged = journal.append(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Warning, 0, QString(),
                                              QStringLiteral("the device did not restart; the update installs at the next restart"),
                                              rebooted.error(), QStringLiteral("rebootFailed")});
        !logged)
        qCWarning(lcStore).noquote() << "cannot log the failed restart:" << logged.error().message;
    return rebooted.error();
}

void UpdateEngine::rebootRequestFailed(const Error &error)
{
    m_error = error;
    qCWarning(lcFlow).noquote() << exitCodeName(error.code) << error.message << error.detail;
    if (auto recorded = recordError(error); !recorded)
        qCCritical(lcStore) << "cannot log the error:" << recorded.error().message;
    // Nothing changed on the device: the update stays staged and waits for "Update now".
    if (auto moved = m_flow.jump(Jump::RebootRequestFailed); !moved)
        qCCritical(lcFlow) << moved.error().message;
    if (auto saved = saveFlow(Node::WaitForUser, Edge::E41); !saved)
        qCCritical(lcStore).noquote() << saved.error().message;
}

void UpdateEngine::log(const LogEntry &entry)
{
    if (auto logged = m_journal->append(entry); !logged)
        qCWarning(lcStore).noquote() << "cannot log" << entry.event << "to the journal:" << logged.error().message;
}

Status UpdateEngine::saveFlow(Node node, Edge via) { return state().setFlow(node, via); }

DeviceState UpdateEngine::state() const { return DeviceState(*m_journal); }

Status UpdateEngine::recordError(const Error &error)
{
    return m_journal->transaction([&]() -> Status {
        if (auto s = m_journal->append(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Error, toInt(error.code),
                                                edgeName(error.edge), error.message, error.detail, QStringLiteral("error")});
            !s)
            return s;
        return state().setLastError(error, QDateTime::currentDateTimeUtc());
    });
}

// --- E08/E09 and the end of a job -----------------------------------------------

void UpdateEngine::failAt(Edge toErrorLog, Error error)
{
    error.edge = toErrorLog;
    m_error = error;
    discard(m_config.device.updateDir % QStringLiteral("/staged.new"));
    if (m_flow.current() != Node::ErrorLog) {
        if (auto moved = m_flow.take(toErrorLog); !moved) {
            qCCritical(lcFlow) << moved.error().message;
            finish();
            return;
        }
    }
    qCWarning(lcFlow).noquote() << edgeName(error.edge) << exitCodeName(error.code) << error.message;
    // E08: the error is logged and the app sees it (lastError), in one transaction.
    const auto logged = recordError(error);
    if (!logged)
        qCCritical(lcStore) << "cannot log the error:" << logged.error().message;
    if (!step(Edge::E08))
        return;
    if (state().consent()) {
        if (!step(Edge::E09))
            return;
        if (m_diagnosticsHook)
            m_diagnosticsHook(error);
    }
    finish();
}

void UpdateEngine::recordProgress(bool force)
{
    const qint64 done = [this] {
        qint64 sum = 0;
        for (qsizetype i = 0; i < m_itemIndex; ++i)
            sum += m_items[i].size;
        return sum + m_written;
    }();
    m_progress.bytes = done;
    m_progress.fetched = m_rateBytes;
    // A delta knows what it copied; a resumed download reused what the partial file held.
    m_progress.reused = m_delta ? m_delta->reused() : std::max<qint64>(0, done - m_rateBytes);
    if (m_delta && m_delta->expectedFetch() >= 0) {
        qint64 others = 0; // the migrations come whole
        for (qsizetype i = 1; i < m_items.size(); ++i)
            others += m_items[i].size;
        m_progress.toFetch = m_delta->expectedFetch() + others;
    }
    const qint64 ms = m_rateClock.elapsed();
    if (ms > 500)
        m_progress.bytesPerSecond = double(m_rateBytes) * 1000.0 / double(ms);
    m_progress.etaSeconds = m_progress.bytesPerSecond > 0 ? qint64(double(m_progress.total - done) / m_progress.bytesPerSecond) : -1;
    Q_EMIT progressChanged();
    if (!force && m_progressClock.isValid() && m_progressClock.elapsed() < 500)
        return;
    m_progressClock.start();
    // A download's eta is -1 while unknown (the install's is null): readers know both. A hint:
    // one lost (or a failure to write it) harms nothing, and the next comes in half a second.
    (void)state().setProgress(Progress{QStringLiteral("download"), m_progress.bytes, m_progress.total, m_progress.bytesPerSecond,
                                       m_progress.etaSeconds,
                                       Progress::Transfer{m_progress.fetched, m_progress.reused, m_progress.toFetch}});
}

void UpdateEngine::cancel()
{
    if (!m_running)
        return;
    m_jobContext.reset(); // the steps still to come
    if (m_delta)
        m_delta->stop(); // what it wrote stays for the next download
    m_delta.reset();
    m_transport.reset(); // aborts the transfer in flight; its exchanges go with it
    // what arrived stays in the partial file for the next download
    if (m_file && !m_file->flush())
        qCWarning(lcDownload).noquote() << "cannot flush" << m_file->fileName() << m_file->errorString();
    m_error = Error{ExitCode::Cancelled, QStringLiteral("cancelled; the next download continues where this one stopped"), {}, {}};
    log(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Info, 0, {}, m_error->message, {}, QStringLiteral("cancelled")});
    finish();
}

void UpdateEngine::finish()
{
    if (!m_running)
        return;
    m_running = false;
    // finish() may run inside one of the context's own timers: delete it once that returned
    if (QObject *context = m_jobContext.release())
        context->deleteLater();
    m_file.reset();
    // finish() may run inside the delta's own signal: delete it once that returned
    if (DeltaTransfer *transfer = m_delta.release()) {
        transfer->stop();
        transfer->deleteLater();
    }
    if (auto cleared = state().clearProgress(); !cleared)
        qCWarning(lcStore).noquote() << "cannot clear the progress:" << cleared.error().message;
    if (!m_error) {
        if (auto cleared = state().clearLastError(); !cleared)
            qCWarning(lcStore).noquote() << "cannot clear the last error:" << cleared.error().message;
    }
    Q_EMIT finished();
}

} // namespace s16
