/*
 * ct_readahead.c — the reader's read_ahead option changes nothing a reader
 * sees: for a .ct (a W1 trace of many chunks, made by the test command) and
 * copies of it damaged at spread-out places (4 bytes changed; cut short),
 * the events (their JSON text), their count, the final status and message
 * are the same with read_ahead 0 and 1; so are the events read after 300
 * seeks ahead and back, where every event's ctrec_reader_step_index() must
 * also be the last Step's index.
 *
 * usage: ct-readahead TRACE.ct WORKDIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"

typedef struct {
    uint64_t hash, events;
    ctrec_status st;
    char msg[1024];
} outcome;

/* Opens p with read_ahead ra and starts o's hash (o->st: the status). */
static ctrec_reader *open_ra(const char *p, int ra, outcome *o)
{
    ctrec_reader_options opt;
    ctrec_reader_options_init(&opt);
    opt.read_ahead = ra;
    ctrec_reader *r = NULL;
    o->hash = 1469598103934665603ull;
    o->events = 0;
    o->st = ctrec_reader_open(p, &opt, &r);
    return r;
}

/* Adds ev's JSON text to o's hash (FNV-1a). Nonzero when it has none. */
static int hash_event(outcome *o, const ctrec_ev *ev, char **line, size_t *cap)
{
    size_t len;
    if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, line, cap, &len)) return -1;
    for (size_t i = 0; i < len; i++) o->hash = (o->hash ^ (uint8_t)(*line)[i]) * 1099511628211ull;
    o->events++;
    return 0;
}

/* Closes r, keeping its last message in o. */
static void close_ra(ctrec_reader *r, outcome *o)
{
    snprintf(o->msg, sizeof o->msg, "%s", ctrec_reader_errmsg(r));
    ctrec_reader_close(r);
}

static void run(const char *p, int ra, outcome *o)
{
    ctrec_reader *r = open_ra(p, ra, o);
    if (!o->st) {
        const ctrec_ev *ev;
        char *line = NULL;
        size_t cap = 0;
        while ((o->st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev)
            if (hash_event(o, ev, &line, &cap)) break;
        free(line);
    }
    close_ra(r, o);
}

/* Seeks all over the trace (ahead and back, so the read-ahead queues are
 * dropped with jobs queued and running) and reads some events after each:
 * their hash, count and status, and, for every event, that
 * ctrec_reader_step_index() is the index of the last Step (the step sought,
 * then one more per Step). Returns the number of index mismatches. */
static int run_seeks(const char *p, int ra, uint64_t nsteps, outcome *o)
{
    ctrec_reader *r = open_ra(p, ra, o);
    int bad = 0;
    uint64_t x = 2463534242ull;
    char *line = NULL;
    size_t cap = 0;
    for (int k = 0; !o->st && k < 300; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t step = x % nsteps, want = (x >> 20) % 6000 + 1, idx = step;
        int first = 1;
        if ((o->st = ctrec_reader_seek_step(r, step)) != CTREC_OK) break;
        const ctrec_ev *ev;
        for (uint64_t i = 0; i < want; i++) {
            if ((o->st = ctrec_reader_next(r, &ev)) != CTREC_OK || !ev) break;
            if (ev->type == CTREC_EV_STEP && !first) idx++;
            if (ev->type == CTREC_EV_STEP) first = 0;
            if (ctrec_reader_step_index(r) != idx && bad++ < 5)
                printf("FAIL %s (read_ahead %d): seek %llu, event %llu: step index %llu, not "
                       "%llu\n",
                       p, ra, (unsigned long long)step, (unsigned long long)i,
                       (unsigned long long)ctrec_reader_step_index(r), (unsigned long long)idx);
            if (hash_event(o, ev, &line, &cap)) break;
        }
    }
    free(line);
    close_ra(r, o);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ct-readahead TRACE.ct WORKDIR\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 2;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *src = malloc((size_t)n), *b = malloc((size_t)n);
    if (!src || !b || n < 65536 || fread(src, 1, (size_t)n, f) != (size_t)n) return 2;
    fclose(f);
    int failures = 0, errors = 0, cases = 0;
    uint64_t x = 88172645463325252ull; /* xorshift: the same places every run */
    for (int k = 0; k < 28; k++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/d%02d.ct", argv[2], k);
        memcpy(b, src, (size_t)n);
        size_t len = (size_t)n;
        if (k == 0) {
            /* undamaged */
        } else if (k < 25) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = 8192 + (size_t)(x % (uint64_t)(n - 8192 - 4));
            for (int j = 0; j < 4; j++) b[at + j] ^= 0x5a;
        } else {
            len = (size_t)n / 4 * (size_t)(k - 24); /* a quarter, half, three quarters */
        }
        FILE *o = fopen(p, "wb");
        if (!o || fwrite(b, 1, len, o) != len || fclose(o)) return perror(p), 2;
        outcome a, r;
        run(p, 0, &a);
        run(p, 1, &r);
        cases++;
        if (a.st) errors++;
        if (a.hash != r.hash || a.events != r.events || a.st != r.st || strcmp(a.msg, r.msg)) {
            failures++;
            printf("FAIL %s:\n  inline:     %llu events, %s: %s\n  read-ahead: %llu events, "
                   "%s: %s\n",
                   p, (unsigned long long)a.events, ctrec_status_name(a.st), a.msg,
                   (unsigned long long)r.events, ctrec_status_name(r.st), r.msg);
        }
        remove(p);
    }
    /* seeks (W1 of 100,000 iterations: 120,000 steps) */
    {
        outcome a, r;
        int bad = run_seeks(argv[1], 0, 120000, &a) + run_seeks(argv[1], 1, 120000, &r);
        cases++;
        if (bad || a.st || r.st || a.events < 100000 || a.hash != r.hash || a.events != r.events) {
            failures++;
            printf("FAIL seeks: %d step index mismatches; inline: %llu events, %s: %s; "
                   "read-ahead: %llu events, %s: %s\n",
                   bad, (unsigned long long)a.events, ctrec_status_name(a.st), a.msg,
                   (unsigned long long)r.events, ctrec_status_name(r.st), r.msg);
        }
    }
    /* the damage must reach the streams: else the test compares nothing */
    if (errors < 8) {
        printf("FAIL: only %d of %d damaged copies fail to read\n", errors, cases - 1);
        failures++;
    }
    free(src);
    free(b);
    printf("%d cases, %d read with an error, %d differ\n", cases, errors, failures);
    return failures ? 1 : 0;
}
