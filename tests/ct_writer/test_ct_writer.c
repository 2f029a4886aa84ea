/*
 * test_ct_writer.c — the .ct writer (CTREC_FORMAT_CT).
 *
 *   ct_writer_test scenario DIR   records the scenario below into DIR/trace.ct,
 *                                 checking every refusal on the way (status,
 *                                 exact message, writer still usable); exit 0
 *                                 when all held. check_ct.py then compares
 *                                 the container's decoding with
 *                                 expected_scenario.json.
 *   ct_writer_test chunks DIR N   W1-like: N steps with a value, a call every
 *                                 10 steps (chunk boundaries of every stream)
 *   ct_writer_test columns DIR    a column-aware .ct (option columns): writes
 *                                 DIR/src/a.lua (lines of 10, 0, 3 and 5
 *                                 bytes, the last without its newline), steps
 *                                 with and without columns on it, and on a
 *                                 path with no readable source; every
 *                                 refusal checked; check_ct.py decodes it
 *   ct_writer_test exceptions DIR ctrec_raise / ctrec_catch: refused for
 *                                 trace.json (exact message, writer usable);
 *                                 in a .ct each a step record of its own, the
 *                                 values after a raise its own, a message with
 *                                 invalid UTF-8 cleaned; a Return written with
 *                                 an exception (ctrec_write_event,
 *                                 ctrec_return_exception and
 *                                 ctrec_begin_return_exception, refused for
 *                                 trace.json); read back event by event
 *                                 through the reader
 *   ct_writer_test threads DIR    two thread handles from one OS thread, into
 *                                 DIR-json and DIR (check_ct.py threads)
 *   ct_writer_test nostep DIR     calls but no step: close gives them one
 *                                 Step; each file read back whole
 *   ct_writer_test emptybig DIR   BigInts of no magnitude byte, read back
 *   ct_writer_test ambigpath DIR  a path that reads as a column-aware record
 *   ct_writer_test fsize DIR      RLIMIT_FSIZE of 256 KiB, SIGXFSZ ignored: the
 *                                 first failure is CTREC_E_IO with a message,
 *                                 every later call CTREC_E_FAILED, close
 *                                 CTREC_E_IO; the published part stays valid
 *                                 (checked by check_ct.py)
 *   ct_writer_test bigscratch DIR a recording with the compressing thread,
 *                                 killed (a child that _exits without
 *                                 closing) after a flush: calls whose
 *                                 scratch records span 1, 3 and 20 of the
 *                                 scratch file's 128 KiB blocks (arguments of
 *                                 1 KiB, 300 KiB and 2.5 MiB), the last one
 *                                 still open; ctrec_ct_repair writes
 *                                 DIR/repaired.ct with 4 calls, 2 of them
 *                                 open, and the reader gives each argument
 *                                 back byte for byte (the third is over
 *                                 the 1 MiB of calls.dat it holds: it reads
 *                                 on for it; ct_hostile tests the limit)
 *   ct_writer_test bigkids DIR    calls with over 64 KiB of children's keys
 *                                 (the top-level call's at close, two in
 *                                 one chunk before), in place and with the
 *                                 thread (DIR/inplace, DIR/thread), and
 *                                 one of 400,000 (DIR/wide, over the
 *                                 1 MiB window): ctrec's reader checks
 *                                 every call; one of 30,000 and one of
 *                                 2,000,000 left open by a kill and
 *                                 repaired (DIR/kill, DIR/rss: the
 *                                 repair's peak RSS under 20 MB)
 *   ct_writer_test repairtree DIR a recording with the compressing thread,
 *                                 killed after a flush: a tree of 20,000
 *                                 calls (each an Int argument, every 7th
 *                                 an Int returned) and 3 more calls left
 *                                 open; ctrec_ct_repair writes
 *                                 DIR/repaired.ct, whose calls check_ct.py
 *                                 checks (parents, children, steps)
 *                                 against the same tree
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"
#include "../rss_checked.h"

static int failures;

#define CHECK(call)                                                                      \
    do {                                                                                 \
        ctrec_status st_ = (call);                                                       \
        if (st_ != CTREC_OK) {                                                           \
            fprintf(stderr, "%s:%d: %s: %s: %s\n", __FILE__, __LINE__, #call,            \
                    ctrec_status_name(st_), ctrec_writer_errmsg(w));                     \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

/* Closes a scenario's writer: 1 when it or anything before failed. */
static int paths_close(ctrec_writer *w)
{
    ctrec_status st = ctrec_writer_close(w);
    if (st) {
        fprintf(stderr, "close: %s\n", ctrec_status_name(st));
        failures++;
    }
    return failures ? 1 : 0;
}

/* ctrec's reader on DIR/trace.ct (its path in path[4200]), or NULL after
 * saying why. */
static ctrec_reader *open_trace_ct(const char *dir, char *path)
{
    ctrec_reader *r;
    snprintf(path, 4200, "%s/trace.ct", dir);
    if (ctrec_reader_open(path, NULL, &r) == CTREC_OK) return r;
    fprintf(stderr, "read %s: %s\n", path, ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
    return NULL;
}

/* Closes w (a failure counted) and opens ctrec's reader on what it wrote
 * (open_trace_ct). */
static ctrec_reader *close_and_read(ctrec_writer *w, const char *dir, char *path)
{
    if (ctrec_writer_close(w)) failures++;
    return open_trace_ct(dir, path);
}

/* The events ctrec_reader reads from DIR/trace.ct, definitions left out,
 * against want[0..n-1]. */
static void read_back(const char *dir, const char *const *want, size_t n)
{
    char path[4200];
    ctrec_reader *r = open_trace_ct(dir, path);
    if (!r) {
        failures++;
        return;
    }
    const ctrec_ev *ev;
    char *buf = NULL;
    size_t cap = 0, len, i = 0;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ev->type == CTREC_EV_PATH || ev->type == CTREC_EV_FUNCTION ||
            ev->type == CTREC_EV_TYPE || ev->type == CTREC_EV_VARIABLE_NAME)
            continue;
        if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &buf, &cap, &len) != CTREC_OK) break;
        if (i >= n || strcmp(buf, want[i]) != 0) {
            fprintf(stderr, "%s: event %zu: got %s\n  want %s\n", dir, i, buf,
                    i < n ? want[i] : "(none)");
            failures++;
        }
        i++;
    }
    if (st != CTREC_OK || i != n) {
        fprintf(stderr, "%s: read %zu events of %zu: %s\n", dir, i, n, ctrec_reader_errmsg(r));
        failures++;
    }
    free(buf);
    ctrec_reader_close(r);
}

/* A refused call: its status and its exact message. */
static void refused(ctrec_writer *w, ctrec_status got, ctrec_status want, const char *msg,
                    int line)
{
    if (got != want || strcmp(ctrec_writer_errmsg(w), msg) != 0) {
        fprintf(stderr, "line %d: got %s \"%s\", want %s \"%s\"\n", line,
                ctrec_status_name(got), ctrec_writer_errmsg(w), ctrec_status_name(want), msg);
        failures++;
    }
}
#define REFUSED(call, want, msg) refused(w, (call), (want), (msg), __LINE__)

static ctrec_writer *open_ct(const char *dir, int threads)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.program = "scenario";
    static const char *args[] = {"--one", "two"};
    o.args = args;
    o.nargs = 2;
    o.workdir = "/work/dir";
    o.copy_sources = 0;
    o.compress_thread = threads;
    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "open: %s\n", ctrec_writer_errmsg(w));
        exit(1);
    }
    return w;
}

