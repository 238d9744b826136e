import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Error: what went wrong in plain language, what to do, and the technical details
// behind a button.
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
            wrapMode: Text.WrapAnywhere
        }
    }
    Item {
        Layout.fillHeight: true
        visible: !screen.detailsShown
    }
    RowLayout {
        Layout.fillWidth: true
        spacing: 12
        TouchButton {
            objectName: "detailsButton"
            text: screen.detailsShown ? qsTr("Hide details") : qsTr("Technical details")
            flat: true
            onClicked: screen.detailsShown = !screen.detailsShown
        }
        Item {
            Layout.fillWidth: true
        }
        TouchButton {
            objectName: "closeButton"
            text: qsTr("Close")
            flat: true
            enabled: screen.controller.ready
            onClicked: screen.controller.dismissError()
        }
        TouchButton {
            id: retryButton
        objectName: "retryButton"
            text: qsTr("Try again")
            highlighted: true
                onClicked: screen.controller.retry()
        }
    }
}
