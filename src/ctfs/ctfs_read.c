/*
 * ctfs_read.c — reading a CTFS container (ctfs.h) with pread: the header
 * and root entries at open, members block by block through their mapping
 * chains, a few mapping blocks cached. Every number from the file is
 * checked before it is used as a block number or a length.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctfs/ctfs.h"
#include "util/le.h"

static const char b40[40] = {0,   '0', '1', '2', '3', '4', '5', '6', '7', '8',
                             '9', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i',
                             'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's',
                             't', 'u', 'v', 'w', 'x', 'y', 'z', '.', '/', '-'};

int ctfs_name_encode(const char *name, size_t len, uint64_t *out)
{
    if (len == 0 || len > CTFS_NAME_MAX) return -1;
    uint64_t v = 0, mul = 1;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        unsigned d;
        if (ch >= '0' && ch <= '9') d = (unsigned)(ch - '0') + 1;
        else if (ch >= 'a' && ch <= 'z') d = (unsigned)(ch - 'a') + 11;
        else if (ch == '.') d = 37;
        else if (ch == '/') d = 38;
        else if (ch == '-') d = 39;
        else return -1;
        v += d * mul;
        mul *= 40;
    }
    *out = v;
    return 0;
}

int ctfs_name_decode(uint64_t v, char out[CTFS_NAME_MAX + 1])
{
    int n = 0, ended = 0;
    for (unsigned i = 0; i < CTFS_NAME_MAX; i++) {
        unsigned d = (unsigned)(v % 40);
        v /= 40;
        if (d == 0) {
            ended = 1;
            continue;
        }
        if (ended) return -1; /* a character after a NUL */
        out[n++] = b40[d];
    }
    out[n] = 0;
    if (v != 0 || n == 0) return -1;
    return n;
}

/* ------------------------------------------------------------------ */

#define NCACHE 8

typedef struct map_cache {
    uint64_t block; /* 0: empty */
    uint64_t *ptrs;
} map_cache;

struct ctfs {
    int fd;
    unsigned version;
    uint32_t bs;
    uint32_t nentries;
    uint64_t fsize;
    ctfs_member *m;
    size_t nm;
    map_cache cache[NCACHE];
    unsigned next_victim;
};

unsigned ctfs_version(const ctfs *c) { return c->version; }

const char *ctfs_version_note(unsigned version)
{
    if (version == 5 || version == 6)
        return ": versions 5 and 6 belong to the format's later revision (autumn 2026), which "
               "ctrec does not read yet";
    return "";
}
uint32_t ctfs_block_size(const ctfs *c) { return c->bs; }
uint64_t ctfs_file_size(const ctfs *c) { return c->fsize; }
size_t ctfs_member_count(const ctfs *c) { return c->nm; }
const ctfs_member *ctfs_member_at(const ctfs *c, size_t i) { return i < c->nm ? &c->m[i] : NULL; }

const ctfs_member *ctfs_find(const ctfs *c, const char *name)
{
    for (size_t i = 0; i < c->nm; i++)
        if (strcmp(c->m[i].name, name) == 0) return &c->m[i];
    return NULL;
}

