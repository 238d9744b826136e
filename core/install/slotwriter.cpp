#include "slotwriter.h"

#include "compress/zstd.h"
#include "delta/indexcheck.h"

#include "common/fileutil.h"
#include "common/logging.h"
#include "crypto/crypto.h"
#include "faults.h"

#include <QFile>
#include <QStringBuilder>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace s16 {
namespace {

QString errnoText(int err) { return QString::fromLocal8Bit(std::strerror(err)); }

// Closes the descriptor when the scope ends, whatever path leaves it.
class Fd
{
public:
    explicit Fd(int fd)
        : m_fd(fd)
    {
    }
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    [[nodiscard]] int get() const { return m_fd; }
    [[nodiscard]] bool valid() const { return m_fd >= 0; }
    int release()
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd;
};

std::unexpected<SlotProblem> problem(SlotError code, QString message, QString detail = {})
{
    return std::unexpected(SlotProblem{code, std::move(message), std::move(detail)});
}

// Reads want bytes at offset, or fewer where the file ends; -1 on error.
qint64 readFully(int fd, char *buffer, qint64 want, qint64 offset)
{
    qint64 got = 0;
    while (got < want) {
        const ssize_t n = ::pread(fd, buffer + got, size_t(want - got), off_t(offset + got));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

bool writeFully(int fd, const char *data, qint64 size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size_t(size));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        size -= n;
    }
    return true;
}

// Reads a slot back while it is being written, on a thread of its own: the writer names
// the bytes that reached the medium and left the page cache (WriteBehind waited for
// them), and only those are read, so every byte hashed comes from the medium, never from
// memory. The read back then costs no time of its own on a medium that reads while it
// writes, instead of a second pass over the slot after the last fsync.
class ReadBack
{
public:
    struct Outcome {
        std::expected<zstd::Content, QString> content = std::unexpected(QString()); // what check says, when complete
        int err = 0;                                                                // errno of a failed read
        bool shortRead = false;
    };

    // check: what the bytes read back go to (it runs on the read back's thread).
    ReadBack(int fd, qint64 size, std::unique_ptr<zstd::ContentCheck> check)
        : m_fd(fd)
        , m_size(size)
        , m_check(std::move(check))
        , m_thread([this] { run(); })
    {
    }
    ~ReadBack()
    {
        {
            const std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_changed.notify_all();
        m_thread.join();
        ::close(m_fd);
    }
    ReadBack(const ReadBack &) = delete;
    ReadBack &operator=(const ReadBack &) = delete;

    // The bytes before end are on the medium and may be read.
    void settled(qint64 end)
    {
        {
            const std::lock_guard lock(m_mutex);
            if (end <= m_settled)
                return;
            m_settled = end;
        }
        m_changed.notify_all();
    }
    [[nodiscard]] qint64 verified() const { return m_verified.load(std::memory_order_relaxed); }
    // True once the whole size is read (or a read failed); outcome() is valid then.
    [[nodiscard]] bool waitFinished(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, timeout, [this] { return m_finished; });
    }
    [[nodiscard]] const Outcome &outcome() const { return m_outcome; }

private:
    void run()
    {
        // Read exactly what is asked: readahead would run past what reached the medium.
        ::posix_fadvise(m_fd, 0, 0, POSIX_FADV_RANDOM);
        const auto buffer = std::make_unique<char[]>(size_t(SlotWriter::kChunkBytes));
        Outcome outcome;
        qint64 done = 0;
        qint64 requested = 0; // asked of the medium ahead of the reads (POSIX_FADV_WILLNEED)
        while (done < m_size) {
            qint64 ready = 0;
            {
                std::unique_lock lock(m_mutex);
                m_changed.wait(lock, [&] { return m_stop || m_settled > done; });
                if (m_stop)
                    return;
                ready = m_settled;
            }
            while (done < ready) {
                // Keep the medium busy while a chunk is hashed: the next chunks are requested
                // before this one is read, never past what reached the medium.
                const qint64 ahead = std::min(done + kAheadBytes, ready);
                if (ahead > requested) {
                    ::posix_fadvise(m_fd, requested, ahead - requested, POSIX_FADV_WILLNEED);
                    requested = ahead;
                }
                const qint64 want = std::min(SlotWriter::kChunkBytes, ready - done);
                const qint64 got = readFully(m_fd, buffer.get(), want, done);
                if (got != want) {
                    outcome.err = got < 0 ? errno : 0;
                    outcome.shortRead = got >= 0;
                    finish(std::move(outcome));
                    return;
                }
                done += got;
                m_verified.store(done, std::memory_order_relaxed);
                if (!m_check->add(QByteArrayView(buffer.get(), got))) {
                    outcome.content = m_check->finish(done); // the slot is not the image: no need to read on
                    finish(std::move(outcome));
                    return;
                }
            }
        }
        outcome.content = m_check->finish(done);
        crypto::releaseThreadState();
        finish(std::move(outcome));
    }
    void finish(Outcome outcome)
    {
        {
            const std::lock_guard lock(m_mutex);
            m_outcome = std::move(outcome);
            m_finished = true;
        }
        m_changed.notify_all();
    }

