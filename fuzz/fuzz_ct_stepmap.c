/*
 * fuzz_ct_stepmap.c — the step-map.ns decoder (src/reader/ct_stepmap.c):
 * the input is the member, added to an otherwise valid container
 * (fz_ct_build "stepmap"). Besides the .ct checks: the walk must hand out
 * ascending paths, lines and ids and stop cleanly with a message naming
 * step-map.ns; every entry walked must be what ctrec_reader_line_steps
 * answers for it; and ctrec_check (which compares the index with the
 * steps) must finish. An input whose first byte is 0xFF puts the rest
 * beside the container instead, as trace.ct.step-map.ns (the file the
 * debugger and the reader use when the container has no step-map.ns), with
 * the same checks and ctrec_reader_step_map_source naming that file.
 */
#include "ctrec/ctrec_check.h"
#include "fuzz_ct_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-stepmap");
    fz_ct_selfcheck("stepmap");
    return 0;
}

typedef struct walked {
    ctrec_reader *r;
    uint64_t path, entries;
    uint32_t line;
    int64_t last;
    int64_t ids[64];
    size_t n, total;
} walked;

static void compare_entry(walked *w)
{
    int64_t got[64];
    size_t count;
    ctrec_status st = ctrec_reader_line_steps(w->r, w->path, w->line, got, 64, &count);
    if (st) FZ_FAIL("line_steps %llu:%lu after a sound walk: %s", (unsigned long long)w->path,
                    (unsigned long)w->line, ctrec_reader_errmsg(w->r));
    if (count != w->total) FZ_FAIL("line_steps count %zu, walk %zu", count, w->total);
    for (size_t i = 0; i < w->n && i < 64; i++)
        if (got[i] != w->ids[i]) FZ_FAIL("line_steps id %zu differs", i);
}

static int on_batch(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                    const int64_t *ids, size_t n, int first)
{
    walked *w = ud;
    if (n > 512 || (!n && (!first || total)) || (n && !ids)) FZ_FAIL("batch of %zu ids", n);
    if (first) {
        if (w->entries && (path_id < w->path || (path_id == w->path && line <= w->line)))
            FZ_FAIL("entries not ascending");
        w->entries++;
        w->path = path_id;
        w->line = line;
        w->last = -1;
        w->n = 0;
        w->total = (size_t)total;
    } else if (path_id != w->path || line != w->line)
        FZ_FAIL("a later batch of another entry");
    for (size_t i = 0; i < n; i++) {
        if (ids[i] <= w->last) FZ_FAIL("ids not ascending");
        w->last = ids[i];
        if (w->n < 64) w->ids[w->n++] = ids[i];
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return -1;
    int beside = size && data[0] == 0xFF;
    char side[512];
    fz_path(side, sizeof side, fz_in, "trace.ct.step-map.ns");
    if (beside) {
        fz_ct_build("none", (const uint8_t *)"", 0);
        fz_put(fz_in, "trace.ct.step-map.ns", data + 1, size - 1);
    } else {
        fz_put(fz_in, "trace.ct.step-map.ns", NULL, 0);
        fz_ct_build("stepmap", data, size);
    }
    fz_ct_check(64);
    char path[512];
    fz_path(path, sizeof path, fz_in, "trace.ct");
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(path, NULL, &r);
    if (!r) FZ_FAIL("no handle");
    if (!st) {
        const char *src = ctrec_reader_step_map_source(r);
        if (!src || strcmp(src, beside ? side : "step-map.ns"))
            FZ_FAIL("step-map source %s", src ? src : "NULL");
        walked w = {0};
        w.r = r;
        uint64_t lines, ids;
        st = ctrec_reader_step_map_walk(r, on_batch, &w, &lines, &ids);
        fz_check_status(st, "walk");
        if (st && !strstr(ctrec_reader_errmsg(r), "step-map.ns"))
            FZ_FAIL("walk failed without naming step-map.ns: %s", ctrec_reader_errmsg(r));
        size_t count;
        ctrec_status q = ctrec_reader_line_steps(r, 0, 1, NULL, 0, &count);
        if (st != q) FZ_FAIL("walk %d, line_steps %d", (int)st, (int)q);
        if (!st) {
            if (lines != w.entries) FZ_FAIL("walk counted %llu lines", (unsigned long long)lines);
            /* the entries are few (each is 32 bytes of a 1 MiB input): ask
             * for the last one walked, and a key it lacks */
            if (w.entries) compare_entry(&w);
            if (ctrec_reader_line_steps(r, UINT64_MAX, 0, NULL, 0, &count) ||
                (count && w.path != UINT64_MAX))
                FZ_FAIL("a path past every entry answered");
        }
    }
    ctrec_reader_close(r);
    ctrec_check_options co;
    ctrec_check_options_init(&co);
    co.check_files = 0;
    ctrec_check_summary sum;
    fz_check_status(ctrec_check(path, &co, NULL, NULL, &sum), "check");
    return 0;
}
