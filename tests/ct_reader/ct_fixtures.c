/*
 * ct_fixtures.c — the recorder-written .ct fixtures through ctrec_reader:
 *
 * 1. What the reference Nim reader (codetracer-trace-format-nim, through the
 *    ct_reader_* FFI the debugger links; built outside the project, see
 *    docs/ct.md) reads from each fixture, recorded here as data: the number
 *    of step records, values, calls and I/O events, and FNV-1a hashes of
 *    the step positions ("path:line:column" or the record kind), of the
 *    calls ("function:entry:exit:arguments", entry and exit as the steps at
 *    which ctrec announces them) and of the events ("step:content").
 * 2. Random access: for every step N, ctrec_reader_seek_step(N) followed by
 *    reading to the end gives exactly the events a sequential read gives
 *    from step N on.
 * 3. The layout option (ctrec_reader_options.ct_layout): the Elixir
 *    recorder's container holds both layouts; its events.log (122 events:
 *    3 VariableNames, 26 Types, 93 Values, no step; as the independent
 *    decoder tests/ct/ct_events_log.py reads it) is read when asked for,
 *    without positioning; a container without the layout asked for, or a
 *    value that is no layout, fails the open with the exact message.
 *
 *   ct-fixtures FIXTURES_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec_reader.h"

static int failures;
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

typedef struct expected {
    const char *name;
    unsigned steps, values, calls, events;
    uint64_t h_steps, h_calls, h_events;
} expected;

/* From the reference Nim reader (lenient to meta.dat flag 0x2000). */
static const expected nim[] = {
    {"python_flask_serve", 84, 814, 22, 15, 0xbe646808b5dc5ba8ull, 0x7afd882716b7ea8cull, 0x7febb15cfa32b17full},
    {"ruby_sinatra_ruby", 770, 4129, 63, 1, 0x3cd2a58a0127a5cbull, 0xba645aa4137c9d64ull, 0x53c97b755739ff17ull},
    {"elixir_plug_app", 199, 0, 47, 313, 0x06dba579b8c66ce1ull, 0x72b5b17e7648bcd3ull, 0xda22c4b1f15f3b03ull},
    {"no_spans", 8, 0, 0, 0, 0x203fd563d3d469f5ull, 0xcbf29ce484222325ull, 0xcbf29ce484222325ull},
    {"web_session", 8, 0, 0, 0, 0x203fd563d3d469f5ull, 0xcbf29ce484222325ull, 0xcbf29ce484222325ull},
};

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 0x100000001b3ull;
    }
}

static void fnvs(uint64_t *h, const char *s) { fnv(h, s, strlen(s)); }

typedef struct lines {
    char **l;
    size_t n, cap;
    size_t *step_at; /* line index of each step's first event */
    size_t nsteps, scap;
} lines;

static void push(lines *L, const char *s, size_t n)
{
    if (L->n == L->cap) {
        L->cap = L->cap ? L->cap * 2 : 1024;
        L->l = realloc(L->l, L->cap * sizeof *L->l);
    }
    L->l[L->n] = malloc(n + 1);
    memcpy(L->l[L->n], s, n);
    L->l[L->n][n] = 0;
    L->n++;
}

static int is_step(const ctrec_ev *ev)
{
    return ev->type == CTREC_EV_STEP || ev->type == CTREC_EV_RAISE ||
           ev->type == CTREC_EV_CATCH || ev->type == CTREC_EV_THREAD_SWITCH ||
           ev->type == CTREC_EV_THREAD_START || ev->type == CTREC_EV_THREAD_EXIT;
}

