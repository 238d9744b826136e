#include "updatecontroller.h"

#include "servicelink.h"
#include "uitext.h"

#include "common/error.h"
#include "common/logentry.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QMetaEnum>
#include <QStringBuilder>

#include <cmath>

namespace s16 {
namespace {

QString str(const QJsonObject &o, const char *key) { return o.value(QLatin1String(key)).toString(); }

// The key by which a dismissed error is remembered: a new error has a new time.
QString errorKey(const QJsonObject &e)
{
    return str(e, "time") % QLatin1Char('|') % QString::number(e.value(QStringLiteral("code")).toInt()) % QLatin1Char('|')
           % str(e, "message");
}

// Codes a check (connect, TLS, authenticate, metadata) ends with; the others end a
// download or an install.
bool isCheckFailure(const QJsonObject &e)
{
    const int code = e.value(QStringLiteral("code")).toInt();
    return code == toInt(ExitCode::ServerUnreachable) || code == toInt(ExitCode::TlsRejected) || code == toInt(ExitCode::AuthRejected)
           || code == toInt(ExitCode::MetadataRejected);
}

QJsonObject object(const QVariant &v) { return QJsonObject::fromVariantMap(v.toMap()); }

// The same file, however it was named.
bool sameFile(const QString &a, const QString &b)
{
    const QFileInfo fa(a), fb(b);
    const QString ca = fa.canonicalFilePath(), cb = fb.canonicalFilePath();
    return !ca.isEmpty() && !cb.isEmpty() ? ca == cb : fa.absoluteFilePath() == fb.absoluteFilePath();
}

// An enum value's key with a lower-case first letter: the name the service and `status
// --json` give a state ("rebootPending"), and the screenshots a page ("available").
template <typename E>
QString nameOf(E value)
{
    QString key = QString::fromLatin1(QMetaEnum::fromType<E>().valueToKey(int(value)));
    if (!key.isEmpty())
        key[0] = key[0].toLower();
    return key;
}

const QString kCheck = QStringLiteral("check");
const QString kDownload = QStringLiteral("download");
const QString kInstall = QStringLiteral("install");

// The rate is taken over the last seconds of the transfer only: a burst at the start
// (a resume, reused bytes, a server's fast first megabytes) must not promise an end
// that the link cannot keep.
constexpr qint64 kRateWindowMs = 10000;
constexpr qint64 kRateMinSpanMs = 2000;

} // namespace

UpdateController::UpdateController(QObject *parent)
    : QObject(parent)
{
    m_clock.start();
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &UpdateController::updateCountdown);
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
    m_tick.stop();
    m_seen = Seen{};
    m_serviceProblem.clear();
    m_consentAsked.reset();
    m_consentCalls = 0;
    m_job = Job::None;
    m_samples.clear();
    m_installAfterDownload = false;
    m_restarting = false;
    m_countdown = 0;
}

bool UpdateController::open()
{
    close();
    m_localError = {};
    if (!m_link) {
        m_link = new ServiceLink(this);
        connect(m_link, &ServiceLink::propertiesChanged, this, &UpdateController::onProperties);
        connect(m_link, &ServiceLink::availableChanged, this, &UpdateController::checkService);
        connect(m_link, &ServiceLink::completed, this, &UpdateController::onCompleted);
        connect(m_link, &ServiceLink::callFailed, this, &UpdateController::onCallFailed);
    } else {
        m_link->refresh();
    }
    onProperties(m_link->properties().keys());
    return isReady();
}

void UpdateController::refresh()
{
    if (m_link)
        m_link->refresh();
}

// Whether the service can be used for this device; says why not in m_serviceProblem.
void UpdateController::checkService()
{
    if (!m_link->isAvailable()) {
        m_serviceProblem = m_link->unavailableReason();
        m_job = Job::None; // a job of a service that left ends without its Completed
        m_installAfterDownload = false;
    } else if (const QString served = m_link->property("ConfigFile").toString();
               !m_configFile.isEmpty() && !sameFile(served, m_configFile)) {
        m_serviceProblem = QStringLiteral("the update service serves %1, not %2").arg(served, m_configFile);
    } else {
        m_serviceProblem.clear();
    }
    Q_EMIT statusChanged();
}

