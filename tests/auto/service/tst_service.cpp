// The update service as device makers meet it: `s16-update daemon` on a real dbus-daemon
// with a system bus's default policy and the project's policy file, against real nginx,
// driven by outside clients (busctl, dbus-send) as root, as nobody and as a member of the
// group s16-update; this test listens to the bus's signals itself.
#include "common/streamwriter.h"
#include "../online/fixture.h"
#include "support/systembus.h"
#include "support/testutil.h"

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMetaType>
#include <QDBusPendingCall>
#include <QDBusMessage>
#include <QDBusVariant>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>
#include <QXmlStreamReader>

#include <grp.h>

using namespace s16;
using namespace s16::test;

namespace {

const QString kName = QStringLiteral("org.s16.Updater1");
const QString kPath = QStringLiteral("/org/s16/Updater1");
const QString kPolicy = QStringLiteral(S16_SOURCE_DIR "/packaging/dbus/org.s16.Updater1.conf");
const QString kInterfaceXml = QStringLiteral(S16_SOURCE_DIR "/packaging/dbus/org.s16.Updater1.xml");
constexpr uint kNobody = 65534;

// The members of org.s16.Updater1 in an introspection document, one line each with their
// types and directions (names of arguments aside: they are documentation).
QStringList members(const QByteArray &xml)
{
    QStringList out;
    QXmlStreamReader r(xml);
    bool inInterface = false;
    QString current;
    QStringList ins, outs; // each in its order; Qt lists a method's return value first
    auto flush = [&] {
        if (!current.isEmpty())
            out.append(current + QLatin1Char('(') + ins.join(QLatin1Char(',')) + QStringLiteral(") -> (") + outs.join(QLatin1Char(','))
                       + QLatin1Char(')'));
        current.clear();
        ins.clear();
        outs.clear();
    };
    while (!r.atEnd()) {
        r.readNext();
        const auto a = r.attributes();
        if (r.isStartElement() && r.name() == QLatin1String("interface"))
            inInterface = a.value(QLatin1String("name")) == kName;
        else if (r.isEndElement() && r.name() == QLatin1String("interface"))
            inInterface = false;
        if (!inInterface)
            continue;
        if (r.isStartElement() && (r.name() == QLatin1String("method") || r.name() == QLatin1String("signal"))) {
            flush();
            current = r.name().toString() + QLatin1Char(' ') + a.value(QLatin1String("name")).toString();
        } else if (r.isStartElement() && r.name() == QLatin1String("arg")) {
            // a signal's arguments are "out" whether written or not (D-Bus specification)
            const bool isOut = a.value(QLatin1String("direction")) == QLatin1String("out") || current.startsWith(QLatin1String("signal"));
            (isOut ? outs : ins).append(a.value(QLatin1String("type")).toString());
        } else if (r.isStartElement() && r.name() == QLatin1String("property")) {
            flush();
            out.append(QStringLiteral("property %1 %2 %3")
                           .arg(a.value(QLatin1String("name")), a.value(QLatin1String("type")), a.value(QLatin1String("access"))));
        } else if (r.isEndElement() && (r.name() == QLatin1String("method") || r.name() == QLatin1String("signal"))) {
            flush();
        }
    }
    out.sort();
    return out;
}

// Records the service's signals as they arrive on this test's own connection.
class BusWatcher : public QObject
{
    Q_OBJECT
public:
    struct Seen {
        qint64 ms;
        QDBusMessage message;
    };
    QList<Seen> seen;
    QElapsedTimer clock;

