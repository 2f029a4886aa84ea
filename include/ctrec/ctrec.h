/*
 * ctrec.h — record program executions as CodeTracer traces.
 *
 * This header is the manual. A recorder opens a writer on a trace folder,
 * interns the names it uses (paths, functions, types, variable names) and
 * then reports what the program does: steps, calls, returns, variable
 * values, I/O events. The writer streams the events to trace.json or
 * trace.bin while the program runs and writes trace_metadata.json,
 * trace_paths.json and the files/ copies of the sources.
 *
 * recording-guide.md, installed beside this header (docs/ in the source
 * tree), says what a recorder emits and when: values at every step, calls
 * and returns under exceptions, I/O events, threads, limits, signals and
 * fork. Start there.
 *
 * Conventions
 * - Every fallible function returns a ctrec_status; CTREC_OK is 0. After
 *   any other status, ctrec_writer_errmsg() says what went wrong.
 * - Bytes from the recorded program (names, strings, paths, event text) are
 *   passed as pointer + length. They may hold NUL bytes or be invalid UTF-8;
 *   the writer replaces each byte that is not part of valid UTF-8 with
 *   U+FFFD so that the file stays readable by every reference reader.
 *   Functions ending in `_z` take a NUL-terminated string instead; NULL is
 *   CTREC_E_ARG there.
 * - Ids are plain integers: each is the position of its definition among
 *   the definitions of the same kind (recording-guide.md, "Names").
 * - The library never aborts, exits or asserts on bad input or I/O failure.
 *   It changes no signal disposition and blocks no signal. Under
 *   RLIMIT_FSIZE the write that crosses the limit raises SIGXFSZ in the
 *   thread that makes it (the recording thread, or one of the writer's
 *   background threads: I/O, compression, flush); whichever thread it is,
 *   the default action ends the whole process, as for any program. If the
 *   host ignores SIGXFSZ (SIG_IGN, which also survives exec), the write fails
 *   with EFBIG instead and the writer reports CTREC_E_IO, at once or, when
 *   a background thread wrote, at the next call that hands it data, at
 *   ctrec_writer_flush() or at close. writer_embed tests both.
 * - Memory does not grow with the number of events: the writer keeps one
 *   output buffer (buffer_size, or frame_size for trace.bin; a single larger
 *   event grows it) plus the interning tables.
 * - A writer is not thread-safe: use it from one thread at a time, or from
 *   several through per-thread handles (section "Recording from several
 *   threads", which also says what holds for separate writers, for the
 *   writer's background threads, for signals and for fork).
 */
#ifndef CTREC_H
#define CTREC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CTREC_VERSION_MAJOR 0
#define CTREC_VERSION_MINOR 1
#define CTREC_VERSION_PATCH 0
#define CTREC_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for #if and run-time comparison. */
#define CTREC_VERSION_NUMBER \
    (CTREC_VERSION_MAJOR * 10000 + CTREC_VERSION_MINOR * 100 + CTREC_VERSION_PATCH)

/* Returns CTREC_VERSION_STRING of the library actually linked. */
const char *ctrec_version(void);
/* Returns CTREC_VERSION_NUMBER of the library actually linked. */
unsigned ctrec_version_number(void);

/*
 * ABI policy. Before 1.0 (soname libctrec.so.0) a minor release may change
 * the ABI; patch releases do not. From 1.0 on, within one major version:
 * functions and enum values are only added (never renumbered, removed or
 * changed), handles stay opaque, and option structs grow only at their end.
 * Option structs carry their size (struct_size, set by the _init
 * function): a program built against an older, smaller struct keeps
 * working with a newer library, which gives the fields it does not know
 * their defaults; a struct_size the library does not know (an options
 * struct not initialised with the _init function, or one from a newer
 * header) is refused with CTREC_E_ARG.
 */

/* ------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------ */

typedef enum ctrec_status {
    CTREC_OK = 0,
    CTREC_E_ARG,        /* an argument is invalid (NULL handle, bad enum, ...) */
    CTREC_E_STATE,      /* call out of order: no event open, event already open, ... */
    CTREC_E_UNDEFINED,  /* an id that was never defined */
    CTREC_E_VALUE,      /* a value that does not fit its event or type
                           (wrong struct field count, missing content, ...) */
    CTREC_E_DEPTH,      /* value nesting deeper than the writer's bound */
    CTREC_E_FLOAT,      /* inf or NaN with CTREC_FLOAT_NUMBER */
    CTREC_E_IO,         /* reading or writing a file failed */
    CTREC_E_NOMEM,      /* out of memory */
    CTREC_E_FAILED,     /* the writer failed earlier and refuses further events */
    CTREC_E_FORMAT,     /* input that is not a valid trace */
    CTREC_E_TRUNCATED,  /* input that ends in the middle of an item */
    CTREC_E_UNSUPPORTED, /* a feature this build or format does not support */
    CTREC_E_SIZE,       /* an event larger than the bound the readers accept
                           (max_event_bytes, default CTREC_MAX_EVENT_BYTES) */
    CTREC_E_BUSY        /* the trace folder is being written by another writer */
} ctrec_status;

/* The largest event, in encoded bytes, that the writer writes and the
 * readers and ctrec check read by default (64 MiB). One constant, so that
 * what the writer accepts the tools can read. */
#define CTREC_MAX_EVENT_BYTES ((size_t)64 * 1024 * 1024)

/* A short constant name for a status, such as "CTREC_E_IO"; "?" for a
 * number that is no ctrec_status (never NULL). */
const char *ctrec_status_name(ctrec_status status);

/* ------------------------------------------------------------------------
 * Enumerations of the format
 * ------------------------------------------------------------------------ */

typedef uint64_t ctrec_id;

