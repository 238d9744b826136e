import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "OutcomeScreen"
    screen: Component { OutcomeScreen {} }

    function test_updated() {
        const t = make(function (d) { d.outcome("updated", "2.1.0", "1.0.0", 0, ""); });
        compare(t.controller.page, UpdateController.Outcome);
        compare(t.view.heading, "Update complete");
        compare(child(t.view, "outcomeText").text, "Your device now runs version 2.1.0.");
        verify(!child(t.view, "detailsButton").visible);
        verify(!child(t.view, "reasonText").visible);
        mouseClick(child(t.view, "okButton"));
        compare(t.controller.page, UpdateController.Status);
        tryVerify(function () { return t.device.value("outcome").seen === true; }, 5000);
    }

    function test_failed() {
        const t = make(function (d) { d.failedInstall("2.1.0", "1.0.0", 20, "E62", "the new system (slot A) failed its check: the services are not healthy"); });
        compare(t.view.heading, "Update not installed");
        compare(child(t.view, "outcomeText").text, "Version 2.1.0 was not installed. Your device is running version 1.0.0 again and works as before.");
        compare(child(t.view, "reasonText").text, "The new version did not work properly when it started, so the device went back to the previous version.");
        // The engine's words only behind "Technical details".
        const details = child(t.view, "details");
        verify(!details.visible);
        mouseClick(child(t.view, "detailsButton"));
        verify(details.visible);
        verify(child(t.view, "detailsText").text.indexOf("services are not healthy") >= 0);
        // Item 5: OK does not lead to the same failure on the error screen.
        mouseClick(child(t.view, "okButton"));
        compare(t.controller.page, UpdateController.Status);
    }
}
