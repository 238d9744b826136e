#include "testdevice.h"
#include "uitranslator.h"
#include "updateqml.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QLocale>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTest>
#include <QXmlStreamReader>

using namespace s16;

// Renders every screen of the UI at 800x480 in English and German into PNG files
// (tests/screenshots/<lang>/<screen>.png in the build folder, or $S16_SCREENSHOT_DIR)
// and fails on what a person would see as unfinished: a message the translations do
// not cover, or a text that does not fit its box.
class tst_Screenshots : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void misfitCheckFindsOverflow_data();
    void misfitCheckFindsOverflow();
    void translationsFinished_data();
    void translationsFinished();
    void screens_data();
    void screens();
    void cleanupTestCase();

private:
    QString m_outDir;
};

namespace {

// Puts the device into the state the screen shows; returns the page the controller
// must then name, and the view the user opened ("settings", "history") if any.
struct Scene {
    QString page;
    QString view;
    bool (*setup)(TestDevice &);
    QString action;  // "details", "preview": what the user opened on the screen
};

bool withHistory(TestDevice &d)
{
    return d.log(QStringLiteral("info"), 0, QStringLiteral("E17"), QStringLiteral("checked"), QStringLiteral("version 2.1.0 is available (running 1.0.0)"))
        && d.log(QStringLiteral("warning"), 14, QStringLiteral("E34"), QStringLiteral("downloadInterrupted"), QStringLiteral("images/s16-2.1.0.img interrupted at 1048576 of 268435456 bytes"))
        && d.stage(QStringLiteral("2.1.0"), false)
        && d.log(QStringLiteral("info"), 0, {}, QStringLiteral("committed"), QStringLiteral("slot B committed"));
}

const QList<std::pair<const char *, Scene>> &scenes()
{
    static const QList<std::pair<const char *, Scene>> list{
        {"status", {QStringLiteral("status"), {}, [](TestDevice &d) { return d.set(QStringLiteral("lastCheck"), QStringLiteral("2026-11-20T10:00:00Z")); }, {}}},
        {"available", {QStringLiteral("available"), {}, [](TestDevice &d) { return d.stage(QStringLiteral("2.1.0"), false, 268435456); }, {}}},
        {"progress", {QStringLiteral("progress"), {}, [](TestDevice &d) { return d.downloading(96468992, 268435456, 2400000, 72); }, {}}},
        {"priority", {QStringLiteral("priority"), {}, [](TestDevice &d) { return d.stage(QStringLiteral("2.1.0"), true) && d.requestReboot(); }, {}}},
        {"restarting", {QStringLiteral("progress"), {}, [](TestDevice &d) { return d.stage(QStringLiteral("2.1.0"), false) && d.requestReboot(); }, {}}},
        {"error", {QStringLiteral("error"), {}, [](TestDevice &d) { return d.fail(10, QStringLiteral("cannot reach the update server: Connection refused"), QStringLiteral("E07")); }, {}}},
        {"error-details", {QStringLiteral("error"), {}, [](TestDevice &d) { return d.fail(15, QStringLiteral("images/s16-2.1.0.img does not match its SHA-256"), QStringLiteral("E38"), QStringLiteral("expected 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, got e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")); }, QStringLiteral("details")}},
        {"settings", {QStringLiteral("status"), QStringLiteral("settings"), [](TestDevice &) { return true; }, {}}},
        {"settings-preview", {QStringLiteral("status"), QStringLiteral("settings"), [](TestDevice &d) { return d.fail(13, QStringLiteral("bad signature"), QStringLiteral("E18")) && d.set(QStringLiteral("lastError"), QVariant()); }, QStringLiteral("preview")}},
        {"history", {QStringLiteral("available"), QStringLiteral("history"), withHistory, {}}},
        {"history-empty", {QStringLiteral("status"), QStringLiteral("history"), [](TestDevice &) { return true; }, {}}},
        {"outcome-updated", {QStringLiteral("outcome"), {}, [](TestDevice &d) { return d.outcome(QStringLiteral("updated"), QStringLiteral("2.1.0"), QStringLiteral("1.0.0")); }, {}}},
        {"outcome-failed", {QStringLiteral("outcome"), {}, [](TestDevice &d) { return d.outcome(QStringLiteral("failed"), QStringLiteral("2.1.0"), QStringLiteral("1.0.0"), 20, QStringLiteral("the services did not become healthy after the update")); }, {}}},
    };
    return list;
}

bool isText(const QQuickItem *item) { return item->inherits("QQuickText"); }

bool clippedByAncestor(const QQuickItem *item)
{
    for (const QQuickItem *p = item->parentItem(); p; p = p->parentItem()) {
        if (p->clip() || p->inherits("QQuickFlickable"))
            return true;
    }
    return false;
}

// Every visible text that does not fit: cut off (elided or truncated), wider than
// its box without a way to wrap, taller than its box, or reaching out of the window.
void collectMisfits(const QQuickItem *item, const QSizeF &window, QStringList *out)
{
    if (!item->isVisible() || item->opacity() <= 0.0)
        return;
    if (isText(item)) {
        const QString text = item->property("text").toString();
        const double w = item->width();
        const double h = item->height();
        const bool wraps = item->property("wrapMode").toInt() != 0;
        const bool elides = item->property("elide").toInt() != Qt::ElideNone;
        const double implicitW = item->implicitWidth();
        const QRectF scene = item->mapRectToScene(QRectF(0, 0, w, h));
        QString why;
        if (text.isEmpty())
            ;
        else if (item->property("truncated").toBool())
            why = QStringLiteral("is cut off");
        else if (!wraps && !elides && implicitW > w + 0.5)
            why = QStringLiteral("needs %1 px but has %2").arg(implicitW).arg(w);
        else if (wraps && item->property("contentHeight").toDouble() > h + 1.0)
            why = QStringLiteral("needs %1 px height but has %2").arg(item->property("contentHeight").toDouble()).arg(h);
        else if (!clippedByAncestor(item) && (scene.left() < -0.5 || scene.right() > window.width() + 0.5
                                              || scene.top() < -0.5 || scene.bottom() > window.height() + 0.5))
            why = QStringLiteral("reaches out of the window (%1,%2 %3x%4)").arg(scene.x()).arg(scene.y()).arg(scene.width()).arg(scene.height());
        if (!why.isEmpty())
            out->append(QStringLiteral("\"%1\" %2").arg(text.left(60), why));
    }
    const QList<QQuickItem *> children = item->childItems();
    for (const QQuickItem *child : children)
        collectMisfits(child, window, out);
}

QQuickItem *findByName(QQuickItem *root, const QString &name)
{
    if (root->objectName() == name)
        return root;
    const QList<QQuickItem *> children = root->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = findByName(child, name))
            return found;
    }
    return nullptr;
}

} // namespace

