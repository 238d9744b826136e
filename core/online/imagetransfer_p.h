#pragma once

#include "common/streamwriter.h"
#include "online/onlinestep_p.h"

#include <QPointer>

#include <memory>
#include <optional>

namespace s16 {

class DeltaTransfer;
class HttpExchange;
struct Manifest;
struct IndexFetch;
namespace delta {
struct ChunkIndex;
}
namespace crypto {
class Sha256;
}

// E22-E34 for one file of a download (the image raw, zstd-compressed or as a delta, or a
// migration): resumes a partial file with Range, hashes (and unpacks) what arrives, pauses the
// exchange while the unpacker's backlog is full, and tries again after a wait (E24-E27, E33).
// It ends at CompleteFile: its result is the received file with its sums, or the mismatch that
// E38 is to report (data that cannot match the manifest). Its errors leave by E26, E30 or E34.
// Killed, it keeps the partial file: the next transfer of the file fetches only the rest.
class ImageTransfer : public OnlineStep
{
    Q_OBJECT
public:
    // A delta's transfer lives in delta, not in the job: the download reports what it reused
    // while the files after the image arrive, and a transfer made anew goes on with it.
    ImageTransfer(const OnlineContext &context, const Manifest &manifest, DownloadItem item, std::unique_ptr<DeltaTransfer> &delta,
                  QObject *parent = nullptr);
    ~ImageTransfer() override;

    // The file, with actualSha256 (and what a compressed image unpacked to) once complete.
    [[nodiscard]] const DownloadItem &item() const { return m_item; }
    // Set when what arrived cannot match the manifest (E38 follows, after E32).
    [[nodiscard]] const std::optional<Error> &mismatch() const { return m_mismatch; }
    [[nodiscard]] qint64 written() const { return m_written; }           // bytes of the file on disk
    [[nodiscard]] qint64 fetched() const { return m_rateBytes; }         // bytes this transfer took from the network
    [[nodiscard]] qint64 indexFetched() const { return m_indexFetched; } // of them, the chunk index's (no part of the file)
    // The bytes of the chunk index a transfer of item fetches to check the content with (0: none).
    [[nodiscard]] static qint64 checkIndexBytes(const Manifest &manifest, const DownloadItem &item);

Q_SIGNALS:
    void progressed();

protected:
    void doStart() override;
    void stop() override;

private:
    void fetchCheckIndex();
    [[nodiscard]] Result<std::unique_ptr<fileutil::StreamWriter>> openWriter(qint64 from);
    void finishWriting();
    void onCheckIndex(const IndexFetch &got);
    void downloadNext();
    void downloadDelta();
    void onItemFinished(const NetResult &result); // one attempt at the file ended
    // How the attempt ended at CompleteFile: complete (E32), data that cannot match (E38),
    // interrupted with tries left (E33) or failed (E34).
    struct FileEnd {
        enum class How { Complete, Mismatch, Interrupted, Failed };
        How how;
        Error error; // why, unless Complete
    };
    [[nodiscard]] FileEnd fileEnd(const NetResult &result);
    void retryDownload(const Error &why, int retryAfter);

    const Manifest *m_manifest;
    DownloadItem m_item;
    std::unique_ptr<DeltaTransfer> &m_delta;
    int m_tries = 0;
    std::optional<Error> m_mismatch;
    QPointer<HttpExchange> m_exchange;      // the request in flight
    std::unique_ptr<crypto::Sha256> m_hash; // of what is received: fed by the writer's tap, on a core of its own
    // The partial file's writer: on a thread of its own, straight to the medium where it can. Declared
    // after m_hash, so that it (and its tap) is gone before the hash it feeds.
    std::unique_ptr<fileutil::StreamWriter> m_writer;
    std::unique_ptr<zstd::Unpacker> m_unpacker; // a compressed image, unpacked as it arrives
    // The release's chunk index, when a compressed image's content is checked against it.
    std::shared_ptr<const delta::ChunkIndex> m_checkIndex;
    QPointer<HttpExchange> m_indexExchange;
    bool m_indexLostOnNetwork = false; // the last fetch of the index failed on the network
    qint64 m_written = 0;
    qint64 m_rateBytes = 0;
    qint64 m_indexFetched = 0;
    std::optional<Error> m_attemptError; // why the current attempt stopped early (sink)
    bool m_tooManyBytes = false;
    bool m_contentRefused = false; // the unpacker stopped on what arrived (E38 follows)
};

} // namespace s16
