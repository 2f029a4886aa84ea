/* validate.c — see validate.h. Written from FORMAT.md, not from the
 * library's encoders, so that it can catch their mistakes. */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define V_MAX_DEPTH 512

static const char *const variants[] = {
    "Step", "Path", "VariableName", "Variable", "Type", "Value", "Function", "Call",
    "Return", "Event", "Asm", "BindVariable", "Assignment", "DropVariables",
    "CompoundValue", "CellValue", "AssignCompoundItem", "AssignCell", "VariableCell",
    "DropVariable", "ThreadStart", "ThreadExit", "ThreadSwitch", "DropLastStep",
};

static int is_variant(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (strlen(variants[i]) == n && memcmp(variants[i], p, n) == 0) return 1;
    return 0;
}

static int fail(vresult *r, size_t at, const char *fmt, ...)
{
    if (r->ok == 0 && r->msg[0]) return 0; /* keep the first problem */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->ok = 0;
    r->err_at = at;
    return 0;
}

static void reset(vresult *r)
{
    memset(r, 0, sizeof *r);
    r->ok = 1;
}

/* Length of the valid UTF-8 sequence at p (no overlongs, surrogates or
 * code points above U+10FFFF), 0 if invalid. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t k;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { k = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { k = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { k = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return k;
}

static int utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_len(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

typedef struct jp {
    const uint8_t *p;
    size_t n, i;
    vresult *r;
    unsigned depth;
} jp;

static void ws(jp *j)
{
    while (j->i < j->n &&
           (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\n' || j->p[j->i] == '\r'))
        j->i++;
}

static int hex4(jp *j, unsigned *out)
{
    if (j->n - j->i < 4) return fail(j->r, j->i, "short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = j->p[j->i++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return fail(j->r, j->i - 1, "bad hex digit in \\u escape");
    }
    *out = v;
    return 1;
}

/* A string; on success (start, len) of its raw body. */
static int jstring(jp *j, size_t *start, size_t *len)
{
    if (j->i >= j->n || j->p[j->i] != '"') return fail(j->r, j->i, "string expected");
    j->i++;
    *start = j->i;
    for (;;) {
        if (j->i >= j->n) return fail(j->r, j->i, "unterminated string");
        uint8_t c = j->p[j->i];
        if (c == '"') break;
        if (c < 0x20) return fail(j->r, j->i, "raw control byte 0x%02x in a string", c);
        if (c == '\\') {
            j->i++;
            if (j->i >= j->n) return fail(j->r, j->i, "unterminated escape");
            c = j->p[j->i++];
            if (c == 'u') {
                unsigned u;
                if (!hex4(j, &u)) return 0;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned lo;
                    if (j->n - j->i < 2 || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u')
                        return fail(j->r, j->i, "lone high surrogate escape");
                    j->i += 2;
                    if (!hex4(j, &lo)) return 0;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return fail(j->r, j->i, "bad low surrogate escape");
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    return fail(j->r, j->i, "lone low surrogate escape");
                }
            } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
                return fail(j->r, j->i - 1, "bad escape \\%c", c);
            }
            continue;
        }
        size_t k = utf8_len(j->p + j->i, j->n - j->i);
        if (!k) return fail(j->r, j->i, "invalid UTF-8 in a string");
        j->i += k;
    }
    *len = j->i - *start;
    j->i++;
    return 1;
}

static int jnumber(jp *j)
{
    size_t s = j->i;
    if (j->i < j->n && j->p[j->i] == '-') j->i++;
    if (j->i >= j->n) return fail(j->r, s, "bad number");
    if (j->p[j->i] == '0') {
        j->i++;
    } else if (j->p[j->i] >= '1' && j->p[j->i] <= '9') {
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
    } else {
        return fail(j->r, s, "bad number");
    }
    if (j->i < j->n && j->p[j->i] == '.') {
        j->i++;
        size_t d = j->i;
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
        if (j->i == d) return fail(j->r, s, "bad number fraction");
    }
    if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->p[j->i] == '+' || j->p[j->i] == '-')) j->i++;
        size_t d = j->i;
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
        if (j->i == d) return fail(j->r, s, "bad number exponent");
    }
    return 1;
}

