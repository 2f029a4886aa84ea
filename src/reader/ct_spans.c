/*
 * ct_spans.c — the span stream of a .ct (spans.dat + spans.idx, present
 * when meta.dat sets flag 0x2000): labelled intervals of execution, read
 * record by record in append order.
 *
 * spans.idx: u32 records-per-chunk hint, u16 index version (2), u16 0, then
 * per chunk [u64 offset into spans.dat][u64 records in chunks 0..i]. Chunks
 * may be short anywhere (a recorder seals one per request), so the running
 * total, not the hint, says how many records a chunk holds. Each chunk is a
 * zstd frame of length-prefixed records. Everything that could misplace a
 * record is refused with the member and byte offset, as the debugger's
 * reader refuses it (fail closed); the index is read one entry at a time,
 * so memory is one chunk whatever the stream's length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "ct.h"
#include "util/text.h"

#define SPAN_FLAGS_KNOWN 0x03u
#define SPAN_STRUCTURAL_KNOWN 0x07u

struct ct_spans {
    ctfs *c;
    const ctfs_member *dat, *idx;
    size_t limit;
    uint64_t nchunks;
    uint64_t chunk;       /* next chunk to load */
    uint64_t prev_off;    /* offset of the chunk loaded, for checks */
    uint64_t cum;         /* records in the chunks loaded so far */
    uint64_t chunk_total; /* the index's running total for the loaded chunk */
    uint64_t rec;         /* records delivered */
    uint64_t chunk_at;    /* byte of the loaded chunk in spans.dat */
    uint8_t *cbuf, *dbuf;
    size_t ccap, dcap, dlen, pos;
    void *zd;
};

ctrec_status ct_spans_open(ct_spans **out, ctfs *c, const ct_meta *m, size_t limit, err *e)
{
    *out = NULL;
    if (!m->present || !(m->flags & CT_FLAG_SPANS)) return CTREC_OK;
    const ctfs_member *dat = ctfs_find(c, "spans.dat"), *idx = ctfs_find(c, "spans.idx");
    /* the flag without the members: read past (ct_layout.c notes it), as
     * recorders newer than the reference library set it */
    if (!dat || !idx) return CTREC_OK;
    uint8_t h[8];
    if (idx->size < 8)
        return err_set(e, CTREC_E_FORMAT, "spans.idx: %llu bytes, too short for its 8-byte header",
                       (unsigned long long)idx->size);
    ctrec_status st = ctfs_read_at(c, idx, 0, h, 8, e);
    if (st) return st;
    unsigned per = load_le32(h), ver = load_le16(h + 4), rsv = load_le16(h + 6);
    if (per == 0) return err_set(e, CTREC_E_FORMAT, "spans.idx: records per chunk is 0 (byte 0)");
    if (ver != 2)
        return err_set(e, CTREC_E_FORMAT, "spans.idx: index version %u at byte 4, not 2", ver);
    if (rsv != 0)
        return err_set(e, CTREC_E_FORMAT, "spans.idx: reserved field at byte 6 is %u, not 0", rsv);
    if ((idx->size - 8) % 16)
        return err_set(e, CTREC_E_FORMAT,
                       "spans.idx: %llu bytes, not an 8-byte header and 16-byte entries",
                       (unsigned long long)idx->size);
    ct_spans *s = calloc(1, sizeof *s);
    if (!s) return err_set(e, CTREC_E_NOMEM, "out of memory");
    s->c = c;
    s->dat = dat;
    s->idx = idx;
    s->limit = limit;
    s->nchunks = (idx->size - 8) / 16;
    *out = s;
    return CTREC_OK;
}

void ct_spans_close(ct_spans *s)
{
    if (!s) return;
    free(s->cbuf);
    free(s->dbuf);
    ZSTD_freeDCtx(s->zd);
    free(s);
}

void ct_spans_rewind(ct_spans *s)
{
    s->chunk = s->prev_off = s->cum = s->chunk_total = s->rec = 0;
    s->dlen = s->pos = 0;
}

