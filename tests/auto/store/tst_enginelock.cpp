#include "store/journal.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace s16;

namespace {

// `flock -n FILE true`: exit 0 when the lock was free, 1 when someone holds it.
int flockProbe(const QString &file)
{
    QProcess p;
    p.start(QStringLiteral("flock"), {QStringLiteral("-n"), file, QStringLiteral("true")});
    if (!p.waitForFinished(5000))
        qFatal("flock did not finish");
    return p.exitCode();
}

} // namespace

class tst_EngineLock : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void secondHolderInThisProcessIsRefused();
    void otherProcessSeesTheLock();
    void lockHeldByOtherProcessIsRefused();
    void moveKeepsTheLock();
    void holderIsReadWithoutTakingTheLock();
    void unusableStateDir();

private:
    QScopedPointer<QTemporaryDir> m_dir;
    QString m_stateDir;
    QString m_lockFile;
};

void tst_EngineLock::init()
{
    m_dir.reset(new QTemporaryDir);
    QVERIFY(m_dir->isValid());
    m_stateDir = m_dir->filePath(QStringLiteral("state"));
    m_lockFile = QDir(m_stateDir).filePath(QStringLiteral("engine.lock"));
}

void tst_EngineLock::secondHolderInThisProcessIsRefused()
{
    {
        auto first = EngineLock::tryAcquire(m_stateDir);
        QVERIFY(first);
        QCOMPARE(first->path(), m_lockFile);
        QFile f(m_lockFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().trimmed().toLongLong(), qint64(::getpid()));

        const auto second = EngineLock::tryAcquire(m_stateDir);
        QVERIFY(!second);
        QCOMPARE(second.error().code, ExitCode::Usage);
        QVERIFY2(second.error().message.contains(m_lockFile), qPrintable(second.error().message));
    }
    // Released with the first holder.
    QVERIFY(EngineLock::tryAcquire(m_stateDir));
}

void tst_EngineLock::otherProcessSeesTheLock()
{
    {
        auto lock = EngineLock::tryAcquire(m_stateDir);
        QVERIFY(lock);
        QCOMPARE(flockProbe(m_lockFile), 1);
    }
    QCOMPARE(flockProbe(m_lockFile), 0);
}

void tst_EngineLock::lockHeldByOtherProcessIsRefused()
{
    QVERIFY(QDir().mkpath(m_stateDir));
    QProcess holder;
    // -o: only flock itself holds the lock, not the command it runs.
    holder.start(QStringLiteral("flock"),
                 {QStringLiteral("-o"), m_lockFile, QStringLiteral("-c"), QStringLiteral("echo held; exec sleep 5")});
    QVERIFY(holder.waitForReadyRead(5000));
    QCOMPARE(holder.readLine().trimmed(), QByteArray("held"));

    const auto refused = EngineLock::tryAcquire(m_stateDir);
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, ExitCode::Usage);

    // A holder that dies (SIGKILL, as a power cut) leaves no stale lock.
    holder.kill();
    QVERIFY(holder.waitForFinished(5000));
    QCOMPARE(flockProbe(m_lockFile), 0);
    QVERIFY(EngineLock::tryAcquire(m_stateDir));
}

void tst_EngineLock::holderIsReadWithoutTakingTheLock()
{
    QVERIFY(QDir().mkpath(m_stateDir));
    QCOMPARE(EngineLock::holder(m_stateDir), std::nullopt); // no lock file yet
    {
        auto lock = EngineLock::tryAcquire(m_stateDir);
        QVERIFY(lock);
        QCOMPARE(EngineLock::holder(m_stateDir), std::optional<qint64>(::getpid()));
    }
    QCOMPARE(EngineLock::holder(m_stateDir), std::nullopt); // the file stays, the lock is gone

    QProcess other;
    other.start(QStringLiteral("flock"),
                {QStringLiteral("-o"), m_lockFile, QStringLiteral("-c"), QStringLiteral("echo held; exec sleep 5")});
    QVERIFY(other.waitForReadyRead(5000));
    QCOMPARE(EngineLock::holder(m_stateDir), std::optional<qint64>(other.processId()));
    // Asking did not take the lock: the holder still has it, and a reader never blocks an engine.
    QCOMPARE(flockProbe(m_lockFile), 1);
    other.kill();
    QVERIFY(other.waitForFinished(5000));
    QCOMPARE(EngineLock::holder(m_stateDir), std::nullopt);
}

void tst_EngineLock::moveKeepsTheLock()
{
    auto acquired = EngineLock::tryAcquire(m_stateDir);
    QVERIFY(acquired);
    EngineLock moved = std::move(*acquired);
    QCOMPARE(moved.path(), m_lockFile);
    QCOMPARE(flockProbe(m_lockFile), 1); // the moved-from object released nothing
    {
        auto other = EngineLock::tryAcquire(m_dir->filePath(QStringLiteral("other")));
        QVERIFY(other);
        moved = std::move(*other); // assignment releases what `moved` held
    }
    QCOMPARE(flockProbe(m_lockFile), 0);
    QCOMPARE(flockProbe(moved.path()), 1);
}

void tst_EngineLock::unusableStateDir()
{
    QFile blocker(m_stateDir);
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const auto lock = EngineLock::tryAcquire(m_stateDir);
    QVERIFY(!lock);
    QCOMPARE(lock.error().code, ExitCode::StorageError);
}

QTEST_GUILESS_MAIN(tst_EngineLock)
#include "tst_enginelock.moc"
