/*
 * ct_writer.c — the .ct backend: the multi-stream layout (FORMAT.md 7.2)
 * streamed into a CTFS container. See ct_writer.h for the layout, the
 * memory bound and the durability contract.
 *
 * Threads: the caller's thread encodes records straight into one chunk
 * buffer per stream; a full chunk is handed to the background thread
 * (a job), which compresses it and appends it to the container. All
 * container calls happen in job order on that thread (or, without one, on
 * the caller's thread), so the container needs no lock.
 */
#define _POSIX_C_SOURCE 200809L
#include "encode/ct_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "ctfs/ctfs_write.h"
#include "sink/sink.h"
#include "util/buf.h"
#include "util/le.h"
#include "util/path.h"
#include "util/varint.h"

/* Paths taken once a chunk or on failure: out of line, so that the
 * per-record paths stay short. */
#if defined(__GNUC__) || defined(__clang__)
#define CTW_COLD __attribute__((cold, noinline))
#define CTW_NOINLINE __attribute__((noinline))
#define CTW_INLINE inline __attribute__((always_inline))
#else
#define CTW_COLD
#define CTW_NOINLINE
#define CTW_INLINE inline
#endif

/* ------------------------------------------------------------------ */
/* varints                                                             */

/* v's varint as a word whose bytes in memory (memcpy to a buffer) are the
 * varint's, and its length in *len; v < 2^56. Built in a register: the
 * varint written byte by byte to a buffer and read back as a word made
 * each read wait for the stores (a load spanning several smaller stores
 * is not forwarded from them), about a quarter of ctw_call's samples in
 * fib.lua 30 `--values none`. */
static CTW_INLINE uint64_t vword(uint64_t v, uint8_t *len)
{
    uint64_t w = 0;
    unsigned n = 0;
    while (v >= 0x80) {
        w |= ((v & 0x7f) | 0x80) << (8 * n++);
        v >>= 7;
    }
    w |= v << (8 * n);
    *len = (uint8_t)(n + 1);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static CTW_INLINE uint8_t *vput(uint8_t *p, uint64_t v)
{
    /* the common lengths (keys, steps, sizes under 2^21) unrolled */
    if (v < 0x80) {
        *p = (uint8_t)v;
        return p + 1;
    }
    if (v < 0x4000) {
        p[0] = (uint8_t)(v | 0x80);
        p[1] = (uint8_t)(v >> 7);
        return p + 2;
    }
    if (v < 0x200000) {
        p[0] = (uint8_t)(v | 0x80);
        p[1] = (uint8_t)((v >> 7) | 0x80);
        p[2] = (uint8_t)(v >> 14);
        return p + 3;
    }
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A fixed-size copy of a record part of at most 32 bytes (n), where both
 * buffers have 32 bytes from d and s within their capacity: the bytes
 * past n are overwritten by what follows or left past the buffer's len.
 * Two 16-byte loads and stores instead of fx_copy's size tests. */
static inline void ct_copy32(uint8_t *d, const uint8_t *s)
{
    uint64_t a[2], b[2]; /* in registers (an array of 32 bytes went to the stack) */
    memcpy(a, s, 16);
    memcpy(b, s + 16, 16);
    memcpy(d, a, 16);
    memcpy(d + 16, b, 16);
}

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline void bvar(buf *b, uint64_t v)
{
    if (buf_reserve(b, 10)) return;
    b->len = (size_t)(vput(b->data + b->len, v) - b->data);
}

static inline void bstr(buf *b, const char *s, size_t n)
{
    bvar(b, n);
    buf_put(b, s, n);
}

/* ------------------------------------------------------------------ */
/* state                                                               */

#define CT_BATCH_BYTES (64u * 1024u) /* or this many bytes of them */
/* Scratch pieces written in place after a hand-over found the queue full
 * (scratch_write). */
#define CT_SCRATCH_OFF 16u
/* The first capacity of each stream's chunk buffer and of the scratch
 * buffer: what they reach anyway before their first hand-over (a batch of
 * CT_BATCH_BYTES and the chunk that ends it; the scratch records' 64 KiB
 * and the record that passes it), so that they are not regrown by
 * doubling, copying what they hold each time (sort.lua 300 with ctrec-lua
 * --values none: 70 reallocs, 0.38 M instructions); the pages are touched
 * only as records fill them. */
#define CT_RAW_START (128u * 1024u)
/* A calls chunk's first arena (its 256 calls' records, about 10 KiB for a
 * recorder that records no values). */
#define CT_ARENA_START (16u * 1024u)
/* The most bytes of arenas kept in the free list of calls chunks. */
#define CT_FREE_ARENAS (16u << 20)
enum { T_PATHS, T_FUNCS, T_TYPES, T_VARNAMES, NTABLES };
static const char *const stream_names[NSTREAMS][2] = {{"steps.dat", "steps.idx"},
                                                      {"values.dat", "values.idx"},
                                                      {"calls.dat", "calls.idx"},
                                                      {"events.dat", "events.idx"}};
static const uint32_t per_chunk[NSTREAMS] = {CT_STEPS_PER_CHUNK, CT_VALUES_PER_CHUNK,
                                             CT_CALLS_PER_CHUNK, CT_EVENTS_PER_CHUNK};
static const char *const table_names[NTABLES][2] = {{"paths.dat", "paths.off"},
                                                    {"funcs.dat", "funcs.off"},
                                                    {"types.dat", "types.off"},
                                                    {"varnames.dat", "varnames.off"}};

typedef ctw_stream stream;

typedef struct table {
    unsigned dat, off;
    buf pend_dat, pend_off; /* appended at the next hand-over */
    uint64_t end;           /* .dat bytes so far */
} table;

enum { J_CHUNK, J_PART, J_PROV, J_SCRATCH, J_APPEND, J_META, J_PUBLISH, J_CALLS, J_RAWCALLS };
typedef struct job {
    int kind;
    unsigned target; /* stream (J_CHUNK, J_PART, J_PROV) or member (J_APPEND) */
    buf b;
    uint32_t ends[CT_BATCH]; /* J_CHUNK: the end of each chunk in b */
    uint64_t cidx[CT_BATCH]; /* J_CHUNK of the calls: each chunk's index */
    unsigned nends;
    /* J_RAWCALLS: one calls chunk (cidx[0]) with calls whose children's
     * keys are generated into it (the job's own, in key order) */
    bigtail *tails;
    unsigned ntails;
} job;

void ct_tails_free(bigtail *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++) buf_free(&t[i].kids);
    free(t);
}

int ct_tails_room(bigtail **t, unsigned n, unsigned *cap)
{
    if (n < *cap) return 0;
    unsigned c = *cap ? 2 * *cap : 4;
    bigtail *a = realloc(*t, c * sizeof *a);
    if (!a) return -1;
    *t = a;
    *cap = c;
    return 0;
}

typedef struct pathpos {
    uint64_t base;   /* its first position */
    uint64_t *start; /* start[l]: offset of line l+1; start[nl]: the size */
    size_t nl;       /* 0: no line table (the source was not readable) */
} pathpos;

/* The calls of one calls.dat chunk (keys idx*CT_CALLS_PER_CHUNK on) while
 * it is not complete: the entry part of each call entered (fn parent entry
 * | depth nargs args, split at e1) and, once it returned, its whole
 * calls.dat record, in `arena`. A chunk is complete once all its calls
 * were entered and returned; its records then go to the calls stream in
 * key order, and the chunk back to the free list. */
typedef struct pchunk {
    uint64_t idx;
    unsigned nent, nopen;
    buf arena;
    size_t at[CT_CALLS_PER_CHUNK], len[CT_CALLS_PER_CHUNK]; /* the records */
    size_t total; /* the bytes of the records complete (in the arena) */
    bigtail *big; /* its calls with their children's keys apart, in return order */
    unsigned nbig, big_cap;
    struct pchunk *next_free;
} pchunk;

typedef struct open_call {
    uint64_t key;
    uint64_t nkids, last_kid;
    buf kids; /* the children's keys, each a varint of its distance from the
                 previous one (1 or 2 bytes in a loop's calls) */
    pchunk *pc;         /* its chunk */
    size_t e_at, e1, e_len; /* its entry part in pc->arena */
    /* For the fast paths (ctw_call, ctw_return), varints kept as the
     * bytes of a word (stored 8 bytes at a time into buffers with room,
     * then the pointer moved by the length): its first CT_KIDS_KEPT
     * children's keys (ncw of them kept, in order, cl[i] bytes each; fewer
     * than nkids: the children's deltas are decoded instead). */
    uint64_t cw[4];
    uint8_t cl[4], ncw;
    /* lazy: its children (ncw == nkids of them, at most CT_KIDS_KEPT) are
     * kept only as those words; `kids` and `last_kid` are not set yet
     * (kids_unlazy writes them, when a child more comes or the general
     * return path needs them). */
    uint8_t lazy;
} open_call;
#define CT_KIDS_KEPT 4u

/* A lazy call's children's keys written as `kids` deltas (and last_kid)
 * from the words kept: what ctw_call left out while it kept them as words
 * only. A failed reservation leaves kids.oom set. */
static CTW_NOINLINE void kids_unlazy(open_call *oc)
{
    uint64_t prev = oc->key;
    oc->lazy = 0;
    oc->kids.len = 0;
    oc->kids.oom = 0;
    for (unsigned i = 0; i < oc->ncw; i++) {
        uint8_t w[8];
        const uint8_t *q = w;
        uint64_t k = 0;
        memcpy(w, &oc->cw[i], 8);
        ctw_vget(&q, w + 8, &k);
        if (buf_reserve(&oc->kids, 10)) return;
        oc->kids.len = (size_t)(vput(oc->kids.data + oc->kids.len, k - prev) - oc->kids.data);
        prev = k;
    }
    oc->last_kid = prev;
}

/* The complete calls.dat chunks, compressed, wait in a private unlinked
 * file (NAME.callz~ while it is created) until close copies them into
 * calls.dat in chunk order: chunks complete out of order, and the first
 * (the top-level call's) last. */
#define CHUNKS_SUFFIX ".callz~"

/* The scratch file: [tag][varint body length][body] records (ct_writer.h).
 * 'e' key-B fn key-parent entry-S | depth nargs {var len bytes}
 * 'x' zigzag(key-B) exit-S | retlen ret exclen exc
 * (B, S: the bases sb_key and sb_step) */
#define SCRATCH_SUFFIX CT_SCRATCH_SUFFIX
#define ZOUT (128u * 1024u) /* the compressor's output buffer, for complete chunks */

struct ctw_writer {
    ctw_hot h; /* first: ctw_hot_of */
    int dirfd;
    char *name, *scratch_name;
    ctfs_w *c;
    table t[NTABLES];
    unsigned meta; /* meta.dat: provisional from the start, final at close */
    ZSTD_CCtx *cctx;
    int level;
    int min_match; /* ZSTD_c_minMatch set now (0: the level's) */
    buf zout;
    buf tail; /* a chunk in progress set aside while its stream's batch goes */

    /* the job queue */
    int threaded;
    sink_worker wk;
    job q[CT_QUEUE];
    unsigned qhead, qlen;
    int wsleep; /* the thread waits for jobs (under wk.mu; wake_worker) */
    unsigned sq; /* J_SCRATCH jobs queued or running (under wk.mu) */
    unsigned sq_off; /* scratch pieces to write in place yet (under wk.mu) */
    job inline_job;
    ctrec_status wst; /* sticky failure of a job */
    err werr;

    /* steps and values: nsteps, last_gli, chunk_abs, columns, vrec, vent,
     * vlen_at, vcount in h (ct_writer.h) */
    /* Column-aware traces (meta.dat flag 0x10, h.columns): per path its
     * position range and, when its source was read, where each line
     * starts. */
    pathpos *pp;
    size_t npp, pp_cap;
    uint64_t pos_end;           /* the next path's base */
    uint64_t npaths_placed;     /* paths where a step can go (column-aware:
                                   the ones whose source was read; line-only:
                                   every path) */
    uint64_t npaths_a;          /* line-only: of those, the ones whose bytes
                                   read whole as a column-aware record */
    int stepless_io;            /* an I/O event was recorded before any step */
    uint64_t last_path, last_line; /* of the last step (UINT64_MAX: none) */

    /* calls */
    open_call *stack;
    size_t depth, stack_cap;
    uint64_t next_key;
    ctrec_id first_fn; /* the function of call 0 */
    int scratch_fd;
    buf sbuf;
    ZSTD_CCtx *scctx; /* the scratch pieces' (scratch_packed); made when first used */
    int scctx_bad;    /* it could not be made: pieces stay stored */
    int sc_level;     /* its level now (SCRATCH_LEVEL or SCRATCH_LEVEL2), once made */
    unsigned sc_n;    /* pieces compressed */
    buf sz, sz2;      /* a compressed piece: [u32 size][frame]; the other level's */
    /* the scratch records' bases in the piece being buffered (ct_writer.h):
     * the key of its last e record and the step of its last record */
    uint64_t sb_key, sb_step;
    pchunk *cur;       /* the chunk of the next key, once entered */
    pchunk *free_pc;   /* completed chunks, for reuse */
    size_t free_arena; /* bytes of the arenas in free_pc (pchunk_emit bounds them) */
    int chunks_fd;     /* the complete calls chunks (CHUNKS_SUFFIX) */
    char *chunks_name;
    uint64_t chunks_size;  /* worker side: bytes in chunks_fd and cbuf */
    buf cbuf;              /* worker side: frames not yet written to chunks_fd */
    struct cframe {
        uint64_t off, len;
    } *cframes;            /* worker side: by chunk index */
    size_t ncframes_cap;
    uint64_t calls_n; /* J_CALLS: the number of calls chunks */
    bigtail *sub_tails; /* J_RAWCALLS being handed over: its tails (submit_ends) */
    unsigned sub_ntails;
    int closing; /* ctw_close: a buffer handed over is not needed again */
};

static CTW_COLD ctrec_status nomem(err *e) { return err_set(e, CTREC_E_NOMEM, "out of memory"); }

/* ------------------------------------------------------------------ */
/* jobs                                                                */

static ctrec_status zfail(unsigned si, size_t r, err *e)
{
    return err_set(e, CTREC_E_IO, "compressing a %s chunk: %s", stream_names[si][0],
                   ZSTD_getErrorName(r));
}

/* Compresses one chunk's records into c->zout, whole (a frame with its
 * content size, the writer's parameters): a provisional chunk, which is
 * kept to be shown again. */
/* The steps stream's records are 2-byte deltas in runs: at the default
 * level its chunks are compressed with a minimum match of 7 bytes instead
 * of 5 (fewer, longer matches): fib.lua 20 with ctrec-lua, steps.dat
 * 14,071 -> 5,793 bytes and 4.2 M -> 1.5 M instructions to compress; W1's
 * steps.dat unchanged (1,928 bytes at 200 k). The other streams keep 5
 * (calls.dat: 7 made fib's 10 % larger). */
#define CT_STEPS_MIN_MATCH 7
static ctrec_status stream_params(ctw_writer *c, unsigned si, err *e)
{
    int mml = c->level == CT_DEFAULT_LEVEL && si == S_STEPS ? CT_STEPS_MIN_MATCH : 0;
    if (mml == c->min_match) return CTREC_OK;
    size_t r = ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_minMatch, mml);
    if (ZSTD_isError(r)) return zfail(si, r, e);
    c->min_match = mml;
    return CTREC_OK;
}

/* A chunk of one byte repeated (the values chunks of a trace without
 * values: 1024 empty records, the last one fewer) as a zstd frame of one
 * RLE block, built by hand: magic, a single-segment header with the
 * content size (1 byte under 256, else 2 bytes less 256), the block header
 * (last, RLE, the length) and the byte; 11 bytes for 1024 where
 * ZSTD_compress2 wrote 19 at about 17,000 instructions a frame. Any zstd
 * decoder reads it (an RLE block regenerates Block_Size copies of its
 * byte; the window is the content size, under 128 KiB here). 0 when the
 * chunk is not such a run (memcmp stops at the first differing byte) or
 * longer than a 2-byte content size holds. Needs 10 bytes at o. */
