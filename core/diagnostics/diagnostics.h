#pragma once

#include "common/error.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <expected>
#include <optional>

namespace s16 {

struct Config;
class Journal;

enum class DiagError {
    StoreFailed,     // the journal refused to record consent, the device id or the report number
    QueueUnwritable, // the queue folder or a queued report cannot be written or removed
};

struct DiagProblem {
    DiagError code;
    QString message;
    QString detail;
};

// A stable, untranslated name for logs and tests ("QueueUnwritable").
[[nodiscard]] QString diagErrorName(DiagError code);
// Both are the device's storage failing: ExitCode::StorageError.
[[nodiscard]] Error toError(const DiagProblem &p);

// Diagnostic data (flowchart E08 -> E09, docs/diagnostics.md): consent, the pseudonymous
// device id, the report that is sent after an error, and the queue of reports waiting to
// be sent. Everything here is synchronous and local; DiagnosticsReporter does the sending.
// A report holds what helps to understand a failed update and nothing that identifies the
// device's owner or grants access: no tokens, keys, certificates' private parts, no app
// data, no credentials in URLs (every string is passed through redact()).
namespace diagnostics {

// The report's format version (the "format" key); raised only when a key changes meaning.
inline constexpr int kReportFormat = 1;
// How many of the newest log entries a report carries.
inline constexpr int kReportLogEntries = 200;

// Whether the user consented to diagnostic data (journal key `consent`, default off).
[[nodiscard]] bool consent(const Journal &journal);
// Records the user's choice (the UI's switch and `s16-update consent on|off`); it takes
// effect at once, also for a reporter in another process, which reads it before each
// request. Revoking deletes every queued report that was not sent.
[[nodiscard]] std::expected<void, DiagProblem> setConsent(const Config &config, Journal &journal, bool on);

// The device's pseudonymous id: 128 random bits as 32 hex digits, made on first use and
// kept in the journal (key `deviceId`). Never derived from a serial number or a MAC.
[[nodiscard]] std::expected<QString, DiagProblem> deviceId(Journal &journal);

// What a report is about: the error as the engine logged it. The failed state is the
// node the error's edge leaves (E12 -> ValidSsl).
struct ReportInput {
    std::optional<Error> failure; // none: a report of the device's state only (preview without an error)
    QString deviceId;
    qint64 sequence = 0; // <n> in the report's name
    QDateTime time;      // UTC
};

// The report as sent, before serialisation. Reads the journal, the version file, the
// update partition's free space, /proc/uptime and the boot counters; never the app database.
[[nodiscard]] QJsonObject buildReport(const Config &config, const Journal &journal, const ReportInput &input);
// The exact bytes that go over the wire for a report.
[[nodiscard]] QByteArray serializeReport(const QJsonObject &report);
// "<yyyyMMddTHHmmssZ>-<n>.json": the name on the server and in the queue. Repeating a
// report repeats its name, so a report sent twice (a power cut between the server's
// answer and the queue's cleanup) overwrites itself: delivered at most once.
[[nodiscard]] QString reportName(const QDateTime &time, qint64 sequence);
// The sequence number in a report name, or -1 when name is not one.
[[nodiscard]] qint64 sequenceOf(const QString &name);

// Exactly what would be sent now for the last logged error (journal `lastError`; none:
// the device's state only), as `s16-update diagnostics --preview` prints it and the UI's
// "What is sent?" shows it. Makes the device id if there is none yet, and nothing else:
// no report number is used up, nothing is queued or sent.
[[nodiscard]] QByteArray previewReport(const Config &config, Journal &journal);

// Removes secrets from text bound for a report: the bearer token and the client key's
// bytes (secrets), any PEM private key block, user info in URLs, "Bearer ..." values and
// credential-like query parameters.
[[nodiscard]] QString redact(const QString &text, const QList<QByteArray> &secrets);
// The configured secrets redact() must remove: the token file's content and the client
// key's PEM lines.
[[nodiscard]] QList<QByteArray> configuredSecrets(const Config &config);

// stateDir/diagnostics/queue: reports that wait to be sent, one file each, named reportName().
[[nodiscard]] QString queueDir(const Config &config);
// The queued reports' file names, oldest (lowest sequence) first.
[[nodiscard]] QStringList queuedReports(const Config &config);
// Deletes every queued report; returns how many were deleted.
[[nodiscard]] std::expected<int, DiagProblem> clearQueue(const Config &config);

} // namespace diagnostics
} // namespace s16
