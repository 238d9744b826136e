#include "store/journal.h"
#include "support/datatable.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <stdexcept>

using namespace s16;

namespace {

const char kWriterArg[] = "--power-cut-writer";

// What the power-cut writer stores in transaction n: several keys and a log entry
// that must all agree after any crash.
QString padFor(qint64 n) { return QString(2048 + int(n % 97), QChar(u'a' + int(n % 26))); }

// Runs in a child process (the test binary re-executed): writes transactions until it
// is killed, printing each number once its transaction has committed.
int powerCutWriter(const QString &stateDir)
{
    auto journal = Journal::open(stateDir, 50);
    if (!journal) {
        std::fprintf(stderr, "open: %s\n", qPrintable(journal.error().message));
        return 3;
    }
    Journal &j = **journal;
    qint64 n = j.value(QStringLiteral("n"), 0).toInteger();
    QElapsedTimer alive;
    alive.start();
    while (alive.elapsed() < 30000) { // a safety net should the parent vanish
        ++n;
        const auto r = j.transaction([&]() -> Status {
            if (auto s = j.set(QStringLiteral("n"), n); !s)
                return s;
            if (auto s = j.append({0, {}, LogEntry::Level::Info, 0, {}, QStringLiteral("tx %1").arg(n), {}, QStringLiteral("tx")}); !s)
                return s;
            if (auto s = j.set(QStringLiteral("blob"), QJsonObject{{QStringLiteral("n"), n}, {QStringLiteral("pad"), padFor(n)}}); !s)
                return s;
            return j.set(QStringLiteral("twin"), n);
        });
        if (!r) {
            std::fprintf(stderr, "tx: %s %s\n", qPrintable(r.error().message), qPrintable(r.error().detail));
            return 4;
        }
        std::printf("%lld\n", static_cast<long long>(n));
        std::fflush(stdout);
    }
    return 0;
}

QString runSqlite(const QString &db, const QString &sql, int *exitCode = nullptr)
{
    QProcess p;
    p.start(QStringLiteral("sqlite3"), {db, sql});
    if (!p.waitForFinished(10000))
        qFatal("sqlite3 did not finish");
    if (exitCode)
        *exitCode = p.exitCode();
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

LogEntry entry(const QString &message, LogEntry::Level level = LogEntry::Level::Info)
{
    LogEntry e;
    e.level = level;
    e.message = message;
    return e;
}

} // namespace

class tst_Journal : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void createsSchemaInWalMode();
    void valuesRoundTrip_data();
    void valuesRoundTrip();
    void hintIsStoredAndTakesPartInTransactions();
    void overwriteAndRemove();
    void transactionRollsBack_data();
    void transactionRollsBack();
    void transactionRollsBackWhenWorkThrows();
    void nestedTransactionRollsBackOnlyInner();
    void logIsBounded_data();
    void logIsBounded();
    void logEntryRoundTrip();
    void twoJournalsOnOneFile();
    void readableBySqlite3();
    void waitsForAnotherWriter();
    void corruptFileIsReported();
    void newerSchemaIsRefused();
    void unusableStateDir();
    void readerSeesWholeTransactionsOfAnotherProcess();
    void killedWriterLeavesTransactionsWhole();

private:
    std::unique_ptr<Journal> openJournal(int maxLog = 2000);
    QScopedPointer<QTemporaryDir> m_dir;
    QString m_stateDir;
};

void tst_Journal::init()
{
    m_dir.reset(new QTemporaryDir);
    QVERIFY(m_dir->isValid());
    m_stateDir = m_dir->filePath(QStringLiteral("state"));
}

std::unique_ptr<Journal> tst_Journal::openJournal(int maxLog)
{
    auto j = Journal::open(m_stateDir, maxLog);
    if (!j) {
        qWarning("open failed: %s / %s", qPrintable(j.error().message), qPrintable(j.error().detail));
        return {};
    }
    return std::move(*j);
}

