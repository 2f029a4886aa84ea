/*
 * filter.c — loading, composing and applying trace filters (filter.h).
 *
 * The semantics follow the Python recorder's filter engine
 * (codetracer_trace_filter: loader, selector and classifier), restated:
 *   - files compose in chain order; a file's [scope] defaults replace the
 *     earlier ones ("inherit" keeps them; the first file cannot inherit);
 *     its rules are appended after the earlier files' rules;
 *   - a scope is checked against every rule in order; each matching rule
 *     sets exec and value_default when it has them, and REPLACES the value
 *     patterns in force with its own (even with none): the last matching
 *     rule wins;
 *   - within those patterns the FIRST whose kind and pattern match a value
 *     decides its action, else the resolved value_default;
 *   - when value_default resolves to "drop", patterns of files earlier
 *     than the one that set that default are discarded;
 *   - file: selectors match the path relative to the project root of the
 *     filter that gives the shortest relative path (the project root of a
 *     filter is the directory holding its .codetracer/ folder, else the
 *     filter file's directory), else the absolute path; file: patterns are
 *     normalised as paths (an absolute one must lie in the project root);
 *   - pkg: selectors match the module name, obj: selectors "module.name".
 */
#include "filter.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toml.h"

/* The newest [meta] version understood (as the Python recorder's). */
#define MAX_SCHEMA_VERSION 1

enum { EXEC_UNSET = -1, EXEC_TRACE = 0, EXEC_SKIP = 1 };
enum { SK_PKG, SK_FILE, SK_OBJ, SK_VALUE /* + filter_value_kind */ };
enum { M_GLOB, M_REGEX, M_LITERAL };

typedef struct selector {
    int kind;      /* SK_*; SK_VALUE + filter_value_kind for value selectors */
    int match;     /* M_* */
    char *pattern; /* after the kind and match type */
    regex_t re;    /* M_GLOB and M_REGEX */
    int has_re;
} selector;

struct filter_vpat {
    selector sel;
    filter_action action;
    size_t source;
};

typedef struct rule {
    selector sel;
    int exec;          /* EXEC_* */
    int value_default; /* -1 or filter_action */
    struct filter_vpat **pats;
    size_t npats;
    size_t source;
} rule;

typedef struct source {
    char *path, *root, *name;
    long long version;
    char sha256[65];
} source;

struct trace_filter {
    int default_exec;             /* EXEC_UNSET until a file sets it */
    int default_value;            /* -1 until a file sets it */
    size_t default_value_source;
    rule *rules;
    size_t nrules, caprules;
    source *src;
    size_t nsrc, capsrc;
    filter_scope **scopes;        /* results of filter_classify, owned */
    size_t nscopes, capscopes;
};

/* ---- small helpers ----------------------------------------------------- */

