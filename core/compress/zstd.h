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

// What a compressed file unpacks to: its size and, unless a ContentCheck of the caller's proved
// it otherwise, its SHA-256 (lowercase hex).
struct Content {
    QByteArray sha256; // empty when checkedBy says what proved the content instead
    qint64 size = 0;
    QString checkedBy; // e.g. "the chunk index": the content matched it, chunk by chunk
};

// Where an Unpacker's content goes, in order, on the Unpacker's second thread. The default
// hashes it whole (SHA-256); a caller that has a signed list of the content's pieces can check
// them instead (delta::IndexCheck).
class ContentCheck
{
public:
    virtual ~ContentCheck();
    // False once the content cannot be what was expected any more (finish() says why): nothing
    // more need be given.
    [[nodiscard]] virtual bool add(QByteArrayView content) = 0;
    // After the last add(), with the size unpacked: what the content is, or why it is not what
    // was expected.
    [[nodiscard]] virtual std::expected<Content, QString> finish(qint64 size) = 0;
};

// The default check: one SHA-256 of the whole content (Content::sha256).
[[nodiscard]] std::unique_ptr<ContentCheck> wholeSha256Check();

// Unpacks a zstd stream pushed to it piece by piece (as a download receives it), checking what
// comes out and keeping none of it: a compressed image is checked while it arrives, without a
// second pass over the file. Two threads of its own do the work, one unpacking and one checking
// (a SHA-256 of the whole content is the slower half), so that a download on two cores takes
// about as long as the check alone; the caller's thread only copies what it pushes.
// Memory: at most about kBacklogBytes of pushed data, kBlocks blocks of kBlockBytes unpacked
// content and the decoder's window. The first error sticks; later pushes are dropped.
class Unpacker
{
public:
    // Pushed data not unpacked yet beyond which push() asks the caller to wait; room is
    // announced again when it is down to a quarter of that.
    static constexpr qint64 kBacklogBytes = 2 * 1024 * 1024;
    static constexpr qint64 kBlockBytes = 1024 * 1024;
    static constexpr int kBlocks = 3;

    ~Unpacker(); // stops and joins its threads; what was pushed and not unpacked is dropped
    Unpacker(const Unpacker &) = delete;
    Unpacker &operator=(const Unpacker &) = delete;

    // maxSize: more content than this is an error (the declared size, exceeded). onRoom is
    // called, on one of the unpacker's threads, when push() had said "wait" and the backlog
    // has come down again; it must only hand the news over (a queued call), not push itself.
    // check: where the content goes (null: hashed whole with SHA-256).
    [[nodiscard]] static std::expected<std::unique_ptr<Unpacker>, QString> create(qint64 maxSize, std::function<void()> onRoom = {},
                                                                                  std::unique_ptr<ContentCheck> check = {});
    // Takes a copy of data. Returns false when more than kBacklogBytes wait to be unpacked: the
    // caller should stop receiving until onRoom, or call waitForRoom(). Never drops data.
    bool push(QByteArrayView data);
    // Blocks until the backlog is down to a quarter of kBacklogBytes (or an error stopped the work).
    void waitForRoom();
    // Whether the work has stopped on an error already (a damaged stream, too much content, or
    // content the check refused): finish() will say why. The caller need not send the rest.
    [[nodiscard]] bool failed() const;
    // Waits for everything pushed, then: what the check found (by default the content's SHA-256
    // and size); an error when the stream was damaged, asked for a window over kMaxWindowLog,
    // held more than maxSize, ended in the middle of a frame or failed the check. Call it once;
    // push nothing after it.
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
