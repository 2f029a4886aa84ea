/*
 * ct_stream.c — a chunked stream of a .ct: NAME.idx holds u32 records per
 * chunk, then one u64 offset into NAME.dat per chunk; each chunk is one
 * zstd frame with its content size. One chunk is held decompressed at a
 * time; the buffers are reused.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "ct.h"


static ctrec_status bind(ct_stream *s, ctfs *c, err *e)
{
    s->dat = ctfs_find(c, s->dat_name);
    s->idx = ctfs_find(c, s->idx_name);
    s->nchunks = 0;
    if (!s->dat || !s->idx) return CTREC_OK;
    if (s->legacy) return ct_legacy_bind(s, c, e);
    if (s->idx->size < 4)
        return err_set(e, CTREC_E_FORMAT, "%s: %llu bytes, too short for its u32 chunk size",
                       s->idx_name, (unsigned long long)s->idx->size);
    uint8_t h[4];
    ctrec_status st = ctfs_read_at(c, s->idx, 0, h, 4, e);
    if (st) return st;
    s->per_chunk = load_le32(h);
    if (s->per_chunk == 0)
        return err_set(e, CTREC_E_FORMAT, "%s: records per chunk is 0 (offset 0)", s->idx_name);
    /* a trailing partial offset (a growing file) is not counted yet */
    s->nchunks = (s->idx->size - 4) / 8;
    return CTREC_OK;
}

ctrec_status ct_stream_init(ct_stream *s, ctfs *c, const char *base, err *e)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dat_name, sizeof s->dat_name, "%s.dat", base);
    snprintf(s->idx_name, sizeof s->idx_name, "%s.idx", base);
    s->chunk = UINT64_MAX;
    return bind(s, c, e);
}

ctrec_status ct_stream_rebind(ct_stream *s, ctfs *c, err *e) { return bind(s, c, e); }

void ct_stream_free(ct_stream *s)
{
    free(s->cbuf);
    free(s->dbuf);
    ZSTD_freeDCtx(s->zd);
    memset(s, 0, sizeof *s);
}

/* [start, end) of chunk i in .dat, checked. */
static ctrec_status chunk_range(ct_stream *s, ctfs *c, uint64_t i, uint64_t *start, uint64_t *end,
                                err *e)
{
    uint8_t b[16];
    uint64_t at = (s->legacy ? 12 : 4) + 8 * i; /* legacy steps.idx: a u64 more first */
    int have_next = i + 1 < s->nchunks;
    ctrec_status st = ctfs_read_at(c, s->idx, at, b, have_next ? 16 : 8, e);
    if (st) return st;
    *start = load_le64(b);
    *end = have_next ? load_le64(b + 8) : s->dat->size;
    if (*start >= s->dat->size)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: chunk %llu (offset at byte %llu) starts at byte %llu, outside %s "
                       "(%llu bytes)",
                       s->idx_name, (unsigned long long)i, (unsigned long long)at,
                       (unsigned long long)*start, s->dat_name,
                       (unsigned long long)s->dat->size);
    if (*end > s->dat->size)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: chunk %llu ends at byte %llu (the offset of chunk %llu, at byte %llu), "
                       "outside %s (%llu bytes)",
                       s->idx_name, (unsigned long long)i, (unsigned long long)*end,
                       (unsigned long long)(i + 1), (unsigned long long)(at + 8), s->dat_name,
                       (unsigned long long)s->dat->size);
    if (*end <= *start)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: chunk %llu (offset at byte %llu) starts at byte %llu, not after chunk "
                       "%llu at byte %llu (the index goes backwards)",
                       s->idx_name, (unsigned long long)(i + 1), (unsigned long long)(at + 8),
                       (unsigned long long)*end, (unsigned long long)i,
                       (unsigned long long)*start);
    return CTREC_OK;
}

enum { IN_CHUNK = 64 * 1024, CT_ZSTD_HEADER_MAX = 18 /* a zstd frame header at most */ };

/* The content size a chunk's zstd frame states (its first n bytes at b). */
static ctrec_status content_size(const char *name, uint64_t i, uint64_t start,
                                 const uint8_t *b, size_t n, uint64_t *want, err *e)
{
    unsigned long long w = ZSTD_getFrameContentSize(b, n);
    if (w == ZSTD_CONTENTSIZE_ERROR)
        return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu at byte %llu is not a zstd frame",
                       name, (unsigned long long)i, (unsigned long long)start);
    if (w == ZSTD_CONTENTSIZE_UNKNOWN)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: chunk %llu at byte %llu: the zstd frame does not state its content "
                       "size",
                       name, (unsigned long long)i, (unsigned long long)start);
    *want = w;
    return CTREC_OK;
}


static ctrec_status grow(uint8_t **b, size_t *cap, size_t n, err *e)
{
    if (n <= *cap) return CTREC_OK;
    uint8_t *nb = realloc(*b, n);
    if (!nb) return err_set(e, CTREC_E_NOMEM, "out of memory");
    *b = nb;
    *cap = n;
    return CTREC_OK;
}

