#include "deltatransfer.h"

#include "common/fileutil.h"
#include "common/logging.h"
#include "compress/zstd.h"
#include "crypto/crypto.h"
#include "delta/chunkindex.h"
#include "delta/chunkstore.h"
#include "delta/indexcheck.h"
#include "online/transport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <QStringBuilder>
#include <QTimer>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace s16 {
namespace {

// One slice of local work (hashing, copying) before the event loop gets its turn again.
constexpr qint64 kSliceBytes = 8 * 1024 * 1024;
constexpr qint64 kSliceMs = 50;
// Chunks fetched ahead of the write position: at most this many requests and this many
// (unpacked) bytes in flight or waiting, which bounds memory whatever the image.
constexpr int kMaxInFlight = 8;
constexpr qint64 kMaxAheadBytes = 8 * 1024 * 1024;
constexpr qsizetype kMaxLookahead = 4096;

// Chunk ids are SHA-256 sums: any eight of their bytes are a good hash already, and keying the
// tables by the ids themselves costs no allocation per chunk (65536 of them for 1 GiB).
using Id = delta::ChunkId;
struct IdHash {
    size_t operator()(const Id &id) const noexcept
    {
        size_t h;
        std::memcpy(&h, id.data(), sizeof h);
        return h;
    }
};
template <typename T>
using IdMap = std::unordered_map<Id, T, IdHash>;
using IdSet = std::unordered_set<Id, IdHash>;

QString errnoText(int err) { return QString::fromLocal8Bit(std::strerror(err)); }

bool preadAll(int fd, char *out, qint64 size, qint64 offset)
{
    while (size > 0) {
        const ssize_t n = ::pread(fd, out, size_t(size), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        out += n;
        size -= n;
        offset += n;
    }
    return true;
}

} // namespace

HttpExchange *fetchChunkIndex(HttpTransport *transport, const IndexSource &source, QObject *context,
                              std::function<void(const IndexFetch &, const NetResult &)> done)
{
    auto buffer = std::make_shared<QByteArray>();
    auto tooLarge = std::make_shared<bool>(false);
    const qint64 limit = source.size;
    auto sink = [buffer, tooLarge, limit](QByteArrayView chunk, QString *why) {
        if (buffer->size() + chunk.size() > limit) {
            *tooLarge = true;
            *why = QStringLiteral("the chunk index is larger than the %1 bytes the manifest declares").arg(limit);
            return false;
        }
        buffer->append(chunk);
        return true;
    };
    HttpExchange *x = transport->get(transport->resolve(source.path), 0, sink, 256 * 1024);
    QObject::connect(x, &HttpExchange::finished, context, [x, buffer, tooLarge, source, done = std::move(done)] {
        const NetResult &r = x->result();
        IndexFetch got;
        got.fetched = buffer->size();
        const auto integrity = [&](QString message, QString detail = {}) {
            got.end = IndexFetch::End::Integrity;
            got.error = Error{ExitCode::IntegrityMismatch, std::move(message), {}, std::move(detail)};
            done(got, r);
        };
        if (*tooLarge)
            return integrity(source.path % QStringLiteral(": ") % r.message);
        if (r.outcome != NetOutcome::Ok) {
            got.end = IndexFetch::End::Network;
            got.error = Error{ExitCode::DownloadFailed, r.message, {}, r.detail};
            return done(got, r);
        }
        const QByteArray sum = crypto::Sha256::hexHash(*buffer);
        if (buffer->size() != source.size || sum != source.sha256) {
            return integrity(QStringLiteral("%1 does not match the manifest's size and SHA-256").arg(source.path),
                             QStringLiteral("expected %1 bytes with SHA-256 %2, received %3 bytes with SHA-256 %4")
                                 .arg(source.size)
                                 .arg(QString::fromLatin1(source.sha256))
                                 .arg(buffer->size())
                                 .arg(QString::fromLatin1(sum)));
        }
        auto parsed = delta::parse(*buffer);
        if (!parsed)
            return integrity(QStringLiteral("%1 is not a usable chunk index").arg(source.path), parsed.error());
        if (qint64(parsed->imageSize()) != source.imageSize) {
            return integrity(QStringLiteral("%1 describes %2 bytes, the manifest's image has %3")
                                 .arg(source.path)
                                 .arg(parsed->imageSize())
                                 .arg(source.imageSize));
        }
        got.index = std::make_shared<const delta::ChunkIndex>(std::move(*parsed));
        got.bytes = *buffer;
        done(got, r);
    });
    return x;
}

struct DeltaTransfer::Private {
    DeltaTransfer *q;
    Setup setup;
    QPointer<HttpTransport> transport;
    enum class Phase { Index, Resume, Seed, Assemble, Done } phase = Phase::Index;
    End end = End::Running;
    NetResult net;
    Error error;

