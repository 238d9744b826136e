#include "crypto/crypto.h"
#include "support/testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;
using namespace s16::crypto;
using namespace s16::test;

Q_DECLARE_METATYPE(s16::crypto::CryptoError)
Q_DECLARE_METATYPE(s16::ExitCode)

namespace {

// RFC 8032 section 7.1 test vectors (secret seed, public key, message, signature).
struct Rfc8032 {
    const char *seed, *pub, *msg, *sig;
};
constexpr Rfc8032 kTest1{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
                         "6bd25bf5f0595bbe24655141438e7a100b"};
constexpr Rfc8032 kTest3{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
                         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6"
                         "594a7c15e9716ed28dc027beceea1ec40a"};

QByteArray pem(const char *label, const QByteArray &der)
{
    return "-----BEGIN " + QByteArray(label) + "-----\n" + der.toBase64() + "\n-----END " + QByteArray(label) + "-----\n";
}
QByteArray privatePem(const Rfc8032 &v)
{
    return pem("PRIVATE KEY", QByteArray::fromHex("302e020100300506032b657004220420" + QByteArray(v.seed)));
}
QByteArray spkiDer(const Rfc8032 &v) { return QByteArray::fromHex("302a300506032b6570032100" + QByteArray(v.pub)); }
QByteArray publicPem(const Rfc8032 &v) { return pem("PUBLIC KEY", spkiDer(v)); }

// Runs the real openssl command line; returns its exit code (-1 if it did not run).
int openssl(const QStringList &args, QByteArray *out = nullptr)
{
    QProcess p;
    p.start(QStringLiteral("openssl"), args);
    if (!p.waitForFinished(20000))
        return -1;
    if (out)
        *out = p.readAllStandardOutput();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

QString describe(const std::expected<QString, CryptoProblem> &r)
{
    return r ? r.value() : cryptoErrorName(r.error().code) + QStringLiteral(": ") + r.error().message;
}

} // namespace

class tst_Ed25519 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rfc8032Vectors_data();
    void rfc8032Vectors();
    void generateKeyPairModes();
    void generateKeyPairRefusesExistingKey();
    void generateKeyPairIntoMissingFolder();
    void roundTripAndFingerprint();
    void tamperedInputFails_data();
    void tamperedInputFails();
    void opensslSignatureVerifies();
    void ourSignatureVerifiesWithOpenssl();
    void keyRotation();
    void loadFolder();
    void loadErrors_data();
    void loadErrors();
    void signErrors_data();
    void signErrors();
    void emptyTrustVerifiesNothing();
    void publicKeyOfPrivateKey();
    void errorMapping_data();
    void errorMapping();

private:
    QTemporaryDir m_dir;
    QString path(const QString &name) const { return m_dir.filePath(name); }
};

void tst_Ed25519::rfc8032Vectors_data()
{
    QTest::addColumn<QByteArray>("privPem");
    QTest::addColumn<QByteArray>("pubPem");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("signature");
    for (const auto &[name, v] : {std::pair{"test 1 (empty message)", kTest1}, std::pair{"test 3", kTest3}})
        QTest::newRow(name) << privatePem(v) << publicPem(v) << QByteArray::fromHex(v.msg) << QByteArray::fromHex(v.sig);
}

void tst_Ed25519::rfc8032Vectors()
{
    QFETCH(QByteArray, privPem);
    QFETCH(QByteArray, pubPem);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, signature);
    const QString keyPath = path(QStringLiteral("rfc.key"));
    QVERIFY(putFileBytes(keyPath, privPem));
    const auto sig = sign(keyPath, message);
    QVERIFY2(sig, qPrintable(sig ? QString() : sig.error().message));
    QCOMPARE(sig->toHex(), signature.toHex()); // Ed25519 is deterministic

    const auto keys = TrustedKeys::fromPem({pubPem});
    QVERIFY(keys);
    const auto verified = keys->verify(message, signature);
    QVERIFY2(verified, qPrintable(describe(verified)));
}

