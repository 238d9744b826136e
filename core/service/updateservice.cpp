#include "updateservice.h"

#include "common/logging.h"
#include "config/config.h"
#include "diagnostics/diagnostics.h"
#include "diagnostics/reporter.h"
#include "online/devicestatus.h"
#include "online/updateengine.h"
#include "store/devicestate.h"
#include "store/journal.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaProperty>
#include <QRandomGenerator>
#include <QTimer>

#include <chrono>
#include <climits>
#include <optional>

namespace s16 {
namespace {

const QString kCheck = QStringLiteral("check");
const QString kDownload = QStringLiteral("download");
const QString kInstall = QStringLiteral("install");
const QString kConsent = QStringLiteral("consent");
const QString kReboot = QStringLiteral("reboot");
const QString kAcknowledge = QStringLiteral("acknowledge");

// The engine only records the reboot request (E42/E43); the service runs the command, so a
// priority update can wait the countdown the user sees and "Restart now" can cut it short.
Config withoutRebootCommand(Config config)
{
    config.boot.rebootCommand.clear();
    return config;
}

// JSON numbers are doubles; on the bus a code is an int (i) and a size a 64-bit integer (x).
QVariantMap toBusMap(const QJsonObject &o)
{
    QVariantMap m;
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QJsonValue v = it.value();
        if (v.isDouble() && v.toDouble() == double(qint64(v.toDouble()))) {
            const qint64 n = qint64(v.toDouble());
            m.insert(it.key(), n >= INT_MIN && n <= INT_MAX ? QVariant(int(n)) : QVariant(n));
        } else if (!v.isNull() && !v.isUndefined()) {
            m.insert(it.key(), v.toVariant()); // null has no D-Bus type: a missing key says it
        }
    }
    return m;
}

// At most ten progress updates a second reach the bus.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);
// What other processes change in the journal (boot-complete, an engine run in process
// where no service runs) is picked up this often; the service's own changes at once.
constexpr auto kOutsideChangesInterval = std::chrono::seconds(2);

} // namespace

class UpdateService::Private
{
public:
    Private(UpdateService *q, const Config &config, Journal *journal)
        : q(q)
        , config(config)
        , journal(journal)
        , engine(withoutRebootCommand(config), journal)
        , reporter(config, journal)
    {
    }

    // Reads the device's state anew (journal, version file, lock) unless only the transfer's
    // progress moved, then sends what changed.
    enum class Read { State, ProgressOnly };
    void refresh(Read read = Read::State);
    [[nodiscard]] QVariantMap properties() const;
    void startJob(const QString &op, bool scheduled);
    void onFinished();
    void schedule(qint64 seconds);
    void waitUntil(QDeadlineTimer deadline);
    void completed(const QString &op, int code, const QString &message);
    void planReboot();
    void rebootNow();

    UpdateService *q;
    Config config;
    Journal *journal;
    UpdateEngine engine;
    DiagnosticsReporter reporter;
    std::optional<EngineLock> lock;
    QString operation;          // the running job, "" when none
    bool scheduledRun = false;  // the running job is the schedule's: it plans the next
    bool downloadAfter = false; // Download was asked for while a check ran
    DeviceStatus status;
    QVariantMap sent; // the property values clients were last told
    QTimer progressTimer;
    QElapsedTimer progressClock; // since Progress was last sent
    QTimer outsideTimer;
    QTimer scheduleTimer;
    bool onBus = false;
    bool checked = false;               // the engine has run a check since the service started
    std::optional<StagedRecord> staged; // the journal's staged update
    qint64 logId = 0;                   // the newest log entry's id
    QTimer rebootTimer;                 // a priority update's countdown
    QDateTime rebootAt;                 // when rebootTimer ends; invalid when no restart is planned
    bool rebootTried = false;           // the reboot command ran for this request: no second try unasked
};

UpdateService::UpdateService(const Config &config, Journal *journal, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this, config, journal))
{
    d->reporter.attach(&d->engine); // E09 after an error; queued reports at the start of a cycle
    connect(&d->engine, &UpdateEngine::finished, this, [this] { d->onFinished(); });
    connect(&d->engine, &UpdateEngine::edgeTaken, this, [this] { d->refresh(); });
    d->progressTimer.setSingleShot(true);
    connect(&d->progressTimer, &QTimer::timeout, this, [this] { d->refresh(Private::Read::ProgressOnly); });
    connect(&d->engine, &UpdateEngine::progressChanged, this, [this] {
        if (!d->progressTimer.isActive())
            d->progressTimer.start(kProgressInterval);
    });
    d->outsideTimer.setInterval(kOutsideChangesInterval);
    connect(&d->outsideTimer, &QTimer::timeout, this, [this] { d->refresh(); });
    d->scheduleTimer.setSingleShot(true);
    d->rebootTimer.setSingleShot(true);
    connect(&d->rebootTimer, &QTimer::timeout, this, [this] { d->rebootNow(); });
    d->refresh();
    d->outsideTimer.start();
}

