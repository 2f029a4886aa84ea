/* buf.h — a growable byte buffer; the hot path is inline appends. */
#ifndef CTREC_UTIL_BUF_H
#define CTREC_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int oom; /* set once a reservation failed; appends then do nothing */
} buf;

void buf_free(buf *b);
/* Makes room for `extra` more bytes; returns 0 on success, -1 on failure
 * (and sets b->oom). */
int buf_grow(buf *b, size_t extra);

static inline int buf_reserve(buf *b, size_t extra)
{
    if (b->cap - b->len >= extra) return 0;
    return buf_grow(b, extra);
}

static inline void buf_put(buf *b, const void *p, size_t n)
{
    if (!n) return; /* an empty buffer may have no data yet: NULL + 0 is UB */
    if (buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void buf_byte(buf *b, uint8_t c)
{
    if (buf_reserve(b, 1)) return;
    b->data[b->len++] = c;
}

#define BUF_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

#endif