void tst_Ed25519::generateKeyPairModes()
{
    const QString priv = path(QStringLiteral("modes/signing.key"));
    const QString pub = path(QStringLiteral("modes/signing.pub"));
    QVERIFY(QDir().mkpath(path(QStringLiteral("modes"))));
    const auto r = generateKeyPair(priv, pub);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(fileMode(priv), 0600);
    QCOMPARE(fileMode(pub), 0644);
    QVERIFY(fileBytes(priv).startsWith("-----BEGIN PRIVATE KEY-----"));
    QVERIFY(fileBytes(pub).startsWith("-----BEGIN PUBLIC KEY-----"));
    // openssl reads both as Ed25519
    QByteArray text;
    QCOMPARE(openssl({QStringLiteral("pkey"), QStringLiteral("-in"), priv, QStringLiteral("-noout"), QStringLiteral("-text")}, &text), 0);
    QVERIFY2(text.contains("ED25519"), text.constData());
    QCOMPARE(openssl({QStringLiteral("pkey"), QStringLiteral("-pubin"), QStringLiteral("-in"), pub, QStringLiteral("-noout"),
                      QStringLiteral("-text")},
                     &text),
             0);
    QVERIFY2(text.contains("ED25519"), text.constData());
    // no temporary files left behind
    QCOMPARE(QDir(path(QStringLiteral("modes"))).entryList(QDir::Files),
             QStringList({QStringLiteral("signing.key"), QStringLiteral("signing.pub")}));
}

void tst_Ed25519::generateKeyPairRefusesExistingKey()
{
    const QString priv = path(QStringLiteral("exists.key"));
    const QString pub = path(QStringLiteral("exists.pub"));
    QVERIFY(generateKeyPair(priv, pub));
    const QByteArray before = fileBytes(priv);
    const auto again = generateKeyPair(priv, pub);
    QVERIFY(!again);
    QCOMPARE(again.error().code, CryptoError::KeyWriteFailed);
    QVERIFY(again.error().message.contains(priv));
    QCOMPARE(fileBytes(priv), before);
}

void tst_Ed25519::generateKeyPairIntoMissingFolder()
{
    const auto r = generateKeyPair(path(QStringLiteral("no/such/signing.key")), path(QStringLiteral("no/such/signing.pub")));
    QVERIFY(!r);
    QCOMPARE(r.error().code, CryptoError::KeyWriteFailed);
}

void tst_Ed25519::roundTripAndFingerprint()
{
    const QString priv = path(QStringLiteral("rt.key"));
    const QString pub = path(QStringLiteral("rt.pub"));
    QVERIFY(generateKeyPair(priv, pub));
    const QByteArray message = "{\"format\": 1, \"version\": \"2.1.0\"}\n";
    const auto sig = sign(priv, message);
    QVERIFY(sig);
    QCOMPARE(sig->size(), kSignatureSize);
    const auto keys = TrustedKeys::load({pub});
    QVERIFY(keys);
    QCOMPARE(keys->count(), 1);
    const auto who = keys->verify(message, *sig);
    QVERIFY2(who, qPrintable(describe(who)));

    // the fingerprint is sha256 of the DER SubjectPublicKeyInfo, as openssl computes it
    QByteArray der;
    QCOMPARE(openssl({QStringLiteral("pkey"), QStringLiteral("-pubin"), QStringLiteral("-in"), pub, QStringLiteral("-outform"),
                      QStringLiteral("DER")},
                     &der),
             0);
    QCOMPARE(der.size(), 44);
    QCOMPARE(*who, QString::fromLatin1(Sha256::hexHash(der)));
    QCOMPARE(keys->fingerprints(), QStringList{*who});

    // signFile signs the file's exact bytes
    const QString file = path(QStringLiteral("rt.json"));
    QVERIFY(putFileBytes(file, message));
    QCOMPARE(signFile(priv, file).value_or(QByteArray()), *sig);
}

void tst_Ed25519::tamperedInputFails_data()
{
    QTest::addColumn<bool>("inSignature");
    QTest::addColumn<int>("index");
    QTest::newRow("message first byte") << false << 0;
    QTest::newRow("message middle byte") << false << 20;
    QTest::newRow("message last byte") << false << -1;
    QTest::newRow("signature first byte") << true << 0;
    QTest::newRow("signature byte 31 (R)") << true << 31;
    QTest::newRow("signature byte 32 (S)") << true << 32;
    QTest::newRow("signature last byte") << true << 63;
}