/* TypeKind; the numbers are the trace format's. */
typedef enum ctrec_type_kind {
    CTREC_TYPE_SEQ = 0, CTREC_TYPE_SET, CTREC_TYPE_HASH_SET,
    CTREC_TYPE_ORDERED_SET, CTREC_TYPE_ARRAY, CTREC_TYPE_VARARGS,
    CTREC_TYPE_STRUCT, CTREC_TYPE_INT, CTREC_TYPE_FLOAT, CTREC_TYPE_STRING,
    CTREC_TYPE_CSTRING, CTREC_TYPE_CHAR, CTREC_TYPE_BOOL, CTREC_TYPE_LITERAL,
    CTREC_TYPE_REF, CTREC_TYPE_RECURSION, CTREC_TYPE_RAW, CTREC_TYPE_ENUM,
    CTREC_TYPE_ENUM16, CTREC_TYPE_ENUM32, CTREC_TYPE_C, CTREC_TYPE_TABLE_KIND,
    CTREC_TYPE_UNION, CTREC_TYPE_POINTER, CTREC_TYPE_ERROR,
    CTREC_TYPE_FUNCTION_KIND, CTREC_TYPE_TYPE_VALUE, CTREC_TYPE_TUPLE,
    CTREC_TYPE_VARIANT, CTREC_TYPE_HTML, CTREC_TYPE_NONE,
    CTREC_TYPE_NON_EXPANDED, CTREC_TYPE_ANY, CTREC_TYPE_SLICE
} ctrec_type_kind;
#define CTREC_TYPE_KIND_COUNT 34

/* EventLogKind, the trace format's numbers (recording-guide.md, "I/O"). */
typedef enum ctrec_event_kind {
    CTREC_EVENT_WRITE = 0, CTREC_EVENT_WRITE_FILE, CTREC_EVENT_WRITE_OTHER,
    CTREC_EVENT_READ, CTREC_EVENT_READ_FILE, CTREC_EVENT_READ_OTHER,
    CTREC_EVENT_READ_DIR, CTREC_EVENT_OPEN_DIR, CTREC_EVENT_CLOSE_DIR,
    CTREC_EVENT_SOCKET, CTREC_EVENT_OPEN, CTREC_EVENT_ERROR,
    CTREC_EVENT_TRACE_LOG, CTREC_EVENT_EVM
} ctrec_event_kind;
#define CTREC_EVENT_KIND_COUNT 14

typedef enum ctrec_format {
    CTREC_FORMAT_JSON = 0, /* trace.json, one event per line */
    CTREC_FORMAT_BIN = 1,  /* trace.bin, binary v1 (CBOR in seekable zstd) */
    CTREC_FORMAT_CT = 2    /* trace.ct, CTFS v4 multi-stream (docs/ct.md):
                              what the debugger loads first. Events its layout
                              cannot hold (BindVariable, VariableCell,
                              DropVariable(s), Assign*, CompoundValue,
                              CellValue, AssignCell, Asm, DropLastStep, a Value
                              before the first step, a Return without an open
                              call, a line outside 0..99999, an I/O event
                              before the first step while no path could take
                              a step) are refused with CTREC_E_UNSUPPORTED or
                              CTREC_E_STATE; the writer stays usable. A .ct
                              addresses a call's entry and exit, and an I/O
                              event, by step (an event before the first step
                              goes at step 0): calls or events recorded with
                              no step at all get one Step at close, at the
                              first call's function definition (ctrec_start's
                              path and line), else line 0 of that path, or of
                              path 0 with no call (column-aware: line 1,
                              column 1), so the file still loads.
                              Only when no step has a place (a column-aware
                              trace with no readable source) are the calls
                              left out: ctrec_writer_close then returns
                              CTREC_E_UNSUPPORTED (the file loads, empty). */
} ctrec_format;

/* How trace.json spells a Float's "f". trace.bin always writes the text
 * (binary v1 stores floats as text), so NaN and inf are accepted there. */
typedef enum ctrec_float_encoding {
    CTREC_FLOAT_STRING = 0, /* "f": "2.5"; inf/NaN as "inf", "-inf", "NaN" */
    CTREC_FLOAT_NUMBER = 1  /* "f": 2.5 (CodeTracer <= 25.11); inf/NaN refused */
} ctrec_float_encoding;

typedef enum ctrec_pass_by {
    CTREC_PASS_BY_VALUE = 0,
    CTREC_PASS_BY_REFERENCE = 1
} ctrec_pass_by;

/* Bytes from the recorded program. */
typedef struct ctrec_str {
    const char *ptr;
    size_t len;
} ctrec_str;

/* One field of a Struct type. */
typedef struct ctrec_field {
    const char *name;
    size_t name_len;
    ctrec_id type_id;
} ctrec_field;

/* ------------------------------------------------------------------------
 * Opening and closing a writer
 * ------------------------------------------------------------------------ */

typedef struct ctrec_writer ctrec_writer;

