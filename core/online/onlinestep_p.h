#pragma once

// Private to core/online (and its tests): the step jobs of UpdateEngine.

#include "common/job.h"
#include "compress/zstd.h"
#include "config/config.h"
#include "flow/flowmachine.h"
#include "online/updateengine.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <chrono>
#include <expected>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>

namespace s16 {

class HttpTransport;
class DeviceState;
struct LogEntry;
struct Manifest;
struct NetResult;

// One file of a download, as the manifest names it and as it arrived.
struct DownloadItem {
    QString repoPath;   // as in the manifest
    QString stagedName; // path inside staged/
    qint64 size = 0;
    QByteArray sha256;
    QString partialPath;
    QByteArray actualSha256; // set once received completely
    bool zstd = false;       // the image, zstd-compressed (image.zstd): what it unpacks to is checked too
    bool delta = false;      // the image, rebuilt from the running slot and fetched chunks (image.chunks)
    QString seed;            // delta: the running slot it is rebuilt from
    std::optional<std::expected<zstd::Content, QString>> unpacked; // zstd: what it unpacked to, once received
    QByteArray index; // the image's: the release's chunk index as fetched and checked, staged for E49
};

// What every step of the online flow shares: the engine's configuration, journal, flowchart
// and connection. The steps take the chart's edges themselves, through the one FlowMachine, so
// the order of edges is the one the chart draws whichever step takes them.
struct OnlineContext {
    const Config &config;
    Journal *journal;
    FlowMachine &flow;
    HttpTransport *transport;
    UpdateEngine::Wait wait; // empty: a timer
};

// A step of the online flow: a Job that moves the FlowMachine as it goes. It fails with an
// Error whose edge leads into the error log (E07, E12, E38, ...); the engine takes that edge,
// then E08/E09. When the flow refused an edge, the error has no way to the log: flowRefused().
class OnlineStep : public Job
{
    Q_OBJECT
public:
    explicit OnlineStep(const OnlineContext &context, QObject *parent = nullptr);
    ~OnlineStep() override;

    [[nodiscard]] bool flowRefused() const { return m_flowRefused; }

protected:
    void doKill() override;
    // Stops what the subclass started; the waits before another try are stopped already.
    virtual void stop() { }

    [[nodiscard]] bool step(Edge edge); // take an edge; on failure end the job
    [[nodiscard]] bool steps(std::span<const Edge> edges);
    [[nodiscard]] bool steps(std::initializer_list<Edge> edges);
    [[nodiscard]] bool jump(Jump jump);
    void failAt(Edge toErrorLog, Error error); // ends the job, its error leaving by toErrorLog
    void log(const LogEntry &entry);
    [[nodiscard]] DeviceState state() const;
    // E04/E24: the configured interval, or the server's Retry-After where longer, at most an hour.
    [[nodiscard]] std::chrono::seconds retryWait(int retryAfter) const;
    void waitThen(std::chrono::seconds wait, std::function<void()> then);

    const Config &m_config;
    Journal *m_journal;
    FlowMachine &m_flow;
    HttpTransport *m_transport;

private:
    [[nodiscard]] bool moved(const Status &move);

    UpdateEngine::Wait m_wait;
    // The context of the waits before another try: kill() deletes it, and the tries with it.
    std::unique_ptr<QObject> m_jobContext;
    bool m_flowRefused = false;
};

[[nodiscard]] QJsonObject notesJson(const Manifest &m);
[[nodiscard]] Error fromNet(ExitCode code, const NetResult &r, const QString &context);
// Removes what the engine no longer needs; a failure is logged, not fatal (see onlinestep.cpp).
void discard(const QString &path);
// Free space on the update partition for missing bytes plus the margin.
[[nodiscard]] Status roomFor(const Config &config, qint64 missing);

} // namespace s16
