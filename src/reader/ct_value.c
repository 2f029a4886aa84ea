/*
 * ct_value.c — CTFS ValueRecords: CBOR maps {"kind": K, fields...} as the
 * Nim library writes them (cbor.nim), decoded into ctrec_value trees in the
 * event's arena. Differences from trace.bin: a Float's "f" is a CBOR float,
 * a Bool carries "text", a BigInt's "b" is a byte string, a Struct may
 * carry "field_names", and Set, Enum and ValueRef (tag 256) exist. Fields
 * may come in any order; unknown keys are skipped. Definite lengths only.
 * Counts from the file never size an allocation beyond the bytes present,
 * and one event's value trees hold at most CT_MAX_NODES nodes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ct.h"
#include "util/buf.h"
#include "util/text.h"

#define CT_MAX_NODES (1u << 20)
#define MAX_KEYS 8

typedef struct vctx {
    const uint8_t *base, *end;
    arena *a;
    unsigned max_depth;
    size_t nodes;
    err *e;
} vctx;

static int fail(vctx *c, const uint8_t *at, const char *what)
{
    err_set(c->e, CTREC_E_FORMAT, "CBOR value at byte %zu of the record: %s",
            (size_t)(at - c->base), what);
    return -1;
}

static int head_slow(vctx *c, const uint8_t **p, unsigned *major, uint64_t *v);

/* A head: major type and argument (the one-byte form inline). */
static RD_INLINE int head(vctx *c, const uint8_t **p, unsigned *major, uint64_t *v)
{
    const uint8_t *q = *p;
    if (RD_LIKELY(q < c->end && (*q & 31) < 24)) {
        *major = *q >> 5;
        *v = *q & 31;
        *p = q + 1;
        return 0;
    }
    return head_slow(c, p, major, v);
}

static RD_NOINLINE int head_slow(vctx *c, const uint8_t **p, unsigned *major, uint64_t *v)
{
    const uint8_t *q = *p;
    if (q >= c->end) return fail(c, q, "the record ends inside it");
    uint8_t ib = *q++;
    *major = ib >> 5;
    unsigned ai = ib & 31;
    if (ai < 24) *v = ai;
    else if (ai <= 27) {
        unsigned n = 1u << (ai - 24);
        if ((size_t)(c->end - q) < n) return fail(c, *p, "the record ends inside it");
        *v = rd_be(q, n);
        q += n;
    } else if (ai == 31) return fail(c, *p, "indefinite lengths are not used in CTFS values");
    else return fail(c, *p, "malformed CBOR head");
    *p = q;
    return 0;
}

static int skip(vctx *c, const uint8_t **p, unsigned depth)
{
    if (depth > c->max_depth) {
        err_set(c->e, CTREC_E_DEPTH, "CBOR nested deeper than %u levels", c->max_depth);
        return -1;
    }
    const uint8_t *at = *p;
    unsigned major;
    uint64_t v;
    if (head(c, p, &major, &v)) return -1;
    switch (major) {
    case 2: case 3:
        if (v > (uint64_t)(c->end - *p)) return fail(c, at, "a string runs past the record");
        *p += v;
        return 0;
    case 4: case 5:
        if (v > (uint64_t)(c->end - *p)) return fail(c, at, "more items than bytes");
        for (uint64_t i = 0; i < v * (major == 5 ? 2 : 1); i++)
            if (skip(c, p, depth + 1)) return -1;
        return 0;
    case 6: return skip(c, p, depth + 1);
    default: return 0;
    }
}

static inline int text(vctx *c, const uint8_t **p, ctrec_str *out)
{
    const uint8_t *at = *p;
    unsigned major;
    uint64_t n;
    if (head(c, p, &major, &n)) return -1;
    if (major != 3) return fail(c, at, "expected a text string");
    if (n > (uint64_t)(c->end - *p)) return fail(c, at, "a string runs past the record");
    out->ptr = (const char *)*p;
    out->len = (size_t)n;
    *p += n;
    return 0;
}

