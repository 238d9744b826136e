#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace s16 {

// One line of the persistent error and event log (`s16-update log`).
struct LogEntry {
    enum class Level { Info, Warning, Error };
    qint64 id = 0;  // assigned by the journal, rising
    QDateTime time; // UTC; an invalid time is stamped "now" on append
    Level level = Level::Info;
    int code = 0; // ExitCode value (0 for events that are not errors)
    QString edge; // flowchart edge, e.g. "E38"; may be empty
    QString message;
    QString detail;
    QString event; // short machine name, e.g. "staged", "checkFailed"
};

// "info", "warning" or "error", as the log prints a level.
[[nodiscard]] QString levelName(LogEntry::Level level);
// One entry as `s16-update log --json` and the service's Log print it: time (ISO 8601 with
// milliseconds), level (info, warning, error), code, edge, event, message, detail.
[[nodiscard]] QJsonObject toJson(const LogEntry &entry);
// The reverse, for a client reading the service's Log; nullopt without a valid time.
[[nodiscard]] std::optional<LogEntry> logEntryFromJson(const QJsonObject &o);
// The level a log prints ("info", "warning", "error"); Info for anything else.
[[nodiscard]] LogEntry::Level levelFromName(const QString &name);

} // namespace s16
