// s16-devsim: a simulated device on the host (CONTRACT §2, docs/devsim.md).
#include "devsim.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

using namespace s16::devsim;

namespace {

void printJson(const QJsonObject &o)
{
    std::fputs(QJsonDocument(o).toJson(QJsonDocument::Compact).append('\n').constData(), stdout);
    std::fflush(stdout);
}

void printLine(const QString &s)
{
    std::fputs(qPrintable(s + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

int report(const DevsimProblem &p)
{
    std::fprintf(stderr, "s16-devsim: %s\n", qPrintable(p.message));
    return exitCodeFor(p.code);
}

int usage(const QString &message)
{
    std::fprintf(stderr, "s16-devsim: %s (see --help)\n", qPrintable(message));
    return 2;
}

// 3 tells a script the device did not start at all (no slot left to boot).
int bootExitCode(const BootReport &r) { return r.mode == BootReport::Mode::NoBootableSlot ? 3 : 0; }

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("s16-devsim"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S16_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A simulated S16 device on the host: slots are files, the boot environment is a real\n"
                       "U-Boot or GRUB environment file, a reboot hands over to s16-recovery or s16-update.\n\n"
                       "Commands:\n"
                       "  init DIR --repo-url URL --ca CA.pem --pubkey PUB [--version 1.0.0] [--schema N] [--boot uboot|grub] [--token T]\n"
                       "                   [--image FILE | --image-size BYTES]\n"
                       "                   make a device in DIR; prints its config path last\n"
                       "  boot DIR         one power-on: the bootloader's choice, then what it starts\n"
                       "  run DIR          boot until no reboot is pending (at most 10 boots)\n"
                       "  show DIR         the device's slots, boot environment, database schema\n\n"
                       "DIR may be left out when --config names the device's update.conf."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("The device's update.conf (its folder is DIR)."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON object on stdout."));
    const QCommandLineOption repoOption(QStringLiteral("repo-url"), QStringLiteral("init: the release repository URL."),
                                        QStringLiteral("URL"));
    const QCommandLineOption caOption(QStringLiteral("ca"), QStringLiteral("init: the server's CA certificate (PEM)."),
                                      QStringLiteral("CA.pem"));
    const QCommandLineOption pubOption(QStringLiteral("pubkey"), QStringLiteral("init: the release signing public key (PEM)."),
                                       QStringLiteral("PUB"));
    const QCommandLineOption versionOption(QStringLiteral("image-version"),
                                           QStringLiteral("init: the version slot A runs (default 1.0.0; also --version VER)."),
                                           QStringLiteral("VER"), QStringLiteral("1.0.0"));
    const QCommandLineOption schemaOption(QStringLiteral("schema"), QStringLiteral("init: the app database's schema (default 1)."),
                                          QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption bootOption(QStringLiteral("boot"),
                                        QStringLiteral("init: the boot environment, uboot or grub (default uboot)."),
                                        QStringLiteral("uboot|grub"), QStringLiteral("uboot"));
    const QCommandLineOption tokenOption(QStringLiteral("token"), QStringLiteral("init: a bearer token for the server."),
                                         QStringLiteral("T"));
    const QCommandLineOption imageSizeOption(QStringLiteral("image-size"),
                                             QStringLiteral("init: bytes of slot A's image (default 1048576)."), QStringLiteral("BYTES"),
                                             QStringLiteral("1048576"));
    const QCommandLineOption imageOption(QStringLiteral("image"), QStringLiteral("init: slot A holds a copy of FILE as its running image."),
                                         QStringLiteral("FILE"));
    parser.addOptions({configOption, jsonOption, repoOption, caOption, pubOption, versionOption, schemaOption, bootOption, tokenOption,
                       imageSizeOption, imageOption});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("init, boot, run or show"));
    parser.addPositionalArgument(QStringLiteral("DIR"), QStringLiteral("the device's folder"));

    // `--version VER` after init names the image's version (CONTRACT); alone it is Qt's --version.
    QStringList arguments = QCoreApplication::arguments();
    const bool isInit = arguments.contains(QStringLiteral("init"));
    for (qsizetype i = 1; isInit && i < arguments.size(); ++i) {
        if (arguments.at(i) == QStringLiteral("--version") && i + 1 < arguments.size())
            arguments[i] = QStringLiteral("--image-version");
        else if (arguments.at(i).startsWith(QStringLiteral("--version=")))
            arguments[i].replace(0, 9, QStringLiteral("--image-version"));
    }
    if (!parser.parse(arguments))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return usage(QStringLiteral("no command given"));
    const QString command = args.first();
    QString dir = args.value(1);
    if (dir.isEmpty() && parser.isSet(configOption))
        dir = QFileInfo(parser.value(configOption)).absolutePath();
    if (dir.isEmpty())
        return usage(QStringLiteral("%1 needs the device folder DIR").arg(command));
    if (args.size() > 2)
        return usage(QStringLiteral("unexpected argument \"%1\"").arg(args.at(2)));
    const bool json = parser.isSet(jsonOption);
    const QString binDir = QCoreApplication::applicationDirPath();

    if (command == QStringLiteral("init")) {
        InitOptions opts;
        opts.dir = dir;
        opts.repoUrl = parser.value(repoOption);
        opts.caFile = parser.value(caOption);
        opts.publicKey = parser.value(pubOption);
        opts.version = parser.value(versionOption);
        opts.boot = parser.value(bootOption);
        opts.token = parser.value(tokenOption);
        bool ok = false;
        opts.schema = parser.value(schemaOption).toInt(&ok);
        if (!ok)
            return usage(QStringLiteral("--schema takes a whole number"));
        opts.imageBytes = parser.value(imageSizeOption).toLongLong(&ok);
        if (!ok)
            return usage(QStringLiteral("--image-size takes a number of bytes"));
        if (parser.isSet(imageOption) && parser.isSet(imageSizeOption))
            return usage(QStringLiteral("--image and --image-size exclude each other"));
        opts.imageFile = parser.value(imageOption);
        auto config = initDevice(opts);
        if (!config)
            return report(config.error());
        if (json)
            printJson(QJsonObject{{QStringLiteral("config"), *config}});
        else
            printLine(*config);
        return 0;
    }
    if (command == QStringLiteral("boot")) {
        auto r = boot(dir, binDir);
        if (!r)
            return report(r.error());
        if (json)
            printJson(r->toJson());
        else
            printLine(r->describe());
        return bootExitCode(*r);
    }
    if (command == QStringLiteral("run")) {
        auto reports = run(dir, binDir);
        if (!reports)
            return report(reports.error());
        QJsonArray boots;
        for (const BootReport &r : std::as_const(*reports)) {
            boots.append(r.toJson());
            if (!json)
                printLine(r.describe());
        }
        const BootReport &last = reports->constLast();
        if (json) {
            printJson(QJsonObject{{QStringLiteral("boots"), boots},
                                  {QStringLiteral("mode"), modeName(last.mode)},
                                  {QStringLiteral("slot"), last.slot},
                                  {QStringLiteral("powerCut"), last.powerCut},
                                  {QStringLiteral("rebootPending"), last.rebootPending}});
        } else if (last.rebootPending && !last.powerCut) {
            printLine(QStringLiteral("still rebooting after %1 boots").arg(reports->size()));
        }
        return bootExitCode(last);
    }
    if (command == QStringLiteral("show")) {
        auto state = show(dir);
        if (!state)
            return report(state.error());
        if (json) {
            printJson(*state);
        } else {
            printLine(QStringLiteral("booted: slot %1 (%2)")
                          .arg(state->value(QStringLiteral("bootedSlot")).toString(), state->value(QStringLiteral("mode")).toString()));
            const QJsonObject slots = state->value(QStringLiteral("slots")).toObject();
            for (const QString &slot : slots.keys()) {
                const QJsonObject s = slots.value(slot).toObject();
                printLine(QStringLiteral("slot %1: %2, %3")
                              .arg(slot, s.value(QStringLiteral("version")).toString(QStringLiteral("-")),
                                   s.value(QStringLiteral("state")).toString()));
            }
            const QJsonObject env = state->value(QStringLiteral("bootEnv")).toObject();
            for (const QString &key : env.keys())
                printLine(QStringLiteral("boot env: %1=%2").arg(key, env.value(key).toString()));
            const QJsonValue db = state->value(QStringLiteral("dbUserVersion"));
            printLine(QStringLiteral("database schema: %1").arg(db.isNull() ? QStringLiteral("none") : QString::number(db.toInt())));
            printLine(state->value(QStringLiteral("rebootPending")).toBool() ? QStringLiteral("a reboot is pending")
                                                                             : QStringLiteral("no reboot pending"));
        }
        return 0;
    }
    return usage(QStringLiteral("unknown command \"%1\"").arg(command));
}
