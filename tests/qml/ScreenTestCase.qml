import QtQuick
import QtTest
import S16.Update
import S16.Test

// A TestCase that builds a device, a controller opened on it, and the screen
// under test; setup(device) puts the device into its state first.
TestCase {
    id: testCase

    property Component screen

    width: 800
    height: 480
    visible: true
    when: windowShown

    Component {
        id: deviceComponent
        TestDevice {}
    }
    Component {
        id: controllerComponent
        UpdateController {}
    }

    // Made by make(), destroyed after each test, the screen before its controller.
    property var made: []

    function cleanup() {
        while (testCase.made.length > 0)
            testCase.made.pop().destroy();
        wait(0);
    }

    function keep(object) {
        testCase.made.push(object);
        return object;
    }

    // Another device, destroyed after everything else.
    function makeDevice() {
        const device = deviceComponent.createObject(testCase);
        verify(device.valid, device.error);
        testCase.made.unshift(device);
        return device;
    }

    function make(setup) {
        const device = keep(deviceComponent.createObject(testCase));
        verify(device.valid, device.error);
        if (setup)
            setup(device);
        verify(device.startService(), device.error);
        const controller = keep(controllerComponent.createObject(testCase, { configFile: device.configPath }));
        verify(controller.ready);
        const view = keep(testCase.screen.createObject(testCase, { controller: controller, width: 800, height: 480 }));
        verify(view);
        waitForRendering(view);
        return { device: device, controller: controller, view: view };
    }

    function child(view, name) {
        const item = findChild(view, name);
        verify(item, "no item " + name);
        return item;
    }
}
