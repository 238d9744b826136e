#include "install/migrator.h"
#include "install/migrator_p.h"
#include "support/testutil.h"

#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace s16;

// Every database here is made and read by the sqlite3 command line, so the migrator is
// checked by a tool that shares none of its code.
class tst_Migrator : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void migratesStepByStep_data();
    void migratesStepByStep();
    void needsMigration_data();
    void needsMigration();
    void failingStepRollsBack_data();
    void failingStepRollsBack();
    void backupIsConsistentAndRestoreReplaces();
    void restoreRemovesStaleWal();
    void restoreWithoutBackupFails();
    void errorsFailTheInstall();
    void stepInMemory_data();
    void stepInMemory();

private:
    QString sql(const QString &query, const QString &db = {});
    MigrationStep script(int schema, const QByteArray &text);
    QString m_db;
    std::unique_ptr<QTemporaryDir> m_dir;
};

QString tst_Migrator::sql(const QString &query, const QString &db)
{
    const auto r = test::runTool(QStringLiteral("sqlite3"), {db.isEmpty() ? m_db : db, query});
    if (r.exitCode != 0)
        qWarning() << "sqlite3 failed:" << r.describe();
    return QString::fromUtf8(r.out).trimmed();
}

MigrationStep tst_Migrator::script(int schema, const QByteArray &text)
{
    const QString path = m_dir->filePath(QStringLiteral("%1.sql").arg(schema, 4, 10, QLatin1Char('0')));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
        qFatal("cannot write a script");
    f.close();
    return {schema, path, test::sha256Hex(path).value_or(QString()).toLatin1()};
}

void tst_Migrator::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_db = m_dir->filePath(QStringLiteral("app.db"));
    sql(QStringLiteral("PRAGMA journal_mode=WAL; CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"
                       "INSERT INTO notes(text) VALUES ('one'),('two'); PRAGMA user_version=1;"));
    QCOMPARE(sql(QStringLiteral("PRAGMA user_version")), QStringLiteral("1"));
    qunsetenv("S16_FAULT");
}

void tst_Migrator::migratesStepByStep_data()
{
    QTest::addColumn<int>("target");
    QTest::addColumn<QString>("columns");
    QTest::newRow("one step") << 2 << QStringLiteral("id,text,created");
    QTest::newRow("two steps") << 3 << QStringLiteral("id,text,created,tag");
    QTest::newRow("already there") << 1 << QStringLiteral("id,text");
}

void tst_Migrator::migratesStepByStep()
{
    QFETCH(int, target);
    QFETCH(QString, columns);
    const QList<MigrationStep> steps{
        script(3, "ALTER TABLE notes ADD COLUMN tag TEXT;\nUPDATE notes SET tag = 'x';\n"),
        script(2, "ALTER TABLE notes ADD COLUMN created INTEGER;\nCREATE INDEX notes_created ON notes(created);\n"),
    };
    const Migrator migrator(m_db);
    QList<int> reached;
    const auto done = migrator.migrate(target, steps, [&](int schema) { reached.append(schema); });
    QVERIFY2(done, done ? "" : qPrintable(done.error().message + u' ' + done.error().detail));
    QCOMPARE(sql(QStringLiteral("PRAGMA user_version")), QString::number(target));
    QCOMPARE(sql(QStringLiteral("SELECT group_concat(name) FROM pragma_table_info('notes')")), columns);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
    QList<int> expected;
    for (int s = 2; s <= target; ++s)
        expected.append(s);
    QCOMPARE(reached, expected);
}

void tst_Migrator::needsMigration_data()
{
    QTest::addColumn<int>("schema");
    QTest::addColumn<int>("result"); // 1 yes, 0 no, -1 DatabaseTooNew
    QTest::newRow("older database") << 4 << 1;
    QTest::newRow("same schema") << 1 << 0;
    QTest::newRow("database newer than the system") << 0 << -1;
}

