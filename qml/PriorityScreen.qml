import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Priority: an important update restarts the device after a countdown; "Restart now",
// no "Later".
ScreenPage {
    id: screen

    initialFocus: restartButton

    heading: qsTr("Important update")

    Label {
        Layout.fillWidth: true
        text: qsTr("Version %1 fixes an important problem and is ready to install.").arg(screen.controller.availableVersion)
        wrapMode: Text.WordWrap
    }
    Label {
        objectName: "countdownNumber"
        Layout.alignment: Qt.AlignHCenter
        visible: !screen.controller.restarting
        text: screen.controller.countdown
        font.pixelSize: 72
        font.bold: true
        color: "#c62828"
        Accessible.ignored: true
    }
    Label {
        objectName: "countdownText"
        Layout.fillWidth: true
        text: screen.controller.restarting
              ? qsTr("Restarting…")
              : qsTr("The device restarts in %n second(s) to install it.", "", screen.controller.countdown)
        horizontalAlignment: Text.AlignHCenter
        font.pixelSize: 22
        font.bold: true
        wrapMode: Text.WordWrap
        Accessible.role: Accessible.StaticText
        Accessible.name: text
    }
    Label {
        Layout.fillWidth: true
        text: qsTr("Please save your work. Do not switch the device off while it installs.")
        wrapMode: Text.WordWrap
    }
    Item {
        Layout.fillHeight: true
    }
    TouchButton {
        id: restartButton
        objectName: "restartButton"
        Layout.alignment: Qt.AlignRight
        text: qsTr("Restart now")
        highlighted: true
        enabled: !screen.controller.restarting
        onClicked: screen.controller.restartNow()
    }
}
