/*
 * folder.h — the trace folder around the event stream: the folder itself,
 * whole small files written atomically (trace_metadata.json,
 * trace_paths.json), the files/ copies of recorded sources, and the
 * recording id.
 */
#ifndef CTREC_SINK_FOLDER_H
#define CTREC_SINK_FOLDER_H

#include <stddef.h>

#include "util/err.h"

/* Creates `dir` and its parents if missing; returns an O_DIRECTORY fd. */
ctrec_status folder_open(const char *dir, int *dirfd, err *e);

/* Writes `name` in the folder through a temporary file and rename(2), so a
 * reader never sees a half-written file. */
ctrec_status folder_write_file(int dirfd, const char *name, const void *data, size_t len,
                               err *e);

/*
 * Copies the source file `raw` (its bytes as recorded: absolute, or relative
 * to `workdir`) to files/<clean> in the folder (FORMAT.md section 4), where
 * `clean` is the path as written in the trace (invalid UTF-8 replaced). The
 * destination is the lexically normalised path; a relative path whose
 * normal form climbs above its start (`../x`) is not copied, and no symlink
 * inside the folder is ever followed, so a copy never lands outside files/.
 * A path that is not a readable regular file is skipped: *copied says
 * whether a copy was made. A failure to write inside the folder returns
 * CTREC_E_IO with a message (callers may treat the copy as best effort).
 */
ctrec_status folder_copy_source(int dirfd, const char *workdir, const char *raw, size_t raw_len,
                                const char *clean, size_t clean_len, int *copied, err *e);

/* The folder's lock file: one writer at a time per trace folder. */
#define FOLDER_LOCK_NAME "trace.lock"

/*
 * Takes the advisory lock (flock) of the folder: creates trace.lock if
 * missing, locks it exclusively without waiting and writes the process id
 * in it. The kernel releases the lock when *lockfd is closed or the process
 * dies. CTREC_E_BUSY with a message naming the holder's process id when
 * another writer holds it.
 */
ctrec_status folder_lock(int dirfd, const char *dir, int *lockfd, err *e);

/* 1 when a writer holds the lock of the folder `dir`, 0 when the lock file
 * exists and is free, -1 when there is no lock file or it cannot be read. */
int folder_lock_held(const char *dir);

/* A new lowercase hyphenated UUIDv7 (RFC 9562) in out[37]. */
void folder_uuid_v7(char out[37]);

#endif
