/*
 * damage.c — a trace file cut at 20 points and with a byte flipped at 20
 * points: the reader must deliver the intact events before the damage and
 * then report an error (a flip may also decode to other valid data), and
 * never crash. Also built with AddressSanitizer and UBSan.
 *
 *   rd-damage TRACE_FILE WORKDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec_reader.h"

typedef struct list {
    char **items;
    size_t n, cap;
} list;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

static int spill(const char *path, const char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int rc = fwrite(d, 1, n, f) == n ? 0 : -1;
    if (fclose(f)) rc = -1;
    return rc;
}

static int failures;

/* Reads `path`; events delivered while at most `intact_upto` bytes were
 * consumed must equal the intact ones. Returns the final status. */
static ctrec_status check(const char *path, const list *intact, uint64_t intact_upto,
                          int must_fail, const char *what)
{
    ctrec_reader *r;
    ctrec_status st = ctrec_reader_open(path, NULL, &r);
    if (st) {
        printf("%-28s open failed: %s\n", what, ctrec_reader_errmsg(r));
        if (!ctrec_reader_errmsg(r)[0]) {
            fprintf(stderr, "FAIL %s: open failed without a message\n", what);
            failures++;
        }
        ctrec_reader_close(r);
        return st;
    }
    const ctrec_ev *ev;
    char *line = NULL;
    size_t cap = 0, len;
    size_t i = 0;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        ctrec_status js = ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &cap, &len);
        if (js) {
            fprintf(stderr, "FAIL %s: event %zu cannot be encoded\n", what, i);
            failures++;
            break;
        }
        if (ctrec_reader_bytes_read(r) <= intact_upto) {
            if (i >= intact->n || strcmp(line, intact->items[i]) != 0) {
                fprintf(stderr, "FAIL %s: event %zu differs from the intact trace: %s\n", what,
                        i, line);
                failures++;
                break;
            }
        }
        i++;
    }
    if (must_fail && st == CTREC_OK) {
        fprintf(stderr, "FAIL %s: no error after %zu events\n", what, i);
        failures++;
    }
    if (st && !strstr(ctrec_reader_errmsg(r), "byte")) {
        fprintf(stderr, "FAIL %s: message without a byte offset: %s\n", what,
                ctrec_reader_errmsg(r));
        failures++;
    }
    printf("%-28s events=%-7zu status=%s %s\n", what, i, ctrec_status_name(st),
           ctrec_reader_errmsg(r));
    free(line);
    ctrec_reader_close(r);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rd-damage TRACE_FILE WORKDIR\n");
        return 2;
    }
    size_t n;
    char *data = slurp(argv[1], &n);
    if (!data || n < 16) {
        fprintf(stderr, "rd-damage: cannot read %s\n", argv[1]);
        return 2;
    }
    int is_bin = (unsigned char)data[0] == 0xC0;
    /* the intact events */
    list intact = {0};
    ctrec_reader *r;
    if (ctrec_reader_open(argv[1], NULL, &r)) {
        fprintf(stderr, "rd-damage: %s\n", ctrec_reader_errmsg(r));
        return 2;
    }
    const ctrec_ev *ev;
    ctrec_status st;
    char *line = NULL;
    size_t cap = 0, len;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &line, &cap, &len)) return 2;
        if (intact.n == intact.cap) {
            intact.cap = intact.cap ? intact.cap * 2 : 1024;
            intact.items = realloc(intact.items, intact.cap * sizeof *intact.items);
            if (!intact.items) return 2;
        }
        intact.items[intact.n++] = strdup(line);
    }
    ctrec_reader_close(r);
    if (st) {
        fprintf(stderr, "rd-damage: the intact trace does not read\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/damaged.%s", argv[2], is_bin ? "bin" : "json");
    char what[64];
    /* 20 cuts: the start, the header, spread over the file, near the end */
    size_t cuts[20] = {1, 5, 8, 9, 12, n - 1, n - 2, n - 9, n - 17};
    for (int k = 9; k < 20; k++) cuts[k] = n * (size_t)(k - 8) / 12;
    for (int k = 0; k < 20; k++) {
        size_t c = cuts[k];
        if (c >= n) c = n - 1;
        if (spill(path, data, c)) return 2;
        snprintf(what, sizeof what, "cut at %zu/%zu", c, n);
        /* a cut that leaves only whitespace out is still a complete trace */
        int must_fail = 0;
        for (size_t j = c; j < n; j++)
            if (data[j] != ' ' && data[j] != '\n' && data[j] != '\r' && data[j] != '\t') must_fail = 1;
        check(path, &intact, c, must_fail, what);
    }
    /* 20 flips */
    for (int k = 0; k < 20; k++) {
        size_t at = k < 4 ? (size_t)k * 3 : (n - 1) * (size_t)(k - 3) / 16;
        if (at >= n) at = n - 1;
        data[at] ^= (char)0x5A;
        if (spill(path, data, n)) return 2;
        data[at] ^= (char)0x5A;
        snprintf(what, sizeof what, "flip at %zu/%zu", at, n);
        check(path, &intact, at, 0, what);
    }
    for (size_t i = 0; i < intact.n; i++) free(intact.items[i]);
    free(intact.items);
    free(line);
    free(data);
    if (failures) {
        fprintf(stderr, "rd-damage: %d failures\n", failures);
        return 1;
    }
    printf("rd-damage: ok (%zu intact events)\n", intact.n);
    return 0;
}
