#pragma once

#include "common/error.h"

#include <QMap>
#include <QString>

#include <expected>
#include <memory>

namespace s16 {

enum class BootError {
    ConfigUnreadable, // fw_env.config missing or not understood, or no envFile configured
    EnvUnreadable,    // the environment file (or device) cannot be opened or read
    EnvCorrupt,       // read, but no valid copy: bad CRC (U-Boot), bad signature or truncated (GRUB)
    WriteFailed,      // the environment could not be stored; the previous one is still in place
    BadValue,         // a variable name or value the environment cannot hold, or it would not fit
    UnknownBackend,   // neither "uboot" nor "grub"
};

struct BootProblem {
    BootError code;
    QString message;
};

// A stable, untranslated name for logs and tests ("EnvCorrupt").
[[nodiscard]] QString bootErrorName(BootError code);

// The bootloader's environment: the few variables through which the updater and the bootloader
// talk across a reboot (BOOT_ORDER, BOOT_A_LEFT, BOOT_B_LEFT, S16_RECOVERY; see docs/boot.md).
// It is a flat map, read whole and written whole: each update() is exactly one atomic store, so a
// power cut leaves either the old or the new environment, never a mix of the changes. Every call
// goes to the storage again (nothing is cached), so changes made by fw_setenv or grub-editenv in
// between are seen. Variables the updater does not know are kept as they are.
class BootEnvironment
{
public:
    virtual ~BootEnvironment();

    [[nodiscard]] virtual std::expected<QMap<QString, QString>, BootProblem> read() const = 0;
    // Sets (value non-null) or unsets (null QString) several variables in one atomic write.
    // Names are printable ASCII without '=' and not starting with '#'; values hold no newline.
    // An empty change set writes nothing.
    [[nodiscard]] virtual std::expected<void, BootProblem> update(const QMap<QString, QString> &changes) = 0;
    [[nodiscard]] virtual QString backendName() const = 0; // "uboot" / "grub"

protected:
    BootEnvironment() = default;
    BootEnvironment(const BootEnvironment &) = delete;
    BootEnvironment &operator=(const BootEnvironment &) = delete;
};

// backend "uboot": envFile is a fw_env.config (libubootenv); "grub": envFile is a grubenv file.
// Checks the configuration only; the environment itself is read by read() and update().
[[nodiscard]] std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openBootEnvironment(const QString &backend,
                                                                                               const QString &envFile);

// Creates a fresh environment for a simulated device, holding vars. uboot: a redundant pair
// dir/env.bin and dir/env-redund.bin (0x4000 bytes each, byte for byte what `mkenvimage -r -s
// 0x4000` makes of the sorted variables) and dir/fw_env.config naming them; returns the config's
// path. grub: dir/grubenv, 1024 bytes, byte for byte what `grub-editenv create` followed by `set`
// of the sorted variables makes; returns its path. Existing files are replaced; dir is created.
[[nodiscard]] std::expected<QString, BootProblem> createBootEnvironment(const QString &backend, const QString &dir,
                                                                        const QMap<QString, QString> &vars);

// The variables the updater and the bootloader share (CONTRACT §4, docs/boot.md).
namespace bootvar {
inline constexpr QLatin1StringView BootOrder{"BOOT_ORDER"};  // "A B": first tried first
inline constexpr QLatin1StringView ALeft{"BOOT_A_LEFT"};     // tries left for slot A
inline constexpr QLatin1StringView BLeft{"BOOT_B_LEFT"};     // tries left for slot B
inline constexpr QLatin1StringView Recovery{"S16_RECOVERY"}; // "1" while a boot into recovery is requested
} // namespace bootvar

// The tries-left counter of a slot: "A" -> "BOOT_A_LEFT".
[[nodiscard]] QString triesLeftVariable(const QString &slot);

// What the bootloader decided on one power-on.
struct BootDecision {
    enum class Mode { Normal, Recovery, NoBootableSlot } mode;
    QString slot; // "A" or "B" for Normal, empty otherwise
};

// The bootloader's slot choice, exactly as packaging/uboot/boot.cmd does it on a real device.
// With S16_RECOVERY=1 the boot goes to recovery and nothing is written: the request stays until
// recovery clears it, so a power cut in recovery comes back to recovery. Otherwise the first slot
// in BOOT_ORDER (only "A" and "B" are slots) whose BOOT_<slot>_LEFT is a decimal number greater
// than 0 is booted and its counter decremented in one atomic write. No such slot:
// NoBootableSlot, nothing written.
[[nodiscard]] std::expected<BootDecision, BootProblem> bootloaderStep(BootEnvironment &env);

// UnknownBackend is a configuration error (ExitCode::Usage); everything else is the device's
// storage (ExitCode::StorageError). The install area, where a boot environment failure means the
// update failed, re-labels it ExitCode::InstallFailed with its own context.
[[nodiscard]] Error toError(const BootProblem &p);

// The slot the running system was booted from: $S16_BOOTED_SLOT (set by s16-devsim),
// else "s16.slot=A|B" on /proc/cmdline (set by packaging/uboot/boot.cmd). Usage error
// when neither says.
[[nodiscard]] Result<QString> detectBootedSlot();

} // namespace s16
