#include "fileutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringBuilder>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace s16::fileutil {
namespace {

QString errnoText(int err) { return QString::fromLocal8Bit(std::strerror(err)); }

Status writeAll(int fd, const QByteArray &data, const QString &path)
{
    const char *p = data.constData();
    qsizetype left = data.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, size_t(left));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(ExitCode::StorageError, QStringLiteral("cannot write %1").arg(path), errnoText(errno));
        }
        p += n;
        left -= n;
    }
    return {};
}

} // namespace

Status syncPath(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot open %1 to sync it").arg(path), errnoText(errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot sync %1").arg(path), errnoText(err));
    return {};
}

Status renameDurably(const QString &from, const QString &to)
{
    if (::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) != 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot rename %1 to %2").arg(from, to), errnoText(errno));
    return syncPath(QFileInfo(to).absolutePath());
}

Status writeAtomically(const QString &path, const QByteArray &data, int mode)
{
    const QString tmp = path % QStringLiteral(".tmp");
    const int fd = ::open(QFile::encodeName(tmp).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot create %1").arg(tmp), errnoText(errno));
    ::fchmod(fd, mode_t(mode)); // the umask must not loosen or tighten what the caller asked for
    auto written = writeAll(fd, data, tmp);
    if (written && ::fsync(fd) != 0)
        written = fail(ExitCode::StorageError, QStringLiteral("cannot sync %1").arg(tmp), errnoText(errno));
    ::close(fd);
    if (!written) {
        ::unlink(QFile::encodeName(tmp).constData());
        return written;
    }
    return renameDurably(tmp, path);
}

Result<QByteArray> readSmallFile(const QString &path, qint64 maxBytes)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(ExitCode::StorageError, QStringLiteral("cannot read %1").arg(path), f.errorString());
    if (f.size() > maxBytes)
        return fail(ExitCode::StorageError, QStringLiteral("%1 is larger than %2 bytes").arg(path).arg(maxBytes));
    // Read one byte more than allowed, so a file that grows or lies about its size is caught
    // too, but allocate only as much as arrives: QIODevice::read(n) reserves all n bytes,
    // a megabyte for a configuration of a few hundred.
    QByteArray data;
    data.reserve(qsizetype(std::min(f.size(), maxBytes) + 1));
    char chunk[16 * 1024];
    while (data.size() <= maxBytes) {
        const qint64 n = f.read(chunk, std::min<qint64>(sizeof chunk, maxBytes + 1 - data.size()));
        if (n < 0)
            return fail(ExitCode::StorageError, QStringLiteral("cannot read %1").arg(path), f.errorString());
        if (n == 0)
            break;
        data.append(chunk, qsizetype(n));
    }
    if (data.size() > maxBytes)
        return fail(ExitCode::StorageError, QStringLiteral("%1 is larger than %2 bytes").arg(path).arg(maxBytes));
    return data;
}

Status ensureDirectory(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat st {
    };
    if (::lstat(native.constData(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return {};
        // a link (to a folder or not) or a file where our folder belongs: drop it, never follow it
        if (::unlink(native.constData()) != 0)
            return fail(ExitCode::StorageError, QStringLiteral("cannot remove %1, which is not a folder").arg(path), errnoText(errno));
    }
    if (!QDir().mkpath(path))
        return fail(ExitCode::StorageError, QStringLiteral("cannot create the folder %1").arg(path));
    if (::lstat(native.constData(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(ExitCode::StorageError, QStringLiteral("%1 is not a folder").arg(path));
    return {};
}

bool removeTree(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat st {
    };
    if (::lstat(native.constData(), &st) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return ::unlink(native.constData()) == 0;
    // a real folder: QDir removes links inside it as links
    return QDir(path).removeRecursively();
}

Result<qint64> freeBytes(const QString &path)
{
    struct statvfs st {
    };
    if (::statvfs(QFile::encodeName(path).constData(), &st) != 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot query free space of %1").arg(path), errnoText(errno));
    return qint64(st.f_bavail) * qint64(st.f_frsize);
}

void WriteBehind::written(int fd, qint64 end)
{
    while (end - m_started >= kWindowBytes) {
        (void)::sync_file_range(fd, m_started, kWindowBytes, SYNC_FILE_RANGE_WRITE);
        if (m_started >= kWindowBytes) {
            const qint64 previous = m_started - kWindowBytes;
            (void)::sync_file_range(fd, previous, kWindowBytes,
                                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
            (void)::posix_fadvise(fd, previous, kWindowBytes, POSIX_FADV_DONTNEED);
            m_settled = m_started;
        }
        m_started += kWindowBytes;
    }
}

} // namespace s16::fileutil
