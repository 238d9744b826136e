// The whole update as a device lives it (CONTRACT §2-§4): a release published with
// s16-publish and served by nginx over TLS, found and downloaded by s16-update, installed
// through s16-recovery on a simulated device, committed or rolled back by boot-complete.
#include "e2esupport.h"
#include "support/datatable.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using namespace s16::e2e;

namespace {

constexpr qint64 kImageBytes = 512 * 1024;

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
}

bool touch(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly);
}

// The chunk index staged beside the image ("<image>.caibx"), the only one; empty when there is none.
QString stagedIndexOf(const QString &device)
{
    const QDir staged(QDir(device).filePath(QStringLiteral("update/staged")));
    const QStringList found = staged.entryList({QStringLiteral("*.caibx")}, QDir::Files);
    return found.size() == 1 ? staged.filePath(found.first()) : QString();
}

QJsonObject slot(const QString &version, const QString &state)
{
    return QJsonObject{{QStringLiteral("version"), version.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(version)},
                       {QStringLiteral("state"), state}};
}

} // namespace

class tst_UpdateFlow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void happyPath_data();
    void happyPath();
    void priorityUpdateRebootsWithoutInstall();
    void damagedStagedIndexLeavesTheSlotHashedWhole();
    void failingServicesRollBack_data();
    void failingServicesRollBack();

private:
    struct World {
        std::unique_ptr<QTemporaryDir> tmp;
        ReleaseServer server;
        QString device;
        QString config;
    };
    enum class Release { Migrating, Priority };
    // A server holding 1.0.0 and then 1.1.0 (with the migration to schema 2, or as a priority update), and a device
    // running 1.0.0 at schema 1.
    [[nodiscard]] std::expected<void, QString> makeWorld(World &w, Release release, const QString &backend);
    [[nodiscard]] QString migrationFile(const QString &dir);
};

void tst_UpdateFlow::initTestCase()
{
    if (!QFileInfo(QDir(test::binDir()).filePath(QStringLiteral("s16-recovery"))).isExecutable())
        QSKIP("s16-recovery is not in the bin folder: build the whole project");
}

QString tst_UpdateFlow::migrationFile(const QString &dir)
{
    const QString path = QDir(dir).filePath(QStringLiteral("0002.sql"));
    QFile f(path);
    if (f.open(QIODevice::WriteOnly))
        f.write(migrationSql());
    return path;
}

std::expected<void, QString> tst_UpdateFlow::makeWorld(World &w, Release release, const QString &backend)
{
    w.tmp = std::make_unique<QTemporaryDir>();
    if (!w.tmp->isValid())
        return std::unexpected(QStringLiteral("no temporary folder"));
    const QStringList extraArgs = release == Release::Migrating
                                      ? QStringList{QStringLiteral("--migration"), QStringLiteral("2=") + migrationFile(w.tmp->path())}
                                      : QStringList{QStringLiteral("--priority")};
    if (auto s = w.server.start(w.tmp->filePath(QStringLiteral("server"))); !s)
        return s;
    if (auto s = w.server.publish(QStringLiteral("1.0.0"), kImageBytes); !s)
        return s;
    if (auto s = w.server.publish(QStringLiteral("1.1.0"), kImageBytes, extraArgs); !s)
        return s;
    w.device = w.tmp->filePath(QStringLiteral("device"));
    auto config = initDevice(w.device, w.server, {QStringLiteral("--boot"), backend, QStringLiteral("--schema"), QStringLiteral("1")});
    if (!config)
        return std::unexpected(config.error());
    w.config = *config;
    return {};
}

void tst_UpdateFlow::happyPath_data() { test::addBackendRows(); }

