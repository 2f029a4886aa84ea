/*
 * toml.c — the strict TOML subset of toml.h: one pass over the bytes,
 * building a tree of toml_node. Each table remembers how it was made
 * (header, super-table of a header, dotted key, inline) so that the
 * TOML rules about defining a table twice can be checked.
 */
#include "toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    F_HEADER = 1,   /* table defined by [header] */
    F_IMPLICIT = 2, /* table made as the parent of a header's table */
    F_DOTTED = 4,   /* table made by a dotted key */
    F_INLINE = 8,   /* inline table: closed once written */
    F_AOT = 16,     /* array of tables made by [[header]] */
};

#define MAX_NESTING 64 /* arrays and inline tables inside each other */

typedef struct parser {
    const char *s, *p, *e;
    const char *ls; /* start of the current line */
    int line;
    const char *name;
    char *err;
    size_t errsize;
    int failed;
    int depth;
} parser;

static int fail_at(parser *P, int line, int col, const char *fmt, ...)
{
    if (P->failed) return -1;
    P->failed = 1;
    int n = snprintf(P->err, P->errsize, "%s:%d:%d: ", P->name, line, col);
    if (n < 0 || (size_t)n >= P->errsize) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err + n, P->errsize - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

#define COL(P) ((int)((P)->p - (P)->ls) + 1)
#define FAIL(P, ...) fail_at((P), (P)->line, COL(P), __VA_ARGS__)

/* ---- nodes ------------------------------------------------------------- */

static toml_node *node_new(toml_type t, int line, int col)
{
    toml_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->type = t;
    n->line = n->key_line = line;
    n->col = n->key_col = col;
    return n;
}

void toml_free(toml_node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) toml_free(n->kids[i]);
    free(n->kids);
    free(n->key);
    free(n->str);
    free(n);
}

static int node_add(toml_node *parent, toml_node *kid)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        toml_node **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) return -1;
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

static toml_node *member(const toml_node *t, const char *key, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->kids[i]->keylen == len && memcmp(t->kids[i]->key, key, len) == 0) return t->kids[i];
    return NULL;
}

const toml_node *toml_get(const toml_node *table, const char *key)
{
    if (!table || table->type != TOML_TABLE) return NULL;
    return member(table, key, strlen(key));
}

const char *toml_type_name(toml_type t)
{
    switch (t) {
    case TOML_STRING: return "string";
    case TOML_INTEGER: return "integer";
    case TOML_BOOLEAN: return "boolean";
    case TOML_ARRAY: return "array";
    case TOML_TABLE: return "table";
    }
    return "?";
}

/* ---- bytes ------------------------------------------------------------- */

/* Length of the UTF-8 sequence at p (1..4), or 0 if it is not valid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *e)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, min = 0x10000;
    else return 0;
    if ((size_t)(e - p) < n) return 0;
    unsigned cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

static int check_utf8(parser *P)
{
    const unsigned char *p = (const unsigned char *)P->s, *e = (const unsigned char *)P->e;
    int line = 1;
    const unsigned char *ls = p;
    while (p < e) {
        size_t n = utf8_len(p, e);
        if (!n) return fail_at(P, line, (int)(p - ls) + 1, "invalid UTF-8 byte 0x%02X", *p);
        if (*p == '\n') {
            line++;
            ls = p + 1;
        }
        p += n;
    }
    return 0;
}

static void skip_ws(parser *P)
{
    while (P->p < P->e && (*P->p == ' ' || *P->p == '\t')) P->p++;
}

static int is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7F;
}

/* At '#': skips the comment (not the newline). */
static int skip_comment(parser *P)
{
    while (P->p < P->e && *P->p != '\n') {
        if (is_control((unsigned char)*P->p) && !(*P->p == '\r' && P->p + 1 < P->e && P->p[1] == '\n'))
            return FAIL(P, "control character 0x%02X in a comment", (unsigned char)*P->p);
        P->p++;
    }
    return 0;
}

/* At a newline ("\n" or "\r\n"): returns 1 and moves past it. */
static int newline(parser *P)
{
    if (P->p < P->e && *P->p == '\n') {
        P->p++;
    } else if (P->p + 1 < P->e && P->p[0] == '\r' && P->p[1] == '\n') {
        P->p += 2;
    } else {
        return 0;
    }
    P->line++;
    P->ls = P->p;
    return 1;
}

