/*
 * ct_log.c — the older layout of a .ct (FORMAT.md 7.3): one member
 * `events.log` holding the event stream, either as chunks
 * ([u32 compressed size][u32 event count][u64 first event id] + one zstd
 * frame) or as plain bytes; the payload is trace.bin's CBOR events, or,
 * when `events.fmt` says "split-binary", the split-binary encoding
 * (split_binary.nim: a tag byte, little-endian fixed fields, u32-length
 * strings, u32-length CBOR payloads for values, types and call arguments).
 * A third form is trace.bin's own bytes: the header C0 DE 72 AC E2 01 00 00
 * and a zstd seekable stream of CBOR events, as the Rust crate's CTFS
 * writer writes events.log (codetracer-trace-format ctfs_writer.rs);
 * bin_source.c decodes it, reading the member instead of a file.
 * CBOR payloads go through the reader's window and CBOR parser (reader.c);
 * split-binary events are decoded here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "ct.h"

struct ct_log {
    ctfs *c;
    const ctfs_member *m;
    size_t limit;
    int chunked;
    uint64_t off;       /* next byte of events.log */
    uint64_t chunk_off; /* the chunk being decoded */
    uint8_t *cbuf, *dbuf;
    size_t ccap, dcap, dlen, dpos;
    ZSTD_DCtx *zd;
    uint64_t nevents;
    /* trace.bin's form: its seekable stream, read from the member */
    ctrec_reader_options bo; /* the reader's, without follow (the member is whole) */
    rd_file bf;
    bin_source *bin;
};

static const uint8_t bin_header[8] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00};

ctrec_status ct_log_open(ct_log **out, ctfs *c, const ctrec_reader_options *o, rd_forgiven *fg,
                         err *e)
{
    size_t limit = o->max_event_bytes;
    *out = NULL;
    const ctfs_member *m = ctfs_find(c, "events.log");
    if (!m) return err_set(e, CTREC_E_FORMAT, "no events.log");
    ct_log *l = calloc(1, sizeof *l);
    if (!l) return err_set(e, CTREC_E_NOMEM, "out of memory");
    l->c = c;
    l->m = m;
    l->limit = limit;
    /* chunked when it starts with a chunk header followed by a zstd frame,
     * after trace.bin's header or not (the Elixir recorder writes one);
     * else trace.bin's form when it starts with that header */
    if (m->size >= 8) {
        uint8_t h[28] = {0};
        ctrec_status st = ctfs_read_at(c, m, 0, h, m->size < 28 ? (size_t)m->size : 28, e);
        if (st) {
            free(l);
            return st;
        }
        int hdr = memcmp(h, bin_header, 8) == 0;
        const uint8_t *q = h + (hdr ? 8 : 0);
        uint64_t room = m->size - (hdr ? 8 : 0);
        uint32_t cs = load_le32(q);
        l->chunked = room >= 20 && q[16] == 0x28 && q[17] == 0xb5 && q[18] == 0x2f &&
                     q[19] == 0xfd && cs <= room - 16;
        if (l->chunked) l->off = hdr ? 8 : 0;
        if (!l->chunked && hdr) {
            l->bo = *o;
            l->bo.follow = 0;
            l->bf = (rd_file){.fd = -1, .off = 8, .o = &l->bo, .name = "events.log", .fg = fg,
                              .c = c, .m = m};
            if (!(l->bin = bin_open(&l->bf))) {
                free(l);
                return err_set(e, CTREC_E_NOMEM, "out of memory");
            }
        }
    }
    *out = l;
    return CTREC_OK;
}

void ct_log_close(ct_log *l)
{
    if (!l) return;
    bin_close(l->bin);
    free(l->cbuf);
    free(l->dbuf);
    ZSTD_freeDCtx(l->zd);
    free(l);
}

uint64_t ct_log_offset(const ct_log *l)
{
    return !l ? 0 : l->bin ? bin_frame_offset(l->bin) : l->chunked ? l->chunk_off : l->off;
}

