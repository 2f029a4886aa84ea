/*
 * rd.h — the reader's internals shared by the JSON and CBOR event parsers
 * and the entry point.
 *
 * A parser gets the bytes of (at least) one event in [p, end) and builds the
 * event in an arena that is reset before every event. It never reads past
 * `end`; when the bytes end inside the event it jumps back with RD_MORE, and
 * the caller supplies more bytes and parses the event again from its start
 * (or, if no more bytes will come, the parser reports the truncation).
 * Errors jump back with RD_ERR after filling the message.
 */
#ifndef CTREC_READER_RD_H
#define CTREC_READER_RD_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrec/ctrec_reader.h"
#include "util/err.h"

/* ---- arena: bump allocation in chained blocks, reset per event ---- */

typedef struct arena_block {
    struct arena_block *next;
    size_t cap, used;
    /* data follows, 16-byte aligned */
} arena_block;

typedef struct arena {
    arena_block *head; /* first block (kept across resets) */
    arena_block *cur;
} arena;

void arena_reset_chain(arena *a);
/* Every block empty again; the first one current. */
static inline void arena_reset(arena *a)
{
    arena_block *h = a->head;
    if (h && !h->next) { /* one block: the common case */
        h->used = 0;
        a->cur = h;
    } else
        arena_reset_chain(a);
}
void arena_free(arena *a);
/* NULL when out of memory. */
void *arena_alloc_slow(arena *a, size_t n);

static inline void *arena_alloc(arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    arena_block *b = a->cur;
    if (b && b->cap - b->used >= n) {
        void *p = (char *)(b + 1) + b->used;
        b->used += n;
        return p;
    }
    return arena_alloc_slow(a, n);
}

/* ---- CBOR bytes shared by the trace.bin and .ct decoders ---- */

/* The n bytes at p as a big-endian number (a CBOR head's argument). */
static inline uint64_t rd_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* The CBOR float at p (head byte 0xf9, 0xfa or 0xfb, its 2, 4 or 8 bytes
 * present) as a double. */
double rd_cbor_float(const uint8_t *p);

/* ---- a growable vector of fixed-size items (per-event scratch) ---- */

typedef struct vec {
    void *data;
    size_t len, cap;
} vec;

int vec_grow(vec *v, size_t item, size_t want);

/* ---- what a lenient read forgave (strict.c) ---- */

typedef struct rd_forgiven {
    uint64_t n;           /* deviations forgiven */
    uint64_t cur_event;   /* index of the event being parsed (set by the reader) */
    uint64_t first_event; /* event of the first one */
    char first[256];      /* what the first one was */
} rd_forgiven;

/* ---- the parse context ---- */

enum { RD_OK = 0, RD_MORE = 1, RD_ERR = 2, RD_END = 3 };

typedef struct pctx {
    const uint8_t *p, *end, *base; /* base: first byte of the event */
    int eof;                        /* no byte will follow `end` */
    jmp_buf jb;
    arena *a;
    vec *vstack;   /* ctrec_value scratch stack for children */
    vec *args, *ids, *strs, *fields;
    vec *skip;     /* per-level state of tk_skip (kept across events) */
    unsigned depth, max_depth;
    size_t max_bytes; /* largest event accepted */
    err *e;
    ctrec_ev *ev;
    const char *eof_msg; /* what running out of bytes at the end means */
    int strict;          /* refuse what the reference parsers refuse: 1 the
                            current debugger's, 2 CodeTracer 25.11's */
    rd_forgiven *fg;     /* else note it here (may be NULL) */
    unsigned fg_pending; /* notes of this parse, counted in fg when it
                            succeeds (a parse cut by the window's end is
                            redone) */
    /* strict 2: the values the event parser skipped (unknown keys), which
     * 25.11's serde_json passes over without decoding them */
    const uint8_t *skipped[8][2];
    unsigned nskipped;   /* > 8: more than were kept */
    int skipping;        /* inside such a value now */
} pctx;

/* Hints for the decoders' hot paths (one definition for every parser). */
#if defined(__GNUC__)
#define RD_NORETURN __attribute__((noreturn))
#define RD_LIKELY(x) __builtin_expect(!!(x), 1)
#define RD_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RD_INLINE inline __attribute__((always_inline))
#define RD_NOINLINE __attribute__((noinline))
#define RD_COLD __attribute__((noinline, cold)) /* error paths */
#else
#define RD_NORETURN
#define RD_LIKELY(x) (x)
#define RD_UNLIKELY(x) (x)
#define RD_INLINE inline
#define RD_NOINLINE
#define RD_COLD
#endif

RD_NORETURN void rd_fail(pctx *c, ctrec_status st, const char *fmt, ...) ERR_PRINTF(3, 4);
RD_NORETURN void rd_more(pctx *c);
RD_NORETURN void rd_nomem(pctx *c);

