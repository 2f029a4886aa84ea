/* worker.c — the background thread of the file and zstd sinks. */
#include "sink.h"

int sink_worker_start(sink_worker *w, void *(*fn)(void *), void *arg)
{
    w->stop = 0;
    w->running = 0;
    if (pthread_mutex_init(&w->mu, NULL)) return -1;
    if (pthread_cond_init(&w->cv, NULL)) {
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    if (pthread_create(&w->thread, NULL, fn, arg)) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    w->running = 1;
    return 0;
}

void sink_worker_stop(sink_worker *w)
{
    if (!w->running) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = 0;
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}
