/* path.h — file names, shared by the layers that look beside a trace. */
#ifndef CTREC_UTIL_PATH_H
#define CTREC_UTIL_PATH_H

/* "dir/name", malloc'd; NULL when out of memory. */
char *path_join(const char *dir, const char *name);

/* 1 when path names a regular file (symbolic links followed), else 0. */
int path_is_file(const char *path);

#endif
