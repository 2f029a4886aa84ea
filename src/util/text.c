#define _GNU_SOURCE /* newlocale / uselocale */
#include "text.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
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
 * into "2,5". Created once for the process (pthread_once: readers in
 * several threads at a time); newlocale failing leaves the current locale. */
static locale_t c_loc = (locale_t)0;
static pthread_once_t c_loc_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) { c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static locale_t c_locale(void)
{
    pthread_once(&c_loc_once, c_locale_init);
    return c_loc;
}

/* ---- text_double: shortest round-trip decimal (the Ryu method) ----
 *
 * A finite double is v = mv * 2^e2 with mv = 4 * mantissa (two spare bits
 * so that the halfway points to the neighbours are integers too): every
 * decimal in (mm * 2^e2, mp * 2^e2) reads back to v, the ends themselves
 * only when the mantissa is even (strtod breaks ties to even). mp = mv + 2;
 * mm = mv - 2, or mv - 1 for a power of two whose lower neighbour is
 * closer.
 *
 * Scaled by 10^-e10 (e10 chosen so that the three have 18 or 19 digits),
 * their integer parts vr, vp, vm come from one 64 x 128-bit product with a
 * 125-bit power of 5 (or of 1/5) and a shift; the tables and the bounds
 * they need are Ulf Adams' (Ryu, PLDI 2018). Whether a product was exact
 * (its dropped fraction zero) is decided apart from it: by the power of 5
 * dividing mv, or the power of 2.
 *
 * Removing digits while vp and vm still differ above the last one leaves
 * the fewest digits L a decimal in the interval needs; rounding vr (the
 * removed digits, ties to even) to those L digits is the L-digit decimal
 * nearest v, which is what printf("%.*g") gives. It is in the interval
 * unless v is a power of two whose nearest L-digit decimal lies below the
 * (closer) lower end: then, like the former snprintf/strtod search (15, 16,
 * then 17 digits), the 17-digit rounding is taken. */

#include "text_pow5.h"

__extension__ typedef unsigned __int128 u128;

/* bits of 5^e (e >= 0), floor(log10(2^e)), floor(log10(5^e)): checked by
 * gen_pow5_tables.py over the ranges used here. */
static inline int32_t pow5_bits(int32_t e) { return (int32_t)(((uint32_t)e * 1217359u) >> 19) + 1; }
static inline int32_t log10_pow2(int32_t e) { return (int32_t)(((uint32_t)e * 78913u) >> 18); }
static inline int32_t log10_pow5(int32_t e) { return (int32_t)(((uint32_t)e * 732923u) >> 20); }

/* floor(m * mul / 2^j), mul a 128-bit table entry, 64 <= j < 192. */
static inline uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int32_t j)
{
    u128 lo = (u128)m * mul[0];
    u128 hi = (u128)m * mul[1];
    return (uint64_t)(((lo >> 64) + hi) >> (j - 64));
}

static const uint64_t pow10_u64[20] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
    1000000000u, 10000000000u, 100000000000u, 1000000000000u,
    10000000000000u, 100000000000000u, 1000000000000000u,
    10000000000000000u, 100000000000000000u, 1000000000000000000u,
    10000000000000000000u};

/* Number of decimal digits of v: floor(log10) from the bit length
 * (1233 / 4096 ~ log10(2)), then one comparison. */
static inline int dec_len(uint64_t v)
{
    int bits = 64 - __builtin_clzll(v | 1);
    int n = (bits * 1233) >> 12; /* floor(log10(2^bits)) or that plus one */
    return n + ((v | 1) >= pow10_u64[n]);
}

/* Writes the digits of v so that they end at `end`. */
static inline void put_digits(char *end, uint64_t v)
{
    while (v >= 100000000u) {
        uint64_t q = v / 100000000u;
        uint32_t r = (uint32_t)(v - q * 100000000u);
        v = q;
        uint32_t hi = r / 10000u, lo = r - hi * 10000u;
        uint32_t a = hi / 100u, b = hi - a * 100u, c = lo / 100u, d = lo - c * 100u;
        end -= 8;
        memcpy(end, digit_pairs + 2 * a, 2);
        memcpy(end + 2, digit_pairs + 2 * b, 2);
        memcpy(end + 4, digit_pairs + 2 * c, 2);
        memcpy(end + 6, digit_pairs + 2 * d, 2);
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100u) {
        uint32_t q = w / 100u;
        end -= 2;
        memcpy(end, digit_pairs + 2 * (w - q * 100u), 2);
        w = q;
    }
    if (w >= 10u) memcpy(end - 2, digit_pairs + 2 * w, 2);
    else end[-1] = (char)('0' + w);
}

