/*
 * ctfs_write.c — the CTFS v4 container, write side. See ctfs_write.h.
 *
 * Mapping (FORMAT.md 7.1): a member's level-1 block lists data blocks in
 * entries 0..510; entry 511 chains to a level-2 block whose entries 0..510
 * each point to a level-1 sub-block, and so on up to level 5. Growth is
 * append-only, so only the blocks on the path of the next insertion can
 * still change: those are kept in memory (and written when they stop
 * changing, or at publish); the others are on disk and never touched again.
 *
 * Publication is copy-on-write: a block that the last root names (through
 * the mapping) is never written again while it would change bytes a reader
 * of that root sees. Such a block (a data block holding published
 * provisional bytes, a mapping block whose entries change) gets a fresh
 * block number at publish, its mapping entry changes with it, and so up to
 * the member's level-1 block, whose number is in the root entry. Block 0
 * is then the one write that switches every member at once, so a process
 * killed at any point leaves the file exactly as one publication made it.
 * The blocks a publication replaced are reused only after QUARANTINE more
 * publications (a reader following the file that read the older root
 * entries still finds them unchanged for that many intervals, and the
 * follow reader reads again after a refresh what did not decode), so the
 * file holds at most QUARANTINE + 1 publications' worth of replaced blocks
 * (about that many times the provisional chunks and their mapping blocks),
 * whatever the number of publications.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* pwritev */
#endif
#include "ctfs/ctfs_write.h"

#include "ctfs/ctfs.h"
#include "util/buf.h"
#include "util/le.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PTRS (CTFS_W_BLOCK / 8u) /* 512 */
#define USABLE (PTRS - 1u)       /* 511 */
#define LEVELS 5
#define QUARANTINE 3

typedef struct wmap {
    uint64_t blk;
    /* Its entries: e[0 .. nz-1] and e[USABLE] hold their values, the rest
     * of e[] is 0 and not stored yet (map_get, map_set): a new mapping
     * block is not cleared whole (17 members, 4 KiB each, at open). */
    uint64_t e[PTRS];
    unsigned nz;
    int dirty;
    /* named by the last root; `changed`: an entry that root's readers use
     * changed since (entries past the published size are not used: those
     * may change in place). Relocated (a fresh blk) before it is written
     * when both hold. */
    int pub, changed;
    /* it maps data blocks first .. first + span - 1 (a leaf: directly) */
    int leaf;
    uint64_t first, span;
    /* the block whose entry pent names this one (NULL: the root entry) */
    struct wmap *parent;
    unsigned pent;
} wmap;

typedef struct member {
    uint64_t name40;
    uint64_t size;    /* bytes appended */
    uint64_t nblocks; /* data blocks allocated */
    uint64_t tail_blk;
    int tail_dirty;
    uint8_t *tail;           /* the last data block's content */
    wmap *head[LEVELS];      /* head[L-1]: the level-L block of the chain */
    wmap *path[LEVELS][LEVELS]; /* path[L-1][d]: sub-block at depth d under head L */
    /* Provisional bytes (ctfs_w_provisional): shown past `size` at each
     * publication until an append replaces them. They are written at
     * publish into the tail block and into blocks reserved past it
     * (resv, already in the mapping), which the next appends take over. */
    buf prov;
    uint64_t *resv;
    size_t nresv, resv_cap;
    /* What the last publication showed: bytes below pub_real as appended,
     * [pub_real, pub_end) provisional. A full block that would overwrite
     * published provisional bytes before the next publication is held in
     * memory until then (held), and then written to a fresh block, so the
     * file always matches its root. */
    uint64_t pub_real, pub_end;
    struct held_blk {
        uint64_t index, blk;
        uint8_t *data;
    } *held;
    size_t nheld, held_cap;
    /* Mapping blocks that left the insertion path but may still change: the
     * last root names them, or they map blocks at or past the tail (the
     * provisional bytes' blocks reserved ahead of it). A publication may
     * relocate them; they are dropped once the tail is past them. */
    wmap **retired;
    size_t nretired, retired_cap;
} member;

/* A list of block numbers. */
typedef struct blist {
    uint64_t *b;
    size_t n, cap;
} blist;

