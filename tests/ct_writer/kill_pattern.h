/*
 * kill_pattern.h — the recording that ct_kill_rec and ct_publish_rec make
 * (see their headers), kept in one place so that the scripts that kill
 * them (kill_ct.py, crash_points.py) check one pattern:
 *
 *   ctrec_start(path, line 1) (the top-level call, no Step);
 *   Type int (and, with strings, Type string); Function "f" at line 1;
 *   Variable "i" (and "s");
 *   iteration i:
 *     i % 10 == 0: ctrec_call(f)        (the writer's Step at line 1)
 *     Step at line 2 + i % 1000, Value "i" = Int(i), and with strings at
 *       every 7th iteration Value "s" = a pseudo-random String of 1-6 KB
 *     i % 50 == 0: an I/O event (stdout) "e<i>"
 *     i % 10 == 5: ctrec_return_none    (f returns)
 */
#ifndef CTREC_TESTS_KILL_PATTERN_H
#define CTREC_TESTS_KILL_PATTERN_H

#include <stdio.h>
#include <string.h>

#include "ctrec/ctrec.h"

#define CHECK(x)                                                                  \
    do {                                                                          \
        if ((x) != CTREC_OK) {                                                    \
            fprintf(stderr, "%s: %s\n", #x, ctrec_writer_errmsg(w));              \
            return 3;                                                             \
        }                                                                         \
    } while (0)

typedef struct pattern {
    int strings;
    ctrec_id t_int, t_str, f, v_i, v_s;
    unsigned long long steps; /* as the reader numbers them (the call's Step included) */
    unsigned long long seed;
    char text[6200];
} pattern;

/* The start and the definitions. 0, or 3 with the message on stderr. */
static int pattern_start(ctrec_writer *w, pattern *p, const char *path, int strings)
{
    p->strings = strings;
    p->steps = 0;
    p->seed = 88172645463325252ull;
    CHECK(ctrec_start(w, path, strlen(path), 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &p->t_int));
    if (strings) CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "string", &p->t_str));
    CHECK(ctrec_function_z(w, "f", 0, 1, &p->f));
    CHECK(ctrec_variable_z(w, "i", &p->v_i));
    if (strings) CHECK(ctrec_variable_z(w, "s", &p->v_s));
    return 0;
}

/* Iteration i. 0, or 3 with the message on stderr. */
static int pattern_iteration(ctrec_writer *w, pattern *p, long i)
{
    if (i % 10 == 0) {
        CHECK(ctrec_call(w, p->f));
        p->steps++;
    }
    CHECK(ctrec_step(w, 0, 2 + i % 1000));
    CHECK(ctrec_begin_value(w, p->v_i));
    CHECK(ctrec_int(w, i, p->t_int));
    CHECK(ctrec_end(w));
    if (p->strings && i % 7 == 0) {
        size_t len = 1000 + (size_t)(i * 7919 % 5000);
        for (size_t k = 0; k < len; k++) {
            p->seed ^= p->seed << 13;
            p->seed ^= p->seed >> 7;
            p->seed ^= p->seed << 17;
            p->text[k] = (char)('a' + p->seed % 26);
        }
        CHECK(ctrec_begin_value(w, p->v_s));
        CHECK(ctrec_string(w, p->text, len, p->t_str));
        CHECK(ctrec_end(w));
    }
    p->steps++;
    if (i % 50 == 0) {
        int n = snprintf(p->text, sizeof p->text, "e%ld", i);
        CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "stdout", 6, p->text, (size_t)n));
    }
    if (i % 10 == 5) CHECK(ctrec_return_none(w, 0));
    return 0;
}

#endif
