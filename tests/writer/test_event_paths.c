/*
 * test_event_paths.c — the event fast paths (writer.c: bin_ready/bin_done
 * in ctrec_step, ctrec_call with its entry step, ctrec_return_none,
 * ctrec_begin_return, a call's ctrec_arg and its ctrec_end (end_call_bin)
 * in trace.bin; ct_fast in ctrec_step, ctrec_begin_value and ctrec_end in
 * .ct) against the general paths.
 *
 * This program is built twice: writer_event_paths with the library as it
 * is, and writer_event_paths_general with writer.c compiled into it with
 * CTREC_TEST_GENERAL_EVENTS, which turns those fast paths off (the
 * library's own writer.c is then not linked). Each mode records the same
 * events with both builds and prints every status and message;
 * event_paths.py compares their stdout and their traces:
 *   gen bin|ct DIR  ids and lines in every CBOR head size, calls of every
 *                   function (the top-level one too, which has no entry
 *                   step), returns of every type, small frames (the
 *                   threshold's drain inside the fast paths' commit), and
 *                   every misuse a fast path must leave to the general one:
 *                   undefined ids, a negative line, an open event, no call
 *                   to return from, a failed event's status cleared by the
 *                   next event, thread handles (not entered, entered), a
 *                   NULL writer;
 *   fail DIR        trace.bin under RLIMIT_FSIZE, compression on this
 *                   thread: steps, calls and returns until a write fails
 *                   (the index and the message printed), then every call
 *                   refused with the first message; then the same in a
 *                   .ct twice (DIR/ct, DIR/ct2: fail_ct);
 *   timed DIR       trace.bin with the flush thread every millisecond
 *                   (olock taken by out_take or after olock_wait_rec):
 *                   the frames differ from run to run, so event_paths.py
 *                   compares `ctrec print`;
 *   timed-ct DIR    the same in .ct (ct_fast's ctrec_call and
 *                   ctrec_return_none after olock_wait_rec too).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ctrec/ctrec.h"
#include "paths.h"

/* values in every CBOR head size: 1, 2, 3, 5 and 9 bytes */
static const int64_t lines[] = {0,     1,     23,         24,         255,        256,
                                65535, 65536, 99999,      4294967295, 4294967296, INT64_MAX};
#define NLINES (sizeof lines / sizeof *lines)
/* a .ct holds lines up to 99999 only: there, the others are folded in */
static int is_ct;
static int64_t line_at(size_t i)
{
    return is_ct ? lines[i % NLINES] % 100000 : lines[i % NLINES];
}

static ctrec_id paths[300], fns[NLINES * 2], types[300], vars[300], v_a;
static size_t npaths, nfns, ntypes, nvars;

static void define(void)
{
    char name[64];
    for (size_t i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "/src/event_paths_%zu.lua", i);
        T(ctrec_path_z(w, name, &paths[npaths++]));
    }
    for (size_t i = 0; i < NLINES * 2; i++) {
        snprintf(name, sizeof name, "f%zu", i);
        T(ctrec_function_z(w, name, paths[i * 37 % 300], line_at(i), &fns[nfns++]));
    }
    for (size_t i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "T%zu", i);
        T(ctrec_type_z(w, CTREC_TYPE_INT, name, &types[ntypes++]));
    }
    for (size_t i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "v%zu", i);
        T(ctrec_variable_z(w, name, &vars[nvars++]));
    }
    v_a = vars[0];
}

/* Calls with arguments (ctrec_begin_call, ctrec_arg, ctrec_end: trace.bin's
 * end_call_bin and ctrec_arg's fast path): 0 to 18 arguments (past
 * BIN_CALL_ARGS, 16), every function (the top-level one too, whose Call
 * has no Values nor step before it), ids in every head size, values of
 * every size up to max_event_bytes (past the room end_call_bin checks),
 * and returns with a value (ctrec_begin_return's fast path). */
