/*
 * strict.c — the grammar of the reference parsers, checked over the raw
 * bytes of each event after the event parser accepted it.
 *
 * The event parsers (json_reader.c, cbor_reader.c) read what the field
 * writes and forgive some spellings that the debugger's own parsers refuse.
 * These scanners find those spellings. With the reader option `strict` set
 * (ctrec check does) the first one is an error; otherwise it is counted and
 * the first is kept for ctrec_reader_forgiven().
 *
 * JSON, as serde_json parses it (the debugger reads trace.json with
 * serde_json::from_slice into a serde_json::Value, then decodes the events):
 *   - no raw byte below 0x20 inside a string (serde_json: "control
 *     character (\u0000-\u001F) found while parsing a string");
 *   - strings are valid UTF-8 (serde_json: "invalid unicode code point");
 *   - a \u escape of a UTF-16 surrogate must be a high surrogate followed by
 *     a \u escape of a low one ("lone leading surrogate in hex escape",
 *     "invalid unicode code point");
 *   - numbers are -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? ("invalid
 *     number") and finite as f64 ("number out of range");
 *   - at most 127 nested arrays and objects, the top-level array counting as
 *     one (serde_json's recursion limit of 128, "recursion limit exceeded").
 * CBOR, as cbor4ii's serde reader decodes trace.bin's events:
 *   - at most 127 nested arrays and maps per event ("depth limit");
 *   - text strings are valid UTF-8.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"

void rd_forgive(pctx *c, ctrec_status st, const uint8_t *at, const char *fmt, ...)
{
    if (c->strict) {
        char m[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m, sizeof m, fmt, ap);
        va_end(ap);
        c->p = at;
        rd_fail(c, st, "%s (the debugger's parser refuses it)", m);
    }
    if (!c->fg) return;
    if (c->fg->n++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->fg->first, sizeof c->fg->first, fmt, ap);
        va_end(ap);
        c->fg->first_event = c->fg->cur_event;
    }
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 if
 * invalid. `end` bounds the read. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
    uint8_t b = p[0];
    size_t n;
    uint32_t min, cp;
    if (b >= 0xC2 && b <= 0xDF) n = 2, min = 0x80, cp = b & 0x1F;
    else if (b >= 0xE0 && b <= 0xEF) n = 3, min = 0x800, cp = b & 0x0F;
    else if (b >= 0xF0 && b <= 0xF4) n = 4, min = 0x10000, cp = b & 0x07;
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
    return n;
}

static int hex4v(const uint8_t *p, const uint8_t *end, unsigned *v)
{
    if (end - p < 4) return -1;
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t h = p[i];
        unsigned d;
        if (h >= '0' && h <= '9') d = h - '0';
        else if (h >= 'a' && h <= 'f') d = h - 'a' + 10u;
        else if (h >= 'A' && h <= 'F') d = h - 'A' + 10u;
        else return -1;
        x = x * 16 + d;
    }
    *v = x;
    return 0;
}

/* The JSON string whose opening quote is at p; returns the byte after its
 * closing quote. The event parser has found the closing quote already. */
static const uint8_t *scan_string(pctx *c, const uint8_t *p, const uint8_t *end, int lax)
{
    p++;
    while (p < end) {
        uint8_t ch = *p;
        if (ch == '"') return p + 1;
        if (ch < 0x20) {
            rd_forgive(c, CTREC_E_FORMAT, p, "a raw control character (byte 0x%02x) inside a JSON string", ch);
            p++;
        } else if (ch == '\\') {
            if (p + 1 < end && p[1] == 'u' && !lax) {
                unsigned v, lo;
                if (hex4v(p + 2, end, &v)) return p + 2; /* the parser refused it */
                if (v >= 0xDC00 && v < 0xE000) {
                    rd_forgive(c, CTREC_E_FORMAT, p, "a lone low surrogate escape \\u%04x in a JSON string", v);
                } else if (v >= 0xD800 && v < 0xDC00) {
                    if (p + 7 < end && p[6] == '\\' && p[7] == 'u' && !hex4v(p + 8, end, &lo) &&
                        lo >= 0xDC00 && lo < 0xE000) {
                        p += 12;
                        continue;
                    }
                    rd_forgive(c, CTREC_E_FORMAT, p, "a lone surrogate escape \\u%04x in a JSON string", v);
                }
                p += 6;
            } else {
                p += 2;
            }
        } else if (ch >= 0x80) {
            size_t n = utf8_len(p, end);
            if (!n) {
                rd_forgive(c, CTREC_E_FORMAT, p, "invalid UTF-8 (byte 0x%02x) inside a JSON string", ch);
                n = 1;
            }
            p += n;
        } else {
            p++;
        }
    }
    return p;
}

static int isdig(uint8_t ch) { return ch >= '0' && ch <= '9'; }