/* The decompressed size of the zstd frames filling p[0..n): the sum of
 * their stated content sizes, ZSTD_CONTENTSIZE_UNKNOWN when one does not
 * state it, ZSTD_CONTENTSIZE_ERROR when the bytes are not whole frames. */
static unsigned long long frames_size(const uint8_t *p, size_t n)
{
    unsigned long long sum = 0;
    int unknown = 0;
    while (n) {
        size_t k = ZSTD_findFrameCompressedSize(p, n);
        if (ZSTD_isError(k) || k > n) return ZSTD_CONTENTSIZE_ERROR;
        unsigned long long f = ZSTD_getFrameContentSize(p, k);
        if (f == ZSTD_CONTENTSIZE_ERROR) return f;
        if (f == ZSTD_CONTENTSIZE_UNKNOWN) unknown = 1;
        else if ((sum += f) < f) return ZSTD_CONTENTSIZE_ERROR;
        p += k, n -= k;
    }
    return unknown ? ZSTD_CONTENTSIZE_UNKNOWN : sum;
}

/* Decompresses the next chunk into dbuf. 1, 0 at the end, -1. */
static int next_chunk(ct_log *l, err *e)
{
    if (l->off >= l->m->size) return 0;
    if (l->m->size - l->off < 16)
        return err_set(e, CTREC_E_TRUNCATED,
                       "events.log: a chunk header cut short at byte %llu",
                       (unsigned long long)l->off),
               -1;
    uint8_t h[16];
    if (ctfs_read_at(l->c, l->m, l->off, h, 16, e)) return -1;
    uint64_t cs = load_le32(h);
    l->chunk_off = l->off;
    if (cs > l->m->size - l->off - 16)
        return err_set(e, CTREC_E_FORMAT,
                       "events.log: the chunk at byte %llu claims %llu compressed bytes, past "
                       "the member's end",
                       (unsigned long long)l->off, (unsigned long long)cs),
               -1;
    if (cs > l->limit)
        return err_bound(e, "events.log: the chunk at byte %llu is %llu compressed bytes, over "
                         "the %zu-byte limit",
                         (unsigned long long)l->off, (unsigned long long)cs, l->limit),
               -1;
    if (cs > l->ccap) {
        uint8_t *p = realloc(l->cbuf, (size_t)cs);
        if (!p) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
        l->cbuf = p;
        l->ccap = (size_t)cs;
    }
    if (ctfs_read_at(l->c, l->m, l->off + 16, l->cbuf, (size_t)cs, e)) return -1;
    if (!l->zd && !(l->zd = ZSTD_createDCtx())) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    /* Every frame of the chunk (the debugger decodes them all, zstd
     * decode_all), stating its content size or not: the Elixir recorder's
     * frames do not. Known sizes are decoded in one call into a buffer of
     * their sum; otherwise the frames are streamed into a buffer grown up to
     * the limit. */
    unsigned long long want = frames_size(l->cbuf, (size_t)cs);
    if (want == ZSTD_CONTENTSIZE_ERROR)
        return err_set(e, CTREC_E_FORMAT, "events.log: the chunk at byte %llu is not zstd frames",
                       (unsigned long long)l->off),
               -1;
    if (want != ZSTD_CONTENTSIZE_UNKNOWN && want > l->limit)
        return err_bound(e, "events.log: the chunk at byte %llu states %llu decompressed bytes, "
                         "over the %zu-byte limit",
                         (unsigned long long)l->off, want, l->limit),
               -1;
    size_t got;
    if (want != ZSTD_CONTENTSIZE_UNKNOWN) {
        if (want + 1 > l->dcap) {
            uint8_t *p = realloc(l->dbuf, (size_t)want + 1);
            if (!p) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
            l->dbuf = p;
            l->dcap = (size_t)want + 1;
        }
        got = ZSTD_decompressDCtx(l->zd, l->dbuf, (size_t)want, l->cbuf, (size_t)cs);
        if (ZSTD_isError(got) || got != want)
            return err_set(e, CTREC_E_FORMAT, "events.log: the chunk at byte %llu: zstd: %s",
                           (unsigned long long)l->off,
                           ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size"),
                   -1;
    } else {
        ZSTD_DCtx_reset(l->zd, ZSTD_reset_session_only);
        ZSTD_inBuffer in = {l->cbuf, (size_t)cs, 0};
        size_t r = 1;
        got = 0;
        while (in.pos < in.size || r != 0) {
            if (got + 1 >= l->dcap) { /* room for the output and the reader's end byte */
                if (l->dcap > l->limit)
                    return err_bound(e, "events.log: the chunk at byte %llu decompresses to "
                                     "more than the %zu-byte limit",
                                     (unsigned long long)l->off, l->limit),
                           -1;
                size_t ncap = l->dcap < 65536 ? 65536 : l->dcap * 2;
                if (ncap > l->limit + 1) ncap = l->limit + 1;
                if (ncap <= l->dcap) ncap = l->dcap + 1;
                uint8_t *p = realloc(l->dbuf, ncap);
                if (!p) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
                l->dbuf = p;
                l->dcap = ncap;
            }
            ZSTD_outBuffer out = {l->dbuf, l->dcap - 1, got};
            size_t before_in = in.pos, before_out = got;
            r = ZSTD_decompressStream(l->zd, &out, &in);
            if (ZSTD_isError(r))
                return err_set(e, CTREC_E_FORMAT, "events.log: the chunk at byte %llu: zstd: %s",
                               (unsigned long long)l->off, ZSTD_getErrorName(r)),
                       -1;
            got = out.pos;
            if (in.pos == in.size && r != 0 && got == before_out && in.pos == before_in)
                return err_set(e, CTREC_E_FORMAT,
                               "events.log: the chunk at byte %llu ends inside a zstd frame",
                               (unsigned long long)l->off),
                       -1;
        }
        if (got > l->limit)
            return err_bound(e, "events.log: the chunk at byte %llu decompresses to more than "
                             "the %zu-byte limit",
                             (unsigned long long)l->off, l->limit),
                   -1;
    }
    l->dlen = got;
    l->dpos = 0;
    l->off += 16 + cs;
    return 1;
}

int ct_log_produce(ct_log *l, uint8_t *out, size_t cap, size_t *got, uint64_t nevents, err *e)
{
    *got = 0;
    if (l->bin) return bin_produce(l->bin, out, cap, got, nevents, e);
    if (!l->chunked) {
        if (l->off >= l->m->size) return 0;
        size_t n = l->m->size - l->off < cap ? (size_t)(l->m->size - l->off) : cap;
        if (ctfs_read_at(l->c, l->m, l->off, out, n, e)) return -1;
        l->off += n;
        *got = n;
        return 1;
    }
    while (l->dpos >= l->dlen) {
        int k = next_chunk(l, e);
        if (k <= 0) return k;
    }
    size_t n = l->dlen - l->dpos < cap ? l->dlen - l->dpos : cap;
    memcpy(out, l->dbuf + l->dpos, n);
    l->dpos += n;
    *got = n;
    return 1;
}

/* ---- split-binary ---- */

typedef struct sb {
    const uint8_t *p, *end, *start;
    err *e;
} sb;

static int sb_fail(sb *s, const char *what)
{
    err_set(s->e, CTREC_E_FORMAT, "%s at decompressed byte %zu", what, (size_t)(s->p - s->start));
    return -1;
}

static int sb_u(sb *s, unsigned n, uint64_t *v)
{
    if ((size_t)(s->end - s->p) < n) return sb_fail(s, "the chunk ends inside an event");
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;) x = x << 8 | s->p[i];
    s->p += n;
    *v = x;
    return 0;
}