typedef struct ctrec_writer_options {
    size_t struct_size;      /* sizeof(ctrec_writer_options) as the caller
                                was built: set by ctrec_writer_options_init,
                                never by hand (see the ABI policy above) */
    ctrec_format format;                 /* default CTREC_FORMAT_JSON */
    ctrec_float_encoding float_encoding; /* default CTREC_FLOAT_STRING */
    int copy_sources;        /* copy each recorded path into files/ (best
                                effort: a path that is no readable regular
                                file, or that cannot be copied, is skipped,
                                and the recording goes on); default 1 */
    const char *program;     /* recorded program; default "" */
    const char *const *args; /* its arguments (args[0..nargs-1]); default none */
    size_t nargs;
    const char *workdir;     /* default: the current directory; made absolute */
    unsigned max_depth;      /* value nesting bound, 1..60; default 60 */
    int depth_marker;        /* 0 (default): a compound begun at max_depth is
                                CTREC_E_DEPTH and the event is discarded.
                                1: it is written as the Raw marker
                                "<truncated: deeper than N levels>" of the
                                compound's type instead, and the values given
                                inside it, up to its end, are dropped (their
                                calls return CTREC_OK). See
                                ctrec_value_depth(). */
    size_t buffer_size;      /* output buffer in bytes; default 256 KiB */
    int io_thread;           /* JSON: write(2) on a background thread, so that
                                encoding and the kernel's copy overlap; two
                                buffers in flight at most; default 1 */
    /* Binary format only. */
    size_t frame_size;       /* close a zstd frame every this many input bytes;
                                default 64 KiB */
    /* Binary format and trace.ct. */
    int zstd_level;          /* default 3 */
    int compress_thread;     /* compress and write on a background thread;
                                default 1. trace.ct: its chunks, a values
                                chunk in parts of 256 KiB as it grows, and
                                the pieces of its scratch file for ctrec
                                repair (those on the calling thread for a
                                while after the thread fell behind); 0: all
                                of it on the thread that makes the event */
    /* Every format. */
    size_t max_event_bytes;  /* refuse (CTREC_E_SIZE) an event whose encoding
                                is larger; default (and 0 means)
                                CTREC_MAX_EVENT_BYTES, the readers' default
                                bound: raise it only together with the
                                readers' max_event_bytes */
    unsigned flush_interval_ms; /* every this many milliseconds a thread of
                                the writer's own hands the whole events
                                buffered so far to the file (and, for
                                trace.bin, closes a frame; trace.ct
                                publishes every stream's chunk in progress
                                and the members' sizes), so that a killed
                                recording keeps all but about the last
                                interval; ctrec repair completes such a
                                trace. 0: no such thread, events reach the
                                file only when a buffer fills, at
                                ctrec_writer_flush() and at close (a
                                trace.ct is published only at those two).
                                Default 1000. trace_paths.json is written at flush
                                and close only (repair rewrites it). */
    /* Extra members of trace_metadata.json, for what a recorder wants kept
     * with the trace (ctrec-lua: the trace filters it applied). The text of
     * one JSON object (RFC 8259, UTF-8, nesting at most 64, at most 1 MiB);
     * its members are written after the standard ones (recording_id,
     * workdir, program, args), whose names it must not use; readers ignore
     * members they do not know. Anything else makes ctrec_writer_open fail
     * with CTREC_E_ARG. Copied at open. Default NULL: none. */
    const char *extra_metadata;
    /* CTREC_FORMAT_CT only: write a column-aware trace (meta.dat flag 0x10)
     * so that ctrec_step_column keeps its column. Each path's record then
     * carries the line lengths of its source file, read when the path is
     * defined (relative paths against workdir), and a step is written as
     * a position in that table; ctrec_step is column 1 of its line there
     * (a reader shows that column). A path whose file cannot be read, or
     * has over a million lines, gets no table and no positions: every
     * step on it is refused (CTREC_E_UNSUPPORTED). Default 0: a
     * line-only .ct, which refuses ctrec_step_column. json and bin ignore
     * it. */
    int columns;
} ctrec_writer_options;

/* Fills *opts with the defaults above. Always call it before setting fields,
 * so that fields added by later versions get their defaults. */
void ctrec_writer_options_init(ctrec_writer_options *opts);

/*
 * Opens a writer on the trace folder `dir` (created if missing, parents
 * included) and writes trace_metadata.json there. `opts` may be NULL for the
 * defaults. The event file of the other format left by an earlier recording
 * in the same folder is removed, so a reader never picks up a stale one;
 * other files (files/ copies) are left as they are. The event file of the
 * format written is replaced, not truncated: a reader that has the old one
 * open keeps reading it whole (and, if it was a symbolic link, the link is
 * replaced, not written through).
 *
 * One writer at a time per folder: the writer takes an advisory lock
 * (flock(2)) on the file trace.lock in the folder before it changes
 * anything there, and holds it until ctrec_writer_close() or the death of
 * its process (the kernel releases it; a child made by fork(2) shares it
 * until it exits or closes its descriptors, exec drops it). A second
 * writer on a locked folder, in this process or another, fails with
 * CTREC_E_BUSY and a message naming the holder's process id. trace.lock
 * stays in the folder; readers ignore it.
 *
 * Like sqlite3_open, *out receives a handle whether or not the open
 * succeeds (NULL only when memory is exhausted). On failure the handle
 * refuses every event, ctrec_writer_errmsg() says why, and it must still be
 * released with ctrec_writer_close().
 */
ctrec_status ctrec_writer_open(const char *dir, const ctrec_writer_options *opts,
                               ctrec_writer **out);

/*
 * Writes every event given so far to the trace file and updates
 * trace_paths.json. After it returns CTREC_OK a reader sees every event.
 * Returns the writer's sticky error if it has failed.
 */
ctrec_status ctrec_writer_flush(ctrec_writer *w);

/*
 * Finishes the trace (closes the JSON array or writes the seek table),
 * writes trace_paths.json, stops the writer's threads, releases the
 * folder's lock and frees the writer. An event still open is discarded.
 * Returns the first error the writer met during its life, or CTREC_OK if
 * the trace on disk is complete. Accepts NULL.
 * The handle is freed even when an error is returned: any later use of it,
 * a second close included, is undefined behaviour (as after free(); it
 * typically crashes). Set your pointer to NULL.
 */
ctrec_status ctrec_writer_close(ctrec_writer *w);

/*
 * Completes a trace.ct whose recording was killed (what `ctrec repair`
 * does for a .ct). Such a file reads up to the writer's last publication
 * (at most about flush_interval_ms old) but has no calls.dat records and a
 * provisional meta.dat; beside it stays the writer's scratch file
 * (ct_file + CTREC_CT_SCRATCH_SUFFIX, ".calls~"), which a closed recording
 * does not leave. This writes a complete container to out_file (a
 * new file; ct_file is not changed): every step the file showed (a
 * publication cut by the kill, detected by its last chunk not decoding,
 * is dropped) with its values and I/O events, calls.dat rebuilt from the
 * scratch file, the calls still open at the last step (or returning after
 * it) closed at that step without a return value, as close does, and the
 * final meta.dat. With no scratch file (the recording was closed) it
 * writes nothing and sets needed to 0. On failure out_file is not left
 * behind and message says why. Do not run it on a recording still going.
 */
