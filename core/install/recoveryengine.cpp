#include "recoveryengine.h"

#include "config/config.h"
#include "crypto/crypto.h"

#include <QPointer>
#include <QThread>

namespace s16 {

struct RecoveryEngine::Private {
    Config config;
    QThread *worker = nullptr;
    InstallReport report;
};

RecoveryEngine::RecoveryEngine(const Config &config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->config = config;
}

RecoveryEngine::~RecoveryEngine()
{
    if (d->worker) {
        d->worker->wait();
        delete d->worker;
    }
}

bool RecoveryEngine::isRunning() const { return d->worker && d->worker->isRunning(); }

const InstallReport &RecoveryEngine::report() const { return d->report; }

void RecoveryEngine::start()
{
    if (d->worker)
        return; // one run per engine, as a job
    // Callbacks run on the worker; each is re-posted to this object's thread, so the
    // signals reach their receivers there without any shared state.
    InstallCallbacks callbacks;
    QPointer<RecoveryEngine> self(this);
    callbacks.stage = [self](InstallStage::Value stage) {
        QMetaObject::invokeMethod(
            self,
            [self, stage] {
                if (self)
                    Q_EMIT self->stepChanged(stage);
            },
            Qt::QueuedConnection);
    };
    callbacks.progress = [self](qint64 bytes, qint64 total) {
        QMetaObject::invokeMethod(
            self,
            [self, bytes, total] {
                if (self)
                    Q_EMIT self->progress(bytes, total);
            },
            Qt::QueuedConnection);
    };
    const Config config = d->config;
    d->worker = QThread::create([this, config, callbacks] {
        d->report = runRecovery(config, callbacks);
        crypto::releaseThreadState();
    });
    // QThread::finished is emitted from the worker; queued, it arrives after every
    // stage and progress call the worker posted before it.
    connect(
        d->worker, &QThread::finished, this, [this] { Q_EMIT finished(d->report); }, Qt::QueuedConnection);
    d->worker->start();
}

} // namespace s16
