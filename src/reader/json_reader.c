/*
 * json_reader.c — a pull parser for trace.json events.
 *
 * The bytes of the current window end with a NUL sentinel at c->end, so the
 * scanners stop there without bounds checks: a NUL at c->end means "more
 * bytes needed" (or truncation at the end of the file), a NUL anywhere else
 * is an error. Strings without escapes are returned in place; escaped ones
 * are decoded into the arena. Every count and depth is bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "util/text.h"

typedef struct tk_it {
    int first;
} tk_it;

/* A byte that may be part of a plain string run. */
#define PLAIN(ch) ((ch) >= 0x20 && (ch) != '"' && (ch) != '\\')

static RD_NORETURN void at_nul(pctx *c)
{
    if (c->p >= c->end) rd_more(c);
    rd_fail(c, CTREC_E_FORMAT, "NUL byte in JSON");
}

static inline uint8_t peekc(pctx *c)
{
    const uint8_t *p = c->p;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    c->p = p;
    if (RD_UNLIKELY(*p == 0)) at_nul(c);
    return *p;
}

static RD_NORETURN void expected(pctx *c, const char *what)
{
    uint8_t ch = *c->p;
    if (ch >= 0x20 && ch < 0x7f)
        rd_fail(c, CTREC_E_FORMAT, "expected %s, found '%c'", what, ch);
    rd_fail(c, CTREC_E_FORMAT, "expected %s, found byte 0x%02x", what, ch);
}

static inline void expect(pctx *c, uint8_t ch, const char *what)
{
    if (RD_UNLIKELY(peekc(c) != ch)) expected(c, what);
    c->p++;
}

static inline int tk_peek(pctx *c)
{
    switch (peekc(c)) {
    case '{': return 1; /* TK_MAP */
    case '[': return 2;
    case '"': return 3;
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
    case '8': case '9': return 4;
    case 't': case 'f': return 5;
    case 'n': return 6;
    }
    return 0;
}

static inline void tk_map(pctx *c, tk_it *it)
{
    expect(c, '{', "'{'");
    it->first = 1;
}

static inline void tk_arr(pctx *c, tk_it *it)
{
    expect(c, '[', "'['");
    it->first = 1;
}

static inline int tk_next(pctx *c, tk_it *it)
{
    uint8_t ch = peekc(c);
    if (ch == ']') {
        c->p++;
        return 0;
    }
    if (!it->first) {
        if (ch != ',') expected(c, "',' or ']'");
        c->p++;
    }
    it->first = 0;
    return 1;
}

static int hexval(uint8_t h)
{
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
}

static unsigned hex4(pctx *c, const uint8_t *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0 && p + i >= c->end) rd_more(c);
        int h = hexval(p[i]);
        if (h < 0) {
            c->p = p + i;
            rd_fail(c, CTREC_E_FORMAT, "bad \\u escape in a string");
        }
        v = v * 16 + (unsigned)h;
    }
    return v;
}

static size_t put_utf8(uint8_t *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (uint8_t)(0xC0 | (cp >> 6));
        d[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xE0 | (cp >> 12));
        d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | (cp >> 18));
    d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* The slow path: the string at `start` (after the quote) holds escapes.
 * Finds its end, then decodes it into the arena. */
