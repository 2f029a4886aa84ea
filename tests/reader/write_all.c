/*
 * write_all.c — writes one recording that uses every event variant and
 * every ValueRecord kind, in JSON or binary: the round-trip tests read it
 * back (ctrec print, convert, the python decoder).
 *
 *   rd-write-all DIR json|bin [--frame N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec.h"

#define T(call)                                                                       \
    do {                                                                              \
        if ((call) != CTREC_OK) {                                                     \
            fprintf(stderr, "rd-write-all: line %d: %s: %s\n", __LINE__, #call,      \
                    ctrec_writer_errmsg(w));                                          \
            ctrec_writer_close(w);                                                    \
            return 1;                                                                 \
        }                                                                             \
    } while (0)

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: rd-write-all DIR json|bin [--frame N]\n");
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--frame")) {
            fprintf(stderr, "rd-write-all: unknown option '%s'\nusage: rd-write-all DIR json|bin [--frame N]\n", argv[i]);
            return 2;
        }
    }
    if (argc < 3) {
        fprintf(stderr, "usage: rd-write-all DIR json|bin [--frame N]\n");
        return 2;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = strcmp(argv[2], "bin") ? CTREC_FORMAT_JSON : CTREC_FORMAT_BIN;
    o.program = "all.src";
    o.copy_sources = 0;
    if (argc > 4 && !strcmp(argv[3], "--frame")) o.frame_size = (size_t)atol(argv[4]);
    static const char *const args[] = {"a", "b c"};
    o.args = args;
    o.nargs = 2;
    ctrec_writer *w;
    if (ctrec_writer_open(argv[1], &o, &w) != CTREC_OK) {
        fprintf(stderr, "rd-write-all: %s\n", ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    ctrec_id p1, tint, tfloat, tbool, tstr, tseq, ttup, tstruct, tptr, tvar, tbig, tchar, traw;
    ctrec_id v_i, v_s, v_x, f_g;
    T(ctrec_start(w, "/src/all.src", 12, 1));
    T(ctrec_path_z(w, "/src/other \"quoted\" \xc3\xa9.src", &p1));
    T(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &tint));
    T(ctrec_type_z(w, CTREC_TYPE_FLOAT, "Float", &tfloat));
    T(ctrec_type_z(w, CTREC_TYPE_BOOL, "Bool", &tbool));
    T(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &tstr));
    T(ctrec_type_z(w, CTREC_TYPE_SEQ, "List", &tseq));
    T(ctrec_type_z(w, CTREC_TYPE_TUPLE, "Tuple", &ttup));
    ctrec_field fields[2] = {{"x", 1, tint}, {"name", 4, tstr}};
    T(ctrec_type_struct(w, CTREC_TYPE_STRUCT, "Point", 5, fields, 2, &tstruct));
    T(ctrec_type_pointer(w, CTREC_TYPE_POINTER, "*Int", 4, tint, &tptr));
    T(ctrec_type_z(w, CTREC_TYPE_VARIANT, "Option", &tvar));
    T(ctrec_type_z(w, CTREC_TYPE_INT, "BigInt", &tbig));
    T(ctrec_type_z(w, CTREC_TYPE_CHAR, "Char", &tchar));
    T(ctrec_type_z(w, CTREC_TYPE_RAW, "Raw", &traw));
    T(ctrec_variable_z(w, "i", &v_i));
    T(ctrec_variable_z(w, "s", &v_s));
    T(ctrec_variable_z(w, "x", &v_x));
    T(ctrec_function_z(w, "g", 0, 10, &f_g));
    T(ctrec_step(w, 0, 2));

    /* every scalar */
    T(ctrec_variable_int(w, "i", 1, INT64_MIN, tint));
    T(ctrec_variable_int(w, "i", 1, INT64_MAX, tint));
    const double floats[] = {2.5, -0.0, 0.1, 1e300, 5e-324, INFINITY, -INFINITY, NAN, 123456789.0};
    for (size_t k = 0; k < sizeof floats / sizeof floats[0]; k++) {
        T(ctrec_begin_value(w, v_x));
        T(ctrec_float(w, floats[k], tfloat));
        T(ctrec_end(w));
    }
    T(ctrec_begin_value(w, v_x));
    T(ctrec_bool(w, 1, tbool));
    T(ctrec_end(w));
    const char text[] = "tab\t nl\n quote\" bs\\ nul\0 bad\xff\xfe ok \xe2\x82\xac \xf0\x9f\x98\x80";
    T(ctrec_begin_value(w, v_s));
    T(ctrec_string(w, text, sizeof text - 1, tstr));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_s));
    T(ctrec_string(w, "", 0, tstr));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_s));
    T(ctrec_raw(w, "<raw>", 5, traw));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_s));
    T(ctrec_error(w, "boom", 4, tstr));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_s));
    T(ctrec_none(w, 0));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_s));
    T(ctrec_char(w, "\xc3\xa9", 2, tchar));
    T(ctrec_end(w));
    const uint8_t mag[] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff};
    for (size_t n = 0; n <= sizeof mag; n += 3) {
        T(ctrec_begin_value(w, v_x));
        T(ctrec_bigint(w, mag, n, (int)(n & 1), tbig));
        T(ctrec_end(w));
    }

    /* compounds */
    T(ctrec_begin_value(w, v_x));
    T(ctrec_begin_sequence(w, 0, tseq));
    for (int k = 0; k < 30; k++) T(ctrec_int(w, k * 1000, tint));
    T(ctrec_end_sequence(w));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_x));
    T(ctrec_begin_sequence(w, 1, tseq));
    T(ctrec_end_sequence(w));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_x));
    T(ctrec_begin_tuple(w, ttup));
    T(ctrec_int(w, 1, tint));
    T(ctrec_string(w, "two", 3, tstr));
    T(ctrec_begin_struct(w, tstruct));
    T(ctrec_int(w, 3, tint));
    T(ctrec_string(w, "p", 1, tstr));
    T(ctrec_end_struct(w));
    T(ctrec_begin_variant(w, "Some", 4, tvar));
    T(ctrec_begin_reference(w, 0xdeadbeefull, 1, tptr));
    T(ctrec_int(w, 7, tint));
    T(ctrec_end_reference(w));
    T(ctrec_end_variant(w));
    T(ctrec_begin_reference(w, UINT64_MAX, 0, tptr));
    T(ctrec_none(w, 0));
    T(ctrec_end_reference(w));
    T(ctrec_end_tuple(w));
    T(ctrec_end(w));
    /* nesting at the writer's bound */
    T(ctrec_begin_value(w, v_x));
    for (int d = 0; d < 59; d++) T(ctrec_begin_sequence(w, 0, tseq));
    T(ctrec_int(w, 42, tint));
    for (int d = 0; d < 59; d++) T(ctrec_end_sequence(w));
    T(ctrec_end(w));

    /* calls */
    T(ctrec_begin_call(w, f_g));
    T(ctrec_arg(w, v_i));
    T(ctrec_int(w, 5, tint));
    T(ctrec_arg(w, v_s));
    T(ctrec_begin_sequence(w, 0, tseq));
    T(ctrec_string(w, "a", 1, tstr));
    T(ctrec_end_sequence(w));
    T(ctrec_end(w));
    T(ctrec_step(w, 0, 11));
    T(ctrec_begin_return(w));
    T(ctrec_float(w, 1.5, tfloat));
    T(ctrec_end(w));
    T(ctrec_call(w, f_g));
    T(ctrec_begin_return(w));
    T(ctrec_none(w, 0));
    T(ctrec_end(w));

    /* everything else */
    for (int k = 0; k < CTREC_EVENT_KIND_COUNT; k++)
        T(ctrec_event(w, (ctrec_event_kind)k, "meta", 4, "content\n", 8));
    ctrec_str ins[3] = {{"mov a, b", 8}, {"", 0}, {"ret", 3}};
    T(ctrec_asm(w, ins, 3));
    T(ctrec_asm(w, NULL, 0));
    T(ctrec_bind_variable(w, v_i, 100));
    T(ctrec_variable_cell(w, v_s, -3));
    ctrec_id ids[3] = {v_i, v_s, v_x};
    T(ctrec_assign(w, v_i, CTREC_PASS_BY_VALUE, 0, ids + 1, 1));
    T(ctrec_assign(w, v_x, CTREC_PASS_BY_REFERENCE, 1, ids, 3));
    T(ctrec_drop_variables(w, ids, 3));
    T(ctrec_drop_variables(w, NULL, 0));
    T(ctrec_begin_compound_value(w, 7));
    T(ctrec_begin_sequence(w, 0, tseq));
    T(ctrec_cell(w, 8));
    T(ctrec_cell(w, -9));
    T(ctrec_end_sequence(w));
    T(ctrec_end(w));
    T(ctrec_begin_cell_value(w, 8));
    T(ctrec_int(w, 1, tint));
    T(ctrec_end(w));
    T(ctrec_assign_compound_item(w, 7, 1, 8));
    T(ctrec_begin_assign_cell(w, 8));
    T(ctrec_int(w, 2, tint));
    T(ctrec_end(w));
    T(ctrec_drop_variable(w, v_i));
    T(ctrec_thread_start(w, 2));
    T(ctrec_thread_switch(w, 2));
    T(ctrec_step(w, p1, 0)); /* the writer refuses a negative line */
    T(ctrec_thread_exit(w, 2));
    T(ctrec_thread_switch(w, UINT64_MAX));
    T(ctrec_drop_last_step(w));
    T(ctrec_step(w, 0, 3));
    return ctrec_writer_close(w) == CTREC_OK ? 0 : 1;
}
