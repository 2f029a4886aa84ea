/*
 * test_memo.c — value memos (ctrec_memo_begin/end/write) write what the
 * value functions write.
 *
 * `PROG plain|memo ct|bin DIR` records the same steps either way: `plain`
 * writes every value with the value functions; `memo` keeps some values
 * (at the top of a Value event, as elements of a Sequence, as Struct
 * fields, as a call's arguments and as a return value) and writes them
 * again with ctrec_memo_write, keeps new ones in the same slots when they
 * change, and makes every misuse of the memo calls, whose statuses it
 * checks itself (exit 1 on the first wrong one). memo.py then requires the
 * two traces to be identical (trace.bin byte for byte; every member of
 * trace.ct but meta.dat) and `ctrec check` clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec.h"

#define S(lit) (lit), sizeof(lit) - 1

static ctrec_writer *w;
static int memo;   /* the mode: 1 memo, 0 plain */
static int failed; /* a wrong status was seen */
static ctrec_id t_int, t_float, t_str, t_seq, t_point;
static ctrec_id v_p, v_arr, v_deep, v_arg, fn_f, path;

/* A status the test requires. */
static void want(int line, ctrec_status got, ctrec_status expected)
{
    if (got != expected) {
        fprintf(stderr, "line %d: %s, expected %s (%s)\n", line, ctrec_status_name(got),
                ctrec_status_name(expected), ctrec_writer_errmsg(w));
        failed = 1;
    }
}
#define WANT(call, st) want(__LINE__, (call), (st))
#define OK(call) WANT(call, CTREC_OK)
/* A memo call with the status it must return: memo mode only. */
#define MEMO(call, st)                                                  \
    do {                                                                \
        if (memo) WANT(call, st);                                       \
    } while (0)

/* A Point {x: float, y: int, name: string}. */
static void point(double x, int64_t y, const char *name)
{
    OK(ctrec_begin_struct(w, t_point));
    OK(ctrec_float(w, x, t_float));
    OK(ctrec_int(w, y, t_int));
    OK(ctrec_string(w, name, strlen(name), t_str));
    OK(ctrec_end_struct(w));
}

/* point(x, y, name) kept in `slot` (memo mode) or written (plain). */
static void kept_point(uint32_t slot, double x, int64_t y, const char *name)
{
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    point(x, y, name);
    MEMO(ctrec_memo_end(w, slot), CTREC_OK);
}

/* The value kept in slot, which point(x, y, name) wrote: again. */
static void again_point(uint32_t slot, double x, int64_t y, const char *name)
{
    if (memo)
        OK(ctrec_memo_write(w, slot));
    else
        point(x, y, name);
}

/* seq(seq(...(int)...)) with `levels` Sequences. */
static void nested(int levels, int64_t leaf)
{
    if (!levels) {
        OK(ctrec_int(w, leaf, t_int));
        return;
    }
    OK(ctrec_begin_sequence(w, 0, t_seq));
    nested(levels - 1, leaf);
    OK(ctrec_end_sequence(w));
}

/* The misuses of the memo calls, around values both modes write. */
static void misuses(void)
{
    /* outside an event: nothing to keep, and no position to write at */
    MEMO(ctrec_memo_begin(w), CTREC_E_UNSUPPORTED);
    MEMO(ctrec_memo_end(w, 0), CTREC_E_STATE);
    /* an empty slot, a slot out of range: nothing written, the event
     * goes on (the value is then written as usual) */
    OK(ctrec_begin_value(w, v_p));
    MEMO(ctrec_memo_write(w, 4000), CTREC_E_UNSUPPORTED);
    MEMO(ctrec_memo_write(w, CTREC_MEMO_SLOTS), CTREC_E_UNSUPPORTED);
    MEMO(ctrec_memo_end(w, CTREC_MEMO_SLOTS), CTREC_E_ARG);
    OK(ctrec_int(w, 5, t_int));
    OK(ctrec_end(w));
    /* two values since ctrec_memo_begin, or none, or half of one: nothing
     * kept, the value stays written */
    OK(ctrec_begin_value(w, v_arr));
    OK(ctrec_begin_sequence(w, 0, t_seq));
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    OK(ctrec_int(w, 1, t_int));
    OK(ctrec_int(w, 2, t_int));
    MEMO(ctrec_memo_end(w, 4001), CTREC_E_STATE);
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    MEMO(ctrec_memo_end(w, 4001), CTREC_E_STATE);
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    OK(ctrec_begin_sequence(w, 0, t_seq));
    OK(ctrec_int(w, 3, t_int));
    MEMO(ctrec_memo_end(w, 4001), CTREC_E_STATE);
    OK(ctrec_end_sequence(w));
    OK(ctrec_end_sequence(w));
    OK(ctrec_end(w));
    /* begun in one event, ended in the next */
    OK(ctrec_begin_value(w, v_arr));
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    OK(ctrec_int(w, 4, t_int));
    OK(ctrec_end(w));
    OK(ctrec_begin_value(w, v_arr));
    OK(ctrec_int(w, 4, t_int));
    MEMO(ctrec_memo_end(w, 4001), CTREC_E_STATE);
    OK(ctrec_end(w));
    /* none of those kept anything */
    OK(ctrec_begin_value(w, v_arr));
    MEMO(ctrec_memo_write(w, 4001), CTREC_E_UNSUPPORTED);
    OK(ctrec_int(w, 6, t_int));
    OK(ctrec_end(w));
}