void tst_Journal::hintIsStoredAndTakesPartInTransactions()
{
    auto j = openJournal();
    QVERIFY(j);
    QVERIFY(j->setHint(QStringLiteral("progress"), QJsonObject{{QStringLiteral("bytes"), 1}}));
    // another connection (another process would use one) sees it at once
    auto other = openJournal();
    QVERIFY(other);
    QCOMPARE(other->value(QStringLiteral("progress")).toObject().value(QStringLiteral("bytes")).toInt(), 1);
    // inside a transaction it is rolled back with the rest
    const Status failed = j->transaction([&]() -> Status {
        if (auto s = j->setHint(QStringLiteral("progress"), QJsonObject{{QStringLiteral("bytes"), 2}}); !s)
            return s;
        return std::unexpected(Error{ExitCode::StorageError, QStringLiteral("no"), {}, {}});
    });
    QVERIFY(!failed);
    QCOMPARE(other->value(QStringLiteral("progress")).toObject().value(QStringLiteral("bytes")).toInt(), 1);
    // ordinary writes go on after it
    QVERIFY(j->set(QStringLiteral("n"), 7));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("SELECT value FROM state WHERE key = 'n'")), QStringLiteral("7"));
}

void tst_Journal::createsSchemaInWalMode()
{
    auto j = openJournal();
    QVERIFY(j);
    QCOMPARE(j->path(), QDir(m_stateDir).filePath(QStringLiteral("journal.db")));
    QCOMPARE(j->schemaVersion(), 1);
    QVERIFY(QFile::exists(j->path() + QStringLiteral("-wal")));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("PRAGMA journal_mode")), QStringLiteral("wal"));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("PRAGMA user_version")), QStringLiteral("1"));
    // Opening again leaves the schema as it is.
    j.reset();
    j = openJournal();
    QVERIFY(j);
    QCOMPARE(j->schemaVersion(), 1);
}

void tst_Journal::valuesRoundTrip_data()
{
    test::addRows<QJsonValue>("value", {{"null", QJsonValue(QJsonValue::Null)},
                                        {"true", QJsonValue(true)},
                                        {"false", QJsonValue(false)},
                                        {"zero", QJsonValue(0)},
                                        {"2^53", QJsonValue(qint64(1) << 53)},
                                        {"negative", QJsonValue(-42)},
                                        {"double", QJsonValue(2.5)},
                                        {"empty string", QJsonValue(QString())},
                                        {"unicode", QJsonValue(QStringLiteral("Schnellerer Start \u00e4\u20ac \"quoted\" ]"))},
                                        {"array", QJsonValue(QJsonArray{1, QStringLiteral("two"), QJsonObject{{QStringLiteral("x"), 3}}})},
                                        {"object", QJsonValue(QJsonObject{{QStringLiteral("version"), QStringLiteral("2.1.0")},
                                                                          {QStringLiteral("priority"), true},
                                                                          {QStringLiteral("size"), 268435456}})}});
}

void tst_Journal::valuesRoundTrip()
{
    QFETCH(QJsonValue, value);
    {
        auto j = openJournal();
        QVERIFY(j);
        QVERIFY(j->set(QStringLiteral("k"), value));
        QCOMPARE(j->value(QStringLiteral("k"), QStringLiteral("absent")), value);
    }
    auto reopened = openJournal(); // it is on disk, not in a cache
    QVERIFY(reopened);
    QCOMPARE(reopened->value(QStringLiteral("k"), QStringLiteral("absent")), value);
    QCOMPARE(reopened->keys(), QStringList{QStringLiteral("k")});
}

void tst_Journal::overwriteAndRemove()
{
    auto j = openJournal();
    QVERIFY(j);
    const QJsonValue fallback(QStringLiteral("fallback"));
    QCOMPARE(j->value(QStringLiteral("a"), fallback), fallback);
    QVERIFY(j->set(QStringLiteral("a"), 1));
    QVERIFY(j->set(QStringLiteral("a"), 2));
    QCOMPARE(j->value(QStringLiteral("a")), QJsonValue(2));
    QVERIFY(j->remove(QStringLiteral("a")));
    QCOMPARE(j->value(QStringLiteral("a"), fallback), fallback);
    QVERIFY(j->remove(QStringLiteral("a"))); // removing an absent key is fine
    QVERIFY(j->set(QStringLiteral("b"), 1));
    QVERIFY(j->set(QStringLiteral("b"), QJsonValue(QJsonValue::Undefined)));
    QCOMPARE(j->value(QStringLiteral("b"), fallback), fallback);
    QVERIFY(j->keys().isEmpty());
}

