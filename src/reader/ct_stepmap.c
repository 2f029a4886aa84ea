/*
 * ct_stepmap.c — step-map.ns, the debugger's breakpoint index of a .ct
 * (docs/ct.md "step-map.ns"): (path_id, line) -> the ascending step ids
 * recorded there. Layout (all little-endian):
 *
 *   header, 18 bytes:   u32 magic 0x53544D50 ("STMP"), u16 version 1,
 *                       u32 path_count, u64 path_table_offset
 *   path entry, 20 B:   u64 path_id, u32 line_count, u64 lines_offset
 *                       (path_count of them, path_id ascending)
 *   line entry, 32 B:   u32 line, u32 step_count, i64 first, i64 last,
 *                       u64 steps_offset (line ascending)
 *   step list:          step_count x i64, ascending
 *
 * The index is the member step-map.ns or, when the container has none, the
 * file <name>.step-map.ns beside the .ct (the debugger reads it there too:
 * db-backend ctfs_trace_reader/mod.rs load_step_map_namespace).
 * It is never loaded whole: entries are read through ctfs_read_at (pread),
 * step lists in batches of CT_SM_BATCH ids. Every structural fault is
 * refused with the member's name and the offset of the field at fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct.h"
#include "ct_stepmap.h"
#include "util/path.h"

#define SM "step-map.ns"


/* 1 when [off, off + n*size) lies inside the member (no overflow). */
static int inside(const ct_stepmap *sm, uint64_t off, uint64_t n, uint64_t size)
{
    return off <= sm->size && n <= (sm->size - off) / size;
}

/* n bytes at offset at of the index: the member, or the file beside the .ct
 * (whose size was taken when it was opened; a file cut shorter since is
 * damage). */
