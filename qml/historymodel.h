#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

namespace s16 {

class UpdateController;
struct LogEntry;

// The updater's event log for the History screen, newest first. It follows an
// UpdateController (reloading whenever the service's log gains entries) or, for C++
// users and tests, shows entries given directly. Roles: time (QDateTime, UTC),
// timeText (local, UpdateController::formatTime), level ("info", "warning", "error"),
// message (as logged, untranslated: only for technical details), summary (plain
// language in the user's language for every event, never the engine's text), code
// (exit code, 0 for events), edge, event, detail, technical (step, code, message and
// detail: what "Technical details" shows).
class HistoryModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_MOC_INCLUDE("updatecontroller.h")
    Q_PROPERTY(s16::UpdateController *controller READ controller WRITE setController NOTIFY controllerChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)

public:
    enum Role {
        TimeRole = Qt::UserRole + 1,
        TimeTextRole,
        LevelRole,
        MessageRole,
        SummaryRole,
        CodeRole,
        EdgeRole,
        EventRole,
        DetailRole,
        TechnicalRole,
    };
    Q_ENUM(Role)

    explicit HistoryModel(QObject *parent = nullptr);
    ~HistoryModel() override;

    [[nodiscard]] UpdateController *controller() const { return m_controller; }
    void setController(UpdateController *controller);
    // Shows these entries (oldest first, as the log lists them) instead of a controller's.
    void setEntries(const QList<LogEntry> &entries);

    [[nodiscard]] int count() const { return int(m_rows.size()); }
    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    Q_INVOKABLE void reload();

    // The plain, translated line the user reads for a log entry (never the engine's text).
    [[nodiscard]] static QString summaryOf(const LogEntry &entry);

Q_SIGNALS:
    void controllerChanged();
    void countChanged();

private:
    struct Row {
        QDateTime time;
        QString level, message, summary, edge, event, detail;
        int code = 0;
    };
    void show(const QList<LogEntry> &entries);

    QPointer<UpdateController> m_controller;
    QList<Row> m_rows;
};

} // namespace s16
