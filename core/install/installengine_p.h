#pragma once

// The install engine behind runRecovery() and runBootComplete(). Private to the install
// area: the public face is install.h and recoveryengine.h.

#include "boot/bootenv.h"
#include "common/error.h"
#include "config/config.h"
#include "flow/flowmachine.h"
#include "install/install.h"
#include "install/migrator.h"
#include "manifest/manifest.h"
#include "store/journal.h"

#include <QElapsedTimer>
#include <QJsonObject>

#include <memory>
#include <optional>

namespace s16::install {

// The journal key `install` (docs/state.md): where the install stands. Written before
// each step starts, so the next run knows which step a power cut interrupted.
struct Record {
    QString step;            // see docs/install.md; empty: no install under way
    QString targetSlot;      // the slot being installed ("A"/"B")
    QString fallbackSlot;    // the slot the device runs from and falls back to
    QString version;         // the version being installed
    QString previousVersion; // the fallback slot's version
    bool migrated = false;   // the database may hold migrated data (restore it on rollback)
    QString backup;          // the database backup, when one was made
    std::optional<Error> error; // why the install is rolling back

    [[nodiscard]] static Record fromJson(const QJsonValue &value);
    [[nodiscard]] QJsonObject toJson() const;
    [[nodiscard]] bool isEmpty() const { return step.isEmpty(); }
};

// The staged update, read back from updateDir/staged and checked against its signature.
struct Staged {
    Manifest manifest;
    QString dir;
    QString image;        // the staged image file: the raw image, or with zstd the compressed one
    bool zstd = false;    // image holds manifest.imageZstd
    QList<MigrationStep> migrations;
};

inline constexpr int kTrialTries = 3;  // boots a new slot gets before the bootloader falls back

class Engine
{
public:
    enum class Context { Recovery, NormalSystem };

    Engine(const Config &config, InstallCallbacks callbacks);
    ~Engine();

    [[nodiscard]] InstallReport recovery();
    [[nodiscard]] InstallReport bootComplete(const QString &bootedSlot);

private:
    [[nodiscard]] Status open();
    [[nodiscard]] Status runRecovery();
    [[nodiscard]] Status runBootComplete();

    // One function per flowchart step; each journals itself, then moves along its edges.
    [[nodiscard]] Status stepVerify();
    [[nodiscard]] Status stepWrite();
    [[nodiscard]] Status stepNeedMigration();
    [[nodiscard]] Status stepBackup();
    [[nodiscard]] Status stepMigrate();
    [[nodiscard]] Status stepSwitch();
    [[nodiscard]] Status stepReload();
    [[nodiscard]] Status stepCommit();
    [[nodiscard]] Status migrationMadeBranch(const Error &failure);
    [[nodiscard]] Status stepRevertMigration(const Error &failure);
    [[nodiscard]] Status stepRevert(const Error &failure);
    [[nodiscard]] Status stepRebootOld(const Error &failure);
    [[nodiscard]] Status logFailure(const Error &failure);
    [[nodiscard]] Status refreshBootCounter();

    [[nodiscard]] Status take(std::initializer_list<Edge> edges);
    [[nodiscard]] Status saveRecord();
    [[nodiscard]] Status setSlot(const QString &slot, const QJsonValue &version, const QString &state);
    [[nodiscard]] Status updateEnv(const QMap<QString, QString> &changes, const QString &what);
    [[nodiscard]] Status requestReboot();
    [[nodiscard]] Result<Staged> loadStaged() const;
    [[nodiscard]] Status verifyStaged(const Staged &staged);
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
};

} // namespace s16::install
