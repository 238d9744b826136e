#include "faultserver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <optional>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace s16::test {

namespace {

constexpr qint64 chunkSize = 64 * 1024;
// What may wait in the socket's buffers before the next chunk is read from the
// file: this, not the file's size, bounds the server's memory.
constexpr qint64 highWater = 256 * 1024;
constexpr qsizetype maxHeaderBytes = 64 * 1024;
constexpr qint64 maxBodyBytes = 16 * 1024 * 1024;

QString withSlash(const QString &path) { return path.endsWith(QLatin1Char('/')) ? path : path + QLatin1Char('/'); }

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

} // namespace

// ---------------------------------------------------------------- Fault

namespace {

// The faults that act after `bytes` of the body.
FaultServer::Fault bodyFault(FaultServer::Fault::Kind kind, qint64 bytes)
{
    FaultServer::Fault f;
    f.kind = kind;
    f.bytes = bytes;
    return f;
}

} // namespace

FaultServer::Fault FaultServer::Fault::refuse()
{
    Fault f;
    f.kind = Kind::Refuse;
    return f;
}

FaultServer::Fault FaultServer::Fault::resetMidBody(qint64 afterBytes) { return bodyFault(Kind::ResetMidBody, afterBytes); }

FaultServer::Fault FaultServer::Fault::truncate(qint64 afterBytes) { return bodyFault(Kind::Truncate, afterBytes); }

FaultServer::Fault FaultServer::Fault::stall(qint64 afterBytes) { return bodyFault(Kind::Stall, afterBytes); }

FaultServer::Fault FaultServer::Fault::extraBytes(qint64 count, bool declareLength)
{
    Fault f;
    f.kind = Kind::ExtraBytes;
    f.bytes = count;
    f.declareLength = declareLength;
    return f;
}

FaultServer::Fault FaultServer::Fault::httpStatus(int code, Headers headers, QByteArray body)
{
    Fault f;
    f.kind = Kind::Status;
    f.status = code;
    f.headers = std::move(headers);
    f.body = body.isNull() ? QByteArray::number(code) + ' ' + reasonPhrase(code) + '\n' : std::move(body);
    return f;
}

FaultServer::Fault FaultServer::Fault::redirect(QByteArray location, int code)
{
    Fault f;
    f.kind = Kind::Redirect;
    f.status = code;
    f.location = std::move(location);
    return f;
}

FaultServer::Fault FaultServer::Fault::firstRequests(int n) const
{
    Fault f = *this;
    f.times = n;
    return f;
}

QByteArray FaultServer::Request::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

// ---------------------------------------------------------------- Private

namespace {

// Counts accepted connections and closes those to refuse before Base (TLS
// handshake or plain) ever sees them.
template <typename Base>
class GateServer : public Base
{
public:
    GateServer(int *refuse, int *accepted, QObject *parent)
        : Base(parent)
        , m_refuse(refuse)
        , m_accepted(accepted)
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        ++*m_accepted;
        if (*m_refuse > 0) {
            --*m_refuse;
            // A clean FIN at once, then whatever the client sends is read and
            // dropped until it closes too. Closing outright would send FIN or
            // RST depending on whether the client's first bytes had arrived
            // yet, and the client would see a different error from run to run.
            auto *socket = new QTcpSocket(this);
            if (!socket->setSocketDescriptor(descriptor)) {
                ::close(static_cast<int>(descriptor));
                delete socket;
                return;
            }
            ::shutdown(static_cast<int>(descriptor), SHUT_WR);
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->readAll(); });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            return;
        }
        Base::incomingConnection(descriptor);
    }

private:
    int *m_refuse;
    int *m_accepted;
};

} // namespace

struct FaultServer::Private {
    Options options;
    int refuseConnections = 0;
    int accepted = 0;
    QTcpServer *server = nullptr;
    bool tls = false;
    QHash<QString, Fault> faults;
    QList<Request> requests;
    QList<QPointer<Connection>> connections;

    QString absolute(const QString &path) const { return path.startsWith(QLatin1Char('/')) ? path : withSlash(options.prefix) + path; }
};

