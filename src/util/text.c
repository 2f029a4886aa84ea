#define _GNU_SOURCE /* newlocale / uselocale */
#include "text.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline unsigned digits_u64(uint64_t v)
{
    unsigned n = 1;
    for (;;) {
        if (v < 10) return n;
        if (v < 100) return n + 1;
        if (v < 1000) return n + 2;
        if (v < 10000) return n + 3;
        v /= 10000u;
        n += 4;
    }
}

size_t text_u64(char *out, uint64_t v)
{
    /* Digits are written in place, back to front, two at a time. */
    unsigned n = digits_u64(v);
    char *p = out + n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        p[0] = digit_pairs[2 * r];
        p[1] = digit_pairs[2 * r + 1];
    }
    if (v >= 10) {
        p[-2] = digit_pairs[2 * v];
        p[-1] = digit_pairs[2 * v + 1];
    } else {
        p[-1] = (char)('0' + v);
    }
    return n;
}

size_t text_i64(char *out, int64_t v)
{
    if (v >= 0) return text_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + text_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

/* The "C" locale, so that a host program's setlocale() never turns "2.5"
 * into "2,5". Created once; newlocale failing leaves the current locale. */
static locale_t c_locale(void)
{
    static locale_t loc = (locale_t)0;
    if (loc == (locale_t)0) loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    return loc;
}

/* "1e+300" -> "1e300", "1e-05" -> "1e-5". */
static size_t tidy_exponent(char *s, size_t n)
{
    char *e = memchr(s, 'e', n);
    if (!e) return n;
    char *src = e + 1, *dst = e + 1;
    char *end = s + n;
    if (src < end && *src == '+') src++;
    else if (src < end && *src == '-') *dst++ = *src++;
    while (src + 1 < end && *src == '0') src++;
    while (src < end) *dst++ = *src++;
    return (size_t)(dst - s);
}

size_t text_double(char *out, double v)
{
    if (isnan(v)) {
        memcpy(out, "NaN", 3);
        return 3;
    }
    if (isinf(v)) {
        if (v < 0) { memcpy(out, "-inf", 4); return 4; }
        memcpy(out, "inf", 3);
        return 3;
    }
    locale_t loc = c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    /* If any decimal of at most 15 significant digits reads back to v, the
     * 15-digit rounding of v is that decimal (%g drops the trailing zeros):
     * a double's half-ulp is below half a unit in the 15th digit. Otherwise
     * the 16-digit rounding is the nearest 16-digit decimal, so it reads
     * back if any does; 17 digits always do. */
    char best[32];
    int n = 0;
    if (v != 0 && fabs(v) < DBL_MIN) {
        /* Subnormals carry fewer bits, so the argument above fails for them:
         * search for the least precision that reads back. */
        int lo = 1, hi = 17;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            snprintf(best, sizeof best, "%.*g", mid, v);
            if (strtod(best, NULL) == v) hi = mid;
            else lo = mid + 1;
        }
        n = snprintf(best, sizeof best, "%.*g", lo, v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            n = snprintf(best, sizeof best, "%.*g", prec, v);
            if (prec == 17 || strtod(best, NULL) == v) break;
        }
    }
    if (old) uselocale(old);
    size_t len = tidy_exponent(best, (size_t)n);
    memcpy(out, best, len);
    return len;
}

static int parse_decimal(const char *z, double *out)
{
    /* Only decimals here: strtod alone would also take hex floats. */
    for (const char *q = z; *q; q++) {
        if (!(*q >= '0' && *q <= '9') && *q != '.' && *q != 'e' && *q != 'E' &&
            *q != '+' && *q != '-')
            return -1;
    }
    locale_t loc = c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    char *end;
    *out = strtod(z, &end);
    int ok = *end == 0 && end != z;
    if (old) uselocale(old);
    return ok ? 0 : -1;
}

int text_parse_double(const char *s, size_t len, double *out)
{
    if (len == 0) return -1;
    char small[64];
    char *z = len < sizeof small ? small : malloc(len + 1);
    if (!z) return -1;
    memcpy(z, s, len);
    z[len] = 0;
    const char *p = z;
    int neg = 0, r;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        r = 0;
    } else if (!strcasecmp(p, "nan")) {
        *out = NAN;
        r = 0;
    } else {
        r = parse_decimal(z, out);
    }
    if (z != small) free(z);
    return r;
}

size_t utf8_seq_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

size_t utf8_clean_len(const uint8_t *p, size_t n, int *valid)
{
    size_t out = 0, i = 0;
    int ok = 1;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            out++;
            continue;
        }
        size_t k = utf8_seq_len(p + i, n - i);
        if (k == 0) {
            ok = 0;
            out += 3;
            i++;
        } else {
            out += k;
            i += k;
        }
    }
    *valid = ok;
    return out;
}

void utf8_clean_put(buf *b, const uint8_t *p, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq_len(p + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        if (i > run) buf_put(b, p + run, i - run); /* b->data may still be NULL */
        buf_put(b, "\xEF\xBF\xBD", 3);
        i++;
        run = i;
    }
    if (n > run) buf_put(b, p + run, n - run); /* p may be NULL when n is 0 */
}

void base64_put(buf *b, const uint8_t *p, size_t n)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (buf_reserve(b, base64_len(n))) return;
    char *o = (char *)b->data + b->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = '=';
    }
    b->len += base64_len(n);
}
