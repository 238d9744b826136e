#include "installengine_p.h"

#include "boot/reboot.h"
#include "common/fileutil.h"
#include "common/logging.h"
#include "crypto/crypto.h"
#include "faults.h"
#include "install/servicereload.h"
#include "install/slotwriter.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringBuilder>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace s16::install {
namespace {

namespace step {
constexpr QLatin1StringView Verify{"verify"};
constexpr QLatin1StringView Write{"write"};
constexpr QLatin1StringView Backup{"backup"};
constexpr QLatin1StringView Migrate{"migrate"};
constexpr QLatin1StringView Switch{"switch"};
constexpr QLatin1StringView Trial{"trial"};
constexpr QLatin1StringView Reload{"reload"};
constexpr QLatin1StringView Commit{"commit"};
constexpr QLatin1StringView RevertMigration{"revertMigration"};
constexpr QLatin1StringView Revert{"revert"};
constexpr QLatin1StringView RebootOld{"rebootOld"};
} // namespace step

namespace key {
const QString Install = QStringLiteral("install");
const QString Slots = QStringLiteral("slots");
const QString Flow = QStringLiteral("flow");
const QString RebootPending = QStringLiteral("rebootPending");
const QString Progress = QStringLiteral("progress");
const QString Outcome = QStringLiteral("outcome");
const QString LastError = QStringLiteral("lastError");
const QString Staged = QStringLiteral("staged");
} // namespace key

const QString kTrialVar = QStringLiteral("S16_TRIAL");
constexpr qint64 kMaxSmallFile = 1024 * 1024;

QString nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
}

QString otherSlot(const QString &slot)
{
    return slot == QLatin1StringView("A") ? QStringLiteral("B") : QStringLiteral("A");
}

bool isSlotName(const QString &slot)
{
    return slot == QLatin1StringView("A") || slot == QLatin1StringView("B");
}

QJsonObject errorToJson(const Error &e)
{
    return QJsonObject{{QStringLiteral("code"), toInt(e.code)},
                       {QStringLiteral("message"), e.message},
                       {QStringLiteral("edge"), e.edge},
                       {QStringLiteral("detail"), e.detail}};
}

Error errorFromJson(const QJsonObject &o)
{
    return Error{ExitCode(o.value(QStringLiteral("code")).toInt(toInt(ExitCode::InstallFailed))),
                 o.value(QStringLiteral("message")).toString(), o.value(QStringLiteral("edge")).toString(),
                 o.value(QStringLiteral("detail")).toString()};
}

Error integrityError(const QString &message, const QString &detail = {})
{
    return Error{ExitCode::IntegrityMismatch, message, QStringLiteral("E48"), detail};
}

// A boot environment failure here means the install failed (docs/boot.md leaves the
// re-labelling to the install boundary).
Error bootError(const BootProblem &p, const QString &what)
{
    Error e = toError(p).withContext(what);
    e.code = ExitCode::InstallFailed;
    return e;
}

// s16-update takes the device's EngineLock for every engine command before it calls
// runBootComplete(); the lock is for one engine per device across processes, so a lock
// this very process holds lets the run go ahead.
bool lockHeldByThisProcess(const QString &stateDir)
{
    return EngineLock::holder(stateDir) == qint64(::getpid());
}

} // namespace

Record Record::fromJson(const QJsonValue &value)
{
    const QJsonObject o = value.toObject();
    Record r;
    r.step = o.value(QStringLiteral("step")).toString();
    r.targetSlot = o.value(QStringLiteral("targetSlot")).toString();
    r.fallbackSlot = o.value(QStringLiteral("fallbackSlot")).toString();
    r.version = o.value(QStringLiteral("version")).toString();
    r.previousVersion = o.value(QStringLiteral("previousVersion")).toString();
    r.migrated = o.value(QStringLiteral("migrated")).toBool();
    r.backup = o.value(QStringLiteral("backup")).toString();
    if (o.value(QStringLiteral("error")).isObject())
        r.error = errorFromJson(o.value(QStringLiteral("error")).toObject());
    return r;
}

QJsonObject Record::toJson() const
{
    QJsonObject o{{QStringLiteral("step"), step},
                  {QStringLiteral("targetSlot"), targetSlot},
                  {QStringLiteral("fallbackSlot"), fallbackSlot},
                  {QStringLiteral("version"), version},
                  {QStringLiteral("previousVersion"), previousVersion},
                  {QStringLiteral("migrated"), migrated},
                  {QStringLiteral("backup"), backup.isEmpty() ? QJsonValue() : QJsonValue(backup)},
                  {QStringLiteral("time"), nowIso()}};
    if (error)
        o.insert(QStringLiteral("error"), errorToJson(*error));
    return o;
}

Engine::Engine(const Config &config, InstallCallbacks callbacks)
    : m_config(config)
    , m_callbacks(std::move(callbacks))
{
}

Engine::~Engine() = default;

// ---- shared plumbing ----------------------------------------------------------------

