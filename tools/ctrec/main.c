/*
 * main.c — `ctrec COMMAND ...`: dispatch and the shared helpers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char usage_text[] =
    "usage: ctrec COMMAND [OPTIONS] ...\n"
    "\n"
    "Commands:\n"
    "  print TRACE          print the events, one JSON object per line\n"
    "  follow TRACE         print the events of a recording as they arrive\n"
    "  convert IN OUT       convert a trace to trace.json or trace.bin\n"
    "  stats TRACE          event counts, calls, depth, sizes\n"
    "  repair TRACE         complete a trace whose recording was killed\n"
    "  check TRACE          will the CodeTracer debugger load this trace?\n"
    "  ls TRACE.ct          the members of a .ct container and their sizes\n"
    "  cat TRACE.ct MEMBER  write one member of a .ct container to stdout\n"
    "  step-map TRACE.ct [PATH_ID:LINE...]  the breakpoint index step-map.ns\n"
    "\n"
    "TRACE is a trace folder, a trace.json, a trace.bin or a .ct container (the\n"
    "format is detected from the content; a folder is read through its *.ct\n"
    "first, then trace.json, then trace.bin, as the debugger does).\n"
    "`ctrec COMMAND --help` describes a command.\n"
    "Exit status: 0 ok, 1 bad trace, 2 usage error.\n";

int tool_is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

int tool_parse_bytes(const char *opt, const char *text, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = text && *text >= '0' && *text <= '9' ? strtoull(text, &end, 10) : 0;
    unsigned shift = 0;
    if (end && (*end == 'K' || *end == 'k')) shift = 10, end++;
    else if (end && (*end == 'M' || *end == 'm')) shift = 20, end++;
    else if (end && (*end == 'G' || *end == 'g')) shift = 30, end++;
    if (!end || *end || errno || v == 0 || v > (SIZE_MAX >> shift)) {
        fprintf(stderr, "ctrec: %s takes a positive byte count (K, M, G suffixes), not '%s'\n",
                opt, text ? text : "");
        return -1;
    }
    *out = (size_t)(v << shift);
    return 0;
}

int tool_parse_layout(const char *text, int *out)
{
    if (text && !strcmp(text, "auto")) *out = CTREC_CT_LAYOUT_AUTO;
    else if (text && !strcmp(text, "streams")) *out = CTREC_CT_LAYOUT_STREAMS;
    else if (text && !strcmp(text, "events-log")) *out = CTREC_CT_LAYOUT_EVENTS_LOG;
    else {
        fprintf(stderr, "ctrec: --layout takes auto, streams or events-log, not '%s'\n",
                text ? text : "");
        return -1;
    }
    return 0;
}

char *tool_with_suffix(const char *file, const char *suffix)
{
    size_t n = strlen(file) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", file, suffix);
    return p;
}

const char *tool_layout_name(int layout)
{
    return layout == CTREC_CT_LAYOUT_STREAMS      ? "multi-stream"
           : layout == CTREC_CT_LAYOUT_EVENTS_LOG ? "events.log"
                                                  : "none";
}

void tool_warn_forgiven(const struct ctrec_reader *r, const char *trace)
{
    uint64_t n, at;
    const char *what = ctrec_reader_forgiven(r, &n, &at);
    if (n)
        fprintf(stderr,
                "ctrec: warning: %s: forgave %llu spelling%s the debugger's parser refuses, the "
                "first in event %llu: %s (ctrec check refuses the trace)\n",
                trace, (unsigned long long)n, n == 1 ? "" : "s", (unsigned long long)at, what);
}

void tool_reader_error(const struct ctrec_reader *r)
{
    fprintf(stderr, "ctrec: %s\n", ctrec_reader_errmsg(r));
    if (ctrec_reader_event_too_large(r))
        fprintf(stderr, "ctrec: the --max-event bound stopped the read, not damage: the trace may "
                        "be fine, and a larger --max-event reads on\n");
}

int tool_usage(const char *text, int help)
{
    fputs(text, help ? stdout : stderr);
    return help ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return tool_usage(usage_text, 0);
    const char *cmd = argv[1];
    if (tool_is_help(cmd) || !strcmp(cmd, "help")) return tool_usage(usage_text, 1);
    if (!strcmp(cmd, "--version")) {
        printf("ctrec %s\n", ctrec_version());
        return 0;
    }
    if (!strcmp(cmd, "print")) return cmd_print(argc - 1, argv + 1, 0);
    if (!strcmp(cmd, "follow")) return cmd_print(argc - 1, argv + 1, 1);
    if (!strcmp(cmd, "convert")) return cmd_convert(argc - 1, argv + 1);
    if (!strcmp(cmd, "stats")) return cmd_stats(argc - 1, argv + 1);
    if (!strcmp(cmd, "repair")) return cmd_repair(argc - 1, argv + 1);
    if (!strcmp(cmd, "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "ls")) return cmd_ls(argc - 1, argv + 1);
    if (!strcmp(cmd, "cat")) return cmd_cat(argc - 1, argv + 1);
    if (!strcmp(cmd, "step-map")) return cmd_step_map(argc - 1, argv + 1);
    fprintf(stderr, "ctrec: unknown command '%s'\n\n", cmd);
    return tool_usage(usage_text, 0);
}
