#include "recoveryengine.h"

#include "config/config.h"
#include "installengine_p.h"

#include <QMetaObject>

namespace s16 {

struct RecoveryEngine::Private {
    Config config;
    std::unique_ptr<install::Engine> engine; // declared after config: it refers to it
    bool started = false;
    bool running = false;
    InstallReport report;
};

RecoveryEngine::RecoveryEngine(const Config &config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->config = config;
}

RecoveryEngine::~RecoveryEngine() = default;

bool RecoveryEngine::isRunning() const { return d->running; }

const InstallReport &RecoveryEngine::report() const { return d->report; }

void RecoveryEngine::start()
{
    if (d->started)
        return; // one run per engine, as a job
    d->started = true;
    InstallCallbacks callbacks;
    callbacks.stage = [this](InstallStage::Value stage) { Q_EMIT stepChanged(stage); };
    callbacks.progress = [this](qint64 bytes, qint64 total) { Q_EMIT progress(bytes, total); };
    d->engine = std::make_unique<install::Engine>(d->config, std::move(callbacks));
    d->running = true;
    d->engine->startRecovery([this](const InstallReport &report) {
        d->report = report;
        // Queued: never from inside start(), and a receiver may delete this engine.
        QMetaObject::invokeMethod(
            this,
            [this] {
                // The engine lock and the journal go with the run, as when runRecovery() returns.
                d->engine.reset();
                d->running = false;
                Q_EMIT finished(d->report);
            },
            Qt::QueuedConnection);
    });
}

} // namespace s16
