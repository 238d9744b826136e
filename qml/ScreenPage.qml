import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import S16.Update

// The frame every screen shares: a heading, then the screen's own items in a column.
// It only lays out; what to show comes from the controller.
Page {
    id: page

    required property UpdateController controller
    property alias heading: headingLabel.text
    default property alias content: column.data
    // Takes the keyboard focus whenever the screen is shown.
    property Item initialFocus: null

    padding: 24
    Accessible.name: page.heading
    onVisibleChanged: {
        if (page.visible && page.initialFocus)
            page.initialFocus.forceActiveFocus();
    }
    Component.onCompleted: {
        if (page.visible && page.initialFocus)
            page.initialFocus.forceActiveFocus();
    }

    ColumnLayout {
        id: column
        anchors.fill: parent
        spacing: 12

        Label {
            id: headingLabel
            Layout.fillWidth: true
            font.pixelSize: 26
            font.bold: true
            wrapMode: Text.WordWrap
            Accessible.role: Accessible.Heading
        }
    }
}