#define CT_RLE_MAX (256u + 65535u)
static size_t rle_frame(uint8_t *o, const uint8_t *p, size_t len)
{
    if (len < 2 || len > CT_RLE_MAX || p[0] != p[len - 1] || memcmp(p, p + 1, len - 1))
        return 0;
    size_t k = 4;
    o[0] = 0x28, o[1] = 0xB5, o[2] = 0x2F, o[3] = 0xFD;
    if (len < 256) {
        o[k++] = 0x20; /* single segment, a 1-byte content size */
        o[k++] = (uint8_t)len;
    } else {
        o[k++] = 0x60; /* a 2-byte content size, less 256 */
        o[k++] = (uint8_t)(len - 256);
        o[k++] = (uint8_t)((len - 256) >> 8);
    }
    uint32_t bh = 1u /* last block */ | 1u << 1 /* RLE */ | (uint32_t)len << 3;
    o[k++] = (uint8_t)bh;
    o[k++] = (uint8_t)(bh >> 8);
    o[k++] = (uint8_t)(bh >> 16);
    o[k++] = p[0];
    return k;
}

static ctrec_status compress_chunk(ctw_writer *c, unsigned si, const uint8_t *p, size_t len,
                                   size_t *n, err *e)
{
    if (buf_reserve(&c->zout, ZOUT)) return nomem(e);
    if ((*n = rle_frame(c->zout.data, p, len))) return CTREC_OK;
    ctrec_status st = stream_params(c, si, e);
    if (st) return st;
    size_t bound = ZSTD_compressBound(len);
    if (buf_reserve(&c->zout, bound < ZOUT ? ZOUT : bound)) return nomem(e);
    *n = ZSTD_compress2(c->cctx, c->zout.data, c->zout.cap, p, len);
    if (ZSTD_isError(*n)) return zfail(si, *n, e);
    return CTREC_OK;
}

/* Compresses one complete chunk of stream si as one frame appended to its
 * .dat; *n: the frame's size. Up to a bound of CT_ONESHOT bytes (values
 * chunks of some MB when tables are recorded) in one ZSTD_compress2 call
 * into zout, grown to the bound as for a provisional chunk: zstd then
 * reads the chunk where it is. Only the pages the frame is written to are
 * touched, and they are about the compressed size. Compressed in pieces
 * through zout as it is instead, the chunk was first copied into zstd's
 * own window buffer: sort.lua 3000 --values all, --compress-thread off,
 * about 4 % of the samples in that copy. A larger chunk (a call with
 * very many children) is still compressed in pieces, so that no buffer
 * grows with it; the frame still states its content size (pledged). */
#define CT_ONESHOT (16u << 20)
/* The chunks file's frames are gathered CT_CBUF bytes at a time before
 * they are written: one write a frame was about 6,300 writes for fib.lua
 * 30's 1.6 M calls. The file is private and read only at close
 * (copy_calls, which writes what is left first), so nothing waits on it. */
#define CT_CBUF (256u * 1024u)
static ctrec_status cbuf_flush(ctw_writer *c, err *e)
{
    if (!c->cbuf.len) return CTREC_OK;
    if (write_all(c->chunks_fd, c->cbuf.data, c->cbuf.len))
        return err_sys(e, errno, "writing %s", c->chunks_name);
    c->cbuf.len = 0;
    return CTREC_OK;
}

/* Where a complete chunk's frame goes: its member (dat) or, for the calls,
 * the chunks file (through cbuf). */
static ctrec_status chunk_out(ctw_writer *c, unsigned si, const uint8_t *p, size_t n, err *e)
{
    if (si != S_CALLS) return ctfs_w_append(c->c, c->h.s[si].dat, p, n, e);
    if (c->cbuf.len + n > CT_CBUF) {
        ctrec_status st = cbuf_flush(c, e);
        if (st) return st;
    }
    if (n >= CT_CBUF) { /* a frame as large as the buffer: as it is */
        if (write_all(c->chunks_fd, p, n)) return err_sys(e, errno, "writing %s", c->chunks_name);
    } else {
        if (!c->cbuf.cap && buf_reserve(&c->cbuf, CT_CBUF)) return nomem(e);
        memcpy(c->cbuf.data + c->cbuf.len, p, n);
        c->cbuf.len += n;
    }
    c->chunks_size += n;
    return CTREC_OK;
}

static ctrec_status append_chunk(ctw_writer *c, unsigned si, const uint8_t *src, size_t len,
                                 uint64_t *n, err *e)
{
    ctrec_status st;
    if (!c->zout.cap && buf_reserve(&c->zout, ZOUT)) return nomem(e);
    if (ZSTD_compressBound(len) <= CT_ONESHOT) {
        size_t k = 0;
        if ((st = compress_chunk(c, si, src, len, &k, e))) return st;
        *n = k;
        return chunk_out(c, si, c->zout.data, k, e);
    }
    size_t r = ZSTD_CCtx_reset(c->cctx, ZSTD_reset_session_only);
    if (ZSTD_isError(r)) return zfail(si, r, e);
    if ((st = stream_params(c, si, e))) return st;
    r = ZSTD_CCtx_setPledgedSrcSize(c->cctx, len);
    if (ZSTD_isError(r)) return zfail(si, r, e);
    ZSTD_inBuffer in = {src, len, 0};
    *n = 0;
    for (;;) {
        ZSTD_outBuffer out = {c->zout.data, c->zout.cap, 0};
        r = ZSTD_compressStream2(c->cctx, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(r)) return zfail(si, r, e);
        if (out.pos && (st = chunk_out(c, si, c->zout.data, out.pos, e))) return st;
        *n += out.pos;
        if (r == 0) return CTREC_OK;
    }
}

/* The offset of the stream's next chunk (complete or provisional: both
 * start where the last complete one ends), once per chunk. */
static ctrec_status chunk_offset(ctw_writer *c, stream *s, err *e)
{
    if (s->nidx > s->wchunks) return CTREC_OK; /* written for its provisional chunk */
    uint8_t off[8];
    for (int i = 0; i < 8; i++) off[i] = (uint8_t)(s->dat_size >> (8 * i));
    s->nidx++;
    return ctfs_w_append(c->c, s->idx, off, 8, e);
}

/* While recording, a published member never shrinks, but a stream's last
 * chunk, provisional or complete, can compress smaller than the provisional
 * one it replaces: its .dat is then padded to its published size with a
 * zstd skippable frame after the chunk's frame, which zstd's decoders skip
 * (the next chunk's bytes later take its place). Not at close. */
static ctrec_status publish(ctw_writer *c, err *e)
{
    ctrec_status st;
    for (unsigned i = 0; i < NSTREAMS; i++) {
        stream *s = &c->h.s[i];
        uint64_t size = ctfs_w_size(c->c, s->dat) + s->prov.len;
        if (size >= s->pub_dat) {
            s->pub_dat = size;
            continue;
        }
        uint64_t pad = s->pub_dat - size < 8 ? 8 : s->pub_dat - size;
        size_t at = s->prov.len;
        uint8_t h[8] = {0x50, 0x2A, 0x4D, 0x18};
        for (int k = 0; k < 4; k++) h[4 + k] = (uint8_t)((pad - 8) >> (8 * k));
        buf_put(&s->prov, h, 8);
        if (buf_reserve(&s->prov, (size_t)(pad - 8))) return nomem(e);
        memset(s->prov.data + s->prov.len, 0, (size_t)(pad - 8));
        s->prov.len += (size_t)(pad - 8);
        if (s->prov.oom) return nomem(e);
        st = ctfs_w_provisional(c->c, s->dat, s->prov.data, s->prov.len, e);
        s->prov.len = at; /* the frame alone, as appended */
        if (st) return st;
        s->pub_dat = size + pad;
    }
    return ctfs_w_publish(c->c, 0, e);
}

/* Room in c->cframes for calls chunk ci. */
static ctrec_status cframe_room(ctw_writer *c, uint64_t ci, err *e)
{
    if (ci < c->ncframes_cap) return CTREC_OK;
    size_t cap = c->ncframes_cap ? 2 * c->ncframes_cap : 64;
    while (cap <= ci) cap *= 2;
    struct cframe *a = realloc(c->cframes, cap * sizeof *a);
    if (!a) return nomem(e);
    memset(a + c->ncframes_cap, 0, (cap - c->ncframes_cap) * sizeof *a);
    c->cframes = a;
    c->ncframes_cap = cap;
    return CTREC_OK;
}

/* Complete calls chunks (in the order they completed) to the chunks file. */
static ctrec_status calls_chunks(ctw_writer *c, job *j, err *e)
{
    size_t from = 0;
    for (unsigned k = 0; k < j->nends; k++) {
        uint64_t ci = j->cidx[k], n = 0, off = c->chunks_size;
        ctrec_status st = cframe_room(c, ci, e);
        if (st) return st;
        st = append_chunk(c, S_CALLS, j->b.data + from, j->ends[k] - from, &n, e);
        if (st) return st;
        c->cframes[ci].off = off;
        c->cframes[ci].len = n;
        from = j->ends[k];
    }
    return CTREC_OK;
}

/* ct_raw_frame (ct_writer.h): a calls chunk with big calls as one zstd
 * frame of raw blocks (stored, not compressed), no buffer holding the
 * chunk. Stored, such a chunk is no larger than compressed: the keys are
 * distinct numbers, which the writer's compression (no entropy coding of
 * literals) does not shrink: zstd itself wrote such chunks as raw blocks
 * (sort.lua 10000's top-level call, 150,000 children: 458,233 bytes in a
 * frame of 458,254, 4 raw blocks), and the frame's header is the one it
 * writes. */
typedef struct rawout {
    ct_frame_out out;
    void *ctx;
    uint8_t *blk; /* the caller's block + 3: the block's bytes */
    size_t bl;
    uint64_t done, total, n; /* content bytes in blocks written; content; frame bytes */
} rawout;

static ctrec_status raw_flush(rawout *r, err *e)
{
    uint32_t last = r->done + r->bl == r->total;
    uint32_t bh = last | (uint32_t)r->bl << 3; /* a raw block */
    uint8_t *h = r->blk - 3;
    h[0] = (uint8_t)bh;
    h[1] = (uint8_t)(bh >> 8);
    h[2] = (uint8_t)(bh >> 16);
    ctrec_status st = r->out(r->ctx, h, 3 + r->bl, e);
    r->n += 3 + r->bl;
    r->done += r->bl;
    r->bl = 0;
    return st;
}

static ctrec_status raw_put(rawout *r, const uint8_t *p, size_t n, err *e)
{
    while (n) {
        size_t m = CT_RAW_BLOCK - r->bl < n ? CT_RAW_BLOCK - r->bl : n;
        memcpy(r->blk + r->bl, p, m);
        r->bl += m;
        p += m;
        n -= m;
        if (r->bl == CT_RAW_BLOCK && r->done + r->bl < r->total) {
            ctrec_status st = raw_flush(r, e);
            if (st) return st;
        }
    }
    return CTREC_OK;
}

ctrec_status ct_raw_frame(const uint8_t *b, size_t len, const bigtail *t, unsigned nt,
                          uint8_t *blk, ct_frame_out out, void *ctx, uint64_t *n, err *e)
{
    rawout r = {.out = out, .ctx = ctx, .blk = blk + 3, .total = len};
    for (unsigned i = 0; i < nt; i++) r.total += t[i].bytes;
    /* magic, frame header (a 4- or 8-byte content size, no checksum),
     * then as zstd writes it: up to the window's size, single-segment (the
     * content is the window); past it, a window descriptor (2^20) */
    uint8_t h[14] = {0x28, 0xB5, 0x2F, 0xFD};
    int wide = r.total > UINT32_MAX, single = r.total <= (1u << CT_WINDOW_LOG);
    size_t hl = 5;
    h[4] = (uint8_t)((wide ? 0xC0 : 0x80) | (single ? 0x20 : 0));
    if (!single) h[hl++] = (CT_WINDOW_LOG - 10) << 3;
    for (int i = 0; i < (wide ? 8 : 4); i++) h[hl++] = (uint8_t)(r.total >> (8 * i));
    ctrec_status st = out(ctx, h, hl, e);
    r.n = hl;
    size_t from = 0;
    for (unsigned i = 0; i < nt && !st; i++) {
        if ((st = raw_put(&r, b + from, t[i].at - from, e))) break;
        from = t[i].at;
        const uint8_t *kp = t[i].kids.data, *kend = kp + t[i].kids.len;
        uint64_t k = t[i].base, bytes = 0;
        for (uint64_t m = 0; m < t[i].n && !st; m++) {
            uint64_t d;
            if (ctw_vget_delta(&kp, kend, &d)) break;
            k += d;
            if (CT_RAW_BLOCK - r.bl > 10) { /* into the block where it is */
                size_t vl = (size_t)(vput(r.blk + r.bl, k) - (r.blk + r.bl));
                r.bl += vl;
                bytes += vl;
                continue;
            }
            uint8_t v[10];
            size_t vl = (size_t)(vput(v, k) - v);
            bytes += vl;
            st = raw_put(&r, v, vl, e);
        }
        if (!st && (bytes != t[i].bytes || kp != kend))
            st = err_set(e, CTREC_E_STATE, "call %llu's children do not add up",
                         (unsigned long long)t[i].base);
    }
    if (!st) st = raw_put(&r, b + from, len - from, e);
    if (!st) st = raw_flush(&r, e); /* the last block */
    *n = r.n;
    return st;
}

static ctrec_status calls_out(void *ctx, const uint8_t *p, size_t n, err *e)
{
    return chunk_out(ctx, S_CALLS, p, n, e);
}

/* A J_RAWCALLS chunk to the chunks file, through zout. */
static ctrec_status raw_calls_chunk(ctw_writer *c, job *j, err *e)
{
    uint64_t ci = j->cidx[0], off = c->chunks_size, n = 0;
    ctrec_status st = cframe_room(c, ci, e);
    if (st) return st;
    if (buf_reserve(&c->zout, 3 + CT_RAW_BLOCK)) return nomem(e);
    st = ct_raw_frame(j->b.data, j->b.len, j->tails, j->ntails, c->zout.data, calls_out, c, &n, e);
    if (st) return st;
    c->cframes[ci].off = off;
    c->cframes[ci].len = n;
    return CTREC_OK;
}

/* At close: calls.dat and calls.idx from the chunks file, chunks 0..n-1.
 * The file is read ZOUT bytes at a time (chunks complete nearly in key
 * order, so most frames are in the bytes read for the one before: W1 at
 * N = 1 M, about 10 reads instead of 393); a frame larger than that is
 * read in pieces. */
static ctrec_status copy_calls(ctw_writer *c, uint64_t n, err *e)
{
    stream *s = &c->h.s[S_CALLS];
    uint64_t boff = 0, blen = 0; /* the file's bytes in zout */
    ctrec_status fst = cbuf_flush(c, e);
    if (fst) return fst;
    if (!c->zout.cap && buf_reserve(&c->zout, ZOUT)) return nomem(e);
    for (uint64_t i = 0; i < n; i++) {
        if (i >= c->ncframes_cap || !c->cframes[i].len)
            return err_set(e, CTREC_E_IO, "%s: calls chunk %llu is missing", c->chunks_name,
                           (unsigned long long)i);
        ctrec_status st = chunk_offset(c, s, e);
        if (st) return st;
        uint64_t off = c->cframes[i].off, left = c->cframes[i].len;
        while (left) {
            if (off < boff || off >= boff + blen) { /* not read yet */
                ssize_t r = pread(c->chunks_fd, c->zout.data, ZOUT, (off_t)off);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0)
                    return r < 0 ? err_sys(e, errno, "reading %s", c->chunks_name)
                                 : err_set(e, CTREC_E_IO, "%s: cut short", c->chunks_name);
                boff = off;
                blen = (uint64_t)r;
            }
            uint64_t have = boff + blen - off;
            size_t k = (size_t)(left < have ? left : have);
            if ((st = ctfs_w_append(c->c, s->dat, c->zout.data + (off - boff), k, e))) return st;
            off += k;
            left -= k;
        }
        s->dat_size += c->cframes[i].len;
        s->wchunks++;
    }
    return CTREC_OK;
}

