// Drives the built s16-publish ($S16_BIN_DIR) as a maker would, and checks its output
// with the real openssl and sha256sum command lines.
#include "crypto/crypto.h"
#include "manifest/manifest.h"
#include "support/testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

using namespace s16;
using namespace s16::test;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

QString publishBinary()
{
#ifdef S16_BIN_DIR
    const QString fallback = QStringLiteral(S16_BIN_DIR);
#else
    const QString fallback = QCoreApplication::applicationDirPath() + QStringLiteral("/../../bin");
#endif
    return qEnvironmentVariable("S16_BIN_DIR", fallback) + QStringLiteral("/s16-publish");
}

Run run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit)
        return r;
    r.exitCode = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

Run publish(const QStringList &args) { return run(publishBinary(), args); }
Run openssl(const QStringList &args) { return run(QStringLiteral("openssl"), args); }

QString s(const char *text) { return QString::fromUtf8(text); }

} // namespace

class tst_Publish : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();

    void keygen_data();
    void keygen();
    void releaseVerifyRoundTrip();
    void compressedImageUnpacksWithTheZstdTool();
    void schemaDerivation_data();
    void schemaDerivation();
    void expiresDays();
    void opensslSignedManifestVerifies();
    void publisherSignatureVerifiesWithOpenssl();
    void tamperingFailsNamingTheFile_data();
    void tamperingFailsNamingTheFile();
    void verifyWithAnotherKeyFails();
    void sameVersion_data();
    void sameVersion();
    void sameReleaseWithNewKeyIsResigned();
    void migrationRoundTrip();
    void newReleaseReplacesOld();
    void failedReleaseLeavesRepositoryAlone();
    void readersAlwaysSeeACompleteRelease();
    void commandLine_data();
    void commandLine();

private:
    QStringList releaseArgs(const QString &version, const QStringList &extra = {}) const;
    QString path(const QString &name) const { return m_dir->filePath(name); }

    QTemporaryDir m_keyDir;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_key, m_pub, m_repo, m_image, m_mig2, m_mig3;
};

void tst_Publish::initTestCase()
{
    QVERIFY2(QFileInfo(publishBinary()).isExecutable(), qPrintable(publishBinary()));
    QVERIFY(m_keyDir.isValid());
    const Run k = publish({s("keygen"), s("--out"), m_keyDir.filePath(s("keys"))});
    QCOMPARE(k.exitCode, 0);
    m_key = m_keyDir.filePath(s("keys/signing.key"));
    m_pub = m_keyDir.filePath(s("keys/signing.pub"));
}

// Every test starts with a fresh image, two migrations and no repository yet (one key for all).
void tst_Publish::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_repo = path(s("repo"));
    m_image = path(s("system.img"));
    m_mig2 = path(s("to2.sql"));
    m_mig3 = path(s("to3.sql"));
    QVERIFY(putFileBytes(m_image, randomBytes(1024 * 1024 + 123, 1))); // more than one hashing chunk
    QVERIFY(putFileBytes(m_mig2, "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);\n"));
    QVERIFY(putFileBytes(m_mig3, "ALTER TABLE settings ADD COLUMN changed INTEGER;\n"));
}

QStringList tst_Publish::releaseArgs(const QString &version, const QStringList &extra) const
{
    return QStringList{s("release"), s("--repo"), m_repo, s("--image"), m_image, s("--version"), version, s("--key"), m_key} + extra;
}

void tst_Publish::keygen_data()
{
    QTest::addColumn<QString>("out");    // relative to the test folder
    QTest::addColumn<bool>("precreate"); // the folder exists already
    QTest::newRow("fresh folder") << s("fresh") << false;
    QTest::newRow("nested missing folders") << s("a/b/c") << false;
    QTest::newRow("existing folder") << s("existing") << true;
}

