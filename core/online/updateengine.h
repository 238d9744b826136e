#pragma once

#include "common/error.h"
#include "common/fileutil.h"
#include "config/config.h"
#include "flow/flowmachine.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QObject>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace s16 {

class HttpTransport;
class HttpExchange;
class DeltaTransfer;
struct NetResult;
struct LogEntry;
class Journal;
class DeviceState;
struct Manifest;
namespace crypto {
class Sha256;
class TrustedKeys;
} // namespace crypto
namespace zstd {
class Unpacker;
}

// What a completed check found.
struct CheckResult {
    bool available = false; // a strictly newer version than the running one
    QString version;        // the newest trusted version on the server
    bool priority = false;
    qint64 size = 0;
    QJsonObject notes;
};

// Progress of a running download, for the UI and `status --json`.
struct TransferProgress {
    qint64 bytes = 0;
    qint64 total = 0;
    double bytesPerSecond = 0;
    qint64 etaSeconds = -1;
    qint64 fetched = 0;  // received over the network by this download
    qint64 reused = 0;   // of bytes, what the device already had (a partial file resumed, the running slot)
    qint64 toFetch = -1; // what the whole download is to take from the network (an estimate for a
                         // delta, refined as chunks arrive); -1 until known
};

// Runs [boot] rebootCommand once the reboot into recovery is requested. When it fails, the
// request stands (the next boot installs) and the log says so (event rebootFailed, a warning).
// Returns the command's error, or nothing when it ran. The engine and the service both restart so.
[[nodiscard]] std::optional<QString> restartForInstall(const QString &command, Journal &journal);

// The normal system's half of the flowchart (E01-E43), run as a job: check() or
// download() returns at once, the work runs from the event loop and ends in
// finished(); error() then says how. Every step moves the FlowMachine along the
// edge the chart draws, persisted in the journal, so the order of steps is decided
// here and nowhere else. One engine per device at a time (the caller holds the
// EngineLock).
class UpdateEngine : public QObject
{
    Q_OBJECT
public:
    UpdateEngine(Config config, Journal *journal, QObject *parent = nullptr);
    ~UpdateEngine() override;

    // E01-E19/E21: connect, TLS, authenticate, fetch and verify metadata.
    void check();
    // check(), then E21-E43: download, verify, stage, notify, and for a priority
    // update request the reboot into recovery.
    void download();
    // E42: the user's "Update now". Synchronous: it only records and requests. It needs
    // a verified staged update (journal `staged` and its files), whatever the last cycle
    // did since; with the reboot already requested it does nothing more.
    [[nodiscard]] Status install();
    // Stops a running check or download where it stands: the transfer in flight is aborted,
    // a wait for the next try ends, and the job ends in finished() with error() Cancelled
    // (exit 3). Nothing is logged as a failure; a partial file stays, so the next download
    // continues it with Range. Without a running job it does nothing.
    void cancel();

    [[nodiscard]] bool isRunning() const { return m_running; }
    [[nodiscard]] const std::optional<Error> &error() const { return m_error; }
    [[nodiscard]] const CheckResult &checkResult() const { return m_check; }
    [[nodiscard]] const TransferProgress &progress() const { return m_progress; }
    [[nodiscard]] const FlowMachine &flow() const { return m_flow; }
    // The running system's version (device/versionFile).
    [[nodiscard]] QString runningVersion() const;

    // Hook for E09: called with the error after it was logged, only when the user
    // consented. Set by the diagnostics part.
    void setDiagnosticsHook(std::function<void(const Error &)> hook) { m_diagnosticsHook = std::move(hook); }

    // The wait before another try (E04-E06, E24-E27): calls then() after `wait`, unless
    // context is deleted first (cancel() deletes it). By default a timer; a test puts in its
    // own clock, which notes the wait and goes on at once, so a Retry-After of an hour is
    // checked without waiting for it.
    using Wait = std::function<void(std::chrono::seconds wait, QObject *context, std::function<void()> then)>;
    void setWait(Wait wait) { m_wait = std::move(wait); }

Q_SIGNALS:
    void edgeTaken(int edge);
    void progressChanged();
    void updateReady(const QString &version, bool priority);
    void rebootRequested();
    void finished();

private:
    enum class Mode { Check, Download };
    struct DownloadItem;

