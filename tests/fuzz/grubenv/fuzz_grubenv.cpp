// The GRUB environment block (grubenv), read at every update step that talks to the
// bootloader. Properties: nothing crashes; a block that parses reads the same through
// the backend, and one change written through the backend (one atomic file write)
// reads back as exactly that change, every other variable kept.

#include "fuzzutil.h"

#include "boot/bootenv.h"
#include "boot/bootenv_p.h"

using namespace s16;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto vars = bootdetail::parseGrubEnv(bytes, QStringLiteral("fuzz"));
    if (!vars) {
        S16_FUZZ_CHECK(vars.error().code == BootError::EnvCorrupt);
        return 0;
    }
    if (bytes.size() > 64 * 1024)
        return 0;

    const QString path = fuzz::scratchDir() + QStringLiteral("/grubenv");
    fuzz::writeFile(path, bytes);
    auto env = openBootEnvironment(QStringLiteral("grub"), path);
    S16_FUZZ_CHECK(env.has_value());
    const auto read = (*env)->read();
    S16_FUZZ_CHECK(read && *read == *vars);

    QMap<QString, QString> changes{{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A \\ x")}};
    if (!vars->isEmpty() && vars->firstKey() != QStringLiteral("BOOT_ORDER"))
        changes.insert(vars->firstKey(), QString()); // and unset one that is there
    const auto updated = (*env)->update(changes);
    if (!updated) {
        // only a block too small for the change may refuse it, and then nothing is written
        S16_FUZZ_CHECK(updated.error().code == BootError::BadValue);
        const auto unchanged = (*env)->read();
        S16_FUZZ_CHECK(unchanged && *unchanged == *vars);
        return 0;
    }
    const auto after = (*env)->read();
    S16_FUZZ_CHECK(after.has_value());
    S16_FUZZ_CHECK(*after == bootdetail::applyChanges(*vars, changes));
    return 0;
}
