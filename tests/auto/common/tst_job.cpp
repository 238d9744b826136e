// The step job's contract (core/common/job.h): one start, one finished(), always from the event
// loop, and kill() ending a running job as Cancelled.
#include "common/job.h"

#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace s16;

namespace {

// Ends after a timer with the error it is given; counts the kills it sees.
class TimerJob : public Job
{
public:
    explicit TimerJob(std::optional<Error> outcome = {}, bool endAtOnce = false)
        : m_outcome(std::move(outcome))
        , m_endAtOnce(endAtOnce)
    {
    }
    int starts = 0;
    int kills = 0;
    QTimer timer;

protected:
    void doStart() override
    {
        ++starts;
        if (m_endAtOnce) {
            done(m_outcome);
            return;
        }
        timer.setSingleShot(true);
        connect(&timer, &QTimer::timeout, this, [this] { done(m_outcome); });
        timer.start(10);
    }
    void doKill() override
    {
        ++kills;
        timer.stop();
    }

private:
    std::optional<Error> m_outcome;
    bool m_endAtOnce;
};

} // namespace

class tst_Job : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void endsOnceWithItsResult()
    {
        TimerJob job(Error{ExitCode::DownloadFailed, QStringLiteral("no"), std::nullopt, {}});
        QSignalSpy finished(&job, &Job::finished);
        job.start();
        job.start();
        QVERIFY(job.isRunning());
        QVERIFY(finished.wait(2000));
        QCOMPARE(job.starts, 1);
        QVERIFY(job.isFinished());
        QVERIFY(job.error());
        QCOMPARE(job.error()->code, ExitCode::DownloadFailed);
        QTest::qWait(20);
        QCOMPARE(finished.count(), 1);
    }

    void finishedNeverComesFromInsideStart()
    {
        TimerJob job({}, true);
        QSignalSpy finished(&job, &Job::finished);
        job.start();
        QCOMPARE(finished.count(), 0);
        QVERIFY(!job.isFinished());
        QVERIFY(finished.wait(2000));
        QVERIFY(!job.error());
    }

    void killEndsARunningJobAsCancelled()
    {
        TimerJob job;
        QSignalSpy finished(&job, &Job::finished);
        job.start();
        job.kill();
        QCOMPARE(job.kills, 1);
        QCOMPARE(finished.count(), 0); // queued, as every end
        QVERIFY(finished.wait(2000));
        QVERIFY(job.error());
        QCOMPARE(job.error()->code, ExitCode::Cancelled);
        QTest::qWait(30); // the stopped timer never ends it a second time
        QCOMPARE(finished.count(), 1);
    }

    void killIsIgnoredBeforeStartAndAfterTheEnd()
    {
        TimerJob job;
        job.kill();
        QCOMPARE(job.kills, 0);
        QVERIFY(!job.isRunning());
        QSignalSpy finished(&job, &Job::finished);
        job.start();
        QVERIFY(finished.wait(2000));
        job.kill();
        QCOMPARE(job.kills, 0);
        QVERIFY(!job.error());
    }

    void killAfterTheWorkEndedKeepsItsResult()
    {
        TimerJob job({}, true); // done() already called, finished() still queued
        QSignalSpy finished(&job, &Job::finished);
        job.start();
        job.kill();
        QCOMPARE(job.kills, 0);
        QVERIFY(finished.wait(2000));
        QVERIFY(!job.error());
        QCOMPARE(finished.count(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_Job)
#include "tst_job.moc"
