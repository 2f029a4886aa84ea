/*
 * enc.h — the primitives every event is written with: maps with text keys,
 * arrays, integers, booleans, text and floats. One encoder instance writes
 * either JSON or CBOR into a buffer; the event layer (events.c) describes
 * each event once in terms of these primitives, so the two formats cannot
 * drift apart.
 *
 * Separators are static: the caller says whether a key is the first of its
 * map (ENC_KEY1) or not (ENC_KEY), and calls enc_sep(e, i) before the i-th
 * element of an array, so the hot path never inspects what it wrote.
 * CBOR: definite lengths everywhere; array counts are patched in at the end
 * (shortest form, moving the items if the header grows).
 */
#ifndef CTREC_ENCODE_ENC_H
#define CTREC_ENCODE_ENC_H

#include <stdint.h>

#include "ctrec/ctrec.h"
#include "util/buf.h"
#include "util/text.h"

/* The texts of the doubles written last, by their bits: a recorder writes
 * the same variables at every step, and most keep their value from one
 * step to the next, so a hit saves the shortest-text search (text.c). */
#define FLOAT_CACHE_SLOTS 512
#define FLOAT_CACHE_TEXT 24 /* the longest text: "-2.2250738585072014e-308" */
typedef struct float_cache {
    struct {
        uint64_t bits;
        char text[FLOAT_CACHE_TEXT]; /* copied whole: a fixed-size copy is
                                        faster than one of the text's length */
        uint8_t len;                 /* 0: empty */
    } slot[FLOAT_CACHE_SLOTS];
} float_cache;

/* The slot of a double's bits in a float_cache (enc_float_text's, and the
 * trace.bin Float fast path's in writer.c). */
static inline size_t float_cache_slot(uint64_t bits)
{
    return (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 40) % FLOAT_CACHE_SLOTS;
}

typedef struct enc {
    buf *b;
    uint8_t json;          /* 1 JSON, 0 CBOR */
    uint8_t float_number;  /* JSON only: floats as numbers */
    float_cache *floats;   /* NULL: no cache */
    uint8_t ctfs;          /* CBOR only: the ValueRecords of a .ct (FORMAT.md
                              7.2): Float as a CBOR float64, Bool with its
                              "text", BigInt's "b" as a byte string */
} enc;

/* ---- CBOR heads ---- */

#if defined(__GNUC__) || defined(__clang__)
#define ENC_INLINE __attribute__((always_inline)) inline
#else
#define ENC_INLINE inline
#endif

static ENC_INLINE uint8_t *fx_cbor_head(uint8_t *p, uint8_t major, uint64_t v);

static inline void cbor_head(buf *b, uint8_t major, uint64_t v)
{
    if (buf_reserve(b, 9)) return;
    uint8_t *p = b->data + b->len;
    b->len += (size_t)(fx_cbor_head(p, major, v) - p);
}

/* ---- separators ---- */

/* Before the i-th (0-based) element of an array. */
static inline void enc_sep(enc *e, uint64_t i)
{
    if (e->json && i) buf_byte(e->b, ',');
}

/* ---- structure ---- */

static inline void enc_map(enc *e, unsigned npairs)
{
    if (e->json) buf_byte(e->b, '{');
    else cbor_head(e->b, 5, npairs);
}

static inline void enc_map_end(enc *e)
{
    if (e->json) buf_byte(e->b, '}');
}

/* A key known at compile time: ENC_KEY1(e, "kind") for the first key of a
 * map, ENC_KEY(e, "type_id") for the others. Keys are ASCII, shorter than
 * 24 bytes, and need no JSON escapes. */
static inline void enc_key_json(enc *e, const char *quoted, size_t n)
{
    buf_put(e->b, quoted, n);
}

static inline void enc_key_cbor(enc *e, const char *k, size_t n)
{
    buf *b = e->b;
    if (buf_reserve(b, n + 1)) return;
    uint8_t *p = b->data + b->len;
    p[0] = (uint8_t)(0x60 | n);
    memcpy(p + 1, k, n);
    b->len += n + 1;
}

