#include "chunkstore.h"

#include "compress/zstd.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QScopeGuard>
#include <QSet>
#include <QStringBuilder>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>

namespace s16::delta {
namespace {

constexpr qsizetype kReadBytes = 4 * 1024 * 1024;

QString errnoText(int err) { return QString::fromLocal8Bit(std::strerror(err)); }

} // namespace

ChunkReader::ChunkReader(int fd, ChunkSizes sizes, qint64 limit)
    : m_fd(fd)
    , m_chunker(sizes)
    , m_left(limit < 0 ? std::numeric_limits<qint64>::max() : limit)
    , m_buffer(size_t(kReadBytes + qsizetype(sizes.max)))
{
}

std::expected<std::optional<Chunk>, QString> ChunkReader::next()
{
    for (;;) {
        const qsizetype have = m_end - m_begin;
        if (have == 0 && m_eof)
            return std::nullopt;
        const qsizetype length = m_chunker.cut(m_buffer.data() + m_begin, have, m_eof);
        if (length > 0) {
            Chunk chunk{m_offset, QByteArrayView(m_buffer.data() + m_begin, length)};
            m_begin += length;
            m_offset += quint64(length);
            return chunk;
        }
        // More data is needed to decide: move what is left to the front and read on.
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, size_t(have));
        m_begin = 0;
        m_end = have;
        while (!m_eof && m_end < qsizetype(m_buffer.size())) {
            const qint64 want = std::min<qint64>(qint64(m_buffer.size()) - m_end, m_left);
            if (want == 0) {
                m_eof = true;
                break;
            }
            const ssize_t n = ::read(m_fd, m_buffer.data() + m_end, size_t(want));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return std::unexpected(QStringLiteral("read error at byte %1: %2").arg(m_offset + quint64(m_end)).arg(errnoText(errno)));
            if (n == 0)
                m_eof = true;
            m_end += n;
            m_left -= n;
        }
    }
}

std::expected<StoreResult, QString> writeChunkStore(const QString &image, const QString &storeDir, ChunkSizes sizes, int level)
{
    const int fd = ::open(QFile::encodeName(image).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(QStringLiteral("cannot open %1: %2").arg(image, errnoText(errno)));
    const auto closer = qScopeGuard([fd] { ::close(fd); });
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (!QDir().mkpath(storeDir))
        return std::unexpected(QStringLiteral("cannot create %1").arg(storeDir));

    StoreResult result;
    result.index.sizes = sizes;
    ChunkReader reader(fd, sizes);
    QSet<QString> madeDirs;
    for (;;) {
        auto next = reader.next();
        if (!next)
            return std::unexpected(image % QStringLiteral(": ") % next.error());
        if (!*next)
            break;
        const Chunk &chunk = **next;
        const ChunkId id = chunkIdOf(chunk.data);
        result.index.entries.append(IndexEntry{chunk.offset + quint64(chunk.data.size()), id});
        const QString path = storeDir % QLatin1Char('/') % chunkStorePath(id);
        if (QFileInfo::exists(path)) {
            ++result.reusedChunks;
            continue;
        }
        const QString dir = QFileInfo(path).path();
        if (!madeDirs.contains(dir)) {
            if (!QDir().mkpath(dir))
                return std::unexpected(QStringLiteral("cannot create %1").arg(dir));
            madeDirs.insert(dir);
        }
        auto packed = zstd::compress(chunk.data, level);
        if (!packed)
            return std::unexpected(packed.error());
        // Written under a temporary name and renamed: a chunk file is whole or absent.
        QFile out(path % QStringLiteral(".tmp"));
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(*packed) != packed->size() || !out.flush()) {
            const QString why = out.errorString();
            out.remove();
            return std::unexpected(QStringLiteral("cannot write %1: %2").arg(out.fileName(), why));
        }
        out.close();
        if (::rename(QFile::encodeName(out.fileName()).constData(), QFile::encodeName(path).constData()) != 0)
            return std::unexpected(QStringLiteral("cannot rename %1: %2").arg(out.fileName(), errnoText(errno)));
        ++result.newChunks;
        result.newBytes += packed->size();
    }
    // One sync for the whole store instead of one per chunk (thousands of them).
    const int dirFd = ::open(QFile::encodeName(storeDir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0 || ::syncfs(dirFd) != 0) {
        const int err = errno;
        if (dirFd >= 0)
            ::close(dirFd);
        return std::unexpected(QStringLiteral("cannot sync %1: %2").arg(storeDir, errnoText(err)));
    }
    ::close(dirFd);
    return result;
}

} // namespace s16::delta
