#pragma once

#include <QtGlobal>

#include <array>

namespace s16::delta {

// The chunk sizes of an index, as casync names them: no chunk is shorter than min (but the
// last) or longer than max, and their average is near avg.
struct ChunkSizes {
    quint64 min = 4 * 1024;
    quint64 avg = 16 * 1024;
    quint64 max = 64 * 1024;
    friend bool operator==(const ChunkSizes &, const ChunkSizes &) = default;
};

// The publisher's default: 16 KiB on average. Smaller chunks find more of an old image in a
// new one, larger ones cost fewer requests; docs/delta.md has the measurements.
inline constexpr ChunkSizes kDefaultChunkSizes{};
// What a device accepts in an index: a max beyond this is refused before anything is fetched,
// so that one chunk's memory stays small whatever the server says.
inline constexpr quint64 kMaxChunkSize = 4 * 1024 * 1024;

// Whether sizes can be chunked with: 64 <= min <= avg <= max <= kMaxChunkSize, min < max.
[[nodiscard]] bool isUsable(const ChunkSizes &sizes);

// Content-defined chunking with a gear hash (a rolling hash over the last 64 bytes): a cut
// falls where the content says, so that bytes inserted or removed in one place move the cuts
// only nearby, and the unchanged rest of an image is cut into the same chunks as before. The
// device cuts its running slot with the same function to find which chunks it already has.
// The gear table and the cut rule are part of the format (docs/delta.md); changing them
// changes nothing a device verifies, only how much it finds.
class Chunker
{
public:
    explicit Chunker(ChunkSizes sizes);
    // The length of the chunk that begins at data[0]: a cut point within size bytes, or size
    // itself when atEnd (the last chunk), or 0 when more data is needed to decide (the caller
    // keeps at least sizes.max bytes ahead where it can).
    [[nodiscard]] qsizetype cut(const uchar *data, qsizetype size, bool atEnd) const;
    [[nodiscard]] const ChunkSizes &sizes() const { return m_sizes; }

private:
    ChunkSizes m_sizes;
    quint64 m_threshold; // a cut where the hash's top 32 bits are below this
};

} // namespace s16::delta
