#include "installengine_p.h"

#include "boot/reboot.h"
#include "common/fileutil.h"
#include "common/logging.h"
#include "faults.h"
#include "install/servicereload.h"
#include "install/slotwriter.h"
#include "steps_p.h"
#include "store/devicestate.h"

#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QStringBuilder>

#include <unistd.h>

namespace s16::install {
namespace {

namespace step {
constexpr QLatin1StringView Verify{"verify"};
constexpr QLatin1StringView Write{"write"};
constexpr QLatin1StringView Backup{"backup"};
constexpr QLatin1StringView Migrate{"migrate"};
constexpr QLatin1StringView Switch{"switch"};
constexpr QLatin1StringView Trial{"trial"};
constexpr QLatin1StringView Reload{"reload"};
constexpr QLatin1StringView Commit{"commit"};
constexpr QLatin1StringView RevertMigration{"revertMigration"};
constexpr QLatin1StringView Revert{"revert"};
constexpr QLatin1StringView RebootOld{"rebootOld"};
} // namespace step

const QString kTrialVar = QStringLiteral("S16_TRIAL");

QString otherSlot(const QString &slot) { return slot == QLatin1StringView("A") ? QStringLiteral("B") : QStringLiteral("A"); }

bool isSlotName(const QString &slot) { return slot == QLatin1StringView("A") || slot == QLatin1StringView("B"); }

// s16-update takes the device's EngineLock for every engine command before it calls
// runBootComplete(); the lock is for one engine per device across processes, so a lock
// this very process holds lets the run go ahead.
bool lockHeldByThisProcess(const QString &stateDir) { return EngineLock::holder(stateDir) == qint64(::getpid()); }

} // namespace

// The one resume table: for each step the install journals (Record::step), the step a run
// that finds it enters. The recovery boot repeats or finishes an interrupted step; the new
// system (booted from the target slot) checks and commits the trial; the old one (the
// bootloader fell back, or recovery was left before it finished) undoes what was done.
struct Engine::ResumePoint {
    QLatin1StringView step;
    Entry recovery;
    Entry newSystem;
    Entry oldSystem;
};

namespace {

using Entry = Engine::Entry;
constexpr Engine::ResumePoint kResumeTable[] = {
    {{}, Entry::Verify, Entry::Revert, Entry::Revert}, // no install under way: a new one
    {step::Verify, Entry::Verify, Entry::RebootOld, Entry::RebootOld},
    {step::Write, Entry::Verify, Entry::Revert, Entry::Revert},
    {step::Backup, Entry::Backup, Entry::Revert, Entry::Revert},
    {step::Migrate, Entry::Migrate, Entry::RevertMigration, Entry::RevertMigration},
    {step::Switch, Entry::Switch, Entry::Reload, Entry::TrialFailed},
    {step::Trial, Entry::HandBack, Entry::Reload, Entry::TrialFailed},
    {step::Reload, Entry::HandBack, Entry::Reload, Entry::TrialFailed},
    {step::Commit, Entry::HandBack, Entry::Commit, Entry::TrialFailed},
    {step::RevertMigration, Entry::RevertMigration, Entry::RevertMigration, Entry::RevertMigration},
    {step::Revert, Entry::Revert, Entry::Revert, Entry::Revert},
    {step::RebootOld, Entry::RebootOld, Entry::RebootOld, Entry::RebootOld},
};
// A step this version does not know: recovery leaves it alone, a normal boot rolls it back.
constexpr Engine::ResumePoint kUnknownStep{{}, Entry::HandBack, Entry::Revert, Entry::Revert};

const Engine::ResumePoint &resumePoint(const QString &step)
{
    for (const Engine::ResumePoint &point : kResumeTable) {
        if (step == point.step)
            return point;
    }
    return kUnknownStep;
}

// The flowchart node each resume point stands at; a hand-back takes no edge at all.
std::optional<Node> resumeNode(Entry entry)
{
    switch (entry) {
    case Entry::Verify: return Node::Reboot;
    case Entry::Backup: return Node::Backup;
    case Entry::Migrate: return Node::PUMigration;
    case Entry::Switch:
    case Entry::Reload:
    case Entry::TrialFailed: return Node::Reload;
    case Entry::Commit: return Node::EndSuccess;
    case Entry::RevertMigration: return Node::RevertMigration;
    case Entry::Revert: return Node::RevertUpdates;
    case Entry::RebootOld: return Node::RebootOld;
    default: return std::nullopt;
    }
}

} // namespace

Record Record::fromJson(const QJsonValue &value)
{
    const QJsonObject o = value.toObject();
    Record r;
    r.step = o.value(QStringLiteral("step")).toString();
    r.targetSlot = o.value(QStringLiteral("targetSlot")).toString();
    r.fallbackSlot = o.value(QStringLiteral("fallbackSlot")).toString();
    r.version = o.value(QStringLiteral("version")).toString();
    r.previousVersion = o.value(QStringLiteral("previousVersion")).toString();
    r.migrated = o.value(QStringLiteral("migrated")).toBool();
    r.backup = o.value(QStringLiteral("backup")).toString();
    if (o.value(QStringLiteral("error")).isObject())
        r.error = errorFromJson(o.value(QStringLiteral("error")).toObject(), ExitCode::InstallFailed);
    return r;
}

QJsonObject Record::toJson() const
{
    QJsonObject o{{QStringLiteral("step"), step},
                  {QStringLiteral("targetSlot"), targetSlot},
                  {QStringLiteral("fallbackSlot"), fallbackSlot},
                  {QStringLiteral("version"), version},
                  {QStringLiteral("previousVersion"), previousVersion},
                  {QStringLiteral("migrated"), migrated},
                  {QStringLiteral("backup"), backup.isEmpty() ? QJsonValue() : QJsonValue(backup)},
                  {QStringLiteral("time"), journalTime(QDateTime::currentDateTimeUtc())}};
    if (error)
        o.insert(QStringLiteral("error"), errorToJson(*error));
    return o;
}

Engine::Engine(const Config &config, InstallCallbacks callbacks)
    : m_config(config)
    , m_callbacks(std::move(callbacks))
{
}

Engine::~Engine()
{
    if (m_step)
        m_step->kill();
}

// ---- shared plumbing ----------------------------------------------------------------

Status Engine::open()
{
    auto lock = EngineLock::tryAcquire(m_config.device.stateDir);
    if (lock) {
        m_lock.emplace(std::move(*lock));
    } else if (!lockHeldByThisProcess(m_config.device.stateDir)) {
        return std::unexpected(lock.error().withContext(QStringLiteral("another updater process is running")));
    }
    auto journal = Journal::open(m_config.device.stateDir, m_config.log.maxEntries);
    if (!journal)
        return std::unexpected(journal.error());
    m_journal = std::move(*journal);
    auto env = openBootEnvironment(m_config.boot.backend, m_config.boot.envFile);
    if (!env)
        return std::unexpected(bootError(env.error(), QStringLiteral("cannot open the boot environment")));
    m_env = std::move(*env);
    m_flow = FlowMachine(Node::Reboot, [this](Node node, Edge via) -> Status { return state().setFlow(node, via); });
    // The reboot that was requested has happened: this process runs after it.
    if (state().rebootPending()) {
        if (auto cleared = state().setRebootPending(false); !cleared)
            return cleared;
    }
    m_rec = Record::fromJson(state().installRecord());
    return {};
}

Status Engine::take(std::initializer_list<Edge> edges)
{
    for (const Edge edge : edges) {
        if (auto taken = m_flow.take(edge); !taken)
            return taken;
    }
    return {};
}

Status Engine::saveRecord() { return state().setInstallRecord(m_rec.toJson()); }

QString Engine::slotPath(const QString &slot) const { return slot == QLatin1StringView("A") ? m_config.boot.slotA : m_config.boot.slotB; }

QString Engine::slotVersion(const QString &slot) const
{
    if (const std::optional<QString> version = state().slot(slot).version; version && !version->isEmpty())
        return *version;
    if (slot == m_rec.fallbackSlot && !m_config.device.versionFile.isEmpty()) {
        if (auto text = fileutil::readSmallFile(m_config.device.versionFile, 4096))
            return QString::fromUtf8(*text).trimmed();
    }
    return {};
}

// Writes only what differs, so repeating a step after a power cut costs no extra write
// and an environment that already holds the change is not touched at all.
Status Engine::updateEnv(const QMap<QString, QString> &changes, const QString &what)
{
    if (auto written = updateBootEnv(*m_env, changes, what); !written)
        return std::unexpected(written.error());
    return {};
}

Status Engine::switchBoot(const QMap<QString, QString> &changes, const QString &what, std::function<Status(const Status &)> then)
{
    auto job = std::make_unique<BootSwitch>(*m_env, changes, what);
    const BootSwitch &write = *job;
    return await(std::move(job), {},
                 [&write, then = std::move(then)] { return then(write.error() ? Status(std::unexpected(*write.error())) : Status()); });
}

// The reboot interface: the boot environment already says where to go; record that a
// reboot is due (a simulated device performs it on its next `boot`), then ask the
// system for it when a command is configured.
Status Engine::requestReboot()
{
    if (auto recorded = state().setRebootPending(true); !recorded)
        return recorded;
    m_rebootRequested = true;
    if (m_config.boot.rebootCommand.isEmpty()) {
        qCInfo(lcInstall) << "reboot requested (recorded only)";
        return {};
    }
    // The environment is set: the next power-on goes where it must even without this.
    if (auto rebooted = runRebootCommand(m_config.boot.rebootCommand); !rebooted)
        qCWarning(lcInstall).noquote() << rebooted.error();
    return {};
}

void Engine::setStage(InstallStage::Value stage)
{
    if (m_callbacks.stage)
        m_callbacks.stage(stage);
}

void Engine::reportProgress(const QString &phase, qint64 bytes, qint64 total)
{
    if (m_callbacks.progress)
        m_callbacks.progress(bytes, total);
    if (phase != m_phase) {
        m_phase = phase;
        m_phaseClock.start();
        m_lastProgressWrite = -1000;
    }
    const qint64 elapsed = m_phaseClock.elapsed();
    // at most twice a second (docs/state.md), but always the end of a phase
    if (elapsed - m_lastProgressWrite < 500 && bytes < total)
        return;
    m_lastProgressWrite = elapsed;
    const double rate = elapsed > 0 ? double(bytes) * 1000.0 / double(elapsed) : 0.0;
    const std::optional<qint64> eta = rate > 0 ? std::optional<qint64>(qint64(double(total - bytes) / rate)) : std::nullopt;
    const Status hinted = state().setProgress(Progress{phase, bytes, total, double(qint64(rate)), eta, std::nullopt});
    // A hint: the install goes on without it, but a journal that refuses it is worth a line.
    if (!hinted)
        qCWarning(lcInstall).noquote() << "cannot record the progress:" << hinted.error().message;
}

void Engine::dropStaged()
{
    const QString staged = QDir(m_config.device.updateDir).filePath(QStringLiteral("staged"));
    if (!fileutil::removeTree(staged)) // a link planted as staged/ goes as a link
        qCWarning(lcInstall) << "cannot remove" << staged;
}

// ---- how a run moves ----------------------------------------------------------------------

Status Engine::move(std::initializer_list<Edge> edges, Entry next, const Error &failure)
{
    if (auto moved = take(edges); !moved)
        return moved;
    return run(next, failure);
}

Status Engine::run(Entry entry, const Error &failure)
{
    switch (entry) {
    case Entry::Verify: return stepVerify();
    case Entry::Write: return stepWrite();
    case Entry::NeedMigration: return stepNeedMigration();
    case Entry::Backup: return stepBackup();
    case Entry::Migrate: return stepMigrate();
    case Entry::Switch: return stepSwitch();
    case Entry::HandBack: return stepHandBack();
    case Entry::Reload: return stepReload();
    case Entry::Commit: return stepCommit();
    case Entry::TrialFailed: return stepTrialFailed();
    case Entry::MigrationMade: return migrationMadeBranch(failure);
    case Entry::RevertMigration: return stepRevertMigration(failure);
    case Entry::Revert: return stepRevert(failure);
    case Entry::RebootOld: return stepRebootOld(failure);
    case Entry::ErrorLog: return logFailure(failure);
    }
    Q_UNREACHABLE();
    return {};
}

// The one resume table (docs/install.md): the journaled step a run finds, and where the
// recovery boot, the new system (booted from the target slot) and the old one (booted from
// the fallback slot, the bootloader fell back) pick the install up.
Status Engine::resume(Entry entry)
{
    if (const std::optional<Node> node = resumeNode(entry))
        m_flow.resumeAt(*node);
    if ((entry == Entry::Backup || entry == Entry::Migrate) && !m_staged)
        return resumeWithStaged(entry);
    return run(entry,
               m_rec.error.value_or(Error{ExitCode::InstallFailed, QStringLiteral("the installation was interrupted"), Edge::E51, {}}));
}

// The database steps need the staged update's migrations: read it back (and prove it) first.
Status Engine::resumeWithStaged(Entry entry)
{
    auto staged = loadStaged(m_config, state().staged());
    if (staged) {
        m_staged = std::move(*staged);
        return run(entry, {});
    }
    Error e = staged.error();
    e.code = ExitCode::InstallFailed;
    if (entry == Entry::Backup)
        return move({Edge::E56, Edge::E57, Edge::E59}, Entry::RevertMigration, e.withEdge(Edge::E59));
    return move({Edge::E57, Edge::E59}, Entry::RevertMigration, e.withEdge(Edge::E59));
}

InstallReport Engine::report(const Status &status)
{
    InstallReport report;
    report.status = status;
    report.rebootRequested = m_rebootRequested;
    report.path = m_flow.path();
    if (m_journal) {
        if (auto removed = state().clearProgress(); !removed)
            qCWarning(lcInstall).noquote() << "cannot clear the progress:" << removed.error().message;
    }
    return report;
}

Status Engine::await(std::unique_ptr<WorkerJob> job, const QString &phase, std::function<Status()> then)
{
    WorkerJob *step = job.get();
    m_step = std::move(job);
    QObject::connect(step, &WorkerJob::progress, step, [this, phase](qint64 bytes, qint64 total) { reportProgress(phase, bytes, total); });
    QObject::connect(step, &Job::finished, step, [this, then = std::move(then)] {
        // Still inside the job's signal: it goes later, and then() may start the next one.
        m_step.release()->deleteLater();
        settle(then());
    });
    step->start();
    return {};
}

void Engine::settle(const Status &status)
{
    if (m_step || !m_ended)
        return;
    const Ended ended = std::exchange(m_ended, nullptr);
    ended(report(status));
}

InstallReport Engine::exec(const std::function<void(Ended)> &start)
{
    std::optional<InstallReport> result;
    QEventLoop loop;
    start([&](const InstallReport &report) {
        result = report;
        loop.quit();
    });
    if (!result)
        loop.exec();
    return *result;
}

// ---- recovery ---------------------------------------------------------------------------

void Engine::startRecovery(Ended ended)
{
    m_context = Context::Recovery;
    m_ended = [ended = std::move(ended)](const InstallReport &report) {
        if (!report.status)
            qCWarning(lcInstall).noquote() << "recovery:" << report.status.error().message << report.status.error().detail;
        ended(report);
    };
    settle(runRecovery());
}

InstallReport Engine::recovery()
{
    return exec([this](Ended ended) { startRecovery(std::move(ended)); });
}

Status Engine::runRecovery()
{
    if (auto opened = open(); !opened)
        return opened;
    auto vars = m_env->read();
    if (!vars)
        return std::unexpected(bootError(vars.error(), QStringLiteral("cannot read the boot environment")));

    if (m_rec.isEmpty() || !isSlotName(m_rec.targetSlot)) {
        // The slot normal boots start is the one the device runs and falls back to.
        QString fallback;
        const QStringList order = vars->value(bootvar::BootOrder).split(u' ', Qt::SkipEmptyParts);
        for (const QString &slot : order) {
            if (isSlotName(slot)) {
                fallback = slot;
                break;
            }
        }
        if (fallback.isEmpty())
            fallback = QStringLiteral("A");
        m_rec = Record{};
        m_rec.fallbackSlot = fallback;
        m_rec.targetSlot = otherSlot(fallback);
        m_rec.previousVersion = slotVersion(fallback);
    }
    qCInfo(lcInstall) << "recovery: installing into slot" << m_rec.targetSlot << "at step"
                      << (m_rec.step.isEmpty() ? QStringLiteral("(new)") : m_rec.step);
    return resume(resumePoint(m_rec.step).recovery);
}

Status Engine::stepVerify()
{
    setStage(InstallStage::Verify);
    m_rec.step = step::Verify;
    m_rec.error.reset();
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"verify");
    if (auto moved = take({Edge::E44}); !moved)
        return moved;
    auto job = std::make_unique<StagedCheck>(m_config, state().staged());
    const StagedCheck &check = *job;
    return await(std::move(job), QStringLiteral("verify"), [this, &check]() -> Status {
        if (check.error())
            return move({Edge::E45, Edge::E46, Edge::E48}, Entry::RebootOld, *check.error());
        m_staged = check.staged();
        m_rec.version = m_staged->manifest.version.toString();
        return move({Edge::E45, Edge::E46, Edge::E47}, Entry::Write);
    });
}

