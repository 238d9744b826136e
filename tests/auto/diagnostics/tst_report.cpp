// The diagnostic report and its local parts (no network): redaction, naming, the
// pseudonymous device id, consent and the queue, and what a report holds.
#include "boot/bootenv.h"
#include "config/config.h"
#include "diagnostics/diagnostics.h"
#include "flow/flowchart.h"
#include "store/journal.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;

class tst_Report : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void redactRemovesSecrets_data();
    void redactRemovesSecrets();
    void reportNameSortsAndParses_data();
    void reportNameSortsAndParses();
    void deviceIdIsRandomAndStable();
    void e09_reportNamesTheFailedStateAndEdge_data();
    void e09_reportNamesTheFailedStateAndEdge();
    void e09_reportHoldsVersionsLogAndDeviceFacts();
    void e09_bootCountersButNoOtherBootVariables();
    void e09_previewUsesTheLastErrorAndSpendsNothing();
    void e09_revokingConsentEmptiesTheQueue();

private:
    Config config() const;
    std::unique_ptr<Journal> journal() const;
    QScopedPointer<QTemporaryDir> m_dir;
};

Config tst_Report::config() const
{
    Config c;
    c.device.stateDir = m_dir->filePath(QStringLiteral("state"));
    c.device.updateDir = m_dir->filePath(QStringLiteral("update"));
    c.device.versionFile = m_dir->filePath(QStringLiteral("version"));
    c.boot.backend = QStringLiteral("grub");
    c.boot.envFile = m_dir->filePath(QStringLiteral("grubenv")); // not made: the report says why
    c.diagnostics.url = QUrl(QStringLiteral("https://127.0.0.1:1/diag/"));
    return c;
}

std::unique_ptr<Journal> tst_Report::journal() const
{
    auto j = Journal::open(m_dir->filePath(QStringLiteral("state")));
    return j ? std::move(*j) : nullptr;
}

void tst_Report::init()
{
    m_dir.reset(new QTemporaryDir);
    QVERIFY(m_dir->isValid());
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("update"))));
    QFile v(m_dir->filePath(QStringLiteral("version")));
    QVERIFY(v.open(QIODevice::WriteOnly));
    v.write("1.0.0\n");
}

void tst_Report::redactRemovesSecrets_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain text stays") << QStringLiteral("cannot read the token file: refused")
                                      << QStringLiteral("cannot read the token file: refused");
    QTest::newRow("configured token") << QStringLiteral("sent tok-3e9f!x to the server") << QStringLiteral("sent [redacted] to the server");
    QTest::newRow("user info in a URL") << QStringLiteral("GET https://alice:pa55@repo.example/s16/ failed")
                                        << QStringLiteral("GET https://repo.example/s16/ failed");
    QTest::newRow("bearer header") << QStringLiteral("Authorization: Bearer abc.DEF-123")
                                   << QStringLiteral("Authorization: Bearer [redacted]");
    QTest::newRow("credential query") << QStringLiteral("https://cdn.example/x.img?sig=AbC123&size=5&token=zz")
                                      << QStringLiteral("https://cdn.example/x.img?sig=[redacted]&size=5&token=[redacted]");
    QTest::newRow("private key block") << QStringLiteral("key: -----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY----- end")
                                       << QStringLiteral("key: [private key removed] end");
    QTest::newRow("truncated key block") << QStringLiteral("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI")
                                         << QStringLiteral("[private key removed]");
    QTest::newRow("a line of the client key") << QStringLiteral("oops MIGHAgEAMBMGByqGSM49AgEGCCqGSM49 here")
                                              << QStringLiteral("oops [redacted] here");
}

void tst_Report::redactRemovesSecrets()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    const QList<QByteArray> secrets{QByteArrayLiteral("tok-3e9f!x"), QByteArrayLiteral("MIGHAgEAMBMGByqGSM49AgEGCCqGSM49")};
    QCOMPARE(diagnostics::redact(input, secrets), expected);
}

