#pragma once

// Internal to s16_boot: the two backends and what they share.

#include "bootenv.h"

#include <QByteArray>

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

[[nodiscard]] std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openUBoot(const QString &configFile);
[[nodiscard]] std::expected<QString, BootProblem> createUBoot(const QString &dir, const QMap<QString, QString> &vars);
// The environment image U-Boot and `mkenvimage -r` use: CRC32 (little endian) over the data
// area, a flags byte (redundant copies only), "name=value" strings each ending in NUL, an empty
// string ending the list, 0xFF padding to size.
[[nodiscard]] QByteArray ubootImage(const QMap<QString, QString> &vars, qsizetype size, bool redundant, quint8 flags);
[[nodiscard]] quint32 crc32(const char *data, qsizetype size);

[[nodiscard]] std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openGrub(const QString &envFile);
[[nodiscard]] std::expected<QString, BootProblem> createGrub(const QString &dir, const QMap<QString, QString> &vars);

} // namespace s16::bootdetail
