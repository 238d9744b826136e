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
        compare(list.itemAtIndex(1).summary, "Checked for updates");
    }

    function test_followsTheLog() {
        const t = make();
        const list = child(t.view, "historyList");
        compare(list.count, 0);
        t.device.log("info", 0, "E39", "staged", "version 2.1.0 is ready to install");
        tryCompare(list, "count", 1, 3000);
        compare(list.itemAtIndex(0).summary, "Update downloaded and checked");
    }
}