    // Three chunks: one or none left the medium idle while a chunk was hashed (1.7 s for 1 GiB
    // against 1.15-1.4 s with two or three here); six were no faster.
    static constexpr qint64 kAheadBytes = 3 * SlotWriter::kChunkBytes;
    const int m_fd;
    const qint64 m_size;
    const std::unique_ptr<zstd::ContentCheck> m_check;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    qint64 m_settled = 0;    // guarded by m_mutex
    bool m_stop = false;     // guarded by m_mutex
    bool m_finished = false; // guarded by m_mutex
    Outcome m_outcome;       // written under m_mutex before m_finished
    std::atomic<qint64> m_verified{0};
    std::thread m_thread; // last: starts when everything above is ready
};

} // namespace

QString slotErrorName(SlotError code)
{
    switch (code) {
    case SlotError::NoTarget: return QStringLiteral("NoTarget");
    case SlotError::BootedSlot: return QStringLiteral("BootedSlot");
    case SlotError::SourceUnreadable: return QStringLiteral("SourceUnreadable");
    case SlotError::SourceSize: return QStringLiteral("SourceSize");
    case SlotError::TargetUnopenable: return QStringLiteral("TargetUnopenable");
    case SlotError::TooSmall: return QStringLiteral("TooSmall");
    case SlotError::WriteFailed: return QStringLiteral("WriteFailed");
    case SlotError::ReadBackFailed: return QStringLiteral("ReadBackFailed");
    case SlotError::VerifyMismatch: return QStringLiteral("VerifyMismatch");
    case SlotError::Cancelled: return QStringLiteral("Cancelled");
    }
    return QStringLiteral("Unknown");
}

Error toError(const SlotProblem &problem) { return Error{ExitCode::InstallFailed, problem.message, Edge::E51, problem.detail}; }

bool SlotWriter::sameDevice(const QString &a, const QString &b)
{
    struct stat sa {
    };
    struct stat sb {
    };
    if (a.isEmpty() || b.isEmpty() || ::stat(QFile::encodeName(a).constData(), &sa) != 0
        || ::stat(QFile::encodeName(b).constData(), &sb) != 0)
        return false;
    if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode))
        return sa.st_rdev == sb.st_rdev;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::expected<void, SlotProblem> SlotWriter::write(const Job &job, const Progress &progress, std::stop_token stop)
{
    return writeFrom(job, std::nullopt, progress, stop);
}

std::expected<void, SlotProblem> SlotWriter::writeZstd(const Job &job, qint64 fileSize, const Progress &progress, std::stop_token stop)
{
    return writeFrom(job, fileSize, progress, stop);
}