/* The scratch file's pieces: [u32 size][zstd frame], any zstd frame with
 * its content size (ct_sreader decompresses it). A piece is compressed at
 * zstd level -4 or -1 (scratch_packed) when that at least halves it, else
 * stored: its records as they are, in raw blocks of at most
 * SCRATCH_BLOCK (single segment, a 4-byte content size, no checksum).
 * Since the records are deltas ("Later (scratch2)") they compress 20 to
 * 80 times at level -1, at 1.3 to 6.7 GB/s (`zstd -b`, 64 KiB blocks:
 * fib.lua --values none and all, sort.lua --values all): what was tens of
 * MB of temporary disk for a short recording, and GBs for a long one with
 * tables in its arguments, is a few per cent of it. (With the absolute
 * fields before, level -20 made the file only 1.35 times smaller, and
 * pieces were stored since 5d8397f.) */
#define SCRATCH_BLOCK (128u * 1024u)
/* Two levels, chosen when both are tried (every SCRATCH_PROBE-th piece,
 * starting with the first): -1 when its piece is at most two thirds of
 * -4's, else -4. -4 is about as small and twice as fast on the regular
 * records of deep recursion (python-zstandard on the pieces of killed
 * recordings: fib.lua 32 `--values none` 25.8 against 20.0 times
 * smaller); -1 much smaller on table-heavy code and calls of many kinds,
 * as fast or faster (sort.lua 10000 `--values none` 23.2 against 7.5
 * times, `--values all` 71.5 against 44.7). Scratch bytes written, -4
 * alone -> both: sort.lua 10000 none 641 -> 172 KB, sort.lua 3000 all
 * 1.70 -> 1.45 MB, fib.lua 22 all 202 -> 89 KB, fib.lua 27 none 367 ->
 * 348 KB; the recording thread's instructions +0.2-0.3 % (callgrind). */
#define SCRATCH_LEVEL (-4)
#define SCRATCH_LEVEL2 (-1)
#define SCRATCH_PROBE 16u

/* writev until every byte of v[0..cnt) is written: 0, or -1 with errno. */
static int writev_all(int fd, struct iovec *v, int cnt)
{
    int i = 0;
    while (i < cnt) {
        ssize_t r = writev(fd, v + i, cnt - i);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = EIO;
            return -1;
        }
        size_t k = (size_t)r;
        while (i < cnt && k >= v[i].iov_len) k -= v[i++].iov_len;
        if (i < cnt) {
            v[i].iov_base = (uint8_t *)v[i].iov_base + k;
            v[i].iov_len -= k;
        }
    }
    return 0;
}

/* p's n bytes compressed into c->sz as a whole piece ([u32 size][frame]);
 * 0 when they are to be stored instead: the frame would not be at most
 * half of n, or the context or the buffer could not be had (the piece is
 * then stored, nothing fails). */
static size_t scratch_packed(ctw_writer *c, const uint8_t *p, size_t n)
{
    if (n < 64 || n > (1u << 30) /* past what ct_sreader takes anyway */ || c->scctx_bad) return 0;
    if (!c->scctx) {
        c->scctx = ZSTD_createCCtx();
        if (!c->scctx ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c->scctx, ZSTD_c_compressionLevel, SCRATCH_LEVEL)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c->scctx, ZSTD_c_checksumFlag, 0))) {
            c->scctx_bad = 1;
            return 0;
        }
        c->sc_level = SCRATCH_LEVEL;
    }
    size_t cap = n / 2; /* the most worth writing */
    c->sz.len = 0;
    if (buf_reserve(&c->sz, 4 + cap)) {
        buf_free(&c->sz); /* its oom flag: try again with the next piece */
        return 0;
    }
    size_t k = ZSTD_compress2(c->scctx, c->sz.data + 4, cap, p, n);
    if (c->sc_n++ % SCRATCH_PROBE == 0) {
        /* the other level, into sz2: the piece of the level chosen is
         * kept, and that level used until the next probe */
        int other = c->sc_level == SCRATCH_LEVEL ? SCRATCH_LEVEL2 : SCRATCH_LEVEL;
        c->sz2.len = 0;
        if (!buf_reserve(&c->sz2, 4 + cap) &&
            !ZSTD_isError(ZSTD_CCtx_setParameter(c->scctx, ZSTD_c_compressionLevel, other))) {
            size_t k2 = ZSTD_compress2(c->scctx, c->sz2.data + 4, cap, p, n);
            /* -1 only when it saves a third: at about the same size, -4
             * is the faster (fib.lua 22 `--values none`: choosing the
             * smaller doubled the compression's instructions) */
            size_t k4 = other == SCRATCH_LEVEL ? k2 : k, k1 = other == SCRATCH_LEVEL ? k : k2;
            int use1 = !ZSTD_isError(k1) && (ZSTD_isError(k4) || k1 * 3 <= k4 * 2);
            if (!ZSTD_isError(k2) && use1 == (other == SCRATCH_LEVEL2)) {
                buf t = c->sz;
                c->sz = c->sz2;
                c->sz2 = t;
                k = k2;
                c->sc_level = other;
            } else if (ZSTD_isError(ZSTD_CCtx_setParameter(c->scctx, ZSTD_c_compressionLevel,
                                                           c->sc_level))) {
                c->scctx_bad = 1; /* the context's level is unknown: store from now on */
            }
        } else if (c->sz2.oom) {
            buf_free(&c->sz2);
        }
    }
    if (ZSTD_isError(k)) return 0; /* over half (dstSize_tooSmall) */
    for (int i = 0; i < 4; i++) c->sz.data[i] = (uint8_t)(k >> (8 * i));
    return 4 + k;
}

/* Writes p's n bytes as one piece: compressed (scratch_packed) in one
 * write, or stored, head and block headers in the same writev as the
 * records (up to 16 blocks a call), without copying them: the common
 * stored piece (at most SCRATCH_BLOCK) is one writev. */
