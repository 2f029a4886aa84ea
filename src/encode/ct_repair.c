/*
 * ct_repair.c — completes a .ct whose recording was killed. See
 * ct_repair.h for what is kept and how the calls are closed.
 */
#define _POSIX_C_SOURCE 200809L
#include "encode/ct_repair.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "ctfs/ctfs.h"
#include "ctfs/ctfs_write.h"
#include "ctrec/ctrec.h"
#include "encode/ct_writer.h"
#include "util/buf.h"
#include "util/le.h"

#define MAX_CHUNK ((uint64_t)256 << 20) /* a chunk inflating past this is damage */

static ctrec_status nomem(err *e) { return err_set(e, CTREC_E_NOMEM, "out of memory"); }

static void bvar(buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    buf_put(b, t, n);
}

/* ------------------------------------------------------------------ */
/* the streams of the killed container                                 */

typedef struct rstream {
    const char *base;
    const ctfs_member *dat, *idx;
    uint32_t per;
    uint64_t nchunks; /* chunks that decode (a last one that does not is dropped) */
    uint64_t count;   /* records in them */
} rstream;

static ctrec_status chunk_bounds(ctfs *c, rstream *s, uint64_t i, uint64_t *start,
                                 uint64_t *end, err *e)
{
    uint8_t b[16];
    uint64_t total = (s->idx->size - 4) / 8;
    int next = i + 1 < total;
    ctrec_status st = ctfs_read_at(c, s->idx, 4 + 8 * i, b, next ? 16 : 8, e);
    if (st) return st;
    *start = load_le64(b);
    *end = next ? load_le64(b + 8) : s->dat->size;
    if (*start >= *end || *end > s->dat->size)
        return err_set(e, CTREC_E_FORMAT, "%s.idx: chunk %llu has bytes %llu..%llu of %llu",
                       s->base, (unsigned long long)i, (unsigned long long)*start,
                       (unsigned long long)*end, (unsigned long long)s->dat->size);
    return CTREC_OK;
}

/* Chunk i's compressed bytes into z and its records into raw. */
static ctrec_status load_chunk(ctfs *c, rstream *s, uint64_t i, buf *z, buf *raw, err *e)
{
    uint64_t start, end;
    ctrec_status st = chunk_bounds(c, s, i, &start, &end, e);
    if (st) return st;
    if (end - start > MAX_CHUNK)
        return err_set(e, CTREC_E_FORMAT, "%s.dat: chunk %llu is too large", s->base,
                       (unsigned long long)i);
    z->len = 0;
    if (buf_reserve(z, (size_t)(end - start))) return nomem(e);
    if ((st = ctfs_read_at(c, s->dat, start, z->data, (size_t)(end - start), e))) return st;
    z->len = (size_t)(end - start);
    unsigned long long want = ZSTD_getFrameContentSize(z->data, z->len);
    if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN || want > MAX_CHUNK)
        return err_set(e, CTREC_E_FORMAT, "%s.dat: chunk %llu at byte %llu is not a zstd frame "
                       "with its size", s->base, (unsigned long long)i, (unsigned long long)start);
    raw->len = 0;
    if (buf_reserve(raw, (size_t)want + 1)) return nomem(e);
    size_t got = ZSTD_decompress(raw->data, (size_t)want, z->data, z->len);
    if (ZSTD_isError(got) || got != want)
        return err_set(e, CTREC_E_FORMAT, "%s.dat: chunk %llu at byte %llu does not decode",
                       s->base, (unsigned long long)i, (unsigned long long)start);
    raw->len = got;
    return CTREC_OK;
}

/* The end of the record at p: steps.dat's are tagged, the others
 * length-prefixed. NULL when it runs past `end`. */
