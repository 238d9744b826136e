#include "updateengine.h"

#include "boot/bootenv.h"
#include "boot/reboot.h"
#include "common/fileutil.h"
#include "common/logging.h"
#include "crypto/crypto.h"
#include "manifest/manifest.h"
#include "online/deltatransfer.h"
#include "online/imagetransfer_p.h"
#include "online/metadatacheck_p.h"
#include "online/staging_p.h"
#include "online/transport.h"
#include "store/devicestate.h"
#include "store/journal.h"
#include "version/semver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPointer>
#include <QStringBuilder>
#include <QTimer>

namespace s16 {

// The engine runs one step job at a time (MetadataCheck, ImageTransfer per file, Staging); each
// one's end decides the next. What lies between the steps (the decision on a new image, the
// choice of how the image comes, notify, the reboot request, the error log) is done here.
struct UpdateEngine::Private {
    enum class Mode { Check, Download };

    Private(UpdateEngine *engine, Config config, Journal *journal)
        : q(engine)
        , m_config(std::move(config))
        , m_journal(journal)
    {
    }

    [[nodiscard]] OnlineContext context() { return OnlineContext{m_config, m_journal, m_flow, m_transport.get(), m_wait}; }
    // Starts job as the running step; once it ends without an error, then(job) goes on.
    template <typename Step>
    void run(Step *job, void (Private::*then)(Step &));
    void onMetadataChecked(MetadataCheck &check);
    void onItemFinished(ImageTransfer &transfer);
    void onStaged(Staging &staging);

    [[nodiscard]] QString runningVersion() const;
    void begin(Mode mode);
    void decideNewImage();
    void startDownload();
    void downloadNext();
    void log(const LogEntry &entry);        // an event for the log; a failure to write it is logged
    [[nodiscard]] QString seedPath() const; // the running slot, empty when unknown
    void verifyAndStage(std::optional<Error> mismatch);
    void notify();
    void awaitInstall(bool priority); // E41, or E43 and the reboot request
    [[nodiscard]] Status install();
    void cancel();

    [[nodiscard]] bool step(Edge edge); // take an edge; on failure end the job
    [[nodiscard]] bool steps(std::span<const Edge> edges);
    [[nodiscard]] bool steps(std::initializer_list<Edge> edges);
    [[nodiscard]] bool jump(Jump jump);           // a named jump (core/flow); on failure end the job
    [[nodiscard]] bool moved(const Status &move); // a step or jump made; else end the job with its error
    void failAt(Edge toErrorLog, Error error);    // take the edge into ErrorLog, then E08/E09
    void finish();
    [[nodiscard]] Status requestRebootIntoRecovery();
    // The request could not be made: logged, seen by the app, the update waits for the user.
    void rebootRequestFailed(const Error &error);
    [[nodiscard]] Status recordError(const Error &error); // the log entry and lastError (E08's record)
    [[nodiscard]] Status saveFlow(Node node, Edge via);   // journal `flow`: where the cycle stands
    [[nodiscard]] DeviceState state() const;              // the journal's keys, typed
    void recordProgress(bool force);
    [[nodiscard]] QString partialDir() const;
    [[nodiscard]] QString stagedDir() const;
    [[nodiscard]] Status roomFor(qint64 missing) const { return s16::roomFor(m_config, missing); }

    UpdateEngine *q;
    Config m_config;
    Journal *m_journal;
    FlowMachine m_flow;
    std::unique_ptr<HttpTransport> m_transport;
    QPointer<OnlineStep> m_job; // the running step
    std::unique_ptr<crypto::TrustedKeys> m_keys;
    std::unique_ptr<Manifest> m_manifest;
    QByteArray m_manifestBytes;
    QByteArray m_signature;
    Mode m_mode = Mode::Check;
    bool m_running = false;
    std::optional<Error> m_error;
    CheckResult m_check;
    TransferProgress m_progress;
    std::function<void(const Error &)> m_diagnosticsHook;
    Wait m_wait;