void tst_Report::reportNameSortsAndParses_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<qint64>("sequence");
    QTest::newRow("report") << diagnostics::reportName(QDateTime(QDate(2026, 11, 20), QTime(10, 0, 5), Qt::UTC), 7) << qint64(7);
    QTest::newRow("local time becomes UTC") << diagnostics::reportName(
        QDateTime(QDate(2026, 11, 20), QTime(11, 0, 5), Qt::OffsetFromUTC, 3600), 12)
                                            << qint64(12);
    QTest::newRow("temporary file") << QStringLiteral("20261120T100005Z-7.json.tmp") << qint64(-1);
    QTest::newRow("other file") << QStringLiteral("notes.json") << qint64(-1);
}

void tst_Report::reportNameSortsAndParses()
{
    QFETCH(QString, name);
    QFETCH(qint64, sequence);
    QCOMPARE(diagnostics::sequenceOf(name), sequence);
    if (sequence >= 0)
        QCOMPARE(name, QStringLiteral("20261120T100005Z-%1.json").arg(sequence));
}

void tst_Report::deviceIdIsRandomAndStable()
{
    auto j = journal();
    QVERIFY(j);
    QVERIFY(!j->keys().contains(QStringLiteral("deviceId")));
    const auto first = diagnostics::deviceId(*j);
    QVERIFY(first);
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{32}$")).match(*first).hasMatch());
    QCOMPARE(diagnostics::deviceId(*j).value_or(QString()), *first);
    QCOMPARE(journal()->value(QStringLiteral("deviceId")).toString(), *first); // persisted, other connections see it

    QTemporaryDir other;
    auto j2 = Journal::open(other.path());
    QVERIFY(j2);
    const auto second = diagnostics::deviceId(**j2);
    QVERIFY(second);
    QVERIFY(*second != *first); // random, not derived from this machine
}

void tst_Report::e09_reportNamesTheFailedStateAndEdge_data()
{
    QTest::addColumn<QString>("edge");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("state");
    QTest::newRow("E07") << QStringLiteral("E07") << int(ExitCode::ServerUnreachable) << QStringLiteral("MaxTries");
    QTest::newRow("E12") << QStringLiteral("E12") << int(ExitCode::TlsRejected) << QStringLiteral("ValidSsl");
    QTest::newRow("E15") << QStringLiteral("E15") << int(ExitCode::AuthRejected) << QStringLiteral("AuthSuccess");
    QTest::newRow("E18") << QStringLiteral("E18") << int(ExitCode::MetadataRejected) << QStringLiteral("SuccessImageRepo");
    QTest::newRow("E34") << QStringLiteral("E34") << int(ExitCode::DownloadFailed) << QStringLiteral("CompleteFile");
    QTest::newRow("E38") << QStringLiteral("E38") << int(ExitCode::IntegrityMismatch) << QStringLiteral("ChecksumEqual");
    QTest::newRow("E53") << QStringLiteral("E53") << int(ExitCode::InstallFailed) << QStringLiteral("RebootOld");
}

void tst_Report::e09_reportNamesTheFailedStateAndEdge()
{
    QFETCH(QString, edge);
    QFETCH(int, code);
    QFETCH(QString, state);
    auto j = journal();
    const Error e{ExitCode(code), QStringLiteral("it failed"), edgeFromName(edge), QStringLiteral("technical")};
    const QJsonObject r = diagnostics::buildReport(config(), *j, {e, QStringLiteral("ab"), 3, QDateTime::currentDateTimeUtc()});
    const QJsonObject f = r.value(QStringLiteral("failure")).toObject();
    QCOMPARE(f.value(QStringLiteral("edge")).toString(), edge);
    QCOMPARE(f.value(QStringLiteral("state")).toString(), state);
    QCOMPARE(f.value(QStringLiteral("code")).toInt(), code);
    QCOMPARE(f.value(QStringLiteral("codeName")).toString(), exitCodeName(ExitCode(code)));
    QCOMPARE(f.value(QStringLiteral("message")).toString(), QStringLiteral("it failed"));
    QCOMPARE(f.value(QStringLiteral("detail")).toString(), QStringLiteral("technical"));
}

