/*
 * zstd_sink.c — trace.bin: the 8-byte v1 header, then the zstd seekable
 * format: one independent frame per chunk the writer hands over (chunks end
 * on event boundaries), and at finish the seek table as a skippable frame.
 *
 * Threaded (zstd_sink_options.threaded), compression and the write run on a
 * background thread: the writer hands over its full buffer (take) and gets
 * an empty one back, without a copy. At most IN_FLIGHT (2) chunks wait for
 * or are in compression besides the one the writer is filling; take waits
 * when that many are queued, so memory stays bounded (4 buffers at most). flush and finish
 * wait until the thread has written every frame it was given, so an event
 * handed to the writer is on disk after ctrec_writer_flush or close, and a
 * reader of the growing file only ever sees whole frames follow each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "sink.h"
#include "util/buf.h"
#include "util/le.h"
#include "util/path.h"

#define SEEK_TABLE_MAGIC 0x184D2A5Eu
#define SEEKABLE_MAGIC 0x8F92EAB1u
#define IN_FLIGHT 2

static const uint8_t header_v1[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00};

typedef struct zstd_sink {
    sink base;
    int fd;
    ZSTD_CCtx *cctx;
    buf out;                /* compressed frame */
    uint32_t *entries;      /* compressed, decompressed size pairs */
    size_t nframes, cap;
    /* threaded mode: cctx, out, entries and fd belong to the thread while
     * it compresses, to the caller when the queue is empty and idle */
    sink_worker w;
    buf queue[IN_FLIGHT]; /* handed over, in order; queue[head] first */
    size_t head, nqueued; /* nqueued includes the chunk being compressed */
    buf spare[IN_FLIGHT + 1]; /* empty buffers to hand back */
    size_t nspare;
    err terr;     /* the thread's first error (status 0: none) */
} zstd_sink;

/* Compresses p[0..n) into frames and writes them. */
static ctrec_status compress_write(zstd_sink *z, const uint8_t *p, size_t n, err *e)
{
    while (n) {
        /* The seek table holds 32-bit sizes: split oversized chunks (only a
         * single enormous event makes one). */
        size_t part = n > (1u << 30) ? (1u << 30) : n;
        size_t bound = ZSTD_compressBound(part);
        z->out.len = 0;
        if (buf_reserve(&z->out, bound)) return err_set(e, CTREC_E_NOMEM, "out of memory");
        size_t c = ZSTD_compress2(z->cctx, z->out.data, bound, p, part);
        if (ZSTD_isError(c))
            return err_set(e, CTREC_E_IO, "zstd compression failed: %s", ZSTD_getErrorName(c));
        if (z->nframes == z->cap) {
            size_t cap = z->cap ? z->cap * 2 : 256;
            uint32_t *en = realloc(z->entries, cap * 2 * sizeof *en);
            if (!en) return err_set(e, CTREC_E_NOMEM, "out of memory");
            z->entries = en;
            z->cap = cap;
        }
        if (write_all(z->fd, z->out.data, c)) return err_sys(e, errno, "writing trace.bin");
        z->entries[2 * z->nframes] = (uint32_t)c;
        z->entries[2 * z->nframes + 1] = (uint32_t)part;
        z->nframes++;
        p += part;
        n -= part;
    }
    return CTREC_OK;
}

static void *compress_thread(void *arg)
{
    zstd_sink *z = arg;
    pthread_mutex_lock(&z->w.mu);
    for (;;) {
        while (!z->nqueued && !z->w.stop) pthread_cond_wait(&z->w.cv, &z->w.mu);
        if (!z->nqueued) break;
        buf *b = &z->queue[z->head];
        int failed = z->terr.status != CTREC_OK;
        pthread_mutex_unlock(&z->w.mu);
        err e = {0};
        ctrec_status st = failed ? CTREC_OK : compress_write(z, b->data, b->len, &e);
        pthread_mutex_lock(&z->w.mu);
        if (st && !z->terr.status) z->terr = e;
        b->len = 0;
        b->oom = 0;
        z->spare[z->nspare++] = *b;
        *b = (buf){0};
        z->head = (z->head + 1) % IN_FLIGHT;
        z->nqueued--;
        pthread_cond_broadcast(&z->w.cv);
    }
    pthread_mutex_unlock(&z->w.mu);
    return NULL;
}

/* Waits until the thread has written everything it was given; returns its
 * error (copied into *e). */
static ctrec_status wait_idle(zstd_sink *z, err *e)
{
    if (!z->w.running) return CTREC_OK;
    pthread_mutex_lock(&z->w.mu);
    while (z->nqueued) pthread_cond_wait(&z->w.cv, &z->w.mu);
    err t = z->terr;
    pthread_mutex_unlock(&z->w.mu);
    if (t.status) {
        *e = t;
        return t.status;
    }
    return CTREC_OK;
}

