#include "bootenvtools.h"

#include "boot/bootenv.h"
#include "boot/bootenv_p.h"
#include "support/datatable.h"

#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using namespace bootenvtest;

class tst_BootEnv : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase_data();
    void initTestCase();

    void createMatchesReferenceTool_data();
    void createMatchesReferenceTool();
    void updateIsReadBackByTool_data();
    void updateIsReadBackByTool();
    void toolWritesAreRead_data();
    void toolWritesAreRead();
    void updateIsOneWrite();
    void redundantCopiesAlternate();
    void emptyUpdateWritesNothing();
    void corruptEnvironmentIsEnvCorrupt();
    void singleCorruptCopyStillReads_data();
    void singleCorruptCopyStillReads();
    void missingEnvironmentIsEnvUnreadable();
    void writeFailureKeepsOldEnvironment();
    void singleCopyEnvironment();
    void fillsToTheLastByte();
    void grubUpdateInMemory();
    void badConfigIsConfigUnreadable_data();
    void badConfigIsConfigUnreadable();
    void badValuesAreRefused_data();
    void badValuesAreRefused();
    void createRefusesBadInput_data();
    void createRefusesBadInput();
    void unknownBackend();
    void toErrorMapsExitCodes_data();
    void toErrorMapsExitCodes();
};

void tst_BootEnv::initTestCase_data() { test::addBackendRows(); }

void tst_BootEnv::initTestCase() { verifyToolsInstalled(); }

void tst_BootEnv::createMatchesReferenceTool_data()
{
    test::addRows<Vars>("vars", {{"boot defaults", bootDefaults()},
                                 {"no variables", Vars{}},
                                 {"empty value", Vars{{str("S16_TRIAL"), str("")}, {str("BOOT_ORDER"), str("B A")}}},
                                 {"backslash, utf-8, spaces", Vars{{str("bootargs"), str("console=ttyS0 root=/dev/mmcblk0p2 x=C:\\dir")},
                                                                   {str("greeting"), str("Grüße, ünïcode")}}}});
}

// A fresh environment is byte for byte what the bootloader's own tools make, and they read it back.
void tst_BootEnv::createMatchesReferenceTool()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(Vars, vars);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, vars, &envFile);
    QVERIFY(env);
    QCOMPARE(env->backendName(), backend);

    QTemporaryDir refDir;
    QByteArray reference;
    if (backend == QLatin1StringView("uboot")) {
        const QString out = refDir.filePath(str("ref.bin"));
        mkenvimage(vars, refDir.path(), out, {str("-r"), str("-s"), str("0x4000")});
        if (QTest::currentTestFailed())
            return;
        QFile ref(out);
        QVERIFY(ref.open(QIODevice::ReadOnly));
        reference = ref.readAll();
        QCOMPARE(reference.size(), 0x4000);
        QCOMPARE(envBytes(backend, dir.path()), (QList<QByteArray>{reference, reference}));
    } else {
        const QString out = refDir.filePath(str("grubenv"));
        QCOMPARE(runTool(str("grub-editenv"), {out, str("create")}).exitCode, 0);
        if (!vars.isEmpty())
            QVERIFY(toolApply(backend, out, vars, refDir.path()));
        QFile ref(out);
        QVERIFY(ref.open(QIODevice::ReadOnly));
        reference = ref.readAll();
        QCOMPARE(reference.size(), 1024);
        QCOMPARE(envBytes(backend, dir.path()), QList<QByteArray>{reference});
    }

    QCOMPARE(toolList(backend, envFile), std::optional<Vars>(vars));
    const auto read = env->read();
    QVERIFY2(read, qPrintable(read ? QString() : read.error().message));
    QCOMPARE(*read, vars);
}