/* A key chosen at run time. */
static inline void enc_key_dyn(enc *e, const char *k, size_t n, int first)
{
    if (!e->json) {
        enc_key_cbor(e, k, n);
        return;
    }
    buf *b = e->b;
    if (buf_reserve(b, n + 4)) return;
    uint8_t *p = b->data + b->len;
    if (!first) *p++ = ',';
    *p++ = '"';
    memcpy(p, k, n);
    p[n] = '"';
    p[n + 1] = ':';
    b->len += n + 3 + !first;
}

#define ENC_KEY1(e, lit)                                               \
    ((e)->json ? enc_key_json((e), "\"" lit "\":", sizeof(lit) + 2) \
               : enc_key_cbor((e), (lit), sizeof(lit) - 1))
#define ENC_KEY(e, lit)                                                 \
    ((e)->json ? enc_key_json((e), ",\"" lit "\":", sizeof(lit) + 3) \
               : enc_key_cbor((e), (lit), sizeof(lit) - 1))

/* Arrays: enc_arr returns a mark that enc_arr_end needs. */
static inline size_t enc_arr(enc *e)
{
    if (e->json) {
        buf_byte(e->b, '[');
        return 0;
    }
    size_t mark = e->b->len;
    buf_byte(e->b, 0x80);
    return mark;
}

void enc_cbor_patch_count(buf *b, size_t mark, uint64_t count);

static inline void enc_arr_end(enc *e, size_t mark, uint64_t count)
{
    if (e->json) {
        buf_byte(e->b, ']');
        return;
    }
    if (count < 24) {
        if (!e->b->oom) e->b->data[mark] = (uint8_t)(0x80 | count);
        return;
    }
    enc_cbor_patch_count(e->b, mark, count);
}

/* An array whose length is known up front. */
static inline void enc_arr_n(enc *e, uint64_t count)
{
    if (e->json) buf_byte(e->b, '[');
    else cbor_head(e->b, 4, count);
}

static inline void enc_arr_n_end(enc *e)
{
    if (e->json) buf_byte(e->b, ']');
}

/* ---- fixed-size pieces through a cursor ----
 *
 * For the hot events: reserve room once (enc_room), write through a cursor
 * with no further checks (the FX_ helpers below, each bounded: a key < 28
 * bytes, a number <= 21), then enc_done. The same pieces as above. */

#define FX_MAX_KEY 28
#define FX_MAX_NUM 21

static inline uint8_t *enc_room(enc *e, size_t n)
{
    if (buf_reserve(e->b, n)) return NULL;
    return e->b->data + e->b->len;
}

static inline void enc_done(enc *e, uint8_t *p)
{
    e->b->len = (size_t)(p - e->b->data);
}

static inline uint8_t *fx_bytes(uint8_t *p, const void *s, size_t n)
{
    if (n) memcpy(p, s, n); /* s may be NULL when n is 0 */
    return p + n;
}

