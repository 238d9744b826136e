// The input matrix, metadata and configuration (docs/security.md): manifests that the
// release key really signed but that are hostile in shape (over the size limit, nested
// too deeply, numbers out of range, paths that leave the repository), served by nginx
// to s16-update; and configurations a device must refuse. Each must end in its exit
// code with the error logged, nothing downloaded or installed, the running system
// untouched; and after all of them the good update still installs.
#include "hostileworld.h"
#include "support/datatable.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace s16;
using namespace s16::hardening;

namespace {

// The good manifest with one field replaced by a raw JSON text (so numbers JSON cannot
// even hold reach the parser as written).
QByteArray withRaw(const QByteArray &manifest, const QString &object, const QString &key, const QByteArray &raw)
{
    QJsonObject m = QJsonDocument::fromJson(manifest).object();
    if (object.isEmpty()) {
        m.insert(key, QStringLiteral("@RAW@"));
    } else {
        QJsonObject inner = m.value(object).toObject();
        inner.insert(key, QStringLiteral("@RAW@"));
        m.insert(object, inner);
    }
    return QJsonDocument(m).toJson().replace("\"@RAW@\"", raw);
}

} // namespace

class tst_HostileMetadata : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void hostileManifestIsRefused_data();
    void hostileManifestIsRefused();
    void badConfigurationIsRefused_data();
    void badConfigurationIsRefused();
    void unreadableConfigurationIsRefused();
    void goodUpdateStillInstalls();

private:
    HostileWorld m_world;
    QString m_config;
    QString m_device;
};

void tst_HostileMetadata::initTestCase()
{
    if (!QFileInfo(QDir(test::binDir()).filePath(QStringLiteral("s16-recovery"))).isExecutable())
        QSKIP("s16-recovery is not in the bin folder: build the whole project");
    const auto started = m_world.start();
    QVERIFY2(started, e2e::why(started).constData());
    const auto config = m_world.newDevice(QStringLiteral("metadata"));
    QVERIFY2(config, e2e::why(config).constData());
    m_config = *config;
    m_device = m_world.deviceDir(QStringLiteral("metadata"));
    QCOMPARE(untouched(m_device), QString());
}

void tst_HostileMetadata::hostileManifestIsRefused_data()
{
    const QByteArray good = m_world.goodManifest();
    QVERIFY(!good.isEmpty());
    test::addRows<QByteArray>(
        "manifest",
        {// unknown keys are ignored, so only the size limit refuses this one
         {"over the 1 MiB size limit", withRaw(good, {}, QStringLiteral("padding"), '"' + QByteArray(1024 * 1024, 'x') + '"')},
         {"nested 100000 deep", withRaw(good, {}, QStringLiteral("deep"), QByteArray(100000, '[') + QByteArray(100000, ']'))},
         {"image size beyond 2^53", withRaw(good, QStringLiteral("image"), QStringLiteral("size"), "9007199254740993")},
         {"image size 1e300", withRaw(good, QStringLiteral("image"), QStringLiteral("size"), "1e300")},
         {"image size 1e400 (not a double)", withRaw(good, QStringLiteral("image"), QStringLiteral("size"), "1e400")},
         {"negative image size", withRaw(good, QStringLiteral("image"), QStringLiteral("size"), "-524288")},
         {"negative schema", withRaw(good, {}, QStringLiteral("schema"), "-1")},
         {"huge format", withRaw(good, {}, QStringLiteral("format"), "18446744073709551617")},
         {"path with ..", withRaw(good, QStringLiteral("image"), QStringLiteral("path"), "\"images/../../../etc/passwd\"")},
         {"absolute path", withRaw(good, QStringLiteral("image"), QStringLiteral("path"), "\"/etc/passwd\"")},
         {"percent-encoded ..", withRaw(good, QStringLiteral("image"), QStringLiteral("path"), "\"images/%2e%2e/%2e%2e/etc/passwd\"")},
         {"percent-encoded slash", withRaw(good, QStringLiteral("image"), QStringLiteral("path"), "\"images/..%2f..%2fetc%2fpasswd\"")},
         {"backslash traversal", withRaw(good, QStringLiteral("image"), QStringLiteral("path"), "\"images\\\\..\\\\..\\\\x.img\"")},
         {"NUL in the path", withRaw(good, QStringLiteral("image"), QStringLiteral("path"), "\"images/s16-1.1.0.img\\u0000.txt\"")},
         {"migration leaves the repository", withRaw(withRaw(good, {}, QStringLiteral("schema"), "2"), {}, QStringLiteral("migrations"),
                                                     "[{\"schema\": 2, \"path\": \"migrations/../../../x.sql\", \"size\": 1, \"sha256\": \""
                                                         + QByteArray(64, 'a') + "\"}]")}});
}

