#include "journal.h"

#include "common/logging.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringBuilder>
#include <QVariant>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace s16 {
namespace {

constexpr int kBusyTimeoutMs = 10000;

// Schema steps: kSchema[i] brings user_version i to i + 1, in one transaction.
// Steps are only ever appended; a released step is never edited.
const QList<QStringList> &schemaSteps()
{
    static const QList<QStringList> steps{
        {
            QStringLiteral("CREATE TABLE state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"),
            QStringLiteral("CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,"
                           " level TEXT NOT NULL, code INTEGER NOT NULL DEFAULT 0, edge TEXT NOT NULL DEFAULT '',"
                           " message TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',"
                           " event TEXT NOT NULL DEFAULT '')"),
        },
    };
    return steps;
}

QSqlDatabase connection(const QString &name) { return QSqlDatabase::database(name, false); }

// Runs one statement; on failure the error names what was being done and the file,
// with SQLite's own text as detail.
std::expected<QSqlQuery, Error> run(const QString &conn, const QString &file, const QString &what, const QString &sql,
                                    const QVariantList &binds = {})
{
    QSqlQuery q(connection(conn));
    q.setForwardOnly(true);
    bool ok = q.prepare(sql);
    if (ok) {
        for (const QVariant &b : binds)
            q.addBindValue(b);
        ok = q.exec();
    }
    if (!ok) {
        const QString text = q.lastError().text();
        // SQLITE_NOTADB / SQLITE_CORRUPT: say so plainly, it is not a passing problem.
        if (text.contains(QLatin1String("not a database")) || text.contains(QLatin1String("malformed")))
            return fail(ExitCode::StorageError, QStringLiteral("the journal %1 is damaged (not a valid SQLite database)").arg(file), text);
        return fail(ExitCode::StorageError, QStringLiteral("cannot %1 in the journal %2").arg(what, file), text);
    }
    return q;
}

Status exec(const QString &conn, const QString &file, const QString &what, const QString &sql, const QVariantList &binds = {})
{
    auto q = run(conn, file, what, sql, binds);
    if (!q)
        return std::unexpected(q.error());
    return {};
}

std::expected<int, Error> userVersion(const QString &conn, const QString &file)
{
    auto q = run(conn, file, QStringLiteral("read the schema version"), QStringLiteral("PRAGMA user_version"));
    if (!q)
        return std::unexpected(q.error());
    if (!q->next())
        return fail(ExitCode::StorageError, QStringLiteral("cannot read the schema version of the journal %1").arg(file));
    return q->value(0).toInt();
}

// QJsonDocument holds only objects and arrays; a scalar is written as the text
// inside a one-element array so the column is plain JSON that sqlite3 can read.
QString encode(const QJsonValue &v)
{
    const QByteArray a = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(a.mid(1, a.size() - 2));
}

std::optional<QJsonValue> decode(const QString &text)
{
    QJsonParseError e{};
    const QJsonDocument doc = QJsonDocument::fromJson('[' + text.toUtf8() + ']', &e);
    if (e.error != QJsonParseError::NoError || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().at(0);
}

// Binding a null QString stores SQL NULL; the log's text columns are NOT NULL.
QString orEmpty(const QString &s) { return s.isNull() ? QStringLiteral("") : s; }

QString errnoText(int err) { return QString::fromLocal8Bit(std::strerror(err)); }

} // namespace

Journal::Journal(QString connection, QString path, int maxLogEntries)
    : m_connection(std::move(connection))
    , m_path(std::move(path))
    , m_maxLogEntries(std::max(1, maxLogEntries))
{
}

Journal::~Journal()
{
    if (!QSqlDatabase::contains(m_connection))
        return;
    {
        QSqlDatabase db = connection(m_connection);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

std::expected<std::unique_ptr<Journal>, Error> Journal::open(const QString &stateDir, int maxLogEntries)
{
    static QAtomicInteger<quint64> counter;
    const QString dir = QDir(stateDir).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(ExitCode::StorageError, QStringLiteral("cannot create the state folder %1").arg(dir));
    const QString file = QDir(dir).filePath(QStringLiteral("journal.db"));
    const QString name = QStringLiteral("s16-journal-%1").arg(counter.fetchAndAddRelaxed(1));

    // From here on the destructor removes the connection, whatever fails.
    std::unique_ptr<Journal> journal(new Journal(name, file, maxLogEntries));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(file);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs));
        if (!db.open())
            return fail(ExitCode::StorageError, QStringLiteral("cannot open the journal %1").arg(file), db.lastError().text());
    }
    const auto pragma = [&](const QString &sql) { return exec(name, file, QStringLiteral("configure the connection"), sql); };
    // busy_timeout first: switching to WAL and migrating may wait for another process.
    if (auto r = pragma(QStringLiteral("PRAGMA busy_timeout = %1").arg(kBusyTimeoutMs)); !r)
        return std::unexpected(r.error());
    {
        auto q = run(name, file, QStringLiteral("switch to write-ahead logging"), QStringLiteral("PRAGMA journal_mode = WAL"));
        if (!q)
            return std::unexpected(q.error());
        const QString mode = q->next() ? q->value(0).toString() : QString();
        if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return fail(ExitCode::StorageError, QStringLiteral("cannot switch the journal %1 to write-ahead logging").arg(file),
                        QStringLiteral("journal_mode is %1").arg(mode));
    }
    if (auto r = pragma(QStringLiteral("PRAGMA synchronous = FULL")); !r)
        return std::unexpected(r.error());
    if (auto r = journal->migrate(); !r)
        return std::unexpected(r.error());
    return journal;
}

