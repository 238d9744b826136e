// The install's step jobs (core/install/steps_p.h) one at a time: each with its typed
// result, one failure each, and kill() mid-way ending Cancelled with nothing the engine
// could not revert. Real files, real SQLite, a real signed staged update.

#include "install/installengine_p.h"
#include "install/steps_p.h"
#include "installdevice.h"
#include "store/devicestate.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>

using namespace s16;
using namespace s16::test;
using s16::install::BootSwitch;
using s16::install::Migration;
using s16::install::ServiceCheck;
using s16::install::SlotWrite;
using s16::install::StagedCheck;

class tst_InstallSteps : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void stagedCheck_provesTheStagedUpdate();
    void stagedCheck_damagedImageFails();
    void stagedCheck_killEndsCancelled();
    void slotWrite_writesAndReadsBack();
    void slotWrite_mismatchFails();
    void slotWrite_killMidwayLeavesNoWrittenSlot();
    void migration_backsUpAndMigrates();
    void migration_failingScriptFails();
    void migration_killLeavesTheBackupsDatabase();
    void bootSwitch_writesOnlyWhatDiffers();
    void bootSwitch_unwritableEnvironmentFails();
    void bootSwitch_killWaitsForTheWrite();
    void serviceCheck_reloadsThenChecks();
    void serviceCheck_failingHealthCheckFails();
    void serviceCheck_killStopsTheRunningCommand();
    void engine_destroyedMidWriteResumesNextBoot();

private:
    std::optional<StagedRecord> stagedRecord() const;
    QList<MigrationStep> stagedMigrations() const;
    // Runs job to its end; false when it did not end exactly once.
    static bool finishOnce(Job &job, int timeoutMs = 60000);
    std::unique_ptr<Device> m_device;
};

void tst_InstallSteps::initTestCase()
{
    QString why;
    QVERIFY2(test::makeSigningKey(&why), qPrintable(why));
}

void tst_InstallSteps::init()
{
    qunsetenv("S16_FAULT");
    qunsetenv("S16_KILL_AT");
    m_device = std::make_unique<Device>();
    QString why;
    QVERIFY2(m_device->init(QStringLiteral("uboot"), &why), qPrintable(why));
}

std::optional<StagedRecord> tst_InstallSteps::stagedRecord() const
{
    auto journal = Journal::open(m_device->config().device.stateDir);
    return journal ? DeviceState(**journal).staged() : std::nullopt;
}

QList<MigrationStep> tst_InstallSteps::stagedMigrations() const
{
    QList<MigrationStep> steps;
    for (const int schema : {2, 3}) {
        const QString path = m_device->path(QStringLiteral("update/staged/migrations/%1.sql").arg(schema, 4, 10, QLatin1Char('0')));
        steps.append(MigrationStep{schema, path, sha256Hex(path).value_or(QString()).toLatin1()});
    }
    return steps;
}

bool tst_InstallSteps::finishOnce(Job &job, int timeoutMs)
{
    QSignalSpy finished(&job, &Job::finished);
    if (!job.isFinished() && !finished.wait(timeoutMs))
        return false;
    QTest::qWait(20); // a second finished() would be queued by now
    return finished.count() == 1 && job.isFinished();
}

void tst_InstallSteps::stagedCheck_provesTheStagedUpdate()
{
    QString why;
    QVERIFY2(m_device->stage({}, &why), qPrintable(why));
    StagedCheck check(m_device->config(), stagedRecord());
    QSignalSpy progress(&check, &install::WorkerJob::progress);
    check.start();
    QVERIFY(finishOnce(check));
    QVERIFY2(!check.error(), qPrintable(check.error() ? check.error()->message : QString()));
    QCOMPARE(check.staged().manifest.version.toString(), kNewVersion);
    QCOMPARE(check.staged().migrations.size(), 2);
    QVERIFY(check.staged().image.endsWith(QLatin1StringView("s16-2.0.0.img")));
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(0).toLongLong(), kImageSize);
}

void tst_InstallSteps::stagedCheck_damagedImageFails()
{
    StageOptions damaged;
    damaged.tamper = QStringLiteral("imageByte");
    QString why;
    QVERIFY2(m_device->stage(damaged, &why), qPrintable(why));
    StagedCheck check(m_device->config(), stagedRecord());
    check.start();
    QVERIFY(finishOnce(check));
    QVERIFY(check.error());
    QCOMPARE(check.error()->code, ExitCode::IntegrityMismatch);
    QCOMPARE(check.error()->edge, std::optional<Edge>(Edge::E48));
}

