#include "devicestatus.h"

#include "common/fileutil.h"
#include "config/config.h"
#include "flow/flowchart.h"
#include "store/devicestate.h"
#include "store/journal.h"
#include "version/semver.h"

namespace s16 {
namespace {

enum class Phase { Resting, Checking, Downloading, Installing };

Phase phaseOf(Node node)
{
    switch (node) {
    case Node::ConnectRepo:
    case Node::SuccessConnect:
    case Node::CheckSsl:
    case Node::WaitConnect:
    case Node::MaxTries:
    case Node::ValidSsl:
    case Node::Authenticate:
    case Node::AuthSuccess:
    case Node::UpdateImageRepo:
    case Node::SuccessImageRepo: return Phase::Checking;
    case Node::ConnectUpdate:
    case Node::SuccessConnectUpdate:
    case Node::CheckSslUpdate:
    case Node::WaitForImageConnection:
    case Node::MaxTriesImage:
    case Node::ValidSslUpdate:
    case Node::ReceiveFile:
    case Node::CompleteFile:
    case Node::MakeChecksum:
    case Node::CheckChecksum:
    case Node::ChecksumEqual:
    case Node::MoveFile: return Phase::Downloading;
    case Node::MakeChecksumReboot:
    case Node::CheckChecksumReboot:
    case Node::ChecksumEqualReboot:
    case Node::UpdateImage:
    case Node::SuccessUpdate:
    case Node::NeedMigration:
    case Node::Backup:
    case Node::PUMigration:
    case Node::SuccessMigration:
    case Node::RevertMigration:
    case Node::RevertUpdates: return Phase::Installing;
    default: return Phase::Resting;
    }
}

QJsonValue orNull(const QString &s) { return s.isEmpty() ? QJsonValue() : QJsonValue(s); }

// The check records the manifest it trusted (journal `lastTrusted`) whether or not it is
// newer; it is "available" only while it is newer than what runs.
QString newerThan(const QString &candidate, const QString &running)
{
    const auto found = SemVer::parse(candidate);
    if (!found)
        return {};
    const auto current = SemVer::parse(running);
    return !current || *found > *current ? found->toString() : QString();
}

} // namespace

QJsonObject DeviceStatus::toJson() const
{
    QJsonObject o{
        {QStringLiteral("state"), state},
        {QStringLiteral("currentVersion"), orNull(currentVersion)},
        {QStringLiteral("stagedVersion"), orNull(stagedVersion)},
        {QStringLiteral("available"), orNull(available)},
        {QStringLiteral("rebootPending"), rebootPending},
        {QStringLiteral("lastCheck"), orNull(lastCheck)},
        {QStringLiteral("lastError"), lastError.isEmpty() ? QJsonValue() : QJsonValue(lastError)},
        {QStringLiteral("consent"), consent},
        {QStringLiteral("flowNode"), flowNode},
        {QStringLiteral("progress"), progress.isEmpty() ? QJsonValue() : QJsonValue(progress)},
        {QStringLiteral("outcome"), outcome.isEmpty() ? QJsonValue() : QJsonValue(outcome)},
    };
    // Once a download has started: its bytes so far, then the last one's.
    const QJsonObject &bytes = progress.contains(QStringLiteral("fetched")) ? progress : lastTransfer;
    if (bytes.contains(QStringLiteral("fetched"))) {
        o.insert(QStringLiteral("bytesFetched"), bytes.value(QStringLiteral("fetched")));
        o.insert(QStringLiteral("bytesReused"), bytes.value(QStringLiteral("reused")));
    }
    return o;
}

DeviceStatus readDeviceStatus(const Config &config, const Journal &journal, bool engineRunning)
{
    DeviceStatus s;
    if (auto v = fileutil::readSmallFile(config.device.versionFile, 256))
        s.currentVersion = QString::fromUtf8(v->trimmed());
    const DeviceState state = DeviceState::reader(journal);
    s.stagedVersion = state.staged().value_or(StagedRecord{}).version;
    s.available =
        !s.stagedVersion.isEmpty() ? s.stagedVersion : newerThan(state.lastTrusted().value_or(TrustedRelease{}).version, s.currentVersion);
    s.rebootPending = state.rebootPending();
    s.lastCheck = state.lastCheck();
    s.lastError = state.lastErrorJson();
    s.consent = state.consent();
    s.flowNode = state.flowNodeName();
    if (s.flowNode.isEmpty())
        s.flowNode = nodeName(Node::NormalSystem);
    s.outcome = state.outcomeJson();
    s.lastTransfer = state.lastTransferJson();
    if (engineRunning)
        s.progress = state.progressJson();

    const Node node = nodeFromName(s.flowNode).value_or(Node::NormalSystem);
    const Phase phase = phaseOf(node);
    bool trial = false;
    for (const SlotRecord &slot : state.allSlots())
        trial = trial || slot.state == SlotRecord::State::Trial;

    if (s.rebootPending)
        s.state = QStringLiteral("rebootPending");
    else if (phase == Phase::Installing)
        s.state = QStringLiteral("installing");
    else if (trial)
        s.state = QStringLiteral("trial");
    else if (engineRunning && phase == Phase::Checking)
        s.state = QStringLiteral("checking");
    else if (engineRunning && phase == Phase::Downloading)
        s.state = QStringLiteral("downloading");
    else if (!s.stagedVersion.isEmpty())
        s.state = QStringLiteral("ready");
    else
        s.state = QStringLiteral("idle");
    return s;
}

} // namespace s16
