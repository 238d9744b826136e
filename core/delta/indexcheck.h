#pragma once

#include "compress/zstd.h"
#include "delta/chunkindex.h"

#include <map>
#include <memory>

namespace s16::delta {

// The largest chunk index a device uses to check content with (about 200,000 chunks: 3 GiB of
// data at 16 KiB or 12 GiB of zeros); a larger image is hashed whole, so memory stays bounded.
inline constexpr qint64 kMaxCheckIndexBytes = 8 * 1024 * 1024;

// Where a staged update keeps the chunk index beside its image (the path of the staged image
// file plus ".caibx"): a name that no other staged file can have.
[[nodiscard]] inline QString stagedIndexPath(const QString &stagedImage) { return stagedImage + QStringLiteral(".caibx"); }

// Checks content, as it comes in order, against a chunk index the signed manifest covers: every
// chunk's SHA-256 must be the index's id for that place, and the content must end exactly where
// the index does. That proves the same as one SHA-256 of the whole content (the index is signed,
// each id is a SHA-256), for less work: a chunk of zeros, most of an ext4 image's free space, is
// recognised by comparing it with zeros and the id of zeros of its length, without hashing it.
// Memory: the index and one chunk carried across the pieces it arrives in.
class IndexCheck final : public zstd::ContentCheck
{
public:
    explicit IndexCheck(std::shared_ptr<const ChunkIndex> index);
    ~IndexCheck() override;

    bool add(QByteArrayView content) override;
    [[nodiscard]] std::expected<zstd::Content, QString> finish(qint64 size) override;

    // What the content is said to be checked by, in zstd::Content::checkedBy.
    static QString name();

private:
    void checkChunk(QByteArrayView chunk);
    [[nodiscard]] const ChunkId &zeroIdOf(quint64 size);

    std::shared_ptr<const ChunkIndex> m_index;
    qsizetype m_next = 0;  // the chunk the next content starts or continues
    QByteArray m_carry;    // the start of that chunk, when it began in an earlier piece
    quint64 m_checked = 0; // bytes of content checked: the chunks before m_next
    QString m_error;       // the first mismatch; nothing is checked after it
    std::map<quint64, ChunkId> m_zeroIds;
};

} // namespace s16::delta