void tst_Publish::keygen()
{
    QFETCH(QString, out);
    QFETCH(bool, precreate);
    const QString dir = path(out);
    if (precreate)
        QVERIFY(QDir().mkpath(dir));
    const Run r = publish({s("keygen"), s("--out"), dir, s("--json")});
    QCOMPARE(r.exitCode, 0);
    const QString key = dir + s("/signing.key");
    const QString pub = dir + s("/signing.pub");
    QCOMPARE(fileMode(key), 0600);
    QCOMPARE(fileMode(pub), 0644);
    if (!precreate)
        QCOMPARE(fileMode(dir), 0700);
    QCOMPARE(r.json().value(s("privateKey")).toString(), key);
    QCOMPARE(r.json().value(s("publicKey")).toString(), pub);

    // the printed fingerprint is sha256 of the public key's DER, as openssl encodes it
    const Run der = openssl({s("pkey"), s("-pubin"), s("-in"), pub, s("-outform"), s("DER")});
    QCOMPARE(der.exitCode, 0);
    QCOMPARE(r.json().value(s("fingerprint")).toString(), QString::fromLatin1(crypto::Sha256::hexHash(der.out)));
    // and openssl agrees the private key is Ed25519 and belongs to the public one
    const Run derived = openssl({s("pkey"), s("-in"), key, s("-pubout")});
    QCOMPARE(derived.exitCode, 0);
    QCOMPARE(derived.out, fileBytes(pub));

    // a second keygen never replaces the key
    const QByteArray before = fileBytes(key);
    const Run again = publish({s("keygen"), s("--out"), dir, s("--json")});
    QCOMPARE(again.exitCode, 2);
    QCOMPARE(again.json().value(s("error")).toObject().value(s("name")).toString(), s("KeyUnusable"));
    QCOMPARE(fileBytes(key), before);
}

void tst_Publish::releaseVerifyRoundTrip()
{
    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
    const Run r = publish(releaseArgs(s("2.1.0"), {s("--priority"), s("--notes"), s("en=Faster start-up."), s("--notes"),
                                                   s("de=Schnellerer Start."), s("--migration"), s("2=") + m_mig2, s("--json")}));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.json().value(s("unchanged")).toBool(), false);

    const auto m = parseManifest(fileBytes(m_repo + s("/manifest.json")));
    QVERIFY(m);
    QCOMPARE(m->product, s("s16"));
    QCOMPARE(m->version.toString(), s("2.1.0"));
    QCOMPARE(m->priority, true);
    QCOMPARE(m->notes.value(s("en")), s("Faster start-up."));
    QCOMPARE(m->notes.value(s("de")), s("Schnellerer Start."));
    QCOMPARE(m->image.path, s("images/s16-2.1.0.img"));
    QCOMPARE(m->image.size, QFileInfo(m_image).size());
    QVERIFY(m->released >= before && m->released <= QDateTime::currentDateTimeUtc());
    QCOMPARE(m->expires, m->released.addDays(90));
    QCOMPARE(m->schema, std::optional<int>(2));
    QCOMPARE(fileBytes(m_repo + s("/") + m->image.path), fileBytes(m_image));

    // the image hash is what sha256sum says
    const Run sum = run(s("sha256sum"), {m_image});
    QCOMPARE(sum.exitCode, 0);
    QCOMPARE(m->image.sha256, sum.out.left(64));
    QCOMPARE(fileBytes(m_repo + s("/manifest.json.sig")).size(), 64);

    const Run v = publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub, s("--json")});
    QVERIFY2(v.exitCode == 0, v.err.constData());
    QCOMPARE(v.json().value(s("ok")).toBool(), true);
    QCOMPARE(v.json().value(s("version")).toString(), s("2.1.0"));
    QCOMPARE(v.json().value(s("keyFingerprint")).toString(), r.json().value(s("keyFingerprint")).toString());
    QCOMPARE(v.json().value(s("files")).toArray().size(), 4); // the image, it compressed, its chunk index, one migration
}

