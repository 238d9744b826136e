// The U-Boot environment: fw_env.config as the backend checks it, and the environment
// image itself, which libubootenv reads (the backend has no parser of its own, so the
// image goes through the real library, as on the device). The first input byte picks
// how the image is framed: bit 0 gives it a correct CRC (else the fuzzer would almost
// never get past the CRC), bit 1 makes it a redundant pair whose second copy has the
// flags of the second byte and a bad CRC when bit 2 is set. Properties: nothing
// crashes; an environment that reads takes one change and reads back as exactly that.

#include "fuzzutil.h"

#include "boot/bootenv.h"
#include "boot/bootenv_p.h"

using namespace s16;

namespace {

constexpr qsizetype kEnvSize = 0x400;

QByteArray frame(QByteArrayView payload, bool redundant, quint8 flags, bool goodCrc)
{
    const qsizetype header = redundant ? 5 : 4;
    QByteArray area = payload.first(std::min(payload.size(), kEnvSize - header)).toByteArray();
    area.resize(kEnvSize - header, char(0xFF));
    quint32 crc = bootdetail::crc32(area.constData(), area.size());
    if (!goodCrc)
        crc = ~crc;
    QByteArray image;
    for (int shift = 0; shift < 32; shift += 8)
        image += char((crc >> shift) & 0xFFu);
    if (redundant)
        image += char(flags);
    return image + area;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));

    // fw_env.config, the backend's own parser
    if (const auto devices = bootdetail::parseFwEnvConfig(input, QStringLiteral("fuzz"))) {
        S16_FUZZ_CHECK(devices->size() == 1 || devices->size() == 2);
        for (const bootdetail::EnvDevice &d : *devices)
            S16_FUZZ_CHECK(!d.path.isEmpty() && d.size > 0);
    }

    if (input.size() < 2)
        return 0;
    const quint8 mode = quint8(input.at(0));
    const quint8 flags = quint8(input.at(1));
    const QByteArrayView payload = input.sliced(2);
    const bool goodCrc = mode & 1;
    const bool redundant = mode & 2;
    // the two fw_env.config files never change: written once, not per input
    static const QString dir = fuzz::scratchDir();
    static const QString primary = dir + QStringLiteral("/env.bin");
    static const QString second = dir + QStringLiteral("/env-redund.bin");
    static const auto configFor = [](bool pair) {
        const QString path = dir + (pair ? QStringLiteral("/fw_env-pair.config") : QStringLiteral("/fw_env.config"));
        QByteArray text = (primary + QStringLiteral(" 0x0 0x400\n")).toUtf8();
        if (pair)
            text += (second + QStringLiteral(" 0x0 0x400\n")).toUtf8();
        fuzz::writeFile(path, text);
        return path;
    };
    static const QString singleConfig = configFor(false);
    static const QString pairConfig = configFor(true);
    const QString &config = redundant ? pairConfig : singleConfig;
    fuzz::writeFile(primary, frame(payload, redundant, 1, goodCrc));
    if (redundant)
        fuzz::writeFile(second, frame(payload, true, flags, !(mode & 4)));

    auto env = openBootEnvironment(QStringLiteral("uboot"), config);
    S16_FUZZ_CHECK(env.has_value());
    const auto vars = (*env)->read();
    if (!vars) {
        S16_FUZZ_CHECK(vars.error().code == BootError::EnvCorrupt || vars.error().code == BootError::EnvUnreadable);
        return 0;
    }
    const QMap<QString, QString> changes{{QStringLiteral("BOOT_ORDER"), QStringLiteral("B A")}};
    const auto updated = (*env)->update(changes);
    if (!updated) {
        S16_FUZZ_CHECK(updated.error().code == BootError::BadValue);
        return 0;
    }
    const auto after = (*env)->read();
    S16_FUZZ_CHECK(after.has_value());
    S16_FUZZ_CHECK(*after == bootdetail::applyChanges(*vars, changes));
    return 0;
}
