import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "HistoryScreen"
    screen: Component { HistoryScreen {} }

    function test_newestFirst() {
        const t = make(function (d) {
            d.log("info", 0, "E17", "checked", "version 2.1.0 is available");
            d.fail(14, "interrupted", "E34");
        });
        const list = child(t.view, "historyList");
        compare(list.count, 2);
        compare(list.itemAtIndex(0).summary, "The update could not be downloaded completely");
        compare(list.itemAtIndex(0).level, "error");
        compare(list.itemAtIndex(1).summary, "Checked for updates: version 2.1.0 found");
    }

    function test_followsTheLog() {
        const t = make();
        const list = child(t.view, "historyList");
        compare(list.count, 0);
        t.device.log("info", 0, "E39", "staged", "version 2.1.0 is ready to install");
        tryCompare(list, "count", 1, 5000);
        compare(list.itemAtIndex(0).summary, "Version 2.1.0 downloaded and checked");
    }

    // Item 7: no step number for the user; Return shows the row's technical details.
    function test_technicalDetailsOnReturn() {
        const t = make(function (d) { d.log("info", 0, "E65", "updated", "updated to 1.1.0 (slot B)"); });
        const list = child(t.view, "historyList");
        tryVerify(function () { return list.activeFocus; }, 2000);
        const row = list.itemAtIndex(0);
        compare(row.summary, "Updated to version 1.1.0");
        compare(child(row, "timeText").text.indexOf("E65"), -1);
        const technical = child(row, "technicalText");
        verify(!technical.visible);
        keyClick(Qt.Key_Return);
        verify(technical.visible);
        verify(technical.text.indexOf("updated to 1.1.0 (slot B)") >= 0, technical.text);
        verify(technical.text.indexOf("Step: E65") >= 0, technical.text);
        keyClick(Qt.Key_Space);
        verify(!technical.visible);
    }
}