ctrec_status ct_inflate_chunk(ctfs *c, const ctfs_member *dat, const char *name, uint64_t i,
                              uint64_t start, uint64_t end, size_t limit, int tail_ok,
                              ct_zbufs z, size_t *len, err *e)
{
    uint64_t n = end - start;
    if (n > limit)
        return err_bound(e, "%s: chunk %llu at byte %llu is %llu bytes, over the %zu-byte limit",
                         name, (unsigned long long)i, (unsigned long long)start,
                         (unsigned long long)n, limit);
    ctrec_status st = grow(z.cbuf, z.ccap, (size_t)n, e);
    if (st || (st = ctfs_read_at(c, dat, start, *z.cbuf, (size_t)n, e))) return st;
    uint64_t want = 0;
    if ((st = content_size(name, i, start, *z.cbuf, (size_t)n, &want, e))) return st;
    if (want > limit)
        return err_bound(e, "%s: chunk %llu at byte %llu inflates to %llu bytes, over the "
                         "%zu-byte limit",
                         name, (unsigned long long)i, (unsigned long long)start,
                         (unsigned long long)want, limit);
    size_t flen = (size_t)n;
    if (tail_ok) {
        /* the frame alone: what follows it is not indexed yet */
        flen = ZSTD_findFrameCompressedSize(*z.cbuf, (size_t)n);
        if (ZSTD_isError(flen))
            return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu at byte %llu: zstd: %s", name,
                           (unsigned long long)i, (unsigned long long)start,
                           ZSTD_getErrorName(flen));
    }
    if ((st = grow(z.dbuf, z.dcap, (size_t)want + 1, e))) return st;
    if (!*z.zd && !(*z.zd = ZSTD_createDCtx())) return err_set(e, CTREC_E_NOMEM, "out of memory");
    size_t got = ZSTD_decompressDCtx(*z.zd, *z.dbuf, (size_t)want, *z.cbuf, flen);
    if (ZSTD_isError(got))
        return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu at byte %llu: zstd: %s", name,
                       (unsigned long long)i, (unsigned long long)start, ZSTD_getErrorName(got));
    if (got != want)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: chunk %llu at byte %llu inflates to %zu bytes, not the %llu its frame "
                       "states",
                       name, (unsigned long long)i, (unsigned long long)start, got,
                       (unsigned long long)want);
    (*z.dbuf)[got] = 0;
    *len = got;
    return CTREC_OK;
}

/* Windowed mode: reads more of the chunk's compressed bytes when those
 * held are used, and decompresses once into dbuf after dlen, up to the
 * window (wcur). */
static ctrec_status inflate_step(ct_stream *s, ctfs *c, err *e)
{
    if (s->ipos == s->ilen) {
        if (s->in_at >= s->in_end)
            return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu at byte %llu: the zstd frame ends early",
                           s->dat_name, (unsigned long long)s->chunk,
                           (unsigned long long)s->chunk_off);
        uint64_t n = s->in_end - s->in_at;
        if (n > IN_CHUNK) n = IN_CHUNK;
        ctrec_status st = ctfs_read_at(c, s->dat, s->in_at, s->cbuf, (size_t)n, e);
        if (st) return st;
        s->in_at += n;
        s->ilen = (size_t)n;
        s->ipos = 0;
    }
    ZSTD_inBuffer in = {s->cbuf, s->ilen, s->ipos};
    ZSTD_outBuffer out = {s->dbuf, s->wcur, s->dlen};
    size_t r = ZSTD_decompressStream(s->zd, &out, &in);
    if (ZSTD_isError(r))
        return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu at byte %llu: zstd: %s", s->dat_name,
                       (unsigned long long)s->chunk, (unsigned long long)s->chunk_off,
                       ZSTD_getErrorName(r));
    s->ipos = in.pos;
    s->dlen = out.pos;
    if (s->base + s->dlen > s->want)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: chunk %llu at byte %llu inflates past the %llu bytes its frame states",
                       s->dat_name, (unsigned long long)s->chunk,
                       (unsigned long long)s->chunk_off, (unsigned long long)s->want);
    if (r == 0) {
        s->frame_done = 1;
        if (s->base + s->dlen != s->want)
            return err_set(e, CTREC_E_FORMAT,
                           "%s: chunk %llu at byte %llu inflates to %llu bytes, not the %llu "
                           "its frame states",
                           s->dat_name, (unsigned long long)s->chunk,
                           (unsigned long long)s->chunk_off,
                           (unsigned long long)(s->base + s->dlen), (unsigned long long)s->want);
    }
    return CTREC_OK;
}

static ctrec_status past_chunk(ct_stream *s, err *e)
{
    return err_set(e, CTREC_E_FORMAT,
                   "%s: chunk %llu at byte %llu: record %llu runs past the end of the chunk",
                   s->dat_name, (unsigned long long)s->chunk, (unsigned long long)s->chunk_off,
                   (unsigned long long)(s->rec - 1));
}

