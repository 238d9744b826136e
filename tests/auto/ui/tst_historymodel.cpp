#include "historymodel.h"
#include "store/journal.h"
#include "testdevice.h"
#include "uitext.h"
#include "updatecontroller.h"

#include <QAbstractItemModelTester>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>

using namespace s16;

// The History screen's model over a real journal: newest first, every role.
class tst_HistoryModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void emptyJournal();
    void newestFirst();
    void roles_data();
    void roles();
    void roleNames();
    void followsController();
    void summariesOfEngineMessages_data();
    void summariesOfEngineMessages();

private:
    static LogEntry entry(qint64 secondsAgo, LogEntry::Level level, int code, const QString &edge, const QString &event,
                          const QString &message)
    {
        return LogEntry{
            0,    QDateTime::currentDateTimeUtc().addSecs(-secondsAgo), level, code, edge, message, QStringLiteral("detail of ") + message,
            event};
    }
};

void tst_HistoryModel::initTestCase()
{
    QVERIFY2(TestDevice::startTestBus(), "cannot start the test's system bus");
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("en"));
}

void tst_HistoryModel::emptyJournal()
{
    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    HistoryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    model.setEntries(device.journal()->entries());
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.count(), 0);
}

void tst_HistoryModel::newestFirst()
{
    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    Journal &j = *device.journal();
    QVERIFY(j.append(entry(300, LogEntry::Level::Info, 0, QStringLiteral("E17"), QStringLiteral("checked"), QStringLiteral("first"))));
    QVERIFY(j.append(
        entry(200, LogEntry::Level::Warning, 14, QStringLiteral("E34"), QStringLiteral("downloadInterrupted"), QStringLiteral("second"))));
    QVERIFY(j.append(entry(100, LogEntry::Level::Error, 14, QStringLiteral("E34"), QStringLiteral("error"), QStringLiteral("third"))));

    HistoryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy count(&model, &HistoryModel::countChanged);
    model.setEntries(j.entries());
    QCOMPARE(count.size(), 1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0).data(HistoryModel::MessageRole).toString(), QStringLiteral("third"));
    QCOMPARE(model.index(1).data(HistoryModel::MessageRole).toString(), QStringLiteral("second"));
    QCOMPARE(model.index(2).data(HistoryModel::MessageRole).toString(), QStringLiteral("first"));
    QVERIFY(model.index(0).data(HistoryModel::TimeRole).toDateTime() > model.index(1).data(HistoryModel::TimeRole).toDateTime());
    QVERIFY(model.index(1).data(HistoryModel::TimeRole).toDateTime() > model.index(2).data(HistoryModel::TimeRole).toDateTime());

    // A new entry arrives at the top.
    QVERIFY(j.append(entry(0, LogEntry::Level::Info, 0, {}, QStringLiteral("rebootRequested"), QStringLiteral("fourth"))));
    model.setEntries(j.entries());
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(0).data(HistoryModel::MessageRole).toString(), QStringLiteral("fourth"));
}

void tst_HistoryModel::roles_data()
{
    QTest::addColumn<int>("level");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("edge");
    QTest::addColumn<QString>("event");
    QTest::addColumn<QString>("levelName");
    QTest::addColumn<QString>("summary");

    QTest::newRow("error") << int(LogEntry::Level::Error) << 15 << "E38"
                           << "error"
                           << "error"
                           << "The downloaded update was damaged";
    QTest::newRow("interrupted") << int(LogEntry::Level::Warning) << 14 << "E34"
                                 << "downloadInterrupted"
                                 << "warning"
                                 << "Download interrupted; trying again";
    QTest::newRow("checked") << int(LogEntry::Level::Info) << 0 << "E17"
                             << "checked"
                             << "info"
                             << "Checked for updates";
    QTest::newRow("staged") << int(LogEntry::Level::Info) << 0 << "E39"
                            << "staged"
                            << "info"
                            << "Update downloaded and checked";
    QTest::newRow("reboot") << int(LogEntry::Level::Info) << 0 << ""
                            << "rebootRequested"
                            << "info"
                            << "Restart requested to install the update";
    // Never the engine's text, also for an event this UI does not know.
    QTest::newRow("unknown event") << int(LogEntry::Level::Info) << 0 << ""
                                   << "committed"
                                   << "info"
                                   << "The updater noted an event";
    QTest::newRow("unknown warning") << int(LogEntry::Level::Warning) << 0 << ""
                                     << "somethingNew"
                                     << "warning"
                                     << "The updater reported a problem";
    QTest::newRow("updated") << int(LogEntry::Level::Info) << 0 << "E65"
                             << "updated"
                             << "info"
                             << "Update installed";
    QTest::newRow("install failed") << int(LogEntry::Level::Error) << 20 << "E62"
                                    << "installFailed"
                                    << "error"
                                    << "The update could not be installed";
    QTest::newRow("consent off") << int(LogEntry::Level::Info) << 0 << "E09"
                                 << "consentOff"
                                 << "info"
                                 << "Sending diagnostic data turned off";
}

