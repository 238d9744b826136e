#include "autopilot.h"

#include "updatecontroller.h"

#include <QCoreApplication>
#include <QTimer>
#include <QVariant>

#include <cstdio>

namespace {
constexpr int kDwellMs = 1500; // long enough for the screenshot of each screen
}

Autopilot::Autopilot(QObject *controller, int timeoutSeconds, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_timer(new QTimer(this))
    , m_timeoutMs(timeoutSeconds * 1000)
{
    m_total.start();
    m_onPage.start();
    connect(m_timer, &QTimer::timeout, this, &Autopilot::tick);
    m_timer->start(250);
    // The controller asks the device to restart: the demo's job here is done.
    connect(controller, SIGNAL(restartRequested()), this, SLOT(deleteLater()));
    connect(this, &QObject::destroyed, qApp, [] {
        std::fprintf(stderr, "s16-update-ui --auto: the device restarts\n");
        QTimer::singleShot(1000, qApp, [] { QCoreApplication::exit(0); });
    });
}

void Autopilot::quitLater(int code, const QString &why)
{
    if (m_quitting)
        return;
    m_quitting = true;
    std::fprintf(stderr, "s16-update-ui --auto: %s\n", qPrintable(why));
    QTimer::singleShot(1000, qApp, [code] { QCoreApplication::exit(code); });
}

void Autopilot::tick()
{
    if (m_total.elapsed() > m_timeoutMs) {
        quitLater(1, QStringLiteral("gave up after %1 s on the %2 screen").arg(m_timeoutMs / 1000).arg(m_page));
        return;
    }
    using s16::UpdateController;
    using Page = UpdateController::Page;
    const Page page = m_controller->property("page").value<Page>();
    const bool busy = m_controller->property("busy").toBool();
    if (const QString name = UpdateController::pageName(page); name != m_page) {
        m_page = name;
        m_pressed = false;
        m_onPage.restart();
        std::fprintf(stderr, "s16-update-ui --auto: %s screen\n", qPrintable(name));
    }
    if (busy || m_pressed || m_onPage.elapsed() < kDwellMs)
        return;
    if (page == Page::Status) {
        if (!m_checked) {
            m_checked = true;
            m_pressed = true;
            QMetaObject::invokeMethod(m_controller, "check");
        } else if (m_onPage.elapsed() > 2 * kDwellMs) {
            quitLater(0, QStringLiteral("no update to install"));
        }
    } else if (page == Page::Available) {
        m_pressed = true;
        QMetaObject::invokeMethod(m_controller, "updateNow");
    } else if (page == Page::Priority) {
        if (m_onPage.elapsed() > 2 * kDwellMs) { // let the countdown be seen
            m_pressed = true;
            QMetaObject::invokeMethod(m_controller, "restartNow");
        }
    } else if (page == Page::Outcome) {
        quitLater(m_controller->property("outcomeSuccess").toBool() ? 0 : 3, m_controller->property("outcomeMessage").toString());
    } else if (page == Page::Error) {
        quitLater(1, m_controller->property("errorTitle").toString());
    }
}
