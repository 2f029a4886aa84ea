/*
 * threads.h — the seam between the event model (writer.c) and the
 * per-thread handles (threads.c: ctrec_thread_open/enter/leave/close).
 *
 * The handles add no rules of their own: every event still goes through
 * writer.c. threads.c only serialises the threads (a lock), writes the
 * thread events through writer_thread_event() and swaps the per-thread part
 * of the model (the open calls) when the stream switches threads.
 */
#ifndef CTREC_MODEL_THREADS_H
#define CTREC_MODEL_THREADS_H

#include <stdint.h>

#include "ctrec/ctrec.h"

typedef struct writer_threads writer_threads;

/* What writer.c keeps for the handles. */
typedef struct thread_ctx {
    writer_threads *threads; /* NULL until the first ctrec_thread_open: then
                                every event needs an entered handle */
    int entered;             /* a handle holds the writer now */
    int stepped;             /* the current thread has written a Step since
                                the stream switched to it */
} thread_ctx;

/* writer.c */
thread_ctx *writer_thread_ctx(ctrec_writer *w);
/* The current thread's open calls (Calls minus Returns). */
uint64_t *writer_calls_open(ctrec_writer *w);
enum writer_thread_ev { WT_START, WT_EXIT, WT_SWITCH };
/* ThreadStart / ThreadExit / ThreadSwitch, as the model writes any event
 * (the caller holds the writer and sets ctx->entered). */
ctrec_status writer_thread_event(ctrec_writer *w, enum writer_thread_ev which, uint64_t tid);

/* Whether an event is open (begun, not yet ended). */
int writer_event_open(const ctrec_writer *w);
/* Sets the writer's error (st, msg), discarding an open event; returns st. */
ctrec_status writer_misuse(ctrec_writer *w, ctrec_status st, const char *msg);
/* Sets the writer's status and message only: an event open stays open. */
ctrec_status writer_refuse(ctrec_writer *w, ctrec_status st, const char *msg);

/* threads.c: frees the lock and every handle still open (ctrec_writer_close). */
void threads_free(writer_threads *t);

#endif
