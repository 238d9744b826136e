#include "devsim.h"

#include "boot/bootenv.h"
#include "common/fileutil.h"
#include "config/config.h"
#include "store/devicestate.h"
#include "store/journal.h"
#include "version/semver.h"

#include <QAtomicInt>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QSettings>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringBuilder>

#include <QHash>
#include <QThread>

#include <cerrno>
#include <cstring>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace s16::devsim {
namespace {

std::unexpected<DevsimProblem> problem(DevsimError code, QString message)
{
    return std::unexpected(DevsimProblem{code, std::move(message)});
}

std::unexpected<DevsimProblem> storage(const Error &e)
{
    QString text = e.message;
    if (!e.detail.isEmpty())
        text += QStringLiteral(" (") % e.detail % QLatin1Char(')');
    return problem(DevsimError::StorageFailed, text);
}

std::unexpected<DevsimProblem> bootEnv(const BootProblem &p)
{
    return problem(DevsimError::BootEnvFailed, QStringLiteral("boot environment: ") % p.message);
}

QString in(const QString &dir, QLatin1StringView name) { return QDir(dir).filePath(QString(name)); }

// The shell word for path, for the /bin/sh -c the service commands run through.
QString shellQuote(const QString &path)
{
    QString quoted = path;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') % quoted % QLatin1Char('\'');
}

// A device's service command: succeeds unless its fail-marker file exists, so a test or
// the demo makes the services fail with `touch DIR/fail-health`.
QByteArray serviceScript(const QString &what, QLatin1StringView marker)
{
    return QStringLiteral("#!/bin/sh\n"
                          "# s16-devsim: the simulated device's %1. It fails while the file\n"
                          "# %2 exists in the device folder.\n"
                          "dir=$(cd \"$(dirname \"$0\")/..\" && pwd)\n"
                          "if [ -e \"$dir/%2\" ]; then\n"
                          "  echo \"%1 failed: $dir/%2 exists\" >&2\n"
                          "  exit 1\n"
                          "fi\n"
                          "exit 0\n")
        .arg(what, QString(marker))
        .toUtf8();
}

// Opaque bytes standing in for a system image: a readable first line, then bytes that
// are the same for the same version, so two images of one version are identical.
QByteArray simulatedImage(const QString &version, qint64 bytes)
{
    QByteArray data = QByteArrayLiteral("S16 simulated system image ") + version.toUtf8() + '\n';
    QRandomGenerator gen(uint(qHash(version)));
    const qint64 start = data.size();
    data.resize(std::max(bytes, start));
    for (qint64 i = start; i < data.size(); ++i)
        data[i] = char(gen.generate() & 0xff);
    data.truncate(bytes);
    return data;
}

QString uniqueConnection()
{
    static QAtomicInt counter;
    return QStringLiteral("s16-devsim-") + QString::number(counter.fetchAndAddRelaxed(1));
}

// The app's database: a little user data at schema `schema`, what migrations later change.
DevsimResult<void> createDatabase(const QString &path, int schema)
{
    const QString name = uniqueConnection();
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (!db.open()) {
            error = db.lastError().text();
        } else {
            const QStringList statements{
                QStringLiteral("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
                QStringLiteral("INSERT INTO settings VALUES ('language', 'en'), ('brightness', '70'), ('name', 'Kitchen panel')"),
                QStringLiteral("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, minutes INTEGER)"),
                QStringLiteral("INSERT INTO recipes (title, minutes) VALUES ('Bread', 45), ('Soup', 30), ('Tea', 4)"),
                QStringLiteral("PRAGMA user_version = %1").arg(schema),
            };
            QSqlQuery q(db);
            for (const QString &sql : statements) {
                if (!q.exec(sql)) {
                    error = q.lastError().text();
                    break;
                }
            }
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    if (!error.isEmpty())
        return problem(DevsimError::StorageFailed, QStringLiteral("cannot create %1: %2").arg(path, error));
    return {};
}

// PRAGMA user_version, read-only so looking never creates or changes the file; empty when
// there is no database.
std::optional<int> databaseUserVersion(const QString &path)
{
    if (!QFileInfo::exists(path))
        return std::nullopt;
    const QString name = uniqueConnection();
    std::optional<int> version;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("PRAGMA user_version")) && q.next())
                version = q.value(0).toInt();
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return version;
}