/* Spaces, then an optional comment, then the end of the line or file. */
static int end_of_line(parser *P)
{
    skip_ws(P);
    if (P->p < P->e && *P->p == '#' && skip_comment(P)) return -1;
    if (P->p == P->e || newline(P)) return 0;
    return FAIL(P, "expected the end of the line, found '%c'", *P->p);
}

/* Spaces, comments and newlines (inside arrays). */
static int skip_blank(parser *P)
{
    for (;;) {
        skip_ws(P);
        if (P->p < P->e && *P->p == '#') {
            if (skip_comment(P)) return -1;
            continue;
        }
        if (!newline(P)) return 0;
    }
}

/* ---- strings ----------------------------------------------------------- */

typedef struct sbuf {
    char *d;
    size_t n, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->n + n + 1) cap *= 2;
        char *d = realloc(b->d, cap);
        if (!d) return -1;
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
    b->d[b->n] = 0;
    return 0;
}

static int sb_utf8(sbuf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) u[0] = (char)cp, n = 1;
    else if (cp < 0x800) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    return sb_add(b, u, n);
}

/* At '"' or '\''; reads a one-line string into *out (malloc'd, NUL-terminated). */
static int parse_string(parser *P, char **out, size_t *outlen)
{
    char q = *P->p;
    if (P->e - P->p >= 3 && P->p[1] == q && P->p[2] == q)
        return FAIL(P, "multi-line strings are not supported here");
    int line = P->line, col = COL(P);
    P->p++;
    sbuf b = {0};
    if (sb_add(&b, "", 0)) return FAIL(P, "out of memory");
    for (;;) {
        if (P->p == P->e || *P->p == '\n' || (*P->p == '\r' && P->p + 1 < P->e && P->p[1] == '\n')) {
            free(b.d);
            return fail_at(P, line, col, "unterminated string");
        }
        unsigned char c = (unsigned char)*P->p;
        if (c == (unsigned char)q) {
            P->p++;
            break;
        }
        if (is_control(c)) {
            free(b.d);
            return FAIL(P, "control character 0x%02X in a string (write it as an escape)", c);
        }
        if (c == '\\' && q == '"') {
            int ecol = COL(P);
            P->p++;
            char x = P->p < P->e ? *P->p : 0;
            const char *rep = NULL;
            switch (x) {
            case 'b': rep = "\b"; break;
            case 't': rep = "\t"; break;
            case 'n': rep = "\n"; break;
            case 'f': rep = "\f"; break;
            case 'r': rep = "\r"; break;
            case '"': rep = "\""; break;
            case '\\': rep = "\\"; break;
            case 'u':
            case 'U': {
                int nd = x == 'u' ? 4 : 8;
                unsigned long cp = 0;
                for (int i = 1; i <= nd; i++) {
                    char h = P->p + i < P->e ? P->p[i] : 0;
                    int v = h >= '0' && h <= '9'   ? h - '0'
                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                            : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                   : -1;
                    if (v < 0) {
                        free(b.d);
                        return fail_at(P, P->line, ecol, "\\%c needs %d hexadecimal digits", x, nd);
                    }
                    cp = cp * 16 + (unsigned long)v;
                }
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    free(b.d);
                    return fail_at(P, P->line, ecol, "\\%c%.*s is not a Unicode scalar value", x, nd, P->p + 1);
                }
                if (sb_utf8(&b, cp)) {
                    free(b.d);
                    return FAIL(P, "out of memory");
                }
                P->p += nd + 1;
                continue;
            }
            default:
                free(b.d);
                if ((unsigned char)x < 0x20 || (unsigned char)x >= 0x7F)
                    return fail_at(P, P->line, ecol, "invalid escape sequence");
                return fail_at(P, P->line, ecol, "invalid escape sequence \\%c", x);
            }
            if (sb_add(&b, rep, 1)) {
                free(b.d);
                return FAIL(P, "out of memory");
            }
            P->p++;
            continue;
        }
        if (sb_add(&b, P->p, 1)) {
            free(b.d);
            return FAIL(P, "out of memory");
        }
        P->p++;
    }
    *out = b.d;
    *outlen = b.n;
    return 0;
}