static int scenario(const char *dir)
{
    ctrec_writer *w = open_ct(dir, 1);
    ctrec_id none, t_int, t_str, t_bool, t_float, t_seq, t_struct, t_big;
    ctrec_id p_main, p_lib, f_add, f_inner, v_a, v_b, v_s, v_r;

    /* A return with no open call is refused (a writer without ctrec_start). */
    {
        char d2[4096];
        snprintf(d2, sizeof d2, "%s/noreturn", dir);
        ctrec_writer *w2 = open_ct(d2, 0);
        ctrec_writer *keep = w;
        w = w2;
        REFUSED(ctrec_begin_return(w), CTREC_E_STATE,
                "ctrec_begin_return: a Return with no open call (every Call has had its Return, "
                "the top-level one included; the debugger refuses such a trace)");
        ctrec_id t;
        CHECK(ctrec_type_z(w, CTREC_TYPE_NONE, "None", &t));
        REFUSED(ctrec_return_none(w, t), CTREC_E_STATE,
                "ctrec_return_none: a Return with no open call (every Call has had its Return, "
                "the top-level one included; the debugger refuses such a trace)");
        CHECK(ctrec_writer_close(w));
        w = keep;
    }
    CHECK(ctrec_start(w, "/src/main.lua", 13, 1));
    /* A value before the first step is refused. */
    CHECK(ctrec_variable_z(w, "a", &v_a));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t_int));
    CHECK(ctrec_begin_value(w, v_a));
    CHECK(ctrec_int(w, 1, t_int));
    REFUSED(ctrec_end(w), CTREC_E_STATE,
            "a .ct keeps values per step: a Value before the first step has no place");
    CHECK(ctrec_path_z(w, "/src/main.lua", &p_main));
    CHECK(ctrec_path_z(w, "/src/lib.lua", &p_lib));
    CHECK(ctrec_type_z(w, CTREC_TYPE_NONE, "None", &none));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str));
    CHECK(ctrec_type_z(w, CTREC_TYPE_BOOL, "Bool", &t_bool));
    CHECK(ctrec_type_z(w, CTREC_TYPE_FLOAT, "Float", &t_float));
    CHECK(ctrec_type_z(w, CTREC_TYPE_SEQ, "List", &t_seq));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "BigInt", &t_big));
    ctrec_field fields[2] = {{"x", 1, t_int}, {"y", 1, t_int}};
    CHECK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, "Point", 5, fields, 2, &t_struct));
    CHECK(ctrec_variable_z(w, "b", &v_b));
    CHECK(ctrec_variable_z(w, "s", &v_s));
    CHECK(ctrec_variable_z(w, "r", &v_r));
    CHECK(ctrec_function_z(w, "add", p_lib, 10, &f_add));
    CHECK(ctrec_function_z(w, "inner", p_lib, 20, &f_inner));

    /* step 0: three values */
    CHECK(ctrec_step(w, p_main, 1));
    CHECK(ctrec_begin_value(w, v_a));
    CHECK(ctrec_int(w, -5, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_begin_value(w, v_s));
    CHECK(ctrec_string(w, "h\xc3\xa9", 3, t_str));
    CHECK(ctrec_end(w));
    CHECK(ctrec_begin_value(w, v_b));
    CHECK(ctrec_bool(w, 1, t_bool));
    CHECK(ctrec_end(w));

    /* Refused, the writer stays usable: each is followed by good events. */
    REFUSED(ctrec_bind_variable(w, v_a, 7), CTREC_E_UNSUPPORTED,
            "ctrec_bind_variable: a .ct trace has no place for this event (FORMAT.md 7.2)");
    REFUSED(ctrec_drop_variable(w, v_a), CTREC_E_UNSUPPORTED,
            "ctrec_drop_variable: a .ct trace has no place for this event (FORMAT.md 7.2)");
    REFUSED(ctrec_begin_cell_value(w, 3), CTREC_E_UNSUPPORTED,
            "ctrec_begin_cell_value: a .ct trace has no place for this event (FORMAT.md 7.2)");
    REFUSED(ctrec_drop_last_step(w), CTREC_E_UNSUPPORTED,
            "ctrec_drop_last_step: a .ct trace has no place for this event (FORMAT.md 7.2)");
    {
        ctrec_ev dls = {.type = CTREC_EV_DROP_LAST_STEP}, asm_ev = {.type = CTREC_EV_ASM};
        REFUSED(ctrec_write_event(w, &dls), CTREC_E_UNSUPPORTED,
                "ctrec_write_event: DropLastStep: a .ct trace has no place for this event "
                "(FORMAT.md 7.2)");
        REFUSED(ctrec_write_event(w, &asm_ev), CTREC_E_UNSUPPORTED,
                "ctrec_write_event: Asm: a .ct trace has no place for this event (FORMAT.md 7.2)");
    }
    REFUSED(ctrec_step(w, p_main, 100000), CTREC_E_UNSUPPORTED,
            "a .ct step's line must be 0..99999 (path_id * 100000 + line), not 100000");
    REFUSED(ctrec_step_column(w, p_main, 2, 5), CTREC_E_UNSUPPORTED,
            "ctrec_step_column: a .ct keeps columns only when the writer was opened with the "
            "option columns = 1 (use "
            "ctrec_step)");
    REFUSED(ctrec_step(w, 9, 1), CTREC_E_UNDEFINED, "path id 9 is not defined (2 defined)");

    /* step 1 */
    CHECK(ctrec_step(w, p_main, 2));
    CHECK(ctrec_begin_value(w, v_a));
    CHECK(ctrec_float(w, 2.5, t_float));
    CHECK(ctrec_end(w));
    CHECK(ctrec_begin_value(w, v_r));
    CHECK(ctrec_begin_sequence(w, 0, t_seq));
    CHECK(ctrec_int(w, 1, t_int));
    CHECK(ctrec_begin_struct(w, t_struct));
    CHECK(ctrec_int(w, 3, t_int));
    CHECK(ctrec_int(w, 4, t_int));
    CHECK(ctrec_end_struct(w));
    CHECK(ctrec_end_sequence(w));
    CHECK(ctrec_end(w));

    /* call add(a = 7, b = false) at step 2 (its definition line), a nested
     * call inner() at step 4, returns */
    CHECK(ctrec_begin_call(w, f_add));
    CHECK(ctrec_arg(w, v_a));
    CHECK(ctrec_int(w, 7, t_int));
    CHECK(ctrec_arg(w, v_b));
    CHECK(ctrec_bool(w, 0, t_bool));
    CHECK(ctrec_end(w));
    CHECK(ctrec_step(w, p_lib, 11));
    CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "stdout", 6, "hello\n", 6));
    CHECK(ctrec_call(w, f_inner));
    CHECK(ctrec_return_none(w, none));
    CHECK(ctrec_begin_return(w));
    uint8_t mag[3] = {1, 0, 255};
    CHECK(ctrec_bigint(w, mag, 3, 1, t_big));
    CHECK(ctrec_end(w));

    /* threads and an error event */
    CHECK(ctrec_thread_start(w, 2));
    CHECK(ctrec_thread_switch(w, 2));
    CHECK(ctrec_step(w, p_main, 3));
    CHECK(ctrec_event(w, CTREC_EVENT_ERROR, "", 0, "boom", 4));
    CHECK(ctrec_thread_exit(w, 2));
    CHECK(ctrec_step(w, p_main, 4000)); /* an absolute step (delta > 63) */
    CHECK(ctrec_step(w, p_main, 3999)); /* a negative delta */
    CHECK(ctrec_begin_value(w, v_a));
    CHECK(ctrec_none(w, none));
    CHECK(ctrec_end(w));
    CHECK(ctrec_writer_flush(w));
    /* the top-level call is still open: close ends it at the last step */
    return paths_close(w);
}

static int chunks(const char *dir, long n)
{
    ctrec_writer *w = open_ct(dir, 0);
    ctrec_id t_int, v_i, v_x, f;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t_int));
    CHECK(ctrec_variable_z(w, "i", &v_i));
    CHECK(ctrec_variable_z(w, "x", &v_x));
    CHECK(ctrec_function_z(w, "f", 0, 50, &f));
    for (long i = 0; i < n && !failures; i++) {
        CHECK(ctrec_step(w, 0, 1 + i % 7));
        CHECK(ctrec_variable_int(w, "i", 1, i, t_int));
        if (i % 10 == 9) {
            CHECK(ctrec_begin_call(w, f));
            CHECK(ctrec_arg(w, v_x));
            CHECK(ctrec_int(w, i, t_int));
            CHECK(ctrec_end(w));
            if (i % 100 == 99) CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "x", 1));
            CHECK(ctrec_begin_return(w));
            CHECK(ctrec_int(w, -i, t_int));
            CHECK(ctrec_end(w));
        }
    }
    ctrec_status st = ctrec_writer_close(w);
    if (st) failures++;
    return failures ? 1 : 0;
}

/* Jobs left waiting for a sleeping compressing thread: the writer wakes
 * it only once CT_WAKE jobs wait (or for a publication, or at close), so
 * a recording of one, two or three batches of steps ends with them queued
 * and the thread asleep since it started; close must wake it (a hang here
 * is the test's timeout). Each trace is read back whole. */
static int queued(const char *dir)
{
    for (long k = 1; k <= 3; k++) {
        char sub[4096], path[4200];
        snprintf(sub, sizeof sub, "%s-%ld", dir, k);
        ctrec_writer *w = open_ct(sub, 1);
        ctrec_id f;
        CHECK(ctrec_start(w, "/m", 2, 1));
        CHECK(ctrec_function_z(w, "f", 0, 50, &f));
        long n = k * 40000, steps = 0;
        for (long i = 0; i < n && !failures; i++) {
            CHECK(ctrec_step(w, 0, 1 + (i * 7919) % 613)); /* 1-2 byte deltas */
            if (i % 100 == 99) {
                CHECK(ctrec_call(w, f));
                CHECK(ctrec_return_none(w, 0));
            }
        }
        ctrec_reader *r = close_and_read(w, sub, path);
        if (!r) return 1;
        const ctrec_ev *ev;
        ctrec_status st;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev)
            if (ev->type == CTREC_EV_STEP) steps++;
        if (st != CTREC_OK || steps != n + n / 100) {
            fprintf(stderr, "%s: %ld steps of %ld: %s\n", sub, steps, n + n / 100,
                    ctrec_reader_errmsg(r));
            failures++;
        }
        ctrec_reader_close(r);
    }
    return failures ? 1 : 0;
}

/* Text number k of the big-value tests (bigchunk, bigscratch), its byte
 * i: pseudo-random letters, which zstd cannot halve (so that scratch
 * pieces holding them stay stored, in raw blocks). check_ct.py's
 * rand_text makes the same. */
static char rand_letter(long k, size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u + (uint32_t)k * 40503u;
    x ^= x >> 15;
    return (char)('a' + x % 26);
}
/* Where a value first differs from text k of n bytes: n when it is that
 * text (a String of n bytes), else the index of the first byte that is
 * not (0 for another kind or length). */
static size_t rand_text_diff(const ctrec_value *v, long k, size_t n)
{
    size_t i = 0;
    if (v && v->kind == CTREC_VAL_STRING && v->text.len == n)
        while (i < n && v->text.ptr[i] == rand_letter(k, i)) i++;
    return i;
}

/* Reads r to its end: its Values must be the texts 0 .. n-1 of len bytes
 * each (rand_letter), in order; closes r. */
static void read_texts(ctrec_reader *r, const char *path, long n, size_t len)
{
    const ctrec_ev *ev;
    long k = 0;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ev->type != CTREC_EV_VALUE) continue;
        size_t bad = rand_text_diff(ev->value.value, k, len);
        if (bad != len) {
            fprintf(stderr, "%s: value %ld differs (byte %zu)\n", path, k, bad);
            failures++;
        }
        k++;
    }
    if (st != CTREC_OK || k != n) {
        fprintf(stderr, "%s: read %ld values of %ld: %s\n", path, k, n, ctrec_reader_errmsg(r));
        failures++;
    }
    ctrec_reader_close(r);
}

/* Values chunks larger than the writer compresses in one call (a frame
 * bound over 16 MiB, CT_ONESHOT): n steps, each with a String of
 * BIGCHUNK_LEN pseudo-random letters (rand_letter), so that the first
 * values chunk (1024 steps, about 20 MB) is compressed in pieces, into
 * more than one 128 KiB output piece, and the last in one call; written
 * in place and with the compressing thread (check_ct.py bigchunk reads
 * both with ct_decode.py, ctrec's reader here). */
#define BIGCHUNK_LEN 20000u
static int bigchunk_one(const char *dir, long n, int thread)
{
    ctrec_writer *w = open_ct(dir, thread);
    ctrec_id t_str, v_s;
    char *text = malloc(BIGCHUNK_LEN);
    if (!text) return 2;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str));
    CHECK(ctrec_variable_z(w, "s", &v_s));
    for (long k = 0; k < n && !failures; k++) {
        for (size_t i = 0; i < BIGCHUNK_LEN; i++) text[i] = rand_letter(k, i);
        CHECK(ctrec_step(w, 0, 1 + k % 5));
        CHECK(ctrec_begin_value(w, v_s));
        CHECK(ctrec_string(w, text, BIGCHUNK_LEN, t_str));
        CHECK(ctrec_end(w));
    }
    /* ctrec's reader: every value as written */
    char path[4200];
    ctrec_reader *r = close_and_read(w, dir, path);
    if (!r) {
        free(text);
        return 1;
    }
    read_texts(r, path, n, BIGCHUNK_LEN);
    free(text);
    return failures ? 1 : 0;
}
static int bigchunk(const char *dir, long n)
{
    char sub[4200];
    if (mkdir(dir, 0755) && errno != EEXIST) return 2;
    snprintf(sub, sizeof sub, "%s/inplace", dir);
    int rc = bigchunk_one(sub, n, 0);
    snprintf(sub, sizeof sub, "%s/thread", dir);
    return bigchunk_one(sub, n, 1) | rc;
}