static ENC_INLINE uint8_t *fx_cbor_head(uint8_t *p, uint8_t major, uint64_t v)
{
    major = (uint8_t)(major << 5);
    if (v < 24) {
        *p = (uint8_t)(major | v);
        return p + 1;
    }
    if (v <= 0xff) {
        p[0] = major | 24;
        p[1] = (uint8_t)v;
        return p + 2;
    }
    if (v <= 0xffff) {
        p[0] = major | 25;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)v;
        return p + 3;
    }
    if (v <= 0xffffffffu) {
        p[0] = major | 26;
        for (int i = 0; i < 4; i++) p[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        return p + 5;
    }
    p[0] = major | 27;
    for (int i = 0; i < 8; i++) p[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    return p + 9;
}

/* fx_cbor_head for a value that is mostly under 24 (ids): that case
 * first and the others out of its way, so that the compiler does not
 * prepare the longer heads' bytes before it knows which one it writes.
 * The same bytes. */
#if defined(__GNUC__) || defined(__clang__)
#define FX_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define FX_LIKELY(x) (x)
#endif
static ENC_INLINE uint8_t *fx_cbor_head_small(uint8_t *p, uint8_t major, uint64_t v)
{
    if (FX_LIKELY(v < 24)) {
        *p = (uint8_t)((major << 5) | v);
        return p + 1;
    }
    return fx_cbor_head(p, major, v);
}

static inline uint8_t *fx_map(const enc *e, uint8_t *p, unsigned npairs)
{
    if (e->json) *p++ = '{';
    else *p++ = (uint8_t)(0xa0 | npairs); /* maps here have < 24 pairs */
    return p;
}

static inline uint8_t *fx_map_end(const enc *e, uint8_t *p)
{
    if (e->json) *p++ = '}';
    return p;
}

static inline uint8_t *fx_key_cbor(uint8_t *p, const char *k, size_t n)
{
    *p++ = (uint8_t)(0x60 | n);
    return fx_bytes(p, k, n);
}

#define FX_KEY1(e, p, lit)                                                \
    ((e)->json ? fx_bytes((p), "\"" lit "\":", sizeof(lit) + 2)       \
               : fx_key_cbor((p), (lit), sizeof(lit) - 1))
#define FX_KEY(e, p, lit)                                                 \
    ((e)->json ? fx_bytes((p), ",\"" lit "\":", sizeof(lit) + 3)      \
               : fx_key_cbor((p), (lit), sizeof(lit) - 1))
/* A text value known at compile time (kind names). */
#define FX_LIT(e, p, lit)                                                 \
    ((e)->json ? fx_bytes((p), "\"" lit "\"", sizeof(lit) + 1)        \
               : fx_key_cbor((p), (lit), sizeof(lit) - 1))

static ENC_INLINE uint8_t *fx_uint(const enc *e, uint8_t *p, uint64_t v)
{
    if (!e->json) return fx_cbor_head(p, 0, v);
    if (v < 10) {
        *p++ = (uint8_t)('0' + v);
        return p;
    }
    return p + text_u64((char *)p, v);
}

static ENC_INLINE uint8_t *fx_int(const enc *e, uint8_t *p, int64_t v)
{
    if (v >= 0) return fx_uint(e, p, (uint64_t)v);
    if (!e->json) return fx_cbor_head(p, 1, (uint64_t)(-1 - v));
    return p + text_i64((char *)p, v);
}

/* An Int ValueRecord {kind, i, type_id} at p (room for 1 + 4 * FX_MAX_KEY +
 * 2 * FX_MAX_NUM + 1 bytes reserved): val_int's body, here so that the
 * model's .ct fast path can encode it inline (with a CBOR enc it folds to
 * constant bytes and two heads). */
/* fx_value_int's CBOR bytes, with its constant parts stored a word at a
 * time: a3 64 "kind" 63 "Int" 61 "i" (12 bytes, stored as 16 within
 * FX_VALUE_INT_ROOM), the int's head, 67 "type_id", the type's head. About
 * 10 instructions fewer a value than piece by piece (W1). */
static ENC_INLINE uint8_t *fx_cbor_value_int(uint8_t *p, int64_t i, ctrec_id type_id)
{
    static const uint8_t head[16] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x63, 'I',
                                     'n',  't',  0x61, 'i', 0,   0,   0,   0};
    memcpy(p, head, sizeof head);
    p = i >= 0 ? fx_cbor_head(p + 12, 0, (uint64_t)i) : fx_cbor_head(p + 12, 1, (uint64_t)(-1 - i));
    memcpy(p, "\x67type_id", 8);
    return fx_cbor_head(p + 8, 0, type_id);
}

static ENC_INLINE uint8_t *fx_value_int(const enc *e, uint8_t *p, int64_t i, ctrec_id type_id)
{
    if (!e->json) return fx_cbor_value_int(p, i, type_id);
    p = fx_map(e, p, 3);
    p = FX_KEY1(e, p, "kind");
    p = FX_LIT(e, p, "Int");
    p = FX_KEY(e, p, "i");
    p = fx_int(e, p, i);
    p = FX_KEY(e, p, "type_id");
    p = fx_uint(e, p, type_id);
    return fx_map_end(e, p);
}
#define FX_VALUE_INT_ROOM (1 + 4 * FX_MAX_KEY + 2 * FX_MAX_NUM + 1)

/* The CBOR of the other common ValueRecords, for the model's fast paths
 * (writer.c): the constant parts stored a word at a time. Only
 * fx_cbor_type_close is also events.c's (fx_type_close); events.c's
 * val_float, val_text and val_struct_open write the same heads their own
 * way, and tests/writer/test_value_paths.c holds the two to the same
 * bytes. */

