// s16-devsim from the outside (CONTRACT §2): what init makes, what show reports, and the
// simulated bootloader's choices, read back with the real tools (fw_printenv, grub-editenv,
// sqlite3, s16-update status).
#include "e2esupport.h"

#include "support/datatable.h"
#include "support/testpki.h"

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

QString envConfigFile(const QString &dir, const QString &backend)
{
    return QDir(dir).filePath(backend == QLatin1String("grub") ? QStringLiteral("bootenv/grubenv")
                                                               : QStringLiteral("bootenv/fw_env.config"));
}

// The environment as the bootloader's own tools print it: NAME=value lines.
QMap<QString, QString> readEnvWithTools(const QString &dir, const QString &backend)
{
    const test::ToolResult r = backend == QLatin1String("grub")
                                   ? test::runTool(QStringLiteral("grub-editenv"), {envConfigFile(dir, backend), QStringLiteral("list")})
                                   : test::runTool(QStringLiteral("fw_printenv"), {QStringLiteral("-c"), envConfigFile(dir, backend)});
    QMap<QString, QString> vars;
    if (r.exitCode != 0) {
        vars.insert(QStringLiteral("<error>"), r.describe());
        return vars;
    }
    const QList<QByteArray> lines = r.out.split('\n');
    for (const QByteArray &line : lines) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0)
            vars.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return vars;
}

bool setEnvWithTools(const QString &dir, const QString &backend, const QString &name, const QString &value)
{
    const test::ToolResult r =
        backend == QLatin1String("grub")
            ? test::runTool(QStringLiteral("grub-editenv"),
                            {envConfigFile(dir, backend), QStringLiteral("set"), name + QLatin1Char('=') + value})
            : test::runTool(QStringLiteral("fw_setenv"), {QStringLiteral("-c"), envConfigFile(dir, backend), name, value});
    if (r.exitCode != 0)
        qWarning().noquote() << r.describe();
    return r.exitCode == 0;
}

QJsonObject envObject(const QMap<QString, QString> &vars)
{
    QJsonObject o;
    for (auto it = vars.cbegin(); it != vars.cend(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

} // namespace

class tst_Devsim : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void initMakesDevice_data();
    void initMakesDevice();
    void initRefuses_data();
    void initRefuses();
    void serviceScriptsFailOnRequest_data();
    void serviceScriptsFailOnRequest();
    void emptySlotDoesNotStart_data();
    void emptySlotDoesNotStart();
    void noBootableSlot();

private:
    [[nodiscard]] std::expected<QString, QString> makeDevice(const QString &dir, const QStringList &extra = {});

    QTemporaryDir m_work;
    QString m_ca, m_pub;
};

void tst_Devsim::initTestCase()
{
    QVERIFY(m_work.isValid());
    const test::TestPki &pki = test::TestPki::shared();
    QVERIFY2(pki.isValid(), qPrintable(pki.errorString()));
    m_ca = pki.caCert();
    const auto keygen = test::runTool(QStringLiteral("s16-publish"),
                                      {QStringLiteral("keygen"), QStringLiteral("--out"), m_work.filePath(QStringLiteral("keys"))});
    QVERIFY2(keygen.exitCode == 0, qPrintable(keygen.describe()));
    m_pub = m_work.filePath(QStringLiteral("keys/signing.pub"));
}

std::expected<QString, QString> tst_Devsim::makeDevice(const QString &dir, const QStringList &extra)
{
    QStringList args{QStringLiteral("init"), dir,  QStringLiteral("--repo-url"), QStringLiteral("https://127.0.0.1:9/s16/stable/"),
                     QStringLiteral("--ca"), m_ca, QStringLiteral("--pubkey"),   m_pub};
    const auto r = devsim(args + extra);
    if (r.exitCode != 0)
        return std::unexpected(r.describe());
    return QString::fromUtf8(r.out.trimmed().split('\n').constLast());
}

void tst_Devsim::initMakesDevice_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("version");
    QTest::addColumn<int>("schema");
    QTest::addColumn<QString>("token");
    QTest::newRow("uboot, defaults") << QStringLiteral("uboot") << QString() << -1 << QString();
    QTest::newRow("grub, 2.3.4, schema 0") << QStringLiteral("grub") << QStringLiteral("2.3.4") << 0 << QString();
    QTest::newRow("uboot, pre-release, schema 7, token")
        << QStringLiteral("uboot") << QStringLiteral("1.0.0-rc.1") << 7 << QStringLiteral("s3cret");
    QTest::newRow("grub, token") << QStringLiteral("grub") << QStringLiteral("1.0.0") << 3 << QStringLiteral("tok");
}

