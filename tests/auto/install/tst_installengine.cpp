// The install engine edge by edge (E44-E65) on a simulated device (installdevice.h), for
// both bootloaders: each test asserts what the device holds afterwards and the flowchart
// edges the engine took.

#include "installdevice.h"
#include "install/recoveryengine.h"
#include "support/datatable.h"

#include <algorithm>

#include <QProcess>
#include <QSignalSpy>
#include <QThread>
#include <QTimer>

using namespace s16;
using namespace s16::test;

class tst_InstallEngine : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase_data();
    void initTestCase();
    void init();

    void e44_e45_e46_recoveryHashesTheStagedImageAgain();
    void e47_e49_e50_e55_verifiedImageIsWrittenAndTried();
    void e48_checksumMismatchBootsOld_data();
    void e48_checksumMismatchBootsOld();
    void e51_e52_e53_writeFailureKeepsOldSystem_data();
    void e51_e52_e53_writeFailureKeepsOldSystem();
    void e54_e56_e57_e58_databaseIsBackedUpAndMigrated();
    void e59_e60_failedMigrationRestoresBackup_data();
    void e59_e60_failedMigrationRestoresBackup();
    void e61_e65_healthyNewSystemIsCommitted();
    void e62_e64_unhealthyNewSystemRevertsSlot();
    void e62_e63_e60_unhealthyAfterMigrationRestoresDatabase();
    void e61_e62_e63_e53_newSystemThatNeverStartsFallsBack();
    void bootCompleteOnOrdinaryBootRefillsCounter();
    void engineLockOfThisProcessIsAcceptedOthersRefused();
    void recoveryEngineJobRunsOffTheGuiThread();
    // added with the mutation run (tests/mutations/mutations.txt): each kills mutations the tests above let live
    void e65_successIsLogged();
    void e48_e53_failureIsLogged();
    void e46_e48_imageAndSavedSumReplacedTogether();
    void e55_databaseAlreadyAtTheSchemaIsLeftAlone();
    void e56_e57_e59_failedBackupLeavesTheDatabase();
    void e59_e60_failedRestoreIsTriedAgainAtTheNextBoot();
    void e61_e62_e64_failedReloadRevertsSlot();
    void e47_e49_slotBeingWrittenIsNoLongerGood();
    void e50_e55_slotOnTrialHoldsTheNewVersion();
    void resumeTable_data();
    void resumeTable();

private:
    std::unique_ptr<Device> m_device;
};

void tst_InstallEngine::initTestCase_data() { addBackendRows(); }

void tst_InstallEngine::initTestCase()
{
    QString why;
    QVERIFY2(test::makeSigningKey(&why), qPrintable(why));
}

void tst_InstallEngine::init()
{
    QFETCH_GLOBAL(QString, backend);
    qunsetenv("S16_FAULT");
    qunsetenv("S16_KILL_AT");
    m_device = std::make_unique<Device>();
    QString why;
    QVERIFY2(m_device->init(backend, &why), qPrintable(why));
}

void tst_InstallEngine::e44_e45_e46_recoveryHashesTheStagedImageAgain()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    QList<InstallStage::Value> stages;
    qint64 verifyBytes = 0;
    InstallCallbacks callbacks;
    callbacks.stage = [&](InstallStage::Value s) { stages.append(s); };
    callbacks.progress = [&](qint64 bytes, qint64 total) {
        if (stages.size() == 1 && total == kImageSize)
            verifyBytes = bytes;
    };
    QCOMPARE(d.bootloader().mode, BootDecision::Mode::Recovery);
    const InstallReport report = runRecovery(d.config(), callbacks);
    QVERIFY2(report.status, qPrintable(report.status ? QString() : report.status.error().message));
    QCOMPARE(report.path.mid(0, 3), edges({Edge::E44, Edge::E45, Edge::E46}));
    QCOMPARE(stages.value(0), InstallStage::Verify);
    QCOMPARE(verifyBytes, kImageSize); // the whole staged image was read again
}

void tst_InstallEngine::e47_e49_e50_e55_verifiedImageIsWrittenAndTried()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    const auto boot = d.powerOn();
    QCOMPARE(boot.decision.mode, BootDecision::Mode::Recovery);
    QVERIFY2(boot.report.status, qPrintable(boot.report.status ? QString() : boot.report.status.error().message));
    QCOMPARE(pathText(boot.report.path), pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E47, Edge::E49, Edge::E50, Edge::E55})));
    QVERIFY(boot.report.rebootRequested);
    QCOMPARE(d.slotSum(QStringLiteral("B")), d.newSum());
    QCOMPARE(d.slotSum(QStringLiteral("A")), d.oldSum());
    // one environment write: new slot first, on trial, recovery request gone
    const auto env = d.env();
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")), QStringLiteral("B A"));
    QCOMPARE(env.value(QStringLiteral("BOOT_B_LEFT")), QStringLiteral("3"));
    QCOMPARE(env.value(QStringLiteral("S16_TRIAL")), QStringLiteral("B"));
    QVERIFY(!env.contains(QStringLiteral("S16_RECOVERY")));
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("trial"));
    QCOMPARE(d.slotState(QStringLiteral("A")), QStringLiteral("good"));
    QCOMPARE(d.journal(QStringLiteral("rebootPending")).toBool(), true);
    QCOMPARE(d.journal(QStringLiteral("install")).toObject().value(QStringLiteral("migrated")).toBool(), false);
    QCOMPARE(d.journal(QStringLiteral("flow")).toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E55"));
    QCOMPARE(d.dbVersion(), kOldSchema); // no schema in the manifest: the database is left alone
    // the next power-on starts the new slot
    const BootDecision next = d.bootloader();
    QCOMPARE(next.mode, BootDecision::Mode::Normal);
    QCOMPARE(next.slot, QStringLiteral("B"));
}