/* `"type_id": t` and the end of its map: 67 "type_id", t's head (at most
 * 17 bytes). */
static ENC_INLINE uint8_t *fx_cbor_type_close(uint8_t *p, ctrec_id type_id)
{
    memcpy(p, "\x67type_id", 8);
    return fx_cbor_head_small(p + 8, 0, type_id);
}
#define FX_CBOR_TYPE_CLOSE_ROOM 17

/* A .ct's Float ValueRecord (FORMAT.md 7.2: the float as a CBOR float64):
 * a3 64 "kind" 65 "Float" 61 "f" fb <8 bytes>, then type_id (at most 38
 * bytes). */
static ENC_INLINE uint8_t *fx_cbor_value_float64(uint8_t *p, double f, ctrec_id type_id)
{
    static const uint8_t head[16] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'F',
                                     'l',  'o',  'a', 't', 0x61, 'f', 0xfb, 0};
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    memcpy(p, head, sizeof head);
    p += 15;
    for (int i = 7; i >= 0; i--) *p++ = (uint8_t)(bits >> (8 * i));
    return fx_cbor_type_close(p, type_id);
}
#define FX_VALUE_FLOAT64_ROOM (16 + 8 + FX_CBOR_TYPE_CLOSE_ROOM)

/* trace.bin's Float ValueRecord: its text (enc_float_text's, n <= 32
 * bytes in t, which holds 32) as a CBOR text: a3 64 "kind" 65 "Float" 61 "f", the
 * text, then type_id (at most 16 + 2 + 32 + 17 bytes written). The same
 * bytes as events.c's val_float (test_value_paths.c compares them). */
static ENC_INLINE uint8_t *fx_cbor_value_float_text(uint8_t *p, const char *t, size_t n,
                                                   ctrec_id type_id)
{
    static const uint8_t head[16] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'F',
                                     'l',  'o',  'a', 't', 0x61, 'f', 0,   0};
    memcpy(p, head, sizeof head);
    p = fx_cbor_head(p + 14, 3, n);
    /* a fixed size, as val_float's: the n first count (n <= 32) */
    if (n <= FLOAT_CACHE_TEXT) memcpy(p, t, FLOAT_CACHE_TEXT);
    else memcpy(p, t, 32);
    return fx_cbor_type_close(p + n, type_id);
}
#define FX_VALUE_FLOAT_TEXT_ROOM (16 + 2 + 32 + FX_CBOR_TYPE_CLOSE_ROOM)

/* n <= 32 bytes from t to p by two copies of a fixed size that overlap
 * (no call of memcpy for the short texts of the hot paths). Reads and
 * writes only t[0..n) and p[0..n). */