/* Reads the rest of r into L (JSON lines), noting where steps start. */
static ctrec_status drain(ctrec_reader *r, lines *L, const expected *x)
{
    char *line = NULL;
    size_t cap = 0, len;
    const ctrec_ev *ev;
    ctrec_status st;
    unsigned steps = 0, values = 0, calls = 0, events = 0;
    uint64_t hs = 0xcbf29ce484222325ull, hc = hs, he = hs;
    long long step = -1;
    /* open calls: index into a record of (function, entry, args) */
    struct call { unsigned long long fn, at, nargs; } *open = NULL;
    size_t depth = 0, ocap = 0;
    struct done { unsigned long long fn, at, ret, nargs; } *done = NULL;
    size_t ndone = 0, dcap = 0, *order = NULL; /* done[] in Call order */
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &cap, &len)) break;
        if (is_step(ev)) {
            step++;
            steps++;
            if (L->nsteps == L->scap) {
                L->scap = L->scap ? L->scap * 2 : 1024;
                L->step_at = realloc(L->step_at, L->scap * sizeof *L->step_at);
            }
            L->step_at[L->nsteps++] = L->n;
            char t[96];
            if (ev->type == CTREC_EV_STEP)
                snprintf(t, sizeof t, "%llu:%lld:%lld\n", (unsigned long long)ev->step.path_id,
                         (long long)ev->step.line, (long long)ev->step.column);
            else
                snprintf(t, sizeof t, "%s\n",
                         ev->type == CTREC_EV_RAISE          ? "R"
                         : ev->type == CTREC_EV_CATCH        ? "C"
                         : ev->type == CTREC_EV_THREAD_SWITCH ? "TS"
                         : ev->type == CTREC_EV_THREAD_START ? "TB"
                                                             : "TE");
            fnvs(&hs, t);
        } else if (ev->type == CTREC_EV_VALUE) {
            values++;
        } else if (ev->type == CTREC_EV_CALL) {
            calls++;
            if (depth == ocap) open = realloc(open, (ocap = ocap * 2 + 64) * sizeof *open);
            if (ndone == dcap) {
                dcap = dcap * 2 + 64;
                done = realloc(done, dcap * sizeof *done);
                order = realloc(order, dcap * sizeof *order);
            }
            open[depth++] = (struct call){ev->call.function_id, (unsigned long long)step,
                                          ev->call.nargs};
            order[ndone] = ndone;
            done[ndone++] = (struct done){ev->call.function_id, (unsigned long long)step, 0,
                                          ev->call.nargs};
        } else if (ev->type == CTREC_EV_RETURN && depth) {
            depth--;
            /* the innermost call still without its return */
            for (size_t i = ndone; i-- > 0;)
                if (done[i].ret == 0 && done[i].at == open[depth].at &&
                    done[i].fn == open[depth].fn && !(done[i].nargs & (1ull << 63))) {
                    done[i].ret = (unsigned long long)step;
                    done[i].nargs |= 1ull << 63;
                    break;
                }
        } else if (ev->type == CTREC_EV_EVENT) {
            events++;
            char t[64];
            snprintf(t, sizeof t, "%lld:", step);
            fnvs(&he, t);
            fnv(&he, ev->event.content.ptr, ev->event.content.len);
            fnvs(&he, "\n");
        }
        push(L, line, len);
    }
    if (x) {
        for (size_t i = 0; i < ndone; i++) {
            char t[128];
            snprintf(t, sizeof t, "%llu:%llu:%llu:%llu\n", done[i].fn, done[i].at, done[i].ret,
                     done[i].nargs & ~(1ull << 63));
            fnvs(&hc, t);
        }
        CHECK(steps == x->steps && values == x->values && calls == x->calls &&
                  events == x->events,
              "%s: %u steps, %u values, %u calls, %u events; the reference reads %u, %u, %u, %u",
              x->name, steps, values, calls, events, x->steps, x->values, x->calls, x->events);
        CHECK(hs == x->h_steps, "%s: step positions differ from the reference's", x->name);
        CHECK(hc == x->h_calls, "%s: calls differ from the reference's", x->name);
        CHECK(he == x->h_events, "%s: events differ from the reference's", x->name);
    }
    free(open);
    free(done);
    free(order);
    free(line);
    return st;
}

static void free_lines(lines *L)
{
    for (size_t i = 0; i < L->n; i++) free(L->l[i]);
    free(L->l);
    free(L->step_at);
    memset(L, 0, sizeof *L);
}

