/*
 * test_check.c — ctrec_check(): for every rule a crafted trace that breaks
 * it (the diagnostic names the right event index and rule id) and one that
 * passes; the shared fixtures get the debugger's verdict; traces written by
 * the project's own writer check clean.
 *
 *   test_check FIXTURES_DIR EXAMPLE_PROGRAM
 *   test_check --peak-rss TRACE LIMIT_KB   (for step_map_flat.py)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_check.h"
#include "../rss_checked.h"

static int failures, checks;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks++;                                                                    \
        if (!(cond)) {                                                               \
            failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK(%s) failed [%s]\n", __FILE__, __LINE__, #cond, \
                    current);                                                        \
        }                                                                            \
    } while (0)

static const char *current = ""; /* the case being run, for failure messages */
static char tmp_root[256];

/* ------------------------------------------------------------------------
 * Collected diagnostics
 * ------------------------------------------------------------------------ */

#define MAXD 256
typedef struct diag {
    ctrec_check_severity sev;
    char rule[64];
    uint64_t index;
    int has_json;
    char fix[256];
} diag;

static diag diags[MAXD];
static size_t ndiags;
static ctrec_check_summary sum;
static int verbose;

static int collect(const ctrec_check_diagnostic *d, void *ud)
{
    (void)ud;
    if (verbose)
        fprintf(stderr, "  %s [%s] event %" PRId64 ": %s\n    %s\n",
                ctrec_check_severity_name(d->severity), d->rule,
                d->event_index == CTREC_CHECK_NO_EVENT ? (int64_t)-1 : (int64_t)d->event_index,
                d->message, d->event_json ? d->event_json : "-");
    if (!d->rule || !d->message || !d->fix || !d->file || !d->message[0] || !d->fix[0])
        failures++;
    if (ndiags < MAXD) {
        diags[ndiags].sev = d->severity;
        snprintf(diags[ndiags].rule, sizeof diags[ndiags].rule, "%s", d->rule);
        diags[ndiags].index = d->event_index;
        diags[ndiags].has_json = d->event_json != NULL;
        snprintf(diags[ndiags].fix, sizeof diags[ndiags].fix, "%s", d->fix);
        ndiags++;
    }
    return 0;
}

static void run_opts(const char *path, const ctrec_check_options *o)
{
    ndiags = 0;
    ctrec_status st = ctrec_check(path, o, collect, NULL, &sum);
    CHECK(st == CTREC_OK);
    CHECK(sum.errors + sum.warnings == ndiags);
}

static void run(const char *path, ctrec_check_target target, int files)
{
    ctrec_check_options o;
    ctrec_check_options_init(&o);
    o.target = target;
    o.check_files = files;
    run_opts(path, &o);
}

/* The number of diagnostics with this rule (and this index, unless ANY). */
#define ANY (UINT64_MAX - 1)
static int count(const char *rule, uint64_t index)
{
    int n = 0;
    for (size_t i = 0; i < ndiags; i++)
        if (strcmp(diags[i].rule, rule) == 0 && (index == ANY || diags[i].index == index)) n++;
    return n;
}

static void dump(void)
{
    for (size_t i = 0; i < ndiags; i++)
        fprintf(stderr, "    got %s [%s] at %" PRId64 "\n", ctrec_check_severity_name(diags[i].sev),
                diags[i].rule,
                diags[i].index == CTREC_CHECK_NO_EVENT ? (int64_t)-1 : (int64_t)diags[i].index);
}

/* Exactly one diagnostic of `rule` at `index` with severity `sev`. */
#define EXPECT(rule, index, sev) expect_((rule), (index), (sev), __LINE__)
static void expect_(const char *rule, uint64_t index, ctrec_check_severity sev, int line)
{
    checks++;
    int found = 0;
    for (size_t i = 0; i < ndiags; i++)
        if (strcmp(diags[i].rule, rule) == 0 && diags[i].index == index) {
            found++;
            if (diags[i].sev != sev) found = 100;
            /* an event that does not parse cannot be shown */
            if (index != CTREC_CHECK_NO_EVENT && !diags[i].has_json &&
                strcmp(rule, "parse-error") != 0 && strcmp(rule, "value-too-deep") != 0)
                found = 100;
        }
    if (found != 1) {
        failures++;
        fprintf(stderr, "%s:%d: [%s] expected one %s [%s] at event %" PRId64 ", found %d\n",
                __FILE__, line, current, ctrec_check_severity_name(sev), rule,
                index == CTREC_CHECK_NO_EVENT ? (int64_t)-1 : (int64_t)index, found);
        dump();
    }
}

#define EXPECT_CLEAN() expect_clean_(__LINE__)
static void expect_clean_(int line)
{
    checks++;
    if (ndiags || sum.stopped) {
        failures++;
        fprintf(stderr, "%s:%d: [%s] expected no diagnostic\n", __FILE__, line, current);
        dump();
    }
}

/* ------------------------------------------------------------------------
 * Crafting traces
 * ------------------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) {
        perror(p);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* Creates dir/rel (an empty file) and the folders leading to it. */
static void make_file(const char *dir, const char *rel)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    for (char *q = p + strlen(dir) + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        mkdir(p, 0755);
        *q = '/';
    }
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(2);
    }
    fclose(f);
}

static int case_no;

/* A fresh folder under tmp_root. */
static const char *fresh_dir(const char *name)
{
    static char d[512];
    current = name;
    snprintf(d, sizeof d, "%s/%02d-%s", tmp_root, ++case_no, name);
    if (mkdir(d, 0755) != 0) {
        perror(d);
        exit(2);
    }
    return d;
}

#define RID "\"recording_id\":\"0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b\","
#define META_OK "{" RID "\"workdir\":\"/work\",\"program\":\"p\",\"args\":[]}"
/* The reference opening: Path 0, Function 0 <toplevel>, Call 0, Type 0 None,
 * Step: events 0..4. */
#define PRE                                                                   \
    "{\"Path\":\"/src/a.x\"}",                                                \
        "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",  \
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",                         \
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}", \
        "{\"Step\":{\"path_id\":0,\"line\":1}}"
#define PATHS_PRE "[\"/src/a.x\"]"

/* Writes trace.json from the NULL-ended event lines, and the metadata and
 * paths files unless NULL. Returns the folder. */
static const char *trace_with(const char *name, const char *meta, const char *paths, ...)
{
    const char *d = fresh_dir(name);
    size_t cap = 1 << 16, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "[\n");
    va_list ap;
    va_start(ap, paths);
    const char *ev;
    int first = 1;
    while ((ev = va_arg(ap, const char *))) {
        len += (size_t)snprintf(t + len, cap - len, "%s%s", first ? "" : ",\n", ev);
        first = 0;
    }
    va_end(ap);
    snprintf(t + len, cap - len, "\n]\n");
    write_file(d, "trace.json", t);
    free(t);
    if (meta) write_file(d, "trace_metadata.json", meta);
    if (paths) write_file(d, "trace_paths.json", paths);
    return d;
}

#define TRACE(name, ...) trace_with(name, META_OK, PATHS_PRE, __VA_ARGS__, (const char *)NULL)

