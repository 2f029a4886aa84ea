/*
 * window_bin.c — the CBOR reader with a boundary of its window at every
 * byte of a trace.bin's event stream (the JSON side is window.c).
 *
 * The reader's window receives the decompressed bytes frame by frame, so a
 * zstd frame that ends inside an event puts the window's end there. The
 * test decompresses a trace.bin (made by `ctrec convert` from a fixture at
 * test time), then for every position i writes the same stream as two
 * frames, [0, i) and [i, end), with a seek table, and reads it: the events
 * must equal those of the original file, byte for byte.
 *
 *   rd-window-bin WORKDIR TRACE.bin...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "ctrec/ctrec_reader.h"

static int failures;

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *d = malloc(cap);
    size_t k;
    while (d && (k = fread(d + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) d = realloc(d, cap *= 2);
    }
    fclose(f);
    *n = len;
    return d;
}

static char *read_events(const char *path, char *msg, size_t msgn)
{
    ctrec_reader *r;
    ctrec_status st = ctrec_reader_open(path, NULL, &r);
    size_t used = 0, cap = 1 << 16;
    char *out = malloc(cap);
    if (!out) exit(2);
    out[0] = 0;
    if (!st) {
        const ctrec_ev *ev;
        char *line = NULL;
        size_t lcap = 0, len;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
            if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &lcap, &len)) {
                st = CTREC_E_VALUE;
                break;
            }
            while (used + len + 2 > cap) out = realloc(out, cap *= 2);
            memcpy(out + used, line, len);
            used += len;
            out[used++] = '\n';
            out[used] = 0;
        }
        free(line);
        if (!st && !ctrec_reader_complete(r)) st = CTREC_E_TRUNCATED;
    }
    snprintf(msg, msgn, "%s", st ? ctrec_reader_errmsg(r) : "");
    ctrec_reader_close(r);
    if (st) {
        free(out);
        return NULL;
    }
    return out;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* header, one frame per part, the seek table */
static void write_split(const char *path, const unsigned char *d, size_t n, size_t at)
{
    size_t cap = ZSTD_compressBound(n) * 2 + 256;
    unsigned char *f = malloc(cap);
    static const unsigned char hdr[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0, 0};
    memcpy(f, hdr, 8);
    size_t len = 8;
    size_t parts[2][2] = {{0, at}, {at, n}};
    uint32_t csz[2], dsz[2];
    int nf = 0;
    for (int i = 0; i < 2; i++) {
        size_t from = parts[i][0], to = parts[i][1];
        if (to == from) continue;
        size_t z = ZSTD_compress(f + len, cap - len, d + from, to - from, 1);
        if (ZSTD_isError(z)) exit(2);
        csz[nf] = (uint32_t)z;
        dsz[nf] = (uint32_t)(to - from);
        nf++;
        len += z;
    }
    put32(f + len, 0x184D2A5E);
    put32(f + len + 4, (uint32_t)(nf * 8 + 9));
    len += 8;
    for (int i = 0; i < nf; i++) {
        put32(f + len, csz[i]);
        put32(f + len + 4, dsz[i]);
        len += 8;
    }
    put32(f + len, (uint32_t)nf);
    f[len + 4] = 0;
    put32(f + len + 5, 0x8F92EAB1);
    len += 9;
    FILE *o = fopen(path, "wb");
    if (!o || fwrite(f, 1, len, o) != len || fclose(o)) exit(2);
    free(f);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rd-window-bin WORKDIR TRACE.bin...\n");
        return 2;
    }
    char path[4200], msg[1024];
    snprintf(path, sizeof path, "%s/window.bin", argv[1]);
    for (int a = 2; a < argc; a++) {
        size_t n;
        unsigned char *file = slurp(argv[a], &n);
        char *want = file ? read_events(argv[a], msg, sizeof msg) : NULL;
        if (!want) {
            fprintf(stderr, "FAIL %s does not read: %s\n", argv[a], file ? msg : "cannot open");
            failures++;
            free(file);
            continue;
        }
        /* the event stream: every data frame decompressed (the seek table
         * is a skippable frame, which ZSTD_decompress passes over) */
        ZSTD_DStream *ds = ZSTD_createDStream();
        size_t dcap = 1 << 16, got = 0;
        unsigned char *d = malloc(dcap);
        ZSTD_inBuffer in = {file + 8, n - 8, 0};
        size_t z = 0;
        while (in.pos < in.size) {
            if (got == dcap) d = realloc(d, dcap *= 2);
            ZSTD_outBuffer o = {d + got, dcap - got, 0};
            z = ZSTD_decompressStream(ds, &o, &in);
            got += o.pos;
            if (ZSTD_isError(z)) break;
        }
        ZSTD_freeDStream(ds);
        if (ZSTD_isError(z) || !d) {
            fprintf(stderr, "FAIL %s: %s\n", argv[a], ZSTD_getErrorName(z));
            failures++;
            continue;
        }
        size_t bad = 0;
        for (size_t i = 1; i < got; i++) {
            write_split(path, d, got, i);
            char *have = read_events(path, msg, sizeof msg);
            if (!have || strcmp(have, want) != 0) {
                if (bad++ < 5)
                    fprintf(stderr, "FAIL %s: frame boundary at decompressed byte %zu: %s\n",
                            argv[a], i, have ? "different events" : msg);
            }
            free(have);
        }
        if (bad) {
            fprintf(stderr, "FAIL %s: %zu of %zu boundary positions\n", argv[a], bad, got - 1);
            failures++;
        } else {
            printf("ok   %s: %zu boundary positions\n", argv[a], got - 1);
        }
        free(d);
        free(want);
        free(file);
    }
    return failures ? 1 : 0;
}
