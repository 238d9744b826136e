#pragma once

// The install engine behind runRecovery() and runBootComplete(). Private to the install
// area: the public face is install.h and recoveryengine.h.

#include "boot/bootenv.h"
#include "common/error.h"
#include "config/config.h"
#include "flow/flowmachine.h"
#include "install/install.h"
#include "install/stagedupdate_p.h"
#include "store/devicestate.h"
#include "store/journal.h"

#include <QElapsedTimer>
#include <QJsonObject>

#include <functional>
#include <memory>
#include <optional>

namespace s16::install {

class WorkerJob;

// The journal key `install` (docs/state.md): where the install stands. Written before
// each step starts, so the next run knows which step a power cut interrupted.
struct Record {
    QString step;               // see docs/install.md; empty: no install under way
    QString targetSlot;         // the slot being installed ("A"/"B")
    QString fallbackSlot;       // the slot the device runs from and falls back to
    QString version;            // the version being installed
    QString previousVersion;    // the fallback slot's version
    bool migrated = false;      // the database may hold migrated data (restore it on rollback)
    QString backup;             // the database backup, when one was made
    std::optional<Error> error; // why the install is rolling back

    [[nodiscard]] static Record fromJson(const QJsonValue &value);
    [[nodiscard]] QJsonObject toJson() const;
    [[nodiscard]] bool isEmpty() const { return step.isEmpty(); }
};

inline constexpr int kTrialTries = 3; // boots a new slot gets before the bootloader falls back

// Runs from the event loop of the thread it lives on: one step job (steps_p.h) at a time,
// whose finished() continues the run through move(). Destroying a running engine kills its
// step; the journal says where it stood, and the next run resumes there as after a power cut.
class Engine
{
public:
    enum class Context { Recovery, NormalSystem };
    // Where a run enters the install: one step of the flowchart each. A run moves from one to
    // the next only through move(); a resumed run enters at the one the resume table names.
    enum class Entry {
        Verify,
        Write,
        NeedMigration,
        Backup,
        Migrate,
        Switch,
        HandBack,
        Reload,
        Commit,
        TrialFailed,
        MigrationMade,
        RevertMigration,
        Revert,
        RebootOld,
        ErrorLog,
    };

    // A row of the resume table (installengine.cpp).
    struct ResumePoint;

    using Ended = std::function<void(const InstallReport &report)>;

    Engine(const Config &config, InstallCallbacks callbacks);
    ~Engine();

    // Start a run and return; ended is called once, from the event loop or (when no step
    // job was needed) before the call returns.
    void startRecovery(Ended ended);
    void startBootComplete(const QString &bootedSlot, Ended ended);
    [[nodiscard]] bool isRunning() const { return m_ended != nullptr; }

    // The same, run to the end in a local event loop.
    [[nodiscard]] InstallReport recovery();
    [[nodiscard]] InstallReport bootComplete(const QString &bootedSlot);

private:
    [[nodiscard]] Status open();
    [[nodiscard]] Status runRecovery();
    [[nodiscard]] Status runBootComplete();
    [[nodiscard]] InstallReport report(const Status &status);
    [[nodiscard]] InstallReport exec(const std::function<void(Ended)> &start);
    // Ends the run with status unless a step job was started: its end continues the run.
    void settle(const Status &status);
    // Runs job as the current step, its progress reported as phase; then() goes on from its
    // end. The step function returns what this returns, and returns at once.
    [[nodiscard]] Status await(std::unique_ptr<WorkerJob> job, const QString &phase, std::function<Status()> then);

    // The one way from a step to the next: take the edges, then run the step they lead to.
    [[nodiscard]] Status move(std::initializer_list<Edge> edges, Entry next, const Error &failure = {});
    [[nodiscard]] Status run(Entry entry, const Error &failure);
    // Picks up the journaled install at entry (after a reboot or a power cut).
    [[nodiscard]] Status resume(Entry entry);
    [[nodiscard]] Status resumeWithStaged(Entry entry);

    // One function per flowchart step; each journals itself, does its one job and moves on.
    [[nodiscard]] Status stepVerify();
    [[nodiscard]] Status stepWrite();
    [[nodiscard]] Status stepNeedMigration();
    [[nodiscard]] Status stepBackup();
    [[nodiscard]] Status stepMigrate();
    [[nodiscard]] Status stepSwitch();
    [[nodiscard]] Status stepHandBack();
    [[nodiscard]] Status stepReload();
    [[nodiscard]] Status stepCommit();
    [[nodiscard]] Status stepTrialFailed();
    [[nodiscard]] Status migrationMadeBranch(const Error &failure);
    [[nodiscard]] Status stepRevertMigration(const Error &failure);
    [[nodiscard]] Status stepRevert(const Error &failure);
    [[nodiscard]] Status stepRebootOld(const Error &failure);
    [[nodiscard]] Status logFailure(const Error &failure);
    [[nodiscard]] Status recordEnd(const Outcome &outcome, const std::function<Status()> &record);
    [[nodiscard]] Status refreshBootCounter();

    [[nodiscard]] Status take(std::initializer_list<Edge> edges);
    [[nodiscard]] Status saveRecord();
    // The journal's keys, typed (core/store/devicestate.h).
    [[nodiscard]] DeviceState state() const { return DeviceState(*m_journal); }
    [[nodiscard]] Status updateEnv(const QMap<QString, QString> &changes, const QString &what);
    // The same as a BootSwitch step job: then() gets how the write went.
    [[nodiscard]] Status switchBoot(const QMap<QString, QString> &changes, const QString &what, std::function<Status(const Status &)> then);
    [[nodiscard]] Status requestReboot();
    [[nodiscard]] QString slotPath(const QString &slot) const;
    [[nodiscard]] QString slotVersion(const QString &slot) const;
    void dropStaged();
    void setStage(InstallStage::Value stage);
    void reportProgress(const QString &phase, qint64 bytes, qint64 total);

    const Config &m_config;
    InstallCallbacks m_callbacks;
    Context m_context = Context::Recovery;
    QString m_booted;
    std::optional<EngineLock> m_lock;
    std::unique_ptr<Journal> m_journal;
    std::unique_ptr<BootEnvironment> m_env;
    FlowMachine m_flow;
    Record m_rec;
    std::optional<Staged> m_staged;
    bool m_rebootRequested = false;
    QElapsedTimer m_phaseClock;
    QString m_phase;
    qint64 m_lastProgressWrite = -1000;
    std::unique_ptr<WorkerJob> m_step; // the step job that runs, if any
    Ended m_ended;                     // set while a run is under way
};

} // namespace s16::install
