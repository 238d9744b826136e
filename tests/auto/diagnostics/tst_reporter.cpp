// E08 -> E09 against real nginx with WebDAV PUT: without consent nothing is sent,
// with consent exactly one report per error, holding what docs/diagnostics.md lists
// and none of the secrets; reports that could not be sent wait in the queue and
// arrive once the server is back; revoking consent empties the queue.
#include "fixture.h"

#include "support/datatable.h"
#include "support/faultserver.h"
#include "support/nginxserver.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include "diagnostics/diagnostics.h"
#include "diagnostics/reporter.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using namespace s16::test;

namespace {

// The error kinds of the online cycle, each made by a server that behaves so.
enum class Fault { Unreachable, BadCertificate, AuthRejected, BadSignature, ImageMissing, ImageCorrupt };

} // namespace

class tst_Reporter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void e08_withoutConsentNothingIsSent_data();
    void e08_withoutConsentNothingIsSent();
    void e08_e09_withConsentOneReportPerError_data();
    void e08_e09_withConsentOneReportPerError();
    void e09_reportHoldsNoSecretsAndUsesTheUpdateAuthentication();
    void e09_queuedReportArrivesWhenTheServerIsBack();
    void e09_revokingConsentEmptiesTheQueue_data();
    void e09_revokingConsentEmptiesTheQueue();
    void e09_queueIsBounded_data();
    void e09_queueIsBounded();
    void e09_previewPrintsWhatIsSent();
    void e21_e32_e39_downloadStartAndEndAreLogged();
    // added with the mutation run (tests/mutations/mutations.txt): each kills mutations the tests above let live
    void e09_reporterSendsNothingWithoutConsent();
    void e09_consentRevokedDuringARoundStopsIt();
    void e13_e09_tokenGoesOnlyToTheUpdateServer();
    void e53_e08_e09_failedInstallIsQueuedWithConsent_data();
    void e53_e08_e09_failedInstallIsQueuedWithConsent();

private:
    struct Cycle {
        std::optional<Error> error;
        QList<Edge> path;
    };
    // One engine cycle with a reporter attached, as s16-update runs it: returns once
    // the engine has finished and the reporter has nothing in flight.
    Cycle runCycle(bool download, DiagnosticsReporter::Backoff backoff = {0, 0});
    // The update server for a fault (null for Unreachable) and the device's server URL.
    std::unique_ptr<NginxServer> serverFor(Fault fault, QUrl *url);
    QString makeDevice(const QUrl &updateUrl, const QUrl &diagUrl, QMap<QString, QString> extra = {},
                       const QString &running = QStringLiteral("1.0.0"));
    // A device running 1.1.0 whose update and diagnostics servers cannot be reached.
    QString makeOfflineDevice(const QMap<QString, QString> &extra = {});
    void setConfig(const QString &key, const QString &value);
    QString deviceId();
    // Reports stored on the diagnostics server for this device.
    QStringList storedReports();
    QJsonObject storedReport(const QString &name);

    OnlineFixture m_fx;
    QString m_goodRepo, m_badSigRepo, m_noImageRepo, m_corruptRepo;
    QTemporaryDir m_repos;
    QTemporaryDir m_davRoot;
    std::unique_ptr<NginxServer> m_diag;
};

void tst_Reporter::initTestCase()
{
    QVERIFY(TestPki::shared().isValid());
    QVERIFY(m_fx.isValid());
    QVERIFY(m_davRoot.isValid());
    QVERIFY(m_repos.isValid());
    m_goodRepo = m_repos.filePath(QStringLiteral("good"));
    m_badSigRepo = m_repos.filePath(QStringLiteral("badsig"));
    m_noImageRepo = m_repos.filePath(QStringLiteral("noimage"));
    m_corruptRepo = m_repos.filePath(QStringLiteral("corrupt"));
    for (const QString &repo : {m_goodRepo, m_badSigRepo, m_noImageRepo, m_corruptRepo})
        QVERIFY(m_fx.publish(repo, Release{}));
    {
        QFile sig(m_badSigRepo + QStringLiteral("/manifest.json.sig"));
        QVERIFY(sig.open(QIODevice::ReadWrite));
        QByteArray bytes = sig.readAll();
        bytes[5] = char(bytes[5] ^ 0x01);
        sig.seek(0);
        sig.write(bytes);
    }
    const QString image = QStringLiteral("/images/s16-1.1.0.img");
    QVERIFY2(QFile::exists(m_noImageRepo + image),
             qPrintable(QDir(m_noImageRepo + QStringLiteral("/images")).entryList().join(QLatin1Char(' '))));
    QVERIFY(QFile::remove(m_noImageRepo + image));
    {
        QFile img(m_corruptRepo + image);
        QVERIFY(img.open(QIODevice::ReadWrite));
        img.seek(1000);
        const char b = img.read(1).at(0);
        img.seek(1000);
        img.write(QByteArray(1, char(b ^ 0x40)));
    }
    NginxServer::Options o;
    o.davRoot = m_davRoot.path();
    m_diag = startRepoServer(m_goodRepo, o);
    QVERIFY(m_diag);
}

