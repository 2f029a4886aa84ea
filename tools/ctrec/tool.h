/* tool.h — the subcommands of the ctrec tool. Each returns the exit
 * status: 0 ok, 1 bad trace (or failed output), 2 usage error. */
#ifndef CTREC_TOOL_H
#define CTREC_TOOL_H

#include <stdio.h>

int cmd_print(int argc, char **argv, int follow);
int cmd_convert(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);

/* argv[i] is --help or -h */
int tool_is_help(const char *a);
/* Prints a usage text to stdout (for --help, exit 0) or stderr (exit 2). */
int tool_usage(const char *text, int help);

#endif
