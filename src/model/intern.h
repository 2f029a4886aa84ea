/* intern.h — text -> id tables: ids are insertion positions. */
#ifndef CTREC_MODEL_INTERN_H
#define CTREC_MODEL_INTERN_H

#include <stddef.h>
#include <stdint.h>

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
} intern;

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
