#pragma once

// The staged-update check of the install: what updateDir/staged holds, read back and proven
// again before a byte of it reaches a slot (E44-E48). Private to the install area.

#include "common/error.h"
#include "config/config.h"
#include "install/migrator.h"
#include "manifest/manifest.h"
#include "store/devicestate.h"

#include <QJsonObject>

#include <functional>
#include <memory>

namespace s16::delta {
struct ChunkIndex;
}

namespace s16::install {

// The staged update, read back from updateDir/staged and checked against its signature.
struct Staged {
    Manifest manifest;
    QString dir;
    QString image;     // the staged image file: the raw image, or with zstd the compressed one
    bool zstd = false; // image holds manifest.imageZstd
    QList<MigrationStep> migrations;
    // The release's chunk index when the download staged it and it is the one the manifest
    // signs: the slot's read back (E49) is checked against it.
    std::shared_ptr<const delta::ChunkIndex> index;
};

// An integrity failure of the staged update: the install stops before the slot (E48, exit 15).
[[nodiscard]] Error integrityError(const QString &message, const QString &detail = {});

// Reads updateDir/staged, checks the manifest's signature and product, and that it is the
// release the journal's `staged` record (expected) says was downloaded and agreed to.
[[nodiscard]] Result<Staged> loadStaged(const Config &config, const std::optional<StagedRecord> &expected);

// Hashes the staged image and migrations again and compares them with the saved sum and the
// manifest; progress gets the bytes hashed so far and the image's size.
[[nodiscard]] Status verifyStaged(const Staged &staged, const std::function<void(qint64 done, qint64 total)> &progress);

} // namespace s16::install