static ENC_INLINE void fx_copy32(uint8_t *p, const void *t, size_t n)
{
    const uint8_t *s = (const uint8_t *)t;
    if (n >= 16) {
        memcpy(p, s, 16);
        memcpy(p + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(p, s, 8);
        memcpy(p + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(p, s, 4);
        memcpy(p + n - 4, s + n - 4, 4);
    } else if (n) {
        p[0] = s[0];
        p[n / 2] = s[n / 2];
        p[n - 1] = s[n - 1];
    }
}

/* n bytes from t to p: up to 32 as fx_copy32, longer ones by memcpy. */
static ENC_INLINE void fx_copy(uint8_t *p, const void *t, size_t n)
{
    if (n > 32) memcpy(p, t, n);
    else fx_copy32(p, t, n);
}

/* The head of a text ValueRecord of kind k (enum val_text_kind's order:
 * String, Raw, Error, Char) up to its text: a3 64 "kind" <kind> <key>. */
typedef struct fx_text_head {
    uint8_t len;
    uint8_t b[23];
} fx_text_head;
/* The head up to the text, 23 bytes stored (the room allows them). */
static ENC_INLINE uint8_t *fx_cbor_text_kind(uint8_t *p, unsigned k)
{
    static const fx_text_head heads[4] = {
        {18, {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x66, 'S', 't', 'r', 'i', 'n', 'g', 0x64, 't', 'e', 'x', 't'}},
        {12, {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x63, 'R', 'a', 'w', 0x61, 'r'}},
        {16, {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'E', 'r', 'r', 'o', 'r', 0x63, 'm', 's', 'g'}},
        {13, {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x64, 'C', 'h', 'a', 'r', 0x61, 'c'}},
    };
    const fx_text_head *h = &heads[k];
    memcpy(p, h->b, sizeof h->b);
    return p + h->len;
}

/* A text ValueRecord of kind k (0..3) whose text p[0..n) is valid UTF-8
 * (ASCII, say): the head, the text, type_id; room: n +
 * FX_VALUE_TEXT_ROOM. */
static ENC_INLINE uint8_t *fx_cbor_value_text(uint8_t *p, unsigned k, const char *t, size_t n,
                                             ctrec_id type_id)
{
    p = fx_cbor_head(fx_cbor_text_kind(p, k), 3, n);
    fx_copy(p, t, n);
    return fx_cbor_type_close(p + n, type_id);
}
#define FX_VALUE_TEXT_ROOM (23 + 9 + FX_CBOR_TYPE_CLOSE_ROOM)

/* fx_cbor_value_text for a text of at most 32 bytes: its head one byte
 * (n < 24) or two, and the text copied by fx_copy32 (no call of memcpy).
 * The same bytes. */
static ENC_INLINE uint8_t *fx_cbor_value_text32(uint8_t *p, unsigned k, const char *t, size_t n,
                                               ctrec_id type_id)
{
    p = fx_cbor_head_small(fx_cbor_text_kind(p, k), 3, n);
    fx_copy32(p, t, n);
    return fx_cbor_type_close(p + n, type_id);
}

/* A Sequence ValueRecord's end after its elements: 68 "is_slice", f5 or
 * f4, then type_id (at most 27 bytes). */
static ENC_INLINE uint8_t *fx_cbor_sequence_close(uint8_t *p, int is_slice, ctrec_id type_id)
{
    memcpy(p, "\x68" "is_slice", 9);
    p[9] = is_slice ? 0xf5 : 0xf4;
    return fx_cbor_type_close(p + 10, type_id);
}
#define FX_CBOR_SEQUENCE_CLOSE_ROOM 27

/* A Struct ValueRecord's head: a3 64 "kind" 66 "Struct" 6c "field_values"
 * and the elements array's first byte (80: its count patched in at the
 * end, see enc_arr_end); 27 bytes. Returns where the array's byte is (the
 * mark enc_arr_end takes; the head ends after it). */
static ENC_INLINE uint8_t *fx_cbor_struct_open(uint8_t *p)
{
    static const uint8_t head[32] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x66, 'S', 't', 'r', 'u',
                                     'c',  't',  0x6c, 'f', 'i', 'e', 'l', 'd', '_', 'v', 'a',
                                     'l',  'u',  'e',  's', 0x80};
    memcpy(p, head, sizeof head);
    return p + 26;
}
#define FX_STRUCT_OPEN_ROOM 32

/* The CBOR of the events a recorder writes at every line and call, for
 * events.c (ev_step, ev_call, ev_return_open, ev_return_none, val_none:
 * their CBOR is these functions') and for the model's trace.bin fast paths
 * (writer.c), so that each event's bytes have one encoder. The constant
 * parts are stored a word at a time (a fixed-size copy of a static array,
 * of which the first bytes count: the room allows the rest). */

/* Step {path_id, line}: a1 64 "Step" a2 67 "path_id" <path> 64 "line"
 * <line> (at most 38 bytes; 16 stored first). */
static ENC_INLINE uint8_t *fx_cbor_step(uint8_t *p, ctrec_id path_id, int64_t line)
{
    static const uint8_t head[16] = {0xa1, 0x64, 'S', 't', 'e', 'p', 0xa2, 0x67,
                                     'p',  'a',  't', 'h', '_', 'i', 'd',  0};
    memcpy(p, head, sizeof head);
    p = fx_cbor_head(p + 15, 0, path_id);
    memcpy(p, "\x64" "line", 5);
    return line >= 0 ? fx_cbor_head(p + 5, 0, (uint64_t)line)
                     : fx_cbor_head(p + 5, 1, (uint64_t)(-1 - line));
}
#define FX_CBOR_STEP_ROOM 38

/* The head of Call {function_id, args: [...]} up to its args' items: a1 64
 * "Call" a2 6b "function_id" <fn> 64 "args" <array of nargs> (at most 42
 * bytes; 24 stored first). */
static ENC_INLINE uint8_t *fx_cbor_call_head(uint8_t *p, ctrec_id function_id, uint64_t nargs)
{
    static const uint8_t head[24] = {0xa1, 0x64, 'C', 'a', 'l', 'l', 0xa2, 0x6b,
                                     'f',  'u',  'n', 'c', 't', 'i', 'o',  'n',
                                     '_',  'i',  'd', 0,   0,   0,   0,    0};
    memcpy(p, head, sizeof head);
    p = fx_cbor_head(p + 19, 0, function_id);
    memcpy(p, "\x64" "args", 5);
    return fx_cbor_head(p + 5, 4, nargs);
}
#define FX_CBOR_CALL_HEAD_ROOM 42

/* The head of Value {variable_id, value: ...} up to its value: a1 65
 * "Value" a2 6b "variable_id" <var> 65 "value" (at most 35 bytes; 24
 * stored first). */
static ENC_INLINE uint8_t *fx_cbor_value_open(uint8_t *p, ctrec_id var)
{
    static const uint8_t head[24] = {0xa1, 0x65, 'V', 'a', 'l', 'u', 'e', 0xa2,
                                     0x6b, 'v',  'a', 'r', 'i', 'a', 'b', 'l',
                                     'e',  '_',  'i', 'd', 0,   0,   0,   0};
    memcpy(p, head, sizeof head);
    p = fx_cbor_head(p + 20, 0, var);
    memcpy(p, "\x65" "value", 6);
    return p + 6;
}
#define FX_CBOR_VALUE_OPEN_ROOM 35

/* A Call's argument up to its value: a2 6b "variable_id" <var> 65 "value"
 * (at most 28 bytes; 16 stored first). */
static ENC_INLINE uint8_t *fx_cbor_arg_open(uint8_t *p, ctrec_id var)
{
    static const uint8_t head[16] = {0xa2, 0x6b, 'v', 'a', 'r', 'i', 'a', 'b',
                                     'l',  'e',  '_', 'i', 'd', 0,   0,   0};
    memcpy(p, head, sizeof head);
    p = fx_cbor_head(p + 13, 0, var);
    memcpy(p, "\x65" "value", 6);
    return p + 6;
}
#define FX_CBOR_ARG_OPEN_ROOM 28

/* The head of Return {return_value: ...} up to its value: a1 66 "Return"
 * a1 6c "return_value" (22 bytes; 24 stored). */
static ENC_INLINE uint8_t *fx_cbor_return_open(uint8_t *p)
{
    static const uint8_t head[24] = {0xa1, 0x66, 'R', 'e', 't', 'u', 'r', 'n',
                                     0xa1, 0x6c, 'r', 'e', 't', 'u', 'r', 'n',
                                     '_',  'v',  'a', 'l', 'u', 'e', 0,   0};
    memcpy(p, head, sizeof head);
    return p + 22;
}
#define FX_CBOR_RETURN_OPEN_ROOM 24

/* A None ValueRecord {kind, type_id}: a2 64 "kind" 64 "None", then type_id
 * (at most 28 bytes; 16 stored first). */
static ENC_INLINE uint8_t *fx_cbor_value_none(uint8_t *p, ctrec_id type_id)
{
    static const uint8_t head[16] = {0xa2, 0x64, 'k', 'i', 'n', 'd', 0x64, 'N',
                                     'o',  'n',  'e', 0,   0,   0,   0,    0};
    memcpy(p, head, sizeof head);
    return fx_cbor_type_close(p + 11, type_id);
}
#define FX_CBOR_VALUE_NONE_ROOM 28

/* Return {return_value: None of type_id}, whole (at most 50 bytes). */
static ENC_INLINE uint8_t *fx_cbor_return_none(uint8_t *p, ctrec_id type_id)
{
    return fx_cbor_value_none(fx_cbor_return_open(p), type_id);
}
#define FX_CBOR_RETURN_NONE_ROOM (22 + FX_CBOR_VALUE_NONE_ROOM)

/* The bytes of p[0..n), n < 8, or-ed together in the low bytes of the
 * result (each byte at least once): two 4-byte loads that overlap, or
 * three single bytes. fx_ascii32 and fx_ascii test its 0x80 bits. */
static ENC_INLINE uint64_t fx_or_short(const char *p, size_t n)
{
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return a | b;
    }
    if (n) /* 1 to 3 bytes: these three positions cover them */
        return (uint8_t)p[0] | (uint8_t)p[n / 2] | (uint8_t)p[n - 1];
    return 0;
}

