/*
 * check.c — ctrec_check(): one pass over a trace through the public reader,
 * reporting what the CodeTracer debugger would refuse, crash on or not show
 * (FORMAT.md section 5). Uses only the public API of ctrec_reader.h.
 */
#include "ctrec/ctrec_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctrec/ctrec_reader.h"
#include "util/le.h"
#include "util/path.h"

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

typedef enum rule {
    R_UNREADABLE,
    R_PARSE,
    R_UNDEF_PATH,
    R_UNDEF_FUNCTION,
    R_UNDEF_TYPE,
    R_UNDEF_VARIABLE,
    R_RETURN_WITHOUT_CALL,
    R_NO_STEP,
    R_STEP_BEFORE_CALL,
    R_STRUCT_NOT_STRUCT,
    R_STRUCT_FIELD_COUNT,
    R_PATHS_MISSING,
    R_PATHS_MISMATCH,
    R_META_MISSING,
    R_META_FIELD,
    R_FLOAT,
    R_TOO_DEEP,
    R_ASSIGNMENT,
    R_NOT_IN_TARGET,
    R_OVER_BOUND,
    R_BEFORE_STEP,
    R_DROP_FIRST_STEP,
    R_STEP_PATH_HUGE,
    R_CT_LAYOUT,
    R_CT_META,
    R_CT_GEOMETRY,
    R_CT_LOG_STREAM,
    /* warnings */
    R_UNSUPPORTED_EVENT,
    R_CELL_IN_VALUE,
    R_COMPOUND_NOT_SEQ,
    R_ACI_WITHOUT_CV,
    R_UNSUPPORTED_VALUE,
    R_TYPE0_NOT_NONE,
    R_NO_TYPES,
    R_FUNCTION_REUSED,
    R_OPEN_CALLS,
    R_SOURCE_MISSING,
    R_RELATIVE_NO_WORKDIR,
    R_RECORDING_ID,
    R_CT_STEP_MAP_DAMAGED,
    R_CT_STEP_MAP_MISMATCH,
    R_CT_TWO_LAYOUTS,
    R_CT_BEAM_SIDECAR,
    R_CT_BEAM_SIDECAR_REFUSED,
    R_COUNT
} rule;

/* chk.reported holds one bit per rule. */
_Static_assert(R_COUNT <= 64, "too many rules for the per-event bit set");

static const struct {
    const char *id;
    ctrec_check_severity sev;
    const char *fix;
} rules[R_COUNT] = {
    [R_UNREADABLE] = {"unreadable-trace", CTREC_CHECK_ERROR,
                      "give a trace folder holding trace.ct, trace.json or trace.bin, or one of "
                      "those files; when it is one, the message says what in it cannot be read"},
    [R_PARSE] = {"parse-error", CTREC_CHECK_ERROR,
                 "write the event as FORMAT.md section 2 spells it (field names, JSON types); "
                 "nothing after it was checked"},
    [R_UNDEF_PATH] = {"undefined-path-id", CTREC_CHECK_WARNING,
                      "emit the Path event before the first event that uses its id "
                      "(ids are positions among Path events)"},
    [R_UNDEF_FUNCTION] = {"undefined-function-id", CTREC_CHECK_WARNING,
                          "emit the Function event before the first Call that uses its id"},
    [R_UNDEF_TYPE] = {"undefined-type-id", CTREC_CHECK_WARNING,
                      "emit the Type event before the first value, field or pointer that uses "
                      "its id (the reference writer defines type 0 = None first)"},
    [R_UNDEF_VARIABLE] = {"undefined-variable-id", CTREC_CHECK_WARNING,
                          "emit the VariableName event before the first event that uses its id"},
    [R_RETURN_WITHOUT_CALL] = {"return-without-call", CTREC_CHECK_ERROR,
                               "emit exactly one Return per Call, after it; the top-level call "
                               "needs none"},
    [R_NO_STEP] = {"no-step", CTREC_CHECK_WARNING, "record at least one Step"},
    [R_STEP_BEFORE_CALL] = {"step-before-call", CTREC_CHECK_ERROR,
                            "open the top-level call first, as ctrec_start() does: Path, "
                            "Function <toplevel>, Call {function_id 0}, then the Steps"},
    [R_STRUCT_NOT_STRUCT] = {"struct-type-not-struct", CTREC_CHECK_WARNING,
                             "give Struct values a type defined with Struct specific_info "
                             "(ctrec_type_struct)"},
    [R_STRUCT_FIELD_COUNT] = {"struct-field-count", CTREC_CHECK_WARNING,
                              "give a Struct value exactly one field value per field of its type"},
    [R_PATHS_MISSING] = {"paths-file-missing", CTREC_CHECK_WARNING,
                         "write trace_paths.json: a JSON array of every Path, in path-id order "
                         "(ctrec_writer_close does)"},
    [R_PATHS_MISMATCH] = {"paths-file-mismatch", CTREC_CHECK_WARNING,
                          "make trace_paths.json list exactly the Path events of the stream, in "
                          "order"},
    [R_META_MISSING] = {"metadata-missing", CTREC_CHECK_ERROR,
                        "write trace_metadata.json: {\"workdir\": ..., \"program\": ..., "
                        "\"args\": [...]} (ctrec_writer_open does)"},
    [R_META_FIELD] = {"metadata-field-missing", CTREC_CHECK_ERROR,
                      "give trace_metadata.json \"workdir\" and \"program\" as strings and "
                      "\"args\" as an array of strings"},
    [R_FLOAT] = {"float-encoding", CTREC_CHECK_ERROR,
                 "choose the writer's float encoding for the target: CTREC_FLOAT_NUMBER for "
                 "25.11, CTREC_FLOAT_STRING (the default) for latest"},
    [R_TOO_DEEP] = {"value-too-deep", CTREC_CHECK_ERROR,
                    "record values at most 60 compound levels deep, truncating deeper data with "
                    "a marker value (the writer's max_depth does)"},
    [R_ASSIGNMENT] = {"assignment-event", CTREC_CHECK_ERROR,
                      "leave Assignment out: no CodeTracer can decode it, and one Assignment "
                      "makes the whole trace fail to load"},
    [R_NOT_IN_TARGET] = {"event-not-in-target", CTREC_CHECK_ERROR,
                         "leave this event out for CodeTracer 25.11, or check against "
                         "--target latest"},
    [R_OVER_BOUND] = {"event-over-bound", CTREC_CHECK_WARNING,
                      "the trace may be fine: check again with a larger bound (ctrec check "
                      "--max-event BYTES); nothing after this event was checked"},
    [R_BEFORE_STEP] = {"event-before-first-step", CTREC_CHECK_ERROR,
                       "emit this event after the first Step (and, for VariableCell, while a "
                       "call is open)"},
    [R_DROP_FIRST_STEP] = {"drop-last-step", CTREC_CHECK_ERROR,
                           "leave DropLastStep out: no CodeTracer loads a trace holding one"},
    [R_STEP_PATH_HUGE] = {"step-path-id-too-large", CTREC_CHECK_ERROR,
                          "give Steps the id of a Path event (ids are positions among Path "
                          "events)"},
    [R_CT_LAYOUT] = {"ct-layout", CTREC_CHECK_ERROR,
                     "write the multi-stream layout (meta.dat and steps.dat, no events.log), "
                     "or an events.log with a meta.dat beside it"},
    [R_CT_META] = {"ct-meta-dat", CTREC_CHECK_ERROR,
                   "write meta.dat version 3 with only the flag bits 0x0001-0x1000 the "
                   "debugger's reader knows, and only those whose data is present"},
    [R_CT_GEOMETRY] = {"ct-container-geometry", CTREC_CHECK_ERROR,
                       "write block size 4096 and 31 root entries: the debugger's reader "
                       "assumes both whatever the header says"},
    [R_CT_LOG_STREAM] = {"ct-events-log-stream", CTREC_CHECK_ERROR,
                         "write events.log as chunks ([u32 compressed size][u32 count][u64 first "
                         "event id] + a zstd frame, FORMAT.md 7.3) or as plain CBOR, or write the "
                         "multi-stream layout"},
    [R_UNSUPPORTED_EVENT] = {"unsupported-event", CTREC_CHECK_WARNING,
                             "leave this event out for released debuggers (FORMAT.md section 5)"},
    [R_CELL_IN_VALUE] = {"cell-in-value", CTREC_CHECK_WARNING,
                         "give the Value its full value; use Cell only inside CompoundValue"},
    [R_COMPOUND_NOT_SEQ] = {"compound-value-not-sequence", CTREC_CHECK_ERROR,
                            "give CompoundValue a Sequence, or record the value with a Value "
                            "event"},
    [R_ACI_WITHOUT_CV] = {"assign-compound-item-without-compound-value", CTREC_CHECK_ERROR,
                          "emit a CompoundValue for the place before assigning its items"},
    [R_UNSUPPORTED_VALUE] = {"unsupported-value", CTREC_CHECK_WARNING,
                             "CodeTracer 25.11 cannot read Variant or Char values: record them "
                             "as Struct/Raw and String, or target latest"},
    [R_TYPE0_NOT_NONE] = {"type-0-not-none", CTREC_CHECK_WARNING,
                          "define Type {kind 30, lang_type \"None\"} first, as ctrec_start() "
                          "does; the debugger uses type 0 for missing values"},
    [R_NO_TYPES] = {"no-type-events", CTREC_CHECK_WARNING,
                    "define the types your values use (at least type 0 = None, as "
                    "ctrec_start() does); without them the debugger shows placeholder types"},
    [R_FUNCTION_REUSED] = {"function-name-reused", CTREC_CHECK_WARNING,
                           "give functions at different locations different names (the "
                           "reference dedups functions by name only)"},
    [R_OPEN_CALLS] = {"open-calls-at-end", CTREC_CHECK_WARNING,
                      "emit a Return for every call but the top-level one before closing the "
                      "trace"},
    [R_SOURCE_MISSING] = {"source-file-missing", CTREC_CHECK_WARNING,
                          "copy the source into files/ (absolute /a/b -> files/a/b, relative "
                          "-> files/<rel>; the writer does with copy_sources)"},
    [R_RELATIVE_NO_WORKDIR] = {"relative-path-without-workdir", CTREC_CHECK_WARNING,
                               "record absolute paths, or an absolute workdir in "
                               "trace_metadata.json to resolve relative ones against"},
    [R_RECORDING_ID] = {"metadata-recording-id", CTREC_CHECK_WARNING,
                        "give trace_metadata.json a \"recording_id\": a lowercase hyphenated "
                        "UUIDv7 (ctrec_writer_open writes one)"},
    /* step-map.ns: ctfs_trace_reader/mod.rs load_step_map_namespace drops a
     * malformed index (and resolves breakpoints from the steps); a sound
     * one answers every breakpoint (step_ids_on_line) unchecked */
    [R_CT_STEP_MAP_DAMAGED] = {"ct-step-map-damaged", CTREC_CHECK_WARNING,
                               "write step-map.ns as docs/ct.md spells it, or leave it out: "
                               "the debugger then derives breakpoints from the steps"},
    [R_CT_STEP_MAP_MISMATCH] = {"ct-step-map-mismatch", CTREC_CHECK_WARNING,
                                "list under each (path id, line) exactly the steps steps.dat "
                                "records there, ascending (key the index by the step's path id "
                                "and line, not by its global line index)"},
    /* ctfs_trace_reader/mod.rs is_new_format: events.log present -> the Db
     * from events.log (open_old_format); the streams attach only for
     * on-demand reads, and a stream that does not read is dropped */
    [R_CT_TWO_LAYOUTS] = {"ct-two-layouts", CTREC_CHECK_WARNING,
                          "write one layout, or the same trace in both"},
    /* ctfs_trace_reader/mod.rs open_elixir_sidecar_format (2026-08): a
     * BEAM recorder's trace_meta.json and runtime_session.jsonl beside the
     * .ct are read before the container's streams (ct_sidecar.c) */
    [R_CT_BEAM_SIDECAR] = {"ct-beam-sidecar", CTREC_CHECK_WARNING,
                           "keep a .ct away from a BEAM recorder's trace_meta.json and "
                           "runtime_session.jsonl unless that log is the trace to show: the "
                           "debugger shows the log, and the findings here are the container's"},
    [R_CT_BEAM_SIDECAR_REFUSED] = {"ct-beam-sidecar-refused", CTREC_CHECK_ERROR,
                                   "make trace_meta.json, each manifest member it names and every "
                                   "line of runtime_session.jsonl JSON (UTF-8), or move those "
                                   "files away from the .ct: the debugger reads them first and "
                                   "its open fails on them"},
};

