#include "config.h"

#include "common/logging.h"
#include "ini.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QRegularExpression>
#include <QSet>
#include <QStringBuilder>

#include <limits>
#include <optional>

namespace s16 {
namespace {

constexpr qint64 kMaxConfigBytes = 1024 * 1024;

ConfigProblem problem(ConfigError code, const QString &key, const QString &file, const QString &what)
{
    const QString where = key.isEmpty() ? file : key % QStringLiteral(" in ") % file;
    return ConfigProblem{code, key, file, where % QStringLiteral(": ") % what};
}

// QSettings, whose INI rules the reader keeps (ini.h), drops a line without '=' without a
// word. A device maker's typo must not silently become a missing key, so the lines are
// checked here before the INI reader reads them.
std::optional<ConfigProblem> checkSyntax(QByteArrayView data, const QString &file)
{
    if (data.startsWith("\xEF\xBB\xBF"))
        data = data.sliced(3); // a UTF-8 byte order mark
    qsizetype number = 0;
    while (!data.isEmpty()) {
        ++number;
        const qsizetype end = data.indexOf('\n');
        const QByteArrayView line = data.first(end < 0 ? data.size() : end).trimmed();
        data = end < 0 ? QByteArrayView() : data.sliced(end + 1);
        if (line.isEmpty() || line.startsWith(';') || line.startsWith('#') || line.contains('='))
            continue;
        if (line.startsWith('[') && line.contains(']'))
            continue;
        return problem(ConfigError::SyntaxError, {}, file,
                       QStringLiteral("line %1 is neither a [section] nor a key=value: \"%2\"").arg(number).arg(QString::fromUtf8(line)));
    }
    return std::nullopt;
}

// Reads keys one by one and keeps the first problem; it goes on reading after a
// problem so that every key the updater knows is marked as known.
class Reader
{
public:
    enum Collect { NoCollect, CollectKnown };
    Reader(const ini::Document &settings, QString file, Collect collect = NoCollect)
        : m_settings(settings)
        , m_file(std::move(file))
        , m_dir(QFileInfo(m_file).absoluteDir())
        , m_collect(collect == CollectKnown)
    {
    }

    enum Need { Optional, Required };

    const std::optional<ConfigProblem> &problem() const { return m_problem; }
    // The keys read() asked for: the same for every file (knownKeys()).
    const QSet<QString> &known() const { return m_known; }
    bool contains(const QString &key) const { return m_settings.contains(key); }

    void fail(ConfigError code, const QString &key, const QString &what)
    {
        if (!m_problem)
            m_problem = s16::problem(code, key, m_file, what);
    }

    // A single value; an unquoted comma makes the INI reader return a list, which for a
    // command or a path would silently lose the comma, so it is refused instead.
    QString string(const QString &key, Need need, const QString &fallback = {})
    {
        if (m_collect)
            m_known.insert(key);
        if (!m_settings.contains(key)) {
            if (need == Required)
                fail(ConfigError::MissingKey, key, QStringLiteral("is required"));
            return fallback;
        }
        const QVariant v = m_settings.value(key);
        if (v.typeId() == QMetaType::QStringList) {
            fail(ConfigError::BadValue, key,
                 QStringLiteral("has several comma-separated values; put a value containing commas in double quotes"));
            return fallback;
        }
        const QString text = v.toString().trimmed();
        if (text.isEmpty() && need == Required)
            fail(ConfigError::MissingKey, key, QStringLiteral("is required but empty"));
        return text;
    }

    QString resolve(const QString &p) const { return p.isEmpty() ? p : QDir::cleanPath(m_dir.absoluteFilePath(p)); }

    QString path(const QString &key, Need need) { return resolve(string(key, need)); }

    QStringList pathList(const QString &key, Need need)
    {
        if (m_collect)
            m_known.insert(key);
        QStringList out;
        const QStringList raw = m_settings.value(key).toStringList();
        for (const QString &entry : raw) {
            const QString p = entry.trimmed();
            if (!p.isEmpty())
                out.append(resolve(p));
        }
        if (out.isEmpty() && need == Required)
            fail(ConfigError::MissingKey, key, QStringLiteral("is required (one or more paths, comma separated)"));
        return out;
    }

    qint64 number(const QString &key, qint64 fallback, qint64 min, qint64 max)
    {
        const QString text = string(key, Optional);
        if (!m_settings.contains(key))
            return fallback;
        bool ok = false;
        const qint64 n = text.toLongLong(&ok);
        if (!ok) {
            fail(ConfigError::BadValue, key, QStringLiteral("\"%1\" is not a whole number").arg(text));
            return fallback;
        }
        if (n < min || n > max) {
            fail(ConfigError::BadValue, key, QStringLiteral("%1 is out of range %2..%3").arg(n).arg(min).arg(max));
            return fallback;
        }
        return n;
    }

