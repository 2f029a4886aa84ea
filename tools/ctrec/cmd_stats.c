/*
 * cmd_stats.c — `ctrec stats`: what a trace holds and what it costs.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctrec/ctrec_reader.h"
#include "tool.h"

static const char stats_usage[] =
    "usage: ctrec stats [--json] [--layout auto|streams|events-log] [--max-event BYTES]\n"
    "                   TRACE\n"
    "\n"
    "Reads every event of TRACE and prints: the number of events of each kind,\n"
    "steps, calls, returns, the deepest call depth, the distinct paths,\n"
    "functions, types and variable names (their definition events), the trace\n"
    "file's size and the bytes per event, and the recording's metadata. For a\n"
    ".ct container it also lists the members with their sizes, every meta.dat\n"
    "field (recorder id, flags, ...), and what the container holds that is not\n"
    "turned into events (spantype.ns, step-map.ns, unknown meta.dat flags),\n"
    "and the layout read (with a note when the container holds the other too),\n"
    "and, when a BEAM recorder's trace_meta.json and runtime_session.jsonl are\n"
    "beside it, the debugger's route through them (\"sidecar\": beam, refused or\n"
    "undecided).\n"
    "For a damaged trace it prints the error, then the figures of the events\n"
    "before the damage, and exits 1; likewise when an event is over the\n"
    "--max-event bound (then said so: the trace may be fine).\n"
    "\n"
    "  --json   one JSON object instead of text\n"
    TOOL_LAYOUT_HELP
    TOOL_MAX_EVENT_HELP
    "\n"
    "Exit status: 0 ok, 1 bad trace, 2 usage error.\n";

static void json_str(const char *s)
{
    putchar('"');
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static int has_member(const ctrec_reader *r, const char *name)
{
    for (size_t i = 0; i < ctrec_reader_member_count(r); i++) {
        const char *m = ctrec_reader_member(r, i, NULL);
        if (m && !strcmp(m, name)) return 1;
    }
    return 0;
}

/* "metadata": {...} and, for a .ct, "members" and "notes". */
/* ctrec_reader_ct_sidecar's route, as stats names it. */
static const char *sidecar_route_name(int route)
{
    switch (route) {
    case CTREC_CT_SIDECAR_BEAM: return "beam";
    case CTREC_CT_SIDECAR_REFUSED: return "refused";
    case CTREC_CT_SIDECAR_UNDECIDED: return "undecided";
    default: return "none";
    }
}

static void json_meta(ctrec_reader *r)
{
    const ctrec_trace_metadata *m = ctrec_reader_metadata(r);
    printf(",\"metadata\":{\"recording_id\":");
    json_str(m->recording_id);
    printf(",\"program\":");
    json_str(m->program);
    printf(",\"args\":[");
    for (size_t i = 0; i < m->nargs; i++) {
        if (i) putchar(',');
        json_str(m->args[i]);
    }
    printf("],\"workdir\":");
    json_str(m->workdir);
    for (size_t i = 0; i < ctrec_reader_meta_extra_count(r); i++) {
        const char *v;
        const char *k = ctrec_reader_meta_extra(r, i, &v);
        putchar(',');
        json_str(k);
        printf(":%s", v);
    }
    putchar('}');
    if (ctrec_reader_format(r) != CTREC_FORMAT_CT) return;
    printf(",\"members\":[");
    for (size_t i = 0; i < ctrec_reader_member_count(r); i++) {
        uint64_t size;
        const char *name = ctrec_reader_member(r, i, &size);
        printf("%s{\"name\":", i ? "," : "");
        json_str(name);
        printf(",\"size\":%llu}", (unsigned long long)size);
    }
    printf("],\"notes\":[");
    for (size_t i = 0; i < ctrec_reader_note_count(r); i++) {
        if (i) putchar(',');
        json_str(ctrec_reader_note(r, i));
    }
    putchar(']');
    int route;
    const char *what;
    if (ctrec_reader_ct_sidecar(r, &route, &what) == CTREC_OK && route != CTREC_CT_SIDECAR_NONE) {
        printf(",\"sidecar_route\":\"%s\",\"sidecar\":", sidecar_route_name(route));
        json_str(what);
    }
}

/* step-map.ns (the breakpoint index): its entries and step ids counted, or
 * why it is damaged. Returns 0 when the trace has none. */
