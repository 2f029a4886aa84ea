/*
 * test_threads.c — several threads recording into one writer through
 * per-thread handles (ctrec.h, "Recording from several threads"), and what
 * the header says of threads elsewhere in the library.
 *
 *   interleave  NTHREADS pthreads x ITERS steps each, json, bin and .ct: the
 *               trace read back with ctrec_reader; each thread's events in
 *               its order (attributed by the ThreadSwitch before them), no
 *               redundant switch, calls and returns balanced per thread,
 *               every thread started before and exited after its events;
 *               ctrec_check: no error, only unsupported-event warnings
 *   rules       one OS thread, two handles: exact trace.json, a Return
 *               refused in a thread whose calls are all returned (while the
 *               other has open calls), a Value before the thread's first
 *               Step, events with no handle entered, raw thread events,
 *               duplicate ids, leave with an open event, enter of a second
 *               handle, the first handle before ctrec_start
 *   masks       the writer's threads start with the mask of the thread that
 *               opens it; the library blocks no signal itself
 *   separate    two writers and two readers in four threads at once
 *   fork        a child that leaves the writer alone keeps the parent's
 *               trace whole
 *   random      RNTHREADS pthreads making random runs of events (steps,
 *               String values, calls with arguments, returns, refused
 *               returns, I/O events, flushes) in json, bin and .ct, seeded
 *               by THREADS_SEED or the time (printed): each thread's events
 *               read back whole and in order; ctrec_check: no error
 *   ct_timed    a .ct recording with flush_interval_ms 1: the flush thread
 *               publishes the backend's chunks in progress while the
 *               recording thread writes steps, values (some defining a
 *               type while open), calls, I/O events and explicit
 *               flushes; the trace reads back exactly
 *
 * Built a second time with -fsanitize=thread when the compiler is clang
 * (threads_tsan): every case then also runs under ThreadSanitizer.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "../writer/check.h"
#include "ctrec/ctrec_check.h"
#include "ctrec/ctrec_reader.h"

#define NTHREADS 4
#define ITERS 2500 /* each iteration: Step, 2 Values, and every 4th a call: ~10k events */

/* ------------------------------------------------------------------ */
/* interleave                                                          */

typedef struct shared {
    ctrec_writer *w;
    ctrec_id path, int_t, worker_fn, leaf_fn, var_i, var_t;
} shared;

typedef struct worker {
    shared *s;
    ctrec_thread_handle *h;
    uint64_t tid;
    int errors;          /* statuses other than CTREC_OK (checked by main) */
    char first_err[256];
} worker;

static void w_note(worker *k, ctrec_status st, const char *what)
{
    if (st == CTREC_OK) return;
    if (!k->errors++)
        snprintf(k->first_err, sizeof k->first_err, "%s: %s: %s", what, ctrec_status_name(st),
                 ctrec_writer_errmsg(k->s->w));
}

/* A worker's refused calls: none (the first one printed). */
static void worker_errors(const worker *k, int t)
{
    CHECK_U64(k->errors, 0);
    if (k->errors) fprintf(stderr, "  thread %d: %s\n", t, k->first_err);
}

/* The main thread's last Step (at `line`), then its handle and the writer
 * closed. */
static void main_ends(ctrec_writer *w, ctrec_thread_handle *mainh, int64_t line)
{
    CHECK_OK(ctrec_thread_enter(mainh));
    CHECK_OK(ctrec_step(w, 0, line));
    CHECK_OK(ctrec_thread_leave(mainh));
    CHECK_OK(ctrec_thread_close(mainh));
    CHECK_OK(ctrec_writer_close(w));
}

/* A read-back's end: read to the end without error, the trace complete;
 * r closed. */
static void read_end(ctrec_reader *r, ctrec_status st)
{
    CHECK_OK(st);
    CHECK(ctrec_reader_complete(r));
    ctrec_reader_close(r);
}

#define W(k, call) w_note((k), (call), #call)

static void *worker_main(void *arg)
{
    worker *k = arg;
    shared *s = k->s;
    ctrec_writer *w = s->w;
    if (ctrec_thread_enter(k->h) != CTREC_OK) {
        k->errors++;
        return NULL;
    }
    /* the thread's entry function, called with its id */
    W(k, ctrec_begin_call(w, s->worker_fn));
    W(k, ctrec_arg(w, s->var_t));
    W(k, ctrec_int(w, (int64_t)k->tid, s->int_t));
    W(k, ctrec_end(w));
    W(k, ctrec_thread_leave(k->h));
    for (int j = 0; j < ITERS; j++) {
        if (ctrec_thread_enter(k->h) != CTREC_OK) {
            k->errors++;
            return NULL;
        }
        W(k, ctrec_step(w, s->path, 11));
        W(k, ctrec_begin_value(w, s->var_i));
        W(k, ctrec_int(w, j, s->int_t));
        W(k, ctrec_end(w));
        W(k, ctrec_begin_value(w, s->var_t));
        W(k, ctrec_int(w, (int64_t)k->tid, s->int_t));
        W(k, ctrec_end(w));
        if (j % 4 == 3) {
            W(k, ctrec_call(w, s->leaf_fn));
            W(k, ctrec_thread_leave(k->h));
            /* another thread may record between a call and its return */
            if (ctrec_thread_enter(k->h) != CTREC_OK) {
                k->errors++;
                return NULL;
            }
            W(k, ctrec_step(w, s->path, 21));
            W(k, ctrec_return_none(w, 0));
        }
        W(k, ctrec_thread_leave(k->h));
    }
    if (ctrec_thread_enter(k->h) != CTREC_OK) {
        k->errors++;
        return NULL;
    }
    W(k, ctrec_step(w, s->path, 12));
    W(k, ctrec_begin_return(w));
    W(k, ctrec_int(w, (int64_t)k->tid * 100, s->int_t));
    W(k, ctrec_end(w));
    W(k, ctrec_thread_close(k->h)); /* entered: ThreadExit, then gives the writer back */
    return NULL;
}