static const uint8_t *rec_end(int tagged, const uint8_t *p, const uint8_t *end)
{
    uint64_t a, b;
    if (!tagged) {
        if (ctw_vget(&p, end, &a) || a > (uint64_t)(end - p)) return NULL;
        return p + a;
    }
    if (p >= end) return NULL;
    uint8_t tag = *p++;
    if (tag > 7 || ctw_vget(&p, end, &a)) return NULL;
    if (tag == 2) {
        if (ctw_vget(&p, end, &b) || b > (uint64_t)(end - p)) return NULL;
        p += b;
    }
    return p;
}

/* Counts records; a last chunk that does not decode (a publication the kill
 * cut) is left out. */
static ctrec_status open_stream(ctfs *c, const char *base, int tagged, rstream *s, buf *z,
                                buf *raw, err *e)
{
    char name[16];
    memset(s, 0, sizeof *s);
    s->base = base;
    snprintf(name, sizeof name, "%s.dat", base);
    s->dat = ctfs_find(c, name);
    snprintf(name, sizeof name, "%s.idx", base);
    s->idx = ctfs_find(c, name);
    if (!s->dat || !s->idx || s->idx->size < 4)
        return err_set(e, CTREC_E_FORMAT, "the container has no %s stream: not a .ct that "
                       "ctrec writes", base);
    uint8_t h[4];
    ctrec_status st = ctfs_read_at(c, s->idx, 0, h, 4, e);
    if (st) return st;
    s->per = load_le32(h);
    if (!s->per) return err_set(e, CTREC_E_FORMAT, "%s.idx: 0 records per chunk", base);
    uint64_t n = (s->idx->size - 4) / 8;
    while (n) {
        err le = {0};
        if (load_chunk(c, s, n - 1, z, raw, &le) == CTREC_OK) break;
        n--; /* a cut publication */
    }
    s->nchunks = n;
    if (!n) return CTREC_OK;
    uint64_t k = 0;
    for (const uint8_t *p = raw->data, *end = p + raw->len; p < end; k++)
        if (!(p = rec_end(tagged, p, end))) break;
    s->count = (n - 1) * s->per + k;
    return CTREC_OK;
}

/* ------------------------------------------------------------------ */
/* the streams of the new container                                    */

typedef struct wstream {
    unsigned dat, idx;
    uint32_t per;
    buf raw;
    uint32_t nrec;
    uint64_t dat_size;
    /* calls: the chunk's calls whose children's keys are apart (as the
     * writer keeps them, ct_writer.h bigtail), in key order */
    bigtail *tails;
    unsigned ntails, tails_cap;
} wstream;

typedef struct out {
    ctfs_w *w;
    ZSTD_CCtx *cctx;
    buf z;
} out;

/* The next chunk's offset, to the stream's .idx. */
static ctrec_status w_offset(out *o, wstream *s, err *e)
{
    uint8_t off[8];
    for (int i = 0; i < 8; i++) off[i] = (uint8_t)(s->dat_size >> (8 * i));
    return ctfs_w_append(o->w, s->idx, off, 8, e);
}

static ctrec_status w_frame(out *o, wstream *s, const uint8_t *f, size_t n, err *e)
{
    ctrec_status st = w_offset(o, s, e);
    if (!st) st = ctfs_w_append(o->w, s->dat, f, n, e);
    s->dat_size += n;
    return st;
}

typedef struct wout {
    out *o;
    wstream *s;
} wout;

static ctrec_status w_piece(void *ctx, const uint8_t *p, size_t n, err *e)
{
    wout *w = ctx;
    w->s->dat_size += n;
    return ctfs_w_append(w->o->w, w->s->dat, p, n, e);
}

/* A calls chunk with big calls: stored as the writer stores it. */
static ctrec_status w_end_raw(out *o, wstream *s, err *e)
{
    ctrec_status st = w_offset(o, s, e);
    if (!st && (s->raw.oom || buf_reserve(&o->z, 3 + CT_RAW_BLOCK))) st = nomem(e);
    wout w = {o, s};
    uint64_t n = 0;
    if (!st) st = ct_raw_frame(s->raw.data, s->raw.len, s->tails, s->ntails, o->z.data, w_piece, &w,
                               &n, e);
    ct_tails_free(s->tails, s->ntails);
    s->tails = NULL;
    s->ntails = s->tails_cap = 0;
    s->raw.len = 0;
    s->nrec = 0;
    return st;
}

