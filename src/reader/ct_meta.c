/*
 * ct_meta.c — meta.dat version 3 (meta_dat.nim): "CTMD", u16 version,
 * u16 flags, then varint-length strings: recording id, program, args,
 * workdir, recorder id, paths, and the fields behind flag bits 0-3 (MCR
 * fields, replay launch, layout snapshot, trace-filter provenance). Flag
 * bits beyond those the reference library knows (recorders set 0x2000,
 * the span stream) carry no data here and are read past.
 * Every field besides the common ones is kept as a JSON text for
 * `ctrec stats`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "util/buf.h"

typedef struct mp {
    const uint8_t *p, *start, *end;
    err *e;
} mp;

static int bad(mp *m, const char *what)
{
    err_set(m->e, CTREC_E_FORMAT, "meta.dat: %s at offset %zu", what, (size_t)(m->p - m->start));
    return -1;
}

static int vu(mp *m, uint64_t *v, const char *what)
{
    int r = ct_varint(&m->p, m->end, v);
    if (r) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: %s", what,
                 r == -2 ? "a varint longer than 10 bytes" : "the member ends inside a varint");
        return bad(m, msg);
    }
    return 0;
}

static int str(mp *m, char **out, size_t *len, const char *what)
{
    uint64_t n;
    const uint8_t *at = m->p;
    if (vu(m, &n, what)) return -1;
    if (n > (uint64_t)(m->end - m->p)) {
        m->p = at;
        char msg[160];
        snprintf(msg, sizeof msg, "%s: a %llu-byte string runs past the end", what,
                 (unsigned long long)n);
        return bad(m, msg);
    }
    char *s = malloc((size_t)n + 1);
    if (!s) return err_set(m->e, CTREC_E_NOMEM, "out of memory"), -1;
    memcpy(s, m->p, (size_t)n);
    s[n] = 0;
    m->p += n;
    *out = s;
    if (len) *len = (size_t)n;
    return 0;
}

static int strlist(mp *m, rd_strlist *l, const char *what)
{
    uint64_t n;
    if (vu(m, &n, what)) return -1;
    if (n > (uint64_t)(m->end - m->p)) return bad(m, "a count larger than the member");
    l->items = calloc(n ? (size_t)n : 1, sizeof *l->items);
    l->lens = calloc(n ? (size_t)n : 1, sizeof *l->lens);
    if (!l->items || !l->lens) return err_set(m->e, CTREC_E_NOMEM, "out of memory"), -1;
    for (uint64_t i = 0; i < n; i++) {
        if (str(m, &l->items[i], &l->lens[i], what)) return -1;
        l->n++;
    }
    return 0;
}

static void json_str(buf *b, const char *s, size_t n)
{
    buf_byte(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            buf_byte(b, '\\');
            buf_byte(b, ch);
        } else if (ch < 0x20) {
            char t[8];
            snprintf(t, sizeof t, "\\u%04x", ch);
            buf_put(b, t, 6);
        } else buf_byte(b, ch);
    }
    buf_byte(b, '"');
}

static int add_extra(ct_meta *m, const char *key, buf *val, err *e)
{
    buf_byte(val, 0);
    char **k = realloc(m->extra_keys, (m->nextra + 1) * sizeof *k);
    if (k) m->extra_keys = k;
    char **v = realloc(m->extra_json, (m->nextra + 1) * sizeof *v);
    if (v) m->extra_json = v;
    char *kd = strdup(key);
    if (!k || !v || !kd || val->oom) {
        free(kd);
        buf_free(val);
        return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    }
    m->extra_keys[m->nextra] = kd;
    m->extra_json[m->nextra] = (char *)val->data;
    m->nextra++;
    memset(val, 0, sizeof *val);
    return 0;
}

static int extra_u64(ct_meta *m, const char *key, uint64_t v, err *e)
{
    buf b = {0};
    char t[32];
    int n = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    buf_put(&b, t, (size_t)n);
    return add_extra(m, key, &b, e);
}

/* A string field kept as an extra. */
static int extra_str(mp *p, ct_meta *m, const char *key)
{
    char *s;
    size_t n;
    if (str(p, &s, &n, key)) return -1;
    buf b = {0};
    json_str(&b, s, n);
    free(s);
    return add_extra(m, key, &b, p->e);
}

static int extra_uv(mp *p, ct_meta *m, const char *key)
{
    uint64_t v;
    if (vu(p, &v, key)) return -1;
    return extra_u64(m, key, v, p->e);
}