void UpdateController::onProperties(const QStringList &keys)
{
    if (keys.contains(QStringLiteral("ConfigFile")) || m_serviceProblem.isEmpty() != m_link->isAvailable())
        checkService();
    if (!isReady()) {
        // Nothing of a missing service or of another device's is shown.
        m_seen = Seen{};
        m_samples.clear();
        updateCountdown();
        Q_EMIT statusChanged();
        Q_EMIT progressChanged();
        return;
    }
    const QVariantMap &p = m_link->properties();
    const bool logMoved = p.value(QStringLiteral("LogId")).toLongLong() != m_seen.logId;
    m_seen.state = p.value(QStringLiteral("State")).toString();
    m_seen.currentVersion = p.value(QStringLiteral("CurrentVersion")).toString();
    m_seen.available = p.value(QStringLiteral("AvailableVersion")).toString();
    m_seen.lastCheck = p.value(QStringLiteral("LastCheck")).toString();
    m_seen.operation = p.value(QStringLiteral("Operation")).toString();
    m_seen.rebootTime = p.value(QStringLiteral("RebootTime")).toString();
    m_seen.rebootPending = p.value(QStringLiteral("RebootPending")).toBool();
    m_seen.consent = p.value(QStringLiteral("Consent")).toBool();
    m_seen.lastError = object(p.value(QStringLiteral("LastError")));
    m_seen.progress = object(p.value(QStringLiteral("Progress")));
    m_seen.outcome = object(p.value(QStringLiteral("Outcome")));
    m_seen.staged = object(p.value(QStringLiteral("Staged")));
    const QJsonObject result = object(p.value(QStringLiteral("CheckResult")));
    m_seen.found = result.value(QStringLiteral("available")).toBool(false) ? result : QJsonObject();
    m_seen.logId = p.value(QStringLiteral("LogId")).toLongLong();
    // The service's word replaces what was asked once nothing asked is still on its way (the
    // last SetConsent's Completed resets it too): an answer to an earlier toggle must not undo a
    // later one.
    if (keys.contains(QStringLiteral("Consent")) && m_consentCalls == 0)
        m_consentAsked.reset();
    if (!m_laterVersion.isEmpty() && m_seen.lastCheck != m_laterCheck)
        m_laterVersion.clear();
    sample(qint64(m_seen.progress.value(QStringLiteral("bytes")).toDouble()),
           qint64(m_seen.progress.value(QStringLiteral("total")).toDouble()));
    updateCountdown();
    if (logMoved)
        Q_EMIT historyChanged();
    Q_EMIT statusChanged();
    if (keys.contains(QStringLiteral("Progress")))
        Q_EMIT progressChanged();
}

QString UpdateController::operation() const { return m_seen.operation; }

