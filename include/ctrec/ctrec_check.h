/*
 * ctrec_check.h — will the debugger load this trace?
 *
 * ctrec_check() reads a trace (a trace folder, a trace.json, a trace.bin or
 * a .ct) through the reader of ctrec_reader.h in one pass and reports every place
 * where it breaks a rule the CodeTracer debugger relies on (what a
 * recorder must emit: recording-guide.md beside ctrec.h). Each problem is one diagnostic handed to a callback: its
 * severity, a stable rule id, the index of the event (or none for a problem
 * with a file), the event as JSON, what is wrong and how to fix it. An
 * event breaking one rule several times (three undefined type ids in one
 * value) gets one diagnostic for that rule, naming the first.
 *
 *   static int show(const ctrec_check_diagnostic *d, void *ud)
 *   {
 *       (void)ud;
 *       fprintf(stderr, "%s [%s]: %s\n", ctrec_check_severity_name(d->severity),
 *               d->rule, d->message);
 *       return 0;                       // non-zero stops the check
 *   }
 *
 *   ctrec_check_summary sum;
 *   if (ctrec_check("trace-dir", NULL, show, NULL, &sum) != CTREC_OK) ...
 *   return sum.errors ? 1 : 0;
 *
 * Errors are what makes the target debugger refuse the trace (its parser
 * or decoder fails, or its loader panics); warnings are what loads but is
 * likely a recorder bug or shows less than was recorded. The verdict
 * (summary.verdict) is the target's: refused with an error, else loads;
 * undecided when the check stopped before any error (max_event_bytes,
 * max_diagnostics, the callback).
 *
 * Memory stays constant whatever the number of events: the check keeps the
 * counts of each kind of definition, the depth of the call stack, one small
 * record per Type (its kind and field count), one per distinct function
 * name (for function-name-reused) and the set of places given a
 * CompoundValue.
 *
 * Targets and the reference code each rule encodes. "latest" is
 * metacraft-labs/codetracer src/db-backend as of 2026-08 (commit a387f8fa):
 * dap_server.rs `setup` (a *.ct first, then trace.json, then trace.bin),
 * trace_processor.rs `TraceProcessor::process_event` (run by
 * CTFSTraceReader::from_events), over the types of
 * metacraft-labs/codetracer-trace-format codetracer_trace_types/src/types.rs
 * (b136fa6). "25.11" is the release 25.11.1 (f6b35eaf): dap_server.rs
 * `launch` and trace_processor.rs over runtime_tracing 0.14.2. The
 * verdicts of tests/check/cases/verdicts.tsv come from running builds of
 * that code (and of the Nim reader for .ct); the rules were then written
 * to agree with every case.
 *
 * The grammar (reader option `strict`, ctrec_reader.h): trace.json as
 * serde_json reads it (latest: serde_json::from_slice into a Value, then
 * from_value, dap_server.rs setup; 25.11: read_to_string then
 * serde_json::from_str, runtime_tracing JsonTraceReader::load_trace_events);
 * trace.bin as codetracer_trace_reader cbor_zstd_reader.rs `read_trace`
 * does (the 8 header bytes compared whole, zeekstd's seek table at the end
 * of the file, cbor4ii's decoder); what it refuses is parse-error (or
 * value-too-deep), and the check stops there as the debugger does.
 *
 * Rule ids (stable; a new version may add rules, never rename one):
 *
 *   errors (both targets unless a target is named)
 *   unreadable-trace      the trace cannot be opened (no trace file, not a
 *                         trace, trace.bin header not C0 DE 72 AC E2 01 00 00:
 *                         trace_readers.rs BinaryTraceReader panics "Invalid
 *                         file header")
 *   parse-error           the grammar or the types refuse an event
 *                         (types.rs TraceLowLevelEvent/ValueRecord serde
 *                         derives: a missing field such as Sequence's
 *                         is_slice, a Char that is not one char, -0 as an
 *                         integer, bytes after ']' or after the seek table,
 *                         a repeated key for 25.11, ...); the check stops
 *   value-too-deep        more than 127 nested arrays/objects in trace.json
 *                         counting the top-level array (serde_json's
 *                         recursion limit: 62 value levels in a Value, 61
 *                         in a Call argument), or 127 arrays/maps in one
 *                         CBOR event (63 value levels); for 25.11 the
 *                         values of unknown keys do not count (serde's
 *                         IgnoredAny)
 *   float-encoding        a Float's "f": latest reads it with serde_with
 *                         DisplayFromStr (a string, parsed by Rust's
 *                         f64::from_str: "inf", "NaN", "1e5", ".5" but not
 *                         "0x10" or " 1"), 25.11 as an f64 (a number); the
 *                         same in trace.json and in trace.bin's CBOR (a .ct
 *                         holds CBOR float64s: not checked)
 *   assignment-event      an Assignment: types.rs RValue is internally
 *                         tagged with variants holding bare ids, which
 *                         serde cannot decode ("invalid type: map, expected
 *                         usize"): no CodeTracer loads such a file
 *   event-not-in-target   25.11 only: ThreadStart/ThreadExit/ThreadSwitch
 *                         and Char values (not in runtime_tracing 0.14:
 *                         "unknown variant"), BindVariable and DropVariables
 *                         (25.11 trace_processor.rs: unimplemented!()), and
 *                         any .ct (25.11 has no CTFS path)
 *   return-without-call   a Return with no open call (trace_processor.rs
 *                         Return: assert!(self.depth > 0)); latest counts
 *                         the "<top-level>" call it makes up at a Step
 *                         without any Call
 *   step-before-call      25.11 only: a Step before the first Call
 *                         (trace_processor.rs Step: assert!(current_call_key
 *                         >= 0); latest makes a "<top-level>" call instead)
 *   drop-last-step        any DropLastStep (trace_processor.rs DropLastStep:
 *                         assert!(current_step_id > 0) with fewer than two
 *                         Steps; else it pops every step table but
 *                         db.instructions, and postprocess's final assert
 *                         "db.instructions has different length than
 *                         db.steps" fails)
 *   step-path-id-too-large  a Step (line >= 0) with a path id of 2^32 or more
 *                         (trace_processor.rs Step grows db.step_map to
 *                         path_id + 1 HashMaps: u64::MAX wraps and panics,
 *                         2^32 tables exhaust memory)
 *   event-before-first-step  CompoundValue, CellValue, AssignCell, Asm or
 *                         VariableCell before the first Step, VariableCell
 *                         with no open call (trace_processor.rs indexes the
 *                         current step's and call's tables)
 *   compound-value-not-sequence  a CompoundValue holding anything but a
 *                         Sequence (trace_processor.rs: todo!())
 *   assign-compound-item-without-compound-value  AssignCompoundItem on a
 *                         place no earlier CompoundValue defined
 *                         (trace_processor.rs: expect("at least one register
 *                         of compound value ..."))
 *   metadata-missing      25.11 only (a warning for latest):
 *                         trace_metadata.json missing or not JSON (25.11
 *                         dap_server.rs launch panics "metadata file ...
 *                         read error"; latest reads only "workdir" from it
 *                         and falls back to the trace folder)
 *   metadata-field-missing 25.11 only (a warning for latest): no workdir,
 *                         program or args of the right JSON type, or a file
 *                         serde_json does not decode as 25.11's
 *                         TraceMetadata (an arg that is not a string, bytes
 *                         after the object: ctrec_trace_metadata.serde_ok)
 *   ct-layout             .ct: an events.log without meta.dat
 *                         (ctfs_trace_reader/mod.rs open_old_format), or
 *                         neither steps.dat nor events.log
 *   ct-meta-dat           .ct without events.log (open_new_format_nim, the
 *                         Nim reader's ct_reader_open): meta.dat missing, of
 *                         a version other than 3 or with flag bits outside
 *                         0x1FFF (meta_dat.nim readMetaDat, KnownFlags): the
 *                         reader drops the metadata, reads the streams with
 *                         the legacy framing and the debugger shows no step
 *                         (recorders already set 0x2000)
 *   ct-container-geometry .ct without events.log: block size not 4096 or
 *                         root entries not 31 (container.nim
 *                         readInternalFile uses DefaultBlockSize and
 *                         DefaultMaxRootEntries whatever the header says)
 *   ct-events-log-stream  .ct with events.log and meta.dat: events.log is
 *                         trace.bin's header and zstd stream, as the Rust
 *                         crate's older CTFS writer wrote it (ctrec reads
 *                         it); the debugger's load_events reads chunks or
 *                         plain CBOR only and refuses it
 *   ct-beam-sidecar-refused trace_meta.json and runtime_session.jsonl beside
 *                         the .ct, and trace_meta.json unreadable or not
 *                         JSON, or (a BEAM recorder's) a log line or a
 *                         manifest member not JSON: the debugger reads them
 *                         before the container and its open fails
 *                         (ctrec_reader_ct_sidecar)
 *   A .ct whose calls break replay (an exit before the entry, a parent that
 *   does not contain the call, ids out of range) or whose container is
 *   damaged is refused by ctrec's .ct reader: parse-error, with the member
 *   and offset.
 *
 *   warnings (the target loads the trace)
 *   event-over-bound      an event larger than max_event_bytes (in a .ct:
 *                         what ctrec_reader_options.max_event_bytes says
 *                         the bound applies to; or the
 *                         multi-stream members of a container holding
 *                         both layouts, which then are not compared with
 *                         events.log): nothing after it was checked,
 *                         verdict undecided (the debugger has no such
 *                         bound)
 *   undefined-path-id, undefined-function-id, undefined-type-id,
 *   undefined-variable-id an id used before its definition (the loaders do
 *                         not look ids up; what uses it cannot be shown).
 *                         Values in a trace without any Type are the
 *                         placeholder-type case (no-type-events) except in
 *                         a slice Sequence
 *   no-step               the trace has no Step (it loads, empty)
 *   struct-type-not-struct, struct-field-count  a Struct value that does
 *                         not match its type (trace.json/trace.bin: a .ct
 *                         keeps only type names)
 *   paths-file-missing, paths-file-mismatch  trace_paths.json missing or
 *                         not listing the Path events (no loader reads it)
 *   cell-in-value         a Cell value inside a Value event
 *   type-0-not-none       type id 0 is not the None type the reference
 *                         writer defines first (trace.json/trace.bin)
 *   no-type-events        values carry type ids but no Type is defined
 *   function-name-reused  two Function events with one name and different
 *                         locations (the reference dedups by name only)
 *   open-calls-at-end     calls other than the top-level one left open
 *   source-file-missing   a recorded path has no copy under files/
 *   relative-path-without-workdir a relative path, and no absolute workdir
 *   ct-two-layouts        a .ct holding events.log and the multi-stream
 *                         members (steps.dat ...): the debugger builds the
 *                         trace from events.log (ctfs_trace_reader/mod.rs
 *                         is_new_format, open_old_format), which is what is
 *                         checked, and serves single steps, values and calls
 *                         from the streams; they hold another number of
 *                         Steps or Calls, or do not read (it drops them)
 *   ct-beam-sidecar       a BEAM recorder's trace_meta.json and
 *                         runtime_session.jsonl beside the .ct: the
 *                         debugger shows that log instead of the container
 *                         (ctrec_reader_ct_sidecar); the other findings
 *                         are the container's
 *   metadata-recording-id latest only: no recording_id, or not a lowercase
 *                         UUIDv7 (the newest TraceMetadata type requires it;
 *                         the loader does not decode that type)
 *   unsupported-event, unsupported-value  retired (the reference runs
 *                         showed which targets refuse what: see
 *                         event-not-in-target); never reported
 */
