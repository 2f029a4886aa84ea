/*
 * fuzz_common.h — shared by the reader fuzz targets: a per-process
 * temporary folder (in /dev/shm when available) reused across runs, and the
 * read/convert/re-read round trip every reader target performs:
 *
 *   1. read every event of the trace (errors are fine: they must be clean,
 *      with a message, and sticky);
 *   2. spell each event with ctrec_event_to_json(): the text must be valid
 *      JSON;
 *   3. write each event through a writer with ctrec_write_event() (as
 *      `ctrec convert` does) in the chosen format: the resulting trace must
 *      be valid (strict validators of validate.h), hold every event the
 *      writer accepted, and read back to the very same JSON texts.
 */
#ifndef CTREC_FUZZ_COMMON_H
#define CTREC_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FAIL(...)                      \
    do {                                  \
        fprintf(stderr, "fuzz: " __VA_ARGS__); \
        fputc('\n', stderr);              \
        abort();                          \
    } while (0)

static char fz_in[256];  /* the input trace folder */
static char fz_out[256]; /* the converted trace folder */

static inline void fz_init(const char *name)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_in, sizeof fz_in, "%s/ctrec-fuzz-%s-XXXXXX", base, name);
    if (!mkdtemp(fz_in)) {
        perror("mkdtemp");
        abort();
    }
    snprintf(fz_out, sizeof fz_out, "%s/out", fz_in);
    snprintf(fz_in + strlen(fz_in), sizeof fz_in - strlen(fz_in), "/in");
    mkdir(fz_in, 0700);
}

static inline void fz_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Writes (or with p NULL removes) dir/name. */
static inline void fz_put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[512];
    fz_path(path, sizeof path, dir, name);
    unlink(path);
    if (!p) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) FZ_FAIL("cannot create %s", path);
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) FZ_FAIL("cannot write %s", path);
        p += k;
        n -= (size_t)k;
    }
    close(fd);
}

static inline void fz_clear(const char *dir)
{
    static const char *const names[] = {"trace.json", "trace.bin", "trace_metadata.json",
                                        "trace_paths.json"};
    for (size_t i = 0; i < 4; i++) fz_put(dir, names[i], NULL, 0);
}

/* The JSON texts of a trace's events, one after another, each ended by a
 * newline. */
typedef struct fz_texts {
    char *p;
    size_t len, cap;
    uint64_t n;
} fz_texts;

static inline void fz_texts_add(fz_texts *t, const char *s, size_t n)
{
    if (t->cap - t->len < n + 1) {
        size_t nc = (t->cap + n + 1) * 2;
        char *p = realloc(t->p, nc);
        if (!p) FZ_FAIL("out of memory");
        t->p = p;
        t->cap = nc;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len++] = '\n';
    t->n++;
}

static inline void fz_check_status(ctrec_status st, const char *what)
{
    if (st < 0 || st > CTREC_E_UNSUPPORTED) FZ_FAIL("%s: status %d out of range", what, (int)st);
}

/* Reads the trace at `dir`; returns the JSON texts of the events read (in
 * `all`) and of those the writer `w` (if any) accepted (in `written`), and
 * 1 when the read ended at the trace's end (no error, no cap), else 0. */