static void calls_with_args(int r)
{
    static char text[300];
    memset(text, 'a' + r, sizeof text);
    for (size_t i = 0; i < nfns; i++) {
        size_t nargs = (i * 5 + (size_t)r) % 19;
        T(ctrec_begin_call(w, fns[i]));
        for (size_t a = 0; a < nargs; a++) {
            T(ctrec_arg(w, vars[(i * 31 + a * 17 + (size_t)r) % nvars]));
            /* within max_event_bytes (600) in all: ints past the 6th */
            switch (a >= 6 ? 0 : (a + i) % 4) {
            case 0: T(ctrec_int(w, (int64_t)(a * 1000 + i), types[(a * 7 + i) % ntypes])); break;
            case 1: T(ctrec_string(w, text, (a * 13 + i) % 35, types[a % ntypes])); break;
            case 2:
                T(ctrec_begin_sequence(w, 0, types[2]));
                for (size_t k = 0; k < a % 3; k++) T(ctrec_int(w, (int64_t)k, types[3]));
                T(ctrec_end_sequence(w));
                break;
            default: T(ctrec_float(w, (double)a / 3.0, types[260])); break;
            }
        }
        T(ctrec_end(w));
        T(ctrec_step(w, paths[i % npaths], (int64_t)i));
        if (i % 3 == 0) {
            T(ctrec_begin_return(w));
            T(ctrec_int(w, (int64_t)i * 99, types[(i * 3) % ntypes]));
            T(ctrec_end(w));
        } else {
            T(ctrec_return_none(w, types[(i * 11) % ntypes]));
        }
    }
    /* the top-level function with arguments */
    T(ctrec_begin_call(w, 0));
    T(ctrec_arg(w, vars[5]));
    T(ctrec_int(w, 5, types[5]));
    T(ctrec_arg(w, vars[256]));
    T(ctrec_string(w, S("top"), types[1]));
    T(ctrec_end(w));
    T(ctrec_begin_return(w));
    T(ctrec_none(w, types[0]));
    T(ctrec_end(w));
    /* end_call_bin copies values of up to 32 bytes with no call and sends
     * a group with a longer one to end_call_bin_any: arguments whose
     * values take 31 to 34 bytes (a String of 3 to 6 bytes of a type
     * under 24: 28 bytes and its text), alone and after 15 short ones,
     * for a function and for the top-level call (whose Call has no Values
     * before it: its long value is met in the Call's arguments) */
    for (size_t n = 3; n <= 6; n++) {
        for (size_t many = 0; many < 2; many++) {
            for (size_t top = 0; top < 2; top++) {
                T(ctrec_begin_call(w, top ? 0 : fns[n]));
                for (size_t a = 0; many && a < 15; a++) {
                    T(ctrec_arg(w, vars[a * 19 % nvars]));
                    T(ctrec_int(w, (int64_t)a, types[a]));
                }
                T(ctrec_arg(w, vars[n]));
                T(ctrec_string(w, text, n, types[n]));
                T(ctrec_end(w));
                T(ctrec_begin_return(w));
                T(ctrec_string(w, text, n + 30, types[n + 20]));
                T(ctrec_end(w));
            }
        }
    }
    /* arguments whose bytes, twice over, pass the room of `out` (1 KiB
     * frames): up to max_event_bytes (600) in all, then past it */
    for (size_t n = 250; n <= 300; n += 50) {
        T(ctrec_begin_call(w, fns[1]));
        T(ctrec_arg(w, vars[1]));
        T(ctrec_string(w, text, n, types[1]));
        T(ctrec_arg(w, vars[2]));
        T(ctrec_string(w, text, n, types[1]));
        ctrec_status e = ctrec_end(w);
        st("ctrec_end(w)", e);
        if (!e) T(ctrec_return_none(w, types[1]));
    }
}

/* Calls with arguments whose entry step is one line from the step before
 * (the .ct's end_call_ct takes the step's delta case): 0 to 18 arguments
 * (past its 16), every function, the top-level one too (which has no
 * entry step); Returns with a String of 0 to 44 bytes (end_return_ct;
 * ctw_return's own fast path ends at 32 bytes of value), one past
 * max_event_bytes (refused), and a call whose arguments pass it. */
