/*
 * ctrec_reader.h — read CodeTracer traces (trace.json, trace.bin or a
 * CTFS container such as trace.ct).
 *
 * A reader opens a trace folder, a trace.json, a trace.bin or a .ct and
 * yields the events one at a time as C structs. The format is detected from
 * the content, not the name: a file whose first non-space byte is '[' is
 * JSON; a file starting with C0 DE 72 AC E2 01 is binary v1; C0 DE 72 AC E2
 * with version 2, 3 or 4 is a CTFS container. A folder is read through its
 * `*.ct` if it holds one (the debugger's order), else its trace.json, else
 * its trace.bin.
 *
 * A .ct yields the same event sequence a trace.json of the same run would
 * hold (the order is documented in docs/ct.md). What trace.json cannot
 * hold is carried by the extensions marked "CT" below: a step's column,
 * Raise and Catch events, a call's exception, the value kinds Set, Enum
 * and ValueRef, a Bool's text and a Struct's field names. A .ct also
 * allows random access (ctrec_reader_seek_step).
 *
 *   ctrec_reader *r;
 *   if (ctrec_reader_open("trace-dir", NULL, &r) != CTREC_OK) {
 *       fprintf(stderr, "%s\n", ctrec_reader_errmsg(r));
 *       ctrec_reader_close(r);
 *       return 1;
 *   }
 *   const ctrec_ev *ev;
 *   ctrec_status st;
 *   while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
 *       if (ev->type == CTREC_EV_STEP) printf("line %lld\n", (long long)ev->step.line);
 *   }
 *   if (st) fprintf(stderr, "%s\n", ctrec_reader_errmsg(r));
 *   ctrec_reader_close(r);
 *
 * Conventions
 * - Statuses are the ctrec_status codes of ctrec.h. After a failure,
 *   ctrec_reader_errmsg() names the file and the event index or byte offset,
 *   e.g. "trace.bin: truncated zstd frame at byte 123456 after event 9812".
 * - Memory stays constant whatever the size of the trace: an event and
 *   everything it points to (values, text, arrays) live in buffers that the
 *   next call to ctrec_reader_next() reuses. Copy what you need to keep.
 * - Text is pointer + length (ctrec_str); it is not NUL-terminated. JSON
 *   escapes are decoded; invalid UTF-8 is passed through as found.
 * - The reader never trusts lengths or counts from the file and bounds value
 *   nesting (max_depth), so a damaged or hostile file gives an error, never a
 *   crash or an unbounded allocation.
 * - A damaged file (a trace.bin without seek table, a truncated last frame,
 *   a trace.json without its closing ']') yields every event before the
 *   damage, then an error (CTREC_E_TRUNCATED or CTREC_E_FORMAT).
 * - A reader is not thread-safe: use it from one thread at a time.
 */
#ifndef CTREC_READER_H
#define CTREC_READER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrec/ctrec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Events and values as C structs
 * ------------------------------------------------------------------------ */

/* The event variants of the trace format. The legacy `Variable` variant is read
 * as CTREC_EV_VARIABLE_NAME. */
typedef enum ctrec_event_type {
    CTREC_EV_STEP = 0,
    CTREC_EV_PATH,
    CTREC_EV_VARIABLE_NAME,
    CTREC_EV_TYPE,
    CTREC_EV_VALUE,
    CTREC_EV_FUNCTION,
    CTREC_EV_CALL,
    CTREC_EV_RETURN,
    CTREC_EV_EVENT,
    CTREC_EV_ASM,
    CTREC_EV_BIND_VARIABLE,
    CTREC_EV_ASSIGNMENT,
    CTREC_EV_DROP_VARIABLES,
    CTREC_EV_COMPOUND_VALUE,
    CTREC_EV_CELL_VALUE,
    CTREC_EV_ASSIGN_COMPOUND_ITEM,
    CTREC_EV_ASSIGN_CELL,
    CTREC_EV_VARIABLE_CELL,
    CTREC_EV_DROP_VARIABLE,
    CTREC_EV_THREAD_START,
    CTREC_EV_THREAD_EXIT,
    CTREC_EV_THREAD_SWITCH,
    CTREC_EV_DROP_LAST_STEP,
    /* CT: an exception raised (steps.dat tag 2) and caught (tag 3). Each
     * takes the place of a step: it has a step index of its own. */
    CTREC_EV_RAISE,
    CTREC_EV_CATCH,
    /* CT: one record of the span stream (spans.dat, meta.dat flag 0x2000):
     * a labelled interval of execution (an HTTP request, a process, a
     * test). All of them come after the last step (docs/ct.md). */
    CTREC_EV_SPAN
} ctrec_event_type;
#define CTREC_EV_TYPE_COUNT 26