void tst_Reporter::init()
{
    QDir(m_davRoot.path()).removeRecursively();
    QVERIFY(QDir().mkpath(m_davRoot.path()));
}

std::unique_ptr<NginxServer> tst_Reporter::serverFor(Fault fault, QUrl *url)
{
    std::unique_ptr<NginxServer> server;
    NginxServer::Options o;
    switch (fault) {
    case Fault::Unreachable: *url = FaultServer::unreachableUrl(QStringLiteral("/s16/stable/")); return nullptr;
    case Fault::BadCertificate:
        o.certFile = TestPki::shared().server(TestPki::Server::SelfSigned).cert;
        o.keyFile = TestPki::shared().server(TestPki::Server::SelfSigned).key;
        server = startRepoServer(m_goodRepo, o);
        break;
    case Fault::AuthRejected:
        o.bearerToken = QStringLiteral("only-for-others");
        server = startRepoServer(m_goodRepo, o);
        break;
    case Fault::BadSignature: server = startRepoServer(m_badSigRepo); break;
    case Fault::ImageMissing: server = startRepoServer(m_noImageRepo); break;
    case Fault::ImageCorrupt: server = startRepoServer(m_corruptRepo); break;
    }
    if (server)
        *url = server->url();
    return server;
}

QString tst_Reporter::makeDevice(const QUrl &updateUrl, const QUrl &diagUrl, QMap<QString, QString> extra, const QString &running)
{
    extra.insert(QStringLiteral("diagnostics/url"), diagUrl.toString());
    if (!extra.contains(QStringLiteral("server/maxTries")))
        extra.insert(QStringLiteral("server/maxTries"), QStringLiteral("1"));
    return m_fx.makeDevice(updateUrl, extra, running);
}

QString tst_Reporter::makeOfflineDevice(const QMap<QString, QString> &extra)
{
    return makeDevice(FaultServer::unreachableUrl(QStringLiteral("/s16/stable/")), FaultServer::unreachableUrl(QStringLiteral("/diag/")),
                      extra, QStringLiteral("1.1.0"));
}

void tst_Reporter::setConfig(const QString &key, const QString &value)
{
    QSettings s(m_fx.deviceDir() + QStringLiteral("/update.conf"), QSettings::IniFormat);
    s.setValue(key, value);
    s.sync();
}

QString tst_Reporter::deviceId() { return m_fx.journal()->value(QStringLiteral("deviceId")).toString(); }

QStringList tst_Reporter::storedReports()
{
    const QString id = deviceId();
    if (id.isEmpty())
        return {};
    return QDir(m_davRoot.path() + QLatin1Char('/') + id).entryList(QDir::Files, QDir::Name);
}