Status Engine::open()
{
    auto lock = EngineLock::tryAcquire(m_config.device.stateDir);
    if (lock) {
        m_lock.emplace(std::move(*lock));
    } else if (!lockHeldByThisProcess(m_config.device.stateDir)) {
        return std::unexpected(lock.error().withContext(QStringLiteral("another updater process is running")));
    }
    auto journal = Journal::open(m_config.device.stateDir, m_config.log.maxEntries);
    if (!journal)
        return std::unexpected(journal.error());
    m_journal = std::move(*journal);
    auto env = openBootEnvironment(m_config.boot.backend, m_config.boot.envFile);
    if (!env)
        return std::unexpected(bootError(env.error(), QStringLiteral("cannot open the boot environment")));
    m_env = std::move(*env);
    m_flow = FlowMachine(Node::Reboot, [this](Node node, Edge via) -> Status {
        return m_journal->set(key::Flow, QJsonObject{{QStringLiteral("node"), nodeName(node)},
                                                     {QStringLiteral("edge"), edgeName(via)},
                                                     {QStringLiteral("time"), nowIso()}});
    });
    // The reboot that was requested has happened: this process runs after it.
    if (m_journal->value(key::RebootPending).toBool()) {
        if (auto cleared = m_journal->set(key::RebootPending, false); !cleared)
            return cleared;
    }
    m_rec = Record::fromJson(m_journal->value(key::Install));
    return {};
}

Status Engine::take(std::initializer_list<Edge> edges)
{
    for (const Edge edge : edges) {
        if (auto taken = m_flow.take(edge); !taken)
            return taken;
    }
    return {};
}

Status Engine::saveRecord()
{
    return m_journal->set(key::Install, m_rec.toJson());
}

Status Engine::setSlot(const QString &slot, const QJsonValue &version, const QString &state)
{
    QJsonObject all = m_journal->value(key::Slots).toObject();
    all.insert(slot, QJsonObject{{QStringLiteral("version"), version}, {QStringLiteral("state"), state}});
    return m_journal->set(key::Slots, all);
}

QString Engine::slotPath(const QString &slot) const
{
    return slot == QLatin1StringView("A") ? m_config.boot.slotA : m_config.boot.slotB;
}

QString Engine::slotVersion(const QString &slot) const
{
    const QJsonValue version = m_journal->value(key::Slots).toObject().value(slot).toObject().value(QStringLiteral("version"));
    if (version.isString() && !version.toString().isEmpty())
        return version.toString();
    if (slot == m_rec.fallbackSlot && !m_config.device.versionFile.isEmpty()) {
        if (auto text = fileutil::readSmallFile(m_config.device.versionFile, 4096))
            return QString::fromUtf8(*text).trimmed();
    }
    return {};
}

// Writes only what differs, so repeating a step after a power cut costs no extra write
// and an environment that already holds the change is not touched at all.
Status Engine::updateEnv(const QMap<QString, QString> &changes, const QString &what)
{
    auto vars = m_env->read();
    if (!vars)
        return std::unexpected(bootError(vars.error(), what));
    QMap<QString, QString> needed;
    for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
        const bool present = vars->contains(it.key());
        if (it.value().isNull() ? present : (!present || vars->value(it.key()) != it.value()))
            needed.insert(it.key(), it.value());
    }
    if (needed.isEmpty())
        return {};
    if (auto stored = m_env->update(needed); !stored)
        return std::unexpected(bootError(stored.error(), what));
    return {};
}

// The reboot interface: the boot environment already says where to go; record that a
// reboot is due (a simulated device performs it on its next `boot`), then ask the
// system for it when a command is configured.
Status Engine::requestReboot()
{
    if (auto recorded = m_journal->set(key::RebootPending, true); !recorded)
        return recorded;
    m_rebootRequested = true;
    if (m_config.boot.rebootCommand.isEmpty()) {
        qCInfo(lcInstall) << "reboot requested (recorded only)";
        return {};
    }
    // The environment is set: the next power-on goes where it must even without this.
    if (auto rebooted = runRebootCommand(m_config.boot.rebootCommand); !rebooted)
        qCWarning(lcInstall).noquote() << rebooted.error();
    return {};
}

void Engine::setStage(InstallStage::Value stage)
{
    if (m_callbacks.stage)
        m_callbacks.stage(stage);
}

void Engine::reportProgress(const QString &phase, qint64 bytes, qint64 total)
{
    if (m_callbacks.progress)
        m_callbacks.progress(bytes, total);
    if (phase != m_phase) {
        m_phase = phase;
        m_phaseClock.start();
        m_lastProgressWrite = -1000;
    }
    const qint64 elapsed = m_phaseClock.elapsed();
    // at most twice a second (docs/state.md), but always the end of a phase
    if (elapsed - m_lastProgressWrite < 500 && bytes < total)
        return;
    m_lastProgressWrite = elapsed;
    const double rate = elapsed > 0 ? double(bytes) * 1000.0 / double(elapsed) : 0.0;
    const QJsonValue eta = rate > 0 ? QJsonValue(qint64(double(total - bytes) / rate)) : QJsonValue();
    (void)m_journal->setHint(key::Progress, QJsonObject{{QStringLiteral("phase"), phase},
                                                    {QStringLiteral("bytes"), bytes},
                                                    {QStringLiteral("total"), total},
                                                    {QStringLiteral("rate"), qint64(rate)},
                                                    {QStringLiteral("eta"), eta}});
}