Status Journal::migrate()
{
    const int known = int(schemaSteps().size());
    auto current = userVersion(m_connection, m_path);
    if (!current)
        return std::unexpected(current.error());
    if (*current > known)
        return fail(ExitCode::StorageError,
                    QStringLiteral("the journal %1 was written by a newer updater (schema %2; this one knows up to %3)")
                        .arg(m_path)
                        .arg(*current)
                        .arg(known));
    while (*current < known) {
        // Re-read inside the write transaction: another process may have migrated meanwhile.
        const int from = *current;
        auto step = transaction([&]() -> Status {
            auto v = userVersion(m_connection, m_path);
            if (!v)
                return std::unexpected(v.error());
            if (*v != from)
                return {};
            for (const QString &sql : schemaSteps().at(from)) {
                if (auto r = exec(m_connection, m_path, QStringLiteral("update the schema"), sql); !r)
                    return r;
            }
            return exec(m_connection, m_path, QStringLiteral("update the schema"),
                        QStringLiteral("PRAGMA user_version = %1").arg(from + 1));
        });
        if (!step)
            return std::unexpected(step.error().withContext(QStringLiteral("schema step %1").arg(from + 1)));
        current = userVersion(m_connection, m_path);
        if (!current)
            return std::unexpected(current.error());
        if (*current <= from)
            return fail(ExitCode::StorageError, QStringLiteral("the schema of the journal %1 did not advance").arg(m_path));
        qCDebug(lcStore).noquote() << "journal" << m_path << "schema" << from << "->" << *current;
    }
    return {};
}

int Journal::schemaVersion() const
{
    const auto v = userVersion(m_connection, m_path);
    return v ? *v : -1;
}

