/*
 * fuzz_ct_steps.c — the .ct steps decoder: the input is the decompressed
 * content of the one chunk (for meta: the whole meta.dat) of an otherwise
 * valid container (fuzz_ct_common.h); read, seek and member checks.
 */
#include "fuzz_ct_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-steps");
    fz_ct_selfcheck("steps");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return -1;
    fz_ct_build("steps", data, size);
    fz_ct_check(64);
    return 0;
}
