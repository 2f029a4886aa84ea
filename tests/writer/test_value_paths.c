/*
 * test_value_paths.c — the value calls' fast paths (writer.c: val_claim,
 * val_frame; ctrec_int, ctrec_float, the texts, ctrec_begin_struct,
 * ctrec_end_struct, ctrec_end_sequence) against the general path.
 *
 * This program is built twice: writer_value_paths with the library as it
 * is, and writer_value_paths_general with writer.c compiled into it with
 * CTREC_TEST_GENERAL_VALUES, which turns every value fast path off (the
 * library's own writer.c is then not linked). `PROG gen ct|bin DIR` records
 * the same values with both (every kind with a fast path, at the top level,
 * inside sequences, tuples, structs, variants and references, in a call's
 * arguments and in a return value; text of every length class (0 to 40
 * bytes and 3000), non-ASCII
 * and invalid UTF-8; type ids and counts past 23; the misuses a fast path
 * must leave to the general one) and prints every status and message;
 * value_paths.py compares their stdout and their traces byte for byte
 * (trace.bin; every member of trace.ct but meta.dat).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec.h"
#include "paths.h"

static ctrec_id t_int, t_float, t_str, t_seq, t_tuple, t_var, t_ref, t_point, t_big, t_many[30];
static ctrec_id v_a, v_b, fn_f;

/* One of every leaf kind with a fast path, and their text classes. */
static void leaves(int round)
{
    static const int64_t ints[] = {0, 1, 23, 24, 255, 256, 65535, 65536, -1, -24, -25,
                                   INT64_MAX, INT64_MIN, 4294967296LL};
    static const double floats[] = {0.0, -0.0, 0.5, 1e300, -2.5e-308, 3.141592653589793};
    static const char *const texts[] = {"", "a", "ab", "abc", "abcd", "abcdefg", "abcdefgh",
                                        "abcdefghi", "0123456789abcdef", "0123456789abcdefg",
                                        "h\xc3\xa9llo", "bad \xff byte", "nul\0in",
                                        /* invalid UTF-8 last, past whole words */
                                        "\xff", "ab\xc3", "abcde\xff", "abcdefgh\xc3",
                                        "abcdefghijklmn\xff", "abcdefghijklmnopq\xe2\x82"};
    static const size_t tlen[] = {0, 1, 2, 3, 4, 7, 8, 9, 16, 17, 6, 10, 6, 1, 3, 6, 9, 15, 19};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        T(ctrec_int(w, ints[i], round ? t_many[i % 30] : t_int));
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++) T(ctrec_float(w, floats[i], t_float));
    T(ctrec_float(w, 0.0 / 0.0, t_float));
    T(ctrec_float(w, 1.0 / 0.0, t_many[25]));
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        T(ctrec_string(w, texts[i], tlen[i], t_str));
        T(ctrec_raw(w, texts[i], tlen[i], t_many[24 + i % 6]));
        T(ctrec_error(w, texts[i], tlen[i], t_str));
    }
    char big[3000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    T(ctrec_string(w, big, sizeof big, t_str));
    big[2999] = (char)0xc3;
    T(ctrec_string(w, big, sizeof big, t_str));
    T(ctrec_char(w, S("x"), t_str));
    T(ctrec_char(w, S("\xc3\xa9"), t_str));
    T(ctrec_string(w, NULL, 0, t_str));
}

/* Texts of 18 to 40 ASCII bytes (fx_copy's two overlapping copies up to
 * 32, memcpy past it), and floats whose texts are 1 to 24 bytes long, then
 * 600 more, twice: the trace.bin fast path takes a text from the float
 * cache when it holds the bits, and 600 distinct floats pass its 512
 * slots. */
static void more_leaves(int round)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
    for (size_t n = 18; n <= 40; n++) T(ctrec_string(w, abc + round, n, t_many[n % 30]));
    static const double floats[] = {-2.2250738585072014e-308, 1.7976931348623157e308,
                                    5e-324, -0.1, 123456789.125, 1e21, 1e-7, 2.0 / 3.0};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof floats / sizeof *floats; i++)
            T(ctrec_float(w, floats[i], t_many[i]));
        for (int i = 0; i < 600; i++) T(ctrec_float(w, i * 0.1 + round, t_float));
    }
    /* sequences whose count's head takes 1, 2 and 3 bytes (ctrec_end_sequence's
     * fast path moves the elements for the longer ones), slices and not */
    static const int counts[] = {0, 1, 23, 24, 255, 256};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        T(ctrec_begin_sequence(w, (int)(c + (size_t)round) & 1, t_many[c]));
        for (int i = 0; i < counts[c]; i++) T(ctrec_int(w, i, t_int));
        T(ctrec_end_sequence(w));
    }
}

/* Texts of every length of the texts' fast path (0 to 32 bytes: fx_ascii32's
 * loads and fx_copy32's copies that overlap, the head of one byte up to
 * 23 and of two from 24) and past it (33 to 40: text_long), each ASCII and
 * then with one byte past ASCII at each of its positions (each load must
 * see it: the general path cleans the text, the fast path would copy it),
 * in every text kind. At the top level (`top`: a Value each) or inside the
 * open compound. */
