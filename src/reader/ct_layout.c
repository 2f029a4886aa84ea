/*
 * ct_layout.c — the multi-stream layout of a .ct (FORMAT.md 7.2) as one
 * event sequence (docs/ct.md):
 *
 *   Path, Function, Type, VariableName definitions, in table order;
 *   then for every record N of steps.dat:
 *     Step (or Raise, Catch, ThreadSwitch/Start/Exit),
 *     the Values of values.dat record N,
 *     Call of every call record whose entry step is N (in record order),
 *     Event of every events.dat record at step N,
 *     Return of every open call whose exit step is N (innermost first).
 *
 * Streams are read chunk by chunk; open calls are the only state that
 * grows (with the call depth). Damage stops the sequence with a message
 * naming the member and the offset; everything before it was delivered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct.h"

#define LINES_PER_FILE 100000u
#define CT_CALL_WINDOW ((size_t)1 << 20) /* bytes of calls.dat held */
#define CT_ANC_CACHE 64 /* line-only global line index: path * 100000 + line */

enum { T_PATHS, T_FUNCS, T_TYPES, T_VARNAMES, T_COUNT };
static const char *const tab_base[T_COUNT] = {"paths", "funcs", "types", "varnames"};

typedef struct table {
    char dat_name[16], off_name[16];
    const ctfs_member *dat, *off;
    uint64_t n;
} table;

typedef struct file_pos {
    uint64_t base, size;
    uint64_t *lb; /* line starts (Layout A), nl of them; NULL: line-only */
    size_t nl;
} file_pos;

typedef struct open_call {
    uint64_t key, exit;
    uint8_t *ret, *exc; /* copies of the CBOR bytes; owned by the slot of the
                         * stack and reused by the calls that take it */
    size_t ret_len, exc_len;
    size_t ret_cap, exc_cap;
    int is_void;
} open_call;

/* A call record's fields needed to rebuild the open calls at a step,
 * cached by key: the same ancestors (the root call above all, whose record
 * can be large: it lists every child) come back at every seek. */
typedef struct anc_call {
    int used;
    uint64_t key, entry, exit;
    int64_t parent;
    uint8_t *ret, *exc;
    size_t ret_len, exc_len;
    int is_void;
} anc_call;

typedef struct call_rec {
    int bad;         /* the record is damaged: reported when its entry step comes */
    err why;
    uint64_t key;
    uint64_t fn, entry, exit;
    int64_t parent;
    uint64_t nargs;
    const uint8_t *args, *ret, *exc, *end; /* into the record */
    size_t ret_len, exc_len;
} call_rec;

enum { PH_DEFS, PH_STEP, PH_VALUES, PH_CALLS, PH_EVENTS, PH_RETURNS, PH_END, PH_MOREDEFS };

#define CT_BARGS 64 /* Call arguments a batch (ct_src_fill) holds */

struct ct_src {
    ctfs *c;
    ctrec_full_value bargs[CT_BARGS]; /* the arguments of a batch's Calls */
    ctrec_reader_options o;
    size_t limit;
    ct_meta meta;
    int colaware;
    table tab[T_COUNT];
    file_pos *files;
    ct_stream steps, values, calls, events, calls_ra;
    ct_pf *pf; /* read-ahead of steps, values, events (NULL: none) */
    uint8_t *scratch;
    size_t scap;

    int phase;
    unsigned dtab;
    uint64_t emitted[T_COUNT]; /* each table's records given as definitions */
    /* Following: a refresh found table records not given yet (defs_more);
     * they go out before the next event, which waits in held (its phase in
     * held_phase) while phase is PH_MOREDEFS. drained: the stop flag was
     * seen and the container looked at once more; nothing is waited for. */
    int defs_more, held_phase, held_k, drained;
    ctrec_ev held;
    size_t held_live;
    uint64_t step;   /* index of the current step */
    uint64_t gpos;
    int have_pos;
    /* values of the current step */
    const uint8_t *vp, *vend;
    uint64_t vleft;
    size_t vrec_off; /* offset of the record in the chunk, for messages */
    /* the next call record and I/O event, read ahead */
    int call_ready, ev_ready;
    call_rec nc;
    uint64_t ev_kind, ev_step;
    const uint8_t *ev_p, *ev_end;
    uint64_t ev_rec;
    open_call *stack;
    size_t depth, stack_cap; /* slots [0, stack_cap) are zeroed or own buffers */
    /* The lowest stack slot whose return value or exception bytes a Return
     * handed out since the last ct_src_fill points into (a text's bytes are
     * not copied), SIZE_MAX for none: ct_src_fill pushes no call into that
     * slot or above while those events may still be read (the batch that
     * ct_src_next's event begins). */
    size_t ret_live;
    struct anc_call *anc;         /* CT_ANC_CACHE call records, for seeking */
    int done;
    char **notes;
    size_t nnotes;
};

/* ------------------------------------------------------------------ */