Status Engine::stepWrite()
{
    setStage(InstallStage::Install);
    m_rec.step = step::Write;
    // The slot's old content is gone from the first byte on: never call it good again.
    if (auto saved = m_journal->transaction([&]() -> Status {
            if (auto r = saveRecord(); !r)
                return r;
            return state().setSlot(m_rec.targetSlot, {std::nullopt, SlotRecord::State::Empty});
        });
        !saved)
        return saved;
    fault::killPoint(u"write");
    const SlotWriter::Job job{m_staged->image,
                              m_staged->manifest.image.size,
                              m_staged->manifest.image.sha256,
                              slotPath(m_rec.targetSlot),
                              slotPath(m_rec.fallbackSlot),
                              m_staged->index};
    auto write =
        std::make_unique<SlotWrite>(job, m_staged->zstd ? std::optional<qint64>(m_staged->manifest.imageZstd->size) : std::nullopt);
    const SlotWrite &step = *write;
    return await(std::move(write), QStringLiteral("install"), [this, &step]() -> Status {
        // A kill is a failed write too: the slot holds part of the image.
        const std::optional<SlotProblem> &written = step.problem();
        if (written)
            return move({Edge::E49, Edge::E51}, Entry::Revert,
                        toError(*written).withContext(QStringLiteral("cannot write slot %1").arg(m_rec.targetSlot)));
        return move({Edge::E49, Edge::E50}, Entry::NeedMigration);
    });
}

