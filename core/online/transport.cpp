#include "transport.h"

#include "common/logging.h"
#include "config/config.h"

#include <QDateTime>
#include <QFile>
#include <QPointer>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QSslCertificate>
#include <QSslKey>
#include <QTimer>

#include <curl/curl.h>

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

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

// The connection went away during the handshake (reset, closed): a failed connection to retry,
// not a verdict on the server's certificate.
bool isConnectionLost(const QString &curlText)
{
    static const QRegularExpression re(QStringLiteral("SSL_ERROR_SYSCALL|unexpected eof|connection reset|connection was reset"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(curlText).hasMatch();
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

// libcurl's multi handle, driven by this thread's event loop: a socket notifier per socket and
// direction libcurl asks to watch, one timer for the timeout it asks for.
struct HttpTransport::Multi {
    CURLM *multi = nullptr;
    QTimer timer;
    struct Watch {
        std::unique_ptr<QSocketNotifier> read;
        std::unique_ptr<QSocketNotifier> write;
    };
    std::map<curl_socket_t, Watch> watches;
    int inCallbacks = 0; // libcurl is calling one of ours: no exchange may be torn down now

    explicit Multi(HttpTransport *owner)
    {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        multi = curl_multi_init();
        timer.setSingleShot(true);
        QObject::connect(&timer, &QTimer::timeout, owner, [this] { act(CURL_SOCKET_TIMEOUT, 0); });
        curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Multi::onSocket);
        curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Multi::onTimer);
        curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    }
    ~Multi()
    {
        for (auto &[socket, w] : watches) {
            for (auto *n : {w.read.release(), w.write.release()}) {
                if (n) { // possibly the sender of the signal this runs in
                    n->setEnabled(false);
                    n->deleteLater();
                }
            }
        }
        curl_multi_cleanup(multi);
    }

    static int onTimer(CURLM *, long timeoutMs, void *self)
    {
        auto *m = static_cast<Multi *>(self);
        if (timeoutMs < 0)
            m->timer.stop();
        else
            m->timer.start(int(std::min<long>(timeoutMs, std::numeric_limits<int>::max())));
        return 0;
    }

    static int onSocket(CURL *, curl_socket_t socket, int what, void *self, void *)
    {
        auto *m = static_cast<Multi *>(self);
        if (what == CURL_POLL_REMOVE) {
            if (auto it = m->watches.find(socket); it != m->watches.end()) {
                // Possibly inside the notifier's own signal: disabled now, deleted later.
                for (auto *n : {it->second.read.release(), it->second.write.release()}) {
                    if (n) {
                        n->setEnabled(false);
                        n->deleteLater();
                    }
                }
                m->watches.erase(it);
            }
            return 0;
        }
        Watch &w = m->watches[socket];
        const auto watch = [m, socket](std::unique_ptr<QSocketNotifier> &n, QSocketNotifier::Type type, bool on, int mask) {
            if (!n && on) {
                n = std::make_unique<QSocketNotifier>(qintptr(socket), type);
                QObject::connect(n.get(), &QSocketNotifier::activated, &m->timer, [m, socket, mask] { m->act(socket, mask); });
            }
            if (n)
                n->setEnabled(on);
        };
        watch(w.read, QSocketNotifier::Read, what == CURL_POLL_IN || what == CURL_POLL_INOUT, CURL_CSELECT_IN);
        watch(w.write, QSocketNotifier::Write, what == CURL_POLL_OUT || what == CURL_POLL_INOUT, CURL_CSELECT_OUT);
        return 0;
    }

    void act(curl_socket_t socket, int mask)
    {
        int running = 0;
        curl_multi_socket_action(multi, socket, mask, &running);
        // Collected first: an exchange's finished() may start another one, or end the transport
        // (and this with it), so nothing here is touched once the first of them is told.
        std::vector<std::pair<QPointer<HttpExchange>, CURLcode>> done;
        CURLMsg *msg = nullptr;
        int queued = 0;
        while ((msg = curl_multi_info_read(multi, &queued))) {
            HttpExchange *x = nullptr;
            if (msg->msg == CURLMSG_DONE && curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x) == CURLE_OK && x)
                done.emplace_back(x, msg->data.result);
        }
        for (const auto &[x, code] : done) {
            if (x)
                x->onDone(code);
        }
    }
};

struct HttpExchange::Request {
    QUrl url;
    qint64 rangeStart = 0;
    qint64 bufferBytes = 0;
    bool put = false;
    QByteArray body;
    QByteArray contentType;
};

HttpTransport::HttpTransport(QObject *parent)
    : QObject(parent)
    , m_multi(std::make_unique<Multi>(this))
{
}