void tst_BootEnv::updateIsReadBackByTool_data()
{
    QTest::addColumn<Vars>("initial");
    QTest::addColumn<Vars>("changes");
    QTest::addColumn<Vars>("expected");
    const Vars d = bootDefaults();
    auto with = [](Vars v, const Vars &changes) {
        for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
            if (it.value().isNull())
                v.remove(it.key());
            else
                v.insert(it.key(), it.value());
        }
        return v;
    };
    const Vars counter{{str("BOOT_A_LEFT"), str("2")}};
    QTest::newRow("change one counter") << d << counter << with(d, counter);
    const Vars switchSlot{
        {str("BOOT_ORDER"), str("B A")}, {str("BOOT_B_LEFT"), str("3")}, {str("S16_TRIAL"), str("B")}, {str("S16_RECOVERY"), str("0")}};
    QTest::newRow("several, one new") << d << switchSlot << with(d, switchSlot);
    const Vars unset{{str("S16_RECOVERY"), QString()}};
    QTest::newRow("unset") << d << unset << with(d, unset);
    const Vars unsetMissing{{str("S16_TRIAL"), QString()}};
    QTest::newRow("unset a missing variable") << d << unsetMissing << d;
    const Vars mixed{{str("BOOT_A_LEFT"), QString()}, {str("BOOT_B_LEFT"), QString()}, {str("A_NEW"), str("1")}, {str("z_new"), str("2")}};
    QTest::newRow("set and unset together") << d << mixed << with(d, mixed);
    const Vars empty{{str("S16_TRIAL"), str("")}};
    QTest::newRow("empty value") << d << empty << with(d, empty);
    const Vars odd{{str("bootargs"), str("a\\b \\\\ c=d #e")}, {str("greeting"), str("Grüße")}};
    QTest::newRow("backslash, '=', '#', utf-8") << d << odd << with(d, odd);
    QTest::newRow("into an empty environment") << Vars{} << d << d;
}

// What update() writes, the bootloader's tool reads back identically. For GRUB, whose format we
// write ourselves, the file is also byte for byte what grub-editenv makes of the same changes.
void tst_BootEnv::updateIsReadBackByTool()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(Vars, initial);
    QFETCH(Vars, changes);
    QFETCH(Vars, expected);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, initial, &envFile);
    QVERIFY(env);

    const auto updated = env->update(changes);
    QVERIFY2(updated, qPrintable(updated ? QString() : updated.error().message));
    QCOMPARE(toolList(backend, envFile), std::optional<Vars>(expected));
    const auto read = env->read();
    QVERIFY(read);
    QCOMPARE(*read, expected);

    if (backend == QLatin1StringView("grub")) {
        QTemporaryDir twin;
        const auto twinFile = createBootEnvironment(backend, twin.path(), initial);
        QVERIFY(twinFile);
        QVERIFY(toolApply(backend, *twinFile, changes, twin.path()));
        QCOMPARE(envBytes(backend, dir.path()), envBytes(backend, twin.path()));
    }
}

void tst_BootEnv::toolWritesAreRead_data()
{
    test::addRows<Vars>("changes",
                        {{"one counter", Vars{{str("BOOT_B_LEFT"), str("0")}}},
                         {"several", Vars{{str("BOOT_ORDER"), str("B A")}, {str("S16_RECOVERY"), str("1")}, {str("S16_TRIAL"), str("B")}}},
                         {"unset", Vars{{str("BOOT_ORDER"), QString()}, {str("S16_RECOVERY"), QString()}}},
                         {"backslash, utf-8", Vars{{str("bootargs"), str("x=\\y \\\\z")}, {str("greeting"), str("Grüße")}}}});
}

// What fw_setenv / grub-editenv write, the backend reads.
void tst_BootEnv::toolWritesAreRead()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(Vars, changes);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, bootDefaults(), &envFile);
    QVERIFY(env);
    QVERIFY(toolApply(backend, envFile, changes, dir.path()));
    Vars expected = bootDefaults();
    for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
        if (it.value().isNull())
            expected.remove(it.key());
        else
            expected.insert(it.key(), it.value());
    }
    const auto read = env->read();
    QVERIFY2(read, qPrintable(read ? QString() : read.error().message));
    QCOMPARE(*read, expected);
}