#define CTREC_CT_SCRATCH_SUFFIX ".calls~"
typedef struct ctrec_ct_repair_result {
    int needed;               /* 0: nothing to repair */
    uint64_t steps;           /* steps kept */
    uint64_t steps_published; /* steps the killed file showed */
    uint64_t calls;           /* call records written */
    uint64_t open_calls;      /* of them, closed at the last step */
    uint64_t events;          /* I/O events kept */
    char message[512];        /* on failure */
} ctrec_ct_repair_result;
ctrec_status ctrec_ct_repair(const char *ct_file, const char *out_file,
                             ctrec_ct_repair_result *result);

/* Whether a writer is recording into the trace folder `trace` (or the
 * folder of the trace file `trace`): 1 when a writer holds the folder's
 * lock, 0 when the lock file is there and free (the recording was closed,
 * or its process died: no event will be added), -1 when it cannot tell
 * (no trace.lock: not written by a writer of this version, or unreadable).
 * `ctrec follow` uses it to stop waiting for a recorder that is gone. */
int ctrec_writer_active(const char *trace);

/* The message of the writer's last error ("" if none). Valid until the next
 * call on the writer. Never NULL, even for a NULL writer. */
const char *ctrec_writer_errmsg(const ctrec_writer *w);

/* The status of the writer's last failed call (CTREC_OK if none). */
ctrec_status ctrec_writer_status(const ctrec_writer *w);

/* How deep the value being given is nested: 0 at the top of an event (or
 * outside one), 1 inside one open compound, ... A recorder may stop
 * descending when it reaches its own bound (max_depth at most). */
unsigned ctrec_value_depth(const ctrec_writer *w);

/* Number of events written so far (including ones still in the buffer). */
uint64_t ctrec_writer_event_count(const ctrec_writer *w);

/* The recording_id written to trace_metadata.json (36 characters). */
const char *ctrec_writer_recording_id(const ctrec_writer *w);

/* ------------------------------------------------------------------------
 * Interning
 *
 * The ensure functions return the id of an existing definition with the same
 * key or emit a new definition event. Keys are the reference writer's:
 * paths and variable names by their text, functions by name only (a second
 * function with the same name and another location gets the first's id),
 * types by lang_type only. The `_new` functions always emit a definition and
 * make the key point to the new id.
 * ------------------------------------------------------------------------ */

ctrec_status ctrec_path(ctrec_writer *w, const char *path, size_t len, ctrec_id *id);
ctrec_status ctrec_path_z(ctrec_writer *w, const char *path, ctrec_id *id);
ctrec_status ctrec_path_new(ctrec_writer *w, const char *path, size_t len, ctrec_id *id);

ctrec_status ctrec_function(ctrec_writer *w, const char *name, size_t len,
                            ctrec_id path_id, int64_t line, ctrec_id *id);
ctrec_status ctrec_function_z(ctrec_writer *w, const char *name,
                              ctrec_id path_id, int64_t line, ctrec_id *id);
ctrec_status ctrec_function_new(ctrec_writer *w, const char *name, size_t len,
                                ctrec_id path_id, int64_t line, ctrec_id *id);

/* A type whose specific_info is {"kind": "None"}. */
ctrec_status ctrec_type(ctrec_writer *w, ctrec_type_kind kind, const char *lang_type,
                        size_t len, ctrec_id *id);
ctrec_status ctrec_type_z(ctrec_writer *w, ctrec_type_kind kind, const char *lang_type,
                          ctrec_id *id);
ctrec_status ctrec_type_new(ctrec_writer *w, ctrec_type_kind kind, const char *lang_type,
                            size_t len, ctrec_id *id);
/* A type with Struct specific_info: Struct values of this type must carry
 * exactly `nfields` field values. Every field's type_id must be defined. */
ctrec_status ctrec_type_struct(ctrec_writer *w, ctrec_type_kind kind, const char *lang_type,
                               size_t len, const ctrec_field *fields, size_t nfields,
                               ctrec_id *id);
/* A type with Pointer specific_info. */
ctrec_status ctrec_type_pointer(ctrec_writer *w, ctrec_type_kind kind, const char *lang_type,
                                size_t len, ctrec_id dereference_type_id, ctrec_id *id);

ctrec_status ctrec_variable(ctrec_writer *w, const char *name, size_t len, ctrec_id *id);
ctrec_status ctrec_variable_z(ctrec_writer *w, const char *name, ctrec_id *id);
ctrec_status ctrec_variable_new(ctrec_writer *w, const char *name, size_t len, ctrec_id *id);

/* Counts of definitions so far. */
uint64_t ctrec_path_count(const ctrec_writer *w);
uint64_t ctrec_function_count(const ctrec_writer *w);
uint64_t ctrec_type_count(const ctrec_writer *w);
uint64_t ctrec_variable_count(const ctrec_writer *w);

/* ------------------------------------------------------------------------
 * Events without values
 * ------------------------------------------------------------------------ */

/*
 * The reference opening: Path `path` (id 0 in a fresh writer), Function
 * "<toplevel>" at (path, line) (id 0), Call {function_id: 0, args: []} and
 * Type {kind: None, lang_type: "None"} (id 0). The top-level call needs no
 * Return.
 */
ctrec_status ctrec_start(ctrec_writer *w, const char *path, size_t len, int64_t line);
ctrec_status ctrec_start_z(ctrec_writer *w, const char *path, int64_t line);

/* Lines are 1-based; 0 is accepted (no line), a negative one is CTREC_E_ARG
 * (here, in ctrec_start and in the function definitions). */
