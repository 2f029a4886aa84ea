/*
 * cmd_print.c — `ctrec print` and `ctrec follow`: every event as one line of
 * JSON, spelled by the library's own encoder (ctrec_event_to_json).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char print_usage[] =
    "usage: ctrec print [--float-number] [--from-step N] [--count K] TRACE\n"
    "\n"
    "Prints every event of TRACE (a trace folder, trace.json, trace.bin or a .ct\n"
    "container) as one JSON object per line, spelled as the writer writes\n"
    "trace.json. A folder is read through its *.ct first, like the debugger does.\n"
    "What trace.json cannot hold (a step's column, Raise/Catch, a call's\n"
    "exception, Set/Enum/ValueRef values) is spelled as docs/ct.md says.\n"
    "\n"
    "  --float-number   floats as JSON numbers (\"f\": 2.5) instead of strings\n"
    "  --from-step N    start at step N (0-based; in a .ct a Raise, Catch or\n"
    "                   thread record counts as a step): a .ct jumps there through\n"
    "                   its chunk indexes, other formats read up to it; the\n"
    "                   definitions are printed only without this option\n"
    "  --count K        stop after K steps (with their values, calls and returns)\n"
    "\n"
    "Exit status: 0 ok, 1 bad trace (the message names the event index or byte\n"
    "offset; the events before the damage are printed), 2 usage error.\n";

static const char follow_usage[] =
    "usage: ctrec follow [--float-number] [--timeout MS] [--poll MS] TRACE\n"
    "\n"
    "Prints the events of a recording while it is being written, one JSON object\n"
    "per line, as they reach the file. Stops when the recording is closed (JSON:\n"
    "the closing ']'; binary: the seek table), on Ctrl-C, or after --timeout\n"
    "milliseconds without new data. Waits for TRACE to appear if needed.\n"
    "A .ct is followed as its recorder publishes the members' sizes; it has no\n"
    "end marker, so it is followed until Ctrl-C or --timeout (then exit 0).\n"
    "\n"
    "  --float-number   floats as JSON numbers\n"
    "  --timeout MS     give up after MS ms without new data (exit 1)\n"
    "  --poll MS        how often to look for new data (default 50)\n"
    "\n"
    "Exit status: 0 closed or interrupted, 1 bad trace or timeout, 2 usage error.\n";

static volatile sig_atomic_t stop_flag;

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
    ctrec_reader *r;
    if (ctrec_reader_open(path, &o, &r) != CTREC_OK) {
        fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, len;
    const ctrec_ev *ev;
    ctrec_status st = CTREC_OK;
    int rc = 0;
    unsigned long long steps = 0; /* step-like events seen */
    if (has_from && ctrec_reader_format(r) == CTREC_FORMAT_CT) {
        if ((st = ctrec_reader_seek_step(r, from)) != CTREC_OK) {
            fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
            ctrec_reader_close(r);
            return 1;
        }
        has_from = 0;
    }
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        int is_step = ev->type == CTREC_EV_STEP || ev->type == CTREC_EV_RAISE ||
                      ev->type == CTREC_EV_CATCH ||
                      (ctrec_reader_format(r) == CTREC_FORMAT_CT &&
                       (ev->type == CTREC_EV_THREAD_START || ev->type == CTREC_EV_THREAD_EXIT ||
                        ev->type == CTREC_EV_THREAD_SWITCH));
        if (is_step) steps++;
        if (has_from) { /* not a .ct: read up to the step */
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
    if (st) {
        fflush(stdout);
        fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
        rc = 1;
    }
    free(line);
    ctrec_reader_close(r);
    if (fflush(stdout)) {
        perror("ctrec: writing the output");
        rc = 1;
    }
    return rc;
}