    // download state
    QList<DownloadItem> m_items; // image first, then migrations
    qsizetype m_itemIndex = 0;
    std::unique_ptr<DeltaTransfer> m_delta; // the image as a delta, kept across its transfers
    qint64 m_written = 0;                   // of the current file
    qint64 m_rateBytes = 0;                 // fetched over the network by this download
    qint64 m_indexFetched = 0;              // of them, a chunk index's fetched to check a compressed image
    qint64 m_fetchedBefore = 0;             // of that, by the files before the current one
    QElapsedTimer m_rateClock;
    QElapsedTimer m_progressClock;
};

template <typename Step>
void UpdateEngine::Private::run(Step *job, void (Private::*then)(Step &))
{
    job->setParent(q); // an engine deleted mid-step takes its step with it
    m_job = job;
    connect(job, &Job::finished, q, [this, job, then] {
        m_job = nullptr;
        job->deleteLater();
        if (const std::optional<Error> &error = job->error()) {
            if (job->flowRefused() || !error->edge) {
                m_error = *error;
                finish();
            } else {
                failAt(*error->edge, *error);
            }
            return;
        }
        (this->*then)(*job);
    });
    job->start();
}

UpdateEngine::UpdateEngine(Config config, Journal *journal, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this, std::move(config), journal))
{
    d->m_flow = FlowMachine(Node::NormalSystem, [this](Node node, Edge via) { return d->saveFlow(node, via); });
    d->m_flow.setObserver([this](Edge via) { Q_EMIT edgeTaken(int(via)); });
}

UpdateEngine::~UpdateEngine() = default;

void UpdateEngine::check() { d->begin(Private::Mode::Check); }
void UpdateEngine::download() { d->begin(Private::Mode::Download); }
Status UpdateEngine::install() { return d->install(); }
void UpdateEngine::cancel() { d->cancel(); }
bool UpdateEngine::isRunning() const { return d->m_running; }
const std::optional<Error> &UpdateEngine::error() const { return d->m_error; }
const CheckResult &UpdateEngine::checkResult() const { return d->m_check; }
const TransferProgress &UpdateEngine::progress() const { return d->m_progress; }
const FlowMachine &UpdateEngine::flow() const { return d->m_flow; }
QString UpdateEngine::runningVersion() const { return d->runningVersion(); }
void UpdateEngine::setDiagnosticsHook(std::function<void(const Error &)> hook) { d->m_diagnosticsHook = std::move(hook); }
void UpdateEngine::setWait(Wait wait) { d->m_wait = std::move(wait); }

QString UpdateEngine::Private::runningVersion() const
{
    auto data = fileutil::readSmallFile(m_config.device.versionFile, 256);
    return data ? QString::fromUtf8(data->trimmed()) : QString();
}

QString UpdateEngine::Private::partialDir() const { return m_config.device.updateDir % QStringLiteral("/partial"); }
QString UpdateEngine::Private::stagedDir() const { return m_config.device.updateDir % QStringLiteral("/staged"); }

void UpdateEngine::Private::begin(Mode mode)
{
    Q_ASSERT(!m_running);
    m_mode = mode;
    m_running = true;
    m_error.reset();
    m_check = {};

    // Where the last cycle stopped. A cycle interrupted by a power cut anywhere in the
    // online part simply starts over. Only a reboot that was requested and not yet made
    // stops it: the update installs at the next boot. A flow left at Reboot without the
    // request (it failed, or the power went before it was written) starts over too, and
    // finds the update staged.
    const Node at = onlineResumeNode(state().flowNode());
    if (state().rebootPending()) {
        m_error = Error{ExitCode::Usage, QStringLiteral("a reboot into recovery is pending; the update installs at the next boot"), {}, {}};
        QTimer::singleShot(0, q, [this] { finish(); });
        return;
    }
    m_flow.resumeAt(at);
    if (!step(at == Node::WaitForImage ? Edge::E20 : Edge::E01)) // E20: the wait is over, check again
        return;

    auto transport = HttpTransport::create(m_config, q);
    if (!transport) {
        m_error = transport.error();
        QTimer::singleShot(0, q, [this] { finish(); });
        return;
    }
    m_transport = std::move(*transport);
    auto keys = crypto::TrustedKeys::load(m_config.trust.publicKeys);
    if (!keys) {
        m_error = toError(keys.error()).withContext(QStringLiteral("cannot load the trusted keys"));
        m_error->code = ExitCode::Usage;
        QTimer::singleShot(0, q, [this] { finish(); });
        return;
    }
    m_keys = std::make_unique<crypto::TrustedKeys>(std::move(*keys));
    run(new MetadataCheck(context(), *m_keys), &Private::onMetadataChecked);
}

