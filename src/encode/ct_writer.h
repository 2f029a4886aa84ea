/*
 * ct_writer.h — the .ct backend of the writer: the multi-stream layout of
 * FORMAT.md section 7.2 (what the recorders' Nim library writes and the
 * debugger's loader reads), streamed into a CTFS v4 container (ctfs_write.h).
 *
 * The model (src/model/writer.c) checks every rule and hands this layer
 * events that are already valid; this layer only lays them out:
 *
 *   paths/funcs/types/varnames .dat+.off   the interning tables, as defined
 *   steps.dat/.idx     one record per step (tag 0 absolute, 1 delta of
 *                      path_id * 100000 + line), 4096 records a chunk;
 *                      ThreadStart/Exit/Switch are records of their own
 *   values.dat/.idx    one record per step record: the Values given after
 *                      that step (00, count, {varname, len, CBOR}), 1024 a
 *                      chunk (recorders write 256; readers take the count
 *                      from values.idx, and 1024 compresses W1 11 % smaller
 *                      with a quarter of the frames)
 *   calls.dat/.idx     one record per call in entry order (call key = entry
 *                      number), 256 a chunk — written at close (see below)
 *   events.dat/.idx    one record per I/O event at the last step, 64 a chunk
 *   meta.dat           version 3, written at open without the paths and
 *                      replaced at close by the final one (flags: the streams
 *                      present: call 0x100, step 0x200, value 0x400,
 *                      io-event 0x800, interning tables 0x1000)
 *
 * Every chunk is one zstd frame (the options' zstd_level) with its content
 * size and a window of at most 2^CT_WINDOW_LOG bytes, so that a streaming
 * decompressor of even the largest chunk (calls.dat's record of a call
 * with a million children) needs 1 MiB of window; chunks are compressed
 * and appended by a background thread when the options allow one (else on
 * the caller's thread), a chunk larger than the compressor's 128 KiB
 * output buffer in pieces (no buffer grows with it).
 *
 * Calls and memory. A call record holds its exit step, return value and
 * children, known only at its exit, yet records are ordered by entry: the
 * first record (the top-level call) is complete last. The writer keeps in
 * memory the calls of each calls.dat chunk (CT_CALLS_PER_CHUNK keys) that
 * is not complete yet: the entry part (function, parent, entry step,
 * depth, arguments) of each call entered and the whole record of each call
 * that returned. A chunk whose calls all returned goes, in key order, to
 * the background thread, which compresses it and writes it to a private
 * unlinked file (made as `trace.ct.callz~`, removed at once); close copies
 * those frames into calls.dat in chunk order. The chunks not complete are
 * those of the open calls and the current one: at most depth + 1 chunks
 * of records. Per OPEN call the writer also holds the keys of its children
 * so far (delta varints, 1-3 bytes per child). The bound thus grows with
 * the call depth and with the number of children of the calls still open,
 * never with the number of completed calls or steps; at close the record
 * of a call with many children (about 3.5 bytes a child) is held a few
 * times (docs/ct-writer.md, Memory). For ct_repair, every call's entry
 * part and exit part also go to a scratch file beside the container
 * (`trace.ct.calls~`, in compressed pieces written by the background
 * thread, see the end of this file), removed at close. Other memory: one
 * chunk per stream, the compressor's context and 128 KiB output buffer,
 * the in-flight chunks (at most CT_QUEUE) and the model's interning tables.
 *
 * Durability. ctw_flush publishes, in this order on the container's
 * thread: the interning tables' new names, the complete chunks, and the
 * chunk in progress of each stream as that stream's provisional last chunk
 * (ctfs_w_provisional: a short chunk at the offset where the complete one
 * will go; the values stream's also holds the current step's values so
 * far, so a reader finds a values record for every step), then the root
 * entries. Every publication thus shows the streams as they were at one
 * moment: as many values records as steps, every name a record uses. The
 * scratch file is written before (it then holds every call entered at a
 * published step). Nothing is published between flushes: the writer's
 * flush thread (flush_interval_ms) calls ctw_flush on a timer.
 * A killed recording leaves a container that reads up to its last
 * publication (with the provisional meta.dat, no calls.dat records) and
 * the scratch file; ct_repair (ct_repair.h) completes it: calls.dat from
 * the scratch file, the calls open at the last published step closed
 * there without a return value, as ctw_close closes them.
 */