DevsimResult<void> copyInto(const QString &from, const QString &to, const QString &what)
{
    auto data = fileutil::readSmallFile(from, 1024 * 1024);
    if (!data)
        return problem(DevsimError::InputMissing, QStringLiteral("cannot read the %1 %2").arg(what, from));
    if (auto s = fileutil::writeAtomically(to, *data); !s)
        return storage(s.error());
    return {};
}

// s16-devsim's own state: which slot the device last ran from and in which mode. The
// updater never reads it; it only answers `show`.
struct SimState {
    QString bootedSlot = QStringLiteral("A");
    QString mode = QStringLiteral("normal");
    int boots = 0;
};

SimState readSimState(const QString &dir)
{
    SimState s;
    auto data = fileutil::readSmallFile(in(dir, layout::State), 64 * 1024);
    if (!data)
        return s;
    const QJsonObject o = QJsonDocument::fromJson(*data).object();
    s.bootedSlot = o.value(QStringLiteral("bootedSlot")).toString(s.bootedSlot);
    s.mode = o.value(QStringLiteral("mode")).toString(s.mode);
    s.boots = o.value(QStringLiteral("boots")).toInt(0);
    return s;
}

DevsimResult<void> writeSimState(const QString &dir, const SimState &s)
{
    const QJsonObject o{{QStringLiteral("bootedSlot"), s.bootedSlot},
                        {QStringLiteral("mode"), s.mode},
                        {QStringLiteral("boots"), s.boots},
                        {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}};
    if (auto w = fileutil::writeAtomically(in(dir, layout::State), QJsonDocument(o).toJson()); !w)
        return storage(w.error());
    return {};
}

DevsimResult<Config> loadDevice(const QString &dir)
{
    const QString path = in(dir, layout::Config);
    if (!QFileInfo::exists(path) || !QFileInfo::exists(in(dir, layout::State)))
        return problem(DevsimError::NoDevice, QStringLiteral("%1 holds no simulated device (run s16-devsim init)").arg(dir));
    auto config = loadConfig(path);
    if (!config)
        return problem(DevsimError::NoDevice, config.error().message);
    return *config;
}

DevsimResult<std::unique_ptr<Journal>> openJournal(const Config &config)
{
    auto journal = Journal::open(config.device.stateDir, config.log.maxEntries);
    if (!journal)
        return storage(journal.error());
    return std::move(*journal);
}

// The slots as `devsim show` prints them: both, a slot the journal does not know as empty.
QJsonObject slotsObject(const DeviceState &state)
{
    QJsonObject out;
    for (const QString &name : {QStringLiteral("A"), QStringLiteral("B")}) {
        const SlotRecord slot = state.slot(name);
        const QString stateName = slotStateName(slot.state);
        out.insert(name, QJsonObject{{QStringLiteral("version"), slot.version ? QJsonValue(*slot.version) : QJsonValue(QJsonValue::Null)},
                                     {QStringLiteral("state"), stateName.isEmpty() ? QStringLiteral("empty") : stateName}});
    }
    return out;
}

// The device's power rail: an flock on DIR/power.lock, taken by s16-devsim at power-on and
// inherited by everything the boot starts (the descriptor is passed on, see runChild), so
// the lock is held while any process of that power-on lives. SIGKILL of s16-devsim kills its
// child by PR_SET_PDEATHSIG, but the kernel delivers that signal when the child leaves the
// system call it is in (an fsync, say), a few milliseconds later, and by then the next
// power-on may have started: two generations of one device writing its journal and boot
// environment at once, which no real power cut can make. So a power-on first waits for the
// rail to be free; one process keeps it for all its boots.
constexpr int kPowerWaitMs = 60000;
QHash<QString, int> &heldRails()
{
    static QHash<QString, int> rails;
    return rails;
}