void UpdateEngine::Private::onMetadataChecked(MetadataCheck &check)
{
    m_manifest = check.takeManifest();
    m_manifestBytes = check.manifestBytes();
    m_signature = check.signature();
    decideNewImage();
}

bool UpdateEngine::Private::step(Edge edge) { return moved(m_flow.take(edge)); }

bool UpdateEngine::Private::jump(Jump jump) { return moved(m_flow.jump(jump)); }

bool UpdateEngine::Private::moved(const Status &move)
{
    if (move)
        return true;
    qCCritical(lcFlow) << move.error().message;
    m_error = move.error();
    finish();
    return false;
}

bool UpdateEngine::Private::steps(std::span<const Edge> edges)
{
    for (Edge e : edges) {
        if (!step(e))
            return false;
    }
    return true;
}

bool UpdateEngine::Private::steps(std::initializer_list<Edge> edges) { return steps(std::span<const Edge>(edges.begin(), edges.size())); }

void UpdateEngine::Private::decideNewImage()
{
    const QString running = runningVersion();
    const auto current = SemVer::parse(running);
    m_check.version = m_manifest->version.toString();
    m_check.priority = m_manifest->priority;
    m_check.size = m_manifest->image.size;
    m_check.notes = notesJson(*m_manifest);
    // An unreadable running version counts as older than anything: the device can always be repaired.
    m_check.available = !current || *current < m_manifest->version;
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QStringLiteral("E17"),
                 m_check.available ? QStringLiteral("version %1 is available (running %2)").arg(m_check.version, running)
                                   : QStringLiteral("no newer version (running %1, server has %2)").arg(running, m_check.version),
                 {},
                 QStringLiteral("checked")});
    if (!m_check.available) {
        if (step(Edge::E19)) // wait x hours/days: the daemon schedules the next check
            finish();
        return;
    }
    if (m_mode == Mode::Check) {
        finish(); // the decision is made; download() takes E21 on its own run
        return;
    }
    // Already downloaded and verified: a staged update is never downloaded again.
    const std::optional<StagedRecord> staged = state().staged();
    QFile stagedManifest(stagedDir() % QStringLiteral("/manifest.json"));
    if (staged && staged->version == m_check.version && stagedManifest.open(QIODevice::ReadOnly)
        && stagedManifest.readAll() == m_manifestBytes) {
        qCInfo(lcDownload) << "version" << m_check.version << "is already staged";
        // E40's decision again: a priority update whose reboot request was lost (a power
        // cut between E39 and E43) still reboots at once.
        if (jump(Jump::AlreadyStaged))
            awaitInstall(m_manifest->priority);
        return;
    }
    if (step(Edge::E21))
        startDownload();
}

// --- E21-E38: download, verify ----------------------------------------------------

