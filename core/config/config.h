#pragma once

#include "common/error.h"

#include <QByteArrayView>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <expected>

namespace s16 {

// The device configuration: the INI file of CONTRACT §4, read once and validated as a
// whole at load, so the rest of the updater can trust every field without checking it
// again. Relative paths in the file are already resolved against the file's folder (a
// simulated device keeps everything inside one folder); every key, its default and the
// flowchart node it stands for are listed in docs/configuration.md.
struct Config {
    QString filePath; // the file it came from (absolute)

    struct Server {
        QUrl url; // absolute https (or http with allowInsecureHttp), path ends with '/'
        QString caFile, clientCertificate, clientKey, tokenFile;
        int retryIntervalSeconds = 30;       // "wait for x seconds" (E04, E24)
        int maxTries = 5;                    // "max number of tries reached" (E05, E25)
        qint64 checkIntervalSeconds = 86400; // "wait for x hours/days" (E19)
        qint64 checkJitterSeconds = 3600;
        int connectTimeoutSeconds = 15;
        int stallTimeoutSeconds = 30; // no byte for this long: the attempt has failed
        QString pinnedPublicKey;      // "sha256//<base64>[;sha256//...]", as curl's --pinnedpubkey
        bool allowInsecureHttp = false;
        bool delta = true; // rebuild the image from the running slot where the release has chunks
    } server;

    struct Trust {
        QStringList publicKeys; // PEM files or folders of them (key rotation)
    } trust;

    struct Device {
        QString product = QStringLiteral("s16");
        QString versionFile, stateDir, updateDir, database;
        qint64 freeSpaceMarginBytes = 16 * 1024 * 1024;
    } device;

    struct Boot {
        QString backend; // "uboot" or "grub"
        QString envFile, slotA, slotB;
        QString rebootCommand; // empty: record the reboot request only (device simulator)
    } boot;

    struct Services {
        QString reload, healthCheck;
        int timeoutSeconds = 120;
    } services;

    struct Diagnostics {
        QUrl url; // empty: diagnostics are never sent; else ends with '/'
        int maxQueuedReports = 50;
        qint64 maxQueuedBytes = 4 * 1024 * 1024;
    } diagnostics;

    struct Log {
        int maxEntries = 2000;
    } log;

    struct Ui {
        int priorityCountdownSeconds = 60;
    } ui;
};

enum class ConfigError {
    FileMissing,    // no file at the path
    FileUnreadable, // exists but cannot be read (permissions, a folder)
    SyntaxError,    // not an INI file that can be read without guessing (core/config/ini.h)
    MissingKey,     // a required key is absent or empty
    BadValue,       // not a number, out of range, not one of the allowed words
    BadUrl,         // not an absolute URL of a scheme we speak
    InsecureUrl,    // plain http without server/allowInsecureHttp=true
    MissingFile,    // a key names a file that does not exist
};

// Why a configuration was refused. key is "section/name" (empty for file-level
// problems); message names the key and the file, ready for the user.
struct ConfigProblem {
    ConfigError code;
    QString key;
    QString file;
    QString message;
};

[[nodiscard]] std::expected<Config, ConfigProblem> loadConfig(const QString &path);
// The same from text in memory (what loadConfig reads from the file): filePath is the
// file the text stands for; relative paths resolve against its folder, messages name it.
// Nothing is read but the files the configuration names (it checks that they exist).
[[nodiscard]] std::expected<Config, ConfigProblem> loadConfigFromText(QByteArrayView text, const QString &filePath);
// $S16_UPDATE_CONFIG when set and not empty, else /etc/s16-update/update.conf.
[[nodiscard]] QString defaultConfigPath();
// Every configuration problem is a usage error (exit code 2).
[[nodiscard]] Error toError(const ConfigProblem &p);
// A stable name for logs and tests ("MissingKey").
[[nodiscard]] QString configErrorName(ConfigError code);

} // namespace s16
