#pragma once

// A simulated device for the install engine's tests: slots are files, the boot environment
// is a real U-Boot (libubootenv) or GRUB environment file, the app database is real SQLite,
// the staged update is signed with the openssl command line. A "power-on" is the
// bootloader's step on the real environment followed by what that boot starts: recovery,
// or boot-complete in the normal system on the slot it chose; powerOnChild() runs that in a
// child process (the test binary, re-executed) so a test can SIGKILL it at a named step.

#include "boot/bootenv.h"
#include "config/config.h"
#include "install/install.h"
#include "store/journal.h"
#include "support/testutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace s16::test {

inline const QString kOldVersion = QStringLiteral("1.0.0");
inline const QString kNewVersion = QStringLiteral("2.0.0");
constexpr qint64 kImageSize = 1024 * 1024 + 4097;
constexpr int kOldSchema = 1;
constexpr int kNewSchema = 3;

inline QString g_keyDir; // signing.key / signing.pub, made once by openssl (makeSigningKey)

// openssl's SHA-256 of a file, remembered under key: the generated images and scripts are
// the same bytes in every test, and a child process per hash adds up.
inline QString cachedSum(const QString &key, const QString &path)
{
    static QHash<QString, QString> sums;
    auto it = sums.constFind(key);
    if (it != sums.cend())
        return *it;
    const QString sum = sha256Hex(path).value_or(QString());
    if (!sum.isEmpty())
        sums.insert(key, sum);
    return sum;
}

inline bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

inline QList<Edge> edges(std::initializer_list<Edge> list) { return QList<Edge>(list); }

inline QString pathText(const QList<Edge> &path)
{
    QStringList names;
    for (Edge e : path)
        names.append(edgeName(e));
    return names.join(u' ');
}

// Journal::value gives null for a key that is not there.
inline bool absent(const QJsonValue &v) { return v.isNull() || v.isUndefined(); }

inline int exitCodeOf(const InstallReport &report) { return report.status ? 0 : toInt(report.status.error().code); }

// The staged update's variations.
struct StageOptions {
    bool withSchema = true; // schema 3 with migrations 2 and 3
    QByteArray migration3 = "ALTER TABLE notes ADD COLUMN tag TEXT;\nUPDATE notes SET tag = 'new';\n";
    QString tamper; // "", "imageByte", "sumFile", "signature", "missingImage", "migration"
    qint64 imageSize = kImageSize;
};

inline StageOptions noSchema()
{
    StageOptions o;
    o.withSchema = false;
    return o;
}

inline StageOptions tampered(const QString &tamper)
{
    StageOptions o;
    o.tamper = tamper;
    return o;
}

