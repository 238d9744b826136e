import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "ErrorScreen"
    screen: Component { ErrorScreen {} }

    function test_plainLanguageAndDetails() {
        const t = make(function (d) { d.fail(11, "the update server's certificate was rejected", "E12", "self-signed certificate"); });
        compare(t.controller.page, UpdateController.Error);
        compare(t.view.heading, "The update server could not be trusted");
        verify(child(t.view, "adviceText").text.indexOf("date and time") >= 0);
        const details = child(t.view, "details");
        verify(!details.visible);
        mouseClick(child(t.view, "detailsButton"));
        verify(details.visible);
        const text = child(t.view, "detailsText").text;
        verify(text.indexOf("Error code: 11 (TlsRejected)") >= 0, text);
        verify(text.indexOf("Step: E12") >= 0, text);
        verify(text.indexOf("self-signed certificate") >= 0, text);
        compare(child(t.view, "detailsButton").text, "Hide details");
    }

    function test_close() {
        const t = make(function (d) { d.fail(16, "no space left on device", ""); });
        mouseClick(child(t.view, "closeButton"));
        compare(t.controller.page, UpdateController.Status);
    }

    function test_tryAgain() {
        const t = make(function (d) { d.fail(10, "seeded", "E07"); });
        const retry = child(t.view, "retryButton");
        mouseClick(retry);
        // Item 8: at once a spinner and a disabled button, until the engine answers.
        if (t.controller.busy) {
            verify(!retry.enabled);
            verify(child(t.view, "busyIndicator").running);
            verify(child(t.view, "tryingText").visible);
        }
        // The engine ran again and logged an error of its own.
        tryVerify(function () { return !t.controller.busy && t.device.value("lastError").message !== "seeded"; }, 20000);
        compare(t.device.value("lastError").code, 10);
        compare(t.controller.lastError.code, 10);
        compare(t.controller.page, UpdateController.Error);
    }

    // Item 8, deterministic: the job is running while nothing has turned the event loop.
    function test_tryAgainShowsItIsTrying() {
        const t = make(function (d) { d.fail(10, "seeded", "E07"); });
        const retry = child(t.view, "retryButton");
        verify(retry.enabled);
        verify(!child(t.view, "tryingRow").visible);
        t.controller.retry();
        verify(t.controller.busy);
        verify(!retry.enabled);
        verify(!child(t.view, "closeButton").enabled);
        verify(child(t.view, "tryingRow").visible);
        verify(child(t.view, "busyIndicator").running);
        tryVerify(function () { return !t.controller.busy; }, 20000);
        verify(retry.enabled);
        // The focus is back on "Try again" for a keyboard user.
        tryVerify(function () { return retry.activeFocus; }, 2000);
    }

    // Item 7: details wrap at word boundaries ("Connec/tion refused").
    function test_detailsWrapAtWords() {
        const t = make(function (d) { d.fail(10, "cannot reach the update server: Connection refused", "E07"); });
        compare(child(t.view, "detailsText").wrapMode, Text.WrapAtWordBoundaryOrAnywhere);
    }
}
