/*
 * ct_hostile.c — the .ct reader on containers built here, byte by byte
 * (block sizes 1024 and 4096, mapping chains over two levels), and on
 * damaged ones: a truncated container, a block number past the end, a
 * mapping chain that loops, a size of 2^64, chunk indexes going backwards
 * or outside their member, zstd frames without a content size or inflating
 * past the limit, a 20-byte varint, call records whose parent or steps are
 * out of range, an unknown meta.dat flag bit. Each is refused with the
 * member and the offset in the message (checked exactly), and the steps
 * before the damage are delivered.
 *
 *   ct-hostile WORKDIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "ctfs/ctfs.h"
#include "ctrec/ctrec_reader.h"

static int failures;
static int read_ahead; /* the reader's option (--read-ahead): same results */
static char dir[4096];

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* ---- byte buffers ---- */

typedef struct bytes {
    uint8_t *d;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        if (!b->d) exit(2);
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void u8(bytes *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void uv(bytes *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v) c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void sv(bytes *b, int64_t v) { uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void le(bytes *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static void str(bytes *b, const char *s)
{
    uv(b, strlen(s));
    put(b, s, strlen(s));
}

/* ---- a container ---- */

#define MAXM 24
typedef struct member {
    const char *name;
    bytes data;
} member;

typedef struct ct {
    uint32_t bs;
    member m[MAXM];
    int n;
} ct;

static bytes *add(ct *c, const char *name)
{
    c->m[c->n].name = name;
    memset(&c->m[c->n].data, 0, sizeof(bytes));
    return &c->m[c->n++].data;
}

static bytes *find(ct *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->m[i].name, name)) return &c->m[i].data;
    return NULL;
}

/* Lays the members out: block 0 the header, then for each member its
 * level-1 mapping block, a level-2 block when needed, and its data. */
static bytes layout(const ct *c, uint64_t *map_of)
{
    uint32_t bs = c->bs;
    uint64_t u = bs / 8 - 1;
    bytes f = {0};
    uint8_t *zero = calloc(1, bs);
    put(&f, zero, bs);
    memcpy(f.d, ctfs_magic, 5);
    f.d[5] = 4;
    f.d[6] = 0;
    f.d[7] = 1;
    for (int i = 0; i < 4; i++) f.d[8 + i] = (uint8_t)(bs >> (8 * i));
    f.d[12] = 31;
    for (int k = 0; k < c->n; k++) {
        const bytes *d = &c->m[k].data;
        uint64_t nb = (d->n + bs - 1) / bs;
        uint64_t l1 = f.n / bs;
        put(&f, zero, bs);
        uint64_t l2 = 0;
        uint64_t nsub = nb > u ? (nb - u + u - 1) / u : 0;
        uint64_t sub0 = 0;
        if (nsub) {
            l2 = f.n / bs;
            put(&f, zero, bs);
            sub0 = f.n / bs;
            for (uint64_t s = 0; s < nsub; s++) put(&f, zero, bs);
            memcpy(f.d + l1 * bs + u * 8, &l2, 8);
            for (uint64_t s = 0; s < nsub; s++) {
                uint64_t b = sub0 + s;
                memcpy(f.d + l2 * bs + s * 8, &b, 8);
            }
        }
        for (uint64_t j = 0; j < nb; j++) {
            uint64_t blk = f.n / bs;
            put(&f, zero, bs);
            size_t take = d->n - j * bs < bs ? d->n - j * bs : bs;
            memcpy(f.d + blk * bs, d->d + j * bs, take);
            uint64_t at = j < u ? l1 * bs + j * 8 : (sub0 + (j - u) / u) * bs + ((j - u) % u) * 8;
            memcpy(f.d + at, &blk, 8);
        }
        uint64_t name;
        if (ctfs_name_encode(c->m[k].name, strlen(c->m[k].name), &name)) exit(3);
        uint8_t *e = f.d + 16 + 24 * k;
        uint64_t size = d->n;
        memcpy(e, &size, 8);
        memcpy(e + 8, &l1, 8);
        memcpy(e + 16, &name, 8);
        if (map_of) map_of[k] = l1;
    }
    free(zero);
    return f;
}

static void spill(const char *name, const bytes *b)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(b->d, 1, b->n, f) != b->n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(2);
    }
}

/* ---- a chunked stream ---- */

static void frame(bytes *dat, const bytes *raw, int with_size)
{
    size_t cap = ZSTD_compressBound(raw->n) + 64;
    uint8_t *z = malloc(cap);
    size_t zn;
    if (with_size) {
        zn = ZSTD_compress(z, cap, raw->n ? raw->d : (const uint8_t *)"", raw->n, 3);
    } else {
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
        ZSTD_inBuffer in = {raw->d, raw->n, 0};
        ZSTD_outBuffer out = {z, cap, 0};
        ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);
        zn = out.pos;
        ZSTD_freeCCtx(cc);
    }
    if (ZSTD_isError(zn)) exit(4);
    put(dat, z, zn);
    free(z);
}

