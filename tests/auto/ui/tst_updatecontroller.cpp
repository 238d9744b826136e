#include "store/journal.h"
#include "testdevice.h"
#include "uitext.h"
#include "updatecontroller.h"

#include "support/datatable.h"
#include "support/testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QLoggingCategory>
#include <QMutex>
#include <QSignalSpy>
#include <QScopeGuard>
#include <QTest>
#include <QThread>
#include <QTimeZone>

using namespace s16;

// The controller against a real journal in a temporary device: the state each
// screen needs is put there the way the engine, the daemon or boot-complete leave
// it, and what the user does through the controller is read back from the journal.
class tst_UpdateController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void opensDevice();
    void refusesServiceOfAnotherDevice();
    void serviceMissingThenBack();
    void consentPersisted();
    void pageForState_data();
    void pageForState();
    void notesInUsersLanguage_data();
    void notesInUsersLanguage();
    void progressFromOtherProcess();
    void smallerDownloadSaysWhatItFetches();
    void quickConsentTogglesDoNotFlicker();
    void errorTextsForEveryCode_data();
    void errorTextsForEveryCode();
    void checkUnreachableServer();
    void checkWhileEngineLocked();
    void noEngineInTheUi();
    void reopenDuringJobForgetsIt();
    void laterHidesUntilNextCheck();
    void updateNowRequestsRebootAndRestarts();
    void priorityCountdownRestarts();
    void restartNowSkipsCountdown();
    void restartThatFailsIsToldAndTheRequestStands();
    void outcomeDismissedIsPersisted();
    void outcomeTexts_data();
    void outcomeTexts();
    void diagnosticsPreview();
    void statusAgreesWithCommandLine();
    void durationsArePlural_data();
    void durationsArePlural();
    void etaFollowsTheRecentRate();
    void availableAfterRestart();
    void laterStillSaysAvailable();
    void statusJsonHasAvailable_data();
    void statusJsonHasAvailable();
    void lastCheckSaysWhatItFound();
    void datesInOneFormat_data();
    void datesInOneFormat();
    void failedOutcomeNotRepeatedAsError();
    void outcomeReasonsInGerman_data();
    void outcomeReasonsInGerman();
    void technicalDetailsSayEachOnce();
    void namesOfStatesAndPages();
    void urgentWhileRestarting();

private:
    std::unique_ptr<TestDevice> m_device;
    std::unique_ptr<UpdateController> m_controller;
    bool openController();
    void dismissOutcomeForGood(UpdateController &again);
};

void tst_UpdateController::initTestCase()
{
    // The private system bus, before anything in this process connects to "the system bus".
    QVERIFY2(TestDevice::startTestBus(), "cannot start the test's system bus");
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("en"));
}

void tst_UpdateController::init()
{
    m_device = std::make_unique<TestDevice>();
    QVERIFY2(m_device->isValid(), qPrintable(m_device->error()));
    m_controller = std::make_unique<UpdateController>();
    m_controller->setConfigFile(m_device->configPath());
}

void tst_UpdateController::cleanup()
{
    m_controller.reset();
    m_device.reset();
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    installUiTranslator(QLocale());
}

bool tst_UpdateController::openController()
{
    if (!m_device->startService()) {
        qWarning().noquote() << m_device->error();
        return false;
    }
    return m_controller->open();
}

// OK on the outcome screen is kept on the device: again, a UI started later, opens on the
// status screen.
void tst_UpdateController::dismissOutcomeForGood(UpdateController &again)
{
    QVERIFY(openController());
    QCOMPARE(m_controller->page(), UpdateController::Page::Outcome);
    m_controller->dismissOutcome();
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
    QTRY_COMPARE_WITH_TIMEOUT(m_device->value(QStringLiteral("outcome")).toMap().value(QStringLiteral("seen")).toBool(), true, 5000);
    again.setConfigFile(m_device->configPath());
    QVERIFY(again.open());
    QCOMPARE(again.page(), UpdateController::Page::Status);
}

void tst_UpdateController::opensDevice()
{
    QVERIFY(openController());
    QVERIFY(m_controller->isReady());
    QCOMPARE(m_controller->state(), UpdateController::State::Idle);
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
    QCOMPARE(m_controller->currentVersion(), QStringLiteral("1.0.0"));
    QCOMPARE(m_controller->consent(), false);
    QCOMPARE(m_controller->lastCheckText(), QStringLiteral("Never"));
    QCOMPARE(m_controller->stateText(), QStringLiteral("Not checked for updates yet."));
    QVERIFY(m_controller->lastError().isEmpty());
    QVERIFY(m_controller->availableVersion().isEmpty());
}

void tst_UpdateController::refusesServiceOfAnotherDevice()
{
    // The service serves the device's configuration, the UI was told another one.
    m_controller->setConfigFile(m_device->dir() + QStringLiteral("/other.conf"));
    QVERIFY(!openController());
    QVERIFY(!m_controller->isReady());
    QCOMPARE(m_controller->page(), UpdateController::Page::Error);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("code")).toInt(), 2);
    QVERIFY(m_controller->lastError().value(QStringLiteral("detail")).toString().contains(QStringLiteral("other.conf")));
    QCOMPARE(m_controller->errorTitle(), UpdateController::titleForCode(2));
    QVERIFY(m_controller->currentVersion().isEmpty()); // nothing of another device is shown
}

