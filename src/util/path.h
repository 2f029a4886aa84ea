/* path.h — file names and small whole files, shared by the layers that look
 * beside a trace. */
#ifndef CTREC_UTIL_PATH_H
#define CTREC_UTIL_PATH_H

#include <stddef.h>
#include <sys/types.h>

/* "dir/name", malloc'd; NULL when out of memory. */
char *path_join(const char *dir, const char *name);

/* The folder of a file's path ("." without a slash, "/" for "/x"),
 * malloc'd; NULL when out of memory. */
char *path_dir(const char *file);

/* 1 when path names a regular file (symbolic links followed), else 0. */
int path_is_file(const char *path);

/* Reads the whole file at path, NUL-terminated, into *out (malloc'd) and
 * its length into *len. 0; 1 when it is over limit bytes (*len: the size
 * seen, nothing kept); -1 on an I/O error (errno says which); -2 out of
 * memory. *out is NULL unless 0 is returned. */
int path_read(const char *path, size_t limit, char **out, size_t *len);

/* Opens name in dirfd as a new empty file, O_CREAT | O_TRUNC | flags:
 * a file already there is removed first rather than truncated, so that
 * ext4 does not write its new data back when it is closed (it does that
 * for a file truncated from a non-zero size: re-recording sort.lua into
 * the same folder spent about 1.7 ms of a 90 ms recording there), and a
 * reader that has the old file open keeps reading it whole. When it cannot
 * be removed (a folder that is not writable), it is truncated as before.
 * The fd, or -1 with errno. */
int path_create(int dirfd, const char *name, int flags, mode_t mode);

#endif