static void text_classes(int top)
{
    char t[41];
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++) t[i] = (char)('A' + (i * 7 + n) % 58);
        for (size_t j = 0; j <= n; j++) {
            char keep = j < n ? t[j] : 0;
            if (j < n) t[j] = (char)(0x80 + (j % 3) * 0x21); /* 80, a1, c2 */
            if (top) T(ctrec_begin_value(w, v_a));
            switch ((n + j) % 3) {
            case 0: T(ctrec_string(w, t, n, t_many[(n + j) % 30])); break;
            case 1: T(ctrec_raw(w, t, n, t_str)); break;
            default: T(ctrec_error(w, t, n, t_many[j % 30])); break;
            }
            if (top) T(ctrec_end(w));
            if (j < n) t[j] = keep;
        }
    }
}

/* A struct of the Point type (2 fields), its fields given by `fields`. */
static void point(int fields)
{
    T(ctrec_begin_struct(w, t_point));
    for (int i = 0; i < fields; i++) T(ctrec_int(w, 100 + i, t_int));
    T(ctrec_end_struct(w));
}

/* The compound value of one event: every container, structs nested in
 * them and in each other. */
static void compound(int round)
{
    T(ctrec_begin_sequence(w, round, t_seq));
    leaves(round);
    more_leaves(round);
    T(ctrec_begin_tuple(w, t_tuple));
    leaves(round);
    point(2);
    T(ctrec_end_tuple(w));
    for (int i = 0; i < 30; i++) point(2);
    T(ctrec_begin_variant(w, S("Some"), t_var));
    T(ctrec_string(w, S("inside"), t_str));
    T(ctrec_end_variant(w));
    T(ctrec_begin_reference(w, 0x1234, 1, t_ref));
    point(2);
    T(ctrec_end_reference(w));
    /* a struct of 30 fields: its count is past 23 */
    T(ctrec_begin_struct(w, t_big));
    for (int i = 0; i < 30; i++) {
        if (i % 3 == 0) point(2);
        else if (i % 3 == 1) T(ctrec_float(w, i / 4.0, t_float));
        else T(ctrec_string(w, S("field"), t_str));
    }
    T(ctrec_end_struct(w));
    text_classes(0);
    T(ctrec_end_sequence(w));
}

static void misuses(void)
{
    /* each breaks its event; the next starts afresh */
    T(ctrec_begin_value(w, v_a));
    point(3); /* one field too many */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    point(1); /* one field too few */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_variant(w, S("V"), t_var));
    T(ctrec_int(w, 1, t_int));
    T(ctrec_string(w, S("second"), t_str)); /* the variant has its value */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_reference(w, 1, 0, t_ref));
    point(2);
    T(ctrec_float(w, 2.0, t_float)); /* the reference has its value */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, t_int));
    T(ctrec_int(w, 2, t_int)); /* the event has its value */
    T(ctrec_string(w, S("x"), t_str));
    T(ctrec_float(w, 1.0, t_float));
    T(ctrec_begin_struct(w, t_point));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, 9999)); /* undefined types */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_string(w, S("x"), 9999));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_float(w, 1.0, 9999));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_struct(w, 9999));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_struct(w, t_int)); /* no Struct fields */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_string(w, NULL, 3, t_str)); /* NULL text */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_sequence(w, 0, t_seq));
    T(ctrec_end_struct(w)); /* not a struct */
    T(ctrec_end(w));
    /* a value in a call before its ctrec_arg; then, the event failed,
     * values until its ctrec_end get its status */
    T(ctrec_begin_call(w, fn_f));
    T(ctrec_int(w, 1, t_int));
    T(ctrec_string(w, S("x"), t_str));
    T(ctrec_float(w, 1.0, t_float));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_struct(w, t_point));
    T(ctrec_end(w)); /* the struct still open */
    T(ctrec_int(w, 1, t_int));
    T(ctrec_end(w));
    T(ctrec_end_struct(w)); /* no event */
    T(ctrec_int(w, 1, t_int));
    T(ctrec_string(w, S("x"), t_str));
    T(ctrec_float(w, 1.0, t_float));
    T(ctrec_begin_struct(w, t_point));
    /* a text over max_event_bytes (1 MiB here) */
    size_t n = (1u << 20) + 1;
    char *huge = malloc(n);
    if (huge) {
        memset(huge, 'h', n);
        T(ctrec_begin_value(w, v_a));
        T(ctrec_string(w, huge, n, t_str));
        T(ctrec_end(w));
        free(huge);
    }
    /* values nested deeper than max_depth (8 here): the marker */
    T(ctrec_begin_value(w, v_b));
    for (int i = 0; i < 10; i++) T(ctrec_begin_struct(w, t_point));
    T(ctrec_int(w, 5, t_int));
    T(ctrec_int(w, 6, t_int));
    T(ctrec_float(w, 1.5, t_float)); /* dropped too (val_claim's skip) */
    T(ctrec_string(w, S("dropped"), t_str));
    T(ctrec_raw(w, S("0123456789012345678901234567890123456789"), t_str));
    T(ctrec_begin_struct(w, t_point));
    T(ctrec_end_struct(w));
    for (int i = 0; i < 10; i++) {
        T(ctrec_int(w, i, t_int));
        T(ctrec_end_struct(w));
    }
    T(ctrec_end(w));
}