static inline int uint_(vctx *c, const uint8_t **p, uint64_t *out)
{
    const uint8_t *at = *p;
    unsigned major;
    if (head(c, p, &major, out)) return -1;
    if (major != 0) return fail(c, at, "expected an unsigned integer");
    return 0;
}

static inline int int_(vctx *c, const uint8_t **p, int64_t *out)
{
    const uint8_t *at = *p;
    unsigned major;
    uint64_t v;
    if (head(c, p, &major, &v)) return -1;
    if ((major != 0 && major != 1) || v > (uint64_t)INT64_MAX)
        return fail(c, at, "expected a 64-bit integer");
    *out = major == 0 ? (int64_t)v : -1 - (int64_t)v;
    return 0;
}

static int bool_(vctx *c, const uint8_t **p, int *out)
{
    if (*p < c->end && (**p == 0xf4 || **p == 0xf5)) {
        *out = **p == 0xf5;
        (*p)++;
        return 0;
    }
    return fail(c, *p, "expected true or false");
}

static int float_(vctx *c, const uint8_t **p, double *out)
{
    const uint8_t *q = *p;
    if (q < c->end) {
        uint8_t ib = *q;
        size_t n = ib == 0xf9 ? 2 : ib == 0xfa ? 4 : ib == 0xfb ? 8 : 0;
        if (n) {
            if ((size_t)(c->end - q - 1) < n) return fail(c, q, "the record ends inside a float");
            *out = rd_cbor_float(q);
            *p = q + 1 + n;
            return 0;
        }
        if ((ib >> 5) <= 1) {
            int64_t i;
            if (int_(c, p, &i)) return -1;
            *out = (double)i;
            return 0;
        }
        if ((ib >> 5) == 3) { /* a float as text, as trace.bin writes it */
            ctrec_str s;
            if (text(c, p, &s)) return -1;
            if (s.len > 400 || text_parse_double(s.ptr, s.len, out))
                return fail(c, q, "a Float's text is not a number");
            return 0;
        }
    }
    return fail(c, q, "expected a float");
}

static int value(vctx *c, const uint8_t **p, ctrec_value *v, unsigned depth);
static RD_INLINE int fast_scalar(const uint8_t **p, const uint8_t *end, ctrec_value *v);

/* An array of ValueRecords into arena memory. */
static int children(vctx *c, const uint8_t **p, ctrec_value *v, unsigned depth)
{
    const uint8_t *at = *p;
    unsigned major;
    uint64_t n;
    if (head(c, p, &major, &n)) return -1;
    if (major != 4) return fail(c, at, "expected an array of values");
    if (n > (uint64_t)(c->end - *p) || n > CT_MAX_NODES - c->nodes)
        return fail(c, at, "more elements than the record can hold");
    c->nodes += (size_t)n;
    ctrec_value *ch = n ? arena_alloc(c->a, (size_t)n * sizeof *ch) : NULL;
    if (n && !ch) {
        err_set(c->e, CTREC_E_NOMEM, "out of memory");
        return -1;
    }
    int fast = depth + 1 <= c->max_depth; /* else value() reports the depth */
    for (uint64_t i = 0; i < n; i++)
        if (!(fast && fast_scalar(p, c->end, &ch[i])) && value(c, p, &ch[i], depth + 1))
            return -1;
    v->children = ch;
    v->nchildren = (size_t)n;
    return 0;
}

