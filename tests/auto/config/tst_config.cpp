#include "config/config.h"
#include "support/datatable.h"

#include <QDir>
#include <QFile>
#include <QMap>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace s16;

Q_DECLARE_METATYPE(s16::ConfigError)

namespace {

// A complete, valid device: every file the base configuration names exists.
const QMap<QString, QString> kBase{
    {QStringLiteral("server/url"), QStringLiteral("https://127.0.0.1:8443/s16/stable")},
    {QStringLiteral("server/caFile"), QStringLiteral("ca.pem")},
    {QStringLiteral("server/tokenFile"), QStringLiteral("token")},
    {QStringLiteral("trust/publicKeys"), QStringLiteral("keys/a.pub, keys/b.pub")},
    {QStringLiteral("device/versionFile"), QStringLiteral("version")},
    {QStringLiteral("device/stateDir"), QStringLiteral("state")},
    {QStringLiteral("device/updateDir"), QStringLiteral("update")},
    {QStringLiteral("device/database"), QStringLiteral("app.db")},
    {QStringLiteral("boot/backend"), QStringLiteral("uboot")},
    {QStringLiteral("boot/envFile"), QStringLiteral("fw_env.config")},
    {QStringLiteral("boot/slotA"), QStringLiteral("slotA.img")},
    {QStringLiteral("boot/slotB"), QStringLiteral("slotB.img")},
};

} // namespace

class tst_Config : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void validConfigResolvesPathsAndDefaults();
    void acceptedVariants_data();
    void acceptedVariants();
    void numbersInRange_data();
    void numbersInRange();
    void rejected_data();
    void rejected();
    void fileMissing();
    void fileUnreadable_data();
    void fileUnreadable();
    void syntaxError_data();
    void syntaxError();
    void unknownKeysWarnOncePerFile();
    void defaultConfigPathFollowsEnvironment();
    void toErrorIsUsage();
    void shippedConfigIsValidAndMatchesDefaults();

private:
    // overrides: "section/key=value" sets, "-section/key" removes.
    QString writeConfig(const QStringList &overrides, const QString &name = QStringLiteral("update.conf"));
    void touch(const QString &relative);

    QScopedPointer<QTemporaryDir> m_dir;
};

void tst_Config::touch(const QString &relative)
{
    const QString path = m_dir->filePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
}

void tst_Config::init()
{
    m_dir.reset(new QTemporaryDir);
    QVERIFY(m_dir->isValid());
    for (const char *name : {"ca.pem", "token", "keys/a.pub", "keys/b.pub", "client.crt", "client.key"})
        touch(QString::fromLatin1(name));
}

QString tst_Config::writeConfig(const QStringList &overrides, const QString &name)
{
    QMap<QString, QString> values = kBase;
    for (const QString &o : overrides) {
        if (o.startsWith(QLatin1Char('-'))) {
            values.remove(o.mid(1));
            continue;
        }
        const qsizetype eq = o.indexOf(QLatin1Char('='));
        values.insert(o.left(eq), o.mid(eq + 1));
    }
    QMap<QString, QStringList> sections;
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        const QString section = it.key().section(QLatin1Char('/'), 0, 0);
        sections[section].append(it.key().section(QLatin1Char('/'), 1) + QLatin1Char('=') + it.value());
    }
    QByteArray text = "; written by tst_config\n";
    for (auto it = sections.cbegin(); it != sections.cend(); ++it)
        text += '[' + it.key().toUtf8() + "]\n" + it.value().join(QLatin1Char('\n')).toUtf8() + "\n\n";
    const QString path = m_dir->filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text) != text.size())
        qFatal("cannot write test config");
    return path;
}

