import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Progress: percent, bytes, rate and time left while the update downloads or installs.
ScreenPage {
    id: screen

    readonly property bool measured: screen.controller.total > 0

    heading: screen.controller.stateText

    ProgressBar {
        objectName: "progressBar"
        Layout.fillWidth: true
        Layout.preferredHeight: 24
        from: 0
        to: 1
        value: screen.controller.progress
        indeterminate: !screen.measured
        Accessible.name: qsTr("Progress")
    }
    Label {
        objectName: "percentText"
        visible: screen.measured
        text: qsTr("%1%").arg(Math.round(screen.controller.progress * 100))
        font.pixelSize: 40
        font.bold: true
    }
    Label {
        objectName: "bytesText"
        Layout.fillWidth: true
        visible: screen.measured
        text: screen.controller.rateText.length > 0
              ? qsTr("%1 at %2").arg(screen.controller.bytesText).arg(screen.controller.rateText)
              : screen.controller.bytesText
        wrapMode: Text.WordWrap
    }
    Label {
        objectName: "etaText"
        Layout.fillWidth: true
        visible: screen.measured
        text: screen.controller.etaText
        wrapMode: Text.WordWrap
    }
    Label {
        Layout.fillWidth: true
        text: screen.controller.stateHint
        wrapMode: Text.WordWrap
    }
    Item {
        Layout.fillHeight: true
    }
}
