#include "historymodel.h"
#include "store/journal.h"
#include "testdevice.h"
#include "uitranslator.h"
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

private:
    static LogEntry entry(qint64 secondsAgo, LogEntry::Level level, int code, const QString &edge, const QString &event,
                          const QString &message)
    {
        return LogEntry{0, QDateTime::currentDateTimeUtc().addSecs(-secondsAgo), level, code, edge, message, QStringLiteral("detail of ") + message, event};
    }
};

void tst_HistoryModel::initTestCase()
{
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
    model.setJournal(device.journal());
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.count(), 0);
}

void tst_HistoryModel::newestFirst()
{
    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    Journal &j = *device.journal();
    QVERIFY(j.append(entry(300, LogEntry::Level::Info, 0, QStringLiteral("E17"), QStringLiteral("checked"), QStringLiteral("first"))));
    QVERIFY(j.append(entry(200, LogEntry::Level::Warning, 14, QStringLiteral("E34"), QStringLiteral("downloadInterrupted"), QStringLiteral("second"))));
    QVERIFY(j.append(entry(100, LogEntry::Level::Error, 14, QStringLiteral("E34"), QStringLiteral("error"), QStringLiteral("third"))));

    HistoryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy count(&model, &HistoryModel::countChanged);
    model.setJournal(&j);
    QCOMPARE(count.size(), 1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0).data(HistoryModel::MessageRole).toString(), QStringLiteral("third"));
    QCOMPARE(model.index(1).data(HistoryModel::MessageRole).toString(), QStringLiteral("second"));
    QCOMPARE(model.index(2).data(HistoryModel::MessageRole).toString(), QStringLiteral("first"));
    QVERIFY(model.index(0).data(HistoryModel::TimeRole).toDateTime() > model.index(1).data(HistoryModel::TimeRole).toDateTime());
    QVERIFY(model.index(1).data(HistoryModel::TimeRole).toDateTime() > model.index(2).data(HistoryModel::TimeRole).toDateTime());

    // A new entry arrives at the top after a reload.
    QVERIFY(j.append(entry(0, LogEntry::Level::Info, 0, {}, QStringLiteral("rebootRequested"), QStringLiteral("fourth"))));
    model.reload();
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

    QTest::newRow("error") << int(LogEntry::Level::Error) << 15 << "E38" << "error" << "error" << "The downloaded update was damaged";
    QTest::newRow("interrupted") << int(LogEntry::Level::Warning) << 14 << "E34" << "downloadInterrupted" << "warning"
                                 << "Download interrupted; trying again";
    QTest::newRow("checked") << int(LogEntry::Level::Info) << 0 << "E17" << "checked" << "info" << "Checked for updates";
    QTest::newRow("staged") << int(LogEntry::Level::Info) << 0 << "E39" << "staged" << "info" << "Update downloaded and checked";
    QTest::newRow("reboot") << int(LogEntry::Level::Info) << 0 << "" << "rebootRequested" << "info"
                            << "Restart requested to install the update";
    QTest::newRow("unknown event keeps its message") << int(LogEntry::Level::Info) << 0 << "" << "committed" << "info" << "the message";
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
    QVERIFY(device.journal()->append(LogEntry{0, time, LogEntry::Level(level), code, edge, QStringLiteral("the message"),
                                              QStringLiteral("the detail"), event}));
    HistoryModel model;
    model.setJournal(device.journal());
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex i = model.index(0);
    QCOMPARE(i.data(HistoryModel::TimeRole).toDateTime().toSecsSinceEpoch(), time.toSecsSinceEpoch());
    QCOMPARE(i.data(HistoryModel::TimeTextRole).toString(), QLocale().toString(time.toLocalTime(), QLocale::ShortFormat));
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
    UpdateController controller;
    controller.setConfigFile(device.configPath());
    QVERIFY(controller.open());
    HistoryModel model;
    model.setController(&controller);
    QCOMPARE(model.rowCount(), 1);
    // Another process logs: the model follows at the controller's next poll.
    QVERIFY(device.fail(14, QStringLiteral("interrupted"), QStringLiteral("E34")));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 3000);
    QCOMPARE(model.index(0).data(HistoryModel::CodeRole).toInt(), 14);
}

QTEST_GUILESS_MAIN(tst_HistoryModel)
#include "tst_historymodel.moc"