static ctrec_status scratch_piece(ctw_writer *c, const uint8_t *p, size_t n, err *e)
{
    enum { GROUP = 16 };
    size_t packed = scratch_packed(c, p, n);
    if (packed) {
        if (write_all(c->scratch_fd, c->sz.data, packed))
            return err_sys(e, errno, "writing %s", c->scratch_name);
        return CTREC_OK;
    }
    static const uint8_t head[5] = {0x28, 0xb5, 0x2f, 0xfd, 0xa0}; /* magic; FCS 4 bytes, single segment */
    size_t nblocks = n ? (n + SCRATCH_BLOCK - 1) / SCRATCH_BLOCK : 1;
    uint64_t size = 5 + 4 + 3 * (uint64_t)nblocks + n; /* the frame's */
    if (size > UINT32_MAX)
        return err_set(e, CTREC_E_ARG, "a call's scratch record of %zu bytes is over 4 GiB", n);
    uint8_t h[13], bh[GROUP][3];
    for (int i = 0; i < 4; i++) h[i] = (uint8_t)(size >> (8 * i));
    memcpy(h + 4, head, sizeof head);
    for (int i = 0; i < 4; i++) h[9 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    struct iovec v[1 + 2 * GROUP];
    int cnt = 0, nb = 0;
    v[cnt++] = (struct iovec){h, sizeof h};
    do {
        size_t k = n < SCRATCH_BLOCK ? n : SCRATCH_BLOCK;
        uint32_t b = (uint32_t)k << 3 | (k == n); /* raw block, the last one flagged */
        bh[nb][0] = (uint8_t)b;
        bh[nb][1] = (uint8_t)(b >> 8);
        bh[nb][2] = (uint8_t)(b >> 16);
        v[cnt++] = (struct iovec){bh[nb++], 3};
        if (k) v[cnt++] = (struct iovec){(void *)(uintptr_t)p, k};
        p += k;
        n -= k;
        if (n == 0 || nb == GROUP) {
            if (writev_all(c->scratch_fd, v, cnt))
                return err_sys(e, errno, "writing %s", c->scratch_name);
            cnt = nb = 0;
        }
    } while (n);
    return CTREC_OK;
}

/* Appends n bytes of a values chunk handed over in parts to s->part
 * (worker side). */
static ctrec_status part_add(stream *s, const uint8_t *p, size_t n, err *e)
{
    buf_put(&s->part, p, n);
    return s->part.oom ? nomem(e) : CTREC_OK;
}

static ctrec_status run_job(ctw_writer *c, job *j, err *e)
{
    ctrec_status st = CTREC_OK;
    switch (j->kind) {
    case J_CHUNK: {
        stream *s = &c->h.s[j->target];
        size_t from = 0;
        if (j->target == S_CALLS) return calls_chunks(c, j, e);
        for (unsigned k = 0; k < j->nends; k++) {
            uint64_t n = 0;
            const uint8_t *p = j->b.data + from;
            size_t len = j->ends[k] - from;
            if (k == 0 && s->part.len) { /* the end of a chunk handed over in parts */
                if ((st = part_add(s, p, len, e))) return st;
                p = s->part.data;
                len = s->part.len;
                s->part.len = 0;
            }
            if ((st = chunk_offset(c, s, e))) return st;
            if ((st = append_chunk(c, j->target, p, len, &n, e))) return st;
            s->dat_size += n;
            s->wchunks++;
            s->prov.len = 0; /* the provisional chunk this one replaces */
            from = j->ends[k];
        }
        return CTREC_OK;
    }
    case J_PROV: {
        /* The chunk in progress, shown as the stream's last chunk until the
         * complete one is appended in its place. */
        stream *s = &c->h.s[j->target];
        size_t n = 0, len = j->b.len, had = s->part.len;
        const uint8_t *p = j->b.data;
        if (had) { /* after the parts handed over (joined, then dropped again) */
            if ((st = part_add(s, p, len, e))) return st;
            p = s->part.data;
            len = s->part.len;
        }
        st = compress_chunk(c, j->target, p, len, &n, e);
        s->part.len = had;
        if (st) return st;
        if ((st = chunk_offset(c, s, e))) return st;
        s->prov.len = 0;
        buf_put(&s->prov, c->zout.data, n);
        if (s->prov.oom) return nomem(e);
        return ctfs_w_provisional(c->c, s->dat, c->zout.data, n, e);
    }
    case J_PART: return part_add(&c->h.s[j->target], j->b.data, j->b.len, e);
    case J_SCRATCH: return scratch_piece(c, j->b.data, j->b.len, e);
    case J_CALLS: return copy_calls(c, c->calls_n, e);
    case J_RAWCALLS: return raw_calls_chunk(c, j, e);
    case J_APPEND: return ctfs_w_append(c->c, j->target, j->b.data, j->b.len, e);
    case J_META: return ctfs_w_replace(c->c, c->meta, j->b.data, j->b.len, e);
    case J_PUBLISH: return publish(c, e);
    }
    return CTREC_OK;
}

static void *worker_main(void *arg)
{
    ctw_writer *c = arg;
    err e = {0};
    pthread_mutex_lock(&c->wk.mu);
    for (;;) {
        while (c->qlen == 0 && !c->wk.stop) {
            c->wsleep = 1;
            pthread_cond_wait(&c->wk.cv, &c->wk.mu);
            c->wsleep = 0;
        }
        if (c->qlen == 0) break;
        job *j = &c->q[c->qhead];
        int skip = c->wst != CTREC_OK;
        pthread_mutex_unlock(&c->wk.mu);
        ctrec_status st = skip ? CTREC_OK : run_job(c, j, &e);
        j->b.len = 0;
        ct_tails_free(j->tails, j->ntails);
        j->tails = NULL;
        j->ntails = 0;
        pthread_mutex_lock(&c->wk.mu);
        if (st && !c->wst) {
            c->wst = st;
            c->werr = e;
        }
        if (j->kind == J_SCRATCH) c->sq--;
        c->qhead = (c->qhead + 1) % CT_QUEUE;
        c->qlen--;
        pthread_cond_broadcast(&c->wk.cv);
    }
    pthread_mutex_unlock(&c->wk.mu);
    return NULL;
}

/* Wakes the compressing thread if it waits for jobs (under wk.mu). A job
 * handed over wakes it only once CT_WAKE jobs wait, or for a publication
 * or at close, and a wait for the queue (full, or drained) first wakes it:
 * it was woken for nearly every job before, since it keeps up, and each
 * wake-up cost the recording thread about 15 us on the virtual machines
 * measured (a futex call and an interrupt to the other core; sort.lua
 * 10000 `--values none`: about 70 of them, 2.5 % of its samples with the
 * interrupt's). */
static void wake_worker(ctw_writer *c)
{
    if (c->wsleep) pthread_cond_broadcast(&c->wk.cv);
}

static ctrec_status job_failed(ctw_writer *c, err *e)
{
    *e = c->werr;
    return c->wst;
}

/* The job's kind, target and chunk ends. */
static void job_head(job *j, int kind, unsigned target, const uint32_t *ends,
                     const uint64_t *cidx, unsigned nends)
{
    j->kind = kind;
    j->target = target;
    j->nends = nends;
    if (nends) memcpy(j->ends, ends, nends * sizeof *ends);
    if (cidx && nends) memcpy(j->cidx, cidx, nends * sizeof *cidx);
}

/* Gives the job b's bytes (swapping buffers: b gets the job's old one,
 * emptied) and its chunk ends. The queue's buffers serve every kind of
 * job, so the one b gets may be smaller than b was (a table's few bytes):
 * it is then replaced, empty, by one of b's capacity, since growing it
 * again by doubling would realloc (and copy) up to 8 times (fib.lua 20:
 * 161 reallocs, about 50 instructions a call); not past 1 MiB (a chunk
 * grown by one huge record), nor out of memory: it then stays as it is
 * (appends grow it), nor at close (refill 0). Up to CT_SMALL_JOB bytes
 * are copied into the job's buffer instead, when it has the room. */
#define CT_SMALL_JOB 4096u
static void fill_job(job *j, int kind, unsigned target, buf *b, const uint32_t *ends,
                     const uint64_t *cidx, unsigned nends, int refill)
{
    job_head(j, kind, target, ends, cidx, nends);
    if (b->len <= CT_SMALL_JOB && j->b.cap >= b->len && !b->oom) {
        /* a table's few bytes, meta.dat, a publication's none: copied,
         * so that the queue's big buffers stay in it (swapping them out
         * gave later chunks a small one to replace, a malloc each: 13 in
         * sort.lua 300, about 8,000 instructions each) */
        if (b->len) memcpy(j->b.data, b->data, b->len);
        j->b.len = b->len;
        b->len = 0;
        return;
    }
    size_t cap = b->cap;
    buf t = j->b;
    j->b = *b;
    *b = t;
    b->len = 0;
    if (refill && b->cap < cap && cap <= (1u << 20) && !b->oom) {
        uint8_t *p = malloc(cap);
        if (p) {
            free(b->data);
            b->data = p;
            b->cap = cap;
        }
    }
}

/* Hands b over (swapping it with the job's empty buffer, so that nothing
 * is copied or allocated once the queue's buffers have grown). */
static ctrec_status submit_ends(ctw_writer *c, int kind, unsigned target, buf *b,
                               const uint32_t *ends, const uint64_t *cidx, unsigned nends,
                               err *e)
{
    bigtail *tails = c->sub_tails; /* J_RAWCALLS: given to the job */
    unsigned ntails = c->sub_ntails;
    c->sub_tails = NULL;
    c->sub_ntails = 0;
    if (!c->threaded) {
        if (c->wst) {
            ct_tails_free(tails, ntails);
            return job_failed(c, e);
        }
        /* The job runs now, on b's bytes where they are: b keeps its
         * buffer. (Swapping it with the job's, as for the thread, handed
         * each stream the buffer of the stream before it: a values chunk
         * of some MB then grew again from a steps chunk's buffer, by
         * doubling into new pages, at every hand-over.) */
        job *j = &c->inline_job;
        job_head(j, kind, target, ends, cidx, nends);
        j->b = *b;
        j->tails = tails;
        j->ntails = ntails;
        ctrec_status st = run_job(c, j, &c->werr);
        ct_tails_free(j->tails, j->ntails);
        j->tails = NULL;
        j->ntails = 0;
        j->b = (buf){0};
        b->len = 0;
        if (st) {
            c->wst = st;
            return job_failed(c, e);
        }
        return CTREC_OK;
    }
    pthread_mutex_lock(&c->wk.mu);
    while (c->qlen == CT_QUEUE && !c->wst) {
        c->sq_off = CT_SCRATCH_OFF; /* the thread is behind: scratch_write */
        wake_worker(c);
        pthread_cond_wait(&c->wk.cv, &c->wk.mu);
    }
    if (c->wst) {
        pthread_mutex_unlock(&c->wk.mu);
        ct_tails_free(tails, ntails);
        return job_failed(c, e);
    }
    job *j = &c->q[(c->qhead + c->qlen) % CT_QUEUE];
    fill_job(j, kind, target, b, ends, cidx, nends, !c->closing);
    j->tails = tails;
    j->ntails = ntails;
    c->qlen++;
    if (c->qlen >= CT_WAKE || kind == J_PUBLISH || c->closing) wake_worker(c);
    pthread_mutex_unlock(&c->wk.mu);
    return CTREC_OK;
}

static ctrec_status submit(ctw_writer *c, int kind, unsigned target, buf *b, err *e)
{
    return submit_ends(c, kind, target, b, NULL, NULL, 0, e);
}

/* Waits until every job ran. */
static ctrec_status drain(ctw_writer *c, err *e)
{
    if (c->threaded) {
        pthread_mutex_lock(&c->wk.mu);
        while (c->qlen) {
            wake_worker(c);
            pthread_cond_wait(&c->wk.cv, &c->wk.mu);
        }
        pthread_mutex_unlock(&c->wk.mu);
    }
    return c->wst ? job_failed(c, e) : CTREC_OK;
}

/* The interning tables' new records go first, so that a published chunk
 * never names an id its table does not hold yet. */
static ctrec_status submit_tables(ctw_writer *c, err *e)
{
    for (unsigned i = 0; i < NTABLES; i++) {
        table *t = &c->t[i];
        if (t->pend_dat.oom || t->pend_off.oom) return nomem(e);
        ctrec_status st;
        if (t->pend_dat.len && (st = submit(c, J_APPEND, t->dat, &t->pend_dat, e))) return st;
        if (t->pend_off.len && (st = submit(c, J_APPEND, t->off, &t->pend_off, e))) return st;
    }
    return CTREC_OK;
}

/* Hands the stream's complete chunks over; the chunk in progress (its
 * bytes after `done`) stays. */
static ctrec_status submit_batch(ctw_writer *c, unsigned si, err *e)
{
    stream *s = &c->h.s[si];
    c->h.step_fast = 0; /* the chunks change */
    if (!s->nends) return CTREC_OK;
    if (s->raw.oom) return nomem(e);
    ctrec_status st = submit_tables(c, e);
    if (st) return st;
    size_t tail = s->raw.len - s->done;
    if (tail) {
        c->tail.len = 0;
        buf_put(&c->tail, s->raw.data + s->done, tail);
        if (c->tail.oom) return nomem(e);
        s->raw.len = s->done;
    }
    if ((st = submit_ends(c, J_CHUNK, si, &s->raw, s->ends, s->cidx, s->nends, e))) return st;
    if (tail) {
        buf_put(&s->raw, c->tail.data, tail);
        if (s->raw.oom) return nomem(e);
    }
    /* the values record in progress moved with the tail */
    if (si == S_VALUES && c->h.nsteps && c->h.vrec >= s->done) c->h.vrec -= s->done;
    s->nends = 0;
    s->done = 0;
    return CTREC_OK;
}

/* Ends the chunk in progress (full, or the stream's last at close). */
static CTW_NOINLINE ctrec_status end_chunk(ctw_writer *c, unsigned si, err *e)
{
    stream *s = &c->h.s[si];
    c->h.step_fast = 0; /* the chunks change */
    s->ends[s->nends++] = (uint32_t)s->raw.len;
    s->done = s->raw.len;
    s->nrec = 0;
    s->nchunks++;
    if (s->nends == CT_BATCH || s->raw.len >= CT_BATCH_BYTES) return submit_batch(c, si, e);
    return CTREC_OK;
}

static inline ctrec_status record_done(ctw_writer *c, unsigned si, err *e)
{
    stream *s = &c->h.s[si];
    if (__builtin_expect(++s->nrec == per_chunk[si], 0)) return end_chunk(c, si, e);
    return CTREC_OK;
}

/* ------------------------------------------------------------------ */
/* the scratch file                                                    */

/* Writes the scratch records buffered as one piece: handed to the
 * compressing thread (J_SCRATCH), which compresses and writes it in its
 * turn, unless that thread fell behind lately (a hand-over found the
 * queue full within the last CT_SCRATCH_OFF pieces) and no piece is
 * queued or being written; then, as without that thread (and at close,
 * once it stopped), here. So the pieces reach the file in order, and a
 * piece handed over after the chunks handed over before it and before the
 * publication after it; one written here may go before chunks still
 * queued (ctrec repair keeps only the calls entered and returned at
 * published steps).
 *
 * Until 2026-12-05 (twenty-sixth session) every piece was written here:
 * handing it over had made the recording thread slower (fib.lua 30
 * `--values none` 0.45 s here against 0.56), when the thread was woken for
 * each job. With it woken once per CT_WAKE jobs, and a values chunk handed
 * over in parts, handing the pieces over saves the recording thread their
 * compression (fib.lua 30 0.96 of the time, sort.lua 10000 0.95-0.97
 * `--values none`, fib.lua 30 `--values all` 0.93), while a recording
 * that outruns the compressing thread waited for it: `ctrec-bench w1`
 * (about 20 ns an event) took 1.12 times as long with every piece handed
 * over, 0.95 with this back-off, against writing every piece here. A
 * failure is the writer's (it stops). */
static ctrec_status scratch_write(ctw_writer *c, err *e)
{
    if (c->sbuf.oom) return nomem(e);
    if (c->sbuf.len == 0) return CTREC_OK;
    int hand = 0;
    if (c->threaded) {
        pthread_mutex_lock(&c->wk.mu);
        hand = c->sq || !c->sq_off;
        if (c->sq_off) c->sq_off--;
        if (hand) c->sq++; /* before the thread can run it */
        pthread_mutex_unlock(&c->wk.mu);
    }
    /* in place only with no piece queued or running: the scratch context
     * (scctx) is then this thread's */
    ctrec_status st = hand ? submit(c, J_SCRATCH, 0, &c->sbuf, e)
                           : scratch_piece(c, c->sbuf.data, c->sbuf.len, e);
    c->sbuf.len = 0;
    c->sb_key = c->sb_step = 0; /* a piece's first record starts from 0 */
    return st;
}

/* Ends a scratch record whose tag is at s0[0] and whose body runs from
 * s0 + 2 to p: its length goes in s0[1] (the common record, under 128
 * bytes) or, longer, as a varint with the body moved after it (the buffer
 * has room for 9 more bytes past p). Returns the record's end. */
static inline uint8_t *srec_end(uint8_t *s0, uint8_t *p)
{
    size_t body = (size_t)(p - (s0 + 2));
    if (__builtin_expect(body < 0x80, 1)) {
        s0[1] = (uint8_t)body;
        return p;
    }
    unsigned k = ctw_vlen(body);
    memmove(s0 + 1 + k, s0 + 2, body);
    vput(s0 + 1, body);
    return p + k - 1;
}

/* An e record's fields at q (ct_writer.h: key - B, fn, key - parent (0:
 * none), entry - S), the bases moved to this record; returns their end. */
static CTW_INLINE uint8_t *srec_e_fields(ctw_writer *c, uint8_t *q, uint64_t key, ctrec_id fn,
                                         uint64_t pdist, uint64_t entry)
{
    q = vput(q, key - c->sb_key);
    q = vput(q, fn);
    q = vput(q, pdist);
    q = vput(q, entry - c->sb_step);
    c->sb_key = key;
    c->sb_step = entry;
    return q;
}

/* An x record's fields at q (zigzag(key - B), exit - S), the step base
 * moved to this record; returns their end. */
static CTW_INLINE uint8_t *srec_x_fields(ctw_writer *c, uint8_t *q, uint64_t key,
                                         uint64_t exitstep)
{
    q = vput(q, zigzag((int64_t)key - (int64_t)c->sb_key));
    q = vput(q, exitstep - c->sb_step);
    c->sb_step = exitstep;
    return q;
}

/* ------------------------------------------------------------------ */
/* open                                                                */

static void meta_dat(buf *b, const ctw_meta *m, int columns);

ctrec_status ctw_open(int dirfd, const char *name, int threaded, int level, int columns,
                      const ctw_meta *m, ctw_writer **out, err *e)
{
    *out = NULL;
    ctw_writer *c = calloc(1, sizeof *c);
    if (!c) return nomem(e);
    c->dirfd = dirfd;
    c->scratch_fd = -1;
    c->chunks_fd = -1;
    c->level = level;
    c->h.columns = columns != 0;
    c->last_path = UINT64_MAX;
    size_t n = strlen(name);
    c->name = malloc(n + 1);
    c->scratch_name = malloc(n + sizeof SCRATCH_SUFFIX);
    c->chunks_name = malloc(n + sizeof CHUNKS_SUFFIX);
    c->cctx = ZSTD_createCCtx();
    if (!c->name || !c->scratch_name || !c->chunks_name || !c->cctx) {
        ctw_abandon(c);
        return nomem(e);
    }
    /* Every chunk is one frame stating its content size (the Nim reader
     * sizes its output from it) and no checksum; the window is bounded so
     * that a streaming decompressor of the largest chunk (calls.dat's
     * root call lists every child) needs at most 1 MiB of window. */
    if (ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_windowLog, CT_WINDOW_LOG)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag, 0)) ||
        (level == CT_DEFAULT_LEVEL &&
         (ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_strategy, ZSTD_fast)) ||
          ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_hashLog, CT_FAST_HASH_LOG)) ||
          ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_targetLength, CT_FAST_TARGET))))) {
        ctw_abandon(c);
        return err_set(e, CTREC_E_ARG, "zstd level %d is not usable for .ct", level);
    }
    memcpy(c->name, name, n + 1);
    memcpy(c->scratch_name, name, n);
    memcpy(c->scratch_name + n, SCRATCH_SUFFIX, sizeof SCRATCH_SUFFIX);
    memcpy(c->chunks_name, name, n);
    memcpy(c->chunks_name + n, CHUNKS_SUFFIX, sizeof CHUNKS_SUFFIX);

    ctrec_status st = ctfs_w_create(dirfd, name, &c->c, e);
    for (unsigned i = 0; i < NTABLES && !st; i++) {
        st = ctfs_w_member(c->c, table_names[i][0], &c->t[i].dat, e);
        if (!st) st = ctfs_w_member(c->c, table_names[i][1], &c->t[i].off, e);
        static const uint8_t zero8[8] = {0};
        if (!st) st = ctfs_w_append(c->c, c->t[i].off, zero8, 8, e);
    }
    for (unsigned i = 0; i < NSTREAMS && !st; i++) {
        st = ctfs_w_member(c->c, stream_names[i][0], &c->h.s[i].dat, e);
        if (!st) st = ctfs_w_member(c->c, stream_names[i][1], &c->h.s[i].idx, e);
        uint8_t h[4];
        for (int k = 0; k < 4; k++) h[k] = (uint8_t)(per_chunk[i] >> (8 * k));
        if (!st) st = ctfs_w_append(c->c, c->h.s[i].idx, h, 4, e);
        if (!st && buf_reserve(&c->h.s[i].raw, CT_RAW_START)) st = nomem(e);
    }
    if (!st && buf_reserve(&c->sbuf, CT_RAW_START)) st = nomem(e);
    /* A meta.dat from the start, so that the container of a killed
     * recording opens (its paths are in paths.dat); close replaces it with
     * the final one, which lists the paths too. */
    if (!st) st = ctfs_w_member(c->c, "meta.dat", &c->meta, e);
    if (!st) {
        buf b = {0};
        meta_dat(&b, m, c->h.columns);
        st = b.oom ? nomem(e) : ctfs_w_append(c->c, c->meta, b.data, b.len, e);
        buf_free(&b);
    }
    if (!st) st = ctfs_w_publish(c->c, 0, e);
    if (!st) {
        c->scratch_fd =
            path_create(dirfd, c->scratch_name, O_WRONLY | O_CLOEXEC, 0644);
        if (c->scratch_fd < 0) st = err_sys(e, errno, "creating %s", c->scratch_name);
    }
    if (!st) { /* private: unlinked at once, so that nothing is left behind */
        c->chunks_fd = openat(dirfd, c->chunks_name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (c->chunks_fd < 0) st = err_sys(e, errno, "creating %s", c->chunks_name);
        else if (unlinkat(dirfd, c->chunks_name, 0)) st = err_sys(e, errno, "removing %s", c->chunks_name);
    }
    if (st) {
        ctw_abandon(c);
        return st;
    }
    if (threaded && sink_worker_start(&c->wk, worker_main, c) == 0) c->threaded = 1;
    *out = c;
    return CTREC_OK;
}

/* ------------------------------------------------------------------ */
/* definitions                                                         */

static ctrec_status table_add(ctw_writer *c, unsigned ti, const char *p, size_t n, err *e)
{
    table *t = &c->t[ti];
    buf_put(&t->pend_dat, p, n);
    t->end += n;
    uint8_t off[8];
    for (int i = 0; i < 8; i++) off[i] = (uint8_t)(t->end >> (8 * i));
    buf_put(&t->pend_off, off, 8);
    if (t->pend_dat.oom || t->pend_off.oom) return nomem(e);
    return CTREC_OK;
}

/* The line lengths of a source file, each counting its line's newline (so
 * that every line, an empty one too, has a column 1 and the column just
 * past its end): *lens (malloc'd) and *nl; nothing (0 lines) when `file`
 * is not a readable regular file or has too many lines. -1: no memory. */
static int line_lengths(const char *file, uint32_t **lens, size_t *nl)
{
    *lens = NULL;
    *nl = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 0;
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return 0;
    }
    uint32_t *a = NULL;
    size_t n = 0, cap = 0;
    uint64_t cur = 0;
    int ok = 1, any = 0;
    uint8_t chunk[65536];
    for (;;) {
        ssize_t k = read(fd, chunk, sizeof chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) ok = 0;
        if (k <= 0) break;
        for (ssize_t i = 0; i < k && ok; i++) {
            any = 1;
            cur++;
            if (chunk[i] != '\n') continue;
            if (n == cap) {
                if (cap >= CT_MAX_LINES) {
                    ok = 0;
                    break;
                }
                size_t nc = cap ? 2 * cap : 256;
                uint32_t *b = realloc(a, nc * sizeof *b);
                if (!b) {
                    free(a);
                    close(fd);
                    return -1;
                }
                a = b;
                cap = nc;
            }
            a[n++] = cur > UINT32_MAX ? (ok = 0, 0) : (uint32_t)cur;
            cur = 0;
        }
        if (!ok) break;
    }
    close(fd);
    if (ok && any && cur) { /* a last line without its newline */
        uint32_t *b = n == cap ? realloc(a, (cap + 1) * sizeof *b) : a;
        if (!b) {
            free(a);
            return -1;
        }
        a = b;
        a[n++] = cur + 1 > UINT32_MAX ? (ok = 0, 0) : (uint32_t)(cur + 1);
    }
    if (!ok || n > CT_MAX_LINES) {
        free(a);
        return 0;
    }
    *lens = a;
    *nl = n;
    return 0;
}

/* Whether a path's bytes read whole as a column-aware path record (varint
 * length, that many bytes, varint line count, that many varints, nothing
 * after). A paths.dat without the column flag whose every record reads so
 * is taken for a column-aware one by the readers (ctrec's and the
 * reference's, docs/ct.md "Positions"); ctw_close then adds an empty path,
 * which does not read so. Any such parse counts (a superset of what the
 * readers accept). */
static int reads_as_layout_a(const char *path, size_t n)
{
    const uint8_t *q = (const uint8_t *)path, *end = q + n;
    uint64_t len, nl, z;
    if (ct_varint(&q, end, &len) || len > (uint64_t)(end - q)) return 0;
    q += len;
    if (ct_varint(&q, end, &nl) || nl > (uint64_t)(end - q)) return 0;
    for (uint64_t l = 0; l < nl; l++)
        if (ct_varint(&q, end, &z)) return 0;
    return q == end;
}

