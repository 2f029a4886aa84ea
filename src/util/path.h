/* path.h — file names and small whole files, shared by the layers that look
 * beside a trace. */
#ifndef CTREC_UTIL_PATH_H
#define CTREC_UTIL_PATH_H

#include <stddef.h>

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

#endif
