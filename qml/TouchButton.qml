import QtQuick
import QtQuick.Controls

// A button sized for a finger (at least 56 x 120 px), usable with Tab, Return, Enter and
// Space. highlighted marks the screen's main action; flat a secondary one. The focused
// button always shows an orange ring, also when a screen gave it the focus.
Button {
    id: control

    implicitHeight: Math.max(56, implicitContentHeight + topPadding + bottomPadding)
    implicitWidth: Math.max(120, implicitContentWidth + leftPadding + rightPadding)
    leftPadding: 20
    rightPadding: 20
    focusPolicy: Qt.StrongFocus
    Accessible.name: control.text
    Keys.onReturnPressed: control.clicked()
    Keys.onEnterPressed: control.clicked()

    contentItem: Text {
        text: control.text
        font: control.font
        color: !control.enabled ? "#9e9e9e" : control.highlighted ? "#ffffff" : "#0d47a1"
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }

    background: Rectangle {
        objectName: "focusRing"
        radius: 8
        color: {
            if (!control.enabled)
                return "#eeeeee";
            if (control.highlighted)
                return control.down ? "#0d47a1" : "#1565c0";
            if (control.flat)
                return control.down ? "#dde6f3" : "transparent";
            return control.down ? "#c5d3e8" : "#e3eaf5";
        }
        border.width: control.activeFocus ? 3 : (control.flat ? 0 : 1)
        border.color: control.activeFocus ? "#ff8f00" : "#90a4c8"
    }
}
