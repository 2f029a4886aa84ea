/*
 * cbor_reader.c — a pull parser for the CBOR events of trace.bin.
 *
 * Accepts definite and indefinite lengths (maps, arrays, text strings),
 * integers in any width, and floats as text or CBOR floats. Lengths and
 * counts from the file are never used to allocate: a string must fit in the
 * bytes at hand (or the event limit), and containers are walked item by item.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "util/text.h"

typedef struct tk_it {
    uint64_t n;      /* items left (pairs for maps) */
    int indefinite;
} tk_it;

#define INDEF UINT64_MAX

static inline void need(pctx *c, size_t n)
{
    if (RD_UNLIKELY((size_t)(c->end - c->p) < n)) rd_more(c);
}

static const char *const major_names[8] = {"an unsigned integer", "a negative integer",
                                           "a byte string", "a text string", "an array",
                                           "a map", "a tag", "a simple value or float"};

static RD_NORETURN void wrong(pctx *c, const char *what)
{
    rd_fail(c, CTREC_E_FORMAT, "expected %s, found %s (byte 0x%02x)", what, major_names[*c->p >> 5],
            *c->p);
}

/* The multi-byte heads, out of line. */
static RD_NOINLINE uint64_t head_slow(pctx *c, unsigned *major)
{
    need(c, 1);
    const uint8_t *p = c->p;
    uint8_t ib = p[0];
    unsigned ai = ib & 31;
    *major = ib >> 5;
    uint64_t v;
    switch (ai) {
    case 24: need(c, 2); v = p[1]; c->p = p + 2; return v;
    case 25: need(c, 3); v = rd_be(p + 1, 2); c->p = p + 3; return v;
    case 26: need(c, 5); v = rd_be(p + 1, 4); c->p = p + 5; return v;
    case 27: need(c, 9); v = rd_be(p + 1, 8); c->p = p + 9; return v;
    case 31:
        if (*major >= 2 && *major <= 5) {
            c->p = p + 1;
            return INDEF;
        }
        break;
    }
    rd_fail(c, CTREC_E_FORMAT, "malformed CBOR head byte 0x%02x", ib);
}

/* Reads a head; returns the argument, INDEF for indefinite length. */
static RD_INLINE uint64_t head(pctx *c, unsigned *major)
{
    const uint8_t *p = c->p;
    if (RD_LIKELY(p < c->end && (*p & 31) < 24)) {
        *major = *p >> 5;
        c->p = p + 1;
        return *p & 31;
    }
    return head_slow(c, major);
}

static inline int tk_peek(pctx *c)
{
    need(c, 1);
    uint8_t ib = *c->p;
    switch (ib >> 5) {
    case 0: case 1: return 4;
    case 3: return 3;
    case 4: return 2;
    case 5: return 1;
    case 7:
        if (ib == 0xf4 || ib == 0xf5) return 5;
        if (ib == 0xf6) return 6;
        if (ib == 0xf9 || ib == 0xfa || ib == 0xfb) return 4;
        break;
    }
    return 0;
}

/* The head of an item of major type `want`; anything else is an error
 * reported at the item's first byte. */
static inline uint64_t head_of(pctx *c, unsigned want, const char *what)
{
    const uint8_t *at = c->p;
    unsigned major;
    uint64_t n = head(c, &major);
    if (RD_UNLIKELY(major != want)) {
        c->p = at;
        wrong(c, what);
    }
    return n;
}

/* The head of a map (major type 5) or an array (4), definite or not. */
static inline void tk_container(pctx *c, tk_it *it, unsigned want, const char *what)
{
    uint64_t n = head_of(c, want, what);
    it->indefinite = n == INDEF;
    it->n = n;
}

static inline void tk_map(pctx *c, tk_it *it) { tk_container(c, it, 5, "a map"); }
static inline void tk_arr(pctx *c, tk_it *it) { tk_container(c, it, 4, "an array"); }

static inline int tk_next(pctx *c, tk_it *it)
{
    if (it->indefinite) {
        need(c, 1);
        if (*c->p == 0xff) {
            c->p++;
            return 0;
        }
        return 1;
    }
    if (it->n == 0) return 0;
    it->n--;
    return 1;
}

