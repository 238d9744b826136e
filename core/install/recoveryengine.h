#pragma once

#include "common/error.h"
#include "install/install.h"

#include <QObject>

#include <memory>

namespace s16 {

struct Config;

// The recovery boot as a job (KJob style): start() returns at once, runRecovery() runs
// on a worker thread, and the signals arrive on the thread the engine lives in, so a GUI
// thread never waits on the slot write or the migration. finished() comes exactly once.
class RecoveryEngine : public QObject
{
    Q_OBJECT
public:
    explicit RecoveryEngine(const Config &config, QObject *parent = nullptr);
    ~RecoveryEngine() override; // waits for a running worker: the install must not be cut by the UI

    void start();
    [[nodiscard]] bool isRunning() const;
    [[nodiscard]] const InstallReport &report() const; // valid after finished()

Q_SIGNALS:
    void stepChanged(s16::InstallStage::Value step);
    void progress(qint64 bytes, qint64 total);
    void finished(const s16::InstallReport &report);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace s16