void tst_UpdateController::serviceMissingThenBack()
{
    // No service on the bus: the UI says so in plain words and follows the bus.
    QVERIFY(!m_controller->open());
    QCOMPARE(m_controller->page(), UpdateController::Page::Error);
    QCOMPARE(m_controller->errorTitle(), QStringLiteral("The updater is not running"));
    QVERIFY(m_controller->errorDetails().contains(QStringLiteral("org.s16.Updater1")));
    QVERIFY2(m_device->startService(), qPrintable(m_device->error()));
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->isReady(), 5000);
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
    QCOMPARE(m_controller->currentVersion(), QStringLiteral("1.0.0"));
    // The service restarts (an update of the service, a crash): gone, then back by itself.
    m_device->stopService();
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->page(), UpdateController::Page::Error, 5000);
    QVERIFY(m_controller->currentVersion().isEmpty());
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY2(m_device->startService(), qPrintable(m_device->error()));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->page(), UpdateController::Page::Available, 5000);
    QCOMPARE(m_controller->availableVersion(), QStringLiteral("2.1.0"));
}

void tst_UpdateController::consentPersisted()
{
    QVERIFY(openController());
    QSignalSpy changed(m_controller.get(), &UpdateController::statusChanged);
    // What `s16-update consent show` would read: the journal, through a connection of its own.
    const auto stored = [this](bool fallback) {
        auto other = Journal::open(m_device->dir() + QStringLiteral("/state"));
        return other ? (*other)->value(QStringLiteral("consent")).toBool(fallback) : fallback;
    };
    m_controller->setConsent(true);
    QVERIFY(m_controller->consent()); // the switch follows the finger at once
    QVERIFY(!changed.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(stored(false), true, 5000); // the service wrote it
    m_controller->setConsent(false);
    QTRY_COMPARE_WITH_TIMEOUT(stored(true), false, 5000);
    QCOMPARE(m_controller->consent(), false);

    // Consent given elsewhere shows up once the service sees it.
    auto other = Journal::open(m_device->dir() + QStringLiteral("/state"));
    QVERIFY(other);
    QVERIFY((*other)->set(QStringLiteral("consent"), true));
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->consent(), 5000);
}

void tst_UpdateController::pageForState_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<UpdateController::Page>("page");
    QTest::addColumn<UpdateController::State>("state");
    QTest::addColumn<QString>("available");

    QTest::newRow("nothing") << "" << UpdateController::Page::Status << UpdateController::State::Idle << "";
    QTest::newRow("staged") << "stage" << UpdateController::Page::Available << UpdateController::State::Ready << "2.1.0";
    QTest::newRow("staged priority, reboot requested")
        << "priority" << UpdateController::Page::Priority << UpdateController::State::RebootPending << "2.1.0";
    QTest::newRow("reboot requested") << "reboot" << UpdateController::Page::Progress << UpdateController::State::RebootPending << "2.1.0";
    QTest::newRow("failed") << "fail" << UpdateController::Page::Error << UpdateController::State::Idle << "";
    QTest::newRow("failed but staged") << "stage+fail" << UpdateController::Page::Error << UpdateController::State::Ready << "2.1.0";
    QTest::newRow("updated") << "updated" << UpdateController::Page::Outcome << UpdateController::State::Idle << "";
    QTest::newRow("outcome seen") << "seen" << UpdateController::Page::Status << UpdateController::State::Idle << "";
    QTest::newRow("trial") << "trial" << UpdateController::Page::Status << UpdateController::State::Trial << "";
}

void tst_UpdateController::pageForState()
{
    QFETCH(QString, setup);
    QFETCH(UpdateController::Page, page);
    QFETCH(UpdateController::State, state);
    QFETCH(QString, available);

    TestDevice &d = *m_device;
    if (setup.contains(QStringLiteral("stage")))
        QVERIFY(d.stage(QStringLiteral("2.1.0"), false));
    if (setup == QStringLiteral("priority"))
        QVERIFY(d.stage(QStringLiteral("2.1.0"), true) && d.requestReboot());
    if (setup == QStringLiteral("reboot"))
        QVERIFY(d.stage(QStringLiteral("2.1.0"), false) && d.requestReboot());
    if (setup.contains(QStringLiteral("fail")))
        QVERIFY(d.fail(14, QStringLiteral("images/s16.img interrupted"), QStringLiteral("E34")));
    if (setup == QStringLiteral("updated"))
        QVERIFY(d.outcome(QStringLiteral("updated"), QStringLiteral("2.1.0"), QStringLiteral("1.0.0")));
    if (setup == QStringLiteral("seen")) {
        QVERIFY(d.outcome(QStringLiteral("updated"), QStringLiteral("2.1.0"), QStringLiteral("1.0.0")));
        QVariantMap o = d.value(QStringLiteral("outcome")).toMap();
        o.insert(QStringLiteral("seen"), true);
        QVERIFY(d.set(QStringLiteral("outcome"), o));
    }
    if (setup == QStringLiteral("trial"))
        QVERIFY(d.set(QStringLiteral("slots"),
                      QVariantMap{{QStringLiteral("A"), QVariantMap{{QStringLiteral("version"), QStringLiteral("1.0.0")},
                                                                    {QStringLiteral("state"), QStringLiteral("good")}}},
                                  {QStringLiteral("B"), QVariantMap{{QStringLiteral("version"), QStringLiteral("2.1.0")},
                                                                    {QStringLiteral("state"), QStringLiteral("trial")}}}}));

    QVERIFY(openController());
    QCOMPARE(m_controller->state(), state);
    QCOMPARE(m_controller->page(), page);
    QCOMPARE(m_controller->availableVersion(), available);
    if (!available.isEmpty()) {
        QCOMPARE(m_controller->size(), 4096);
        QCOMPARE(m_controller->isDownloaded(), true);
        QCOMPARE(m_controller->isPriority(), setup == QStringLiteral("priority"));
    }
    if (page == UpdateController::Page::Error) {
        QCOMPARE(m_controller->lastError().value(QStringLiteral("code")).toInt(), 14);
        QCOMPARE(m_controller->lastError().value(QStringLiteral("edge")).toString(), QStringLiteral("E34"));
        QCOMPARE(m_controller->errorTitle(), QStringLiteral("The update could not be downloaded completely"));
        QVERIFY(m_controller->errorDetails().contains(QStringLiteral("images/s16.img interrupted")));
        // Closed by the user: the next screen in line shows.
        m_controller->dismissError();
        QCOMPARE(m_controller->page(),
                 setup.contains(QStringLiteral("stage")) ? UpdateController::Page::Available : UpdateController::Page::Status);
    }
}

