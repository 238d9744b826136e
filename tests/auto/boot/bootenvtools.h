#pragma once

// What the tests need from the real tools around a boot environment: fw_printenv/fw_setenv
// (libubootenv-tool), mkenvimage (u-boot-tools), grub-editenv (grub-common), and an inotify
// watch that counts how often the environment's files were written.

#include "boot/bootenv.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/inotify.h>
#include <unistd.h>

namespace bootenvtest {

using Vars = QMap<QString, QString>;

inline QString str(const char *s) { return QString::fromUtf8(s); }

struct ToolResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

inline ToolResult runTool(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(20000) || p.exitStatus() != QProcess::NormalExit)
        return {};
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

inline QStringList missingTools()
{
    QStringList missing;
    for (const char *tool : {"fw_printenv", "fw_setenv", "mkenvimage", "grub-editenv"}) {
        if (QStandardPaths::findExecutable(str(tool)).isEmpty())
            missing << str(tool);
    }
    return missing;
}

// The files that hold the environment in dir, as createBootEnvironment lays them out.
inline QStringList envFileNames(const QString &backend)
{
    if (backend == QLatin1StringView("uboot"))
        return {str("env.bin"), str("env-redund.bin")};
    return {str("grubenv")};
}

inline QList<QByteArray> envBytes(const QString &backend, const QString &dir)
{
    QList<QByteArray> all;
    for (const QString &name : envFileNames(backend)) {
        QFile f(QDir(dir).filePath(name));
        all << (f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray());
    }
    return all;
}

// The variables as the backend's own tool lists them; nullopt if the tool refused.
inline std::optional<Vars> toolList(const QString &backend, const QString &envFile)
{
    const ToolResult r = backend == QLatin1StringView("uboot") ? runTool(str("fw_printenv"), {str("-c"), envFile})
                                                               : runTool(str("grub-editenv"), {envFile, str("list")});
    if (r.exitCode != 0)
        return std::nullopt;
    Vars vars;
    for (const QByteArray &line : r.out.split('\n')) {
        if (line.isEmpty())
            continue;
        const qsizetype eq = line.indexOf('=');
        vars.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return vars;
}

// Applies changes with the backend's own tool, in one store where the tool can do it
// (fw_setenv -s; grub-editenv set then unset). fw_setenv's script cannot set an empty value.
inline bool toolApply(const QString &backend, const QString &envFile, const Vars &changes, const QString &scratchDir)
{
    if (backend == QLatin1StringView("uboot")) {
        QByteArray script;
        for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
            if (!it.value().isNull() && it.value().isEmpty())
                return false;
            script += it.key().toUtf8() + '=' + it.value().toUtf8() + '\n'; // "name=" unsets
        }
        const QString scriptFile = QDir(scratchDir).filePath(str("fw_setenv.script"));
        QFile f(scriptFile);
        if (!f.open(QIODevice::WriteOnly) || f.write(script) != script.size())
            return false;
        f.close();
        return runTool(str("fw_setenv"), {str("-c"), envFile, str("-s"), scriptFile}).exitCode == 0;
    }
    QStringList sets{envFile, str("set")};
    QStringList unsets{envFile, str("unset")};
    for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
        if (it.value().isNull())
            unsets << it.key();
        else
            sets << it.key() + u'=' + it.value();
    }
    if (sets.size() > 2 && runTool(str("grub-editenv"), sets).exitCode != 0)
        return false;
    if (unsets.size() > 2 && runTool(str("grub-editenv"), unsets).exitCode != 0)
        return false;
    return true;
}

// Damages one copy so that its checksum (U-Boot) or signature (GRUB) no longer holds.
inline bool corruptFile(const QString &path, qint64 offset)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite) || !f.seek(offset))
        return false;
    char c = 0;
    if (!f.getChar(&c) || !f.seek(offset))
        return false;
    return f.putChar(char(c ^ 0x5A));
}

