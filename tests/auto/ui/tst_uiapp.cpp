#include "testdevice.h"

#include "support/testutil.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <grp.h>

using namespace s16;

// s16-update-ui as a program: its command line, and a real window on a device, run as an
// unprivileged user in the group s16-update against the device's service.
class tst_UiApp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void textOptions_data();
    void textOptions();
    void showsTheDevicesScreen();

private:
    QString m_program;
};

void tst_UiApp::initTestCase()
{
    m_program = test::binDir() + QStringLiteral("/s16-update-ui");
    QVERIFY2(QFile::exists(m_program), qPrintable(m_program));
    QVERIFY2(TestDevice::startTestBus(), "cannot start the test's system bus");
}

void tst_UiApp::textOptions_data()
{
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("expected");
    QTest::newRow("help") << "--help"
                          << "--screenshot-dir <DIR>";
    QTest::newRow("help names config") << "--help"
                                       << "--config <FILE>";
    QTest::newRow("version") << "--version"
                             << "s16-update-ui " S16_VERSION;
}

void tst_UiApp::textOptions()
{
    QFETCH(QString, option);
    QFETCH(QString, expected);
    // Without any display: these must not need one.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    const test::ToolResult r = test::runTool(m_program, {option}, env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY2(QString::fromUtf8(r.out).contains(expected), r.out.constData());
}

void tst_UiApp::showsTheDevicesScreen()
{
    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    QVERIFY(device.stage(QStringLiteral("2.1.0"), false));
    QVERIFY2(device.startService(), qPrintable(device.error()));
    QTemporaryDir shots;
    QVERIFY(shots.isValid());
    // The UI's user may write its screenshots, and nothing of the device: the device's folder
    // (journal, slots, boot environment, configuration) stays 0700 root.
    QVERIFY(QFile::setPermissions(shots.path(), QFileDevice::Permissions(0x7777)));
    const group *g = ::getgrnam("s16-update");
    QVERIFY2(g, "the group s16-update is missing: scripts/setup-deps creates it");

    QProcess ui;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("LANG"), QStringLiteral("de_DE.UTF-8"));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("de_DE.UTF-8"));
    env.insert(QStringLiteral("HOME"), shots.path());
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), shots.path());
    env.insert(QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS"), qEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS"));
    ui.setProcessEnvironment(env);
    ui.setProcessChannelMode(QProcess::MergedChannels);
    // As nobody, in the group s16-update: the way a device runs its UI.
    ui.start(QStringLiteral("setpriv"),
             {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--groups=%1").arg(g->gr_gid),
              QStringLiteral("--"), m_program, QStringLiteral("--config"), device.configPath(), QStringLiteral("--screenshot-dir"),
              shots.path()});
    QVERIFY(ui.waitForStarted());
    const QString png = shots.filePath(QStringLiteral("0001-available.png"));
    QTRY_VERIFY2_WITH_TIMEOUT(QFileInfo(png).size() > 0, qPrintable(QString::fromLocal8Bit(ui.readAll())), 15000);
    QTest::qWait(200); // let the writer finish the file
    // "Later" is a user action; here the journal changes: the service passes it on, and the
    // next screen is saved too.
    QVERIFY(device.fail(16, QStringLiteral("no space left on device"), {}));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(shots.filePath(QStringLiteral("0002-error.png"))).size() > 0, 15000);
    ui.kill();
    ui.waitForFinished();
    const QImage image(png);
    QCOMPARE(image.size(), QSize(800, 480));
}

QTEST_GUILESS_MAIN(tst_UiApp)
#include "tst_uiapp.moc"
