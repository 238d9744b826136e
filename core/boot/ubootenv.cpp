// The U-Boot backend: libubootenv reads and writes, so the environment is exactly what U-Boot and
// fw_printenv see, including the redundant pair's flag handling (each store writes the older copy,
// so one valid copy survives a power cut at any moment).

#include "bootenv_p.h"

#include "common/fileutil.h"
#include "common/logging.h"

#include <QFile>
#include <QFileInfo>
#include <QList>

#include <array>
#include <cerrno>
#include <cstring>

#include <stddef.h> // libuboot.h uses size_t without including it
#include <libuboot.h>

namespace s16::bootdetail {
namespace {

constexpr qsizetype kCreatedEnvSize = 0x4000;
constexpr qint64 kMaxConfigBytes = 64 * 1024;

QString errnoText(int rc) { return QString::fromLocal8Bit(std::strerror(rc < 0 ? -rc : rc)); }

std::expected<QList<EnvDevice>, BootProblem> parseConfig(const QString &configFile)
{
    const auto data = fileutil::readSmallFile(configFile, kMaxConfigBytes);
    if (!data)
        return problem(BootError::ConfigUnreadable,
                       QStringLiteral("cannot read the U-Boot environment configuration %1: %2").arg(configFile, data.error().detail));
    return parseFwEnvConfig(*data, configFile);
}

// Refuses a copy that libubootenv would take (valid CRC) but could not parse within its
// bounds (ubootDataTerminated). A copy that cannot be read here is left to libubootenv,
// which reports it.
std::expected<void, BootProblem> checkCopies(const QString &configFile, const QList<EnvDevice> &devices)
{
    const qsizetype header = devices.size() == 2 ? 5 : 4;
    for (const EnvDevice &d : devices) {
        QFile f(d.path);
        if (d.offset < 0 || d.size <= header || d.size > 64 * 1024 * 1024 || !f.open(QIODevice::ReadOnly)
            || (d.offset > 0 && !f.seek(d.offset)))
            continue;
        const QByteArray image = f.read(d.size);
        if (image.size() != d.size)
            continue;
        quint32 stored = 0;
        for (int i = 0; i < 4; ++i)
            stored |= quint32(quint8(image.at(i))) << (8 * i);
        const QByteArrayView data = QByteArrayView(image).sliced(header);
        if (crc32(data.data(), data.size()) == stored && !ubootDataTerminated(data))
            return problem(
                BootError::EnvCorrupt,
                QStringLiteral("the U-Boot environment %1 of %2 has a valid CRC but no end to its variable list").arg(d.path, configFile));
    }
    return {};
}

// One libubootenv session. libuboot_open takes libubootenv's own lock (the one fw_setenv takes)
// and libuboot_close releases it, so a read-modify-write in one session is not interleaved with
// another writer.
class Session
{
public:
    Session() = default;
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;
    ~Session()
    {
        if (m_opened)
            libuboot_close(m_ctx);
        if (m_ctx)
            libuboot_exit(m_ctx);
    }

    std::expected<void, BootProblem> open(const QString &configFile, const QList<EnvDevice> &devices)
    {
        if (const int rc = libuboot_initialize(&m_ctx, nullptr); rc < 0) {
            m_ctx = nullptr;
            return problem(BootError::EnvUnreadable, QStringLiteral("cannot initialise libubootenv: %1").arg(errnoText(rc)));
        }
        const QByteArray config = QFile::encodeName(configFile);
        if (const int rc = libuboot_read_config(m_ctx, config.constData()); rc < 0) {
            // libubootenv refuses a configuration whose devices are missing: tell which
            for (const EnvDevice &d : devices) {
                if (!QFileInfo::exists(d.path))
                    return problem(BootError::EnvUnreadable, QStringLiteral("the U-Boot environment %1 does not exist").arg(d.path));
            }
            return problem(BootError::ConfigUnreadable, QStringLiteral("libubootenv cannot use %1: %2").arg(configFile, errnoText(rc)));
        }
        if (auto safe = checkCopies(configFile, devices); !safe)
            return safe;
        const int rc = libuboot_open(m_ctx);
        m_opened = true; // also after a failure: libuboot_close releases the lock libuboot_open took
        if (rc == -ENODATA)
            return problem(BootError::EnvCorrupt,
                           QStringLiteral("no copy of the U-Boot environment of %1 has a valid CRC").arg(configFile));
        if (rc < 0)
            return problem(BootError::EnvUnreadable,
                           QStringLiteral("cannot read the U-Boot environment of %1: %2").arg(configFile, errnoText(rc)));
        return {};
    }

