/*
 * ct_kill_rec.c — the recording that kill_ct.py kills (a .ct writer with a
 * timed flush). Deterministic, so that every step read back can be checked:
 *
 *   ctrec_start("/kill/main.src", line 1) (the top-level call, no Step);
 *   Type int; Function "f" at line 1;
 *   for i = 0, 1, ...:
 *     i % 10 == 0: ctrec_call(f)         (the writer's Step at line 1)
 *     Step at line 2 + i % 1000, Value "i" = Int(i)
 *     i % 50 == 0: an I/O event (stdout) "e<i>"
 *     i % 10 == 5: ctrec_return_none     (f returns)
 *
 *   ct_kill_rec DIR FLUSH_MS FLUSH_EVERY
 *
 * Writes to stdout, one line each, flushed:
 *   "T <steps> <seconds>"  every 5 ms: steps given so far (no flush made;
 *                          seconds on CLOCK_MONOTONIC), what the timed flush
 *                          must have published about FLUSH_MS later
 *   "F <steps>"            after each ctrec_writer_flush (every FLUSH_EVERY
 *                          iterations; 0: never): published at once
 * and runs until killed. Steps are counted as the reader numbers them (the
 * call's Step included).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctrec/ctrec.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define CHECK(x)                                                                  \
    do {                                                                          \
        if ((x) != CTREC_OK) {                                                    \
            fprintf(stderr, "%s: %s\n", #x, ctrec_writer_errmsg(w));              \
            return 3;                                                             \
        }                                                                         \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: ct_kill_rec DIR FLUSH_MS FLUSH_EVERY\n");
        return 2;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.copy_sources = 0;
    o.flush_interval_ms = (unsigned)atoi(argv[2]);
    long every = atol(argv[3]);
    ctrec_writer *w = NULL;
    if (ctrec_writer_open(argv[1], &o, &w) != CTREC_OK) {
        fprintf(stderr, "open: %s\n", ctrec_writer_errmsg(w));
        return 3;
    }
    ctrec_id t_int, f, v_i;
    CHECK(ctrec_start(w, "/kill/main.src", 14, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t_int));
    CHECK(ctrec_function_z(w, "f", 0, 1, &f));
    CHECK(ctrec_variable_z(w, "i", &v_i));
    unsigned long long steps = 0; /* ctrec_start writes the top-level Call, no Step */
    double next = now_s();
    char text[32];
    for (long i = 0;; i++) {
        if (i % 10 == 0) {
            CHECK(ctrec_call(w, f));
            steps++;
        }
        CHECK(ctrec_step(w, 0, 2 + i % 1000));
        CHECK(ctrec_begin_value(w, v_i));
        CHECK(ctrec_int(w, i, t_int));
        CHECK(ctrec_end(w));
        steps++;
        if (i % 50 == 0) {
            int n = snprintf(text, sizeof text, "e%ld", i);
            CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "stdout", 6, text, (size_t)n));
        }
        if (i % 10 == 5) CHECK(ctrec_return_none(w, 0));
        if (every && i % every == every - 1) {
            CHECK(ctrec_writer_flush(w));
            printf("F %llu\n", steps);
            fflush(stdout);
        }
        if (i % 100 == 99) {
            double t = now_s();
            if (t >= next) {
                printf("T %llu %.6f\n", steps, t);
                fflush(stdout);
                next = t + 0.005;
            }
            struct timespec ts = {0, 1000000}; /* 1 ms: keep the files small */
            nanosleep(&ts, NULL);
        }
    }
}
