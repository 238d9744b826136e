// The staged image's <image>.sha256, which the recovery engine reads before it trusts
// the image. Properties: nothing crashes; what the reader accepts is 64 lowercase hex
// digits and a name, and writing that back gives a line that reads the same; any
// name the writer is given reads back unchanged (sha256sum's escaping round-trips).

#include "fuzzutil.h"

#include "crypto/crypto.h"

using namespace s16;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    if (const auto line = crypto::parseSha256Sum(bytes)) {
        S16_FUZZ_CHECK(line->hex.size() == 64);
        for (const char c : line->hex)
            S16_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        S16_FUZZ_CHECK(!line->fileName.isEmpty());
        const auto again = crypto::parseSha256Sum(crypto::formatSha256Sum(line->hex, line->fileName));
        S16_FUZZ_CHECK(again && again->hex == line->hex && again->fileName == line->fileName);
    }

    // The writer with the input as a file name (what a manifest could name, and more).
    const QString name = QString::fromUtf8(bytes);
    if (!name.isEmpty() && !name.contains(QChar(0))) {
        const QByteArray hex = crypto::Sha256::hexHash(bytes);
        const auto back = crypto::parseSha256Sum(crypto::formatSha256Sum(hex, name));
        S16_FUZZ_CHECK(back && back->hex == hex && back->fileName == name);
    }
    return 0;
}