void tst_UpdateController::notesInUsersLanguage_data()
{
    QTest::addColumn<QLocale>("locale");
    QTest::addColumn<QString>("notes");
    QTest::newRow("en") << QLocale(QLocale::English, QLocale::UnitedKingdom) << "Faster start-up.";
    QTest::newRow("de") << QLocale(QLocale::German, QLocale::Germany) << "Schnellerer Start.";
    QTest::newRow("fr falls back to en") << QLocale(QLocale::French, QLocale::France) << "Faster start-up.";
}

void tst_UpdateController::notesInUsersLanguage()
{
    QFETCH(QLocale, locale);
    QFETCH(QString, notes);
    QLocale::setDefault(locale);
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY(openController());
    QCOMPARE(m_controller->notes(), notes);
}

void tst_UpdateController::progressFromOtherProcess()
{
    QVERIFY(m_device->downloading(64 * 1000 * 1000, 256 * 1000 * 1000, 2 * 1000 * 1000, 96));
    QVERIFY(openController());
    QCOMPARE(m_controller->state(), UpdateController::State::Downloading);
    QCOMPARE(m_controller->page(), UpdateController::Page::Progress);
    QCOMPARE(m_controller->progress(), 0.25);
    QCOMPARE(m_controller->bytes(), 64 * 1000 * 1000);
    QCOMPARE(m_controller->total(), 256 * 1000 * 1000);
    // The time left comes from the rate the controller saw over the last seconds, not from
    // the engine's estimate (etaFollowsTheRecentRate): none yet.
    QCOMPARE(m_controller->eta(), -1);
    QCOMPARE(m_controller->bytesText(), QStringLiteral("64.0 MB of 256.0 MB"));
    QCOMPARE(m_controller->rateText(), QStringLiteral("2.0 MB/s"));
    QCOMPARE(m_controller->etaText(), QStringLiteral("Estimating the time left…"));

    // The other process ends: the controller notices at its next poll.
    QVERIFY(m_device->holdLock(false));
    QVERIFY(m_device->set(QStringLiteral("progress"), QVariant()));
    QVERIFY(m_device->set(QStringLiteral("flow"), QVariantMap{{QStringLiteral("node"), QStringLiteral("WaitForImage")}}));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->state(), UpdateController::State::Idle, 5000);
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
}

void tst_UpdateController::errorTextsForEveryCode_data() { test::addRows<int>("code", "%d", {2, 10, 11, 12, 13, 14, 15, 16, 20}); }

void tst_UpdateController::errorTextsForEveryCode()
{
    QFETCH(int, code);
    const QString title = UpdateController::titleForCode(code);
    const QString advice = UpdateController::adviceForCode(code);
    QVERIFY(!title.isEmpty());
    QVERIFY(!advice.isEmpty());
    // Each code has words of its own, not the catch-all.
    QVERIFY(title != UpdateController::titleForCode(99));
    for (int other : {2, 10, 11, 12, 13, 14, 15, 16, 20}) {
        if (other != code)
            QVERIFY2(title != UpdateController::titleForCode(other), qPrintable(QString::number(other)));
    }
    // And they are translated.
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("de"));
    QVERIFY(UpdateController::titleForCode(code) != title);
    QVERIFY(UpdateController::adviceForCode(code) != advice);
}

void tst_UpdateController::checkUnreachableServer()
{
    QVERIFY(openController());
    QSignalSpy finished(m_controller.get(), &UpdateController::jobFinished);
    m_controller->check();
    QVERIFY(m_controller->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
    QCOMPARE(finished.first().first().toMap().value(QStringLiteral("code")).toInt(), 10);
    QVERIFY(!m_controller->isBusy());
    QCOMPARE(m_controller->page(), UpdateController::Page::Error);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("code")).toInt(), 10);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("edge")).toString(), QStringLiteral("E07"));
    QCOMPARE(m_controller->errorTitle(), QStringLiteral("The update server cannot be reached"));
    // The lock is released once the job is over.
    QVERIFY(m_device->holdLock(true));
    // The engine logged it: the journal says the same as the screen.
    QCOMPARE(m_device->value(QStringLiteral("lastError")).toMap().value(QStringLiteral("code")).toInt(), 10);
}

namespace {
// The threads that took flowchart edges (the engine logs each one in s16.flow).
QMutex flowThreadsMutex;
QList<QThread *> flowThreads;
QtMessageHandler previousHandler = nullptr;
void recordFlowThread(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && qstrcmp(context.category, "s16.flow") == 0) {
        const QMutexLocker lock(&flowThreadsMutex);
        flowThreads.append(QThread::currentThread());
    }
    previousHandler(type, context, message);
}
} // namespace