void tst_Config::validConfigResolvesPathsAndDefaults()
{
    const QString path = writeConfig({});
    const auto c = loadConfig(path);
    QVERIFY2(c, c ? "" : qPrintable(c.error().message));
    const QDir d(m_dir->path());
    QCOMPARE(c->filePath, d.filePath(QStringLiteral("update.conf")));
    QCOMPARE(c->server.url, QUrl(QStringLiteral("https://127.0.0.1:8443/s16/stable/")));
    QCOMPARE(c->server.caFile, d.filePath(QStringLiteral("ca.pem")));
    QCOMPARE(c->server.tokenFile, d.filePath(QStringLiteral("token")));
    QCOMPARE(c->trust.publicKeys, QStringList({d.filePath(QStringLiteral("keys/a.pub")), d.filePath(QStringLiteral("keys/b.pub"))}));
    QCOMPARE(c->device.versionFile, d.filePath(QStringLiteral("version")));
    QCOMPARE(c->device.stateDir, d.filePath(QStringLiteral("state")));
    QCOMPARE(c->device.updateDir, d.filePath(QStringLiteral("update")));
    QCOMPARE(c->device.database, d.filePath(QStringLiteral("app.db")));
    QCOMPARE(c->boot.envFile, d.filePath(QStringLiteral("fw_env.config")));
    QCOMPARE(c->boot.slotA, d.filePath(QStringLiteral("slotA.img")));
    QCOMPARE(c->boot.slotB, d.filePath(QStringLiteral("slotB.img")));
    QCOMPARE(c->boot.backend, QStringLiteral("uboot"));
    QCOMPARE(c->boot.rebootCommand, QStringLiteral("systemctl reboot"));

    const Config defaults;
    QCOMPARE(c->server.retryIntervalSeconds, 30);
    QCOMPARE(c->server.maxTries, 5);
    QCOMPARE(c->server.checkIntervalSeconds, 86400);
    QCOMPARE(c->server.checkJitterSeconds, 3600);
    QCOMPARE(c->server.connectTimeoutSeconds, 15);
    QCOMPARE(c->server.stallTimeoutSeconds, 30);
    QCOMPARE(c->server.allowInsecureHttp, false);
    QVERIFY(c->server.clientCertificate.isEmpty());
    QVERIFY(c->server.pinnedPublicKey.isEmpty());
    QCOMPARE(c->device.product, QStringLiteral("s16"));
    QCOMPARE(c->device.freeSpaceMarginBytes, 16 * 1024 * 1024);
    QCOMPARE(c->services.timeoutSeconds, 120);
    QVERIFY(c->diagnostics.url.isEmpty());
    QCOMPARE(c->diagnostics.maxQueuedReports, defaults.diagnostics.maxQueuedReports);
    QCOMPARE(c->diagnostics.maxQueuedBytes, 4 * 1024 * 1024);
    QCOMPARE(c->log.maxEntries, 2000);
    QCOMPARE(c->ui.priorityCountdownSeconds, 60);
}

