#pragma once

#include "common/error.h"
#include "flow/flowchart.h"

#include <QList>

#include <functional>
#include <optional>
#include <span>

namespace s16 {

// The moves the chart draws no arrow for and the product needs. Each is named, allowed only
// from the nodes jumpInfo() lists, and documented in docs/flowchart.md; FlowMachine::jump()
// is the only way to make one. A jump is not an edge: it enters neither path() nor the
// journal (the edge taken next, or the caller, records where the update stands).
enum class Jump : quint8 {
    // ConnectUpdate or MoveFile -> ErrorLog: the update partition has no room for the download,
    // or the verified files cannot be staged. The chart leads storage failures nowhere; as an
    // error of the cycle they are logged by E08 (docs/online.md).
    StorageFailed,
    // CompleteFile -> ConnectUpdate: the next file of the same update (a migration after the
    // image). The chart draws one file; each file connects and is checked as the first was.
    NextFile,
    // NewImage -> PrioUpdate: the update the server offers is staged already and verified. E40's
    // decision again, so a priority update whose reboot request a power cut lost reboots still.
    AlreadyStaged,
    // any node -> WaitForUser: "Update now" for a staged update, whatever the last cycle did
    // since (a check, a cancelled or failed cycle while offline). No job runs then.
    InstallStaged,
    // Reboot -> WaitForUser: the reboot into recovery could not be requested. Nothing changed
    // on the device; the update waits for the user, as after E41.
    RebootRequestFailed,
};

struct JumpInfo {
    Jump id;
    std::span<const Node> from; // empty: from any node
    Node to;
    const char *name; // "StorageFailed"
};

[[nodiscard]] std::span<const JumpInfo> allJumps();
[[nodiscard]] const JumpInfo &jumpInfo(Jump jump);

// Where the online part stands after a restart (a power cut, a reboot, a new process), from
// the node the journal recorded: a cycle that rested waiting for the next check goes on from
// WaitForImage (E20); everything else starts over at NormalSystem (E01), as every online step
// may be repeated. A requested reboot is the caller's to honour first.
[[nodiscard]] Node onlineResumeNode(std::optional<Node> recorded);

// The update's position in the flowchart. take() is the only way to move, and it
// moves only along an edge that leaves the current node: a step the chart has no
// arrow for is refused, so the code cannot drift from the chart. Every move is
// handed to the persist callback first (the journal), so after a power cut the
// next process knows where the update stood.
class FlowMachine
{
public:
    using Persist = std::function<Status(Node node, Edge via)>;
    using Observer = std::function<void(Edge via)>;

    explicit FlowMachine(Node start = Node::NormalSystem, Persist persist = {});

    [[nodiscard]] Node current() const { return m_current; }
    // Moves along edge. Fails (and stays) when edge does not leave the current node
    // or when persisting the move fails.
    [[nodiscard]] Status take(Edge edge);
    // Starts a new cycle at NormalSystem; only allowed from a resting node.
    [[nodiscard]] Status restart();
    // Places the machine at a node read back from the journal: only where a process resumes
    // after a restart (onlineResumeNode(), the install engine's resume table).
    void resumeAt(Node node) { m_current = node; }
    // Makes one of the named jumps; fails (and stays) when it does not leave the current node.
    [[nodiscard]] Status jump(Jump jump);
    // The edges taken by this machine, in order.
    [[nodiscard]] const QList<Edge> &path() const { return m_path; }
    void setObserver(Observer observer) { m_observer = std::move(observer); }

private:
    Node m_current;
    Persist m_persist;
    Observer m_observer;
    QList<Edge> m_path;
};

} // namespace s16