void tst_UpdateController::noEngineInTheUi()
{
    // The engine's work (a check here, then "Update now") runs in the service: this process,
    // the UI's, takes no edge of the flowchart at all, and still sees the results.
    QLoggingCategory::setFilterRules(QStringLiteral("s16.flow.debug=true"));
    previousHandler = qInstallMessageHandler(recordFlowThread);
    const auto restore = qScopeGuard([] {
        qInstallMessageHandler(previousHandler);
        QLoggingCategory::setFilterRules(QString());
    });
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY(openController());
    QSignalSpy finished(m_controller.get(), &UpdateController::jobFinished);
    QSignalSpy restart(m_controller.get(), &UpdateController::restartRequested);
    m_controller->check(); // the server is unreachable: E01 ... E07 into the error log
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("code")).toInt(), 10);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("edge")).toString(), QStringLiteral("E07"));
    m_controller->updateNow(); // E42
    QTRY_COMPARE_WITH_TIMEOUT(restart.size(), 1, 5000);
    QVERIFY(m_device->rebooted());
    const QMutexLocker lock(&flowThreadsMutex);
    QVERIFY2(flowThreads.isEmpty(), "the UI process ran the engine");
}

void tst_UpdateController::reopenDuringJobForgetsIt()
{
    // Opening the device again (a new configFile) ends the running job with its engine thread;
    // nothing the old engine said afterwards reaches the screen, and the lock is free.
    QVERIFY(openController());
    QSignalSpy finished(m_controller.get(), &UpdateController::jobFinished);
    m_controller->check();
    QVERIFY(m_controller->isBusy());
    // The GUI thread looks away while the engine fails to reach the server (E07, about 0.1 s
    // here), so the engine's "finished" is already queued for it when the device is reopened.
    QThread::msleep(1000);
    QVERIFY(m_controller->open());
    QVERIFY(!m_controller->isBusy());
    QTest::qWait(300);
    QCOMPARE(finished.size(), 0);
    QVERIFY(!m_controller->isBusy());
    QVERIFY(m_device->holdLock(true));
}

void tst_UpdateController::checkWhileEngineLocked()
{
    QVERIFY(m_device->holdLock(true));
    QVERIFY(openController());
    QSignalSpy finished(m_controller.get(), &UpdateController::jobFinished);
    m_controller->check();
    // The service refuses: another program holds the engine lock.
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
    QVERIFY(!m_controller->isBusy());
    QCOMPARE(m_controller->page(), UpdateController::Page::Error);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("code")).toInt(), 2);
    QCOMPARE(finished.constFirst().constFirst().toMap().value(QStringLiteral("code")).toInt(), 2);
    QCOMPARE(m_controller->errorAdvice(), UpdateController::adviceForCode(2));
}

void tst_UpdateController::laterHidesUntilNextCheck()
{
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY(m_device->set(QStringLiteral("lastCheck"), QStringLiteral("2026-11-20T10:00:00Z")));
    QVERIFY(openController());
    QCOMPARE(m_controller->page(), UpdateController::Page::Available);
    m_controller->later();
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
    m_controller->refresh();
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
    // The daemon checks again: the update is offered again.
    QVERIFY(m_device->set(QStringLiteral("lastCheck"), QStringLiteral("2026-11-21T10:00:00Z")));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->page(), UpdateController::Page::Available, 5000);
}

void tst_UpdateController::updateNowRequestsRebootAndRestarts()
{
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY(openController());
    QSignalSpy restart(m_controller.get(), &UpdateController::restartRequested);
    m_controller->updateNow();
    // The engine records the request on its own thread: the GUI thread returns at once.
    QVERIFY(m_controller->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(restart.size(), 1, 5000);
    QVERIFY(!m_controller->isBusy());
    QVERIFY2(m_controller->lastError().isEmpty(), qPrintable(m_controller->lastError().value(QStringLiteral("message")).toString()));
    QCOMPARE(m_device->value(QStringLiteral("rebootPending")).toBool(), true);
    QCOMPARE(m_controller->state(), UpdateController::State::RebootPending);
    QCOMPARE(m_controller->page(), UpdateController::Page::Progress);
    QTRY_VERIFY_WITH_TIMEOUT(m_device->rebooted(), 5000);
}

void tst_UpdateController::priorityCountdownRestarts()
{
    QVERIFY(m_device->writeConfig(4));
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), true) && m_device->requestReboot());
    QSignalSpy restart(m_controller.get(), &UpdateController::restartRequested);
    QVERIFY(openController());
    QCOMPARE(m_controller->page(), UpdateController::Page::Priority);
    // the service began counting when it started, a moment before this UI connected
    QVERIFY2(m_controller->countdown() >= 3 && m_controller->countdown() <= 4, qPrintable(QString::number(m_controller->countdown())));
    QVERIFY(!m_device->rebooted());
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->countdown() <= 2, 5000);
    QVERIFY(!m_device->rebooted());
    // The service restarts the device when its countdown ends, whether a UI watches or not.
    QTRY_VERIFY_WITH_TIMEOUT(m_device->rebooted(), 8000);
    QTRY_COMPARE_WITH_TIMEOUT(restart.size(), 1, 5000);
    QCOMPARE(m_controller->countdown(), 0);
    QVERIFY(m_controller->isRestarting());
}

