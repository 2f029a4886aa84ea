#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "sink.h"

typedef struct file_sink {
    sink base;
    int fd;
    const char *name;
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

static ctrec_status fs_write(sink *s, const uint8_t *p, size_t n, err *e)
{
    file_sink *f = (file_sink *)s;
    if (write_all(f->fd, p, n)) return err_sys(e, errno, "writing %s", f->name);
    return CTREC_OK;
}

static ctrec_status fs_flush(sink *s, err *e)
{
    (void)s;
    (void)e;
    return CTREC_OK; /* write(2) already made the bytes visible */
}

static ctrec_status fs_finish(sink *s, err *e)
{
    file_sink *f = (file_sink *)s;
    int fd = f->fd;
    f->fd = -1;
    if (close(fd)) return err_sys(e, errno, "closing %s", f->name);
    return CTREC_OK;
}

static void fs_destroy(sink *s)
{
    file_sink *f = (file_sink *)s;
    if (f->fd >= 0) close(f->fd);
    free(f);
}

static const sink_ops file_ops = {fs_write, fs_flush, fs_finish, fs_destroy};

ctrec_status file_sink_open(int dirfd, const char *name, sink **out, err *e)
{
    file_sink *f = calloc(1, sizeof *f);
    if (!f) return err_set(e, CTREC_E_NOMEM, "out of memory");
    f->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int en = errno;
        free(f);
        return err_sys(e, en, "creating %s", name);
    }
    f->base.ops = &file_ops;
    f->name = name;
    *out = &f->base;
    return CTREC_OK;
}