QList<LogEntry> UpdateController::logEntries() const
{
    QList<LogEntry> entries;
    if (!isReady())
        return entries;
    const QJsonArray list = QJsonDocument::fromJson(m_link->callForString(QStringLiteral("Log"), {0u}).toUtf8()).array();
    entries.reserve(list.size());
    for (const QJsonValue &v : list) {
        if (auto e = logEntryFromJson(v.toObject()))
            entries.append(*e);
    }
    return entries;
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

// The priority countdown runs in the service (RebootTime): this only shows it.
void UpdateController::updateCountdown()
{
    const QDateTime at = QDateTime::fromString(m_seen.rebootTime, Qt::ISODate);
    const bool show = page() == Page::Priority && at.isValid() && !m_restarting;
    const int left = show ? int(std::max<qint64>(0, (QDateTime::currentDateTimeUtc().msecsTo(at) + 999) / 1000)) : 0;
    if (show && !m_tick.isActive())
        m_tick.start();
    else if (!show)
        m_tick.stop();
    if (left != m_countdown) {
        m_countdown = left;
        Q_EMIT countdownChanged();
    }
}

// --- what the screens show ------------------------------------------------------

bool UpdateController::isReady() const { return m_link && m_link->isAvailable() && m_serviceProblem.isEmpty(); }

UpdateController::Page UpdateController::page() const
{
    if (!isReady())
        return Page::Error;
    const QJsonObject outcome = m_seen.outcome;
    if (!outcome.isEmpty() && !outcome.value(QStringLiteral("seen")).toBool(false))
        return Page::Outcome;
    const State s = state();
    if (s == State::RebootPending && isPriority())
        return Page::Priority;
    if (m_job == Job::Download || m_job == Job::Install || operation() == kDownload || s == State::Downloading || s == State::Installing
        || s == State::RebootPending)
        return Page::Progress;
    const QJsonObject e = effectiveError();
    // A failed install leaves lastError and the outcome with one time: the outcome screen
    // told it, the error screen must not tell it again.
    const bool toldByOutcome = !outcome.isEmpty() && !str(e, "time").isEmpty() && str(e, "time") == str(outcome, "time");
    if (!e.isEmpty() && !toldByOutcome && !m_dismissedError.contains(errorKey(e)))
        return Page::Error;
    const QString available = availableVersion();
    if (!available.isEmpty() && available != m_laterVersion && m_job == Job::None && operation().isEmpty())
        return Page::Available;
    return Page::Status;
}

bool UpdateController::isUrgent() const
{
    const Page p = page();
    const State s = state();
    return p == Page::Priority || p == Page::Outcome || m_restarting || m_job == Job::Install || s == State::RebootPending
           || s == State::Installing;
}

bool UpdateController::isPostponed() const { return !m_laterVersion.isEmpty() && m_laterVersion == availableVersion(); }

UpdateController::State UpdateController::state() const
{
    const QMetaEnum states = QMetaEnum::fromType<State>();
    for (int i = 0; i < states.keyCount(); ++i) {
        if (m_seen.state == nameOf(State(states.value(i))))
            return State(states.value(i));
    }
    return State::Idle; // none yet, or one newer than this UI
}

QString UpdateController::stateName(State state) { return nameOf(state); }

QString UpdateController::pageName(Page page) { return nameOf(page); }

bool UpdateController::isBusy() const { return m_job != Job::None || !operation().isEmpty(); }

QString UpdateController::stateText() const
{
    const State s = state();
    if (s == State::Checking)
        return tr("Checking for updates…");
    if (s == State::Downloading) {
        // What crosses the link, where it is less than the update (compressed, a delta).
        const qint64 toFetch = qint64(m_seen.progress.value(QStringLiteral("toFetch")).toDouble(-1));
        if (toFetch >= 0 && total() > 0 && toFetch < total() * 9 / 10)
            //: %1: what is downloaded, %2: the size of the update it becomes ("Downloading 19 MB (update size 1.1 GB)")
            return tr("Downloading %1 (update size %2)").arg(formatBytes(toFetch), formatBytes(total()));
        return tr("Downloading the update…");
    }
    if (s == State::Ready)
        return tr("Version %1 is ready to install.").arg(availableVersion());
    if (s == State::RebootPending)
        return tr("Restarting to install the update…");
    if (s == State::Installing)
        return tr("Installing the update…");
    if (s == State::Trial)
        return tr("Trying out the new version…");
    if (m_job == Job::Check || operation() == kCheck)
        return tr("Checking for updates…");
    if (!availableVersion().isEmpty())
        return tr("Version %1 is available.").arg(availableVersion());
    return m_seen.lastCheck.isEmpty() ? tr("Not checked for updates yet.") : tr("No update is waiting.");
}

QString UpdateController::stateHint() const
{
    const State s = state();
    if (s == State::RebootPending || s == State::Installing)
        return tr("The device restarts to install the update. Please do not switch it off.");
    if (s == State::Downloading || m_job == Job::Download || operation() == kDownload)
        return tr("You can go on using the device while the update downloads.");
    return {};
}

QString UpdateController::currentVersion() const { return m_seen.currentVersion; }
QString UpdateController::lastCheck() const { return m_seen.lastCheck; }

QString UpdateController::lastCheckText() const
{
    const QDateTime ok = QDateTime::fromString(m_seen.lastCheck, Qt::ISODate);
    // lastCheck is written only when a check succeeds; a later failed one is lastError.
    const QJsonObject e = m_seen.lastError;
    const QDateTime failed = QDateTime::fromString(str(e, "time"), Qt::ISODate);
    if (failed.isValid() && isCheckFailure(e) && (!ok.isValid() || failed > ok))
        return tr("%1: did not succeed").arg(formatTime(failed));
    if (!ok.isValid())
        return tr("Never");
    const QString found = availableVersion();
    return found.isEmpty() ? tr("%1: no newer version").arg(formatTime(ok)) : tr("%1: version %2 found").arg(formatTime(ok), found);
}

QString UpdateController::formatTime(const QDateTime &time) { return uitext::formatTime(time); }

QString UpdateController::availableVersion() const
{
    const QString stagedVersion = str(m_seen.staged, "version");
    if (!stagedVersion.isEmpty())
        return stagedVersion;
    const QString found = str(m_seen.found, "version");
    return found.isEmpty() ? m_seen.available : found;
}

bool UpdateController::isDownloaded() const { return !str(m_seen.staged, "version").isEmpty(); }

QString UpdateController::notes() const
{
    const QJsonObject all = (isDownloaded() ? m_seen.staged : m_seen.found).value(QStringLiteral("notes")).toObject();
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
    if (!isDownloaded() && str(m_seen.found, "version").isEmpty())
        return tr("What is new in this version is shown after the next check.");
    return tr("No release notes were published.");
}

qint64 UpdateController::size() const
{
    return qint64((isDownloaded() ? m_seen.staged : m_seen.found).value(QStringLiteral("size")).toDouble());
}

QString UpdateController::sizeText() const { return size() > 0 ? formatBytes(size()) : QString(); }

bool UpdateController::isPriority() const
{
    return (isDownloaded() ? m_seen.staged : m_seen.found).value(QStringLiteral("priority")).toBool(false);
}

qint64 UpdateController::bytes() const { return qint64(m_seen.progress.value(QStringLiteral("bytes")).toDouble()); }

qint64 UpdateController::total() const { return qint64(m_seen.progress.value(QStringLiteral("total")).toDouble()); }

double UpdateController::rate() const
{
    if (const double r = windowRate(); r > 0)
        return r;
    return m_seen.progress.value(QStringLiteral("rate")).toDouble();
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
    if (!isReady()) {
        // Nothing else can be told without the service: it is the error.
        const bool missing = !m_link || !m_link->isAvailable();
        return QJsonObject{{QStringLiteral("code"), toInt(ExitCode::Usage)},
                           {QStringLiteral("message"),
                            missing ? tr("The update service is not running.") : tr("The update service looks after another device.")},
                           {QStringLiteral("detail"), m_serviceProblem}};
    }
    return m_localError.isEmpty() ? m_seen.lastError : m_localError;
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
    if (m_link && !m_link->isAvailable())
        return tr("The updater is not running");
    const QJsonObject e = effectiveError();
    return e.isEmpty() ? QString() : titleForCode(e.value(QStringLiteral("code")).toInt());
}

QString UpdateController::errorAdvice() const
{
    if (m_link && !m_link->isAvailable())
        return tr("The device starts it again on its own and this screen then shows the update state. If this message stays, restart the "
                  "device.");
    const QJsonObject e = effectiveError();
    return e.isEmpty() ? QString() : adviceForCode(e.value(QStringLiteral("code")).toInt());
}

QString UpdateController::errorDetails() const
{
    const QJsonObject e = effectiveError();
    return e.isEmpty() ? QString() : technicalDetails(e);
}

QString UpdateController::technicalDetails(const QJsonObject &error) { return uitext::technicalDetails(error); }

bool UpdateController::consent() const { return m_consentAsked.value_or(m_seen.consent); }

bool UpdateController::outcomeSuccess() const { return str(m_seen.outcome, "result") == QLatin1String("updated"); }

QString UpdateController::outcomeMessage() const
{
    const QJsonObject o = m_seen.outcome;
    if (o.isEmpty())
        return {};
    if (outcomeSuccess())
        return tr("Your device now runs version %1.").arg(str(o, "version"));
    const QString running = str(o, "previousVersion").isEmpty() ? currentVersion() : str(o, "previousVersion");
    return tr("Version %1 was not installed. Your device is running version %2 again and works as before.").arg(str(o, "version"), running);
}

QString UpdateController::outcomeReason() const
{
    const QJsonObject o = m_seen.outcome;
    if (o.isEmpty() || outcomeSuccess())
        return {};
    return reasonForFailure(o.value(QStringLiteral("code")).toInt(toInt(ExitCode::InstallFailed)), str(o, "edge"));
}

QString UpdateController::outcomeDetails() const
{
    const QJsonObject o = m_seen.outcome;
    if (o.isEmpty() || outcomeSuccess())
        return {};
    return technicalDetails(o);
}

QString UpdateController::reasonForFailure(int code, const QString &edge) { return uitext::reasonForFailure(code, edge); }

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
        return tr("The connection was stopped for your safety. Check that the device's date and time are right. If this keeps happening, "
                  "contact support.");
    case ExitCode::AuthRejected: return tr("The update server did not accept this device. Contact support.");
    case ExitCode::MetadataRejected:
        return tr(
            "The update was refused for your safety and nothing was changed. Try again later; if this keeps happening, contact support.");
    case ExitCode::DownloadFailed: return tr("Check the network connection and try again. The download goes on where it stopped.");
    case ExitCode::IntegrityMismatch:
        return tr("The damaged data was thrown away and nothing was changed. Try again to download the update anew.");
    case ExitCode::StorageError: return tr("Nothing was changed. Free some storage on the device or contact support.");
    case ExitCode::InstallFailed:
        return tr("Your device still runs the previous version and works as before. Try again later or contact support.");
    case ExitCode::Usage:
        return tr("Another update may be running, or the update settings are wrong. Wait a moment and try again; if this keeps happening, "
                  "contact support.");
    default: break;
    }
    if (code == 3)
        return tr("Nothing was lost. The update goes on where it stopped the next time it runs.");
    return tr("Try again later. If this keeps happening, contact support and show them the details.");
}

