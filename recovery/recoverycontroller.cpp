#include "recoverycontroller.h"

#include "config/config.h"
#include "install/recoveryengine.h"
#include "uitext.h"

#include <QJSEngine>
#include <QJsonObject>
#include <QLocale>
#include <QPointer>

namespace s16 {
namespace {

QPointer<RecoveryController> s_instance;

} // namespace

RecoveryController::RecoveryController(const Config &config, QObject *parent)
    : QObject(parent)
    , m_engine(std::make_unique<RecoveryEngine>(config))
{
    connect(m_engine.get(), &RecoveryEngine::stepChanged, this, &RecoveryController::onStage);
    connect(m_engine.get(), &RecoveryEngine::progress, this, &RecoveryController::onProgress);
    connect(m_engine.get(), &RecoveryEngine::finished, this, &RecoveryController::onFinished);
}

RecoveryController::~RecoveryController() = default;

void RecoveryController::setInstance(RecoveryController *controller) { s_instance = controller; }

RecoveryController *RecoveryController::create(QQmlEngine *, QJSEngine *)
{
    if (s_instance)
        QJSEngine::setObjectOwnership(s_instance, QJSEngine::CppOwnership); // main() owns it
    return s_instance;
}

void RecoveryController::start() { m_engine->start(); }

int RecoveryController::percent() const
{
    if (m_total <= 0)
        return 0;
    return int(std::clamp<qint64>(m_bytes * 100 / m_total, 0, 100));
}

QString RecoveryController::bytesText() const { return QLocale().formattedDataSize(m_bytes); }

QString RecoveryController::totalText() const { return QLocale().formattedDataSize(m_total); }

QString RecoveryController::stepName(InstallStage::Value step)
{
    switch (step) {
    case InstallStage::Idle: return QStringLiteral("idle");
    case InstallStage::Verify: return QStringLiteral("verify");
    case InstallStage::Install: return QStringLiteral("install");
    case InstallStage::Migrate: return QStringLiteral("migrate");
    case InstallStage::RestartServices: return QStringLiteral("restart");
    case InstallStage::RollingBack: return QStringLiteral("rollback");
    case InstallStage::Done: return QStringLiteral("done");
    }
    return QStringLiteral("idle");
}

void RecoveryController::onStage(InstallStage::Value step)
{
    if (step == m_step)
        return;
    m_step = step;
    if (step == InstallStage::RollingBack)
        m_rollingBack = true;
    else if (step > m_reached && step < InstallStage::RollingBack)
        m_reached = step;
    m_bytes = 0;
    m_total = 0;
    m_eta = -1;
    m_stepClock.start();
    Q_EMIT stepChanged();
    Q_EMIT progressChanged();
}

void RecoveryController::onProgress(qint64 bytes, qint64 total)
{
    m_bytes = bytes;
    m_total = total;
    const qint64 elapsed = m_stepClock.isValid() ? m_stepClock.elapsed() : 0;
    // an estimate only once there is something to go by
    m_eta = (elapsed > 1000 && bytes > 0 && total >= bytes) ? int((total - bytes) * elapsed / bytes / 1000) : -1;
    Q_EMIT progressChanged();
}

void RecoveryController::onFinished(const InstallReport &report)
{
    m_finished = true;
    m_exitCode = report.status ? 0 : toInt(report.status.error().code);
    if (!report.status) {
        m_errorMessage = report.status.error().message;
        m_errorDetail = report.status.error().detail;
        m_errorEdge = edgeName(report.status.error().edge);
    }
    if (m_step != InstallStage::Done) {
        m_step = InstallStage::Done;
        Q_EMIT stepChanged();
    }
    Q_EMIT finishedChanged();
}

QString RecoveryController::failureText() const
{
    if (!m_finished || m_exitCode == 0)
        return {};
    return uitext::reasonForFailure(m_exitCode, m_errorEdge);
}

QString RecoveryController::technicalDetails() const
{
    if (!m_finished || m_exitCode == 0)
        return {};
    return uitext::technicalDetails(QJsonObject{{QStringLiteral("code"), m_exitCode},
                                                {QStringLiteral("message"), m_errorMessage},
                                                {QStringLiteral("edge"), m_errorEdge},
                                                {QStringLiteral("detail"), m_errorDetail}});
}

void RecoveryController::finishForTest(int exitCode, const QString &message, const QString &edge, const QString &detail)
{
    InstallReport report;
    if (exitCode != 0)
        report.status = std::unexpected(Error{ExitCode(exitCode), message, edgeFromName(edge), detail});
    onFinished(report);
}

} // namespace s16
