// Runs the tst_*.qml files beside this file. The setup registers the module and the
// TestDevice type (import S16.Test) and pins the language to English.
#include "testdevice.h"
#include "uitext.h"
#include "updateqml.h"

#include <QLocale>
#include <QQmlEngine>
#include <QQuickStyle>
#include <QtQuickTest>

class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        s16::installUiTranslator(QLocale());
        QQuickStyle::setStyle(QStringLiteral("Basic"));
        // The private system bus of every device's service, before anything connects.
        if (!s16::TestDevice::startTestBus())
            qFatal("cannot start the test's system bus");
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        s16::registerUpdateQml(*engine);
        qmlRegisterType<s16::TestDevice>("S16.Test", 1, 0, "TestDevice");
    }
};

QUICK_TEST_MAIN_WITH_SETUP(s16_ui, Setup)

#include "tst_qml.moc"
