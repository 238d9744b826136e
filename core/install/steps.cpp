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

void WorkerJob::doKill() { stopWorker(); }

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

} // namespace s16::install
