/*
 * bin_source.c — the zstd seekable stream of trace.bin (FORMAT.md section
 * 6), decoded frame by frame into one continuous byte stream of CBOR.
 *
 * Frames are walked in file order: a zstd frame is decompressed as it comes
 * (streaming, so memory does not depend on frame sizes), a skippable frame
 * is skipped, and the seek table (the skippable frame 0x184D2A5E) ends the
 * stream. The table is checked against the frames actually read (count and
 * a running hash of their sizes, so no per-frame memory is kept). A file
 * that ends without a seek table, or inside a frame, is reported with the
 * byte offset; a recording still running is waited for in follow mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "rd.h"
#include "util/le.h"

#define ZSTD_MAGIC 0xFD2FB528u
#define SEEK_TABLE_MAGIC 0x184D2A5Eu
#define SEEKABLE_FOOTER_MAGIC 0x8F92EAB1u
#define CIN_CAP (128u * 1024u)

enum { S_FRAME_START, S_IN_FRAME, S_SKIP, S_TABLE, S_DONE };

struct bin_source {
    rd_file *f;
    uint8_t *cin;
    size_t cpos, clen;
    uint64_t cin_off; /* file offset of cin[0] */
    ZSTD_DCtx *dctx;
    int state;
    uint64_t frame_off, frame_csize, frame_dsize;
    uint64_t nframes, hash;
    uint64_t skip_left;
    /* seek table check */
    uint64_t table_off, table_entries, table_hash, entry_size, entries_done;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

bin_source *bin_open(rd_file *f)
{
    bin_source *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->f = f;
    b->cin = malloc(CIN_CAP);
    b->dctx = ZSTD_createDCtx();
    if (!b->cin || !b->dctx) {
        bin_close(b);
        return NULL;
    }
    /* Bound the window a hostile frame may ask for (the writers' frames
     * need at most a few MiB). */
    ZSTD_DCtx_setParameter(b->dctx, ZSTD_d_windowLogMax, 25);
    b->cin_off = f->off;
    return b;
}

void bin_close(bin_source *b)
{
    if (!b) return;
    ZSTD_freeDCtx(b->dctx);
    free(b->cin);
    free(b);
}

uint64_t bin_offset(const bin_source *b) { return b->cin_off + b->cpos; }
uint64_t bin_frame_offset(const bin_source *b) { return b->frame_off; }

/* Makes at least `want` (<= CIN_CAP) unread compressed bytes available.
 * Returns 1, 0 at the end of the file (or stop), -1 on error. */
static int fill(bin_source *b, size_t want, err *e)
{
    if (b->clen - b->cpos >= want) return 1;
    if (b->cpos) {
        memmove(b->cin, b->cin + b->cpos, b->clen - b->cpos);
        b->clen -= b->cpos;
        b->cin_off += b->cpos;
        b->cpos = 0;
    }
    while (b->clen < want) {
        long n = rd_read(b->f, b->cin + b->clen, CIN_CAP - b->clen, 1, e);
        if (n < 0) return -1;
        if (n == 0) return 0;
        b->clen += (size_t)n;
    }
    return 1;
}

static int ended(bin_source *b, int r, uint64_t nevents, err *e, const char *where)
{
    if (r < 0) return -1;
    if (b->f->stopped) return 2;
    uint64_t at = bin_offset(b);
    if (b->state == S_FRAME_START && b->clen == b->cpos) {
        err_set(e, CTREC_E_TRUNCATED,
                "%s: no seek table: the file ends at byte %llu after event %llu (%llu complete "
                "frames; the recording was not closed, or the file is cut)",
                b->f->name, (unsigned long long)at, (unsigned long long)nevents,
                (unsigned long long)b->nframes);
    } else {
        err_set(e, CTREC_E_TRUNCATED, "%s: truncated %s at byte %llu after event %llu",
                b->f->name, where, (unsigned long long)b->frame_off,
                (unsigned long long)nevents);
    }
    b->state = S_DONE;
    return -1;
}