static int kind_of(ctrec_str k)
{
#define K(lit, v) if (k.len == sizeof(lit) - 1 && memcmp(k.ptr, lit, sizeof(lit) - 1) == 0) return v
    switch (k.len ? k.ptr[0] : 0) {
    case 'I': K("Int", CTREC_VAL_INT); break;
    case 'F': K("Float", CTREC_VAL_FLOAT); break;
    case 'B': K("Bool", CTREC_VAL_BOOL); K("BigInt", CTREC_VAL_BIGINT); break;
    case 'S': K("String", CTREC_VAL_STRING); K("Sequence", CTREC_VAL_SEQUENCE);
              K("Struct", CTREC_VAL_STRUCT); K("Set", CTREC_VAL_SET); break;
    case 'T': K("Tuple", CTREC_VAL_TUPLE); break;
    case 'V': K("Variant", CTREC_VAL_VARIANT); K("ValueRef", CTREC_VAL_VALUE_REF); break;
    case 'R': K("Reference", CTREC_VAL_REFERENCE); K("Raw", CTREC_VAL_RAW); break;
    case 'E': K("Error", CTREC_VAL_ERROR); K("Enum", CTREC_VAL_ENUM); break;
    case 'N': K("None", CTREC_VAL_NONE); break;
    case 'C': K("Cell", CTREC_VAL_CELL); K("Char", CTREC_VAL_CHAR); break;
    }
#undef K
    return -1;
}

#define KEY(k, lit) ((k).len == sizeof(lit) - 1 && memcmp((k).ptr, lit, sizeof(lit) - 1) == 0)

/* One field of a ValueRecord of kind `kind`, at *q. */
static int field(vctx *c, const uint8_t **pq, ctrec_value *v, int kind, ctrec_str k,
                 unsigned depth, unsigned *seen)
{
    const uint8_t *q = *pq, *at = q;
    int r = 0;
    switch (k.len) {
    case 1:
        switch (k.ptr[0]) {
        case 'i': r = int_(c, &q, &v->i); *seen |= 2; break;
        case 'f': r = float_(c, &q, &v->f); *seen |= 2; break;
        case 'b':
            if (kind == CTREC_VAL_BIGINT) {
                unsigned mj;
                uint64_t len;
                if ((r = head(c, &q, &mj, &len))) break;
                if (mj != 2 && mj != 3) return fail(c, at, "a BigInt's \"b\" is not bytes");
                if (len > (uint64_t)(c->end - q)) return fail(c, at, "bytes run past the record");
                if (mj == 3) v->text = (ctrec_str){(const char *)q, (size_t)len};
                else {
                    buf b = {0};
                    base64_put(&b, q, (size_t)len);
                    char *t = b.oom ? NULL : arena_alloc(c->a, b.len + 1);
                    if (t && b.len) memcpy(t, b.data, b.len); /* (b.data NULL for 0 bytes) */
                    size_t bl = b.len;
                    buf_free(&b);
                    if (!t) return err_set(c->e, CTREC_E_NOMEM, "out of memory"), -1;
                    v->text = (ctrec_str){t, bl};
                }
                q += len;
            } else
                r = bool_(c, &q, &v->b);
            *seen |= 2;
            break;
        case 'r': case 'c': r = text(c, &q, &v->text); *seen |= 2; break;
        default: r = skip(c, &q, depth + 1); break;
        }
        break;
    default:
        if (KEY(k, "type_id")) {
            r = uint_(c, &q, &v->type_id);
            *seen |= 1;
        } else if (KEY(k, "text") || KEY(k, "msg") || KEY(k, "name") ||
                   KEY(k, "discriminator")) {
            r = text(c, &q, &v->text);
            *seen |= 2;
        } else if (KEY(k, "ordinal") || KEY(k, "place")) {
            r = int_(c, &q, &v->i);
            *seen |= 2;
        } else if (KEY(k, "is_slice") || KEY(k, "mutable") || KEY(k, "negative")) {
            r = bool_(c, &q, &v->b);
        } else if (KEY(k, "address")) {
            r = uint_(c, &q, &v->address);
        } else if (KEY(k, "elements") || KEY(k, "field_values") || KEY(k, "members")) {
            r = children(c, &q, v, depth);
            *seen |= 2;
        } else if (KEY(k, "contents") || KEY(k, "dereferenced")) {
            if (c->nodes >= CT_MAX_NODES) return fail(c, at, "too many values in one event");
            c->nodes++;
            ctrec_value *ch = arena_alloc(c->a, sizeof *ch);
            if (!ch) return err_set(c->e, CTREC_E_NOMEM, "out of memory"), -1;
            r = value(c, &q, ch, depth + 1);
            v->children = ch;
            v->nchildren = 1;
            *seen |= 2;
        } else if (KEY(k, "field_names")) {
            unsigned mj;
            uint64_t cnt;
            if ((r = head(c, &q, &mj, &cnt))) break;
            if (mj != 4 || cnt > (uint64_t)(c->end - q))
                return fail(c, at, "\"field_names\" is not an array of text");
            ctrec_str *names = cnt ? arena_alloc(c->a, (size_t)cnt * sizeof *names) : NULL;
            if (cnt && !names) return err_set(c->e, CTREC_E_NOMEM, "out of memory"), -1;
            for (uint64_t j = 0; j < cnt && !r; j++) r = text(c, &q, &names[j]);
            v->names = names;
            *seen |= 4;
            v->address = cnt; /* checked against the field values by the caller */
        } else
            r = skip(c, &q, depth + 1);
        break;
    }
    if (r) return -1;
    *pq = q;
    return 0;
}