    int integer(const QString &key, int fallback, int min, int max) { return int(number(key, fallback, min, max)); }

    bool boolean(const QString &key, bool fallback)
    {
        const QString text = string(key, Optional, fallback ? QStringLiteral("true") : QStringLiteral("false")).toLower();
        static const QStringList yes{QStringLiteral("true"), QStringLiteral("1"), QStringLiteral("yes"), QStringLiteral("on")};
        static const QStringList no{QStringLiteral("false"), QStringLiteral("0"), QStringLiteral("no"), QStringLiteral("off")};
        if (yes.contains(text))
            return true;
        if (no.contains(text))
            return false;
        fail(ConfigError::BadValue, key, QStringLiteral("\"%1\" is not true or false").arg(text));
        return fallback;
    }

    // The updater appends relative paths (manifest.json, <device-id>/...) to these
    // URLs, so they must be absolute, without query or fragment, and end in '/'.
    QUrl url(const QString &key, Need need, bool allowHttp)
    {
        const QString text = string(key, need);
        if (text.isEmpty())
            return {};
        QUrl u(text, QUrl::StrictMode);
        if (!u.isValid() || u.isRelative() || u.host().isEmpty() || u.hasQuery() || u.hasFragment()) {
            fail(ConfigError::BadUrl, key, QStringLiteral("\"%1\" is not an absolute URL without query or fragment").arg(text));
            return {};
        }
        const QString scheme = u.scheme().toLower();
        if (scheme == QLatin1String("http") && !allowHttp) {
            fail(ConfigError::InsecureUrl, key,
                 QStringLiteral("\"%1\" is plain http; use https, or set server/allowInsecureHttp=true for development").arg(text));
            return {};
        }
        if (scheme != QLatin1String("https") && scheme != QLatin1String("http")) {
            fail(ConfigError::BadUrl, key, QStringLiteral("\"%1\" is not an https URL").arg(text));
            return {};
        }
        if (!u.path().endsWith(QLatin1Char('/')))
            u.setPath(u.path() % QLatin1Char('/'));
        return u;
    }