    QMap<QString, QString> variables() const
    {
        QMap<QString, QString> vars;
        for (void *entry = libuboot_iterator(m_ctx, nullptr); entry; entry = libuboot_iterator(m_ctx, entry)) {
            const char *name = libuboot_getname(entry);
            const char *value = libuboot_getvalue(entry);
            if (name)
                vars.insert(QString::fromUtf8(name), QString::fromUtf8(value ? value : ""));
        }
        return vars;
    }

    uboot_ctx *ctx() const { return m_ctx; }

private:
    uboot_ctx *m_ctx = nullptr;
    bool m_opened = false;
};

qsizetype dataBytes(const QMap<QString, QString> &vars)
{
    qsizetype n = 1; // the empty string ending the list
    for (auto it = vars.cbegin(); it != vars.cend(); ++it)
        n += it.key().toUtf8().size() + 1 + it.value().toUtf8().size() + 1;
    return n;
}

class UBootEnvironment final : public BootEnvironment
{
public:
    UBootEnvironment(QString configFile, QList<EnvDevice> devices)
        : m_configFile(std::move(configFile))
        , m_devices(std::move(devices))
    {
    }

    std::expected<QMap<QString, QString>, BootProblem> read() const override
    {
        Session session;
        if (auto opened = session.open(m_configFile, m_devices); !opened)
            return std::unexpected(opened.error());
        return session.variables();
    }

    std::expected<void, BootProblem> update(const QMap<QString, QString> &changes) override
    {
        if (auto ok = checkChanges(changes); !ok)
            return ok;
        if (changes.isEmpty())
            return {};
        Session session;
        if (auto opened = session.open(m_configFile, m_devices); !opened)
            return opened;
        const qsizetype header = m_devices.size() == 2 ? 5 : 4;
        const qsizetype needed = dataBytes(applyChanges(session.variables(), changes));
        if (needed > m_devices.constFirst().size - header)
            return problem(BootError::BadValue, QStringLiteral("the U-Boot environment would need %1 bytes, it holds %2")
                                                    .arg(needed)
                                                    .arg(m_devices.constFirst().size - header));
        for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
            const QByteArray name = it.key().toUtf8();
            const QByteArray value = it.value().toUtf8();
            const int rc = libuboot_set_env(session.ctx(), name.constData(), it.value().isNull() ? nullptr : value.constData());
            // unsetting a variable that is not there is not an error: the result is what was asked
            if (rc < 0 && !it.value().isNull())
                return problem(BootError::BadValue,
                               QStringLiteral("libubootenv refuses %1=%2: %3").arg(it.key(), it.value(), errnoText(rc)));
        }
        if (const int rc = libuboot_env_store(session.ctx()); rc < 0)
            return problem(BootError::WriteFailed,
                           QStringLiteral("cannot store the U-Boot environment of %1: %2").arg(m_configFile, errnoText(rc)));
        qCDebug(lcBoot) << "stored U-Boot environment" << m_configFile << changes;
        return {};
    }

