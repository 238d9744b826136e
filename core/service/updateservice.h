#pragma once

#include "common/error.h"

#include <QObject>
#include <QVariantMap>

#include <memory>

namespace s16 {

struct Config;
class Journal;

// The one owner of the update engine on the normal system (`s16-update daemon`): it runs the
// scheduled checks (E19/E20, every checkIntervalSeconds plus jitter) and serves the interface
// org.s16.Updater1 (packaging/dbus/org.s16.Updater1.xml) on the D-Bus system bus, so that the
// UI and the command line are unprivileged clients. Methods return at once; a job's outcome
// comes as Completed with the exit code of `s16-update`. The properties are the state of
// `status --json`, sent with PropertiesChanged when they change (Progress at most ten times a
// second). A job started while another runs joins it: both callers see its Completed. The
// engine lock is held only while a job runs, as the daemon always did (docs/service.md).
// The service restarts the device itself, with the command of [boot] rebootCommand: at once
// after Install, [ui] priorityCountdownSeconds after a priority update was staged (the UI
// shows that countdown from RebootTime), or when a client calls Reboot.
class UpdateService : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.s16.Updater1")
    Q_PROPERTY(QString State READ state)
    Q_PROPERTY(QString Operation READ operation)
    Q_PROPERTY(QString CurrentVersion READ currentVersion)
    Q_PROPERTY(QString StagedVersion READ stagedVersion)
    Q_PROPERTY(QString AvailableVersion READ availableVersion)
    Q_PROPERTY(bool RebootPending READ rebootPending)
    Q_PROPERTY(QString FlowNode READ flowNode)
    Q_PROPERTY(QString ConfigFile READ configFile)
    Q_PROPERTY(QVariantMap CheckResult READ checkResult)
    Q_PROPERTY(QString LastCheck READ lastCheck)
    Q_PROPERTY(QVariantMap LastError READ lastError)
    Q_PROPERTY(bool Consent READ consent)
    Q_PROPERTY(QVariantMap Progress READ progress)
    Q_PROPERTY(QVariantMap Outcome READ outcome)
    Q_PROPERTY(QVariantMap Staged READ staged)
    Q_PROPERTY(qlonglong LogId READ logId)
    Q_PROPERTY(QString RebootTime READ rebootTime)
    Q_PROPERTY(QVariantMap LastTransfer READ lastTransfer)

public:
    static constexpr const char *kBusName = "org.s16.Updater1";
    static constexpr const char *kObjectPath = "/org/s16/Updater1";

    UpdateService(const Config &config, Journal *journal, QObject *parent = nullptr);
    ~UpdateService() override;

    // Exports the object and claims the bus name on the system bus (the one
    // DBUS_SYSTEM_BUS_ADDRESS names, else the system's). Usage when another service
    // owns the name; StorageError-free: without a bus the caller decides.
    [[nodiscard]] Status registerOnSystemBus();
    // Starts the schedule: the first check at once, then every interval plus jitter.
    void startSchedule();

    [[nodiscard]] QString state() const;
    [[nodiscard]] QString operation() const;
    [[nodiscard]] QString currentVersion() const;
    [[nodiscard]] QString stagedVersion() const;
    [[nodiscard]] QString availableVersion() const;
    [[nodiscard]] bool rebootPending() const;
    [[nodiscard]] QString flowNode() const;
    [[nodiscard]] QString configFile() const;
    [[nodiscard]] QVariantMap checkResult() const;
    [[nodiscard]] QString lastCheck() const;
    [[nodiscard]] QVariantMap lastError() const;
    [[nodiscard]] bool consent() const;
    [[nodiscard]] QVariantMap progress() const;
    [[nodiscard]] QVariantMap outcome() const;
    [[nodiscard]] QVariantMap staged() const;
    [[nodiscard]] qlonglong logId() const;
    [[nodiscard]] QString rebootTime() const;
    [[nodiscard]] QVariantMap lastTransfer() const;

public Q_SLOTS:
    void Check();
    void Download();
    void Install();
    void Cancel();
    void SetConsent(bool consent);
    QString PreviewDiagnostics();
    QString Log(uint limit);
    void Reboot();
    void AcknowledgeOutcome();

Q_SIGNALS:
    void Completed(const QString &operation, int code, const QString &message);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace s16
