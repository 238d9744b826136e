#pragma once

#include <QObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QVariant>

#include <memory>

namespace s16 {

class Journal;
class EngineLock;

// A simulated device in a temporary folder for the UI tests: a real configuration
// file (a GRUB environment block, a fresh Ed25519 trust key made by the openssl command
// line, a server on a closed loopback port, `rebootCommand=touch <dir>/rebooted`),
// and its own connection to the device's real journal, through which a test puts
// the device into each state the screens show, exactly as the engine, the daemon or
// boot-complete would leave it. Usable from C++ and, registered as S16.Test
// TestDevice, from Qt Quick Test.
class TestDevice : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString configPath READ configPath CONSTANT)
    Q_PROPERTY(QString dir READ dir CONSTANT)
    Q_PROPERTY(bool valid READ isValid CONSTANT)
    Q_PROPERTY(QString error READ error CONSTANT)

public:
    explicit TestDevice(QObject *parent = nullptr);
    ~TestDevice() override;

    [[nodiscard]] QString configPath() const;
    [[nodiscard]] QString dir() const { return m_dir.path(); }
    [[nodiscard]] bool isValid() const { return m_journal != nullptr; }
    [[nodiscard]] QString error() const { return m_error; }
    [[nodiscard]] Journal *journal() const { return m_journal.get(); }

    // Rewrites the configuration (the controller must open() it again).
    // rebootCommand: empty for `touch <dir>/rebooted`.
    Q_INVOKABLE bool writeConfig(int countdownSeconds = 60, const QString &extra = {}, const QString &rebootCommand = {});
    // Journal key = value (a QVariant converted to JSON); an invalid value removes it.
    Q_INVOKABLE bool set(const QString &key, const QVariant &value);
    Q_INVOKABLE QVariant value(const QString &key) const;
    // A verified download waiting for "Update now" (flow at WaitForUser), files included.
    Q_INVOKABLE bool stage(const QString &version, bool priority, qint64 size = 4096);
    Q_INVOKABLE bool requestReboot();
    // What ErrorLog (E08) leaves: lastError and an error log entry.
    Q_INVOKABLE bool fail(int code, const QString &message, const QString &edge, const QString &detail = {});
    Q_INVOKABLE bool log(const QString &level, int code, const QString &edge, const QString &event, const QString &message);
    // What boot-complete leaves after a reboot.
    Q_INVOKABLE bool outcome(const QString &result, const QString &version, const QString &previousVersion, int code = 0,
                             const QString &message = {}, const QString &edge = {});
    // What a failed install leaves (InstallEngine's logFailure): lastError and the outcome
    // with one time, and an installFailed log entry with the engine's text.
    Q_INVOKABLE bool failedInstall(const QString &version, const QString &previousVersion, int code, const QString &edge,
                                   const QString &message, const QString &detail = {});
    // What a successful check leaves: the trusted manifest's version and the check's time.
    Q_INVOKABLE bool checked(const QString &serverVersion, const QString &time = {});
    // Another process (the daemon) downloading: it holds the EngineLock and records progress.
    // toFetch: what crosses the link (a compressed or delta download), -1 to leave it out.
    Q_INVOKABLE bool downloading(qint64 bytes, qint64 total, double rate, qint64 eta, qint64 toFetch = -1);
    Q_INVOKABLE bool holdLock(bool hold);
    // Whether the service ran the configured reboot command.
    Q_INVOKABLE bool rebooted() const;

    // The update service for this device: `s16-update daemon` on a private system bus that
    // this test process shares (started with the first device, the project's policy file
    // included; DBUS_SYSTEM_BUS_ADDRESS names it before anything connects). Returns once the
    // service owns its name. Call it after putting the device into its first state: the
    // service reads the journal at start and then every two seconds. Stopped with the device.
    Q_INVOKABLE bool startService();
    // Starts the process's private system bus now (a test's initTestCase: before any client
    // connects, a UI that must find no service included). False when dbus-daemon fails.
    static bool startTestBus();
    Q_INVOKABLE void stopService();
    // What the service printed (for a failing test's message).
    [[nodiscard]] QString serviceOutput() const;

private:
    QTemporaryDir m_dir;
    QString m_error;
    std::unique_ptr<Journal> m_journal;
    std::unique_ptr<EngineLock> m_lock;
    QProcess m_service;
};

} // namespace s16