/* parts: with the compressing thread, a values chunk in progress hands
 * its complete records over in parts of 256 KiB (CT_PART_BYTES) as it
 * grows, and the thread joins them when the chunk ends. PARTS_STEPS steps,
 * each with a String of PARTS_LEN pseudo-random letters (rand_letter;
 * about 3 MB a chunk of 1024 steps, a part every 87 records), flushed
 * after each step in parts_at: before the first part (50), after one
 * (137: the chunk's buffer then holds as many bytes as at 50, which the
 * writer must not take for "nothing new"), after some, at the end of the
 * first chunk (its parts not joined yet), and after parts of the second;
 * each flush's container copied to DIR/published_STEP.ct. Here
 * ctrec's reader checks every value of the closed trace; check_ct.py
 * parts reads it and each copy with ct_decode.py: each copy's provisional
 * chunk is the parts handed over and the records after them. */
#define PARTS_STEPS 1300
#define PARTS_LEN 3000u
static const long parts_at[] = {50, 137, 200, 1024, 1200};
static int copy_file(const char *from, const char *to);
static int parts(const char *dir)
{
    ctrec_writer *w = open_ct(dir, 1);
    ctrec_id t_str, v_s;
    static char text[PARTS_LEN];
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str));
    CHECK(ctrec_variable_z(w, "s", &v_s));
    size_t at = 0;
    for (long k = 0; k < PARTS_STEPS && !failures; k++) {
        for (size_t i = 0; i < PARTS_LEN; i++) text[i] = rand_letter(k, i);
        CHECK(ctrec_step(w, 0, 1 + k % 5));
        CHECK(ctrec_begin_value(w, v_s));
        CHECK(ctrec_string(w, text, PARTS_LEN, t_str));
        CHECK(ctrec_end(w));
        if (at < sizeof parts_at / sizeof *parts_at && k + 1 == parts_at[at]) {
            char from[4200], to[4200];
            CHECK(ctrec_writer_flush(w));
            snprintf(from, sizeof from, "%s/trace.ct", dir);
            snprintf(to, sizeof to, "%s/published_%ld.ct", dir, parts_at[at]);
            if (copy_file(from, to)) failures++;
            at++;
        }
    }
    char path[4200];
    ctrec_reader *r = close_and_read(w, dir, path);
    if (!r) return 1;
    read_texts(r, path, PARTS_STEPS, PARTS_LEN);
    return failures ? 1 : 0;
}

/* followwin: ctrec's reader following a recording whose values.dat chunk
 * is over the reader's bound (4096 bytes) while its records (2000-byte
 * Strings) are under it, so the chunk is read through a window
 * (ct_stream.c auto_win). A child process records FW_FIRST steps, flushes
 * (the partial chunk is published), waits, records the rest and closes;
 * the chunk then grows at the same offset, and the reader must read it
 * again from where it was, not go on past its end: every step's value, in
 * order (until 2026-12-05 a chunk over the bound was refused; the first
 * version of the window did not read a grown chunk again). */
#define FW_FIRST 5
#define FW_STEPS 20
#define FW_LEN 2000u
static int followwin(const char *dir)
{
    if (mkdir(dir, 0755) && errno != EEXIST) return 2;
    char path[4200];
    snprintf(path, sizeof path, "%s/trace.ct", dir);
    unlink(path);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        ctrec_writer *w = open_ct(dir, 0);
        ctrec_id t_str, v_s;
        char text[FW_LEN];
        if (ctrec_start(w, "/m", 2, 1) || ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str) ||
            ctrec_variable_z(w, "s", &v_s))
            _exit(1);
        for (long k = 0; k < FW_STEPS; k++) {
            for (size_t i = 0; i < FW_LEN; i++) text[i] = rand_letter(k, i);
            if (ctrec_step(w, 0, 1 + k % 5) || ctrec_begin_value(w, v_s) ||
                ctrec_string(w, text, FW_LEN, t_str) || ctrec_end(w))
                _exit(1);
            if (k == FW_FIRST - 1) {
                if (ctrec_writer_flush(w)) _exit(1);
                usleep(500 * 1000);
            }
        }
        _exit(ctrec_writer_close(w) ? 1 : 0);
    }
    /* the reader, once the first steps are published */
    for (int i = 0; i < 200 && access(path, F_OK); i++) usleep(10 * 1000);
    usleep(100 * 1000);
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    o.follow = 1;
    o.poll_ms = 20;
    o.follow_timeout_ms = 2000; /* after the last step: the end */
    o.max_event_bytes = 4096;
    ctrec_reader *r;
    if (ctrec_reader_open(path, &o, &r) != CTREC_OK) {
        fprintf(stderr, "followwin: open: %s\n", ctrec_reader_errmsg(r));
        failures++;
    } else {
        const ctrec_ev *ev;
        ctrec_status st;
        long k = 0, steps = 0;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
            if (ev->type == CTREC_EV_STEP) steps++;
            if (ev->type != CTREC_EV_VALUE) continue;
            size_t bad = rand_text_diff(ev->value.value, k, FW_LEN);
            if (bad != FW_LEN || k + 1 != steps) {
                fprintf(stderr, "followwin: value %ld (at step %ld) differs (byte %zu)\n", k,
                        steps - 1, bad);
                failures++;
            }
            k++;
        }
        if (st != CTREC_OK || k != FW_STEPS || steps != FW_STEPS || !ctrec_reader_complete(r)) {
            fprintf(stderr, "followwin: %ld steps, %ld values of %d (complete %d): %s\n", steps,
                    k, FW_STEPS, ctrec_reader_complete(r), ctrec_reader_errmsg(r));
            failures++;
        }
        ctrec_reader_close(r);
    }
    int ws;
    waitpid(pid, &ws, 0);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws)) {
        fprintf(stderr, "followwin: the recording failed\n");
        failures++;
    }
    if (!failures) printf("followwin: %d steps followed through a window\n", FW_STEPS);
    return failures ? 1 : 0;
}

/* bigkids: calls whose children's keys take more than 64 KiB of their
 * calls.dat record (the writer's CT_BIG_TAIL), which the writer stores in
 * frames of raw blocks, generating the keys as it writes them. The
 * top-level call has BK_TOP leaf children and a call "mid" (key 1000):
 * mid first calls "inner" (key 1001, the same chunk), which calls
 * BK_INNER leaves, then calls BK_INNER leaves itself: two such calls in
 * one chunk, returned mid-recording in the reverse of key order; the
 * top-level call's chunk is written at close. A leaf takes its key as
 * argument and returns it (check_ct.py's bigkids_expected makes the same
 * calls); every step is at line 1 of /m. Here ctrec's reader checks the
 * calls' functions and each leaf's argument and returned value, in order. */
#define BK_TOP 30000
#define BK_INNER 25000
#define BK_MID 1000
typedef struct bk {
    ctrec_writer *w;
    ctrec_id t, v, leaf, mid, inner;
    uint64_t key;
} bk;

static void bk_leaves(bk *b, long n)
{
    ctrec_writer *w = b->w;
    for (long i = 0; i < n && !failures; i++) {
        uint64_t k = b->key++;
        CHECK(ctrec_step(w, 0, 1));
        CHECK(ctrec_begin_call(w, b->leaf));
        CHECK(ctrec_arg(w, b->v));
        CHECK(ctrec_int(w, (int64_t)k, b->t));
        CHECK(ctrec_end(w));
        CHECK(ctrec_begin_return(w));
        CHECK(ctrec_int(w, (int64_t)k, b->t));
        CHECK(ctrec_end(w));
    }
}

/* A .ct writer on dir started, with the leaves' type, variable and
 * function. */
static bk bk_open(const char *dir, int thread)
{
    bk b = {.w = open_ct(dir, thread), .key = 1};
    ctrec_writer *w = b.w;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &b.t));
    CHECK(ctrec_variable_z(w, "k", &b.v));
    CHECK(ctrec_function_z(w, "leaf", 0, 1, &b.leaf));
    return b;
}

static int bigkids_one(const char *dir, int thread)
{
    bk b = bk_open(dir, thread);
    ctrec_writer *w = b.w;
    CHECK(ctrec_function_z(w, "mid", 0, 1, &b.mid));
    CHECK(ctrec_function_z(w, "inner", 0, 1, &b.inner));
    bk_leaves(&b, BK_MID - 1);
    CHECK(ctrec_step(w, 0, 1));
    CHECK(ctrec_call(w, b.mid));
    CHECK(ctrec_call(w, b.inner));
    b.key += 2;
    bk_leaves(&b, BK_INNER);
    CHECK(ctrec_return_none(w, 0));
    bk_leaves(&b, BK_INNER);
    CHECK(ctrec_return_none(w, 0));
    bk_leaves(&b, BK_TOP - BK_MID);
    char path[4200];
    ctrec_reader *r = close_and_read(w, dir, path);
    if (!r) return 1;
    const ctrec_ev *ev;
    ctrec_status st;
    uint64_t key = 0; /* the next call's */
    long calls = 0, leaf_returns = 0, bad = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ev->type == CTREC_EV_CALL) {
            ctrec_id want = key == 0 ? 0 : key == BK_MID ? b.mid : key == BK_MID + 1 ? b.inner : b.leaf;
            int leaf = want == b.leaf && key;
            if ((key && ev->call.function_id != want) ||
                (leaf && (ev->call.nargs != 1 || ev->call.args[0].value->i != (int64_t)key)) ||
                (!leaf && key && ev->call.nargs != 0)) {
                if (bad++ < 5) fprintf(stderr, "%s: call %llu differs\n", path, (unsigned long long)key);
            }
            key++;
            calls++;
        } else if (ev->type == CTREC_EV_RETURN && ev->ret.return_value &&
                   ev->ret.return_value->kind == CTREC_VAL_INT) {
            leaf_returns++;
        }
    }
    long want_calls = 1 + BK_TOP + 2 * BK_INNER + 1;
    if (st != CTREC_OK || calls != want_calls || leaf_returns != BK_TOP - 1 + 2 * BK_INNER || bad) {
        fprintf(stderr, "%s: %ld calls (%ld), %ld leaf returns, %ld differing: %s\n", path, calls,
                want_calls, leaf_returns, bad, ctrec_reader_errmsg(r));
        failures++;
    }
    ctrec_reader_close(r);
    return failures ? 1 : 0;
}
/* The top-level call with BK_WIDE children (calls without arguments), so
 * that its chunk's content passes the 1 MiB window: its frame then has a
 * window descriptor, where a smaller one is single-segment (check_ct.py
 * reads the frame and the call's record); here ctrec's reader counts the
 * calls. */