static ctrec_status w_end_chunk(out *o, wstream *s, err *e)
{
    if (!s->nrec) return CTREC_OK;
    if (s->ntails) return w_end_raw(o, s, e);
    size_t bound = ZSTD_compressBound(s->raw.len);
    if (s->raw.oom || buf_reserve(&o->z, bound)) return nomem(e);
    size_t n = ZSTD_compressCCtx(o->cctx, o->z.data, bound, s->raw.data, s->raw.len, 3);
    if (ZSTD_isError(n)) return err_set(e, CTREC_E_IO, "zstd: %s", ZSTD_getErrorName(n));
    s->raw.len = 0;
    s->nrec = 0;
    return w_frame(o, s, o->z.data, n, e);
}

static ctrec_status w_record_done(out *o, wstream *s, err *e)
{
    return ++s->nrec == s->per ? w_end_chunk(o, s, e) : CTREC_OK;
}

/* Copies the first `keep` records of `in`: whole chunks as they are, the
 * last one cut when needed. */
static ctrec_status copy_stream(ctfs *c, rstream *in, out *o, wstream *ws, int tagged,
                                uint64_t keep, buf *z, buf *raw, err *e)
{
    ctrec_status st = CTREC_OK;
    for (uint64_t i = 0; i < in->nchunks && i * in->per < keep && !st; i++) {
        if ((st = load_chunk(c, in, i, z, raw, e))) break;
        uint64_t want = keep - i * in->per;
        uint64_t k = 0;
        const uint8_t *p = raw->data, *end = p + raw->len;
        while (p < end && k < want && (p = rec_end(tagged, p, end))) k++;
        if (!p) return err_set(e, CTREC_E_FORMAT, "%s.dat: chunk %llu: a record runs past "
                               "its end", in->base, (unsigned long long)i);
        if (p == end && i + 1 < in->nchunks) { /* a whole chunk: its frame as it is */
            st = w_frame(o, ws, z->data, z->len, e);
            continue;
        }
        buf_put(&ws->raw, raw->data, (size_t)(p - raw->data));
        ws->nrec = (uint32_t)k;
        st = w_end_chunk(o, ws, e);
    }
    return st;
}