static int add_note(ct_src *s, const char *fmt, ...) ERR_PRINTF(2, 3);
#include <stdarg.h>
static int add_note(ct_src *s, const char *fmt, ...)
{
    char t[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    char **n = realloc(s->notes, (s->nnotes + 1) * sizeof *n);
    if (!n) return -1;
    s->notes = n;
    if (!(n[s->nnotes] = strdup(t))) return -1;
    s->nnotes++;
    return 0;
}

size_t ct_src_note_count(const ct_src *s) { return s->nnotes; }
const char *ct_src_note(const ct_src *s, size_t i) { return i < s->nnotes ? s->notes[i] : ""; }
ctfs *ct_src_container(ct_src *s) { return s->c; }
const ct_meta *ct_src_meta(const ct_src *s) { return &s->meta; }
uint64_t ct_src_steps_done(const ct_src *s) { return s->step; }
int ct_src_complete(const ct_src *s) { return s->phase == PH_END; }


static uint8_t *scratch(ct_src *s, size_t n, err *e)
{
    if (n + 1 > s->scap) {
        uint8_t *p = realloc(s->scratch, n + 1);
        if (!p) {
            err_set(e, CTREC_E_NOMEM, "out of memory");
            return NULL;
        }
        s->scratch = p;
        s->scap = n + 1;
    }
    return s->scratch;
}

/* ---- interning tables: NAME.dat records at NAME.off's u64 offsets ---- */

static void bind_table(ct_src *s, table *t)
{
    t->dat = ctfs_find(s->c, t->dat_name);
    t->off = ctfs_find(s->c, t->off_name);
    t->n = t->dat && t->off && t->off->size >= 8 ? t->off->size / 8 - 1 : 0;
}

/* Record i of table t into the scratch buffer. */
static ctrec_status table_get(ct_src *s, table *t, uint64_t i, const uint8_t **p, size_t *n,
                              err *e)
{
    uint8_t b[16];
    ctrec_status st = ctfs_read_at(s->c, t->off, 8 * i, b, 16, e);
    if (st) return st;
    uint64_t a = load_le64(b), z = load_le64(b + 8);
    if (z < a || z > t->dat->size)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: record %llu (offset %llu) spans bytes %llu-%llu, outside %s (%llu "
                       "bytes)",
                       t->off_name, (unsigned long long)i, (unsigned long long)(8 * i),
                       (unsigned long long)a, (unsigned long long)z, t->dat_name,
                       (unsigned long long)t->dat->size);
    if (z - a > s->limit)
        return err_bound(e, "%s: record %llu is %llu bytes, over the %zu-byte limit", t->dat_name,
                         (unsigned long long)i, (unsigned long long)(z - a), s->limit);
    uint8_t *d = scratch(s, (size_t)(z - a), e);
    if (!d) return e->status;
    if ((st = ctfs_read_at(s->c, t->dat, a, d, (size_t)(z - a), e))) return st;
    d[z - a] = 0;
    *p = d;
    *n = (size_t)(z - a);
    return CTREC_OK;
}

/* Layout A path record: varint len, path, varint line count, zigzag
 * line-length deltas. Returns 0 and fills fp (when fp) or -1. */
static int parse_layout_a(const uint8_t *p, size_t n, ctrec_str *path, file_pos *fp, int strict)
{
    const uint8_t *q = p, *end = p + n;
    uint64_t len, nl;
    if (ct_varint(&q, end, &len) || len > (uint64_t)(end - q)) return -1;
    if (!strict) {
        if (len >= (uint64_t)(end - q)) return -1;
        for (uint64_t k = 0; k < len; k++)
            if (q[k] < 0x09 || (q[k] > 0x0d && q[k] < 0x20)) return -1;
    }
    path->ptr = (const char *)q;
    path->len = (size_t)len;
    q += len;
    if (ct_varint(&q, end, &nl) || nl > (uint64_t)(end - q)) return -1;
    if (!strict && nl > 1000000) return -1;
    uint64_t *lb = fp && nl ? malloc((size_t)nl * sizeof *lb) : NULL;
    if (fp && nl && !lb) return -1;
    int64_t prev = 0;
    uint64_t sum = 0;
    for (uint64_t l = 0; l < nl; l++) {
        uint64_t z;
        if (ct_varint(&q, end, &z)) {
            free(lb);
            return -1;
        }
        int64_t cur = l == 0 ? ct_unzigzag(z) : prev + ct_unzigzag(z);
        if (cur < 0 || cur > UINT32_MAX) {
            free(lb);
            return -1;
        }
        if (lb) lb[l] = sum;
        sum += (uint64_t)cur;
        prev = cur;
    }
    if (!strict && q != end) {
        free(lb);
        return -1;
    }
    if (fp) {
        fp->lb = lb;
        fp->nl = (size_t)nl;
        /* A path without a line table has no positions, as the
         * reference reader sizes it (new_trace_reader.nim
         * ensurePositionTables; its writer gives it 100000). */
        fp->size = nl ? (sum ? sum : 1) : 0;
    }
    return 0;
}

static ctrec_status load_positions(ct_src *s, err *e)
{
    table *t = &s->tab[T_PATHS];
    int flag = (s->meta.flags & CT_FLAG_COLUMNS) != 0;
    if (!t->n) {
        s->colaware = 0;
        return CTREC_OK;
    }
    s->files = calloc((size_t)t->n, sizeof *s->files);
    if (!s->files) return err_set(e, CTREC_E_NOMEM, "out of memory");
    int ok = 1;
    uint64_t base = 0;
    for (uint64_t i = 0; i < t->n; i++) {
        const uint8_t *p;
        size_t n;
        ctrec_status st = table_get(s, t, i, &p, &n, e);
        if (st) return st;
        ctrec_str path;
        if (parse_layout_a(p, n, &path, &s->files[i], flag)) {
            if (flag)
                return err_set(e, CTREC_E_FORMAT,
                               "paths.dat: record %llu is not a column-aware path record "
                               "(path, line count, line lengths)",
                               (unsigned long long)i);
            ok = 0;
            break;
        }
        s->files[i].base = base;
        base += s->files[i].size;
    }
    if (!ok) { /* line-only paths.dat */
        for (uint64_t i = 0; i < t->n; i++) free(s->files[i].lb);
        free(s->files);
        s->files = NULL;
    }
    s->colaware = ok;
    return CTREC_OK;
}

/* A Step event of a line-only trace at global line position g (path
 * g / LINES_PER_FILE, line g % LINES_PER_FILE): the short forms of the
 * step record, one at a time (step_event) and in batches (ct_src_fill),
 * all make it here. */
static inline void line_step(ctrec_ev *ev, uint64_t g)
{
    ev->type = CTREC_EV_STEP;
    ev->step.column = 0;
    ev->step.path_id = g / LINES_PER_FILE;
    ev->step.line = (int64_t)(g % LINES_PER_FILE);
}

static ctrec_status position(ct_src *s, uint64_t g, ctrec_ev *ev, err *e)
{
    ev->step.column = 0;
    if (!s->colaware) {
        ev->step.path_id = g / LINES_PER_FILE;
        ev->step.line = (int64_t)(g % LINES_PER_FILE);
        return CTREC_OK;
    }
    uint64_t n = s->tab[T_PATHS].n, lo = 0, hi = n;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->files[mid].base <= g) lo = mid;
        else hi = mid;
    }
    file_pos *f = &s->files[lo];
    if (g < f->base || g - f->base >= f->size)
        return err_set(e, CTREC_E_FORMAT,
                       "steps.dat: step %llu: position %llu is outside every path's range",
                       (unsigned long long)s->step, (unsigned long long)g);
    uint64_t q = g - f->base;
    ev->step.path_id = lo;
    if (!f->lb) {
        ev->step.line = (int64_t)q;
        return CTREC_OK;
    }
    size_t a = 0, b = f->nl;
    while (b - a > 1) {
        size_t mid = a + (b - a) / 2;
        if (f->lb[mid] <= q) a = mid;
        else b = mid;
    }
    ev->step.line = (int64_t)a + 1;
    ev->step.column = (int64_t)(q - f->lb[a]) + 1;
    return CTREC_OK;
}

/* ---- open ---- */

/* Table t's records as bound now; the paths from paths.dat, else from
 * meta.dat. */
static uint64_t table_records(const ct_src *s, unsigned t)
{
    if (t == T_PATHS && !s->tab[T_PATHS].n) return s->meta.paths.n;
    return s->tab[t].n;
}

/* After a refresh (following): the members as published now, and whether
 * the tables grew past the definitions given (defs_more). */
static ctrec_status bind_all(ct_src *s, err *e)
{
    for (int i = 0; i < T_COUNT; i++) bind_table(s, &s->tab[i]);
    if (s->phase != PH_DEFS)
        for (unsigned t = 0; t < T_COUNT; t++)
            if (s->emitted[t] < table_records(s, t)) {
                s->defs_more = 1;
                s->dtab = 0;
            }
    ctrec_status st;
    if ((st = ct_stream_rebind(&s->steps, s->c, e))) return st;
    if ((st = ct_stream_rebind(&s->values, s->c, e))) return st;
    if ((st = ct_stream_rebind(&s->calls, s->c, e))) return st;
    if ((st = ct_stream_rebind(&s->calls_ra, s->c, e))) return st;
    return ct_stream_rebind(&s->events, s->c, e);
}