void Engine::dropStaged()
{
    const QString staged = QDir(m_config.device.updateDir).filePath(QStringLiteral("staged"));
    if (!fileutil::removeTree(staged)) // a link planted as staged/ goes as a link
        qCWarning(lcInstall) << "cannot remove" << staged;
}

// ---- the staged update ------------------------------------------------------------------

Result<Staged> Engine::loadStaged() const
{
    Staged staged;
    staged.dir = QDir(m_config.device.updateDir).filePath(QStringLiteral("staged"));
    const QDir dir(staged.dir);
    const auto bytes = fileutil::readSmallFile(dir.filePath(QStringLiteral("manifest.json")), kMaxManifestBytes);
    const auto signature = fileutil::readSmallFile(dir.filePath(QStringLiteral("manifest.json.sig")), 1024);
    if (!bytes || !signature) {
        return std::unexpected(integrityError(QStringLiteral("the staged update is incomplete"),
                                              (!bytes ? bytes.error() : signature.error()).message));
    }
    const auto keys = crypto::TrustedKeys::load(m_config.trust.publicKeys);
    if (!keys) {
        return std::unexpected(integrityError(QStringLiteral("cannot check the staged update's signature"),
                                              keys.error().message));
    }
    if (const auto verified = keys->verify(*bytes, *signature); !verified) {
        return std::unexpected(integrityError(QStringLiteral("the staged update's signature does not verify"),
                                              verified.error().message));
    }
    auto manifest = parseManifest(*bytes);
    if (!manifest) {
        return std::unexpected(integrityError(QStringLiteral("the staged manifest is not valid"), manifest.error().message));
    }
    if (manifest->product != m_config.device.product) {
        return std::unexpected(integrityError(QStringLiteral("the staged update is for product %1, not %2")
                                                  .arg(manifest->product, m_config.device.product)));
    }
    // Only the release the online side verified and the user agreed to: another one in its
    // place, even one the same key signed (an older release, say), is not installed; nor
    // is anything when the journal records no download (files left or put in staged/).
    const QJsonObject expected = m_journal ? m_journal->value(key::Staged).toObject() : QJsonObject();
    if (expected.isEmpty())
        return std::unexpected(integrityError(QStringLiteral("no downloaded update is recorded for what is in %1").arg(dir.path())));
    if (expected.value(QStringLiteral("version")).toString() != manifest->version.toString()
        || expected.value(QStringLiteral("sha256")).toString().toLatin1() != manifest->image.sha256) {
        return std::unexpected(integrityError(QStringLiteral("the staged update is not the one that was downloaded"),
                                              QStringLiteral("staged: %1, downloaded: %2")
                                                  .arg(manifest->version.toString(), expected.value(QStringLiteral("version")).toString())));
    }
    staged.manifest = std::move(*manifest);
    // What the online side fetched and staged: the compressed image when it said so.
    staged.zstd = expected.value(QStringLiteral("compression")).toString() == QLatin1String("zstd");
    if (staged.zstd && !staged.manifest.imageZstd)
        return std::unexpected(integrityError(QStringLiteral("the staged update records a compressed image its manifest does not name")));
    staged.image = dir.filePath(QFileInfo(staged.zstd ? staged.manifest.imageZstd->path : staged.manifest.image.path).fileName());
    for (const ManifestMigration &m : std::as_const(staged.manifest.migrations)) {
        QString path = dir.filePath(m.path);
        if (!QFileInfo::exists(path))
            path = dir.filePath(QStringLiteral("migrations/") % QFileInfo(m.path).fileName());
        staged.migrations.append(MigrationStep{m.schema, path, m.sha256});
    }
    return staged;
}

