/*
 * fuzz_ct_common.h — shared by the .ct fuzz targets: a builder that wraps a
 * fuzzed member into an otherwise valid CTFS container (block size 4096,
 * the multi-stream members of a tiny trace), and the checks every .ct
 * target runs on it:
 *
 *   1. read every event (fz_read of fuzz_common.h: errors must be clean,
 *      with a message, and sticky; every event spells as valid JSON);
 *   2. position at a few steps with ctrec_reader_seek_step and read on;
 *   3. list the members and read each one whole;
 *   4. read again with a bound of 4096 bytes, under which a values.dat or
 *      events.dat chunk is read through a window (ct_stream.c): the same
 *      events as the read above, or a prefix of them ended by the bound
 *      (ctrec_reader_event_too_large), or, where the read above stopped,
 *      the same events as far as it went;
 *   5. a container holding both layouts: read its events.log too, and run
 *      ctrec_check on it (which compares the two): every diagnostic has a
 *      rule, a message and a fix, and the verdict agrees with the counts.
 */
#ifndef CTREC_FUZZ_CT_COMMON_H
#define CTREC_FUZZ_CT_COMMON_H

#include "ctfs/ctfs.h"
#include "ctrec/ctrec_check.h"
#include "fuzz_common.h"

typedef struct fzb {
    uint8_t *d;
    size_t n, cap;
} fzb;

static inline void fzb_put(fzb *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        if (!b->d) FZ_FAIL("out of memory");
    }
    if (n) memcpy(b->d + b->n, p, n);
    b->n += n;
}

static inline void fzb_le(fzb *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        fzb_put(b, &c, 1);
    }
}

static inline void fzb_frame(fzb *b, const uint8_t *p, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, n ? p : (const uint8_t *)"", n, 1);
    if (ZSTD_isError(zn)) FZ_FAIL("zstd");
    fzb_put(b, z, zn);
    free(z);
}

#define FZ_MAXM 24
typedef struct fz_ct {
    const char *name[FZ_MAXM];
    fzb data[FZ_MAXM];
    int n;
} fz_ct;

static inline fzb *fz_ct_add(fz_ct *c, const char *name)
{
    c->name[c->n] = name;
    memset(&c->data[c->n], 0, sizeof(fzb));
    return &c->data[c->n++];
}

/* A chunked stream of one chunk holding `raw`. */
static inline void fz_ct_stream(fz_ct *c, const char *dat, const char *idx, uint32_t per,
                                const uint8_t *raw, size_t n)
{
    fzb *d = fz_ct_add(c, dat), *x = fz_ct_add(c, idx);
    fzb_le(x, per, 4);
    fzb_le(x, 0, 8);
    fzb_frame(d, raw, n);
}

static inline void fz_ct_table(fz_ct *c, const char *dat, const char *off, const char *items)
{
    fzb *d = fz_ct_add(c, dat), *o = fz_ct_add(c, off);
    fzb_le(o, 0, 8);
    for (const char *p = items; *p;) {
        size_t l = strlen(p);
        fzb_put(d, p, l);
        fzb_le(o, d->n, 8);
        p += l + 1;
    }
}

/* Writes the container to fz_in/trace.ct (members laid out one after
 * another, level-1 mapping only) and frees the members. */