ctrec_status ct_src_open(ct_src **out, ctfs *c, const ctrec_reader_options *o, err *e)
{
    *out = NULL;
    ct_src *s = calloc(1, sizeof *s);
    if (!s) {
        ctfs_close(c);
        return err_set(e, CTREC_E_NOMEM, "out of memory");
    }
    s->ret_live = SIZE_MAX;
    s->c = c;
    s->o = *o;
    s->limit = o->max_event_bytes;
    *out = s;
    for (int i = 0; i < T_COUNT; i++) {
        snprintf(s->tab[i].dat_name, sizeof s->tab[i].dat_name, "%s.dat", tab_base[i]);
        snprintf(s->tab[i].off_name, sizeof s->tab[i].off_name, "%s.off", tab_base[i]);
    }
    ctrec_status st;
    if ((st = ct_stream_init(&s->steps, c, "steps", e)) ||
        (st = ct_stream_init(&s->values, c, "values", e)) ||
        (st = ct_stream_init(&s->calls, c, "calls", e)) ||
        (st = ct_stream_init(&s->calls_ra, c, "calls", e)) ||
        (st = ct_stream_init(&s->events, c, "events", e)))
        return st;
    /* calls.dat is read through a window: the root call's record lists
     * every child and grows with the trace */
    s->calls.win = s->calls_ra.win = CT_CALL_WINDOW;
    s->values.may_window = s->events.may_window = 1;
    s->steps.tagged = 1;
    for (int i = 0; i < T_COUNT; i++) bind_table(s, &s->tab[i]);

    const ctfs_member *md = ctfs_find(c, "meta.dat");
    if (md) {
        if (md->size > s->limit)
            return err_bound(e, "meta.dat: %llu bytes, over the %zu-byte limit",
                             (unsigned long long)md->size, s->limit);
        uint8_t *d = scratch(s, (size_t)md->size, e);
        if (!d) return e->status;
        if ((st = ctfs_read_at(c, md, 0, d, (size_t)md->size, e))) return st;
        if ((st = ct_meta_parse(&s->meta, d, (size_t)md->size, e))) return st;
        if (s->meta.flags & ~CT_KNOWN_FLAGS)
            add_note(s, "meta.dat: flag bits 0x%04x are not known to this reader (read past)",
                     s->meta.flags & ~CT_KNOWN_FLAGS);
    }
    if (!s->steps.dat) {
        if (ctfs_find(c, "events.log"))
            return err_set(e, CTREC_E_UNSUPPORTED,
                           "this container holds the older events.log layout (no steps.dat), "
                           "which this reader does not decode yet");
        return err_set(e, CTREC_E_FORMAT, "the container has no steps.dat (and no events.log)");
    }
    if (!md) return err_set(e, CTREC_E_FORMAT, "the container has no meta.dat");
    /* the framing of each stream, as the reference reader picks it */
    unsigned older = 0;
    if ((st = ct_legacy_setup(c, s->meta.flags, &s->steps, &s->values, &s->events, &s->calls,
                              &s->calls_ra, &older, e)))
        return st;
    if (older)
        add_note(s, "in the framing before meta.dat bits 9-11 (record tables, counted steps "
                    "chunks):%s%s%s%s",
                 older & CT_FLAG_STEP_STREAM ? " steps" : "",
                 older & CT_FLAG_VALUE_STREAM ? " values" : "",
                 older & CT_FLAG_CALL_STREAM ? " calls" : "",
                 older & CT_FLAG_EVENT_STREAM ? " events" : "");
    /* the whole-chunk streams are read ahead on a thread (ct.h) */
    if (o->read_ahead && (s->pf = ct_pf_new(c))) {
        ct_pf_attach(s->pf, &s->steps);
        ct_pf_attach(s->pf, &s->values);
        ct_pf_attach(s->pf, &s->events);
        ct_pf_attach(s->pf, &s->calls); /* its chunks under the window */
    }
    if ((st = load_positions(s, e))) return st;
    /* step-map.ns is read on demand (ct_stepmap.c, ctrec_reader_line_steps) */
    static const char *const noted[] = {"spans.dat", "spans.idx", "spantype.ns", "events.log",
                                        "events.fmt", "linehits.dat", "srcviews.dat"};
    if ((s->meta.flags & CT_FLAG_SPANS) && (!ctfs_find(c, "spans.dat") || !ctfs_find(c, "spans.idx")))
        add_note(s, "meta.dat: flag 0x2000 (a span stream) without spans.dat and spans.idx: no "
                    "span records");
    for (size_t i = 0; i < sizeof noted / sizeof *noted; i++) {
        const ctfs_member *m = ctfs_find(c, noted[i]);
        /* with flag 0x2000 the span records are events (after the steps) */
        if (m && (s->meta.flags & CT_FLAG_SPANS) && i < 2 && ctfs_find(c, "spans.dat") &&
            ctfs_find(c, "spans.idx"))
            continue;
        if (m)
            add_note(s, "%s: %llu bytes, not turned into events", noted[i],
                     (unsigned long long)m->size);
    }
    s->phase = PH_DEFS;
    return CTREC_OK;
}

void ct_src_close(ct_src *s)
{
    if (!s) return;
    ct_pf_free(s->pf); /* its thread reads through its own handle: stopped first */
    ct_stream_free(&s->steps);
    ct_stream_free(&s->values);
    ct_stream_free(&s->calls);
    ct_stream_free(&s->calls_ra);
    ct_stream_free(&s->events);
    for (size_t i = 0; i < s->stack_cap; i++) {
        free(s->stack[i].ret);
        free(s->stack[i].exc);
    }
    free(s->stack);
    if (s->anc)
        for (int i = 0; i < CT_ANC_CACHE; i++) {
            free(s->anc[i].ret);
            free(s->anc[i].exc);
        }
    free(s->anc);
    if (s->files)
        for (uint64_t i = 0; i < s->tab[T_PATHS].n; i++) free(s->files[i].lb);
    free(s->files);
    free(s->scratch);
    for (size_t i = 0; i < s->nnotes; i++) free(s->notes[i]);
    free(s->notes);
    ct_meta_free(&s->meta);
    ctfs_close(s->c);
    free(s);
}

/* ---- follow: waiting for a stream to grow ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Like ct_stream_more, but in follow mode waits for the recorder to
 * publish more. Returns 1, 0 (the end, or stopped), -1. */
static int more_wait(ct_src *s, ct_stream *st, err *e)
{
    int k = ct_stream_more(st, s->c, s->limit, e);
    if (k > 0 || !s->o.follow || s->drained) return k;
    /* A chunk read while the recorder rewrote it (its provisional last
     * chunk, at a publication) can fail to decode: read it again. */
    int retries = k < 0 ? 1 : 0;
    double t0 = now_ms();
    for (;;) {
        /* Stopped: one last look at what the recorder published, read
         * without waiting (a .ct has no end marker: when the recorder is
         * gone, its last publication is the end). */
        int stop = s->o.stop && *s->o.stop;
        if (!stop && s->o.follow_timeout_ms && now_ms() - t0 >= s->o.follow_timeout_ms) return 0;
        if (!stop || retries) {
            struct timespec ts = {s->o.poll_ms / 1000, (long)(s->o.poll_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) && errno == EINTR) {
            }
        }
        if (ctfs_refresh(s->c, e) || bind_all(s, e)) return -1;
        k = ct_stream_more(st, s->c, s->limit, e);
        if (k < 0 && ++retries <= 5) continue;
        if (stop) s->drained = 1;
        if (k != 0 || stop) return k;
    }
}

static inline int more(ct_src *s, ct_stream *st, err *e)
{
    if (st->chunk != UINT64_MAX && st->pos < st->dlen) return 1;
    return more_wait(s, st, e);
}

/* ---- records ---- */

static int rec_fail(ct_src *s, ct_stream *st, const char *what, uint64_t rec, err *e)
{
    err_set(e, CTREC_E_FORMAT, "%s: record %llu (chunk %llu at byte %llu): %s", st->dat_name,
            (unsigned long long)rec, (unsigned long long)st->chunk,
            (unsigned long long)st->chunk_off, what);
    (void)s;
    return -1;
}

/* A call record's fields before its children, from p to end: NULL, or what
 * is wrong. */
static const char *parse_call(const uint8_t *p, const uint8_t *end, call_rec *c)
{
    uint64_t v[5];
    for (int i = 0; i < 5; i++) {
        int r = ct_varint(&p, end, &v[i]);
        if (r) return r == -2 ? "a varint longer than 10 bytes" : "the record ends inside its header";
    }
    c->fn = v[0];
    c->parent = ct_unzigzag(v[1]);
    c->entry = v[2];
    c->exit = v[3];
    uint64_t nargs;
    if (ct_varint(&p, end, &nargs)) return "a bad argument count";
    c->nargs = nargs;
    c->args = p;
    for (uint64_t i = 0; i < nargs; i++) {
        uint64_t var, len;
        if (ct_varint(&p, end, &var) || ct_varint(&p, end, &len) || len > (uint64_t)(end - p))
            return "an argument runs past the record";
        p += len;
    }
    uint64_t len;
    if (ct_varint(&p, end, &len) || len > (uint64_t)(end - p))
        return "the return value runs past the record";
    c->ret = p;
    c->ret_len = (size_t)len;
    p += len;
    if (ct_varint(&p, end, &len) || len > (uint64_t)(end - p))
        return "the exception runs past the record";
    c->exc = p;
    c->exc_len = (size_t)len;
    return NULL;
}

/* Reads the next call record into s->nc (s->call_ready). 1, 0 at end, -1.
 * A record longer than calls.dat's window (the root call's, which lists
 * every child) is read from its first bytes; when its fields before the
 * children are not all in them (a big argument or return value), the
 * window grows for it (ct_stream_widen), up to the event limit. */
static int read_call(ct_src *s, ct_stream *st, call_rec *c, int follow, err *e)
{
    int k = follow ? more(s, st, e) : ct_stream_more(st, s->c, s->limit, e);
    if (k <= 0) return k;
    const uint8_t *p;
    size_t n;
    uint64_t key = st->rec;
    if ((k = ct_stream_record(st, s->c, s->limit, &p, &n, e)) <= 0) return k;
    c->key = key;
    const char *why;
    while ((why = parse_call(p, p + n, c))) {
        int w = ct_stream_widen(st, s->c, s->limit, &p, &n, e);
        if (w < 0) return -1;
        if (w == 0) {
            char m[300];
            if (st->skip) /* cut at the limit: the record is longer than an event may be */
                snprintf(m, sizeof m,
                         "%s (its first %zu bytes, the reader's event limit, do not hold its "
                         "fields before the children)",
                         why, n);
            rec_fail(s, st, st->skip ? m : why, key, e);
            e->bound = st->skip != 0;
            return -1;
        }
    }
    const uint8_t *end = p + n;
    c->end = end;
    char msg[200];
    c->bad = 0;
    if (c->parent < -1 || (c->parent >= 0 && (uint64_t)c->parent >= key)) {
        snprintf(msg, sizeof msg, "parent call %lld is out of range (a call's parent comes before it)",
                 (long long)c->parent);
        c->bad = 1;
    } else if (c->exit < c->entry) {
        snprintf(msg, sizeof msg, "exit step %llu is before its entry step %llu",
                 (unsigned long long)c->exit, (unsigned long long)c->entry);
        c->bad = 1;
    }
    if (c->bad) rec_fail(s, st, msg, key, &c->why);
    return 1;
}