// Each row: overrides, then one field (named by the key) and the value it must have.
void tst_Config::acceptedVariants_data()
{
    QTest::addColumn<QStringList>("overrides");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");
    const QString dir = QStringLiteral("<dir>");

    QTest::newRow("url keeps its slash") << QStringList{QStringLiteral("server/url=https://h/a/b/")} << QStringLiteral("server/url")
                                         << QStringLiteral("https://h/a/b/");
    QTest::newRow("url without path gets one") << QStringList{QStringLiteral("server/url=https://h:1")} << QStringLiteral("server/url")
                                               << QStringLiteral("https://h:1/");
    QTest::newRow("http allowed in development")
        << QStringList{QStringLiteral("server/url=http://127.0.0.1/r"), QStringLiteral("server/allowInsecureHttp=true")}
        << QStringLiteral("server/url") << QStringLiteral("http://127.0.0.1/r/");
    QTest::newRow("inline comment") << QStringList{QStringLiteral("server/url=https://h/r/ ; the repository")}
                                    << QStringLiteral("server/url") << QStringLiteral("https://h/r/");
    QTest::newRow("grub") << QStringList{QStringLiteral("boot/backend=grub")} << QStringLiteral("boot/backend") << QStringLiteral("grub");
    QTest::newRow("empty rebootCommand records only")
        << QStringList{QStringLiteral("boot/rebootCommand=")} << QStringLiteral("boot/rebootCommand") << QString();
    QTest::newRow("custom rebootCommand") << QStringList{QStringLiteral("boot/rebootCommand=/sbin/reboot -f")}
                                          << QStringLiteral("boot/rebootCommand") << QStringLiteral("/sbin/reboot -f");
    QTest::newRow("quoted comma in a command") << QStringList{QStringLiteral("services/reload=\"systemctl restart a,b\"")}
                                               << QStringLiteral("services/reload") << QStringLiteral("systemctl restart a,b");
    QTest::newRow("absolute path stays") << QStringList{QStringLiteral("boot/slotA=/dev/mmcblk0p2")} << QStringLiteral("boot/slotA")
                                         << QStringLiteral("/dev/mmcblk0p2");
    QTest::newRow("dotdot is cleaned") << QStringList{QStringLiteral("device/stateDir=sub/../st")} << QStringLiteral("device/stateDir")
                                       << dir + QStringLiteral("/st");
    QTest::newRow("key folder and one key") << QStringList{QStringLiteral("trust/publicKeys=keys")} << QStringLiteral("trust/publicKeys")
                                            << dir + QStringLiteral("/keys");
    QTest::newRow("client identity pair") << QStringList{QStringLiteral("server/clientCertificate=client.crt"),
                                                         QStringLiteral("server/clientKey=client.key")}
                                          << QStringLiteral("server/clientKey") << dir + QStringLiteral("/client.key");
    QTest::newRow("pin") << QStringList{QStringLiteral("server/pinnedPublicKey=sha256//")
                                        + QString::fromLatin1(QByteArray(32, 'x').toBase64())}
                         << QStringLiteral("server/pinnedPublicKey")
                         << QStringLiteral("sha256//") + QString::fromLatin1(QByteArray(32, 'x').toBase64());
    QTest::newRow("diagnostics url") << QStringList{QStringLiteral("diagnostics/url=https://d.example/upload")}
                                     << QStringLiteral("diagnostics/url") << QStringLiteral("https://d.example/upload/");
    QTest::newRow("product") << QStringList{QStringLiteral("device/product=s16-pro_2.x")} << QStringLiteral("device/product")
                             << QStringLiteral("s16-pro_2.x");
    QTest::newRow("allowInsecureHttp yes") << QStringList{QStringLiteral("server/allowInsecureHttp=yes")}
                                           << QStringLiteral("server/allowInsecureHttp") << QStringLiteral("true");
}

static QString field(const Config &c, const QString &key)
{
    if (key == QLatin1String("server/url"))
        return c.server.url.toString();
    if (key == QLatin1String("server/clientKey"))
        return c.server.clientKey;
    if (key == QLatin1String("server/pinnedPublicKey"))
        return c.server.pinnedPublicKey;
    if (key == QLatin1String("server/allowInsecureHttp"))
        return c.server.allowInsecureHttp ? QStringLiteral("true") : QStringLiteral("false");
    if (key == QLatin1String("boot/backend"))
        return c.boot.backend;
    if (key == QLatin1String("boot/rebootCommand"))
        return c.boot.rebootCommand;
    if (key == QLatin1String("boot/slotA"))
        return c.boot.slotA;
    if (key == QLatin1String("services/reload"))
        return c.services.reload;
    if (key == QLatin1String("device/stateDir"))
        return c.device.stateDir;
    if (key == QLatin1String("device/product"))
        return c.device.product;
    if (key == QLatin1String("trust/publicKeys"))
        return c.trust.publicKeys.join(QLatin1Char('|'));
    if (key == QLatin1String("diagnostics/url"))
        return c.diagnostics.url.toString();
    qFatal("field: unknown key");
}