static inline void fz_ct_write(fz_ct *c)
{
    fzb f = {0};
    uint8_t zero[4096] = {0};
    fzb_put(&f, zero, 4096);
    memcpy(f.d, ctfs_magic, 5);
    f.d[5] = 4;
    f.d[7] = 1;
    f.d[9] = 0x10; /* 4096 */
    f.d[12] = 31;
    for (int k = 0; k < c->n; k++) {
        uint64_t nb = (c->data[k].n + 4095) / 4096;
        if (nb > 511) nb = 511;
        uint64_t map = f.n / 4096;
        fzb_put(&f, zero, 4096);
        for (uint64_t j = 0; j < nb; j++) {
            uint64_t blk = f.n / 4096;
            fzb_put(&f, zero, 4096);
            size_t take = c->data[k].n - j * 4096 < 4096 ? c->data[k].n - j * 4096 : 4096;
            memcpy(f.d + blk * 4096, c->data[k].d + j * 4096, take);
            memcpy(f.d + map * 4096 + j * 8, &blk, 8);
        }
        uint64_t name = 0, size = nb * 4096 < c->data[k].n ? nb * 4096 : c->data[k].n;
        ctfs_name_encode(c->name[k], strlen(c->name[k]), &name);
        memcpy(f.d + 16 + 24 * k, &size, 8);
        memcpy(f.d + 24 + 24 * k, &map, 8);
        memcpy(f.d + 32 + 24 * k, &name, 8);
        free(c->data[k].d);
    }
    fz_clear(fz_in);
    fz_put(fz_in, "trace.ct", f.d, f.n);
    free(f.d);
    c->n = 0;
}

/* The default members: meta.dat, the four tables, and one chunk per
 * stream; `which` ("steps", "values", "calls", "events", "meta", "spans")
 * is replaced by the fuzzed bytes; "stepmap" adds them as step-map.ns. For "spans", meta.dat sets flag 0x2000
 * and spans.dat is one chunk of p[1..n); spans.idx states p[0] - 1 records
 * for it, or (p[0] == 0) the count of length-prefixed records found. */