static int read_event(ct_src *s, int follow, err *e)
{
    ct_stream *st = &s->events;
    int k = follow ? more(s, st, e) : ct_stream_more(st, s->c, s->limit, e);
    if (k <= 0) return k;
    const uint8_t *p;
    size_t n;
    s->ev_rec = st->rec;
    if ((k = ct_stream_record(st, s->c, s->limit, &p, &n, e)) <= 0) return k;
    const uint8_t *end = p + n;
    if (p >= end) return rec_fail(s, st, "an empty record", s->ev_rec, e);
    s->ev_kind = *p++;
    if (ct_varint(&p, end, &s->ev_step))
        return rec_fail(s, st, "a bad step id", s->ev_rec, e);
    s->ev_p = p;
    s->ev_end = end;
    return 1;
}

/* ---- the sequence ---- */

/* The next definition not given yet (tables in order: paths, functions,
 * types, variable names): 1 with it in ev, 0 when every record of the
 * tables as bound now was given. */
static int defs(ct_src *s, ctrec_ev *ev, err *e)
{
    while (s->dtab < T_COUNT) {
        table *t = &s->tab[s->dtab];
        if (s->emitted[s->dtab] >= table_records(s, s->dtab)) {
            s->dtab++;
            continue;
        }
        uint64_t i = s->emitted[s->dtab]++;
        const uint8_t *p = NULL;
        size_t len = 0;
        if (s->dtab == T_PATHS && !t->n) {
            p = (const uint8_t *)s->meta.paths.items[i];
            len = s->meta.paths.lens[i];
        } else if (table_get(s, t, i, &p, &len, e))
            return -1;
        ctrec_str text = {(const char *)p, len};
        if (s->dtab == T_PATHS && s->colaware && t->n) parse_layout_a(p, len, &text, NULL, 1);
        switch (s->dtab) {
        case T_PATHS: ev->type = CTREC_EV_PATH; ev->text = text; break;
        case T_FUNCS:
            ev->type = CTREC_EV_FUNCTION;
            ev->function.path_id = 0;
            ev->function.line = 0;
            ev->function.name = text;
            break;
        case T_TYPES:
            ev->type = CTREC_EV_TYPE;
            memset(&ev->type_def, 0, sizeof ev->type_def);
            ev->type_def.kind = CTREC_TYPE_RAW;
            ev->type_def.lang_type = text;
            break;
        default: ev->type = CTREC_EV_VARIABLE_NAME; ev->text = text; break;
        }
        return 1;
    }
    return 0;
}

/* Decodes step record s->step. 1 (event in ev), 0 at the end, -1. */
static int step_event_slow(ct_src *s, ctrec_ev *ev, err *e);

static inline int step_event(ct_src *s, ctrec_ev *ev, err *e)
{
    /* the common record, a delta step (tag 1) of one byte, with line-only
     * positions: what the general path below does for it */
    ct_stream *st = &s->steps;
    if (RD_LIKELY(st->chunk != UINT64_MAX && st->dlen - st->pos >= 2 && !s->colaware &&
                  s->have_pos)) {
        const uint8_t *p = st->dbuf + st->pos;
        if (p[0] == 1 && p[1] < 0x80) {
            s->gpos += (uint64_t)ct_unzigzag(p[1]);
            st->pos += 2;
            st->rec++;
            line_step(ev, s->gpos);
            return 1;
        }
    }
    return step_event_slow(s, ev, e);
}

static int step_event_slow(ct_src *s, ctrec_ev *ev, err *e)
{
    ct_stream *st = &s->steps;
    int k = more(s, st, e);
    if (k <= 0) return k;
    const uint8_t *p = st->dbuf + st->pos, *end = st->dbuf + st->dlen;
    size_t at = st->pos;
    uint8_t tag = *p++;
    uint64_t a = 0, b = 0;
    int r = 0;
    const char *what = NULL;
    switch (tag) {
    case 0: case 1: case 7: case 3: case 4: case 5: case 6:
        r = ct_varint(&p, end, &a);
        break;
    case 2:
        if (!(r = ct_varint(&p, end, &a)) && !(r = ct_varint(&p, end, &b)) &&
            b > (uint64_t)(end - p))
            what = "a raise message runs past the chunk";
        break;
    default: what = "an unknown step tag"; break;
    }
    if (r) what = r == -2 ? "a varint longer than 10 bytes" : "the chunk ends inside a step";
    if (what) {
        err_set(e, CTREC_E_FORMAT,
                "steps.dat: step %llu (chunk %llu at byte %llu, decompressed byte %zu, tag "
                "0x%02x): %s",
                (unsigned long long)s->step, (unsigned long long)st->chunk,
                (unsigned long long)st->chunk_off, at, tag, what);
        return -1;
    }
    switch (tag) {
    case 0: s->gpos = a; s->have_pos = 1; break;
    case 1: case 7:
        if (!s->have_pos) {
            err_set(e, CTREC_E_FORMAT,
                    "steps.dat: step %llu (chunk %llu at byte %llu): a delta step before any "
                    "absolute one",
                    (unsigned long long)s->step, (unsigned long long)st->chunk,
                    (unsigned long long)st->chunk_off);
            return -1;
        }
        s->gpos += (uint64_t)ct_unzigzag(a);
        break;
    case 2:
        ev->type = CTREC_EV_RAISE;
        ev->raise.type_id = a;
        ev->raise.message = (ctrec_str){(const char *)p, (size_t)b};
        p += b;
        break;
    case 3:
        ev->type = CTREC_EV_CATCH;
        ev->raise.type_id = a;
        ev->raise.message = (ctrec_str){NULL, 0};
        break;
    case 4: ev->type = CTREC_EV_THREAD_SWITCH; ev->id = a; break;
    case 5: ev->type = CTREC_EV_THREAD_START; ev->id = a; break;
    case 6: ev->type = CTREC_EV_THREAD_EXIT; ev->id = a; break;
    }
    st->pos = (size_t)(p - st->dbuf);
    st->rec++;
    if (tag == 0 || tag == 1 || tag == 7) {
        ev->type = CTREC_EV_STEP;
        if (position(s, s->gpos, ev, e)) return -1;
    }
    return 1;
}

/* Positions the values cursor on record s->step. */
static RD_NOINLINE int begin_values(ct_src *s, err *e)
{
    ct_stream *st = &s->values;
    s->vleft = 0;
    s->vp = s->vend = NULL;
    int k = more(s, st, e);
    if (k < 0) return -1;
    if (k == 0) {
        if (s->o.stop && *s->o.stop) return 0;
        err_set(e, CTREC_E_FORMAT, "values.dat: no record for step %llu (%llu records)",
                (unsigned long long)s->step, (unsigned long long)st->rec);
        return -1;
    }
    if (st->rec != s->step) {
        err_set(e, CTREC_E_FORMAT, "values.dat: at record %llu for step %llu",
                (unsigned long long)st->rec, (unsigned long long)s->step);
        return -1;
    }
    s->vrec_off = st->pos;
    const uint8_t *p;
    size_t n;
    if ((k = ct_stream_record_fast(st, s->c, s->limit, &p, &n, e)) <= 0) return k < 0 ? -1 : 0;
    s->vp = p;
    s->vend = p + n;
    return 1;
}

/* The values record `rec` in the short form: a one-byte length, the record
 * whole in the chunk held. Its length, or -1 (begin_values reads it). */
static RD_INLINE int short_values_len(const ct_stream *vs, uint64_t rec)
{
    if (!(vs->chunk != UINT64_MAX && !vs->win && vs->pos < vs->dlen && vs->rec == rec)) return -1;
    size_t len = vs->dbuf[vs->pos];
    return len < 0x80 && len < vs->dlen - vs->pos ? (int)len : -1;
}