UpdateService::~UpdateService() = default;

Status UpdateService::registerOnSystemBus()
{
    QDBusConnection bus = QDBusConnection::systemBus();
    if (!bus.isConnected())
        return fail(ExitCode::Usage, QStringLiteral("cannot connect to the D-Bus system bus"), bus.lastError().message());
    if (!bus.registerObject(QString::fromLatin1(kObjectPath), this,
                            QDBusConnection::ExportAllSlots | QDBusConnection::ExportAllSignals | QDBusConnection::ExportAllProperties))
        return fail(ExitCode::Usage, QStringLiteral("cannot export %1 on the system bus").arg(QString::fromLatin1(kObjectPath)),
                    bus.lastError().message());
    // DoNotQueue: a second service must not wait in line for the name, it must refuse to run.
    const auto reply = bus.interface()->registerService(QString::fromLatin1(kBusName), QDBusConnectionInterface::DontQueueService,
                                                        QDBusConnectionInterface::DontAllowReplacement);
    if (!reply.isValid() || reply.value() != QDBusConnectionInterface::ServiceRegistered) {
        bus.unregisterObject(QString::fromLatin1(kObjectPath));
        return fail(ExitCode::Usage,
                    QStringLiteral("cannot own the bus name %1 (another update service runs, or the bus policy refuses it)")
                        .arg(QString::fromLatin1(kBusName)),
                    reply.error().message());
    }
    d->onBus = true;
    return {};
}

void UpdateService::startSchedule()
{
    if (d->config.server.checkIntervalSeconds == 0) {
        std::fprintf(stderr, "s16-update: no scheduled checks (checkIntervalSeconds=0); checking when a client asks\n");
        return;
    }
    QTimer::singleShot(0, this, [this] { d->startJob(kDownload, true); });
}

// --- the schedule (E19/E20) --------------------------------------------------------------

// QTimer counts in int milliseconds (24.8 days at most): a longer wait (checkInterval may be
// up to a year) is taken in pieces of a day, against a deadline.
void UpdateService::Private::waitUntil(QDeadlineTimer deadline)
{
    const qint64 left = deadline.remainingTime();
    if (left <= 0) {
        startJob(kDownload, true);
        return;
    }
    scheduleTimer.disconnect();
    QObject::connect(&scheduleTimer, &QTimer::timeout, q, [this, deadline] { waitUntil(deadline); });
    scheduleTimer.start(std::chrono::milliseconds(std::min<qint64>(left, 24 * 3600 * 1000)));
}

void UpdateService::Private::schedule(qint64 seconds)
{
    std::fprintf(stderr, "s16-update: next check in %lld s\n", static_cast<long long>(seconds));
    waitUntil(QDeadlineTimer(std::chrono::seconds(seconds)));
}

// --- jobs ----------------------------------------------------------------------------------

void UpdateService::Private::startJob(const QString &op, bool scheduled)
{
    if (engine.isRunning()) {
        // A second caller joins the running job and sees its Completed. A download asked
        // for during a check follows it; a scheduled cycle during any job is not needed.
        if (op == kDownload && operation == kCheck && !scheduled)
            downloadAfter = true;
        return;
    }
    auto acquired = EngineLock::tryAcquire(config.device.stateDir);
    if (!acquired) {
        if (scheduled) {
            // another updater works (recovery's tools, an engine run in process): try again soon
            schedule(std::max(config.server.retryIntervalSeconds, 1));
        } else {
            completed(op, toInt(acquired.error().code), acquired.error().message);
        }
        return;
    }
    lock.emplace(std::move(*acquired));
    operation = op;
    scheduledRun = scheduled;
    if (op == kCheck)
        engine.check();
    else
        engine.download();
    refresh();
}

void UpdateService::Private::onFinished()
{
    lock.reset();
    checked = true;
    const QString op = operation;
    operation.clear();
    const std::optional<Error> &error = engine.error();
    if (error)
        std::fprintf(stderr, "s16-update: %s\n", qPrintable(error->message));
    refresh();
    completed(op, error ? toInt(error->code) : 0, error ? error->message : QString());
    if (scheduledRun) {
        const qint64 jitter =
            config.server.checkJitterSeconds > 0 ? QRandomGenerator::system()->bounded(config.server.checkJitterSeconds + 1) : 0;
        schedule(config.server.checkIntervalSeconds + jitter);
    }
    if (std::exchange(downloadAfter, false) && (!error || op != kCheck))
        startJob(kDownload, false);
}