static int pread_full(int fd, void *out, size_t n, uint64_t off)
{
    uint8_t *p = out;
    while (n) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return k < 0 ? -1 : 1;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static int update_size(ctfs *c)
{
    struct stat sb;
    if (fstat(c->fd, &sb) != 0) return -1;
    c->fsize = (uint64_t)sb.st_size;
    return 0;
}

/* Reads the root entries into c->m (replacing it). */
static ctrec_status read_entries(ctfs *c, err *e)
{
    size_t tab = (size_t)c->nentries * CTFS_ENTRY_SIZE;
    uint8_t *raw = malloc(tab);
    if (!raw) return err_set(e, CTREC_E_NOMEM, "out of memory");
    int k = pread_full(c->fd, raw, tab, CTFS_HEADER_SIZE);
    if (k) {
        free(raw);
        if (k < 0) return err_sys(e, errno, "reading the root entries");
        return err_set(e, CTREC_E_TRUNCATED, "the container ends inside its root entries");
    }
    ctfs_member *m = calloc(c->nentries ? c->nentries : 1, sizeof *m);
    if (!m) {
        free(raw);
        return err_set(e, CTREC_E_NOMEM, "out of memory");
    }
    size_t n = 0;
    uint64_t nblocks = c->fsize / c->bs;
    for (uint32_t i = 0; i < c->nentries; i++) {
        const uint8_t *p = raw + (size_t)i * CTFS_ENTRY_SIZE;
        uint64_t size = load_le64(p), map = load_le64(p + 8), name = load_le64(p + 16);
        if (!size && !map && !name) continue;
        ctfs_member *x = &m[n];
        if (ctfs_name_decode(name, x->name) < 0) {
            free(raw);
            free(m);
            return err_set(e, CTREC_E_FORMAT,
                           "root entry %u (byte %u): 0x%016llx is not a base40 member name", i,
                           CTFS_HEADER_SIZE + i * CTFS_ENTRY_SIZE, (unsigned long long)name);
        }
        ctrec_status st = CTREC_OK;
        if (map == 0 || map >= nblocks)
            st = err_set(e, CTREC_E_FORMAT,
                         "member %s (root entry %u): mapping block %llu is outside the "
                         "container's %llu blocks",
                         x->name, i, (unsigned long long)map, (unsigned long long)nblocks);
        else if (size > c->fsize)
            st = err_set(e, CTREC_E_FORMAT,
                         "member %s (root entry %u): size %llu is larger than the whole "
                         "container (%llu bytes)",
                         x->name, i, (unsigned long long)size, (unsigned long long)c->fsize);
        if (st) {
            free(raw);
            free(m);
            return st;
        }
        x->size = size;
        x->map_block = map;
        x->slot = i;
        n++;
    }
    free(raw);
    free(c->m);
    c->m = m;
    c->nm = n;
    return CTREC_OK;
}

ctrec_status ctfs_open(const char *path, ctfs **out, err *e)
{
    *out = NULL;
    ctfs *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, CTREC_E_NOMEM, "out of memory");
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        free(c);
        return err_sys(e, errno, "%s: cannot open", path);
    }
    uint8_t h[CTFS_HEADER_SIZE];
    ctrec_status st = CTREC_OK;
    int k = pread_full(c->fd, h, sizeof h, 0);
    if (update_size(c)) st = err_sys(e, errno, "stat");
    else if (k < 0) st = err_sys(e, errno, "reading the header");
    else if (k > 0 || memcmp(h, ctfs_magic, CTFS_MAGIC_LEN) != 0)
        st = err_set(e, k > 0 ? CTREC_E_TRUNCATED : CTREC_E_FORMAT,
                     "not a CTFS container (no C0 DE 72 AC E2 header)");
    if (!st) {
        c->version = h[5];
        c->bs = load_le32(h + 8);
        c->nentries = load_le32(h + 12);
        if (c->version < CTFS_VERSION_MIN || c->version > CTFS_VERSION)
            st = err_set(e, CTREC_E_UNSUPPORTED, "CTFS version %u is not supported (2 to 4 are)%s",
                         c->version, ctfs_version_note(c->version));
        else if (c->bs != 1024 && c->bs != 2048 && c->bs != 4096)
            st = err_set(e, CTREC_E_FORMAT,
                         "block size %u at byte 8 is not 1024, 2048 or 4096", c->bs);
        else if (c->nentries == 0)
            st = err_set(e, CTREC_E_FORMAT, "no root entries (byte 12 says 0)");
        else if (CTFS_HEADER_SIZE + (uint64_t)c->nentries * CTFS_ENTRY_SIZE > c->bs)
            st = err_set(e, CTREC_E_FORMAT,
                         "%u root entries at byte 12 do not fit in the %u-byte first block",
                         c->nentries, c->bs);
        else if (c->fsize < c->bs)
            st = err_set(e, CTREC_E_TRUNCATED,
                         "the container (%llu bytes) is shorter than its first block",
                         (unsigned long long)c->fsize);
    }
    if (!st) st = read_entries(c, e);
    if (st) {
        ctfs_close(c);
        return st;
    }
    *out = c;
    return CTREC_OK;
}