/* Whether p[0..n) is ASCII for n <= 32: two or four 8-byte loads that
 * overlap (n >= 8), two of 4 bytes, or three single bytes; no loop. */
static ENC_INLINE int fx_ascii32(const char *p, size_t n)
{
    uint64_t acc = 0;
    if (n >= 16) {
        uint64_t a, b, c, d;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        memcpy(&c, p + n - 16, 8);
        memcpy(&d, p + n - 8, 8);
        acc = a | b | c | d;
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
        acc = a | b;
    } else {
        acc = fx_or_short(p, n);
    }
    return !(acc & 0x8080808080808080ull);
}

/* Whether p[0..n) is ASCII (so valid UTF-8 as it is), 8 bytes at a time. */
static ENC_INLINE int fx_ascii(const char *p, size_t n)
{
    uint64_t acc = 0, w;
    size_t i = 0;
    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            memcpy(&w, p + i, 8);
            acc |= w;
        }
        memcpy(&w, p + n - 8, 8); /* the tail, overlapping */
        acc |= w;
    } else {
        acc = fx_or_short(p, n);
    }
    return !(acc & 0x8080808080808080ull);
}

/* ---- scalars ---- */

static inline void enc_uint(enc *e, uint64_t v)
{
    if (e->json) {
        if (v < 10) { /* ids are mostly small */
            buf_byte(e->b, (uint8_t)('0' + v));
            return;
        }
        if (buf_reserve(e->b, 20)) return;
        e->b->len += text_u64((char *)e->b->data + e->b->len, v);
    } else {
        cbor_head(e->b, 0, v);
    }
}

