#pragma once

#include "common/error.h"

#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>

class QTimer;
struct curl_slist;

namespace s16 {

struct Config;

// How one HTTP exchange ended, in the terms the flowchart decides on.
enum class NetOutcome {
    Ok,            // 2xx and the whole body reached the sink
    ConnectFailed, // refused, unreachable, timeout, reset before a response (E04, E24): retry
    ServerBusy,    // 5xx, 408, 429: retry, honouring Retry-After
    TlsRejected,   // certificate chain, host, dates, pin, protocol, or a refused redirect (E12, E30)
    AuthRejected,  // 401, 403, or the server refusing the client certificate (E15)
    ClientError,   // any other 4xx: not retried
    Interrupted,   // the response began and broke off (E33): resume
    SinkRefused,   // the consumer stopped the transfer (too many bytes, disk full)
};

struct NetResult {
    NetOutcome outcome = NetOutcome::Ok;
    int httpStatus = 0;
    qint64 bodyBytes = 0;      // bytes handed to the sink
    qint64 rangeStart = -1;    // from Content-Range on a 206, else -1
    qint64 contentLength = -1; // the server's claim, -1 if none
    int retryAfterSeconds = -1;
    QString message; // plain language
    QString detail;  // technical detail
    [[nodiscard]] bool responseStarted() const { return httpStatus != 0; }
};

// The Content-Range of a 206 response: "bytes FIRST-LAST/COMPLETE" (RFC 9110 §14.4).
struct ContentRange {
    qint64 first = 0;
    qint64 last = 0;
    qint64 completeLength = -1; // -1 for "*" (unknown)
    friend bool operator==(const ContentRange &, const ContentRange &) = default;
};

// Parses a Content-Range header value strictly, as the server's word on where a resumed
// body starts decides where its bytes are written: the unit "bytes" (any case), decimal
// digits only (no sign, no white space inside), every number within qint64, first <= last,
// and last < the complete length when that is known. Surrounding white space is ignored.
// Anything else, including the "bytes */N" of a 416, is std::nullopt.
[[nodiscard]] std::optional<ContentRange> parseContentRange(QByteArrayView value);

// The other header values and decisions of a response, pure so that they are unit tested
// and fuzzed (tests/fuzz/httpheaders) exactly as HttpExchange uses them.

// Retry-After in its delta-seconds form (RFC 9110 §10.2.3): decimal digits only, surrounding
// white space ignored; a number beyond int reads as the largest int (the engine caps the wait
// anyway). The HTTP-date form and anything else is std::nullopt: the configured interval applies.
[[nodiscard]] std::optional<int> parseRetryAfter(QByteArrayView value);
// Content-Length (RFC 9110 §8.6): decimal digits only within qint64, surrounding white space
// ignored. Anything else, including two values joined by a comma, is std::nullopt ("no claim").
[[nodiscard]] std::optional<qint64> parseContentLength(QByteArrayView value);
// How a response with an HTTP status ended: a 2xx is Ok only if the transfer completed
// (else Interrupted); 401 and 403, and nginx's 400 page about an SSL certificate, are
// AuthRejected; 5xx, 408 and 429 ServerBusy; anything else ClientError. errorPage is the
// (bounded) body of an error response.
[[nodiscard]] NetOutcome outcomeForStatus(int status, bool transferComplete, QStringView errorPage);
// Whether a redirect from the server at base to target may be followed: to https (or to
// base's own scheme when allowHttp) on base's host and port. Everything else, an invalid URL
// included, is refused, since a redirect elsewhere would take the device (and its trust) off
// the update server.
[[nodiscard]] bool isAllowedRedirect(const QUrl &base, const QUrl &target, bool allowHttp);

class HttpExchange;

// The device's side of the connection to the update server: libcurl (the HTTP client RAUC and
// SWUpdate use too), driven by the Qt event loop of the thread that owns the transport, with
// the trust, identity and policy of the configuration. Certificates are checked against caFile
// (only those anchors) or the system store and never ignored; the optional SPKI pin is checked
// in the handshake, before any request is sent; redirects are followed only to https on the
// same host; the bearer token goes only to that host. HTTP/1.1 only, and memory is bounded by
// the receive buffer: a consumer that pauses stops the socket being read (docs/performance.md).
class HttpTransport : public QObject
{
    Q_OBJECT
public:
    // Receives body bytes as they arrive; returns false (setting why) to abort.
    using Sink = std::function<bool(QByteArrayView chunk, QString *why)>;