void ctfs_close(ctfs *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    for (unsigned i = 0; i < NCACHE; i++) free(c->cache[i].ptrs);
    free(c->m);
    free(c);
}

ctrec_status ctfs_clone(const ctfs *c, ctfs **out, err *e)
{
    *out = NULL;
    ctfs *k = calloc(1, sizeof *k);
    if (!k) return err_set(e, CTREC_E_NOMEM, "out of memory");
    k->fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
    if (k->fd < 0) {
        free(k);
        return err_sys(e, errno, "dup");
    }
    k->version = c->version;
    k->bs = c->bs;
    k->nentries = c->nentries;
    k->fsize = c->fsize;
    *out = k;
    return CTREC_OK;
}

void ctfs_resync(ctfs *c, uint64_t fsize)
{
    for (unsigned i = 0; i < NCACHE; i++) c->cache[i].block = 0;
    c->fsize = fsize;
}

ctrec_status ctfs_refresh(ctfs *c, err *e)
{
    if (update_size(c)) return err_sys(e, errno, "stat");
    size_t n0 = c->nm;
    ctfs_member *old = malloc((n0 ? n0 : 1) * sizeof *old);
    if (!old) return err_set(e, CTREC_E_NOMEM, "out of memory");
    memcpy(old, c->m, n0 * sizeof *old);
    /* mapping blocks may have gained entries: forget them */
    for (unsigned i = 0; i < NCACHE; i++) c->cache[i].block = 0;
    ctrec_status st = read_entries(c, e);
    for (size_t i = 0; !st && i < n0; i++) {
        const ctfs_member *now = NULL;
        for (size_t j = 0; j < c->nm; j++)
            if (c->m[j].slot == old[i].slot) now = &c->m[j];
        if (!now || strcmp(now->name, old[i].name))
            st = err_set(e, CTREC_E_FORMAT, "member %s vanished while being read",
                         old[i].name);
        else if (now->map_block != old[i].map_block)
            continue; /* replaced as a whole (a writer's final meta.dat at close) */
        else if (now->size + CTFS_SHRINK_MAX < old[i].size)
            st = err_set(e, CTREC_E_FORMAT, "member %s shrank from %llu to %llu bytes",
                         old[i].name, (unsigned long long)old[i].size,
                         (unsigned long long)now->size);
    }
    free(old);
    return st;
}

/* The pointers of mapping block `b` (cached). NULL on error. */
static const uint64_t *map_block(ctfs *c, const ctfs_member *m, uint64_t b, uint64_t off,
                                 err *e)
{
    for (unsigned i = 0; i < NCACHE; i++)
        if (c->cache[i].block == b) return c->cache[i].ptrs;
    map_cache *s = &c->cache[c->next_victim];
    c->next_victim = (c->next_victim + 1) % NCACHE;
    size_t n = c->bs / 8;
    if (!s->ptrs) {
        s->ptrs = malloc(c->bs);
        if (!s->ptrs) {
            err_set(e, CTREC_E_NOMEM, "out of memory");
            return NULL;
        }
    }
    s->block = 0;
    uint8_t raw[4096];
    int k = pread_full(c->fd, raw, c->bs, b * c->bs);
    if (k) {
        if (k < 0) err_sys(e, errno, "%s: reading mapping block %llu", m->name,
                           (unsigned long long)b);
        else err_set(e, CTREC_E_TRUNCATED,
                     "%s: mapping block %llu (for member offset %llu) is past the end of the "
                     "container",
                     m->name, (unsigned long long)b, (unsigned long long)off);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) s->ptrs[i] = load_le64(raw + 8 * i);
    s->block = b;
    return s->ptrs;
}

