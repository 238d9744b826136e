#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QElapsedTimer>
#include <QQmlParserStatus>
#include <QTimer>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <optional>

QT_FORWARD_DECLARE_CLASS(QThread)

namespace s16 {

struct Config;
struct DeviceStatus;
class Journal;
class EngineLock;
class EngineWorker;

// The device UI's one window onto the updater: it runs the same UpdateEngine as
// `s16-update` in this process, on a thread of its own (EngineWorker; the EngineLock
// held only while a job runs), and re-reads the journal every second, so what the screen shows and what
// `s16-update status` prints always agree, also while another process (the daemon)
// drives the update. Everything the screens show is a property here, already
// decided and translated: `page` names the screen that fits the device's state,
// errorTitle/errorAdvice turn an exit code into plain language, and the texts for
// sizes, rates and times are formatted for the user's locale. QML only shows these
// and forwards the user's intent to the invokables.
class UpdateController : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_ELEMENT

    // Empty: $S16_UPDATE_CONFIG, else /etc/s16-update/update.conf. Read when the
    // component is complete and whenever it changes after that (C++: at open()).
    Q_PROPERTY(QString configFile READ configFile WRITE setConfigFile NOTIFY configFileChanged FINAL)
    Q_PROPERTY(bool ready READ isReady NOTIFY statusChanged FINAL)

    // status, available, progress, priority, error, outcome: the screen for this state.
    Q_PROPERTY(QString page READ page NOTIFY statusChanged FINAL)
    // idle, checking, downloading, ready, rebootPending, installing, trial (as `status --json`).
    Q_PROPERTY(QString state READ state NOTIFY statusChanged FINAL)
    // A job of this process is running.
    Q_PROPERTY(bool busy READ isBusy NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString stateText READ stateText NOTIFY statusChanged FINAL)
    // What the user may or should do meanwhile ("Do not switch it off").
    Q_PROPERTY(QString stateHint READ stateHint NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString currentVersion READ currentVersion NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString lastCheck READ lastCheck NOTIFY statusChanged FINAL)
    // The last check, successful or not, and what it found, in words ("4 Dec 2026, 20:17: no newer version").
    Q_PROPERTY(QString lastCheckText READ lastCheckText NOTIFY statusChanged FINAL)
    // The screen must not be left (priority countdown, outcome, restarting or installing):
    // the tool bar offers no Settings or History then.
    Q_PROPERTY(bool urgent READ isUrgent NOTIFY statusChanged FINAL)

    // The newer version, downloaded (staged) or only found by the last check (by any
    // process: `status --json` `available`), also while put off with later().
    Q_PROPERTY(QString availableVersion READ availableVersion NOTIFY statusChanged FINAL)
    // The user put the available version off with later() (until the next check or showUpdate()).
    Q_PROPERTY(bool postponed READ isPostponed NOTIFY statusChanged FINAL)
    Q_PROPERTY(bool downloaded READ isDownloaded NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString notes READ notes NOTIFY statusChanged FINAL)
    // The notes, or why there are none, ready to show.
    Q_PROPERTY(QString notesText READ notesText NOTIFY statusChanged FINAL)
    Q_PROPERTY(double size READ size NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString sizeText READ sizeText NOTIFY statusChanged FINAL)
    Q_PROPERTY(bool priority READ isPriority NOTIFY statusChanged FINAL)

    Q_PROPERTY(double progress READ progress NOTIFY progressChanged FINAL)
    Q_PROPERTY(double bytes READ bytes NOTIFY progressChanged FINAL)
    Q_PROPERTY(double total READ total NOTIFY progressChanged FINAL)
    Q_PROPERTY(double rate READ rate NOTIFY progressChanged FINAL)
    Q_PROPERTY(double eta READ eta NOTIFY progressChanged FINAL)
    Q_PROPERTY(QString bytesText READ bytesText NOTIFY progressChanged FINAL)
    Q_PROPERTY(QString rateText READ rateText NOTIFY progressChanged FINAL)
    Q_PROPERTY(QString etaText READ etaText NOTIFY progressChanged FINAL)

