/*
 * ct.h — the .ct decoders' internals (FORMAT.md section 7): the chunked
 * streams (ct_stream.c), CTFS ValueRecords in CBOR (ct_value.c), meta.dat
 * and the interning tables (ct_meta.c), and the event sequence the reader
 * yields (ct_layout.c). Only ct_stream.c and ct_meta.c read members; none
 * of them knows about blocks (src/ctfs does).
 */
#ifndef CTREC_READER_CT_H
#define CTREC_READER_CT_H

#include <stdint.h>
#include <string.h>

#include "ctfs/ctfs.h"
#include "util/le.h"
#include "util/varint.h"
#include "rd.h"

/* ---- varints (LEB128, at most 10 bytes; zigzag for signed) ---- */

/* ct_varint: util/varint.h (the .ct writer reads its own path records with it) */

static inline int64_t ct_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }


/* ---- a chunked stream: NAME.dat (zstd frames) + NAME.idx ---- */

typedef struct ct_stream {
    char dat_name[16], idx_name[16];
    const ctfs_member *dat, *idx; /* NULL when absent */
    uint32_t per_chunk;           /* records per chunk */
    uint64_t nchunks;
    uint64_t chunk;               /* chunk loaded, UINT64_MAX: none */
    uint64_t chunk_off;           /* its offset in .dat */
    uint8_t *cbuf;
    size_t ccap;
    uint8_t *dbuf;                /* decompressed chunk */
    size_t dlen, dcap;
    size_t pos;                   /* next record in dbuf */
    uint64_t rec;                 /* global index of the next record */
    void *zd;                     /* ZSTD_DCtx */
    /* Windowed mode (set `win` after init; calls.dat): a chunk is
     * decompressed as a stream into a window of `win` bytes, never whole,
     * so a record that does not fit (the root call's, which lists every
     * child) is given as its first bytes and the rest is skipped. */
    size_t win;
    /* A stream of length-prefixed records, each at most the event limit
     * (values.dat, events.dat): a chunk whose content (or compressed size)
     * is over the limit is streamed through a window of the limit's size
     * instead of refused (auto_win: the chunk loaded is, win being the
     * limit until the next load), so a chunk of many large records reads
     * in bounded memory; only a record over the limit is the bound. Read
     * to its end holding fewer records than a chunk (the last, still being
     * written), it is read again when it grows, as a whole chunk is. */
    int may_window, auto_win;
#define CT_AUTO_WINDOW ((size_t)1 << 20)
    size_t wcur;                  /* the window of this chunk: min(win, content size) */
    uint64_t in_at, in_end;       /* compressed bytes of the chunk not read yet */
    size_t ilen, ipos;            /* compressed bytes held in cbuf */
    uint64_t base;                /* decompressed offset of dbuf[0] in the chunk */
    uint64_t want;                /* the frame's content size */
    uint64_t skip;                /* bytes of a cut record still to drop */
    size_t cut_at;                /* where the cut record starts in dbuf */
    int frame_done;
    uint64_t chunk_end;           /* the end of the loaded chunk's bytes in .dat */
    /* The records are not length-prefixed (steps.dat): a chunk loaded
     * again is resumed at the same byte, not by counting records. */
    int tagged;
    /* An older framing (CT_LEG_*, ct_legacy.c; 0: the chunked one). */
    int legacy;
    uint64_t leg_total;           /* steps: the records steps.idx states */
    /* Read-ahead (ct_pf_attach; NULL: none): the next chunk of a whole-
     * chunk stream is inflated on a background thread. */
    struct ct_pf *pf;
    unsigned pf_slot;
} ct_stream;