void tst_HostileMetadata::hostileManifestIsRefused()
{
    QFETCH(QByteArray, manifest);
    const auto published = m_world.publishSigned(manifest);
    QVERIFY2(published, e2e::why(published).constData());
    const auto r = e2e::update(m_config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 13, qPrintable(r.describe()));
    QVERIFY2(!r.err.trimmed().isEmpty(), "the error is shown to the user");
    const QJsonObject error = lastError(m_config);
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), 13);
    QCOMPARE(error.value(QStringLiteral("edge")).toString(), QStringLiteral("E18"));
    // refused before anything was downloaded
    QVERIFY(!QFileInfo::exists(m_device + QStringLiteral("/update/partial")));
    QCOMPARE(untouched(m_device), QString());
    QVERIFY(m_world.restoreGoodRelease());
}

void tst_HostileMetadata::badConfigurationIsRefused_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::newRow("trust key missing") << QStringLiteral("trust/publicKeys") << QStringLiteral("no-such-key.pub");
    QTest::newRow("CA file missing") << QStringLiteral("server/caFile") << QStringLiteral("/nonexistent/ca.pem");
    QTest::newRow("token file missing") << QStringLiteral("server/tokenFile") << QStringLiteral("missing-token");
    QTest::newRow("server URL with a query") << QStringLiteral("server/url") << QStringLiteral("https://127.0.0.1:1/s16/?a=b");
    QTest::newRow("plain http") << QStringLiteral("server/url") << QStringLiteral("http://127.0.0.1:1/s16/");
    QTest::newRow("huge number") << QStringLiteral("server/maxTries") << QStringLiteral("99999999999999999999999");
    QTest::newRow("negative number") << QStringLiteral("server/retryIntervalSeconds") << QStringLiteral("-5");
}

void tst_HostileMetadata::badConfigurationIsRefused()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    const QString bad = m_device + QStringLiteral("/bad.conf");
    QFile::remove(bad);
    QVERIFY(QFile::copy(m_config, bad));
    {
        QSettings s(bad, QSettings::IniFormat);
        s.setValue(key, value);
    }
    const auto r = e2e::update(bad, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains(key.toUtf8()), qPrintable(r.describe())); // the message names the key
    QCOMPARE(untouched(m_device), QString());
}

void tst_HostileMetadata::unreadableConfigurationIsRefused()
{
    // root reads any file, so as root the check runs as nobody (setpriv, util-linux)
    // a folder of its own that others may enter (the device's is private), holding a
    // config only its owner may read
    QTemporaryDir locked;
    QVERIFY(locked.isValid());
    const QString dir = locked.path();
    QVERIFY(QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther
                                           | QFileDevice::ExeOther | QFileDevice::ReadGroup | QFileDevice::ExeGroup));
    const QString conf = dir + QStringLiteral("/update.conf");
    QFile::remove(conf);
    QVERIFY(QFile::copy(m_config, conf));
    QVERIFY(QFile::setPermissions(conf, QFileDevice::WriteOwner));
    const QString updateBin = QDir(test::binDir()).filePath(QStringLiteral("s16-update"));
    test::ToolResult r;
    if (::geteuid() == 0) {
        // nobody must reach the program and the folder: not so in a private (0700) tree
        QString p = dir;
        for (; p != QStringLiteral("/"); p = QFileInfo(p).path()) {
            if (!(QFileInfo(p).permissions() & QFileDevice::ExeOther))
                QSKIP(qPrintable(QStringLiteral("%1 is closed to other users: cannot test as nobody").arg(p)));
        }
        if (!(QFileInfo(updateBin).permissions() & QFileDevice::ExeOther))
            QSKIP("s16-update is not executable by other users");
        r = test::runTool(QStringLiteral("setpriv"),
                          {QStringLiteral("--reuid=nobody"), QStringLiteral("--regid=nogroup"), QStringLiteral("--clear-groups"), updateBin,
                           QStringLiteral("check"), QStringLiteral("--config"), conf});
    } else {
        r = test::runTool(updateBin, {QStringLiteral("check"), QStringLiteral("--config"), conf});
    }
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains("update.conf"), qPrintable(r.describe()));
    QCOMPARE(untouched(m_device), QString());
}

void tst_HostileMetadata::goodUpdateStillInstalls()
{
    QVERIFY(m_world.restoreGoodRelease());
    const QString notInstalled = installsGoodUpdate(m_config, m_device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

QTEST_GUILESS_MAIN(tst_HostileMetadata)
#include "tst_hostilemetadata.moc"