/* The digits and exponent text_double prints: v = digits * 10^exp.
 * `pfmt` is the precision %g would have been given (fixed notation when
 * -4 <= exponent < pfmt). */
typedef struct {
    uint64_t digits;
    int32_t len; /* of digits */
    int32_t exp;
    int32_t pfmt;
} decimal;

static decimal shortest(uint64_t ieee_m, uint32_t ieee_e)
{
    decimal d;
    uint64_t m2;
    int32_t e2;
    if (ieee_e == 0) {
        m2 = ieee_m;
        e2 = 1 - 1075 - 2;
    } else {
        m2 = ieee_m | (UINT64_C(1) << 52);
        e2 = (int32_t)ieee_e - 1075 - 2;
        /* Integers below 2^53: their own digits, trailing zeros dropped. */
        if (e2 + 2 <= 0 && e2 + 2 >= -52) {
            uint32_t sh = (uint32_t)(-(e2 + 2));
            if ((m2 & ((UINT64_C(1) << sh) - 1)) == 0) {
                uint64_t n = m2 >> sh;
                int32_t x = 0;
                for (;;) {
                    uint64_t q = n / 10;
                    if (n != q * 10) break;
                    n = q;
                    x++;
                }
                d.digits = n;
                d.len = dec_len(n);
                d.exp = x;
                d.pfmt = d.len > 15 ? d.len : 15;
                return d;
            }
        }
    }
    const int accept = (m2 & 1) == 0;
    const uint64_t mv = 4 * m2;
    const uint64_t mp = mv + 2;
    const uint64_t mm = mv - 1 - (ieee_m != 0 || ieee_e <= 1);

    uint64_t vr, vp, vm;
    int32_t e10;
    int vr_exact = 0, vp_exact = 0, vm_exact = 0;
    if (e2 >= 0) {
        /* x * 2^e2 / 10^q = x * 2^(e2-q) / 5^q */
        int32_t q = log10_pow2(e2) - (e2 > 3);
        e10 = q;
        int32_t j = -e2 + q + POW5_BITS - 1 + pow5_bits(q);
        vr = mul_shift(mv, POW5_INV[q], j);
        vp = mul_shift(mp, POW5_INV[q], j);
        vm = mul_shift(mm, POW5_INV[q], j);
        /* exact iff 5^q divides x; x < 2^56 < 5^24. At most one of mm, mv,
         * mp is a multiple of 5 (they are 1 to 4 apart). */
        if (q == 0) {
            vr_exact = vp_exact = vm_exact = 1;
        } else if (q <= 23) {
            uint64_t p5 = POW5_U64[q];
            if (mv % 5 == 0) vr_exact = mv % p5 == 0;
            else if (mp % 5 == 0) vp_exact = mp % p5 == 0;
            else if (mm % 5 == 0) vm_exact = mm % p5 == 0;
        }
    } else {
        /* x * 2^e2 / 10^(q+e2) = x * 5^(-e2-q) / 2^q */
        int32_t q = log10_pow5(-e2) - (-e2 > 1);
        e10 = q + e2;
        int32_t i = -e2 - q;
        int32_t j = q - (pow5_bits(i) - POW5_BITS);
        vr = mul_shift(mv, POW5[i], j);
        vp = mul_shift(mp, POW5[i], j);
        vm = mul_shift(mm, POW5[i], j);
        /* exact iff 2^q divides x */
        if (q < 64) {
            uint64_t mask = (UINT64_C(1) << q) - 1;
            vr_exact = (mv & mask) == 0;
            vp_exact = (mp & mask) == 0;
            vm_exact = (mm & mask) == 0;
        }
    }
    if (!accept) {
        vp -= (uint64_t)vp_exact; /* the upper end itself is not v's */
        vm_exact = 0;             /* nor the lower one */
    }

    const uint64_t vr0 = vr;
    const int vr0_exact = vr_exact;
    int32_t removed = 0;
    uint32_t last = 0;
    int fail;
    if (vm_exact || vr_exact) {
        for (;;) {
            uint64_t pq = vp / 10, mq = vm / 10;
            if (pq <= mq) break;
            uint64_t rq = vr / 10;
            vm_exact &= vm == mq * 10;
            vr_exact &= last == 0;
            last = (uint32_t)(vr - rq * 10);
            vr = rq;
            vp = pq;
            vm = mq;
            removed++;
        }
        if (vm_exact) {
            /* vm itself is in the interval: drop its trailing zeros too. */
            for (;;) {
                uint64_t mq = vm / 10;
                if (vm != mq * 10) break;
                uint64_t rq = vr / 10;
                vr_exact &= last == 0;
                last = (uint32_t)(vr - rq * 10);
                vr = rq;
                vp /= 10;
                vm = mq;
                removed++;
            }
        }
        if (vr_exact && last == 5 && (vr & 1) == 0) last = 4; /* tie: even */
        fail = vr == vm && !vm_exact && last < 5;
    } else {
        /* No tie possible, vm not in the interval. Two digits at a time
         * first: most doubles need 15 to 17 of their 18 or 19. */
        for (;;) {
            uint64_t pq = vp / 100, mq = vm / 100;
            if (pq <= mq) break;
            uint64_t rq = vr / 100;
            last = (uint32_t)(vr - rq * 100) / 10;
            vr = rq;
            vp = pq;
            vm = mq;
            removed += 2;
        }
        for (;;) {
            uint64_t pq = vp / 10, mq = vm / 10;
            if (pq <= mq) break;
            uint64_t rq = vr / 10;
            last = (uint32_t)(vr - rq * 10);
            vr = rq;
            vp = pq;
            vm = mq;
            removed++;
        }
        fail = vr == vm && last < 5;
    }
    if (!fail) {
        d.digits = vr + (last >= 5);
        d.len = dec_len(d.digits);
        d.exp = e10 + removed;
        d.pfmt = d.len > 15 ? d.len : 15;
        return d;
    }
    /* The nearest L-digit decimal is below the lower end: 17 digits. */
    vr = vr0;
    vr_exact = vr0_exact;
    last = 0;
    removed = 0;
    for (int n = dec_len(vr0); n > 17; n--) {
        uint64_t rq = vr / 10;
        vr_exact &= last == 0;
        last = (uint32_t)(vr - rq * 10);
        vr = rq;
        removed++;
    }
    if (vr_exact && last == 5 && (vr & 1) == 0) last = 4;
    d.digits = vr + (last >= 5);
    d.len = dec_len(d.digits);
    d.exp = e10 + removed;
    d.pfmt = 17;
    return d;
}

