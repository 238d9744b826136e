// s16-publish: the release tool for the server side (CONTRACT §2). The logic is in
// publisher.cpp so that it can be linked and read apart from the process plumbing.
#include "publisher.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("s16-publish"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S16_VERSION));
    QTextStream out(stdout);
    QTextStream err(stderr);
    return s16::publish::runCommandLine(QCoreApplication::arguments(), out, err);
}