    delta::ChunkIndex index;
    QByteArray indexBytes;
    QFile out;
    crypto::Sha256 whole;
    fileutil::WriteBehind writeBehind;
    qint64 written = 0;
    qint64 fetched = 0;
    qint64 reused = 0;
    qint64 toFetch = -1;
    qint64 chunkBytesPacked = 0; // what the fetched chunks took, and what they unpacked to
    qint64 chunkBytesUnpacked = 0;
    QByteArray sha256;
    qsizetype cursor = 0;   // the next entry to write
    IdMap<qint64> inOutput; // chunk id -> where the partial file holds it
    struct SeedChunk {
        qint64 offset;
        qint64 size;
    };
    IdMap<SeedChunk> inSeed;
    int seedFd = -1;
    std::unique_ptr<delta::ChunkReader> seedReader;
    IdSet wanted;            // ids the seed scan looks for
    IdMap<QByteArray> ready; // fetched, checked, waiting for their turn
    IdMap<QPointer<HttpExchange>> inFlight;
    QPointer<HttpExchange> indexExchange;
    qint64 aheadBytes = 0;
    bool scheduled = false;

    ~Private()
    {
        abortAll();
        if (seedFd >= 0)
            ::close(seedFd);
    }

    void abortAll()
    {
        auto abort = [this](HttpExchange *x) {
            if (x) {
                QObject::disconnect(x, nullptr, q, nullptr);
                x->abort(NetOutcome::SinkRefused, QStringLiteral("stopped"));
            }
        };
        abort(indexExchange);
        indexExchange.clear();
        for (const auto &[id, x] : inFlight)
            abort(x);
        inFlight.clear();
        aheadBytes = 0;
        for (const auto &[id, data] : ready)
            aheadBytes += data.size();
    }

    void stopWith(End how)
    {
        if (end != End::Running)
            return;
        end = how;
        abortAll();
        if (how != End::Complete && out.isOpen())
            (void)out.flush();
        QTimer::singleShot(0, q, [self = q] { Q_EMIT self->finished(); });
    }
    void fail(End how, const QString &message, const QString &detail = {})
    {
        error = Error{how == End::Storage ? ExitCode::StorageError : ExitCode::IntegrityMismatch, message, {}, detail};
        stopWith(how);
    }

    void later()
    {
        if (scheduled || end != End::Running)
            return;
        scheduled = true;
        QTimer::singleShot(0, q, [this] {
            scheduled = false;
            run();
        });
    }

    void run()
    {
        if (end != End::Running)
            return;
        switch (phase) {
        case Phase::Index: return fetchIndex();
        case Phase::Resume: return resumeSlice();
        case Phase::Seed: return seedSlice();
        case Phase::Assemble: return assembleSlice();
        case Phase::Done: return;
        }
    }

    // --- the index ------------------------------------------------------------------
    void fetchIndex()
    {
        const IndexSource source{setup.indexPath, setup.indexSize, setup.indexSha256, setup.imageSize};
        indexExchange = fetchChunkIndex(transport, source, q, [this](const IndexFetch &got, const NetResult &r) {
            indexExchange.clear();
            fetched += got.fetched;
            switch (got.end) {
            case IndexFetch::End::Network:
                net = r;
                stopWith(End::Network);
                return;
            case IndexFetch::End::Integrity: fail(End::Integrity, got.error.message, got.error.detail); return;
            case IndexFetch::End::Ok: break;
            }
            index = *got.index;
            // Staged for recovery's read back only where recovery would use it (bounded memory).
            if (got.bytes.size() <= delta::kMaxCheckIndexBytes)
                indexBytes = got.bytes;
            if (!openOutput())
                return;
            phase = Phase::Resume;
            later();
        });
    }

