/*
 * ct_publish_rec.c — a deterministic .ct recording with a publication every
 * few iterations, for crash_points.py, which kills it at every write the
 * container makes (kill_at_write.c) and reads what is left.
 *
 *   ct_publish_rec DIR ITERATIONS FLUSH_EVERY
 *
 * One thread (no compression or I/O thread, no timer), so the sequence of
 * writes is the same in every run. Iteration i:
 *   i % 10 == 0: ctrec_call(f)          (its Step at line 1)
 *   Step at line 2 + i % 1000, Value "i" = Int(i), and at every 7th
 *     iteration also Value "s" = a pseudo-random String of 1-6 KB (so that
 *     values.dat grows past the 2 MiB a level-1 mapping block covers, and
 *     a provisional chunk spans several blocks)
 *   i % 50 == 0: an I/O event "e<i>"
 *   i % 10 == 5: ctrec_return_none
 *   i % FLUSH_EVERY == FLUSH_EVERY - 1: ctrec_writer_flush, then "F <steps>"
 *     on stdout (flushed): what a kill after this point must still show
 * and ctrec_writer_close at the end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ctrec/ctrec.h"

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
    ctrec_id t_int, t_str, f, v_i, v_s;
    CHECK(ctrec_start(w, "/crash/main.src", 15, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t_int));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "string", &t_str));
    CHECK(ctrec_function_z(w, "f", 0, 1, &f));
    CHECK(ctrec_variable_z(w, "i", &v_i));
    CHECK(ctrec_variable_z(w, "s", &v_s));
    unsigned long long steps = 0;
    unsigned long long seed = 88172645463325252ull;
    static char text[6200];
    for (long i = 0; i < n; i++) {
        if (i % 10 == 0) {
            CHECK(ctrec_call(w, f));
            steps++;
        }
        CHECK(ctrec_step(w, 0, 2 + i % 1000));
        CHECK(ctrec_begin_value(w, v_i));
        CHECK(ctrec_int(w, i, t_int));
        CHECK(ctrec_end(w));
        if (i % 7 == 0) {
            size_t len = 1000 + (size_t)(i * 7919 % 5000);
            for (size_t k = 0; k < len; k++) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text[k] = (char)('a' + seed % 26);
            }
            CHECK(ctrec_begin_value(w, v_s));
            CHECK(ctrec_string(w, text, len, t_str));
            CHECK(ctrec_end(w));
        }
        steps++;
        if (i % 50 == 0) {
            int k = snprintf(text, sizeof text, "e%ld", i);
            CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "stdout", 6, text, (size_t)k));
        }
        if (i % 10 == 5) CHECK(ctrec_return_none(w, 0));
        if (i % every == every - 1) {
            CHECK(ctrec_writer_flush(w));
            printf("F %llu\n", steps);
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