    [[nodiscard]] bool watch(QDBusConnection &bus)
    {
        clock.start();
        return bus.connect(QString(), kPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("PropertiesChanged"), this,
                           SLOT(record(QDBusMessage)))
               && bus.connect(QString(), kPath, kName, QStringLiteral("Completed"), this, SLOT(record(QDBusMessage)));
    }
    // The Completed signals seen so far, as "operation code message".
    [[nodiscard]] QStringList completed() const
    {
        QStringList out;
        for (const Seen &s : seen) {
            if (s.message.member() == QLatin1String("Completed")) {
                const auto a = s.message.arguments();
                out.append(
                    QStringLiteral("%1 %2 %3").arg(a.value(0).toString()).arg(a.value(1).toInt()).arg(a.value(2).toString()).trimmed());
            }
        }
        return out;
    }
    // The bytes of the last Progress sent, -1 before any.
    [[nodiscard]] qint64 downloadedBytes() const
    {
        const auto progress = changes(QStringLiteral("Progress"));
        return progress.isEmpty() ? -1 : qdbus_cast<QVariantMap>(progress.last().second).value(QStringLiteral("bytes")).toLongLong();
    }
    // Every value a property was sent with, in order.
    [[nodiscard]] QList<std::pair<qint64, QVariant>> changes(const QString &property) const
    {
        QList<std::pair<qint64, QVariant>> out;
        for (const Seen &s : seen) {
            if (s.message.member() != QLatin1String("PropertiesChanged"))
                continue;
            const QVariantMap changed = qdbus_cast<QVariantMap>(s.message.arguments().value(1));
            if (changed.contains(property))
                out.append({s.ms, changed.value(property)});
        }
        return out;
    }

public Q_SLOTS:
    void record(const QDBusMessage &message) { seen.append({clock.elapsed(), message}); }
};

} // namespace

class tst_Service : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void interfaceIsTheRepositorysXml();
    void anyoneReadsTheProperties();
    void unprivilegedCallerIsDeniedAndNothingHappens();
    void groupMemberMayCall();
    void checkEndsInCompletedAndChangedProperties();
    void downloadStagesWithBoundedProgressThenInstall();
    void joinedCallersShareOneJob();
    void callerThatLeavesChangesNothing();
    void serviceRestartedMidDownloadResumesIt();
    void commandLineGoesThroughTheService();
    void commandLineOfAnOutsiderIsRefused();
    void cancelStopsTheDownloadAndTheNextOneResumes();
    void malformedCallsGetErrorsAndTheServiceLives();
    void secondServiceRefusesToRun();

private:
    // busctl against the test bus as root (uid 0), nobody, or nobody with the group s16-update.
    enum class As { Root, Nobody, GroupMember };
    [[nodiscard]] ToolResult busctl(As as, const QStringList &args) const;
    [[nodiscard]] QString property(const QString &name) const;
    [[nodiscard]] bool startService();
    [[nodiscard]] bool publish(const QString &version, qint64 imageSize = 64 * 1024);
    // s16-update with the device's config, through the test bus (as a member of s16-update or
    // as nobody), or as root in process (no bus).
    enum class Cli { GroupMember, Nobody, InProcess };
    // The device's config readable by everyone, as /etc/s16-update is on a device.
    [[nodiscard]] bool configReadableByAll() const;
    [[nodiscard]] ToolResult cli(Cli how, const QStringList &args) const;

    std::unique_ptr<OnlineFixture> m_fx;
    std::unique_ptr<SystemBus> m_bus;
    std::unique_ptr<NginxServer> m_nginx;
    QProcess m_service;
    QString m_config;
    std::unique_ptr<BusWatcher> m_watcher;
    int m_connections = 0;
};

void tst_Service::initTestCase()
{
    for (const char *tool : {"dbus-daemon", "busctl", "dbus-send", "setpriv"})
        QVERIFY2(!QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty(),
                 qPrintable(QStringLiteral("%1 is missing: scripts/setup-deps installs it").arg(QString::fromLatin1(tool))));
}

