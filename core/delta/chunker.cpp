#include "chunker.h"

#include <algorithm>

namespace s16::delta {
namespace {

// The gear table: splitmix64 from a fixed seed. Fixed forever, as a publisher's and a
// device's cuts must agree (docs/delta.md, "The chunker").
constexpr std::array<quint64, 256> makeGear()
{
    std::array<quint64, 256> table{};
    quint64 state = 0x5316'0000'0000'0001ULL;
    for (quint64 &entry : table) {
        state += 0x9E3779B97F4A7C15ULL;
        quint64 z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        entry = z ^ (z >> 31);
    }
    return table;
}
constexpr std::array<quint64, 256> kGear = makeGear();

// The hash at a position depends on the 64 bytes before it only (each step shifts one bit out).
constexpr qsizetype kHashWindow = 64;

} // namespace

bool isUsable(const ChunkSizes &s)
{
    return s.min >= quint64(kHashWindow) && s.min <= s.avg && s.avg <= s.max && s.min < s.max && s.max <= kMaxChunkSize;
}

Chunker::Chunker(ChunkSizes sizes)
    : m_sizes(sizes)
    // A cut is taken with probability 1/(avg - min) at each position past min, so that chunks
    // average about avg (a little less, as max cuts the longest ones short).
    , m_threshold((quint64(1) << 32) / std::max<quint64>(1, sizes.avg - std::min(sizes.avg - 1, sizes.min)))
{
    Q_ASSERT(isUsable(sizes));
}

qsizetype Chunker::cut(const uchar *data, qsizetype size, bool atEnd) const
{
    const auto min = qsizetype(m_sizes.min);
    const auto max = qsizetype(m_sizes.max);
    if (size <= min)
        return atEnd ? size : 0;
    const qsizetype end = std::min(size, max);
    quint64 h = 0;
    // Start hashing one window before min: the hash at min is then what it would be from 0.
    for (qsizetype i = min - kHashWindow; i < min - 1; ++i)
        h = (h << 1) + kGear[data[i]];
    for (qsizetype i = min - 1; i < end; ++i) {
        h = (h << 1) + kGear[data[i]];
        if ((h >> 32) < m_threshold)
            return i + 1;
    }
    if (end == max)
        return max;
    return atEnd ? size : 0;
}

} // namespace s16::delta
