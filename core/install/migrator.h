#pragma once

#include "common/error.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <expected>
#include <functional>
#include <stop_token>

namespace s16 {

enum class MigrationError {
    NoDatabase,         // the database file does not exist
    DatabaseUnreadable, // not a SQLite database, or it cannot be opened or queried
    DatabaseTooNew,     // its user_version is above the schema the new system knows: refused
    MissingStep,        // no migration script raises the schema from N-1 to N
    ScriptUnreadable,   // a staged script is missing or unreadable
    ScriptMismatch,     // a staged script does not hash to the manifest's SHA-256
    ScriptFailed,       // SQLite refused the script; its transaction was rolled back
    ScriptSetsVersion,  // the script changed user_version itself (the migrator owns it)
    BackupFailed,       // the backup could not be made or made durable
    NoBackup,           // restore without a backup
    RestoreFailed,      // the backup could not be put back
    Cancelled,          // stopped on request between two steps (the database is at a whole step)
};

struct MigrationProblem {
    MigrationError code;
    QString message;
    QString detail; // SQLite's message, errno text
};

[[nodiscard]] QString migrationErrorName(MigrationError code);
// Every migration problem fails the install (ExitCode::InstallFailed) by edge E59.
[[nodiscard]] Error toError(const MigrationProblem &problem);

// One staged migration: applied to a database at schema - 1, it leaves it at schema.
struct MigrationStep {
    int schema = 0;
    QString path;      // the staged .sql file
    QByteArray sha256; // lowercase hex, from the manifest
};

// Brings the app's SQLite database to the schema the new system needs, the way
// NeoChat/Kasts version theirs (PRAGMA user_version, one transaction per step), and
// what they do not: the database path is injected, a consistent, fsynced backup is made
// before anything changes, and a database newer than the new system is refused. Each
// step runs its script and raises user_version by exactly one in the same transaction,
// so a power cut leaves the database at a whole step, and user_version says which.
// The sqlite3 C API is used directly because a migration script holds several
// statements, which QSqlQuery would silently cut to the first.
class Migrator
{
public:
    explicit Migrator(QString database);

    [[nodiscard]] QString database() const { return m_database; }
    [[nodiscard]] QString backupPath() const; // database + ".s16-backup"

    [[nodiscard]] std::expected<int, MigrationProblem> userVersion() const;
    // true below schema, false at it; DatabaseTooNew above it.
    [[nodiscard]] std::expected<bool, MigrationProblem> needsMigration(int schema) const;
    // VACUUM INTO a temporary file, fsync it, rename it to backupPath(), fsync the folder:
    // the backup is either complete or absent.
    [[nodiscard]] std::expected<void, MigrationProblem> backup() const;
    // Runs the steps from the database's current user_version up to schema. stepDone is
    // called after each committed step with the schema reached; stop is checked before each
    // step (MigrationError::Cancelled).
    using StepDone = std::function<void(int schema)>;
    [[nodiscard]] std::expected<void, MigrationProblem> migrate(int schema, const QList<MigrationStep> &steps,
                                                                const StepDone &stepDone = {}, std::stop_token stop = {}) const;
    // Replaces the database by the backup atomically (the -wal/-shm files are removed
    // first, so a stale log is never replayed into the restored file). The backup stays,
    // so a restore cut short can simply be repeated.
    [[nodiscard]] std::expected<void, MigrationProblem> restore() const;
    [[nodiscard]] bool hasBackup() const;
    void dropBackup() const;

private:
    QString m_database;
};

} // namespace s16