struct ctfs_w {
    int fd;
    uint64_t next_block;
    unsigned nmembers;
    /* Blocks no root names (reused first); blocks the current publication
     * replaces (only the last root names them); those replaced by the
     * QUARANTINE publications before it (free after them). */
    blist freeb, pend, quar[QUARANTINE];
    member m[CTFS_W_ROOT_ENTRIES];
    /* Full data blocks that follow each other in the file, gathered into
     * one write (wc_put): up to WC_BLOCKS blocks from byte wc_off. Every
     * other write writes them first (pwrite_all, write_map), so writes
     * reach the file in the order they were made, and the root (block 0,
     * pwrite_all) always after the blocks it names. */
    uint8_t *wc;
    size_t wc_len;
    uint64_t wc_off;
};
#define WC_BLOCKS 64u

static int blist_push(blist *l, uint64_t b)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        uint64_t *n = realloc(l->b, cap * sizeof *n);
        if (!n) return -1;
        l->b = n;
        l->cap = cap;
    }
    l->b[l->n++] = b;
    return 0;
}

static uint64_t alloc_block(ctfs_w *c)
{
    return c->freeb.n ? c->freeb.b[--c->freeb.n] : c->next_block++;
}

static ctrec_status pwrite_raw(ctfs_w *c, const void *p, size_t n, uint64_t off, err *e)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t k = pwrite(c->fd, q, n, (off_t)off);
        if (k < 0) {
            if (errno == EINTR) continue;
            return err_sys(e, errno, "writing the .ct container at offset %llu",
                           (unsigned long long)off);
        }
        if (k == 0) return err_set(e, CTREC_E_IO, "writing the .ct container: no progress");
        q += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return CTREC_OK;
}

/* Writes the gathered blocks (wc_put). */
static ctrec_status wc_flush(ctfs_w *c, err *e)
{
    if (!c->wc_len) return CTREC_OK;
    ctrec_status st = pwrite_raw(c, c->wc, c->wc_len, c->wc_off, e);
    c->wc_len = 0;
    return st;
}

/* Every write but wc_put's: the gathered blocks first. */
static ctrec_status pwrite_all(ctfs_w *c, const void *p, size_t n, uint64_t off, err *e)
{
    ctrec_status st = wc_flush(c, e);
    return st ? st : pwrite_raw(c, p, n, off, e);
}

/* A full data block at byte `off`: gathered while the blocks follow each
 * other (a member's appended blocks do, but for a mapping block every 511:
 * calls.dat copied at close was one pwrite a block), else written. */
static ctrec_status wc_put(ctfs_w *c, const uint8_t *b, uint64_t off, err *e)
{
    if (c->wc_len && (off != c->wc_off + c->wc_len || c->wc_len == WC_BLOCKS * CTFS_W_BLOCK)) {
        ctrec_status st = wc_flush(c, e);
        if (st) return st;
    }
    if (!c->wc && !(c->wc = malloc(WC_BLOCKS * CTFS_W_BLOCK)))
        return pwrite_all(c, b, CTFS_W_BLOCK, off, e); /* without gathering */
    if (!c->wc_len) c->wc_off = off;
    memcpy(c->wc + c->wc_len, b, CTFS_W_BLOCK);
    c->wc_len += CTFS_W_BLOCK;
    return CTREC_OK;
}

/* Entry i of a mapping block. */
static inline uint64_t map_get(const wmap *m, unsigned i)
{
    return i < USABLE && i >= m->nz ? 0 : m->e[i];
}

/* Sets entry i, clearing the entries not stored before it. */
static inline void map_set(wmap *m, unsigned i, uint64_t v)
{
    if (i < USABLE && i >= m->nz) {
        memset(&m->e[m->nz], 0, (size_t)(i - m->nz) * sizeof m->e[0]);
        m->nz = i + 1;
    }
    m->e[i] = v;
}

/* A mapping block: its stored entries, the zeros after them (from a
 * constant block, not cleared each time: glibc's memset of 4 KiB was most
 * of a small trace's writing of its maps) and its last entry, in one
 * pwritev. */