Status Engine::verifyStaged(const Staged &staged)
{
    // The staged file's own sum and size: the compressed image's when it is compressed (what it
    // unpacks to is proven while the slot is written and read back, E47-E49).
    const ManifestFile &image = staged.zstd ? *staged.manifest.imageZstd : staged.manifest.image;
    const QString sumFile = staged.image % QStringLiteral(".sha256");
    const auto sumText = fileutil::readSmallFile(sumFile, 4096);
    if (!sumText)
        return std::unexpected(integrityError(QStringLiteral("the saved checksum of the staged image is missing"), sumFile));
    const auto sumLine = crypto::parseSha256Sum(*sumText);
    if (!sumLine)
        return std::unexpected(integrityError(QStringLiteral("the saved checksum of the staged image is not readable"),
                                              sumFile % QStringLiteral(": ") % sumLine.error().message));
    if (sumLine->fileName != QFileInfo(staged.image).fileName()) {
        return std::unexpected(integrityError(QStringLiteral("the saved checksum is for another file"),
                                              QStringLiteral("%1 names %2").arg(sumFile, sumLine->fileName)));
    }
    const QByteArray saved = sumLine->hex;
    if (saved != image.sha256) {
        return std::unexpected(integrityError(QStringLiteral("the saved checksum does not match the manifest"),
                                              QStringLiteral("%1 says %2, the manifest %3")
                                                  .arg(sumFile, QString::fromLatin1(saved), QString::fromLatin1(image.sha256))));
    }
    const QFileInfo info(staged.image);
    if (!info.isFile() || info.size() != image.size) {
        return std::unexpected(integrityError(QStringLiteral("the staged image is not the size the manifest declares"),
                                              QStringLiteral("%1: %2 bytes, expected %3").arg(staged.image).arg(info.size()).arg(image.size)));
    }
    const auto hash = crypto::sha256FileHex(staged.image, [&](qint64 done) {
        reportProgress(QStringLiteral("verify"), done, image.size);
    });
    if (!hash)
        return std::unexpected(integrityError(QStringLiteral("cannot read the staged image"), hash.error().message));
    if (fault::injected(u"verify") || *hash != saved) {
        return std::unexpected(integrityError(QStringLiteral("the staged image is damaged: its checksum does not match"),
                                              QStringLiteral("SHA-256 %1, saved %2").arg(QString::fromLatin1(*hash), QString::fromLatin1(saved))));
    }
    for (const MigrationStep &m : staged.migrations) {
        const auto sum = crypto::sha256FileHex(m.path);
        if (!sum || *sum != m.sha256) {
            return std::unexpected(integrityError(QStringLiteral("the staged migration %1 is damaged or missing").arg(m.path),
                                                  sum ? QStringLiteral("SHA-256 %1").arg(QString::fromLatin1(*sum)) : sum.error().message));
        }
    }
    return {};
}

// ---- recovery ---------------------------------------------------------------------------

InstallReport Engine::recovery()
{
    m_context = Context::Recovery;
    InstallReport report;
    report.status = runRecovery();
    report.rebootRequested = m_rebootRequested;
    report.path = m_flow.path();
    if (m_journal)
        (void)m_journal->remove(key::Progress);
    if (!report.status)
        qCWarning(lcInstall).noquote() << "recovery:" << report.status.error().message << report.status.error().detail;
    return report;
}

Status Engine::runRecovery()
{
    if (auto opened = open(); !opened)
        return opened;
    auto vars = m_env->read();
    if (!vars)
        return std::unexpected(bootError(vars.error(), QStringLiteral("cannot read the boot environment")));

    if (m_rec.isEmpty() || !isSlotName(m_rec.targetSlot)) {
        // The slot normal boots start is the one the device runs and falls back to.
        QString fallback;
        const QStringList order = vars->value(bootvar::BootOrder).split(u' ', Qt::SkipEmptyParts);
        for (const QString &slot : order) {
            if (isSlotName(slot)) {
                fallback = slot;
                break;
            }
        }
        if (fallback.isEmpty())
            fallback = QStringLiteral("A");
        m_rec = Record{};
        m_rec.fallbackSlot = fallback;
        m_rec.targetSlot = otherSlot(fallback);
        m_rec.previousVersion = slotVersion(fallback);
    }
    qCInfo(lcInstall) << "recovery: installing into slot" << m_rec.targetSlot << "at step"
                      << (m_rec.step.isEmpty() ? QStringLiteral("(new)") : m_rec.step);

    const QString &s = m_rec.step;
    const Error interrupted = m_rec.error.value_or(
        Error{ExitCode::InstallFailed, QStringLiteral("the installation was interrupted"), QStringLiteral("E51"), {}});
    if (s.isEmpty() || s == step::Verify || s == step::Write) {
        m_flow.resumeAt(Node::Reboot);
        return stepVerify();
    }
    if (s == step::Backup || s == step::Migrate) {
        m_flow.resumeAt(s == step::Backup ? Node::Backup : Node::PUMigration);
        auto staged = loadStaged();
        if (!staged) {
            if (auto moved = take(s == step::Backup ? std::initializer_list<Edge>{Edge::E56, Edge::E57, Edge::E59}
                                                    : std::initializer_list<Edge>{Edge::E57, Edge::E59});
                !moved)
                return moved;
            Error e = staged.error();
            e.code = ExitCode::InstallFailed;
            return stepRevertMigration(e.withEdge(QStringLiteral("E59")));
        }
        m_staged = std::move(*staged);
        return s == step::Backup ? stepBackup() : stepMigrate();
    }
    if (s == step::Switch) {
        m_flow.resumeAt(Node::Reload);
        return stepSwitch();
    }
    if (s == step::RevertMigration) {
        m_flow.resumeAt(Node::RevertMigration);
        return stepRevertMigration(interrupted);
    }
    if (s == step::Revert) {
        m_flow.resumeAt(Node::RevertUpdates);
        return stepRevert(interrupted);
    }
    if (s == step::RebootOld) {
        m_flow.resumeAt(Node::RebootOld);
        return stepRebootOld(interrupted);
    }
    // A trial is pending (trial, reload, commit): it is the new system's boot-complete
    // that decides it, so recovery only hands back to the normal boot.
    qCWarning(lcInstall) << "recovery started while slot" << m_rec.targetSlot << "is on trial; handing back";
    if (auto cleared = updateEnv({{bootvar::Recovery, QString()}}, QStringLiteral("cannot leave recovery")); !cleared)
        return cleared;
    return requestReboot();
}