/* ------------------------------------------------------------------------
 * Rules, one at a time
 * ------------------------------------------------------------------------ */

#define L CTREC_CHECK_LATEST
#define T2511 CTREC_CHECK_25_11
#define E CTREC_CHECK_ERROR
#define W CTREC_CHECK_WARNING
#define NOEV CTREC_CHECK_NO_EVENT

static void test_clean_base(void)
{
    run(TRACE("clean", PRE), L, 0);
    EXPECT_CLEAN();
    CHECK(sum.events == 5);
    run(TRACE("clean-2511", PRE), T2511, 0);
    EXPECT_CLEAN();
}

static void test_parse_error(void)
{
    const char *d = TRACE("parse-error", PRE, "{\"Step\":{\"path_id\":\"x\",\"line\":1}}",
                          "{\"Step\":{\"path_id\":0,\"line\":2}}");
    run(d, L, 0);
    EXPECT("parse-error", 5, E);
    CHECK(sum.errors == 1 && sum.stopped);
    CHECK(count("no-step", ANY) == 0); /* nothing after the parse error */

    d = TRACE("parse-error-unknown-variant", PRE, "{\"Nope\":1}");
    run(d, L, 0);
    EXPECT("parse-error", 5, E);

    /* a trace.json without its closing ']' */
    d = fresh_dir("parse-error-truncated");
    write_file(d, "trace.json", "[\n{\"Path\":\"/src/a.x\"},\n{\"Step\":{\"path_id\":0,");
    write_file(d, "trace_metadata.json", META_OK);
    write_file(d, "trace_paths.json", PATHS_PRE);
    run(d, L, 0);
    EXPECT("parse-error", 1, E);
    /* a cut file is completed, not rewritten: the fix says how */
    CHECK(ndiags == 1 && strstr(diags[0].fix, "ctrec repair") != NULL);
    d = TRACE("parse-error-fix", PRE, "{\"Nope\":1}");
    run(d, L, 0);
    CHECK(ndiags == 1 && strstr(diags[0].fix, "FORMAT.md") != NULL);
}

static void test_unreadable(void)
{
    current = "unreadable";
    char p[512];
    snprintf(p, sizeof p, "%s/does-not-exist", tmp_root);
    run(p, L, 0);
    EXPECT("unreadable-trace", NOEV, E);
    CHECK(sum.errors == 1);
}

static void test_undefined_path(void)
{
    run(TRACE("undefined-path-id", PRE, "{\"Step\":{\"path_id\":1,\"line\":2}}",
              "{\"Function\":{\"path_id\":3,\"line\":1,\"name\":\"f\"}}",
              "{\"Path\":\"/src/b.x\"}", "{\"Step\":{\"path_id\":1,\"line\":2}}"),
        L, 0);
    /* the reference loaders load it (ids are used lazily): warnings */
    EXPECT("undefined-path-id", 5, W);
    EXPECT("undefined-path-id", 6, W);
    CHECK(count("undefined-path-id", ANY) == 2);
    /* the fourth event uses path 1 after its definition: fine, but the
     * paths file lists one path only (no debugger reads that file) */
    EXPECT("paths-file-mismatch", 7, W);
    CHECK(sum.errors == 0);
}

static void test_undefined_function(void)
{
    run(TRACE("undefined-function-id", PRE, "{\"Call\":{\"function_id\":1,\"args\":[]}}",
              "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
              "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              "{\"Call\":{\"function_id\":1,\"args\":[]}}",
              "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}"),
        L, 0);
    EXPECT("undefined-function-id", 5, W);
    CHECK(sum.errors == 0 && sum.warnings == 1);
}

#define VN(name) "{\"VariableName\":\"" name "\"}"

static void test_undefined_type(void)
{
    run(TRACE("undefined-type-id", PRE, VN("v"),
              /* 6 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":1}}}",
              /* 7 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Sequence\",\"elements\":["
                      "{\"kind\":\"None\",\"type_id\":0},{\"kind\":\"Bool\",\"b\":true,\"type_id\":9}],"
                      "\"is_slice\":false,\"type_id\":0}}}",
              /* 8 */ "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              /* 9 */ "{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":0,\"value\":"
                      "{\"kind\":\"String\",\"text\":\"s\",\"type_id\":4}}]}}",
              /* 10 */ "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":2}}}",
              /* 11 */ "{\"CompoundValue\":{\"place\":1,\"value\":{\"kind\":\"Sequence\",\"elements\":[],"
                       "\"is_slice\":false,\"type_id\":3}}}",
              /* 12 */ "{\"CellValue\":{\"place\":2,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":3}}}",
              /* 13 */ "{\"AssignCell\":{\"place\":2,\"new_value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":3}}}",
              /* 14 */ "{\"Type\":{\"kind\":6,\"lang_type\":\"S\",\"specific_info\":{\"kind\":\"Struct\","
                       "\"fields\":[{\"name\":\"a\",\"type_id\":0},{\"name\":\"b\",\"type_id\":5}]}}}",
              /* 15 */ "{\"Type\":{\"kind\":23,\"lang_type\":\"P\",\"specific_info\":{\"kind\":\"Pointer\","
                       "\"dereference_type_id\":7}}}",
              /* 16 */ "{\"Type\":{\"kind\":23,\"lang_type\":\"Q\",\"specific_info\":{\"kind\":\"Pointer\","
                       "\"dereference_type_id\":1}}}",
              /* 17 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Reference\",\"dereferenced\":"
                       "{\"kind\":\"Int\",\"i\":1,\"type_id\":3},\"address\":1,\"mutable\":false,\"type_id\":3}}}"),
        L, 0);
    for (uint64_t i = 6; i <= 15; i++)
        if (i != 8) EXPECT("undefined-type-id", i, W);
    CHECK(count("undefined-type-id", 16) == 0 && count("undefined-type-id", 17) == 0);
    CHECK(count("undefined-type-id", ANY) == 9);
    CHECK(sum.errors == 0 && sum.warnings == 9);
}

static void test_untyped(void)
{
    /* No Type at all (the debugger's placeholder-type case): tolerated. */
    run(trace_with("no-type-events", META_OK, PATHS_PRE, "{\"Path\":\"/src/a.x\"}",
                   "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"main\"}}",
                   "{\"Call\":{\"function_id\":0,\"args\":[]}}",
                   "{\"Step\":{\"path_id\":0,\"line\":1}}",
                   "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
                   "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}", NULL),
        L, 0);
    EXPECT("no-type-events", 4, W);
    EXPECT("return-without-call", 5, E);
    CHECK(count("undefined-type-id", ANY) == 0);

    /* Without types, a slice's type is still looked up directly. */
    run(trace_with("untyped-slice", META_OK, PATHS_PRE, "{\"Path\":\"/src/a.x\"}",
                   "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"main\"}}",
                   "{\"Call\":{\"function_id\":0,\"args\":[]}}",
                   "{\"Step\":{\"path_id\":0,\"line\":1}}", VN("v"),
                   "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Sequence\",\"elements\":[],"
                   "\"is_slice\":true,\"type_id\":0}}}", NULL),
        L, 0);
    EXPECT("undefined-type-id", 5, W);
    CHECK(count("no-type-events", ANY) == 0);

    /* Type ids used before the first Type of a trace that has types. */
    run(trace_with("type-used-before-types", META_OK, PATHS_PRE, "{\"Path\":\"/src/a.x\"}",
                   "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"main\"}}",
                   "{\"Call\":{\"function_id\":0,\"args\":[]}}",
                   "{\"Step\":{\"path_id\":0,\"line\":1}}", VN("v"),
                   "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":0}}}",
                   "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":0}}}",
                   "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
                   "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":0}}}",
                   NULL),
        L, 0);
    EXPECT("undefined-type-id", 5, W);
    CHECK(count("undefined-type-id", ANY) == 1 && count("no-type-events", ANY) == 0);
}