void tst_Config::acceptedVariants()
{
    QFETCH(QStringList, overrides);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const auto c = loadConfig(writeConfig(overrides));
    QVERIFY2(c, c ? "" : qPrintable(c.error().message));
    expected.replace(QStringLiteral("<dir>"), m_dir->path());
    QCOMPARE(::field(*c, field), expected);
    if (field == QLatin1String("boot/rebootCommand"))
        QCOMPARE(::field(*c, field).isNull(), false); // present and empty, not "unset"
}

static qint64 number(const Config &c, const QString &key)
{
    if (key == QLatin1String("server/retryIntervalSeconds"))
        return c.server.retryIntervalSeconds;
    if (key == QLatin1String("server/maxTries"))
        return c.server.maxTries;
    if (key == QLatin1String("server/checkIntervalSeconds"))
        return c.server.checkIntervalSeconds;
    if (key == QLatin1String("server/checkJitterSeconds"))
        return c.server.checkJitterSeconds;
    if (key == QLatin1String("server/connectTimeoutSeconds"))
        return c.server.connectTimeoutSeconds;
    if (key == QLatin1String("server/stallTimeoutSeconds"))
        return c.server.stallTimeoutSeconds;
    if (key == QLatin1String("services/timeoutSeconds"))
        return c.services.timeoutSeconds;
    if (key == QLatin1String("device/freeSpaceMarginBytes"))
        return c.device.freeSpaceMarginBytes;
    if (key == QLatin1String("diagnostics/maxQueuedReports"))
        return c.diagnostics.maxQueuedReports;
    if (key == QLatin1String("diagnostics/maxQueuedBytes"))
        return c.diagnostics.maxQueuedBytes;
    if (key == QLatin1String("log/maxEntries"))
        return c.log.maxEntries;
    if (key == QLatin1String("ui/priorityCountdownSeconds"))
        return c.ui.priorityCountdownSeconds;
    qFatal("number: unknown key");
}

void tst_Config::numbersInRange_data()
{
    QTest::addColumn<QStringList>("overrides");
    QTest::addColumn<QString>("key");
    QTest::addColumn<qint64>("expected");
    auto row = [](const char *name, QStringList o, const char *key, qint64 v) {
        QTest::newRow(name) << o << QString::fromLatin1(key) << v;
    };
    row("retry 0", {QStringLiteral("server/retryIntervalSeconds=0")}, "server/retryIntervalSeconds", 0);
    row("retry 86400", {QStringLiteral("server/retryIntervalSeconds=86400")}, "server/retryIntervalSeconds", 86400);
    row("maxTries 1", {QStringLiteral("server/maxTries=1")}, "server/maxTries", 1);
    row("maxTries 1000", {QStringLiteral("server/maxTries= 1000 ")}, "server/maxTries", 1000);
    row("interval 1 year", {QStringLiteral("server/checkIntervalSeconds=31536000")}, "server/checkIntervalSeconds", 31536000);
    row("interval 0: no schedule", {QStringLiteral("server/checkIntervalSeconds=0")}, "server/checkIntervalSeconds", 0);
    row("jitter = interval", {QStringLiteral("server/checkIntervalSeconds=60"), QStringLiteral("server/checkJitterSeconds=60")},
        "server/checkJitterSeconds", 60);
    row("jitter default clamped", {QStringLiteral("server/checkIntervalSeconds=60")}, "server/checkJitterSeconds", 60);
    row("jitter 0", {QStringLiteral("server/checkJitterSeconds=0")}, "server/checkJitterSeconds", 0);
    row("connect 3600", {QStringLiteral("server/connectTimeoutSeconds=3600")}, "server/connectTimeoutSeconds", 3600);
    row("stall 1", {QStringLiteral("server/stallTimeoutSeconds=1")}, "server/stallTimeoutSeconds", 1);
    row("services timeout", {QStringLiteral("services/timeoutSeconds=7")}, "services/timeoutSeconds", 7);
    row("margin", {QStringLiteral("device/freeSpaceMarginBytes=0")}, "device/freeSpaceMarginBytes", 0);
    row("queued reports", {QStringLiteral("diagnostics/maxQueuedReports=3")}, "diagnostics/maxQueuedReports", 3);
    row("queued bytes", {QStringLiteral("diagnostics/maxQueuedBytes=1000")}, "diagnostics/maxQueuedBytes", 1000);
    row("log entries", {QStringLiteral("log/maxEntries=10")}, "log/maxEntries", 10);
    row("countdown", {QStringLiteral("ui/priorityCountdownSeconds=5")}, "ui/priorityCountdownSeconds", 5);
}

