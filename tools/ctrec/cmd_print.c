/*
 * cmd_print.c — `ctrec print` and `ctrec follow`: every event as one line of
 * JSON, spelled by the library's own encoder (ctrec_event_to_json).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char print_usage[] =
    "usage: ctrec print [--float-number] [--from-step N] [--count K]\n"
    "                   [--layout auto|streams|events-log] [--max-event BYTES] TRACE\n"
    "\n"
    "Prints every event of TRACE (a trace folder, trace.json, trace.bin or a .ct\n"
    "container) as one JSON object per line, spelled as the writer writes\n"
    "trace.json. A folder is read through its *.ct first, like the debugger does.\n"
    "What trace.json cannot hold (a step's column, Raise/Catch, a call's\n"
    "exception, Set/Enum/ValueRef values, the span stream's records, which come\n"
    "after the last step) is spelled as docs/ct.md says.\n"
    "\n"
    "  --float-number   floats as JSON numbers (\"f\": 2.5) instead of strings\n"
    "  --from-step N    start at step N (0-based; in a .ct's multi-stream layout a\n"
    "                   Raise, Catch or thread record counts as a step): that\n"
    "                   layout jumps there through its chunk indexes, the others\n"
    "                   read up to it; the definitions are printed only without\n"
    "                   this option\n"
    "  --count K        stop after K steps (with their values, calls and returns)\n"
    TOOL_LAYOUT_HELP
    TOOL_MAX_EVENT_HELP
    "\n"
    "Spellings the debugger's parser refuses but ctrec reads (a lone surrogate\n"
    "escape, bytes after the closing ']', ...) are printed as read, with one\n"
    "warning line on stderr; `ctrec check` refuses them.\n"
    "\n"
    "Exit status: 0 ok, 1 bad trace (the message names the event index or byte\n"
    "offset; the events before the damage are printed), 2 usage error.\n";

static const char follow_usage[] =
    "usage: ctrec follow [--float-number] [--timeout MS] [--poll MS]\n"
    "                    [--layout auto|streams|events-log] [--max-event BYTES] TRACE\n"
    "\n"
    "Prints the events of a recording while it is being written, one JSON object\n"
    "per line, as they reach the file. Stops when the recording is closed (JSON:\n"
    "the closing ']'; binary: the seek table), when its recorder is gone (no\n"
    "writer holds the folder's trace.lock any more: the process died or closed\n"
    "the trace; exit 1 if the trace is incomplete, see ctrec repair), on Ctrl-C,\n"
    "or after --timeout milliseconds without new data. Waits for TRACE to\n"
    "appear if needed.\n"
    "A .ct is followed as its recorder publishes the members' sizes; it has no\n"
    "end marker, so it is followed until its recorder is gone (exit 1 if it did\n"
    "not close the trace: its scratch file TRACE.calls~ is left), Ctrl-C or\n"
    "--timeout (then exit 0), and what the recorder published last is printed\n"
    "first.\n"
    "\n"
    "  --float-number   floats as JSON numbers\n"
    "  --timeout MS     give up after MS ms without new data (exit 1)\n"
    "  --poll MS        how often to look for new data (default 50)\n"
    TOOL_LAYOUT_HELP
    TOOL_MAX_EVENT_HELP
    "\n"
    "Exit status: 0 closed or interrupted, 1 bad trace or timeout, 2 usage error.\n";

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t recorder_gone;

/* ctrec follow: every poll interval, asks whether a writer still holds the
 * folder's lock; when none does at two polls in a row, stops the reader's
 * wait. (A writer creates the lock file, then locks it: once, in
 * make test, the follower looked in between, found the lock free and
 * stopped before the recording began.) */
typedef struct watch {
    const char *path;
    unsigned poll_ms;
} watch;

static void *watch_recorder(void *arg)
{
    const watch *wt = arg;
    struct timespec d = {(time_t)(wt->poll_ms / 1000), (long)(wt->poll_ms % 1000) * 1000000L};
    int free_polls = 0;
    while (!stop_flag) {
        nanosleep(&d, NULL);
        free_polls = ctrec_writer_active(wt->path) == 0 ? free_polls + 1 : 0;
        if (free_polls == 2) {
            recorder_gone = 1;
            stop_flag = 1;
        }
    }
    return NULL;
}

/* Prints the events of `path` after the first `skip` (without following);
 * returns 1 when the trace is complete, 0 when not, -1 on an output error. */
static int print_rest(const char *path, uint64_t skip, ctrec_float_encoding floats, char **line,
                      size_t *cap)
{
    ctrec_reader *r;
    if (ctrec_reader_open(path, NULL, &r) != CTREC_OK) {
        ctrec_reader_close(r);
        return 0;
    }
    const ctrec_ev *ev;
    size_t len;
    while (ctrec_reader_next(r, &ev) == CTREC_OK && ev) {
        if (ctrec_reader_event_count(r) <= skip) continue;
        if (ctrec_event_to_json(ev, floats, line, cap, &len)) break;
        (*line)[len] = '\n';
        fwrite(*line, 1, len + 1, stdout);
    }
    int complete = ctrec_reader_complete(r);
    ctrec_reader_close(r);
    return complete;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int parse_ms(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > 86400000ul) return -1;
    *out = (unsigned)v;
    return 0;
}