void tst_InstallSteps::stagedCheck_killEndsCancelled()
{
    QString why;
    QVERIFY2(m_device->stage({}, &why), qPrintable(why));
    StagedCheck check(m_device->config(), stagedRecord());
    check.start();
    check.kill();
    QVERIFY(finishOnce(check));
    QVERIFY(check.error());
    QCOMPARE(check.error()->code, ExitCode::Cancelled);
}

void tst_InstallSteps::slotWrite_writesAndReadsBack()
{
    SlotWrite write({m_device->path(QStringLiteral("images/new.img")), kImageSize, m_device->newSum().toLatin1(),
                     m_device->path(QStringLiteral("slotB.img")), m_device->path(QStringLiteral("slotA.img"))},
                    std::nullopt);
    QSignalSpy progress(&write, &install::WorkerJob::progress);
    write.start();
    QVERIFY(finishOnce(write));
    QVERIFY2(!write.error(), qPrintable(write.error() ? write.error()->message : QString()));
    QVERIFY(!write.problem());
    QCOMPARE(m_device->slotSum(QStringLiteral("B")), m_device->newSum());
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(0).toLongLong(), 2 * kImageSize);
}

void tst_InstallSteps::slotWrite_mismatchFails()
{
    SlotWrite write({m_device->path(QStringLiteral("images/new.img")), kImageSize, m_device->oldSum().toLatin1(),
                     m_device->path(QStringLiteral("slotB.img")), m_device->path(QStringLiteral("slotA.img"))},
                    std::nullopt);
    write.start();
    QVERIFY(finishOnce(write));
    QVERIFY(write.error());
    QCOMPARE(write.error()->code, ExitCode::InstallFailed);
    QCOMPARE(write.error()->edge, std::optional<Edge>(Edge::E51));
    QVERIFY(write.problem());
    QCOMPARE(write.problem()->code, SlotError::VerifyMismatch);
}

// Killed between two chunks: the slot holds part of the image, never all of it, and the
// problem is a slot write failure of its own (the engine's revert path takes it as any other).
void tst_InstallSteps::slotWrite_killMidwayLeavesNoWrittenSlot()
{
    constexpr qint64 size = 32 * SlotWriter::kChunkBytes;
    const QString image = m_device->path(QStringLiteral("images/big.img"));
    QVERIFY(writeRandomFile(image, size, 5));
    const auto sum = sha256Hex(image);
    QVERIFY(sum);
    SlotWrite write(
        {image, size, sum->toLatin1(), m_device->path(QStringLiteral("slotB.img")), m_device->path(QStringLiteral("slotA.img"))},
        std::nullopt);
    QSignalSpy progress(&write, &install::WorkerJob::progress);
    write.start();
    QVERIFY(progress.wait(30000));
    write.kill();
    QVERIFY(write.isRunning()); // it ends from the event loop, never inside kill()
    QVERIFY(finishOnce(write));
    QVERIFY(write.error());
    QCOMPARE(write.error()->code, ExitCode::Cancelled);
    QVERIFY(write.problem());
    QCOMPARE(write.problem()->code, SlotError::Cancelled);
    QVERIFY(QFileInfo(m_device->path(QStringLiteral("slotB.img"))).size() < size);
}