static void calls_near(int r)
{
    static char text[700];
    memset(text, 'A' + r % 26, sizeof text);
    for (size_t i = 0; i < nfns; i++) {
        size_t nargs = (i * 7 + (size_t)r) % 19;
        int64_t line = line_at(i);
        T(ctrec_step(w, paths[i * 37 % 300], line ? line - 1 : 1));
        T(ctrec_begin_call(w, fns[i]));
        for (size_t a = 0; a < nargs; a++) {
            T(ctrec_arg(w, vars[(i * 13 + a) % nvars]));
            if (a % 2) T(ctrec_string(w, text, (a * 3 + i) % 10, types[1]));
            else T(ctrec_int(w, (int64_t)(a + i * 100), types[0]));
        }
        T(ctrec_end(w));
        T(ctrec_begin_return(w));
        T(ctrec_string(w, text, (i + (size_t)r * 5) % 45, types[1]));
        T(ctrec_end(w));
    }
    T(ctrec_step(w, 0, 2)); /* near the top-level function's line */
    T(ctrec_begin_call(w, 0));
    T(ctrec_arg(w, vars[7]));
    T(ctrec_int(w, 7, types[0]));
    T(ctrec_end(w));
    T(ctrec_begin_return(w));
    T(ctrec_string(w, text, 650, types[1])); /* past max_event_bytes */
    T(ctrec_end(w));
    T(ctrec_return_none(w, types[0]));
    T(ctrec_step(w, paths[37], line_at(1)));
    T(ctrec_begin_call(w, fns[1]));
    T(ctrec_arg(w, vars[1]));
    T(ctrec_string(w, text, 320, types[1]));
    T(ctrec_arg(w, vars[2]));
    T(ctrec_string(w, text, 320, types[1])); /* past max_event_bytes */
    T(ctrec_end(w));
}

/* The common events, in many states: every path with lines of every
 * size, every function called and returned from with every type. */
static void common(int rounds)
{
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < npaths; i++) T(ctrec_step(w, paths[i], line_at(i + (size_t)r)));
        for (size_t i = 0; i < nfns; i++) {
            T(ctrec_call(w, fns[i]));
            T(ctrec_step(w, paths[i % npaths], (int64_t)i));
            T(ctrec_call(w, fns[(i * 7 + (size_t)r) % nfns]));
            T(ctrec_return_none(w, types[(i * 13) % ntypes]));
            T(ctrec_return_none(w, types[(i * 29 + (size_t)r) % ntypes]));
        }
        /* the top-level function again: a call without an entry step */
        T(ctrec_call(w, 0));
        T(ctrec_step(w, paths[1], 2));
        T(ctrec_return_none(w, types[255]));
        /* calls whose entry step is near the step before (the .ct step's
         * delta case, which ct_fast's ctrec_call takes), the top-level
         * function's too (ctrec_start's path 0, line 1) */
        for (size_t i = 0; i < nfns; i++) {
            T(ctrec_step(w, paths[i * 37 % 300], line_at(i)));
            T(ctrec_call(w, fns[i]));
            T(ctrec_return_none(w, types[(i + (size_t)r) % ntypes]));
        }
        T(ctrec_step(w, 0, 2));
        T(ctrec_call(w, 0));
        T(ctrec_return_none(w, types[3]));
        /* values of every variable, a return with a value */
        for (size_t i = 0; i < nvars; i += 1 + (size_t)r) {
            T(ctrec_begin_value(w, vars[i]));
            T(ctrec_int(w, (int64_t)i - r, types[i % ntypes]));
            T(ctrec_end(w));
        }
        T(ctrec_call(w, fns[r % 5]));
        T(ctrec_begin_value(w, vars[299]));
        T(ctrec_begin_struct(w, types[0])); /* refused: no Struct fields */
        T(ctrec_end(w));
        T(ctrec_begin_return(w));
        T(ctrec_string(w, S("returned"), types[1]));
        T(ctrec_end(w));
        calls_with_args(r);
        calls_near(r);
    }
}

