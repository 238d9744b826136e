import QtQuick
import QtTest
import S16.Update
import S16.Test

// The window: the controller's page picks the screen; the tool bar opens Settings and
// History; an urgent screen (priority, outcome) takes over.
TestCase {
    id: testCase
    name: "Main"
    when: windowShown

    Component {
        id: deviceComponent
        TestDevice {}
    }
    Component {
        id: mainComponent
        Main {}
    }

    function make(setup) {
        const device = createTemporaryObject(deviceComponent, testCase);
        verify(device.valid, device.error);
        if (setup)
            setup(device);
        verify(device.startService(), device.error);
        const window = createTemporaryObject(mainComponent, testCase, { configFile: device.configPath });
        verify(window);
        waitForRendering(window.contentItem);
        return { device: device, window: window, controller: window.controller };
    }

    function shown(window, name) {
        const item = findChild(window.contentItem, name);
        verify(item, "no item " + name);
        return item.visible;
    }

    function test_screenFollowsPage() {
        const t = make(function (d) { d.stage("2.1.0", false); });
        compare(t.window.width, 800);
        compare(t.window.height, 480);
        verify(shown(t.window, "availableScreen"));
        verify(!shown(t.window, "statusScreen"));
        t.controller.later();
        verify(shown(t.window, "statusScreen"));
    }

    function test_settingsAndBack() {
        const t = make();
        mouseClick(findChild(t.window.contentItem, "settingsButton"));
        verify(shown(t.window, "settingsScreen"));
        verify(shown(t.window, "backButton"));
        mouseClick(findChild(t.window.contentItem, "backButton"));
        verify(shown(t.window, "statusScreen"));
        mouseClick(findChild(t.window.contentItem, "historyButton"));
        verify(shown(t.window, "historyScreen"));
    }

    function test_priorityTakesOver() {
        const t = make();
        mouseClick(findChild(t.window.contentItem, "historyButton"));
        verify(shown(t.window, "historyScreen"));
        // The daemon downloads a priority update meanwhile.
        t.device.stage("2.1.0", true);
        t.device.requestReboot();
        tryVerify(function () { return shown(t.window, "priorityScreen"); }, 5000);
        verify(!shown(t.window, "historyButton"));
        verify(!shown(t.window, "settingsButton"));
        compare(t.window.view, "");
    }

    function test_mainActionHasFocus() {
        const t = make(function (d) { d.outcome("updated", "2.1.0", "1.0.0", 0, ""); });
        const ok = findChild(t.window.contentItem, "okButton");
        tryVerify(function () { return ok.activeFocus; }, 2000);
        keyClick(Qt.Key_Return);
        tryVerify(function () { return t.device.value("outcome").seen === true; }, 5000);
        tryVerify(function () { return shown(t.window, "statusScreen"); }, 2000);
        tryVerify(function () { return findChild(t.window.contentItem, "checkButton").activeFocus; }, 2000);
    }
}
