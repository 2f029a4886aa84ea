/*
 * fuzz_writer.c — the writer driven by fuzz bytes. The first bytes choose
 * the options (format: trace.json, trace.bin or trace.ct; float encoding,
 * depth bound, buffer and frame sizes, threads); the rest is a sequence of
 * API calls with their arguments: every definition, every event, every
 * value leaf and compound begin/end, ctrec_arg, ctrec_end, ctrec_abandon,
 * flushes, value memos kept and written again, exceptions raised, caught
 * and returned with (trace.ct), thread handles opened, entered, left and
 * closed (on the fuzzer's one thread). Misuse (and, in a .ct, an event
 * its layout cannot hold) must give a clean error and leave the writer
 * usable; after closing, the trace must be valid: trace.json parses
 * (strict JSON, one event per element, exactly as many events as the
 * writer counted, values no deeper than the bound),
 * trace.bin has a valid header, frames, seek table and CBOR events, and
 * trace_metadata.json / trace_paths.json parse. With the reader built in
 * (CTREC_FUZZ_READER), the trace is also read back: every event must read,
 * no value may nest more compounds than max_depth, and in JSON each line
 * must be exactly what ctrec_event_to_json() spells; a trace.ct is checked
 * only that way (its events are not the calls' order).
 *
 * The trace folder is a per-process temporary directory (in /dev/shm when
 * available) reused across runs; sizes are bounded by the input length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctrec/ctrec.h"
#ifdef CTREC_FUZZ_READER
#include "ctrec/ctrec_reader.h"
#endif
#include "validate.h"

static char g_dir[256];

/* ---- the byte source ---- */

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static uint8_t u8(src *s)
{
    if (!s->n) return 0;
    s->n--;
    return *s->p++;
}

static uint64_t u64n(src *s, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) v = (v << 8) | u8(s);
    return v;
}

/* Small signed number, sometimes an extreme one. */
static int64_t i64(src *s)
{
    uint8_t c = u8(s);
    switch (c & 7) {
    case 0: return INT64_MIN;
    case 1: return INT64_MAX;
    case 2: return -(int64_t)u8(s);
    case 3: return (int64_t)u64n(s, 8);
    default: return c >> 3;
    }
}

/* An id: mostly one of the defined ones, sometimes just past, sometimes
 * huge. */
static ctrec_id id(src *s, uint64_t count)
{
    uint8_t c = u8(s);
    if (c == 0xFF) return UINT64_MAX;
    if (c == 0xFE) return count;
    return count ? c % (count + 1) : c % 2;
}

/* Text from the input: length byte, then that many bytes. Sometimes NULL
 * (with length 0, allowed; or with a length, an argument error). */
static const char *text(src *s, size_t *len)
{
    uint8_t l = u8(s);
    if (l == 0xFF) {
        *len = 0;
        return NULL;
    }
    if (l == 0xFE) {
        *len = 3;
        return NULL;
    }
    size_t n = l & 0x7F;
    if (n > s->n) n = s->n;
    const char *p = (const char *)s->p;
    s->p += n;
    s->n -= n;
    *len = n;
    return p;
}

/* A memo slot: mostly one of four, sometimes the last or one past it. */
static uint32_t memo_slot(src *s)
{
    uint8_t c = u8(s);
    if (c == 0xFF) return CTREC_MEMO_SLOTS;
    if (c == 0xFE) return CTREC_MEMO_SLOTS - 1;
    return c % 4;
}

