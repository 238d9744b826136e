#include "engineworker.h"

#include "common/error.h"
#include "config/config.h"
#include "crypto/crypto.h"
#include "diagnostics/reporter.h"
#include "online/updateengine.h"
#include "store/journal.h"

#include <QDateTime>

namespace s16 {

QJsonObject errorJson(const Error &e)
{
    return QJsonObject{{QStringLiteral("code"), toInt(e.code)},
                       {QStringLiteral("message"), e.message},
                       {QStringLiteral("edge"), e.edge},
                       {QStringLiteral("detail"), e.detail},
                       {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}};
}

EngineWorker::EngineWorker(const Config &engineConfig) : m_config(std::make_unique<Config>(engineConfig)) {}

EngineWorker::~EngineWorker()
{
    // In the worker's thread, as the last thing it does (the controller deletes it there):
    // the engine, the reporter and the journal connection go where they were made.
    m_reporter.reset();
    m_engine.reset();
    m_journal.reset();
    crypto::releaseThreadState();
}

void EngineWorker::open()
{
    auto journal = Journal::open(m_config->device.stateDir, m_config->log.maxEntries);
    if (!journal) {
        Q_EMIT openFailed(errorJson(journal.error()));
        return;
    }
    m_journal = std::move(*journal);
    m_engine = std::make_unique<UpdateEngine>(*m_config, m_journal.get());
    connect(m_engine.get(), &UpdateEngine::finished, this, &EngineWorker::onEngineFinished);
    connect(m_engine.get(), &UpdateEngine::edgeTaken, this, &EngineWorker::edgeTaken);
    connect(m_engine.get(), &UpdateEngine::progressChanged, this, [this] {
        const TransferProgress &p = m_engine->progress();
        Q_EMIT progressChanged(p.bytes, p.total, p.bytesPerSecond, p.etaSeconds);
    });
    m_reporter = std::make_unique<DiagnosticsReporter>(*m_config, m_journal.get());
    m_reporter->attach(m_engine.get());
}

namespace {
Error notOpen() { return Error{ExitCode::Usage, QStringLiteral("the updater's journal is not open"), {}, {}}; }
} // namespace

void EngineWorker::check()
{
    if (!m_engine)
        Q_EMIT jobFinished(errorJson(notOpen()), {});
    else
        m_engine->check();
}

void EngineWorker::download()
{
    if (!m_engine)
        Q_EMIT jobFinished(errorJson(notOpen()), {});
    else
        m_engine->download();
}

void EngineWorker::install()
{
    if (!m_engine) {
        Q_EMIT installFinished(errorJson(notOpen()));
        return;
    }
    const Status installed = m_engine->install();
    Q_EMIT installFinished(installed ? QJsonObject{} : errorJson(installed.error()));
}

void EngineWorker::onEngineFinished()
{
    const std::optional<Error> &error = m_engine->error();
    QJsonObject found;
    if (!error && m_engine->checkResult().available) {
        const CheckResult &r = m_engine->checkResult();
        found = QJsonObject{{QStringLiteral("version"), r.version},
                            {QStringLiteral("size"), double(r.size)},
                            {QStringLiteral("priority"), r.priority},
                            {QStringLiteral("notes"), r.notes}};
    }
    Q_EMIT jobFinished(error ? errorJson(*error) : QJsonObject{}, found);
}

} // namespace s16