/* What the reader sees per thread id (0 = main, 1..NTHREADS workers). */
typedef struct seen {
    int started, exited;
    int64_t depth;       /* open calls */
    int64_t max_depth;
    long steps, next_i;  /* Value i must count 0, 1, 2... in this thread */
    long bad_i, bad_t, returns_without_call, events_outside;
    int64_t worker_return;
} seen;

static int diag_cb(const ctrec_check_diagnostic *d, void *ud)
{
    int *others = ud;
    if (strcmp(d->rule, "event-not-in-target") != 0) {
        (*others)++;
        fprintf(stderr, "  check: %s: %s\n", d->rule, d->message);
    }
    return 0;
}

static void interleave(ctrec_format format)
{
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o = test_options();
    o.format = format;
    o.buffer_size = 4096; /* many drains while threads interleave */
    o.frame_size = 4096;
    o.flush_interval_ms = 2; /* the writer's flush thread runs meanwhile */
    ctrec_writer *w;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    shared s = {.w = w};
    CHECK_OK(ctrec_start(w, "/src/threads.stk", 16, 1));
    s.path = 0;
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &s.int_t));
    CHECK_OK(ctrec_function_z(w, "worker", 0, 10, &s.worker_fn));
    CHECK_OK(ctrec_function_z(w, "leaf", 0, 20, &s.leaf_fn));
    CHECK_OK(ctrec_variable_z(w, "i", &s.var_i));
    CHECK_OK(ctrec_variable_z(w, "t", &s.var_t));
    CHECK_OK(ctrec_step(w, 0, 2));

    ctrec_thread_handle *mainh;
    CHECK_OK(ctrec_thread_open(w, 0, &mainh)); /* adopts the thread so far */
    worker ks[NTHREADS];
    pthread_t th[NTHREADS];
    CHECK_OK(ctrec_thread_enter(mainh));
    for (int t = 0; t < NTHREADS; t++) {
        ks[t] = (worker){.s = &s, .tid = (uint64_t)t + 1};
        CHECK_OK(ctrec_thread_open(w, ks[t].tid, &ks[t].h)); /* from the creator */
    }
    CHECK_OK(ctrec_thread_leave(mainh));
    for (int t = 0; t < NTHREADS; t++) CHECK(pthread_create(&th[t], NULL, worker_main, &ks[t]) == 0);
    /* the main thread records too while the workers run */
    for (int j = 0; j < 200; j++) {
        CHECK_OK(ctrec_thread_enter(mainh));
        CHECK_OK(ctrec_step(w, 0, 3));
        CHECK_OK(ctrec_thread_leave(mainh));
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NTHREADS; t++) worker_errors(&ks[t], t + 1);
    main_ends(w, mainh, 4);

    /* read it back */
    seen sn[NTHREADS + 1];
    memset(sn, 0, sizeof sn);
    int cur = 0, redundant = 0, switches = 0, unknown = 0, order_bad = 0;
    sn[0].depth = 0;
    ctrec_reader *r;
    CHECK_OK(ctrec_reader_open(dir, NULL, &r));
    const ctrec_ev *ev;
    ctrec_status st;
    long nev = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        nev++;
        seen *c = &sn[cur];
        switch (ev->type) {
        case CTREC_EV_THREAD_START:
            if (ev->id > NTHREADS) unknown++;
            else if (sn[ev->id].started++) order_bad++;
            break;
        case CTREC_EV_THREAD_EXIT:
            if (ev->id > NTHREADS) unknown++;
            else sn[ev->id].exited++;
            break;
        case CTREC_EV_THREAD_SWITCH:
            switches++;
            if (ev->id > NTHREADS) {
                unknown++;
                break;
            }
            if ((int)ev->id == cur) redundant++;
            if (!sn[ev->id].started || sn[ev->id].exited) order_bad++;
            cur = (int)ev->id;
            break;
        case CTREC_EV_STEP:
            c->steps++;
            if (c->exited) c->events_outside++;
            break;
        case CTREC_EV_CALL:
            if (++c->depth > c->max_depth) c->max_depth = c->depth;
            if (cur && ev->call.function_id == s.worker_fn &&
                (ev->call.nargs != 1 || ev->call.args[0].value->i != cur))
                c->bad_t++;
            break;
        case CTREC_EV_RETURN:
            if (c->depth == 0) c->returns_without_call++;
            else c->depth--;
            if (cur && c->depth == 0) c->worker_return = ev->ret.return_value->i;
            break;
        case CTREC_EV_VALUE:
            if (ev->value.variable_id == s.var_i) {
                if (ev->value.value->i != c->next_i) c->bad_i++;
                c->next_i = ev->value.value->i + 1;
            } else if (ev->value.variable_id == s.var_t && ev->value.value->i != cur) {
                c->bad_t++;
            }
            break;
        default:
            break;
        }
    }
    read_end(r, st);

    CHECK_U64(unknown, 0);
    CHECK_U64(redundant, 0);
    CHECK_U64(order_bad, 0);
    CHECK(switches >= NTHREADS); /* each worker's first events need one */
    CHECK_U64(sn[0].started, 1);
    CHECK_U64(sn[0].exited, 1);
    CHECK_U64(sn[0].steps, 1 + 200 + 1); /* line 2, the 200 at line 3, line 4 */
    /* the top-level call, never returned (a .ct closes it at close) */
    CHECK_U64(sn[0].depth, format == CTREC_FORMAT_CT ? 0 : 1);
    CHECK_U64(sn[0].returns_without_call, 0);
    for (int t = 1; t <= NTHREADS; t++) {
        seen *c = &sn[t];
        CHECK_U64(c->started, 1);
        CHECK_U64(c->exited, 1);
        /* worker's Step at its definition, ITERS line-11 steps, ITERS/4
         * leaf calls (a Step each at line 20 and a line-21 step), line 12 */
        CHECK_U64(c->steps, 1 + ITERS + 2 * (ITERS / 4) + 1);
        CHECK_U64(c->next_i, ITERS);
        CHECK_U64(c->bad_i, 0);
        CHECK_U64(c->bad_t, 0);
        CHECK_U64(c->depth, 0);
        CHECK_U64(c->max_depth, 2);
        CHECK_U64(c->returns_without_call, 0);
        CHECK_U64(c->events_outside, 0);
        CHECK_U64(c->worker_return, (uint64_t)t * 100);
    }
    CHECK(nev > (long)NTHREADS * ITERS * 4);

    printf("interleave %s: %ld events, %d thread switches\n",
           format == CTREC_FORMAT_JSON ? "json" : format == CTREC_FORMAT_BIN ? "bin" : "ct", nev,
           switches);
    ctrec_check_summary sum;
    ctrec_check_options co;
    ctrec_check_options_init(&co);
    co.check_files = 0; /* the recorded path is made up */
    int others = 0;
    CHECK_OK(ctrec_check(dir, &co, diag_cb, &others, &sum));
    CHECK_U64(sum.errors, 0);
    CHECK_U64(others, 0);
    /* the current debugger loads thread events; 25.11 cannot parse them
     * (nor a .ct: its checks there are moot) */
    if (format != CTREC_FORMAT_CT) {
        co.target = CTREC_CHECK_25_11;
        CHECK_OK(ctrec_check(dir, &co, diag_cb, &others, &sum));
        CHECK(sum.errors >= (uint64_t)NTHREADS);
        CHECK_U64(others, 0);
    }
    rm_rf(tmp);
}