Status Engine::stepNeedMigration()
{
    const std::optional<int> schema = m_staged->manifest.schema;
    const auto need = schema && !m_config.device.database.isEmpty() ? Migrator(m_config.device.database).needsMigration(*schema)
                                                                    : std::expected<bool, MigrationProblem>(false);
    // No database yet: the new system creates its own at its schema.
    if ((need && !*need) || (!need && need.error().code == MigrationError::NoDatabase))
        return move({Edge::E55}, Entry::Switch);
    // Refused before anything changed (too new, unreadable): the migration has failed.
    if (!need)
        return move({Edge::E54, Edge::E56, Edge::E57, Edge::E59}, Entry::RevertMigration,
                    toError(need.error()).withContext(QStringLiteral("cannot migrate the database")));
    return move({Edge::E54}, Entry::Backup);
}

Status Engine::stepBackup()
{
    setStage(InstallStage::Migrate);
    m_rec.step = step::Backup;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"backup");
    auto job = std::make_unique<Migration>(Migration::Part::Backup, m_config.device.database);
    const Migration &backup = *job;
    return await(std::move(job), QStringLiteral("backup"), [this, &backup]() -> Status {
        const std::optional<MigrationProblem> &failed = backup.problem();
        if (failed)
            return move({Edge::E56, Edge::E57, Edge::E59}, Entry::RevertMigration,
                        toError(*failed).withContext(QStringLiteral("cannot migrate the database")));
        return move({Edge::E56}, Entry::Migrate);
    });
}