static void test_undefined_variable(void)
{
    run(TRACE("undefined-variable-id", PRE,
              /* 5 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"None\",\"type_id\":0}}}",
              /* 6 */ "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              /* 7 */ "{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":2,\"value\":"
                      "{\"kind\":\"None\",\"type_id\":0}}]}}",
              /* 8 */ "{\"VariableCell\":{\"variable_id\":1,\"place\":3}}",
              /* 9 */ "{\"DropVariable\":4}",
              /* 10 */ "{\"BindVariable\":{\"variable_id\":1,\"place\":3}}",
              /* 11 */ "{\"DropVariables\":[0,1]}",
              /* 12 */ "{\"Assignment\":{\"to\":0,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Simple\",\"0\":1}}}",
              /* 13 */ VN("a"), /* 14 */ VN("b"),
              /* 15 */ "{\"Value\":{\"variable_id\":1,\"value\":{\"kind\":\"None\",\"type_id\":0}}}",
              /* 16 */ "{\"Assignment\":{\"to\":0,\"pass_by\":\"Reference\",\"from\":{\"kind\":\"Compound\",\"0\":[0,2]}}}",
              /* 17 */ "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}"),
        L, 0);
    for (uint64_t i = 5; i <= 12; i++)
        if (i != 6) EXPECT("undefined-variable-id", i, W);
    EXPECT("undefined-variable-id", 16, W);
    CHECK(count("undefined-variable-id", ANY) == 8);
    /* no CodeTracer decodes an Assignment */
    EXPECT("assignment-event", 12, E);
    EXPECT("assignment-event", 16, E);
    CHECK(sum.errors == 2);
}

#define RET_NONE "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}"

static void test_return_without_call(void)
{
    run(TRACE("return-without-call", PRE, RET_NONE, RET_NONE,
              "{\"Step\":{\"path_id\":0,\"line\":2}}", RET_NONE),
        L, 0);
    CHECK(count("return-without-call", 5) == 0); /* closes the top-level call */
    EXPECT("return-without-call", 6, E);
    EXPECT("return-without-call", 8, E);
    CHECK(sum.errors == 2);

    run(TRACE("returns-balanced", PRE, "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              "{\"Call\":{\"function_id\":1,\"args\":[]}}", "{\"Step\":{\"path_id\":0,\"line\":6}}",
              RET_NONE, RET_NONE),
        L, 0);
    EXPECT_CLEAN();
}

static void test_no_step(void)
{
    run(trace_with("no-step", META_OK, PATHS_PRE, "{\"Path\":\"/src/a.x\"}",
                   "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
                   "{\"Call\":{\"function_id\":0,\"args\":[]}}", NULL),
        L, 0);
    EXPECT("no-step", NOEV, W); /* the reference loaders load it */
    CHECK(sum.errors == 0);
    run(trace_with("empty", META_OK, "[]", NULL), L, 0);
    EXPECT("no-step", NOEV, W);
    CHECK(sum.verdict == CTREC_CHECK_LOADS_WITH_WARNINGS);
}

static void test_step_before_call(void)
{
    const char *d = trace_with("step-before-call", META_OK, PATHS_PRE, "{\"Path\":\"/src/a.x\"}",
                               "{\"Step\":{\"path_id\":0,\"line\":1}}",
                               "{\"Step\":{\"path_id\":0,\"line\":2}}",
                               "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
                               "{\"Call\":{\"function_id\":0,\"args\":[]}}",
                               "{\"Step\":{\"path_id\":0,\"line\":3}}", NULL);
    run(d, T2511, 0);
    EXPECT("step-before-call", 1, E);
    CHECK(sum.errors == 1);
    run(d, L, 0); /* the newest debugger tolerates it */
    EXPECT_CLEAN();
}

#define STRUCT_T                                                                          \
    "{\"Type\":{\"kind\":6,\"lang_type\":\"S\",\"specific_info\":{\"kind\":\"Struct\","   \
    "\"fields\":[{\"name\":\"a\",\"type_id\":0},{\"name\":\"b\",\"type_id\":0}]}}}"
#define INT_T "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}"

static void test_struct(void)
{
    run(TRACE("struct", PRE, STRUCT_T, INT_T, VN("s"),
              /* 8 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Struct\",\"field_values\":["
                      "{\"kind\":\"None\",\"type_id\":0}],\"type_id\":1}}}",
              /* 9 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Struct\",\"field_values\":["
                      "{\"kind\":\"None\",\"type_id\":0},{\"kind\":\"None\",\"type_id\":0}],\"type_id\":2}}}",
              /* 10: fine */
              "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Struct\",\"field_values\":["
              "{\"kind\":\"None\",\"type_id\":0},{\"kind\":\"Int\",\"i\":3,\"type_id\":2}],\"type_id\":1}}}",
              /* 11: nested in a Return */
              "{\"Return\":{\"return_value\":{\"kind\":\"Tuple\",\"elements\":[{\"kind\":\"Struct\","
              "\"field_values\":[],\"type_id\":1}],\"type_id\":0}}}"),
        L, 0);
    EXPECT("struct-field-count", 8, W);
    EXPECT("struct-type-not-struct", 9, W);
    EXPECT("struct-field-count", 11, W);
    CHECK(sum.errors == 0 && sum.warnings == 3);
}

static void test_paths_file(void)
{
    /* neither debugger reads trace_paths.json: warnings for both */
    for (int t = 0; t < 2; t++) {
        ctrec_check_target tg = t ? T2511 : L;
        run(trace_with("paths-file-missing", META_OK, NULL, PRE, NULL), tg, 0);
        EXPECT("paths-file-missing", NOEV, W);
        CHECK(sum.errors == 0);

        run(trace_with("paths-file-differs", META_OK, "[\"/src/other.x\"]", PRE, NULL), tg, 0);
        EXPECT("paths-file-mismatch", 0, W);
        CHECK(sum.errors == 0);

        run(trace_with("paths-file-longer", META_OK, "[\"/src/a.x\",\"/src/b.x\"]", PRE, NULL),
            tg, 0);
        EXPECT("paths-file-mismatch", NOEV, W);
        CHECK(sum.errors == 0);
    }
}

static void test_metadata(void)
{
    /* 25.11 panics without a TraceMetadata; the current backend falls back
     * to the trace folder for the workdir (warnings) */
    run(trace_with("metadata-missing", NULL, PATHS_PRE, PRE, NULL), T2511, 0);
    EXPECT("metadata-missing", NOEV, E);
    CHECK(sum.errors == 1);
    run(trace_with("metadata-missing", NULL, PATHS_PRE, PRE, NULL), L, 0);
    EXPECT("metadata-missing", NOEV, W);
    CHECK(sum.errors == 0 && sum.verdict == CTREC_CHECK_LOADS_WITH_WARNINGS);

    run(trace_with("metadata-unparseable", "{\"workdir\": ", PATHS_PRE, PRE, NULL), T2511, 0);
    EXPECT("metadata-missing", NOEV, E);

    run(trace_with("metadata-no-args", "{\"workdir\":\"/w\",\"program\":\"p\"}", PATHS_PRE, PRE,
                   NULL),
        T2511, 0);
    EXPECT("metadata-field-missing", NOEV, E);
    CHECK(sum.errors == 1);

    run(trace_with("metadata-bad-types", "{\"workdir\":1,\"program\":\"\",\"args\":[]}",
                   PATHS_PRE, PRE, NULL),
        T2511, 0);
    EXPECT("metadata-field-missing", NOEV, E);
    run(trace_with("metadata-bad-types", "{\"workdir\":1,\"program\":\"\",\"args\":[]}",
                   PATHS_PRE, PRE, NULL),
        L, 0);
    EXPECT("metadata-field-missing", NOEV, W);

    /* a field given twice, the second time broken (the reader once freed
     * the first copy twice) */
    run(trace_with("metadata-duplicate-broken", "{\"workdir\":\"/w\",\"workdir\":\"\\q\"}",
                   PATHS_PRE, PRE, NULL),
        T2511, 0);
    EXPECT("metadata-missing", NOEV, E);

    /* recording_id: required by the newest reference type only */
    const char *d = trace_with("metadata-no-recording-id", "{\"workdir\":\"/w\",\"program\":\"p\","
                               "\"args\":[]}", PATHS_PRE, PRE, NULL);
    run(d, L, 0);
    EXPECT("metadata-recording-id", NOEV, W);
    CHECK(sum.errors == 0 && sum.warnings == 1);
    run(d, T2511, 0);
    EXPECT_CLEAN();
    run(trace_with("metadata-bad-recording-id", "{\"recording_id\":\"0190A5B2-7C3D-7E4F-8A1B-"
                   "2C3D4E5F6A7B\",\"workdir\":\"/w\",\"program\":\"p\",\"args\":[]}",
                   PATHS_PRE, PRE, NULL),
        L, 0);
    EXPECT("metadata-recording-id", NOEV, W);

    /* empty strings are present fields; unknown keys are fine */
    run(trace_with("metadata-empty-fields",
                   "{" RID "\"workdir\":\"/\",\"program\":\"\",\"args\":[],\"extra\":{}}",
                   PATHS_PRE, PRE, NULL),
        L, 0);
    EXPECT_CLEAN();
}

#define FLOAT_STR "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":\"2.5\",\"type_id\":0}}}"
#define FLOAT_NUM "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":2.5,\"type_id\":0}}}"

static void test_floats(void)
{
    const char *s = TRACE("float-string", PRE, VN("x"), FLOAT_STR, FLOAT_STR);
    run(s, L, 0);
    EXPECT_CLEAN();
    run(s, T2511, 0);
    EXPECT("float-encoding", 6, E);
    EXPECT("float-encoding", 7, E);
    CHECK(sum.errors == 2);

    const char *n = TRACE("float-number", PRE, VN("x"), FLOAT_NUM,
                          "{\"Return\":{\"return_value\":{\"kind\":\"Sequence\",\"elements\":["
                          "{\"kind\":\"Float\",\"f\":-1e300,\"type_id\":0}],\"is_slice\":false,"
                          "\"type_id\":0}}}");
    run(n, T2511, 0);
    EXPECT_CLEAN();
    run(n, L, 0);
    EXPECT("float-encoding", 6, E);
    EXPECT("float-encoding", 7, E);
}

/* A Value event whose value nests `depth` Sequences around an Int. */
static char *nested_value(int depth)
{
    size_t cap = (size_t)depth * 80 + 200;
    char *t = malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "{\"Value\":{\"variable_id\":0,\"value\":");
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(t + n, cap - n, "{\"kind\":\"Sequence\",\"elements\":[");
    n += (size_t)snprintf(t + n, cap - n, "{\"kind\":\"Int\",\"i\":1,\"type_id\":0}");
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(t + n, cap - n, "],\"is_slice\":false,\"type_id\":0}");
    snprintf(t + n, cap - n, "}}");
    return t;
}

static void test_depth(void)
{
    /* serde_json's recursion limit: 127 arrays and objects, the top-level
     * array counted: 62 value levels in a Value event, not 63 (the check
     * stops there, as the debugger's parser does) */
    char *ok = nested_value(61), *deep = nested_value(62);
    run(TRACE("value-too-deep", PRE, VN("v"), ok, deep, deep), L, 0);
    EXPECT("value-too-deep", 7, E);
    CHECK(sum.errors == 1 && sum.warnings == 0 && sum.stopped);
    free(ok);
    free(deep);
}

static void test_unsupported_events(void)
{
    const char *d = TRACE("unsupported-event", PRE, VN("v"),
                          /* 6 */ "\"DropLastStep\"", /* 7 */ "{\"DropLastStep\":null}",
                          /* 8 */ "{\"ThreadStart\":1}", /* 9 */ "{\"ThreadSwitch\":1}",
                          /* 10 */ "{\"ThreadExit\":1}",
                          /* 11 */ "{\"BindVariable\":{\"variable_id\":0,\"place\":1}}",
                          /* 12 */ "{\"DropVariables\":[0]}",
                          /* 13 */ "{\"Assignment\":{\"to\":0,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Simple\",\"0\":0}}}",
                          /* 14 */ "{\"VariableCell\":{\"variable_id\":0,\"place\":1}}",
                          /* 15 */ "{\"DropVariable\":0}",
                          /* 16 */ "{\"Event\":{\"kind\":0,\"metadata\":\"\",\"content\":\"hi\"}}",
                          /* 17 */ "{\"Asm\":[\"nop\"]}");
    run(d, L, 0);
    /* one Step recorded: trace_processor.rs asserts current_step_id > 0 */
    EXPECT("drop-last-step", 6, E);
    EXPECT("drop-last-step", 7, E);
    EXPECT("assignment-event", 13, E);
    CHECK(sum.errors == 3 && sum.warnings == 0);
    run(d, T2511, 0);
    for (uint64_t i = 8; i <= 12; i++) EXPECT("event-not-in-target", i, E);
    CHECK(sum.errors == 8 && sum.warnings == 0);
}

static void test_compound(void)
{
    run(TRACE("compound", PRE, VN("v"),
              /* 6 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Sequence\",\"elements\":["
                      "{\"kind\":\"Cell\",\"place\":4}],\"is_slice\":false,\"type_id\":0}}}",
              /* 7 */ "{\"CompoundValue\":{\"place\":4,\"value\":{\"kind\":\"Sequence\",\"elements\":["
                      "{\"kind\":\"Cell\",\"place\":5}],\"is_slice\":false,\"type_id\":0}}}",
              /* 8 */ "{\"CompoundValue\":{\"place\":6,\"value\":{\"kind\":\"Tuple\",\"elements\":[],"
                      "\"type_id\":0}}}",
              /* 9 */ "{\"AssignCompoundItem\":{\"place\":4,\"index\":0,\"item_place\":5}}",
              /* 10 */ "{\"AssignCompoundItem\":{\"place\":6,\"index\":0,\"item_place\":5}}",
              /* 11 */ "{\"AssignCompoundItem\":{\"place\":7,\"index\":0,\"item_place\":5}}",
              /* 12 */ "{\"CellValue\":{\"place\":5,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":0}}}",
              /* 13 */ "{\"AssignCell\":{\"place\":5,\"new_value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":0}}}"),
        L, 0);
    EXPECT("cell-in-value", 6, W);
    EXPECT("compound-value-not-sequence", 8, E);
    EXPECT("assign-compound-item-without-compound-value", 11, E);
    CHECK(sum.errors == 2 && sum.warnings == 1);
}