void tst_Config::numbersInRange()
{
    QFETCH(QStringList, overrides);
    QFETCH(QString, key);
    QFETCH(qint64, expected);
    const auto c = loadConfig(writeConfig(overrides));
    QVERIFY2(c, c ? "" : qPrintable(c.error().message));
    QCOMPARE(number(*c, key), expected);
}

void tst_Config::rejected_data()
{
    QTest::addColumn<QStringList>("overrides");
    QTest::addColumn<ConfigError>("code");
    QTest::addColumn<QString>("key");
    auto row = [](const char *name, QStringList o, ConfigError code, const char *key) {
        QTest::newRow(name) << o << code << QString::fromLatin1(key);
    };
    using E = ConfigError;
    row("no url", {QStringLiteral("-server/url")}, E::MissingKey, "server/url");
    row("empty url", {QStringLiteral("server/url=")}, E::MissingKey, "server/url");
    row("plain http", {QStringLiteral("server/url=http://127.0.0.1/r/")}, E::InsecureUrl, "server/url");
    row("http, insecure off", {QStringLiteral("server/url=http://h/"), QStringLiteral("server/allowInsecureHttp=false")}, E::InsecureUrl,
        "server/url");
    row("ftp", {QStringLiteral("server/url=ftp://h/r/")}, E::BadUrl, "server/url");
    row("relative url", {QStringLiteral("server/url=s16/stable/")}, E::BadUrl, "server/url");
    row("url with query", {QStringLiteral("server/url=https://h/r/?a=1")}, E::BadUrl, "server/url");
    row("url with space", {QStringLiteral("server/url=https://h h/")}, E::BadUrl, "server/url");
    row("maxTries 0", {QStringLiteral("server/maxTries=0")}, E::BadValue, "server/maxTries");
    row("maxTries 1001", {QStringLiteral("server/maxTries=1001")}, E::BadValue, "server/maxTries");
    row("maxTries word", {QStringLiteral("server/maxTries=five")}, E::BadValue, "server/maxTries");
    row("maxTries suffix", {QStringLiteral("server/maxTries=5x")}, E::BadValue, "server/maxTries");
    row("maxTries empty", {QStringLiteral("server/maxTries=")}, E::BadValue, "server/maxTries");
    row("maxTries huge", {QStringLiteral("server/maxTries=99999999999999999999")}, E::BadValue, "server/maxTries");
    row("retry negative", {QStringLiteral("server/retryIntervalSeconds=-1")}, E::BadValue, "server/retryIntervalSeconds");
    row("retry 86401", {QStringLiteral("server/retryIntervalSeconds=86401")}, E::BadValue, "server/retryIntervalSeconds");
    row("interval < 0", {QStringLiteral("server/checkIntervalSeconds=-1")}, E::BadValue, "server/checkIntervalSeconds");
    row("interval > year", {QStringLiteral("server/checkIntervalSeconds=31536001")}, E::BadValue, "server/checkIntervalSeconds");
    row("jitter > interval", {QStringLiteral("server/checkIntervalSeconds=100"), QStringLiteral("server/checkJitterSeconds=101")},
        E::BadValue, "server/checkJitterSeconds");
    row("jitter negative", {QStringLiteral("server/checkJitterSeconds=-5")}, E::BadValue, "server/checkJitterSeconds");
    row("connect 0", {QStringLiteral("server/connectTimeoutSeconds=0")}, E::BadValue, "server/connectTimeoutSeconds");
    row("connect 3601", {QStringLiteral("server/connectTimeoutSeconds=3601")}, E::BadValue, "server/connectTimeoutSeconds");
    row("stall 0", {QStringLiteral("server/stallTimeoutSeconds=0")}, E::BadValue, "server/stallTimeoutSeconds");
    row("services timeout 0", {QStringLiteral("services/timeoutSeconds=0")}, E::BadValue, "services/timeoutSeconds");
    row("insecure maybe", {QStringLiteral("server/allowInsecureHttp=maybe")}, E::BadValue, "server/allowInsecureHttp");
    row("pin not sha256", {QStringLiteral("server/pinnedPublicKey=md5//abc")}, E::BadValue, "server/pinnedPublicKey");
    row("pin short", {QStringLiteral("server/pinnedPublicKey=sha256//YWJj")}, E::BadValue, "server/pinnedPublicKey");
    row("no publicKeys", {QStringLiteral("-trust/publicKeys")}, E::MissingKey, "trust/publicKeys");
    row("empty publicKeys", {QStringLiteral("trust/publicKeys=")}, E::MissingKey, "trust/publicKeys");
    row("missing key file", {QStringLiteral("trust/publicKeys=keys/a.pub, keys/gone.pub")}, E::MissingFile, "trust/publicKeys");
    row("no versionFile", {QStringLiteral("-device/versionFile")}, E::MissingKey, "device/versionFile");
    row("no stateDir", {QStringLiteral("-device/stateDir")}, E::MissingKey, "device/stateDir");
    row("no updateDir", {QStringLiteral("device/updateDir=")}, E::MissingKey, "device/updateDir");
    row("empty product", {QStringLiteral("device/product=")}, E::MissingKey, "device/product");
    row("product with space", {QStringLiteral("device/product=s 16")}, E::BadValue, "device/product");
    row("no backend", {QStringLiteral("-boot/backend")}, E::MissingKey, "boot/backend");
    row("unknown backend", {QStringLiteral("boot/backend=lilo")}, E::BadValue, "boot/backend");
    row("uboot without envFile", {QStringLiteral("-boot/envFile")}, E::MissingKey, "boot/envFile");
    row("grub without envFile", {QStringLiteral("boot/backend=grub"), QStringLiteral("-boot/envFile")}, E::MissingKey, "boot/envFile");
    row("no slotA", {QStringLiteral("-boot/slotA")}, E::MissingKey, "boot/slotA");
    row("no slotB", {QStringLiteral("-boot/slotB")}, E::MissingKey, "boot/slotB");
    row("backend none", {QStringLiteral("boot/backend=none")}, E::BadValue, "boot/backend");
    row("certificate without key", {QStringLiteral("server/clientCertificate=client.crt")}, E::MissingKey, "server/clientKey");
    row("key without certificate", {QStringLiteral("server/clientKey=client.key")}, E::MissingKey, "server/clientCertificate");
    row("missing certificate", {QStringLiteral("server/clientCertificate=gone.crt"), QStringLiteral("server/clientKey=client.key")},
        E::MissingFile, "server/clientCertificate");
    row("missing client key", {QStringLiteral("server/clientCertificate=client.crt"), QStringLiteral("server/clientKey=gone.key")},
        E::MissingFile, "server/clientKey");
    row("missing caFile", {QStringLiteral("server/caFile=gone.pem")}, E::MissingFile, "server/caFile");
    row("missing tokenFile", {QStringLiteral("server/tokenFile=/nonexistent/token")}, E::MissingFile, "server/tokenFile");
    row("http diagnostics", {QStringLiteral("diagnostics/url=http://d/")}, E::InsecureUrl, "diagnostics/url");
    row("bad diagnostics", {QStringLiteral("diagnostics/url=not a url")}, E::BadUrl, "diagnostics/url");
    row("unquoted comma", {QStringLiteral("services/reload=systemctl restart a,b")}, E::BadValue, "services/reload");
    row("log entries 0", {QStringLiteral("log/maxEntries=0")}, E::BadValue, "log/maxEntries");
    // A value problem is reported before a missing file: the config is what to fix first.
    row("value before file", {QStringLiteral("server/caFile=gone.pem"), QStringLiteral("server/maxTries=0")}, E::BadValue,
        "server/maxTries");
}