static int step_map_counts(ctrec_reader *r, uint64_t *lines, uint64_t *ids, const char **why)
{
    if (ctrec_reader_format(r) != CTREC_FORMAT_CT) return 0;
    ctrec_status st = ctrec_reader_step_map_walk(r, NULL, NULL, lines, ids);
    if (st == CTREC_E_UNSUPPORTED) return 0;
    *why = st ? ctrec_reader_errmsg(r) : NULL;
    return 1;
}

static void text_meta(ctrec_reader *r)
{
    const ctrec_trace_metadata *m = ctrec_reader_metadata(r);
    printf("recording id    %s\n", m->recording_id);
    printf("program         %s\n", m->program);
    printf("args           ");
    for (size_t i = 0; i < m->nargs; i++) printf(" %s", m->args[i]);
    printf("\nworkdir         %s\n", m->workdir);
    for (size_t i = 0; i < ctrec_reader_meta_extra_count(r); i++) {
        const char *v;
        const char *k = ctrec_reader_meta_extra(r, i, &v);
        printf("  %-20s %s\n", k, v);
    }
    if (ctrec_reader_format(r) != CTREC_FORMAT_CT) return;
    printf("members\n");
    for (size_t i = 0; i < ctrec_reader_member_count(r); i++) {
        uint64_t size;
        const char *name = ctrec_reader_member(r, i, &size);
        printf("  %-20s %llu bytes\n", name, (unsigned long long)size);
    }
    for (size_t i = 0; i < ctrec_reader_note_count(r); i++)
        printf("note            %s\n", ctrec_reader_note(r, i));
    int route;
    const char *what;
    if (ctrec_reader_ct_sidecar(r, &route, &what) == CTREC_OK && route != CTREC_CT_SIDECAR_NONE)
        printf("sidecar         %s: %s\n", sidecar_route_name(route), what);
}