static ctrec_str str_escaped(pctx *c, const uint8_t *start)
{
    const uint8_t *p = start;
    for (;;) {
        uint8_t ch = *p;
        if (ch == '"') break;
        if (ch == '\\') {
            if (p[1] == 0 && p + 1 >= c->end) rd_more(c);
            p += 2;
            continue;
        }
        if (ch == 0) {
            c->p = p;
            at_nul(c);
        }
        if (ch < 0x20)
            rd_forgive(c, CTREC_E_FORMAT, p,
                       "a raw control character (byte 0x%02x) inside a JSON string", ch);
        p++;
    }
    const uint8_t *stop = p;
    /* Decoded text is never longer than the escaped text. */
    uint8_t *d = arena_alloc(c->a, (size_t)(stop - start) + 1);
    if (!d) rd_nomem(c);
    size_t n = 0;
    p = start;
    while (p < stop) {
        if (*p != '\\') {
            d[n++] = *p++;
            continue;
        }
        uint8_t e = p[1];
        p += 2;
        switch (e) {
        case '"': d[n++] = '"'; break;
        case '\\': d[n++] = '\\'; break;
        case '/': d[n++] = '/'; break;
        case 'b': d[n++] = '\b'; break;
        case 'f': d[n++] = '\f'; break;
        case 'n': d[n++] = '\n'; break;
        case 'r': d[n++] = '\r'; break;
        case 't': d[n++] = '\t'; break;
        case 'u': {
            if (stop - p < 4) {
                c->p = p;
                rd_fail(c, CTREC_E_FORMAT, "bad \\u escape in a string");
            }
            unsigned cp = hex4(c, p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && stop - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(c, p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000) { /* lone surrogate */
                /* 25.11 does not decode the strings of unknown keys */
                if (!(c->strict == 2 && c->skipping)) rd_forgive(c, CTREC_E_FORMAT, p - 6,
                           "a lone surrogate escape \\u%04x in a JSON string", cp);
                cp = 0xFFFD;
            }
            n += put_utf8(d + n, cp);
            break;
        }
        default:
            c->p = p - 2;
            rd_fail(c, CTREC_E_FORMAT, "bad escape '\\%c' in a string", e >= 0x20 && e < 0x7f ? e : '?');
        }
    }
    c->p = stop + 1;
    return (ctrec_str){(const char *)d, n};
}

static inline ctrec_str tk_str(pctx *c)
{
    expect(c, '"', "a string");
    const uint8_t *start = c->p, *p = start;
    while (PLAIN(*p)) p++;
    if (RD_LIKELY(*p == '"')) {
        c->p = p + 1;
        return (ctrec_str){(const char *)start, (size_t)(p - start)};
    }
    if (*p == 0 && p >= c->end) rd_more(c);
    return str_escaped(c, start);
}

static inline int tk_key(pctx *c, tk_it *it, ctrec_str *k)
{
    uint8_t ch = peekc(c);
    if (ch == '}') {
        c->p++;
        return 0;
    }
    if (!it->first) {
        if (ch != ',') expected(c, "',' or '}'");
        c->p++;
    }
    it->first = 0;
    *k = tk_str(c);
    expect(c, ':', "':'");
    return 1;
}

/* After a number or literal: it must not run into the end of the window. */
static inline void token_end(pctx *c)
{
    if (RD_UNLIKELY(*c->p == 0) && c->p >= c->end && !c->eof) rd_more(c);
}

static RD_NORETURN void bad_number(pctx *c, const char *what)
{
    rd_fail(c, CTREC_E_FORMAT, "expected %s", what);
}

static inline uint64_t digits(pctx *c, const char *what)
{
    const uint8_t *p = c->p;
    if (RD_UNLIKELY((unsigned)(*p - '0') > 9)) {
        /* a sign was the last byte of the window: the digits are in the next */
        if (*p == 0 && p >= c->end) rd_more(c);
        bad_number(c, what);
    }
    if (RD_UNLIKELY(*p == '0' && (unsigned)(p[1] - '0') <= 9))
        rd_forgive(c, CTREC_E_FORMAT, p, "a number with a leading zero");
    uint64_t v = 0;
    while ((unsigned)(*p - '0') <= 9) {
        unsigned d = *p - '0';
        if (RD_UNLIKELY(v > (UINT64_MAX - d) / 10)) {
            c->p = p;
            rd_fail(c, CTREC_E_FORMAT, "integer out of range");
        }
        v = v * 10 + d;
        p++;
    }
    c->p = p;
    if (RD_UNLIKELY(*p == '.' || *p == 'e' || *p == 'E')) bad_number(c, what);
    token_end(c);
    return v;
}

static inline uint64_t tk_u64(pctx *c)
{
    peekc(c);
    return digits(c, "an unsigned integer");
}

static inline int64_t tk_i64(pctx *c)
{
    if (peekc(c) == '-') {
        c->p++;
        const uint8_t *at = c->p - 1;
        uint64_t v = digits(c, "an integer");
        if (v > (uint64_t)INT64_MAX + 1) rd_fail(c, CTREC_E_FORMAT, "integer out of range");
        if (RD_UNLIKELY(v == 0)) /* serde_json reads -0 as a float */
            rd_forgive(c, CTREC_E_FORMAT, at, "the integer -0 (a float for serde_json)");
        return v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    }
    uint64_t v = digits(c, "an integer");
    if (v > (uint64_t)INT64_MAX) rd_fail(c, CTREC_E_FORMAT, "integer out of range");
    return (int64_t)v;
}

static int literal(pctx *c, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c->p[i] == 0 && c->p + i >= c->end) rd_more(c);
        if (c->p[i] != (uint8_t)lit[i]) return 0;
    }
    c->p += n;
    token_end(c);
    return 1;
}