/* ------------------------------------------------------------------ */
/* random                                                              */

/* Random runs of events on RNTHREADS OS threads at once, each thread's
 * choices from its own generator (seed: THREADS_SEED, else the time;
 * printed): after each enter a Step, then up to 7 of: Steps, String
 * values of 0-300 bytes, calls with 0-2 Int arguments, returns with an
 * Int (a refused one when the thread has no open call), I/O events,
 * flushes; then leave. Lines and texts name their thread and count, so
 * that the trace read back shows each thread's events whole and in order,
 * whatever the interleaving. */
#define RNTHREADS 4
#define ROUNDS 600
#define RLINE(t, n) ((t) * 10000 + (n) % 10000 + 1)
#define RFN_LINE 90000

typedef struct rworker {
    worker b; /* its writer, handle, id and errors, as interleave's */
    uint64_t rng;
    long steps, values, calls, returns, refused, events;
    size_t *vlen; /* each value's length, in order */
    size_t nv, vcap;
} rworker;

static uint32_t rnext(rworker *k)
{
    k->rng ^= k->rng << 13;
    k->rng ^= k->rng >> 7;
    k->rng ^= k->rng << 17;
    return (uint32_t)(k->rng >> 11);
}

#define RW(k, call) w_note(&(k)->b, (call), #call)

