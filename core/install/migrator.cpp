#include "migrator.h"
#include "migrator_p.h"

#include "common/fileutil.h"
#include "common/logging.h"
#include "crypto/crypto.h"
#include "faults.h"

#include <QFile>
#include <QFileInfo>
#include <QStringBuilder>

#include <sqlite3.h>

#include <memory>

namespace s16 {
namespace {

constexpr qint64 kMaxScriptBytes = 16 * 1024 * 1024;
constexpr int kBusyTimeoutMs = 10000;

std::unexpected<MigrationProblem> problem(MigrationError code, QString message, QString detail = {})
{
    return std::unexpected(MigrationProblem{code, std::move(message), std::move(detail)});
}

struct DbCloser {
    void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

QString sqliteMessage(sqlite3 *db) { return QString::fromUtf8(sqlite3_errmsg(db)); }

std::expected<Db, MigrationProblem> openDb(const QString &path)
{
    if (!QFileInfo(path).isFile())
        return problem(MigrationError::NoDatabase, QStringLiteral("the database %1 does not exist").arg(path));
    sqlite3 *raw = nullptr;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) {
        return problem(MigrationError::DatabaseUnreadable, QStringLiteral("cannot open the database %1").arg(path),
                       raw ? sqliteMessage(raw) : QString::fromUtf8(sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    return db;
}

// Runs SQL that returns no rows of interest; the error text on failure.
std::expected<void, QString> exec(sqlite3 *db, const QByteArray &sql)
{
    char *err = nullptr;
    if (sqlite3_exec(db, sql.constData(), nullptr, nullptr, &err) != SQLITE_OK) {
        const QString message = err ? QString::fromUtf8(err) : sqliteMessage(db);
        sqlite3_free(err);
        return std::unexpected(message);
    }
    return {};
}

std::expected<int, QString> readUserVersion(sqlite3 *db)
{
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteMessage(db));
    const int rc = sqlite3_step(stmt);
    const int version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return std::unexpected(sqliteMessage(db));
    return version;
}

// What a script tried that the migrator owns. The authorizer refuses it when the
// statement is prepared, before it runs: a COMMIT inside a script would otherwise commit
// half a step, which no rollback could take back.
struct ScriptGuard {
    bool setsVersion = false;
    bool controlsTransaction = false;
};

int guardScript(void *context, int action, const char *arg1, const char *arg2, const char *, const char *)
{
    auto *guard = static_cast<ScriptGuard *>(context);
    if (action == SQLITE_TRANSACTION || action == SQLITE_SAVEPOINT) {
        guard->controlsTransaction = true;
        return SQLITE_DENY;
    }
    if (action == SQLITE_PRAGMA && arg1 && arg2 && sqlite3_stricmp(arg1, "user_version") == 0) {
        guard->setsVersion = true;
        return SQLITE_DENY;
    }
    return SQLITE_OK;
}

} // namespace

namespace migratordetail {

std::expected<void, MigrationProblem> applyStep(sqlite3 *db, const QString &database, int schema, const QByteArray &script, bool last)
{
    if (auto begun = exec(db, "BEGIN IMMEDIATE"); !begun) {
        return problem(MigrationError::DatabaseUnreadable, QStringLiteral("cannot start migrating the database %1").arg(database),
                       begun.error());
    }
    // The step is refused either way; a rollback that fails too (the connection's close
    // still undoes the step) is worth a line in the log.
    const auto rollback = [&] {
        if (auto undone = exec(db, "ROLLBACK"); !undone)
            qCWarning(lcMigrate).noquote() << "cannot roll back the migration to schema" << schema << ":" << undone.error();
    };
    ScriptGuard guard;
    sqlite3_set_authorizer(db, guardScript, &guard);
    const auto ran = exec(db, script);
    sqlite3_set_authorizer(db, nullptr, nullptr);
    if (guard.setsVersion) {
        rollback();
        return problem(MigrationError::ScriptSetsVersion, QStringLiteral("the migration to schema %1 sets user_version itself").arg(schema),
                       QStringLiteral("the migrator raises user_version; scripts must not"));
    }
    if (guard.controlsTransaction) {
        rollback();
        return problem(MigrationError::ScriptFailed, QStringLiteral("the migration to schema %1 controls transactions itself").arg(schema),
                       QStringLiteral("scripts must not contain BEGIN, COMMIT, ROLLBACK or SAVEPOINT"));
    }
    if (!ran) {
        rollback();
        return problem(MigrationError::ScriptFailed, QStringLiteral("the migration to schema %1 failed").arg(schema), ran.error());
    }
    const auto seen = readUserVersion(db);
    if (!seen || *seen != schema - 1) {
        rollback();
        return problem(MigrationError::ScriptSetsVersion, QStringLiteral("the migration to schema %1 sets user_version itself").arg(schema),
                       seen ? QStringLiteral("user_version became %1").arg(*seen) : seen.error());
    }
    if (last && fault::injected(u"migrate")) {
        rollback();
        return problem(MigrationError::ScriptFailed, QStringLiteral("the migration to schema %1 failed").arg(schema),
                       QStringLiteral("injected fault (S16_FAULT=migrate)"));
    }
    if (auto raised = exec(db, "PRAGMA user_version = " % QByteArray::number(schema)); !raised) {
        rollback();
        return problem(MigrationError::ScriptFailed, QStringLiteral("cannot record schema %1 in the database %2").arg(schema).arg(database),
                       raised.error());
    }
    if (auto committed = exec(db, "COMMIT"); !committed) {
        rollback();
        return problem(MigrationError::ScriptFailed, QStringLiteral("cannot commit the migration to schema %1").arg(schema),
                       committed.error());
    }
    return {};
}

} // namespace migratordetail

QString migrationErrorName(MigrationError code)
{
    switch (code) {
    case MigrationError::NoDatabase: return QStringLiteral("NoDatabase");
    case MigrationError::DatabaseUnreadable: return QStringLiteral("DatabaseUnreadable");
    case MigrationError::DatabaseTooNew: return QStringLiteral("DatabaseTooNew");
    case MigrationError::MissingStep: return QStringLiteral("MissingStep");
    case MigrationError::ScriptUnreadable: return QStringLiteral("ScriptUnreadable");
    case MigrationError::ScriptMismatch: return QStringLiteral("ScriptMismatch");
    case MigrationError::ScriptFailed: return QStringLiteral("ScriptFailed");
    case MigrationError::ScriptSetsVersion: return QStringLiteral("ScriptSetsVersion");
    case MigrationError::BackupFailed: return QStringLiteral("BackupFailed");
    case MigrationError::NoBackup: return QStringLiteral("NoBackup");
    case MigrationError::RestoreFailed: return QStringLiteral("RestoreFailed");
    case MigrationError::Cancelled: return QStringLiteral("Cancelled");
    }
    return QStringLiteral("Unknown");
}

Error toError(const MigrationProblem &problem) { return Error{ExitCode::InstallFailed, problem.message, Edge::E59, problem.detail}; }

Migrator::Migrator(QString database)
    : m_database(std::move(database))
{
}

QString Migrator::backupPath() const { return m_database % QStringLiteral(".s16-backup"); }

std::expected<int, MigrationProblem> Migrator::userVersion() const
{
    auto db = openDb(m_database);
    if (!db)
        return std::unexpected(db.error());
    auto version = readUserVersion(db->get());
    if (!version) {
        return problem(MigrationError::DatabaseUnreadable, QStringLiteral("cannot read the schema of the database %1").arg(m_database),
                       version.error());
    }
    return *version;
}

std::expected<bool, MigrationProblem> Migrator::needsMigration(int schema) const
{
    auto version = userVersion();
    if (!version)
        return std::unexpected(version.error());
    if (*version > schema) {
        return problem(MigrationError::DatabaseTooNew,
                       QStringLiteral("the database %1 is at schema %2, newer than the %3 the new system knows")
                           .arg(m_database)
                           .arg(*version)
                           .arg(schema));
    }
    return *version < schema;
}

std::expected<void, MigrationProblem> Migrator::backup() const
{
    if (fault::injected(u"backup"))
        return problem(MigrationError::BackupFailed, QStringLiteral("cannot back up the database %1").arg(m_database),
                       QStringLiteral("injected fault (S16_FAULT=backup)"));
    auto db = openDb(m_database);
    if (!db)
        return std::unexpected(db.error());
    const QString tmp = backupPath() % QStringLiteral(".tmp");
    QFile::remove(tmp); // VACUUM INTO refuses an existing file; a leftover is from a cut backup
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db->get(), "VACUUM INTO ?1", -1, &stmt, nullptr) != SQLITE_OK) {
        return problem(MigrationError::BackupFailed, QStringLiteral("cannot back up the database %1").arg(m_database),
                       sqliteMessage(db->get()));
    }
    const QByteArray tmpName = QFile::encodeName(tmp);
    sqlite3_bind_text(stmt, 1, tmpName.constData(), int(tmpName.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        QFile::remove(tmp);
        return problem(MigrationError::BackupFailed, QStringLiteral("cannot back up the database %1").arg(m_database),
                       sqliteMessage(db->get()));
    }
    db->reset();
    if (auto synced = fileutil::syncPath(tmp); !synced) {
        return problem(MigrationError::BackupFailed, QStringLiteral("cannot make the backup of %1 durable").arg(m_database),
                       synced.error().message % QStringLiteral(": ") % synced.error().detail);
    }
    if (auto renamed = fileutil::renameDurably(tmp, backupPath()); !renamed) {
        return problem(MigrationError::BackupFailed, QStringLiteral("cannot make the backup of %1 durable").arg(m_database),
                       renamed.error().message % QStringLiteral(": ") % renamed.error().detail);
    }
    qCInfo(lcMigrate) << "backed up" << m_database << "to" << backupPath();
    return {};
}

std::expected<void, MigrationProblem> Migrator::migrate(int schema, const QList<MigrationStep> &steps, const StepDone &stepDone,
                                                        std::stop_token stop) const
{
    auto db = openDb(m_database);
    if (!db)
        return std::unexpected(db.error());
    auto current = readUserVersion(db->get());
    if (!current) {
        return problem(MigrationError::DatabaseUnreadable, QStringLiteral("cannot read the schema of the database %1").arg(m_database),
                       current.error());
    }
    if (*current > schema) {
        return problem(MigrationError::DatabaseTooNew,
                       QStringLiteral("the database %1 is at schema %2, newer than the %3 the new system knows")
                           .arg(m_database)
                           .arg(*current)
                           .arg(schema));
    }
    for (int next = *current + 1; next <= schema; ++next) {
        if (stop.stop_requested())
            return problem(MigrationError::Cancelled, QStringLiteral("the migration of %1 was stopped").arg(m_database),
                           QStringLiteral("at schema %1").arg(next - 1));
        const auto step = std::find_if(steps.cbegin(), steps.cend(), [next](const MigrationStep &s) { return s.schema == next; });
        if (step == steps.cend()) {
            return problem(
                MigrationError::MissingStep,
                QStringLiteral("no migration takes the database %1 from schema %2 to %3").arg(m_database).arg(next - 1).arg(next));
        }
        const auto hash = crypto::sha256FileHex(step->path);
        if (!hash) {
            return problem(MigrationError::ScriptUnreadable, QStringLiteral("cannot read the migration %1").arg(step->path),
                           hash.error().message);
        }
        if (*hash != step->sha256) {
            return problem(MigrationError::ScriptMismatch, QStringLiteral("the migration %1 does not match its checksum").arg(step->path),
                           QStringLiteral("SHA-256 %1, expected %2").arg(QString::fromLatin1(*hash), QString::fromLatin1(step->sha256)));
        }
        const auto script = fileutil::readSmallFile(step->path, kMaxScriptBytes);
        if (!script) {
            return problem(MigrationError::ScriptUnreadable, QStringLiteral("cannot read the migration %1").arg(step->path),
                           script.error().detail);
        }

        if (auto applied = migratordetail::applyStep(db->get(), m_database, next, *script, next == schema); !applied)
            return applied;
        qCInfo(lcMigrate) << "migrated" << m_database << "to schema" << next;
        if (stepDone)
            stepDone(next);
        fault::killPoint(u"migrate.mid");
    }
    return {};
}

bool Migrator::hasBackup() const { return QFileInfo(backupPath()).isFile(); }

void Migrator::dropBackup() const
{
    QFile::remove(backupPath());
    QFile::remove(backupPath() % QStringLiteral(".tmp"));
}

std::expected<void, MigrationProblem> Migrator::restore() const
{
    if (!hasBackup())
        return problem(MigrationError::NoBackup, QStringLiteral("there is no backup of the database %1 to restore").arg(m_database));
    for (const auto suffix : {u"-wal", u"-shm", u"-journal"}) {
        const QString side = m_database % QStringView(suffix);
        if (QFile::exists(side) && !QFile::remove(side)) {
            return problem(MigrationError::RestoreFailed, QStringLiteral("cannot remove %1 to restore the database").arg(side));
        }
    }
    const QString tmp = m_database % QStringLiteral(".s16-restore");
    QFile::remove(tmp);
    if (!QFile::copy(backupPath(), tmp)) {
        return problem(MigrationError::RestoreFailed,
                       QStringLiteral("cannot copy the backup %1 to restore the database").arg(backupPath()));
    }
    if (auto synced = fileutil::syncPath(tmp); !synced)
        return problem(MigrationError::RestoreFailed, QStringLiteral("cannot restore the database %1").arg(m_database),
                       synced.error().detail);
    if (fault::injected(u"restore"))
        return problem(MigrationError::RestoreFailed, QStringLiteral("cannot restore the database %1").arg(m_database),
                       QStringLiteral("injected fault (S16_FAULT=restore)"));
    if (auto renamed = fileutil::renameDurably(tmp, m_database); !renamed)
        return problem(MigrationError::RestoreFailed, QStringLiteral("cannot restore the database %1").arg(m_database),
                       renamed.error().detail);
    qCInfo(lcMigrate) << "restored" << m_database << "from" << backupPath();
    return {};
}

} // namespace s16
