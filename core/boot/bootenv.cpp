#include "bootenv.h"
#include "bootenv_p.h"

#include <QDir>

namespace s16 {

using bootdetail::problem;

BootEnvironment::~BootEnvironment() = default;

QString bootErrorName(BootError code)
{
    switch (code) {
    case BootError::ConfigUnreadable: return QStringLiteral("ConfigUnreadable");
    case BootError::EnvUnreadable: return QStringLiteral("EnvUnreadable");
    case BootError::EnvCorrupt: return QStringLiteral("EnvCorrupt");
    case BootError::WriteFailed: return QStringLiteral("WriteFailed");
    case BootError::BadValue: return QStringLiteral("BadValue");
    case BootError::UnknownBackend: return QStringLiteral("UnknownBackend");
    }
    return QStringLiteral("BootError(%1)").arg(int(code));
}

std::expected<std::unique_ptr<BootEnvironment>, BootProblem> openBootEnvironment(const QString &backend, const QString &envFile)
{
    if (backend != QLatin1StringView("uboot") && backend != QLatin1StringView("grub"))
        return problem(BootError::UnknownBackend, QStringLiteral("unknown boot backend \"%1\" (expected uboot or grub)").arg(backend));
    if (envFile.isEmpty())
        return problem(BootError::ConfigUnreadable, QStringLiteral("no boot environment file configured"));
    if (backend == QLatin1StringView("uboot"))
        return bootdetail::openUBoot(envFile);
    return bootdetail::openGrub(envFile);
}

std::expected<QString, BootProblem> createBootEnvironment(const QString &backend, const QString &dir, const QMap<QString, QString> &vars)
{
    if (backend != QLatin1StringView("uboot") && backend != QLatin1StringView("grub"))
        return problem(BootError::UnknownBackend, QStringLiteral("unknown boot backend \"%1\" (expected uboot or grub)").arg(backend));
    for (auto it = vars.cbegin(); it != vars.cend(); ++it) {
        if (it.value().isNull())
            return problem(BootError::BadValue, QStringLiteral("boot variable %1 has no value").arg(it.key()));
    }
    if (auto ok = bootdetail::checkChanges(vars); !ok)
        return std::unexpected(ok.error());
    if (!QDir().mkpath(dir))
        return problem(BootError::WriteFailed, QStringLiteral("cannot create folder %1").arg(dir));
    const QString absDir = QDir(dir).absolutePath();
    if (backend == QLatin1StringView("uboot"))
        return bootdetail::createUBoot(absDir, vars);
    return bootdetail::createGrub(absDir, vars);
}

Error toError(const BootProblem &p)
{
    const ExitCode code = p.code == BootError::UnknownBackend ? ExitCode::Usage : ExitCode::StorageError;
    return Error{code, p.message, {}, bootErrorName(p.code)};
}

} // namespace s16

namespace s16::bootdetail {

std::expected<void, BootProblem> checkChanges(const QMap<QString, QString> &changes)
{
    for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
        const QString &name = it.key();
        if (name.isEmpty())
            return problem(BootError::BadValue, QStringLiteral("empty boot variable name"));
        if (name.startsWith(u'#'))
            return problem(BootError::BadValue, QStringLiteral("boot variable name %1 starts with '#'").arg(name));
        for (const QChar c : name) {
            if (c.unicode() <= 0x20 || c.unicode() >= 0x7f || c == u'=')
                return problem(BootError::BadValue, QStringLiteral("boot variable name \"%1\" holds a character other than printable "
                                                                   "ASCII without '='")
                                                        .arg(name));
        }
        if (it.value().contains(u'\n') || it.value().contains(QChar(u'\0')))
            return problem(BootError::BadValue, QStringLiteral("the value of boot variable %1 holds a newline or NUL").arg(name));
    }
    return {};
}

QMap<QString, QString> applyChanges(QMap<QString, QString> vars, const QMap<QString, QString> &changes)
{
    for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
        if (it.value().isNull())
            vars.remove(it.key());
        else
            vars.insert(it.key(), it.value());
    }
    return vars;
}

} // namespace s16::bootdetail