void tst_InstallEngine::e48_checksumMismatchBootsOld_data()
{
    addRows<QString>("tamper", {{"one byte of the image flipped", QStringLiteral("imageByte")},
                                {"saved sum differs", QStringLiteral("sumFile")},
                                {"manifest no longer signed", QStringLiteral("signature")},
                                {"image gone", QStringLiteral("missingImage")},
                                {"migration script changed", QStringLiteral("migration")}});
}

void tst_InstallEngine::e48_checksumMismatchBootsOld()
{
    QFETCH(QString, tamper);
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(tampered(tamper), &why), qPrintable(why));
    const QString slotBBefore = d.slotSum(QStringLiteral("B"));

    const auto recovery = d.powerOn();
    QCOMPARE(recovery.decision.mode, BootDecision::Mode::Recovery);
    QVERIFY(!recovery.report.status);
    QCOMPARE(recovery.report.status.error().code, ExitCode::IntegrityMismatch);
    QCOMPARE(recovery.report.status.error().edge, std::optional(Edge::E48));
    QCOMPARE(pathText(recovery.report.path), pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E48})));
    QVERIFY(recovery.report.rebootRequested);
    // nothing the old system needs was touched
    QCOMPARE(d.slotSum(QStringLiteral("B")), slotBBefore);
    QCOMPARE(d.slotSum(QStringLiteral("A")), d.oldSum());
    QCOMPARE(d.dbVersion(), kOldSchema);
    const auto env = d.env();
    QVERIFY(!env.contains(QStringLiteral("S16_RECOVERY")));
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));

    // the old system boots and reports it (E53), exit 15
    const auto old = d.powerOn();
    QCOMPARE(old.decision.slot, QStringLiteral("A"));
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E53})));
    QCOMPARE(exitCodeOf(old.report), 15);
    QVERIFY(!old.report.rebootRequested);
    const QJsonObject outcome = d.journal(QStringLiteral("outcome")).toObject();
    QCOMPARE(outcome.value(QStringLiteral("result")).toString(), QStringLiteral("failed"));
    QCOMPARE(outcome.value(QStringLiteral("code")).toInt(), 15);
    QCOMPARE(outcome.value(QStringLiteral("edge")).toString(), QStringLiteral("E48"));
    QCOMPARE(d.journal(QStringLiteral("lastError")).toObject().value(QStringLiteral("code")).toInt(), 15);
    QCOMPARE(d.journal(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("ErrorLog"));
    QVERIFY(absent(d.journal(QStringLiteral("install"))));
    QCOMPARE(d.slotState(QStringLiteral("A")), QStringLiteral("good"));
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("empty"));
}

void tst_InstallEngine::e51_e52_e53_writeFailureKeepsOldSystem_data()
{
    // "missing": a slot the writer never creates
    addRows<QString>("how", {{"slot cannot be opened", QStringLiteral("directory")},
                             {"slot does not exist", QStringLiteral("missing")},
                             {"medium fails mid-write", QStringLiteral("fault")}});
}

void tst_InstallEngine::e51_e52_e53_writeFailureKeepsOldSystem()
{
    QFETCH(QString, how);
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    if (how == QLatin1StringView("directory")) {
        QVERIFY(QFile::remove(d.path(QStringLiteral("slotB.img"))));
        QVERIFY(QDir().mkpath(d.path(QStringLiteral("slotB.img")))); // open(O_WRONLY) refuses a folder
    } else if (how == QLatin1StringView("missing")) {
        QVERIFY(QFile::remove(d.path(QStringLiteral("slotB.img"))));
    } else {
        qputenv("S16_FAULT", "write");
    }
    const auto recovery = d.powerOn();
    qunsetenv("S16_FAULT");
    QCOMPARE(exitCodeOf(recovery.report), 20);
    QCOMPARE(recovery.report.status.error().edge, std::optional(Edge::E51));
    QVERIFY(recovery.report.status.error().message.startsWith(QStringLiteral("cannot write slot B")));
    QCOMPARE(pathText(recovery.report.path),
             pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E47, Edge::E49, Edge::E51, Edge::E52})));
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("bad"));
    const auto env = d.env();
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
    QCOMPARE(env.value(QStringLiteral("BOOT_B_LEFT")), QStringLiteral("0"));
    QVERIFY(!env.contains(QStringLiteral("S16_RECOVERY")));
    QCOMPARE(d.dbVersion(), kOldSchema);
    QCOMPARE(d.slotSum(QStringLiteral("A")), d.oldSum());
    if (how == QLatin1StringView("missing"))
        QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("slotB.img"))));

    const auto old = d.powerOn();
    QCOMPARE(old.decision.slot, QStringLiteral("A"));
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E53})));
    QCOMPARE(exitCodeOf(old.report), 20);
    QCOMPARE(d.journal(QStringLiteral("outcome")).toObject().value(QStringLiteral("result")).toString(), QStringLiteral("failed"));
    QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("update/staged"))));
    QVERIFY(absent(d.journal(QStringLiteral("staged"))));
}

