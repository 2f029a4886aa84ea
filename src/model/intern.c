#include "intern.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

void intern_free(intern *t)
{
    free(t->slots);
    free(t->text);
    free(t->by_id_off);
    free(t->by_id_len);
    memset(t, 0, sizeof *t);
}

int intern_find(const intern *t, const char *p, size_t n, uint64_t *id)
{
    if (!t->nslots) return 0;
    uint64_t h = hash_bytes(p, n);
    size_t mask = t->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const intern_entry *s = &t->slots[i];
        if (s->off == EMPTY) return 0;
        if (s->hash == h && s->len == n && memcmp(t->text + s->off, p, n) == 0) {
            *id = s->id;
            return 1;
        }
    }
}

static int rehash(intern *t, size_t nslots)
{
    intern_entry *slots = malloc(nslots * sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < nslots; i++) slots[i].off = EMPTY;
    size_t mask = nslots - 1;
    for (size_t i = 0; i < t->nslots; i++) {
        intern_entry *s = &t->slots[i];
        if (s->off == EMPTY) continue;
        size_t j = (size_t)s->hash & mask;
        while (slots[j].off != EMPTY) j = (j + 1) & mask;
        slots[j] = *s;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

int intern_add(intern *t, const char *p, size_t n, uint64_t *id)
{
    if (n >= EMPTY || t->text_len > (size_t)EMPTY - 1 - n) return -1;
    if ((t->nkeys + 1) * 4 > t->nslots * 3 && rehash(t, t->nslots ? t->nslots * 2 : 16))
        return -1;
    if (t->text_cap - t->text_len < n || !t->text) { /* text never NULL: "" keys too */
        size_t cap = t->text_cap ? t->text_cap : 1024;
        while (cap - t->text_len < n) cap *= 2;
        char *nt = realloc(t->text, cap);
        if (!nt) return -1;
        t->text = nt;
        t->text_cap = cap;
    }
    if (t->nids == t->ids_cap) {
        size_t cap = t->ids_cap ? t->ids_cap * 2 : 16;
        uint32_t *a = realloc(t->by_id_off, cap * sizeof *a);
        if (!a) return -1;
        t->by_id_off = a;
        uint32_t *b = realloc(t->by_id_len, cap * sizeof *b);
        if (!b) return -1;
        t->by_id_len = b;
        t->ids_cap = cap;
    }
    memset(t->cache, 0, sizeof t->cache);
    uint32_t off = (uint32_t)t->text_len;
    if (n) memcpy(t->text + off, p, n);
    t->text_len += n;
    uint64_t h = hash_bytes(p, n);
    uint64_t new_id = t->nids;
    t->by_id_off[new_id] = off;
    t->by_id_len[new_id] = (uint32_t)n;
    t->nids++;
    /* Point the key at the new id, replacing an older entry if present. */
    size_t mask = t->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        intern_entry *s = &t->slots[i];
        if (s->off == EMPTY) {
            s->hash = h;
            s->off = off;
            s->len = (uint32_t)n;
            s->id = new_id;
            t->nkeys++;
            break;
        }
        if (s->hash == h && s->len == n && memcmp(t->text + s->off, p, n) == 0) {
            s->id = new_id;
            break;
        }
    }
    *id = new_id;
    return 0;
}
