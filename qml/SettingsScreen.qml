import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Settings: consent to diagnostic data (off until the user turns it on), what it
// means, and a preview of exactly what would be sent. The tool bar names the screen.
ScreenPage {
    id: screen

    initialFocus: consentSwitch
    // The preview is open: Escape belongs to it, not to the window's "Back".
    readonly property bool dialogOpen: preview.visible

    Switch {
        id: consentSwitch
        objectName: "consentSwitch"
        Layout.fillWidth: true
        implicitHeight: Math.max(56, implicitContentHeight + topPadding + bottomPadding,
                                 implicitIndicatorHeight + topPadding + bottomPadding)
        text: qsTr("Send diagnostic data when an update fails")
        checked: screen.controller.consent
        enabled: screen.controller.ready
        focusPolicy: Qt.StrongFocus
        Accessible.name: consentSwitch.text
        onToggled: screen.controller.setConsent(consentSwitch.checked)
        // Return and Enter switch it, as Space does.
        Keys.onReturnPressed: consentSwitch.flip()
        Keys.onEnterPressed: consentSwitch.flip()

        function flip() {
            consentSwitch.toggle();
            consentSwitch.toggled();
        }

        // Wraps instead of cutting the label off in a narrow window.
        contentItem: Label {
            objectName: "consentLabel"
            leftPadding: consentSwitch.indicator.width + consentSwitch.spacing
            text: consentSwitch.text
            wrapMode: Text.WordWrap
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            objectName: "focusRing"
            radius: 8
            color: "transparent"
            border.width: consentSwitch.activeFocus ? 3 : 0
            border.color: "#ff8f00"
        }
    }
    Label {
        objectName: "consentInfo"
        Layout.fillWidth: true
        text: qsTr("When an update fails, the device can send a report to its maker so the problem can be fixed. The report holds the update state, the software versions, the recent update log and a random number that this device made for its reports, so that reports from the same device can be told apart. It holds no name, no files and no passwords. Nothing is sent unless you turn this on, and you can turn it off at any time.")
        wrapMode: Text.WordWrap
    }
    Item {
        Layout.fillHeight: true
    }
    ButtonRow {
        narrow: screen.narrow

        TouchButton {
            id: previewButton
            objectName: "previewButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("What is sent?")
            onClicked: {
                previewText.text = screen.controller.diagnosticsPreview();
                preview.open();
            }
        }
    }

    // Modal: Tab, Space and Return stay inside it; Escape or "Close" closes it and the
    // focus returns to "What is sent?".
    Popup {
        id: preview
        objectName: "previewPopup"
        parent: Overlay.overlay
        x: 16
        y: 16
        width: parent ? parent.width - 32 : 600
        height: parent ? parent.height - 32 : 400
        modal: true
        focus: true
        closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutside
        padding: 16
        onOpened: previewCloseButton.forceActiveFocus(Qt.TabFocusReason)
        onClosed: previewButton.forceActiveFocus(Qt.TabFocusReason)

        ColumnLayout {
            anchors.fill: parent
            spacing: 8

            Label {
                Layout.fillWidth: true
                text: qsTr("This is what a report would hold now:")
                font.bold: true
                wrapMode: Text.WordWrap
            }
            ScrollView {
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true

                TextArea {
                    id: previewText
                    objectName: "previewText"
                    readOnly: true
                    font.family: "monospace"
                    font.pixelSize: 13
                    wrapMode: TextEdit.WrapAtWordBoundaryOrAnywhere
                    Accessible.name: qsTr("Diagnostic data")
                    // Tab leaves the text for the button instead of being typed.
                    KeyNavigation.tab: previewCloseButton
                    KeyNavigation.backtab: previewCloseButton
                }
            }
            TouchButton {
                id: previewCloseButton
                objectName: "previewCloseButton"
                Layout.alignment: Qt.AlignRight
                text: qsTr("Close")
                KeyNavigation.tab: previewText
                KeyNavigation.backtab: previewText
                onClicked: preview.close()
            }
        }
    }
}