// Several changes are one store: U-Boot writes exactly one copy in place (the pair keeps the other
// intact), GRUB replaces the file by exactly one rename and never writes it in place.
void tst_BootEnv::updateIsOneWrite()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    auto env = newEnvironment(dir, bootDefaults());
    QVERIFY(env);
    const QList<QByteArray> before = envBytes(backend, dir.path());
    WriteCounter counter(dir.path(), envFileNames(backend));
    QVERIFY(counter.isValid());

    QVERIFY(env->update(
        {{str("BOOT_ORDER"), str("B A")}, {str("BOOT_B_LEFT"), str("3")}, {str("S16_RECOVERY"), str("1")}, {str("S16_TRIAL"), str("B")}}));
    const auto [inPlace, renames] = counter.take();
    const QList<QByteArray> after = envBytes(backend, dir.path());
    if (backend == QLatin1StringView("uboot")) {
        QCOMPARE(inPlace, 1);
        QCOMPARE(renames, 0);
        QCOMPARE(after.at(0), before.at(0)); // the current copy stays as it was
        QVERIFY(after.at(1) != before.at(1));
        QCOMPARE(quint8(after.at(1).at(4)), quint8(before.at(0).at(4) + 1)); // flag advanced exactly once
    } else {
        QCOMPARE(inPlace, 0);
        QCOMPARE(renames, 1);
        QCOMPARE(after.at(0).size(), 1024);
        QVERIFY(!QFile::exists(dir.filePath(str("grubenv.tmp"))));
    }
}

// The redundant pair: each store goes to the older copy, so the copy just written is never the
// one written next.
void tst_BootEnv::redundantCopiesAlternate()
{
    QFETCH_GLOBAL(QString, backend);
    if (backend != QLatin1StringView("uboot"))
        QSKIP("GRUB keeps a single block, replaced by rename");
    QTemporaryDir dir;
    auto env = newEnvironment(dir, bootDefaults());
    QVERIFY(env);
    QList<QByteArray> previous = envBytes(backend, dir.path());
    int expectedCopy = 1;
    for (int round = 0; round < 4; ++round) {
        QVERIFY(env->update({{str("BOOT_A_LEFT"), QString::number(round)}}));
        const QList<QByteArray> now = envBytes(backend, dir.path());
        const int other = 1 - expectedCopy;
        QCOMPARE(now.at(other), previous.at(other));
        QVERIFY(now.at(expectedCopy) != previous.at(expectedCopy));
        QCOMPARE(quint8(now.at(expectedCopy).at(4)), quint8(now.at(other).at(4) + 1));
        QCOMPARE(env->read()->value(str("BOOT_A_LEFT")), QString::number(round));
        previous = now;
        expectedCopy = other;
    }
}

void tst_BootEnv::emptyUpdateWritesNothing()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    auto env = newEnvironment(dir, bootDefaults());
    QVERIFY(env);
    WriteCounter counter(dir.path(), envFileNames(backend));
    QVERIFY(counter.isValid());
    QVERIFY(env->update({}));
    QCOMPARE(counter.total(), 0);
    // and the counter does see a real write, so the 0 above means something
    QVERIFY(env->update({{str("X"), str("1")}}));
    QCOMPARE(counter.total(), 1);
}

void tst_BootEnv::corruptEnvironmentIsEnvCorrupt()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, bootDefaults(), &envFile);
    QVERIFY(env);
    QVERIFY(corruptAll(backend, dir.path()));
    QCOMPARE(toolList(backend, envFile), std::nullopt); // the real tool agrees that it is broken
    const QList<QByteArray> before = envBytes(backend, dir.path());

    const auto read = env->read();
    QVERIFY(!read);
    QCOMPARE(read.error().code, BootError::EnvCorrupt);
    const auto updated = env->update({{str("BOOT_A_LEFT"), str("3")}});
    QVERIFY(!updated);
    QCOMPARE(updated.error().code, BootError::EnvCorrupt);
    QCOMPARE(envBytes(backend, dir.path()), before); // a broken environment is not overwritten blindly
}

void tst_BootEnv::singleCorruptCopyStillReads_data()
{
    test::addRows<int>("corrupted", {{"first copy bad", 0}, {"redundant copy bad", 1}});
}

// libubootenv falls back to the good copy; the next store repairs the bad one.
void tst_BootEnv::singleCorruptCopyStillReads()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(int, corrupted);
    if (backend != QLatin1StringView("uboot"))
        QSKIP("GRUB keeps a single block");
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, bootDefaults(), &envFile);
    QVERIFY(env);
    const QStringList files = envFileNames(backend);
    QVERIFY(corruptFile(dir.filePath(files.at(corrupted)), 10));

    const auto read = env->read();
    QVERIFY2(read, qPrintable(read ? QString() : read.error().message));
    QCOMPARE(*read, bootDefaults());

    QVERIFY(env->update({{str("S16_TRIAL"), str("B")}}));
    // the store went to the bad copy: with the other one broken now, the new value still reads
    QVERIFY(corruptFile(dir.filePath(files.at(1 - corrupted)), 10));
    Vars expected = bootDefaults();
    expected.insert(str("S16_TRIAL"), str("B"));
    QCOMPARE(toolList(backend, envFile), std::optional<Vars>(expected));
    QCOMPARE(env->read().value_or(Vars{}), expected);
}

