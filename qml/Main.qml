import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import S16.Update

// The updater's window: the screen the controller names (controller.page), or the
// Settings and History pages the user opened from the tool bar.
ApplicationWindow {
    id: window

    // Empty: $S16_UPDATE_CONFIG or /etc/s16-update/update.conf.
    property string configFile: ""
    // "" (the controller's page), "settings" or "history": where the user went.
    property string view: ""
    readonly property UpdateController controller: updateController
    readonly property bool urgent: updateController.page === "priority" || updateController.page === "outcome"

    width: 800
    height: 480
    visible: true
    title: qsTr("Software update")
    font.pixelSize: 18

    onUrgentChanged: {
        if (window.urgent)
            window.view = "";
    }

    UpdateController {
        id: updateController
        configFile: window.configFile
    }

    header: ToolBar {
        implicitHeight: 48

        RowLayout {
            anchors.fill: parent
            spacing: 4

            ToolButton {
                objectName: "backButton"
                visible: window.view !== ""
                text: "‹ " + qsTr("Back")
                implicitHeight: 48
                implicitWidth: Math.max(88, implicitContentWidth + leftPadding + rightPadding)
                font.pixelSize: 18
                Accessible.name: qsTr("Back")
                onClicked: window.view = ""
            }
            Label {
                Layout.fillWidth: true
                Layout.leftMargin: window.view === "" ? 16 : 0
                text: qsTr("Software update")
                elide: Text.ElideRight
                font.pixelSize: 20
            }
            ToolButton {
                objectName: "historyButton"
                visible: window.view === "" && !window.urgent
                text: qsTr("History")
                implicitHeight: 48
                implicitWidth: Math.max(88, implicitContentWidth + leftPadding + rightPadding)
                font.pixelSize: 18
                Accessible.name: text
                onClicked: window.view = "history"
            }
            ToolButton {
                objectName: "settingsButton"
                visible: window.view === "" && !window.urgent
                text: qsTr("Settings")
                implicitHeight: 48
                implicitWidth: Math.max(88, implicitContentWidth + leftPadding + rightPadding)
                font.pixelSize: 18
                Accessible.name: text
                onClicked: window.view = "settings"
            }
        }
    }

    StackLayout {
        id: stack
        objectName: "screens"
        anchors.fill: parent
        currentIndex: stack.indexFor(window.view !== "" ? window.view : updateController.page)

        function indexFor(name: string): int {
            switch (name) {
            case "available": return 1;
            case "progress": return 2;
            case "priority": return 3;
            case "error": return 4;
            case "outcome": return 5;
            case "settings": return 6;
            case "history": return 7;
            default: return 0;
            }
        }

        StatusScreen { objectName: "statusScreen"; controller: updateController }
        AvailableScreen { objectName: "availableScreen"; controller: updateController }
        ProgressScreen { objectName: "progressScreen"; controller: updateController }
        PriorityScreen { objectName: "priorityScreen"; controller: updateController }
        ErrorScreen { objectName: "errorScreen"; controller: updateController }
        OutcomeScreen { objectName: "outcomeScreen"; controller: updateController }
        SettingsScreen { objectName: "settingsScreen"; controller: updateController }
        HistoryScreen { objectName: "historyScreen"; controller: updateController }
    }
}