ctrec_status ctrec_step(ctrec_writer *w, ctrec_id path_id, int64_t line);
/* A step at (path, line, column), column >= 1 (a byte column: 1 is the
 * line's first byte). trace.json and trace.bin have no column: there it is
 * written as the plain Step {path_id, line} (the column is not kept).
 * A .ct holds it only as a column-aware trace: open the writer with the
 * option `columns` = 1; without it CTREC_FORMAT_CT refuses the call with
 * CTREC_E_UNSUPPORTED (the writer stays usable; ctrec_step writes the step
 * without its column). In a column-aware .ct a step is a position in its
 * path's line-length table, read from the source file when the path is
 * defined, so it is refused (CTREC_E_UNSUPPORTED, nothing written) when
 * the line is past the file's last line, the column is past the end of
 * its line (its newline counts as a column), or the path's source could
 * not be read (no step at all fits there: see the option `columns`). */
ctrec_status ctrec_step_column(ctrec_writer *w, ctrec_id path_id, int64_t line, int64_t column);

/* Call without arguments: ctrec_begin_call + ctrec_end. */
ctrec_status ctrec_call(ctrec_writer *w, ctrec_id function_id);

/* Return of no value: ctrec_begin_return + ctrec_none(type_id) + ctrec_end,
 * the Return {return_value: {kind: None, type_id}} of a function that
 * returns nothing. Type 0 is the None type ctrec_start defines. In a .ct,
 * a None of type 0 is written as the call record's void-return marker
 * (the byte FF, 1 byte instead of the CBOR None's 20), which the
 * debugger and ctrec's reader take for that same None (the reader's
 * Return says is_void); another type is written as its CBOR None.
 * A Return needs an open call: the writer counts Calls (the top-level one
 * of ctrec_start included) and Returns, and refuses a Return when every Call
 * has had its Return (CTREC_E_STATE; the debugger fails on such a trace). */
ctrec_status ctrec_return_none(ctrec_writer *w, ctrec_id type_id);

/* Event {kind, metadata, content}: I/O and other special events. */
ctrec_status ctrec_event(ctrec_writer *w, ctrec_event_kind kind,
                         const char *metadata, size_t metadata_len,
                         const char *content, size_t content_len);
ctrec_status ctrec_event_z(ctrec_writer *w, ctrec_event_kind kind, const char *metadata,
                           const char *content);

ctrec_status ctrec_asm(ctrec_writer *w, const ctrec_str *instructions, size_t count);

ctrec_status ctrec_bind_variable(ctrec_writer *w, ctrec_id variable_id, int64_t place);
ctrec_status ctrec_variable_cell(ctrec_writer *w, ctrec_id variable_id, int64_t place);
ctrec_status ctrec_drop_variable(ctrec_writer *w, ctrec_id variable_id);
ctrec_status ctrec_drop_variables(ctrec_writer *w, const ctrec_id *variable_ids, size_t count);
ctrec_status ctrec_assign_compound_item(ctrec_writer *w, int64_t place, uint64_t index,
                                        int64_t item_place);
/* Assignment with a Simple RValue (exactly one id) when `compound` is 0,
 * else a Compound RValue of `count` ids. Note: the Rust
 * reader cannot read Assignment. */
ctrec_status ctrec_assign(ctrec_writer *w, ctrec_id to, ctrec_pass_by pass_by,
                          int compound, const ctrec_id *from, size_t count);

/* The raw thread events, for a single-threaded producer that knows what it
 * does (a converter). They change nothing in the model: once the writer has
 * thread handles they are refused (CTREC_E_STATE), the handles write them.
 * To record threads, use the handles below. */
ctrec_status ctrec_thread_start(ctrec_writer *w, uint64_t thread_id);
ctrec_status ctrec_thread_exit(ctrec_writer *w, uint64_t thread_id);
ctrec_status ctrec_thread_switch(ctrec_writer *w, uint64_t thread_id);
ctrec_status ctrec_drop_last_step(ctrec_writer *w);

/* Exceptions (CTREC_FORMAT_CT only; trace.json and trace.bin have no such
 * event: CTREC_E_UNSUPPORTED, the writer stays usable). ctrec_raise records
 * an exception of type `type_id` raised at the current position, with its
 * message (len bytes, UTF-8; invalid bytes become U+FFFD); ctrec_catch one
 * caught. Each is a record of the step stream (steps.dat tags 2 and 3) and
 * so has a step index of its own, between the steps around it; values given
 * after it belong to it until the next step. The reader yields them as
 * CTREC_EV_RAISE and CTREC_EV_CATCH (docs/ct.md). */
ctrec_status ctrec_raise(ctrec_writer *w, ctrec_id type_id, const char *message, size_t len);
ctrec_status ctrec_catch(ctrec_writer *w, ctrec_id type_id);

/* A call that exits by an exception (CTREC_FORMAT_CT only, as ctrec_raise;
 * trace.json and trace.bin: CTREC_E_UNSUPPORTED, the writer stays usable):
 * the Return of the innermost open call, with no return value and the
 * exception as its value (calls.dat's exception field). With no open call:
 * CTREC_E_STATE, as ctrec_begin_return.
 * ctrec_begin_return_exception opens it: give the exception's value with
 * the value functions below (one value of any kind), then ctrec_end().
 * ctrec_return_exception is that with an Error value of type `type_id`
 * and `message` (len bytes, UTF-8; invalid bytes become U+FFFD).
 * The reader yields a Return whose ret.exception is the value and whose
 * return value is void (docs/ct.md); ctrec_write_event writes such a
 * Return (with a return value too) into a .ct as well. */
ctrec_status ctrec_begin_return_exception(ctrec_writer *w);
ctrec_status ctrec_return_exception(ctrec_writer *w, ctrec_id type_id, const char *message,
                                    size_t len);

