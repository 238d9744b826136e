#include "systembus.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <csignal>
#include <sys/prctl.h>

namespace s16::test {

SystemBus::SystemBus()
    : m_dir(QDir::tempPath() + QStringLiteral("/s16-bus-XXXXXX"))
{
    // the bus dies with the test, whatever way the test ends
    m_daemon.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
}

SystemBus::~SystemBus()
{
    if (m_daemon.state() != QProcess::NotRunning) {
        m_daemon.kill();
        m_daemon.waitForFinished(5000);
    }
}

QProcessEnvironment SystemBus::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS"), m_address);
    return env;
}

std::expected<void, QString> SystemBus::start(const QString &policyFile)
{
    if (!m_dir.isValid())
        return std::unexpected(QStringLiteral("cannot create a temporary folder"));
    const QString daemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
    if (daemon.isEmpty())
        return std::unexpected(QStringLiteral("dbus-daemon is not installed (Debian package dbus-daemon)"));
    if (!QFileInfo(policyFile).isReadable())
        return std::unexpected(QStringLiteral("cannot read the policy file ") + policyFile);
    // nobody must reach the socket: the folder QTemporaryDir made is 0700
    QFile::setPermissions(m_dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup
                                            | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::ExeOther);
    const QString socket = m_dir.filePath(QStringLiteral("system_bus_socket"));
    // The demo's configuration (scripts/lib/system-bus.conf.in): a system bus's default policy, in short.
    QFile templ(QStringLiteral(S16_SOURCE_DIR "/scripts/lib/system-bus.conf.in"));
    if (!templ.open(QIODevice::ReadOnly))
        return std::unexpected(QStringLiteral("cannot read ") + templ.fileName());
    const QString config = QString::fromUtf8(templ.readAll())
                               .replace(QStringLiteral("@SOCKET@"), socket)
                               .replace(QStringLiteral("@POLICY@"), QFileInfo(policyFile).absoluteFilePath());
    QFile f(m_dir.filePath(QStringLiteral("bus.conf")));
    if (!f.open(QIODevice::WriteOnly) || f.write(config.toUtf8()) < 0)
        return std::unexpected(QStringLiteral("cannot write ") + f.fileName());
    f.close();
    m_daemon.setProgram(daemon);
    m_daemon.setArguments({QStringLiteral("--config-file=") + f.fileName(), QStringLiteral("--nofork"), QStringLiteral("--nopidfile"),
                           QStringLiteral("--print-address")});
    m_daemon.start();
    if (!m_daemon.waitForStarted(5000))
        return std::unexpected(QStringLiteral("dbus-daemon did not start: ") + m_daemon.errorString());
    // --print-address writes the address once the socket listens
    while (!m_daemon.canReadLine()) {
        if (!m_daemon.waitForReadyRead(10000))
            return std::unexpected(QStringLiteral("dbus-daemon printed no address: ")
                                   + QString::fromLocal8Bit(m_daemon.readAllStandardError()));
    }
    m_address = QString::fromUtf8(m_daemon.readLine().trimmed());
    return {};
}

} // namespace s16::test
