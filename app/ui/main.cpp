// s16-update-ui: the device UI (CONTRACT §2), a thin host for the QML module S16.Update.
#include "autopilot.h"
#include "config/config.h"
#include "uitext.h"
#include "updatecontroller.h"
#include "updateqml.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QGuiApplication>
#include <QLocale>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>
#include <QUrl>

#include <cstdio>
#include <memory>

namespace {

// --screenshot-dir: a PNG of the window whenever the screen changes, for demos and
// documentation ("0003-available.png").
void saveScreenshots(QQuickWindow *window, QObject *controller, const QString &dir)
{
    // Number on from the screenshots of an earlier run in the folder: the demo runs the UI
    // before and after the restart (other PNGs there, as the recovery screen's, do not count).
    auto count = std::make_shared<int>(int(QDir(dir).entryList({QStringLiteral("[0-9][0-9][0-9][0-9]-*.png")}, QDir::Files).size()));
    auto lastPage = std::make_shared<QString>();
    auto *poll = new QTimer(window);
    QObject::connect(poll, &QTimer::timeout, window, [window, controller, dir, count, lastPage] {
        const QString page = s16::UpdateController::pageName(controller->property("page").value<s16::UpdateController::Page>());
        if (page == *lastPage)
            return;
        *lastPage = page;
        // Let the new screen lay out and render before grabbing it.
        QTimer::singleShot(300, window, [window, page, dir, count] {
            const QString name = QStringLiteral("%1-%2.png").arg(++*count, 4, 10, QLatin1Char('0')).arg(page);
            if (!window->grabWindow().save(QDir(dir).filePath(name)))
                std::fprintf(stderr, "s16-update-ui: cannot write %s\n", qPrintable(QDir(dir).filePath(name)));
        });
    });
    poll->start(200);
}

} // namespace

struct Options {
    QCommandLineOption config{QStringLiteral("config"),
                              QStringLiteral("Configuration file (default $S16_UPDATE_CONFIG or /etc/s16-update/update.conf)."),
                              QStringLiteral("FILE")};
    QCommandLineOption screenshots{QStringLiteral("screenshot-dir"),
                                   QStringLiteral("Save a PNG of the window into DIR whenever the screen changes."), QStringLiteral("DIR")};
    QCommandLineOption autopilot{QStringLiteral("auto"),
                                 QStringLiteral("Demo: press the buttons for the user (check, update now, restart) and quit when "
                                                "the device restarts or the outcome was shown. Exit 0 on success, 3 when the "
                                                "outcome is a failed update, 1 on an error screen or a time-out.")};
};

void describe(QCommandLineParser &parser, const Options &options)
{
    parser.setApplicationDescription(
        QStringLiteral("The device's software update screen: shows whether an update is available, installs it on request, "
                       "counts down before a priority update restarts the device, and shows the update history and "
                       "diagnostic-data consent."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(options.config);
    parser.addOption(options.screenshots);
    parser.addOption(options.autopilot);
}

// --help and --version answer without a display, as every executable's do.
bool wantsTextOnly(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--help" || arg == "-h" || arg == "-?" || arg == "--help-all" || arg == "--version" || arg == "-v")
            return true;
    }
    return false;
}

int main(int argc, char *argv[])
{
    QCoreApplication::setApplicationName(QStringLiteral("s16-update-ui"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S16_VERSION));
    const Options options;
    if (wantsTextOnly(argc, argv)) {
        QCoreApplication app(argc, argv);
        QCommandLineParser parser;
        describe(parser, options);
        parser.process(app);
        return 0;
    }

    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    describe(parser, options);
    parser.process(app);

    const QString configPath = parser.isSet(options.config) ? parser.value(options.config) : s16::defaultConfigPath();
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(QStringLiteral("Basic"));
    s16::installUiTranslator(QLocale());

    QQmlApplicationEngine engine;
    s16::registerUpdateQml(engine);
    engine.setInitialProperties({{QStringLiteral("configFile"), configPath}});
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app, [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/S16/Update/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;

    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (parser.isSet(options.screenshots) && window) {
        const QString dir = parser.value(options.screenshots);
        if (!QDir().mkpath(dir)) {
            std::fprintf(stderr, "s16-update-ui: cannot create %s\n", qPrintable(dir));
            return 2;
        }
        saveScreenshots(window, window->property("controller").value<QObject *>(), dir);
    }
    if (parser.isSet(options.autopilot) && window)
        new Autopilot(window->property("controller").value<QObject *>(), 180, &app);
    return QGuiApplication::exec();
}