Status Journal::set(const QString &key, const QJsonValue &value)
{
    if (value.isUndefined())
        return remove(key);
    return exec(m_connection, m_path, QStringLiteral("store %1").arg(key),
                QStringLiteral("INSERT INTO state (key, value) VALUES (?, ?)"
                               " ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                {key, encode(value)});
}

Status Journal::setHint(const QString &key, const QJsonValue &value)
{
    if (m_depth > 0)
        return set(key, value);
    if (auto r = exec(m_connection, m_path, QStringLiteral("relax syncing"), QStringLiteral("PRAGMA synchronous = NORMAL")); !r)
        return r;
    const Status stored = set(key, value);
    // Every other write must stay durable: failing to restore FULL is an error of its own.
    if (auto r = exec(m_connection, m_path, QStringLiteral("restore syncing"), QStringLiteral("PRAGMA synchronous = FULL")); !r)
        return r;
    return stored;
}

Status Journal::remove(const QString &key)
{
    return exec(m_connection, m_path, QStringLiteral("remove %1").arg(key), QStringLiteral("DELETE FROM state WHERE key = ?"), {key});
}

QJsonValue Journal::value(const QString &key, const QJsonValue &fallback) const
{
    auto q = run(m_connection, m_path, QStringLiteral("read %1").arg(key), QStringLiteral("SELECT value FROM state WHERE key = ?"), {key});
    if (!q) {
        qCWarning(lcStore).noquote() << q.error().message << q.error().detail;
        return fallback;
    }
    if (!q->next())
        return fallback;
    const QString text = q->value(0).toString();
    const auto v = decode(text);
    if (!v) {
        qCWarning(lcStore).noquote() << "journal" << m_path << "holds no JSON under" << key << ":" << text;
        return fallback;
    }
    return *v;
}

QStringList Journal::keys() const
{
    QStringList out;
    auto q = run(m_connection, m_path, QStringLiteral("list the keys"), QStringLiteral("SELECT key FROM state ORDER BY key"));
    if (!q) {
        qCWarning(lcStore).noquote() << q.error().message << q.error().detail;
        return out;
    }
    while (q->next())
        out.append(q->value(0).toString());
    return out;
}

Status Journal::transaction(const std::function<Status()> &work)
{
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and
    // then writes fails at once with SQLITE_BUSY in WAL mode instead of waiting.
    const bool outer = m_depth == 0;
    const QString savepoint = QStringLiteral("s16_%1").arg(m_depth);
    if (auto r = exec(m_connection, m_path, QStringLiteral("begin a transaction"),
                      outer ? QStringLiteral("BEGIN IMMEDIATE") : QStringLiteral("SAVEPOINT ") % savepoint);
        !r)
        return r;
    ++m_depth;
    const auto rollback = [&] {
        Status r;
        if (outer) {
            r = exec(m_connection, m_path, QStringLiteral("roll back"), QStringLiteral("ROLLBACK"));
        } else {
            r = exec(m_connection, m_path, QStringLiteral("roll back"), QStringLiteral("ROLLBACK TO ") % savepoint);
            if (r)
                r = exec(m_connection, m_path, QStringLiteral("roll back"), QStringLiteral("RELEASE ") % savepoint);
        }
        if (!r)
            qCWarning(lcStore).noquote() << r.error().message << r.error().detail;
    };
    bool finished = false;
    const auto onThrow = qScopeGuard([&] {
        if (!finished) {
            --m_depth;
            rollback();
        }
    });
    Status result = work();
    finished = true;
    --m_depth;
    if (!result) {
        rollback();
        return result;
    }
    auto committed =
        exec(m_connection, m_path, QStringLiteral("commit"), outer ? QStringLiteral("COMMIT") : QStringLiteral("RELEASE ") % savepoint);
    if (!committed)
        rollback();
    return committed;
}

Status Journal::append(const LogEntry &entry)
{
    const QDateTime time = entry.time.isValid() ? entry.time.toUTC() : QDateTime::currentDateTimeUtc();
    return transaction([&]() -> Status {
        if (auto r = exec(m_connection, m_path, QStringLiteral("append to the log"),
                          QStringLiteral("INSERT INTO log (time, level, code, edge, message, detail, event)"
                                         " VALUES (?, ?, ?, ?, ?, ?, ?)"),
                          {time.toString(Qt::ISODateWithMs), levelName(entry.level), entry.code, orEmpty(entry.edge),
                           orEmpty(entry.message), orEmpty(entry.detail), orEmpty(entry.event)});
            !r)
            return r;
        return exec(m_connection, m_path, QStringLiteral("trim the log"),
                    QStringLiteral("DELETE FROM log WHERE id < (SELECT id FROM log ORDER BY id DESC LIMIT 1 OFFSET ?)"),
                    {m_maxLogEntries - 1});
    });
}

QList<LogEntry> Journal::entries(int limit) const
{
    QList<LogEntry> out;
    auto q = run(m_connection, m_path, QStringLiteral("read the log"),
                 QStringLiteral("SELECT id, time, level, code, edge, message, detail, event FROM"
                                " (SELECT * FROM log ORDER BY id DESC LIMIT ?) ORDER BY id"),
                 {limit < 0 ? -1 : limit});
    if (!q) {
        qCWarning(lcStore).noquote() << q.error().message << q.error().detail;
        return out;
    }
    while (q->next()) {
        LogEntry e;
        e.id = q->value(0).toLongLong();
        e.time = QDateTime::fromString(q->value(1).toString(), Qt::ISODateWithMs).toUTC();
        e.level = levelFromName(q->value(2).toString());
        e.code = q->value(3).toInt();
        e.edge = q->value(4).toString();
        e.message = q->value(5).toString();
        e.detail = q->value(6).toString();
        e.event = q->value(7).toString();
        out.append(e);
    }
    return out;
}

QString Journal::path() const { return m_path; }

std::expected<EngineLock, Error> EngineLock::tryAcquire(const QString &stateDir)
{
    const QString dir = QDir(stateDir).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(ExitCode::StorageError, QStringLiteral("cannot create the state folder %1").arg(dir));
    const QString path = QDir(dir).filePath(QStringLiteral("engine.lock"));
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(ExitCode::StorageError, QStringLiteral("cannot open the engine lock %1").arg(path), errnoText(errno));
    int rc;
    do {
        rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) // two updaters at once: the caller's mistake, not the storage's
            return fail(ExitCode::Usage, QStringLiteral("another update engine is running on this device (%1 is locked)").arg(path),
                        errnoText(err));
        return fail(ExitCode::StorageError, QStringLiteral("cannot lock %1").arg(path), errnoText(err));
    }
    const QByteArray pid = QByteArray::number(qint64(::getpid())) + '\n';
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.constData(), size_t(pid.size()), 0) != pid.size())
        qCWarning(lcStore).noquote() << "cannot record the pid in" << path << errnoText(errno);
    return EngineLock(fd, path);
}