void tst_InstallEngine::e54_e56_e57_e58_databaseIsBackedUpAndMigrated()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    const auto recovery = d.powerOn();
    QVERIFY2(recovery.report.status, qPrintable(recovery.report.status ? QString() : recovery.report.status.error().message));
    QCOMPARE(pathText(recovery.report.path), pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E47, Edge::E49, Edge::E50, Edge::E54,
                                                             Edge::E56, Edge::E57, Edge::E58})));
    QCOMPARE(d.dbVersion(), kNewSchema);
    QCOMPARE(d.sql(QStringLiteral("SELECT group_concat(text || ':' || tag) FROM notes")), QStringLiteral("kept:new,also kept:new"));
    // the backup holds the old data until the new system commits
    const QString backup = d.path(QStringLiteral("app.db.s16-backup"));
    QCOMPARE(test::runTool(QStringLiteral("sqlite3"), {backup, QStringLiteral("PRAGMA user_version")}).out.trimmed(),
             QByteArray::number(kOldSchema));
    const QJsonObject install = d.journal(QStringLiteral("install")).toObject();
    QCOMPARE(install.value(QStringLiteral("migrated")).toBool(), true);
    QCOMPARE(install.value(QStringLiteral("backup")).toString(), backup);
}

void tst_InstallEngine::e59_e60_failedMigrationRestoresBackup_data()
{
    addRows<QString>(
        "how", {{"script fails at the last step", QStringLiteral("script")}, {"database newer than the system", QStringLiteral("newer")}});
}

void tst_InstallEngine::e59_e60_failedMigrationRestoresBackup()
{
    QFETCH(QString, how);
    Device &d = *m_device;
    QString why;
    StageOptions options;
    if (how == QLatin1StringView("script"))
        options.migration3 = "CREATE TABLE t3(a);\nINSERT INTO no_such_table VALUES (1);\n";
    QVERIFY2(d.stage(options, &why), qPrintable(why));
    const int startSchema = how == QLatin1StringView("newer") ? 5 : kOldSchema;
    d.sql(QStringLiteral("PRAGMA user_version=%1").arg(startSchema));

    const auto recovery = d.powerOn();
    QCOMPARE(exitCodeOf(recovery.report), 20);
    QCOMPARE(recovery.report.status.error().edge, std::optional(Edge::E59));
    QCOMPARE(pathText(recovery.report.path), pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E47, Edge::E49, Edge::E50, Edge::E54,
                                                             Edge::E56, Edge::E57, Edge::E59, Edge::E60, Edge::E52})));
    // step 2 had committed; the backup put everything back
    QCOMPARE(d.dbVersion(), startSchema);
    QCOMPARE(d.sql(QStringLiteral("SELECT group_concat(name) FROM pragma_table_info('notes')")), QStringLiteral("id,text"));
    QCOMPARE(d.sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("bad"));
    QCOMPARE(d.env().value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));

    const auto old = d.powerOn();
    QCOMPARE(old.decision.slot, QStringLiteral("A"));
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E53})));
    QCOMPARE(exitCodeOf(old.report), 20);
    QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("app.db.s16-backup"))));
}