/* Windowed mode: drops what was used (and what is left of a cut record),
 * then decompresses until the window is full or the frame ends. */
static ctrec_status fill(ct_stream *s, ctfs *c, err *e)
{
    for (;;) {
        if (s->skip) {
            size_t d = s->dlen - s->pos;
            if (d > s->skip) d = (size_t)s->skip;
            s->pos += d;
            s->skip -= d;
        }
        if (s->pos) {
            memmove(s->dbuf, s->dbuf + s->pos, s->dlen - s->pos);
            s->base += s->pos;
            s->dlen -= s->pos;
            s->pos = 0;
        }
        if (s->frame_done && s->skip) return past_chunk(s, e);
        if (s->frame_done || (s->dlen == s->wcur && !s->skip)) break;
        ctrec_status st = inflate_step(s, c, e);
        if (st) return st;
    }
    return CTREC_OK;
}

/* Windowed mode: grows the window to `want` bytes (kept for the rest of
 * the chunk) and decompresses until dbuf holds that many or the frame
 * ends. 0, or -1. */
static int hold(ct_stream *s, ctfs *c, size_t want, err *e)
{
    if (want > s->wcur) {
        if (want + 1 > s->dcap) {
            uint8_t *nb = realloc(s->dbuf, want + 1);
            if (!nb) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
            s->dbuf = nb;
            s->dcap = want + 1;
        }
        s->wcur = want;
    }
    while (s->dlen < want && !s->frame_done)
        if (inflate_step(s, c, e)) return -1;
    return 0;
}

int ct_stream_widen(ct_stream *s, ctfs *c, size_t limit, const uint8_t **p, size_t *n, err *e)
{
    if (!s->win || !s->skip || s->pos != s->dlen || s->cut_at > s->dlen) return 0;
    size_t have = s->dlen - s->cut_at;
    uint64_t total = have + s->skip;
    if (limit && have >= limit) return 0;
    uint64_t want = (uint64_t)have * 2;
    if (want > total) want = total;
    if (limit && want > limit) want = limit;
    /* the record first in dbuf, then a window that holds `want` of it */
    memmove(s->dbuf, s->dbuf + s->cut_at, have);
    s->base += s->cut_at;
    s->dlen = have;
    s->pos = s->cut_at = 0;
    if (hold(s, c, (size_t)want, e)) return -1;
    *p = s->dbuf;
    if (s->dlen >= total) { /* whole now: the bytes after it are the next records */
        *n = (size_t)total;
        s->pos = (size_t)total;
        s->skip = 0;
        return 1;
    }
    if (s->frame_done) return past_chunk(s, e), -1;
    *n = s->dlen;
    s->pos = s->dlen;
    s->skip = total - s->dlen;
    return 1;
}

/* Windowed mode, the common case at once: chunk [start, end) whose frame
 * states a content size under the window `win` and whose compressed bytes
 * fit in it too is inflated whole, in one call, into *z.dbuf. Streaming it
 * (fill) would leave the same bytes and state: the whole content, the frame
 * done. 0 with *len, or -1 on anything else (a fault included): the caller
 * then streams the chunk, which finds and words the fault. */
static int inflate_small(ctfs *c, const ctfs_member *dat, uint64_t start, uint64_t end,
                         size_t win, ct_zbufs z, size_t *len)
{
    uint64_t n = end - start;
    err scratch;
    if (n > win || grow(z.cbuf, z.ccap, (size_t)n, &scratch) ||
        ctfs_read_at(c, dat, start, *z.cbuf, (size_t)n, &scratch))
        return -1;
    unsigned long long want = ZSTD_getFrameContentSize(*z.cbuf, (size_t)n);
    if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN || want >= win)
        return -1;
    size_t flen = ZSTD_findFrameCompressedSize(*z.cbuf, (size_t)n);
    if (ZSTD_isError(flen) || grow(z.dbuf, z.dcap, (size_t)want + 2, &scratch)) return -1;
    if (!*z.zd && !(*z.zd = ZSTD_createDCtx())) return -1;
    size_t got = ZSTD_decompressDCtx(*z.zd, *z.dbuf, (size_t)want, *z.cbuf, flen);
    if (ZSTD_isError(got) || got != want) return -1;
    *len = got;
    return 0;
}

/* The state fill() leaves after inflating a small chunk i at [start, end)
 * to its end: its `len` bytes in dbuf. */
static void whole_windowed(ct_stream *s, uint64_t i, uint64_t start, uint64_t end, size_t len)
{
    s->wcur = len + 1;
    s->chunk = i;
    s->chunk_off = start;
    s->in_at = s->in_end = end;
    s->ilen = s->ipos = 0;
    s->base = 0;
    s->want = len;
    s->skip = 0;
    s->frame_done = 1;
    s->dlen = len;
    s->pos = 0;
    s->rec = i * s->per_chunk;
}