void tst_Config::rejected()
{
    QFETCH(QStringList, overrides);
    QFETCH(ConfigError, code);
    QFETCH(QString, key);
    const QString path = writeConfig(overrides);
    const auto c = loadConfig(path);
    QVERIFY(!c);
    QCOMPARE(configErrorName(c.error().code), configErrorName(code));
    QCOMPARE(c.error().key, key);
    QCOMPARE(c.error().file, path);
    QVERIFY2(c.error().message.contains(key), qPrintable(c.error().message));
    QVERIFY2(c.error().message.contains(path), qPrintable(c.error().message));
}

void tst_Config::fileMissing()
{
    const QString path = m_dir->filePath(QStringLiteral("nope.conf"));
    const auto c = loadConfig(path);
    QVERIFY(!c);
    QCOMPARE(c.error().code, ConfigError::FileMissing);
    QCOMPARE(c.error().file, path);
    QVERIFY(c.error().message.contains(path));
}

void tst_Config::fileUnreadable_data() { test::addRows<bool>("folder", {{"folder", true}, {"permissions", false}}); }

void tst_Config::fileUnreadable()
{
    QFETCH(bool, folder);
    QString path;
    if (folder) {
        path = m_dir->filePath(QStringLiteral("conf.d"));
        QVERIFY(QDir().mkpath(path));
    } else {
        if (::geteuid() == 0)
            QSKIP("root reads files whatever their permissions");
        path = writeConfig({});
        QVERIFY(QFile::setPermissions(path, QFileDevice::WriteOwner));
    }
    const auto c = loadConfig(path);
    QVERIFY(!c);
    QCOMPARE(c.error().code, ConfigError::FileUnreadable);
    QVERIFY(c.error().message.contains(path));
}