#define BK_WIDE 400000L
/* A .ct writer (with the thread) whose top-level call has made n calls
 * without arguments, each returned. */
static ctrec_writer *bk_flat(const char *dir, long n)
{
    ctrec_writer *w = open_ct(dir, 1);
    ctrec_id f;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_function_z(w, "leaf", 0, 1, &f));
    for (long i = 0; i < n && !failures; i++) {
        CHECK(ctrec_call(w, f));
        CHECK(ctrec_return_none(w, 0));
    }
    return w;
}

static int bigkids_wide(const char *dir)
{
    ctrec_writer *w = bk_flat(dir, BK_WIDE);
    char path[4200];
    ctrec_reader *r = close_and_read(w, dir, path);
    if (!r) return 1;
    const ctrec_ev *ev;
    ctrec_status st;
    long calls = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) calls += ev->type == CTREC_EV_CALL;
    if (st != CTREC_OK || calls != 1 + BK_WIDE) {
        fprintf(stderr, "%s: %ld calls of %ld: %s\n", path, calls, 1 + BK_WIDE,
                ctrec_reader_errmsg(r));
        failures++;
    }
    ctrec_reader_close(r);
    return failures ? 1 : 0;
}

/* The top-level call with BK_TOP leaf children, killed after a flush
 * (kill_and_repair): ctrec_ct_repair keeps its children's keys apart as
 * the writer does (check_ct.py reads DIR/repaired.ct). */
static void bigkids_kill_record(const char *dir)
{
    bk b = bk_open(dir, 1);
    ctrec_writer *w = b.w;
    bk_leaves(&b, BK_TOP);
    CHECK(ctrec_step(w, 0, 1));
    CHECK(ctrec_writer_flush(w));
}

static int kill_and_repair(const char *dir, void (*record)(const char *dir),
                           ctrec_ct_repair_result *res);

/* BK_RSS top-level calls (no arguments), killed after a flush, then
 * repaired in a child of its own whose peak RSS (wait4) must stay under
 * BK_RSS_KB: the top-level call's children kept as deltas (1-3 bytes
 * each), not gathered for the first window of keys as well (16 bytes
 * each): about 6 MB, 38 MB when repair still looked for the open call's
 * exit. Not checked under AddressSanitizer (RSS_CHECKED). */
#define BK_RSS 2000000L
#define BK_RSS_KB (20 * 1024L)
static void bigkids_rss_record(const char *dir)
{
    ctrec_writer *w = bk_flat(dir, BK_RSS);
    CHECK(ctrec_step(w, 0, 1));
    CHECK(ctrec_writer_flush(w));
}

/* Runs record(dir) in a child that then _exits without closing (a kill
 * after its last flush): 0, or 1 with a message. */
static int record_killed(const char *dir, void (*record)(const char *dir))
{
    mkdir(dir, 0755);
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        record(dir);
        fflush(stderr);
        _exit(failures ? 1 : 0); /* killed: no close */
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "%s: the recording failed\n", dir);
        return 1;
    }
    return 0;
}

static int bigkids_rss(const char *dir)
{
    char path[4300], out[4300];
    snprintf(path, sizeof path, "%s/trace.ct", dir);
    snprintf(out, sizeof out, "%s/repaired.ct", dir);
    if (record_killed(dir, bigkids_rss_record)) return 1;
    int status;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        ctrec_ct_repair_result res;
        ctrec_status st = ctrec_ct_repair(path, out, &res);
        if (st != CTREC_OK || !res.needed || res.calls != 1 + BK_RSS) {
            fprintf(stderr, "%s: repair: %s (%llu calls)\n", dir, res.message,
                    (unsigned long long)res.calls);
            _exit(1);
        }
        _exit(0);
    }
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "%s: the repair failed\n", dir);
        return 1;
    }
    if (RSS_CHECKED && ru.ru_maxrss > BK_RSS_KB) {
        fprintf(stderr, "%s: the repair's peak RSS %ld KB, over %ld KB\n", dir, ru.ru_maxrss,
                BK_RSS_KB);
        return 1;
    }
    return 0;
}

static int bigkids(const char *dir)
{
    char sub[4200];
    if (mkdir(dir, 0755) && errno != EEXIST) return 2;
    snprintf(sub, sizeof sub, "%s/inplace", dir);
    int rc = bigkids_one(sub, 0);
    snprintf(sub, sizeof sub, "%s/thread", dir);
    rc |= bigkids_one(sub, 1);
    snprintf(sub, sizeof sub, "%s/wide", dir);
    rc |= bigkids_wide(sub);
    ctrec_ct_repair_result res;
    snprintf(sub, sizeof sub, "%s/kill", dir);
    if (kill_and_repair(sub, bigkids_kill_record, &res)) rc = 1;
    snprintf(sub, sizeof sub, "%s/rss", dir);
    return bigkids_rss(sub) | rc;
}

/* n steps and no value: every values record is empty (one 0 byte), so
 * each values chunk is a run of one byte, which the writer writes as a
 * hand-built zstd frame of one RLE block (check_ct.py runs). */
static int runs(const char *dir, long n)
{
    ctrec_writer *w = open_ct(dir, 0);
    CHECK(ctrec_start(w, "/m", 2, 1));
    for (long i = 0; i < n && !failures; i++) CHECK(ctrec_step(w, 0, 1 + i % 7));
    ctrec_status st = ctrec_writer_close(w);
    if (st) failures++;
    return failures ? 1 : 0;
}

static int fsize(const char *dir)
{
    signal(SIGXFSZ, SIG_IGN);
    ctrec_writer *w = open_ct(dir, 1);
    struct rlimit rl = {256 * 1024, 256 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &rl)) return 2;
    ctrec_id t_str;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str));
    char text[200];
    ctrec_status first = CTREC_OK;
    long i;
    for (i = 0; i < 10000000 && first == CTREC_OK; i++) {
        /* incompressible-ish text, so that the limit is reached */
        for (int k = 0; k < 200; k++) text[k] = (char)('a' + (unsigned)(i * 7919 + k * 104729) % 26);
        ctrec_status st = ctrec_step(w, 0, 1 + i % 50);
        if (!st) st = ctrec_begin_value_named(w, "t", 1);
        if (!st) st = ctrec_string(w, text, sizeof text, t_str);
        if (!st) st = ctrec_end(w);
        if (!st && i % 1500 == 1499) st = ctrec_writer_flush(w); /* after the first values chunk */
        first = st;
    }
    if (first != CTREC_E_IO || !strstr(ctrec_writer_errmsg(w), "File too large")) {
        fprintf(stderr, "first failure: %s \"%s\"\n", ctrec_status_name(first),
                ctrec_writer_errmsg(w));
        failures++;
    }
    for (int k = 0; k < 100; k++) {
        ctrec_status st = ctrec_step(w, 0, 1);
        if (st != CTREC_E_FAILED) {
            fprintf(stderr, "after the failure: %s\n", ctrec_status_name(st));
            failures++;
            break;
        }
    }
    ctrec_status st = ctrec_writer_close(w);
    if (st != CTREC_E_IO) {
        fprintf(stderr, "close after the failure: %s\n", ctrec_status_name(st));
        failures++;
    }
    printf("steps_before_failure=%ld\n", i - 1);
    return failures ? 1 : 0;
}

/* bigscratch: the argument of call k is rand_text(k, big_len[k]). */
static const size_t big_len[3] = {1024, 300 * 1024, 2500 * 1024};

/* repairtree: the tree check_ct.py's repair_tree_expected makes too. A
 * call (key k, at depth d) is entered at a step of line 2 with its key as
 * argument, has 1 + k % 3 children while d < 5, then a step of line 6,
 * and returns k when k % 7 == 0 (no value otherwise). */
typedef struct rtree {
    ctrec_writer *w;
    ctrec_id p, f, v, t;
    uint64_t key;
} rtree;

static void rtree_enter(rtree *rt, uint64_t key)
{
    ctrec_writer *w = rt->w;
    CHECK(ctrec_step(w, rt->p, 2));
    CHECK(ctrec_begin_call(w, rt->f));
    CHECK(ctrec_arg(w, rt->v));
    CHECK(ctrec_int(w, (int64_t)key, rt->t));
    CHECK(ctrec_end(w));
}

static void rtree_node(rtree *rt, int depth)
{
    ctrec_writer *w = rt->w;
    uint64_t key = rt->key++;
    rtree_enter(rt, key);
    int n = depth < 5 ? 1 + (int)(key % 3) : 0;
    for (int i = 0; i < n; i++) rtree_node(rt, depth + 1);
    CHECK(ctrec_step(w, rt->p, 6));
    if (key % 7 == 0) {
        CHECK(ctrec_begin_return(w));
        CHECK(ctrec_int(w, (int64_t)key, rt->t));
        CHECK(ctrec_end(w));
    } else {
        CHECK(ctrec_return_none(w, 0));
    }
}

/* Runs record(dir) in a child that then _exits without closing (a kill
 * after its last flush), then ctrec_ct_repair of DIR/trace.ct into
 * DIR/repaired.ct: 0, or 1 with a message. */
static int kill_and_repair(const char *dir, void (*record)(const char *dir),
                           ctrec_ct_repair_result *res)
{
    char path[4200], out[4200];
    snprintf(path, sizeof path, "%s/trace.ct", dir);
    snprintf(out, sizeof out, "%s/repaired.ct", dir);
    if (record_killed(dir, record)) return 1;
    if (ctrec_ct_repair(path, out, res) != CTREC_OK || !res->needed) {
        fprintf(stderr, "repair: %s\n", res->message);
        return 1;
    }
    return 0;
}

static void repairtree_record(const char *dir)
{
    rtree rt = {open_ct(dir, 1), 0, 0, 0, 0, 1};
    ctrec_writer *w = rt.w;
    CHECK(ctrec_start(w, "/m", 1, 1));
    CHECK(ctrec_path_z(w, "/m", &rt.p));
    CHECK(ctrec_function_z(w, "f", rt.p, 5, &rt.f));
    CHECK(ctrec_variable_z(w, "k", &rt.v));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &rt.t));
    while (rt.key < 20000) rtree_node(&rt, 1);
    for (int i = 0; i < 3; i++) rtree_enter(&rt, rt.key++);
    CHECK(ctrec_step(w, rt.p, 7));
    CHECK(ctrec_writer_flush(w));
}

