// The device configuration: loadConfigFromText, which loadConfig runs on the file's bytes
// (the line check, the INI reader of core/config/ini.h, the validation), in memory: no file
// is written per input. Properties: nothing crashes; the INI reader reads its keys and
// values the same when they are written back in its own escapes (a round trip, on one
// input in eight); a text the reader refuses is a SyntaxError; a configuration that loads
// keeps every promise of core/config/config.h: a server URL the transport may use (https,
// or http only with allowInsecureHttp; no query or fragment; a path ending in '/'),
// absolute paths, numbers within their documented ranges, and trust keys that exist.

#include "fuzzutil.h"

#include "config/config.h"
#include "config/ini.h"

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

constexpr char kHex[] = "0123456789abcdef";

void appendHex4(QByteArray &out, char16_t c)
{
    const char digits[4] = {kHex[(c >> 12) & 0xF], kHex[(c >> 8) & 0xF], kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
    out.append(digits, 4);
}

// A value back as INI text: quoted, every character that is not plain printable ASCII as
// \xHHHH (an empty "" after it when a hex digit follows, so the escape ends there).
void writeValue(const QString &value, QByteArray &out)
{
    out += '"';
    for (qsizetype i = 0; i < value.size(); ++i) {
        const char16_t c = value.at(i).unicode();
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out += char(c);
            continue;
        }
        out += "\\x";
        appendHex4(out, c);
        const char16_t next = i + 1 < value.size() ? value.at(i + 1).unicode() : 0;
        if ((next >= '0' && next <= '9') || (next >= 'a' && next <= 'f') || (next >= 'A' && next <= 'F'))
            out += "\"\"";
    }
    out += '"';
}

// The keys and values of a document as INI text without sections: everything in a key
// but letters, digits, '_', '.' and '-' as %UXXXX (a backslash, read as '/', could escape
// the '=' after it).
QByteArray writeDocument(const ini::Document &doc)
{
    QByteArray out;
    for (const QString &key : doc.keys()) {
        for (const QChar ch : key) {
            const char16_t c = ch.unicode();
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-') {
                out += char(c);
            } else {
                out += "%U";
                appendHex4(out, c);
            }
        }
        out += '=';
        const QVariant v = doc.value(key);
        if (v.typeId() == QMetaType::QStringList) {
            const QStringList items = v.toStringList();
            for (qsizetype i = 0; i < items.size(); ++i) {
                if (i > 0)
                    out += ", ";
                writeValue(items.at(i), out);
            }
        } else {
            writeValue(v.toString(), out);
        }
        out += '\n';
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArrayView text(reinterpret_cast<const char *>(data), qsizetype(size));
    // the device folder holds the files a seed names; the configuration is never written
    static const QString path = deviceDir() + QStringLiteral("/update.conf");
    const auto config = loadConfigFromText(text, path);

    // The reader's round trip on one input in eight (by its size, so an input always does
    // or does not): it costs as much again as the load.
    if (size % 8 == 0) {
        const auto doc = ini::parse(text);
        if (!doc) {
            S16_FUZZ_CHECK(!config && config.error().code == ConfigError::SyntaxError);
        } else {
            const auto again = ini::parse(writeDocument(*doc));
            S16_FUZZ_CHECK(again && again->keys() == doc->keys());
            for (const QString &key : doc->keys()) {
                const QVariant v = doc->value(key);
                S16_FUZZ_CHECK(v.typeId() == QMetaType::QString || v.typeId() == QMetaType::QStringList);
                S16_FUZZ_CHECK(v == again->value(key));
            }
        }
    }
    if (!config) {
        (void)toError(config.error());
        S16_FUZZ_CHECK(config.error().file == path);
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
    for (const QString &p : {c.device.versionFile, c.device.stateDir, c.device.updateDir, c.device.database, c.boot.envFile, c.boot.slotA,
                             c.boot.slotB, c.server.caFile, c.server.tokenFile})
        S16_FUZZ_CHECK(isAbsoluteOrEmpty(p));
    S16_FUZZ_CHECK(!c.device.versionFile.isEmpty() && !c.device.stateDir.isEmpty() && !c.device.updateDir.isEmpty());
    S16_FUZZ_CHECK(c.boot.backend == QStringLiteral("uboot") || c.boot.backend == QStringLiteral("grub"));
    S16_FUZZ_CHECK(!c.boot.envFile.isEmpty());
    if (!c.diagnostics.url.isEmpty())
        S16_FUZZ_CHECK(c.diagnostics.url.path().endsWith(QLatin1Char('/')));
    return 0;
}