DevsimResult<int> switchPowerOn(const QString &dir)
{
    const QString path = QDir(dir).filePath(QString(layout::PowerLock));
    if (const auto it = heldRails().constFind(path); it != heldRails().cend())
        return *it;
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return problem(DevsimError::StorageFailed,
                       QStringLiteral("cannot open %1: %2").arg(path, QString::fromLocal8Bit(::strerror(errno))));
    for (int waited = 0;; waited += 10) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= kPowerWaitMs) {
            const int saved = errno;
            ::close(fd);
            return problem(DevsimError::StorageFailed,
                           saved == EWOULDBLOCK
                               ? QStringLiteral("the processes of the previous power-on of %1 are still running after %2 s (they hold %3)")
                                     .arg(dir)
                                     .arg(kPowerWaitMs / 1000)
                                     .arg(path)
                               : QStringLiteral("cannot lock %1: %2").arg(path, QString::fromLocal8Bit(::strerror(saved))));
        }
        QThread::msleep(10);
    }
    heldRails().insert(path, fd);
    return fd;
}

struct ChildResult {
    std::optional<int> exitCode;
    bool killed = false;
};

// Runs a program the bootloader hands over to. It dies with s16-devsim (PR_SET_PDEATHSIG),
// so killing the simulator is a power cut for the whole device; its stdout goes to
// s16-devsim's stderr, keeping a --json report on stdout alone.
DevsimResult<ChildResult> runChild(const QString &program, const QStringList &args, const QProcessEnvironment &env, int powerRail)
{
    if (!QFileInfo(program).isExecutable())
        return problem(DevsimError::ToolMissing, QStringLiteral("%1 is not there or not executable").arg(program));
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedChannels);
    process.setInputChannelMode(QProcess::ForwardedInputChannel);
    process.setProcessEnvironment(env);
    const pid_t parent = ::getpid();
    process.setChildProcessModifier([parent, powerRail] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // the child, and what it starts, hold the power rail until they are gone
        ::fcntl(powerRail, F_SETFD, 0);
        if (::getppid() != parent)
            ::_exit(137); // s16-devsim died before the child could ask to die with it
        ::dup2(STDERR_FILENO, STDOUT_FILENO);
    });
    process.start(program, args);
    if (!process.waitForStarted(-1))
        return problem(DevsimError::ToolMissing, QStringLiteral("cannot start %1: %2").arg(program, process.errorString()));
    process.waitForFinished(-1);
    ChildResult r;
    if (process.exitStatus() == QProcess::CrashExit)
        r.killed = true;
    else
        r.exitCode = process.exitCode();
    return r;
}

} // namespace

QString devsimErrorName(DevsimError code)
{
    switch (code) {
    case DevsimError::Usage: return QStringLiteral("Usage");
    case DevsimError::NotEmpty: return QStringLiteral("NotEmpty");
    case DevsimError::InputMissing: return QStringLiteral("InputMissing");
    case DevsimError::NoDevice: return QStringLiteral("NoDevice");
    case DevsimError::StorageFailed: return QStringLiteral("StorageFailed");
    case DevsimError::BootEnvFailed: return QStringLiteral("BootEnvFailed");
    case DevsimError::ToolMissing: return QStringLiteral("ToolMissing");
    }
    return QStringLiteral("Unknown");
}

int exitCodeFor(DevsimError code)
{
    switch (code) {
    case DevsimError::StorageFailed:
    case DevsimError::BootEnvFailed: return toInt(ExitCode::StorageError);
    default: return toInt(ExitCode::Usage);
    }
}

QString modeName(BootReport::Mode mode)
{
    switch (mode) {
    case BootReport::Mode::Normal: return QStringLiteral("normal");
    case BootReport::Mode::Recovery: return QStringLiteral("recovery");
    case BootReport::Mode::NoBootableSlot: return QStringLiteral("none");
    }
    return {};
}

