/*
 * test_lock.c — one writer per trace folder (issue 14, failure 5). A second
 * writer on a folder another writer holds (in this process or another) is
 * refused with CTREC_E_BUSY and a message naming the holder, and changes
 * nothing there (a bin writer no longer deletes a running json writer's
 * trace.json); the lock goes with close or with the holder's death;
 * ctrec_writer_active says so; `ctrec follow` stops waiting when the
 * recorder is killed, printing what it recorded.
 *
 *   writer_lock PYTHON PARSE_CHECK CTREC_TOOL
 */
#include <signal.h>
#include <time.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
}

/* A child recording into dir (json), a Step every 20 ms, each flushed.
 * Writes one byte to `ready` after its first flushed Step. */
static pid_t recorder(const char *dir)
{
    int p[2];
    if (pipe(p)) exit(2);
    pid_t pid = fork();
    if (pid < 0) exit(2);
    if (pid == 0) {
        close(p[0]);
        ctrec_writer_options o = test_options();
        ctrec_writer *w = NULL;
        if (ctrec_writer_open(dir, &o, &w) || ctrec_start(w, S("/rec.x"), 1)) _exit(3);
        for (int64_t i = 1;; i++) {
            if (ctrec_step(w, 0, i) || ctrec_writer_flush(w)) _exit(4);
            if (i == 1 && write(p[1], "r", 1) != 1) _exit(3);
            sleep_ms(20);
        }
    }
    close(p[1]);
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    close(p[0]);
    return pid;
}

static void kill_wait(pid_t pid)
{
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
}

static void same_process(const char *tmp)
{
    LOCAL_PATH(dir, "%s/same", tmp);
    ctrec_writer_options o = test_options();
    ctrec_writer *w1 = NULL, *w2 = NULL;
    CHECK_ST(ctrec_writer_active(dir), -1); /* no folder yet */
    CHECK_OK(ctrec_writer_open(dir, &o, &w1));
    CHECK_OK(ctrec_start(w1, S("/a.x"), 1));
    CHECK_ST(ctrec_writer_active(dir), 1);
    CHECK_ST(ctrec_writer_active(pathf("%s/trace.json", dir)), 1);
    o.format = CTREC_FORMAT_BIN;
    CHECK_ST(ctrec_writer_open(dir, &o, &w2), CTREC_E_BUSY);
    CHECK_HAS(ctrec_writer_errmsg(w2), pathf("trace folder %s is being written by another writer "
                                             "(process %ld holds %s/trace.lock)",
                                             dir, (long)getpid(), dir));
    CHECK_ST(ctrec_step(w2, 0, 1), CTREC_E_FAILED);
    CHECK_ST(ctrec_writer_close(w2), CTREC_E_BUSY);
    CHECK(path_exists(pathf("%s/trace.json", dir))); /* not removed by the bin writer */
    CHECK(!path_exists(pathf("%s/trace.bin", dir)));
    CHECK_OK(ctrec_step(w1, 0, 2));
    CHECK_OK(ctrec_writer_close(w1));
    CHECK_ST(ctrec_writer_active(dir), 0);
    static const char *const want[] = {
        "{\"Path\":\"/a.x\"}",
        "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Step\":{\"path_id\":0,\"line\":2}}",
    };
    CHECK_TRACE_JSON(dir, want, 5);
    /* free again: the next writer opens */
    CHECK_OK(ctrec_writer_open(dir, &o, &w2));
    CHECK_OK(ctrec_writer_close(w2));
    CHECK(path_exists(pathf("%s/trace.bin", dir)));
}

static void other_process(const char *tmp)
{
    LOCAL_PATH(dir, "%s/other", tmp);
    pid_t pid = recorder(dir);
    CHECK_ST(ctrec_writer_active(dir), 1);
    ctrec_writer_options o = test_options();
    o.format = CTREC_FORMAT_BIN;
    ctrec_writer *w = NULL;
    CHECK_ST(ctrec_writer_open(dir, &o, &w), CTREC_E_BUSY);
    CHECK_HAS(ctrec_writer_errmsg(w), pathf("(process %ld holds", (long)pid));
    ctrec_writer_close(w);
    CHECK(path_exists(pathf("%s/trace.json", dir)));
    kill_wait(pid);
    CHECK_ST(ctrec_writer_active(dir), 0); /* released by the kernel */
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_writer_close(w));
}

/* ctrec follow on a recording whose recorder is killed: it stops (exit 1,
 * "gone"), having printed the recorded events. */
static void follow_killed(const char *tmp, const char *tool)
{
    LOCAL_PATH(dir, "%s/follow", tmp);
    LOCAL_PATH(out, "%s/follow.out", tmp);
    LOCAL_PATH(errf, "%s/follow.err", tmp);
    pid_t rec = recorder(dir);
    pid_t f = fork();
    if (f == 0) {
        if (!freopen(out, "w", stdout) || !freopen(errf, "w", stderr)) _exit(5);
        execl(tool, tool, "follow", dir, (char *)NULL);
        _exit(6);
    }
    sleep_ms(300);
    kill_wait(rec);
    int status = 0, done = 0;
    for (int i = 0; i < 200 && !done; i++) { /* 10 s at most */
        done = waitpid(f, &status, WNOHANG) == f;
        if (!done) sleep_ms(50);
    }
    CHECK(done);
    if (!done) kill_wait(f);
    CHECK(done && WIFEXITED(status) && WEXITSTATUS(status) == 1);
    char *e = read_file(errf, NULL);
    CHECK_HAS(e, "is gone (no writer holds its trace.lock) and the trace is incomplete");
    free(e);
    char *o = read_file(out, NULL);
    CHECK_HAS(o, "{\"Step\":{\"path_id\":0,\"line\":1}}\n{\"Step\":{\"path_id\":0,\"line\":2}}\n");
    free(o);
    /* a trace closed normally: follow ends at once, exit 0 */
    LOCAL_PATH(dir2, "%s/follow2", tmp);
    ctrec_writer_options opt = test_options();
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir2, &opt, &w));
    CHECK_OK(ctrec_start(w, S("/b.x"), 1));
    CHECK_OK(ctrec_writer_close(w));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' follow --timeout 5000 '%s' >/dev/null", tool, dir2);
    CHECK(system(cmd) == 0);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    if (argc < 4) {
        fprintf(stderr, "usage: writer_lock PYTHON PARSE_CHECK CTREC_TOOL\n");
        return 2;
    }
    char tmp[64];
    make_tmpdir(tmp);
    CHECK_STR(ctrec_status_name(CTREC_E_BUSY), "CTREC_E_BUSY");
    same_process(tmp);
    other_process(tmp);
    follow_killed(tmp, argv[3]);
    rm_rf(tmp);
    return check_done("writer_lock");
}