static const uint8_t kind_key[5] = {0x64, 'k', 'i', 'n', 'd'};

/* ---- the scalar shapes recorders write, decoded without a map walk ----
 *
 * {"kind": "Int", "i": I, "type_id": T} and likewise Float ("f", a CBOR
 * float64), Bool ("b", "text"), String ("text"), Raw ("r"), Error ("msg")
 * and None (type_id only): the keys in the order the Nim library (cbor.nim)
 * and ctrec's writer emit, matched as byte sequences. Anything else, or
 * any doubt (a short record, another float width, a long key), returns 0
 * and the general path decodes the value from its first byte, so the fast
 * path accepts exactly what the general path accepts, with the same result. */

/* A head of major type `major` with its argument; -1 otherwise. */
static RD_INLINE int fast_arg(const uint8_t **p, const uint8_t *end, unsigned major,
                              uint64_t *v)
{
    const uint8_t *q = *p;
    if (q >= end || (unsigned)(*q >> 5) != major) return -1;
    unsigned ai = *q++ & 31;
    uint64_t x;
    size_t left = (size_t)(end - q);
    switch (ai) {
    case 24:
        if (left < 1) return -1;
        x = q[0];
        q += 1;
        break;
    case 25:
        if (left < 2) return -1;
        x = rd_be(q, 2);
        q += 2;
        break;
    case 26:
        if (left < 4) return -1;
        x = rd_be(q, 4);
        q += 4;
        break;
    case 27:
        if (left < 8) return -1;
        x = rd_be(q, 8);
        q += 8;
        break;
    default:
        if (ai >= 24) return -1;
        x = ai;
        break;
    }
    *v = x;
    *p = q;
    return 0;
}

/* A text string into *out; -1 when it is not one or runs past end. */
static RD_INLINE int fast_text(const uint8_t **p, const uint8_t *end, ctrec_str *out)
{
    uint64_t n;
    const uint8_t *q = *p;
    if (fast_arg(&q, end, 3, &n) || n > (uint64_t)(end - q)) return -1;
    out->ptr = (const char *)q;
    out->len = (size_t)n;
    *p = q + n;
    return 0;
}

/* The key given as its CBOR bytes (head and text). */
#define FAST_KEY(q, end, lit) \
    ((size_t)((end) - (q)) >= sizeof(lit) - 1 && memcmp((q), lit, sizeof(lit) - 1) == 0 \
         ? ((q) += sizeof(lit) - 1, 1) : 0)