static ctrec_status sm_read(ct_stepmap *sm, uint64_t at, void *out, size_t n, err *e)
{
    if (sm->fd < 0) return ctfs_read_at(sm->c, sm->m, at, out, n, e);
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(sm->fd, (char *)out + got, n - got, (off_t)(at + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return err_sys(e, errno, "%s: reading %zu bytes at offset %llu", sm->label, n,
                                  (unsigned long long)at);
        if (k == 0)
            return err_set(e, CTREC_E_FORMAT, "%s: the file ends at offset %llu, before the %zu "
                           "bytes read at offset %llu (it shrank while read)", sm->label,
                           (unsigned long long)(at + got), n, (unsigned long long)at);
        got += (size_t)k;
    }
    return CTREC_OK;
}

/* The header (size, magic, version, path table inside), for both sources. */
static ctrec_status sm_header(ct_stepmap *sm, err *e)
{
    if (sm->size < CT_SM_HEADER)
        return err_set(e, CTREC_E_FORMAT, "%s: %llu bytes, shorter than its 18-byte header",
                       sm->label, (unsigned long long)sm->size);
    uint8_t h[CT_SM_HEADER];
    ctrec_status st = sm_read(sm, 0, h, sizeof h, e);
    if (st) return st;
    uint32_t magic = load_le32(h);
    if (magic != CT_SM_MAGIC)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: magic 0x%08x at offset 0, expected 0x53544d50 (\"STMP\")", sm->label,
                       (unsigned)magic);
    unsigned version = load_le16(h + 4);
    if (version != 1)
        return err_set(e, CTREC_E_FORMAT, "%s: version %u at offset 4, expected 1", sm->label,
                       version);
    sm->npaths = load_le32(h + 6);
    sm->ptab = load_le64(h + 10);
    if (!inside(sm, sm->ptab, sm->npaths, CT_SM_PATH))
        return err_set(e, CTREC_E_FORMAT,
                       "%s: the path table (%llu entries of 20 bytes at offset %llu, stated at "
                       "offset 10) runs past the member's %llu bytes",
                       sm->label, (unsigned long long)sm->npaths, (unsigned long long)sm->ptab,
                       (unsigned long long)sm->size);
    return CTREC_OK;
}

ctrec_status ct_stepmap_open(ct_stepmap *sm, ctfs *c, const ctfs_member *m, err *e)
{
    memset(sm, 0, sizeof *sm);
    sm->fd = -1;
    sm->label = SM;
    sm->c = c;
    sm->m = m;
    sm->size = m->size;
    return sm_header(sm, e);
}

ctrec_status ct_stepmap_open_file(ct_stepmap *sm, const char *path, const char *label, err *e)
{
    memset(sm, 0, sizeof *sm);
    sm->label = label;
    sm->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (sm->fd < 0 || fstat(sm->fd, &sb)) {
        ctrec_status st = err_sys(e, errno, "%s: cannot open it", label);
        ct_stepmap_close(sm);
        return st;
    }
    sm->size = (uint64_t)sb.st_size;
    return sm_header(sm, e);
}

void ct_stepmap_close(ct_stepmap *sm)
{
    if (sm->fd >= 0) close(sm->fd);
    sm->fd = -1;
}

ctrec_status ct_stepmap_path(ct_stepmap *sm, uint64_t i, ct_sm_path *p, err *e)
{
    uint8_t b[CT_SM_PATH];
    uint64_t at = sm->ptab + i * CT_SM_PATH;
    ctrec_status st = sm_read(sm, at, b, sizeof b, e);
    if (st) return st;
    p->at = at;
    p->path_id = load_le64(b);
    p->nlines = load_le32(b + 8);
    p->ltab = load_le64(b + 12);
    if (!inside(sm, p->ltab, p->nlines, CT_SM_LINE))
        return err_set(e, CTREC_E_FORMAT,
                       "%s: path entry at offset %llu (path %llu): its line table (%llu entries "
                          "of 32 bytes at offset %llu) runs past the member's %llu bytes", sm->label,
                       (unsigned long long)at, (unsigned long long)p->path_id,
                       (unsigned long long)p->nlines, (unsigned long long)p->ltab,
                       (unsigned long long)sm->size);
    return CTREC_OK;
}

ctrec_status ct_stepmap_line(ct_stepmap *sm, const ct_sm_path *p, uint64_t j, ct_sm_line *l,
                             err *e)
{
    uint8_t b[CT_SM_LINE];
    uint64_t at = p->ltab + j * CT_SM_LINE;
    ctrec_status st = sm_read(sm, at, b, sizeof b, e);
    if (st) return st;
    l->at = at;
    l->line = load_le32(b);
    l->nsteps = load_le32(b + 4);
    l->first = (int64_t)load_le64(b + 8);
    l->last = (int64_t)load_le64(b + 16);
    l->soff = load_le64(b + 24);
    if (!inside(sm, l->soff, l->nsteps, 8))
        return err_set(e, CTREC_E_FORMAT,
                       "%s: line entry at offset %llu (path %llu line %lu): its step list "
                          "(%llu ids at offset %llu) runs past the member's %llu bytes", sm->label,
                       (unsigned long long)at, (unsigned long long)p->path_id,
                       (unsigned long)l->line, (unsigned long long)l->nsteps,
                       (unsigned long long)l->soff, (unsigned long long)sm->size);
    return CTREC_OK;
}

ctrec_status ct_stepmap_ids(ct_stepmap *sm, const ct_sm_line *l, uint64_t from, int64_t *out,
                            size_t n, err *e)
{
    uint8_t b[8 * 64];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < 64 ? n - done : 64;
        ctrec_status st =
            sm_read(sm, l->soff + (from + done) * 8, b, k * 8, e);
        if (st) return st;
        for (size_t i = 0; i < k; i++) out[done + i] = (int64_t)load_le64(b + 8 * i);
        done += k;
    }
    return CTREC_OK;
}