static void test_unsupported_values(void)
{
    const char *d = TRACE("unsupported-value", PRE, VN("v"),
                          /* 6 */ "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Variant\","
                                  "\"discriminator\":\"A\",\"contents\":{\"kind\":\"None\",\"type_id\":0},"
                                  "\"type_id\":0}}}",
                          /* 7 */ "{\"Return\":{\"return_value\":{\"kind\":\"Char\",\"c\":\"x\",\"type_id\":0}}}");
    run(d, T2511, 0); /* 25.11 reads Variant; Char came later */
    EXPECT("event-not-in-target", 7, E);
    CHECK(sum.errors == 1 && sum.warnings == 0);
    run(d, L, 0);
    EXPECT_CLEAN();
}

static void test_type0(void)
{
    run(trace_with("type-0-not-none", META_OK, PATHS_PRE, "{\"Path\":\"/src/a.x\"}",
                   "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
                   "{\"Call\":{\"function_id\":0,\"args\":[]}}", INT_T,
                   "{\"Step\":{\"path_id\":0,\"line\":1}}", NULL),
        L, 0);
    EXPECT("type-0-not-none", 3, W);
    CHECK(sum.errors == 0 && sum.warnings == 1);
}

static void test_function_reused(void)
{
    run(TRACE("function-name-reused", PRE,
              /* 5 */ "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              /* 6 */ "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              /* 7 */ "{\"Function\":{\"path_id\":0,\"line\":9,\"name\":\"f\"}}",
              /* 8 */ "{\"Function\":{\"path_id\":0,\"line\":9,\"name\":\"g\"}}"),
        L, 0);
    EXPECT("function-name-reused", 7, W);
    CHECK(sum.errors == 0 && sum.warnings == 1);
}