static inline void enc_int(enc *e, int64_t v)
{
    if (e->json) {
        if (buf_reserve(e->b, 21)) return;
        e->b->len += text_i64((char *)e->b->data + e->b->len, v);
    } else if (v >= 0) {
        cbor_head(e->b, 0, (uint64_t)v);
    } else {
        cbor_head(e->b, 1, (uint64_t)(-1 - v));
    }
}

static inline void enc_bool(enc *e, int v)
{
    if (e->json) {
        if (v) BUF_LIT(e->b, "true");
        else BUF_LIT(e->b, "false");
    } else {
        buf_byte(e->b, v ? 0xf5 : 0xf4);
    }
}

/* Text from the recorded program: invalid UTF-8 bytes become U+FFFD. */
void enc_text(enc *e, const char *p, size_t n);

/* Text known to be valid UTF-8 needing no JSON escapes (kind names etc). */
static inline void enc_lit_n(enc *e, const char *p, size_t n)
{
    if (e->json) {
        if (buf_reserve(e->b, n + 2)) return;
        uint8_t *d = e->b->data + e->b->len;
        d[0] = '"';
        memcpy(d + 1, p, n);
        d[n + 1] = '"';
        e->b->len += n + 2;
    } else {
        cbor_head(e->b, 3, n);
        buf_put(e->b, p, n);
    }
}
#define ENC_LIT(e, lit) enc_lit_n((e), (lit), sizeof(lit) - 1)

/* A float field value. Returns -1 (writing nothing) for inf/NaN when JSON
 * numbers are asked for. */
int enc_float(enc *e, double v);

/* The text of a float field (text_double's, through e->floats) into t (32
 * bytes), its length in *n; -1 when enc_float would refuse it. */
int enc_float_text(enc *e, double v, char *t, size_t *n);

/* Standard base64 of bytes, as a text item. */
void enc_base64(enc *e, const uint8_t *p, size_t n);

/* Bytes already encoded by this same encoder (a value written earlier). */
static inline void enc_encoded(enc *e, const uint8_t *p, size_t n)
{
    buf_put(e->b, p, n);
}

#endif
