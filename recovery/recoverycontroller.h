#pragma once

#include "install/install.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <memory>

QT_BEGIN_NAMESPACE
class QQmlEngine;
class QJSEngine;
QT_END_NAMESPACE

namespace s16 {

struct Config;
class RecoveryEngine;

// What the recovery screen shows, as typed properties: the install's step, its progress
// with percent, bytes and ETA, and the outcome. It owns the RecoveryEngine job, which runs
// on its worker thread; QML only reads these properties (the singleton is the instance
// main() made, so QML never creates or starts anything). --headless uses it too, printing
// the same state as lines.
class RecoveryController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    // The install's stage (InstallStage in QML), and the furthest one it reached before any rollback.
    Q_PROPERTY(s16::InstallStage::Value step READ step NOTIFY stepChanged)
    Q_PROPERTY(s16::InstallStage::Value reachedStep READ reachedStep NOTIFY stepChanged)
    Q_PROPERTY(bool rollingBack READ rollingBack NOTIFY stepChanged)
    Q_PROPERTY(int percent READ percent NOTIFY progressChanged)
    Q_PROPERTY(double bytes READ bytes NOTIFY progressChanged)
    Q_PROPERTY(double total READ total NOTIFY progressChanged)
    Q_PROPERTY(QString bytesText READ bytesText NOTIFY progressChanged)
    Q_PROPERTY(QString totalText READ totalText NOTIFY progressChanged)
    Q_PROPERTY(int etaSeconds READ etaSeconds NOTIFY progressChanged)
    Q_PROPERTY(bool finished READ isFinished NOTIFY finishedChanged)
    Q_PROPERTY(bool succeeded READ succeeded NOTIFY finishedChanged)
    Q_PROPERTY(int exitCode READ exitCode NOTIFY finishedChanged)
    Q_PROPERTY(QString errorMessage READ errorMessage NOTIFY finishedChanged)
    // Why it failed in plain, translated words (from the exit code and the step, never the
    // engine's text), and the technical text for "Technical details".
    Q_PROPERTY(QString failureText READ failureText NOTIFY finishedChanged)
    Q_PROPERTY(QString technicalDetails READ technicalDetails NOTIFY finishedChanged)

public:
    explicit RecoveryController(const Config &config, QObject *parent = nullptr);
    ~RecoveryController() override;

    // The QML singleton is the controller main() registered here.
    static void setInstance(RecoveryController *controller);
    static RecoveryController *create(QQmlEngine *qmlEngine, QJSEngine *jsEngine);

    void start();

    [[nodiscard]] InstallStage::Value step() const { return m_step; }
    [[nodiscard]] InstallStage::Value reachedStep() const { return m_reached; }
    [[nodiscard]] bool rollingBack() const { return m_rollingBack; }
    [[nodiscard]] int percent() const;
    [[nodiscard]] double bytes() const { return double(m_bytes); }
    [[nodiscard]] double total() const { return double(m_total); }
    [[nodiscard]] QString bytesText() const;
    [[nodiscard]] QString totalText() const;
    [[nodiscard]] int etaSeconds() const { return m_eta; }
    [[nodiscard]] bool isFinished() const { return m_finished; }
    [[nodiscard]] bool succeeded() const { return m_finished && m_exitCode == 0; }
    [[nodiscard]] int exitCode() const { return m_exitCode; }
    [[nodiscard]] QString errorMessage() const { return m_errorMessage; }
    [[nodiscard]] QString errorDetail() const { return m_errorDetail; }
    [[nodiscard]] QString errorEdge() const { return m_errorEdge; }
    [[nodiscard]] QString failureText() const;
    [[nodiscard]] QString technicalDetails() const;
    // For tests: end as a run with this result would (exit code 0: success).
    void finishForTest(int exitCode, const QString &message = {}, const QString &edge = {}, const QString &detail = {});
    void stageForTest(InstallStage::Value stage) { onStage(stage); }
    void progressForTest(qint64 bytes, qint64 total) { onProgress(bytes, total); }
    // "verify", "install", ...: the step's name in --headless output.
    [[nodiscard]] static QString stepName(InstallStage::Value step);

Q_SIGNALS:
    void stepChanged();
    void progressChanged();
    void finishedChanged();

private:
    void onStage(InstallStage::Value stage);
    void onProgress(qint64 bytes, qint64 total);
    void onFinished(const InstallReport &report);

    std::unique_ptr<RecoveryEngine> m_engine;
    InstallStage::Value m_step = InstallStage::Idle;
    InstallStage::Value m_reached = InstallStage::Idle;
    bool m_rollingBack = false;
    qint64 m_bytes = 0;
    qint64 m_total = 0;
    int m_eta = -1;
    QElapsedTimer m_stepClock;
    bool m_finished = false;
    int m_exitCode = 0;
    QString m_errorMessage;
    QString m_errorDetail;
    QString m_errorEdge;
};

// The install's stages reach QML as InstallStage.Verify, ... (the steps the screen lists
// are the engine's own, install.h).
namespace InstallStageForeign {
Q_NAMESPACE
QML_FOREIGN_NAMESPACE(s16::InstallStage)
QML_NAMED_ELEMENT(InstallStage)
} // namespace InstallStageForeign

} // namespace s16