static RD_INLINE int fast_scalar(const uint8_t **p, const uint8_t *end, ctrec_value *v)
{
    const uint8_t *q = *p;
    /* map head, "kind", the kind's text head and first letter: 8 bytes, and
     * the shortest shape, {"kind": "None", "type_id": 0}, has 20 */
    if (end - q < 20 || memcmp(q + 1, kind_key, 5) != 0) return 0;
    ctrec_value r = {0};
    switch ((unsigned)q[0] << 16 | (unsigned)q[6] << 8 | q[7]) {
    case 0xa36349: /* {3 pairs "kind": "Int", "i": */
        if (memcmp(q + 8, "nt\x61i", 4) != 0) return 0;
        q += 12;
        {
            uint64_t x;
            unsigned major = *q >> 5; /* 0: unsigned, 1: negative (q < end: 20 bytes) */
            if (*q < 24) /* a small non-negative int, in the head byte */
                x = *q++;
            else if (major > 1 || fast_arg(&q, end, major, &x) || x > (uint64_t)INT64_MAX)
                return 0;
            r.i = major == 0 ? (int64_t)x : -1 - (int64_t)x;
        }
        r.kind = CTREC_VAL_INT;
        break;
    case 0xa36352: /* "Raw", "r": */
        if (memcmp(q + 8, "aw\x61r", 4) != 0) return 0;
        q += 12;
        if (fast_text(&q, end, &r.text)) return 0;
        r.kind = CTREC_VAL_RAW;
        break;
    case 0xa2644e: /* {2 pairs "kind": "None" */
        if (memcmp(q + 8, "one", 3) != 0) return 0;
        q += 11;
        r.kind = CTREC_VAL_NONE;
        break;
    case 0xa46442: /* {4 pairs "kind": "Bool", "b": */
        if (memcmp(q + 8, "ool\x61" "b", 5) != 0) return 0;
        q += 13;
        if (*q != 0xf4 && *q != 0xf5) return 0;
        r.b = *q++ == 0xf5;
        if (!FAST_KEY(q, end, "\x64text") || fast_text(&q, end, &r.text)) return 0;
        r.kind = CTREC_VAL_BOOL;
        break;
    case 0xa36546: /* "Float", "f": a float64 */
        if (memcmp(q + 8, "loat\x61" "f\xfb", 7) != 0 || end - q < 23) return 0;
        r.f = rd_cbor_float(q + 14); /* the 0xfb and its 8 bytes */
        q += 23;
        r.kind = CTREC_VAL_FLOAT;
        break;
    case 0xa36545: /* "Error", "msg": */
        if (memcmp(q + 8, "rror\x63msg", 8) != 0) return 0;
        q += 16;
        if (fast_text(&q, end, &r.text)) return 0;
        r.kind = CTREC_VAL_ERROR;
        break;
    case 0xa36653: /* "String", "text": */
        if (memcmp(q + 8, "tring\x64text", 10) != 0) return 0;
        q += 18;
        if (fast_text(&q, end, &r.text)) return 0;
        r.kind = CTREC_VAL_STRING;
        break;
    default: return 0;
    }
    if (!FAST_KEY(q, end, "\x67type_id")) return 0;
    if (q < end && *q < 24) /* the usual small type id */
        r.type_id = *q++;
    else if (fast_arg(&q, end, 0, &r.type_id))
        return 0;
    *v = r;
    *p = q;
    return 1;
}