void tst_Publish::compressedImageUnpacksWithTheZstdTool()
{
    const Run r = publish({s("release"), s("--repo"), m_repo, s("--image"), m_image, s("--version"), s("2.1.0"), s("--key"), m_key});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto m = parseManifest(fileBytes(m_repo + s("/manifest.json")));
    QVERIFY(m);
    QVERIFY(m->imageZstd);
    QCOMPARE(m->imageZstd->path, m->image.path + s(".zst"));
    const QString packed = m_repo + s("/") + m->imageZstd->path;
    QCOMPARE(m->imageZstd->size, QFileInfo(packed).size());
    const Run sum = run(s("sha256sum"), {packed});
    QCOMPARE(m->imageZstd->sha256, sum.out.left(64));
    // zstd's own tool unpacks it to the image, and says its window fits a small device (8 MiB)
    const Run unpacked = run(s("zstd"), {s("-d"), s("-c"), packed});
    QCOMPARE(unpacked.exitCode, 0);
    QCOMPARE(unpacked.out, fileBytes(m_image));
    const Run list = run(s("zstd"), {s("-lv"), packed});
    QVERIFY2(list.out.contains("Check: XXH64"), list.out.constData());

    // Without compression the manifest has no image.zstd, and the repository no .zst.
    const Run plain = publish(
        {s("release"), s("--repo"), m_repo, s("--image"), m_image, s("--version"), s("2.2.0"), s("--key"), m_key, s("--no-compress")});
    QVERIFY2(plain.exitCode == 0, plain.err.constData());
    const auto m2 = parseManifest(fileBytes(m_repo + s("/manifest.json")));
    QVERIFY(m2);
    QVERIFY(!m2->imageZstd);
    QVERIFY(!QFileInfo::exists(m_repo + s("/images/s16-2.2.0.img.zst")));

    // A compressed image that unpacks to something else fails verify, naming the file.
    QVERIFY2(publish({s("release"), s("--repo"), m_repo, s("--image"), m_image, s("--version"), s("2.3.0"), s("--key"), m_key}).exitCode
                 == 0,
             "");
    const QString zst = m_repo + s("/images/s16-2.3.0.img.zst");
    const Run other = run(s("sh"), {s("-c"), s("printf other | zstd -q -f -o '%1.x' && mv '%1.x' '%1'").arg(zst)});
    QCOMPARE(other.exitCode, 0);
    const Run v = publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub});
    QVERIFY(v.exitCode != 0);
    QVERIFY2(v.err.contains("s16-2.3.0.img.zst"), v.err.constData());
}

void tst_Publish::schemaDerivation_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<int>("schema"); // -1: no "schema" key
    QTest::newRow("nothing: no schema") << QStringList() << 0 << -1;
    QTest::newRow("--schema alone") << QStringList{s("--schema"), s("5")} << 0 << 5;
    QTest::newRow("highest migration") << QStringList{s("--migration"), s("3=TO3"), s("--migration"), s("2=TO2")} << 0 << 3;
    QTest::newRow("--schema matching migrations")
        << QStringList{s("--schema"), s("3"), s("--migration"), s("2=TO2"), s("--migration"), s("3=TO3")} << 0 << 3;
    QTest::newRow("--schema above the migrations") << QStringList{s("--schema"), s("5"), s("--migration"), s("3=TO3")} << 2 << -1;
    QTest::newRow("migrations with a gap") << QStringList{s("--migration"), s("2=TO2"), s("--migration"), s("4=TO3")} << 2 << -1;
}

void tst_Publish::schemaDerivation()
{
    QFETCH(QStringList, extra);
    QFETCH(int, exitCode);
    QFETCH(int, schema);
    extra.replaceInStrings(s("TO2"), m_mig2).replaceInStrings(s("TO3"), m_mig3);
    const Run r = publish(releaseArgs(s("1.2.3"), extra + QStringList{s("--json")}));
    QCOMPARE(r.exitCode, exitCode);
    if (exitCode != 0) {
        QCOMPARE(r.json().value(s("error")).toObject().value(s("name")).toString(), s("InvalidRelease"));
        QVERIFY(!QFileInfo::exists(m_repo));
        return;
    }
    const auto m = parseManifest(fileBytes(m_repo + s("/manifest.json")));
    QVERIFY(m);
    QCOMPARE(m->schema.value_or(-1), schema);
    QCOMPARE(fileBytes(m_repo + s("/manifest.json")).contains("\"schema\""), schema >= 0);
}

void tst_Publish::expiresDays()
{
    const Run r = publish(releaseArgs(s("1.0.0"), {s("--expires-days"), s("7")}));
    QCOMPARE(r.exitCode, 0);
    const auto m = parseManifest(fileBytes(m_repo + s("/manifest.json")));
    QVERIFY(m);
    QCOMPARE(m->expires, m->released.addDays(7));
}