/* ------------------------------------------------------------------------
 * Small tables
 * ------------------------------------------------------------------------ */

typedef struct type_info {
    uint8_t kind;     /* ctrec_type_kind */
    uint8_t info;     /* ctrec_type_info */
    size_t nfields;
} type_info;

typedef struct fn_entry {
    char *name; /* NULL: empty slot */
    size_t len;
    uint64_t hash;
    ctrec_id path_id;
    int64_t line;
} fn_entry;

typedef struct place_set {
    int64_t *slots;
    unsigned char *used;
    size_t cap, n;
} place_set;

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t hash_i64(int64_t v)
{
    uint64_t x = (uint64_t)v;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* ------------------------------------------------------------------------
 * The check state
 * ------------------------------------------------------------------------ */

typedef struct chk {
    ctrec_check_options o;
    ctrec_check_callback cb;
    void *ud;
    ctrec_check_summary *sum;
    int stop;
    int nomem;
    int undecided; /* an event over the reader's bound, or stopped early */

    ctrec_reader *r;
    const char *trace_file;
    char *dir;          /* folder of the trace file */
    char *paths_file;   /* dir/trace_paths.json */
    char *meta_file;    /* dir/trace_metadata.json */
    int is_json;
    int is_ct;
    /* a .ct holding both layouts: events.log is checked; what the
     * multi-stream members hold (their Steps and Calls, or why they do not
     * read) is compared at the end */
    int two_layouts;
    uint64_t ms_steps, ms_calls;
    char ms_err[256];
    int ms_bound; /* they stopped at the reader's bound on one event */
    int paths_file_ok;  /* trace_paths.json present */
    const char *workdir;
    int workdir_abs;

    /* current event */
    const ctrec_ev *ev;
    uint64_t index;
    uint64_t reported;  /* rules already reported for this event (bits) */
    char *json;
    size_t json_cap, json_len;
    int json_done;

    /* definitions */
    uint64_t npaths, nfuncs, ntypes, nvars;
    type_info *types;
    size_t types_cap;
    fn_entry *fns;
    size_t fns_cap, nfns;
    place_set places;

    /* calls and steps */
    uint64_t depth, ncalls, nsteps;
    uint64_t live_steps; /* Steps less those a DropLastStep took back */
    int synth_call;      /* latest: the top-level call the backend made up */
    int step_before_call_reported;
    int paths_mismatch_reported;

    /* type ids used while no Type was defined (see no-type-events) */
    uint64_t untyped_uses;
    uint64_t untyped_first_index;
    ctrec_id untyped_first_id;
    char *untyped_first_json;

    /* step-map.ns, compared in two steps (check_step_map): per (path_id,
     * line) of the steps read, how many and a sum of their mixed indexes
     * (smacc); only when the index disagrees with those, the position of
     * every step index i (path_id << 32 | line; SM_NONE for a record that
     * is no Step: Raise, Catch, thread), read again, for the exact report */
    struct smacc *smacc;
    uint64_t smacc_n, smacc_cap;
    uint64_t sl_key, sl_n, sl_sum; /* the list being walked */
    int sm_diff;                   /* the sums disagree somewhere */
    uint64_t *smpos;
    uint64_t smn, smcap, sm_last, sm_steps;
    int sm_off;  /* too many steps or lines to hold: the index is not compared */
    int sm_none; /* no step-map.ns: nothing to compare, nothing kept */
    uint64_t sm_bad, sm_listed;
    char sm_first[400];
    ctrec_reader_options ro; /* the reader's options, to read the steps again */

    char msg[1024];
} chk;

#define SM_NONE UINT64_MAX
#define SM_CLAIMED (UINT64_MAX - 1)
#define SM_MAX_STEPS ((uint64_t)1 << 27) /* 1 GiB of positions */
#define SM_MAX_LINES ((uint64_t)1 << 22) /* 128 MiB of sums (smacc) */

/* The steps of one (path_id << 32 | line) key: count and the sum of
 * sm_mix(index); listed: step-map.ns's list of the key had the same. */
struct smacc {
    uint64_t key, count, sum;
    int listed;
};

/* ------------------------------------------------------------------------
 * Reporting
 * ------------------------------------------------------------------------ */

static int value_has_number_float(const ctrec_value *v)
{
    if (!v) return 0;
    if (v->kind == CTREC_VAL_FLOAT && !v->b) return 1;
    for (size_t i = 0; i < v->nchildren; i++)
        if (value_has_number_float(&v->children[i])) return 1;
    return 0;
}

static int event_has_number_float(const ctrec_ev *ev)
{
    switch (ev->type) {
    case CTREC_EV_VALUE: return value_has_number_float(ev->value.value);
    case CTREC_EV_RETURN: return value_has_number_float(ev->ret.return_value);
    case CTREC_EV_COMPOUND_VALUE:
    case CTREC_EV_CELL_VALUE:
    case CTREC_EV_ASSIGN_CELL: return value_has_number_float(ev->place_value.value);
    case CTREC_EV_CALL:
        for (size_t i = 0; i < ev->call.nargs; i++)
            if (value_has_number_float(ev->call.args[i].value)) return 1;
        return 0;
    default: return 0;
    }
}

/* The current event as JSON, spelled with the float encoding it was read
 * with; NULL if it cannot be spelled. */
static const char *event_json(chk *c)
{
    if (!c->ev) return NULL;
    if (!c->json_done) {
        c->json_done = 1;
        ctrec_float_encoding fe =
            c->is_json && event_has_number_float(c->ev) ? CTREC_FLOAT_NUMBER : CTREC_FLOAT_STRING;
        ctrec_status st = ctrec_event_to_json(c->ev, fe, &c->json, &c->json_cap, &c->json_len);
        if (st == CTREC_E_FLOAT)
            st = ctrec_event_to_json(c->ev, CTREC_FLOAT_STRING, &c->json, &c->json_cap,
                                     &c->json_len);
        if (st == CTREC_E_NOMEM) c->nomem = 1;
        if (st != CTREC_OK) c->json_len = (size_t)-1;
    }
    return c->json_len == (size_t)-1 ? NULL : c->json;
}

/* A diagnostic of rule rl, with the rule's fix unless `fix` is given. */
/* The current backend (dap_server.rs, setup: the legacy trace.json and
 * trace.bin branches) reads only "workdir" from trace_metadata.json, falls
 * back to the trace folder without it, and never reads trace_paths.json:
 * for target latest those files' rules are warnings. */
static ctrec_check_severity severity_of(const chk *c, rule rl)
{
    if (c->o.target == CTREC_CHECK_LATEST && (rl == R_META_MISSING || rl == R_META_FIELD))
        return CTREC_CHECK_WARNING;
    return rules[rl].sev;
}

static void emit_fix(chk *c, rule rl, const char *file, uint64_t index, const char *json,
                     const char *msg, const char *fix)
{
    if (c->stop) return;
    ctrec_check_diagnostic d;
    d.severity = severity_of(c, rl);
    d.rule = rules[rl].id;
    d.file = file;
    d.event_index = index;
    d.event_json = json;
    d.message = msg;
    d.fix = fix ? fix : rules[rl].fix;
    if (d.severity == CTREC_CHECK_ERROR) c->sum->errors++;
    else c->sum->warnings++;
    if (c->cb && c->cb(&d, c->ud)) c->stop = 1;
    if (c->o.max_diagnostics && c->sum->errors + c->sum->warnings >= c->o.max_diagnostics)
        c->stop = 1;
}

static void emit(chk *c, rule rl, const char *file, uint64_t index, const char *json,
                 const char *msg)
{
    emit_fix(c, rl, file, index, json, msg, NULL);
}

/* The BEAM recorders' sidecar files beside a .ct (ctrec_reader_ct_sidecar):
 * a warning when the debugger takes that route, an error when its files end
 * the open; over the bound, event-over-bound. 0, or -1 out of memory. */
static int check_sidecar(chk *c, const char *file)
{
    int route;
    const char *what;
    if (ctrec_reader_ct_sidecar(c->r, &route, &what) == CTREC_E_NOMEM) return -1;
    if (route == CTREC_CT_SIDECAR_BEAM) emit(c, R_CT_BEAM_SIDECAR, file, CTREC_CHECK_NO_EVENT, NULL, what);
    else if (route == CTREC_CT_SIDECAR_REFUSED)
        emit(c, R_CT_BEAM_SIDECAR_REFUSED, file, CTREC_CHECK_NO_EVENT, NULL, what);
    else if (route == CTREC_CT_SIDECAR_UNDECIDED) {
        emit_fix(c, R_OVER_BOUND, file, CTREC_CHECK_NO_EVENT, NULL, what,
                 "check again with a larger bound (ctrec check --max-event BYTES): the BEAM "
                 "sidecar files were not checked past it");
        c->undecided = 1;
    }
    return 0;
}

/* event-over-bound: the reader's error, which its bound on one event gave;
 * `fix` NULL for the rule's. What is left is undecided. */
static void over_bound(chk *c, const char *file, uint64_t index, const char *fix)
{
    snprintf(c->msg, sizeof c->msg, "%s: the check could not read it whole, so it cannot say "
             "whether the debugger loads the trace (the debugger has no such bound)",
             ctrec_reader_errmsg(c->r));
    emit_fix(c, R_OVER_BOUND, file, index, NULL, c->msg, fix);
    c->undecided = 1;
}

#if defined(__GNUC__)
#define CHK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CHK_PRINTF(a, b)
#endif

/* Formats a message; control characters from program text (a newline in a
 * path) become spaces, so that it stays one line. */
static void vformat(chk *c, const char *fmt, va_list ap)
{
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    for (unsigned char *p = (unsigned char *)c->msg; *p; p++)
        if (*p < 0x20 || *p == 0x7f) *p = ' ';
}

/* A problem with the current event; reported once per event and rule. */
static void CHK_PRINTF(3, 4) ev_diag(chk *c, rule rl, const char *fmt, ...)
{
    if (c->reported & ((uint64_t)1 << rl)) return;
    c->reported |= (uint64_t)1 << rl;
    va_list ap;
    va_start(ap, fmt);
    vformat(c, fmt, ap);
    va_end(ap);
    emit(c, rl, c->trace_file, c->index, event_json(c), c->msg);
}

/* A problem with a file, or with the trace as a whole. */
static void CHK_PRINTF(4, 5) file_diag(chk *c, rule rl, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(c, fmt, ap);
    va_end(ap);
    emit(c, rl, file, CTREC_CHECK_NO_EVENT, NULL, c->msg);
}

/* Shows at most 200 bytes of program text in a message. */
#define SHOW(s) (int)((s).len > 200 ? 200 : (s).len), ((s).ptr ? (s).ptr : "")

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static int types_push(chk *c, uint8_t kind, uint8_t info, size_t nfields)
{
    if (c->ntypes >= c->types_cap) {
        size_t cap = c->types_cap ? c->types_cap * 2 : 64;
        type_info *t = realloc(c->types, cap * sizeof *t);
        if (!t) return -1;
        c->types = t;
        c->types_cap = cap;
    }
    c->types[c->ntypes].kind = kind;
    c->types[c->ntypes].info = info;
    c->types[c->ntypes].nfields = nfields;
    c->ntypes++;
    return 0;
}

/* Finds or adds the function `name`; returns its entry, NULL on no memory.
 * *added says whether it is new. */
static fn_entry *fns_get(chk *c, const char *name, size_t len, int *added)
{
    if ((c->nfns + 1) * 2 > c->fns_cap) {
        size_t cap = c->fns_cap ? c->fns_cap * 2 : 64;
        fn_entry *t = calloc(cap, sizeof *t);
        if (!t) return NULL;
        for (size_t i = 0; i < c->fns_cap; i++) {
            if (!c->fns[i].name) continue;
            size_t j = c->fns[i].hash & (cap - 1);
            while (t[j].name) j = (j + 1) & (cap - 1);
            t[j] = c->fns[i];
        }
        free(c->fns);
        c->fns = t;
        c->fns_cap = cap;
    }
    uint64_t h = hash_bytes(name, len);
    size_t j = h & (c->fns_cap - 1);
    while (c->fns[j].name) {
        fn_entry *e = &c->fns[j];
        if (e->hash == h && e->len == len && (len == 0 || memcmp(e->name, name, len) == 0)) {
            *added = 0;
            return e;
        }
        j = (j + 1) & (c->fns_cap - 1);
    }
    char *copy = malloc(len + 1);
    if (!copy) return NULL;
    if (len) memcpy(copy, name, len);
    copy[len] = 0;
    c->fns[j].name = copy;
    c->fns[j].len = len;
    c->fns[j].hash = h;
    c->nfns++;
    *added = 1;
    return &c->fns[j];
}

static int places_has(const place_set *s, int64_t p)
{
    if (!s->cap) return 0;
    size_t j = hash_i64(p) & (s->cap - 1);
    while (s->used[j]) {
        if (s->slots[j] == p) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

static int places_add(place_set *s, int64_t p)
{
    if (places_has(s, p)) return 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        int64_t *slots = malloc(cap * sizeof *slots);
        unsigned char *used = calloc(cap, 1);
        if (!slots || !used) {
            free(slots);
            free(used);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->used[i]) continue;
            size_t j = hash_i64(s->slots[i]) & (cap - 1);
            while (used[j]) j = (j + 1) & (cap - 1);
            used[j] = 1;
            slots[j] = s->slots[i];
        }
        free(s->slots);
        free(s->used);
        s->slots = slots;
        s->used = used;
        s->cap = cap;
    }
    size_t j = hash_i64(p) & (s->cap - 1);
    while (s->used[j]) j = (j + 1) & (s->cap - 1);
    s->used[j] = 1;
    s->slots[j] = p;
    s->n++;
    return 0;
}

/* ------------------------------------------------------------------------
 * Ids and values
 * ------------------------------------------------------------------------ */

static void check_variable(chk *c, ctrec_id id, const char *where)
{
    if (id >= c->nvars)
        ev_diag(c, R_UNDEF_VARIABLE, "%s uses variable id %llu, but only %llu VariableName events "
                "came before it", where, (unsigned long long)id, (unsigned long long)c->nvars);
}

/* A type id used by a value. `strict`: the debugger indexes the type table
 * directly (a slice Sequence), so even a trace without types breaks. */
static void check_type_use(chk *c, ctrec_id id, const char *where, int strict)
{
    if (id < c->ntypes) return;
    if (c->ntypes == 0 && !strict) {
        /* The debugger shows every value with a placeholder type when the
         * trace has no Type at all; whether this one will is known only at
         * the first Type event, or at the end. */
        if (c->untyped_uses++ == 0) {
            c->untyped_first_index = c->index;
            c->untyped_first_id = id;
            const char *j = event_json(c);
            c->untyped_first_json = j ? strdup(j) : NULL;
            if (j && !c->untyped_first_json) c->nomem = 1;
        }
        return;
    }
    ev_diag(c, R_UNDEF_TYPE, "%s uses type id %llu, but only %llu Type events came before it%s",
            where, (unsigned long long)id, (unsigned long long)c->ntypes,
            strict && c->ntypes == 0 ? " (the debugger looks up a slice's type directly)" : "");
}

static void check_value(chk *c, const ctrec_value *v, int in_value_event, unsigned depth)
{
    if (!v) return;
    (void)depth; /* nesting is bounded by the reader's strict grammar (R_TOO_DEEP) */
    switch (v->kind) {
    case CTREC_VAL_CELL:
        if (in_value_event)
            ev_diag(c, R_CELL_IN_VALUE, "a Cell value (place %lld) inside a Value event: released "
                    "debuggers cannot show it", (long long)v->i);
        return; /* a Cell has no type_id */
    case CTREC_VAL_FLOAT:
        /* types.rs ValueRecord::Float: serde_with DisplayFromStr (a string)
         * in the current types, a plain f64 in 25.11's (runtime_tracing
         * 0.14); the same in trace.json and in trace.bin's CBOR. A .ct holds
         * CBOR float64s, which its loader reads as they are. */
        if (c->is_ct)
            break;
        if (v->b && c->o.target == CTREC_CHECK_25_11)
            ev_diag(c, R_FLOAT, "a Float written as a text string (\"f\": \"...\"): "
                    "CodeTracer 25.11 accepts only a number");
        else if (!v->b && c->o.target == CTREC_CHECK_LATEST)
            ev_diag(c, R_FLOAT, "a Float written as a number (\"f\": %.17g): the newest "
                    "CodeTracer accepts only a text string", v->f);
        break;
    case CTREC_VAL_CHAR:
        /* Char came with the thread events (trace format 0.15) */
        if (c->o.target == CTREC_CHECK_25_11)
            ev_diag(c, R_NOT_IN_TARGET, "a Char value: CodeTracer 25.11's types have no Char "
                    "(\"unknown variant `Char`\")");
        break;
    case CTREC_VAL_STRUCT:
        /* .ct: types.dat holds names only (no kind, no fields), and the
         * debugger's .ct loader takes field names from the value itself */
        if (v->type_id < c->ntypes && !c->is_ct) {
            const type_info *t = &c->types[v->type_id];
            if (t->info != CTREC_INFO_STRUCT)
                ev_diag(c, R_STRUCT_NOT_STRUCT, "a Struct value of type %llu, whose "
                        "specific_info is not Struct", (unsigned long long)v->type_id);
            else if (t->nfields != v->nchildren)
                ev_diag(c, R_STRUCT_FIELD_COUNT, "a Struct value with %zu field values, but its "
                        "type %llu has %zu fields", v->nchildren, (unsigned long long)v->type_id,
                        t->nfields);
        }
        break;
    default: break;
    }
    int strict = v->kind == CTREC_VAL_SEQUENCE && v->b;
    char where[64];
    snprintf(where, sizeof where, "a %s value", ctrec_value_kind_name(v->kind));
    check_type_use(c, v->type_id, where, strict);
    for (size_t i = 0; i < v->nchildren; i++)
        check_value(c, &v->children[i], in_value_event, depth + 1);
}

/* ------------------------------------------------------------------------
 * Paths: trace_paths.json and files/
 * ------------------------------------------------------------------------ */

static void check_path_file(chk *c, ctrec_str p)
{
    if (p.len == 0) return; /* "" names no file */
    int abs = p.ptr[0] == '/';
    if (!abs && !c->workdir_abs)
        ev_diag(c, R_RELATIVE_NO_WORKDIR, "the relative path \"%.*s\" cannot be resolved: "
                "trace_metadata.json has %s", SHOW(p),
                c->workdir ? "a workdir that is not absolute" : "no workdir");
    if (!c->o.check_files || memchr(p.ptr, 0, p.len)) return;
    /* A ".." component would make the copy land outside files/. */
    int dotdot = 0;
    for (size_t i = 0; i + 1 < p.len; i++)
        if (p.ptr[i] == '.' && p.ptr[i + 1] == '.' && (i == 0 || p.ptr[i - 1] == '/') &&
            (i + 2 == p.len || p.ptr[i + 2] == '/'))
            dotdot = 1;
    size_t dl = strlen(c->dir);
    char *f = malloc(dl + p.len + 16);
    if (!f) {
        c->nomem = 1;
        return;
    }
    memcpy(f, c->dir, dl);
    memcpy(f + dl, "/files", 6);
    size_t at = dl + 6;
    if (!abs) f[at++] = '/';
    memcpy(f + at, p.ptr, p.len);
    f[at + p.len] = 0;
    struct stat sb;
    if (dotdot)
        ev_diag(c, R_SOURCE_MISSING, "\"%.*s\" has a \"..\" component: it cannot be copied into "
                "files/", SHOW(p));
    else if (stat(f, &sb) != 0 || !S_ISREG(sb.st_mode))
        ev_diag(c, R_SOURCE_MISSING, "no copy of \"%.*s\" at %s", SHOW(p), f);
    free(f);
}

static void check_path_event(chk *c, ctrec_str p)
{
    if (c->paths_file_ok && !c->paths_mismatch_reported) {
        size_t len = 0;
        const char *q = ctrec_reader_path(c->r, (size_t)c->npaths, &len);
        if (!q) {
            c->paths_mismatch_reported = 1;
            ev_diag(c, R_PATHS_MISMATCH, "Path %llu \"%.*s\" is not in trace_paths.json, which "
                    "lists %zu paths", (unsigned long long)c->npaths, SHOW(p),
                    ctrec_reader_path_count(c->r));
        } else if (len != p.len || memcmp(q, p.ptr, len) != 0) {
            c->paths_mismatch_reported = 1;
            ev_diag(c, R_PATHS_MISMATCH, "Path %llu is \"%.*s\" but trace_paths.json has "
                    "\"%.*s\"", (unsigned long long)c->npaths, SHOW(p),
                    (int)(len > 200 ? 200 : len), q);
        }
    }
    check_path_file(c, p);
}

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

/* trace_processor.rs indexes the current step's tables for these events:
 * before the first Step there is none. */
static void before_step(chk *c)
{
    if (c->live_steps == 0)
        ev_diag(c, R_BEFORE_STEP, "%s before the first Step: the debugger indexes the current "
                "step's tables and panics", ctrec_event_type_name(c->ev->type));
}

static void on_first_type(chk *c)
{
    /* Values used type ids before any Type existed: the trace does have
     * types, so the debugger looks those ids up. */
    if (!c->untyped_uses) return;
    snprintf(c->msg, sizeof c->msg, "a value uses type id %llu before any Type was defined "
             "(%llu type-id uses before the first Type, at event %llu)",
             (unsigned long long)c->untyped_first_id, (unsigned long long)c->untyped_uses,
             (unsigned long long)c->index);
    emit(c, R_UNDEF_TYPE, c->trace_file, c->untyped_first_index, c->untyped_first_json, c->msg);
    c->untyped_uses = 0;
}

/* step-map.ns: the index of the step ev (the reader's; the events.log
 * layout gives none: the Steps counted), its key (SM_NONE for a place a
 * key cannot hold, which no list can name). */
/* Where the steps the index is compared with come from: the layout read
 * (events.log is the debugger's when the container holds both). */
static const char *steps_src(const chk *c)
{
    return ctrec_reader_ct_layout(c->r) == CTREC_CT_LAYOUT_EVENTS_LOG ? "events.log" : "steps.dat";
}

static uint64_t sm_index(chk *c, ctrec_reader *r)
{
    uint64_t i = ctrec_reader_step_index(r);
    if (++c->sm_steps > 1 && i <= c->sm_last) i = c->sm_last + 1;
    c->sm_last = i;
    return i;
}

static uint64_t sm_place(uint64_t path_id, int64_t line)
{
    if (line >= 0 && line <= 0xffffffffLL && path_id < ((uint64_t)1 << 31))
        return path_id << 32 | (uint64_t)line;
    return SM_NONE;
}

static uint64_t sm_key(const ctrec_ev *ev) { return sm_place(ev->step.path_id, ev->step.line); }

/* A step index mixed (hash_i64, offset: it maps 0 to 0) so that a sum of
 * them tells one set of indexes from another but with odds of 2^-64. */
static uint64_t sm_mix(uint64_t x) { return hash_i64((int64_t)(x + 0x9E3779B97F4A7C15ull)); }

/* The sums of key (made when add), NULL when it has none. */
static struct smacc *sm_acc(chk *c, uint64_t key, int add)
{
    if (add && (c->smacc_n + 1) * 2 > c->smacc_cap) {
        uint64_t cap = c->smacc_cap ? c->smacc_cap * 2 : 1024;
        if (cap / 2 > SM_MAX_LINES) {
            c->sm_off = 1;
            return NULL;
        }
        struct smacc *t = malloc((size_t)cap * sizeof *t);
        if (!t) {
            c->nomem = 1;
            return NULL;
        }
        for (uint64_t i = 0; i < cap; i++) t[i].key = SM_NONE;
        for (uint64_t i = 0; i < c->smacc_cap; i++) {
            if (c->smacc[i].key == SM_NONE) continue;
            uint64_t j = hash_i64((int64_t)c->smacc[i].key) & (cap - 1);
            while (t[j].key != SM_NONE) j = (j + 1) & (cap - 1);
            t[j] = c->smacc[i];
        }
        free(c->smacc);
        c->smacc = t;
        c->smacc_cap = cap;
    }
    if (!c->smacc_cap) return NULL;
    uint64_t j = hash_i64((int64_t)key) & (c->smacc_cap - 1);
    while (c->smacc[j].key != key) {
        if (c->smacc[j].key == SM_NONE) {
            if (!add) return NULL;
            c->smacc[j] = (struct smacc){key, 0, 0, 0};
            c->smacc_n++;
            break;
        }
        j = (j + 1) & (c->smacc_cap - 1);
    }
    return &c->smacc[j];
}

/* During the check: the step's key, counted and summed. */
static void sm_note_step(chk *c, const ctrec_ev *ev)
{
    if (c->sm_off || c->sm_none) return;
    uint64_t i = sm_index(c, c->r), key = sm_key(ev);
    if (key == SM_NONE) return;
    struct smacc *a = sm_acc(c, key, 1);
    if (!a) return;
    a->count++;
    a->sum += sm_mix(i);
}

/* Walking step-map.ns: each list's count and sum against its key's.
 * Stops (non-zero) at the first that differs. */
static int sm_sums(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                   const int64_t *ids, size_t n, int first)
{
    chk *c = ud;
    if (first) {
        c->sl_key = sm_place(path_id, line);
        c->sl_n = c->sl_sum = 0;
    }
    for (size_t k = 0; k < n; k++) c->sl_sum += sm_mix((uint64_t)ids[k]);
    c->sl_n += n;
    if (c->sl_n < total) return 0;
    struct smacc *a = c->sl_key == SM_NONE ? NULL : sm_acc(c, c->sl_key, 0);
    if (a ? a->count != c->sl_n || a->sum != c->sl_sum || a->listed : c->sl_n != 0) {
        c->sm_diff = 1;
        return 1;
    }
    if (a) a->listed = 1;
    return 0;
}

/* The exact comparison, for the report: the position of every step. */
static void sm_note_pos(chk *c, uint64_t i, uint64_t key)
{
    if (c->sm_off) return;
    if (i >= SM_MAX_STEPS) {
        c->sm_off = 1;
        return;
    }
    if (i >= c->smcap) {
        uint64_t cap = c->smcap ? c->smcap : 1024;
        while (cap <= i) cap *= 2;
        uint64_t *p = realloc(c->smpos, (size_t)cap * sizeof *p);
        if (!p) {
            c->nomem = 1;
            return;
        }
        c->smpos = p;
        c->smcap = cap;
    }
    while (c->smn <= i) c->smpos[c->smn++] = SM_NONE;
    c->smpos[i] = key;
}

static int sm_compare(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                      const int64_t *ids, size_t n, int first)
{
    chk *c = ud;
    (void)total;
    (void)first;
    uint64_t key = sm_place(path_id, line);
    for (size_t k = 0; k < n; k++) {
        uint64_t id = (uint64_t)ids[k];
        uint64_t at = id < c->smn ? c->smpos[id] : SM_NONE;
        c->sm_listed++;
        if (key != SM_NONE && at == key) {
            c->smpos[id] = SM_CLAIMED;
            continue;
        }
        if (!c->sm_bad++) {
            if (at == SM_NONE)
                snprintf(c->sm_first, sizeof c->sm_first, "path %llu line %lu lists step %llu, "
                         "which %s does not hold as a step", (unsigned long long)path_id,
                         (unsigned long)line, (unsigned long long)id, steps_src(c));
            else if (at == SM_CLAIMED)
                snprintf(c->sm_first, sizeof c->sm_first, "path %llu line %lu lists step %llu, "
                         "which an earlier entry lists too", (unsigned long long)path_id,
                         (unsigned long)line, (unsigned long long)id);
            else
                snprintf(c->sm_first, sizeof c->sm_first, "path %llu line %lu lists step %llu, "
                         "which %s records at path %llu line %llu",
                         (unsigned long long)path_id, (unsigned long)line,
                         (unsigned long long)id, steps_src(c), (unsigned long long)(at >> 32),
                         (unsigned long long)(at & 0xffffffffu));
        }
    }
    return 0;
}

/* The steps read again (a reader of their own) into smpos, for the exact
 * report; 0 when they cannot be (the report is then not made). */
static int sm_read_positions(chk *c)
{
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(c->trace_file, &c->ro, &r);
    c->sm_steps = c->sm_last = 0;
    const ctrec_ev *ev;
    while (st == CTREC_OK && !c->sm_off && !c->nomem &&
           (st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev)
        if (ev->type == CTREC_EV_STEP) sm_note_pos(c, sm_index(c, r), sm_key(ev));
    if (st == CTREC_E_NOMEM) c->nomem = 1;
    ctrec_reader_close(r);
    return st == CTREC_OK && !c->sm_off && !c->nomem;
}

/* Compares step-map.ns, when the .ct has one, with the steps read: every
 * step listed under its (path id, line), nothing else (the walk refuses
 * lists not ascending and wrong first/last). */
static void check_step_map(chk *c)
{
    uint64_t lines = 0, ids = 0;
    /* first the sums: a sound index (the common case) needs nothing more */
    ctrec_status st = ctrec_reader_step_map_walk(c->r, c->sm_off ? NULL : sm_sums, c, &lines,
                                                 &ids);
    if (st == CTREC_E_UNSUPPORTED) return;
    if (st == CTREC_E_STATE && c->sm_diff) st = CTREC_OK; /* sm_sums stopped it */
    if (!st && !c->sm_off && !c->sm_diff)
        for (uint64_t i = 0; i < c->smacc_cap && !c->sm_diff; i++)
            if (c->smacc[i].key != SM_NONE && !c->smacc[i].listed) c->sm_diff = 1;
    if (!st && !c->sm_off && !c->sm_diff) return;
    /* then, where they differ, each step against its place in the index */
    if (!st && !c->sm_off) {
        if (!sm_read_positions(c)) return;
        lines = ids = 0;
        st = ctrec_reader_step_map_walk(c->r, sm_compare, c, &lines, &ids);
    }
    if (st) {
        snprintf(c->msg, sizeof c->msg, "the breakpoint index is damaged, so the debugger "
                 "ignores it and derives breakpoints from the steps: %s",
                 ctrec_reader_errmsg(c->r));
        emit(c, R_CT_STEP_MAP_DAMAGED, c->trace_file, CTREC_CHECK_NO_EVENT, NULL, c->msg);
        return;
    }
    if (c->sm_off) return;
    uint64_t unlisted = 0, first = 0;
    for (uint64_t i = c->smn; i-- > 0;)
        if (c->smpos[i] != SM_NONE && c->smpos[i] != SM_CLAIMED) {
            unlisted++;
            first = i;
        }
    if (!c->sm_bad && !unlisted) return;
    char tail[200] = "";
    if (unlisted)
        snprintf(tail, sizeof tail, "%s%llu %s listed nowhere (%sstep %llu at path %llu line "
                 "%llu)", c->sm_bad ? "; " : "", (unsigned long long)unlisted,
                 unlisted == 1 ? "step is" : "steps are", unlisted == 1 ? "" : "the first: ",
                 (unsigned long long)first, (unsigned long long)(c->smpos[first] >> 32),
                 (unsigned long long)(c->smpos[first] & 0xffffffffu));
    char head[480] = "";
    if (c->sm_bad)
        snprintf(head, sizeof head, "%llu of its %llu step ids %s misplaced (%s%s)",
                 (unsigned long long)c->sm_bad, (unsigned long long)ids,
                 c->sm_bad == 1 ? "is" : "are", c->sm_bad == 1 ? "" : "the first: ", c->sm_first);
    const char *src = ctrec_reader_step_map_source(c->r), *slash = src ? strrchr(src, '/') : NULL;
    if (!src) src = "step-map.ns";
    snprintf(c->msg, sizeof c->msg, "%s%s (%llu lines) disagrees with %s, and "
             "the debugger resolves breakpoints from it: %s%s", slash ? slash + 1 : src,
             slash ? ", the breakpoint index beside the .ct," : "", (unsigned long long)lines,
             steps_src(c), head, tail);
    emit(c, R_CT_STEP_MAP_MISMATCH, c->trace_file, CTREC_CHECK_NO_EVENT, NULL, c->msg);
}

static void check_event(chk *c, const ctrec_ev *ev)
{
    switch (ev->type) {
    case CTREC_EV_STEP:
        c->nsteps++;
        c->live_steps++;
        if (c->is_ct) sm_note_step(c, ev);
        /* trace_processor.rs Step: the step map grows to path_id + 1
         * tables (one HashMap each) before it is indexed; u64::MAX wraps
         * to 0 and the index panics, and 2^32 tables do not fit in memory */
        if (ev->step.line >= 0 && ev->step.path_id >= ((uint64_t)1 << 32))
            ev_diag(c, R_STEP_PATH_HUGE, "Step with path id %llu: the debugger makes a table "
                    "for every path id up to it%s", (unsigned long long)ev->step.path_id,
                    ev->step.path_id == UINT64_MAX ? " (the count wraps to 0 and the lookup "
                                                     "panics)" : ", more than memory holds");
        /* trace_processor.rs process_event Step: without a call the current
         * backend opens a "<top-level>" one; 25.11 asserts that one is open */
        if (c->ncalls == 0 && !c->synth_call && c->o.target == CTREC_CHECK_LATEST) {
            c->synth_call = 1;
            c->depth++;
        }
        if (ev->step.path_id >= c->npaths)
            ev_diag(c, R_UNDEF_PATH, "Step uses path id %llu, but only %llu Path events came "
                    "before it", (unsigned long long)ev->step.path_id,
                    (unsigned long long)c->npaths);
        if (c->ncalls == 0 && c->o.target == CTREC_CHECK_25_11 && !c->step_before_call_reported) {
            c->step_before_call_reported = 1;
            ev_diag(c, R_STEP_BEFORE_CALL, "a Step before the first Call: CodeTracer 25.11 "
                    "asserts that a call is open at every step");
        }
        break;
    case CTREC_EV_PATH:
        check_path_event(c, ev->text);
        c->npaths++;
        break;
    case CTREC_EV_VARIABLE_NAME: c->nvars++; break;
    case CTREC_EV_TYPE: {
        if (c->ntypes == 0 && ev->type_def.kind != CTREC_TYPE_NONE && !c->is_ct)
            ev_diag(c, R_TYPE0_NOT_NONE, "type 0 is \"%.*s\" of kind %d, not None (kind 30)",
                    SHOW(ev->type_def.lang_type), (int)ev->type_def.kind);
        if (ev->type_def.info == CTREC_INFO_STRUCT) {
            for (size_t i = 0; i < ev->type_def.nfields; i++)
                if (ev->type_def.fields[i].type_id >= c->ntypes)
                    ev_diag(c, R_UNDEF_TYPE, "field \"%.*s\" has type id %llu, but only %llu "
                            "Type events came before this one",
                            (int)(ev->type_def.fields[i].name_len > 200 ? 200
                                                                    : ev->type_def.fields[i].name_len),
                            ev->type_def.fields[i].name,
                            (unsigned long long)ev->type_def.fields[i].type_id,
                            (unsigned long long)c->ntypes);
        } else if (ev->type_def.info == CTREC_INFO_POINTER &&
                   ev->type_def.dereference_type_id >= c->ntypes) {
            ev_diag(c, R_UNDEF_TYPE, "the pointer's dereference_type_id is %llu, but only %llu "
                    "Type events came before this one",
                    (unsigned long long)ev->type_def.dereference_type_id,
                    (unsigned long long)c->ntypes);
        }
        if (c->ntypes == 0) on_first_type(c);
        if (types_push(c, (uint8_t)ev->type_def.kind, (uint8_t)ev->type_def.info,
                       ev->type_def.info == CTREC_INFO_STRUCT ? ev->type_def.nfields : 0))
            c->nomem = 1;
        break;
    }
    case CTREC_EV_VALUE:
        check_variable(c, ev->value.variable_id, "Value");
        check_value(c, ev->value.value, 1, 1);
        break;
    case CTREC_EV_FUNCTION: {
        if (ev->function.path_id >= c->npaths)
            ev_diag(c, R_UNDEF_PATH, "Function uses path id %llu, but only %llu Path events "
                    "came before it", (unsigned long long)ev->function.path_id,
                    (unsigned long long)c->npaths);
        int added;
        fn_entry *e = fns_get(c, ev->function.name.ptr, ev->function.name.len, &added);
        if (!e) {
            c->nomem = 1;
        } else if (added) {
            e->path_id = ev->function.path_id;
            e->line = ev->function.line;
        } else if (e->path_id != ev->function.path_id || e->line != ev->function.line) {
            ev_diag(c, R_FUNCTION_REUSED, "function \"%.*s\" was defined before at path %llu "
                    "line %lld, now at path %llu line %lld", SHOW(ev->function.name),
                    (unsigned long long)e->path_id, (long long)e->line,
                    (unsigned long long)ev->function.path_id, (long long)ev->function.line);
        }
        c->nfuncs++;
        break;
    }
    case CTREC_EV_CALL:
        if (ev->call.function_id >= c->nfuncs)
            ev_diag(c, R_UNDEF_FUNCTION, "Call uses function id %llu, but only %llu Function "
                    "events came before it", (unsigned long long)ev->call.function_id,
                    (unsigned long long)c->nfuncs);
        for (size_t i = 0; i < ev->call.nargs; i++) {
            check_variable(c, ev->call.args[i].variable_id, "a Call argument");
            check_value(c, ev->call.args[i].value, 0, 1);
        }
        c->ncalls++;
        c->depth++;
        break;
    case CTREC_EV_RETURN:
        if (c->depth == 0)
            ev_diag(c, R_RETURN_WITHOUT_CALL, "a Return with no open call (%llu Calls and as "
                    "many Returns came before it)", (unsigned long long)c->ncalls);
        else
            c->depth--;
        check_value(c, ev->ret.return_value, 0, 1);
        break;
    case CTREC_EV_EVENT: break;
    case CTREC_EV_ASM: before_step(c); break;
    case CTREC_EV_BIND_VARIABLE:
        check_variable(c, ev->var_place.variable_id, "BindVariable");
        /* 25.11 trace_processor.rs: unimplemented!(); the current one skips it */
        if (c->o.target == CTREC_CHECK_25_11)
            ev_diag(c, R_NOT_IN_TARGET, "BindVariable: CodeTracer 25.11 panics on it (\"not "
                    "implemented\")");
        break;
    case CTREC_EV_VARIABLE_CELL:
        check_variable(c, ev->var_place.variable_id, "VariableCell");
        if (c->depth == 0)
            ev_diag(c, R_BEFORE_STEP, "VariableCell with no open call: trace_processor.rs "
                    "indexes the call's variable cells at depth - 1");
        before_step(c);
        break;
    case CTREC_EV_ASSIGNMENT:
        check_variable(c, ev->assignment.to, "Assignment (to)");
        for (size_t i = 0; i < ev->assignment.count; i++)
            check_variable(c, ev->assignment.from[i], "Assignment (from)");
        ev_diag(c, R_ASSIGNMENT, "Assignment: the reference types cannot decode it (RValue is "
                "an internally tagged enum whose variants hold bare ids), so the whole trace "
                "fails to load");
        break;
    case CTREC_EV_DROP_VARIABLES:
        for (size_t i = 0; i < ev->drop_variables.count; i++)
            check_variable(c, ev->drop_variables.ids[i], "DropVariables");
        if (c->o.target == CTREC_CHECK_25_11)
            ev_diag(c, R_NOT_IN_TARGET, "DropVariables: CodeTracer 25.11 panics on it (\"not "
                    "implemented\")");
        break;
    case CTREC_EV_DROP_VARIABLE:
        check_variable(c, (ctrec_id)ev->id, "DropVariable");
        break;
    case CTREC_EV_COMPOUND_VALUE:
        before_step(c);
        check_value(c, ev->place_value.value, 0, 1);
        if (ev->place_value.value && ev->place_value.value->kind != CTREC_VAL_SEQUENCE)
            ev_diag(c, R_COMPOUND_NOT_SEQ, "a CompoundValue holding a %s: the debugger reads "
                    "only Sequences here (trace_processor.rs: todo!())",
                    ctrec_value_kind_name(ev->place_value.value->kind));
        if (places_add(&c->places, ev->place_value.place)) c->nomem = 1;
        break;
    case CTREC_EV_CELL_VALUE:
    case CTREC_EV_ASSIGN_CELL:
        before_step(c);
        check_value(c, ev->place_value.value, 0, 1);
        break;
    case CTREC_EV_ASSIGN_COMPOUND_ITEM:
        if (!places_has(&c->places, ev->assign_compound_item.place))
            ev_diag(c, R_ACI_WITHOUT_CV, "AssignCompoundItem on place %lld, which no earlier "
                    "CompoundValue defined: the debugger panics (\"at least one register of "
                    "compound value before assigning its item\")",
                    (long long)ev->assign_compound_item.place);
        break;
    case CTREC_EV_THREAD_START:
    case CTREC_EV_THREAD_EXIT:
    case CTREC_EV_THREAD_SWITCH:
        /* thread events came with trace format 0.15; 25.11 pins 0.14 */
        if (c->o.target == CTREC_CHECK_25_11)
            ev_diag(c, R_NOT_IN_TARGET, "%s: CodeTracer 25.11's types have no thread events, "
                    "so it cannot parse the file", ctrec_event_type_name(ev->type));
        break;
    case CTREC_EV_DROP_LAST_STEP:
        /* trace_processor.rs DropLastStep: assert!(current_step_id > 0), and
         * it takes the step back from every table but db.instructions, so
         * postprocess's closing assert (instructions as long as steps)
         * fails whenever the first one passed */
        if (c->live_steps < 2)
            ev_diag(c, R_DROP_FIRST_STEP, "DropLastStep with %llu Step%s recorded: the "
                    "debugger asserts that a step other than the first is dropped",
                    (unsigned long long)c->live_steps, c->live_steps == 1 ? "" : "s");
        else
            ev_diag(c, R_DROP_FIRST_STEP, "DropLastStep: the debugger takes the step back from "
                    "every table but its instructions, and then refuses the trace (\"db.instructions "
                    "has different length than db.steps\")");
        if (c->live_steps >= 2) c->live_steps--;
        break;
    case CTREC_EV_RAISE: /* .ct only (docs/ct.md); rules for it belong to check */
    case CTREC_EV_CATCH:
    case CTREC_EV_SPAN: /* read by the debugger's request panel, not its trace loader */
        break;
    }
}

/* ------------------------------------------------------------------------
 * Files beside the stream
 * ------------------------------------------------------------------------ */

/* A lowercase hyphenated UUID of version 7 (FORMAT.md section 4). */
static int is_uuid7(const char *s)
{
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        char ch = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-') return 0;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return 0;
        }
    }
    return s[14] == '7';
}

