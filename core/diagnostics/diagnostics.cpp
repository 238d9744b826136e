#include "diagnostics.h"
#include "diagnostics_p.h"

#include "boot/bootenv.h"
#include "common/fileutil.h"
#include "common/logging.h"
#include "config/config.h"
#include "flow/flowchart.h"
#include "store/devicestate.h"
#include "store/journal.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStringBuilder>

#include <algorithm>

namespace s16 {

QString diagErrorName(DiagError code)
{
    switch (code) {
    case DiagError::StoreFailed: return QStringLiteral("StoreFailed");
    case DiagError::QueueUnwritable: return QStringLiteral("QueueUnwritable");
    }
    return {};
}

Error toError(const DiagProblem &p) { return Error{ExitCode::StorageError, p.message, {}, p.detail}; }

namespace diagnostics {
namespace {

// Bounds that keep one report small whatever the log holds (an HTML error page in a
// detail, say): 200 entries stay well below maxQueuedBytes' default.
constexpr int kMaxMessageChars = 1000;
constexpr int kMaxDetailChars = 2000;

QJsonValue orNull(const QString &s) { return s.isEmpty() ? QJsonValue() : QJsonValue(s); }

// Seconds since boot, from the first field of /proc/uptime; null where there is none.
QJsonValue uptimeSeconds()
{
    auto data = fileutil::readSmallFile(QStringLiteral("/proc/uptime"), 256);
    if (!data)
        return {};
    bool ok = false;
    const double seconds = data->split(' ').value(0).toDouble(&ok);
    return ok ? QJsonValue(qRound64(seconds)) : QJsonValue();
}

// Only the updater's own variables: a boot environment often also holds serial#,
// ethaddr and the like, which must never leave the device.
QJsonValue bootCounters(const Config &config)
{
    if (config.boot.backend.isEmpty())
        return {};
    QJsonObject boot{{QStringLiteral("backend"), config.boot.backend}};
    auto env = openBootEnvironment(config.boot.backend, config.boot.envFile);
    if (!env) {
        boot.insert(QStringLiteral("error"), bootErrorName(env.error().code));
        return boot;
    }
    auto vars = (*env)->read();
    if (!vars) {
        boot.insert(QStringLiteral("error"), bootErrorName(vars.error().code));
        return boot;
    }
    QJsonObject values;
    for (QLatin1StringView name : {bootvar::BootOrder, bootvar::ALeft, bootvar::BLeft, bootvar::Recovery}) {
        const QString key(name);
        values.insert(key, vars->contains(key) ? QJsonValue(vars->value(key)) : QJsonValue());
    }
    boot.insert(QStringLiteral("variables"), values);
    return boot;
}

} // namespace

namespace detail {

QJsonObject sendState(const Journal &journal) { return DeviceState::reader(journal).diagnosticsState(); }

Status setSendState(Journal &journal, const QJsonObject &state) { return DeviceState(journal).setDiagnosticsState(state); }

qint64 lastSequence(const Journal &journal) { return qint64(sendState(journal).value(QStringLiteral("sequence")).toDouble(0)); }

} // namespace detail

bool consent(const Journal &journal) { return DeviceState::reader(journal).consent(); }

std::expected<void, DiagProblem> setConsent(const Config &config, Journal &journal, bool on)
{
    if (auto s = DeviceState(journal).setConsent(on); !s)
        return std::unexpected(
            DiagProblem{DiagError::StoreFailed, QStringLiteral("cannot record the consent: ") + s.error().message, s.error().detail});
    if (on) {
        (void)journal.append(LogEntry{0,
                                      {},
                                      LogEntry::Level::Info,
                                      0,
                                      QStringLiteral("E09"),
                                      QStringLiteral("diagnostic data consent turned on"),
                                      {},
                                      QStringLiteral("consentOn")});
        return {};
    }
    auto cleared = clearQueue(config);
    (void)journal.append(LogEntry{0,
                                  {},
                                  LogEntry::Level::Info,
                                  0,
                                  QStringLiteral("E09"),
                                  cleared ? QStringLiteral("diagnostic data consent turned off; %1 unsent reports deleted").arg(*cleared)
                                          : QStringLiteral("diagnostic data consent turned off"),
                                  {},
                                  QStringLiteral("consentOff")});
    if (!cleared)
        return std::unexpected(cleared.error());
    return {};
}

std::expected<QString, DiagProblem> deviceId(Journal &journal)
{
    static const QRegularExpression valid(QStringLiteral("^[0-9a-f]{32}$"));
    QString id;
    const auto made = journal.transaction([&]() -> Status {
        id = DeviceState(journal).deviceId();
        if (valid.match(id).hasMatch())
            return {};
        quint32 words[4];
        QRandomGenerator::system()->fillRange(words);
        id = QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
        return DeviceState(journal).setDeviceId(id);
    });
    if (!made)
        return std::unexpected(DiagProblem{DiagError::StoreFailed, QStringLiteral("cannot record the device id: ") + made.error().message,
                                           made.error().detail});
    return id;
}

QList<QByteArray> configuredSecrets(const Config &config)
{
    QList<QByteArray> secrets;
    if (!config.server.tokenFile.isEmpty()) {
        QFile f(config.server.tokenFile);
        if (f.open(QIODevice::ReadOnly)) {
            const QByteArray token = f.read(64 * 1024).trimmed();
            if (!token.isEmpty())
                secrets.append(token);
        }
    }
    if (!config.server.clientKey.isEmpty()) {
        QFile f(config.server.clientKey);
        if (f.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> lines = f.read(1024 * 1024).split('\n');
            for (const QByteArray &line : lines) {
                const QByteArray l = line.trimmed();
                if (!l.isEmpty() && !l.startsWith("-----"))
                    secrets.append(l);
            }
        }
    }
    return secrets;
}

QString redact(const QString &text, const QList<QByteArray> &secrets)
{
    if (text.isEmpty())
        return text;
    QString out = text;
    static const QRegularExpression pem(
        QStringLiteral("-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)"));
    out.replace(pem, QStringLiteral("[private key removed]"));
    for (const QByteArray &secret : secrets) {
        if (!secret.isEmpty())
            out.replace(QString::fromUtf8(secret), QStringLiteral("[redacted]"));
    }
    static const QRegularExpression userInfo(QStringLiteral("\\b([A-Za-z][A-Za-z0-9+.\\-]*://)[^/?#\\s@]+@"));
    out.replace(userInfo, QStringLiteral("\\1"));
    static const QRegularExpression scheme(QStringLiteral("\\b(Bearer|Basic)\\s+[A-Za-z0-9._~+/=\\-]+"));
    out.replace(scheme, QStringLiteral("\\1 [redacted]"));
    static const QRegularExpression query(
        QStringLiteral("([?&;](?:access_token|token|auth|key|apikey|api_key|password|passwd|pwd|secret|signature|sig)=)[^&#\\s\"']*"),
        QRegularExpression::CaseInsensitiveOption);
    out.replace(query, QStringLiteral("\\1[redacted]"));
    return out;
}

QJsonObject buildReport(const Config &config, const Journal &journal, const ReportInput &input)
{
    const QList<QByteArray> secrets = configuredSecrets(config);
    const auto clean = [&secrets](const QString &s, int max = kMaxMessageChars) { return redact(s, secrets).left(max); };

    QJsonObject versions;
    auto running = fileutil::readSmallFile(config.device.versionFile, 256);
    versions.insert(QStringLiteral("running"), running ? orNull(clean(QString::fromUtf8(running->trimmed()))) : QJsonValue());
    const DeviceState state = DeviceState::reader(journal);
    versions.insert(QStringLiteral("staged"), orNull(clean(state.staged().value_or(StagedRecord{}).version)));
    QJsonObject slots;
    const QMap<QString, SlotRecord> journalSlots = state.allSlots();
    for (auto it = journalSlots.constBegin(); it != journalSlots.constEnd(); ++it) {
        slots.insert(clean(it.key(), 8), QJsonObject{{QStringLiteral("version"), orNull(clean(it.value().version.value_or(QString())))},
                                                     {QStringLiteral("state"), orNull(slotStateName(it.value().state))}});
    }
    versions.insert(QStringLiteral("slots"), slots);

    QJsonValue failure;
    if (input.failure) {
        const Error &e = *input.failure;
        failure = QJsonObject{{QStringLiteral("state"), e.edge ? QJsonValue(nodeName(edgeInfo(*e.edge).from)) : QJsonValue()},
                              {QStringLiteral("edge"), orNull(edgeName(e.edge))},
                              {QStringLiteral("code"), toInt(e.code)},
                              {QStringLiteral("codeName"), exitCodeName(e.code)},
                              {QStringLiteral("message"), clean(e.message)},
                              {QStringLiteral("detail"), clean(e.detail, kMaxDetailChars)}};
    }

    QJsonArray log;
    for (const LogEntry &entry : journal.entries(kReportLogEntries)) {
        log.append(QJsonObject{{QStringLiteral("time"), entry.time.toUTC().toString(Qt::ISODateWithMs)},
                               {QStringLiteral("level"), levelName(entry.level)},
                               {QStringLiteral("code"), entry.code},
                               {QStringLiteral("edge"), entry.edge},
                               {QStringLiteral("event"), clean(entry.event, 64)},
                               {QStringLiteral("message"), clean(entry.message)},
                               {QStringLiteral("detail"), clean(entry.detail, kMaxDetailChars)}});
    }

    auto free = fileutil::freeBytes(config.device.updateDir);
    const QString flowNode = state.flowNodeName();
    return QJsonObject{
        {QStringLiteral("format"), kReportFormat},
        {QStringLiteral("product"), clean(config.device.product)},
        {QStringLiteral("deviceId"), input.deviceId},
        {QStringLiteral("time"), input.time.toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("sequence"), double(input.sequence)},
        {QStringLiteral("updaterVersion"), QStringLiteral(S16_VERSION)},
        {QStringLiteral("versions"), versions},
        {QStringLiteral("failure"), failure},
        {QStringLiteral("flowNode"), orNull(clean(flowNode, 64))},
        {QStringLiteral("lastCheck"), orNull(clean(state.lastCheck(), 64))},
        {QStringLiteral("updateDirFreeBytes"), free ? QJsonValue(double(*free)) : QJsonValue()},
        {QStringLiteral("uptimeSeconds"), uptimeSeconds()},
        {QStringLiteral("boot"), bootCounters(config)},
        {QStringLiteral("log"), log},
    };
}

QByteArray serializeReport(const QJsonObject &report) { return QJsonDocument(report).toJson(QJsonDocument::Indented); }

QString reportName(const QDateTime &time, qint64 sequence)
{
    return time.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")) % QLatin1Char('-') % QString::number(sequence)
           % QStringLiteral(".json");
}

qint64 sequenceOf(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^\\d{8}T\\d{6}Z-(\\d{1,15})\\.json$"));
    const auto m = re.match(name);
    return m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

QByteArray previewReport(const Config &config, Journal &journal)
{
    ReportInput input;
    auto id = deviceId(journal);
    input.deviceId = id ? *id : QString();
    input.sequence = detail::lastSequence(journal) + 1;
    input.time = QDateTime::currentDateTimeUtc();
    input.failure = DeviceState(journal).lastError();
    return serializeReport(buildReport(config, journal, input));
}

QString queueDir(const Config &config) { return config.device.stateDir % QStringLiteral("/diagnostics/queue"); }

QStringList queuedReports(const Config &config)
{
    QStringList names;
    for (const QString &name : QDir(queueDir(config)).entryList({QStringLiteral("*.json")}, QDir::Files)) {
        if (sequenceOf(name) >= 0)
            names.append(name);
    }
    std::sort(names.begin(), names.end(), [](const QString &a, const QString &b) { return sequenceOf(a) < sequenceOf(b); });
    return names;
}

std::expected<int, DiagProblem> clearQueue(const Config &config)
{
    QDir dir(queueDir(config));
    if (!dir.exists())
        return 0;
    int removed = 0;
    // Everything in the folder: also a half-written report a power cut left behind.
    for (const QString &name : dir.entryList(QDir::Files | QDir::Hidden)) {
        if (!dir.remove(name))
            return std::unexpected(
                DiagProblem{DiagError::QueueUnwritable, QStringLiteral("cannot delete the queued report %1").arg(dir.filePath(name)), {}});
        if (sequenceOf(name) >= 0)
            ++removed;
    }
    if (auto synced = fileutil::syncPath(dir.path()); !synced)
        return std::unexpected(DiagProblem{DiagError::QueueUnwritable, synced.error().message, synced.error().detail});
    return removed;
}

} // namespace diagnostics
} // namespace s16