HttpTransport::~HttpTransport()
{
    // Exchanges still running end here, before the multi handle they are attached to.
    qDeleteAll(findChildren<HttpExchange *>(Qt::FindDirectChildrenOnly));
}

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(const Config &config, QObject *parent)
{
    std::unique_ptr<HttpTransport> t(new HttpTransport(parent));
    t->m_base = config.server.url;
    t->m_allowHttp = config.server.allowInsecureHttp;
    if (t->m_base.scheme() != QStringLiteral("https") && !(t->m_allowHttp && t->m_base.scheme() == QStringLiteral("http")))
        return fail(ExitCode::Usage, QStringLiteral("server/url must be https (http only with allowInsecureHttp=true)"));
    t->m_connectTimeoutMs = config.server.connectTimeoutSeconds * 1000;
    t->m_stallTimeoutMs = config.server.stallTimeoutSeconds * 1000;
    if (!t->m_multi->multi)
        return fail(ExitCode::Usage, QStringLiteral("libcurl cannot be initialised"));

    if (!config.server.caFile.isEmpty()) {
        if (QSslCertificate::fromPath(config.server.caFile, QSsl::Pem).isEmpty())
            return fail(ExitCode::Usage, QStringLiteral("server/caFile %1 holds no PEM certificate").arg(config.server.caFile));
        t->m_caFile = QFile::encodeName(config.server.caFile); // only these anchors, not the system store
    }
    if (!config.server.clientCertificate.isEmpty()) {
        if (QSslCertificate::fromPath(config.server.clientCertificate, QSsl::Pem).isEmpty())
            return fail(ExitCode::Usage,
                        QStringLiteral("server/clientCertificate %1 holds no PEM certificate").arg(config.server.clientCertificate));
        if (auto key = loadPrivateKey(config.server.clientKey); !key)
            return std::unexpected(key.error());
        t->m_clientCertificate = QFile::encodeName(config.server.clientCertificate);
        t->m_clientKey = QFile::encodeName(config.server.clientKey);
    }
    if (!config.server.pinnedPublicKey.isEmpty()) {
        auto pins = parsePins(config.server.pinnedPublicKey);
        if (!pins)
            return std::unexpected(pins.error());
        QByteArrayList forms;
        for (const QByteArray &pin : *pins)
            forms.append("sha256//" + pin.toBase64());
        t->m_pins = forms.join(';');
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

void HttpTransport::dropConnections() { m_freshConnection = true; }

HttpExchange *HttpTransport::get(const QUrl &url, qint64 rangeStart, Sink sink, qint64 readBufferBytes)
{
    auto request = std::make_unique<HttpExchange::Request>();
    request->url = url;
    request->rangeStart = rangeStart;
    request->bufferBytes = readBufferBytes;
    auto *x = new HttpExchange(this, std::move(request), std::move(sink));
    x->begin();
    return x;
}

HttpExchange *HttpTransport::put(const QUrl &url, const QByteArray &body, const QByteArray &contentType)
{
    auto request = std::make_unique<HttpExchange::Request>();
    request->url = url;
    request->put = true;
    request->body = body;
    request->contentType = contentType;
    auto *x = new HttpExchange(this, std::move(request), [](QByteArrayView, QString *) { return true; });
    x->begin();
    return x;
}

namespace {

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

// The value of a response header (the last one of that name), trimmed; empty if absent.
QByteArray headerValue(const QList<QByteArray> &lines, QByteArrayView name)
{
    QByteArray value;
    for (const QByteArray &line : lines) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && QByteArrayView(line).first(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            value = line.mid(colon + 1).trimmed();
    }
    return value;
}

} // namespace

HttpExchange::HttpExchange(HttpTransport *transport, std::unique_ptr<Request> request, HttpTransport::Sink sink)
    : QObject(transport)
    , m_transport(transport)
    , m_request(std::move(request))
    , m_sink(std::move(sink))
    , m_timer(new QTimer(this))
    , m_errorText(CURL_ERROR_SIZE + 1, '\0')
{
    m_timer->setSingleShot(true);
    // One timer: first the connect timeout (until TLS is up), then the stall timeout.
    connect(m_timer, &QTimer::timeout, this, &HttpExchange::onTimer);
    m_lastActivityMs = nowMs();
    m_timer->start(m_transport->m_connectTimeoutMs);
}

HttpExchange::~HttpExchange() { release(); }

void HttpExchange::FreeList::operator()(curl_slist *list) const { curl_slist_free_all(list); }

void HttpExchange::release()
{
    if (!m_easy)
        return;
    curl_multi_remove_handle(m_transport->m_multi->multi, m_easy);
    curl_easy_cleanup(m_easy);
    m_easy = nullptr;
    m_headerList.reset();
}

void HttpExchange::begin()
{
    const HttpTransport &t = *m_transport;
    const Request &r = *m_request;
    m_headers.clear();
    m_redirectTo.clear();
    m_errorText.fill('\0');
    CURL *easy = curl_easy_init();
    m_easy = easy;
    const QByteArray url = r.url.toEncoded();
    curl_easy_setopt(easy, CURLOPT_URL, url.constData());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, m_errorText.data());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, t.m_allowHttp ? "https,http" : "https");
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_1_1));
    // Straight to the server: no https_proxy or the like from the environment.
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L); // each redirect is checked here (onHeadersEnd)
    curl_easy_setopt(easy, CURLOPT_SSLVERSION, long(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    // Each handshake checks the certificate (and pin) in full: no TLS session is resumed.
    curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    if (!t.m_caFile.isEmpty()) {
        curl_easy_setopt(easy, CURLOPT_CAINFO, t.m_caFile.constData());
        curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    }
    if (!t.m_clientCertificate.isEmpty()) {
        curl_easy_setopt(easy, CURLOPT_SSLCERT, t.m_clientCertificate.constData());
        curl_easy_setopt(easy, CURLOPT_SSLKEY, t.m_clientKey.constData());
    }
    if (!t.m_pins.isEmpty())
        curl_easy_setopt(easy, CURLOPT_PINNEDPUBLICKEY, t.m_pins.constData());
    if (m_transport->m_freshConnection) {
        curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
        m_transport->m_freshConnection = false;
    }
    // A backstop only: the exchange's own timer (connect, then stall) decides first.
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, long(t.m_connectTimeoutMs) + 5000L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "s16-update/" S16_VERSION);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpExchange::onHeaderLine);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpExchange::onBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &HttpExchange::onConnected);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, this);
    if (r.bufferBytes > 0)
        curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, long(std::clamp<qint64>(r.bufferBytes, 16 * 1024, 512 * 1024)));
    curl_slist *headers = nullptr;
    headers = curl_slist_append(headers, "Accept-Encoding: identity");
    headers = curl_slist_append(headers, "Expect:");
    if (!t.m_token.isEmpty() && t.mayCarryToken(r.url))
        headers = curl_slist_append(headers, QByteArray("Authorization: Bearer " + t.m_token).constData());
    if (r.put) {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.constData());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.size()));
        headers = curl_slist_append(headers, QByteArray("Content-Type: " + r.contentType).constData());
        curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &HttpExchange::onProgress);
        curl_easy_setopt(easy, CURLOPT_XFERINFODATA, this);
    } else if (r.rangeStart > 0) {
        curl_easy_setopt(easy, CURLOPT_RANGE, QByteArray(QByteArray::number(r.rangeStart) + '-').constData());
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    // libcurl copies strings it is given, but not the list: kept with the exchange.
    m_headerList.reset(headers);
    curl_multi_add_handle(m_transport->m_multi->multi, easy);
}