void tst_Devsim::initMakesDevice()
{
    QFETCH(QString, backend);
    QFETCH(QString, version);
    QFETCH(int, schema);
    QFETCH(QString, token);
    static int n = 0;
    const QString dir = m_work.filePath(QStringLiteral("device-") + QString::number(++n));
    QStringList extra{QStringLiteral("--boot"), backend};
    if (!version.isEmpty())
        extra << QStringLiteral("--version") << version;
    if (schema >= 0)
        extra << QStringLiteral("--schema") << QString::number(schema);
    if (!token.isEmpty())
        extra << QStringLiteral("--token") << token;
    const QString expectedVersion = version.isEmpty() ? QStringLiteral("1.0.0") : version;
    const int expectedSchema = schema >= 0 ? schema : 1;

    const auto config = makeDevice(dir, extra);
    QVERIFY2(config, why(config).constData());
    QCOMPARE(*config, QDir(dir).filePath(QStringLiteral("update.conf")));

    // show --json, key by key as CONTRACT §2 names them
    const auto state = show(dir);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("A"));
    QCOMPARE(state->value(QStringLiteral("mode")).toString(), QStringLiteral("normal"));
    const QJsonObject expectedSlots{
        {QStringLiteral("A"), QJsonObject{{QStringLiteral("version"), expectedVersion}, {QStringLiteral("state"), QStringLiteral("good")}}},
        {QStringLiteral("B"),
         QJsonObject{{QStringLiteral("version"), QJsonValue(QJsonValue::Null)}, {QStringLiteral("state"), QStringLiteral("empty")}}}};
    QCOMPARE(state->value(QStringLiteral("slots")).toObject(), expectedSlots);
    const QJsonObject expectedEnv{{QStringLiteral("BOOT_ORDER"), QStringLiteral("A B")},
                                  {QStringLiteral("BOOT_A_LEFT"), QStringLiteral("3")},
                                  {QStringLiteral("BOOT_B_LEFT"), QStringLiteral("0")}};
    QCOMPARE(state->value(QStringLiteral("bootEnv")).toObject(), expectedEnv);
    QCOMPARE(state->value(QStringLiteral("dbUserVersion")).toInt(-1), expectedSchema);
    QVERIFY(state->value(QStringLiteral("rebootPending")).isBool());
    QCOMPARE(state->value(QStringLiteral("rebootPending")).toBool(), false);

    // the same, read by the bootloader's own tools and by sqlite3
    QCOMPARE(envObject(readEnvWithTools(dir, backend)), expectedEnv);
    const auto userVersion = sqliteUserVersion(QDir(dir).filePath(QStringLiteral("app.db")));
    QVERIFY2(userVersion, why(userVersion).constData());
    QCOMPARE(*userVersion, expectedSchema);
    const auto dump = sqliteDump(QDir(dir).filePath(QStringLiteral("app.db")));
    QVERIFY2(dump && dump->contains("INSERT INTO"), "the database holds no user data");

    // the updater reads the same device: running version, consent off, nothing pending
    const auto status = update(*config, {QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(status.exitCode == 0, qPrintable(status.describe()));
    const auto statusJson = jsonOf(status);
    QVERIFY2(statusJson, why(statusJson).constData());
    QCOMPARE(statusJson->value(QStringLiteral("currentVersion")).toString(), expectedVersion);
    QCOMPARE(statusJson->value(QStringLiteral("consent")).toBool(true), false);
    QCOMPARE(statusJson->value(QStringLiteral("rebootPending")).toBool(true), false);
    QCOMPARE(statusJson->value(QStringLiteral("state")).toString(), QStringLiteral("idle"));

    // every path of the config lies inside DIR; the reboot is only recorded
    QSettings ini(*config, QSettings::IniFormat);
    const QStringList pathKeys{QStringLiteral("server/caFile"),   QStringLiteral("trust/publicKeys"), QStringLiteral("device/versionFile"),
                               QStringLiteral("device/stateDir"), QStringLiteral("device/updateDir"), QStringLiteral("device/database"),
                               QStringLiteral("boot/envFile"),    QStringLiteral("boot/slotA"),       QStringLiteral("boot/slotB")};
    const QString canonicalDir = QFileInfo(dir).canonicalFilePath();
    for (const QString &key : pathKeys) {
        const QString value = ini.value(key).toString();
        QVERIFY2(!value.isEmpty(), qPrintable(key));
        const QString resolved = QFileInfo(QDir(dir).absoluteFilePath(value)).canonicalFilePath();
        QVERIFY2(resolved.startsWith(canonicalDir + QLatin1Char('/')), qPrintable(key + QStringLiteral(" = ") + value));
    }
    QVERIFY(ini.contains(QStringLiteral("boot/rebootCommand")));
    QCOMPARE(ini.value(QStringLiteral("boot/rebootCommand")).toString(), QString());
    QCOMPARE(ini.value(QStringLiteral("boot/backend")).toString(), backend);
    QCOMPARE(ini.contains(QStringLiteral("server/tokenFile")), !token.isEmpty());
    if (!token.isEmpty()) {
        QFile tokenFile(QDir(dir).absoluteFilePath(ini.value(QStringLiteral("server/tokenFile")).toString()));
        QVERIFY(tokenFile.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(tokenFile.readAll().trimmed()), token);
    }

    // slot A holds an image, slot B nothing
    QVERIFY(QFileInfo(QDir(dir).absoluteFilePath(ini.value(QStringLiteral("boot/slotA")).toString())).size() > 0);
    QCOMPARE(QFileInfo(QDir(dir).absoluteFilePath(ini.value(QStringLiteral("boot/slotB")).toString())).size(), 0);
}

void tst_Devsim::initRefuses_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<bool>("nonEmpty");
    QTest::newRow("folder not empty") << QStringList() << true;
    QTest::newRow("version not SemVer") << QStringList{QStringLiteral("--version"), QStringLiteral("1.0")} << false;
    QTest::newRow("unknown boot backend") << QStringList{QStringLiteral("--boot"), QStringLiteral("lilo")} << false;
    QTest::newRow("missing CA") << QStringList{QStringLiteral("--ca"), QStringLiteral("/nonexistent/ca.pem")} << false;
    QTest::newRow("schema not a number") << QStringList{QStringLiteral("--schema"), QStringLiteral("two")} << false;
}