void tst_UpdateController::restartNowSkipsCountdown()
{
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), true) && m_device->requestReboot());
    QVERIFY(openController());
    // the service began counting when it started, a moment before this UI connected
    QVERIFY2(m_controller->countdown() >= 55 && m_controller->countdown() <= 60, qPrintable(QString::number(m_controller->countdown())));
    QSignalSpy restart(m_controller.get(), &UpdateController::restartRequested);
    m_controller->restartNow();
    QTRY_VERIFY_WITH_TIMEOUT(m_device->rebooted(), 5000);
    // the service says so after running the command: the countdown ends then
    QTRY_COMPARE_WITH_TIMEOUT(restart.size(), 1, 5000);
    QCOMPARE(m_controller->countdown(), 0);
    QVERIFY(m_controller->isRestarting());
}

void tst_UpdateController::restartThatFailsIsToldAndTheRequestStands()
{
    QVERIFY(m_device->writeConfig(60, {}, QStringLiteral("exit 3")));
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), true) && m_device->requestReboot());
    QVERIFY(openController());
    QSignalSpy restart(m_controller.get(), &UpdateController::restartRequested);
    m_controller->restartNow();
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->lastError().value(QStringLiteral("code")).toInt(), 20, 5000);
    QCOMPARE(m_controller->lastError().value(QStringLiteral("message")).toString(), QStringLiteral("The device could not be restarted."));
    QVERIFY(m_controller->errorDetails().contains(QStringLiteral("installs at the next restart")));
    QCOMPARE(restart.size(), 0);
    QVERIFY(!m_controller->isRestarting());
    // The request stands: the next boot installs. The log says what happened.
    QCOMPARE(m_device->value(QStringLiteral("rebootPending")).toBool(), true);
    const QList<LogEntry> log = m_device->journal()->entries(1);
    QVERIFY(!log.isEmpty());
    QCOMPARE(log.constFirst().event, QStringLiteral("rebootFailed"));
    QCOMPARE(log.constFirst().level, LogEntry::Level::Warning);
}

void tst_UpdateController::outcomeDismissedIsPersisted()
{
    QVERIFY(m_device->outcome(QStringLiteral("updated"), QStringLiteral("2.1.0"), QStringLiteral("1.0.0")));
    UpdateController again;
    dismissOutcomeForGood(again);
}

void tst_UpdateController::outcomeTexts_data()
{
    QTest::addColumn<QString>("result");
    QTest::addColumn<bool>("german");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("reason");
    QTest::newRow("updated") << "updated" << false << "Your device now runs version 2.1.0."
                             << "";
    QTest::newRow("failed") << "failed" << false
                            << "Version 2.1.0 was not installed. Your device is running version 1.0.0 again and works as before."
                            << "The new version did not work properly when it started, so the device went back to the previous version.";
    QTest::newRow("updated de") << "updated" << true << "Auf Ihrem Gerät läuft jetzt Version 2.1.0."
                                << "";
    QTest::newRow("failed de")
        << "failed" << true
        << "Version 2.1.0 wurde nicht installiert. Auf Ihrem Gerät läuft wieder Version 1.0.0, und es funktioniert wie bisher."
        << "Die neue Version hat beim Start nicht richtig funktioniert, deshalb ist das Gerät zur vorherigen Version zurückgekehrt.";
}

void tst_UpdateController::outcomeTexts()
{
    QFETCH(QString, result);
    QFETCH(bool, german);
    QFETCH(QString, message);
    QFETCH(QString, reason);
    if (german) {
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("de"));
    }
    const bool failed = result == QStringLiteral("failed");
    const QString engineText = QStringLiteral("the new system (slot A) failed its check: the services are not healthy");
    QVERIFY(m_device->outcome(result, QStringLiteral("2.1.0"), QStringLiteral("1.0.0"), failed ? 20 : 0, failed ? engineText : QString(),
                              failed ? QStringLiteral("E62") : QStringLiteral("E65")));
    QVERIFY(openController());
    QCOMPARE(m_controller->outcomeSuccess(), !failed);
    QCOMPARE(m_controller->outcomeMessage(), message);
    QCOMPARE(m_controller->outcomeReason(), reason);
    // The engine's English goes to the technical details only.
    QVERIFY(!m_controller->outcomeReason().contains(QStringLiteral("slot")));
    QCOMPARE(m_controller->outcomeDetails().contains(engineText), failed);
}

