#pragma once
// The reboot interface of a real device: the boot environment already says where the next
// boot goes; this asks the system for the reboot itself ([boot] rebootCommand).

#include <QString>

#include <expected>

namespace s16 {

// Runs `/bin/sh -c command` and waits for it (at most timeoutMs): `systemctl reboot` returns
// once the reboot is queued. The error says what failed (not started, killed, its exit code
// and stderr). An empty command does nothing: a simulated device records the reboot only.
[[nodiscard]] std::expected<void, QString> runRebootCommand(const QString &command, int timeoutMs = 60000);

} // namespace s16