/* Loads the next chunk. 1: loaded (it may hold no record), 0: no more. */
static int load_chunk(ct_spans *s, err *e)
{
    if (s->chunk >= s->nchunks) return 0;
    uint64_t i = s->chunk, at = 8 + 16 * i;
    uint8_t b[24];
    int have_next = i + 1 < s->nchunks;
    if (ctfs_read_at(s->c, s->idx, at, b, have_next ? 24 : 16, e)) return -1;
    uint64_t start = load_le64(b), total = load_le64(b + 8);
    uint64_t end = have_next ? load_le64(b + 16) : s->dat->size;
    if (start < s->prev_off || start > s->dat->size) {
        err_set(e, CTREC_E_FORMAT,
                "spans.idx: chunk %llu (entry at byte %llu) starts at byte %llu of spans.dat, %s",
                (unsigned long long)i, (unsigned long long)at, (unsigned long long)start,
                start > s->dat->size ? "past its end" : "before the previous chunk");
        return -1;
    }
    if (end < start || end > s->dat->size) {
        err_set(e, CTREC_E_FORMAT,
                "spans.idx: chunk %llu (entry at byte %llu) ends at byte %llu of spans.dat, "
                "outside [%llu, %llu]",
                (unsigned long long)i, (unsigned long long)at, (unsigned long long)end,
                (unsigned long long)start, (unsigned long long)s->dat->size);
        return -1;
    }
    if (total < s->cum) {
        err_set(e, CTREC_E_FORMAT,
                "spans.idx: chunk %llu (entry at byte %llu): running total %llu is below the "
                "previous chunk's %llu",
                (unsigned long long)i, (unsigned long long)(at + 8), (unsigned long long)total,
                (unsigned long long)s->cum);
        return -1;
    }
    s->chunk++;
    s->prev_off = start;
    s->chunk_at = start;
    s->chunk_total = total;
    s->dlen = s->pos = 0;
    if (end == start) return 1; /* an empty chunk */
    /* the last chunk runs to the end of the member: its frame may be
     * followed by bytes of a chunk not indexed yet, which are not read */
    size_t got = 0;
    ct_zbufs z = {&s->cbuf, &s->ccap, &s->dbuf, &s->dcap, &s->zd};
    if (ct_inflate_chunk(s->c, s->dat, "spans.dat", i, start, end, s->limit, !have_next, z, &got,
                         e))
        return -1;
    s->dlen = got;
    return 1;
}

typedef struct {
    const uint8_t *p, *end, *base;
    ct_spans *s;
    uint64_t rec;
    size_t rec_at;
    err *e;
} rd;

static int bad(rd *r, const char *what)
{
    err_set(r->e, CTREC_E_FORMAT,
            "spans.dat: record %llu (chunk %llu at byte %llu, byte %zu of the chunk): %s",
            (unsigned long long)r->rec, (unsigned long long)(r->s->chunk - 1),
            (unsigned long long)r->s->chunk_at, r->rec_at, what);
    return -1;
}

static int uv(rd *r, uint64_t *v, const char *what)
{
    int k = ct_varint(&r->p, r->end, v);
    if (!k) return 0;
    char m[96];
    snprintf(m, sizeof m, "%s: %s", what, k == -1 ? "the record ends inside its varint"
                                                  : "a varint longer than 10 bytes");
    return bad(r, m);
}

static int str(rd *r, ctrec_str *out, const char *what)
{
    uint64_t n;
    if (uv(r, &n, what)) return -1;
    char m[96];
    if (n > (uint64_t)(r->end - r->p)) {
        snprintf(m, sizeof m, "%s: %llu bytes, past the end of the record", what,
                 (unsigned long long)n);
        return bad(r, m);
    }
    int valid = 0;
    utf8_clean_len(r->p, (size_t)n, &valid);
    if (!valid) {
        snprintf(m, sizeof m, "%s is not valid UTF-8", what);
        return bad(r, m);
    }
    *out = (ctrec_str){(const char *)r->p, (size_t)n};
    r->p += n;
    return 0;
}

