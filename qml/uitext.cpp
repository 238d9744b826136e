#include "uitext.h"

#include "common/error.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonObject>
#include <QLocale>
#include <QTranslator>

#include <memory>

namespace s16 {
namespace {

QString str(const QJsonObject &o, const char *key) { return o.value(QLatin1String(key)).toString(); }

int edgeNumber(const QString &edge) { return edge.startsWith(QLatin1Char('E')) ? edge.mid(1).toInt() : -1; }

} // namespace

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

// The texts were the device UI's first: their translations keep its context (lupdate
// needs it spelt out in each call).
namespace uitext {

QString formatTime(const QDateTime &time)
{
    //: The date and time format of the whole UI (QLocale pattern); German: "d. MMM yyyy, HH:mm"
    return QLocale().toString(time.toLocalTime(), QCoreApplication::translate("s16::UpdateController", "d MMM yyyy, HH:mm"));
}

QString reasonForFailure(int code, const QString &edge)
{
    const int n = edgeNumber(edge);
    if (n == 61 || n == 62)
        return QCoreApplication::translate(
            "s16::UpdateController",
            "The new version did not work properly when it started, so the device went back to the previous version.");
    if (n >= 54 && n <= 59)
        return QCoreApplication::translate("s16::UpdateController", "Your data could not be prepared for the new version.");
    if (n == 47 || (n >= 49 && n <= 51))
        return QCoreApplication::translate("s16::UpdateController", "The new version could not be written to the device's storage.");
    if (code == toInt(ExitCode::IntegrityMismatch) || (n >= 44 && n <= 48))
        return QCoreApplication::translate("s16::UpdateController",
                                           "The downloaded update did not pass its safety check, so it was not installed.");
    if (code == toInt(ExitCode::StorageError))
        return QCoreApplication::translate("s16::UpdateController", "There was not enough storage to install the update.");
    return QCoreApplication::translate("s16::UpdateController", "The update could not be installed.");
}

QString technicalDetails(const QJsonObject &e)
{
    const int code = e.value(QStringLiteral("code")).toInt();
    QStringList lines;
    lines << QCoreApplication::translate("s16::UpdateController", "Error code: %1 (%2)").arg(code).arg(exitCodeName(ExitCode(code)));
    if (!str(e, "edge").isEmpty())
        lines << QCoreApplication::translate("s16::UpdateController", "Step: %1").arg(str(e, "edge"));
    const QDateTime time = QDateTime::fromString(str(e, "time"), Qt::ISODate);
    if (time.isValid())
        lines << QCoreApplication::translate("s16::UpdateController", "Time: %1").arg(formatTime(time));
    const QString message = str(e, "message");
    const QString detail = str(e, "detail");
    if (!message.isEmpty())
        lines << message;
    // The engine often carries the library's text in both (a TLS error): say it once.
    if (!detail.isEmpty() && !message.contains(detail))
        lines << detail;
    return lines.join(QLatin1Char('\n'));
}

} // namespace uitext
} // namespace s16