static void *rworker_main(void *arg)
{
    rworker *k = arg;
    shared *s = k->b.s;
    ctrec_writer *w = s->w;
    char text[400];
    long depth = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (ctrec_thread_enter(k->b.h) != CTREC_OK) {
            k->b.errors++;
            return NULL;
        }
        RW(k, ctrec_step(w, s->path, RLINE(k->b.tid, k->steps)));
        k->steps++;
        for (unsigned n = rnext(k) % 8; n; n--) {
            switch (rnext(k) % 7) {
            case 0:
                RW(k, ctrec_step(w, s->path, RLINE(k->b.tid, k->steps)));
                k->steps++;
                break;
            case 1: {
                size_t len = rnext(k) % 301;
                int h = snprintf(text, sizeof text, "t%llu:%ld|", (unsigned long long)k->b.tid,
                                 k->values);
                if ((size_t)h > len) len = (size_t)h;
                memset(text + h, 'a' + (int)(k->values % 26), len - (size_t)h);
                RW(k, ctrec_begin_value(w, s->var_i));
                RW(k, ctrec_string(w, text, len, s->int_t));
                RW(k, ctrec_end(w));
                if (k->nv == k->vcap) {
                    k->vcap = k->vcap ? 2 * k->vcap : 256;
                    k->vlen = realloc(k->vlen, k->vcap * sizeof *k->vlen);
                }
                k->vlen[k->nv++] = len;
                k->values++;
                break;
            }
            case 2: {
                unsigned na = rnext(k) % 3;
                RW(k, ctrec_begin_call(w, s->leaf_fn));
                for (unsigned a = 0; a < na; a++) {
                    RW(k, ctrec_arg(w, s->var_t));
                    RW(k, ctrec_int(w, (int64_t)k->b.tid, s->int_t));
                }
                RW(k, ctrec_end(w));
                k->calls++;
                depth++;
                break;
            }
            case 3:
                if (depth) {
                    RW(k, ctrec_begin_return(w));
                    RW(k, ctrec_int(w, (int64_t)k->b.tid, s->int_t));
                    RW(k, ctrec_end(w));
                    k->returns++;
                    depth--;
                } else if (ctrec_return_none(w, 0) == CTREC_E_STATE) {
                    k->refused++; /* this thread has no open call */
                } else {
                    k->b.errors++;
                }
                break;
            case 4:
                snprintf(text, sizeof text, "t%llu", (unsigned long long)k->b.tid);
                RW(k, ctrec_event(w, CTREC_EVENT_WRITE, "", 0, text, strlen(text)));
                k->events++;
                break;
            case 5:
                if (rnext(k) % 8 == 0) RW(k, ctrec_writer_flush(w));
                break;
            default: /* leave and come back: another thread may record */
                RW(k, ctrec_thread_leave(k->b.h));
                if (ctrec_thread_enter(k->b.h) != CTREC_OK) {
                    k->b.errors++;
                    return NULL;
                }
                RW(k, ctrec_step(w, s->path, RLINE(k->b.tid, k->steps)));
                k->steps++;
                break;
            }
        }
        RW(k, ctrec_thread_leave(k->b.h));
    }
    if (ctrec_thread_enter(k->b.h) != CTREC_OK) {
        k->b.errors++;
        return NULL;
    }
    for (; depth; depth--) {
        RW(k, ctrec_return_none(w, 0));
        k->returns++;
    }
    RW(k, ctrec_thread_close(k->b.h));
    return NULL;
}

/* What the reader sees of one random worker. */
typedef struct rseen {
    long steps, call_steps, values, calls, returns, events, bad;
    int64_t depth;
} rseen;

