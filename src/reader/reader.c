/*
 * reader.c — the public reader (ctrec_reader.h): opening a folder or file,
 * format detection, the byte window the parsers work on, follow mode,
 * metadata and paths, and error messages with positions.
 *
 * The window holds the raw JSON text or the decompressed CBOR bytes. An
 * event is parsed from the window; when the window ends inside it the
 * unread tail is moved to the front, more bytes are appended, and the event
 * is parsed again. The window only grows for an event larger than itself
 * (bounded by max_event_bytes), so memory stays constant.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include "ct.h"
#include "ct_stepmap.h"
#include "util/path.h"
#include "rd.h"

#define WINDOW (1u << 20)
#define MIN_FREE (64u * 1024u)
#define DEFAULT_MAX_EVENT CTREC_MAX_EVENT_BYTES
#define MAX_DEPTH_CAP 2000u /* values are parsed recursively: ~300 bytes of stack a level */
#define CT_BATCH 64 /* .ct events decoded at once on the shortest path */

struct ctrec_reader {
    err e;
    err ct_e; /* a .ct decoder's message, before it is put in e */
    ctrec_status failed;
    ctrec_reader_options o;
    char *file;      /* path of the trace file */
    const char *name; /* its base name, for messages */
    ctrec_format fmt;
    rd_file f;
    int done;        /* end reached (complete or stopped) */
    int complete;

    uint8_t *buf;    /* the window; buf[len] is a NUL sentinel */
    size_t pos, len, cap;
    uint64_t buf_off; /* stream offset of buf[0] */
    int eof;          /* no more bytes for the window */
    int jstate;

    bin_source *bin;
    ct_src *ct;
    /* a multi-stream .ct that has not failed, ended or reached its span
     * records: ctrec_reader_next goes straight to ct_src_next. Set by the
     * general path, cleared wherever one of those changes. */
    int ct_hot;
    /* events decoded ahead by ct_src_fill, delivered from batch[bi]; their
     * values in bval; the step index after each
     * (ctrec_reader_step_index): bbase, the steps done before batch[bfrom],
     * and one more at each Step of batch[bfrom..] (ct_src_fill's). nevents
     * counts the batch's events when it is handed out, so the events
     * delivered are nevents - (bend - bcur); bcur == bend wherever else
     * nevents is read (messages), and a seek takes the undelivered ones
     * off. */
    ctrec_ev batch[CT_BATCH];
    ctrec_value bval[CT_BATCH];
    uint64_t bbase;
    /* batch[0 .. bcur) delivered, [bcur, bend) to deliver; both at
     * batch[0] when no batch is held. Events are held only on the .ct hot
     * path (ct_hot): whatever clears ct_hot empties the batch first. */
    const ctrec_ev *bcur, *bend;
    size_t bfrom;
    ct_spans *spans;  /* the span stream, opened at the end of the steps */
    int spans_phase;  /* 1: yielding span records, 2: done with them */
    /* a .ct in the older events.log layout */
    ctfs *cfs;
    ct_log *log;
    int log_split;
    ct_meta logmeta;
    arena a;
    vec vstack, args, ids, strs, fields, skip;
    ctrec_ev ev;
    uint64_t nevents;

    rd_forgiven fg;   /* what a lenient read forgave (strict.c) */

    rd_meta meta;
    ctrec_trace_metadata pub_meta;
    rd_strlist paths;
    ct_sm_state sm;   /* step-map.ns, for ctrec_reader_line_steps */
    ct_sidecar *side; /* ctrec_reader_ct_sidecar's answer, once asked */
    char *sm_file;    /* <trace file>.step-map.ns, once asked (step_map_file) */
};

/* ------------------------------------------------------------------ */
/* small utilities                                                     */

void arena_reset_chain(arena *a)
{
    for (arena_block *b = a->head; b; b = b->next) b->used = 0;
    a->cur = a->head;
}

void arena_free(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = a->cur = NULL;
}

void *arena_alloc_slow(arena *a, size_t n)
{
    /* Try the following blocks (kept from earlier events), else add one. */
    arena_block *b = a->cur;
    while (b && b->next) {
        b = b->next;
        if (b->cap - b->used >= n) {
            a->cur = b;
            void *p = (char *)(b + 1) + b->used;
            b->used += n;
            return p;
        }
    }
    size_t cap = 64u * 1024u;
    if (n > cap) cap = n;
    arena_block *nb = malloc(sizeof(arena_block) + cap);
    if (!nb) return NULL;
    nb->next = NULL;
    nb->cap = cap;
    nb->used = n;
    if (b) b->next = nb;
    else a->head = nb;
    a->cur = nb;
    return nb + 1;
}

int vec_grow(vec *v, size_t item, size_t want)
{
    if (want <= v->cap) return 0;
    size_t cap = v->cap ? v->cap * 2 : 16;
    while (cap < want) cap *= 2;
    if (cap > SIZE_MAX / item) return -1;
    void *d = realloc(v->data, cap * item);
    if (!d) return -1;
    v->data = d;
    v->cap = cap;
    return 0;
}

void rd_fail(pctx *c, ctrec_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->e->msg, sizeof c->e->msg, fmt, ap);
    va_end(ap);
    c->e->status = st;
    longjmp(c->jb, RD_ERR);
}

void rd_more(pctx *c)
{
    if (c->eof)
        rd_fail(c, CTREC_E_TRUNCATED, "%s",
                c->eof_msg ? c->eof_msg : "the data ends inside an event");
    longjmp(c->jb, RD_MORE);
}

void rd_nomem(pctx *c) { rd_fail(c, CTREC_E_NOMEM, "out of memory"); }

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

static int stop_requested(const ctrec_reader_options *o) { return o->stop && *o->stop; }