int main(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[1], "gen") != 0 ||
        (strcmp(argv[2], "ct") != 0 && strcmp(argv[2], "bin") != 0)) {
        fprintf(stderr, "usage: %s gen ct|bin DIR\n", argv[0]);
        return 2;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = strcmp(argv[2], "ct") == 0 ? CTREC_FORMAT_CT : CTREC_FORMAT_BIN;
    o.program = "value_paths";
    o.max_depth = 8;
    o.depth_marker = 1;
    o.max_event_bytes = 1u << 20;
    o.flush_interval_ms = 0;
    ctrec_status s = ctrec_writer_open(argv[3], &o, &w);
    if (s) {
        fprintf(stderr, "open: %s: %s\n", ctrec_status_name(s), ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    ctrec_id path;
    T(ctrec_path(w, S("/src/value_paths.txt"), &path));
    T(ctrec_type(w, CTREC_TYPE_INT, S("int"), &t_int));
    T(ctrec_type(w, CTREC_TYPE_FLOAT, S("float"), &t_float));
    T(ctrec_type(w, CTREC_TYPE_STRING, S("string"), &t_str));
    T(ctrec_type(w, CTREC_TYPE_SEQ, S("list"), &t_seq));
    T(ctrec_type(w, CTREC_TYPE_TUPLE, S("tuple"), &t_tuple));
    T(ctrec_type(w, CTREC_TYPE_VARIANT, S("option"), &t_var));
    T(ctrec_type(w, CTREC_TYPE_REF, S("ref"), &t_ref));
    ctrec_field pf[2] = {{S("x"), 0}, {S("y"), 0}};
    pf[0].type_id = pf[1].type_id = t_int;
    T(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Point"), pf, 2, &t_point));
    ctrec_field bf[30];
    char names[30][8];
    for (int i = 0; i < 30; i++) {
        snprintf(names[i], sizeof names[i], "f%d", i);
        bf[i] = (ctrec_field){names[i], strlen(names[i]), t_int};
    }
    T(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Big"), bf, 30, &t_big));
    for (int i = 0; i < 30; i++) {
        char tn[16];
        snprintf(tn, sizeof tn, "int%d", i);
        T(ctrec_type_z(w, CTREC_TYPE_INT, tn, &t_many[i])); /* ids past 23 */
    }
    T(ctrec_variable(w, S("a"), &v_a));
    T(ctrec_variable(w, S("b"), &v_b));
    T(ctrec_function(w, S("f"), path, 1, &fn_f));

    T(ctrec_step(w, path, 1));
    for (int round = 0; round < 2; round++) {
        /* top-level values, one of each leaf */
        T(ctrec_begin_value(w, v_a));
        T(ctrec_int(w, -7 - round, t_int));
        T(ctrec_end(w));
        T(ctrec_begin_value(w, v_a));
        T(ctrec_float(w, 0.25 + round, t_float));
        T(ctrec_end(w));
        T(ctrec_begin_value(w, v_b));
        T(ctrec_string(w, S("top"), t_str));
        T(ctrec_end(w));
        T(ctrec_begin_value(w, v_b));
        point(2);
        T(ctrec_end(w));
        T(ctrec_begin_value(w, v_b));
        compound(round);
        T(ctrec_end(w));
        if (round) text_classes(1);
        /* ints at the top level of a Value in every head size, of types
         * past 23 too (ctrec_int's fast path, val_claim's slot) */
        for (int i = 0; i < 14; i++) {
            static const int64_t ints[] = {0, 23, 24, 255, 256, 65535, 65536, -24, -25,
                                           -256, -257, INT64_MIN, INT64_MAX, 1LL << 32};
            T(ctrec_begin_value(w, v_b));
            T(ctrec_int(w, ints[i], t_many[(i * 11 + round) % 30]));
            T(ctrec_end(w));
        }
        T(ctrec_step(w, path, 2 + round));
        /* a call's arguments and its return value */
        T(ctrec_begin_call(w, fn_f));
        T(ctrec_arg(w, v_a));
        compound(round);
        T(ctrec_arg(w, v_b));
        point(2);
        T(ctrec_end(w));
        T(ctrec_step(w, path, 4));
        T(ctrec_begin_return(w));
        compound(round);
        T(ctrec_end(w));
    }
    misuses();
    T(ctrec_step(w, path, 5));
    T(ctrec_begin_value(w, v_a));
    point(2);
    T(ctrec_end(w));
    s = ctrec_writer_close(w);
    printf("close: %s; %d calls\n", ctrec_status_name(s), calls);
    return s ? 1 : 0;
}