/* A stream of `n` chunks whose raw payloads are given. */
static void stream(ct *c, const char *dat_name, const char *idx_name, uint32_t per,
                   const bytes *chunks, int n)
{
    bytes *dat = add(c, dat_name);
    bytes *idx = add(c, idx_name);
    le(idx, per, 4);
    for (int i = 0; i < n; i++) {
        le(idx, dat->n, 8);
        frame(dat, &chunks[i], 1);
    }
}

static void table(ct *c, const char *dat_name, const char *off_name, const char *const *items,
                  int n)
{
    bytes *dat = add(c, dat_name);
    bytes *off = add(c, off_name);
    le(off, 0, 8);
    for (int i = 0; i < n; i++) {
        put(dat, items[i], strlen(items[i]));
        le(off, dat->n, 8);
    }
}

static void meta(ct *c, unsigned version, unsigned flags)
{
    bytes *m = add(c, "meta.dat");
    put(m, "CTMD", 4);
    le(m, version, 2);
    le(m, flags, 2);
    str(m, "019fb12a-0000-7000-8000-000000000000");
    str(m, "prog.py");
    uv(m, 1);
    str(m, "--x");
    str(m, "/w");
    str(m, "ctrec-test");
    uv(m, 1);
    str(m, "/w/a.py");
}

/* CBOR {"kind":"Int","i":v,"type_id":0} */
static void cbor_int(bytes *b, int v)
{
    static const uint8_t h[] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x63, 'I', 'n', 't', 0x61, 'i'};
    put(b, h, sizeof h);
    u8(b, (unsigned)v < 24 ? (unsigned)v : 0); /* small ints only */
    static const uint8_t t[] = {0x67, 't', 'y', 'p', 'e', '_', 'i', 'd', 0x00};
    put(b, t, sizeof t);
}

/*
 * The base trace: 10 steps on /w/a.py lines 1..10 (steps.dat: 4 per chunk,
 * so 3 chunks), values: step k has x = k (4 per chunk), calls: one root
 * call "main" over steps 0-9 and a child "f" over 2-4 (with argument x=2
 * and return 7), one event at step 5.
 */
typedef struct opts {
    unsigned meta_flags;     /* or-ed with 0x0f00 (the chunked framings) */
    int raw_flags;           /* meta_flags as they are */
    int call_parent_child;   /* parent of "f" */
    int call_exit_child;     /* exit step of "f" */
    int bad_varint;          /* a 20-byte varint in step 6 */
    int call_exit_root;      /* exit step of "main" (0: 9) */
    uint32_t root_children;  /* extra child ids listed by "main" (a big record) */
    uint32_t root_len_extra; /* added to the length of "main"'s record */
    uint32_t arg_len_extra;  /* added to the length of "f"'s argument (of the last
                              * call with more_calls) */
    int more_calls;          /* two more calls of "f", at steps 5 and 6 */
    uint32_t arg_pad;        /* zero bytes after "f"'s argument, inside its length
                              * (of the last call): a record over the window */
    unsigned meta_version;   /* meta.dat's version (0: 3) */
} opts;

