#include "logging.h"

Q_LOGGING_CATEGORY(lcFlow, "s16.flow", QtInfoMsg)
Q_LOGGING_CATEGORY(lcNet, "s16.net", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDownload, "s16.download", QtInfoMsg)
Q_LOGGING_CATEGORY(lcManifest, "s16.manifest", QtInfoMsg)
Q_LOGGING_CATEGORY(lcCrypto, "s16.crypto", QtInfoMsg)
Q_LOGGING_CATEGORY(lcConfig, "s16.config", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStore, "s16.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBoot, "s16.boot", QtInfoMsg)
Q_LOGGING_CATEGORY(lcInstall, "s16.install", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMigrate, "s16.migrate", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDiag, "s16.diagnostics", QtInfoMsg)
Q_LOGGING_CATEGORY(lcUi, "s16.ui", QtInfoMsg)