static int errf(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -1;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *q = realloc(*p, c * size);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

typedef struct sbuf {
    char *d;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *d = realloc(b->d, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
    b->d[b->n] = 0;
}

static void sb_add(sbuf *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

static void sb_addc(sbuf *b, char c)
{
    sb_addn(b, &c, 1);
}

/* ---- SHA-256 (FIPS 180-4), for the filters' digests in the metadata ---- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = (const unsigned char *)data;
    size_t n = len;
    for (; n >= 64; n -= 64, p += 64) sha256_block(h, p);
    unsigned char last[128] = {0};
    memcpy(last, p, n);
    last[n] = 0x80;
    size_t total = n + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) last[total - 1 - (size_t)i] = (unsigned char)(bits >> (8 * i));
    sha256_block(h, last);
    if (total == 128) sha256_block(h, last + 64);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* ---- patterns: glob and regex into POSIX ERE ---------------------------- */

/* A character as an ERE atom that matches just itself. */
static void ere_literal(sbuf *b, char c)
{
    switch (c) {
    case '.': case '[': case '$': case '*': case '+': case '?': case '(': case ')':
    case '{': case '}': case '|': case '\\':
        sb_addc(b, '[');
        sb_addc(b, c);
        sb_addc(b, ']');
        break;
    case '^': sb_add(b, "\\^"); break;
    default: sb_addc(b, c);
    }
}

/* A bracket expression for a set of ASCII bytes, in an order POSIX reads
 * literally: ']' first, '-' last, '^' never first. */
static void ere_set(sbuf *b, const unsigned char set[128], int negate)
{
    int count = 0;
    for (int c = 1; c < 128; c++) count += set[c] != 0;
    if (!negate && count == 1 && set['^']) {
        sb_add(b, "\\^");
        return;
    }
    sb_addc(b, '[');
    if (negate) sb_addc(b, '^');
    if (set[']']) sb_addc(b, ']');
    for (int c = 1; c < 128; c++)
        if (set[c] && c != ']' && c != '-' && c != '^' && c != '[') sb_addc(b, (char)c);
    if (set['^']) sb_addc(b, '^'); /* never first: something came before, or it is "[^^]" */
    if (set['[']) sb_addc(b, '[');
    if (set['-']) sb_addc(b, '-');
    sb_addc(b, ']');
}

static void sb_chop(sbuf *b)
{
    if (b->n) b->d[--b->n] = 0;
}

/* A glob as the Python recorder's globset builds it (literal_separator):
 * '*' and '?' stop at '/', '**' as a whole path component crosses them
 * (elsewhere it is two '*'), [...] and [!...] classes, {a,b} alternatives,
 * '\' escapes. Anchored at both ends. */
static int glob_to_ere(const char *g, sbuf *b, char *err, size_t errsize)
{
    size_t n = strlen(g);
    int in_alt = 0;
    sb_addc(b, '^');
    for (size_t i = 0; i < n; i++) {
        char c = g[i];
        if (c == '\\') {
            if (i + 1 == n) return errf(err, errsize, "dangling '\\' at the end of glob '%s'", g);
            ere_literal(b, g[++i]);
        } else if (c == '*' && i + 1 < n && g[i + 1] == '*') {
            int at_start = i == 0 || (g[i - 1] == '/' && !(i >= 2 && g[i - 2] == '\\'));
            int at_end = i + 2 == n || g[i + 2] == '/';
            if (!at_start || !at_end) sb_add(b, "[^/]*");
            else if (i == 0 && i + 2 == n) sb_add(b, ".*");         /* "**" */
            else if (i == 0) sb_add(b, "(/?|.*/)"), i++;              /* "**" "/" */
            else if (i + 2 == n) sb_chop(b), sb_add(b, "/.*");         /* "/" "**" */
            else sb_chop(b), sb_add(b, "(/|/.*/)"), i++;               /* "/" "**" "/" */
            i++;
        } else if (c == '*') {
            sb_add(b, "[^/]*");
        } else if (c == '?') {
            sb_add(b, "[^/]");
        } else if (c == '[') {
            unsigned char set[128] = {0};
            size_t j = i + 1;
            int negate = 0, count = 0;
            if (j < n && (g[j] == '!' || g[j] == '^')) negate = 1, j++;
            for (;; j++) {
                if (j >= n) return errf(err, errsize, "unclosed character class in glob '%s'", g);
                unsigned char x = (unsigned char)g[j];
                if (x == ']' && count > 0) break;
                unsigned char hi = x;
                if (j + 2 < n && g[j + 1] == '-' && g[j + 2] != ']') {
                    hi = (unsigned char)g[j + 2];
                    j += 2;
                }
                if (x >= 0x80 || hi >= 0x80)
                    return errf(err, errsize, "non-ASCII character in a [class] of glob '%s'", g);
                if (hi < x) return errf(err, errsize, "invalid range %c-%c in glob '%s'", x, hi, g);
                for (unsigned k = x; k <= hi; k++) set[k] = 1;
                count++;
            }
            set[0] = 0;
            ere_set(b, set, negate);
            i = j;
        } else if (c == '{') {
            if (in_alt) return errf(err, errsize, "nested {alternatives} in glob '%s'", g);
            in_alt = 1;
            sb_addc(b, '(');
        } else if (c == '}' && in_alt) {
            in_alt = 0;
            sb_addc(b, ')');
        } else if (c == ',' && in_alt) {
            sb_addc(b, '|');
        } else {
            ere_literal(b, c);
        }
    }
    if (in_alt) return errf(err, errsize, "unclosed {alternatives} in glob '%s'", g);
    sb_addc(b, '$');
    return 0;
}

/* A regex in the Rust `regex` syntax the Python recorder uses, as POSIX
 * ERE (regcomp): what both mean the same is passed on; the shorthands
 * \d \D \w \W \s \S (also inside [...]), escaped punctuation, \n \t, a
 * leading (?i) (case-insensitive) and (?:...) groups are translated; lazy
 * quantifiers (*? +? ??) become greedy, which changes no match/no-match
 * answer; other (?...) forms, \b, \A, \z, \p{..} and the like are refused.
 * Unanchored: a match anywhere in the text counts, as regex::is_match. */
static int regex_to_ere(const char *r, sbuf *b, int *icase, char *err, size_t errsize)
{
    size_t n = strlen(r), i = 0;
    *icase = 0;
    if (n >= 4 && memcmp(r, "(?i)", 4) == 0) *icase = 1, i = 4;
    /* A quantifier right after a quantifier (a++, a*{2}) is refused: the
     * regex crate refuses it too ("repetition operator missing
     * expression"), and glibc's regcomp can take gigabytes on a run of them
     * (found by fuzz_trace_filter). A lazy '?' is part of its quantifier. */
    int after_rep = 0, in_count = 0;
    for (; i < n; i++) {
        char c = r[i];
        int rep = c == '*' || c == '+' || c == '?' || c == '{';
        if (rep && after_rep)
            return errf(err, errsize,
                        "regex '%s': a repetition of a repetition ('%c' after a quantifier) is "
                        "not supported",
                        r, c);
        after_rep = c == '*' || c == '+' || c == '?' || (c == '}' && in_count);
        if (c == '{') in_count = 1;
        else if (c == '}') in_count = 0;
        if (c == '\\') {
            if (i + 1 == n) return errf(err, errsize, "dangling '\\' at the end of regex '%s'", r);
            char x = r[++i];
            switch (x) {
            case 'd': sb_add(b, "[0-9]"); break;
            case 'D': sb_add(b, "[^0-9]"); break;
            case 'w': sb_add(b, "[[:alnum:]_]"); break;
            case 'W': sb_add(b, "[^[:alnum:]_]"); break;
            case 's': sb_add(b, "[[:space:]]"); break;
            case 'S': sb_add(b, "[^[:space:]]"); break;
            case 'n': sb_addc(b, '\n'); break;
            case 't': sb_addc(b, '\t'); break;
            default:
                if ((x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || (x >= '0' && x <= '9'))
                    return errf(err, errsize, "regex '%s': \\%c is not supported (POSIX ERE)", r, x);
                ere_literal(b, x);
            }
        } else if (c == '[') {
            /* a class: copied with its escapes resolved */
            unsigned char set[128] = {0};
            sbuf named = {0}; /* [:alpha:] and the shorthands */
            size_t j = i + 1;
            int negate = 0, count = 0;
            if (j < n && r[j] == '^') negate = 1, j++;
            for (;; j++) {
                if (j >= n) {
                    free(named.d);
                    return errf(err, errsize, "unclosed [class] in regex '%s'", r);
                }
                unsigned char x = (unsigned char)r[j];
                if (x == ']' && count > 0) break;
                if (x == '[' && j + 1 < n && r[j + 1] == ':') {
                    const char *end = strstr(r + j + 2, ":]");
                    if (!end) {
                        free(named.d);
                        return errf(err, errsize, "unclosed [:class:] in regex '%s'", r);
                    }
                    sb_addn(&named, r + j, (size_t)(end + 2 - (r + j)));
                    j = (size_t)(end + 1 - r);
                    count++;
                    continue;
                }
                if (x == '\\' && j + 1 < n) {
                    char e = r[++j];
                    const char *cls = e == 'd' ? "[:digit:]" : e == 'w' ? "[:alnum:]_" : e == 's' ? "[:space:]" : NULL;
                    if (cls) {
                        sb_add(&named, cls);
                        count++;
                        continue;
                    }
                    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                        free(named.d);
                        return errf(err, errsize, "regex '%s': \\%c inside [...] is not supported (POSIX ERE)", r, e);
                    }
                    x = (unsigned char)e;
                }
                unsigned char hi = x;
                if (j + 2 < n && r[j + 1] == '-' && r[j + 2] != ']') {
                    hi = (unsigned char)r[j + 2];
                    if (hi == '\\' && j + 3 < n) hi = (unsigned char)r[++j + 2];
                    j += 2;
                }
                if (x >= 0x80 || hi >= 0x80) {
                    free(named.d);
                    return errf(err, errsize, "non-ASCII character in a [class] of regex '%s'", r);
                }
                if (hi < x) {
                    free(named.d);
                    return errf(err, errsize, "invalid range in regex '%s'", r);
                }
                for (unsigned k = x; k <= hi; k++) set[k] = 1;
                count++;
            }
            set[0] = 0;
            /* the set, with the named classes put in before its ']' */
            sbuf s = {0};
            ere_set(&s, set, negate);
            if (s.oom || named.oom) {
                free(s.d);
                free(named.d);
                b->oom = 1;
                return 0;
            }
            if (s.d[0] == '\\') { /* "\^" alone: a class of just '^' */
                sb_add(b, "[");
                if (negate) sb_addc(b, '^');
                sb_add(b, named.d ? named.d : "");
                sb_add(b, "^]");
            } else if (s.n == 2 + (size_t)negate) { /* no bytes, only named classes */
                sb_addc(b, '[');
                if (negate) sb_addc(b, '^');
                sb_add(b, named.d ? named.d : "");
                sb_addc(b, ']');
            } else {
                /* named classes go right after the opening (and the ']' member) */
                size_t at = 1 + (size_t)negate + (set[']'] ? 1 : 0);
                sb_addn(b, s.d, at);
                sb_add(b, named.d ? named.d : "");
                sb_add(b, s.d + at);
            }
            free(s.d);
            free(named.d);
            i = j;
        } else if (c == '(' && i + 1 < n && r[i + 1] == '?') {
            if (i + 2 < n && r[i + 2] == ':') {
                sb_addc(b, '(');
                i += 2;
            } else {
                return errf(err, errsize, "regex '%s': (?...) groups other than (?:...) and a leading (?i) are not supported (POSIX ERE)", r);
            }
        } else if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && r[i + 1] == '?') {
            sb_addc(b, c); /* lazy: same matches */
            i++;
        } else {
            sb_addc(b, c);
        }
    }
    return 0;
}

/*
 * Bounds on what regcomp is given. glibc's regcomp copies what a `+` or a
 * counted repetition `{m,n}` repeats (a+ is built as a a*, x{2,5} as five
 * copies of x, two of them optional), so nested quantified groups multiply:
 * ((a+)+)+ is 8 copies of a, the same nested 16 deep 65536 copies and 50 MB,
 * ((a{100}){100}){100} a million copies and 275 MB. A pattern is refused
 * when its copies would exceed PATTERN_MAX_COPIES (the regex crate the
 * Python recorder uses refuses patterns past a compiled size limit too),
 * and a regex longer than REGEX_MAX_LEN bytes is refused outright (which
 * also bounds the nesting of groups regcomp's parser recurses into).
 */
#define REGEX_MAX_LEN 1000
#define PATTERN_MAX_COPIES 10000

/* The number of atom copies regcomp would build for ERE `e` (made by
 * regex_to_ere or glob_to_ere), saturated at PATTERN_MAX_COPIES + 1. */
static size_t ere_copies(const char *e)
{
    enum { LIMIT = PATTERN_MAX_COPIES + 1, MAX_DEPTH = REGEX_MAX_LEN + 1 };
    /* per open group: the sum over finished alternatives, the current
     * alternative's sum, and the size of its last atom (what a quantifier
     * applies to) */
    size_t alts[MAX_DEPTH], seq[MAX_DEPTH], last[MAX_DEPTH];
    size_t d = 0;
    alts[0] = seq[0] = last[0] = 0;
#define SAT_ADD(a, b) ((a) + (b) > LIMIT ? LIMIT : (a) + (b))
    for (size_t i = 0; e[i]; i++) {
        char c = e[i];
        if (c == '(') {
            if (d + 1 == MAX_DEPTH) return LIMIT;
            d++;
            alts[d] = seq[d] = last[d] = 0;
        } else if (c == ')' && d > 0) {
            size_t group = SAT_ADD(alts[d], SAT_ADD(seq[d], last[d]));
            d--;
            seq[d] = SAT_ADD(seq[d], last[d]);
            last[d] = group ? group : 1;
        } else if (c == '|') {
            alts[d] = SAT_ADD(alts[d], SAT_ADD(seq[d], last[d]));
            seq[d] = last[d] = 0;
        } else if (c == '+' || c == '{') {
            size_t times = 2;
            if (c == '{') { /* {m}, {m,} (m + 1 copies), {m,n} (n copies) */
                size_t m = 0, n = 0;
                int comma = 0, digits = 0;
                for (i++; e[i] && e[i] != '}'; i++) {
                    if (e[i] == ',') comma = 1;
                    else if (e[i] >= '0' && e[i] <= '9') {
                        size_t *v = comma ? &n : &m;
                        *v = *v * 10 + (size_t)(e[i] - '0');
                        if (*v > LIMIT) *v = LIMIT;
                        digits += comma;
                    }
                }
                if (!e[i]) break;
                times = !comma ? m : digits ? n : m + 1;
                if (times == 0) times = 1;
            }
            last[d] = last[d] > LIMIT / times ? LIMIT : last[d] * times;
        } else if (c == '*' || c == '?') {
            /* one copy */
        } else {
            if (c == '[') { /* a bracket expression is one atom: find its end */
                size_t j = i + 1;
                if (e[j] == '^') j++;
                if (e[j] == ']') j++;
                for (; e[j] && e[j] != ']'; j++)
                    if (e[j] == '[' && (e[j + 1] == ':' || e[j + 1] == '.' || e[j + 1] == '=')) {
                        const char *end = strchr(e + j + 2, e[j + 1]);
                        while (end && end[1] != ']') end = strchr(end + 1, e[j + 1]);
                        if (!end) break;
                        j = (size_t)(end + 1 - e);
                    }
                if (!e[j]) break;
                i = j;
            } else if (c == '\\' && e[i + 1]) {
                i++;
            }
            seq[d] = SAT_ADD(seq[d], last[d]);
            last[d] = 1;
        }
    }
    size_t total = 0;
    for (;; d--) { /* unclosed groups: regcomp refuses them anyway */
        total = SAT_ADD(total, SAT_ADD(alts[d], SAT_ADD(seq[d], last[d])));
        if (d == 0) break;
    }
#undef SAT_ADD
    return total;
}

static void selector_free(selector *s)
{
    free(s->pattern);
    if (s->has_re) regfree(&s->re);
    s->has_re = 0;
    s->pattern = NULL;
}

static int compile_pattern(selector *s, char *err, size_t errsize)
{
    if (s->match == M_LITERAL) return 0;
    if (s->match == M_REGEX && strlen(s->pattern) > REGEX_MAX_LEN)
        return errf(err, errsize, "a regex of %zu bytes is not supported (at most %d)",
                    strlen(s->pattern), REGEX_MAX_LEN);
    sbuf b = {0};
    int icase = 0;
    int rc = s->match == M_GLOB ? glob_to_ere(s->pattern, &b, err, errsize)
                                : regex_to_ere(s->pattern, &b, &icase, err, errsize);
    if (rc) {
        free(b.d);
        return -1;
    }
    if (b.oom) {
        free(b.d);
        return errf(err, errsize, "out of memory");
    }
    if (ere_copies(b.d ? b.d : "") > PATTERN_MAX_COPIES) {
        free(b.d);
        return errf(err, errsize,
                    "%s '%s': its nested or counted repetitions make over %d copies of what "
                    "they repeat, which is not supported",
                    s->match == M_GLOB ? "glob" : "regex", s->pattern, PATTERN_MAX_COPIES);
    }
    int ec = regcomp(&s->re, b.d ? b.d : "", REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    if (ec) {
        char msg[128];
        regerror(ec, &s->re, msg, sizeof msg);
        free(b.d);
        return errf(err, errsize, "invalid %s pattern '%s': %s", s->match == M_GLOB ? "glob" : "regex",
                    s->pattern, msg);
    }
    free(b.d);
    s->has_re = 1;
    return 0;
}

static int selector_matches(const selector *s, const char *text)
{
    if (s->match == M_LITERAL) return strcmp(s->pattern, text) == 0;
    return regexec(&s->re, text, 0, NULL, 0) == 0;
}

static const char *const kind_tokens[] = {"pkg", "file", "obj", "local", "upvalue", "arg", "ret", "global", "attr"};
#define NKINDS (sizeof kind_tokens / sizeof *kind_tokens)

/* "<kind>:[<match>:]<pattern>" (split at the first two ':', as the Python
 * recorder does). `scope` chooses which kinds are allowed. The pattern is
 * not compiled yet (file: patterns are normalised first). */
static int selector_parse(selector *s, const char *raw, int scope, char *err, size_t errsize)
{
    memset(s, 0, sizeof *s);
    if (!*raw) return errf(err, errsize, "selector string is empty");
    const char *c1 = strchr(raw, ':');
    if (!c1) return errf(err, errsize, "selector missing pattern");
    size_t klen = (size_t)(c1 - raw);
    s->kind = -1;
    for (size_t k = 0; k < NKINDS; k++)
        if (strlen(kind_tokens[k]) == klen && memcmp(kind_tokens[k], raw, klen) == 0) s->kind = (int)k;
    if (s->kind < 0) return errf(err, errsize, "unsupported selector kind '%.*s'", (int)klen, raw);
    if ((s->kind < SK_VALUE) != scope)
        return errf(err, errsize, "selector kind '%.*s' is not allowed in %s", (int)klen, raw,
                    scope ? "scope.rules (use pkg, file or obj)"
                          : "value_patterns (use local, upvalue, arg or ret)");
    const char *rest = c1 + 1, *c2 = strchr(rest, ':');
    const char *pattern = rest;
    s->match = M_GLOB;
    if (c2) {
        size_t mlen = (size_t)(c2 - rest);
        if (mlen == 0) return errf(err, errsize, "selector match type cannot be empty");
        if (mlen == 4 && memcmp(rest, "glob", 4) == 0) s->match = M_GLOB;
        else if (mlen == 5 && memcmp(rest, "regex", 5) == 0) s->match = M_REGEX;
        else if (mlen == 7 && memcmp(rest, "literal", 7) == 0) s->match = M_LITERAL;
        else return errf(err, errsize, "unsupported selector match type '%.*s'", (int)mlen, rest);
        pattern = c2 + 1;
    }
    if (!*pattern) return errf(err, errsize, "selector pattern cannot be empty");
    if (!(s->pattern = strdup(pattern))) return errf(err, errsize, "out of memory");
    return 0;
}

/* ---- paths ------------------------------------------------------------- */

/* Splits a path at '/' into components, dropping empty ones and ".";
 * ".." removes the previous one (or, with `strict`, fails when there is
 * none; without, is dropped). Joins them with '/'. */
static char *normalise_components(const char *path, int strict, int *escaped)
{
    size_t n = strlen(path);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0;
    *escaped = 0;
    for (const char *p = path; *p;) {
        const char *q = strchr(p, '/');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* skipped */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (o == 0) {
                if (strict) *escaped = 1;
            } else {
                while (o > 0 && out[o - 1] != '/') o--;
                if (o > 0) o--;
            }
        } else {
            if (o) out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
        if (*p == '/') p++;
    }
    out[o] = 0;
    return out;
}

/* `path` with the directory `root` as a component-wise prefix: the rest
 * (maybe ""), or NULL when root is not a prefix. */
static const char *strip_root(const char *path, const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    if (n == 1 && root[0] == '/') return path[0] == '/' ? path + 1 : NULL;
    if (strncmp(path, root, n) != 0) return NULL;
    if (path[n] == 0) return path + n;
    if (path[n] != '/') return NULL;
    return path + n + 1;
}

static int count_components(const char *rel)
{
    int c = 0, in = 0;
    for (; *rel; rel++) {
        if (*rel == '/') in = 0;
        else if (!in) in = 1, c++;
    }
    return c;
}

/* The directory holding the nearest enclosing ".codetracer" directory of
 * the filter file, else the file's directory. */
static char *project_root(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return NULL;
    char *slash = strrchr(dir, '/');
    if (!slash) {
        free(dir);
        return strdup(".");
    }
    *slash = 0; /* the file's directory */
    char *d = strdup(dir);
    if (!d) {
        free(dir);
        return NULL;
    }
    for (;;) {
        char *s = strrchr(d, '/');
        const char *base = s ? s + 1 : d;
        if (strcmp(base, ".codetracer") == 0) {
            if (s == d) s[1] = 0;
            else if (s) *s = 0;
            free(dir);
            return d;
        }
        if (!s) break;
        *s = 0;
        if (s == d) break;
    }
    free(d);
    if (!dir[0]) {
        free(dir);
        return strdup("/");
    }
    return dir;
}

/* Module name from a project-relative path: "a/b.lua" -> "a.b",
 * "a/init.lua" -> "a" (as require finds a/init.lua for "a"). */
static char *module_from_relative(const char *rel)
{
    size_t n = strlen(rel);
    char *m = malloc(n + 1);
    if (!m) return NULL;
    memcpy(m, rel, n + 1);
    if (n >= 4 && strcmp(m + n - 4, ".lua") == 0) {
        m[n -= 4] = 0;
        if (n >= 4 && strcmp(m + n - 4, "init") == 0 && (n == 4 || m[n - 5] == '/')) {
            n = n == 4 ? 0 : n - 5;
            m[n] = 0;
        }
    }
    for (char *p = m; *p; p++)
        if (*p == '/') *p = '.';
    return m;
}

static int valid_module_name(const char *s)
{
    if (!s || !*s) return 0;
    int seg = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (!seg) return 0;
            seg = 0;
        } else if (*s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
                   (*s >= 'A' && *s <= 'Z')) {
            seg++;
        } else {
            return 0;
        }
    }
    return seg > 0;
}

/* ---- loading ----------------------------------------------------------- */

typedef struct loadctx {
    const char *path;
    char *err;
    size_t errsize;
} loadctx;

static int at(loadctx *c, int line, int col, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errsize, "%s:%d:%d: ", c->path, line, col);
    if (n < 0 || (size_t)n >= c->errsize) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errsize - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Refuses members of `t` not in the NULL-terminated `allowed`. */
static int only_keys(loadctx *c, const toml_node *t, const char *where, const char *const *allowed)
{
    for (size_t i = 0; i < t->n; i++) {
        const toml_node *m = t->kids[i];
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strlen(*a) == m->keylen && memcmp(*a, m->key, m->keylen) == 0) ok = 1;
        if (!ok) {
            char list[200] = "";
            for (const char *const *a = allowed; *a; a++) {
                if (a != allowed) strncat(list, a[1] ? ", " : " or ", sizeof list - strlen(list) - 1);
                strncat(list, *a, sizeof list - strlen(list) - 1);
            }
            return at(c, m->key_line, m->key_col, "unknown key '%s' in %s (expected %s)", m->key, where, list);
        }
    }
    return 0;
}