static ct base(uint32_t bs, const opts *o)
{
    ct c = {0};
    c.bs = bs;
    meta(&c, o->meta_version ? o->meta_version : 3,
         o->raw_flags ? o->meta_flags : o->meta_flags | 0x0f00);
    const char *paths[] = {"/w/a.py"}, *funcs[] = {"main", "f"}, *types[] = {"int"},
               *vars[] = {"x"};
    table(&c, "paths.dat", "paths.off", paths, 1);
    table(&c, "funcs.dat", "funcs.off", funcs, 2);
    table(&c, "types.dat", "types.off", types, 1);
    table(&c, "varnames.dat", "varnames.off", vars, 1);
    bytes sc[3] = {{0}}, vc[3] = {{0}}, cc[1] = {{0}}, ec[1] = {{0}};
    for (int k = 0; k < 10; k++) {
        bytes *s = &sc[k / 4];
        if (k % 4 == 0) {
            u8(s, 0);
            uv(s, 1 + (uint64_t)k); /* path 0, line k+1 */
        } else if (k == 6 && o->bad_varint) {
            u8(s, 0);
            for (int i = 0; i < 19; i++) u8(s, 0x80);
            u8(s, 0x01);
        } else {
            u8(s, 1);
            sv(s, 1);
        }
        bytes rec = {0};
        u8(&rec, 0);
        uv(&rec, 1);
        uv(&rec, 0);
        bytes v = {0};
        cbor_int(&v, k);
        uv(&rec, v.n);
        put(&rec, v.d, v.n);
        uv(&vc[k / 4], rec.n);
        put(&vc[k / 4], rec.d, rec.n);
        free(v.d);
        free(rec.d);
    }
    stream(&c, "steps.dat", "steps.idx", 4, sc, 3);
    stream(&c, "values.dat", "values.idx", 4, vc, 3);
    /* calls */
    int ncalls = o->more_calls ? 4 : 2;
    for (int k = 0; k < ncalls; k++) {
        bytes r = {0};
        int extra = k >= 2;                                    /* a later call of "f" */
        uv(&r, (uint64_t)(k ? 1 : 0));                         /* function */
        sv(&r, k == 0 ? -1 : extra ? 0 : o->call_parent_child); /* parent */
        uv(&r, k == 0 ? 0 : extra ? 3 + (uint64_t)k : 2);      /* entry */
        uv(&r, k == 0 ? (o->call_exit_root ? (uint64_t)o->call_exit_root : 9)
               : extra ? 3 + (uint64_t)k
                       : (uint64_t)o->call_exit_child);        /* exit */
        uv(&r, (uint64_t)(k ? 1 : 0));                         /* depth */
        uv(&r, (uint64_t)(k ? 1 : 0));                         /* args */
        if (k) {
            uv(&r, 0);
            bytes v = {0};
            cbor_int(&v, 2);
            uint32_t pad = k == ncalls - 1 ? o->arg_pad : 0;
            uv(&r, v.n + pad + (k == ncalls - 1 ? o->arg_len_extra : 0));
            put(&r, v.d, v.n);
            for (uint32_t i = 0; i < pad; i++) u8(&r, 0);
            free(v.d);
        }
        if (k) {
            bytes v = {0};
            cbor_int(&v, 7);
            uv(&r, v.n);
            put(&r, v.d, v.n);
            free(v.d);
        } else {
            uv(&r, 1);
            u8(&r, 0xff);
        }
        uv(&r, 0); /* exception */
        uv(&r, k ? 0 : 1 + (uint64_t)o->root_children);
        if (!k) uv(&r, 1);
        for (uint32_t i = 0; !k && i < o->root_children; i++) uv(&r, 1000000u + i);
        uv(&cc[0], r.n + (k ? 0 : o->root_len_extra));
        put(&cc[0], r.d, r.n);
        free(r.d);
    }
    stream(&c, "calls.dat", "calls.idx", 256, cc, 1);
    bytes ev = {0};
    u8(&ev, 0);
    uv(&ev, 5);
    str(&ev, "");
    str(&ev, "hello\n");
    uv(&ec[0], ev.n);
    put(&ec[0], ev.d, ev.n);
    free(ev.d);
    stream(&c, "events.dat", "events.idx", 64, ec, 1);
    for (int i = 0; i < 3; i++) {
        free(sc[i].d);
        free(vc[i].d);
    }
    free(cc[0].d);
    free(ec[0].d);
    return c;
}

static void ct_free(ct *c)
{
    for (int i = 0; i < c->n; i++) free(c->m[i].data.d);
}

/* ---- reading ---- */

static char out[1 << 16];
static char msg[1024];
static int nsteps;
static int too_large; /* ctrec_reader_event_too_large after the read */

static const ctrec_reader_options *ra_opts(void)
{
    static ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    o.read_ahead = read_ahead;
    return &o;
}

static ctrec_status read_file(const char *name, size_t max_event)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    o.read_ahead = read_ahead;
    if (max_event) o.max_event_bytes = max_event;
    ctrec_reader *r;
    out[0] = 0;
    msg[0] = 0;
    nsteps = 0;
    ctrec_status st = ctrec_reader_open(p, &o, &r);
    if (!st) {
        const ctrec_ev *ev;
        char *line = NULL;
        size_t cap = 0, len, used = 0;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
            if (ev->type == CTREC_EV_STEP) nsteps++;
            if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &cap, &len)) break;
            if (used + len + 2 < sizeof out) {
                memcpy(out + used, line, len);
                used += len;
                out[used++] = '\n';
                out[used] = 0;
            }
        }
        free(line);
    }
    snprintf(msg, sizeof msg, "%s", ctrec_reader_errmsg(r));
    too_large = ctrec_reader_event_too_large(r);
    ctrec_reader_close(r);
    return st;
}

static void expect(const char *file, ctrec_status want, const char *want_msg, int want_steps,
                   size_t max_event)
{
    ctrec_status st = read_file(file, max_event);
    CHECK(st == want, "%s: status %s, expected %s (%s)", file, ctrec_status_name(st),
          ctrec_status_name(want), msg);
    CHECK(!strcmp(msg, want_msg), "%s: message\n  got:      %s\n  expected: %s", file, msg,
          want_msg);
    CHECK(nsteps == want_steps, "%s: %d steps delivered, expected %d", file, nsteps, want_steps);
}

static const opts good = {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0};

/* The base trace with options o, in 4096-byte blocks, as file `name`: read
 * with the event limit max_event (0: the default) to the error want
 * (message want_msg) after want_steps steps. */
