/*
 * filter.h — trace filters in the format of CodeTracer's Python recorder
 * (codetracer_trace_filter): TOML files of scope rules (trace or skip a
 * function) and value patterns (allow, redact or drop a local, upvalue,
 * argument or return value). README.md, "Trace filters", describes the
 * format and where ctrec-lua differs from the Python recorder.
 *
 * Use: filter_new, filter_add_file for each file of the chain (the
 * discovered .codetracer/trace-filter.toml, then CTREC_LUA_TRACE_FILTER,
 * then each --trace-filter), filter_finish; then filter_classify once per
 * function (the recorder caches the result), filter_decide per value.
 * Nothing here knows about Lua or the trace writer.
 */
#ifndef CTREC_LUA_FILTER_H
#define CTREC_LUA_FILTER_H

#include <stddef.h>

typedef enum filter_action { FILTER_ALLOW, FILTER_REDACT, FILTER_DROP } filter_action;

/* Value kinds of value selectors ("local:", "upvalue:", "arg:", "ret:";
 * "global:" and "attr:" are accepted for files shared with the Python
 * recorder and match nothing that ctrec-lua records). */
typedef enum filter_value_kind {
    FILTER_LOCAL,
    FILTER_UPVALUE,
    FILTER_ARG,
    FILTER_RET,
    FILTER_GLOBAL,
    FILTER_ATTR
} filter_value_kind;

/* The name a return value is matched by, as in the Python recorder. */
#define FILTER_RETURN_NAME "<return>"
/* The marker text written for a redacted value, and for a dropped return
 * value (a Return needs a value), as in the Python recorder. */
#define FILTER_REDACTED "<redacted>"
#define FILTER_DROPPED "<dropped>"

typedef struct trace_filter trace_filter;

/* What a scope (one function) resolved to. */
typedef struct filter_scope {
    int skip;                    /* exec = "skip" */
    filter_action value_default; /* when no value pattern matches */
    const struct filter_vpat *const *pats; /* the value patterns, first match wins */
    size_t npats;
    int rule;                    /* index of the last matching rule, -1: none */
} filter_scope;

trace_filter *filter_new(void);
void filter_free(trace_filter *f);

/* Reads and adds one filter file to the chain. Returns 0, or -1 with a
 * message "FILE:LINE:COL: ..." (or "FILE: ..." when the file cannot be
 * read) in err. */
int filter_add_file(trace_filter *f, const char *path, char *err, size_t errsize);
/* The same for text already in memory: `path` is the absolute path it is
 * named by (and the project root is found from), used in messages and in
 * the metadata. */
int filter_add_text(trace_filter *f, const char *text, size_t len, const char *path, char *err,
                    size_t errsize);
/* After the last file: checks that the chain set scope.default_exec and
 * scope.default_value_action. Returns 0 or -1 (message in err). */
int filter_finish(trace_filter *f, char *err, size_t errsize);

/* The rules that apply to a function: `abs_path` is its file (absolute),
 * `module` the module name `require` loaded that file under (NULL when the
 * file was not required: the name is then derived from the path),
 * `qualname` the function's name ("" for a chunk's main function). The
 * result is owned by the filter and lives as long as it does. NULL only
 * when out of memory. */
const filter_scope *filter_classify(trace_filter *f, const char *abs_path, const char *module,
                                    const char *qualname);
/* The action for a value of `kind` named `name` in that scope. */
filter_action filter_decide(const filter_scope *s, filter_value_kind kind, const char *name);

/* The active filters as the JSON object text written into
 * trace_metadata.json: {"trace_filter": {"filters": [{"name", "version",
 * "sha256", "path"}...]}}. malloc'd; NULL when out of memory. */
char *filter_metadata_json(const trace_filter *f);

/* Walks up from the directory of `script` (made absolute) looking for
 * .codetracer/trace-filter.toml. Returns the malloc'd absolute path of
 * the first one found, or NULL. */
char *filter_discover(const char *script);

/* Splits a "::"-separated list (as CODETRACER_TRACE_FILTER and
 * --trace-filter take it) and calls add for each non-empty, blank-trimmed
 * entry. Returns the first non-zero result of add, or 0. */
int filter_split_list(const char *list, int (*add)(void *ctx, const char *path), void *ctx);

#endif