int HttpExchange::onConnected(void *self, char *, char *, int, int)
{
    auto *x = static_cast<HttpExchange *>(self);
    // TLS is up (the certificate and the pin were accepted): from now on the stall timeout.
    x->m_connected = true;
    x->m_lastActivityMs = nowMs();
    x->m_timer->start(x->m_transport->m_stallTimeoutMs);
    return CURL_PREREQFUNC_OK;
}

int HttpExchange::onProgress(void *self, qint64, qint64, qint64, qint64 uploaded)
{
    auto *x = static_cast<HttpExchange *>(self);
    if (uploaded != x->m_uploaded) {
        x->m_uploaded = uploaded;
        x->m_lastActivityMs = nowMs();
    }
    return x->m_decided ? 1 : 0;
}

void HttpExchange::onTimer()
{
    if (m_finished)
        return;
    const int limit = m_connected ? m_transport->m_stallTimeoutMs : m_transport->m_connectTimeoutMs;
    const qint64 idle = nowMs() - m_lastActivityMs;
    if (m_connected && idle < limit) {
        m_timer->start(int(limit - idle));
        return;
    }
    if (m_connected)
        abort(NetOutcome::Interrupted, QStringLiteral("no data for %1 s").arg(limit / 1000));
    else
        abort(NetOutcome::ConnectFailed, QStringLiteral("no connection within %1 s").arg(limit / 1000));
}

HttpExchange *HttpExchange::receiving(void *self)
{
    auto *x = static_cast<HttpExchange *>(self);
    if (x->m_decided)
        return nullptr;
    x->m_lastActivityMs = nowMs(); // what the stall timeout measures
    return x;
}

