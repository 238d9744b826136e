#include "error.h"

#include <QStringBuilder>

namespace s16 {

QString exitCodeName(ExitCode code)
{
    switch (code) {
    case ExitCode::Ok: return QStringLiteral("Ok");
    case ExitCode::Usage: return QStringLiteral("Usage");
    case ExitCode::Cancelled: return QStringLiteral("Cancelled");
    case ExitCode::ServerUnreachable: return QStringLiteral("ServerUnreachable");
    case ExitCode::TlsRejected: return QStringLiteral("TlsRejected");
    case ExitCode::AuthRejected: return QStringLiteral("AuthRejected");
    case ExitCode::MetadataRejected: return QStringLiteral("MetadataRejected");
    case ExitCode::DownloadFailed: return QStringLiteral("DownloadFailed");
    case ExitCode::IntegrityMismatch: return QStringLiteral("IntegrityMismatch");
    case ExitCode::StorageError: return QStringLiteral("StorageError");
    case ExitCode::InstallFailed: return QStringLiteral("InstallFailed");
    }
    return QStringLiteral("Unknown");
}

Error Error::withContext(const QString &context) const
{
    Error e = *this;
    e.message = context % QStringLiteral(": ") % message;
    return e;
}

Error Error::withEdge(Edge flowEdge) const
{
    Error e = *this;
    e.edge = flowEdge;
    return e;
}

} // namespace s16