int bin_produce(bin_source *b, uint8_t *out, size_t cap, size_t *got, uint64_t nevents, err *e)
{
    *got = 0;
    for (;;) {
        int r;
        switch (b->state) {
        case S_DONE:
            return 0;
        case S_FRAME_START: {
            b->frame_off = bin_offset(b);
            if ((r = fill(b, 4, e)) != 1) return ended(b, r, nevents, e, "frame header");
            uint32_t magic = load_le32(b->cin + b->cpos);
            if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) {
                if ((r = fill(b, 8, e)) != 1) return ended(b, r, nevents, e, "skippable frame");
                uint32_t size = load_le32(b->cin + b->cpos + 4);
                b->cpos += 8;
                if (magic != SEEK_TABLE_MAGIC) {
                    b->skip_left = size;
                    b->state = S_SKIP;
                    continue;
                }
                /* the seek table: entries of 8 bytes (12 with checksums) */
                b->table_off = b->frame_off;
                b->table_hash = 0;
                b->entries_done = 0;
                if (size >= 9 && (size - 9) % 8 == 0 && (size - 9) / 8 == b->nframes) {
                    b->entry_size = 8;
                } else if (size >= 9 && (size - 9) % 12 == 0 && (size - 9) / 12 == b->nframes) {
                    b->entry_size = 12;
                } else {
                    b->state = S_DONE;
                    err_set(e, CTREC_E_FORMAT,
                            "%s: the seek table at byte %llu has room for %llu frames, but the "
                            "file has %llu frames (after event %llu)",
                            b->f->name, (unsigned long long)b->frame_off,
                            (unsigned long long)(size >= 9 ? (size - 9) / 8 : 0),
                            (unsigned long long)b->nframes, (unsigned long long)nevents);
                    return -1;
                }
                b->table_entries = b->nframes;
                b->state = S_TABLE;
                continue;
            }
            if (magic != ZSTD_MAGIC) {
                b->state = S_DONE;
                err_set(e, CTREC_E_FORMAT,
                        "%s: no zstd frame at byte %llu after event %llu (found 0x%08x)",
                        b->f->name, (unsigned long long)b->frame_off, (unsigned long long)nevents,
                        magic);
                return -1;
            }
            ZSTD_DCtx_reset(b->dctx, ZSTD_reset_session_only);
            b->frame_csize = b->frame_dsize = 0;
            b->state = S_IN_FRAME;
            continue;
        }
        case S_SKIP:
            while (b->skip_left) {
                if ((r = fill(b, 1, e)) != 1) return ended(b, r, nevents, e, "skippable frame");
                size_t k = b->clen - b->cpos;
                if (k > b->skip_left) k = (size_t)b->skip_left;
                b->cpos += k;
                b->skip_left -= k;
            }
            b->state = S_FRAME_START;
            continue;
        case S_TABLE:
            while (b->entries_done < b->table_entries) {
                if ((r = fill(b, (size_t)b->entry_size, e)) != 1)
                    return ended(b, r, nevents, e, "seek table");
                const uint8_t *p = b->cin + b->cpos;
                b->table_hash = mix(mix(b->table_hash, load_le32(p)), load_le32(p + 4));
                b->cpos += (size_t)b->entry_size;
                b->entries_done++;
            }
            if ((r = fill(b, 9, e)) != 1) return ended(b, r, nevents, e, "seek table");
            {
                const uint8_t *p = b->cin + b->cpos;
                uint32_t n = load_le32(p);
                uint8_t desc = p[4];
                uint32_t magic = load_le32(p + 5);
                b->cpos += 9;
                b->state = S_DONE;
                const char *bad = NULL;
                if (magic != SEEKABLE_FOOTER_MAGIC) bad = "its footer magic is wrong";
                else if (n != b->table_entries) bad = "its frame count is wrong";
                else if (((desc & 0x80) ? 12u : 8u) != b->entry_size)
                    bad = "its descriptor does not match its size";
                else if (b->table_hash != b->hash)
                    bad = "its frame sizes do not match the frames";
                if (bad) {
                    err_set(e, CTREC_E_FORMAT, "%s: the seek table at byte %llu is wrong: %s",
                            b->f->name, (unsigned long long)b->table_off, bad);
                    return -1;
                }
            }
            /* The reference reader finds the seek table at the end of the
             * file: a byte after it makes the file unreadable there. */
            int more = b->cpos < b->clen ? 1 : b->f->o->follow ? 0 : fill(b, 1, e);
            if (more < 0) return -1;
            if (more) {
                uint64_t at = b->cin_off + b->cpos;
                if (b->f->o->strict) {
                    err_set(e, CTREC_E_FORMAT,
                            "%s: bytes after the seek table, from byte %llu (the debugger's "
                            "reader looks for the seek table at the end of the file and "
                            "refuses it)",
                            b->f->name, (unsigned long long)at);
                    return -1;
                }
                if (b->f->fg && b->f->fg->n++ == 0) {
                    b->f->fg->first_event = nevents;
                    snprintf(b->f->fg->first, sizeof b->f->fg->first,
                             "bytes after the seek table, from byte %llu", (unsigned long long)at);
                }
            }
            return 0;
        case S_IN_FRAME: {
            if (cap == 0) return 1;
            if (b->cpos == b->clen && (r = fill(b, 1, e)) != 1)
                return ended(b, r, nevents, e, "zstd frame");
            ZSTD_inBuffer in = {b->cin + b->cpos, b->clen - b->cpos, 0};
            ZSTD_outBuffer o = {out, cap, 0};
            size_t z = ZSTD_decompressStream(b->dctx, &o, &in);
            if (ZSTD_isError(z)) {
                b->state = S_DONE;
                err_set(e, CTREC_E_FORMAT, "%s: corrupt zstd frame at byte %llu after event %llu: %s",
                        b->f->name, (unsigned long long)b->frame_off, (unsigned long long)nevents,
                        ZSTD_getErrorName(z));
                return -1;
            }
            b->cpos += in.pos;
            b->frame_csize += in.pos;
            b->frame_dsize += o.pos;
            if (z == 0) {
                if (b->frame_csize > UINT32_MAX || b->frame_dsize > UINT32_MAX) {
                    b->state = S_DONE;
                    err_set(e, CTREC_E_FORMAT, "%s: the zstd frame at byte %llu is over 4 GiB",
                            b->f->name, (unsigned long long)b->frame_off);
                    return -1;
                }
                b->hash = mix(mix(b->hash, b->frame_csize), b->frame_dsize);
                b->nframes++;
                b->state = S_FRAME_START;
            }
            if (o.pos) {
                *got = o.pos;
                return 1;
            }
            continue;
        }
        }
    }
}
