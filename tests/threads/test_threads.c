/*
 * test_threads.c — several threads recording into one writer through
 * per-thread handles (ctrec.h, "Recording from several threads"), and what
 * the header says of threads elsewhere in the library.
 *
 *   interleave  NTHREADS pthreads x ITERS steps each, json and bin: the
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
 *
 * Built a second time with -fsanitize=thread when the compiler is clang
 * (threads_tsan): every case then also runs under ThreadSanitizer.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>

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
    if (strcmp(d->rule, "unsupported-event") != 0) {
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
    for (int t = 0; t < NTHREADS; t++) {
        CHECK_U64(ks[t].errors, 0);
        if (ks[t].errors) fprintf(stderr, "  thread %d: %s\n", t + 1, ks[t].first_err);
    }
    CHECK_OK(ctrec_thread_enter(mainh));
    CHECK_OK(ctrec_step(w, 0, 4));
    CHECK_OK(ctrec_thread_leave(mainh));
    CHECK_OK(ctrec_thread_close(mainh));
    CHECK_OK(ctrec_writer_close(w));

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
    CHECK_OK(st);
    CHECK(ctrec_reader_complete(r));
    ctrec_reader_close(r);

    CHECK_U64(unknown, 0);
    CHECK_U64(redundant, 0);
    CHECK_U64(order_bad, 0);
    CHECK(switches >= NTHREADS); /* each worker's first events need one */
    CHECK_U64(sn[0].started, 1);
    CHECK_U64(sn[0].exited, 1);
    CHECK_U64(sn[0].steps, 1 + 200 + 1); /* line 2, the 200 at line 3, line 4 */
    CHECK_U64(sn[0].depth, 1);                /* the top-level call, never returned */
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
           format == CTREC_FORMAT_JSON ? "json" : "bin", nev, switches);
    ctrec_check_summary sum;
    ctrec_check_options co;
    ctrec_check_options_init(&co);
    co.check_files = 0; /* the recorded path is made up */
    int others = 0;
    CHECK_OK(ctrec_check(dir, &co, diag_cb, &others, &sum));
    CHECK_U64(sum.errors, 0);
    CHECK_U64(others, 0);
    CHECK(sum.warnings >= 1); /* thread events: unsupported by 25.11 */
    rm_rf(tmp);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    interleave(CTREC_FORMAT_JSON);
    interleave(CTREC_FORMAT_BIN);
    return check_done("threads");
}