void tst_Devsim::initRefuses()
{
    QFETCH(QStringList, extra);
    QFETCH(bool, nonEmpty);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString deviceDir = nonEmpty ? dir.path() : dir.filePath(QStringLiteral("device"));
    if (nonEmpty) {
        QFile f(dir.filePath(QStringLiteral("something")));
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    const auto r =
        devsim(QStringList{QStringLiteral("init"), deviceDir, QStringLiteral("--repo-url"), QStringLiteral("https://127.0.0.1:9/"),
                           QStringLiteral("--ca"), m_ca, QStringLiteral("--pubkey"), m_pub}
               + extra);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(!QFileInfo::exists(QDir(deviceDir).filePath(QStringLiteral("update.conf"))));
}

void tst_Devsim::serviceScriptsFailOnRequest_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("marker");
    QTest::newRow("reload") << QStringLiteral("services/reload") << QStringLiteral("fail-reload");
    QTest::newRow("health") << QStringLiteral("services/healthCheck") << QStringLiteral("fail-health");
}

void tst_Devsim::serviceScriptsFailOnRequest()
{
    QFETCH(QString, key);
    QFETCH(QString, marker);
    QTemporaryDir dir;
    // a space and a quote, so the command must be quoted for the shell (grub: a fw_env.config
    // cannot name a path with white space)
    const QString deviceDir = dir.filePath(QStringLiteral("dev'ice x"));
    const auto config = makeDevice(deviceDir, {QStringLiteral("--boot"), QStringLiteral("grub")});
    QVERIFY2(config, why(config).constData());
    const QString command = QSettings(*config, QSettings::IniFormat).value(key).toString();
    QVERIFY(!command.isEmpty());
    // run as the install engine runs it: /bin/sh -c from some other folder
    auto r = test::runTool(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), command});
    QCOMPARE(r.exitCode, 0);
    QFile f(QDir(deviceDir).filePath(marker));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    r = test::runTool(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), command});
    QCOMPARE(r.exitCode, 1);
}

