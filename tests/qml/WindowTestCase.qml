import QtQuick
import QtTest
import S16.Update
import S16.Test

// A TestCase around the whole window (Main.qml) on a temporary device, at a size of the
// test's choosing, with helpers to find items and to list what leaves the window.
TestCase {
    id: testCase

    when: windowShown

    Component {
        id: deviceComponent
        TestDevice {}
    }
    Component {
        id: mainComponent
        Main {}
    }

    function make(setup, width, height) {
        const device = createTemporaryObject(deviceComponent, testCase);
        verify(device.valid, device.error);
        if (setup)
            setup(device);
        verify(device.startService(), device.error);
        const window = createTemporaryObject(mainComponent, testCase,
                                             { configFile: device.configPath, width: width || 800, height: height || 480 });
        verify(window);
        waitForRendering(window.contentItem);
        return { device: device, window: window, controller: window.controller };
    }

    function item(window, name) {
        let found = findChild(window.contentItem, name);
        if (!found && window.header)
            found = findChild(window.header, name);
        verify(found, "no item " + name);
        return found;
    }

    function shown(window, name) {
        return item(window, name).visible;
    }

    // Every visible item that reaches out of the window, and every text cut off. Items
    // inside something that scrolls or clips are the scroller's business.
    function misfits(window) {
        const out = [];
        function walk(it, path) {
            if (!it || !it.visible || it.opacity === 0)
                return;
            const name = path + "/" + (it.objectName || it.toString().split("(")[0]);
            if (it.width > 0 && it.height > 0) {
                const p = it.mapToItem(null, 0, 0);
                if (p.x < -0.5 || p.y < -0.5 || p.x + it.width > window.width + 0.5 || p.y + it.height > window.height + 0.5)
                    out.push(name + " at " + Math.round(p.x) + "," + Math.round(p.y) + " " + Math.round(it.width) + "x" + Math.round(it.height));
            }
            if (it.truncated === true && it.text && it.text.length > 0)
                out.push(name + " cut off: \"" + it.text + "\"");
            if (it.clip || it.flicking !== undefined)
                return;
            for (let i = 0; i < it.children.length; ++i)
                walk(it.children[i], name);
        }
        walk(window.contentItem, "");
        if (window.header)
            walk(window.header, "header");
        if (window.overlay)
            walk(window.overlay, "overlay");
        return out;
    }

    // Lets layouts and popups settle (waitForRendering would wait for a frame that an
    // unchanged window never draws).
    function settle(window) {
        wait(100);
    }
}
