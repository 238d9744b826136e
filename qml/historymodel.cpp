#include "historymodel.h"

#include "common/logentry.h"
#include "updatecontroller.h"

#include <QLocale>
#include <QRegularExpression>

namespace s16 {
namespace {

// The version an engine message names, for the plain summary ("version 2.1.0 is
// available", "updated to 2.1.0 (slot B)"); empty when the message does not say.
QString versionIn(const QString &message, const char *pattern)
{
    const QRegularExpression re{QString::fromLatin1(pattern)};
    return re.match(message).captured(1);
}

} // namespace

// Plain words for every event the updater logs (the engine's own message only goes to
// the technical details): the history must read like the screens.
QString HistoryModel::summaryOf(const LogEntry &e)
{
    const QString &ev = e.event;
    if (ev == QLatin1String("error"))
        return UpdateController::titleForCode(e.code);
    if (ev == QLatin1String("checked")) {
        const QString found = versionIn(e.message, "^version (\\S+) is available");
        if (!found.isEmpty())
            return tr("Checked for updates: version %1 found").arg(found);
        if (e.message.startsWith(QLatin1String("no newer version")))
            return tr("Checked for updates: no newer version");
        return tr("Checked for updates");
    }
    if (ev == QLatin1String("downloadStarted")) {
        const QString v = versionIn(e.message, "^download of version (\\S+) started");
        return v.isEmpty() ? tr("Download started") : tr("Download of version %1 started").arg(v);
    }
    if (ev == QLatin1String("downloadFinished"))
        return tr("Download finished");
    if (ev == QLatin1String("downloadInterrupted"))
        return tr("Download interrupted; trying again");
    if (ev == QLatin1String("staged")) {
        const QString v = versionIn(e.message, "^version (\\S+) is ready");
        return v.isEmpty() ? tr("Update downloaded and checked") : tr("Version %1 downloaded and checked").arg(v);
    }
    if (ev == QLatin1String("rebootRequested"))
        return tr("Restart requested to install the update");
    if (ev == QLatin1String("rebootFailed"))
        return tr("The device did not restart; the update installs at the next restart");
    if (ev == QLatin1String("updated")) {
        const QString v = versionIn(e.message, "^updated to (\\S+)");
        return v.isEmpty() ? tr("Update installed") : tr("Updated to version %1").arg(v);
    }
    if (ev == QLatin1String("installFailed")) {
        const QString v = versionIn(e.message, "^update to (\\S+) failed");
        return v.isEmpty() ? tr("The update could not be installed") : tr("Version %1 could not be installed").arg(v);
    }
    if (ev == QLatin1String("consentOn"))
        return tr("Sending diagnostic data turned on");
    if (ev == QLatin1String("consentOff"))
        return tr("Sending diagnostic data turned off");
    if (ev == QLatin1String("diagnosticsSent"))
        return tr("Diagnostic report sent");
    if (ev == QLatin1String("diagnosticsDeferred"))
        return tr("Diagnostic report not sent yet; the device tries again later");
    if (ev == QLatin1String("diagnosticsDropped"))
        return tr("A diagnostic report could not be sent and was deleted");
    switch (e.level) {
    case LogEntry::Level::Error: return UpdateController::titleForCode(e.code);
    case LogEntry::Level::Warning: return tr("The updater reported a problem");
    case LogEntry::Level::Info: break;
    }
    return tr("The updater noted an event");
}

HistoryModel::HistoryModel(QObject *parent)
    : QAbstractListModel(parent)
{
}
HistoryModel::~HistoryModel() = default;

void HistoryModel::setController(UpdateController *controller)
{
    if (controller == m_controller)
        return;
    if (m_controller)
        m_controller->disconnect(this);
    m_controller = controller;
    if (m_controller) {
        connect(m_controller, &UpdateController::historyChanged, this, &HistoryModel::reload);
        connect(m_controller, &UpdateController::statusChanged, this, [this] {
            if (!m_controller->isReady() && !m_rows.isEmpty())
                reload();
        });
    }
    Q_EMIT controllerChanged();
    if (m_controller)
        reload();
    else
        show({});
}

void HistoryModel::setEntries(const QList<LogEntry> &entries)
{
    if (m_controller) {
        m_controller->disconnect(this);
        m_controller = nullptr;
        Q_EMIT controllerChanged();
    }
    show(entries);
}

void HistoryModel::reload()
{
    if (m_controller)
        show(m_controller->logEntries());
}

void HistoryModel::show(const QList<LogEntry> &entries)
{
    QList<Row> rows;
    rows.reserve(entries.size());
    for (auto it = entries.crbegin(); it != entries.crend(); ++it) {
        const LogEntry &e = *it;
        rows.append(Row{e.time, levelName(e.level), e.message, summaryOf(e), e.edge, e.event, e.detail, e.code});
    }
    const bool countChanges = rows.size() != m_rows.size();
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
    if (countChanges)
        Q_EMIT countChanged();
}

int HistoryModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

QVariant HistoryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case TimeRole: return r.time;
    case TimeTextRole: return UpdateController::formatTime(r.time);
    case LevelRole: return r.level;
    case Qt::DisplayRole:
    case SummaryRole: return r.summary;
    case MessageRole: return r.message;
    case CodeRole: return r.code;
    case EdgeRole: return r.edge;
    case EventRole: return r.event;
    case DetailRole: return r.detail;
    case TechnicalRole: {
        // What "Technical details" shows for the row: the step, the code, the engine's text.
        QStringList lines;
        if (!r.edge.isEmpty())
            lines << tr("Step: %1").arg(r.edge);
        if (r.code != 0)
            lines << tr("Error code: %1").arg(r.code);
        lines << r.message;
        if (!r.detail.isEmpty() && !r.message.contains(r.detail))
            lines << r.detail;
        return lines.join(QLatin1Char('\n'));
    }
    default: return {};
    }
}

QHash<int, QByteArray> HistoryModel::roleNames() const
{
    return {{TimeRole, "time"}, {TimeTextRole, "timeText"}, {LevelRole, "level"}, {MessageRole, "message"}, {SummaryRole, "summary"},
            {CodeRole, "code"}, {EdgeRole, "edge"},         {EventRole, "event"}, {DetailRole, "detail"},   {TechnicalRole, "technical"}};
}

} // namespace s16