static void layouts(const char *dir, const ctrec_reader_options *base)
{
    char p[4096];
    ctrec_reader_options o = *base;
    ctrec_reader *r;
    const ctrec_ev *ev;
    ctrec_status st;

    snprintf(p, sizeof p, "%s/ctfs/elixir_plug_app.ct", dir);
    o.ct_layout = CTREC_CT_LAYOUT_EVENTS_LOG;
    st = ctrec_reader_open(p, &o, &r);
    CHECK(st == CTREC_OK, "%s events.log: %s", p, ctrec_reader_errmsg(r));
    CHECK(ctrec_reader_ct_layout(r) == CTREC_CT_LAYOUT_EVENTS_LOG, "%s: layout %d", p,
          ctrec_reader_ct_layout(r));
    unsigned long long n[CTREC_EV_TYPE_COUNT] = {0}, total = 0;
    while (st == CTREC_OK && (st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) n[ev->type]++, total++;
    CHECK(st == CTREC_OK && total == 122 && n[CTREC_EV_VARIABLE_NAME] == 3 &&
              n[CTREC_EV_TYPE] == 26 && n[CTREC_EV_VALUE] == 93,
          "%s events.log: %llu events (%llu VariableName, %llu Type, %llu Value): %s", p, total,
          n[CTREC_EV_VARIABLE_NAME], n[CTREC_EV_TYPE], n[CTREC_EV_VALUE], ctrec_reader_errmsg(r));
    st = ctrec_reader_seek_step(r, 0);
    CHECK(st == CTREC_E_UNSUPPORTED &&
              !strcmp(ctrec_reader_errmsg(r), "elixir_plug_app.ct: positioning at a step needs a "
                                              ".ct read in its multi-stream layout (the chunk "
                                              "indexes of steps.dat)"),
          "%s events.log seek: %d %s", p, (int)st, ctrec_reader_errmsg(r));
    ctrec_reader_close(r);

    o.ct_layout = CTREC_CT_LAYOUT_STREAMS;
    st = ctrec_reader_open(p, &o, &r);
    CHECK(st == CTREC_OK && ctrec_reader_ct_layout(r) == CTREC_CT_LAYOUT_STREAMS,
          "%s streams: %s", p, ctrec_reader_errmsg(r));
    ctrec_reader_close(r);

    snprintf(p, sizeof p, "%s/ctfs/python_flask_serve.ct", dir);
    o.ct_layout = CTREC_CT_LAYOUT_EVENTS_LOG;
    st = ctrec_reader_open(p, &o, &r);
    CHECK(st == CTREC_E_FORMAT && ctrec_reader_ct_layout(r) == CTREC_CT_LAYOUT_AUTO &&
              !strcmp(ctrec_reader_errmsg(r), "python_flask_serve.ct: no events.log to read (the "
                                              "layout asked for); the container holds the "
                                              "multi-stream layout (steps.dat)"),
          "%s events.log: %d %s", p, (int)st, ctrec_reader_errmsg(r));
    ctrec_reader_close(r);

    o.ct_layout = 7;
    st = ctrec_reader_open(p, &o, &r);
    CHECK(st == CTREC_E_ARG && !strcmp(ctrec_reader_errmsg(r), "ct_layout 7 is not a layout (0 "
                                                               "auto, 1 streams, 2 events.log)"),
          "ct_layout 7: %d %s", (int)st, ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
    printf("layouts: events.log and multi-stream of elixir_plug_app, refusals\n");
}

int main(int argc, char **argv)
{
    /* --read-ahead: the reader's read_ahead option (the same results) */
    ctrec_reader_options o;
    ctrec_reader_options_init(&o);
    if (argc == 3 && !strcmp(argv[2], "--read-ahead")) o.read_ahead = 1;
    else if (argc != 2) {
        fprintf(stderr, "usage: ct-fixtures FIXTURES_DIR [--read-ahead]\n");
        return 2;
    }
    for (size_t k = 0; k < sizeof nim / sizeof *nim; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/ctfs/%s.ct", argv[1], nim[k].name);
        ctrec_reader *r;
        if (ctrec_reader_open(p, &o, &r) != CTREC_OK) {
            CHECK(0, "%s: %s", p, ctrec_reader_errmsg(r));
            ctrec_reader_close(r);
            continue;
        }
        CHECK(ctrec_reader_format(r) == CTREC_FORMAT_CT, "%s: format", p);
        lines all = {0};
        ctrec_status st = drain(r, &all, &nim[k]);
        CHECK(st == CTREC_OK && ctrec_reader_complete(r), "%s: %s", p, ctrec_reader_errmsg(r));
        /* every step, in a scattered order, on the same reader */
        size_t ns = all.nsteps;
        for (size_t j = 0; j < ns; j++) {
            size_t n = (j * 7919) % ns;
            if (ctrec_reader_seek_step(r, n) != CTREC_OK) {
                CHECK(0, "%s: seek %zu: %s", p, n, ctrec_reader_errmsg(r));
                break;
            }
            lines tail = {0};
            st = drain(r, &tail, NULL);
            size_t from = all.step_at[n];
            int same = st == CTREC_OK && tail.n == all.n - from;
            for (size_t i = 0; same && i < tail.n; i++) same = !strcmp(tail.l[i], all.l[from + i]);
            CHECK(same, "%s: seek to step %zu then reading gives %zu events, not the %zu from "
                        "step %zu on (%s)",
                  p, n, tail.n, all.n - from, n, ctrec_reader_errmsg(r));
            free_lines(&tail);
            if (!same) break;
        }
        printf("%s: %zu events, %zu steps, every seek agrees\n", nim[k].name, all.n, ns);
        free_lines(&all);
        ctrec_reader_close(r);
    }
    layouts(argv[1], &o);
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    return 0;
}
