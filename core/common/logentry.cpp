#include "logentry.h"

namespace s16 {

LogEntry::Level levelFromName(const QString &name)
{
    if (name == QLatin1String("error"))
        return LogEntry::Level::Error;
    if (name == QLatin1String("warning"))
        return LogEntry::Level::Warning;
    return LogEntry::Level::Info;
}

QString levelName(LogEntry::Level level)
{
    switch (level) {
    case LogEntry::Level::Info: return QStringLiteral("info");
    case LogEntry::Level::Warning: return QStringLiteral("warning");
    case LogEntry::Level::Error: return QStringLiteral("error");
    }
    return QStringLiteral("info");
}

std::optional<LogEntry> logEntryFromJson(const QJsonObject &o)
{
    LogEntry e;
    e.time = QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
    if (!e.time.isValid())
        return std::nullopt;
    e.level = levelFromName(o.value(QStringLiteral("level")).toString());
    e.code = o.value(QStringLiteral("code")).toInt();
    e.edge = o.value(QStringLiteral("edge")).toString();
    e.event = o.value(QStringLiteral("event")).toString();
    e.message = o.value(QStringLiteral("message")).toString();
    e.detail = o.value(QStringLiteral("detail")).toString();
    return e;
}

QJsonObject toJson(const LogEntry &entry)
{
    return QJsonObject{{QStringLiteral("time"), entry.time.toString(Qt::ISODateWithMs)},
                       {QStringLiteral("level"), levelName(entry.level)},
                       {QStringLiteral("code"), entry.code},
                       {QStringLiteral("edge"), entry.edge},
                       {QStringLiteral("event"), entry.event},
                       {QStringLiteral("message"), entry.message},
                       {QStringLiteral("detail"), entry.detail}};
}

} // namespace s16
