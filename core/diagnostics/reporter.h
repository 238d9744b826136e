#pragma once

#include "common/error.h"
#include "config/config.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>

#include <memory>

namespace s16 {

class HttpExchange;
class HttpTransport;
class Journal;
class UpdateEngine;

// The sending half of E09: after an error, and only with consent, a report is built,
// kept durably in the queue (stateDir/diagnostics/queue, bounded by maxQueuedReports and
// maxQueuedBytes, oldest dropped) and sent by HTTP PUT to [diagnostics] url +
// <device-id>/<name>, through an HttpTransport of the update server's configuration, so
// the same TLS trust, pin, client certificate and token rules apply. Reports that could
// not be sent stay queued and go first at a later cycle, after a back-off that doubles
// with every failed attempt. A report leaves the queue only once the server accepted it;
// its name makes a repeat an overwrite. Consent is read from the journal before every
// request, so revoking it in another process (the UI) stops the next one; revoking also
// empties the queue (diagnostics::setConsent). Work runs from the event loop; idle()
// says when nothing is in flight, so a command-line run can wait for it before exiting.
class DiagnosticsReporter : public QObject
{
    Q_OBJECT
public:
    // Back-off between failed sending attempts at the start of cycles: base * 2^(failures-1),
    // at most maxSeconds. A new error's report is always tried at once.
    struct Backoff {
        int baseSeconds = 300;
        int maxSeconds = 24 * 3600;
    };

    DiagnosticsReporter(Config config, Journal *journal, QObject *parent = nullptr);
    ~DiagnosticsReporter() override;

    void setBackoff(Backoff backoff) { m_backoff = backoff; }

    // Wires the reporter to an engine: its E09 hook reports the error, and the start of
    // each of its cycles (E01, E20) sends what is queued, subject to the back-off.
    void attach(UpdateEngine *engine);

    // E09: builds a report for error, queues it and sends the queue, the oldest first.
    // Nothing happens without consent or without [diagnostics] url.
    void report(const Error &error);
    // As report(), but only queues: for errors found where sending now is not wise (at
    // boot, before the network is up). The next cycle sends it.
    void enqueue(const Error &error);
    // Sends the queued reports unless the back-off after the last failure still runs
    // (ignoreBackoff: send anyway). Without consent the queue is emptied instead.
    void flush(bool ignoreBackoff = false);

    [[nodiscard]] bool isBusy() const;

Q_SIGNALS:
    void sent(const QString &name); // the server accepted this report
    void idle();                    // nothing in flight or waiting any more

private:
    struct Item {
        QString name;
        QByteArray body; // only for a report too large to queue: sent once from memory
    };

    [[nodiscard]] bool queueReport(const Error &error);
    void sendNext();
    void onSent(HttpExchange *exchange);
    void stopAfterFailure(const QString &why);
    void finishRound();
    [[nodiscard]] bool backoffRunning() const;
    void logEvent(int level, const QString &message, const QString &detail, const QString &event);

    Config m_config;
    Journal *m_journal;
    Backoff m_backoff;
    std::unique_ptr<HttpTransport> m_transport;
    QPointer<HttpExchange> m_exchange;
    QList<Item> m_round;      // what this round still sends, in order
    QList<Item> m_memoryOnly; // reports that did not fit the queue, tried once
    bool m_roundRunning = false;
    bool m_again = false; // a flush was asked for while a round ran
    QString m_deviceId;
};

} // namespace s16