void tst_BootEnv::missingEnvironmentIsEnvUnreadable()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    auto env = newEnvironment(dir, bootDefaults());
    QVERIFY(env);
    for (const QString &name : envFileNames(backend))
        QVERIFY(QFile::remove(dir.filePath(name)));
    const auto read = env->read();
    QVERIFY(!read);
    QCOMPARE(read.error().code, BootError::EnvUnreadable);
    const auto updated = env->update({{str("X"), str("1")}});
    QVERIFY(!updated);
    QCOMPARE(updated.error().code, BootError::EnvUnreadable);
    for (const QString &name : envFileNames(backend))
        QVERIFY(!QFile::exists(dir.filePath(name))); // not silently recreated
}

// GRUB: the replacement cannot be written beside (grubenv.tmp is a folder, which stops root too).
void tst_BootEnv::writeFailureKeepsOldEnvironment()
{
    QFETCH_GLOBAL(QString, backend);
    if (backend != QLatin1StringView("grub"))
        QSKIP("libubootenv writes the copy in place; no failure to provoke without a broken device");
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, bootDefaults(), &envFile);
    QVERIFY(env);
    QVERIFY(QDir(dir.path()).mkdir(str("grubenv.tmp")));
    const QList<QByteArray> before = envBytes(backend, dir.path());
    const auto updated = env->update({{str("BOOT_ORDER"), str("B A")}});
    QVERIFY(!updated);
    QCOMPARE(updated.error().code, BootError::WriteFailed);
    QCOMPARE(envBytes(backend, dir.path()), before);
    QCOMPARE(env->read().value_or(Vars{}), bootDefaults());
}

// A device without the redundant pair: one copy, no flag byte (mkenvimage without -r).
void tst_BootEnv::singleCopyEnvironment()
{
    QFETCH_GLOBAL(QString, backend);
    if (backend != QLatin1StringView("uboot"))
        QSKIP("only U-Boot has copies");
    QTemporaryDir dir;
    const Vars vars = bootDefaults();
    const QString image = dir.filePath(str("env.bin"));
    mkenvimage(vars, dir.path(), image, {str("-s"), str("0x4000")});
    if (QTest::currentTestFailed())
        return;
    const QString config = dir.filePath(str("fw_env.config"));
    QFile cfg(config);
    QVERIFY(cfg.open(QIODevice::WriteOnly));
    cfg.write(image.toUtf8() + " 0x0 0x4000\n");
    cfg.close();

    auto env = openBootEnvironment(backend, config);
    QVERIFY(env);
    QCOMPARE((*env)->read().value_or(Vars{}), vars);
    QVERIFY((*env)->update({{str("BOOT_A_LEFT"), str("2")}, {str("S16_RECOVERY"), QString()}}));
    Vars expected = vars;
    expected.insert(str("BOOT_A_LEFT"), str("2"));
    expected.remove(str("S16_RECOVERY"));
    QCOMPARE(toolList(backend, config), std::optional<Vars>(expected));
    // the limit is the copy's size less 4 bytes of CRC (no flag byte): the variables so far take
    // 43 bytes, "BIG=" and its NUL 5, the list's end 1, so 0x4000 - 4 - 49 bytes of value fit exactly
    const qsizetype fits = 0x4000 - 4 - 49;
    const auto tooBig = (*env)->update({{str("BIG"), QString(fits + 1, u'x')}});
    QVERIFY(!tooBig);
    QCOMPARE(tooBig.error().code, BootError::BadValue);
    QVERIFY((*env)->update({{str("BIG"), QString(fits, u'x')}}));
    expected.insert(str("BIG"), QString(fits, u'x'));
    QCOMPARE(toolList(backend, config), std::optional<Vars>(expected));
}