static int repairtree(const char *dir)
{
    ctrec_ct_repair_result res;
    if (kill_and_repair(dir, repairtree_record, &res)) return 1;
    printf("%llu calls, %llu open\n", (unsigned long long)res.calls,
           (unsigned long long)res.open_calls);
    return failures ? 1 : 0;
}

static void bigscratch_record(const char *dir)
{
    ctrec_writer *w = open_ct(dir, 1);
    ctrec_id p, f, v, t;
    CHECK(ctrec_start(w, "/m", 1, 1));
    CHECK(ctrec_path_z(w, "/m", &p));
    CHECK(ctrec_function_z(w, "f", p, 5, &f));
    CHECK(ctrec_variable_z(w, "s", &v));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t));
    char *text = malloc(big_len[2]);
    if (!text) _exit(2);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < big_len[k]; i++) text[i] = rand_letter(k, i);
        CHECK(ctrec_step(w, p, 2));
        CHECK(ctrec_begin_call(w, f));
        CHECK(ctrec_arg(w, v));
        CHECK(ctrec_string(w, text, big_len[k], t));
        CHECK(ctrec_end(w));
        CHECK(ctrec_step(w, p, 6));
        if (k < 2) CHECK(ctrec_return_none(w, 0));
    }
    CHECK(ctrec_step(w, p, 7));
    CHECK(ctrec_writer_flush(w));
}

static int bigscratch(const char *dir)
{
    char out[4200];
    snprintf(out, sizeof out, "%s/repaired.ct", dir);
    ctrec_ct_repair_result res;
    if (kill_and_repair(dir, bigscratch_record, &res)) return 1;
    if (res.calls != 4 || res.open_calls != 2) { /* the top-level call and f's third */
        fprintf(stderr, "repair: %llu calls, %llu open\n", (unsigned long long)res.calls,
                (unsigned long long)res.open_calls);
        failures++;
    }
    /* the default event limit (64 MiB): every argument */
    ctrec_reader *r;
    if (ctrec_reader_open(out, NULL, &r) != CTREC_OK) {
        fprintf(stderr, "read %s: %s\n", out, ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return 1;
    }
    const ctrec_ev *ev;
    int calls = 0;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ev->type != CTREC_EV_CALL || ev->call.function_id == 0) continue;
        int k = calls++;
        const ctrec_value *a = ev->call.nargs == 1 ? ev->call.args[0].value : NULL;
        size_t bad = k < 3 ? rand_text_diff(a, k, big_len[k]) : 0;
        if (k < 3 && bad == big_len[k]) continue;
        fprintf(stderr, "call %d: its argument is not the one recorded (byte %zu)\n", k, bad);
        failures++;
    }
    if (st != CTREC_OK || calls != 3) {
        fprintf(stderr, "read %d calls of f: %s\n", calls, ctrec_reader_errmsg(r));
        failures++;
    }
    ctrec_reader_close(r);
    return failures ? 1 : 0;
}

static int columns(const char *dir)
{
    char src[4096], file[4200];
    snprintf(src, sizeof src, "%s/src", dir);
    snprintf(file, sizeof file, "%s/a.lua", src);
    if (mkdir(dir, 0755) && errno != EEXIST) return 2;
    if (mkdir(src, 0755) && errno != EEXIST) return 2;
    FILE *f = fopen(file, "w");
    if (!f) return 2;
    fputs("local x=1\n\nx()\nfoo()", f); /* lengths 10, 1, 4, 6 with the newline */
    fclose(f);
    char trace[4200];
    snprintf(trace, sizeof trace, "%s/trace", dir);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.workdir = src;
    o.copy_sources = 0;
    o.columns = 1;
    ctrec_writer *w;
    if (ctrec_writer_open(trace, &o, &w) != CTREC_OK) {
        fprintf(stderr, "open: %s\n", ctrec_writer_errmsg(w));
        return 1;
    }
    ctrec_id p_a, p_gone, t_int, v_x;
    CHECK(ctrec_start_z(w, "a.lua", 1)); /* relative to the workdir */
    CHECK(ctrec_path_z(w, "/no/such/file.lua", &p_gone));
    CHECK(ctrec_path_z(w, file, &p_a)); /* the same source, absolute: path 2 */
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t_int));
    CHECK(ctrec_variable_z(w, "x", &v_x));
    CHECK(ctrec_step_column(w, 0, 1, 7));  /* 1: x=1 */
    CHECK(ctrec_begin_value(w, v_x));
    CHECK(ctrec_int(w, 1, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_step_column(w, 0, 1, 1));  /* 2: same line, column back */
    CHECK(ctrec_step_column(w, 0, 1, 10)); /* 3: the newline's column */
    CHECK(ctrec_step(w, 0, 3));            /* 4: column 1 */
    CHECK(ctrec_step_column(w, 0, 3, 2));  /* 5 */
    CHECK(ctrec_step_column(w, 0, 2, 1));  /* 6: the empty line */
    CHECK(ctrec_step_column(w, 0, 4, 6));  /* 7: after foo() at the end */
    CHECK(ctrec_step_column(w, 2, 4, 3));  /* 8: the second path's range */
    REFUSED(ctrec_step_column(w, 0, 1, 11), CTREC_E_UNSUPPORTED,
            "column 11 is past the end of line 1 of path 0 (10 columns with its newline)");
    REFUSED(ctrec_step_column(w, 0, 5, 1), CTREC_E_UNSUPPORTED,
            "line 5 is outside path 0's source (4 lines), which a column-aware .ct addresses "
            "by line lengths");
    REFUSED(ctrec_step(w, 0, 0), CTREC_E_UNSUPPORTED,
            "line 0 is outside path 0's source (4 lines), which a column-aware .ct addresses "
            "by line lengths");
    static const char no_table[] =
        "path 1 has no line-length table (its source file could not be read when the path was "
        "defined): a column-aware .ct has no position there";
    REFUSED(ctrec_step_column(w, 1, 3, 2), CTREC_E_UNSUPPORTED, no_table);
    REFUSED(ctrec_step(w, 1, 3), CTREC_E_UNSUPPORTED, no_table);
    /* still usable: a value lands on step 8 */
    CHECK(ctrec_begin_value(w, v_x));
    CHECK(ctrec_int(w, 9, t_int));
    CHECK(ctrec_end(w));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    return failures ? 1 : 0;
}

static int exceptions(const char *dir)
{
    char jdir[4200];
    snprintf(jdir, sizeof jdir, "%s-json", dir);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_JSON;
    ctrec_writer *w;
    if (ctrec_writer_open(jdir, &o, &w) != CTREC_OK) return 1;
    CHECK(ctrec_start_z(w, "/src/a.py", 1));
    ctrec_id terr;
    CHECK(ctrec_type_z(w, CTREC_TYPE_ERROR, "ValueError", &terr));
    REFUSED(ctrec_raise(w, terr, "bad", 3), CTREC_E_UNSUPPORTED,
            "ctrec_raise: trace.json and trace.bin have no place for an exception record (a "
            ".ct has: CTREC_FORMAT_CT)");
    REFUSED(ctrec_return_exception(w, terr, "bad", 3), CTREC_E_UNSUPPORTED,
            "ctrec_begin_return_exception: trace.json and trace.bin have no place for a call's "
            "exception (a .ct has: CTREC_FORMAT_CT)");
    REFUSED(ctrec_begin_return_exception(w), CTREC_E_UNSUPPORTED,
            "ctrec_begin_return_exception: trace.json and trace.bin have no place for a call's "
            "exception (a .ct has: CTREC_FORMAT_CT)");
    CHECK(ctrec_step(w, 0, 2));
    CHECK(ctrec_return_none(w, 0)); /* the top-level call, still open */
    CHECK(ctrec_writer_close(w));
    {
        /* json holds only what was accepted: the refusals wrote nothing */
        char jf[4300], got[512];
        snprintf(jf, sizeof jf, "%s/trace.json", jdir);
        FILE *f = fopen(jf, "r");
        size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
        if (f) fclose(f);
        got[n] = 0;
        static const char want_json[] =
            "[\n{\"Path\":\"/src/a.py\"},\n"
            "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}},\n"
            "{\"Call\":{\"function_id\":0,\"args\":[]}},\n"
            "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":"
            "\"None\"}}},\n"
            "{\"Type\":{\"kind\":24,\"lang_type\":\"ValueError\",\"specific_info\":{"
            "\"kind\":\"None\"}}},\n"
            "{\"Step\":{\"path_id\":0,\"line\":2}},\n"
            "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}\n]\n";
        if (strcmp(got, want_json) != 0) {
            fprintf(stderr, "trace.json:\n%s\nwant:\n%s\n", got, want_json);
            failures++;
        }
    }

    w = open_ct(dir, 1);
    ctrec_id x, f;
    CHECK(ctrec_start_z(w, "/src/a.py", 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_ERROR, "ValueError", &terr));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "int", NULL));
    CHECK(ctrec_variable_z(w, "x", &x));
    CHECK(ctrec_function_z(w, "f", 0, 5, &f));
    REFUSED(ctrec_raise(w, 9, "bad", 3), CTREC_E_UNDEFINED, "type id 9 is not defined (3 defined)");
    CHECK(ctrec_step(w, 0, 2));
    CHECK(ctrec_begin_value(w, x));
    CHECK(ctrec_int(w, 1, 2));
    CHECK(ctrec_end(w));
    CHECK(ctrec_call(w, f));
    CHECK(ctrec_step(w, 0, 6));
    CHECK(ctrec_raise(w, terr, "bad \xff value", 11));
    CHECK(ctrec_begin_value(w, x));
    CHECK(ctrec_int(w, 2, 2));
    CHECK(ctrec_end(w));
    /* f exits by the exception: a Return with it, as a converter writes it */
    ctrec_value none = {0}, exc = {0};
    none.kind = CTREC_VAL_NONE;
    exc.kind = CTREC_VAL_ERROR;
    exc.type_id = terr;
    exc.text = (ctrec_str){"bad", 3};
    ctrec_ev ret;
    memset(&ret, 0, sizeof ret);
    ret.type = CTREC_EV_RETURN;
    ret.ret.return_value = &none;
    ret.ret.exception = &exc;
    CHECK(ctrec_write_event(w, &ret));
    CHECK(ctrec_catch(w, terr));
    CHECK(ctrec_step(w, 0, 3));
    /* the same through the API: an Error, then any value */
    CHECK(ctrec_call(w, f));
    CHECK(ctrec_return_exception(w, terr, "worse \xff", 7));
    CHECK(ctrec_call(w, f));
    CHECK(ctrec_begin_return_exception(w));
    REFUSED(ctrec_end(w), CTREC_E_VALUE, "the event has no value");
    CHECK(ctrec_begin_return_exception(w));
    CHECK(ctrec_int(w, 42, 2));
    CHECK(ctrec_end(w));
    REFUSED(ctrec_return_exception(w, 9, "x", 1), CTREC_E_UNDEFINED,
            "type id 9 is not defined (3 defined)");
    CHECK(ctrec_return_none(w, 0)); /* the top-level call: none is open after */
    REFUSED(ctrec_return_exception(w, terr, "x", 1), CTREC_E_STATE,
            "ctrec_begin_return_exception: a Return with no open call (every Call has had its "
            "Return, the top-level one included; the debugger refuses such a trace)");
    CHECK(ctrec_writer_close(w));
    if (failures) return 1;

    static const char *const want[] = {
        "{\"Step\":{\"path_id\":0,\"line\":2}}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":2}}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}", /* ctrec_start's, entered at step 0 */
        "{\"Step\":{\"path_id\":0,\"line\":5}}",
        "{\"Call\":{\"function_id\":1,\"args\":[]}}",
        "{\"Step\":{\"path_id\":0,\"line\":6}}",
        "{\"Raise\":{\"type_id\":1,\"message\":\"bad \xef\xbf\xbd value\"}}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":2}}}",
        ("{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0},\"exception\":{"
         "\"kind\":\"Error\",\"msg\":\"bad\",\"type_id\":1}}}"),
        "{\"Catch\":{\"type_id\":1}}",
        "{\"Step\":{\"path_id\":0,\"line\":3}}",
        "{\"Step\":{\"path_id\":0,\"line\":5}}",
        "{\"Call\":{\"function_id\":1,\"args\":[]}}",
        ("{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0},\"exception\":{"
         "\"kind\":\"Error\",\"msg\":\"worse \xef\xbf\xbd\",\"type_id\":1}}}"),
        "{\"Step\":{\"path_id\":0,\"line\":5}}",
        "{\"Call\":{\"function_id\":1,\"args\":[]}}",
        ("{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0},\"exception\":{"
         "\"kind\":\"Int\",\"i\":42,\"type_id\":2}}}"),
        "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}", /* top-level */
    };
    read_back(dir, want, sizeof want / sizeof *want);
    return failures ? 1 : 0;
}

