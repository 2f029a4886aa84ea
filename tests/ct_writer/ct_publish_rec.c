/*
 * ct_publish_rec.c — a deterministic .ct recording with a publication every
 * few iterations, for crash_points.py, which kills it at every write the
 * container makes (kill_at_write.c) and reads what is left.
 *
 *   ct_publish_rec DIR ITERATIONS FLUSH_EVERY
 *
 * One thread (no compression or I/O thread, no timer), so the sequence of
 * writes is the same in every run. The pattern of kill_pattern.h with
 * strings (so that values.dat grows past the 2 MiB a level-1 mapping block
 * covers, and a provisional chunk spans several blocks), from
 * "/crash/main.src", ITERATIONS times; after every FLUSH_EVERY iterations
 * ctrec_writer_flush, then "F <steps>" on stdout (flushed): what a kill
 * after this point must still show. ctrec_writer_close at the end.
 */
#include <stdlib.h>

#include "kill_pattern.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: ct_publish_rec DIR ITERATIONS FLUSH_EVERY\n");
        return 2;
    }
    long n = atol(argv[2]), every = atol(argv[3]);
    if (n < 1 || every < 1) {
        fprintf(stderr, "ct_publish_rec: ITERATIONS and FLUSH_EVERY must be positive\n");
        return 2;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.copy_sources = 0;
    o.compress_thread = 0;
    o.io_thread = 0;
    o.flush_interval_ms = 0;
    ctrec_writer *w = NULL;
    if (ctrec_writer_open(argv[1], &o, &w) != CTREC_OK) {
        fprintf(stderr, "open: %s\n", ctrec_writer_errmsg(w));
        return 3;
    }
    static pattern p;
    if (pattern_start(w, &p, "/crash/main.src", 1)) return 3;
    for (long i = 0; i < n; i++) {
        if (pattern_iteration(w, &p, i)) return 3;
        if (i % every == every - 1) {
            CHECK(ctrec_writer_flush(w));
            printf("F %llu\n", p.steps);
            fflush(stdout);
        }
    }
    ctrec_status st = ctrec_writer_close(w);
    if (st != CTREC_OK) {
        fprintf(stderr, "close: %s\n", ctrec_status_name(st));
        return 3;
    }
    return 0;
}