static int value(vctx *c, const uint8_t **p, ctrec_value *v, unsigned depth)
{
    memset(v, 0, sizeof *v);
    if (depth > c->max_depth) {
        err_set(c->e, CTREC_E_DEPTH, "value nested deeper than %u levels", c->max_depth);
        return -1;
    }
    const uint8_t *at = *p;
    unsigned major;
    uint64_t n;
    if (head(c, p, &major, &n)) return -1;
    if (major == 6) {
        if (n != 256) return fail(c, at, "a CBOR tag other than 256 (ValueRef)");
        v->kind = CTREC_VAL_VALUE_REF;
        uint64_t id;
        if (uint_(c, p, &id)) return -1;
        v->i = (int64_t)id;
        v->address = id;
        return 0;
    }
    if (major != 5) return fail(c, at, "a ValueRecord is not a map");
    if (n > MAX_KEYS) return fail(c, at, "a ValueRecord with too many fields");
    int kind = -1;
    unsigned seen = 0;
    ctrec_str k;
    if (n && c->end - *p > 5 && memcmp(*p, kind_key, 5) == 0) {
        /* "kind" first, as the writers do: one pass */
        *p += 5;
        if (text(c, p, &k)) return -1;
        if ((kind = kind_of(k)) < 0) goto unknown;
        v->kind = (ctrec_value_kind)kind;
        for (uint64_t i = 1; i < n; i++) {
            if (text(c, p, &k) || field(c, p, v, kind, k, depth, &seen)) return -1;
        }
    } else {
        /* any order: find "kind", then decode the fields */
        ctrec_str keys[MAX_KEYS];
        const uint8_t *vals[MAX_KEYS];
        for (uint64_t i = 0; i < n; i++) {
            if (text(c, p, &keys[i])) return -1;
            vals[i] = *p;
            if (KEY(keys[i], "kind")) {
                if (text(c, p, &k)) return -1;
                if ((kind = kind_of(k)) < 0) goto unknown;
            } else if (skip(c, p, depth + 1))
                return -1;
        }
        if (kind < 0) return fail(c, at, "a ValueRecord without \"kind\"");
        v->kind = (ctrec_value_kind)kind;
        for (uint64_t i = 0; i < n; i++) {
            const uint8_t *q = vals[i];
            if (!KEY(keys[i], "kind") && field(c, &q, v, kind, keys[i], depth, &seen)) return -1;
        }
    }
    if (seen & 4) {
        if (kind != CTREC_VAL_STRUCT || v->address != v->nchildren)
            return fail(c, at, "field names that do not match the field values");
        v->address = 0;
    }
    if (kind != CTREC_VAL_CELL && kind != CTREC_VAL_VALUE_REF && !(seen & 1))
        return fail(c, at, "a ValueRecord without type_id");
    if ((kind == CTREC_VAL_VARIANT || kind == CTREC_VAL_REFERENCE) && v->nchildren != 1)
        return fail(c, at, "a Variant or Reference without its inner value");
    return 0;
unknown: {
        char msg[80];
        snprintf(msg, sizeof msg, "unknown kind \"%.*s\"", (int)(k.len > 30 ? 30 : k.len), k.ptr);
        return fail(c, at, msg);
    }
}

static RD_NOINLINE int decode_general(const uint8_t **p, const uint8_t *end, arena *a,
                                       unsigned max_depth, ctrec_value *v, err *e)
{
    vctx c = {*p, end, a, max_depth, 1, e};
    return value(&c, p, v, 0);
}

int ct_value_fast_scalar(const uint8_t **p, const uint8_t *end, ctrec_value *v)
{
    return fast_scalar(p, end, v);
}

int ct_value_decode_general(const uint8_t **p, const uint8_t *end, arena *a, unsigned max_depth,
                            const ctrec_value **out, err *e)
{
    ctrec_value *v = arena_alloc(a, sizeof *v);
    if (!v) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    if (decode_general(p, end, a, max_depth, v, e)) return -1;
    *out = v;
    return 0;
}

int ct_value_decode_rest(const uint8_t **p, const uint8_t *end, arena *a, unsigned max_depth,
                         ctrec_value *v, err *e)
{
    if (!v) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    return decode_general(p, end, a, max_depth, v, e);
}

/* ---- split-binary payloads: call arguments and TypeRecords ---- */

static int map_head(vctx *c, const uint8_t **p, uint64_t *n)
{
    const uint8_t *at = *p;
    unsigned major;
    if (head(c, p, &major, n)) return -1;
    if (major != 5) return fail(c, at, "expected a map");
    if (*n > (uint64_t)(c->end - *p)) return fail(c, at, "more pairs than bytes");
    return 0;
}