// The size limit is exact: the largest value that fits is stored and read back by the tool, one
// byte more is BadValue.
void tst_BootEnv::fillsToTheLastByte()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    QString envFile;
    auto env = newEnvironment(dir, bootDefaults(), &envFile);
    QVERIFY(env);
    // the defaults as "name=value" take 14 + 14 + 15 + 15 bytes with their terminators
    const qsizetype fits = backend == QLatin1StringView("uboot")
                               ? 0x4000 - 5 - 58 - 1 - 5  // CRC and flag, defaults, end of list, "BIG=" and NUL
                               : 1024 - 25 - 69 - 58 - 5; // signature, warning line, defaults, "BIG=" and newline
    const auto tooBig = env->update({{str("BIG"), QString(fits + 1, u'x')}});
    QVERIFY(!tooBig);
    QCOMPARE(tooBig.error().code, BootError::BadValue);
    QVERIFY(env->update({{str("BIG"), QString(fits, u'x')}}));
    Vars expected = bootDefaults();
    expected.insert(str("BIG"), QString(fits, u'x'));
    QCOMPARE(toolList(backend, envFile), std::optional<Vars>(expected));
    QCOMPARE(env->read().value_or(Vars{}), expected);
}

// updateGrubEnv, what the GRUB backend writes (and tests/fuzz/grubenv runs): the block's
// size kept, every line of a changed name changed, unset names gone, comments kept.
void tst_BootEnv::grubUpdateInMemory()
{
    QFETCH_GLOBAL(QString, backend);
    if (backend != QLatin1StringView("grub"))
        QSKIP("GRUB only");
    QByteArray block("# GRUB Environment Block\n# a comment\nA=1\nB=2\nA=3\n");
    block.resize(1024, '#');
    const auto updated =
        bootdetail::updateGrubEnv(block, {{str("A"), str("x")}, {str("B"), QString()}, {str("C"), str("y\\")}}, str("test"));
    QVERIFY(updated);
    QCOMPARE(updated->size(), block.size());
    QVERIFY(updated->startsWith("# GRUB Environment Block\n# a comment\nA=x\nA=x\nC=y\\\\\n#"));
    QCOMPARE(bootdetail::parseGrubEnv(*updated, str("test")).value_or(Vars{}), (Vars{{str("A"), str("x")}, {str("C"), str("y\\")}}));

    QByteArray full("# GRUB Environment Block\nA=1\n");
    const auto tooSmall = bootdetail::updateGrubEnv(full, {{str("A"), str("12")}}, str("test"));
    QVERIFY(!tooSmall);
    QCOMPARE(tooSmall.error().code, BootError::BadValue);
    const auto corrupt = bootdetail::updateGrubEnv("A=1\n", {{str("A"), str("2")}}, str("test"));
    QVERIFY(!corrupt);
    QCOMPARE(corrupt.error().code, BootError::EnvCorrupt);
}

void tst_BootEnv::badConfigIsConfigUnreadable_data()
{
    // "config" empty: no config file at all
    test::addRows<QByteArray>("config", {{"missing", QByteArray()},
                                         {"no device line", QByteArray("# only a comment\n")},
                                         {"size not a number", QByteArray("/dev/null 0x0 size\n")},
                                         {"three copies", QByteArray("/a 0x0 0x4000\n/b 0x0 0x4000\n/c 0x0 0x4000\n")}});
}

void tst_BootEnv::badConfigIsConfigUnreadable()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(QByteArray, config);
    if (backend != QLatin1StringView("uboot"))
        QSKIP("only U-Boot has a configuration file");
    QTemporaryDir dir;
    const QString path = dir.filePath(str("fw_env.config"));
    if (!config.isEmpty()) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(config), config.size());
    }
    const auto opened = openBootEnvironment(backend, path);
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, BootError::ConfigUnreadable);
    QVERIFY(opened.error().message.contains(path));

    const auto noFile = openBootEnvironment(backend, QString());
    QVERIFY(!noFile);
    QCOMPARE(noFile.error().code, BootError::ConfigUnreadable);
}