void tst_UpdateFlow::happyPath()
{
    QFETCH(QString, backend);
    World w;
    const auto made = makeWorld(w, Release::Migrating, backend);
    QVERIFY2(made, why(made).constData());
    const QString db = QDir(w.device).filePath(QStringLiteral("app.db"));

    // what the migrated database must be: the same script applied by sqlite3 to a copy
    QTemporaryDir scratch;
    const QString expectedDb = scratch.filePath(QStringLiteral("expected.db"));
    QVERIFY(QFile::copy(db, expectedDb));
    const auto applied =
        test::runTool(QStringLiteral("sqlite3"), {expectedDb}, QProcessEnvironment::systemEnvironment(), 30000, migrationSql());
    QVERIFY2(applied.exitCode == 0, qPrintable(applied.describe()));
    const auto expectedDump = sqliteDump(expectedDb);
    const auto dumpBefore = sqliteDump(db);
    QVERIFY(expectedDump && dumpBefore);
    QVERIFY(*expectedDump != *dumpBefore);

    auto r = update(w.config, {QStringLiteral("download"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    auto json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("stagedVersion")).toString(), QStringLiteral("1.1.0"));
    QCOMPARE(json->value(QStringLiteral("rebootPending")).toBool(true), false);
    // the staged update checks with sha256sum, as CONTRACT §4 promises
    const auto sums =
        test::runTool(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("cd \"$0\" && sha256sum -c -- *.sha256"),
                                                  QDir(w.device).filePath(QStringLiteral("update/staged"))});
    QVERIFY2(sums.exitCode == 0, qPrintable(sums.describe()));
    // beside it the release's chunk index, which recovery checks the slot against (E49)
    const QString stagedIndex = stagedIndexOf(w.device);
    QVERIFY(!stagedIndex.isEmpty());
    QCOMPARE(readAll(stagedIndex), readAll(w.server.workDir() + QStringLiteral("/repo/images/s16-1.1.0.caibx")));

    r = update(w.config, {QStringLiteral("install"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    auto state = show(w.device);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("rebootPending")).toBool(false), true);
    QCOMPARE(state->value(QStringLiteral("bootEnv")).toObject().value(QStringLiteral("S16_RECOVERY")).toString(), QStringLiteral("1"));

    r = devsim({QStringLiteral("run"), w.device, QStringLiteral("--json")}, QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    const QJsonArray boots = json->value(QStringLiteral("boots")).toArray();
    QVERIFY2(boots.size() >= 2, qPrintable(QString::fromUtf8(r.out)));
    QCOMPARE(boots.first().toObject().value(QStringLiteral("mode")).toString(), QStringLiteral("recovery"));
    QCOMPARE(boots.first().toObject().value(QStringLiteral("exitCode")).toInt(-1), 0);
    QVERIFY2(r.err.contains("against the chunk index"), r.err.constData());
    const QJsonObject last = boots.last().toObject();
    QCOMPARE(last.value(QStringLiteral("mode")).toString(), QStringLiteral("normal"));
    QCOMPARE(last.value(QStringLiteral("slot")).toString(), QStringLiteral("B"));
    QVERIFY2(last.value(QStringLiteral("exitCode")).toInt(-1) == 0, qPrintable(r.describe()));
    QCOMPARE(json->value(QStringLiteral("rebootPending")).toBool(true), false);

    state = show(w.device);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("B"));
    QCOMPARE(state->value(QStringLiteral("mode")).toString(), QStringLiteral("normal"));
    const QJsonObject slots{{QStringLiteral("A"), slot(QStringLiteral("1.0.0"), QStringLiteral("good"))},
                            {QStringLiteral("B"), slot(QStringLiteral("1.1.0"), QStringLiteral("good"))}};
    QCOMPARE(state->value(QStringLiteral("slots")).toObject(), slots);
    QCOMPARE(state->value(QStringLiteral("dbUserVersion")).toInt(-1), 2);
    QCOMPARE(state->value(QStringLiteral("rebootPending")).toBool(true), false);
    QVERIFY(state->value(QStringLiteral("bootEnv")).toObject().value(QStringLiteral("BOOT_ORDER")).toString().startsWith(u'B'));
    QVERIFY(state->value(QStringLiteral("bootEnv")).toObject().value(QStringLiteral("S16_RECOVERY")).toString() != QStringLiteral("1"));

    // the real tools agree: the schema, the migrated data, the slot's bytes
    QCOMPARE(sqliteUserVersion(db).value_or(-1), 2);
    QCOMPARE(sqliteDump(db).value_or(QByteArray()), *expectedDump);
    const QString slotB =
        QDir(w.device).absoluteFilePath(QSettings(w.config, QSettings::IniFormat).value(QStringLiteral("boot/slotB")).toString());
    QVERIFY(readAll(slotB).left(kImageBytes) == readAll(w.server.imagePath(QStringLiteral("1.1.0"))));

    r = update(w.config, {QStringLiteral("status"), QStringLiteral("--json")});
    json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("currentVersion")).toString(), QStringLiteral("1.1.0"));
    QCOMPARE(json->value(QStringLiteral("state")).toString(), QStringLiteral("idle"));
    QVERIFY(json->value(QStringLiteral("stagedVersion")).isNull());

    // an ordinary power-on afterwards boots B again, without asking for another reboot
    r = devsim({QStringLiteral("boot"), w.device, QStringLiteral("--json")});
    json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("slot")).toString(), QStringLiteral("B"));
    QCOMPARE(json->value(QStringLiteral("exitCode")).toInt(-1), 0);
    QCOMPARE(json->value(QStringLiteral("rebootPending")).toBool(true), false);
}