int ct_call_args(const ctrec_str *payload, arena *a, unsigned max_depth,
                 const ctrec_full_value **out, size_t *nout, err *e)
{
    const uint8_t *p = (const uint8_t *)payload->ptr;
    vctx c = {p, p + payload->len, a, max_depth, 0, e};
    unsigned major;
    uint64_t n;
    if (head(&c, &p, &major, &n)) return -1;
    if (major != 4 || n > payload->len) return fail(&c, c.base, "call arguments are not an array");
    ctrec_full_value *args = n ? arena_alloc(a, (size_t)n * sizeof *args) : NULL;
    if (n && !args) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t np;
        if (map_head(&c, &p, &np)) return -1;
        args[i].variable_id = 0;
        args[i].value = NULL;
        for (uint64_t j = 0; j < np; j++) {
            ctrec_str k;
            if (text(&c, &p, &k)) return -1;
            if (KEY(k, "variable_id")) {
                if (uint_(&c, &p, &args[i].variable_id)) return -1;
            } else if (KEY(k, "value")) {
                ctrec_value *v = arena_alloc(a, sizeof *v);
                if (!v) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
                if (value(&c, &p, v, 1)) return -1;
                args[i].value = v;
            } else if (skip(&c, &p, 1))
                return -1;
        }
        if (!args[i].value) return fail(&c, p, "a call argument without its value");
    }
    *out = args;
    *nout = (size_t)n;
    return 0;
}

int ct_type_record(const ctrec_str *payload, arena *a, ctrec_ev *ev, err *e)
{
    const uint8_t *p = (const uint8_t *)payload->ptr;
    vctx c = {p, p + payload->len, a, 8, 0, e};
    uint64_t np;
    if (map_head(&c, &p, &np)) return -1;
    memset(&ev->type_def, 0, sizeof ev->type_def);
    for (uint64_t i = 0; i < np; i++) {
        ctrec_str k;
        if (text(&c, &p, &k)) return -1;
        if (KEY(k, "kind")) {
            uint64_t kind;
            if (uint_(&c, &p, &kind)) return -1;
            if (kind >= CTREC_TYPE_KIND_COUNT) return fail(&c, p, "a type kind beyond TypeKind");
            ev->type_def.kind = (ctrec_type_kind)kind;
        } else if (KEY(k, "lang_type")) {
            if (text(&c, &p, &ev->type_def.lang_type)) return -1;
        } else if (KEY(k, "specific_info")) {
            uint64_t ni;
            if (map_head(&c, &p, &ni)) return -1;
            for (uint64_t j = 0; j < ni; j++) {
                ctrec_str ik;
                if (text(&c, &p, &ik)) return -1;
                if (KEY(ik, "kind")) {
                    ctrec_str kv;
                    if (text(&c, &p, &kv)) return -1;
                    ev->type_def.info = KEY(kv, "Struct")    ? CTREC_INFO_STRUCT
                                        : KEY(kv, "Pointer") ? CTREC_INFO_POINTER
                                                             : CTREC_INFO_NONE;
                } else if (KEY(ik, "dereference_type_id")) {
                    if (uint_(&c, &p, &ev->type_def.dereference_type_id)) return -1;
                } else if (KEY(ik, "fields")) {
                    unsigned major;
                    uint64_t nf;
                    const uint8_t *at = p;
                    if (head(&c, &p, &major, &nf)) return -1;
                    if (major != 4 || nf > (uint64_t)(c.end - p)) return fail(&c, at, "fields are not an array");
                    ctrec_field *f = nf ? arena_alloc(a, (size_t)nf * sizeof *f) : NULL;
                    if (nf && !f) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
                    for (uint64_t q = 0; q < nf; q++) {
                        uint64_t fp;
                        if (map_head(&c, &p, &fp)) return -1;
                        memset(&f[q], 0, sizeof f[q]);
                        for (uint64_t w = 0; w < fp; w++) {
                            ctrec_str fk;
                            if (text(&c, &p, &fk)) return -1;
                            if (KEY(fk, "name")) {
                                ctrec_str nm;
                                if (text(&c, &p, &nm)) return -1;
                                f[q].name = nm.ptr;
                                f[q].name_len = nm.len;
                            } else if (KEY(fk, "type_id")) {
                                if (uint_(&c, &p, &f[q].type_id)) return -1;
                            } else if (skip(&c, &p, 1))
                                return -1;
                        }
                    }
                    ev->type_def.fields = f;
                    ev->type_def.nfields = (size_t)nf;
                } else if (skip(&c, &p, 1))
                    return -1;
            }
        } else if (skip(&c, &p, 1))
            return -1;
    }
    return 0;
}
