#pragma once

#include "delta/chunkindex.h"

#include <QByteArrayView>
#include <QString>

#include <expected>
#include <memory>
#include <optional>
#include <vector>

namespace s16::delta {

// One chunk as a ChunkReader cut it: where it lies and its bytes (valid until the next call).
struct Chunk {
    quint64 offset = 0;
    QByteArrayView data;
};

// Reads a file or block device from its start and cuts it into chunks with bounded memory
// (a buffer of a few MiB, whatever the size). Used by the publisher to cut a release image and
// by the device to find out which chunks its running slot holds.
class ChunkReader
{
public:
    // fd stays open and owned by the caller; limit: read at most this many bytes (-1: to the end).
    ChunkReader(int fd, ChunkSizes sizes, qint64 limit = -1);
    // The next chunk, std::nullopt at the end.
    [[nodiscard]] std::expected<std::optional<Chunk>, QString> next();
    [[nodiscard]] quint64 offset() const { return m_offset; }

private:
    int m_fd;
    Chunker m_chunker;
    qint64 m_left;
    std::vector<uchar> m_buffer;
    qsizetype m_begin = 0;
    qsizetype m_end = 0;
    bool m_eof = false;
    quint64 m_offset = 0;
};

// What writeChunkStore did: the index and how much it stored.
struct StoreResult {
    ChunkIndex index;
    qint64 newChunks = 0;    // chunk files written now
    qint64 newBytes = 0;     // their compressed bytes
    qint64 reusedChunks = 0; // already in the store (an earlier release, or repeated content)
};

// Cuts image into chunks of sizes and stores each chunk that storeDir does not hold yet as
// "xxxx/<id>.cacnk" (zstd at level), then syncs the store's file system. The index of the image
// is returned, not written.
[[nodiscard]] std::expected<StoreResult, QString> writeChunkStore(const QString &image, const QString &storeDir, ChunkSizes sizes,
                                                                  int level);

} // namespace s16::delta
