#pragma once

#include "common/error.h"
#include "flow/flowchart.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QString>

#include <optional>

namespace s16 {

class Journal;

// One slot as the journal's `slots` records it.
struct SlotRecord {
    enum class State { Unknown, Good, Trial, Bad, Empty };
    std::optional<QString> version; // none: not known (a slot being written)
    State state = State::Unknown;
};

// `outcome`: what the app tells the user after the reboot that ended an install.
struct Outcome {
    bool updated = false;    // "result": "updated", else "failed"
    QString version;         // the version that was installed, or was to be
    QString previousVersion; // the version the device ran before
    Error error;             // why it failed; code 0 and the edge E65 when updated
    QDateTime time;
};

// `progress` while a download or an install runs.
struct Progress {
    QString phase; // "download", "verify", "install", "migrate"
    qint64 bytes = 0;
    qint64 total = 0;
    double rate = 0;           // bytes a second (the install writes whole numbers)
    std::optional<qint64> eta; // seconds; none while the rate is unknown (a download writes -1)
    // A download's bytes as they cross the link: fetched over the network, reused from the
    // device, and what the whole download is to fetch (-1 until known). None for an install.
    struct Transfer {
        qint64 fetched = 0;
        qint64 reused = 0;
        qint64 toFetch = -1;
    };
    std::optional<Transfer> transfer;
};

// `staged`: the download the online side verified and moved into updateDir/staged. The
// install side checks the staged files against version, sha256 and compression.
struct StagedRecord {
    QString version;
    QByteArray sha256;    // the image's, as the manifest signs it
    QString compression;  // "zstd" when the staged file is the compressed image, else empty
    QString image;        // the staged file's name in staged/
    qint64 size = 0;      // the staged file's size (the compressed one's with zstd)
    qint64 imageSize = 0; // the image's, as the manifest signs it
    bool priority = false;
    QJsonObject notes;         // release notes, {language: text}
    std::optional<int> schema; // the database schema the release needs
    QString released;          // ISO 8601, as the manifest says
};

// `lastTransfer`: what the last download cost the link.
struct TransferRecord {
    QString version;
    qint64 total = 0;
    qint64 fetched = 0;
    qint64 reused = 0;
};

// `lastTrusted`: the newest manifest the device verified (replay protection), as it said.
struct TrustedRelease {
    QString version;
    QString released; // ISO 8601
};

// The journal's keys as types (docs/state.md): flow position, reboot request, progress,
// outcome, last error, staged update, last transfer, last check and trusted release,
// consent, the diagnostics' device id and send state, slots and the install record.
// Everything outside core/store reads and writes them only through here, so the keys
// and their JSON are spelt in one place. A view: it holds the journal, which must
// outlive it; several changes made inside Journal::transaction() survive a power cut
// together.
class DeviceState
{
public:
    explicit DeviceState(Journal &journal)
        : m_journal(journal)
    {
    }
    // A view for reading only (`status`, the report builder): its const functions only.
    [[nodiscard]] static const DeviceState reader(const Journal &journal) { return DeviceState(const_cast<Journal &>(journal)); }

    // `flow`: the node the update moved to and the edge it took.
    [[nodiscard]] Status setFlow(Node node, Edge via);
    // The node as recorded, empty when none; flowNode() is none also for an unknown name.
    [[nodiscard]] QString flowNodeName() const;
    [[nodiscard]] std::optional<Node> flowNode() const;

    // `rebootPending`: a reboot was requested and has not happened yet.
    [[nodiscard]] bool rebootPending() const;
    [[nodiscard]] Status setRebootPending(bool pending);

    // `progress`, written as a hint (a power cut may lose it without harm).
    [[nodiscard]] Status setProgress(const Progress &progress);
    [[nodiscard]] Status clearProgress();
    // As recorded, for `status --json` and the service, which pass it on unchanged.
    [[nodiscard]] QJsonObject progressJson() const;

    [[nodiscard]] Status setOutcome(const Outcome &outcome);
    [[nodiscard]] QJsonObject outcomeJson() const; // as recorded, empty when none
    // Notes that the app showed the outcome ("seen"); nothing to do without one.
    [[nodiscard]] Status acknowledgeOutcome();

    // `lastError`: the error and when it happened.
    [[nodiscard]] Status setLastError(const Error &error, const QDateTime &time);
    [[nodiscard]] Status clearLastError();
    [[nodiscard]] QJsonObject lastErrorJson() const; // as recorded, empty when none
    [[nodiscard]] std::optional<Error> lastError() const;

    // `staged`: none when no download is recorded.
    [[nodiscard]] std::optional<StagedRecord> staged() const;
    [[nodiscard]] Status setStaged(const StagedRecord &record);
    [[nodiscard]] Status clearStaged();

    // `lastTransfer`
    [[nodiscard]] Status setLastTransfer(const TransferRecord &record);
    [[nodiscard]] QJsonObject lastTransferJson() const; // as recorded, empty when none

    // `lastCheck`: when the last metadata check completed (ISO 8601 as recorded, empty when never).
    [[nodiscard]] QString lastCheck() const;
    // `lastTrusted`, none before the first verified manifest. setLastTrusted and setLastCheck
    // are one check's record: call them in one transaction.
    [[nodiscard]] std::optional<TrustedRelease> lastTrusted() const;
    [[nodiscard]] Status setLastTrusted(const TrustedRelease &release);
    [[nodiscard]] Status setLastCheck(const QDateTime &time);

    // `consent`: diagnostic data consent, false until given.
    [[nodiscard]] bool consent() const;
    [[nodiscard]] Status setConsent(bool on);
    // `deviceId` and `diagnostics`: core/diagnostics' own values (docs/diagnostics.md).
    [[nodiscard]] QString deviceId() const;
    [[nodiscard]] Status setDeviceId(const QString &id);
    [[nodiscard]] QJsonObject diagnosticsState() const;
    [[nodiscard]] Status setDiagnosticsState(const QJsonObject &state);

    // `slots`: one slot ("A", "B"); setSlot keeps the other as it is.
    [[nodiscard]] SlotRecord slot(const QString &name) const;
    [[nodiscard]] Status setSlot(const QString &name, const SlotRecord &record);
    // Every slot the journal records, by name.
    [[nodiscard]] QMap<QString, SlotRecord> allSlots() const;

    // `install`: the install engine's own record (docs/install.md), empty when none.
    [[nodiscard]] QJsonObject installRecord() const;
    [[nodiscard]] Status setInstallRecord(const QJsonObject &record);
    [[nodiscard]] Status clearInstallRecord();

private:
    Journal &m_journal;
};

// A slot state's name in the journal ("good", ...), empty for Unknown.
[[nodiscard]] QString slotStateName(SlotRecord::State state);

// The journal's one form of a time: ISO 8601, UTC, seconds.
[[nodiscard]] QString journalTime(const QDateTime &time);
// The journal's one form of an error: {"code", "message", "edge", "detail"}, and "time"
// when one is given. errorFromJson reads it back; a missing code reads as fallbackCode.
[[nodiscard]] QJsonObject errorToJson(const Error &error, const QDateTime &time = {});
[[nodiscard]] Error errorFromJson(const QJsonObject &object, ExitCode fallbackCode);

} // namespace s16
