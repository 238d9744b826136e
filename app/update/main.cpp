// s16-update: the device's update client, headless (CONTRACT §2).
#include "boot/bootenv.h"
#include "config/config.h"
#include "diagnostics/diagnostics.h"
#include "diagnostics/reporter.h"
#include "install/install.h"
#include "online/devicestatus.h"
#include "online/updateengine.h"
#include "service/serviceclient.h"
#include "service/updateservice.h"
#include "store/journal.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDBusConnection>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <optional>

using namespace s16;

namespace {

void printJson(const QJsonObject &o) { std::fputs(QJsonDocument(o).toJson(QJsonDocument::Compact).append('\n').constData(), stdout); }
void printLine(const QString &s) { std::fputs(qPrintable(s + QLatin1Char('\n')), stdout); }

int report(const Error &e)
{
    std::fprintf(stderr, "s16-update: %s\n", qPrintable(e.message));
    if (!e.detail.isEmpty())
        std::fprintf(stderr, "  detail: %s\n", qPrintable(e.detail));
    return toInt(e.code);
}

struct Device {
    Config config;
    std::unique_ptr<Journal> journal;
};

Result<Device> openDevice(const QString &configPath)
{
    auto config = loadConfig(configPath);
    if (!config)
        return std::unexpected(toError(config.error()));
    auto journal = Journal::open(config->device.stateDir, config->log.maxEntries);
    if (!journal)
        return std::unexpected(journal.error());
    return Device{std::move(*config), std::move(*journal)};
}

bool engineRunning(const Config &config) { return EngineLock::holder(config.device.stateDir).has_value(); }

void printProgress(qint64 bytes, qint64 total)
{
    static qint64 lastPercent = -1;
    const qint64 percent = total ? bytes * 100 / total : 0;
    if (percent != lastPercent) {
        lastPercent = percent;
        std::fprintf(stderr, "\rdownloading %3lld%% (%lld of %lld bytes)", static_cast<long long>(percent), static_cast<long long>(bytes),
                     static_cast<long long>(total));
    }
}

// Runs one engine job to its end on the event loop and returns its exit code. The
// process ends once the diagnostic report of an error (E09) has been sent or queued.
int runJob(UpdateEngine &engine, DiagnosticsReporter &reporter, void (UpdateEngine::*job)(), bool json)
{
    QObject::connect(&engine, &UpdateEngine::finished, qApp, [&] {
        if (!reporter.isBusy())
            QCoreApplication::exit(0);
    });
    QObject::connect(&reporter, &DiagnosticsReporter::idle, qApp, [&] {
        if (!engine.isRunning())
            QCoreApplication::exit(0);
    });
    if (!json) {
        QObject::connect(&engine, &UpdateEngine::progressChanged, &engine,
                         [&engine] { printProgress(engine.progress().bytes, engine.progress().total); });
    }
    QTimer::singleShot(0, &engine, job);
    QCoreApplication::exec();
    if (!json && engine.progress().total)
        std::fputc('\n', stderr);
    if (engine.error())
        return report(*engine.error());
    return 0;
}

QJsonObject checkJson(const CheckResult &r)
{
    return QJsonObject{{QStringLiteral("available"), r.available},
                       {QStringLiteral("version"), r.version.isEmpty() ? QJsonValue() : QJsonValue(r.version)},
                       {QStringLiteral("priority"), r.priority},
                       {QStringLiteral("size"), double(r.size)},
                       {QStringLiteral("notes"), r.notes}};
}

void printStatus(const DeviceStatus &s, bool json)
{
    if (json) {
        printJson(s.toJson());
        return;
    }
    printLine(QStringLiteral("state: %1").arg(s.state));
    printLine(QStringLiteral("running version: %1").arg(s.currentVersion));
    printLine(QStringLiteral("staged version: %1").arg(s.stagedVersion.isEmpty() ? QStringLiteral("none") : s.stagedVersion));
    printLine(QStringLiteral("available version: %1").arg(s.available.isEmpty() ? QStringLiteral("none") : s.available));
    printLine(QStringLiteral("last check: %1").arg(s.lastCheck.isEmpty() ? QStringLiteral("never") : s.lastCheck));
    if (!s.lastError.isEmpty())
        printLine(QStringLiteral("last error: %1 (exit %2, %3)")
                      .arg(s.lastError.value(QStringLiteral("message")).toString())
                      .arg(s.lastError.value(QStringLiteral("code")).toInt())
                      .arg(s.lastError.value(QStringLiteral("edge")).toString()));
    printLine(QStringLiteral("diagnostic data consent: %1").arg(s.consent ? QStringLiteral("on") : QStringLiteral("off")));
}

void printCheck(const CheckResult &r, const QString &running, bool json)
{
    if (json)
        printJson(checkJson(r));
    else
        printLine(r.available ? QStringLiteral("update available: %1 (%2 bytes)%3")
                                    .arg(r.version)
                                    .arg(r.size)
                                    .arg(r.priority ? QStringLiteral(", priority") : QString())
                              : QStringLiteral("no update (running %1)").arg(running));
}

void printDownloaded(const CheckResult &r, const DeviceStatus &s, const QString &running, bool json)
{
    if (json) {
        QJsonObject o = checkJson(r);
        o.insert(QStringLiteral("state"), s.state);
        o.insert(QStringLiteral("stagedVersion"), s.stagedVersion.isEmpty() ? QJsonValue() : QJsonValue(s.stagedVersion));
        o.insert(QStringLiteral("rebootPending"), s.rebootPending);
        printJson(o);
    } else {
        printLine(s.stagedVersion.isEmpty() ? QStringLiteral("no update (running %1)").arg(running)
                  : s.rebootPending         ? QStringLiteral("priority update %1 staged; rebooting into recovery").arg(s.stagedVersion)
                                            : QStringLiteral("update %1 is ready to install (s16-update install)").arg(s.stagedVersion));
    }
}

void printInstallRequested(bool json)
{
    if (json)
        printJson(QJsonObject{{QStringLiteral("rebootPending"), true}});
    else
        printLine(QStringLiteral("rebooting into recovery to install the update"));
}

void printConsent(bool consent, bool json)
{
    if (json)
        printJson(QJsonObject{{QStringLiteral("consent"), consent}});
    else
        printLine(consent ? QStringLiteral("on") : QStringLiteral("off"));
}

void printLog(const QList<LogEntry> &entries, bool json)
{
    QJsonArray list;
    for (const LogEntry &e : entries) {
        if (json) {
            list.append(toJson(e));
        } else {
            printLine(QStringLiteral("%1 %2 %3%4 %5")
                          .arg(e.time.toString(Qt::ISODate), levelName(e.level), e.edge.isEmpty() ? QString() : e.edge + QLatin1Char(' '),
                               e.code ? QStringLiteral("[exit %1]").arg(e.code) : QString(), e.message));
        }
    }
    if (json)
        printJson(QJsonObject{{QStringLiteral("entries"), list}});
}

bool sameFile(const QString &a, const QString &b)
{
    const QString ca = QFileInfo(a).canonicalFilePath();
    return !ca.isEmpty() && ca == QFileInfo(b).canonicalFilePath();
}

// The device's commands through the update service, as `rauc install` does: the caller needs
// no access of its own (root or the group s16-update may call). Same output, same exit codes;
// an error's detail stays in the service's log.
int viaService(const ServiceClient &client, const QString &command, const QStringList &args, bool json)
{
    auto fail = [](const Error &e) { return report(e); };
    auto job = [&](const QString &method, const QString &operation, const QVariantList &callArgs = {}) -> int {
        auto progress = [json](const QVariantMap &p) {
            if (!json && !p.isEmpty())
                printProgress(p.value(QStringLiteral("bytes")).toLongLong(), p.value(QStringLiteral("total")).toLongLong());
        };
        const auto ended = client.runJob(method, operation, callArgs, progress);
        if (!ended)
            return fail(ended.error());
        if (ended->first != 0)
            return fail(Error{ExitCode(ended->first), ended->second, {}, {}});
        return 0;
    };
    if (command == QStringLiteral("log")) {
        const auto entries = client.log();
        if (!entries)
            return fail(entries.error());
        printLog(*entries, json);
        return 0;
    }
    int rc = 0;
    if (command == QStringLiteral("check"))
        rc = job(QStringLiteral("Check"), QStringLiteral("check"));
    else if (command == QStringLiteral("download"))
        rc = job(QStringLiteral("Download"), QStringLiteral("download"));
    else if (command == QStringLiteral("install"))
        rc = job(QStringLiteral("Install"), QStringLiteral("install"));
    else if (command == QStringLiteral("consent") && args.value(1) != QStringLiteral("show") && args.size() > 1)
        rc = job(QStringLiteral("SetConsent"), QStringLiteral("consent"), {args.value(1) == QStringLiteral("on")});
    if (rc != 0)
        return rc;
    const auto properties = client.properties();
    if (!properties)
        return fail(properties.error());
    const DeviceStatus s = ServiceClient::status(*properties);
    if (command == QStringLiteral("status"))
        printStatus(s, json);
    else if (command == QStringLiteral("check"))
        printCheck(ServiceClient::checkResult(*properties), s.currentVersion, json);
    else if (command == QStringLiteral("download"))
        printDownloaded(ServiceClient::checkResult(*properties), s, s.currentVersion, json);
    else if (command == QStringLiteral("install"))
        printInstallRequested(json);
    else
        printConsent(s.consent, json);
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("s16-update"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S16_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Keeps this device's system image up to date.\n\n"
                       "Commands:\n"
                       "  check            connect, verify the server and the signed metadata; report whether a newer image exists\n"
                       "  download         check, then download, verify and stage the image; a priority update reboots into recovery\n"
                       "  install          install the downloaded update now (\"Update now\"): reboot into recovery\n"
                       "  status           the updater's state\n"
                       "  consent on|off|show   diagnostic-data consent (off deletes reports not yet sent)\n"
                       "  diagnostics --preview print exactly the diagnostic report that would be sent\n"
                       "  log              the persistent error and event log, newest last\n"
                       "  daemon           check on schedule (checkIntervalSeconds plus jitter), never exits on its own\n"
                       "  boot-complete    after a boot: reload services, check health, commit or roll back"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"),
                                          QStringLiteral("Configuration file (default $S16_UPDATE_CONFIG or /etc/s16-update/update.conf)."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON object on stdout."));
    const QCommandLineOption previewOption(QStringLiteral("preview"), QStringLiteral("diagnostics: print the report that would be sent."));
    parser.addOption(configOption);
    parser.addOption(jsonOption);
    parser.addOption(previewOption);
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("check, download, install, status, consent, diagnostics, log, daemon, boot-complete"));
    if (!parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "s16-update: %s\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty()) {
        std::fprintf(stderr, "s16-update: no command given (see --help)\n");
        return 2;
    }
    const QString command = args.first();
    const bool json = parser.isSet(jsonOption);
    const QString configPath = parser.isSet(configOption) ? parser.value(configOption) : defaultConfigPath();

    static const QStringList known{QStringLiteral("check"),  QStringLiteral("download"), QStringLiteral("install"),
                                   QStringLiteral("status"), QStringLiteral("consent"),  QStringLiteral("diagnostics"),
                                   QStringLiteral("log"),    QStringLiteral("daemon"),   QStringLiteral("boot-complete")};
    if (!known.contains(command)) {
        std::fprintf(stderr, "s16-update: unknown command '%s' (see --help)\n", qPrintable(command));
        return 2;
    }

    // Where the update service serves this device, the commands that read or change it go
    // through the service; elsewhere (recovery, s16-devsim, a device without D-Bus, another
    // device's config) they run the engine in process.
    static const QStringList serviceCommands{QStringLiteral("check"),  QStringLiteral("download"), QStringLiteral("install"),
                                             QStringLiteral("status"), QStringLiteral("consent"),  QStringLiteral("log")};
    const QString consentArg = args.value(1, QStringLiteral("show"));
    const bool consentArgValid =
        consentArg == QStringLiteral("on") || consentArg == QStringLiteral("off") || consentArg == QStringLiteral("show");
    if (serviceCommands.contains(command) && (command != QStringLiteral("consent") || consentArgValid)) {
        if (auto client = ServiceClient::connect()) {
            if (auto properties = client->properties();
                properties && sameFile(properties->value(QStringLiteral("ConfigFile")).toString(), configPath))
                return viaService(*client, command, args, json);
        }
    }

    auto device = openDevice(configPath);
    if (!device)
        return report(device.error());
    Config &config = device->config;
    Journal &journal = *device->journal;

    if (command == QStringLiteral("status")) {
        printStatus(readDeviceStatus(config, journal, engineRunning(config)), json);
        return 0;
    }
    if (command == QStringLiteral("consent")) {
        const QString what = args.value(1, QStringLiteral("show"));
        if (what == QStringLiteral("on") || what == QStringLiteral("off")) {
            // Revoking also deletes the reports that wait to be sent (diagnostics::setConsent).
            if (auto s = diagnostics::setConsent(config, journal, what == QStringLiteral("on")); !s)
                return report(toError(s.error()));
        } else if (what != QStringLiteral("show")) {
            std::fprintf(stderr, "s16-update: consent takes on, off or show\n");
            return 2;
        }
        printConsent(diagnostics::consent(journal), json);
        return 0;
    }
    if (command == QStringLiteral("diagnostics")) {
        if (parser.isSet(previewOption)) {
            std::fputs(diagnostics::previewReport(config, journal).constData(), stdout);
            return 0;
        }
        const QStringList queued = diagnostics::queuedReports(config);
        if (json) {
            printJson(QJsonObject{
                {QStringLiteral("consent"), diagnostics::consent(journal)},
                {QStringLiteral("url"), config.diagnostics.url.isEmpty() ? QJsonValue() : QJsonValue(config.diagnostics.url.toString())},
                {QStringLiteral("queued"), QJsonArray::fromStringList(queued)}});
        } else {
            printLine(QStringLiteral("diagnostic data consent: %1")
                          .arg(diagnostics::consent(journal) ? QStringLiteral("on") : QStringLiteral("off")));
            printLine(QStringLiteral("reports go to: %1")
                          .arg(config.diagnostics.url.isEmpty() ? QStringLiteral("nowhere ([diagnostics] url is empty)")
                                                                : config.diagnostics.url.toString()));
            printLine(QStringLiteral("reports waiting to be sent: %1").arg(queued.size()));
        }
        return 0;
    }
    if (command == QStringLiteral("log")) {
        printLog(journal.entries(), json);
        return 0;
    }

    if (command == QStringLiteral("daemon")) {
        // The service owns the engine from here on: the schedule (E19/E20) and, where a
        // system bus runs, org.s16.Updater1 for the UI and the command line.
        UpdateService service(config, &journal);
        if (auto onBus = service.registerOnSystemBus(); !onBus) {
            if (QDBusConnection::systemBus().isConnected())
                return report(onBus.error()); // another service has the name, or the policy is not installed
            std::fprintf(stderr, "s16-update: no D-Bus system bus (%s); checking on schedule without the service's interface\n",
                         qPrintable(onBus.error().detail));
        }
        service.startSchedule();
        return QCoreApplication::exec();
    }
    // The commands below drive the engine: one engine per device at a time.
    UpdateEngine engine(config, &journal);
    DiagnosticsReporter reporter(config, &journal);
    reporter.attach(&engine); // E09 after an error; queued reports at the start of a cycle
    auto lock = EngineLock::tryAcquire(config.device.stateDir);
    if (!lock)
        return report(lock.error());
    if (command == QStringLiteral("check")) {
        const int rc = runJob(engine, reporter, &UpdateEngine::check, json);
        if (rc == 0)
            printCheck(engine.checkResult(), engine.runningVersion(), json);
        return rc;
    }
    if (command == QStringLiteral("download")) {
        const int rc = runJob(engine, reporter, &UpdateEngine::download, json);
        if (rc == 0)
            printDownloaded(engine.checkResult(), readDeviceStatus(config, journal, false), engine.runningVersion(), json);
        return rc;
    }
    if (command == QStringLiteral("install")) {
        if (auto s = engine.install(); !s)
            return report(s.error());
        printInstallRequested(json);
        return 0;
    }
    // boot-complete: E61-E65 on a new slot on trial, E53 after a failed install.
    auto booted = detectBootedSlot();
    if (!booted)
        return report(booted.error());
    const InstallReport result = runBootComplete(config, *booted);
    if (!result.status && result.path.contains(Edge::E53) && diagnostics::consent(journal)) {
        // E53 -> E08 -> E09: the network may not be up this early in the boot, so the
        // report waits in the queue for the next check.
        reporter.enqueue(result.status.error());
    }
    if (json) {
        QJsonArray path;
        for (Edge e : result.path)
            path.append(edgeName(e));
        QJsonObject o{{QStringLiteral("bootedSlot"), *booted},
                      {QStringLiteral("rebootRequested"), result.rebootRequested},
                      {QStringLiteral("edges"), path}};
        if (!result.status)
            o.insert(QStringLiteral("code"), toInt(result.status.error().code));
        printJson(o);
    }
    if (!result.status)
        return report(result.status.error());
    return 0;
}