/* Two thread handles used from one OS thread (a fixed interleaving): the
 * same script into trace.json (DIR-json) and a .ct (DIR); check_ct.py
 * compares what ctrec print, ctrec check and ct_decode.py read from both. */
static int threads_into(const char *dir, ctrec_format format)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = format;
    o.copy_sources = 0;
    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "open %s: %s\n", dir, ctrec_writer_errmsg(w));
        return 1;
    }
    ctrec_id t_int, f_work, f_leaf, v_i;
    ctrec_thread_handle *h0 = NULL, *h1 = NULL;
    CHECK(ctrec_start_z(w, "/src/t.py", 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t_int));
    CHECK(ctrec_function_z(w, "work", 0, 10, &f_work));
    CHECK(ctrec_function_z(w, "leaf", 0, 20, &f_leaf));
    CHECK(ctrec_variable_z(w, "i", &v_i));
    CHECK(ctrec_step(w, 0, 2));
    CHECK(ctrec_thread_open(w, 7, &h0)); /* ThreadStart 7: the thread so far */
    CHECK(ctrec_thread_enter(h0));
    CHECK(ctrec_thread_open(w, 8, &h1)); /* ThreadStart 8 */
    CHECK(ctrec_step(w, 0, 3));
    CHECK(ctrec_begin_value(w, v_i));
    CHECK(ctrec_int(w, 1, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_thread_leave(h0));
    /* thread 8: its entry function, a value, then it is switched away
     * from with its call open */
    CHECK(ctrec_thread_enter(h1)); /* ThreadSwitch 8 */
    REFUSED(ctrec_begin_value(w, v_i), CTREC_E_STATE,
            "ctrec_begin_value: this thread has no Step since the trace switched to it (the "
            "event would attach to another thread's step): record a Step first");
    /* thread 7's calls are open, not this thread's */
    REFUSED(ctrec_return_none(w, 0), CTREC_E_STATE,
            "ctrec_return_none: a Return with no open call (every Call has had its Return, the "
            "top-level one included; the debugger refuses such a trace)");
    CHECK(ctrec_begin_call(w, f_work)); /* Step 10, Call work(i=8) */
    CHECK(ctrec_arg(w, v_i));
    CHECK(ctrec_int(w, 8, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_begin_value(w, v_i));
    CHECK(ctrec_int(w, 10, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_thread_leave(h1));
    /* thread 7 calls leaf while thread 8's work is open */
    CHECK(ctrec_thread_enter(h0)); /* ThreadSwitch 7 */
    CHECK(ctrec_call(w, f_leaf));  /* Step 20, Call leaf */
    CHECK(ctrec_begin_value(w, v_i));
    CHECK(ctrec_int(w, 20, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_thread_leave(h0));
    /* thread 8 returns from work while thread 7's leaf is open */
    CHECK(ctrec_thread_enter(h1)); /* ThreadSwitch 8 */
    CHECK(ctrec_step(w, 0, 11));
    CHECK(ctrec_begin_return(w));
    CHECK(ctrec_int(w, 5, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_thread_close(h1)); /* ThreadExit 8, entered: gives the writer back */
    CHECK(ctrec_thread_enter(h0)); /* ThreadSwitch 7 */
    CHECK(ctrec_step(w, 0, 21));
    CHECK(ctrec_return_none(w, 0));
    CHECK(ctrec_step(w, 0, 4));
    CHECK(ctrec_thread_leave(h0));
    CHECK(ctrec_thread_close(h0)); /* ThreadExit 7 */
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    return failures ? 1 : 0;
}

static int threads(const char *dir)
{
    char jdir[4200];
    snprintf(jdir, sizeof jdir, "%s-json", dir);
    return threads_into(jdir, CTREC_FORMAT_JSON) || threads_into(dir, CTREC_FORMAT_CT);
}

/* Calls but no step (every step refused): close writes one Step for them,
 * at the first call's function definition, else line 0 of its path
 * (column-aware: line 1, column 1); only in a column-aware trace without a
 * line table are they left out, close saying so. I/O events with no step
 * get the same Step; one that no step could take is refused. Each file is
 * read back whole. */
static int nostep(const char *dir)
{
    char d[4200];
    static const char *const ret_none =
        "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}";
    /* 1: ctrec-lua's case: the first line past 99999 */
    snprintf(d, sizeof d, "%s/first", dir);
    ctrec_writer *w = open_ct(d, 1);
    CHECK(ctrec_start_z(w, "/src/big.lua", 1));
    REFUSED(ctrec_step(w, 0, 100000), CTREC_E_UNSUPPORTED,
            "a .ct step's line must be 0..99999 (path_id * 100000 + line), not 100000");
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    const char *const want1[] = {"{\"Step\":{\"path_id\":0,\"line\":1}}",
                                 "{\"Call\":{\"function_id\":0,\"args\":[]}}", ret_none};
    read_back(d, want1, 3);
    /* 2: the top-level call's own line past 99999, a call returned with
     * no step of its own (function 0 writes none) */
    snprintf(d, sizeof d, "%s/far", dir);
    w = open_ct(d, 0);
    CHECK(ctrec_start_z(w, "/src/big.lua", 123456));
    CHECK(ctrec_call(w, 0));
    CHECK(ctrec_return_none(w, 0));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    const char *const want2[] = {"{\"Step\":{\"path_id\":0,\"line\":0}}",
                                 "{\"Call\":{\"function_id\":0,\"args\":[]}}",
                                 "{\"Call\":{\"function_id\":0,\"args\":[]}}", ret_none, ret_none};
    read_back(d, want2, 5);
    /* 3: column-aware, the top-level line outside the source's 2 lines */
    char src[4200];
    snprintf(d, sizeof d, "%s/columns", dir);
    snprintf(src, sizeof src, "%s/columns.lua", dir);
    FILE *f = fopen(src, "w");
    if (!f) return 2;
    fputs("a()\nb()\n", f);
    fclose(f);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.copy_sources = 0;
    o.columns = 1;
    if (ctrec_writer_open(d, &o, &w) != CTREC_OK) return 1;
    CHECK(ctrec_start_z(w, src, 7));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    const char *const want3[] = {"{\"Step\":{\"path_id\":0,\"line\":1,\"column\":1}}",
                                 "{\"Call\":{\"function_id\":0,\"args\":[]}}", ret_none};
    read_back(d, want3, 3);
    /* 4: column-aware with no readable source: no step has a place; the
     * calls are left out and close says so (the file reads, empty) */
    snprintf(d, sizeof d, "%s/notable", dir);
    if (ctrec_writer_open(d, &o, &w) != CTREC_OK) return 1;
    CHECK(ctrec_start_z(w, "/no/such/file.lua", 1));
    ctrec_status st = ctrec_writer_close(w); /* frees w: the status only */
    if (st != CTREC_E_UNSUPPORTED) {
        fprintf(stderr, "notable: close gave %s, want CTREC_E_UNSUPPORTED\n",
                ctrec_status_name(st));
        failures++;
    }
    read_back(d, NULL, 0);
    /* 5: I/O events and no step at all (no call either): close writes the
     * Step at line 0 of path 0 and both events read back at it */
    snprintf(d, sizeof d, "%s/events", dir);
    w = open_ct(d, 0);
    CHECK(ctrec_path_z(w, "/src/io.lua", NULL));
    CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "stdout", 6, "early\n", 6));
    CHECK(ctrec_event(w, CTREC_EVENT_ERROR, "", 0, "late", 4));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    const char *const want5[] = {
        "{\"Step\":{\"path_id\":0,\"line\":0}}",
        "{\"Event\":{\"kind\":0,\"metadata\":\"stdout\",\"content\":\"early\\n\"}}",
        "{\"Event\":{\"kind\":11,\"metadata\":\"\",\"content\":\"late\"}}"};
    read_back(d, want5, 3);
    /* 6: an event before any path: no step could take it, refused; the
     * writer goes on, the file reads (what fuzz_writer found: the event
     * was written at a step 0 that never came and the reader refused the
     * file) */
    snprintf(d, sizeof d, "%s/noplace", dir);
    w = open_ct(d, 0);
    REFUSED(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "x", 1), CTREC_E_STATE,
            "a .ct places an I/O event at a step: before the first step, at step 0, which "
            "needs a path defined first");
    CHECK(ctrec_path_z(w, "/src/io.lua", NULL));
    CHECK(ctrec_step(w, 0, 3));
    CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "y", 1));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    const char *const want6[] = {
        "{\"Step\":{\"path_id\":0,\"line\":3}}",
        "{\"Event\":{\"kind\":0,\"metadata\":\"\",\"content\":\"y\"}}"};
    read_back(d, want6, 2);
    /* 7: column-aware, the source not readable: refused likewise */
    snprintf(d, sizeof d, "%s/notable-io", dir);
    if (ctrec_writer_open(d, &o, &w) != CTREC_OK) return 1;
    CHECK(ctrec_path_z(w, "/no/such/file.lua", NULL));
    REFUSED(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "x", 1), CTREC_E_STATE,
            "a .ct places an I/O event at a step: before the first step, at step 0, which "
            "needs a path defined first whose source could be read (column-aware)");
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    read_back(d, NULL, 0);
    return failures ? 1 : 0;
}

