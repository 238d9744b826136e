#pragma once

#include "online/onlinestep_p.h"
#include "store/devicestate.h"

#include <QList>

namespace s16 {

struct Manifest;

// E35-E39: checks what arrived against the manifest (or fails by E38 with a mismatch found while
// it arrived), then moves it with its saved sum, the manifest and its signature to the update
// partition as one new staged/ folder. Its result is the staged record (the journal's `staged`);
// it ends at Notify (E39). Its errors leave by E38, or by the StorageFailed jump and E08. Its
// work is short and local: it runs in one turn of the event loop, so a kill finds it done.
class Staging : public OnlineStep
{
    Q_OBJECT
public:
    Staging(const OnlineContext &context, const Manifest &manifest, const QByteArray &manifestBytes, const QByteArray &signature,
            QList<DownloadItem> items, std::optional<Error> mismatch, QObject *parent = nullptr);
    ~Staging() override;

    [[nodiscard]] const StagedRecord &staged() const { return m_staged; }

protected:
    void doStart() override;

private:
    void verifyAndStage(std::optional<Error> mismatch);
    [[nodiscard]] std::optional<Error> checkReceived();
    [[nodiscard]] QString partialDir() const;
    [[nodiscard]] QString stagedDir() const;

    const Manifest *m_manifest;
    QByteArray m_manifestBytes;
    QByteArray m_signature;
    QList<DownloadItem> m_items; // image first, then migrations
    std::optional<Error> m_mismatch;
    StagedRecord m_staged;
};

} // namespace s16
