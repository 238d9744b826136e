.pragma library
// The recovery screen's colours, those of the device UI (qml/): blue for progress, green
// for what is done, red only for what failed. A script, so the step rows (a delegate)
// read them as the rest of the screen does.

const accent = "#1565c0";
const good = "#2e7d32";
const bad = "#c62828";