ctrec_status ct_stepmap_walk(ct_stepmap *sm, ct_sm_fn fn, void *ctx, uint64_t *nlines,
                             uint64_t *nids, err *e)
{
    ctrec_status st;
    uint64_t lines = 0, ids = 0;
    ct_sm_path p, prevp = {0};
    for (uint64_t i = 0; i < sm->npaths; i++) {
        if ((st = ct_stepmap_path(sm, i, &p, e))) return st;
        if (i && p.path_id <= prevp.path_id)
            return err_set(e, CTREC_E_FORMAT,
                           "%s: path entry at offset %llu: path %llu after path %llu (the "
                              "path table must be ascending)", sm->label,
                           (unsigned long long)p.at, (unsigned long long)p.path_id,
                           (unsigned long long)prevp.path_id);
        prevp = p;
        ct_sm_line l, prevl = {0};
        for (uint64_t j = 0; j < p.nlines; j++) {
            if ((st = ct_stepmap_line(sm, &p, j, &l, e))) return st;
            if (j && l.line <= prevl.line)
                return err_set(e, CTREC_E_FORMAT,
                               "%s: line entry at offset %llu (path %llu): line %lu after "
                                  "line %lu (a path's lines must be ascending)", sm->label,
                               (unsigned long long)l.at, (unsigned long long)p.path_id,
                               (unsigned long)l.line, (unsigned long)prevl.line);
            prevl = l;
            int64_t batch[CT_SM_BATCH], prev = -1;
            for (uint64_t k = 0; k < l.nsteps; k += CT_SM_BATCH) {
                size_t n = l.nsteps - k < CT_SM_BATCH ? (size_t)(l.nsteps - k) : CT_SM_BATCH;
                if ((st = ct_stepmap_ids(sm, &l, k, batch, n, e))) return st;
                for (size_t q = 0; q < n; q++) {
                    if (batch[q] <= prev)
                        return err_set(
                            e, CTREC_E_FORMAT,
                            "%s: step list of path %llu line %lu: id %lld at offset %llu %s", sm->label,
                            (unsigned long long)p.path_id, (unsigned long)l.line,
                            (long long)batch[q], (unsigned long long)(l.soff + (k + q) * 8),
                            batch[q] < 0 ? "is below 0"
                                         : "does not follow the one before (not ascending)");
                    prev = batch[q];
                }
                if (k == 0 && batch[0] != l.first)
                    return err_set(e, CTREC_E_FORMAT,
                                   "%s: line entry at offset %llu (path %llu line %lu): first "
                                      "%lld, the list starts with %lld", sm->label,
                                   (unsigned long long)l.at, (unsigned long long)p.path_id,
                                   (unsigned long)l.line, (long long)l.first,
                                   (long long)batch[0]);
                if (fn && fn(ctx, &p, &l, k, batch, n, e)) return e->status ? e->status : CTREC_E_FORMAT;
            }
            /* an entry that lists no step is handed over too, once, with
             * no ids: the callback sees every entry *nlines counts */
            if (!l.nsteps && fn && fn(ctx, &p, &l, 0, NULL, 0, e))
                return e->status ? e->status : CTREC_E_FORMAT;
            if (l.nsteps && prev != l.last)
                return err_set(e, CTREC_E_FORMAT,
                               "%s: line entry at offset %llu (path %llu line %lu): last %lld, "
                                  "the list ends with %lld", sm->label,
                               (unsigned long long)l.at, (unsigned long long)p.path_id,
                               (unsigned long)l.line, (long long)l.last, (long long)prev);
            lines++;
            ids += l.nsteps;
        }
    }
    if (nlines) *nlines = lines;
    if (nids) *nids = ids;
    return CTREC_OK;
}

ctrec_status ct_stepmap_find(ct_stepmap *sm, uint64_t path_id, uint32_t line, ct_sm_line *out,
                             int *found, err *e)
{
    ctrec_status st;
    *found = 0;
    uint64_t lo = 0, hi = sm->npaths;
    ct_sm_path p;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((st = ct_stepmap_path(sm, mid, &p, e))) return st;
        if (p.path_id == path_id) {
            uint64_t a = 0, b = p.nlines;
            while (a < b) {
                uint64_t m = a + (b - a) / 2;
                if ((st = ct_stepmap_line(sm, &p, m, out, e))) return st;
                if (out->line == line) {
                    *found = 1;
                    return CTREC_OK;
                }
                if (out->line < line) a = m + 1;
                else b = m;
            }
            return CTREC_OK;
        }
        if (p.path_id < path_id) lo = mid + 1;
        else hi = mid;
    }
    return CTREC_OK;
}

/* ---- the public calls ---- */

const char *ct_stepmap_where(ctfs *c, const char *side, const ctfs_member **member)
{
    const ctfs_member *m = c ? ctfs_find(c, SM) : NULL;
    if (member) *member = m;
    if (m) return SM;
    return c && side && path_is_file(side) ? side : NULL;
}