Status Engine::stepVerify()
{
    setStage(InstallStage::Verify);
    m_rec.step = step::Verify;
    m_rec.error.reset();
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"verify");
    if (auto moved = take({Edge::E44}); !moved)
        return moved;
    auto staged = loadStaged();
    Status checked = staged ? verifyStaged(*staged) : Status(std::unexpected(staged.error()));
    if (auto moved = take({Edge::E45, Edge::E46}); !moved)
        return moved;
    if (!checked) {
        if (auto moved = take({Edge::E48}); !moved)
            return moved;
        return stepRebootOld(checked.error());
    }
    m_staged = std::move(*staged);
    m_rec.version = m_staged->manifest.version.toString();
    if (auto moved = take({Edge::E47}); !moved)
        return moved;
    return stepWrite();
}

Status Engine::stepWrite()
{
    setStage(InstallStage::Install);
    m_rec.step = step::Write;
    // The slot's old content is gone from the first byte on: never call it good again.
    if (auto saved = m_journal->transaction([&]() -> Status {
            if (auto r = saveRecord(); !r)
                return r;
            return setSlot(m_rec.targetSlot, QJsonValue(), QStringLiteral("empty"));
        });
        !saved)
        return saved;
    fault::killPoint(u"write");
    const SlotWriter::Job job{m_staged->image, m_staged->manifest.image.size, m_staged->manifest.image.sha256,
                              slotPath(m_rec.targetSlot), slotPath(m_rec.fallbackSlot)};
    const auto onProgress = [this](qint64 bytes, qint64 total) { reportProgress(QStringLiteral("install"), bytes, total); };
    const auto written = m_staged->zstd ? SlotWriter::writeZstd(job, m_staged->manifest.imageZstd->size, onProgress)
                                        : SlotWriter::write(job, onProgress);
    if (auto moved = take({Edge::E49}); !moved)
        return moved;
    if (!written) {
        if (auto moved = take({Edge::E51}); !moved)
            return moved;
        return stepRevert(toError(written.error()).withContext(QStringLiteral("cannot write slot %1").arg(m_rec.targetSlot)));
    }
    if (auto moved = take({Edge::E50}); !moved)
        return moved;
    return stepNeedMigration();
}

Status Engine::stepNeedMigration()
{
    const std::optional<int> schema = m_staged->manifest.schema;
    if (!schema || m_config.device.database.isEmpty()) {
        if (auto moved = take({Edge::E55}); !moved)
            return moved;
        return stepSwitch();
    }
    const Migrator migrator(m_config.device.database);
    const auto need = migrator.needsMigration(*schema);
    // No database yet: the new system creates its own at its schema.
    if ((need && !*need) || (!need && need.error().code == MigrationError::NoDatabase)) {
        if (auto moved = take({Edge::E55}); !moved)
            return moved;
        return stepSwitch();
    }
    if (auto moved = take({Edge::E54}); !moved)
        return moved;
    if (!need) {
        // Refused before anything changed (too new, unreadable): the migration has failed.
        if (auto moved = take({Edge::E56, Edge::E57, Edge::E59}); !moved)
            return moved;
        return stepRevertMigration(toError(need.error()).withContext(QStringLiteral("cannot migrate the database")));
    }
    return stepBackup();
}

Status Engine::stepBackup()
{
    setStage(InstallStage::Migrate);
    m_rec.step = step::Backup;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"backup");
    const Migrator migrator(m_config.device.database);
    const auto backedUp = migrator.backup();
    if (auto moved = take({Edge::E56}); !moved)
        return moved;
    if (!backedUp) {
        if (auto moved = take({Edge::E57, Edge::E59}); !moved)
            return moved;
        return stepRevertMigration(toError(backedUp.error()).withContext(QStringLiteral("cannot migrate the database")));
    }
    return stepMigrate();
}

Status Engine::stepMigrate()
{
    setStage(InstallStage::Migrate);
    const Migrator migrator(m_config.device.database);
    m_rec.step = step::Migrate;
    m_rec.migrated = true; // from here on the database may differ from the backup
    m_rec.backup = migrator.backupPath();
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"migrate");
    const int schema = m_staged->manifest.schema.value_or(0);
    const int start = migrator.userVersion().value_or(0);
    reportProgress(QStringLiteral("migrate"), 0, std::max(1, schema - start));
    const auto migrated = migrator.migrate(schema, m_staged->migrations, [&](int reached) {
        reportProgress(QStringLiteral("migrate"), reached - start, std::max(1, schema - start));
    });
    if (auto moved = take({Edge::E57}); !moved)
        return moved;
    if (!migrated) {
        if (auto moved = take({Edge::E59}); !moved)
            return moved;
        return stepRevertMigration(toError(migrated.error()).withContext(QStringLiteral("cannot migrate the database")));
    }
    if (auto moved = take({Edge::E58}); !moved)
        return moved;
    return stepSwitch();
}

