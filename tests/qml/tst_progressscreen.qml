import QtQuick
import QtTest
import S16.Update

ScreenTestCase {
    name: "ProgressScreen"
    screen: Component { ProgressScreen {} }

    function test_showsDownload() {
        const t = make(function (d) { d.downloading(64000000, 256000000, 2000000, 96); });
        compare(t.controller.page, UpdateController.Progress);
        compare(t.view.heading, "Downloading the update…");
        compare(child(t.view, "progressBar").value, 0.25);
        verify(!child(t.view, "progressBar").indeterminate);
        compare(child(t.view, "percentText").text, "25%");
        compare(child(t.view, "bytesText").text, "64.0 MB of 256.0 MB at 2.0 MB/s");
        // The engine's 96 s is not repeated: the controller estimates from what it sees arrive.
        compare(child(t.view, "etaText").text, "Estimating the time left…");
    }

    function test_followsTheJournal() {
        const t = make(function (d) { d.downloading(64000000, 256000000, 2000000, 96); });
        t.device.downloading(192000000, 256000000, 2000000, 32);
        tryCompare(child(t.view, "percentText"), "text", "75%", 3000);
    }

    function test_restartingHasNoNumbers() {
        const t = make(function (d) { d.stage("2.1.0", false); d.requestReboot(); });
        compare(t.view.heading, "Restarting to install the update…");
        verify(child(t.view, "progressBar").indeterminate);
        verify(!child(t.view, "percentText").visible);
    }
}