void UpdateEngine::Private::startDownload()
{
    m_items.clear();
    m_itemIndex = 0;
    const QString partial = partialDir();
    // How the image comes: as a delta from the running slot when the release has chunks and
    // the device knows its slot, else compressed when the release has that, else raw.
    const QString seed = m_manifest->imageChunks && m_config.server.delta ? seedPath() : QString();
    enum class Transfer { Raw, Zstd, Delta };
    auto itemsFor = [&](Transfer how) {
        QList<DownloadItem> items;
        const ManifestFile &file = how == Transfer::Zstd ? *m_manifest->imageZstd : m_manifest->image;
        DownloadItem image;
        image.repoPath = file.path;
        image.stagedName = QFileInfo(image.repoPath).fileName();
        image.size = file.size;
        image.sha256 = file.sha256;
        image.zstd = how == Transfer::Zstd;
        image.delta = how == Transfer::Delta;
        image.seed = seed;
        image.partialPath = partial % QLatin1Char('/') % image.stagedName % QStringLiteral(".part");
        items.append(image);
        for (const ManifestMigration &mig : m_manifest->migrations) {
            DownloadItem item;
            item.repoPath = mig.path;
            item.stagedName = QStringLiteral("migrations/") % QFileInfo(mig.path).fileName();
            item.size = mig.size;
            item.sha256 = mig.sha256;
            item.partialPath = partial % QStringLiteral("/migration-") % QString::number(mig.schema) % QStringLiteral(".part");
            items.append(item);
        }
        return items;
    };
    Transfer how = !seed.isEmpty() ? Transfer::Delta : m_manifest->imageZstd ? Transfer::Zstd : Transfer::Raw;
    auto missingFor = [](const QList<DownloadItem> &items) {
        qint64 missing = 0;
        for (const DownloadItem &item : items) {
            const QFileInfo part(item.partialPath);
            const qint64 have = part.isFile() && !part.isSymLink() && part.size() <= item.size ? part.size() : 0;
            missing += item.size - have;
        }
        return missing;
    };
    m_items = itemsFor(how);
    // A delta stages the raw image; where only the compressed one fits, that is fetched instead.
    if (how == Transfer::Delta && m_manifest->imageZstd && !roomFor(missingFor(m_items))) {
        qCInfo(lcDownload) << "delta: the update partition cannot hold the raw image; fetching the compressed image";
        how = Transfer::Zstd;
        m_items = itemsFor(how);
    }
    // A link (or a file) planted as partial/ is dropped, never followed; the folder itself is
    // made only once the space is known to suffice.
    if (const QFileInfo planted(partial); planted.isSymLink() || (planted.exists() && !planted.isDir()))
        discard(partial);
    // Partial files of other releases are of no use any more.
    QStringList keep;
    for (const DownloadItem &item : std::as_const(m_items))
        keep.append(QFileInfo(item.partialPath).fileName());
    for (const QString &name : QDir(partial).entryList(QDir::Files | QDir::Hidden)) {
        if (!keep.contains(name))
            QFile::remove(partial % QLatin1Char('/') % name);
    }
    // The signed sizes say how much room the download needs: a partition too small for it
    // is refused before the image is requested, so it costs no traffic and leaves no file.
    const qint64 missing = missingFor(m_items);
    if (auto room = roomFor(missing); !room) {
        // No edge leaves ConnectUpdate for the error log: as a storage failure in staging,
        // this is an error of the cycle (docs/online.md).
        if (jump(Jump::StorageFailed))
            failAt(Edge::E08, room.error());
        return;
    }
    // a link planted as partial/ is replaced, never written through; a failure shows as
    // the partial file failing to open
    if (auto made = fileutil::ensureDirectory(partial); !made)
        qCWarning(lcDownload).noquote() << made.error().message << made.error().detail;
    m_rateClock.start();
    m_rateBytes = 0;
    m_indexFetched = 0;
    m_progress = TransferProgress{};
    for (const DownloadItem &item : std::as_const(m_items))
        m_progress.total += item.size;
    // What crosses the link: every byte of a whole file; for a delta, known once the running
    // slot is scanned (recordProgress).
    m_progress.toFetch = how == Transfer::Delta ? -1 : m_progress.total + ImageTransfer::checkIndexBytes(*m_manifest, m_items.constFirst());
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QStringLiteral("E21"),
                 QStringLiteral("download of version %1 started (%2 bytes%3)")
                     .arg(m_manifest->version.toString())
                     .arg(m_progress.total)
                     .arg(how == Transfer::Delta  ? QStringLiteral(", a delta from the running slot %1").arg(seed)
                          : how == Transfer::Zstd ? QStringLiteral(", compressed")
                                                  : QString()),
                 {},
                 QStringLiteral("downloadStarted")});
    downloadNext();
}

void UpdateEngine::Private::downloadNext()
{
    // One transfer per file; what the files before it took from the network stays counted.
    m_fetchedBefore = m_rateBytes;
    auto *transfer = new ImageTransfer(context(), *m_manifest, m_items[m_itemIndex], m_delta);
    connect(transfer, &ImageTransfer::progressed, q, [this, transfer] {
        m_written = transfer->written();
        m_rateBytes = m_fetchedBefore + transfer->fetched();
        if (m_itemIndex == 0)
            m_indexFetched = transfer->indexFetched();
        recordProgress(false);
    });
    run(transfer, &Private::onItemFinished);
}