void tst_Config::syntaxError_data()
{
    test::addRows<QByteArray>("text", {{"key without =", QByteArray("[server]\nurl https://h/\n")},
                                       {"unclosed section", QByteArray("[server\nurl=https://h/\n")},
                                       {"stray word", QByteArray("[server]\nurl=https://h/\nmaxTries\n")}});
}

void tst_Config::syntaxError()
{
    QFETCH(QByteArray, text);
    const QString path = m_dir->filePath(QStringLiteral("broken.conf"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
    f.close();
    const auto c = loadConfig(path);
    QVERIFY(!c);
    QCOMPARE(c.error().code, ConfigError::SyntaxError);
    QVERIFY(c.error().message.contains(path));
}

void tst_Config::unknownKeysWarnOncePerFile()
{
    const QString path = writeConfig({QStringLiteral("server/maxTrys=9"), QStringLiteral("extra/thing=1")}, QStringLiteral("unknown.conf"));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("unknown key extra/thing in .*unknown\\.conf")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("unknown key server/maxTrys in .*unknown\\.conf")));
    const auto first = loadConfig(path);
    QVERIFY(first);
    QCOMPARE(first->server.maxTries, 5); // the typo does not set maxTries

    QTest::failOnWarning(QRegularExpression(QStringLiteral("unknown key")));
    const auto second = loadConfig(path);
    QVERIFY(second);
}