static inline int tk_bool(pctx *c)
{
    uint8_t ch = peekc(c);
    if (ch == 't' && literal(c, "true", 4)) return 1;
    if (ch == 'f' && literal(c, "false", 5)) return 0;
    expected(c, "true or false");
}

static inline void tk_null(pctx *c)
{
    if (peekc(c) == 'n' && literal(c, "null", 4)) return;
    expected(c, "null");
}

static double tk_float(pctx *c)
{
    double d;
    if (peekc(c) == '"') {
        ctrec_str s = tk_str(c);
        if (s.len > 400 || text_parse_double(s.ptr, s.len, &d))
            rd_fail(c, CTREC_E_FORMAT, "\"%.*s\" is not a float", (int)(s.len > 40 ? 40 : s.len),
                    s.ptr);
        return d;
    }
    const uint8_t *s = c->p, *p = s;
    while ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' || *p == 'e' ||
           *p == 'E')
        p++;
    c->p = p;
    token_end(c);
    if (p == s || p - s > 400 || text_parse_double((const char *)s, (size_t)(p - s), &d)) {
        c->p = s;
        expected(c, "a float");
    }
    return d;
}

/* Skips one value of any type (unknown keys), bounded in depth. */
static void tk_skip_value(pctx *c);

static void tk_skip(pctx *c)
{
    peekc(c);
    const uint8_t *start = c->p;
    c->skipping = 1;
    tk_skip_value(c);
    c->skipping = 0;
    if (c->strict == 2) {
        if (c->nskipped < 8) {
            c->skipped[c->nskipped][0] = start;
            c->skipped[c->nskipped][1] = c->p;
        }
        c->nskipped++;
    }
}

static void tk_skip_value(pctx *c)
{
    unsigned depth = 0;
    uint8_t *stack = NULL; /* expected closer per level */
    for (;;) {
        uint8_t ch = peekc(c);
        switch (ch) {
        case '{':
        case '[':
            if (depth >= c->max_depth)
                rd_fail(c, CTREC_E_DEPTH, "JSON nested deeper than %u levels", c->max_depth);
            if (!stack) {
                if (vec_grow(c->skip, 8, c->max_depth)) rd_nomem(c);
                stack = c->skip->data;
            }
            stack[depth++] = ch == '{' ? '}' : ']';
            c->p++;
            if (peekc(c) == stack[depth - 1]) {
                c->p++;
                depth--;
                break;
            }
            if (ch == '{') {
                tk_str(c);
                expect(c, ':', "':'");
            }
            continue; /* the first element */
        case '"': tk_str(c); break;
        case 't': case 'f': tk_bool(c); break;
        case 'n': tk_null(c); break;
        default:
            if (ch == '-' || (ch >= '0' && ch <= '9')) {
                tk_float(c);
                break;
            }
            expected(c, "a value");
        }
        /* after a complete value: close containers or go to the next item */
        for (;;) {
            if (depth == 0) return;
            ch = peekc(c);
            if (ch == stack[depth - 1]) {
                c->p++;
                depth--;
                continue;
            }
            if (ch != ',') expected(c, "',' or a closing bracket");
            c->p++;
            if (stack[depth - 1] == '}') {
                tk_str(c);
                expect(c, ':', "':'");
            }
            break;
        }
    }
}