void UpdateEngine::Private::onItemFinished(ImageTransfer &transfer)
{
    m_items[m_itemIndex] = transfer.item();
    m_written = transfer.written();
    m_rateBytes = m_fetchedBefore + transfer.fetched();
    if (m_itemIndex == 0)
        m_indexFetched = transfer.indexFetched();
    if (!transfer.mismatch()) {
        if (m_itemIndex + 1 < m_items.size()) {
            // The next file of the same update.
            ++m_itemIndex;
            if (jump(Jump::NextFile))
                downloadNext();
            return;
        }
        recordProgress(true);
        // What this download cost the link, for `status --json` after it (bytesFetched, bytesReused).
        if (auto saved = state().setLastTransfer({m_manifest->version.toString(), m_progress.total, m_progress.fetched, m_progress.reused});
            !saved)
            qCWarning(lcStore).noquote() << "cannot record the transfer:" << saved.error().message;
        log(LogEntry{0,
                     QDateTime::currentDateTimeUtc(),
                     LogEntry::Level::Info,
                     0,
                     QStringLiteral("E32"),
                     QStringLiteral("download of version %1 finished (%2 bytes, %3 of them fetched)")
                         .arg(m_manifest->version.toString())
                         .arg(m_progress.total)
                         .arg(m_progress.fetched),
                     {},
                     QStringLiteral("downloadFinished")});
    }
    if (step(Edge::E32))
        verifyAndStage(transfer.mismatch());
}

QString UpdateEngine::Private::seedPath() const
{
    // The booted slot holds the running image. Where the system does not say which it is, the
    // journal's record of the slots does: the one noted with the running version, in use.
    QString slot;
    if (auto booted = detectBootedSlot())
        slot = *booted;
    else {
        const QString running = runningVersion();
        for (const QString &name : {QStringLiteral("A"), QStringLiteral("B")}) {
            const SlotRecord record = state().slot(name);
            if (!running.isEmpty() && record.version.value_or(QString()) == running
                && (record.state == SlotRecord::State::Good || record.state == SlotRecord::State::Trial)) {
                slot = name;
                break;
            }
        }
    }
    if (slot == QLatin1StringView("A"))
        return m_config.boot.slotA;
    if (slot == QLatin1StringView("B"))
        return m_config.boot.slotB;
    return {};
}

void UpdateEngine::Private::verifyAndStage(std::optional<Error> mismatch)
{
    run(new Staging(context(), *m_manifest, m_manifestBytes, m_signature, m_items, std::move(mismatch)), &Private::onStaged);
}

void UpdateEngine::Private::onStaged(Staging &) { notify(); }

void UpdateEngine::Private::notify()
{
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QStringLiteral("E39"),
                 QStringLiteral("version %1 is ready to install").arg(m_manifest->version.toString()),
                 {},
                 QStringLiteral("staged")});
    Q_EMIT q->updateReady(m_manifest->version.toString(), m_manifest->priority);
    if (!step(Edge::E40))
        return;
    awaitInstall(m_manifest->priority);
}

void UpdateEngine::Private::awaitInstall(bool priority)
{
    if (!priority) {
        if (step(Edge::E41)) // wait for the user's "Update now"
            finish();
        return;
    }
    if (!step(Edge::E43))
        return;
    if (auto requested = requestRebootIntoRecovery(); !requested)
        rebootRequestFailed(requested.error());
    finish();
}

// --- E42/E43: the reboot into recovery ----------------------------------------

Status UpdateEngine::Private::install()
{
    if (state().rebootPending())
        return {}; // asked before: the update installs at the next boot
    const std::optional<StagedRecord> staged = state().staged();
    if (!staged)
        return fail(ExitCode::Usage, QStringLiteral("there is no downloaded update waiting to be installed"));
    const QString image = stagedDir() % QLatin1Char('/') % staged->image;
    if (QFileInfo(image).size() != staged->size || !QFileInfo::exists(image % QStringLiteral(".sha256"))) {
        // dropped, so that the next download fetches it again instead of finding it "staged"
        discard(stagedDir());
        if (auto cleared = state().clearStaged(); !cleared)
            qCWarning(lcStore).noquote() << "cannot drop the staged update's record:" << cleared.error().message;
        return fail(ExitCode::IntegrityMismatch, QStringLiteral("the staged update is incomplete; it will be downloaded again"));
    }
    // Whatever the last cycle did since (a check, a failed cycle while offline), a staged
    // update waits for the user.
    if (auto moved = m_flow.jump(Jump::InstallStaged); !moved)
        return moved;
    if (auto moved = m_flow.take(Edge::E42); !moved)
        return moved;
    if (auto requested = requestRebootIntoRecovery(); !requested) {
        rebootRequestFailed(requested.error());
        return requested;
    }
    return {};
}