QString UpdateController::formatBytes(qint64 bytes) { return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat); }

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
    m_localError = QJsonObject{{QStringLiteral("code"), code},
                               {QStringLiteral("message"), message},
                               {QStringLiteral("detail"), detail},
                               {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}};
}

bool UpdateController::startJob(Job job)
{
    if (!isReady() || m_job != Job::None)
        return false;
    m_localError = {};
    m_job = job;
    m_lastJob = job;
    m_samples.clear();
    m_link->call(job == Job::Check ? QStringLiteral("Check") : QStringLiteral("Download"));
    Q_EMIT statusChanged();
    return true;
}

void UpdateController::onCompleted(const QString &op, int code, const QString &message)
{
    if (op == QLatin1String("reboot")) {
        if (code == 0) {
            m_restarting = true;
            m_tick.stop();
            m_countdown = 0;
            Q_EMIT countdownChanged();
            Q_EMIT restartRequested();
        } else if (code != toInt(ExitCode::Usage)) {
            setLocalError(code, tr("The device could not be restarted."), message);
        }
        Q_EMIT statusChanged();
        return;
    }
    if (op == QLatin1String("consent") || op == QLatin1String("acknowledge")) {
        if (op == QLatin1String("consent") && m_consentCalls > 0 && --m_consentCalls == 0)
            m_consentAsked.reset(); // the last one asked is done: the service's Consent holds
        if (code != 0) {
            m_consentAsked.reset();
            setLocalError(code, message);
        }
        Q_EMIT statusChanged();
        return;
    }
    const Job job = op == kCheck ? Job::Check : op == kDownload ? Job::Download : op == kInstall ? Job::Install : Job::None;
    if (job == Job::None || job != m_job)
        return; // another client's job: its effects arrive as properties
    m_job = Job::None;
    QVariantMap errorMap;
    if (code != 0) {
        // Errors before the flow starts (another updater holds the lock, a pending reboot)
        // never reach the log: the service's LastError does not tell them.
        if (str(m_seen.lastError, "message") != message)
            setLocalError(code, message);
        m_installAfterDownload = false;
        errorMap = lastError();
    } else if (job == Job::Check) {
        m_laterVersion.clear();
    }
    const bool installNow = std::exchange(m_installAfterDownload, false) && code == 0;
    Q_EMIT statusChanged();
    if (installNow && isDownloaded())
        install();
    Q_EMIT jobFinished(errorMap);
}

