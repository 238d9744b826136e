#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace s16::crypto {

// SHA-256 computed on a thread of its own: addData() copies the bytes into blocks that the
// thread hashes, so that the caller's thread (a download's, receiving and writing) goes on while
// the hash, the costliest part of receiving an image, runs on another core. Memory: kBlocks
// blocks of kBlockBytes; addData() waits while all of them are queued. The same contract as
// Sha256: hexResult() finalises and leaves the object ready for a new message.
class ThreadedSha256
{
public:
    static constexpr qsizetype kBlockBytes = 1024 * 1024;
    static constexpr int kBlocks = 4;

    ThreadedSha256();
    ~ThreadedSha256(); // stops and joins its thread
    ThreadedSha256(const ThreadedSha256 &) = delete;
    ThreadedSha256 &operator=(const ThreadedSha256 &) = delete;

    void addData(QByteArrayView data);
    // Waits until everything added is hashed: 64 lowercase hex characters.
    [[nodiscard]] QByteArray hexResult();
    // Drops what was added and starts a new message.
    void reset();

private:
    struct State;
    std::unique_ptr<State> d;
};

} // namespace s16::crypto
