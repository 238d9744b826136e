// manifest.json as the device meets it: the parser and the device checks, which run
// on the exact bytes once their signature held. Properties: nothing crashes or hangs;
// a signature made over the bytes verifies and one over other bytes does not (checked
// on a sample of the inputs, see below); a parsed manifest serializes to bytes that
// parse back to an equal manifest (the round trip docs/manifest.md promises) and
// points only inside the repository.

#include "fuzzutil.h"

#include "crypto/crypto.h"
#include "manifest/manifest.h"

#include <QDateTime>
#include <QFile>
#include <QHashFunctions>
#include <QLocale>

using namespace s16;

namespace {

struct Keys {
    QString privateKey;
    crypto::TrustedKeys trusted;
};

const Keys &keys()
{
    static const Keys k = [] {
        Keys out;
        out.privateKey = fuzz::scratchDir() + QStringLiteral("/signing.key");
        const QString pub = fuzz::scratchDir() + QStringLiteral("/signing.pub");
        QFile::remove(out.privateKey);
        QFile::remove(pub);
        auto made = crypto::generateKeyPair(out.privateKey, pub);
        S16_FUZZ_CHECK(made.has_value());
        auto trusted = crypto::TrustedKeys::load({pub});
        S16_FUZZ_CHECK(trusted.has_value());
        out.trusted = *trusted;
        return out;
    }();
    return k;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    // The signature. A full Ed25519 check (and OpenSSL 3's algorithm fetch behind it) costs
    // far more than the parse, and the parser never sees the signature: it is checked on one
    // input in 256, picked by the bytes so that a finding replays the same way, and the rest
    // goes straight to the parser the device runs once the signature held.
    if (bytes.size() <= 16 * 1024 && qHash(bytes) % 256 == 0) {
        if (bytes.size() >= crypto::kSignatureSize) {
            // the input's own last 64 bytes as a forged signature must not verify
            const auto forged =
                keys().trusted.verify(bytes.first(bytes.size() - crypto::kSignatureSize), bytes.last(crypto::kSignatureSize));
            S16_FUZZ_CHECK(!forged && forged.error().code == crypto::CryptoError::BadSignature);
        }
        // a real one over the bytes must, and must not over changed bytes
        const auto sig = crypto::sign(keys().privateKey, bytes);
        S16_FUZZ_CHECK(sig && sig->size() == crypto::kSignatureSize);
        S16_FUZZ_CHECK(keys().trusted.verify(bytes, *sig).has_value());
        QByteArray changed = bytes;
        changed.append('\n');
        S16_FUZZ_CHECK(!keys().trusted.verify(changed, *sig));
    }

    const auto parsed = parseManifest(bytes);
    if (!parsed) {
        (void)toError(parsed.error());
        (void)manifestErrorName(parsed.error().code);
        return 0;
    }
    S16_FUZZ_CHECK(bytes.size() <= kMaxManifestBytes);
    S16_FUZZ_CHECK(isSafeRelativePath(parsed->image.path));
    S16_FUZZ_CHECK(parsed->image.size >= 0 && parsed->image.size <= kMaxImageSize);
    for (const ManifestMigration &m : parsed->migrations)
        S16_FUZZ_CHECK(isSafeRelativePath(m.path));
    (void)checkManifestFor(*parsed, QStringLiteral("s16"), QDateTime::currentDateTimeUtc());
    (void)parsed->notesFor(QLocale(QStringLiteral("de_DE")));

    const QByteArray again = serializeManifest(*parsed);
    const auto reparsed = parseManifest(again);
    S16_FUZZ_CHECK(reparsed.has_value());
    S16_FUZZ_CHECK(*reparsed == *parsed);
    return 0;
}