    [[nodiscard]] static Result<std::unique_ptr<HttpTransport>> create(const Config &config, QObject *parent = nullptr);
    ~HttpTransport() override;

    // The URL of a repository path ("manifest.json", "images/x.img").
    [[nodiscard]] QUrl resolve(const QString &repositoryPath) const;
    // Starts a GET of url from byte offset rangeStart (0: the whole body). The exchange
    // deletes itself after finished() has been handled (deleteLater).
    HttpExchange *get(const QUrl &url, qint64 rangeStart, Sink sink, qint64 readBufferBytes = 512 * 1024);
    // Starts a PUT of body to url (diagnostic reports).
    HttpExchange *put(const QUrl &url, const QByteArray &body, const QByteArray &contentType);
    // Forget pooled connections, so that the next try connects (and checks TLS) anew.
    void dropConnections();

private:
    explicit HttpTransport(QObject *parent);
    bool mayCarryToken(const QUrl &url) const;

    struct Multi; // libcurl's multi handle and the socket notifiers and timer that drive it
    std::unique_ptr<Multi> m_multi;
    QUrl m_base;
    QByteArray m_token;
    QByteArray m_caFile;            // empty: the system store
    QByteArray m_clientCertificate; // PEM files, empty: none
    QByteArray m_clientKey;
    QByteArray m_pins; // curl's form: sha256//BASE64[;sha256//BASE64...], empty: none
    int m_connectTimeoutMs = 15000;
    int m_stallTimeoutMs = 30000;
    bool m_allowHttp = false;
    bool m_freshConnection = false; // the next exchange connects anew
    friend class HttpExchange;
};

// One request in flight. Emits finished() exactly once; result() then says how it ended.
class HttpExchange : public QObject
{
    Q_OBJECT
public:
    ~HttpExchange() override;
    [[nodiscard]] const NetResult &result() const { return m_result; }
    void abort(NetOutcome outcome, const QString &message);
    // Stops handing body bytes to the sink until unpaused (a consumer with a full backlog):
    // libcurl keeps the chunk that arrives next and stops reading the socket, and TCP slows the
    // server down. The stall timeout does not run while paused. The end of the response cannot
    // overtake a kept chunk: it is reported after every byte reached the sink.
    void setPaused(bool paused);

Q_SIGNALS:
    void responseStarted();
    void received(qint64 bodyBytes);
    void finished();

private:
    struct Request; // what is asked: method, URL, range, body, buffer size
    HttpExchange(HttpTransport *transport, std::unique_ptr<Request> request, HttpTransport::Sink sink);
    void begin(); // starts (or, after a redirect, restarts) the request on libcurl
    void release();
    // The exchange of a libcurl callback, with its time of activity noted; null once it is decided.
    static HttpExchange *receiving(void *self);
    static size_t onHeaderLine(char *data, size_t size, size_t count, void *self);
    static size_t onBody(char *data, size_t size, size_t count, void *self);
    static int onConnected(void *self, char *, char *, int, int);
    static int onProgress(void *self, qint64, qint64, qint64, qint64);
    void onHeadersEnd();
    void onDone(int curlCode);
    void onTimer();
    void finish();
    void classify(int curlCode);

    HttpTransport *m_transport;
    std::unique_ptr<Request> m_request;
    HttpTransport::Sink m_sink;
    void *m_easy = nullptr; // CURL*
    struct FreeList {
        void operator()(curl_slist *list) const;
    };
    std::unique_ptr<curl_slist, FreeList> m_headerList; // the request's headers, alive as long as m_easy
    QTimer *m_timer;
    NetResult m_result;
    QList<QByteArray> m_headers; // of the response being received
    QByteArray m_errorText;      // libcurl's error buffer
    QUrl m_redirectTo;
    qint64 m_lastActivityMs = 0;
    qint64 m_uploaded = 0;
    qint64 m_reportedBytes = 0;
    int m_redirects = 0;
    bool m_decided = false; // m_result.outcome was set by us (abort), keep it
    bool m_connected = false;
    bool m_bodyWanted = false;
    bool m_paused = false;
    bool m_pausedInCurl = false; // libcurl holds a chunk for us until unpaused
    bool m_finished = false;
    friend class HttpTransport;
};

[[nodiscard]] QString netOutcomeName(NetOutcome outcome);

} // namespace s16
