// Hashes one buffer with crypto::Sha256 (OpenSSL EVP) and with QCryptographicHash and
// prints the throughput of each: why crypto::Sha256 hashes with EVP (core/crypto/crypto.h).
//   bench_sha256 [MiB]          a random buffer in memory (default 256 MiB)
//   bench_sha256 --file PATH    the file, read in 1 MiB chunks (sha256FileHex and its Qt twin)
#include "crypto/crypto.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTextStream>

#include <cstdio>

namespace {

constexpr qsizetype kChunk = 1024 * 1024; // as sha256FileHex feeds the hash

double seconds(const QElapsedTimer &timer);

template <typename Feed>
double mibPerSecond(const QByteArray &data, Feed &&feed)
{
    QElapsedTimer timer;
    timer.start();
    for (qsizetype off = 0; off < data.size(); off += kChunk)
        feed(QByteArrayView(data).sliced(off, qMin(kChunk, data.size() - off)));
    return double(data.size()) / (1024.0 * 1024.0) / seconds(timer);
}

int report(QTextStream &out, QTextStream &err, const QString &what, double evpRate, const QByteArray &evpHex, double qtRate,
           const QByteArray &qtHex)
{
    if (evpHex != qtHex) {
        err << "digests differ: " << evpHex << " vs " << qtHex << '\n';
        return 1;
    }
    out << QStringLiteral("input               %1\n").arg(what);
    out << QStringLiteral("sha256              %1\n").arg(QString::fromLatin1(evpHex));
    out << QStringLiteral("crypto::Sha256      %1 MiB/s\n").arg(evpRate, 0, 'f', 1);
    out << QStringLiteral("QCryptographicHash  %1 MiB/s\n").arg(qtRate, 0, 'f', 1);
    out << QStringLiteral("ratio               %1x\n").arg(evpRate / qtRate, 0, 'f', 2);
    return 0;
}

double seconds(const QElapsedTimer &timer) { return double(qMax<qint64>(timer.nsecsElapsed(), 1)) / 1e9; }

int benchFile(QTextStream &out, QTextStream &err, const QString &path)
{
    const double mib = double(QFile(path).size()) / (1024.0 * 1024.0);
    QElapsedTimer timer;
    timer.start();
    const auto evpHex = s16::crypto::sha256FileHex(path);
    const double evpRate = mib / seconds(timer);
    if (!evpHex) {
        err << evpHex.error().message << '\n';
        return 1;
    }

    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        err << "cannot open " << path << '\n';
        return 1;
    }
    timer.restart();
    QCryptographicHash qt(QCryptographicHash::Sha256);
    QByteArray buffer(kChunk, Qt::Uninitialized);
    for (qint64 n; (n = f.read(buffer.data(), buffer.size())) > 0;)
        qt.addData(QByteArrayView(buffer.constData(), n));
    const double qtRate = mib / seconds(timer);
    return report(out, err, QStringLiteral("%1 (%2 MiB)").arg(path).arg(mib, 0, 'f', 1), evpRate, *evpHex, qtRate, qt.result().toHex());
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    QTextStream err(stderr);
    const QStringList args = app.arguments();
    if (args.size() == 3 && args.at(1) == QLatin1String("--file"))
        return benchFile(out, err, args.at(2));
    bool ok = true;
    const qsizetype mib = args.size() > 1 ? args.at(1).toLongLong(&ok) : 256;
    if (!ok || mib <= 0 || mib > 4096) {
        err << "usage: bench_sha256 [MiB (1..4096, default 256)] | --file PATH\n";
        return 2;
    }

    QByteArray data(mib * 1024 * 1024, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);

    s16::crypto::Sha256 evp;
    const double evpRate = mibPerSecond(data, [&evp](QByteArrayView chunk) { evp.addData(chunk); });
    const QByteArray evpHex = evp.hexResult();

    QCryptographicHash qt(QCryptographicHash::Sha256);
    const double qtRate = mibPerSecond(data, [&qt](QByteArrayView chunk) { qt.addData(chunk); });
    const QByteArray qtHex = qt.result().toHex();

    return report(out, err, QStringLiteral("random buffer in memory (%1 MiB)").arg(mib), evpRate, evpHex, qtRate, qtHex);
}
