/*
 * maps.c — two small open-addressing hash maps used as interning caches.
 * Nothing Lua- or ctrec-specific here.
 */
#include <stdlib.h>
#include <string.h>

#include "recorder.h"

/* ---- byte-string keys -------------------------------------------------- */

struct strmap_entry {
    char *key; /* NULL: empty slot */
    size_t len;
    uint64_t hash;
    uint64_t value;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static struct strmap_entry *strmap_find(const strmap *m, const char *key, size_t len,
                                        uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct strmap_entry *e = &m->slots[i];
        if (!e->key) return e;
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0) return e;
    }
}

int strmap_get(const strmap *m, const char *key, size_t len, uint64_t *value)
{
    if (m->cap == 0) return 0;
    struct strmap_entry *e = strmap_find(m, key, len, hash_bytes(key, len));
    if (!e->key) return 0;
    *value = e->value;
    return 1;
}

static int strmap_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct strmap_entry *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    strmap old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key) *strmap_find(m, old.slots[i].key, old.slots[i].len,
                                           old.slots[i].hash) = old.slots[i];
    free(old.slots);
    return 0;
}

int strmap_put(strmap *m, const char *key, size_t len, uint64_t value)
{
    if ((m->count + 1) * 4 > m->cap * 3 && strmap_grow(m)) return -1;
    uint64_t h = hash_bytes(key, len);
    struct strmap_entry *e = strmap_find(m, key, len, h);
    if (!e->key) {
        char *copy = malloc(len + 1);
        if (!copy) return -1;
        memcpy(copy, key, len);
        copy[len] = 0;
        e->key = copy;
        e->len = len;
        e->hash = h;
        m->count++;
    }
    e->value = value;
    return 0;
}

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- (pointer, integer) keys ------------------------------------------- */

struct ptrmap_entry {
    const void *p;
    intptr_t k;
    void *value; /* NULL: empty slot; TOMB: removed */
};

static char tomb_;
#define TOMB ((void *)&tomb_)

static size_t hash_ptr(const void *p, intptr_t k)
{
    uint64_t h = (uint64_t)(uintptr_t)p ^ ((uint64_t)k * 0x9E3779B97F4A7C15ull);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return (size_t)h;
}

void *ptrmap_get(const ptrmap *m, const void *p, intptr_t k)
{
    if (m->cap == 0) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash_ptr(p, k) & mask;; i = (i + 1) & mask) {
        struct ptrmap_entry *e = &m->slots[i];
        if (!e->value) return NULL;
        if (e->value != TOMB && e->p == p && e->k == k) return e->value;
    }
}

static int ptrmap_grow(ptrmap *m)
{
    size_t live = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].value && m->slots[i].value != TOMB) live++;
    size_t cap = m->cap ? m->cap : 64;
    while ((live + 1) * 4 > cap) cap *= 2; /* at most half full after the rebuild */
    struct ptrmap_entry *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    ptrmap old = *m;
    m->slots = slots;
    m->cap = cap;
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].value && old.slots[i].value != TOMB)
            ptrmap_put(m, old.slots[i].p, old.slots[i].k, old.slots[i].value);
    free(old.slots);
    return 0;
}

int ptrmap_put(ptrmap *m, const void *p, intptr_t k, void *value)
{
    ptrmap_remove(m, p, k);
    if ((m->count + 1) * 2 > m->cap && ptrmap_grow(m)) return -1;
    size_t mask = m->cap - 1;
    for (size_t i = hash_ptr(p, k) & mask;; i = (i + 1) & mask) {
        struct ptrmap_entry *e = &m->slots[i];
        if (!e->value || e->value == TOMB) {
            e->p = p;
            e->k = k;
            e->value = value;
            m->count++; /* tombstones count as used until the next grow */
            return 0;
        }
    }
}

void ptrmap_remove(ptrmap *m, const void *p, intptr_t k)
{
    if (m->cap == 0) return;
    size_t mask = m->cap - 1;
    for (size_t i = hash_ptr(p, k) & mask;; i = (i + 1) & mask) {
        struct ptrmap_entry *e = &m->slots[i];
        if (!e->value) return;
        if (e->value != TOMB && e->p == p && e->k == k) {
            e->value = TOMB;
            return;
        }
    }
}

void ptrmap_free(ptrmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}
