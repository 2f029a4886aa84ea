/*
 * slow_writer.c — a recording written slowly, flushed after every step, for
 * the follow test: `ctrec follow` reads it while it grows.
 *
 *   rd-slow-writer DIR json|bin N DELAY_MS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrec/ctrec.h"

#define T(call)                                                                      \
    do {                                                                             \
        if ((call) != CTREC_OK) {                                                    \
            fprintf(stderr, "rd-slow-writer: %s: %s\n", #call, ctrec_writer_errmsg(w)); \
            ctrec_writer_close(w);                                                   \
            return 1;                                                                \
        }                                                                            \
    } while (0)

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: rd-slow-writer DIR json|bin N DELAY_MS\n");
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "rd-slow-writer: unknown option '%s'\nusage: rd-slow-writer DIR json|bin N DELAY_MS\n", argv[i]);
            return 2;
        }
    }
    if (argc != 5) {
        fprintf(stderr, "usage: rd-slow-writer DIR json|bin N DELAY_MS\n");
        return 2;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = strcmp(argv[2], "bin") ? CTREC_FORMAT_JSON : CTREC_FORMAT_BIN;
    o.copy_sources = 0;
    o.program = "slow";
    long n = atol(argv[3]), ms = atol(argv[4]);
    ctrec_writer *w;
    if (ctrec_writer_open(argv[1], &o, &w) != CTREC_OK) {
        fprintf(stderr, "rd-slow-writer: %s\n", ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    ctrec_id tint, v;
    T(ctrec_start(w, "/slow.src", 9, 1));
    T(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &tint));
    T(ctrec_variable_z(w, "i", &v));
    T(ctrec_writer_flush(w));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    for (long i = 0; i < n; i++) {
        T(ctrec_step(w, 0, 1 + i % 7));
        T(ctrec_begin_value(w, v));
        T(ctrec_int(w, i, tint));
        T(ctrec_end(w));
        T(ctrec_writer_flush(w));
        nanosleep(&ts, NULL);
    }
    return ctrec_writer_close(w) == CTREC_OK ? 0 : 1;
}