void UpdateService::Private::completed(const QString &op, int code, const QString &message)
{
    // Queued: a caller's reply goes out before the signal that ends its job.
    QMetaObject::invokeMethod(
        q, [q = q, op, code, message] { Q_EMIT q->Completed(op, code, message); }, Qt::QueuedConnection);
}

void UpdateService::Check() { d->startJob(kCheck, false); }

void UpdateService::Download() { d->startJob(kDownload, false); }

void UpdateService::Cancel()
{
    // The running job ends in its own Completed, with exit code 3; without one, nothing happens.
    d->downloadAfter = false;
    d->engine.cancel();
}

void UpdateService::Install()
{
    if (d->engine.isRunning()) {
        d->completed(kInstall, toInt(ExitCode::Usage), QStringLiteral("an update job is running; install once it has ended"));
        return;
    }
    Status installed;
    {
        auto lock = EngineLock::tryAcquire(d->config.device.stateDir);
        if (!lock) {
            d->completed(kInstall, toInt(lock.error().code), lock.error().message);
            return;
        }
        installed = d->engine.install();
    } // the lock is released before the state is read again
    d->refresh();
    d->completed(kInstall, installed ? 0 : toInt(installed.error().code), installed ? QString() : installed.error().message);
    if (installed) // the user asked: no countdown. Queued after Completed, which goes out first.
        QMetaObject::invokeMethod(
            this, [this] { d->rebootNow(); }, Qt::QueuedConnection);
}

void UpdateService::Reboot()
{
    if (!d->status.rebootPending) {
        d->completed(kReboot, toInt(ExitCode::Usage), QStringLiteral("no update waits for a restart"));
        return;
    }
    d->rebootNow();
}

void UpdateService::AcknowledgeOutcome()
{
    if (auto s = DeviceState(*d->journal).acknowledgeOutcome(); !s) {
        d->completed(kAcknowledge, toInt(s.error().code), s.error().message);
        return;
    }
    d->refresh();
    d->completed(kAcknowledge, 0, {});
}

// --- the restart -----------------------------------------------------------------------------

void UpdateService::Private::planReboot()
{
    const bool priority = staged && staged->priority;
    if (!status.rebootPending) {
        rebootTimer.stop();
        rebootAt = {};
        rebootTried = false;
        return;
    }
    if (!priority || rebootTried || rebootAt.isValid())
        return;
    // E43 was taken (here, or before the service restarted): the countdown starts now.
    const int seconds = config.ui.priorityCountdownSeconds;
    rebootAt = QDateTime::currentDateTimeUtc().addSecs(seconds);
    rebootTimer.start(std::chrono::seconds(seconds));
}

void UpdateService::Private::rebootNow()
{
    rebootTimer.stop();
    rebootAt = {};
    rebootTried = true;
    const std::optional<QString> failed = restartForInstall(config.boot.rebootCommand, *journal);
    refresh();
    completed(kReboot, failed ? toInt(ExitCode::InstallFailed) : 0,
              failed ? QStringLiteral("the device did not restart; the update installs at the next restart: ") + *failed : QString());
}

void UpdateService::SetConsent(bool consent)
{
    const auto set = diagnostics::setConsent(d->config, *d->journal, consent);
    d->refresh();
    if (!set) {
        const Error e = toError(set.error());
        d->completed(kConsent, toInt(e.code), e.message);
        return;
    }
    d->completed(kConsent, 0, {});
}

QString UpdateService::PreviewDiagnostics() { return QString::fromUtf8(diagnostics::previewReport(d->config, *d->journal)); }

QString UpdateService::Log(uint limit)
{
    QJsonArray list;
    for (const LogEntry &e : d->journal->entries(limit == 0 ? -1 : int(std::min<uint>(limit, INT_MAX))))
        list.append(toJson(e));
    return QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Compact));
}

// --- properties ----------------------------------------------------------------------------

QString UpdateService::state() const { return d->status.state; }
QString UpdateService::operation() const { return d->operation; }
QString UpdateService::currentVersion() const { return d->status.currentVersion; }
QString UpdateService::stagedVersion() const { return d->status.stagedVersion; }
QString UpdateService::availableVersion() const { return d->status.available; }
QString UpdateService::flowNode() const { return d->status.flowNode; }
QString UpdateService::configFile() const { return d->config.filePath; }

