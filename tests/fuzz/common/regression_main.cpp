// The plain (g++) build of a fuzz target: runs every file of the folders (or files)
// given on the command line through LLVMFuzzerTestOneInput once, so the seed corpus
// and every crash or hang libFuzzer ever found stay checked by CTest (label
// "fuzz-regression") without clang. A crash aborts the process and fails the test.

#include "fuzzutil.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <algorithm>

int main(int argc, char **argv)
{
    QStringList files;
    for (int i = 1; i < argc; ++i) {
        const QString arg = QFile::decodeName(argv[i]);
        if (QFileInfo(arg).isDir()) {
            QDirIterator it(arg, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
            while (it.hasNext())
                files.append(it.next());
        } else if (QFileInfo::exists(arg)) {
            files.append(arg);
        }
    }
    std::sort(files.begin(), files.end());
    if (files.isEmpty()) {
        std::fprintf(stderr, "no inputs: a fuzz target without a corpus proves nothing\n");
        return 2;
    }
    for (const QString &path : std::as_const(files)) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "cannot read %s\n", qPrintable(path));
            return 2;
        }
        const QByteArray data = f.readAll();
        QElapsedTimer timer;
        timer.start();
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(data.constData()), size_t(data.size()));
        // libFuzzer's own default is 1200 s; an input this slow is a hang worth a look
        if (timer.elapsed() > 10000) {
            std::fprintf(stderr, "%s took %lld ms\n", qPrintable(path), qint64(timer.elapsed()));
            return 1;
        }
    }
    std::printf("%lld inputs passed\n", qint64(files.size()));
    return 0;
}