/* serde_json: the current debugger decodes trace.json through a
 * serde_json::Value (a repeated key keeps its last value; "i" strings are
 * rewritten into numbers first, dap_server.rs normalize_legacy_trace_json_values);
 * 25.11 decodes the text directly (serde's derive refuses a repeated field). */
#define SC_DUP_OK(c) ((c)->strict == 1)
#define SC_INT_TEXT_OK(c) ((c)->strict == 1)
#include "schema.inc"

int json_parse_event(pctx *c)
{
    c->fg_pending = 0;
    int r = setjmp(c->jb);
    if (r) return r;
    sc_event(c);
    rd_forgive_commit(c);
    return RD_OK;
}

/* The array around the events: state 0 before '[', 1 after '[', 2 after an
 * event. Returns RD_OK with an event, RD_MORE, RD_ERR, or 3 at the closing
 * ']' (c->p after it). */
int json_parse_item(pctx *c, int *state)
{
    c->fg_pending = 0;
    int r = setjmp(c->jb);
    if (r) return r;
    int st = *state;
    uint8_t ch;
    if (st == 0) {
        expect(c, '[', "'[' at the start of trace.json");
        st = 1;
    }
    ch = peekc(c);
    if (ch == ']') {
        if (st == 2 || st == 1) {
            c->p++;
            *state = 3;
            return 3;
        }
    }
    if (st == 2) {
        if (ch != ',') expected(c, "',' or ']' after an event");
        c->p++;
        peekc(c);
    }
    c->base = c->p;
    c->nskipped = 0;
    c->skipping = 0;
    sc_event(c);
    /* the whole grammar costs a second pass: only when asked for; a lenient
     * read notes what the parser itself forgives (below) */
    if (c->strict) rd_json_strict(c, c->base, c->p, 1);
    rd_forgive_commit(c);
    *state = 2;
    return RD_OK;
}

int json_parse_trailing(pctx *c)
{
    c->fg_pending = 0;
    int r = setjmp(c->jb);
    if (r) return r;
    const uint8_t *p = c->p;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    c->p = p;
    if (p < c->end) {
        uint8_t ch = *p;
        c->p = c->end; /* noted once: what follows is not read */
        rd_forgive(c, CTREC_E_FORMAT, p, ch >= 0x20 && ch < 0x7f ? "'%c' after the closing ']' of trace.json"
                                                 : "byte 0x%02x after the closing ']' of trace.json",
                   ch);
        rd_forgive_commit(c);
        return RD_OK;
    }
    if (!c->eof) return RD_MORE;
    return RD_OK;
}

/* ---- whole small documents ---- */

static ctrec_status doc_error(err *e, int r, const char *what)
{
    if (r == RD_MORE) return err_set(e, CTREC_E_FORMAT, "%s: the file ends early", what);
    err tmp = *e;
    return err_set(e, tmp.status, "%s: %s", what, tmp.msg);
}

void rd_strlist_free(rd_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    free(l->lens);
    l->items = NULL;
    l->lens = NULL;
    l->n = 0;
}

static char *dup_str(ctrec_str s)
{
    char *d = malloc(s.len + 1);
    if (d) {
        memcpy(d, s.ptr, s.len);
        d[s.len] = 0;
    }
    return d;
}

