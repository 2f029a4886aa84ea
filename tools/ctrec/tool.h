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
int cmd_step_map(int argc, char **argv);

/* argv[i] is --help or -h */
int tool_is_help(const char *a);
/* Prints a usage text to stdout (for --help, exit 0) or stderr (exit 2). */
int tool_usage(const char *text, int help);

/* Parses the value of --max-event: a byte count, optionally with a K, M or
 * G suffix (binary units). Returns 0, or -1 with a message on stderr. */
int tool_parse_bytes(const char *opt, const char *text, size_t *out);

/* Parses the value of --layout, a .ct container's layout to read: "auto",
 * "streams" or "events-log" (ctrec_reader_options.ct_layout). Returns 0,
 * or -1 with a message on stderr. */
int tool_parse_layout(const char *text, int *out);
/* file + suffix, malloc'd (NULL when out of memory). */
char *tool_with_suffix(const char *file, const char *suffix);
/* "multi-stream" or "events.log": the layout a reader reads (a .ct;
 * ctrec_reader_ct_layout), "none" otherwise. */
const char *tool_layout_name(int layout);

struct ctrec_reader;
/* Prints one warning line on stderr when the reader forgave spellings the
 * debugger's parsers refuse (ctrec_reader_forgiven). */
void tool_warn_forgiven(const struct ctrec_reader *r, const char *trace);

/* Prints the reader's error on stderr ("ctrec: MESSAGE"), and, when the
 * bound on one event stopped the read (ctrec_reader_event_too_large), a
 * line saying so: the trace may be fine, a larger --max-event reads on. */
void tool_reader_error(const struct ctrec_reader *r);

/* The help text's line for --max-event. */
#define TOOL_MAX_EVENT_HELP \
    "  --max-event BYTES  largest event read (default 64M; K, M, G suffixes); an event\n" \
    "               larger than this stops the read, it does not mean the trace is bad\n"

/* The help text's line for --layout. */
#define TOOL_LAYOUT_HELP \
    "  --layout auto|streams|events-log  for a .ct holding both layouts, the one\n" \
    "               read: auto (default) reads the multi-stream members (steps.dat,\n" \
    "               ...), events-log what the debugger builds its trace from\n"

#endif