static double dbl(src *s)
{
    uint8_t c = u8(s);
    if (c < 128) {
        uint64_t bits = u64n(s, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    return (double)(int8_t)c / 4.0;
}

/* ---- checks ---- */

#define FAIL(...)                                 \
    do {                                          \
        fprintf(stderr, "fuzz_writer: " __VA_ARGS__); \
        fputc('\n', stderr);                      \
        abort();                                  \
    } while (0)

static void check_status(ctrec_writer *w, ctrec_status st, int op)
{
    if (st == CTREC_OK) return;
    if (st > CTREC_E_UNSUPPORTED || st < 0) FAIL("op %d: status %d out of range", op, (int)st);
    /* No I/O, memory or sticky failure can come from API misuse. */
    if (st == CTREC_E_IO || st == CTREC_E_NOMEM || st == CTREC_E_FAILED)
        FAIL("op %d: misuse made the writer fail: %s: %s", op, ctrec_status_name(st),
             ctrec_writer_errmsg(w));
    const char *m = ctrec_writer_errmsg(w);
    if (!m || !m[0]) FAIL("op %d: %s without a message", op, ctrec_status_name(st));
    if (ctrec_writer_status(w) != st) FAIL("op %d: ctrec_writer_status disagrees", op);
}

static void check_json_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    size_t n;
    uint8_t *b = v_read_file(path, 1u << 26, &n);
    if (!b) FAIL("%s missing", name);
    vresult r;
    if (!v_json_value(b, n, &r)) FAIL("%s: byte %zu: %s", name, r.err_at, r.msg);
    free(b);
}

#ifdef CTREC_FUZZ_READER
/* Compounds nested in v, v included: at most max_depth for every value the
 * writer wrote (a compound at that depth becomes an error or a marker, and a
 * memo is written only where its compounds fit). */
static unsigned value_depth(const ctrec_value *v)
{
    if (!v) return 0;
    unsigned d = 0;
    for (size_t i = 0; i < v->nchildren; i++) {
        unsigned c = value_depth(&v->children[i]);
        if (c > d) d = c;
    }
    switch (v->kind) {
    case CTREC_VAL_SEQUENCE:
    case CTREC_VAL_TUPLE:
    case CTREC_VAL_STRUCT:
    case CTREC_VAL_VARIANT:
    case CTREC_VAL_REFERENCE:
    case CTREC_VAL_SET: return d + 1;
    default: return d;
    }
}

static unsigned event_depth(const ctrec_ev *ev)
{
    unsigned d = 0;
    switch (ev->type) {
    case CTREC_EV_VALUE: return value_depth(ev->value.value);
    case CTREC_EV_RETURN: {
        unsigned x = value_depth(ev->ret.exception), r = value_depth(ev->ret.return_value);
        return r > x ? r : x;
    }
    case CTREC_EV_COMPOUND_VALUE:
    case CTREC_EV_CELL_VALUE:
    case CTREC_EV_ASSIGN_CELL: return value_depth(ev->place_value.value);
    case CTREC_EV_CALL:
        for (size_t i = 0; i < ev->call.nargs; i++) {
            unsigned c = value_depth(ev->call.args[i].value);
            if (c > d) d = c;
        }
        return d;
    default: return 0;
    }
}

static void read_back(ctrec_format fmt, uint64_t nevents, const uint8_t *json, size_t jn,
                      ctrec_float_encoding fe, unsigned max_depth)
{
    ctrec_reader *r;
    ctrec_status st = ctrec_reader_open(g_dir, NULL, &r);
    if (st) FAIL("reader open: %s", ctrec_reader_errmsg(r));
    if (ctrec_reader_format(r) != fmt) FAIL("reader format");
    const ctrec_ev *ev;
    uint64_t k = 0;
    char *buf = NULL;
    size_t cap = 0, len;
    const uint8_t *line = json ? json + 2 : NULL; /* after "[\n" */
    while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) {
        unsigned depth = event_depth(ev);
        if (depth > max_depth)
            FAIL("event %llu: a value nests %u compounds, max_depth is %u", (unsigned long long)k,
                 depth, max_depth);
        if (json) {
            const uint8_t *end = memchr(line, '\n', jn - (size_t)(line - json));
            if (!end) FAIL("event %llu: no line", (unsigned long long)k);
            size_t ln = (size_t)(end - line);
            if (ln && line[ln - 1] == ',') ln--;
            ctrec_status js = ctrec_event_to_json(ev, fe, &buf, &cap, &len);
            if (js) FAIL("event %llu: ctrec_event_to_json: %s", (unsigned long long)k,
                         ctrec_status_name(js));
            if (len != ln || memcmp(buf, line, ln) != 0)
                FAIL("event %llu: read back as\n%.*s\nwritten as\n%.*s", (unsigned long long)k,
                     (int)len, buf, (int)ln, (const char *)line);
            line = end + 1;
        }
        k++;
    }
    if (st) FAIL("reader: event %llu: %s", (unsigned long long)k, ctrec_reader_errmsg(r));
    if (nevents != UINT64_MAX && k != nevents)
        FAIL("reader saw %llu events, writer %llu", (unsigned long long)k,
             (unsigned long long)nevents);
    if (!ctrec_reader_complete(r)) FAIL("reader: trace not complete");
    free(buf);
    ctrec_reader_close(r);
}
#endif

