/*
 * test_timed_flush.c — a killed recording keeps its events (issue 14,
 * failure 4). A child records slowly with the default options (one Step
 * every 50 ms, its line the milliseconds since the start) and is killed
 * with SIGKILL after about 2 s. With the writer's flush thread
 * (flush_interval_ms, default 1000) the trace file then holds every Step
 * older than the interval; `ctrec repair` completes it. Both formats.
 * With flush_interval_ms 0 the same run leaves no event in the file (the
 * 256 KiB buffer never filled), which is what the option changes.
 *
 *   writer_timed_flush PYTHON PARSE_CHECK CTREC_TOOL
 */
#include <signal.h>
#include <time.h>

#include "check.h"
#include "ctrec/ctrec_reader.h"

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The child: records until killed. Writes one byte to `ready` once the
 * writer is open. */
static void child(const char *dir, ctrec_format fmt, unsigned interval, int ready)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.copy_sources = 0;
    o.format = fmt;
    o.flush_interval_ms = interval;
    ctrec_writer *w = NULL;
    if (ctrec_writer_open(dir, &o, &w) || ctrec_start(w, "/slow.x", 7, 1)) _exit(3);
    int64_t t0 = now_ms();
    if (write(ready, "r", 1) != 1) _exit(3);
    for (;;) {
        if (ctrec_step(w, 0, now_ms() - t0)) _exit(4);
        struct timespec d = {0, 50 * 1000000L};
        nanosleep(&d, NULL);
    }
}

/* Reads the trace: the number of Steps and the largest Step line (ms);
 * `complete` as the reader says. Returns the reader's final status. */
static ctrec_status scan(const char *dir, uint64_t *steps, int64_t *last, int *complete)
{
    *steps = 0;
    *last = -1;
    *complete = 0;
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(dir, NULL, &r);
    const ctrec_ev *ev = NULL;
    int64_t prev = -1;
    while (!st && (st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ev->type != CTREC_EV_STEP) continue;
        CHECK(ev->step.line >= prev); /* in order, none lost in between */
        prev = ev->step.line;
        (*steps)++;
        *last = ev->step.line;
    }
    *complete = r ? ctrec_reader_complete(r) : 0;
    ctrec_reader_close(r);
    return st;
}

static void run(const char *tmp, const char *tool, ctrec_format fmt, unsigned interval)
{
    LOCAL_PATH(dir, "%s/%s-%u", tmp, fmt == CTREC_FORMAT_BIN ? "bin" : "json", interval);
    int p[2];
    if (pipe(p)) {
        perror("pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        close(p[0]);
        child(dir, fmt, interval, p[1]);
    }
    close(p[1]);
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    close(p[0]);
    int64_t t0 = now_ms();
    struct timespec d = {2, 100 * 1000000L};
    nanosleep(&d, NULL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    int64_t alive = now_ms() - t0;
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    uint64_t steps;
    int64_t last;
    int complete;
    scan(dir, &steps, &last, &complete);
    CHECK(!complete);
    fprintf(stderr, "%s interval %u: killed after %lld ms, %llu steps on disk, the last at %lld ms\n",
            fmt == CTREC_FORMAT_BIN ? "bin" : "json", interval, (long long)alive,
            (unsigned long long)steps, (long long)last);
    if (interval == 0) {
        CHECK_U64(steps, 0); /* nothing before the buffer fills: the old default */
        return;
    }
    /* Every Step older than the interval (plus slack for a loaded machine)
     * is on disk: the last one on disk is at most interval + 600 ms before
     * the kill, and the child stepped every 50 ms. */
    CHECK(last >= alive - (int64_t)interval - 600);
    CHECK(steps >= (uint64_t)((alive - (int64_t)interval - 600) / 100));

    /* ctrec repair completes it, keeping those events */
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' repair '%s' >'%s.repair' 2>&1", tool, dir, dir);
    int rc = system(cmd);
    CHECK(rc == 0);
    if (rc) {
        char *out = read_file(pathf("%s.repair", dir), NULL);
        fprintf(stderr, "ctrec repair: %s\n", out ? out : "(no output)");
        free(out);
    }
    uint64_t steps2;
    int64_t last2;
    int complete2;
    CHECK_OK(scan(dir, &steps2, &last2, &complete2));
    CHECK(complete2);
    CHECK(steps2 >= steps);
    CHECK(last2 >= last);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    if (argc < 4) {
        fprintf(stderr, "usage: writer_timed_flush PYTHON PARSE_CHECK CTREC_TOOL\n");
        return 2;
    }
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    CHECK_U64(o.flush_interval_ms, 1000);
    char tmp[64];
    make_tmpdir(tmp);
    run(tmp, argv[3], CTREC_FORMAT_JSON, 1000);
    run(tmp, argv[3], CTREC_FORMAT_BIN, 1000);
    run(tmp, argv[3], CTREC_FORMAT_JSON, 0);
    run(tmp, argv[3], CTREC_FORMAT_BIN, 0);
    rm_rf(tmp);
    return check_done("writer_timed_flush");
}