std::expected<void, SlotProblem> SlotWriter::writeFrom(const Job &job, std::optional<qint64> zstdFileSize, const Progress &progress,
                                                       const std::stop_token &stop)
{
    if (job.target.isEmpty())
        return problem(SlotError::NoTarget, QStringLiteral("no slot to write to is configured"));
    if (job.target == job.protectedSlot || sameDevice(job.target, job.protectedSlot)) {
        return problem(SlotError::BootedSlot,
                       QStringLiteral("refusing to write %1: it is the slot the device falls back to").arg(job.target));
    }

    Fd source(::open(QFile::encodeName(job.image).constData(), O_RDONLY | O_CLOEXEC));
    if (!source.valid())
        return problem(SlotError::SourceUnreadable, QStringLiteral("cannot open the image %1").arg(job.image), errnoText(errno));
    struct stat sourceStat {
    };
    const qint64 fileSize = zstdFileSize.value_or(job.size);
    if (::fstat(source.get(), &sourceStat) != 0 || sourceStat.st_size != fileSize) {
        return problem(
            SlotError::SourceSize,
            QStringLiteral("the image %1 is %2 bytes, the manifest says %3").arg(job.image).arg(qint64(sourceStat.st_size)).arg(fileSize));
    }
    // A compressed image is unpacked on the way (bounded memory: zstd's window is capped).
    std::unique_ptr<zstd::Reader> unpack;
    if (zstdFileSize) {
        ::posix_fadvise(source.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        auto reader = zstd::Reader::open(source.get());
        if (!reader)
            return problem(SlotError::SourceUnreadable, QStringLiteral("cannot unpack the image %1").arg(job.image), reader.error());
        unpack = std::move(*reader);
    }

    // No O_CREAT: a slot is a partition (or, on s16-devsim, a file made when the device was). A
    // path that does not exist is a misconfiguration or a device node not there yet; creating a
    // regular file there (on /dev's tmpfs, say) would "install" into memory and boot the old system.
    Fd target(::open(QFile::encodeName(job.target).constData(), O_WRONLY | O_CLOEXEC));
    if (!target.valid())
        return problem(SlotError::TargetUnopenable, QStringLiteral("cannot open %1 for writing").arg(job.target), errnoText(errno));
    struct stat targetStat {
    };
    if (::fstat(target.get(), &targetStat) != 0)
        return problem(SlotError::TargetUnopenable, QStringLiteral("cannot inspect %1").arg(job.target), errnoText(errno));
    const bool blockDevice = S_ISBLK(targetStat.st_mode);
    if (blockDevice) {
        const off_t capacity = ::lseek(target.get(), 0, SEEK_END);
        if (capacity < 0 || capacity < job.size) {
            return problem(SlotError::TooSmall,
                           QStringLiteral("%1 holds %2 bytes, the image needs %3").arg(job.target).arg(qint64(capacity)).arg(job.size));
        }
        ::lseek(target.get(), 0, SEEK_SET);
    }

    // Opened before the first byte goes out: a slot that cannot be read back is not written.
    Fd reader(::open(QFile::encodeName(job.target).constData(), O_RDONLY | O_CLOEXEC));
    if (!reader.valid())
        return problem(SlotError::ReadBackFailed, QStringLiteral("cannot open %1 to read it back").arg(job.target), errnoText(errno));

    const qint64 total = 2 * job.size;
    const auto report = [&](qint64 written, const ReadBack &readBack) {
        if (progress)
            progress(written + readBack.verified(), total);
    };
    const auto buffer = std::make_unique<char[]>(size_t(kChunkBytes));
    qint64 done = 0;
    fileutil::WriteBehind writeBehind;            // the medium works while the image is read
    ReadBack readBack(reader.release(), job.size, // and the read back follows the medium
                      job.index ? std::make_unique<delta::IndexCheck>(job.index) : zstd::wholeSha256Check());
    bool halfwayPassed = false;
    const auto cancelled = [&] {
        return problem(SlotError::Cancelled, QStringLiteral("the write of %1 was stopped").arg(job.target),
                       QStringLiteral("%1 of %2 bytes written").arg(done).arg(job.size));
    };
    while (done < job.size) {
        if (stop.stop_requested())
            return cancelled();
        const qint64 want = std::min(kChunkBytes, job.size - done);
        qint64 got = 0;
        if (unpack) {
            const auto produced = unpack->read(buffer.get(), want);
            if (!produced)
                return problem(SlotError::SourceUnreadable, QStringLiteral("cannot unpack the image %1").arg(job.image), produced.error());
            got = *produced;
        } else {
            got = readFully(source.get(), buffer.get(), want, done);
        }
        if (got != want) {
            return problem(SlotError::SourceUnreadable, QStringLiteral("cannot read the image %1").arg(job.image),
                           got < 0 ? errnoText(errno) : QStringLiteral("it ended early"));
        }
        if (!writeFully(target.get(), buffer.get(), got))
            return problem(SlotError::WriteFailed, QStringLiteral("cannot write %1").arg(job.target), errnoText(errno));
        done += got;
        writeBehind.written(target.get(), done);
        readBack.settled(writeBehind.settled());
        // The injected failure comes after real bytes went out, as a failing medium would.
        if (fault::injected(u"write"))
            return problem(SlotError::WriteFailed, QStringLiteral("cannot write %1").arg(job.target),
                           QStringLiteral("injected fault (S16_FAULT=write)"));
        if (!halfwayPassed && done * 2 >= job.size) {
            halfwayPassed = true;
            fault::killPoint(u"write.mid");
        }
        report(done, readBack);
    }
    if (unpack) {
        // Nothing may follow the image: a stream that unpacks to more than it declares is not it.
        char extra = 0;
        const auto more = unpack->read(&extra, 1);
        if (!more || *more != 0)
            return problem(SlotError::SourceSize, QStringLiteral("the image %1 unpacks to more than %2 bytes").arg(job.image).arg(job.size),
                           more ? QString() : more.error());
    }
    if (!blockDevice && ::ftruncate(target.get(), job.size) != 0)
        return problem(SlotError::WriteFailed, QStringLiteral("cannot truncate %1").arg(job.target), errnoText(errno));
    if (::fsync(target.get()) != 0)
        return problem(SlotError::WriteFailed, QStringLiteral("cannot sync %1").arg(job.target), errnoText(errno));
    // Drop the rest of the cached pages so the read back comes from the medium, not from memory.
    ::posix_fadvise(target.get(), 0, 0, POSIX_FADV_DONTNEED);
    const int fd = target.release();
    if (::close(fd) != 0)
        return problem(SlotError::WriteFailed, QStringLiteral("cannot close %1").arg(job.target), errnoText(errno));
    readBack.settled(job.size);
    while (!readBack.waitFinished(std::chrono::milliseconds(100))) {
        if (stop.stop_requested())
            return cancelled();
        report(done, readBack);
    }
    report(done, readBack);

    const ReadBack::Outcome &outcome = readBack.outcome();
    if (outcome.err != 0 || outcome.shortRead) {
        return problem(SlotError::ReadBackFailed, QStringLiteral("cannot read %1 back").arg(job.target),
                       outcome.shortRead ? QStringLiteral("it is shorter than the image") : errnoText(outcome.err));
    }
    const auto &content = outcome.content;
    // Checked against the chunk index, its verdict is the proof; else the whole SHA-256 is.
    const bool matches = content && (job.index ? content->checkedBy == delta::IndexCheck::name() : content->sha256 == job.sha256);
    if (fault::injected(u"readback") || !matches) {
        return problem(SlotError::VerifyMismatch, QStringLiteral("%1 does not hold the image after writing it").arg(job.target),
                       !content    ? content.error()
                       : job.index ? QStringLiteral("read back %1 bytes, expected %2").arg(content->size).arg(job.size)
                                   : QStringLiteral("SHA-256 read back %1, expected %2")
                                         .arg(QString::fromLatin1(content->sha256), QString::fromLatin1(job.sha256)));
    }
    qCInfo(lcInstall).noquote() << "wrote and verified" << job.size << "bytes to" << job.target << "against"
                                << (job.index ? delta::IndexCheck::name() : QStringLiteral("the image's SHA-256"));
    return {};
}

} // namespace s16
