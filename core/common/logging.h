#pragma once

#include <QLoggingCategory>

// One category per area; enable with QT_LOGGING_RULES="s16.*.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcFlow)     // s16.flow
Q_DECLARE_LOGGING_CATEGORY(lcNet)      // s16.net
Q_DECLARE_LOGGING_CATEGORY(lcDownload) // s16.download
Q_DECLARE_LOGGING_CATEGORY(lcManifest) // s16.manifest
Q_DECLARE_LOGGING_CATEGORY(lcCrypto)   // s16.crypto
Q_DECLARE_LOGGING_CATEGORY(lcConfig)   // s16.config
Q_DECLARE_LOGGING_CATEGORY(lcStore)    // s16.store
Q_DECLARE_LOGGING_CATEGORY(lcBoot)     // s16.boot
Q_DECLARE_LOGGING_CATEGORY(lcInstall)  // s16.install
Q_DECLARE_LOGGING_CATEGORY(lcMigrate)  // s16.migrate
Q_DECLARE_LOGGING_CATEGORY(lcDiag)     // s16.diagnostics
Q_DECLARE_LOGGING_CATEGORY(lcUi)       // s16.ui
