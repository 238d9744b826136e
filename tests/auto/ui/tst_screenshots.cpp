#include "config/config.h"
#include "recoverycontroller.h"
#include "testdevice.h"
#include "uitext.h"
#include "updatecontroller.h"
#include "updateqml.h"
#include "support/datatable.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QFileInfo>
#include <QPainter>
#include <QImage>
#include <QLocale>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTest>
#include <QXmlStreamReader>

using namespace s16;

// Renders every screen of the UI and of the recovery screen at 800x480, 1280x800 and
// 480x800 (portrait) in English and German into PNG files
// (tests/screenshots/<lang>/<WxH>/<screen>.png in the build folder, or $S16_SCREENSHOT_DIR;
// scripts/screenshots makes the contact sheet of docs/screenshots from them) and fails on
// what a person would see as unfinished: a message the translations do not cover, a text
// that does not fit its box, or any item that leaves the window.
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
    void recovery_data();
    void recovery();
    void cleanupTestCase();

private:
    QString m_outDir;
};

namespace {

// Puts the device into the state the screen shows; returns the page the controller
// must then name, and the view the user opened ("settings", "history") if any.
struct Scene {
    UpdateController::Page page;
    QString view;
    bool (*setup)(TestDevice &);
    QString action; // "details", "preview": what the user opened on the screen; "no-service": no service runs
};

// The engine's own messages, as core/ logs them: the screen must show none of them.
bool withHistory(TestDevice &d)
{
    return d.log(QStringLiteral("info"), 0, QStringLiteral("E65"), QStringLiteral("updated"), QStringLiteral("updated to 1.1.0 (slot B)"))
           && d.log(QStringLiteral("info"), 0, QStringLiteral("E09"), QStringLiteral("consentOff"),
                    QStringLiteral("diagnostic data consent turned off; 0 unsent reports deleted"))
           && d.log(QStringLiteral("info"), 0, QStringLiteral("E17"), QStringLiteral("checked"),
                    QStringLiteral("version 2.1.0 is available (running 1.1.0)"))
           && d.log(QStringLiteral("warning"), 14, QStringLiteral("E34"), QStringLiteral("downloadInterrupted"),
                    QStringLiteral("images/s16-2.1.0.img interrupted at 1048576 of 268435456 bytes"))
           && d.stage(QStringLiteral("2.1.0"), false);
}

const QList<QSize> &sizes()
{
    static const QList<QSize> list{{800, 480}, {1280, 800}, {480, 800}};
    return list;
}

QString sizeName(const QSize &s) { return QStringLiteral("%1x%2").arg(s.width()).arg(s.height()); }

const QList<std::pair<const char *, Scene>> &scenes()
{
    static const QList<std::pair<const char *, Scene>> list{
        {"status",
         {UpdateController::Page::Status,
          {},
          [](TestDevice &d) { return d.checked(QStringLiteral("1.0.0"), QStringLiteral("2026-11-20T10:00:00Z")); },
          {}}},
        {"status-later",
         {UpdateController::Page::Available,
          {},
          [](TestDevice &d) { return d.checked(QStringLiteral("2.1.0"), QStringLiteral("2026-11-20T10:00:00Z")); },
          QStringLiteral("later")}},
        {"available",
         {UpdateController::Page::Available, {}, [](TestDevice &d) { return d.stage(QStringLiteral("2.1.0"), false, 268435456); }, {}}},
        {"progress",
         {UpdateController::Page::Progress, {}, [](TestDevice &d) { return d.downloading(96468992, 268435456, 2400000, 72); }, {}}},
        // A delta update: 19 MB cross the link for a 1.1 GB image.
        {"progress-delta",
         {UpdateController::Page::Progress,
          {},
          [](TestDevice &d) { return d.downloading(352321536, 1073741824, 2400000, 5, 19000000); },
          {}}},
        {"priority",
         {UpdateController::Page::Priority,
          {},
          [](TestDevice &d) { return d.stage(QStringLiteral("2.1.0"), true) && d.requestReboot(); },
          {}}},
        {"restarting",
         {UpdateController::Page::Progress,
          {},
          [](TestDevice &d) { return d.stage(QStringLiteral("2.1.0"), false) && d.requestReboot(); },
          {}}},
        {"error",
         {UpdateController::Page::Error,
          {},
          [](TestDevice &d) {
              return d.fail(10, QStringLiteral("cannot reach the update server: Connection refused"), QStringLiteral("E07"));
          },
          {}}},
        {"error-details",
         {UpdateController::Page::Error,
          {},
          [](TestDevice &d) {
              return d.fail(15, QStringLiteral("images/s16-2.1.0.img does not match its SHA-256"), QStringLiteral("E38"),
                            QStringLiteral("expected 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, got "
                                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
          },
          QStringLiteral("details")}},
        {"error-tls",
         {UpdateController::Page::Error,
          {},
          [](TestDevice &d) {
              return d.fail(11,
                            QStringLiteral("TLS handshake with updates.example.com failed: The certificate is self-signed, and untrusted"),
                            QStringLiteral("E12"), QStringLiteral("The certificate is self-signed, and untrusted"));
          },
          QStringLiteral("details")}},
        // The update service is not on the bus: the UI says so and waits for it.
        {"service-missing", {UpdateController::Page::Error, {}, [](TestDevice &) { return true; }, QStringLiteral("no-service")}},
        {"settings", {UpdateController::Page::Status, QStringLiteral("settings"), [](TestDevice &) { return true; }, {}}},
        {"settings-preview",
         {UpdateController::Page::Status, QStringLiteral("settings"),
          [](TestDevice &d) {
              return d.fail(13, QStringLiteral("bad signature"), QStringLiteral("E18")) && d.set(QStringLiteral("lastError"), QVariant());
          },
          QStringLiteral("preview")}},
        {"history", {UpdateController::Page::Available, QStringLiteral("history"), withHistory, {}}},
        {"history-empty", {UpdateController::Page::Status, QStringLiteral("history"), [](TestDevice &) { return true; }, {}}},
        {"outcome-updated",
         {UpdateController::Page::Outcome,
          {},
          [](TestDevice &d) { return d.outcome(QStringLiteral("updated"), QStringLiteral("2.1.0"), QStringLiteral("1.0.0")); },
          {}}},
        {"outcome-failed",
         {UpdateController::Page::Outcome,
          {},
          [](TestDevice &d) {
              return d.failedInstall(QStringLiteral("2.1.0"), QStringLiteral("1.0.0"), 20, QStringLiteral("E62"),
                                     QStringLiteral("the new system (slot A) failed its check: the services are not healthy"));
          },
          {}}},
        {"outcome-migration",
         {UpdateController::Page::Outcome,
          {},
          [](TestDevice &d) {
              return d.failedInstall(QStringLiteral("2.1.0"), QStringLiteral("1.0.0"), 20, QStringLiteral("E59"),
                                     QStringLiteral("cannot migrate the database: the migration to schema 2 failed"));
          },
          QStringLiteral("details")}},
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
        else if (!clippedByAncestor(item)
                 && (scene.left() < -0.5 || scene.right() > window.width() + 0.5 || scene.top() < -0.5
                     || scene.bottom() > window.height() + 0.5))
            why = QStringLiteral("reaches out of the window (%1,%2 %3x%4)")
                      .arg(scene.x())
                      .arg(scene.y())
                      .arg(scene.width())
                      .arg(scene.height());
        if (!why.isEmpty())
            out->append(QStringLiteral("\"%1\" %2").arg(text.left(60), why));
    }
    // Any other item (a button, a switch) must stay inside the window too.
    if (!isText(item) && item->width() > 0 && item->height() > 0 && !clippedByAncestor(item)) {
        const QRectF scene = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        if (scene.left() < -0.5 || scene.right() > window.width() + 0.5 || scene.top() < -0.5 || scene.bottom() > window.height() + 0.5)
            out->append(QStringLiteral("%1 \"%2\" reaches out of the window (%3,%4 %5x%6)")
                            .arg(QString::fromLatin1(item->metaObject()->className()), item->objectName())
                            .arg(scene.x())
                            .arg(scene.y())
                            .arg(scene.width())
                            .arg(scene.height()));
    }
    const QList<QQuickItem *> children = item->childItems();
    for (const QQuickItem *child : children)
        collectMisfits(child, window, out);
}

// The words of the engine that a user must never read on a screen (issue 14).
QStringList engineWords(const QQuickItem *item, bool detailsOpen)
{
    QStringList out;
    if (!item->isVisible())
        return out;
    if (isText(item) && !(detailsOpen && item->objectName() == QLatin1String("detailsText"))) {
        const QString text = item->property("text").toString();
        for (const char *word : {"slot ", "schema", "healthy", "E17", "E09", "step E", "consent turned"})
            if (text.contains(QLatin1String(word)))
                out.append(text.left(80));
    }
    const QList<QQuickItem *> children = item->childItems();
    for (const QQuickItem *child : children)
        out += engineWords(child, detailsOpen);
    return out;
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
    QVERIFY2(TestDevice::startTestBus(), "cannot start the test's system bus");
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
    QTest::newRow("wrapped but too low")
        << head + "Label { width: 60; height: 20; wrapMode: Text.WordWrap; text: 'a rather long sentence' } }" << true;
    QTest::newRow("out of the window") << head + "Label { x: 780; text: 'outside' } }" << true;
    QTest::newRow("a button out of the window") << head + "Button { x: 760; width: 120; height: 56 } }" << true;
    QTest::newRow("a clipped button") << head + "Flickable { width: 800; height: 480; clip: true; Button { x: 760; width: 120 } } }"
                                      << false;
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
    test::addRows<QString>("file", {{"en", QStringLiteral(S16_SOURCE_DIR "/translations/s16_en.ts")},
                                    {"de", QStringLiteral(S16_SOURCE_DIR "/translations/s16_de.ts")}});
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
    QTest::addColumn<QSize>("size");
    QTest::addColumn<int>("scene");
    for (const char *lang : {"en", "de"}) {
        for (const QSize &size : sizes()) {
            for (int i = 0; i < scenes().size(); ++i)
                QTest::addRow("%s/%s/%s", lang, qPrintable(sizeName(size)), scenes().at(i).first) << QString::fromLatin1(lang) << size << i;
        }
    }
}

void tst_Screenshots::screens()
{
    QFETCH(QString, lang);
    QFETCH(QSize, size);
    QFETCH(int, scene);
    const auto &[name, s] = scenes().at(scene);

    QLocale::setDefault(QLocale(lang == QStringLiteral("de") ? QLocale::German : QLocale::English,
                                lang == QStringLiteral("de") ? QLocale::Germany : QLocale::UnitedStates));
    QCOMPARE(installUiTranslator(QLocale()), lang);

    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    QVERIFY(s.setup(device));
    if (s.action != QStringLiteral("no-service"))
        QVERIFY2(device.startService(), qPrintable(device.error()));

    QQmlApplicationEngine engine;
    registerUpdateQml(engine);
    engine.setInitialProperties({{QStringLiteral("configFile"), device.configPath()}});
    engine.load(QUrl(QStringLiteral("qrc:/S16/Update/Main.qml")));
    QCOMPARE(engine.rootObjects().size(), 1);
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    QVERIFY(window);
    QCOMPARE(window->size(), QSize(800, 480));
    window->resize(size);
    QObject *controller = window->property("controller").value<QObject *>();
    QVERIFY(controller);
    QCOMPARE(controller->property("page").value<UpdateController::Page>(), s.page);
    if (!s.view.isEmpty())
        window->setProperty("view", s.view);
    QVERIFY(QTest::qWaitForWindowExposed(window));

    if (s.action == QStringLiteral("later")) {
        QMetaObject::invokeMethod(controller, "later");
    } else if (s.action == QStringLiteral("details")) {
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

    QCOMPARE(window->size(), size);
    const QImage image = window->grabWindow();
    QCOMPARE(image.size(), size);
    const QString dir = QStringLiteral("%1/%2/%3").arg(m_outDir, lang, sizeName(size));
    QVERIFY(QDir().mkpath(dir));
    const QString file = QStringLiteral("%1/%2.png").arg(dir, QString::fromLatin1(name));
    QVERIFY2(image.save(file), qPrintable(file));

    QStringList misfits;
    collectMisfits(window->contentItem(), QSizeF(window->size()), &misfits);
    if (auto *overlay = window->property("overlay").value<QQuickItem *>())
        collectMisfits(overlay, QSizeF(window->size()), &misfits);
    QVERIFY2(misfits.isEmpty(), qPrintable(file + QStringLiteral(": ") + misfits.join(QStringLiteral("; "))));
    const QStringList shownEngineText = engineWords(window->contentItem(), s.action == QStringLiteral("details"));
    QVERIFY2(shownEngineText.isEmpty(),
             qPrintable(file + QStringLiteral(": engine text on screen: ") + shownEngineText.join(QStringLiteral(" | "))));
}

// The recovery screen in each state a device shows it, at every size and in both
// languages: its title follows the install, a failure is told in plain words, and
// "restored" is not marked as a failure (issue 14, item 6).
void tst_Screenshots::recovery_data()
{
    QTest::addColumn<QString>("lang");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<QString>("state");
    QTest::addColumn<QString>("title");
    for (const char *lang : {"en", "de"}) {
        const bool de = QByteArray(lang) == "de";
        for (const QSize &size : sizes()) {
            const QString n = sizeName(size);
            QTest::addRow("%s/%s/installing", lang, qPrintable(n))
                << QString::fromLatin1(lang) << size << QStringLiteral("installing")
                << (de ? QStringLiteral("Das Update wird installiert") : QStringLiteral("Installing the update"));
            QTest::addRow("%s/%s/installed", lang, qPrintable(n))
                << QString::fromLatin1(lang) << size << QStringLiteral("installed")
                << (de ? QStringLiteral("Die neue Version ist installiert") : QStringLiteral("The new version is installed"));
            QTest::addRow("%s/%s/failed", lang, qPrintable(n))
                << QString::fromLatin1(lang) << size << QStringLiteral("failed")
                << (de ? QStringLiteral("Update nicht installiert") : QStringLiteral("Update not installed"));
        }
    }
}

void tst_Screenshots::recovery()
{
    QFETCH(QString, lang);
    QFETCH(QSize, size);
    QFETCH(QString, state);
    QFETCH(QString, title);
    QLocale::setDefault(QLocale(lang == QStringLiteral("de") ? QLocale::German : QLocale::English,
                                lang == QStringLiteral("de") ? QLocale::Germany : QLocale::UnitedStates));
    QCOMPARE(installUiTranslator(QLocale()), lang);

    TestDevice device;
    QVERIFY2(device.isValid(), qPrintable(device.error()));
    auto config = loadConfig(device.configPath());
    QVERIFY2(config, qPrintable(config ? QString() : config.error().message));
    RecoveryController controller(*config);
    if (state == QStringLiteral("installing")) {
        controller.stageForTest(InstallStage::Verify);
        controller.stageForTest(InstallStage::Install);
        controller.progressForTest(107374182, 268435456);
    } else if (state == QStringLiteral("installed")) {
        for (auto step : {InstallStage::Verify, InstallStage::Install, InstallStage::Migrate, InstallStage::RestartServices})
            controller.stageForTest(step);
        controller.finishForTest(0);
    } else {
        controller.stageForTest(InstallStage::Verify);
        controller.stageForTest(InstallStage::Install);
        controller.stageForTest(InstallStage::Migrate);
        controller.stageForTest(InstallStage::RollingBack);
        controller.finishForTest(20, QStringLiteral("cannot migrate the database: the migration to schema 2 failed"), QStringLiteral("E59"),
                                 QStringLiteral("no such table: settings"));
    }

    QQmlApplicationEngine engine;
    qmlRegisterSingletonInstance("S16.Recovery", 1, 0, "RecoveryController", &controller);
    qmlRegisterUncreatableMetaObject(InstallStage::staticMetaObject, "S16.Recovery", 1, 0, "InstallStage",
                                     QStringLiteral("InstallStage holds the install's stages only"));
    engine.load(QUrl::fromLocalFile(QStringLiteral(S16_SOURCE_DIR "/recovery/qml/Main.qml")));
    QCOMPARE(engine.rootObjects().size(), 1);
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    QVERIFY(window);
    window->resize(size);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    QTest::qWait(300);

    auto *titleLabel = findByName(window->contentItem(), QStringLiteral("title"));
    QVERIFY(titleLabel);
    QCOMPARE(titleLabel->property("text").toString(), title);
    if (state == QStringLiteral("failed")) {
        auto *mark = findByName(window->contentItem(), QStringLiteral("rollbackMark"));
        QVERIFY(mark && mark->isVisible());
        QCOMPARE(mark->property("text").toString(), QStringLiteral("✓"));
        QVERIFY2(mark->property("color").value<QColor>() != QColor(QStringLiteral("#c62828")), "restoring is marked as failed");
        const QString outcome = findByName(window->contentItem(), QStringLiteral("outcomeText"))->property("text").toString();
        QVERIFY2(!outcome.contains(QStringLiteral("schema")) && !outcome.contains(QStringLiteral("migrate")), qPrintable(outcome));
        QVERIFY(outcome.startsWith(lang == QStringLiteral("de") ? QStringLiteral("Ihre Daten konnten nicht")
                                                                : QStringLiteral("Your data could not")));
    }
    if (state == QStringLiteral("installed")) {
        const QString outcome = findByName(window->contentItem(), QStringLiteral("outcomeText"))->property("text").toString();
        // Not "The update is installed" before the new system has proven itself.
        QVERIFY2(outcome.contains(lang == QStringLiteral("de") ? QStringLiteral("prüft") : QStringLiteral("checks")), qPrintable(outcome));
    }

    const QString dir = QStringLiteral("%1/%2/%3").arg(m_outDir, lang, sizeName(size));
    QVERIFY(QDir().mkpath(dir));
    const QString file = QStringLiteral("%1/recovery-%2.png").arg(dir, state);
    QVERIFY2(window->grabWindow().save(file), qPrintable(file));
    QStringList misfits;
    collectMisfits(window->contentItem(), QSizeF(window->size()), &misfits);
    QVERIFY2(misfits.isEmpty(), qPrintable(file + QStringLiteral(": ") + misfits.join(QStringLiteral("; "))));
}

namespace {

// One sheet of thumbnails, a few per row, each with its screen's name under it, stored
// with a small palette so that docs/screenshots stays small.
bool writeSheet(const QString &dir, const QString &title, const QSize &thumb, int columns, const QString &file)
{
    const QStringList names = QDir(dir).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    if (names.isEmpty())
        return false;
    const int label = 18;
    const int gap = 8;
    const int head = 30;
    const int rows = int((names.size() + columns - 1) / columns);
    QImage sheet(columns * (thumb.width() + gap) + gap, head + rows * (thumb.height() + label + gap) + gap, QImage::Format_RGB32);
    sheet.fill(QColor(QStringLiteral("#eceff1")));
    QPainter painter(&sheet);
    QFont font = painter.font();
    font.setPixelSize(16);
    font.setBold(true);
    painter.setFont(font);
    painter.drawText(QRect(gap, 0, sheet.width() - 2 * gap, head), Qt::AlignVCenter | Qt::AlignLeft, title);
    font.setPixelSize(12);
    font.setBold(false);
    painter.setFont(font);
    for (int i = 0; i < names.size(); ++i) {
        const QImage shot = QImage(dir + QLatin1Char('/') + names.at(i)).scaled(thumb, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        const int x = gap + (i % columns) * (thumb.width() + gap);
        const int y = head + (i / columns) * (thumb.height() + label + gap);
        painter.drawImage(x, y, shot);
        painter.setPen(QColor(QStringLiteral("#90a4ae")));
        painter.drawRect(x, y, shot.width() - 1, shot.height() - 1);
        painter.setPen(Qt::black);
        painter.drawText(QRect(x, y + thumb.height(), thumb.width(), label), Qt::AlignCenter, QFileInfo(names.at(i)).completeBaseName());
    }
    painter.end();
    // A palette of the sheet's own most frequent colours (Qt's default is a fixed cube
    // that turns the UI's light blues cyan).
    QHash<QRgb, int> counts;
    for (int y = 0; y < sheet.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(sheet.constScanLine(y));
        for (int x = 0; x < sheet.width(); ++x)
            ++counts[line[x]];
    }
    QList<std::pair<int, QRgb>> byCount;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        byCount.append({it.value(), it.key()});
    std::sort(byCount.begin(), byCount.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    QList<QRgb> palette;
    for (qsizetype i = 0; i < std::min<qsizetype>(256, byCount.size()); ++i)
        palette.append(byCount.at(i).second);
    return sheet.convertToFormat(QImage::Format_Indexed8, palette, Qt::ThresholdDither | Qt::AvoidDither).save(file);
}

} // namespace

// With $S16_CONTACT_SHEET_DIR (scripts/screenshots): the contact sheets of every screen,
// landscape (800x480) and portrait (480x800), English and German.
void tst_Screenshots::cleanupTestCase()
{
    qInfo("screenshots in %s", qPrintable(QDir(m_outDir).absolutePath()));
    const QString sheets = qEnvironmentVariable("S16_CONTACT_SHEET_DIR");
    if (sheets.isEmpty())
        return;
    QVERIFY(QDir().mkpath(sheets));
    for (const char *lang : {"en", "de"}) {
        const QString l = QString::fromLatin1(lang);
        const QString language = l == QStringLiteral("de") ? QStringLiteral("Deutsch") : QStringLiteral("English");
        QVERIFY(writeSheet(QStringLiteral("%1/%2/800x480").arg(m_outDir, l), language + QStringLiteral(", 800x480"), QSize(240, 144), 5,
                           QStringLiteral("%1/%2-landscape.png").arg(sheets, l)));
        QVERIFY(writeSheet(QStringLiteral("%1/%2/480x800").arg(m_outDir, l), language + QStringLiteral(", 480x800"), QSize(144, 240), 8,
                           QStringLiteral("%1/%2-portrait.png").arg(sheets, l)));
    }
    qInfo("contact sheets in %s", qPrintable(QDir(sheets).absolutePath()));
}

QTEST_MAIN(tst_Screenshots)
#include "tst_screenshots.moc"
