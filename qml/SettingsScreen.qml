import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Settings: consent to diagnostic data (off until the user turns it on), what it
// means, and a preview of exactly what would be sent.
ScreenPage {
    id: screen

    initialFocus: consentSwitch

    heading: qsTr("Settings")

    Switch {
        id: consentSwitch
        objectName: "consentSwitch"
        Layout.fillWidth: true
        Layout.preferredHeight: 56
        text: qsTr("Send diagnostic data when an update fails")
        checked: screen.controller.consent
        enabled: screen.controller.ready
        Accessible.name: consentSwitch.text
        onToggled: screen.controller.setConsent(consentSwitch.checked)
    }
    Label {
        Layout.fillWidth: true
        text: qsTr("When an update fails, the device can send a report to its maker so the problem can be fixed. The report holds the update state, the software versions and the recent update log: no personal data, no files, no passwords. Nothing is sent unless you turn this on, and you can turn it off at any time.")
        wrapMode: Text.WordWrap
    }
    Item {
        Layout.fillHeight: true
    }
    TouchButton {
        objectName: "previewButton"
        text: qsTr("What is sent?")
        onClicked: {
            previewText.text = screen.controller.diagnosticsPreview();
            preview.open();
        }
    }

    Popup {
        id: preview
        objectName: "previewPopup"
        parent: Overlay.overlay
        x: 16
        y: 16
        width: parent ? parent.width - 32 : 600
        height: parent ? parent.height - 32 : 400
        modal: true
        padding: 16

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
                    wrapMode: TextEdit.WrapAnywhere
                    Accessible.name: qsTr("Diagnostic data")
                }
            }
            TouchButton {
                objectName: "previewCloseButton"
                Layout.alignment: Qt.AlignRight
                text: qsTr("Close")
                onClicked: preview.close()
            }
        }
    }
}
