/*
 * test_threads.c — several threads recording into one writer through
 * ctrec_thread handles (issue 14, threads). NTHREADS threads each record
 * ITER iterations of { Step; Value "tid" = its id; Call f; Return } at
 * once. The trace, read back (json and bin), holds ThreadStart and
 * ThreadExit for each thread, and between a ThreadSwitch {k} and the next
 * one only thread k's events: every Value "tid" equals the current thread,
 * and each thread's Calls and Returns balance. Built a second time with
 * clang -fsanitize=thread (library included) as writer_threads_tsan.
 */
#include <pthread.h>

#include "check.h"
#include "ctrec/ctrec_reader.h"

#define NTHREADS 4
#define ITER 300

static ctrec_writer *W;
static ctrec_id F;
static int failures[NTHREADS];

static void *worker(void *arg)
{
    uint64_t tid = (uint64_t)(uintptr_t)arg;
    ctrec_thread *t = NULL;
    if (ctrec_thread_attach(W, tid, &t)) {
        failures[tid - 1]++;
        return NULL;
    }
    for (int i = 0; i < ITER; i++) {
        int bad = 0;
        bad |= ctrec_thread_enter(t) != CTREC_OK;
        ctrec_writer *w = ctrec_thread_writer(t);
        bad |= ctrec_step(w, 0, 1 + i % 7) != CTREC_OK;
        bad |= ctrec_variable_int(w, "tid", 3, (int64_t)tid, 1) != CTREC_OK;
        bad |= ctrec_call(w, F) != CTREC_OK;
        if (i % 2) { /* a thread may leave inside a call and return later */
            bad |= ctrec_thread_leave(t) != CTREC_OK;
            bad |= ctrec_thread_enter(t) != CTREC_OK;
        }
        bad |= ctrec_begin_return(w) != CTREC_OK;
        bad |= ctrec_int(w, i, 1) != CTREC_OK;
        bad |= ctrec_end(w) != CTREC_OK;
        bad |= ctrec_thread_leave(t) != CTREC_OK;
        failures[tid - 1] += bad;
    }
    if (ctrec_thread_detach(t)) failures[tid - 1]++;
    return NULL;
}

static void run(const char *dir, ctrec_format fmt)
{
    ctrec_writer_options o = test_options();
    o.format = fmt;
    o.flush_interval_ms = 5; /* the flush thread runs often meanwhile */
    o.buffer_size = 4096;
    o.frame_size = 4096;
    CHECK_OK(ctrec_writer_open(dir, &o, &W));
    CHECK_OK(ctrec_start(W, "/t.x", 4, 1));
    CHECK_OK(ctrec_type_z(W, CTREC_TYPE_INT, "int", NULL));
    CHECK_OK(ctrec_function_z(W, "f", 0, 9, &F));
    pthread_t th[NTHREADS];
    for (uintptr_t k = 0; k < NTHREADS; k++)
        CHECK(pthread_create(&th[k], NULL, worker, (void *)(k + 1)) == 0);
    for (int k = 0; k < NTHREADS; k++) pthread_join(th[k], NULL);
    for (int k = 0; k < NTHREADS; k++) CHECK_U64(failures[k], 0);
    /* a handle cannot be left twice; a Return needs the thread's own call */
    ctrec_thread *t = NULL;
    CHECK_OK(ctrec_thread_attach(W, 99, &t));
    CHECK_ST(ctrec_thread_leave(t), CTREC_E_STATE);
    CHECK_OK(ctrec_thread_enter(t));
    CHECK_ST(ctrec_thread_enter(t), CTREC_E_STATE);
    CHECK_ERR(W, ctrec_return_none(W, 0), CTREC_E_STATE, "a Return with no open call");
    CHECK_OK(ctrec_begin_value(W, 0));
    CHECK_ERR(W, ctrec_thread_leave(t), CTREC_E_STATE, "ctrec_thread_leave while an event is open");
    CHECK_OK(ctrec_thread_detach(t));
    CHECK_OK(ctrec_writer_close(W));

    ctrec_reader *r = NULL;
    CHECK_OK(ctrec_reader_open(dir, NULL, &r));
    const ctrec_ev *ev;
    ctrec_status st;
    int64_t cur = -1;
    uint64_t starts = 0, exits = 0, steps = 0, values = 0, wrong = 0;
    int64_t depth[NTHREADS + 1] = {0};
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        switch (ev->type) {
        case CTREC_EV_THREAD_START: starts++; break;
        case CTREC_EV_THREAD_EXIT: exits++; break;
        case CTREC_EV_THREAD_SWITCH: cur = (int64_t)ev->id; break;
        case CTREC_EV_STEP: steps++; break;
        case CTREC_EV_VALUE:
            values++;
            if (ev->value.value->i != cur) wrong++;
            break;
        case CTREC_EV_CALL:
            if (cur >= 1 && cur <= NTHREADS) depth[cur]++;
            break;
        case CTREC_EV_RETURN:
            if (cur >= 1 && cur <= NTHREADS && --depth[cur] < 0) wrong++;
            break;
        default: break;
        }
    }
    CHECK_OK(st);
    CHECK(ctrec_reader_complete(r));
    ctrec_reader_close(r);
    CHECK_U64(starts, NTHREADS + 1);
    CHECK_U64(exits, NTHREADS + 1);
    CHECK_U64(values, NTHREADS * ITER);
    CHECK_U64(steps, NTHREADS * ITER * 2); /* each call writes a Step too */
    CHECK_U64(wrong, 0);
    for (int k = 1; k <= NTHREADS; k++) CHECK_U64(depth[k], 0);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    run(pathf("%s/json", tmp), CTREC_FORMAT_JSON);
    run(pathf("%s/bin", tmp), CTREC_FORMAT_BIN);
    rm_rf(tmp);
    return check_done("writer_threads");
}