static ctrec_status load_windowed(ct_stream *s, ctfs *c, uint64_t i, uint64_t start,
                                  uint64_t end, size_t limit, err *e)
{
    size_t len;
    ct_zbufs z = {&s->cbuf, &s->ccap, &s->dbuf, &s->dcap, &s->zd};
    if (inflate_small(c, s->dat, start, end, s->win, z, &len) == 0) {
        whole_windowed(s, i, start, end, len);
        return CTREC_OK;
    }
    if (s->ccap < IN_CHUNK) {
        free(s->cbuf);
        s->cbuf = NULL;
        s->ccap = 0;
    }
    if (!s->cbuf) {
        if (!(s->cbuf = malloc(IN_CHUNK))) return err_set(e, CTREC_E_NOMEM, "out of memory");
        s->ccap = IN_CHUNK;
    }
    if (!s->zd && !(s->zd = ZSTD_createDCtx())) return err_set(e, CTREC_E_NOMEM, "out of memory");
    uint64_t n = end - start;
    size_t h = n < CT_ZSTD_HEADER_MAX ? (size_t)n : CT_ZSTD_HEADER_MAX;
    ctrec_status st = ctfs_read_at(c, s->dat, start, s->cbuf, h, e);
    if (st) return st;
    uint64_t want = 0;
    if ((st = content_size(s->dat_name, i, start, s->cbuf, h, &want, e))) return st;
    /* the content is never held whole here, so only a record's kept part
     * is bounded (by the window); the frame's size is checked as it
     * inflates. zstd keeps the frame's own window of history: at most the
     * compressor's window (2 MB at level 3; the content size of a
     * single-segment frame), and never over its default windowLogMax
     * (128 MB) for a hostile frame. */
    (void)limit;
    /* one byte more than the content: the frame's end is always seen */
    size_t w = want < s->win ? (size_t)want + 1 : s->win;
    if (w + 1 > s->dcap) {
        uint8_t *nb = realloc(s->dbuf, w + 1);
        if (!nb) return err_set(e, CTREC_E_NOMEM, "out of memory");
        s->dbuf = nb;
        s->dcap = w + 1;
    }
    s->wcur = w;
    ZSTD_DCtx_reset(s->zd, ZSTD_reset_session_only);
    s->chunk = i;
    s->chunk_off = start;
    s->in_at = start;
    s->in_end = end;
    s->ilen = s->ipos = 0;
    s->base = 0;
    s->want = want;
    s->skip = 0;
    s->frame_done = 0;
    s->dlen = 0;
    s->pos = 0;
    s->rec = i * s->per_chunk;
    if ((st = fill(s, c, e))) {
        s->chunk = UINT64_MAX;
        return st;
    }
    return CTREC_OK;
}

/* ---- read-ahead (ct.h) ----
 *
 * Each attached stream has a queue: a ring of PF_RING chunk buffers that
 * the worker fills in chunk order from `next` on, as far as the ring, the
 * complete chunks (i + 1 < nchunks) and PF_AHEAD bytes allow. The worker
 * sleeps only when no queue can take more, and the reader wakes it only
 * when a queue is half empty or the reader waits for a chunk: a handoff
 * is a lock, a buffer swap and an unlock, and a wake-up comes about once
 * every PF_RING / 2 chunks, not at every chunk. */

enum { PF_FREE, PF_RUNNING, PF_DONE };
enum { PF_RING = 8 };
#define PF_AHEAD ((size_t)2 << 20) /* inflated bytes held ahead per stream (past the first) */
#define PF_KEEP ((size_t)1 << 20)  /* an idle ring buffer larger than this is freed */

typedef struct pf_ent {
    int state;
    uint64_t i, start, end;
    ctrec_status st; /* a windowed stream's: OK, or not inflated whole (streamed inline) */
    err e;
    size_t len;
    uint8_t *cbuf, *dbuf;
    size_t ccap, dcap;
} pf_ent;

typedef struct pf_q {
    int active;  /* the reader reads this stream onward from chunk next - count - 1 */
    int stopped; /* the worker could not read ahead (the reader will meet why) */
    uint64_t gen;
    /* the job, copied from the stream when activated and at each take */
    ctfs_member dat, idx;
    char dat_name[16], idx_name[16];
    uint64_t nchunks, fsize;
    size_t limit;
    size_t win;             /* a windowed stream's window (calls.dat), else 0 */
    uint64_t next;          /* the next chunk to inflate */
    unsigned head, count;   /* entries [head, head + count) hold chunks next - count .. next - 1 */
    size_t held;            /* bytes of the DONE entries in the queue */
    pf_ent ent[PF_RING];
} pf_q;

struct ct_pf {
    ctfs *main;  /* the reader's handle */
    ctfs *own;   /* the worker's handle (a clone) */
    pthread_t th;
    int started, dead, stop, sleeping, waiting;
    int resync;  /* a job's file or member sizes changed: forget the clone's mapping cache */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    void *zd;    /* the worker's zstd context */
    void *hzd;   /* the reader's, for the jobs it runs while it waits (pf_take) */
    unsigned nslots;
    pf_q q[CT_PF_SLOTS];
};

