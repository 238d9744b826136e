// The Content-Range of a resumed download: where the server says its bytes start
// decides where they are written. Properties: nothing crashes; an accepted range is
// ordered (first <= last < complete length) and prints back to a header that parses
// to the same range; anything with bytes left over after the range is refused.

#include "fuzzutil.h"

#include "online/transport.h"

using namespace s16;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArrayView value(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto range = parseContentRange(value);
    if (!range)
        return 0;
    S16_FUZZ_CHECK(range->first >= 0 && range->first <= range->last);
    S16_FUZZ_CHECK(range->completeLength == -1 || range->last < range->completeLength);
    const QByteArray printed = QByteArray("bytes ") + QByteArray::number(range->first) + '-' + QByteArray::number(range->last) + '/'
                               + (range->completeLength < 0 ? QByteArray("*") : QByteArray::number(range->completeLength));
    S16_FUZZ_CHECK(parseContentRange(printed) == range);
    // one more digit or character after an accepted value must not be ignored
    S16_FUZZ_CHECK(!parseContentRange(QByteArray(value.toByteArray().trimmed() + 'x')));
    return 0;
}