static void random_threads(ctrec_format format, uint64_t seed)
{
    const char *fname = format == CTREC_FORMAT_JSON ? "json" : format == CTREC_FORMAT_BIN ? "bin" : "ct";
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o = test_options();
    o.format = format;
    o.buffer_size = 4096;
    o.frame_size = 4096;
    o.flush_interval_ms = 1;
    o.compress_thread = 1;
    ctrec_writer *w;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    shared s = {.w = w};
    CHECK_OK(ctrec_start(w, "/src/random.stk", 15, 1));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_STRING, "str", &s.int_t));
    CHECK_OK(ctrec_function_z(w, "leaf", 0, RFN_LINE, &s.leaf_fn));
    CHECK_OK(ctrec_variable_z(w, "v", &s.var_i));
    CHECK_OK(ctrec_variable_z(w, "t", &s.var_t));
    CHECK_OK(ctrec_step(w, 0, 1));
    ctrec_thread_handle *mainh;
    CHECK_OK(ctrec_thread_open(w, 0, &mainh));
    CHECK_OK(ctrec_thread_enter(mainh));
    rworker ks[RNTHREADS];
    pthread_t th[RNTHREADS];
    for (int t = 0; t < RNTHREADS; t++) {
        ks[t] = (rworker){.b = {.s = &s, .tid = (uint64_t)t + 1},
                          .rng = seed * 2654435761u + (uint64_t)t * 0x9E3779B97F4A7C15u + 1};
        CHECK_OK(ctrec_thread_open(w, ks[t].b.tid, &ks[t].b.h));
    }
    CHECK_OK(ctrec_thread_leave(mainh));
    for (int t = 0; t < RNTHREADS; t++) CHECK(pthread_create(&th[t], NULL, rworker_main, &ks[t]) == 0);
    for (int t = 0; t < RNTHREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < RNTHREADS; t++) worker_errors(&ks[t].b, t + 1);
    main_ends(w, mainh, 2);

    rseen sn[RNTHREADS + 1];
    memset(sn, 0, sizeof sn);
    int cur = 0;
    ctrec_reader *r;
    CHECK_OK(ctrec_reader_open(dir, NULL, &r));
    const ctrec_ev *ev;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        rseen *c = &sn[cur];
        switch (ev->type) {
        case CTREC_EV_THREAD_SWITCH:
            if (ev->id > RNTHREADS) sn[0].bad++;
            else cur = (int)ev->id;
            break;
        case CTREC_EV_STEP:
            if (ev->step.line == RFN_LINE) {
                c->call_steps++;
            } else if (cur) {
                if (ev->step.line != RLINE(cur, c->steps)) c->bad++;
                c->steps++;
            }
            break;
        case CTREC_EV_VALUE:
            if (cur && ev->value.variable_id == s.var_i) {
                char want[64];
                int h = snprintf(want, sizeof want, "t%d:%ld|", cur, c->values);
                const ctrec_value *v = ev->value.value;
                if (v->kind != CTREC_VAL_STRING || c->values >= (long)ks[cur - 1].nv ||
                    v->text.len != ks[cur - 1].vlen[c->values] ||
                    memcmp(v->text.ptr, want, (size_t)h) != 0)
                    c->bad++;
                c->values++;
            }
            break;
        case CTREC_EV_CALL:
            if (cur) c->calls++;
            c->depth++;
            break;
        case CTREC_EV_RETURN:
            if (cur) c->returns++;
            /* json and bin: each thread's Returns close its own Calls */
            if (--c->depth < 0 && format != CTREC_FORMAT_CT) c->bad++;
            break;
        case CTREC_EV_EVENT:
            if (cur) {
                char want[16];
                snprintf(want, sizeof want, "t%d", cur);
                if (ev->event.content.len != strlen(want) ||
                    memcmp(ev->event.content.ptr, want, strlen(want)) != 0)
                    c->bad++;
                c->events++;
            }
            break;
        default:
            break;
        }
    }
    read_end(r, st);
    CHECK_U64(sn[0].bad, 0);
    long refused = 0, nev = 0;
    for (int t = 1; t <= RNTHREADS; t++) {
        rseen *c = &sn[t];
        rworker *k = &ks[t - 1];
        CHECK_U64(c->bad, 0);
        CHECK_U64(c->steps, k->steps);
        CHECK_U64(c->call_steps, k->calls); /* a call's Step at its definition */
        CHECK_U64(c->values, k->values);
        CHECK_U64(c->calls, k->calls);
        CHECK_U64(c->returns, k->returns);
        CHECK_U64(c->events, k->events);
        refused += k->refused;
        nev += k->steps + k->values + k->calls + k->returns + k->events;
        free(k->vlen);
    }
    printf("random %s (seed %llu): %ld events from %d threads, %ld returns refused\n", fname,
           (unsigned long long)seed, nev, RNTHREADS, refused);
    ctrec_check_summary sum;
    ctrec_check_options co;
    ctrec_check_options_init(&co);
    co.check_files = 0;
    int others = 0;
    CHECK_OK(ctrec_check(dir, &co, diag_cb, &others, &sum));
    CHECK_U64(sum.errors, 0);
    CHECK_U64(others, 0);
    rm_rf(tmp);
}

/* ------------------------------------------------------------------ */
/* rules                                                               */

