#include "historymodel.h"

#include "store/journal.h"
#include "updatecontroller.h"

#include <QLocale>

namespace s16 {
namespace {

QString levelName(LogEntry::Level l)
{
    switch (l) {
    case LogEntry::Level::Info: return QStringLiteral("info");
    case LogEntry::Level::Warning: return QStringLiteral("warning");
    case LogEntry::Level::Error: return QStringLiteral("error");
    }
    return {};
}

} // namespace

HistoryModel::HistoryModel(QObject *parent) : QAbstractListModel(parent) {}
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
            if (!journal() && !m_rows.isEmpty())
                reload();
        });
    }
    Q_EMIT controllerChanged();
    reload();
}

void HistoryModel::setJournal(const Journal *journal)
{
    m_journal = journal;
    reload();
}

const Journal *HistoryModel::journal() const
{
    if (m_journal)
        return m_journal;
    return m_controller ? m_controller->journal() : nullptr;
}

void HistoryModel::reload()
{
    QList<Row> rows;
    if (const Journal *j = journal()) {
        const QList<LogEntry> entries = j->entries();
        rows.reserve(entries.size());
        for (auto it = entries.crbegin(); it != entries.crend(); ++it) {
            const LogEntry &e = *it;
            QString summary;
            if (e.event == QLatin1String("error"))
                summary = UpdateController::titleForCode(e.code);
            else if (e.event == QLatin1String("checked"))
                summary = tr("Checked for updates");
            else if (e.event == QLatin1String("staged"))
                summary = tr("Update downloaded and checked");
            else if (e.event == QLatin1String("rebootRequested"))
                summary = tr("Restart requested to install the update");
            else if (e.event == QLatin1String("downloadInterrupted"))
                summary = tr("Download interrupted; trying again");
            else
                summary = e.message;
            rows.append(Row{e.time, levelName(e.level), e.message, summary, e.edge, e.event, e.detail, e.code});
        }
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
    case TimeTextRole: return QLocale().toString(r.time.toLocalTime(), QLocale::ShortFormat);
    case LevelRole: return r.level;
    case Qt::DisplayRole:
    case SummaryRole: return r.summary;
    case MessageRole: return r.message;
    case CodeRole: return r.code;
    case EdgeRole: return r.edge;
    case EventRole: return r.event;
    case DetailRole: return r.detail;
    default: return {};
    }
}

QHash<int, QByteArray> HistoryModel::roleNames() const
{
    return {{TimeRole, "time"},     {TimeTextRole, "timeText"}, {LevelRole, "level"},
            {MessageRole, "message"}, {SummaryRole, "summary"}, {CodeRole, "code"},
            {EdgeRole, "edge"},     {EventRole, "event"},       {DetailRole, "detail"}};
}

} // namespace s16
