#include "zstd.h"

#include "crypto/crypto.h"

#include <QFile>

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
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
    struct stat st {};
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

struct Unpacker::State {
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{nullptr, &ZSTD_freeDCtx};
    std::vector<char> out;
    crypto::Sha256 hash;
    qint64 size = 0;
    qint64 maxSize = 0;
    size_t frameLeft = 0;  // 0: between frames (nothing pushed yet counts as a whole stream of none)
    bool anything = false;
    QString error;
};

Unpacker::~Unpacker() = default;

std::expected<std::unique_ptr<Unpacker>, QString> Unpacker::create(qint64 maxSize)
{
    std::unique_ptr<Unpacker> u(new Unpacker);
    u->d = std::make_unique<State>();
    u->d->dctx.reset(ZSTD_createDCtx());
    if (!u->d->dctx)
        return std::unexpected(QStringLiteral("zstd: out of memory"));
    ZSTD_DCtx_setParameter(u->d->dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
    u->d->out.resize(ZSTD_DStreamOutSize());
    u->d->maxSize = maxSize;
    return u;
}

void Unpacker::push(QByteArrayView data)
{
    State &s = *d;
    if (!s.error.isEmpty() || data.isEmpty())
        return;
    s.anything = true;
    ZSTD_inBuffer input{data.data(), size_t(data.size()), 0};
    // Until the input is used and the decoder holds nothing more for it.
    for (;;) {
        ZSTD_outBuffer output{s.out.data(), s.out.size(), 0};
        const size_t consumedBefore = input.pos;
        const size_t hint = ZSTD_decompressStream(s.dctx.get(), &output, &input);
        if (ZSTD_isError(hint)) {
            s.error = QStringLiteral("the compressed image is damaged: %1").arg(zstdText(hint));
            return;
        }
        // The hint of a call that moved nothing (a frame that ended exactly as the buffer filled,
        // asked once more) speaks of a next frame that may never come: it does not count.
        if (output.pos > 0 || input.pos != consumedBefore)
            s.frameLeft = hint;
        s.size += qint64(output.pos);
        if (s.size > s.maxSize) {
            s.error = QStringLiteral("the compressed image holds more than the %1 bytes declared").arg(s.maxSize);
            return;
        }
        s.hash.addData(QByteArrayView(s.out.data(), qsizetype(output.pos)));
        if (input.pos == input.size && output.pos < output.size)
            return;
    }
}

std::expected<Content, QString> Unpacker::finish()
{
    State &s = *d;
    if (!s.error.isEmpty())
        return std::unexpected(s.error);
    if (!s.anything || s.frameLeft != 0)
        return std::unexpected(QStringLiteral("the compressed image ends in the middle of a frame (truncated)"));
    return Content{s.hash.hexResult(), s.size};
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