ctrec_status ctw_path(ctw_writer *c, const char *p, size_t n, const char *file, err *e)
{
    if (!c->h.columns) {
        ctrec_status st = table_add(c, T_PATHS, p, n, e);
        if (!st) c->npaths_placed++, c->npaths_a += reads_as_layout_a(p, n);
        return st;
    }
    /* Layout A: path length, path, line count, line lengths (the first a
     * zigzag varint, then zigzag deltas). */
    uint32_t *lens = NULL;
    size_t nl = 0;
    if (file && line_lengths(file, &lens, &nl)) return nomem(e);
    if (c->npp == c->pp_cap) {
        size_t cap = c->pp_cap ? 2 * c->pp_cap : 16;
        pathpos *a = realloc(c->pp, cap * sizeof *a);
        if (!a) {
            free(lens);
            return nomem(e);
        }
        c->pp = a;
        c->pp_cap = cap;
    }
    pathpos *pp = &c->pp[c->npp];
    pp->base = c->pos_end;
    pp->nl = nl;
    pp->start = nl ? malloc((nl + 1) * sizeof *pp->start) : NULL;
    if (nl && !pp->start) {
        free(lens);
        return nomem(e);
    }
    buf r = {0};
    bstr(&r, p, n);
    bvar(&r, nl);
    uint64_t at = 0;
    for (size_t l = 0; l < nl; l++) {
        pp->start[l] = at;
        at += lens[l];
        bvar(&r, zigzag(l ? (int64_t)lens[l] - (int64_t)lens[l - 1] : (int64_t)lens[l]));
    }
    if (nl) pp->start[nl] = at;
    free(lens);
    /* A path's positions: the sum of its line lengths (each at least 1).
     * One without a table has none: the reference reader sizes it so (its
     * writer gives it 100000, which would shift every later path), and no
     * step can be placed there. */
    c->pos_end += at;
    c->npp++;
    ctrec_status st = r.oom ? nomem(e) : table_add(c, T_PATHS, (const char *)r.data, r.len, e);
    buf_free(&r);
    if (!st) c->npaths_placed += nl != 0;
    return st;
}
ctrec_status ctw_function(ctw_writer *c, const char *p, size_t n, err *e)
{
    return table_add(c, T_FUNCS, p, n, e);
}
ctrec_status ctw_type(ctw_writer *c, const char *p, size_t n, err *e)
{
    return table_add(c, T_TYPES, p, n, e);
}
ctrec_status ctw_varname(ctw_writer *c, const char *p, size_t n, err *e)
{
    return table_add(c, T_VARNAMES, p, n, e);
}

/* ------------------------------------------------------------------ */
/* steps and values                                                    */

/* The head of a values record of `count` entries taking `ent` bytes
 * (count 0: the record is the single byte 0); its length. */
static inline unsigned values_head(uint8_t *h, uint64_t count, size_t ent)
{
    if (!count) {
        h[0] = 0;
        return 1;
    }
    uint8_t *p = vput(h, 1 + ctw_vlen(count) + ent);
    *p++ = 0;
    p = vput(p, count);
    return (unsigned)(p - h);
}

/* A head other than the 3 bytes of a short record, or in room kept for
 * another (hk bytes kept): the entries move when the sizes differ. */
static CTW_COLD int values_head_set(ctw_writer *c, size_t ent, size_t hk)
{
    stream *v = &c->h.s[S_VALUES];
    uint8_t h[21];
    unsigned k = values_head(h, c->h.vcount, ent);
    if (k > hk && buf_reserve(&v->raw, k - hk)) return -1;
    uint8_t *r = v->raw.data + c->h.vrec;
    if (k != hk) memmove(r + k, r + hk, ent);
    memcpy(r, h, k);
    v->raw.len = v->raw.len + k - hk;
    c->h.vhx_next = (uint8_t)(k > 3 ? k - 3 : 0);
    return 0;
}

/* With the compressing thread, a values chunk in progress whose complete
 * records reach CT_PART_BYTES hands them over (J_PART), and that thread
 * gathers them until the chunk ends (stream.part): the recording thread
 * then writes each chunk's bytes into a buffer of some hundred KiB that
 * stays in its cache, not into one as large as the chunk (4.4 MB for
 * sort.lua 10000 --values all, 1024 steps of its tables), which it wrote
 * out to memory, and which, swapped with the queue's buffers at each
 * hand-over, grew again by doubling into fresh pages. */
#define CT_PART_BYTES (256u * 1024u)
static CTW_NOINLINE ctrec_status submit_part(ctw_writer *c, err *e)
{
    stream *v = &c->h.s[S_VALUES];
    ctrec_status st;
    /* complete chunks before it first (the part is then at raw's start) */
    if (v->nends && (st = submit_batch(c, S_VALUES, e))) return st;
    if (v->raw.oom) return nomem(e);
    c->h.step_fast = 0; /* the chunks change */
    return submit_ends(c, J_PART, S_VALUES, &v->raw, NULL, NULL, 0, e);
}

/* Completes the values record of the last step in place (see vrec). */
static inline ctrec_status finish_values(ctw_writer *c, err *e)
{
    stream *v = &c->h.s[S_VALUES];
    if (v->raw.oom) return nomem(e);
    size_t hk = 3u + c->h.vhx;
    size_t ent = v->raw.len - c->h.vrec - hk;
    uint8_t *r = v->raw.data + c->h.vrec;
    if (c->h.vcount == 0) {
        r[0] = 0;
        v->raw.len = c->h.vrec + 1;
        c->h.vhx_next = 0;
    } else if (hk == 3 && c->h.vcount < 128 && ent < 128 - 2) {
        r[0] = (uint8_t)(2 + ent);
        r[1] = 0;
        r[2] = (uint8_t)c->h.vcount;
        c->h.vhx_next = 0;
    } else if (values_head_set(c, ent, hk)) {
        return nomem(e);
    }
    c->h.vcount = 0;
    ctrec_status st = record_done(c, S_VALUES, e);
    if (!st && v->raw.len - v->done >= CT_PART_BYTES && v->nrec && c->threaded)
        st = submit_part(c, e);
    return st;
}

/* The next step's values record: its room for the head (see vrec). */
static inline ctrec_status values_next(ctw_writer *c, err *e)
{
    ctrec_status st;
    if (c->h.nsteps && (st = finish_values(c, e))) return st;
    stream *v = &c->h.s[S_VALUES];
    unsigned hk = 3u + c->h.vhx_next;
    if (buf_reserve(&v->raw, hk)) return nomem(e);
    c->h.vrec = v->raw.len;
    c->h.vhx = c->h.vhx_next;
    v->raw.len += hk;
    return CTREC_OK;
}

/* ctw_hot.step_fast after a step record. */
static inline void step_fast_set(ctw_writer *c)
{
    const stream *s = &c->h.s[S_STEPS], *v = &c->h.s[S_VALUES];
    uint64_t n = 0;
    /* (the common case completes a record whose head has 3 bytes kept) */
    if (!c->h.columns && c->h.chunk_abs && s->nrec && !s->raw.oom && !c->h.vhx) {
        n = CT_STEPS_PER_CHUNK - 1 - s->nrec;
        if (v->nrec + 1 > CT_VALUES_PER_CHUNK) n = 0;
        else if (CT_VALUES_PER_CHUNK - 1 - v->nrec < n) n = CT_VALUES_PER_CHUNK - 1 - v->nrec;
        if ((s->raw.cap - s->raw.len) / 2 < n) n = (s->raw.cap - s->raw.len) / 2;
    }
    c->h.step_fast = (uint32_t)n;
}

static inline ctrec_status step_record(ctw_writer *c, int tag, uint64_t x, err *e)
{
    c->h.step_fast = 0;
    ctrec_status st = values_next(c, e);
    if (st) return st;
    stream *s = &c->h.s[S_STEPS];
    if (buf_reserve(&s->raw, 11)) return nomem(e);
    uint8_t *p = s->raw.data + s->raw.len;
    /* a chunk starts with an absolute step (FORMAT.md 7.2), also when a
     * thread, raise or catch record comes first in it */
    if (s->nrec == 0) c->h.chunk_abs = 0;
    if (tag == 0) {
        int64_t d = (int64_t)(x - c->h.last_gli);
        if (c->h.chunk_abs && d >= -64 && d <= 63) {
            *p++ = 1;
            p = vput(p, zigzag(d));
        } else {
            *p++ = 0;
            p = vput(p, x);
        }
        c->h.last_gli = x;
        c->h.chunk_abs = 1;
    } else if (tag == 7) { /* the same line, another column */
        if (c->h.chunk_abs) {
            *p++ = 7;
            p = vput(p, zigzag((int64_t)(x - c->h.last_gli)));
        } else {
            *p++ = 0;
            p = vput(p, x);
        }
        c->h.last_gli = x;
        c->h.chunk_abs = 1;
    } else {
        *p++ = (uint8_t)tag;
        p = vput(p, x);
        c->last_path = UINT64_MAX;
    }
    s->raw.len = (size_t)(p - s->raw.data);
    c->h.nsteps++;
    if ((st = record_done(c, S_STEPS, e))) return st;
    step_fast_set(c);
    return CTREC_OK;
}

static CTW_NOINLINE ctrec_status column_step(ctw_writer *c, ctrec_id path_id, int64_t line,
                                             int64_t column, err *e);

/* Out of line, so that ctw_step's common case saves no registers. */
static CTW_NOINLINE ctrec_status step_slow(ctw_writer *c, uint64_t x, err *e)
{
    return step_record(c, 0, x, e);
}

/* ctw_line_step's common case is in ct_writer.h; this is the rest. */
ctrec_status ctw_step(ctw_writer *c, ctrec_id path_id, int64_t line, int64_t column, err *e)
{
    if (c->h.columns || column) return column_step(c, path_id, line, column, e);
    return step_slow(c, ctw_gli(path_id, line), e);
}

static CTW_NOINLINE ctrec_status column_step(ctw_writer *c, ctrec_id path_id, int64_t line,
                                             int64_t column, err *e)
{
    if (!c->h.columns)
        return err_set(e, CTREC_E_UNSUPPORTED,
                       "a step's column needs a column-aware .ct (the writer option columns)");
    const pathpos *pp = &c->pp[path_id];
    uint64_t x;
    if (!pp->nl) {
        return err_set(e, CTREC_E_UNSUPPORTED,
                       "path %llu has no line-length table (its source file could not be read "
                       "when the path was defined): a column-aware .ct has no position there",
                       (unsigned long long)path_id);
    } else {
        if (line < 1 || (uint64_t)line > pp->nl)
            return err_set(e, CTREC_E_UNSUPPORTED,
                           "line %lld is outside path %llu's source (%zu lines), which a "
                           "column-aware .ct addresses by line lengths",
                           (long long)line, (unsigned long long)path_id, pp->nl);
        uint64_t len = pp->start[line] - pp->start[line - 1];
        if (column > (int64_t)len)
            return err_set(e, CTREC_E_UNSUPPORTED,
                           "column %lld is past the end of line %lld of path %llu (%llu "
                           "columns with its newline)",
                           (long long)column, (long long)line, (unsigned long long)path_id,
                           (unsigned long long)len);
        x = pp->base + pp->start[line - 1] + (uint64_t)(column ? column - 1 : 0);
    }
    int same = path_id == c->last_path && (uint64_t)line == c->last_line;
    c->last_path = path_id;
    c->last_line = (uint64_t)line;
    return step_record(c, same ? 7 : 0, x, e);
}

ctrec_status ctw_thread(ctw_writer *c, int tag, uint64_t tid, err *e)
{
    return step_record(c, tag, tid, e);
}

ctrec_status ctw_catch(ctw_writer *c, ctrec_id type_id, err *e)
{
    return step_record(c, 3, type_id, e);
}

ctrec_status ctw_raise(ctw_writer *c, ctrec_id type_id, const char *msg, size_t n, err *e)
{
    c->h.step_fast = 0; /* the chunks change */
    ctrec_status st = values_next(c, e);
    if (st) return st;
    stream *s = &c->h.s[S_STEPS];
    if (buf_reserve(&s->raw, 21 + n)) return nomem(e);
    if (s->nrec == 0) c->h.chunk_abs = 0;
    uint8_t *p = s->raw.data + s->raw.len;
    *p++ = 2;
    p = vput(p, type_id);
    p = vput(p, n);
    if (n) memcpy(p, msg, n);
    p += n;
    c->last_path = UINT64_MAX;
    s->raw.len = (size_t)(p - s->raw.data);
    c->h.nsteps++;
    return record_done(c, S_STEPS, e);
}

/* A Value's entry in a step's values record (room: 20 + n): its variable
 * and length varints, then its bytes. Returns the end. */
static inline uint8_t *value_entry(uint8_t *p, ctrec_id var, const uint8_t *v, size_t n)
{
    p = vput(p, var);
    p = vput(p, n);
    fx_copy(p, v, n);
    return p + n;
}

ctrec_status ctw_value(ctw_writer *c, ctrec_id var, const uint8_t *v, size_t n, err *e)
{
    if (c->h.nsteps == 0)
        return err_set(e, CTREC_E_STATE,
                       "a .ct keeps values per step: a Value before the first step has no place");
    buf *b = &c->h.s[S_VALUES].raw;
    if (buf_reserve(b, 20 + n)) return nomem(e);
    b->len = (size_t)(value_entry(b->data + b->len, var, v, n) - b->data);
    c->h.vcount++;
    return CTREC_OK;
}

/* ctw_value_begin when the chunk needs room (ct_writer.h) */
buf *ctw_value_begin_slow(ctw_writer *c, ctrec_id var, size_t *at)
{
    buf *b = &c->h.s[S_VALUES].raw;
    if (buf_reserve(b, 16)) {
        c->h.vent = *at = b->len;
        return b; /* its oom flag fails the value */
    }
    return ctw_value_open(&c->h, b, var, at);
}

/* ctw_value_end of a long value or after a failed reservation */
ctrec_status ctw_value_end_slow(ctw_writer *c, err *e)
{
    buf *b = &c->h.s[S_VALUES].raw;
    if (b->oom) return nomem(e);
    size_t kept = 1u + c->h.vlx, n = b->len - c->h.vlen_at - kept;
    unsigned k = ctw_vlen(n);
    if (k > kept && buf_reserve(b, k - kept)) return nomem(e);
    uint8_t *p = b->data + c->h.vlen_at;
    if (k != kept) memmove(p + k, p + kept, n);
    vput(p, n);
    b->len = b->len + k - kept;
    c->h.vlw[c->h.vslot] = (uint8_t)(k - 1);
    c->h.vcount++;
    return CTREC_OK;
}

void ctw_value_cancel(ctw_writer *c)
{
    c->h.s[S_VALUES].raw.len = c->h.vent;
}

/* ------------------------------------------------------------------ */
/* events                                                              */

ctrec_status ctw_event(ctw_writer *c, ctrec_event_kind kind, const char *meta, size_t mn,
                      const char *content, size_t cn, err *e)
{
    stream *s = &c->h.s[S_EVENTS];
    /* Before the first step an event goes at step 0; when no step follows,
     * writer.c writes one before ctw_close (ctw_stepless), which needs a
     * path where a step can go. */
    if (!c->h.nsteps) {
        if (!c->npaths_placed)
            return err_set(e, CTREC_E_STATE,
                           "a .ct places an I/O event at a step: before the first step, at "
                           "step 0, which needs a path defined first%s",
                           c->h.columns ? " whose source could be read (column-aware)" : "");
        c->stepless_io = 1;
    }
    uint64_t step = c->h.nsteps ? c->h.nsteps - 1 : 0;
    size_t body = 1 + ctw_vlen(step) + ctw_vlen(mn) + mn + ctw_vlen(cn) + cn;
    if (buf_reserve(&s->raw, body + 10)) return nomem(e);
    uint8_t *p = vput(s->raw.data + s->raw.len, body);
    *p++ = (uint8_t)kind;
    p = vput(p, step);
    p = vput(p, mn);
    if (mn) memcpy(p, meta, mn);
    p += mn;
    p = vput(p, cn);
    if (cn) memcpy(p, content, cn);
    p += cn;
    s->raw.len = (size_t)(p - s->raw.data);
    return record_done(c, S_EVENTS, e);
}

/* ------------------------------------------------------------------ */
/* calls                                                               */

uint64_t ctw_open_calls(const ctw_writer *c) { return c->depth; }