void tst_Journal::transactionRollsBack_data()
{
    QTest::addColumn<int>("writesBeforeFailure");
    QTest::addColumn<int>("codeValue");
    QTest::newRow("at once") << 0 << toInt(ExitCode::InstallFailed);
    QTest::newRow("after one write") << 1 << toInt(ExitCode::IntegrityMismatch);
    QTest::newRow("after a write and a log entry") << 2 << toInt(ExitCode::StorageError);
    QTest::newRow("after three") << 3 << toInt(ExitCode::DownloadFailed);
}

void tst_Journal::transactionRollsBack()
{
    QFETCH(int, writesBeforeFailure);
    QFETCH(int, codeValue);
    const auto code = ExitCode(codeValue);
    auto j = openJournal();
    QVERIFY(j);
    QVERIFY(j->set(QStringLiteral("state"), QStringLiteral("idle")));
    QVERIFY(j->append(entry(QStringLiteral("before"))));

    const auto r = j->transaction([&]() -> Status {
        int left = writesBeforeFailure;
        if (left-- > 0)
            if (auto s = j->set(QStringLiteral("state"), QStringLiteral("ready")); !s)
                return s;
        if (left-- > 0)
            if (auto s = j->append(entry(QStringLiteral("staged"))); !s)
                return s;
        if (left-- > 0)
            if (auto s = j->remove(QStringLiteral("state")); !s)
                return s;
        return fail(code, QStringLiteral("work failed"), QStringLiteral("detail"), Edge::E38);
    });
    QVERIFY(!r);
    QCOMPARE(r.error().code, code); // the work's own error comes back unchanged
    QCOMPARE(r.error().edge, std::optional(Edge::E38));
    QCOMPARE(j->value(QStringLiteral("state")), QJsonValue(QStringLiteral("idle")));
    const auto log = j->entries();
    QCOMPARE(log.size(), 1);
    QCOMPARE(log.first().message, QStringLiteral("before"));

    // The journal is usable again, and a successful transaction commits.
    QVERIFY(j->transaction([&]() -> Status { return j->set(QStringLiteral("state"), QStringLiteral("ready")); }));
    QCOMPARE(j->value(QStringLiteral("state")), QJsonValue(QStringLiteral("ready")));
}

void tst_Journal::transactionRollsBackWhenWorkThrows()
{
    auto j = openJournal();
    QVERIFY(j);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, (void)j->transaction([&]() -> Status {
        (void)j->set(QStringLiteral("x"), 1);
        throw std::runtime_error("boom");
    }));
    QCOMPARE(j->value(QStringLiteral("x"), -1), QJsonValue(-1));
    QVERIFY(j->set(QStringLiteral("y"), 2)); // not stuck inside the abandoned transaction
    auto other = openJournal();
    QVERIFY(other);
    QCOMPARE(other->value(QStringLiteral("y")), QJsonValue(2));
}

void tst_Journal::nestedTransactionRollsBackOnlyInner()
{
    auto j = openJournal();
    QVERIFY(j);
    QVERIFY(j->transaction([&]() -> Status {
        if (auto s = j->set(QStringLiteral("outer"), 1); !s)
            return s;
        const auto inner = j->transaction([&]() -> Status {
            (void)j->set(QStringLiteral("inner"), 2);
            return fail(ExitCode::InstallFailed, QStringLiteral("inner failed"));
        });
        if (inner || inner.error().code != ExitCode::InstallFailed)
            return fail(ExitCode::Usage, QStringLiteral("inner transaction did not fail as it should"));
        return j->set(QStringLiteral("after"), 3);
    }));
    QCOMPARE(j->value(QStringLiteral("outer")), QJsonValue(1));
    QCOMPARE(j->value(QStringLiteral("inner"), -1), QJsonValue(-1));
    QCOMPARE(j->value(QStringLiteral("after")), QJsonValue(3));
}

