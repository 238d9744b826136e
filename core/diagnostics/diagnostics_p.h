#pragma once

#include "common/error.h"

#include <QJsonObject>
#include <QString>

// The sending state the journal keeps for the diagnostics area (docs/diagnostics.md, its key
// in core/store), shared by the report builder and the reporter.
namespace s16 {
class Journal;
namespace diagnostics::detail {

// {"sequence": last n used, "failures": failed attempts in a row, "nextAttempt": ISO UTC}
[[nodiscard]] QJsonObject sendState(const Journal &journal);
[[nodiscard]] Status setSendState(Journal &journal, const QJsonObject &state);
[[nodiscard]] qint64 lastSequence(const Journal &journal);

} // namespace diagnostics::detail
} // namespace s16
