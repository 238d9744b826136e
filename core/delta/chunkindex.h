#pragma once

#include "delta/chunker.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <array>
#include <expected>

namespace s16::delta {

// A chunk's identity: the SHA-256 of its (uncompressed) bytes.
using ChunkId = std::array<uchar, 32>;

[[nodiscard]] QByteArray toHex(const ChunkId &id);
[[nodiscard]] ChunkId chunkIdOf(QByteArrayView data);
[[nodiscard]] ChunkId chunkIdFromRaw(QByteArrayView raw32);

// Where a chunk lies in a chunk store, as casync lays it out: "1a2b/1a2b…(64 hex).cacnk",
// the file being the chunk compressed with zstd.
[[nodiscard]] QString chunkStorePath(const ChunkId &id);

struct IndexEntry {
    quint64 end = 0; // the offset just past the chunk in the image
    ChunkId id{};
    friend bool operator==(const IndexEntry &, const IndexEntry &) = default;
};

// An image cut into chunks: casync's blob index (.caibx), with SHA-256 chunk ids. casync reads
// what serialize() writes (`casync extract --store=… INDEX OUT`), and parse() reads what
// `casync make --digest=sha256` writes: the format is casync's, documented in docs/delta.md.
struct ChunkIndex {
    ChunkSizes sizes;
    QList<IndexEntry> entries;

    [[nodiscard]] quint64 imageSize() const { return entries.isEmpty() ? 0 : entries.constLast().end; }
    [[nodiscard]] quint64 startOf(qsizetype i) const { return i == 0 ? 0 : entries[i - 1].end; }
    [[nodiscard]] quint64 sizeOf(qsizetype i) const { return entries[i].end - startOf(i); }
    friend bool operator==(const ChunkIndex &, const ChunkIndex &) = default;
};

// The largest index a device reads: 4 Mi chunks (a 64 GiB image at 16 KiB chunks).
inline constexpr qint64 kMaxIndexBytes = 4LL * 1024 * 1024 * 40 + 128;

[[nodiscard]] QByteArray serialize(const ChunkIndex &index);
// Strict: casync's index header with SHA-256 ids (no other digest), usable chunk sizes, a table
// whose offsets climb and whose every chunk keeps to min and max (the last may be shorter),
// and the table's tail. Anything else is an error naming what is wrong.
[[nodiscard]] std::expected<ChunkIndex, QString> parse(QByteArrayView bytes);

} // namespace s16::delta
