// s16-update: the device's update client, headless (CONTRACT §2).
#include "config/config.h"
#include "diagnostics/diagnostics.h"
#include "diagnostics/reporter.h"
#include "install/install.h"
#include "online/devicestatus.h"
#include "online/updateengine.h"
#include "service/updateservice.h"
#include "store/journal.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDBusConnection>
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
        QObject::connect(&engine, &UpdateEngine::progressChanged, &engine, [&engine] {
            static qint64 lastPercent = -1;
            const auto &p = engine.progress();
            const qint64 percent = p.total ? p.bytes * 100 / p.total : 0;
            if (percent != lastPercent) {
                lastPercent = percent;
                std::fprintf(stderr, "\rdownloading %3lld%% (%lld of %lld bytes)", static_cast<long long>(percent),
                             static_cast<long long>(p.bytes), static_cast<long long>(p.total));
            }
        });
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

QString levelName(LogEntry::Level l)
{
    switch (l) {
    case LogEntry::Level::Info: return QStringLiteral("info");
    case LogEntry::Level::Warning: return QStringLiteral("warning");
    case LogEntry::Level::Error: return QStringLiteral("error");
    }
    return {};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("s16-update"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S16_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Keeps this device's system image up to date.\n\n"
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
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("Configuration file (default $S16_UPDATE_CONFIG or /etc/s16-update/update.conf)."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON object on stdout."));
    const QCommandLineOption previewOption(QStringLiteral("preview"), QStringLiteral("diagnostics: print the report that would be sent."));
    parser.addOption(configOption);
    parser.addOption(jsonOption);
    parser.addOption(previewOption);
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("check, download, install, status, consent, diagnostics, log, daemon, boot-complete"));
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

    static const QStringList known{QStringLiteral("check"), QStringLiteral("download"), QStringLiteral("install"),
                                   QStringLiteral("status"), QStringLiteral("consent"), QStringLiteral("diagnostics"), QStringLiteral("log"),
                                   QStringLiteral("daemon"), QStringLiteral("boot-complete")};
    if (!known.contains(command)) {
        std::fprintf(stderr, "s16-update: unknown command '%s' (see --help)\n", qPrintable(command));
        return 2;
    }

    auto device = openDevice(configPath);
    if (!device)
        return report(device.error());
    Config &config = device->config;
    Journal &journal = *device->journal;

    if (command == QStringLiteral("status")) {
        const DeviceStatus s = readDeviceStatus(config, journal, engineRunning(config));
        if (json) {
            printJson(s.toJson());
        } else {
            printLine(QStringLiteral("state: %1").arg(s.state));
            printLine(QStringLiteral("running version: %1").arg(s.currentVersion));
            printLine(QStringLiteral("staged version: %1").arg(s.stagedVersion.isEmpty() ? QStringLiteral("none") : s.stagedVersion));
            printLine(QStringLiteral("available version: %1").arg(s.available.isEmpty() ? QStringLiteral("none") : s.available));
            printLine(QStringLiteral("last check: %1").arg(s.lastCheck.isEmpty() ? QStringLiteral("never") : s.lastCheck));
            if (!s.lastError.isEmpty())
                printLine(QStringLiteral("last error: %1 (exit %2, %3)").arg(s.lastError.value(QStringLiteral("message")).toString())
                              .arg(s.lastError.value(QStringLiteral("code")).toInt()).arg(s.lastError.value(QStringLiteral("edge")).toString()));
            printLine(QStringLiteral("diagnostic data consent: %1").arg(s.consent ? QStringLiteral("on") : QStringLiteral("off")));
        }
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
        const bool consent = journal.value(QStringLiteral("consent")).toBool(false);
        if (json)
            printJson(QJsonObject{{QStringLiteral("consent"), consent}});
        else
            printLine(consent ? QStringLiteral("on") : QStringLiteral("off"));
        return 0;
    }
    if (command == QStringLiteral("diagnostics")) {
        if (parser.isSet(previewOption)) {
            std::fputs(diagnostics::previewReport(config, journal).constData(), stdout);
            return 0;
        }
        const QStringList queued = diagnostics::queuedReports(config);
        if (json) {
            printJson(QJsonObject{{QStringLiteral("consent"), diagnostics::consent(journal)},
                                  {QStringLiteral("url"), config.diagnostics.url.isEmpty() ? QJsonValue() : QJsonValue(config.diagnostics.url.toString())},
                                  {QStringLiteral("queued"), QJsonArray::fromStringList(queued)}});
        } else {
            printLine(QStringLiteral("diagnostic data consent: %1").arg(diagnostics::consent(journal) ? QStringLiteral("on") : QStringLiteral("off")));
            printLine(QStringLiteral("reports go to: %1").arg(config.diagnostics.url.isEmpty() ? QStringLiteral("nowhere ([diagnostics] url is empty)")
                                                                                                : config.diagnostics.url.toString()));
            printLine(QStringLiteral("reports waiting to be sent: %1").arg(queued.size()));
        }
        return 0;
    }
    if (command == QStringLiteral("log")) {
        const QList<LogEntry> entries = journal.entries();
        QJsonArray list;
        for (const LogEntry &e : entries) {
            if (json) {
                list.append(QJsonObject{{QStringLiteral("time"), e.time.toString(Qt::ISODateWithMs)},
                                        {QStringLiteral("level"), levelName(e.level)},
                                        {QStringLiteral("code"), e.code},
                                        {QStringLiteral("edge"), e.edge},
                                        {QStringLiteral("event"), e.event},
                                        {QStringLiteral("message"), e.message},
                                        {QStringLiteral("detail"), e.detail}});
            } else {
                printLine(QStringLiteral("%1 %2 %3%4 %5").arg(e.time.toString(Qt::ISODate), levelName(e.level),
                                                              e.edge.isEmpty() ? QString() : e.edge + QLatin1Char(' '),
                                                              e.code ? QStringLiteral("[exit %1]").arg(e.code) : QString(), e.message));
            }
        }
        if (json)
            printJson(QJsonObject{{QStringLiteral("entries"), list}});
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
        if (rc == 0) {
            const CheckResult &r = engine.checkResult();
            if (json)
                printJson(checkJson(r));
            else
                printLine(r.available ? QStringLiteral("update available: %1 (%2 bytes)%3").arg(r.version).arg(r.size)
                                            .arg(r.priority ? QStringLiteral(", priority") : QString())
                                      : QStringLiteral("no update (running %1)").arg(engine.runningVersion()));
        }
        return rc;
    }
    if (command == QStringLiteral("download")) {
        const int rc = runJob(engine, reporter, &UpdateEngine::download, json);
        if (rc == 0) {
            const DeviceStatus s = readDeviceStatus(config, journal, false);
            if (json) {
                QJsonObject o = checkJson(engine.checkResult());
                o.insert(QStringLiteral("state"), s.state);
                o.insert(QStringLiteral("stagedVersion"), s.stagedVersion.isEmpty() ? QJsonValue() : QJsonValue(s.stagedVersion));
                o.insert(QStringLiteral("rebootPending"), s.rebootPending);
                printJson(o);
            } else {
                printLine(s.stagedVersion.isEmpty() ? QStringLiteral("no update (running %1)").arg(engine.runningVersion())
                          : s.rebootPending ? QStringLiteral("priority update %1 staged; rebooting into recovery").arg(s.stagedVersion)
                                            : QStringLiteral("update %1 is ready to install (s16-update install)").arg(s.stagedVersion));
            }
        }
        return rc;
    }
    if (command == QStringLiteral("install")) {
        if (auto s = engine.install(); !s)
            return report(s.error());
        if (json)
            printJson(QJsonObject{{QStringLiteral("rebootPending"), true}});
        else
            printLine(QStringLiteral("rebooting into recovery to install the update"));
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