size_t text_double(char *out, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    const int neg = (int)(bits >> 63);
    const uint32_t ieee_e = (uint32_t)(bits >> 52) & 0x7FF;
    const uint64_t ieee_m = bits & ((UINT64_C(1) << 52) - 1);
    char *p = out;
    if (ieee_e == 0x7FF) {
        if (ieee_m) {
            memcpy(out, "NaN", 3);
            return 3;
        }
        if (neg) *p++ = '-';
        memcpy(p, "inf", 3);
        return (size_t)(p - out) + 3;
    }
    if (neg) *p++ = '-';
    if (ieee_e == 0 && ieee_m == 0) {
        *p++ = '0';
        return (size_t)(p - out);
    }
    decimal d = shortest(ieee_m, ieee_e);
    char dig[20];
    int32_t n = d.len;
    put_digits(dig + n, d.digits);
    int32_t x = d.exp + n - 1; /* exponent of the first digit */
    if (x < -4 || x >= d.pfmt) {
        *p++ = dig[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)n - 1);
            p += n - 1;
        }
        *p++ = 'e';
        if (x < 0) {
            *p++ = '-';
            x = -x;
        }
        if (x >= 100) {
            *p++ = (char)('0' + x / 100);
            x %= 100;
            memcpy(p, digit_pairs + 2 * x, 2);
            p += 2;
        } else if (x >= 10) {
            memcpy(p, digit_pairs + 2 * x, 2);
            p += 2;
        } else {
            *p++ = (char)('0' + x);
        }
    } else if (x < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int32_t k = -1; k > x; k--) *p++ = '0';
        memcpy(p, dig, (size_t)n);
        p += n;
    } else if (x + 1 >= n) {
        memcpy(p, dig, (size_t)n);
        p += n;
        for (int32_t k = n; k <= x; k++) *p++ = '0';
    } else {
        memcpy(p, dig, (size_t)x + 1);
        p += x + 1;
        *p++ = '.';
        memcpy(p, dig + x + 1, (size_t)(n - x - 1));
        p += n - x - 1;
    }
    return (size_t)(p - out);
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

/* The bytes of p[0..n) that are ASCII from the start, 8 at a time: a
 * multiple of 8 (the rest, from the first word with a byte >= 0x80, goes
 * byte by byte). Recorded text is mostly ASCII (names, numbers, addresses):
 * a 20-byte "function: 0x..." took about 160 instructions byte by byte. */
static inline size_t ascii_words(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if (x & 0x8080808080808080u) break;
    }
    return i;
}

size_t utf8_clean_len(const uint8_t *p, size_t n, int *valid)
{
    size_t i = ascii_words(p, n), out = i;
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
    size_t i = ascii_words(p, n), run = 0;
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
    if (!n) return; /* (b->data may be NULL: no offset from it) */
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