/* ---- the run ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/ctrec-fuzz-writer-XXXXXX", base);
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        abort();
    }
    return 0;
}

static void cleanup_dir(void)
{
    static const char *const names[] = {"trace.json", "trace.bin", "trace_metadata.json",
                                        "trace_paths.json", "trace.ct", "trace.ct.calls~"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", g_dir, names[i]);
        unlink(path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return -1; /* keep the traces small */
    src s = {data, size};
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    uint8_t f = u8(&s);
    uint8_t d = u8(&s);
    o.format = !(f & 1) ? CTREC_FORMAT_JSON : (d & 0x40) ? CTREC_FORMAT_CT : CTREC_FORMAT_BIN;
    o.float_encoding = (f & 2) ? CTREC_FLOAT_NUMBER : CTREC_FLOAT_STRING;
    o.io_thread = (f & 0x0C) == 0x0C; /* threads rarely: they slow runs down */
    o.compress_thread = (f & 0x30) == 0x30;
    o.copy_sources = 0;               /* fuzz paths must not read the host's files */
    o.program = "fuzz";
    static const char *const args[] = {"a\x01\"b", "\xff\xfe"};
    o.args = args;
    o.nargs = (f & 0x40) ? 2 : 0;
    o.max_depth = 1 + d % 60;
    o.buffer_size = (f & 0x80) ? 1024 : 0;
    o.frame_size = (d & 0x80) ? 1024 : 0;
    o.zstd_level = 1;
    cleanup_dir();

    ctrec_writer *w = NULL;
    ctrec_status st = ctrec_writer_open(g_dir, &o, &w);
    if (st) FAIL("open: %s", ctrec_writer_errmsg(w));

    ctrec_id ids[8];
    ctrec_thread_handle *hs[4]; /* the handles open (one thread: entering
                                   another while one is entered is refused) */
    size_t nh = 0;
    ctrec_str ins[4];
    ctrec_field fields[4];
    uint8_t mag[16];
    int op_i = 0;
    while (s.n && op_i < 4000) {
        int op = u8(&s) % 60;
        op_i++;
        size_t n1, n2;
        const char *t1, *t2;
        switch (op) {
        case 0: t1 = text(&s, &n1); st = ctrec_path(w, t1, n1, NULL); break;
        case 1: t1 = text(&s, &n1); st = ctrec_path_new(w, t1, n1, NULL); break;
        case 2:
            t1 = text(&s, &n1);
            st = (u8(&s) & 1) ? ctrec_function(w, t1, n1, id(&s, ctrec_path_count(w)), i64(&s), NULL)
                              : ctrec_function_new(w, t1, n1, id(&s, ctrec_path_count(w)), i64(&s), NULL);
            break;
        case 3: {
            int k = u8(&s) % 40;
            t1 = text(&s, &n1);
            st = (k & 1) ? ctrec_type(w, (ctrec_type_kind)(k - 3), t1, n1, NULL)
                         : ctrec_type_new(w, (ctrec_type_kind)(k % 34), t1, n1, NULL);
            break;
        }
        case 4: {
            size_t nf = u8(&s) % 5;
            for (size_t i = 0; i < nf; i++) {
                fields[i % 4].name = text(&s, &fields[i % 4].name_len);
                fields[i % 4].type_id = id(&s, ctrec_type_count(w));
            }
            t1 = text(&s, &n1);
            st = ctrec_type_struct(w, CTREC_TYPE_STRUCT, t1, n1, nf == 4 ? NULL : fields,
                                   nf == 4 ? 1 : nf, NULL);
            break;
        }
        case 5:
            t1 = text(&s, &n1);
            st = ctrec_type_pointer(w, CTREC_TYPE_POINTER, t1, n1, id(&s, ctrec_type_count(w)), NULL);
            break;
        case 6:
            t1 = text(&s, &n1);
            st = (u8(&s) & 1) ? ctrec_variable(w, t1, n1, NULL) : ctrec_variable_new(w, t1, n1, NULL);
            break;
        case 7: t1 = text(&s, &n1); st = ctrec_start(w, t1, n1, i64(&s)); break;
        case 8: st = ctrec_step(w, id(&s, ctrec_path_count(w)), i64(&s)); break;
        case 9: st = ctrec_call(w, id(&s, ctrec_function_count(w))); break;
        case 10:
            t1 = text(&s, &n1);
            t2 = text(&s, &n2);
            st = ctrec_event(w, (ctrec_event_kind)(u8(&s) % 16), t1, n1, t2, n2);
            break;
        case 11: {
            size_t c = u8(&s) % 6;
            for (size_t i = 0; i < c && i < 4; i++) ins[i].ptr = text(&s, &ins[i].len);
            st = ctrec_asm(w, c == 5 ? NULL : ins, c > 4 ? (c == 5 ? 2 : 0) : c);
            break;
        }
        case 12:
            st = (u8(&s) & 1) ? ctrec_bind_variable(w, id(&s, ctrec_variable_count(w)), i64(&s))
                              : ctrec_variable_cell(w, id(&s, ctrec_variable_count(w)), i64(&s));
            break;
        case 13: st = ctrec_drop_variable(w, id(&s, ctrec_variable_count(w))); break;
        case 14: {
            size_t c = u8(&s) % 9;
            for (size_t i = 0; i < c && i < 8; i++) ids[i] = id(&s, ctrec_variable_count(w));
            st = ctrec_drop_variables(w, c == 8 ? NULL : ids, c);
            break;
        }
        case 15: st = ctrec_assign_compound_item(w, i64(&s), (uint64_t)i64(&s), i64(&s)); break;
        case 16: {
            uint8_t m = u8(&s);
            size_t c = m % 9;
            for (size_t i = 0; i < c && i < 8; i++) ids[i] = id(&s, ctrec_variable_count(w));
            st = ctrec_assign(w, id(&s, ctrec_variable_count(w)), (ctrec_pass_by)((m >> 4) % 3),
                              (m >> 6) & 1, c == 8 ? NULL : ids, c);
            break;
        }
        case 17: {
            uint8_t m = u8(&s);
            uint64_t t = (uint64_t)i64(&s);
            st = m % 3 == 0 ? ctrec_thread_start(w, t)
                 : m % 3 == 1 ? ctrec_thread_exit(w, t) : ctrec_thread_switch(w, t);
            break;
        }
        case 18: st = ctrec_drop_last_step(w); break;
        case 19: st = ctrec_begin_value(w, id(&s, ctrec_variable_count(w))); break;
        case 20: t1 = text(&s, &n1); st = ctrec_begin_value_named(w, t1, n1); break;
        case 21: st = ctrec_begin_return(w); break;
        case 22: {
            uint8_t m = u8(&s);
            int64_t place = i64(&s);
            st = m % 3 == 0 ? ctrec_begin_compound_value(w, place)
                 : m % 3 == 1 ? ctrec_begin_cell_value(w, place) : ctrec_begin_assign_cell(w, place);
            break;
        }
        case 23: st = ctrec_begin_call(w, id(&s, ctrec_function_count(w))); break;
        case 24: st = ctrec_arg(w, id(&s, ctrec_variable_count(w))); break;
        case 25: t1 = text(&s, &n1); st = ctrec_arg_named(w, t1, n1); break;
        case 26: st = ctrec_end(w); break;
        case 27: ctrec_abandon(w); st = CTREC_OK; break;
        case 28: st = ctrec_int(w, i64(&s), id(&s, ctrec_type_count(w))); break;
        case 29: st = ctrec_float(w, dbl(&s), id(&s, ctrec_type_count(w))); break;
        case 30: st = ctrec_bool(w, u8(&s) & 3, id(&s, ctrec_type_count(w))); break;
        case 31: {
            uint8_t m = u8(&s);
            t1 = text(&s, &n1);
            ctrec_id t = id(&s, ctrec_type_count(w));
            st = m % 3 == 0 ? ctrec_string(w, t1, n1, t)
                 : m % 3 == 1 ? ctrec_raw(w, t1, n1, t) : ctrec_error(w, t1, n1, t);
            break;
        }
        case 32: st = ctrec_none(w, id(&s, ctrec_type_count(w))); break;
        case 33: st = ctrec_cell(w, i64(&s)); break;
        case 34: {
            size_t c = u8(&s) % 18;
            for (size_t i = 0; i < c && i < 16; i++) mag[i] = u8(&s);
            st = ctrec_bigint(w, c == 17 ? NULL : mag, c == 17 ? 1 : (c > 16 ? 0 : c), u8(&s) & 1,
                              id(&s, ctrec_type_count(w)));
            break;
        }
        case 35: t1 = text(&s, &n1); st = ctrec_char(w, t1, n1, id(&s, ctrec_type_count(w))); break;
        case 36: st = ctrec_begin_sequence(w, u8(&s) & 1, id(&s, ctrec_type_count(w))); break;
        case 37: st = ctrec_end_sequence(w); break;
        case 38: st = ctrec_begin_tuple(w, id(&s, ctrec_type_count(w))); break;
        case 39: st = ctrec_end_tuple(w); break;
        case 40: st = ctrec_begin_struct(w, id(&s, ctrec_type_count(w))); break;
        case 41: st = ctrec_end_struct(w); break;
        case 42:
            t1 = text(&s, &n1);
            st = ctrec_begin_variant(w, t1, n1, id(&s, ctrec_type_count(w)));
            break;
        case 43: st = ctrec_end_variant(w); break;
        case 44:
            st = ctrec_begin_reference(w, (uint64_t)i64(&s), u8(&s) & 1, id(&s, ctrec_type_count(w)));
            break;
        case 45: st = ctrec_end_reference(w); break;
        case 46: st = ctrec_writer_flush(w); break;
        /* value memos: a few slots, so that kept values are written again,
         * and sometimes one out of range */
        case 48: st = ctrec_memo_begin(w); break;
        case 49: st = ctrec_memo_end(w, memo_slot(&s)); break;
        case 50: st = ctrec_memo_write(w, memo_slot(&s)); break;
        /* exceptions (trace.ct only: refused elsewhere), a void return, a
         * step with a column (a column-aware .ct only) */
        case 51:
            t1 = text(&s, &n1);
            st = ctrec_raise(w, id(&s, ctrec_type_count(w)), t1, n1);
            break;
        case 52: st = ctrec_catch(w, id(&s, ctrec_type_count(w))); break;
        case 53:
            if (u8(&s) & 1) {
                st = ctrec_begin_return_exception(w);
            } else {
                t1 = text(&s, &n1);
                st = ctrec_return_exception(w, id(&s, ctrec_type_count(w)), t1, n1);
            }
            break;
        case 54: st = ctrec_return_none(w, id(&s, ctrec_type_count(w))); break;
        case 55:
            st = ctrec_step_column(w, id(&s, ctrec_path_count(w)), i64(&s), i64(&s));
            break;
        /* thread handles, all on this thread */
        case 56: {
            uint64_t tid = u8(&s) % 8;
            ctrec_thread_handle *h = NULL;
            st = ctrec_thread_open(w, tid, &h);
            if (h && nh < 4) hs[nh++] = h;
            else if (h) st = ctrec_thread_close(h);
            break;
        }
        case 57: st = nh ? ctrec_thread_enter(hs[u8(&s) % nh]) : CTREC_OK; break;
        case 58: st = nh ? ctrec_thread_leave(hs[u8(&s) % nh]) : CTREC_OK; break;
        case 59:
            if (nh) {
                size_t k = u8(&s) % nh;
                st = ctrec_thread_close(hs[k]);
                hs[k] = hs[--nh];
            } else {
                st = CTREC_OK;
            }
            break;
        default: {
            uint8_t m = u8(&s);
            t1 = text(&s, &n1);
            st = (m & 1) ? ctrec_step_path(w, t1, n1, i64(&s))
                         : ctrec_variable_int(w, t1, n1, i64(&s), id(&s, ctrec_type_count(w)));
            break;
        }
        }
        check_status(w, st, op);
    }

    uint64_t nevents = ctrec_writer_event_count(w);
    uint64_t npaths = ctrec_path_count(w);
    st = ctrec_writer_close(w);
    if (st) FAIL("close: %s", ctrec_status_name(st));

    if (o.format == CTREC_FORMAT_CT) {
        /* trace.ct holds what its layout can (the rest was refused), in its
         * own order: read back, without the count of events */
        char ct[512];
        snprintf(ct, sizeof ct, "%s/trace.ct", g_dir);
        if (access(ct, R_OK) != 0) FAIL("no trace.ct");
#ifdef CTREC_FUZZ_READER
        read_back(o.format, UINT64_MAX, NULL, 0, o.float_encoding, o.max_depth);
#endif
        return 0;
    }

    char path[512];
    size_t n;
    vresult r;
    snprintf(path, sizeof path, "%s/%s", g_dir,
             o.format == CTREC_FORMAT_JSON ? "trace.json" : "trace.bin");
    uint8_t *b = v_read_file(path, 1u << 28, &n);
    if (!b) FAIL("no trace file");
    if (o.format == CTREC_FORMAT_JSON) {
        if (!v_json_trace(b, n, &r)) FAIL("trace.json: byte %zu: %s", r.err_at, r.msg);
        vresult r2;
        if (!v_json_trace_prefix(b, n, &r2) || r2.items != r.items)
            FAIL("trace.json is not one event per line: %s", r2.msg);
    } else {
        if (!v_trace_bin(b, n, 1, 1u << 28, &r)) FAIL("trace.bin: %s", r.msg);
    }
    if (r.items != nevents)
        FAIL("the file holds %llu events, the writer counted %llu", (unsigned long long)r.items,
             (unsigned long long)nevents);
    /* Event wrapper (1), the event's fields (2), then the ValueRecord:
     * Call {args: [ {value: V} ]} is the deepest holder (4 levels), each
     * value level adds at most 2 (a map and its array). */
    if (r.max_depth > 4 + 2 * o.max_depth + 1)
        FAIL("nesting %u exceeds the bound %u", r.max_depth, o.max_depth);
    check_json_file("trace_metadata.json");
    check_json_file("trace_paths.json");
    {
        snprintf(path, sizeof path, "%s/trace_paths.json", g_dir);
        size_t pn;
        uint8_t *pb = v_read_file(path, 1u << 26, &pn);
        vresult pr;
        if (!pb || !v_json_value(pb, pn, &pr)) FAIL("trace_paths.json");
        if (pr.items != npaths || pr.max_depth != 1)
            FAIL("trace_paths.json lists %llu paths, the writer %llu",
                 (unsigned long long)pr.items, (unsigned long long)npaths);
        free(pb);
    }
#ifdef CTREC_FUZZ_READER
    read_back(o.format, nevents, o.format == CTREC_FORMAT_JSON ? b : NULL, n, o.float_encoding,
              o.max_depth);
#endif
    free(b);
    return 0;
}
