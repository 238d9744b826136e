#include "uitranslator.h"

#include <QCoreApplication>
#include <QLocale>
#include <QTranslator>

#include <memory>

namespace s16 {

QString installUiTranslator(const QLocale &locale)
{
    static std::unique_ptr<QTranslator> installed;
    if (installed) {
        QCoreApplication::removeTranslator(installed.get());
        installed.reset();
    }
    auto translator = std::make_unique<QTranslator>();
    QString language = QStringLiteral("en");
    if (translator->load(locale, QStringLiteral("s16"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        language = translator->language().section(QLatin1Char('_'), 0, 0);
    else if (!translator->load(QStringLiteral(":/i18n/s16_en.qm")))
        return language;
    QCoreApplication::installTranslator(translator.get());
    installed = std::move(translator);
    return language;
}

} // namespace s16
