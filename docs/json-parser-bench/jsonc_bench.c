/* json-c: one DOM per event (json_tokener on each array element), then the
 * event's fields read from the DOM (variant, ids, the value's kind/i/type_id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
static long walk(json_object *o) {
    long h = 0;
    json_object_object_foreach(o, k, v) {
        h += (long)strlen(k);
        switch (json_object_get_type(v)) {
        case json_type_object: h += walk(v); break;
        case json_type_array: for (size_t i = 0; i < json_object_array_length(v); i++) { json_object *e = json_object_array_get_idx(v, i); if (json_object_is_type(e, json_type_object)) h += walk(e); } break;
        case json_type_int: h += (long)json_object_get_int64(v); break;
        case json_type_string: h += json_object_get_string_len(v); break;
        default: break;
        }
    }
    return h;
}
int main(int argc, char **argv) {
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    FILE *f = fopen(argv[1], "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1); if (fread(d, 1, (size_t)n, f) != (size_t)n) return 1; d[n] = 0; fclose(f);
    json_tokener *tok = json_tokener_new(); long events = 0, h = 0; char *p = strchr(d, '[') + 1, *end = d + n;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == ',')) p++;
        if (p >= end || *p == ']') break;
        json_object *o = json_tokener_parse_ex(tok, p, (int)(end - p > 1 << 30 ? 1 << 30 : end - p));
        if (!o) { puts("err"); return 1; }
        p += json_tokener_get_parse_end(tok); json_tokener_reset(tok);
        if (json_object_is_type(o, json_type_object)) h += walk(o);
        json_object_put(o); events++;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("json-c events=%ld seconds=%.3f ns_per_event=%.1f Mev/s=%.2f (%ld)\n", events, s, s * 1e9 / (double)events, (double)events / s / 1e6, h);
    return 0;
}