/* The variant name as the format spells it ("Step", "DropLastStep"), or
 * "?" for a number out of range. */
const char *ctrec_event_type_name(ctrec_event_type type);

/* ValueRecord kinds. */
typedef enum ctrec_value_kind {
    CTREC_VAL_INT = 0,
    CTREC_VAL_FLOAT,
    CTREC_VAL_BOOL,
    CTREC_VAL_STRING,
    CTREC_VAL_SEQUENCE,
    CTREC_VAL_TUPLE,
    CTREC_VAL_STRUCT,
    CTREC_VAL_VARIANT,
    CTREC_VAL_REFERENCE,
    CTREC_VAL_RAW,
    CTREC_VAL_ERROR,
    CTREC_VAL_NONE,
    CTREC_VAL_CELL,
    CTREC_VAL_BIGINT,
    CTREC_VAL_CHAR,
    CTREC_VAL_SET,       /* CT */
    CTREC_VAL_ENUM,      /* CT */
    CTREC_VAL_VALUE_REF  /* CT */
} ctrec_value_kind;
#define CTREC_VAL_KIND_COUNT 18

/* The kind as the format spells it ("Int", "BigInt"), or "?". */
const char *ctrec_value_kind_name(ctrec_value_kind kind);

/*
 * One ValueRecord node. Which fields are meaningful depends on `kind`:
 *
 *   Int        i, type_id, b (1: "i" was a text string, JSON only)
 *   Float      f, type_id, b (1: "f" was a text string, 0: a JSON number)
 *   Bool       b, type_id, text (the "text" a .ct carries, and trace.json
 *              or trace.bin converted from one; else empty)
 *   String     text, type_id            Raw   text (r), type_id
 *   Error      text (msg), type_id      Char  text (c), type_id
 *   None       type_id
 *   Cell       i (the place); no type_id
 *   BigInt     text (the base64 magnitude as written), b (negative), type_id
 *   Sequence   children (elements), b (is_slice), type_id
 *   Tuple      children (elements), type_id
 *   Struct     children (field_values), type_id, names (CT: field_names
 *              when the file has them, one per child; else NULL)
 *   Variant    text (discriminator), children[0] (contents), type_id
 *   Reference  children[0] (dereferenced), address, b (mutable), type_id
 *   Set        children (members), type_id                               CT
 *   Enum       text (name), i (ordinal), type_id                         CT
 *   ValueRef   i (the referenced value id, CBOR tag 256); no type_id      CT
 *
 * A CT BigInt's magnitude is a CBOR byte string in the file; it is given
 * base64-encoded in `text` like trace.bin's. A CT Float is a CBOR float64.
 * Unused fields are 0. Variant and Reference always have exactly one child.
 */
typedef struct ctrec_value {
    ctrec_value_kind kind;
    int b;
    ctrec_id type_id;
    int64_t i;
    double f;
    uint64_t address;
    ctrec_str text;
    const struct ctrec_value *children;
    size_t nchildren;
    const ctrec_str *names; /* Struct field names (CT), nchildren of them, or NULL */
} ctrec_value;

/* Type specific_info kinds. */
typedef enum ctrec_type_info {
    CTREC_INFO_NONE = 0,
    CTREC_INFO_STRUCT,
    CTREC_INFO_POINTER
} ctrec_type_info;

