#include "testdevice.h"

#include "boot/bootenv.h"
#include "store/journal.h"
#include "support/systembus.h"
#include "support/testutil.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QStringBuilder>
#include <QTest>

namespace s16 {
namespace {

bool runOpenssl(const QStringList &args, QString *error)
{
    QProcess p;
    p.start(QStringLiteral("openssl"), args);
    if (!p.waitForFinished(20000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *error = QStringLiteral("openssl %1 failed: %2").arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAllStandardError()));
        return false;
    }
    return true;
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QString now() { return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs); }

// One private system bus for the whole test process: QtDBus connects to the system bus
// once per process, so every device's service meets the UI on the same bus.
std::expected<QString, QString> testBus()
{
    static std::unique_ptr<test::SystemBus> bus;
    static QString failure;
    if (!bus && failure.isEmpty()) {
        auto made = std::make_unique<test::SystemBus>();
        if (auto started = made->start(QStringLiteral(S16_SOURCE_DIR "/packaging/dbus/org.s16.Updater1.conf")); !started) {
            failure = started.error();
        } else {
            qputenv("DBUS_SYSTEM_BUS_ADDRESS", made->address().toUtf8());
            bus = std::move(made);
        }
    }
    if (!bus)
        return std::unexpected(failure);
    return bus->address();
}

} // namespace

TestDevice::TestDevice(QObject *parent)
    : QObject(parent)
{
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("no temporary folder");
        return;
    }
    const QDir d(m_dir.path());
    if (!runOpenssl({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("ed25519"), QStringLiteral("-out"),
                     d.filePath(QStringLiteral("signing.key"))},
                    &m_error)
        || !runOpenssl({QStringLiteral("pkey"), QStringLiteral("-in"), d.filePath(QStringLiteral("signing.key")), QStringLiteral("-pubout"),
                        QStringLiteral("-out"), d.filePath(QStringLiteral("signing.pub"))},
                       &m_error))
        return;
    if (!writeFile(d.filePath(QStringLiteral("version")), "1.0.0\n") || !writeFile(d.filePath(QStringLiteral("slotA")), "A")
        || !writeFile(d.filePath(QStringLiteral("slotB")), {})
        || !createBootEnvironment(QStringLiteral("grub"), d.filePath(QStringLiteral("bootenv")),
                                  {{QStringLiteral("BOOT_ORDER"), QStringLiteral("A B")}})
        || !writeConfig()) {
        m_error = QStringLiteral("cannot write the device files");
        return;
    }
    auto journal = Journal::open(d.filePath(QStringLiteral("state")));
    if (!journal) {
        m_error = journal.error().message;
        return;
    }
    m_journal = std::move(*journal);
}

TestDevice::~TestDevice() { stopService(); }

bool TestDevice::startTestBus()
{
    const auto address = testBus();
    if (!address)
        qWarning().noquote() << address.error();
    return address.has_value();
}

bool TestDevice::startService()
{
    if (m_service.state() != QProcess::NotRunning)
        return true;
    const auto address = testBus();
    if (!address) {
        m_error = QStringLiteral("no test bus: ") + address.error();
        return false;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS"), *address);
    m_service.setProcessEnvironment(env);
    m_service.setProcessChannelMode(QProcess::MergedChannels);
    m_service.start(test::binDir() + QStringLiteral("/s16-update"), {QStringLiteral("daemon"), QStringLiteral("--config"), configPath()});
    if (!m_service.waitForStarted()) {
        m_error = QStringLiteral("s16-update daemon did not start: ") + m_service.errorString();
        return false;
    }
    QDBusConnectionInterface *bus = QDBusConnection::systemBus().interface();
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired() && m_service.state() == QProcess::Running) {
        if (bus && bus->isServiceRegistered(QStringLiteral("org.s16.Updater1")))
            return true;
        QTest::qWait(20);
    }
    m_error = QStringLiteral("the service did not claim its name: ") + serviceOutput();
    stopService();
    return false;
}

void TestDevice::stopService()
{
    if (m_service.state() == QProcess::NotRunning)
        return;
    m_service.terminate();
    if (!m_service.waitForFinished(5000)) {
        m_service.kill();
        m_service.waitForFinished();
    }
    // Gone from the bus before the next device's service claims the name.
    QDBusConnectionInterface *bus = QDBusConnection::systemBus().interface();
    const QDeadlineTimer deadline(5000);
    while (bus && !deadline.hasExpired() && bus->isServiceRegistered(QStringLiteral("org.s16.Updater1")))
        QTest::qWait(10);
}

