import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "OutcomeScreen"
    screen: Component { OutcomeScreen {} }

    function test_updated() {
        const t = make(function (d) { d.outcome("updated", "2.1.0", "1.0.0", 0, ""); });
        compare(t.controller.page, "outcome");
        compare(t.view.heading, "Update complete");
        compare(child(t.view, "outcomeText").text, "Updated to 2.1.0");
        verify(!child(t.view, "reasonText").visible);
        mouseClick(child(t.view, "okButton"));
        compare(t.device.value("outcome").seen, true);
        compare(t.controller.page, "status");
    }

    function test_failed() {
        const t = make(function (d) { d.outcome("failed", "2.1.0", "1.0.0", 20, "health check failed"); });
        compare(t.view.heading, "Update not installed");
        compare(child(t.view, "outcomeText").text, "The update failed; your device is running 1.0.0 again");
        compare(child(t.view, "reasonText").text, "The update could not be installed (health check failed)");
    }
}