void tst_HistoryModel::roles()
{
    QFETCH(int, level);
    QFETCH(int, code);
    QFETCH(QString, edge);
    QFETCH(QString, event);
    QFETCH(QString, levelName);
    QFETCH(QString, summary);

    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    const QDateTime time = QDateTime::currentDateTimeUtc().addSecs(-5);
    QVERIFY(device.journal()->append(
        LogEntry{0, time, LogEntry::Level(level), code, edge, QStringLiteral("the message"), QStringLiteral("the detail"), event}));
    HistoryModel model;
    model.setEntries(device.journal()->entries());
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex i = model.index(0);
    QCOMPARE(i.data(HistoryModel::TimeRole).toDateTime().toSecsSinceEpoch(), time.toSecsSinceEpoch());
    QCOMPARE(i.data(HistoryModel::TimeTextRole).toString(), UpdateController::formatTime(time));
    QCOMPARE(i.data(HistoryModel::LevelRole).toString(), levelName);
    QCOMPARE(i.data(HistoryModel::CodeRole).toInt(), code);
    QCOMPARE(i.data(HistoryModel::EdgeRole).toString(), edge);
    QCOMPARE(i.data(HistoryModel::EventRole).toString(), event);
    QCOMPARE(i.data(HistoryModel::MessageRole).toString(), QStringLiteral("the message"));
    QCOMPARE(i.data(HistoryModel::DetailRole).toString(), QStringLiteral("the detail"));
    QCOMPARE(i.data(HistoryModel::SummaryRole).toString(), summary);
    QCOMPARE(i.data(Qt::DisplayRole).toString(), summary);
}

void tst_HistoryModel::roleNames()
{
    HistoryModel model;
    const QHash<int, QByteArray> names = model.roleNames();
    for (const char *name : {"time", "level", "message", "code", "edge", "event", "summary", "timeText", "detail"})
        QVERIFY2(names.values().contains(QByteArray(name)), name);
    QCOMPARE(names.value(HistoryModel::TimeRole), QByteArray("time"));
    QCOMPARE(names.value(HistoryModel::CodeRole), QByteArray("code"));
}

void tst_HistoryModel::followsController()
{
    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    QVERIFY(device.log(QStringLiteral("info"), 0, QStringLiteral("E17"), QStringLiteral("checked"), QStringLiteral("one")));
    QVERIFY2(device.startService(), qPrintable(device.error()));
    UpdateController controller;
    controller.setConfigFile(device.configPath());
    QVERIFY(controller.open());
    HistoryModel model;
    model.setController(&controller);
    // Read from the service's Log, not from the journal.
    QCOMPARE(model.rowCount(), 1);
    QSignalSpy history(&controller, &UpdateController::historyChanged);
    // Another process logs: the service sees it within its two seconds and says so (LogId).
    QVERIFY(device.fail(14, QStringLiteral("interrupted"), QStringLiteral("E34")));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 5000);
    QVERIFY(!history.isEmpty());
    QCOMPARE(model.index(0).data(HistoryModel::CodeRole).toInt(), 14);
}

void tst_HistoryModel::summariesOfEngineMessages_data()
{
    QTest::addColumn<QString>("event");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("en");
    QTest::addColumn<QString>("de");
    // The messages exactly as core/online, core/install and core/diagnostics log them.
    QTest::newRow("checked, found") << "checked"
                                    << "version 1.1.0 is available (running 1.0.0)"
                                    << "Checked for updates: version 1.1.0 found"
                                    << "Nach Updates gesucht: Version 1.1.0 gefunden";
    QTest::newRow("checked, none") << "checked"
                                   << "no newer version (running 1.0.0, server has 1.0.0)"
                                   << "Checked for updates: no newer version"
                                   << "Nach Updates gesucht: keine neuere Version";
    QTest::newRow("updated") << "updated"
                             << "updated to 1.1.0 (slot B)"
                             << "Updated to version 1.1.0"
                             << "Auf Version 1.1.0 aktualisiert";
    QTest::newRow("install failed") << "installFailed"
                                    << "update to 1.1.0 failed: cannot migrate the database: the migration to schema 2 failed"
                                    << "Version 1.1.0 could not be installed"
                                    << "Version 1.1.0 konnte nicht installiert werden";
    QTest::newRow("consent off") << "consentOff"
                                 << "diagnostic data consent turned off; 0 unsent reports deleted"
                                 << "Sending diagnostic data turned off"
                                 << "Senden von Diagnosedaten ausgeschaltet";
    QTest::newRow("staged") << "staged"
                            << "version 1.1.0 is ready to install"
                            << "Version 1.1.0 downloaded and checked"
                            << "Version 1.1.0 heruntergeladen und geprüft";
    QTest::newRow("download started") << "downloadStarted"
                                      << "download of version 1.1.0 started (8400000 bytes)"
                                      << "Download of version 1.1.0 started"
                                      << "Download von Version 1.1.0 gestartet";
}

// Issue 14, items 2 and 7: the history reads like the screens, in the user's language; the
// engine's text is only in the technical role.
void tst_HistoryModel::summariesOfEngineMessages()
{
    QFETCH(QString, event);
    QFETCH(QString, message);
    QFETCH(QString, en);
    QFETCH(QString, de);
    const LogEntry entry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Info, 0, QStringLiteral("E17"), message, {}, event};
    QCOMPARE(HistoryModel::summaryOf(entry), en);
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("de"));
    const QString german = HistoryModel::summaryOf(entry);
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(installUiTranslator(QLocale()), QStringLiteral("en"));
    QCOMPARE(german, de);

    TestDevice device;
    QVERIFY(device.journal()->append(entry));
    HistoryModel model;
    model.setEntries(device.journal()->entries());
    const QString technical = model.index(0).data(HistoryModel::TechnicalRole).toString();
    QVERIFY(technical.contains(message));
    QVERIFY(technical.contains(QStringLiteral("Step: E17")));
}

QTEST_GUILESS_MAIN(tst_HistoryModel)
#include "tst_historymodel.moc"