QJsonObject BootReport::toJson() const
{
    return QJsonObject{
        {QStringLiteral("mode"), modeName(mode)},
        {QStringLiteral("slot"), slot.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(slot)},
        {QStringLiteral("ran"), ran.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(ran)},
        {QStringLiteral("exitCode"), exitCode ? QJsonValue(*exitCode) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("powerCut"), powerCut},
        {QStringLiteral("systemStarted"), mode == Mode::Normal && !systemFailedToStart},
        {QStringLiteral("rebootPending"), rebootPending},
    };
}

QString BootReport::describe() const
{
    QString text;
    switch (mode) {
    case Mode::Normal:
        text = systemFailedToStart ? QStringLiteral("booted slot %1: no system in it, it did not start").arg(slot)
                                   : QStringLiteral("booted slot %1 (normal)").arg(slot);
        break;
    case Mode::Recovery: text = QStringLiteral("booted recovery"); break;
    case Mode::NoBootableSlot: text = QStringLiteral("no bootable slot: the device does not start"); break;
    }
    if (!ran.isEmpty())
        text += QStringLiteral("; %1 %2").arg(ran, exitCode ? QStringLiteral("exited %1").arg(*exitCode)
                                                            : QStringLiteral("was killed (power cut)"));
    text += rebootPending ? QStringLiteral("; a reboot is pending") : QStringLiteral("; no reboot pending");
    return text;
}