static int has_member(const chk *c, const char *name)
{
    for (size_t i = 0; i < ctrec_reader_member_count(c->r); i++) {
        const char *m = ctrec_reader_member(c->r, i, NULL);
        if (m && strcmp(m, name) == 0) return 1;
    }
    return 0;
}

static const char *meta_extra(const chk *c, const char *key)
{
    for (size_t i = 0; i < ctrec_reader_meta_extra_count(c->r); i++) {
        const char *json = NULL;
        const char *k = ctrec_reader_meta_extra(c->r, i, &json);
        if (k && strcmp(k, key) == 0) return json;
    }
    return NULL;
}

/* A .ct: what the debugger's loader does with the container, before any
 * event. Its setup (dap_server.rs) opens a *.ct first; CTFSTraceReader::open
 * (ctfs_trace_reader/mod.rs) then picks the path by which members exist:
 * steps.dat without events.log goes to open_new_format_nim, the reference
 * Nim reader's ct_reader_* functions; a container with events.log goes to
 * open_old_format, which needs meta.dat. */
static void check_ct(chk *c)
{
    if (c->o.target == CTREC_CHECK_25_11) {
        file_diag(c, R_NOT_IN_TARGET, c->trace_file, "a .ct container: CodeTracer 25.11 reads "
                  "trace.json and trace.bin only (its dap_server.rs has no CTFS path)");
        return;
    }
    int steps = has_member(c, "steps.dat"), log = has_member(c, "events.log");
    int meta = has_member(c, "meta.dat");
    if (log && !meta) {
        file_diag(c, R_CT_LAYOUT, c->trace_file, "events.log without meta.dat: the debugger "
                  "reads an events.log container through open_old_format, which needs meta.dat");
        return;
    }
    if (!steps && !log) {
        file_diag(c, R_CT_LAYOUT, c->trace_file, "neither steps.dat nor events.log: the "
                  "debugger does not take the container for a recorded trace");
        return;
    }
    if (log) {
        /* the Rust path (the events are checked below): load_events drops
         * trace.bin's header, reads chunks, else takes the rest for plain
         * CBOR, which a zstd stream (the Rust crate's older CTFS writer,
         * ctfs_writer.rs) is not: "failed to deserialize any events" */
        static const uint8_t stream[12] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01,
                                           0x00, 0x00, 0x28, 0xB5, 0x2F, 0xFD};
        uint8_t h[12];
        size_t got = 0;
        if (ctrec_reader_read_member(c->r, "events.log", 0, h, sizeof h, &got) == CTREC_OK &&
            got == sizeof h && memcmp(h, stream, sizeof h) == 0)
            file_diag(c, R_CT_LOG_STREAM, c->trace_file, "events.log holds trace.bin's zstd "
                      "stream (no chunk headers): the debugger's load_events takes it for plain "
                      "CBOR and refuses it");
        return;
    }
    /* the Nim path: new_trace_reader.nim openNewTraceFromBytes reads
     * meta.dat with readMetaDat (meta_dat.nim), which refuses a version
     * other than 3 or a flag outside KnownFlags (0x1FFF); ct_reader_open
     * ignores the failure and reads the streams with the legacy framing:
     * the step and event counts fail and the debugger shows no step */
    const char *ver = meta_extra(c, "meta_version"), *fl = meta_extra(c, "meta_flags");
    unsigned long long v = ver ? strtoull(ver, NULL, 10) : 0, f = fl ? strtoull(fl, NULL, 10) : 0;
    if (!meta || !ver)
        file_diag(c, R_CT_META, c->trace_file, "no readable meta.dat: the debugger's reader "
                  "falls back to the legacy stream framing and shows no step");
    else if (v != 3)
        file_diag(c, R_CT_META, c->trace_file, "meta.dat version %llu: the debugger's reader "
                  "reads only version 3 (then falls back to the legacy stream framing and "
                  "shows no step)", v);
    else if (f & ~0x1FFFull)
        file_diag(c, R_CT_META, c->trace_file, "meta.dat flags 0x%04llx hold bits the debugger's "
                  "reader does not know (0x%04llx): it refuses meta.dat, falls back to the "
                  "legacy stream framing and shows no step", f, f & ~0x1FFFull);
    /* container.nim readInternalFile: DefaultBlockSize 4096 and
     * DefaultMaxRootEntries 31, whatever bytes 8-15 of the header say */
    FILE *fp = fopen(c->trace_file, "rb");
    unsigned char h[16];
    if (fp && fread(h, 1, 16, fp) == 16) {
        unsigned long bs = load_le32(h + 8);
        unsigned long re = load_le32(h + 12);
        if (bs != 4096 || re != 31)
            file_diag(c, R_CT_GEOMETRY, c->trace_file, "block size %lu and %lu root entries: "
                      "the debugger's reader assumes 4096 and 31", bs, re);
    }
    if (fp) fclose(fp);
}