QJsonObject tst_Reporter::storedReport(const QString &name)
{
    QFile f(m_davRoot.path() + QLatin1Char('/') + deviceId() + QLatin1Char('/') + name);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

tst_Reporter::Cycle tst_Reporter::runCycle(bool download, DiagnosticsReporter::Backoff backoff)
{
    const Config config = m_fx.config();
    auto journal = Journal::open(config.device.stateDir, config.log.maxEntries).value_or(nullptr);
    if (!journal)
        return {};
    UpdateEngine engine(config, journal.get());
    DiagnosticsReporter reporter(config, journal.get());
    reporter.setBackoff(backoff);
    reporter.attach(&engine);
    OnlineFixture::runToEnd(engine, download);
    QDeadlineTimer deadline(30000);
    while (reporter.isBusy() && !deadline.hasExpired())
        QTest::qWait(20);
    if (reporter.isBusy())
        qWarning() << "reporter did not finish";
    return Cycle{engine.error(), engine.flow().path()};
}

struct FaultRow {
    const char *name;
    Fault fault;
    bool download;
    ExitCode code;
    const char *edge;
};

static const FaultRow kFaults[] = {
    {"E07 server unreachable", Fault::Unreachable, false, ExitCode::ServerUnreachable, "E07"},
    {"E12 certificate rejected", Fault::BadCertificate, false, ExitCode::TlsRejected, "E12"},
    {"E15 authentication rejected", Fault::AuthRejected, false, ExitCode::AuthRejected, "E15"},
    {"E18 bad signature", Fault::BadSignature, false, ExitCode::MetadataRejected, "E18"},
    {"E34 image refused", Fault::ImageMissing, true, ExitCode::DownloadFailed, "E34"},
    {"E38 checksum mismatch", Fault::ImageCorrupt, true, ExitCode::IntegrityMismatch, "E38"},
};

static void addFaultRows()
{
    QTest::addColumn<int>("fault");
    QTest::addColumn<bool>("download");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("edge");
    for (const FaultRow &row : kFaults)
        QTest::newRow(row.name) << int(row.fault) << row.download << int(row.code) << QString::fromLatin1(row.edge);
}

void tst_Reporter::e08_withoutConsentNothingIsSent_data() { addFaultRows(); }

void tst_Reporter::e08_withoutConsentNothingIsSent()
{
    QFETCH(int, fault);
    QFETCH(bool, download);
    QFETCH(int, code);
    QFETCH(QString, edge);
    QUrl url;
    auto server = serverFor(Fault(fault), &url);
    QVERIFY(fault == int(Fault::Unreachable) || server);
    QVERIFY(!makeDevice(url, m_diag->url(QStringLiteral("/diag/"))).isEmpty());
    const int before = m_diag->requestCount(QStringLiteral("/diag/"));

    const Cycle cycle = runCycle(download);
    QVERIFY(cycle.error);
    QCOMPARE(int(cycle.error->code), code);
    QCOMPARE(cycle.error->edge, edgeFromName(edge));
    QVERIFY(pathContains(cycle.path, {*edgeFromName(edge), Edge::E08}));
    QVERIFY(!cycle.path.contains(Edge::E09));
    // E08 happened: the error is in the log for the app.
    const QList<LogEntry> log = m_fx.journal()->entries();
    QVERIFY(std::any_of(log.cbegin(), log.cend(), [&](const LogEntry &e) { return e.edge == edge && e.level == LogEntry::Level::Error; }));

    QTest::qWait(300); // nginx logs a request once it is finished: give a request, if any, time to show
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/")), before);
    QCOMPARE(QDirIterator(m_davRoot.path(), QDir::Files, QDirIterator::Subdirectories).hasNext(), false);
    QVERIFY(diagnostics::queuedReports(m_fx.config()).isEmpty());
    QVERIFY(!m_fx.journal()->keys().contains(QStringLiteral("deviceId"))); // no id is even made
}

void tst_Reporter::e08_e09_withConsentOneReportPerError_data() { addFaultRows(); }

void tst_Reporter::e08_e09_withConsentOneReportPerError()
{
    QFETCH(int, fault);
    QFETCH(bool, download);
    QFETCH(int, code);
    QFETCH(QString, edge);
    QUrl url;
    auto server = serverFor(Fault(fault), &url);
    QVERIFY(fault == int(Fault::Unreachable) || server);
    QVERIFY(!makeDevice(url, m_diag->url(QStringLiteral("/diag/"))).isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));

    const Cycle cycle = runCycle(download);
    QVERIFY(cycle.error);
    QCOMPARE(int(cycle.error->code), code);
    QVERIFY(pathContains(cycle.path, {*edgeFromName(edge), Edge::E08, Edge::E09}));

    const QString id = deviceId();
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{32}$")).match(id).hasMatch());
    QTRY_COMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id + QLatin1Char('/')), 1);
    QTest::qWait(300);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id + QLatin1Char('/')), 1); // exactly one
    const QStringList stored = storedReports();
    QCOMPARE(stored.size(), 1);
    QVERIFY2(QRegularExpression(QStringLiteral("^\\d{8}T\\d{6}Z-1\\.json$")).match(stored.first()).hasMatch(), qPrintable(stored.first()));
    QVERIFY(m_diag->accessLog().filter(QStringLiteral("PUT /diag/") + id).first().startsWith(QStringLiteral("201 ")));

    const QJsonObject r = storedReport(stored.first());
    QCOMPARE(r.value(QStringLiteral("product")).toString(), QStringLiteral("s16"));
    QCOMPARE(r.value(QStringLiteral("deviceId")).toString(), id);
    QCOMPARE(r.value(QStringLiteral("sequence")).toInteger(), 1);
    const QJsonObject f = r.value(QStringLiteral("failure")).toObject();
    QCOMPARE(f.value(QStringLiteral("edge")).toString(), edge);
    QCOMPARE(f.value(QStringLiteral("code")).toInt(), code);
    QCOMPARE(f.value(QStringLiteral("state")).toString(), nodeName(edgeInfo(*edgeFromName(edge)).from));
    QCOMPARE(f.value(QStringLiteral("message")).toString(), cycle.error->message);
    const QJsonObject versions = r.value(QStringLiteral("versions")).toObject();
    QCOMPARE(versions.value(QStringLiteral("running")).toString(), QStringLiteral("1.0.0"));
    QVERIFY(versions.contains(QStringLiteral("staged")));
    QVERIFY(versions.value(QStringLiteral("slots")).isObject());
    QVERIFY(r.value(QStringLiteral("updateDirFreeBytes")).toDouble() > 0);
    QVERIFY(r.value(QStringLiteral("uptimeSeconds")).toDouble() > 0);
    // the device's GRUB environment: the updater's variables only
    const QJsonObject boot = r.value(QStringLiteral("boot")).toObject();
    QCOMPARE(boot.value(QStringLiteral("backend")).toString(), QStringLiteral("grub"));
    QCOMPARE(boot.value(QStringLiteral("variables")).toObject().value(QStringLiteral("BOOT_ORDER")).toString(), QStringLiteral("A B"));
    // The log holds the error as E08 logged it, the newest last.
    const QJsonArray log = r.value(QStringLiteral("log")).toArray();
    QVERIFY(!log.isEmpty());
    QCOMPARE(log.last().toObject().value(QStringLiteral("edge")).toString(), edge);
    QCOMPARE(log.last().toObject().value(QStringLiteral("level")).toString(), QStringLiteral("error"));

    QVERIFY(diagnostics::queuedReports(m_fx.config()).isEmpty()); // sent, so no longer queued
}