static void damaged_at(const opts *o, const char *name, ctrec_status want, const char *want_msg,
                       int want_steps, size_t max_event)
{
    ct c = base(4096, o);
    bytes f = layout(&c, NULL);
    spill(name, &f);
    expect(name, want, want_msg, want_steps, max_event);
    free(f.d);
    ct_free(&c);
}

static void damaged(const opts *o, const char *name, ctrec_status want, const char *want_msg,
                    int want_steps)
{
    damaged_at(o, name, want, want_msg, want_steps, 0);
}

static const char whole[] =
    "{\"Path\":\"/w/a.py\"}\n"
    "{\"Function\":{\"path_id\":0,\"line\":0,\"name\":\"main\"}}\n"
    "{\"Function\":{\"path_id\":0,\"line\":0,\"name\":\"f\"}}\n"
    "{\"Type\":{\"kind\":16,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}\n"
    "{\"VariableName\":\"x\"}\n"
    "{\"Step\":{\"path_id\":0,\"line\":1}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":0,\"type_id\":0}}}\n"
    "{\"Call\":{\"function_id\":0,\"args\":[]}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":2}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":0}}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":3}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":0}}}\n"
    "{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":0}}]}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":4}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":3,\"type_id\":0}}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":5}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":4,\"type_id\":0}}}\n"
    "{\"Return\":{\"return_value\":{\"kind\":\"Int\",\"i\":7,\"type_id\":0}}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":6}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":5,\"type_id\":0}}}\n"
    "{\"Event\":{\"kind\":0,\"metadata\":\"\",\"content\":\"hello\\n\"}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":7}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":6,\"type_id\":0}}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":8}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":7,\"type_id\":0}}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":9}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":8,\"type_id\":0}}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":10}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":9,\"type_id\":0}}}\n"
    "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}\n";

/* Patches the u64 at byte `at` of file `f`. */
static void poke64(bytes *f, size_t at, uint64_t v) { memcpy(f->d + at, &v, 8); }

