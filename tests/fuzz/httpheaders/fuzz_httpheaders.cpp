// What the transport reads from a response besides Content-Range (which has its own
// target): Retry-After, Content-Length, the HTTP status with its error page, and the
// URL of a redirect (core/online/transport.h). Each input goes through all of them.
// Properties: nothing crashes; an accepted Retry-After or Content-Length is a number
// that prints back to a value parsing to the same, and nothing follows it; only a 2xx
// that completed is Ok, and the status alone decides everything but nginx's 400 page;
// a redirect is followed only to https (or the base's own http when allowed) on the
// base's host and port, whether the Location is absolute or relative, and the URL
// printed as Qt sends it still names that host.

#include "fuzzutil.h"

#include "online/transport.h"

#include <limits>

using namespace s16;

namespace {

void checkNumbers(QByteArrayView value)
{
    if (const auto seconds = parseRetryAfter(value)) {
        S16_FUZZ_CHECK(*seconds >= 0);
        S16_FUZZ_CHECK(parseRetryAfter(QByteArray::number(*seconds)) == seconds);
        S16_FUZZ_CHECK(!parseRetryAfter(QByteArray(value.toByteArray().trimmed() + 'x')));
    }
    if (const auto length = parseContentLength(value)) {
        S16_FUZZ_CHECK(*length >= 0);
        S16_FUZZ_CHECK(parseContentLength(QByteArray::number(*length)) == length);
        S16_FUZZ_CHECK(!parseContentLength(QByteArray(value.toByteArray().trimmed() + 'x')));
        // a Content-Length is a Retry-After too, up to int
        if (*length <= std::numeric_limits<int>::max())
            S16_FUZZ_CHECK(parseRetryAfter(value) == int(*length));
    }
}

void checkStatus(QByteArrayView input)
{
    if (input.size() < 2)
        return;
    const int status = ((quint8(input.at(0)) << 8) | quint8(input.at(1))) % 1000;
    const bool complete = input.at(0) & 0x80;
    const QString page = QString::fromUtf8(input.sliced(2));
    const NetOutcome outcome = outcomeForStatus(status, complete, page);
    const bool success = status >= 200 && status < 300;
    S16_FUZZ_CHECK((outcome == NetOutcome::Ok) == (success && complete));
    S16_FUZZ_CHECK((outcome == NetOutcome::Interrupted) == (success && !complete));
    S16_FUZZ_CHECK((outcome == NetOutcome::ServerBusy) == (status >= 500 || status == 408 || status == 429));
    if (outcome == NetOutcome::AuthRejected)
        S16_FUZZ_CHECK(status == 400 || status == 401 || status == 403);
    S16_FUZZ_CHECK(outcome != NetOutcome::ConnectFailed && outcome != NetOutcome::TlsRejected && outcome != NetOutcome::SinkRefused);
    if (status != 400) // the page matters for nginx's 400 only
        S16_FUZZ_CHECK(outcomeForStatus(status, complete, {}) == outcome);
}

void checkRedirect(const QUrl &base, const QUrl &target, bool allowHttp)
{
    if (!isAllowedRedirect(base, target, allowHttp))
        return;
    const QString scheme = target.scheme();
    S16_FUZZ_CHECK(scheme == QStringLiteral("https") || (allowHttp && scheme == base.scheme()));
    S16_FUZZ_CHECK(!target.host().isEmpty() && target.host() == base.host());
    S16_FUZZ_CHECK(target.port(443) == base.port(443));
    const QUrl sent(target.toString(QUrl::FullyEncoded), QUrl::StrictMode);
    S16_FUZZ_CHECK(sent.host() == base.host() && sent.port(443) == base.port(443));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    checkNumbers(input);
    checkStatus(input);

    if (input.size() > 4096) // a Location longer than this tells the parser nothing new
        return 0;
    static const QUrl httpsBase(QStringLiteral("https://updates.example.com/s16/"));
    static const QUrl httpBase(QStringLiteral("http://updates.example.com:8080/s16/"));
    const QUrl location(QString::fromUtf8(input)); // QNetworkReply's own tolerant parse
    for (const QUrl &base : {httpsBase, httpBase}) {
        const QUrl target = base.resolved(location);
        for (const bool allowHttp : {false, true}) {
            checkRedirect(base, location, allowHttp);
            checkRedirect(base, target, allowHttp);
        }
    }
    return 0;
}