/* Checks a block number found in a mapping block. */
static int check_block(ctfs *c, const ctfs_member *m, uint64_t b, uint64_t off, const char *what,
                       const uint64_t *seen, unsigned nseen, err *e)
{
    if (b == 0) {
        err_set(e, CTREC_E_FORMAT, "%s: no %s for member offset %llu (a zero pointer)", m->name,
                what, (unsigned long long)off);
        return -1;
    }
    if (b >= c->fsize / c->bs) {
        update_size(c); /* a growing container may have it by now */
        if (b >= c->fsize / c->bs) {
            err_set(e, CTREC_E_FORMAT,
                    "%s: %s %llu for member offset %llu is past the end of the container "
                    "(%llu blocks)",
                    m->name, what, (unsigned long long)b, (unsigned long long)off,
                    (unsigned long long)(c->fsize / c->bs));
            return -1;
        }
    }
    for (unsigned i = 0; i < nseen; i++)
        if (seen[i] == b) {
            err_set(e, CTREC_E_FORMAT,
                    "%s: the mapping chain loops back to block %llu (member offset %llu)",
                    m->name, (unsigned long long)b, (unsigned long long)off);
            return -1;
        }
    return 0;
}

/* The data block holding block index k of member m. 0 on error. */
static uint64_t data_block(ctfs *c, const ctfs_member *m, uint64_t k, err *e)
{
    uint64_t off = k * c->bs;
    uint64_t u = c->bs / 8 - 1;
    uint64_t seen[2 * CTFS_MAX_LEVELS + 2];
    unsigned nseen = 0;
    uint64_t blk = m->map_block, idx = k, cap = u;
    unsigned level = 1;
    seen[nseen++] = blk;
    while (idx >= cap) {
        idx -= cap;
        if (++level > CTFS_MAX_LEVELS) {
            err_set(e, CTREC_E_FORMAT,
                    "%s: member offset %llu needs more than %u mapping levels", m->name,
                    (unsigned long long)off, CTFS_MAX_LEVELS);
            return 0;
        }
        const uint64_t *p = map_block(c, m, blk, off, e);
        if (!p) return 0;
        uint64_t next = p[u];
        if (check_block(c, m, next, off, "level chain block", seen, nseen, e)) return 0;
        blk = next;
        seen[nseen++] = blk;
        cap = cap > UINT64_MAX / u ? UINT64_MAX : cap * u;
    }
    while (level > 1) {
        uint64_t sub = 1;
        for (unsigned l = 1; l < level; l++) sub *= u;
        const uint64_t *p = map_block(c, m, blk, off, e);
        if (!p) return 0;
        uint64_t next = p[idx / sub];
        idx %= sub;
        if (check_block(c, m, next, off, "mapping block", seen, nseen, e)) return 0;
        blk = next;
        seen[nseen++] = blk;
        level--;
    }
    const uint64_t *p = map_block(c, m, blk, off, e);
    if (!p) return 0;
    uint64_t d = p[idx];
    if (check_block(c, m, d, off, "data block", seen, nseen, e)) return 0;
    return d;
}

ctrec_status ctfs_read_at(ctfs *c, const ctfs_member *m, uint64_t off, void *out, size_t n,
                          err *e)
{
    if (off > m->size || n > m->size - off)
        return err_set(e, CTREC_E_TRUNCATED,
                       "%s: reading %zu bytes at offset %llu, past its published size %llu",
                       m->name, n, (unsigned long long)off, (unsigned long long)m->size);
    uint8_t *p = out;
    while (n) {
        uint64_t k = off / c->bs;
        size_t in = (size_t)(off % c->bs);
        size_t take = c->bs - in;
        if (take > n) take = n;
        uint64_t d = data_block(c, m, k, e);
        if (!d) return e->status;
        int r = pread_full(c->fd, p, take, d * c->bs + in);
        if (r < 0) return err_sys(e, errno, "%s: reading at offset %llu", m->name,
                                  (unsigned long long)off);
        if (r > 0)
            return err_set(e, CTREC_E_TRUNCATED,
                           "%s: data block %llu (member offset %llu) is cut short by the end "
                           "of the file",
                           m->name, (unsigned long long)d, (unsigned long long)off);
        p += take;
        off += take;
        n -= take;
    }
    return CTREC_OK;
}
