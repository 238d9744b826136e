#include "store/devicestate.h"
#include "store/journal.h"

#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace s16;

// The typed keys of docs/state.md: each value is written in the JSON the table documents
// (other processes, older versions and `status --json` read it) and reads back the same.
class tst_DeviceState : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void flowNamesNodeAndEdge();
    void rebootPending();
    void progressIsAHint();
    void outcomeOfAFailureAndASuccess();
    void lastErrorCarriesItsTime();
    void stagedRecordOrNone();
    void slotsKeepEachOther();
    void installRecord();
    void errorJsonRoundTrip();
    void flowReadsBack();
    void downloadProgressCarriesItsBytes();
    void outcomeIsAcknowledgedOnce();
    void lastErrorReadsBack();
    void stagedIsWrittenAsTheTableSays();
    void lastTransfer();
    void lastTrustedAndLastCheck();
    void consentDeviceIdAndDiagnostics();
    void allSlots();

private:
    QTemporaryDir *m_dir = nullptr;
    std::unique_ptr<Journal> m_journal;
};

void tst_DeviceState::init()
{
    m_dir = new QTemporaryDir;
    QVERIFY(m_dir->isValid());
    auto journal = Journal::open(m_dir->path());
    QVERIFY2(journal, qPrintable(journal ? QString() : journal.error().message));
    m_journal = std::move(*journal);
}

void tst_DeviceState::cleanup()
{
    m_journal.reset();
    delete m_dir;
    m_dir = nullptr;
}

void tst_DeviceState::flowNamesNodeAndEdge()
{
    QVERIFY(DeviceState(*m_journal).setFlow(Node::Reload, Edge::E55));
    const QJsonObject flow = m_journal->value(QStringLiteral("flow")).toObject();
    QCOMPARE(flow.value(QStringLiteral("node")).toString(), nodeName(Node::Reload));
    QCOMPARE(flow.value(QStringLiteral("edge")).toString(), QStringLiteral("E55"));
    QVERIFY(QDateTime::fromString(flow.value(QStringLiteral("time")).toString(), Qt::ISODate).isValid());
}

void tst_DeviceState::rebootPending()
{
    DeviceState state(*m_journal);
    QVERIFY(!state.rebootPending());
    QVERIFY(state.setRebootPending(true));
    QVERIFY(state.rebootPending());
    QCOMPARE(m_journal->value(QStringLiteral("rebootPending")), QJsonValue(true));
    QVERIFY(state.setRebootPending(false));
    QVERIFY(!state.rebootPending());
}

void tst_DeviceState::progressIsAHint()
{
    DeviceState state(*m_journal);
    QVERIFY(state.setProgress(Progress{QStringLiteral("install"), 10, 100, 5, 18, std::nullopt}));
    QCOMPARE(m_journal->value(QStringLiteral("progress")).toObject(), (QJsonObject{{QStringLiteral("phase"), QStringLiteral("install")},
                                                                                   {QStringLiteral("bytes"), 10},
                                                                                   {QStringLiteral("total"), 100},
                                                                                   {QStringLiteral("rate"), 5},
                                                                                   {QStringLiteral("eta"), 18}}));
    QVERIFY(state.setProgress(Progress{QStringLiteral("verify"), 0, 100, 0, std::nullopt, std::nullopt}));
    QVERIFY(m_journal->value(QStringLiteral("progress")).toObject().value(QStringLiteral("eta")).isNull());
    QVERIFY(state.clearProgress());
    QVERIFY(!m_journal->keys().contains(QStringLiteral("progress")));
}

void tst_DeviceState::outcomeOfAFailureAndASuccess()
{
    DeviceState state(*m_journal);
    const QDateTime time(QDate(2026, 12, 6), QTime(6, 0), Qt::UTC);
    const Error failure{ExitCode::InstallFailed, QStringLiteral("cannot write slot B"), Edge::E51, QStringLiteral("EIO")};
    QVERIFY(state.setOutcome(Outcome{false, QStringLiteral("2.0.0"), QStringLiteral("1.0.0"), failure, time}));
    QCOMPARE(m_journal->value(QStringLiteral("outcome")).toObject(),
             (QJsonObject{{QStringLiteral("result"), QStringLiteral("failed")},
                          {QStringLiteral("version"), QStringLiteral("2.0.0")},
                          {QStringLiteral("previousVersion"), QStringLiteral("1.0.0")},
                          {QStringLiteral("code"), 20},
                          {QStringLiteral("message"), QStringLiteral("cannot write slot B")},
                          {QStringLiteral("edge"), QStringLiteral("E51")},
                          {QStringLiteral("time"), QStringLiteral("2026-12-06T06:00:00Z")},
                          {QStringLiteral("seen"), false}}));
    QVERIFY(
        state.setOutcome(Outcome{true, QStringLiteral("2.0.0"), QStringLiteral("1.0.0"), Error{ExitCode::Ok, {}, Edge::E65, {}}, time}));
    const QJsonObject updated = m_journal->value(QStringLiteral("outcome")).toObject();
    QCOMPARE(updated.value(QStringLiteral("result")).toString(), QStringLiteral("updated"));
    QCOMPARE(updated.value(QStringLiteral("code")).toInt(-1), 0);
    QCOMPARE(updated.value(QStringLiteral("edge")).toString(), QStringLiteral("E65"));
}

