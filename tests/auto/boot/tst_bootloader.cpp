#include "bootenvtools.h"

#include "boot/bootenv.h"
#include "support/datatable.h"

#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using namespace bootenvtest;

using Mode = BootDecision::Mode;
Q_DECLARE_METATYPE(BootDecision::Mode)

class tst_Bootloader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase_data();
    void initTestCase();
    void step_data();
    void step();
    void triesRunOutThenFallBack();
    void recoveryDoesNotUseTries();
    void stepSeesToolChanges();
    void corruptEnvironmentIsReported();
    void triesLeftVariableNames();
};

void tst_Bootloader::initTestCase_data() { test::addBackendRows(); }

void tst_Bootloader::initTestCase() { verifyToolsInstalled(); }

void tst_Bootloader::step_data()
{
    QTest::addColumn<Vars>("before");
    QTest::addColumn<Mode>("mode");
    QTest::addColumn<QString>("slot");
    QTest::addColumn<Vars>("after"); // the environment after the step; its write count follows from it

    auto env = [](const char *order, const char *a, const char *b, const char *recovery = nullptr) {
        Vars v;
        if (order)
            v.insert(str("BOOT_ORDER"), str(order));
        if (a)
            v.insert(str("BOOT_A_LEFT"), str(a));
        if (b)
            v.insert(str("BOOT_B_LEFT"), str(b));
        if (recovery)
            v.insert(str("S16_RECOVERY"), str(recovery));
        return v;
    };
    QTest::newRow("A first, tries left") << env("A B", "3", "3", "0") << Mode::Normal << str("A") << env("A B", "2", "3", "0");
    QTest::newRow("B first") << env("B A", "3", "3") << Mode::Normal << str("B") << env("B A", "3", "2");
    QTest::newRow("A first but spent: B") << env("A B", "0", "3") << Mode::Normal << str("B") << env("A B", "0", "2");
    QTest::newRow("last try") << env("A B", "1", "0") << Mode::Normal << str("A") << env("A B", "0", "0");
    QTest::newRow("spent A, B not in order") << env("A", "0", "3") << Mode::NoBootableSlot << QString() << env("A", "0", "3");
    QTest::newRow("only B in order") << env("B", "3", "1") << Mode::Normal << str("B") << env("B", "3", "0");
    QTest::newRow("both spent") << env("A B", "0", "0") << Mode::NoBootableSlot << QString() << env("A B", "0", "0");
    QTest::newRow("counter missing") << env("A B", "0", nullptr) << Mode::NoBootableSlot << QString() << env("A B", "0", nullptr);
    QTest::newRow("counter not a number") << env("A B", "x", "2") << Mode::Normal << str("B") << env("A B", "x", "1");
    QTest::newRow("negative counter") << env("A B", "-1", "0") << Mode::NoBootableSlot << QString() << env("A B", "-1", "0");
    QTest::newRow("no BOOT_ORDER") << env(nullptr, "3", "3") << Mode::NoBootableSlot << QString() << env(nullptr, "3", "3");
    QTest::newRow("empty BOOT_ORDER") << env("", "3", "3") << Mode::NoBootableSlot << QString() << env("", "3", "3");
    QTest::newRow("unknown slot skipped") << env("C B", "3", "3") << Mode::Normal << str("B") << env("C B", "3", "2");
    QTest::newRow("extra spaces") << env("  B   A ", "3", "0") << Mode::Normal << str("A") << env("  B   A ", "2", "0");
    QTest::newRow("recovery requested") << env("A B", "3", "3", "1") << Mode::Recovery << QString() << env("A B", "3", "3", "1");
    QTest::newRow("recovery, no slot") << env("A B", "0", "0", "1") << Mode::Recovery << QString() << env("A B", "0", "0", "1");
    QTest::newRow("recovery flag 0") << env("A B", "3", "3", "0") << Mode::Normal << str("A") << env("A B", "2", "3", "0");
    QTest::newRow("recovery flag other") << env("B A", "3", "3", "yes") << Mode::Normal << str("B") << env("B A", "3", "2", "yes");
}

