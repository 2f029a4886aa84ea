/*
 * fuzz_ct_container.c — the CTFS container layer and everything above it:
 * the input is a whole .ct file. The first byte chooses: bit 0 clear, the
 * rest is the file as is; bit 0 set, the rest replaces bytes 16.. of a
 * valid small container's first block (the root entries), so the fuzzer
 * works on sizes, mapping blocks and names of real members. Read, seek
 * and member checks of fuzz_ct_common.h.
 */
#include "fuzz_ct_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("ct-container");
    fz_ct_selfcheck("container");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return -1;
    if (data[0] & 1) {
        fz_ct_build("none", NULL, 0);
        char path[512];
        fz_path(path, sizeof path, fz_in, "trace.ct");
        FILE *f = fopen(path, "r+b");
        if (!f) FZ_FAIL("reopen");
        size_t n = size - 1 > 4096 - 16 ? 4096 - 16 : size - 1;
        fseek(f, 16, SEEK_SET);
        if (fwrite(data + 1, 1, n, f) != n) FZ_FAIL("write");
        fclose(f);
    } else {
        fz_clear(fz_in);
        fz_put(fz_in, "trace.ct", data + 1, size - 1);
    }
    fz_ct_check(0);
    return 0;
}