void tst_InstallSteps::migration_backsUpAndMigrates()
{
    QString why;
    QVERIFY2(m_device->stage({}, &why), qPrintable(why));
    const QString database = m_device->config().device.database;
    Migration backup(Migration::Part::Backup, database);
    backup.start();
    QVERIFY(finishOnce(backup));
    QVERIFY(!backup.error());
    QVERIFY(Migrator(database).hasBackup());
    Migration migrate(Migration::Part::Migrate, database, kNewSchema, stagedMigrations());
    QSignalSpy progress(&migrate, &install::WorkerJob::progress);
    migrate.start();
    QVERIFY(finishOnce(migrate));
    QVERIFY2(!migrate.error(), qPrintable(migrate.error() ? migrate.error()->message : QString()));
    QCOMPARE(migrate.schemaReached(), kNewSchema);
    QCOMPARE(m_device->dbVersion(), kNewSchema);
    QCOMPARE(progress.size(), kNewSchema - kOldSchema);
    QCOMPARE(m_device->sql(QStringLiteral("SELECT tag FROM notes WHERE text = 'kept'")), QStringLiteral("new"));

    Migration restore(Migration::Part::Restore, database);
    restore.start();
    QVERIFY(finishOnce(restore));
    QVERIFY(!restore.error());
    QCOMPARE(m_device->dbVersion(), kOldSchema);
    QCOMPARE(m_device->sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
}

void tst_InstallSteps::migration_failingScriptFails()
{
    StageOptions broken;
    broken.migration3 = "ALTER TABLE missing ADD COLUMN tag TEXT;\n";
    QString why;
    QVERIFY2(m_device->stage(broken, &why), qPrintable(why));
    Migration migrate(Migration::Part::Migrate, m_device->config().device.database, kNewSchema, stagedMigrations());
    migrate.start();
    QVERIFY(finishOnce(migrate));
    QVERIFY(migrate.error());
    QCOMPARE(migrate.error()->code, ExitCode::InstallFailed);
    QCOMPARE(migrate.error()->edge, std::optional<Edge>(Edge::E59));
    QVERIFY(migrate.problem());
    QCOMPARE(migrate.problem()->code, MigrationError::ScriptFailed);
    QCOMPARE(m_device->dbVersion(), 2); // the step before the failing one stays whole
}

// Killed before it could finish: the database is the backup's again, the schema the old one.
void tst_InstallSteps::migration_killLeavesTheBackupsDatabase()
{
    QString why;
    QVERIFY2(m_device->stage({}, &why), qPrintable(why));
    const QString database = m_device->config().device.database;
    QVERIFY(Migrator(database).backup());
    Migration migrate(Migration::Part::Migrate, database, kNewSchema, stagedMigrations());
    QSignalSpy progress(&migrate, &install::WorkerJob::progress);
    migrate.start();
    migrate.kill();
    QVERIFY(finishOnce(migrate));
    QVERIFY(migrate.error());
    QCOMPARE(migrate.error()->code, ExitCode::Cancelled);
    QCOMPARE(m_device->dbVersion(), kOldSchema);
    QCOMPARE(m_device->sql(QStringLiteral("SELECT count(*) FROM notes")), QStringLiteral("2"));
    if (migrate.problem()) // a kill after the last step leaves nothing to stop
        QCOMPARE(migrate.problem()->code, MigrationError::Cancelled);
}

void tst_InstallSteps::bootSwitch_writesOnlyWhatDiffers()
{
    auto env = openBootEnvironment(m_device->config().boot.backend, m_device->config().boot.envFile);
    QVERIFY(env);
    const QMap<QString, QString> trial{{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A")},
                                       {QStringLiteral("BOOT_B_LEFT"), QStringLiteral("3")},
                                       {QStringLiteral("S16_RECOVERY"), QString()}};
    BootSwitch toTrial(**env, trial, QStringLiteral("cannot switch"));
    toTrial.start();
    QVERIFY(finishOnce(toTrial));
    QVERIFY(!toTrial.error());
    QVERIFY(toTrial.wrote());
    QCOMPARE(m_device->env().value(QStringLiteral("BOOT_ORDER")), QStringLiteral("B A"));
    QVERIFY(!m_device->env().contains(QStringLiteral("S16_RECOVERY")));
    BootSwitch again(**env, trial, QStringLiteral("cannot switch"));
    again.start();
    QVERIFY(finishOnce(again));
    QVERIFY(!again.error());
    QVERIFY(!again.wrote());
}

void tst_InstallSteps::bootSwitch_unwritableEnvironmentFails()
{
    QTemporaryDir dir;
    const auto created = createBootEnvironment(QStringLiteral("grub"), dir.path(), {{QStringLiteral("BOOT_ORDER"), QStringLiteral("A B")}});
    QVERIFY(created);
    auto env = openBootEnvironment(QStringLiteral("grub"), *created);
    QVERIFY(env);
    QVERIFY(QFile::remove(*created));
    QVERIFY(QDir().mkpath(*created)); // a folder where the environment file was
    BootSwitch revert(**env, {{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A")}}, QStringLiteral("cannot revert to slot A"));
    revert.start();
    QVERIFY(finishOnce(revert));
    QVERIFY(revert.error());
    QCOMPARE(revert.error()->code, ExitCode::InstallFailed);
    QVERIFY(revert.error()->message.contains(QLatin1StringView("cannot revert to slot A")));
    QVERIFY(!revert.wrote());
}

// One write that happened or did not: kill() waits for it, and the environment is whole either way.
void tst_InstallSteps::bootSwitch_killWaitsForTheWrite()
{
    auto env = openBootEnvironment(m_device->config().boot.backend, m_device->config().boot.envFile);
    QVERIFY(env);
    BootSwitch toTrial(**env, {{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A")}}, QStringLiteral("cannot switch"));
    toTrial.start();
    toTrial.kill();
    QVERIFY(finishOnce(toTrial));
    QVERIFY(toTrial.error());
    QCOMPARE(toTrial.error()->code, ExitCode::Cancelled);
    const QString order = m_device->env().value(QStringLiteral("BOOT_ORDER"));
    QCOMPARE(order, toTrial.wrote() ? QStringLiteral("B A") : QStringLiteral("A B"));
}

// E61 as a step: the reload runs before the health check, and both must exit 0.
void tst_InstallSteps::serviceCheck_reloadsThenChecks()
{
    const QString trace = m_device->path(QStringLiteral("services.trace"));
    ServiceCheck check({QStringLiteral("echo reload >> '%1'").arg(trace), QStringLiteral("echo health >> '%1'").arg(trace), 30});
    check.start();
    QVERIFY(finishOnce(check));
    QVERIFY(!check.error());
    QVERIFY(!check.problem());
    QFile f(trace);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("reload\nhealth\n"));
}

void tst_InstallSteps::serviceCheck_failingHealthCheckFails()
{
    ServiceCheck check({QStringLiteral("true"), QStringLiteral("echo not ready >&2; exit 3"), 30});
    check.start();
    QVERIFY(finishOnce(check));
    QVERIFY(check.problem());
    QCOMPARE(check.problem()->code, ServiceError::Unhealthy);
    QVERIFY(check.problem()->detail.contains(QLatin1StringView("not ready")));
    QVERIFY(check.error());
    QCOMPARE(check.error()->code, ExitCode::InstallFailed);
    QCOMPARE(check.error()->edge, std::optional<Edge>(Edge::E62));
}

// A health check that hangs is not waited for when the engine shuts down: kill() kills the
// command within a tenth of a second, long before its own timeout, and the job ends Cancelled.
void tst_InstallSteps::serviceCheck_killStopsTheRunningCommand()
{
    const QString started = m_device->path(QStringLiteral("health.started"));
    ServiceCheck check({QString(), QStringLiteral("touch '%1'; exec sleep 60").arg(started), 120});
    check.start();
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(started), 10000);
    QElapsedTimer clock;
    clock.start();
    check.kill();
    QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(finishOnce(check));
    QVERIFY(check.error());
    QCOMPARE(check.error()->code, ExitCode::Cancelled);
}

// Destroying a running engine kills its step where it stands: the journal says the slot was
// being written and is not good (whether or not the worker got to its last chunk before the
// kill), and the next boot installs it as after a power cut.
void tst_InstallSteps::engine_destroyedMidWriteResumesNextBoot()
{
    StageOptions large;
    large.imageSize = 24 * 1024 * 1024;
    large.withSchema = false;
    QString why;
    QVERIFY2(m_device->stage(large, &why), qPrintable(why));
    InstallStage::Value stage = InstallStage::Idle;
    bool writing = false;
    InstallCallbacks callbacks;
    callbacks.stage = [&](InstallStage::Value s) { stage = s; };
    callbacks.progress = [&](qint64 bytes, qint64) { writing = writing || (stage == InstallStage::Install && bytes > 0); };
    auto engine = std::make_unique<install::Engine>(m_device->config(), callbacks);
    bool ended = false;
    engine->startRecovery([&](const InstallReport &) { ended = true; });
    QVERIFY(engine->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(writing || ended, 30000);
    QVERIFY(!ended);
    engine.reset();
    QCOMPARE(m_device->journal(QStringLiteral("install")).toObject().value(QStringLiteral("step")).toString(), QStringLiteral("write"));
    QCOMPARE(m_device->slotState(QStringLiteral("B")), QStringLiteral("empty"));

    const QString image = *sha256Hex(m_device->path(QStringLiteral("update/staged/s16-2.0.0.img")));
    const Device::Boot next = m_device->powerOn();
    QCOMPARE(next.decision.mode, BootDecision::Mode::Recovery);
    QVERIFY2(next.report.status, qPrintable(next.report.status ? QString() : next.report.status.error().message));
    QCOMPARE(m_device->slotSum(QStringLiteral("B")), image);
    QCOMPARE(m_device->slotState(QStringLiteral("B")), QStringLiteral("trial"));
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    tst_InstallSteps tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_installsteps.moc"