long rd_read(rd_file *f, void *p, size_t n, int wait, err *e)
{
    if (f->m) {
        uint64_t left = f->off < f->m->size ? f->m->size - f->off : 0;
        if (n > left) n = (size_t)left;
        if (!n) return 0;
        if (ctfs_read_at(f->c, f->m, f->off, p, n, e)) return -1;
        f->off += n;
        return (long)n;
    }
    double since = 0;
    for (;;) {
        ssize_t k = pread(f->fd, p, n, (off_t)f->off);
        if (k > 0) {
            f->off += (uint64_t)k;
            return (long)k;
        }
        if (k < 0) {
            if (errno == EINTR) continue;
            err_sys(e, errno, "%s: reading at byte %llu", f->name, (unsigned long long)f->off);
            return -1;
        }
        if (!wait || !f->o->follow) return 0;
        if (stop_requested(f->o)) {
            f->stopped = 1;
            return 0;
        }
        if (since == 0) since = now_ms();
        else if (f->o->follow_timeout_ms && now_ms() - since >= f->o->follow_timeout_ms) {
            err_set(e, CTREC_E_TRUNCATED, "%s: no new data for %u ms at byte %llu", f->name,
                    f->o->follow_timeout_ms, (unsigned long long)f->off);
            return -1;
        }
        sleep_ms(f->o->poll_ms);
    }
}

/* ------------------------------------------------------------------ */
/* names                                                               */

static const char *const ev_names[CTREC_EV_TYPE_COUNT] = {
    "Step", "Path", "VariableName", "Type", "Value", "Function", "Call", "Return",
    "Event", "Asm", "BindVariable", "Assignment", "DropVariables", "CompoundValue",
    "CellValue", "AssignCompoundItem", "AssignCell", "VariableCell", "DropVariable",
    "ThreadStart", "ThreadExit", "ThreadSwitch", "DropLastStep", "Raise", "Catch", "Span"};

const char *ctrec_event_type_name(ctrec_event_type t)
{
    return (unsigned)t < CTREC_EV_TYPE_COUNT ? ev_names[t] : "?";
}

static const char *const val_names[CTREC_VAL_KIND_COUNT] = {
    "Int", "Float", "Bool", "String", "Sequence", "Tuple", "Struct", "Variant",
    "Reference", "Raw", "Error", "None", "Cell", "BigInt", "Char"};

const char *ctrec_value_kind_name(ctrec_value_kind k)
{
    return (unsigned)k < CTREC_VAL_KIND_COUNT ? val_names[k] : "?";
}

/* ------------------------------------------------------------------ */
/* open                                                                */

void ctrec_reader_options_init(ctrec_reader_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->poll_ms = 50;
    o->max_depth = 1000;
    o->max_event_bytes = DEFAULT_MAX_EVENT;
}

/* The largest trace_metadata.json or trace_paths.json read: what a 64 MiB
 * buffer held with its NUL and one byte of slack (the reader's own loop
 * until 2026-12-05). */
#define SIDE_FILE_MAX ((64u << 20) - 2)

/* Reads a whole small file NUL-terminated; NULL if missing, unreadable or
 * over SIDE_FILE_MAX. */
static char *slurp(const char *path, size_t *len)
{
    char *d;
    return path_read(path, SIDE_FILE_MAX, &d, len) == 0 ? d : NULL;
}

static void read_side_files(ctrec_reader *r, const char *dir)
{
    size_t n;
    char *p = path_join(dir, "trace_metadata.json");
    char *text = p ? slurp(p, &n) : NULL;
    free(p);
    if (text) {
        err e = {0};
        if (json_parse_metadata(text, n, &r->meta, &e) == CTREC_OK) r->pub_meta.present = 1;
        r->pub_meta.serde_ok = json_metadata_serde_ok(text, n);
        free(text);
    }
    p = path_join(dir, "trace_paths.json");
    text = p ? slurp(p, &n) : NULL;
    free(p);
    if (text) {
        err e = {0};
        if (json_parse_string_array(text, n, &r->paths, &e) != CTREC_OK)
            rd_strlist_free(&r->paths);
        free(text);
    }
    r->pub_meta.recording_id = r->meta.recording_id ? r->meta.recording_id : "";
    r->pub_meta.workdir = r->meta.workdir ? r->meta.workdir : "";
    r->pub_meta.program = r->meta.program ? r->meta.program : "";
    r->pub_meta.args = (const char *const *)r->meta.args.items;
    r->pub_meta.nargs = r->meta.args.n;
    r->pub_meta.has_workdir = r->meta.workdir != NULL;
    r->pub_meta.has_program = r->meta.program != NULL;
    r->pub_meta.has_args = r->meta.has_args;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Waits (follow mode) for the predicate; returns 0 when it holds, 1 when
 * stopped, -1 on timeout. */
static int wait_for(ctrec_reader *r, int (*pred)(ctrec_reader *, void *), void *arg)
{
    double t0 = now_ms();
    for (;;) {
        if (pred(r, arg)) return 0;
        if (!r->o.follow) return -1;
        if (stop_requested(&r->o)) return 1;
        if (r->o.follow_timeout_ms && now_ms() - t0 >= r->o.follow_timeout_ms) return -1;
        sleep_ms(r->o.poll_ms);
    }
}

/* The folder's first `*.ct` by name, or NULL (the debugger looks for a
 * .ct before trace.json and trace.bin). */
static char *find_ct(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *best = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 4 || strcmp(de->d_name + n - 3, ".ct") != 0) continue;
        if (!best || strcmp(de->d_name, best) < 0) {
            free(best);
            best = strdup(de->d_name);
        }
    }
    closedir(d);
    if (!best) return NULL;
    char *p = path_join(dir, best);
    free(best);
    return p;
}

static int pred_folder(ctrec_reader *r, void *arg)
{
    const char *dir = arg;
    free(r->file);
    r->file = find_ct(dir);
    if (r->file) return 1;
    r->file = path_join(dir, "trace.json");
    if (r->file && exists(r->file)) return 1;
    free(r->file);
    r->file = path_join(dir, "trace.bin");
    return r->file && exists(r->file);
}

