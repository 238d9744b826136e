#pragma once

#include "common/error.h"
#include "common/logentry.h"

#include <QDateTime>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <expected>
#include <optional>
#include <functional>
#include <memory>

namespace s16 {

// The updater's journal: its persistent state (the flowchart state, the staged update,
// consent, the last trusted manifest, ...) as JSON values under keys, and the bounded
// event log, both in one SQLite file, stateDir/journal.db. Every change is durable when
// the call returns (WAL, synchronous=FULL), and transaction() makes several changes
// survive a power cut all together or not at all. Several Journals, also in several
// processes, may be open on one file (`s16-update status` reads while the UI's engine
// writes); each holds its own connection, usable from the thread that opened it.
class Journal
{
public:
    // Opens or creates stateDir/journal.db (and stateDir), bringing its schema up to
    // date. A damaged file, or one written by a newer updater, is refused.
    [[nodiscard]] static std::expected<std::unique_ptr<Journal>, Error> open(const QString &stateDir, int maxLogEntries = 2000);
    ~Journal();
    Journal(const Journal &) = delete;
    Journal &operator=(const Journal &) = delete;

    // An undefined value removes the key.
    [[nodiscard]] Status set(const QString &key, const QJsonValue &value);
    [[nodiscard]] Status remove(const QString &key);
    // set() for a value a power cut may lose without harm (progress): committed without
    // waiting for the disk (synchronous=NORMAL for this write; WAL keeps the file whole),
    // so reporting progress does not fsync twice a second beside a slot being written.
    // Inside a transaction it is an ordinary set().
    [[nodiscard]] Status setHint(const QString &key, const QJsonValue &value);
    // fallback when the key is absent or cannot be read (a read error is logged).
    [[nodiscard]] QJsonValue value(const QString &key, const QJsonValue &fallback = {}) const;
    [[nodiscard]] QStringList keys() const;

    // Runs work inside one transaction: it commits when work succeeds and rolls back
    // when work fails (its error is returned) or throws. Nested calls become savepoints.
    [[nodiscard]] Status transaction(const std::function<Status()> &work);

    // Appends to the log, dropping the oldest entries past maxLogEntries.
    [[nodiscard]] Status append(const LogEntry &entry);
    // The newest `limit` entries (all when negative), oldest first.
    [[nodiscard]] QList<LogEntry> entries(int limit = -1) const;

    [[nodiscard]] QString path() const;
    [[nodiscard]] int schemaVersion() const;

private:
    Journal(QString connection, QString path, int maxLogEntries);
    [[nodiscard]] Status migrate();

    QString m_connection;
    QString m_path;
    int m_maxLogEntries;
    int m_depth = 0; // open transactions and savepoints
};

// An exclusive advisory lock (flock on stateDir/engine.lock) so only one engine drives
// a device; the kernel drops it when the holder dies, so a power cut or SIGKILL never
// leaves a stale lock. Move-only; released when destroyed.
class EngineLock
{
public:
    // Refuses at once when another process, or another EngineLock in this one, holds it
    // (Usage: two updaters at once), or with StorageError when the file cannot be locked. The holder's pid is written into the file for people to read.
    [[nodiscard]] static std::expected<EngineLock, Error> tryAcquire(const QString &stateDir);
    // The pid of the process holding the lock now, from the kernel's lock table, without
    // taking the lock: readers (`s16-update status`, the UI's poll) must never make an
    // engine that starts at the same moment fail.
    [[nodiscard]] static std::optional<qint64> holder(const QString &stateDir);
    EngineLock(EngineLock &&other) noexcept;
    EngineLock &operator=(EngineLock &&other) noexcept;
    EngineLock(const EngineLock &) = delete;
    EngineLock &operator=(const EngineLock &) = delete;
    ~EngineLock();

    [[nodiscard]] QString path() const { return m_path; }

private:
    EngineLock(int fd, QString path)
        : m_fd(fd)
        , m_path(std::move(path))
    {
    }
    void release() noexcept;

    int m_fd = -1;
    QString m_path;
};

} // namespace s16