static inline int fz_read(const char *dir, ctrec_writer *w, fz_texts *all, fz_texts *written,
                          unsigned max_depth)
{
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    if (max_depth) ro.max_depth = max_depth;
    ro.max_event_bytes = 1u << 22;
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(dir, &ro, &r);
    fz_check_status(st, "open");
    if (!r) FZ_FAIL("open gave no handle");
    const char *m = ctrec_reader_errmsg(r);
    if (!m) FZ_FAIL("NULL errmsg");
    if (st) {
        if (!m[0]) FZ_FAIL("open failed without a message");
        const ctrec_ev *ev = (const ctrec_ev *)1;
        if (ctrec_reader_next(r, &ev) == CTREC_OK) FZ_FAIL("next after a failed open is OK");
        ctrec_reader_close(r);
        return 0;
    }
    /* side files: touch everything */
    const ctrec_trace_metadata *md = ctrec_reader_metadata(r);
    if (!md || !md->recording_id || !md->workdir || !md->program) FZ_FAIL("metadata");
    for (size_t i = 0; i < md->nargs; i++)
        if (!md->args[i]) FZ_FAIL("metadata arg %zu NULL", i);
    size_t np = ctrec_reader_path_count(r);
    for (size_t i = 0; i <= np; i++) {
        size_t len = 0;
        const char *p = ctrec_reader_path(r, i, &len);
        if ((i < np) != (p != NULL)) FZ_FAIL("path %zu", i);
        if (p && p[len] != 0) FZ_FAIL("path %zu not NUL-terminated", i);
    }
    char *buf = NULL;
    size_t cap = 0, len = 0;
    const ctrec_ev *ev;
    uint64_t k = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        k++;
        if (ctrec_reader_event_count(r) != k) FZ_FAIL("event count");
        ctrec_status js = ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &buf, &cap, &len);
        if (js == CTREC_E_VALUE) {
            /* a spelling the lenient reader forgave (a BigInt's non-canonical
             * base64) is one the writer refuses to write; any other event
             * must be spelled */
            uint64_t nforgiven = 0;
            ctrec_reader_forgiven(r, &nforgiven, NULL);
            if (nforgiven) continue;
        }
        if (js) FZ_FAIL("event %llu: ctrec_event_to_json: %s", (unsigned long long)k,
                        ctrec_status_name(js));
        vresult vr;
        if (!v_json_value((const uint8_t *)buf, len, &vr))
            FZ_FAIL("event %llu spelled as invalid JSON (%s): %.*s", (unsigned long long)k, vr.msg,
                    (int)(len > 300 ? 300 : len), buf);
        fz_texts_add(all, buf, len);
        if (w) {
            ctrec_status ws = ctrec_write_event(w, ev);
            fz_check_status(ws, "write_event");
            if (ws == CTREC_E_IO || ws == CTREC_E_FAILED || ws == CTREC_E_NOMEM)
                FZ_FAIL("write_event made the writer fail: %s", ctrec_writer_errmsg(w));
            if (!ws) fz_texts_add(written, buf, len);
        }
        if (k > 100000) break;
    }
    int complete = st == CTREC_OK && k <= 100000;
    if (st) {
        fz_check_status(st, "next");
        if (!ctrec_reader_errmsg(r)[0]) FZ_FAIL("next failed without a message");
        const ctrec_ev *ev2 = (const ctrec_ev *)1;
        if (ctrec_reader_next(r, &ev2) != st) FZ_FAIL("the error is not sticky");
    }
    free(buf);
    ctrec_reader_close(r);
    return complete;
}

/* The whole round trip on the trace in fz_in; `fmt` is the format the
 * events are converted to. */
static inline void fz_roundtrip(ctrec_format fmt, unsigned max_depth)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    o.copy_sources = 0;
    o.io_thread = 0;
    o.compress_thread = 0;
    o.zstd_level = 1;
    o.buffer_size = 4096;
    o.frame_size = 4096;
    fz_clear(fz_out);
    ctrec_writer *w = NULL;
    if (ctrec_writer_open(fz_out, &o, &w)) FZ_FAIL("writer open: %s", ctrec_writer_errmsg(w));
    fz_texts all = {0}, written = {0};
    fz_read(fz_in, w, &all, &written, max_depth);
    uint64_t nev = ctrec_writer_event_count(w);
    ctrec_status st = ctrec_writer_close(w);
    if (st) FZ_FAIL("writer close: %s", ctrec_status_name(st));
    if (nev != written.n)
        FZ_FAIL("the writer counted %llu events, accepted %llu", (unsigned long long)nev,
                (unsigned long long)written.n);

    /* the converted trace is valid */
    char path[512];
    fz_path(path, sizeof path, fz_out, fmt == CTREC_FORMAT_JSON ? "trace.json" : "trace.bin");
    size_t n;
    uint8_t *b = v_read_file(path, 1u << 28, &n);
    if (!b) FZ_FAIL("no converted trace");
    vresult vr;
    int ok = fmt == CTREC_FORMAT_JSON ? v_json_trace(b, n, &vr) : v_trace_bin(b, n, 1, 1u << 28, &vr);
    if (!ok) FZ_FAIL("converted trace invalid at byte %zu: %s", vr.err_at, vr.msg);
    if (vr.items != written.n)
        FZ_FAIL("converted trace holds %llu events, %llu written", (unsigned long long)vr.items,
                (unsigned long long)written.n);
    if (fmt == CTREC_FORMAT_JSON) {
        /* line i of the file is exactly text i */
        if (n < 2 || memcmp(b, "[\n", 2) != 0) FZ_FAIL("converted trace.json start");
        const char *line = (const char *)b + 2, *t = written.p;
        for (uint64_t i = 0; i < written.n; i++) {
            const char *te = memchr(t, '\n', written.len - (size_t)(t - written.p));
            const char *le = memchr(line, '\n', n - (size_t)(line - (const char *)b));
            if (!te || !le) FZ_FAIL("converted trace.json lines");
            size_t ll = (size_t)(le - line);
            if (ll && line[ll - 1] == ',') ll--;
            if (ll != (size_t)(te - t) || memcmp(line, t, ll) != 0)
                FZ_FAIL("event %llu: to_json says\n%.*s\nthe writer wrote\n%.*s",
                        (unsigned long long)i, (int)(te - t), t, (int)ll, line);
            t = te + 1;
            line = le + 1;
        }
    }
    free(b);

    /* and reads back to the same texts */
    fz_texts again = {0}, none = {0};
    fz_read(fz_out, NULL, &again, &none, 0);
    if (again.n != written.n || again.len != written.len ||
        (again.len && memcmp(again.p, written.p, again.len) != 0)) {
        size_t i = 0;
        while (i < again.len && i < written.len && again.p[i] == written.p[i]) i++;
        size_t s = i > 200 ? i - 200 : 0;
        FZ_FAIL("re-read differs (%llu vs %llu events) at text byte %zu:\nread back: %.*s\nwritten:   %.*s",
                (unsigned long long)again.n, (unsigned long long)written.n, i,
                (int)((again.len - s) > 400 ? 400 : again.len - s), again.p + s,
                (int)((written.len - s) > 400 ? 400 : written.len - s), written.p + s);
    }
    free(all.p);
    free(written.p);
    free(again.p);
}

