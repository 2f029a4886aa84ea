/*
 * ct_stepmap_api.c — ctrec_reader_line_steps and ctrec_reader_step_map_walk
 * on the fixtures (what the Python test cannot reach through `ctrec
 * step-map`): a buffer smaller than the list, arguments refused, a trace
 * without the index, a callback that stops the walk, and the events read
 * the same around calls of them.
 *
 *   ct-stepmap-api FIXTURES
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
            fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static ctrec_reader *open_fixture(const char *fixtures, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", fixtures, rel);
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(path, NULL, &r);
    CHECK(st == CTREC_OK, "open %s: %s", rel, r ? ctrec_reader_errmsg(r) : "no handle");
    return r;
}

static uint64_t count_events(ctrec_reader *r, int ask_midway)
{
    const ctrec_ev *ev;
    uint64_t n = 0;
    while (ctrec_reader_next(r, &ev) == CTREC_OK && ev) {
        n++;
        if (ask_midway && n == 5) {
            int64_t ids[4];
            size_t count;
            CHECK(ctrec_reader_line_steps(r, 0, 4, ids, 4, &count) == CTREC_OK && count == 1 &&
                      ids[0] == 3,
                  "midway: count %zu", count);
        }
    }
    CHECK(ctrec_reader_complete(r), "read whole: %s", ctrec_reader_errmsg(r));
    return n;
}

static int stop_at_second(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                          const int64_t *ids, size_t n, int first)
{
    (void)path_id, (void)line, (void)total, (void)ids, (void)n, (void)first;
    return ++*(int *)ud == 2;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ct-stepmap-api FIXTURES\n");
        return 2;
    }
    const char *fx = argv[1];

    /* no_spans.ct: path 0, lines 1..8, line n lists step n - 1 */
    ctrec_reader *r = open_fixture(fx, "ctfs/no_spans.ct");
    if (!r) return 1;
    int64_t ids[4] = {-7, -7, -7, -7};
    size_t count = 99;
    CHECK(ctrec_reader_line_steps(r, 0, 3, NULL, 0, &count) == CTREC_OK && count == 1,
          "cap 0: count %zu", count);
    CHECK(ctrec_reader_line_steps(r, 0, 3, ids, 4, &count) == CTREC_OK && count == 1 &&
              ids[0] == 2 && ids[1] == -7,
          "0:3 -> %zu ids, %lld", count, (long long)ids[0]);
    CHECK(ctrec_reader_line_steps(r, 0, 9, ids, 4, &count) == CTREC_OK && count == 0,
          "0:9 -> %zu", count);
    CHECK(ctrec_reader_line_steps(r, 1, 3, ids, 4, &count) == CTREC_OK && count == 0,
          "1:3 -> %zu", count);
    CHECK(ctrec_reader_line_steps(r, 0, 3, NULL, 4, &count) == CTREC_E_ARG, "NULL out, cap 4");
    CHECK(ctrec_reader_line_steps(r, 0, 3, ids, 4, NULL) == CTREC_E_ARG, "NULL count");
    CHECK(ctrec_reader_line_steps(NULL, 0, 3, ids, 4, &count) == CTREC_E_ARG && count == 0,
          "NULL reader");
    uint64_t lines = 0, nids = 0;
    CHECK(ctrec_reader_step_map_walk(r, NULL, NULL, &lines, &nids) == CTREC_OK && lines == 8 &&
              nids == 8,
          "walk: %llu lines %llu ids", (unsigned long long)lines, (unsigned long long)nids);
    int calls = 0;
    CHECK(ctrec_reader_step_map_walk(r, stop_at_second, &calls, NULL, NULL) == CTREC_E_STATE &&
              calls == 2 && strstr(ctrec_reader_errmsg(r), "stopped by its callback"),
          "stopped walk: %d calls, %s", calls, ctrec_reader_errmsg(r));
    /* the events are the same with and without calls in between */
    uint64_t with = count_events(r, 1);
    ctrec_reader_close(r);
    r = open_fixture(fx, "ctfs/no_spans.ct");
    if (!r) return 1;
    uint64_t without = count_events(r, 0);
    CHECK(with == without && with > 0, "events %llu vs %llu", (unsigned long long)with,
          (unsigned long long)without);
    ctrec_reader_close(r);

    /* ruby_sinatra_ruby.ct: the index files rack_server.rb line 56 (path 1)
     * under path 0, line 100056 (docs/ct.md) */
    r = open_fixture(fx, "ctfs/ruby_sinatra_ruby.ct");
    if (r) {
        CHECK(ctrec_reader_line_steps(r, 0, 100056, ids, 4, &count) == CTREC_OK &&
                  count >= 1 && ids[0] == 4,
              "ruby 0:100056 -> %zu, %lld", count, (long long)ids[0]);
        CHECK(ctrec_reader_line_steps(r, 1, 56, ids, 4, &count) == CTREC_OK && count == 0,
              "ruby 1:56 -> %zu", count);
        ctrec_reader_close(r);
    }

    /* no index: a .ct without one, a trace.json */
    r = open_fixture(fx, "ctfs/python_flask_serve.ct");
    if (r) {
        ctrec_status st = ctrec_reader_line_steps(r, 0, 1, ids, 4, &count);
        CHECK(st == CTREC_E_UNSUPPORTED &&
                  !strcmp(ctrec_reader_errmsg(r),
                          "python_flask_serve.ct: no step-map.ns in this container or beside it"),
              "flask: %d %s", (int)st, ctrec_reader_errmsg(r));
        CHECK(count_events(r, 0) > 0, "flask reads after the call");
        ctrec_reader_close(r);
    }
    r = open_fixture(fx, "reference-rust");
    if (r) {
        CHECK(ctrec_reader_line_steps(r, 0, 1, ids, 4, &count) == CTREC_E_UNSUPPORTED &&
                  strstr(ctrec_reader_errmsg(r), "not a CTFS container"),
              "json: %s", ctrec_reader_errmsg(r));
        CHECK(ctrec_reader_step_map_walk(r, NULL, NULL, NULL, NULL) == CTREC_E_UNSUPPORTED,
              "json walk");
        ctrec_reader_close(r);
    }
    if (failures) fprintf(stderr, "%d failures\n", failures);
    else printf("ct-stepmap-api: ok\n");
    return failures ? 1 : 0;
}
