#include "metadatacheck_p.h"

#include "common/logging.h"
#include "crypto/crypto.h"
#include "manifest/manifest.h"
#include "online/transport.h"
#include "store/devicestate.h"
#include "store/journal.h"
#include "version/semver.h"

#include <QDateTime>

namespace s16 {

namespace {
// A sink that collects a small file into buffer and refuses it once it grows past max bytes.
auto boundedSink(std::shared_ptr<QByteArray> buffer, qint64 max, QString name)
{
    return [buffer = std::move(buffer), max, name = std::move(name)](QByteArrayView chunk, QString *why) {
        if (buffer->size() + chunk.size() > max) {
            *why = QStringLiteral("%1 is larger than %2 bytes").arg(name).arg(max);
            return false;
        }
        buffer->append(chunk);
        return true;
    };
}
} // namespace
namespace {

constexpr qint64 kMaxSignatureBytes = 1024;

// How a request for the metadata (manifest.json or its signature) ended, and the chart's way
// from ConnectRepo for it: one table for both files.
constexpr Edge kMetadataUnreachable[] = {Edge::E02};
constexpr Edge kMetadataTlsRejected[] = {Edge::E02, Edge::E03, Edge::E10};
constexpr Edge kMetadataAuthRejected[] = {Edge::E02, Edge::E03, Edge::E10, Edge::E11, Edge::E13};
constexpr Edge kMetadataFetched[] = {Edge::E02, Edge::E03, Edge::E10, Edge::E11, Edge::E13, Edge::E14, Edge::E16};

struct MetadataEnd {
    std::span<const Edge> path;     // from ConnectRepo
    std::optional<Edge> toErrorLog; // none: another try (E04)
    ExitCode code;
    const char *why; // the error's context, %1 the file
};

const MetadataEnd &metadataEnd(NetOutcome outcome)
{
    static const MetadataEnd unreachable{kMetadataUnreachable, std::nullopt, ExitCode::ServerUnreachable, ""};
    static const MetadataEnd tlsRejected{kMetadataTlsRejected, Edge::E12, ExitCode::TlsRejected,
                                         "the update server's certificate was rejected"};
    static const MetadataEnd authRejected{kMetadataAuthRejected, Edge::E15, ExitCode::AuthRejected, "authentication failed"};
    static const MetadataEnd refused{kMetadataFetched, Edge::E18, ExitCode::MetadataRejected, "cannot fetch %1"};
    switch (outcome) {
    case NetOutcome::ConnectFailed:
    case NetOutcome::ServerBusy:
    case NetOutcome::Interrupted: return unreachable;
    case NetOutcome::TlsRejected: return tlsRejected;
    case NetOutcome::AuthRejected: return authRejected;
    case NetOutcome::ClientError:
    case NetOutcome::SinkRefused:
    case NetOutcome::Ok: break;
    }
    return refused;
}

} // namespace

MetadataCheck::MetadataCheck(const OnlineContext &context, const crypto::TrustedKeys &keys, QObject *parent)
    : OnlineStep(context, parent)
    , m_keys(&keys)
{
}

MetadataCheck::~MetadataCheck() = default;

std::unique_ptr<Manifest> MetadataCheck::takeManifest() { return std::move(m_manifest); }

void MetadataCheck::doStart() { fetchMetadata(); }

void MetadataCheck::stop()
{
    if (m_exchange) {
        m_exchange->disconnect(this);
        m_exchange->abort(NetOutcome::Interrupted, QStringLiteral("stopped on request"));
    }
}

void MetadataCheck::fetchMetadata()
{
    ++m_tries;
    m_transport->dropConnections(); // each try connects and checks the certificate anew
    auto buffer = std::make_shared<QByteArray>();
    auto sink = boundedSink(buffer, kMaxManifestBytes, QStringLiteral("manifest.json"));
    HttpExchange *x = m_transport->get(m_transport->resolve(QStringLiteral("manifest.json")), 0, sink, 256 * 1024);
    m_exchange = x;
    connect(x, &HttpExchange::finished, this, [this, x, buffer] {
        m_manifestBytes = *buffer;
        onMetadataFetched(x);
    });
}

bool MetadataCheck::metadataFailed(const NetResult &r, const QString &file)
{
    if (r.outcome == NetOutcome::Ok)
        return false;
    const MetadataEnd &end = metadataEnd(r.outcome);
    if (!steps(end.path))
        return true;
    if (end.toErrorLog)
        failAt(*end.toErrorLog, fromNet(end.code, r, QString::fromLatin1(end.why).arg(file)));
    else
        retryConnect(r.message, r.retryAfterSeconds);
    return true;
}

void MetadataCheck::onMetadataFetched(HttpExchange *x)
{
    if (metadataFailed(x->result(), QStringLiteral("manifest.json")))
        return;
    // The signature comes over the same, already trusted connection.
    auto sig = std::make_shared<QByteArray>();
    auto sink = boundedSink(sig, kMaxSignatureBytes, QStringLiteral("manifest.json.sig"));
    HttpExchange *s = m_transport->get(m_transport->resolve(QStringLiteral("manifest.json.sig")), 0, sink, 4096);
    m_exchange = s;
    connect(s, &HttpExchange::finished, this, [this, s, sig] {
        m_signature = *sig;
        onSignatureFetched(s);
    });
}

void MetadataCheck::retryConnect(const QString &why, int retryAfter)
{
    // E04: wait x seconds; E05: count the try; E06 again or E07 out of tries.
    if (!step(Edge::E04))
        return;
    qCInfo(lcNet) << "connect try" << m_tries << "of" << m_config.server.maxTries << "failed:" << why;
    const bool outOfTries = m_tries >= m_config.server.maxTries;
    auto countTry = [this, outOfTries, why] {
        if (!isRunning() || !step(Edge::E05))
            return;
        if (outOfTries) {
            failAt(Edge::E07, Error{ExitCode::ServerUnreachable,
                                    QStringLiteral("the update server could not be reached after %1 tries: %2").arg(m_tries).arg(why),
                                    {},
                                    {}});
        } else if (step(Edge::E06)) {
            fetchMetadata();
        }
    };
    // Out of tries the error follows at once; else E05 counts the try once the wait is over.
    if (outOfTries)
        countTry();
    else
        waitThen(retryWait(retryAfter), countTry);
}

// E16's checks of the fetched metadata; the manifest it trusts becomes m_manifest and the
// journal's lastTrusted. Any refusal leaves by E18.
Status MetadataCheck::trustManifest()
{
    auto signer = m_keys->verify(m_manifestBytes, m_signature);
    if (!signer) {
        return fail(ExitCode::MetadataRejected, QStringLiteral("the manifest's signature is not valid for any trusted key"),
                    signer.error().message);
    }
    auto parsed = parseManifest(m_manifestBytes);
    if (!parsed)
        return std::unexpected(toError(parsed.error()));
    if (auto ok = checkManifestFor(*parsed, m_config.device.product, QDateTime::currentDateTimeUtc()); !ok)
        return std::unexpected(toError(ok.error()));
    // A replayed older manifest (TUF's rollback attack) is refused.
    const TrustedRelease last = state().lastTrusted().value_or(TrustedRelease{});
    const QDateTime lastReleased = QDateTime::fromString(last.released, Qt::ISODate);
    const auto lastVersion = SemVer::parse(last.version);
    if ((lastReleased.isValid() && parsed->released < lastReleased) || (lastVersion && parsed->version < *lastVersion)) {
        return fail(
            ExitCode::MetadataRejected,
            QStringLiteral(
                "the server offers release %1 of %2, older than release %3 of %4 that this device already trusted (a replayed manifest)")
                .arg(parsed->version.toString(), parsed->released.toString(Qt::ISODate), last.version, lastReleased.toString(Qt::ISODate)));
    }
    m_manifest = std::make_unique<Manifest>(std::move(*parsed));
    qCInfo(lcManifest) << "trusted manifest" << m_manifest->version.toString() << "signed by" << *signer;
    return m_journal->transaction([&]() -> Status {
        if (auto s = state().setLastTrusted({m_manifest->version.toString(), m_manifest->released.toString(Qt::ISODate)}); !s)
            return s;
        return state().setLastCheck(QDateTime::currentDateTimeUtc());
    });
}

void MetadataCheck::onSignatureFetched(HttpExchange *x)
{
    if (metadataFailed(x->result(), QStringLiteral("manifest.json.sig")) || !steps(kMetadataFetched))
        return;

    // E16: trust, in this order: signature over the exact bytes, then the content.
    if (auto trusted = trustManifest(); !trusted) {
        failAt(Edge::E18, trusted.error());
        return;
    }
    if (step(Edge::E17))
        done();
}

} // namespace s16