void tst_UpdateController::diagnosticsPreview()
{
    QVERIFY(m_device->writeConfig(60, QStringLiteral("[server]\ntokenFile=token\n")));
    {
        QFile token(m_device->dir() + QStringLiteral("/token"));
        QVERIFY(token.open(QIODevice::WriteOnly));
        token.write("s3cr3t-t0ken\n");
    }
    QVERIFY(m_device->fail(13, QStringLiteral("bad signature"), QStringLiteral("E18"), QStringLiteral("Ed25519 verify failed")));
    QVERIFY(openController());
    const QString preview = m_controller->diagnosticsPreview();
    QJsonParseError error;
    const QJsonObject report = QJsonDocument::fromJson(preview.toUtf8(), &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(report.value(QStringLiteral("product")).toString(), QStringLiteral("s16"));
    // The report core/diagnostics builds, the same that `s16-update diagnostics --preview` prints.
    QCOMPARE(report.value(QStringLiteral("versions")).toObject().value(QStringLiteral("running")).toString(), QStringLiteral("1.0.0"));
    QCOMPARE(report.value(QStringLiteral("failure")).toObject().value(QStringLiteral("code")).toInt(), 13);
    QCOMPARE(report.value(QStringLiteral("failure")).toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E18"));
    const QJsonArray log = report.value(QStringLiteral("log")).toArray();
    QVERIFY(!log.isEmpty());
    QCOMPARE(log.last().toObject().value(QStringLiteral("message")).toString(), QStringLiteral("bad signature"));
    QVERIFY(!preview.contains(QStringLiteral("s3cr3t")));
}

void tst_UpdateController::statusAgreesWithCommandLine()
{
    const QString tool = test::binDir() + QStringLiteral("/s16-update");
    if (!QFile::exists(tool))
        QSKIP("s16-update is not built");
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY(openController());
    m_controller->setConsent(true);
    const test::ToolResult r =
        test::runTool(tool, {QStringLiteral("status"), QStringLiteral("--json"), QStringLiteral("--config"), m_device->configPath()});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QJsonObject cli = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(cli.value(QStringLiteral("state")).toString(), UpdateController::stateName(m_controller->state()));
    QCOMPARE(cli.value(QStringLiteral("currentVersion")).toString(), m_controller->currentVersion());
    QCOMPARE(cli.value(QStringLiteral("stagedVersion")).toString(), m_controller->availableVersion());
    QCOMPARE(cli.value(QStringLiteral("consent")).toBool(), m_controller->consent());
}

void tst_UpdateController::durationsArePlural_data()
{
    QTest::addColumn<bool>("german");
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("1 s") << false << qint64(1) << "1 second";
    QTest::newRow("45 s") << false << qint64(45) << "45 seconds";
    QTest::newRow("60 s") << false << qint64(60) << "1 minute";
    QTest::newRow("61 s") << false << qint64(61) << "2 minutes";
    QTest::newRow("1 h") << false << qint64(3600) << "1 hour";
    QTest::newRow("1 h 1 min") << false << qint64(3660) << "1 hour 1 minute";
    QTest::newRow("2 h 30 min") << false << qint64(9000) << "2 hours 30 minutes";
    QTest::newRow("1 s de") << true << qint64(1) << "1 Sekunde";
    QTest::newRow("45 s de") << true << qint64(45) << "45 Sekunden";
    QTest::newRow("2 h 30 min de") << true << qint64(9000) << "2 Stunden 30 Minuten";
}

void tst_UpdateController::durationsArePlural()
{
    QFETCH(bool, german);
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    if (german) {
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("de"));
    }
    QCOMPARE(UpdateController::formatDuration(seconds), text);
}

// Issue 14, item 10: "About 2 seconds left" at 21 % with 6.6 MB to go at 1 MB/s. The engine
// said 2 s (its rate over the whole transfer, swollen by a fast start); the controller
// estimates from what it saw arrive over the last seconds.
void tst_UpdateController::etaFollowsTheRecentRate()
{
    const qint64 total = 8400000;
    QVERIFY(m_device->downloading(1764000, total, 3300000, 2));
    QVERIFY(openController());
    QCOMPARE(m_controller->etaText(), QStringLiteral("Estimating the time left…"));
    // Another process records 1 MB more at a time; the service passes each on within two seconds.
    QVERIFY(m_device->downloading(2764000, total, 3300000, 2));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->bytes(), 2764000, 5000);
    QVERIFY(m_device->downloading(3764000, total, 3300000, 2));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->bytes(), 3764000, 5000);
    // About 2 MB in two to four seconds: at most 1 MB/s, 4.6 MB to go.
    const qint64 eta = m_controller->eta();
    QVERIFY2(eta >= 4 && eta <= 20, qPrintable(QString::number(eta)));
    QVERIFY2(m_controller->rate() < 1200000, qPrintable(QString::number(m_controller->rate())));
    QVERIFY(m_controller->etaText() != QStringLiteral("About 2 seconds left"));
}

// Item 3: a check (by the daemon, or before the UI restarted) found a newer version.
void tst_UpdateController::availableAfterRestart()
{
    QVERIFY(m_device->checked(QStringLiteral("2.1.0")));
    QVERIFY(openController());
    QCOMPARE(m_controller->availableVersion(), QStringLiteral("2.1.0"));
    QCOMPARE(m_controller->page(), UpdateController::Page::Available);
    QVERIFY(!m_controller->isDownloaded());
    QCOMPARE(m_controller->notesText(), QStringLiteral("What is new in this version is shown after the next check."));
    QCOMPARE(m_controller->stateText(), QStringLiteral("Version 2.1.0 is available."));
}

void tst_UpdateController::laterStillSaysAvailable()
{
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false));
    QVERIFY(openController());
    m_controller->later();
    QCOMPARE(m_controller->page(), UpdateController::Page::Status);
    QVERIFY(m_controller->isPostponed());
    QCOMPARE(m_controller->stateText(), QStringLiteral("Version 2.1.0 is ready to install."));
    QVERIFY(m_controller->stateText() != QStringLiteral("No update is waiting."));
    m_controller->showUpdate();
    QCOMPARE(m_controller->page(), UpdateController::Page::Available);
    QVERIFY(!m_controller->isPostponed());
}

void tst_UpdateController::statusJsonHasAvailable_data()
{
    QTest::addColumn<QString>("serverVersion");
    QTest::addColumn<QString>("staged");
    QTest::addColumn<QVariant>("available");
    QTest::newRow("newer found") << "2.1.0"
                                 << "" << QVariant(QStringLiteral("2.1.0"));
    QTest::newRow("same as running") << "1.0.0"
                                     << "" << QVariant();
    QTest::newRow("older than running") << "0.9.0"
                                        << "" << QVariant();
    QTest::newRow("staged") << "2.1.0"
                            << "2.1.0" << QVariant(QStringLiteral("2.1.0"));
    QTest::newRow("never checked") << ""
                                   << "" << QVariant();
}