void tst_InstallEngine::e61_e65_healthyNewSystemIsCommitted()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    const auto fresh = d.powerOn();
    QCOMPARE(fresh.decision.mode, BootDecision::Mode::Normal);
    QCOMPARE(fresh.decision.slot, QStringLiteral("B"));
    QVERIFY2(fresh.report.status, qPrintable(fresh.report.status ? QString() : fresh.report.status.error().message));
    QCOMPARE(pathText(fresh.report.path), pathText(edges({Edge::E61, Edge::E65})));
    QVERIFY(!fresh.report.rebootRequested);
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("good"));
    QCOMPARE(d.slotState(QStringLiteral("A")), QStringLiteral("good"));
    const auto env = d.env();
    QVERIFY(!env.contains(QStringLiteral("S16_TRIAL")));
    QCOMPARE(env.value(QStringLiteral("BOOT_B_LEFT")), QStringLiteral("3"));
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")), QStringLiteral("B A"));
    const QJsonObject outcome = d.journal(QStringLiteral("outcome")).toObject();
    QCOMPARE(outcome.value(QStringLiteral("result")).toString(), QStringLiteral("updated"));
    QCOMPARE(outcome.value(QStringLiteral("version")).toString(), kNewVersion);
    QCOMPARE(outcome.value(QStringLiteral("previousVersion")).toString(), kOldVersion);
    QCOMPARE(outcome.value(QStringLiteral("seen")).toBool(true), false);
    QCOMPARE(d.journal(QStringLiteral("flow")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("EndSuccess"));
    QVERIFY(absent(d.journal(QStringLiteral("install"))));
    QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("app.db.s16-backup"))));
    QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("update/staged"))));
    QCOMPARE(d.dbVersion(), kNewSchema);
    // later boots stay on the committed slot
    const auto later = d.powerOn();
    QCOMPARE(later.decision.slot, QStringLiteral("B"));
    QVERIFY(later.report.status);
    QVERIFY(later.report.path.isEmpty());
}

void tst_InstallEngine::e62_e64_unhealthyNewSystemRevertsSlot()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    QVERIFY(writeFile(d.path(QStringLiteral("unhealthy")), "1"));
    const auto fresh = d.powerOn();
    QCOMPARE(fresh.decision.slot, QStringLiteral("B"));
    QCOMPARE(pathText(fresh.report.path), pathText(edges({Edge::E61, Edge::E62, Edge::E64, Edge::E52})));
    QCOMPARE(exitCodeOf(fresh.report), 20);
    QCOMPARE(fresh.report.status.error().edge, std::optional(Edge::E62));
    QVERIFY(fresh.report.rebootRequested);
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("bad"));
    const auto env = d.env();
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
    QCOMPARE(env.value(QStringLiteral("BOOT_B_LEFT")), QStringLiteral("0"));
    QVERIFY(!env.contains(QStringLiteral("S16_TRIAL")));
    QCOMPARE(d.journal(QStringLiteral("rebootPending")).toBool(), true);
    // the new system does not log the failure; the old one does, once
    QVERIFY(absent(d.journal(QStringLiteral("outcome"))));
    const auto old = d.powerOn();
    QCOMPARE(old.decision.slot, QStringLiteral("A"));
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E53})));
    QCOMPARE(exitCodeOf(old.report), 20);
    QCOMPARE(d.journal(QStringLiteral("outcome")).toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E62"));
    QCOMPARE(d.journal(QStringLiteral("rebootPending")).toBool(), false);
}

void tst_InstallEngine::e62_e63_e60_unhealthyAfterMigrationRestoresDatabase()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    QCOMPARE(d.dbVersion(), kNewSchema);
    QVERIFY(writeFile(d.path(QStringLiteral("unhealthy")), "1"));
    const auto fresh = d.powerOn();
    QCOMPARE(fresh.decision.slot, QStringLiteral("B"));
    QCOMPARE(pathText(fresh.report.path), pathText(edges({Edge::E61, Edge::E62, Edge::E63, Edge::E60, Edge::E52})));
    QCOMPARE(exitCodeOf(fresh.report), 20);
    QCOMPARE(d.dbVersion(), kOldSchema);
    QCOMPARE(d.sql(QStringLiteral("SELECT group_concat(text) FROM notes")), QStringLiteral("kept,also kept"));
    const auto old = d.powerOn();
    QCOMPARE(old.decision.slot, QStringLiteral("A"));
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E53})));
    QCOMPARE(exitCodeOf(old.report), 20);
    QCOMPARE(d.dbVersion(), kOldSchema);
}

void tst_InstallEngine::e61_e62_e63_e53_newSystemThatNeverStartsFallsBack()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    // the new system dies before boot-complete, every time: the counter runs out
    for (int i = 0; i < 3; ++i) {
        const BootDecision tried = d.bootloader();
        QCOMPARE(tried.slot, QStringLiteral("B"));
    }
    const auto old = d.powerOn();
    QCOMPARE(old.decision.slot, QStringLiteral("A"));
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E61, Edge::E62, Edge::E63, Edge::E60, Edge::E52, Edge::E53})));
    QCOMPARE(exitCodeOf(old.report), 20);
    QVERIFY(!old.report.rebootRequested);
    QCOMPARE(d.dbVersion(), kOldSchema);
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("bad"));
    const auto env = d.env();
    QVERIFY(!env.contains(QStringLiteral("S16_TRIAL")));
    QCOMPARE(env.value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
    QVERIFY(d.journal(QStringLiteral("outcome"))
                .toObject()
                .value(QStringLiteral("message"))
                .toString()
                .contains(QStringLiteral("did not start")));
}

