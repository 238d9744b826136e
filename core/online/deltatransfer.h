#pragma once

#include "common/error.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace s16 {

class HttpExchange;
class HttpTransport;
struct NetResult;
namespace delta {
struct ChunkIndex;
}

// The release's chunk index as the signed manifest names it.
struct IndexSource {
    QString path; // in the repository
    qint64 size = 0;
    QByteArray sha256;
    qint64 imageSize = 0; // the manifest's image: the index must describe exactly that many bytes
};
// What fetching the index came to: the index, or how it failed: Network (the exchange failed,
// net says how) or Integrity (what arrived is not the index the manifest signs: error says why).
struct IndexFetch {
    enum class End { Ok, Network, Integrity };
    End end = End::Ok;
    std::shared_ptr<const delta::ChunkIndex> index;
    QByteArray bytes; // the index file as it arrived, when Ok: staged beside the image for E49
    Error error;
    qint64 fetched = 0; // bytes received
};
// Fetches the index, refusing more bytes than declared, and checks its size, SHA-256 and the
// image size it describes; done is called once, in context's thread, unless context is gone.
HttpExchange *fetchChunkIndex(HttpTransport *transport, const IndexSource &source, QObject *context,
                              std::function<void(const IndexFetch &, const NetResult &)> done);

// Receives the update's image as a delta (docs/delta.md): fetches the release's chunk index
// (checked against the signed manifest), finds which of its chunks the running slot already
// holds (seed), and writes the image into the partial file in order, copying known chunks from
// the seed or from earlier in the image and fetching the rest from the chunk store, each
// fetched chunk unpacked and checked against its id before a byte of it is written. The result
// is the same raw image a whole download gives; its SHA-256 is computed on the way, for E35.
//
// Everything runs from the event loop in slices, so the service stays responsive, and memory
// stays bounded (a few MiB of chunks in flight, whatever the image size). After an End::Network
// start() continues where it stopped; a new object resumes from the partial file.
class DeltaTransfer : public QObject
{
    Q_OBJECT
public:
    struct Setup {
        QString indexPath;    // repository path of the chunk index (.caibx)
        qint64 indexSize = 0; // its signed size and SHA-256 (hex)
        QByteArray indexSha256;
        QString storePath;   // repository path of the chunk store
        QString seedPath;    // the running slot, empty for none
        QString partialPath; // the image as assembled so far
        qint64 imageSize = 0;
        double packRatio = 0.5; // compressed / raw size of the release's image, the first guess for chunks
    };
    enum class End {
        Running,
        Complete,  // the whole image is in the partial file
        Network,   // an exchange failed: netResult() says how; start() again continues
        Storage,   // the partial file could not be written: error()
        Integrity, // the index or a chunk does not match what is signed: error()
    };

    DeltaTransfer(Setup setup, QObject *parent = nullptr);
    ~DeltaTransfer() override;

    void start(HttpTransport *transport);
    // Stops at once (exchanges aborted, nothing more written); what was written stays.
    void stop();

    [[nodiscard]] End end() const;
    [[nodiscard]] const NetResult &netResult() const;
    [[nodiscard]] const Error &error() const;
    [[nodiscard]] qint64 written() const; // bytes of the image in the partial file
    [[nodiscard]] qint64 fetched() const; // bytes received (the index and compressed chunks)
    [[nodiscard]] qint64 reused() const;  // bytes of the image copied from the seed or itself
    [[nodiscard]] qint64 toFetch() const; // bytes of the image to fetch (unpacked); -1 until known
    // What the whole transfer will have fetched (compressed), estimated from the chunks so far;
    // -1 until the seed is scanned.
    [[nodiscard]] qint64 expectedFetch() const;
    [[nodiscard]] QByteArray sha256Hex() const;  // of the whole image, once Complete
    [[nodiscard]] QByteArray indexBytes() const; // the chunk index file, once fetched and checked

Q_SIGNALS:
    void progressed();
    void finished();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace s16
