/*
 * sink.h — where encoded events go. The model layer hands a sink whole
 * events only (a chunk always ends on an event boundary), so a sink may cut
 * frames or flush at any chunk end.
 */
#ifndef CTREC_SINK_SINK_H
#define CTREC_SINK_SINK_H

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

/* write(2) all of p, retrying on EINTR and short writes. */
int write_all(int fd, const void *p, size_t n);

#endif
