#pragma once

#include "common/error.h"
#include "flow/flowchart.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
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
    bool updated = false;     // "result": "updated", else "failed"
    QString version;          // the version that was installed, or was to be
    QString previousVersion;  // the version the device ran before
    Error error;              // why it failed; code 0 and the edge E65 when updated
    QDateTime time;
};

// `progress` while a download or an install runs.
struct Progress {
    QString phase;  // "download", "verify", "install", "migrate"
    qint64 bytes = 0;
    qint64 total = 0;
    qint64 rate = 0;                // bytes a second
    std::optional<qint64> eta;      // seconds; none while the rate is unknown
};

// The download the online side recorded in `staged`, as the install side checks it.
struct StagedRecord {
    QString version;
    QByteArray sha256;    // the image's, as the manifest signs it
    QString compression;  // "zstd" when the staged file is the compressed image
};

// The journal's keys as types (docs/state.md): flow position, reboot request, progress,
// outcome, last error, staged update, slots and the install record. The install side
// (core/install) reads and writes them only through here, so the keys and their JSON
// are spelt in one place; core/online and the service still use the keys themselves.
// A view: it holds the journal, which must outlive it; several changes made inside
// Journal::transaction() survive a power cut together.
class DeviceState
{
public:
    explicit DeviceState(Journal &journal)
        : m_journal(journal)
    {
    }

    // `flow`: the node the update moved to and the edge it took.
    [[nodiscard]] Status setFlow(Node node, Edge via);

    // `rebootPending`: a reboot was requested and has not happened yet.
    [[nodiscard]] bool rebootPending() const;
    [[nodiscard]] Status setRebootPending(bool pending);

    // `progress`, written as a hint (a power cut may lose it without harm).
    [[nodiscard]] Status setProgress(const Progress &progress);
    [[nodiscard]] Status clearProgress();

    [[nodiscard]] Status setOutcome(const Outcome &outcome);
    // `lastError`: the error and when it happened.
    [[nodiscard]] Status setLastError(const Error &error, const QDateTime &time);

    // `staged`: none when no download is recorded.
    [[nodiscard]] std::optional<StagedRecord> staged() const;
    [[nodiscard]] Status clearStaged();

    // `slots`: one slot ("A", "B"); setSlot keeps the other as it is.
    [[nodiscard]] SlotRecord slot(const QString &name) const;
    [[nodiscard]] Status setSlot(const QString &name, const SlotRecord &record);

    // `install`: the install engine's own record (docs/install.md), empty when none.
    [[nodiscard]] QJsonObject installRecord() const;
    [[nodiscard]] Status setInstallRecord(const QJsonObject &record);
    [[nodiscard]] Status clearInstallRecord();

private:
    Journal &m_journal;
};

// The journal's one form of a time: ISO 8601, UTC, seconds.
[[nodiscard]] QString journalTime(const QDateTime &time);
// The journal's one form of an error: {"code", "message", "edge", "detail"}, and "time"
// when one is given. errorFromJson reads it back; a missing code reads as fallbackCode.
[[nodiscard]] QJsonObject errorToJson(const Error &error, const QDateTime &time = {});
[[nodiscard]] Error errorFromJson(const QJsonObject &object, ExitCode fallbackCode);

} // namespace s16