    void begin(Mode mode);
    void fetchMetadata();
    void onMetadataFetched(HttpExchange *manifestExchange);
    void onSignatureFetched(HttpExchange *sigExchange);
    [[nodiscard]] Status trustManifest(); // E16's checks; a refusal leaves by E18
    void retryConnect(const QString &why, int retryAfter);
    void decideNewImage();
    void startDownload();
    void downloadNext();
    void downloadDelta();
    void onItemFinished(const NetResult &result); // one attempt at the current item ended
    // How the attempt ended at CompleteFile: complete (E32), data that cannot match (E38),
    // interrupted with tries left (E33) or failed (E34).
    struct FileEnd {
        enum class How { Complete, Mismatch, Interrupted, Failed };
        How how;
        Error error; // why, unless Complete
    };
    [[nodiscard]] FileEnd fileEnd(const NetResult &result);
    void log(const LogEntry &entry);        // an event for the log; a failure to write it is logged
    [[nodiscard]] QString seedPath() const; // the running slot, empty when unknown
    void retryDownload(const Error &why, int retryAfter);
    // E04/E24: the configured interval, or the server's Retry-After where longer, at most an hour.
    [[nodiscard]] std::chrono::seconds retryWait(int retryAfter) const;
    void waitThen(std::chrono::seconds wait, std::function<void()> then);
    // E32 on: checks what arrived (or fails by E38 with a mismatch found while it arrived), stages it.
    void verifyAndStage(std::optional<Error> mismatch);
    [[nodiscard]] std::optional<Error> checkReceived();
    void notify();
    void awaitInstall(bool priority); // E41, or E43 and the reboot request

    [[nodiscard]] bool step(Edge edge); // take an edge; on failure end the job
    [[nodiscard]] bool steps(std::span<const Edge> edges);
    [[nodiscard]] bool steps(std::initializer_list<Edge> edges);
    [[nodiscard]] bool jump(Jump jump);           // a named jump (core/flow); on failure end the job
    [[nodiscard]] bool moved(const Status &move); // a step or jump made; else end the job with its error
    // A metadata request that did not succeed: takes the chart's way for it (metadataEnd) and
    // returns true; false, taking nothing, when it succeeded.
    [[nodiscard]] bool metadataFailed(const NetResult &result, const QString &file);
    void failAt(Edge toErrorLog, Error error); // take the edge into ErrorLog, then E08/E09
    void finish();
    [[nodiscard]] Status requestRebootIntoRecovery();
    // The request could not be made: logged, seen by the app, the update waits for the user.
    void rebootRequestFailed(const Error &error);
    [[nodiscard]] Status recordError(const Error &error); // the log entry and lastError (E08's record)
    [[nodiscard]] Status saveFlow(Node node, Edge via);   // journal `flow`: where the cycle stands
    [[nodiscard]] DeviceState state() const;              // the journal's keys, typed
    void recordProgress(bool force);
    [[nodiscard]] QString partialDir() const;
    [[nodiscard]] QString stagedDir() const;
    [[nodiscard]] Status roomFor(qint64 missing) const; // free space on the update partition for missing bytes plus the margin

    Config m_config;
    Journal *m_journal;
    FlowMachine m_flow;
    std::unique_ptr<HttpTransport> m_transport;
    // The context of the running job's timers (the next step, the wait before a retry):
    // cancel() deletes it, and with it every step that was still to come.
    std::unique_ptr<QObject> m_jobContext;
    std::unique_ptr<crypto::TrustedKeys> m_keys;
    std::unique_ptr<Manifest> m_manifest;
    QByteArray m_manifestBytes;
    QByteArray m_signature;
    Mode m_mode = Mode::Check;
    bool m_running = false;
    int m_tries = 0;
    std::optional<Error> m_error;
    CheckResult m_check;
    TransferProgress m_progress;
    std::function<void(const Error &)> m_diagnosticsHook;
    Wait m_wait;

    // download state
    QList<DownloadItem> m_items; // image first, then migrations
    qsizetype m_itemIndex = 0;
    std::unique_ptr<QFile> m_file;
    std::unique_ptr<crypto::Sha256> m_hasher;
    std::unique_ptr<DeltaTransfer> m_delta;     // the image as a delta, kept across the attempts
    std::unique_ptr<zstd::Unpacker> m_unpacker; // a compressed image, unpacked as it arrives
    fileutil::WriteBehind m_writeBehind;
    qint64 m_written = 0;
    std::optional<Error> m_attemptError; // why the current attempt stopped early (sink)
    bool m_tooManyBytes = false;
    QElapsedTimer m_rateClock;
    qint64 m_rateBytes = 0;
    QElapsedTimer m_progressClock;
};

} // namespace s16
