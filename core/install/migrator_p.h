#pragma once

// Internal to s16_install: one migration step on an open database, which the Migrator
// runs for each staged script and tests/fuzz/migration runs on any bytes.

#include "migrator.h"

struct sqlite3;

namespace s16::migratordetail {

// Runs script on db (at schema - 1, no transaction open) in one transaction and raises
// user_version to schema in it. A script that sets user_version itself or controls
// transactions (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is refused by SQLite's authorizer before
// it runs; on any failure the transaction is rolled back, so db is as it was. database names
// the file in messages; last marks the last step (where S16_FAULT=migrate strikes).
[[nodiscard]] std::expected<void, MigrationProblem> applyStep(sqlite3 *db, const QString &database, int schema, const QByteArray &script,
                                                              bool last);

} // namespace s16::migratordetail