/* Begins the short values record short_values_len measured. */
static RD_INLINE void take_short_values(ct_src *s, ct_stream *vs, size_t len)
{
    const uint8_t *q = vs->dbuf + vs->pos;
    s->vleft = 0;
    s->vrec_off = vs->pos;
    s->vp = q + 1;
    s->vend = q + 1 + len;
    vs->pos += 1 + len;
    vs->rec++;
}

/* begin_values for a record with a one-byte length in the chunk held. */
static RD_INLINE int begin_values_fast(ct_src *s, err *e)
{
    int len = short_values_len(&s->values, s->step);
    if (RD_LIKELY(len >= 0)) {
        take_short_values(s, &s->values, (size_t)len);
        return 1;
    }
    return begin_values(s, e);
}

/* values.dat damage at decompressed byte `at` of the current record. */
static RD_COLD int values_fail(ct_src *s, size_t at, const char *what, err *e)
{
    ct_stream *st = &s->values;
    err_set(e, CTREC_E_FORMAT,
            "values.dat: record %llu (chunk %llu at byte %llu, decompressed byte %zu): %s",
            (unsigned long long)s->step, (unsigned long long)st->chunk,
            (unsigned long long)st->chunk_off, at, what);
    return -1;
}

/* A value that did not decode (bad) or left bytes before vend. */
static RD_COLD int value_fail(ct_src *s, const uint8_t *vstart, const uint8_t *q,
                                  const uint8_t *vend, int bad, err *e)
{
    ct_stream *st = &s->values;
    if (!bad) err_set(e, CTREC_E_FORMAT, "%zu bytes after the value", (size_t)(vend - q));
    err tmp = *e;
    err_set(e, tmp.status,
            "values.dat: record %llu (chunk %llu at byte %llu, decompressed byte %zu): %s",
            (unsigned long long)s->step, (unsigned long long)st->chunk,
            (unsigned long long)st->chunk_off, (size_t)(vstart - st->dbuf), tmp.msg);
    return -1;
}

/* The next Value of the current step: 1, 0 when none is left, -1. */
static inline int next_value(ct_src *s, ctrec_ev *ev, arena *a, err *e)
{
    ct_stream *st = &s->values;
    while (RD_UNLIKELY(s->vleft == 0)) {
        if (s->vp >= s->vend) return 0;
        uint8_t tag = *s->vp++;
        if (tag != 0 || ct_varint(&s->vp, s->vend, &s->vleft))
            return values_fail(s, s->vrec_off,
                               tag ? "an unknown value-record tag" : "a bad value count", e);
        if (s->vleft > (uint64_t)(s->vend - s->vp)) {
            err_set(e, CTREC_E_FORMAT,
                    "values.dat: record %llu (chunk %llu at byte %llu): %llu values cannot "
                    "fit in the record",
                    (unsigned long long)s->step, (unsigned long long)st->chunk,
                    (unsigned long long)st->chunk_off, (unsigned long long)s->vleft);
            return -1;
        }
    }
    uint64_t var, len;
    const uint8_t *q = s->vp;
    if (RD_UNLIKELY(ct_varint(&q, s->vend, &var) || ct_varint(&q, s->vend, &len) ||
                    len > (uint64_t)(s->vend - q)))
        return values_fail(s, (size_t)(s->vp - st->dbuf), "a value runs past the record", e);
    const uint8_t *vend = q + len, *vstart = q;
    const ctrec_value *v;
    int bad = ct_value_decode(&q, vend, a, s->o.max_depth, &v, e);
    if (RD_UNLIKELY(bad || q != vend)) return value_fail(s, vstart, q, vend, bad, e);
    s->vp = vend;
    s->vleft--;
    ev->type = CTREC_EV_VALUE;
    ev->value.variable_id = var;
    ev->value.value = v;
    return 1;
}

/* Fills slot i of the open calls (growing the stack to it): the call's
 * key, exit step and copies of its return value and exception bytes, in
 * the slot's buffers (kept from earlier calls: no allocation per call once
 * they are large enough). The copies stay valid until the slot is filled
 * again, which is after the Return decoded from them has been consumed. */
static int push_open(ct_src *s, size_t i, uint64_t key, uint64_t exit, int is_void,
                     const uint8_t *ret, size_t ret_len, const uint8_t *exc, size_t exc_len,
                     err *e)
{
    if (i >= s->stack_cap) {
        size_t cap = s->stack_cap ? s->stack_cap * 2 : 64;
        open_call *ns = realloc(s->stack, cap * sizeof *ns);
        if (!ns) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
        memset(ns + s->stack_cap, 0, (cap - s->stack_cap) * sizeof *ns);
        s->stack = ns;
        s->stack_cap = cap;
    }
    open_call *oc = &s->stack[i];
    if (ret_len > oc->ret_cap) {
        uint8_t *nb = realloc(oc->ret, ret_len);
        if (!nb) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
        oc->ret = nb;
        oc->ret_cap = ret_len;
    }
    if (exc_len > oc->exc_cap) {
        uint8_t *nb = realloc(oc->exc, exc_len);
        if (!nb) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
        oc->exc = nb;
        oc->exc_cap = exc_len;
    }
    if (ret_len) memcpy(oc->ret, ret, ret_len);
    if (exc_len) memcpy(oc->exc, exc, exc_len);
    oc->ret_len = ret_len;
    oc->exc_len = exc_len;
    oc->key = key;
    oc->exit = exit;
    oc->is_void = is_void;
    return 0;
}

static int call_event(ct_src *s, ctrec_ev *ev, arena *a, err *e)
{
    call_rec *c = &s->nc;
    ct_stream *st = &s->calls;
    ctrec_full_value *args = c->nargs ? arena_alloc(a, (size_t)c->nargs * sizeof *args) : NULL;
    if (c->nargs && !args) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    const uint8_t *p = c->args;
    for (uint64_t i = 0; i < c->nargs; i++) {
        uint64_t var = 0, len = 0;
        ct_varint(&p, c->end, &var);
        ct_varint(&p, c->end, &len);
        const uint8_t *vend = p + len;
        const ctrec_value *v;
        if (ct_value_decode(&p, vend, a, s->o.max_depth, &v, e)) {
            err tmp = *e;
            err_set(e, tmp.status, "calls.dat: record %llu (chunk %llu at byte %llu), argument %llu: %s",
                    (unsigned long long)c->key, (unsigned long long)st->chunk,
                    (unsigned long long)st->chunk_off, (unsigned long long)i, tmp.msg);
            return -1;
        }
        p = vend;
        args[i].variable_id = var;
        args[i].value = v;
    }
    /* the open call, for its Return */
    int is_void = c->ret_len == 0 || (c->ret_len == 1 && c->ret[0] == 0xff);
    if (push_open(s, s->depth, c->key, c->exit, is_void, c->ret, is_void ? 0 : c->ret_len,
                  c->exc, c->exc_len, e))
        return -1;
    s->depth++;
    ev->type = CTREC_EV_CALL;
    ev->call.function_id = c->fn;
    ev->call.args = args;
    ev->call.nargs = (size_t)c->nargs;
    return 1;
}

static const ctrec_value void_value = {CTREC_VAL_NONE, 0, 0, 0, 0, 0, {NULL, 0}, NULL, 0, NULL};

/* Whether a decoded value holds nothing that points into the bytes it was
 * decoded from (no text, no element). */
static inline int ret_is_flat(const ctrec_value *v)
{
    return v->kind == CTREC_VAL_INT || v->kind == CTREC_VAL_NONE || v->kind == CTREC_VAL_FLOAT;
}

static int return_event(ct_src *s, ctrec_ev *ev, arena *a, err *e)
{
    open_call *oc = &s->stack[--s->depth];
    const ctrec_value *rv = &void_value, *ex = NULL;
    int bad = 0;
    if (!oc->is_void) {
        const uint8_t *p = oc->ret;
        bad = ct_value_decode(&p, oc->ret + oc->ret_len, a, s->o.max_depth, &rv, e);
    }
    if (!bad && oc->exc_len) {
        const uint8_t *p = oc->exc;
        bad = ct_value_decode(&p, oc->exc + oc->exc_len, a, s->o.max_depth, &ex, e);
    }
    uint64_t key = oc->key;
    if (bad) {
        err tmp = *e;
        err_set(e, tmp.status, "calls.dat: record %llu, return value or exception: %s",
                (unsigned long long)key, tmp.msg);
        return -1;
    }
    if ((ex || !ret_is_flat(rv)) && s->depth < s->ret_live) s->ret_live = s->depth;
    ev->type = CTREC_EV_RETURN;
    ev->ret.return_value = rv;
    ev->ret.exception = ex;
    ev->ret.is_void = rv == &void_value;
    return 1;
}

