import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// After a reboot: whether the update took, and why not when it did not.
ScreenPage {
    id: screen

    initialFocus: okButton

    heading: screen.controller.outcomeSuccess ? qsTr("Update complete") : qsTr("Update not installed")

    Label {
        objectName: "outcomeText"
        Layout.fillWidth: true
        text: screen.controller.outcomeMessage
        font.pixelSize: 22
        wrapMode: Text.WordWrap
    }
    Label {
        objectName: "reasonText"
        Layout.fillWidth: true
        visible: text.length > 0
        text: screen.controller.outcomeReason
        wrapMode: Text.WordWrap
    }
    Item {
        Layout.fillHeight: true
    }
    TouchButton {
        id: okButton
        objectName: "okButton"
        Layout.alignment: Qt.AlignRight
        text: qsTr("OK")
        highlighted: true
        onClicked: screen.controller.dismissOutcome()
    }
}