static ctrec_status write_map(ctfs_w *c, wmap *m, err *e)
{
    if (!m || !m->dirty) return CTREC_OK;
    ctrec_status fst = wc_flush(c, e);
    if (fst) return fst;
    static const uint8_t zeros[CTFS_W_BLOCK];
    uint8_t b[CTFS_W_BLOCK - 8], last[8];
    for (unsigned i = 0; i < m->nz; i++) store_le64(b + 8 * i, m->e[i]);
    store_le64(last, m->e[USABLE]);
    struct iovec v[3] = {{b, 8 * (size_t)m->nz},
                         {(void *)(uintptr_t)zeros, 8 * (size_t)(USABLE - m->nz)},
                         {last, 8}};
    uint64_t off = m->blk * CTFS_W_BLOCK;
    unsigned i = 0;
    while (i < 3) {
        ssize_t k = pwritev(c->fd, v + i, (int)(3 - i), (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0)
            return err_sys(e, errno, "writing the .ct container at offset %llu",
                           (unsigned long long)off);
        if (k == 0) return err_set(e, CTREC_E_IO, "writing the .ct container: no progress");
        size_t left = (size_t)k;
        off += (uint64_t)k;
        while (i < 3 && left >= v[i].iov_len) left -= v[i++].iov_len;
        if (i < 3) {
            v[i].iov_base = (uint8_t *)v[i].iov_base + left;
            v[i].iov_len -= left;
        }
    }
    m->dirty = 0;
    return CTREC_OK;
}

static wmap *new_map(ctfs_w *c, wmap *reuse, wmap *parent, unsigned pent)
{
    wmap *m = reuse ? reuse : malloc(sizeof *m);
    if (!m) return NULL;
    /* every field but e[], which holds no entry yet (nz 0) */
    m->nz = 0;
    m->e[USABLE] = 0;
    m->pub = m->changed = m->leaf = 0;
    m->first = m->span = 0;
    m->blk = alloc_block(c);
    m->dirty = 1;
    m->parent = parent;
    m->pent = pent;
    return m;
}

/* Whether mapping block x can still change: the last root names it, or it
 * maps blocks at or past the member's tail block. */
static int may_change(const member *m, const wmap *x)
{
    return x->pub || x->first + x->span > m->size / CTFS_W_BLOCK;
}

/* A mapping block leaves the insertion path: written now if it cannot
 * change any more (its struct is then reused: *keep 0), else kept in
 * `retired` (*keep 1). */
static ctrec_status retire_map(ctfs_w *c, member *m, wmap *x, int *keep, err *e)
{
    *keep = 0;
    if (!x) return CTREC_OK;
    if (!may_change(m, x)) return write_map(c, x, e);
    if (m->nretired == m->retired_cap) {
        size_t cap = m->retired_cap ? 2 * m->retired_cap : 8;
        wmap **r = realloc(m->retired, cap * sizeof *r);
        if (!r) return err_set(e, CTREC_E_NOMEM, "out of memory");
        m->retired = r;
        m->retired_cap = cap;
    }
    m->retired[m->nretired++] = x;
    *keep = 1;
    return CTREC_OK;
}

static uint64_t cap_of(unsigned level)
{
    uint64_t cap = 1;
    for (unsigned i = 0; i < level; i++) {
        if (cap > UINT64_MAX / USABLE) return UINT64_MAX;
        cap *= USABLE;
    }
    return cap;
}

/* Records data block `blk` as the member's block number `index`. */
static ctrec_status map_insert(ctfs_w *c, member *m, uint64_t index, uint64_t blk, err *e)
{
    uint64_t idx = index;
    unsigned L = 1;
    while (idx >= cap_of(L)) {
        idx -= cap_of(L);
        if (++L > LEVELS)
            return err_set(e, CTREC_E_IO, "a .ct member outgrew the 5-level block mapping");
    }
    if (!m->head[L - 1]) {
        wmap *h = new_map(c, NULL, m->head[L - 2], USABLE);
        if (!h) return err_set(e, CTREC_E_NOMEM, "out of memory");
        m->head[L - 1] = h;
        map_set(m->head[L - 2], USABLE, h->blk);
        m->head[L - 2]->dirty = 1;
    }
    wmap *cur = m->head[L - 1];
    for (unsigned lvl = L, d = 0; lvl >= 2; lvl--, d++) {
        uint64_t sub = cap_of(lvl - 1);
        uint64_t ent = idx / sub;
        idx %= sub;
        wmap **slot = &m->path[L - 1][d];
        if (map_get(cur, (unsigned)ent) == 0) {
            int keep;
            ctrec_status st = retire_map(c, m, *slot, &keep, e);
            if (st) return st;
            wmap *n = new_map(c, keep ? NULL : *slot, cur, (unsigned)ent);
            if (!n) return err_set(e, CTREC_E_NOMEM, "out of memory");
            n->first = index - idx;
            n->span = sub;
            *slot = n;
            map_set(cur, (unsigned)ent, n->blk);
            cur->dirty = 1;
        }
        cur = *slot;
    }
    if (L == 1) cur->span = USABLE; /* head[0]: first 0 */
    cur->leaf = 1;
    map_set(cur, (unsigned)idx, blk);
    cur->dirty = 1;
    return CTREC_OK;
}

/* Frees the member's mapping blocks in memory. */
static void free_maps(member *m)
{
    for (unsigned L = 0; L < LEVELS; L++) {
        free(m->head[L]);
        m->head[L] = NULL;
        for (unsigned d = 0; d < LEVELS; d++) {
            free(m->path[L][d]);
            m->path[L][d] = NULL;
        }
    }
    for (size_t r = 0; r < m->nretired; r++) free(m->retired[r]);
    m->nretired = 0;
}

/* The in-memory leaf that maps data block `index` (on the insertion path
 * or retired). */
static wmap *leaf_of(member *m, uint64_t index)
{
    for (unsigned L = 0; L < LEVELS; L++) {
        wmap *x = L == 0 ? m->head[0] : m->path[L][L - 1];
        if (x && x->leaf && index >= x->first && index - x->first < x->span) return x;
    }
    for (size_t i = 0; i < m->nretired; i++) {
        wmap *x = m->retired[i];
        if (x->leaf && index >= x->first && index - x->first < x->span) return x;
    }
    return NULL;
}

/* Data block `index`, named by the last root at *blk, moves to a fresh
 * block before it is written with new content. */
static ctrec_status relocate_data(ctfs_w *c, member *m, uint64_t index, uint64_t *blk, err *e)
{
    wmap *x = leaf_of(m, index);
    if (!x || map_get(x, (unsigned)(index - x->first)) != *blk)
        return err_set(e, CTREC_E_IO, "the .ct container's mapping of block %llu is not in "
                       "memory (a bug in ctrec)", (unsigned long long)index);
    if (blist_push(&c->pend, *blk)) return err_set(e, CTREC_E_NOMEM, "out of memory");
    *blk = alloc_block(c);
    map_set(x, (unsigned)(index - x->first), *blk);
    x->dirty = 1;
    x->changed = 1;
    return CTREC_OK;
}

/* Gives every mapping block the last root names whose used entries changed
 * a fresh block (its parent's entry changes with it, up to the level-1
 * block of the root entry), then writes every dirty one. */
static ctrec_status write_maps(ctfs_w *c, member *m, err *e)
{
    wmap *all[LEVELS * (LEVELS + 1)];
    size_t n = 0;
    for (unsigned L = 0; L < LEVELS; L++) {
        if (m->head[L]) all[n++] = m->head[L];
        for (unsigned d = 0; d < LEVELS; d++)
            if (m->path[L][d]) all[n++] = m->path[L][d];
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < n + m->nretired; i++) {
            wmap *x = i < n ? all[i] : m->retired[i - n];
            if (!x->changed || !x->pub) continue;
            if (blist_push(&c->pend, x->blk)) return err_set(e, CTREC_E_NOMEM, "out of memory");
            x->blk = alloc_block(c);
            x->pub = 0;
            x->dirty = 1;
            if (x->parent) {
                map_set(x->parent, x->pent, x->blk);
                x->parent->dirty = 1;
                x->parent->changed = 1;
            }
            changed = 1;
        }
    }
    ctrec_status st = CTREC_OK;
    for (size_t i = 0; i < n + m->nretired && !st; i++)
        st = write_map(c, i < n ? all[i] : m->retired[i - n], e);
    return st;
}

