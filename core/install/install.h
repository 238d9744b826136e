#pragma once

#include "common/error.h"
#include "flow/flowchart.h"

#include <QList>
#include <QObject>
#include <QString>

#include <functional>

namespace s16 {

struct Config;

// The install's stages as the recovery screen shows them (RAUC's named, weighted steps).
// A Q_NAMESPACE so QML can name them: InstallStage.Verify, ...
namespace InstallStage {
Q_NAMESPACE
enum Value {
    Idle,
    Verify,          // E44-E46: signature and hash of the staged update
    Install,         // E47, E49-E51: writing and reading back the inactive slot
    Migrate,         // E54-E59: backup and database migration
    RestartServices, // switch to the new slot (recovery), E61 reload + health (new system)
    RollingBack,     // E59-E64, E52: restoring the database, reverting the boot order
    Done,
};
Q_ENUM_NS(Value)
} // namespace InstallStage

// What one run of the recovery engine or of boot-complete did.
struct InstallReport {
    Status status;                // the error, with its exit code and edge, when the run failed
    bool rebootRequested = false; // the run asked for a reboot (new slot, or back to the old one)
    QList<Edge> path;             // the flowchart edges this run took, in order
};

// Observers of a run; called on the thread that runs it.
struct InstallCallbacks {
    std::function<void(InstallStage::Value)> stage;
    std::function<void(qint64 bytes, qint64 total)> progress;
};

// The recovery boot (E44-E60): verify the staged update, write the inactive slot,
// migrate the database, then switch to the new slot on trial in one boot environment
// write and request the reboot; on failure roll back and request the reboot into the
// old system. Resumes or rolls back an install a power cut interrupted. Blocking: it runs
// the engine in a local event loop until it ends (a QCoreApplication must exist);
// RecoveryEngine runs the same engine without blocking.
[[nodiscard]] InstallReport runRecovery(const Config &config, const InstallCallbacks &callbacks = {});

// `s16-update boot-complete`, run once by the normal system after every boot. On the new
// slot on trial: reload and check the services (E61), then commit (E65) or roll back
// (E62-E64, E60, E52) and request the reboot into the old slot. On the old slot after a
// failed install or a trial that never came up: finish the rollback and log the failure
// (E53, ExitCode from the failure). On an ordinary boot: keep the booted slot's boot
// counter full. bootedSlot is "A" or "B" (detectBootedSlot(), boot/bootenv.h).
[[nodiscard]] InstallReport runBootComplete(const Config &config, const QString &bootedSlot, const InstallCallbacks &callbacks = {});

// The install's fault-injection and kill points, in the order a run passes them
// (docs/install.md explains each).
[[nodiscard]] QStringList faultPoints();
[[nodiscard]] QStringList killPoints();

} // namespace s16
