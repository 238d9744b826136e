#include "streamwriter.h"

#include "fileutil.h"

#include <QFile>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace s16::fileutil {
namespace {

struct Block {
    char *data = nullptr; // kBlockBytes, aligned to kAlignment
    qint64 offset = 0;    // where in the file data[0] goes
    qsizetype size = 0;
    int pending = 0; // the threads still to see it (the writer, and the tap if any)
};

} // namespace

struct StreamWriter::State {
    QString path;
    int bufferedFd = -1;
    int directFd = -1; // -1: O_DIRECT refused by the file system
    std::atomic<bool> direct{false};
    Tap tap;

    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Block *> toWrite; // guarded: blocks to write, in order
    std::deque<Block *> toTap;   // guarded: blocks for the tap, in order
    std::vector<Block *> free;   // guarded: blocks to fill
    bool writing = false;        // guarded: the writer holds a block
    bool tapping = false;        // guarded: the tap holds a block
    bool stopping = false;       // guarded: the destructor
    std::optional<Error> error;  // guarded: the first failed write; nothing is written after it
    std::atomic<bool> failed{false};
    std::vector<Block> all; // every block, freed by the destructor

    Block *filling = nullptr; // the caller's
    qsizetype capacity = 0;   // of filling: up to the next aligned offset, at most kBlockBytes
    WriteBehind writeBehind;  // the writer's: for what goes through the page cache
    std::thread writer;
    std::thread tapper;

    // Writes n bytes at offset, whole aligned runs directly where possible.
    Status writeRange(const char *p, qsizetype n, qint64 offset)
    {
        while (n > 0) {
            const bool aligned = offset % kAlignment == 0 && quintptr(p) % kAlignment == 0 && n >= kAlignment;
            const bool viaDirect = direct.load() && aligned;
            const qsizetype len = viaDirect ? n - n % kAlignment : n;
            const ssize_t done = ::pwrite(viaDirect ? directFd : bufferedFd, p, size_t(len), offset);
            if (done < 0 && errno == EINTR)
                continue;
            if (done < 0 && viaDirect && errno == EINVAL) {
                direct = false; // an alignment this device does not take: the page cache from now on
                continue;
            }
            if (done <= 0)
                return fail(ExitCode::StorageError, QStringLiteral("cannot write %1").arg(path),
                            QString::fromLocal8Bit(std::strerror(done < 0 ? errno : ENOSPC)));
            if (!direct.load()) // the head and tail beside direct blocks are too small to matter
                writeBehind.written(bufferedFd, offset + done);
            p += done;
            n -= done;
            offset += done;
        }
        return {};
    }

    // Guarded: a thread is done with block; the last one gives it back for filling.
    void release(Block *block)
    {
        if (--block->pending == 0)
            free.push_back(block);
        changed.notify_all();
    }

    // One consumer of the blocks (the writer, or the tap): takes them from queue in order.
    void consume(std::deque<Block *> &queue, bool &holding, const std::function<void(Block *)> &use)
    {
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return !queue.empty() || stopping; });
            if (queue.empty())
                return;
            Block *block = queue.front();
            queue.pop_front();
            holding = true;
            lock.unlock();
            use(block);
            lock.lock();
            holding = false;
            release(block);
        }
    }

    void write(Block *block)
    {
        {
            std::lock_guard lock(mutex);
            if (error)
                return; // nothing is written after a failed write
        }
        const Status written = writeRange(block->data, block->size, block->offset);
        if (!written) {
            std::lock_guard lock(mutex);
            if (!error) {
                error = written.error();
                failed = true;
            }
        }
    }

    // The caller's: a block to fill from offset on.
    void startBlock(qint64 offset)
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return !free.empty(); });
        filling = free.back();
        free.pop_back();
        filling->offset = offset;
        filling->size = 0;
        // Blocks after the first start at aligned offsets, so that each can go directly.
        const qsizetype toAligned = qsizetype(kAlignment - offset % kAlignment) % qsizetype(kAlignment);
        capacity = toAligned == 0 ? kBlockBytes : toAligned;
    }

    void queueFilling()
    {
        const qint64 next = filling->offset + filling->size;
        {
            std::lock_guard lock(mutex);
            filling->pending = tap ? 2 : 1;
            toWrite.push_back(filling);
            if (tap)
                toTap.push_back(filling);
            changed.notify_all();
        }
        startBlock(next);
    }
};

StreamWriter::StreamWriter()
    : d(std::make_unique<State>())
{
}

Result<std::unique_ptr<StreamWriter>> StreamWriter::open(const QString &path, qint64 offset, Tap tap)
{
    std::unique_ptr<StreamWriter> w(new StreamWriter);
    State &s = *w->d;
    s.path = path;
    s.tap = std::move(tap);
    const QByteArray name = QFile::encodeName(path);
    s.bufferedFd = ::open(name.constData(), O_WRONLY | O_CLOEXEC);
    if (s.bufferedFd < 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot open %1").arg(path), QString::fromLocal8Bit(std::strerror(errno)));
    s.directFd = ::open(name.constData(), O_WRONLY | O_CLOEXEC | O_DIRECT);
    s.direct = s.directFd >= 0;
    s.all.resize(kBlocks);
    for (Block &block : s.all) {
        block.data = static_cast<char *>(std::aligned_alloc(size_t(kAlignment), size_t(kBlockBytes)));
        if (!block.data)
            return fail(ExitCode::StorageError, QStringLiteral("no memory to write %1").arg(path));
        s.free.push_back(&block);
    }
    s.writeBehind = WriteBehind(offset);
    s.startBlock(offset);
    s.writer = std::thread([&s] { s.consume(s.toWrite, s.writing, [&s](Block *b) { s.write(b); }); });
    if (s.tap)
        s.tapper = std::thread([&s] { s.consume(s.toTap, s.tapping, [&s](Block *b) { s.tap(QByteArrayView(b->data, b->size)); }); });
    return w;
}

StreamWriter::~StreamWriter()
{
    if (d->writer.joinable()) { // not when open() failed before starting it
        (void)finish();
        {
            std::lock_guard lock(d->mutex);
            d->stopping = true;
            d->changed.notify_all();
        }
        d->writer.join();
        if (d->tapper.joinable())
            d->tapper.join();
    }
    for (Block &block : d->all)
        std::free(block.data);
    for (const int fd : {d->directFd, d->bufferedFd}) {
        if (fd >= 0)
            ::close(fd);
    }
}

bool StreamWriter::write(QByteArrayView data)
{
    State &s = *d;
    if (s.failed)
        return false;
    while (!data.isEmpty()) {
        const qsizetype take = std::min(data.size(), s.capacity - s.filling->size);
        std::memcpy(s.filling->data + s.filling->size, data.data(), size_t(take));
        s.filling->size += take;
        data = data.sliced(take);
        if (s.filling->size == s.capacity)
            s.queueFilling();
    }
    return !s.failed;
}

Status StreamWriter::finish()
{
    State &s = *d;
    if (s.filling->size > 0)
        s.queueFilling();
    std::unique_lock lock(s.mutex);
    s.changed.wait(lock, [&s] { return s.toWrite.empty() && !s.writing && s.toTap.empty() && !s.tapping; });
    if (s.error)
        return std::unexpected(*s.error);
    return {};
}

bool StreamWriter::isDirect() const { return d->direct; }

} // namespace s16::fileutil