static inline void fz_ct_build(const char *which, const uint8_t *p, size_t n)
{
    static const uint8_t meta_spans[] =
        "CTMD\x03\x00\x00\x2f\x03r-1\x01p\x00\x00\x00\x01\x05/a.py";
    static const uint8_t meta[] = "CTMD\x03\x00\x00\x0f\x03r-1\x01p\x00\x00\x00\x01\x05/a.py";
    int sp = !strcmp(which, "spans");
    /* steps 0-4 (absolute, deltas, tag 7's delta), a raise of type 0
     * ("hi") and its catch (steps 5 and 6 in the stream's count), step 7;
     * a values record for each of the eight */
    static const uint8_t steps[] = {0, 1, 1, 2, 1, 2, 7, 2, 1, 0, 2, 0, 2, 'h', 'i', 3, 0, 1, 2};
    static const uint8_t values[] = {
        0,
        26, 0, 1, 0, 22, 0xa3, 0x64, 'k', 'i', 'n', 'd', 0x63, 'I', 'n', 't', 0x61, 'i', 5,
        0x67, 't', 'y', 'p', 'e', '_', 'i', 'd', 0, 0, 0, 0, 0, 0, 0};
    /* function, zigzag parent, entry, exit, depth, no arguments, the
     * return (length 1: FF, none), no exception (length 0), children */
    static const uint8_t calls[] = {11, 0, 1, 0, 7, 0, 0, 1, 0xff, 0, 1, 1,
                                    10, 1, 0, 1, 2, 1, 0, 1, 0xff, 0, 0};
    static const uint8_t events[] = {9, 0, 1, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    fz_ct c = {0};
    fzb *m = fz_ct_add(&c, "meta.dat");
    if (!strcmp(which, "meta")) fzb_put(m, p, n);
    else if (sp) fzb_put(m, meta_spans, sizeof meta_spans - 1);
    else fzb_put(m, meta, sizeof meta - 1);
    if (sp) {
        const uint8_t *q = n ? p + 1 : p, *end = p + n;
        uint64_t total = n && p[0] ? p[0] - 1u : 0;
        for (const uint8_t *r = q; n && !p[0] && r < end; total++) {
            uint64_t len = 0;
            unsigned sh = 0;
            while (r < end && (*r & 0x80) && sh < 63) {
                len |= (uint64_t)(*r & 0x7f) << sh;
                r++;
                sh += 7;
            }
            if (r >= end) break;
            len |= (uint64_t)*r << sh;
            r++;
            if (len > (uint64_t)(end - r)) break;
            r += len;
        }
        fzb *d = fz_ct_add(&c, "spans.dat"), *x = fz_ct_add(&c, "spans.idx");
        fzb_le(x, 64, 4);
        fzb_le(x, 2, 2);
        fzb_le(x, 0, 2);
        fzb_le(x, 0, 8);
        fzb_le(x, total, 8);
        fzb_frame(d, q, (size_t)(end - q));
    }
    fz_ct_table(&c, "paths.dat", "paths.off", "/a.py\0");
    fz_ct_table(&c, "funcs.dat", "funcs.off", "main\0f\0");
    fz_ct_table(&c, "types.dat", "types.off", "int\0");
    fz_ct_table(&c, "varnames.dat", "varnames.off", "x\0");
    int s = !strcmp(which, "steps"), v = !strcmp(which, "values"), k = !strcmp(which, "calls"),
        e = !strcmp(which, "events");
    fz_ct_stream(&c, "steps.dat", "steps.idx", 4096, s ? p : steps, s ? n : sizeof steps);
    fz_ct_stream(&c, "values.dat", "values.idx", 256, v ? p : values, v ? n : sizeof values);
    fz_ct_stream(&c, "calls.dat", "calls.idx", 256, k ? p : calls, k ? n : sizeof calls);
    fz_ct_stream(&c, "events.dat", "events.idx", 64, e ? p : events, e ? n : sizeof events);
    if (!strcmp(which, "stepmap")) fzb_put(fz_ct_add(&c, "step-map.ns"), p, n);
    fz_ct_write(&c);
}

/* The container fz_ct_build writes around a target's input must itself be
 * one the reader reads whole: otherwise every input fails the same way
 * before reaching the decoder under test (as happened when meta.dat's flags
 * left the streams in their older framings). Each .ct target calls this
 * once at start-up: the default members ("spans": flag 0x2000 and an empty
 * span chunk) must open and read to the end with no error, more events
 * than the tables' five. */
static inline void fz_ct_selfcheck(const char *which)
{
    int sp = !strcmp(which, "spans");
    fz_ct_build(sp ? "spans" : "none", (const uint8_t *)"", 0);
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(fz_in, &ro, &r);
    const ctrec_ev *ev;
    uint64_t k = 0;
    while (!st && (st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) k++;
    if (st || k <= 5)
        FZ_FAIL("the %s target's base container does not read: %s after %llu events: %s", which,
                ctrec_status_name(st), (unsigned long long)k, r ? ctrec_reader_errmsg(r) : "");
    ctrec_reader_close(r);
}

static inline int fz_ct_diag(const ctrec_check_diagnostic *d, void *userdata)
{
    (void)userdata;
    if (d->severity != CTREC_CHECK_ERROR && d->severity != CTREC_CHECK_WARNING)
        FZ_FAIL("check: severity %d", (int)d->severity);
    if (!d->rule || !d->rule[0] || !d->message || !d->message[0] || !d->fix || !d->fix[0])
        FZ_FAIL("check: a diagnostic without its rule, message or fix (%s)",
                d->rule ? d->rule : "NULL");
    return 0;
}

/* Check 4 of the header comment: `all` holds the events of a read with the
 * usual bound, `complete` whether it reached the end. */
static inline void fz_ct_small_bound(const char *path, const fz_texts *all, int complete,
                                     unsigned max_depth)
{
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    if (max_depth) ro.max_depth = max_depth;
    ro.max_event_bytes = 4096;
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(path, &ro, &r);
    fz_check_status(st, "open (small bound)");
    const char *want = all->p, *want_end = all->p ? all->p + all->len : NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    uint64_t k = 0;
    const ctrec_ev *ev = NULL;
    int cmp = 1; /* 0: an event fz_read did not keep (compare no further) */
    while (!st && k < all->n) {
        st = ctrec_reader_next(r, &ev);
        if (st || !ev) break;
        if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &buf, &cap, &len)) {
            cmp = 0;
            break;
        }
        const char *nl = memchr(want, '\n', (size_t)(want_end - want));
        if (!nl || (size_t)(nl - want) != len || memcmp(want, buf, len))
            FZ_FAIL("event %llu read with a bound of 4096 differs: %.*s", (unsigned long long)k,
                    (int)(len > 200 ? 200 : len), buf);
        want = nl + 1;
        k++;
    }
    if (cmp && complete) {
        if (k < all->n && !(st && ctrec_reader_event_too_large(r)))
            FZ_FAIL("with a bound of 4096 the read stopped after %llu of %llu events, not at "
                    "the bound: %s", (unsigned long long)k, (unsigned long long)all->n,
                    ctrec_reader_errmsg(r));
        if (k == all->n && !st && (st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev)
            FZ_FAIL("with a bound of 4096 the read gave more than the %llu events",
                    (unsigned long long)all->n);
    }
    free(buf);
    ctrec_reader_close(r);
}

/* The checks of the header comment on fz_in/trace.ct. */
static inline void fz_ct_check(unsigned max_depth)
{
    fz_texts all = {0}, none = {0};
    int complete = fz_read(fz_in, NULL, &all, &none, max_depth);
    char path[512];
    fz_path(path, sizeof path, fz_in, "trace.ct");
    fz_ct_small_bound(path, &all, complete, max_depth);
    free(all.p);
    free(none.p);
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    ro.max_event_bytes = 1u << 22;
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(path, &ro, &r);
    fz_check_status(st, "open");
    for (size_t i = 0; i < ctrec_reader_member_count(r); i++) {
        uint64_t size;
        const char *name = ctrec_reader_member(r, i, &size);
        if (!name) FZ_FAIL("member %zu has no name", i);
        static uint8_t buf[1 << 16];
        size_t got;
        for (uint64_t off = 0; off < size && off < (1u << 22); off += sizeof buf)
            if (ctrec_reader_read_member(r, name, off, buf, sizeof buf, &got) != CTREC_OK) break;
    }
    /* a container holding both layouts: its events.log too, which is what
     * the debugger (and ctrec check) reads */
    int log = 0, streams = 0;
    for (size_t i = 0; i < ctrec_reader_member_count(r); i++) {
        const char *name = ctrec_reader_member(r, i, NULL);
        log |= name && !strcmp(name, "events.log");
        streams |= name && !strcmp(name, "steps.dat");
    }
    if (log && streams) {
        ctrec_reader_options lo = ro;
        lo.ct_layout = CTREC_CT_LAYOUT_EVENTS_LOG;
        ctrec_reader *lr = NULL;
        ctrec_status ls = ctrec_reader_open(path, &lo, &lr);
        fz_check_status(ls, "open events.log");
        const ctrec_ev *ev;
        while (!ls && (ls = ctrec_reader_next(lr, &ev)) == CTREC_OK && ev) {
        }
        fz_check_status(ls, "read events.log");
        ctrec_reader_close(lr);
        ctrec_check_options co;
        ctrec_check_options_init(&co);
        co.check_files = 0;
        co.max_event_bytes = 1u << 22;
        ctrec_check_summary sum;
        ctrec_status cs = ctrec_check(path, &co, fz_ct_diag, NULL, &sum);
        if (cs != CTREC_OK && cs != CTREC_E_NOMEM)
            FZ_FAIL("check: status %s", ctrec_status_name(cs));
        if (!cs && (sum.errors != 0) != (sum.verdict == CTREC_CHECK_REFUSED))
            FZ_FAIL("check: %llu errors but the verdict %s", (unsigned long long)sum.errors,
                    ctrec_check_verdict_name(sum.verdict));
    }
    if (!st) {
        static const uint64_t at[] = {0, 1, 3, 2, 4097, 7};
        for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
            st = ctrec_reader_seek_step(r, at[i]);
            fz_check_status(st, "seek");
            if (st && st != CTREC_E_ARG) break;
            const ctrec_ev *ev;
            int k = 0;
            while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev && k < 1000) k++;
            if (st) break;
        }
    }
    ctrec_reader_close(r);
}

#endif
