/*
 * ct_stepmap.h — the decoder of step-map.ns (ct_stepmap.c), the debugger's
 * breakpoint index: (path_id, line) -> ascending step ids. Bounded memory:
 * entries are read through ctfs_read_at one at a time.
 */
#ifndef CTREC_READER_CT_STEPMAP_H
#define CTREC_READER_CT_STEPMAP_H

#include <stdint.h>

#include "ctfs/ctfs.h"
#include "util/err.h"

#define CT_SM_MAGIC 0x53544D50u /* "STMP" read as a little-endian u32 */
#define CT_SM_HEADER 18
#define CT_SM_PATH 20
#define CT_SM_LINE 32
#define CT_SM_BATCH 512 /* step ids handed to a walk's callback at a time */

typedef struct ct_stepmap {
    ctfs *c;
    const ctfs_member *m;
    int fd;            /* the file beside the .ct, else -1 (the member) */
    const char *label; /* "step-map.ns", or the file's name: messages start with it */
    uint64_t size;   /* the member's (file's) size when opened */
    uint64_t npaths; /* path_count */
    uint64_t ptab;   /* path_table_offset */
} ct_stepmap;

typedef struct ct_sm_path {
    uint64_t at; /* offset of the entry */
    uint64_t path_id, nlines, ltab;
} ct_sm_path;

typedef struct ct_sm_line {
    uint64_t at; /* offset of the entry */
    uint32_t line;
    uint64_t nsteps;
    int64_t first, last;
    uint64_t soff;
} ct_sm_line;

/* Reads and checks the header (size, magic, version, path table inside). */
ctrec_status ct_stepmap_open(ct_stepmap *sm, ctfs *c, const ctfs_member *m, err *e);
/* The same from the file at path (messages name it `label`, which must
 * outlive sm); ct_stepmap_close closes it, on failure too. */
ctrec_status ct_stepmap_open_file(ct_stepmap *sm, const char *path, const char *label, err *e);
void ct_stepmap_close(ct_stepmap *sm);
/* Path entry i (< npaths); its line table must lie inside the member. */
ctrec_status ct_stepmap_path(ct_stepmap *sm, uint64_t i, ct_sm_path *p, err *e);
/* Line entry j (< p->nlines); its step list must lie inside the member. */
ctrec_status ct_stepmap_line(ct_stepmap *sm, const ct_sm_path *p, uint64_t j, ct_sm_line *l,
                             err *e);
/* Step ids [from, from + n) of a line entry's list, as stored. */
ctrec_status ct_stepmap_ids(ct_stepmap *sm, const ct_sm_line *l, uint64_t from, int64_t *out,
                            size_t n, err *e);

/* Called by ct_stepmap_walk with up to CT_SM_BATCH ids of a line's list at a
 * time (ids[0] is the list's id number `from`) (ids already checked ascending and >= 0). Non-zero stops the walk
 * (set *e; its status is returned, CTREC_E_FORMAT when it is 0). */
typedef int (*ct_sm_fn)(void *ctx, const ct_sm_path *p, const ct_sm_line *l, uint64_t from,
                        const int64_t *ids, size_t n, err *e);

/* Walks the whole index in order and refuses any structural fault: path ids
 * not ascending, a path's lines not ascending, a list not ascending or with
 * an id below 0, first/last not the list's ends, anything outside the
 * member. nlines/nids (may be NULL): the line entries and ids counted. */
ctrec_status ct_stepmap_walk(ct_stepmap *sm, ct_sm_fn fn, void *ctx, uint64_t *nlines,
                             uint64_t *nids, err *e);

/* Binary search for (path_id, line); sound after a walk succeeded. *found 0
 * when the index has no entry for it. */
ctrec_status ct_stepmap_find(ct_stepmap *sm, uint64_t path_id, uint32_t line, ct_sm_line *out,
                             int *found, err *e);

/* What a reader keeps between calls of ctrec_reader_line_steps: whether
 * the whole index was walked (1 sound, -1 damaged, 0 not yet) and, when
 * damaged, why. */
typedef struct ct_sm_state {
    int walked;
    err why;
} ct_sm_state;

/* Where the debugger's breakpoint index is for container c: "step-map.ns"
 * (*member set, may be NULL), else side when it names a regular file (the
 * file beside the .ct), else NULL. */
const char *ct_stepmap_where(ctfs *c, const char *side, const ctfs_member **member);

/* The public calls (ctrec_reader_line_steps / _step_map_walk) on the
 * container c (NULL: not a .ct), or, when it has no step-map.ns, on the file
 * at side (NULL: none); messages in *e are prefixed "name: ". */
ctrec_status ct_stepmap_lookup(ctfs *c, const char *name, const char *side, ct_sm_state *st,
                               uint64_t path_id, uint32_t line, int64_t *out, size_t cap,
                               size_t *count, err *e);
typedef int (*ct_sm_pub_fn)(void *ud, uint64_t path_id, uint32_t line, uint64_t total,
                            const int64_t *ids, size_t n, int first);
ctrec_status ct_stepmap_pub_walk(ctfs *c, const char *name, const char *side, ct_sm_state *st,
                                 ct_sm_pub_fn fn, void *ud, uint64_t *lines, uint64_t *ids,
                                 err *e);

#endif