ct_pf *ct_pf_new(ctfs *c)
{
    ct_pf *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->work, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->done, NULL)) {
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    p->main = c;
    return p;
}

void ct_pf_attach(ct_pf *p, ct_stream *s)
{
    if (!p || p->nslots == CT_PF_SLOTS) return;
    s->pf = p;
    s->pf_slot = p->nslots++;
}

void ct_pf_free(ct_pf *p)
{
    if (!p) return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->th, NULL);
    }
    for (unsigned k = 0; k < CT_PF_SLOTS; k++)
        for (unsigned j = 0; j < PF_RING; j++) {
            free(p->q[k].ent[j].cbuf);
            free(p->q[k].ent[j].dbuf);
        }
    ZSTD_freeDCtx(p->zd);
    ZSTD_freeDCtx(p->hzd);
    ctfs_close(p->own);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* The queue the worker should fill next (the one with the fewest chunks
 * ready), or NULL. Under the lock. */
static pf_q *pf_pick(ct_pf *p)
{
    pf_q *best = NULL;
    for (unsigned k = 0; k < p->nslots; k++) {
        pf_q *q = &p->q[k];
        if (!q->active || q->stopped || q->count == PF_RING || q->next + 1 >= q->nchunks ||
            (q->count && q->held >= PF_AHEAD) || q->ent[(q->head + q->count) % PF_RING].state ==
                                                     PF_RUNNING)
            continue;
        if (!best || q->count < best->count) best = q;
    }
    return best;
}

/* An idle ring buffer over PF_KEEP bytes is freed (a large chunk read
 * ahead for nothing does not stay held). */
static void pf_trim(pf_ent *j)
{
    if (j->dcap > PF_KEEP) {
        free(j->dbuf);
        j->dbuf = NULL;
        j->dcap = 0;
    }
    if (j->ccap > PF_KEEP) {
        free(j->cbuf);
        j->cbuf = NULL;
        j->ccap = 0;
    }
}

/* Runs the next job of q (pf_pick's) on handle c with zstd context *zd:
 * the worker's (its clone) or, while it waits for a chunk, the reader's
 * (pf_take). Called and returns under the lock; the entry claimed is the
 * runner's (fields and buffers) while PF_RUNNING, and several may be
 * running at once in a queue (the worker's and the reader's). */
static void pf_run(ct_pf *p, pf_q *q, ctfs *c, void **zd, int worker)
{
    pf_ent *j = &q->ent[(q->head + q->count) % PF_RING];
    j->state = PF_RUNNING;
    j->i = q->next++;
    q->count++;
    uint64_t gen = q->gen;
    /* the job: the runner's own copies (the reader may update q's) */
    ct_stream js;
    memset(&js, 0, sizeof js);
    ctfs_member dat = q->dat, idx = q->idx;
    memcpy(js.dat_name, q->dat_name, sizeof js.dat_name);
    memcpy(js.idx_name, q->idx_name, sizeof js.idx_name);
    js.dat = &dat;
    js.idx = &idx;
    js.nchunks = q->nchunks;
    size_t limit = q->limit, win = q->win;
    uint64_t fsize = q->fsize;
    int resync = 0;
    if (worker) {
        resync = p->resync; /* the clone's; the reader's own handle is current */
        p->resync = 0;
    }
    pthread_mutex_unlock(&p->mu);
    if (resync) ctfs_resync(c, fsize);
    err scratch;
    int ranged = chunk_range(&js, c, j->i, &j->start, &j->end, &scratch) == CTREC_OK;
    if (ranged) {
        ct_zbufs z = {&j->cbuf, &j->ccap, &j->dbuf, &j->dcap, zd};
        j->e.status = CTREC_OK;
        j->e.msg[0] = 0;
        j->len = 0;
        if (win)
            j->st = inflate_small(c, &dat, j->start, j->end, win, z, &j->len) ? CTREC_E_FORMAT
                                                                                : CTREC_OK;
        else
            j->st = ct_inflate_chunk(c, &dat, js.dat_name, j->i, j->start, j->end, limit, 0, z,
                                     &j->len, &j->e);
    }
    pthread_mutex_lock(&p->mu);
    if (q->gen != gen) {
        j->state = PF_FREE; /* dropped by the reader meanwhile */
        pf_trim(j);
    } else if (!ranged) {
        /* the reader reads it inline and meets the index's fault itself:
         * an entry no chunk matches (pf_take drops the queue there) */
        j->state = PF_DONE;
        j->start = j->end = UINT64_MAX;
        j->len = 0;
        j->st = CTREC_OK;
        q->stopped = 1;
    } else {
        j->state = PF_DONE;
        q->held += j->len;
        if (j->st && !win) q->stopped = 1; /* nothing after a chunk that failed */
    }
    if (p->waiting) pthread_cond_broadcast(&p->done);
}