Status Engine::stepMigrate()
{
    setStage(InstallStage::Migrate);
    const Migrator migrator(m_config.device.database);
    m_rec.step = step::Migrate;
    m_rec.migrated = true; // from here on the database may differ from the backup
    m_rec.backup = migrator.backupPath();
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"migrate");
    const int schema = m_staged->manifest.schema.value_or(0);
    const int start = migrator.userVersion().value_or(0);
    reportProgress(QStringLiteral("migrate"), 0, std::max(1, schema - start));
    auto job = std::make_unique<Migration>(Migration::Part::Migrate, m_config.device.database, schema, m_staged->migrations);
    const Migration &migration = *job;
    return await(std::move(job), QStringLiteral("migrate"), [this, &migration]() -> Status {
        const std::optional<MigrationProblem> &failed = migration.problem();
        if (failed)
            return move({Edge::E57, Edge::E59}, Entry::RevertMigration,
                        toError(*failed).withContext(QStringLiteral("cannot migrate the database")));
        return move({Edge::E57, Edge::E58}, Entry::Switch);
    });
}

Status Engine::stepSwitch()
{
    setStage(InstallStage::RestartServices);
    m_rec.step = step::Switch;
    if (auto saved = m_journal->transaction([&]() -> Status {
            if (auto r = saveRecord(); !r)
                return r;
            return state().setSlot(m_rec.targetSlot, {m_rec.version, SlotRecord::State::Trial});
        });
        !saved)
        return saved;
    fault::killPoint(u"switch");
    const QString &t = m_rec.targetSlot;
    const QString &f = m_rec.fallbackSlot;
    const auto switched = [this, t](const Status &written) -> Status {
        if (!written)
            return move({Edge::E61, Edge::E62}, Entry::MigrationMade, written.error().withEdge(Edge::E62));
        fault::killPoint(u"switch.mid");
        m_rec.step = step::Trial;
        if (auto saved = saveRecord(); !saved)
            return saved;
        if (auto rebooted = requestReboot(); !rebooted)
            return rebooted;
        setStage(InstallStage::Done);
        qCInfo(lcInstall) << "slot" << t << "holds" << m_rec.version << "and boots next, on trial";
        return {};
    };
    if (fault::injected(u"switch"))
        return switched(fail(ExitCode::InstallFailed, QStringLiteral("cannot switch to slot %1").arg(t),
                             QStringLiteral("injected fault (S16_FAULT=switch)")));
    // One write: the new slot first, on trial with its tries, the old one kept bootable
    // behind it, and the recovery request gone.
    return switchBoot({{bootvar::BootOrder, t % u' ' % f},
                       {triesLeftVariable(t), QString::number(kTrialTries)},
                       {triesLeftVariable(f), QString::number(kTrialTries)},
                       {kTrialVar, t},
                       {bootvar::Recovery, QString()}},
                      QStringLiteral("cannot switch to slot %1").arg(t), switched);
}