void tst_Reporter::e09_reportHoldsNoSecretsAndUsesTheUpdateAuthentication()
{
    // One server for updates and diagnostics, requiring the device's certificate and token.
    const QString token = QStringLiteral("s3cret-T0ken-4711");
    NginxServer::Options o;
    o.clientCaFile = TestPki::shared().clientCaCert();
    o.bearerToken = token;
    o.davRoot = m_davRoot.path();
    auto server = startRepoServer(m_badSigRepo, o);
    QVERIFY(server);
    const QString tokenFile = m_fx.deviceDir() + QStringLiteral("-token");
    {
        QFile f(tokenFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(token.toUtf8() + '\n');
    }
    const QString keyFile = TestPki::shared().client().key;
    QVERIFY(!makeDevice(server->url(), server->url(QStringLiteral("/diag/")),
                        {{QStringLiteral("server/tokenFile"), tokenFile},
                         {QStringLiteral("server/clientCertificate"), TestPki::shared().client().cert},
                         {QStringLiteral("server/clientKey"), keyFile},
                         {QStringLiteral("device/database"), QStringLiteral("app.db")}})
                 .isEmpty());
    // The app's data, which never goes into a report.
    QVERIFY(runTool(QStringLiteral("sqlite3"), {m_fx.deviceDir() + QStringLiteral("/app.db"),
                                                QStringLiteral("CREATE TABLE notes(t); INSERT INTO notes VALUES('APP-PRIVATE-NOTE-93');")})
                .exitCode
            == 0);
    QFile keyPem(keyFile);
    QVERIFY(keyPem.open(QIODevice::ReadOnly));
    const QByteArray keyBytes = keyPem.readAll();
    {
        // Secrets that found their way into the log (a careless library message, say).
        auto j = m_fx.journal();
        QVERIFY(
            j->append(LogEntry{0,
                               {},
                               LogEntry::Level::Warning,
                               0,
                               {},
                               QStringLiteral("token is ") + token,
                               QStringLiteral("GET https://dev:pa55word@mirror.example/s16/?token=qq77 ") + QString::fromLatin1(keyBytes),
                               QStringLiteral("test")}));
        QVERIFY(diagnostics::setConsent(m_fx.config(), *j, true));
    }

    const Cycle cycle = runCycle(false);
    QVERIFY(cycle.error);
    QCOMPARE(cycle.error->code, ExitCode::MetadataRejected);
    const QString id = deviceId();
    QTRY_COMPARE(server->requestCount(QStringLiteral("/diag/") + id + QLatin1Char('/')), 1);
    // Sent with the same identity as the update requests: the client certificate and the token.
    const QString put = server->accessLog().filter(QStringLiteral("PUT /diag/")).first();
    QVERIFY2(put.startsWith(QStringLiteral("201 ")) && put.contains(QStringLiteral("auth=\"Bearer ") + token)
                 && put.contains(QStringLiteral("client=SUCCESS")),
             qPrintable(put));

    const QStringList stored = storedReports();
    QCOMPARE(stored.size(), 1);
    QFile f(m_davRoot.path() + QLatin1Char('/') + id + QLatin1Char('/') + stored.first());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray report = f.readAll();
    QVERIFY(report.contains("mirror.example/s16/")); // the entry is there, its secrets are not
    QVERIFY(!report.contains(token.toUtf8()));
    QVERIFY(!report.contains("pa55word"));
    QVERIFY(!report.contains("qq77"));
    QVERIFY(!report.contains("PRIVATE KEY"));
    for (const QByteArray &line : keyBytes.split('\n')) {
        if (!line.startsWith("-----") && line.size() > 8)
            QVERIFY2(!report.contains(line), line.constData());
    }
    QVERIFY(!report.contains("APP-PRIVATE-NOTE-93"));
    QVERIFY(!report.contains(QByteArray::fromBase64(keyBytes.split('\n').value(1)))); // nor raw key bytes
}

void tst_Reporter::e09_queuedReportArrivesWhenTheServerIsBack()
{
    // First cycle: neither the update server nor the diagnostics server can be reached.
    QVERIFY(!makeOfflineDevice().isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));
    const DiagnosticsReporter::Backoff backoff{4, 60};
    const Cycle failed = runCycle(false, backoff);
    QVERIFY(failed.error);
    QCOMPARE(failed.error->edge, std::optional(Edge::E07));
    const QStringList queued = diagnostics::queuedReports(m_fx.config());
    QCOMPARE(queued.size(), 1);
    const QDateTime failedAt = QDateTime::currentDateTimeUtc();

    // The servers are back; a cycle within the back-off leaves the report queued.
    setConfig(QStringLiteral("server/url"), m_diag->url().toString());
    setConfig(QStringLiteral("diagnostics/url"), m_diag->url(QStringLiteral("/diag/")).toString());
    const QString id = deviceId();
    const Cycle early = runCycle(false, backoff);
    QVERIFY2(!early.error, qPrintable(early.error ? early.error->message : QString()));
    QVERIFY(QDateTime::currentDateTimeUtc() < failedAt.addSecs(backoff.baseSeconds)); // the test itself was quick enough
    QTest::qWait(300);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id), 0);
    QCOMPARE(diagnostics::queuedReports(m_fx.config()), queued);

    // After the back-off, the next cycle sends it first, once.
    QTest::qWait(int(QDateTime::currentDateTimeUtc().msecsTo(failedAt.addSecs(backoff.baseSeconds))) + 200);
    const Cycle later = runCycle(false, backoff);
    QVERIFY(!later.error);
    QTRY_COMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id), 1);
    QCOMPARE(storedReports(), queued); // the same name: a repeat would overwrite it
    QCOMPARE(storedReport(queued.first()).value(QStringLiteral("failure")).toObject().value(QStringLiteral("edge")).toString(),
             QStringLiteral("E07"));
    QVERIFY(diagnostics::queuedReports(m_fx.config()).isEmpty());

    // Delivered at most once: later cycles send nothing more.
    QVERIFY(!runCycle(false, backoff).error);
    QTest::qWait(300);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id), 1);
}