// One accepted connection: reads one request, answers it (or misbehaves), closes.
class FaultServer::Connection : public QObject
{
public:
    Connection(FaultServer *server, QTcpSocket *socket)
        : QObject(server)
        , m_server(server)
        , m_socket(socket)
    {
        m_socket->setParent(this);
        m_ssl = qobject_cast<QSslSocket *>(socket);
        connect(m_socket, &QTcpSocket::readyRead, this, [this] { onReadyRead(); });
        connect(m_socket, &QTcpSocket::bytesWritten, this, [this] { onWritten(); });
        if (m_ssl)
            connect(m_ssl, &QSslSocket::encryptedBytesWritten, this, [this] { onWritten(); });
        connect(m_socket, &QTcpSocket::disconnected, this, [this] { finish(); });
        m_server->d->connections.removeAll(nullptr);
        m_server->d->connections.append(this);
        onReadyRead();
    }

    // Closes the connection at once, without a goodbye. The socket is deleted
    // later, not aborted now: aborting a QSslSocket from its own signal leaves
    // Qt 6.4's OpenSSL backend with queued work on a freed SSL object (crash),
    // while its destructor drops that work. Destroying the socket closes it
    // without TLS close_notify, so with SO_LINGER 0 the peer gets a RST.
    void drop()
    {
        m_socket->disconnect(this);
        finish();
    }

private:
    enum class After { Close, Reset, Stall };

