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
} // namespace key

constexpr std::pair<SlotRecord::State, QLatin1StringView> kSlotStates[] = {
    {SlotRecord::State::Good, QLatin1StringView("good")},
    {SlotRecord::State::Trial, QLatin1StringView("trial")},
    {SlotRecord::State::Bad, QLatin1StringView("bad")},
    {SlotRecord::State::Empty, QLatin1StringView("empty")},
};

QString stateName(SlotRecord::State state)
{
    for (const auto &[known, name] : kSlotStates) {
        if (known == state)
            return name;
    }
    return {};
}

SlotRecord::State stateFromName(const QString &name)
{
    for (const auto &[state, known] : kSlotStates) {
        if (name == known)
            return state;
    }
    return SlotRecord::State::Unknown;
}

QString str(const QJsonObject &o, const char *name) { return o.value(QLatin1StringView(name)).toString(); }

} // namespace

QString journalTime(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODate);
}

QJsonObject errorToJson(const Error &error, const QDateTime &time)
{
    QJsonObject o{{QStringLiteral("code"), toInt(error.code)},
                  {QStringLiteral("message"), error.message},
                  {QStringLiteral("edge"), error.edge},
                  {QStringLiteral("detail"), error.detail}};
    if (time.isValid())
        o.insert(QStringLiteral("time"), journalTime(time));
    return o;
}

Error errorFromJson(const QJsonObject &o, ExitCode fallbackCode)
{
    return Error{ExitCode(o.value(QStringLiteral("code")).toInt(toInt(fallbackCode))), str(o, "message"), str(o, "edge"),
                 str(o, "detail")};
}

Status DeviceState::setFlow(Node node, Edge via)
{
    return m_journal.set(key::Flow, QJsonObject{{QStringLiteral("node"), nodeName(node)},
                                                {QStringLiteral("edge"), edgeName(via)},
                                                {QStringLiteral("time"), journalTime(QDateTime::currentDateTimeUtc())}});
}

bool DeviceState::rebootPending() const
{
    return m_journal.value(key::RebootPending).toBool();
}

Status DeviceState::setRebootPending(bool pending)
{
    return m_journal.set(key::RebootPending, pending);
}

Status DeviceState::setProgress(const Progress &p)
{
    return m_journal.setHint(key::Progress, QJsonObject{{QStringLiteral("phase"), p.phase},
                                                        {QStringLiteral("bytes"), p.bytes},
                                                        {QStringLiteral("total"), p.total},
                                                        {QStringLiteral("rate"), p.rate},
                                                        {QStringLiteral("eta"), p.eta ? QJsonValue(*p.eta) : QJsonValue()}});
}

Status DeviceState::clearProgress()
{
    return m_journal.remove(key::Progress);
}

Status DeviceState::setOutcome(const Outcome &o)
{
    return m_journal.set(key::Outcome, QJsonObject{{QStringLiteral("result"), o.updated ? QStringLiteral("updated") : QStringLiteral("failed")},
                                                   {QStringLiteral("version"), o.version},
                                                   {QStringLiteral("previousVersion"), o.previousVersion},
                                                   {QStringLiteral("code"), toInt(o.error.code)},
                                                   {QStringLiteral("message"), o.error.message},
                                                   {QStringLiteral("edge"), o.error.edge},
                                                   {QStringLiteral("time"), journalTime(o.time)},
                                                   {QStringLiteral("seen"), false}});
}

Status DeviceState::setLastError(const Error &error, const QDateTime &time)
{
    return m_journal.set(key::LastError, errorToJson(error, time));
}

std::optional<StagedRecord> DeviceState::staged() const
{
    const QJsonObject o = m_journal.value(key::Staged).toObject();
    if (o.isEmpty())
        return std::nullopt;
    return StagedRecord{str(o, "version"), str(o, "sha256").toLatin1(), str(o, "compression")};
}

Status DeviceState::clearStaged()
{
    return m_journal.remove(key::Staged);
}

SlotRecord DeviceState::slot(const QString &name) const
{
    const QJsonObject o = m_journal.value(key::Slots).toObject().value(name).toObject();
    const QJsonValue version = o.value(QStringLiteral("version"));
    return SlotRecord{version.isString() ? std::optional<QString>(version.toString()) : std::nullopt,
                      stateFromName(str(o, "state"))};
}

Status DeviceState::setSlot(const QString &name, const SlotRecord &record)
{
    QJsonObject all = m_journal.value(key::Slots).toObject();
    all.insert(name, QJsonObject{{QStringLiteral("version"), record.version ? QJsonValue(*record.version) : QJsonValue()},
                                 {QStringLiteral("state"), stateName(record.state)}});
    return m_journal.set(key::Slots, all);
}

QJsonObject DeviceState::installRecord() const
{
    return m_journal.value(key::Install).toObject();
}

Status DeviceState::setInstallRecord(const QJsonObject &record)
{
    return m_journal.set(key::Install, record);
}

Status DeviceState::clearInstallRecord()
{
    return m_journal.remove(key::Install);
}

} // namespace s16