void tst_Reporter::e09_revokingConsentEmptiesTheQueue_data()
{
    addRows<bool>("commandLine", {{"s16-update consent off", true}, {"diagnostics::setConsent (the UI)", false}});
}

void tst_Reporter::e09_revokingConsentEmptiesTheQueue()
{
    QFETCH(bool, commandLine);
    const QString conf = makeOfflineDevice();
    QVERIFY(!conf.isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(runCycle(false).error.value_or(Error{}).code, ExitCode::ServerUnreachable);
    QCOMPARE(diagnostics::queuedReports(m_fx.config()).size(), 3);
    const ToolResult shown =
        runTool(QStringLiteral("s16-update"), {QStringLiteral("diagnostics"), QStringLiteral("--json"), QStringLiteral("--config"), conf});
    QVERIFY2(shown.exitCode == 0, qPrintable(shown.describe()));
    const QJsonObject state = QJsonDocument::fromJson(shown.out).object();
    QCOMPARE(state.value(QStringLiteral("consent")), QJsonValue(true));
    QCOMPARE(state.value(QStringLiteral("queued")).toVariant().toStringList(), diagnostics::queuedReports(m_fx.config()));

    if (commandLine) {
        const ToolResult r =
            runTool(QStringLiteral("s16-update"), {QStringLiteral("--config"), conf, QStringLiteral("consent"), QStringLiteral("off")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        QCOMPARE(r.out.trimmed(), QByteArrayLiteral("off"));
    } else {
        QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), false));
    }
    QVERIFY(!m_fx.journal()->value(QStringLiteral("consent")).toBool(true));
    QCOMPARE(QDir(diagnostics::queueDir(m_fx.config())).entryList(QDir::Files | QDir::Hidden), QStringList());

    // The server is back, consent is off: nothing leaves.
    setConfig(QStringLiteral("server/url"), m_diag->url().toString());
    setConfig(QStringLiteral("diagnostics/url"), m_diag->url(QStringLiteral("/diag/")).toString());
    QVERIFY(!runCycle(false).error);
    QTest::qWait(300);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/") + deviceId()), 0);
}

