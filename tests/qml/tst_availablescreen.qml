import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "AvailableScreen"
    screen: Component { AvailableScreen {} }

    function test_showsUpdate() {
        const t = make(function (d) { d.stage("2.1.0", false, 268435456); });
        compare(t.controller.page, UpdateController.Available);
        compare(t.view.heading, "Update available");
        compare(child(t.view, "versionText").text, "Version 2.1.0 (268.4 MB)");
        compare(child(t.view, "notesText").text, "Faster start-up.");
        compare(child(t.view, "laterButton").Accessible.name, "Later");
        compare(child(t.view, "updateButton").Accessible.name, "Update now");
    }

    function test_later() {
        const t = make(function (d) { d.stage("2.1.0", false); });
        mouseClick(child(t.view, "laterButton"));
        compare(t.controller.page, UpdateController.Status);
        compare(t.device.value("staged").version, "2.1.0");
    }

    function test_updateNow() {
        const t = make(function (d) { d.stage("2.1.0", false); });
        mouseClick(child(t.view, "updateButton"));
        // the service records the request; the screen waits for it
        tryCompare(t.controller, "state", UpdateController.RebootPending, 5000);
        compare(t.device.value("rebootPending"), true);
        tryVerify(function () { return t.device.rebooted(); }, 5000);
    }
}
