/*
 * fuzz_bin_reader.c — the binary reader. The first byte chooses:
 *   bit 0 clear: the rest is the raw trace.bin file;
 *   bit 0 set:   the rest is the decompressed CBOR event stream, wrapped
 *                into a valid trace.bin: the v1 header, zstd frames cut
 *                every 2^(4 + bits 4-6) bytes (events may straddle frames,
 *                as the reference writer's 2 MiB frames do), then the seek
 *                table, unless bit 1 drops it (a killed recording) or bit 2
 *                cuts the file short in its last frame;
 *   bit 3:       convert to trace.json instead of trace.bin;
 *   bit 7:       reader max_depth 64 instead of the default.
 * Then the round trip of fuzz_common.h.
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("bin");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    uint8_t f = data[0];
    fz_clear(fz_in);
    if (f & 1) {
        size_t n;
        uint8_t *b = fz_wrap_bin(data + 1, size - 1, f, &n);
        fz_put(fz_in, "trace.bin", b, n);
        free(b);
    } else {
        fz_put(fz_in, "trace.bin", data + 1, size - 1);
    }
    fz_roundtrip((f & 8) ? CTREC_FORMAT_JSON : CTREC_FORMAT_BIN, (f & 0x80) ? 64 : 0);
    return 0;
}
