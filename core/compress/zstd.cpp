#include "zstd.h"

#include "crypto/crypto.h"

#include <QFile>

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace s16::zstd {
namespace {

QString zstdText(size_t code) { return QString::fromLatin1(ZSTD_getErrorName(code)); }
QString errnoText(int err) { return QString::fromLocal8Bit(std::strerror(err)); }

qint64 readSome(int fd, char *buffer, qint64 want)
{
    for (;;) {
        const ssize_t n = ::read(fd, buffer, size_t(want));
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

bool writeAll(int fd, const char *data, qint64 size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size_t(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= n;
    }
    return true;
}

struct FdGuard {
    int fd = -1;
    ~FdGuard()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

} // namespace

std::expected<void, QString> compressFile(const QString &src, const QString &dst, int level)
{
    FdGuard in{::open(QFile::encodeName(src).constData(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0)
        return std::unexpected(QStringLiteral("cannot open %1: %2").arg(src, errnoText(errno)));
    FdGuard out{::open(QFile::encodeName(dst).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (out.fd < 0)
        return std::unexpected(QStringLiteral("cannot create %1: %2").arg(dst, errnoText(errno)));
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!cctx)
        return std::unexpected(QStringLiteral("zstd: out of memory"));
    // The level, within the window a small device can afford; a checksum in every frame; the
    // content size in the header. Every core helps when libzstd was built with threads.
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, kWindowLog);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, int(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN))));
    struct stat st {
    };
    if (::fstat(in.fd, &st) == 0)
        ZSTD_CCtx_setPledgedSrcSize(cctx.get(), static_cast<unsigned long long>(st.st_size));

    std::vector<char> inBuf(ZSTD_CStreamInSize()), outBuf(ZSTD_CStreamOutSize());
    for (;;) {
        const qint64 got = readSome(in.fd, inBuf.data(), qint64(inBuf.size()));
        if (got < 0)
            return std::unexpected(QStringLiteral("cannot read %1: %2").arg(src, errnoText(errno)));
        const ZSTD_EndDirective mode = got == 0 ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer input{inBuf.data(), size_t(got), 0};
        bool finished = false;
        do {
            ZSTD_outBuffer output{outBuf.data(), outBuf.size(), 0};
            const size_t left = ZSTD_compressStream2(cctx.get(), &output, &input, mode);
            if (ZSTD_isError(left))
                return std::unexpected(QStringLiteral("zstd cannot compress %1: %2").arg(src, zstdText(left)));
            if (!writeAll(out.fd, outBuf.data(), qint64(output.pos)))
                return std::unexpected(QStringLiteral("cannot write %1: %2").arg(dst, errnoText(errno)));
            finished = mode == ZSTD_e_end ? left == 0 : input.pos == input.size;
        } while (!finished);
        if (got == 0)
            break;
    }
    if (::fsync(out.fd) != 0)
        return std::unexpected(QStringLiteral("cannot sync %1: %2").arg(dst, errnoText(errno)));
    return {};
}

std::expected<QByteArray, QString> compress(QByteArrayView data, int level)
{
    // One context per thread, kept: a chunk store compresses thousands of chunks in a row.
    thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!cctx)
        return std::unexpected(QStringLiteral("zstd: out of memory"));
    ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, kWindowLog);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
    QByteArray out(qsizetype(ZSTD_compressBound(size_t(data.size()))), Qt::Uninitialized);
    const size_t n = ZSTD_compress2(cctx.get(), out.data(), size_t(out.size()), data.data(), size_t(data.size()));
    if (ZSTD_isError(n))
        return std::unexpected(QStringLiteral("zstd cannot compress: %1").arg(zstdText(n)));
    out.truncate(qsizetype(n));
    return out;
}

qint64 compressBound(qint64 size) { return qint64(ZSTD_compressBound(size_t(size))); }

std::expected<QByteArray, QString> decompress(QByteArrayView frame, qint64 size)
{
    thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
    if (!dctx)
        return std::unexpected(QStringLiteral("zstd: out of memory"));
    ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_and_parameters);
    ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
    QByteArray out(qsizetype(size), Qt::Uninitialized);
    ZSTD_inBuffer input{frame.data(), size_t(frame.size()), 0};
    ZSTD_outBuffer output{out.data(), size_t(out.size()), 0};
    size_t hint = 1;
    // Until the input is used up; a frame that wants to produce more than size is refused.
    while (input.pos < input.size) {
        const size_t before = output.pos;
        const size_t consumed = input.pos;
        hint = ZSTD_decompressStream(dctx.get(), &output, &input);
        if (ZSTD_isError(hint))
            return std::unexpected(QStringLiteral("damaged: %1").arg(zstdText(hint)));
        if (output.pos == output.size && hint != 0) {
            // Full: anything more the frame holds is too much.
            char probe = 0;
            ZSTD_outBuffer extra{&probe, 1, 0};
            const size_t more = ZSTD_decompressStream(dctx.get(), &extra, &input);
            if (ZSTD_isError(more) || extra.pos > 0)
                return std::unexpected(QStringLiteral("holds more than the %1 bytes declared").arg(size));
            hint = more;
        }
        if (output.pos == before && input.pos == consumed)
            break;
    }
    if (hint != 0)
        return std::unexpected(QStringLiteral("ends in the middle of a frame (truncated)"));
    if (qint64(output.pos) != size)
        return std::unexpected(QStringLiteral("holds %1 bytes, not the %2 declared").arg(output.pos).arg(size));
    return out;
}

