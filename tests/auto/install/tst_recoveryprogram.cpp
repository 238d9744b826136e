// s16-recovery from the outside (CONTRACT §2): options, exit codes, the --headless progress
// lines and the Qt Quick screen (offscreen), on a simulated device.

#include "installdevice.h"
#include "support/datatable.h"

#include <QColor>
#include <QImage>

using namespace s16;
using namespace s16::test;

class tst_RecoveryProgram : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void helpAndVersion();
    void usageErrors_data();
    void usageErrors();
    void headlessInstallsAndPrintsSteps_data();
    void headlessInstallsAndPrintsSteps();
    void e48_headlessDamagedImageExits15();
    void windowRunsTheSameEngine();

private:
    std::unique_ptr<Device> m_device;
};

void tst_RecoveryProgram::initTestCase()
{
    QString why;
    QVERIFY2(makeSigningKey(&why), qPrintable(why));
}

void tst_RecoveryProgram::init()
{
    m_device = std::make_unique<Device>();
    QString why;
    QVERIFY2(m_device->init(QStringLiteral("grub"), &why), qPrintable(why));
}

void tst_RecoveryProgram::helpAndVersion()
{
    const auto version = runTool(QStringLiteral("s16-recovery"), {QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith("s16-recovery "));
    const auto help = runTool(QStringLiteral("s16-recovery"), {QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("--headless"));
    QVERIFY(help.out.contains("--config"));
}

void tst_RecoveryProgram::usageErrors_data()
{
    addRows<QStringList>("args", {{"missing config file", QStringList{QStringLiteral("--headless"), QStringLiteral("--config"),
                                                                      QStringLiteral("/nonexistent/update.conf")}},
                                  {"unknown option", QStringList{QStringLiteral("--headless"), QStringLiteral("--frobnicate")}},
                                  {"stray argument", QStringList{QStringLiteral("--headless"), QStringLiteral("install")}}});
}

void tst_RecoveryProgram::usageErrors()
{
    QFETCH(QStringList, args);
    const auto r = runTool(QStringLiteral("s16-recovery"), args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.startsWith("s16-recovery: "));
}

void tst_RecoveryProgram::headlessInstallsAndPrintsSteps_data()
{
    addRows<bool>("configFirst", {{"--config before --headless", true}, {"--config after --headless", false}});
}

void tst_RecoveryProgram::headlessInstallsAndPrintsSteps()
{
    QFETCH(bool, configFirst);
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage({}, &why), qPrintable(why));
    const QString config = d.path(QStringLiteral("update.conf"));
    const QStringList args = configFirst ? QStringList{QStringLiteral("--config"), config, QStringLiteral("--headless")}
                                         : QStringList{QStringLiteral("--headless"), QStringLiteral("--config=") + config};
    QCOMPARE(d.bootloader().mode, BootDecision::Mode::Recovery);
    const auto r = runTool(QStringLiteral("s16-recovery"), args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QVERIFY(lines.contains("step verify 0%"));
    QVERIFY(lines.contains("step verify 100%"));
    QVERIFY(lines.contains("step install 100%"));
    QVERIFY(lines.contains("step migrate 100%"));
    QCOMPARE(lines.last(), QByteArray("done"));
    QCOMPARE(d.slotSum(QStringLiteral("B")), d.newSum());
    QCOMPARE(d.env().value(QStringLiteral("S16_TRIAL")), QStringLiteral("B"));
}

void tst_RecoveryProgram::e48_headlessDamagedImageExits15()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(tampered(QStringLiteral("imageByte")), &why), qPrintable(why));
    const auto r = runTool(QStringLiteral("s16-recovery"),
                           {QStringLiteral("--headless"), QStringLiteral("--config"), d.path(QStringLiteral("update.conf"))});
    QCOMPARE(r.exitCode, 15);
    QVERIFY(r.err.contains("damaged"));
    QCOMPARE(d.journal(QStringLiteral("flow")).toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E48"));
    QVERIFY(!d.env().contains(QStringLiteral("S16_RECOVERY")));
}

void tst_RecoveryProgram::windowRunsTheSameEngine()
{
    Device &d = *m_device;
    QString why;
    QVERIFY2(d.stage(noSchema(), &why), qPrintable(why));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    const QString shot = d.path(QStringLiteral("screen.png"));
    const auto r = runTool(QStringLiteral("s16-recovery"),
                           {QStringLiteral("--config"), d.path(QStringLiteral("update.conf")), QStringLiteral("--exit-delay"),
                            QStringLiteral("0"), QStringLiteral("--screenshot"), shot},
                           env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY2(!r.err.contains("qrc:/S16/Recovery/Main.qml"), r.err.constData()); // no QML warnings
    QCOMPARE(d.slotSum(QStringLiteral("B")), d.newSum());
    // the window was really drawn: the outcome screen, not an empty surface
    const QImage image(shot);
    QCOMPARE(image.size(), QSize(800, 480));
    const QColor background = image.pixelColor(0, 0);
    int drawn = 0;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2)
            drawn += image.pixelColor(x, y) != background ? 1 : 0;
    }
    QVERIFY2(drawn > 1000, qPrintable(QStringLiteral("only %1 sampled pixels differ from the background").arg(drawn)));
}

S16_INSTALL_TEST_MAIN(tst_RecoveryProgram)
#include "tst_recoveryprogram.moc"