int ctw_stepless(const ctw_writer *c, ctrec_id *fn)
{
    *fn = c->next_key ? c->first_fn : UINT64_MAX; /* no call: no function */
    return (c->next_key || c->stepless_io) && !c->h.nsteps;
}

static CTW_COLD pchunk *pchunk_new(ctw_writer *c, uint64_t idx)
{
    pchunk *pc = c->free_pc;
    if (pc) {
        c->free_pc = pc->next_free;
        c->free_arena -= pc->arena.cap;
    } else if (!(pc = malloc(sizeof *pc))) /* at[] and len[]: set as each call returns */
        return NULL;
    else {
        memset(&pc->arena, 0, sizeof pc->arena);
        pc->big = NULL;
        pc->nbig = pc->big_cap = 0;
        if (buf_reserve(&pc->arena, CT_ARENA_START)) {
            free(pc);
            return NULL;
        }
    }
    pc->idx = idx;
    pc->nent = pc->nopen = 0;
    pc->arena.len = 0;
    pc->total = 0;
    pc->next_free = NULL;
    return pc;
}

/* A complete chunk back to the free list with its arena, which the next
 * chunk would grow to the same size again (a test suite's calls with
 * tables for arguments: arenas of some MB, regrown by doubling into new
 * pages at every chunk); an arena grown past 256 KiB is let go when the
 * free list's arenas would pass CT_FREE_ARENAS (a deep recursion leaves
 * many chunks in the list). */
static void pchunk_release(ctw_writer *c, pchunk *pc)
{
    if (c->cur == pc) c->cur = NULL;
    if (pc->arena.cap > (256u << 10) && c->free_arena + pc->arena.cap > CT_FREE_ARENAS)
        buf_free(&pc->arena);
    c->free_arena += pc->arena.cap;
    pc->next_free = c->free_pc;
    c->free_pc = pc;
}

static void pchunk_destroy(pchunk *pc)
{
    ct_tails_free(pc->big, pc->nbig);
    buf_free(&pc->arena);
    free(pc);
}

/* A complete chunk with calls whose children's keys are apart (bigtail):
 * handed over alone (J_RAWCALLS), the complete chunks before it first, as
 * its records in key order without those keys, where the job writes them
 * (raw_calls_chunk). */
static CTW_NOINLINE ctrec_status pchunk_emit_raw(ctw_writer *c, pchunk *pc, err *e)
{
    stream *s = &c->h.s[S_CALLS];
    ctrec_status st = submit_batch(c, S_CALLS, e);
    if (st) return st;
    if (s->raw.len) return err_set(e, CTREC_E_STATE, "calls chunk %llu: stream not empty",
                                   (unsigned long long)pc->idx);
    if (buf_reserve(&s->raw, pc->total)) return nomem(e);
    /* the tails in key order (they were added in return order) */
    for (unsigned i = 1; i < pc->nbig; i++)
        for (unsigned j = i; j > 0 && pc->big[j - 1].slot > pc->big[j].slot; j--) {
            bigtail t = pc->big[j];
            pc->big[j] = pc->big[j - 1];
            pc->big[j - 1] = t;
        }
    uint8_t *p = s->raw.data + s->raw.len;
    unsigned ti = 0;
    for (unsigned i = 0; i < pc->nent; i++) {
        memcpy(p, pc->arena.data + pc->at[i], pc->len[i]);
        p += pc->len[i];
        if (ti < pc->nbig && pc->big[ti].slot == i) pc->big[ti++].at = (size_t)(p - s->raw.data);
    }
    s->raw.len = (size_t)(p - s->raw.data);
    uint32_t end = (uint32_t)s->raw.len;
    uint64_t ci = pc->idx;
    c->sub_tails = pc->big;
    c->sub_ntails = pc->nbig;
    pc->big = NULL;
    pc->nbig = pc->big_cap = 0;
    pchunk_release(c, pc);
    s->nchunks++;
    st = submit_ends(c, J_RAWCALLS, S_CALLS, &s->raw, &end, &ci, 1, e);
    s->raw.len = 0;
    return st;
}

/* A complete chunk's records, in key order, to the calls stream as one
 * chunk (handed over with its index). */
static CTW_NOINLINE ctrec_status pchunk_emit(ctw_writer *c, pchunk *pc, err *e)
{
    stream *s = &c->h.s[S_CALLS];
    if (pc->arena.oom) return nomem(e);
    if (pc->nbig) return pchunk_emit_raw(c, pc, e);
    size_t total = pc->total;
    /* records up to 64 bytes (nearly all) copied 32 bytes at a time: room
     * for the bytes copied past them, in the stream and in the arena */
    if (buf_reserve(&s->raw, total + 64) || buf_reserve(&pc->arena, 64)) return nomem(e);
    uint8_t *p = s->raw.data + s->raw.len;
    const uint8_t *a = pc->arena.data;
    for (unsigned i = 0; i < pc->nent; i++) {
        size_t n = pc->len[i];
        const uint8_t *r = a + pc->at[i];
        if (n <= 64) {
            ct_copy32(p, r);
            if (n > 32) ct_copy32(p + 32, r + 32);
        } else {
            memcpy(p, r, n);
        }
        p += n;
    }
    s->raw.len += total;
    s->nrec = pc->nent;
    s->cidx[s->nends] = pc->idx;
    pchunk_release(c, pc);
    return end_chunk(c, S_CALLS, e);
}

static CTW_NOINLINE ctrec_status call_slow(ctw_writer *c, ctrec_id fn, const ev_arg *args,
                                           size_t nargs, err *e);

/* ctw_call's common case: at most CT_CALL_ARGS arguments of at most 64
 * bytes each, a call inside another (whose children's keys have the
 * room), in a calls chunk already started, the scratch buffer and the
 * chunk's arena with room for the entry part at 32 bytes a copy
 * (CT_CALL_ROOM and 20 bytes more than each argument): the same bytes as
 * call_slow's, without its reservations and most of the copies' size
 * tests. */
#define CT_CALL_ROOM 128u
#define CT_CALL_ARGS 4u
static CTW_INLINE ctrec_status call_fast(ctw_writer *c, ctrec_id fn, const ev_arg *args,
                                         size_t nargs, size_t room, err *e)
{
    uint64_t key = c->next_key;
    size_t d = c->depth;
    pchunk *pc = c->cur;
    if (d - 1 < c->stack_cap - 1 && key % CT_CALLS_PER_CHUNK && pc &&
        !(key >> 48) /* the varints kept as words: 8 bytes at most */ &&
        c->sbuf.cap - c->sbuf.len >= room && !c->sbuf.oom &&
        pc->arena.cap - pc->arena.len >= room) {
        open_call *pcall = &c->stack[d - 1];
        uint64_t nk = pcall->nkids;
        /* the parent's first CT_KIDS_KEPT children: their keys' words only
         * (lazy); past them its kids deltas, written out once */
        int keep = pcall->lazy && nk < CT_KIDS_KEPT;
        if (!keep && pcall->lazy) kids_unlazy(pcall);
        if (keep || (pcall->kids.cap - pcall->kids.len >= 10 && !pcall->kids.oom)) {
            if (!keep) {
                pcall->kids.len = (size_t)(vput(pcall->kids.data + pcall->kids.len,
                                                key - pcall->last_kid) -
                                           pcall->kids.data);
                pcall->last_kid = key;
            }
            pcall->nkids = nk + 1;
            open_call *oc = pcall + 1;
            c->depth = d + 1;
            c->next_key = key + 1;
            pc->nent++;
            pc->nopen++;
            oc->key = key;
            oc->nkids = 0;
            oc->pc = pc;
            oc->ncw = 0;
            oc->lazy = 1; /* kids and last_kid: set by kids_unlazy */
            /* the entry part, in the chunk's arena: fn parent entry |
             * depth nargs {var len value} (nargs and each len one byte) */
            uint64_t entry = c->h.nsteps ? c->h.nsteps - 1 : 0;
            uint8_t *a = pc->arena.data + pc->arena.len, *p;
            p = vput(a, fn);
            p = vput(p, pcall->key << 1); /* zigzag of a key: its double */
            p = vput(p, entry);
            size_t e1 = (size_t)(p - a);
            p = vput(p, d);
            *p++ = (uint8_t)nargs;
            for (size_t i = 0; i < nargs; i++) {
                p = vput(p, args[i].var);
                *p++ = (uint8_t)args[i].len;
                fx_copy(p, args[i].value, args[i].len);
                p += args[i].len;
            }
            size_t elen = (size_t)(p - a), rest = elen - e1;
            oc->e_at = pc->arena.len;
            oc->e1 = e1;
            oc->e_len = elen;
            pc->arena.len += elen;
            if (keep) { /* ncw == nk: the key's varint as a word, for the parent */
                pcall->cw[nk] = vword(key, &pcall->cl[nk]);
                pcall->ncw = (uint8_t)(nk + 1);
            }
            /* the e record (ct_writer.h): tag, 1-byte length, key - base,
             * fn, key - parent, entry - base | the arena's depth nargs
             * args; within the room: its fields take at most 31 bytes, the
             * copy at most 64 or the rest's length, the room 128 and 20
             * more an argument (the arena's reads likewise) */
            uint8_t *s0 = c->sbuf.data + c->sbuf.len, *q = s0 + 2;
            s0[0] = 'e';
            q = srec_e_fields(c, q, key, fn, key - pcall->key, entry);
            if (nargs == 0) {
                /* depth and nargs written again rather than copied from
                 * the arena: its bytes were just stored one by one, and a
                 * wide load of them waits for those stores */
                uint8_t *q2 = vput(q, d);
                *q2 = 0;
            } else {
                ct_copy32(q, a + e1);
                if (rest > 32) {
                    if (rest <= 64) ct_copy32(q + 32, a + e1 + 32);
                    else fx_copy(q + 32, a + e1 + 32, rest - 32);
                }
            }
            c->sbuf.len = (size_t)(srec_end(s0, q + rest) - c->sbuf.data);
            if (c->sbuf.len >= 65536) return scratch_write(c, e);
            return CTREC_OK;
        }
    }
    return call_slow(c, fn, args, nargs, e);
}

/* A call with arguments (their room counted first), out of line so that
 * the call without (ctrec_call's) keeps its registers. */
static CTW_NOINLINE ctrec_status call_args(ctw_writer *c, ctrec_id fn, const ev_arg *args,
                                           size_t nargs, err *e)
{
    size_t room = CT_CALL_ROOM;
    if (nargs > CT_CALL_ARGS) return call_slow(c, fn, args, nargs, e);
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].len > 64) return call_slow(c, fn, args, nargs, e);
        room += 20 + args[i].len;
    }
    return call_fast(c, fn, args, nargs, room, e);
}

ctrec_status ctw_call(ctw_writer *c, ctrec_id fn, const ev_arg *args, size_t nargs, err *e)
{
    if (nargs) return call_args(c, fn, args, nargs, e);
    return call_fast(c, fn, NULL, 0, CT_CALL_ROOM, e);
}

/* A call's entry step, its arguments' Values and the call (ct_writer.h):
 * the caller checked the step's case (ctw_line_step_fits, which covers
 * ctw_line_step_try's but for the values chunk's room), the room for the
 * step and the Values is checked here (3 bytes for the step's values
 * record head, 20 more than each Value's bytes), so that none can fail.
 * Each Value as ctw_value writes it (value_entry). */
int ctw_step_args_call(ctw_writer *c, uint64_t x, ctrec_id fn, const ev_arg *args, size_t nargs,
                       err *e)
{
    buf *b = &c->h.s[S_VALUES].raw;
    size_t room = 3;
    for (size_t i = 0; i < nargs; i++) room += 20 + args[i].len;
    /* the step's case: ctw_line_step_fits, which the caller checked */
    if (b->cap - b->len < room || b->oom) return -1;
    ctw_line_step_put(&c->h, x);
    uint8_t *p = b->data + b->len;
    for (size_t i = 0; i < nargs; i++) p = value_entry(p, args[i].var, args[i].value, args[i].len);
    b->len = (size_t)(p - b->data);
    c->h.vcount += nargs;
    /* ctw_call's body: calling ctw_call instead cost about 20 instructions
     * a call (fib.lua 20 --values all, callgrind) */
    if (nargs) return (int)call_args(c, fn, args, nargs, e);
    return (int)call_fast(c, fn, NULL, 0, CT_CALL_ROOM, e);
}

/* ctrec_call's entry step and call in one call of the backend (ct_writer.h):
 * the model's caller keeps no registers across two calls, and the step's
 * fields are this function's own loads. */
int ctw_step_call(ctw_writer *c, uint64_t x, ctrec_id fn, err *e)
{
    if (!ctw_line_step_try(c, x)) return -1;
    return (int)call_fast(c, fn, NULL, 0, CT_CALL_ROOM, e);
}

static CTW_NOINLINE ctrec_status call_slow(ctw_writer *c, ctrec_id fn, const ev_arg *args,
                                           size_t nargs, err *e)
{
    uint64_t key = c->next_key;
    if (c->depth == c->stack_cap) {
        size_t cap = c->stack_cap ? 2 * c->stack_cap : 64;
        open_call *a = realloc(c->stack, cap * sizeof *a);
        if (!a) return nomem(e);
        /* a slot's kids buffer stays allocated from call to call */
        memset(a + c->stack_cap, 0, (cap - c->stack_cap) * sizeof *a);
        c->stack = a;
        c->stack_cap = cap;
    }
    pchunk *pc = c->cur;
    if (key % CT_CALLS_PER_CHUNK == 0 || !pc) {
        if (!(pc = pchunk_new(c, key / CT_CALLS_PER_CHUNK))) return nomem(e);
        c->cur = pc;
    }
    int64_t parent = -1;
    if (c->depth) {
        open_call *pcall = &c->stack[c->depth - 1];
        if (pcall->lazy) kids_unlazy(pcall);
        bvar(&pcall->kids, key - pcall->last_kid);
        if (pcall->kids.oom) return nomem(e);
        pcall->last_kid = key;
        pcall->nkids++;
        parent = (int64_t)pcall->key;
    }
    if (key == 0) c->first_fn = fn;
    open_call *oc = &c->stack[c->depth++];
    oc->key = key;
    oc->nkids = 0;
    oc->last_kid = key;
    oc->kids.len = 0; /* its buffer is the slot's, kept from the last call */
    oc->kids.oom = 0;
    oc->pc = pc;
    oc->ncw = 0; /* the fast paths' words: none kept */
    oc->lazy = 1;         /* no child yet */
    pc->nent++;
    pc->nopen++;
    c->next_key++;

    /* The entry part in the chunk's arena, then the e record (ct_writer.h)
     * in the scratch buffer: its fields as deltas, then the same depth,
     * nargs and arguments. */
    uint64_t entry = c->h.nsteps ? c->h.nsteps - 1 : 0;
    size_t room = 48; /* 5 varints */
    for (size_t i = 0; i < nargs; i++) room += 20 + args[i].len;
    if (buf_reserve(&pc->arena, room)) return nomem(e);
    uint8_t *a = pc->arena.data + pc->arena.len, *p = a;
    p = vput(p, fn);
    p = vput(p, zigzag(parent));
    p = vput(p, entry);
    size_t e1 = (size_t)(p - a);
    p = vput(p, c->depth - 1);
    p = vput(p, nargs);
    for (size_t i = 0; i < nargs; i++) {
        p = vput(p, args[i].var);
        p = vput(p, args[i].len);
        fx_copy(p, args[i].value, args[i].len);
        p += args[i].len;
    }
    size_t elen = (size_t)(p - a), rest = elen - e1;
    oc->e_at = pc->arena.len;
    oc->e1 = e1;
    oc->e_len = elen;
    pc->arena.len += elen;
    /* tag, length (srec_end: 9 bytes more at most), 4 varints, the rest */
    if (buf_reserve(&c->sbuf, rest + 64)) return nomem(e);
    uint8_t *s0 = c->sbuf.data + c->sbuf.len, *q = s0 + 2;
    s0[0] = 'e';
    q = srec_e_fields(c, q, key, fn, parent < 0 ? 0 : key - (uint64_t)parent, entry);
    memcpy(q, a + e1, rest);
    c->sbuf.len = (size_t)(srec_end(s0, q + rest) - c->sbuf.data);
    if (c->sbuf.len >= 65536) return scratch_write(c, e);
    return c->sbuf.oom ? nomem(e) : CTREC_OK;
}

