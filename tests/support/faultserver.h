#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>

#include <expected>
#include <memory>
#include <utility>

namespace s16::test {

// An in-process HTTP/1.1 server (QSslServer for TLS, or plain TCP) that serves
// files from a folder and misbehaves on purpose, per path: it refuses, resets
// or truncates a connection mid-body, stalls, sends more bytes than declared,
// answers with an error status or a redirect. A fault can hold for the first N
// requests only, so a client's retry and resume logic meets a server that
// recovers. It honours "Range: bytes=N-" (206), records every request, streams
// files in chunks (a 64 MiB image never sits in memory) and answers each
// request with "Connection: close".
class FaultServer : public QObject
{
    Q_OBJECT
public:
    using Headers = QList<std::pair<QByteArray, QByteArray>>;

    struct Fault {
        enum class Kind {
            Refuse,       // close the connection once the request is read, without a response
            ResetMidBody, // send `bytes` of the body, then reset (RST) the connection
            Truncate,     // Content-Length says the full size; close cleanly after `bytes`
            Stall,        // send `bytes` of the body, then nothing, keeping the connection open
            ExtraBytes,   // send the whole body plus `bytes` more
            Status,       // answer `status` with `headers` and `body`
            Redirect,     // answer `status` with Location: `location`
        };
        Kind kind = Kind::Status;
        qint64 bytes = 0;
        // ExtraBytes: false sends no Content-Length (the body ends at close, so a
        // reader sees more bytes than the manifest declares); true declares the file's size.
        bool declareLength = false;
        int status = 0;
        Headers headers;
        QByteArray body;
        QByteArray location;
        int times = -1; // requests this fault still applies to; -1: all

        [[nodiscard]] static Fault refuse();
        [[nodiscard]] static Fault resetMidBody(qint64 afterBytes);
        [[nodiscard]] static Fault truncate(qint64 afterBytes);
        [[nodiscard]] static Fault stall(qint64 afterBytes);
        [[nodiscard]] static Fault extraBytes(qint64 count, bool declareLength = false);
        [[nodiscard]] static Fault httpStatus(int code, Headers headers = {}, QByteArray body = {});
        [[nodiscard]] static Fault redirect(QByteArray location, int code = 302);
        // This fault for the next n requests to its path only, then normal service.
        [[nodiscard]] Fault firstRequests(int n) const;
    };

    struct Request {
        QByteArray method;
        QByteArray target; // as sent, with any query
        QString path;      // decoded, without query
        Headers headers;   // as sent, in order
        QByteArray body;   // PUT/POST body (up to 16 MiB)
        bool faulted = false;
        // The first header of that name, compared case-insensitively; empty if none.
        [[nodiscard]] QByteArray header(const QByteArray &name) const;
    };

    struct Options {
        QString root; // folder served at prefix
        QString prefix = QStringLiteral("/");
        QString certFile; // empty: plain TCP (http://)
        QString keyFile;
    };

    explicit FaultServer(QObject *parent = nullptr);
    ~FaultServer() override;

    // Listens on 127.0.0.1 on a free port.
    [[nodiscard]] std::expected<void, QString> start(const Options &options);
    // Stops listening and drops every open connection (a stalled one included).
    void stop();

    [[nodiscard]] quint16 port() const;
    // http(s)://127.0.0.1:<port> plus path; a path without a leading slash is relative to the prefix.
    [[nodiscard]] QUrl url(const QString &path = {}) const;

    // The fault for requests to path (as in url()); replaces an earlier one.
    void setFault(const QString &path, const Fault &fault);
    void clearFaults();

    // Closes the next n connections (FIN) as soon as they are accepted, before
    // any TLS handshake or request: the connect succeeds, then the peer is gone.
    void refuseConnections(int n);
    // TCP connections accepted since start(), refused ones included.
    [[nodiscard]] int connectionCount() const;

    // Every request read so far. Note that QNetworkAccessManager silently resends
    // a request whose connection closed before any response (Fault::refuse()),
    // so one reply can show up here more than once.
    [[nodiscard]] QList<Request> requests() const;
    // Requests whose decoded path is path (as in url()).
    [[nodiscard]] int requestCount(const QString &path) const;

    // A port on 127.0.0.1 that nothing listens on: connecting is refused (ECONNREFUSED).
    [[nodiscard]] static quint16 unusedPort();
    // https://127.0.0.1:<unusedPort()><path>: a server that cannot be reached.
    [[nodiscard]] static QUrl unreachableUrl(const QString &path);

Q_SIGNALS:
    // A request's header has been read (before the response).
    void requestReceived(const QString &path);

private:
    struct Private;
    class Connection;
    std::unique_ptr<Private> d;
};

} // namespace s16::test
