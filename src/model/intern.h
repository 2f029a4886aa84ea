/* intern.h — text -> id tables: ids are insertion positions. */
#ifndef CTREC_MODEL_INTERN_H
#define CTREC_MODEL_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct intern_entry {
    uint64_t hash;
    uint32_t off;  /* into the text arena */
    uint32_t len;
    uint64_t id;
} intern_entry;

typedef struct intern {
    intern_entry *slots; /* open addressing; len == 0 && off == UINT32_MAX: empty */
    size_t nslots;       /* power of two */
    size_t nkeys;
    char *text;          /* arena of key texts */
    size_t text_len, text_cap;
    /* Ids in insertion order -> key (for trace_paths.json etc). */
    uint32_t *by_id_off, *by_id_len;
    size_t nids, ids_cap;
    /* Recently found keys: id + 1 (0: none) by intern_cache_slot; emptied
     * by intern_add (which may point a key at a new id). */
    uint64_t cache[8];
} intern;

/* A cache slot from the key's length and end bytes (no hash to compute). */
static inline unsigned intern_cache_slot(const char *p, size_t n)
{
    return n ? (((unsigned)(uint8_t)p[0] * 7u) ^ (uint8_t)p[n - 1] ^ (unsigned)n) & 7u : 0;
}

/* The id of a key found recently, if it is in the cache: 1 and *id, else 0.
 * Compares the stored text (so a caller's reused buffer cannot fool it). */
static inline int intern_cached(const intern *t, const char *p, size_t n, unsigned slot,
                                uint64_t *id)
{
    uint64_t c = t->cache[slot];
    if (!c || t->by_id_len[c - 1] != n) return 0;
    const char *s = t->text + t->by_id_off[c - 1];
    if (n <= 16) { /* names are short: no call */
        for (size_t i = 0; i < n; i++)
            if (s[i] != p[i]) return 0;
    } else if (memcmp(s, p, n)) {
        return 0;
    }
    *id = c - 1;
    return 1;
}

void intern_free(intern *t);
/* Looks a key up; returns 1 and sets *id if found. */
int intern_find(const intern *t, const char *p, size_t n, uint64_t *id);
/* Appends a new id (= nids) for the key and makes the key point to it.
 * Returns 0, or -1 when out of memory (nothing changed). */
int intern_add(intern *t, const char *p, size_t n, uint64_t *id);
/* The text stored for an id. */
static inline const char *intern_text(const intern *t, uint64_t id, size_t *len)
{
    *len = t->by_id_len[id];
    return t->text + t->by_id_off[id];
}

#endif
