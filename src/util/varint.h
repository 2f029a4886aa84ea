/* varint.h — reading one LEB128 varint (the .ct streams' and records'
 * unsigned integers), shared by the .ct reader and the .ct writer. */
#ifndef CTREC_UTIL_VARINT_H
#define CTREC_UTIL_VARINT_H

#include <stdint.h>

/* Decodes a varint from [p, end). Returns 0, or -1 when the bytes end
 * inside it, -2 when it is longer than 10 bytes or overflows 64 bits. */
static inline int ct_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    if (q < end && *q < 0x80) {
        *out = *q;
        *p = q + 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (q >= end) return -1;
        uint8_t b = *q++;
        if (shift == 63 && b > 1) return -2;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            *p = q;
            return 0;
        }
    }
    return -2;
}

#endif