#ifndef CTREC_CHECK_H
#define CTREC_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ctrec/ctrec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The debugger the trace is checked against. */
typedef enum ctrec_check_target {
    CTREC_CHECK_LATEST = 0, /* the newest CodeTracer (floats as text) */
    CTREC_CHECK_25_11 = 1   /* CodeTracer 25.11 (floats as JSON numbers, a
                               Call before the first Step, no Variant/Char) */
} ctrec_check_target;

/* "latest" or "25.11" for a target; "?" for an unknown one (never NULL). */
const char *ctrec_check_target_name(ctrec_check_target target);

/* Parses "latest" or "25.11" into *target. Returns CTREC_E_ARG for any
 * other text (and leaves *target alone). */
ctrec_status ctrec_check_target_parse(const char *text, ctrec_check_target *target);

typedef enum ctrec_check_severity {
    CTREC_CHECK_WARNING = 0,
    CTREC_CHECK_ERROR = 1
} ctrec_check_severity;

/* "warning" or "error"; "?" for an unknown one (never NULL). */
const char *ctrec_check_severity_name(ctrec_check_severity severity);

/* event_index of a diagnostic about a file rather than one event. */
#define CTREC_CHECK_NO_EVENT UINT64_MAX

/*
 * One problem. Every pointer is valid only during the callback; copy what
 * you keep. Text is NUL-terminated.
 */
