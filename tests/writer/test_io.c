/*
 * test_io.c — write failures: the documented status, a message naming the
 * file, a sticky CTREC_E_FAILED afterwards, and close() returning the first
 * error. RLIMIT_FSIZE runs in forked children (SIGXFSZ ignored); folder
 * failures use paths that fail even for root (a file where a folder is
 * expected, /proc), plus a read-only folder when not running as root.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* Runs fn(arg) in a child with RLIMIT_FSIZE = limit; CHECK that the child's
 * own checks all passed. */
static void in_child(void (*fn)(const char *), const char *arg, rlim_t limit, const char *what)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        check_failures = 0; /* the child reports only its own */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(99);
        fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(check_failures ? 1 : 0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stderr, "  child \"%s\" failed (status 0x%x)\n", what, status);
        check_failures++;
    }
    check_count++;
}

/* After a write failure: everything refused, the message kept. */
static void check_dead(ctrec_writer *w, const char *file)
{
    CHECK_ST(ctrec_step(w, 0, 1), CTREC_E_FAILED);
    CHECK_ST(ctrec_writer_status(w), CTREC_E_FAILED);
    CHECK_HAS(ctrec_writer_errmsg(w), file);
    CHECK_HAS(ctrec_writer_errmsg(w), "File too large");
    CHECK_ST(ctrec_begin_value(w, 0), CTREC_E_FAILED);
    CHECK_ST(ctrec_path_z(w, "/other", NULL), CTREC_E_FAILED);
    CHECK_ST(ctrec_variable_z(w, "other", NULL), CTREC_E_FAILED);
    CHECK_ST(ctrec_int(w, 1, 0), CTREC_E_FAILED);
    CHECK_ST(ctrec_writer_flush(w), CTREC_E_FAILED);
    CHECK_HAS(ctrec_writer_errmsg(w), file);
    CHECK_ST(ctrec_writer_close(w), CTREC_E_IO); /* the first error */
}

/* Events until a call fails; that call says CTREC_E_IO. */
static void fill_until_failure(ctrec_writer *w, const char *file)
{
    CHECK_OK(ctrec_start(w, S("/io.x"), 1));
    CHECK_OK(ctrec_variable_z(w, "s", NULL));
    ctrec_status st = CTREC_OK;
    int i;
    char junk[200];
    for (i = 0; i < 200000 && st == CTREC_OK; i++) {
        if (i % 2) {
            st = ctrec_step(w, 0, i);
        } else {
            for (size_t k = 0; k < sizeof junk; k++) junk[k] = (char)('!' + (i * 31 + (int)k * 7) % 90);
            if (!(st = ctrec_begin_value(w, 0)) && !(st = ctrec_string(w, junk, sizeof junk, 0)))
                st = ctrec_end(w);
        }
    }
    CHECK_ST(st, CTREC_E_IO);
    CHECK(i < 200000);
    CHECK_ST(ctrec_writer_status(w), CTREC_E_IO);
    CHECK_HAS(ctrec_writer_errmsg(w), file);
    check_dead(w, file);
}

static void child_json_events(const char *dir)
{
    ctrec_writer_options o = test_options();
    o.buffer_size = 1024;
    o.io_thread = strstr(dir, "sync") == NULL;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    fill_until_failure(w, "writing trace.json");
}

static void child_bin_events(const char *dir)
{
    ctrec_writer_options o = test_options();
    o.format = CTREC_FORMAT_BIN;
    o.frame_size = 1024;
    o.zstd_level = 1;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    fill_until_failure(w, "trace.bin");
}

/* The events fit the buffer: the failure shows at flush. */
static void child_json_flush(const char *dir)
{
    ctrec_writer *w = NULL;
    ctrec_writer_options o = test_options();
    o.io_thread = strstr(dir, "sync") == NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/io.x"), 1));
    for (int i = 0; i < 300; i++) CHECK_OK(ctrec_step(w, 0, i));
    CHECK_ST(ctrec_writer_flush(w), CTREC_E_IO);
    CHECK_HAS(ctrec_writer_errmsg(w), "writing trace.json: File too large");
    check_dead(w, "trace.json");
}

/* ... or at close */
static void child_json_close(const char *dir)
{
    ctrec_writer *w = NULL;
    ctrec_writer_options o = test_options();
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/io.x"), 1));
    for (int i = 0; i < 300; i++) CHECK_OK(ctrec_step(w, 0, i));
    CHECK_ST(ctrec_writer_close(w), CTREC_E_IO);
}

/* A failed open: the handle exists, explains, refuses, and close releases it
 * returning the open's status. */
