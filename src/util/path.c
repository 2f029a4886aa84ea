/* path.c — see path.h. */
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

char *path_dir(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash) return strdup(".");
    size_t n = slash == file ? 1 : (size_t)(slash - file);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, file, n);
    d[n] = 0;
    return d;
}

int path_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int path_create(int dirfd, const char *name, int flags, mode_t mode)
{
    (void)unlinkat(dirfd, name, 0); /* any failure: openat's O_TRUNC does it */
    return openat(dirfd, name, flags | O_CREAT | O_TRUNC, mode);
}

/* Closes fd keeping errno; returns r. */
static int close_with(int fd, int r)
{
    int en = errno;
    close(fd);
    errno = en;
    return r;
}

int path_read(const char *path, size_t limit, char **out, size_t *len)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb)) return close_with(fd, -1);
    if ((uint64_t)sb.st_size > limit) {
        *len = (size_t)sb.st_size;
        return close_with(fd, 1);
    }
    /* one byte more than fstat said, to see the end without a second read
     * of a full buffer, and one for the NUL */
    size_t cap = (size_t)sb.st_size + 2, n = 0;
    char *d = malloc(cap);
    if (!d) return close_with(fd, -2);
    for (;;) {
        if (n + 1 == cap) { /* full: the file grew since fstat */
            if (n > limit) break;
            char *g = realloc(d, cap * 2);
            if (!g) {
                free(d);
                return close_with(fd, -2);
            }
            d = g, cap *= 2;
        }
        ssize_t k = read(fd, d + n, cap - 1 - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            free(d);
            return close_with(fd, -1);
        }
        if (k == 0) break;
        n += (size_t)k;
    }
    if (n > limit) {
        free(d);
        *len = n;
        return close_with(fd, 1);
    }
    close(fd);
    d[n] = 0;
    *out = d;
    *len = n;
    return 0;
}
