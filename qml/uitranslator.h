#pragma once

class QLocale;
class QString;

namespace s16 {

// Loads the UI's translation for locale (embedded as :/i18n/s16_<lang>.qm) into the
// application, replacing one loaded before by this function, and returns the language
// it picked ("de", or "en" as the fallback for languages without a translation).
// Call it before loading QML, or call QQmlEngine::retranslate() after it.
QString installUiTranslator(const QLocale &locale);

} // namespace s16