/* Ends the innermost open call at exit step `exitstep`: its calls.dat
 * record in its chunk's arena (the chunk goes when complete) and, with
 * `scratch`, its x record in the scratch file. */
static CTW_INLINE ctrec_status call_done(ctw_writer *c, const uint8_t *v, size_t n,
                                         const uint8_t *x, size_t xn, int scratch, err *e)
{
    open_call *oc = &c->stack[c->depth - 1];
    pchunk *pc = oc->pc;
    static const uint8_t none_marker = 0xFF;
    if (oc->lazy) {
        kids_unlazy(oc);
        if (oc->kids.oom) return nomem(e);
    }
    if (n == 0) {
        v = &none_marker;
        n = 1;
    }
    if (!xn) x = NULL;
    uint64_t exitstep = c->h.nsteps ? c->h.nsteps - 1 : 0;
    const uint8_t *kp, *kend = oc->kids.data ? oc->kids.data + oc->kids.len : NULL;
    /* The record's body is written after a 1-byte length (the common
     * record under 128 bytes), and moved when its length needs more:
     * no varint measured ahead. Room: the length, exitstep, the tail's
     * three varints, 10 bytes each, and the children's keys, each below
     * next_key. */
    uint64_t kmax = oc->nkids * ctw_vlen(c->next_key);
    int big = kmax > CT_BIG_TAIL; /* the children's keys apart (bigtail) */
    uint64_t room = (uint64_t)oc->e_len + n + xn + (big ? 0 : kmax) + 50;
    if (buf_reserve(&pc->arena, (size_t)room)) return nomem(e);
    if (big && ct_tails_room(&pc->big, pc->nbig, &pc->big_cap)) return nomem(e);
    size_t rec = pc->arena.len;
    uint8_t *b = pc->arena.data + rec + 1, *p = b;
    const uint8_t *ep = pc->arena.data + oc->e_at;
    fx_copy(p, ep, oc->e1);
    p += oc->e1;
    p = vput(p, exitstep);
    fx_copy(p, ep + oc->e1, oc->e_len - oc->e1);
    p += oc->e_len - oc->e1;
    size_t toff = (size_t)(p - b); /* X tail: retlen ret exclen exc nkids {kid} */
    p = vput(p, n);
    fx_copy(p, v, n);
    p += n;
    p = vput(p, xn); /* the exception's CBOR value, 0 bytes: none */
    if (xn) memcpy(p, x, xn);
    p += xn;
    size_t koff = (size_t)(p - b); /* the children's part: not in the x record */
    p = vput(p, oc->nkids);
    uint64_t k = oc->key, tbytes = 0; /* tbytes: the keys' bytes when big */
    kp = oc->kids.data;
    for (uint64_t i = 0; i < oc->nkids; i++) {
        uint64_t d = 0;
        ctw_vget_delta(&kp, kend, &d);
        k += d;
        if (big)
            tbytes += ctw_vlen(k);
        else
            p = vput(p, k);
    }
    size_t head = (size_t)(p - b); /* the body in the arena: all of it unless big */
    uint64_t body = head + tbytes;
    if (__builtin_expect(body < 0x80, 1)) {
        b[-1] = (uint8_t)body;
    } else {
        unsigned lk = ctw_vlen(body);
        memmove(b + lk - 1, b, head);
        vput(b - 1, body);
        b += lk - 1;
    }
    size_t rlen = (size_t)(b - (pc->arena.data + rec)) + head;
    pc->arena.len = rec + rlen;
    unsigned slot = (unsigned)(oc->key % CT_CALLS_PER_CHUNK);
    pc->at[slot] = rec;
    pc->len[slot] = rlen;
    pc->total += rlen;
    if (big) { /* the kids deltas go with the chunk (the slot gets new ones) */
        pc->big[pc->nbig++] = (bigtail){.slot = slot, .kids = oc->kids, .base = oc->key,
                                        .n = oc->nkids, .bytes = tbytes};
        oc->kids = (buf){0};
    }
    if (scratch) {
        /* the x record (ct_writer.h): zigzag(key - base), exit - base |
         * the tail before the children, which goes in pieces: a big
         * return value or exception does not need to be twice more in
         * memory. Its length is written as the record's is. */
        size_t off = (size_t)(b - pc->arena.data) + toff, left = koff - toff;
        size_t now = left <= 32 ? left : 0; /* the common short tail: at once */
        if (buf_reserve(&c->sbuf, 32 + now)) return nomem(e);
        uint8_t *q = c->sbuf.data + c->sbuf.len, *xb = q + 2, *r;
        q[0] = 'x';
        r = srec_x_fields(c, xb, oc->key, exitstep);
        uint64_t xbody = (uint64_t)(r - xb) + left;
        if (__builtin_expect(xbody < 0x80, 1)) {
            q[1] = (uint8_t)xbody;
        } else {
            uint8_t tmp[20];
            size_t kl = (size_t)(r - xb);
            memcpy(tmp, xb, kl);
            r = vput(q + 1, xbody);
            memcpy(r, tmp, kl);
            r += kl;
        }
        fx_copy(r, pc->arena.data + off, now);
        c->sbuf.len = (size_t)(r + now - c->sbuf.data);
        left -= now;
        off += now;
        while (left) {
            size_t m = left < 65536 ? left : 65536;
            buf_put(&c->sbuf, pc->arena.data + off, m);
            off += m;
            left -= m;
            if (c->sbuf.len >= 65536) {
                ctrec_status st = scratch_write(c, e);
                if (st) return st;
            }
        }
    }
    /* the slot keeps its kids buffer for the next call at this depth,
     * unless a call with many children grew it */
    if (oc->kids.cap > 4096) buf_free(&oc->kids);
    c->depth--;
    if (--pc->nopen == 0 && pc->nent == CT_CALLS_PER_CHUNK) {
        ctrec_status st = pchunk_emit(c, pc, e);
        if (st) return st;
    }
    if (c->sbuf.len >= 65536) return scratch_write(c, e);
    return c->sbuf.oom ? nomem(e) : CTREC_OK;
}

static CTW_NOINLINE ctrec_status return_slow(ctw_writer *c, const uint8_t *v, size_t n,
                                             const uint8_t *x, size_t xn, err *e)
{
    if (!c->depth) return err_set(e, CTREC_E_STATE, "a return without an open call");
    return call_done(c, v, n, x, xn, 1, e);
}

/* ctw_return's common case: a call with at most CT_KIDS_KEPT children, a
 * return value of 1-32 bytes and no exception, its entry part at most 64
 * bytes, the chunk's arena and the scratch buffer with room for 32-byte
 * copies and 8-byte words (CT_RETURN_ROOM): call_done's bytes when the
 * record's body is under 128 bytes (its length one byte; else the general
 * path writes it again). The x record's body is under 64 bytes (two
 * varints, 10 bytes each at most, and 1 + 32 + 1). Keys are below 2^48. The
 * varints of its key, and of its children's keys when ctw_call kept them,
 * are stored as words. */
#define CT_RETURN_ROOM 224u

/* ctw_return's children's keys from their deltas (when ctw_call did not
 * keep them all as words): out of line, so that ctw_return's common case
 * keeps its values in registers. */
static CTW_NOINLINE uint8_t *kids_keys(const open_call *oc, uint8_t *p)
{
    const uint8_t *kp = oc->kids.data, *kend = kp + oc->kids.len;
    uint64_t k = oc->key;
    for (uint64_t i = 0; i < oc->nkids; i++) {
        uint64_t dk = 0;
        ctw_vget(&kp, kend, &dk);
        k += dk;
        p = vput(p, k);
    }
    return p;
}
/* ctw_return's common tail of a calls.dat record and of an x record:
 * retlen ret 0 (a return value of n <= 32 bytes, no exception). */
static CTW_INLINE uint8_t *ret_tail(uint8_t *p, const uint8_t *v, size_t n)
{
    *p++ = (uint8_t)n;
    if (n == 1) /* the void marker (ctrec_return_none's) */
        *p = *v;
    else
        fx_copy(p, v, n);
    p += n;
    *p++ = 0; /* no exception */
    return p;
}

ctrec_status ctw_return(ctw_writer *c, const uint8_t *v, size_t n, const uint8_t *x, size_t xn,
                       err *e)
{
    size_t d = c->depth;
    if (d && !xn && n - 1 < 32 && !(c->next_key >> 48)) {
        open_call *oc = &c->stack[d - 1];
        pchunk *pc = oc->pc;
        size_t rec = pc->arena.len, el = oc->e_len;
        uint64_t nk = oc->nkids;
        if (nk <= CT_KIDS_KEPT && el <= 64 && pc->arena.cap - rec >= CT_RETURN_ROOM &&
            c->sbuf.cap - c->sbuf.len >= CT_RETURN_ROOM && !c->sbuf.oom &&
            oc->kids.cap <= 4096) {
            uint64_t exitstep = c->h.nsteps ? c->h.nsteps - 1 : 0;
            uint8_t *b = pc->arena.data + rec + 1, *p, *xs = b + oc->e1;
            const uint8_t *ep = pc->arena.data + oc->e_at;
            size_t e1 = oc->e1;
            /* fn parent entry | exit | depth nargs args | retlen ret 0 nkids
             * kids. The entry part's two pieces are both read before
             * either is written: a read past a leaf's entry part (the
             * arena's last bytes) reaches where the first is written, and
             * a wide load of just-stored bytes waits for the stores. */
            uint64_t h0[2], h1[2], t0[2], t1[2];
            memcpy(h0, ep, 16);
            memcpy(h1, ep + 16, 16);
            memcpy(t0, ep + e1, 16);
            memcpy(t1, ep + e1 + 16, 16);
            memcpy(b, h0, 16);
            memcpy(b + 16, h1, 16);
            p = vput(xs, exitstep);
            memcpy(p, t0, 16);
            memcpy(p + 16, t1, 16);
            if (el - e1 > 32) ct_copy32(p + 32, ep + e1 + 32);
            p += el - e1;
            p = ret_tail(p, v, n);
            *p++ = (uint8_t)nk;
            if (nk == oc->ncw) {
                for (unsigned i = 0; i < nk; i++) {
                    memcpy(p, &oc->cw[i], 8);
                    p += oc->cl[i];
                }
            } else {
                p = kids_keys(oc, p);
            }
            size_t body = (size_t)(p - b);
            /* a longer record (an entry part of more than 32 bytes): the
             * general path, which writes it again (nothing is kept yet) */
            if (body >= 0x80) return return_slow(c, v, n, NULL, 0, e); /* xn == 0 */
            b[-1] = (uint8_t)body;
            pc->arena.len = rec + 1 + body;
            unsigned slot = (unsigned)(oc->key % CT_CALLS_PER_CHUNK);
            pc->at[slot] = rec;
            pc->len[slot] = 1 + body;
            pc->total += 1 + body;
            /* the x record (ct_writer.h): tag, 1-byte length (under 64
             * bytes), zigzag(key - base), exit - base | retlen ret 0 (the
             * tail before the children) */
            uint8_t *q = c->sbuf.data + c->sbuf.len, *r = q + 2;
            q[0] = 'x';
            r = srec_x_fields(c, r, oc->key, exitstep);
            /* written again rather than copied from the record's tail
             * above, whose bytes were just stored one by one */
            r = ret_tail(r, v, n);
            q[1] = (uint8_t)(r - (q + 2));
            c->sbuf.len = (size_t)(r - c->sbuf.data);
            c->depth = d - 1;
            if (--pc->nopen == 0 && pc->nent == CT_CALLS_PER_CHUNK) {
                ctrec_status st = pchunk_emit(c, pc, e);
                if (st) return st;
            }
            if (c->sbuf.len >= 65536) return scratch_write(c, e);
            return CTREC_OK;
        }
    }
    return return_slow(c, v, n, x, xn, e);
}

/* ------------------------------------------------------------------ */
/* flush                                                               */

/* The provisional chunk of stream si: its records so far and, for the
 * values, the current step's values so far (a reader sees a values record
 * for every step it sees). Nothing when it holds nothing new. */
static ctrec_status submit_prov(ctw_writer *c, unsigned si, err *e)
{
    stream *s = &c->h.s[si];
    int cur = si == S_VALUES && c->h.nsteps;
    /* (raw's length alone no longer tells: it starts again after a part) */
    uint64_t sig[5] = {s->nchunks, s->raw.len, cur ? c->h.vcount : 0, (uint64_t)cur, s->nrec};
    if (!s->nrec && !cur) return CTREC_OK;
    if (!memcmp(sig, s->prov_sig, sizeof sig)) return CTREC_OK;
    if (s->raw.oom) return nomem(e);
    buf *b = &s->provb;
    b->len = 0;
    buf_put(b, s->raw.data + s->done, (cur ? c->h.vrec : s->raw.len) - s->done);
    if (cur) { /* the record in progress, completed */
        uint8_t h[21];
        size_t hk = 3u + c->h.vhx, ent = s->raw.len - c->h.vrec - hk;
        buf_put(b, h, values_head(h, c->h.vcount, ent));
        if (c->h.vcount) buf_put(b, s->raw.data + c->h.vrec + hk, ent);
    }
    if (b->oom) return nomem(e);
    memcpy(s->prov_sig, sig, sizeof sig);
    return submit(c, J_PROV, si, b, e);
}

ctrec_status ctw_flush(ctw_writer *c, int wait, err *e)
{
    c->h.step_fast = 0; /* the chunks may change */
    /* The scratch file first: it holds every call entered at the steps
     * about to be published (ctrec repair builds calls.dat from it). Then
     * the tables' new names, the complete chunks, each stream's chunk in
     * progress as its provisional last chunk, and the publication, in that
     * order on the container's thread: each publication shows the streams
     * as they were at one moment. */
    ctrec_status st = c->wst ? job_failed(c, e) : scratch_write(c, e);
    if (!st) st = submit_tables(c, e);
    for (unsigned i = 0; i < NSTREAMS && !st; i++) {
        if (i == S_CALLS) continue;
        if (!(st = submit_batch(c, i, e))) st = submit_prov(c, i, e);
    }
    buf none = {0};
    if (!st) st = submit(c, J_PUBLISH, 0, &none, e);
    buf_free(&none);
    if (!st && wait) st = drain(c, e);
    return st;
}

/* ------------------------------------------------------------------ */
/* calls.dat from the scratch file                                     */

/* The scratch file is a sequence of [u32 size][zstd frame] pieces, each a
 * piece of the record stream (a record may run on into the next piece). */
ctrec_status ct_sreader_open(ct_sreader *r, int fd, const char *name, uint64_t from,
                             uint64_t skip, uint64_t bkey, uint64_t bstep, err *e)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->name = name;
    r->next = from;
    r->skip = skip;
    r->bpiece = from;
    r->bkey = bkey;
    r->bstep = bstep;
    struct stat sb;
    if (fstat(fd, &sb) != 0) return err_sys(e, errno, "reading %s", name);
    r->fsize = (uint64_t)sb.st_size;
    if (!(r->zd = ZSTD_createDCtx())) return nomem(e);
    return CTREC_OK;
}

void ct_sreader_close(ct_sreader *r)
{
    buf_free(&r->z);
    buf_free(&r->d);
    free(r->seg);
    if (r->zd) ZSTD_freeDCtx(r->zd);
    memset(r, 0, sizeof *r);
}

static int pread_full(int fd, void *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (uint8_t *)p + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    return (int)(got == n);
}

/* Appends the next piece's bytes to r->d. 1, 0 at the end (or a piece cut
 * by a kill), -1. */
