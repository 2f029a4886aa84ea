/*
 * cmd_check.c — `ctrec check`: will the debugger load this trace?
 *
 *   ctrec check [--target 25.11|latest] [--json] [--max N] [--strict]
 *               [--no-files] [--max-event BYTES] TRACE
 *
 * Prints every problem ctrec_check() finds, then a summary line with the
 * target and the verdict. Exit status: 0 the trace loads, 1 errors (or
 * warnings with --strict), 2 usage or an internal failure, 3 undecided (an
 * event over the --max-event bound).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec_check.h"
#include "tool.h"

static const char check_usage[] =
    "usage: ctrec check [--target 25.11|latest] [--json] [--max N] [--strict] [--no-files]\n"
    "                   [--max-event BYTES] TRACE\n"
    "\n"
    "Tells whether the CodeTracer debugger will load TRACE (a trace folder, a\n"
    "trace.json or a trace.bin) and reports every problem: the event index, the\n"
    "event as JSON, the rule broken and how to fix it.\n"
    "\n"
    "  --target T   the debugger to check against: latest (default) or 25.11\n"
    "  --json       one JSON object per diagnostic and one for the summary, per line;\n"
    "               the summary holds \"target\" and \"verdict\" (loads,\n"
    "               loads-with-warnings, refused, undecided) for CI gates\n"
    "  --max N      stop after N diagnostics\n"
    "  --strict     warnings make the exit status 1 too\n"
    "  --no-files   do not look for the files/ copies of the sources\n"
    TOOL_MAX_EVENT_HELP
    "\n"
    "The trace is read with the grammar of the debugger's own parsers (serde_json\n"
    "for trace.json, the seekable-zstd and cbor4ii reader for trace.bin): what\n"
    "`ctrec print` forgives with a warning, check refuses.\n"
    "\n"
    "Exit status: 0 loads, 1 refused (or warnings with --strict), 2 usage,\n"
    "3 undecided: an event is larger than the --max-event bound (the trace may\n"
    "be fine; check again with a larger bound), or --max stopped the check\n"
    "before any error.\n";

typedef struct out_ctx {
    int json;
} out_ctx;

/* Length of the valid UTF-8 sequence at p, or 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    int n;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000;
    else return 0;
    unsigned cp = c & (0x3fu >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0; /* also stops at the NUL */
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* A JSON string; bytes that are not valid UTF-8 (program text in messages)
 * become U+FFFD so that every line stays valid JSON. */
static void put_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", stdout);
            p++;
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20 || *p == 0x7f) printf("\\u%04x", *p);
            else fwrite(p, 1, (size_t)n, stdout);
        }
        p += n;
    }
    putchar('"');
}