void tst_Journal::logIsBounded_data()
{
    QTest::addColumn<int>("maxEntries");
    QTest::addColumn<int>("appended");
    QTest::addColumn<int>("limit");
    QTest::newRow("below the bound") << 5 << 3 << -1;
    QTest::newRow("at the bound") << 5 << 5 << -1;
    QTest::newRow("past the bound") << 5 << 12 << -1;
    QTest::newRow("bound of one") << 1 << 4 << -1;
    QTest::newRow("limit newest two") << 5 << 12 << 2;
    QTest::newRow("limit above count") << 5 << 3 << 10;
    QTest::newRow("limit zero") << 5 << 3 << 0;
}

void tst_Journal::logIsBounded()
{
    QFETCH(int, maxEntries);
    QFETCH(int, appended);
    QFETCH(int, limit);
    auto j = openJournal(maxEntries);
    QVERIFY(j);
    for (int i = 1; i <= appended; ++i)
        QVERIFY(j->append(entry(QStringLiteral("m%1").arg(i))));
    const int kept = std::min(maxEntries, appended);
    const int expected = limit < 0 ? kept : std::min(limit, kept);
    const auto log = j->entries(limit);
    QCOMPARE(log.size(), expected);
    for (int i = 0; i < expected; ++i) // newest last, without gaps
        QCOMPARE(log.at(i).message, QStringLiteral("m%1").arg(appended - expected + 1 + i));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("SELECT count(*) FROM log")), QString::number(kept));
}

void tst_Journal::logEntryRoundTrip()
{
    auto j = openJournal();
    QVERIFY(j);
    LogEntry e;
    e.time = QDateTime(QDate(2026, 11, 20), QTime(10, 0, 1, 234), Qt::UTC);
    e.level = LogEntry::Level::Error;
    e.code = toInt(ExitCode::IntegrityMismatch);
    e.edge = QStringLiteral("E38");
    e.message = QStringLiteral("checksum mismatch");
    e.detail = QStringLiteral("expected ab, got cd");
    e.event = QStringLiteral("checkFailed");
    QVERIFY(j->append(e));
    QVERIFY(j->append(entry(QStringLiteral("no time given"), LogEntry::Level::Warning)));
    const auto log = j->entries();
    QCOMPARE(log.size(), 2);
    const LogEntry &r = log.first();
    QVERIFY(r.id > 0);
    QCOMPARE(r.time, e.time);
    QCOMPARE(r.level, e.level);
    QCOMPARE(r.code, 15);
    QCOMPARE(r.edge, e.edge);
    QCOMPARE(r.message, e.message);
    QCOMPARE(r.detail, e.detail);
    QCOMPARE(r.event, e.event);
    QVERIFY(log.at(1).id > r.id);
    QCOMPARE(log.at(1).level, LogEntry::Level::Warning);
    QVERIFY(qAbs(log.at(1).time.secsTo(QDateTime::currentDateTimeUtc())) < 60); // stamped "now"
}

void tst_Journal::twoJournalsOnOneFile()
{
    auto a = openJournal(4);
    auto b = openJournal(4);
    QVERIFY(a && b);
    QCOMPARE(a->path(), b->path());
    QVERIFY(a->set(QStringLiteral("consent"), true));
    QCOMPARE(b->value(QStringLiteral("consent")), QJsonValue(true));
    QVERIFY(b->set(QStringLiteral("consent"), false));
    QCOMPARE(a->value(QStringLiteral("consent")), QJsonValue(false));
    for (int i = 0; i < 6; ++i)
        QVERIFY((i % 2 ? a : b)->append(entry(QStringLiteral("e%1").arg(i))));
    QCOMPARE(a->entries().size(), 4);
    QCOMPARE(b->entries().last().message, QStringLiteral("e5"));
    // Closing one leaves the other working.
    a.reset();
    QVERIFY(b->set(QStringLiteral("still"), 1));
    QCOMPARE(b->value(QStringLiteral("still")), QJsonValue(1));
}