/* Opens the index ct_stepmap_where names (side: the file beside the .ct,
 * NULL for none); ct_stepmap_close after, on failure too. */
static ctrec_status sm_begin(ctfs *c, const char *name, const char *side, ct_stepmap *sm, err *e)
{
    const ctfs_member *m;
    const char *where = ct_stepmap_where(c, side, &m);
    err le = {0};
    ctrec_status st;
    if (m) {
        st = ct_stepmap_open(sm, c, m, &le);
    } else if (where) {
        const char *slash = strrchr(side, '/');
        st = ct_stepmap_open_file(sm, side, slash ? slash + 1 : side, &le);
    } else {
        memset(sm, 0, sizeof *sm);
        sm->fd = -1;
        return err_set(e, CTREC_E_UNSUPPORTED, "%s: %s", name,
                       c ? "no step-map.ns in this container or beside it"
                         : "not a CTFS container");
    }
    if (st) return err_set(e, st, "%s: %s", name, le.msg);
    return CTREC_OK;
}

typedef struct pub_walk {
    ct_sm_pub_fn fn;
    void *ud;
} pub_walk;

static int pub_cb(void *ctx, const ct_sm_path *p, const ct_sm_line *l, uint64_t from,
                  const int64_t *ids, size_t n, err *e)
{
    pub_walk *w = ctx;
    if (!w->fn) return 0;
    if (w->fn(w->ud, p->path_id, l->line, l->nsteps, ids, n, from == 0)) {
        err_set(e, CTREC_E_STATE, "step-map.ns: the walk was stopped by its callback");
        return 1;
    }
    return 0;
}

ctrec_status ct_stepmap_pub_walk(ctfs *c, const char *name, const char *side, ct_sm_state *state,
                                 ct_sm_pub_fn fn, void *ud, uint64_t *lines, uint64_t *ids,
                                 err *e)
{
    if (lines) *lines = 0;
    if (ids) *ids = 0;
    ct_stepmap sm;
    ctrec_status st = sm_begin(c, name, side, &sm, e);
    if (st) {
        ct_stepmap_close(&sm);
        return st;
    }
    pub_walk w = {fn, ud};
    err le = {0};
    st = ct_stepmap_walk(&sm, pub_cb, &w, lines, ids, &le);
    ct_stepmap_close(&sm);
    if (st == CTREC_E_STATE) return err_set(e, st, "%s: %s", name, le.msg);
    if (st) {
        err_set(e, st, "%s: %s", name, le.msg);
        if (st == CTREC_E_FORMAT) {
            state->walked = -1;
            state->why = *e;
        }
        return st;
    }
    state->walked = 1;
    return CTREC_OK;
}

static ctrec_status lookup(ct_stepmap *sm, ctfs *c, const char *name, const char *side,
                           ct_sm_state *state, uint64_t path_id, uint32_t line, int64_t *out,
                           size_t cap, size_t *count, err *e)
{
    ctrec_status st;
    if (state->walked < 0) {
        *e = state->why;
        return e->status;
    }
    if (!state->walked &&
        (st = ct_stepmap_pub_walk(c, name, side, state, NULL, NULL, NULL, NULL, e)))
        return st;
    ct_sm_line l;
    int found;
    err le = {0};
    if ((st = ct_stepmap_find(sm, path_id, line, &l, &found, &le)) ||
        (found && (st = ct_stepmap_ids(sm, &l, 0, out, l.nsteps < cap ? (size_t)l.nsteps : cap,
                                       &le))))
        return err_set(e, st, "%s: %s", name, le.msg);
    if (found) *count = (size_t)l.nsteps;
    return CTREC_OK;
}

ctrec_status ct_stepmap_lookup(ctfs *c, const char *name, const char *side, ct_sm_state *state,
                               uint64_t path_id, uint32_t line, int64_t *out, size_t cap,
                               size_t *count, err *e)
{
    *count = 0;
    ct_stepmap sm;
    ctrec_status st = sm_begin(c, name, side, &sm, e);
    if (!st) st = lookup(&sm, c, name, side, state, path_id, line, out, cap, count, e);
    ct_stepmap_close(&sm);
    return st;
}