static void push_str(pctx *c, rd_strlist *l, ctrec_str s)
{
    char **it = realloc(l->items, (l->n + 1) * sizeof *it);
    if (!it) rd_nomem(c);
    l->items = it;
    size_t *ln = realloc(l->lens, (l->n + 1) * sizeof *ln);
    if (!ln) rd_nomem(c);
    l->lens = ln;
    char *d = dup_str(s);
    if (!d) rd_nomem(c);
    l->items[l->n] = d;
    l->lens[l->n++] = s.len;
}

static int parse_strlist(pctx *c, rd_strlist *out)
{
    int r = setjmp(c->jb);
    if (r) return r;
    tk_it it;
    tk_arr(c, &it);
    while (tk_next(c, &it)) push_str(c, out, tk_str(c));
    return RD_OK;
}

static void init_doc(pctx *c, arena *a, vec *skip, err *e, const char *s, size_t n)
{
    memset(c, 0, sizeof *c);
    c->skip = skip;
    c->eof_msg = "the file ends early";
    c->p = c->base = (const uint8_t *)s;
    c->end = c->p + n;
    c->eof = 1;
    c->a = a;
    c->e = e;
    c->max_depth = 1000;
}

ctrec_status json_parse_string_array(const char *s, size_t n, rd_strlist *out, err *e)
{
    pctx c;
    arena a = {0};
    vec skip = {0};
    init_doc(&c, &a, &skip, e, s, n);
    int r = parse_strlist(&c, out);
    arena_free(&a);
    free(skip.data);
    if (r) return doc_error(e, r, "trace_paths.json");
    return CTREC_OK;
}

static int parse_meta(pctx *c, rd_meta *m)
{
    int r = setjmp(c->jb);
    if (r) return r;
    tk_it it;
    ctrec_str k;
    tk_map(c, &it);
    while (tk_key(c, &it, &k)) {
        char **dst = KEYIS(k, "recording_id") ? &m->recording_id
                     : KEYIS(k, "workdir")    ? &m->workdir
                     : KEYIS(k, "program")    ? &m->program
                                              : NULL;
        if (dst && tk_peek(c) == TK_STR) {
            ctrec_str v = tk_str(c); /* may jump back: free the old copy after */
            free(*dst);
            *dst = dup_str(v);
            if (!*dst) rd_nomem(c);
        } else if (KEYIS(k, "args") && tk_peek(c) == TK_ARR) {
            rd_strlist_free(&m->args);
            m->has_args = 1;
            tk_it ai;
            tk_arr(c, &ai);
            while (tk_next(c, &ai)) {
                if (tk_peek(c) == TK_STR) push_str(c, &m->args, tk_str(c));
                else if (c->strict) rd_fail(c, CTREC_E_FORMAT, "an arg that is not a string");
                else tk_skip(c);
            }
        } else {
            tk_skip(c);
        }
    }
    return RD_OK;
}

