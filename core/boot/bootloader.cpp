// The boot script's logic in C++, for the device simulator. packaging/uboot/boot.cmd is the same
// logic for a real U-Boot; the two must change together.

#include "bootenv.h"
#include "bootenv_p.h"

#include "common/logging.h"

#include <QStringList>

namespace s16 {

QString triesLeftVariable(const QString &slot)
{
    return QStringLiteral("BOOT_") + slot + QStringLiteral("_LEFT");
}

std::expected<BootDecision, BootProblem> bootloaderStep(BootEnvironment &env)
{
    const auto vars = env.read();
    if (!vars)
        return std::unexpected(vars.error());
    if (vars->value(bootvar::Recovery) == QLatin1StringView("1")) {
        qCInfo(lcBoot) << "bootloader: recovery requested";
        return BootDecision{BootDecision::Mode::Recovery, QString()};
    }
    const QStringList order = vars->value(bootvar::BootOrder).split(u' ', Qt::SkipEmptyParts);
    for (const QString &slot : order) {
        if (slot != QLatin1StringView("A") && slot != QLatin1StringView("B"))
            continue; // as the script: it knows these two slots only
        const QString counter = triesLeftVariable(slot);
        bool isNumber = false;
        const int left = vars->value(counter).toInt(&isNumber, 10);
        if (!isNumber || left <= 0)
            continue;
        // the try is counted before the slot boots, so a slot that never comes up runs out
        if (auto stored = env.update({{counter, QString::number(left - 1)}}); !stored)
            return std::unexpected(stored.error());
        qCInfo(lcBoot) << "bootloader: booting slot" << slot << "with" << left - 1 << "tries left";
        return BootDecision{BootDecision::Mode::Normal, slot};
    }
    qCWarning(lcBoot) << "bootloader: no bootable slot in BOOT_ORDER" << order;
    return BootDecision{BootDecision::Mode::NoBootableSlot, QString()};
}

} // namespace s16
