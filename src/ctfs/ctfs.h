/*
 * ctfs.h — the CTFS container (FORMAT.md section 7.1): constants and the
 * base40 member-name codec shared by the reader and the writer, and the
 * read side (ctfs_read.c).
 *
 * Layout, little-endian: bytes 0-4 magic C0 DE 72 AC E2, byte 5 version
 * (2-4 read, 4 written), bytes 6-7 (v4) encryption and max_shards, bytes
 * 8-11 u32 block size (1024, 2048, 4096), bytes 12-15 u32 number of root
 * entries. Root entries start at byte 16, 24 bytes each: u64 size, u64
 * level-1 mapping block, u64 base40 name; all zero = unused. A mapping
 * block is u64[block_size/8]: entries 0..n-2 point down (data blocks at
 * level 1, level-(k-1) blocks at level k), entry n-1 chains to the block of
 * the next level (at most CTFS_MAX_LEVELS). Block 0 holds the header.
 *
 * Nothing above this layer knows about blocks: a member is a byte string
 * of a published size, read with ctfs_read_at().
 */
#ifndef CTREC_CTFS_H
#define CTREC_CTFS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CTFS_MAGIC_LEN 5
static const uint8_t ctfs_magic[CTFS_MAGIC_LEN] = {0xC0, 0xDE, 0x72, 0xAC, 0xE2};
#define CTFS_VERSION 4u          /* written */
#define CTFS_VERSION_MIN 2u      /* oldest read */
#define CTFS_HEADER_SIZE 16u     /* root entries start here */
#define CTFS_ENTRY_SIZE 24u
#define CTFS_BLOCK_SIZE 4096u    /* written (the Nim reader assumes it) */
#define CTFS_ROOT_ENTRIES 31u    /* written (the Nim reader assumes it) */
#define CTFS_MAX_LEVELS 5u
#define CTFS_NAME_MAX 12u        /* characters in a base40 name */

/* What a container version ctrec does not read is, for a message: versions
 * 5 and 6 belong to the format's revision of autumn 2026 (one-block members
 * without a mapping block; v6's 24-byte header), which ctrec does not read
 * yet; "" for any other version. */
const char *ctfs_version_note(unsigned version);

/* base40: alphabet "\0 0-9 a-z . / -", first character least significant.
 * Encodes `len` characters of `name` into *out; returns 0, or -1 when the
 * name is empty, longer than CTFS_NAME_MAX or holds another character. */
int ctfs_name_encode(const char *name, size_t len, uint64_t *out);
/* Decodes `v` into out (NUL-terminated, at most 12 characters); returns the
 * length, or -1 when `v` is not a valid name (>= 40^12, a NUL inside). */
int ctfs_name_decode(uint64_t v, char out[CTFS_NAME_MAX + 1]);

/* ---- reading ---- */

typedef struct ctfs ctfs;

typedef struct ctfs_member {
    char name[CTFS_NAME_MAX + 1];
    uint64_t size;       /* published size */
    uint64_t map_block;  /* level-1 mapping block */
    unsigned slot;       /* root entry index */
} ctfs_member;

/* Opens the container at `path` (read-only; never read whole). Fails with
 * CTREC_E_FORMAT (not a container, bad version/block size, a root entry
 * pointing past the end, a size larger than the file allows) or
 * CTREC_E_IO. *out is NULL on failure. */
ctrec_status ctfs_open(const char *path, ctfs **out, err *e);
void ctfs_close(ctfs *c);

unsigned ctfs_version(const ctfs *c);
uint32_t ctfs_block_size(const ctfs *c);
uint64_t ctfs_file_size(const ctfs *c);

/* Members in root-entry order. */
size_t ctfs_member_count(const ctfs *c);
const ctfs_member *ctfs_member_at(const ctfs *c, size_t i);
/* The member named `name`, or NULL. */
const ctfs_member *ctfs_find(const ctfs *c, const char *name);

/* Reads the root entries again (a recorder publishes sizes as it goes):
 * members keep their identity, sizes grow; new members appear; a member
 * replaced as a whole (a new mapping block: ctrec's writer replaces
 * meta.dat at close) takes its new size. A size may also shrink by up to
 * CTFS_SHRINK_MAX bytes: ctrec's writer shows a stream's chunk in progress
 * as its last chunk, and the complete one that replaces it at close can
 * compress smaller (its readers load a last chunk again when its bytes
 * change). Returns CTREC_E_FORMAT if a published size shrank more, or a
 * member vanished. */
#define CTFS_SHRINK_MAX ((uint64_t)1 << 20)
ctrec_status ctfs_refresh(ctfs *c, err *e);

/* A second handle on the same open file for another thread: its own
 * descriptor (a dup) and mapping-block cache, no members (read through
 * copies of the first handle's ctfs_member values). *out is NULL on
 * failure (CTREC_E_NOMEM, CTREC_E_IO). The two handles share no state. */
ctrec_status ctfs_clone(const ctfs *c, ctfs **out, err *e);
/* Forgets a handle's cached mapping blocks and takes `fsize` as the file's
 * size (a clone catching up with what its first handle has seen). */
void ctfs_resync(ctfs *c, uint64_t fsize);

/* Reads exactly n bytes of member m at offset off into out, streaming the
 * member's blocks (mapping blocks are cached). Refuses a range past the
 * published size (CTREC_E_TRUNCATED), a block number past the end of the
 * file, a zero or looping pointer, a chain deeper than 5 levels
 * (CTREC_E_FORMAT); messages name the member and the offset. */
ctrec_status ctfs_read_at(ctfs *c, const ctfs_member *m, uint64_t off, void *out, size_t n,
                          err *e);

#endif
