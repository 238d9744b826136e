#pragma once

// What every fuzz target shares: the libFuzzer entry point, a quiet Qt, a scratch
// folder for the parsers that read files, and the check that turns a broken
// property into a crash that libFuzzer (and the regression runner) reports.

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace s16::fuzz {

// A property of the code under test failed: report it and abort, so the input is
// kept as a crash by libFuzzer and fails the fuzz-regression test.
[[noreturn]] inline void propertyFailed(const char *what, const char *file, int line)
{
    std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
    std::abort();
}

#define S16_FUZZ_CHECK(cond) ((cond) ? void(0) : ::s16::fuzz::propertyFailed(#cond, __FILE__, __LINE__))

// Silences Qt's and the product's log output (millions of runs would print millions
// of warnings); call at the start of every input, it is cheap after the first.
void quiet();

// A folder for the targets that must go through a file (QSettings, libubootenv):
// in /dev/shm when there is one, so the product's fsyncs cost nothing. It lives
// for the whole process.
[[nodiscard]] QString scratchDir();

// Writes data to path (replacing it); aborts when it cannot, as the run means nothing then.
void writeFile(const QString &path, const QByteArray &data);

} // namespace s16::fuzz
