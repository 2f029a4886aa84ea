/*
 * record_example.c — records a tiny made-up program with the C API, the way
 * an interpreter would while running it:
 *
 *   1  def square(x):
 *   2      return x * x
 *   3  total = 0
 *   4  for i in range(3):
 *   5      total = total + square(i)
 *   6  print(total)
 *
 * Usage: ctrec-example-c [OUT_DIR] [json|bin]   (default ./ctrec-trace, json)
 *        ctrec-example-c --help
 */
#include <stdio.h>
#include <string.h>

#include "ctrec/ctrec.h"

#define CHECK(call)                                                                  \
    do {                                                                             \
        if ((call) != CTREC_OK) {                                                    \
            fprintf(stderr, "ctrec-example-c: %s: %s\n", #call, ctrec_writer_errmsg(w)); \
            ctrec_writer_close(w);                                                   \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static const char usage[] =
    "usage: ctrec-example-c [OUT_DIR [json|bin]]\n"
    "\n"
    "Records a tiny made-up program with the C API into the trace folder OUT_DIR\n"
    "(default ./ctrec-trace) as trace.json (json, the default) or trace.bin (bin).\n";

int main(int argc, char **argv)
{
    const char *pos[2] = {"ctrec-trace", "json"};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ctrec-example-c: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        }
        if (npos == 2) {
            fprintf(stderr, "ctrec-example-c: too many arguments\n%s", usage);
            return 2;
        }
        pos[npos++] = argv[i];
    }
    if (strcmp(pos[1], "json") && strcmp(pos[1], "bin")) {
        fprintf(stderr, "ctrec-example-c: the format is json or bin, not '%s'\n%s", pos[1], usage);
        return 2;
    }
    const char *dir = pos[0];
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.program = "example.py";
    o.copy_sources = 0; /* the recorded program is made up: no file to copy */
    if (strcmp(pos[1], "bin") == 0) o.format = CTREC_FORMAT_BIN;

    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "ctrec-example-c: %s\n", ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    const char *src = "/example/example.py";
    ctrec_id int_t, square, x, total, i_var;
    CHECK(ctrec_start(w, src, strlen(src), 1));             /* path 0, <toplevel>, None */
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &int_t));
    CHECK(ctrec_function_z(w, "square", 0, 1, &square));
    CHECK(ctrec_variable_z(w, "x", &x));
    CHECK(ctrec_variable_z(w, "total", &total));
    CHECK(ctrec_variable_z(w, "i", &i_var));

    int64_t sum = 0;
    CHECK(ctrec_step(w, 0, 3));
    for (int64_t i = 0; i < 3; i++) {
        CHECK(ctrec_step(w, 0, 4));
        CHECK(ctrec_begin_value(w, i_var));
        CHECK(ctrec_int(w, i, int_t));
        CHECK(ctrec_end(w));
        CHECK(ctrec_step(w, 0, 5));
        /* call square(i): argument Values, definition-line Step, Call */
        CHECK(ctrec_begin_call(w, square));
        CHECK(ctrec_arg(w, x));
        CHECK(ctrec_int(w, i, int_t));
        CHECK(ctrec_end(w));
        CHECK(ctrec_step(w, 0, 2));
        CHECK(ctrec_begin_return(w));
        CHECK(ctrec_int(w, i * i, int_t));
        CHECK(ctrec_end(w));
        sum += i * i;
        CHECK(ctrec_begin_value(w, total));
        CHECK(ctrec_int(w, sum, int_t));
        CHECK(ctrec_end(w));
    }
    CHECK(ctrec_step(w, 0, 6));
    char text[32];
    int n = snprintf(text, sizeof text, "%lld\n", (long long)sum);
    CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, text, (size_t)n));

    ctrec_status st = ctrec_writer_close(w);
    if (st != CTREC_OK) {
        fprintf(stderr, "ctrec-example-c: closing the trace failed: %s\n", ctrec_status_name(st));
        return 1;
    }
    printf("recorded %s\n", dir);
    return 0;
}