/* An argument of a Call: {variable_id, value}. */
/*
 * CT: one record of the span stream (spans.dat), as stored: a span may have
 * an open record (flags bit 0, appended when it starts) and a later one
 * with the same span_id that completes it; the last record of a span_id
 * holds its settled state. Strings are valid UTF-8 (the reader refuses
 * others) and owned by the reader until the next ctrec_reader_next().
 */
typedef struct ctrec_span {
    uint64_t span_id;        /* 1-based */
    uint64_t parent_span_id; /* 0: none */
    unsigned flags;          /* bit 0: open record, bit 1: external */
    unsigned status;         /* 0 unknown, 1 ok, 2 error */
    uint64_t start_wall_ns, end_wall_ns; /* UNIX epoch ns; end 0 when open */
    uint64_t process_ord, thread_id;
    uint64_t start_step, end_step;       /* end 0 when open */
    ctrec_str external_recording, external_path; /* flags bit 1 only */
    ctrec_str span_type;     /* "web-request", "process", "test", ... */
    ctrec_str label;         /* "GET /api/users", an executable, ... */
    /* bit 0: contiguous on one thread, bit 1: shares the timeline, bit 2:
     * concurrent with its siblings */
    unsigned structural;
    /* metadata_count key/value pairs in their stored order:
     * metadata[2*i] is a key, metadata[2*i+1] its value */
    const ctrec_str *metadata;
    size_t metadata_count;
} ctrec_span;

typedef struct ctrec_full_value {
    ctrec_id variable_id;
    const ctrec_value *value;
} ctrec_full_value;

/*
 * One event: `type` says which member of the union is meaningful.
 *
 *   Step                          step (column: CT, 0 when the file has none)
 *   Path, VariableName            text
 *   Type                          type_def
 *   Value                         value
 *   Function                      function
 *   Call                          call
 *   Return                        ret (exception, is_void: CT)
 *   Raise, Catch                  raise (CT; Catch has no message)
 *   Span                          span (CT)
 *   Event                         event
 *   Asm                           asm_ins
 *   BindVariable, VariableCell    var_place
 *   Assignment                    assignment
 *   DropVariables                 drop_variables
 *   CompoundValue, CellValue,
 *   AssignCell                    place_value (AssignCell's new_value)
 *   AssignCompoundItem            assign_compound_item
 *   DropVariable                  id (the variable id)
 *   ThreadStart/Exit/Switch       id (the thread id)
 *   DropLastStep                  nothing
 */
typedef struct ctrec_ev {
    ctrec_event_type type;
    union {
        struct { ctrec_id path_id; int64_t line; int64_t column; } step;
        ctrec_str text;
        struct {
            ctrec_type_kind kind;
            ctrec_str lang_type;
            ctrec_type_info info;
            const ctrec_field *fields; /* Struct info: nfields fields */
            size_t nfields;
            ctrec_id dereference_type_id; /* Pointer info */
        } type_def;
        struct { ctrec_id variable_id; const ctrec_value *value; } value;
        struct { ctrec_id path_id; int64_t line; ctrec_str name; } function;
        struct { ctrec_id function_id; const ctrec_full_value *args; size_t nargs; } call;
        struct {
            const ctrec_value *return_value;
            /* CT: the call's exception value, or NULL. is_void: the call
             * record says "no return value" (FF); return_value is then a
             * None of type_id 0. */
            const ctrec_value *exception;
            int is_void;
        } ret;
        struct { ctrec_id type_id; ctrec_str message; } raise;
        const ctrec_span *span;
        struct { ctrec_event_kind kind; ctrec_str metadata; ctrec_str content; } event;
        struct { const ctrec_str *instructions; size_t count; } asm_ins;
        struct { ctrec_id variable_id; int64_t place; } var_place;
        struct {
            ctrec_id to;
            ctrec_pass_by pass_by;
            int compound;          /* 0: Simple RValue (count == 1), 1: Compound */
            const ctrec_id *from;
            size_t count;
        } assignment;
        struct { const ctrec_id *ids; size_t count; } drop_variables;
        struct { int64_t place; const ctrec_value *value; } place_value;
        struct { int64_t place; uint64_t index; int64_t item_place; } assign_compound_item;
        uint64_t id;
    };
} ctrec_ev;