// One power-on: the decision, the environment afterwards, and one write exactly when a slot's
// try was counted, none otherwise.
void tst_Bootloader::step()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(Vars, before);
    QFETCH(Mode, mode);
    QFETCH(QString, slot);
    QFETCH(Vars, after);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, before, &envFile);
    QVERIFY(env);
    WriteCounter counter(dir.path(), envFileNames(backend));
    QVERIFY(counter.isValid());

    const auto decision = bootloaderStep(*env);
    QVERIFY2(decision, qPrintable(decision ? QString() : decision.error().message));
    QCOMPARE(decision->mode, mode);
    QCOMPARE(decision->slot, slot);
    QCOMPARE(counter.total(), before == after ? 0 : 1);
    QCOMPARE(toolList(backend, envFile), std::optional<Vars>(after));
}

// A slot that never confirms its boot runs out of tries, and the bootloader falls back.
void tst_Bootloader::triesRunOutThenFallBack()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    QString envFile;
    auto env =
        newEnvironment(dir, {{str("BOOT_ORDER"), str("B A")}, {str("BOOT_A_LEFT"), str("2")}, {str("BOOT_B_LEFT"), str("3")}}, &envFile);
    QVERIFY(env);
    const QStringList expected{str("B"), str("B"), str("B"), str("A"), str("A")};
    for (const QString &slot : expected) {
        const auto decision = bootloaderStep(*env);
        QVERIFY(decision);
        QCOMPARE(decision->mode, Mode::Normal);
        QCOMPARE(decision->slot, slot);
    }
    const auto last = bootloaderStep(*env);
    QVERIFY(last);
    QCOMPARE(last->mode, Mode::NoBootableSlot);
    const auto vars = toolList(backend, envFile);
    QVERIFY(vars);
    QCOMPARE(vars->value(str("BOOT_A_LEFT")), str("0"));
    QCOMPARE(vars->value(str("BOOT_B_LEFT")), str("0"));
}

// A power cut in recovery must come back to recovery: the request stays and no try is used.
void tst_Bootloader::recoveryDoesNotUseTries()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    Vars vars = bootDefaults();
    vars.insert(str("S16_RECOVERY"), str("1"));
    QString envFile;
    auto env = newEnvironment(dir, vars, &envFile);
    QVERIFY(env);
    for (int i = 0; i < 3; ++i) {
        const auto decision = bootloaderStep(*env);
        QVERIFY(decision);
        QCOMPARE(decision->mode, Mode::Recovery);
    }
    QCOMPARE(toolList(backend, envFile), std::optional<Vars>(vars));
    // recovery done: it clears the request (as the install area does) and the next boot is normal
    QVERIFY(env->update({{str("S16_RECOVERY"), QString()}}));
    const auto decision = bootloaderStep(*env);
    QVERIFY(decision);
    QCOMPARE(decision->mode, Mode::Normal);
    QCOMPARE(decision->slot, str("A"));
}

// The step reads the environment each time, so what the system wrote with the real tools counts.
void tst_Bootloader::stepSeesToolChanges()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, bootDefaults(), &envFile);
    QVERIFY(env);
    QCOMPARE(bootloaderStep(*env)->slot, str("A"));
    QVERIFY(toolApply(backend, envFile, {{str("BOOT_ORDER"), str("B A")}}, dir.path()));
    QCOMPARE(bootloaderStep(*env)->slot, str("B"));
    QVERIFY(toolApply(backend, envFile, {{str("S16_RECOVERY"), str("1")}}, dir.path()));
    QCOMPARE(bootloaderStep(*env)->mode, Mode::Recovery);
}

void tst_Bootloader::corruptEnvironmentIsReported()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    auto env = newEnvironment(dir, bootDefaults());
    QVERIFY(env);
    QVERIFY(corruptAll(backend, dir.path()));
    const auto decision = bootloaderStep(*env);
    QVERIFY(!decision);
    QCOMPARE(decision.error().code, BootError::EnvCorrupt);
}

void tst_Bootloader::triesLeftVariableNames()
{
    QCOMPARE(triesLeftVariable(str("A")), QString(bootvar::ALeft));
    QCOMPARE(triesLeftVariable(str("B")), QString(bootvar::BLeft));
}

QTEST_GUILESS_MAIN(tst_Bootloader)
#include "tst_bootloader.moc"