void tst_Journal::readableBySqlite3()
{
    auto j = openJournal();
    QVERIFY(j);
    QVERIFY(j->set(QStringLiteral("staged"), QJsonObject{{QStringLiteral("version"), QStringLiteral("2.1.0")}}));
    QVERIFY(j->set(QStringLiteral("consent"), true));
    LogEntry e = entry(QStringLiteral("staged 2.1.0"));
    e.event = QStringLiteral("staged");
    e.edge = QStringLiteral("E39");
    QVERIFY(j->append(e));
    // Read while this Journal is still open, as `sqlite3` on a live device would.
    QCOMPARE(runSqlite(j->path(), QStringLiteral("SELECT json_extract(value, '$.version') FROM state WHERE key = 'staged'")),
             QStringLiteral("2.1.0"));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("SELECT value FROM state WHERE key = 'consent'")), QStringLiteral("true"));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("SELECT level || '|' || edge || '|' || event || '|' || message FROM log")),
             QStringLiteral("info|E39|staged|staged 2.1.0"));
    QCOMPARE(runSqlite(j->path(), QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
    // And a change made by sqlite3 is seen by the Journal.
    int rc = -1;
    runSqlite(j->path(), QStringLiteral("UPDATE state SET value = 'false' WHERE key = 'consent'"), &rc);
    QCOMPARE(rc, 0);
    QCOMPARE(j->value(QStringLiteral("consent")), QJsonValue(false));
}

// busy_timeout: a write while another process holds the write lock waits, not fails.
void tst_Journal::waitsForAnotherWriter()
{
    auto j = openJournal();
    QVERIFY(j);
    QProcess holder;
    holder.start(QStringLiteral("sqlite3"), {j->path()});
    QVERIFY(holder.waitForStarted());
    holder.write("BEGIN IMMEDIATE;\nINSERT INTO state VALUES ('holder', '1');\n.print locked\n.shell sleep 1\nCOMMIT;\n.quit\n");
    holder.closeWriteChannel();
    QVERIFY(holder.waitForReadyRead(5000));
    QCOMPARE(holder.readLine().trimmed(), QByteArray("locked"));
    QElapsedTimer t;
    t.start();
    const auto r = j->set(QStringLiteral("mine"), 1);
    QVERIFY2(r, r ? "" : qPrintable(r.error().detail));
    QVERIFY2(t.elapsed() >= 300, "the write did not wait for the other writer");
    QVERIFY(holder.waitForFinished(5000));
    QCOMPARE(holder.exitCode(), 0);
    QCOMPARE(j->value(QStringLiteral("holder")), QJsonValue(1));
    QCOMPARE(j->value(QStringLiteral("mine")), QJsonValue(1));
}

void tst_Journal::corruptFileIsReported()
{
    QVERIFY(QDir().mkpath(m_stateDir));
    QFile f(QDir(m_stateDir).filePath(QStringLiteral("journal.db")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray junk(8192, '\0');
    for (qsizetype i = 0; i < junk.size(); ++i)
        junk[i] = char(QRandomGenerator::global()->bounded(256));
    f.write("this is not a database ");
    f.write(junk);
    f.close();
    const auto j = Journal::open(m_stateDir);
    QVERIFY(!j);
    QCOMPARE(j.error().code, ExitCode::StorageError);
    QVERIFY2(j.error().message.contains(QStringLiteral("damaged")), qPrintable(j.error().message));
    QVERIFY2(j.error().message.contains(f.fileName()), qPrintable(j.error().message));
    QVERIFY2(j.error().detail.contains(QStringLiteral("not a database")), qPrintable(j.error().detail));
}

void tst_Journal::newerSchemaIsRefused()
{
    {
        auto j = openJournal();
        QVERIFY(j);
    }
    const QString db = QDir(m_stateDir).filePath(QStringLiteral("journal.db"));
    runSqlite(db, QStringLiteral("PRAGMA user_version = 99"));
    const auto j = Journal::open(m_stateDir);
    QVERIFY(!j);
    QCOMPARE(j.error().code, ExitCode::StorageError);
    QVERIFY2(j.error().message.contains(QStringLiteral("newer")), qPrintable(j.error().message));
    QCOMPARE(runSqlite(db, QStringLiteral("PRAGMA user_version")), QStringLiteral("99")); // left untouched
}

void tst_Journal::unusableStateDir()
{
    QFile blocker(m_stateDir);
    QVERIFY(blocker.open(QIODevice::WriteOnly)); // a file where the folder should be
    blocker.close();
    const auto j = Journal::open(m_stateDir);
    QVERIFY(!j);
    QCOMPARE(j.error().code, ExitCode::StorageError);
    QVERIFY(j.error().message.contains(m_stateDir));
}

// While another process writes, a reader in a transaction sees each write
// transaction whole: the keys it changes together never disagree.
void tst_Journal::readerSeesWholeTransactionsOfAnotherProcess()
{
    QProcess writer;
    writer.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kWriterArg), m_stateDir});
    QVERIFY(writer.waitForReadyRead(10000));
    auto j = openJournal(50);
    QVERIFY(j);
    qint64 last = 0;
    int reads = 0;
    QElapsedTimer t;
    t.start();
    // The writer commits back to back (each with an fsync), so a reader may wait long for
    // its turn under a sanitizer on a loaded machine; the writer runs for 30 s.
    while (reads < 20 && t.elapsed() < 25000) {
        qint64 n = -1, twin = -2, blob = -3;
        QVERIFY(j->transaction([&]() -> Status {
            n = j->value(QStringLiteral("n")).toInteger();
            twin = j->value(QStringLiteral("twin")).toInteger();
            blob = j->value(QStringLiteral("blob")).toObject().value(QStringLiteral("n")).toInteger();
            return {};
        }));
        QCOMPARE(twin, n);
        QCOMPARE(blob, n);
        QVERIFY(n >= last);
        last = n;
        ++reads;
    }
    // every read above ran while the writer was still writing
    QCOMPARE(writer.state(), QProcess::Running);
    writer.kill();
    writer.waitForFinished();
    QVERIFY(last > 0);
    QCOMPARE(reads, 20);
}

