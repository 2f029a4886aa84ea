/*
 * sink.h — where encoded events go. The model layer hands a sink whole
 * events only (a chunk always ends on an event boundary), so a sink may cut
 * frames or flush at any chunk end.
 */
#ifndef CTREC_SINK_SINK_H
#define CTREC_SINK_SINK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct sink sink;

typedef struct sink_ops {
    /* Takes the bytes of one or more whole events. */
    ctrec_status (*write)(sink *s, const uint8_t *p, size_t n, err *e);
    /* Makes everything written so far visible to a reader of the file. */
    ctrec_status (*flush)(sink *s, err *e);
    /* Completes the file (trailer, seek table) and closes it. */
    ctrec_status (*finish)(sink *s, err *e);
    /* Frees the sink; closes the file without completing it if needed. */
    void (*destroy)(sink *s);
    /* Optional (may be NULL): like write for all of b, but the sink may keep
     * b's storage and hand back another empty buffer in *b, so that a
     * background thread can write while the caller fills the next one. */
    ctrec_status (*take)(sink *s, buf *b, err *e);
} sink_ops;

struct sink {
    const sink_ops *ops;
};

/* Options of the binary sink. */
typedef struct zstd_sink_options {
    size_t frame_size;
    int level;
    int threaded;
} zstd_sink_options;

/* A plain file: bytes land as given. With `threaded`, write(2) runs on a
 * background thread (at most two buffers in flight); flush waits for it. */
ctrec_status file_sink_open(int dirfd, const char *name, int threaded, sink **out, err *e);
/* trace.bin: 8-byte header, then a zstd seekable stream. */
ctrec_status zstd_sink_open(int dirfd, const char *name, const zstd_sink_options *o, sink **out,
                            err *e);

/* A sink's background thread: its lock, the condition both sides wait on,
 * and the request to stop. */
typedef struct sink_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;    /* set by sink_worker_stop, read by the thread under mu */
    int running; /* the thread exists */
} sink_worker;

/* Starts fn(arg) on a thread; 0 when it runs, -1 when no thread could be
 * had (the sink then works on the caller's thread). */
int sink_worker_start(sink_worker *w, void *(*fn)(void *), void *arg);
/* Asks the thread to stop once its queue is empty and joins it; nothing
 * when it does not run. */
void sink_worker_stop(sink_worker *w);

/* write(2) all of p, retrying on EINTR and short writes. */
int write_all(int fd, const void *p, size_t n);

#endif