void tst_Report::e09_reportHoldsVersionsLogAndDeviceFacts()
{
    auto j = journal();
    QVERIFY(
        j->set(QStringLiteral("slots"), QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("version"), QStringLiteral("1.0.0")},
                                                                                      {QStringLiteral("state"), QStringLiteral("good")}}},
                                                    {QStringLiteral("B"), QJsonObject{{QStringLiteral("version"), QStringLiteral("0.9.0")},
                                                                                      {QStringLiteral("state"), QStringLiteral("bad")}}}}));
    QVERIFY(j->set(QStringLiteral("staged"), QJsonObject{{QStringLiteral("version"), QStringLiteral("1.1.0")}}));
    for (int i = 0; i < 250; ++i)
        QVERIFY(j->append(LogEntry{0, {}, LogEntry::Level::Info, 0, {}, QStringLiteral("entry %1").arg(i), {}, QStringLiteral("test")}));
    // A detail far longer than a report keeps (an HTML error page, say).
    QVERIFY(j->append(LogEntry{0,
                               {},
                               LogEntry::Level::Error,
                               13,
                               QStringLiteral("E18"),
                               QStringLiteral("last"),
                               QString(100000, QLatin1Char('x')),
                               QStringLiteral("error")}));

    const QDateTime time(QDate(2026, 11, 20), QTime(10, 0), Qt::UTC);
    const QJsonObject r = diagnostics::buildReport(config(), *j, {std::nullopt, QStringLiteral("0123"), 9, time});
    QCOMPARE(r.value(QStringLiteral("format")).toInt(), diagnostics::kReportFormat);
    QCOMPARE(r.value(QStringLiteral("product")).toString(), QStringLiteral("s16"));
    QCOMPARE(r.value(QStringLiteral("deviceId")).toString(), QStringLiteral("0123"));
    QCOMPARE(r.value(QStringLiteral("sequence")).toInteger(), 9);
    QCOMPARE(r.value(QStringLiteral("time")).toString(), QStringLiteral("2026-11-20T10:00:00.000Z"));
    QVERIFY(r.value(QStringLiteral("failure")).isNull());
    const QJsonObject v = r.value(QStringLiteral("versions")).toObject();
    QCOMPARE(v.value(QStringLiteral("running")).toString(), QStringLiteral("1.0.0"));
    QCOMPARE(v.value(QStringLiteral("staged")).toString(), QStringLiteral("1.1.0"));
    QCOMPARE(v.value(QStringLiteral("slots")).toObject().value(QStringLiteral("B")).toObject().value(QStringLiteral("state")).toString(),
             QStringLiteral("bad"));
    const QJsonArray log = r.value(QStringLiteral("log")).toArray();
    QCOMPARE(log.size(), diagnostics::kReportLogEntries);
    QCOMPARE(log.first().toObject().value(QStringLiteral("message")).toString(),
             QStringLiteral("entry 51")); // the newest 200, oldest first
    QCOMPARE(log.last().toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E18"));
    QVERIFY(log.last().toObject().value(QStringLiteral("detail")).toString().size() <= 2000);
    QVERIFY(r.value(QStringLiteral("updateDirFreeBytes")).toDouble() > 0);
    QVERIFY(r.value(QStringLiteral("uptimeSeconds")).isDouble());
    QVERIFY(r.value(QStringLiteral("uptimeSeconds")).toDouble() > 0);
    // no environment file on this device: the report names the reason instead of the counters
    const QJsonObject boot = r.value(QStringLiteral("boot")).toObject();
    QCOMPARE(boot.value(QStringLiteral("backend")).toString(), QStringLiteral("grub"));
    QVERIFY(!boot.value(QStringLiteral("error")).toString().isEmpty());
    QVERIFY(!boot.contains(QStringLiteral("variables")));
    QVERIFY(diagnostics::serializeReport(r).size() < 1024 * 1024);
}