std::optional<qint64> EngineLock::holder(const QString &stateDir)
{
    struct stat st {
    };
    if (::stat(QFile::encodeName(QDir(stateDir).filePath(QStringLiteral("engine.lock"))).constData(), &st) != 0)
        return std::nullopt;
    QFile locks(QStringLiteral("/proc/locks"));
    if (!locks.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray file = QByteArray::number(major(st.st_dev), 16).rightJustified(2, '0') + ':'
                            + QByteArray::number(minor(st.st_dev), 16).rightJustified(2, '0') + ':'
                            + QByteArray::number(quint64(st.st_ino));
    // "1: FLOCK  ADVISORY  WRITE 12423 fe:00:10985488 0 EOF"; a waiting lock has "->" before it
    for (const QByteArray &line : locks.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() >= 6 && fields[1] == "FLOCK" && fields[5] == file)
            return fields[4].toLongLong();
    }
    return std::nullopt;
}

EngineLock::EngineLock(EngineLock &&other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
    , m_path(std::move(other.m_path))
{
}

EngineLock &EngineLock::operator=(EngineLock &&other) noexcept
{
    if (this != &other) {
        release();
        m_fd = std::exchange(other.m_fd, -1);
        m_path = std::move(other.m_path);
    }
    return *this;
}

EngineLock::~EngineLock() { release(); }

void EngineLock::release() noexcept
{
    if (m_fd >= 0) {
        ::close(m_fd); // closing the last descriptor drops the flock
        m_fd = -1;
    }
}

} // namespace s16