// A trial is pending (trial, reload, commit): it is the new system's boot-complete that
// decides it, so recovery only hands back to the normal boot.
Status Engine::stepHandBack()
{
    qCWarning(lcInstall) << "recovery started while slot" << m_rec.targetSlot << "is on trial; handing back";
    if (auto cleared = updateEnv({{bootvar::Recovery, QString()}}, QStringLiteral("cannot leave recovery")); !cleared)
        return cleared;
    return requestReboot();
}

// ---- rollback -----------------------------------------------------------------------------

Status Engine::migrationMadeBranch(const Error &failure)
{
    if (m_rec.migrated)
        return move({Edge::E63}, Entry::RevertMigration, failure);
    return move({Edge::E64}, Entry::Revert, failure);
}

Status Engine::stepRevertMigration(const Error &failure)
{
    setStage(InstallStage::RollingBack);
    m_rec.step = step::RevertMigration;
    m_rec.error = failure;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"revertMigration");
    if (!m_rec.migrated)
        return move({Edge::E60}, Entry::Revert, failure);
    auto job = std::make_unique<Migration>(Migration::Part::Restore, m_config.device.database);
    const Migration &restore = *job;
    return await(std::move(job), QStringLiteral("restore"), [this, &restore, failure]() -> Status {
        const std::optional<MigrationProblem> &failed = restore.problem();
        // The step stays journaled: the next boot tries again before anything else.
        if (failed)
            return std::unexpected(toError(*failed).withContext(QStringLiteral("cannot restore the database")));
        m_rec.migrated = false;
        return move({Edge::E60}, Entry::Revert, failure);
    });
}