/* The member `key` of t with type `type`: NULL (and *bad = 0) when absent
 * and optional; a message and *bad = 1 when of another type or required. */
static const toml_node *field(loadctx *c, const toml_node *t, const char *where, const char *key,
                              toml_type type, int required, int *bad)
{
    const toml_node *m = toml_get(t, key);
    *bad = 0;
    if (!m) {
        if (required) {
            *bad = 1;
            at(c, t->line, t->col, "%s: missing key '%s'", where, key);
        }
        return NULL;
    }
    if (m->type != type) {
        *bad = 1;
        at(c, m->line, m->col, "%s.%s must be a%s %s, not a%s %s", where, key,
           type == TOML_ARRAY || type == TOML_INTEGER ? "n" : "", toml_type_name(type),
           m->type == TOML_ARRAY || m->type == TOML_INTEGER ? "n" : "", toml_type_name(m->type));
        return NULL;
    }
    return m;
}

static int parse_action(const char *s)
{
    if (strcmp(s, "allow") == 0) return FILTER_ALLOW;
    if (strcmp(s, "redact") == 0) return FILTER_REDACT;
    if (strcmp(s, "deny") == 0) return FILTER_REDACT; /* the Python recorder's old name */
    if (strcmp(s, "drop") == 0) return FILTER_DROP;
    return -1;
}