static void check_side_files(chk *c)
{
    if (c->is_ct) {
        check_ct(c);
        return;
    }
    const ctrec_trace_metadata *m = ctrec_reader_metadata(c->r);
    if (!m->present) {
        file_diag(c, R_META_MISSING, c->meta_file, "%s%s",
                  path_is_file(c->meta_file) ? "trace_metadata.json does not parse"
                                            : "no trace_metadata.json",
                  c->o.target == CTREC_CHECK_25_11
                      ? ": CodeTracer 25.11 cannot load the trace"
                      : ": the debugger takes the trace folder for the workdir (25.11 cannot "
                        "load the trace)");
    } else {
        const char *miss[3];
        int n = 0;
        if (!m->has_workdir) miss[n++] = "workdir";
        if (!m->has_program) miss[n++] = "program";
        if (!m->has_args) miss[n++] = "args";
        if (n)
            file_diag(c, R_META_FIELD, c->meta_file, "trace_metadata.json has no %s%s%s%s%s "
                      "(or not of the right JSON type): %s",
                      miss[0], n > 1 ? (n > 2 ? ", " : " or ") : "", n > 1 ? miss[1] : "",
                      n > 2 ? " or " : "", n > 2 ? miss[2] : "",
                      c->o.target == CTREC_CHECK_25_11
                          ? "CodeTracer 25.11 cannot read it"
                          : "the debugger reads only the workdir (else it takes the trace folder)");
        else if (c->o.target == CTREC_CHECK_25_11 && !m->serde_ok)
            file_diag(c, R_META_FIELD, c->meta_file, "trace_metadata.json is not what 25.11's "
                      "TraceMetadata decodes (serde_json: an arg that is not a string, bytes "
                      "after the object, or a spelling its parser refuses): CodeTracer 25.11 "
                      "cannot read it");
        if (c->o.target == CTREC_CHECK_LATEST && !is_uuid7(m->recording_id))
            file_diag(c, R_RECORDING_ID, c->meta_file, "trace_metadata.json has %s: the newest "
                      "reference TraceMetadata requires a UUIDv7 there",
                      m->recording_id[0] ? "a recording_id that is not a lowercase UUIDv7"
                                         : "no recording_id");
        if (m->has_workdir) {
            c->workdir = m->workdir;
            c->workdir_abs = m->workdir[0] == '/';
        }
    }
    c->paths_file_ok = path_is_file(c->paths_file);
    if (!c->paths_file_ok)
        file_diag(c, R_PATHS_MISSING, c->paths_file, "no trace_paths.json");
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

static void check_two_layouts(chk *c)
{
    if (!c->two_layouts) return;
    if (c->ms_bound) {
        snprintf(c->msg, sizeof c->msg, "the container holds both layouts, and its multi-stream "
                 "members (which the debugger reads only to serve single steps, values and "
                 "calls) were not read whole (%s): the check could not compare them with "
                 "events.log", c->ms_err);
        emit_fix(c, R_OVER_BOUND, c->trace_file, CTREC_CHECK_NO_EVENT, NULL, c->msg,
                 "the trace may be fine: check again with a larger bound (ctrec check "
                 "--max-event BYTES)");
        c->undecided = 1;
        return;
    }
    if (c->ms_err[0])
        snprintf(c->msg, sizeof c->msg, "the container holds both layouts: the debugger builds "
                 "the trace from events.log (db-backend open_old_format), and the multi-stream "
                 "members, which it reads only to serve single steps, values and calls, do not "
                 "read (%s): it drops them", c->ms_err);
    else if (c->ms_steps != c->nsteps || c->ms_calls != c->ncalls)
        snprintf(c->msg, sizeof c->msg, "the container holds both layouts and they disagree: "
                 "events.log, which the debugger builds the trace from (db-backend "
                 "open_old_format), holds %llu step%s and %llu call%s; the multi-stream "
                 "members, which it reads only to serve single steps, values and calls, hold "
                 "%llu step%s and %llu call%s",
                 (unsigned long long)c->nsteps, plural(c->nsteps),
                 (unsigned long long)c->ncalls, plural(c->ncalls),
                 (unsigned long long)c->ms_steps, plural(c->ms_steps),
                 (unsigned long long)c->ms_calls, plural(c->ms_calls));
    else
        return;
    emit(c, R_CT_TWO_LAYOUTS, c->trace_file, CTREC_CHECK_NO_EVENT, NULL, c->msg);
}

/* The multi-stream members of a container that also holds events.log, read
 * through r to the end: their Steps and Calls, or why they do not read. */
static void count_streams(chk *c, ctrec_reader *r)
{
    const ctrec_ev *ev;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ev->type == CTREC_EV_STEP) c->ms_steps++;
        else if (ev->type == CTREC_EV_CALL) c->ms_calls++;
    }
    if (st == CTREC_E_NOMEM) c->nomem = 1;
    else if (st) snprintf(c->ms_err, sizeof c->ms_err, "%s", ctrec_reader_errmsg(r));
    c->ms_bound = st && ctrec_reader_event_too_large(r);
}

