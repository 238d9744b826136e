#pragma once

#include "flow/flowchart.h"

#include <QString>

#include <expected>
#include <optional>

namespace s16 {

// The exit codes of s16-update and s16-recovery (CONTRACT §2). The same value is
// reported as lastError.code in `status --json` and stored with every log entry.
enum class ExitCode : int {
    Ok = 0,
    Usage = 2,              // usage or configuration error
    Cancelled = 3,          // a check or download stopped by Cancel; nothing lost, it resumes later
    ServerUnreachable = 10, // E07
    TlsRejected = 11,       // E12, E30
    AuthRejected = 12,      // E15
    MetadataRejected = 13,  // E18
    DownloadFailed = 14,    // E26, E34
    IntegrityMismatch = 15, // E38, E48
    StorageError = 16,      // no space, unwritable partition
    InstallFailed = 20,     // E51-E64
};

[[nodiscard]] constexpr int toInt(ExitCode code) noexcept { return static_cast<int>(code); }
// A stable, untranslated name for logs and JSON ("TlsRejected").
[[nodiscard]] QString exitCodeName(ExitCode code);

// An error as it reaches the user, the log and the process exit code. Areas keep
// their own precise error enums (ManifestError, CryptoError, ...) and convert to
// this at the boundary where the flowchart decides what happens next.
struct Error {
    ExitCode code = ExitCode::Usage;
    QString message;          // plain language, gains context on the way up
    std::optional<Edge> edge; // the flowchart edge this error leaves by (E38); none when it decides none
    QString detail;           // technical detail (library error text, HTTP status, file path)

    // "cannot write slot B: " + message, as RAUC's errors gain context going up.
    [[nodiscard]] Error withContext(const QString &context) const;
    [[nodiscard]] Error withEdge(Edge flowEdge) const;

    friend bool operator==(const Error &, const Error &) = default;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(ExitCode code, QString message, QString detail = {}, std::optional<Edge> edge = {})
{
    return std::unexpected(Error{code, std::move(message), std::move(edge), std::move(detail)});
}

} // namespace s16