/* A spelling the reference parsers refuse, at `at`: with c->strict an
 * error of status `st` (jumps back), else noted in c->fg. */
void rd_forgive(pctx *c, ctrec_status st, const uint8_t *at, const char *fmt, ...) ERR_PRINTF(4, 5);
/* Counts the notes of a parse that succeeded. */
void rd_forgive_commit(pctx *c);
/* The grammar of the reference parsers over the bytes of one parsed event:
 * serde_json's for JSON (`depth0`: arrays and objects open around it),
 * cbor4ii's for CBOR. Deviations go to rd_forgive. */
void rd_json_strict(pctx *c, const uint8_t *p, const uint8_t *end, unsigned depth0);
void rd_cbor_strict(pctx *c, const uint8_t *p, const uint8_t *end);
/* After trace.json's closing ']': only whitespace may follow. Returns
 * RD_OK at the end of the bytes (c->eof) or RD_MORE, RD_ERR. */
int json_parse_trailing(pctx *c);

/* Parse one event starting at c->p. Returns RD_OK (c->p after the event),
 * RD_MORE or RD_ERR. */
int json_parse_event(pctx *c);
int cbor_parse_event(pctx *c);
/* trace.json's array: *state 0 before '[', 1 after it, 2 after an event,
 * 3 after ']'. Returns RD_OK (an event), RD_MORE, RD_ERR or RD_END. */
int json_parse_item(pctx *c, int *state);

/* Small whole-document JSON helpers for trace_metadata.json and
 * trace_paths.json: the text must be NUL-terminated at [n]. */
typedef struct rd_strlist {
    char **items;
    size_t *lens;
    size_t n;
} rd_strlist;
ctrec_status json_parse_string_array(const char *s, size_t n, rd_strlist *out, err *e);
typedef struct rd_meta {
    char *recording_id, *workdir, *program;
    rd_strlist args;
    int has_args;
} rd_meta;
ctrec_status json_parse_metadata(const char *s, size_t n, rd_meta *out, err *e);
/* s[0..n) (s[n] == 0) is one JSON value as serde_json::from_str reads it
 * into a serde_json::Value, with only JSON whitespace after it: 1, else 0
 * with the reason in e. */
int json_value_ok(const char *s, size_t n, err *e);
/* A BEAM recorder's trace_meta.json (ct_sidecar.c): CTREC_E_FORMAT (the
 * reason in e) when it is not JSON (json_value_ok); else its top-level
 * "recorder" when a string (*recorder, malloc'd; NULL otherwise) and the
 * "trace_copy_path" strings of the objects in its "manifests" array, in
 * order (a repeated key counts by its last value, as in serde_json). */
ctrec_status json_beam_meta(const char *s, size_t n, char **recorder, rd_strlist *copies, err *e);
/* 1 when serde_json would decode the text as 25.11's TraceMetadata: its
 * grammar (strict level 2), only whitespace after the object, workdir and
 * program strings, args an array of strings. */
int json_metadata_serde_ok(const char *s, size_t n);
void rd_strlist_free(rd_strlist *l);

/* ---- the trace file, read sequentially (waiting for growth in follow mode) ---- */

struct ctfs;
struct ctfs_member;

typedef struct rd_file {
    int fd;
    uint64_t off;        /* offset of the next read */
    const ctrec_reader_options *o;
    int stopped;         /* follow: the stop flag was seen */
    const char *name;    /* for messages: "trace.bin" */
    rd_forgiven *fg;     /* what a lenient read forgave */
    /* when set, the bytes are those of this member of a .ct container
     * (published whole: read to its size, never waited for) */
    struct ctfs *c;
    const struct ctfs_member *m;
} rd_file;

/* Reads up to n bytes. Without `wait` (or outside follow mode) returns 0 at
 * the end of the file; with it, waits for the file to grow and returns 0
 * only when stopped (f->stopped set). Returns -1 on error (message in e).
 * A container member (f->m) ends at its size. */
long rd_read(rd_file *f, void *p, size_t n, int wait, err *e);

/* ---- the binary source: zstd seekable frames -> decompressed bytes ---- */

typedef struct bin_source bin_source;

bin_source *bin_open(rd_file *f);
void bin_close(bin_source *b);
/* Decompresses up to `cap` bytes into out. Returns 1 with *got > 0, 0 at
 * the seek table (the trace is complete), 2 when follow mode was stopped, or
 * -1 on error (message names the byte offset and `nevents`). */
int bin_produce(bin_source *b, uint8_t *out, size_t cap, size_t *got, uint64_t nevents,
                err *e);
/* Compressed bytes consumed so far (file offset). */
uint64_t bin_offset(const bin_source *b);
/* File offset of the frame being decoded. */
uint64_t bin_frame_offset(const bin_source *b);

#endif