/* ---- read-ahead of chunks on a background thread ----
 *
 * When a stream (not legacy) reads on into chunk i (from chunk i-1, or
 * chunk 0 first; not at a seek elsewhere), one worker thread (shared by the
 * streams attached) inflates the chunks after it, in order, through its own
 * CTFS handle, into a small ring of buffers per stream (ct_stream.c: at most
 * 8 chunks and, past the first, 2 MB ahead). Only complete chunks are read
 * ahead (chunk j with j + 1 < nchunks: a growing file's last chunk may still
 * be rewritten). Loading chunk i + 1 then takes the ring's first result —
 * the bytes, or the status and message the inflation failed with, so an
 * error is reported exactly when and as the inline path would. The worker
 * sleeps when every ring is full and is woken when one is half empty, so a
 * handoff is a lock and a buffer swap, not a thread wake-up per chunk. A
 * load of another chunk (a seek) drops what was queued (a job running is
 * left to finish, its result dropped) and reads inline. A windowed stream
 * (calls.dat) has its chunks whose content is under the window inflated
 * whole; a larger one, or any fault, is left to the inline path, which
 * streams it and words the fault. The thread starts at the first such load;
 * if it cannot be created, everything is read inline. */
typedef struct ct_pf ct_pf;
/* NULL when out of memory (then nothing is read ahead). */
ct_pf *ct_pf_new(ctfs *c);
/* Attaches stream s (at most CT_PF_SLOTS streams; more are left inline). */
#define CT_PF_SLOTS 4
void ct_pf_attach(ct_pf *p, ct_stream *s);
/* Stops and joins the thread, frees the spare buffers. Before the streams
 * and the ctfs handle are freed. */
void ct_pf_free(ct_pf *p);

/* The buffers a whole chunk is inflated with (grown as needed) and the
 * zstd context (created when NULL). */
typedef struct ct_zbufs {
    uint8_t **cbuf;
    size_t *ccap;
    uint8_t **dbuf;
    size_t *dcap;
    void **zd;
} ct_zbufs;

/* Chunk i of the member `dat` (named `name` in messages), the bytes
 * [start, end), read and inflated whole into *z.dbuf: the zstd frame must
 * state its content size, the chunk and its content must be at most `limit`
 * bytes each, and it must inflate to exactly that size. With `tail_ok`,
 * bytes after the frame (the last chunk of a member still being written)
 * are left unread; else they are part of the chunk (and fail it). *len: the
 * content's length, with a NUL after it. Shared by the chunked streams and
 * the span stream. */
ctrec_status ct_inflate_chunk(ctfs *c, const ctfs_member *dat, const char *name, uint64_t i,
                              uint64_t start, uint64_t end, size_t limit, int tail_ok,
                              ct_zbufs z, size_t *len, err *e);

/* Binds the stream to its members (absent members leave it empty). */
ctrec_status ct_stream_init(ct_stream *s, ctfs *c, const char *base, err *e);
/* Re-finds the members after ctfs_refresh and re-reads the chunk count. */
ctrec_status ct_stream_rebind(ct_stream *s, ctfs *c, err *e);
void ct_stream_free(ct_stream *s);
/* Loads chunk i and positions at its first record. */
ctrec_status ct_stream_load(ct_stream *s, ctfs *c, uint64_t i, size_t limit, err *e);
/* Positions at record n (loading its chunk, skipping length-prefixed
 * records when `prefixed`). For steps (not prefixed) only the chunk is
 * loaded: the caller walks the tagged records. */
ctrec_status ct_stream_seek(ct_stream *s, ctfs *c, uint64_t n, int prefixed, size_t limit,
                            err *e);
/* Makes at least one more byte available: loads the next chunk when the
 * current one is used up. Returns 1 (bytes at dbuf+pos), 0 at the end of the
 * stream, -1 on error. */
int ct_stream_more_slow(ct_stream *s, ctfs *c, size_t limit, err *e);
/* 1 when the stream is known to hold nothing more without reading: no
 * byte left in the chunk held and (not windowed) no further chunk
 * published, the chunk held full (a short last chunk may have grown:
 * ct_stream_more_slow looks). */
