#include "updatecontroller.h"

#include "engineworker.h"

#include "diagnostics/diagnostics.h"

#include "common/error.h"
#include "config/config.h"
#include "online/devicestatus.h"
#include "store/journal.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QProcess>
#include <QStringBuilder>
#include <QThread>

#include <cmath>

namespace s16 {
namespace {

QString str(const QJsonObject &o, const char *key) { return o.value(QLatin1String(key)).toString(); }

// The key by which a dismissed error is remembered: a new error has a new time.
QString errorKey(const QJsonObject &e)
{
    return str(e, "time") % QLatin1Char('|') % QString::number(e.value(QStringLiteral("code")).toInt())
        % QLatin1Char('|') % str(e, "message");
}

// Codes a check (connect, TLS, authenticate, metadata) ends with; the others end a
// download or an install.
bool isCheckFailure(const QJsonObject &e)
{
    const int code = e.value(QStringLiteral("code")).toInt();
    return code == toInt(ExitCode::ServerUnreachable) || code == toInt(ExitCode::TlsRejected)
        || code == toInt(ExitCode::AuthRejected) || code == toInt(ExitCode::MetadataRejected);
}

int edgeNumber(const QString &edge)
{
    return edge.startsWith(QLatin1Char('E')) ? edge.mid(1).toInt() : -1;
}

// The rate is taken over the last seconds of the transfer only: a burst at the start
// (a resume, reused bytes, a server's fast first megabytes) must not promise an end
// that the link cannot keep.
constexpr qint64 kRateWindowMs = 10000;
constexpr qint64 kRateMinSpanMs = 2000;

} // namespace

UpdateController::UpdateController(QObject *parent)
    : QObject(parent)
    , m_status(std::make_unique<DeviceStatus>())
{
    m_clock.start();
    m_poll.setInterval(1000);
    connect(&m_poll, &QTimer::timeout, this, &UpdateController::refresh);
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        m_countdown = std::max(0, m_countdown - 1);
        Q_EMIT countdownChanged();
        if (m_countdown == 0)
            restartNow();
    });
}

UpdateController::~UpdateController() { close(); }

void UpdateController::setConfigFile(const QString &path)
{
    if (path == m_configFile)
        return;
    m_configFile = path;
    Q_EMIT configFileChanged();
    if (m_completed)
        open();
}

void UpdateController::componentComplete()
{
    m_completed = true;
    open();
}

void UpdateController::close()
{
    m_poll.stop();
    m_tick.stop();
    if (m_worker) {
        // A running job ends with the worker, as it would with the process. The worker is
        // deleted on its thread as the thread finishes (connected in open()).
        std::exchange(m_worker, nullptr)->disconnect(this);
        m_engineThread->quit();
        m_engineThread->wait();
        m_engineThread.reset();
        // What it said before it was disconnected and has not arrived yet belongs to the old device.
        QCoreApplication::removePostedEvents(this, QEvent::MetaCall);
    }
    m_lock.reset();
    m_journal.reset();
    m_config.reset();
    *m_status = DeviceStatus{};
    m_staged = {};
    m_found = {};
    m_job = Job::None;
    m_transfer = {};
    m_samples.clear();
    m_installAfterDownload = false;
    m_countdownRunning = false;
    m_restarting = false;
    m_lastLogId = -1;
}