QString TestDevice::serviceOutput() const { return QString::fromLocal8Bit(const_cast<QProcess &>(m_service).readAll()); }

QString TestDevice::configPath() const { return QDir(m_dir.path()).filePath(QStringLiteral("update.conf")); }

bool TestDevice::writeConfig(int countdownSeconds, const QString &extra, const QString &rebootCommand)
{
    // Port 1 on loopback refuses at once: a check fails fast with "server unreachable".
    const QString conf =
        QStringLiteral("[server]\n"
                       "url=https://127.0.0.1:1/s16/\n"
                       "maxTries=1\n"
                       "retryIntervalSeconds=0\n"
                       "connectTimeoutSeconds=2\n"
                       "checkIntervalSeconds=0\n"
                       "[trust]\n"
                       "publicKeys=signing.pub\n"
                       "[device]\n"
                       "versionFile=version\n"
                       "stateDir=state\n"
                       "updateDir=updates\n"
                       "[boot]\n"
                       "backend=grub\n"
                       "envFile=bootenv/grubenv\n"
                       "slotA=slotA\n"
                       "slotB=slotB\n"
                       "rebootCommand=")
        % (rebootCommand.isEmpty() ? QStringLiteral("touch ") % QDir(m_dir.path()).filePath(QStringLiteral("rebooted")) : rebootCommand)
        % QStringLiteral("\n[ui]\npriorityCountdownSeconds=") % QString::number(countdownSeconds) % QLatin1Char('\n') % extra;
    return writeFile(configPath(), conf.toUtf8());
}

bool TestDevice::set(const QString &key, const QVariant &value)
{
    return m_journal && m_journal->set(key, value.isValid() ? QJsonValue::fromVariant(value) : QJsonValue()).has_value();
}

QVariant TestDevice::value(const QString &key) const { return m_journal ? m_journal->value(key).toVariant() : QVariant(); }

bool TestDevice::stage(const QString &version, bool priority, qint64 size)
{
    const QDir staged(QDir(m_dir.path()).filePath(QStringLiteral("updates/staged")));
    const QString image = QStringLiteral("s16-") % version % QStringLiteral(".img");
    if (!QDir().mkpath(staged.path()) || !writeFile(staged.filePath(image), QByteArray(size, 'x'))
        || !writeFile(staged.filePath(image % QStringLiteral(".sha256")), "0  " + image.toUtf8() + '\n'))
        return false;
    const QJsonObject notes{{QStringLiteral("en"), QStringLiteral("Faster start-up.")},
                            {QStringLiteral("de"), QStringLiteral("Schnellerer Start.")}};
    return set(QStringLiteral("staged"), QJsonObject{{QStringLiteral("version"), version},
                                                     {QStringLiteral("image"), image},
                                                     {QStringLiteral("size"), double(size)},
                                                     {QStringLiteral("sha256"), QStringLiteral("0")},
                                                     {QStringLiteral("priority"), priority},
                                                     {QStringLiteral("notes"), notes},
                                                     {QStringLiteral("released"), now()}}
                                             .toVariantMap())
           && set(QStringLiteral("flow"), QVariantMap{{QStringLiteral("node"), QStringLiteral("WaitForUser")},
                                                      {QStringLiteral("edge"), QStringLiteral("E41")},
                                                      {QStringLiteral("time"), now()}})
           && log(QStringLiteral("info"), 0, QStringLiteral("E39"), QStringLiteral("staged"),
                  QStringLiteral("version %1 is ready to install").arg(version));
}

bool TestDevice::requestReboot()
{
    return set(QStringLiteral("rebootPending"), true)
           && set(QStringLiteral("flow"), QVariantMap{{QStringLiteral("node"), QStringLiteral("Reboot")},
                                                      {QStringLiteral("edge"), QStringLiteral("E43")},
                                                      {QStringLiteral("time"), now()}})
           && log(QStringLiteral("info"), 0, {}, QStringLiteral("rebootRequested"), QStringLiteral("reboot into recovery requested"));
}

