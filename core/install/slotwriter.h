#pragma once

#include "common/error.h"

#include <QByteArray>
#include <QString>

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>

namespace s16 {
namespace delta {
struct ChunkIndex;
}

enum class SlotError {
    NoTarget,         // no slot path configured
    BootedSlot,       // the target is the slot the device runs from (or falls back to): refused
    SourceUnreadable, // the staged image cannot be opened or read
    SourceSize,       // the staged image is not the size the manifest declares
    TargetUnopenable, // the slot's file or block device cannot be opened for writing
    TooSmall,         // the slot cannot hold the image
    WriteFailed,      // write() or fsync() failed (the slot now holds a partial image)
    ReadBackFailed,   // the slot could not be read back
    VerifyMismatch,   // the slot's content is not the manifest's image (its SHA-256 or chunk index)
    Cancelled,        // stopped on request between two chunks (the slot holds a partial image)
};

struct SlotProblem {
    SlotError code;
    QString message; // names the slot and the file
    QString detail;  // errno text
};

// A stable, untranslated name for logs and tests ("VerifyMismatch").
[[nodiscard]] QString slotErrorName(SlotError code);
// Every slot write problem fails the install (ExitCode::InstallFailed) by edge E51.
[[nodiscard]] Error toError(const SlotProblem &problem);

// Streams a staged image into the inactive slot (a file, or a block device on a real
// device) and proves the write: every window of the slot is read back from the medium once
// it got there (waited for, its cached pages dropped), on a second thread while the next
// windows are written, the last ones after the final fsync; the SHA-256 of what was read
// back must be the manifest's. Memory stays at two chunks whatever the image size. The
// slot the device boots (the fallback while a new image is tried) is never opened for
// writing: the caller names it and the writer compares device and inode, so a second path
// to the same file or device is caught too.
class SlotWriter
{
public:
    static constexpr qint64 kChunkBytes = 4 * 1024 * 1024;

    struct Job {
        QString image;         // the staged image file
        qint64 size = 0;       // bytes of the image, from the manifest
        QByteArray sha256;     // lowercase hex, of the image, from the manifest
        QString target;        // the inactive slot
        QString protectedSlot; // the booted / fallback slot: never written
        // The release's chunk index (signed through the manifest), when the update staged one:
        // the read back is then checked chunk by chunk against it, zeros without hashing,
        // instead of as one SHA-256 (docs/install.md, E49).
        std::shared_ptr<const delta::ChunkIndex> index = {};
    };
    // bytes of the whole step done so far, out of total = 2 * size (written + read back)
    using Progress = std::function<void(qint64 bytes, qint64 total)>;

    // stop is checked between chunks: a stop ends the write as SlotError::Cancelled.
    [[nodiscard]] static std::expected<void, SlotProblem> write(const Job &job, const Progress &progress = {}, std::stop_token stop = {});
    // The same from job.image holding the image zstd-compressed (image.zstd, fileSize bytes): it is
    // unpacked on the way into the slot, and job.size and job.sha256 stay the image's.
    [[nodiscard]] static std::expected<void, SlotProblem> writeZstd(const Job &job, qint64 fileSize, const Progress &progress = {},
                                                                    std::stop_token stop = {});
    // Whether a and b are the same file or block device (false when either is missing).
    [[nodiscard]] static bool sameDevice(const QString &a, const QString &b);

private:
    [[nodiscard]] static std::expected<void, SlotProblem> writeFrom(const Job &job, std::optional<qint64> zstdFileSize,
                                                                    const Progress &progress, const std::stop_token &stop);
};

} // namespace s16