void tst_Service::init()
{
    m_fx = std::make_unique<OnlineFixture>();
    QVERIFY(m_fx->isValid());
    m_bus = std::make_unique<SystemBus>();
    const auto started = m_bus->start(kPolicy);
    QVERIFY2(started, qPrintable(started ? QString() : started.error()));
    // The device runs what the server has, so the schedule's first check at start-up finds nothing.
    QVERIFY(publish(QStringLiteral("1.1.0")));
    NginxServer::Options slow;
    slow.limitRateBytesPerSecond = 2 * 1024 * 1024;
    m_nginx = startRepoServer(m_fx->repo(), slow);
    QVERIFY(m_nginx);
    m_config = m_fx->makeDevice(m_nginx->url(),
                                {{QStringLiteral("server/checkIntervalSeconds"), QStringLiteral("86400")},
                                 {QStringLiteral("server/checkJitterSeconds"), QStringLiteral("0")},
                                 {QStringLiteral("server/maxTries"), QStringLiteral("1")}},
                                QStringLiteral("1.1.0"));
    QVERIFY(!m_config.isEmpty());
    m_watcher = std::make_unique<BusWatcher>();
    QDBusConnection bus = QDBusConnection::connectToBus(m_bus->address(), QStringLiteral("tst_service_%1").arg(++m_connections));
    QVERIFY2(bus.isConnected(), qPrintable(bus.lastError().message()));
    QVERIFY(m_watcher->watch(bus));
    QVERIFY(startService());
    // the first scheduled cycle (up to date) has ended: the service is idle and answers
    QTRY_COMPARE_WITH_TIMEOUT(m_watcher->completed().value(0), QStringLiteral("download 0"), 20000);
}

void tst_Service::cleanup()
{
    if (m_service.state() != QProcess::NotRunning) {
        m_service.kill();
        m_service.waitForFinished();
    }
    if (QTest::currentTestFailed())
        qWarning().noquote() << "service output:" << m_service.readAll();
    QDBusConnection::disconnectFromBus(QStringLiteral("tst_service_%1").arg(m_connections));
    m_watcher.reset();
    m_nginx.reset();
    m_bus.reset();
    m_fx.reset();
}

bool tst_Service::publish(const QString &version, qint64 imageSize)
{
    Release r;
    r.version = version;
    r.imageSize = imageSize;
    return m_fx->publish(m_fx->repo(), r);
}

