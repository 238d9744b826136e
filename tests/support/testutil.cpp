#include "testutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTimer>

#include <random>
#include <sys/stat.h>

namespace s16::test {

QString ToolResult::describe() const
{
    if (!started)
        return QStringLiteral("did not start: ") + QString::fromLocal8Bit(err);
    if (timedOut)
        return QStringLiteral("timed out; stderr: ") + QString::fromLocal8Bit(err);
    return QStringLiteral("exit %1; stderr: ").arg(exitCode) + QString::fromLocal8Bit(err.left(4000));
}

QString binDir()
{
    const QString fromEnv = qEnvironmentVariable("S16_BIN_DIR");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QDir::cleanPath(QCoreApplication::applicationDirPath() + QStringLiteral("/../../bin"));
}

static QString resolveProgram(const QString &program)
{
    if (program.contains(QLatin1Char('/')))
        return program;
    const QString built = QDir(binDir()).filePath(program);
    if (QFileInfo(built).isExecutable())
        return built;
    const QString inPath = QStandardPaths::findExecutable(program);
    return inPath.isEmpty() ? program : inPath;
}

ToolResult runTool(const QString &program, const QStringList &args, const QProcessEnvironment &env, int timeoutMs,
                   const QByteArray &stdinData)
{
    ToolResult result;
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(resolveProgram(program), args);
    if (!process.waitForStarted(10000)) {
        result.err = process.errorString().toLocal8Bit();
        return result;
    }
    result.started = true;
    if (!stdinData.isEmpty())
        process.write(stdinData);
    process.closeWriteChannel();
    bool finished = false;
    if (QCoreApplication::instance()) {
        // Waiting in an event loop, not in waitForFinished(), so that a server in
        // this process (FaultServer) goes on answering the tool's requests.
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
        QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        timer.start(timeoutMs);
        if (process.state() != QProcess::NotRunning)
            loop.exec();
        finished = process.state() == QProcess::NotRunning;
    } else {
        finished = process.waitForFinished(timeoutMs);
    }
    if (!finished) {
        result.timedOut = true;
        process.kill();
        process.waitForFinished(5000);
    }
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    if (!result.timedOut && process.exitStatus() == QProcess::NormalExit)
        result.exitCode = process.exitCode();
    return result;
}

std::expected<void, QString> writeRandomFile(const QString &path, qint64 bytes, quint64 seed)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return std::unexpected(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    // mt19937_64 is specified bit for bit by the standard, so a seed means the
    // same bytes on every machine and compiler.
    std::mt19937_64 engine(seed);
    constexpr qint64 chunkSize = 1 << 20;
    QByteArray chunk;
    qint64 left = bytes;
    while (left > 0) {
        const qint64 n = std::min(left, chunkSize);
        chunk.resize(static_cast<qsizetype>((n + 7) / 8 * 8));
        auto *words = reinterpret_cast<unsigned char *>(chunk.data());
        for (qsizetype i = 0; i < chunk.size(); i += 8) {
            const quint64 v = engine();
            for (int b = 0; b < 8; ++b)
                words[i + b] = static_cast<unsigned char>(v >> (8 * b));
        }
        if (file.write(chunk.constData(), n) != n)
            return std::unexpected(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
        left -= n;
    }
    if (!file.flush())
        return std::unexpected(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32 *>(data.data()), size / 4);
    for (qsizetype i = size / 4 * 4; i < size; ++i)
        data[i] = char(rng.bounded(256));
    return data;
}

std::expected<QString, QString> sha256Hex(const QString &path)
{
    if (!QFileInfo(path).isFile())
        return std::unexpected(QStringLiteral("no such file: ") + path);
    const ToolResult r =
        runTool(QStringLiteral("openssl"), {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"), path});
    if (r.exitCode != 0)
        return std::unexpected(QStringLiteral("openssl dgst failed for %1: %2").arg(path, r.describe()));
    // -r prints "<hex> *<path>", the coreutils format.
    const QByteArray hex = r.out.left(r.out.indexOf(' '));
    if (hex.size() != 64)
        return std::unexpected(QStringLiteral("unexpected openssl dgst output: ") + QString::fromLocal8Bit(r.out));
    return QString::fromLatin1(hex);
}

QByteArray fileBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool putFileBytes(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size() && f.flush();
}

int fileMode(const QString &path)
{
    struct stat st {
    };
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 07777) : -1;
}

} // namespace s16::test