static inline int ct_stream_ended(const ct_stream *s)
{
    return !(s->chunk != UINT64_MAX && s->pos < s->dlen) && !s->win &&
           (!s->dat ||
            (s->chunk == UINT64_MAX
                 ? !s->nchunks || s->rec / (s->per_chunk ? s->per_chunk : 1) >= s->nchunks
                 : s->chunk + 1 >= s->nchunks && s->rec >= (s->chunk + 1) * s->per_chunk));
}
static inline int ct_stream_more(ct_stream *s, ctfs *c, size_t limit, err *e)
{
    /* the common cases without a call: bytes left in the chunk held, or
     * the end known without reading */
    if (s->chunk != UINT64_MAX && s->pos < s->dlen) return 1;
    if (ct_stream_ended(s)) return 0;
    return ct_stream_more_slow(s, c, limit, e);
}
/* Next length-prefixed record. Returns 1 with p and n set, 0 at the end, -1.
 * In windowed mode a record longer than the window is cut: n is the bytes
 * held (at least win - 10) and the rest of the record is skipped. */
int ct_stream_record(ct_stream *s, ctfs *c, size_t limit, const uint8_t **p, size_t *n, err *e);
/* Windowed mode, right after ct_stream_record gave a cut record: holds
 * more of it, twice what it held or all of it, at most `limit` bytes (0:
 * no limit), in a window grown for it (kept for the rest of the chunk), so
 * that a call record whose fields before its children do not fit the
 * window (a big argument or return value) is read. Returns 1 with p and n
 * set again (any pointer into the record given before is stale), 0 when
 * the record is not cut or already holds `limit` bytes, -1. */
int ct_stream_widen(ct_stream *s, ctfs *c, size_t limit, const uint8_t **p, size_t *n, err *e);
/* The same, inline for a record with a one-byte length in the chunk held
 * (not windowed). */
static inline int ct_stream_record_fast(ct_stream *s, ctfs *c, size_t limit, const uint8_t **p,
                                        size_t *n, err *e)
{
    if (s->chunk != UINT64_MAX && !s->win && s->pos < s->dlen) {
        const uint8_t *q = s->dbuf + s->pos;
        size_t len = q[0];
        if (len < 0x80 && len < s->dlen - s->pos) {
            *p = q + 1;
            *n = len;
            s->pos += 1 + len;
            s->rec++;
            return 1;
        }
    }
    return ct_stream_record(s, c, limit, p, n, e);
}

/* ---- the older stream framings (ct_legacy.c) ---- */

enum { CT_LEG_NONE, CT_LEG_STEPS, CT_LEG_VALUES, CT_LEG_EVENTS, CT_LEG_CALLS };
/* Chooses each stream's framing as the reference reader does (meta.dat
 * bits 9-11, calls.idx) and rebinds the legacy ones; *which gets the
 * CT_FLAG_*_STREAM bits of the streams read in their older framing. */
ctrec_status ct_legacy_setup(ctfs *c, unsigned flags, ct_stream *steps, ct_stream *values,
                             ct_stream *events, ct_stream *calls, ct_stream *calls_ra,
                             unsigned *which, err *e);
/* ct_stream.c's hooks: the index of a legacy stream (bind), a record of a
 * legacy table as chunk i (load), a legacy steps chunk just decompressed
 * (drops its checked count). */
ctrec_status ct_legacy_bind(ct_stream *s, ctfs *c, err *e);
ctrec_status ct_legacy_load(ct_stream *s, ctfs *c, uint64_t i, size_t limit, err *e);
ctrec_status ct_legacy_steps_chunk(ct_stream *s, err *e);

/* ---- CTFS ValueRecords ---- */

/* The scalar shapes other than the Int below (ct_value.c). */
int ct_value_fast_scalar(const uint8_t **p, const uint8_t *end, ctrec_value *v);

/* The n-byte (1, 2, 4 or 8) big-endian number at p. */
static inline uint64_t ct_be(const uint8_t *p, unsigned n)
{
    switch (n) {
    case 1: return p[0];
    case 2: return (uint64_t)p[0] << 8 | p[1];
    case 4: return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
    default: return rd_be(p, 8);
    }
}

/* The fast path: 1 with the value decoded from *p (and *p after it), 0
 * when *p is not one of the scalar shapes it knows (nothing read). The
 * commonest shape, {"kind": "Int", "i": N, "type_id": T} with T < 24, is
 * matched here, inline; the other scalars in ct_value_fast_scalar. */
