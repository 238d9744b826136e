#include "fixture.h"

#include "publisher.h"

#include "boot/bootenv.h"
#include "support/testpki.h"
#include "support/testutil.h"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

namespace s16::test {

OnlineFixture::OnlineFixture()
{
    auto key = publish::keygen(keyDir());
    m_valid = m_dir.isValid() && key.has_value();
    if (!key)
        qWarning() << "keygen failed:" << key.error().message;
}

bool OnlineFixture::publish(const QString &repo, const Release &release, const QString &key)
{
    const QString image =
        !release.imageFile.isEmpty() ? release.imageFile : m_dir.filePath(QStringLiteral("image-%1.img").arg(release.version));
    if (auto w = release.imageFile.isEmpty() ? writeRandomFile(image, release.imageSize, quint64(qHash(release.version)))
                                             : std::expected<void, QString>{};
        !w) {
        qWarning() << w.error();
        return false;
    }
    publish::ReleaseOptions opts;
    opts.repo = repo;
    opts.image = image;
    opts.version = release.version;
    opts.key = key.isEmpty() ? privateKey() : key;
    opts.product = release.product;
    opts.priority = release.priority;
    opts.notes = {{QStringLiteral("en"), QStringLiteral("Faster start-up.")}, {QStringLiteral("de"), QStringLiteral("Schnellerer Start.")}};
    opts.expiresDays = release.expiresDays;
    opts.zstdLevel = release.zstdLevel;
    opts.delta = release.delta;
    for (const auto &[schema, sql] : release.migrations) {
        const QString path = m_dir.filePath(QStringLiteral("m%1.sql").arg(schema));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(sql) != sql.size())
            return false;
        opts.migrations.append({schema, path});
    }
    auto r = publish::release(opts);
    if (!r)
        qWarning() << "publish failed:" << r.error().message;
    return r.has_value();
}

QString OnlineFixture::makeDevice(const QUrl &serverUrl, const QMap<QString, QString> &extra, const QString &runningVersion)
{
    const QString dir = deviceDir();
    QDir(dir).removeRecursively();
    QDir().mkpath(dir + QStringLiteral("/state"));
    QDir().mkpath(dir + QStringLiteral("/update"));
    QFile version(dir + QStringLiteral("/version"));
    if (!version.open(QIODevice::WriteOnly))
        return {};
    version.write(runningVersion.toUtf8() + '\n');
    version.close();
    for (const char *slot : {"slotA", "slotB"}) {
        QFile f(dir + QLatin1Char('/') + QLatin1String(slot));
        if (!f.open(QIODevice::WriteOnly))
            return {};
    }
    // a real GRUB environment block, as grub-editenv makes it: E42/E43 write the recovery request there
    const auto env = createBootEnvironment(QStringLiteral("grub"), dir + QStringLiteral("/bootenv"),
                                           {{QStringLiteral("BOOT_ORDER"), QStringLiteral("A B")}});
    if (!env)
        return {};
    const QString conf = dir + QStringLiteral("/update.conf");
    QSettings s(conf, QSettings::IniFormat);
    QMap<QString, QString> values{
        {QStringLiteral("server/url"), serverUrl.toString()},
        {QStringLiteral("server/caFile"), TestPki::shared().caCert()},
        {QStringLiteral("server/retryIntervalSeconds"), QStringLiteral("0")},
        {QStringLiteral("server/maxTries"), QStringLiteral("3")},
        {QStringLiteral("server/connectTimeoutSeconds"), QStringLiteral("3")},
        {QStringLiteral("server/stallTimeoutSeconds"), QStringLiteral("2")},
        {QStringLiteral("trust/publicKeys"), publicKey()},
        {QStringLiteral("device/product"), QStringLiteral("s16")},
        {QStringLiteral("device/versionFile"), QStringLiteral("version")},
        {QStringLiteral("device/stateDir"), QStringLiteral("state")},
        {QStringLiteral("device/updateDir"), QStringLiteral("update")},
        {QStringLiteral("device/freeSpaceMarginBytes"), QStringLiteral("0")},
        {QStringLiteral("boot/backend"), QStringLiteral("grub")},
        {QStringLiteral("boot/envFile"), *env},
        {QStringLiteral("boot/slotA"), QStringLiteral("slotA")},
        {QStringLiteral("boot/slotB"), QStringLiteral("slotB")},
        {QStringLiteral("boot/rebootCommand"), QString()},
    };
    for (auto it = extra.cbegin(); it != extra.cend(); ++it)
        values.insert(it.key(), it.value());
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        if (it.key() == QStringLiteral("trust/publicKeys")) // a list: one entry per key file
            s.setValue(it.key(), it.value().split(QLatin1Char(',')));
        else
            s.setValue(it.key(), it.value());
    }
    s.sync();
    return conf;
}

