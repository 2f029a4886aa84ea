/*
 * ctfs_write.h — the CTFS v4 container, write side (FORMAT.md section 7.1).
 *
 * A container is a file of 4096-byte blocks: block 0 holds the 16-byte
 * header and 31 root entries (size, level-1 mapping block, base40 name);
 * every member is a chain of mapping blocks pointing at its data blocks.
 * Members only grow: bytes are appended, never rewritten.
 *
 * Durability: appended bytes reach the file as whole blocks fill; nothing
 * says they exist until ctfs_w_publish (provisional bytes aside, see
 * ctfs_w_provisional), which writes every block still in
 * memory (mapping blocks, each member's last partial block), then block 0
 * with the members' new sizes. No block the last block 0 names is written
 * with a change a reader of it would see: such a block is copied to a free
 * block and the mapping above it with it (copy-on-write), so writing block
 * 0 switches every member at once. A reader of the file therefore always
 * sees exactly what one publication published: a consistent prefix, also
 * after the writing process is killed at any point. Blocks a publication
 * replaced are reused three publications later (a reader following the
 * file has that long to read what an older root named).
 *
 * Memory per member: its partial data block and the mapping blocks on the
 * path of the next insertion (at most 1 + 2 * 4 blocks of 4 KiB, and as
 * many again that left that path since the last publication), never the
 * member's content. Nothing above this layer knows about blocks.
 *
 * Not thread-safe: one thread at a time uses a container.
 */
#ifndef CTREC_CTFS_CTFS_WRITE_H
#define CTREC_CTFS_CTFS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CTFS_W_BLOCK 4096u
#define CTFS_W_ROOT_ENTRIES 31u
#define CTFS_W_VERSION 4u
#define CTFS_W_NAME_MAX 12u

typedef struct ctfs_w ctfs_w;

/* Creates (truncating) `name` under dirfd and writes an empty container. */
ctrec_status ctfs_w_create(int dirfd, const char *name, ctfs_w **out, err *e);
/* Adds a member (lowercase a-z, 0-9, '.', '/', '-', at most 12 characters)
 * and returns its index. At most 31 members. */
ctrec_status ctfs_w_member(ctfs_w *c, const char *name, unsigned *idx, err *e);
/* Appends n bytes to a member. */
ctrec_status ctfs_w_append(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e);
/* Replaces a member's content with n bytes written to fresh blocks (for a
 * small member completed at close, meta.dat); until the next publication a
 * reader sees the old content, then the new. The old blocks are left
 * unused in the file. */
ctrec_status ctfs_w_replace(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e);
/* Sets the member's provisional bytes (replacing earlier ones): the next
 * publications show them after its appended bytes, as if appended, until
 * the next append (which writes over them) or provisional call. For the
 * chunk of a stream still being filled: a reader sees it as the stream's
 * last chunk, and the complete chunk later takes its place, at the same
 * offset. Published provisional bytes are never overwritten: their blocks
 * are copied at the next publication (see Durability). Memory: the
 * provisional bytes, and the blocks appended over them until the next
 * publication. */
ctrec_status ctfs_w_provisional(ctfs_w *c, unsigned idx, const void *p, size_t n, err *e);
/* Bytes appended to a member so far. */
uint64_t ctfs_w_size(const ctfs_w *c, unsigned idx);
/* Makes everything appended so far visible in the file (see above). With
 * sync, also fdatasync()s the data before and after block 0. */
ctrec_status ctfs_w_publish(ctfs_w *c, int sync, err *e);
/* Publishes and closes; frees c in every case. */
ctrec_status ctfs_w_close(ctfs_w *c, err *e);
/* Frees c and closes the file without publishing. */
void ctfs_w_abandon(ctfs_w *c);

#endif
