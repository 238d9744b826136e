import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// After a reboot: whether the update took, and why not when it did not (in plain words;
// the engine's own text only under "Technical details").
ScreenPage {
    id: screen

    initialFocus: okButton

    property bool detailsShown: false

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
    ScrollView {
        objectName: "details"
        Layout.fillWidth: true
        Layout.fillHeight: true
        visible: screen.detailsShown
        clip: true
        contentWidth: availableWidth

        Label {
            objectName: "detailsText"
            width: parent.width
            text: screen.controller.outcomeDetails
            font.family: "monospace"
            font.pixelSize: 14
            wrapMode: Text.WrapAtWordBoundaryOrAnywhere
        }
    }
    Item {
        Layout.fillHeight: true
        visible: !screen.detailsShown
    }
    ButtonRow {
        narrow: screen.narrow

        TouchButton {
            id: okButton
            objectName: "okButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("OK")
            highlighted: true
            onClicked: screen.controller.dismissOutcome()
        }
        TouchButton {
            objectName: "detailsButton"
            width: screen.narrow ? parent.width : implicitWidth
            visible: screen.controller.outcomeDetails.length > 0
            text: screen.detailsShown ? qsTr("Hide details") : qsTr("Technical details")
            flat: true
            onClicked: screen.detailsShown = !screen.detailsShown
        }
    }
}
