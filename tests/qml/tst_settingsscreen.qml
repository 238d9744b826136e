import QtQuick
import QtQuick.Controls
import QtTest
import S16.Update

ScreenTestCase {
    name: "SettingsScreen"
    screen: Component { SettingsScreen {} }

    function test_consentOffByDefaultAndPersisted() {
        const t = make();
        const toggle = child(t.view, "consentSwitch");
        verify(!toggle.checked);
        compare(toggle.Accessible.name, "Send diagnostic data when an update fails");
        mouseClick(toggle);
        verify(t.controller.consent);
        // The service stores it in the device's journal.
        tryVerify(function () { return t.device.value("consent") === true; }, 5000);
        mouseClick(toggle);
        tryVerify(function () { return t.device.value("consent") === false; }, 5000);
    }

    function test_consentFromElsewhere() {
        const t = make();
        t.device.set("consent", true);
        tryCompare(child(t.view, "consentSwitch"), "checked", true, 5000);
    }

    function test_whatIsSent() {
        const t = make(function (d) { d.fail(13, "bad signature", "E18"); });
        mouseClick(child(t.view, "previewButton"));
        const popup = child(t.view, "previewPopup");
        tryCompare(popup, "opened", true, 2000);
        const text = child(popup.contentItem, "previewText").text;
        const report = JSON.parse(text);
        compare(report.versions.running, "1.0.0");
        compare(report.failure.code, 13);
        compare(report.log[report.log.length - 1].message, "bad signature");
        mouseClick(child(popup.contentItem, "previewCloseButton"));
        tryCompare(popup, "visible", false, 2000);
    }
}