static void rules(void)
{
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o = test_options();
    ctrec_writer *w;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    ctrec_thread_handle *h1 = NULL, *h2 = NULL, *hx = (ctrec_thread_handle *)&o;
    /* the first handle is the thread of ctrec_start: not before it */
    CHECK_ERR(w, ctrec_thread_open(w, 1, &hx), CTREC_E_STATE, "after ctrec_start");
    CHECK(hx == NULL);
    CHECK_ST(ctrec_thread_open(NULL, 1, &hx), CTREC_E_ARG);
    CHECK_ST(ctrec_thread_open(w, 1, NULL), CTREC_E_ARG);
    CHECK_OK(ctrec_start(w, "/m.stk", 6, 1));
    ctrec_id int_t, f, x;
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &int_t));
    CHECK_OK(ctrec_function_z(w, "f", 0, 5, &f));
    CHECK_OK(ctrec_variable_z(w, "x", &x));
    CHECK_OK(ctrec_step(w, 0, 2));
    CHECK_OK(ctrec_call(w, f)); /* thread 1 has two open calls */
    CHECK_OK(ctrec_thread_open(w, 1, &h1));
    CHECK_U64(ctrec_thread_id(h1), 1);
    /* handles exist: nothing without entering */
    CHECK_ERR(w, ctrec_step(w, 0, 3), CTREC_E_STATE, "ctrec_thread_enter");
    CHECK_OK(ctrec_thread_enter(h1));
    CHECK_ERR(w, ctrec_thread_switch(w, 9), CTREC_E_STATE, "thread handles");
    CHECK_ERR(w, ctrec_thread_start(w, 9), CTREC_E_STATE, "thread handles");
    CHECK_ERR(w, ctrec_thread_exit(w, 9), CTREC_E_STATE, "thread handles");
    CHECK_ERR(w, ctrec_thread_open(w, 1, &hx), CTREC_E_ARG, "is open");
    CHECK_OK(ctrec_thread_open(w, 2, &h2)); /* from the creator, entered */
    CHECK_OK(ctrec_step(w, 0, 6));
    /* nested enter of the same handle: no event */
    CHECK_OK(ctrec_thread_enter(h1));
    CHECK_OK(ctrec_thread_leave(h1));
    CHECK_ERR(w, ctrec_thread_enter(h2), CTREC_E_STATE, "another handle");
    /* leaving a handle not entered while this thread holds the writer
     * through h1: a message, and h1's open event stays open */
    CHECK_OK(ctrec_begin_value(w, x));
    CHECK_ERR(w, ctrec_thread_leave(h2), CTREC_E_STATE,
              "ctrec_thread_leave: the handle is not entered");
    CHECK_OK(ctrec_int(w, 5, int_t));
    ctrec_abandon(w);
    CHECK_OK(ctrec_thread_leave(h1));
    CHECK_ERR(w, ctrec_thread_leave(h1), CTREC_E_STATE, "not entered"); /* no thread holds it */

    CHECK_OK(ctrec_thread_enter(h2));
    /* thread 2 has no Step yet and no call, whatever thread 1 has */
    CHECK_ERR(w, ctrec_begin_value(w, x), CTREC_E_STATE, "no Step since");
    CHECK_ERR(w, ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "hi", 2), CTREC_E_STATE,
              "no Step since");
    CHECK_ERR(w, ctrec_return_none(w, 0), CTREC_E_STATE, "no open call");
    CHECK_ERR(w, ctrec_begin_return(w), CTREC_E_STATE, "no open call");
    CHECK_OK(ctrec_begin_call(w, f));
    CHECK_OK(ctrec_arg(w, x));
    CHECK_OK(ctrec_int(w, 7, int_t));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_variable_int(w, "x", 1, 7, int_t)); /* the call's Step counts */
    /* an event left open is discarded at leave */
    CHECK_OK(ctrec_begin_value(w, x));
    CHECK_ST(ctrec_thread_leave(h2), CTREC_E_STATE);
    CHECK_OK(ctrec_thread_enter(h2)); /* still current: no ThreadSwitch */
    CHECK_OK(ctrec_return_none(w, 0));
    CHECK_ERR(w, ctrec_return_none(w, 0), CTREC_E_STATE, "no open call");
    CHECK_OK(ctrec_thread_leave(h2));

    CHECK_OK(ctrec_thread_enter(h1)); /* ThreadSwitch(1): its calls are back */
    CHECK_ERR(w, ctrec_begin_value(w, x), CTREC_E_STATE, "no Step since");
    CHECK_OK(ctrec_step(w, 0, 7));
    CHECK_OK(ctrec_return_none(w, 0)); /* f of thread 1 */
    CHECK_OK(ctrec_thread_close(h2)); /* from another thread, h1 entered */
    CHECK_OK(ctrec_step(w, 0, 8));
    CHECK_OK(ctrec_thread_leave(h1));
    CHECK_OK(ctrec_thread_close(h1)); /* not entered */
    CHECK_OK(ctrec_thread_close(NULL));
    CHECK_OK(ctrec_writer_close(w));

    /* a writer closed with handles open, one of them entered: they are
     * freed (valgrind and ASan see no leak), no ThreadExit is written */
    char tmp2[64];
    make_tmpdir(tmp2);
    LOCAL_PATH(dir2, "%s/trace", tmp2);
    CHECK_OK(ctrec_writer_open(dir2, &o, &w));
    CHECK_OK(ctrec_start(w, "/m.stk", 6, 1));
    CHECK_OK(ctrec_thread_open(w, 5, &h1));
    CHECK_OK(ctrec_thread_open(w, 6, &h2));
    CHECK_OK(ctrec_thread_enter(h2));
    CHECK_OK(ctrec_thread_enter(h2));
    CHECK_OK(ctrec_writer_close(w));
    char *got = read_file(pathf("%s/trace.json", dir2), NULL);
    CHECK(got && strstr(got, "{\"ThreadSwitch\":6}") && !strstr(got, "ThreadExit"));
    free(got);
    rm_rf(tmp2);

    static const char *const want[] = {
        "{\"Path\":\"/m.stk\"}",
        "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"f\"}}",
        "{\"VariableName\":\"x\"}",
        "{\"Step\":{\"path_id\":0,\"line\":2}}",
        "{\"Step\":{\"path_id\":0,\"line\":5}}",
        "{\"Call\":{\"function_id\":1,\"args\":[]}}",
        "{\"ThreadStart\":1}",
        "{\"ThreadStart\":2}",
        "{\"Step\":{\"path_id\":0,\"line\":6}}",
        "{\"ThreadSwitch\":2}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":7,\"type_id\":1}}}",
        "{\"Step\":{\"path_id\":0,\"line\":5}}",
        ("{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":0,\"value\":{\"kind\":"
         "\"Int\",\"i\":7,\"type_id\":1}}]}}"),
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":7,\"type_id\":1}}}",
        "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
        "{\"ThreadSwitch\":1}",
        "{\"Step\":{\"path_id\":0,\"line\":7}}",
        "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
        "{\"ThreadExit\":2}",
        "{\"Step\":{\"path_id\":0,\"line\":8}}",
        "{\"ThreadExit\":1}",
    };
    CHECK_TRACE_JSON(dir, want, sizeof want / sizeof *want);
    rm_rf(tmp);
}