static int parse_exec(const char *s)
{
    if (strcmp(s, "trace") == 0) return EXEC_TRACE;
    if (strcmp(s, "skip") == 0) return EXEC_SKIP;
    return -1;
}

/* A selector from the string node `v`, file: patterns normalised against
 * the project root, compiled. */
static int load_selector(loadctx *c, selector *s, const toml_node *v, int scope, const char *where,
                         const char *root)
{
    char msg[512];
    if (selector_parse(s, v->str, scope, msg, sizeof msg)) {
        selector_free(s);
        return at(c, v->line, v->col, "%s: %s", where, msg);
    }
    if (s->kind == SK_FILE) {
        char *norm;
        int escaped = 0;
        if (strncmp(s->pattern, "glob:", 5) == 0) {
            /* the Python loader's glob branch: '\' -> '/', no leading "./"
             * or '/', the project root taken off the front */
            char *g = strdup(s->pattern + 5);
            if (!g) return at(c, v->line, v->col, "out of memory");
            for (char *p = g; *p; p++)
                if (*p == '\\') *p = '/';
            const char *t = g;
            while (strncmp(t, "./", 2) == 0) t += 2;
            while (*t == '/') t++;
            const char *r = root;
            while (*r == '/') r++;
            size_t rl = strlen(r);
            if (rl && strncmp(t, r, rl) == 0 && t[rl] == '/') t += rl + 1;
            else if (rl && strcmp(t, r) == 0) t += rl;
            norm = strdup(t);
            free(g);
        } else {
            const char *rel = s->pattern;
            if (rel[0] == '/') {
                rel = strip_root(s->pattern, root);
                if (!rel) {
                    at(c, v->line, v->col, "%s: file selector '%s' must reside within project root '%s'",
                       where, s->pattern, root);
                    selector_free(s);
                    return -1;
                }
            }
            norm = normalise_components(rel, 1, &escaped);
        }
        if (!norm) {
            selector_free(s);
            return at(c, v->line, v->col, "out of memory");
        }
        if (escaped) {
            at(c, v->line, v->col, "%s: file selector '%s' escapes the project root", where, s->pattern);
            free(norm);
            selector_free(s);
            return -1;
        }
        if (!*norm) {
            free(norm);
            selector_free(s);
            return at(c, v->line, v->col, "%s: selector pattern cannot be empty", where);
        }
        free(s->pattern);
        s->pattern = norm;
    }
    if (compile_pattern(s, msg, sizeof msg)) {
        selector_free(s);
        return at(c, v->line, v->col, "%s: %s", where, msg);
    }
    return 0;
}

