import QtQuick
import QtQuick.Layouts

// A screen's buttons: side by side, right-aligned, in a wide window; one under the other,
// each the full width, when narrow (ScreenPage.narrow), so none leaves a portrait window.
// Buttons inside set Layout.fillWidth: row.narrow; spacers Item { visible: !row.narrow }.
GridLayout {
    id: row

    property bool narrow: false

    Layout.fillWidth: true
    columns: row.narrow ? 1 : 8
    columnSpacing: 12
    rowSpacing: 12
}