void tst_Publish::opensslSignedManifestVerifies()
{
    QCOMPARE(publish(releaseArgs(s("1.0.0"))).exitCode, 0);
    // A maker who signs by hand with openssl: a new key and an edited manifest.
    const QString key = path(s("hand.key")), pub = path(s("hand.pub"));
    QCOMPARE(openssl({s("genpkey"), s("-algorithm"), s("ed25519"), s("-out"), key}).exitCode, 0);
    QCOMPARE(openssl({s("pkey"), s("-in"), key, s("-pubout"), s("-out"), pub}).exitCode, 0);
    const QString manifest = m_repo + s("/manifest.json");
    QByteArray bytes = fileBytes(manifest);
    QVERIFY(bytes.contains("\"priority\": false"));
    bytes.replace("\"priority\": false", "\"priority\": true");
    QVERIFY(putFileBytes(manifest, bytes));
    QCOMPARE(
        openssl({s("pkeyutl"), s("-sign"), s("-rawin"), s("-inkey"), key, s("-in"), manifest, s("-out"), m_repo + s("/manifest.json.sig")})
            .exitCode,
        0);
    const Run v = publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), pub, s("--json")});
    QVERIFY2(v.exitCode == 0, v.err.constData());
    QCOMPARE(v.json().value(s("priority")).toBool(), true);
    // the publisher's own key no longer verifies it
    QCOMPARE(publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub}).exitCode, 13);
}

void tst_Publish::publisherSignatureVerifiesWithOpenssl()
{
    QCOMPARE(publish(releaseArgs(s("1.0.0"), {s("--notes"), s("en=x")})).exitCode, 0);
    const Run v = openssl({s("pkeyutl"), s("-verify"), s("-pubin"), s("-inkey"), m_pub, s("-rawin"), s("-in"), m_repo + s("/manifest.json"),
                           s("-sigfile"), m_repo + s("/manifest.json.sig")});
    QCOMPARE(v.exitCode, 0);
    QVERIFY(v.out.contains("Signature Verified Successfully"));
}

void tst_Publish::tamperingFailsNamingTheFile_data()
{
    QTest::addColumn<QString>("file");   // relative to the repository
    QTest::addColumn<QString>("change"); // flip:<offset> (negative from the end), append, truncate, delete
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("named"); // the file the report names
    const QString manifest = s("manifest.json"), sig = s("manifest.json.sig");
    const QString image = s("images/s16-3.0.0.img"), mig = s("migrations/0002.sql");
    QTest::newRow("manifest first byte") << manifest << s("flip:0") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("manifest middle byte") << manifest << s("flip:200") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("manifest last byte") << manifest << s("flip:-1") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("manifest appended") << manifest << s("append") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("manifest deleted") << manifest << s("delete") << 13 << s("ManifestMissing") << manifest;
    QTest::newRow("signature first byte") << sig << s("flip:0") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("signature last byte") << sig << s("flip:-1") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("signature truncated") << sig << s("truncate") << 13 << s("SignatureInvalid") << sig;
    QTest::newRow("signature deleted") << sig << s("delete") << 13 << s("ManifestMissing") << sig;
    QTest::newRow("image first byte") << image << s("flip:0") << 15 << s("HashMismatch") << image;
    QTest::newRow("image middle byte") << image << s("flip:600000") << 15 << s("HashMismatch") << image;
    QTest::newRow("image last byte") << image << s("flip:-1") << 15 << s("HashMismatch") << image;
    QTest::newRow("image appended") << image << s("append") << 15 << s("SizeMismatch") << image;
    QTest::newRow("image truncated") << image << s("truncate") << 15 << s("SizeMismatch") << image;
    QTest::newRow("image deleted") << image << s("delete") << 15 << s("FileMissing") << image;
    QTest::newRow("migration first byte") << mig << s("flip:0") << 15 << s("HashMismatch") << mig;
    QTest::newRow("migration last byte") << mig << s("flip:-1") << 15 << s("HashMismatch") << mig;
    QTest::newRow("migration deleted") << mig << s("delete") << 15 << s("FileMissing") << mig;
}