Status Engine::stepSwitch()
{
    setStage(InstallStage::RestartServices);
    m_rec.step = step::Switch;
    if (auto saved = m_journal->transaction([&]() -> Status {
            if (auto r = saveRecord(); !r)
                return r;
            return setSlot(m_rec.targetSlot, m_rec.version, QStringLiteral("trial"));
        });
        !saved)
        return saved;
    fault::killPoint(u"switch");
    const QString &t = m_rec.targetSlot;
    const QString &f = m_rec.fallbackSlot;
    // One write: the new slot first, on trial with its tries, the old one kept bootable
    // behind it, and the recovery request gone.
    Status switched = fault::injected(u"switch")
                          ? Status(fail(ExitCode::InstallFailed, QStringLiteral("cannot switch to slot %1").arg(t),
                                        QStringLiteral("injected fault (S16_FAULT=switch)")))
                          : updateEnv({{bootvar::BootOrder, t % u' ' % f},
                                       {triesLeftVariable(t), QString::number(kTrialTries)},
                                       {triesLeftVariable(f), QString::number(kTrialTries)},
                                       {kTrialVar, t},
                                       {bootvar::Recovery, QString()}},
                                      QStringLiteral("cannot switch to slot %1").arg(t));
    if (!switched) {
        if (auto moved = take({Edge::E61, Edge::E62}); !moved)
            return moved;
        return migrationMadeBranch(switched.error().withEdge(QStringLiteral("E62")));
    }
    fault::killPoint(u"switch.mid");
    m_rec.step = step::Trial;
    if (auto saved = saveRecord(); !saved)
        return saved;
    if (auto rebooted = requestReboot(); !rebooted)
        return rebooted;
    setStage(InstallStage::Done);
    qCInfo(lcInstall) << "slot" << t << "holds" << m_rec.version << "and boots next, on trial";
    return {};
}

// ---- rollback -----------------------------------------------------------------------------

Status Engine::migrationMadeBranch(const Error &failure)
{
    if (m_rec.migrated) {
        if (auto moved = take({Edge::E63}); !moved)
            return moved;
        return stepRevertMigration(failure);
    }
    if (auto moved = take({Edge::E64}); !moved)
        return moved;
    return stepRevert(failure);
}

Status Engine::stepRevertMigration(const Error &failure)
{
    setStage(InstallStage::RollingBack);
    m_rec.step = step::RevertMigration;
    m_rec.error = failure;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"revertMigration");
    if (m_rec.migrated) {
        const Migrator migrator(m_config.device.database);
        if (const auto restored = migrator.restore(); !restored) {
            // The step stays journaled: the next boot tries again before anything else.
            return std::unexpected(toError(restored.error()).withContext(QStringLiteral("cannot restore the database")));
        }
        m_rec.migrated = false;
    }
    if (auto moved = take({Edge::E60}); !moved)
        return moved;
    return stepRevert(failure);
}

Status Engine::stepRevert(const Error &failure)
{
    setStage(InstallStage::RollingBack);
    m_rec.step = step::Revert;
    m_rec.error = failure;
    const QString &t = m_rec.targetSlot;
    const QString &f = m_rec.fallbackSlot;
    if (auto saved = m_journal->transaction([&]() -> Status {
            if (auto r = saveRecord(); !r)
                return r;
            const QJsonValue version = m_journal->value(key::Slots).toObject().value(t).toObject().value(QStringLiteral("version"));
            return setSlot(t, version, QStringLiteral("bad"));
        });
        !saved)
        return saved;
    fault::killPoint(u"revert");
    if (fault::injected(u"revert"))
        return fail(ExitCode::InstallFailed, QStringLiteral("cannot revert to slot %1").arg(f), QStringLiteral("injected fault (S16_FAULT=revert)"));
    if (auto reverted = updateEnv({{bootvar::BootOrder, f % u' ' % t},
                                   {triesLeftVariable(f), QString::number(kTrialTries)},
                                   {triesLeftVariable(t), QStringLiteral("0")},
                                   {kTrialVar, QString()},
                                   {bootvar::Recovery, QString()}},
                                  QStringLiteral("cannot revert to slot %1").arg(f));
        !reverted)
        return reverted;
    if (auto moved = take({Edge::E52}); !moved)
        return moved;
    return stepRebootOld(failure);
}