DevsimResult<QString> initDevice(const InitOptions &opts)
{
    if (opts.dir.isEmpty() || opts.repoUrl.isEmpty() || opts.caFile.isEmpty() || opts.publicKey.isEmpty())
        return problem(DevsimError::Usage, QStringLiteral("init needs DIR, --repo-url, --ca and --pubkey"));
    if (!SemVer::parse(opts.version))
        return problem(DevsimError::Usage, QStringLiteral("\"%1\" is not a semantic version").arg(opts.version));
    if (opts.schema < 0)
        return problem(DevsimError::Usage, QStringLiteral("the schema must be 0 or more"));
    if (opts.boot != QLatin1StringView("uboot") && opts.boot != QLatin1StringView("grub"))
        return problem(DevsimError::Usage, QStringLiteral("--boot takes uboot or grub, not \"%1\"").arg(opts.boot));
    if (opts.imageBytes < 64)
        return problem(DevsimError::Usage, QStringLiteral("the image must hold at least 64 bytes"));

    const QString dir = QFileInfo(opts.dir).absoluteFilePath();
    QDir d(dir);
    if (d.exists() && !d.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
        return problem(DevsimError::NotEmpty, QStringLiteral("%1 is not empty; init makes a new device in an empty folder").arg(dir));
    for (const QString &sub : {QStringLiteral("slots"), QStringLiteral("trust"), QStringLiteral("services"), QString(layout::StateDir),
                               QString(layout::UpdateDir)}) {
        if (!d.mkpath(sub))
            return problem(DevsimError::StorageFailed, QStringLiteral("cannot create %1").arg(d.filePath(sub)));
    }

    if (auto c = copyInto(opts.caFile, d.filePath(QStringLiteral("trust/ca.pem")), QStringLiteral("CA certificate")); !c)
        return std::unexpected(c.error());
    if (auto c = copyInto(opts.publicKey, d.filePath(QStringLiteral("trust/signing.pub")), QStringLiteral("public key")); !c)
        return std::unexpected(c.error());
    if (!opts.token.isEmpty()) {
        if (auto w = fileutil::writeAtomically(d.filePath(QStringLiteral("trust/token")), opts.token.toUtf8() + '\n', 0600); !w)
            return storage(w.error());
    }

    // Slot A holds the running system, slot B nothing yet: the slot writer sizes a file slot itself.
    if (!opts.imageFile.isEmpty()) {
        const QString slotA = in(dir, layout::SlotA);
        const QString copy = slotA % QStringLiteral(".new");
        QFile::remove(copy);
        if (!QFileInfo(opts.imageFile).isFile())
            return problem(DevsimError::Usage, QStringLiteral("--image %1 is not a file").arg(opts.imageFile));
        if (!QFile::copy(opts.imageFile, copy))
            return problem(DevsimError::StorageFailed, QStringLiteral("cannot copy %1 into slot A").arg(opts.imageFile));
        if (auto synced = fileutil::syncPath(copy); !synced)
            return storage(synced.error());
        if (auto moved = fileutil::renameDurably(copy, slotA); !moved)
            return storage(moved.error());
    } else if (auto w = fileutil::writeAtomically(in(dir, layout::SlotA), simulatedImage(opts.version, opts.imageBytes)); !w)
        return storage(w.error());
    if (auto w = fileutil::writeAtomically(in(dir, layout::SlotB), QByteArray()); !w)
        return storage(w.error());
    if (auto w = fileutil::writeAtomically(in(dir, layout::VersionFile), opts.version.toUtf8() + '\n'); !w)
        return storage(w.error());

    const QString reload = d.filePath(QStringLiteral("services/reload"));
    const QString health = d.filePath(QStringLiteral("services/health"));
    if (auto w = fileutil::writeAtomically(reload, serviceScript(QStringLiteral("service reload"), layout::FailReload), 0755); !w)
        return storage(w.error());
    if (auto w = fileutil::writeAtomically(health, serviceScript(QStringLiteral("health check"), layout::FailHealth), 0755); !w)
        return storage(w.error());

    const QString db = in(dir, layout::Database);
    if (auto c = createDatabase(db, opts.schema); !c)
        return std::unexpected(c.error());

    auto envPath = createBootEnvironment(opts.boot, d.filePath(QStringLiteral("bootenv")),
                                         {{QString(bootvar::BootOrder), QStringLiteral("A B")},
                                          {QString(bootvar::ALeft), QStringLiteral("3")},
                                          {QString(bootvar::BLeft), QStringLiteral("0")}});
    if (!envPath)
        return bootEnv(envPath.error());

    // QSettings writes the file (it quotes and escapes what INI needs); it is written
    // beside and renamed, so a cut init never leaves a half config.
    const QString configPath = in(dir, layout::Config);
    const QString tmp = configPath + QStringLiteral(".new");
    QFile::remove(tmp);
    {
        QSettings s(tmp, QSettings::IniFormat);
        s.beginGroup(QStringLiteral("server"));
        s.setValue(QStringLiteral("url"), opts.repoUrl);
        s.setValue(QStringLiteral("caFile"), QStringLiteral("trust/ca.pem"));
        if (!opts.token.isEmpty())
            s.setValue(QStringLiteral("tokenFile"), QStringLiteral("trust/token"));
        s.setValue(QStringLiteral("retryIntervalSeconds"), 2);
        s.setValue(QStringLiteral("maxTries"), 3);
        s.setValue(QStringLiteral("checkIntervalSeconds"), 3600);
        s.setValue(QStringLiteral("checkJitterSeconds"), 0);
        s.setValue(QStringLiteral("connectTimeoutSeconds"), 10);
        s.setValue(QStringLiteral("stallTimeoutSeconds"), 10);
        s.endGroup();
        s.setValue(QStringLiteral("trust/publicKeys"), QStringLiteral("trust/signing.pub"));
        s.beginGroup(QStringLiteral("device"));
        s.setValue(QStringLiteral("product"), QStringLiteral("s16"));
        s.setValue(QStringLiteral("versionFile"), QString(layout::VersionFile));
        s.setValue(QStringLiteral("stateDir"), QString(layout::StateDir));
        s.setValue(QStringLiteral("updateDir"), QString(layout::UpdateDir));
        s.setValue(QStringLiteral("database"), QString(layout::Database));
        s.setValue(QStringLiteral("freeSpaceMarginBytes"), 0);
        s.endGroup();
        s.beginGroup(QStringLiteral("boot"));
        s.setValue(QStringLiteral("backend"), opts.boot);
        s.setValue(QStringLiteral("envFile"), d.relativeFilePath(*envPath));
        s.setValue(QStringLiteral("slotA"), QString(layout::SlotA));
        s.setValue(QStringLiteral("slotB"), QString(layout::SlotB));
        s.setValue(QStringLiteral("rebootCommand"), QString()); // record the reboot; the next `boot` performs it
        s.endGroup();
        s.beginGroup(QStringLiteral("services"));
        s.setValue(QStringLiteral("reload"), shellQuote(reload));
        s.setValue(QStringLiteral("healthCheck"), shellQuote(health));
        s.setValue(QStringLiteral("timeoutSeconds"), 30);
        s.endGroup();
        s.setValue(QStringLiteral("ui/priorityCountdownSeconds"), 10);
        s.sync();
        if (s.status() != QSettings::NoError)
            return problem(DevsimError::StorageFailed, QStringLiteral("cannot write %1").arg(tmp));
    }
    if (auto r = fileutil::syncPath(tmp); !r)
        return storage(r.error());
    if (auto r = fileutil::renameDurably(tmp, configPath); !r)
        return storage(r.error());

    auto config = loadConfig(configPath);
    if (!config)
        return problem(DevsimError::Usage, config.error().message);
    auto journal = openJournal(*config);
    if (!journal)
        return std::unexpected(journal.error());
    DeviceState state(**journal);
    if (auto s = (*journal)->transaction([&]() -> Status {
            if (auto r = state.setSlot(QStringLiteral("A"), {opts.version, SlotRecord::State::Good}); !r)
                return r;
            if (auto r = state.setSlot(QStringLiteral("B"), {std::nullopt, SlotRecord::State::Empty}); !r)
                return r;
            if (auto r = state.setConsent(false); !r)
                return r;
            return state.setRebootPending(false);
        });
        !s)
        return storage(s.error());
    journal->reset();

    // Last: its presence marks a finished init.
    if (auto w = writeSimState(dir, SimState{}); !w)
        return std::unexpected(w.error());
    return configPath;
}

DevsimResult<BootReport> boot(const QString &dirArg, const QString &binDir)
{
    const QString dir = QFileInfo(dirArg).absoluteFilePath();
    auto config = loadDevice(dir);
    if (!config)
        return std::unexpected(config.error());

    auto rail = switchPowerOn(dir);
    if (!rail)
        return std::unexpected(rail.error());

    std::optional<QString> bootedVersion;
    {
        auto journal = openJournal(*config);
        if (!journal)
            return std::unexpected(journal.error());
        // The power came back on: the reboot someone asked for has happened.
        if (auto s = DeviceState(**journal).setRebootPending(false); !s)
            return storage(s.error());
    }

    auto env = openBootEnvironment(config->boot.backend, config->boot.envFile);
    if (!env)
        return bootEnv(env.error());
    auto decision = bootloaderStep(**env);
    if (!decision)
        return bootEnv(decision.error());

    SimState state = readSimState(dir);
    state.boots += 1;
    BootReport report;
    const QString configPath = config->filePath;
    QProcessEnvironment childEnv = QProcessEnvironment::systemEnvironment();
    childEnv.remove(QStringLiteral("S16_BOOTED_SLOT"));
    childEnv.remove(QStringLiteral("S16_UPDATE_CONFIG"));
    QString program;
    QStringList args;

    switch (decision->mode) {
    case BootDecision::Mode::NoBootableSlot:
        report.mode = BootReport::Mode::NoBootableSlot;
        if (auto w = writeSimState(dir, state); !w)
            return std::unexpected(w.error());
        return report;
    case BootDecision::Mode::Recovery:
        report.mode = BootReport::Mode::Recovery;
        report.slot = state.bootedSlot;
        state.mode = QStringLiteral("recovery");
        program = QStringLiteral("s16-recovery");
        // A demo shows the recovery screen: S16_DEVSIM_RECOVERY_ARGS replaces --headless
        // (e.g. "--exit-delay 3 --screenshot shot.png"); tests keep the headless engine.
        if (qEnvironmentVariableIsSet("S16_DEVSIM_RECOVERY_ARGS"))
            args = QProcess::splitCommand(qEnvironmentVariable("S16_DEVSIM_RECOVERY_ARGS"));
        else
            args = {QStringLiteral("--headless")};
        args << QStringLiteral("--config") << configPath;
        break;
    case BootDecision::Mode::Normal: {
        report.mode = BootReport::Mode::Normal;
        report.slot = decision->slot;
        state.mode = QStringLiteral("normal");
        state.bootedSlot = decision->slot;
        auto journal = openJournal(*config);
        if (!journal)
            return std::unexpected(journal.error());
        const SlotRecord slot = DeviceState(**journal).slot(decision->slot);
        if (slot.version && slot.state != SlotRecord::State::Empty && slot.state != SlotRecord::State::Unknown)
            bootedVersion = *slot.version;
        program = QStringLiteral("s16-update");
        args = {QStringLiteral("boot-complete"), QStringLiteral("--config"), configPath};
        childEnv.insert(QStringLiteral("S16_BOOTED_SLOT"), decision->slot);
        break;
    }
    }
    if (auto w = writeSimState(dir, state); !w)
        return std::unexpected(w.error());

    if (report.mode == BootReport::Mode::Normal) {
        if (!bootedVersion) {
            // An empty slot holds no system: nothing starts, the watchdog resets the device,
            // and the spent try makes the bootloader fall back once the counter runs out.
            report.systemFailedToStart = true;
            report.rebootPending = true;
            return report;
        }
        // The booted image's own version file, as a real root file system carries it.
        if (auto w = fileutil::writeAtomically(config->device.versionFile, bootedVersion->toUtf8() + '\n'); !w)
            return storage(w.error());
    }

    report.ran = program % QLatin1Char(' ') % args.first();
    auto child = runChild(QDir(binDir).filePath(program), args, childEnv, *rail);
    if (!child)
        return std::unexpected(child.error());
    report.exitCode = child->exitCode;
    report.powerCut = child->killed;

    auto journal = openJournal(*config);
    if (!journal)
        return std::unexpected(journal.error());
    report.rebootPending = DeviceState(**journal).rebootPending();
    return report;
}

DevsimResult<QList<BootReport>> run(const QString &dir, const QString &binDir, int maxBoots)
{
    QList<BootReport> reports;
    while (reports.size() < maxBoots) {
        auto r = boot(dir, binDir);
        if (!r)
            return std::unexpected(r.error());
        reports.append(*r);
        // A cut power stays off until someone switches it on again (the next `boot` or `run`).
        if (!r->rebootPending || r->powerCut || r->mode == BootReport::Mode::NoBootableSlot)
            break;
    }
    return reports;
}

DevsimResult<QJsonObject> show(const QString &dirArg)
{
    const QString dir = QFileInfo(dirArg).absoluteFilePath();
    auto config = loadDevice(dir);
    if (!config)
        return std::unexpected(config.error());
    auto journal = openJournal(*config);
    if (!journal)
        return std::unexpected(journal.error());
    auto env = openBootEnvironment(config->boot.backend, config->boot.envFile);
    if (!env)
        return bootEnv(env.error());
    auto vars = (*env)->read();
    if (!vars)
        return bootEnv(vars.error());
    QJsonObject bootVars;
    for (auto it = vars->cbegin(); it != vars->cend(); ++it)
        bootVars.insert(it.key(), it.value());

    const SimState state = readSimState(dir);
    const std::optional<int> userVersion = databaseUserVersion(config->device.database);
    auto version = fileutil::readSmallFile(config->device.versionFile, 256);
    return QJsonObject{
        {QStringLiteral("bootedSlot"), state.bootedSlot},
        {QStringLiteral("mode"), state.mode},
        {QStringLiteral("slots"), slotsObject(DeviceState(**journal))},
        {QStringLiteral("bootEnv"), bootVars},
        {QStringLiteral("dbUserVersion"), userVersion ? QJsonValue(*userVersion) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("rebootPending"), DeviceState(**journal).rebootPending()},
        {QStringLiteral("runningVersion"), version ? QJsonValue(QString::fromUtf8(version->trimmed())) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("boots"), state.boots},
        {QStringLiteral("backend"), config->boot.backend},
    };
}

} // namespace s16::devsim
