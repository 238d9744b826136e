#include "onlinestep_p.h"

#include "common/fileutil.h"
#include "common/logging.h"
#include "manifest/manifest.h"
#include "online/transport.h"
#include "store/devicestate.h"
#include "store/journal.h"

#include <QStringBuilder>
#include <QTimer>

namespace s16 {
namespace {

constexpr int kMaxRetryAfterSeconds = 3600;

} // namespace

QJsonObject notesJson(const Manifest &m)
{
    QJsonObject notes;
    for (auto it = m.notes.cbegin(); it != m.notes.cend(); ++it)
        notes.insert(it.key(), it.value());
    return notes;
}

Error fromNet(ExitCode code, const NetResult &r, const QString &context)
{
    Error e{code, context % QStringLiteral(": ") % r.message, {}, r.detail};
    return e;
}

// A failure leaves litter that the next run removes again, or shows where the path is used
// next (a file that cannot be opened, a staging that fails), so it is logged here and not fatal.
void discard(const QString &path)
{
    if (!fileutil::removeTree(path))
        qCWarning(lcDownload).noquote() << "cannot remove" << path;
}

Status roomFor(const Config &config, qint64 missing)
{
    const qint64 needed = missing + config.device.freeSpaceMarginBytes;
    auto free = fileutil::freeBytes(config.device.updateDir);
    if (!free)
        return std::unexpected(free.error());
    if (*free < needed)
        return fail(ExitCode::StorageError, QStringLiteral("not enough space in %1 for the update: %2 bytes needed, %3 free")
                                                .arg(config.device.updateDir)
                                                .arg(needed)
                                                .arg(*free));
    return {};
}

OnlineStep::OnlineStep(const OnlineContext &context, QObject *parent)
    : Job(parent)
    , m_config(context.config)
    , m_journal(context.journal)
    , m_flow(context.flow)
    , m_transport(context.transport)
    , m_wait(context.wait)
    , m_jobContext(std::make_unique<QObject>())
{
}

OnlineStep::~OnlineStep() = default;

void OnlineStep::doKill()
{
    m_jobContext.reset();
    stop();
}

bool OnlineStep::step(Edge edge) { return moved(m_flow.take(edge)); }

bool OnlineStep::jump(Jump jump) { return moved(m_flow.jump(jump)); }

bool OnlineStep::moved(const Status &move)
{
    if (move)
        return true;
    qCCritical(lcFlow) << move.error().message;
    m_flowRefused = true;
    done(move.error());
    return false;
}

bool OnlineStep::steps(std::span<const Edge> edges)
{
    for (Edge e : edges) {
        if (!step(e))
            return false;
    }
    return true;
}

bool OnlineStep::steps(std::initializer_list<Edge> edges) { return steps(std::span<const Edge>(edges.begin(), edges.size())); }

void OnlineStep::failAt(Edge toErrorLog, Error error) { done(error.withEdge(toErrorLog)); }

void OnlineStep::log(const LogEntry &entry)
{
    if (auto logged = m_journal->append(entry); !logged)
        qCWarning(lcStore).noquote() << "cannot log" << entry.event << "to the journal:" << logged.error().message;
}

DeviceState OnlineStep::state() const { return DeviceState(*m_journal); }

std::chrono::seconds OnlineStep::retryWait(int retryAfter) const
{
    return std::chrono::seconds(std::min(std::max(m_config.server.retryIntervalSeconds, retryAfter), kMaxRetryAfterSeconds));
}

void OnlineStep::waitThen(std::chrono::seconds wait, std::function<void()> then)
{
    if (m_wait)
        m_wait(wait, m_jobContext.get(), std::move(then));
    else
        QTimer::singleShot(wait, m_jobContext.get(), std::move(then));
}

} // namespace s16
