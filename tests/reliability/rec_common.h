/*
 * rec_common.h — a deterministic recording for the crash and disk-full
 * tests, and its check: event j of the recording has a known JSON spelling,
 * so a reader that returns anything but the recorded events (garbage after
 * the damage, a skipped event) is caught.
 *
 * The recording: ctrec_start("/rel/main.src", line 1), Type int, variable
 * "i", then for i = 0, 1, ...: Step {path 0, line i + 1} and Value {i:
 * Int(i)}.
 */
#ifndef CTREC_REL_COMMON_H
#define CTREC_REL_COMMON_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctrec/ctrec.h"
#include "ctrec/ctrec_reader.h"
#include "validate.h"

#define REC_PRELUDE 6

static ctrec_status rec_prelude(ctrec_writer *w)
{
    ctrec_status st;
    ctrec_id t, v;
    if ((st = ctrec_start(w, "/rel/main.src", 13, 1))) return st;
    if ((st = ctrec_type_z(w, CTREC_TYPE_INT, "int", &t))) return st;
    return ctrec_variable_z(w, "i", &v);
}

/* Step i and Value i: two events. */
static ctrec_status rec_step(ctrec_writer *w, uint64_t i)
{
    ctrec_status st;
    if ((st = ctrec_step(w, 0, (int64_t)i + 1))) return st;
    if ((st = ctrec_begin_value(w, 0))) return st;
    if ((st = ctrec_int(w, (int64_t)i, 1))) return st;
    return ctrec_end(w);
}

/* The JSON spelling of event j. */
static void rec_expected(uint64_t j, char *out, size_t cap)
{
    static const char *const prelude[REC_PRELUDE] = {
        "{\"Path\":\"/rel/main.src\"}",
        "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"VariableName\":\"i\"}",
    };
    if (j < REC_PRELUDE) {
        snprintf(out, cap, "%s", prelude[j]);
        return;
    }
    uint64_t i = (j - REC_PRELUDE) / 2;
    if ((j - REC_PRELUDE) % 2 == 0)
        snprintf(out, cap, "{\"Step\":{\"path_id\":0,\"line\":%" PRIu64 "}}", i + 1);
    else
        snprintf(out, cap,
                 "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":%" PRIu64
                 ",\"type_id\":1}}}",
                 i);
}

typedef struct rec_read {
    int opened;
    uint64_t events;      /* events read, all as expected */
    ctrec_status status;  /* final status (CTREC_OK: a clean end) */
    int complete;
    int mismatch;         /* 1 if an event differed from the recording */
    char msg[512];
} rec_read;

/* Reads the trace at dir with the reader, comparing every event with the
 * recording. */
static void rec_read_back(const char *dir, rec_read *rr)
{
    memset(rr, 0, sizeof *rr);
    ctrec_reader *r;
    ctrec_status st = ctrec_reader_open(dir, NULL, &r);
    if (st) {
        rr->status = st;
        snprintf(rr->msg, sizeof rr->msg, "%s", ctrec_reader_errmsg(r));
        ctrec_reader_close(r);
        return;
    }
    rr->opened = 1;
    const ctrec_ev *ev;
    char *buf = NULL, want[256];
    size_t cap = 0, len;
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        rec_expected(rr->events, want, sizeof want);
        if (ctrec_event_to_json(ev, CTREC_FLOAT_STRING, &buf, &cap, &len) != CTREC_OK ||
            strcmp(buf, want) != 0) {
            rr->mismatch = 1;
            snprintf(rr->msg, sizeof rr->msg, "event %" PRIu64 " read as %.200s, recorded as %s",
                     rr->events, buf ? buf : "?", want);
            break;
        }
        rr->events++;
    }
    if (!rr->mismatch) {
        rr->status = st;
        if (st) snprintf(rr->msg, sizeof rr->msg, "%s", ctrec_reader_errmsg(r));
    }
    rr->complete = ctrec_reader_complete(r);
    free(buf);
    ctrec_reader_close(r);
}

/* Counts the events of the trace file with the independent validators of
 * validate.h (complete lines of trace.json, complete frames of trace.bin).
 * Returns -1 if what is there is not valid. */
static int64_t rec_validate(const char *dir, int bin, char *msg, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/%s", dir, bin ? "trace.bin" : "trace.json");
    size_t n;
    uint8_t *b = v_read_file(path, (size_t)1 << 31, &n);
    if (!b) return 0; /* not created yet */
    vresult vr;
    int ok = bin ? v_trace_bin(b, n, 0, (size_t)1 << 31, &vr) : v_json_trace_prefix(b, n, &vr);
    free(b);
    if (!ok) {
        snprintf(msg, cap, "%s at byte %zu: %s", bin ? "trace.bin" : "trace.json", vr.err_at, vr.msg);
        return -1;
    }
    return (int64_t)vr.items;
}

/* Whether dir/name parses as JSON; `if_missing` when it cannot be read. */
static int rec_json_file_ok(const char *dir, const char *name, int if_missing)
{
    char p[4200];
    snprintf(p, sizeof p, "%.4000s/%s", dir, name);
    size_t n;
    uint8_t *b = v_read_file(p, 1u << 24, &n);
    if (!b) return if_missing;
    vresult vr;
    int ok = v_json_value(b, n, &vr);
    free(b);
    return ok;
}

/* Reads the pipe to its end and closes it: the recorder child writes the
 * number of events it has flushed, one line each time; returns the last
 * complete one (0 if none). */
static uint64_t rec_last_flushed(int fd)
{
    char buf[4096];
    size_t have = 0;
    uint64_t flushed = 0;
    ssize_t r;
    while ((r = read(fd, buf + have, sizeof buf - have - 1)) > 0) {
        have += (size_t)r;
        buf[have] = 0;
        char *nl = strrchr(buf, '\n');
        if (nl) {
            *nl = 0;
            char *prev = strrchr(buf, '\n');
            flushed = strtoull(prev ? prev + 1 : buf, NULL, 10);
            size_t rest = have - (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, rest);
            have = rest;
        }
    }
    close(fd);
    return flushed;
}

#endif
