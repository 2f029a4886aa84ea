/*
 * file_sink.c — trace.json: bytes land in the file as given. Threaded, the
 * writes run on a background thread: the recording thread hands over a full
 * buffer and gets the thread's empty one back (no copy), so encoding and the
 * kernel's copy into the page cache overlap on two cores.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "sink.h"
#include "util/path.h"

typedef struct file_sink {
    sink base;
    int fd;
    const char *name;
    /* threaded mode */
    sink_worker w;
    buf pending;  /* handed over, not yet written (owned by the thread while busy) */
    int busy;     /* the thread is writing `pending` */
    int werr;     /* errno of the first failed write, 0 if none */
} file_sink;

int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t k = write(fd, q, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

static void *io_thread(void *arg)
{
    file_sink *f = arg;
    pthread_mutex_lock(&f->w.mu);
    for (;;) {
        while (!f->busy && !f->w.stop) pthread_cond_wait(&f->w.cv, &f->w.mu);
        if (!f->busy) break;
        pthread_mutex_unlock(&f->w.mu);
        int r = f->werr ? 0 : write_all(f->fd, f->pending.data, f->pending.len);
        int en = errno;
        pthread_mutex_lock(&f->w.mu);
        if (r && !f->werr) f->werr = en;
        f->pending.len = 0;
        f->busy = 0;
        pthread_cond_broadcast(&f->w.cv);
    }
    pthread_mutex_unlock(&f->w.mu);
    return NULL;
}

/* Waits until the thread has written everything; returns its error. */
static int wait_idle(file_sink *f)
{
    pthread_mutex_lock(&f->w.mu);
    while (f->busy) pthread_cond_wait(&f->w.cv, &f->w.mu);
    int en = f->werr;
    pthread_mutex_unlock(&f->w.mu);
    return en;
}

static ctrec_status fs_write(sink *s, const uint8_t *p, size_t n, err *e)
{
    file_sink *f = (file_sink *)s;
    if (f->w.running) {
        int en = wait_idle(f);
        if (en) return err_sys(e, en, "writing %s", f->name);
    }
    if (write_all(f->fd, p, n)) return err_sys(e, errno, "writing %s", f->name);
    return CTREC_OK;
}

static ctrec_status fs_take(sink *s, buf *b, err *e)
{
    file_sink *f = (file_sink *)s;
    if (!f->w.running) return fs_write(s, b->data, b->len, e);
    pthread_mutex_lock(&f->w.mu);
    while (f->busy) pthread_cond_wait(&f->w.cv, &f->w.mu);
    int en = f->werr;
    if (!en) {
        buf t = f->pending; /* empty, with the thread's storage */
        f->pending = *b;
        *b = t;
        b->len = 0;
        f->busy = 1;
        pthread_cond_broadcast(&f->w.cv);
    }
    pthread_mutex_unlock(&f->w.mu);
    if (en) return err_sys(e, en, "writing %s", f->name);
    return CTREC_OK;
}

static ctrec_status fs_flush(sink *s, err *e)
{
    file_sink *f = (file_sink *)s;
    if (f->w.running) {
        int en = wait_idle(f);
        if (en) return err_sys(e, en, "writing %s", f->name);
    }
    return CTREC_OK;
}

static ctrec_status fs_finish(sink *s, err *e)
{
    file_sink *f = (file_sink *)s;
    ctrec_status st = fs_flush(s, e);
    sink_worker_stop(&f->w);
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) && !st) st = err_sys(e, errno, "closing %s", f->name);
    return st;
}

static void fs_destroy(sink *s)
{
    file_sink *f = (file_sink *)s;
    sink_worker_stop(&f->w); /* writes what was handed over, then ends */
    if (f->fd >= 0) close(f->fd);
    buf_free(&f->pending);
    free(f);
}

static const sink_ops file_ops = {fs_write, fs_flush, fs_finish, fs_destroy, fs_take};

ctrec_status file_sink_open(int dirfd, const char *name, int threaded, sink **out, err *e)
{
    file_sink *f = calloc(1, sizeof *f);
    if (!f) return err_set(e, CTREC_E_NOMEM, "out of memory");
    f->fd = path_create(dirfd, name, O_WRONLY | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int en = errno;
        free(f);
        return err_sys(e, en, "creating %s", name);
    }
    f->base.ops = &file_ops;
    f->name = name;
    if (threaded) sink_worker_start(&f->w, io_thread, f); /* none to be had: synchronous */
    *out = &f->base;
    return CTREC_OK;
}