static int pred_header(ctrec_reader *r, void *arg)
{
    uint8_t *h = arg;
    ssize_t k = pread(r->f.fd, h, 64, 0);
    if (k <= 0) return 0;
    size_t i = 0;
    while (i < (size_t)k && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t')) i++;
    if (i < (size_t)k && h[i] == '[') return 1;
    if (h[0] == 0xC0) return k >= 8;
    return i < (size_t)k; /* something else: let the check report it */
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static void copy_list(rd_strlist *to, const rd_strlist *from)
{
    to->items = calloc(from->n + 1, sizeof(char *));
    to->lens = calloc(from->n + 1, sizeof(size_t));
    for (size_t i = 0; to->items && to->lens && i < from->n; i++) {
        /* by length: the text may hold NUL bytes */
        if (!(to->items[i] = malloc(from->lens[i] + 1))) break;
        memcpy(to->items[i], from->items[i], from->lens[i]);
        to->items[i][from->lens[i]] = 0;
        to->lens[i] = from->lens[i];
        to->n++;
    }
}

static void publish_meta(ctrec_reader *r)
{
    r->pub_meta.recording_id = r->meta.recording_id ? r->meta.recording_id : "";
    r->pub_meta.workdir = r->meta.workdir ? r->meta.workdir : "";
    r->pub_meta.program = r->meta.program ? r->meta.program : "";
    r->pub_meta.args = (const char *const *)r->meta.args.items;
    r->pub_meta.nargs = r->meta.args.n;
    r->pub_meta.has_workdir = r->meta.workdir != NULL;
    r->pub_meta.has_program = r->meta.program != NULL;
    r->pub_meta.has_args = r->meta.has_args;
}

/* The metadata and paths of a meta.dat. */
static void meta_from_ct(ctrec_reader *r, const ct_meta *m)
{
    if (!m->present) return;
    r->meta.recording_id = dup_or_empty(m->recording_id);
    r->meta.workdir = dup_or_empty(m->workdir);
    r->meta.program = dup_or_empty(m->program);
    r->meta.has_args = 1;
    copy_list(&r->meta.args, &m->args);
    copy_list(&r->paths, &m->paths);
    r->pub_meta.present = 1;
    publish_meta(r);
}

/* A small member of the container, NUL-terminated (NULL if absent). */
static char *small_member(ctfs *c, const char *name, size_t *len, err *e)
{
    const ctfs_member *m = ctfs_find(c, name);
    if (!m || m->size > (16u << 20)) return NULL;
    char *d = malloc((size_t)m->size + 1);
    if (!d) return NULL;
    if (ctfs_read_at(c, m, 0, d, (size_t)m->size, e)) {
        free(d);
        return NULL;
    }
    d[m->size] = 0;
    *len = (size_t)m->size;
    return d;
}

/* The reader's error from a layer's (the container, a .ct decoder): its
 * message after the trace's name; whether the reader's bound on one event
 * stopped it (ctrec_reader_event_too_large) is kept. */
static ctrec_status layer_fail(ctrec_reader *r, ctrec_status st, const err *e)
{
    err_set(&r->e, st, "%s: %s", r->name, e->msg);
    r->e.bound = e->bound;
    return st;
}

/* The older layout: events.log with meta.dat, or meta.json and paths.json. */
static ctrec_status open_ct_log(ctrec_reader *r, ctfs *c)
{
    r->cfs = c;
    err e = {0};
    size_t n;
    char *d = small_member(c, "meta.dat", &n, &e);
    if (d) {
        ctrec_status st = ct_meta_parse(&r->logmeta, (const uint8_t *)d, n, &e);
        free(d);
        if (st) return layer_fail(r, st, &e);
        meta_from_ct(r, &r->logmeta);
    } else {
        if ((d = small_member(c, "meta.json", &n, &e))) {
            if (json_parse_metadata(d, n, &r->meta, &e) == CTREC_OK) {
                r->pub_meta.present = 1;
                publish_meta(r);
            }
            free(d);
        }
        if ((d = small_member(c, "paths.json", &n, &e))) {
            if (json_parse_string_array(d, n, &r->paths, &e) != CTREC_OK)
                rd_strlist_free(&r->paths);
            free(d);
        }
    }
    if ((d = small_member(c, "events.fmt", &n, &e))) {
        r->log_split = strncmp(d, "split-binary", 12) == 0;
        int cbor = strncmp(d, "cbor", 4) == 0;
        if (!r->log_split && !cbor) {
            ctrec_status st = err_set(&r->e, CTREC_E_UNSUPPORTED,
                                      "%s: events.fmt says \"%.40s\" (split-binary or cbor are read)",
                                      r->name, d);
            free(d);
            return st;
        }
        free(d);
    }
    ctrec_status st = ct_log_open(&r->log, c, &r->o, &r->fg, &e);
    if (st) return layer_fail(r, st, &e);
    if (!r->log_split) {
        r->cap = WINDOW;
        r->buf = malloc(r->cap + 1);
        if (!r->buf) return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
        r->buf[0] = 0;
    }
    return CTREC_OK;
}

/* A CTFS container: the container layer, then the layout on top. */
static ctrec_status open_ct(ctrec_reader *r)
{
    ctfs *c;
    err e = {0};
    ctrec_status st = ctfs_open(r->file, &c, &e);
    if (st) return layer_fail(r, st, &e);
    int streams = ctfs_find(c, "steps.dat") != NULL, log = ctfs_find(c, "events.log") != NULL;
    if (r->o.ct_layout == CTREC_CT_LAYOUT_STREAMS && !streams) {
        r->cfs = c;
        return err_set(&r->e, CTREC_E_FORMAT, "%s: no steps.dat to read (the multi-stream layout "
                       "asked for)", r->name);
    }
    if (r->o.ct_layout == CTREC_CT_LAYOUT_EVENTS_LOG || (!streams && log)) {
        if (log) return open_ct_log(r, c);
        r->cfs = c; /* closed with the reader; its members can still be listed */
        return err_set(&r->e, CTREC_E_FORMAT, "%s: no events.log to read (the layout asked for); "
                       "the container holds %s", r->name,
                       streams ? "the multi-stream layout (steps.dat)" : "neither layout");
    }
    st = ct_src_open(&r->ct, c, &r->o, &e);
    if (r->ct) meta_from_ct(r, ct_src_meta(r->ct));
    if (st) return layer_fail(r, st, &e);
    return CTREC_OK;
}

static ctrec_status open_reader(ctrec_reader *r, const char *path)
{
    if (!path) return err_set(&r->e, CTREC_E_ARG, "no trace path given");
    if (r->o.ct_layout < CTREC_CT_LAYOUT_AUTO || r->o.ct_layout > CTREC_CT_LAYOUT_EVENTS_LOG)
        return err_set(&r->e, CTREC_E_ARG, "ct_layout %d is not a layout (0 auto, 1 streams, "
                       "2 events.log)", r->o.ct_layout);
    if (r->o.poll_ms == 0) r->o.poll_ms = 50;
    if (r->o.max_depth == 0) r->o.max_depth = 1000;
    if (r->o.max_depth > MAX_DEPTH_CAP) r->o.max_depth = MAX_DEPTH_CAP;
    if (r->o.max_event_bytes == 0) r->o.max_event_bytes = DEFAULT_MAX_EVENT;

    struct stat sb;
    char *dir = NULL;
    /* follow mode: wait for the folder or file to appear */
    double t_start = now_ms();
    while (r->o.follow && stat(path, &sb) != 0 && errno == ENOENT && !stop_requested(&r->o) &&
           !(r->o.follow_timeout_ms && now_ms() - t_start >= r->o.follow_timeout_ms))
        sleep_ms(r->o.poll_ms);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        dir = strdup(path);
        if (!dir) return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
        int w = wait_for(r, pred_folder, dir);
        if (w) {
            free(dir);
            if (w > 0) return err_set(&r->e, CTREC_E_IO, "%s: stopped before a trace appeared", path);
            return err_set(&r->e, CTREC_E_IO, "%s: no *.ct, trace.json or trace.bin in the folder",
                           path);
        }
    } else {
        r->file = strdup(path);
        if (!r->file) return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
        dir = path_dir(path);
        if (!dir) return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
    }
    if (!r->file) {
        free(dir);
        return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
    }
    const char *slash = strrchr(r->file, '/');
    r->name = slash ? slash + 1 : r->file;
    r->f.name = r->name;
    r->f.o = &r->o;
    r->f.fg = &r->fg;

    /* the trace file (waited for in follow mode) */
    double t0 = now_ms();
    for (;;) {
        r->f.fd = open(r->file, O_RDONLY | O_CLOEXEC);
        if (r->f.fd >= 0 || errno != ENOENT || !r->o.follow || stop_requested(&r->o) ||
            (r->o.follow_timeout_ms && now_ms() - t0 >= r->o.follow_timeout_ms))
            break;
        sleep_ms(r->o.poll_ms);
    }
    if (r->f.fd < 0) {
        free(dir);
        return err_sys(&r->e, errno, "%s: cannot open", r->file);
    }
    if (fstat(r->f.fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        free(dir);
        return err_set(&r->e, CTREC_E_IO, "%s: is a folder without a trace", r->file);
    }
    uint8_t h[64];
    memset(h, 0, sizeof h);
    int w = wait_for(r, pred_header, h);
    if (w > 0) {
        free(dir);
        return err_set(&r->e, CTREC_E_IO, "%s: stopped before the trace started", r->file);
    }
    size_t i = 0;
    while (i < sizeof h && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t')) i++;
    static const uint8_t magic[5] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2};
    if (i < sizeof h && h[i] == '[') {
        r->fmt = CTREC_FORMAT_JSON;
    } else if (memcmp(h, magic, 5) == 0 && h[5] >= CTFS_VERSION_MIN && h[5] <= CTFS_VERSION) {
        free(dir);
        r->fmt = CTREC_FORMAT_CT;
        return open_ct(r);
    } else if (memcmp(h, magic, 5) == 0) {
        if (h[5] != 1) {
            free(dir);
            return err_set(&r->e, CTREC_E_UNSUPPORTED,
                           "%s: binary trace version %u is not supported (v1 is trace.bin, v2-v4 "
                           "the CTFS container; v0 is Cap'n Proto)%s",
                           r->file, h[5], ctfs_version_note(h[5]));
        }
        if (h[6] || h[7]) {
            /* the reference reader compares all 8 header bytes */
            if (r->o.strict) {
                free(dir);
                return err_set(&r->e, CTREC_E_FORMAT,
                               "%s: header bytes 6 and 7 are %02X %02X, not 00 00 (the debugger's "
                               "reader refuses the file)",
                               r->file, h[6], h[7]);
            }
            if (r->fg.n++ == 0)
                snprintf(r->fg.first, sizeof r->fg.first,
                         "header bytes 6 and 7 are %02X %02X, not 00 00", h[6], h[7]);
        }
        r->fmt = CTREC_FORMAT_BIN;
        r->f.off = 8;
        r->bin = bin_open(&r->f);
        if (!r->bin) {
            free(dir);
            return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
        }
    } else {
        free(dir);
        if (w < 0 && h[0] == 0)
            return err_set(&r->e, CTREC_E_FORMAT, "%s: the file is empty", r->file);
        return err_set(&r->e, CTREC_E_FORMAT,
                       "%s: not a trace (neither JSON starting with '[' nor the binary header "
                       "C0 DE 72 AC E2 01)",
                       r->file);
    }
    read_side_files(r, dir);
    free(dir);
    r->cap = WINDOW;
    r->buf = malloc(r->cap + 1);
    if (!r->buf) return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
    r->buf[0] = 0;
    return CTREC_OK;
}

ctrec_status ctrec_reader_open(const char *path, const ctrec_reader_options *opts,
                               ctrec_reader **out)
{
    if (!out) return CTREC_E_ARG;
    *out = NULL;
    ctrec_reader *r = calloc(1, sizeof *r);
    if (!r) return CTREC_E_NOMEM;
    r->f.fd = -1;
    r->bcur = r->bend = r->batch;
    if (opts) r->o = *opts;
    else ctrec_reader_options_init(&r->o);
    r->pub_meta.recording_id = r->pub_meta.workdir = r->pub_meta.program = "";
    *out = r;
    ctrec_status st = open_reader(r, path);
    if (st) r->failed = st;
    return st;
}

void ctrec_reader_close(ctrec_reader *r)
{
    if (!r) return;
    if (r->f.fd >= 0) close(r->f.fd);
    bin_close(r->bin);
    ct_spans_close(r->spans);
    ct_src_close(r->ct);
    ct_log_close(r->log);
    ctfs_close(r->cfs);
    free(r->side);
    free(r->sm_file);
    ct_meta_free(&r->logmeta);
    free(r->buf);
    free(r->file);
    arena_free(&r->a);
    free(r->vstack.data);
    free(r->args.data);
    free(r->ids.data);
    free(r->strs.data);
    free(r->fields.data);
    free(r->skip.data);
    free(r->meta.recording_id);
    free(r->meta.workdir);
    free(r->meta.program);
    rd_strlist_free(&r->meta.args);
    rd_strlist_free(&r->paths);
    free(r);
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

/* Moves the unread tail to the front and appends more bytes. Returns 1 when
 * bytes were added, 0 when none will come (r->eof set), -1 on error. */
static int refill(ctrec_reader *r)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->buf_off += r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len < MIN_FREE) {
        if (r->len >= r->o.max_event_bytes) {
            err_bound(&r->e, "%s: event %llu at byte %llu is larger than the %zu-byte event limit",
                      r->name, (unsigned long long)r->nevents, (unsigned long long)r->buf_off,
                      r->o.max_event_bytes);
            return -1;
        }
        size_t cap = r->cap * 2;
        uint8_t *nb = realloc(r->buf, cap + 1);
        if (!nb) {
            err_set(&r->e, CTREC_E_NOMEM, "out of memory");
            return -1;
        }
        r->buf = nb;
        r->cap = cap;
    }
    for (;;) {
        if (r->fmt == CTREC_FORMAT_JSON) {
            long k = rd_read(&r->f, r->buf + r->len, r->cap - r->len, 1, &r->e);
            if (k < 0) return -1;
            if (k == 0) {
                r->eof = 1;
                return 0;
            }
            r->len += (size_t)k;
            return 1;
        }
        size_t got;
        int k = r->log ? ct_log_produce(r->log, r->buf + r->len, r->cap - r->len, &got,
                                        r->nevents, &r->e)
                       : bin_produce(r->bin, r->buf + r->len, r->cap - r->len, &got, r->nevents,
                                     &r->e);
        if (k < 0) {
            if (r->log) { /* its messages name the member, not the container */
                err tmp = r->e;
                err_set(&r->e, tmp.status, "%s: %s", r->name, tmp.msg);
            }
            return -1;
        }
        if (k == 0) {
            r->eof = 1;
            r->complete = 1;
            return 0;
        }
        if (k == 2) {
            r->eof = 1;
            return 0;
        }
        r->len += got;
        return 1;
    }
}

static ctrec_status parse_error(ctrec_reader *r, const pctx *c);

/* After trace.json's closing ']': only whitespace may follow (strict.c). */
static ctrec_status json_after_end(ctrec_reader *r, pctx *c)
{
    for (;;) {
        r->buf[r->len] = 0;
        c->p = c->base = r->buf + r->pos;
        c->end = r->buf + r->len;
        c->eof = r->eof;
        int st = json_parse_trailing(c);
        if (st == RD_ERR) return parse_error(r, c);
        r->pos = (size_t)(c->p - r->buf);
        if (st == RD_OK) return CTREC_OK;
        if (refill(r) < 0) {
            r->failed = r->e.status ? r->e.status : CTREC_E_IO;
            return r->failed;
        }
    }
}

static ctrec_status parse_error(ctrec_reader *r, const pctx *c)
{
    err tmp = r->e;
    uint64_t at = r->buf_off + (uint64_t)(c->p - r->buf);
    if (r->fmt == CTREC_FORMAT_JSON)
        err_set(&r->e, tmp.status, "%s: event %llu (byte %llu): %s", r->name,
                (unsigned long long)r->nevents, (unsigned long long)at, tmp.msg);
    else if (r->log)
        err_set(&r->e, tmp.status, "%s: events.log: event %llu (byte %llu of the events): %s",
                r->name, (unsigned long long)r->nevents, (unsigned long long)at, tmp.msg);
    else
        err_set(&r->e, tmp.status,
                "%s: event %llu (decompressed byte %llu, zstd frame at byte %llu): %s", r->name,
                (unsigned long long)r->nevents, (unsigned long long)at,
                (unsigned long long)bin_frame_offset(r->bin), tmp.msg);
    r->e.bound = tmp.bound;
    r->failed = tmp.status;
    return r->failed;
}

static ctrec_status next_ct_split(ctrec_reader *r, const ctrec_ev **ev)
{
    err e = {0};
    int k = ct_log_next_split(r->log, &r->ev, &r->a, r->o.max_depth, &e);
    if (k > 0) {
        r->nevents++;
        *ev = &r->ev;
        return CTREC_OK;
    }
    if (k == 0) {
        r->done = r->complete = 1;
        return CTREC_OK;
    }
    layer_fail(r, e.status ? e.status : CTREC_E_FORMAT, &e);
    r->failed = r->e.status;
    return r->failed;
}

/* After the last step: the span stream's records (docs/ct.md), opened
 * only now so that a followed recording's spans are all there. */
static int next_span(ctrec_reader *r, err *e)
{
    if (!r->spans_phase) {
        r->spans_phase = 1;
        if (!r->spans &&
            ct_spans_open(&r->spans, ct_src_container(r->ct), ct_src_meta(r->ct),
                          r->o.max_event_bytes, e))
            return -1;
        if (r->spans) ct_spans_rewind(r->spans);
    }
    int k = r->spans ? ct_spans_next(r->spans, &r->ev, &r->a, e) : 0;
    if (k == 0) r->spans_phase = 2;
    return k;
}

/* The end of a .ct's steps (k == 0: then the span records) or a failure
 * (k < 0). */
static RD_NOINLINE ctrec_status ct_end(ctrec_reader *r, int k, const ctrec_ev **ev)
{
    r->ct_hot = 0;
    if (k == 0 && r->spans_phase != 2) k = next_span(r, &r->ct_e);
    if (k > 0) {
        r->nevents++;
        *ev = &r->ev;
        return CTREC_OK;
    }
    if (k == 0) {
        r->done = 1;
        r->complete = ct_src_complete(r->ct);
        return CTREC_OK;
    }
    err *e = &r->ct_e;
    err_set(&r->e, e->status ? e->status : CTREC_E_FORMAT, "%s: event %llu: %s", r->name,
            (unsigned long long)r->nevents, e->msg);
    r->e.bound = e->bound;
    r->failed = r->e.status;
    return r->failed;
}

static inline ctrec_status next_ct(ctrec_reader *r, const ctrec_ev **ev)
{
    /* ct_e is written only on failure, cleared here: no 512-byte message
     * buffer to set up per event */
    r->ct_e.status = CTREC_OK;
    r->ct_e.msg[0] = 0;
    /* the steps are over: span records (never poll the steps again) */
    if (RD_UNLIKELY(r->spans_phase)) return ct_end(r, 0, ev);
    int k = ct_src_next(r->ct, &r->ev, &r->a, &r->ct_e);
    if (RD_LIKELY(k > 0)) {
        r->nevents++;
        *ev = &r->ev;
        return CTREC_OK;
    }
    return ct_end(r, k, ev);
}

static RD_NOINLINE ctrec_status next_parsed(ctrec_reader *r, const ctrec_ev **ev);

static RD_NOINLINE ctrec_status next_general(ctrec_reader *r, const ctrec_ev **ev);

/* A .ct's steps, the batch delivered: the next batch (the events that take
 * the shortest path, decoded at once), else one event the general way. */
static RD_NOINLINE ctrec_status next_ct_hot(ctrec_reader *r, const ctrec_ev **ev)
{
    r->bcur = r->bend = r->batch;
    arena_reset(&r->a);
    r->bbase = ct_src_steps_done(r->ct);
    r->bfrom = 0;
    size_t n = ct_src_fill(r->ct, r->batch, r->bval, CT_BATCH);
    if (RD_LIKELY(n)) {
        r->bcur = r->batch + 1;
        r->bend = r->batch + n;
        r->nevents += n; /* the whole batch, counted at once (ctrec_reader_event_count) */
        *ev = &r->batch[0];
        return CTREC_OK;
    }
    r->ct_e.status = CTREC_OK;
    r->ct_e.msg[0] = 0;
    int k = ct_src_next(r->ct, &r->batch[0], &r->a, &r->ct_e);
    if (RD_LIKELY(k > 0)) {
        /* and the shortest-path events after it, in the same batch */
        r->bbase = ct_src_steps_done(r->ct); /* after batch[0] */
        r->bfrom = 1;
        size_t n = 1 + ct_src_fill(r->ct, r->batch + 1, r->bval + 1, CT_BATCH - 1);
        r->bcur = r->batch + 1;
        r->bend = r->batch + n;
        r->nevents += n;
        *ev = &r->batch[0];
        return CTREC_OK;
    }
    *ev = NULL;
    return ct_end(r, k, ev);
}

ctrec_status ctrec_reader_next(ctrec_reader *r, const ctrec_ev **ev)
{
    /* a .ct's steps: the batch held (only on the hot path), else the next
     * batch while the hot path's flag is set */
    if (RD_LIKELY(r && ev)) {
        if (RD_LIKELY(r->bcur < r->bend)) {
            *ev = r->bcur++;
            return CTREC_OK;
        }
        if (RD_LIKELY(r->ct_hot)) return next_ct_hot(r, ev);
    }
    return next_general(r, ev);
}

static RD_NOINLINE ctrec_status next_general(ctrec_reader *r, const ctrec_ev **ev)
{
    if (ev) *ev = NULL;
    if (!r || !ev) return CTREC_E_ARG;
    if (r->failed) return r->failed;
    if (r->done) return CTREC_OK;
    arena_reset(&r->a);
    if (r->fmt == CTREC_FORMAT_CT && r->ct) {
        r->ct_hot = !r->spans_phase;
        return next_ct(r, ev);
    }
    if (r->fmt == CTREC_FORMAT_CT && r->log_split) return next_ct_split(r, ev);
    return next_parsed(r, ev);
}

/* trace.json, trace.bin and events.log as CBOR: the pull parsers. */
static RD_NOINLINE ctrec_status next_parsed(ctrec_reader *r, const ctrec_ev **ev)
{
    r->vstack.len = 0;
    pctx c;
    c.a = &r->a;
    c.vstack = &r->vstack;
    c.args = &r->args;
    c.ids = &r->ids;
    c.strs = &r->strs;
    c.fields = &r->fields;
    c.skip = &r->skip;
    c.max_depth = r->o.max_depth;
    c.max_bytes = r->o.max_event_bytes;
    c.e = &r->e;
    c.ev = &r->ev;
    c.strict = r->o.strict;
    c.fg = &r->fg;
    r->fg.cur_event = r->nevents;
    c.eof_msg = r->fmt == CTREC_FORMAT_JSON
                    ? "the file ends here, inside an event or before the closing ']' (the "
                      "recording was not closed, or the file is cut)"
                    : "the decompressed data ends inside an event";
    for (;;) {
        if (r->fmt != CTREC_FORMAT_JSON && r->pos == r->len && r->eof) {
            r->done = 1;
            return CTREC_OK; /* complete, or stopped */
        }
        r->buf[r->len] = 0;
        c.p = c.base = r->buf + r->pos;
        c.end = r->buf + r->len;
        c.eof = r->eof;
        int st;
        if (r->fmt == CTREC_FORMAT_JSON) {
            int js = r->jstate;
            st = json_parse_item(&c, &js);
            if (st == RD_OK || st == RD_END) r->jstate = js;
        } else {
            st = cbor_parse_event(&c);
        }
        if (st == RD_OK) {
            if (RD_UNLIKELY((size_t)(c.p - c.base) > r->o.max_event_bytes)) {
                /* within the window, so the refill did not see it */
                err_bound(&r->e,
                          "%s: event %llu at byte %llu is larger than the %zu-byte event limit",
                          r->name, (unsigned long long)r->nevents,
                          (unsigned long long)(r->buf_off + (uint64_t)(c.base - r->buf)),
                          r->o.max_event_bytes);
                r->failed = CTREC_E_FORMAT;
                return r->failed;
            }
            r->pos = (size_t)(c.p - r->buf);
            r->nevents++;
            *ev = &r->ev;
            return CTREC_OK;
        }
        if (st == RD_END) {
            r->pos = (size_t)(c.p - r->buf);
            if (!r->o.follow && json_after_end(r, &c)) return r->failed;
            r->done = 1;
            r->complete = 1;
            return CTREC_OK;
        }
        if (st == RD_ERR) {
            if (r->f.stopped && r->e.status == CTREC_E_TRUNCATED) {
                r->done = 1; /* stopped while waiting inside an event */
                return CTREC_OK;
            }
            return parse_error(r, &c);
        }
        /* RD_MORE */
        int k = refill(r);
        if (k < 0) {
            r->failed = r->e.status ? r->e.status : CTREC_E_IO;
            return r->failed;
        }
        if (k == 0 && r->f.stopped) {
            r->done = 1;
            return CTREC_OK;
        }
    }
}

const char *ctrec_reader_forgiven(const ctrec_reader *r, uint64_t *count, uint64_t *first_event)
{
    if (count) *count = r ? r->fg.n : 0;
    if (first_event) *first_event = r ? r->fg.first_event : 0;
    return r && r->fg.n ? r->fg.first : "";
}

int ctrec_reader_event_too_large(const ctrec_reader *r)
{
    return r ? r->e.bound : 0;
}

const char *ctrec_reader_errmsg(const ctrec_reader *r)
{
    if (!r) return "no reader (NULL handle)";
    return r->e.status ? r->e.msg : "";
}

ctrec_format ctrec_reader_format(const ctrec_reader *r) { return r ? r->fmt : CTREC_FORMAT_JSON; }

int ctrec_reader_ct_layout(const ctrec_reader *r)
{
    if (!r || r->fmt != CTREC_FORMAT_CT) return CTREC_CT_LAYOUT_AUTO;
    if (r->ct) return CTREC_CT_LAYOUT_STREAMS;
    return r->log ? CTREC_CT_LAYOUT_EVENTS_LOG : CTREC_CT_LAYOUT_AUTO;
}
const char *ctrec_reader_trace_file(const ctrec_reader *r) { return r && r->file ? r->file : ""; }
/* nevents counts a batch whole when it is handed out: less the events of
 * it not yet delivered */
uint64_t ctrec_reader_event_count(const ctrec_reader *r)
{
    return r ? r->nevents - (uint64_t)(r->bend - r->bcur) : 0;
}
int ctrec_reader_complete(const ctrec_reader *r) { return r ? r->complete : 0; }

uint64_t ctrec_reader_bytes_read(const ctrec_reader *r)
{
    if (!r) return 0;
    if (r->bin) return bin_offset(r->bin);
    if (r->ct) return 0;
    return r->buf_off + r->pos;
}

const ctrec_trace_metadata *ctrec_reader_metadata(const ctrec_reader *r)
{
    static const ctrec_trace_metadata none = {0, "", "", "", NULL, 0, 0, 0, 0, 0};
    return r ? &r->pub_meta : &none;
}

size_t ctrec_reader_path_count(const ctrec_reader *r) { return r ? r->paths.n : 0; }

const char *ctrec_reader_path(const ctrec_reader *r, size_t i, size_t *len)
{
    if (!r || i >= r->paths.n) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = r->paths.lens[i];
    return r->paths.items[i];
}

/* ------------------------------------------------------------------ */
/* CTFS containers                                                     */

static ctfs *container(const ctrec_reader *r)
{
    return r->ct ? ct_src_container(r->ct) : r->cfs;
}

static const ct_meta *meta_of(const ctrec_reader *r)
{
    return r->ct ? ct_src_meta(r->ct) : &r->logmeta;
}

ctrec_status ctrec_reader_seek_step(ctrec_reader *r, uint64_t step)
{
    if (!r) return CTREC_E_ARG;
    if (r->fmt != CTREC_FORMAT_CT || !r->ct)
        return err_set(&r->e, CTREC_E_UNSUPPORTED,
                       "%s: positioning at a step needs a .ct read in its multi-stream "
                       "layout (the chunk indexes of steps.dat)", r->name);
    if (r->failed) return r->failed;
    err e = {0};
    r->ct_hot = 0;
    r->nevents -= (uint64_t)(r->bend - r->bcur); /* the batch's events not delivered */
    r->bcur = r->bend = r->batch;
    ctrec_status st = ct_src_seek_step(r->ct, step, &e);
    if (st) {
        err_set(&r->e, st, "%s: seeking step %llu: %s", r->name, (unsigned long long)step, e.msg);
        r->e.bound = e.bound;
        if (st != CTREC_E_ARG) r->failed = st;
        return st;
    }
    r->done = 0;
    r->spans_phase = 0;
    r->e.status = CTREC_OK;
    return CTREC_OK;
}

uint64_t ctrec_reader_step_index(const ctrec_reader *r)
{
    if (!r || !r->ct) return 0;
    if (r->bend == r->batch) return ct_src_steps_done(r->ct);
    uint64_t n = r->bbase;
    for (const ctrec_ev *b = r->batch + r->bfrom; b < r->bcur; b++) n += b->type == CTREC_EV_STEP;
    return n;
}

size_t ctrec_reader_member_count(const ctrec_reader *r)
{
    return r && container(r) ? ctfs_member_count(container(r)) : 0;
}

const char *ctrec_reader_member(const ctrec_reader *r, size_t i, uint64_t *size)
{
    const ctfs_member *m = r && container(r) ? ctfs_member_at(container(r), i) : NULL;
    if (size) *size = m ? m->size : 0;
    return m ? m->name : NULL;
}

ctrec_status ctrec_reader_read_member(ctrec_reader *r, const char *name, uint64_t offset,
                                      void *out, size_t n, size_t *got)
{
    if (got) *got = 0;
    if (!r || !name || (!out && n)) return CTREC_E_ARG;
    if (!container(r))
        return err_set(&r->e, CTREC_E_UNSUPPORTED, "%s: not a CTFS container", r->name);
    ctfs *c = container(r);
    const ctfs_member *m = ctfs_find(c, name);
    if (!m) return err_set(&r->e, CTREC_E_ARG, "%s: no member named %s", r->name, name);
    if (offset >= m->size) return CTREC_OK;
    if (n > m->size - offset) n = (size_t)(m->size - offset);
    err e = {0};
    ctrec_status st = ctfs_read_at(c, m, offset, out, n, &e);
    if (st) return layer_fail(r, st, &e);
    if (got) *got = n;
    return CTREC_OK;
}

/* The breakpoint index's file beside a .ct, <trace file>.step-map.ns
 * (db-backend sidecar_step_map_path), whether or not it exists; NULL when
 * not a .ct or out of memory. */
static const char *step_map_file(ctrec_reader *r)
{
    if (!container(r) || !r->file) return NULL;
    if (!r->sm_file) {
        size_t n = strlen(r->file);
        r->sm_file = malloc(n + sizeof ".step-map.ns");
        if (r->sm_file) {
            memcpy(r->sm_file, r->file, n);
            memcpy(r->sm_file + n, ".step-map.ns", sizeof ".step-map.ns");
        }
    }
    return r->sm_file;
}

ctrec_status ctrec_reader_line_steps(ctrec_reader *r, uint64_t path_id, uint32_t line,
                                     int64_t *out, size_t cap, size_t *count)
{
    if (count) *count = 0;
    if (!r || !count || (!out && cap)) return CTREC_E_ARG;
    return ct_stepmap_lookup(container(r), r->name, step_map_file(r), &r->sm, path_id, line, out,
                             cap, count, &r->e);
}

ctrec_status ctrec_reader_step_map_walk(ctrec_reader *r, ctrec_line_steps_fn fn,
                                        void *userdata, uint64_t *lines, uint64_t *ids)
{
    if (!r) return CTREC_E_ARG;
    return ct_stepmap_pub_walk(container(r), r->name, step_map_file(r), &r->sm, fn, userdata,
                               lines, ids, &r->e);
}

const char *ctrec_reader_step_map_source(ctrec_reader *r)
{
    return r ? ct_stepmap_where(container(r), step_map_file(r), NULL) : NULL;
}

size_t ctrec_reader_meta_extra_count(const ctrec_reader *r)
{
    if (!r || !container(r) || !meta_of(r)->present) return 0;
    return meta_of(r)->nextra;
}

const char *ctrec_reader_meta_extra(const ctrec_reader *r, size_t i, const char **json)
{
    if (i >= ctrec_reader_meta_extra_count(r)) {
        if (json) *json = NULL;
        return NULL;
    }
    const ct_meta *m = meta_of(r);
    if (json) *json = m->extra_json[i];
    return m->extra_keys[i];
}

ctrec_status ctrec_reader_ct_sidecar(ctrec_reader *r, int *route, const char **what)
{
    if (route) *route = CTREC_CT_SIDECAR_NONE;
    if (what) *what = "";
    if (!r) return CTREC_E_ARG;
    ctfs *c = container(r);
    if (!c || !r->file) return CTREC_OK; /* not a .ct, or no container opened */
    if (!r->side) {
        ct_sidecar *sd = malloc(sizeof *sd);
        if (!sd) return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
        char *dir = path_dir(r->file);
        int st = dir ? ct_sidecar_eval(c, dir, r->o.max_event_bytes, sd) : -1;
        free(dir);
        if (st < 0) {
            free(sd);
            return err_set(&r->e, CTREC_E_NOMEM, "out of memory");
        }
        r->side = sd;
    }
    if (route) *route = r->side->state;
    if (what) *what = r->side->msg;
    return CTREC_OK;
}

size_t ctrec_reader_note_count(const ctrec_reader *r)
{
    return r && r->ct ? ct_src_note_count(r->ct) : 0;
}

const char *ctrec_reader_note(const ctrec_reader *r, size_t i)
{
    return r && r->ct && i < ct_src_note_count(r->ct) ? ct_src_note(r->ct, i) : NULL;
}