static int sb_str(sb *s, ctrec_str *out)
{
    uint64_t n;
    if (sb_u(s, 4, &n)) return -1;
    if (n > (uint64_t)(s->end - s->p)) return sb_fail(s, "a string runs past the chunk");
    out->ptr = (const char *)s->p;
    out->len = (size_t)n;
    s->p += n;
    return 0;
}

static int sb_value(sb *s, arena *a, unsigned depth, const ctrec_value **v)
{
    ctrec_str pl;
    if (sb_str(s, &pl)) return -1;
    const uint8_t *p = (const uint8_t *)pl.ptr, *end = p + pl.len;
    if (ct_value_decode(&p, end, a, depth, v, s->e)) return -1;
    return 0;
}

int ct_log_next_split(ct_log *l, ctrec_ev *ev, arena *a, unsigned max_depth, err *e)
{
    while (l->dpos >= l->dlen) {
        int k = l->chunked ? next_chunk(l, e) : 0;
        if (!l->chunked && l->off < l->m->size) {
            /* plain split-binary: read the member whole, bounded */
            uint64_t n = l->m->size;
            if (n > l->limit)
                return err_bound(e, "events.log: %llu bytes without chunks, over the %zu-byte "
                                 "limit", (unsigned long long)n, l->limit), -1;
            uint8_t *p = realloc(l->dbuf, (size_t)n + 1);
            if (!p) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
            l->dbuf = p;
            if (ctfs_read_at(l->c, l->m, 0, l->dbuf, (size_t)n, e)) return -1;
            l->dlen = (size_t)n;
            l->dpos = 0;
            l->off = n;
            k = 1;
        }
        if (k <= 0) return k;
    }
    sb s = {l->dbuf + l->dpos, l->dbuf + l->dlen, l->dbuf, e};
    uint8_t tag = *s.p++;
    uint64_t x = 0, y = 0, z = 0;
    int r = 0;
    memset(ev, 0, sizeof *ev);
    switch (tag) {
    case 0: case 24:
        ev->type = CTREC_EV_STEP;
        r = sb_u(&s, 8, &x) || sb_u(&s, 8, &y) || (tag == 24 && sb_u(&s, 8, &z));
        ev->step.path_id = x;
        ev->step.line = (int64_t)y;
        if (tag == 24) ev->step.column = (int64_t)z;
        break;
    case 1: ev->type = CTREC_EV_PATH; r = sb_str(&s, &ev->text); break;
    case 2: case 3: ev->type = CTREC_EV_VARIABLE_NAME; r = sb_str(&s, &ev->text); break;
    case 5:
        ev->type = CTREC_EV_VALUE;
        r = sb_u(&s, 8, &x) || sb_value(&s, a, max_depth, &ev->value.value);
        ev->value.variable_id = x;
        break;
    case 6:
        ev->type = CTREC_EV_FUNCTION;
        r = sb_u(&s, 8, &x) || sb_u(&s, 8, &y) || sb_str(&s, &ev->function.name);
        ev->function.path_id = x;
        ev->function.line = (int64_t)y;
        break;
    case 7: { /* Call: a CBOR array of {variable_id, value} */
        ev->type = CTREC_EV_CALL;
        ctrec_str pl;
        if ((r = sb_u(&s, 8, &x) || sb_str(&s, &pl))) break;
        ev->call.function_id = x;
        r = ct_call_args(&pl, a, max_depth, &ev->call.args, &ev->call.nargs, e);
        if (r) r = sb_fail(&s, e->msg);
        break;
    }
    case 8:
        ev->type = CTREC_EV_RETURN;
        r = sb_value(&s, a, max_depth, &ev->ret.return_value);
        break;
    case 9:
        ev->type = CTREC_EV_EVENT;
        r = sb_u(&s, 1, &x) || sb_str(&s, &ev->event.metadata) || sb_str(&s, &ev->event.content);
        if (!r && x >= CTREC_EVENT_KIND_COUNT) r = sb_fail(&s, "an event kind beyond EventLogKind");
        ev->event.kind = (ctrec_event_kind)x;
        break;
    case 4: {
        ev->type = CTREC_EV_TYPE;
        ctrec_str pl;
        if ((r = sb_str(&s, &pl))) break;
        r = ct_type_record(&pl, a, ev, e);
        if (r) r = sb_fail(&s, e->msg);
        break;
    }
    case 11: case 18:
        ev->type = tag == 11 ? CTREC_EV_BIND_VARIABLE : CTREC_EV_VARIABLE_CELL;
        r = sb_u(&s, 8, &x) || sb_u(&s, 8, &y);
        ev->var_place.variable_id = x;
        ev->var_place.place = (int64_t)y;
        break;
    case 14: case 15: case 17:
        ev->type = tag == 14 ? CTREC_EV_COMPOUND_VALUE : tag == 15 ? CTREC_EV_CELL_VALUE
                                                               : CTREC_EV_ASSIGN_CELL;
        r = sb_u(&s, 8, &x) || sb_value(&s, a, max_depth, &ev->place_value.value);
        ev->place_value.place = (int64_t)x;
        break;
    case 16:
        ev->type = CTREC_EV_ASSIGN_COMPOUND_ITEM;
        r = sb_u(&s, 8, &x) || sb_u(&s, 8, &y) || sb_u(&s, 8, &z);
        ev->assign_compound_item.place = (int64_t)x;
        ev->assign_compound_item.index = y;
        ev->assign_compound_item.item_place = (int64_t)z;
        break;
    case 19: case 20: case 21: case 22:
        ev->type = tag == 19 ? CTREC_EV_DROP_VARIABLE : tag == 20 ? CTREC_EV_THREAD_START
                   : tag == 21 ? CTREC_EV_THREAD_EXIT : CTREC_EV_THREAD_SWITCH;
        r = sb_u(&s, 8, &x);
        ev->id = x;
        break;
    case 23: ev->type = CTREC_EV_DROP_LAST_STEP; break;
    case 13: {
        ev->type = CTREC_EV_DROP_VARIABLES;
        if ((r = sb_u(&s, 4, &x))) break;
        if (x > (uint64_t)(s.end - s.p) / 8) {
            r = sb_fail(&s, "a DropVariables count past the chunk");
            break;
        }
        ctrec_id *ids = x ? arena_alloc(a, (size_t)x * sizeof *ids) : NULL;
        if (x && !ids) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
        for (uint64_t i = 0; i < x && !r; i++) r = sb_u(&s, 8, &ids[i]);
        ev->drop_variables.ids = ids;
        ev->drop_variables.count = (size_t)x;
        break;
    }
    case 10: {
        ev->type = CTREC_EV_ASM;
        if ((r = sb_u(&s, 4, &x))) break;
        if (x > (uint64_t)(s.end - s.p) / 4) {
            r = sb_fail(&s, "an Asm count past the chunk");
            break;
        }
        ctrec_str *ins = x ? arena_alloc(a, (size_t)x * sizeof *ins) : NULL;
        if (x && !ins) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
        for (uint64_t i = 0; i < x && !r; i++) r = sb_str(&s, &ins[i]);
        ev->asm_ins.instructions = ins;
        ev->asm_ins.count = (size_t)x;
        break;
    }
    default: {
        char t[64];
        snprintf(t, sizeof t, "split-binary tag %u is not read", tag);
        r = sb_fail(&s, t);
        break;
    }
    }
    if (r) {
        err tmp = *e;
        err_set(e, tmp.status ? tmp.status : CTREC_E_FORMAT,
                "events.log: event %llu (chunk at byte %llu): %s",
                (unsigned long long)l->nevents, (unsigned long long)l->chunk_off, tmp.msg);
        return -1;
    }
    l->dpos = (size_t)(s.p - l->dbuf);
    l->nevents++;
    return 1;
}