static void check_end(chk *c)
{
    check_two_layouts(c);
    if (c->untyped_uses) {
        /* No Type at all: the debugger's placeholder-type case. */
        emit(c, R_NO_TYPES, c->trace_file, c->untyped_first_index, c->untyped_first_json,
             "values use type ids but the trace defines no Type: the debugger shows every "
             "value with a placeholder type");
    }
    uint64_t top = 1 + (uint64_t)c->synth_call; /* latest: the made-up one too */
    if (c->depth > top) {
        snprintf(c->msg, sizeof c->msg, "%llu calls besides the top-level one are still open "
                 "at the end of the trace", (unsigned long long)(c->depth - top));
        emit(c, R_OPEN_CALLS, c->trace_file, CTREC_CHECK_NO_EVENT, NULL, c->msg);
    }
    if (c->nsteps == 0)
        emit(c, R_NO_STEP, c->trace_file, CTREC_CHECK_NO_EVENT, NULL,
             "the trace has no Step: the debugger has nothing to show");
    if (c->paths_file_ok && !c->paths_mismatch_reported &&
        ctrec_reader_path_count(c->r) != c->npaths) {
        snprintf(c->msg, sizeof c->msg, "trace_paths.json lists %zu paths, the stream has %llu "
                 "Path events", ctrec_reader_path_count(c->r), (unsigned long long)c->npaths);
        emit(c, R_PATHS_MISMATCH, c->paths_file, CTREC_CHECK_NO_EVENT, NULL, c->msg);
    }
    if (c->is_ct) check_step_map(c);
}

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------ */