void tst_DeviceState::lastErrorCarriesItsTime()
{
    const QDateTime time(QDate(2026, 12, 6), QTime(6, 0, 5), Qt::UTC);
    QVERIFY(DeviceState(*m_journal).setLastError(Error{ExitCode::IntegrityMismatch, QStringLiteral("damaged"), Edge::E48, {}}, time));
    const QJsonObject e = m_journal->value(QStringLiteral("lastError")).toObject();
    QCOMPARE(e.value(QStringLiteral("code")).toInt(), 15);
    QCOMPARE(e.value(QStringLiteral("time")).toString(), QStringLiteral("2026-12-06T06:00:05Z"));
}

void tst_DeviceState::stagedRecordOrNone()
{
    DeviceState state(*m_journal);
    QVERIFY(!state.staged());
    QVERIFY(m_journal->set(QStringLiteral("staged"), QJsonObject{{QStringLiteral("version"), QStringLiteral("2.0.0")},
                                                                 {QStringLiteral("sha256"), QStringLiteral("ab12")},
                                                                 {QStringLiteral("compression"), QStringLiteral("zstd")},
                                                                 {QStringLiteral("size"), 42}}));
    const std::optional<StagedRecord> staged = state.staged();
    QVERIFY(staged);
    QCOMPARE(staged->version, QStringLiteral("2.0.0"));
    QCOMPARE(staged->sha256, QByteArray("ab12"));
    QCOMPARE(staged->compression, QStringLiteral("zstd"));
    QVERIFY(state.clearStaged());
    QVERIFY(!state.staged());
}

void tst_DeviceState::slotsKeepEachOther()
{
    DeviceState state(*m_journal);
    QCOMPARE(state.slot(QStringLiteral("A")).state, SlotRecord::State::Unknown);
    QVERIFY(state.setSlot(QStringLiteral("A"), {QStringLiteral("1.0.0"), SlotRecord::State::Good}));
    QVERIFY(state.setSlot(QStringLiteral("B"), {std::nullopt, SlotRecord::State::Empty}));
    QCOMPARE(m_journal->value(QStringLiteral("slots")).toObject(),
             (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("version"), QStringLiteral("1.0.0")},
                                                            {QStringLiteral("state"), QStringLiteral("good")}}},
                          {QStringLiteral("B"),
                           QJsonObject{{QStringLiteral("version"), QJsonValue()}, {QStringLiteral("state"), QStringLiteral("empty")}}}}));
    QCOMPARE(state.slot(QStringLiteral("A")).version, std::optional<QString>(QStringLiteral("1.0.0")));
    QCOMPARE(state.slot(QStringLiteral("B")).version, std::nullopt);
    QVERIFY(state.setSlot(QStringLiteral("B"), {QStringLiteral("2.0.0"), SlotRecord::State::Trial}));
    QCOMPARE(state.slot(QStringLiteral("B")).state, SlotRecord::State::Trial);
    QCOMPARE(state.slot(QStringLiteral("A")).state, SlotRecord::State::Good);
    QVERIFY(state.setSlot(QStringLiteral("B"), {QStringLiteral("2.0.0"), SlotRecord::State::Bad}));
    QCOMPARE(m_journal->value(QStringLiteral("slots"))
                 .toObject()
                 .value(QStringLiteral("B"))
                 .toObject()
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("bad"));
}

void tst_DeviceState::installRecord()
{
    DeviceState state(*m_journal);
    QVERIFY(state.installRecord().isEmpty());
    QVERIFY(state.setInstallRecord(QJsonObject{{QStringLiteral("step"), QStringLiteral("write")}}));
    QCOMPARE(state.installRecord().value(QStringLiteral("step")).toString(), QStringLiteral("write"));
    QVERIFY(state.clearInstallRecord());
    QVERIFY(!m_journal->keys().contains(QStringLiteral("install")));
}

void tst_DeviceState::errorJsonRoundTrip()
{
    const Error e{ExitCode::StorageError, QStringLiteral("disk full"), Edge::E38, QStringLiteral("ENOSPC")};
    QCOMPARE(errorFromJson(errorToJson(e), ExitCode::InstallFailed), e);
    QVERIFY(!errorToJson(e).contains(QStringLiteral("time")));
    QCOMPARE(errorFromJson(QJsonObject{}, ExitCode::InstallFailed).code, ExitCode::InstallFailed);
}