Status Engine::stepRebootOld(const Error &failure)
{
    setStage(InstallStage::RollingBack);
    m_rec.step = step::RebootOld;
    m_rec.error = failure;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"rebootOld");
    if (m_context == Context::NormalSystem && m_booted != m_rec.targetSlot) {
        // Back on the old system: it reports the failed update.
        if (auto moved = take({Edge::E53}); !moved)
            return moved;
        return logFailure(failure);
    }
    if (auto left = updateEnv({{bootvar::Recovery, QString()}, {kTrialVar, QString()}},
                              QStringLiteral("cannot leave recovery"));
        !left)
        return left;
    if (auto rebooted = requestReboot(); !rebooted)
        return rebooted;
    return std::unexpected(failure);
}

Status Engine::logFailure(const Error &failure)
{
    fault::killPoint(u"errorLog");
    const QString time = nowIso();
    const Status logged = m_journal->transaction([&]() -> Status {
        QJsonObject lastError = errorToJson(failure);
        lastError.insert(QStringLiteral("time"), time);
        if (auto r = m_journal->set(key::LastError, lastError); !r)
            return r;
        const QJsonObject outcome{{QStringLiteral("result"), QStringLiteral("failed")},
                                  {QStringLiteral("version"), m_rec.version},
                                  {QStringLiteral("previousVersion"), m_rec.previousVersion},
                                  {QStringLiteral("code"), toInt(failure.code)},
                                  {QStringLiteral("message"), failure.message},
                                  {QStringLiteral("edge"), failure.edge},
                                  {QStringLiteral("time"), time},
                                  {QStringLiteral("seen"), false}};
        if (auto r = m_journal->set(key::Outcome, outcome); !r)
            return r;
        LogEntry entry;
        entry.level = LogEntry::Level::Error;
        entry.code = toInt(failure.code);
        entry.edge = failure.edge;
        entry.message = m_rec.version.isEmpty()
                            ? failure.message
                            : QStringLiteral("update to %1 failed: %2").arg(m_rec.version, failure.message);
        entry.detail = failure.detail;
        entry.event = QStringLiteral("installFailed");
        if (auto r = m_journal->append(entry); !r)
            return r;
        if (auto r = m_journal->remove(key::Staged); !r)
            return r;
        return m_journal->remove(key::Install);
    });
    if (!logged)
        return logged;
    Migrator(m_config.device.database).dropBackup();
    dropStaged();
    setStage(InstallStage::Done);
    return std::unexpected(failure);
}

// ---- boot-complete --------------------------------------------------------------------------

InstallReport Engine::bootComplete(const QString &bootedSlot)
{
    m_context = Context::NormalSystem;
    m_booted = bootedSlot;
    InstallReport report;
    report.status = isSlotName(bootedSlot)
                        ? runBootComplete()
                        : Status(fail(ExitCode::Usage, QStringLiteral("unknown booted slot \"%1\"").arg(bootedSlot)));
    report.rebootRequested = m_rebootRequested;
    report.path = m_flow.path();
    if (m_journal)
        (void)m_journal->remove(key::Progress);
    return report;
}

Status Engine::refreshBootCounter()
{
    const QJsonObject slot = m_journal->value(key::Slots).toObject().value(m_booted).toObject();
    const QString state = slot.value(QStringLiteral("state")).toString();
    if (!state.isEmpty() && state != QLatin1StringView("good"))
        return {};
    // A good slot keeps its tries full, or it would run out after a few ordinary boots.
    return updateEnv({{triesLeftVariable(m_booted), QString::number(kTrialTries)}},
                     QStringLiteral("cannot reset the boot counter of slot %1").arg(m_booted));
}

Status Engine::runBootComplete()
{
    if (auto opened = open(); !opened)
        return opened;
    if (m_rec.isEmpty())
        return refreshBootCounter();
    if (!isSlotName(m_rec.targetSlot) || !isSlotName(m_rec.fallbackSlot))
        return fail(ExitCode::StorageError, QStringLiteral("the install journal names no slots"),
                    QString::fromUtf8(QJsonDocument(m_rec.toJson()).toJson(QJsonDocument::Compact)));

    const bool onTarget = m_booted == m_rec.targetSlot;
    const QString &s = m_rec.step;
    qCInfo(lcInstall) << "boot-complete: slot" << m_booted << "booted, install step" << s;
    if (s == step::Switch || s == step::Trial || s == step::Reload || s == step::Commit) {
        if (onTarget) {
            if (s == step::Commit) {
                m_flow.resumeAt(Node::EndSuccess);
                return stepCommit();
            }
            m_flow.resumeAt(Node::Reload);
            return stepReload();
        }
        // The bootloader fell back: the new system used up its tries without committing.
        m_flow.resumeAt(Node::Reload);
        if (auto moved = take({Edge::E61, Edge::E62}); !moved)
            return moved;
        return migrationMadeBranch(Error{ExitCode::InstallFailed,
                                         QStringLiteral("the new system (slot %1) did not start").arg(m_rec.targetSlot),
                                         QStringLiteral("E62"), QStringLiteral("slot %1 booted instead").arg(m_booted)});
    }
    const Error failure = m_rec.error.value_or(
        Error{ExitCode::InstallFailed, QStringLiteral("the installation was interrupted"), QStringLiteral("E51"), {}});
    if (s == step::RevertMigration) {
        m_flow.resumeAt(Node::RevertMigration);
        return stepRevertMigration(failure);
    }
    if (s == step::Revert) {
        m_flow.resumeAt(Node::RevertUpdates);
        return stepRevert(failure);
    }
    if (s == step::RebootOld) {
        m_flow.resumeAt(Node::RebootOld);
        return stepRebootOld(failure);
    }
    // verify, write, backup, migrate: recovery was left before it finished (the recovery
    // request was cleared by hand). Whatever it did is undone.
    if (s == step::Verify) {
        m_flow.resumeAt(Node::RebootOld);
        return stepRebootOld(failure);
    }
    if (s == step::Migrate) {
        m_flow.resumeAt(Node::RevertMigration);
        return stepRevertMigration(failure);
    }
    m_flow.resumeAt(Node::RevertUpdates);
    return stepRevert(failure);
}

