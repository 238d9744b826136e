#pragma once

#include "common/error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <expected>
#include <functional>
#include <memory>

// SHA-256 and Ed25519 for the updater, on OpenSSL 3's EVP interface. OpenSSL stays
// private to this area: nothing here needs its headers, and every OpenSSL object
// is owned by a scope-bound handle in crypto.cpp.
namespace s16::crypto {

enum class CryptoError {
    KeyUnreadable,  // missing, unreadable or not a PEM key at all
    KeyNotEd25519,  // a readable key of another algorithm
    KeyWriteFailed, // a key pair could not be written (or would overwrite one)
    SignFailed,
    BadSignature,    // no trusted key verifies the signature (or it is not 64 bytes)
    NoTrustedKeys,   // nothing to verify with: an empty list or a folder without keys
    IoError,         // a file to hash or sign could not be read
    BadChecksumFile, // a checksum file that is not one line in sha256sum's format
};

struct CryptoProblem {
    CryptoError code;
    QString message; // names the file or key involved
};

// A stable, untranslated name for tests and logs ("BadSignature").
[[nodiscard]] QString cryptoErrorName(CryptoError code);
// The updater's view of a crypto problem: a bad signature or an unusable trust key
// rejects the metadata (exit 13, E18); unreadable files are storage errors.
[[nodiscard]] Error toError(const CryptoProblem &problem);

// The length of a raw Ed25519 signature, as manifest.json.sig holds it.
inline constexpr qsizetype kSignatureSize = 64;

// Streaming SHA-256 over OpenSSL EVP, which uses the CPU's SHA extensions and is about
// ten times faster than QCryptographicHash on the devices' class of hardware (bench/sha256 measures both).
// result() and hexResult() finalise the digest and leave the object ready for a new
// message, so one instance can hash many files in turn. A moved-from object is valid
// and starts a new message.
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256 &&other) noexcept;
    Sha256 &operator=(Sha256 &&other) noexcept;
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void addData(QByteArrayView data);
    [[nodiscard]] QByteArray result();    // raw 32 bytes; finalises
    [[nodiscard]] QByteArray hexResult(); // 64 lowercase hex characters; finalises
    void reset();

    // One-shot helpers for data already in memory.
    [[nodiscard]] static QByteArray hash(QByteArrayView data);
    [[nodiscard]] static QByteArray hexHash(QByteArrayView data);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Frees OpenSSL's state of the calling thread (its error queue) now. OpenSSL frees it when
// the thread ends anyway, but after QThread::finished: a worker that used crypto calls this
// last, so a process that exits right after waiting for it leaves nothing behind (and
// LeakSanitizer sees nothing).
void releaseThreadState();

// The chunk sha256FileHex reads at a time: its memory bound.
inline constexpr qint64 kHashChunkBytes = 1024 * 1024;

// Hashes a whole file in kHashChunkBytes chunks, so memory stays bounded for
// images of any size. progress(bytesDone) is called after each chunk when set.
[[nodiscard]] std::expected<QByteArray, CryptoProblem> sha256FileHex(const QString &path, const std::function<void(qint64)> &progress = {});

// One line of a checksum file in the format `sha256sum FILE` prints and `sha256sum -c`
// checks; the staged image's <image>.sha256 is one (CONTRACT §4).
struct Sha256SumLine {
    QByteArray hex;   // 64 lowercase hex characters
    QString fileName; // as the line names it, unescaped
};

// The line sha256sum prints for fileName: "<hex>  <name>\n". A name holding a backslash,
// newline or carriage return is escaped as sha256sum escapes it (the line then starts
// with '\\'), so `sha256sum -c` reads back the same name.
[[nodiscard]] QByteArray formatSha256Sum(QByteArrayView hex, const QString &fileName);
// Reads a checksum file of exactly one such line (final newline optional): text ("  ") or
// binary (" *") mode, sha256sum's escaping, hex in either case (returned in lower case).
// Anything else, a second line included, is BadChecksumFile: the file is read on the
// trusted side of a verification and must not be guessed at.
[[nodiscard]] std::expected<Sha256SumLine, CryptoProblem> parseSha256Sum(QByteArrayView text);

// Writes a fresh Ed25519 key pair as PEM: the private key (PKCS#8, unencrypted) with
// mode 0600, the public key (SubjectPublicKeyInfo) with mode 0644. Refuses to replace
// an existing private key, since that would orphan every device trusting it.
[[nodiscard]] std::expected<void, CryptoProblem> generateKeyPair(const QString &privateKeyPath, const QString &publicKeyPath);

// The raw 64-byte Ed25519 signature over the exact bytes of message, as
// `openssl pkeyutl -sign -rawin` makes it.
[[nodiscard]] std::expected<QByteArray, CryptoProblem> sign(const QString &privateKeyPath, QByteArrayView message);
// sign() over a whole file's content (a manifest: small, read at once, as pure
// Ed25519 needs the whole message).
[[nodiscard]] std::expected<QByteArray, CryptoProblem> signFile(const QString &privateKeyPath, const QString &filePath);

// The public key (PEM) that belongs to a private key (PEM file), e.g. to check that a
// signing key matches the key devices trust.
[[nodiscard]] std::expected<QByteArray, CryptoProblem> publicKeyPemOf(const QString &privateKeyPath);

// The set of Ed25519 public keys a device trusts for metadata. More than one key lets a
// maker rotate keys: devices trust old and new key for a while, releases switch to the
// new key, then the old one is dropped. Each key is known by its fingerprint, the
// lowercase hex SHA-256 of its DER SubjectPublicKeyInfo (`openssl pkey -pubin -outform
// DER | sha256sum`). A value type; keys are kept as DER and parsed when verifying.
class TrustedKeys
{
public:
    TrustedKeys() = default; // trusts nothing: verify() fails with NoTrustedKeys

    // Each entry is a PEM public key file, or a folder whose *.pem and *.pub files are
    // all loaded. An unreadable or non-Ed25519 key fails naming its file; no key at
    // all is NoTrustedKeys. A key listed twice counts once.
    [[nodiscard]] static std::expected<TrustedKeys, CryptoProblem> load(const QStringList &pathsOrFolders);
    [[nodiscard]] static std::expected<TrustedKeys, CryptoProblem> fromPem(const QList<QByteArray> &pems);

    // The fingerprint of the trusted key that verifies the raw 64-byte signature over
    // message; BadSignature when none does.
    [[nodiscard]] std::expected<QString, CryptoProblem> verify(QByteArrayView message, QByteArrayView signature) const;
    [[nodiscard]] qsizetype count() const { return m_spkiDer.size(); }
    [[nodiscard]] QStringList fingerprints() const { return m_fingerprints; }

private:
    [[nodiscard]] std::expected<void, CryptoProblem> add(const QByteArray &pem, const QString &origin);

    QList<QByteArray> m_spkiDer;
    QStringList m_fingerprints;
};

} // namespace s16::crypto