/* ------------------------------------------------------------------------
 * Opening, reading, closing
 * ------------------------------------------------------------------------ */

typedef struct ctrec_reader ctrec_reader;

typedef struct ctrec_reader_options {
    /* Follow a recording still being written: at the end of the data, wait
     * for the file to grow (polling every poll_ms) until the recording is
     * closed (JSON: the closing ']'; binary: the seek table), *stop becomes
     * non-zero, or no new byte arrived for follow_timeout_ms. Default 0. */
    int follow;
    unsigned poll_ms;            /* default 50 */
    unsigned follow_timeout_ms;  /* 0 (default): wait forever; else running
                                    out of time is a CTREC_E_TRUNCATED error */
    /* Optional stop flag, polled while waiting (a signal handler may set
     * it). When it is set, ctrec_reader_next() reports the end (CTREC_OK,
     * *ev NULL) and ctrec_reader_complete() returns 0. A .ct has no end
     * marker: there, once the flag is seen, the reader looks at the
     * container once more and first delivers what its recorder published
     * by then (when the recorder is gone, that is the whole trace), without
     * waiting; ctrec_reader_complete() then says whether that reached the
     * end of the steps. */
    const volatile sig_atomic_t *stop;
    /* Value nesting bound; deeper values are a CTREC_E_DEPTH error.
     * Default 1000, at most 2000 (a larger setting is lowered to 2000:
     * values are parsed recursively, about 300 bytes of stack a level). */
    unsigned max_depth;
    /* Largest event, in encoded bytes, the reader accepts; default 64 MiB
     * (CTREC_MAX_EVENT_BYTES, the bound the writer keeps by default).
     * The reader may hold up to this much of an event (and its decoded
     * text) in memory before refusing it, so the bound is also its memory
     * bound for hostile input. Raise it to read traces with larger values.
     * In a .ct the bound applies to a record (a step's values, a call, an
     * I/O event), an interning table's record, meta.dat, and a steps.dat
     * or spans.dat chunk; a values.dat or events.dat chunk over it is read
     * through a window (docs/ct.md, "Limits on hostile input"). */
    size_t max_event_bytes;
    /* The grammar of the debugger's own parsers. 0 (default): the reader
     * also accepts spellings those parsers refuse, and counts them
     * (ctrec_reader_forgiven). 1: each is a CTREC_E_FORMAT error, as it is
     * for the current debugger; 2: as it is for CodeTracer 25.11 (ctrec
     * check sets the one of its target). The two differ in trace.json only:
     * the current debugger decodes it through a serde_json::Value, so a
     * repeated key keeps its last value and an Int's "i" may be a string of
     * an i64 (dap_server.rs normalize_legacy_trace_json_values); 25.11
     * refuses both, and a Call without "args" (the current types default it
     * to none). Both refuse, in either format: a Sequence without
     * "is_slice", a Char that is not one character, the integer -0, a
     * BigInt whose "b" is not canonical standard base64.
     * What the grammar covers:
     *   trace.json (serde_json): a raw control character or invalid UTF-8
     *     in a string, a lone surrogate escape (\ud800), a number that is
     *     not JSON (01, 1., .5, +1, -) or overflows a double, arrays and
     *     objects nested more than 127 deep (the top-level array counts),
     *     anything but whitespace after the closing ']';
     *   trace.bin (the seekable-zstd reader and cbor4ii): header bytes 6 and
     *     7 not zero, bytes after the seek table, arrays and maps nested
     *     more than 127 deep in an event, invalid UTF-8 in a text string.
     * A lenient read checks the grammar only where its parser passes anyway
     * (it costs a second pass over the bytes otherwise): it counts raw
     * control characters and lone surrogate escapes in strings, leading
     * zeros in integers, bytes after ']' or after the seek table and
     * reserved header bytes, but not invalid UTF-8, nesting or the
     * spelling of numbers in fields it skips. */
    int strict;
    /* .ct only. 0 (default): everything is read on the calling thread.
     * 1: while the calling thread decodes a chunk of steps.dat, values.dat,
     * events.dat or calls.dat, one background thread of the reader reads
     * and inflates the chunks after it (up to 8 a stream, at most 2 MB
     * ahead past the first; calls.dat chunks whose content is under its
     * 1 MB window), through its own file descriptor. It starts at the first
     * chunk read on in order; a seek drops what was read ahead; if the
     * thread cannot be started, everything is read inline. The events are
     * the same either way, errors included, reported at the same event with
     * the same message. It takes zstd (about 40 % of the work on W1) off the
     * calling thread, for about 3,000 thread wake-ups per 12 M steps: it
     * pays when a second core is free, and costs a few per cent of CPU
     * when none is. */
    int read_ahead;
    /* .ct only: which layout of the container is read (ctrec_ct_layout).
     * Most containers hold one: the multi-stream members (steps.dat and the
     * others) or the older events.log. Some hold both (the Elixir
     * recorder's; the Rust crate's CTFS writer adds the streams beside its
     * events.log), and the two may not hold the same trace. The debugger
     * builds its trace from events.log whenever there is one (db-backend
     * open_old_format), and reads the multi-stream members of such a
     * container only to serve single steps, values and calls on demand.
     *   CTREC_CT_LAYOUT_AUTO (0, default): the multi-stream members when
     *     steps.dat is present, else events.log.
     *   CTREC_CT_LAYOUT_STREAMS: the multi-stream members; opening fails
     *     when there is no steps.dat.
     *   CTREC_CT_LAYOUT_EVENTS_LOG: events.log; opening fails when there is
     *     none. What the debugger reads.
     * Another value fails the open (CTREC_E_ARG). Ignored for trace.json and
     * trace.bin. ctrec_reader_ct_layout() says which layout was read. */
    int ct_layout;
} ctrec_reader_options;