static ctrec_status copy_member(ctfs *c, const ctfs_member *m, out *o, unsigned idx, buf *z,
                                err *e)
{
    ctrec_status st = CTREC_OK;
    if (buf_reserve(z, 65536)) return nomem(e);
    for (uint64_t at = 0; at < m->size && !st; at += 65536) {
        size_t n = m->size - at < 65536 ? (size_t)(m->size - at) : 65536;
        st = ctfs_read_at(c, m, at, z->data, n, e);
        if (!st) st = ctfs_w_append(o->w, idx, z->data, n, e);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* the scratch file                                                    */

typedef struct opencall {
    uint64_t key, nkids;
    buf kids;      /* the children's keys as deltas, varints */
    uint64_t last; /* the last child's key (the call's before the first) */
    uint64_t kbytes; /* the children's keys' bytes in the record */
} opencall;

static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = ((const opencall *)b)->key;
    return x < y ? -1 : x > y;
}

/* calls.dat for the steps 0..S-1 kept. */
static ctrec_status build_calls(int fd, const char *name, uint64_t S, out *o, wstream *ws,
                                ct_repair_info *info, err *e)
{
    ct_sreader r;
    uint64_t K = 0, *win = NULL; /* per window of keys: where its first call's entry starts */
    size_t nwin = 0, wcap = 0;
    uint8_t *closed = NULL;
    size_t ccap = 0;
    opencall *opens = NULL;
    size_t nopen = 0;
    ct_slot *slots = NULL;
    buf arena = {0};
    ctrec_status st = ct_sreader_open(&r, fd, name, 0, 0, 0, 0, e);
    ct_srec sr;
    int k = 0;
    /* pass 1: the calls entered at kept steps (a prefix of the keys), and
     * which of them returned at a kept step */
    while (!st && (k = ct_sreader_rec(&r, &sr, e)) == 1) {
        if (sr.kind == 'E') {
            if (sr.key != K || sr.step >= S) continue; /* entered after the last kept step */
            if (K % CT_KEY_WINDOW == 0) {
                if (nwin == wcap) {
                    wcap = wcap ? 2 * wcap : 16;
                    uint64_t *a = realloc(win, 4 * wcap * sizeof *a);
                    if (!a) {
                        st = nomem(e);
                        break;
                    }
                    win = a;
                }
                uint64_t *w = win + 4 * nwin++;
                w[0] = sr.piece;
                w[1] = sr.in;
                w[2] = sr.bkey;
                w[3] = sr.bstep;
            }
            K++;
        } else {
            if (sr.key >= K || sr.step >= S) continue; /* returned after the last kept step */
            uint64_t key = sr.key;
            if (key / 8 >= ccap) {
                size_t cap = ccap ? 2 * ccap : 4096;
                while (cap <= key / 8) cap *= 2;
                uint8_t *a = realloc(closed, cap);
                if (!a) {
                    st = nomem(e);
                    break;
                }
                memset(a + ccap, 0, cap - ccap);
                closed = a;
                ccap = cap;
            }
            closed[key / 8] |= (uint8_t)(1u << (key % 8));
        }
    }
    if (k < 0) st = e->status;
#define CLOSED(key) ((key) / 8 < ccap && (closed[(key) / 8] >> ((key) % 8) & 1))
    /* the calls left open, and (pass 2) their children */
    for (uint64_t key = 0; key < K && !st; key++) {
        if (CLOSED(key)) continue;
        opencall *a = realloc(opens, (nopen + 1) * sizeof *a);
        if (!a) {
            st = nomem(e);
            break;
        }
        opens = a;
        memset(&opens[nopen], 0, sizeof *opens);
        opens[nopen].last = key;
        opens[nopen++].key = key;
    }
    if (!st && nopen) {
        ct_sreader_close(&r);
        st = ct_sreader_open(&r, fd, name, 0, 0, 0, 0, e);
        while (!st && (k = ct_sreader_rec(&r, &sr, e)) == 1) {
            if (sr.kind != 'E') continue;
            if (sr.key >= K) break;
            if (sr.parent < 0) continue; /* no parent */
            uint64_t pk = (uint64_t)sr.parent;
            opencall *oc = bsearch(&pk, opens, nopen, sizeof *opens, by_key);
            if (!oc) continue;
            bvar(&oc->kids, sr.key - oc->last);
            oc->last = sr.key;
            oc->kbytes += ctw_vlen(sr.key);
            oc->nkids++;
            if (oc->kids.oom) {
                st = nomem(e);
                break;
            }
        }
        if (k < 0) st = e->status;
    }
    /* calls.dat in key order, a window of keys at a time */
    if (!st && K && !(slots = malloc(CT_KEY_WINDOW * sizeof *slots))) st = nomem(e);
    size_t oi = 0;
    for (uint64_t k0 = 0; k0 < K && !st; k0 += CT_KEY_WINDOW) {
        uint64_t k1 = k0 + CT_KEY_WINDOW < K ? k0 + CT_KEY_WINDOW : K;
        memset(slots, 0, CT_KEY_WINDOW * sizeof *slots);
        /* a call left open has no exit record: not looked for, its
         * children not gathered (pass 2 has them) */
        for (uint64_t key = k0; key < k1; key++)
            if (!CLOSED(key)) slots[key - k0].x_len = 1;
        arena.len = 0;
        size_t w = (size_t)(k0 / CT_KEY_WINDOW);
        if ((st = ct_scratch_gather(fd, name, win[4 * w], win[4 * w + 1], win[4 * w + 2],
                                    win[4 * w + 3], k0, k1, slots, &arena, e)))
            break;
        for (uint64_t key = k0; key < k1 && !st; key++) {
            ct_slot *sl = &slots[key - k0];
            int done = CLOSED(key);
            if (!sl->e_len || (done && !sl->x_len)) {
                st = err_set(e, CTREC_E_FORMAT, "%s: the record of call %llu is missing", name,
                             (unsigned long long)key);
                break;
            }
            const uint8_t *ep = arena.data + sl->e_at, *eend = ep + sl->e_len;
            const uint8_t *xp = done ? arena.data + sl->x_at : NULL;
            const uint8_t *xend = done ? xp + sl->x_len : NULL;
            uint64_t ekey, fn, parent, entry, xkey, exitstep = S - 1;
            if (ctw_vget(&ep, eend, &ekey) || ctw_vget(&ep, eend, &fn) || ctw_vget(&ep, eend, &parent) ||
                ctw_vget(&ep, eend, &entry) ||
                (done && (ctw_vget(&xp, xend, &xkey) || ctw_vget(&xp, xend, &exitstep)))) {
                st = err_set(e, CTREC_E_FORMAT, "%s: call %llu is damaged", name,
                             (unsigned long long)key);
                break;
            }
            buf *rec = &o->z; /* the record's body, then its length before it */
            rec->len = 0;
            bvar(rec, fn);
            bvar(rec, parent);
            bvar(rec, entry);
            bvar(rec, exitstep);
            buf_put(rec, ep, (size_t)(eend - ep));
            opencall *apart = NULL; /* an open call whose children's keys go apart */
            if (done) {
                buf_put(rec, xp, (size_t)(xend - xp));
            } else {
                opencall *oc = &opens[oi++];
                static const uint8_t none[3] = {1, 0xFF, 0}; /* no return value, no exception */
                buf_put(rec, none, 3);
                bvar(rec, oc->nkids);
                info->open_calls++;
                if (oc->kbytes > CT_BIG_TAIL) { /* as the writer keeps them */
                    if (ct_tails_room(&ws->tails, ws->ntails, &ws->tails_cap)) {
                        st = nomem(e);
                        break;
                    }
                    apart = oc;
                } else {
                    const uint8_t *kp = oc->kids.data, *kend = kp ? kp + oc->kids.len : NULL;
                    uint64_t kk = oc->key, d;
                    for (uint64_t i = 0; i < oc->nkids && !ctw_vget_delta(&kp, kend, &d); i++) {
                        kk += d;
                        bvar(rec, kk);
                    }
                }
            }
            bvar(&ws->raw, rec->len + (apart ? apart->kbytes : 0));
            buf_put(&ws->raw, rec->data, rec->len);
            if (apart) { /* its keys go here (ct_raw_frame) */
                ws->tails[ws->ntails++] =
                    (bigtail){.slot = (unsigned)(key % CT_CALLS_PER_CHUNK), .at = ws->raw.len,
                              .kids = apart->kids, .base = apart->key, .n = apart->nkids,
                              .bytes = apart->kbytes};
                apart->kids = (buf){0};
            }
            if (rec->oom || ws->raw.oom) st = nomem(e);
            if (!st) st = w_record_done(o, ws, e);
            info->calls++;
        }
    }
    for (size_t i = 0; i < nopen; i++) buf_free(&opens[i].kids);
    free(opens);
    free(slots);
    buf_free(&arena);
    free(win);
    free(closed);
    ct_sreader_close(&r);
    return st;
#undef CLOSED
}

/* ------------------------------------------------------------------ */
/* the repair                                                          */

static const char *const tables[4] = {"paths", "funcs", "types", "varnames"};
static const char *const streams[4] = {"steps", "values", "calls", "events"};
static const uint32_t per_chunk[4] = {CT_STEPS_PER_CHUNK, CT_VALUES_PER_CHUNK,
                                      CT_CALLS_PER_CHUNK, CT_EVENTS_PER_CHUNK};

/* The final meta.dat: the provisional one (its path list empty) with the
 * paths of paths.dat. */
static ctrec_status meta(ctfs *c, buf *m, err *e)
{
    const ctfs_member *md = ctfs_find(c, "meta.dat");
    const ctfs_member *pd = ctfs_find(c, "paths.dat"), *po = ctfs_find(c, "paths.off");
    if (!md || !pd || !po || md->size < 9 || md->size > (1u << 20) || po->size < 8)
        return err_set(e, CTREC_E_FORMAT, "meta.dat or the paths table is missing");
    if (buf_reserve(m, (size_t)md->size)) return nomem(e);
    ctrec_status st = ctfs_read_at(c, md, 0, m->data, (size_t)md->size, e);
    if (st) return st;
    m->len = (size_t)md->size;
    if (memcmp(m->data, "CTMD", 4) || m->data[m->len - 1] != 0)
        return err_set(e, CTREC_E_FORMAT, "meta.dat is not the provisional meta.dat ctrec "
                       "writes (it lists paths already)");
    m->len--; /* its empty path list */
    uint64_t n = po->size / 8 - 1, prev = 0;
    bvar(m, n);
    for (uint64_t i = 1; i <= n && !st; i++) {
        uint8_t b[8];
        if ((st = ctfs_read_at(c, po, 8 * i, b, 8, e))) break;
        uint64_t end = load_le64(b);
        if (end < prev || end > pd->size || end - prev > (1u << 20))
            return err_set(e, CTREC_E_FORMAT, "paths.off: entry %llu is out of range",
                           (unsigned long long)i);
        bvar(m, end - prev);
        size_t at = m->len;
        if (buf_reserve(m, (size_t)(end - prev))) return nomem(e);
        if ((st = ctfs_read_at(c, pd, prev, m->data + at, (size_t)(end - prev), e))) break;
        m->len += (size_t)(end - prev);
        prev = end;
    }
    return st ? st : m->oom ? nomem(e) : CTREC_OK;
}

ctrec_status ct_repair(const char *path, const char *outpath, ct_repair_info *info, err *e)
{
    memset(info, 0, sizeof *info);
    size_t pl = strlen(path);
    char *sname = malloc(pl + sizeof CT_SCRATCH_SUFFIX);
    if (!sname) return nomem(e);
    memcpy(sname, path, pl);
    memcpy(sname + pl, CT_SCRATCH_SUFFIX, sizeof CT_SCRATCH_SUFFIX);
    int fd = open(sname, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ctrec_status st = errno == ENOENT ? CTREC_OK : err_sys(e, errno, "opening %s", sname);
        free(sname);
        return st;
    }
    info->needed = 1;
    ctfs *c = NULL;
    out o = {NULL, NULL, {0}};
    buf z = {0}, raw = {0}, m = {0};
    rstream in[4];
    wstream ws[4];
    memset(ws, 0, sizeof ws);
    ctrec_status st = ctfs_open(path, &c, e);
    for (int i = 0; i < 4 && !st; i++)
        if (i != 2) st = open_stream(c, streams[i], i == 0, &in[i], &z, &raw, e);
    if (!st) st = meta(c, &m, e);
    if (!st) {
        /* every step kept has its values record */
        info->steps_published = in[0].count;
        info->steps = in[0].count < in[1].count ? in[0].count : in[1].count;
        /* the events at the steps kept (all of them, but after a cut) */
        uint64_t S = info->steps;
        for (uint64_t i = 0; i < in[3].nchunks && !st; i++) {
            if ((st = load_chunk(c, &in[3], i, &z, &raw, e))) break;
            const uint8_t *p = raw.data, *end = p + raw.len;
            while (p < end) {
                const uint8_t *q = p, *r;
                uint64_t len, step;
                if (ctw_vget(&q, end, &len) || len > (uint64_t)(end - q) || len < 2) break;
                r = q + 1;
                if (ctw_vget(&r, q + len, &step) || step >= S) break;
                info->events++;
                p = q + len;
            }
            if (p < end) break;
        }
    }
    if (!st) st = ctfs_w_create(AT_FDCWD, outpath, &o.w, e);
    if (!st && !(o.cctx = ZSTD_createCCtx())) st = nomem(e);
    for (int i = 0; i < 4 && !st; i++) {
        char dn[16], on[16];
        unsigned d, f;
        snprintf(dn, sizeof dn, "%s.dat", tables[i]);
        snprintf(on, sizeof on, "%s.off", tables[i]);
        const ctfs_member *md = ctfs_find(c, dn), *mo = ctfs_find(c, on);
        if (!md || !mo) st = err_set(e, CTREC_E_FORMAT, "the container has no %s table", tables[i]);
        if (!st) st = ctfs_w_member(o.w, dn, &d, e);
        if (!st) st = ctfs_w_member(o.w, on, &f, e);
        if (!st) st = copy_member(c, md, &o, d, &z, e);
        if (!st) st = copy_member(c, mo, &o, f, &z, e);
    }
    for (int i = 0; i < 4 && !st; i++) {
        char dn[16], xn[16];
        snprintf(dn, sizeof dn, "%s.dat", streams[i]);
        snprintf(xn, sizeof xn, "%s.idx", streams[i]);
        ws[i].per = per_chunk[i];
        if (i != 2 && in[i].per) ws[i].per = in[i].per;
        uint8_t h[4];
        for (int k = 0; k < 4; k++) h[k] = (uint8_t)(ws[i].per >> (8 * k));
        st = ctfs_w_member(o.w, dn, &ws[i].dat, e);
        if (!st) st = ctfs_w_member(o.w, xn, &ws[i].idx, e);
        if (!st) st = ctfs_w_append(o.w, ws[i].idx, h, 4, e);
    }
    if (!st) st = copy_stream(c, &in[0], &o, &ws[0], 1, info->steps, &z, &raw, e);
    if (!st) st = copy_stream(c, &in[1], &o, &ws[1], 0, info->steps, &z, &raw, e);
    if (!st) st = copy_stream(c, &in[3], &o, &ws[3], 0, info->events, &z, &raw, e);
    if (!st) st = build_calls(fd, sname, info->steps, &o, &ws[2], info, e);
    if (!st) st = w_end_chunk(&o, &ws[2], e);
    unsigned mi;
    if (!st) st = ctfs_w_member(o.w, "meta.dat", &mi, e);
    if (!st) st = ctfs_w_append(o.w, mi, m.data, m.len, e);
    if (!st) {
        st = ctfs_w_close(o.w, e);
        o.w = NULL;
    }
    if (o.w) ctfs_w_abandon(o.w);
    if (st) unlink(outpath);
    if (o.cctx) ZSTD_freeCCtx(o.cctx);
    for (int i = 0; i < 4; i++) {
        buf_free(&ws[i].raw);
        ct_tails_free(ws[i].tails, ws[i].ntails);
    }
    buf_free(&o.z);
    buf_free(&z);
    buf_free(&raw);
    buf_free(&m);
    ctfs_close(c);
    close(fd);
    free(sname);
    return st;
}

ctrec_status ctrec_ct_repair(const char *ct_file, const char *out_file,
                             ctrec_ct_repair_result *result)
{
    if (!result) return CTREC_E_ARG;
    memset(result, 0, sizeof *result);
    if (!ct_file || !out_file) {
        snprintf(result->message, sizeof result->message, "NULL file name");
        return CTREC_E_ARG;
    }
    err e = {0};
    ct_repair_info info;
    ctrec_status st = ct_repair(ct_file, out_file, &info, &e);
    result->needed = info.needed;
    result->steps = info.steps;
    result->steps_published = info.steps_published;
    result->calls = info.calls;
    result->open_calls = info.open_calls;
    result->events = info.events;
    if (st) snprintf(result->message, sizeof result->message, "%s", e.msg);
    return st;
}