void tst_InstallEngine::bootCompleteOnOrdinaryBootRefillsCounter()
{
    Device &d = *m_device;
    auto env = openBootEnvironment(d.config().boot.backend, d.config().boot.envFile);
    QVERIFY(env);
    QVERIFY((*env)->update({{QStringLiteral("S16_RECOVERY"), QString()}}));
    const auto boot = d.powerOn();
    QCOMPARE(boot.decision.slot, QStringLiteral("A"));
    QVERIFY(boot.report.status);
    QVERIFY(boot.report.path.isEmpty());
    QCOMPARE(d.env().value(QStringLiteral("BOOT_A_LEFT")), QStringLiteral("3"));
    // an unknown booted slot is a usage error
    QCOMPARE(exitCodeOf(runBootComplete(d.config(), QStringLiteral("C"))), 2);
}

void tst_InstallEngine::engineLockOfThisProcessIsAcceptedOthersRefused()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    const QString lockFile = d.config().device.stateDir + QStringLiteral("/engine.lock");
    {
        // s16-update holds the lock while it runs boot-complete
        auto lock = EngineLock::tryAcquire(d.config().device.stateDir);
        QVERIFY(lock);
        const auto boot = d.powerOn();
        QCOMPARE(boot.decision.mode, BootDecision::Mode::Recovery);
        QVERIFY2(boot.report.status, qPrintable(boot.report.status ? QString() : boot.report.status.error().message));
    }
    // another process holding it: refused, nothing done
    QProcess holder;
    holder.start(QStringLiteral("flock"), {QStringLiteral("-n"), lockFile, QStringLiteral("sleep"), QStringLiteral("30")});
    QVERIFY(holder.waitForStarted());
    QTest::qWait(300);
    QVERIFY2(holder.state() == QProcess::Running, holder.readAllStandardError().constData());
    QVERIFY(!EngineLock::tryAcquire(d.config().device.stateDir));
    const BootDecision decision = d.bootloader();
    QCOMPARE(decision.slot, QStringLiteral("B"));
    const InstallReport refused = runBootComplete(d.config(), decision.slot);
    holder.kill();
    holder.waitForFinished();
    QCOMPARE(exitCodeOf(refused), 2);
    QVERIFY(refused.path.isEmpty());
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("trial"));
}

void tst_InstallEngine::recoveryEngineJobRunsOffTheGuiThread()
{
    Device &d = *m_device;
    QString why;
    StageOptions options;
    options.imageSize = 24 * 1024 * 1024;
    QVERIFY2(d.stage(options, &why), qPrintable(why));
    QCOMPARE(d.bootloader().mode, BootDecision::Mode::Recovery);
    RecoveryEngine engine(d.config());
    QList<InstallStage::Value> stages;
    qint64 lastBytes = -1;
    bool signalsOnMainThread = true;
    connect(&engine, &RecoveryEngine::stepChanged, this, [&](InstallStage::Value s) {
        stages.append(s);
        signalsOnMainThread = signalsOnMainThread && QThread::currentThread() == thread();
    });
    connect(&engine, &RecoveryEngine::progress, this, [&](qint64 bytes, qint64) { lastBytes = bytes; });
    QSignalSpy finished(&engine, &RecoveryEngine::finished);
    int ticks = 0;
    QTimer ticker;
    connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
    ticker.start(5);
    engine.start();
    QVERIFY(engine.isRunning());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.size(), 1);
    QVERIFY(engine.report().status);
    QVERIFY(signalsOnMainThread);
    QVERIFY(ticks > 0); // the event loop kept running while the worker wrote the slot
    QCOMPARE(stages, (QList<InstallStage::Value>{InstallStage::Verify, InstallStage::Install, InstallStage::Migrate, InstallStage::Migrate,
                                                 InstallStage::RestartServices, InstallStage::Done}));
    QVERIFY(lastBytes > 0);
    QCOMPARE(d.slotSum(QStringLiteral("B")), *sha256Hex(d.path(QStringLiteral("update/staged/s16-2.0.0.img"))));
}

namespace {

// The device's event log, the newest last.
QList<LogEntry> logOf(const Device &d)
{
    auto journal = Journal::open(d.config().device.stateDir);
    return journal ? (*journal)->entries() : QList<LogEntry>();
}

} // namespace

void tst_InstallEngine::e65_successIsLogged()
{
    // E65: "log success, message to the app": the outcome for the app and an entry in the log.
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    const auto fresh = d.powerOn();
    QVERIFY(fresh.report.status);
    const QList<LogEntry> log = logOf(d);
    QVERIFY(!log.isEmpty());
    const LogEntry &last = log.last();
    QCOMPARE(last.event, QStringLiteral("updated"));
    QCOMPARE(last.edge, QStringLiteral("E65"));
    QCOMPARE(last.level, LogEntry::Level::Info);
    QCOMPARE(last.code, 0);
    QVERIFY2(last.message.contains(kNewVersion) && last.message.contains(QStringLiteral("slot B")), qPrintable(last.message));
    QCOMPARE(std::count_if(log.cbegin(), log.cend(), [](const LogEntry &e) { return e.event == QStringLiteral("updated"); }), 1);
}

