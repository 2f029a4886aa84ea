/*
 * ctrec_bench.c — workloads that time the library from inside one process.
 *
 *   ctrec-bench w1 -n N --format json|bin [--threads 0|1] [--flush-ms MS] --out DIR
 *   ctrec-bench read TRACE
 *
 * W1: after ctrec_start (entry path "/bench/main.src"), N iterations of
 * { step(path 0, line 1 + i % 10); variable "i" = Int(i) }, and when
 * i % 10 == 9 also { call "f" (path 0, line 20) with argument "x" = Int(i);
 * step(line 21); variable "y" = Int(2i); return Int(2i) }.
 *
 * read: opens TRACE (folder, trace.json or trace.bin) with the reader and
 * decodes every event with its values, touching each value node.
 *
 * Prints one line: events= seconds= ns_per_event= bytes= peak_rss_kb=
 * (seconds covers opening, every event and closing the writer / reader).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static unsigned long long folder_bytes(const char *dir, const char *name)
{
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
}

static const char usage_text[] =
    "usage: ctrec-bench w1 -n N [--format json|bin] [--threads 0|1] [--flush-ms MS] --out DIR\n"
    "       ctrec-bench read TRACE\n"
    "\n"
    "w1: records N iterations of the W1 workload into DIR; read: decodes every\n"
    "event of TRACE. Prints events= seconds= ns_per_event= bytes= peak_rss_kb=.\n";

static int usage(void)
{
    fputs(usage_text, stderr);
    return 2;
}

#define RUN(call)                                                                    \
    do {                                                                             \
        if ((call) != CTREC_OK) {                                                    \
            fprintf(stderr, "ctrec-bench: %s: %s\n", #call, ctrec_writer_errmsg(w)); \
            ctrec_writer_close(w);                                                   \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static long flush_ms = -1; /* --flush-ms: flush_interval_ms, -1 the default */

static int w1(long long n, ctrec_format fmt, const char *out, int threads)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    if (threads >= 0) o.compress_thread = threads;
    if (flush_ms >= 0) o.flush_interval_ms = (unsigned)flush_ms;
    o.program = "w1";
    o.copy_sources = 0;
    double t0 = now();
    ctrec_writer *w;
    if (ctrec_writer_open(out, &o, &w) != CTREC_OK) {
        fprintf(stderr, "ctrec-bench: %s\n", ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    const char *path = "/bench/main.src";
    ctrec_id int_t, f, i_var, x_var, y_var;
    RUN(ctrec_start(w, path, strlen(path), 1));
    RUN(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &int_t));
    RUN(ctrec_variable_z(w, "i", &i_var));
    for (long long i = 0; i < n; i++) {
        RUN(ctrec_step(w, 0, 1 + i % 10));
        RUN(ctrec_begin_value(w, i_var));
        RUN(ctrec_int(w, i, int_t));
        RUN(ctrec_end(w));
        if (i % 10 == 9) {
            RUN(ctrec_function_z(w, "f", 0, 20, &f));
            RUN(ctrec_begin_call(w, f));
            RUN(ctrec_arg_named(w, "x", 1));
            RUN(ctrec_int(w, i, int_t));
            RUN(ctrec_end(w));
            RUN(ctrec_step(w, 0, 21));
            RUN(ctrec_variable_z(w, "y", &y_var));
            RUN(ctrec_begin_value(w, y_var));
            RUN(ctrec_int(w, 2 * i, int_t));
            RUN(ctrec_end(w));
            RUN(ctrec_begin_return(w));
            RUN(ctrec_int(w, 2 * i, int_t));
            RUN(ctrec_end(w));
        }
    }
    (void)x_var;
    unsigned long long events = ctrec_writer_event_count(w);
    ctrec_status st = ctrec_writer_close(w);
    double secs = now() - t0;
    if (st != CTREC_OK) {
        fprintf(stderr, "ctrec-bench: closing failed: %s\n", ctrec_status_name(st));
        return 1;
    }
    unsigned long long bytes =
        folder_bytes(out, fmt == CTREC_FORMAT_JSON ? "trace.json" : "trace.bin");
    printf("events=%llu seconds=%.6f ns_per_event=%.2f bytes=%llu peak_rss_kb=%ld\n", events,
           secs, secs * 1e9 / (double)events, bytes, peak_rss_kb());
    return 0;
}

/* Sums a value tree so that the decoding cannot be skipped. */
static uint64_t touch(const ctrec_value *v)
{
    uint64_t h = (uint64_t)v->kind + v->type_id + (uint64_t)v->i + v->text.len;
    for (size_t i = 0; i < v->nchildren; i++) h += touch(&v->children[i]);
    return h;
}

static int read_trace(const char *path)
{
    double t0 = now();
    ctrec_reader *r;
    if (ctrec_reader_open(path, NULL, &r) != CTREC_OK) {
        fprintf(stderr, "ctrec-bench: %s\n", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return 1;
    }
    const ctrec_ev *ev;
    ctrec_status st;
    uint64_t h = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        h += (uint64_t)ev->type;
        switch (ev->type) {
        case CTREC_EV_VALUE: h += touch(ev->value.value); break;
        case CTREC_EV_RETURN: h += touch(ev->ret.return_value); break;
        case CTREC_EV_CALL:
            for (size_t i = 0; i < ev->call.nargs; i++) h += touch(ev->call.args[i].value);
            break;
        case CTREC_EV_COMPOUND_VALUE: case CTREC_EV_CELL_VALUE: case CTREC_EV_ASSIGN_CELL:
            h += touch(ev->place_value.value);
            break;
        case CTREC_EV_STEP: h += (uint64_t)ev->step.line; break;
        default: break;
        }
    }
    if (st) {
        fprintf(stderr, "ctrec-bench: %s\n", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return 1;
    }
    unsigned long long events = ctrec_reader_event_count(r);
    struct stat sb;
    unsigned long long bytes = stat(ctrec_reader_trace_file(r), &sb) == 0 ? (unsigned long long)sb.st_size : 0;
    ctrec_reader_close(r);
    double secs = now() - t0;
    printf("events=%llu seconds=%.6f ns_per_event=%.2f bytes=%llu peak_rss_kb=%ld\n", events,
           secs, events ? secs * 1e9 / (double)events : 0.0, bytes, peak_rss_kb());
    return h == 42 ? 3 : 0; /* never 42 in practice; keeps h alive */
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "ctrec-bench: unknown option '%s'\n", argv[1]);
        return usage();
    }
    if (!strcmp(argv[1], "read")) {
        if (argc != 3) return usage();
        return read_trace(argv[2]);
    }
    long long n = 1000000;
    ctrec_format fmt = CTREC_FORMAT_JSON;
    const char *out = NULL;
    int threads = -1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            char *end;
            n = strtoll(argv[++i], &end, 10);
            if (*end || n < 0) return usage();
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "json")) fmt = CTREC_FORMAT_JSON;
            else if (!strcmp(argv[i], "bin")) fmt = CTREC_FORMAT_BIN;
            else return usage();
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]) != 0;
        } else if (!strcmp(argv[i], "--flush-ms") && i + 1 < argc) {
            char *end;
            flush_ms = strtol(argv[++i], &end, 10);
            if (*end || flush_ms < 0 || flush_ms > 86400000) return usage();
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else {
            if (argv[i][0] == '-') fprintf(stderr, "ctrec-bench: unknown option '%s'\n", argv[i]);
            return usage();
        }
    }
    if (!strcmp(argv[1], "w1")) {
        if (!out) return usage();
        return w1(n, fmt, out, threads);
    }
    return usage();
}