static int end_of_steps(ct_src *s, err *e)
{
    if (s->o.stop && *s->o.stop) {
        s->phase = PH_END;
        return 0;
    }
    if (s->depth) {
        open_call *oc = &s->stack[s->depth - 1];
        err_set(e, CTREC_E_FORMAT,
                "calls.dat: record %llu: exit step %llu is past the last step (%llu steps)",
                (unsigned long long)oc->key, (unsigned long long)oc->exit,
                (unsigned long long)s->step);
        return -1;
    }
    if (!s->call_ready) {
        int k = read_call(s, &s->calls, &s->nc, 0, e);
        if (k < 0) return -1;
        s->call_ready = k;
    }
    if (s->call_ready) {
        err_set(e, CTREC_E_FORMAT,
                "calls.dat: record %llu: entry step %llu is past the last step (%llu steps)",
                (unsigned long long)s->nc.key, (unsigned long long)s->nc.entry,
                (unsigned long long)s->step);
        return -1;
    }
    if (!s->ev_ready) {
        int k = read_event(s, 0, e);
        if (k < 0) return -1;
        s->ev_ready = k;
    }
    if (s->ev_ready) {
        err_set(e, CTREC_E_FORMAT,
                "events.dat: record %llu: step %llu is past the last step (%llu steps)",
                (unsigned long long)s->ev_rec, (unsigned long long)s->ev_step,
                (unsigned long long)s->step);
        return -1;
    }
    s->phase = PH_END;
    return 0;
}

/* PH_STEP: the step record s->step and the values record that goes with it. */
static RD_INLINE int step_phase(ct_src *s, ctrec_ev *ev, err *e)
{
    int k = step_event(s, ev, e);
    if (k < 0) return -1;
    if (k == 0) return end_of_steps(s, e);
    if ((k = begin_values_fast(s, e)) <= 0) {
        if (k < 0) return -1;
        s->phase = PH_END;
        return 0;
    }
    s->phase = PH_VALUES;
    return 1;
}

/* The phase machine: every event from the current phase. */
static RD_NOINLINE int src_next(ct_src *s, ctrec_ev *ev, arena *a, err *e)
{
    int k;
    for (;;) {
        switch (s->phase) {
        case PH_DEFS:
            if ((k = defs(s, ev, e))) return k;
            s->phase = PH_STEP;
            break;
        case PH_STEP: return step_phase(s, ev, e);
        case PH_VALUES:
            if ((k = next_value(s, ev, a, e))) return k;
            s->phase = PH_CALLS;
            /* fall through */
        case PH_CALLS:
            if (!s->call_ready) {
                if ((k = read_call(s, &s->calls, &s->nc, 0, e)) < 0) return -1;
                s->call_ready = k;
            }
            /* Calls come in record order; a call whose entry step is before
             * the current one (a leaf call without steps of its own: the
             * writer gives it the step before) enters now. */
            if (s->call_ready && s->nc.entry <= s->step) {
                open_call *top = s->depth ? &s->stack[s->depth - 1] : NULL;
                if (s->nc.bad) {
                    *e = s->nc.why;
                    return -1;
                }
                if (top && (int64_t)top->key != s->nc.parent) {
                    if (top->exit <= s->step) return return_event(s, ev, a, e);
                    err_set(e, CTREC_E_FORMAT,
                            "calls.dat: record %llu (chunk %llu at byte %llu): parent call %lld "
                            "is not the innermost open call (record %llu, open until step %llu)",
                            (unsigned long long)s->nc.key, (unsigned long long)s->calls.chunk,
                            (unsigned long long)s->calls.chunk_off, (long long)s->nc.parent,
                            (unsigned long long)top->key, (unsigned long long)top->exit);
                    return -1;
                }
                if (!top && s->nc.parent != -1) {
                    err_set(e, CTREC_E_FORMAT,
                            "calls.dat: record %llu (chunk %llu at byte %llu): parent call %lld "
                            "is not open at step %llu",
                            (unsigned long long)s->nc.key, (unsigned long long)s->calls.chunk,
                            (unsigned long long)s->calls.chunk_off, (long long)s->nc.parent,
                            (unsigned long long)s->step);
                    return -1;
                }
                if (top && s->nc.exit > top->exit) {
                    err_set(e, CTREC_E_FORMAT,
                            "calls.dat: record %llu (chunk %llu at byte %llu): exit step %llu is "
                            "after the exit step %llu of its parent (record %llu)",
                            (unsigned long long)s->nc.key, (unsigned long long)s->calls.chunk,
                            (unsigned long long)s->calls.chunk_off, (unsigned long long)s->nc.exit,
                            (unsigned long long)top->exit, (unsigned long long)top->key);
                    return -1;
                }
                s->call_ready = 0;
                return call_event(s, ev, a, e);
            }
            s->phase = PH_EVENTS;
            /* fall through */
        case PH_EVENTS:
            if (!s->ev_ready && ct_stream_more(&s->events, s->c, s->limit, e)) {
                /* (an error of ct_stream_more is met again in read_event) */
                if ((k = read_event(s, 0, e)) < 0) return -1;
                s->ev_ready = k;
            }
            if (s->ev_ready && s->ev_step < s->step) {
                err_set(e, CTREC_E_FORMAT,
                        "events.dat: record %llu (chunk %llu at byte %llu): step %llu is "
                        "before the previous event's step %llu",
                        (unsigned long long)s->ev_rec, (unsigned long long)s->events.chunk,
                        (unsigned long long)s->events.chunk_off,
                        (unsigned long long)s->ev_step, (unsigned long long)s->step);
                return -1;
            }
            if (s->ev_ready && s->ev_step == s->step) {
                const uint8_t *p = s->ev_p;
                uint64_t ml, cl;
                if (s->ev_kind >= CTREC_EVENT_KIND_COUNT)
                    return rec_fail(s, &s->events, "an event kind beyond EventLogKind",
                                    s->ev_rec, e);
                if (ct_varint(&p, s->ev_end, &ml) || ml > (uint64_t)(s->ev_end - p))
                    return rec_fail(s, &s->events, "the metadata runs past the record",
                                    s->ev_rec, e);
                const uint8_t *meta = p;
                p += ml;
                if (ct_varint(&p, s->ev_end, &cl) || cl > (uint64_t)(s->ev_end - p))
                    return rec_fail(s, &s->events, "the content runs past the record",
                                    s->ev_rec, e);
                ev->type = CTREC_EV_EVENT;
                ev->event.kind = (ctrec_event_kind)s->ev_kind;
                ev->event.metadata = (ctrec_str){(const char *)meta, (size_t)ml};
                ev->event.content = (ctrec_str){(const char *)p, (size_t)cl};
                s->ev_ready = 0;
                return 1;
            }
            s->phase = PH_RETURNS;
            /* fall through */
        case PH_RETURNS:
            if (s->depth && s->stack[s->depth - 1].exit <= s->step)
                return return_event(s, ev, a, e);
            s->step++;
            s->phase = PH_STEP;
            break;
        default: return 0;
        }
    }
}

/* Following: the definitions a refresh found go out before the event
 * decoded after it (a Step, Value or Call may name them), which waits in
 * s->held. Its bytes stay where they are meanwhile: definitions are read
 * into the scratch buffer, not the arena or a chunk. */
static RD_NOINLINE int more_defs(ct_src *s, ctrec_ev *ev, int k, err *e)
{
    if (s->phase != PH_MOREDEFS) {
        if (k < 0) return k;
        s->held_k = k; /* 0: the end, after the definitions */
        if (k) s->held = *ev;
        s->held_live = s->ret_live; /* a held Return's bytes: see ret_live */
        s->held_phase = s->phase;
        s->phase = PH_MOREDEFS;
    }
    s->defs_more = 0;
    if ((k = defs(s, ev, e))) return k;
    s->phase = s->held_phase;
    s->ret_live = s->held_live;
    if (s->held_k) *ev = s->held;
    return s->held_k;
}