    // code, message, edge, detail; empty when the last job ended well.
    Q_PROPERTY(QVariantMap lastError READ lastError NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString errorTitle READ errorTitle NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString errorAdvice READ errorAdvice NOTIFY statusChanged FINAL)
    // The technical text (code, step, time, the engine's message): only under "Technical details".
    Q_PROPERTY(QString errorDetails READ errorDetails NOTIFY statusChanged FINAL)

    Q_PROPERTY(bool consent READ consent NOTIFY statusChanged FINAL)
    // Seconds left before a priority update restarts the device.
    Q_PROPERTY(int countdown READ countdown NOTIFY countdownChanged FINAL)
    Q_PROPERTY(bool restarting READ isRestarting NOTIFY statusChanged FINAL)

    // After a reboot into a new version (journal key `outcome`), until dismissed.
    Q_PROPERTY(bool outcomeSuccess READ outcomeSuccess NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString outcomeMessage READ outcomeMessage NOTIFY statusChanged FINAL)
    // Why it failed, in plain words from the exit code and the step (never the engine's text).
    Q_PROPERTY(QString outcomeReason READ outcomeReason NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString outcomeDetails READ outcomeDetails NOTIFY statusChanged FINAL)

public:
    explicit UpdateController(QObject *parent = nullptr);
    ~UpdateController() override;

    [[nodiscard]] QString configFile() const { return m_configFile; }
    void setConfigFile(const QString &path);

    [[nodiscard]] bool isReady() const;
    [[nodiscard]] QString page() const;
    [[nodiscard]] QString state() const;
    [[nodiscard]] bool isBusy() const;
    [[nodiscard]] QString stateText() const;
    [[nodiscard]] QString stateHint() const;
    [[nodiscard]] QString currentVersion() const;
    [[nodiscard]] QString lastCheck() const;
    [[nodiscard]] QString lastCheckText() const;
    [[nodiscard]] bool isUrgent() const;
    [[nodiscard]] bool isPostponed() const;
    [[nodiscard]] QString notesText() const;
    [[nodiscard]] QString availableVersion() const;
    [[nodiscard]] bool isDownloaded() const;
    [[nodiscard]] QString notes() const;
    [[nodiscard]] qint64 size() const;
    [[nodiscard]] QString sizeText() const;
    [[nodiscard]] bool isPriority() const;
    [[nodiscard]] double progress() const;
    [[nodiscard]] qint64 bytes() const;
    [[nodiscard]] qint64 total() const;
    [[nodiscard]] double rate() const;
    [[nodiscard]] qint64 eta() const;
    [[nodiscard]] QString bytesText() const;
    [[nodiscard]] QString rateText() const;
    [[nodiscard]] QString etaText() const;
    [[nodiscard]] QVariantMap lastError() const;
    [[nodiscard]] QString errorTitle() const;
    [[nodiscard]] QString errorAdvice() const;
    [[nodiscard]] QString errorDetails() const;
    [[nodiscard]] bool consent() const;
    [[nodiscard]] int countdown() const { return m_countdown; }
    [[nodiscard]] bool isRestarting() const { return m_restarting; }
    [[nodiscard]] bool outcomeSuccess() const;
    [[nodiscard]] QString outcomeMessage() const;
    [[nodiscard]] QString outcomeReason() const;
    [[nodiscard]] QString outcomeDetails() const;

    // Plain language for an exit code of CONTRACT §2, translated.
    [[nodiscard]] static QString titleForCode(int code);
    [[nodiscard]] static QString adviceForCode(int code);
    [[nodiscard]] static QString formatBytes(qint64 bytes);
    [[nodiscard]] static QString formatDuration(qint64 seconds);
    // One date format for every time the user reads, in the user's language and local time.
    [[nodiscard]] static QString formatTime(const QDateTime &time);
    // Why an install failed, in plain words, from its exit code and the edge it left by.
    [[nodiscard]] static QString reasonForFailure(int code, const QString &edge);
    // The technical text of an error (code, step, time, message, detail), each once.
    [[nodiscard]] static QString technicalDetails(const QJsonObject &error);