void tst_Report::e09_bootCountersButNoOtherBootVariables()
{
    const QString envDir = m_dir->filePath(QStringLiteral("env"));
    auto envFile = createBootEnvironment(QStringLiteral("grub"), envDir,
                                         {{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A")},
                                          {QStringLiteral("BOOT_A_LEFT"), QStringLiteral("3")},
                                          {QStringLiteral("BOOT_B_LEFT"), QStringLiteral("1")},
                                          {QStringLiteral("ethaddr"), QStringLiteral("02:42:ac:11:00:02")},
                                          {QStringLiteral("serial#"), QStringLiteral("SN-99812")}});
    QVERIFY(envFile);
    Config c = config();
    c.boot.backend = QStringLiteral("grub");
    c.boot.envFile = *envFile;
    auto j = journal();
    const QJsonObject r = diagnostics::buildReport(c, *j, {std::nullopt, QStringLiteral("0"), 1, QDateTime::currentDateTimeUtc()});
    const QJsonObject boot = r.value(QStringLiteral("boot")).toObject();
    QCOMPARE(boot.value(QStringLiteral("backend")).toString(), QStringLiteral("grub"));
    const QJsonObject vars = boot.value(QStringLiteral("variables")).toObject();
    QCOMPARE(vars.value(QStringLiteral("BOOT_ORDER")).toString(), QStringLiteral("B A"));
    QCOMPARE(vars.value(QStringLiteral("BOOT_A_LEFT")).toString(), QStringLiteral("3"));
    QCOMPARE(vars.value(QStringLiteral("BOOT_B_LEFT")).toString(), QStringLiteral("1"));
    const QByteArray bytes = diagnostics::serializeReport(r);
    QVERIFY(!bytes.contains("02:42:ac:11:00:02"));
    QVERIFY(!bytes.contains("SN-99812"));
}

void tst_Report::e09_previewUsesTheLastErrorAndSpendsNothing()
{
    auto j = journal();
    QVERIFY(j->set(QStringLiteral("lastError"), QJsonObject{{QStringLiteral("code"), 12},
                                                            {QStringLiteral("message"), QStringLiteral("authentication failed")},
                                                            {QStringLiteral("edge"), QStringLiteral("E15")},
                                                            {QStringLiteral("detail"), QStringLiteral("HTTP 401")}}));
    const Config c = config();
    const QByteArray preview = diagnostics::previewReport(c, *j);
    const QJsonObject r = QJsonDocument::fromJson(preview).object();
    QCOMPARE(r.value(QStringLiteral("failure")).toObject().value(QStringLiteral("edge")).toString(), QStringLiteral("E15"));
    QCOMPARE(r.value(QStringLiteral("failure")).toObject().value(QStringLiteral("state")).toString(), QStringLiteral("AuthSuccess"));
    QCOMPARE(r.value(QStringLiteral("sequence")).toInteger(), 1);
    QCOMPARE(r.value(QStringLiteral("deviceId")).toString(), j->value(QStringLiteral("deviceId")).toString());
    // Nothing is spent or queued: the next preview has the same number.
    QCOMPARE(QJsonDocument::fromJson(diagnostics::previewReport(c, *j)).object().value(QStringLiteral("sequence")).toInteger(), 1);
    QVERIFY(diagnostics::queuedReports(c).isEmpty());
    QVERIFY(!QDir(diagnostics::queueDir(c)).exists());
}

void tst_Report::e09_revokingConsentEmptiesTheQueue()
{
    auto j = journal();
    const Config c = config();
    QVERIFY(!diagnostics::consent(*j)); // off by default
    QVERIFY(diagnostics::setConsent(c, *j, true));
    QVERIFY(diagnostics::consent(*journal())); // persisted
    QVERIFY(QDir().mkpath(diagnostics::queueDir(c)));
    for (const QString &name : {QStringLiteral("20261120T100000Z-1.json"), QStringLiteral("20261120T100001Z-2.json"),
                                QStringLiteral("20261120T100002Z-3.json.tmp")}) {
        QFile f(diagnostics::queueDir(c) + QLatin1Char('/') + name);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{}");
    }
    QCOMPARE(diagnostics::queuedReports(c),
             (QStringList{QStringLiteral("20261120T100000Z-1.json"), QStringLiteral("20261120T100001Z-2.json")}));
    QVERIFY(diagnostics::setConsent(c, *j, true)); // giving it again keeps what waits
    QCOMPARE(diagnostics::queuedReports(c).size(), 2);
    QVERIFY(diagnostics::setConsent(c, *j, false));
    QVERIFY(!diagnostics::consent(*journal()));
    QCOMPARE(QDir(diagnostics::queueDir(c)).entryList(QDir::Files | QDir::Hidden), QStringList());
    const QList<LogEntry> log = j->entries(1);
    QCOMPARE(log.last().event, QStringLiteral("consentOff"));
    QVERIFY(log.last().message.contains(QStringLiteral("2 unsent reports deleted")));
}

QTEST_GUILESS_MAIN(tst_Report)
#include "tst_report.moc"