bool UpdateController::open()
{
    close();
    m_localError = {};
    const QString path = m_configFile.isEmpty() ? defaultConfigPath() : m_configFile;
    auto config = loadConfig(path);
    if (!config) {
        setLocalError(toInt(ExitCode::Usage), tr("The update settings cannot be read."), config.error().message);
        Q_EMIT statusChanged();
        return false;
    }
    auto journal = Journal::open(config->device.stateDir, config->log.maxEntries);
    if (!journal) {
        setLocalError(toInt(journal.error().code), journal.error().message, journal.error().detail);
        Q_EMIT statusChanged();
        return false;
    }
    m_config = std::make_unique<Config>(std::move(*config));
    m_journal = std::move(*journal);

    // The engine only records the reboot request; the device restarts when this
    // controller says so, after the priority countdown the user sees.
    Config engineConfig = *m_config;
    engineConfig.boot.rebootCommand.clear();
    m_engineThread = std::make_unique<QThread>();
    m_engineThread->setObjectName(QStringLiteral("s16-engine"));
    m_worker = new EngineWorker(engineConfig);
    m_worker->moveToThread(m_engineThread.get());
    connect(m_engineThread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    // Each arrives queued on this thread, in the order the worker sent them.
    connect(m_worker, &EngineWorker::jobFinished, this, &UpdateController::onJobFinished);
    connect(m_worker, &EngineWorker::installFinished, this, &UpdateController::onInstallFinished);
    connect(m_worker, &EngineWorker::progressChanged, this, &UpdateController::onProgress);
    connect(m_worker, &EngineWorker::edgeTaken, this, &UpdateController::refresh);
    connect(m_worker, &EngineWorker::openFailed, this, [this](const QJsonObject &error) {
        m_localError = error;
        Q_EMIT statusChanged();
    });
    m_engineThread->start();
    QMetaObject::invokeMethod(m_worker, &EngineWorker::open);
    m_poll.start();
    refresh();
    return true;
}

void UpdateController::refresh()
{
    if (!m_journal)
        return;
    const bool engineRunning = m_lock || EngineLock::holder(m_config->device.stateDir).has_value();
    *m_status = readDeviceStatus(*m_config, *m_journal, engineRunning);
    m_staged = m_journal->value(QStringLiteral("staged")).toObject();
    if (!m_laterVersion.isEmpty() && m_status->lastCheck != m_laterCheck)
        m_laterVersion.clear();

    const QList<LogEntry> newest = m_journal->entries(1);
    const qint64 logId = newest.isEmpty() ? 0 : newest.constFirst().id;
    if (logId != m_lastLogId) {
        m_lastLogId = logId;
        Q_EMIT historyChanged();
    }
    if (!m_transfer.live)
        sample(qint64(m_status->progress.value(QStringLiteral("bytes")).toDouble()),
               qint64(m_status->progress.value(QStringLiteral("total")).toDouble()));
    updateCountdown();
    Q_EMIT statusChanged();
    Q_EMIT progressChanged();
}

void UpdateController::sample(qint64 bytes, qint64 total)
{
    if (total <= 0) {
        m_samples.clear();
        return;
    }
    const qint64 now = m_clock.elapsed();
    if (!m_samples.isEmpty() && bytes < m_samples.constLast().bytes)
        m_samples.clear(); // another transfer began
    if (!m_samples.isEmpty() && m_samples.constLast().bytes == bytes && now - m_samples.constLast().msecs < 500)
        return;
    m_samples.append(Sample{now, bytes});
    while (m_samples.size() > 2 && now - m_samples.at(1).msecs >= kRateWindowMs)
        m_samples.removeFirst();
}

double UpdateController::windowRate() const
{
    if (m_samples.size() < 2)
        return 0;
    const Sample &first = m_samples.constFirst();
    const Sample &last = m_samples.constLast();
    const qint64 span = last.msecs - first.msecs;
    if (span < kRateMinSpanMs || last.bytes <= first.bytes)
        return 0;
    return double(last.bytes - first.bytes) * 1000.0 / double(span);
}

void UpdateController::updateCountdown()
{
    const bool show = page() == QLatin1String("priority");
    if (show && !m_countdownRunning && !m_restarting) {
        m_countdownRunning = true;
        m_countdown = m_config->ui.priorityCountdownSeconds;
        Q_EMIT countdownChanged();
        if (m_countdown == 0)
            restartNow();
        else
            m_tick.start();
    } else if (!show && m_countdownRunning) {
        m_countdownRunning = false;
        m_tick.stop();
    }
}

// --- what the screens show ------------------------------------------------------

bool UpdateController::isReady() const { return m_journal != nullptr; }

QString UpdateController::page() const
{
    if (!m_journal)
        return QStringLiteral("error");
    const QJsonObject outcome = m_status->outcome;
    if (!outcome.isEmpty() && !outcome.value(QStringLiteral("seen")).toBool(false))
        return QStringLiteral("outcome");
    const QString s = m_status->state;
    if (s == QLatin1String("rebootPending") && isPriority())
        return QStringLiteral("priority");
    if (m_job == Job::Download || s == QLatin1String("downloading") || s == QLatin1String("installing")
        || s == QLatin1String("rebootPending"))
        return QStringLiteral("progress");
    const QJsonObject e = effectiveError();
    // A failed install leaves lastError and the outcome with one time: the outcome screen
    // told it, the error screen must not tell it again.
    const bool toldByOutcome = !outcome.isEmpty() && !str(e, "time").isEmpty() && str(e, "time") == str(outcome, "time");
    if (!e.isEmpty() && !toldByOutcome && !m_dismissedError.contains(errorKey(e)))
        return QStringLiteral("error");
    const QString available = availableVersion();
    if (!available.isEmpty() && available != m_laterVersion && m_job == Job::None)
        return QStringLiteral("available");
    return QStringLiteral("status");
}

bool UpdateController::isUrgent() const
{
    const QString p = page();
    const QString s = state();
    return p == QLatin1String("priority") || p == QLatin1String("outcome") || m_restarting || m_job == Job::Install
        || s == QLatin1String("rebootPending") || s == QLatin1String("installing");
}

bool UpdateController::isPostponed() const
{
    return !m_laterVersion.isEmpty() && m_laterVersion == availableVersion();
}

QString UpdateController::state() const { return m_status->state.isEmpty() ? QStringLiteral("idle") : m_status->state; }

bool UpdateController::isBusy() const { return m_job != Job::None; }

QString UpdateController::stateText() const
{
    const QString s = state();
    if (s == QLatin1String("checking"))
        return tr("Checking for updates…");
    if (s == QLatin1String("downloading"))
        return tr("Downloading the update…");
    if (s == QLatin1String("ready"))
        return tr("Version %1 is ready to install.").arg(availableVersion());
    if (s == QLatin1String("rebootPending"))
        return tr("Restarting to install the update…");
    if (s == QLatin1String("installing"))
        return tr("Installing the update…");
    if (s == QLatin1String("trial"))
        return tr("Trying out the new version…");
    if (m_job == Job::Check)
        return tr("Checking for updates…");
    if (!availableVersion().isEmpty())
        return tr("Version %1 is available.").arg(availableVersion());
    return m_status->lastCheck.isEmpty() ? tr("Not checked for updates yet.") : tr("No update is waiting.");
}

QString UpdateController::stateHint() const
{
    const QString s = state();
    if (s == QLatin1String("rebootPending") || s == QLatin1String("installing"))
        return tr("The device restarts to install the update. Please do not switch it off.");
    if (s == QLatin1String("downloading") || m_job == Job::Download)
        return tr("You can go on using the device while the update downloads.");
    return {};
}

QString UpdateController::currentVersion() const { return m_status->currentVersion; }
QString UpdateController::lastCheck() const { return m_status->lastCheck; }

QString UpdateController::lastCheckText() const
{
    const QDateTime ok = QDateTime::fromString(m_status->lastCheck, Qt::ISODate);
    // lastCheck is written only when a check succeeds; a later failed one is lastError.
    const QJsonObject e = m_status->lastError;
    const QDateTime failed = QDateTime::fromString(str(e, "time"), Qt::ISODate);
    if (failed.isValid() && isCheckFailure(e) && (!ok.isValid() || failed > ok))
        return tr("%1: did not succeed").arg(formatTime(failed));
    if (!ok.isValid())
        return tr("Never");
    const QString found = availableVersion();
    return found.isEmpty() ? tr("%1: no newer version").arg(formatTime(ok))
                           : tr("%1: version %2 found").arg(formatTime(ok), found);
}

QString UpdateController::formatTime(const QDateTime &time)
{
    //: The date and time format of the whole UI (QLocale pattern); German: "d. MMM yyyy, HH:mm"
    return QLocale().toString(time.toLocalTime(), tr("d MMM yyyy, HH:mm"));
}

QJsonObject UpdateController::staged() const { return m_staged; }

QString UpdateController::availableVersion() const
{
    const QString stagedVersion = str(m_staged, "version");
    if (!stagedVersion.isEmpty())
        return stagedVersion;
    const QString found = str(m_found, "version");
    return found.isEmpty() ? m_status->available : found;
}

bool UpdateController::isDownloaded() const { return !str(m_staged, "version").isEmpty(); }

QString UpdateController::notes() const
{
    const QJsonObject all = (isDownloaded() ? m_staged : m_found).value(QStringLiteral("notes")).toObject();
    if (all.isEmpty())
        return {};
    const QLocale locale;
    for (const QString &key : {locale.name(), locale.name().section(QLatin1Char('_'), 0, 0), QStringLiteral("en")}) {
        if (all.contains(key))
            return all.value(key).toString();
    }
    return all.begin().value().toString();
}

QString UpdateController::notesText() const
{
    const QString n = notes();
    if (!n.isEmpty())
        return n;
    // Known from the journal only (another process checked, or this UI restarted): the
    // notes come with the next check or the download.
    if (!isDownloaded() && str(m_found, "version").isEmpty())
        return tr("What is new in this version is shown after the next check.");
    return tr("No release notes were published.");
}

qint64 UpdateController::size() const
{
    return qint64((isDownloaded() ? m_staged : m_found).value(QStringLiteral("size")).toDouble());
}

QString UpdateController::sizeText() const { return size() > 0 ? formatBytes(size()) : QString(); }

bool UpdateController::isPriority() const
{
    return (isDownloaded() ? m_staged : m_found).value(QStringLiteral("priority")).toBool(false);
}

qint64 UpdateController::bytes() const
{
    if (m_transfer.live)
        return m_transfer.bytes;
    return qint64(m_status->progress.value(QStringLiteral("bytes")).toDouble());
}

qint64 UpdateController::total() const
{
    if (m_transfer.live)
        return m_transfer.total;
    return qint64(m_status->progress.value(QStringLiteral("total")).toDouble());
}

double UpdateController::rate() const
{
    if (const double r = windowRate(); r > 0)
        return r;
    if (m_transfer.live)
        return m_transfer.bytesPerSecond;
    return m_status->progress.value(QStringLiteral("rate")).toDouble();
}

qint64 UpdateController::eta() const
{
    // From the rate of the last seconds only (see kRateWindowMs), never the engine's
    // estimate over the whole transfer.
    const double r = windowRate();
    const qint64 left = total() - bytes();
    if (r <= 0 || total() <= 0)
        return -1;
    return qint64(std::ceil(double(std::max<qint64>(left, 0)) / r));
}

double UpdateController::progress() const
{
    const qint64 t = total();
    return t > 0 ? std::clamp(double(bytes()) / double(t), 0.0, 1.0) : 0.0;
}

QString UpdateController::bytesText() const
{
    if (total() <= 0)
        return {};
    return tr("%1 of %2").arg(formatBytes(bytes()), formatBytes(total()));
}

QString UpdateController::rateText() const
{
    const double r = rate();
    return r > 0 ? tr("%1/s").arg(formatBytes(qint64(r))) : QString();
}

QString UpdateController::etaText() const
{
    if (total() <= 0)
        return {};
    const qint64 s = eta();
    return s < 0 ? tr("Estimating the time left…") : tr("About %1 left").arg(formatDuration(s));
}

QJsonObject UpdateController::effectiveError() const
{
    return m_localError.isEmpty() ? m_status->lastError : m_localError;
}

QVariantMap UpdateController::lastError() const
{
    const QJsonObject e = effectiveError();
    if (e.isEmpty())
        return {};
    return QVariantMap{{QStringLiteral("code"), e.value(QStringLiteral("code")).toInt()},
                       {QStringLiteral("message"), str(e, "message")},
                       {QStringLiteral("edge"), str(e, "edge")},
                       {QStringLiteral("detail"), str(e, "detail")}};
}

QString UpdateController::errorTitle() const
{
    const QJsonObject e = effectiveError();
    return e.isEmpty() ? QString() : titleForCode(e.value(QStringLiteral("code")).toInt());
}

QString UpdateController::errorAdvice() const
{
    const QJsonObject e = effectiveError();
    return e.isEmpty() ? QString() : adviceForCode(e.value(QStringLiteral("code")).toInt());
}

QString UpdateController::errorDetails() const
{
    const QJsonObject e = effectiveError();
    return e.isEmpty() ? QString() : technicalDetails(e);
}

QString UpdateController::technicalDetails(const QJsonObject &e)
{
    const int code = e.value(QStringLiteral("code")).toInt();
    QStringList lines;
    lines << tr("Error code: %1 (%2)").arg(code).arg(exitCodeName(ExitCode(code)));
    if (!str(e, "edge").isEmpty())
        lines << tr("Step: %1").arg(str(e, "edge"));
    const QDateTime time = QDateTime::fromString(str(e, "time"), Qt::ISODate);
    if (time.isValid())
        lines << tr("Time: %1").arg(formatTime(time));
    const QString message = str(e, "message");
    const QString detail = str(e, "detail");
    if (!message.isEmpty())
        lines << message;
    // The engine often carries the library's text in both (a TLS error): say it once.
    if (!detail.isEmpty() && !message.contains(detail))
        lines << detail;
    return lines.join(QLatin1Char('\n'));
}

bool UpdateController::consent() const { return m_status->consent; }

bool UpdateController::outcomeSuccess() const { return str(m_status->outcome, "result") == QLatin1String("updated"); }

QString UpdateController::outcomeMessage() const
{
    const QJsonObject o = m_status->outcome;
    if (o.isEmpty())
        return {};
    if (outcomeSuccess())
        return tr("Your device now runs version %1.").arg(str(o, "version"));
    const QString running = str(o, "previousVersion").isEmpty() ? currentVersion() : str(o, "previousVersion");
    return tr("Version %1 was not installed. Your device is running version %2 again and works as before.")
        .arg(str(o, "version"), running);
}

QString UpdateController::outcomeReason() const
{
    const QJsonObject o = m_status->outcome;
    if (o.isEmpty() || outcomeSuccess())
        return {};
    return reasonForFailure(o.value(QStringLiteral("code")).toInt(toInt(ExitCode::InstallFailed)), str(o, "edge"));
}

QString UpdateController::outcomeDetails() const
{
    const QJsonObject o = m_status->outcome;
    if (o.isEmpty() || outcomeSuccess())
        return {};
    return technicalDetails(o);
}

QString UpdateController::reasonForFailure(int code, const QString &edge)
{
    const int n = edgeNumber(edge);
    if (n == 61 || n == 62)
        return tr("The new version did not work properly when it started, so the device went back to the previous version.");
    if (n >= 54 && n <= 59)
        return tr("Your data could not be prepared for the new version.");
    if (n == 47 || (n >= 49 && n <= 51))
        return tr("The new version could not be written to the device's storage.");
    if (code == toInt(ExitCode::IntegrityMismatch) || (n >= 44 && n <= 48))
        return tr("The downloaded update did not pass its safety check, so it was not installed.");
    if (code == toInt(ExitCode::StorageError))
        return tr("There was not enough storage to install the update.");
    return tr("The update could not be installed.");
}

QString UpdateController::titleForCode(int code)
{
    switch (ExitCode(code)) {
    case ExitCode::ServerUnreachable: return tr("The update server cannot be reached");
    case ExitCode::TlsRejected: return tr("The update server could not be trusted");
    case ExitCode::AuthRejected: return tr("This device was not allowed to get updates");
    case ExitCode::MetadataRejected: return tr("The update information was not valid");
    case ExitCode::DownloadFailed: return tr("The update could not be downloaded completely");
    case ExitCode::IntegrityMismatch: return tr("The downloaded update was damaged");
    case ExitCode::StorageError: return tr("There is not enough storage for the update");
    case ExitCode::InstallFailed: return tr("The update could not be installed");
    case ExitCode::Usage: return tr("The updater cannot run right now");
    default: break; // Ok, and codes newer than this UI
    }
    if (code == 3) // Cancelled (CONTRACT: stopped by Cancel, nothing lost)
        return tr("The update was stopped");
    return tr("Something went wrong with the update");
}

QString UpdateController::adviceForCode(int code)
{
    switch (ExitCode(code)) {
    case ExitCode::ServerUnreachable:
        return tr("Check that the device is connected to the network, then try again. The device also tries again later on its own.");
    case ExitCode::TlsRejected:
        return tr("The connection was stopped for your safety. Check that the device's date and time are right. If this keeps happening, contact support.");
    case ExitCode::AuthRejected:
        return tr("The update server did not accept this device. Contact support.");
    case ExitCode::MetadataRejected:
        return tr("The update was refused for your safety and nothing was changed. Try again later; if this keeps happening, contact support.");
    case ExitCode::DownloadFailed:
        return tr("Check the network connection and try again. The download goes on where it stopped.");
    case ExitCode::IntegrityMismatch:
        return tr("The damaged data was thrown away and nothing was changed. Try again to download the update anew.");
    case ExitCode::StorageError:
        return tr("Nothing was changed. Free some storage on the device or contact support.");
    case ExitCode::InstallFailed:
        return tr("Your device still runs the previous version and works as before. Try again later or contact support.");
    case ExitCode::Usage:
        return tr("Another update may be running, or the update settings are wrong. Wait a moment and try again; if this keeps happening, contact support.");
    default: break;
    }
    if (code == 3)
        return tr("Nothing was lost. The update goes on where it stopped the next time it runs.");
    return tr("Try again later. If this keeps happening, contact support and show them the details.");
}

QString UpdateController::formatBytes(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

QString UpdateController::formatDuration(qint64 seconds)
{
    if (seconds < 60)
        return tr("%n second(s)", nullptr, int(std::max<qint64>(seconds, 1)));
    if (seconds < 3600)
        return tr("%n minute(s)", nullptr, int((seconds + 59) / 60));
    const int hours = int(seconds / 3600);
    const int minutes = int((seconds % 3600 + 59) / 60);
    if (minutes == 0 || minutes == 60)
        return tr("%n hour(s)", nullptr, minutes == 60 ? hours + 1 : hours);
    return QStringLiteral("%1 %2").arg(tr("%n hour(s)", nullptr, hours), tr("%n minute(s)", nullptr, minutes));
}

// --- what the user asks for -----------------------------------------------------

void UpdateController::setLocalError(int code, const QString &message, const QString &detail)
{
    m_localError = errorJson(Error{ExitCode(code), message, {}, detail});
}

bool UpdateController::startJob(Job job)
{
    if (!m_worker || m_job != Job::None)
        return false;
    auto lock = EngineLock::tryAcquire(m_config->device.stateDir);
    if (!lock) {
        setLocalError(toInt(ExitCode::Usage), tr("Another update program is working on this device right now."),
                      lock.error().message);
        refresh();
        return false;
    }
    m_lock = std::make_unique<EngineLock>(std::move(*lock));
    m_localError = {};
    m_job = job;
    m_lastJob = job;
    m_transfer = {};
    m_samples.clear();
    refresh();
    QMetaObject::invokeMethod(m_worker, job == Job::Check ? &EngineWorker::check : &EngineWorker::download);
    return true;
}

void UpdateController::onProgress(qint64 bytes, qint64 total, double bytesPerSecond, qint64 etaSeconds)
{
    if (m_job != Job::Check && m_job != Job::Download)
        return; // a late word from a job that is over
    m_transfer = Transfer{true, bytes, total, bytesPerSecond, etaSeconds};
    sample(bytes, total);
    Q_EMIT progressChanged();
}

void UpdateController::onJobFinished(const QJsonObject &error, const QJsonObject &found)
{
    if (m_job != Job::Check && m_job != Job::Download)
        return;
    const Job job = std::exchange(m_job, Job::None);
    m_transfer = {};
    m_lock.reset();
    if (error.isEmpty()) {
        m_found = found;
        if (job == Job::Check)
            m_laterVersion.clear();
    } else {
        // Errors before the flow starts (configuration, a pending reboot) never reach the journal.
        const QJsonObject logged = m_journal->value(QStringLiteral("lastError")).toObject();
        if (str(logged, "message") != str(error, "message"))
            m_localError = error;
    }
    const bool installNow = std::exchange(m_installAfterDownload, false) && error.isEmpty();
    refresh();
    if (installNow && isDownloaded() && state() == QLatin1String("ready"))
        install();
    QVariantMap errorMap;
    if (!error.isEmpty())
        errorMap = lastError();
    Q_EMIT jobFinished(errorMap);
}

void UpdateController::check()
{
    m_laterVersion.clear();
    startJob(Job::Check);
}

void UpdateController::retry()
{
    if (!m_journal) {
        open();
        return;
    }
    m_localError = {};
    if (m_lastJob == Job::Download)
        updateNow();
    else
        check();
}

void UpdateController::downloadNow() { startJob(Job::Download); }

void UpdateController::updateNow()
{
    if (!m_worker || m_job != Job::None)
        return;
    if (isDownloaded() && state() == QLatin1String("ready")) {
        install();
        return;
    }
    m_installAfterDownload = true;
    if (!startJob(Job::Download))
        m_installAfterDownload = false;
}

void UpdateController::install()
{
    auto lock = EngineLock::tryAcquire(m_config->device.stateDir);
    if (!lock) {
        setLocalError(toInt(ExitCode::Usage), tr("Another update program is working on this device right now."),
                      lock.error().message);
        refresh();
        return;
    }
    m_lock = std::make_unique<EngineLock>(std::move(*lock));
    m_job = Job::Install;
    Q_EMIT statusChanged();
    QMetaObject::invokeMethod(m_worker, &EngineWorker::install);
}

void UpdateController::onInstallFinished(const QJsonObject &error)
{
    if (m_job != Job::Install)
        return;
    m_job = Job::None;
    m_lock.reset();
    if (!error.isEmpty()) {
        m_localError = error;
        refresh();
        return;
    }
    refresh();
    restartNow(); // the user asked for it: no countdown
}

void UpdateController::later()
{
    m_laterVersion = availableVersion();
    m_laterCheck = m_status->lastCheck;
    Q_EMIT statusChanged();
}

void UpdateController::showUpdate()
{
    m_laterVersion.clear();
    Q_EMIT statusChanged();
}

void UpdateController::setConsent(bool on)
{
    if (!m_journal)
        return;
    // Revoking consent also deletes reports that were not sent yet.
    if (auto s = diagnostics::setConsent(*m_config, *m_journal, on); !s) {
        const Error e = toError(s.error());
        setLocalError(toInt(e.code), e.message, e.detail);
    }
    refresh();
}

void UpdateController::restartNow()
{
    if (!m_journal || m_restarting || !m_journal->value(QStringLiteral("rebootPending")).toBool(false))
        return;
    m_restarting = true;
    m_tick.stop();
    m_countdown = 0;
    Q_EMIT countdownChanged();
    const QString command = m_config->boot.rebootCommand;
    if (!command.isEmpty()) {
        // through the shell, as recovery and s16-update run it (core/boot/reboot.h); detached,
        // so that the GUI thread does not wait for it
        if (!QProcess::startDetached(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), command})) {
            m_restarting = false;
            setLocalError(toInt(ExitCode::InstallFailed), tr("The device could not be restarted."),
                          QStringLiteral("cannot run the reboot command: ") % command);
        }
    }
    if (m_restarting)
        Q_EMIT restartRequested();
    Q_EMIT statusChanged();
}

void UpdateController::dismissError()
{
    const QJsonObject e = effectiveError();
    if (!e.isEmpty())
        m_dismissedError.append(errorKey(e));
    m_localError = {};
    Q_EMIT statusChanged();
}

void UpdateController::dismissOutcome()
{
    if (!m_journal)
        return;
    QJsonObject outcome = m_journal->value(QStringLiteral("outcome")).toObject();
    if (outcome.isEmpty())
        return;
    outcome.insert(QStringLiteral("seen"), true);
    if (auto s = m_journal->set(QStringLiteral("outcome"), outcome); !s)
        setLocalError(toInt(s.error().code), s.error().message, s.error().detail);
    refresh();
}

QString UpdateController::diagnosticsPreview() const
{
    // Exactly what would be sent: the same builder as `s16-update diagnostics --preview`.
    if (!m_journal)
        return {};
    return QString::fromUtf8(diagnostics::previewReport(*m_config, *m_journal));
}

} // namespace s16
