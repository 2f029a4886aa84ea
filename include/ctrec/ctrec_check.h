/*
 * ctrec_check.h — will the debugger load this trace?
 *
 * ctrec_check() reads a trace (a trace folder, a trace.json or a trace.bin)
 * through the reader of ctrec_reader.h in one pass and reports every place
 * where it breaks a rule the CodeTracer debugger relies on (what a recorder
 * must emit: recording-guide.md beside ctrec.h). Each problem is one diagnostic handed to a callback: its
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
 * Errors are what makes the debugger refuse the trace, crash on it or show
 * wrong data. Warnings are what a released debugger does not handle (the
 * newest may), and what usually means a recorder bug without breaking the
 * load.
 *
 * Memory stays constant whatever the number of events: the check keeps the
 * counts of each kind of definition, the depth of the call stack, one small
 * record per Type (its kind and field count), one per distinct function
 * name (for function-name-reused) and the set of places given a
 * CompoundValue.
 *
 * Rule ids (stable; a new version may add rules, never rename one):
 *
 *   errors
 *   unreadable-trace      the trace cannot be opened (no trace.json or
 *                         trace.bin, not a trace file)
 *   parse-error           an event does not parse or has a field of the
 *                         wrong type; the check stops at the first one
 *   undefined-path-id     Step or Function names a path not yet defined
 *   undefined-function-id Call names a function not yet defined
 *   undefined-type-id     a type id in a value (Value, Call args, Return,
 *                         CompoundValue, CellValue, AssignCell), a struct
 *                         field type or a pointer target not yet defined.
 *                         A trace with no Type event at all is the
 *                         debugger's "no type information" case: its values
 *                         are shown with a placeholder type, so their type
 *                         ids are not checked (warning no-type-events),
 *                         except in a slice Sequence, whose type the
 *                         debugger looks up directly
 *   undefined-variable-id Value, Call args, BindVariable, VariableCell,
 *                         DropVariable(s) or Assignment names a variable
 *                         not yet defined
 *   return-without-call   a Return with no open call
 *   no-step               the trace has no Step
 *   step-before-call      a Step before the first Call (target 25.11 only;
 *                         reported at the first such Step)
 *   struct-type-not-struct     a Struct value whose type is not a Struct type
 *   struct-field-count    a Struct value whose number of field values is
 *                         not the type's number of fields
 *   paths-file-missing    trace_paths.json is missing or unreadable
 *   paths-file-mismatch   trace_paths.json does not list exactly the Path
 *                         events, in order (reported at the first Path that
 *                         differs, or at the end when the file lists more)
 *   metadata-missing      trace_metadata.json is missing or does not parse
 *   metadata-field-missing trace_metadata.json lacks workdir, program or
 *                         args (or has one of the wrong JSON type)
 *   float-encoding        a JSON float the target debugger rejects: a text
 *                         "f" for 25.11, a number for latest (trace.bin
 *                         always uses text, which both read)
 *   value-too-deep        a value nested more than 61 levels (60 compound
 *                         levels and a leaf, the writer's bound): the
 *                         reference readers refuse the whole trace
 *
 *   warnings
 *   unsupported-event     DropLastStep, ThreadStart/Exit/Switch,
 *                         BindVariable, Assignment or DropVariables: a
 *                         released debugger crashes on or rejects them
 *   cell-in-value         a Cell value inside a Value event
 *   compound-value-not-sequence a CompoundValue holding anything but a
 *                         Sequence
 *   assign-compound-item-without-compound-value  AssignCompoundItem on a
 *                         place no earlier CompoundValue defined
 *   unsupported-value     a Variant or Char value (target 25.11 only)
 *   type-0-not-none       type id 0 is not the None type the reference
 *                         writer defines first
 *   no-type-events        values carry type ids but no Type is defined
 *   function-name-reused  two Function events with one name and different
 *                         locations (the reference dedups by name only)
 *   open-calls-at-end     calls other than the top-level one left open at
 *                         the end of the trace
 *   source-file-missing   a recorded path has no copy under files/
 *   relative-path-without-workdir a relative path, and trace_metadata.json
 *                         has no absolute workdir to resolve it against
 *   metadata-recording-id trace_metadata.json has no recording_id, or not a
 *                         lowercase hyphenated UUIDv7 (target latest only:
 *                         the newest reference type requires it, older
 *                         readers ignore it)
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

/* "loads", "loads-with-warnings", "refused" or "undecided" (NULL for a
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