/* The layouts of a .ct container (ctrec_reader_options.ct_layout). */
typedef enum ctrec_ct_layout {
    CTREC_CT_LAYOUT_AUTO = 0,
    CTREC_CT_LAYOUT_STREAMS = 1,
    CTREC_CT_LAYOUT_EVENTS_LOG = 2
} ctrec_ct_layout;

/* Fills *opts with the defaults above. Call it before setting fields. */
void ctrec_reader_options_init(ctrec_reader_options *opts);

/*
 * Opens `path`: a trace folder (its trace.json, else its trace.bin), or a
 * trace file (the format is detected from its content). The folder's
 * trace_metadata.json and trace_paths.json are read if present (for a file,
 * those beside it). `opts` may be NULL for the defaults.
 *
 * *out receives a handle whether or not the open succeeds (NULL only when
 * memory is exhausted); on failure ctrec_reader_errmsg() says why, and the
 * handle must still be released with ctrec_reader_close().
 *
 * In follow mode a missing or still empty trace file is waited for.
 */
ctrec_status ctrec_reader_open(const char *path, const ctrec_reader_options *opts,
                               ctrec_reader **out);

/*
 * Reads the next event into *ev. Returns CTREC_OK with *ev pointing at the
 * event, or CTREC_OK with *ev NULL at the end of a complete trace (or when
 * the follow stop flag was set). Any other status is an error (the message
 * names the file, the event index and/or the byte offset); the reader then
 * keeps returning that error. The event and everything it points to stay
 * valid until the next call on the reader.
 */
ctrec_status ctrec_reader_next(ctrec_reader *r, const ctrec_ev **ev);

/* Frees the reader and everything it returned. Accepts NULL. */
void ctrec_reader_close(ctrec_reader *r);

/* What a lenient reader (strict = 0) forgave so far: returns a
 * description of the first deviation ("" if none; never NULL), the number
 * of deviations in *count and the index of the event holding the first in
 * *first_event (either pointer may be NULL). Tools print it as a warning:
 * the debugger would refuse the file. */
const char *ctrec_reader_forgiven(const ctrec_reader *r, uint64_t *count, uint64_t *first_event);

/* 1 when the reader failed because an event is larger than
 * max_event_bytes (for a .ct: what max_event_bytes says, at open or while
 * reading): the trace may be fine, a larger bound reads it. */
int ctrec_reader_event_too_large(const ctrec_reader *r);