static RD_NORETURN void too_long(pctx *c, uint64_t n)
{
    c->e->bound = 1; /* the bound, not damage (rd_fail leaves it) */
    rd_fail(c, CTREC_E_FORMAT, "a string of %llu bytes is larger than the %zu-byte event limit",
            (unsigned long long)n, c->max_bytes);
}

static ctrec_str str_indefinite(pctx *c)
{
    /* First pass: check the chunks and add up their lengths. */
    const uint8_t *start = c->p;
    uint64_t total = 0;
    for (;;) {
        need(c, 1);
        if (*c->p == 0xff) {
            c->p++;
            break;
        }
        const uint8_t *at = c->p;
        unsigned major;
        uint64_t n = head(c, &major);
        if (major != 3 || n == INDEF) {
            c->p = at;
            wrong(c, "a definite text chunk");
        }
        if (n > c->max_bytes || total + n > c->max_bytes) too_long(c, total + n);
        need(c, (size_t)n);
        c->p += n;
        total += n;
    }
    const uint8_t *stop = c->p;
    char *d = arena_alloc(c->a, (size_t)total + 1);
    if (!d) rd_nomem(c);
    size_t off = 0;
    c->p = start;
    while (c->p < stop - 1) {
        unsigned major;
        uint64_t n = head(c, &major);
        memcpy(d + off, c->p, (size_t)n);
        off += (size_t)n;
        c->p += n;
    }
    c->p = stop;
    return (ctrec_str){d, off};
}

static inline ctrec_str tk_str(pctx *c)
{
    uint64_t n = head_of(c, 3, "a text string");
    if (RD_UNLIKELY(n == INDEF)) return str_indefinite(c);
    if (RD_UNLIKELY(n > (uint64_t)(c->end - c->p))) {
        if (n > c->max_bytes) too_long(c, n);
        rd_more(c);
    }
    ctrec_str s = {(const char *)c->p, (size_t)n};
    c->p += n;
    return s;
}

static inline int tk_key(pctx *c, tk_it *it, ctrec_str *k)
{
    if (!tk_next(c, it)) return 0;
    *k = tk_str(c);
    return 1;
}

static inline uint64_t tk_u64(pctx *c)
{
    uint64_t v = head_of(c, 0, "an unsigned integer");
    return v;
}

static inline int64_t tk_i64(pctx *c)
{
    const uint8_t *at = c->p;
    unsigned major;
    uint64_t v = head(c, &major);
    if (RD_LIKELY(major == 0)) {
        if (v > (uint64_t)INT64_MAX) {
            c->p = at;
            rd_fail(c, CTREC_E_FORMAT, "integer out of range");
        }
        return (int64_t)v;
    }
    if (major == 1) {
        if (v > (uint64_t)INT64_MAX) {
            c->p = at;
            rd_fail(c, CTREC_E_FORMAT, "integer out of range");
        }
        return -1 - (int64_t)v;
    }
    c->p = at;
    wrong(c, "an integer");
}

static inline int tk_bool(pctx *c)
{
    need(c, 1);
    uint8_t b = *c->p;
    if (b == 0xf5 || b == 0xf4) {
        c->p++;
        return b == 0xf5;
    }
    wrong(c, "true or false");
}

static inline void tk_null(pctx *c)
{
    need(c, 1);
    if (*c->p == 0xf6) {
        c->p++;
        return;
    }
    wrong(c, "null");
}

