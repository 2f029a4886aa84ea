/*
 * test_random.c — seeded random recordings: value trees of every kind up to
 * the depth bound, arrays of every CBOR head size, random bytes as text,
 * definitions and misuse at random points inside open events, calls with
 * random arguments. `writer_random gen json|bin DIR [SEED]` writes one;
 * bin_check.py checks that trace.json parses and equals trace.bin (canonical
 * CBOR). Run alone, it checks a few seeds with parse_check.py.
 */
#include <math.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static uint64_t rs;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static ctrec_id ntypes_base; /* types 0..ntypes_base-1 are plain */
static ctrec_id struct_t[4]; /* Struct types with 0..3 fields */
static ctrec_id ndefs;       /* definitions made at random so far */

/* a definition in the middle of whatever is open */
static void random_def(ctrec_writer *w)
{
    char name[32];
    snprintf(name, sizeof name, "def%llu", (unsigned long long)ndefs++);
    switch (rn(4)) {
    case 0: CHECK_OK(ctrec_type_z(w, CTREC_TYPE_RAW, name, NULL)); break;
    case 1: CHECK_OK(ctrec_variable_z(w, name, NULL)); break;
    case 2: CHECK_OK(ctrec_path_z(w, name, NULL)); break;
    default: CHECK_OK(ctrec_function_z(w, name, 0, (int64_t)rn(100), NULL)); break;
    }
}

static void random_text(char *buf, size_t *n)
{
    static const char *const pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x00",
                                         "\xff", "\xc0", "\xed\xa0\x80", "\"", "\\", "\n", "\x1f",
                                         "\x7f", "\xe2\x82", " "};
    size_t len = 0, parts = rn(6) == 0 ? 60 + rn(300) : rn(8);
    for (size_t i = 0; i < parts; i++) {
        const char *p = pieces[rn(sizeof pieces / sizeof pieces[0])];
        size_t pl = p[0] ? strlen(p) : 1;
        memcpy(buf + len, p, pl);
        len += pl;
    }
    *n = len;
}

static ctrec_id any_type(void) { return rn((unsigned)ntypes_base); }

static void value(ctrec_writer *w, unsigned depth, int defs_ok)
{
    if (defs_ok && rn(20) == 0) random_def(w);
    unsigned k = depth >= 60 ? rn(10) : rn(16);
    char text[4096];
    size_t n;
    switch (k) {
    case 0: CHECK_OK(ctrec_int(w, (int64_t)rnd(), any_type())); break;
    case 1: {
        double d;
        uint64_t bits = rnd();
        memcpy(&d, &bits, sizeof d);
        if (rn(4) == 0) d = (double)(int)rn(1000) / 8.0;
        CHECK_OK(ctrec_float(w, d, any_type()));
        break;
    }
    case 2: CHECK_OK(ctrec_bool(w, (int)rn(2), any_type())); break;
    case 3: random_text(text, &n); CHECK_OK(ctrec_string(w, text, n, any_type())); break;
    case 4: random_text(text, &n); CHECK_OK(ctrec_raw(w, text, n, any_type())); break;
    case 5: random_text(text, &n); CHECK_OK(ctrec_error(w, text, n, any_type())); break;
    case 6: CHECK_OK(ctrec_none(w, any_type())); break;
    case 7: CHECK_OK(ctrec_cell(w, (int64_t)rnd())); break;
    case 8: {
        uint8_t mag[40];
        n = rn(40);
        for (size_t i = 0; i < n; i++) mag[i] = (uint8_t)rnd();
        CHECK_OK(ctrec_bigint(w, mag, n, (int)rn(2), any_type()));
        break;
    }
    case 9: CHECK_OK(ctrec_char(w, S("\xe2\x82\xac"), any_type())); break;
    case 10:
    case 11: {
        /* element counts around the CBOR head boundaries */
        static const unsigned counts[] = {0, 1, 2, 23, 24, 25, 255, 256, 300};
        unsigned c = rn(3) == 0 ? counts[rn(9)] : rn(4);
        if (depth > 1 && c > 4) c = rn(4);
        if (k == 10) CHECK_OK(ctrec_begin_sequence(w, (int)rn(2), any_type()));
        else CHECK_OK(ctrec_begin_tuple(w, any_type()));
        for (unsigned i = 0; i < c; i++) value(w, depth + 1, defs_ok);
        if (k == 10) CHECK_OK(ctrec_end_sequence(w));
        else CHECK_OK(ctrec_end_tuple(w));
        break;
    }
    case 12: {
        unsigned f = rn(4);
        CHECK_OK(ctrec_begin_struct(w, struct_t[f]));
        for (unsigned i = 0; i < f; i++) value(w, depth + 1, defs_ok);
        CHECK_OK(ctrec_end_struct(w));
        break;
    }
    case 13:
        random_text(text, &n);
        CHECK_OK(ctrec_begin_variant(w, text, n, any_type()));
        value(w, depth + 1, defs_ok);
        CHECK_OK(ctrec_end_variant(w));
        break;
    default:
        CHECK_OK(ctrec_begin_reference(w, rnd(), (int)rn(2), any_type()));
        value(w, depth + 1, defs_ok);
        CHECK_OK(ctrec_end_reference(w));
        break;
    }
}

