/*
 * ct_legacy.c — the stream framings of the multi-stream layout before
 * meta.dat flag bits 9-11 (docs/ct.md "Older framings"), as the reference
 * Nim writer wrote them until 2026-06-21/22:
 *
 *   steps.idx   u32 records per chunk, u64 placeholder (ignored), one u64
 *               offset into steps.dat per chunk, u64 total records; each
 *               chunk (one zstd frame) starts with its u32 record count,
 *               then the tagged step records of today's framing;
 *   NAME.dat + NAME.off (values, events, calls): record tables, no zstd;
 *               NAME.off holds n + 1 u64 offsets for n records, record i
 *               is NAME.dat bytes [off[i], off[i+1]):
 *     values    empty (no values), or varint count, count x {varint
 *               variable id, varint type id, varint length, CBOR value};
 *     events    u8 kind (0 stdout, 1 stderr, 2 file op, 3 error), varint
 *               step, varint length, content (no metadata);
 *     calls     today's call record (function, zigzag parent, entry, exit,
 *               depth, arguments, return, exception, children).
 *
 * The framing of each stream is chosen as the reference reader chooses it
 * (ct_legacy_setup). A legacy stream is read through the same ct_stream as
 * a chunked one: a steps chunk loses its count after it is checked, and a
 * record table gives one record per "chunk" (chunk i = record i, at its
 * byte offset in NAME.dat), turned into one length-prefixed record of
 * today's framing (values: tag 0 and no type ids; events: the kind as its
 * EventLogKind and empty metadata), so ct_layout.c sequences both alike.
 * Every structural check is made here, with the member and the offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"

#define CT_LEG_CALL_WINDOW ((size_t)1 << 20) /* bytes of a call record read */

static size_t put_varint(uint8_t *o, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        o[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    o[n++] = (uint8_t)v;
    return n;
}

static int grow(uint8_t **b, size_t *cap, size_t n, err *e)
{
    if (n <= *cap) return 0;
    uint8_t *p = realloc(*b, n);
    if (!p) return err_set(e, CTREC_E_NOMEM, "out of memory"), -1;
    *b = p;
    *cap = n;
    return 0;
}

/* ---- choosing the framing ---- */

static ctrec_status use_table(ct_stream *s, ctfs *c, const char *base, int kind, err *e)
{
    s->legacy = kind;
    s->win = 0; /* a record is read whole (a call record: its head) */
    snprintf(s->idx_name, sizeof s->idx_name, "%s.off", base);
    return ct_stream_rebind(s, c, e);
}

ctrec_status ct_legacy_setup(ctfs *c, unsigned flags, ct_stream *steps, ct_stream *values,
                             ct_stream *events, ct_stream *calls, ct_stream *calls_ra,
                             unsigned *which, err *e)
{
    ctrec_status st;
    *which = 0;
    /* new_trace_reader.nim: legacy = not meta.hasStepStream (bit 9) */
    if (!(flags & CT_FLAG_STEP_STREAM)) {
        steps->legacy = CT_LEG_STEPS;
        if ((st = ct_stream_rebind(steps, c, e))) return st;
        *which |= CT_FLAG_STEP_STREAM;
    }
    /* legacy = not hasValueStream (bit 10); not hasIoEventStream (bit 11).
     * A container with the bit clear whose member is the chunked one
     * (NAME.idx, no NAME.off) is read chunked: the reference would find
     * no NAME.off there. */
    if (!(flags & CT_FLAG_VALUE_STREAM) && ctfs_find(c, "values.off")) {
        if ((st = use_table(values, c, "values", CT_LEG_VALUES, e))) return st;
        *which |= CT_FLAG_VALUE_STREAM;
    }
    if (!(flags & CT_FLAG_EVENT_STREAM) && ctfs_find(c, "events.off")) {
        if ((st = use_table(events, c, "events", CT_LEG_EVENTS, e))) return st;
        *which |= CT_FLAG_EVENT_STREAM;
    }
    /* call_stream.nim initCallStreamReader: no calls.idx -> calls.off */
    if (!ctfs_find(c, "calls.idx") && ctfs_find(c, "calls.off")) {
        if ((st = use_table(calls, c, "calls", CT_LEG_CALLS, e)) ||
            (st = use_table(calls_ra, c, "calls", CT_LEG_CALLS, e)))
            return st;
        *which |= CT_FLAG_CALL_STREAM;
    }
    return CTREC_OK;
}

/* ---- the indexes ---- */

ctrec_status ct_legacy_bind(ct_stream *s, ctfs *c, err *e)
{
    uint64_t size = s->idx->size;
    ctrec_status st;
    if (s->legacy != CT_LEG_STEPS) {
        if (size < 8 || size % 8)
            return err_set(e, CTREC_E_FORMAT,
                           "%s: %llu bytes, not a whole number of u64 offsets (at least one)",
                           s->idx_name, (unsigned long long)size);
        s->per_chunk = 1;
        s->nchunks = size / 8 - 1;
        return CTREC_OK;
    }
    if (size < 20 || (size - 20) % 8)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: %llu bytes, not the 20 + 8 x chunks of its older framing (u32 "
                       "records per chunk, u64 placeholder, u64 offsets, u64 total; meta.dat "
                       "bit 9 is clear)",
                       s->idx_name, (unsigned long long)size);
    uint8_t h[8];
    if ((st = ctfs_read_at(c, s->idx, 0, h, 4, e))) return st;
    s->per_chunk = load_le32(h);
    if (s->per_chunk == 0)
        return err_set(e, CTREC_E_FORMAT, "%s: records per chunk is 0 (offset 0)", s->idx_name);
    s->nchunks = (size - 20) / 8;
    if ((st = ctfs_read_at(c, s->idx, size - 8, h, 8, e))) return st;
    s->leg_total = load_le64(h);
    uint64_t n = s->nchunks, pc = s->per_chunk, t = s->leg_total;
    /* n chunks of pc hold the total: n = ceil(total / pc) (no overflow) */
    if (t / pc + (t % pc != 0) != n)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: the total of %llu records (at byte %llu) does not fit %llu chunks "
                       "of %llu",
                       s->idx_name, (unsigned long long)s->leg_total,
                       (unsigned long long)(size - 8), (unsigned long long)n,
                       (unsigned long long)pc);
    return CTREC_OK;
}

