#pragma once

#include "online/onlinestep_p.h"

#include <QByteArray>
#include <QPointer>

#include <memory>

namespace s16 {

class HttpExchange;
struct Manifest;
namespace crypto {
class TrustedKeys;
}

// E02-E18 and E17: connect (with the waits and tries E04-E07), TLS, authenticate, fetch
// manifest.json and its signature, and trust them (E16). Its result is the trusted manifest with
// its exact bytes and signature, recorded as the journal's lastTrusted; it ends at NewImage
// (E17). Its errors leave by E07, E12, E15 or E18.
class MetadataCheck : public OnlineStep
{
    Q_OBJECT
public:
    MetadataCheck(const OnlineContext &context, const crypto::TrustedKeys &keys, QObject *parent = nullptr);
    ~MetadataCheck() override;

    // Valid once finished() came without an error.
    [[nodiscard]] std::unique_ptr<Manifest> takeManifest();
    [[nodiscard]] const QByteArray &manifestBytes() const { return m_manifestBytes; }
    [[nodiscard]] const QByteArray &signature() const { return m_signature; }

protected:
    void doStart() override;
    void stop() override;

private:
    void fetchMetadata();
    void onMetadataFetched(HttpExchange *manifestExchange);
    void onSignatureFetched(HttpExchange *sigExchange);
    // A metadata request that did not succeed: takes the chart's way for it (metadataEnd) and
    // returns true; false, taking nothing, when it succeeded.
    [[nodiscard]] bool metadataFailed(const NetResult &result, const QString &file);
    void retryConnect(const QString &why, int retryAfter);
    [[nodiscard]] Status trustManifest(); // E16's checks; a refusal leaves by E18

    const crypto::TrustedKeys *m_keys;
    int m_tries = 0;
    std::unique_ptr<Manifest> m_manifest;
    QByteArray m_manifestBytes;
    QByteArray m_signature;
    QPointer<HttpExchange> m_exchange; // the request in flight
};

} // namespace s16
