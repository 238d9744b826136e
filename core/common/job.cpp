#include "common/job.h"

#include <QMetaObject>

namespace s16 {

Job::Job(QObject *parent)
    : QObject(parent)
{
}

Job::~Job() = default;

void Job::start()
{
    if (m_state != State::Idle)
        return;
    m_state = State::Running;
    doStart();
}

void Job::kill()
{
    if (m_state != State::Running || m_ending)
        return;
    doKill();
    done(Error{ExitCode::Cancelled, QStringLiteral("stopped on request"), std::nullopt, {}});
}

void Job::done(std::optional<Error> error)
{
    if (m_state != State::Running || m_ending)
        return;
    m_ending = true;
    m_error = std::move(error);
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_state = State::Finished;
            Q_EMIT finished();
        },
        Qt::QueuedConnection);
}

} // namespace s16
