#include "testpki.h"

#include "testutil.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

namespace s16::test {

namespace {

// Our own OpenSSL configuration, so the result does not depend on the
// machine's openssl.cnf. `openssl ca` is used because it is the one 3.0 command
// that signs with a chosen start and end date (x509 -not_before is 3.4+).
constexpr auto opensslConfig = R"(
[ca]
default_ca = ca_default
[ca_default]
database = %1/issued/index.txt
serial = %1/issued/serial
new_certs_dir = %1/issued
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = placeholder
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[wronghost_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

QString serverName(TestPki::Server kind)
{
    switch (kind) {
    case TestPki::Server::Good: return QStringLiteral("server");
    case TestPki::Server::SelfSigned: return QStringLiteral("server-selfsigned");
    case TestPki::Server::Expired: return QStringLiteral("server-expired");
    case TestPki::Server::NotYetValid: return QStringLiteral("server-notyetvalid");
    case TestPki::Server::WrongHost: return QStringLiteral("server-wronghost");
    case TestPki::Server::UnknownCa: return QStringLiteral("server-unknownca");
    }
    return {};
}

QString clientName(TestPki::Client kind)
{
    return kind == TestPki::Client::Trusted ? QStringLiteral("client") : QStringLiteral("client-untrusted");
}

class Maker
{
public:
    explicit Maker(QString dir)
        : m_dir(std::move(dir))
        , m_config(file(QStringLiteral("openssl.cnf")))
    {
    }

    std::expected<void, QString> prepare()
    {
        if (!QDir(m_dir).mkpath(QStringLiteral("issued")))
            return std::unexpected(QStringLiteral("cannot create ") + file(QStringLiteral("issued")));
        if (!write(m_config, QString::fromLatin1(opensslConfig).arg(m_dir).toUtf8()) || !write(file(QStringLiteral("issued/index.txt")), {})
            || !write(file(QStringLiteral("issued/serial")), "1000\n"))
            return std::unexpected(QStringLiteral("cannot write into ") + m_dir);
        return {};
    }

    std::expected<void, QString> key(const QString &name)
    {
        return openssl({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("EC"), QStringLiteral("-pkeyopt"),
                        QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-out"), file(name + QStringLiteral(".key"))});
    }

    // A self-signed certificate: a CA, or (with server_ext) the bad self-signed server.
    std::expected<void, QString> selfSigned(const QString &name, const QString &cn, const QString &extensions)
    {
        if (auto r = key(name); !r)
            return r;
        return openssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-new"), QStringLiteral("-config"), m_config,
                        QStringLiteral("-extensions"), extensions, QStringLiteral("-key"), file(name + QStringLiteral(".key")),
                        QStringLiteral("-subj"), QStringLiteral("/CN=") + cn, QStringLiteral("-days"), QStringLiteral("3650"),
                        QStringLiteral("-out"), file(name + QStringLiteral(".pem"))});
    }

    // A certificate for a fresh key, signed by ca, valid from start to end.
    std::expected<void, QString> issued(const QString &name, const QString &cn, const QString &ca, const QString &extensions,
                                        const QDateTime &start, const QDateTime &end)
    {
        if (auto r = key(name); !r)
            return r;
        const QString csr = file(name + QStringLiteral(".csr"));
        if (auto r = openssl({QStringLiteral("req"), QStringLiteral("-new"), QStringLiteral("-config"), m_config, QStringLiteral("-key"),
                              file(name + QStringLiteral(".key")), QStringLiteral("-subj"), QStringLiteral("/CN=") + cn,
                              QStringLiteral("-out"), csr});
            !r)
            return r;
        const auto stamp = [](const QDateTime &t) -> QString {
            return t.toUTC().toString(QStringLiteral("yyyyMMddHHmmss")) + QLatin1Char('Z');
        };
        return openssl({QStringLiteral("ca"), QStringLiteral("-batch"), QStringLiteral("-notext"), QStringLiteral("-config"), m_config,
                        QStringLiteral("-cert"), file(ca + QStringLiteral(".pem")), QStringLiteral("-keyfile"),
                        file(ca + QStringLiteral(".key")), QStringLiteral("-extensions"), extensions, QStringLiteral("-startdate"),
                        stamp(start), QStringLiteral("-enddate"), stamp(end), QStringLiteral("-in"), csr, QStringLiteral("-out"),
                        file(name + QStringLiteral(".pem"))});
    }

    QString file(const QString &name) const { return m_dir + QLatin1Char('/') + name; }

private:
    static bool write(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
    }

    static std::expected<void, QString> openssl(const QStringList &args)
    {
        const ToolResult r = runTool(QStringLiteral("openssl"), args);
        if (r.exitCode != 0)
            return std::unexpected(QStringLiteral("openssl %1: %2").arg(args.join(QLatin1Char(' ')), r.describe()));
        return {};
    }

    QString m_dir;
    QString m_config;
};

} // namespace

std::expected<TestPki, QString> TestPki::generate(const QString &dir)
{
    Maker make(QDir(dir).absolutePath());
    if (auto r = make.prepare(); !r)
        return std::unexpected(r.error());

    // Start a minute in the past so a certificate made now is valid at once,
    // whatever the clock's rounding.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime validFrom = now.addSecs(-60);
    const QDateTime validTo = now.addYears(5);
    const QString server = QStringLiteral("server_ext");
    const QString client = QStringLiteral("client_ext");
    const QString localhost = QStringLiteral("localhost");

    const std::expected<void, QString> steps[] = {
        make.selfSigned(QStringLiteral("ca"), QStringLiteral("S16 Test CA"), QStringLiteral("v3_ca")),
        make.selfSigned(QStringLiteral("unknown-ca"), QStringLiteral("S16 Unknown CA"), QStringLiteral("v3_ca")),
        make.selfSigned(QStringLiteral("client-ca"), QStringLiteral("S16 Device CA"), QStringLiteral("v3_ca")),
        make.selfSigned(QStringLiteral("untrusted-client-ca"), QStringLiteral("S16 Untrusted Device CA"), QStringLiteral("v3_ca")),
        make.issued(serverName(Server::Good), localhost, QStringLiteral("ca"), server, validFrom, validTo),
        make.selfSigned(serverName(Server::SelfSigned), localhost, server),
        make.issued(serverName(Server::Expired), localhost, QStringLiteral("ca"), server, now.addYears(-2), now.addYears(-1)),
        make.issued(serverName(Server::NotYetValid), localhost, QStringLiteral("ca"), server, now.addYears(1), now.addYears(2)),
        make.issued(serverName(Server::WrongHost), QStringLiteral("wrong.example"), QStringLiteral("ca"), QStringLiteral("wronghost_ext"),
                    validFrom, validTo),
        make.issued(serverName(Server::UnknownCa), localhost, QStringLiteral("unknown-ca"), server, validFrom, validTo),
        make.issued(clientName(Client::Trusted), QStringLiteral("device-0001"), QStringLiteral("client-ca"), client, validFrom, validTo),
        make.issued(clientName(Client::Untrusted), QStringLiteral("device-0002"), QStringLiteral("untrusted-client-ca"), client, validFrom,
                    validTo),
    };
    for (const auto &step : steps) {
        if (!step)
            return std::unexpected(step.error());
    }

    TestPki pki;
    pki.m_dir = QDir(dir).absolutePath();
    auto pin = spkiPin(pki.server().key);
    if (!pin)
        return std::unexpected(pin.error());
    pki.m_serverPin = *pin;
    return pki;
}

const TestPki &TestPki::shared()
{
    static QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/s16-pki-XXXXXX"));
    static const TestPki pki = [] {
        if (!dir.isValid()) {
            TestPki failed;
            failed.m_error = QStringLiteral("cannot create a temporary folder: ") + dir.errorString();
            return failed;
        }
        auto made = generate(dir.path());
        if (made)
            return *made;
        TestPki failed;
        failed.m_error = made.error();
        return failed;
    }();
    return pki;
}

QString TestPki::path(const QString &name) const { return m_dir + QLatin1Char('/') + name; }

QString TestPki::caCert() const { return path(QStringLiteral("ca.pem")); }

QString TestPki::unknownCaCert() const { return path(QStringLiteral("unknown-ca.pem")); }

QString TestPki::clientCaCert() const { return path(QStringLiteral("client-ca.pem")); }

TestPki::CertAndKey TestPki::server(Server kind) const
{
    const QString name = serverName(kind);
    return {path(name + QStringLiteral(".pem")), path(name + QStringLiteral(".key"))};
}

TestPki::CertAndKey TestPki::client(Client kind) const
{
    const QString name = clientName(kind);
    return {path(name + QStringLiteral(".pem")), path(name + QStringLiteral(".key"))};
}

std::expected<QString, QString> TestPki::spkiPin(const QString &pemFile)
{
    QFile f(pemFile);
    if (!f.open(QIODevice::ReadOnly))
        return std::unexpected(QStringLiteral("cannot read %1: %2").arg(pemFile, f.errorString()));
    const QByteArray pem = f.readAll();
    const QString openssl = QStringLiteral("openssl");

    QByteArray publicPem;
    if (pem.contains("BEGIN CERTIFICATE")) {
        const ToolResult r =
            runTool(openssl, {QStringLiteral("x509"), QStringLiteral("-noout"), QStringLiteral("-pubkey"), QStringLiteral("-in"), pemFile});
        if (r.exitCode != 0)
            return std::unexpected(QStringLiteral("openssl x509 -pubkey %1: %2").arg(pemFile, r.describe()));
        publicPem = r.out;
    } else if (pem.contains("PUBLIC KEY")) {
        publicPem = pem;
    } else {
        const ToolResult r = runTool(openssl, {QStringLiteral("pkey"), QStringLiteral("-pubout"), QStringLiteral("-in"), pemFile});
        if (r.exitCode != 0)
            return std::unexpected(QStringLiteral("openssl pkey -pubout %1: %2").arg(pemFile, r.describe()));
        publicPem = r.out;
    }
    const ToolResult der =
        runTool(openssl, {QStringLiteral("pkey"), QStringLiteral("-pubin"), QStringLiteral("-outform"), QStringLiteral("DER")},
                QProcessEnvironment::systemEnvironment(), 30000, publicPem);
    if (der.exitCode != 0 || der.out.isEmpty())
        return std::unexpected(QStringLiteral("openssl pkey -outform DER %1: %2").arg(pemFile, der.describe()));
    const ToolResult digest = runTool(openssl, {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-binary")},
                                      QProcessEnvironment::systemEnvironment(), 30000, der.out);
    if (digest.exitCode != 0 || digest.out.size() != 32)
        return std::unexpected(QStringLiteral("openssl dgst %1: %2").arg(pemFile, digest.describe()));
    return QStringLiteral("sha256//") + QString::fromLatin1(digest.out.toBase64());
}

} // namespace s16::test
