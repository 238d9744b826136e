import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Error: what went wrong in plain language, what to do, and the technical details
// behind a button. "Try again" shows that it is trying until the job ends.
ScreenPage {
    id: screen

    initialFocus: retryButton

    property bool detailsShown: false

    heading: screen.controller.errorTitle

    Label {
        objectName: "adviceText"
        Layout.fillWidth: true
        text: screen.controller.errorAdvice
        wrapMode: Text.WordWrap
    }
    RowLayout {
        objectName: "tryingRow"
        Layout.fillWidth: true
        visible: screen.controller.busy
        spacing: 12
        BusyIndicator {
            objectName: "busyIndicator"
            Layout.preferredWidth: 40
            Layout.preferredHeight: 40
            running: screen.controller.busy
        }
        Label {
            objectName: "tryingText"
            Layout.fillWidth: true
            text: qsTr("Trying again…")
            font.bold: true
            wrapMode: Text.WordWrap
        }
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
            text: screen.controller.errorDetails
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
            id: retryButton
            objectName: "retryButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("Try again")
            highlighted: true
            enabled: !screen.controller.busy
            onClicked: screen.controller.retry()
        }
        TouchButton {
            objectName: "closeButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("Close")
            flat: true
            enabled: screen.controller.ready && !screen.controller.busy
            onClicked: screen.controller.dismissError()
        }
        TouchButton {
            objectName: "detailsButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: screen.detailsShown ? qsTr("Hide details") : qsTr("Technical details")
            flat: true
            onClicked: screen.detailsShown = !screen.detailsShown
        }
    }
}