/* A BigInt with no magnitude byte (zero), positive and negative, as a
 * step's value and as a call's return value: the .ct keeps it as empty
 * CBOR bytes, which the reader gives as an empty base64 text (found by
 * fuzz_writer: the reader's base64 of no bytes offset a NULL pointer,
 * UBSan's "applying zero offset to null pointer"). */
static int emptybig(const char *dir)
{
    ctrec_writer *w = open_ct(dir, 0);
    ctrec_id t_big, v;
    CHECK(ctrec_start_z(w, "/src/big.py", 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "BigInt", &t_big));
    CHECK(ctrec_variable_z(w, "n", &v));
    CHECK(ctrec_step(w, 0, 2));
    CHECK(ctrec_begin_value(w, v));
    CHECK(ctrec_bigint(w, NULL, 0, 0, t_big));
    CHECK(ctrec_end(w));
    CHECK(ctrec_begin_return(w));
    CHECK(ctrec_bigint(w, NULL, 0, 1, t_big));
    CHECK(ctrec_end(w));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    /* (the top-level call enters at the first step: docs/ct.md's order) */
    const char *const want[] = {
        "{\"Step\":{\"path_id\":0,\"line\":2}}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"BigInt\",\"b\":\"\","
        "\"negative\":false,\"type_id\":1}}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Return\":{\"return_value\":{\"kind\":\"BigInt\",\"b\":\"\",\"negative\":true,"
        "\"type_id\":1}}}"};
    read_back(dir, want, 4);
    return failures ? 1 : 0;
}

/* A line-only .ct whose only path's bytes read whole as a column-aware
 * path record (length 2, "ab", no line): the readers would take the trace
 * for column-aware and its steps for positions outside every path; close
 * adds an empty path, and the Step reads back as its line (found by
 * fuzz_writer: "position 0 is outside every path's range"). */
static int ambigpath(const char *dir)
{
    ctrec_writer *w = open_ct(dir, 0);
    CHECK(ctrec_path(w, "\x02" "ab\x00", 4, NULL));
    CHECK(ctrec_step(w, 0, 3));
    CHECK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "x", 1));
    if (ctrec_writer_close(w) != CTREC_OK) failures++;
    const char *const want[] = {
        "{\"Step\":{\"path_id\":0,\"line\":3}}",
        "{\"Event\":{\"kind\":0,\"metadata\":\"\",\"content\":\"x\"}}"};
    read_back(dir, want, 2);
    return failures ? 1 : 0;
}

/* A .ct writer for `program` with max_event_bytes and flush_interval_ms
 * set (no sources copied); NULL, with the reason on stderr, if it does not
 * open. */
static ctrec_writer *open_limited(const char *dir, const char *program, size_t max_event_bytes,
                                  unsigned flush_ms)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = CTREC_FORMAT_CT;
    o.program = program;
    o.copy_sources = 0;
    o.max_event_bytes = max_event_bytes;
    o.flush_interval_ms = flush_ms;
    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "open: %s\n", ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return NULL;
    }
    return w;
}

/* Values encoded in place in the values chunk (issue 12 speed): a step with
 * 130 values (a record head over 3 bytes), a value over 127 bytes (a
 * length over one byte), a type defined while a value is open, values
 * refused midway (a misuse, max_event_bytes) dropped without a trace, a
 * flush between values. check_ct.py inplace checks what ct_decode reads. */
static int inplace(const char *dir)
{
    ctrec_writer *w = open_limited(dir, "inplace", 1000, 50);
    if (!w) return 1;
    ctrec_id t_int, t_str, t_seq, t_late, v[130], v_s, v_t, v_u;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t_int));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str));
    CHECK(ctrec_type_z(w, CTREC_TYPE_SEQ, "List", &t_seq));
    for (int k = 0; k < 130; k++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", k);
        CHECK(ctrec_variable_z(w, name, &v[k]));
    }
    CHECK(ctrec_variable_z(w, "s", &v_s));
    CHECK(ctrec_variable_z(w, "t", &v_t));
    CHECK(ctrec_variable_z(w, "u", &v_u));

    CHECK(ctrec_step(w, 0, 1));
    for (int k = 0; k < 130; k++) {
        CHECK(ctrec_begin_value(w, v[k]));
        CHECK(ctrec_int(w, k * 1000, t_int));
        CHECK(ctrec_end(w));
    }
    CHECK(ctrec_step(w, 0, 2));
    char text[600];
    memset(text, 'x', sizeof text);
    CHECK(ctrec_begin_value(w, v_s));
    CHECK(ctrec_string(w, text, 200, t_str));
    CHECK(ctrec_end(w));
    CHECK(ctrec_begin_value(w, v_t));
    CHECK(ctrec_begin_sequence(w, 0, t_seq));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Late", &t_late)); /* defined inside the value */
    CHECK(ctrec_int(w, 5, t_late));
    CHECK(ctrec_end_sequence(w));
    CHECK(ctrec_end(w));
    /* a misuse inside a value drops it; ctrec_end reports it */
    CHECK(ctrec_begin_value(w, v_u));
    REFUSED(ctrec_int(w, 1, 99), CTREC_E_UNDEFINED, "type id 99 is not defined (5 defined)");
    REFUSED(ctrec_end(w), CTREC_E_UNDEFINED, "type id 99 is not defined (5 defined)");
    CHECK(ctrec_begin_value(w, v_u));
    CHECK(ctrec_int(w, 2, t_int));
    REFUSED(ctrec_step(w, 0, 3), CTREC_E_STATE, "ctrec_step while an event is open (missing ctrec_end)");
    REFUSED(ctrec_end(w), CTREC_E_STATE, "ctrec_step while an event is open (missing ctrec_end)");
    CHECK(ctrec_writer_flush(w));
    /* over max_event_bytes: refused at its end, dropped */
    CHECK(ctrec_begin_value(w, v_u));
    CHECK(ctrec_begin_sequence(w, 0, t_seq));
    CHECK(ctrec_string(w, text, 600, t_str));
    CHECK(ctrec_string(w, text, 600, t_str));
    CHECK(ctrec_end_sequence(w));
    REFUSED(ctrec_end(w), CTREC_E_SIZE,
            "the event would take at least 1304 bytes, more than max_event_bytes (1000; "
            "readers refuse events over CTREC_MAX_EVENT_BYTES = 64 MiB by default)");
    CHECK(ctrec_begin_value(w, v_u));
    CHECK(ctrec_int(w, 3, t_int));
    CHECK(ctrec_end(w));
    CHECK(ctrec_step(w, 0, 3));
    CHECK(ctrec_step(w, 0, 4));
    CHECK(ctrec_begin_value(w, v_u));
    CHECK(ctrec_int(w, 4, t_int));
    CHECK(ctrec_end(w));
    return paths_close(w);
}

/* The room the writer keeps by prediction for a value's length (by its
 * variable's id modulo 64) and for a step's record head (by the record
 * before): every guess wrong in both directions and right, a record left
 * empty in room kept for a long head, and a publication while the record
 * in progress sits in such room (DIR/published.ct: a copy of the container
 * as that flush left it). check_ct.py predict holds the values to the
 * pattern (predict_values there). */
#define PREDICT_STEPS 10
static void predict_step(ctrec_writer *w, int step, const ctrec_id *v, ctrec_id v_s, ctrec_id t_int,
                         ctrec_id t_str, const char *text)
{
    /* per step: values of v[0..nv-1] (strings of 150 bytes for even k
     * when long_v), then s's string length (-1: none) */
    static const int nv[PREDICT_STEPS] = {130, 130, 1, 0, 130, 130, 0, 1, 130, 64};
    static const int long_v[PREDICT_STEPS] = {0, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    static const int s_len[PREDICT_STEPS] = {200, 200, 5, -1, 20000, 20000, -1, 200, -1, 130};
    CHECK(ctrec_step(w, 0, step + 1));
    for (int k = 0; k < nv[step]; k++) {
        CHECK(ctrec_begin_value(w, v[k]));
        if (long_v[step] && k % 2 == 0)
            CHECK(ctrec_string(w, text, 150, t_str));
        else
            CHECK(ctrec_int(w, step * 1000 + k, t_int));
        CHECK(ctrec_end(w));
    }
    if (s_len[step] >= 0) {
        CHECK(ctrec_begin_value(w, v_s));
        CHECK(ctrec_string(w, text, (size_t)s_len[step], t_str));
        CHECK(ctrec_end(w));
    }
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char b[65536];
    size_t n;
    int bad = !in || !out;
    while (!bad && (n = fread(b, 1, sizeof b, in)) > 0) bad = fwrite(b, 1, n, out) != n;
    if (in) fclose(in);
    if (out && fclose(out)) bad = 1;
    if (bad) fprintf(stderr, "copying %s to %s failed\n", from, to);
    return bad;
}

static int predict(const char *dir)
{
    ctrec_writer *w = open_limited(dir, "predict", CTREC_MAX_EVENT_BYTES, 0);
    if (!w) return 1;
    ctrec_id t_int, t_str, v[130], v_s, v_u;
    static char text[20000];
    memset(text, 'y', sizeof text);
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t_int));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t_str));
    for (int k = 0; k < 130; k++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", k);
        CHECK(ctrec_variable_z(w, name, &v[k]));
    }
    CHECK(ctrec_variable_z(w, "s", &v_s));
    CHECK(ctrec_variable_z(w, "u", &v_u));
    for (int i = 0; i < PREDICT_STEPS; i++) {
        predict_step(w, i, v, v_s, t_int, t_str, text);
        if (i == 5) { /* step 6's record in room kept for a 5-byte head */
            char from[4200], to[4200];
            CHECK(ctrec_writer_flush(w));
            snprintf(from, sizeof from, "%s/trace.ct", dir);
            snprintf(to, sizeof to, "%s/published.ct", dir);
            if (copy_file(from, to)) failures++;
            /* one more value of that step, after the publication */
            CHECK(ctrec_begin_value(w, v_u));
            CHECK(ctrec_int(w, 77, t_int));
            CHECK(ctrec_end(w));
        }
    }
    return paths_close(w);
}

