#pragma once

#include <QJsonObject>
#include <QObject>

#include <memory>

namespace s16 {

struct Config;
struct Error;
class Journal;
class UpdateEngine;
class DiagnosticsReporter;

// An error as the controller keeps it (code, message, edge, detail, time of now).
[[nodiscard]] QJsonObject errorJson(const Error &e);

// The device UI's UpdateEngine on a thread of its own (STYLE rule 4). The controller
// moves a worker to its engine thread and talks to it only through queued calls
// (open, check, download, install, and deleting it there), and the worker answers only
// by signals, which arrive queued on the GUI thread. Re-hashing a partial file before a
// resume, the final fsync of a download and the renames into staged/ therefore never hold
// the screen. The worker has its own journal connection (a Qt SQL connection belongs to
// the thread that opened it) and its own diagnostics reporter; the controller keeps
// reading the journal through its own, as it reads what the daemon writes.
class EngineWorker : public QObject
{
    Q_OBJECT
public:
    // engineConfig: the device's configuration as the engine should use it (the
    // controller clears the reboot command: the UI restarts the device itself).
    explicit EngineWorker(const Config &engineConfig);
    ~EngineWorker() override;

    // All of these run on the worker's thread (the controller queues them there).
    void open();
    void check();
    void download();
    void install();

Q_SIGNALS:
    // open() failed: the error as errorJson.
    void openFailed(const QJsonObject &error);
    void edgeTaken();
    void progressChanged(qint64 bytes, qint64 total, double bytesPerSecond, qint64 etaSeconds);
    // A check or download ended. error: errorJson, empty when it went well; found: what the
    // check found newer (version, size, priority, notes), empty when nothing.
    void jobFinished(const QJsonObject &error, const QJsonObject &found);
    // install() ended; error as above.
    void installFinished(const QJsonObject &error);

private:
    void onEngineFinished();

    std::unique_ptr<Config> m_config;
    std::unique_ptr<Journal> m_journal;
    std::unique_ptr<UpdateEngine> m_engine;
    std::unique_ptr<DiagnosticsReporter> m_reporter; // E09: reports only with consent
};

} // namespace s16