static int sreader_piece(ct_sreader *r, err *e)
{
    uint8_t h[4];
    int k = pread_full(r->fd, h, 4, r->next);
    if (k < 0) return err_sys(e, errno, "reading %s", r->name), -1;
    if (!k) return 0;
    uint32_t n = load_le32(h);
    /* a piece past the file's end was cut by the kill (or is damage): its
     * size is not taken for an allocation */
    if (n > r->fsize || r->next + 4 > r->fsize - n) return 0;
    r->z.len = 0;
    if (buf_reserve(&r->z, n ? n : 1)) return nomem(e), -1;
    if ((k = pread_full(r->fd, r->z.data, n, r->next + 4)) < 0)
        return err_sys(e, errno, "reading %s", r->name), -1;
    if (!k) return 0;
    unsigned long long want = ZSTD_getFrameContentSize(r->z.data, n);
    /* Not a piece: damage ends the file. The writer compresses a piece
     * (up to about 80 times for records with tables in their arguments)
     * or stores it. A content size that no zstd frame of n bytes can
     * have (a block of at most 128 KiB takes at least 4 bytes: an RLE
     * block) or past 1 GiB is damage, not an allocation to make. */
    if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN || want > (1u << 30) ||
        want > 32768 * (unsigned long long)n + 65536)
        return 0;
    if (r->d.len > r->at) memmove(r->d.data, r->d.data + r->at, r->d.len - r->at);
    r->d.len -= r->at;
    for (size_t i = 0; i < r->nseg; i++) r->seg[i].pos -= (int64_t)r->at;
    r->at = 0;
    while (r->nseg > 1 && r->seg[1].pos <= 0) { /* pieces wholly consumed */
        memmove(r->seg, r->seg + 1, (r->nseg - 1) * sizeof *r->seg);
        r->nseg--;
    }
    if (buf_reserve(&r->d, (size_t)want + 1)) return nomem(e), -1;
    size_t got = ZSTD_decompressDCtx(r->zd, r->d.data + r->d.len, (size_t)want, r->z.data, n);
    if (ZSTD_isError(got) || got != want) return 0;
    if (r->nseg == r->segcap) {
        size_t cap = r->segcap ? 2 * r->segcap : 4;
        void *a = realloc(r->seg, cap * sizeof *r->seg);
        if (!a) return nomem(e), -1;
        r->seg = a;
        r->segcap = cap;
    }
    size_t skip = r->skip < got ? (size_t)r->skip : got;
    r->skip -= skip;
    r->seg[r->nseg].pos = (int64_t)r->d.len;
    r->seg[r->nseg].off = r->next;
    r->seg[r->nseg++].in = skip;
    memmove(r->d.data + r->d.len, r->d.data + r->d.len + skip, got - skip);
    r->d.len += got - skip;
    r->next += 4 + (uint64_t)n;
    return 1;
}

int ct_sreader_next(ct_sreader *r, uint8_t *tag, const uint8_t **body, uint64_t *len,
                    uint64_t *piece, uint64_t *in, err *e)
{
    for (;;) {
        uint64_t n = 0;
        if (r->d.len > r->at) {
            const uint8_t *p = r->d.data + r->at, *end = r->d.data + r->d.len, *q = p + 1;
            if (ctw_vget(&q, end, &n) == 0 && (uint64_t)(end - q) >= n) {
                *tag = *p;
                *body = q;
                *len = n;
                size_t i = r->nseg;
                while (i > 1 && r->seg[i - 1].pos > (int64_t)r->at) i--;
                if (piece && i) {
                    *piece = r->seg[i - 1].off;
                    *in = r->seg[i - 1].in + (uint64_t)((int64_t)r->at - r->seg[i - 1].pos);
                }
                r->at = (size_t)(q - r->d.data) + (size_t)n;
                return 1;
            }
        }
        if (r->eof) return 0;
        int k = sreader_piece(r, e);
        if (k < 0) return -1;
        if (k == 0) r->eof = 1;
    }
}

int ct_sreader_rec(ct_sreader *r, ct_srec *o, err *e)
{
    for (;;) {
        uint8_t tag;
        const uint8_t *b;
        uint64_t len, piece = 0, in = 0;
        int k = ct_sreader_next(r, &tag, &b, &len, &piece, &in, e);
        if (k != 1) return k;
        if (tag != 'e' && tag != 'x' && tag != 'E' && tag != 'X') continue;
        if (piece != r->bpiece) { /* a piece's first record: bases 0 */
            r->bpiece = piece;
            r->bkey = r->bstep = 0;
        }
        const uint8_t *p = b, *end = b + len;
        uint64_t a, f = 0, x, st;
        o->piece = piece;
        o->in = in;
        o->bkey = r->bkey;
        o->bstep = r->bstep;
        o->kids = 0;
        o->fn = 0;
        o->parent = -1;
        switch (tag) {
        case 'e':
            if (ctw_vget(&p, end, &a) || ctw_vget(&p, end, &f) || ctw_vget(&p, end, &x) ||
                ctw_vget(&p, end, &st) || a > UINT64_MAX - r->bkey ||
                st > UINT64_MAX - r->bstep)
                return 0;
            o->kind = 'E';
            o->key = r->bkey + a;
            if (x > o->key) return 0;
            o->parent = x ? (int64_t)(o->key - x) : -1;
            o->fn = f;
            o->step = r->bstep + st;
            r->bkey = o->key;
            r->bstep = o->step;
            break;
        case 'x': {
            if (ctw_vget(&p, end, &a) || ctw_vget(&p, end, &st) || st > UINT64_MAX - r->bstep)
                return 0;
            int64_t d = unzigzag(a);
            if ((d < 0 && (uint64_t)-d > r->bkey) || (d > 0 && (uint64_t)d > UINT64_MAX - r->bkey))
                return 0;
            o->kind = 'X';
            o->key = r->bkey + (uint64_t)d;
            o->step = r->bstep + st;
            r->bstep = o->step;
            break;
        }
        case 'E':
            if (ctw_vget(&p, end, &o->key) || ctw_vget(&p, end, &f) || ctw_vget(&p, end, &x) ||
                ctw_vget(&p, end, &o->step))
                return 0;
            o->kind = 'E';
            o->fn = f;
            o->parent = (x & 1) ? -1 : (int64_t)(x >> 1);
            break;
        default: /* 'X' */
            if (ctw_vget(&p, end, &o->key) || ctw_vget(&p, end, &o->step)) return 0;
            o->kind = 'X';
            o->kids = 1;
        }
        o->rest = p;
        o->rlen = (uint64_t)(end - p);
        return 1;
    }
}

/* The children of the window's calls, gathered from the entry records:
 * per slot a list of nodes, in key order. */
typedef struct kidnode {
    uint64_t key;
    uint32_t next; /* 1 + the next node's index, 0: none */
} kidnode;

ctrec_status ct_scratch_gather(int fd, const char *name, uint64_t from, uint64_t skip,
                               uint64_t bkey, uint64_t bstep, uint64_t k0, uint64_t k1,
                               ct_slot *slots, buf *arena, err *e)
{
    uint64_t need = 0, found = 0;
    for (uint64_t k = k0; k < k1; k++) need += !slots[k - k0].e_len + !slots[k - k0].x_len;
    size_t nslots = (size_t)(k1 - k0);
    uint32_t *head = calloc(2 * nslots, sizeof *head), *tail = head ? head + nslots : NULL;
    kidnode *kids = NULL;
    size_t nkids = 0, kcap = 0;
    if (!head) return nomem(e);
    ct_sreader r;
    ctrec_status st = ct_sreader_open(&r, fd, name, from, skip, bkey, bstep, e);
    ct_srec o;
    int k = 1;
    uint8_t tmp[40];
    while (!st && found < need && (k = ct_sreader_rec(&r, &o, e)) == 1) {
        if (o.kind == 'E' && o.parent >= 0 && (uint64_t)o.parent >= k0 &&
            (uint64_t)o.parent < k1 && !slots[(uint64_t)o.parent - k0].x_len) {
            if (nkids == kcap) {
                size_t cap = kcap ? 2 * kcap : 1024;
                kidnode *a = cap < UINT32_MAX ? realloc(kids, cap * sizeof *a) : NULL;
                if (!a) {
                    st = nomem(e);
                    break;
                }
                kids = a;
                kcap = cap;
            }
            size_t ps = (size_t)((uint64_t)o.parent - k0);
            kids[nkids] = (kidnode){o.key, 0};
            if (tail[ps]) kids[tail[ps] - 1].next = (uint32_t)(nkids + 1);
            else head[ps] = (uint32_t)(nkids + 1);
            tail[ps] = (uint32_t)(++nkids);
        }
        if (o.key < k0 || o.key >= k1) continue;
        ct_slot *sl = &slots[o.key - k0];
        if (o.kind == 'E' ? sl->e_len != 0 : sl->x_len != 0) continue;
        /* the body in the old form: the fields, the rest, an x record's
         * children */
        uint8_t *t = tmp;
        t = vput(t, o.key);
        if (o.kind == 'E') {
            t = vput(t, o.fn);
            t = vput(t, zigzag(o.parent));
        }
        t = vput(t, o.step);
        uint64_t nk = 0, klen = 0;
        if (o.kind == 'X' && !o.kids) {
            for (uint32_t i = head[o.key - k0]; i; i = kids[i - 1].next) {
                nk++;
                klen += ctw_vlen(kids[i - 1].key);
            }
            klen += ctw_vlen(nk);
        }
        uint64_t body = (uint64_t)(t - tmp) + o.rlen + klen;
        if (arena->len + body > UINT32_MAX) {
            st = err_set(e, CTREC_E_NOMEM, "a window of calls over 4 GiB");
            break;
        }
        uint32_t at = (uint32_t)arena->len;
        buf_put(arena, tmp, (size_t)(t - tmp));
        buf_put(arena, o.rest, (size_t)o.rlen);
        if (o.kind == 'X' && !o.kids) {
            bvar(arena, nk);
            for (uint32_t i = head[o.key - k0]; i; i = kids[i - 1].next) bvar(arena, kids[i - 1].key);
        }
        if (arena->oom) {
            st = nomem(e);
            break;
        }
        if (o.kind == 'E') {
            sl->e_at = at;
            sl->e_len = (uint32_t)body;
        } else {
            sl->x_at = at;
            sl->x_len = (uint32_t)body;
        }
        found++;
    }
    if (!st && k < 0) st = e->status;
    ct_sreader_close(&r);
    free(head);
    free(kids);
    return st;
}

/* ------------------------------------------------------------------ */
/* close                                                               */

static void meta_dat(buf *b, const ctw_meta *m, int columns)
{
    BUF_LIT(b, "CTMD");
    uint16_t version = 3;
    uint16_t flags = 0x0100 | 0x0200 | 0x0400 | 0x0800 | 0x1000;
    if (columns) flags |= 0x10; /* column-aware steps: paths.dat in Layout A */
    buf_byte(b, (uint8_t)version);
    buf_byte(b, (uint8_t)(version >> 8));
    buf_byte(b, (uint8_t)flags);
    buf_byte(b, (uint8_t)(flags >> 8));
    bstr(b, m->recording_id, strlen(m->recording_id));
    bstr(b, m->program, strlen(m->program));
    bvar(b, m->nargs);
    for (size_t i = 0; i < m->nargs; i++) bstr(b, m->args[i], strlen(m->args[i]));
    bstr(b, m->workdir, strlen(m->workdir));
    bstr(b, m->recorder_id, strlen(m->recorder_id));
    bvar(b, m->path_at ? m->npaths : 0);
    for (uint64_t i = 0; m->path_at && i < m->npaths; i++) {
        size_t n;
        const char *p = m->path_at(m->ctx, i, &n);
        bstr(b, p, n);
    }
}

ctrec_status ctw_close(ctw_writer *c, const ctw_meta *m, err *e)
{
    /* The rest runs on this thread: the background thread is drained and
     * stopped first. This thread would wait for the last jobs anyway, and
     * handing each over cost a wake-up (an empty script's .ct: 43 futex
     * calls, about 1 ms more than in place). */
    ctrec_status st = drain(c, e);
    if (c->threaded) {
        sink_worker_stop(&c->wk);
        c->threaded = 0;
    }
    c->closing = 1; /* fill_job: no fresh buffer for what is handed over */
    /* The calls still open end at the last step, without a return value
     * (no X record: the scratch file is not read again); then the last
     * chunk of calls, not full. */
    while (!st && c->depth) st = call_done(c, NULL, 0, NULL, 0, 0, e);
    if (!st && c->cur && c->cur->nent) st = pchunk_emit(c, c->cur, e);
    if (!st && c->h.nsteps) st = finish_values(c, e);
    for (unsigned i = 0; i < NSTREAMS && !st; i++)
        if (i != S_CALLS) {
            if (c->h.s[i].nrec) st = end_chunk(c, i, e);
            if (!st) st = submit_batch(c, i, e);
        }
    if (!st) st = scratch_write(c, e);
    if (!st) st = submit_batch(c, S_CALLS, e);
    /* with no step at all, no call has a place (writer.c writes a step for
     * them first, and says so when it cannot): calls.dat stays empty */
    if (!st && c->h.nsteps) {
        buf none = {0};
        c->calls_n = (c->next_key + CT_CALLS_PER_CHUNK - 1) / CT_CALLS_PER_CHUNK;
        st = submit(c, J_CALLS, 0, &none, e);
        buf_free(&none);
    }
    /* every path of a line-only trace reading as a column-aware record: one
     * empty path more, so that the readers take it as line-only */
    if (!st && !c->h.columns && c->npaths_placed && c->npaths_a == c->npaths_placed)
        st = table_add(c, T_PATHS, "", 0, e);
    if (!st) st = submit_tables(c, e);
    if (!st) {
        buf b = {0};
        meta_dat(&b, m, c->h.columns);
        st = b.oom ? nomem(e) : submit(c, J_META, 0, &b, e);
        buf_free(&b);
    }
    /* A closed container holds nothing but its chunks: no padding (see
     * publish()), even if a following reader then sees a last chunk
     * shrink (ctfs_refresh takes that). */
    for (unsigned i = 0; i < NSTREAMS && !st; i++)
        st = ctfs_w_provisional(c->c, c->h.s[i].dat, NULL, 0, e);
    if (!st) {
        st = ctfs_w_close(c->c, e);
        c->c = NULL;
    }
    if (!st && unlinkat(c->dirfd, c->scratch_name, 0) && errno != ENOENT)
        st = err_sys(e, errno, "removing %s", c->scratch_name);
    ctw_abandon(c);
    return st;
}

void ctw_abandon(ctw_writer *c)
{
    if (!c) return;
    if (c->threaded) sink_worker_stop(&c->wk);
    if (c->c) ctfs_w_abandon(c->c);
    if (c->scratch_fd >= 0) close(c->scratch_fd);
    for (unsigned i = 0; i < NSTREAMS; i++) {
        buf_free(&c->h.s[i].raw);
        buf_free(&c->h.s[i].provb);
        buf_free(&c->h.s[i].prov);
        buf_free(&c->h.s[i].part);
    }
    for (unsigned i = 0; i < NTABLES; i++) {
        buf_free(&c->t[i].pend_dat);
        buf_free(&c->t[i].pend_off);
    }
    for (unsigned i = 0; i < CT_QUEUE; i++) {
        buf_free(&c->q[i].b);
        ct_tails_free(c->q[i].tails, c->q[i].ntails);
    }
    ct_tails_free(c->sub_tails, c->sub_ntails);
    buf_free(&c->inline_job.b);
    for (size_t i = 0; i < c->stack_cap; i++) buf_free(&c->stack[i].kids);
    /* the chunks in progress: the open calls' and the current one */
    for (size_t i = 0; i < c->depth; i++) {
        pchunk *pc = c->stack[i].pc;
        if (pc && pc != c->cur) {
            for (size_t j = i + 1; j < c->depth; j++)
                if (c->stack[j].pc == pc) c->stack[j].pc = NULL;
            pchunk_destroy(pc);
        }
    }
    if (c->cur) pchunk_destroy(c->cur);
    while (c->free_pc) {
        pchunk *pc = c->free_pc;
        c->free_pc = pc->next_free;
        pchunk_destroy(pc);
    }
    free(c->stack);
    free(c->cframes);
    if (c->chunks_fd >= 0) close(c->chunks_fd);
    free(c->chunks_name);
    for (size_t i = 0; i < c->npp; i++) free(c->pp[i].start);
    free(c->pp);
    buf_free(&c->sbuf);
    buf_free(&c->sz);
    buf_free(&c->sz2);
    if (c->scctx) ZSTD_freeCCtx(c->scctx);
    buf_free(&c->zout);
    buf_free(&c->cbuf);
    buf_free(&c->tail);
    if (c->cctx) ZSTD_freeCCtx(c->cctx);
    free(c->name);
    free(c->scratch_name);
    free(c);
}
