/*
 * ct_value_fast.c — the reader's fast path for scalar ValueRecords
 * (src/reader/ct_value.c) against its general path: every shape recorders
 * write, then every cut and many one-byte changes of them, and shapes the
 * fast path must leave alone (other key orders, other float widths).
 *
 * Property checked for each input: when the fast path decodes it, the
 * general path decodes it too, to the same value (every field) and the
 * same end; when the general path refuses it, the fast path does not
 * decode it. And the fast path does decode every canonical shape (else
 * the property would hold trivially).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/ct.h"

static int failures, checked, fast_taken;

typedef struct {
    uint8_t b[512];
    size_t n;
} cb;

static void put(cb *c, const void *p, size_t n)
{
    memcpy(c->b + c->n, p, n);
    c->n += n;
}
static void head(cb *c, unsigned major, uint64_t v, int width) /* width: 0 minimal, else 1/2/4/8 */
{
    uint8_t ib = (uint8_t)(major << 5);
    if (!width) width = v < 24 ? -1 : v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
    if (width < 0) {
        c->b[c->n++] = (uint8_t)(ib | v);
        return;
    }
    c->b[c->n++] = (uint8_t)(ib | (width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27));
    for (int i = width - 1; i >= 0; i--) c->b[c->n++] = (uint8_t)(v >> (8 * i));
}
static void text(cb *c, const char *s) { head(c, 3, strlen(s), 0), put(c, s, strlen(s)); }
static void sint(cb *c, int64_t v, int width)
{
    if (v >= 0) head(c, 0, (uint64_t)v, width);
    else head(c, 1, (uint64_t)(-1 - v), width);
}

static int same_value(const ctrec_value *a, const ctrec_value *b)
{
    if (a->kind != b->kind || a->b != b->b || a->type_id != b->type_id || a->i != b->i ||
        memcmp(&a->f, &b->f, sizeof a->f) != 0 || a->address != b->address ||
        a->text.len != b->text.len || a->text.ptr != b->text.ptr ||
        a->nchildren != b->nchildren || a->names != b->names)
        return 0;
    for (size_t i = 0; i < a->nchildren; i++)
        if (!same_value(&a->children[i], &b->children[i])) return 0;
    return 1;
}

/* The property on [d, d + n); `canonical`: the fast path must take it. */
static void check(const uint8_t *d, size_t n, int canonical, const char *what)
{
    checked++;
    arena a = {0};
    err e = {0};
    const uint8_t *pf = d, *pg = d;
    ctrec_value fv;
    memset(&fv, 0xa5, sizeof fv);
    int fast = ct_value_fast(&pf, d + n, &fv);
    const ctrec_value *gv = NULL;
    int bad = ct_value_decode_general(&pg, d + n, &a, 60, &gv, &e);
    if (fast) fast_taken++;
    if (canonical && !fast) {
        printf("FAIL %s: the fast path does not take this canonical shape\n", what);
        failures++;
    }
    if (!fast && pf != d) {
        printf("FAIL %s: the fast path declined but moved the position\n", what);
        failures++;
    }
    if (fast && bad) {
        printf("FAIL %s: the fast path decodes what the general path refuses (%s)\n", what,
               e.msg);
        failures++;
    } else if (fast && (pf != pg || !same_value(&fv, gv))) {
        printf("FAIL %s: the two paths disagree (end %td vs %td)\n", what, pf - d, pg - d);
        failures++;
    }
    arena_free(&a);
}