// CONTRACT: `status --json` `available` is the newer version the last check found, or null.
void tst_UpdateController::statusJsonHasAvailable()
{
    QFETCH(QString, serverVersion);
    QFETCH(QString, staged);
    QFETCH(QVariant, available);
    const QString tool = test::binDir() + QStringLiteral("/s16-update");
    if (!QFile::exists(tool))
        QSKIP("s16-update is not built");
    if (!serverVersion.isEmpty())
        QVERIFY(m_device->checked(serverVersion));
    if (!staged.isEmpty())
        QVERIFY(m_device->stage(staged, false));
    const test::ToolResult r =
        test::runTool(tool, {QStringLiteral("status"), QStringLiteral("--json"), QStringLiteral("--config"), m_device->configPath()});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QJsonObject cli = QJsonDocument::fromJson(r.out).object();
    QVERIFY(cli.contains(QStringLiteral("available")));
    if (available.isValid())
        QCOMPARE(cli.value(QStringLiteral("available")).toString(), available.toString());
    else
        QVERIFY(cli.value(QStringLiteral("available")).isNull());
    QVERIFY(openController());
    QCOMPARE(m_controller->availableVersion(), available.toString());
}

void tst_UpdateController::lastCheckSaysWhatItFound()
{
    const QString time = QDateTime(QDate(2026, 12, 4), QTime(20, 17), QTimeZone::systemTimeZone()).toUTC().toString(Qt::ISODate);
    QVERIFY(m_device->checked(QStringLiteral("1.0.0"), time));
    QVERIFY(openController());
    QCOMPARE(m_controller->lastCheckText(), QStringLiteral("4 Dec 2026, 20:17: no newer version"));
    QVERIFY(m_device->checked(QStringLiteral("2.1.0"), time));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->lastCheckText(), QStringLiteral("4 Dec 2026, 20:17: version 2.1.0 found"), 5000);
    // A later check that failed is the last check, not the last one that worked.
    QVERIFY(m_device->fail(10, QStringLiteral("cannot reach the update server: Connection refused"), QStringLiteral("E07")));
    QTRY_VERIFY2_WITH_TIMEOUT(m_controller->lastCheckText().endsWith(QStringLiteral(": did not succeed")),
                              qPrintable(m_controller->lastCheckText()), 5000);
}

void tst_UpdateController::datesInOneFormat_data()
{
    QTest::addColumn<bool>("german");
    QTest::addColumn<QString>("text");
    QTest::newRow("en") << false << "4 Dec 2026, 20:17";
    QTest::newRow("de") << true << "4. Dez. 2026, 20:17";
}

// Item 11: the history, the last check and the technical details show one format.
void tst_UpdateController::datesInOneFormat()
{
    QFETCH(bool, german);
    QFETCH(QString, text);
    if (german) {
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("de"));
    }
    const QDateTime t(QDate(2026, 12, 4), QTime(20, 17, 54), QTimeZone::systemTimeZone());
    QCOMPARE(UpdateController::formatTime(t), text);
    QCOMPARE(UpdateController::formatTime(t.toUTC()), text);
}

// Item 5: after OK on "Update not installed" the error screen must not tell it again,
// also not in a UI started later.
void tst_UpdateController::failedOutcomeNotRepeatedAsError()
{
    QVERIFY(m_device->failedInstall(QStringLiteral("2.1.0"), QStringLiteral("1.0.0"), 20, QStringLiteral("E62"),
                                    QStringLiteral("the new system (slot B) failed its check: the services are not healthy")));
    UpdateController again;
    dismissOutcomeForGood(again);
    if (QTest::currentTestFailed())
        return;
    // A new failure after it is shown.
    QVERIFY(m_device->fail(10, QStringLiteral("cannot reach the update server"), QStringLiteral("E07")));
    QTRY_COMPARE_WITH_TIMEOUT(again.page(), UpdateController::Page::Error, 5000);
}

void tst_UpdateController::outcomeReasonsInGerman_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("edge");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("reason");
    QTest::newRow("health")
        << 20 << "E62"
        << "the new system (slot A) failed its check: the services are not healthy"
        << "Die neue Version hat beim Start nicht richtig funktioniert, deshalb ist das Gerät zur vorherigen Version zurückgekehrt.";
    QTest::newRow("did not start")
        << 20 << "E62"
        << "the new system (slot B) did not start"
        << "Die neue Version hat beim Start nicht richtig funktioniert, deshalb ist das Gerät zur vorherigen Version zurückgekehrt.";
    QTest::newRow("migration") << 20 << "E59"
                               << "cannot migrate the database: the migration to schema 2 failed"
                               << "Ihre Daten konnten nicht für die neue Version vorbereitet werden.";
    QTest::newRow("write") << 20 << "E51"
                           << "cannot write slot B: short write"
                           << "Die neue Version konnte nicht in den Speicher des Geräts geschrieben werden.";
    QTest::newRow("integrity")
        << 15 << "E48"
        << "images/s16-2.1.0.img does not match its SHA-256"
        << "Das heruntergeladene Update hat die Sicherheitsprüfung nicht bestanden und wurde deshalb nicht installiert.";
    QTest::newRow("storage") << 16 << ""
                             << "no space left on device"
                             << "Es war nicht genug Speicher frei, um das Update zu installieren.";
    QTest::newRow("other") << 20 << "E52"
                           << "cannot switch to slot B"
                           << "Das Update konnte nicht installiert werden.";
}

