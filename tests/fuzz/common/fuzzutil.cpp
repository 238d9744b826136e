#include "fuzzutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <memory>

namespace s16::fuzz {

void quiet()
{
    static const bool installed = [] {
        qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &) {});
        return true;
    }();
    (void)installed;
}

QString scratchDir()
{
    static const std::unique_ptr<QTemporaryDir> dir = [] {
        const QString base = QFileInfo(QStringLiteral("/dev/shm")).isWritable() ? QStringLiteral("/dev/shm") : QDir::tempPath();
        auto d = std::make_unique<QTemporaryDir>(base + QStringLiteral("/s16-fuzz-XXXXXX"));
        if (!d->isValid()) {
            std::fprintf(stderr, "cannot create a scratch folder in %s\n", qPrintable(base));
            std::abort();
        }
        return d;
    }();
    return dir->path();
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size()) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
        std::abort();
    }
}

} // namespace s16::fuzz
