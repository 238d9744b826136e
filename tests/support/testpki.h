#pragma once

#include <QString>

#include <expected>

namespace s16::test {

// A test public-key infrastructure made with the `openssl` command line: a CA
// with a good server certificate for 127.0.0.1 and localhost, a separate client
// CA with a device certificate, and every kind of bad certificate a TLS test
// needs (self-signed, expired, not yet valid, wrong host, unknown CA, untrusted
// client). Keys are EC P-256 so the whole set takes a fraction of a second;
// shared() still makes it only once per test binary.
class TestPki
{
public:
    // The server certificates, all for 127.0.0.1 and localhost unless named otherwise.
    enum class Server {
        Good,        // signed by caCert()
        SelfSigned,  // signs itself
        Expired,     // signed by caCert(), validity ended a year ago
        NotYetValid, // signed by caCert(), valid from a year from now
        WrongHost,   // signed by caCert(), only for wrong.example
        UnknownCa,   // signed by unknownCaCert(), a CA nobody trusts
    };
    // The device (client) certificates for mutual TLS.
    enum class Client {
        Trusted,   // signed by clientCaCert()
        Untrusted, // signed by a CA the server does not know
    };
    struct CertAndKey {
        QString cert; // PEM file
        QString key;  // PEM file (PKCS#8, unencrypted)
    };

    // Generates a complete set into dir (which must exist and stay as long as the files are used).
    [[nodiscard]] static std::expected<TestPki, QString> generate(const QString &dir);
    // The set of this process, generated on first use in a temporary folder that
    // lives until the process ends. If generation failed, isValid() is false and
    // errorString() says why.
    [[nodiscard]] static const TestPki &shared();

    [[nodiscard]] bool isValid() const { return m_error.isEmpty() && !m_dir.isEmpty(); }
    [[nodiscard]] QString errorString() const { return m_error; }
    [[nodiscard]] QString dir() const { return m_dir; }

    [[nodiscard]] QString caCert() const;        // the trust anchor for server certificates
    [[nodiscard]] QString unknownCaCert() const; // the CA that signed Server::UnknownCa
    [[nodiscard]] QString clientCaCert() const;  // what the server trusts for client certificates
    [[nodiscard]] CertAndKey server(Server kind = Server::Good) const;
    [[nodiscard]] CertAndKey client(Client kind = Client::Trusted) const;
    // The good server key's SPKI pin as curl's --pinnedpubkey takes it: "sha256//<base64>".
    [[nodiscard]] QString serverPin() const { return m_serverPin; }

    // The SPKI pin of any PEM private key, public key or certificate.
    [[nodiscard]] static std::expected<QString, QString> spkiPin(const QString &pemFile);

private:
    QString path(const QString &name) const;

    QString m_dir;
    QString m_error;
    QString m_serverPin;
};

} // namespace s16::test