bool TestDevice::fail(int code, const QString &message, const QString &edge, const QString &detail)
{
    return set(QStringLiteral("lastError"), QVariantMap{{QStringLiteral("code"), code},
                                                        {QStringLiteral("message"), message},
                                                        {QStringLiteral("edge"), edge},
                                                        {QStringLiteral("detail"), detail},
                                                        {QStringLiteral("time"), now()}})
           && log(QStringLiteral("error"), code, edge, QStringLiteral("error"), message);
}

bool TestDevice::log(const QString &level, int code, const QString &edge, const QString &event, const QString &message)
{
    if (!m_journal)
        return false;
    const LogEntry::Level l = level == QLatin1String("error")     ? LogEntry::Level::Error
                              : level == QLatin1String("warning") ? LogEntry::Level::Warning
                                                                  : LogEntry::Level::Info;
    return m_journal->append(LogEntry{0, QDateTime::currentDateTimeUtc(), l, code, edge, message, {}, event}).has_value();
}

bool TestDevice::outcome(const QString &result, const QString &version, const QString &previousVersion, int code, const QString &message,
                         const QString &edge)
{
    return set(QStringLiteral("outcome"), QVariantMap{{QStringLiteral("result"), result},
                                                      {QStringLiteral("version"), version},
                                                      {QStringLiteral("previousVersion"), previousVersion},
                                                      {QStringLiteral("code"), code},
                                                      {QStringLiteral("message"), message},
                                                      {QStringLiteral("edge"), edge},
                                                      {QStringLiteral("time"), now()},
                                                      {QStringLiteral("seen"), false}});
}

bool TestDevice::failedInstall(const QString &version, const QString &previousVersion, int code, const QString &edge,
                               const QString &message, const QString &detail)
{
    const QString time = now();
    return set(QStringLiteral("lastError"), QVariantMap{{QStringLiteral("code"), code},
                                                        {QStringLiteral("message"), message},
                                                        {QStringLiteral("edge"), edge},
                                                        {QStringLiteral("detail"), detail},
                                                        {QStringLiteral("time"), time}})
           && set(QStringLiteral("outcome"), QVariantMap{{QStringLiteral("result"), QStringLiteral("failed")},
                                                         {QStringLiteral("version"), version},
                                                         {QStringLiteral("previousVersion"), previousVersion},
                                                         {QStringLiteral("code"), code},
                                                         {QStringLiteral("message"), message},
                                                         {QStringLiteral("edge"), edge},
                                                         {QStringLiteral("time"), time},
                                                         {QStringLiteral("seen"), false}})
           && log(QStringLiteral("error"), code, edge, QStringLiteral("installFailed"),
                  QStringLiteral("update to %1 failed: %2").arg(version, message));
}

bool TestDevice::checked(const QString &serverVersion, const QString &time)
{
    return set(QStringLiteral("lastTrusted"), QVariantMap{{QStringLiteral("version"), serverVersion}, {QStringLiteral("released"), now()}})
           && set(QStringLiteral("lastCheck"), time.isEmpty() ? now() : time);
}

bool TestDevice::downloading(qint64 bytes, qint64 total, double rate, qint64 eta, qint64 toFetch)
{
    QVariantMap progress{{QStringLiteral("phase"), QStringLiteral("download")},
                         {QStringLiteral("bytes"), double(bytes)},
                         {QStringLiteral("total"), double(total)},
                         {QStringLiteral("rate"), rate},
                         {QStringLiteral("eta"), double(eta)}};
    if (toFetch >= 0)
        progress.insert(QStringLiteral("toFetch"), double(toFetch));
    return holdLock(true)
           && set(QStringLiteral("flow"), QVariantMap{{QStringLiteral("node"), QStringLiteral("ReceiveFile")},
                                                      {QStringLiteral("edge"), QStringLiteral("E29")},
                                                      {QStringLiteral("time"), now()}})
           && set(QStringLiteral("progress"), progress);
}

bool TestDevice::holdLock(bool hold)
{
    if (!hold) {
        m_lock.reset();
        return true;
    }
    if (m_lock)
        return true;
    auto lock = EngineLock::tryAcquire(QDir(m_dir.path()).filePath(QStringLiteral("state")));
    if (!lock)
        return false;
    m_lock = std::make_unique<EngineLock>(std::move(*lock));
    return true;
}

bool TestDevice::rebooted() const { return QFile::exists(QDir(m_dir.path()).filePath(QStringLiteral("rebooted"))); }

} // namespace s16