void tst_Publish::tamperingFailsNamingTheFile()
{
    QFETCH(QString, file);
    QFETCH(QString, change);
    QFETCH(int, exitCode);
    QFETCH(QString, error);
    QFETCH(QString, named);
    QCOMPARE(publish(releaseArgs(s("3.0.0"), {s("--migration"), s("2=") + m_mig2, s("--migration"), s("3=") + m_mig3})).exitCode, 0);
    const QStringList verifyArgs{s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub, s("--json")};
    QCOMPARE(publish(verifyArgs).exitCode, 0);

    const QString target = m_repo + s("/") + file;
    QByteArray bytes = fileBytes(target);
    QVERIFY(!bytes.isEmpty());
    if (change.startsWith(s("flip:"))) {
        qsizetype at = change.mid(5).toLongLong();
        if (at < 0)
            at += bytes.size();
        QVERIFY(at >= 0 && at < bytes.size());
        bytes[at] = char(bytes.at(at) ^ 0x20);
        QVERIFY(putFileBytes(target, bytes));
    } else if (change == s("append")) {
        QVERIFY(putFileBytes(target, bytes + '\n'));
    } else if (change == s("truncate")) {
        QVERIFY(putFileBytes(target, bytes.chopped(1)));
    } else {
        QVERIFY(QFile::remove(target));
    }

    const Run v = publish(verifyArgs);
    QCOMPARE(v.exitCode, exitCode);
    const QJsonObject e = v.json().value(s("error")).toObject();
    QCOMPARE(e.value(s("name")).toString(), error);
    QCOMPARE(e.value(s("file")).toString(), named);
    QVERIFY2(v.err.contains(named.toUtf8()), v.err.constData());
    // a signature failure names both halves of the pair, as either may be the changed one
    if (error == s("SignatureInvalid"))
        QVERIFY2(QString::fromUtf8(v.err).contains(QRegularExpression(s("manifest\\.json(?!\\.sig)"))), v.err.constData());
}

void tst_Publish::verifyWithAnotherKeyFails()
{
    QCOMPARE(publish(releaseArgs(s("1.0.0"))).exitCode, 0);
    QCOMPARE(publish({s("keygen"), s("--out"), path(s("other"))}).exitCode, 0);
    const Run v = publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), path(s("other/signing.pub")), s("--json")});
    QCOMPARE(v.exitCode, 13);
    QCOMPARE(v.json().value(s("error")).toObject().value(s("name")).toString(), s("SignatureInvalid"));
    // with both keys trusted (a key rotation in progress) it holds again
    const Run both = publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), path(s("other/signing.pub")), s("--pubkey"), m_pub});
    QCOMPARE(both.exitCode, 0);
}

void tst_Publish::sameVersion_data()
{
    QTest::addColumn<QStringList>("second"); // the second release's extra arguments
    QTest::addColumn<bool>("newImage");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<bool>("unchanged");
    const QStringList first{s("--notes"), s("en=One"), s("--migration"), s("2=TO2")};
    QTest::newRow("identical") << first << false << 0 << true;
    QTest::newRow("identical, other argument order")
        << QStringList{s("--migration"), s("2=TO2"), s("--notes"), s("en=One")} << false << 0 << true;
    QTest::newRow("other image") << first << true << 3 << false;
    QTest::newRow("other notes") << QStringList{s("--notes"), s("en=Two"), s("--migration"), s("2=TO2")} << false << 3 << false;
    QTest::newRow("priority") << first + QStringList{s("--priority")} << false << 3 << false;
    QTest::newRow("other migration") << QStringList{s("--notes"), s("en=One"), s("--migration"), s("2=TO3")} << false << 3 << false;
    QTest::newRow("other product") << first + QStringList{s("--product"), s("s17")} << false << 3 << false;
}