static void misuses(void)
{
    ctrec_id bad = (ctrec_id)1 << 40;
    T(ctrec_step(w, (ctrec_id)ctrec_path_count(w), 1)); /* one past the last */
    T(ctrec_step(w, bad, 1));
    T(ctrec_step(w, paths[0], -1));
    T(ctrec_step(w, paths[0], 100000)); /* refused in a .ct */
    T(ctrec_step(w, (ctrec_id)-1, -5));
    T(ctrec_call(w, (ctrec_id)ctrec_function_count(w)));
    T(ctrec_call(w, bad));
    T(ctrec_return_none(w, (ctrec_id)ctrec_type_count(w)));
    T(ctrec_return_none(w, bad));
    /* each with an event open: refused, the open event discarded */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_step(w, paths[0], 3));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 5, types[0]));
    T(ctrec_call(w, fns[3]));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_return_none(w, types[0]));
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_step(w, paths[2], 3));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_call(w, fns[2]));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_return_none(w, types[1]));
    T(ctrec_begin_return(w));
    T(ctrec_step(w, paths[2], 3));
    /* a failed event's status is the next value call's and ctrec_end's,
     * until the next event clears it: each event kind in turn */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, bad)); /* the event fails */
    T(ctrec_step(w, paths[4], 4));
    T(ctrec_end(w)); /* no open event (not the failed event's status) */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, bad));
    T(ctrec_call(w, fns[4]));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, bad));
    T(ctrec_return_none(w, types[4]));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, bad));
    T(ctrec_int(w, 1, types[0])); /* the failed event's status */
    T(ctrec_end(w));
    /* ctrec_begin_return clears it too: the Return's own failure is then
     * its ctrec_end's */
    T(ctrec_call(w, fns[3]));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_int(w, 1, bad));
    T(ctrec_begin_return(w));
    T(ctrec_string(w, NULL, 3, types[0])); /* NULL text */
    T(ctrec_end(w));
    T(ctrec_return_none(w, types[0]));
    /* ctrec_end's refusals */
    T(ctrec_begin_value(w, (ctrec_id)ctrec_variable_count(w))); /* undefined */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, bad));
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_end(w)); /* no value */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_sequence(w, 0, types[0]));
    T(ctrec_end(w)); /* a sequence still open */
    static char big[400];
    memset(big, 'b', sizeof big);
    T(ctrec_writer_flush(w)); /* the event alone in the buffer, under the threshold */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_sequence(w, 0, types[0]));
    T(ctrec_string(w, big, sizeof big, types[0]));
    T(ctrec_string(w, big, sizeof big, types[0]));
    T(ctrec_end_sequence(w));
    T(ctrec_end(w)); /* over max_event_bytes (600 here, under the 1024-byte frames) */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_value(w, v_a)); /* one open already */
    T(ctrec_end(w));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_string(w, big, sizeof big, types[0]));
    T(ctrec_end(w)); /* within max_event_bytes */
    T(ctrec_begin_call(w, fns[1]));
    T(ctrec_end(w)); /* a call: end_call's */
    T(ctrec_return_none(w, types[0]));
    /* a call's arguments, refused (ctrec_arg's and end_call_bin's checks) */
    T(ctrec_arg(w, v_a)); /* no call open */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_arg(w, v_a)); /* a Value open */
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, (ctrec_id)ctrec_variable_count(w))); /* undefined */
    T(ctrec_arg(w, v_a)); /* the call failed: its status */
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_arg(w, v_a)); /* the first has no value */
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_end(w)); /* the last has no value */
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_int(w, 1, types[0])); /* a value before ctrec_arg */
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_begin_sequence(w, 0, types[0]));
    T(ctrec_arg(w, vars[1])); /* a sequence open */
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_begin_sequence(w, 0, types[0]));
    T(ctrec_end(w)); /* a sequence still open */
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_string(w, big, sizeof big, types[0]));
    T(ctrec_arg(w, vars[1]));
    T(ctrec_string(w, big, sizeof big, types[0]));
    T(ctrec_end(w)); /* over max_event_bytes */
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_int(w, 1, types[0]));
    T(ctrec_step(w, paths[0], 1)); /* a call open */
    T(ctrec_begin_call(w, fns[2]));
    T(ctrec_arg(w, v_a));
    T(ctrec_int(w, 1, types[0]));
    T(ctrec_begin_return(w)); /* a call open */
    T(ctrec_begin_value(w, v_a));
    T(ctrec_begin_return(w)); /* a Value open */
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[3]));
    T(ctrec_arg(w, v_a));
    T(ctrec_int(w, 1, types[0]));
    T(ctrec_end(w)); /* a call with an argument */
    T(ctrec_begin_return(w));
    T(ctrec_end(w)); /* a Return without a value */
    T(ctrec_begin_return(w));
    T(ctrec_int(w, 2, types[0]));
    T(ctrec_end(w));
    /* a NULL writer */
    printf("NULL: %s %s %s %s %s\n", ctrec_status_name(ctrec_step(NULL, 0, 1)),
           ctrec_status_name(ctrec_call(NULL, 0)), ctrec_status_name(ctrec_return_none(NULL, 0)),
           ctrec_status_name(ctrec_begin_value(NULL, 0)), ctrec_status_name(ctrec_end(NULL)));
    /* every call returned: none left to return from */
    for (int i = 0; i < 100; i++) {
        ctrec_status s = ctrec_return_none(w, types[7]);
        calls++;
        if (s) {
            printf("%d returns: %s: %s\n", i, ctrec_status_name(s), ctrec_writer_errmsg(w));
            break;
        }
    }
    T(ctrec_return_none(w, types[7]));
    T(ctrec_step(w, paths[5], 5));
    T(ctrec_call(w, fns[5]));
    T(ctrec_return_none(w, types[7]));
    T(ctrec_return_none(w, types[7]));
    T(ctrec_begin_return(w)); /* no call to return from */
    T(ctrec_int(w, 1, types[0]));
    T(ctrec_end(w));
    T(ctrec_call(w, fns[6]));
}

