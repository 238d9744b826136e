#pragma once

#include "error.h"

#include <QByteArray>
#include <QString>

// Durable file operations. Every file the updater relies on after a power cut is
// written through these: write beside, fsync the file, rename, fsync the folder.
namespace s16::fileutil {

// Writes data to path atomically: a reader sees the old content or the new, never
// a mix, also after a power cut. Errors are ExitCode::StorageError.
[[nodiscard]] Status writeAtomically(const QString &path, const QByteArray &data, int mode = 0644);
// Renames from to to (same file system) and fsyncs the destination folder.
[[nodiscard]] Status renameDurably(const QString &from, const QString &to);
// fsyncs a file or folder by path.
[[nodiscard]] Status syncPath(const QString &path);
// Reads a whole small file, refusing one larger than maxBytes.
[[nodiscard]] Result<QByteArray> readSmallFile(const QString &path, qint64 maxBytes);
// Makes path a real folder of its own: a symbolic link, or anything else that is not a
// folder, standing at path is removed first (the link itself, never what it points to), so
// nothing written below path can land elsewhere. Folders above path are created as needed.
[[nodiscard]] Status ensureDirectory(const QString &path);
// Removes path and, if it is a real folder, everything below it. A symbolic link is removed
// as a link: neither it nor a link inside the tree is ever followed. Missing is success.
[[nodiscard]] bool removeTree(const QString &path);
// Free bytes available to an unprivileged writer on the file system holding path.
[[nodiscard]] Result<qint64> freeBytes(const QString &path);

// Streaming writeback for a file written front to back (an image into a slot, a download
// into its partial file): each window goes to the medium as soon as it is written
// (sync_file_range), the one before it is waited for and dropped from the page cache. The
// medium works while the next bytes arrive, at most two windows are dirty at a time (a
// device with little RAM never holds a gigabyte of dirty pages), and the final fsync has
// almost nothing left. Only a hint: the fsync at the end is what makes the file durable,
// and a file system without sync_file_range simply gets no head start.
class WriteBehind
{
public:
    static constexpr qint64 kWindowBytes = 8 * 1024 * 1024;
    // Writing continues at offset from (a resumed download), rounded down to a window.
    explicit WriteBehind(qint64 from = 0)
        : m_started(from - from % kWindowBytes)
    {
    }
    // The file (descriptor fd) now holds its bytes up to end.
    void written(int fd, qint64 end);
    // The bytes before this offset went to the medium (waited for) and left the page cache,
    // as far as written() saw to it: a read of them now comes from the medium.
    [[nodiscard]] qint64 settled() const { return m_settled; }

private:
    qint64 m_started;
    qint64 m_settled = 0;
};

} // namespace s16::fileutil