/* ---- a steps chunk, decompressed into dbuf by ct_stream_load ---- */

static ctrec_status steps_fail(ct_stream *s, err *e, const char *fmt, ...) ERR_PRINTF(3, 4);
static ctrec_status steps_fail(ct_stream *s, err *e, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    err_set(e, CTREC_E_FORMAT, "%s: chunk %llu at byte %llu: %s", s->dat_name,
            (unsigned long long)s->chunk, (unsigned long long)s->chunk_off, what);
    s->chunk = UINT64_MAX;
    return e->status;
}

ctrec_status ct_legacy_steps_chunk(ct_stream *s, err *e)
{
    if (s->dlen < 4)
        return steps_fail(s, e, "%llu bytes, too short for its u32 record count",
                          (unsigned long long)s->dlen);
    uint64_t count = load_le32(s->dbuf);
    uint64_t want = s->chunk + 1 < s->nchunks ? s->per_chunk
                                              : s->leg_total - s->chunk * s->per_chunk;
    if (count != want)
        return steps_fail(s, e,
                          "its count says %llu records, the index %llu (records per chunk and "
                          "total)",
                          (unsigned long long)count, (unsigned long long)want);
    /* the records the chunk holds: they must be as many */
    const uint8_t *p = s->dbuf + 4, *end = s->dbuf + s->dlen;
    uint64_t k = 0;
    for (; p < end; k++) {
        uint8_t tag = *p++;
        uint64_t a, b = 0;
        if (tag > 7 || ct_varint(&p, end, &a) ||
            (tag == 2 && (ct_varint(&p, end, &b) || b > (uint64_t)(end - p))))
            break; /* reported at that step, with its position */
        p += b;
    }
    if (p >= end && k != count)
        return steps_fail(s, e, "its count says %llu records, it holds %llu",
                          (unsigned long long)count, (unsigned long long)k);
    memmove(s->dbuf, s->dbuf + 4, s->dlen - 4);
    s->dlen -= 4;
    s->dbuf[s->dlen] = 0;
    return CTREC_OK;
}

/* ---- record tables ---- */

