#pragma once

#include <QString>

#include <optional>
#include <span>

// The flowchart of docs/spec/image-update-model.md, as data: its nodes, named
// as in the chart, and its 65 edges, numbered as in docs/spec/edges.md. This table is the one
// place that says which step may follow which; FlowMachine refuses everything else.
namespace s16 {

// The chart's names, packed as a table.
// clang-format off
enum class Node : quint8 {
    NormalSystem, ConnectRepo, SuccessConnect, CheckSsl, WaitConnect, MaxTries, ErrorLog, Consent,
    SendDiagData, ValidSsl, Authenticate, AuthSuccess, UpdateImageRepo, SuccessImageRepo, NewImage,
    WaitForImage, ConnectUpdate, SuccessConnectUpdate, CheckSslUpdate, WaitForImageConnection,
    MaxTriesImage, ValidSslUpdate, ReceiveFile, CompleteFile, MakeChecksum, CheckChecksum,
    ChecksumEqual, MoveFile, Notify, PrioUpdate, WaitForUser, Reboot, MakeChecksumReboot,
    CheckChecksumReboot, ChecksumEqualReboot, UpdateImage, RebootOld, SuccessUpdate, NeedMigration,
    RevertUpdates, Backup, PUMigration, SuccessMigration, Reload, RevertMigration, SuccessReload,
    MigrationMade, EndSuccess,
};
// clang-format on
inline constexpr int kNodeCount = int(Node::EndSuccess) + 1;

// clang-format off
enum class Edge : quint8 {
    E01 = 1, E02, E03, E04, E05, E06, E07, E08, E09, E10, E11, E12, E13, E14, E15, E16, E17, E18, E19,
    E20, E21, E22, E23, E24, E25, E26, E27, E28, E29, E30, E31, E32, E33, E34, E35, E36, E37, E38, E39,
    E40, E41, E42, E43, E44, E45, E46, E47, E48, E49, E50, E51, E52, E53, E54, E55, E56, E57, E58, E59,
    E60, E61, E62, E63, E64, E65,
};
// clang-format on
inline constexpr int kEdgeCount = 65;

struct EdgeInfo {
    Edge id;
    Node from;
    Node to;
    const char *branch; // "yes", "no" or "" as the chart labels it
};

[[nodiscard]] std::span<const EdgeInfo> allEdges();
[[nodiscard]] const EdgeInfo &edgeInfo(Edge edge);
[[nodiscard]] QString edgeName(Edge edge);                // "E07"
[[nodiscard]] QString edgeName(std::optional<Edge> edge); // "E07", empty for none
[[nodiscard]] std::optional<Edge> edgeFromName(QStringView name);
[[nodiscard]] QString nodeName(Node node); // "ConnectRepo"
[[nodiscard]] std::optional<Node> nodeFromName(QStringView name);
// Nodes where a cycle rests between processes: a new check may begin there.
[[nodiscard]] bool isRestingNode(Node node);

} // namespace s16
