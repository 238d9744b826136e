import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import S16.Recovery
import "colors.js" as Colors

// The recovery progress screen. It shows RecoveryController's state and nothing else:
// the controller decides, this only draws. Colours and sizes follow the device UI
// (qml/): white, blue for progress, red only for what failed.
ApplicationWindow {
    id: window

    readonly property bool failed: RecoveryController.finished && !RecoveryController.succeeded

    width: 800
    height: 480
    visible: true
    title: qsTr("System update")
    color: "#ffffff"
    font.pixelSize: 18

    component StepEntry: QtObject {
        required property int step
        required property string title
    }

    readonly property list<StepEntry> steps: [
        StepEntry { step: InstallStage.Verify; title: qsTr("Check the update") },
        StepEntry { step: InstallStage.Install; title: qsTr("Write the new version") },
        StepEntry { step: InstallStage.Migrate; title: qsTr("Prepare your data") },
        StepEntry { step: InstallStage.RestartServices; title: qsTr("Switch to the new version") }
    ]

    function etaText(seconds: int): string {
        if (seconds < 60)
            return qsTr("About %n second(s) left", "", Math.max(seconds, 1))
        return qsTr("About %n minute(s) left", "", Math.ceil(seconds / 60))
    }

    Flickable {
        anchors.fill: parent
        contentWidth: width
        contentHeight: column.implicitHeight + 2 * column.anchors.margins
        boundsBehavior: Flickable.StopAtBounds
        clip: true

        ColumnLayout {
            id: column
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.top: parent.top
            anchors.margins: 24
            spacing: 12

            Label {
                objectName: "title"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                font.pixelSize: 26
                font.bold: true
                color: window.failed ? Colors.bad : "#212121"
                text: RecoveryController.succeeded ? qsTr("The new version is installed")
                      : window.failed ? qsTr("Update not installed")
                      : RecoveryController.rollingBack ? qsTr("Restoring the previous version")
                      : qsTr("Installing the update")
                Accessible.role: Accessible.Heading
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
                    readonly property bool passed: !stepRow.failed && (RecoveryController.reachedStep > step
                                                   || (RecoveryController.succeeded && RecoveryController.reachedStep >= step))

                    objectName: "step" + step
                    Layout.fillWidth: true
                    spacing: 12

                    Label {
                        objectName: "mark"
                        Layout.preferredWidth: 24
                        text: stepRow.current ? "▶" : stepRow.failed ? "✗" : stepRow.passed ? "✓" : "•"
                        color: stepRow.failed ? Colors.bad : stepRow.passed ? Colors.good : stepRow.current ? Colors.accent : "#9e9e9e"
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.WordWrap
                        text: stepRow.modelData.title
                        font.bold: stepRow.current
                        color: stepRow.failed ? Colors.bad : "#212121"
                        opacity: stepRow.current || stepRow.passed || stepRow.failed ? 1.0 : 0.6
                    }
                }
            }

            RowLayout {
                objectName: "rollbackRow"
                Layout.fillWidth: true
                visible: RecoveryController.rollingBack
                spacing: 12

                Label {
                    objectName: "rollbackMark"
                    Layout.preferredWidth: 24
                    // Restoring went well (finished): a plain tick; it is not the failure.
                    text: RecoveryController.finished ? "✓" : "▶"
                    color: RecoveryController.finished ? Colors.good : Colors.accent
                }
                Label {
                    Layout.fillWidth: true
                    wrapMode: Text.WordWrap
                    text: RecoveryController.finished ? qsTr("Previous version restored") : qsTr("Restoring the previous version")
                    font.bold: !RecoveryController.finished
                    color: "#212121"
                }
            }

            ProgressBar {
                id: bar

                // Where the block of the indeterminate bar stands: 0 to 1 and back.
                property real pulse

                objectName: "progressBar"
                Layout.fillWidth: true
                Layout.preferredHeight: 24
                visible: !RecoveryController.finished
                from: 0
                to: 100
                value: RecoveryController.percent
                indeterminate: RecoveryController.total <= 0
                background: Rectangle {
                    implicitHeight: 24
                    radius: 6
                    color: "#e3eaf5"
                }
                // Here, not in the deferred contentItem: an id there would make it immediate.
                SequentialAnimation on pulse {
                    running: bar.indeterminate && bar.visible
                    loops: Animation.Infinite
                    NumberAnimation { from: 0; to: 1; duration: 900 }
                    NumberAnimation { from: 1; to: 0; duration: 900 }
                }
                contentItem: Item {
                    implicitHeight: 24
                    Rectangle {
                        width: bar.indeterminate ? parent.width * 0.25 : bar.visualPosition * parent.width
                        x: bar.indeterminate ? (parent.width - width) * bar.pulse : 0
                        height: parent.height
                        radius: 6
                        color: Colors.accent
                    }
                }
            }

            Label {
                objectName: "bytesText"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                visible: !RecoveryController.finished && RecoveryController.total > 0
                text: qsTr("%1% · %2 of %3").arg(RecoveryController.percent)
                                           .arg(RecoveryController.bytesText)
                                           .arg(RecoveryController.totalText)
            }

            Label {
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                visible: !RecoveryController.finished && RecoveryController.etaSeconds >= 0
                text: window.etaText(RecoveryController.etaSeconds)
            }

            Label {
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                visible: !RecoveryController.finished
                text: qsTr("Do not switch the device off.")
                font.bold: true
                font.pixelSize: 20
            }

            Label {
                objectName: "outcomeText"
                Layout.fillWidth: true
                visible: RecoveryController.finished
                wrapMode: Text.WordWrap
                font.pixelSize: 20
                // After the restart the new version checks itself; only then is the update
                // kept (boot-complete). Saying "installed" here must not promise more.
                text: RecoveryController.succeeded
                      ? qsTr("The device now restarts into the new version and checks that it works. If it does not, the device goes back to the previous version by itself.")
                      : RecoveryController.failureText + " " + qsTr("The device now restarts with the previous version, which works as before.")
            }

            Label {
                Layout.fillWidth: true
                visible: window.failed && RecoveryController.technicalDetails.length > 0
                text: qsTr("Technical details")
                font.bold: true
                font.pixelSize: 14
                color: "#616161"
            }
            Label {
                objectName: "detailsText"
                Layout.fillWidth: true
                visible: window.failed && RecoveryController.technicalDetails.length > 0
                text: RecoveryController.technicalDetails
                wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                font.family: "monospace"
                font.pixelSize: 13
                color: "#616161"
            }
        }
    }
}