// SIGKILL of the writing process, not a power cut: the page cache survives a kill, so
// this proves the transactions stay whole and ordered, not that they reach the disk
// (that is `synchronous = FULL` with WAL, set in Journal::open; SQLite's own tests and
// a real power-loss rig prove it, a host test cannot).
void tst_Journal::killedWriterLeavesTransactionsWhole()
{
    qint64 previous = 0;
    for (int round = 0; round < 20; ++round) {
        QProcess writer;
        writer.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kWriterArg), m_stateDir});
        QVERIFY(writer.waitForStarted());
        QVERIFY2(writer.waitForReadyRead(10000), qPrintable(QString::fromUtf8(writer.readAllStandardError())));
        QTest::qSleep(int(QRandomGenerator::global()->bounded(60)));
        writer.kill(); // SIGKILL: no destructor, no flush
        QVERIFY(writer.waitForFinished(5000));
        QCOMPARE(writer.exitStatus(), QProcess::CrashExit);
        const QList<QByteArray> lines = writer.readAllStandardOutput().split('\n');
        qint64 reported = 0; // the last transaction the writer saw committed
        for (const QByteArray &line : lines)
            if (!line.isEmpty())
                reported = line.toLongLong();
        QVERIFY(reported > 0);

        const QString db = QDir(m_stateDir).filePath(QStringLiteral("journal.db"));
        QCOMPARE(runSqlite(db, QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
        auto j = openJournal(50);
        QVERIFY(j);
        const qint64 n = j->value(QStringLiteral("n")).toInteger();
        // Committed means durable; at most the one being reported when killed is extra.
        QVERIFY2(n >= reported && n <= reported + 1,
                 qPrintable(QStringLiteral("round %1: journal holds %2, writer reported %3").arg(round).arg(n).arg(reported)));
        QVERIFY(n > previous);
        QCOMPARE(j->value(QStringLiteral("twin")).toInteger(), n);
        const QJsonObject blob = j->value(QStringLiteral("blob")).toObject();
        QCOMPARE(blob.value(QStringLiteral("n")).toInteger(), n);
        QCOMPARE(blob.value(QStringLiteral("pad")).toString(), padFor(n));
        const auto log = j->entries();
        QCOMPARE(log.size(), int(std::min<qint64>(n, 50)));
        QCOMPARE(log.last().message, QStringLiteral("tx %1").arg(n));
        QCOMPARE(log.first().message, QStringLiteral("tx %1").arg(n - log.size() + 1));
        previous = n;
    }
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc == 3 && qstrcmp(argv[1], kWriterArg) == 0)
        return powerCutWriter(QString::fromLocal8Bit(argv[2]));
    tst_Journal test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_journal.moc"
