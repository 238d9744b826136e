#include "threadedsha256.h"

#include "crypto.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace s16::crypto {

struct ThreadedSha256::State {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<char>> full;  // guarded: blocks to hash, in order
    std::vector<std::vector<char>> free; // guarded: blocks to fill
    bool busy = false;                   // guarded: the thread is hashing a block it took
    bool stopping = false;               // guarded: the destructor
    std::vector<char> filling;           // the caller's: the block being filled
    qsizetype filled = 0;
    Sha256 hash; // the thread's while it runs; the caller's when full is empty and !busy
    std::thread worker;

    void run()
    {
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [this] { return !full.empty() || stopping; });
            if (stopping)
                break;
            std::vector<char> block = std::move(full.front());
            full.pop_front();
            busy = true;
            lock.unlock();
            hash.addData(QByteArrayView(block.data(), qsizetype(block.size())));
            lock.lock();
            busy = false;
            block.resize(size_t(kBlockBytes));
            free.push_back(std::move(block));
            changed.notify_all();
        }
        lock.unlock();
        releaseThreadState();
    }

    // Queues the block being filled and takes a free one, waiting for it while all are queued.
    void handOver()
    {
        std::unique_lock lock(mutex);
        filling.resize(size_t(filled));
        full.push_back(std::move(filling));
        changed.notify_all();
        changed.wait(lock, [this] { return !free.empty(); });
        filling = std::move(free.back());
        free.pop_back();
        filled = 0;
    }

    // Until the thread has hashed everything queued; then hash is the caller's.
    void drain()
    {
        if (filled > 0)
            handOver();
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return full.empty() && !busy; });
    }
};

ThreadedSha256::ThreadedSha256()
    : d(std::make_unique<State>())
{
    for (int i = 1; i < kBlocks; ++i) // one more is the block being filled
        d->free.emplace_back(size_t(kBlockBytes));
    d->filling.resize(size_t(kBlockBytes));
    d->worker = std::thread([s = d.get()] { s->run(); });
}

ThreadedSha256::~ThreadedSha256()
{
    {
        const std::lock_guard lock(d->mutex);
        d->stopping = true;
        d->changed.notify_all();
    }
    d->worker.join();
}

void ThreadedSha256::addData(QByteArrayView data)
{
    State &s = *d;
    while (!data.isEmpty()) {
        const qsizetype take = std::min(data.size(), kBlockBytes - s.filled);
        std::memcpy(s.filling.data() + s.filled, data.data(), size_t(take));
        s.filled += take;
        data = data.sliced(take);
        if (s.filled == kBlockBytes)
            s.handOver();
    }
}

QByteArray ThreadedSha256::hexResult()
{
    d->drain();
    return d->hash.hexResult();
}

void ThreadedSha256::reset()
{
    State &s = *d;
    std::unique_lock lock(s.mutex);
    while (!s.full.empty()) {
        std::vector<char> block = std::move(s.full.front());
        s.full.pop_front();
        block.resize(size_t(kBlockBytes));
        s.free.push_back(std::move(block));
    }
    s.changed.wait(lock, [&s] { return !s.busy; });
    s.filled = 0;
    s.hash.reset();
}

} // namespace s16::crypto
