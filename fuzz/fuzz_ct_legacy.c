/*
 * fuzz_ct_legacy.c — the .ct stream framings before meta.dat bits 9-11
 * (src/reader/ct_legacy.c): a container with meta.dat flags 0 and no
 * calls.idx, so every stream is in its older framing, of a tiny trace
 * (6 steps); the input's first byte chooses the member the rest replaces:
 *
 *   0  steps.dat's one chunk, decompressed (u32 count, records); the
 *      index states the count the chunk states (or 0)
 *   1  steps.idx (u32 per chunk, u64 placeholder, offsets, u64 total)
 *   2  values.dat, 3 events.dat, 4 calls.dat: records split at each 0xfe
 *      byte (dropped), NAME.off made from them
 *   5  values.off, 6 events.off, 7 calls.off (default NAME.dat)
 *
 * then the checks of fuzz_ct_common.h (read, seek, members).
 */
#include "fuzz_ct_common.h"

static const uint8_t steps[] = {0, 1, 1, 2, 1, 2, 1, 2, 3, 0, 1, 2};
#define NSTEPS 6
/* CBOR {"kind":"Int","i":5,"type_id":0} */
#define CBOR_INT5 0xa3, 0x64, 'k', 'i', 'n', 'd', 0x63, 'I', 'n', 't', 0x61, 'i', 5, \
                  0x67, 't', 'y', 'p', 'e', '_', 'i', 'd', 0
/* value records (0xfe ends one): one value x = 5, except the catch's */
static const uint8_t values[] = {1, 0, 0, 22, CBOR_INT5, 0xfe, 1, 0, 0, 22, CBOR_INT5, 0xfe,
                                 0xfe, 1, 0, 0, 22, CBOR_INT5, 0xfe, 0xfe,
                                 1, 0, 0, 22, CBOR_INT5};
/* main over 0-5 with child f over 1-2 (argument x = 5, no return value) */
static const uint8_t calls[] = {0, 1, 0, 5, 0, 0, 1, 0xff, 0, 1, 1, 0xfe,
                                1, 0, 1, 2, 1, 1, 0, 22, CBOR_INT5, 1, 0xff, 0, 0};
/* stderr "hello" at step 2, stdout "hi" at step 5 */
static const uint8_t events[] = {1, 2, 5, 'h', 'e', 'l', 'l', 'o', 0xfe, 0, 5, 2, 'h', 'i'};

static void table_of(fz_ct *c, const char *dat, const char *off, const uint8_t *p, size_t n)
{
    fzb *d = fz_ct_add(c, dat), *o = fz_ct_add(c, off);
    fzb_le(o, 0, 8);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0xfe) fzb_le(o, d->n, 8);
        else fzb_put(d, &p[i], 1);
    }
    fzb_le(o, d->n, 8);
}

static void raw(fz_ct *c, const char *name, const uint8_t *p, size_t n)
{
    fzb_put(fz_ct_add(c, name), p, n);
}

static void build(unsigned which, const uint8_t *p, size_t n)
{
    static const uint8_t meta[] = "CTMD\x03\x00\x00\x00\x03r-1\x01p\x00\x00\x00\x01\x05/a.py";
    fz_ct c = {0};
    fzb_put(fz_ct_add(&c, "meta.dat"), meta, sizeof meta - 1);
    fz_ct_table(&c, "paths.dat", "paths.off", "/a.py\0");
    fz_ct_table(&c, "funcs.dat", "funcs.off", "main\0f\0");
    fz_ct_table(&c, "types.dat", "types.off", "int\0");
    fz_ct_table(&c, "varnames.dat", "varnames.off", "x\0");
    /* steps */
    fzb chunk = {0};
    if (which == 0) fzb_put(&chunk, p, n);
    else {
        fzb_le(&chunk, NSTEPS, 4);
        fzb_put(&chunk, steps, sizeof steps);
    }
    fzb *sd = fz_ct_add(&c, "steps.dat");
    fzb_frame(sd, chunk.d, chunk.n);
    if (which == 1) raw(&c, "steps.idx", p, n);
    else {
        fzb *x = fz_ct_add(&c, "steps.idx");
        fzb_le(x, 4096, 4);
        fzb_le(x, 0, 8);
        fzb_le(x, 0, 8);
        fzb_le(x, chunk.n >= 4 ? (uint64_t)chunk.d[0] | (uint64_t)chunk.d[1] << 8 |
                                     (uint64_t)chunk.d[2] << 16 | (uint64_t)chunk.d[3] << 24
                               : 0,
               8);
    }
    free(chunk.d);
    /* the record tables */
    static const char *const base[3][2] = {
        {"values.dat", "values.off"}, {"events.dat", "events.off"}, {"calls.dat", "calls.off"}};
    const uint8_t *def[3] = {values, events, calls};
    size_t defn[3] = {sizeof values, sizeof events, sizeof calls};
    for (unsigned t = 0; t < 3; t++) {
        if (which == 2 + t) table_of(&c, base[t][0], base[t][1], p, n);
        else if (which == 5 + t) {
            fz_ct tmp = {0};
            table_of(&tmp, "d", "o", def[t], defn[t]);
            raw(&c, base[t][0], tmp.data[0].d, tmp.data[0].n);
            raw(&c, base[t][1], p, n);
            free(tmp.data[0].d);
            free(tmp.data[1].d);
        } else
            table_of(&c, base[t][0], base[t][1], def[t], defn[t]);
    }
    fz_ct_write(&c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-legacy");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    build(data[0] % 8, data + 1, size - 1);
    fz_ct_check(64);
    return 0;
}
