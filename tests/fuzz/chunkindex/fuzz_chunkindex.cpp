// A delta update's chunk index as the device reads it (core/delta: delta::parse, from bytes whose
// SHA-256 the signed manifest names, so a hostile publisher is the attacker here), and one chunk
// file as the device unpacks it (zstd::decompress with the size the index declares). Properties:
// nothing crashes; an accepted index keeps its promises (offsets climb, every chunk within the
// sizes); serialize() gives an index that parses to the same; an unpacked chunk has exactly the
// declared size.
#include "fuzzutil.h"

#include "compress/zstd.h"
#include "delta/chunkindex.h"

using namespace s16;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quiet();
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    if (const auto index = delta::parse(bytes)) {
        quint64 previous = 0;
        for (qsizetype i = 0; i < index->entries.size(); ++i) {
            S16_FUZZ_CHECK(index->entries[i].end > previous);
            S16_FUZZ_CHECK(index->sizeOf(i) <= index->sizes.max);
            previous = index->entries[i].end;
        }
        const auto again = delta::parse(delta::serialize(*index));
        S16_FUZZ_CHECK(again.has_value() && *again == *index);
    }
    // The same bytes as a chunk file: the first two say how large the chunk is to be.
    if (size >= 2) {
        const qint64 declared = (qint64(data[0]) << 8 | data[1]) * 4;
        if (const auto chunk = zstd::decompress(bytes.sliced(2), declared))
            S16_FUZZ_CHECK(chunk->size() == declared);
    }
    return 0;
}
