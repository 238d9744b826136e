#pragma once

#include <QStringView>

// Fault injection for the install engine's tests (docs/install.md lists every point).
// S16_FAULT=<point> makes the named step fail as if the hardware had failed it;
// S16_KILL_AT=<point> makes the process SIGKILL itself there, which is what a power cut
// looks like to the next boot. Both are read from the environment at each call, so a
// test can set them per child process; an unset variable costs one getenv.
namespace s16::fault {

// True when S16_FAULT names this point: the caller then fails the step.
[[nodiscard]] bool injected(QStringView point);
// SIGKILLs the process when S16_KILL_AT names this point; returns otherwise.
void killPoint(QStringView point);

} // namespace s16::fault