class Device
{
public:
    bool init(const QString &backend, QString *why)
    {
        if (!m_tmp.isValid())
            return (*why = QStringLiteral("no temporary folder")), false;
        m_dir = m_tmp.path();
        m_backend = backend;
        QDir().mkpath(path(QStringLiteral("images")));
        const auto a = writeRandomFile(path(QStringLiteral("images/old.img")), kImageSize, 1);
        const auto b = writeRandomFile(path(QStringLiteral("images/new.img")), kImageSize, 2);
        if (!a || !b)
            return (*why = QStringLiteral("cannot write images")), false;
        QFile::copy(path(QStringLiteral("images/old.img")), path(QStringLiteral("slotA.img")));
        // slot B exists before anything is written to it (a partition; s16-devsim makes an empty file)
        if (!writeFile(path(QStringLiteral("slotB.img")), {}))
            return (*why = QStringLiteral("cannot create slotB.img")), false;
        m_oldSum = cachedSum(QStringLiteral("random:%1:1").arg(kImageSize), path(QStringLiteral("images/old.img")));
        m_newSum = cachedSum(QStringLiteral("random:%1:2").arg(kImageSize), path(QStringLiteral("images/new.img")));

        // boot into recovery requested, as `s16-update install` leaves a device
        const auto env = createBootEnvironment(backend, path(QStringLiteral("boot")),
                                               {{QStringLiteral("BOOT_ORDER"), QStringLiteral("A B")},
                                                {QStringLiteral("BOOT_A_LEFT"), QStringLiteral("3")},
                                                {QStringLiteral("BOOT_B_LEFT"), QStringLiteral("0")},
                                                {QStringLiteral("S16_RECOVERY"), QStringLiteral("1")}});
        if (!env)
            return (*why = env.error().message), false;
        writeFile(path(QStringLiteral("version")), kOldVersion.toUtf8() + '\n');
        writeFile(path(QStringLiteral("health.sh")), "#!/bin/sh\ntest ! -e \"$(dirname \"$0\")/unhealthy\"\n");
        QFile::setPermissions(path(QStringLiteral("health.sh")), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QString ini = QStringLiteral("[server]\nurl=https://127.0.0.1:9/s16/\n"
                                     "[trust]\npublicKeys=%1/signing.pub\n"
                                     "[device]\nproduct=s16\nversionFile=version\nstateDir=state\nupdateDir=update\ndatabase=app.db\n"
                                     "[boot]\nbackend=%2\nenvFile=%3\nslotA=slotA.img\nslotB=slotB.img\nrebootCommand=\n"
                                     "[services]\nreload=true\nhealthCheck=%4\ntimeoutSeconds=20\n")
                          .arg(g_keyDir, backend, *env, path(QStringLiteral("health.sh")));
        writeFile(path(QStringLiteral("update.conf")), ini.toUtf8());
        auto config = loadConfig(path(QStringLiteral("update.conf")));
        if (!config)
            return (*why = config.error().message), false;
        m_config = *config;

        sql(QStringLiteral("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"
                           "INSERT INTO notes(text) VALUES ('kept'),('also kept');"
                           "PRAGMA user_version=%1;")
                .arg(kOldSchema));
        auto journal = Journal::open(m_config.device.stateDir);
        if (!journal)
            return (*why = journal.error().message), false;
        const QJsonObject slots{
            {QStringLiteral("A"), QJsonObject{{QStringLiteral("version"), kOldVersion}, {QStringLiteral("state"), QStringLiteral("good")}}},
            {QStringLiteral("B"),
             QJsonObject{{QStringLiteral("version"), QJsonValue()}, {QStringLiteral("state"), QStringLiteral("empty")}}}};
        if (!(*journal)->set(QStringLiteral("slots"), slots) || !(*journal)->set(QStringLiteral("rebootPending"), true)
            || !(*journal)->set(QStringLiteral("flow"), QJsonObject{{QStringLiteral("node"), QStringLiteral("Reboot")},
                                                                    {QStringLiteral("edge"), QStringLiteral("E42")}}))
            return (*why = QStringLiteral("cannot write the journal")), false;
        return true;
    }

    bool stage(const StageOptions &o, QString *why)
    {
        const QString staged = path(QStringLiteral("update/staged"));
        QDir(staged).removeRecursively();
        QDir().mkpath(staged + QStringLiteral("/migrations"));
        const QString image = staged + QStringLiteral("/s16-2.0.0.img");
        if (!writeRandomFile(image, o.imageSize, 2))
            return (*why = QStringLiteral("cannot write the staged image")), false;
        const QString sum = cachedSum(QStringLiteral("random:%1:2").arg(o.imageSize), image);
        QJsonArray migrations;
        if (o.withSchema) {
            const QList<QPair<int, QByteArray>> scripts{{2, "ALTER TABLE notes ADD COLUMN created INTEGER;\n"}, {3, o.migration3}};
            for (const auto &[schema, text] : scripts) {
                const QString rel = QStringLiteral("migrations/%1.sql").arg(schema, 4, 10, QLatin1Char('0'));
                writeFile(staged + u'/' + rel, text);
                migrations.append(
                    QJsonObject{{QStringLiteral("schema"), schema},
                                {QStringLiteral("path"), rel},
                                {QStringLiteral("size"), text.size()},
                                {QStringLiteral("sha256"), cachedSum(QString::fromUtf8("script:" + text), staged + u'/' + rel)}});
            }
        }
        QJsonObject manifest{{QStringLiteral("format"), 1},
                             {QStringLiteral("product"), QStringLiteral("s16")},
                             {QStringLiteral("version"), kNewVersion},
                             {QStringLiteral("released"), QStringLiteral("2026-01-01T00:00:00Z")},
                             {QStringLiteral("expires"), QStringLiteral("2099-01-01T00:00:00Z")},
                             {QStringLiteral("priority"), false},
                             {QStringLiteral("image"), QJsonObject{{QStringLiteral("path"), QStringLiteral("images/s16-2.0.0.img")},
                                                                   {QStringLiteral("size"), o.imageSize},
                                                                   {QStringLiteral("sha256"), sum}}}};
        if (o.withSchema) {
            manifest.insert(QStringLiteral("schema"), kNewSchema);
            manifest.insert(QStringLiteral("migrations"), migrations);
        }
        writeFile(staged + QStringLiteral("/manifest.json"), QJsonDocument(manifest).toJson());
        const auto signedOk =
            runTool(QStringLiteral("openssl"),
                    {QStringLiteral("pkeyutl"), QStringLiteral("-sign"), QStringLiteral("-rawin"), QStringLiteral("-inkey"),
                     g_keyDir + QStringLiteral("/signing.key"), QStringLiteral("-in"), staged + QStringLiteral("/manifest.json"),
                     QStringLiteral("-out"), staged + QStringLiteral("/manifest.json.sig")});
        if (signedOk.exitCode != 0)
            return (*why = signedOk.describe()), false;
        writeFile(image + QStringLiteral(".sha256"), sum.toLatin1() + "  s16-2.0.0.img\n");

        // the damage a recovery boot must catch (E48)
        if (o.tamper == QLatin1StringView("imageByte")) {
            QFile f(image);
            f.open(QIODevice::ReadWrite);
            f.seek(o.imageSize / 2);
            const char c = f.peek(1).at(0);
            f.write(QByteArray(1, char(c ^ 0x01)));
        } else if (o.tamper == QLatin1StringView("sumFile")) {
            writeFile(image + QStringLiteral(".sha256"), QByteArray(64, 'e') + "  s16-2.0.0.img\n");
        } else if (o.tamper == QLatin1StringView("signature")) {
            QFile f(staged + QStringLiteral("/manifest.json"));
            f.open(QIODevice::Append);
            f.write(" ");
        } else if (o.tamper == QLatin1StringView("missingImage")) {
            QFile::remove(image);
        } else if (o.tamper == QLatin1StringView("migration")) {
            writeFile(staged + QStringLiteral("/migrations/0003.sql"), "DROP TABLE notes;\n");
        }
        auto journal = Journal::open(m_config.device.stateDir);
        return journal
               && (*journal)->set(QStringLiteral("staged"),
                                  QJsonObject{{QStringLiteral("version"), kNewVersion}, {QStringLiteral("sha256"), sum}});
    }

    QString path(const QString &rel) const { return m_dir + u'/' + rel; }
    const Config &config() const { return m_config; }
    QString backend() const { return m_backend; }
    QString oldSum() const { return m_oldSum; }
    QString newSum() const { return m_newSum; }

    QString sql(const QString &query) const
    {
        const auto r = runTool(QStringLiteral("sqlite3"), {path(QStringLiteral("app.db")), query});
        return QString::fromUtf8(r.out).trimmed();
    }
    int dbVersion() const { return sql(QStringLiteral("PRAGMA user_version")).toInt(); }

    QMap<QString, QString> env() const
    {
        auto env = openBootEnvironment(m_config.boot.backend, m_config.boot.envFile);
        if (!env)
            return {};
        return (*env)->read().value_or(QMap<QString, QString>());
    }

    // One connection for the test's reads; SQLite in WAL mode shows every commit the
    // engine (here or in a child) made before the read began.
    QJsonValue journal(const QString &key) const
    {
        if (!m_journal) {
            auto journal = Journal::open(m_config.device.stateDir);
            if (!journal)
                return QJsonValue(QStringLiteral("<journal unreadable>"));
            m_journal = std::move(*journal);
        }
        return m_journal->value(key);
    }
    QString slotState(const QString &slot) const
    {
        return journal(QStringLiteral("slots")).toObject().value(slot).toObject().value(QStringLiteral("state")).toString();
    }
    QString slotSum(const QString &slot) const
    {
        return sha256Hex(path(QStringLiteral("slot%1.img").arg(slot))).value_or(QStringLiteral("<none>"));
    }

    // The bootloader's step on the real environment.
    BootDecision bootloader() const
    {
        auto env = openBootEnvironment(m_config.boot.backend, m_config.boot.envFile);
        if (!env)
            return {BootDecision::Mode::NoBootableSlot, {}};
        return bootloaderStep(**env).value_or(BootDecision{BootDecision::Mode::NoBootableSlot, {}});
    }

    struct Boot {
        BootDecision decision;
        InstallReport report;
    };
    // One power-on, the engine in this process.
    Boot powerOn() const
    {
        Boot boot{bootloader(), {}};
        if (boot.decision.mode == BootDecision::Mode::Recovery)
            boot.report = runRecovery(m_config);
        else if (boot.decision.mode == BootDecision::Mode::Normal)
            boot.report = runBootComplete(m_config, boot.decision.slot);
        return boot;
    }

    struct ChildBoot {
        BootDecision decision;
        ToolResult run;
    };
    // One power-on, the engine in a child process with extra environment (S16_KILL_AT, S16_FAULT).
    ChildBoot powerOnChild(const QMap<QString, QString> &extra) const
    {
        ChildBoot boot{bootloader(), {}};
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (auto it = extra.cbegin(); it != extra.cend(); ++it)
            env.insert(it.key(), it.value());
        QStringList args;
        if (boot.decision.mode == BootDecision::Mode::Recovery)
            args = {QStringLiteral("--child-recovery"), path(QStringLiteral("update.conf"))};
        else if (boot.decision.mode == BootDecision::Mode::Normal)
            args = {QStringLiteral("--child-boot-complete"), path(QStringLiteral("update.conf")), boot.decision.slot};
        else
            return boot;
        boot.run = runTool(QCoreApplication::applicationFilePath(), args, env, 60000);
        return boot;
    }

private:
    QTemporaryDir m_tmp;
    mutable std::unique_ptr<Journal> m_journal;
    QString m_dir;
    QString m_backend;
    Config m_config;
    QString m_oldSum, m_newSum;
};

// Makes the Ed25519 signing key pair of this test binary (openssl genpkey), in a folder that lasts as long as the binary.
inline bool makeSigningKey(QString *why)
{
    static const QTemporaryDir keys;
    const QString dir = keys.path();
    g_keyDir = dir;
    const auto key = runTool(QStringLiteral("openssl"), {QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("ed25519"),
                                                         QStringLiteral("-out"), dir + QStringLiteral("/signing.key")});
    const auto pub =
        runTool(QStringLiteral("openssl"), {QStringLiteral("pkey"), QStringLiteral("-in"), dir + QStringLiteral("/signing.key"),
                                            QStringLiteral("-pubout"), QStringLiteral("-out"), dir + QStringLiteral("/signing.pub")});
    if (key.exitCode != 0 || pub.exitCode != 0) {
        *why = key.describe() + u' ' + pub.describe();
        return false;
    }
    return true;
}

// The child side of the kill tests: one engine run, its exit code as s16-recovery and
// s16-update boot-complete would return it.
inline int runChild(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const auto config = loadConfig(QString::fromLocal8Bit(argv[2]));
    if (!config)
        return toInt(ExitCode::Usage);
    const InstallReport report = qstrcmp(argv[1], "--child-recovery") == 0
                                     ? runRecovery(*config)
                                     : runBootComplete(*config, QString::fromLocal8Bit(argc > 3 ? argv[3] : ""));
    return report.status ? 0 : toInt(report.status.error().code);
}

inline bool isChildInvocation(int argc, char **argv)
{
    return argc >= 3 && (qstrcmp(argv[1], "--child-recovery") == 0 || qstrcmp(argv[1], "--child-boot-complete") == 0);
}

} // namespace s16::test

// main() of a test binary whose Device::powerOnChild re-executes it as the engine.
#define S16_INSTALL_TEST_MAIN(TestObject)                                                                                                  \
    int main(int argc, char **argv)                                                                                                        \
    {                                                                                                                                      \
        if (s16::test::isChildInvocation(argc, argv))                                                                                      \
            return s16::test::runChild(argc, argv);                                                                                        \
        QCoreApplication app(argc, argv);                                                                                                  \
        TestObject test;                                                                                                                   \
        QTEST_SET_MAIN_SOURCE_PATH                                                                                                         \
        return QTest::qExec(&test, argc, argv);                                                                                            \
    }
