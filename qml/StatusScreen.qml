import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Status: the running version, the last check, what the updater is doing, "Check now".
ScreenPage {
    id: screen

    initialFocus: checkButton

    heading: qsTr("Software update")

    Label {
        Layout.fillWidth: true
        text: qsTr("Running version: %1").arg(screen.controller.currentVersion)
        wrapMode: Text.WordWrap
    }
    Label {
        Layout.fillWidth: true
        text: qsTr("Last check: %1").arg(screen.controller.lastCheckText)
        wrapMode: Text.WordWrap
    }
    RowLayout {
        Layout.fillWidth: true
        spacing: 12
        BusyIndicator {
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
    TouchButton {
        id: checkButton
        objectName: "checkButton"
        Layout.alignment: Qt.AlignRight
        text: qsTr("Check now")
        highlighted: true
        enabled: screen.controller.ready && !screen.controller.busy
        onClicked: screen.controller.check()
    }
}
