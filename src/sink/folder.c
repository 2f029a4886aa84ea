#define _GNU_SOURCE
#include "folder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"

ctrec_status folder_open(const char *dir, int *dirfd, err *e)
{
    size_t n = strlen(dir);
    if (n == 0) return err_set(e, CTREC_E_ARG, "empty trace folder name");
    char *p = malloc(n + 1);
    if (!p) return err_set(e, CTREC_E_NOMEM, "out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            int en = errno;
            err_sys(e, en, "creating trace folder %s", p);
            free(p);
            return e->status;
        }
        p[i] = c;
    }
    free(p);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return err_sys(e, errno, "opening trace folder %s", dir);
    *dirfd = fd;
    return CTREC_OK;
}

ctrec_status folder_lock(int dirfd, const char *dir, int *lockfd, err *e)
{
    *lockfd = -1;
    int fd = openat(dirfd, FOLDER_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return err_sys(e, errno, "opening the lock file %s/" FOLDER_LOCK_NAME, dir);
    int r;
    while ((r = flock(fd, LOCK_EX | LOCK_NB)) && errno == EINTR) {
    }
    if (r) {
        int en = errno;
        if (en != EWOULDBLOCK) {
            close(fd);
            return err_sys(e, en, "locking %s/" FOLDER_LOCK_NAME, dir);
        }
        char pid[32] = "";
        ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
        close(fd);
        pid[k > 0 ? k : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        return err_set(e, CTREC_E_BUSY,
                       "trace folder %s is being written by another writer (process %s holds "
                       "%s/" FOLDER_LOCK_NAME "): two writers on one folder would destroy each "
                       "other's trace; close that writer or record into another folder",
                       dir, pid[0] ? pid : "?", dir);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    /* best effort: the pid only makes the message of a refused writer
     * clearer. Written over the last one, then cut to its length (a reader
     * takes the first line): truncating to 0 first cost about 0.4 ms when
     * recording into the folder again, ext4 writing the file back when it
     * is closed after a truncation to 0; a cut to the same length is none. */
    if (pwrite(fd, pid, (size_t)n, 0) == n && ftruncate(fd, n)) {
    }
    *lockfd = fd;
    return CTREC_OK;
}

int folder_lock_held(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int fd = openat(dfd, FOLDER_LOCK_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    close(dfd);
    if (fd < 0) return -1;
    int r;
    while ((r = flock(fd, LOCK_SH | LOCK_NB)) && errno == EINTR) {
    }
    int en = errno;
    close(fd); /* releases the shared lock just taken, if any */
    if (!r) return 0;
    return en == EWOULDBLOCK ? 1 : -1;
}

ctrec_status folder_write_file(int dirfd, const char *name, const void *data, size_t len,
                               err *e)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return err_sys(e, errno, "creating %s", name);
    if (write_all(fd, data, len)) {
        int en = errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        return err_sys(e, en, "writing %s", name);
    }
    if (close(fd)) {
        int en = errno;
        unlinkat(dirfd, tmp, 0);
        return err_sys(e, en, "writing %s", name);
    }
    if (renameat(dirfd, tmp, dirfd, name)) {
        int en = errno;
        unlinkat(dirfd, tmp, 0);
        return err_sys(e, en, "renaming %s", name);
    }
    return CTREC_OK;
}

/* Splits `p` into normalised components in `comp` (pointers into p, which is
 * modified). Returns the count, or -1 if a relative path climbs above its
 * start. */
static int normalise(char *p, int absolute, char **comp, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        if (!strcmp(c, "..")) {
            if (n > 0) n--;
            else if (!absolute) return -1;
            continue;
        }
        if (n == max) return -1;
        comp[n++] = c;
    }
    return n;
}

/* Opens (creating if needed) directory `name` under `parent` without
 * following a symlink. */
static int open_subdir(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT) return fd;
    if (mkdirat(parent, name, 0755) && errno != EEXIST) return -1;
    return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

ctrec_status folder_copy_source(int dirfd, const char *workdir, const char *raw, size_t raw_len,
                                const char *path, size_t len, int *copied, err *e)
{
    *copied = 0;
    if (len == 0 || raw_len == 0 || memchr(path, 0, len) || memchr(raw, 0, raw_len))
        return CTREC_OK;
    int absolute = path[0] == '/';
    size_t wl = strlen(workdir);
    char *src = malloc(wl + raw_len + 2);
    char *norm = malloc(len + 1);
    char **comp = malloc(sizeof(char *) * (len / 2 + 2));
    if (!src || !norm || !comp) {
        free(src);
        free(norm);
        free(comp);
        return err_set(e, CTREC_E_NOMEM, "out of memory");
    }
    if (absolute) {
        memcpy(src, raw, raw_len);
        src[raw_len] = 0;
    } else {
        memcpy(src, workdir, wl);
        src[wl] = '/';
        memcpy(src + wl + 1, raw, raw_len);
        src[wl + 1 + raw_len] = 0;
    }
    memcpy(norm, path, len);
    norm[len] = 0;
    int ncomp = normalise(norm, absolute, comp, (int)(len / 2 + 1));
    ctrec_status st = CTREC_OK;
    int in = -1, dir = -1, out = -1;
    if (ncomp <= 0) goto done; /* climbs out, or names no file */

    in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (in < 0) goto done;
    struct stat sb;
    if (fstat(in, &sb) || !S_ISREG(sb.st_mode)) goto done;

    dir = open_subdir(dirfd, "files");
    for (int i = 0; dir >= 0 && i < ncomp - 1; i++) {
        int next = open_subdir(dir, comp[i]);
        close(dir);
        dir = next;
    }
    if (dir < 0) {
        st = err_sys(e, errno, "creating the folder for files/%s", path);
        goto done;
    }
    out = openat(dir, comp[ncomp - 1], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                 0644);
    if (out < 0) {
        st = err_sys(e, errno, "creating the copy of %s", src);
        goto done;
    }
    char chunk[65536];
    for (;;) {
        ssize_t k = read(in, chunk, sizeof chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) goto done; /* unreadable source: a partial copy stays */
        if (k == 0) break;
        if (write_all(out, chunk, (size_t)k)) {
            st = err_sys(e, errno, "copying %s into the trace", src);
            goto done;
        }
    }
    *copied = 1;
done:
    if (in >= 0) close(in);
    if (dir >= 0) close(dir);
    if (out >= 0 && close(out) && st == CTREC_OK)
        st = err_sys(e, errno, "copying %s into the trace", src);
    free(src);
    free(norm);
    free(comp);
    return st;
}

void folder_uuid_v7(char out[37])
{
    uint8_t u[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    size_t got = 0;
    while (got < 10) {
        ssize_t k = getrandom(u + 6 + got, 10 - got, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    if (got < 10) { /* no entropy source: time and address mixing */
        uint64_t x = ms ^ (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)out;
        for (size_t i = got; i < 10; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            u[6 + i] = (uint8_t)x;
        }
    }
    for (int i = 0; i < 6; i++) u[i] = (uint8_t)(ms >> (40 - 8 * i));
    u[6] = (uint8_t)(0x70 | (u[6] & 0x0f));
    u[8] = (uint8_t)(0x80 | (u[8] & 0x3f));
    static const char hx[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hx[u[i] >> 4];
        *o++ = hx[u[i] & 15];
    }
    *o = 0;
}