QVariantMap UpdateService::checkResult() const
{
    if (!d->checked)
        return {};
    const CheckResult &r = d->engine.checkResult();
    return {{QStringLiteral("available"), r.available},
            {QStringLiteral("version"), r.version},
            {QStringLiteral("priority"), r.priority},
            {QStringLiteral("size"), r.size},
            {QStringLiteral("notes"), r.notes.toVariantMap()}};
}
bool UpdateService::rebootPending() const { return d->status.rebootPending; }
QString UpdateService::lastCheck() const { return d->status.lastCheck; }
QVariantMap UpdateService::lastError() const { return toBusMap(d->status.lastError); }
bool UpdateService::consent() const { return d->status.consent; }
QVariantMap UpdateService::outcome() const { return toBusMap(d->status.outcome); }
qlonglong UpdateService::logId() const { return d->logId; }
QVariantMap UpdateService::lastTransfer() const
{
    const QJsonObject &t = d->status.lastTransfer;
    if (t.isEmpty())
        return {};
    // sizes are x on the bus, whatever their value
    const auto size = [&t](const char *key) { return QVariant(qint64(t.value(QLatin1String(key)).toDouble())); };
    return {{QStringLiteral("version"), t.value(QStringLiteral("version")).toString()},
            {QStringLiteral("total"), size("total")},
            {QStringLiteral("fetched"), size("fetched")},
            {QStringLiteral("reused"), size("reused")}};
}
QString UpdateService::rebootTime() const { return d->rebootAt.isValid() ? d->rebootAt.toString(Qt::ISODate) : QString(); }

QVariantMap UpdateService::staged() const
{
    if (!d->staged)
        return {};
    QVariantMap m{{QStringLiteral("version"), d->staged->version},
                  {QStringLiteral("size"), d->staged->size},
                  {QStringLiteral("priority"), d->staged->priority},
                  {QStringLiteral("notes"), d->staged->notes.toVariantMap()}};
    if (!d->staged->released.isEmpty())
        m.insert(QStringLiteral("released"), d->staged->released);
    return m;
}

QVariantMap UpdateService::progress() const
{
    if (d->operation == kDownload && d->engine.progress().total > 0) {
        const TransferProgress &p = d->engine.progress();
        // the keys of `status --json` progress
        return {{QStringLiteral("phase"), QStringLiteral("download")},
                {QStringLiteral("bytes"), p.bytes},
                {QStringLiteral("total"), p.total},
                {QStringLiteral("rate"), p.bytesPerSecond},
                {QStringLiteral("eta"), p.etaSeconds},
                {QStringLiteral("fetched"), p.fetched},
                {QStringLiteral("reused"), p.reused},
                {QStringLiteral("toFetch"), p.toFetch}};
    }
    // another process's transfer (an engine run in process), as it records it
    return toBusMap(d->status.progress);
}

QVariantMap UpdateService::Private::properties() const
{
    QVariantMap values;
    const QMetaObject *mo = q->metaObject();
    for (int i = mo->propertyOffset(); i < mo->propertyCount(); ++i) {
        const QMetaProperty p = mo->property(i);
        values.insert(QString::fromLatin1(p.name()), p.read(q));
    }
    return values;
}

void UpdateService::Private::refresh(Read read)
{
    if (read == Read::State) {
        const bool running = engine.isRunning() || EngineLock::holder(config.device.stateDir).has_value();
        status = readDeviceStatus(config, *journal, running);
        staged = DeviceState(*journal).staged();
        const QList<LogEntry> newest = journal->entries(1);
        logId = newest.isEmpty() ? 0 : newest.constFirst().id;
        planReboot();
    }
    QVariantMap now = properties();
    // Progress goes out at most every kProgressInterval, whatever else made this refresh;
    // a change that comes sooner waits for the timer.
    const QString progressKey = QStringLiteral("Progress");
    if (now.value(progressKey) != sent.value(progressKey) && progressClock.isValid()
        && progressClock.elapsed() < kProgressInterval.count()) {
        now.insert(progressKey, sent.value(progressKey));
        if (!progressTimer.isActive())
            progressTimer.start(kProgressInterval - std::chrono::milliseconds(progressClock.elapsed()));
    }
    QVariantMap changed;
    for (auto it = now.cbegin(); it != now.cend(); ++it) {
        if (sent.value(it.key()) != it.value())
            changed.insert(it.key(), it.value());
    }
    sent = now;
    if (changed.contains(progressKey))
        progressClock.start();
    if (changed.isEmpty() || !onBus)
        return;
    QDBusMessage signal = QDBusMessage::createSignal(QString::fromLatin1(kObjectPath), QStringLiteral("org.freedesktop.DBus.Properties"),
                                                     QStringLiteral("PropertiesChanged"));
    signal << QString::fromLatin1(kBusName) << changed << QStringList();
    if (!QDBusConnection::systemBus().send(signal))
        qCWarning(lcFlow) << "cannot send PropertiesChanged:" << QDBusConnection::systemBus().lastError().message();
}

} // namespace s16