size_t HttpExchange::onHeaderLine(char *data, size_t size, size_t count, void *self)
{
    const size_t n = size * count;
    auto *x = receiving(self);
    if (!x)
        return 0; // libcurl stops the transfer; onDone() follows
    const QByteArray line = QByteArray(data, qsizetype(n)).trimmed();
    if (line.startsWith("HTTP/")) {
        x->m_headers.clear(); // a new response (after an interim 1xx)
        return n;
    }
    if (!line.isEmpty()) {
        if (x->m_headers.size() < 200)
            x->m_headers.append(line);
        return n;
    }
    ++x->m_transport->m_multi->inCallbacks;
    x->onHeadersEnd();
    --x->m_transport->m_multi->inCallbacks;
    return x->m_decided || !x->m_redirectTo.isEmpty() ? 0 : n;
}

void HttpExchange::onHeadersEnd()
{
    long code = 0;
    curl_easy_getinfo(m_easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200)
        return; // an interim response; the real one follows
    if (code >= 300 && code < 400) {
        // Location may be relative (RFC 9110 §10.2.2): resolved against the URL asked for.
        const QByteArray location = headerValue(m_headers, "Location");
        const QUrl target = location.isEmpty() ? QUrl() : m_request->url.resolved(QUrl::fromEncoded(location, QUrl::StrictMode));
        if (!location.isEmpty() && m_redirects < 10 && isAllowedRedirect(m_transport->m_base, target, m_transport->m_allowHttp)) {
            m_redirectTo = target; // followed once this response is dropped (onDone)
            return;
        }
        m_result.detail = QStringLiteral("redirect to %1").arg(target.toString(QUrl::RemoveUserInfo));
        abort(NetOutcome::TlsRejected,
              QStringLiteral("the server redirected to %1, which the update policy refuses (only https on the same host)")
                  .arg(target.toString(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery)));
        return;
    }
    m_result.httpStatus = int(code);
    m_bodyWanted = code == 200 || code == 206;
    m_result.contentLength = parseContentLength(headerValue(m_headers, "Content-Length")).value_or(-1);
    if (code == 206) {
        const auto range = parseContentRange(headerValue(m_headers, "Content-Range"));
        if (!range) {
            abort(NetOutcome::Interrupted, QStringLiteral("the server answered a range request without a valid Content-Range"));
            return;
        }
        m_result.rangeStart = range->first;
    }
    m_result.retryAfterSeconds = parseRetryAfter(headerValue(m_headers, "Retry-After")).value_or(-1);
    Q_EMIT responseStarted();
}

size_t HttpExchange::onBody(char *data, size_t size, size_t count, void *self)
{
    const size_t n = size * count;
    auto *x = receiving(self);
    if (!x)
        return 0; // libcurl stops the transfer; onDone() follows
    if (!x->m_bodyWanted) {
        // An error page: kept for the detail, bounded, and dropped.
        if (x->m_result.detail.size() < kMaxErrorBody)
            x->m_result.detail += QString::fromUtf8(data, qsizetype(std::min<size_t>(n, kMaxErrorBody)));
        return n;
    }
    if (x->m_paused) {
        x->m_pausedInCurl = true; // libcurl keeps this chunk and stops reading the socket
        return CURL_WRITEFUNC_PAUSE;
    }
    // Whatever the sink or a receiver of received() does, an abort() among it only marks the
    // exchange: libcurl may not be torn down from inside its own callback.
    ++x->m_transport->m_multi->inCallbacks;
    QString why;
    const bool taken = x->m_sink(QByteArrayView(data, qsizetype(n)), &why);
    if (!taken) {
        x->abort(NetOutcome::SinkRefused, why);
    } else {
        x->m_result.bodyBytes += qint64(n);
        // Progress in steps, not per TLS record: enough for a progress bar, cheap for a gigabyte.
        if (x->m_result.bodyBytes - x->m_reportedBytes >= 256 * 1024 || x->m_result.bodyBytes == x->m_result.contentLength) {
            x->m_reportedBytes = x->m_result.bodyBytes;
            Q_EMIT x->received(x->m_result.bodyBytes);
        }
    }
    --x->m_transport->m_multi->inCallbacks;
    return x->m_decided ? 0 : n;
}

void HttpExchange::abort(NetOutcome outcome, const QString &message)
{
    if (m_decided || m_finished)
        return;
    m_decided = true;
    m_result.outcome = outcome;
    m_result.message = message;
    if (m_transport->m_multi->inCallbacks > 0) {
        // Inside a libcurl callback (this exchange's own, which then returns an error so that
        // libcurl stops it, or another's), where libcurl may not be torn down: a moment later.
        QMetaObject::invokeMethod(this, &HttpExchange::finish, Qt::QueuedConnection);
        return;
    }
    finish();
}

