#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <expected>
#include <functional>
#include <memory>

namespace s16::zstd {

// The publisher's settings: level 19 within an 8 MiB window (2^23), so that a device needs
// about 8 MiB to unpack an image, whatever its size.
inline constexpr int kDefaultLevel = 19;
inline constexpr int kWindowLog = 23;
// The largest window a device accepts (2^25 = 32 MiB): a frame that asks for more is refused
// before any memory is taken for it, so a hostile or careless image cannot exhaust the device.
inline constexpr int kMaxWindowLog = 25;

// Compresses the file src into dst (created or truncated, fsynced), streaming.
[[nodiscard]] std::expected<void, QString> compressFile(const QString &src, const QString &dst, int level = kDefaultLevel);

// One buffer compressed into one frame (with its content size and a checksum), as a chunk of a
// chunk store is; level as for compressFile.
[[nodiscard]] std::expected<QByteArray, QString> compress(QByteArrayView data, int level = kDefaultLevel);
// The most bytes compress() can make of size bytes: what a chunk's file may hold at most.
[[nodiscard]] qint64 compressBound(qint64 size);
// The content of one or more frames in frame, which must be exactly size bytes: more, less,
// damage or a window over kMaxWindowLog is an error. Memory: size plus the decoder's.
[[nodiscard]] std::expected<QByteArray, QString> decompress(QByteArrayView frame, qint64 size);

// Reads the content of a zstd file piece by piece, with bounded memory.
class Reader
{
public:
    ~Reader();
    Reader(const Reader &) = delete;
    Reader &operator=(const Reader &) = delete;

    // fd: an open file descriptor positioned at the start of the compressed data; not closed here.
    [[nodiscard]] static std::expected<std::unique_ptr<Reader>, QString> open(int fd);
    // Fills out with up to want bytes of content; fewer only at its end (0: the end). A damaged
    // or truncated stream, a window over kMaxWindowLog or data after the last frame is an error.
    [[nodiscard]] std::expected<qint64, QString> read(char *out, qint64 want);

private:
    Reader() = default;
    struct State;
    std::unique_ptr<State> d;
};

// What a compressed file unpacks to: its SHA-256 (lowercase hex) and size.
struct Content {
    QByteArray sha256;
    qint64 size = 0;
};

// Unpacks a zstd stream pushed to it piece by piece (as a download receives it), hashing what
// comes out and keeping none of it: a compressed image is checked while it arrives, without a
// second pass over the file. The first error sticks; later pushes are ignored.
class Unpacker
{
public:
    ~Unpacker();
    Unpacker(const Unpacker &) = delete;
    Unpacker &operator=(const Unpacker &) = delete;

    // maxSize: more content than this is an error (the declared size, exceeded).
    [[nodiscard]] static std::expected<std::unique_ptr<Unpacker>, QString> create(qint64 maxSize);
    void push(QByteArrayView data);
    // The content's SHA-256 and size; an error when the stream was damaged, asked for a window over
    // kMaxWindowLog, held more than maxSize or ended in the middle of a frame.
    [[nodiscard]] std::expected<Content, QString> finish();

private:
    Unpacker() = default;
    struct State;
    std::unique_ptr<State> d;
};

// The SHA-256 (lowercase hex) and size of the content of the zstd file at path; more than
// maxSize bytes of content is an error (a declared size that is exceeded). onProgress sees the
// compressed bytes read so far.
[[nodiscard]] std::expected<Content, QString> contentOf(const QString &path, qint64 maxSize,
                                                        const std::function<void(qint64)> &onProgress = {});

} // namespace s16::zstd