int ct_src_next(ct_src *s, ctrec_ev *ev, arena *a, err *e)
{
    s->ret_live = SIZE_MAX; /* the events handed out before are not read any more */
    if (RD_UNLIKELY(s->phase == PH_MOREDEFS)) return more_defs(s, ev, 0, e);
    int k = src_next(s, ev, a, e);
    if (RD_UNLIKELY(s->defs_more)) return more_defs(s, ev, k, e);
    return k;
}

/* ct_src_fill's cev: the steps before the next call's entry and the next
 * I/O event's step (0 while either is unknown). */
static inline uint64_t fill_cev(const ct_src *s)
{
    if (!(s->call_ready && (s->ev_ready || ct_stream_ended(&s->events)))) return 0;
    uint64_t cev = s->nc.entry;
    return s->ev_ready && s->ev_step < cev ? s->ev_step : cev;
}

/* ct_src_fill's bound: the steps it may pass, before cev, within the short
 * records the chunks held give (sroom) and before the innermost open
 * call's exit. */
static inline uint64_t fill_bound(const ct_src *s, uint64_t cev, uint64_t sroom)
{
    uint64_t bound = cev < sroom ? cev : sroom;
    if (s->depth && s->stack[s->depth - 1].exit < bound) bound = s->stack[s->depth - 1].exit;
    return bound;
}

/* The commonest events without the phase machine, as src_next would give
 * them, in a loop with the cursors in locals (stored back at the end),
 * never loading a chunk: a Value of the current values record whose var,
 * length and value take the short forms; after a record's last value, the
 * next step when no call enters, no I/O event is due and no call returns
 * at the current one, and its step record and values record are the short
 * ones in the chunks held. The values go to vals[], not the arena. (Until
 * 2026-12-04 ct_src_next tried the same shapes one event at a time first;
 * it was only reached where this had just found none, so never took one.) */
size_t ct_src_fill(ct_src *s, ctrec_ev *evs, ctrec_value *vals, size_t cap)
{
    if (s->phase != PH_VALUES) return 0;
    ct_stream *st = &s->steps, *vs = &s->values;
    const uint8_t *vp = s->vp, *vend = s->vend;
    uint64_t vleft = s->vleft, step = s->step, gpos = s->gpos;
    /* the steps that may be passed (step < bound): those before the next
     * call's entry, the next I/O event's step and the innermost open call's
     * exit, while the chunks held have their 2-byte records (a step record
     * and its values record advance together: vs->rec == step + 1) */
    uint64_t cev = fill_cev(s); /* steps before the next call's entry and I/O event */
    uint64_t sroom = 0; /* steps the chunks held give in the short forms */
    const uint8_t *sp = NULL, *rp = NULL, *rend = NULL;
    if (st->chunk != UINT64_MAX && !s->colaware && s->have_pos && vs->chunk != UINT64_MAX &&
        !vs->win && vs->rec == step + 1) {
        sroom = step + (st->dlen - st->pos) / 2;
        sp = st->dbuf + st->pos;
        rp = vs->dbuf + vs->pos;
        rend = vs->dbuf + vs->dlen;
    }
    uint64_t bound = fill_bound(s, cev, sroom);
    const uint8_t *rec_at = NULL; /* the last values record begun */
    size_t nargs = 0;                /* s->bargs used */
    size_t live = s->ret_live;       /* see ret_live */
    s->ret_live = SIZE_MAX;
    ctrec_ev *ev = evs, *ev_end = evs + cap;
    while (ev < ev_end) {
        const uint8_t *q = vp;
        uint64_t left = vleft;
        if (!left && vend - q >= 2 && q[0] == 0 && q[1] && q[1] < 0x80) {
            left = q[1]; /* a group's head: tag 0, its value count */
            q += 2;
        }
        if (left) {
            /* var and length one byte each, the value inside the record */
            if (!(left <= (uint64_t)(vend - q) && vend - q >= 2 && q[0] < 0x80 && q[1] < 0x80 &&
                  q[1] <= vend - q - 2))
                break;
        value_checked:;
            const uint8_t *r = q + 2, *end = r + q[1];
            if (!(ct_value_fast(&r, end, vals) && r == end)) break;
            vp = end;
            vleft = left - 1;
            ev->type = CTREC_EV_VALUE;
            ev->value.variable_id = q[0];
            ev->value.value = vals++;
            ev++;
            continue;
        }
        if (q < vend) break;
        /* the record is done: the next step, if nothing else comes at this
         * one (step < bound: no call enters, no I/O event is due and no call
         * returns here), with its step record and values record in the
         * short forms */
        if (RD_LIKELY(step < bound)) {
            if (!(sp[0] == 1 && sp[1] < 0x80 && rp < rend)) break;
            size_t len = rp[0];
            if (!(len < 0x80 && len < (size_t)(rend - rp))) break;
            step++;
            gpos += (uint64_t)ct_unzigzag(sp[1]);
            sp += 2;
            line_step(ev, gpos);
            ev++;
            vleft = 0;
            rec_at = rp;
            vp = rp + 1;
            vend = rp + 1 + len;
            rp = vend;
            /* a record of one group of one value (W1's), its var and
             * length in the short forms: straight to that value, past the
             * group head and the checks the next turn would make (when
             * these fail, the next turn makes them and stops where it
             * stopped) */
            if (len >= 4 && vp[0] == 0 && vp[1] == 1 && vp[2] < 0x80 && vp[3] <= len - 4 &&
                ev < ev_end) {
                q = vp + 2;
                left = 1;
                goto value_checked;
            }
            continue;
        }
        /* else, no call record held: src_next's read_call, when the record is
         * whole in the calls.dat chunk held (nothing to load or refill);
         * damage leaves the stream as it was, for src_next to find */
        if (!s->call_ready) {
            ct_stream *cs = &s->calls;
            if (!(cs->chunk != UINT64_MAX && cs->pos < cs->dlen &&
                  !(cs->win && !cs->frame_done && cs->dlen - cs->pos < cs->wcur / 2)))
                break;
            const uint8_t *cq = cs->dbuf + cs->pos, *cend = cs->dbuf + cs->dlen;
            uint64_t clen;
            if (ct_varint(&cq, cend, &clen) || clen > (uint64_t)(cend - cq)) break;
            size_t cpos = cs->pos;
            uint64_t crec = cs->rec;
            err ce;
            if (read_call(s, cs, &s->nc, 0, &ce) != 1) {
                cs->pos = cpos;
                cs->rec = crec;
                break;
            }
            s->call_ready = 1;
            cev = fill_cev(s);
            bound = fill_bound(s, cev, sroom);
            continue;
        }
        /* else the Call of the call entering here (call_event's event, after
         * src_next's checks, for at most one argument in the short forms and
         * an open-call slot that needs no allocation; bound is 0 now, until
         * the next call record is read) */
        if (s->call_ready && s->nc.entry <= step) {
            const call_rec *c = &s->nc;
            const open_call *top = s->depth ? &s->stack[s->depth - 1] : NULL;
            if (c->bad || c->nargs > 1 || nargs >= CT_BARGS ||
                (top ? (int64_t)top->key != c->parent || c->exit > top->exit : c->parent != -1))
                break;
            int is_void = c->ret_len == 0 || (c->ret_len == 1 && c->ret[0] == 0xff);
            size_t ret_len = is_void ? 0 : c->ret_len;
            if (s->depth >= s->stack_cap || ret_len > s->stack[s->depth].ret_cap ||
                c->exc_len > s->stack[s->depth].exc_cap || s->depth >= live)
                break; /* (or a Return of this batch points into the slot) */
            ctrec_full_value *args = NULL;
            if (c->nargs) {
                const uint8_t *a = c->args;
                if (!(c->end - a >= 2 && a[0] < 0x80 && a[1] < 0x80 && a[1] <= c->end - a - 2))
                    break;
                const uint8_t *r = a + 2, *end = r + a[1];
                if (!(ct_value_fast(&r, end, vals) && r == end)) break;
                args = &s->bargs[nargs++];
                args->variable_id = a[0];
                args->value = vals++;
            }
            err none;
            push_open(s, s->depth, c->key, c->exit, is_void, c->ret, ret_len, c->exc, c->exc_len,
                      &none); /* cannot fail: the slot is large enough */
            s->depth++;
            s->call_ready = 0;
            ev->type = CTREC_EV_CALL;
            ev->call.function_id = c->fn;
            ev->call.args = args;
            ev->call.nargs = (size_t)c->nargs;
            ev++;
            cev = bound = 0;
            continue;
        }
        /* or the Return of the innermost open call when it exits here and no
         * call enters and no I/O event is due here (return_event's, for a
         * return value of the short forms and no exception) */
        if (s->depth && s->stack[s->depth - 1].exit <= step) {
            const open_call *oc = &s->stack[s->depth - 1];
            if (!(step < cev) || oc->exc_len) break;
            const ctrec_value *rv = &void_value;
            if (!oc->is_void) {
                const uint8_t *r = oc->ret, *end = oc->ret + oc->ret_len;
                if (!(ct_value_fast(&r, end, vals) && r == end)) break;
                rv = vals++;
            }
            s->depth--;
            if (!ret_is_flat(rv) && s->depth < live) live = s->depth;
            ev->type = CTREC_EV_RETURN;
            ev->ret.return_value = rv;
            ev->ret.exception = NULL;
            ev->ret.is_void = rv == &void_value;
            ev++;
            bound = fill_bound(s, cev, sroom);
            continue;
        }
        break;
    }
    size_t n = (size_t)(ev - evs);
    if (n) {
        uint64_t passed = step - s->step;
        if (passed) {
            st->rec += passed;
            st->pos = (size_t)(sp - st->dbuf);
            vs->rec += passed;
            vs->pos = (size_t)(rp - vs->dbuf);
            s->vrec_off = (size_t)(rec_at - vs->dbuf);
            s->step = step;
            s->gpos = gpos;
        }
        s->vp = vp;
        s->vend = vend;
        s->vleft = vleft;
    }
    return n;
}

