/* text_double() against the implementation it replaced (the oracle below:
 * snprintf %.15g/%.16g/%.17g until strtod reads it back, a binary search of
 * the precision for subnormals, then the exponent tidied). Every result must
 * be byte for byte the oracle's and strtod must read it back exactly. */
#define _GNU_SOURCE /* newlocale / uselocale */
#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/text.h"

#include "text_double_snprintf.h"

/* ---- checks ---- */

static long checked, failed;

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static void check(double v)
{
    char got[40], want[40];
    memset(got, 'X', sizeof got);
    size_t n = text_double(got, v);
    size_t m = old_text_double(want, v);
    checked++;
    int bad = n != m || memcmp(got, want, n) != 0 || n > 31;
    if (!bad && !isnan(v)) {
        got[n] = 0;
        double back = strtod(got, NULL);
        bad = to_bits(back) != to_bits(v);
    }
    if (bad) {
        failed++;
        if (failed <= 20)
            fprintf(stderr, "FAIL %a (0x%016" PRIx64 "): got \"%.*s\" want \"%.*s\"\n", v,
                    to_bits(v), (int)n, got, (int)m, want);
    }
}

/* v, -v and the neighbours of both. */
static void check_around(double v)
{
    for (int s = 0; s < 2; s++) {
        double x = s ? -v : v;
        check(x);
        check(nextafter(x, INFINITY));
        check(nextafter(x, -INFINITY));
    }
}

static void expect(double v, const char *text)
{
    char got[40];
    size_t n = text_double(got, v);
    checked++;
    if (n != strlen(text) || memcmp(got, text, n) != 0) {
        failed++;
        fprintf(stderr, "FAIL %a: got \"%.*s\" want \"%s\"\n", v, (int)n, got, text);
    }
}

static uint64_t rng_state;
static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    /* [COUNT [SEED [random-only]]] */
    long random_count = argc > 1 ? strtol(argv[1], NULL, 10) : 5000000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : UINT64_C(20181120);
    int chosen = argc <= 3;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long fixed = 0;
    if (!chosen) goto random;

    /* the spellings the documentation promises */
    expect(2.5, "2.5");
    expect(0.1, "0.1");
    expect(1e300, "1e300");
    expect(5e-324, "5e-324");
    expect(0.30000000000000004, "0.30000000000000004");
    expect(1.2345678901234568e17, "1.2345678901234568e17");
    expect(100, "100");
    expect(1e15, "1e15");
    expect(1e16, "1e16");
    expect(123456, "123456");
    expect(1234567.0, "1234567");
    expect(1e-5, "1e-5");
    expect(0.0001, "0.0001");
    expect(0.0, "0");
    expect(-0.0, "-0");
    expect(INFINITY, "inf");
    expect(-INFINITY, "-inf");
    expect(NAN, "NaN");
    expect(-NAN, "NaN");
    expect(DBL_MAX, "1.7976931348623157e308");
    expect(DBL_MIN, "2.2250738585072014e-308");
    expect(-1.5, "-1.5");
    expect(9007199254740991.0, "9007199254740991");
    expect(9007199254740992.0, "9007199254740992");
    expect(1e23, "1e23");
    expect(5e-5, "5e-5");
    expect(123456789012345.0, "123456789012345");
    expect(1234567890123456.0, "1234567890123456");
    expect(1234567890123450.0, "1.23456789012345e15");
    const double examples[] = {2.5, 0.1, 1e300, 5e-324, 0.30000000000000004,
                               1.2345678901234568e17, 100, 1e15, 1e16, 123456,
                               1234567.0, 1e-5, 0.0001, 0.0, 1.0, 0.5, 1e23,
                               9007199254740993.0, 4.35, 0.3, 2.0 / 3.0,
                               1.7976931348623157e308, 2.2250738585072014e-308};
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
        check_around(examples[i]);
    check(INFINITY);
    check(-INFINITY);
    check(NAN);

    /* every power of two (the asymmetric intervals) and of ten */
    for (int e = -1074; e <= 1023; e++) check_around(ldexp(1.0, e));
    char t[32];
    for (int e = -323; e <= 308; e++) {
        snprintf(t, sizeof t, "1e%d", e);
        check_around(strtod(t, NULL));
    }
    /* integers around 2^53 (the fast path's edge) and small integers */
    for (int64_t i = -5000; i <= 5000; i++) {
        check((double)i);
        check((double)(((int64_t)1 << 53) + i));
        check((double)(((int64_t)1 << 52) + i));
    }
    /* the smallest subnormals, the largest ones and the smallest normals */
    for (uint64_t b = 1; b <= 2000; b++) check(from_bits(b));
    for (uint64_t b = 0; b < 2000; b++) {
        check(from_bits(UINT64_C(0x0010000000000000) - 1 - b));
        check(from_bits(UINT64_C(0x0010000000000000) + b));
        check(from_bits(UINT64_C(0x7FEFFFFFFFFFFFFF) - b));
    }
    check_around(DBL_MAX);
    check_around(DBL_MIN);
    check_around(DBL_TRUE_MIN);
    /* each binary exponent: a few mantissas, both ends */
    for (uint64_t e = 0; e < 2047; e++)
        for (uint64_t m = 0; m < 8; m++) {
            check(from_bits(e << 52 | m));
            check(from_bits(e << 52 | (UINT64_C(0xFFFFFFFFFFFFF) - m)));
        }
    /* exact decimals: k * 5^j * 2^i, where products are exact and ties can
     * occur (0.5, 2^-25 = 2.98023223876953125e-8, ...) */
    for (int j = 0; j <= 23; j++) {
        double p5 = pow(5.0, j); /* exact up to 5^22 */
        for (int i = -1074; i <= 1023; i += (i > -100 && i < 100) ? 1 : 7)
            for (int k = 1; k <= 9; k += 2) check_around(ldexp((double)k * p5, i));
    }
    /* "typical" values: short decimals */
    for (int i = 0; i < 200000; i++) {
        int digits = 1 + (int)(rng() % 17);
        uint64_t m = rng() % UINT64_C(100000000000000000);
        for (int k = 17; k > digits; k--) m /= 10;
        snprintf(t, sizeof t, "%" PRIu64 "e%d", m, (int)(rng() % 60) - 30);
        check(strtod(t, NULL));
    }
    fixed = checked;

random:
    /* random bit patterns */
    for (long i = 0; i < random_count; i++) check(from_bits(rng()));

    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("text_double: %ld values checked (%ld chosen, %ld random), %ld failed, %.1f s\n",
           checked, fixed, random_count, failed, secs);
    return failed != 0;
}