/* Thread handles: with one, an event needs an entered thread. */
static void threads(void)
{
    ctrec_thread_handle *h1 = NULL, *h2 = NULL;
    T(ctrec_thread_open(w, 1, &h1));
    T(ctrec_thread_open(w, 2, &h2));
    T(ctrec_step(w, paths[1], 1)); /* not entered */
    T(ctrec_call(w, fns[1]));
    T(ctrec_return_none(w, types[1]));
    T(ctrec_thread_enter(h2));
    T(ctrec_step(w, paths[2], 2));
    T(ctrec_call(w, fns[2]));
    T(ctrec_step(w, paths[3], 3));
    T(ctrec_return_none(w, types[2]));
    T(ctrec_begin_value(w, vars[2]));
    T(ctrec_int(w, 2, types[2]));
    T(ctrec_end(w));
    T(ctrec_return_none(w, types[2])); /* thread 2 has no call open */
    T(ctrec_thread_leave(h2));
    T(ctrec_thread_enter(h1));
    T(ctrec_call(w, fns[6]));
    T(ctrec_return_none(w, types[3]));
    T(ctrec_step(w, paths[6], 6));
    T(ctrec_thread_leave(h1));
    T(ctrec_begin_value(w, vars[3])); /* not entered */
    T(ctrec_end(w));
    T(ctrec_thread_close(h2));
    T(ctrec_thread_enter(h1));
    common(1);
    T(ctrec_thread_leave(h1));
    T(ctrec_thread_close(h1));
    T(ctrec_step(w, paths[7], 7)); /* no handle left */
}

/* The writer's own counts: events written, and (through a Return) whether
 * a call is open. */
static void counts(const char *after)
{
    printf("after %s: %llu events\n", after, (unsigned long long)ctrec_writer_event_count(w));
}

static int open_writer(const char *dir, ctrec_format f, unsigned flush_ms, int compress_thread)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = f;
    o.program = "event_paths";
    o.frame_size = 1024; /* trace.bin: the threshold's drain inside the fast paths */
    o.flush_interval_ms = flush_ms;
    o.compress_thread = compress_thread;
    o.zstd_level = 1;
    o.max_event_bytes = 600;
    ctrec_status s = ctrec_writer_open(dir, &o, &w);
    if (s) {
        fprintf(stderr, "open: %s: %s\n", ctrec_status_name(s), ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return 1;
    }
    T(ctrec_start(w, S("/src/event_paths.lua"), 1));
    define();
    return 0;
}

static int gen(const char *fmt, const char *dir)
{
    is_ct = strcmp(fmt, "ct") == 0;
    if (open_writer(dir, is_ct ? CTREC_FORMAT_CT : CTREC_FORMAT_BIN, 0, 1)) return 1;
    common(3);
    counts("common");
    misuses();
    counts("misuses");
    common(1);
    threads();
    counts("threads");
    ctrec_status s = ctrec_writer_close(w);
    printf("close: %s; %d calls\n", ctrec_status_name(s), calls);
    return s ? 1 : 0;
}