void tst_DeviceState::flowReadsBack()
{
    DeviceState state(*m_journal);
    QCOMPARE(state.flowNode(), std::nullopt);
    QCOMPARE(state.flowNodeName(), QString());
    QVERIFY(state.setFlow(Node::WaitForImage, Edge::E19));
    QCOMPARE(state.flowNode(), std::optional<Node>(Node::WaitForImage));
    QCOMPARE(state.flowNodeName(), QStringLiteral("WaitForImage"));
    QVERIFY(m_journal->set(QStringLiteral("flow"), QJsonObject{{QStringLiteral("node"), QStringLiteral("Elsewhere")}}));
    QCOMPARE(state.flowNodeName(), QStringLiteral("Elsewhere"));
    QCOMPARE(state.flowNode(), std::nullopt);
}

// The download's record as the engine always wrote it: eta -1 while unknown, a fractional rate.
void tst_DeviceState::downloadProgressCarriesItsBytes()
{
    DeviceState state(*m_journal);
    QVERIFY(state.setProgress(Progress{QStringLiteral("download"), 10, 100, 2.5, -1, Progress::Transfer{4, 6, 90}}));
    QCOMPARE(m_journal->value(QStringLiteral("progress")).toObject(), (QJsonObject{{QStringLiteral("phase"), QStringLiteral("download")},
                                                                                   {QStringLiteral("bytes"), 10.0},
                                                                                   {QStringLiteral("total"), 100.0},
                                                                                   {QStringLiteral("rate"), 2.5},
                                                                                   {QStringLiteral("eta"), -1.0},
                                                                                   {QStringLiteral("fetched"), 4.0},
                                                                                   {QStringLiteral("reused"), 6.0},
                                                                                   {QStringLiteral("toFetch"), 90.0}}));
    QCOMPARE(state.progressJson(), m_journal->value(QStringLiteral("progress")).toObject());
}

void tst_DeviceState::outcomeIsAcknowledgedOnce()
{
    DeviceState state(*m_journal);
    QVERIFY(state.acknowledgeOutcome()); // none: nothing to do
    QVERIFY(!m_journal->keys().contains(QStringLiteral("outcome")));
    QVERIFY(state.setOutcome(Outcome{true, QStringLiteral("2.0.0"), QStringLiteral("1.0.0"), Error{ExitCode::Ok, {}, Edge::E65, {}},
                                     QDateTime::currentDateTimeUtc()}));
    QCOMPARE(state.outcomeJson().value(QStringLiteral("seen")), QJsonValue(false));
    QVERIFY(state.acknowledgeOutcome());
    QCOMPARE(m_journal->value(QStringLiteral("outcome")).toObject().value(QStringLiteral("seen")), QJsonValue(true));
    QCOMPARE(state.outcomeJson().value(QStringLiteral("version")).toString(), QStringLiteral("2.0.0"));
}

void tst_DeviceState::lastErrorReadsBack()
{
    DeviceState state(*m_journal);
    QCOMPARE(state.lastError(), std::nullopt);
    const Error e{ExitCode::DownloadFailed, QStringLiteral("cut"), Edge::E34, QStringLiteral("EOF")};
    QVERIFY(state.setLastError(e, QDateTime::currentDateTimeUtc()));
    QCOMPARE(state.lastError(), std::optional<Error>(e));
    QCOMPARE(state.lastErrorJson().value(QStringLiteral("edge")).toString(), QStringLiteral("E34"));
    QVERIFY(state.clearLastError());
    QVERIFY(!m_journal->keys().contains(QStringLiteral("lastError")));
}

