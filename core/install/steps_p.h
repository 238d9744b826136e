#pragma once

// The install's steps as jobs (common/job.h): each does one step's work and ends with a
// typed result. Work that blocks (hashing, writing a slot, SQLite) runs on a thread the job
// owns; kill() asks that thread to stop at its next safe point and waits for it. Private to
// the install area; the engine (installengine.cpp) runs them one at a time.

#include "boot/bootenv.h"
#include "common/job.h"
#include "config/config.h"
#include "install/migrator.h"
#include "install/servicereload.h"
#include "install/slotwriter.h"
#include "install/stagedupdate_p.h"
#include "store/devicestate.h"

#include <QMap>

#include <functional>
#include <optional>
#include <stop_token>
#include <thread>

namespace s16::install {

// A step whose work blocks: work() runs on a worker thread, done() and progress() reach
// the job's thread through its event loop. A subclass calls stopWorker() in its own
// destructor, before the members work() uses are gone.
class WorkerJob : public Job
{
    Q_OBJECT
public:
    using Job::Job;
    ~WorkerJob() override;

Q_SIGNALS:
    void progress(qint64 bytes, qint64 total);

protected:
    // Runs on the worker; stop is requested by kill(). Its result ends the job.
    [[nodiscard]] virtual std::optional<Error> work(std::stop_token stop) = 0;
    // Callable from the worker.
    void postProgress(qint64 bytes, qint64 total);
    void stopWorker();
    // Called by kill() once the worker stopped, on the job's thread: the place to undo what
    // the worker finished before the stop reached it.
    virtual void afterKill() { }

private:
    void doStart() final;
    void doKill() final;

    std::jthread m_worker;
};

// E44-E48: the staged update read back from updateDir/staged and proven again (signature,
// product, the journal's download record, the image's and the migrations' sums). Usable on
// its own: it needs a Config and what the journal's `staged` record says.
class StagedCheck final : public WorkerJob
{
    Q_OBJECT
public:
    StagedCheck(Config config, std::optional<StagedRecord> expected, QObject *parent = nullptr);
    ~StagedCheck() override;

    // Valid once finished() came without an error.
    [[nodiscard]] const Staged &staged() const { return m_staged; }

private:
    std::optional<Error> work(std::stop_token stop) override;

    const Config m_config;
    const std::optional<StagedRecord> m_expected;
    Staged m_staged;
};

// E47-E51: the staged image written into the inactive slot and read back. A write that
// fails or is killed leaves a partial image; problem() says why (SlotError::Cancelled for
// a kill), and the engine takes the revert path for either.
class SlotWrite final : public WorkerJob
{
    Q_OBJECT
public:
    // zstdFileSize: job.image holds the image compressed, that many bytes.
    SlotWrite(SlotWriter::Job job, std::optional<qint64> zstdFileSize, QObject *parent = nullptr);
    ~SlotWrite() override;

    [[nodiscard]] const std::optional<SlotProblem> &problem() const { return m_problem; }
    [[nodiscard]] const QString &target() const { return m_job.target; }

private:
    std::optional<Error> work(std::stop_token stop) override;

    SlotWriter::Job m_job;
    const std::optional<qint64> m_zstdFileSize;
    std::optional<SlotProblem> m_problem;
};

// E54-E59: the app database's backup (Part::Backup), then its migration to the new schema
// (Part::Migrate), one job each so the engine journals each before it starts; on the way
// back (E59/E63 -> E60) the backup put back (Part::Restore). A migration killed between two
// steps puts the backup back before it ends: the database is then the backup's, as the
// engine's revert path expects.
class Migration final : public WorkerJob
{
    Q_OBJECT
public:
    enum class Part { Backup, Migrate, Restore };
    Migration(Part part, QString database, int schema = 0, QList<MigrationStep> steps = {}, QObject *parent = nullptr);
    ~Migration() override;

    [[nodiscard]] const std::optional<MigrationProblem> &problem() const { return m_problem; }
    // The schema the database reached (Part::Migrate; valid once finished).
    [[nodiscard]] int schemaReached() const { return m_reached; }

private:
    std::optional<Error> work(std::stop_token stop) override;
    void afterKill() override;
    void restoreBackup();

    const Part m_part;
    const Migrator m_migrator;
    const int m_schema;
    const QList<MigrationStep> m_steps;
    std::optional<MigrationProblem> m_problem;
    int m_start = 0;
    int m_reached = 0;
};

// E61: the services reloaded and checked on the new slot (ServiceReload). A kill kills the
// command that runs and ends the job as Cancelled; the journal still says `reload`, so the
// next boot checks again. problem() says why the check failed (ServiceError::Stopped for a kill).
class ServiceCheck final : public WorkerJob
{
    Q_OBJECT
public:
    explicit ServiceCheck(ServiceReload::Commands commands, QObject *parent = nullptr);
    ~ServiceCheck() override;
    [[nodiscard]] const std::optional<ServiceProblem> &problem() const { return m_problem; }

private:
    std::optional<Error> work(std::stop_token stop) override;

    const ServiceReload::Commands m_commands;
    std::optional<ServiceProblem> m_problem;
};

// A boot environment failure here means the install failed (docs/boot.md leaves the
// re-labelling to the install boundary).
[[nodiscard]] Error bootError(const BootProblem &p, const QString &what);

// Writes only what differs in env (a null value removes the variable), so repeating a step
// after a power cut costs no extra write; true when it wrote. what names the failure.
[[nodiscard]] Result<bool> updateBootEnv(BootEnvironment &env, const QMap<QString, QString> &changes, const QString &what);

// The boot environment write that switches to the new slot on trial (E61), and the one that
// reverts to the old slot (E52): one write each, which either happened or did not, so kill()
// waits for it. env must outlive the job and be left alone while it runs.
class BootSwitch final : public WorkerJob
{
    Q_OBJECT
public:
    BootSwitch(BootEnvironment &env, QMap<QString, QString> changes, QString what, QObject *parent = nullptr);
    ~BootSwitch() override;

    // Whether the environment was written (false: it already held the change).
    [[nodiscard]] bool wrote() const { return m_wrote; }

private:
    std::optional<Error> work(std::stop_token stop) override;

    BootEnvironment &m_env;
    const QMap<QString, QString> m_changes;
    const QString m_what;
    bool m_wrote = false;
};

} // namespace s16::install