void tst_InstallEngine::e48_e53_failureIsLogged()
{
    // E53 -> E08: the old system logs the failed update once, with the code and edge of the failure.
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(tampered(QStringLiteral("imageByte")), &why), qPrintable(why));
    QVERIFY(!d.powerOn().report.status);
    QVERIFY(logOf(d).isEmpty() || logOf(d).last().event != QStringLiteral("installFailed")); // recovery does not log it
    const auto old = d.powerOn();
    QCOMPARE(pathText(old.report.path), pathText(edges({Edge::E53})));
    const QList<LogEntry> log = logOf(d);
    QVERIFY(!log.isEmpty());
    const LogEntry &last = log.last();
    QCOMPARE(last.event, QStringLiteral("installFailed"));
    QCOMPARE(last.level, LogEntry::Level::Error);
    QCOMPARE(last.code, 15);
    QCOMPARE(last.edge, QStringLiteral("E48"));
    QVERIFY2(last.message.contains(QStringLiteral("damaged")), qPrintable(last.message));
    QCOMPARE(d.journal(QStringLiteral("lastError")).toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E48"));
    // reported once: a later boot logs nothing more
    QVERIFY(d.powerOn().report.path.isEmpty());
    const QList<LogEntry> later = logOf(d);
    QCOMPARE(std::count_if(later.cbegin(), later.cend(), [](const LogEntry &e) { return e.event == QStringLiteral("installFailed"); }), 1);
}

void tst_InstallEngine::e46_e48_imageAndSavedSumReplacedTogether()
{
    // The image and its saved sum replaced so that they agree: only the signed manifest's sum
    // tells, so recovery compares against that too.
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    const QString image = d.path(QStringLiteral("update/staged/s16-2.0.0.img"));
    {
        QFile f(image);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(1000);
        const char c = f.peek(1).at(0);
        f.write(QByteArray(1, char(c ^ 0x20)));
    }
    const auto sum = sha256Hex(image);
    QVERIFY(sum);
    QVERIFY(writeFile(image + QStringLiteral(".sha256"), sum->toLatin1() + "  s16-2.0.0.img\n"));
    const auto recovery = d.powerOn();
    QVERIFY(!recovery.report.status);
    QCOMPARE(recovery.report.status.error().code, ExitCode::IntegrityMismatch);
    QCOMPARE(pathText(recovery.report.path), pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E48})));
    QCOMPARE(d.slotSum(QStringLiteral("A")), d.oldSum());
    QCOMPARE(d.env().value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
}

void tst_InstallEngine::e55_databaseAlreadyAtTheSchemaIsLeftAlone()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    d.sql(QStringLiteral("PRAGMA user_version=%1").arg(kNewSchema));
    const auto recovery = d.powerOn();
    QVERIFY2(recovery.report.status, qPrintable(recovery.report.status ? QString() : recovery.report.status.error().message));
    QCOMPARE(pathText(recovery.report.path),
             pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E47, Edge::E49, Edge::E50, Edge::E55})));
    QVERIFY(!QFileInfo::exists(d.path(QStringLiteral("app.db.s16-backup"))));
    QCOMPARE(d.journal(QStringLiteral("install")).toObject().value(QStringLiteral("migrated")).toBool(), false);
}

void tst_InstallEngine::e56_e57_e59_failedBackupLeavesTheDatabase()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    qputenv("S16_FAULT", "backup");
    const auto recovery = d.powerOn();
    qunsetenv("S16_FAULT");
    QCOMPARE(exitCodeOf(recovery.report), 20);
    QCOMPARE(pathText(recovery.report.path), pathText(edges({Edge::E44, Edge::E45, Edge::E46, Edge::E47, Edge::E49, Edge::E50, Edge::E54,
                                                             Edge::E56, Edge::E57, Edge::E59, Edge::E60, Edge::E52})));
    QCOMPARE(d.dbVersion(), kOldSchema); // never migrated without a backup
    QCOMPARE(d.sql(QStringLiteral("SELECT group_concat(name) FROM pragma_table_info('notes')")), QStringLiteral("id,text"));
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("bad"));
    QCOMPARE(d.env().value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
}