static void test_good(void)
{
    uint32_t sizes[] = {1024, 2048, 4096};
    for (int i = 0; i < 3; i++) {
        ct c = base(sizes[i], &good);
        bytes f = layout(&c, NULL);
        char name[64];
        snprintf(name, sizeof name, "good-%u.ct", sizes[i]);
        spill(name, &f);
        expect(name, CTREC_OK, "", 10, 0);
        CHECK(!strcmp(out, whole), "%s: events\n%s", name, out);
        free(f.d);
        ct_free(&c);
    }
    /* a member over two mapping levels (block size 1024: 127 blocks a
     * level-1 block), read back exactly */
    ct c = base(1024, &good);
    bytes *big = add(&c, "big.bin");
    for (uint32_t i = 0; i < 300u * 1024u / 4; i++) le(big, i * 2654435761u, 4);
    bytes f = layout(&c, NULL);
    spill("two-levels.ct", &f);
    char p[4200];
    snprintf(p, sizeof p, "%s/two-levels.ct", dir);
    ctrec_reader *r;
    CHECK(ctrec_reader_open(p, ra_opts(), &r) == CTREC_OK, "two-levels: %s",
          ctrec_reader_errmsg(r));
    uint8_t *back = malloc(big->n);
    size_t got = 0;
    CHECK(ctrec_reader_read_member(r, "big.bin", 0, back, big->n, &got) == CTREC_OK &&
              got == big->n && !memcmp(back, big->d, big->n),
          "two-levels: member read back differs (%zu bytes, %s)", got, ctrec_reader_errmsg(r));
    free(back);
    ctrec_reader_close(r);
    /* the level-2 chain pointing at the level-1 block itself: a loop */
    uint64_t maps[MAXM];
    free(f.d);
    f = layout(&c, maps);
    int bi = c.n - 1;
    poke64(&f, maps[bi] * 1024 + 127 * 8, maps[bi]);
    spill("loop.ct", &f);
    snprintf(p, sizeof p, "%s/loop.ct", dir);
    CHECK(ctrec_reader_open(p, ra_opts(), &r) == CTREC_OK, "loop: %s",
          ctrec_reader_errmsg(r));
    uint8_t tmp[16];
    CHECK(ctrec_reader_read_member(r, "big.bin", 127 * 1024, tmp, 16, &got) == CTREC_E_FORMAT,
          "loop: accepted");
    CHECK(!strcmp(ctrec_reader_errmsg(r),
                  "loop.ct: big.bin: the mapping chain loops back to block 35 (member offset "
                  "130048)"),
          "loop: %s", ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
    free(f.d);
    ct_free(&c);
}

/* The root call's record lists every child, so it grows with the trace:
 * one of 1.2 MB (more than the 1 MB of calls.dat the reader holds) reads
 * to the same events, also with a 256 KB event limit, which a chunk
 * decompressed whole would exceed. */
static void test_big_root_record(void)
{
    opts o = good;
    o.root_children = 400000; /* 3-byte varints */
    ct c = base(4096, &o);
    bytes f = layout(&c, NULL);
    spill("big-root.ct", &f);
    expect("big-root.ct", CTREC_OK, "", 10, 0);
    CHECK(!strcmp(out, whole), "big-root.ct: events\n%s", out);
    expect("big-root.ct", CTREC_OK, "", 10, 256 * 1024);
    CHECK(!strcmp(out, whole), "big-root.ct (256 KB limit): events\n%s", out);
    free(f.d);
    ct_free(&c);
    /* the big record claiming more bytes than its chunk holds */
    o.root_len_extra = 100000;
    damaged(&o, "big-root-past.ct", CTREC_E_FORMAT,
            "big-root-past.ct: event 8: calls.dat: chunk 0 at byte 0: record 0 runs past the end "
            "of the chunk",
            1);
}

static void test_container_damage(void)
{
    ct c = base(4096, &good);
    uint64_t maps[MAXM];
    bytes f = layout(&c, maps);
    /* truncated: the file ends inside steps.dat's data */
    bytes t = f;
    t.n = maps[9] * 4096 + 100; /* steps.dat is member 9; its map block and a bit */
    spill("truncated.ct", &t);
    expect("truncated.ct", CTREC_E_FORMAT,
           "truncated.ct: member steps.dat (root entry 9): mapping block 19 is outside the "
           "container's 19 blocks",
           0, 0);
    /* a data block number past the end (steps.dat's first block) */
    bytes g = {0};
    put(&g, f.d, f.n);
    poke64(&g, maps[9] * 4096, 999999);
    spill("past-end.ct", &g);
    expect("past-end.ct", CTREC_E_FORMAT,
           "past-end.ct: event 5: steps.dat: data block 999999 for member offset 0 is past "
           "the end of the container (35 blocks)",
           0, 0);
    free(g.d);
    /* the header: block size, root entry count, length; a root entry's
     * name (what ctfs_open checks before any member is read) */
    static const struct {
        const char *file;
        size_t at, n;
        uint64_t v;
        ctrec_status want;
        const char *msg;
    } hdr[] = {
        {"bs1000.ct", 8, 4, 1000, CTREC_E_FORMAT,
         "bs1000.ct: block size 1000 at byte 8 is not 1024, 2048 or 4096"},
        {"entries0.ct", 12, 4, 0, CTREC_E_FORMAT, "entries0.ct: no root entries (byte 12 says 0)"},
        {"entries200.ct", 12, 4, 200, CTREC_E_FORMAT,
         "entries200.ct: 200 root entries at byte 12 do not fit in the 4096-byte first block"},
        {"name.ct", 32, 8, UINT64_MAX, CTREC_E_FORMAT,
         "name.ct: root entry 0 (byte 16): 0xffffffffffffffff is not a base40 member name"},
        {"short.ct", 0, 0, 3000, CTREC_E_TRUNCATED,
         "short.ct: the container (3000 bytes) is shorter than its first block"},
        /* versions of the format's later revision, and one of none */
        /* (named by their whole path: the reader has not yet taken them
         * for a container) */
        {"v5.ct", 5, 1, 5, CTREC_E_UNSUPPORTED,
         "/v5.ct: binary trace version 5 is not supported (v1 is trace.bin, v2-v4 the CTFS "
         "container; v0 is Cap'n Proto): versions 5 and 6 belong to the format's later revision "
         "(autumn 2026), which ctrec does not read yet"},
        {"v6.ct", 5, 1, 6, CTREC_E_UNSUPPORTED,
         "/v6.ct: binary trace version 6 is not supported (v1 is trace.bin, v2-v4 the CTFS "
         "container; v0 is Cap'n Proto): versions 5 and 6 belong to the format's later revision "
         "(autumn 2026), which ctrec does not read yet"},
        {"v7.ct", 5, 1, 7, CTREC_E_UNSUPPORTED,
         "/v7.ct: binary trace version 7 is not supported (v1 is trace.bin, v2-v4 the CTFS "
         "container; v0 is Cap'n Proto)"},
    };
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        g = (bytes){0};
        put(&g, f.d, hdr[i].n ? f.n : (size_t)hdr[i].v);
        for (size_t k = 0; k < hdr[i].n; k++) g.d[hdr[i].at + k] = (uint8_t)(hdr[i].v >> (8 * k));
        spill(hdr[i].file, &g);
        char want[sizeof dir + 400];
        snprintf(want, sizeof want, "%s%s", hdr[i].msg[0] == '/' ? dir : "", hdr[i].msg);
        expect(hdr[i].file, hdr[i].want, want, 0, 0);
        free(g.d);
    }
    /* a size of 2^64 - 1 */
    g = (bytes){0};
    put(&g, f.d, f.n);
    poke64(&g, 16 + 24 * 9, UINT64_MAX);
    spill("size64.ct", &g);
    expect("size64.ct", CTREC_E_FORMAT,
           "size64.ct: member steps.dat (root entry 9): size 18446744073709551615 is larger "
           "than the whole container (143360 bytes)",
           0, 0);
    free(g.d);
    free(f.d);
    ct_free(&c);
}