void tst_Screenshots::initTestCase()
{
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    m_outDir = qEnvironmentVariable("S16_SCREENSHOT_DIR");
    if (m_outDir.isEmpty())
        m_outDir = QCoreApplication::applicationDirPath() + QStringLiteral("/../screenshots");
    QVERIFY(QDir().mkpath(m_outDir + QStringLiteral("/en")));
    QVERIFY(QDir().mkpath(m_outDir + QStringLiteral("/de")));
}

// The check itself: it must see what a person sees.
void tst_Screenshots::misfitCheckFindsOverflow_data()
{
    QTest::addColumn<QByteArray>("qml");
    QTest::addColumn<bool>("misfit");
    const QByteArray head = "import QtQuick\nimport QtQuick.Controls\nItem { width: 800; height: 480\n";
    QTest::newRow("fits") << head + "Label { width: 300; text: 'short' } }" << false;
    QTest::newRow("too wide, no wrap") << head + "Label { width: 60; text: 'a rather long sentence' } }" << true;
    QTest::newRow("wraps") << head + "Label { width: 60; wrapMode: Text.WordWrap; text: 'a rather long sentence' } }" << false;
    QTest::newRow("elided") << head + "Label { width: 60; elide: Text.ElideRight; text: 'a rather long sentence' } }" << true;
    QTest::newRow("wrapped but too low") << head + "Label { width: 60; height: 20; wrapMode: Text.WordWrap; text: 'a rather long sentence' } }" << true;
    QTest::newRow("out of the window") << head + "Label { x: 780; text: 'outside' } }" << true;
    QTest::newRow("hidden") << head + "Label { visible: false; width: 60; text: 'a rather long sentence' } }" << false;
}