static void rule_free(rule *r)
{
    selector_free(&r->sel);
    for (size_t i = 0; i < r->npats; i++) {
        selector_free(&r->pats[i]->sel);
        free(r->pats[i]);
    }
    free(r->pats);
}

static int load_rule(loadctx *c, trace_filter *f, const toml_node *t, size_t idx, size_t source_id,
                     const char *root)
{
    char where[64];
    snprintf(where, sizeof where, "scope.rules[%zu]", idx);
    static const char *const keys[] = {"selector", "exec", "value_default", "reason", "value_patterns", NULL};
    if (t->type != TOML_TABLE) return at(c, t->line, t->col, "%s must be a table", where);
    if (only_keys(c, t, where, keys)) return -1;
    int bad;
    const toml_node *sel = field(c, t, where, "selector", TOML_STRING, 1, &bad);
    if (bad) return -1;
    const toml_node *ex = field(c, t, where, "exec", TOML_STRING, 0, &bad);
    if (bad) return -1;
    const toml_node *vd = field(c, t, where, "value_default", TOML_STRING, 0, &bad);
    if (bad) return -1;
    field(c, t, where, "reason", TOML_STRING, 0, &bad);
    if (bad) return -1;
    const toml_node *vps = field(c, t, where, "value_patterns", TOML_ARRAY, 0, &bad);
    if (bad) return -1;

    rule r;
    memset(&r, 0, sizeof r);
    r.exec = EXEC_UNSET;
    r.value_default = -1;
    r.source = source_id;
    if (ex && strcmp(ex->str, "inherit") != 0 && (r.exec = parse_exec(ex->str)) < 0)
        return at(c, ex->line, ex->col, "unsupported value '%s' for 'exec' in %s (expected trace, skip or inherit)",
                  ex->str, where);
    if (vd && strcmp(vd->str, "inherit") != 0 && (r.value_default = parse_action(vd->str)) < 0)
        return at(c, vd->line, vd->col,
                  "unsupported value '%s' for 'value_default' in %s (expected allow, redact, drop or inherit)",
                  vd->str, where);
    char swhere[200];
    snprintf(swhere, sizeof swhere, "%s.selector", where);
    if (load_selector(c, &r.sel, sel, 1, swhere, root)) return -1;
    for (size_t i = 0; vps && i < vps->n; i++) {
        const toml_node *p = vps->kids[i];
        char pwhere[160];
        snprintf(pwhere, sizeof pwhere, "%s.value_patterns[%zu]", where, i);
        static const char *const pkeys[] = {"selector", "action", "reason", NULL};
        const toml_node *psel = NULL, *pact = NULL;
        if (p->type != TOML_TABLE) {
            at(c, p->line, p->col, "%s must be a table", pwhere);
            goto fail;
        }
        if (only_keys(c, p, pwhere, pkeys)) goto fail;
        psel = field(c, p, pwhere, "selector", TOML_STRING, 1, &bad);
        if (bad) goto fail;
        pact = field(c, p, pwhere, "action", TOML_STRING, 1, &bad);
        if (bad) goto fail;
        field(c, p, pwhere, "reason", TOML_STRING, 0, &bad);
        if (bad) goto fail;
        int action = parse_action(pact->str);
        if (action < 0) {
            at(c, pact->line, pact->col,
               "unsupported value '%s' for 'action' in %s (expected allow, redact or drop)", pact->str, pwhere);
            goto fail;
        }
        struct filter_vpat *vp = calloc(1, sizeof *vp);
        size_t cap = r.npats; /* pats grows one by one: exact size */
        struct filter_vpat **np = vp ? realloc(r.pats, (cap + 1) * sizeof *np) : NULL;
        if (!np) {
            free(vp);
            at(c, p->line, p->col, "out of memory");
            goto fail;
        }
        r.pats = np;
        snprintf(swhere, sizeof swhere, "%s.selector", pwhere);
        if (load_selector(c, &vp->sel, psel, 0, swhere, root)) {
            free(vp);
            goto fail;
        }
        vp->action = (filter_action)action;
        vp->source = source_id;
        r.pats[r.npats++] = vp;
    }
    if (grow((void **)&f->rules, &f->caprules, f->nrules, sizeof *f->rules)) {
        at(c, t->line, t->col, "out of memory");
        goto fail;
    }
    f->rules[f->nrules++] = r;
    return 0;
fail:
    rule_free(&r);
    return -1;
}