    void requireFile(const QString &key, const QString &path)
    {
        if (!path.isEmpty() && !QFileInfo::exists(path))
            fail(ConfigError::MissingFile, key, QStringLiteral("%1 does not exist").arg(path));
    }

private:
    const ini::Document &m_settings;
    QString m_file;
    QDir m_dir;
    std::optional<ConfigProblem> m_problem;
    bool m_collect = false;
    QSet<QString> m_known;
};

bool isValidPin(const QString &pins)
{
    const QStringList parts = pins.split(QLatin1Char(';'));
    for (const QString &part : parts) {
        const QString pin = part.trimmed();
        if (!pin.startsWith(QLatin1String("sha256//")))
            return false;
        const auto decoded = QByteArray::fromBase64Encoding(pin.mid(8).toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.size() != 32)
            return false;
    }
    return true;
}

// A daemon may load its configuration many times; an unknown key (a typo, or a key
// of a newer updater) is worth one warning per file, not one per load.
void warnUnknownKeys(const ini::Document &settings, const QSet<QString> &known, const QString &file)
{
    static QMutex mutex;
    static QSet<size_t> warned; // hashes of file and key: a fixed size per entry
    const QStringList keys = settings.keys();
    const QMutexLocker lock(&mutex);
    for (const QString &key : keys) {
        if (known.contains(key))
            continue;
        const size_t id = qHashMulti(0, file, key);
        if (warned.contains(id))
            continue;
        // bounded: a process that loads endless different files (a fuzzer) repeats warnings
        if (warned.size() >= 4096)
            warned.clear();
        warned.insert(id);
        qCWarning(lcConfig).noquote() << "ignoring unknown key" << key << "in" << file;
    }
}

Config read(Reader &r, const QString &file)
{
    Config c;
    c.filePath = file;

    auto &s = c.server;
    s.allowInsecureHttp = r.boolean(QStringLiteral("server/allowInsecureHttp"), s.allowInsecureHttp);
    s.delta = r.boolean(QStringLiteral("server/delta"), s.delta);
    s.url = r.url(QStringLiteral("server/url"), Reader::Required, s.allowInsecureHttp);
    s.caFile = r.path(QStringLiteral("server/caFile"), Reader::Optional);
    s.clientCertificate = r.path(QStringLiteral("server/clientCertificate"), Reader::Optional);
    s.clientKey = r.path(QStringLiteral("server/clientKey"), Reader::Optional);
    if (s.clientCertificate.isEmpty() != s.clientKey.isEmpty()) {
        const QString missing = s.clientKey.isEmpty() ? QStringLiteral("server/clientKey") : QStringLiteral("server/clientCertificate");
        r.fail(ConfigError::MissingKey, missing, QStringLiteral("is required when the other half of the client identity is set"));
    }
    s.tokenFile = r.path(QStringLiteral("server/tokenFile"), Reader::Optional);
    s.retryIntervalSeconds = r.integer(QStringLiteral("server/retryIntervalSeconds"), s.retryIntervalSeconds, 0, 86400);
    s.maxTries = r.integer(QStringLiteral("server/maxTries"), s.maxTries, 1, 1000);
    // 0: no scheduled checks; the service checks only when a client asks (a device whose user decides).
    s.checkIntervalSeconds = r.number(QStringLiteral("server/checkIntervalSeconds"), s.checkIntervalSeconds, 0, 31536000);
    s.checkJitterSeconds = r.number(QStringLiteral("server/checkJitterSeconds"), std::min(s.checkJitterSeconds, s.checkIntervalSeconds), 0,
                                    s.checkIntervalSeconds);
    s.connectTimeoutSeconds = r.integer(QStringLiteral("server/connectTimeoutSeconds"), s.connectTimeoutSeconds, 1, 3600);
    s.stallTimeoutSeconds = r.integer(QStringLiteral("server/stallTimeoutSeconds"), s.stallTimeoutSeconds, 1, 3600);
    s.pinnedPublicKey = r.string(QStringLiteral("server/pinnedPublicKey"), Reader::Optional);
    if (!s.pinnedPublicKey.isEmpty() && !isValidPin(s.pinnedPublicKey))
        r.fail(ConfigError::BadValue, QStringLiteral("server/pinnedPublicKey"),
               QStringLiteral("\"%1\" is not sha256//<base64 of 32 bytes>[;sha256//...]").arg(s.pinnedPublicKey));

    c.trust.publicKeys = r.pathList(QStringLiteral("trust/publicKeys"), Reader::Required);

    auto &d = c.device;
    d.product = r.string(QStringLiteral("device/product"), Reader::Optional, d.product);
    if (d.product.isEmpty())
        r.fail(ConfigError::MissingKey, QStringLiteral("device/product"), QStringLiteral("is empty"));
    static const QRegularExpression productPattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]*$"));
    if (!d.product.isEmpty() && !productPattern.match(d.product).hasMatch())
        r.fail(ConfigError::BadValue, QStringLiteral("device/product"),
               QStringLiteral("\"%1\" may hold only letters, digits, '.', '_' and '-'").arg(d.product));
    d.versionFile = r.path(QStringLiteral("device/versionFile"), Reader::Required);
    d.stateDir = r.path(QStringLiteral("device/stateDir"), Reader::Required);
    d.updateDir = r.path(QStringLiteral("device/updateDir"), Reader::Required);
    d.database = r.path(QStringLiteral("device/database"), Reader::Optional);
    d.freeSpaceMarginBytes = r.number(QStringLiteral("device/freeSpaceMarginBytes"), d.freeSpaceMarginBytes, 0, qint64(1) << 40);

    auto &b = c.boot;
    b.backend = r.string(QStringLiteral("boot/backend"), Reader::Required);
    static const QStringList backends{QStringLiteral("uboot"), QStringLiteral("grub")};
    if (!b.backend.isEmpty() && !backends.contains(b.backend))
        r.fail(ConfigError::BadValue, QStringLiteral("boot/backend"), QStringLiteral("\"%1\" is not one of uboot, grub").arg(b.backend));
    b.envFile = r.path(QStringLiteral("boot/envFile"), Reader::Required);
    b.slotA = r.path(QStringLiteral("boot/slotA"), Reader::Required);
    b.slotB = r.path(QStringLiteral("boot/slotB"), Reader::Required);
    // Absent means the real reboot; present and empty means "record the request only".
    b.rebootCommand = r.string(QStringLiteral("boot/rebootCommand"), Reader::Optional, QStringLiteral("systemctl reboot"));

    auto &sv = c.services;
    sv.reload = r.string(QStringLiteral("services/reload"), Reader::Optional);
    sv.healthCheck = r.string(QStringLiteral("services/healthCheck"), Reader::Optional);
    sv.timeoutSeconds = r.integer(QStringLiteral("services/timeoutSeconds"), sv.timeoutSeconds, 1, 3600);

