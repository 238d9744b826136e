#pragma once

#include "common/error.h"
#include "flow/flowchart.h"

#include <QList>

#include <functional>

namespace s16 {

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
    // Places the machine at a node read back from the journal (resume after a reboot).
    void resumeAt(Node node) { m_current = node; }
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
