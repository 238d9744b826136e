#include "transport.h"

#include "common/logging.h"
#include "config/config.h"

#include <QCryptographicHash>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSslKey>
#include <QTimer>

#include <limits>

namespace s16 {
namespace {

constexpr qint64 kMaxErrorBody = 64 * 1024;

Result<QSslKey> loadPrivateKey(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(ExitCode::Usage, QStringLiteral("cannot read the client key %1").arg(path), f.errorString());
    const QByteArray pem = f.readAll();
    for (const auto algorithm : {QSsl::Ec, QSsl::Rsa, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return fail(ExitCode::Usage, QStringLiteral("the client key %1 is not a PEM private key Qt can use").arg(path));
}

// "sha256//BASE64[;sha256//BASE64...]", as curl's --pinnedpubkey.
Result<QList<QByteArray>> parsePins(const QString &spec)
{
    QList<QByteArray> pins;
    for (const QString &part : spec.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        const QString p = part.trimmed();
        if (!p.startsWith(QStringLiteral("sha256//")))
            return fail(ExitCode::Usage, QStringLiteral("server/pinnedPublicKey: %1 is not of the form sha256//<base64>").arg(p));
        const QByteArray raw = QByteArray::fromBase64(p.mid(8).toLatin1());
        if (raw.size() != 32)
            return fail(ExitCode::Usage, QStringLiteral("server/pinnedPublicKey: %1 is not a base64 SHA-256").arg(p));
        pins.append(raw);
    }
    return pins;
}

bool isServerClientCertificateRefusal(const QString &sslText)
{
    // OpenSSL's texts for the alerts a server sends when it refuses our certificate.
    static const QRegularExpression re(
        QStringLiteral("alert (certificate required|bad certificate|unknown ca|certificate unknown|certificate revoked|"
                       "certificate expired|access denied|handshake failure)"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(sslText).hasMatch();
}

// A run of decimal digits at the start of text, within qint64; advances text past it.
std::optional<qint64> takeNumber(QByteArrayView &text)
{
    qsizetype n = 0;
    qint64 value = 0;
    while (n < text.size() && text.at(n) >= '0' && text.at(n) <= '9') {
        const int digit = text.at(n) - '0';
        if (value > (std::numeric_limits<qint64>::max() - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
        ++n;
    }
    if (n == 0)
        return std::nullopt;
    text = text.sliced(n);
    return value;
}

bool takeChar(QByteArrayView &text, char c)
{
    if (text.isEmpty() || text.front() != c)
        return false;
    text = text.sliced(1);
    return true;
}

} // namespace

std::optional<ContentRange> parseContentRange(QByteArrayView value)
{
    QByteArrayView text = value.trimmed();
    constexpr QByteArrayView unit("bytes ");
    if (text.size() < unit.size() || text.first(unit.size()).compare(unit, Qt::CaseInsensitive) != 0)
        return std::nullopt;
    text = text.sliced(unit.size());
    ContentRange range;
    const auto first = takeNumber(text);
    if (!first || !takeChar(text, '-'))
        return std::nullopt;
    const auto last = takeNumber(text);
    if (!last || *last < *first || !takeChar(text, '/'))
        return std::nullopt;
    range.first = *first;
    range.last = *last;
    if (takeChar(text, '*'))
        return text.isEmpty() ? std::optional(range) : std::nullopt;
    const auto complete = takeNumber(text);
    if (!complete || !text.isEmpty() || *last >= *complete)
        return std::nullopt;
    range.completeLength = *complete;
    return range;
}

std::optional<int> parseRetryAfter(QByteArrayView value)
{
    QByteArrayView text = value.trimmed();
    if (text.isEmpty())
        return std::nullopt;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    const auto seconds = takeNumber(text);
    if (!seconds) // digits only, so only beyond qint64
        return std::numeric_limits<int>::max();
    return int(std::min<qint64>(*seconds, std::numeric_limits<int>::max()));
}

std::optional<qint64> parseContentLength(QByteArrayView value)
{
    QByteArrayView text = value.trimmed();
    const auto length = takeNumber(text);
    if (!length || !text.isEmpty())
        return std::nullopt;
    return length;
}

NetOutcome outcomeForStatus(int status, bool transferComplete, QStringView errorPage)
{
    if (status >= 200 && status < 300)
        return transferComplete ? NetOutcome::Ok : NetOutcome::Interrupted;
    if (status == 401 || status == 403)
        return NetOutcome::AuthRejected;
    // nginx answers a missing or untrusted client certificate with a 400 page.
    if (status == 400 && errorPage.contains(QStringLiteral("SSL certificate"), Qt::CaseInsensitive))
        return NetOutcome::AuthRejected;
    if (status >= 500 || status == 408 || status == 429)
        return NetOutcome::ServerBusy;
    return NetOutcome::ClientError;
}

bool isAllowedRedirect(const QUrl &base, const QUrl &target, bool allowHttp)
{
    // An invalid URL (a port "<443", found by tests/fuzz/httpheaders) still answers host() and
    // port(443) like the base's, but prints as nothing: what it would reach is unknown.
    if (!target.isValid())
        return false;
    const bool secure = target.scheme() == QStringLiteral("https") || (allowHttp && target.scheme() == base.scheme());
    return secure && target.host() == base.host() && target.port(443) == base.port(443);
}

QString netOutcomeName(NetOutcome outcome)
{
    switch (outcome) {
    case NetOutcome::Ok: return QStringLiteral("Ok");
    case NetOutcome::ConnectFailed: return QStringLiteral("ConnectFailed");
    case NetOutcome::ServerBusy: return QStringLiteral("ServerBusy");
    case NetOutcome::TlsRejected: return QStringLiteral("TlsRejected");
    case NetOutcome::AuthRejected: return QStringLiteral("AuthRejected");
    case NetOutcome::ClientError: return QStringLiteral("ClientError");
    case NetOutcome::Interrupted: return QStringLiteral("Interrupted");
    case NetOutcome::SinkRefused: return QStringLiteral("SinkRefused");
    }
    return {};
}

HttpTransport::HttpTransport(QObject *parent)
    : QObject(parent)
    , m_nam(new QNetworkAccessManager(this))
{
}

HttpTransport::~HttpTransport() = default;

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(const Config &config, QObject *parent)
{
    std::unique_ptr<HttpTransport> t(new HttpTransport(parent));
    t->m_base = config.server.url;
    t->m_allowHttp = config.server.allowInsecureHttp;
    if (t->m_base.scheme() != QStringLiteral("https") && !(t->m_allowHttp && t->m_base.scheme() == QStringLiteral("http")))
        return fail(ExitCode::Usage, QStringLiteral("server/url must be https (http only with allowInsecureHttp=true)"));
    t->m_connectTimeoutMs = config.server.connectTimeoutSeconds * 1000;
    t->m_stallTimeoutMs = config.server.stallTimeoutSeconds * 1000;

    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setProtocol(QSsl::TlsV1_2OrLater);
    ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    if (!config.server.caFile.isEmpty()) {
        const auto cas = QSslCertificate::fromPath(config.server.caFile, QSsl::Pem);
        if (cas.isEmpty())
            return fail(ExitCode::Usage, QStringLiteral("server/caFile %1 holds no PEM certificate").arg(config.server.caFile));
        ssl.setCaCertificates(cas); // only these anchors, not the system store
    }
    if (!config.server.clientCertificate.isEmpty()) {
        const auto certs = QSslCertificate::fromPath(config.server.clientCertificate, QSsl::Pem);
        if (certs.isEmpty())
            return fail(ExitCode::Usage,
                        QStringLiteral("server/clientCertificate %1 holds no PEM certificate").arg(config.server.clientCertificate));
        auto key = loadPrivateKey(config.server.clientKey);
        if (!key)
            return std::unexpected(key.error());
        ssl.setLocalCertificateChain(certs);
        ssl.setPrivateKey(*key);
    }
    t->m_ssl = ssl;
    if (!config.server.pinnedPublicKey.isEmpty()) {
        auto pins = parsePins(config.server.pinnedPublicKey);
        if (!pins)
            return std::unexpected(pins.error());
        t->m_pins = *pins;
    }
    if (!config.server.tokenFile.isEmpty()) {
        QFile f(config.server.tokenFile);
        if (!f.open(QIODevice::ReadOnly))
            return fail(ExitCode::Usage, QStringLiteral("cannot read server/tokenFile %1").arg(config.server.tokenFile), f.errorString());
        t->m_token = f.read(64 * 1024).trimmed();
    }
    return t;
}

QUrl HttpTransport::resolve(const QString &repositoryPath) const
{
    // The manifest's paths are checked to stay inside the repository; encode each
    // segment so nothing in a name can change the URL's structure.
    QString encoded;
    const auto segments = repositoryPath.split(QLatin1Char('/'));
    for (qsizetype i = 0; i < segments.size(); ++i) {
        if (i)
            encoded += QLatin1Char('/');
        encoded += QString::fromLatin1(QUrl::toPercentEncoding(segments[i]));
    }
    return m_base.resolved(QUrl(encoded, QUrl::StrictMode));
}

bool HttpTransport::mayCarryToken(const QUrl &url) const
{
    return url.scheme() == m_base.scheme() && url.host() == m_base.host() && url.port() == m_base.port();
}

void HttpTransport::dropConnections() { m_nam->clearConnectionCache(); }

HttpExchange *HttpTransport::get(const QUrl &url, qint64 rangeStart, Sink sink, qint64 readBufferBytes)
{
    QNetworkRequest req(url);
    req.setSslConfiguration(m_ssl);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::UserVerifiedRedirectPolicy);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setRawHeader("User-Agent", "s16-update/" S16_VERSION);
    req.setRawHeader("Accept-Encoding", "identity");
    if (rangeStart > 0)
        req.setRawHeader("Range", "bytes=" + QByteArray::number(rangeStart) + '-');
    if (!m_token.isEmpty() && mayCarryToken(url))
        req.setRawHeader("Authorization", "Bearer " + m_token);
    QNetworkReply *reply = m_nam->get(req);
    reply->setReadBufferSize(readBufferBytes);
    return start(reply, std::move(sink));
}

HttpExchange *HttpTransport::put(const QUrl &url, const QByteArray &body, const QByteArray &contentType)
{
    QNetworkRequest req(url);
    req.setSslConfiguration(m_ssl);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    req.setRawHeader("User-Agent", "s16-update/" S16_VERSION);
    if (!m_token.isEmpty() && mayCarryToken(url))
        req.setRawHeader("Authorization", "Bearer " + m_token);
    QNetworkReply *reply = m_nam->put(req, body);
    return start(reply, [](QByteArrayView, QString *) { return true; });
}

HttpExchange *HttpTransport::start(QNetworkReply *reply, Sink sink)
{
    auto *exchange = new HttpExchange(this, reply, std::move(sink));
    return exchange;
}

HttpExchange::HttpExchange(HttpTransport *transport, QNetworkReply *reply, HttpTransport::Sink sink)
    : QObject(transport)
    , m_transport(transport)
    , m_reply(reply)
    , m_sink(std::move(sink))
    , m_timer(new QTimer(this))
{
    reply->setParent(this);
    m_timer->setSingleShot(true);
    // One timer: first the connect timeout (until TLS is up), then the stall timeout.
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (m_connected)
            abort(NetOutcome::Interrupted, QStringLiteral("no data for %1 s").arg(m_transport->m_stallTimeoutMs / 1000));
        else
            abort(NetOutcome::ConnectFailed, QStringLiteral("no connection within %1 s").arg(m_transport->m_connectTimeoutMs / 1000));
    });
    m_timer->start(m_transport->m_connectTimeoutMs);
    connect(reply, &QNetworkReply::sslErrors, this, [this](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            m_sslErrors.append(e.errorString());
        // Never ignored: the handshake fails and finished() classifies it as TlsRejected.
    });
    connect(reply, &QNetworkReply::encrypted, this, &HttpExchange::onEncrypted);
    connect(reply, &QNetworkReply::redirected, this, &HttpExchange::onRedirected);
    connect(reply, &QNetworkReply::metaDataChanged, this, &HttpExchange::onMetaData);
    connect(reply, &QNetworkReply::readyRead, this, &HttpExchange::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &HttpExchange::onFinished);
    connect(reply, &QNetworkReply::uploadProgress, this, [this](qint64, qint64) { restartStallTimer(); });
}

void HttpExchange::restartStallTimer()
{
    m_connected = true;
    m_timer->start(m_transport->m_stallTimeoutMs);
}

void HttpExchange::abort(NetOutcome outcome, const QString &message)
{
    if (m_decided || (m_reply->isFinished() && !m_finishHeld))
        return;
    m_decided = true;
    m_result.outcome = outcome;
    m_result.message = message;
    if (m_finishHeld) {
        m_finishHeld = false;
        onFinished();
        return;
    }
    m_reply->abort(); // emits finished()
}

void HttpExchange::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (m_decided || (m_reply->isFinished() && !m_finishHeld))
        return;
    qCDebug(lcNet) << m_reply->url().toString(QUrl::RemoveUserInfo) << (paused ? "paused" : "resumed") << "at" << m_result.bodyBytes;
    if (paused) {
        m_timer->stop();
        return;
    }
    if (!m_reply->isFinished())
        restartStallTimer();
    // Not from inside the caller (possibly the sink's own consumer): from the event loop.
    QMetaObject::invokeMethod(this, &HttpExchange::catchUp, Qt::QueuedConnection);
}

void HttpExchange::catchUp()
{
    if (m_paused || m_decided)
        return;
    if (m_reply->bytesAvailable() > 0)
        onReadyRead();
    if (m_finishHeld && !m_decided) {
        m_finishHeld = false;
        onFinished();
    }
}

void HttpExchange::onEncrypted()
{
    const QSslCertificate peer = m_reply->sslConfiguration().peerCertificate();
    if (!m_transport->m_pins.isEmpty()) {
        // QSslKey::toDer of a public key is its SubjectPublicKeyInfo, what curl's pin hashes.
        const QByteArray spki = QCryptographicHash::hash(peer.publicKey().toDer(), QCryptographicHash::Sha256);
        if (!m_transport->m_pins.contains(spki)) {
            m_result.detail = QStringLiteral("server key sha256//%1 is not pinned").arg(QString::fromLatin1(spki.toBase64()));
            abort(NetOutcome::TlsRejected, QStringLiteral("the server's public key does not match the pinned key"));
            return;
        }
    }
    restartStallTimer();
}

void HttpExchange::onRedirected(const QUrl &url)
{
    if (!isAllowedRedirect(m_transport->m_base, url, m_transport->m_allowHttp)) {
        m_result.detail = QStringLiteral("redirect to %1").arg(url.toString(QUrl::RemoveUserInfo));
        abort(NetOutcome::TlsRejected,
              QStringLiteral("the server redirected to %1, which the update policy refuses (only https on the same host)")
                  .arg(url.toString(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery)));
        return;
    }
    Q_EMIT m_reply->redirectAllowed();
}

void HttpExchange::onMetaData()
{
    const QVariant status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid())
        return;
    const int code = status.toInt();
    if (code >= 300 && code < 400)
        return; // a redirect on its way; its own metadata follows
    restartStallTimer();
    m_result.httpStatus = code;
    m_bodyWanted = code == 200 || code == 206;
    m_result.contentLength = parseContentLength(m_reply->rawHeader("Content-Length")).value_or(-1);
    if (code == 206) {
        const auto range = parseContentRange(m_reply->rawHeader("Content-Range"));
        if (!range) {
            abort(NetOutcome::Interrupted, QStringLiteral("the server answered a range request without a valid Content-Range"));
            return;
        }
        m_result.rangeStart = range->first;
    }
    m_result.retryAfterSeconds = parseRetryAfter(m_reply->rawHeader("Retry-After")).value_or(-1);
    Q_EMIT responseStarted();
}

void HttpExchange::onReadyRead()
{
    if (m_decided || (m_paused && m_bodyWanted))
        return;
    restartStallTimer();
    if (!m_bodyWanted) {
        // An error page: read and drop it, bounded.
        const QByteArray page = m_reply->readAll();
        if (m_result.detail.size() < kMaxErrorBody)
            m_result.detail += QString::fromUtf8(page.left(kMaxErrorBody));
        return;
    }
    const QByteArray chunk = m_reply->readAll();
    if (chunk.isEmpty())
        return;
    QString why;
    if (!m_sink(chunk, &why)) {
        abort(NetOutcome::SinkRefused, why);
        return;
    }
    m_result.bodyBytes += chunk.size();
    Q_EMIT received(m_result.bodyBytes);
}

void HttpExchange::onFinished()
{
    m_timer->stop();
    if (!m_decided && m_bodyWanted && m_reply->bytesAvailable() > 0) {
        if (m_paused) {
            m_finishHeld = true; // catchUp() reads the rest and ends the exchange
            return;
        }
        onReadyRead();
    }
    if (!m_decided)
        classify();
    qCDebug(lcNet) << m_reply->url().toString(QUrl::RemoveUserInfo) << netOutcomeName(m_result.outcome) << m_result.httpStatus
                   << m_result.bodyBytes << m_result.message;
    Q_EMIT finished();
    deleteLater();
}

void HttpExchange::classify()
{
    NetResult &r = m_result;
    const auto error = m_reply->error();
    const QString errorText = m_reply->errorString();
    const int code = r.httpStatus;
    auto set = [&](NetOutcome o, const QString &message) {
        r.outcome = o;
        r.message = message;
        if (r.detail.isEmpty())
            r.detail = errorText;
    };
    if (code != 0) {
        switch (outcomeForStatus(code, error == QNetworkReply::NoError, r.detail)) {
        case NetOutcome::Ok: set(NetOutcome::Ok, {}); break;
        case NetOutcome::Interrupted:
            set(NetOutcome::Interrupted, QStringLiteral("the transfer broke off after %1 bytes").arg(r.bodyBytes));
            break;
        case NetOutcome::AuthRejected:
            if (code == 400)
                set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's client certificate"));
            else
                set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's credentials (HTTP %1)").arg(code));
            break;
        case NetOutcome::ServerBusy: set(NetOutcome::ServerBusy, QStringLiteral("the server is unavailable (HTTP %1)").arg(code)); break;
        default: set(NetOutcome::ClientError, QStringLiteral("the server refused the request (HTTP %1)").arg(code)); break;
        }
        return;
    }
    if (!m_sslErrors.isEmpty()) {
        set(NetOutcome::TlsRejected,
            QStringLiteral("the server's certificate is not valid: %1").arg(m_sslErrors.join(QStringLiteral("; "))));
        r.detail = m_sslErrors.join(QLatin1Char('\n'));
        return;
    }
    if (error == QNetworkReply::SslHandshakeFailedError) {
        if (isServerClientCertificateRefusal(errorText))
            set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's client certificate"));
        else
            set(NetOutcome::TlsRejected, QStringLiteral("the TLS handshake failed: %1").arg(errorText));
        return;
    }
    // TLS 1.3: the server checks the device's certificate after the client has finished its
    // part of the handshake, so a refusal arrives as an alert on a connected socket, which Qt
    // reports as a close or as a read error ("Error while reading: ... alert unknown ca").
    if (m_connected && isServerClientCertificateRefusal(errorText)) {
        set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's client certificate"));
        return;
    }
    set(NetOutcome::ConnectFailed, QStringLiteral("cannot connect to %1: %2").arg(m_reply->url().host(), errorText));
}

} // namespace s16
