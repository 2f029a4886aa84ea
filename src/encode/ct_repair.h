/*
 * ct_repair.h — completes a .ct whose recording was killed (ctrec repair).
 *
 * What a killed ctrec .ct writer leaves (ct_writer.h, Durability): a
 * container whose published members show every stream as it was at the
 * last publication (the chunk in progress of each stream as its last
 * chunk, as many values records as steps, the tables holding every name
 * used), the provisional meta.dat (no paths listed), calls.dat empty, and
 * the scratch file NAME.calls~ with the entry part of every call entered
 * at a published step and the exit part of the calls that returned.
 *
 * ct_repair writes a complete container beside it: the tables and the
 * steps, values and events streams copied as published (a last chunk that
 * does not decode, a publication cut by the kill, is dropped, and the
 * streams are cut to a common number of steps); calls.dat built from the
 * scratch file in entry order, with every call open at the last kept step
 * (or returning after it) closed at that step without a return value, as
 * ctw_close closes the calls open at close; the final meta.dat (the
 * provisional one with the paths of paths.dat listed).
 *
 * Memory: one chunk per stream, a window of CT_KEY_WINDOW calls, one bit
 * per call (which returned in time), the children of the calls left open
 * (as deltas, 1-3 bytes each; a chunk holding one with over 64 KiB of
 * children's keys is written as the writer writes it, ct_raw_frame).
 */
#ifndef CTREC_ENCODE_CT_REPAIR_H
#define CTREC_ENCODE_CT_REPAIR_H

#include <stdint.h>

#include "util/err.h"

typedef struct ct_repair_info {
    int needed;          /* 0: no scratch file, the container was closed */
    uint64_t steps;      /* steps kept */
    uint64_t steps_published; /* steps the container showed (before any cut) */
    uint64_t calls;      /* call records written */
    uint64_t open_calls; /* of them, closed at the last step by the repair */
    uint64_t events;     /* I/O events kept */
} ct_repair_info;

/* Repairs the .ct at `path` (its scratch file is path + ".calls~") into a
 * new container at `out`. With no scratch file, sets needed = 0 and writes
 * nothing. */
ctrec_status ct_repair(const char *path, const char *out, ct_repair_info *info, err *e);

#endif
