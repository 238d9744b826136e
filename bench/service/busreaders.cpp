// N clients of the update service in one process, each with its own connection to the system bus
// (to the bus they are N clients, as N UIs would be): each listens to the service's
// PropertiesChanged and Completed and reads all its properties once a second (GetAll, without
// waiting for the answer). Runs until killed; prints how many answers and signals arrived.
//   busreaders N
#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>

namespace {

const QString kName = QStringLiteral("org.s16.Updater1");
const QString kPath = QStringLiteral("/org/s16/Updater1");

class Reader : public QObject
{
    Q_OBJECT
public:
    explicit Reader(int index)
        : m_bus(QDBusConnection::connectToBus(QDBusConnection::SystemBus, QStringLiteral("reader%1").arg(index)))
    {
        m_bus.connect(kName, kPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("PropertiesChanged"), this,
                      SLOT(onSignal()));
        m_bus.connect(kName, kPath, kName, QStringLiteral("Completed"), this, SLOT(onSignal()));
        connect(&m_timer, &QTimer::timeout, this, &Reader::readAll);
        m_timer.start(1000);
    }
    [[nodiscard]] bool isConnected() const { return m_bus.isConnected(); }
    qint64 answers = 0;
    qint64 signalsSeen = 0;

public Q_SLOTS:
    void onSignal() { ++signalsSeen; }

private:
    void readAll()
    {
        const QDBusMessage call =
            QDBusMessage::createMethodCall(kName, kPath, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("GetAll"))
            << kName;
        auto *w = new QDBusPendingCallWatcher(m_bus.asyncCall(call), this);
        connect(w, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
            if (!w->isError())
                ++answers;
            w->deleteLater();
        });
    }

    QDBusConnection m_bus;
    QTimer m_timer;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? QByteArray(argv[1]).toInt() : 50;
    std::vector<std::unique_ptr<Reader>> readers;
    for (int i = 0; i < n; ++i) {
        readers.push_back(std::make_unique<Reader>(i));
        if (!readers.back()->isConnected()) {
            std::fprintf(stderr, "busreaders: cannot connect to the system bus\n");
            return 2;
        }
    }
    // SIGTERM ends the loop and prints the counts.
    static int pipeFds[2];
    if (::pipe(pipeFds) != 0)
        return 2;
    std::signal(SIGTERM, [](int) { (void)!::write(pipeFds[1], "x", 1); });
    QSocketNotifier term(pipeFds[0], QSocketNotifier::Read);
    QObject::connect(&term, &QSocketNotifier::activated, &app, &QCoreApplication::quit);
    const int rc = QCoreApplication::exec();
    qint64 answers = 0, seen = 0;
    for (const auto &r : readers) {
        answers += r->answers;
        seen += r->signalsSeen;
    }
    std::printf("%d readers: %lld GetAll answers, %lld signals\n", n, static_cast<long long>(answers), static_cast<long long>(seen));
    return rc;
}

#include "busreaders.moc"