static ctrec_status write_root(ctfs_w *c, err *e)
{
    uint8_t b[16 + 24 * CTFS_W_ROOT_ENTRIES];
    memset(b, 0, sizeof b);
    static const uint8_t magic[5] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2};
    memcpy(b, magic, 5);
    b[5] = CTFS_W_VERSION;
    b[6] = 0; /* encryption */
    b[7] = 1; /* max_shards, as recorders write it */
    uint32_t bs = CTFS_W_BLOCK, mr = CTFS_W_ROOT_ENTRIES;
    for (int i = 0; i < 4; i++) {
        b[8 + i] = (uint8_t)(bs >> (8 * i));
        b[12 + i] = (uint8_t)(mr >> (8 * i));
    }
    for (unsigned i = 0; i < c->nmembers; i++) {
        uint8_t *r = b + 16 + 24 * i;
        store_le64(r, c->m[i].size + c->m[i].prov.len);
        store_le64(r + 8, c->m[i].head[0]->blk);
        store_le64(r + 16, c->m[i].name40);
    }
    return pwrite_all(c, b, sizeof b, 0, e);
}

ctrec_status ctfs_w_create(int dirfd, const char *name, ctfs_w **out, err *e)
{
    *out = NULL;
    ctfs_w *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, CTREC_E_NOMEM, "out of memory");
    c->fd = path_create(dirfd, name, O_WRONLY | O_CLOEXEC, 0644);
    if (c->fd < 0) {
        ctrec_status st = err_sys(e, errno, "creating %s", name);
        free(c);
        return st;
    }
    c->next_block = 1;
    uint8_t zero[CTFS_W_BLOCK];
    memset(zero, 0, sizeof zero);
    ctrec_status st = pwrite_all(c, zero, sizeof zero, 0, e);
    if (!st) st = write_root(c, e);
    if (st) {
        ctfs_w_abandon(c);
        return st;
    }
    *out = c;
    return CTREC_OK;
}