/* The message of the reader's error ("" if none). Never NULL. */
const char *ctrec_reader_errmsg(const ctrec_reader *r);

/* The format detected. */
ctrec_format ctrec_reader_format(const ctrec_reader *r);

/* For a .ct, the layout being read: CTREC_CT_LAYOUT_STREAMS or
 * CTREC_CT_LAYOUT_EVENTS_LOG (ctrec_reader_options.ct_layout);
 * CTREC_CT_LAYOUT_AUTO (0) for trace.json, trace.bin, or a .ct whose open
 * failed before a layout was taken. */
int ctrec_reader_ct_layout(const ctrec_reader *r);

/* The path of the trace file being read (trace.json or trace.bin). */
const char *ctrec_reader_trace_file(const ctrec_reader *r);

/* Number of events returned so far. */
uint64_t ctrec_reader_event_count(const ctrec_reader *r);

/* 1 once the end of a complete trace was reached (JSON: the closing ']';
 * binary: the seek table), else 0. */
int ctrec_reader_complete(const ctrec_reader *r);

/* Bytes of the trace file consumed so far (compressed bytes for trace.bin). */
uint64_t ctrec_reader_bytes_read(const ctrec_reader *r);

/* ------------------------------------------------------------------------
 * trace_metadata.json and trace_paths.json
 * ------------------------------------------------------------------------ */

/* The fields of trace_metadata.json. Missing fields are "" / no args;
 * `present` is 0 when the file was missing or unreadable. Strings are
 * NUL-terminated copies owned by the reader. */
typedef struct ctrec_trace_metadata {
    int present;
    const char *recording_id;
    const char *workdir;
    const char *program;
    const char *const *args;
    size_t nargs;
    /* 1 when the file has the field with the right JSON type (workdir and
     * program strings, args an array), so that "" tells from missing. */
    int has_workdir, has_program, has_args;
    /* 1 when serde_json decodes the file as CodeTracer 25.11's
     * TraceMetadata {workdir, program, args: [string]} (its grammar, no
     * bytes after the object, every arg a string); ctrec check's 25.11
     * rules use it, the lenient fields above are read either way. */
    int serde_ok;
} ctrec_trace_metadata;

/* The metadata read at open. Never NULL for a non-NULL reader. */
const ctrec_trace_metadata *ctrec_reader_metadata(const ctrec_reader *r);

/* trace_paths.json as read at open: the number of paths, and path i (NULL
 * if i is out of range; *len receives its length; NUL-terminated). Returns
 * 0 paths when the file is missing. */
size_t ctrec_reader_path_count(const ctrec_reader *r);
const char *ctrec_reader_path(const ctrec_reader *r, size_t i, size_t *len);

/* ------------------------------------------------------------------------
 * CTFS containers (.ct)
 * ------------------------------------------------------------------------ */

/*
 * Positions a .ct reader at step `step` (0-based: the index of the record
 * in steps.dat; Raise, Catch and thread records have step indexes too)
 * without decoding what comes before: one chunk of each stream is read,
 * plus a binary search over the chunks of calls.dat and events.dat and the
 * records of the calls still open at that step. The next events are the
 * step's Step, its Values, the Calls entering there, its Events, the
 * Returns there, and so on to the end (docs/ct.md); definitions are not
 * repeated, and the calls open at `step` are not announced again (their
 * Returns come at their exit steps). May be called at any time, also after
 * the end. CTREC_E_ARG: no such step (the reader stays usable);
 * CTREC_E_UNSUPPORTED: not a .ct read in its multi-stream layout (an
 * events.log is an event stream without step indexes); other statuses:
 * damage (as for _next).
 */
ctrec_status ctrec_reader_seek_step(ctrec_reader *r, uint64_t step);

/* .ct: the index of the step being delivered (the last Step's), 0 before. */
uint64_t ctrec_reader_step_index(const ctrec_reader *r);

/* .ct: the container's members in root-entry order: name (NUL-terminated,
 * owned by the reader; NULL for i out of range) and published size. 0
 * members for other formats. Available even when the open failed in the
 * layout above the container (a bad meta.dat), to debug recorders. */