    bool openOutput()
    {
        // Only a regular file of our own is resumed: a link would be written through.
        if (const QFileInfo existing(setup.partialPath); existing.isSymLink() || (existing.exists() && !existing.isFile()))
            (void)fileutil::removeTree(setup.partialPath);
        out.setFileName(setup.partialPath);
        if (!out.open(QIODevice::ReadWrite)) {
            fail(End::Storage, QStringLiteral("cannot open %1").arg(setup.partialPath), out.errorString());
            return false;
        }
        if (out.size() > setup.imageSize)
            (void)out.resize(0);
        return true;
    }

    // --- resume: keep the chunks the partial file holds already, as far as they match ---
    void resumeSlice()
    {
        QElapsedTimer clock;
        clock.start();
        const qint64 have = out.size();
        qint64 done = 0;
        while (cursor < index.entries.size() && qint64(index.entries[cursor].end) <= have) {
            const qint64 start = qint64(index.startOf(cursor));
            const qint64 size = qint64(index.sizeOf(cursor));
            QByteArray data(size, Qt::Uninitialized);
            if (!preadAll(out.handle(), data.data(), size, start) || delta::chunkIdOf(data) != index.entries[cursor].id)
                break;
            whole.addData(data);
            inOutput.emplace(index.entries[cursor].id, start);
            ++cursor;
            done += size;
            if (done >= kSliceBytes || clock.elapsed() > kSliceMs) {
                written = qint64(index.startOf(cursor));
                Q_EMIT q->progressed();
                later();
                return;
            }
        }
        written = qint64(index.startOf(cursor));
        if (!out.resize(written) || !out.seek(written)) {
            fail(End::Storage, QStringLiteral("cannot truncate %1").arg(setup.partialPath), out.errorString());
            return;
        }
        writeBehind = fileutil::WriteBehind(written);
        if (written > 0)
            qCInfo(lcDownload) << "delta: resuming at byte" << written << "of" << setup.imageSize;
        for (qsizetype i = cursor; i < index.entries.size(); ++i)
            wanted.insert(index.entries[i].id);
        startSeed();
    }

    void startSeed()
    {
        phase = Phase::Seed;
        if (!setup.seedPath.isEmpty()) {
            seedFd = ::open(QFile::encodeName(setup.seedPath).constData(), O_RDONLY | O_CLOEXEC);
            if (seedFd < 0)
                qCWarning(lcDownload).noquote()
                    << "delta: cannot read the running slot" << setup.seedPath << errnoText(errno) << "- every chunk is fetched";
            else {
                ::posix_fadvise(seedFd, 0, 0, POSIX_FADV_SEQUENTIAL);
                seedReader = std::make_unique<delta::ChunkReader>(seedFd, index.sizes);
            }
        }
        later();
    }

