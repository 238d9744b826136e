// The floor of a download through Qt 6.4's QNetworkAccessManager, with the transport's
// settings (HTTP/1.1, 1 MiB read buffer, the body taken on every readyRead), so that
// bench/download/run can tell what the updater adds and what Qt's HTTP stack costs by
// itself (docs/performance.md).
//   qnamfloor URL CA.pem null|sha256|file+sha256 [OUT]
// null discards the body; sha256 hashes it with OpenSSL EVP; file+sha256 also writes OUT.
// Prints the body's SHA-256 (or "-") and exits 0 when the whole body arrived.
#include <QCoreApplication>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>

#include <openssl/evp.h>

#include <cstdio>
#include <memory>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 4) {
        std::fprintf(stderr, "usage: qnamfloor URL CA.pem null|sha256|file+sha256 [OUT]\n");
        return 2;
    }
    const QString mode = args.at(3);
    const bool hash = mode != QLatin1String("null");
    QFile out(args.size() > 4 ? args.at(4) : QStringLiteral("/dev/null"));
    const bool write = mode == QLatin1String("file+sha256");
    if (write && !out.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(out.fileName()));
        return 2;
    }
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);

    QNetworkAccessManager nam;
    QNetworkRequest request{QUrl(args.at(1))};
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(args.at(2)));
    request.setSslConfiguration(ssl);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    QNetworkReply *reply = nam.get(request);
    reply->setReadBufferSize(1024 * 1024);
    auto take = [&] {
        const QByteArray chunk = reply->readAll();
        if (hash)
            EVP_DigestUpdate(ctx.get(), chunk.constData(), size_t(chunk.size()));
        if (write)
            out.write(chunk);
    };
    int rc = 1;
    QObject::connect(reply, &QNetworkReply::readyRead, &app, take);
    QObject::connect(reply, &QNetworkReply::finished, &app, [&] {
        take();
        if (reply->error() == QNetworkReply::NoError && (!write || out.flush())) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int n = 0;
            EVP_DigestFinal_ex(ctx.get(), md, &n);
            std::printf("%s\n", hash ? QByteArray(reinterpret_cast<const char *>(md), int(n)).toHex().constData() : "-");
            rc = 0;
        } else {
            std::fprintf(stderr, "%s\n", qPrintable(reply->errorString()));
        }
        app.quit();
    });
    app.exec();
    return rc;
}
