import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Priority: an important update restarts the device after a countdown; "Restart now",
// no "Later". What the update brings is its release notes, not a claim of ours.
ScreenPage {
    id: screen

    initialFocus: restartButton

    heading: qsTr("Important update")

    Label {
        objectName: "introText"
        Layout.fillWidth: true
        text: qsTr("Version %1 is marked as important by the maker of this device and is ready to install.").arg(screen.controller.availableVersion)
        wrapMode: Text.WordWrap
    }
    ScrollView {
        Layout.fillWidth: true
        Layout.fillHeight: true
        Layout.minimumHeight: 48
        clip: true
        contentWidth: availableWidth
        Accessible.name: qsTr("What is new")

        Label {
            objectName: "notesText"
            width: parent.width
            text: screen.controller.notesText
            wrapMode: Text.WordWrap
        }
    }
    RowLayout {
        Layout.fillWidth: true
        spacing: 16
        Label {
            objectName: "countdownNumber"
            // both: a RowLayout in Qt 6.4 does not always lay out again when only the minimum grows (0 -> 10)
            Layout.minimumWidth: implicitWidth
            Layout.preferredWidth: implicitWidth
            visible: !screen.controller.restarting
            text: screen.controller.countdown
            font.pixelSize: 48
            font.bold: true
            color: "#c62828"
            Accessible.ignored: true
        }
        Label {
            objectName: "countdownText"
            Layout.fillWidth: true
            Layout.preferredWidth: 100 // takes what the number leaves
            text: screen.controller.restarting
                  ? qsTr("Restarting…")
                  : qsTr("The device restarts in %n second(s) to install it.", "", screen.controller.countdown)
            font.pixelSize: 20
            font.bold: true
            wrapMode: Text.WordWrap
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
    }
    Label {
        Layout.fillWidth: true
        text: qsTr("Please save your work. Do not switch the device off while it installs.")
        wrapMode: Text.WordWrap
    }
    ButtonRow {
        narrow: screen.narrow
        TouchButton {
            id: restartButton
            objectName: "restartButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("Restart now")
            highlighted: true
            enabled: !screen.controller.restarting
            onClicked: screen.controller.restartNow()
        }
    }
}