/* Slot 7 holds seq(seq(int 9)): 2 compounds. max_depth is 6. */
static void depth(void)
{
    OK(ctrec_begin_value(w, v_deep));
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    nested(2, 9);
    MEMO(ctrec_memo_end(w, 7), CTREC_OK);
    OK(ctrec_end(w));
    /* at depth 4 it fits (its Sequences at depths 4 and 5) */
    OK(ctrec_begin_value(w, v_deep));
    for (int i = 0; i < 4; i++) OK(ctrec_begin_sequence(w, 0, t_seq));
    if (memo)
        OK(ctrec_memo_write(w, 7));
    else
        nested(2, 9);
    for (int i = 0; i < 4; i++) OK(ctrec_end_sequence(w));
    OK(ctrec_end(w));
    /* at depth 5 written anew it meets the bound: the writer's depth
     * marker for the inner Sequence; the memo is refused, and the value
     * written as usual gets the marker, which a memo cannot keep */
    OK(ctrec_begin_value(w, v_deep));
    for (int i = 0; i < 5; i++) OK(ctrec_begin_sequence(w, 0, t_seq));
    MEMO(ctrec_memo_write(w, 7), CTREC_E_UNSUPPORTED);
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    nested(2, 9);
    MEMO(ctrec_memo_end(w, 8), CTREC_E_STATE);
    for (int i = 0; i < 5; i++) OK(ctrec_end_sequence(w));
    OK(ctrec_end(w));
    OK(ctrec_begin_value(w, v_deep));
    MEMO(ctrec_memo_write(w, 8), CTREC_E_UNSUPPORTED);
    OK(ctrec_int(w, 0, t_int));
    OK(ctrec_end(w));
    /* memos nest: slot 30 keeps a Point inside a Sequence kept in slot
     * 29; slot 31 keeps a Sequence holding only the Point written from
     * slot 30: 2 compounds deep, though only the Sequence was begun while
     * it was kept */
    OK(ctrec_begin_value(w, v_deep));
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    OK(ctrec_begin_sequence(w, 0, t_seq));
    kept_point(30, 1.5, 7, "n");
    OK(ctrec_end_sequence(w));
    MEMO(ctrec_memo_end(w, 29), CTREC_OK);
    OK(ctrec_end(w));
    OK(ctrec_begin_value(w, v_deep));
    MEMO(ctrec_memo_begin(w), CTREC_OK);
    OK(ctrec_begin_sequence(w, 0, t_seq));
    again_point(30, 1.5, 7, "n");
    OK(ctrec_end_sequence(w));
    MEMO(ctrec_memo_end(w, 31), CTREC_OK);
    OK(ctrec_end(w));
    for (int at = 4; at <= 5; at++) {
        /* at depth 4 it fits; at 5 its Points would be at depth 6: the
         * memo is refused, and written anew the Points become markers */
        OK(ctrec_begin_value(w, v_deep));
        for (int i = 0; i < at; i++) OK(ctrec_begin_sequence(w, 0, t_seq));
        ctrec_status want_st = at == 4 ? CTREC_OK : CTREC_E_UNSUPPORTED;
        MEMO(ctrec_memo_write(w, 31), want_st);
        if (!memo || want_st) {
            OK(ctrec_begin_sequence(w, 0, t_seq));
            point(1.5, 7, "n");
            OK(ctrec_end_sequence(w));
        }
        for (int i = 0; i < at; i++) OK(ctrec_end_sequence(w));
        OK(ctrec_end(w));
    }
    /* at most CTREC_MEMO_NEST begun at once */
    OK(ctrec_begin_value(w, v_deep));
    for (unsigned i = 0; i < CTREC_MEMO_NEST; i++) MEMO(ctrec_memo_begin(w), CTREC_OK);
    MEMO(ctrec_memo_begin(w), CTREC_E_UNSUPPORTED);
    OK(ctrec_int(w, 11, t_int));
    for (unsigned i = 0; i < CTREC_MEMO_NEST; i++) MEMO(ctrec_memo_end(w, 40 + i), CTREC_OK);
    MEMO(ctrec_memo_end(w, 40), CTREC_E_STATE);
    OK(ctrec_end(w));
    OK(ctrec_begin_value(w, v_deep));
    if (memo)
        OK(ctrec_memo_write(w, 40 + CTREC_MEMO_NEST - 1));
    else
        OK(ctrec_int(w, 11, t_int));
    OK(ctrec_end(w));

    /* a memo where no value may go fails as the value functions do: the
     * struct is full, the event is discarded */
    OK(ctrec_begin_value(w, v_p));
    OK(ctrec_begin_struct(w, t_point));
    OK(ctrec_float(w, 1, t_float));
    OK(ctrec_int(w, 2, t_int));
    OK(ctrec_string(w, S("c"), t_str));
    WANT(memo ? ctrec_memo_write(w, 7) : ctrec_int(w, 3, t_int), CTREC_E_VALUE);
    WANT(ctrec_end(w), CTREC_E_VALUE);
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "plain") != 0 && strcmp(argv[1], "memo") != 0) ||
        (strcmp(argv[2], "ct") != 0 && strcmp(argv[2], "bin") != 0)) {
        fprintf(stderr, "usage: %s plain|memo ct|bin DIR\n", argv[0]);
        return 2;
    }
    memo = strcmp(argv[1], "memo") == 0;
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = strcmp(argv[2], "ct") == 0 ? CTREC_FORMAT_CT : CTREC_FORMAT_BIN;
    o.program = "memo";
    o.max_depth = 6;
    o.depth_marker = 1;
    o.flush_interval_ms = 0;
    ctrec_status s = ctrec_writer_open(argv[3], &o, &w);
    if (s) {
        fprintf(stderr, "open: %s: %s\n", ctrec_status_name(s), ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    OK(ctrec_start(w, S("/src/memo.txt"), 1));
    OK(ctrec_path(w, S("/src/memo.txt"), &path));
    OK(ctrec_type(w, CTREC_TYPE_INT, S("int"), &t_int));
    OK(ctrec_type(w, CTREC_TYPE_FLOAT, S("float"), &t_float));
    OK(ctrec_type(w, CTREC_TYPE_STRING, S("string"), &t_str));
    OK(ctrec_type(w, CTREC_TYPE_SEQ, S("list"), &t_seq));
    ctrec_field pf[3] = {{S("x"), 0}, {S("y"), 0}, {S("name"), 0}};
    pf[0].type_id = t_float;
    pf[1].type_id = t_int;
    pf[2].type_id = t_str;
    OK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Point"), pf, 3, &t_point));
    OK(ctrec_variable(w, S("p"), &v_p));
    OK(ctrec_variable(w, S("arr"), &v_arr));
    OK(ctrec_variable(w, S("deep"), &v_deep));
    OK(ctrec_variable(w, S("q"), &v_arg));
    OK(ctrec_function(w, S("f"), path, 1, &fn_f));
    OK(ctrec_step(w, path, 1));

    misuses();
    depth();

    /* 60 steps; the points change now and then and are kept again */
    char name[5][16];
    double x[5];
    for (int i = 0; i < 5; i++) {
        snprintf(name[i], sizeof name[i], "point-%d", i);
        x[i] = 0.1 * i;
    }
    for (int step = 0; step < 60; step++) {
        OK(ctrec_step(w, path, 2 + step % 7));
        int changed = step % 5; /* the point that changed before this step */
        if (step) {
            x[changed] += 1.5;
            snprintf(name[changed], sizeof name[changed], "p%d-%d", changed, step);
        }
        /* p: point 0 at the top of a Value */
        OK(ctrec_begin_value(w, v_p));
        if (step == 0 || changed == 0)
            kept_point(0, x[0], 0, name[0]);
        else
            again_point(0, x[0], 0, name[0]);
        OK(ctrec_end(w));
        /* arr: the five points in a Sequence */
        OK(ctrec_begin_value(w, v_arr));
        OK(ctrec_begin_sequence(w, 0, t_seq));
        for (int i = 0; i < 5; i++) {
            if (step == 0 || changed == i)
                kept_point(10 + (uint32_t)i, x[i], i, name[i]);
            else
                again_point(10 + (uint32_t)i, x[i], i, name[i]);
        }
        OK(ctrec_end_sequence(w));
        OK(ctrec_end(w));
        /* every 10th step: a call of f with point 3 as its argument, a
         * step in it, and point 4 returned */
        if (step % 10 == 9) {
            OK(ctrec_begin_call(w, fn_f));
            OK(ctrec_arg(w, v_arg));
            again_point(13, x[3], 3, name[3]);
            OK(ctrec_end(w));
            OK(ctrec_step(w, path, 1));
            OK(ctrec_begin_return(w));
            again_point(14, x[4], 4, name[4]);
            OK(ctrec_end(w));
        }
    }
    s = ctrec_writer_close(w);
    if (s) {
        fprintf(stderr, "close: %s\n", ctrec_status_name(s));
        return 1;
    }
    return failed;
}
