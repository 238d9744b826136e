#include "install/servicereload.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;

class tst_ServiceReload : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void run_data();
    void run();
    void reloadRunsBeforeHealthCheck();
    void errorsFailTheInstall();
};

void tst_ServiceReload::run_data()
{
    QTest::addColumn<QString>("reload");
    QTest::addColumn<QString>("health");
    QTest::addColumn<int>("timeout");
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<int>("expected"); // -1: healthy, else a ServiceError
    QTest::newRow("both succeed") << QStringLiteral("true") << QStringLiteral("exit 0") << 5 << QByteArray() << -1;
    QTest::newRow("nothing configured") << QString() << QString() << 5 << QByteArray() << -1;
    QTest::newRow("reload fails") << QStringLiteral("exit 3") << QStringLiteral("true") << 5 << QByteArray()
                                  << int(ServiceError::ReloadFailed);
    QTest::newRow("reload missing") << QStringLiteral("/nonexistent/reload") << QStringLiteral("true") << 5 << QByteArray()
                                    << int(ServiceError::ReloadFailed);
    QTest::newRow("unhealthy") << QStringLiteral("true") << QStringLiteral("echo db down >&2; exit 1") << 5 << QByteArray()
                               << int(ServiceError::Unhealthy);
    QTest::newRow("reload hangs") << QStringLiteral("sleep 30") << QStringLiteral("true") << 1 << QByteArray()
                                  << int(ServiceError::ReloadTimedOut);
    QTest::newRow("health check hangs") << QStringLiteral("true") << QStringLiteral("sleep 30") << 1 << QByteArray()
                                        << int(ServiceError::HealthTimedOut);
    QTest::newRow("injected reload fault") << QStringLiteral("true") << QStringLiteral("true") << 5 << QByteArray("reload")
                                           << int(ServiceError::ReloadFailed);
    QTest::newRow("injected health fault") << QStringLiteral("true") << QStringLiteral("true") << 5 << QByteArray("health")
                                           << int(ServiceError::Unhealthy);
}

void tst_ServiceReload::run()
{
    QFETCH(QString, reload);
    QFETCH(QString, health);
    QFETCH(int, timeout);
    QFETCH(QByteArray, fault);
    QFETCH(int, expected);
    if (!fault.isEmpty())
        qputenv("S16_FAULT", fault);
    QElapsedTimer clock;
    clock.start();
    const auto result = ServiceReload::run({reload, health, timeout});
    qunsetenv("S16_FAULT");
    if (expected < 0) {
        QVERIFY2(result, result ? "" : qPrintable(result.error().detail));
        return;
    }
    QVERIFY(!result);
    QCOMPARE(int(result.error().code), expected);
    QVERIFY(clock.elapsed() < 10000); // a hanging command is killed at the timeout
    if (expected == int(ServiceError::Unhealthy) && fault.isEmpty())
        QVERIFY(result.error().detail.contains(QStringLiteral("db down")));
}

void tst_ServiceReload::reloadRunsBeforeHealthCheck()
{
    QTemporaryDir dir;
    const QString marker = dir.filePath(QStringLiteral("reloaded"));
    // healthy only once the reload has run
    const auto result = ServiceReload::run({QStringLiteral("touch '%1'").arg(marker), QStringLiteral("test -f '%1'").arg(marker), 5});
    QVERIFY(result);
    const auto failed = ServiceReload::run({QStringLiteral("false"), QStringLiteral("touch '%1.2'").arg(marker), 5});
    QVERIFY(!failed);
    QVERIFY(!QFile::exists(marker + QStringLiteral(".2"))); // no health check after a failed reload
}

void tst_ServiceReload::errorsFailTheInstall()
{
    const auto result = ServiceReload::run({QStringLiteral("true"), QStringLiteral("false"), 5});
    QVERIFY(!result);
    const Error e = toError(result.error());
    QCOMPARE(e.code, ExitCode::InstallFailed);
    QCOMPARE(e.edge, std::optional(Edge::E62));
}

QTEST_GUILESS_MAIN(tst_ServiceReload)
#include "tst_servicereload.moc"