ctrec_status ctfs_w_member(ctfs_w *c, const char *name, unsigned *idx, err *e)
{
    uint64_t n40;
    if (ctfs_name_encode(name, strlen(name), &n40))
        return err_set(e, CTREC_E_ARG, "'%s' is not a CTFS member name", name);
    for (unsigned i = 0; i < c->nmembers; i++)
        if (c->m[i].name40 == n40) return err_set(e, CTREC_E_ARG, "member %s exists", name);
    if (c->nmembers == CTFS_W_ROOT_ENTRIES)
        return err_set(e, CTREC_E_ARG, "a .ct container holds at most %u members",
                       CTFS_W_ROOT_ENTRIES);
    member *m = &c->m[c->nmembers];
    memset(m, 0, sizeof *m);
    m->tail = malloc(CTFS_W_BLOCK); /* cleared as each block starts (ctfs_w_append) */
    m->head[0] = new_map(c, NULL, NULL, 0);
    if (!m->tail || !m->head[0]) {
        free(m->tail);
        free(m->head[0]);
        memset(m, 0, sizeof *m);
        return err_set(e, CTREC_E_NOMEM, "out of memory");
    }
    m->name40 = n40;
    *idx = c->nmembers++;
    return CTREC_OK;
}

uint64_t ctfs_w_size(const ctfs_w *c, unsigned idx) { return c->m[idx].size; }

/* Keeps the full tail block for the next publication (see `held`). */
static ctrec_status hold(member *m, err *e)
{
    if (m->nheld == m->held_cap) {
        size_t cap = m->held_cap ? 2 * m->held_cap : 4;
        struct held_blk *h = realloc(m->held, cap * sizeof *h);
        if (!h) return err_set(e, CTREC_E_NOMEM, "out of memory");
        m->held = h;
        m->held_cap = cap;
    }
    uint8_t *d = malloc(CTFS_W_BLOCK);
    if (!d) return err_set(e, CTREC_E_NOMEM, "out of memory");
    memcpy(d, m->tail, CTFS_W_BLOCK);
    m->held[m->nheld].index = m->nblocks - 1;
    m->held[m->nheld].blk = m->tail_blk;
    m->held[m->nheld++].data = d;
    return CTREC_OK;
}

ctrec_status ctfs_w_provisional(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e)
{
    member *m = &c->m[idx];
    m->prov.len = 0;
    buf_put(&m->prov, p, n);
    return m->prov.oom ? err_set(e, CTREC_E_NOMEM, "out of memory") : CTREC_OK;
}

/* Whether block `index` of the member holds bytes the last publication
 * showed as provisional (rewriting it changes what a reader sees). */
static int in_pub(const member *m, uint64_t index)
{
    return m->pub_end > m->pub_real && index * CTFS_W_BLOCK < m->pub_end &&
           (index + 1) * CTFS_W_BLOCK > m->pub_real;
}

/* Writes the member's provisional bytes where they show at publication
 * (the rest of the tail block, then blocks reserved past it, reserving
 * more as needed): a block that showed published provisional bytes moves
 * to a fresh block first. */
