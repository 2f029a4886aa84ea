/*
 * kill_at_write.c — an LD_PRELOAD shim for crash_points.py: it counts the
 * process's pwrite() calls and, with CTREC_KILL_AT_WRITE=N, sends itself
 * SIGKILL just before the Nth one is made, as if the machine had killed
 * the recorder between two writes of the container. With
 * CTREC_WRITE_COUNT=FILE it writes the number of calls made to FILE at
 * exit (to learn how many points there are to kill at).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned long calls, kill_at;
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);

__attribute__((constructor)) static void init(void)
{
    const char *k = getenv("CTREC_KILL_AT_WRITE");
    kill_at = k ? strtoul(k, NULL, 10) : 0;
    void *sym = dlsym(RTLD_NEXT, "pwrite");
    memcpy(&real_pwrite, &sym, sizeof sym); /* ISO C has no cast to a function pointer */
}

__attribute__((destructor)) static void report(void)
{
    const char *f = getenv("CTREC_WRITE_COUNT");
    if (!f) return;
    FILE *o = fopen(f, "w");
    if (!o) return;
    fprintf(o, "%lu\n", calls);
    fclose(o);
}

static ssize_t counted(int fd, const void *p, size_t n, off_t off)
{
    if (++calls == kill_at) raise(SIGKILL);
    return real_pwrite(fd, p, n, off);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off) { return counted(fd, p, n, off); }
ssize_t pwrite64(int fd, const void *p, size_t n, off_t off) { return counted(fd, p, n, off); }
