#pragma once

#include "../../e2e/e2esupport.h"

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <expected>
#include <memory>

// The input-matrix tests' world (docs/security.md): a release server with one good
// update, 1.1.0, published by s16-publish and served by real nginx over TLS, and
// simulated devices running 1.0.0 made by s16-devsim. Each hostile input is put in
// place, the built executables meet it, and afterwards the device must show that
// nothing was installed, the running system is untouched, and the good update still
// installs.
namespace s16::hardening {

inline constexpr qint64 kImageBytes = 512 * 1024;

class HostileWorld
{
public:
    [[nodiscard]] std::expected<void, QString> start();

    // A fresh device (s16-devsim init) in a folder of its own; returns its config.
    [[nodiscard]] std::expected<QString, QString> newDevice(const QString &name, const QString &backend = QStringLiteral("grub"));
    [[nodiscard]] QString deviceDir(const QString &name) const;

    [[nodiscard]] QString repo() const;
    [[nodiscard]] QString repoImage() const; // repo/images/s16-1.1.0.img
    [[nodiscard]] const QByteArray &goodManifest() const { return m_manifest; }
    [[nodiscard]] const QByteArray &goodImage() const { return m_image; }
    [[nodiscard]] e2e::ReleaseServer &server() { return m_server; }

    // Replaces manifest.json with bytes and signs them with the release key: the
    // server (or whoever holds the key) means it, so only the device's own checks stand.
    [[nodiscard]] std::expected<void, QString> publishSigned(const QByteArray &manifest);
    // Puts the good release back exactly as s16-publish wrote it.
    [[nodiscard]] std::expected<void, QString> restoreGoodRelease();

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    e2e::ReleaseServer m_server;
    QByteArray m_manifest, m_signature, m_image;
};

// Nothing installed and the running system untouched: slot A runs 1.0.0 and is booted,
// slot B is empty, no reboot is pending or requested in the boot environment, nothing
// is staged. An empty string when all holds, else what does not.
[[nodiscard]] QString untouched(const QString &deviceDir);

// The good update still installs: download, "Update now", boots until done; then slot
// B runs 1.1.0. An empty string when it did, else what went wrong.
[[nodiscard]] QString installsGoodUpdate(const QString &config, const QString &deviceDir);

// lastError of `s16-update status --json`.
[[nodiscard]] QJsonObject lastError(const QString &config);

[[nodiscard]] QByteArray readFile(const QString &path);
[[nodiscard]] bool writeFile(const QString &path, const QByteArray &data);

} // namespace s16::hardening
