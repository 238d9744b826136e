import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "StatusScreen"
    screen: Component { StatusScreen {} }

    SignalSpy {
        id: finished
        signalName: "jobFinished"
    }

    function test_showsState() {
        const t = make(function (d) { d.set("lastCheck", "2026-11-20T10:00:00Z"); });
        // Not the tool bar's "Software update" again (item 11).
        compare(t.view.heading, "System software");
        compare(child(t.view, "stateText").text, "No update is waiting.");
        verify(t.controller.lastCheckText !== "Never");
        verify(!child(t.view, "showUpdateButton").visible);
    }

    function test_checkNowByTouch() {
        const t = make();
        finished.clear();
        finished.target = t.controller;
        const button = child(t.view, "checkButton");
        verify(button.enabled);
        verify(button.height >= 48);
        compare(button.Accessible.name, "Check now");
        mouseClick(button);
        // The refused connection may end the check before mouseClick returns.
        if (finished.count === 0)
            finished.wait(20000);
        compare(finished.count, 1);
        // Nothing listens on the test server's port: the error is the engine's own.
        compare(t.controller.lastError.code, 10);
        compare(t.controller.page, UpdateController.Error);
        verify(button.enabled);
    }

    function test_otherConfigFile() {
        const t = make();
        compare(t.controller.page, UpdateController.Status);
        const other = makeDevice();
        verify(other.stage("2.1.0", false));
        // One service per device: the other device's takes over the bus.
        t.device.stopService();
        verify(other.startService(), other.error);
        t.controller.configFile = other.configPath;
        tryCompare(t.controller, "page", UpdateController.Available, 5000);
        compare(t.controller.availableVersion, "2.1.0");
    }

    function test_busyDisablesCheck() {
        const t = make();
        const button = child(t.view, "checkButton");
        t.device.holdLock(true);
        t.controller.check();   // refused by the service: another program holds the engine
        tryVerify(function () { return !t.controller.busy; }, 5000);
        tryCompare(t.controller.lastError, "code", 2, 5000);
        t.device.holdLock(false);
        t.controller.dismissError();
        t.controller.check();
        // The call is on its way: the job runs until the service says it ended.
        verify(t.controller.busy);
        verify(!button.enabled);
        tryVerify(function () { return !t.controller.busy; }, 20000);
        verify(button.enabled);
    }

    function test_checkNowByKeyboard() {
        const t = make();
        const button = child(t.view, "checkButton");
        button.forceActiveFocus();
        verify(button.activeFocus);
        finished.clear();
        finished.target = t.controller;
        keyClick(Qt.Key_Return);
        if (finished.count === 0)
            finished.wait(20000);
        compare(finished.count, 1);
        compare(t.controller.lastError.code, 10);
    }

    // Item 3: after "Later" the screen still says an update is there, and can show it again.
    function test_laterThenShowUpdate() {
        const t = make(function (d) { d.checked("2.1.0"); });
        compare(t.controller.page, UpdateController.Available);
        t.controller.later();
        compare(t.controller.page, UpdateController.Status);
        compare(child(t.view, "stateText").text, "Version 2.1.0 is available.");
        verify(child(t.view, "lastCheckText").text.indexOf("version 2.1.0 found") >= 0, child(t.view, "lastCheckText").text);
        const show = child(t.view, "showUpdateButton");
        verify(show.visible);
        mouseClick(show);
        compare(t.controller.page, UpdateController.Available);
    }
}