static int load_doc(loadctx *c, trace_filter *f, const toml_node *doc, const char *text, size_t len)
{
    static const char *const top[] = {"meta", "io", "scope", NULL};
    if (only_keys(c, doc, "the filter file", top)) return -1;
    int bad;
    const toml_node *meta = toml_get(doc, "meta"), *scope = toml_get(doc, "scope");
    if (!meta) return at(c, 1, 1, "missing table [meta]");
    if (meta->type != TOML_TABLE) return at(c, meta->line, meta->col, "meta must be a table");
    static const char *const mkeys[] = {"name", "version", "description", "labels", NULL};
    if (only_keys(c, meta, "[meta]", mkeys)) return -1;
    const toml_node *name = field(c, meta, "meta", "name", TOML_STRING, 1, &bad);
    if (bad) return -1;
    const toml_node *version = field(c, meta, "meta", "version", TOML_INTEGER, 1, &bad);
    if (bad) return -1;
    field(c, meta, "meta", "description", TOML_STRING, 0, &bad);
    if (bad) return -1;
    const toml_node *labels = field(c, meta, "meta", "labels", TOML_ARRAY, 0, &bad);
    if (bad) return -1;
    for (size_t i = 0; labels && i < labels->n; i++)
        if (labels->kids[i]->type != TOML_STRING)
            return at(c, labels->kids[i]->line, labels->kids[i]->col, "meta.labels must hold strings");
    int blank = 1;
    for (const char *p = name->str; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') blank = 0;
    if (blank) return at(c, name->line, name->col, "'meta.name' must not be empty");
    if (version->integer < 1) return at(c, version->line, version->col, "'meta.version' must be >= 1");
    if (version->integer > MAX_SCHEMA_VERSION)
        return at(c, version->line, version->col,
                  "'meta.version = %lld' is newer than this recorder supports (%d)",
                  (long long)version->integer, MAX_SCHEMA_VERSION);

    const toml_node *io = toml_get(doc, "io");
    if (io) { /* checked as the Python recorder checks it; ctrec-lua records output anyway */
        if (io->type != TOML_TABLE) return at(c, io->line, io->col, "io must be a table");
        static const char *const ikeys[] = {"capture", "streams", "modes", NULL};
        if (only_keys(c, io, "[io]", ikeys)) return -1;
        const toml_node *cap = field(c, io, "io", "capture", TOML_BOOLEAN, 0, &bad);
        if (bad) return -1;
        const toml_node *streams = field(c, io, "io", "streams", TOML_ARRAY, 0, &bad);
        if (bad) return -1;
        const toml_node *modes = field(c, io, "io", "modes", TOML_ARRAY, 0, &bad);
        if (bad) return -1;
        for (size_t i = 0; streams && i < streams->n; i++) {
            const toml_node *s = streams->kids[i];
            if (s->type != TOML_STRING || (strcmp(s->str, "stdout") && strcmp(s->str, "stderr") &&
                                           strcmp(s->str, "stdin") && strcmp(s->str, "files")))
                return at(c, s->line, s->col, "unsupported IO stream (expected stdout, stderr, stdin or files)");
        }
        if (cap && cap->boolean && (!streams || streams->n == 0))
            return at(c, cap->line, cap->col, "'io.streams' must be provided when 'io.capture = true'");
        if (modes && modes->n) return at(c, modes->line, modes->col, "'io.modes' is reserved and must be empty");
    }

    if (!scope) return at(c, 1, 1, "missing table [scope]");
    if (scope->type != TOML_TABLE) return at(c, scope->line, scope->col, "scope must be a table");
    static const char *const skeys[] = {"default_exec", "default_value_action", "rules", NULL};
    if (only_keys(c, scope, "[scope]", skeys)) return -1;
    const toml_node *dx = field(c, scope, "scope", "default_exec", TOML_STRING, 1, &bad);
    if (bad) return -1;
    const toml_node *dv = field(c, scope, "scope", "default_value_action", TOML_STRING, 1, &bad);
    if (bad) return -1;
    const toml_node *rules = field(c, scope, "scope", "rules", TOML_ARRAY, 0, &bad);
    if (bad) return -1;
    int exec = EXEC_UNSET, value = -1;
    if (strcmp(dx->str, "inherit") == 0) {
        if (f->default_exec == EXEC_UNSET)
            return at(c, dx->line, dx->col, "'scope.default_exec' cannot inherit without a previous filter");
    } else if ((exec = parse_exec(dx->str)) < 0) {
        return at(c, dx->line, dx->col,
                  "unsupported value '%s' for 'scope.default_exec' (expected trace, skip or inherit)", dx->str);
    }
    if (strcmp(dv->str, "inherit") == 0) {
        if (f->default_value < 0)
            return at(c, dv->line, dv->col,
                      "'scope.default_value_action' cannot inherit without a previous filter");
    } else if ((value = parse_action(dv->str)) < 0) {
        return at(c, dv->line, dv->col,
                  "unsupported value '%s' for 'scope.default_value_action' (expected allow, redact, drop or inherit)",
                  dv->str);
    }

    /* the source, then its rules */
    if (grow((void **)&f->src, &f->capsrc, f->nsrc, sizeof *f->src)) return at(c, 1, 1, "out of memory");
    source *s = &f->src[f->nsrc];
    memset(s, 0, sizeof *s);
    s->path = strdup(c->path);
    s->root = project_root(c->path);
    s->name = dupn(name->str, name->len);
    s->version = (long long)version->integer;
    sha256_hex(text, len, s->sha256);
    if (!s->path || !s->root || !s->name) {
        free(s->path);
        free(s->root);
        free(s->name);
        return at(c, 1, 1, "out of memory");
    }
    size_t source_id = f->nsrc++;
    size_t first_rule = f->nrules;
    for (size_t i = 0; rules && i < rules->n; i++) {
        if (load_rule(c, f, rules->kids[i], i, source_id, s->root)) {
            while (f->nrules > first_rule) rule_free(&f->rules[--f->nrules]);
            f->nsrc--;
            free(s->path);
            free(s->root);
            free(s->name);
            return -1;
        }
    }
    if (exec != EXEC_UNSET) f->default_exec = exec;
    if (value >= 0) {
        f->default_value = value;
        f->default_value_source = source_id;
    }
    return 0;
}

trace_filter *filter_new(void)
{
    trace_filter *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->default_exec = EXEC_UNSET;
    f->default_value = -1;
    return f;
}

void filter_free(trace_filter *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->nrules; i++) rule_free(&f->rules[i]);
    free(f->rules);
    for (size_t i = 0; i < f->nsrc; i++) {
        free(f->src[i].path);
        free(f->src[i].root);
        free(f->src[i].name);
    }
    free(f->src);
    for (size_t i = 0; i < f->nscopes; i++) {
        free((void *)f->scopes[i]->pats);
        free(f->scopes[i]);
    }
    free(f->scopes);
    free(f);
}

