/*
 * threads.c — per-thread handles: several threads recording into one
 * writer (ctrec.h, "Recording from several threads").
 *
 * One recursive mutex per writer serialises the threads: a handle holds it
 * from ctrec_thread_enter to ctrec_thread_leave, so the event model in
 * writer.c runs for one thread at a time and stays the one place of rules.
 * When the stream passes from one thread to another, ThreadSwitch is
 * written and the per-thread part of the model (the open calls) is swapped.
 * The mutex is recursive so that ctrec_thread_open and ctrec_thread_close
 * work both from a thread that holds the writer and from one that does not.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#include "ctrec/ctrec.h"
#include "model/threads.h"

struct ctrec_thread_handle {
    ctrec_writer *w;
    uint64_t tid;
    uint64_t calls_open; /* this thread's open calls while it is not current */
    unsigned entered;    /* enter calls not yet left (its own thread only) */
    ctrec_thread_handle *next, *prev;
};

struct writer_threads {
    pthread_mutex_t mu;           /* recursive: the right to record */
    ctrec_thread_handle *current; /* whose events the stream holds now */
    ctrec_thread_handle *owner;   /* the handle that holds mu (entered) */
    ctrec_thread_handle *list;    /* the open handles */
};

void threads_free(writer_threads *t)
{
    if (!t) return;
    /* ctrec_writer_close called by the thread that holds the writer: give
     * it back, so that the mutex is destroyed unlocked. */
    if (t->owner)
        for (; t->owner->entered; t->owner->entered--) pthread_mutex_unlock(&t->mu);
    ctrec_thread_handle *h = t->list;
    while (h) {
        ctrec_thread_handle *n = h->next;
        free(h);
        h = n;
    }
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static writer_threads *threads_new(void)
{
    writer_threads *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    pthread_mutexattr_t a;
    int bad = pthread_mutexattr_init(&a);
    if (!bad) {
        bad = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) ||
              pthread_mutex_init(&t->mu, &a);
        pthread_mutexattr_destroy(&a);
    }
    if (bad) {
        free(t);
        return NULL;
    }
    return t;
}

/* A thread event written by a thread that holds mu, entered or not: while
 * mu is held nobody else is entered, so it may stand in for one. */
static ctrec_status locked_event(ctrec_writer *w, thread_ctx *c, enum writer_thread_ev which,
                                 uint64_t tid)
{
    int was = c->entered;
    c->entered = 1;
    ctrec_status st = writer_thread_event(w, which, tid);
    c->entered = was;
    return st;
}

static void unlink_handle(writer_threads *t, ctrec_thread_handle *h)
{
    if (h->prev) h->prev->next = h->next;
    else t->list = h->next;
    if (h->next) h->next->prev = h->prev;
}

ctrec_status ctrec_thread_open(ctrec_writer *w, uint64_t thread_id, ctrec_thread_handle **out)
{
    if (!out) return CTREC_E_ARG;
    *out = NULL;
    if (!w) return CTREC_E_ARG;
    thread_ctx *c = writer_thread_ctx(w);
    ctrec_thread_handle *h = calloc(1, sizeof *h);
    if (!h) return CTREC_E_NOMEM;
    h->w = w;
    h->tid = thread_id;
    ctrec_status st;
    writer_threads *t = c->threads;
    if (!t) {
        /* The first handle stands for the thread that has recorded so far,
         * inside its top-level call; nobody else uses the writer yet. */
        if (*writer_calls_open(w) == 0) {
            free(h);
            return writer_misuse(w, CTREC_E_STATE,
                                 "ctrec_thread_open: the first handle is the thread that called "
                                 "ctrec_start; open it after ctrec_start, inside the top-level "
                                 "call");
        }
        if (!(t = threads_new())) {
            free(h);
            return CTREC_E_NOMEM;
        }
        if ((st = writer_thread_event(w, WT_START, thread_id))) {
            free(h);
            threads_free(t);
            return st;
        }
        c->threads = t;
        c->stepped = 1; /* its steps so far are its own */
        t->current = h;
        t->list = h;
        *out = h;
        return CTREC_OK;
    }
    pthread_mutex_lock(&t->mu);
    st = CTREC_OK;
    for (ctrec_thread_handle *o = t->list; o && !st; o = o->next)
        if (o->tid == thread_id)
            st = writer_misuse(w, CTREC_E_ARG,
                               "ctrec_thread_open: a handle of this thread id is open");
    if (!st) st = locked_event(w, c, WT_START, thread_id);
    if (!st) {
        h->next = t->list;
        if (t->list) t->list->prev = h;
        t->list = h;
        *out = h;
    } else {
        free(h);
    }
    pthread_mutex_unlock(&t->mu);
    return st;
}