void tst_Migrator::needsMigration()
{
    QFETCH(int, schema);
    QFETCH(int, result);
    const auto need = Migrator(m_db).needsMigration(schema);
    if (result < 0) {
        QVERIFY(!need);
        QCOMPARE(need.error().code, MigrationError::DatabaseTooNew);
    } else {
        QVERIFY(need);
        QCOMPARE(*need, result == 1);
    }
    const auto none = Migrator(m_dir->filePath(QStringLiteral("none.db"))).needsMigration(2);
    QVERIFY(!none);
    QCOMPARE(none.error().code, MigrationError::NoDatabase);
}

void tst_Migrator::failingStepRollsBack_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("tamper"); // "", "hash", "missing", "fault"
    QTest::addColumn<int>("target");
    QTest::addColumn<MigrationError>("expected");
    QTest::newRow("SQL error halfway") << QByteArray("CREATE TABLE t3(a);\nINSERT INTO nosuchtable VALUES (1);\n") << QString() << 3
                                       << MigrationError::ScriptFailed;
    QTest::newRow("script sets user_version") << QByteArray("CREATE TABLE t3(a);\nPRAGMA user_version = 7;\n") << QString() << 3
                                              << MigrationError::ScriptSetsVersion;
    QTest::newRow("script commits by itself") << QByteArray("CREATE TABLE t3(a);\nCOMMIT;\n") << QString() << 3
                                              << MigrationError::ScriptFailed;
    QTest::newRow("checksum mismatch") << QByteArray("CREATE TABLE t3(a);\n") << QStringLiteral("hash") << 3
                                       << MigrationError::ScriptMismatch;
    QTest::newRow("script missing") << QByteArray("CREATE TABLE t3(a);\n") << QStringLiteral("missing") << 3
                                    << MigrationError::ScriptUnreadable;
    QTest::newRow("no script for a step") << QByteArray("CREATE TABLE t3(a);\n") << QString() << 4 << MigrationError::MissingStep;
    QTest::newRow("injected fault at the last step")
        << QByteArray("CREATE TABLE t3(a);\n") << QStringLiteral("fault") << 3 << MigrationError::ScriptFailed;
}