void tst_Reporter::e09_queueIsBounded_data()
{
    addRows<QString>("key", {{"maxQueuedReports", QStringLiteral("diagnostics/maxQueuedReports")},
                             {"maxQueuedBytes", QStringLiteral("diagnostics/maxQueuedBytes")}});
}

void tst_Reporter::e09_queueIsBounded()
{
    QFETCH(QString, key);
    QVERIFY(!makeOfflineDevice({{QStringLiteral("log/maxEntries"), QStringLiteral("4")}}).isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));
    QVERIFY(runCycle(false).error);
    const QString dir = diagnostics::queueDir(m_fx.config());
    const qint64 firstSize = QFileInfo(dir + QLatin1Char('/') + diagnostics::queuedReports(m_fx.config()).value(0)).size();
    QVERIFY(firstSize > 0);
    const qint64 maxBytes = firstSize * 5 / 2;
    setConfig(key, key.endsWith(QStringLiteral("Bytes")) ? QString::number(maxBytes) : QStringLiteral("2"));
    for (int i = 0; i < 5; ++i)
        QVERIFY(runCycle(false).error);

    const QStringList queued = diagnostics::queuedReports(m_fx.config());
    QVERIFY(!queued.isEmpty());
    QCOMPARE(diagnostics::sequenceOf(queued.last()), 6);  // the newest is kept
    QVERIFY(diagnostics::sequenceOf(queued.first()) > 1); // the oldest went first
    if (key.endsWith(QStringLiteral("Bytes"))) {
        qint64 total = 0;
        for (const QString &name : queued)
            total += QFileInfo(dir + QLatin1Char('/') + name).size();
        QVERIFY2(total <= maxBytes, qPrintable(QStringLiteral("%1 > %2").arg(total).arg(maxBytes)));
    } else {
        QCOMPARE(queued.size(), 2);
        QCOMPARE(diagnostics::sequenceOf(queued.first()), 5);
    }
    const QList<LogEntry> log = m_fx.journal()->entries();
    QVERIFY(std::any_of(log.cbegin(), log.cend(), [](const LogEntry &e) { return e.event == QStringLiteral("diagnosticsDropped"); }));
}

void tst_Reporter::e09_previewPrintsWhatIsSent()
{
    QUrl url;
    auto server = serverFor(Fault::BadSignature, &url);
    QVERIFY(server);
    const QString conf = makeDevice(url, m_diag->url(QStringLiteral("/diag/")));
    QVERIFY(!conf.isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));
    QVERIFY(runCycle(false).error);
    const QString id = deviceId();
    QTRY_COMPARE(storedReports().size(), 1);
    const QJsonObject sent = storedReport(storedReports().first());

    const ToolResult r = runTool(QStringLiteral("s16-update"),
                                 {QStringLiteral("diagnostics"), QStringLiteral("--preview"), QStringLiteral("--config"), conf});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QJsonParseError error;
    const QJsonObject preview = QJsonDocument::fromJson(r.out, &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QCOMPARE(preview.keys(), sent.keys());
    for (const char *same : {"format", "product", "deviceId", "updaterVersion", "versions", "failure", "boot"})
        QCOMPARE(preview.value(QLatin1String(same)), sent.value(QLatin1String(same)));
    QCOMPARE(preview.value(QStringLiteral("sequence")).toInteger(), sent.value(QStringLiteral("sequence")).toInteger() + 1);
    // The same builder the UI calls.
    const QJsonObject core = QJsonDocument::fromJson(diagnostics::previewReport(m_fx.config(), *m_fx.journal())).object();
    QCOMPARE(core.value(QStringLiteral("failure")), preview.value(QStringLiteral("failure")));

    // Previewing sends nothing, also with consent off.
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), false));
    QVERIFY(runTool(QStringLiteral("s16-update"),
                    {QStringLiteral("diagnostics"), QStringLiteral("--preview"), QStringLiteral("--config"), conf})
                .exitCode
            == 0);
    QTest::qWait(300);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id), 1);
}