Status Engine::stepRevert(const Error &failure)
{
    setStage(InstallStage::RollingBack);
    m_rec.step = step::Revert;
    m_rec.error = failure;
    const QString &t = m_rec.targetSlot;
    const QString &f = m_rec.fallbackSlot;
    if (auto saved = m_journal->transaction([&]() -> Status {
            if (auto r = saveRecord(); !r)
                return r;
            SlotRecord slot = state().slot(t);
            slot.state = SlotRecord::State::Bad;
            return state().setSlot(t, slot);
        });
        !saved)
        return saved;
    fault::killPoint(u"revert");
    if (fault::injected(u"revert"))
        return fail(ExitCode::InstallFailed, QStringLiteral("cannot revert to slot %1").arg(f),
                    QStringLiteral("injected fault (S16_FAULT=revert)"));
    return switchBoot({{bootvar::BootOrder, f % u' ' % t},
                       {triesLeftVariable(f), QString::number(kTrialTries)},
                       {triesLeftVariable(t), QStringLiteral("0")},
                       {kTrialVar, QString()},
                       {bootvar::Recovery, QString()}},
                      QStringLiteral("cannot revert to slot %1").arg(f), [this, failure](const Status &reverted) -> Status {
                          if (!reverted)
                              return reverted;
                          return move({Edge::E52}, Entry::RebootOld, failure);
                      });
}

