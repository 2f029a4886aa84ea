/*
 * fuzz_ct_spans.c — the .ct span stream decoder: the input is a record
 * count byte and the decompressed content of spans.dat's one chunk in an
 * otherwise valid container with meta.dat flag 0x2000 (fz_ct_build in
 * fuzz_ct_common.h); read, seek and member checks.
 */
#include "fuzz_ct_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-spans");
    fz_ct_selfcheck("spans");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return -1;
    fz_ct_build("spans", data, size);
    fz_ct_check(64);
    return 0;
}
