import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import S16.Recovery

// The recovery progress screen. It shows RecoveryController's state and nothing else:
// the controller decides, this only draws.
ApplicationWindow {
    id: window

    width: 800
    height: 480
    visible: true
    title: qsTr("System update")

    component StepEntry: QtObject {
        required property int step
        required property string title
    }

    readonly property list<StepEntry> steps: [
        StepEntry { step: RecoveryController.Verify; title: qsTr("Verify") },
        StepEntry { step: RecoveryController.Install; title: qsTr("Install") },
        StepEntry { step: RecoveryController.Migrate; title: qsTr("Migrate data") },
        StepEntry { step: RecoveryController.RestartServices; title: qsTr("Restart services") }
    ]

    function etaText(seconds: int): string {
        if (seconds < 60)
            return qsTr("About %n second(s) left", "", seconds)
        return qsTr("About %n minute(s) left", "", Math.ceil(seconds / 60))
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 32
        spacing: 14

        Label {
            text: qsTr("Installing the update")
            font.pixelSize: 28
            font.bold: true
        }

        Repeater {
            model: window.steps

            delegate: RowLayout {
                id: stepRow

                required property StepEntry modelData
                readonly property int step: modelData.step
                readonly property bool current: !RecoveryController.finished && !RecoveryController.rollingBack
                                                && RecoveryController.step === step
                readonly property bool failed: RecoveryController.rollingBack && RecoveryController.reachedStep === step
                readonly property bool passed: RecoveryController.reachedStep > step
                                               || (RecoveryController.succeeded && RecoveryController.reachedStep >= step)

                spacing: 12

                Label {
                    Layout.preferredWidth: 24
                    font.pixelSize: 18
                    text: stepRow.current ? "▶" : stepRow.failed ? "✗" : stepRow.passed ? "✓" : "•"
                    color: stepRow.failed ? "#cd0000" : palette.windowText
                }
                Label {
                    text: stepRow.modelData.title
                    font.pixelSize: 18
                    font.bold: stepRow.current
                    opacity: stepRow.current || stepRow.passed || stepRow.failed ? 1.0 : 0.6
                }
            }
        }

        RowLayout {
            visible: RecoveryController.rollingBack
            spacing: 12

            Label {
                Layout.preferredWidth: 24
                font.pixelSize: 18
                text: RecoveryController.finished ? "✓" : "▶"
                color: "#cd0000"
            }
            Label {
                text: qsTr("Rolling back")
                font.pixelSize: 18
                font.bold: !RecoveryController.finished
                color: "#cd0000"
            }
        }

        ProgressBar {
            Layout.fillWidth: true
            from: 0
            to: 100
            value: RecoveryController.finished ? 100 : RecoveryController.percent
        }

        Label {
            visible: !RecoveryController.finished && RecoveryController.total > 0
            text: qsTr("%1% · %2 of %3").arg(RecoveryController.percent)
                                       .arg(RecoveryController.bytesText)
                                       .arg(RecoveryController.totalText)
        }

        Label {
            visible: !RecoveryController.finished && RecoveryController.etaSeconds >= 0
            text: window.etaText(RecoveryController.etaSeconds)
        }

        Label {
            visible: !RecoveryController.finished
            text: qsTr("Do not turn off the device")
            font.bold: true
            font.pixelSize: 20
        }

        Label {
            Layout.fillWidth: true
            visible: RecoveryController.finished
            wrapMode: Text.WordWrap
            font.pixelSize: 20
            text: RecoveryController.succeeded
                  ? qsTr("The update is installed. The device now starts the new system.")
                  : qsTr("The update could not be installed: %1. The device starts the previous system.")
                        .arg(RecoveryController.errorMessage)
        }

        Item { Layout.fillHeight: true }
    }
}