int filter_add_text(trace_filter *f, const char *text, size_t len, const char *path, char *err,
                    size_t errsize)
{
    loadctx c = {path, err, errsize};
    toml_node *doc = toml_parse(text, len, path, err, errsize);
    if (!doc) return -1;
    int rc = load_doc(&c, f, doc, text, len);
    toml_free(doc);
    return rc;
}

int filter_add_file(trace_filter *f, const char *path, char *err, size_t errsize)
{
    char *abs = realpath(path, NULL);
    if (!abs) return errf(err, errsize, "%s: cannot read the trace filter: %s", path, strerror(errno));
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISREG(st.st_mode)) {
        errf(err, errsize, "%s: the trace filter is not a regular file", path);
        free(abs);
        return -1;
    }
    FILE *fp = fopen(abs, "rb");
    if (!fp) {
        errf(err, errsize, "%s: cannot read the trace filter: %s", path, strerror(errno));
        free(abs);
        return -1;
    }
    sbuf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) sb_addn(&b, chunk, n);
    int rd_err = ferror(fp);
    fclose(fp);
    if (rd_err || b.oom) {
        errf(err, errsize, "%s: cannot read the trace filter: %s", path, rd_err ? "read error" : "out of memory");
        free(b.d);
        free(abs);
        return -1;
    }
    int rc = filter_add_text(f, b.d ? b.d : "", b.n, abs, err, errsize);
    free(b.d);
    free(abs);
    return rc;
}

int filter_finish(trace_filter *f, char *err, size_t errsize)
{
    if (f->default_exec == EXEC_UNSET)
        return errf(err, errsize, "the trace filters never set 'scope.default_exec'");
    if (f->default_value < 0)
        return errf(err, errsize, "the trace filters never set 'scope.default_value_action'");
    return 0;
}

/* ---- classifying ------------------------------------------------------- */

static int rule_matches(const rule *r, const char *module, const char *object, const char *rel,
                        const char *abs)
{
    switch (r->sel.kind) {
    case SK_PKG: return module && selector_matches(&r->sel, module);
    case SK_FILE:
        if (rel) return selector_matches(&r->sel, rel);
        return abs && selector_matches(&r->sel, abs);
    case SK_OBJ: return object && selector_matches(&r->sel, object);
    default: return 0;
    }
}