ContentCheck::~ContentCheck() = default;

namespace {
class Sha256Check final : public ContentCheck
{
public:
    bool add(QByteArrayView content) override
    {
        m_hash.addData(content);
        return true;
    }
    std::expected<Content, QString> finish(qint64 size) override { return Content{m_hash.hexResult(), size, {}}; }

private:
    crypto::Sha256 m_hash;
};
} // namespace

std::unique_ptr<ContentCheck> wholeSha256Check() { return std::make_unique<Sha256Check>(); }

// Three parties: the caller pushes pieces into `input`; the unpacking thread turns them into
// blocks of content and queues them in `full`; the checking thread checks each and gives it back
// to `free`. One mutex guards the queues and the flags, one condition variable wakes whoever
// waits; both threads stop at `closing` once their queue is empty, or at once on `abandon`.
struct Unpacker::State {
    qint64 maxSize = 0;
    std::function<void()> onRoom;

    std::mutex mutex;
    std::condition_variable changed;
    std::deque<QByteArray> input;        // guarded by mutex
    qint64 backlog = 0;                  // guarded: pushed bytes not unpacked yet
    bool roomWanted = false;             // guarded: push() said "wait", onRoom is owed
    std::deque<std::vector<char>> full;  // guarded: content to hash, in order
    std::vector<std::vector<char>> free; // guarded: blocks to fill
    bool unpacked = false;               // guarded: the unpacking thread has queued its last block
    bool closing = false;                // guarded: finish() was called, nothing more comes
    bool abandon = false;                // guarded: the destructor: stop now
    bool failed = false;                 // guarded: error is set (or checkRefused), drop everything from now on
    bool checkRefused = false;           // guarded: the check refused the content; its finish() says why

    // Only the unpacking thread touches these until it ended (then finish() reads them).
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{nullptr, &ZSTD_freeDCtx};
    qint64 size = 0;
    size_t frameLeft = 0; // 0: between frames
    bool anything = false;
    QString error;
    // Only the checking thread, until it ended.
    std::unique_ptr<ContentCheck> check;

    std::thread unpacker;
    std::thread hasher;

    void unpackLoop();
    void hashLoop();
    bool unpackPiece(const QByteArray &piece, std::vector<char> &block, size_t &filled);
    bool handOver(std::vector<char> &block, size_t filled);
    void fail(QString why);
};

void Unpacker::State::fail(QString why)
{
    const std::lock_guard lock(mutex);
    if (error.isEmpty())
        error = std::move(why);
    failed = true;
    changed.notify_all();
}

// Queues the block's first `filled` bytes for hashing and takes a free block for what follows;
// false when the work is to stop.
bool Unpacker::State::handOver(std::vector<char> &block, size_t filled)
{
    std::unique_lock lock(mutex);
    block.resize(filled);
    full.push_back(std::move(block));
    changed.notify_all();
    changed.wait(lock, [this] { return !free.empty() || abandon; });
    if (abandon)
        return false;
    block = std::move(free.back());
    free.pop_back();
    block.resize(size_t(kBlockBytes));
    return true;
}