static unsigned calls_open;

static void record(ctrec_writer *w, uint64_t seed, int nevents)
{
    rs = seed * 0x9e3779b97f4a7c15ull + 1;
    ndefs = 0;
    CHECK_OK(ctrec_start(w, S("/r.x"), 1));
    calls_open = 1; /* the top-level call */
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", NULL));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "Seq", NULL));
    ctrec_field fields[3] = {{S("a"), 0}, {S("b"), 1}, {S("c"), 2}};
    for (int f = 0; f < 4; f++) {
        char name[16];
        snprintf(name, sizeof name, "S%d", f);
        CHECK_OK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, name, strlen(name), fields, (size_t)f,
                                   &struct_t[f]));
    }
    ntypes_base = ctrec_type_count(w);
    CHECK_OK(ctrec_variable_z(w, "v", NULL));
    CHECK_OK(ctrec_function_z(w, "fn", 0, 2, NULL));
    for (int e = 0; e < nevents; e++) {
        unsigned k = rn(12);
        if (k < 5) {
            CHECK_OK(ctrec_begin_value(w, rn((unsigned)ctrec_variable_count(w))));
            value(w, 1, 1);
            if (rn(15) == 0) {
                ctrec_abandon(w); /* dropped whole */
            } else {
                CHECK_OK(ctrec_end(w));
            }
        } else if (k == 5) {
            CHECK_OK(ctrec_begin_call(w, 1 + rn((unsigned)ctrec_function_count(w) - 1)));
            unsigned na = rn(5);
            for (unsigned i = 0; i < na; i++) {
                CHECK_OK(ctrec_arg(w, rn((unsigned)ctrec_variable_count(w))));
                value(w, 1, 1);
            }
            CHECK_OK(ctrec_end(w));
            calls_open++;
        } else if (k == 6) {
            /* a Return needs an open call (the writer refuses it otherwise) */
            int is_return = calls_open > 0;
            CHECK_OK(is_return ? ctrec_begin_return(w) : ctrec_begin_value(w, 0));
            value(w, 1, 1);
            /* a misuse half-way: the event goes, the definitions stay */
            if (rn(3) == 0) {
                CHECK_ST(ctrec_int(w, 1, 1), CTREC_E_VALUE);
            } else {
                CHECK_OK(ctrec_end(w));
                calls_open -= (unsigned)is_return;
            }
        } else if (k == 7) {
            char text[4096];
            size_t n, m;
            random_text(text, &n);
            random_text(text + n, &m);
            CHECK_OK(ctrec_event(w, (ctrec_event_kind)rn(CTREC_EVENT_KIND_COUNT), text, n,
                                 text + n, m));
        } else if (k == 8) {
            random_def(w);
        } else {
            CHECK_OK(ctrec_step(w, rn((unsigned)ctrec_path_count(w)), (int64_t)(rnd() >> 1 >> rn(63))));
        }
    }
}

static ctrec_writer_options options(const char *fmt)
{
    ctrec_writer_options o = test_options();
    o.buffer_size = 1024 + (size_t)rn(8192);
    o.io_thread = (int)rn(2);
    if (!strcmp(fmt, "bin")) {
        o.format = CTREC_FORMAT_BIN;
        o.frame_size = 1024 + (size_t)rn(70000);
        o.compress_thread = (int)rn(2);
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "gen")) {
        uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
        rs = seed + 7;
        ctrec_writer_options o = options(argv[2]);
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(argv[3], &o, &w));
        record(w, seed, 400);
        CHECK_OK(ctrec_writer_close(w));
        return check_done("writer_random gen");
    }
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        LOCAL_PATH(dir, "%s/seed%llu", tmp, (unsigned long long)seed);
        rs = seed + 7;
        ctrec_writer_options o = options("json");
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(dir, &o, &w));
        record(w, seed, 400);
        long n = (long)ctrec_writer_event_count(w);
        CHECK_OK(ctrec_writer_close(w));
        CHECK_PY(dir, n, NULL);
    }
    rm_rf(tmp);
    return check_done("writer_random");
}
