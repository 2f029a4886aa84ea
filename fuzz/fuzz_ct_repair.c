/*
 * fuzz_ct_repair.c — ctrec_ct_repair on a damaged scratch file.
 *
 * Initialize records a killed .ct once (a child records 400 nested calls,
 * with arguments and returned values, flushing every 90 calls, which
 * writes a scratch piece each time, and _exits without closing) and keeps its scratch file's pieces. Each
 * input then replaces the scratch file beside that trace.ct:
 *   byte 0 = 0: the rest is the scratch file, as it is;
 *   byte 0 = 1: bytes 1-3 (u24, little-endian) an offset and bytes 4-6 a
 *     length in the recorded scratch records (the pieces' contents one
 *     after another), the rest XOR-ed into them from the offset, the
 *     records cut at that length (0: not cut), then written again in the
 *     recorded pieces' sizes (each a zstd frame of the records as they
 *     are), so that the records' fields, not the frames, are what varies;
 *     the input "\1" is the recorded scratch file's records unchanged.
 * ctrec_ct_repair must return a status in range, with a message when it
 * fails; what it writes is read to its end with the reader's checks
 * (fz_read). Nothing may crash, leak or read out of bounds.
 */
#include <sys/wait.h>

#include "fuzz_common.h"

static char fz_ct[512], fz_scratch[512], fz_repaired[512];
static uint8_t *rec;     /* the recorded scratch records */
static size_t rec_len;
static size_t *piece_len; /* their pieces' sizes */
static size_t npieces;

static void record_killed(void)
{
    pid_t pid = fork();
    if (pid < 0) FZ_FAIL("fork");
    if (pid == 0) {
        ctrec_writer_options o;
        ctrec_writer_options_init(&o);
        o.format = CTREC_FORMAT_CT;
        o.copy_sources = 0;
        o.compress_thread = 0;
        ctrec_writer *w;
        if (ctrec_writer_open(fz_in, &o, &w) != CTREC_OK) _exit(1);
        ctrec_id p, f, v, t;
        int bad = ctrec_start(w, "/m", 1, 1) || ctrec_path_z(w, "/m", &p) ||
                  ctrec_function_z(w, "f", p, 5, &f) || ctrec_variable_z(w, "k", &v) ||
                  ctrec_type_z(w, CTREC_TYPE_INT, "Int", &t);
        /* calls at depths 1-4 (call k opens k % 4 + 1 deep), an Int
         * argument each, every third returning its key, the last chain
         * left open */
        int depth = 0;
        for (int k = 0; k < 400 && !bad; k++) {
            int want = k % 4 + 1;
            while (depth >= want && !bad) {
                bad = ctrec_step(w, p, 6) ||
                      (k % 3 ? ctrec_return_none(w, 0)
                             : ctrec_begin_return(w) || ctrec_int(w, k, t) || ctrec_end(w));
                depth--;
            }
            bad = bad || ctrec_step(w, p, 2) || ctrec_begin_call(w, f) || ctrec_arg(w, v) ||
                  ctrec_int(w, (int64_t)k * 1000003, t) || ctrec_end(w);
            depth++;
            if (k % 90 == 89) bad = bad || ctrec_writer_flush(w); /* a scratch piece each */
        }
        bad = bad || ctrec_step(w, p, 7) || ctrec_writer_flush(w);
        _exit(bad ? 1 : 0); /* killed: no close */
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        FZ_FAIL("the recording failed");
}

/* The recorded scratch file's pieces ([u32 size][zstd frame]), their
 * contents into rec. */
static void load_pieces(void)
{
    FILE *fp = fopen(fz_scratch, "rb");
    if (!fp) FZ_FAIL("no scratch file %s", fz_scratch);
    uint8_t h[4];
    while (fread(h, 1, 4, fp) == 4) {
        size_t n = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
        uint8_t *z = malloc(n ? n : 1);
        if (!z || fread(z, 1, n, fp) != n) FZ_FAIL("scratch piece");
        unsigned long long m = ZSTD_getFrameContentSize(z, n);
        if (m == ZSTD_CONTENTSIZE_ERROR || m == ZSTD_CONTENTSIZE_UNKNOWN) FZ_FAIL("piece size");
        uint8_t *r = realloc(rec, rec_len + (size_t)m + 1);
        size_t *pl = realloc(piece_len, (npieces + 1) * sizeof *pl);
        if (!r || !pl) FZ_FAIL("out of memory");
        rec = r;
        piece_len = pl;
        if (ZSTD_decompress(rec + rec_len, (size_t)m, z, n) != m) FZ_FAIL("piece");
        rec_len += (size_t)m;
        piece_len[npieces++] = (size_t)m;
        free(z);
    }
    fclose(fp);
    if (npieces < 2) FZ_FAIL("the recording made %zu scratch pieces, want several", npieces);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-repair");
    fz_path(fz_ct, sizeof fz_ct, fz_in, "trace.ct");
    fz_path(fz_scratch, sizeof fz_scratch, fz_in, "trace.ct.calls~");
    snprintf(fz_repaired, sizeof fz_repaired, "%s.ct", fz_out);
    record_killed();
    load_pieces();
    return 0;
}

/* Writes the records p[0..n) as the scratch file, in pieces of the
 * recorded sizes (the last one the rest). */
static void put_pieces(const uint8_t *p, size_t n)
{
    uint8_t *f = NULL;
    size_t flen = 0;
    for (size_t i = 0; n; i++) {
        size_t k = i + 1 < npieces && piece_len[i] < n ? piece_len[i] : n;
        size_t cap = ZSTD_compressBound(k);
        uint8_t *g = realloc(f, flen + 4 + cap);
        if (!g) FZ_FAIL("out of memory");
        f = g;
        size_t zn = ZSTD_compress(f + flen + 4, cap, p, k, 1);
        if (ZSTD_isError(zn)) FZ_FAIL("compress");
        fz_le32(f + flen, (uint32_t)zn);
        flen += 4 + zn;
        p += k;
        n -= k;
    }
    fz_put(fz_in, "trace.ct.calls~", f ? f : (const uint8_t *)"", flen);
    free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    if (data[0] == 0) {
        fz_put(fz_in, "trace.ct.calls~", data + 1, size - 1);
    } else if (data[0] == 1) {
        size_t off = 0, cut = 0;
        if (size >= 4) off = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16;
        if (size >= 7) cut = (size_t)data[4] | (size_t)data[5] << 8 | (size_t)data[6] << 16;
        uint8_t *r = malloc(rec_len + 1);
        if (!r) FZ_FAIL("out of memory");
        memcpy(r, rec, rec_len);
        for (size_t i = 7; i < size && off + i - 7 < rec_len; i++) r[off + i - 7] ^= data[i];
        put_pieces(r, cut && cut < rec_len ? cut : rec_len);
        free(r);
    } else {
        return -1;
    }
    unlink(fz_repaired);
    ctrec_ct_repair_result res;
    memset(&res, 0, sizeof res);
    ctrec_status st = ctrec_ct_repair(fz_ct, fz_repaired, &res);
    fz_check_status(st, "ctrec_ct_repair");
    if (st) {
        if (!res.message[0]) FZ_FAIL("ctrec_ct_repair failed without a message");
        if (access(fz_repaired, F_OK) == 0) FZ_FAIL("a failed repair left %s", fz_repaired);
        return 0;
    }
    if (!res.needed) FZ_FAIL("the scratch file is there, but no repair was needed");
    fz_texts all = {0};
    fz_read(fz_repaired, NULL, &all, NULL, 0);
    free(all.p);
    return 0;
}