/* Until a write fails: then every call refused with the first message. */
static void fail_events(void)
{
    ctrec_status s = CTREC_OK;
    long i;
    for (i = 0; i < 1000000 && !s; i++) {
        size_t k = (size_t)i % nfns;
        switch (i % 4) {
        case 0: s = ctrec_step(w, paths[(size_t)i % npaths], i % 1000); break;
        case 1:
            if (i % 8 == 5) { /* a call with arguments */
                if (!(s = ctrec_begin_call(w, fns[k])) && !(s = ctrec_arg(w, vars[k])) &&
                    !(s = ctrec_int(w, i, types[0])) && !(s = ctrec_arg(w, vars[k + 1])) &&
                    !(s = ctrec_string(w, S("argument"), types[1])))
                    s = ctrec_end(w);
            } else {
                s = ctrec_call(w, fns[k]);
            }
            break;
        case 2: s = ctrec_step(w, paths[k], (int64_t)k); break;
        case 3:
            if (i % 8 == 7 && !(s = ctrec_begin_return(w)) && !(s = ctrec_int(w, i, types[2])))
                s = ctrec_end(w);
            else if (i % 8 != 7)
                s = ctrec_return_none(w, types[(size_t)i % ntypes]);
            break;
        }
        if (!s && i % 8 == 3 && !(s = ctrec_begin_value(w, vars[(size_t)i % nvars])) &&
            !(s = ctrec_int(w, i, types[0])))
            s = ctrec_end(w);
    }
    printf("event %ld: %s: %s\n", i, ctrec_status_name(s), ctrec_writer_errmsg(w));
    counts("the failure");
    T(ctrec_step(w, paths[0], 1));
    T(ctrec_call(w, fns[1]));
    T(ctrec_return_none(w, types[0]));
    T(ctrec_begin_value(w, v_a));
    T(ctrec_end(w));
    T(ctrec_begin_call(w, fns[1]));
    T(ctrec_arg(w, v_a));
    T(ctrec_end(w));
    T(ctrec_begin_return(w));
    T(ctrec_end(w));
    T(ctrec_writer_status(w));
    s = ctrec_writer_close(w);
    printf("close: %s; %d calls\n", ctrec_status_name(s), calls);
}

/* A .ct (DIR/NAME) under 128 KiB, its chunks and scratch pieces written
 * on this thread: two calls a return (ctrec_call, or ctrec_begin_call with
 * an argument at every `mod`-th event) until a write fails (the scratch
 * file's second piece: with mod 5 in the ctrec_end of a call with an
 * argument, end_call_ct's entry step and Value made and its call refused;
 * with mod 2 in a ctrec_call, call_ct's entry step made), then the events
 * of fail_events, all refused. */
static int fail_ct(const char *dir, const char *name, int mod)
{
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    is_ct = 1;
    npaths = nfns = ntypes = nvars = 0; /* define() again */
    if (open_writer(sub, CTREC_FORMAT_CT, 0, 0)) return 1;
    ctrec_status s = CTREC_OK;
    long i;
    for (i = 0; i < 1000000 && !s; i++) {
        size_t k = (size_t)i % nfns;
        if (i % 3 == 0) {
            s = ctrec_return_none(w, types[k]);
        } else if (i % mod == 1) { /* end_call_ct's case */
            if (!(s = ctrec_begin_call(w, fns[1])) && !(s = ctrec_arg(w, vars[k])) &&
                !(s = ctrec_int(w, i, types[0])))
                s = ctrec_end(w);
        } else {
            s = ctrec_call(w, fns[1]); /* its entry step the last one: the fast case */
        }
    }
    printf("event %ld: %s: %s\n", i, ctrec_status_name(s), ctrec_writer_errmsg(w));
    counts("the failure");
    fail_events();
    return 0;
}

static int fail(const char *dir)
{
    if (open_writer(dir, CTREC_FORMAT_BIN, 0, 0)) return 1;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {16384, 1u << 20};
    if (setrlimit(RLIMIT_FSIZE, &rl)) {
        perror("setrlimit");
        return 1;
    }
    fail_events();
    struct rlimit ct_rl = {131072, 1u << 20};
    if (setrlimit(RLIMIT_FSIZE, &ct_rl)) {
        perror("setrlimit");
        return 1;
    }
    return fail_ct(dir, "ct", 5) || fail_ct(dir, "ct2", 2);
}

/* The flush thread every millisecond while the events go. */
static int timed(const char *dir, int is_ct)
{
    if (open_writer(dir, is_ct ? CTREC_FORMAT_CT : CTREC_FORMAT_BIN, 1, 1)) return 1;
    common(400);
    counts("common");
    ctrec_status s = ctrec_writer_close(w);
    printf("close: %s; %d calls\n", ctrec_status_name(s), calls);
    return s ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0 &&
        (strcmp(argv[2], "ct") == 0 || strcmp(argv[2], "bin") == 0))
        return gen(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "fail") == 0) return fail(argv[2]);
    if (argc == 3 && strcmp(argv[1], "timed") == 0) return timed(argv[2], 0);
    if (argc == 3 && strcmp(argv[1], "timed-ct") == 0) return timed(argv[2], 1);
    fprintf(stderr, "usage: %s gen ct|bin DIR | fail DIR | timed DIR | timed-ct DIR\n", argv[0]);
    return 2;
}
