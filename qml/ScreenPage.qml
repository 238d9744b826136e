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
    // Takes the keyboard focus whenever the screen is shown, and again when a job that
    // disabled it ends.
    property Item initialFocus: null
    // Too narrow for a row of buttons (a portrait window): screens stack them.
    readonly property bool narrow: page.availableWidth > 0 && page.availableWidth < 560

    padding: 24
    Accessible.name: page.heading

    function focusMain() {
        if (page.visible && page.initialFocus && page.initialFocus.enabled)
            page.initialFocus.forceActiveFocus(Qt.TabFocusReason);
    }

    onVisibleChanged: page.focusMain()
    Component.onCompleted: page.focusMain()

    Connections {
        target: page.controller
        function onJobFinished() {
            const focused = page.Window.activeFocusItem;
            if (!focused || focused === page.Window.contentItem || !focused.visible || !focused.enabled)
                page.focusMain();
        }
    }

    ColumnLayout {
        id: column
        anchors.fill: parent
        spacing: 12

        Label {
            id: headingLabel
            objectName: "heading"
            Layout.fillWidth: true
            visible: text.length > 0
            font.pixelSize: 26
            font.bold: true
            wrapMode: Text.WordWrap
            Accessible.role: Accessible.Heading
        }
    }
}