/* ------------------------------------------------------------------ */
/* masks                                                               */

/* The tasks (threads) of this process but the calling one and those in
 * `skip` (a sanitizer's own thread, say): their ids in ids[], their SigBlk
 * masks in masks[]. */
static int other_tasks(const int *skip, int nskip, int *ids, unsigned long long *masks, int max)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    struct dirent *de;
    pid_t self = gettid();
    while ((de = readdir(d)) && n < max) {
        int id = atoi(de->d_name);
        if (de->d_name[0] == '.' || id == self) continue;
        int skipped = 0;
        for (int i = 0; i < nskip; i++) skipped |= skip[i] == id;
        if (skipped) continue;
        char *st = read_file(pathf("/proc/self/task/%s/status", de->d_name), NULL);
        const char *b = st ? strstr(st, "SigBlk:") : NULL;
        if (b) {
            ids[n] = id;
            masks[n++] = strtoull(b + 7, NULL, 16);
        }
        free(st);
    }
    closedir(d);
    return n;
}

static void masks(void)
{
    for (int blocked = 0; blocked < 2; blocked++) {
        for (int fmt = 0; fmt < 2; fmt++) {
            char tmp[64];
            make_tmpdir(tmp);
            LOCAL_PATH(dir, "%s/trace", tmp);
            ctrec_writer_options o = test_options();
            o.format = fmt ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON;
            sigset_t usr, old;
            sigemptyset(&usr);
            sigaddset(&usr, SIGUSR1);
            if (blocked) pthread_sigmask(SIG_BLOCK, &usr, &old);
            int before[16], ids[16];
            unsigned long long m[16];
            int nbefore = other_tasks(NULL, 0, before, m, 16);
            ctrec_writer *w;
            CHECK_OK(ctrec_writer_open(dir, &o, &w));
            if (blocked) pthread_sigmask(SIG_SETMASK, &old, NULL);
            int n = other_tasks(before, nbefore, ids, m, 16);
            CHECK_U64(n, 2); /* the I/O or compression thread, the flush thread */
            /* glibc starts a new thread with every signal blocked and sets
             * the inherited mask once it runs: wait for that (2 s at most) */
            for (int tries = 0; tries < 400; tries++) {
                int starting = 0;
                for (int i = 0; i < n; i++) starting |= (m[i] & (1ull << (SIGUSR2 - 1))) != 0;
                if (!starting) break;
                usleep(5000);
                n = other_tasks(before, nbefore, ids, m, 16);
            }
            for (int i = 0; i < n; i++) CHECK_U64(m[i], blocked ? 1ull << (SIGUSR1 - 1) : 0);
            CHECK_OK(ctrec_writer_close(w));
            /* joined: pthread_join returns once the kernel clears the
             * thread's tid, a moment before the task leaves
             * /proc/self/task, so its listing may lag (2 s at most) */
            int left = other_tasks(before, nbefore, ids, m, 16);
            for (int tries = 0; left != 0 && tries < 400; tries++) {
                usleep(5000);
                left = other_tasks(before, nbefore, ids, m, 16);
            }
            CHECK_U64(left, 0);
            rm_rf(tmp);
        }
    }
}

/* ------------------------------------------------------------------ */
/* separate                                                            */

typedef struct solo {
    const char *dir;
    int write;
    long events;
    ctrec_status st;
} solo;