size_t ctrec_reader_member_count(const ctrec_reader *r);
const char *ctrec_reader_member(const ctrec_reader *r, size_t i, uint64_t *size);

/* .ct: reads up to n bytes of member `name` at `offset` into out; *got
 * receives the count (0 at or past the end). CTREC_E_ARG: no such member. */
ctrec_status ctrec_reader_read_member(ctrec_reader *r, const char *name, uint64_t offset,
                                      void *out, size_t n, size_t *got);

/* .ct: the meta.dat fields beyond ctrec_reader_metadata()'s, as key and
 * JSON value text: "recorder_id", "meta_version", "meta_flags", and those
 * behind flag bits (MCR fields "mcr_*", "aslr_disabled", "layout_hash",
 * "layout_fingerprint_bytes", "trace_filter_provenance"). Owned by the
 * reader; NULL for i out of range. */
size_t ctrec_reader_meta_extra_count(const ctrec_reader *r);
const char *ctrec_reader_meta_extra(const ctrec_reader *r, size_t i, const char **json);

/* .ct: lines saying what the container holds that is not turned into
 * events (spantype.ns, a span stream without meta.dat flag 0x2000, meta.dat
 * flag bits this reader does not know), e.g. "spantype.ns: 120 bytes, not
 * turned into events". */
size_t ctrec_reader_note_count(const ctrec_reader *r);
const char *ctrec_reader_note(const ctrec_reader *r, size_t i);

/*
 * .ct: the BEAM recorders' sidecar files. The debugger (db-backend of
 * 2026-08, ctfs_trace_reader open_elixir_sidecar_format) looks beside a .ct
 * for trace_meta.json and runtime_session.jsonl before it reads the
 * container's streams. When both are regular files it parses
 * trace_meta.json as JSON; when its "recorder" is
 * "codetracer-beam-recorder" or "codetracer-elixir-recorder" it builds the
 * trace from runtime_session.jsonl (one JSON value a line) and never reads
 * the streams this reader reads. *route receives:
 *   CTREC_CT_SIDECAR_NONE       no such route: the debugger reads the
 *                               container (also for trace.json, trace.bin)
 *   CTREC_CT_SIDECAR_BEAM       it shows runtime_session.jsonl instead
 *   CTREC_CT_SIDECAR_REFUSED    the files end its open: trace_meta.json
 *                               unreadable or not JSON (whatever its
 *                               recorder), or, for a BEAM recorder, a
 *                               manifest member ("manifests"[i]
 *                               ."trace_copy_path") or a log line that is
 *                               not blank and not JSON, or not UTF-8
 *   CTREC_CT_SIDECAR_UNDECIDED  a file, member or line over
 *                               max_event_bytes: not checked past it
 * and *what a sentence saying which (NUL-terminated, owned by the reader;
 * "" for NONE). The files are read at the first call, line by line (the
 * events themselves are not decoded), and the answer kept. CTREC_OK, or
 * CTREC_E_NOMEM; route and what may be NULL.
 */
enum {
    CTREC_CT_SIDECAR_NONE = 0,
    CTREC_CT_SIDECAR_BEAM = 1,
    CTREC_CT_SIDECAR_REFUSED = 2,
    CTREC_CT_SIDECAR_UNDECIDED = 3
};
ctrec_status ctrec_reader_ct_sidecar(ctrec_reader *r, int *route, const char **what);

