#pragma once

// Internal to s16_boot: the two backends and what they share.

#include "bootenv.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace s16::bootdetail {

[[nodiscard]] inline std::unexpected<BootProblem> problem(BootError code, QString message)
{
    return std::unexpected(BootProblem{code, std::move(message)});
}

// Refuses names and values one of the two formats cannot hold, so both backends accept the same
// variables: names printable ASCII without '=', not starting with '#' (a GRUB comment); values
// without newline or NUL (U-Boot's separator and GRUB's line end).
[[nodiscard]] std::expected<void, BootProblem> checkChanges(const QMap<QString, QString> &changes);

// The variables after applying changes (null value = unset).
[[nodiscard]] QMap<QString, QString> applyChanges(QMap<QString, QString> vars, const QMap<QString, QString> &changes);

// One copy of the environment as a fw_env.config line names it.
struct EnvDevice {
    QString path;
    qint64 size = 0;
    qint64 offset = -1; // -1: not a plain hex offset (left to libubootenv alone)
};
// The checks the U-Boot backend makes of fw_env.config before libubootenv reads it: one or two
// "<device> <offset> <size>" lines (size in hex, > 0), comments and blank lines ignored. origin
// names the file in messages. Pure, so it can be fuzzed (tests/fuzz/bootenv).
[[nodiscard]] std::expected<QList<EnvDevice>, BootProblem> parseFwEnvConfig(QByteArrayView text, const QString &origin);

// Whether the data area of an environment copy (after CRC and flags) ends its variable list
// (an empty string) inside the area. libubootenv 0.3.2 walks the list of a copy whose CRC
// holds without a bound and reads past its buffer when it does not (found by
// tests/fuzz/ubootenv), so such a copy is refused before libubootenv sees it.
[[nodiscard]] bool ubootDataTerminated(QByteArrayView data);

[[nodiscard]] std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openUBoot(const QString &configFile);
[[nodiscard]] std::expected<QString, BootProblem> createUBoot(const QString &dir, const QMap<QString, QString> &vars);
// The environment image U-Boot and `mkenvimage -r` use: CRC32 (little endian) over the data
// area, a flags byte (redundant copies only), "name=value" strings each ending in NUL, an empty
// string ending the list, 0xFF padding to size.
[[nodiscard]] QByteArray ubootImage(const QMap<QString, QString> &vars, qsizetype size, bool redundant, quint8 flags);
[[nodiscard]] quint32 crc32(const char *data, qsizetype size);

// The variables of a grubenv block's bytes, as GRUB's load_env reads them (a later duplicate
// wins); EnvCorrupt without the signature or with a cut last line. Pure, so it can be fuzzed.
[[nodiscard]] std::expected<QMap<QString, QString>, BootProblem> parseGrubEnv(const QByteArray &data, const QString &origin);
// The bytes of the block data after changes (null value = unset), the block's size kept: every
// line of a changed name takes the value, a new name is appended, comments stay. EnvCorrupt as
// parseGrubEnv, BadValue when the variables no longer fit. What the GRUB backend writes, in
// memory, so it can be fuzzed with the parser.
[[nodiscard]] std::expected<QByteArray, BootProblem> updateGrubEnv(const QByteArray &data, const QMap<QString, QString> &changes,
                                                                   const QString &origin);

[[nodiscard]] std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openGrub(const QString &envFile);
[[nodiscard]] std::expected<QString, BootProblem> createGrub(const QString &dir, const QMap<QString, QString> &vars);

} // namespace s16::bootdetail
