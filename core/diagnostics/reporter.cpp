#include "reporter.h"

#include "diagnostics.h"
#include "diagnostics_p.h"

#include "common/fileutil.h"
#include "common/logging.h"
#include "flow/flowchart.h"
#include "online/transport.h"
#include "online/updateengine.h"
#include "store/journal.h"

#include <QDir>
#include <QFileInfo>
#include <QStringBuilder>

#include <algorithm>

namespace s16 {
namespace {

constexpr qint64 kMaxReportBytes = 64 * 1024 * 1024;

} // namespace

DiagnosticsReporter::DiagnosticsReporter(Config config, Journal *journal, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_journal(journal)
{
}

DiagnosticsReporter::~DiagnosticsReporter() = default;

void DiagnosticsReporter::attach(UpdateEngine *engine)
{
    engine->setDiagnosticsHook([this](const Error &error) { report(error); });
    // Queued reports go first in a cycle, while the engine connects for its own check.
    connect(engine, &UpdateEngine::edgeTaken, this, [this](int edge) {
        if (edge == int(Edge::E01) || edge == int(Edge::E20))
            flush(false);
    });
}

bool DiagnosticsReporter::isBusy() const { return m_roundRunning; }

void DiagnosticsReporter::logEvent(int level, const QString &message, const QString &detail, const QString &event)
{
    (void)m_journal->append(LogEntry{0, {}, LogEntry::Level(level), 0, QStringLiteral("E09"), message, detail, event});
}

bool DiagnosticsReporter::queueReport(const Error &error)
{
    if (m_config.diagnostics.url.isEmpty() || !diagnostics::consent(*m_journal))
        return false;
    auto id = diagnostics::deviceId(*m_journal);
    if (!id) {
        qCWarning(lcDiag).noquote() << id.error().message;
        return false;
    }
    qint64 sequence = 0;
    const auto numbered = m_journal->transaction([&]() -> Status {
        QJsonObject state = diagnostics::detail::sendState(*m_journal);
        sequence = qint64(state.value(QStringLiteral("sequence")).toDouble(0)) + 1;
        state.insert(QStringLiteral("sequence"), double(sequence));
        return diagnostics::detail::setSendState(*m_journal, state);
    });
    if (!numbered) {
        qCWarning(lcDiag).noquote() << "cannot number the diagnostic report:" << numbered.error().message;
        return false;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray body =
        diagnostics::serializeReport(diagnostics::buildReport(m_config, *m_journal, diagnostics::ReportInput{error, *id, sequence, now}));
    const QString name = diagnostics::reportName(now, sequence);

    // Make room, the oldest first; a report that cannot fit at all is tried once from memory.
    const QString dir = diagnostics::queueDir(m_config);
    const qint64 maxBytes = m_config.diagnostics.maxQueuedBytes;
    const int maxReports = m_config.diagnostics.maxQueuedReports;
    const bool fits = maxReports >= 1 && body.size() <= maxBytes;
    if (fits) {
        QStringList queued = diagnostics::queuedReports(m_config);
        qint64 bytes = 0;
        for (const QString &q : std::as_const(queued))
            bytes += QFileInfo(dir % QLatin1Char('/') % q).size();
        while (!queued.isEmpty() && (queued.size() + 1 > maxReports || bytes + body.size() > maxBytes)) {
            const QString oldest = queued.takeFirst();
            bytes -= QFileInfo(dir % QLatin1Char('/') % oldest).size();
            QFile::remove(dir % QLatin1Char('/') % oldest);
            logEvent(int(LogEntry::Level::Warning), QStringLiteral("unsent diagnostic report %1 dropped: the queue is full").arg(oldest),
                     {}, QStringLiteral("diagnosticsDropped"));
        }
    }
    Status written = fits ? Status{} : fail(ExitCode::StorageError, QStringLiteral("larger than the queue may hold"));
    if (fits) {
        if (!QDir().mkpath(dir))
            written = fail(ExitCode::StorageError, QStringLiteral("cannot create %1").arg(dir));
        else
            written = fileutil::writeAtomically(dir % QLatin1Char('/') % name, body, 0600);
    }
    if (!written) {
        qCWarning(lcDiag).noquote() << "diagnostic report" << name << "is not queued:" << written.error().message;
        m_memoryOnly.append(Item{name, body});
    }
    qCInfo(lcDiag).noquote() << "diagnostic report" << name << "for" << edgeName(error.edge) << "made";
    return true;
}

void DiagnosticsReporter::report(const Error &error)
{
    if (queueReport(error))
        flush(true); // E09: right after the error was logged
}

void DiagnosticsReporter::enqueue(const Error &error) { (void)queueReport(error); }

bool DiagnosticsReporter::backoffRunning() const
{
    const QJsonObject state = diagnostics::detail::sendState(*m_journal);
    if (state.value(QStringLiteral("failures")).toInt(0) <= 0)
        return false;
    const QDateTime next = QDateTime::fromString(state.value(QStringLiteral("nextAttempt")).toString(), Qt::ISODateWithMs);
    return next.isValid() && QDateTime::currentDateTimeUtc() < next;
}

void DiagnosticsReporter::flush(bool ignoreBackoff)
{
    if (!diagnostics::consent(*m_journal)) {
        // Revoked meanwhile (in another process, perhaps): nothing may leave, nothing may wait.
        m_memoryOnly.clear();
        if (!m_roundRunning && !diagnostics::queuedReports(m_config).isEmpty())
            (void)diagnostics::clearQueue(m_config);
        return;
    }
    if (m_config.diagnostics.url.isEmpty())
        return;
    if (m_roundRunning) {
        m_again = m_again || ignoreBackoff;
        return;
    }
    const QStringList queued = diagnostics::queuedReports(m_config);
    if (queued.isEmpty() && m_memoryOnly.isEmpty())
        return;
    if (!ignoreBackoff && backoffRunning()) {
        qCInfo(lcDiag) << queued.size() << "diagnostic reports wait for the back-off to end";
        return;
    }
    auto id = diagnostics::deviceId(*m_journal);
    if (!id)
        return;
    m_deviceId = *id;
    m_round.clear();
    for (const QString &name : queued)
        m_round.append(Item{name, {}});
    m_round.append(m_memoryOnly);
    m_memoryOnly.clear();
    m_roundRunning = true;
    sendNext();
}

void DiagnosticsReporter::sendNext()
{
    if (!diagnostics::consent(*m_journal)) {
        m_round.clear();
        (void)diagnostics::clearQueue(m_config);
        finishRound();
        return;
    }
    if (m_round.isEmpty()) {
        // Everything went: the next failure starts the back-off from the beginning.
        QJsonObject state = diagnostics::detail::sendState(*m_journal);
        if (state.contains(QStringLiteral("failures"))) {
            state.remove(QStringLiteral("failures"));
            state.remove(QStringLiteral("nextAttempt"));
            (void)diagnostics::detail::setSendState(*m_journal, state);
        }
        finishRound();
        return;
    }
    if (!m_transport) {
        auto transport = HttpTransport::create(m_config, nullptr);
        if (!transport) {
            stopAfterFailure(transport.error().message);
            return;
        }
        m_transport = std::move(*transport);
    }
    const Item &item = m_round.first();
    QByteArray body = item.body;
    if (body.isEmpty()) {
        auto read = fileutil::readSmallFile(diagnostics::queueDir(m_config) % QLatin1Char('/') % item.name, kMaxReportBytes);
        if (!read || read->isEmpty()) {
            m_round.removeFirst(); // gone meanwhile (consent revoked and given again, say)
            sendNext();
            return;
        }
        body = *read;
    }
    const QUrl url = m_config.diagnostics.url.resolved(QUrl(m_deviceId % QLatin1Char('/') % item.name));
    HttpExchange *x = m_transport->put(url, body, QByteArrayLiteral("application/json"));
    connect(x, &HttpExchange::finished, this, [this, x] { onSent(x); });
}

void DiagnosticsReporter::onSent(HttpExchange *exchange)
{
    const NetResult &r = exchange->result();
    const Item item = m_round.takeFirst();
    const QString file = diagnostics::queueDir(m_config) % QLatin1Char('/') % item.name;
    if (r.outcome == NetOutcome::Ok) {
        // Only now it leaves the queue: a power cut before this sends it again, to the same name.
        QFile::remove(file);
        logEvent(int(LogEntry::Level::Info), QStringLiteral("diagnostic report %1 sent").arg(item.name), {},
                 QStringLiteral("diagnosticsSent"));
        Q_EMIT sent(item.name);
        sendNext();
        return;
    }
    if (r.outcome == NetOutcome::ClientError) {
        // The server will not take this report (too large, not allowed): trying again cannot help.
        QFile::remove(file);
        logEvent(int(LogEntry::Level::Warning),
                 QStringLiteral("diagnostic report %1 was refused by the server and dropped: %2").arg(item.name, r.message),
                 r.detail.left(1000), QStringLiteral("diagnosticsDropped"));
        sendNext();
        return;
    }
    stopAfterFailure(r.message); // a queued report stays on disk for the next round
}

void DiagnosticsReporter::stopAfterFailure(const QString &why)
{
    QJsonObject state = diagnostics::detail::sendState(*m_journal);
    const int failures = state.value(QStringLiteral("failures")).toInt(0) + 1;
    const qint64 delay = std::min<qint64>(qint64(m_backoff.baseSeconds) << std::min(failures - 1, 20), m_backoff.maxSeconds);
    state.insert(QStringLiteral("failures"), failures);
    state.insert(QStringLiteral("nextAttempt"), QDateTime::currentDateTimeUtc().addSecs(delay).toString(Qt::ISODateWithMs));
    (void)diagnostics::detail::setSendState(*m_journal, state);
    const int waiting = int(diagnostics::queuedReports(m_config).size());
    logEvent(int(LogEntry::Level::Warning),
             QStringLiteral("diagnostic data could not be sent; %1 reports wait, next try in %2 s or later").arg(waiting).arg(delay), why,
             QStringLiteral("diagnosticsDeferred"));
    m_round.clear();
    finishRound();
}

void DiagnosticsReporter::finishRound()
{
    m_roundRunning = false;
    if (m_again) {
        m_again = false;
        flush(true);
        if (m_roundRunning)
            return;
    }
    Q_EMIT idle();
}

} // namespace s16