bool tst_Service::startService()
{
    m_service.setProcessEnvironment(m_bus->environment());
    m_service.setProcessChannelMode(QProcess::MergedChannels);
    m_service.start(binDir() + QStringLiteral("/s16-update"), {QStringLiteral("daemon"), QStringLiteral("--config"), m_config});
    if (!m_service.waitForStarted())
        return false;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
        // (not `busctl status`: it wants the peer's cgroup credentials, which a chroot lacks)
        if (busctl(As::Root, {QStringLiteral("call"), QStringLiteral("org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                              QStringLiteral("org.freedesktop.DBus"), QStringLiteral("NameHasOwner"), QStringLiteral("s"), kName})
                .out.trimmed()
            == "b true")
            return true;
        QTest::qWait(50);
    }
    qWarning().noquote() << "the service did not claim its name; its output:" << m_service.readAll();
    m_service.kill();
    m_service.waitForFinished();
    return false;
}

ToolResult tst_Service::busctl(As as, const QStringList &args) const
{
    QStringList full{QStringLiteral("--address=") + m_bus->address()};
    full += args;
    if (as == As::Root)
        return runTool(QStringLiteral("busctl"), full);
    QStringList priv{QStringLiteral("--reuid=%1").arg(kNobody), QStringLiteral("--regid=%1").arg(kNobody)};
    if (as == As::GroupMember) {
        const group *g = ::getgrnam("s16-update");
        priv.append(QStringLiteral("--groups=%1").arg(g ? g->gr_gid : 0));
    } else {
        priv.append(QStringLiteral("--clear-groups"));
    }
    priv.append(QStringLiteral("busctl"));
    return runTool(QStringLiteral("setpriv"), priv + full);
}

QString tst_Service::property(const QString &name) const
{
    return QString::fromUtf8(busctl(As::Root, {QStringLiteral("get-property"), kName, kPath, kName, name}).out.trimmed());
}

void tst_Service::interfaceIsTheRepositorysXml()
{
    const ToolResult live = busctl(As::Nobody, {QStringLiteral("introspect"), QStringLiteral("--xml-interface"), kName, kPath});
    QVERIFY2(live.exitCode == 0, qPrintable(live.describe()));
    QFile file(kInterfaceXml);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList documented = members(file.readAll());
    QCOMPARE(documented.size(), 28); // 18 properties, 9 methods, 1 signal
    QCOMPARE(members(live.out), documented);
}

void tst_Service::anyoneReadsTheProperties()
{
    const ToolResult state = busctl(As::Nobody, {QStringLiteral("get-property"), kName, kPath, kName, QStringLiteral("State"),
                                                 QStringLiteral("CurrentVersion"), QStringLiteral("RebootPending")});
    QVERIFY2(state.exitCode == 0, qPrintable(state.describe()));
    QCOMPARE(state.out, QByteArray("s \"idle\"\ns \"1.1.0\"\nb false\n"));
    // the whole set at once, as a UI reads it on start-up
    const ToolResult all = busctl(As::Nobody, {QStringLiteral("call"), kName, kPath, QStringLiteral("org.freedesktop.DBus.Properties"),
                                               QStringLiteral("GetAll"), QStringLiteral("s"), kName});
    QVERIFY2(all.exitCode == 0, qPrintable(all.describe()));
    QVERIFY2(all.out.startsWith("a{sv} 18 "), all.out.constData());
}

void tst_Service::unprivilegedCallerIsDeniedAndNothingHappens()
{
    const int checks = m_nginx->requestCount(QStringLiteral("manifest.json.sig"));
    for (const QString &method : {QStringLiteral("Check"), QStringLiteral("Download"), QStringLiteral("Install"), QStringLiteral("Reboot"),
                                  QStringLiteral("AcknowledgeOutcome")}) {
        // dbus-send prints the error's name, which busctl translates into words
        QStringList args{QStringLiteral("--reuid=%1").arg(kNobody),
                         QStringLiteral("--regid=%1").arg(kNobody),
                         QStringLiteral("--clear-groups"),
                         QStringLiteral("dbus-send"),
                         QStringLiteral("--bus=") + m_bus->address(),
                         QStringLiteral("--print-reply"),
                         QStringLiteral("--dest=") + kName,
                         kPath,
                         kName + QLatin1Char('.') + method};
        const ToolResult r = runTool(QStringLiteral("setpriv"), args);
        QVERIFY2(r.exitCode != 0, qPrintable(r.describe()));
        QVERIFY2(r.err.contains("org.freedesktop.DBus.Error.AccessDenied"), qPrintable(r.describe()));
    }
    const ToolResult consent = busctl(As::Nobody, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("SetConsent"),
                                                   QStringLiteral("b"), QStringLiteral("true")});
    QVERIFY(consent.exitCode != 0);
    QTest::qWait(500);
    QCOMPARE(m_nginx->requestCount(QStringLiteral("manifest.json.sig")), checks);
    QCOMPARE(m_watcher->completed(), QStringList{QStringLiteral("download 0")});
    QCOMPARE(property(QStringLiteral("Consent")), QStringLiteral("b false"));
}

void tst_Service::groupMemberMayCall()
{
    QVERIFY2(::getgrnam("s16-update"), "the group s16-update is missing: scripts/setup-deps creates it");
    const ToolResult r = busctl(As::GroupMember, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("SetConsent"),
                                                  QStringLiteral("b"), QStringLiteral("true")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QTRY_VERIFY(m_watcher->completed().contains(QStringLiteral("consent 0")));
    QCOMPARE(property(QStringLiteral("Consent")), QStringLiteral("b true"));
    QVERIFY(!m_watcher->changes(QStringLiteral("Consent")).isEmpty());
}

void tst_Service::checkEndsInCompletedAndChangedProperties()
{
    QVERIFY(publish(QStringLiteral("1.2.0")));
    const int checks = m_nginx->requestCount(QStringLiteral("manifest.json.sig"));
    const ToolResult r = busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Check")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QCOMPARE(r.out, QByteArray()); // returns at once, with nothing
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().contains(QStringLiteral("check 0")), 20000);
    QCOMPARE(m_nginx->requestCount(QStringLiteral("manifest.json.sig")), checks + 1);
    QCOMPARE(m_nginx->requestCount(QStringLiteral("/images/")), 0); // a check downloads nothing
    QCOMPARE(property(QStringLiteral("AvailableVersion")), QStringLiteral("s \"1.2.0\""));
    QCOMPARE(m_watcher->changes(QStringLiteral("AvailableVersion")).last().second.toString(), QStringLiteral("1.2.0"));
    // the job was announced and ended on the bus
    const auto operations = m_watcher->changes(QStringLiteral("Operation"));
    QVERIFY(operations.size() >= 2);
    QCOMPARE(operations.at(operations.size() - 2).second.toString(), QStringLiteral("check"));
    QCOMPARE(operations.last().second.toString(), QString());
}

void tst_Service::downloadStagesWithBoundedProgressThenInstall()
{
    // 4 MiB at 2 MiB/s: about two seconds of progress
    QVERIFY(publish(QStringLiteral("1.2.0"), 4 * 1024 * 1024));
    const ToolResult r = busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Download")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().contains(QStringLiteral("download 0")) && m_watcher->completed().size() == 2, 30000);
    QCOMPARE(property(QStringLiteral("State")), QStringLiteral("s \"ready\""));
    QCOMPARE(property(QStringLiteral("StagedVersion")), QStringLiteral("s \"1.2.0\""));

    const auto progress = m_watcher->changes(QStringLiteral("Progress"));
    QVERIFY2(progress.size() >= 5, qPrintable(QString::number(progress.size())));
    qint64 lastBytes = -1;
    for (qsizetype i = 0; i < progress.size(); ++i) {
        const QVariantMap p = qdbus_cast<QVariantMap>(progress.at(i).second);
        if (p.isEmpty()) {
            QCOMPARE(i, progress.size() - 1); // emptied once, at the end
            continue;
        }
        QCOMPARE(p.value(QStringLiteral("total")).toLongLong(), 4 * 1024 * 1024 + 0LL);
        QVERIFY(p.value(QStringLiteral("bytes")).toLongLong() >= lastBytes);
        lastBytes = p.value(QStringLiteral("bytes")).toLongLong();
    }
    // at most ten a second: over any second no more than eleven changes
    for (qsizetype i = 0; i + 11 < progress.size(); ++i)
        QVERIFY2(progress.at(i + 11).first - progress.at(i).first >= 1000, "more than ten progress changes in a second");

    // "Update now"
    const ToolResult install = busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Install")});
    QVERIFY2(install.exitCode == 0, qPrintable(install.describe()));
    QTRY_VERIFY(m_watcher->completed().contains(QStringLiteral("install 0")));
    QCOMPARE(property(QStringLiteral("RebootPending")), QStringLiteral("b true"));
    QCOMPARE(property(QStringLiteral("State")), QStringLiteral("s \"rebootPending\""));
}

void tst_Service::joinedCallersShareOneJob()
{
    QVERIFY(publish(QStringLiteral("1.2.0"), 2 * 1024 * 1024));
    // a second client (and a third, unprivileged one reading) during the first one's download
    QVERIFY(busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Download")}).exitCode == 0);
    QVERIFY(busctl(As::GroupMember, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Download")}).exitCode == 0);
    QCOMPARE(busctl(As::Nobody, {QStringLiteral("get-property"), kName, kPath, kName, QStringLiteral("Operation")}).out,
             QByteArray("s \"download\"\n"));
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().size() == 2, 30000);
    QCOMPARE(m_watcher->completed().last(), QStringLiteral("download 0"));
    QTest::qWait(300);
    QCOMPARE(m_watcher->completed().size(), 2); // one job, one Completed
    QCOMPARE(m_nginx->requestCount(QStringLiteral("/images/")), 1);
}

void tst_Service::callerThatLeavesChangesNothing()
{
    QVERIFY(publish(QStringLiteral("1.2.0"), 2 * 1024 * 1024));
    {
        // a client asks for the download and is gone before the reply
        QDBusConnection client = QDBusConnection::connectToBus(m_bus->address(), QStringLiteral("tst_service_leaving"));
        QVERIFY(client.isConnected());
        client.asyncCall(QDBusMessage::createMethodCall(kName, kPath, kName, QStringLiteral("Download")));
        QDBusConnection::disconnectFromBus(QStringLiteral("tst_service_leaving"));
    }
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().size() == 2, 30000);
    QCOMPARE(m_watcher->completed().last(), QStringLiteral("download 0"));
    QCOMPARE(property(QStringLiteral("StagedVersion")), QStringLiteral("s \"1.2.0\""));
    QCOMPARE(m_service.state(), QProcess::Running);
}

void tst_Service::serviceRestartedMidDownloadResumesIt()
{
    // 16 MiB at 2 MiB/s; the service dies (SIGKILL) after 10 MiB. What it had received is in
    // the partial file but for the writer's blocks still in memory (fileutil::StreamWriter).
    constexpr qint64 size = 16 * 1024 * 1024;
    constexpr qint64 inMemory = fileutil::StreamWriter::kBlocks * fileutil::StreamWriter::kBlockBytes;
    QVERIFY(publish(QStringLiteral("1.2.0"), size));
    QVERIFY(busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Download")}).exitCode == 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->downloadedBytes() > 10 * 1024 * 1024, 20000);
    const qint64 reported = m_watcher->downloadedBytes();
    m_service.kill();
    QVERIFY(m_service.waitForFinished());
    QCOMPARE(property(QStringLiteral("State")), QString()); // nobody on the bus answers now
    // started again (systemd's Restart=on-failure): the first cycle continues the download
    QVERIFY(startService());
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().size() == 2, 30000);
    QCOMPARE(m_watcher->completed().last(), QStringLiteral("download 0"));
    QCOMPARE(property(QStringLiteral("StagedVersion")), QStringLiteral("s \"1.2.0\""));
    // two requests for the image, the second one for the rest only
    QStringList ranges;
    for (const QString &line : m_nginx->accessLog()) {
        if (line.contains(QStringLiteral("/images/")))
            ranges.append(line.section(QStringLiteral("range=\""), 1).section(QLatin1Char('"'), 0, 0));
    }
    QCOMPARE(ranges.size(), 2);
    QCOMPARE(ranges.first(), QStringLiteral("-")); // nginx logs a missing Range header as -
    QVERIFY2(ranges.last().startsWith(QStringLiteral("bytes="))
                 && ranges.last().mid(6).section(QLatin1Char('-'), 0, 0).toLongLong() >= reported - inMemory,
             qPrintable(ranges.join(QLatin1Char(' ')) + QStringLiteral(" after %1 bytes were reported").arg(reported)));
    // What the resumed download fetched and what it reused, as the service and `status --json`
    // report it: the bytes asked for by Range were fetched, the ones before were reused.
    const qint64 resumedAt = ranges.last().mid(6).section(QLatin1Char('-'), 0, 0).toLongLong();
    const ToolResult status = cli(Cli::InProcess, {QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(status.exitCode == 0, qPrintable(status.describe()));
    const QJsonObject o = QJsonDocument::fromJson(status.out).object();
    QCOMPARE(qint64(o.value(QStringLiteral("bytesReused")).toDouble()), resumedAt);
    QCOMPARE(qint64(o.value(QStringLiteral("bytesFetched")).toDouble()), size - resumedAt);
    const QString transfer = property(QStringLiteral("LastTransfer"));
    QVERIFY2(transfer.contains(QStringLiteral("\"reused\" x %1").arg(resumedAt)), qPrintable(transfer));
}

ToolResult tst_Service::cli(Cli how, const QStringList &args) const
{
    const QString exe = binDir() + QStringLiteral("/s16-update");
    const QStringList full = QStringList{QStringLiteral("--config"), m_config} + args;
    if (how == Cli::InProcess) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS"), QStringLiteral("unix:path=/nonexistent/no-bus"));
        return runTool(exe, full, env);
    }
    QStringList priv{QStringLiteral("--reuid=%1").arg(kNobody), QStringLiteral("--regid=%1").arg(kNobody)};
    const group *g = ::getgrnam("s16-update");
    priv.append(how == Cli::GroupMember ? QStringLiteral("--groups=%1").arg(g ? g->gr_gid : 0) : QStringLiteral("--clear-groups"));
    return runTool(QStringLiteral("setpriv"), priv + QStringList{exe} + full, m_bus->environment());
}

bool tst_Service::configReadableByAll() const
{
    const auto open =
        QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther | QFileDevice::ExeOther;
    return QFile::setPermissions(QFileInfo(m_fx->deviceDir()).path(), open) && QFile::setPermissions(m_fx->deviceDir(), open)
           && QFile::setPermissions(m_config, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
}

void tst_Service::commandLineGoesThroughTheService()
{
    // The config readable by all; the state stays root's (nobody can neither take the engine
    // lock nor write the journal: only the service can).
    QVERIFY(configReadableByAll());
    const QString stateDir = m_fx->config().device.stateDir;
    QVERIFY(QFile::setPermissions(stateDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    QVERIFY(publish(QStringLiteral("1.2.0")));

    const int checks = m_nginx->requestCount(QStringLiteral("manifest.json.sig"));
    const ToolResult check = cli(Cli::GroupMember, {QStringLiteral("check"), QStringLiteral("--json")});
    QVERIFY2(check.exitCode == 0, qPrintable(check.describe()));
    QCOMPARE(m_nginx->requestCount(QStringLiteral("manifest.json.sig")), checks + 1);
    const QJsonObject found = QJsonDocument::fromJson(check.out).object();
    QCOMPARE(found.value(QStringLiteral("available")).toBool(), true);
    QCOMPARE(found.value(QStringLiteral("version")).toString(), QStringLiteral("1.2.0"));
    QCOMPARE(found.value(QStringLiteral("size")).toInteger(), 64 * 1024);

    // the same status, whichever way it is read
    const ToolResult viaService = cli(Cli::GroupMember, {QStringLiteral("status"), QStringLiteral("--json")});
    const ToolResult inProcess = cli(Cli::InProcess, {QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(viaService.exitCode == 0, qPrintable(viaService.describe()));
    QCOMPARE(QJsonDocument::fromJson(viaService.out).object(), QJsonDocument::fromJson(inProcess.out).object());
    QCOMPARE(cli(Cli::GroupMember, {QStringLiteral("status")}).out, cli(Cli::InProcess, {QStringLiteral("status")}).out);

    const ToolResult download = cli(Cli::GroupMember, {QStringLiteral("download"), QStringLiteral("--json")});
    QVERIFY2(download.exitCode == 0, qPrintable(download.describe()));
    QCOMPARE(QJsonDocument::fromJson(download.out).object().value(QStringLiteral("stagedVersion")).toString(), QStringLiteral("1.2.0"));
    const ToolResult consent = cli(Cli::GroupMember, {QStringLiteral("consent"), QStringLiteral("on")});
    QVERIFY2(consent.exitCode == 0 && consent.out == "on\n", qPrintable(consent.describe()));
    const ToolResult install = cli(Cli::GroupMember, {QStringLiteral("install")});
    QVERIFY2(install.exitCode == 0, qPrintable(install.describe()));
    QCOMPARE(install.out, QByteArray("rebooting into recovery to install the update\n"));
    QCOMPARE(cli(Cli::GroupMember, {QStringLiteral("log"), QStringLiteral("--json")}).out,
             cli(Cli::InProcess, {QStringLiteral("log"), QStringLiteral("--json")}).out);
    QCOMPARE(cli(Cli::GroupMember, {QStringLiteral("log")}).out, cli(Cli::InProcess, {QStringLiteral("log")}).out);
    QCOMPARE(property(QStringLiteral("RebootPending")), QStringLiteral("b true"));
}

void tst_Service::commandLineOfAnOutsiderIsRefused()
{
    QVERIFY(configReadableByAll());
    const int checks = m_nginx->requestCount(QStringLiteral("manifest.json.sig"));
    const ToolResult r = cli(Cli::Nobody, {QStringLiteral("check")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("only root and members of the group s16-update"), qPrintable(r.describe()));
    QCOMPARE(m_nginx->requestCount(QStringLiteral("manifest.json.sig")), checks);
    // reading is anyone's
    const ToolResult status = cli(Cli::Nobody, {QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(status.exitCode == 0, qPrintable(status.describe()));
    QCOMPARE(QJsonDocument::fromJson(status.out).object().value(QStringLiteral("currentVersion")).toString(), QStringLiteral("1.1.0"));
}

void tst_Service::cancelStopsTheDownloadAndTheNextOneResumes()
{
    // 4 MiB at 2 MiB/s, cancelled after 1 MiB
    QVERIFY(publish(QStringLiteral("1.2.0"), 4 * 1024 * 1024));
    QVERIFY(busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Download")}).exitCode == 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->downloadedBytes() > 1024 * 1024, 20000);
    QVERIFY(busctl(As::GroupMember, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Cancel")}).exitCode == 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().size() == 2, 5000);
    QVERIFY2(m_watcher->completed().last().startsWith(QStringLiteral("download 3 cancelled")), qPrintable(m_watcher->completed().last()));
    QCOMPARE(property(QStringLiteral("Operation")), QStringLiteral("s \"\""));
    QCOMPARE(property(QStringLiteral("StagedVersion")), QStringLiteral("s \"\""));
    QCOMPARE(property(QStringLiteral("LastError")), QStringLiteral("a{sv} 0")); // cancelled is not a failure
    QTest::qWait(500);
    QCOMPARE(m_nginx->requestCount(QStringLiteral("/images/")), 1); // stopped, not retried
    // nothing running: Cancel does nothing
    QVERIFY(busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Cancel")}).exitCode == 0);
    QTest::qWait(200);
    QCOMPARE(m_watcher->completed().size(), 2);

    // the next download continues where the cancelled one stopped
    QVERIFY(busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Download")}).exitCode == 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_watcher->completed().size() == 3, 30000);
    QCOMPARE(m_watcher->completed().last(), QStringLiteral("download 0"));
    QCOMPARE(property(QStringLiteral("StagedVersion")), QStringLiteral("s \"1.2.0\""));
    const QStringList log = m_nginx->accessLog().filter(QStringLiteral("/images/"));
    QCOMPARE(log.size(), 2);
    const qint64 resumedAt = log.last().section(QStringLiteral("range=\"bytes="), 1).section(QLatin1Char('-'), 0, 0).toLongLong();
    QVERIFY2(resumedAt > 1024 * 1024, qPrintable(log.last()));
}

void tst_Service::malformedCallsGetErrorsAndTheServiceLives()
{
    const ToolResult wrongType = busctl(
        As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("SetConsent"), QStringLiteral("s"), QStringLiteral("yes")});
    QVERIFY(wrongType.exitCode != 0);
    QVERIFY2(wrongType.err.contains("No such method"), qPrintable(wrongType.describe()));
    const ToolResult unknown = busctl(As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Reinstall")});
    QVERIFY(unknown.exitCode != 0);
    const ToolResult readOnly = busctl(As::Root, {QStringLiteral("set-property"), kName, kPath, kName, QStringLiteral("Consent"),
                                                  QStringLiteral("b"), QStringLiteral("true")});
    QVERIFY(readOnly.exitCode != 0);
    const ToolResult log = busctl(
        As::Root, {QStringLiteral("call"), kName, kPath, kName, QStringLiteral("Log"), QStringLiteral("u"), QStringLiteral("4294967295")});
    QVERIFY2(log.exitCode == 0 && log.out.startsWith("s \"["), qPrintable(log.describe()));
    QCOMPARE(m_service.state(), QProcess::Running);
    QCOMPARE(property(QStringLiteral("Consent")), QStringLiteral("b false"));
}

void tst_Service::secondServiceRefusesToRun()
{
    QProcess second;
    second.setProcessEnvironment(m_bus->environment());
    second.setProcessChannelMode(QProcess::MergedChannels);
    second.start(binDir() + QStringLiteral("/s16-update"), {QStringLiteral("daemon"), QStringLiteral("--config"), m_config});
    QVERIFY(second.waitForFinished(10000));
    QCOMPARE(second.exitCode(), 2);
    QVERIFY2(second.readAll().contains("cannot own the bus name org.s16.Updater1"), "no reason given");
    QCOMPARE(m_service.state(), QProcess::Running);
}

QTEST_GUILESS_MAIN(tst_Service)
#include "tst_service.moc"