    // --- the seed: which wanted chunks the running slot holds -----------------------
    void seedSlice()
    {
        QElapsedTimer clock;
        clock.start();
        qint64 done = 0;
        while (seedReader) {
            auto next = seedReader->next();
            if (!next) {
                // A slot that cannot be read to its end is used as far as it could be.
                qCWarning(lcDownload).noquote() << "delta: the running slot" << setup.seedPath << next.error();
                seedReader.reset();
                break;
            }
            if (!*next) {
                seedReader.reset();
                break;
            }
            const delta::Chunk &c = **next;
            const Id id = delta::chunkIdOf(c.data);
            if (wanted.contains(id))
                inSeed.emplace(id, SeedChunk{qint64(c.offset), c.data.size()});
            done += c.data.size();
            if (done >= kSliceBytes || clock.elapsed() > kSliceMs) {
                later();
                return;
            }
        }
        wanted.clear();
        // What is left to fetch: each chunk neither in the seed nor earlier in the image, once.
        IdSet counted;
        toFetch = 0;
        qint64 fromSeed = 0;
        for (qsizetype i = cursor; i < index.entries.size(); ++i) {
            const Id &id = index.entries[i].id;
            if (inSeed.contains(id)) {
                fromSeed += qint64(index.sizeOf(i));
                continue;
            }
            if (inOutput.contains(id) || counted.contains(id))
                continue;
            counted.insert(id);
            toFetch += qint64(index.sizeOf(i));
        }
        qCInfo(lcDownload).noquote() << QStringLiteral("delta: %1 chunks, %2 bytes to fetch, %3 bytes found in the running slot")
                                            .arg(index.entries.size() - cursor)
                                            .arg(toFetch)
                                            .arg(fromSeed);
        phase = Phase::Assemble;
        Q_EMIT q->progressed();
        later();
    }

    // --- assembly: write the chunks in order ----------------------------------------
    bool append(const QByteArray &data)
    {
        if (out.write(data) != data.size() || !out.flush()) {
            fail(End::Storage, QStringLiteral("cannot write %1").arg(setup.partialPath), out.errorString());
            return false;
        }
        whole.addData(data);
        written += data.size();
        writeBehind.written(out.handle(), written);
        return true;
    }

    // The chunk's bytes from where the device has them, checked; empty if it must be fetched.
    QByteArray local(qsizetype i, const Id &id)
    {
        const qint64 size = qint64(index.sizeOf(i));
        QByteArray data(size, Qt::Uninitialized);
        if (auto it = inOutput.find(id); it != inOutput.end()) {
            if (preadAll(out.handle(), data.data(), size, it->second) && delta::chunkIdOf(data) == id)
                return data;
            inOutput.erase(it);
        }
        if (auto it = inSeed.find(id); it != inSeed.end()) {
            // The slot was read once to find the chunk; it is checked again now, as it is used.
            const SeedChunk at = it->second;
            if (at.size == size && preadAll(seedFd, data.data(), size, at.offset) && delta::chunkIdOf(data) == id)
                return data;
            qCWarning(lcDownload) << "delta: the running slot changed at byte" << at.offset << "- fetching that chunk";
            inSeed.erase(it);
        }
        return {};
    }

    void assembleSlice()
    {
        QElapsedTimer clock;
        clock.start();
        qint64 done = 0;
        while (cursor < index.entries.size()) {
            const Id &id = index.entries[cursor].id;
            QByteArray data;
            if (auto it = ready.find(id); it != ready.end()) {
                data = std::move(it->second);
                aheadBytes -= data.size();
                ready.erase(it);
            } else {
                data = local(cursor, id);
                if (data.isEmpty()) {
                    schedule();
                    return; // a fetch brings it; its end calls later()
                }
                reused += data.size();
            }
            if (!append(data))
                return;
            inOutput.emplace(id, written - data.size());
            ++cursor;
            done += data.size();
            if (done >= kSliceBytes || clock.elapsed() > kSliceMs) {
                schedule();
                Q_EMIT q->progressed();
                later();
                return;
            }
        }
        if (!ready.empty() || !inFlight.empty())
            abortAll();
        sha256 = whole.hexResult();
        phase = Phase::Done;
        Q_EMIT q->progressed();
        stopWith(End::Complete);
    }

    // Fetch what the next chunks need, within the bounds.
    void schedule()
    {
        IdSet seen;
        for (qsizetype i = cursor; i < index.entries.size() && i < cursor + kMaxLookahead; ++i) {
            if (inFlight.size() >= kMaxInFlight || (aheadBytes >= kMaxAheadBytes && i > cursor))
                return;
            const Id &id = index.entries[i].id;
            if (seen.contains(id) || ready.contains(id) || inFlight.contains(id) || inOutput.contains(id) || inSeed.contains(id))
                continue;
            seen.insert(id);
            fetchChunk(i, id);
        }
    }