void tst_Publish::sameVersion()
{
    QFETCH(QStringList, second);
    QFETCH(bool, newImage);
    QFETCH(int, exitCode);
    QFETCH(bool, unchanged);
    QCOMPARE(publish(releaseArgs(s("4.0.0"), {s("--notes"), s("en=One"), s("--migration"), s("2=") + m_mig2})).exitCode, 0);
    const QByteArray manifest = fileBytes(m_repo + s("/manifest.json"));
    const QByteArray sig = fileBytes(m_repo + s("/manifest.json.sig"));
    if (newImage)
        QVERIFY(putFileBytes(m_image, randomBytes(1000, 2)));

    second.replaceInStrings(s("TO2"), m_mig2).replaceInStrings(s("TO3"), m_mig3);
    const Run r = publish(releaseArgs(s("4.0.0"), second + QStringList{s("--json")}));
    QCOMPARE(r.exitCode, exitCode);
    if (exitCode == 0) {
        QCOMPARE(r.json().value(s("unchanged")).toBool(), unchanged);
    } else {
        QCOMPARE(r.json().value(s("error")).toObject().value(s("name")).toString(), s("VersionConflict"));
        QVERIFY(r.err.contains("4.0.0"));
    }
    // either way the repository is exactly what it was
    QCOMPARE(fileBytes(m_repo + s("/manifest.json")), manifest);
    QCOMPARE(fileBytes(m_repo + s("/manifest.json.sig")), sig);
    QCOMPARE(publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub}).exitCode, 0);
}

void tst_Publish::sameReleaseWithNewKeyIsResigned()
{
    QCOMPARE(publish(releaseArgs(s("5.0.0"))).exitCode, 0);
    const QByteArray image = fileBytes(m_repo + s("/images/s16-5.0.0.img"));
    QCOMPARE(publish({s("keygen"), s("--out"), path(s("next"))}).exitCode, 0);
    QStringList args = releaseArgs(s("5.0.0"), {s("--json")});
    args.replaceInStrings(m_key, path(s("next/signing.key")));
    const Run r = publish(args);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json().value(s("unchanged")).toBool(), false);
    QCOMPARE(fileBytes(m_repo + s("/images/s16-5.0.0.img")), image);
    QCOMPARE(publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), path(s("next/signing.pub"))}).exitCode, 0);
    QCOMPARE(publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub}).exitCode, 13);
}

void tst_Publish::migrationRoundTrip()
{
    const Run r = publish(releaseArgs(s("2.0.0"), {s("--migration"), s("3=") + m_mig3, s("--migration"), s("2=") + m_mig2, s("--json")}));
    QCOMPARE(r.exitCode, 0);
    const auto m = parseManifest(fileBytes(m_repo + s("/manifest.json")));
    QVERIFY(m);
    QCOMPARE(m->migrations.size(), 2);
    const QStringList sources{m_mig2, m_mig3};
    for (int i = 0; i < 2; ++i) {
        const ManifestMigration &mig = m->migrations.at(i);
        QCOMPARE(mig.schema, i + 2);
        QCOMPARE(mig.path, QStringLiteral("migrations/%1.sql").arg(i + 2, 4, 10, QLatin1Char('0')));
        const QString published = m_repo + s("/") + mig.path;
        QCOMPARE(fileBytes(published), fileBytes(sources.at(i)));
        QCOMPARE(mig.size, QFileInfo(sources.at(i)).size());
        const Run sum = run(s("sha256sum"), {published});
        QCOMPARE(mig.sha256, sum.out.left(64));
    }
    // the published scripts still do what they did: run them, in order, with sqlite3
    const QString db = path(s("app.db"));
    for (const ManifestMigration &mig : m->migrations) {
        QProcess sqlite;
        sqlite.setStandardInputFile(m_repo + s("/") + mig.path);
        sqlite.start(s("sqlite3"), {db});
        QVERIFY(sqlite.waitForFinished(10000));
        QCOMPARE(sqlite.exitCode(), 0);
    }
    const Run cols = run(s("sqlite3"), {db, s("SELECT name FROM pragma_table_info('settings') ORDER BY cid")});
    QCOMPARE(cols.out, QByteArray("key\nvalue\nchanged\n"));
    QCOMPARE(publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub}).exitCode, 0);
}