    qint64 pending() const { return m_socket->bytesToWrite() + (m_ssl ? m_ssl->encryptedBytesToWrite() : 0); }

    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        deleteLater();
    }

    void onReadyRead()
    {
        if (m_finished)
            return;
        const QByteArray data = m_socket->readAll();
        if (m_handled)
            return; // one request per connection; anything after it is ignored
        m_buffer += data;
        if (!m_headerDone) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0) {
                if (m_buffer.size() > maxHeaderBytes)
                    drop();
                return;
            }
            if (!parseHeader(m_buffer.left(end))) {
                sendSimple(400, {}, "bad request\n");
                return;
            }
            m_buffer.remove(0, end + 4);
            m_headerDone = true;
        }
        if (m_buffer.size() < m_bodyLength)
            return;
        m_request.body = m_buffer.left(m_bodyLength);
        m_handled = true;
        handle();
    }

    bool parseHeader(const QByteArray &head)
    {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1."))
            return false;
        m_request.method = requestLine.at(0);
        m_request.target = requestLine.at(1);
        const qsizetype query = m_request.target.indexOf('?');
        m_request.path = QUrl::fromPercentEncoding(query < 0 ? m_request.target : m_request.target.left(query));
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                return false;
            m_request.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        }
        bool ok = true;
        const QByteArray length = m_request.header("Content-Length");
        m_bodyLength = length.isEmpty() ? 0 : length.toLongLong(&ok);
        return ok && m_bodyLength >= 0 && m_bodyLength <= maxBodyBytes;
    }

    void handle()
    {
        Private &d = *m_server->d;
        std::optional<Fault> fault;
        if (auto it = d.faults.find(m_request.path); it != d.faults.end() && it->times != 0) {
            fault = *it;
            if (it->times > 0)
                --it->times;
        }
        m_request.faulted = fault.has_value();
        d.requests.append(m_request);
        const QPointer<Connection> self(this);
        Q_EMIT m_server->requestReceived(m_request.path);
        if (!self || m_finished)
            return; // the test stopped the server from its slot

        if (!fault) {
            serve(After::Close, -1, 0, false);
            return;
        }
        switch (fault->kind) {
        case Fault::Kind::Refuse: drop(); return;
        case Fault::Kind::Status: sendSimple(fault->status, fault->headers, fault->body); return;
        case Fault::Kind::Redirect: sendSimple(fault->status, {{"Location", fault->location}}, {}); return;
        case Fault::Kind::ResetMidBody: serve(After::Reset, fault->bytes, 0, false); return;
        case Fault::Kind::Truncate: serve(After::Close, fault->bytes, 0, false); return;
        case Fault::Kind::Stall: serve(After::Stall, fault->bytes, 0, false); return;
        case Fault::Kind::ExtraBytes: serve(After::Close, -1, fault->bytes, !fault->declareLength); return;
        }
    }

    void sendSimple(int status, const Headers &headers, const QByteArray &body)
    {
        QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
        for (const auto &[key, value] : headers)
            head += key + ": " + value + "\r\n";
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n";
        m_socket->write(head);
        if (m_request.method != "HEAD")
            m_socket->write(body);
        m_socket->disconnectFromHost();
    }

    // Answers from the file. limit >= 0 sends only that many body bytes before
    // `after`; extra adds filler bytes after the body; noLength leaves out
    // Content-Length so the body ends when the connection closes.
    void serve(After after, qint64 limit, qint64 extra, bool noLength)
    {
        const Private &d = *m_server->d;
        if (m_request.method == "PUT" || m_request.method == "POST") {
            sendSimple(201, {}, {});
            return;
        }
        if (m_request.method != "GET" && m_request.method != "HEAD") {
            sendSimple(405, {{"Allow", "GET, HEAD, PUT"}}, "method not allowed\n");
            return;
        }
        const QString prefix = withSlash(d.options.prefix);
        const QString relative = m_request.path.startsWith(prefix) ? m_request.path.mid(prefix.size()) : QString();
        const QString filePath = QDir(d.options.root).filePath(relative);
        if (relative.isEmpty() || relative.split(QLatin1Char('/')).contains(QStringLiteral("..")) || !QFileInfo(filePath).isFile()) {
            sendSimple(404, {}, "not found\n");
            return;
        }
        m_file.setFileName(filePath);
        if (!m_file.open(QIODevice::ReadOnly)) {
            sendSimple(403, {}, "forbidden\n");
            return;
        }
        const qint64 size = m_file.size();
        qint64 first = 0;
        bool partial = false;
        const QByteArray range = m_request.header("Range");
        if (range.startsWith("bytes=") && !range.contains(',')) {
            const QList<QByteArray> bounds = range.mid(6).split('-');
            bool okFirst = false;
            bool okLast = true;
            const qint64 from = bounds.value(0).toLongLong(&okFirst);
            const qint64 to = bounds.value(1).isEmpty() ? size - 1 : bounds.value(1).toLongLong(&okLast);
            if (bounds.size() == 2 && okFirst && okLast && from >= size) {
                sendSimple(416, {{"Content-Range", "bytes */" + QByteArray::number(size)}}, {});
                return;
            }
            if (bounds.size() == 2 && okFirst && okLast && from <= to) {
                first = from;
                m_last = std::min(to, size - 1);
                partial = true;
            }
        }
        if (!partial)
            m_last = size - 1;
        const qint64 length = m_last - first + 1;

        QByteArray head = partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
        head += m_request.path.endsWith(QStringLiteral(".json")) ? "Content-Type: application/json\r\n"
                                                                 : "Content-Type: application/octet-stream\r\n";
        head += "Accept-Ranges: bytes\r\n";
        if (!noLength)
            head += "Content-Length: " + QByteArray::number(length) + "\r\n";
        if (partial) {
            head += "Content-Range: bytes " + QByteArray::number(first) + '-' + QByteArray::number(m_last) + '/' + QByteArray::number(size)
                    + "\r\n";
        }
        head += "Connection: close\r\n\r\n";
        m_socket->write(head);
        if (m_request.method == "HEAD") {
            m_socket->disconnectFromHost();
            return;
        }
        m_file.seek(first);
        m_toSend = limit >= 0 ? std::min(limit, length) : length;
        m_after = after;
        m_extra = extra;
        m_streaming = true;
        pump();
    }

    void onWritten()
    {
        if (m_streaming)
            pump();
    }

    void pump()
    {
        while (m_toSend > 0 && pending() < highWater) {
            const QByteArray chunk = m_file.read(std::min(chunkSize, m_toSend));
            if (chunk.isEmpty()) {
                drop();
                return;
            }
            m_socket->write(chunk);
            m_toSend -= chunk.size();
        }
        if (m_toSend > 0)
            return;
        m_streaming = false;
        m_file.close();
        switch (m_after) {
        case After::Close:
            if (m_extra > 0)
                m_socket->write(QByteArray(static_cast<qsizetype>(m_extra), 'X'));
            m_socket->disconnectFromHost();
            break;
        case After::Reset: resetWhenFlushed(); break;
        case After::Stall: break; // keep the connection open and silent until the client gives up
        }
    }

    // An abortive close: with SO_LINGER 0, close() sends RST instead of FIN, which
    // the client sees as "connection reset by peer". A RST discards whatever the
    // kernel has not yet sent, so first Qt's buffers must drain (QSslSocket
    // encrypts from a queued call, and reports 0 bytes to write before it has)
    // and then the peer must have acknowledged the kernel's send queue
    // (SIOCOUTQ == 0): the client then holds exactly the bytes before the reset.
    void resetWhenFlushed()
    {
        if (m_finished)
            return;
        const int fd = static_cast<int>(m_socket->socketDescriptor());
        int unacked = 0;
        const bool flushed = pending() == 0 && fd >= 0 && ::ioctl(fd, SIOCOUTQ, &unacked) == 0 && unacked == 0;
        if ((!flushed || m_resetWaits == 0) && m_resetWaits++ < 400) {
            QTimer::singleShot(5, this, [this] { resetWhenFlushed(); });
            return;
        }
        const linger lingerOff{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lingerOff, sizeof lingerOff);
        drop();
    }

    FaultServer *m_server;
    QTcpSocket *m_socket;
    QSslSocket *m_ssl = nullptr;
    QByteArray m_buffer;
    Request m_request;
    qint64 m_bodyLength = 0;
    bool m_headerDone = false;
    bool m_handled = false;
    bool m_finished = false;
    QFile m_file;
    qint64 m_last = 0;
    qint64 m_toSend = 0;
    qint64 m_extra = 0;
    After m_after = After::Close;
    bool m_streaming = false;
    int m_resetWaits = 0;
};

