/*
 * clash.c — a program that defines, as global functions, names the library
 * uses internally. Linked statically against libctrec.a, it must link (no
 * duplicate definition) and each side must keep its own: the program's
 * functions return their marker and the library still records a trace.
 */
#include <stdio.h>
#include <string.h>

#include "ctrec/ctrec.h"

int buf_grow(void *b, size_t n);
int err_set(int x);
int write_all(int fd, const void *p, size_t n);
int vec_grow(int x);
int json_parse_event(int x);
int intern_add(int x);
int text_double(int x);

int buf_grow(void *b, size_t n) { return b == NULL && n == 1 ? 101 : -1; }
int err_set(int x) { return x + 102; }
int write_all(int fd, const void *p, size_t n) { return fd == -1 && p == NULL && n == 0 ? 103 : -1; }
int vec_grow(int x) { return x + 104; }
int json_parse_event(int x) { return x + 105; }
int intern_add(int x) { return x + 106; }
int text_double(int x) { return x + 107; }

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    int ours = buf_grow(NULL, 1) == 101 && err_set(0) == 102 && write_all(-1, NULL, 0) == 103 &&
               vec_grow(0) == 104 && json_parse_event(0) == 105 && intern_add(0) == 106 &&
               text_double(0) == 107;
    if (!ours) {
        fprintf(stderr, "clash: the program's own functions were replaced\n");
        return 1;
    }
    ctrec_writer *w = NULL;
    ctrec_status st = ctrec_writer_open(argv[1], NULL, &w);
    if (!st) st = ctrec_start(w, "/x.src", 6, 1);
    if (!st) st = ctrec_step(w, 0, 2);
    if (!st) st = ctrec_writer_close(w);
    else ctrec_writer_close(w);
    if (st) {
        fprintf(stderr, "clash: recording failed: %s\n", ctrec_status_name(st));
        return 1;
    }
    printf("clash: ok\n");
    return 0;
}