    auto &dg = c.diagnostics;
    dg.url = r.url(QStringLiteral("diagnostics/url"), Reader::Optional, s.allowInsecureHttp);
    dg.maxQueuedReports = r.integer(QStringLiteral("diagnostics/maxQueuedReports"), dg.maxQueuedReports, 0, 100000);
    dg.maxQueuedBytes = r.number(QStringLiteral("diagnostics/maxQueuedBytes"), dg.maxQueuedBytes, 0, qint64(1) << 30);

    c.log.maxEntries = r.integer(QStringLiteral("log/maxEntries"), c.log.maxEntries, 1, 1000000);
    c.ui.priorityCountdownSeconds = r.integer(QStringLiteral("ui/priorityCountdownSeconds"), c.ui.priorityCountdownSeconds, 0, 86400);

    // Files last: a missing file is a device problem, a bad value is a config problem,
    // and the config problem is the one to fix first.
    r.requireFile(QStringLiteral("server/caFile"), s.caFile);
    r.requireFile(QStringLiteral("server/clientCertificate"), s.clientCertificate);
    r.requireFile(QStringLiteral("server/clientKey"), s.clientKey);
    r.requireFile(QStringLiteral("server/tokenFile"), s.tokenFile);
    for (const QString &key : std::as_const(c.trust.publicKeys))
        r.requireFile(QStringLiteral("trust/publicKeys"), key);
    return c;
}

// Every key the updater reads: read() asks for the same keys whatever their values, so
// one run over an empty file names them all.
const QSet<QString> &knownKeys()
{
    static const QSet<QString> keys = [] {
        const ini::Document empty;
        Reader reader(empty, QStringLiteral("/known-keys.conf"), Reader::CollectKnown);
        (void)read(reader, QStringLiteral("/known-keys.conf"));
        return reader.known();
    }();
    return keys;
}

} // namespace

std::expected<Config, ConfigProblem> loadConfig(const QString &path)
{
    const QFileInfo info(path);
    const QString file = info.absoluteFilePath();
    if (!info.exists())
        return std::unexpected(problem(ConfigError::FileMissing, {}, file, QStringLiteral("no such file")));
    QFile f(file);
    if (info.isDir() || !f.open(QIODevice::ReadOnly))
        return std::unexpected(
            problem(ConfigError::FileUnreadable, {}, file, info.isDir() ? QStringLiteral("is a folder") : f.errorString()));
    // By its size first: QIODevice::read(n) reserves all n bytes, a megabyte per load.
    const QByteArray data = f.size() > kMaxConfigBytes ? QByteArray() : f.readAll();
    if (f.size() > kMaxConfigBytes || data.size() > kMaxConfigBytes)
        return std::unexpected(problem(ConfigError::SyntaxError, {}, file, QStringLiteral("larger than 1 MiB")));
    return loadConfigFromText(data, file);
}

std::expected<Config, ConfigProblem> loadConfigFromText(QByteArrayView text, const QString &filePath)
{
    const QString file = QFileInfo(filePath).absoluteFilePath();
    if (text.size() > kMaxConfigBytes)
        return std::unexpected(problem(ConfigError::SyntaxError, {}, file, QStringLiteral("larger than 1 MiB")));
    if (auto bad = checkSyntax(text, file))
        return std::unexpected(*bad);
    const auto settings = ini::parse(text);
    if (!settings)
        return std::unexpected(problem(ConfigError::SyntaxError, {}, file, settings.error().message));

    Reader reader(*settings, file);
    Config config = read(reader, file);
    warnUnknownKeys(*settings, knownKeys(), file);
    if (reader.problem())
        return std::unexpected(*reader.problem());
    return config;
}

QString defaultConfigPath()
{
    const QString fromEnv = qEnvironmentVariable("S16_UPDATE_CONFIG");
    return fromEnv.isEmpty() ? QStringLiteral("/etc/s16-update/update.conf") : fromEnv;
}

Error toError(const ConfigProblem &p) { return Error{ExitCode::Usage, QStringLiteral("configuration error: ") % p.message, {}, p.file}; }

QString configErrorName(ConfigError code)
{
    switch (code) {
    case ConfigError::FileMissing: return QStringLiteral("FileMissing");
    case ConfigError::FileUnreadable: return QStringLiteral("FileUnreadable");
    case ConfigError::SyntaxError: return QStringLiteral("SyntaxError");
    case ConfigError::MissingKey: return QStringLiteral("MissingKey");
    case ConfigError::BadValue: return QStringLiteral("BadValue");
    case ConfigError::BadUrl: return QStringLiteral("BadUrl");
    case ConfigError::InsecureUrl: return QStringLiteral("InsecureUrl");
    case ConfigError::MissingFile: return QStringLiteral("MissingFile");
    }
    return QStringLiteral("Unknown");
}

} // namespace s16