void tst_UpdateFlow::priorityUpdateRebootsWithoutInstall()
{
    World w;
    const auto made = makeWorld(w, Release::Priority, QStringLiteral("uboot"));
    QVERIFY2(made, why(made).constData());

    auto r = update(w.config, {QStringLiteral("download"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    auto json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("priority")).toBool(false), true);
    QCOMPARE(json->value(QStringLiteral("rebootPending")).toBool(false), true);
    auto state = show(w.device);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("rebootPending")).toBool(false), true);

    // no `s16-update install`: the next power-on goes to recovery by itself
    r = devsim({QStringLiteral("run"), w.device, QStringLiteral("--json")}, QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("boots")).toArray().first().toObject().value(QStringLiteral("mode")).toString(),
             QStringLiteral("recovery"));
    state = show(w.device);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("B"));
    QCOMPARE(state->value(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject(),
             slot(QStringLiteral("1.1.0"), QStringLiteral("good")));
    QCOMPARE(state->value(QStringLiteral("dbUserVersion")).toInt(-1), 1); // no schema in this release
}

void tst_UpdateFlow::damagedStagedIndexLeavesTheSlotHashedWhole()
{
    // The staged chunk index only saves recovery work: one that is no longer the signed one is
    // not used, E49 hashes the slot whole instead, and the update installs.
    World w;
    const auto made = makeWorld(w, Release::Priority, QStringLiteral("uboot"));
    QVERIFY2(made, why(made).constData());
    auto r = update(w.config, {QStringLiteral("download"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QString stagedIndex = stagedIndexOf(w.device);
    QVERIFY(!stagedIndex.isEmpty());
    QFile index(stagedIndex);
    QVERIFY(index.open(QIODevice::ReadWrite));
    QByteArray bytes = index.readAll();
    QVERIFY(bytes.size() > 100);
    bytes[100] = char(bytes[100] ^ 0x01);
    QVERIFY(index.seek(0) && index.write(bytes) == bytes.size());
    index.close();

    r = devsim({QStringLiteral("run"), w.device, QStringLiteral("--json")}, QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY2(r.err.contains("is not used: it is not the index the manifest signs"), r.err.constData());
    QVERIFY2(r.err.contains("against the image's SHA-256"), r.err.constData());
    const auto state = show(w.device);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("B"));
    QCOMPARE(state->value(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject(),
             slot(QStringLiteral("1.1.0"), QStringLiteral("good")));
}

void tst_UpdateFlow::failingServicesRollBack_data()
{
    QTest::addColumn<QString>("marker");
    QTest::addColumn<QString>("backend");
    QTest::newRow("health check fails, uboot") << QStringLiteral("fail-health") << QStringLiteral("uboot");
    QTest::newRow("reload fails, grub") << QStringLiteral("fail-reload") << QStringLiteral("grub");
}

void tst_UpdateFlow::failingServicesRollBack()
{
    QFETCH(QString, marker);
    QFETCH(QString, backend);
    World w;
    const auto made = makeWorld(w, Release::Migrating, backend);
    QVERIFY2(made, why(made).constData());
    const QString db = QDir(w.device).filePath(QStringLiteral("app.db"));
    const auto dumpBefore = sqliteDump(db);
    QVERIFY2(dumpBefore, why(dumpBefore).constData());

    auto r = update(w.config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    r = update(w.config, {QStringLiteral("install")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY(touch(QDir(w.device).filePath(marker)));

    r = devsim({QStringLiteral("run"), w.device, QStringLiteral("--json")}, QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    auto json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    const QJsonArray boots = json->value(QStringLiteral("boots")).toArray();
    // recovery, the new slot B failing its services (exit 20), then back on A
    bool triedB = false;
    for (const QJsonValue &b : boots) {
        const QJsonObject o = b.toObject();
        if (o.value(QStringLiteral("mode")).toString() == QStringLiteral("normal")
            && o.value(QStringLiteral("slot")).toString() == QStringLiteral("B")) {
            triedB = true;
            QVERIFY2(o.value(QStringLiteral("exitCode")).toInt(-1) == 20, qPrintable(r.describe()));
        }
    }
    QVERIFY2(triedB, qPrintable(QString::fromUtf8(r.out)));
    QCOMPARE(boots.last().toObject().value(QStringLiteral("slot")).toString(), QStringLiteral("A"));

    const auto state = show(w.device);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("A"));
    QCOMPARE(state->value(QStringLiteral("slots")).toObject().value(QStringLiteral("A")).toObject(),
             slot(QStringLiteral("1.0.0"), QStringLiteral("good")));
    QCOMPARE(
        state->value(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject().value(QStringLiteral("state")).toString(),
        QStringLiteral("bad"));
    QCOMPARE(state->value(QStringLiteral("dbUserVersion")).toInt(-1), 1);
    QCOMPARE(state->value(QStringLiteral("rebootPending")).toBool(true), false);
    QCOMPARE(sqliteDump(db).value_or(QByteArray()), *dumpBefore);

    r = update(w.config, {QStringLiteral("status"), QStringLiteral("--json")});
    json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("currentVersion")).toString(), QStringLiteral("1.0.0"));
    QCOMPARE(json->value(QStringLiteral("lastError")).toObject().value(QStringLiteral("code")).toInt(), 20);
}

QTEST_GUILESS_MAIN(tst_UpdateFlow)
#include "tst_updateflow.moc"