    QString backendName() const override { return QStringLiteral("uboot"); }

private:
    QString m_configFile;
    QList<EnvDevice> m_devices;
};

// IEEE 802.3 CRC-32, as U-Boot's env and zlib's crc32()
constexpr std::array<quint32, 256> makeCrcTable()
{
    std::array<quint32, 256> table{};
    for (quint32 i = 0; i < 256; ++i) {
        quint32 c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}
constexpr auto kCrcTable = makeCrcTable();

} // namespace

std::expected<QList<EnvDevice>, BootProblem> parseFwEnvConfig(QByteArrayView text, const QString &origin)
{
    QList<EnvDevice> devices;
    for (const QByteArray &rawLine : text.toByteArray().split('\n')) {
        const QString line = QString::fromUtf8(rawLine).simplified();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QStringList fields = line.split(u' ');
        bool sizeOk = false;
        QString sizeText = fields.value(2);
        if (sizeText.startsWith(QLatin1StringView("0x"), Qt::CaseInsensitive))
            sizeText = sizeText.mid(2);
        const qint64 size = sizeText.toLongLong(&sizeOk, 16);
        if (fields.size() < 3 || !sizeOk || size <= 0)
            return problem(BootError::ConfigUnreadable,
                           QStringLiteral("%1: line \"%2\" is not \"<device> <offset> <size>\"").arg(origin, line));
        QString offsetText = fields.at(1);
        if (offsetText.startsWith(QLatin1StringView("0x"), Qt::CaseInsensitive))
            offsetText = offsetText.mid(2);
        bool offsetOk = false;
        const qint64 offset = offsetText.toLongLong(&offsetOk, 16);
        devices.append(EnvDevice{fields.at(0), size, offsetOk && offset >= 0 ? offset : -1});
    }
    if (devices.isEmpty() || devices.size() > 2)
        return problem(BootError::ConfigUnreadable,
                       QStringLiteral("%1 names %2 environment copies (expected 1 or 2)").arg(origin).arg(devices.size()));
    return devices;
}

bool ubootDataTerminated(QByteArrayView data)
{
    return (!data.isEmpty() && data.front() == '\0') || data.indexOf(QByteArrayView("\0\0", 2)) >= 0;
}

quint32 crc32(const char *data, qsizetype size)
{
    quint32 c = 0xFFFFFFFFu;
    for (qsizetype i = 0; i < size; ++i)
        c = kCrcTable[(c ^ quint8(data[i])) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

QByteArray ubootImage(const QMap<QString, QString> &vars, qsizetype size, bool redundant, quint8 flags)
{
    const qsizetype header = redundant ? 5 : 4;
    QByteArray data;
    for (auto it = vars.cbegin(); it != vars.cend(); ++it) {
        data += it.key().toUtf8() + '=' + it.value().toUtf8();
        data += '\0';
    }
    data += '\0';
    data.resize(size - header, char(0xFF));
    const quint32 crc = crc32(data.constData(), data.size());
    QByteArray image;
    image.reserve(size);
    for (int shift = 0; shift < 32; shift += 8)
        image += char((crc >> shift) & 0xFFu);
    if (redundant)
        image += char(flags);
    image += data;
    return image;
}

std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openUBoot(const QString &configFile)
{
    auto devices = parseConfig(configFile);
    if (!devices)
        return std::unexpected(devices.error());
    return std::make_unique<UBootEnvironment>(configFile, std::move(*devices));
}

std::expected<QString, BootProblem> createUBoot(const QString &dir, const QMap<QString, QString> &vars)
{
    if (dir.contains(u' ') || dir.contains(u'\t') || dir.contains(u'\n'))
        return problem(BootError::BadValue, QStringLiteral("fw_env.config cannot name a path with white space: %1").arg(dir));
    if (dataBytes(vars) > kCreatedEnvSize - 5)
        return problem(BootError::BadValue, QStringLiteral("the variables do not fit in a 0x4000-byte environment"));
    // Both copies alike with flag 1, as mkenvimage -r makes them: libubootenv takes the first
    // and writes the second on the first store.
    const QByteArray image = ubootImage(vars, kCreatedEnvSize, true, 1);
    const QString primary = dir + QStringLiteral("/env.bin");
    const QString redundant = dir + QStringLiteral("/env-redund.bin");
    const QString config = dir + QStringLiteral("/fw_env.config");
    const QByteArray configText = (primary + QStringLiteral(" 0x0 0x4000\n") + redundant + QStringLiteral(" 0x0 0x4000\n")).toUtf8();
    for (const auto &[path, bytes] : {std::pair{primary, image}, std::pair{redundant, image}, std::pair{config, configText}}) {
        if (auto written = fileutil::writeAtomically(path, bytes); !written)
            return problem(BootError::WriteFailed, written.error().message + QStringLiteral(": ") + written.error().detail);
    }
    return config;
}

} // namespace s16::bootdetail