ctrec_status ctrec_thread_enter(ctrec_thread_handle *h)
{
    if (!h) return CTREC_E_ARG;
    ctrec_writer *w = h->w;
    thread_ctx *c = writer_thread_ctx(w);
    writer_threads *t = c->threads;
    pthread_mutex_lock(&t->mu);
    if (t->owner && t->owner != h) {
        /* This OS thread already holds the writer, through another handle
         * (mu is recursive): the message is its own to read. */
        ctrec_status st = writer_misuse(
            w, CTREC_E_STATE,
            "ctrec_thread_enter: this thread holds the writer through another handle "
            "(ctrec_thread_leave that one first)");
        pthread_mutex_unlock(&t->mu);
        return st;
    }
    if (t->current != h) {
        c->entered = 1;
        ctrec_status st = writer_thread_event(w, WT_SWITCH, h->tid);
        c->entered = 0;
        if (st) {
            pthread_mutex_unlock(&t->mu);
            return st;
        }
        uint64_t *calls = writer_calls_open(w);
        if (t->current) t->current->calls_open = *calls;
        *calls = h->calls_open;
        c->stepped = 0;
        t->current = h;
    }
    h->entered++;
    t->owner = h;
    c->entered = 1;
    return CTREC_OK;
}

ctrec_status ctrec_thread_leave(ctrec_thread_handle *h)
{
    if (!h) return CTREC_E_ARG;
    ctrec_writer *w = h->w;
    thread_ctx *c = writer_thread_ctx(w);
    writer_threads *t = c->threads;
    /* Without having entered, the caller may not touch the writer: the
     * message is set only if this thread can take it at once (no thread
     * holds it, or this one does through another handle: mu is recursive),
     * and without touching an event that other handle has open. */
    if (!h->entered) {
        if (pthread_mutex_trylock(&t->mu)) return CTREC_E_STATE;
        ctrec_status st = writer_refuse(w, CTREC_E_STATE,
                                        "ctrec_thread_leave: the handle is not entered");
        pthread_mutex_unlock(&t->mu);
        return st;
    }
    ctrec_status st = CTREC_OK;
    if (h->entered == 1) {
        /* An event left open would be continued by the next thread. */
        if (writer_event_open(w))
            st = writer_misuse(w, CTREC_E_STATE,
                               "ctrec_thread_leave while an event is open (it is discarded)");
        t->owner = NULL;
        c->entered = 0;
    }
    h->entered--;
    pthread_mutex_unlock(&t->mu);
    return st;
}

ctrec_status ctrec_thread_close(ctrec_thread_handle *h)
{
    if (!h) return CTREC_OK;
    ctrec_writer *w = h->w;
    thread_ctx *c = writer_thread_ctx(w);
    writer_threads *t = c->threads;
    pthread_mutex_lock(&t->mu);
    if (t->owner == h && writer_event_open(w)) ctrec_abandon(w);
    ctrec_status st = locked_event(w, c, WT_EXIT, h->tid);
    if (t->current == h) {
        t->current = NULL;
        *writer_calls_open(w) = 0;
    }
    unlink_handle(t, h);
    if (t->owner == h) {
        t->owner = NULL;
        c->entered = 0;
        for (; h->entered; h->entered--) pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    free(h);
    return st;
}

uint64_t ctrec_thread_id(const ctrec_thread_handle *h) { return h ? h->tid : 0; }