bool Unpacker::State::unpackPiece(const QByteArray &piece, std::vector<char> &block, size_t &filled)
{
    anything = true;
    ZSTD_inBuffer input{piece.constData(), size_t(piece.size()), 0};
    // Until the piece is used and the decoder holds nothing more for it.
    for (;;) {
        ZSTD_outBuffer output{block.data() + filled, block.size() - filled, 0};
        const size_t consumedBefore = input.pos;
        const size_t hint = ZSTD_decompressStream(dctx.get(), &output, &input);
        if (ZSTD_isError(hint)) {
            fail(QStringLiteral("the compressed image is damaged: %1").arg(zstdText(hint)));
            return false;
        }
        // The hint of a call that moved nothing (a frame that ended exactly as the buffer filled,
        // asked once more) speaks of a next frame that may never come: it does not count.
        if (output.pos > 0 || input.pos != consumedBefore)
            frameLeft = hint;
        size += qint64(output.pos);
        if (size > maxSize) {
            fail(QStringLiteral("the compressed image holds more than the %1 bytes declared").arg(maxSize));
            return false;
        }
        filled += output.pos;
        const bool blockFull = filled == block.size();
        if (blockFull) {
            if (!handOver(block, filled))
                return false;
            filled = 0;
        }
        if (input.pos == input.size && !blockFull)
            return true;
    }
}

void Unpacker::State::unpackLoop()
{
    std::vector<char> block(static_cast<size_t>(kBlockBytes));
    size_t filled = 0;
    bool working = true;
    for (;;) {
        QByteArray piece;
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [this] { return !input.empty() || closing || abandon; });
            if (abandon || (input.empty() && closing))
                break;
            piece = std::move(input.front());
            input.pop_front();
            working = !failed;
        }
        if (working)
            working = unpackPiece(piece, block, filled);
        bool announce = false;
        {
            const std::lock_guard lock(mutex);
            backlog -= piece.size();
            if (roomWanted && (backlog <= kBacklogBytes / 4 || failed)) {
                roomWanted = false;
                announce = true;
            }
            changed.notify_all();
        }
        if (announce && onRoom)
            onRoom();
    }
    const std::lock_guard lock(mutex);
    if (filled > 0) { // the last block, not full
        block.resize(filled);
        full.push_back(std::move(block));
    }
    unpacked = true;
    changed.notify_all();
}

void Unpacker::State::hashLoop()
{
    for (;;) {
        std::vector<char> block;
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [this] { return !full.empty() || unpacked || abandon; });
            if (abandon || full.empty())
                break;
            block = std::move(full.front());
            full.pop_front();
        }
        const bool goesOn = check->add(QByteArrayView(block.data(), qsizetype(block.size())));
        const std::lock_guard lock(mutex);
        if (!goesOn) {
            // The check's own words come from finish(); the work stops here.
            checkRefused = true;
            failed = true;
        }
        free.push_back(std::move(block));
        changed.notify_all();
    }
    crypto::releaseThreadState();
}

Unpacker::~Unpacker()
{
    if (!d)
        return;
    {
        const std::lock_guard lock(d->mutex);
        d->abandon = true;
        d->changed.notify_all();
    }
    if (d->unpacker.joinable())
        d->unpacker.join();
    if (d->hasher.joinable())
        d->hasher.join();
}