static void test_stream_damage(void)
{
    /* steps.idx: chunk 2 going backwards, then outside steps.dat */
    for (int k = 0; k < 2; k++) {
        ct c = base(4096, &good);
        bytes *idx = find(&c, "steps.idx");
        uint64_t v = k == 0 ? 1 : 1u << 20;
        memcpy(idx->d + 4 + 16, &v, 8);
        bytes f = layout(&c, NULL);
        const char *name = k == 0 ? "idx-backwards.ct" : "idx-outside.ct";
        spill(name, &f);
        if (k == 0)
            expect(name, CTREC_E_FORMAT,
                   "idx-backwards.ct: event 15: steps.idx: chunk 2 (offset at byte 20) starts at "
                   "byte 1, not after chunk 1 at byte 17 (the index goes backwards)",
                   4, 0);
        else
            expect(name, CTREC_E_FORMAT,
                   "idx-outside.ct: event 15: steps.idx: chunk 1 ends at byte 1048576 (the "
                   "offset of chunk 2, at byte 20), outside steps.dat (47 bytes)",
                   4, 0);
        free(f.d);
        ct_free(&c);
    }
    /* a 20-byte varint in step 6 */
    opts o = good;
    o.bad_varint = 1;
    ct c = base(4096, &o);
    bytes f = layout(&c, NULL);
    spill("varint20.ct", &f);
    expect("varint20.ct", CTREC_E_FORMAT,
           "varint20.ct: event 21: steps.dat: step 6 (chunk 1 at byte 17, decompressed byte 4, "
           "tag 0x00): a varint longer than 10 bytes",
           6, 0);
    free(f.d);
    ct_free(&c);
    /* a chunk without its content size; one inflating past the limit (3
     * MiB of empty records: streamed through a window, not refused, since
     * no record is over the limit); one holding a record over the limit */
    for (int k = 0; k < 3; k++) {
        c = base(4096, &good);
        bytes *dat = find(&c, "values.dat"), *idx = find(&c, "values.idx");
        bytes raw = {0};
        if (k == 0) put(&raw, "\x05\x00\x01\x00\x00\x00", 6);
        else {
            if (k == 2) put(&raw, "\x80\x80\x80\x01", 4); /* a record of 2 MiB */
            uint8_t *zeros = calloc(1, 3u << 20);
            put(&raw, zeros, 3u << 20);
            free(zeros);
        }
        uint64_t at;
        memcpy(&at, idx->d + 4 + 16, 8);
        dat->n = at; /* chunk 2 replaced */
        frame(dat, &raw, k != 0);
        free(raw.d);
        f = layout(&c, NULL);
        const char *name = k == 0 ? "no-content-size.ct" : k == 1 ? "bomb.ct" : "big-record.ct";
        spill(name, &f);
        char want[512] = "";
        uint64_t end = at;
        if (k != 1)
            snprintf(want, sizeof want,
                     k == 0 ? "no-content-size.ct: event 25: values.dat: chunk 2 at byte %llu: "
                              "the zstd frame does not state its content size"
                            : "big-record.ct: event 25: values.dat: record 8 (chunk 2 at byte "
                              "%llu, decompressed byte 0) is 2097152 bytes, over the "
                              "1048576-byte limit",
                     (unsigned long long)end);
        expect(name, k == 1 ? CTREC_OK : CTREC_E_FORMAT, want, k == 1 ? 10 : 8,
               k ? (1u << 20) : 0);
        /* the bound, not damage: a larger one reads on */
        CHECK(too_large == (k == 2), "%s: event_too_large %d", name, too_large);
        free(f.d);
        ct_free(&c);
    }
    /* meta.dat over the bound, at open */
    c = base(4096, &good);
    f = layout(&c, NULL);
    spill("meta-bound.ct", &f);
    expect("meta-bound.ct", CTREC_E_FORMAT,
           "meta-bound.ct: meta.dat: 81 bytes, over the 64-byte limit", 0, 64);
    CHECK(too_large == 1, "meta-bound.ct: event_too_large %d", too_large);
    free(f.d);
    ct_free(&c);
}

