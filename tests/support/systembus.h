#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QTemporaryDir>

#include <expected>

namespace s16::test {

// A private D-Bus system bus for the service's tests: a real dbus-daemon with the default
// policy of a Debian system bus (every user may connect, method calls are denied unless a
// policy allows them, only allowed names may be owned) plus the policy file under test, on
// a socket in a temporary folder that every user can reach, so a test can call as root, as
// nobody and as a member of the group s16-update. It dies with the test process.
class SystemBus
{
public:
    SystemBus();
    ~SystemBus();
    SystemBus(const SystemBus &) = delete;
    SystemBus &operator=(const SystemBus &) = delete;

    // Starts dbus-daemon with policyFile included; returns once it accepts connections.
    [[nodiscard]] std::expected<void, QString> start(const QString &policyFile);
    [[nodiscard]] QString address() const { return m_address; }
    // The system environment with DBUS_SYSTEM_BUS_ADDRESS naming this bus.
    [[nodiscard]] QProcessEnvironment environment() const;

private:
    QTemporaryDir m_dir;
    QProcess m_daemon;
    QString m_address;
};

} // namespace s16::test
