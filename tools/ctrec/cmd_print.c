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
    "usage: ctrec print [--float-number] [--max-event BYTES] TRACE\n"
    "\n"
    "Prints every event of TRACE (a trace folder, trace.json or trace.bin) as one\n"
    "JSON object per line, spelled as the writer writes trace.json.\n"
    "\n"
    "  --float-number   floats as JSON numbers (\"f\": 2.5) instead of strings\n"
    TOOL_MAX_EVENT_HELP
    "\n"
    "Spellings the debugger's parser refuses but ctrec reads (a lone surrogate\n"
    "escape, bytes after the closing ']', ...) are printed as read, with one\n"
    "warning line on stderr; `ctrec check` refuses them.\n"
    "\n"
    "Exit status: 0 ok, 1 bad trace (the message names the event index or byte\n"
    "offset; the events before the damage are printed), 2 usage error.\n";

static const char follow_usage[] =
    "usage: ctrec follow [--float-number] [--timeout MS] [--poll MS] [--max-event BYTES] TRACE\n"
    "\n"
    "Prints the events of a recording while it is being written, one JSON object\n"
    "per line, as they reach the file. Stops when the recording is closed (JSON:\n"
    "the closing ']'; binary: the seek table), on Ctrl-C, or after --timeout\n"
    "milliseconds without new data. Waits for TRACE to appear if needed.\n"
    "\n"
    "  --float-number   floats as JSON numbers\n"
    "  --timeout MS     give up after MS ms without new data (exit 1)\n"
    "  --poll MS        how often to look for new data (default 50)\n"
    TOOL_MAX_EVENT_HELP
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
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(usage, 1);
        if (!strcmp(argv[i], "--float-number")) {
            floats = CTREC_FLOAT_NUMBER;
        } else if (follow && !strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if (parse_ms(argv[++i], &o.follow_timeout_ms)) return tool_usage(usage, 0);
        } else if (follow && !strcmp(argv[i], "--poll") && i + 1 < argc) {
            if (parse_ms(argv[++i], &o.poll_ms) || o.poll_ms == 0) return tool_usage(usage, 0);
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
    ctrec_reader *r;
    if (ctrec_reader_open(path, &o, &r) != CTREC_OK) {
        fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, len;
    const ctrec_ev *ev;
    ctrec_status st;
    int rc = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
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