/* ---- keys -------------------------------------------------------------- */

typedef struct keypart {
    char *s;
    size_t len;
    int line, col;
} keypart;

#define MAX_KEY_PARTS 32

static int is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static void free_keys(keypart *k, int n)
{
    for (int i = 0; i < n; i++) free(k[i].s);
}

/* A dotted key: simple-key ( ws '.' ws simple-key )*. */
static int parse_key(parser *P, keypart *k, int *nk)
{
    *nk = 0;
    for (;;) {
        skip_ws(P);
        if (*nk == MAX_KEY_PARTS) return FAIL(P, "a key of more than %d parts", MAX_KEY_PARTS);
        keypart *kp = &k[*nk];
        kp->line = P->line;
        kp->col = COL(P);
        if (P->p < P->e && (*P->p == '"' || *P->p == '\'')) {
            if (parse_string(P, &kp->s, &kp->len)) return -1;
        } else {
            const char *b = P->p;
            while (P->p < P->e && is_bare(*P->p)) P->p++;
            if (P->p == b) {
                if (P->p == P->e || *P->p == '\n' || *P->p == '\r') return FAIL(P, "expected a key");
                return FAIL(P, "expected a key, found '%c'", *P->p);
            }
            kp->len = (size_t)(P->p - b);
            kp->s = malloc(kp->len + 1);
            if (!kp->s) return FAIL(P, "out of memory");
            memcpy(kp->s, b, kp->len);
            kp->s[kp->len] = 0;
        }
        (*nk)++;
        skip_ws(P);
        if (P->p < P->e && *P->p == '.') {
            P->p++;
            continue;
        }
        return 0;
    }
}

/* ---- values ------------------------------------------------------------ */

static toml_node *parse_value(parser *P);
static int assign(parser *P, toml_node *table, keypart *k, int nk, toml_node *value);