const char *ctrec_check_target_name(ctrec_check_target target)
{
    switch (target) {
    case CTREC_CHECK_LATEST: return "latest";
    case CTREC_CHECK_25_11: return "25.11";
    }
    return "?";
}

ctrec_status ctrec_check_target_parse(const char *text, ctrec_check_target *target)
{
    if (!text || !target) return CTREC_E_ARG;
    if (strcmp(text, "latest") == 0) *target = CTREC_CHECK_LATEST;
    else if (strcmp(text, "25.11") == 0) *target = CTREC_CHECK_25_11;
    else return CTREC_E_ARG;
    return CTREC_OK;
}

const char *ctrec_check_verdict_name(ctrec_check_verdict verdict)
{
    switch (verdict) {
    case CTREC_CHECK_LOADS: return "loads";
    case CTREC_CHECK_LOADS_WITH_WARNINGS: return "loads-with-warnings";
    case CTREC_CHECK_REFUSED: return "refused";
    case CTREC_CHECK_UNDECIDED: return "undecided";
    }
    return "?";
}

const char *ctrec_check_severity_name(ctrec_check_severity severity)
{
    switch (severity) {
    case CTREC_CHECK_ERROR: return "error";
    case CTREC_CHECK_WARNING: return "warning";
    }
    return "?";
}