static void test_call_damage(void)
{
    opts o = good;
    o.call_parent_child = 5; /* not before record 1 */
    ct c = base(4096, &o);
    bytes f = layout(&c, NULL);
    spill("call-parent.ct", &f);
    expect("call-parent.ct", CTREC_E_FORMAT,
           "call-parent.ct: event 12: calls.dat: record 1 (chunk 0 at byte 0): parent call 5 is "
           "out of range (a call's parent comes before it)",
           3, 0);
    free(f.d);
    ct_free(&c);
    o = good;
    o.call_exit_child = 1; /* before its entry */
    damaged(&o, "call-exit.ct", CTREC_E_FORMAT,
            "call-exit.ct: event 12: calls.dat: record 1 (chunk 0 at byte 0): exit step 1 is "
            "before its entry step 2",
            3);
    o = good;
    o.call_exit_child = 40; /* past its parent's exit */
    damaged(&o, "call-nest.ct", CTREC_E_FORMAT,
            "call-nest.ct: event 12: calls.dat: record 1 (chunk 0 at byte 0): exit step 40 is "
            "after the exit step 9 of its parent (record 0)",
            3);
    o = good;
    o.arg_len_extra = 40; /* the argument runs past the record */
    damaged(&o, "call-arg.ct", CTREC_E_FORMAT,
            "call-arg.ct: event 8: calls.dat: record 1 (chunk 0 at byte 0): an argument runs past "
            "the record",
            1);
    o = good;
    o.more_calls = 1; /* the damaged record read by a batch, after a Call it gave */
    o.arg_len_extra = 40;
    damaged(&o, "call-arg-batch.ct", CTREC_E_FORMAT,
            "call-arg-batch.ct: event 21: calls.dat: record 3 (chunk 0 at byte 0): an argument "
            "runs past the record",
            6);
    /* A record whose argument alone is over the 1 MiB of calls.dat the
     * reader holds: it reads on for it (widening its window), up to the
     * event limit. Past the record at the default limit, the same message
     * as above; with a 1 MiB limit, cut there. */
    o = good;
    o.arg_pad = 1500000;
    o.arg_len_extra = 40;
    damaged(&o, "call-arg-big.ct", CTREC_E_FORMAT,
            "call-arg-big.ct: event 8: calls.dat: record 1 (chunk 0 at byte 0): an argument runs "
            "past the record",
            1);
    o.arg_len_extra = 0;
    damaged_at(&o, "call-arg-limit.ct", CTREC_E_FORMAT,
               "call-arg-limit.ct: event 8: calls.dat: record 1 (chunk 0 at byte 0): an argument "
               "runs past the record (its first 1048576 bytes, the reader's event limit, do not "
               "hold its fields before the children)",
               1, 1u << 20);
    o = good;
    o.call_exit_root = 12; /* past the last step */
    damaged(&o, "call-past.ct", CTREC_E_FORMAT,
            "call-past.ct: event 29: calls.dat: record 0: exit step 12 is past the last step (10 "
            "steps)",
            10);
}