static ctrec_status write_prov(ctfs_w *c, member *m, err *e)
{
    const uint8_t *p = m->prov.data;
    size_t n = m->prov.len;
    uint8_t b[CTFS_W_BLOCK];
    size_t off = (size_t)(m->size % CTFS_W_BLOCK);
    ctrec_status st;
    size_t in_tail = off && m->nblocks ? CTFS_W_BLOCK - off : 0;
    size_t need = n > in_tail ? (n - in_tail + CTFS_W_BLOCK - 1) / CTFS_W_BLOCK : 0;
    while (m->nresv < need) {
        if (m->nresv == m->resv_cap) {
            size_t cap = m->resv_cap ? 2 * m->resv_cap : 4;
            uint64_t *r = realloc(m->resv, cap * sizeof *r);
            if (!r) return err_set(e, CTREC_E_NOMEM, "out of memory");
            m->resv = r;
            m->resv_cap = cap;
        }
        uint64_t blk = alloc_block(c);
        if ((st = map_insert(c, m, m->nblocks + m->nresv, blk, e))) return st;
        m->resv[m->nresv++] = blk;
    }
    if (off && m->nblocks) {
        size_t k = CTFS_W_BLOCK - off < n ? CTFS_W_BLOCK - off : n;
        if (in_pub(m, m->nblocks - 1) &&
            (st = relocate_data(c, m, m->nblocks - 1, &m->tail_blk, e)))
            return st;
        memcpy(b, m->tail, off);
        memcpy(b + off, p, k);
        memset(b + off + k, 0, CTFS_W_BLOCK - off - k);
        if ((st = pwrite_all(c, b, CTFS_W_BLOCK, m->tail_blk * CTFS_W_BLOCK, e))) return st;
        m->tail_dirty = 0;
        p += k;
        n -= k;
    }
    for (size_t i = 0; n; i++) {
        size_t k = n < CTFS_W_BLOCK ? n : CTFS_W_BLOCK;
        if (in_pub(m, m->nblocks + i) &&
            (st = relocate_data(c, m, m->nblocks + i, &m->resv[i], e)))
            return st;
        memcpy(b, p, k);
        memset(b + k, 0, CTFS_W_BLOCK - k);
        if ((st = pwrite_all(c, b, CTFS_W_BLOCK, m->resv[i] * CTFS_W_BLOCK, e))) return st;
        p += k;
        n -= k;
    }
    return CTREC_OK;
}

ctrec_status ctfs_w_append(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e)
{
    member *m = &c->m[idx];
    const uint8_t *q = p;
    if (n) m->prov.len = 0; /* superseded */
    while (n) {
        size_t off = (size_t)(m->size % CTFS_W_BLOCK);
        if (off == 0) {
            uint64_t b;
            if (m->nresv) { /* reserved for provisional bytes: mapped already */
                b = m->resv[0];
                memmove(m->resv, m->resv + 1, (m->nresv - 1) * sizeof *m->resv);
                m->nresv--;
            } else {
                b = alloc_block(c);
                ctrec_status st = map_insert(c, m, m->nblocks, b, e);
                if (st) return st;
            }
            m->nblocks++;
            m->tail_blk = b;
            memset(m->tail, 0, CTFS_W_BLOCK);
        }
        size_t k = CTFS_W_BLOCK - off;
        if (k > n) k = n;
        memcpy(m->tail + off, q, k);
        m->size += k;
        q += k;
        n -= k;
        m->tail_dirty = 1;
        if (off + k == CTFS_W_BLOCK) {
            uint64_t from = m->size - CTFS_W_BLOCK;
            ctrec_status st = in_pub(m, from / CTFS_W_BLOCK)
                                  ? hold(m, e)
                                  : wc_put(c, m->tail, m->tail_blk * CTFS_W_BLOCK, e);
            if (st) return st;
            m->tail_dirty = 0;
        }
    }
    return CTREC_OK;
}

ctrec_status ctfs_w_replace(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e)
{
    member *m = &c->m[idx];
    /* The old blocks stay as they are (the root entry names them until the
     * next publication); the member restarts in fresh ones. */
    free_maps(m);
    m->head[0] = new_map(c, NULL, NULL, 0);
    if (!m->head[0]) return err_set(e, CTREC_E_NOMEM, "out of memory");
    m->size = 0;
    m->nblocks = 0;
    m->tail_dirty = 0;
    m->prov.len = 0;
    m->nresv = 0;
    for (size_t h = 0; h < m->nheld; h++) free(m->held[h].data);
    m->nheld = 0;
    m->pub_real = m->pub_end = 0;
    return ctfs_w_append(c, idx, p, n, e);
}