void tst_Migrator::failingStepRollsBack()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, tamper);
    QFETCH(int, target);
    QFETCH(MigrationError, expected);
    MigrationStep bad = script(3, text);
    if (tamper == QLatin1StringView("hash"))
        bad.sha256 = QByteArray(64, 'a');
    if (tamper == QLatin1StringView("missing"))
        QVERIFY(QFile::remove(bad.path));
    if (tamper == QLatin1StringView("fault"))
        qputenv("S16_FAULT", "migrate");
    const QList<MigrationStep> steps{script(2, "CREATE TABLE t2(a);\n"), bad};
    const auto done = Migrator(m_db).migrate(target, steps);
    qunsetenv("S16_FAULT");
    QVERIFY(!done);
    QCOMPARE(done.error().code, expected);
    // step 2 committed whole; a failing step left nothing behind
    const bool thirdRan = expected == MigrationError::MissingStep;
    QCOMPARE(sql(QStringLiteral("PRAGMA user_version")), thirdRan ? QStringLiteral("3") : QStringLiteral("2"));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE name='t2'")), QStringLiteral("1"));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE name='t3'")),
             thirdRan ? QStringLiteral("1") : QStringLiteral("0"));
    QCOMPARE(sql(QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
}

void tst_Migrator::backupIsConsistentAndRestoreReplaces()
{
    const Migrator migrator(m_db);
    QVERIFY(!migrator.hasBackup());
    QVERIFY(migrator.backup());
    QVERIFY(migrator.hasBackup());
    QCOMPARE(migrator.backupPath(), m_db + QStringLiteral(".s16-backup"));
    QVERIFY(!QFile::exists(migrator.backupPath() + QStringLiteral(".tmp")));
    QCOMPARE(sql(QStringLiteral("PRAGMA user_version"), migrator.backupPath()), QStringLiteral("1"));
    QCOMPARE(sql(QStringLiteral("SELECT group_concat(text) FROM notes"), migrator.backupPath()), QStringLiteral("one,two"));

    QVERIFY(migrator.migrate(2, {script(2, "DELETE FROM notes WHERE id = 1;\n")}));
    QCOMPARE(sql(QStringLiteral("SELECT group_concat(text) FROM notes")), QStringLiteral("two"));
    QVERIFY(migrator.restore());
    QCOMPARE(sql(QStringLiteral("PRAGMA user_version")), QStringLiteral("1"));
    QCOMPARE(sql(QStringLiteral("SELECT group_concat(text) FROM notes")), QStringLiteral("one,two"));
    // a restore cut short is repeated: the backup is still there
    QVERIFY(migrator.hasBackup());
    QVERIFY(migrator.restore());
    QCOMPARE(sql(QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
    migrator.dropBackup();
    QVERIFY(!migrator.hasBackup());
}

void tst_Migrator::restoreRemovesStaleWal()
{
    const Migrator migrator(m_db);
    QVERIFY(migrator.backup());
    // A -wal file left by a process that died holding newer data must not be replayed
    // into the restored database.
    QFile wal(m_db + QStringLiteral("-wal"));
    QVERIFY(wal.open(QIODevice::WriteOnly));
    wal.write(QByteArray(4096, 'x'));
    wal.close();
    QVERIFY(migrator.restore());
    QVERIFY(!QFile::exists(m_db + QStringLiteral("-wal")));
    QCOMPARE(sql(QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
}

void tst_Migrator::restoreWithoutBackupFails()
{
    const auto restored = Migrator(m_db).restore();
    QVERIFY(!restored);
    QCOMPARE(restored.error().code, MigrationError::NoBackup);
    qputenv("S16_FAULT", "backup");
    const auto backedUp = Migrator(m_db).backup();
    qunsetenv("S16_FAULT");
    QVERIFY(!backedUp);
    QCOMPARE(backedUp.error().code, MigrationError::BackupFailed);
    QVERIFY(!Migrator(m_db).hasBackup());
}

void tst_Migrator::errorsFailTheInstall()
{
    const auto need = Migrator(m_db).needsMigration(0);
    QVERIFY(!need);
    const Error e = toError(need.error());
    QCOMPARE(e.code, ExitCode::InstallFailed);
    QCOMPARE(e.edge, std::optional(Edge::E59));
    QVERIFY(e.message.contains(m_db));
}

// migratordetail::applyStep, the one step Migrator::migrate runs per script (and
// tests/fuzz/migration runs on any bytes), on a database in memory: whole or absent.
void tst_Migrator::stepInMemory_data()
{
    QTest::addColumn<QByteArray>("script");
    QTest::addColumn<int>("error"); // -1: applied
    QTest::newRow("adds a column") << QByteArray("ALTER TABLE t ADD COLUMN b INTEGER;") << -1;
    QTest::newRow("sets user_version") << QByteArray("DROP TABLE t; PRAGMA user_version = 9;") << int(MigrationError::ScriptSetsVersion);
    QTest::newRow("commits") << QByteArray("DROP TABLE t; COMMIT;") << int(MigrationError::ScriptFailed);
    QTest::newRow("fails halfway") << QByteArray("DROP TABLE t; SELECT * FROM nothing;") << int(MigrationError::ScriptFailed);
}

void tst_Migrator::stepInMemory()
{
    QFETCH(QByteArray, script);
    QFETCH(int, error);
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(":memory:", &db), SQLITE_OK);
    const auto closer = qScopeGuard([db] { sqlite3_close(db); });
    QCOMPARE(sqlite3_exec(db, "CREATE TABLE t(a); INSERT INTO t VALUES (1); PRAGMA user_version = 4;", nullptr, nullptr, nullptr),
             SQLITE_OK);
    const auto applied = migratordetail::applyStep(db, QStringLiteral("mem"), 5, script, false);
    QVERIFY(sqlite3_get_autocommit(db));
    const auto scalar = [db](const char *sql) {
        sqlite3_stmt *stmt = nullptr;
        int value = -1;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
            value = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        return value;
    };
    if (error < 0) {
        QVERIFY(applied);
        QCOMPARE(scalar("PRAGMA user_version"), 5);
        return;
    }
    QVERIFY(!applied);
    QCOMPARE(int(applied.error().code), error);
    QCOMPARE(scalar("PRAGMA user_version"), 4);
    QCOMPARE(scalar("SELECT count(*) FROM t"), 1);
}

QTEST_GUILESS_MAIN(tst_Migrator)
#include "tst_migrator.moc"
