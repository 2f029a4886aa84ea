/*
 * fuzz_check.c — ctrec_check() on arbitrary trace folders. The first byte
 * chooses: bit 0, the rest holds up to three parts separated by "\n@@\n"
 * (the trace file, trace_paths.json, trace_metadata.json), else it is all
 * the trace file; bit 1, the trace file is trace.bin made from the first
 * part as its decompressed CBOR stream (fz_wrap_bin, which also reads bits
 * 2-6), else the first part is trace.json as is; bit 7, target 25.11
 * instead of latest. Every diagnostic must be well formed (severity, a
 * rule id, a message and a fix, event_json valid JSON when given) and the
 * summary must agree with the diagnostics.
 */
#include "ctrec/ctrec_check.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("check");
    return 0;
}

typedef struct tally {
    uint64_t errors, warnings, calls;
} tally;

static int on_diag(const ctrec_check_diagnostic *d, void *ud)
{
    tally *t = ud;
    t->calls++;
    if (d->severity == CTREC_CHECK_ERROR) t->errors++;
    else if (d->severity == CTREC_CHECK_WARNING) t->warnings++;
    else FZ_FAIL("severity %d", (int)d->severity);
    if (!d->rule || !d->rule[0]) FZ_FAIL("diagnostic without a rule id");
    for (const char *c = d->rule; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            FZ_FAIL("rule id \"%s\" is not kebab-case", d->rule);
    if (!d->message || !d->message[0]) FZ_FAIL("[%s] without a message", d->rule);
    if (!d->fix || !d->fix[0]) FZ_FAIL("[%s] without a fix", d->rule);
    if (!d->file) FZ_FAIL("[%s] without a file", d->rule);
    if (d->event_json) {
        vresult vr;
        if (!v_json_value((const uint8_t *)d->event_json, strlen(d->event_json), &vr))
            FZ_FAIL("[%s] event_json is not JSON (%s): %s", d->rule, vr.msg, d->event_json);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    uint8_t f = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    fz_clear(fz_in);
    size_t n1 = (size_t)(end - p), n2 = 0, n3 = 0;
    const uint8_t *t = p, *paths = NULL, *meta = NULL;
    if (f & 1) {
        t = fz_part(&p, end, &n1);
        paths = fz_part(&p, end, &n2);
        meta = fz_part(&p, end, &n3);
    }
    if (f & 2) {
        size_t n;
        uint8_t *b = fz_wrap_bin(t, n1, f, &n);
        fz_put(fz_in, "trace.bin", b, n);
        free(b);
    } else {
        fz_put(fz_in, "trace.json", t, n1);
    }
    if (paths) fz_put(fz_in, "trace_paths.json", paths, n2);
    if (meta) fz_put(fz_in, "trace_metadata.json", meta, n3);

    ctrec_check_options o;
    ctrec_check_options_init(&o);
    o.target = (f & 0x80) ? CTREC_CHECK_25_11 : CTREC_CHECK_LATEST;
    tally tl = {0, 0, 0};
    ctrec_check_summary sum;
    ctrec_status st = ctrec_check(fz_in, &o, on_diag, &tl, &sum);
    if (st) FZ_FAIL("ctrec_check: %s", ctrec_status_name(st));
    if (sum.errors != tl.errors || sum.warnings != tl.warnings)
        FZ_FAIL("summary %llu errors %llu warnings, callback saw %llu / %llu",
                (unsigned long long)sum.errors, (unsigned long long)sum.warnings,
                (unsigned long long)tl.errors, (unsigned long long)tl.warnings);
    return 0;
}