typedef struct ctrec_check_diagnostic {
    ctrec_check_severity severity;
    const char *rule;        /* stable kebab-case rule id (see above) */
    const char *file;        /* the file at fault: the trace file, or
                                trace_metadata.json, trace_paths.json, ... */
    uint64_t event_index;    /* 0-based index of the event in the stream, or
                                CTREC_CHECK_NO_EVENT */
    const char *event_json;  /* the event as ctrec_event_to_json() spells it,
                                or NULL (no event, or it did not parse) */
    const char *message;     /* what is wrong, one line */
    const char *fix;         /* how to fix it, one line */
} ctrec_check_diagnostic;

/* Called once per diagnostic: first those about trace_metadata.json and
 * trace_paths.json, then those about events in stream order, then those
 * about the trace as a whole. A diagnostic that can be decided only later
 * (undefined-type-id for values before the first Type, no-type-events)
 * comes when it is decided, with the index of the event it names. Return 0
 * to go on, non-zero to stop the check (the summary then has stopped = 1). */
typedef int (*ctrec_check_callback)(const ctrec_check_diagnostic *diag, void *userdata);

typedef struct ctrec_check_options {
    ctrec_check_target target;  /* default CTREC_CHECK_LATEST */
    /* Stop after this many diagnostics have been reported; 0 (default):
     * no limit. */
    uint64_t max_diagnostics;
    /* Look for the files/ copies of the recorded paths; default 1. */
    int check_files;
    /* The reader's bound on one event, in encoded bytes; 0 (default): the
     * reader's default of 64 MiB. The debugger has no such bound: an event
     * over it is the diagnostic event-over-bound and the verdict
     * CTREC_CHECK_UNDECIDED, not a refusal. */
    size_t max_event_bytes;
} ctrec_check_options;