Status Engine::stepReload()
{
    setStage(InstallStage::RestartServices);
    m_rec.step = step::Reload;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"reload");
    if (auto moved = take({Edge::E61}); !moved)
        return moved;
    const auto healthy = ServiceReload::run({m_config.services.reload, m_config.services.healthCheck,
                                             m_config.services.timeoutSeconds});
    if (!healthy) {
        if (auto moved = take({Edge::E62}); !moved)
            return moved;
        return migrationMadeBranch(toError(healthy.error()).withContext(
            QStringLiteral("the new system (slot %1) failed its check").arg(m_rec.targetSlot)));
    }
    if (auto moved = take({Edge::E65}); !moved)
        return moved;
    return stepCommit();
}

Status Engine::stepCommit()
{
    m_rec.step = step::Commit;
    if (auto saved = saveRecord(); !saved)
        return saved;
    fault::killPoint(u"commit");
    const QString &t = m_rec.targetSlot;
    if (auto committed = updateEnv({{kTrialVar, QString()}, {triesLeftVariable(t), QString::number(kTrialTries)}},
                                   QStringLiteral("cannot commit slot %1").arg(t));
        !committed)
        return committed;
    fault::killPoint(u"commit.mid");
    const QString time = nowIso();
    const Status recorded = m_journal->transaction([&]() -> Status {
        if (auto r = setSlot(t, m_rec.version, QStringLiteral("good")); !r)
            return r;
        const QJsonObject outcome{{QStringLiteral("result"), QStringLiteral("updated")},
                                  {QStringLiteral("version"), m_rec.version},
                                  {QStringLiteral("previousVersion"), m_rec.previousVersion},
                                  {QStringLiteral("code"), 0},
                                  {QStringLiteral("message"), QString()},
                                  {QStringLiteral("edge"), QStringLiteral("E65")},
                                  {QStringLiteral("time"), time},
                                  {QStringLiteral("seen"), false}};
        if (auto r = m_journal->set(key::Outcome, outcome); !r)
            return r;
        LogEntry entry;
        entry.level = LogEntry::Level::Info;
        entry.edge = QStringLiteral("E65");
        entry.message = QStringLiteral("updated to %1 (slot %2)").arg(m_rec.version, t);
        entry.event = QStringLiteral("updated");
        if (auto r = m_journal->append(entry); !r)
            return r;
        if (auto r = m_journal->remove(key::Staged); !r)
            return r;
        return m_journal->remove(key::Install);
    });
    if (!recorded)
        return recorded;
    Migrator(m_config.device.database).dropBackup();
    dropStaged();
    setStage(InstallStage::Done);
    qCInfo(lcInstall) << "slot" << t << "committed with" << m_rec.version;
    return {};
}

} // namespace s16::install

namespace s16 {

InstallReport runRecovery(const Config &config, const InstallCallbacks &callbacks)
{
    install::Engine engine(config, callbacks);
    return engine.recovery();
}

InstallReport runBootComplete(const Config &config, const QString &bootedSlot, const InstallCallbacks &callbacks)
{
    install::Engine engine(config, callbacks);
    return engine.bootComplete(bootedSlot);
}

QStringList faultPoints()
{
    return {QStringLiteral("verify"), QStringLiteral("write"), QStringLiteral("readback"), QStringLiteral("backup"),
            QStringLiteral("migrate"), QStringLiteral("switch"), QStringLiteral("reload"), QStringLiteral("health"),
            QStringLiteral("restore"), QStringLiteral("revert")};
}

QStringList killPoints()
{
    return {QStringLiteral("verify"), QStringLiteral("write"), QStringLiteral("write.mid"), QStringLiteral("backup"),
            QStringLiteral("migrate"), QStringLiteral("migrate.mid"), QStringLiteral("switch"), QStringLiteral("switch.mid"),
            QStringLiteral("reload"), QStringLiteral("commit"), QStringLiteral("commit.mid"),
            QStringLiteral("revertMigration"), QStringLiteral("revert"), QStringLiteral("rebootOld"),
            QStringLiteral("errorLog")};
}

} // namespace s16