/* ------------------------------------------------------------------------
 * Events that carry values
 *
 * Open the event, give its value(s) with the value functions below, then
 * ctrec_end(). The value is encoded straight into the output in one pass:
 * no tree is built. If anything goes wrong inside an event (misuse, an
 * undefined id, too deep, too large), the call returns the error and the
 * whole event is discarded; the remaining value calls of that event return
 * the same status and do nothing, and ctrec_end() returns that first error
 * again with its message (ctrec_writer_errmsg). So a recorder may check only
 * the status of ctrec_end(). The next event may be begun at once.
 *
 *   ctrec_begin_value(w, var);           // Value {variable_id, value}
 *   ctrec_begin_return(w);               // Return {return_value}
 *   ctrec_begin_compound_value(w, place) // CompoundValue {place, value}
 *   ctrec_begin_cell_value(w, place)     // CellValue {place, value}
 *   ctrec_begin_assign_cell(w, place)    // AssignCell {place, new_value}
 *       ...exactly one value...
 *   ctrec_end(w);
 *
 *   ctrec_begin_call(w, function_id);
 *       ctrec_arg(w, variable_id); ...exactly one value...   (repeat)
 *   ctrec_end(w);
 *
 * A call to any function but the top-level one (id 0) writes what the
 * reference writer does: a Value event per argument, a Step at the
 * function's definition line, then the Call carrying the same arguments.
 * ------------------------------------------------------------------------ */

ctrec_status ctrec_begin_value(ctrec_writer *w, ctrec_id variable_id);
ctrec_status ctrec_begin_return(ctrec_writer *w);
ctrec_status ctrec_begin_compound_value(ctrec_writer *w, int64_t place);
ctrec_status ctrec_begin_cell_value(ctrec_writer *w, int64_t place);
ctrec_status ctrec_begin_assign_cell(ctrec_writer *w, int64_t place);
ctrec_status ctrec_begin_call(ctrec_writer *w, ctrec_id function_id);
ctrec_status ctrec_arg(ctrec_writer *w, ctrec_id variable_id);
ctrec_status ctrec_end(ctrec_writer *w);

/* Discards the open event, if any (and forgets the error of a failed one). */
void ctrec_abandon(ctrec_writer *w);

/* ------------------------------------------------------------------------
 * Values (the streaming value encoder)
 *
 * Each function writes one ValueRecord at the current position: the value
 * of the open event, an element of an open Sequence or Tuple, a field value
 * of an open Struct, the contents of an open Variant or the target of an
 * open Reference. Every type_id must be defined. Compounds nest up to the
 * writer's max_depth (default 60, the reference readers' limit).
 * ------------------------------------------------------------------------ */

ctrec_status ctrec_int(ctrec_writer *w, int64_t i, ctrec_id type_id);
/* Floats are written as the shortest text that reads back to the same
 * double, as a string or a number per the float encoding option. */
ctrec_status ctrec_float(ctrec_writer *w, double f, ctrec_id type_id);
ctrec_status ctrec_bool(ctrec_writer *w, int b, ctrec_id type_id);
ctrec_status ctrec_string(ctrec_writer *w, const char *text, size_t len, ctrec_id type_id);
ctrec_status ctrec_string_z(ctrec_writer *w, const char *text, ctrec_id type_id);
ctrec_status ctrec_raw(ctrec_writer *w, const char *r, size_t len, ctrec_id type_id);
ctrec_status ctrec_error(ctrec_writer *w, const char *msg, size_t len, ctrec_id type_id);
ctrec_status ctrec_none(ctrec_writer *w, ctrec_id type_id);
ctrec_status ctrec_cell(ctrec_writer *w, int64_t place);
/* BigInt: `magnitude` is the big-endian magnitude; it is written as standard
 * base64 with padding. */
ctrec_status ctrec_bigint(ctrec_writer *w, const uint8_t *magnitude, size_t len,
                          int negative, ctrec_id type_id);
/* Char: `c` must hold exactly one UTF-8 character (newest debugger only);
 * NULL is CTREC_E_ARG. */
ctrec_status ctrec_char(ctrec_writer *w, const char *c, size_t len, ctrec_id type_id);

ctrec_status ctrec_begin_sequence(ctrec_writer *w, int is_slice, ctrec_id type_id);
ctrec_status ctrec_end_sequence(ctrec_writer *w);
ctrec_status ctrec_begin_tuple(ctrec_writer *w, ctrec_id type_id);
ctrec_status ctrec_end_tuple(ctrec_writer *w);
/* The type must have Struct specific_info; the struct then takes exactly as
 * many field values as the type has fields. */
ctrec_status ctrec_begin_struct(ctrec_writer *w, ctrec_id type_id);
ctrec_status ctrec_end_struct(ctrec_writer *w);
/* Takes exactly one contents value. */
ctrec_status ctrec_begin_variant(ctrec_writer *w, const char *discriminator, size_t len,
                                 ctrec_id type_id);
ctrec_status ctrec_end_variant(ctrec_writer *w);
/* Takes exactly one dereferenced value. */
ctrec_status ctrec_begin_reference(ctrec_writer *w, uint64_t address, int is_mutable,
                                   ctrec_id type_id);
ctrec_status ctrec_end_reference(ctrec_writer *w);

