#pragma once

class QQmlEngine;

namespace s16 {

// Makes the module S16.Update usable from an engine: registers its C++ types
// (UpdateController, HistoryModel) and adds "qrc:/" to the engine's import paths,
// where the module's QML files live (qrc:/S16/Update/). A static QML module's types
// are otherwise registered only when its plugin is imported by URI, which loading
// qrc:/S16/Update/Main.qml by URL does not do.
void registerUpdateQml(QQmlEngine &engine);

} // namespace s16