Config OnlineFixture::config() const
{
    auto c = loadConfig(deviceDir() + QStringLiteral("/update.conf"));
    if (!c)
        qWarning() << "config:" << c.error().message;
    return c.value_or(Config{});
}

std::unique_ptr<Journal> OnlineFixture::journal() const
{
    auto j = Journal::open(deviceDir() + QStringLiteral("/state"));
    return j ? std::move(*j) : nullptr;
}

bool OnlineFixture::setServer(const QUrl &serverUrl) const
{
    QSettings s(deviceDir() + QStringLiteral("/update.conf"), QSettings::IniFormat);
    s.setValue(QStringLiteral("server/url"), serverUrl.toString());
    s.sync();
    return s.status() == QSettings::NoError;
}

void OnlineFixture::runToEnd(UpdateEngine &engine, bool download)
{
    QSignalSpy done(&engine, &UpdateEngine::finished);
    if (download)
        engine.download();
    else
        engine.check();
    if (done.isEmpty() && !done.wait(60000))
        qWarning() << "engine did not finish";
}

OnlineFixture::Run OnlineFixture::run(bool download) { return runWith(download, nullptr); }

OnlineFixture::Run OnlineFixture::runWithClock(bool download)
{
    std::optional<QList<int>> waits = QList<int>();
    return runWith(download, &waits);
}

// waits: when given, a clock that notes each wait and goes on at once replaces the timer.
OnlineFixture::Run OnlineFixture::runWith(bool download, std::optional<QList<int>> *waits)
{
    auto j = journal();
    UpdateEngine engine(config(), j.get());
    if (waits) {
        engine.setWait([waits](std::chrono::seconds wait, QObject *context, std::function<void()> then) {
            (*waits)->append(int(wait.count()));
            QTimer::singleShot(0, context, std::move(then));
        });
    }
    runToEnd(engine, download);
    return Run{engine.error(), engine.flow().path(), engine.checkResult(), waits ? **waits : QList<int>()};
}

OnlineFixture::Run OnlineFixture::install()
{
    auto j = journal();
    UpdateEngine engine(config(), j.get());
    auto r = engine.install();
    return Run{r ? std::nullopt : std::optional<Error>(r.error()), engine.flow().path(), {}, {}};
}

std::unique_ptr<NginxServer> startRepoServer(const QString &root, NginxServer::Options o)
{
    const auto &pki = TestPki::shared();
    if (o.certFile.isEmpty()) {
        o.certFile = pki.server().cert;
        o.keyFile = pki.server().key;
    }
    o.root = root;
    auto server = std::make_unique<NginxServer>(o);
    if (auto started = server->start(); !started) {
        qWarning() << started.error();
        return nullptr;
    }
    return server;
}

QString pathString(const QList<Edge> &path)
{
    QStringList names;
    for (Edge e : path)
        names.append(edgeName(e));
    return names.join(QLatin1Char(' '));
}

bool pathContains(const QList<Edge> &path, std::initializer_list<Edge> sequence)
{
    const QList<Edge> seq(sequence);
    for (qsizetype i = 0; i + seq.size() <= path.size(); ++i) {
        if (path.mid(i, seq.size()) == seq)
            return true;
    }
    return false;
}

int countOf(const QList<Edge> &path, Edge e) { return int(path.count(e)); }

} // namespace s16::test
