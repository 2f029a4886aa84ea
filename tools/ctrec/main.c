/*
 * main.c — `ctrec COMMAND ...`: dispatch and the shared helpers.
 */
#include <stdio.h>
#include <string.h>

#include "ctrec/ctrec.h"
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
    "\n"
    "TRACE is a trace folder, a trace.json, a trace.bin or a .ct container (the\n"
    "format is detected from the content; a folder is read through its *.ct\n"
    "first, then trace.json, then trace.bin, as the debugger does).\n"
    "`ctrec COMMAND --help` describes a command.\n"
    "Exit status: 0 ok, 1 bad trace, 2 usage error.\n";

int tool_is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

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
    fprintf(stderr, "ctrec: unknown command '%s'\n\n", cmd);
    return tool_usage(usage_text, 0);
}
