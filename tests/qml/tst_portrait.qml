import QtQuick
import QtTest
import S16.Update

// Issue 14, item 1: every screen at 480x800 (portrait), and at 800x480 and 1280x800,
// keeps every item inside the window and cuts no text off. tst_screenshots checks the
// same in German.
WindowTestCase {
    id: testCase
    name: "Portrait"

    function init_data() {
        return [
            { tag: "480x800", w: 480, h: 800 },
            { tag: "800x480", w: 800, h: 480 },
            { tag: "1280x800", w: 1280, h: 800 }
        ];
    }

    function checkFit(t, what) {
        settle(t.window);
        const bad = misfits(t.window);
        compare(bad.length, 0, what + ": " + bad.join("; "));
    }

    function test_status(data) {
        const t = make(function (d) { d.checked("1.0.0"); }, data.w, data.h);
        compare(t.controller.page, UpdateController.Status);
        checkFit(t, "status");
        // Item 11: the tool bar's last button keeps a margin from the window's edge.
        const settings = item(t.window, "settingsButton");
        const right = settings.mapToItem(null, settings.width, 0).x;
        verify(right <= data.w - 12, "Settings ends " + (data.w - right) + " px from the edge");
    }

    function test_available(data) {
        const t = make(function (d) { d.stage("2.1.0", false, 268435456); }, data.w, data.h);
        compare(t.controller.page, UpdateController.Available);
        checkFit(t, "available");
    }

    function test_progress(data) {
        const t = make(function (d) { d.downloading(96468992, 268435456, 2400000, 72); }, data.w, data.h);
        checkFit(t, "progress");
    }

    function test_priority(data) {
        const t = make(function (d) { d.stage("2.1.0", true); d.requestReboot(); }, data.w, data.h);
        compare(t.controller.page, UpdateController.Priority);
        checkFit(t, "priority");
    }

    function test_errorWithDetails(data) {
        const t = make(function (d) {
            d.fail(11, "TLS handshake with updates.example.com failed: The certificate is self-signed, and untrusted", "E12",
                   "The certificate is self-signed, and untrusted");
        }, data.w, data.h);
        compare(t.controller.page, UpdateController.Error);
        checkFit(t, "error");
        mouseClick(item(t.window, "detailsButton"));
        checkFit(t, "error with details");
        // The main action can be pressed where it is.
        const retry = item(t.window, "retryButton");
        verify(retry.visible);
    }

    function test_outcomeFailed(data) {
        const t = make(function (d) {
            d.failedInstall("2.1.0", "1.0.0", 20, "E62", "the new system (slot A) failed its check: the services are not healthy");
        }, data.w, data.h);
        compare(t.controller.page, UpdateController.Outcome);
        checkFit(t, "outcome");
        mouseClick(item(t.window, "detailsButton"));
        checkFit(t, "outcome with details");
    }

    function test_settings(data) {
        const t = make(null, data.w, data.h);
        t.window.view = "settings";
        checkFit(t, "settings");
        mouseClick(item(t.window, "previewButton"));
        const popup = findChild(item(t.window, "settingsScreen"), "previewPopup");
        verify(popup);
        tryCompare(popup, "opened", true, 2000);
        checkFit(t, "settings with preview");
    }

    function test_history(data) {
        const t = make(function (d) {
            d.log("info", 0, "E17", "checked", "version 2.1.0 is available (running 1.0.0)");
            d.fail(10, "cannot reach the update server: Connection refused", "E07");
        }, data.w, data.h);
        t.window.view = "history";
        checkFit(t, "history");
    }

    // A wide window keeps the buttons side by side at their own width; a narrow one stacks
    // them at full width. Also after "Later" made "Show update" appear.
    function test_buttonsFollowTheWidth(data) {
        const t = make(function (d) { d.checked("2.1.0"); }, data.w, data.h);
        t.controller.later();
        settle(t.window);
        const check = item(t.window, "checkButton");
        const show = item(t.window, "showUpdateButton");
        verify(show.visible);
        verify(show.width > 0);
        const narrow = data.w < 600;
        if (narrow) {
            verify(check.width > data.w - 100, "narrow: " + check.width);
            // The main action first, the others under it.
            verify(check.y + check.height <= show.y, "stacked");
        } else {
            verify(check.width < 300, "wide: " + check.width);
            verify(Math.abs(show.y - check.y) < 1, "side by side");
            verify(show.x + show.width <= check.x, "the main action rightmost");
        }
        checkFit(t, "status after later");
    }
}