// ---------------------------------------------------------------- FaultServer

FaultServer::FaultServer(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
}

FaultServer::~FaultServer()
{
    stop();
    // The dropped connections are children and go with this object.
}

std::expected<void, QString> FaultServer::start(const Options &options)
{
    stop();
    d->options = options;
    d->accepted = 0;
    d->tls = !options.certFile.isEmpty();
    if (d->tls) {
        const auto certs = QSslCertificate::fromPath(options.certFile);
        if (certs.isEmpty())
            return std::unexpected(QStringLiteral("no certificate in ") + options.certFile);
        QFile keyFile(options.keyFile);
        if (!keyFile.open(QIODevice::ReadOnly))
            return std::unexpected(QStringLiteral("cannot read %1: %2").arg(options.keyFile, keyFile.errorString()));
        const QByteArray pem = keyFile.readAll();
        QSslKey key(pem, QSsl::Ec);
        if (key.isNull())
            key = QSslKey(pem, QSsl::Rsa);
        if (key.isNull())
            return std::unexpected(QStringLiteral("no EC or RSA private key in ") + options.keyFile);
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setLocalCertificate(certs.first());
        config.setPrivateKey(key);
        config.setPeerVerifyMode(QSslSocket::VerifyNone);
        config.setProtocol(QSsl::TlsV1_2OrLater);
        config.setAllowedNextProtocols({QSslConfiguration::NextProtocolHttp1_1});
        auto *server = new GateServer<QSslServer>(&d->refuseConnections, &d->accepted, this);
        server->setSslConfiguration(config);
        d->server = server;
    } else {
        d->server = new GateServer<QTcpServer>(&d->refuseConnections, &d->accepted, this);
    }
    connect(d->server, &QTcpServer::pendingConnectionAvailable, this, [this] {
        while (d->server && d->server->hasPendingConnections()) {
            if (QTcpSocket *socket = d->server->nextPendingConnection())
                new Connection(this, socket);
        }
    });
    if (!d->server->listen(QHostAddress::LocalHost, 0)) {
        const QString error = d->server->errorString();
        delete d->server;
        d->server = nullptr;
        return std::unexpected(QStringLiteral("cannot listen on 127.0.0.1: ") + error);
    }
    return {};
}

void FaultServer::stop()
{
    if (d->server) {
        d->server->close();
        delete d->server;
        d->server = nullptr;
    }
    const QList<QPointer<Connection>> open = std::exchange(d->connections, {});
    for (const QPointer<Connection> &c : open) {
        if (c)
            c->drop();
    }
}

quint16 FaultServer::port() const { return d->server ? d->server->serverPort() : 0; }

QUrl FaultServer::url(const QString &path) const
{
    return QUrl((d->tls ? QStringLiteral("https://127.0.0.1:%1") : QStringLiteral("http://127.0.0.1:%1")).arg(port()) + d->absolute(path));
}

void FaultServer::setFault(const QString &path, const Fault &fault) { d->faults.insert(d->absolute(path), fault); }

void FaultServer::clearFaults() { d->faults.clear(); }

void FaultServer::refuseConnections(int n) { d->refuseConnections = n; }

int FaultServer::connectionCount() const { return d->accepted; }

QList<FaultServer::Request> FaultServer::requests() const { return d->requests; }

int FaultServer::requestCount(const QString &path) const
{
    const QString wanted = d->absolute(path);
    return static_cast<int>(
        std::count_if(d->requests.cbegin(), d->requests.cend(), [&wanted](const Request &r) { return r.path == wanted; }));
}

quint16 FaultServer::unusedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

QUrl FaultServer::unreachableUrl(const QString &path) { return QUrl(QStringLiteral("https://127.0.0.1:%1%2").arg(unusedPort()).arg(path)); }

} // namespace s16::test