/* The shape, its cuts, and one-byte changes at every position. */
static void check_all(const cb *c, const char *what)
{
    static const uint8_t flips[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
    uint8_t buf[512];
    char name[160];
    check(c->b, c->n, 1, what);
    for (size_t k = 0; k < c->n; k++) {
        memcpy(buf, c->b, k);
        snprintf(name, sizeof name, "%s cut at %zu", what, k);
        check(buf, k, 0, name);
    }
    for (size_t k = 0; k < c->n; k++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(buf, c->b, c->n);
            buf[k] ^= flips[f];
            snprintf(name, sizeof name, "%s byte %zu ^ 0x%02x", what, k, flips[f]);
            check(buf, c->n, 0, name);
            /* with a byte more after it: the end must be the same */
            buf[c->n] = 0x00;
            check(buf, c->n + 1, 0, name);
        }
}

static void kind_start(cb *c, unsigned pairs, const char *kind)
{
    c->n = 0;
    head(c, 5, pairs, 0);
    text(c, "kind");
    text(c, kind);
}

static void type_id(cb *c, uint64_t t, int width)
{
    text(c, "type_id");
    head(c, 0, t, width);
}

int main(void)
{
    cb c;
    char what[96];
    static const int64_t ints[] = {0, 1, 23, 24, 255, 256, 65535, 65536, 4294967295LL,
                                   4294967296LL, INT64_MAX, -1, -24, -25, -256, -257,
                                   INT64_MIN};
    static const int widths[] = {0, 1, 2, 4, 8};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        for (size_t w = 0; w < 5; w++) {
            int64_t v = ints[i];
            uint64_t mag = v >= 0 ? (uint64_t)v : (uint64_t)(-1 - v);
            if (widths[w] && widths[w] < 8 && mag >> (8 * widths[w])) continue;
            kind_start(&c, 3, "Int");
            text(&c, "i");
            sint(&c, v, widths[w]);
            type_id(&c, 7, 0);
            snprintf(what, sizeof what, "Int %lld width %d", (long long)v, widths[w]);
            check_all(&c, what);
        }
    static const uint64_t tids[] = {0, 23, 24, 300, 70000, 1ull << 40, UINT64_MAX};
    for (size_t i = 0; i < sizeof tids / sizeof *tids; i++) {
        kind_start(&c, 2, "None");
        type_id(&c, tids[i], 0);
        snprintf(what, sizeof what, "None type_id %llu", (unsigned long long)tids[i]);
        check_all(&c, what);
    }
    static const double fl[] = {0.0, -0.0, 1.5, -2.25e300, 5e-324, INFINITY, NAN};
    for (size_t i = 0; i < sizeof fl / sizeof *fl; i++) {
        kind_start(&c, 3, "Float");
        text(&c, "f");
        uint64_t u;
        memcpy(&u, &fl[i], 8);
        c.b[c.n++] = 0xfb;
        for (int k = 7; k >= 0; k--) c.b[c.n++] = (uint8_t)(u >> (8 * k));
        type_id(&c, 3, 0);
        snprintf(what, sizeof what, "Float %g", fl[i]);
        check_all(&c, what);
    }
    for (int b = 0; b < 2; b++) {
        kind_start(&c, 4, "Bool");
        text(&c, "b");
        c.b[c.n++] = b ? 0xf5 : 0xf4;
        text(&c, "text");
        text(&c, b ? "true" : "false");
        type_id(&c, 2, 0);
        check_all(&c, b ? "Bool true" : "Bool false");
    }
    static const char long_str[] = "a string of more than twenty-three bytes, so its "
                                   "length takes a byte";
    static const char *const strs[] = {"", "a", "hello, world", long_str};
    static const char *const tkinds[][2] = {{"String", "text"}, {"Raw", "r"}, {"Error", "msg"}};
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
            kind_start(&c, 3, tkinds[k][0]);
            text(&c, tkinds[k][1]);
            text(&c, strs[i]);
            type_id(&c, 9, 0);
            snprintf(what, sizeof what, "%s of %zu bytes", tkinds[k][0], strlen(strs[i]));
            check_all(&c, what);
        }

    /* shapes the fast path leaves to the general path (still decodable) */
    int before = fast_taken;
    kind_start(&c, 3, "Int");
    type_id(&c, 1, 0);
    text(&c, "i");
    sint(&c, 5, 0);
    check(c.b, c.n, 0, "Int with type_id first");
    kind_start(&c, 3, "Float");
    text(&c, "f");
    c.b[c.n++] = 0xf9;
    c.b[c.n++] = 0x3c;
    c.b[c.n++] = 0x00;
    type_id(&c, 1, 0);
    check(c.b, c.n, 0, "Float as float16");
    c.n = 0;
    head(&c, 5, 3, 0);
    text(&c, "type_id");
    head(&c, 0, 1, 0);
    text(&c, "kind");
    text(&c, "Int");
    text(&c, "i");
    sint(&c, 5, 0);
    check(c.b, c.n, 0, "kind not first");
    kind_start(&c, 3, "Int");
    text(&c, "i");
    sint(&c, 5, 0);
    text(&c, "type_id");
    head(&c, 0, 1, 0);
    c.b[c.n++] = 0x00;
    check(c.b, c.n, 0, "Int with a byte after it");
    if (fast_taken != before + 1) {
        /* only the last one: a canonical Int followed by a byte */
        printf("FAIL: the fast path took %d of the other shapes\n", fast_taken - before - 1);
        failures++;
    }

    printf("%d inputs checked, the fast path decoded %d, %d failures\n", checked, fast_taken,
           failures);
    return failures != 0;
}