static void check_open_fails(const char *dir, int format, ctrec_status want, const char *needle)
{
    ctrec_writer_options o = test_options();
    o.format = (ctrec_format)format;
    ctrec_writer *w = NULL;
    CHECK_ST(ctrec_writer_open(dir, &o, &w), want);
    CHECK(w != NULL);
    if (!w) return;
    CHECK_ST(ctrec_writer_status(w), want);
    CHECK_HAS(ctrec_writer_errmsg(w), needle);
    CHECK_ST(ctrec_start(w, S("/x"), 1), CTREC_E_FAILED);
    CHECK_ST(ctrec_step(w, 0, 1), CTREC_E_FAILED);
    CHECK_ST(ctrec_writer_flush(w), CTREC_E_FAILED);
    CHECK_HAS(ctrec_writer_errmsg(w), needle); /* the reason stays */
    CHECK_U64(ctrec_writer_event_count(w), 0);
    CHECK_ST(ctrec_writer_close(w), want);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);

    /* (a) RLIMIT_FSIZE */
    LOCAL_PATH(d1, "%s/fsize-json", tmp);
    in_child(child_json_events, d1, 16384, "json events");
    struct stat sb;
    CHECK(stat(pathf("%s/trace.json", d1), &sb) == 0 && sb.st_size <= 16384);
    LOCAL_PATH(d1s, "%s/fsize-json-sync", tmp); /* io_thread = 0 */
    in_child(child_json_events, d1s, 16384, "json events, no I/O thread");
    LOCAL_PATH(d3s, "%s/fsize-flush-sync", tmp);
    in_child(child_json_flush, d3s, 4096, "json flush, no I/O thread");
    LOCAL_PATH(d2, "%s/fsize-bin", tmp);
    in_child(child_bin_events, d2, 16384, "bin events");
    LOCAL_PATH(d3, "%s/fsize-flush", tmp);
    in_child(child_json_flush, d3, 4096, "json flush");
    LOCAL_PATH(d4, "%s/fsize-close", tmp);
    in_child(child_json_close, d4, 4096, "json close");

    /* (b) folders that cannot be written */
    LOCAL_PATH(afile, "%s/afile", tmp);
    CHECK(write_text_file(afile, "not a folder\n") == 0);
    check_open_fails(pathf("%s/trace", afile), 0, CTREC_E_IO,
                     pathf("creating trace folder %s/trace: Not a directory", afile));
    check_open_fails(afile, 0, CTREC_E_IO,
                     pathf("opening trace folder %s: Not a directory", afile));
    check_open_fails("/proc/ctrec-writer-test/trace", 0, CTREC_E_IO,
                     "creating trace folder /proc/ctrec-writer-test");
    check_open_fails(NULL, 0, CTREC_E_ARG, "no trace folder given");
    check_open_fails("", 0, CTREC_E_ARG, "empty trace folder name");

    LOCAL_PATH(tj, "%s/tj", tmp); /* trace.json is a folder */
    CHECK(mkdir(tj, 0755) == 0 && mkdir(pathf("%s/trace.json", tj), 0755) == 0);
    check_open_fails(tj, 0, CTREC_E_IO, "creating trace.json: Is a directory");
    LOCAL_PATH(tb, "%s/tb", tmp); /* trace.bin is a folder */
    CHECK(mkdir(tb, 0755) == 0 && mkdir(pathf("%s/trace.bin", tb), 0755) == 0);
    check_open_fails(tb, 1, CTREC_E_IO, "creating trace.bin: Is a directory");
    LOCAL_PATH(tm, "%s/tm", tmp); /* trace_metadata.json is a non-empty folder */
    CHECK(mkdir(tm, 0755) == 0 && mkdir(pathf("%s/trace_metadata.json", tm), 0755) == 0);
    CHECK(write_text_file(pathf("%s/trace_metadata.json/x", tm), "x") == 0);
    check_open_fails(tm, 0, CTREC_E_IO, "renaming trace_metadata.json: Is a directory");
    CHECK(!path_exists(pathf("%s/.trace_metadata.json.tmp", tm))); /* cleaned up */

    /* trace_paths.json cannot be replaced: flush and close report it */
    LOCAL_PATH(tp, "%s/tp", tmp);
    ctrec_writer *w = NULL;
    ctrec_writer_options o = test_options();
    CHECK_OK(ctrec_writer_open(tp, &o, &w));
    CHECK(unlink(pathf("%s/trace_paths.json", tp)) == 0);
    CHECK(mkdir(pathf("%s/trace_paths.json", tp), 0755) == 0);
    CHECK(write_text_file(pathf("%s/trace_paths.json/x", tp), "x") == 0);
    CHECK_OK(ctrec_start(w, S("/p.x"), 1));
    CHECK_ST(ctrec_writer_flush(w), CTREC_E_IO);
    CHECK_HAS(ctrec_writer_errmsg(w), "renaming trace_paths.json: Is a directory");
    CHECK_ST(ctrec_step(w, 0, 1), CTREC_E_FAILED);
    CHECK_HAS(ctrec_writer_errmsg(w), "trace_paths.json");
    CHECK_ST(ctrec_writer_close(w), CTREC_E_IO);
    LOCAL_PATH(tp2, "%s/tp2", tmp); /* the same at close */
    CHECK_OK(ctrec_writer_open(tp2, &o, &w));
    CHECK(unlink(pathf("%s/trace_paths.json", tp2)) == 0);
    CHECK(mkdir(pathf("%s/trace_paths.json", tp2), 0755) == 0);
    CHECK(write_text_file(pathf("%s/trace_paths.json/x", tp2), "x") == 0);
    CHECK_OK(ctrec_start(w, S("/p.x"), 1));
    CHECK_ST(ctrec_writer_close(w), CTREC_E_IO);

    /* a read-only folder, unless we are root (root writes there anyway) */
    LOCAL_PATH(ro, "%s/ro", tmp);
    CHECK(mkdir(ro, 0755) == 0 && chmod(ro, 0555) == 0);
    int fd = open(pathf("%s/probe", ro), O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) {
        close(fd);
        printf("read-only folder sub-check skipped: running with permission to write there "
               "(uid %d)\n", (int)getuid());
    } else {
        check_open_fails(pathf("%s/sub", ro), 0, CTREC_E_IO,
                         pathf("creating trace folder %s/sub: Permission denied", ro));
        check_open_fails(ro, 0, CTREC_E_IO, "/trace.lock: Permission denied" /* the first file it writes */);
    }

    rm_rf(tmp);
    return check_done("writer_io");
}