/* The end of a call record's fields before its children in [p, p+n):
 * the count of bytes, 0 when they do not fit in n. */
static size_t call_head(const uint8_t *p, size_t n)
{
    const uint8_t *q = p, *end = p + n;
    uint64_t v;
    for (int i = 0; i < 5; i++)
        if (ct_varint(&q, end, &v)) return 0;
    uint64_t nargs, var, len;
    if (ct_varint(&q, end, &nargs)) return 0;
    for (uint64_t i = 0; i < nargs; i++) {
        if (ct_varint(&q, end, &var) || ct_varint(&q, end, &len) || len > (uint64_t)(end - q))
            return 0;
        q += len;
    }
    for (int i = 0; i < 2; i++) {
        if (ct_varint(&q, end, &len) || len > (uint64_t)(end - q)) return 0;
        q += len;
    }
    return (size_t)(q - p);
}

static ctrec_status rec_fail(ct_stream *s, uint64_t i, uint64_t a, err *e, const char *fmt, ...)
    ERR_PRINTF(5, 6);
static ctrec_status rec_fail(ct_stream *s, uint64_t i, uint64_t a, err *e, const char *fmt, ...)
{
    char t[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    return err_set(e, CTREC_E_FORMAT, "%s: record %llu (at byte %llu): %s", s->dat_name,
                   (unsigned long long)i, (unsigned long long)a, t);
}

/* values: varint count, {var, type, len, CBOR} -> 0, count, {var, len, CBOR} */
static ctrec_status values_rec(ct_stream *s, uint64_t i, uint64_t a, const uint8_t *p, size_t n,
                               uint8_t *o, size_t *on, err *e)
{
    const uint8_t *q = p, *end = p + n;
    size_t k = 0;
    if (n == 0) { /* a step without values */
        *on = 0;
        return CTREC_OK;
    }
    uint64_t count;
    if (ct_varint(&q, end, &count)) return rec_fail(s, i, a, e, "a bad value count");
    if (count > (uint64_t)(end - q) / 3)
        return rec_fail(s, i, a, e, "%llu values cannot fit in the record",
                        (unsigned long long)count);
    o[k++] = 0;
    k += put_varint(o + k, count);
    for (uint64_t j = 0; j < count; j++) {
        uint64_t var, type, len;
        if (ct_varint(&q, end, &var) || ct_varint(&q, end, &type) ||
            ct_varint(&q, end, &len) || len > (uint64_t)(end - q))
            return rec_fail(s, i, a, e, "value %llu runs past the record",
                            (unsigned long long)j);
        k += put_varint(o + k, var);
        k += put_varint(o + k, len);
        memcpy(o + k, q, (size_t)len);
        k += (size_t)len;
        q += len;
    }
    if (q != end)
        return rec_fail(s, i, a, e, "%llu bytes after its values", (unsigned long long)(end - q));
    *on = k;
    return CTREC_OK;
}

/* io_event_stream.nim ioEventKindToOrdinal: stdout -> Write, stderr ->
 * TraceLogEvent, file op -> ReadFile, error -> Error */
static const uint8_t event_kind[4] = {0, 12, 4, 11};

/* events: kind, step, len, content -> EventLogKind, step, 0, len, content.
 * A bad step id is refused now; a kind beyond the four and a content that
 * runs past the record are left for ct_layout.c to refuse at the event's
 * step (every step before it is delivered): the kind as 0xff, the rest as
 * it is. Bytes after the content are read past, as the reference does. */
static ctrec_status events_rec(ct_stream *s, uint64_t i, uint64_t a, const uint8_t *p, size_t n,
                               uint8_t *o, size_t *on, err *e)
{
    const uint8_t *q = p, *end = p + n;
    if (n == 0) return rec_fail(s, i, a, e, "an empty record");
    uint8_t kind = *q++;
    uint64_t step;
    if (ct_varint(&q, end, &step)) return rec_fail(s, i, a, e, "a bad step id");
    size_t k = 0;
    o[k++] = kind < 4 ? event_kind[kind] : 0xff;
    k += put_varint(o + k, step);
    o[k++] = 0; /* no metadata */
    memcpy(o + k, q, (size_t)(end - q));
    *on = k + (size_t)(end - q);
    return CTREC_OK;
}

ctrec_status ct_legacy_load(ct_stream *s, ctfs *c, uint64_t i, size_t limit, err *e)
{
    s->chunk = UINT64_MAX;
    if (i >= s->nchunks)
        return err_set(e, CTREC_E_FORMAT, "%s: record %llu is past the %llu records of %s",
                       s->dat_name, (unsigned long long)i, (unsigned long long)s->nchunks,
                       s->idx_name);
    uint8_t b[16];
    ctrec_status st = ctfs_read_at(c, s->idx, 8 * i, b, 16, e);
    if (st) return st;
    uint64_t a = load_le64(b), z = load_le64(b + 8);
    if (z < a)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: record %llu (offsets at byte %llu): ends at byte %llu, before its "
                       "start at %llu (the offsets go backwards)",
                       s->idx_name, (unsigned long long)i, (unsigned long long)(8 * i),
                       (unsigned long long)z, (unsigned long long)a);
    if (z > s->dat->size)
        return err_set(e, CTREC_E_FORMAT,
                       "%s: record %llu (offsets at byte %llu) spans bytes %llu-%llu, outside "
                       "%s (%llu bytes)",
                       s->idx_name, (unsigned long long)i, (unsigned long long)(8 * i),
                       (unsigned long long)a, (unsigned long long)z, s->dat_name,
                       (unsigned long long)s->dat->size);
    uint64_t n = z - a;
    if (s->legacy == CT_LEG_CALLS && n > CT_LEG_CALL_WINDOW) n = CT_LEG_CALL_WINDOW;
    if (n > limit)
        return err_bound(e, "%s: record %llu at byte %llu is %llu bytes, over the %zu-byte limit",
                         s->dat_name, (unsigned long long)i, (unsigned long long)a,
                         (unsigned long long)n, limit);
    if (grow(&s->cbuf, &s->ccap, (size_t)n + 1, e) ||
        grow(&s->dbuf, &s->dcap, (size_t)n + 24, e))
        return e->status;
    if (n && (st = ctfs_read_at(c, s->dat, a, s->cbuf, (size_t)n, e))) return st;
    /* the record after its varint length */
    uint8_t *o = s->dbuf + 10;
    size_t on = (size_t)n;
    switch (s->legacy) {
    case CT_LEG_VALUES: st = values_rec(s, i, a, s->cbuf, (size_t)n, o, &on, e); break;
    case CT_LEG_EVENTS: st = events_rec(s, i, a, s->cbuf, (size_t)n, o, &on, e); break;
    default: {
        /* calls: the fields before the children (all a reader uses). A
         * record longer than the window whose fields are not all in it (a
         * big argument or return value) is read on, twice as much each
         * time, up to the event limit (as ct_stream_widen for the chunked
         * framing; until 2026-12-04 it was refused). */
        size_t h;
        while (!(h = call_head(s->cbuf, (size_t)n)) && n < z - a) {
            if (n >= limit) {
                rec_fail(s, i, a, e,
                         "%llu bytes, and its fields before the children are not in its "
                         "first %zu bytes (the event limit)",
                         (unsigned long long)(z - a), limit);
                e->bound = 1;
                return e->status;
            }
            uint64_t m = 2 * n < z - a ? 2 * n : z - a;
            if (m > limit) m = limit;
            if (grow(&s->cbuf, &s->ccap, (size_t)m + 1, e) ||
                grow(&s->dbuf, &s->dcap, (size_t)m + 24, e))
                return e->status;
            if ((st = ctfs_read_at(c, s->dat, a + n, s->cbuf + n, (size_t)(m - n), e))) return st;
            n = m;
        }
        o = s->dbuf + 10;
        on = h ? h : (size_t)n;
        memcpy(o, s->cbuf, on);
        break;
    }
    }
    if (st) return st;
    uint8_t pre[10];
    size_t pl = put_varint(pre, on);
    memcpy(o - pl, pre, pl);
    memmove(s->dbuf, o - pl, pl + on);
    s->dlen = pl + on;
    s->dbuf[s->dlen] = 0;
    s->chunk = i;
    s->chunk_off = a;
    s->chunk_end = z;
    s->pos = 0;
    s->rec = i;
    return CTREC_OK;
}
