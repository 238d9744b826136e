#pragma once

#include "common/error.h"

#include <QObject>

#include <optional>

namespace s16 {

// One step of an engine's work (a metadata check, an image transfer, a slot write, ...), in the
// manner of KDE's KJob. start() returns at once; the work runs from the event loop of the thread
// the job lives in, and a step whose work blocks for long (writing a slot, hashing a file, a
// service's health check) runs that part on a worker thread of its own and reports back through
// the event loop, so an engine never waits on its thread and can always be told to stop. Short
// file work (a rename, the fsync of a small file) is done in place. A job ends exactly once, in finished(),
// never from inside start() or kill(). kill() stops it where it stands: what it started is
// stopped, finished() still comes, and error() is Cancelled (ExitCode::Cancelled). A subclass
// adds its typed result, valid once finished() came without an error.
class Job : public QObject
{
    Q_OBJECT
public:
    explicit Job(QObject *parent = nullptr);
    ~Job() override;

    void start(); // once; a second call does nothing
    void kill();  // a job that is not running ignores it

    [[nodiscard]] bool isRunning() const { return m_state == State::Running; }
    [[nodiscard]] bool isFinished() const { return m_state == State::Finished; }
    // Why the job failed; empty when it succeeded (or has not finished).
    [[nodiscard]] const std::optional<Error> &error() const { return m_error; }

Q_SIGNALS:
    void finished();

protected:
    virtual void doStart() = 0;
    // Stop the work at once (abort transfers, tell a worker thread to stop and wait for it).
    // The job then ends as Cancelled; the subclass must not call done() for it.
    virtual void doKill() = 0;
    // Ends the job with error (none: success). Only the first call counts; finished() is
    // emitted from the event loop, after the caller returned.
    void done(std::optional<Error> error = {});

private:
    enum class State { Idle, Running, Finished };
    State m_state = State::Idle;
    bool m_ending = false;
    std::optional<Error> m_error;
};

} // namespace s16
