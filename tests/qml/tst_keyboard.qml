import QtQuick
import QtTest
import S16.Update

// Issue 14, item 4: every screen and the "What is sent?" dialog by keyboard alone.
WindowTestCase {
    id: testCase
    name: "Keyboard"

    function ringShown(button) {
        return button.activeFocus && button.background.border.width === 3;
    }

    // Each screen gives its main action the focus, with a visible ring.
    function test_mainActionFocusedWithRing_data() {
        return [
            { tag: "status", setup: function (d) {}, focus: "checkButton" },
            { tag: "available", setup: function (d) { d.stage("2.1.0", false); }, focus: "updateButton" },
            { tag: "priority", setup: function (d) { d.stage("2.1.0", true); d.requestReboot(); }, focus: "restartButton" },
            { tag: "error", setup: function (d) { d.fail(10, "refused", "E07"); }, focus: "retryButton" },
            { tag: "outcome", setup: function (d) { d.outcome("updated", "2.1.0", "1.0.0"); }, focus: "okButton" }
        ];
    }
    function test_mainActionFocusedWithRing(data) {
        const t = make(data.setup);
        const button = item(t.window, data.focus);
        tryVerify(function () { return button.activeFocus; }, 2000);
        verify(ringShown(button), data.focus + " shows no focus ring");
    }

    function test_historyAndSettingsByReturn() {
        const t = make();
        const history = item(t.window, "historyButton");
        history.forceActiveFocus(Qt.TabFocusReason);
        verify(ringShown(history));
        keyClick(Qt.Key_Return);
        compare(t.window.view, "history");
        compare(item(t.window, "toolBarTitle").text, "History");
        tryVerify(function () { return item(t.window, "historyList").activeFocus; }, 2000);
        keyClick(Qt.Key_Escape);
        compare(t.window.view, "");
        compare(item(t.window, "toolBarTitle").text, "Software update");

        const settings = item(t.window, "settingsButton");
        settings.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Enter);
        compare(t.window.view, "settings");
        compare(item(t.window, "toolBarTitle").text, "Settings");
        keyClick(Qt.Key_Left, Qt.AltModifier);
        compare(t.window.view, "");

        settings.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        compare(t.window.view, "settings");
        keyClick(Qt.Key_Back);
        compare(t.window.view, "");

        settings.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        const back = item(t.window, "backButton");
        back.forceActiveFocus(Qt.TabFocusReason);
        verify(ringShown(back));
        keyClick(Qt.Key_Return);
        compare(t.window.view, "");
        // Back on the main screen, its main action has the focus again.
        tryVerify(function () { return item(t.window, "checkButton").activeFocus; }, 2000);
    }

    // Tab alone reaches the tool bar from the screen.
    function test_tabReachesTheToolBar() {
        const t = make();
        const check = item(t.window, "checkButton");
        tryVerify(function () { return check.activeFocus; }, 2000);
        const settings = item(t.window, "settingsButton");
        for (let i = 0; i < 8 && !settings.activeFocus; ++i)
            keyClick(Qt.Key_Tab);
        verify(settings.activeFocus);
        keyClick(Qt.Key_Space);
        compare(t.window.view, "settings");
    }

    function test_consentSwitchByReturn() {
        const t = make();
        t.window.view = "settings";
        const toggle = item(t.window, "consentSwitch");
        tryVerify(function () { return toggle.activeFocus; }, 2000);
        verify(toggle.background.border.width === 3, "the switch shows no focus ring");
        keyClick(Qt.Key_Return);
        verify(t.controller.consent);
        tryVerify(function () { return t.device.value("consent") === true; }, 5000);
        keyClick(Qt.Key_Enter);
        verify(!t.controller.consent);
        keyClick(Qt.Key_Space);
        verify(t.controller.consent);
    }

    function test_dialogByKeyboard() {
        const t = make();
        t.window.view = "settings";
        const preview = item(t.window, "previewButton");
        preview.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        const popup = findChild(item(t.window, "settingsScreen"), "previewPopup");
        verify(popup);
        tryCompare(popup, "opened", true, 2000);
        const close = findChild(popup.contentItem, "previewCloseButton");
        tryVerify(function () { return close.activeFocus; }, 2000);
        verify(ringShown(close));

        // Tab and Space stay inside the dialog: the page behind does not change.
        const toggle = item(t.window, "consentSwitch");
        for (let i = 0; i < 5; ++i) {
            keyClick(Qt.Key_Tab);
            verify(!toggle.activeFocus, "Tab left the dialog");
            verify(!preview.activeFocus, "Tab left the dialog");
        }
        const text = findChild(popup.contentItem, "previewText");
        text.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Space);
        verify(!t.controller.consent);
        verify(popup.opened);

        // Escape closes the dialog, not the Settings page; the focus returns to its button.
        keyClick(Qt.Key_Escape);
        tryCompare(popup, "visible", false, 2000);
        compare(t.window.view, "settings");
        tryVerify(function () { return preview.activeFocus; }, 2000);
        keyClick(Qt.Key_Escape);
        compare(t.window.view, "");

        // And "Close" by Return.
        item(t.window, "settingsButton").forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        preview.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        tryCompare(popup, "opened", true, 2000);
        tryVerify(function () { return close.activeFocus; }, 2000);
        keyClick(Qt.Key_Return);
        tryCompare(popup, "visible", false, 2000);
    }

    function test_errorScreenByKeyboard() {
        const t = make(function (d) { d.fail(16, "no space left on device", ""); });
        const retry = item(t.window, "retryButton");
        tryVerify(function () { return retry.activeFocus; }, 2000);
        const details = item(t.window, "detailsButton");
        details.forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        verify(item(t.window, "details").visible);
        item(t.window, "closeButton").forceActiveFocus(Qt.TabFocusReason);
        keyClick(Qt.Key_Return);
        compare(t.controller.page, UpdateController.Status);
    }

    // Item 11: no way into Settings or History while the device restarts to install.
    function test_noSettingsWhileRestarting() {
        const t = make(function (d) { d.stage("2.1.0", false); d.requestReboot(); });
        compare(t.controller.page, UpdateController.Progress);
        verify(!shown(t.window, "historyButton"));
        verify(!shown(t.window, "settingsButton"));
    }
}
