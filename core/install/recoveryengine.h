#pragma once

#include "common/error.h"
#include "install/install.h"

#include <QObject>

#include <memory>

namespace s16 {

struct Config;

// The recovery boot as a job (KJob style): start() returns at once and the install runs
// from this thread's event loop, its blocking parts (hashing, the slot write) on the step
// jobs' own workers, so a GUI thread keeps drawing. finished() comes exactly once, queued.
// There is no Cancel: an install, once started, completes or rolls back. Destroying a
// running engine stops it where it stands, as a power cut would; the next boot resumes it.
class RecoveryEngine : public QObject
{
    Q_OBJECT
public:
    explicit RecoveryEngine(const Config &config, QObject *parent = nullptr);
    ~RecoveryEngine() override;

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