static void *pf_main(void *arg)
{
    ct_pf *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pf_q *q = pf_pick(p);
        if (!q) {
            p->sleeping = 1;
            pthread_cond_wait(&p->work, &p->mu);
            p->sleeping = 0;
            continue;
        }
        pf_run(p, q, p->own, &p->zd, 1);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Drops what is queued for q (a job running is dropped when it ends).
 * Under the lock. */
static void pf_cancel(pf_q *q)
{
    for (unsigned k = 0; k < PF_RING; k++)
        if (q->ent[k].state == PF_DONE) {
            q->ent[k].state = PF_FREE;
            pf_trim(&q->ent[k]);
        }
    q->gen++;
    q->active = 0;
    q->head = q->count = 0;
    q->held = 0;
}

/* The stream's job fields, for the worker. Under the lock. */
static void pf_job(ct_pf *p, pf_q *q, const ct_stream *s, ctfs *c, size_t limit)
{
    if (q->fsize != ctfs_file_size(c) || q->dat.size != s->dat->size ||
        q->idx.size != s->idx->size || q->dat.map_block != s->dat->map_block ||
        q->idx.map_block != s->idx->map_block)
        p->resync = 1;
    q->dat = *s->dat;
    q->idx = *s->idx;
    memcpy(q->dat_name, s->dat_name, sizeof q->dat_name);
    memcpy(q->idx_name, s->idx_name, sizeof q->idx_name);
    q->nchunks = s->nchunks;
    q->fsize = ctfs_file_size(c);
    q->limit = limit;
    q->win = s->win;
}

/* Chunk i of s was loaded reading onward: the worker reads on from i + 1
 * (starting the thread at the first time). */
static void pf_onward(ct_stream *s, ctfs *c, uint64_t i, size_t limit)
{
    ct_pf *p = s->pf;
    if (p->dead) return;
    pf_q *q = &p->q[s->pf_slot];
    if (!p->started) {
        err scratch;
        if (!p->own && ctfs_clone(c, &p->own, &scratch)) {
            p->dead = 1;
            return;
        }
        if (pthread_create(&p->th, NULL, pf_main, p)) {
            p->dead = 1;
            return;
        }
        p->started = 1;
    }
    pthread_mutex_lock(&p->mu);
    if (!q->active || q->next != i + 1 + q->count) {
        if (q->active) pf_cancel(q);
        q->active = 1;
        q->stopped = 0;
        q->next = i + 1;
    }
    pf_job(p, q, s, c, limit);
    /* as in pf_take: not for every chunk, but once the queue is half empty */
    if (p->sleeping && q->count <= PF_RING / 2 && pf_pick(p)) pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
}

/* Chunk i of s at [start, end), if it was read ahead (waits while the
 * worker inflates it): 1 with *st its status (the message in e) and, when
 * OK, the bytes in s's buffers (*len); 0 when it was not (what was queued
 * for another chunk is dropped). */
static int pf_take(ct_stream *s, uint64_t i, uint64_t start, uint64_t end, size_t limit,
                   size_t *len, ctrec_status *st, err *e)
{
    ct_pf *p = s->pf;
    if (!p->started) return 0;
    pf_q *q = &p->q[s->pf_slot];
    pthread_mutex_lock(&p->mu);
    if (!q->active) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    if (!q->count) {
        if (q->next == i && !q->stopped) {
            /* not started: read inline, the worker goes on after it */
            q->next = i + 1;
        } else {
            pf_cancel(q);
        }
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    pf_ent *j = &q->ent[q->head];
    if (j->i != i) {
        pf_cancel(q);
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    while (j->state == PF_RUNNING) {
        /* rather than sleep until the worker is done with it, the reader
         * runs a job itself (the queue with the fewest chunks ready: often
         * this stream's next chunk), on its own handle and zstd context */
        pf_q *hq = pf_pick(p);
        if (hq) {
            pf_run(p, hq, p->main, &p->hzd, 0);
            continue;
        }
        p->waiting = 1;
        if (p->sleeping) pthread_cond_signal(&p->work);
        pthread_cond_wait(&p->done, &p->mu);
        p->waiting = 0;
    }
    if (j->state != PF_DONE || j->start != start || j->end != end || q->limit != limit) {
        pf_cancel(q);
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    *st = j->st;
    int took = 1;
    if (j->st && q->win) {
        took = 0; /* streamed inline */
    } else if (j->st) {
        *e = j->e;
    } else {
        uint8_t *b = s->cbuf;
        s->cbuf = j->cbuf;
        j->cbuf = b;
        size_t n = s->ccap;
        s->ccap = j->ccap;
        j->ccap = n;
        b = s->dbuf;
        s->dbuf = j->dbuf;
        j->dbuf = b;
        n = s->dcap;
        s->dcap = j->dcap;
        j->dcap = n;
        *len = j->len;
    }
    pf_trim(j); /* the stream's buffers it got in exchange */
    q->held -= j->len;
    j->state = PF_FREE;
    q->head = (q->head + 1) % PF_RING;
    q->count--;
    /* wake the worker when the queue is half empty */
    if (p->sleeping && q->count <= PF_RING / 2 && pf_pick(p)) pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return took;
}

ctrec_status ct_stream_load(ct_stream *s, ctfs *c, uint64_t i, size_t limit, err *e)
{
    if (s->auto_win) { /* the chunk held was streamed: nothing of it is kept */
        s->win = 0;
        s->auto_win = 0;
        s->chunk = UINT64_MAX;
    }
    if (s->chunk == i && !s->win) {
        s->pos = 0;
        s->rec = i * s->per_chunk;
        return CTREC_OK;
    }
    if (s->legacy > CT_LEG_STEPS) return ct_legacy_load(s, c, i, limit, e);
    /* read on from the chunk before (or the first): the next is read ahead;
     * not after a seek, where it would mostly be inflated for nothing */
    int onward = s->chunk == UINT64_MAX ? i == 0 : s->chunk + 1 == i;
    s->chunk = UINT64_MAX;
    uint64_t start, end;
    ctrec_status st = chunk_range(s, c, i, &start, &end, e);
    if (st) return st;
    s->chunk_end = end;
    size_t got = 0;
    if (s->win) {
        /* a chunk under the window read ahead whole, else inflated here */
        if (s->pf && !s->legacy && pf_take(s, i, start, end, limit, &got, &st, e))
            whole_windowed(s, i, start, end, got);
        else if ((st = load_windowed(s, c, i, start, end, limit, e)))
            return st;
        if (s->pf && !s->legacy && onward) pf_onward(s, c, i, limit);
        return CTREC_OK;
    }
    int took = s->pf && !s->legacy ? pf_take(s, i, start, end, limit, &got, &st, e) : 0;
    ct_zbufs z = {&s->cbuf, &s->ccap, &s->dbuf, &s->dcap, &s->zd};
    if (!took)
        st = ct_inflate_chunk(c, s->dat, s->dat_name, i, start, end, limit, 0, z, &got, e);
    if (st && e->bound && s->may_window && !s->legacy && limit) {
        /* a chunk over the limit: streamed through a window, grown for a
         * record larger than it up to the limit */
        s->win = limit < CT_AUTO_WINDOW ? limit : CT_AUTO_WINDOW;
        s->auto_win = 1;
        if ((st = load_windowed(s, c, i, start, end, limit, e))) {
            s->win = 0;
            s->auto_win = 0;
        }
        return st;
    }
    if (st) return st;
    if (s->pf && !s->legacy && onward) pf_onward(s, c, i, limit);
    s->dlen = got;
    s->chunk = i;
    s->chunk_off = start;
    s->pos = 0;
    s->rec = i * s->per_chunk;
    return s->legacy ? ct_legacy_steps_chunk(s, e) : CTREC_OK;
}

/* The loaded chunk, read to its end, held fewer records than a chunk
 * does: it was the stream's last, and a growing container may since show
 * it longer (a writer publishes the chunk it is filling, then the complete
 * one at the same offset, ct_writer.h). 1: loaded again with more records
 * and resumed after those read; 0: unchanged; -1. */
static int reload_short(ct_stream *s, ctfs *c, size_t limit, err *e)
{
    uint64_t i = s->chunk, start, end, rec = s->rec;
    size_t pos = s->pos;
    if (i >= s->nchunks) return 0;
    if (chunk_range(s, c, i, &start, &end, e)) return -1;
    if (start == s->chunk_off && end == s->chunk_end) {
        /* the same bytes, or a longer chunk that compressed to as many:
         * records are only added, so its stated content size tells */
        uint8_t h[CT_ZSTD_HEADER_MAX];
        size_t hn = end - start < sizeof h ? (size_t)(end - start) : sizeof h;
        if (ctfs_read_at(c, s->dat, start, h, hn, e)) return -1;
        unsigned long long want = ZSTD_getFrameContentSize(h, hn);
        if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN ||
            want == (s->auto_win ? s->want : s->dlen))
            return 0;
    }
    uint64_t was_off = s->chunk_off, was_end = s->chunk_end;
    s->chunk = UINT64_MAX;
    if (ct_stream_load(s, c, i, limit, e)) {
        /* as it was (read to its end), so that a retry loads it again */
        s->chunk = i;
        s->rec = rec;
        s->pos = s->dlen = pos; /* dbuf's bytes are not read again */
        s->chunk_off = was_off;
        s->chunk_end = was_end;
        return -1;
    }
    if (s->tagged) {
        if (pos > s->dlen)
            return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu shrank while it was read",
                           s->dat_name, (unsigned long long)i),
                   -1;
        s->pos = pos;
        s->rec = rec;
        return 1;
    }
    while (s->rec < rec) {
        const uint8_t *p;
        size_t n;
        int k = ct_stream_record(s, c, limit, &p, &n, e);
        if (k < 0) return -1;
        if (k == 0)
            return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu lost records while it was read",
                           s->dat_name, (unsigned long long)i),
                   -1;
    }
    return 1;
}

int ct_stream_more_slow(ct_stream *s, ctfs *c, size_t limit, err *e)
{
    for (;;) {
        if (s->chunk != UINT64_MAX && s->win && s->pos >= s->dlen && !s->frame_done &&
            fill(s, c, e))
            return -1;
        if (s->chunk != UINT64_MAX && s->pos < s->dlen) return 1;
        /* (a chunk read through a window because it is over the limit
         * too, once its frame is read to the end) */
        if (s->chunk != UINT64_MAX && (!s->win || (s->auto_win && s->frame_done)) &&
            !s->legacy && s->rec < (s->chunk + 1) * s->per_chunk) {
            int k = reload_short(s, c, limit, e);
            if (k <= 0) return k;
            continue;
        }
        uint64_t next = s->chunk == UINT64_MAX ? s->rec / (s->per_chunk ? s->per_chunk : 1)
                                                : s->chunk + 1;
        if (!s->dat || next >= s->nchunks) return 0;
        uint64_t rec = s->rec;
        if (ct_stream_load(s, c, next, limit, e)) return -1;
        if (s->chunk == next && rec > s->rec) s->rec = rec;
        if (s->dlen == 0)
            return err_set(e, CTREC_E_FORMAT, "%s: chunk %llu is empty", s->dat_name,
                           (unsigned long long)next),
                   -1;
    }
}

int ct_stream_record(ct_stream *s, ctfs *c, size_t limit, const uint8_t **p, size_t *n, err *e)
{
    int k = ct_stream_more(s, c, limit, e);
    if (k <= 0) return k;
    if (s->win && !s->frame_done && s->dlen - s->pos < s->wcur / 2 && fill(s, c, e)) return -1;
    const uint8_t *q = s->dbuf + s->pos, *end = s->dbuf + s->dlen;
    uint64_t len;
    int r = ct_varint(&q, end, &len);
    if (s->auto_win && !r && !s->frame_done && len > (uint64_t)(end - q)) {
        /* a chunk streamed because it is over the limit: the record is
         * held whole, in a window grown for it (kept for the rest of the
         * chunk), or it is over the limit */
        if (len > limit) {
            err_bound(e, "%s: record %llu (chunk %llu at byte %llu, decompressed byte %llu) is "
                      "%llu bytes, over the %zu-byte limit",
                      s->dat_name, (unsigned long long)s->rec, (unsigned long long)s->chunk,
                      (unsigned long long)s->chunk_off, (unsigned long long)(s->base + s->pos),
                      (unsigned long long)len, limit);
            return -1;
        }
        size_t need = (size_t)(q - (s->dbuf + s->pos)) + (size_t)len; /* with its length */
        if ((s->pos && fill(s, c, e)) || hold(s, c, need, e)) return -1; /* the record first */
        q = s->dbuf + s->pos;
        end = s->dbuf + s->dlen;
        r = ct_varint(&q, end, &len);
    }
    if (!r && s->win && !s->frame_done && len > (uint64_t)(end - q)) {
        /* longer than the window: give its first bytes, skip the rest
         * (unless ct_stream_widen is asked for more of it) */
        *p = q;
        *n = (size_t)(end - q);
        s->skip = len - (uint64_t)(end - q);
        s->cut_at = (size_t)(q - s->dbuf);
        s->pos = s->dlen;
        s->rec++;
        return 1;
    }
    if (r || len > (uint64_t)(end - q)) {
        err_set(e, CTREC_E_FORMAT,
                "%s: record %llu (chunk %llu at byte %llu, decompressed byte %llu): %s",
                s->dat_name, (unsigned long long)s->rec, (unsigned long long)s->chunk,
                (unsigned long long)s->chunk_off, (unsigned long long)(s->base + s->pos),
                r == -2 ? "a varint longer than 10 bytes"
                        : "its length runs past the end of the chunk");
        return -1;
    }
    *p = q;
    *n = (size_t)len;
    s->pos = (size_t)(q - s->dbuf) + (size_t)len;
    s->rec++;
    return 1;
}

ctrec_status ct_stream_seek(ct_stream *s, ctfs *c, uint64_t n, int prefixed, size_t limit, err *e)
{
    if (!s->dat || !s->per_chunk) {
        s->rec = n;
        return CTREC_OK;
    }
    uint64_t i = n / s->per_chunk;
    if (i >= s->nchunks) {
        /* past the published chunks: the stream simply has nothing there */
        s->chunk = UINT64_MAX;
        s->rec = n;
        s->pos = 0;
        s->dlen = 0;
        return CTREC_OK;
    }
    ctrec_status st = ct_stream_load(s, c, i, limit, e);
    if (st || !prefixed) return st;
    for (uint64_t k = i * s->per_chunk; k < n; k++) {
        const uint8_t *p;
        size_t len;
        int r = ct_stream_record(s, c, limit, &p, &len, e);
        if (r < 0) return e->status;
        if (r == 0) break;
    }
    return CTREC_OK;
}