/* ------------------------------------------------------------------------
 * Value memos: the same value written again without encoding it anew
 *
 * A recorder often writes the same value at step after step (a table or a
 * struct the program did not change). The writer can keep the encoding of
 * a value it wrote and write those bytes again:
 *
 *   ctrec_memo_begin(w);         // at a position where a value may go
 *   ...write exactly one value with the value functions...
 *   ctrec_memo_end(w, slot);     // keeps its encoding in `slot`
 *   ...
 *   ctrec_memo_write(w, slot);   // the kept value, at the current position
 *
 * ctrec_memo_write writes what the value functions wrote then, byte for
 * byte, as one value at the current position (it counts as one element, or
 * one field of a Struct). The writer only ever writes bytes it encoded
 * itself; the caller's part is that the value it stands for is the same as
 * the one kept (say, by comparing what it reads with what it kept).
 *
 * Memos nest: a value being kept may hold values kept or written from
 * memos, up to CTREC_MEMO_NEST begun at once; ctrec_memo_end ends the one
 * begun last.
 *
 * Slots are numbered 0 .. CTREC_MEMO_SLOTS - 1; ctrec_memo_end replaces
 * what its slot held. The writer keeps at most one encoding per slot, for
 * as long as it is open (the memory is released by ctrec_writer_close).
 *
 * None of these calls fails the event or the writer:
 * - ctrec_memo_begin returns CTREC_E_UNSUPPORTED (nothing kept; write the
 *   value as usual) for a trace.json writer, outside an event, inside a
 *   compound dropped under the depth marker, in a failed event, or with
 *   CTREC_MEMO_NEST memos begun already.
 * - ctrec_memo_end returns CTREC_E_STATE, and keeps nothing, unless exactly
 *   one whole value was written at the position of ctrec_memo_begin in the
 *   same event; CTREC_E_STATE also when that value holds a depth marker
 *   (its bytes depend on where it was written); CTREC_E_ARG for a slot out
 *   of range; CTREC_E_NOMEM when it cannot keep the bytes. The value itself
 *   stays written whatever ctrec_memo_end returns.
 * - ctrec_memo_write returns CTREC_E_UNSUPPORTED, and writes nothing, for a
 *   slot out of range or empty, a trace.json writer, or when the kept
 *   value's compounds would nest deeper than max_depth at this position:
 *   write the value with the value functions instead. At a position where
 *   no value may go it fails as the value functions do.
 * ------------------------------------------------------------------------ */

#define CTREC_MEMO_SLOTS 4096u
#define CTREC_MEMO_NEST 8u

ctrec_status ctrec_memo_begin(ctrec_writer *w);
ctrec_status ctrec_memo_end(ctrec_writer *w, uint32_t slot);
ctrec_status ctrec_memo_write(ctrec_writer *w, uint32_t slot);

/* ------------------------------------------------------------------------
 * Recording from several threads
 *
 * Threads of the recorded program that run at the same time record into
 * one writer through per-thread handles. A handle does not duplicate the
 * API: between ctrec_thread_enter(h) and ctrec_thread_leave(h) its thread
 * holds the writer and records with the ordinary calls above on the same
 * ctrec_writer. So there is one event model, with one set of rules, whatever
 * the number of threads; the handles only serialise the threads, write the
 * thread events and keep per thread what the model keeps per thread.
 *
 *   main thread, after ctrec_start:     ctrec_thread_open(w, 1, &main_h);
 *   where thread 2 is created:          ctrec_thread_open(w, 2, &h2);
 *   thread 2, around each step:         ctrec_thread_enter(h2);
 *                                         ctrec_step(w, ...); values...
 *                                       ctrec_thread_leave(h2);
 *   thread 2, when it ends:             ctrec_thread_close(h2);
 *
 * examples/stackvm/stackvm.c records an interpreter's pthreads this way.
 *
 * What is written (json and bin; the .ct backend maps the same events to
 * its thread step records):
 * - ctrec_thread_open writes ThreadStart(id) where it is called.
 * - The events between one ThreadSwitch and the next belong to that
 *   ThreadSwitch's thread; the events before the first ThreadSwitch belong
 *   to the first handle's thread. ctrec_thread_enter writes ThreadSwitch(id)
 *   when the last events in the stream are another thread's, and nothing
 *   when they are this thread's (entering again after leaving costs no
 *   event).
 * - ctrec_thread_close writes ThreadExit(id).
 *
 * What the model keeps per thread:
 * - The call stack: a Return closes the innermost open call of the thread
 *   that writes it, and is refused (CTREC_E_STATE) when that thread has
 *   none. A new thread starts with no call: record the call of its entry
 *   function first (ctrec_call / ctrec_begin_call), and its Return before
 *   ctrec_thread_close, as for every call. The first handle takes over the
 *   calls of the thread that called ctrec_start, its top-level call
 *   included.
 * - Whether the thread has a Step since the stream switched to it: a Value
 *   (ctrec_begin_value) or an I/O Event (ctrec_event) attaches to the latest
 *   Step in the stream, which after a ThreadSwitch is another thread's; it
 *   is refused (CTREC_E_STATE) until the thread records a Step (ctrec_step,
 *   or the Step a non-top-level call writes). A recorder that enters once
 *   per step (enter, Step, its Values, leave) never meets this. The
 *   argument Values of a call are written before its Step, as the reference
 *   writer does, and so attach to the previous Step of the stream.
 * Ids (paths, functions, types, variable names) are the writer's: shared
 * by every thread, defined once.
 *
 * What the debugger makes of it: CodeTracer 25.11 fails to parse a file
 * holding any thread event (`ctrec check --target 25.11` refuses them,
 * event-not-in-target). The newer debugger reads them but does not
 * use them yet: it replays Calls and Returns as one call stack and attaches
 * Values to the latest Step, whatever the thread. Because every thread's
 * Returns match its own Calls, that single stack never has a Return with
 * no open call; but while threads interleave, one thread's calls show
 * nested in another's. Record several threads only for readers that want
 * them (ctrec_reader yields the thread events as they are).
 *
 * In a .ct (CTREC_FORMAT_CT) the thread events are steps.dat records of
 * their own (tags 4/5/6), with the same rules: a Value or I/O Event needs
 * the thread's own Step since the switch. calls.dat holds one call tree,
 * so it records that same single stack: a Return closes the innermost
 * call of the trace, whichever thread entered it, and carries the return
 * value given. ctrec_reader reads back the events in the order trace.json
 * holds them (Steps, thread events and Returns where they were written;
 * Values and Calls at their Step as docs/ct.md orders them); calls still
 * open at ctrec_writer_close are closed there, as for one thread.
 *
 * Rules of use
 * - Once a writer has a handle, every call on it but ctrec_thread_open,
 *   ctrec_thread_close and ctrec_writer_close must be made between enter
 *   and leave by the thread that entered; an event function called with no
 *   handle entered returns CTREC_E_STATE. Read ctrec_writer_errmsg() before
 *   leaving: the next thread's errors replace the message.
 * - An event begun (ctrec_begin_*) must end before leave; leave discards
 *   an open event and returns CTREC_E_STATE.
 * - Enter may nest on the same handle (each enter needs its leave); a
 *   thread holding the writer through one handle cannot enter another
 *   (CTREC_E_STATE). One handle belongs to one thread at a time.
 * - ctrec_writer_close must be called when no other thread uses the writer
 *   or its handles any more (join them first). It frees every handle not
 *   closed (no ThreadExit is written for those: the trace ends while they
 *   run); using such a handle afterwards is undefined behaviour.
 * ------------------------------------------------------------------------ */

