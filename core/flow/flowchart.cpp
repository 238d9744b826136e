#include "flowchart.h"

#include <array>

namespace s16 {
namespace {

using N = Node;
using E = Edge;

// Transcribed from docs/spec/edges.md, in its order; tst_flowchart checks it against that file.
constexpr std::array<EdgeInfo, kEdgeCount> kEdges{{
    {E::E01, N::NormalSystem, N::ConnectRepo, ""},
    {E::E02, N::ConnectRepo, N::SuccessConnect, ""},
    {E::E03, N::SuccessConnect, N::CheckSsl, "yes"},
    {E::E04, N::SuccessConnect, N::WaitConnect, "no"},
    {E::E05, N::WaitConnect, N::MaxTries, ""},
    {E::E06, N::MaxTries, N::ConnectRepo, "no"},
    {E::E07, N::MaxTries, N::ErrorLog, "yes"},
    {E::E08, N::ErrorLog, N::Consent, ""},
    {E::E09, N::Consent, N::SendDiagData, "yes"},
    {E::E10, N::CheckSsl, N::ValidSsl, ""},
    {E::E11, N::ValidSsl, N::Authenticate, "yes"},
    {E::E12, N::ValidSsl, N::ErrorLog, "no"},
    {E::E13, N::Authenticate, N::AuthSuccess, ""},
    {E::E14, N::AuthSuccess, N::UpdateImageRepo, "yes"},
    {E::E15, N::AuthSuccess, N::ErrorLog, "no"},
    {E::E16, N::UpdateImageRepo, N::SuccessImageRepo, ""},
    {E::E17, N::SuccessImageRepo, N::NewImage, "yes"},
    {E::E18, N::SuccessImageRepo, N::ErrorLog, "no"},
    {E::E19, N::NewImage, N::WaitForImage, "no"},
    {E::E20, N::WaitForImage, N::ConnectRepo, ""},
    {E::E21, N::NewImage, N::ConnectUpdate, "yes"},
    {E::E22, N::ConnectUpdate, N::SuccessConnectUpdate, ""},
    {E::E23, N::SuccessConnectUpdate, N::CheckSslUpdate, "yes"},
    {E::E24, N::SuccessConnectUpdate, N::WaitForImageConnection, "no"},
    {E::E25, N::WaitForImageConnection, N::MaxTriesImage, ""},
    {E::E26, N::MaxTriesImage, N::ErrorLog, "yes"},
    {E::E27, N::MaxTriesImage, N::ConnectUpdate, "no"},
    {E::E28, N::CheckSslUpdate, N::ValidSslUpdate, ""},
    {E::E29, N::ValidSslUpdate, N::ReceiveFile, "yes"},
    {E::E30, N::ValidSslUpdate, N::ErrorLog, "no"},
    {E::E31, N::ReceiveFile, N::CompleteFile, ""},
    {E::E32, N::CompleteFile, N::MakeChecksum, "yes"},
    {E::E33, N::CompleteFile, N::WaitForImageConnection, "no"},
    {E::E34, N::CompleteFile, N::ErrorLog, "no"},
    {E::E35, N::MakeChecksum, N::CheckChecksum, ""},
    {E::E36, N::CheckChecksum, N::ChecksumEqual, ""},
    {E::E37, N::ChecksumEqual, N::MoveFile, "yes"},
    {E::E38, N::ChecksumEqual, N::ErrorLog, "no"},
    {E::E39, N::MoveFile, N::Notify, ""},
    {E::E40, N::Notify, N::PrioUpdate, ""},
    {E::E41, N::PrioUpdate, N::WaitForUser, "no"},
    {E::E42, N::WaitForUser, N::Reboot, ""},
    {E::E43, N::PrioUpdate, N::Reboot, "yes"},
    {E::E44, N::Reboot, N::MakeChecksumReboot, ""},
    {E::E45, N::MakeChecksumReboot, N::CheckChecksumReboot, ""},
    {E::E46, N::CheckChecksumReboot, N::ChecksumEqualReboot, ""},
    {E::E47, N::ChecksumEqualReboot, N::UpdateImage, "yes"},
    {E::E48, N::ChecksumEqualReboot, N::RebootOld, "no"},
    {E::E49, N::UpdateImage, N::SuccessUpdate, ""},
    {E::E50, N::SuccessUpdate, N::NeedMigration, "yes"},
    {E::E51, N::SuccessUpdate, N::RevertUpdates, "no"},
    {E::E52, N::RevertUpdates, N::RebootOld, ""},
    {E::E53, N::RebootOld, N::ErrorLog, ""},
    {E::E54, N::NeedMigration, N::Backup, "yes"},
    {E::E55, N::NeedMigration, N::Reload, "no"},
    {E::E56, N::Backup, N::PUMigration, ""},
    {E::E57, N::PUMigration, N::SuccessMigration, ""},
    {E::E58, N::SuccessMigration, N::Reload, "yes"},
    {E::E59, N::SuccessMigration, N::RevertMigration, "no"},
    {E::E60, N::RevertMigration, N::RevertUpdates, ""},
    {E::E61, N::Reload, N::SuccessReload, ""},
    {E::E62, N::SuccessReload, N::MigrationMade, "no"},
    {E::E63, N::MigrationMade, N::RevertMigration, "yes"},
    {E::E64, N::MigrationMade, N::RevertUpdates, "no"},
    {E::E65, N::SuccessReload, N::EndSuccess, "yes"},
}};

constexpr bool tableIsInOrder()
{
    for (int i = 0; i < kEdgeCount; ++i) {
        if (int(kEdges[size_t(i)].id) != i + 1)
            return false;
    }
    return true;
}
static_assert(tableIsInOrder(), "kEdges must list E01..E65 in order");

// clang-format off
constexpr std::array<const char *, kNodeCount> kNodeNames{
    "NormalSystem", "ConnectRepo", "SuccessConnect", "CheckSsl", "WaitConnect", "MaxTries", "ErrorLog",
    "Consent", "SendDiagData", "ValidSsl", "Authenticate", "AuthSuccess", "UpdateImageRepo",
    "SuccessImageRepo", "NewImage", "WaitForImage", "ConnectUpdate", "SuccessConnectUpdate",
    "CheckSslUpdate", "WaitForImageConnection", "MaxTriesImage", "ValidSslUpdate", "ReceiveFile",
    "CompleteFile", "MakeChecksum", "CheckChecksum", "ChecksumEqual", "MoveFile", "Notify", "PrioUpdate",
    "WaitForUser", "Reboot", "MakeChecksumReboot", "CheckChecksumReboot", "ChecksumEqualReboot",
    "UpdateImage", "RebootOld", "SuccessUpdate", "NeedMigration", "RevertUpdates", "Backup",
    "PUMigration", "SuccessMigration", "Reload", "RevertMigration", "SuccessReload", "MigrationMade",
    "EndSuccess",
};
// clang-format on

} // namespace

std::span<const EdgeInfo> allEdges() { return kEdges; }

const EdgeInfo &edgeInfo(Edge edge) { return kEdges[size_t(int(edge) - 1)]; }

QString edgeName(Edge edge) { return QStringLiteral("E%1").arg(int(edge), 2, 10, QLatin1Char('0')); }

QString edgeName(std::optional<Edge> edge) { return edge ? edgeName(*edge) : QString(); }

std::optional<Edge> edgeFromName(QStringView name)
{
    if (name.size() != 3 || name.front() != QLatin1Char('E'))
        return std::nullopt;
    bool ok = false;
    const int n = name.mid(1).toInt(&ok);
    if (!ok || n < 1 || n > kEdgeCount)
        return std::nullopt;
    return Edge(n);
}

QString nodeName(Node node) { return QString::fromLatin1(kNodeNames[size_t(node)]); }

std::optional<Node> nodeFromName(QStringView name)
{
    for (int i = 0; i < kNodeCount; ++i) {
        if (name == QLatin1StringView(kNodeNames[size_t(i)]))
            return Node(i);
    }
    return std::nullopt;
}

bool isRestingNode(Node node)
{
    switch (node) {
    case Node::NormalSystem:
    case Node::WaitForImage:
    case Node::Consent:      // an error ended the cycle, consent not given
    case Node::SendDiagData: // an error ended the cycle, report sent
    case Node::EndSuccess: return true;
    default: return false;
    }
}

} // namespace s16