void tst_Reporter::e21_e32_e39_downloadStartAndEndAreLogged()
{
    QVERIFY(!makeDevice(m_diag->url(), m_diag->url(QStringLiteral("/diag/"))).isEmpty());
    const Cycle cycle = runCycle(true);
    QVERIFY2(!cycle.error, qPrintable(cycle.error ? cycle.error->message : QString()));
    QVERIFY(pathContains(cycle.path, {Edge::E32, Edge::E35}));
    QStringList events;
    for (const LogEntry &e : m_fx.journal()->entries())
        events.append(e.event);
    QCOMPARE(events, (QStringList{QStringLiteral("checked"), QStringLiteral("downloadStarted"), QStringLiteral("downloadFinished"),
                                  QStringLiteral("staged")}));
    const ToolResult log = runTool(QStringLiteral("s16-update"),
                                   {QStringLiteral("log"), QStringLiteral("--config"), m_fx.deviceDir() + QStringLiteral("/update.conf")});
    QVERIFY2(log.exitCode == 0, qPrintable(log.describe()));
    QVERIFY2(QRegularExpression(QStringLiteral("E21 +download of version 1\\.1\\.0 started \\(262144 bytes\\)"))
                 .match(QString::fromUtf8(log.out))
                 .hasMatch(),
             log.out.constData());
    QVERIFY2(QRegularExpression(QStringLiteral("E32 +download of version 1\\.1\\.0 finished \\(262144 bytes, 262144 of them fetched\\)"))
                 .match(QString::fromUtf8(log.out))
                 .hasMatch(),
             log.out.constData());
}

void tst_Reporter::e09_reporterSendsNothingWithoutConsent()
{
    // The reporter keeps its own promise: without consent it neither queues nor sends, whoever
    // calls it (the engine asks only with consent; boot-complete's enqueue is another caller).
    QVERIFY(!makeDevice(m_diag->url(), m_diag->url(QStringLiteral("/diag/"))).isEmpty());
    const Config config = m_fx.config();
    auto journal = m_fx.journal();
    QVERIFY(journal);
    const int before = m_diag->requestCount(QStringLiteral("/diag/"));
    DiagnosticsReporter reporter(config, journal.get());
    const Error error{ExitCode::ServerUnreachable, QStringLiteral("the update server could not be reached"), Edge::E07, {}};
    reporter.enqueue(error);
    reporter.report(error);
    QDeadlineTimer deadline(10000);
    while (reporter.isBusy() && !deadline.hasExpired())
        QTest::qWait(20);
    QTest::qWait(300);
    QVERIFY(diagnostics::queuedReports(config).isEmpty());
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/")), before);
    QVERIFY(!journal->keys().contains(QStringLiteral("deviceId")));
}

void tst_Reporter::e09_consentRevokedDuringARoundStopsIt()
{
    // Three reports wait; consent is revoked (by the UI, in another process) while the first is
    // on its way: that one arrives, the others never leave, and the queue is emptied.
    QVERIFY(!makeOfflineDevice().isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));
    for (int i = 0; i < 3; ++i)
        QVERIFY(runCycle(false).error);
    QCOMPARE(diagnostics::queuedReports(m_fx.config()).size(), 3);
    setConfig(QStringLiteral("diagnostics/url"), m_diag->url(QStringLiteral("/diag/")).toString());
    const QString id = deviceId();

    const Config config = m_fx.config();
    auto journal = m_fx.journal();
    auto other = m_fx.journal(); // the other process's view of the same journal
    DiagnosticsReporter reporter(config, journal.get());
    QStringList sent;
    connect(&reporter, &DiagnosticsReporter::sent, this, [&](const QString &name) {
        sent.append(name);
        (void)other->set(QStringLiteral("consent"), false); // its queue is not emptied yet
    });
    reporter.flush(true);
    QDeadlineTimer deadline(20000);
    while (reporter.isBusy() && !deadline.hasExpired())
        QTest::qWait(20);
    QVERIFY(!reporter.isBusy());
    QTest::qWait(300);
    QCOMPARE(sent.size(), 1);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id), 1);
    QVERIFY(diagnostics::queuedReports(config).isEmpty());
}

