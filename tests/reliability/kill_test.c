/*
 * kill_test.c — crash safety: a recording process (the deterministic
 * recording of rec_common.h, ctrec_writer_flush every 100 steps, default
 * I/O and compression threads) is killed with SIGKILL at 20 random moments
 * per format. After each kill:
 *   - every event flushed before the kill (the child reports the count
 *     after each successful flush on a pipe) is read back by the reader,
 *     each exactly as recorded;
 *   - nothing after the damage is mistaken for an event: every event the
 *     reader returns is the recorded one, and the reader ends with an error
 *     (the trace was never closed), not a clean end;
 *   - the independent validators of validate.h accept what is on disk
 *     (complete lines / frames) and count no more events than the reader;
 *   - trace_paths.json and trace_metadata.json, when there, parse.
 *
 * With the ctrec tool given, each killed trace is then repaired (ctrec
 * repair) and must read back complete, with exactly the events that were
 * readable before, and pass ctrec check's trace_paths.json rule.
 *
 *   rel-kill WORKDIR [KILLS [CTREC]]   (seed: CTREC_KILL_SEED, default the time)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rec_common.h"

static int failures;
static const char *ctrec_tool;

static void record(const char *dir, ctrec_format fmt, int out_fd)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    o.copy_sources = 0;
    o.buffer_size = 16384;
    o.frame_size = 16384;
    ctrec_writer *w;
    if (ctrec_writer_open(dir, &o, &w) || rec_prelude(w)) _exit(3);
    char line[32];
    for (uint64_t i = 0;; i++) {
        if (rec_step(w, i)) _exit(4);
        if (i % 100 == 99) {
            if (ctrec_writer_flush(w)) _exit(5);
            int n = snprintf(line, sizeof line, "%llu\n",
                             (unsigned long long)ctrec_writer_event_count(w));
            if (write(out_fd, line, (size_t)n) != n) _exit(6);
            struct timespec ts = {0, 100000}; /* 0.1 ms: keep the files small */
            nanosleep(&ts, NULL);
        }
    }
}

static void one_kill(const char *workdir, ctrec_format fmt, int k, unsigned delay_us)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/kill-%s-%d", workdir, fmt == CTREC_FORMAT_BIN ? "bin" : "json", k);
    int fds[2];
    if (pipe(fds)) exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        record(dir, fmt, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    usleep(delay_us);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    uint64_t flushed = rec_last_flushed(fds[0]);
    const char *what = fmt == CTREC_FORMAT_BIN ? "bin" : "json";
    if (!WIFSIGNALED(status)) {
        printf("kill %s %2d: the recorder ended by itself (status 0x%x)\n", what, k, status);
        failures++;
        return;
    }
    rec_read rr;
    rec_read_back(dir, &rr);
    char vmsg[256] = "";
    int64_t valid = rec_validate(dir, fmt == CTREC_FORMAT_BIN, vmsg, sizeof vmsg);
    const char *verdict = "ok";
    if (!rr.opened && flushed) verdict = "cannot open a trace with flushed events";
    else if (rr.mismatch) verdict = "an event read back differs from the recording";
    else if (rr.events < flushed) verdict = "flushed events are missing";
    else if (rr.opened && (rr.status == CTREC_OK || rr.complete))
        verdict = "a killed recording reads as complete";
    else if (rr.opened && rr.status != CTREC_E_TRUNCATED && rr.status != CTREC_E_FORMAT)
        verdict = "unexpected error status";
    else if (valid < 0) verdict = "the file is not valid before the damage";
    else if ((uint64_t)valid < flushed) verdict = "the validator sees fewer events than were flushed";
    else if ((uint64_t)valid > rr.events) verdict = "the reader stops before the last complete event";
    /* side files are replaced atomically: if one is there, it parses */
    else if (!rec_json_file_ok(dir, "trace_paths.json", 1) || !rec_json_file_ok(dir, "trace_metadata.json", 1))
        verdict = "trace_paths.json or trace_metadata.json is not JSON";
    if (!strcmp(verdict, "ok") && ctrec_tool && rr.opened) {
        char cmd[8500];
        snprintf(cmd, sizeof cmd, "'%s' repair --no-backup '%s' >/dev/null", ctrec_tool, dir);
        rec_read fixed;
        if (system(cmd) != 0) {
            verdict = "ctrec repair failed";
        } else {
            rec_read_back(dir, &fixed);
            if (fixed.status != CTREC_OK || !fixed.complete || fixed.mismatch)
                verdict = "the repaired trace does not read back complete";
            else if (fixed.events != rr.events)
                verdict = "the repaired trace does not hold the events read before";
            snprintf(cmd, sizeof cmd, "'%s' check '%s' 2>&1 | grep -q paths-file", ctrec_tool, dir);
            if (!strcmp(verdict, "ok") && system(cmd) == 0)
                verdict = "the repaired trace_paths.json does not match the Path events";
        }
    }
    if (strcmp(verdict, "ok") != 0) failures++;
    printf("kill %-4s %2d after %6.1f ms: flushed %7llu, read %7llu, valid %7lld, %-17s %s\n", what,
           k, delay_us / 1000.0, (unsigned long long)flushed, (unsigned long long)rr.events,
           (long long)valid, ctrec_status_name(rr.status), verdict);
    if (strcmp(verdict, "ok") != 0) printf("    %s %s\n", rr.msg, vmsg);
    if (!strcmp(verdict, "ok")) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd)) {
        }
    }
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: rel-kill WORKDIR [KILLS [CTREC]]\n");
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "rel-kill: unknown option '%s'\nusage: rel-kill WORKDIR [KILLS [CTREC]]\n", argv[i]);
            return 2;
        }
    }
    if (argc < 2) {
        fprintf(stderr, "usage: rel-kill WORKDIR [KILLS [CTREC]]\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    int kills = argc > 2 ? atoi(argv[2]) : 20;
    ctrec_tool = argc > 3 ? argv[3] : NULL;
    const char *s = getenv("CTREC_KILL_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
    printf("CTREC_KILL_SEED=%u\n", seed);
    srand(seed);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int f = 0; f < 2; f++) {
        for (int k = 0; k < kills; k++) {
            /* 1 to 250 ms: from before the first flush to deep in the run */
            unsigned delay = 1000 + (unsigned)(rand() % 250000);
            one_kill(argv[1], f ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON, k, delay);
        }
    }
    printf("%s\n", failures ? "FAILED" : "every flushed event survived every kill");
    return failures ? 1 : 0;
}
