/*
 * check.h — the writer tests' tiny harness: CHECK macros that print
 * file:line and count failures, file and temp-folder helpers, and the
 * comparison of a whole trace.json against the expected event lines.
 * Header-only; each test is one program that includes it once.
 */
#ifndef CTREC_TEST_CHECK_H
#define CTREC_TEST_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrec/ctrec.h"

static int check_failures;
static int check_count;
static const char *check_python;  /* argv[1]: the python3 with json, cbor2 */
static const char *check_pyparse; /* argv[2]: parse_check.py */

#define CHECK(cond)                                                               \
    do {                                                                          \
        check_count++;                                                            \
        if (!(cond)) {                                                            \
            check_failures++;                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                         \
    } while (0)

/* CHECK_ST(call, CTREC_E_STATE): the exact status. */
#define CHECK_ST(expr, want) check_st_((expr), (want), #expr, __FILE__, __LINE__)
static inline ctrec_status check_st_(ctrec_status got, ctrec_status want, const char *expr,
                                     const char *file, int line)
{
    check_count++;
    if (got != want) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", file, line, expr,
                ctrec_status_name(got), ctrec_status_name(want));
    }
    return got;
}
#define CHECK_OK(expr) CHECK_ST((expr), CTREC_OK)

#define CHECK_U64(got, want) check_u64_((uint64_t)(got), (uint64_t)(want), #got, __FILE__, __LINE__)
static inline void check_u64_(uint64_t got, uint64_t want, const char *expr, const char *file,
                              int line)
{
    check_count++;
    if (got != want) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s is %" PRIu64 ", expected %" PRIu64 "\n", file, line, expr,
                got, want);
    }
}

#define CHECK_STR(got, want) check_str_((got), (want), #got, __FILE__, __LINE__)
static inline void check_str_(const char *got, const char *want, const char *expr,
                              const char *file, int line)
{
    check_count++;
    if (!got || strcmp(got, want) != 0) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", file, line, expr,
                got ? got : "(null)", want);
    }
}

/* The haystack contains the needle. */
#define CHECK_HAS(hay, needle) check_has_((hay), (needle), #hay, __FILE__, __LINE__)
static inline void check_has_(const char *hay, const char *needle, const char *expr,
                              const char *file, int line)
{
    check_count++;
    if (!hay || !strstr(hay, needle)) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s is \"%s\", expected it to contain \"%s\"\n", file, line,
                expr, hay ? hay : "(null)", needle);
    }
}

/* A misuse: exact status, errmsg mentions `needle`, status() agrees. */
#define CHECK_ERR(w, expr, want, needle)                                          \
    do {                                                                          \
        CHECK_ST((expr), (want));                                                 \
        CHECK_ST(ctrec_writer_status(w), (want));                                 \
        CHECK_HAS(ctrec_writer_errmsg(w), (needle));                              \
    } while (0)

/* Reads a whole file; NUL-terminated; NULL if it cannot be read. */
static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nd = realloc(d, cap + 1);
            if (!nd) break;
            d = nd;
        }
        size_t k = fread(d + n, 1, cap - n, f);
        if (k == 0) break;
        n += k;
    }
    fclose(f);
    d[n] = 0;
    if (len) *len = n;
    return d;
}

static inline int write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static inline int path_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* snprintf into a static ring of buffers: PATHF("%s/trace.json", dir). */
static inline const char *pathf(const char *fmt, ...)
{
    static char ring[8][4096];
    static int next;
    char *b = ring[next++ & 7];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof ring[0], fmt, ap);
    va_end(ap);
    return b;
}

/* A path kept in a local buffer (pathf's ring is reused after 8 calls):
 * LOCAL_PATH(dir, "%s/trace", tmp); */
#define LOCAL_PATH(name, ...)  \
    char name[1024];           \
    snprintf(name, sizeof name, __VA_ARGS__)

/* A fresh temporary folder /tmp/ctrec-writer-XXXXXX (exits on failure). */
static inline void make_tmpdir(char out[64])
{
    snprintf(out, 64, "/tmp/ctrec-writer-XXXXXX");
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        exit(2);
    }
}