void tst_Reporter::e13_e09_tokenGoesOnlyToTheUpdateServer()
{
    // The device's bearer token authenticates it to the update server only: a diagnostics
    // server elsewhere (another port here) never sees it.
    const QString token = QStringLiteral("only-for-updates-5150");
    NginxServer::Options o;
    o.bearerToken = token;
    auto updates = startRepoServer(m_badSigRepo, o);
    QVERIFY(updates);
    const QString tokenFile = m_fx.deviceDir() + QStringLiteral("-token");
    {
        QFile f(tokenFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(token.toUtf8() + '\n');
    }
    QVERIFY(
        !makeDevice(updates->url(), m_diag->url(QStringLiteral("/diag/")), {{QStringLiteral("server/tokenFile"), tokenFile}}).isEmpty());
    QVERIFY(diagnostics::setConsent(m_fx.config(), *m_fx.journal(), true));
    const Cycle cycle = runCycle(false);
    QVERIFY(cycle.error);
    QCOMPARE(cycle.error->code, ExitCode::MetadataRejected); // the token was good for the update server
    const QString id = deviceId();
    QTRY_COMPARE(m_diag->requestCount(QStringLiteral("/diag/") + id + QLatin1Char('/')), 1);
    const QStringList puts = m_diag->accessLog().filter(QStringLiteral("PUT /diag/") + id);
    QCOMPARE(puts.size(), 1);
    QVERIFY2(puts.first().startsWith(QStringLiteral("201 ")) && !puts.first().contains(token)
                 && !puts.first().contains(QStringLiteral("Bearer")),
             qPrintable(puts.first()));
}

void tst_Reporter::e53_e08_e09_failedInstallIsQueuedWithConsent_data()
{
    addRows<bool>("consent", {{"consent", true}, {"no consent", false}});
}

void tst_Reporter::e53_e08_e09_failedInstallIsQueuedWithConsent()
{
    // The old system is back after a failed install: `s16-update boot-complete` reports it
    // (E53), logs it (E08) and, with consent, queues a report for the next check (E09): the
    // network may not be up this early in the boot.
    QFETCH(bool, consent);
    const QString conf = makeDevice(m_diag->url(), m_diag->url(QStringLiteral("/diag/")));
    QVERIFY(!conf.isEmpty());
    {
        auto j = m_fx.journal();
        QVERIFY(diagnostics::setConsent(m_fx.config(), *j, consent));
        const QJsonObject failure{{QStringLiteral("code"), toInt(ExitCode::InstallFailed)},
                                  {QStringLiteral("message"), QStringLiteral("the services are not healthy")},
                                  {QStringLiteral("edge"), QStringLiteral("E62")},
                                  {QStringLiteral("detail"), QStringLiteral("health: exit 1")}};
        QVERIFY(j->set(QStringLiteral("install"), QJsonObject{{QStringLiteral("step"), QStringLiteral("rebootOld")},
                                                              {QStringLiteral("targetSlot"), QStringLiteral("B")},
                                                              {QStringLiteral("fallbackSlot"), QStringLiteral("A")},
                                                              {QStringLiteral("version"), QStringLiteral("1.1.0")},
                                                              {QStringLiteral("previousVersion"), QStringLiteral("1.0.0")},
                                                              {QStringLiteral("migrated"), false},
                                                              {QStringLiteral("error"), failure}}));
    }
    const int before = m_diag->requestCount(QStringLiteral("/diag/"));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("S16_BOOTED_SLOT"), QStringLiteral("A"));
    const ToolResult r = runTool(QStringLiteral("s16-update"),
                                 {QStringLiteral("boot-complete"), QStringLiteral("--json"), QStringLiteral("--config"), conf}, env);
    QCOMPARE(r.exitCode, toInt(ExitCode::InstallFailed));
    const QJsonObject out = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(out.value(QStringLiteral("edges")).toArray(), QJsonArray{QStringLiteral("E53")});
    QCOMPARE(out.value(QStringLiteral("code")).toInt(), toInt(ExitCode::InstallFailed));
    const QList<LogEntry> log = m_fx.journal()->entries();
    QVERIFY(!log.isEmpty());
    QCOMPARE(log.last().event, QStringLiteral("installFailed"));
    QCOMPARE(log.last().edge, QStringLiteral("E62"));
    const QStringList queued = diagnostics::queuedReports(m_fx.config());
    QTest::qWait(300);
    QCOMPARE(m_diag->requestCount(QStringLiteral("/diag/")), before); // queued only, sent by the next check
    if (!consent) {
        QVERIFY(queued.isEmpty());
        return;
    }
    QCOMPARE(queued.size(), 1);
    QFile f(diagnostics::queueDir(m_fx.config()) + QLatin1Char('/') + queued.first());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject failure = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("failure")).toObject();
    QCOMPARE(failure.value(QStringLiteral("edge")).toString(), QStringLiteral("E62"));
    QCOMPARE(failure.value(QStringLiteral("code")).toInt(), toInt(ExitCode::InstallFailed));
}

QTEST_GUILESS_MAIN(tst_Reporter)
#include "tst_reporter.moc"
