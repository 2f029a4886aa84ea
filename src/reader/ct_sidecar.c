/*
 * ct_sidecar.c — the BEAM recorders' route around a .ct (docs/ct.md, "The
 * BEAM recorders' sidecar files").
 *
 * The debugger (db-backend ctfs_trace_reader/mod.rs, open_with_ctfs ->
 * open_elixir_sidecar_format, 2026-08) looks beside a .ct it opened for two
 * regular files, trace_meta.json and runtime_session.jsonl. When both are
 * there it reads trace_meta.json whole (as UTF-8) and parses it as JSON; a
 * failure of either ends the open. When its "recorder" is
 * "codetracer-beam-recorder" or "codetracer-elixir-recorder" it builds the
 * trace from runtime_session.jsonl and never reads the container's
 * streams: each object of "manifests" whose "trace_copy_path" names a
 * member of the container has that member parsed as JSON, and each line
 * of the log that is not blank (Rust's str::trim) as JSON too; a member or
 * line that is not JSON, or a line that is not UTF-8, ends the open. Any
 * other recorder, or anything else, and the container is read as usual.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct.h"
#include "util/path.h"
#include "util/text.h"

static const char *const beam_brands[] = {"codetracer-beam-recorder", "codetracer-elixir-recorder"};

/* A Unicode White_Space character (what str::trim removes) at p: its length
 * in bytes, else 0. */
static size_t white(const uint8_t *p, size_t n)
{
    if (*p == ' ' || (*p >= '\t' && *p <= '\r')) return 1;
    if (n >= 2 && p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0)) return 2;
    if (n < 3) return 0;
    unsigned cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    if ((p[0] & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return 3;
    return 0;
}

static int blank(const uint8_t *p, size_t n)
{
    size_t k;
    while (n && (k = white(p, n))) p += k, n -= k;
    return n == 0;
}

static int utf8_ok(const uint8_t *p, size_t n)
{
    int valid;
    utf8_clean_len(p, n, &valid);
    return valid;
}

typedef struct sc {
    ct_sidecar *out;
    size_t limit;
    err e;
} sc;

static int say(sc *s, int state, const char *fmt, ...) ERR_PRINTF(3, 4);
static int say(sc *s, int state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->out->msg, sizeof s->out->msg, fmt, ap);
    va_end(ap);
    s->out->state = state;
    return state;
}

/* Log line `line` (from 1) is longer than the bound. */
static int line_over(sc *s, size_t line)
{
    return say(s, CTREC_CT_SIDECAR_UNDECIDED,
               "runtime_session.jsonl line %zu is over the %zu-byte bound: not checked past it",
               line, s->limit);
}

/* The log's lines, read a window at a time; a line longer than the limit
 * leaves the route undecided. */
static int read_log(sc *s, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return say(s, CTREC_CT_SIDECAR_REFUSED, "runtime_session.jsonl cannot be opened (%s)",
                   strerror(errno));
    /* b[off, n): read and not yet taken apart into lines */
    size_t cap = 1u << 16, n = 0, off = 0, lines = 0;
    uint64_t events = 0;
    char *b = malloc(cap + 1);
    int state = -1, eof = 0;
    if (!b) goto done;
    while (state < 0) {
        char *nl = memchr(b + off, '\n', n - off);
        if (!nl && !eof) {
            if (off) { /* the partial line to the front, once per read */
                memmove(b, b + off, n - off);
                n -= off;
                off = 0;
            }
            if (n == cap) {
                if (cap > s->limit) {
                    state = line_over(s, lines + 1);
                    break;
                }
                char *g = realloc(b, cap * 2 + 1);
                if (!g) goto done;
                b = g, cap *= 2;
            }
            ssize_t k = read(fd, b + n, cap - n);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) {
                state = say(s, CTREC_CT_SIDECAR_REFUSED, "runtime_session.jsonl cannot be read (%s)",
                            strerror(errno));
                break;
            }
            if (k == 0) eof = 1;
            n += (size_t)k;
            continue;
        }
        if (!nl && n == off) break; /* the end */
        char *line = b + off;
        size_t len = nl ? (size_t)(nl - line) : n - off, used = nl ? len + 1 : n - off;
        lines++;
        if (len > s->limit) {
            state = line_over(s, lines);
            break;
        }
        size_t body = len && line[len - 1] == '\r' ? len - 1 : len; /* BufRead::lines */
        if (!utf8_ok((const uint8_t *)line, body)) {
            state = say(s, CTREC_CT_SIDECAR_REFUSED, "runtime_session.jsonl line %zu is not UTF-8", lines);
            break;
        }
        if (!blank((const uint8_t *)line, body)) {
            char keep = line[body];
            line[body] = 0;
            int ok = json_value_ok(line, body, &s->e);
            line[body] = keep;
            if (!ok) {
                if (s->e.status == CTREC_E_NOMEM) goto done;
                state = say(s, CTREC_CT_SIDECAR_REFUSED, "runtime_session.jsonl line %zu is not JSON: %s",
                            lines, s->e.msg);
                break;
            }
            events++;
        }
        off += used;
    }
    if (state < 0) state = CTREC_CT_SIDECAR_BEAM;
    s->out->events = events;