Status UpdateEngine::Private::requestRebootIntoRecovery()
{
    const QString context = QStringLiteral("cannot request the reboot into recovery");
    auto env = openBootEnvironment(m_config.boot.backend, m_config.boot.envFile);
    if (!env)
        return std::unexpected(toError(env.error()).withContext(context));
    if (auto set = (*env)->update({{QString(bootvar::Recovery), QStringLiteral("1")}}); !set)
        return std::unexpected(toError(set.error()).withContext(context));
    if (auto s = state().setRebootPending(true); !s)
        return std::unexpected(s.error().withContext(context));
    log(LogEntry{0,
                 QDateTime::currentDateTimeUtc(),
                 LogEntry::Level::Info,
                 0,
                 QString(),
                 QStringLiteral("reboot into recovery requested to install %1").arg(state().staged().value_or(StagedRecord{}).version),
                 {},
                 QStringLiteral("rebootRequested")});
    Q_EMIT q->rebootRequested();
    // The request is made: the next boot installs, whether this command works or not;
    // restartForInstall logs a failure itself (event rebootFailed).
    (void)restartForInstall(m_config.boot.rebootCommand, *m_journal);
    return {};
}

std::optional<QString> restartForInstall(const QString &command, Journal &journal)
{
    auto rebooted = runRebootCommand(command);
    if (rebooted)
        return std::nullopt;
    qCWarning(lcFlow).noquote() << rebooted.error();
    if (auto logged = journal.append(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Warning, 0, QString(),
                                              QStringLiteral("the device did not restart; the update installs at the next restart"),
                                              rebooted.error(), QStringLiteral("rebootFailed")});
        !logged)
        qCWarning(lcStore).noquote() << "cannot log the failed restart:" << logged.error().message;
    return rebooted.error();
}

void UpdateEngine::Private::rebootRequestFailed(const Error &error)
{
    m_error = error;
    qCWarning(lcFlow).noquote() << exitCodeName(error.code) << error.message << error.detail;
    if (auto recorded = recordError(error); !recorded)
        qCCritical(lcStore) << "cannot log the error:" << recorded.error().message;
    // Nothing changed on the device: the update stays staged and waits for "Update now".
    if (auto moved = m_flow.jump(Jump::RebootRequestFailed); !moved)
        qCCritical(lcFlow) << moved.error().message;
    if (auto saved = saveFlow(Node::WaitForUser, Edge::E41); !saved)
        qCCritical(lcStore).noquote() << saved.error().message;
}

void UpdateEngine::Private::log(const LogEntry &entry)
{
    if (auto logged = m_journal->append(entry); !logged)
        qCWarning(lcStore).noquote() << "cannot log" << entry.event << "to the journal:" << logged.error().message;
}

Status UpdateEngine::Private::saveFlow(Node node, Edge via) { return state().setFlow(node, via); }

DeviceState UpdateEngine::Private::state() const { return DeviceState(*m_journal); }

Status UpdateEngine::Private::recordError(const Error &error)
{
    return m_journal->transaction([&]() -> Status {
        if (auto s = m_journal->append(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Error, toInt(error.code),
                                                edgeName(error.edge), error.message, error.detail, QStringLiteral("error")});
            !s)
            return s;
        return state().setLastError(error, QDateTime::currentDateTimeUtc());
    });
}

// --- E08/E09 and the end of a job -----------------------------------------------

