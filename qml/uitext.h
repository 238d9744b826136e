#pragma once

#include <QString>

class QDateTime;
class QJsonObject;
class QLocale;

namespace s16 {

// The texts the device UI and the recovery screen share: the translations and the plain
// words for a failed install. A library of its own (s16_uitext), so s16-recovery gets them
// without the S16.Update module.

// Loads the UI's translation for locale (embedded as :/i18n/s16_<lang>.qm) into the
// application, replacing one loaded before by this function, and returns the language
// it picked ("de", or "en" as the fallback for languages without a translation).
// Call it before loading QML, or call QQmlEngine::retranslate() after it.
QString installUiTranslator(const QLocale &locale);

namespace uitext {

// One date format for every time the user reads, in the user's language and local time.
[[nodiscard]] QString formatTime(const QDateTime &time);
// Why an install failed, in plain words, from its exit code and the edge it left by.
[[nodiscard]] QString reasonForFailure(int code, const QString &edge);
// The technical text of an error (code, step, time, message, detail), each once.
[[nodiscard]] QString technicalDetails(const QJsonObject &error);

} // namespace uitext
} // namespace s16