ctrec_status ctfs_w_publish(ctfs_w *c, int sync, err *e)
{
    ctrec_status st = CTREC_OK;
    /* Everything goes to blocks the last root does not name (see the top
     * of this file), then block 0: a failure or a kill before block 0
     * leaves the file as the last publication made it. */
    for (unsigned i = 0; i < c->nmembers && !st; i++) {
        member *m = &c->m[i];
        for (size_t h = 0; h < m->nheld && !st; h++) {
            st = relocate_data(c, m, m->held[h].index, &m->held[h].blk, e);
            if (!st)
                st = pwrite_all(c, m->held[h].data, CTFS_W_BLOCK, m->held[h].blk * CTFS_W_BLOCK, e);
        }
        if (st) break;
        for (size_t h = 0; h < m->nheld; h++) free(m->held[h].data);
        m->nheld = 0;
        if (m->prov.len && (st = write_prov(c, m, e))) break;
        if (m->tail_dirty) {
            if (in_pub(m, m->nblocks - 1))
                st = relocate_data(c, m, m->nblocks - 1, &m->tail_blk, e);
            if (!st) st = pwrite_all(c, m->tail, CTFS_W_BLOCK, m->tail_blk * CTFS_W_BLOCK, e);
            if (!st) m->tail_dirty = 0;
        }
        if (!st) st = write_maps(c, m, e);
    }
    if (!st) st = wc_flush(c, e);
    if (st) return st;
    if (sync && fdatasync(c->fd)) return err_sys(e, errno, "syncing the .ct container");
    if ((st = write_root(c, e))) return st;
    if (sync && fdatasync(c->fd)) return err_sys(e, errno, "syncing the .ct container");
    for (unsigned i = 0; i < c->nmembers; i++) {
        member *m = &c->m[i];
        m->pub_real = m->size;
        m->pub_end = m->size + m->prov.len;
        for (unsigned L = 0; L < LEVELS; L++) {
            if (m->head[L]) m->head[L]->pub = 1, m->head[L]->changed = 0;
            for (unsigned d = 0; d < LEVELS; d++)
                if (m->path[L][d]) m->path[L][d]->pub = 1, m->path[L][d]->changed = 0;
        }
        /* retired blocks the tail has passed cannot change any more */
        size_t kept = 0;
        for (size_t r = 0; r < m->nretired; r++) {
            wmap *x = m->retired[r];
            x->pub = 0;
            x->changed = 0;
            if (may_change(m, x)) {
                x->pub = 1;
                m->retired[kept++] = x;
            } else {
                free(x);
            }
        }
        m->nretired = kept;
    }
    /* what roots QUARANTINE publications old named is free now */
    blist *old = &c->quar[QUARANTINE - 1];
    for (size_t k = 0; k < old->n; k++)
        if (blist_push(&c->freeb, old->b[k])) return err_set(e, CTREC_E_NOMEM, "out of memory");
    old->n = 0;
    blist t = *old;
    for (unsigned q = QUARANTINE - 1; q > 0; q--) c->quar[q] = c->quar[q - 1];
    c->quar[0] = c->pend;
    c->pend = t;
    return CTREC_OK;
}

void ctfs_w_abandon(ctfs_w *c)
{
    if (!c) return;
    for (unsigned i = 0; i < c->nmembers; i++) {
        member *m = &c->m[i];
        free(m->tail);
        buf_free(&m->prov);
        free(m->resv);
        for (size_t h = 0; h < m->nheld; h++) free(m->held[h].data);
        free(m->held);
        free_maps(m);
        free(m->retired);
    }
    free(c->freeb.b);
    free(c->pend.b);
    for (unsigned q = 0; q < QUARANTINE; q++) free(c->quar[q].b);
    free(c->wc);
    if (c->fd >= 0) close(c->fd);
    free(c);
}

ctrec_status ctfs_w_close(ctfs_w *c, err *e)
{
    ctrec_status st = ctfs_w_publish(c, 0, e);
    int fd = c->fd;
    c->fd = -1;
    if (close(fd) && !st) st = err_sys(e, errno, "closing the .ct container");
    ctfs_w_abandon(c);
    return st;
}