typedef struct ctrec_thread_handle ctrec_thread_handle;

/*
 * Opens a handle for the thread `thread_id` (any number the recorder
 * chooses, unique among the open handles; CTREC_E_ARG for a duplicate) and
 * writes ThreadStart(thread_id). *out is NULL on failure.
 * The first handle of a writer stands for the thread that has recorded so
 * far: open it after ctrec_start (CTREC_E_STATE before), before any other
 * thread touches the writer; it becomes the current thread without a
 * ThreadSwitch. Later handles may be opened from any thread, holding the
 * writer or not (the thread that creates the new one, at the point of
 * creation, gives the most faithful trace).
 */
ctrec_status ctrec_thread_open(ctrec_writer *w, uint64_t thread_id, ctrec_thread_handle **out);

/*
 * Takes the writer for the calling thread, waiting while another thread
 * holds it, and writes ThreadSwitch(id) if the stream's last events are
 * another thread's. On CTREC_OK the thread holds the writer until the
 * matching ctrec_thread_leave; on any other status (the writer failed, an
 * I/O error, misuse) it does not hold it and must not record.
 */
ctrec_status ctrec_thread_enter(ctrec_thread_handle *h);

/* Gives the writer back (the outermost leave of nested enters). CTREC_E_STATE
 * when the handle is not entered (with a message only when no other thread
 * holds the writer then: a thread that does not hold it may not change it),
 * or when an event was left open (then discarded; the writer is given back
 * all the same). */
ctrec_status ctrec_thread_leave(ctrec_thread_handle *h);

/*
 * Writes ThreadExit(id) and frees the handle; if the handle is entered, the
 * writer is given back (an open event is discarded). Callable from any
 * thread (typically the ending one, or the one that joins it), holding the
 * writer or not. Returns the status of writing ThreadExit; the handle is
 * freed in every case. Accepts NULL.
 */
ctrec_status ctrec_thread_close(ctrec_thread_handle *h);

/* The thread id the handle was opened with (0 for NULL). */
uint64_t ctrec_thread_id(const ctrec_thread_handle *h);

/* ------------------------------------------------------------------------
 * Threads, signals and fork: what holds for the rest of the library
 *
 * - Separate writers (and readers, and ctrec_check runs) share no mutable
 *   state: each may be used by its own thread at the same time as the
 *   others, with no locking. Two writers on one trace folder are refused
 *   (the folder's lock), not serialised.
 * - A writer starts its own threads in ctrec_writer_open, all joined by
 *   ctrec_writer_close: the I/O thread (JSON, io_thread), the compression
 *   thread (trace.bin and trace.ct, compress_thread) and the flush thread
 *   (flush_interval_ms). They touch only the writer's buffers and files,
 *   never the recorder's data, and call no callback.
 * - Signals: the library installs no handler and blocks no signal. Its
 *   threads are created with the default attributes and so start with the
 *   signal mask of the thread that calls ctrec_writer_open. A signal sent
 *   to the process (kill, Ctrl-C, a timer) may therefore be delivered on
 *   one of them, unless that thread blocks it; a host that wants its
 *   signals handled on its own threads blocks them with pthread_sigmask
 *   around ctrec_writer_open and restores its mask afterwards
 *   (threads_test checks that the writer's threads carry that mask). No
 *   ctrec function may be called from a signal handler. A signal raised by
 *   a write itself (SIGXFSZ) is the writing thread's: see the note at the
 *   top.
 * - fork: the child has only the thread that called fork. The writer's
 *   background threads do not exist there, and a lock they held at the
 *   moment of the fork stays held for ever; the child shares the parent's
 *   open trace file (and its offset) and the folder's lock descriptor. So
 *   the child must not call any function on the parent's writer or its
 *   handles, ctrec_writer_close included (it would write into the parent's
 *   file and wait for threads that are not there). Its memory cannot be
 *   freed safely; leave it. All of the writer's descriptors are
 *   close-on-exec: a child that execs loses them. A child that goes on
 *   without exec (an interpreter's os.fork()) keeps the folder locked for
 *   as long as it lives; it should record into its own new writer on
 *   another folder, if at all, and a forking interpreter should record the
 *   fork in the parent's trace (an Event) and let the parent's recording
 *   go on there.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Convenience, as the reference writer's helpers
 * ------------------------------------------------------------------------ */

/* Step at (path, line), interning the path. */
ctrec_status ctrec_step_path(ctrec_writer *w, const char *path, size_t len, int64_t line);
/* Value event for variable `name` (interned) holding Int(i). */
ctrec_status ctrec_variable_int(ctrec_writer *w, const char *name, size_t len,
                                int64_t i, ctrec_id type_id);
/* Begins a Value event for the variable `name`, interning it. */
ctrec_status ctrec_begin_value_named(ctrec_writer *w, const char *name, size_t len);
/* ctrec_arg for the variable `name`, interning it. Inside ctrec_begin_call. */
ctrec_status ctrec_arg_named(ctrec_writer *w, const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CTREC_H */
