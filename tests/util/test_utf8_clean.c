/* utf8_clean_len and utf8_clean_put (src/util/text.c), which take runs of
 * ASCII 8 bytes at a time, against a byte-by-byte oracle written here: each
 * byte that starts no valid sequence (utf8_seq_len) becomes U+FFFD.
 *   - every string of up to 40 bytes of ASCII with one special sequence
 *     (an invalid byte, valid 2-, 3- and 4-byte sequences, a cut
 *     sequence, an overlong form, a surrogate, a code point past U+10FFFF)
 *     at every position, and with the same sequence at the end cut short;
 *   - random strings (ASCII-heavy and byte-random) of up to 100 bytes.
 * Checked: the length, the valid flag and the bytes written. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/text.h"

static unsigned failures;

static void oracle(const uint8_t *p, size_t n, buf *out, int *valid)
{
    *valid = 1;
    for (size_t i = 0; i < n;) {
        size_t k = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, n - i);
        if (k == 0) {
            buf_put(out, "\xEF\xBF\xBD", 3);
            *valid = 0;
            i++;
        } else {
            buf_put(out, p + i, k);
            i += k;
        }
    }
}

static void check(const uint8_t *p, size_t n, const char *what, size_t at)
{
    buf want = {0}, got = {0};
    int want_valid, got_valid = -1;
    oracle(p, n, &want, &want_valid);
    size_t len = utf8_clean_len(p, n, &got_valid);
    utf8_clean_put(&got, p, n);
    if (len != want.len || got_valid != want_valid || got.len != want.len ||
        (want.len && memcmp(got.data, want.data, want.len))) {
        if (failures++ < 10)
            fprintf(stderr,
                    "%s at %zu (n %zu): utf8_clean_len %zu valid %d, put %zu bytes; want %zu "
                    "valid %d\n",
                    what, at, n, len, got_valid, got.len, want.len, want_valid);
    }
    buf_free(&want);
    buf_free(&got);
}

int main(void)
{
    static const struct {
        const char *name, *bytes;
    } special[] = {
        {"invalid byte", "\xFF"},      {"continuation alone", "\x80"},
        {"2-byte", "\xC3\xA9"},        {"3-byte", "\xE2\x82\xAC"},
        {"4-byte", "\xF0\x9F\x98\x80"}, {"cut 3-byte", "\xE2\x82"},
        {"overlong", "\xC0\x80"},      {"surrogate", "\xED\xA0\x80"},
        {"past U+10FFFF", "\xF4\x90\x80\x80"},
    };
    uint8_t s[128];
    size_t cases = 0;
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
        size_t m = strlen(special[k].bytes);
        for (size_t n = 0; n <= 40; n++) {
            for (size_t at = 0; at <= n; at++) {
                memset(s, 'a' + (int)(at % 26), sizeof s);
                memcpy(s + at, special[k].bytes, m);
                check(s, n + m, special[k].name, at);
                /* the sequence cut by the end of the text */
                for (size_t cut = 1; cut < m; cut++) check(s, at + cut, special[k].name, at);
                cases += m;
            }
        }
    }
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (unsigned r = 0; r < 200000; r++) {
        size_t n = (size_t)(r % 101);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* odd rounds: 1 byte in 16 over 0x7F; even: any byte */
            s[i] = (uint8_t)(r & 1 ? ((x >> 8) & 15 ? x & 0x7F : x) : x);
        }
        check(s, n, r & 1 ? "random ASCII-heavy" : "random bytes", r);
        cases++;
    }
    check(NULL, 0, "NULL, 0", 0);
    if (failures) {
        fprintf(stderr, "FAILED: %u of %zu cases\n", failures, cases + 1);
        return 1;
    }
    printf("utf8_clean: %zu cases agree with the byte-by-byte oracle\n", cases + 1);
    return 0;
}
