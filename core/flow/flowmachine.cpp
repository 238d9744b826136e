#include "flowmachine.h"

#include "common/logging.h"

#include <algorithm>

namespace s16 {
namespace {

constexpr Node kStorageFailedFrom[] = {Node::ConnectUpdate, Node::MoveFile};
constexpr Node kNextFileFrom[] = {Node::CompleteFile};
constexpr Node kAlreadyStagedFrom[] = {Node::NewImage};
constexpr Node kRebootRequestFailedFrom[] = {Node::Reboot};

constexpr JumpInfo kJumps[] = {
    {Jump::StorageFailed, kStorageFailedFrom, Node::ErrorLog, "StorageFailed"},
    {Jump::NextFile, kNextFileFrom, Node::ConnectUpdate, "NextFile"},
    {Jump::AlreadyStaged, kAlreadyStagedFrom, Node::PrioUpdate, "AlreadyStaged"},
    {Jump::InstallStaged, {}, Node::WaitForUser, "InstallStaged"},
    {Jump::RebootRequestFailed, kRebootRequestFailedFrom, Node::WaitForUser, "RebootRequestFailed"},
};

} // namespace

std::span<const JumpInfo> allJumps() { return kJumps; }

const JumpInfo &jumpInfo(Jump jump) { return kJumps[size_t(jump)]; }

Node onlineResumeNode(std::optional<Node> recorded) { return recorded == Node::WaitForImage ? Node::WaitForImage : Node::NormalSystem; }

FlowMachine::FlowMachine(Node start, Persist persist)
    : m_current(start)
    , m_persist(std::move(persist))
{
}

Status FlowMachine::take(Edge edge)
{
    const EdgeInfo &info = edgeInfo(edge);
    if (info.from != m_current) {
        return fail(ExitCode::Usage, QStringLiteral("internal error: the flowchart has no edge %1 from %2 (it leaves %3)")
                                         .arg(edgeName(edge), nodeName(m_current), nodeName(info.from)));
    }
    if (m_persist) {
        if (auto saved = m_persist(info.to, edge); !saved)
            return std::unexpected(saved.error().withContext(QStringLiteral("cannot record step %1").arg(edgeName(edge))));
    }
    qCDebug(lcFlow) << edgeName(edge) << nodeName(info.from) << "->" << nodeName(info.to);
    m_current = info.to;
    m_path.append(edge);
    if (m_observer)
        m_observer(edge);
    return {};
}

Status FlowMachine::jump(Jump jump)
{
    const JumpInfo &info = jumpInfo(jump);
    if (!info.from.empty() && std::find(info.from.begin(), info.from.end(), m_current) == info.from.end()) {
        return fail(ExitCode::Usage,
                    QStringLiteral("internal error: the jump %1 does not leave %2").arg(QLatin1StringView(info.name), nodeName(m_current)));
    }
    qCDebug(lcFlow) << info.name << nodeName(m_current) << "->" << nodeName(info.to);
    m_current = info.to;
    return {};
}

Status FlowMachine::restart()
{
    if (!isRestingNode(m_current)) {
        return fail(ExitCode::Usage, QStringLiteral("internal error: cannot start a new cycle while at %1").arg(nodeName(m_current)));
    }
    m_current = Node::NormalSystem;
    if (m_persist) {
        // NormalSystem is entered by no edge; persist it as where E01 starts.
        if (auto saved = m_persist(Node::NormalSystem, Edge::E01); !saved)
            return saved;
    }
    return {};
}

} // namespace s16
