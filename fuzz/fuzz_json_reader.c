/*
 * fuzz_json_reader.c — the JSON reader on arbitrary bytes. The first byte
 * chooses: bit 0, the rest holds up to three parts separated by "\n@@\n"
 * (trace.json, trace_paths.json, trace_metadata.json), else it is all
 * trace.json; bit 1, convert to trace.bin instead of trace.json; bits 2-3,
 * the reader's max_depth (default, 8, 64, 100000). Then the round trip of
 * fuzz_common.h: read, spell, convert, validate, re-read, compare.
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("json");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    uint8_t f = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    static const unsigned depths[4] = {0, 8, 64, 100000};
    fz_clear(fz_in);
    if (f & 1) {
        size_t n1 = 0, n2 = 0, n3 = 0;
        const uint8_t *t = fz_part(&p, end, &n1);
        const uint8_t *paths = fz_part(&p, end, &n2);
        const uint8_t *meta = fz_part(&p, end, &n3);
        fz_put(fz_in, "trace.json", t, n1);
        if (paths) fz_put(fz_in, "trace_paths.json", paths, n2);
        if (meta) fz_put(fz_in, "trace_metadata.json", meta, n3);
    } else {
        fz_put(fz_in, "trace.json", p, (size_t)(end - p));
    }
    fz_roundtrip((f & 2) ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON, depths[(f >> 2) & 3]);
    return 0;
}