void tst_Publish::newReleaseReplacesOld()
{
    QCOMPARE(publish(releaseArgs(s("1.0.0"), {s("--migration"), s("2=") + m_mig2})).exitCode, 0);
    QVERIFY(putFileBytes(m_repo + s("/README.txt"), "the maker's own file\n"));
    const QByteArray oldImage = fileBytes(m_image);
    QVERIFY(putFileBytes(m_image, randomBytes(5000, 3)));
    const Run r = publish(releaseArgs(s("1.1.0"), {s("--json")}));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(parseManifest(fileBytes(m_repo + s("/manifest.json")))->version.toString(), s("1.1.0"));
    QCOMPARE(fileBytes(m_repo + s("/images/s16-1.1.0.img")), fileBytes(m_image));
    // the previous release's payload stays downloadable for a device that fetched its manifest
    QCOMPARE(fileBytes(m_repo + s("/images/s16-1.0.0.img")), oldImage);
    QVERIFY(QFileInfo::exists(m_repo + s("/migrations/0002.sql")));
    QCOMPARE(fileBytes(m_repo + s("/README.txt")), QByteArray("the maker's own file\n"));
    QCOMPARE(publish({s("verify"), s("--repo"), m_repo, s("--pubkey"), m_pub}).exitCode, 0);
    // nothing of the build is left beside the repository; releases older than the previous one are dropped
    QCOMPARE(QDir(m_dir->path()).entryList({s(".repo.staging-*")}, QDir::AllEntries | QDir::Hidden), QStringList());
    QVERIFY(putFileBytes(m_image, randomBytes(100, 4)));
    QCOMPARE(publish(releaseArgs(s("1.2.0"))).exitCode, 0);
    QVERIFY(!QFileInfo::exists(m_repo + s("/images/s16-1.0.0.img")));
    QVERIFY(QFileInfo::exists(m_repo + s("/images/s16-1.1.0.img")));
}

void tst_Publish::failedReleaseLeavesRepositoryAlone()
{
    QCOMPARE(publish(releaseArgs(s("1.0.0"))).exitCode, 0);
    const QByteArray manifest = fileBytes(m_repo + s("/manifest.json"));
    // fails after the image has been copied into the staging folder: the migration is missing
    const Run r = publish(releaseArgs(s("2.0.0"), {s("--migration"), s("2=") + path(s("missing.sql")), s("--json")}));
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(r.json().value(s("error")).toObject().value(s("name")).toString(), s("InputUnreadable"));
    QCOMPARE(fileBytes(m_repo + s("/manifest.json")), manifest);
    QVERIFY(!QFileInfo::exists(m_repo + s("/images/s16-2.0.0.img")));
    QCOMPARE(QDir(m_dir->path()).entryList({s(".repo.staging-*")}, QDir::AllEntries | QDir::Hidden), QStringList());
}

// A reader that opens the repository folder once and reads manifest.json and its
// signature through that handle sees one release, whole, at every moment: a file-by-file
// update in place would show it a new manifest beside an old signature.
void tst_Publish::readersAlwaysSeeACompleteRelease()
{
    QCOMPARE(publish(releaseArgs(s("1.0.0"))).exitCode, 0);
    const auto keys = crypto::TrustedKeys::load({m_pub});
    QVERIFY(keys);
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, broken{0}; // broken: both files there, but not one release
    std::thread reader([&] {
        const QByteArray repo = QFile::encodeName(m_repo);
        while (!stop) {
            const int dir = ::open(repo.constData(), O_RDONLY | O_DIRECTORY);
            if (dir < 0)
                continue;
            const auto readAt = [dir](const char *name) {
                QByteArray data;
                const int fd = ::openat(dir, name, O_RDONLY);
                if (fd < 0)
                    return data;
                char buf[4096];
                for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
                    data.append(buf, n);
                ::close(fd);
                return data;
            };
            const QByteArray manifest = readAt("manifest.json");
            const QByteArray sig = readAt("manifest.json.sig");
            ::close(dir);
            // A folder swapped out moments ago is being removed: files may be gone (a
            // reader retries), but never mixed.
            if (manifest.isEmpty() || sig.isEmpty())
                continue;
            ++reads;
            if (!keys->verify(manifest, sig))
                ++broken;
        }
    });
    for (int i = 1; i <= 6; ++i) {
        QVERIFY(putFileBytes(m_image, randomBytes(64 * 1024, quint32(100 + i))));
        QCOMPARE(publish(releaseArgs(QStringLiteral("1.0.%1").arg(i))).exitCode, 0);
    }
    stop = true;
    reader.join();
    QVERIFY(reads > 0);
    QCOMPARE(broken.load(), 0);
}