void tst_Config::defaultConfigPathFollowsEnvironment()
{
    const QByteArray saved = qgetenv("S16_UPDATE_CONFIG");
    qunsetenv("S16_UPDATE_CONFIG");
    QCOMPARE(defaultConfigPath(), QStringLiteral("/etc/s16-update/update.conf"));
    qputenv("S16_UPDATE_CONFIG", "/tmp/dev/update.conf");
    QCOMPARE(defaultConfigPath(), QStringLiteral("/tmp/dev/update.conf"));
    qputenv("S16_UPDATE_CONFIG", "");
    QCOMPARE(defaultConfigPath(), QStringLiteral("/etc/s16-update/update.conf"));
    if (saved.isNull())
        qunsetenv("S16_UPDATE_CONFIG");
    else
        qputenv("S16_UPDATE_CONFIG", saved);
}

void tst_Config::toErrorIsUsage()
{
    const QString path = writeConfig({QStringLiteral("server/maxTries=0")});
    const auto c = loadConfig(path);
    QVERIFY(!c);
    const Error e = toError(c.error());
    QCOMPARE(e.code, ExitCode::Usage);
    QCOMPARE(toInt(e.code), 2);
    QVERIFY(e.message.contains(QStringLiteral("server/maxTries")));
    QCOMPARE(e.detail, path);
}

// packaging/update.conf is what `cmake --install` puts on a device: every key it
// names must be known, and the numbers it documents must be the real defaults.
void tst_Config::shippedConfigIsValidAndMatchesDefaults()
{
    QFile shipped(QStringLiteral(S16_SOURCE_DIR "/packaging/update.conf"));
    QVERIFY(shipped.open(QIODevice::ReadOnly));
    QString text = QString::fromUtf8(shipped.readAll());
    // The keys folder is the one thing that must exist on the device itself.
    static const QRegularExpression keysLine(QStringLiteral("(?m)^publicKeys=.*$"));
    QVERIFY(text.contains(keysLine));
    text.replace(keysLine, QStringLiteral("publicKeys=") + m_dir->filePath(QStringLiteral("keys")));
    const QString path = m_dir->filePath(QStringLiteral("shipped.conf"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(text.toUtf8());
    out.close();

    QTest::failOnWarning(QRegularExpression(QStringLiteral("unknown key")));
    const auto c = loadConfig(path);
    QVERIFY2(c, c ? "" : qPrintable(c.error().message));
    const Config d;
    QCOMPARE(c->server.url.scheme(), QStringLiteral("https"));
    QCOMPARE(c->server.retryIntervalSeconds, d.server.retryIntervalSeconds);
    QCOMPARE(c->server.maxTries, d.server.maxTries);
    QCOMPARE(c->server.checkIntervalSeconds, d.server.checkIntervalSeconds);
    QCOMPARE(c->server.checkJitterSeconds, d.server.checkJitterSeconds);
    QCOMPARE(c->server.connectTimeoutSeconds, d.server.connectTimeoutSeconds);
    QCOMPARE(c->server.stallTimeoutSeconds, d.server.stallTimeoutSeconds);
    QCOMPARE(c->server.allowInsecureHttp, false);
    QCOMPARE(c->device.product, d.device.product);
    QCOMPARE(c->device.freeSpaceMarginBytes, d.device.freeSpaceMarginBytes);
    QCOMPARE(c->boot.rebootCommand, QStringLiteral("systemctl reboot"));
    QCOMPARE(c->services.timeoutSeconds, d.services.timeoutSeconds);
    QCOMPARE(c->diagnostics.maxQueuedReports, d.diagnostics.maxQueuedReports);
    QCOMPARE(c->diagnostics.maxQueuedBytes, d.diagnostics.maxQueuedBytes);
    QCOMPARE(c->log.maxEntries, d.log.maxEntries);
    QCOMPARE(c->ui.priorityCountdownSeconds, d.ui.priorityCountdownSeconds);
}

QTEST_GUILESS_MAIN(tst_Config)
#include "tst_config.moc"