void ctrec_check_options_init(ctrec_check_options *opts)
{
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->target = CTREC_CHECK_LATEST;
    opts->check_files = 1;
}

static void chk_free(chk *c)
{
    ctrec_reader_close(c->r);
    free(c->dir);
    free(c->paths_file);
    free(c->meta_file);
    free(c->json);
    free(c->types);
    for (size_t i = 0; i < c->fns_cap; i++) free(c->fns[i].name);
    free(c->fns);
    free(c->places.slots);
    free(c->places.used);
    free(c->untyped_first_json);
    free(c->smpos);
    free(c->smacc);
}

ctrec_status ctrec_check(const char *path, const ctrec_check_options *opts,
                         ctrec_check_callback cb, void *userdata, ctrec_check_summary *out)
{
    ctrec_check_summary dummy;
    if (!out) out = &dummy;
    memset(out, 0, sizeof *out);
    if (!path) return CTREC_E_ARG;
    chk c;
    memset(&c, 0, sizeof c);
    if (opts) c.o = *opts;
    else ctrec_check_options_init(&c.o);
    if (c.o.target != CTREC_CHECK_LATEST && c.o.target != CTREC_CHECK_25_11) return CTREC_E_ARG;
    c.cb = cb;
    c.ud = userdata;
    c.sum = out;

    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    ro.strict = c.o.target == CTREC_CHECK_25_11 ? 2 : 1; /* the target's own parsers */
    if (c.o.max_event_bytes) ro.max_event_bytes = c.o.max_event_bytes;
    c.ro = ro;
    ctrec_status st = ctrec_reader_open(path, &ro, &c.r);
    if (!c.r) return CTREC_E_NOMEM;
    /* A .ct holding both layouts: the debugger builds the trace from
     * events.log, so that is what is checked. */
    if (st != CTREC_E_NOMEM && ctrec_reader_format(c.r) == CTREC_FORMAT_CT &&
        c.o.target == CTREC_CHECK_LATEST && has_member(&c, "steps.dat") &&
        has_member(&c, "events.log")) {
        c.two_layouts = 1;
        if (st) {
            snprintf(c.ms_err, sizeof c.ms_err, "%s", ctrec_reader_errmsg(c.r));
            c.ms_bound = ctrec_reader_event_too_large(c.r);
        } else {
            count_streams(&c, c.r);
        }
        ctrec_reader_close(c.r);
        c.r = NULL;
        if (c.nomem) return CTREC_E_NOMEM;
        ro.ct_layout = CTREC_CT_LAYOUT_EVENTS_LOG;
        c.ro = ro;
        st = ctrec_reader_open(path, &ro, &c.r);
        if (!c.r) return CTREC_E_NOMEM;
    }
    if (st != CTREC_OK) {
        if (st == CTREC_E_NOMEM) {
            chk_free(&c);
            return st;
        }
        if (check_sidecar(&c, path)) {
            chk_free(&c);
            return CTREC_E_NOMEM;
        }
        if (ctrec_reader_event_too_large(c.r)) {
            /* a .ct's meta.dat or interning table over the bound: the
             * debugger has none */
            over_bound(&c, path, CTREC_CHECK_NO_EVENT,
                       "the trace may be fine: check again with a larger bound (ctrec check "
                       "--max-event BYTES); nothing in it was checked");
            out->stopped = 1;
            out->verdict = CTREC_CHECK_UNDECIDED;
            chk_free(&c);
            return CTREC_OK;
        }
        snprintf(c.msg, sizeof c.msg, "%s", ctrec_reader_errmsg(c.r));
        emit(&c, R_UNREADABLE, path, CTREC_CHECK_NO_EVENT, NULL, c.msg);
        out->stopped = 1;
        out->verdict = CTREC_CHECK_REFUSED;
        chk_free(&c);
        return CTREC_OK;
    }
    out->format = ctrec_reader_format(c.r);
    c.is_json = out->format == CTREC_FORMAT_JSON;
    c.is_ct = out->format == CTREC_FORMAT_CT;
    if (c.is_ct) { /* without a step map nothing is kept per step or line */
        c.sm_none = ctrec_reader_step_map_source(c.r) == NULL;
    }
    c.trace_file = ctrec_reader_trace_file(c.r);
    c.dir = path_dir(c.trace_file);
    c.paths_file = c.dir ? path_join(c.dir, "trace_paths.json") : NULL;
    c.meta_file = c.dir ? path_join(c.dir, "trace_metadata.json") : NULL;
    if (!c.dir || !c.paths_file || !c.meta_file) {
        chk_free(&c);
        return CTREC_E_NOMEM;
    }

    check_side_files(&c);
    if (c.is_ct && check_sidecar(&c, c.trace_file)) {
        chk_free(&c);
        return CTREC_E_NOMEM;
    }

    for (;;) {
        if (c.stop || c.nomem) break;
        const ctrec_ev *ev;
        uint64_t index = ctrec_reader_event_count(c.r);
        st = ctrec_reader_next(c.r, &ev);
        if (st != CTREC_OK) {
            if (st == CTREC_E_NOMEM) {
                c.nomem = 1;
                break;
            }
            c.ev = NULL;
            if (ctrec_reader_event_too_large(c.r)) {
                over_bound(&c, c.trace_file, index, NULL);
                c.stop = 1;
                break;
            }
            snprintf(c.msg, sizeof c.msg, "%s", ctrec_reader_errmsg(c.r));
            if (st == CTREC_E_DEPTH) {
                emit(&c, R_TOO_DEEP, c.trace_file, index, NULL, c.msg);
                c.stop = 1;
                break;
            }
            /* A file that ends in the middle of an event or without its end
             * (the recording was killed or failed) is not a writing mistake
             * to fix event by event. */
            emit_fix(&c, R_PARSE, c.trace_file, index, NULL, c.msg,
                     st == CTREC_E_TRUNCATED
                         ? "`ctrec repair` completes it: it keeps every event before the "
                           "damage and ends the file; nothing after the damage was checked"
                         : NULL);
            c.stop = 1;
            break;
        }
        if (!ev) break;
        c.ev = ev;
        c.index = index;
        c.reported = 0;
        c.json_done = 0;
        check_event(&c, ev);
        c.ev = NULL;
    }
    out->events = ctrec_reader_event_count(c.r);
    if (!c.stop && !c.nomem) check_end(&c);
    out->stopped = c.stop;
    /* stopped by max_diagnostics or the callback: what was not read
     * decides nothing */
    if (c.stop && !out->errors) c.undecided = 1;
    out->verdict = out->errors     ? CTREC_CHECK_REFUSED
                   : c.undecided   ? CTREC_CHECK_UNDECIDED
                   : out->warnings ? CTREC_CHECK_LOADS_WITH_WARNINGS
                                   : CTREC_CHECK_LOADS;
    st = c.nomem ? CTREC_E_NOMEM : CTREC_OK;
    chk_free(&c);
    return st;
}
