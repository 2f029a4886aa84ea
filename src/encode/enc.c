#include "enc.h"

#include <math.h>

void enc_cbor_patch_count(buf *b, size_t mark, uint64_t count)
{
    if (b->oom) return;
    uint8_t head[9];
    size_t hn;
    buf tmp = {head, 0, sizeof head, 0};
    cbor_head(&tmp, 4, count);
    hn = tmp.len;
    size_t extra = hn - 1;
    if (buf_reserve(b, extra)) return;
    memmove(b->data + mark + hn, b->data + mark + 1, b->len - mark - 1);
    memcpy(b->data + mark, head, hn);
    b->len += extra;
}

static const char hexd[] = "0123456789abcdef";

/* JSON string body: escapes per RFC 8259, invalid UTF-8 as U+FFFD. */
static void json_string_body(buf *b, const uint8_t *p, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq_len(p + i, n - i);
            if (k) {
                i += k;
                continue;
            }
        }
        if (i > run) buf_put(b, p + run, i - run); /* b->data may still be NULL */
        switch (c) {
        case '"': BUF_LIT(b, "\\\""); break;
        case '\\': BUF_LIT(b, "\\\\"); break;
        case '\n': BUF_LIT(b, "\\n"); break;
        case '\r': BUF_LIT(b, "\\r"); break;
        case '\t': BUF_LIT(b, "\\t"); break;
        case '\b': BUF_LIT(b, "\\b"); break;
        case '\f': BUF_LIT(b, "\\f"); break;
        default:
            if (c < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
                buf_put(b, u, 6);
            } else {
                BUF_LIT(b, "\xEF\xBF\xBD"); /* invalid UTF-8 byte */
            }
        }
        i++;
        run = i;
    }
    if (n > run) buf_put(b, p + run, n - run); /* p may be NULL when n is 0 */
}

void enc_text(enc *e, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    if (e->json) {
        buf_byte(e->b, '"');
        json_string_body(e->b, p, n);
        buf_byte(e->b, '"');
        return;
    }
    int valid;
    size_t clean = utf8_clean_len(p, n, &valid);
    cbor_head(e->b, 3, clean);
    if (valid && n) buf_put(e->b, p, n); /* p may be NULL when n is 0 */
    else utf8_clean_put(e->b, p, n);
}

int enc_float_text(enc *e, double v, char *t, size_t *n)
{
    if (e->json && e->float_number && !isfinite(v)) return -1;
    float_cache *c = e->floats;
    if (!c) {
        *n = text_double(t, v);
        return 0;
    }
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    size_t i = float_cache_slot(bits);
    if (c->slot[i].len && c->slot[i].bits == bits) {
        *n = c->slot[i].len;
        memcpy(t, c->slot[i].text, FLOAT_CACHE_TEXT);
        return 0;
    }
    *n = text_double(t, v);
    if (*n <= FLOAT_CACHE_TEXT) {
        c->slot[i].bits = bits;
        c->slot[i].len = (uint8_t)*n;
        memcpy(c->slot[i].text, t, FLOAT_CACHE_TEXT); /* t holds 32 bytes */
    }
    return 0;
}

int enc_float(enc *e, double v)
{
    char t[32];
    size_t n;
    if (enc_float_text(e, v, t, &n) < 0) return -1;
    if (e->json && e->float_number) {
        buf_put(e->b, t, n);
    } else {
        enc_lit_n(e, t, n);
    }
    return 0;
}

void enc_base64(enc *e, const uint8_t *p, size_t n)
{
    if (e->json) {
        buf_byte(e->b, '"');
        base64_put(e->b, p, n);
        buf_byte(e->b, '"');
    } else {
        cbor_head(e->b, 3, base64_len(n));
        base64_put(e->b, p, n);
    }
}