static RD_INLINE int ct_value_fast(const uint8_t **p, const uint8_t *end, ctrec_value *v)
{
    static const uint8_t int_pre[12] = {0xa3, 0x64, 'k', 'i', 'n', 'd',
                                        0x63, 'I',  'n', 't', 0x61, 'i'};
    static const uint8_t tid_key[8] = {0x67, 't', 'y', 'p', 'e', '_', 'i', 'd'};
    const uint8_t *q = *p;
    /* the prefix, the int's head, the key, the type id: 22 bytes at least */
    if (RD_LIKELY(end - q >= 22 && memcmp(q, int_pre, 12) == 0)) {
        unsigned h = q[12], ai = h & 31;
        q += 13;
        uint64_t x = ai;
        if (h >= 0x40) goto other;
        if (ai >= 24) {
            unsigned n;
            if (ai > 27) goto other;
            n = 1u << (ai - 24);
            if ((size_t)(end - q) < n + 9) goto other;
            x = ct_be(q, n);
            q += n;
            if (x > (uint64_t)INT64_MAX) goto other;
        }
        if (memcmp(q, tid_key, 8) != 0 || q[8] >= 24) goto other;
        *v = (ctrec_value){.kind = CTREC_VAL_INT,
                           .type_id = q[8],
                           .i = h < 0x20 ? (int64_t)x : -1 - (int64_t)x};
        *p = q + 9;
        return 1;
    }
other:
    return ct_value_fast_scalar(p, end, v);
}
int ct_value_decode_rest(const uint8_t **p, const uint8_t *end, arena *a, unsigned max_depth,
                         ctrec_value *v, err *e);

/* Decodes one CBOR ValueRecord from [*p, end) into arena memory. Returns 0
 * or -1 with the message in e (position relative to `base`). The scalar
 * shapes recorders write take a fast path (ct_value_fast); anything else,
 * and any damage, the general one. */
static inline int ct_value_decode(const uint8_t **p, const uint8_t *end, arena *a,
                                  unsigned max_depth, const ctrec_value **out, err *e)
{
    ctrec_value *v = arena_alloc(a, sizeof *v);
    if (!(v && ct_value_fast(p, end, v)) && ct_value_decode_rest(p, end, a, max_depth, v, e))
        return -1;
    *out = v;
    return 0;
}

/* For tests: the fast path alone (1: decoded the scalar shape at *p, 0:
 * not one of its shapes, nothing read) and the general path alone. Where
 * the fast path decodes, the general path must give the same value. */
int ct_value_decode_general(const uint8_t **p, const uint8_t *end, arena *a, unsigned max_depth,
                            const ctrec_value **out, err *e);

/* A CBOR array of {variable_id, value} (split-binary Call). */
int ct_call_args(const ctrec_str *payload, arena *a, unsigned max_depth,
                 const ctrec_full_value **out, size_t *nout, err *e);
/* A CBOR TypeRecord {kind, lang_type, specific_info} into ev->type_def. */
int ct_type_record(const ctrec_str *payload, arena *a, ctrec_ev *ev, err *e);

/* ---- the older layout: events.log (ct_log.c) ---- */

typedef struct ct_log ct_log;
/* Opens events.log of c (borrowed): chunked, trace.bin's header and
 * seekable stream, or plain is detected. o: the reader's options (event
 * bound, strict); fg: where a lenient read notes what it forgave. */
ctrec_status ct_log_open(ct_log **out, ctfs *c, const ctrec_reader_options *o, rd_forgiven *fg,
                         err *e);
void ct_log_close(ct_log *l);
/* CBOR payload: the next decompressed bytes (1, 0 at the end, -1);
 * nevents: the events read so far (for messages). */
int ct_log_produce(ct_log *l, uint8_t *out, size_t cap, size_t *got, uint64_t nevents, err *e);
/* split-binary: the next event (1, 0 at the end, -1). */
int ct_log_next_split(ct_log *l, ctrec_ev *ev, arena *a, unsigned max_depth, err *e);
/* Byte offset in events.log of the chunk being read (for messages). */
uint64_t ct_log_offset(const ct_log *l);