    void fetchChunk(qsizetype i, const Id &id)
    {
        const qint64 size = qint64(index.sizeOf(i));
        const qint64 limit = zstd::compressBound(size) + 64;
        auto buffer = std::make_shared<QByteArray>();
        auto sink = [buffer, limit](QByteArrayView chunk, QString *why) {
            if (buffer->size() + chunk.size() > limit) {
                *why = QStringLiteral("a chunk file larger than its chunk can be");
                return false;
            }
            buffer->append(chunk);
            return true;
        };
        const QString path = setup.storePath % QLatin1Char('/') % delta::chunkStorePath(index.entries[i].id);
        HttpExchange *x = transport->get(transport->resolve(path), 0, sink, 256 * 1024);
        inFlight.insert_or_assign(id, x);
        aheadBytes += size;
        QObject::connect(x, &HttpExchange::received, q, [this] { Q_EMIT q->progressed(); });
        QObject::connect(x, &HttpExchange::finished, q, [this, x, id, size, path, buffer] {
            inFlight.erase(id);
            aheadBytes -= size;
            const NetResult &r = x->result();
            fetched += buffer->size();
            if (r.outcome == NetOutcome::SinkRefused) {
                fail(End::Integrity, QStringLiteral("%1: %2").arg(path, r.message));
                return;
            }
            if (r.outcome != NetOutcome::Ok) {
                net = r;
                stopWith(End::Network);
                return;
            }
            auto data = zstd::decompress(*buffer, size);
            if (!data) {
                fail(End::Integrity, QStringLiteral("the chunk %1 from the server is damaged").arg(path), data.error());
                return;
            }
            if (delta::chunkIdOf(*data) != id) {
                fail(End::Integrity, QStringLiteral("the chunk %1 from the server does not match its id").arg(path),
                     QStringLiteral("its content has SHA-256 %1").arg(QString::fromLatin1(crypto::Sha256::hexHash(*data))));
                return;
            }
            chunkBytesPacked += buffer->size();
            chunkBytesUnpacked += data->size();
            aheadBytes += data->size();
            ready.insert_or_assign(id, std::move(*data));
            later();
        });
    }
};

DeltaTransfer::DeltaTransfer(Setup setup, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->setup = std::move(setup);
}

DeltaTransfer::~DeltaTransfer() = default;

void DeltaTransfer::start(HttpTransport *transport)
{
    d->transport = transport;
    if (d->end == End::Network)
        d->end = End::Running;
    d->net = {};
    if (d->end == End::Running)
        d->later();
}

void DeltaTransfer::stop()
{
    if (d->end == End::Running) {
        d->end = End::Network;
        d->net = NetResult{};
        d->net.outcome = NetOutcome::SinkRefused;
        d->abortAll();
        if (d->out.isOpen())
            (void)d->out.flush();
    }
}

DeltaTransfer::End DeltaTransfer::end() const { return d->end; }
const NetResult &DeltaTransfer::netResult() const { return d->net; }
const Error &DeltaTransfer::error() const { return d->error; }
qint64 DeltaTransfer::written() const { return d->written; }
qint64 DeltaTransfer::fetched() const { return d->fetched; }
qint64 DeltaTransfer::reused() const { return d->reused; }
qint64 DeltaTransfer::toFetch() const { return d->toFetch; }
QByteArray DeltaTransfer::indexBytes() const { return d->indexBytes; }
QByteArray DeltaTransfer::sha256Hex() const { return d->sha256; }

qint64 DeltaTransfer::expectedFetch() const
{
    if (d->toFetch < 0)
        return -1;
    // The chunks' own ratio once there are enough of them, the release's before.
    const double ratio =
        d->chunkBytesUnpacked >= 256 * 1024 ? double(d->chunkBytesPacked) / double(d->chunkBytesUnpacked) : d->setup.packRatio;
    const qint64 left = std::max<qint64>(0, d->toFetch - d->chunkBytesUnpacked);
    return d->fetched + qint64(double(left) * ratio);
}

} // namespace s16
