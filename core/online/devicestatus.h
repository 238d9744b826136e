#pragma once

#include <QJsonObject>
#include <QString>

namespace s16 {

struct Config;
class Journal;

// What `s16-update status --json` reports and what the UI shows, derived from the
// journal alone so any process can read it while an engine runs elsewhere.
struct DeviceStatus {
    QString state; // idle, checking, downloading, ready, rebootPending, installing, trial
    QString currentVersion;
    QString stagedVersion; // empty if none
    // The newer version the last check found (the staged one once downloaded); empty when
    // the last trusted manifest is not newer than the running version.
    QString available;
    bool rebootPending = false;
    QString lastCheck;     // ISO 8601 or empty
    QJsonObject lastError; // code, message, edge (+ detail, time); empty if none
    bool consent = false;
    QString flowNode;     // where the update stands in the flowchart
    QJsonObject progress; // phase, bytes, total, rate, eta while a transfer runs
    QJsonObject outcome;  // result of the last install, for the app
    // The last download's bytes: version, total, fetched (over the network), reused (already on
    // the device); empty before the first one.
    QJsonObject lastTransfer;

    [[nodiscard]] QJsonObject toJson() const;
};

// engineRunning: whether some process holds the device's EngineLock right now.
[[nodiscard]] DeviceStatus readDeviceStatus(const Config &config, const Journal &journal, bool engineRunning);

} // namespace s16