const filter_scope *filter_classify(trace_filter *f, const char *abs_path, const char *module,
                                    const char *qualname)
{
    int esc;
    char *abs = NULL, *rel = NULL, *mod = NULL, *obj = NULL;
    filter_scope *s = NULL;
    if (abs_path && *abs_path) {
        char *norm = normalise_components(abs_path, 0, &esc);
        if (!norm) goto out;
        size_t n = strlen(norm);
        if (!(abs = malloc(n + 2))) {
            free(norm);
            goto out;
        }
        snprintf(abs, n + 2, "%s%s", abs_path[0] == '/' ? "/" : "", norm);
        free(norm);
        /* the project root giving the shortest relative path */
        int best = -1;
        const char *best_rel = NULL;
        for (size_t i = 0; i < f->nsrc; i++) {
            const char *r = strip_root(abs, f->src[i].root);
            if (r && (best < 0 || count_components(r) < best)) {
                best = count_components(r);
                best_rel = r;
            }
        }
        if (best_rel) {
            if (!(rel = normalise_components(best_rel, 0, &esc))) goto out;
            if (!*rel) {
                free(rel);
                rel = NULL;
            }
        }
        if (rel) {
            if (!(mod = module_from_relative(rel))) goto out;
            if (!valid_module_name(mod)) {
                free(mod);
                mod = NULL;
            }
        }
    }
    if (module && valid_module_name(module)) {
        free(mod);
        if (!(mod = strdup(module))) goto out;
    }
    if (qualname && *qualname) {
        size_t n = (mod ? strlen(mod) + 1 : 0) + strlen(qualname) + 1;
        if (!(obj = malloc(n))) goto out;
        snprintf(obj, n, "%s%s%s", mod ? mod : "", mod ? "." : "", qualname);
    } else if (mod) {
        if (!(obj = strdup(mod))) goto out;
    }

    int exec = f->default_exec;
    int value = f->default_value;
    size_t value_source = f->default_value_source;
    const rule *last = NULL;
    int last_index = -1;
    for (size_t i = 0; i < f->nrules; i++) {
        const rule *r = &f->rules[i];
        if (!rule_matches(r, mod, obj, rel, abs)) continue;
        if (r->exec != EXEC_UNSET) exec = r->exec;
        if (r->value_default >= 0) {
            value = r->value_default;
            value_source = r->source;
        }
        last = r;
        last_index = (int)i;
    }
    if (!(s = calloc(1, sizeof *s))) goto out;
    s->skip = exec == EXEC_SKIP;
    s->value_default = (filter_action)value;
    s->rule = last_index;
    size_t np = last ? last->npats : 0;
    const struct filter_vpat **pats = malloc((np ? np : 1) * sizeof *pats);
    if (!pats) {
        free(s);
        s = NULL;
        goto out;
    }
    for (size_t i = 0; i < np; i++) /* under a drop default, only the patterns of later files */
        if (value != FILTER_DROP || last->pats[i]->source >= value_source) pats[s->npats++] = last->pats[i];
    s->pats = pats;
    if (grow((void **)&f->scopes, &f->capscopes, f->nscopes, sizeof *f->scopes)) {
        free(pats);
        free(s);
        s = NULL;
        goto out;
    }
    f->scopes[f->nscopes++] = s;
out:
    free(abs);
    free(rel);
    free(mod);
    free(obj);
    return s;
}

filter_action filter_decide(const filter_scope *s, filter_value_kind kind, const char *name)
{
    for (size_t i = 0; i < s->npats; i++) {
        const struct filter_vpat *p = s->pats[i];
        if (p->sel.kind == SK_VALUE + (int)kind && selector_matches(&p->sel, name)) return p->action;
    }
    return s->value_default;
}

/* ---- metadata, discovery ----------------------------------------------- */

static void json_str(sbuf *b, const char *s)
{
    sb_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            sb_addc(b, '\\');
            sb_addc(b, (char)*p);
        } else if (*p < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", *p);
            sb_add(b, u);
        } else {
            sb_addc(b, (char)*p);
        }
    }
    sb_addc(b, '"');
}

char *filter_metadata_json(const trace_filter *f)
{
    sbuf b = {0};
    sb_add(&b, "{\"trace_filter\": {\"filters\": [");
    for (size_t i = 0; i < f->nsrc; i++) {
        char num[32];
        if (i) sb_add(&b, ", ");
        sb_add(&b, "{\"name\": ");
        json_str(&b, f->src[i].name);
        snprintf(num, sizeof num, "%lld", f->src[i].version);
        sb_add(&b, ", \"version\": ");
        sb_add(&b, num);
        sb_add(&b, ", \"sha256\": ");
        json_str(&b, f->src[i].sha256);
        sb_add(&b, ", \"path\": ");
        json_str(&b, f->src[i].path);
        sb_addc(&b, '}');
    }
    sb_add(&b, "]}}");
    if (b.oom) {
        free(b.d);
        return NULL;
    }
    return b.d;
}

char *filter_discover(const char *script)
{
    char *abs = realpath(script, NULL);
    if (!abs) return NULL;
    char *slash = strrchr(abs, '/');
    if (slash) *slash = 0;
    size_t n = strlen(abs);
    const char *tail = "/.codetracer/trace-filter.toml";
    char *cand = malloc(n + strlen(tail) + 1);
    if (!cand) {
        free(abs);
        return NULL;
    }
    for (;;) {
        snprintf(cand, n + strlen(tail) + 1, "%s%s", abs, tail);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            free(abs);
            return cand;
        }
        char *s = strrchr(abs, '/');
        if (!s) break;
        if (s == abs && abs[1] == 0) break; /* "/" was just tried */
        if (s == abs) s[1] = 0;
        else *s = 0;
        if (strcmp(abs, "/") == 0) abs[0] = 0; /* "" + tail is "/.codetracer/..." */
    }
    free(abs);
    free(cand);
    return NULL;
}

int filter_split_list(const char *list, int (*add)(void *ctx, const char *path), void *ctx)
{
    const char *p = list;
    for (;;) {
        const char *sep = strstr(p, "::");
        size_t len = sep ? (size_t)(sep - p) : strlen(p);
        const char *b = p, *e = p + len;
        while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')) b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) e--;
        if (e > b) {
            char *one = dupn(b, (size_t)(e - b));
            if (!one) return -1;
            int rc = add(ctx, one);
            free(one);
            if (rc) return rc;
        }
        if (!sep) return 0;
        p = sep + 2;
    }
}
