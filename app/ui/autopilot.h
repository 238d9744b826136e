#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>

class QTimer;

// --auto: clicks for the user, for the demo without a display. It only presses what
// a person would press on the screen the controller shows ("Check now", "Update now",
// "Restart now", closing the outcome), after letting each screen stay long enough to
// be seen and captured, and quits when the device restarts or the story is told.
class Autopilot : public QObject
{
    Q_OBJECT
public:
    Autopilot(QObject *controller, int timeoutSeconds, QObject *parent = nullptr);

private:
    void tick();
    void quitLater(int code, const QString &why);

    QObject *m_controller;
    QTimer *m_timer;
    QString m_page;
    QElapsedTimer m_onPage;
    QElapsedTimer m_total;
    int m_timeoutMs;
    bool m_checked = false;
    bool m_pressed = false; // acted on the current screen already
    bool m_quitting = false;
};
