#pragma once

#include "config/config.h"
#include "flow/flowchart.h"
#include "online/updateengine.h"
#include "store/journal.h"

#include "support/nginxserver.h"

#include <QList>
#include <QMap>
#include <QTemporaryDir>

#include <memory>

namespace s16::test {

// A release repository made by s16-publish's library, a device folder with its
// config and journal, and a way to run the engine in-process and see the edges it took.
struct Release {
    QString version = QStringLiteral("1.1.0");
    qint64 imageSize = 256 * 1024;
    bool priority = false;
    QString product = QStringLiteral("s16");
    int expiresDays = 90;
    QList<std::pair<int, QByteArray>> migrations; // schema -> SQL
    int zstdLevel = 0; // the image also zstd-compressed (image.zstd) at this level; 0: raw only
};

class OnlineFixture
{
public:
    OnlineFixture();
    [[nodiscard]] bool isValid() const { return m_valid; }

    QString keyDir() const { return m_dir.filePath(QStringLiteral("keys")); }
    QString publicKey() const { return keyDir() + QStringLiteral("/signing.pub"); }
    QString privateKey() const { return keyDir() + QStringLiteral("/signing.key"); }
    // Publishes into repo (created if needed); returns false and logs on failure.
    [[nodiscard]] bool publish(const QString &repo, const Release &release, const QString &key = {});
    QString repo() const { return m_dir.filePath(QStringLiteral("repo")); }

    // A device folder with update.conf; extra keys override ("server/maxTries" -> "2").
    [[nodiscard]] QString makeDevice(const QUrl &serverUrl, const QMap<QString, QString> &extra = {},
                                     const QString &runningVersion = QStringLiteral("1.0.0"));
    QString deviceDir() const { return m_dir.filePath(QStringLiteral("device")); }

    // Runs one job on a fresh engine over the device; returns the edges it took.
    struct Run {
        std::optional<Error> error;
        QList<Edge> path;
        CheckResult check;
        QList<int> waits;  // runWithClock: the seconds waited before each further try
    };
    Run run(bool download);
    // As run(), with a clock that notes each wait before another try (E04, E24) and goes on
    // at once: the waits the engine chose, without waiting for them.
    Run runWithClock(bool download);
    Run install();
    [[nodiscard]] std::unique_ptr<Journal> journal() const;
    [[nodiscard]] Config config() const;

private:
    QTemporaryDir m_dir;
    bool m_valid = false;
};

// Real nginx over TLS serving root, with the test PKI's good server certificate unless
// options name another; null (and a warning with nginx's error log) when it fails to start.
[[nodiscard]] std::unique_ptr<NginxServer> startRepoServer(const QString &root, NginxServer::Options options = {});

[[nodiscard]] QString pathString(const QList<Edge> &path);
[[nodiscard]] bool pathContains(const QList<Edge> &path, std::initializer_list<Edge> sequence);
[[nodiscard]] int countOf(const QList<Edge> &path, Edge e);

} // namespace s16::test
