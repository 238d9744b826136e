// A staged migration script, as the migrator runs it on the app's database (one step,
// core/install/migrator_p.h). Scripts are signed, so the bytes are the publisher's; what
// must hold whatever they say is the migrator's own promise: a step is whole or absent.
// Properties: nothing crashes; afterwards no transaction is left open; a step that
// succeeded left user_version at exactly the new schema; a step that failed left the
// database as it was (schema, rows, user_version), including scripts that try to set
// user_version or to commit, roll back or save a point themselves.
//
// The database is in memory. The harness, not the product, bounds what SQLite may spend
// on one input (a runaway recursive query, a gigabyte blob) and forbids ATTACH, so an
// input cannot write files: those limits are set on the connection, before the step.

#include "fuzzutil.h"

#include "install/migrator_p.h"

#include <sqlite3.h>

using namespace s16;

namespace {

struct Db {
    sqlite3 *db = nullptr;
    ~Db() { sqlite3_close_v2(db); }
};

QByteArray query(sqlite3 *db, const char *sql)
{
    QByteArray out;
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK)
        return "error: " + QByteArray(sqlite3_errmsg(db));
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
            const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, i));
            out += text ? QByteArray(text, sqlite3_column_bytes(stmt, i)) : QByteArray("NULL");
            out += '\x1f';
        }
        out += '\n';
    }
    sqlite3_finalize(stmt);
    return out;
}

// What a failed step must leave untouched.
QByteArray snapshot(sqlite3 *db)
{
    return query(db, "PRAGMA user_version") + query(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name")
           + query(db, "SELECT * FROM item ORDER BY id");
}

int stopRunaway(void *steps) { return ++*static_cast<int *>(steps) > 2000; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    static const bool limited = [] {
        sqlite3_hard_heap_limit64(64 * 1024 * 1024);
        return true;
    }();
    (void)limited;
    const QByteArray script(reinterpret_cast<const char *>(data), qsizetype(size));

    Db d;
    S16_FUZZ_CHECK(sqlite3_open_v2(":memory:", &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    sqlite3_limit(d.db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_limit(d.db, SQLITE_LIMIT_LENGTH, 1024 * 1024);
    sqlite3_limit(d.db, SQLITE_LIMIT_SQL_LENGTH, 1024 * 1024);
    S16_FUZZ_CHECK(sqlite3_exec(d.db,
                                "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                                "CREATE INDEX item_name ON item(name);"
                                "INSERT INTO item(name) VALUES ('a'), ('b');"
                                "PRAGMA user_version = 1;",
                                nullptr, nullptr, nullptr)
                   == SQLITE_OK);
    int steps = 0;
    sqlite3_progress_handler(d.db, 1000, stopRunaway, &steps);
    const QByteArray before = snapshot(d.db);

    const auto applied = migratordetail::applyStep(d.db, QStringLiteral("fuzz.db"), 2, script, false);
    sqlite3_progress_handler(d.db, 0, nullptr, nullptr);
    S16_FUZZ_CHECK(sqlite3_get_autocommit(d.db) != 0);
    if (applied) {
        S16_FUZZ_CHECK(query(d.db, "PRAGMA user_version") == "2\x1f\n");
        return 0;
    }
    const MigrationError code = applied.error().code;
    S16_FUZZ_CHECK(code == MigrationError::ScriptFailed || code == MigrationError::ScriptSetsVersion);
    (void)toError(applied.error());
    S16_FUZZ_CHECK(snapshot(d.db) == before);
    return 0;
}
