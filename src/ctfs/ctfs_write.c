/*
 * ctfs_write.c — the CTFS v4 container, write side. See ctfs_write.h.
 *
 * Mapping (FORMAT.md 7.1): a member's level-1 block lists data blocks in
 * entries 0..510; entry 511 chains to a level-2 block whose entries 0..510
 * each point to a level-1 sub-block, and so on up to level 5. Growth is
 * append-only, so only the blocks on the path of the next insertion can
 * still change: those are kept in memory (and written when they stop
 * changing, or at publish); the others are on disk and never touched again.
 */
#define _POSIX_C_SOURCE 200809L
#include "ctfs/ctfs_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PTRS (CTFS_W_BLOCK / 8u) /* 512 */
#define USABLE (PTRS - 1u)       /* 511 */
#define LEVELS 5

typedef struct wmap {
    uint64_t blk;
    uint64_t e[PTRS];
    int dirty;
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
} member;

struct ctfs_w {
    int fd;
    uint64_t next_block;
    unsigned nmembers;
    member m[CTFS_W_ROOT_ENTRIES];
};

int ctfs_base40_encode(const char *name, uint64_t *out)
{
    size_t n = strlen(name);
    if (n == 0 || n > CTFS_W_NAME_MAX) return -1;
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) {
        char ch = name[i];
        unsigned d;
        if (ch >= '0' && ch <= '9') d = 1u + (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'z') d = 11u + (unsigned)(ch - 'a');
        else if (ch == '.') d = 37;
        else if (ch == '/') d = 38;
        else if (ch == '-') d = 39;
        else return -1;
        v = v * 40u + d;
    }
    *out = v;
    return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static ctrec_status pwrite_all(ctfs_w *c, const void *p, size_t n, uint64_t off, err *e)
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

static ctrec_status write_map(ctfs_w *c, wmap *m, err *e)
{
    if (!m || !m->dirty) return CTREC_OK;
    uint8_t b[CTFS_W_BLOCK];
    for (unsigned i = 0; i < PTRS; i++) put64(b + 8 * i, m->e[i]);
    ctrec_status st = pwrite_all(c, b, sizeof b, m->blk * CTFS_W_BLOCK, e);
    if (!st) m->dirty = 0;
    return st;
}

static wmap *new_map(ctfs_w *c, wmap *reuse)
{
    wmap *m = reuse ? reuse : malloc(sizeof *m);
    if (!m) return NULL;
    memset(m, 0, sizeof *m);
    m->blk = c->next_block++;
    m->dirty = 1;
    return m;
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
        wmap *h = new_map(c, NULL);
        if (!h) return err_set(e, CTREC_E_NOMEM, "out of memory");
        m->head[L - 1] = h;
        m->head[L - 2]->e[USABLE] = h->blk;
        m->head[L - 2]->dirty = 1;
    }
    wmap *cur = m->head[L - 1];
    for (unsigned lvl = L, d = 0; lvl >= 2; lvl--, d++) {
        uint64_t sub = cap_of(lvl - 1);
        uint64_t ent = idx / sub;
        idx %= sub;
        wmap **slot = &m->path[L - 1][d];
        if (cur->e[ent] == 0) {
            ctrec_status st = write_map(c, *slot, e);
            if (st) return st;
            wmap *n = new_map(c, *slot);
            if (!n) return err_set(e, CTREC_E_NOMEM, "out of memory");
            *slot = n;
            cur->e[ent] = n->blk;
            cur->dirty = 1;
        }
        cur = *slot;
    }
    cur->e[idx] = blk;
    cur->dirty = 1;
    return CTREC_OK;
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
        put64(r, c->m[i].size);
        put64(r + 8, c->m[i].head[0]->blk);
        put64(r + 16, c->m[i].name40);
    }
    return pwrite_all(c, b, sizeof b, 0, e);
}

ctrec_status ctfs_w_create(int dirfd, const char *name, ctfs_w **out, err *e)
{
    *out = NULL;
    ctfs_w *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, CTREC_E_NOMEM, "out of memory");
    c->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
    if (ctfs_base40_encode(name, &n40))
        return err_set(e, CTREC_E_ARG, "'%s' is not a CTFS member name", name);
    for (unsigned i = 0; i < c->nmembers; i++)
        if (c->m[i].name40 == n40) return err_set(e, CTREC_E_ARG, "member %s exists", name);
    if (c->nmembers == CTFS_W_ROOT_ENTRIES)
        return err_set(e, CTREC_E_ARG, "a .ct container holds at most %u members",
                       CTFS_W_ROOT_ENTRIES);
    member *m = &c->m[c->nmembers];
    memset(m, 0, sizeof *m);
    m->tail = calloc(1, CTFS_W_BLOCK);
    m->head[0] = new_map(c, NULL);
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

ctrec_status ctfs_w_append(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e)
{
    member *m = &c->m[idx];
    const uint8_t *q = p;
    while (n) {
        size_t off = (size_t)(m->size % CTFS_W_BLOCK);
        if (off == 0) {
            uint64_t b = c->next_block++;
            ctrec_status st = map_insert(c, m, m->nblocks, b, e);
            if (st) return st;
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
            ctrec_status st = pwrite_all(c, m->tail, CTFS_W_BLOCK, m->tail_blk * CTFS_W_BLOCK, e);
            if (st) return st;
            m->tail_dirty = 0;
        }
    }
    return CTREC_OK;
}

ctrec_status ctfs_w_publish(ctfs_w *c, int sync, err *e)
{
    ctrec_status st = CTREC_OK;
    for (unsigned i = 0; i < c->nmembers && !st; i++) {
        member *m = &c->m[i];
        if (m->tail_dirty) {
            st = pwrite_all(c, m->tail, CTFS_W_BLOCK, m->tail_blk * CTFS_W_BLOCK, e);
            if (!st) m->tail_dirty = 0;
        }
        for (unsigned L = 0; L < LEVELS && !st; L++) {
            st = write_map(c, m->head[L], e);
            for (unsigned d = 0; d < LEVELS && !st; d++) st = write_map(c, m->path[L][d], e);
        }
    }
    if (st) return st;
    if (sync && fdatasync(c->fd)) return err_sys(e, errno, "syncing the .ct container");
    if ((st = write_root(c, e))) return st;
    if (sync && fdatasync(c->fd)) return err_sys(e, errno, "syncing the .ct container");
    return CTREC_OK;
}

void ctfs_w_abandon(ctfs_w *c)
{
    if (!c) return;
    for (unsigned i = 0; i < c->nmembers; i++) {
        member *m = &c->m[i];
        free(m->tail);
        for (unsigned L = 0; L < LEVELS; L++) {
            free(m->head[L]);
            for (unsigned d = 0; d < LEVELS; d++) free(m->path[L][d]);
        }
    }
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