static toml_node *parse_number_or_bool(parser *P)
{
    int line = P->line, col = COL(P);
    const char *b = P->p;
    while (P->p < P->e && (is_bare(*P->p) || *P->p == '+' || *P->p == '.' || *P->p == ':')) P->p++;
    size_t n = (size_t)(P->p - b);
    if (n == 4 && memcmp(b, "true", 4) == 0) {
        toml_node *v = node_new(TOML_BOOLEAN, line, col);
        if (v) v->boolean = 1;
        return v;
    }
    if (n == 5 && memcmp(b, "false", 5) == 0) return node_new(TOML_BOOLEAN, line, col);
    if (n == 0) {
        P->p = b;
        if (P->p == P->e || *P->p == '\n' || *P->p == '\r' || *P->p == '#') {
            FAIL(P, "expected a value");
            return NULL;
        }
        FAIL(P, "expected a value, found '%c'", *P->p);
        return NULL;
    }
    const char *q = b;
    int neg = 0;
    if (*q == '+' || *q == '-') neg = *q++ == '-';
    size_t rest = (size_t)(P->p - q);
    if ((rest == 3 && (memcmp(q, "inf", 3) == 0 || memcmp(q, "nan", 3) == 0)) ||
        memchr(b, '.', n) || ((memchr(q, 'e', rest) || memchr(q, 'E', rest)) && *q >= '0' && *q <= '9' &&
                              !(rest > 1 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')))) {
        fail_at(P, line, col, "floats are not supported here");
        return NULL;
    }
    if (memchr(b, ':', n) || (rest > 4 && q[4] == '-' && *q >= '0' && *q <= '9')) {
        fail_at(P, line, col, "dates and times are not supported here");
        return NULL;
    }
    if (rest > 1 && q[0] == '0' && (q[1] == 'x' || q[1] == 'o' || q[1] == 'b')) {
        fail_at(P, line, col, "hexadecimal, octal and binary integers are not supported here");
        return NULL;
    }
    uint64_t mag = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int digits = 0, prev_digit = 0;
    for (const char *d = q; d < P->p; d++) {
        if (*d == '_') {
            if (!prev_digit || d + 1 == P->p || !(d[1] >= '0' && d[1] <= '9')) {
                fail_at(P, line, col + (int)(d - b), "'_' must be between two digits");
                return NULL;
            }
            prev_digit = 0;
            continue;
        }
        if (*d < '0' || *d > '9') {
            fail_at(P, line, col, "invalid value '%.*s' (strings need quotes)", (int)n, b);
            return NULL;
        }
        if (mag > (lim - (uint64_t)(*d - '0')) / 10) {
            fail_at(P, line, col, "integer out of the 64-bit range");
            return NULL;
        }
        mag = mag * 10 + (uint64_t)(*d - '0');
        digits++;
        prev_digit = 1;
    }
    if (!digits) {
        fail_at(P, line, col, "invalid value '%.*s'", (int)n, b);
        return NULL;
    }
    if (q[0] == '0' && P->p - q > 1) {
        fail_at(P, line, col, "leading zeros are not allowed in integers");
        return NULL;
    }
    toml_node *v = node_new(TOML_INTEGER, line, col);
    if (!v) return NULL;
    v->integer = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    return v;
}

static toml_node *parse_array(parser *P)
{
    toml_node *a = node_new(TOML_ARRAY, P->line, COL(P));
    if (!a) return NULL;
    P->p++; /* '[' */
    for (;;) {
        if (skip_blank(P)) goto fail;
        if (P->p < P->e && *P->p == ']') {
            P->p++;
            return a;
        }
        toml_node *v = parse_value(P);
        if (!v) goto fail;
        if (node_add(a, v)) {
            toml_free(v);
            FAIL(P, "out of memory");
            goto fail;
        }
        if (skip_blank(P)) goto fail;
        if (P->p < P->e && *P->p == ',') {
            P->p++;
            continue;
        }
        if (P->p < P->e && *P->p == ']') {
            P->p++;
            return a;
        }
        if (P->p == P->e) FAIL(P, "unterminated array (expected ']')");
        else FAIL(P, "expected ',' or ']' in an array, found '%c'", *P->p);
        goto fail;
    }
fail:
    toml_free(a);
    return NULL;
}

static toml_node *parse_inline_table(parser *P)
{
    toml_node *t = node_new(TOML_TABLE, P->line, COL(P));
    if (!t) return NULL;
    P->p++; /* '{' */
    skip_ws(P);
    if (P->p < P->e && *P->p == '}') {
        P->p++;
        t->flags = F_INLINE;
        return t;
    }
    for (;;) {
        keypart k[MAX_KEY_PARTS];
        int nk;
        if (parse_key(P, k, &nk)) {
            free_keys(k, nk);
            goto fail;
        }
        if (P->p == P->e || *P->p != '=') {
            free_keys(k, nk);
            FAIL(P, "expected '=' after a key");
            goto fail;
        }
        P->p++;
        skip_ws(P);
        toml_node *v = parse_value(P);
        if (!v || assign(P, t, k, nk, v)) {
            free_keys(k, nk);
            toml_free(v);
            goto fail;
        }
        free_keys(k, nk);
        skip_ws(P);
        if (P->p < P->e && *P->p == ',') {
            P->p++;
            skip_ws(P);
            if (P->p < P->e && *P->p == '}') {
                FAIL(P, "trailing comma in an inline table");
                goto fail;
            }
            continue;
        }
        if (P->p < P->e && *P->p == '}') {
            P->p++;
            break;
        }
        FAIL(P, "expected ',' or '}' in an inline table (it must fit on one line)");
        goto fail;
    }
    /* inline tables and the tables their dotted keys made are closed */
    t->flags = F_INLINE;
    return t;
fail:
    toml_free(t);
    return NULL;
}

static toml_node *parse_value(parser *P)
{
    if (++P->depth > MAX_NESTING) {
        FAIL(P, "values nested more than %d deep", MAX_NESTING);
        return NULL;
    }
    toml_node *v;
    if (P->p < P->e && (*P->p == '"' || *P->p == '\'')) {
        int line = P->line, col = COL(P);
        char *s;
        size_t len;
        if (parse_string(P, &s, &len)) {
            v = NULL;
        } else if (!(v = node_new(TOML_STRING, line, col))) {
            free(s);
        } else {
            v->str = s;
            v->len = len;
        }
    } else if (P->p < P->e && *P->p == '[') {
        v = parse_array(P);
    } else if (P->p < P->e && *P->p == '{') {
        v = parse_inline_table(P);
    } else {
        v = parse_number_or_bool(P);
    }
    if (!v) FAIL(P, "out of memory"); /* no-op when a message is set */
    P->depth--;
    return v;
}

/* ---- tables ------------------------------------------------------------ */

static char *dup_key(const keypart *k)
{
    char *s = malloc(k->len + 1);
    if (s) {
        memcpy(s, k->s, k->len);
        s[k->len] = 0;
    }
    return s;
}

static toml_node *add_member(parser *P, toml_node *table, const keypart *k, toml_node *v)
{
    v->key = dup_key(k);
    v->keylen = k->len;
    v->key_line = k->line;
    v->key_col = k->col;
    if (!v->key || node_add(table, v)) {
        fail_at(P, k->line, k->col, "out of memory");
        return NULL;
    }
    return v;
}

static toml_node *new_table(parser *P, toml_node *parent, const keypart *k, unsigned flags)
{
    toml_node *t = node_new(TOML_TABLE, k->line, k->col);
    if (!t) {
        fail_at(P, k->line, k->col, "out of memory");
        return NULL;
    }
    t->flags = flags;
    if (!add_member(P, parent, k, t)) {
        toml_free(t);
        return NULL;
    }
    return t;
}

/* key = value (k[0..nk) dotted) into `table`. Takes `value` on success. */
static int assign(parser *P, toml_node *table, keypart *k, int nk, toml_node *value)
{
    toml_node *t = table;
    for (int i = 0; i < nk - 1; i++) {
        toml_node *m = member(t, k[i].s, k[i].len);
        if (!m) {
            if (!(m = new_table(P, t, &k[i], F_DOTTED))) return -1;
        } else if (m->type != TOML_TABLE) {
            return fail_at(P, k[i].line, k[i].col, "key '%s' already holds a%s %s", k[i].s,
                           m->type == TOML_ARRAY || m->type == TOML_INTEGER ? "n" : "",
                           toml_type_name(m->type));
        } else if (m->flags & F_INLINE) {
            return fail_at(P, k[i].line, k[i].col, "inline table '%s' cannot be extended", k[i].s);
        } else if (m->flags & (F_HEADER | F_IMPLICIT)) {
            return fail_at(P, k[i].line, k[i].col,
                           "table '%s' was made by a [header]; a dotted key cannot add to it",
                           k[i].s);
        }
        t = m;
    }
    const keypart *last = &k[nk - 1];
    if (member(t, last->s, last->len))
        return fail_at(P, last->line, last->col, "duplicate key '%s'", last->s);
    if (!add_member(P, t, last, value)) return -1;
    return 0;
}

/* At '[' of a header; returns the table that keys below it go to. */
static toml_node *parse_header(parser *P, toml_node *root)
{
    int line = P->line, col = COL(P);
    int aot = P->p + 1 < P->e && P->p[1] == '[';
    P->p += aot ? 2 : 1;
    keypart k[MAX_KEY_PARTS];
    int nk;
    toml_node *res = NULL;
    const char *hs = P->p;
    if (parse_key(P, k, &nk)) goto out;
    int hn = (int)(P->p - hs); /* the header's text, for messages */
    while (hn > 0 && (hs[hn - 1] == ' ' || hs[hn - 1] == '\t')) hn--;
    while (hn > 0 && (*hs == ' ' || *hs == '\t')) hs++, hn--;
    if (P->p == P->e || *P->p != ']' || (aot && (P->p + 1 == P->e || P->p[1] != ']'))) {
        FAIL(P, aot ? "expected ']]' to close the header" : "expected ']' to close the header");
        goto out;
    }
    P->p += aot ? 2 : 1;
    if (end_of_line(P)) goto out;
    toml_node *t = root;
    for (int i = 0; i < nk - 1; i++) {
        toml_node *m = member(t, k[i].s, k[i].len);
        if (!m) {
            if (!(m = new_table(P, t, &k[i], F_IMPLICIT))) goto out;
        } else if (m->type == TOML_ARRAY && (m->flags & F_AOT)) {
            m = m->kids[m->n - 1];
        } else if (m->type != TOML_TABLE) {
            fail_at(P, k[i].line, k[i].col, "key '%s' already holds a%s %s", k[i].s,
                    m->type == TOML_ARRAY || m->type == TOML_INTEGER ? "n" : "",
                    toml_type_name(m->type));
            goto out;
        } else if (m->flags & F_INLINE) {
            fail_at(P, k[i].line, k[i].col, "inline table '%s' cannot be extended", k[i].s);
            goto out;
        }
        t = m;
    }
    keypart *last = &k[nk - 1];
    toml_node *m = member(t, last->s, last->len);
    if (aot) {
        if (!m) {
            toml_node *a = node_new(TOML_ARRAY, line, col);
            if (!a) {
                FAIL(P, "out of memory");
                goto out;
            }
            a->flags = F_AOT;
            if (!add_member(P, t, last, a)) {
                toml_free(a);
                goto out;
            }
            m = a;
        } else if (!(m->type == TOML_ARRAY && (m->flags & F_AOT))) {
            fail_at(P, line, col, "[[%.*s]]: key '%s' already holds a%s %s", hn, hs, last->s,
                    m->type == TOML_ARRAY || m->type == TOML_INTEGER ? "n" : "",
                    toml_type_name(m->type));
            goto out;
        }
        toml_node *e = node_new(TOML_TABLE, line, col);
        if (!e || node_add(m, e)) {
            toml_free(e);
            FAIL(P, "out of memory");
            goto out;
        }
        e->flags = F_HEADER;
        res = e;
    } else {
        if (!m) {
            if (!(m = new_table(P, t, last, F_HEADER))) goto out;
            m->line = line;
            m->col = col;
            res = m;
        } else if (m->type == TOML_TABLE && m->flags == F_IMPLICIT) {
            m->flags = F_HEADER;
            m->line = line;
            m->col = col;
            res = m;
        } else if (m->type == TOML_TABLE) {
            fail_at(P, line, col, "table [%.*s] defined twice (first at line %d)", hn, hs, m->line);
        } else {
            fail_at(P, line, col, "[%.*s]: key '%s' already holds a%s %s", hn, hs, last->s,
                    m->type == TOML_ARRAY || m->type == TOML_INTEGER ? "n" : "",
                    toml_type_name(m->type));
        }
    }
out:
    free_keys(k, nk);
    return res;
}

toml_node *toml_parse(const char *text, size_t len, const char *name, char *err, size_t errsize)
{
    parser P = {text, text, text + len, text, 1, name ? name : "<toml>", err, errsize, 0, 0};
    if (errsize) err[0] = 0;
    if (check_utf8(&P)) return NULL;
    toml_node *root = node_new(TOML_TABLE, 1, 1);
    if (!root) {
        FAIL(&P, "out of memory");
        return NULL;
    }
    root->flags = F_HEADER;
    toml_node *cur = root;
    /* a BOM is allowed at the start */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) P.p += 3, P.ls = P.p;
    while (P.p < P.e) {
        skip_ws(&P);
        if (P.p == P.e) break;
        if (*P.p == '#') {
            if (skip_comment(&P)) goto fail;
            if (P.p < P.e && !newline(&P)) {
                FAIL(&P, "stray carriage return");
                goto fail;
            }
            continue;
        }
        if (newline(&P)) continue;
        if (*P.p == '[') {
            if (!(cur = parse_header(&P, root))) goto fail;
            continue;
        }
        keypart k[MAX_KEY_PARTS];
        int nk;
        if (parse_key(&P, k, &nk)) {
            free_keys(k, nk);
            goto fail;
        }
        if (P.p == P.e || *P.p != '=') {
            free_keys(k, nk);
            FAIL(&P, "expected '=' after a key");
            goto fail;
        }
        P.p++;
        skip_ws(&P);
        toml_node *v = parse_value(&P);
        if (!v || assign(&P, cur, k, nk, v)) {
            free_keys(k, nk);
            toml_free(v);
            goto fail;
        }
        free_keys(k, nk);
        if (end_of_line(&P)) goto fail;
    }
    return root;
fail:
    if (!P.failed) FAIL(&P, "out of memory");
    toml_free(root);
    return NULL;
}