#ifndef CTREC_ENCODE_CT_WRITER_H
#define CTREC_ENCODE_CT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "ctrec/ctrec.h"
#include "encode/events.h"
#include "util/buf.h"
#include "util/err.h"

#define CT_STEPS_PER_CHUNK 4096u
#define CT_VALUES_PER_CHUNK 1024u
#define CT_CALLS_PER_CHUNK 256u
#define CT_EVENTS_PER_CHUNK 64u
#define CT_VLW 64u /* ctw_hot.vlw's slots */
#define CT_MAX_LINE 99999 /* a step's line: path_id * 100000 + line */
#define CT_MAX_LINES 1000000u /* a longer source gets no line table */
#define CT_WINDOW_LOG 20  /* zstd window of a chunk: 1 MiB at most */
#define CT_QUEUE 8        /* chunks in flight to the background thread */
#define CT_WAKE 4         /* jobs waiting that wake the background thread */
/* The default level (3) compresses chunks with zstd's fast strategy and a
 * 2^13-entry hash table instead of level 3's dfast: on the W1 benchmark
 * the trace is 0.3% larger for about 6% fewer instructions on the
 * compressing thread. And with target length 1 (what level -1 sets), which
 * leaves literals without Huffman coding: W1 at 1 M, 1.208 -> 1.317 bytes
 * per event (the target is 2.0) for 38 fewer instructions per event on
 * the compressing thread (callgrind, W1 200 k: 269 -> 231), and more
 * time than that: the literals' byte histogram (HIST_count_simple) alone
 * took 7 % of the process's CPU samples (perf), where the compressing
 * thread set the pace. At this level steps.dat's chunks also take a
 * minimum match of 7 bytes (ct_writer.c, stream_params). Other levels are
 * zstd's own parameters. */
#define CT_DEFAULT_LEVEL 3
#define CT_FAST_HASH_LOG 13
#define CT_FAST_TARGET 1
/* The scratch file's pieces (a private temporary file, read back only by
 * ct_repair) are compressed at zstd level -4 or -1 on the thread that
 * writes them when that halves them, else stored in raw blocks
 * (ct_writer.c, scratch_packed; docs/ct-writer.md, "Later (scratch3)" and
 * "Later (scratch4)"). */

typedef struct ctw_writer ctw_writer;

typedef struct ctw_meta {
    const char *recording_id, *program, *workdir, *recorder_id;
    char *const *args;
    size_t nargs;
    uint64_t npaths; /* the paths, listed in meta.dat too */
    const char *(*path_at)(void *ctx, uint64_t i, size_t *n);
    void *ctx;
} ctw_meta;

/* Creates `name` (and its scratch file) in dirfd; m: the metadata of the
 * provisional meta.dat (its paths are not read). */
ctrec_status ctw_open(int dirfd, const char *name, int threaded, int level, int columns,
                      const ctw_meta *m, ctw_writer **out, err *e);

/* Definitions, in table order (ids are positions). A path of a
 * column-aware writer (`columns` at open) reads `file` (the source as a
 * NUL-terminated path to open, or NULL) for its line-length table. */
ctrec_status ctw_path(ctw_writer *c, const char *p, size_t n, const char *file, err *e);
ctrec_status ctw_function(ctw_writer *c, const char *p, size_t n, err *e);
ctrec_status ctw_type(ctw_writer *c, const char *p, size_t n, err *e);
ctrec_status ctw_varname(ctw_writer *c, const char *p, size_t n, err *e);

/* Reads a LEB128 varint from [*p, end) (the scratch file's and calls.dat's
 * records, for the writer's close and for repair); -1 when it runs past end
 * or past 64 bits. */
