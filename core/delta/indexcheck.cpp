#include "indexcheck.h"

#include "crypto/crypto.h"

#include <QStringBuilder>

#include <algorithm>
#include <cstring>

namespace s16::delta {
namespace {

bool allZero(QByteArrayView data)
{
    // Whole words first: a chunk of real data differs from zeros in its first bytes, a chunk of
    // zeros is read at memory speed.
    const char *p = data.data();
    qsizetype n = data.size();
    for (; n >= qsizetype(sizeof(quint64)); p += sizeof(quint64), n -= sizeof(quint64)) {
        quint64 word;
        std::memcpy(&word, p, sizeof word);
        if (word != 0)
            return false;
    }
    return std::all_of(p, p + n, [](char c) { return c == 0; });
}

} // namespace

IndexCheck::IndexCheck(std::shared_ptr<const ChunkIndex> index)
    : m_index(std::move(index))
{
    m_carry.reserve(qsizetype(m_index->sizes.max)); // taken once, not on the checking thread
}

IndexCheck::~IndexCheck() = default;

QString IndexCheck::name() { return QStringLiteral("the chunk index"); }

const ChunkId &IndexCheck::zeroIdOf(quint64 size)
{
    auto it = m_zeroIds.find(size);
    if (it == m_zeroIds.end()) {
        // Hashed from one page of zeros: no chunk-sized buffer on the checking thread.
        static const char zeros[4096] = {};
        crypto::Sha256 hash;
        for (quint64 left = size; left > 0;) {
            const quint64 n = std::min<quint64>(left, sizeof zeros);
            hash.addData(QByteArrayView(zeros, qsizetype(n)));
            left -= n;
        }
        it = m_zeroIds.emplace(size, chunkIdFromRaw(hash.result())).first;
    }
    return it->second;
}

void IndexCheck::checkChunk(QByteArrayView chunk)
{
    const ChunkId &expected = m_index->entries[m_next].id;
    const bool matches = allZero(chunk) ? zeroIdOf(quint64(chunk.size())) == expected : chunkIdOf(chunk) == expected;
    if (!matches) {
        m_error = QStringLiteral("bytes %1 to %2 of the content do not match chunk %3 of the chunk index")
                      .arg(m_checked)
                      .arg(m_checked + quint64(chunk.size()))
                      .arg(m_next);
        return;
    }
    m_checked += quint64(chunk.size());
    ++m_next;
}

bool IndexCheck::add(QByteArrayView content)
{
    const auto &entries = m_index->entries;
    while (!content.isEmpty() && m_error.isEmpty()) {
        if (m_next >= entries.size()) {
            m_error = QStringLiteral("the content goes on past the %1 bytes of the chunk index").arg(m_index->imageSize());
            break;
        }
        const qsizetype want = qsizetype(m_index->sizeOf(m_next)) - m_carry.size();
        if (m_carry.isEmpty() && content.size() >= want) {
            checkChunk(content.first(want)); // the common case: the whole chunk is in this piece
        } else {
            const qsizetype take = std::min(want, content.size());
            m_carry.append(content.first(take));
            if (take == want) {
                checkChunk(m_carry);
                m_carry.resize(0); // keeps its capacity
            }
        }
        content = content.sliced(std::min(want, content.size()));
    }
    return m_error.isEmpty();
}

std::expected<zstd::Content, QString> IndexCheck::finish(qint64 size)
{
    if (!m_error.isEmpty())
        return std::unexpected(m_error);
    if (m_next != m_index->entries.size())
        return std::unexpected(
            QStringLiteral("the content ends after %1 bytes; the chunk index has %2").arg(size).arg(m_index->imageSize()));
    return zstd::Content{{}, size, name()};
}

} // namespace s16::delta
