/*
 * fuzz_ct_values.c — the .ct values decoder: the input is the decompressed
 * content of the one chunk (for meta: the whole meta.dat) of an otherwise
 * valid container (fuzz_ct_common.h); read, seek and member checks; and
 * the scalar fast path of the value decoder against its general path.
 */
#include "fuzz_ct_common.h"
#include "reader/ct.h"

/* The scalar fast path against the general path on the bytes at d (a
 * value at the start of a record sits a few bytes in): where the fast path
 * decodes, the general path must give the same value and end. */
static void fast_vs_general(const uint8_t *d, size_t n)
{
    arena a = {0};
    err e;
    const uint8_t *pf = d, *pg = d;
    ctrec_value fv;
    const ctrec_value *gv = NULL;
    if (ct_value_fast(&pf, d + n, &fv)) {
        if (ct_value_decode_general(&pg, d + n, &a, 60, &gv, &e) || pf != pg ||
            fv.kind != gv->kind || fv.b != gv->b || fv.type_id != gv->type_id ||
            fv.i != gv->i || memcmp(&fv.f, &gv->f, sizeof fv.f) != 0 ||
            fv.text.ptr != gv->text.ptr || fv.text.len != gv->text.len || gv->nchildren ||
            gv->names || gv->address) {
            fprintf(stderr, "the fast path for scalar values disagrees with the general path\n");
            abort();
        }
    } else if (pf != d)
        abort();
    arena_free(&a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-values");
    fz_ct_selfcheck("values");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return -1;
    for (size_t k = 0; k < 8 && k < size; k++) fast_vs_general(data + k, size - k);
    fz_ct_build("values", data, size);
    fz_ct_check(64);
    return 0;
}