static int jlit(jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if (j->n - j->i < n || memcmp(j->p + j->i, lit, n) != 0)
        return fail(j->r, j->i, "unexpected byte 0x%02x", j->i < j->n ? j->p[j->i] : 0);
    j->i += n;
    return 1;
}

static int jvalue(jp *j);

static int jnest(jp *j)
{
    if (++j->depth > V_MAX_DEPTH) return fail(j->r, j->i, "nesting deeper than %d", V_MAX_DEPTH);
    if (j->depth > j->r->max_depth) j->r->max_depth = j->depth;
    return 1;
}

static int jarray(jp *j)
{
    if (!jnest(j)) return 0;
    j->i++; /* [ */
    ws(j);
    if (j->i < j->n && j->p[j->i] == ']') {
        j->i++;
        j->depth--;
        return 1;
    }
    for (;;) {
        if (!jvalue(j)) return 0;
        if (j->depth == 1) j->r->items++; /* elements of a top-level array */
        ws(j);
        if (j->i >= j->n) return fail(j->r, j->i, "unterminated array");
        if (j->p[j->i] == ',') { j->i++; continue; }
        if (j->p[j->i] == ']') { j->i++; break; }
        return fail(j->r, j->i, "',' or ']' expected");
    }
    j->depth--;
    return 1;
}

/* An object; *nkeys receives its key count, (*k0, *k0n) its first key. */
static int jobject(jp *j, size_t *nkeys, size_t *k0, size_t *k0n)
{
    if (!jnest(j)) return 0;
    j->i++; /* { */
    *nkeys = 0;
    ws(j);
    if (j->i < j->n && j->p[j->i] == '}') {
        j->i++;
        j->depth--;
        return 1;
    }
    for (;;) {
        ws(j);
        size_t ks, kn;
        if (!jstring(j, &ks, &kn)) return 0;
        if (*nkeys == 0) { *k0 = ks; *k0n = kn; }
        (*nkeys)++;
        ws(j);
        if (j->i >= j->n || j->p[j->i] != ':') return fail(j->r, j->i, "':' expected");
        j->i++;
        if (!jvalue(j)) return 0;
        ws(j);
        if (j->i >= j->n) return fail(j->r, j->i, "unterminated object");
        if (j->p[j->i] == ',') { j->i++; continue; }
        if (j->p[j->i] == '}') { j->i++; break; }
        return fail(j->r, j->i, "',' or '}' expected");
    }
    j->depth--;
    return 1;
}

