// The device configuration (an INI file through QSettings, checked line by line first).
// Properties: nothing crashes; a configuration that loads keeps every promise of
// core/config/config.h: a server URL the transport may use (https, or http only with
// allowInsecureHttp; no query or fragment; a path ending in '/'), absolute paths,
// numbers within their documented ranges, and trust keys that exist.

#include "fuzzutil.h"

#include "config/config.h"

#include <QDir>
#include <QFileInfo>

using namespace s16;

namespace {

const QString &deviceDir()
{
    static const QString dir = [] {
        const QString d = fuzz::scratchDir() + QStringLiteral("/device");
        QDir().mkpath(d);
        // the files a seed names, so the fuzzer can reach a configuration that loads
        for (const char *name : {"signing.pub", "ca.pem", "token", "client.pem", "client.key"})
            fuzz::writeFile(d + QLatin1Char('/') + QLatin1String(name), "x\n");
        return d;
    }();
    return dir;
}

bool isAbsoluteOrEmpty(const QString &path) { return path.isEmpty() || QDir::isAbsolutePath(path); }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    // QSettings caches files by name and re-reads on a changed time stamp: rotate
    // through names so two inputs within one millisecond never share one.
    static int counter = 0;
    const QString path = deviceDir() + QStringLiteral("/update-%1.conf").arg(counter++ % 64);
    fuzz::writeFile(path, QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));

    const auto config = loadConfig(path);
    if (!config) {
        (void)toError(config.error());
        S16_FUZZ_CHECK(!configErrorName(config.error().code).isEmpty());
        return 0;
    }
    const Config &c = *config;
    const QString scheme = c.server.url.scheme().toLower();
    S16_FUZZ_CHECK(scheme == QStringLiteral("https") || (scheme == QStringLiteral("http") && c.server.allowInsecureHttp));
    S16_FUZZ_CHECK(!c.server.url.hasQuery() && !c.server.url.hasFragment() && !c.server.url.host().isEmpty());
    S16_FUZZ_CHECK(c.server.url.path().endsWith(QLatin1Char('/')));
    S16_FUZZ_CHECK(c.server.maxTries >= 1 && c.server.retryIntervalSeconds >= 0);
    S16_FUZZ_CHECK(c.server.connectTimeoutSeconds >= 1 && c.server.stallTimeoutSeconds >= 1);
    S16_FUZZ_CHECK(c.server.checkJitterSeconds >= 0 && c.server.checkJitterSeconds <= c.server.checkIntervalSeconds);
    S16_FUZZ_CHECK(!c.trust.publicKeys.isEmpty());
    for (const QString &key : c.trust.publicKeys)
        S16_FUZZ_CHECK(QDir::isAbsolutePath(key) && QFileInfo::exists(key));
    for (const QString &p : {c.device.versionFile, c.device.stateDir, c.device.updateDir, c.device.database, c.boot.envFile,
                             c.boot.slotA, c.boot.slotB, c.server.caFile, c.server.tokenFile})
        S16_FUZZ_CHECK(isAbsoluteOrEmpty(p));
    S16_FUZZ_CHECK(!c.device.versionFile.isEmpty() && !c.device.stateDir.isEmpty() && !c.device.updateDir.isEmpty());
    S16_FUZZ_CHECK(c.boot.backend == QStringLiteral("uboot") || c.boot.backend == QStringLiteral("grub"));
    S16_FUZZ_CHECK(!c.boot.envFile.isEmpty());
    if (!c.diagnostics.url.isEmpty())
        S16_FUZZ_CHECK(c.diagnostics.url.path().endsWith(QLatin1Char('/')));
    return 0;
}