/* max_event_bytes under 127: the .ct fast paths of ctrec_end (which take a
 * value under 128 bytes) are off (ct_fast), so a short value over the
 * limit is refused as every value is, and the writer stays usable. */
static int smallmax(const char *dir)
{
    ctrec_writer *w = open_limited(dir, "smallmax", 16, 0);
    if (!w) return 1;
    ctrec_id t_int, v_i;
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t_int));
    CHECK(ctrec_variable_z(w, "i", &v_i));
    for (int k = 1; k <= 3; k++) {
        CHECK(ctrec_step(w, 0, k));
        CHECK(ctrec_begin_value(w, v_i));
        CHECK(ctrec_int(w, k, t_int));
        REFUSED(ctrec_end(w), CTREC_E_SIZE,
                "the event would take at least 22 bytes, more than max_event_bytes (16; "
                "readers refuse events over CTREC_MAX_EVENT_BYTES = 64 MiB by default)");
    }
    return paths_close(w);
}

/* The same pseudo-random calls into a .ct and a trace.json (format "ct" or
 * "json"): arguments 0-6, each an Int or a String of 0-89 bytes; returns
 * none, an Int or a String of 0-44 bytes; 0 to many children; nesting to
 * depth 8; N iterations (past 2^14 calls at N = 60000). This crosses every
 * bound of the .ct writer's fast call and return paths (4 arguments of 64
 * bytes, a return value of 32 bytes, 4 children, an entry part of 64
 * bytes, a record of 128 bytes, keys of 1-3 bytes) on both sides; the
 * trace.json writer shares none of that code, so ctrec print of the two
 * (steps, calls with their arguments, returns with their values) must
 * agree (ct_writer_callpaths). */
static uint64_t lcg_state = 12345;
static unsigned lcg(unsigned n)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((lcg_state >> 33) % n);
}

/* callpaths' and kidpaths' writer (trace.ct or trace.json in dir), started,
 * with the types None, Int and String, nf functions named P0, P1... (P:
 * fprefix) on lines line0, line0 + 10..., and nv variables a0, a1... NULL
 * when the writer cannot be opened (the reason printed). */
static ctrec_writer *paths_open(const char *dir, const char *format, const char *program,
                                ctrec_id t[3], char fprefix, int nf, int line0, ctrec_id *f,
                                int nv, ctrec_id *v)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = !strcmp(format, "ct") ? CTREC_FORMAT_CT : CTREC_FORMAT_JSON;
    o.program = program;
    o.workdir = "/work/dir";
    o.copy_sources = 0;
    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) != CTREC_OK) {
        fprintf(stderr, "open: %s\n", ctrec_writer_errmsg(w));
        ctrec_writer_close(w);
        return NULL;
    }
    CHECK(ctrec_start(w, "/m", 2, 1));
    CHECK(ctrec_type_z(w, CTREC_TYPE_NONE, "None", &t[0]));
    CHECK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t[1]));
    CHECK(ctrec_type_z(w, CTREC_TYPE_STRING, "String", &t[2]));
    for (int i = 0; i < nf; i++) {
        char name[8] = {fprefix, (char)('0' + i), 0};
        CHECK(ctrec_function_z(w, name, 0, line0 + 10 * i, &f[i]));
    }
    for (int i = 0; i < nv; i++) {
        char name[8] = {'a', (char)('0' + i), 0};
        CHECK(ctrec_variable_z(w, name, &v[i]));
    }
    return w;
}


static int callpaths(const char *dir, const char *format, long n)
{
    ctrec_id t[3], f[5], v[7];
    ctrec_writer *w = paths_open(dir, format, "callpaths", t, 'f', 5, 100, f, 7, v);
    if (!w) return 1;
    ctrec_id t_none = t[0], t_int = t[1], t_str = t[2], t_nil;
    /* a None of another type than 0: a CBOR None in the .ct, not the void
     * marker FF (which reads as type 0) */
    CHECK(ctrec_type_z(w, CTREC_TYPE_NONE, "Nil", &t_nil));
    static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789abcdefghijklmnopqrstuvwxyz";
    int depth = 0;
    for (long i = 0; i < n && !failures; i++) {
        unsigned r = lcg(10);
        if (r < 3 || (r >= 3 && r < 6 && depth >= 8) || (r >= 6 && r < 9 && !depth)) {
            CHECK(ctrec_step(w, 0, 1 + lcg(50)));
        } else if (r < 6) {
            unsigned na = lcg(7);
            ctrec_id fn = f[lcg(5)];
            if (!na && lcg(2)) {
                CHECK(ctrec_call(w, fn));
            } else {
                CHECK(ctrec_begin_call(w, fn));
                for (unsigned a = 0; a < na; a++) {
                    CHECK(ctrec_arg(w, v[a]));
                    if (lcg(3)) CHECK(ctrec_string(w, text, lcg(90), t_str));
                    else CHECK(ctrec_int(w, (int64_t)lcg(1u << 30) - (1 << 29), t_int));
                }
                CHECK(ctrec_end(w));
            }
            depth++;
        } else if (r < 9) {
            unsigned k = lcg(4);
            if (k == 0) {
                CHECK(ctrec_return_none(w, lcg(2) ? t_none : t_nil));
            } else {
                CHECK(ctrec_begin_return(w));
                if (k == 1) CHECK(ctrec_int(w, (int64_t)i * 7919, t_int));
                else CHECK(ctrec_string(w, text, lcg(45), t_str));
                CHECK(ctrec_end(w));
            }
            depth--;
        } else {
            CHECK(ctrec_step(w, 0, 51 + lcg(9)));
        }
    }
    while (depth-- > 0) CHECK(ctrec_return_none(w, t_none));
    CHECK(ctrec_step(w, 0, 1));
    return paths_close(w);
}

/* The children kept as words only (ct_writer.c: an open call is `lazy`
 * while its first CT_KIDS_KEPT = 4 children are entered by the fast path;
 * kids_unlazy writes their deltas when a 5th comes, when a child is
 * entered by the general path, when the call returns by the general path,
 * and at close) into a .ct and a trace.json, format "ct" or "json", for
 * ct_writer_kidpaths (check_ct.py compares them as for callpaths): parents
 * with 0 to 9 children, entered by ctrec_call at an entry step near the
 * last (its .ct fast path), the children each a leaf, or with 5 or 6
 * arguments (the general call path) as the 1st, 4th, 5th or 6th child, or
 * with 2 to 6 children of their own; parents returning none (the fast
 * return) or a 40-byte String (the general one); about 3,000 calls, so
 * that the 256-call chunks start at every child position (a chunk's first
 * call takes the general path); the last parents left open at close with
 * 0, 3, 4 and 5 children. */
static int kidpaths(const char *dir, const char *format)
{
    ctrec_id t[3], f[4], v[6];
    ctrec_writer *w = paths_open(dir, format, "kidpaths", t, 'k', 4, 10, f, 6, v);
    if (!w) return 1;
    ctrec_id t_none = t[0], t_int = t[1], t_str = t[2];
    static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
    for (int r = 0; r < 360 && !failures; r++) {
        int nk = r % 10, slow_at = (r / 10) % 7, grand = (r / 70) % 5;
        CHECK(ctrec_step(w, 0, 5));
        CHECK(ctrec_call(w, f[0]));
        for (int k = 0; k < nk; k++) {
            CHECK(ctrec_step(w, 0, 12));
            if ((slow_at == 1 && k == 0) || (slow_at == 2 && k == 3) ||
                (slow_at == 3 && k == 4) || (slow_at == 4 && k == 5)) {
                int na = 5 + (k & 1);
                CHECK(ctrec_begin_call(w, f[1]));
                for (int a = 0; a < na; a++) {
                    CHECK(ctrec_arg(w, v[a]));
                    CHECK(ctrec_int(w, r * 10 + a, t_int));
                }
                CHECK(ctrec_end(w));
            } else {
                CHECK(ctrec_call(w, f[1]));
            }
            if (grand && k == nk - 1) { /* a child with children of its own */
                for (int g = 0; g < grand + 1; g++) {
                    CHECK(ctrec_call(w, f[2]));
                    CHECK(ctrec_return_none(w, t_none));
                }
            }
            CHECK(ctrec_return_none(w, t_none));
        }
        CHECK(ctrec_step(w, 0, 9));
        if (slow_at >= 5) { /* the general return */
            CHECK(ctrec_begin_return(w));
            CHECK(ctrec_string(w, text, 40, t_str));
            CHECK(ctrec_end(w));
        } else {
            CHECK(ctrec_return_none(w, t_none));
        }
    }
    /* open at close: parents with 5, 4, 3 and 0 children */
    for (int p = 0; p < 4; p++) {
        int nk = p == 3 ? 0 : 5 - p;
        CHECK(ctrec_step(w, 0, 25));
        CHECK(ctrec_call(w, f[3]));
        for (int k = 0; k < nk; k++) {
            CHECK(ctrec_call(w, f[1]));
            CHECK(ctrec_return_none(w, t_none));
        }
    }
    CHECK(ctrec_step(w, 0, 1));
    return paths_close(w);
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "callpaths")) return callpaths(argv[2], argv[3], atol(argv[4]));
    if (argc >= 4 && !strcmp(argv[1], "kidpaths")) return kidpaths(argv[2], argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "smallmax")) return smallmax(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "inplace")) return inplace(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "predict")) return predict(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "exceptions")) return exceptions(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "threads")) return threads(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "nostep")) return nostep(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "emptybig")) return emptybig(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "ambigpath")) return ambigpath(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "columns")) return columns(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "scenario")) return scenario(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "chunks")) return chunks(argv[2], atol(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "runs")) return runs(argv[2], atol(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "bigchunk")) return bigchunk(argv[2], atol(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "fsize")) return fsize(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "bigscratch")) return bigscratch(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "repairtree")) return repairtree(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "bigkids")) return bigkids(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "followwin")) return followwin(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "queued")) return queued(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "parts")) return parts(argv[2]);
    fprintf(stderr, "usage: ct_writer_test scenario|queued|parts|chunks|fsize|bigscratch|repairtree|bigkids|followwin|columns|exceptions|threads|nostep|inplace|predict|smallmax DIR [N]\n"
                    "       ct_writer_test callpaths DIR ct|json N\n"
                    "       ct_writer_test kidpaths DIR ct|json\n");
    return 2;
}
