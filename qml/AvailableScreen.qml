import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Update available: version, size and notes, "Update now" or "Later".
ScreenPage {
    id: screen

    initialFocus: updateButton

    heading: screen.controller.priority ? qsTr("Important update available") : qsTr("Update available")

    Label {
        objectName: "versionText"
        Layout.fillWidth: true
        text: screen.controller.sizeText.length > 0
              ? qsTr("Version %1 (%2)").arg(screen.controller.availableVersion).arg(screen.controller.sizeText)
              : qsTr("Version %1").arg(screen.controller.availableVersion)
        font.bold: true
        wrapMode: Text.WordWrap
    }
    ScrollView {
        Layout.fillWidth: true
        Layout.fillHeight: true
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
    ButtonRow {
        narrow: screen.narrow

        TouchButton {
            id: updateButton
            objectName: "updateButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("Update now")
            highlighted: true
            enabled: !screen.controller.busy
            onClicked: screen.controller.updateNow()
        }
        TouchButton {
            objectName: "laterButton"
            width: screen.narrow ? parent.width : implicitWidth
            text: qsTr("Later")
            flat: true
            enabled: !screen.controller.busy
            onClicked: screen.controller.later()
        }
    }
}