void HttpExchange::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (m_decided || m_finished)
        return;
    qCDebug(lcNet) << m_request->url.toString(QUrl::RemoveUserInfo) << (paused ? "paused" : "resumed") << "at" << m_result.bodyBytes;
    if (paused) {
        m_timer->stop();
        return;
    }
    // Not from inside the caller (possibly the sink's own consumer, inside a libcurl callback):
    // from the event loop.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (m_paused || m_finished)
                return;
            m_lastActivityMs = nowMs();
            m_timer->start(m_transport->m_stallTimeoutMs);
            if (m_pausedInCurl && m_easy) {
                m_pausedInCurl = false;
                curl_easy_pause(m_easy, CURLPAUSE_CONT); // may hand over the kept chunk at once
                m_transport->m_multi->act(CURL_SOCKET_TIMEOUT, 0);
            }
        },
        Qt::QueuedConnection);
}

void HttpExchange::onDone(int curlCode)
{
    if (m_finished)
        return;
    if (!m_redirectTo.isEmpty() && !m_decided) {
        ++m_redirects;
        m_request->url = m_redirectTo;
        release();
        begin();
        return;
    }
    if (!m_decided)
        classify(curlCode);
    finish();
}

void HttpExchange::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer->stop();
    release();
    if (m_result.bodyBytes != m_reportedBytes) {
        m_reportedBytes = m_result.bodyBytes;
        Q_EMIT received(m_result.bodyBytes);
    }
    qCDebug(lcNet) << m_request->url.toString(QUrl::RemoveUserInfo) << netOutcomeName(m_result.outcome) << m_result.httpStatus
                   << m_result.bodyBytes << m_result.message;
    Q_EMIT finished();
    deleteLater();
}

void HttpExchange::classify(int curlCode)
{
    NetResult &r = m_result;
    const auto code = CURLcode(curlCode);
    const QString errorText = QString::fromUtf8(m_errorText.constData()).trimmed().isEmpty()
                                  ? QString::fromUtf8(curl_easy_strerror(code))
                                  : QString::fromUtf8(m_errorText.constData()).trimmed();
    auto set = [&](NetOutcome o, const QString &message) {
        r.outcome = o;
        r.message = message;
        if (r.detail.isEmpty())
            r.detail = errorText;
    };
    const int status = r.httpStatus;
    if (status != 0) {
        switch (outcomeForStatus(status, code == CURLE_OK, r.detail)) {
        case NetOutcome::Ok: set(NetOutcome::Ok, {}); break;
        case NetOutcome::Interrupted:
            set(NetOutcome::Interrupted, QStringLiteral("the transfer broke off after %1 bytes").arg(r.bodyBytes));
            break;
        case NetOutcome::AuthRejected:
            if (status == 400)
                set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's client certificate"));
            else
                set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's credentials (HTTP %1)").arg(status));
            break;
        case NetOutcome::ServerBusy: set(NetOutcome::ServerBusy, QStringLiteral("the server is unavailable (HTTP %1)").arg(status)); break;
        default: set(NetOutcome::ClientError, QStringLiteral("the server refused the request (HTTP %1)").arg(status)); break;
        }
        return;
    }
    switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
        set(NetOutcome::TlsRejected, QStringLiteral("the server's certificate is not valid: %1").arg(errorText));
        return;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        set(NetOutcome::TlsRejected, QStringLiteral("the server's public key does not match the pinned key"));
        return;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
        if (isServerClientCertificateRefusal(errorText))
            set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's client certificate"));
        else if (isConnectionLost(errorText))
            set(NetOutcome::ConnectFailed, QStringLiteral("cannot connect to %1: %2").arg(m_request->url.host(), errorText));
        else
            set(NetOutcome::TlsRejected, QStringLiteral("the TLS handshake failed: %1").arg(errorText));
        return;
    default: break;
    }
    // TLS 1.3: the server checks the device's certificate after the client has finished its
    // part of the handshake, so a refusal arrives as an alert on a connected socket, which
    // libcurl reports as a failed receive ("... alert unknown ca").
    if (m_connected && isServerClientCertificateRefusal(errorText)) {
        set(NetOutcome::AuthRejected, QStringLiteral("the server refused the device's client certificate"));
        return;
    }
    set(NetOutcome::ConnectFailed, QStringLiteral("cannot connect to %1: %2").arg(m_request->url.host(), errorText));
}

} // namespace s16
