#include "chunkindex.h"

#include "crypto/crypto.h"

#include <QStringBuilder>
#include <QtEndian>

#include <cstring>

namespace s16::delta {
namespace {

// casync's format constants (its caformat.h; checked against casync 2 on Debian 12).
constexpr quint64 kIndexType = 0x96824d9c7b129ff9ULL;
constexpr quint64 kTableType = 0xe75b9e112f17417dULL;
constexpr quint64 kTailMarker = 0x4b4f050e5549ecd1ULL;
constexpr quint64 kIndexHeaderSize = 48;
// The feature flags `casync make --digest=sha256` writes for a blob; the SHA-512/256 flag
// (which it sets by default) picks another digest, which this reader refuses.
constexpr quint64 kBlobFlags = 0x9000000000000000ULL;
constexpr quint64 kFlagSha512_256 = 0x2000000000000000ULL;
constexpr qsizetype kEntrySize = 40;

void put64(QByteArray &out, quint64 v)
{
    char b[8];
    qToLittleEndian(v, b);
    out.append(b, 8);
}

quint64 get64(QByteArrayView in, qsizetype at) { return qFromLittleEndian<quint64>(in.data() + at); }

} // namespace

QByteArray toHex(const ChunkId &id) { return QByteArray(reinterpret_cast<const char *>(id.data()), qsizetype(id.size())).toHex(); }

ChunkId chunkIdFromRaw(QByteArrayView raw32)
{
    ChunkId id{};
    Q_ASSERT(raw32.size() == qsizetype(id.size()));
    std::memcpy(id.data(), raw32.data(), id.size());
    return id;
}

ChunkId chunkIdOf(QByteArrayView data) { return chunkIdFromRaw(crypto::Sha256::hash(data)); }

QString chunkStorePath(const ChunkId &id)
{
    const QString hex = QString::fromLatin1(toHex(id));
    return hex.left(4) % QLatin1Char('/') % hex % QStringLiteral(".cacnk");
}

QByteArray serialize(const ChunkIndex &index)
{
    QByteArray out;
    out.reserve(qsizetype(kIndexHeaderSize) + 16 + index.entries.size() * kEntrySize + 40);
    put64(out, kIndexHeaderSize);
    put64(out, kIndexType);
    put64(out, kBlobFlags);
    put64(out, index.sizes.min);
    put64(out, index.sizes.avg);
    put64(out, index.sizes.max);
    put64(out, ~quint64(0)); // the table's size is not known up front: its tail says it
    put64(out, kTableType);
    for (const IndexEntry &e : index.entries) {
        put64(out, e.end);
        out.append(reinterpret_cast<const char *>(e.id.data()), qsizetype(e.id.size()));
    }
    const quint64 tableSize = 16 + quint64(index.entries.size()) * kEntrySize + 40;
    put64(out, 0);
    put64(out, 0);
    put64(out, kIndexHeaderSize); // where the table starts
    put64(out, tableSize);
    put64(out, kTailMarker);
    return out;
}

std::expected<ChunkIndex, QString> parse(QByteArrayView in)
{
    using Fail = std::unexpected<QString>;
    constexpr qsizetype kFixed = qsizetype(kIndexHeaderSize) + 16 + 40;
    if (in.size() > kMaxIndexBytes)
        return Fail(QStringLiteral("the chunk index is larger than %1 bytes").arg(kMaxIndexBytes));
    if (in.size() < kFixed)
        return Fail(QStringLiteral("the chunk index is too short (%1 bytes)").arg(in.size()));
    if (get64(in, 0) != kIndexHeaderSize || get64(in, 8) != kIndexType)
        return Fail(QStringLiteral("not a casync blob index (.caibx)"));
    const quint64 flags = get64(in, 16);
    if (flags & kFlagSha512_256)
        return Fail(QStringLiteral("the chunk index uses SHA-512/256 chunk ids; only SHA-256 is accepted (casync make --digest=sha256)"));
    ChunkIndex index;
    index.sizes = ChunkSizes{get64(in, 24), get64(in, 32), get64(in, 40)};
    if (!isUsable(index.sizes))
        return Fail(QStringLiteral("the chunk index's sizes (min %1, avg %2, max %3) are not usable")
                        .arg(index.sizes.min)
                        .arg(index.sizes.avg)
                        .arg(index.sizes.max));
    if (get64(in, 48) != ~quint64(0) || get64(in, 56) != kTableType)
        return Fail(QStringLiteral("the chunk index has no chunk table"));
    const qsizetype body = in.size() - kFixed;
    if (body % kEntrySize != 0)
        return Fail(QStringLiteral("the chunk index's table is cut off"));
    const qsizetype tail = in.size() - 40;
    const quint64 tableSize = quint64(in.size()) - kIndexHeaderSize;
    if (get64(in, tail) != 0 || get64(in, tail + 8) != 0 || get64(in, tail + 16) != kIndexHeaderSize || get64(in, tail + 24) != tableSize
        || get64(in, tail + 32) != kTailMarker)
        return Fail(QStringLiteral("the chunk index's table tail is wrong"));
    const qsizetype count = body / kEntrySize;
    index.entries.reserve(count);
    quint64 previous = 0;
    for (qsizetype i = 0; i < count; ++i) {
        const qsizetype at = 64 + i * kEntrySize;
        IndexEntry e;
        e.end = get64(in, at);
        std::memcpy(e.id.data(), in.data() + at + 8, e.id.size());
        const quint64 size = e.end > previous ? e.end - previous : 0;
        const bool last = i + 1 == count;
        if (size == 0 || size > index.sizes.max || (!last && size < index.sizes.min))
            return Fail(
                QStringLiteral("chunk %1 of the index (bytes %2 to %3) breaks the index's chunk sizes").arg(i).arg(previous).arg(e.end));
        previous = e.end;
        index.entries.append(e);
    }
    return index;
}

} // namespace s16::delta
