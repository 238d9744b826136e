import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Status: the running version, the last check and what it found, what the updater is
// doing, "Check now" (and "Show update" for an update put off with "Later").
ScreenPage {
    id: screen

    initialFocus: checkButton

    heading: qsTr("System software")

    Label {
        objectName: "versionText"
        Layout.fillWidth: true
        text: qsTr("Running version: %1").arg(screen.controller.currentVersion)
        wrapMode: Text.WordWrap
    }
    Label {
        objectName: "lastCheckText"
        Layout.fillWidth: true
        text: qsTr("Last check: %1").arg(screen.controller.lastCheckText)
        wrapMode: Text.WordWrap
    }
    RowLayout {
        Layout.fillWidth: true
        spacing: 12
        BusyIndicator {
            objectName: "busyIndicator"
            Layout.preferredWidth: 40
            Layout.preferredHeight: 40
            running: screen.controller.busy
            visible: running
        }
        Label {
            objectName: "stateText"
            Layout.fillWidth: true
            text: screen.controller.stateText
            font.bold: true
            wrapMode: Text.WordWrap
        }
    }
    Item {
        Layout.fillHeight: true
    }
    ButtonRow {
        narrow: screen.narrow

        TouchButton {
            id: checkButton
            objectName: "checkButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("Check now")
            highlighted: true
            enabled: screen.controller.ready && !screen.controller.busy
            onClicked: screen.controller.check()
        }
        TouchButton {
            objectName: "showUpdateButton"
            width: screen.narrow ? parent.width : implicitWidth
            visible: screen.controller.postponed
            text: qsTr("Show update")
            enabled: !screen.controller.busy
            onClicked: screen.controller.showUpdate()
        }
    }
}
