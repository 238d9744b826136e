#pragma once

#include <QJsonObject>
#include <QString>

// Journal keys of the diagnostics area (docs/diagnostics.md) and the sending state kept
// under `diagnostics`, shared by the report builder and the reporter.
namespace s16 {
class Journal;
namespace diagnostics::detail {

inline const QString kConsentKey = QStringLiteral("consent");
inline const QString kDeviceIdKey = QStringLiteral("deviceId");
// {"sequence": last n used, "failures": failed attempts in a row, "nextAttempt": ISO UTC}
inline const QString kStateKey = QStringLiteral("diagnostics");

[[nodiscard]] QJsonObject sendState(const Journal &journal);
[[nodiscard]] qint64 lastSequence(const Journal &journal);

} // namespace diagnostics::detail
} // namespace s16