void tst_Screenshots::misfitCheckFindsOverflow()
{
    QFETCH(QByteArray, qml);
    QFETCH(bool, misfit);
    QQmlEngine engine;
    QQmlComponent component(&engine);
    component.setData(qml, QUrl());
    std::unique_ptr<QObject> object(component.create());
    QVERIFY2(object, qPrintable(component.errorString()));
    auto *root = qobject_cast<QQuickItem *>(object.get());
    QVERIFY(root);
    QStringList misfits;
    collectMisfits(root, QSizeF(800, 480), &misfits);
    QCOMPARE(!misfits.isEmpty(), misfit);
}

void tst_Screenshots::translationsFinished_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("en") << QStringLiteral(S16_SOURCE_DIR "/translations/s16_en.ts");
    QTest::newRow("de") << QStringLiteral(S16_SOURCE_DIR "/translations/s16_de.ts");
}

void tst_Screenshots::translationsFinished()
{
    QFETCH(QString, file);
    QFile f(file);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(file));
    QXmlStreamReader xml(&f);
    int messages = 0;
    QString source;
    QStringList unfinished;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == QLatin1String("message")) {
            ++messages;
        } else if (xml.name() == QLatin1String("source")) {
            source = xml.readElementText();
        } else if (xml.name() == QLatin1String("translation")) {
            const QString type = xml.attributes().value(QLatin1String("type")).toString();
            const QString text = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            if (type == QLatin1String("unfinished") || text.trimmed().isEmpty())
                unfinished.append(source);
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(messages > 50);
    QVERIFY2(unfinished.isEmpty(), qPrintable(QStringLiteral("unfinished: ") + unfinished.join(QStringLiteral(" | "))));
}

void tst_Screenshots::screens_data()
{
    QTest::addColumn<QString>("lang");
    QTest::addColumn<int>("scene");
    for (const char *lang : {"en", "de"}) {
        for (int i = 0; i < scenes().size(); ++i)
            QTest::addRow("%s/%s", lang, scenes().at(i).first) << QString::fromLatin1(lang) << i;
    }
}

void tst_Screenshots::screens()
{
    QFETCH(QString, lang);
    QFETCH(int, scene);
    const auto &[name, s] = scenes().at(scene);

    QLocale::setDefault(QLocale(lang == QStringLiteral("de") ? QLocale::German : QLocale::English,
                                lang == QStringLiteral("de") ? QLocale::Germany : QLocale::UnitedStates));
    QCOMPARE(installUiTranslator(QLocale()), lang);

    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    QVERIFY(s.setup(device));

    QQmlApplicationEngine engine;
    registerUpdateQml(engine);
    engine.setInitialProperties({{QStringLiteral("configFile"), device.configPath()}});
    engine.load(QUrl(QStringLiteral("qrc:/S16/Update/Main.qml")));
    QCOMPARE(engine.rootObjects().size(), 1);
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    QVERIFY(window);
    QCOMPARE(window->size(), QSize(800, 480));
    QObject *controller = window->property("controller").value<QObject *>();
    QVERIFY(controller);
    QCOMPARE(controller->property("page").toString(), s.page);
    if (!s.view.isEmpty())
        window->setProperty("view", s.view);
    QVERIFY(QTest::qWaitForWindowExposed(window));

    if (s.action == QStringLiteral("details")) {
        auto *button = findByName(window->contentItem(), QStringLiteral("detailsButton"));
        QVERIFY(button);
        QMetaObject::invokeMethod(button, "clicked");
    } else if (s.action == QStringLiteral("preview")) {
        auto *button = findByName(window->contentItem(), QStringLiteral("previewButton"));
        QVERIFY(button);
        QMetaObject::invokeMethod(button, "clicked");
    }
    // Let layouts settle and popups finish opening.
    QTest::qWait(400);

    const QImage image = window->grabWindow();
    QCOMPARE(image.size(), QSize(800, 480));
    const QString file = QStringLiteral("%1/%2/%3.png").arg(m_outDir, lang, QString::fromLatin1(name));
    QVERIFY2(image.save(file), qPrintable(file));

    QStringList misfits;
    collectMisfits(window->contentItem(), QSizeF(window->size()), &misfits);
    QVERIFY2(misfits.isEmpty(), qPrintable(file + QStringLiteral(": ") + misfits.join(QStringLiteral("; "))));
}

void tst_Screenshots::cleanupTestCase() { qInfo("screenshots in %s", qPrintable(QDir(m_outDir).absolutePath())); }

QTEST_MAIN(tst_Screenshots)
#include "tst_screenshots.moc"