static void *solo_main(void *arg)
{
    solo *s = arg;
    if (s->write) {
        ctrec_writer_options o = test_options();
        ctrec_writer *w;
        ctrec_status st = ctrec_writer_open(s->dir, &o, &w);
        ctrec_id ft;
        if (!st) st = ctrec_start(w, "/solo", 5, 1);
        if (!st) st = ctrec_type_z(w, CTREC_TYPE_FLOAT, "float", &ft);
        for (int i = 0; i < 5000 && !st; i++) {
            st = ctrec_step(w, 0, 1 + i % 7);
            if (!st) st = ctrec_begin_value_named(w, "v", 1);
            if (!st) st = ctrec_float(w, i / 8.0, ft);
            if (!st) st = ctrec_end(w);
        }
        ctrec_status cst = ctrec_writer_close(w);
        s->st = st ? st : cst;
    } else {
        ctrec_reader *r;
        ctrec_status st = ctrec_reader_open(s->dir, NULL, &r);
        const ctrec_ev *ev;
        long values = 0;
        while (!st && (st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
            if (ev->type == CTREC_EV_VALUE && ev->value.value->f != (values++) / 8.0)
                st = CTREC_E_FORMAT; /* the float read back differs */
            if (ev->type == CTREC_EV_VALUE || ev->type == CTREC_EV_STEP) s->events++;
            if (ev->type == CTREC_EV_VARIABLE_NAME) s->events++;
        }
        ctrec_reader_close(r);
        s->st = st;
    }
    return NULL;
}

static void separate(void)
{
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(a, "%s/a", tmp);
    LOCAL_PATH(b, "%s/b", tmp);
    solo s[4] = {{a, 1, 0, 0}, {b, 1, 0, 0}, {a, 0, 0, 0}, {b, 0, 0, 0}};
    pthread_t t[4];
    for (int round = 0; round < 2; round++) {
        int base = round * 2; /* the writers, then the readers of what they wrote */
        for (int i = base; i < base + 2; i++) CHECK(pthread_create(&t[i], NULL, solo_main, &s[i]) == 0);
        for (int i = base; i < base + 2; i++) pthread_join(t[i], NULL);
    }
    for (int i = 0; i < 4; i++) CHECK_OK(s[i].st);
    CHECK_U64(s[2].events, 1 + 2 * 5000);
    CHECK_U64(s[3].events, 1 + 2 * 5000);
    rm_rf(tmp);
}

/* ------------------------------------------------------------------ */
/* fork                                                                */

static void forked(void)
{
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o = test_options();
    o.format = CTREC_FORMAT_BIN;
    ctrec_writer *w;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, "/f", 2, 1));
    for (int i = 0; i < 1000; i++) CHECK_OK(ctrec_step(w, 0, 1 + i % 3));
    pid_t pid = fork();
    if (pid == 0) _exit(0); /* the child leaves the writer alone */
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < 1000; i++) CHECK_OK(ctrec_step(w, 0, 1 + i % 3));
    CHECK_OK(ctrec_writer_close(w));
    ctrec_reader *r;
    CHECK_OK(ctrec_reader_open(dir, NULL, &r));
    const ctrec_ev *ev;
    long steps = 0;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) steps += ev->type == CTREC_EV_STEP;
    read_end(r, st);
    CHECK_U64(steps, 2000);
    rm_rf(tmp);
}

/* ------------------------------------------------------------------ */
/* ct_timed                                                            */

static void ct_timed(void)
{
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o = test_options();
    o.format = CTREC_FORMAT_CT;
    o.flush_interval_ms = 1;
    ctrec_writer *w;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    ctrec_id t_int, f, v;
    CHECK_OK(ctrec_start(w, "/src/ct.stk", 11, 1));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t_int));
    CHECK_OK(ctrec_function_z(w, "f", 0, 5, &f));
    CHECK_OK(ctrec_variable_z(w, "i", &v));
    enum { N = 60000 };
    for (int i = 0; i < N; i++) {
        if (i % 7 == 0) CHECK_OK(ctrec_call(w, f));
        CHECK_OK(ctrec_step(w, 0, 1 + i % 100));
        CHECK_OK(ctrec_begin_value(w, v));
        if (i % 50 == 0) { /* a definition inside the open value */
            char name[16];
            snprintf(name, sizeof name, "t%d", i);
            ctrec_id t;
            CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, name, &t));
        }
        CHECK_OK(ctrec_int(w, i, t_int));
        CHECK_OK(ctrec_end(w));
        if (i % 97 == 0) CHECK_OK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, "x", 1));
        if (i % 7 == 3) CHECK_OK(ctrec_return_none(w, 0));
        if (i % 5000 == 4999) CHECK_OK(ctrec_writer_flush(w));
    }
    CHECK_OK(ctrec_writer_close(w));
    ctrec_reader *r;
    CHECK_OK(ctrec_reader_open(dir, NULL, &r));
    const ctrec_ev *ev;
    ctrec_status st;
    uint64_t steps = 0, values = 0, calls = 0, returns = 0, events = 0, next = 0, bad = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        switch (ev->type) {
        case CTREC_EV_STEP: steps++; break;
        case CTREC_EV_VALUE:
            if (ev->value.value->i != (int64_t)next) bad++;
            next++;
            values++;
            break;
        case CTREC_EV_CALL: calls++; break;
        case CTREC_EV_RETURN: returns++; break;
        case CTREC_EV_EVENT: events++; break;
        default: break;
        }
    }
    read_end(r, st);
    CHECK_U64(values, N);
    CHECK_U64(bad, 0);
    CHECK_U64(steps, N + (N + 6) / 7);    /* a call's Step at its definition line */
    CHECK_U64(calls, 1 + (N + 6) / 7);    /* and the top-level call */
    CHECK_U64(returns, calls);            /* the open ones closed at close */
    CHECK_U64(events, (N + 96) / 97);
    printf("ct_timed: %llu steps, %llu calls, %llu events\n", (unsigned long long)steps,
           (unsigned long long)calls, (unsigned long long)events);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    interleave(CTREC_FORMAT_JSON);
    interleave(CTREC_FORMAT_BIN);
    interleave(CTREC_FORMAT_CT);
    const char *seed_env = getenv("THREADS_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : (uint64_t)time(NULL);
    random_threads(CTREC_FORMAT_JSON, seed);
    random_threads(CTREC_FORMAT_BIN, seed);
    random_threads(CTREC_FORMAT_CT, seed);
    ct_timed();
    rules();
    masks();
    separate();
    forked();
    return check_done("threads");
}
