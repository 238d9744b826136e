#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <expected>

// Small helpers every test needs: where the built executables are, running a
// command-line tool with a timeout, making reproducible test data and hashing
// it. Hashing goes through the `openssl` command line on purpose: a test must
// not prove the product's own SHA-256 code with that same code.
namespace s16::test {

// What a finished (or killed) tool run left behind.
struct ToolResult {
    int exitCode = -1; // -1 if it did not start, crashed or timed out
    QByteArray out;    // everything it wrote to stdout
    QByteArray err;    // everything it wrote to stderr (or why it did not start)
    bool started = false;
    bool timedOut = false; // killed after the timeout

    // "exit 3, stderr: ..." for QVERIFY2 messages.
    [[nodiscard]] QString describe() const;
};

// The folder holding the project's executables: $S16_BIN_DIR (set by CTest), else
// the "bin" folder beside the test binary's own folder (build/tests/bin -> build/bin).
[[nodiscard]] QString binDir();

// Runs program with args and the given environment, waits at most timeoutMs and
// kills it after that. It runs the event loop while it waits, so a server in
// this process (FaultServer) keeps answering the tool. A program without a slash is looked up in binDir() first,
// then in PATH. stdinData, if any, is written to its standard input.
[[nodiscard]] ToolResult runTool(const QString &program, const QStringList &args,
                                 const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(), int timeoutMs = 30000,
                                 const QByteArray &stdinData = {});

// Writes `bytes` pseudo-random bytes to path, the same bytes for the same seed,
// streamed in chunks so a large file never sits in memory at once.
[[nodiscard]] std::expected<void, QString> writeRandomFile(const QString &path, qint64 bytes, quint64 seed = 1);

// size pseudo-random bytes in memory, the same bytes for the same seed (QRandomGenerator's).
[[nodiscard]] QByteArray randomBytes(qsizetype size, quint32 seed);

// The error of a result, or an empty string: for QVERIFY2, which evaluates its
// message even when the check passes (calling error() on a value is undefined).
template <typename T>
[[nodiscard]] QString errorText(const std::expected<T, QString> &result)
{
    return result ? QString() : result.error();
}

// A whole file's bytes (empty when it cannot be read), and writing them (created or truncated).
// Named apart from the readFile/writeFile helpers that older tests keep for themselves.
[[nodiscard]] QByteArray fileBytes(const QString &path);
[[nodiscard]] bool putFileBytes(const QString &path, const QByteArray &data);

// A file's permission bits (as 0644), or -1 when it cannot be read.
[[nodiscard]] int fileMode(const QString &path);

// Lowercase hex SHA-256 of a file, computed by `openssl dgst -sha256`.
[[nodiscard]] std::expected<QString, QString> sha256Hex(const QString &path);

} // namespace s16::test