/* Fills *opts with the defaults above. Call it before setting fields. */
void ctrec_check_options_init(ctrec_check_options *opts);

/* What the target debugger does with the trace. */
typedef enum ctrec_check_verdict {
    CTREC_CHECK_LOADS = 0,          /* no error, no warning */
    CTREC_CHECK_LOADS_WITH_WARNINGS,/* warnings only */
    CTREC_CHECK_REFUSED,            /* at least one error */
    CTREC_CHECK_UNDECIDED           /* no error before the check stopped: at an
                                       event larger than max_event_bytes
                                       (raise the bound), or at
                                       max_diagnostics or the callback's word */
} ctrec_check_verdict;

/* "loads", "loads-with-warnings", "refused" or "undecided" ("?" for a
 * number out of range). */
const char *ctrec_check_verdict_name(ctrec_check_verdict verdict);

typedef struct ctrec_check_summary {
    uint64_t errors;    /* diagnostics of severity error reported */
    uint64_t warnings;  /* diagnostics of severity warning reported */
    uint64_t events;    /* events read */
    ctrec_format format;/* format of the trace file (if it was opened) */
    int stopped;        /* 1 if the check ended before the end of the trace
                           (parse error, max_diagnostics, the callback) */
    ctrec_check_verdict verdict;
} ctrec_check_summary;

/*
 * Checks the trace at `path` (a folder, a trace.json or a trace.bin; the
 * folder's, or the file's neighbouring, trace_metadata.json,
 * trace_paths.json and files/ are checked with it). `opts` may be NULL for
 * the defaults, `cb` NULL to only count, `out` NULL.
 *
 * A trace that breaks rules is not a failure of ctrec_check(): it returns
 * CTREC_OK and reports the problems as diagnostics (a trace that cannot be
 * opened is the diagnostic unreadable-trace). It returns CTREC_E_ARG for a
 * NULL path or a bad option and CTREC_E_NOMEM when memory runs out; *out is
 * filled in every case.
 */
ctrec_status ctrec_check(const char *path, const ctrec_check_options *opts,
                         ctrec_check_callback cb, void *userdata, ctrec_check_summary *out);

#ifdef __cplusplus
}
#endif

#endif /* CTREC_CHECK_H */