// Item 2: the German text of every failed outcome, without a word of the engine's English.
void tst_UpdateController::outcomeReasonsInGerman()
{
    QFETCH(int, code);
    QFETCH(QString, edge);
    QFETCH(QString, message);
    QFETCH(QString, reason);
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("de"));
    QVERIFY(m_device->failedInstall(QStringLiteral("2.1.0"), QStringLiteral("1.0.0"), code, edge, message));
    QVERIFY(openController());
    QCOMPARE(m_controller->page(), UpdateController::Page::Outcome);
    QCOMPARE(m_controller->outcomeReason(), reason);
    QCOMPARE(m_controller->outcomeMessage(),
             QStringLiteral(
                 "Version 2.1.0 wurde nicht installiert. Auf Ihrem Gerät läuft wieder Version 1.0.0, und es funktioniert wie bisher."));
    QVERIFY(m_controller->outcomeDetails().contains(message));
    QVERIFY(m_controller->outcomeDetails().startsWith(QStringLiteral("Fehlercode: %1").arg(code)));
}

// Item 7: the TLS message came twice (in the message and again as the detail).
// The names the service and `status --json` give the states, and the screenshots the pages.
void tst_UpdateController::namesOfStatesAndPages()
{
    using State = UpdateController::State;
    using Page = UpdateController::Page;
    const QList<std::pair<State, QString>> states{{State::Idle, QStringLiteral("idle")},
                                                  {State::Checking, QStringLiteral("checking")},
                                                  {State::Downloading, QStringLiteral("downloading")},
                                                  {State::Ready, QStringLiteral("ready")},
                                                  {State::RebootPending, QStringLiteral("rebootPending")},
                                                  {State::Installing, QStringLiteral("installing")},
                                                  {State::Trial, QStringLiteral("trial")}};
    for (const auto &[state, name] : states)
        QCOMPARE(UpdateController::stateName(state), name);
    const QList<std::pair<Page, QString>> pages{
        {Page::Status, QStringLiteral("status")},     {Page::Available, QStringLiteral("available")},
        {Page::Progress, QStringLiteral("progress")}, {Page::Priority, QStringLiteral("priority")},
        {Page::Error, QStringLiteral("error")},       {Page::Outcome, QStringLiteral("outcome")}};
    for (const auto &[page, name] : pages)
        QCOMPARE(UpdateController::pageName(page), name);
}

void tst_UpdateController::technicalDetailsSayEachOnce()
{
    QVERIFY(m_device->fail(11, QStringLiteral("TLS handshake with 127.0.0.1 failed: The certificate is self-signed, and untrusted"),
                           QStringLiteral("E12"), QStringLiteral("The certificate is self-signed, and untrusted")));
    QVERIFY(openController());
    const QString details = m_controller->errorDetails();
    QCOMPARE(details.count(QStringLiteral("self-signed")), 1);
    QVERIFY(details.contains(QStringLiteral("Step: E12")));
    QVERIFY(!m_controller->errorTitle().contains(QStringLiteral("TLS")));
}

// Item 11: no Settings or History while the device restarts to install.
void tst_UpdateController::urgentWhileRestarting()
{
    QVERIFY(openController());
    QVERIFY(!m_controller->isUrgent());
    QVERIFY(m_device->stage(QStringLiteral("2.1.0"), false) && m_device->requestReboot());
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->page(), UpdateController::Page::Progress, 5000);
    QVERIFY(m_controller->isUrgent());
}

void tst_UpdateController::smallerDownloadSaysWhatItFetches()
{
    // A delta (or compressed) download tells what it takes from the network beside the update's size.
    QVERIFY(m_device->downloading(64 * 1000 * 1000, 1100 * 1000 * 1000, 2 * 1000 * 1000, 96, 19 * 1000 * 1000));
    QVERIFY(openController());
    QTRY_COMPARE(m_controller->stateText(), QStringLiteral("Downloading 19.0 MB (update size 1.1 GB)"));
    // A whole raw image: nothing to say beyond the usual.
    QVERIFY(m_device->downloading(64 * 1000 * 1000, 1100 * 1000 * 1000, 2 * 1000 * 1000, 96, 1100 * 1000 * 1000));
    QTRY_COMPARE(m_controller->stateText(), QStringLiteral("Downloading the update…"));
}

void tst_UpdateController::quickConsentTogglesDoNotFlicker()
{
    // On, off, on, off faster than the service answers: what the switch shows never goes back to
    // an earlier answer of the service (that toggle was overtaken), and ends as the last one asked.
    QVERIFY(openController());
    QList<bool> shown;
    connect(m_controller.get(), &UpdateController::statusChanged, this, [&] { shown.append(m_controller->consent()); });
    for (bool on : {true, false, true, false})
        m_controller->setConsent(on);
    shown.clear();
    QTRY_COMPARE_WITH_TIMEOUT(m_device->value(QStringLiteral("consent")).toBool(), false, 5000);
    QTest::qWait(500); // every answer of the service has arrived
    QCOMPARE(m_controller->consent(), false);
    QVERIFY2(!shown.contains(true), "the switch went back to an overtaken answer");
}

QTEST_GUILESS_MAIN(tst_UpdateController)
#include "tst_updatecontroller.moc"