static inline int ctw_vget(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned sh = 0; sh < 64; sh += 7) {
        if (*p >= end) return -1;
        uint8_t c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* ctw_vget for a children's delta buffer, whose deltas are mostly 1 byte
 * (a loop's calls): that byte read at once. */
static inline int ctw_vget_delta(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    if (*p < end && **p < 0x80) {
        *out = *(*p)++;
        return 0;
    }
    return ctw_vget(p, end, out);
}

/* The bytes of v as a LEB128 varint. */
static inline unsigned ctw_vlen(uint64_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    /* bits used / 7, rounded up (exact for 1..64 bits): no loop */
    return ((unsigned)(64 - __builtin_clzll(v | 1)) * 37u + 219u) >> 8;
#else
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
#endif
}

/* Whether a step's line fits the layout; -1 when not (the caller refuses). */
static inline int ctw_line_ok(int64_t line) { return line >= 0 && line <= CT_MAX_LINE; }

/* A step; column 0: none. Line-only (no `columns`): path_id * 100000 +
 * line, a column refused. Column-aware: the position of (line, column) in
 * the path's line table (column 0 is column 1); a path without a table
 * (no positions), a line outside the table or a column past its line's
 * end is refused (CTREC_E_UNSUPPORTED, nothing written). */
ctrec_status ctw_step(ctw_writer *c, ctrec_id path_id, int64_t line, int64_t column, err *e);
/* A value of the current step: its CBOR ValueRecord (ctfs flavour). */
ctrec_status ctw_value(ctw_writer *c, ctrec_id var, const uint8_t *v, size_t n, err *e);
/* A call entered at the current step (a call before any step enters at
 * step 0); its arguments are ev_args with CBOR values. */
ctrec_status ctw_call(ctw_writer *c, ctrec_id fn, const ev_arg *args, size_t nargs, err *e);
/* The innermost open call returns at the current step; v/n its CBOR return
 * value (n == 0: none), x/xn the CBOR value of the exception it exits with
 * (xn == 0: none). -1 from ctw_open_calls() == 0 is the caller's to
 * prevent. */
ctrec_status ctw_return(ctw_writer *c, const uint8_t *v, size_t n, const uint8_t *x, size_t xn,
                       err *e);
uint64_t ctw_open_calls(const ctw_writer *c);
/* Whether calls or I/O events were recorded but no step record: calls.dat
 * addresses a call's entry and exit by step index and events.dat an event's
 * step, so a step must be written before ctw_close (writer.c does); *fn:
 * the function of the first call, UINT64_MAX with no call. ctw_event
 * refuses an event before the first step when no path can take a step. */
int ctw_stepless(const ctw_writer *c, ctrec_id *fn);
ctrec_status ctw_event(ctw_writer *c, ctrec_event_kind kind, const char *meta, size_t mn,
                      const char *content, size_t cn, err *e);
/* ThreadStart (5), ThreadExit (6), ThreadSwitch (4): a step record each. */
enum { CT_THREAD_SWITCH = 4, CT_THREAD_START = 5, CT_THREAD_EXIT = 6 };
ctrec_status ctw_thread(ctw_writer *c, int tag, uint64_t tid, err *e);
/* An exception raised (steps.dat tag 2: type, message) and caught (tag 3):
 * a step record each, with a values record of their own. */
ctrec_status ctw_raise(ctw_writer *c, ctrec_id type_id, const char *msg, size_t n, err *e);
ctrec_status ctw_catch(ctw_writer *c, ctrec_id type_id, err *e);

/* Publishes everything given so far (see Durability above); with wait,
 * returns once it is in the file. Called by the recording thread, or by
 * the flush thread while the recording thread is kept out. */
ctrec_status ctw_flush(ctw_writer *c, int wait, err *e);
/* Completes the container: closes the calls still open at the last step
 * (no return value), builds calls.dat, writes meta.dat. Frees c. */
ctrec_status ctw_close(ctw_writer *c, const ctw_meta *m, err *e);
/* Frees c without completing anything (the container keeps what was
 * published). */
void ctw_abandon(ctw_writer *c);


/* ---- the recording thread's common events, inline ----
 * ctw_step's common case, ctw_value_begin/end and ctw_step_count are
 * inline here so that the model's fast paths (writer.c) make no call for
 * them; ctw_hot is the part of the backend's state they touch, the first
 * member of ctw_writer (ctw_hot_of). Only ct_writer.c and these functions
 * use its fields. */
enum { S_STEPS, S_VALUES, S_CALLS, S_EVENTS, NSTREAMS };
/* Chunks per hand-over at most (or CT_BATCH_BYTES of them, ct_writer.c).
 * Each hand-over to the compressing thread can cost a futex wake and a
 * wait: with `--values none` a values chunk is 1 KiB (one byte a step), so
 * at 16 a hand-over sort.lua 10000 made about 450 futex calls and spent
 * about 16 % of its recording thread in the kernel; at 64, about 160, and
 * 0.119 -> 0.106 s (nbody.lua 10000 0.136 -> 0.124 s; medians of 5). */
#define CT_BATCH 64
typedef struct ctw_stream {
    unsigned dat, idx; /* members */
    buf raw;           /* the chunk in progress: whole records */
    uint32_t nrec;     /* records of the chunk in progress */
    uint64_t nchunks;  /* chunks completed */
    /* Complete chunks wait in raw until a batch is handed over (one job
     * for up to CT_BATCH chunks: fewer thread hand-offs); ends[i] is the
     * end of the i-th, `done` that of the last. */
    uint32_t ends[CT_BATCH];
    uint64_t cidx[CT_BATCH]; /* calls: each chunk's index */
    unsigned nends;
    size_t done;
    uint64_t dat_size; /* worker side: compressed bytes appended */
    uint64_t wchunks;  /* worker side: complete chunks appended */
    uint64_t nidx;     /* worker side: offsets in .idx (one more than wchunks
                          while a provisional chunk is shown) */
    uint64_t prov_sig[5]; /* what the last provisional chunk held */
    buf provb;            /* the provisional chunk handed over */
    buf prov;             /* worker side: its frame, while shown */
    buf part;             /* worker side: the chunk in progress's bytes
                             handed over before it ended (J_PART) */
    uint64_t pub_dat;     /* worker side: .dat's size as last published */
} ctw_stream;

typedef struct ctw_hot {
    ctw_stream s[NSTREAMS];
    uint64_t nsteps;
    uint64_t last_gli;
    int chunk_abs; /* the steps chunk being filled has an absolute step */
    int columns;   /* column-aware (meta.dat flag 0x10) */
    /* The current step's values record is built in place in the values
     * chunk: it starts at vrec with 3 + vhx bytes kept for its head (body
     * length, 0, count: one byte each while the body is under 128 bytes and
     * the count under 128; the entries move when the head needs other room
     * than was kept), then its entries {var,
     * len, CBOR}; vent is where the entry being encoded (ctw_value_begin)
     * starts, vlen_at its length byte. There is such a record once there is
     * a step. */
    size_t vrec, vent, vlen_at;
    uint64_t vcount;
    /* Room kept by prediction, so that long values and records are not
     * moved when they end (sort.lua and nbody.lua --values all moved each
     * step's record and every table's entry by a byte or two: 1.5-2.2 % of
     * the recording's samples in memmove). vhx: the head bytes kept beyond
     * 3 for the record in progress (0 whenever step_fast is set), vhx_next
     * the last record's (finish_values); vlx: the length bytes kept beyond
     * 1 for the entry being encoded (ctw_value_begin), taken from vlw: per
     * variable id modulo CT_VLW (vslot), what the last value ended by
     * ctw_value_end_slow needed. A wrong guess costs the move it saves
     * otherwise; the bytes written are the same either way. */
    uint8_t vhx, vhx_next, vlx, vslot;
    uint8_t vlw[CT_VLW];
    /* Steps ctw_line_step may still take in its common case without
     * checking the chunks: set after a step record by step_record (none
     * when the steps chunk has no absolute step yet or the trace is
     * column-aware; at most the records left in the steps and values
     * chunks before either is full, and the steps chunk's room at 2 bytes
     * a step), 0 wherever else those chunks change. */
    uint32_t step_fast;
} ctw_hot;

static inline ctw_hot *ctw_hot_of(ctw_writer *c) { return (ctw_hot *)(void *)c; }

static inline uint8_t *ctw_vput(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A line-only step (no column; the caller checked ctw_line_ok), what
 * ctw_step does, in its common case only: 1 when it is done, 0 (nothing
 * changed) when ctw_step must do it. The common case: the previous step's
 * values record has a short head (under 128 values, its entries under 126
 * bytes; none: the record is one byte), step_fast allows one more step in
 * both chunks, this step is 1 byte of delta from the last, and the values
 * chunk has room for the next record's head. */
static inline uint64_t ctw_gli(ctrec_id path_id, int64_t line)
{
    return path_id * 100000u + (uint64_t)line;
}
/* ctw_line_step_try's step once its case is known and the values
 * chunk's room checked (ctw_line_step_fits, then the room:
 * ctw_step_args_call). */
static inline void ctw_line_step_put(ctw_hot *h, uint64_t x)
{
    ctw_stream *v = &h->s[S_VALUES], *s = &h->s[S_STEPS];
    int64_t d = (int64_t)(x - h->last_gli);
    size_t len = v->raw.len, vrec = h->vrec;
    size_t ent = len - vrec - 3; /* the previous step's values record's entries */
    uint64_t count = h->vcount;
    /* fields read before the byte stores (which may alias them) */
    uint8_t *r = v->raw.data + vrec, *p = s->raw.data + s->raw.len;
    size_t next = count ? len : vrec + 1; /* the next record */
    /* none: the record is r[0]; r[1], r[2] are then the next
     * record's head, written when it is complete */
    uint8_t r0 = count ? (uint8_t)(2 + ent) : 0;
    uint8_t zz = (uint8_t)(((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
    h->vcount = 0;
    h->step_fast--;
    v->nrec++;
    h->vrec = next;
    v->raw.len = next + 3;
    s->raw.len += 2;
    s->nrec++;
    h->last_gli = x;
    h->nsteps++;
    r[0] = r0;
    r[1] = 0;
    r[2] = (uint8_t)count;
    p[0] = 1;
    p[1] = zz;
}
/* Whether ctw_line_step_try(c, x) would take its common case, but for
 * the values chunk's room: for a caller with work to do before the step
 * (writer.c end_call_ct, its argument list; ctw_step_args_call then
 * checks the room). */
static inline int ctw_line_step_fits(const ctw_writer *c, uint64_t x)
{
    const ctw_hot *h = (const ctw_hot *)(const void *)c;
    size_t ent = h->s[S_VALUES].raw.len - h->vrec - 3;
    /* ent < 126 bounds the values' count too: every value's entry is at
     * least 2 bytes (its variable and length varints) */
    return h->step_fast && ent < 128 - 2 && (x - h->last_gli) + 64 < 128;
}
static inline int ctw_line_step_try(ctw_writer *c, uint64_t x /* ctw_gli */)
{
    ctw_hot *h = ctw_hot_of(c);
    const buf *vb = &h->s[S_VALUES].raw;
    if (!ctw_line_step_fits(c, x) || vb->cap - vb->len < 3 || vb->oom) return 0;
    ctw_line_step_put(h, x);
    return 1;
}

/* A line-only step (no column; the caller checked ctw_line_ok): what
 * ctw_step does, its common case without a call. */
static inline ctrec_status ctw_line_step(ctw_writer *c, ctrec_id path_id, int64_t line, err *e)
{
    if (ctw_line_step_try(c, ctw_gli(path_id, line))) return CTREC_OK;
    return ctw_step(c, path_id, line, 0, e);
}

/* A call without arguments with its entry step: ctw_line_step_try(c, x),
 * then, when it took the step, ctw_call(c, fn, NULL, 0, e), in one call.
 * -1 when the step was not taken (nothing changed), else ctw_call's
 * status (the step was made, whatever it is). */
int ctw_step_call(ctw_writer *c, uint64_t x /* ctw_gli */, ctrec_id fn, err *e);
/* The same for a call with arguments (ctrec_begin_call ... ctrec_end),
 * once ctw_line_step_fits(c, x) said yes: the entry step, each argument's
 * Value (as ctw_value), then ctw_call. -1 when the values chunk lacks the
 * room for the step and the Values (nothing changed), else ctw_call's
 * status (the step and the Values were made, whatever it is). */
int ctw_step_args_call(ctw_writer *c, uint64_t x /* ctw_gli */, ctrec_id fn, const ev_arg *args,
                       size_t nargs, err *e);

/* The steps so far. */
static inline uint64_t ctw_step_count(const ctw_writer *c)
{
    return ((const ctw_hot *)(const void *)c)->nsteps;
}

/* A value of the current step (ctw_step_count() > 0) encoded by the caller
 * straight into the values chunk: ctw_value_begin returns the buffer to
 * append the CBOR ValueRecord to (*at: where it starts), ctw_value_end
 * completes it, ctw_value_cancel drops it. Nothing else may touch the
 * writer in between (definitions excepted). */
buf *ctw_value_begin_slow(ctw_writer *c, ctrec_id var, size_t *at);
/* Whether ctw_value_begin takes its common case (no call, no growth). */
static inline int ctw_value_begin_fits(const ctw_writer *c)
{
    const buf *b = &((const ctw_hot *)(const void *)c)->s[S_VALUES].raw;
    return b->cap - b->len >= 16; /* the variable's varint, 1 + 4 for the length */
}
/* The entry's variable and the room for its length (vlw's guess), in the
 * values chunk b with room for them (ctw_value_begin_fits). */
static inline buf *ctw_value_open(ctw_hot *h, buf *b, ctrec_id var, size_t *at)
{
    unsigned slot = (unsigned)(var % CT_VLW), x = h->vlw[slot];
    h->vent = b->len;
    uint8_t *p = ctw_vput(b->data + b->len, var);
    *p = 0;
    h->vlen_at = (size_t)(p - b->data);
    h->vslot = (uint8_t)slot;
    h->vlx = (uint8_t)x;
    b->len = h->vlen_at + 1 + x;
    *at = b->len;
    return b;
}
static inline buf *ctw_value_begin(ctw_writer *c, ctrec_id var, size_t *at)
{
    ctw_hot *h = ctw_hot_of(c);
    if (!ctw_value_begin_fits(c)) return ctw_value_begin_slow(c, var, at);
    return ctw_value_open(h, &h->s[S_VALUES].raw, var, at);
}
ctrec_status ctw_value_end_slow(ctw_writer *c, err *e);
/* ctw_value_end's common case: 1 when done, 0 (nothing changed) when
 * ctw_value_end must do it. */
static inline int ctw_value_end_try(ctw_writer *c)
{
    ctw_hot *h = ctw_hot_of(c);
    buf *b = &h->s[S_VALUES].raw;
    size_t at = h->vlen_at, n = b->len - at - 1;
    if (b->oom || n >= 128 || h->vlx) return 0;
    h->vcount++;
    b->data[at] = (uint8_t)n;
    return 1;
}
static inline ctrec_status ctw_value_end(ctw_writer *c, err *e)
{
    if (ctw_value_end_try(c)) return CTREC_OK;
    return ctw_value_end_slow(c, e);
}
void ctw_value_cancel(ctw_writer *c);

/* ---- the scratch file (for ct_repair) ----
 * NAME.calls~ beside the container: pieces [u32 size][zstd frame with its
 * content size, compressed or raw blocks], written in order by the thread that holds the
 * writer (the recording thread, or the timed flush's), whose contents make
 * one stream of records [tag][varint body length][body]:
 *   'e' key-B fn key-parent(0: none) entry-S | depth nargs {var len CBOR}
 *   'x' zigzag(key-B) exit-S | retlen ret exclen exc
 * where B is the key of the last e record before it in the same piece (0
 * if none) and S the step of the last record before it in the same piece
 * (its entry or exit step; 0 if none): a piece's first record starts from
 * 0, so that a reader can start at any piece. The record's piece is the
 * one it starts in (a record may run on into the next piece). e records
 * are in key (entry) order, x records in exit order. A call's children
 * are the calls whose e record names it as parent (all between its e and
 * its x record). A call record of calls.dat is fn parent(zigzag, -1 none)
 * entry exit, then the e body after its first four fields, then the x
 * body after its first two, then nkids {kid key}.
 * Scratch files of ctrec before 2026-12-04 hold instead
 *   'E' key fn parent(zigzag, -1 none) entry | depth nargs {var len CBOR}
 *   'X' key exit | retlen ret exclen exc nkids {kid key}
 * with every field absolute; ct_sreader_rec reads both. */
#define CT_SCRATCH_SUFFIX CTREC_CT_SCRATCH_SUFFIX /* ctrec.h */
#define CT_KEY_WINDOW 8192u /* calls gathered at a time */
typedef struct ct_slot {
    uint32_t e_at, e_len, x_at, x_len; /* bodies in the arena; len 0: missing */
} ct_slot;
/* Reads the records from the piece at file offset `from`, `skip` bytes into
 * its records (a record starts there), with the bases (B and S above) the
 * record there starts from (0 and 0 at a piece's start). */
typedef struct ct_sreader {
    int fd;
    const char *name;
    uint64_t next, skip;
    buf z, d;
    size_t at;
    int eof;
    void *zd;
    struct ct_sreader_seg {
        int64_t pos;      /* in d */
        uint64_t off, in; /* the piece's file offset, the offset in its records */
    } *seg;
    size_t nseg, segcap;
    uint64_t bpiece, bkey, bstep; /* the piece the bases are of, the bases */
    uint64_t fsize;               /* the file's size at open */
} ct_sreader;
ctrec_status ct_sreader_open(ct_sreader *r, int fd, const char *name, uint64_t from,
                             uint64_t skip, uint64_t bkey, uint64_t bstep, err *e);
/* The next record: 1 (tag, body, its length; with piece/in non-NULL, where
 * the record starts), 0 at the end (or at a piece cut by a kill), -1. */
int ct_sreader_next(ct_sreader *r, uint8_t *tag, const uint8_t **body, uint64_t *len,
                    uint64_t *piece, uint64_t *in, err *e);
/* A call's entry ('E') or exit ('X') record of either form, its fields
 * absolute: key, step (entry or exit), for an entry fn and parent (-1:
 * none); rest: the body after those fields; kids: whether rest ends with
 * nkids {kid key} (an old X record). piece, in, bkey, bstep: where it
 * starts and the bases it starts from (ct_sreader_open's arguments to
 * read from it again). */
typedef struct ct_srec {
    uint8_t kind;
    int kids;
    uint64_t key, step, fn;
    int64_t parent;
    const uint8_t *rest;
    uint64_t rlen;
    uint64_t piece, in, bkey, bstep;
} ct_srec;
/* The next call record: 1, 0 at the end (or at a piece cut by a kill, or
 * a record whose fields do not read), -1 (e set). Other records are
 * skipped. */
int ct_sreader_rec(ct_sreader *r, ct_srec *o, err *e);
void ct_sreader_close(ct_sreader *r);
/* Keeps in `arena` the entry and exit bodies of keys k0..k1-1 whose slots
 * are still empty (zeroed, or filled beforehand by the caller), in the old
 * E and X form (fields absolute; an exit body with nkids {kid key}, the
 * children gathered from the entry records read), reading from the record
 * of ct_sreader_open's (from, skip, bkey, bstep); stops when all are found
 * or at the end. A slot whose exit the caller marked found (x_len set: a
 * call still open) is not looked for, nor are its children gathered (the
 * top-level call's, a child a call: 16 bytes each, and the scratch file
 * read to its end for every window). */
ctrec_status ct_scratch_gather(int fd, const char *name, uint64_t from, uint64_t skip,
                               uint64_t bkey, uint64_t bstep, uint64_t k0, uint64_t k1,
                               ct_slot *slots, buf *arena, err *e);

/* A call whose children's keys take more than CT_BIG_TAIL bytes in its
 * calls.dat record (about 22,000 children and more; the top-level call of
 * a script whose top level calls a function in a loop, or a main loop's
 * function): the keys are not written out in the chunk's arena, nor copied
 * again to be compressed, but generated from its kids deltas (1-3 bytes a
 * child) as the chunk's frame is written (ct_raw_frame). Written out,
 * they took about 4 bytes a child three times over at the call's return
 * (arena, chunk, compressor output): 10 M calls from the top level of a
 * script, 80 MB of peak memory and 0.42 s at close. */
#define CT_BIG_TAIL (64u * 1024u)
#define CT_RAW_BLOCK (128u * 1024u) /* a raw block's bytes at most */
typedef struct bigtail {
    unsigned slot;  /* the call's place in its chunk (key % CT_CALLS_PER_CHUNK) */
    size_t at;      /* where in the chunk's bytes without them its keys go */
    buf kids;       /* its children's keys, as deltas from the one before */
    uint64_t base;  /* the call's key (the first delta's base) */
    uint64_t n;     /* its children */
    uint64_t bytes; /* their keys' varints */
} bigtail;

void ct_tails_free(bigtail *t, unsigned n);
/* Room in *t (n used, *cap allocated) for one tail more: 0, or -1 (out of
 * memory, *t as it was). */
int ct_tails_room(bigtail **t, unsigned n, unsigned *cap);
/* A calls chunk whose records are b's len bytes but for the children's
 * keys of each tail (t[0..nt), in key order), which go at t->at: written
 * through out(ctx, ...) as one zstd frame of raw blocks, the keys
 * generated from the deltas a block at a time into blk (3 + CT_RAW_BLOCK
 * bytes), with the header zstd writes (the content size, single-segment
 * up to the 1 MiB window, past it a window descriptor); *n: the frame's
 * bytes. The ct writer's and ctrec repair's. */
typedef ctrec_status (*ct_frame_out)(void *ctx, const uint8_t *p, size_t n, err *e);
ctrec_status ct_raw_frame(const uint8_t *b, size_t len, const bigtail *t, unsigned nt,
                          uint8_t *blk, ct_frame_out out, void *ctx, uint64_t *n, err *e);

#endif
