// The GRUB environment block (grubenv), read at every update step that talks to the
// bootloader. Everything runs in memory on the functions the GRUB backend itself reads
// and writes with (its file I/O around them is tst_bootenv's). Properties: nothing
// crashes; a block that parses takes one change (a variable set, another unset) and
// keeps its size, and the bytes written read back as exactly that change, every other
// variable kept; only a block too small for the change may refuse it.

#include "fuzzutil.h"

#include "boot/bootenv.h"
#include "boot/bootenv_p.h"

using namespace s16;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString origin = QStringLiteral("fuzz");
    const auto vars = bootdetail::parseGrubEnv(bytes, origin);
    if (!vars) {
        S16_FUZZ_CHECK(vars.error().code == BootError::EnvCorrupt);
        S16_FUZZ_CHECK(!bootdetail::updateGrubEnv(bytes, {{QStringLiteral("x"), QStringLiteral("y")}}, origin));
        return 0;
    }

    QMap<QString, QString> changes{{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A \\ x")}};
    if (!vars->isEmpty() && vars->firstKey() != QStringLiteral("BOOT_ORDER"))
        changes.insert(vars->firstKey(), QString()); // and unset one that is there
    const auto updated = bootdetail::updateGrubEnv(bytes, changes, origin);
    if (!updated) {
        S16_FUZZ_CHECK(updated.error().code == BootError::BadValue);
        return 0;
    }
    S16_FUZZ_CHECK(updated->size() == bytes.size());
    const auto after = bootdetail::parseGrubEnv(*updated, origin);
    S16_FUZZ_CHECK(after.has_value());
    S16_FUZZ_CHECK(*after == bootdetail::applyChanges(*vars, changes));
    return 0;
}