Status Engine::stepRebootOld(const Error &failure)
{
    setStage(InstallStage::RollingBack);
    m_rec.step = step::RebootOld;
    m_rec.error = failure;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"rebootOld");
    if (m_context == Context::NormalSystem && m_booted != m_rec.targetSlot) {
        // Back on the old system: it reports the failed update.
        return move({Edge::E53}, Entry::ErrorLog, failure);
    }
    if (auto left = updateEnv({{bootvar::Recovery, QString()}, {kTrialVar, QString()}}, QStringLiteral("cannot leave recovery")); !left)
        return left;
    if (auto rebooted = requestReboot(); !rebooted)
        return rebooted;
    return std::unexpected(failure);
}

Status Engine::logFailure(const Error &failure)
{
    fault::killPoint(u"errorLog");
    const QDateTime now = QDateTime::currentDateTimeUtc();
    LogEntry entry;
    entry.level = LogEntry::Level::Error;
    entry.code = toInt(failure.code);
    entry.edge = edgeName(failure.edge);
    entry.message =
        m_rec.version.isEmpty() ? failure.message : QStringLiteral("update to %1 failed: %2").arg(m_rec.version, failure.message);
    entry.detail = failure.detail;
    entry.event = QStringLiteral("installFailed");
    const Status logged = recordEnd(Outcome{false, m_rec.version, m_rec.previousVersion, failure, now}, [&]() -> Status {
        if (auto r = state().setLastError(failure, now); !r)
            return r;
        return m_journal->append(entry);
    });
    if (!logged)
        return logged;
    return std::unexpected(failure);
}

// The end of an install in one journal transaction: what `record` writes (the failure, or
// the committed slot, and the log entry), the outcome, and the staged update and the
// install record gone; then the database backup and the staged files.
Status Engine::recordEnd(const Outcome &outcome, const std::function<Status()> &record)
{
    const Status recorded = m_journal->transaction([&]() -> Status {
        if (auto r = record(); !r)
            return r;
        if (auto r = state().setOutcome(outcome); !r)
            return r;
        if (auto r = state().clearStaged(); !r)
            return r;
        return state().clearInstallRecord();
    });
    if (!recorded)
        return recorded;
    Migrator(m_config.device.database).dropBackup();
    dropStaged();
    setStage(InstallStage::Done);
    return {};
}

// ---- boot-complete --------------------------------------------------------------------------

void Engine::startBootComplete(const QString &bootedSlot, Ended ended)
{
    m_context = Context::NormalSystem;
    m_booted = bootedSlot;
    m_ended = std::move(ended);
    settle(isSlotName(bootedSlot) ? runBootComplete()
                                  : Status(fail(ExitCode::Usage, QStringLiteral("unknown booted slot \"%1\"").arg(bootedSlot))));
}

InstallReport Engine::bootComplete(const QString &bootedSlot)
{
    return exec([this, bootedSlot](Ended ended) { startBootComplete(bootedSlot, std::move(ended)); });
}

Status Engine::refreshBootCounter()
{
    const SlotRecord::State booted = state().slot(m_booted).state;
    if (booted != SlotRecord::State::Unknown && booted != SlotRecord::State::Good)
        return {};
    // A good slot keeps its tries full, or it would run out after a few ordinary boots.
    return updateEnv({{triesLeftVariable(m_booted), QString::number(kTrialTries)}},
                     QStringLiteral("cannot reset the boot counter of slot %1").arg(m_booted));
}