/* ---- meta.dat ---- */

#define CT_FLAG_COLUMNS 0x10u
#define CT_FLAG_CALL_STREAM 0x100u  /* calls.dat chunked (the reader looks for calls.idx) */
#define CT_FLAG_STEP_STREAM 0x200u  /* clear: steps in their older framing */
#define CT_FLAG_VALUE_STREAM 0x400u /* clear: values.dat/.off */
#define CT_FLAG_EVENT_STREAM 0x800u /* clear: events.dat/.off */
#define CT_FLAG_SPANS 0x2000u /* spans.dat/.idx, spantype.ns */
#define CT_KNOWN_FLAGS 0x3fffu /* bits 0-13: what the reference readers know */

typedef struct ct_meta {
    int present;
    unsigned version, flags;
    char *recording_id, *program, *workdir, *recorder_id;
    rd_strlist args, paths;
    /* further fields, as "key": JSON value texts (NUL-terminated) */
    char **extra_keys, **extra_json;
    size_t nextra;
} ct_meta;

ctrec_status ct_meta_parse(ct_meta *m, const uint8_t *d, size_t n, err *e);
void ct_meta_free(ct_meta *m);

/* ---- the span stream (ct_spans.c) ---- */

typedef struct ct_spans ct_spans;
/* *out is NULL when meta.dat does not set CT_FLAG_SPANS (the debugger then
 * reads no spans either); an error when it does and a member is missing. */
ctrec_status ct_spans_open(ct_spans **out, ctfs *c, const ct_meta *m, size_t limit, err *e);
/* The next record as a CTREC_EV_SPAN event: 1, 0 at the end, -1. */
int ct_spans_next(ct_spans *s, ctrec_ev *ev, arena *a, err *e);
void ct_spans_rewind(ct_spans *s);
void ct_spans_close(ct_spans *s);

/* ---- the event sequence ---- */

typedef struct ct_src ct_src;

/* Opens the layout of an open container (takes ownership of c). */
ctrec_status ct_src_open(ct_src **out, ctfs *c, const ctrec_reader_options *o, err *e);
void ct_src_close(ct_src *s);
/* The next event: 1 (in *ev), 0 at the end, -1 on error. `a` is reset by
 * the caller before each call. */
int ct_src_next(ct_src *s, ctrec_ev *ev, arena *a, err *e);
/* Up to cap events at once, while they take the shortest path (a Value, a
 * Return with no exception, or a Step with its values record, decoded from
 * the chunks held: no chunk is loaded, so the bytes the events before point
 * into stay): returns how many (0 when
 * the next event needs ct_src_next); a Value's value is vals[i] (valid
 * while evs is). Every Step event of a batch is the step after the one
 * before (ct_src_steps_done() grows by one at each), and no other event
 * of a batch moves it. */
size_t ct_src_fill(ct_src *s, ctrec_ev *evs, ctrec_value *vals, size_t cap);
ctrec_status ct_src_seek_step(ct_src *s, uint64_t step, err *e);
ctfs *ct_src_container(ct_src *s);
const ct_meta *ct_src_meta(const ct_src *s);
uint64_t ct_src_steps_done(const ct_src *s);
int ct_src_complete(const ct_src *s);
/* A line of what the layout holds (members not turned into events). */
size_t ct_src_note_count(const ct_src *s);
const char *ct_src_note(const ct_src *s, size_t i);


/* ---- the BEAM recorders' sidecar files (ct_sidecar.c) ---- */
typedef struct ct_sidecar {
    int state;          /* CTREC_CT_SIDECAR_* */
    uint64_t events;    /* the log's lines that are not blank (state BEAM) */
    char recorder[64];  /* trace_meta.json's "recorder" (states BEAM, REFUSED) */
    char msg[400];      /* what the state means, for a person */
} ct_sidecar;
/* The debugger's route for a .ct in folder dir (c: its container; limit:
 * the largest file, member or log line read): out->state, or -1 when out
 * of memory. */
int ct_sidecar_eval(ctfs *c, const char *dir, size_t limit, ct_sidecar *out);

#endif