done:
    free(b);
    close(fd);
    return state; /* -1: out of memory */
}

int ct_sidecar_eval(ctfs *c, const char *dir, size_t limit, ct_sidecar *out)
{
    memset(out, 0, sizeof *out);
    sc s = {out, limit, {0}};
    char *meta_path = path_join(dir, "trace_meta.json"), *log_path = path_join(dir, "runtime_session.jsonl");
    char *text = NULL, *recorder = NULL, *member = NULL;
    rd_strlist copies = {0};
    int state = -1;
    if (!meta_path || !log_path) goto done;
    if (!path_is_file(meta_path) || !path_is_file(log_path)) {
        state = CTREC_CT_SIDECAR_NONE;
        goto done;
    }
    size_t len;
    int r = path_read(meta_path, limit, &text, &len);
    if (r == -2) goto done;
    if (r == -1) {
        state = say(&s, CTREC_CT_SIDECAR_REFUSED, "trace_meta.json cannot be read (%s)", strerror(errno));
        goto done;
    }
    if (r == 1) {
        state = say(&s, CTREC_CT_SIDECAR_UNDECIDED, "trace_meta.json is %zu bytes, over the %zu-byte bound",
                    len, limit);
        goto done;
    }
    if (json_beam_meta(text, len, &recorder, &copies, &s.e)) {
        if (s.e.status == CTREC_E_NOMEM) goto done;
        state = say(&s, CTREC_CT_SIDECAR_REFUSED, "trace_meta.json is not JSON: %s", s.e.msg);
        goto done;
    }
    int brand = 0;
    for (size_t i = 0; recorder && i < sizeof beam_brands / sizeof beam_brands[0]; i++)
        if (!strcmp(recorder, beam_brands[i])) brand = 1;
    if (!brand) {
        state = CTREC_CT_SIDECAR_NONE;
        goto done;
    }
    snprintf(out->recorder, sizeof out->recorder, "%s", recorder);
    for (size_t i = 0; i < copies.n; i++) {
        const ctfs_member *m = ctfs_find(c, copies.items[i]);
        if (!m) continue; /* read_file fails: the manifest is passed over */
        if (m->size > limit) {
            state = say(&s, CTREC_CT_SIDECAR_UNDECIDED,
                        "the manifest member %s is %llu bytes, over the %zu-byte bound",
                        copies.items[i], (unsigned long long)m->size, limit);
            goto done;
        }
        member = malloc((size_t)m->size + 1);
        if (!member) goto done;
        err e = {0};
        if (ctfs_read_at(c, m, 0, member, (size_t)m->size, &e)) {
            state = say(&s, CTREC_CT_SIDECAR_REFUSED, "the manifest member %s does not read: %s",
                        copies.items[i], e.msg);
            goto done;
        }
        member[m->size] = 0;
        if (!json_value_ok(member, (size_t)m->size, &s.e)) {
            if (s.e.status == CTREC_E_NOMEM) goto done;
            state = say(&s, CTREC_CT_SIDECAR_REFUSED,
                        "the manifest member %s (trace_meta.json's trace_copy_path) is not JSON: %s",
                        copies.items[i], s.e.msg);
            goto done;
        }
        free(member);
        member = NULL;
    }
    state = read_log(&s, log_path);
    if (state == CTREC_CT_SIDECAR_BEAM)
        say(&s, CTREC_CT_SIDECAR_BEAM,
            "the debugger builds this trace from runtime_session.jsonl beside it (%llu event%s; "
            "trace_meta.json's recorder is %s), not from the container",
            (unsigned long long)out->events, out->events == 1 ? "" : "s", out->recorder);
done:
    free(meta_path);
    free(log_path);
    free(text);
    free(recorder);
    free(member);
    rd_strlist_free(&copies);
    return state;
}
