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
    // The controller decides when the screen must not be left (priority, outcome,
    // restarting, installing): no Settings or History then.
    readonly property bool urgent: updateController.urgent

    width: 800
    height: 480
    visible: true
    title: qsTr("Software update")
    font.pixelSize: 18

    onUrgentChanged: {
        if (window.urgent)
            window.view = "";
    }

    function back() {
        window.view = "";
    }

    UpdateController {
        id: updateController
        configFile: window.configFile
    }

    // Escape, the Back key and Alt+Left leave Settings and History, unless a dialog is
    // open there (Escape closes the dialog first).
    Shortcut {
        objectName: "backShortcut"
        // StandardKey is Qt's own enum, which Qt 6.4's qmllint has no type information for.
        sequences: [StandardKey.Back, "Escape", "Back"] // qmllint disable unqualified
        enabled: window.view !== "" && !settingsScreen.dialogOpen
        onActivated: window.back()
    }

    header: ToolBar {
        implicitHeight: 56

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 16
            spacing: 8

            ToolBarButton {
                id: backButton
                objectName: "backButton"
                visible: window.view !== ""
                text: "‹ " + qsTr("Back")
                Accessible.name: qsTr("Back")
                onClicked: window.back()
            }
            Label {
                objectName: "toolBarTitle"
                Layout.fillWidth: true
                Layout.leftMargin: window.view === "" ? 8 : 0
                text: window.view === "settings" ? qsTr("Settings")
                      : window.view === "history" ? qsTr("History")
                      : qsTr("Software update")
                elide: Text.ElideRight
                font.pixelSize: 20
                font.bold: true
                Accessible.role: Accessible.Heading
            }
            ToolBarButton {
                objectName: "historyButton"
                visible: window.view === "" && !window.urgent
                text: qsTr("History")
                onClicked: window.view = "history"
            }
            ToolBarButton {
                objectName: "settingsButton"
                visible: window.view === "" && !window.urgent
                text: qsTr("Settings")
                onClicked: window.view = "settings"
            }
        }
    }

    StackLayout {
        id: stack
        objectName: "screens"
        anchors.fill: parent
        currentIndex: window.view === "settings" ? 6
                      : window.view === "history" ? 7
                      : stack.indexFor(updateController.page)

        // Where the controller's page stands in the stack below.
        function indexFor(page: int): int {
            switch (page) {
            case UpdateController.Available: return 1;
            case UpdateController.Progress: return 2;
            case UpdateController.Priority: return 3;
            case UpdateController.Error: return 4;
            case UpdateController.Outcome: return 5;
            default: return 0;
            }
        }

        StatusScreen { objectName: "statusScreen"; controller: updateController }
        AvailableScreen { objectName: "availableScreen"; controller: updateController }
        ProgressScreen { objectName: "progressScreen"; controller: updateController }
        PriorityScreen { objectName: "priorityScreen"; controller: updateController }
        ErrorScreen { objectName: "errorScreen"; controller: updateController }
        OutcomeScreen { objectName: "outcomeScreen"; controller: updateController }
        SettingsScreen { id: settingsScreen; objectName: "settingsScreen"; controller: updateController }
        HistoryScreen { objectName: "historyScreen"; controller: updateController }
    }
}
