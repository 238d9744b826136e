#include "crypto.h"

#include "common/fileutil.h"
#include "common/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringBuilder>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

namespace s16::crypto {
namespace {

// Scope-bound owners for every OpenSSL object used here.
struct MdCtxFree {
    void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
};
struct PkeyFree {
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
struct BioFree {
    void operator()(BIO *p) const { BIO_free(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

// Private keys pass through QByteArrays; wipe them before the memory is released.
struct WipedBytes {
    QByteArray bytes;
    ~WipedBytes()
    {
        if (!bytes.isEmpty())
            OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    }
};

constexpr qint64 kMaxKeyFileBytes = 64 * 1024;
constexpr qint64 kMaxSignedFileBytes = 64 * 1024 * 1024;

// The OpenSSL error queue as one line, and the queue cleared so the next call
// does not report stale errors.
QString openSslErrors()
{
    QStringList parts;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        parts << QString::fromLatin1(buf);
    }
    return parts.join(QStringLiteral("; "));
}

std::unexpected<CryptoProblem> problem(CryptoError code, QString message)
{
    const QString ssl = openSslErrors();
    if (!ssl.isEmpty())
        message = message % QStringLiteral(" (") % ssl % QLatin1Char(')');
    return std::unexpected(CryptoProblem{code, std::move(message)});
}

Bio memBio(QByteArrayView data) { return Bio(BIO_new_mem_buf(data.data(), int(data.size()))); }

QByteArray bioContents(BIO *bio)
{
    char *p = nullptr;
    const long n = BIO_get_mem_data(bio, &p);
    return QByteArray(p, qsizetype(n));
}

std::expected<Pkey, CryptoProblem> readPrivateKey(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return problem(CryptoError::KeyUnreadable, QStringLiteral("cannot read private key %1: %2").arg(path, f.errorString()));
    WipedBytes pem{f.read(kMaxKeyFileBytes + 1)};
    if (pem.bytes.size() > kMaxKeyFileBytes)
        return problem(CryptoError::KeyUnreadable, QStringLiteral("private key %1 is too large to be a key").arg(path));
    Bio bio = memBio(pem.bytes);
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        return problem(CryptoError::KeyUnreadable, QStringLiteral("%1 holds no PEM private key").arg(path));
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519)
        return problem(CryptoError::KeyNotEd25519, QStringLiteral("private key %1 is not an Ed25519 key").arg(path));
    return key;
}

std::expected<QByteArray, CryptoProblem> publicPem(EVP_PKEY *key, const QString &origin)
{
    Bio out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_PUBKEY(out.get(), key) != 1)
        return problem(CryptoError::KeyWriteFailed, QStringLiteral("cannot encode the public key of %1").arg(origin));
    return bioContents(out.get());
}

std::expected<void, CryptoProblem> writeKeyFile(const QString &path, const QByteArray &data, int mode)
{
    if (auto written = fileutil::writeAtomically(path, data, mode); !written)
        return problem(CryptoError::KeyWriteFailed,
                       QStringLiteral("cannot write key %1: %2 %3").arg(path, written.error().message, written.error().detail));
    return {};
}

} // namespace

QString cryptoErrorName(CryptoError code)
{
    switch (code) {
    case CryptoError::KeyUnreadable: return QStringLiteral("KeyUnreadable");
    case CryptoError::KeyNotEd25519: return QStringLiteral("KeyNotEd25519");
    case CryptoError::KeyWriteFailed: return QStringLiteral("KeyWriteFailed");
    case CryptoError::SignFailed: return QStringLiteral("SignFailed");
    case CryptoError::BadSignature: return QStringLiteral("BadSignature");
    case CryptoError::NoTrustedKeys: return QStringLiteral("NoTrustedKeys");
    case CryptoError::IoError: return QStringLiteral("IoError");
    case CryptoError::BadChecksumFile: return QStringLiteral("BadChecksumFile");
    }
    return QStringLiteral("Unknown");
}

Error toError(const CryptoProblem &p)
{
    switch (p.code) {
    case CryptoError::BadSignature: return Error{ExitCode::MetadataRejected, p.message, Edge::E18, cryptoErrorName(p.code)};
    case CryptoError::KeyUnreadable:
    case CryptoError::KeyNotEd25519:
    case CryptoError::NoTrustedKeys:
        // the device cannot decide trust without a usable key: configuration, not the server
        return Error{ExitCode::Usage, p.message, {}, cryptoErrorName(p.code)};
    case CryptoError::KeyWriteFailed:
    case CryptoError::SignFailed:
    case CryptoError::IoError: return Error{ExitCode::StorageError, p.message, {}, cryptoErrorName(p.code)};
    case CryptoError::BadChecksumFile: return Error{ExitCode::IntegrityMismatch, p.message, {}, cryptoErrorName(p.code)};
    }
    return Error{ExitCode::StorageError, p.message, {}, cryptoErrorName(p.code)};
}

// ---- Sha256 ----

struct Sha256::Private {
    MdCtx ctx{EVP_MD_CTX_new()};
    Private() { start(); }
    void start()
    {
        // Only fails on allocation failure inside OpenSSL; treat as fatal like new does.
        if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
            qFatal("s16::crypto: cannot initialise SHA-256: %s", qPrintable(openSslErrors()));
    }
};

Sha256::Sha256()
    : d(std::make_unique<Private>())
{
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&other) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&other) noexcept = default;

void Sha256::addData(QByteArrayView data)
{
    if (!d)
        d = std::make_unique<Private>();
    if (!data.isEmpty() && EVP_DigestUpdate(d->ctx.get(), data.data(), size_t(data.size())) != 1)
        qFatal("s16::crypto: SHA-256 update failed: %s", qPrintable(openSslErrors()));
}

QByteArray Sha256::result()
{
    if (!d)
        d = std::make_unique<Private>();
    QByteArray digest(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(d->ctx.get(), reinterpret_cast<unsigned char *>(digest.data()), &len) != 1)
        qFatal("s16::crypto: SHA-256 final failed: %s", qPrintable(openSslErrors()));
    digest.resize(qsizetype(len));
    d->start();
    return digest;
}

QByteArray Sha256::hexResult() { return result().toHex(); }

void Sha256::reset()
{
    if (!d)
        d = std::make_unique<Private>();
    else
        d->start();
}

QByteArray Sha256::hash(QByteArrayView data)
{
    Sha256 h;
    h.addData(data);
    return h.result();
}

QByteArray Sha256::hexHash(QByteArrayView data) { return hash(data).toHex(); }

std::expected<QByteArray, CryptoProblem> sha256FileHex(const QString &path, const std::function<void(qint64)> &progress)
{
    QFile f(path);
    // unbuffered: QFile's own buffer would only add a copy of every chunk
    if (!f.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return problem(CryptoError::IoError, QStringLiteral("cannot open %1: %2").arg(path, f.errorString()));
    Sha256 hash;
    QByteArray buffer(kHashChunkBytes, Qt::Uninitialized);
    qint64 done = 0;
    for (;;) {
        const qint64 n = f.read(buffer.data(), buffer.size());
        if (n < 0)
            return problem(CryptoError::IoError, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
        if (n == 0)
            break;
        hash.addData(QByteArrayView(buffer.constData(), n));
        done += n;
        if (progress)
            progress(done);
    }
    return hash.hexResult();
}

void releaseThreadState() { OPENSSL_thread_stop(); }

// ---- sha256sum checksum files ----

QByteArray formatSha256Sum(QByteArrayView hex, const QString &fileName)
{
    const QByteArray name = QFile::encodeName(fileName);
    const bool escape = name.contains('\\') || name.contains('\n') || name.contains('\r');
    QByteArray line;
    line.reserve(hex.size() + name.size() + 4);
    if (escape)
        line += '\\';
    line += hex;
    line += "  ";
    for (const char c : name) {
        if (escape && c == '\\')
            line += "\\\\";
        else if (escape && c == '\n')
            line += "\\n";
        else if (escape && c == '\r')
            line += "\\r";
        else
            line += c;
    }
    line += '\n';
    return line;
}

std::expected<Sha256SumLine, CryptoProblem> parseSha256Sum(QByteArrayView text)
{
    constexpr qsizetype kHexSize = 64;
    const auto bad = [](const QString &why) {
        return std::unexpected(CryptoProblem{CryptoError::BadChecksumFile, QStringLiteral("not a sha256sum checksum line: ") % why});
    };
    if (text.endsWith('\n'))
        text.chop(1);
    if (text.indexOf('\n') >= 0)
        return bad(QStringLiteral("more than one line"));
    const bool escaped = text.startsWith('\\');
    if (escaped)
        text = text.sliced(1);
    if (text.size() < kHexSize + 3)
        return bad(QStringLiteral("too short"));
    QByteArray hex = text.first(kHexSize).toByteArray().toLower();
    if (!std::all_of(hex.cbegin(), hex.cend(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
        return bad(QStringLiteral("the checksum is not 64 hex digits"));
    if (text.at(kHexSize) != ' ' || (text.at(kHexSize + 1) != ' ' && text.at(kHexSize + 1) != '*'))
        return bad(QStringLiteral("the checksum is not followed by \"  \" or \" *\""));
    const QByteArrayView rawName = text.sliced(kHexSize + 2);
    QByteArray name;
    name.reserve(rawName.size());
    for (qsizetype i = 0; i < rawName.size(); ++i) {
        const char c = rawName.at(i);
        if (c == '\0')
            return bad(QStringLiteral("the file name holds a NUL byte"));
        if (!escaped || c != '\\') {
            name += c;
            continue;
        }
        if (++i == rawName.size())
            return bad(QStringLiteral("the file name ends in a lone backslash"));
        switch (rawName.at(i)) {
        case '\\': name += '\\'; break;
        case 'n': name += '\n'; break;
        case 'r': name += '\r'; break;
        default: return bad(QStringLiteral("the file name holds an unknown escape"));
        }
    }
    return Sha256SumLine{std::move(hex), QFile::decodeName(name)};
}

// ---- keys and signatures ----

std::expected<void, CryptoProblem> generateKeyPair(const QString &privateKeyPath, const QString &publicKeyPath)
{
    if (QFileInfo::exists(privateKeyPath))
        return problem(CryptoError::KeyWriteFailed,
                       QStringLiteral("%1 already exists; refusing to replace a signing key").arg(privateKeyPath));
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key)
        return problem(CryptoError::KeyWriteFailed, QStringLiteral("cannot generate an Ed25519 key"));

    Bio priv(BIO_new(BIO_s_mem()));
    if (!priv || PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return problem(CryptoError::KeyWriteFailed, QStringLiteral("cannot encode the private key for %1").arg(privateKeyPath));
    WipedBytes privPem{bioContents(priv.get())};
    auto pubPem = publicPem(key.get(), privateKeyPath);
    if (!pubPem)
        return std::unexpected(pubPem.error());

    // public first: a private key on disk without its public half would be refused on
    // the next run ("already exists") with nothing to give the devices
    if (auto w = writeKeyFile(publicKeyPath, *pubPem, 0644); !w)
        return w;
    return writeKeyFile(privateKeyPath, privPem.bytes, 0600);
}

std::expected<QByteArray, CryptoProblem> publicKeyPemOf(const QString &privateKeyPath)
{
    auto key = readPrivateKey(privateKeyPath);
    if (!key)
        return std::unexpected(key.error());
    return publicPem(key->get(), privateKeyPath);
}

std::expected<QByteArray, CryptoProblem> sign(const QString &privateKeyPath, QByteArrayView message)
{
    auto key = readPrivateKey(privateKeyPath);
    if (!key)
        return std::unexpected(key.error());
    MdCtx ctx(EVP_MD_CTX_new());
    // Ed25519 is pure EdDSA: no separate digest (NULL md), one-shot over the whole message
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1)
        return problem(CryptoError::SignFailed, QStringLiteral("cannot start signing with %1").arg(privateKeyPath));
    QByteArray sig(kSignatureSize, Qt::Uninitialized);
    size_t sigLen = size_t(sig.size());
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &sigLen,
                       reinterpret_cast<const unsigned char *>(message.data()), size_t(message.size()))
            != 1
        || sigLen != size_t(kSignatureSize))
        return problem(CryptoError::SignFailed, QStringLiteral("signing with %1 failed").arg(privateKeyPath));
    return sig;
}

std::expected<QByteArray, CryptoProblem> signFile(const QString &privateKeyPath, const QString &filePath)
{
    auto data = fileutil::readSmallFile(filePath, kMaxSignedFileBytes);
    if (!data)
        return problem(CryptoError::IoError, data.error().message % QStringLiteral(": ") % data.error().detail);
    return sign(privateKeyPath, *data);
}

// ---- TrustedKeys ----

std::expected<void, CryptoProblem> TrustedKeys::add(const QByteArray &pem, const QString &origin)
{
    Bio bio = memBio(pem);
    Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        return problem(CryptoError::KeyUnreadable, QStringLiteral("%1 holds no PEM public key").arg(origin));
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519)
        return problem(CryptoError::KeyNotEd25519, QStringLiteral("public key %1 is not an Ed25519 key").arg(origin));
    unsigned char *der = nullptr;
    const int len = i2d_PUBKEY(key.get(), &der);
    if (len <= 0)
        return problem(CryptoError::KeyUnreadable, QStringLiteral("cannot encode public key %1").arg(origin));
    QByteArray spki(reinterpret_cast<const char *>(der), len);
    OPENSSL_free(der);
    const QString fingerprint = QString::fromLatin1(Sha256::hexHash(spki));
    if (!m_fingerprints.contains(fingerprint)) {
        m_spkiDer << spki;
        m_fingerprints << fingerprint;
        qCDebug(lcCrypto) << "trusting key" << fingerprint << "from" << origin;
    }
    return {};
}

std::expected<TrustedKeys, CryptoProblem> TrustedKeys::load(const QStringList &pathsOrFolders)
{
    TrustedKeys keys;
    for (const QString &entry : pathsOrFolders) {
        const QFileInfo info(entry);
        QStringList files;
        if (info.isDir()) {
            const QDir dir(entry);
            const QStringList names =
                dir.entryList({QStringLiteral("*.pem"), QStringLiteral("*.pub")}, QDir::Files | QDir::Readable | QDir::Hidden, QDir::Name);
            for (const QString &name : names)
                files << dir.filePath(name);
            if (files.isEmpty())
                return problem(CryptoError::NoTrustedKeys, QStringLiteral("folder %1 holds no *.pem or *.pub key").arg(entry));
        } else {
            files << entry;
        }
        for (const QString &file : files) {
            auto pem = fileutil::readSmallFile(file, kMaxKeyFileBytes);
            if (!pem)
                return problem(CryptoError::KeyUnreadable,
                               QStringLiteral("cannot read public key %1: %2")
                                   .arg(file, pem.error().detail.isEmpty() ? pem.error().message : pem.error().detail));
            if (auto added = keys.add(*pem, file); !added)
                return std::unexpected(added.error());
        }
    }
    if (keys.count() == 0)
        return problem(CryptoError::NoTrustedKeys, QStringLiteral("no trusted public key configured"));
    return keys;
}

std::expected<TrustedKeys, CryptoProblem> TrustedKeys::fromPem(const QList<QByteArray> &pems)
{
    TrustedKeys keys;
    for (qsizetype i = 0; i < pems.size(); ++i) {
        if (auto added = keys.add(pems.at(i), QStringLiteral("key #%1").arg(i + 1)); !added)
            return std::unexpected(added.error());
    }
    if (keys.count() == 0)
        return problem(CryptoError::NoTrustedKeys, QStringLiteral("no trusted public key given"));
    return keys;
}

std::expected<QString, CryptoProblem> TrustedKeys::verify(QByteArrayView message, QByteArrayView signature) const
{
    if (m_spkiDer.isEmpty())
        return problem(CryptoError::NoTrustedKeys, QStringLiteral("no trusted public key to verify with"));
    if (signature.size() != kSignatureSize)
        return problem(CryptoError::BadSignature,
                       QStringLiteral("the signature is %1 bytes, an Ed25519 signature is %2").arg(signature.size()).arg(kSignatureSize));
    for (qsizetype i = 0; i < m_spkiDer.size(); ++i) {
        const QByteArray &der = m_spkiDer.at(i);
        const auto *p = reinterpret_cast<const unsigned char *>(der.constData());
        Pkey key(d2i_PUBKEY(nullptr, &p, long(der.size())));
        MdCtx ctx(EVP_MD_CTX_new());
        if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
            return problem(CryptoError::BadSignature, QStringLiteral("cannot start verifying with key %1").arg(m_fingerprints.at(i)));
        const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.data()), size_t(signature.size()),
                                        reinterpret_cast<const unsigned char *>(message.data()), size_t(message.size()));
        if (rc == 1)
            return m_fingerprints.at(i);
        ERR_clear_error(); // a mismatch leaves an error queued; it is not news for the next key
    }
    return problem(CryptoError::BadSignature,
                   QStringLiteral("the signature does not verify with any of the %1 trusted key(s)").arg(m_spkiDer.size()));
}

} // namespace s16::crypto