static void test_open_calls(void)
{
    run(TRACE("open-calls-at-end", PRE, "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
              "{\"Call\":{\"function_id\":1,\"args\":[]}}", "{\"Call\":{\"function_id\":1,\"args\":[]}}",
              RET_NONE),
        L, 0);
    EXPECT("open-calls-at-end", NOEV, W);
    CHECK(sum.errors == 0 && sum.warnings == 1);
}

static void test_files(void)
{
    const char *d = trace_with("source-files", "{" RID "\"workdir\":\"/w\",\"program\":\"p\",\"args\":[]}",
                               "[\"/src/a.x\",\"rel/b.x\",\"/src/missing.x\",\"\",\"../up.x\"]",
                               PRE, "{\"Path\":\"rel/b.x\"}", "{\"Path\":\"/src/missing.x\"}",
                               "{\"Path\":\"\"}", "{\"Path\":\"../up.x\"}", NULL);
    make_file(d, "files/src/a.x");
    make_file(d, "files/rel/b.x");
    run(d, L, 1);
    EXPECT("source-file-missing", 6, W);
    EXPECT("source-file-missing", 8, W);
    CHECK(sum.errors == 0 && sum.warnings == 2);

    /* a relative path without an absolute workdir */
    d = trace_with("relative-path-without-workdir", "{" RID "\"workdir\":\".\",\"program\":\"p\",\"args\":[]}",
                   "[\"rel/b.x\"]", "{\"Path\":\"rel/b.x\"}",
                   "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
                   "{\"Call\":{\"function_id\":0,\"args\":[]}}",
                   "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
                   "{\"Step\":{\"path_id\":0,\"line\":1}}", NULL);
    run(d, L, 0);
    EXPECT("relative-path-without-workdir", 0, W);
    CHECK(sum.errors == 0 && sum.warnings == 1);
}

static void test_limits(void)
{
    const char *d = TRACE("max-diagnostics", PRE, RET_NONE, RET_NONE, RET_NONE, RET_NONE);
    ctrec_check_options o;
    ctrec_check_options_init(&o);
    o.check_files = 0;
    o.max_diagnostics = 2;
    run_opts(d, &o);
    CHECK(ndiags == 2 && sum.stopped);

    /* no callback: counts only */
    ctrec_check_summary s;
    CHECK(ctrec_check(d, NULL, NULL, NULL, &s) == CTREC_OK);
    CHECK(s.errors == 3 && s.events == 9);
    CHECK(ctrec_check(NULL, NULL, NULL, NULL, &s) == CTREC_E_ARG);
    o.target = (ctrec_check_target)7;
    CHECK(ctrec_check(d, &o, NULL, NULL, &s) == CTREC_E_ARG);

    ctrec_check_target t = CTREC_CHECK_LATEST;
    CHECK(ctrec_check_target_parse("25.11", &t) == CTREC_OK && t == CTREC_CHECK_25_11);
    CHECK(ctrec_check_target_parse("25.10", &t) == CTREC_E_ARG && t == CTREC_CHECK_25_11);
    CHECK(strcmp(ctrec_check_target_name(CTREC_CHECK_LATEST), "latest") == 0);
}

/* ------------------------------------------------------------------------
 * The shared fixtures: the debugger's verdicts
 * ------------------------------------------------------------------------ */

