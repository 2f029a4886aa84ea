/* yajl streaming (SAX) over trace.json: counts events and decodes every
 * integer and string token; no event structs are built (a lower bound). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <yajl/yajl_parse.h>
static long depth, events, ints, strs;
static int on_int(void *c, long long v) { (void)c; ints += v & 1; return 1; }
static int on_str(void *c, const unsigned char *s, size_t n) { (void)c; (void)s; strs += (long)n; if (depth == 1) events++; return 1; }
static int on_key(void *c, const unsigned char *s, size_t n) { (void)c; (void)s; (void)n; return 1; }
static int on_sm(void *c) { (void)c; if (++depth == 2) events++; return 1; }
static int on_em(void *c) { (void)c; depth--; return 1; }
static int on_sa(void *c) { (void)c; depth++; return 1; }
static int on_ea(void *c) { (void)c; depth--; return 1; }
static int on_bool(void *c, int b) { (void)c; (void)b; return 1; }
static int on_null(void *c) { (void)c; return 1; }
static int on_double(void *c, double d) { (void)c; (void)d; return 1; }
static yajl_callbacks cb = {on_null, on_bool, on_int, on_double, NULL, on_str, on_sm, on_key, on_em, on_sa, on_ea};
int main(int argc, char **argv) {
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    FILE *f = fopen(argv[1], "rb"); static unsigned char buf[1 << 20];
    yajl_handle h = yajl_alloc(&cb, NULL, NULL); size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) if (yajl_parse(h, buf, n) != yajl_status_ok) { puts("err"); return 1; }
    yajl_complete_parse(h); yajl_free(h); fclose(f);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("yajl events=%ld seconds=%.3f ns_per_event=%.1f Mev/s=%.2f (%ld)\n", events, s, s * 1e9 / (double)events, (double)events / s / 1e6, ints + strs);
    return 0;
}
