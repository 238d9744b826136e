#include "imagetransfer_p.h"

#include "common/logging.h"
#include "common/fileutil.h"
#include "common/streamwriter.h"
#include "crypto/crypto.h"
#include "delta/indexcheck.h"
#include "manifest/manifest.h"
#include "online/deltatransfer.h"
#include "online/transport.h"
#include "store/journal.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>

namespace s16 {

ImageTransfer::ImageTransfer(const OnlineContext &context, const Manifest &manifest, DownloadItem item,
                             std::unique_ptr<DeltaTransfer> &delta, QObject *parent)
    : OnlineStep(context, parent)
    , m_manifest(&manifest)
    , m_item(std::move(item))
    , m_delta(delta)
{
}

ImageTransfer::~ImageTransfer() = default;

qint64 ImageTransfer::checkIndexBytes(const Manifest &manifest, const DownloadItem &item)
{
    const bool checkByIndex = item.zstd && manifest.imageChunks && manifest.imageChunks->index.size <= delta::kMaxCheckIndexBytes;
    return checkByIndex ? manifest.imageChunks->index.size : 0;
}

void ImageTransfer::doStart()
{
    if (checkIndexBytes(*m_manifest, m_item) > 0)
        fetchCheckIndex();
    else
        downloadNext();
}

// A compressed image's content is checked against the release's chunk index where it has one:
// chunks of zeros need no hash, which on a root image is most of it (docs/state.md, "Compressed
// images"). The index is a small file; without it (unreachable, or not what the manifest signs)
// the content is hashed whole, which proves the same.
void ImageTransfer::fetchCheckIndex()
{
    const ManifestFile &index = m_manifest->imageChunks->index;
    const IndexSource source{index.path, index.size, index.sha256, m_manifest->image.size};
    m_indexExchange = fetchChunkIndex(m_transport, source, this, [this](const IndexFetch &got, const NetResult &) { onCheckIndex(got); });
}

void ImageTransfer::onCheckIndex(const IndexFetch &got)
{
    m_indexExchange = nullptr;
    m_rateBytes += got.fetched;
    m_indexFetched += got.fetched;
    m_indexLostOnNetwork = got.end == IndexFetch::End::Network;
    if (got.end == IndexFetch::End::Ok) {
        m_checkIndex = got.index;
        m_item.index = got.bytes;
        qCInfo(lcDownload).noquote() << "the compressed image's content is checked against" << delta::IndexCheck::name();
    } else {
        qCWarning(lcDownload).noquote() << "the compressed image's content is hashed whole:" << got.error.message << got.error.detail;
    }
    Q_EMIT progressed();
    downloadNext();
}

void ImageTransfer::stop()
{
    if (m_indexExchange) {
        m_indexExchange->disconnect(this);
        m_indexExchange->abort(NetOutcome::Interrupted, QStringLiteral("stopped on request"));
    }
    if (m_exchange) {
        m_exchange->disconnect(this);
        m_exchange->abort(NetOutcome::Interrupted, QStringLiteral("stopped on request"));
    }
    if (m_item.delta && m_delta) {
        m_delta->disconnect(this);
        m_delta->stop(); // what it wrote stays for the next download
    }
    // what arrived stays in the partial file for the next download
    finishWriting();
}

// The partial file's writer from offset from on; the bytes it writes are hashed on a thread of
// its own from the writer's own blocks (the hash is the costliest part of receiving an image).
Result<std::unique_ptr<fileutil::StreamWriter>> ImageTransfer::openWriter(qint64 from)
{
    return fileutil::StreamWriter::open(m_item.partialPath, from, [hash = m_hash.get()](QByteArrayView bytes) { hash->addData(bytes); });
}

// Everything the sink accepted is in the partial file (and hashed) once this returns (a failure to write
// it ends the attempt).
void ImageTransfer::finishWriting()
{
    if (!m_writer)
        return;
    if (auto written = m_writer->finish(); !written && !m_attemptError)
        m_attemptError = written.error();
    m_writer.reset();
}

void ImageTransfer::downloadNext()
{
    ++m_tries;
    m_attemptError.reset();
    m_tooManyBytes = false;
    m_contentRefused = false;
    // Skip what is complete already; hash what is on disk (resume after a cut or a retry).
    DownloadItem &item = m_item;
    if (item.delta) {
        downloadDelta();
        return;
    }
    // Only a regular file of our own is resumed: a link would be written (and truncated)
    // through, a FIFO would block the read.
    if (const QFileInfo existing(item.partialPath); existing.isSymLink() || (existing.exists() && !existing.isFile()))
        discard(item.partialPath);
    m_writer.reset();
    m_hash = std::make_unique<crypto::Sha256>();
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
        std::unique_ptr<zstd::ContentCheck> check;
        if (m_checkIndex)
            check = std::make_unique<delta::IndexCheck>(m_checkIndex);
        auto unpacker = zstd::Unpacker::create(m_manifest->image.size, std::move(onRoom), std::move(check));
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
    QFile partial(item.partialPath);
    if (!partial.open(QIODevice::ReadWrite)) {
        // Reported once the server answers: the flow reaches ReceiveFile, then E34.
        m_attemptError = Error{ExitCode::StorageError, QStringLiteral("cannot open %1").arg(item.partialPath), {}, partial.errorString()};
    } else {
        if (partial.size() > item.size)
            partial.resize(0);
        QByteArray chunk;
        while (!(chunk = partial.read(crypto::kHashChunkBytes)).isEmpty()) {
            m_hash->addData(chunk);
            if (m_unpacker && !m_unpacker->push(chunk))
                m_unpacker->waitForRoom();
        }
        m_written = partial.size();
        partial.close();
        // What arrives goes to the medium while the rest arrives: the fsync before E37 is short.
        if (auto writer = openWriter(m_written); writer)
            m_writer = std::move(*writer);
        else
            m_attemptError = writer.error();
    }

    // Again before each attempt: another writer may have taken the space since.
    if (!m_attemptError) {
        if (auto room = roomFor(m_config, item.size - m_written); !room)
            m_attemptError = room.error();
    }

    auto sink = [this, exchange](QByteArrayView chunk, QString *why) {
        DownloadItem &current = m_item;
        if (m_attemptError) {
            *why = m_attemptError->message;
            return false;
        }
        if (m_unpacker && m_unpacker->failed()) {
            // What arrived cannot unpack to the signed image: the rest is not worth fetching.
            m_contentRefused = true;
            *why = QStringLiteral("%1 does not unpack to the image the manifest names").arg(current.repoPath);
            return false;
        }
        if (m_written + chunk.size() > current.size) {
            m_tooManyBytes = true;
            *why = QStringLiteral("the server sent more than the %1 bytes the manifest declares for %2")
                       .arg(current.size)
                       .arg(current.repoPath);
            return false;
        }
        if (!m_writer->write(chunk)) {
            finishWriting(); // says why
            *why = m_attemptError->message;
            return false;
        }
        if (m_unpacker && !m_unpacker->push(chunk) && *exchange)
            (*exchange)->setPaused(true);
        m_written += chunk.size();
        m_rateBytes += chunk.size();
        return true;
    };
    // Nothing to fetch is still asked for: the exchange proves the connection and the
    // certificate, and the server's 416 confirms there is nothing more.
    HttpExchange *x = m_transport->get(m_transport->resolve(item.repoPath), m_written, sink);
    *exchange = x;
    m_exchange = x;
    connect(x, &HttpExchange::responseStarted, this, [this, x, newUnpacker] {
        const NetResult &r = x->result();
        if (m_attemptError) {
            x->abort(NetOutcome::SinkRefused, m_attemptError->message);
            return;
        }
        if (r.httpStatus == 200 && m_written > 0) {
            // The server ignored the range: start this file over.
            finishWriting();
            m_hash->reset();
            if (!QFile::resize(m_item.partialPath, 0))
                m_attemptError = Error{ExitCode::StorageError, QStringLiteral("cannot empty %1").arg(m_item.partialPath), {}, {}};
            else if (auto writer = openWriter(0); writer)
                m_writer = std::move(*writer);
            else
                m_attemptError = writer.error();
            if (m_attemptError) {
                x->abort(NetOutcome::SinkRefused, m_attemptError->message);
                return;
            }
            if (m_unpacker)
                m_unpacker = newUnpacker();
            m_written = 0;
        } else if (r.httpStatus == 206 && r.rangeStart != m_written) {
            x->abort(NetOutcome::Interrupted, QStringLiteral("the server resumed at byte %1, not %2").arg(r.rangeStart).arg(m_written));
        }
    });
    connect(x, &HttpExchange::received, this, &ImageTransfer::progressed);
    connect(x, &HttpExchange::finished, this, [this, x] { onItemFinished(x->result()); });
}

void ImageTransfer::downloadDelta()
{
    const DownloadItem &item = m_item;
    m_writer.reset();
    m_hash.reset();
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
    }
    // Each transfer of the file listens anew: the delta may outlive the job that made it.
    m_delta->disconnect(this);
    connect(m_delta.get(), &DeltaTransfer::progressed, this, [this] {
        m_written = m_delta->written();
        m_rateBytes = m_delta->fetched();
        Q_EMIT progressed();
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
    m_delta->start(m_transport);
}

void ImageTransfer::onItemFinished(const NetResult &r)
{
    m_exchange = nullptr;
    finishWriting();
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
    case FileEnd::How::Mismatch: m_mismatch = end.error; break;
    case FileEnd::How::Complete: break;
    }
    done();
}

ImageTransfer::FileEnd ImageTransfer::fileEnd(const NetResult &r)
{
    DownloadItem &current = m_item;
    const bool complete = m_written == current.size;
    if (current.delta && m_delta->end() == DeltaTransfer::End::Integrity) {
        // The index or a chunk does not match what the manifest signs: nothing of it was
        // written, the partial image keeps only checked chunks (E38, exit 15).
        return {FileEnd::How::Mismatch, m_delta->error()};
    }
    if (m_tooManyBytes) {
        // Complete and more: the data cannot match the metadata (E38, exit 15).
        QFile::remove(current.partialPath);
        return {FileEnd::How::Mismatch, Error{ExitCode::IntegrityMismatch, r.message, {}, {}}};
    }
    if (m_contentRefused) {
        // Refused before its end (E38, exit 15): the unpacker says why.
        QFile::remove(current.partialPath);
        const auto content = m_unpacker->finish();
        return {FileEnd::How::Mismatch,
                Error{ExitCode::IntegrityMismatch,
                      QStringLiteral("%1 does not unpack to the image the manifest names; the file was discarded").arg(current.repoPath),
                      {},
                      content ? QString() : content.error()}};
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
    current.actualSha256 = current.delta ? m_delta->sha256Hex() : m_hash->hexResult();
    if (current.delta)
        current.index = m_delta->indexBytes();
    if (current.zstd && m_unpacker)
        current.unpacked = m_unpacker->finish();
    if (auto synced = fileutil::syncPath(current.partialPath); !synced)
        return {FileEnd::How::Failed, synced.error()};
    return {FileEnd::How::Complete, {}};
}

void ImageTransfer::retryDownload(const Error &why, int retryAfter)
{
    if (!step(Edge::E25))
        return;
    if (m_tries >= m_config.server.maxTries) {
        failAt(Edge::E26, why.withContext(QStringLiteral("the update could not be downloaded after %1 tries").arg(m_tries)));
        return;
    }
    waitThen(retryWait(retryAfter), [this] {
        if (!isRunning() || !step(Edge::E27))
            return;
        m_transport->dropConnections();
        // An index the network kept from the first try is asked for again with the image.
        if (m_indexLostOnNetwork)
            fetchCheckIndex();
        else
            downloadNext();
    });
}

} // namespace s16
