/*
 * zstd_sink.c — trace.bin: the 8-byte v1 header, then the zstd seekable
 * format: one independent frame per chunk the writer hands over (chunks end
 * on event boundaries), and at finish the seek table as a skippable frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "sink.h"
#include "util/buf.h"

#define SEEK_TABLE_MAGIC 0x184D2A5Eu
#define SEEKABLE_MAGIC 0x8F92EAB1u

static const uint8_t header_v1[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00};

typedef struct zstd_sink {
    sink base;
    int fd;
    ZSTD_CCtx *cctx;
    buf out;                /* compressed frame */
    uint32_t *entries;      /* compressed, decompressed size pairs */
    size_t nframes, cap;
} zstd_sink;

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static ctrec_status zs_write(sink *s, const uint8_t *p, size_t n, err *e)
{
    zstd_sink *z = (zstd_sink *)s;
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
        if (write_all(z->fd, z->out.data, c)) return err_sys(e, errno, "writing trace.bin");
        if (z->nframes == z->cap) {
            size_t cap = z->cap ? z->cap * 2 : 256;
            uint32_t *en = realloc(z->entries, cap * 2 * sizeof *en);
            if (!en) return err_set(e, CTREC_E_NOMEM, "out of memory");
            z->entries = en;
            z->cap = cap;
        }
        z->entries[2 * z->nframes] = (uint32_t)c;
        z->entries[2 * z->nframes + 1] = (uint32_t)part;
        z->nframes++;
        p += part;
        n -= part;
    }
    return CTREC_OK;
}

static ctrec_status zs_flush(sink *s, err *e)
{
    (void)s;
    (void)e;
    return CTREC_OK; /* every chunk is already a complete frame on disk */
}

static ctrec_status zs_finish(sink *s, err *e)
{
    zstd_sink *z = (zstd_sink *)s;
    size_t n = z->nframes;
    size_t size = 8 * n + 9;
    uint8_t *t = malloc(size + 8);
    if (!t) return err_set(e, CTREC_E_NOMEM, "out of memory");
    put_le32(t, SEEK_TABLE_MAGIC);
    put_le32(t + 4, (uint32_t)size);
    for (size_t i = 0; i < n; i++) {
        put_le32(t + 8 + 8 * i, z->entries[2 * i]);
        put_le32(t + 12 + 8 * i, z->entries[2 * i + 1]);
    }
    put_le32(t + 8 + 8 * n, (uint32_t)n);
    t[12 + 8 * n] = 0;
    put_le32(t + 13 + 8 * n, SEEKABLE_MAGIC);
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
    if (z->fd >= 0) close(z->fd);
    ZSTD_freeCCtx(z->cctx);
    buf_free(&z->out);
    free(z->entries);
    free(z);
}

static const sink_ops zstd_ops = {zs_write, zs_flush, zs_finish, zs_destroy, NULL};

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
    z->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (z->fd < 0 || write_all(z->fd, header_v1, sizeof header_v1)) {
        int en = errno;
        zs_destroy(&z->base);
        return err_sys(e, en, "creating %s", name);
    }
    *out = &z->base;
    return CTREC_OK;
}
