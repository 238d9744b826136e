import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import S16.Update

// History: the updater's event log, newest first, in plain words. Up/Down move, Return,
// Enter, Space or a tap show a row's technical details. The tool bar names the screen.
ScreenPage {
    id: screen

    initialFocus: list

    ListView {
        id: list
        objectName: "historyList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        spacing: 4
        keyNavigationEnabled: true
        activeFocusOnTab: true
        focus: true
        currentIndex: 0
        highlightFollowsCurrentItem: true
        Accessible.name: qsTr("Update history")
        ScrollBar.vertical: ScrollBar {}
        model: HistoryModel {
            id: history
            controller: screen.controller
        }

        // The keys do what a tap does: the row's clicked() shows or hides its details.
        function toggleCurrent() {
            const row = list.currentItem as ItemDelegate;
            if (row)
                row.clicked();
        }
        Keys.onReturnPressed: list.toggleCurrent()
        Keys.onEnterPressed: list.toggleCurrent()
        Keys.onSpacePressed: list.toggleCurrent()

        delegate: ItemDelegate {
            id: row

            required property int index
            required property string timeText
            required property string summary
            required property string technical
            required property string level
            property bool expanded: false

            objectName: "historyRow" + index
            width: row.ListView.view ? row.ListView.view.width : 0
            implicitHeight: Math.max(56, row.implicitContentHeight + row.topPadding + row.bottomPadding)
            focusPolicy: Qt.NoFocus
            Accessible.name: row.summary
            onClicked: {
                row.ListView.view.currentIndex = row.index;
                row.expanded = !row.expanded;
            }

            background: Rectangle {
                radius: 6
                color: row.down ? "#dde6f3" : "transparent"
                border.width: row.ListView.isCurrentItem && row.ListView.view.activeFocus ? 3 : 0
                border.color: "#ff8f00"
            }

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
                        objectName: "summaryText"
                        Layout.fillWidth: true
                        text: row.summary
                        font.bold: row.level !== "info"
                        wrapMode: Text.WordWrap
                    }
                    Label {
                        objectName: "timeText"
                        Layout.fillWidth: true
                        text: row.timeText
                        font.pixelSize: 14
                        opacity: 0.7
                        wrapMode: Text.WordWrap
                    }
                    Label {
                        objectName: "technicalText"
                        Layout.fillWidth: true
                        visible: row.expanded
                        text: qsTr("Technical details:") + "\n" + row.technical
                        font.family: "monospace"
                        font.pixelSize: 13
                        wrapMode: Text.WrapAtWordBoundaryOrAnywhere
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