int cmd_stats(int argc, char **argv)
{
    int json = 0;
    const char *path = NULL;
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) return tool_usage(stats_usage, 1);
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--layout") && i + 1 < argc) {
            if (tool_parse_layout(argv[++i], &o.ct_layout)) return 2;
        } else if (!strcmp(argv[i], "--max-event") && i + 1 < argc) {
            if (tool_parse_bytes("--max-event", argv[++i], &o.max_event_bytes)) return 2;
        }
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ctrec: unknown option '%s'\n", argv[i]);
            return tool_usage(stats_usage, 0);
        } else if (!path) path = argv[i];
        else return tool_usage(stats_usage, 0);
    }
    if (!path) return tool_usage(stats_usage, 0);
    ctrec_reader *r;
    if (ctrec_reader_open(path, &o, &r) != CTREC_OK) {
        tool_reader_error(r);
        ctrec_reader_close(r);
        return 1;
    }
    unsigned long long counts[CTREC_EV_TYPE_COUNT] = {0};
    long long depth = 0, max_depth = 0;
    const ctrec_ev *ev;
    ctrec_status st;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        counts[ev->type]++;
        if (ev->type == CTREC_EV_CALL) {
            if (++depth > max_depth) max_depth = depth;
        } else if (ev->type == CTREC_EV_RETURN) {
            if (depth > 0) depth--;
        }
    }
    /* a damaged trace: the error, then the figures of what could be read */
    if (st) tool_reader_error(r);
    int bound = st && ctrec_reader_event_too_large(r);
    unsigned long long events = ctrec_reader_event_count(r);
    struct stat sb;
    unsigned long long size = 0;
    if (stat(ctrec_reader_trace_file(r), &sb) == 0) size = (unsigned long long)sb.st_size;
    double per = events ? (double)size / (double)events : 0.0;
    const char *fmt = ctrec_reader_format(r) == CTREC_FORMAT_BIN  ? "bin"
                      : ctrec_reader_format(r) == CTREC_FORMAT_CT ? "ct"
                                                                  : "json";
    if (json) {
        printf("{\"file\":\"");
        for (const char *p = ctrec_reader_trace_file(r); *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch == '"' || ch == '\\') printf("\\%c", ch);
            else if (ch < 0x20) printf("\\u%04x", ch);
            else putchar(ch);
        }
        printf("\",\"format\":\"%s\",\"events\":%llu,\"counts\":{", fmt, events);
        int first = 1;
        for (int t = 0; t < CTREC_EV_TYPE_COUNT; t++) {
            if (!counts[t]) continue;
            printf("%s\"%s\":%llu", first ? "" : ",", ctrec_event_type_name((ctrec_event_type)t),
                   counts[t]);
            first = 0;
        }
        printf("},\"complete\":%s,%s\"steps\":%llu,\"calls\":%llu,\"returns\":%llu,\"max_call_depth\":%lld,"
               "\"paths\":%llu,\"functions\":%llu,\"types\":%llu,\"variables\":%llu,"
               "\"file_bytes\":%llu,\"bytes_per_event\":%.3f",
               st ? "false" : "true", bound ? "\"stopped_at_bound\":true," : "",
               counts[CTREC_EV_STEP], counts[CTREC_EV_CALL],
               counts[CTREC_EV_RETURN], max_depth,
               counts[CTREC_EV_PATH], counts[CTREC_EV_FUNCTION], counts[CTREC_EV_TYPE],
               counts[CTREC_EV_VARIABLE_NAME], size, per);
        if (ctrec_reader_format(r) == CTREC_FORMAT_CT) {
            printf(",\"ct_layout\":");
            json_str(tool_layout_name(ctrec_reader_ct_layout(r)));
            printf(",\"ct_layouts_present\":[");
            if (has_member(r, "steps.dat")) printf("\"multi-stream\"%s", has_member(r, "events.log") ? "," : "");
            if (has_member(r, "events.log")) printf("\"events.log\"");
            putchar(']');
        }
        json_meta(r);
        uint64_t sl, si;
        const char *why;
        if (step_map_counts(r, &sl, &si, &why)) {
            printf(",\"step_map\":{");
            if (why) {
                printf("\"error\":");
                json_str(why);
            } else
                printf("\"lines\":%llu,\"step_ids\":%llu", (unsigned long long)sl,
                       (unsigned long long)si);
            printf(",\"source\":");
            json_str(ctrec_reader_step_map_source(r));
            putchar('}');
        }
        printf("}\n");
    } else {
        printf("file            %s (%s)\n", ctrec_reader_trace_file(r), fmt);
        if (ctrec_reader_format(r) == CTREC_FORMAT_CT) {
            int lay = ctrec_reader_ct_layout(r);
            int other = lay == CTREC_CT_LAYOUT_STREAMS ? has_member(r, "events.log")
                                                        : has_member(r, "steps.dat");
            printf("layout          %s%s\n", tool_layout_name(lay),
                   !other                          ? ""
                   : lay == CTREC_CT_LAYOUT_STREAMS ? " (the container also holds events.log, "
                                                      "which the debugger reads instead: "
                                                      "--layout events-log)"
                                                    : " (the container also holds the "
                                                      "multi-stream members: --layout streams)");
        }
        printf("events          %llu%s\n", events,
               !st ? ""
               : bound ? " (stopped at the --max-event bound: the events before it; the trace "
                         "may be fine, a larger bound reads on)"
                       : " (damaged: the events before the damage)");
        for (int t = 0; t < CTREC_EV_TYPE_COUNT; t++)
            if (counts[t])
                printf("  %-20s %llu\n", ctrec_event_type_name((ctrec_event_type)t), counts[t]);
        printf("steps           %llu\n", counts[CTREC_EV_STEP]);
        printf("calls           %llu\n", counts[CTREC_EV_CALL]);
        printf("returns         %llu\n", counts[CTREC_EV_RETURN]);
        printf("max call depth  %lld\n", max_depth);
        printf("paths           %llu\n", counts[CTREC_EV_PATH]);
        printf("functions       %llu\n", counts[CTREC_EV_FUNCTION]);
        printf("types           %llu\n", counts[CTREC_EV_TYPE]);
        printf("variables       %llu\n", counts[CTREC_EV_VARIABLE_NAME]);
        printf("file size       %llu bytes\n", size);
        printf("bytes per event %.3f\n", per);
        text_meta(r);
        uint64_t sl, si;
        const char *why;
        if (step_map_counts(r, &sl, &si, &why)) {
            const char *src = ctrec_reader_step_map_source(r);
            int inside = !src || !strcmp(src, "step-map.ns");
            if (why) printf("step-map.ns     damaged (the debugger ignores it): %s\n", why);
            else
                printf("step-map.ns     %llu lines, %llu step ids (the breakpoint index; "
                       "`ctrec step-map` shows it)\n",
                       (unsigned long long)sl, (unsigned long long)si);
            if (!inside) printf("  read from     %s (beside the container, which has none)\n", src);
        }
    }
    tool_warn_forgiven(r, ctrec_reader_trace_file(r));
    ctrec_reader_close(r);
    return st ? 1 : 0;
}