static int decode(rd *r, ctrec_span *sp, arena *a)
{
    memset(sp, 0, sizeof *sp);
    if (uv(r, &sp->span_id, "span_id") || uv(r, &sp->parent_span_id, "parent_span_id")) return -1;
    if (sp->span_id == 0) return bad(r, "span_id 0 (span ids are 1-based)");
    if (r->end - r->p < 2) return bad(r, "the record ends before its flags and status");
    sp->flags = r->p[0];
    sp->status = r->p[1];
    r->p += 2;
    char m[96];
    if (sp->flags & ~SPAN_FLAGS_KNOWN) {
        snprintf(m, sizeof m, "unknown flag bits 0x%02x", sp->flags);
        return bad(r, m);
    }
    if (sp->status > 2) {
        snprintf(m, sizeof m, "status %u is not 0 (unknown), 1 (ok) or 2 (error)", sp->status);
        return bad(r, m);
    }
    if (uv(r, &sp->start_wall_ns, "start_wall_ns") || uv(r, &sp->end_wall_ns, "end_wall_ns") ||
        uv(r, &sp->process_ord, "process_ord") || uv(r, &sp->thread_id, "thread_id") ||
        uv(r, &sp->start_step, "start_step") || uv(r, &sp->end_step, "end_step"))
        return -1;
    if ((sp->flags & 1) && (sp->end_wall_ns || sp->end_step))
        return bad(r, "an open record with a non-zero end_wall_ns or end_step");
    if ((sp->flags & 2) && (str(r, &sp->external_recording, "external_recording") ||
                            str(r, &sp->external_path, "external_path")))
        return -1;
    if (str(r, &sp->span_type, "span_type") || str(r, &sp->label, "label")) return -1;
    if (r->p >= r->end) return bad(r, "the record ends before its structural byte");
    sp->structural = *r->p++;
    if (sp->structural & ~SPAN_STRUCTURAL_KNOWN) {
        snprintf(m, sizeof m, "unknown structural bits 0x%02x", sp->structural);
        return bad(r, m);
    }
    uint64_t n;
    if (uv(r, &n, "metadata count")) return -1;
    /* each pair takes at least two bytes */
    if (n > (uint64_t)(r->end - r->p) / 2) return bad(r, "more metadata pairs than bytes left");
    ctrec_str *md = n ? arena_alloc(a, (size_t)n * 2 * sizeof *md) : NULL;
    if (n && !md) {
        err_set(r->e, CTREC_E_NOMEM, "out of memory");
        return -1;
    }
    for (uint64_t i = 0; i < n; i++)
        if (str(r, &md[2 * i], "metadata key") || str(r, &md[2 * i + 1], "metadata value"))
            return -1;
    sp->metadata = md;
    sp->metadata_count = (size_t)n;
    if (r->p != r->end) {
        snprintf(m, sizeof m, "%zu bytes after the record's last field", (size_t)(r->end - r->p));
        return bad(r, m);
    }
    return 0;
}

int ct_spans_next(ct_spans *s, ctrec_ev *ev, arena *a, err *e)
{
    while (s->pos >= s->dlen) {
        /* the chunk is used up: its record count must be the index's */
        if (s->chunk && s->cum != s->chunk_total) {
            err_set(e, CTREC_E_FORMAT,
                    "spans.idx: chunk %llu (entry at byte %llu) says %llu records so far; the "
                    "chunks hold %llu",
                    (unsigned long long)(s->chunk - 1), (unsigned long long)(8 + 16 * (s->chunk - 1) + 8),
                    (unsigned long long)s->chunk_total, (unsigned long long)s->cum);
            return -1;
        }
        int k = load_chunk(s, e);
        if (k <= 0) return k;
    }
    rd r = {s->dbuf + s->pos, s->dbuf + s->dlen, s->dbuf, s, s->rec, s->pos, e};
    uint64_t n;
    if (uv(&r, &n, "record length")) return -1;
    if (n > (uint64_t)(r.end - r.p)) return bad(&r, "its length runs past the chunk");
    r.end = r.p + n;
    ctrec_span *sp = arena_alloc(a, sizeof *sp);
    if (!sp) {
        err_set(e, CTREC_E_NOMEM, "out of memory");
        return -1;
    }
    if (decode(&r, sp, a)) return -1;
    s->pos = (size_t)(r.end - s->dbuf);
    s->rec++;
    s->cum++;
    ev->type = CTREC_EV_SPAN;
    ev->span = sp;
    return 1;
}
