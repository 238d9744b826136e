import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "PriorityScreen"
    screen: Component { PriorityScreen {} }

    function test_countsDown() {
        const t = make(function (d) { d.stage("2.1.0", true); d.requestReboot(); });
        compare(t.controller.page, UpdateController.Priority);
        // the service began its 60 s when it started, a moment before this screen
        const start = t.controller.countdown;
        verify(start >= 55 && start <= 60, "countdown " + start);
        compare(child(t.view, "countdownText").text, "The device restarts in " + start + " seconds to install it.");
        tryCompare(child(t.view, "countdownText"), "text", "The device restarts in " + (start - 1) + " seconds to install it.", 2500);
        verify(!t.device.rebooted());
        // No way to put it off.
        compare(findChild(t.view, "laterButton"), null);
    }

    function test_restartNow() {
        const t = make(function (d) { d.stage("2.1.0", true); d.requestReboot(); });
        const button = child(t.view, "restartButton");
        compare(button.Accessible.name, "Restart now");
        mouseClick(button);
        tryVerify(function () { return t.device.rebooted(); }, 5000);
        // the service says so once its command ran
        tryCompare(child(t.view, "countdownText"), "text", "Restarting…", 5000);
        verify(!button.enabled);
    }

    function test_countdownEndsInRestart() {
        const t = make(function (d) { d.writeConfig(1); d.stage("2.1.0", true); d.requestReboot(); });
        tryVerify(function () { return t.device.rebooted(); }, 5000);
    }

    // Item 9: no claim of what the update fixes; the release notes instead.
    function test_showsNotesNotAClaim() {
        const t = make(function (d) { d.stage("2.1.0", true); d.requestReboot(); });
        const intro = child(t.view, "introText").text;
        compare(intro.indexOf("fixes"), -1, intro);
        verify(intro.indexOf("2.1.0") >= 0);
        compare(child(t.view, "notesText").text, "Faster start-up.");
    }
}