/* rm -rf without following symlinks. */
static inline void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb)) return;
    if (S_ISDIR(sb.st_mode)) {
        chmod(path, 0755);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
                size_t n = strlen(path) + strlen(de->d_name) + 2;
                char *sub = malloc(n);
                snprintf(sub, n, "%s/%s", path, de->d_name);
                rm_rf(sub);
                free(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/*
 * Compares dir/trace.json with the JSON layout ctrec writes: "[", one event
 * per line ending in "," except the last, "]". Reports the first differing
 * line. Returns 1 if equal.
 */
#define CHECK_TRACE_JSON(dir, events, n) check_trace_json_((dir), (events), (n), __FILE__, __LINE__)
static inline int check_trace_json_(const char *dir, const char *const *events, size_t n,
                                    const char *file, int line)
{
    check_count++;
    size_t len;
    char *got = read_file(pathf("%s/trace.json", dir), &len);
    if (!got) {
        check_failures++;
        fprintf(stderr, "%s:%d: cannot read %s/trace.json\n", file, line, dir);
        return 0;
    }
    size_t cap = 16;
    for (size_t i = 0; i < n; i++) cap += strlen(events[i]) + 2;
    char *want = malloc(cap);
    size_t w = 0;
    w += (size_t)sprintf(want + w, "[\n");
    for (size_t i = 0; i < n; i++)
        w += (size_t)sprintf(want + w, "%s%s\n", events[i], i + 1 < n ? "," : "");
    w += (size_t)sprintf(want + w, "]\n");
    int ok = len == w && memcmp(got, want, w) == 0;
    if (!ok) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s/trace.json differs from the expected %zu events\n", file,
                line, dir, n);
        /* the first differing line */
        const char *g = got, *e = want;
        for (int ln = 1;; ln++) {
            const char *ge = strchr(g, '\n'), *ee = strchr(e, '\n');
            size_t gl = ge ? (size_t)(ge - g) : strlen(g), el = ee ? (size_t)(ee - e) : strlen(e);
            if (gl != el || memcmp(g, e, gl) != 0) {
                fprintf(stderr, "  line %d\n  got:      %.*s\n  expected: %.*s\n", ln, (int)gl,
                        g, (int)el, e);
                break;
            }
            if (!ge || !ee) break;
            g = ge + 1;
            e = ee + 1;
        }
    }
    free(got);
    free(want);
    return ok;
}

/*
 * Runs parse_check.py on a trace folder: python's json must parse every
 * file, trace.json must hold `nevents` events and trace_paths.json must equal
 * its Path events. `expect` (may be NULL) names a file of expected events as
 * python re-dumps them (ASCII, compact), one per line.
 */
#define CHECK_PY(dir, nevents, expect) check_py_((dir), (nevents), (expect), __FILE__, __LINE__)
static inline void check_py_(const char *dir, long nevents, const char *expect, const char *file,
                             int line)
{
    check_count++;
    if (!check_python || !check_pyparse) {
        check_failures++;
        fprintf(stderr, "%s:%d: no python given (argv[1], argv[2])\n", file, line);
        return;
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' %ld%s%s%s", check_python, check_pyparse, dir,
             nevents, expect ? " '" : "", expect ? expect : "", expect ? "'" : "");
    fflush(stdout);
    fflush(stderr);
    int rc = system(cmd);
    if (rc != 0) {
        check_failures++;
        fprintf(stderr, "%s:%d: python check of %s failed (%d)\n", file, line, dir, rc);
    }
}

/* bin_check.py MODE DIR N (MODE "count": a finished trace.bin holds N
 * events; "partial": N events readable before the seek table exists). */
#define CHECK_BIN(mode, dir, nevents) check_bin_((mode), (dir), (nevents), __FILE__, __LINE__)
static inline void check_bin_(const char *mode, const char *dir, long nevents, const char *file,
                              int line)
{
    check_count++;
    char script[4096];
    snprintf(script, sizeof script, "%s", check_pyparse ? check_pyparse : "");
    char *slash = strrchr(script, '/');
    if (!check_python || !slash) {
        check_failures++;
        fprintf(stderr, "%s:%d: no python given (argv[1], argv[2])\n", file, line);
        return;
    }
    strcpy(slash + 1, "bin_check.py");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s '%s' %ld", check_python, script, mode, dir, nevents);
    fflush(stdout);
    fflush(stderr);
    if (system(cmd) != 0) {
        check_failures++;
        fprintf(stderr, "%s:%d: bin_check.py %s %s %ld failed\n", file, line, mode, dir, nevents);
    }
}

static inline void check_init(int argc, char **argv)
{
    if (argc > 2) {
        check_python = argv[1];
        check_pyparse = argv[2];
    }
}

static inline int check_done(const char *name)
{
    if (check_failures) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, check_failures, check_count);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, check_count);
    return 0;
}

/* Options with sources not copied (most tests record made-up paths). */
static inline ctrec_writer_options test_options(void)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.copy_sources = 0;
    return o;
}

#endif