static void test_fixtures(const char *fixtures)
{
    char p[600];

    /*
     * reference-rust: the Rust reference's round-trip test data, not a
     * loadable trace. Verdict: the debugger refuses it, for every target.
     * - no trace_metadata.json (the debugger cannot load the folder) and no
     *   trace_paths.json;
     * - the Return at event 4 closes the only Call; the Returns at 5..9 have
     *   no open call (the debugger's call stack underflows);
     * - no Type event at all while values use type_id 0: that alone is the
     *   debugger's "no type information" case (placeholder types), a
     *   warning, the same as for codetracer-m0 below;
     * - a Step (event 2) before the first Call: fatal for 25.11 only;
     * - floats as strings: fine for latest, rejected by 25.11 (first at
     *   event 5).
     */
    current = "fixture reference-rust";
    snprintf(p, sizeof p, "%s/reference-rust", fixtures);
    run(p, L, 1);
    EXPECT("metadata-missing", NOEV, W);
    EXPECT("paths-file-missing", NOEV, W);
    /* latest: the Step at event 2 opens a made-up top-level call, so the
     * Returns at 4 and 5 close two calls */
    for (uint64_t i = 6; i <= 9; i++) EXPECT("return-without-call", i, E);
    EXPECT("no-type-events", 4, W);
    CHECK(count("undefined-type-id", ANY) == 0 && count("float-encoding", ANY) == 0);
    CHECK(sum.errors == 4 && sum.events == 10 && sum.verdict == CTREC_CHECK_REFUSED);
    run(p, T2511, 1);
    EXPECT("metadata-missing", NOEV, E);
    EXPECT("step-before-call", 2, E);
    for (uint64_t i = 5; i <= 9; i++) EXPECT("float-encoding", i, E);
    CHECK(sum.errors == 12);

    /*
     * codetracer-wasm: the debugger's own sample trace; it loads (both
     * targets). Warnings only:
     * - type 0 is i32 (event 5), not None;
     * - workdir "." is not absolute, so the relative path test_code/... (event
     *   0) cannot be resolved reliably;
     * - the folder ships no files/ (paths at events 0, 37, 42);
     * - latest only: trace_metadata.json has no recording_id.
     */
    current = "fixture codetracer-wasm";
    snprintf(p, sizeof p, "%s/codetracer-wasm", fixtures);
    for (int t = 0; t < 2; t++) {
        run(p, t ? T2511 : L, 1);
        CHECK(sum.errors == 0);
        EXPECT("type-0-not-none", 5, W);
        EXPECT("relative-path-without-workdir", 0, W);
        EXPECT("source-file-missing", 0, W);
        EXPECT("source-file-missing", 37, W);
        EXPECT("source-file-missing", 42, W);
        if (!t) EXPECT("metadata-recording-id", NOEV, W);
        CHECK(sum.warnings == (t ? 5u : 6u) && sum.events == 63);
    }

    /*
     * codetracer-m0: a CodeTracer test fixture; it loads (both targets).
     * - `Path ""` as id 0 names no file: not checked against files/;
     * - the Call (event 6) comes before the first Step: what 25.11 needs;
     * - Calls and Returns balance (the last Return closes main);
     * - no Type event, yet the Returns carry None values with type_id 0. The
     *   debugger's to_ct_type() returns a placeholder type whenever its
     *   type table is empty ("no type information", the rr-trace case), so
     *   these values display; ctrec check makes it the warning
     *   no-type-events (at the first use, event 10), not undefined-type-id.
     *   A trace that does define types gets undefined-type-id for an id out
     *   of range, because there the debugger indexes the table;
     * - no files/ copy of the .rb source (event 1);
     * - latest only: trace_metadata.json has no recording_id.
     */
    current = "fixture codetracer-m0";
    snprintf(p, sizeof p, "%s/codetracer-m0", fixtures);
    for (int t = 0; t < 2; t++) {
        run(p, t ? T2511 : L, 1);
        CHECK(sum.errors == 0);
        EXPECT("no-type-events", 10, W);
        EXPECT("source-file-missing", 1, W);
        if (!t) EXPECT("metadata-recording-id", NOEV, W);
        CHECK(sum.warnings == (t ? 2u : 3u) && sum.events == 16);
    }
    /* the same fixtures by their trace.json */
    snprintf(p, sizeof p, "%s/codetracer-m0/trace.json", fixtures);
    run(p, T2511, 1);
    CHECK(sum.errors == 0 && sum.warnings == 2);
}

/* ------------------------------------------------------------------------
 * Traces the project's own writer produces check clean
 * ------------------------------------------------------------------------ */

#define WR(call)                                                                         \
    do {                                                                                   \
        ctrec_status st_ = (call);                                                         \
        if (st_ != CTREC_OK) {                                                             \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                 \
                    ctrec_writer_errmsg(w));                                               \
        }                                                                                  \
    } while (0)

/* Records a small program with every event kind a released debugger
 * handles, with its source copied into files/. */
static void record_program(const char *dir, ctrec_format fmt, ctrec_float_encoding fe,
                           const char *src)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    o.float_encoding = fe;
    o.program = "prog";
    ctrec_writer *w;
    WR(ctrec_writer_open(dir, &o, &w));
    ctrec_id int_t, float_t, str_t, seq_t, pt_t, ptr_t, tup_t, f_id, g_id, x, y, s, l;
    WR(ctrec_start(w, src, strlen(src), 1));
    WR(ctrec_type_z(w, CTREC_TYPE_INT, "int", &int_t));
    WR(ctrec_type_z(w, CTREC_TYPE_FLOAT, "float", &float_t));
    WR(ctrec_type_z(w, CTREC_TYPE_STRING, "str", &str_t));
    WR(ctrec_type_z(w, CTREC_TYPE_SEQ, "list", &seq_t));
    WR(ctrec_type_z(w, CTREC_TYPE_TUPLE, "tuple", &tup_t));
    ctrec_field fields[2] = {{"x", 1, 0}, {"y", 1, 0}};
    fields[0].type_id = int_t;
    fields[1].type_id = float_t;
    WR(ctrec_type_struct(w, CTREC_TYPE_STRUCT, "Point", 5, fields, 2, &pt_t));
    WR(ctrec_type_pointer(w, CTREC_TYPE_POINTER, "Point*", 6, pt_t, &ptr_t));
    WR(ctrec_function_z(w, "f", 0, 10, &f_id));
    WR(ctrec_function_z(w, "g", 0, 20, &g_id));
    WR(ctrec_variable_z(w, "x", &x));
    WR(ctrec_variable_z(w, "y", &y));
    WR(ctrec_variable_z(w, "s", &s));
    WR(ctrec_variable_z(w, "l", &l));
    WR(ctrec_step(w, 0, 2));
    WR(ctrec_variable_int(w, "x", 1, 42, int_t));
    WR(ctrec_begin_value(w, y));
    WR(ctrec_float(w, 2.5, float_t));
    WR(ctrec_end(w));
    WR(ctrec_begin_value(w, s));
    WR(ctrec_begin_reference(w, 0x1000, 1, ptr_t));
    WR(ctrec_begin_struct(w, pt_t));
    WR(ctrec_int(w, 1, int_t));
    WR(ctrec_float(w, -0.5, float_t));
    WR(ctrec_end_struct(w));
    WR(ctrec_end_reference(w));
    WR(ctrec_end(w));
    WR(ctrec_begin_value(w, l));
    WR(ctrec_begin_sequence(w, 0, seq_t));
    WR(ctrec_string(w, "a", 1, str_t));
    WR(ctrec_bool(w, 1, int_t));
    WR(ctrec_raw(w, "raw", 3, str_t));
    WR(ctrec_error(w, "err", 3, str_t));
    WR(ctrec_none(w, 0));
    static const uint8_t big[] = {1, 0, 0, 0, 0, 0, 0, 0, 0};
    WR(ctrec_bigint(w, big, sizeof big, 1, int_t));
    WR(ctrec_begin_tuple(w, tup_t));
    WR(ctrec_int(w, 7, int_t));
    WR(ctrec_end_tuple(w));
    WR(ctrec_end_sequence(w));
    WR(ctrec_end(w));
    /* as deep as the writer allows */
    WR(ctrec_begin_value(w, l));
    for (int i = 0; i < 60; i++) WR(ctrec_begin_sequence(w, 0, seq_t));
    WR(ctrec_int(w, 1, int_t));
    for (int i = 0; i < 60; i++) WR(ctrec_end_sequence(w));
    WR(ctrec_end(w));
    WR(ctrec_step(w, 0, 3));
    WR(ctrec_begin_call(w, f_id));
    WR(ctrec_arg(w, x));
    WR(ctrec_int(w, 5, int_t));
    WR(ctrec_end(w));
    WR(ctrec_step(w, 0, 11));
    WR(ctrec_call(w, g_id));
    WR(ctrec_step(w, 0, 20));
    const ctrec_str ins[2] = {{"mov", 3}, {"ret", 3}};
    WR(ctrec_asm(w, ins, 2));
    WR(ctrec_begin_return(w));
    WR(ctrec_float(w, 1.0 / 3.0, float_t));
    WR(ctrec_end(w));
    WR(ctrec_step(w, 0, 12));
    /* the place API: a Sequence of cells, its items and cells */
    WR(ctrec_begin_compound_value(w, 100));
    WR(ctrec_begin_sequence(w, 0, seq_t));
    WR(ctrec_cell(w, 101));
    WR(ctrec_end_sequence(w));
    WR(ctrec_end(w));
    WR(ctrec_begin_cell_value(w, 101));
    WR(ctrec_int(w, 1, int_t));
    WR(ctrec_end(w));
    WR(ctrec_assign_compound_item(w, 100, 0, 101));
    WR(ctrec_begin_assign_cell(w, 101));
    WR(ctrec_int(w, 2, int_t));
    WR(ctrec_end(w));
    WR(ctrec_variable_cell(w, l, 100));
    WR(ctrec_drop_variable(w, l));
    WR(ctrec_begin_return(w));
    WR(ctrec_none(w, 0));
    WR(ctrec_end(w));
    WR(ctrec_step(w, 0, 4));
    WR(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "out\n", 4));
    WR(ctrec_event(w, CTREC_EVENT_ERROR, "", 0, "boom", 4));
    ctrec_status st = ctrec_writer_close(w);
    CHECK(st == CTREC_OK);
}

