// The input matrix, the staged update (docs/security.md): whatever lies in
// updateDir/staged/ between the download and the recovery boot is checked again by
// recovery against the signed manifest, so a replaced image is never written to a
// slot, even with a checksum file rewritten to match it, or a whole other signed
// release put in its place. The running system stays untouched, the failure is in
// the log with its exit code, and the good update installs afterwards.
#include "hostileworld.h"

#include "crypto/crypto.h"
#include "store/journal.h"
#include "support/datatable.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QTest>

using namespace s16;
using namespace s16::hardening;

class tst_HostileStaging : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void replacedStagedUpdateIsNotInstalled_data();
    void replacedStagedUpdateIsNotInstalled();

private:
    HostileWorld m_world;
    QByteArray m_otherManifest, m_otherSignature, m_otherImage;
    int m_devices = 0;
};

void tst_HostileStaging::initTestCase()
{
    if (!QFileInfo(QDir(test::binDir()).filePath(QStringLiteral("s16-recovery"))).isExecutable())
        QSKIP("s16-recovery is not in the bin folder: build the whole project");
    const auto started = m_world.start();
    QVERIFY2(started, e2e::why(started).constData());
    // another release the same key signed, older than the staged one: what someone who
    // kept an old repository could put in staged/ to install it instead
    QVERIFY(m_world.server().publish(QStringLiteral("1.0.1"), kImageBytes));
    m_otherManifest = readFile(m_world.repo() + QStringLiteral("/manifest.json"));
    m_otherSignature = readFile(m_world.repo() + QStringLiteral("/manifest.json.sig"));
    m_otherImage = readFile(m_world.repo() + QStringLiteral("/images/s16-1.0.1.img"));
    QVERIFY(m_otherManifest.contains("1.0.1") && m_otherImage.size() == kImageBytes);
    QVERIFY(m_world.restoreGoodRelease());
}

void tst_HostileStaging::replacedStagedUpdateIsNotInstalled_data()
{
    test::addRows<QString>("tamper", {{"image and its .sha256 replaced together", QStringLiteral("image+sum")},
                                      {"image replaced by a link to the running slot", QStringLiteral("link")},
                                      {"another signed release put in its place", QStringLiteral("swap")},
                                      {"the journal's record of the download gone", QStringLiteral("record")}});
}

void tst_HostileStaging::replacedStagedUpdateIsNotInstalled()
{
    QFETCH(QString, tamper);
    const QString name = QStringLiteral("staging-%1").arg(++m_devices);
    const auto config = m_world.newDevice(name);
    QVERIFY2(config, e2e::why(config).constData());
    const QString device = m_world.deviceDir(name);
    const QString staged = device + QStringLiteral("/update/staged");
    const QString image = staged + QStringLiteral("/s16-1.1.0.img");

    auto r = e2e::update(*config, {QStringLiteral("download")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QCOMPARE(readFile(image), m_world.goodImage());

    const QByteArray other(kImageBytes, 'o');
    if (tamper == QStringLiteral("image+sum")) {
        QVERIFY(writeFile(image, other));
        QVERIFY(writeFile(image + QStringLiteral(".sha256"),
                          crypto::formatSha256Sum(crypto::Sha256::hexHash(other), QStringLiteral("s16-1.1.0.img"))));
        // sha256sum itself is satisfied: only the signed manifest can tell
        const auto sum = test::runTool(QStringLiteral("/bin/sh"),
                                       {QStringLiteral("-c"), QStringLiteral("cd \"$0\" && sha256sum -c s16-1.1.0.img.sha256"), staged});
        QVERIFY2(sum.exitCode == 0, qPrintable(sum.describe()));
    } else if (tamper == QStringLiteral("link")) {
        QVERIFY(QFile::remove(image));
        QVERIFY(QFile::link(device + QStringLiteral("/slots/A.img"), image));
    } else if (tamper == QStringLiteral("record")) {
        // "Update now" was pressed; then the record of what was downloaded is lost, so
        // recovery cannot tell the files in staged/ are the ones the user agreed to
        r = e2e::update(*config, {QStringLiteral("install")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        auto journal = Journal::open(device + QStringLiteral("/state"));
        QVERIFY(journal);
        QVERIFY((*journal)->remove(QStringLiteral("staged")));
    } else {
        // the older release's own files, all signed and consistent with each other
        QVERIFY(QFile::remove(image) && QFile::remove(image + QStringLiteral(".sha256")));
        QVERIFY(writeFile(staged + QStringLiteral("/manifest.json"), m_otherManifest));
        QVERIFY(writeFile(staged + QStringLiteral("/manifest.json.sig"), m_otherSignature));
        QVERIFY(writeFile(staged + QStringLiteral("/s16-1.0.1.img"), m_otherImage));
        QVERIFY(writeFile(staged + QStringLiteral("/s16-1.0.1.img.sha256"),
                          crypto::formatSha256Sum(crypto::Sha256::hexHash(m_otherImage), QStringLiteral("s16-1.0.1.img"))));
        // what the user agreed to install is still there to be asked for
        QVERIFY(writeFile(image, other));
        QVERIFY(writeFile(image + QStringLiteral(".sha256"),
                          crypto::formatSha256Sum(crypto::Sha256::hexHash(other), QStringLiteral("s16-1.1.0.img"))));
    }

    if (tamper != QStringLiteral("record"))
        r = e2e::update(*config, {QStringLiteral("install")});
    if (r.exitCode == 0) {
        r = e2e::devsim({QStringLiteral("run"), device, QStringLiteral("--json")}, QProcessEnvironment::systemEnvironment(), 120000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        const QJsonObject error = lastError(*config);
        QVERIFY2(error.value(QStringLiteral("code")).toInt() == 15, qPrintable(r.describe()));
    } else {
        // refused before the reboot: the staged update is not what was downloaded
        QVERIFY2(r.exitCode == 15, qPrintable(r.describe()));
    }
    QCOMPARE(untouched(device), QString());
    const QString notInstalled = installsGoodUpdate(*config, device);
    QVERIFY2(notInstalled.isEmpty(), qPrintable(notInstalled));
}

QTEST_GUILESS_MAIN(tst_HostileStaging)
#include "tst_hostilestaging.moc"