void tst_BootEnv::badValuesAreRefused_data()
{
    test::addRows<Vars>("changes", {{"empty name", Vars{{QString(), str("1")}}},
                                    {"'=' in name", Vars{{str("A=B"), str("1")}}},
                                    {"space in name", Vars{{str("A B"), str("1")}}},
                                    {"name starts with '#'", Vars{{str("#A"), str("1")}}},
                                    {"non-ASCII name", Vars{{str("Grüße"), str("1")}}},
                                    {"newline in value", Vars{{str("A"), str("1\n2")}}},
                                    {"NUL in value", Vars{{str("A"), QString(QChar(u'\0'))}}},
                                    {"too large for the environment", Vars{{str("BIG"), QString(0x4000, u'x')}}},
                                    {"one bad among good", Vars{{str("BOOT_A_LEFT"), str("1")}, {str("Z"), str("a\nb")}}}});
}

// Refused before anything is written: the environment stays byte for byte as it was.
void tst_BootEnv::badValuesAreRefused()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(Vars, changes);
    QTemporaryDir dir;
    auto env = newEnvironment(dir, bootDefaults());
    QVERIFY(env);
    const QList<QByteArray> before = envBytes(backend, dir.path());
    WriteCounter counter(dir.path(), envFileNames(backend));
    const auto updated = env->update(changes);
    QVERIFY(!updated);
    QCOMPARE(updated.error().code, BootError::BadValue);
    QCOMPARE(counter.total(), 0);
    QCOMPARE(envBytes(backend, dir.path()), before);
}

void tst_BootEnv::createRefusesBadInput_data()
{
    QTest::addColumn<Vars>("vars");
    QTest::addColumn<int>("error");
    QTest::newRow("null value") << Vars{{str("A"), QString()}} << int(BootError::BadValue);
    QTest::newRow("'=' in name") << Vars{{str("A=B"), str("1")}} << int(BootError::BadValue);
    QTest::newRow("too large") << Vars{{str("BIG"), QString(0x4000, u'x')}} << int(BootError::BadValue);
}

void tst_BootEnv::createRefusesBadInput()
{
    QFETCH_GLOBAL(QString, backend);
    QFETCH(Vars, vars);
    QFETCH(int, error);
    QTemporaryDir dir;
    const auto created = createBootEnvironment(backend, dir.path(), vars);
    QVERIFY(!created);
    QCOMPARE(int(created.error().code), error);
    for (const QString &name : envFileNames(backend))
        QVERIFY(!QFile::exists(dir.filePath(name)));
}

void tst_BootEnv::unknownBackend()
{
    QFETCH_GLOBAL(QString, backend);
    QTemporaryDir dir;
    const auto created = createBootEnvironment(backend, dir.path(), bootDefaults());
    QVERIFY(created);
    for (const QString &wrong : {str("lilo"), str("UBOOT"), QString()}) {
        const auto opened = openBootEnvironment(wrong, *created);
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, BootError::UnknownBackend);
        const auto made = createBootEnvironment(wrong, dir.path(), {});
        QVERIFY(!made);
        QCOMPARE(made.error().code, BootError::UnknownBackend);
    }
}

void tst_BootEnv::toErrorMapsExitCodes_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<int>("exitCode");
    QTest::newRow("ConfigUnreadable") << int(BootError::ConfigUnreadable) << int(ExitCode::StorageError);
    QTest::newRow("EnvUnreadable") << int(BootError::EnvUnreadable) << int(ExitCode::StorageError);
    QTest::newRow("EnvCorrupt") << int(BootError::EnvCorrupt) << int(ExitCode::StorageError);
    QTest::newRow("WriteFailed") << int(BootError::WriteFailed) << int(ExitCode::StorageError);
    QTest::newRow("BadValue") << int(BootError::BadValue) << int(ExitCode::StorageError);
    QTest::newRow("UnknownBackend") << int(BootError::UnknownBackend) << int(ExitCode::Usage);
}

void tst_BootEnv::toErrorMapsExitCodes()
{
    QFETCH(int, error);
    QFETCH(int, exitCode);
    const BootProblem p{BootError(error), str("cannot read the U-Boot environment")};
    const Error e = toError(p);
    QCOMPARE(int(e.code), exitCode);
    QCOMPARE(e.message, p.message);
    QCOMPARE(e.detail, bootErrorName(p.code));
    QCOMPARE(e.detail, QString::fromUtf8(QTest::currentDataTag()));
}

QTEST_GUILESS_MAIN(tst_BootEnv)
#include "tst_bootenv.moc"
