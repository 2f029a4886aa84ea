/*
 * text_double_snprintf.h — text_double() as it was before the Ryu-style
 * formatter: the least %g precision that strtod reads back (15, 16, 17;
 * subnormals searched), exponent tidied. The oracle of tests/util and the
 * baseline of bench/float_bench.c; not part of the library.
 */
#ifndef CTREC_TEXT_DOUBLE_SNPRINTF_H
#define CTREC_TEXT_DOUBLE_SNPRINTF_H

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale(void)
{
    static locale_t loc = (locale_t)0;
    if (loc == (locale_t)0) loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    return loc;
}

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

static size_t old_text_double(char *out, double v)
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
    char best[320]; /* %.*g with precision <= 17 needs < 32; sized so that gcc -O0 sees no truncation */
    int n = 0;
    if (v != 0 && fabs(v) < DBL_MIN) {
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

#endif
