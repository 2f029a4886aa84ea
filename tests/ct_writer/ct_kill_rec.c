/*
 * ct_kill_rec.c — the recording that kill_ct.py kills (a .ct writer with a
 * timed flush). Deterministic, so that every step read back can be checked:
 * the pattern of kill_pattern.h without strings, from "/kill/main.src",
 * until killed.
 *
 *   ct_kill_rec DIR FLUSH_MS FLUSH_EVERY
 *
 * Writes to stdout, one line each, flushed:
 *   "T <steps> <seconds>"  every 5 ms: steps given so far (no flush made;
 *                          seconds on CLOCK_MONOTONIC), what the timed flush
 *                          must have published about FLUSH_MS later
 *   "F <steps>"            after each ctrec_writer_flush (every FLUSH_EVERY
 *                          iterations; 0: never): published at once
 * Steps are counted as the reader numbers them (the call's Step included).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include "kill_pattern.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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
    static pattern p;
    if (pattern_start(w, &p, "/kill/main.src", 0)) return 3;
    double next = now_s();
    for (long i = 0;; i++) {
        if (pattern_iteration(w, &p, i)) return 3;
        if (every && i % every == every - 1) {
            CHECK(ctrec_writer_flush(w));
            printf("F %llu\n", p.steps);
            fflush(stdout);
        }
        if (i % 100 == 99) {
            double t = now_s();
            if (t >= next) {
                printf("T %llu %.6f\n", p.steps, t);
                fflush(stdout);
                next = t + 0.005;
            }
            struct timespec ts = {0, 1000000}; /* 1 ms: keep the files small */
            nanosleep(&ts, NULL);
        }
    }
}