void tst_Devsim::emptySlotDoesNotStart_data() { test::addBackendRows(); }

// The bootloader tries the empty slot B first: nothing starts there, each try is spent,
// and once its counter is out the device falls back to A, where the system runs.
void tst_Devsim::emptySlotDoesNotStart()
{
    QFETCH(QString, backend);
    QTemporaryDir dir;
    const QString deviceDir = dir.filePath(QStringLiteral("device"));
    const auto config = makeDevice(deviceDir, {QStringLiteral("--boot"), backend});
    QVERIFY2(config, why(config).constData());
    QVERIFY(setEnvWithTools(deviceDir, backend, QStringLiteral("BOOT_ORDER"), QStringLiteral("B A")));
    QVERIFY(setEnvWithTools(deviceDir, backend, QStringLiteral("BOOT_B_LEFT"), QStringLiteral("2")));

    const auto first = devsim({QStringLiteral("boot"), deviceDir, QStringLiteral("--json")});
    QCOMPARE(first.exitCode, 0);
    auto json = jsonOf(first);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("mode")).toString(), QStringLiteral("normal"));
    QCOMPARE(json->value(QStringLiteral("slot")).toString(), QStringLiteral("B"));
    QCOMPARE(json->value(QStringLiteral("systemStarted")).toBool(true), false);
    QVERIFY(json->value(QStringLiteral("ran")).isNull());
    QCOMPARE(json->value(QStringLiteral("rebootPending")).toBool(false), true);
    QCOMPARE(readEnvWithTools(deviceDir, backend).value(QStringLiteral("BOOT_B_LEFT")), QStringLiteral("1"));

    const auto rest = devsim({QStringLiteral("run"), deviceDir, QStringLiteral("--json")});
    QCOMPARE(rest.exitCode, 0);
    json = jsonOf(rest);
    QVERIFY2(json, why(json).constData());
    const QJsonArray boots = json->value(QStringLiteral("boots")).toArray();
    QCOMPARE(boots.size(), 2);
    QCOMPARE(boots.at(0).toObject().value(QStringLiteral("slot")).toString(), QStringLiteral("B"));
    QCOMPARE(boots.at(0).toObject().value(QStringLiteral("systemStarted")).toBool(true), false);
    QCOMPARE(boots.at(1).toObject().value(QStringLiteral("slot")).toString(), QStringLiteral("A"));
    QCOMPARE(boots.at(1).toObject().value(QStringLiteral("ran")).toString(), QStringLiteral("s16-update boot-complete"));
    QCOMPARE(readEnvWithTools(deviceDir, backend).value(QStringLiteral("BOOT_B_LEFT")), QStringLiteral("0"));

    const auto state = show(deviceDir);
    QVERIFY2(state, why(state).constData());
    QCOMPARE(state->value(QStringLiteral("bootedSlot")).toString(), QStringLiteral("A"));
    QCOMPARE(state->value(QStringLiteral("mode")).toString(), QStringLiteral("normal"));
}

void tst_Devsim::noBootableSlot()
{
    QTemporaryDir dir;
    const QString deviceDir = dir.filePath(QStringLiteral("device"));
    const auto config = makeDevice(deviceDir);
    QVERIFY2(config, why(config).constData());
    QVERIFY(setEnvWithTools(deviceDir, QStringLiteral("uboot"), QStringLiteral("BOOT_A_LEFT"), QStringLiteral("0")));
    const auto before = readEnvWithTools(deviceDir, QStringLiteral("uboot"));
    const auto r = devsim({QStringLiteral("boot"), deviceDir, QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 3);
    const auto json = jsonOf(r);
    QVERIFY2(json, why(json).constData());
    QCOMPARE(json->value(QStringLiteral("mode")).toString(), QStringLiteral("none"));
    QCOMPARE(json->value(QStringLiteral("rebootPending")).toBool(true), false);
    QCOMPARE(readEnvWithTools(deviceDir, QStringLiteral("uboot")), before);
}

QTEST_GUILESS_MAIN(tst_Devsim)
#include "tst_devsim.moc"