void tst_Publish::commandLine_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("stdoutHas");
    QTest::addColumn<QString>("stderrHas");
    QTest::newRow("--help") << QStringList{s("--help")} << 0 << s("keygen --out DIR") << QString();
    QTest::newRow("release --help") << QStringList{s("release"), s("--help")} << 0 << s("--expires-days") << QString();
    QTest::newRow("--version") << QStringList{s("--version")} << 0 << s("s16-publish 0.1.0") << QString();
    QTest::newRow("no command") << QStringList() << 2 << QString() << s("no command");
    QTest::newRow("unknown command") << QStringList{s("sign")} << 2 << QString() << s("sign");
    QTest::newRow("unknown option") << QStringList{s("verify"), s("--frobnicate")} << 2 << QString() << s("--frobnicate");
    QTest::newRow("option of another command") << QStringList{s("keygen"), s("--repo"), s("x")} << 2 << QString() << s("--repo");
    QTest::newRow("missing value") << QStringList{s("keygen"), s("--out")} << 2 << QString() << s("--out");
    QTest::newRow("release without --key") << QStringList{s("release"), s("--repo"),    s("r"),    s("--image"),
                                                          s("i"),       s("--version"), s("1.0.0")}
                                           << 2 << QString() << s("--key");
    QTest::newRow("bad version") << QStringList{s("release"),   s("--repo"), s("r"),     s("--image"), s("IMG"),
                                                s("--version"), s("1.0"),    s("--key"), s("KEY")}
                                 << 2 << QString() << s("1.0");
    QTest::newRow("bad notes") << QStringList{s("release"), s("--notes"), s("English")} << 2 << QString() << s("LANG=TEXT");
    QTest::newRow("bad migration") << QStringList{s("release"), s("--migration"), s("x.sql")} << 2 << QString() << s("SCHEMA=FILE");
    QTest::newRow("bad expires-days") << QStringList{s("release"), s("--expires-days"), s("0")} << 2 << QString() << s("--expires-days");
    QTest::newRow("missing image") << QStringList{s("release"),   s("--repo"), s("REPO"),  s("--image"), s("nope.img"),
                                                  s("--version"), s("1.0.0"),  s("--key"), s("KEY")}
                                   << 2 << QString() << s("nope.img");
    QTest::newRow("not a key") << QStringList{s("release"),   s("--repo"), s("REPO"),  s("--image"), s("IMG"),
                                              s("--version"), s("1.0.0"),  s("--key"), s("IMG")}
                               << 2 << QString() << s("private key");
    QTest::newRow("--config before") << QStringList{s("--config"), s("/nonexistent.conf"), s("verify"), s("--repo"),
                                                    s("REPO"),     s("--pubkey"),          s("PUB")}
                                     << 13 << QString() << s("manifest.json");
    QTest::newRow("--config after") << QStringList{s("verify"), s("--repo"), s("REPO"), s("--pubkey"), s("PUB"), s("--config=/x.conf")}
                                    << 13 << QString() << s("manifest.json");
    QTest::newRow("verify unreadable pubkey") << QStringList{s("verify"), s("--repo"), s("REPO"), s("--pubkey"), s("IMG")} << 2 << QString()
                                              << s("system.img");
}

void tst_Publish::commandLine()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, stdoutHas);
    QFETCH(QString, stderrHas);
    QVERIFY(QDir().mkpath(m_repo));
    args.replaceInStrings(s("REPO"), m_repo)
        .replaceInStrings(s("IMG"), m_image)
        .replaceInStrings(s("KEY"), m_key)
        .replaceInStrings(s("PUB"), m_pub);
    const Run r = publish(args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(QString::fromUtf8(r.out).contains(stdoutHas), r.out.constData());
    QVERIFY2(QString::fromUtf8(r.err).contains(stderrHas), r.err.constData());
}

QTEST_GUILESS_MAIN(tst_Publish)
#include "tst_publish.moc"