std::expected<std::unique_ptr<Unpacker>, QString> Unpacker::create(qint64 maxSize, std::function<void()> onRoom,
                                                                   std::unique_ptr<ContentCheck> check)
{
    std::unique_ptr<Unpacker> u(new Unpacker);
    u->d = std::make_unique<State>();
    State &s = *u->d;
    s.dctx.reset(ZSTD_createDCtx());
    if (!s.dctx)
        return std::unexpected(QStringLiteral("zstd: out of memory"));
    ZSTD_DCtx_setParameter(s.dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
    s.maxSize = maxSize;
    s.onRoom = std::move(onRoom);
    s.check = check ? std::move(check) : wholeSha256Check();
    for (int i = 1; i < kBlocks; ++i) // one more is the unpacking thread's own
        s.free.emplace_back(size_t(kBlockBytes));
    s.unpacker = std::thread([&s] { s.unpackLoop(); });
    s.hasher = std::thread([&s] { s.hashLoop(); });
    return u;
}

bool Unpacker::push(QByteArrayView data)
{
    State &s = *d;
    const std::lock_guard lock(s.mutex);
    if (s.failed || s.closing || data.isEmpty())
        return true;
    s.input.emplace_back(data.data(), data.size());
    s.backlog += data.size();
    s.changed.notify_all();
    if (s.backlog <= kBacklogBytes)
        return true;
    s.roomWanted = true;
    return false;
}

bool Unpacker::failed() const
{
    const std::lock_guard lock(d->mutex);
    return d->failed;
}

void Unpacker::waitForRoom()
{
    State &s = *d;
    std::unique_lock lock(s.mutex);
    s.changed.wait(lock, [&s] { return s.backlog <= kBacklogBytes / 4 || s.failed; });
    s.roomWanted = false;
}

std::expected<Content, QString> Unpacker::finish()
{
    State &s = *d;
    {
        const std::lock_guard lock(s.mutex);
        s.closing = true;
        s.changed.notify_all();
    }
    if (s.unpacker.joinable())
        s.unpacker.join();
    if (s.hasher.joinable())
        s.hasher.join();
    if (!s.error.isEmpty())
        return std::unexpected(s.error);
    if (s.checkRefused)
        return s.check->finish(s.size);
    if (!s.anything || s.frameLeft != 0)
        return std::unexpected(QStringLiteral("the compressed image ends in the middle of a frame (truncated)"));
    return s.check->finish(s.size);
}

struct Reader::State {
    int fd = -1;
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{nullptr, &ZSTD_freeDCtx};
    std::vector<char> inBuf;
    ZSTD_inBuffer input{nullptr, 0, 0};
    bool inputEnded = false;
    // The hint of the last call that moved anything: 0 when a whole frame was decoded and flushed.
    size_t frameLeft = 1;
    bool ended = false;
};

Reader::~Reader() = default;

std::expected<std::unique_ptr<Reader>, QString> Reader::open(int fd)
{
    std::unique_ptr<Reader> r(new Reader);
    r->d = std::make_unique<State>();
    r->d->fd = fd;
    r->d->dctx.reset(ZSTD_createDCtx());
    if (!r->d->dctx)
        return std::unexpected(QStringLiteral("zstd: out of memory"));
    ZSTD_DCtx_setParameter(r->d->dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
    r->d->inBuf.resize(ZSTD_DStreamInSize());
    r->d->input = ZSTD_inBuffer{r->d->inBuf.data(), 0, 0};
    return r;
}

std::expected<qint64, QString> Reader::read(char *out, qint64 want)
{
    State &s = *d;
    qint64 produced = 0;
    while (produced < want && !s.ended) {
        if (s.input.pos == s.input.size && !s.inputEnded) {
            const qint64 got = readSome(s.fd, s.inBuf.data(), qint64(s.inBuf.size()));
            if (got < 0)
                return std::unexpected(QStringLiteral("cannot read the compressed image: %1").arg(errnoText(errno)));
            s.input = ZSTD_inBuffer{s.inBuf.data(), size_t(got), 0};
            s.inputEnded = got == 0;
        }
        // Also with no input left: the decoder may still hold output that did not fit before.
        ZSTD_outBuffer output{out + produced, size_t(want - produced), 0};
        const size_t consumedBefore = s.input.pos;
        const size_t hint = ZSTD_decompressStream(s.dctx.get(), &output, &s.input);
        if (ZSTD_isError(hint))
            return std::unexpected(QStringLiteral("the compressed image is damaged: %1").arg(zstdText(hint)));
        if (output.pos > 0 || s.input.pos != consumedBefore)
            s.frameLeft = hint;
        produced += qint64(output.pos);
        if (s.inputEnded && s.input.pos == s.input.size && output.pos == 0) {
            // Nothing more can come out: the stream must have ended with a whole frame.
            if (s.frameLeft != 0)
                return std::unexpected(QStringLiteral("the compressed image ends in the middle of a frame (truncated)"));
            s.ended = true;
        }
    }
    return produced;
}

std::expected<Content, QString> contentOf(const QString &path, qint64 maxSize, const std::function<void(qint64)> &onProgress)
{
    FdGuard in{::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0)
        return std::unexpected(QStringLiteral("cannot open %1: %2").arg(path, errnoText(errno)));
    ::posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    auto reader = Reader::open(in.fd);
    if (!reader)
        return std::unexpected(reader.error());
    constexpr qint64 kChunk = 1024 * 1024;
    const auto buffer = std::make_unique<char[]>(size_t(kChunk));
    crypto::Sha256 hash;
    Content content;
    for (;;) {
        const auto got = (*reader)->read(buffer.get(), kChunk);
        if (!got)
            return std::unexpected(path + QStringLiteral(": ") + got.error());
        if (*got == 0)
            break;
        content.size += *got;
        if (content.size > maxSize)
            return std::unexpected(QStringLiteral("%1 holds more than the %2 bytes declared").arg(path).arg(maxSize));
        hash.addData(QByteArrayView(buffer.get(), *got));
        if (onProgress)
            onProgress(qint64(::lseek(in.fd, 0, SEEK_CUR)));
    }
    content.sha256 = hash.hexResult();
    return content;
}

} // namespace s16::zstd