void tst_InstallEngine::e59_e60_failedRestoreIsTriedAgainAtTheNextBoot()
{
    // The migration failed and so did putting the backup back: the step stays in the journal
    // and recovery starts again, before anything else, until the database is restored.
    Device &d = *m_device;
    QString why;
    StageOptions options;
    options.migration3 = "CREATE TABLE t3(a);\nINSERT INTO no_such_table VALUES (1);\n";
    QVERIFY2(d.stage(options, &why), qPrintable(why));
    qputenv("S16_FAULT", "restore");
    const auto first = d.powerOn();
    qunsetenv("S16_FAULT");
    QCOMPARE(first.decision.mode, BootDecision::Mode::Recovery);
    QVERIFY(!first.report.status);
    QCOMPARE(pathText(first.report.path).right(11), QStringLiteral("E56 E57 E59"));
    QCOMPARE(d.dbVersion(), 2); // step 2 had committed; the backup is not back yet
    QCOMPARE(d.journal(QStringLiteral("install")).toObject().value(QStringLiteral("step")).toString(), QStringLiteral("revertMigration"));
    QCOMPARE(d.env().value(QStringLiteral("S16_RECOVERY")), QStringLiteral("1"));

    const auto second = d.powerOn();
    QCOMPARE(second.decision.mode, BootDecision::Mode::Recovery);
    QCOMPARE(pathText(second.report.path), pathText(edges({Edge::E60, Edge::E52})));
    QCOMPARE(exitCodeOf(second.report), 20);
    QCOMPARE(d.dbVersion(), kOldSchema);
    QCOMPARE(d.sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
    QCOMPARE(d.env().value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
}

void tst_InstallEngine::e61_e62_e64_failedReloadRevertsSlot()
{
    // The services cannot be reloaded on the new system (its health check would pass).
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    QFile conf(d.path(QStringLiteral("update.conf")));
    QVERIFY(conf.open(QIODevice::ReadOnly));
    QByteArray ini = conf.readAll();
    conf.close();
    QVERIFY(ini.contains("reload=true\n"));
    ini.replace("reload=true\n", "reload=exit 3\n");
    QVERIFY(writeFile(d.path(QStringLiteral("update-badreload.conf")), ini));
    const auto config = loadConfig(d.path(QStringLiteral("update-badreload.conf")));
    QVERIFY(config);
    const BootDecision decision = d.bootloader();
    QCOMPARE(decision.slot, QStringLiteral("B"));
    const InstallReport report = runBootComplete(*config, decision.slot);
    QCOMPARE(pathText(report.path), pathText(edges({Edge::E61, Edge::E62, Edge::E64, Edge::E52})));
    QCOMPARE(exitCodeOf(report), 20);
    QVERIFY2(report.status.error().detail.contains(QStringLiteral("exit 3")), qPrintable(report.status.error().detail));
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("bad"));
    QCOMPARE(d.env().value(QStringLiteral("BOOT_ORDER")), QStringLiteral("A B"));
}

void tst_InstallEngine::e47_e49_slotBeingWrittenIsNoLongerGood()
{
    // The slot held a good system (the one before the running one): from the writer's first
    // byte on it holds neither that system nor the new one, and the journal says so before
    // the first byte goes out. The power fails halfway through the write.
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    {
        auto journal = Journal::open(d.config().device.stateDir);
        QVERIFY(journal);
        QJsonObject slots = (*journal)->value(QStringLiteral("slots")).toObject();
        slots.insert(QStringLiteral("B"),
                     QJsonObject{{QStringLiteral("version"), QStringLiteral("0.9.0")}, {QStringLiteral("state"), QStringLiteral("good")}});
        QVERIFY((*journal)->set(QStringLiteral("slots"), slots));
    }
    const auto cut = d.powerOnChild({{QStringLiteral("S16_KILL_AT"), QStringLiteral("write.mid")}});
    QCOMPARE(cut.decision.mode, BootDecision::Mode::Recovery);
    QVERIFY2(cut.run.exitCode != 0, qPrintable(cut.run.describe())); // killed halfway
    QCOMPARE(d.slotState(QStringLiteral("B")), QStringLiteral("empty"));
    QVERIFY(absent(d.journal(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject().value(QStringLiteral("version"))));
    QCOMPARE(d.journal(QStringLiteral("install")).toObject().value(QStringLiteral("step")).toString(), QStringLiteral("write"));
}

void tst_InstallEngine::e50_e55_slotOnTrialHoldsTheNewVersion()
{
    // What the journal says of the slots, for the status, the UI and the diagnostic reports.
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    QVERIFY(d.powerOn().report.status);
    const QJsonObject b = d.journal(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject();
    QCOMPARE(b.value(QStringLiteral("version")).toString(), kNewVersion);
    QCOMPARE(b.value(QStringLiteral("state")).toString(), QStringLiteral("trial"));
    QCOMPARE(d.journal(QStringLiteral("install")).toObject().value(QStringLiteral("version")).toString(), kNewVersion);
}

// The one resume table (installengine.cpp): for each step the journal can hold, where the
// recovery boot, the new system (booted from the target slot) and the old one pick the
// install up. Each row proves its resume point by the first edge the run takes, or, where
// the step takes none, by what it leaves in the journal.
void tst_InstallEngine::resumeTable_data()
{
    QTest::addColumn<QString>("step");
    QTest::addColumn<QString>("booted");    // "" recovery, "B" the new system, "A" the old one
    QTest::addColumn<QString>("first");     // the first edge, "" when the run takes none
    QTest::addColumn<QString>("stepAfter"); // install.step after the run ("-": no record), when first is ""

    const QString none;
    // recovery: repeat or finish the interrupted step
    QTest::newRow("recovery, new install") << QString() << none << QStringLiteral("E44") << none;
    QTest::newRow("recovery, verify") << QStringLiteral("verify") << none << QStringLiteral("E44") << none;
    QTest::newRow("recovery, write") << QStringLiteral("write") << none << QStringLiteral("E44") << none;
    QTest::newRow("recovery, backup") << QStringLiteral("backup") << none << QStringLiteral("E56") << none;
    QTest::newRow("recovery, migrate") << QStringLiteral("migrate") << none << QStringLiteral("E57") << none;
    QTest::newRow("recovery, switch") << QStringLiteral("switch") << none << none << QStringLiteral("trial");
    QTest::newRow("recovery, trial: handed back") << QStringLiteral("trial") << none << none << QStringLiteral("trial");
    QTest::newRow("recovery, reload: handed back") << QStringLiteral("reload") << none << none << QStringLiteral("reload");
    QTest::newRow("recovery, commit: handed back") << QStringLiteral("commit") << none << none << QStringLiteral("commit");
    QTest::newRow("recovery, revertMigration") << QStringLiteral("revertMigration") << none << QStringLiteral("E60") << none;
    QTest::newRow("recovery, revert") << QStringLiteral("revert") << none << QStringLiteral("E52") << none;
    QTest::newRow("recovery, rebootOld") << QStringLiteral("rebootOld") << none << none << QStringLiteral("rebootOld");
    QTest::newRow("recovery, unknown step: handed back") << QStringLiteral("later") << none << none << QStringLiteral("later");
    // the new system: check and commit the trial, or finish the rollback
    QTest::newRow("new system, switch") << QStringLiteral("switch") << QStringLiteral("B") << QStringLiteral("E61") << none;
    QTest::newRow("new system, trial") << QStringLiteral("trial") << QStringLiteral("B") << QStringLiteral("E61") << none;
    QTest::newRow("new system, reload") << QStringLiteral("reload") << QStringLiteral("B") << QStringLiteral("E61") << none;
    QTest::newRow("new system, commit") << QStringLiteral("commit") << QStringLiteral("B") << none << QStringLiteral("-");
    QTest::newRow("new system, verify") << QStringLiteral("verify") << QStringLiteral("B") << none << QStringLiteral("rebootOld");
    QTest::newRow("new system, write") << QStringLiteral("write") << QStringLiteral("B") << QStringLiteral("E52") << none;
    QTest::newRow("new system, migrate") << QStringLiteral("migrate") << QStringLiteral("B") << QStringLiteral("E60") << none;
    QTest::newRow("new system, unknown step") << QStringLiteral("later") << QStringLiteral("B") << QStringLiteral("E52") << none;
    // the old system: the trial never came up, or recovery was left half done: undo it
    QTest::newRow("old system, trial") << QStringLiteral("trial") << QStringLiteral("A") << QStringLiteral("E61") << none;
    QTest::newRow("old system, commit") << QStringLiteral("commit") << QStringLiteral("A") << QStringLiteral("E61") << none;
    QTest::newRow("old system, backup") << QStringLiteral("backup") << QStringLiteral("A") << QStringLiteral("E52") << none;
    QTest::newRow("old system, verify") << QStringLiteral("verify") << QStringLiteral("A") << QStringLiteral("E53") << none;
    QTest::newRow("old system, rebootOld") << QStringLiteral("rebootOld") << QStringLiteral("A") << QStringLiteral("E53") << none;
}

void tst_InstallEngine::resumeTable()
{
    QFETCH(QString, step);
    QFETCH(QString, booted);
    QFETCH(QString, first);
    QFETCH(QString, stepAfter);
    Device &d = *m_device;
    {
        auto journal = Journal::open(d.config().device.stateDir);
        QVERIFY(journal);
        const QJsonObject record{{QStringLiteral("step"), step},
                                 {QStringLiteral("targetSlot"), QStringLiteral("B")},
                                 {QStringLiteral("fallbackSlot"), QStringLiteral("A")},
                                 {QStringLiteral("version"), kNewVersion},
                                 {QStringLiteral("previousVersion"), kOldVersion},
                                 {QStringLiteral("migrated"), false}};
        QVERIFY((*journal)->set(QStringLiteral("install"), step.isEmpty() ? QJsonValue() : QJsonValue(record)));
    }
    const InstallReport report = booted.isEmpty() ? runRecovery(d.config()) : runBootComplete(d.config(), booted);
    if (!first.isEmpty()) {
        QVERIFY2(!report.path.isEmpty(), qPrintable(report.status ? QString() : report.status.error().message));
        QCOMPARE(edgeName(report.path.constFirst()), first);
        return;
    }
    QCOMPARE(pathText(report.path), QString());
    const QJsonValue record = d.journal(QStringLiteral("install"));
    QCOMPARE(absent(record) ? QStringLiteral("-") : record.toObject().value(QStringLiteral("step")).toString(), stepAfter);
}

S16_INSTALL_TEST_MAIN(tst_InstallEngine)
#include "tst_installengine.moc"