int cmd_print(int argc, char **argv, int follow)
{
    const char *usage = follow ? follow_usage : print_usage;
    ctrec_float_encoding floats = CTREC_FLOAT_STRING;
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    const char *path = NULL;
    unsigned long long from = 0, count = 0;
    int has_from = 0, has_count = 0;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(usage, 1);
        if (!strcmp(argv[i], "--float-number")) {
            floats = CTREC_FLOAT_NUMBER;
        } else if (!follow && (!strcmp(argv[i], "--from-step") || !strcmp(argv[i], "--count")) &&
                   i + 1 < argc) {
            int is_from = !strcmp(argv[i], "--from-step");
            char *end;
            const char *v = argv[++i];
            unsigned long long n = strtoull(v, &end, 10);
            if (!*v || *end || *v == '-') return tool_usage(usage, 0);
            if (is_from) {
                from = n;
                has_from = 1;
            } else {
                count = n;
                has_count = 1;
            }
        } else if (follow && !strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if (parse_ms(argv[++i], &o.follow_timeout_ms)) return tool_usage(usage, 0);
        } else if (follow && !strcmp(argv[i], "--poll") && i + 1 < argc) {
            if (parse_ms(argv[++i], &o.poll_ms) || o.poll_ms == 0) return tool_usage(usage, 0);
        } else if (!strcmp(argv[i], "--layout") && i + 1 < argc) {
            if (tool_parse_layout(argv[++i], &o.ct_layout)) return 2;
        } else if (!strcmp(argv[i], "--max-event") && i + 1 < argc) {
            if (tool_parse_bytes("--max-event", argv[++i], &o.max_event_bytes)) return 2;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ctrec: unknown option '%s'\n", argv[i]);
            return tool_usage(usage, 0);
        } else if (!path) {
            path = argv[i];
        } else {
            return tool_usage(usage, 0);
        }
    }
    if (!path) return tool_usage(usage, 0);
    if (follow) {
        o.follow = 1;
        o.stop = &stop_flag;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    watch wt = {path, o.poll_ms ? o.poll_ms : 50};
    pthread_t watcher;
    int watching = follow && pthread_create(&watcher, NULL, watch_recorder, &wt) == 0;
    ctrec_reader *r;
    if (ctrec_reader_open(path, &o, &r) != CTREC_OK) {
        tool_reader_error(r);
        ctrec_reader_close(r);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, len;
    const ctrec_ev *ev;
    ctrec_status st = CTREC_OK;
    int rc = 0;
    unsigned long long steps = 0; /* step-like events seen */
    /* the multi-stream layout: steps by their chunk indexes, and a Raise,
     * Catch or thread record is a step record */
    int streams = ctrec_reader_ct_layout(r) == CTREC_CT_LAYOUT_STREAMS;
    if (has_from && streams) {
        if ((st = ctrec_reader_seek_step(r, from)) != CTREC_OK) {
            tool_reader_error(r);
            ctrec_reader_close(r);
            return 1;
        }
        has_from = 0;
    }
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        int is_step = ev->type == CTREC_EV_STEP || ev->type == CTREC_EV_RAISE ||
                      ev->type == CTREC_EV_CATCH ||
                      (streams &&
                       (ev->type == CTREC_EV_THREAD_START || ev->type == CTREC_EV_THREAD_EXIT ||
                        ev->type == CTREC_EV_THREAD_SWITCH));
        if (is_step) steps++;
        if (has_from) { /* not the multi-stream layout: read up to the step */
            if (steps <= from) continue;
            has_from = 0;
            steps = 1;
        }
        if (has_count && is_step && steps > count) break;
        ctrec_status es = ctrec_event_to_json(ev, floats, &line, &cap, &len);
        if (es) {
            fprintf(stderr, "ctrec: %s: event %llu cannot be printed: %s\n",
                    ctrec_reader_trace_file(r),
                    (unsigned long long)(ctrec_reader_event_count(r) - 1), ctrec_status_name(es));
            rc = 1;
            break;
        }
        line[len] = '\n';
        fwrite(line, 1, len + 1, stdout);
        if (follow) fflush(stdout);
    }
    fflush(stdout);
    tool_warn_forgiven(r, ctrec_reader_trace_file(r));
    if (st) {
        tool_reader_error(r);
        rc = 1;
    }
    int complete = ctrec_reader_complete(r);
    uint64_t printed = ctrec_reader_event_count(r);
    /* A .ct's recorder leaves its scratch file beside it only when it did
     * not close the trace (ctrec.h, ctrec_ct_repair) */
    char *scratch = streams && follow
                        ? tool_with_suffix(ctrec_reader_trace_file(r), CTREC_CT_SCRATCH_SUFFIX)
                        : NULL;
    ctrec_reader_close(r);
    if (watching) {
        stop_flag = 1;
        pthread_join(watcher, NULL);
    }
    if (streams) {
        /* the reader took a last look when it saw the stop flag: what the
         * recorder published last is printed */
        struct stat sb;
        if (!st && !rc && recorder_gone && scratch && stat(scratch, &sb) == 0) {
            fprintf(stderr, "ctrec: the recorder of %s is gone (no writer holds its trace.lock) "
                    "without closing the trace (%s is there); `ctrec repair` completes it\n",
                    path, scratch);
            rc = 1;
        }
    } else if (!st && !rc && recorder_gone && !complete) {
        /* The last bytes may have landed after the reader's last look:
         * read the trace once more, as it now stays. */
        if (!print_rest(path, printed, floats, &line, &cap)) {
            fflush(stdout);
            fprintf(stderr, "ctrec: the recorder of %s is gone (no writer holds its trace.lock) "
                    "and the trace is incomplete; `ctrec repair` completes it\n", path);
            rc = 1;
        }
    }
    free(scratch);
    free(line);
    if (fflush(stdout)) {
        perror("ctrec: writing the output");
        rc = 1;
    }
    return rc;
}