static void test_meta(void)
{
    /* meta.dat bit 9 clear: steps.dat is in its older framing (as the
     * reference reader decides), which this chunked steps.idx is not */
    {
        opts o = good;
        o.raw_flags = 1;
        o.meta_flags = 0x0d00;
        ct c = base(4096, &o);
        bytes f = layout(&c, NULL);
        spill("bit9.ct", &f);
        expect("bit9.ct", CTREC_E_FORMAT,
               "bit9.ct: steps.idx: the total of 34 records (at byte 20) does not fit 1 chunks "
               "of 4",
               0, 0);
        free(f.d);
        ct_free(&c);
    }
    /* versions of the format's later revision (4 to 6), and one of none */
    for (unsigned v = 2; v <= 7; v++) {
        if (v == 3) continue;
        opts o = good;
        o.meta_version = v;
        char name[32], want[400];
        snprintf(name, sizeof name, "meta%u.ct", v);
        snprintf(want, sizeof want, "%s: meta.dat: version %u at offset 4 (only 3 is read)%s", name,
                 v,
                 v >= 4 && v <= 6
                     ? ": versions 4 to 6 belong to the format's later revision (autumn 2026: "
                       "another global line index, no path list from 6), which ctrec does not "
                       "read yet"
                     : "");
        damaged(&o, name, CTREC_E_UNSUPPORTED, want, 0);
    }
    /* 0x2000 (the span stream) and 0x4000 (unknown to everyone): read past */
    opts o = good;
    o.meta_flags = 0x6000;
    ct c = base(4096, &o);
    bytes f = layout(&c, NULL);
    spill("flags.ct", &f);
    expect("flags.ct", CTREC_OK, "", 10, 0);
    CHECK(!strcmp(out, whole), "flags.ct: events differ");
    char p[4200];
    snprintf(p, sizeof p, "%s/flags.ct", dir);
    ctrec_reader *r;
    CHECK(ctrec_reader_open(p, ra_opts(), &r) == CTREC_OK, "flags.ct: %s",
          ctrec_reader_errmsg(r));
    const ctrec_trace_metadata *m = ctrec_reader_metadata(r);
    CHECK(!strcmp(m->program, "prog.py") && !strcmp(m->workdir, "/w") && m->nargs == 1 &&
              !strcmp(m->args[0], "--x"),
          "flags.ct: metadata");
    const char *json;
    CHECK(ctrec_reader_meta_extra_count(r) == 3 &&
              !strcmp(ctrec_reader_meta_extra(r, 0, &json), "recorder_id") &&
              !strcmp(json, "\"ctrec-test\"") &&
              !strcmp(ctrec_reader_meta_extra(r, 2, &json), "meta_flags") &&
              !strcmp(json, "28416"),
          "flags.ct: meta extras");
    CHECK(ctrec_reader_note_count(r) == 2 &&
              !strcmp(ctrec_reader_note(r, 0),
                      "meta.dat: flag bits 0x4000 are not known to this reader (read past)") &&
              !strcmp(ctrec_reader_note(r, 1),
                      "meta.dat: flag 0x2000 (a span stream) without spans.dat and spans.idx: "
                      "no span records"),
          "flags.ct: notes (%s | %s)", ctrec_reader_note(r, 0), ctrec_reader_note(r, 1));
    /* random access: step 6 */
    CHECK(ctrec_reader_seek_step(r, 6) == CTREC_OK, "seek: %s", ctrec_reader_errmsg(r));
    const ctrec_ev *ev;
    CHECK(ctrec_reader_next(r, &ev) == CTREC_OK && ev && ev->type == CTREC_EV_STEP &&
              ev->step.line == 7,
          "seek: not at step 6");
    CHECK(ctrec_reader_seek_step(r, 10) == CTREC_OK &&
              ctrec_reader_next(r, &ev) == CTREC_OK && !ev,
          "seek to the end: %s", ctrec_reader_errmsg(r));
    CHECK(ctrec_reader_seek_step(r, 11) == CTREC_E_ARG &&
              !strcmp(ctrec_reader_errmsg(r),
                      "flags.ct: seeking step 11: step 11 is past the last step (10)"),
          "seek past the end: %s", ctrec_reader_errmsg(r));
    CHECK(ctrec_reader_seek_step(r, 2) == CTREC_OK && ctrec_reader_next(r, &ev) == CTREC_OK &&
              ev && ev->type == CTREC_EV_STEP && ev->step.line == 3,
          "seek back after an error: %s", ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
    free(f.d);
    ct_free(&c);
}

/* Following: the container is first published with only steps.dat's and
 * values.dat's first chunk, then (from another process, while the reader
 * waits) with all of them, as a recorder publishes sizes after its data. */
static void test_follow(void)
{
    ct c = base(4096, &good);
    bytes full = layout(&c, NULL);
    bytes first = {0};
    put(&first, full.d, full.n);
    /* steps.dat is member 9 (idx 10), values.dat 11 (idx 12) */
    for (int k = 9; k <= 12; k += 2) {
        const bytes *idx = &c.m[k + 1].data;
        uint64_t chunk1;
        memcpy(&chunk1, idx->d + 4 + 8, 8);
        poke64(&first, 16 + 24 * (size_t)k, chunk1);  /* .dat: chunk 0 only */
        poke64(&first, 16 + 24 * (size_t)(k + 1), 12); /* .idx: one offset */
    }
    spill("follow.ct", &first);
    /* read as it is, without following: the first chunk's steps, then the
     * calls open past them are reported */
    expect("follow.ct", CTREC_E_FORMAT,
           "follow.ct: event 15: calls.dat: record 1: exit step 4 is past the last step (4 "
           "steps)",
           4, 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/follow.ct", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(300 * 1000);
        FILE *f = fopen(p, "r+b");
        if (!f || fwrite(full.d, 1, 4096, f) != 4096 || fclose(f)) _exit(1);
        _exit(0);
    }
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    o.read_ahead = read_ahead;
    o.follow = 1;
    o.poll_ms = 20;
    o.follow_timeout_ms = 1500;
    ctrec_reader *r;
    CHECK(ctrec_reader_open(p, &o, &r) == CTREC_OK, "follow: %s", ctrec_reader_errmsg(r));
    const ctrec_ev *ev;
    ctrec_status st;
    int steps = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev)
        if (ev->type == CTREC_EV_STEP) steps++;
    CHECK(st == CTREC_OK && steps == 10, "follow: %d steps, %s", steps, ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
    int ws;
    waitpid(pid, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "follow: the publisher failed");
    free(first.d);
    free(full.d);
    ct_free(&c);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[2], "--read-ahead")) read_ahead = 1;
    else if (argc != 2) {
        fprintf(stderr, "usage: ct-hostile WORKDIR [--read-ahead]\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    test_good();
    test_big_root_record();
    test_container_damage();
    test_stream_damage();
    test_call_damage();
    test_meta();
    test_follow();
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("ct-hostile: ok\n");
    return 0;
}