/* The number token at p; returns the byte after it. */
static const uint8_t *scan_number(pctx *c, const uint8_t *p, const uint8_t *end, int lax)
{
    const uint8_t *s = p, *e = p;
    while (e < end && (isdig(*e) || *e == '-' || *e == '+' || *e == '.' || *e == 'e' || *e == 'E'))
        e++;
    const uint8_t *q = s;
    int ok = 1, is_int = 1;
    if (q < e && *q == '-') q++;
    if (q < e && *q == '0') {
        q++;
    } else if (q < e && isdig(*q)) {
        while (q < e && isdig(*q)) q++;
    } else {
        ok = 0;
    }
    if (ok && q < e && *q == '.') {
        is_int = 0;
        q++;
        if (q < e && isdig(*q)) while (q < e && isdig(*q)) q++;
        else ok = 0;
    }
    if (ok && q < e && (*q == 'e' || *q == 'E')) {
        is_int = 0;
        q++;
        if (q < e && (*q == '+' || *q == '-')) q++;
        if (q < e && isdig(*q)) while (q < e && isdig(*q)) q++;
        else ok = 0;
    }
    if (!ok || q != e) {
        rd_forgive(c, CTREC_E_FORMAT, s, "the number \"%.*s\" is not JSON (leading zero, missing digits or sign)",
                   (int)(e - s > 40 ? 40 : e - s), s);
        return e;
    }
    /* integers of up to 19 digits always fit (i64/u64, else an exact f64) */
    if (!lax && (!is_int || e - s > 19)) {
        char buf[512];
        size_t n = (size_t)(e - s);
        if (n < sizeof buf) {
            memcpy(buf, s, n);
            buf[n] = 0;
            double d = strtod(buf, NULL);
            if (isinf(d))
                rd_forgive(c, CTREC_E_FORMAT, s, "the number %.*s is out of the range of a double",
                           (int)(n > 40 ? 40 : n), s);
        } else {
            rd_forgive(c, CTREC_E_FORMAT, s, "a number of %zu characters", n);
        }
    }
    return e;
}

#define JSON_MAX_NESTING 127

/* Strict level 2 (25.11 decodes trace.json directly): serde_json passes
 * over the value of an unknown key with IgnoredAny, which checks the
 * grammar (control characters, numbers) but neither decodes \u escapes nor
 * counts nesting nor converts numbers. The whole file must still be UTF-8
 * (read_to_string). */
static int in_skipped(const pctx *c, const uint8_t *p)
{
    if (c->strict != 2) return 0;
    unsigned n = c->nskipped > 8 ? 8 : c->nskipped;
    for (unsigned i = 0; i < n; i++)
        if (p >= c->skipped[i][0] && p < c->skipped[i][1]) return 1;
    return 0;
}

void rd_json_strict(pctx *c, const uint8_t *p, const uint8_t *end, unsigned depth0)
{
    unsigned depth = depth0;
    const uint8_t *deep = NULL;
    while (p < end) {
        uint8_t ch = *p;
        int lax = c->nskipped && in_skipped(c, p);
        switch (ch) {
        case '"': p = scan_string(c, p, end, lax); continue;
        case '[':
        case '{':
            if (!lax && ++depth > JSON_MAX_NESTING && !deep) deep = p;
            break;
        case ']':
        case '}':
            if (!lax && depth) depth--;
            break;
        case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        case '8': case '9': p = scan_number(c, p, end, lax); continue;
        default: break;
        }
        p++;
    }
    if (deep)
        rd_forgive(c, CTREC_E_DEPTH, deep, "JSON nested more than %u arrays and objects deep (serde_json's "
                   "recursion limit)", JSON_MAX_NESTING);
}

#define CBOR_MAX_NESTING 127

/* One CBOR item (the event the parser accepted) in [p, end). */
void rd_cbor_strict(pctx *c, const uint8_t *p, const uint8_t *end)
{
    if (p < end && *p == 0xBF)
        rd_forgive(c, CTREC_E_FORMAT, p, "an event written as an indefinite-length map (the "
                   "reference decodes an enum only from a map of one entry)");
    uint64_t left[CBOR_MAX_NESTING + 1]; /* items left per open container */
    unsigned depth = 0;
    while (p < end) {
        const uint8_t *at = p;
        uint8_t ib = *p++;
        unsigned major = ib >> 5, ai = ib & 31;
        uint64_t v = ai;
        int indef = 0;
        if (ai >= 24 && ai <= 27) {
            size_t n = (size_t)1 << (ai - 24);
            if ((size_t)(end - p) < n) return;
            v = 0;
            for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
            p += n;
        } else if (ai == 31) {
            indef = 1;
        } else if (ai > 27) {
            return; /* the parser refused it */
        }
        int container = 0;
        switch (major) {
        case 2:
        case 3:
            if (indef) {
                container = 1;
                v = UINT64_MAX;
                break;
            }
            if ((uint64_t)(end - p) < v) return;
            if (major == 3)
                for (const uint8_t *s = p, *e = p + v; s < e;) {
                    if (*s < 0x80) {
                        s++;
                        continue;
                    }
                    size_t n = utf8_len(s, e);
                    if (!n) {
                        rd_forgive(c, CTREC_E_FORMAT, s, "invalid UTF-8 (byte 0x%02x) in a CBOR text string", *s);
                        break;
                    }
                    s += n;
                }
            p += v;
            break;
        case 4:
        case 5:
            container = 1;
            if (indef) v = UINT64_MAX;
            else if (major == 5) v = v > UINT64_MAX / 2 ? UINT64_MAX - 1 : v * 2;
            break;
        case 6: continue; /* a tag: its content is the next item */
        case 7:
            if (indef) { /* break: closes the innermost indefinite container */
                if (depth) depth--;
                goto item_done;
            }
            break;
        default: break;
        }
        if (container) {
            if (depth == CBOR_MAX_NESTING) {
                rd_forgive(c, CTREC_E_DEPTH, at, "CBOR nested more than %u arrays and maps deep (cbor4ii's "
                           "depth limit)", CBOR_MAX_NESTING);
                return;
            }
            if (v) {
                left[depth++] = v;
                continue;
            }
        }
    item_done:
        while (depth && left[depth - 1] != UINT64_MAX && --left[depth - 1] == 0) depth--;
        if (depth == 0) return;
    }
}