static ctrec_status zs_write(sink *s, const uint8_t *p, size_t n, err *e)
{
    zstd_sink *z = (zstd_sink *)s;
    ctrec_status st = wait_idle(z, e);
    if (st) return st;
    return compress_write(z, p, n, e);
}

static ctrec_status zs_take(sink *s, buf *b, err *e)
{
    zstd_sink *z = (zstd_sink *)s;
    if (!z->w.running) return compress_write(z, b->data, b->len, e);
    if (b->len == 0) return CTREC_OK;
    pthread_mutex_lock(&z->w.mu);
    while (z->nqueued == IN_FLIGHT) pthread_cond_wait(&z->w.cv, &z->w.mu);
    err t = z->terr;
    if (!t.status) {
        z->queue[(z->head + z->nqueued) % IN_FLIGHT] = *b;
        z->nqueued++;
        /* an empty buffer back: a spare one, or none yet (the writer
         * reserves its own) */
        *b = z->nspare ? z->spare[--z->nspare] : (buf){0};
        b->len = 0;
        b->oom = 0;
        pthread_cond_broadcast(&z->w.cv);
    }
    pthread_mutex_unlock(&z->w.mu);
    if (t.status) {
        *e = t;
        return t.status;
    }
    return CTREC_OK;
}

static ctrec_status zs_flush(sink *s, err *e)
{
    /* every chunk handed over becomes a complete frame on disk */
    return wait_idle((zstd_sink *)s, e);
}

static ctrec_status zs_finish(sink *s, err *e)
{
    zstd_sink *z = (zstd_sink *)s;
    ctrec_status st = wait_idle(z, e);
    sink_worker_stop(&z->w);
    if (st) return st;
    size_t n = z->nframes;
    size_t size = 8 * n + 9;
    uint8_t *t = malloc(size + 8);
    if (!t) return err_set(e, CTREC_E_NOMEM, "out of memory");
    store_le32(t, SEEK_TABLE_MAGIC);
    store_le32(t + 4, (uint32_t)size);
    for (size_t i = 0; i < n; i++) {
        store_le32(t + 8 + 8 * i, z->entries[2 * i]);
        store_le32(t + 12 + 8 * i, z->entries[2 * i + 1]);
    }
    store_le32(t + 8 + 8 * n, (uint32_t)n);
    t[12 + 8 * n] = 0;
    store_le32(t + 13 + 8 * n, SEEKABLE_MAGIC);
    int r = write_all(z->fd, t, size + 8);
    int en = errno;
    free(t);
    if (r) return err_sys(e, en, "writing the seek table of trace.bin");
    int fd = z->fd;
    z->fd = -1;
    if (close(fd)) return err_sys(e, errno, "closing trace.bin");
    return CTREC_OK;
}

static void zs_destroy(sink *s)
{
    zstd_sink *z = (zstd_sink *)s;
    sink_worker_stop(&z->w);
    if (z->fd >= 0) close(z->fd);
    ZSTD_freeCCtx(z->cctx);
    buf_free(&z->out);
    for (size_t i = 0; i < IN_FLIGHT; i++) buf_free(&z->queue[i]);
    for (size_t i = 0; i < z->nspare; i++) buf_free(&z->spare[i]);
    free(z->entries);
    free(z);
}

static const sink_ops zstd_ops = {zs_write, zs_flush, zs_finish, zs_destroy, NULL};
static const sink_ops zstd_threaded_ops = {zs_write, zs_flush, zs_finish, zs_destroy, zs_take};

ctrec_status zstd_sink_open(int dirfd, const char *name, const zstd_sink_options *o, sink **out,
                            err *e)
{
    zstd_sink *z = calloc(1, sizeof *z);
    if (!z) return err_set(e, CTREC_E_NOMEM, "out of memory");
    z->fd = -1;
    z->base.ops = &zstd_ops;
    z->cctx = ZSTD_createCCtx();
    if (!z->cctx) {
        zs_destroy(&z->base);
        return err_set(e, CTREC_E_NOMEM, "out of memory");
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, o->level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 0))) {
        zs_destroy(&z->base);
        return err_set(e, CTREC_E_ARG, "zstd level %d is not supported", o->level);
    }
    z->fd = path_create(dirfd, name, O_WRONLY | O_CLOEXEC, 0644);
    if (z->fd < 0 || write_all(z->fd, header_v1, sizeof header_v1)) {
        int en = errno;
        zs_destroy(&z->base);
        return err_sys(e, en, "creating %s", name);
    }
    /* without a thread, compress on the caller's thread instead */
    if (o->threaded && sink_worker_start(&z->w, compress_thread, z) == 0)
        z->base.ops = &zstd_threaded_ops;
    *out = &z->base;
    return CTREC_OK;
}