static int parse(ct_meta *m, mp *p)
{
    if (p->end - p->p < 8) return bad(p, "shorter than its 8-byte header");
    if (memcmp(p->p, "CTMD", 4)) return bad(p, "no CTMD magic");
    m->version = load_le16(p->p + 4);
    m->flags = load_le16(p->p + 6);
    if (m->version != 3) {
        p->p += 4;
        err_set(p->e, CTREC_E_UNSUPPORTED, "meta.dat: version %u at offset 4 (only 3 is read)%s",
                m->version,
                m->version >= 4 && m->version <= 6
                    ? ": versions 4 to 6 belong to the format's later revision (autumn 2026: "
                      "another global line index, no path list from 6), which ctrec does not "
                      "read yet"
                    : "");
        return -1;
    }
    p->p += 8;
    if (str(p, &m->recording_id, NULL, "recording id")) return -1;
    if (str(p, &m->program, NULL, "program")) return -1;
    if (strlist(p, &m->args, "args")) return -1;
    if (str(p, &m->workdir, NULL, "workdir")) return -1;
    if (str(p, &m->recorder_id, NULL, "recorder id")) return -1;
    if (strlist(p, &m->paths, "paths")) return -1;
    buf rb = {0};
    json_str(&rb, m->recorder_id, strlen(m->recorder_id));
    if (add_extra(m, "recorder_id", &rb, p->e)) return -1;
    if (extra_u64(m, "meta_version", m->version, p->e)) return -1;
    if (extra_u64(m, "meta_flags", m->flags, p->e)) return -1;
    if (m->flags & 1) { /* MCR fields */
        static const char *const nums[] = {"mcr_tick_source", "mcr_total_threads",
                                           "mcr_atomic_mode", "mcr_total_events",
                                           "mcr_total_checkpoints", "mcr_start_time_unix_us"};
        static const char *const strs[] = {"mcr_platform", "mcr_tick_granularity",
                                           "mcr_tick_source_str", "mcr_atomic_mode_str",
                                           "mcr_start_time_str", "mcr_hook_profile"};
        for (int i = 0; i < 6; i++)
            if (extra_uv(p, m, nums[i])) return -1;
        for (int i = 0; i < 6; i++)
            if (extra_str(p, m, strs[i])) return -1;
        rd_strlist hs = {0};
        int r = strlist(p, &hs, "mcr_hook_strategies");
        buf b = {0};
        buf_byte(&b, '[');
        for (size_t i = 0; i < hs.n; i++) {
            if (i) buf_byte(&b, ',');
            json_str(&b, hs.items[i], hs.lens[i]);
        }
        buf_byte(&b, ']');
        rd_strlist_free(&hs);
        if (r || add_extra(m, "mcr_hook_strategies", &b, p->e)) {
            buf_free(&b);
            return -1;
        }
    }
    if (m->flags & 2) {
        if (p->p >= p->end) return bad(p, "the replay-launch byte is missing");
        if (extra_u64(m, "aslr_disabled", *p->p++ != 0, p->e)) return -1;
    }
    if (m->flags & 4) {
        if (p->end - p->p < 8) return bad(p, "the layout hash is cut short");
        uint64_t h = load_le64(p->p);
        p->p += 8;
        if (extra_u64(m, "layout_hash", h, p->e)) return -1;
        uint64_t n;
        if (vu(p, &n, "layout fingerprint")) return -1;
        if (n > (uint64_t)(p->end - p->p)) return bad(p, "the layout fingerprint runs past the end");
        p->p += n;
        if (extra_u64(m, "layout_fingerprint_bytes", n, p->e)) return -1;
    }
    if (m->flags & 8) {
        uint64_t n;
        if (vu(p, &n, "filter provenance count")) return -1;
        if (n > (uint64_t)(p->end - p->p)) return bad(p, "a count larger than the member");
        buf b = {0};
        buf_byte(&b, '[');
        for (uint64_t i = 0; i < n; i++) {
            char *s;
            size_t sl;
            if (str(p, &s, &sl, "filter provenance path")) {
                buf_free(&b);
                return -1;
            }
            if (i) buf_byte(&b, ',');
            buf_put(&b, "{\"path\":", 8);
            json_str(&b, s, sl);
            free(s);
            if (p->end - p->p < 32) {
                buf_free(&b);
                return bad(p, "a filter sha256 is cut short");
            }
            buf_put(&b, ",\"sha256\":\"", 11);
            for (int k = 0; k < 32; k++) {
                char t[3];
                snprintf(t, sizeof t, "%02x", p->p[k]);
                buf_put(&b, t, 2);
            }
            buf_put(&b, "\"}", 2);
            p->p += 32;
        }
        buf_byte(&b, ']');
        if (add_extra(m, "trace_filter_provenance", &b, p->e)) return -1;
    }
    return 0;
}

ctrec_status ct_meta_parse(ct_meta *m, const uint8_t *d, size_t n, err *e)
{
    memset(m, 0, sizeof *m);
    mp p = {d, d, d + n, e};
    if (parse(m, &p)) return e->status ? e->status : CTREC_E_FORMAT;
    m->present = 1;
    return CTREC_OK;
}

void ct_meta_free(ct_meta *m)
{
    free(m->recording_id);
    free(m->program);
    free(m->workdir);
    free(m->recorder_id);
    rd_strlist_free(&m->args);
    rd_strlist_free(&m->paths);
    for (size_t i = 0; i < m->nextra; i++) {
        free(m->extra_keys[i]);
        free(m->extra_json[i]);
    }
    free(m->extra_keys);
    free(m->extra_json);
    memset(m, 0, sizeof *m);
}
