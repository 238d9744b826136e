#include "steps_p.h"

#include "crypto/crypto.h"

#include <QMetaObject>

namespace s16::install {

WorkerJob::~WorkerJob() { stopWorker(); }

void WorkerJob::doStart()
{
    m_worker = std::jthread([this](std::stop_token stop) {
        std::optional<Error> error = work(stop);
        crypto::releaseThreadState();
        // Queued to this object: dropped by Qt when the job is gone, and ignored by done()
        // when kill() ended the job first.
        QMetaObject::invokeMethod(
            this, [this, error = std::move(error)] { done(error); }, Qt::QueuedConnection);
    });
}

void WorkerJob::doKill()
{
    stopWorker();
    afterKill();
}

void WorkerJob::stopWorker()
{
    if (!m_worker.joinable())
        return;
    m_worker.request_stop();
    m_worker.join();
}

void WorkerJob::postProgress(qint64 bytes, qint64 total)
{
    QMetaObject::invokeMethod(
        this, [this, bytes, total] { Q_EMIT progress(bytes, total); }, Qt::QueuedConnection);
}

namespace {

Error cancelledError(const QString &what) { return Error{ExitCode::Cancelled, what, std::nullopt, {}}; }

} // namespace

// ---- StagedCheck ------------------------------------------------------------------------

StagedCheck::StagedCheck(Config config, std::optional<StagedRecord> expected, QObject *parent)
    : WorkerJob(parent)
    , m_config(std::move(config))
    , m_expected(std::move(expected))
{
}

StagedCheck::~StagedCheck() { stopWorker(); }

std::optional<Error> StagedCheck::work(std::stop_token stop)
{
    auto staged = loadStaged(m_config, m_expected);
    if (!staged)
        return staged.error();
    // The image's hash is one call that cannot stop midway: the check stops before it or after it.
    if (stop.stop_requested())
        return cancelledError(QStringLiteral("the check of the staged update was stopped"));
    if (auto verified = verifyStaged(*staged, [this](qint64 done, qint64 total) { postProgress(done, total); }); !verified)
        return verified.error();
    if (stop.stop_requested())
        return cancelledError(QStringLiteral("the check of the staged update was stopped"));
    m_staged = std::move(*staged);
    return {};
}

// ---- SlotWrite ----------------------------------------------------------------------------

SlotWrite::SlotWrite(SlotWriter::Job job, std::optional<qint64> zstdFileSize, QObject *parent)
    : WorkerJob(parent)
    , m_job(std::move(job))
    , m_zstdFileSize(zstdFileSize)
{
}

SlotWrite::~SlotWrite() { stopWorker(); }

std::optional<Error> SlotWrite::work(std::stop_token stop)
{
    const auto onProgress = [this](qint64 bytes, qint64 total) { postProgress(bytes, total); };
    const auto written =
        m_zstdFileSize ? SlotWriter::writeZstd(m_job, *m_zstdFileSize, onProgress, stop) : SlotWriter::write(m_job, onProgress, stop);
    if (written)
        return {};
    m_problem = written.error();
    return toError(written.error());
}

// ---- Migration ----------------------------------------------------------------------------

Migration::Migration(Part part, QString database, int schema, QList<MigrationStep> steps, QObject *parent)
    : WorkerJob(parent)
    , m_part(part)
    , m_migrator(std::move(database))
    , m_schema(schema)
    , m_steps(std::move(steps))
{
}

Migration::~Migration() { stopWorker(); }

std::optional<Error> Migration::work(std::stop_token stop)
{
    if (m_part == Part::Backup) {
        const auto backedUp = m_migrator.backup();
        if (!backedUp)
            m_problem = backedUp.error();
        return m_problem ? std::optional<Error>(toError(*m_problem)) : std::nullopt;
    }
    if (m_part == Part::Restore) {
        if (const auto restored = m_migrator.restore(); !restored)
            m_problem = restored.error();
        return m_problem ? std::optional<Error>(toError(*m_problem)) : std::nullopt;
    }
    m_start = m_migrator.userVersion().value_or(0);
    m_reached = m_start;
    const auto migrated = m_migrator.migrate(
        m_schema, m_steps,
        [&](int reached) {
            m_reached = reached;
            postProgress(reached - m_start, std::max(1, m_schema - m_start));
        },
        stop);
    if (migrated)
        return {};
    m_problem = migrated.error();
    if (m_problem->code == MigrationError::Cancelled)
        restoreBackup();
    return toError(*m_problem);
}

// A kill that came after the last step still leaves the backup's database: a killed
// migration never leaves one the engine did not ask for.
void Migration::afterKill()
{
    if (m_part == Part::Migrate && m_reached != m_start) {
        m_problem =
            MigrationProblem{MigrationError::Cancelled, QStringLiteral("the migration of %1 was stopped").arg(m_migrator.database()),
                             QStringLiteral("at schema %1").arg(m_reached)};
        restoreBackup();
    }
}

void Migration::restoreBackup()
{
    if (const auto restored = m_migrator.restore(); !restored)
        m_problem = restored.error();
    else
        m_reached = m_start;
}

// ---- BootSwitch ----------------------------------------------------------------------------

Error bootError(const BootProblem &p, const QString &what)
{
    Error e = toError(p).withContext(what);
    e.code = ExitCode::InstallFailed;
    return e;
}

Result<bool> updateBootEnv(BootEnvironment &env, const QMap<QString, QString> &changes, const QString &what)
{
    auto vars = env.read();
    if (!vars)
        return std::unexpected(bootError(vars.error(), what));
    QMap<QString, QString> needed;
    for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
        const bool present = vars->contains(it.key());
        if (it.value().isNull() ? present : (!present || vars->value(it.key()) != it.value()))
            needed.insert(it.key(), it.value());
    }
    if (needed.isEmpty())
        return false;
    if (auto stored = env.update(needed); !stored)
        return std::unexpected(bootError(stored.error(), what));
    return true;
}

BootSwitch::BootSwitch(BootEnvironment &env, QMap<QString, QString> changes, QString what, QObject *parent)
    : WorkerJob(parent)
    , m_env(env)
    , m_changes(std::move(changes))
    , m_what(std::move(what))
{
}

BootSwitch::~BootSwitch() { stopWorker(); }

std::optional<Error> BootSwitch::work(std::stop_token)
{
    auto written = updateBootEnv(m_env, m_changes, m_what);
    if (!written)
        return written.error();
    m_wrote = *written;
    return {};
}

ServiceCheck::ServiceCheck(ServiceReload::Commands commands, QObject *parent)
    : WorkerJob(parent)
    , m_commands(std::move(commands))
{
}

ServiceCheck::~ServiceCheck() { stopWorker(); }

std::optional<Error> ServiceCheck::work(std::stop_token stop)
{
    auto healthy = ServiceReload::run(m_commands, stop);
    if (healthy)
        return {};
    m_problem = healthy.error();
    return toError(healthy.error());
}

} // namespace s16::install
