/*
 * diskfull.c — the disk fills up during a recording. The recorder (the
 * deterministic recording of rec_common.h, a flush every 50 steps) runs in
 * a child, in each format, with and without the writer's background
 * thread, until the file system refuses a write:
 *   - the first failing call returns CTREC_E_IO with a message;
 *   - the program goes on: 2000 more calls all return CTREC_E_FAILED (no
 *     crash, no hang), and ctrec_writer_close() returns CTREC_E_IO;
 *   - what was written before stays readable: the reader returns at least
 *     every flushed event, each exactly as recorded, then an error; the
 *     independent validators accept the file up to the damage; the
 *     metadata and paths files still parse.
 *
 *   rel-diskfull fsize WORKDIR   RLIMIT_FSIZE of 1 MiB, SIGXFSZ ignored
 *   rel-diskfull tmpfs WORKDIR   a 1 MiB tmpfs mounted in a private mount
 *                                namespace (needs root); exits 77 (skipped)
 *                                when it cannot be mounted
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rec_common.h"

#define LIMIT (1u << 20)

static int failures;

/* exit codes of the recorder */
enum { REC_DONE = 0, REC_OPEN = 10, REC_FIRST, REC_LATER, REC_CLOSE, REC_NEVER, REC_MSG };

static void recorder(const char *dir, ctrec_format fmt, int threads, int fsize, int out_fd)
{
    if (fsize) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {LIMIT, LIMIT};
        if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(2);
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    o.copy_sources = 0;
    o.io_thread = threads;
    o.compress_thread = threads;
    o.buffer_size = 4096;
    o.frame_size = 4096;
    o.zstd_level = 1;
    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) || rec_prelude(w)) _exit(REC_OPEN);
    ctrec_status first = CTREC_OK;
    char line[32];
    /* bin compresses ~20x: allow enough steps to pass the limit */
    for (uint64_t i = 0; i < 20000000; i++) {
        ctrec_status st = rec_step(w, i);
        if (!st && i % 50 == 49) {
            st = ctrec_writer_flush(w);
            if (!st) {
                int n = snprintf(line, sizeof line, "%llu\n",
                                 (unsigned long long)ctrec_writer_event_count(w));
                if (write(out_fd, line, (size_t)n) != n) _exit(2);
            }
        }
        if (st) {
            first = st;
            break;
        }
    }
    if (first == CTREC_OK) _exit(REC_NEVER);
    if (first != CTREC_E_IO) {
        fprintf(stderr, "first failure: %s: %s\n", ctrec_status_name(first), ctrec_writer_errmsg(w));
        _exit(REC_FIRST);
    }
    if (!ctrec_writer_errmsg(w)[0]) _exit(REC_MSG);
    fprintf(stderr, "    first failure: %s\n", ctrec_writer_errmsg(w));
    /* the program goes on */
    for (uint64_t i = 0; i < 2000; i++) {
        ctrec_status st = i % 10 == 9 ? ctrec_writer_flush(w) : rec_step(w, 1000000 + i);
        if (st != CTREC_E_FAILED) {
            fprintf(stderr, "call %llu after the failure: %s\n", (unsigned long long)i,
                    ctrec_status_name(st));
            _exit(REC_LATER);
        }
    }
    ctrec_status st = ctrec_writer_close(w);
    if (st != CTREC_E_IO) {
        fprintf(stderr, "close: %s\n", ctrec_status_name(st));
        _exit(REC_CLOSE);
    }
    _exit(REC_DONE);
}

static void variant(const char *base, ctrec_format fmt, int threads, int fsize)
{
    const char *what = fmt == CTREC_FORMAT_BIN ? "bin" : "json";
    char dir[4200];
    snprintf(dir, sizeof dir, "%.4000s/full-%s-%s", base, what, threads ? "threads" : "nothreads");
    int fds[2];
    if (pipe(fds)) exit(2);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        recorder(dir, fmt, threads, fsize, fds[1]);
    }
    close(fds[1]);
    uint64_t flushed = rec_last_flushed(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    rec_read rr;
    rec_read_back(dir, &rr);
    char vmsg[256] = "";
    int64_t valid = rec_validate(dir, fmt == CTREC_FORMAT_BIN, vmsg, sizeof vmsg);
    const char *verdict = "ok";
    if (WIFSIGNALED(status)) verdict = "the recorder was killed by a signal";
    else if (WEXITSTATUS(status) == REC_NEVER) verdict = "the writer never failed";
    else if (WEXITSTATUS(status) != REC_DONE) verdict = "the writer's statuses are wrong (see above)";
    else if (!rr.opened) verdict = "the trace cannot be opened";
    else if (rr.mismatch) verdict = "an event read back differs from the recording";
    else if (rr.events < flushed) verdict = "flushed events are missing";
    else if (rr.status == CTREC_OK) verdict = "the damaged trace reads as complete";
    else if (valid < 0) verdict = "the file is not valid before the damage";
    else if ((uint64_t)valid < flushed) verdict = "the validator sees fewer events than were flushed";
    else if (!rec_json_file_ok(dir, "trace_metadata.json", 0)) verdict = "trace_metadata.json broken";
    else if (!rec_json_file_ok(dir, "trace_paths.json", 0)) verdict = "trace_paths.json broken";
    if (strcmp(verdict, "ok") != 0) failures++;
    printf("%-4s %-9s flushed %7llu, read %7llu, valid %7lld, then %-17s %s\n", what,
           threads ? "threads" : "no thread", (unsigned long long)flushed,
           (unsigned long long)rr.events, (long long)valid, ctrec_status_name(rr.status), verdict);
    if (strcmp(verdict, "ok") != 0) printf("    %s %s\n", rr.msg, vmsg);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {
    }
}

static void all_variants(const char *base, int fsize)
{
    for (int f = 0; f < 2; f++)
        for (int t = 0; t < 2; t++)
            variant(base, f ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON, t, fsize);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rel-diskfull fsize|tmpfs WORKDIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mkdir(argv[2], 0755);
    if (!strcmp(argv[1], "fsize")) {
        printf("RLIMIT_FSIZE %u bytes, SIGXFSZ ignored\n", LIMIT);
        all_variants(argv[2], 1);
    } else {
        /* a private mount namespace: the mount vanishes with this process */
        if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
            printf("skipped: cannot make a private mount namespace (%s)\n", strerror(errno));
            return 77;
        }
        char mnt[4200];
        snprintf(mnt, sizeof mnt, "%.4000s/tmpfs", argv[2]);
        mkdir(mnt, 0755);
        if (mount("ctrec-test", mnt, "tmpfs", 0, "size=1m")) {
            printf("skipped: cannot mount a tmpfs (%s)\n", strerror(errno));
            return 77;
        }
        printf("tmpfs of 1 MiB at %s\n", mnt);
        all_variants(mnt, 0);
        umount(mnt);
    }
    printf("%s\n", failures ? "FAILED" : "a full disk gives CTREC_E_IO, then CTREC_E_FAILED, and "
                                         "leaves a readable trace");
    return failures ? 1 : 0;
}
