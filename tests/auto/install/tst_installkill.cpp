// Power cuts at every step of an install: each power-on runs the engine in a child process
// (this binary, re-executed), the first one SIGKILLed at a named kill point (S16_KILL_AT,
// docs/install.md); the device is then powered on until it settles, and the invariants of
// CONTRACT §4 are checked: a working system, the database that matches it, the fallback
// slot never written, no slot marked good that does not hold its image.

#include "installdevice.h"
#include "support/datatable.h"

using namespace s16;
using namespace s16::test;

class tst_InstallKill : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase_data();
    void initTestCase();
    void init();
    void killAtEachStep_data();
    void killAtEachStep();

private:
    std::unique_ptr<Device> m_device;
};

void tst_InstallKill::initTestCase_data() { addBackendRows(); }

void tst_InstallKill::initTestCase()
{
    QString why;
    QVERIFY2(makeSigningKey(&why), qPrintable(why));
}

void tst_InstallKill::init()
{
    QFETCH_GLOBAL(QString, backend);
    m_device = std::make_unique<Device>();
    QString why;
    QVERIFY2(m_device->init(backend, &why), qPrintable(why));
}

void tst_InstallKill::killAtEachStep_data()
{
    QTest::addColumn<QString>("killAt");
    QTest::addColumn<QString>("fault");   // S16_FAULT for every boot
    QTest::addColumn<bool>("unhealthy");  // the new system fails its health check
    QTest::addColumn<QString>("outcome"); // "updated" or "failed"
    QTest::addColumn<int>("code");        // the failure's exit code

    for (const char *point :
         {"verify", "write", "write.mid", "backup", "migrate", "migrate.mid", "switch", "switch.mid", "reload", "commit", "commit.mid"})
        QTest::addRow("%s", point) << QString::fromLatin1(point) << QString() << false << QStringLiteral("updated") << 0;
    for (const char *point : {"reload", "revertMigration", "revert", "rebootOld", "errorLog"})
        QTest::addRow("%s, new system unhealthy", point)
            << QString::fromLatin1(point) << QString() << true << QStringLiteral("failed") << 20;
    QTest::newRow("revertMigration in recovery")
        << QStringLiteral("revertMigration") << QStringLiteral("migrate") << false << QStringLiteral("failed") << 20;
    QTest::newRow("revert in recovery") << QStringLiteral("revert") << QStringLiteral("write") << false << QStringLiteral("failed") << 20;
    QTest::newRow("rebootOld after E48") << QStringLiteral("rebootOld") << QStringLiteral("verify") << false << QStringLiteral("failed")
                                         << 15;
    QTest::newRow("errorLog after E48") << QStringLiteral("errorLog") << QStringLiteral("verify") << false << QStringLiteral("failed")
                                        << 15;
}

void tst_InstallKill::killAtEachStep()
{
    QFETCH(QString, killAt);
    QFETCH(QString, fault);
    QFETCH(bool, unhealthy);
    QFETCH(QString, outcome);
    QFETCH(int, code);
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    if (unhealthy)
        QVERIFY(writeFile(d.path(QStringLiteral("unhealthy")), "1"));
    QMap<QString, QString> extra;
    if (!fault.isEmpty())
        extra.insert(QStringLiteral("S16_FAULT"), fault);

    // power on until the cut happens, then until the device settles
    bool killed = false;
    QString booted;
    int lastExit = -1;
    for (int boot = 0; boot < 12; ++boot) {
        QMap<QString, QString> env = extra;
        if (!killed)
            env.insert(QStringLiteral("S16_KILL_AT"), killAt);
        const auto b = d.powerOnChild(env);
        QVERIFY2(b.decision.mode != BootDecision::Mode::NoBootableSlot, "no bootable slot");
        booted = b.decision.mode == BootDecision::Mode::Normal ? b.decision.slot : QString();
        if (!killed && b.run.exitCode == -1 && !b.run.timedOut) {
            killed = true;
            continue;
        }
        QVERIFY2(b.run.exitCode >= 0, qPrintable(b.run.describe()));
        lastExit = b.run.exitCode;
        if (killed && !booted.isEmpty() && !d.journal(QStringLiteral("rebootPending")).toBool())
            break;
    }
    QVERIFY2(killed, "the kill point was never reached");

    // the invariants after any cut: a working system, matching data, nothing half-done
    const auto env = d.env();
    QVERIFY(!env.contains(QStringLiteral("S16_RECOVERY")));
    QVERIFY(!env.contains(QStringLiteral("S16_TRIAL")));
    QVERIFY(absent(d.journal(QStringLiteral("install"))));
    QCOMPARE(d.journal(QStringLiteral("outcome")).toObject().value(QStringLiteral("result")).toString(), outcome);
    QCOMPARE(lastExit, code);
    QCOMPARE(d.slotSum(QStringLiteral("A")), d.oldSum()); // the fallback was never written
    const QString expectedSlot = outcome == QLatin1StringView("updated") ? QStringLiteral("B") : QStringLiteral("A");
    QCOMPARE(booted, expectedSlot);
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")).left(1), expectedSlot);
    QCOMPARE(d.slotState(booted), QStringLiteral("good"));
    for (const QString &slot : {QStringLiteral("A"), QStringLiteral("B")}) {
        if (d.slotState(slot) == QLatin1StringView("good"))
            QCOMPARE(d.slotSum(slot), slot == QLatin1StringView("A") ? d.oldSum() : d.newSum());
    }
    if (outcome == QLatin1StringView("failed"))
        QVERIFY(d.slotState(QStringLiteral("B")) != QLatin1StringView("good"));
    QCOMPARE(d.dbVersion(), booted == QLatin1StringView("B") ? kNewSchema : kOldSchema);
    QCOMPARE(d.sql(QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
    QCOMPARE(d.sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
    QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("app.db.s16-backup"))));
}

S16_INSTALL_TEST_MAIN(tst_InstallKill)
#include "tst_installkill.moc"
