#pragma once

#include "common/error.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <expected>
#include <optional>

// A simulated device on the host (CONTRACT §2, docs/devsim.md): A/B slots are plain files,
// the boot environment is a real U-Boot (libubootenv) or GRUB environment file, and a reboot
// is a hand-over to the program the bootloader would start: s16-recovery --headless in
// recovery, s16-update boot-complete in the normal system. Everything the device remembers
// lives in its folder, in files written atomically or in the updater's own journal, so a
// SIGKILL of s16-devsim or of what it started is a power cut the next boot recovers from.
// s16-devsim is a thin command line over these functions; tests may link them too.
namespace s16::devsim {

enum class DevsimError {
    Usage,         // bad or missing arguments (a version that is not SemVer, an unknown backend)
    NotEmpty,      // init: the folder already holds files
    InputMissing,  // init: the CA or public key to copy cannot be read
    NoDevice,      // the folder holds no device made by init (or its config does not load)
    StorageFailed, // a device file could not be written or read
    BootEnvFailed, // the boot environment could not be created, read or written
    ToolMissing,   // s16-recovery or s16-update is not beside s16-devsim
};

struct DevsimProblem {
    DevsimError code = DevsimError::Usage;
    QString message;
};

// A stable, untranslated name for logs and tests ("NotEmpty").
[[nodiscard]] QString devsimErrorName(DevsimError code);
// s16-devsim's exit code for a problem: 2 usage, input and missing device or tools,
// 16 storage and boot environment (docs/devsim.md).
[[nodiscard]] int exitCodeFor(DevsimError code);

template <typename T>
using DevsimResult = std::expected<T, DevsimProblem>;

struct InitOptions {
    QString dir;
    QString repoUrl;
    QString caFile;
    QString publicKey;
    QString version = QStringLiteral("1.0.0");
    int schema = 1;
    QString boot = QStringLiteral("uboot");
    QString token;                   // empty: no tokenFile
    qint64 imageBytes = 1024 * 1024; // the size of slot A's simulated image
    QString imageFile;               // else: slot A holds a copy of this file (a real image, for deltas)
};

// The files init lays out, relative to the device folder.
namespace layout {
inline constexpr QLatin1StringView Config{"update.conf"};
inline constexpr QLatin1StringView State{"devsim.json"};    // s16-devsim's own: booted slot, mode
inline constexpr QLatin1StringView PowerLock{"power.lock"}; // held while a power-on's processes live
inline constexpr QLatin1StringView Database{"app.db"};
inline constexpr QLatin1StringView VersionFile{"version"};
inline constexpr QLatin1StringView StateDir{"state"};
inline constexpr QLatin1StringView UpdateDir{"update"};
inline constexpr QLatin1StringView SlotA{"slots/A.img"};
inline constexpr QLatin1StringView SlotB{"slots/B.img"};
inline constexpr QLatin1StringView FailReload{"fail-reload"}; // present: the reload script fails
inline constexpr QLatin1StringView FailHealth{"fail-health"}; // present: the health check fails
} // namespace layout

// Makes a device in opts.dir (created if needed, refused when not empty); returns the
// absolute path of its update.conf.
[[nodiscard]] DevsimResult<QString> initDevice(const InitOptions &opts);

// What one power-on did.
struct BootReport {
    enum class Mode { Normal, Recovery, NoBootableSlot };
    Mode mode = Mode::Normal;
    QString slot;                     // normal: the booted slot; recovery: the slot the device ran from
    QString ran;                      // "s16-update boot-complete", "s16-recovery --headless", or empty
    std::optional<int> exitCode;      // of what ran; empty when nothing ran or it was killed
    bool powerCut = false;            // what ran was killed by a signal: the power went
    bool systemFailedToStart = false; // the bootloader chose a slot with no system in it
    bool rebootPending = false;       // journal rebootPending after it ran

    [[nodiscard]] QJsonObject toJson() const;
    [[nodiscard]] QString describe() const;
};

[[nodiscard]] QString modeName(BootReport::Mode mode);

// One power-on of the device in dir: bootloaderStep() on the real environment, then what
// that boot starts. The programs are looked up in binDir. Their stdout goes to stderr so
// a caller's stdout stays one JSON object; their environment is this process's, plus
// S16_BOOTED_SLOT in the normal system.
[[nodiscard]] DevsimResult<BootReport> boot(const QString &dir, const QString &binDir);

// Boots until no reboot is pending, the power is cut or no slot boots; at most maxBoots.
[[nodiscard]] DevsimResult<QList<BootReport>> run(const QString &dir, const QString &binDir, int maxBoots = 10);

// The device's state as `s16-devsim show --json` prints it: bootedSlot, mode, slots,
// bootEnv, dbUserVersion, rebootPending (and the number of boots so far).
[[nodiscard]] DevsimResult<QJsonObject> show(const QString &dir);

} // namespace s16::devsim