static int jvalue(jp *j)
{
    ws(j);
    if (j->i >= j->n) return fail(j->r, j->i, "value expected, end of input");
    uint8_t c = j->p[j->i];
    size_t a, b, c0;
    switch (c) {
    case '{': return jobject(j, &a, &b, &c0);
    case '[': return jarray(j);
    case '"': return jstring(j, &a, &b);
    case 't': return jlit(j, "true");
    case 'f': return jlit(j, "false");
    case 'n': return jlit(j, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return jnumber(j);
        return fail(j->r, j->i, "unexpected byte 0x%02x", c);
    }
}

int v_json_value(const uint8_t *p, size_t n, vresult *r)
{
    reset(r);
    jp j = {p, n, 0, r, 0};
    if (!jvalue(&j)) return 0;
    ws(&j);
    if (j.i != n) return fail(r, j.i, "trailing bytes after the JSON value");
    return 1;
}

/* One event at j->i. */
static int jevent(jp *j)
{
    ws(j);
    if (j->i >= j->n) return fail(j->r, j->i, "event expected");
    size_t at = j->i;
    if (j->p[j->i] == '"') {
        size_t s, l;
        if (!jstring(j, &s, &l)) return 0;
        if (l != 12 || memcmp(j->p + s, "DropLastStep", 12) != 0)
            return fail(j->r, at, "a string event that is not DropLastStep");
        return 1;
    }
    if (j->p[j->i] != '{') return fail(j->r, at, "an event must be an object");
    size_t nk = 0, k0 = 0, k0n = 0;
    if (!jobject(j, &nk, &k0, &k0n)) return 0;
    if (nk != 1) return fail(j->r, at, "an event object has %zu keys, not 1", nk);
    if (!is_variant(j->p + k0, k0n))
        return fail(j->r, at, "unknown variant \"%.*s\"", (int)(k0n > 40 ? 40 : k0n), j->p + k0);
    return 1;
}

int v_json_trace(const uint8_t *p, size_t n, vresult *r)
{
    reset(r);
    jp j = {p, n, 0, r, 0};
    ws(&j);
    if (j.i >= n || p[j.i] != '[') return fail(r, j.i, "a trace.json must be an array");
    j.i++;
    j.depth = 1;
    r->max_depth = 0;
    ws(&j);
    if (j.i < n && p[j.i] == ']') {
        j.i++;
    } else {
        for (;;) {
            j.depth = 0; /* count depth within each event */
            if (!jevent(&j)) return 0;
            r->items++;
            ws(&j);
            if (j.i >= n) return fail(r, j.i, "unterminated trace array");
            if (p[j.i] == ',') { j.i++; continue; }
            if (p[j.i] == ']') { j.i++; break; }
            return fail(r, j.i, "',' or ']' expected between events");
        }
    }
    ws(&j);
    if (j.i != n) return fail(r, j.i, "trailing bytes after the trace array");
    return 1;
}

int v_json_trace_prefix(const uint8_t *p, size_t n, vresult *r)
{
    reset(r);
    size_t i = 0;
    /* first line: "[" */
    const uint8_t *nl = memchr(p, '\n', n);
    if (!nl) return 1; /* not even the first line: nothing complete */
    if (nl - p != 1 || p[0] != '[') return fail(r, 0, "the first line is not \"[\"");
    i = (size_t)(nl - p) + 1;
    while (i < n) {
        nl = memchr(p + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
        const uint8_t *line = p + i;
        if (len == 1 && line[0] == ']') {
            if (i + len + (nl ? 1 : 0) != n) return fail(r, i, "bytes after the closing ]");
            return 1;
        }
        size_t elen = len;
        if (elen && line[elen - 1] == ',') elen--;
        vresult one;
        reset(&one);
        jp j = {line, elen, 0, &one, 0};
        if (!jevent(&j) || (ws(&j), j.i != elen)) {
            if (!nl) break; /* an incomplete last line: not an event yet */
            snprintf(r->msg, sizeof r->msg, "line of event %llu: %.100s",
                     (unsigned long long)r->items, one.ok ? "trailing bytes" : one.msg);
            r->ok = 0;
            r->err_at = i + (one.ok ? j.i : one.err_at);
            return 0;
        }
        if (one.max_depth > r->max_depth) r->max_depth = one.max_depth;
        r->items++;
        i += len + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* CBOR                                                                */

typedef struct cp {
    const uint8_t *p;
    size_t n, i;
    vresult *r;
    unsigned depth;
} cp;

/* Head of an item: major type and argument, shortest form required. */
static int chead(cp *c, unsigned *major, uint64_t *arg)
{
    if (c->i >= c->n) return fail(c->r, c->i, "CBOR item expected, end of input");
    uint8_t b = c->p[c->i++];
    *major = b >> 5;
    unsigned ai = b & 31;
    if (*major == 7) {
        *arg = ai;
        return 1;
    }
    if (ai < 24) {
        *arg = ai;
        return 1;
    }
    if (ai > 27) return fail(c->r, c->i - 1, "indefinite length or reserved head 0x%02x", b);
    size_t k = (size_t)1 << (ai - 24);
    if (c->n - c->i < k) return fail(c->r, c->i, "truncated CBOR head");
    uint64_t v = 0;
    for (size_t q = 0; q < k; q++) v = (v << 8) | c->p[c->i++];
    uint64_t min = k == 1 ? 24 : k == 2 ? 0x100 : k == 4 ? 0x10000 : 0x100000000ull;
    if (v < min) return fail(c->r, c->i - k - 1, "CBOR argument not in shortest form");
    *arg = v;
    return 1;
}

static int ctext(cp *c, size_t *s, size_t *l)
{
    unsigned m;
    uint64_t a;
    size_t at = c->i;
    if (!chead(c, &m, &a)) return 0;
    if (m != 3) return fail(c->r, at, "text string expected (major %u)", m);
    if (a > c->n - c->i) return fail(c->r, at, "text string runs past the end");
    if (!utf8_valid(c->p + c->i, (size_t)a)) return fail(c->r, c->i, "invalid UTF-8 in CBOR text");
    *s = c->i;
    *l = (size_t)a;
    c->i += (size_t)a;
    return 1;
}

static int citem(cp *c)
{
    size_t at = c->i;
    unsigned m = 0;
    uint64_t a = 0;
    if (!chead(c, &m, &a)) return 0;
    switch (m) {
    case 0:
    case 1:
        return 1;
    case 2:
        return fail(c->r, at, "byte string in the event stream");
    case 3:
        c->i = at;
        {
            size_t s, l;
            return ctext(c, &s, &l);
        }
    case 4:
    case 5:
        if (++c->depth > V_MAX_DEPTH) return fail(c->r, at, "nesting deeper than %d", V_MAX_DEPTH);
        if (c->depth > c->r->max_depth) c->r->max_depth = c->depth;
        if (a > c->n - c->i) return fail(c->r, at, "count larger than the input");
        for (uint64_t k = 0; k < a; k++) {
            if (m == 5) {
                size_t s, l;
                if (!ctext(c, &s, &l)) return 0;
            }
            if (!citem(c)) return 0;
        }
        c->depth--;
        return 1;
    case 6:
        return fail(c->r, at, "tagged item in the event stream");
    default:
        if (a == 20 || a == 21) return 1;
        return fail(c->r, at, "simple/float item 0x%02x in the event stream", c->p[at]);
    }
}

int v_cbor_events(const uint8_t *p, size_t n, vresult *r)
{
    reset(r);
    cp c = {p, n, 0, r, 0};
    while (c.i < n) {
        size_t at = c.i;
        unsigned m;
        uint64_t a;
        c.depth = 0;
        if (!chead(&c, &m, &a)) return 0;
        if (m == 3) {
            c.i = at;
            size_t s, l;
            if (!ctext(&c, &s, &l)) return 0;
            if (l != 12 || memcmp(p + s, "DropLastStep", 12) != 0)
                return fail(r, at, "a text event that is not DropLastStep");
        } else if (m == 5 && a == 1) {
            c.depth = 1;
            if (r->max_depth < 1) r->max_depth = 1;
            size_t s, l;
            if (!ctext(&c, &s, &l)) return 0;
            if (!is_variant(p + s, l))
                return fail(r, at, "unknown variant \"%.*s\"", (int)(l > 40 ? 40 : l), p + s);
            if (!citem(&c)) return 0;
        } else {
            return fail(r, at, "an event must be a map of one pair (head 0x%02x)", p[at]);
        }
        r->items++;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* trace.bin                                                           */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int v_trace_bin(const uint8_t *p, size_t n, int complete, size_t max_out, vresult *r)
{
    static const uint8_t hdr[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00};
    reset(r);
    if (n < 8) {
        if (!complete && memcmp(p, hdr, n) == 0) return 1;
        return fail(r, 0, "shorter than the header");
    }
    if (memcmp(p, hdr, 8) != 0) return fail(r, 0, "bad header");
    ZSTD_DCtx *d = ZSTD_createDCtx();
    uint8_t *out = NULL;
    size_t cap = 0;
    uint32_t *frames = NULL; /* compressed, decompressed */
    size_t nframes = 0, fcap = 0;
    size_t off = 8;
    uint64_t total_out = 0;
    int ok = 1, seen_table = 0;
    while (off < n && ok) {
        if (n - off >= 4 && le32(p + off) == 0x184D2A5Eu) {
            /* seek table */
            if (n - off < 8) { ok = complete ? fail(r, off, "truncated seek table") : 1; break; }
            uint32_t size = le32(p + off + 4);
            if (size > n - off - 8) {
                ok = complete ? fail(r, off, "seek table runs past the end") : 1;
                break;
            }
            if (size != 8 * nframes + 9) {
                ok = fail(r, off, "seek table size %u for %zu frames", size, nframes);
                break;
            }
            const uint8_t *t = p + off + 8;
            for (size_t k = 0; k < nframes && ok; k++) {
                if (le32(t + 8 * k) != frames[2 * k] || le32(t + 8 * k + 4) != frames[2 * k + 1])
                    ok = fail(r, off, "seek table entry %zu does not match the frame", k);
            }
            if (!ok) break;
            if (le32(t + 8 * nframes) != nframes || t[8 * nframes + 4] != 0 ||
                le32(t + 8 * nframes + 5) != 0x8F92EAB1u) {
                ok = fail(r, off, "bad seek table footer");
                break;
            }
            off += 8 + size;
            seen_table = 1;
            if (off != n) ok = fail(r, off, "bytes after the seek table");
            break;
        }
        size_t fs = ZSTD_findFrameCompressedSize(p + off, n - off);
        if (ZSTD_isError(fs)) {
            if (!complete) break; /* a truncated last frame */
            ok = fail(r, off, "bad zstd frame: %s", ZSTD_getErrorName(fs));
            break;
        }
        /* decompress this frame alone */
        ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
        ZSTD_inBuffer in = {p + off, fs, 0};
        size_t len = 0;
        for (;;) {
            if (cap - len < 65536) {
                if (cap >= max_out) { ok = fail(r, off, "decompresses past %zu bytes", max_out); break; }
                size_t nc = cap ? cap * 2 : 1 << 16;
                uint8_t *o2 = realloc(out, nc);
                if (!o2) { ok = fail(r, off, "out of memory"); break; }
                out = o2;
                cap = nc;
            }
            ZSTD_outBuffer ob = {out, cap, len};
            size_t rc = ZSTD_decompressStream(d, &ob, &in);
            len = ob.pos;
            if (ZSTD_isError(rc)) { ok = fail(r, off, "zstd: %s", ZSTD_getErrorName(rc)); break; }
            if (rc == 0) break;
            if (in.pos == in.size && ob.pos < ob.size) {
                ok = fail(r, off, "frame ends early");
                break;
            }
        }
        if (!ok) break;
        vresult fr;
        if (!v_cbor_events(out, len, &fr)) {
            snprintf(r->msg, sizeof r->msg, "frame at byte %zu, decompressed byte %zu: %.80s", off,
                     fr.err_at, fr.msg);
            r->ok = ok = 0;
            r->err_at = off;
            break;
        }
        r->items += fr.items;
        if (fr.max_depth > r->max_depth) r->max_depth = fr.max_depth;
        total_out += len;
        if (nframes == fcap) {
            fcap = fcap ? fcap * 2 : 64;
            uint32_t *f2 = realloc(frames, fcap * 2 * sizeof *f2);
            if (!f2) { ok = fail(r, off, "out of memory"); break; }
            frames = f2;
        }
        frames[2 * nframes] = (uint32_t)fs;
        frames[2 * nframes + 1] = (uint32_t)len;
        nframes++;
        off += fs;
    }
    if (ok && complete && !seen_table) ok = fail(r, n, "no seek table");
    free(out);
    free(frames);
    ZSTD_freeDCtx(d);
    (void)total_out;
    return ok;
}

uint8_t *v_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        if (n == cap) {
            if (cap >= max) break;
            uint8_t *b2 = realloc(b, cap * 2);
            if (!b2) { free(b); b = NULL; break; }
            b = b2;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        if (k == 0) break;
        n += k;
    }
    fclose(f);
    if (b) *len = n;
    return b;
}