/* The same with the events a released debugger does not handle: warnings
 * only, one per such event. */
static void record_unsupported(const char *dir, ctrec_format fmt, const char *src)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    ctrec_writer *w;
    WR(ctrec_writer_open(dir, &o, &w));
    ctrec_id v, v2;
    WR(ctrec_start(w, src, strlen(src), 1));
    WR(ctrec_variable_z(w, "v", &v));
    WR(ctrec_variable_z(w, "w", &v2));
    WR(ctrec_step(w, 0, 1));                               /* event 6 */
    WR(ctrec_bind_variable(w, v, 1));                      /* 7 */
    ctrec_id from[1] = {0};
    from[0] = v2;
    WR(ctrec_assign(w, v, CTREC_PASS_BY_VALUE, 0, from, 1)); /* 8 */
    ctrec_id ids[2] = {0, 0};
    ids[0] = v;
    ids[1] = v2;
    WR(ctrec_drop_variables(w, ids, 2));                   /* 9 */
    WR(ctrec_thread_start(w, 2));                          /* 10 */
    WR(ctrec_thread_switch(w, 2));                         /* 11 */
    WR(ctrec_thread_exit(w, 2));                           /* 12 */
    WR(ctrec_step(w, 0, 2));                               /* 13 */
    WR(ctrec_drop_last_step(w));                           /* 14 */
    WR(ctrec_begin_value(w, v));                           /* 15 */
    WR(ctrec_begin_variant(w, "Some", 4, 0));
    WR(ctrec_char(w, "x", 1, 0));
    WR(ctrec_end_variant(w));
    WR(ctrec_end(w));
    CHECK(ctrec_writer_close(w) == CTREC_OK);
}

static void test_own_writer(const char *example)
{
    char src[600], dir[600];
    snprintf(src, sizeof src, "%s/prog.src", tmp_root);
    FILE *f = fopen(src, "w");
    if (f) {
        fputs("x = 42\nf(5)\n", f);
        fclose(f);
    }
    const struct {
        ctrec_format fmt;
        ctrec_float_encoding fe;
        ctrec_check_target target;
        const char *name;
    } cases[] = {
        {CTREC_FORMAT_JSON, CTREC_FLOAT_STRING, CTREC_CHECK_LATEST, "own-json-string-latest"},
        {CTREC_FORMAT_JSON, CTREC_FLOAT_NUMBER, CTREC_CHECK_25_11, "own-json-number-2511"},
        {CTREC_FORMAT_BIN, CTREC_FLOAT_STRING, CTREC_CHECK_LATEST, "own-bin-latest"},
        {CTREC_FORMAT_BIN, CTREC_FLOAT_STRING, CTREC_CHECK_25_11, "own-bin-2511"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        current = cases[i].name;
        snprintf(dir, sizeof dir, "%s/%s", tmp_root, cases[i].name);
        record_program(dir, cases[i].fmt, cases[i].fe, src);
        run(dir, cases[i].target, 1);
        if (i == 3) {
            /* trace.bin always spells floats as text, and 25.11 decodes a
             * Float's f as an f64 from CBOR too (rust-verdict-25.11 refuses
             * case bin-float-text-inf): the writer cannot make a trace.bin
             * with floats that 25.11 loads */
            CHECK(sum.errors > 0 && count("float-encoding", ANY) == (int)sum.errors);
            CHECK(sum.events > 40);
            continue;
        }
        EXPECT_CLEAN();
        CHECK(sum.events > 40);
        CHECK(sum.format == cases[i].fmt);
    }
    /* the wrong float encoding for the target is caught */
    current = "own-json-string-2511";
    snprintf(dir, sizeof dir, "%s/own-json-string-latest", tmp_root);
    run(dir, CTREC_CHECK_25_11, 1);
    CHECK(sum.errors > 0 && count("float-encoding", ANY) == (int)sum.errors);

    for (int b = 0; b < 2; b++) {
        current = b ? "own-unsupported-bin" : "own-unsupported-json";
        snprintf(dir, sizeof dir, "%s/%s", tmp_root, current);
        record_unsupported(dir, b ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON, src);
        run(dir, CTREC_CHECK_25_11, 1);
        EXPECT("event-not-in-target", 7, E);
        EXPECT("assignment-event", 8, E);
        for (uint64_t i = 9; i <= 12; i++) EXPECT("event-not-in-target", i, E);
        EXPECT("drop-last-step", 14, E);
        EXPECT("event-not-in-target", 15, E); /* a Char */
        CHECK(sum.errors == 8 && sum.warnings == 0);
        /* latest reads all of it but the Assignment and the DropLastStep */
        run(dir, CTREC_CHECK_LATEST, 1);
        EXPECT("assignment-event", 8, E);
        EXPECT("drop-last-step", 14, E);
        CHECK(sum.errors == 2 && sum.warnings == 0);
    }

    /* the writer's example program (its made-up source is not copied) */
    current = "ctrec-example-c";
    for (int b = 0; b < 2; b++) {
        snprintf(dir, sizeof dir, "%s/example-%s", tmp_root, b ? "bin" : "json");
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "'%s' '%s' %s >/dev/null", example, dir, b ? "bin" : "json");
        int rc = system(cmd);
        CHECK(rc == 0);
        run(dir, CTREC_CHECK_LATEST, 0);
        EXPECT_CLEAN();
        CHECK(sum.events > 20);
        run(dir, CTREC_CHECK_LATEST, 1);
        CHECK(sum.errors == 0 && count("source-file-missing", 0) == 1 && sum.warnings == 1);
    }
}