/*
 * .ct: the breakpoint index step-map.ns (docs/ct.md "step-map.ns"): the
 * ascending step ids the index lists for (path_id, line). A step id is a
 * step index as ctrec_reader_step_index() gives it (a steps.dat record
 * index: Raise, Catch and thread records count). The index is what the
 * debugger resolves a breakpoint with when it is sound; it is not checked
 * against the steps here (`ctrec check` does that), only structurally.
 *
 * Fills out[0 .. min(cap, *count)) and sets *count to the number of ids
 * listed (0 when the index has no entry for (path_id, line)); call again
 * with a larger buffer when *count > cap. out may be NULL when cap is 0.
 * The index is the container's member step-map.ns or, when it has none,
 * the file <trace file>.step-map.ns beside the .ct (e.g. trace.ct.step-map.ns),
 * where the debugger looks too (db-backend load_step_map_namespace);
 * ctrec_reader_step_map_source() says which. It is read a few entries at a
 * time, never whole; the first call walks all of it once to refuse
 * structural faults.
 *
 * Returns CTREC_OK; CTREC_E_UNSUPPORTED when the trace is not a .ct or has
 * no step-map.ns in it or beside it; CTREC_E_FORMAT when the index is
 * damaged (bad magic or version, an offset or count outside the member,
 * entries or a list not ascending, first/last not the list's ends;
 * ctrec_reader_errmsg() names step-map.ns, or the file beside, and the
 * offset; the debugger then ignores the index and derives breakpoints from
 * the steps); CTREC_E_IO; CTREC_E_ARG. None of these stops
 * ctrec_reader_next().
 */
ctrec_status ctrec_reader_line_steps(ctrec_reader *r, uint64_t path_id, uint32_t line,
                                     int64_t *out, size_t cap, size_t *count);

/* Called by ctrec_reader_step_map_walk for up to 512 ids of the list of
 * (path_id, line) at a time (`first`: 1 for a list's first batch); `total`
 * is the list's length. An entry whose list is empty (the debugger writes
 * none, but the layout allows it) is handed over once, with `first` 1,
 * `total` and `n` 0 and `ids` NULL, so each entry counted in *lines has
 * exactly one call with `first` 1. Non-zero stops the walk (it then
 * returns CTREC_E_STATE). */
typedef int (*ctrec_line_steps_fn)(void *userdata, uint64_t path_id, uint32_t line,
                                   uint64_t total, const int64_t *ids, size_t n, int first);

/* .ct: every entry of step-map.ns in order (paths ascending, lines
 * ascending, ids ascending), refusing structural faults as
 * ctrec_reader_line_steps() does (entries before a fault have been handed
 * to fn). *lines and *ids (may be NULL): the entries and ids walked. */
ctrec_status ctrec_reader_step_map_walk(ctrec_reader *r, ctrec_line_steps_fn fn,
                                        void *userdata, uint64_t *lines, uint64_t *ids);

/* .ct: where the breakpoint index is: "step-map.ns" (the member), the path
 * of the file beside the .ct (<trace file>.step-map.ns, used when the
 * container has no member of that name), or NULL when there is none (or
 * the trace is not a .ct). Owned by the reader. */
const char *ctrec_reader_step_map_source(ctrec_reader *r);

/* ------------------------------------------------------------------------
 * Events as text, events through a writer
 * ------------------------------------------------------------------------ */

/*
 * Spells `ev` as one JSON event exactly as the writer would write it in
 * trace.json (same encoder), without a trailing newline. The text is placed
 * in *buf (grown with realloc as needed, *cap its size; start with NULL and
 * 0, free() it at the end), its length in *len (a NUL follows it).
 * Returns CTREC_E_FLOAT for inf/NaN with CTREC_FLOAT_NUMBER, CTREC_E_ARG for
 * a malformed struct (an unknown kind, a NULL value), CTREC_E_NOMEM.
 */
ctrec_status ctrec_event_to_json(const ctrec_ev *ev, ctrec_float_encoding floats,
                                 char **buf, size_t *cap, size_t *len);

/*
 * Writes `ev` verbatim through the writer (in its format), with its ids as
 * given: definitions (Path, Function, Type, VariableName) are appended to
 * the writer's tables without de-duplication, so ids keep their positions,
 * and no check is made that ids are defined. A Call writes only the Call
 * event (not the reference helper's Value/Step prelude). Path events are
 * listed in trace_paths.json and copied into files/ like ctrec_path() does
 * when copy_sources is set; for a column-aware .ct (the writer option
 * `columns`) their source is read for its line table as ctrec_path() does.
 * Use it to convert or filter traces.
 */
ctrec_status ctrec_write_event(ctrec_writer *w, const ctrec_ev *ev);

#ifdef __cplusplus
}
#endif

#endif /* CTREC_READER_H */
