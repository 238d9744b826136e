#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QElapsedTimer>
#include <QQmlParserStatus>
#include <QTimer>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace s16 {

struct LogEntry;
class ServiceLink;

// The device UI's one window onto the updater: a client of the update service
// (org.s16.Updater1 on the D-Bus system bus, `s16-update daemon`), which alone runs the
// engine. It shows the service's properties as they change (no polling) and forwards the
// user's intent as method calls; it opens no journal, takes no lock and writes nothing,
// so the UI runs as an unprivileged user (in the group s16-update, which the service's
// policy lets call methods). What the screen shows and what `s16-update status` prints
// therefore always agree. Everything the screens show is a property here, already
// decided and translated: `page` names the screen that fits the device's state,
// errorTitle/errorAdvice turn an exit code into plain language, and the texts for
// sizes, rates and times are formatted for the user's locale. QML only shows these
// and forwards the user's intent to the invokables.
class UpdateController
    : public QObject
    , public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_ELEMENT

    // The configuration of the device this UI belongs to. When set, the service must serve
    // it (its ConfigFile property), else the UI refuses to show another device's state.
    // Empty: whatever the service serves. Checked at open(), when the component is complete
    // and whenever it changes after that.
    Q_PROPERTY(QString configFile READ configFile WRITE setConfigFile NOTIFY configFileChanged FINAL)
    // The service is on the bus and serves this device.
    Q_PROPERTY(bool ready READ isReady NOTIFY statusChanged FINAL)

    // The screen for this state (UpdateController.Status, .Available, ...).
    Q_PROPERTY(Page page READ page NOTIFY statusChanged FINAL)
    // The service's state (UpdateController.Idle, .Checking, ...; stateName() gives the name
    // `status --json` prints).
    Q_PROPERTY(State state READ state NOTIFY statusChanged FINAL)
    // A job runs in the service (started here or by anyone else).
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

    // After a reboot into a new version (the service's Outcome), until dismissed.
    Q_PROPERTY(bool outcomeSuccess READ outcomeSuccess NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString outcomeMessage READ outcomeMessage NOTIFY statusChanged FINAL)
    // Why it failed, in plain words from the exit code and the step (never the engine's text).
    Q_PROPERTY(QString outcomeReason READ outcomeReason NOTIFY statusChanged FINAL)
    Q_PROPERTY(QString outcomeDetails READ outcomeDetails NOTIFY statusChanged FINAL)

public:
    // The screens, in the order Main.qml stacks them.
    enum class Page { Status, Available, Progress, Priority, Error, Outcome };
    Q_ENUM(Page)
    // The device's state as the service reports it (CONTRACT: `status --json` "state").
    enum class State { Idle, Checking, Downloading, Ready, RebootPending, Installing, Trial };
    Q_ENUM(State)

    explicit UpdateController(QObject *parent = nullptr);
    ~UpdateController() override;

    [[nodiscard]] QString configFile() const { return m_configFile; }
    void setConfigFile(const QString &path);

    [[nodiscard]] bool isReady() const;
    [[nodiscard]] Page page() const;
    [[nodiscard]] State state() const;
    // "idle", "rebootPending", ...: the state's name in `status --json` and on the bus.
    [[nodiscard]] static QString stateName(State state);
    // "status", "available", ...: the page's name in screenshots and log lines.
    [[nodiscard]] static QString pageName(Page page);
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

    // Connects to the service (again) and reads its state. False, with lastError set, when
    // the service is not on the bus or serves another configuration; the controller then
    // follows the bus and comes back by itself when the service appears.
    Q_INVOKABLE bool open();
    // Reads all of the service's properties anew (they also arrive by themselves).
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
    // Asks the service to restart the device now (instead of at the end of the countdown).
    Q_INVOKABLE void restartNow();
    // The JSON of what a diagnostic report would hold.
    Q_INVOKABLE QString diagnosticsPreview() const;
    // Back from the error screen to the status screen (until the next error).
    Q_INVOKABLE void dismissError();
    // The user has seen the outcome of the last install (persisted by the service).
    Q_INVOKABLE void dismissOutcome();

    // The service's persistent log, oldest first (HistoryModel); empty without the service.
    [[nodiscard]] QList<LogEntry> logEntries() const;

    void classBegin() override { }
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
    // The service restarts the device now (its rebootCommand ran, or is empty and the
    // restart is only recorded: a simulated device restarts at its next `s16-devsim boot`).
    void restartRequested();

private:
    enum class Job { None, Check, Download, Install };
    void close();
    bool startJob(Job job);
    void onProperties(const QStringList &keys);
    void onCompleted(const QString &operation, int code, const QString &message);
    void onCallFailed(const QString &method, const QString &errorName, const QString &message);
    void checkService();
    void install();
    void updateCountdown();
    void setLocalError(int code, const QString &message, const QString &detail = {});
    [[nodiscard]] QJsonObject effectiveError() const;
    [[nodiscard]] QString operation() const;

    QString m_configFile;
    ServiceLink *m_link = nullptr; // made at the first open(), when the bus is first needed
    // The service's state as last sent (the keys of `status --json`).
    struct Seen {
        QString state, currentVersion, available, lastCheck, operation, rebootTime;
        bool rebootPending = false;
        bool consent = false;
        QJsonObject lastError, progress, outcome, staged, found;
        qint64 logId = -1;
    } m_seen;
    QString m_serviceProblem;           // why the service cannot be used; empty when it can
    std::optional<bool> m_consentAsked; // SetConsent sent, its answer not yet seen
    int m_consentCalls = 0;             // SetConsent calls the service has not completed yet
    QJsonObject m_localError;           // an error that never reached the service's log (a refused call)
    QStringList m_dismissedError;       // the errors the user closed (errorKey)
    Job m_job = Job::None;
    Job m_lastJob = Job::None;
    bool m_installAfterDownload = false;
    QString m_laterVersion; // hidden by later() until the next check
    QString m_laterCheck;   // lastCheck when later() was pressed
    struct Sample {         // transfer progress seen at a time, for a rate of the last seconds
        qint64 msecs = 0;
        qint64 bytes = 0;
    };
    QList<Sample> m_samples;
    QElapsedTimer m_clock;
    void sample(qint64 bytes, qint64 total);
    [[nodiscard]] double windowRate() const;
    int m_countdown = 0;
    bool m_restarting = false;
    bool m_completed = false; // as a QML component: open() on every change of configFile
    QTimer m_tick;
};

} // namespace s16