double rd_cbor_float(const uint8_t *p)
{
    if (p[0] == 0xf9) { /* half precision */
        unsigned h = (unsigned)rd_be(p + 1, 2);
        unsigned exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
        double v;
        if (exp == 0) v = ldexp(mant, -24);
        else if (exp != 31) v = ldexp(mant + 1024, (int)exp - 25);
        else v = mant == 0 ? INFINITY : NAN;
        return (h & 0x8000) ? -v : v;
    }
    if (p[0] == 0xfa) {
        uint32_t u = (uint32_t)rd_be(p + 1, 4);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    uint64_t u = rd_be(p + 1, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static double tk_float(pctx *c)
{
    need(c, 1);
    const uint8_t *p = c->p;
    uint8_t ib = *p;
    if ((ib >> 5) == 3) {
        ctrec_str s = tk_str(c);
        double d;
        if (s.len > 400 || text_parse_double(s.ptr, s.len, &d)) {
            c->p = p;
            rd_fail(c, CTREC_E_FORMAT, "\"%.*s\" is not a float", (int)(s.len > 40 ? 40 : s.len),
                    s.ptr);
        }
        return d;
    }
    if ((ib >> 5) == 0) return (double)tk_u64(c);
    if ((ib >> 5) == 1) return (double)tk_i64(c);
    if (ib == 0xf9 || ib == 0xfa || ib == 0xfb) {
        size_t n = ib == 0xf9 ? 3 : ib == 0xfa ? 5 : 9;
        need(c, n);
        c->p += n;
        return rd_cbor_float(p);
    }
    wrong(c, "a float");
}

/* Skips one item of any type, iteratively, bounded in depth. */
static void tk_skip(pctx *c)
{
    uint64_t *left = NULL; /* items left per level; INDEF for indefinite */
    unsigned depth = 0;
    for (;;) {
        /* one item */
        const uint8_t *at = c->p;
        unsigned major;
        uint64_t n = head(c, &major);
        switch (major) {
        case 0: case 1: break;
        case 2: case 3:
            if (n == INDEF) {
                c->p = at;
                if (major == 3) {
                    (void)str_indefinite(c);
                    break;
                }
                c->p = at + 1;
                for (;;) { /* byte string chunks */
                    need(c, 1);
                    if (*c->p == 0xff) {
                        c->p++;
                        break;
                    }
                    unsigned m2;
                    uint64_t k = head(c, &m2);
                    if (m2 != 2 || k == INDEF) wrong(c, "a byte string chunk");
                    if (k > (uint64_t)(c->end - c->p)) {
                        if (k > c->max_bytes) too_long(c, k);
                        rd_more(c);
                    }
                    c->p += k;
                }
                break;
            }
            if (n > (uint64_t)(c->end - c->p)) {
                if (n > c->max_bytes) too_long(c, n);
                rd_more(c);
            }
            c->p += n;
            break;
        case 4: case 5:
            if (n != INDEF && major == 5) {
                if (n > UINT64_MAX / 2 - 1) rd_fail(c, CTREC_E_FORMAT, "map too large");
                n *= 2;
            }
            if (n == 0) break;
            if (n == INDEF) {
                need(c, 1);
                if (*c->p == 0xff) {
                    c->p++;
                    break;
                }
            }
            if (depth >= c->max_depth)
                rd_fail(c, CTREC_E_DEPTH, "CBOR nested deeper than %u levels", c->max_depth);
            if (!left) {
                if (vec_grow(c->skip, sizeof *left, c->max_depth)) rd_nomem(c);
                left = c->skip->data;
            }
            left[depth++] = n;
            continue;
        case 6: continue; /* a tag: the tagged item follows */
        case 7:
            if ((at[0] & 31) == 31) {
                c->p = at;
                rd_fail(c, CTREC_E_FORMAT, "unexpected CBOR break");
            }
            break;
        }
        /* the item is complete: count it in the enclosing containers */
        for (;;) {
            if (depth == 0) return;
            uint64_t *l = &left[depth - 1];
            if (*l == INDEF) {
                need(c, 1);
                if (*c->p == 0xff) {
                    c->p++;
                    depth--;
                    continue;
                }
                break;
            }
            if (--*l == 0) {
                depth--;
                continue;
            }
            break;
        }
    }
}

/* cbor4ii (serde's derive over the CBOR directly): no repeated field, no
 * string for an integer, whatever the target. */
#define SC_DUP_OK(c) 0
#define SC_INT_TEXT_OK(c) 0
#include "schema.inc"

int cbor_parse_event(pctx *c)
{
    c->fg_pending = 0;
    int r = setjmp(c->jb);
    if (r) return r;
    c->base = c->p;
    sc_event(c);
    if (c->strict) rd_cbor_strict(c, c->base, c->p);
    rd_forgive_commit(c);
    return RD_OK;
}