void tst_Ed25519::tamperedInputFails()
{
    QFETCH(bool, inSignature);
    QFETCH(int, index);
    const QString keyPath = path(QStringLiteral("t3.key"));
    QVERIFY(putFileBytes(keyPath, privatePem(kTest3)));
    QByteArray message = "the exact bytes of a manifest, which must not change at all";
    auto sig = sign(keyPath, message);
    QVERIFY(sig);
    const auto keys = TrustedKeys::fromPem({publicPem(kTest3)});
    QVERIFY(keys);
    QVERIFY(keys->verify(message, *sig)); // the untampered pair holds

    QByteArray &target = inSignature ? *sig : message;
    const qsizetype i = index < 0 ? target.size() + index : index;
    target[i] = char(target.at(i) ^ 0x01);
    const auto r = keys->verify(message, *sig);
    QVERIFY(!r);
    QCOMPARE(r.error().code, CryptoError::BadSignature);
}

void tst_Ed25519::opensslSignatureVerifies()
{
    const QString priv = path(QStringLiteral("ossl.key"));
    const QString pub = path(QStringLiteral("ossl.pub"));
    const QString msg = path(QStringLiteral("ossl.json"));
    const QString sig = path(QStringLiteral("ossl.json.sig"));
    QCOMPARE(openssl({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("ed25519"), QStringLiteral("-out"), priv}),
             0);
    QCOMPARE(openssl({QStringLiteral("pkey"), QStringLiteral("-in"), priv, QStringLiteral("-pubout"), QStringLiteral("-out"), pub}), 0);
    QVERIFY(putFileBytes(msg, "{\"product\": \"s16\"}\n"));
    QCOMPARE(openssl({QStringLiteral("pkeyutl"), QStringLiteral("-sign"), QStringLiteral("-rawin"), QStringLiteral("-inkey"), priv,
                      QStringLiteral("-in"), msg, QStringLiteral("-out"), sig}),
             0);
    const auto keys = TrustedKeys::load({pub});
    QVERIFY(keys);
    const auto r = keys->verify(fileBytes(msg), fileBytes(sig));
    QVERIFY2(r, qPrintable(describe(r)));
    // and our signature with openssl's key is byte-identical (deterministic scheme)
    QCOMPARE(sign(priv, fileBytes(msg)).value_or(QByteArray()), fileBytes(sig));
}

void tst_Ed25519::ourSignatureVerifiesWithOpenssl()
{
    const QString priv = path(QStringLiteral("ours.key"));
    const QString pub = path(QStringLiteral("ours.pub"));
    const QString msg = path(QStringLiteral("ours.json"));
    const QString sigPath = path(QStringLiteral("ours.json.sig"));
    QVERIFY(generateKeyPair(priv, pub));
    QVERIFY(putFileBytes(msg, "{\"version\": \"3.0.0\"}\n"));
    const auto sig = signFile(priv, msg);
    QVERIFY(sig);
    QVERIFY(putFileBytes(sigPath, *sig));
    const QStringList verifyArgs{QStringLiteral("pkeyutl"),
                                 QStringLiteral("-verify"),
                                 QStringLiteral("-pubin"),
                                 QStringLiteral("-inkey"),
                                 pub,
                                 QStringLiteral("-rawin"),
                                 QStringLiteral("-in"),
                                 msg,
                                 QStringLiteral("-sigfile"),
                                 sigPath};
    QCOMPARE(openssl(verifyArgs), 0);
    // openssl really checks: a changed message fails there too
    QVERIFY(putFileBytes(msg, "{\"version\": \"3.0.1\"}\n"));
    QCOMPARE(openssl(verifyArgs), 1);
}

void tst_Ed25519::keyRotation()
{
    const QString oldPriv = path(QStringLiteral("old.key")), oldPub = path(QStringLiteral("old.pub"));
    const QString newPriv = path(QStringLiteral("new.key")), newPub = path(QStringLiteral("new.pub"));
    const QString otherPriv = path(QStringLiteral("other.key")), otherPub = path(QStringLiteral("other.pub"));
    QVERIFY(generateKeyPair(oldPriv, oldPub));
    QVERIFY(generateKeyPair(newPriv, newPub));
    QVERIFY(generateKeyPair(otherPriv, otherPub));
    const auto keys = TrustedKeys::load({oldPub, newPub});
    QVERIFY(keys);
    QCOMPARE(keys->count(), 2);
    const QByteArray message = "rotating";
    const auto byOld = keys->verify(message, sign(oldPriv, message).value_or(QByteArray()));
    const auto byNew = keys->verify(message, sign(newPriv, message).value_or(QByteArray()));
    QVERIFY(byOld);
    QVERIFY(byNew);
    QCOMPARE(*byOld, keys->fingerprints().at(0));
    QCOMPARE(*byNew, keys->fingerprints().at(1));
    QVERIFY(*byOld != *byNew);
    const auto byOther = keys->verify(message, sign(otherPriv, message).value_or(QByteArray()));
    QVERIFY(!byOther);
    QCOMPARE(byOther.error().code, CryptoError::BadSignature);
}

