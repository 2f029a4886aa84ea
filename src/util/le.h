/* le.h — little-endian integers in byte buffers (the CTFS container's
 * header, root entries, mapping blocks and .idx/.off tables, trace.bin's
 * seek table), shared by the container layer, the sinks, the .ct reader and
 * the .ct repair. p need not be aligned. */
#ifndef CTREC_UTIL_LE_H
#define CTREC_UTIL_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t load_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void store_le64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* one store: a mapping block's 512 entries took 17 instructions each
     * byte by byte (0.2 M of ctrec-lua's sort.lua 300 in .ct) */
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
#endif
}

#endif
