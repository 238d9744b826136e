import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import S16.Update

// History: the updater's event log, newest first.
ScreenPage {
    id: screen

    initialFocus: list

    heading: qsTr("History")

    ListView {
        id: list
        objectName: "historyList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        spacing: 4
        keyNavigationEnabled: true
        activeFocusOnTab: true
        Accessible.name: qsTr("Update history")
        ScrollBar.vertical: ScrollBar {}
        model: HistoryModel {
            id: history
            controller: screen.controller
        }

        delegate: ItemDelegate {
            id: row

            required property string timeText
            required property string summary
            required property string message
            required property string level
            required property int code
            required property string edge

            width: row.ListView.view ? row.ListView.view.width : 0
            implicitHeight: Math.max(56, row.implicitContentHeight + row.topPadding + row.bottomPadding)
            Accessible.name: row.summary

            contentItem: RowLayout {
                spacing: 12

                Rectangle {
                    Layout.alignment: Qt.AlignTop
                    Layout.topMargin: 6
                    implicitWidth: 12
                    implicitHeight: 12
                    radius: 6
                    color: row.level === "error" ? "#c62828" : row.level === "warning" ? "#ef6c00" : "#2e7d32"
                }
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 2
                    Label {
                        Layout.fillWidth: true
                        text: row.summary
                        font.bold: row.level !== "info"
                        wrapMode: Text.WordWrap
                    }
                    Label {
                        Layout.fillWidth: true
                        text: row.edge.length > 0 ? qsTr("%1 · step %2").arg(row.timeText).arg(row.edge) : row.timeText
                        font.pixelSize: 14
                        opacity: 0.7
                        wrapMode: Text.WordWrap
                    }
                }
            }
        }

        Label {
            anchors.centerIn: parent
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            visible: list.count === 0
            text: qsTr("Nothing has happened yet.")
            wrapMode: Text.WordWrap
        }
    }
}