static inline ZSTD_CCtx *fz_cctx(void)
{
    static ZSTD_CCtx *c;
    if (!c) {
        c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
    }
    return c;
}

static inline void fz_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The bytes p[0..n) as the decompressed stream of a trace.bin: header,
 * zstd frames cut every 2^(4 + bits 4-6 of f) bytes, then the seek table,
 * unless bit 1 of f drops it or bit 2 cuts the file short in its last
 * frame. */
static inline uint8_t *fz_wrap_bin(const uint8_t *p, size_t n, uint8_t f, size_t *outn)
{
    size_t chunk = (size_t)1 << (4 + ((f >> 4) & 7));
    size_t nframes = n ? (n + chunk - 1) / chunk : 0;
    size_t cap = 8 + nframes * (ZSTD_compressBound(chunk)) + 8 * nframes + 17;
    uint8_t *o = malloc(cap);
    uint32_t *ent = malloc((nframes ? nframes : 1) * 8);
    if (!o || !ent) FZ_FAIL("out of memory");
    static const uint8_t hdr[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00};
    memcpy(o, hdr, 8);
    size_t len = 8, last = 8;
    for (size_t i = 0; i < nframes; i++) {
        size_t part = n - i * chunk < chunk ? n - i * chunk : chunk;
        size_t c = ZSTD_compress2(fz_cctx(), o + len, cap - len, p + i * chunk, part);
        if (ZSTD_isError(c)) FZ_FAIL("zstd: %s", ZSTD_getErrorName(c));
        ent[2 * i] = (uint32_t)c;
        ent[2 * i + 1] = (uint32_t)part;
        last = len;
        len += c;
    }
    if (f & 4) {
        if (len > last + 1) len = last + (len - last) / 2; /* cut the last frame */
    } else if (!(f & 2)) {
        fz_le32(o + len, 0x184D2A5Eu);
        fz_le32(o + len + 4, (uint32_t)(8 * nframes + 9));
        len += 8;
        for (size_t i = 0; i < nframes; i++) {
            fz_le32(o + len, ent[2 * i]);
            fz_le32(o + len + 4, ent[2 * i + 1]);
            len += 8;
        }
        fz_le32(o + len, (uint32_t)nframes);
        o[len + 4] = 0;
        fz_le32(o + len + 5, 0x8F92EAB1u);
        len += 9;
    }
    free(ent);
    *outn = len;
    return o;
}

/* The next part of an input made of parts separated by "\n@@\n" (a trace
 * file, trace_paths.json, trace_metadata.json): returns it with its length
 * in *n and moves *p past the separator (NULL after the last part). */
static inline const uint8_t *fz_part(const uint8_t **p, const uint8_t *end, size_t *n)
{
    const uint8_t *s = *p;
    if (!s) return NULL;
    for (const uint8_t *q = s; q + 4 <= end; q++) {
        if (q[0] == '\n' && q[1] == '@' && q[2] == '@' && q[3] == '\n') {
            *n = (size_t)(q - s);
            *p = q + 4;
            return s;
        }
    }
    *n = (size_t)(end - s);
    *p = NULL;
    return s;
}

#endif