/* ---- random access ---- */

static const anc_call *ancestor(ct_src *s, uint64_t key, err *e)
{
    anc_call *a = &s->anc[key % CT_ANC_CACHE];
    if (a->used && a->key == key) return a;
    call_rec c;
    if (ct_stream_seek(&s->calls_ra, s->c, key, 1, s->limit, e)) return NULL;
    int k = read_call(s, &s->calls_ra, &c, 0, e);
    if (k <= 0) {
        if (k == 0) err_set(e, CTREC_E_FORMAT, "calls.dat: record %llu is missing",
                            (unsigned long long)key);
        return NULL;
    }
    if (c.bad) {
        *e = c.why;
        return NULL;
    }
    free(a->ret);
    free(a->exc);
    memset(a, 0, sizeof *a);
    a->is_void = c.ret_len == 0 || (c.ret_len == 1 && c.ret[0] == 0xff);
    a->ret_len = a->is_void ? 0 : c.ret_len;
    a->exc_len = c.exc_len;
    if ((a->ret_len && !(a->ret = malloc(a->ret_len))) ||
        (a->exc_len && !(a->exc = malloc(a->exc_len)))) {
        free(a->ret);
        a->ret = NULL;
        err_set(e, CTREC_E_NOMEM, "out of memory");
        return NULL;
    }
    if (a->ret_len) memcpy(a->ret, c.ret, a->ret_len);
    if (a->exc_len) memcpy(a->exc, c.exc, a->exc_len);
    a->key = key;
    a->entry = c.entry;
    a->exit = c.exit;
    a->parent = c.parent;
    a->used = 1;
    return a;
}

/* The first record's field of chunk i of a stream: entry step (calls) or
 * step (events). */
static int chunk_first_step(ct_src *s, ct_stream *st, uint64_t i, int calls, uint64_t *out,
                            err *e)
{
    if (ct_stream_load(st, s->c, i, s->limit, e)) return -1;
    if (calls) {
        call_rec c;
        int k = read_call(s, st, &c, 0, e);
        if (k < 0) return -1;
        if (k == 0) {
            err_set(e, CTREC_E_FORMAT, "%s: chunk %llu is empty", st->dat_name,
                    (unsigned long long)i);
            return -1;
        }
        *out = c.entry;
        return 0;
    }
    const uint8_t *p;
    size_t n;
    int k = ct_stream_record(st, s->c, s->limit, &p, &n, e);
    if (k <= 0) return -1;
    const uint8_t *end = p + n;
    if (p >= end || (p++, ct_varint(&p, end, out)))
        return rec_fail(s, st, "a bad step id", st->rec - 1, e);
    return 0;
}

/* Positions a stream of call records or events at its first record whose
 * step is >= n; leaves that record read ahead. Returns 1, 0 (none), -1. */
static int seek_by_step(ct_src *s, ct_stream *st, int calls, uint64_t n, err *e)
{
    if (!st->dat || !st->nchunks) return 0;
    uint64_t lo = 0, hi = st->nchunks; /* chunks [0, lo) start before n */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, f;
        if (chunk_first_step(s, st, mid, calls, &f, e)) return -1;
        if (f < n) lo = mid + 1;
        else hi = mid;
    }
    uint64_t start = lo ? lo - 1 : 0;
    if (ct_stream_load(st, s->c, start, s->limit, e)) return -1;
    for (;;) {
        int k;
        uint64_t step;
        if (calls) {
            k = read_call(s, st, &s->nc, 0, e);
            step = s->nc.entry;
        } else {
            k = read_event(s, 0, e);
            step = s->ev_step;
        }
        if (k <= 0) return k;
        if (step >= n) return 1;
    }
}

ctrec_status ct_src_seek_step(ct_src *s, uint64_t n, err *e)
{
    if (!s->anc && !(s->anc = calloc(CT_ANC_CACHE, sizeof *s->anc)))
        return err_set(e, CTREC_E_NOMEM, "out of memory");
    /* steps: the chunk, walked to record n */
    ct_stream *st = &s->steps;
    if (!st->per_chunk || n / st->per_chunk >= st->nchunks)
        return err_set(e, CTREC_E_ARG, "step %llu is beyond the %llu chunks of steps.dat",
                       (unsigned long long)n, (unsigned long long)st->nchunks);
    ctrec_status r = ct_stream_load(st, s->c, n / st->per_chunk, s->limit, e);
    if (r) return r;
    s->have_pos = 0;
    s->step = n - n % st->per_chunk;
    arena tmp = {0};
    while (s->step < n) {
        ctrec_ev ev;
        int k = step_event(s, &ev, e);
        if (k <= 0) {
            arena_free(&tmp);
            return k < 0 ? e->status
                         : err_set(e, CTREC_E_ARG, "step %llu is past the last step (%llu)",
                                   (unsigned long long)n, (unsigned long long)s->step);
        }
        s->step++;
    }
    arena_free(&tmp);
    if ((r = ct_stream_seek(&s->values, s->c, n, 1, s->limit, e))) return r;
    /* open calls: the ancestors of the last call entered before n that are
     * still open at n */
    s->depth = 0;
    int k = seek_by_step(s, &s->calls, 1, n, e);
    if (k < 0) return e->status;
    s->call_ready = k;
    uint64_t last = k ? s->nc.key : (s->calls.nchunks ? s->calls.rec : 0);
    /* walk up from the last call announced before n; keep those open at n */
    size_t nf = 0;
    for (int64_t key = (int64_t)last - 1; key >= 0;) {
        const anc_call *c = ancestor(s, (uint64_t)key, e);
        if (!c) return e->status;
        if (c->exit >= n && c->entry < n) {
            if (push_open(s, nf, c->key, c->exit, c->is_void, c->ret, c->ret_len, c->exc,
                          c->exc_len, e))
                return e->status;
            nf++;
            s->depth = nf;
        }
        key = c->parent;
    }
    /* found innermost first: the stack wants outermost first */
    for (size_t i = 0; i < nf / 2; i++) {
        open_call t = s->stack[i];
        s->stack[i] = s->stack[nf - 1 - i];
        s->stack[nf - 1 - i] = t;
    }
    s->depth = nf;
    k = seek_by_step(s, &s->events, 0, n, e);
    if (k < 0) return e->status;
    s->ev_ready = k;
    s->step = n;
    s->phase = PH_STEP;
    /* a seek gives no definitions; a follower's later ones still go out */
    s->dtab = T_COUNT;
    for (unsigned t = 0; t < T_COUNT; t++) s->emitted[t] = table_records(s, t);
    return CTREC_OK;
}