inline bool corruptAll(const QString &backend, const QString &dir)
{
    for (const QString &name : envFileNames(backend)) {
        // U-Boot: a byte of the variables, so the CRC fails; GRUB: the signature
        if (!corruptFile(QDir(dir).filePath(name), backend == QLatin1StringView("uboot") ? 10 : 2))
            return false;
    }
    return true;
}

// Counts the writes that reach the environment's files: a file closed after writing, or a file
// renamed onto one of them (an atomic replace).
class WriteCounter
{
public:
    WriteCounter(const QString &dir, const QStringList &names)
        : m_names(names)
    {
        m_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m_fd >= 0)
            inotify_add_watch(m_fd, QFile::encodeName(dir).constData(), IN_CLOSE_WRITE | IN_MOVED_TO);
    }
    ~WriteCounter()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    WriteCounter(const WriteCounter &) = delete;
    WriteCounter &operator=(const WriteCounter &) = delete;

    bool isValid() const { return m_fd >= 0; }

    // events since the last call: {in-place writes, renames onto}
    std::pair<int, int> take()
    {
        int inPlace = 0;
        int renames = 0;
        alignas(inotify_event) char buf[8192];
        for (;;) {
            const ssize_t n = ::read(m_fd, buf, sizeof buf);
            if (n <= 0)
                break;
            for (ssize_t off = 0; off < n;) {
                const auto *ev = reinterpret_cast<const inotify_event *>(buf + off);
                const QString name = ev->len ? QFile::decodeName(ev->name) : QString();
                if (m_names.contains(name)) {
                    if (ev->mask & IN_CLOSE_WRITE)
                        ++inPlace;
                    if (ev->mask & IN_MOVED_TO)
                        ++renames;
                }
                off += ssize_t(sizeof(inotify_event)) + ev->len;
            }
        }
        return {inPlace, renames};
    }
    int total()
    {
        const auto [inPlace, renames] = take();
        return inPlace + renames;
    }

private:
    int m_fd = -1;
    QStringList m_names;
};

inline void verifyToolsInstalled()
{
    const QStringList missing = missingTools();
    QVERIFY2(missing.isEmpty(), qPrintable(str("missing tools (scripts/setup-deps installs them): ") + missing.join(u' ')));
}

// A fresh environment of the current backend in dir holding vars; empty on failure (the warning says which step).
inline std::unique_ptr<s16::BootEnvironment> newEnvironment(const QTemporaryDir &dir, const Vars &vars, QString *envFile = nullptr)
{
    QFETCH_GLOBAL(QString, backend);
    const auto created = s16::createBootEnvironment(backend, dir.path(), vars);
    if (!created) {
        qWarning() << "createBootEnvironment:" << created.error().message;
        return nullptr;
    }
    if (envFile)
        *envFile = *created;
    auto opened = s16::openBootEnvironment(backend, *created);
    if (!opened) {
        qWarning() << "openBootEnvironment:" << opened.error().message;
        return nullptr;
    }
    return std::move(*opened);
}

// A U-Boot image of vars made by mkenvimage with args (size, -r for the redundant pair's flag byte).
inline void mkenvimage(const Vars &vars, const QString &dir, const QString &image, const QStringList &args)
{
    QByteArray lines;
    for (auto it = vars.cbegin(); it != vars.cend(); ++it)
        lines += it.key().toUtf8() + '=' + it.value().toUtf8() + '\n';
    QFile in(QDir(dir).filePath(str("vars.txt")));
    QVERIFY(in.open(QIODevice::WriteOnly));
    QCOMPARE(in.write(lines), lines.size());
    in.close();
    QCOMPARE(runTool(str("mkenvimage"), args + QStringList{str("-o"), image, in.fileName()}).exitCode, 0);
}

inline Vars bootDefaults()
{
    return {
        {str("BOOT_ORDER"), str("A B")}, {str("BOOT_A_LEFT"), str("3")}, {str("BOOT_B_LEFT"), str("3")}, {str("S16_RECOVERY"), str("0")}};
}

} // namespace bootenvtest
