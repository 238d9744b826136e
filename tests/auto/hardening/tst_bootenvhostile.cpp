// Boot environments in a shape no tool of ours writes, as the fuzz targets found them
// (tests/fuzz/grubenv, tests/fuzz/ubootenv): the backends must refuse or handle them
// exactly, because the bootloader acts on what they hold.
#include "boot/bootenv.h"
#include "boot/bootenv_p.h"

#include "support/testutil.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;

class tst_BootEnvHostile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ubootCopyWithoutEndOfListIsRefused_data();
    void ubootCopyWithoutEndOfListIsRefused();
    void grubDuplicateVariableIsChangedEverywhere();
};

void tst_BootEnvHostile::ubootCopyWithoutEndOfListIsRefused_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("no NUL at all") << QByteArray("BOOT_ORDER=A B") << false;
    QTest::newRow("one NUL, no empty string") << QByteArray("BOOT_ORDER=A B", 15) << false;
    QTest::newRow("ends with an empty string") << QByteArray("BOOT_ORDER=A B\0\0", 16) << true;
    QTest::newRow("empty list") << QByteArray("\0", 1) << true;
}

void tst_BootEnvHostile::ubootCopyWithoutEndOfListIsRefused()
{
    QFETCH(QByteArray, data);
    QFETCH(bool, accepted);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto config = createBootEnvironment(QStringLiteral("uboot"), dir.path(), {{QStringLiteral("BOOT_ORDER"), QStringLiteral("A B")}});
    QVERIFY(config);
    // both copies hold data whose CRC is right, padded with 0xFF as flash is
    QByteArray area = data;
    area.resize(0x4000 - 5, char(0xFF));
    const quint32 crc = bootdetail::crc32(area.constData(), area.size());
    QByteArray image;
    for (int shift = 0; shift < 32; shift += 8)
        image += char((crc >> shift) & 0xFFu);
    image += char(1);
    image += area;
    for (const char *name : {"/env.bin", "/env-redund.bin"}) {
        QFile f(dir.path() + QLatin1String(name));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(image), image.size());
    }
    auto env = openBootEnvironment(QStringLiteral("uboot"), *config);
    QVERIFY(env);
    const auto vars = (*env)->read();
    if (accepted) {
        QVERIFY2(vars, qPrintable(vars ? QString() : vars.error().message));
        return;
    }
    QVERIFY(!vars);
    QCOMPARE(vars.error().code, BootError::EnvCorrupt);
}

void tst_BootEnvHostile::grubDuplicateVariableIsChangedEverywhere()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.path() + QStringLiteral("/grubenv");
    QByteArray block("# GRUB Environment Block\nS16_RECOVERY=0\nBOOT_ORDER=A B\nS16_RECOVERY=0\n");
    block.resize(1024, '#');
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(block), block.size());
    f.close();
    auto env = openBootEnvironment(QStringLiteral("grub"), path);
    QVERIFY(env);
    QVERIFY((*env)->update({{QStringLiteral("S16_RECOVERY"), QStringLiteral("1")}}));
    const auto vars = (*env)->read();
    QVERIFY(vars);
    QCOMPARE(vars->value(QStringLiteral("S16_RECOVERY")), QStringLiteral("1"));
    // grub-editenv sees no line that still says 0, whichever of them GRUB would take
    const auto listed = test::runTool(QStringLiteral("grub-editenv"), {path, QStringLiteral("list")});
    QCOMPARE(listed.exitCode, 0);
    QVERIFY2(!listed.out.contains("S16_RECOVERY=0"), listed.out.constData());
    QCOMPARE(listed.out.count("S16_RECOVERY=1"), 2);
}

QTEST_GUILESS_MAIN(tst_BootEnvHostile)
#include "tst_bootenvhostile.moc"