void tst_Ed25519::loadFolder()
{
    const QString folder = path(QStringLiteral("trust.d"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(generateKeyPair(path(QStringLiteral("f1.key")), folder + QStringLiteral("/a.pem")));
    QVERIFY(generateKeyPair(path(QStringLiteral("f2.key")), folder + QStringLiteral("/b.pub")));
    // other files in the folder are not keys and are not read
    QVERIFY(putFileBytes(folder + QStringLiteral("/README.txt"), "not a key"));
    QVERIFY(putFileBytes(folder + QStringLiteral("/c.pem.orig"), "not a key either"));
    const auto keys = TrustedKeys::load({folder});
    QVERIFY2(keys, qPrintable(keys ? QString() : keys.error().message));
    QCOMPARE(keys->count(), 2);
    QVERIFY(keys->verify("x", sign(path(QStringLiteral("f2.key")), "x").value_or(QByteArray())));
    // the same key named twice (by folder and by file) counts once
    const auto twice = TrustedKeys::load({folder, folder + QStringLiteral("/a.pem")});
    QVERIFY(twice);
    QCOMPARE(twice->count(), 2);
}

void tst_Ed25519::loadErrors_data()
{
    QTest::addColumn<QString>("setup"); // what to create
    QTest::addColumn<CryptoError>("code");
    QTest::newRow("missing file") << QStringLiteral("missing") << CryptoError::KeyUnreadable;
    QTest::newRow("garbage") << QStringLiteral("garbage") << CryptoError::KeyUnreadable;
    QTest::newRow("private key as trust") << QStringLiteral("private") << CryptoError::KeyUnreadable;
    QTest::newRow("EC P-256 key") << QStringLiteral("ec") << CryptoError::KeyNotEd25519;
    QTest::newRow("Ed448 key") << QStringLiteral("ed448") << CryptoError::KeyNotEd25519;
    QTest::newRow("bad key in folder") << QStringLiteral("folder-with-ec") << CryptoError::KeyNotEd25519;
    QTest::newRow("empty folder") << QStringLiteral("empty-folder") << CryptoError::NoTrustedKeys;
    QTest::newRow("no entries") << QString() << CryptoError::NoTrustedKeys;
}

void tst_Ed25519::loadErrors()
{
    QFETCH(QString, setup);
    QFETCH(CryptoError, code);
    QTemporaryDir dir;
    QString entry = dir.filePath(QStringLiteral("key.pem"));
    QString named = entry; // the file the message must name
    const auto makeForeign = [&](const QString &algorithm, const QStringList &opts, const QString &out) {
        const QString priv = dir.filePath(QStringLiteral("foreign.key"));
        QStringList args{QStringLiteral("genpkey"), QStringLiteral("-algorithm"), algorithm};
        args << opts << QStringLiteral("-out") << priv;
        return openssl(args) == 0
               && openssl({QStringLiteral("pkey"), QStringLiteral("-in"), priv, QStringLiteral("-pubout"), QStringLiteral("-out"), out})
                      == 0;
    };
    if (setup == QLatin1String("garbage")) {
        QVERIFY(putFileBytes(entry, "-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n"));
    } else if (setup == QLatin1String("private")) {
        QVERIFY(putFileBytes(entry, privatePem(kTest1)));
    } else if (setup == QLatin1String("ec")) {
        QVERIFY(makeForeign(QStringLiteral("EC"), {QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256")}, entry));
    } else if (setup == QLatin1String("ed448")) {
        QVERIFY(makeForeign(QStringLiteral("ed448"), {}, entry));
    } else if (setup == QLatin1String("folder-with-ec")) {
        entry = dir.filePath(QStringLiteral("trust.d"));
        QVERIFY(QDir().mkpath(entry));
        QVERIFY(putFileBytes(entry + QStringLiteral("/a.pem"), publicPem(kTest1)));
        named = entry + QStringLiteral("/b.pub");
        QVERIFY(makeForeign(QStringLiteral("EC"), {QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256")}, named));
    } else if (setup == QLatin1String("empty-folder")) {
        entry = named = dir.filePath(QStringLiteral("empty.d"));
        QVERIFY(QDir().mkpath(entry));
    }
    const QStringList entries = setup.isEmpty() ? QStringList() : QStringList{entry};
    const auto r = TrustedKeys::load(entries);
    QVERIFY(!r);
    QCOMPARE(r.error().code, code);
    if (!setup.isEmpty())
        QVERIFY2(r.error().message.contains(named), qPrintable(r.error().message));
}

void tst_Ed25519::signErrors_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<CryptoError>("code");
    QTest::newRow("missing key") << QStringLiteral("missing") << CryptoError::KeyUnreadable;
    QTest::newRow("public key instead") << QStringLiteral("public") << CryptoError::KeyUnreadable;
    QTest::newRow("EC private key") << QStringLiteral("ec") << CryptoError::KeyNotEd25519;
}

void tst_Ed25519::signErrors()
{
    QFETCH(QString, setup);
    QFETCH(CryptoError, code);
    QTemporaryDir dir;
    const QString key = dir.filePath(QStringLiteral("signing.key"));
    if (setup == QLatin1String("public"))
        QVERIFY(putFileBytes(key, publicPem(kTest1)));
    else if (setup == QLatin1String("ec"))
        QCOMPARE(openssl({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("EC"), QStringLiteral("-pkeyopt"),
                          QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-out"), key}),
                 0);
    const auto r = sign(key, "message");
    QVERIFY(!r);
    QCOMPARE(r.error().code, code);
    QVERIFY2(r.error().message.contains(key), qPrintable(r.error().message));
}

void tst_Ed25519::emptyTrustVerifiesNothing()
{
    const TrustedKeys none;
    QCOMPARE(none.count(), 0);
    const auto r = none.verify("m", QByteArray(64, 'x'));
    QVERIFY(!r);
    QCOMPARE(r.error().code, CryptoError::NoTrustedKeys);
    const auto fromNothing = TrustedKeys::fromPem({});
    QVERIFY(!fromNothing);
    QCOMPARE(fromNothing.error().code, CryptoError::NoTrustedKeys);

    // a signature of the wrong length is bad, not a crash or an OpenSSL error
    const auto keys = TrustedKeys::fromPem({publicPem(kTest1)});
    QVERIFY(keys);
    for (const int n : {0, 63, 65, 128}) {
        const auto bad = keys->verify(QByteArray(), QByteArray::fromHex(kTest1.sig).leftJustified(n, '\0', true));
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, CryptoError::BadSignature);
    }
}

void tst_Ed25519::publicKeyOfPrivateKey()
{
    const QString key = path(QStringLiteral("pk.key"));
    QVERIFY(putFileBytes(key, privatePem(kTest3)));
    const auto pub = publicKeyPemOf(key);
    QVERIFY(pub);
    QCOMPARE(*pub, publicPem(kTest3));
    const auto keys = TrustedKeys::fromPem({*pub});
    QVERIFY(keys);
    QCOMPARE(keys->fingerprints().value(0), QString::fromLatin1(Sha256::hexHash(spkiDer(kTest3))));
}

void tst_Ed25519::errorMapping_data()
{
    QTest::addColumn<CryptoError>("code");
    QTest::addColumn<ExitCode>("exit");
    QTest::newRow("bad signature") << CryptoError::BadSignature << ExitCode::MetadataRejected;
    QTest::newRow("no keys") << CryptoError::NoTrustedKeys << ExitCode::Usage;
    QTest::newRow("unreadable key") << CryptoError::KeyUnreadable << ExitCode::Usage;
    QTest::newRow("io") << CryptoError::IoError << ExitCode::StorageError;
}

void tst_Ed25519::errorMapping()
{
    QFETCH(CryptoError, code);
    QFETCH(ExitCode, exit);
    const Error e = toError(CryptoProblem{code, QStringLiteral("what happened")});
    QCOMPARE(e.code, exit);
    QCOMPARE(e.message, QStringLiteral("what happened"));
    QCOMPARE(e.detail, cryptoErrorName(code));
}

QTEST_GUILESS_MAIN(tst_Ed25519)
#include "tst_ed25519.moc"
