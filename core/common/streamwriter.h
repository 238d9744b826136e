#pragma once

#include "error.h"

#include <QByteArrayView>
#include <QString>

#include <functional>
#include <memory>

namespace s16::fileutil {

// Writes a file front to back on a thread of its own, so that whoever produces the bytes (a
// download receiving them) never waits for the medium. Where the file system allows it, whole
// aligned blocks go to the medium directly (O_DIRECT): no copy into the page cache, no
// writeback left for the kernel, and a gigabyte image never pushes the running system's files
// out of memory. What cannot go that way (a head before the first aligned offset, the tail of
// the last block, a file system that refuses O_DIRECT) goes through the page cache, with
// WriteBehind. A tap sees every byte too, in order, on a thread of its own and from the same
// blocks (a download hashes what it writes that way, on a third core and without a second copy).
// Memory: kBlocks blocks of kBlockBytes, which is also what a killed process loses at most.
// Durable only after the caller's fsync, which follows finish().
class StreamWriter
{
public:
    static constexpr qsizetype kBlockBytes = 1024 * 1024;
    static constexpr int kBlocks = 6;
    static constexpr qint64 kAlignment = 4096; // of file offsets, lengths and memory for O_DIRECT
    using Tap = std::function<void(QByteArrayView bytes)>;

    // Writes into the existing file at path from offset on (what is before it stays); tap, if
    // given, is called with the bytes of each block in order, on its own thread.
    [[nodiscard]] static Result<std::unique_ptr<StreamWriter>> open(const QString &path, qint64 offset, Tap tap = {});
    ~StreamWriter(); // writes what was queued, then stops its thread
    StreamWriter(const StreamWriter &) = delete;
    StreamWriter &operator=(const StreamWriter &) = delete;

    // Queues data after what came before; waits while every block is queued. False once a
    // write has failed: finish() then says why, and nothing more is written.
    [[nodiscard]] bool write(QByteArrayView data);
    // Waits until everything queued is in the file (not yet synced) and the tap has seen it: the
    // first failure to write, if any.
    [[nodiscard]] Status finish();
    // Whether aligned blocks bypass the page cache (false: this file system refused O_DIRECT).
    [[nodiscard]] bool isDirect() const;

private:
    StreamWriter();
    struct State;
    std::unique_ptr<State> d;
};

} // namespace s16::fileutil
