import QtQuick
import QtQuick.Layouts

// A screen's buttons, the first one (the main action) rightmost: side by side in a wide
// window; one under the other when the window is narrow (ScreenPage.narrow), each then
// as wide as the row (buttons inside set width: row.narrow ? row.width : implicitWidth),
// so that none leaves a portrait window.
Flow {
    id: row

    property bool narrow: false

    Layout.fillWidth: true
    Layout.preferredHeight: row.implicitHeight
    layoutDirection: Qt.RightToLeft
    spacing: 12
}
