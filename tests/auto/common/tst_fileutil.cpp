#include "common/fileutil.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;

class tst_FileUtil : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void writeAtomicallyReplacesContent();
    void writeAtomicallyIntoMissingFolderFails();
    void readSmallFileRefusesLargeFile();
    void freeBytesOfExistingFolder();
};

void tst_FileUtil::writeAtomicallyReplacesContent()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.txt"));
    QVERIFY(fileutil::writeAtomically(path, "old"));
    QVERIFY(fileutil::writeAtomically(path, "new", 0600));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("new"));
    QCOMPARE(f.permissions() & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions());
    QVERIFY(!QFile::exists(path + QStringLiteral(".tmp")));
}

void tst_FileUtil::writeAtomicallyIntoMissingFolderFails()
{
    QTemporaryDir dir;
    const auto r = fileutil::writeAtomically(dir.filePath(QStringLiteral("no/such/file")), "x");
    QVERIFY(!r);
    QCOMPARE(r.error().code, ExitCode::StorageError);
}

void tst_FileUtil::readSmallFileRefusesLargeFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big"));
    QVERIFY(fileutil::writeAtomically(path, QByteArray(11, 'x')));
    QVERIFY(!fileutil::readSmallFile(path, 10));
    const auto ok = fileutil::readSmallFile(path, 11);
    QVERIFY(ok);
    QCOMPARE(ok->size(), 11);
}

void tst_FileUtil::freeBytesOfExistingFolder()
{
    QTemporaryDir dir;
    const auto free = fileutil::freeBytes(dir.path());
    QVERIFY(free);
    QVERIFY(*free > 0);
    QVERIFY(!fileutil::freeBytes(dir.filePath(QStringLiteral("missing"))));
}

QTEST_GUILESS_MAIN(tst_FileUtil)
#include "tst_fileutil.moc"