void tst_DeviceState::stagedIsWrittenAsTheTableSays()
{
    DeviceState state(*m_journal);
    StagedRecord r;
    r.version = QStringLiteral("2.0.0");
    r.sha256 = "ab12";
    r.image = QStringLiteral("s16-2.0.0.img");
    r.size = 42;
    r.imageSize = 42;
    r.priority = true;
    r.notes = QJsonObject{{QStringLiteral("en"), QStringLiteral("Faster.")}};
    r.released = QStringLiteral("2026-12-01T00:00:00Z");
    QVERIFY(state.setStaged(r));
    const QJsonObject raw{{QStringLiteral("version"), QStringLiteral("2.0.0")},
                          {QStringLiteral("image"), QStringLiteral("s16-2.0.0.img")},
                          {QStringLiteral("size"), 42.0},
                          {QStringLiteral("sha256"), QStringLiteral("ab12")},
                          {QStringLiteral("compression"), QJsonValue()},
                          {QStringLiteral("imageSize"), 42.0},
                          {QStringLiteral("priority"), true},
                          {QStringLiteral("notes"), r.notes},
                          {QStringLiteral("schema"), QJsonValue()},
                          {QStringLiteral("released"), QStringLiteral("2026-12-01T00:00:00Z")}};
    QCOMPARE(m_journal->value(QStringLiteral("staged")).toObject(), raw);
    r.compression = QStringLiteral("zstd");
    r.size = 7;
    r.schema = 3;
    QVERIFY(state.setStaged(r));
    const std::optional<StagedRecord> back = state.staged();
    QVERIFY(back);
    QCOMPARE(back->compression, QStringLiteral("zstd"));
    QCOMPARE(back->size, 7);
    QCOMPARE(back->imageSize, 42);
    QCOMPARE(back->schema, std::optional<int>(3));
    QCOMPARE(back->priority, true);
    QCOMPARE(back->notes, r.notes);
    QCOMPARE(back->released, r.released);
    QCOMPARE(back->image, r.image);
}

void tst_DeviceState::lastTransfer()
{
    DeviceState state(*m_journal);
    QVERIFY(state.lastTransferJson().isEmpty());
    QVERIFY(state.setLastTransfer({QStringLiteral("2.0.0"), 100, 30, 70}));
    QCOMPARE(m_journal->value(QStringLiteral("lastTransfer")).toObject(), (QJsonObject{{QStringLiteral("version"), QStringLiteral("2.0.0")},
                                                                                       {QStringLiteral("total"), 100.0},
                                                                                       {QStringLiteral("fetched"), 30.0},
                                                                                       {QStringLiteral("reused"), 70.0}}));
}

void tst_DeviceState::lastTrustedAndLastCheck()
{
    DeviceState state(*m_journal);
    QCOMPARE(state.lastTrusted().has_value(), false);
    QCOMPARE(state.lastCheck(), QString());
    QVERIFY(state.setLastTrusted({QStringLiteral("2.0.0"), QStringLiteral("2026-12-01T00:00:00Z")}));
    QVERIFY(state.setLastCheck(QDateTime(QDate(2026, 12, 6), QTime(7, 0), Qt::UTC)));
    QCOMPARE(m_journal->value(QStringLiteral("lastTrusted")).toObject(),
             (QJsonObject{{QStringLiteral("version"), QStringLiteral("2.0.0")},
                          {QStringLiteral("released"), QStringLiteral("2026-12-01T00:00:00Z")}}));
    QCOMPARE(m_journal->value(QStringLiteral("lastCheck")).toString(), QStringLiteral("2026-12-06T07:00:00Z"));
    QCOMPARE(state.lastTrusted()->version, QStringLiteral("2.0.0"));
    QCOMPARE(state.lastCheck(), QStringLiteral("2026-12-06T07:00:00Z"));
}

void tst_DeviceState::consentDeviceIdAndDiagnostics()
{
    DeviceState state(*m_journal);
    QVERIFY(!state.consent());
    QVERIFY(state.setConsent(true));
    QCOMPARE(m_journal->value(QStringLiteral("consent")), QJsonValue(true));
    QVERIFY(DeviceState::reader(*m_journal).consent());
    QVERIFY(state.setDeviceId(QStringLiteral("00ff")));
    QCOMPARE(m_journal->value(QStringLiteral("deviceId")).toString(), QStringLiteral("00ff"));
    QCOMPARE(state.deviceId(), QStringLiteral("00ff"));
    const QJsonObject sending{{QStringLiteral("sequence"), 4.0}};
    QVERIFY(state.setDiagnosticsState(sending));
    QCOMPARE(m_journal->value(QStringLiteral("diagnostics")).toObject(), sending);
    QCOMPARE(state.diagnosticsState(), sending);
}

void tst_DeviceState::allSlots()
{
    DeviceState state(*m_journal);
    QVERIFY(state.allSlots().isEmpty());
    QVERIFY(state.setSlot(QStringLiteral("A"), {QStringLiteral("1.0.0"), SlotRecord::State::Good}));
    QVERIFY(state.setSlot(QStringLiteral("B"), {QStringLiteral("2.0.0"), SlotRecord::State::Trial}));
    const QMap<QString, SlotRecord> all = state.allSlots();
    QCOMPARE(all.keys(), (QStringList{QStringLiteral("A"), QStringLiteral("B")}));
    QCOMPARE(all.value(QStringLiteral("B")).state, SlotRecord::State::Trial);
    QCOMPARE(slotStateName(SlotRecord::State::Trial), QStringLiteral("trial"));
    QCOMPARE(slotStateName(SlotRecord::State::Unknown), QString());
}

QTEST_GUILESS_MAIN(tst_DeviceState)
#include "tst_devicestate.moc"