void UpdateEngine::Private::failAt(Edge toErrorLog, Error error)
{
    error.edge = toErrorLog;
    m_error = error;
    discard(m_config.device.updateDir % QStringLiteral("/staged.new"));
    if (m_flow.current() != Node::ErrorLog) {
        if (auto moved = m_flow.take(toErrorLog); !moved) {
            qCCritical(lcFlow) << moved.error().message;
            finish();
            return;
        }
    }
    qCWarning(lcFlow).noquote() << edgeName(error.edge) << exitCodeName(error.code) << error.message;
    // E08: the error is logged and the app sees it (lastError), in one transaction.
    const auto logged = recordError(error);
    if (!logged)
        qCCritical(lcStore) << "cannot log the error:" << logged.error().message;
    if (!step(Edge::E08))
        return;
    if (state().consent()) {
        if (!step(Edge::E09))
            return;
        if (m_diagnosticsHook)
            m_diagnosticsHook(error);
    }
    finish();
}

void UpdateEngine::Private::recordProgress(bool force)
{
    const qint64 done = [this] {
        qint64 sum = 0;
        for (qsizetype i = 0; i < m_itemIndex; ++i)
            sum += m_items[i].size;
        return sum + m_written;
    }();
    m_progress.bytes = done;
    m_progress.fetched = m_rateBytes;
    // A delta knows what it copied; a resumed download reused what the partial file held.
    m_progress.reused = m_delta ? m_delta->reused() : std::max<qint64>(0, done - (m_rateBytes - m_indexFetched));
    if (m_delta && m_delta->expectedFetch() >= 0) {
        qint64 others = 0; // the migrations come whole
        for (qsizetype i = 1; i < m_items.size(); ++i)
            others += m_items[i].size;
        m_progress.toFetch = m_delta->expectedFetch() + others;
    }
    const qint64 ms = m_rateClock.elapsed();
    if (ms > 500)
        m_progress.bytesPerSecond = double(m_rateBytes) * 1000.0 / double(ms);
    m_progress.etaSeconds = m_progress.bytesPerSecond > 0 ? qint64(double(m_progress.total - done) / m_progress.bytesPerSecond) : -1;
    Q_EMIT q->progressChanged();
    if (!force && m_progressClock.isValid() && m_progressClock.elapsed() < 500)
        return;
    m_progressClock.start();
    // A download's eta is -1 while unknown (the install's is null): readers know both. A hint:
    // one lost (or a failure to write it) harms nothing, and the next comes in half a second.
    (void)state().setProgress(Progress{QStringLiteral("download"), m_progress.bytes, m_progress.total, m_progress.bytesPerSecond,
                                       m_progress.etaSeconds,
                                       Progress::Transfer{m_progress.fetched, m_progress.reused, m_progress.toFetch}});
}

void UpdateEngine::Private::cancel()
{
    if (!m_running)
        return;
    // The running step stops where it stands and keeps what arrived (a partial file, what a
    // delta wrote) for the next download; its Cancelled end is this one, so it is not awaited.
    if (OnlineStep *job = m_job) {
        m_job = nullptr;
        job->disconnect(q);
        job->kill();
        job->deleteLater();
    }
    m_delta.reset();
    m_transport.reset(); // nothing is left in flight; pooled connections go with it
    m_error = Error{ExitCode::Cancelled, QStringLiteral("cancelled; the next download continues where this one stopped"), {}, {}};
    log(LogEntry{0, QDateTime::currentDateTimeUtc(), LogEntry::Level::Info, 0, {}, m_error->message, {}, QStringLiteral("cancelled")});
    finish();
}

void UpdateEngine::Private::finish()
{
    if (!m_running)
        return;
    m_running = false;
    // A flow refused mid-step ends the job with the engine: nothing else may move the flow.
    if (OnlineStep *job = m_job) {
        m_job = nullptr;
        job->disconnect(q);
        job->kill();
        job->deleteLater();
    }
    // the delta's own signals may still be on their way: delete it once they are handled
    if (DeltaTransfer *transfer = m_delta.release()) {
        transfer->stop();
        transfer->deleteLater();
    }
    if (auto cleared = state().clearProgress(); !cleared)
        qCWarning(lcStore).noquote() << "cannot clear the progress:" << cleared.error().message;
    if (!m_error) {
        if (auto cleared = state().clearLastError(); !cleared)
            qCWarning(lcStore).noquote() << "cannot clear the last error:" << cleared.error().message;
    }
    Q_EMIT q->finished();
}

} // namespace s16