Status Engine::runBootComplete()
{
    if (auto opened = open(); !opened)
        return opened;
    if (m_rec.isEmpty())
        return refreshBootCounter();
    if (!isSlotName(m_rec.targetSlot) || !isSlotName(m_rec.fallbackSlot))
        return fail(ExitCode::StorageError, QStringLiteral("the install journal names no slots"),
                    QString::fromUtf8(QJsonDocument(m_rec.toJson()).toJson(QJsonDocument::Compact)));
    qCInfo(lcInstall) << "boot-complete: slot" << m_booted << "booted, install step" << m_rec.step;
    const ResumePoint &at = resumePoint(m_rec.step);
    return resume(m_booted == m_rec.targetSlot ? at.newSystem : at.oldSystem);
}

// The bootloader fell back: the new system used up its tries without committing.
Status Engine::stepTrialFailed()
{
    return move({Edge::E61, Edge::E62}, Entry::MigrationMade,
                Error{ExitCode::InstallFailed, QStringLiteral("the new system (slot %1) did not start").arg(m_rec.targetSlot), Edge::E62,
                      QStringLiteral("slot %1 booted instead").arg(m_booted)});
}

Status Engine::stepReload()
{
    setStage(InstallStage::RestartServices);
    m_rec.step = step::Reload;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"reload");
    if (auto moved = take({Edge::E61}); !moved)
        return moved;
    auto check = std::make_unique<ServiceCheck>(
        ServiceReload::Commands{m_config.services.reload, m_config.services.healthCheck, m_config.services.timeoutSeconds});
    const ServiceCheck &step = *check;
    return await(std::move(check), {}, [this, &step]() -> Status {
        if (const std::optional<ServiceProblem> &problem = step.problem())
            return move({Edge::E62}, Entry::MigrationMade,
                        toError(*problem).withContext(QStringLiteral("the new system (slot %1) failed its check").arg(m_rec.targetSlot)));
        return move({Edge::E65}, Entry::Commit);
    });
}

Status Engine::stepCommit()
{
    m_rec.step = step::Commit;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"commit");
    const QString &t = m_rec.targetSlot;
    if (auto committed = updateEnv({{kTrialVar, QString()}, {triesLeftVariable(t), QString::number(kTrialTries)}},
                                   QStringLiteral("cannot commit slot %1").arg(t));
        !committed)
        return committed;
    fault::killPoint(u"commit.mid");
    LogEntry entry;
    entry.level = LogEntry::Level::Info;
    entry.edge = QStringLiteral("E65");
    entry.message = QStringLiteral("updated to %1 (slot %2)").arg(m_rec.version, t);
    entry.event = QStringLiteral("updated");
    const Outcome updated{true, m_rec.version, m_rec.previousVersion, Error{ExitCode::Ok, {}, Edge::E65, {}},
                          QDateTime::currentDateTimeUtc()};
    if (auto recorded = recordEnd(updated,
                                  [&]() -> Status {
                                      if (auto r = state().setSlot(t, {m_rec.version, SlotRecord::State::Good}); !r)
                                          return r;
                                      return m_journal->append(entry);
                                  });
        !recorded)
        return recorded;
    qCInfo(lcInstall) << "slot" << t << "committed with" << m_rec.version;
    return {};
}

} // namespace s16::install

namespace s16 {

InstallReport runRecovery(const Config &config, const InstallCallbacks &callbacks)
{
    install::Engine engine(config, callbacks);
    return engine.recovery();
}

InstallReport runBootComplete(const Config &config, const QString &bootedSlot, const InstallCallbacks &callbacks)
{
    install::Engine engine(config, callbacks);
    return engine.bootComplete(bootedSlot);
}

QStringList faultPoints()
{
    return {QStringLiteral("verify"),  QStringLiteral("write"),  QStringLiteral("readback"), QStringLiteral("backup"),
            QStringLiteral("migrate"), QStringLiteral("switch"), QStringLiteral("reload"),   QStringLiteral("health"),
            QStringLiteral("restore"), QStringLiteral("revert")};
}

QStringList killPoints()
{
    return {QStringLiteral("verify"),  QStringLiteral("write"),       QStringLiteral("write.mid"),  QStringLiteral("backup"),
            QStringLiteral("migrate"), QStringLiteral("migrate.mid"), QStringLiteral("switch"),     QStringLiteral("switch.mid"),
            QStringLiteral("reload"),  QStringLiteral("commit"),      QStringLiteral("commit.mid"), QStringLiteral("revertMigration"),
            QStringLiteral("revert"),  QStringLiteral("rebootOld"),   QStringLiteral("errorLog")};
}

} // namespace s16