/* ------------------------------------------------------------------------
 * Damaged traces: never a crash, always a verdict
 * ------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

static void write_bytes(const char *path, const char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    if (n) fwrite(b, 1, n, f);
    fclose(f);
}

/* Every cut of `src` (every `step` bytes) gets an error; byte flips get a
 * verdict without a crash. `name` is trace.json or trace.bin. */
static void damage(const char *label, const char *src, const char *name, size_t step)
{
    size_t n;
    char *orig = slurp(src, &n);
    CHECK(orig != NULL && n > 0);
    if (!orig) return;
    const char *d = fresh_dir(label);
    write_file(d, "trace_metadata.json", META_OK);
    char p[600];
    snprintf(p, sizeof p, "%s/%s", d, name);
    int missed = 0;
    /* the last two bytes of a trace.json are "]\n": a cut before them loses
     * the closing bracket */
    size_t whole = strcmp(name, "trace.json") == 0 ? n - 2 : n;
    for (size_t cut = 0; cut < whole; cut += step) {
        write_bytes(p, orig, cut);
        ndiags = 0;
        ctrec_status st = ctrec_check(d, NULL, collect, NULL, &sum);
        if (st != CTREC_OK || sum.errors == 0) {
            if (!missed++)
                fprintf(stderr, "[%s] a cut at %zu bytes: status %d, %llu errors\n", label, cut,
                        (int)st, (unsigned long long)sum.errors);
        }
    }
    CHECK(missed == 0);
    static const char flips[] = {'}', ']', '"', '9', '-', ',', 0, (char)0xff, '[', '{'};
    char *copy = malloc(n);
    int bad = 0;
    for (size_t at = 0; copy && at < n; at += step) {
        memcpy(copy, orig, n);
        copy[at] = flips[at % sizeof flips];
        write_bytes(p, copy, n);
        ndiags = 0;
        if (ctrec_check(d, NULL, collect, NULL, &sum) != CTREC_OK) bad++;
    }
    CHECK(bad == 0);
    free(copy);
    free(orig);
}

/* ctrec_check(path) in a child process: 0 when it ran and the verdict was
 * loads, its peak RSS (wait4) in *rss_kb. */
static int check_in_child(const char *path, long *rss_kb)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ctrec_check_summary out;
        ctrec_status st = ctrec_check(path, NULL, NULL, NULL, &out);
        _exit(st == CTREC_OK && out.verdict == CTREC_CHECK_LOADS && out.errors == 0 ? 0 : 1);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return -1;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A .ct of FLAT_STEPS steps (no step-map.ns, as ctrec writes them),
 * checked in a child process whose peak RSS must stay under FLAT_RSS_KB:
 * without a step map the checker keeps nothing per step (about 5 MB; 38
 * MB when it kept each step's position, 8 bytes). step_map_flat.py does
 * the same with a step map, through --peak-rss. */
#define FLAT_STEPS 3000000L
#define FLAT_RSS_KB (16 * 1024L)
static void test_flat_memory(void)
{
    char dir[600], src[700];
    snprintf(dir, sizeof dir, "%s", fresh_dir("flat-memory"));
    write_file(dir, "flat.src", "1\n2\n3\n4\n");
    snprintf(src, sizeof src, "%s/flat.src", dir);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.program = "prog";
    ctrec_writer *w;
    WR(ctrec_writer_open(dir, &o, &w));
    ctrec_id f;
    WR(ctrec_start(w, src, strlen(src), 1));
    WR(ctrec_function_z(w, "f", 0, 1, &f));
    for (long i = 0; i < FLAT_STEPS && !failures; i += 3) { /* a call of two steps, a step */
        WR(ctrec_call(w, f));
        WR(ctrec_step(w, 0, 2));
        WR(ctrec_step(w, 0, 3));
        WR(ctrec_return_none(w, 0));
        WR(ctrec_step(w, 0, 4));
    }
    WR(ctrec_writer_close(w));
    long rss = 0;
    CHECK(check_in_child(dir, &rss) == 0);
    if (RSS_CHECKED && rss > FLAT_RSS_KB) {
        fprintf(stderr, "%s: the check's peak RSS %ld KB, over %ld KB\n", dir, rss, FLAT_RSS_KB);
        failures++;
    }
}

static void test_damaged(const char *fixtures)
{
    char p[600];
    snprintf(p, sizeof p, "%s/codetracer-wasm/trace.json", fixtures);
    damage("damaged-json", p, "trace.json", 19);
    snprintf(p, sizeof p, "%s/own-bin-latest/trace.bin", tmp_root);
    damage("damaged-bin", p, "trace.bin", 5);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--peak-rss") == 0) {
        /* --peak-rss TRACE LIMIT_KB: TRACE checks clean (verdict loads) in a
         * child of this small process, and its peak RSS is printed and, but
         * under AddressSanitizer, held to LIMIT_KB */
        long rss = 0, limit = atol(argv[3]);
        if (check_in_child(argv[2], &rss)) {
            fprintf(stderr, "%s: the check failed or did not say loads\n", argv[2]);
            return 1;
        }
        printf("peak RSS %ld KB\n", rss);
        if (RSS_CHECKED && rss > limit) {
            fprintf(stderr, "%s: the check's peak RSS %ld KB, over %ld KB\n", argv[2], rss, limit);
            return 1;
        }
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: test_check FIXTURES_DIR EXAMPLE_PROGRAM\n"
                        "       test_check --peak-rss TRACE LIMIT_KB\n");
        return 2;
    }

    verbose = getenv("CTREC_CHECK_VERBOSE") != NULL;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/ctrec-check-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 2;
    }

    test_clean_base();
    test_parse_error();
    test_unreadable();
    test_undefined_path();
    test_undefined_function();
    test_undefined_type();
    test_untyped();
    test_undefined_variable();
    test_return_without_call();
    test_no_step();
    test_step_before_call();
    test_struct();
    test_paths_file();
    test_metadata();
    test_floats();
    test_depth();
    test_unsupported_events();
    test_compound();
    test_unsupported_values();
    test_type0();
    test_function_reused();
    test_open_calls();
    test_files();
    test_limits();
    test_fixtures(argv[1]);
    test_own_writer(argv[2]);
    test_damaged(argv[1]);
    test_flat_memory();

    if (!failures) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
    } else {
        fprintf(stderr, "traces kept in %s\n", tmp_root);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