static int on_diag(const ctrec_check_diagnostic *d, void *ud)
{
    const out_ctx *o = ud;
    if (o->json) {
        fputs("{\"severity\":", stdout);
        put_json_string(ctrec_check_severity_name(d->severity));
        fputs(",\"rule\":", stdout);
        put_json_string(d->rule);
        fputs(",\"file\":", stdout);
        put_json_string(d->file);
        if (d->event_index == CTREC_CHECK_NO_EVENT) fputs(",\"event_index\":null", stdout);
        else printf(",\"event_index\":%llu", (unsigned long long)d->event_index);
        fputs(",\"event\":", stdout);
        fputs(d->event_json ? d->event_json : "null", stdout);
        fputs(",\"message\":", stdout);
        put_json_string(d->message);
        fputs(",\"fix\":", stdout);
        put_json_string(d->fix);
        fputs("}\n", stdout);
        return 0;
    }
    if (d->event_index == CTREC_CHECK_NO_EVENT)
        printf("%s: %s [%s]: %s; fix: %s\n", d->file, ctrec_check_severity_name(d->severity),
               d->rule, d->message, d->fix);
    else
        printf("%s: event %llu: %s [%s]: %s; fix: %s\n", d->file,
               (unsigned long long)d->event_index, ctrec_check_severity_name(d->severity),
               d->rule, d->message, d->fix);
    if (d->event_json) printf("    %s\n", d->event_json);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    ctrec_check_options opts;
    ctrec_check_options_init(&opts);
    out_ctx o = {0};
    int strict = 0;
    const char *trace = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(check_usage, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o.json = 1;
        } else if (strcmp(a, "--strict") == 0) {
            strict = 1;
        } else if (strcmp(a, "--max-event") == 0 || strncmp(a, "--max-event=", 12) == 0) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);
            if (tool_parse_bytes("--max-event", v, &opts.max_event_bytes)) return 2;
        } else if (strcmp(a, "--no-files") == 0) {
            opts.check_files = 0;
        } else if (strcmp(a, "--target") == 0 || strncmp(a, "--target=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || ctrec_check_target_parse(v, &opts.target) != CTREC_OK) {
                fprintf(stderr, "ctrec check: --target takes latest or 25.11\n%s", check_usage);
                return 2;
            }
        } else if (strcmp(a, "--max") == 0 || strncmp(a, "--max=", 6) == 0) {
            const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            char *end = NULL;
            errno = 0;
            unsigned long long n = v && *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
            if (!v || !end || *end || errno || n == 0) {
                fprintf(stderr, "ctrec check: --max takes a positive number\n%s", check_usage);
                return 2;
            }
            opts.max_diagnostics = n;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ctrec check: unknown option %s\n%s", a, check_usage);
            return 2;
        } else if (trace) {
            fprintf(stderr, "ctrec check: one TRACE only\n%s", check_usage);
            return 2;
        } else {
            trace = a;
        }
    }
    if (!trace) {
        fprintf(stderr, "ctrec check: no TRACE given\n%s", check_usage);
        return 2;
    }

    ctrec_check_summary sum;
    ctrec_status st = ctrec_check(trace, &opts, on_diag, &o, &sum);
    if (st != CTREC_OK) {
        fprintf(stderr, "ctrec check: %s: %s\n", trace, ctrec_status_name(st));
        return 2;
    }
    int fail = sum.errors > 0 || (strict && sum.warnings > 0);
    const char *verdict = sum.verdict == CTREC_CHECK_REFUSED ? "the debugger will not load it"
                          : sum.verdict == CTREC_CHECK_UNDECIDED
                              ? (opts.max_diagnostics &&
                                         sum.errors + sum.warnings >= opts.max_diagnostics
                                     ? "undecided: stopped at --max before any error"
                                     : "undecided: an event is over the --max-event bound; the "
                                       "trace may be fine, check again with a larger bound")
                          : sum.warnings ? "loads, with warnings"
                                         : "loads";
    if (o.json) {
        printf("{\"summary\":{\"trace\":");
        put_json_string(trace);
        printf(",\"target\":\"%s\",\"errors\":%llu,\"warnings\":%llu,\"events\":%llu,"
               "\"stopped\":%s,\"ok\":%s,\"verdict\":\"%s\"}}\n",
               ctrec_check_target_name(opts.target), (unsigned long long)sum.errors,
               (unsigned long long)sum.warnings, (unsigned long long)sum.events,
               sum.stopped ? "true" : "false",
               fail || sum.verdict == CTREC_CHECK_UNDECIDED ? "false" : "true",
               ctrec_check_verdict_name(sum.verdict));
    } else {
        printf("%s: %llu error%s, %llu warning%s, %llu events checked%s (target %s): %s\n", trace,
               (unsigned long long)sum.errors, sum.errors == 1 ? "" : "s",
               (unsigned long long)sum.warnings, sum.warnings == 1 ? "" : "s",
               (unsigned long long)sum.events, sum.stopped ? " (stopped early)" : "",
               ctrec_check_target_name(opts.target), verdict);
    }
    if (fflush(stdout) != 0) return 2;
    if (fail) return 1;
    return sum.verdict == CTREC_CHECK_UNDECIDED ? 3 : 0;
}