/* The first byte from c->p on that is not JSON whitespace (c->end if none). */
static const uint8_t *ws_end(const pctx *c)
{
    const uint8_t *p = c->p;
    while (p < c->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* The grammar of [start, c->p) and only whitespace after it. */
static int doc_grammar_ok(pctx *c, const uint8_t *start)
{
    if (setjmp(c->jb)) return 0;
    rd_json_strict(c, start, c->p, 0);
    return ws_end(c) == c->end;
}

int json_metadata_serde_ok(const char *s, size_t n)
{
    pctx c;
    arena a = {0};
    vec skip = {0};
    err e = {0};
    rd_meta m;
    memset(&m, 0, sizeof m);
    init_doc(&c, &a, &skip, &e, s, n);
    c.strict = 2;
    const uint8_t *start = c.p;
    int r = parse_meta(&c, &m);
    int ok = r == RD_OK && m.workdir && m.program && m.has_args && doc_grammar_ok(&c, start);
    free(m.recording_id);
    free(m.workdir);
    free(m.program);
    rd_strlist_free(&m.args);
    arena_free(&a);
    free(skip.data);
    return ok;
}

/* One JSON value, then only JSON whitespace: its grammar as tk_skip reads
 * it and strict.c's rules, nothing forgiven. RD_OK, or the setjmp code. */
static int value_doc(pctx *c)
{
    int r = setjmp(c->jb);
    if (r) return r;
    peekc(c);
    const uint8_t *start = c->p;
    tk_skip_value(c);
    rd_json_strict(c, start, c->p, 0);
    if ((c->p = ws_end(c)) < c->end) expected(c, "the end of the text after the JSON value");
    return RD_OK;
}

int json_value_ok(const char *s, size_t n, err *e)
{
    pctx c;
    arena a = {0};
    vec skip = {0};
    init_doc(&c, &a, &skip, e, s, n);
    c.strict = 1;
    c.eof_msg = "the text ends inside the value";
    int r = value_doc(&c); /* never RD_MORE: the whole text is there (init_doc) */
    arena_free(&a);
    free(skip.data);
    return r == RD_OK;
}

/* A string member's value: a copy, or NULL when it is not a string (the
 * value is skipped). The earlier value of a repeated key is dropped. */
static void take_str(pctx *c, char **dst)
{
    free(*dst);
    *dst = NULL;
    if (tk_peek(c) != 3) {
        tk_skip(c);
        return;
    }
    *dst = dup_str(tk_str(c));
    if (!*dst) rd_nomem(c);
}

static int parse_beam_meta(pctx *c, char **recorder, rd_strlist *copies, char **copy)
{
    int r = setjmp(c->jb);
    if (r) return r;
    if (tk_peek(c) != 1) return RD_OK; /* not an object: no "recorder" */
    tk_it it;
    ctrec_str k;
    tk_map(c, &it);
    while (tk_key(c, &it, &k)) {
        if (KEYIS(k, "recorder")) {
            take_str(c, recorder);
        } else if (KEYIS(k, "manifests")) {
            rd_strlist_free(copies); /* serde_json's map keeps a repeated key's last value */
            if (tk_peek(c) != 2) {
                tk_skip(c);
                continue;
            }
            tk_it ai;
            tk_arr(c, &ai);
            while (tk_next(c, &ai)) {
                if (tk_peek(c) != 1) {
                    tk_skip(c);
                    continue;
                }
                tk_it mi;
                ctrec_str mk;
                tk_map(c, &mi);
                while (tk_key(c, &mi, &mk)) {
                    if (KEYIS(mk, "trace_copy_path")) take_str(c, copy);
                    else tk_skip(c);
                }
                if (*copy) {
                    push_str(c, copies, (ctrec_str){*copy, strlen(*copy)});
                    free(*copy);
                    *copy = NULL;
                }
            }
        } else {
            tk_skip(c);
        }
    }
    return RD_OK;
}

ctrec_status json_beam_meta(const char *s, size_t n, char **recorder, rd_strlist *copies, err *e)
{
    *recorder = NULL;
    if (!json_value_ok(s, n, e)) return e->status ? e->status : CTREC_E_FORMAT;
    pctx c;
    arena a = {0};
    vec skip = {0};
    char *copy = NULL;
    init_doc(&c, &a, &skip, e, s, n);
    int r = parse_beam_meta(&c, recorder, copies, &copy);
    free(copy);
    arena_free(&a);
    free(skip.data);
    if (r) {
        free(*recorder);
        *recorder = NULL;
        rd_strlist_free(copies);
        return doc_error(e, r, "trace_meta.json");
    }
    return CTREC_OK;
}

ctrec_status json_parse_metadata(const char *s, size_t n, rd_meta *out, err *e)
{
    pctx c;
    arena a = {0};
    vec skip = {0};
    init_doc(&c, &a, &skip, e, s, n);
    int r = parse_meta(&c, out);
    arena_free(&a);
    free(skip.data);
    if (r) return doc_error(e, r, "trace_metadata.json");
    return CTREC_OK;
}