void UpdateController::onCallFailed(const QString &method, const QString &errorName, const QString &message)
{
    const bool denied = errorName == QLatin1String("org.freedesktop.DBus.Error.AccessDenied");
    setLocalError(toInt(ExitCode::Usage),
                  denied ? tr("This user account may not change the device's updates.") : tr("The updater did not take the request."),
                  method % QStringLiteral(": ") % errorName % QStringLiteral(": ") % message);
    const Job job = method == QLatin1String("Check")      ? Job::Check
                    : method == QLatin1String("Download") ? Job::Download
                    : method == QLatin1String("Install")  ? Job::Install
                                                          : Job::None;
    if (job != Job::None && job == m_job) {
        m_job = Job::None;
        m_installAfterDownload = false;
        Q_EMIT statusChanged();
        Q_EMIT jobFinished(lastError());
        return;
    }
    if (method == QLatin1String("SetConsent")) {
        m_consentCalls = std::max(0, m_consentCalls - 1);
        m_consentAsked.reset();
    }
    Q_EMIT statusChanged();
}

void UpdateController::check()
{
    m_laterVersion.clear();
    startJob(Job::Check);
}

void UpdateController::retry()
{
    if (!isReady()) {
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
    if (!isReady() || m_job != Job::None)
        return;
    if (isDownloaded() && state() == State::Ready) {
        install();
        return;
    }
    m_installAfterDownload = true;
    if (!startJob(Job::Download))
        m_installAfterDownload = false;
}

void UpdateController::install()
{
    // The service requests the reboot into recovery (E42) and restarts the device at once.
    m_localError = {};
    m_job = Job::Install;
    m_lastJob = Job::Install;
    m_link->call(QStringLiteral("Install"));
    Q_EMIT statusChanged();
}

void UpdateController::later()
{
    m_laterVersion = availableVersion();
    m_laterCheck = m_seen.lastCheck;
    Q_EMIT statusChanged();
}

void UpdateController::showUpdate()
{
    m_laterVersion.clear();
    Q_EMIT statusChanged();
}

void UpdateController::setConsent(bool on)
{
    if (!isReady())
        return;
    // Shown at once; the service's Consent confirms it (revoking also deletes the reports not sent yet).
    m_consentAsked = on;
    ++m_consentCalls;
    m_link->call(QStringLiteral("SetConsent"), {on});
    Q_EMIT statusChanged();
}

void UpdateController::restartNow()
{
    if (!isReady() || m_restarting || !m_seen.rebootPending)
        return;
    m_link->call(QStringLiteral("Reboot"));
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
    if (!isReady() || m_seen.outcome.isEmpty())
        return;
    // Shown at once; the service keeps it (Outcome's "seen") for every client and restart.
    m_seen.outcome.insert(QStringLiteral("seen"), true);
    m_link->call(QStringLiteral("AcknowledgeOutcome"));
    Q_EMIT statusChanged();
}

QString UpdateController::diagnosticsPreview() const
{
    // Exactly what would be sent: the service builds it as `s16-update diagnostics --preview` does.
    return isReady() ? m_link->callForString(QStringLiteral("PreviewDiagnostics")) : QString();
}

} // namespace s16
