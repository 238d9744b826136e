import QtQuick
import QtQuick.Controls

// A tool bar button (History, Settings, Back): 48 px high, pressed by Return, Enter or
// Space, with the same focus ring as TouchButton.
ToolButton {
    id: control

    implicitHeight: 48
    implicitWidth: Math.max(88, implicitContentWidth + leftPadding + rightPadding)
    font.pixelSize: 18
    focusPolicy: Qt.StrongFocus
    Accessible.name: control.text
    Keys.onReturnPressed: control.clicked()
    Keys.onEnterPressed: control.clicked()

    background: Rectangle {
        objectName: "focusRing"
        radius: 6
        color: control.down ? "#c5d3e8" : "transparent"
        border.width: control.activeFocus ? 3 : 0
        border.color: "#ff8f00"
    }
}
