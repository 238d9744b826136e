// s16-recovery: the recovery environment's program (CONTRACT §2). A Qt Quick progress
// screen over the install engine, or with --headless the same engine printing its
// progress as lines. The logic is core/install; this file only wires it up.

#include "config/config.h"
#include "recoverycontroller.h"

#include "uitext.h"

#include <QLocale>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QGuiApplication>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace s16;

namespace {

void printLine(FILE *stream, const QString &line)
{
    std::fputs(qPrintable(line + u'\n'), stream);
    std::fflush(stream);
}

} // namespace

int main(int argc, char **argv)
{
    // The options are read before any application object exists, so --help, --version and
    // usage errors work without a display; only the window needs a QGuiApplication.
    QCoreApplication::setApplicationName(QStringLiteral("s16-recovery"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S16_VERSION));
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("The S16 recovery environment: verifies the staged update, writes it to the inactive slot, "
                       "migrates the database and switches to the new slot on trial, or rolls back."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"),
                                          QStringLiteral("The device configuration (default: $S16_UPDATE_CONFIG or "
                                                         "/etc/s16-update/update.conf)."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption headlessOption(QStringLiteral("headless"),
                                            QStringLiteral("No window: print the progress as lines (\"step verify 42%\")."));
    const QCommandLineOption exitDelayOption(QStringLiteral("exit-delay"),
                                             QStringLiteral("Seconds the screen shows the outcome before exiting (default 3)."),
                                             QStringLiteral("SECONDS"), QStringLiteral("3"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Save the screen as a PNG when the outcome is shown (for docs and tests)."),
                                              QStringLiteral("FILE"));
    parser.addOptions({configOption, headlessOption, exitDelayOption, screenshotOption});
    if (!parser.parse(arguments)) {
        printLine(stderr, QStringLiteral("s16-recovery: ") + parser.errorText());
        return toInt(ExitCode::Usage);
    }
    const bool headless = parser.isSet(headlessOption);
    std::unique_ptr<QCoreApplication> app;
    if (headless || parser.isSet(QStringLiteral("help")) || parser.isSet(QStringLiteral("version")))
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QGuiApplication>(argc, argv);
    if (parser.isSet(QStringLiteral("help"))) {
        printLine(stdout, parser.helpText());
        return 0;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        printLine(stdout, QStringLiteral("s16-recovery ") + QCoreApplication::applicationVersion());
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printLine(stderr, QStringLiteral("s16-recovery: unexpected argument \"%1\"").arg(parser.positionalArguments().first()));
        return toInt(ExitCode::Usage);
    }
    bool delayOk = false;
    const int exitDelay = parser.value(exitDelayOption).toInt(&delayOk);
    if (!delayOk || exitDelay < 0) {
        printLine(stderr, QStringLiteral("s16-recovery: --exit-delay takes a number of seconds"));
        return toInt(ExitCode::Usage);
    }

    const auto config = loadConfig(parser.isSet(configOption) ? parser.value(configOption) : defaultConfigPath());
    if (!config) {
        printLine(stderr, QStringLiteral("s16-recovery: ") + toError(config.error()).message);
        return toInt(ExitCode::Usage);
    }

    RecoveryController controller(*config);
    RecoveryController::setInstance(&controller);
    const auto finish = [&controller] {
        if (controller.succeeded()) {
            printLine(stdout, QStringLiteral("done"));
        } else {
            printLine(stderr,
                      QStringLiteral("s16-recovery: %1%2")
                          .arg(controller.errorMessage(),
                               controller.errorDetail().isEmpty() ? QString() : QStringLiteral(" (") + controller.errorDetail() + u')'));
        }
    };

    if (headless) {
        QString last;
        const auto print = [&controller, &last] {
            if (controller.isFinished())
                return;
            const QString line =
                QStringLiteral("step %1 %2%").arg(RecoveryController::stepName(controller.step())).arg(controller.percent());
            if (line != last)
                printLine(stdout, line);
            last = line;
        };
        QObject::connect(&controller, &RecoveryController::stepChanged, &controller, print);
        QObject::connect(&controller, &RecoveryController::progressChanged, &controller, print);
        QObject::connect(&controller, &RecoveryController::finishedChanged, &controller, [&] {
            finish();
            QCoreApplication::exit(controller.exitCode());
        });
        controller.start();
        return app->exec();
    }

    // The screen follows the system locale, with the UI's translations (translations/), and
    // looks like the device UI: the same Basic style (not the platform's Fusion greys).
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(QStringLiteral("Basic"));
    s16::installUiTranslator(QLocale());
    QQmlApplicationEngine engine;
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, app.get(), [] { QCoreApplication::exit(toInt(ExitCode::Usage)); },
        Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/S16/Recovery/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return toInt(ExitCode::Usage);
    const QString screenshot = parser.value(screenshotOption);
    QObject::connect(&controller, &RecoveryController::finishedChanged, &controller, [&] {
        finish();
        if (!screenshot.isEmpty()) {
            // after the outcome has been laid out and drawn
            QTimer::singleShot(200, &controller, [&engine, screenshot] {
                auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().value(0));
                if (!window || !window->grabWindow().save(screenshot))
                    printLine(stderr, QStringLiteral("s16-recovery: cannot save the screenshot %1").arg(screenshot));
            });
        }
        QTimer::singleShot(std::max(exitDelay * 1000, screenshot.isEmpty() ? 0 : 400), &controller,
                           [&controller] { QCoreApplication::exit(controller.exitCode()); });
    });
    controller.start();
    return app->exec();
}
