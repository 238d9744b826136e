// The boot script's logic in C++, for the device simulator. packaging/uboot/boot.cmd is the same
// logic for a real U-Boot; the two must change together.

#include "bootenv.h"
#include "bootenv_p.h"

#include "common/logging.h"

#include <QFile>
#include <QStringList>

namespace s16 {

QString triesLeftVariable(const QString &slot) { return QStringLiteral("BOOT_") + slot + QStringLiteral("_LEFT"); }

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

Result<QString> detectBootedSlot()
{
    const QString fromEnv = qEnvironmentVariable("S16_BOOTED_SLOT");
    if (!fromEnv.isEmpty()) {
        if (fromEnv == QLatin1StringView("A") || fromEnv == QLatin1StringView("B"))
            return fromEnv;
        return fail(ExitCode::Usage, QStringLiteral("S16_BOOTED_SLOT is \"%1\", not A or B").arg(fromEnv));
    }
    QFile cmdline(QStringLiteral("/proc/cmdline"));
    if (cmdline.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> words = cmdline.readAll().simplified().split(' ');
        for (const QByteArray &word : words) {
            if (word == "s16.slot=A" || word == "s16.slot=B")
                return QString::fromLatin1(word.right(1));
        }
    }
    return fail(ExitCode::Usage, QStringLiteral("cannot tell which slot booted"),
                QStringLiteral("set S16_BOOTED_SLOT or pass s16.slot=A|B on the kernel command line"));
}

} // namespace s16
