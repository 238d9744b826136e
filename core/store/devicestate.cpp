#include "devicestate.h"

#include "store/journal.h"

namespace s16 {
namespace {

// The keys (docs/state.md) and the slot states, spelt here only.
namespace key {
const QString Flow = QStringLiteral("flow");
const QString RebootPending = QStringLiteral("rebootPending");
const QString Progress = QStringLiteral("progress");
const QString Outcome = QStringLiteral("outcome");
const QString LastError = QStringLiteral("lastError");
const QString Staged = QStringLiteral("staged");
const QString Slots = QStringLiteral("slots");
const QString Install = QStringLiteral("install");
const QString LastTransfer = QStringLiteral("lastTransfer");
const QString LastCheck = QStringLiteral("lastCheck");
const QString LastTrusted = QStringLiteral("lastTrusted");
const QString Consent = QStringLiteral("consent");
const QString DeviceId = QStringLiteral("deviceId");
const QString Diagnostics = QStringLiteral("diagnostics");
} // namespace key

constexpr std::pair<SlotRecord::State, QLatin1StringView> kSlotStates[] = {
    {SlotRecord::State::Good, QLatin1StringView("good")},
    {SlotRecord::State::Trial, QLatin1StringView("trial")},
    {SlotRecord::State::Bad, QLatin1StringView("bad")},
    {SlotRecord::State::Empty, QLatin1StringView("empty")},
};

SlotRecord::State stateFromName(const QString &name)
{
    for (const auto &[state, known] : kSlotStates) {
        if (name == known)
            return state;
    }
    return SlotRecord::State::Unknown;
}

QString str(const QJsonObject &o, const char *name) { return o.value(QLatin1StringView(name)).toString(); }
// The journal's numbers are JSON doubles; whole numbers are written without a fraction.
qint64 num(const QJsonObject &o, const char *name) { return qint64(o.value(QLatin1StringView(name)).toDouble()); }

SlotRecord slotFromJson(const QJsonObject &o)
{
    const QJsonValue version = o.value(QStringLiteral("version"));
    return SlotRecord{version.isString() ? std::optional<QString>(version.toString()) : std::nullopt, stateFromName(str(o, "state"))};
}

} // namespace

QString slotStateName(SlotRecord::State state)
{
    for (const auto &[known, name] : kSlotStates) {
        if (known == state)
            return name;
    }
    return {};
}

QString journalTime(const QDateTime &time) { return time.toUTC().toString(Qt::ISODate); }

QJsonObject errorToJson(const Error &error, const QDateTime &time)
{
    QJsonObject o{{QStringLiteral("code"), toInt(error.code)},
                  {QStringLiteral("message"), error.message},
                  {QStringLiteral("edge"), edgeName(error.edge)},
                  {QStringLiteral("detail"), error.detail}};
    if (time.isValid())
        o.insert(QStringLiteral("time"), journalTime(time));
    return o;
}

Error errorFromJson(const QJsonObject &o, ExitCode fallbackCode)
{
    return Error{ExitCode(o.value(QStringLiteral("code")).toInt(toInt(fallbackCode))), str(o, "message"), edgeFromName(str(o, "edge")),
                 str(o, "detail")};
}

Status DeviceState::setFlow(Node node, Edge via)
{
    return m_journal.set(key::Flow, QJsonObject{{QStringLiteral("node"), nodeName(node)},
                                                {QStringLiteral("edge"), edgeName(via)},
                                                {QStringLiteral("time"), journalTime(QDateTime::currentDateTimeUtc())}});
}

QString DeviceState::flowNodeName() const { return str(m_journal.value(key::Flow).toObject(), "node"); }

std::optional<Node> DeviceState::flowNode() const { return nodeFromName(flowNodeName()); }

bool DeviceState::rebootPending() const { return m_journal.value(key::RebootPending).toBool(false); }

Status DeviceState::setRebootPending(bool pending) { return m_journal.set(key::RebootPending, pending); }

Status DeviceState::setProgress(const Progress &p)
{
    QJsonObject o{{QStringLiteral("phase"), p.phase},
                  {QStringLiteral("bytes"), p.bytes},
                  {QStringLiteral("total"), p.total},
                  {QStringLiteral("rate"), p.rate},
                  {QStringLiteral("eta"), p.eta ? QJsonValue(*p.eta) : QJsonValue()}};
    if (p.transfer) {
        o.insert(QStringLiteral("fetched"), p.transfer->fetched);
        o.insert(QStringLiteral("reused"), p.transfer->reused);
        o.insert(QStringLiteral("toFetch"), p.transfer->toFetch);
    }
    return m_journal.setHint(key::Progress, o);
}

Status DeviceState::clearProgress() { return m_journal.remove(key::Progress); }

QJsonObject DeviceState::progressJson() const { return m_journal.value(key::Progress).toObject(); }

Status DeviceState::setOutcome(const Outcome &o)
{
    return m_journal.set(key::Outcome,
                         QJsonObject{{QStringLiteral("result"), o.updated ? QStringLiteral("updated") : QStringLiteral("failed")},
                                     {QStringLiteral("version"), o.version},
                                     {QStringLiteral("previousVersion"), o.previousVersion},
                                     {QStringLiteral("code"), toInt(o.error.code)},
                                     {QStringLiteral("message"), o.error.message},
                                     {QStringLiteral("edge"), edgeName(o.error.edge)},
                                     {QStringLiteral("time"), journalTime(o.time)},
                                     {QStringLiteral("seen"), false}});
}

QJsonObject DeviceState::outcomeJson() const { return m_journal.value(key::Outcome).toObject(); }

Status DeviceState::acknowledgeOutcome()
{
    QJsonObject outcome = outcomeJson();
    const QString seen = QStringLiteral("seen");
    if (outcome.isEmpty() || outcome.value(seen).toBool(false))
        return {};
    outcome.insert(seen, true);
    return m_journal.set(key::Outcome, outcome);
}

Status DeviceState::setLastError(const Error &error, const QDateTime &time)
{
    return m_journal.set(key::LastError, errorToJson(error, time));
}

Status DeviceState::clearLastError() { return m_journal.remove(key::LastError); }

QJsonObject DeviceState::lastErrorJson() const { return m_journal.value(key::LastError).toObject(); }

std::optional<Error> DeviceState::lastError() const
{
    const QJsonObject o = lastErrorJson();
    if (o.isEmpty())
        return std::nullopt;
    return errorFromJson(o, ExitCode::Usage);
}

std::optional<StagedRecord> DeviceState::staged() const
{
    const QJsonObject o = m_journal.value(key::Staged).toObject();
    if (o.isEmpty())
        return std::nullopt;
    const QJsonValue schema = o.value(QStringLiteral("schema"));
    return StagedRecord{str(o, "version"),
                        str(o, "sha256").toLatin1(),
                        str(o, "compression"),
                        str(o, "image"),
                        num(o, "size"),
                        num(o, "imageSize"),
                        o.value(QStringLiteral("priority")).toBool(false),
                        o.value(QStringLiteral("notes")).toObject(),
                        schema.isDouble() ? std::optional<int>(schema.toInt()) : std::nullopt,
                        str(o, "released")};
}

Status DeviceState::setStaged(const StagedRecord &r)
{
    return m_journal.set(key::Staged,
                         QJsonObject{{QStringLiteral("version"), r.version},
                                     {QStringLiteral("image"), r.image},
                                     {QStringLiteral("size"), double(r.size)},
                                     {QStringLiteral("sha256"), QString::fromLatin1(r.sha256)},
                                     {QStringLiteral("compression"), r.compression.isEmpty() ? QJsonValue() : QJsonValue(r.compression)},
                                     {QStringLiteral("imageSize"), double(r.imageSize)},
                                     {QStringLiteral("priority"), r.priority},
                                     {QStringLiteral("notes"), r.notes},
                                     {QStringLiteral("schema"), r.schema ? QJsonValue(*r.schema) : QJsonValue()},
                                     {QStringLiteral("released"), r.released}});
}

Status DeviceState::clearStaged() { return m_journal.remove(key::Staged); }

Status DeviceState::setLastTransfer(const TransferRecord &r)
{
    return m_journal.set(key::LastTransfer, QJsonObject{{QStringLiteral("version"), r.version},
                                                        {QStringLiteral("total"), double(r.total)},
                                                        {QStringLiteral("fetched"), double(r.fetched)},
                                                        {QStringLiteral("reused"), double(r.reused)}});
}

QJsonObject DeviceState::lastTransferJson() const { return m_journal.value(key::LastTransfer).toObject(); }

QString DeviceState::lastCheck() const { return m_journal.value(key::LastCheck).toString(); }

Status DeviceState::setLastCheck(const QDateTime &time) { return m_journal.set(key::LastCheck, journalTime(time)); }

std::optional<TrustedRelease> DeviceState::lastTrusted() const
{
    const QJsonObject o = m_journal.value(key::LastTrusted).toObject();
    if (o.isEmpty())
        return std::nullopt;
    return TrustedRelease{str(o, "version"), str(o, "released")};
}

Status DeviceState::setLastTrusted(const TrustedRelease &release)
{
    return m_journal.set(key::LastTrusted,
                         QJsonObject{{QStringLiteral("version"), release.version}, {QStringLiteral("released"), release.released}});
}

bool DeviceState::consent() const { return m_journal.value(key::Consent).toBool(false); }

Status DeviceState::setConsent(bool on) { return m_journal.set(key::Consent, on); }

QString DeviceState::deviceId() const { return m_journal.value(key::DeviceId).toString(); }

Status DeviceState::setDeviceId(const QString &id) { return m_journal.set(key::DeviceId, id); }

QJsonObject DeviceState::diagnosticsState() const { return m_journal.value(key::Diagnostics).toObject(); }

Status DeviceState::setDiagnosticsState(const QJsonObject &state) { return m_journal.set(key::Diagnostics, state); }

SlotRecord DeviceState::slot(const QString &name) const
{
    return slotFromJson(m_journal.value(key::Slots).toObject().value(name).toObject());
}

Status DeviceState::setSlot(const QString &name, const SlotRecord &record)
{
    QJsonObject all = m_journal.value(key::Slots).toObject();
    all.insert(name, QJsonObject{{QStringLiteral("version"), record.version ? QJsonValue(*record.version) : QJsonValue()},
                                 {QStringLiteral("state"), slotStateName(record.state)}});
    return m_journal.set(key::Slots, all);
}

QMap<QString, SlotRecord> DeviceState::allSlots() const
{
    QMap<QString, SlotRecord> out;
    const QJsonObject all = m_journal.value(key::Slots).toObject();
    for (auto it = all.constBegin(); it != all.constEnd(); ++it)
        out.insert(it.key(), slotFromJson(it.value().toObject()));
    return out;
}

QJsonObject DeviceState::installRecord() const { return m_journal.value(key::Install).toObject(); }

Status DeviceState::setInstallRecord(const QJsonObject &record) { return m_journal.set(key::Install, record); }

Status DeviceState::clearInstallRecord() { return m_journal.remove(key::Install); }

} // namespace s16
