/*
 * fuzz_ct_sidecar.c — the BEAM recorders' sidecar files beside a .ct
 * (ctrec_reader_ct_sidecar: ct_sidecar.c and the JSON checks under it).
 * The .ct is the valid small container of fuzz_ct_common.h; the input after
 * its first byte is split by "\n@@\n" into trace_meta.json and
 * runtime_session.jsonl (a part missing: the file is absent). First byte:
 * bit 0, a 4096-byte bound instead of the default; bit 1, "recorder":
 * "codetracer-beam-recorder" is put before trace_meta.json's text when it
 * starts with '{' and has room, so that the log and manifests are reached
 * often. Properties: the route is one of the four, its sentence is empty
 * exactly when there is no route, a second call gives the same answer, and
 * ctrec_check over the folder gives every diagnostic a rule, message and
 * fix, and "refused" exactly when there are errors.
 */
#include "fuzz_ct_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-sidecar");
    fz_ct_selfcheck("none");
    fz_ct_build("none", (const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    uint8_t f = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    size_t n1 = 0, n2 = 0;
    const uint8_t *meta = fz_part(&p, end, &n1);
    const uint8_t *log = fz_part(&p, end, &n2);
    static uint8_t mbuf[(1u << 20) + 64];
    if (meta && (f & 2) && n1 && meta[0] == '{') {
        static const char brand[] = "{\"recorder\":\"codetracer-beam-recorder\",";
        size_t b = sizeof brand - 1;
        memcpy(mbuf, brand, b);
        memcpy(mbuf + b, meta + 1, n1 - 1);
        meta = mbuf;
        n1 = b + n1 - 1;
    }
    fz_put(fz_in, "trace_meta.json", meta, n1);
    fz_put(fz_in, "runtime_session.jsonl", log, n2);

    char path[512];
    fz_path(path, sizeof path, fz_in, "trace.ct");
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    if (f & 1) ro.max_event_bytes = 4096;
    ctrec_reader *r = NULL;
    ctrec_status st = ctrec_reader_open(path, &ro, &r);
    if (st) FZ_FAIL("the base container does not open: %s", r ? ctrec_reader_errmsg(r) : "");
    int route = -1, route2 = -1;
    const char *what = NULL, *what2 = NULL;
    st = ctrec_reader_ct_sidecar(r, &route, &what);
    if (st == CTREC_E_NOMEM) {
        ctrec_reader_close(r);
        return 0;
    }
    if (st) FZ_FAIL("ctrec_reader_ct_sidecar: %s", ctrec_status_name(st));
    if (route < CTREC_CT_SIDECAR_NONE || route > CTREC_CT_SIDECAR_UNDECIDED || !what)
        FZ_FAIL("route %d, what %p", route, (const void *)what);
    if ((route == CTREC_CT_SIDECAR_NONE) != (what[0] == 0))
        FZ_FAIL("route %d with the sentence \"%s\"", route, what);
    if (ctrec_reader_ct_sidecar(r, &route2, &what2) || route2 != route || what2 != what)
        FZ_FAIL("a second call answers otherwise");
    if ((!meta || !log) && route != CTREC_CT_SIDECAR_NONE)
        FZ_FAIL("route %d without both files: %s", route, what);
    ctrec_reader_close(r);

    ctrec_check_options co;
    ctrec_check_options_init(&co);
    co.max_event_bytes = ro.max_event_bytes;
    ctrec_check_summary sum;
    st = ctrec_check(fz_in, &co, fz_ct_diag, NULL, &sum);
    if (st && st != CTREC_E_NOMEM) FZ_FAIL("ctrec_check: %s", ctrec_status_name(st));
    if (!st && (sum.verdict == CTREC_CHECK_REFUSED) != (sum.errors > 0))
        FZ_FAIL("check: verdict %d with %llu errors", (int)sum.verdict,
                (unsigned long long)sum.errors);
    return 0;
}
