#pragma once

#include "common/error.h"
#include "config/config.h"
#include "flow/flowmachine.h"

#include <QDateTime>
#include <QJsonObject>
#include <QObject>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace s16 {

class Journal;

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

    [[nodiscard]] bool isRunning() const;
    [[nodiscard]] const std::optional<Error> &error() const;
    [[nodiscard]] const CheckResult &checkResult() const;
    [[nodiscard]] const TransferProgress &progress() const;
    [[nodiscard]] const FlowMachine &flow() const;
    // The running system's version (device/versionFile).
    [[nodiscard]] QString runningVersion() const;

    // Hook for E09: called with the error after it was logged, only when the user
    // consented. Set by the diagnostics part.
    void setDiagnosticsHook(std::function<void(const Error &)> hook);

    // The wait before another try (E04-E06, E24-E27): calls then() after `wait`, unless
    // context is deleted first (cancel() deletes it). By default a timer; a test puts in its
    // own clock, which notes the wait and goes on at once, so a Retry-After of an hour is
    // checked without waiting for it.
    using Wait = std::function<void(std::chrono::seconds wait, QObject *context, std::function<void()> then)>;
    void setWait(Wait wait);

Q_SIGNALS:
    void edgeTaken(int edge);
    void progressChanged();
    void updateReady(const QString &version, bool priority);
    void rebootRequested();
    void finished();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace s16