    // Opens the configuration and journal (again). False, with lastError set to a
    // configuration error, when the device cannot be opened.
    Q_INVOKABLE bool open();
    // Re-reads the journal now instead of at the next poll.
    Q_INVOKABLE void refresh();

    Q_INVOKABLE void check();
    // "Try again" on the error screen: reopens the device when it could not be
    // opened, repeats an interrupted download, else checks again.
    Q_INVOKABLE void retry();
    Q_INVOKABLE void downloadNow();
    // Installs the downloaded update (downloading it first when needed), then restarts.
    Q_INVOKABLE void updateNow();
    // Hides the offered update until the next check.
    Q_INVOKABLE void later();
    // Offers the update put off with later() again.
    Q_INVOKABLE void showUpdate();
    Q_INVOKABLE void setConsent(bool on);
    // Restarts the device now (the end of a priority countdown, or at once).
    Q_INVOKABLE void restartNow();
    // The JSON of what a diagnostic report would hold.
    Q_INVOKABLE QString diagnosticsPreview() const;
    // Back from the error screen to the status screen (until the next error).
    Q_INVOKABLE void dismissError();
    // The user has seen the outcome of the last install (persisted).
    Q_INVOKABLE void dismissOutcome();

    // For HistoryModel and tests: the journal this controller reads, or null.
    [[nodiscard]] const Journal *journal() const { return m_journal.get(); }

    void classBegin() override {}
    void componentComplete() override;

Q_SIGNALS:
    void configFileChanged();
    void statusChanged();
    void progressChanged();
    void countdownChanged();
    // The event log gained entries.
    void historyChanged();
    // A job started by this controller ended; error is empty when it went well.
    void jobFinished(const QVariantMap &error);
    // The device is about to restart (rebootCommand was started, or is empty and
    // only recorded: a simulated device restarts at its next `s16-devsim boot`).
    void restartRequested();

private:
    enum class Job { None, Check, Download, Install };
    void close();
    bool startJob(Job job);
    void onJobFinished(const QJsonObject &error, const QJsonObject &found);
    void onInstallFinished(const QJsonObject &error);
    void onProgress(qint64 bytes, qint64 total, double bytesPerSecond, qint64 etaSeconds);
    void install();
    void updateCountdown();
    void setLocalError(int code, const QString &message, const QString &detail = {});
    [[nodiscard]] QJsonObject effectiveError() const;
    [[nodiscard]] QJsonObject staged() const;

    QString m_configFile;
    std::unique_ptr<Config> m_config;
    std::unique_ptr<Journal> m_journal;
    std::unique_ptr<QThread> m_engineThread;
    EngineWorker *m_worker = nullptr; // lives in m_engineThread, deleted there
    std::unique_ptr<EngineLock> m_lock;
    std::unique_ptr<DeviceStatus> m_status;
    QJsonObject m_staged;
    QJsonObject m_localError;     // an error that never reached the journal (config, lock, install)
    QStringList m_dismissedError; // the errors the user closed (errorKey)
    Job m_job = Job::None;
    Job m_lastJob = Job::None;
    bool m_installAfterDownload = false;
    QJsonObject m_found;          // what this process's last check found: version, size, priority, notes
    struct Transfer {             // the running download's progress, as the worker last said
        bool live = false;
        qint64 bytes = 0;
        qint64 total = 0;
        double bytesPerSecond = 0;
        qint64 etaSeconds = -1;
    } m_transfer;
    QString m_laterVersion;       // hidden by later() until the next check
    QString m_laterCheck;         // lastCheck when later() was pressed
    struct Sample {               // transfer progress seen at a time, for a rate of the last seconds
        qint64 msecs = 0;
        qint64 bytes = 0;
    };
    QList<Sample> m_samples;
    QElapsedTimer m_clock;
    void sample(qint64 bytes, qint64 total);
    [[nodiscard]] double windowRate() const;
    qint64 m_lastLogId = -1;
    int m_countdown = 0;
    bool m_countdownRunning = false;
    bool m_restarting = false;
    bool m_completed = false;     // as a QML component: open() on every change of configFile
    QTimer m_poll;
    QTimer m_tick;
};

} // namespace s16
