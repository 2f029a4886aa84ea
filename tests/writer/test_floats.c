/*
 * test_floats.c — floats in both encodings: the shortest text that reads
 * back to the same double, "inf"/"-inf"/"NaN" as strings, CTREC_E_FLOAT for
 * them with JSON numbers (leaving no event), and no locale influence.
 */
#include <locale.h>
#include <math.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const struct {
    double v;
    const char *text;
    const char *alt; /* an equally short spelling also accepted */
} cases[] = {
    {2.5, "2.5", NULL},
    {0.1, "0.1", NULL},
    {1e300, "1e300", NULL},
    {-0.0, "-0", NULL},
    {5e-324, "5e-324", NULL},
    {0.0, "0", NULL},
    {1000.0, "1000", "1e3"}, /* one significant digit either way */
    {123.0, "123", NULL},
    {-3.0, "-3", NULL},
    {1e16, "1e16", NULL},
    {1.5e-7, "1.5e-7", NULL},
    {1e-5, "1e-5", NULL},
    {0.0001, "0.0001", NULL},
    {123456.789, "123456.789", NULL},
    {0.30000000000000004, "0.30000000000000004", NULL},
    {1.7976931348623157e308, "1.7976931348623157e308", NULL},
    {2.2250738585072014e-308, "2.2250738585072014e-308", NULL},
};
#define NCASES (sizeof cases / sizeof cases[0])

static void check_text(const char *got, size_t i)
{
    if (cases[i].alt && !strcmp(got, cases[i].alt)) CHECK_STR(got, cases[i].alt);
    else CHECK_STR(got, cases[i].text);
}

/* Opens a writer with one path, a float type (id 1 after start) and a
 * variable "f" (id 0). */
static ctrec_writer *open_float_writer(const char *dir, ctrec_float_encoding fe)
{
    ctrec_writer_options o = test_options();
    o.float_encoding = fe;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/f.x"), 1));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_FLOAT, S("float"), NULL));
    CHECK_OK(ctrec_step(w, 0, 1));
    CHECK_OK(ctrec_variable(w, S("f"), NULL));
    return w; /* 7 events */
}

static ctrec_status put_float(ctrec_writer *w, double v)
{
    ctrec_status st = ctrec_begin_value(w, 0);
    if (st || (st = ctrec_float(w, v, 1))) return st;
    return ctrec_end(w);
}

/* The "f" texts of the Value events of dir/trace.json, in order. */
static size_t float_texts(const char *dir, char ***out)
{
    char *txt = read_file(pathf("%s/trace.json", dir), NULL);
    size_t n = 0, cap = 64;
    char **v = malloc(cap * sizeof *v);
    for (char *p = txt; p && (p = strstr(p, "\"f\":")); p += 4) {
        char *s = p + 4, *e;
        if (*s == '"') {
            s++;
            e = strchr(s, '"');
        } else {
            e = strchr(s, ',');
        }
        if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[n] = malloc((size_t)(e - s) + 1);
        memcpy(v[n], s, (size_t)(e - s));
        v[n][e - s] = 0;
        n++;
    }
    free(txt);
    *out = v;
    return n;
}

static void free_texts(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Significant digits of a decimal text ("1.50e-7" -> "15" -> 2). */
static int sig_digits(const char *t)
{
    char d[64];
    int n = 0;
    for (const char *p = t; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') d[n++] = *p;
    int a = 0, b = n;
    while (a < b && d[a] == '0') a++;
    while (b > a && d[b - 1] == '0') b--;
    return b - a;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_string_encoding(const char *tmp)
{
    LOCAL_PATH(dir, "%s/string", tmp);
    ctrec_writer *w = open_float_writer(dir, CTREC_FLOAT_STRING);
    for (size_t i = 0; i < NCASES; i++) CHECK_OK(put_float(w, cases[i].v));
    CHECK_OK(put_float(w, INFINITY));
    CHECK_OK(put_float(w, -INFINITY));
    CHECK_OK(put_float(w, NAN));
    CHECK_OK(put_float(w, -NAN));
    CHECK_OK(ctrec_writer_close(w));

    char **t;
    size_t n = float_texts(dir, &t);
    CHECK_U64(n, NCASES + 4);
    for (size_t i = 0; i < NCASES && i < n; i++) {
        check_text(t[i], i);
        CHECK(same_double(strtod(t[i], NULL), cases[i].v));
    }
    if (n == NCASES + 4) {
        CHECK_STR(t[NCASES], "inf");
        CHECK_STR(t[NCASES + 1], "-inf");
        CHECK_STR(t[NCASES + 2], "NaN");
        CHECK_STR(t[NCASES + 3], "NaN");
        CHECK(strtod(t[NCASES], NULL) == INFINITY);
        CHECK(strtod(t[NCASES + 1], NULL) == -INFINITY);
    }
    free_texts(t, n);
    /* exact event text */
    char *txt = read_file(pathf("%s/trace.json", dir), NULL);
    CHECK_HAS(txt, "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":\"2.5\","
                   "\"type_id\":1}}},\n");
    CHECK_HAS(txt, "{\"kind\":\"Float\",\"f\":\"NaN\",\"type_id\":1}");
    free(txt);
    CHECK_PY(dir, 7 + (long)NCASES + 4, NULL);

    /* random doubles: each text reads back to the same bits and is the
     * shortest: one significant digit less does not read back */
    LOCAL_PATH(rdir, "%s/random", tmp);
    enum { NR = 3000 };
    static double vals[NR];
    w = open_float_writer(rdir, CTREC_FLOAT_STRING);
    for (int i = 0; i < NR; i++) {
        double v;
        do {
            uint64_t bits = next_rand();
            if (i % 3 == 0) bits &= 0x800fffffffffffffull | (0x3ffull + (bits >> 60)) << 52;
            memcpy(&v, &bits, sizeof v);
        } while (!isfinite(v));
        if (i % 5 == 0) v = (double)(int64_t)(next_rand() % 2000000) / 1000.0;
        vals[i] = v;
        CHECK_OK(put_float(w, v));
    }
    /* The writer caches the texts of recent doubles by their bits: the
     * same values again, in an order that mixes hits and slots since taken
     * by another value, must give the same texts. */
    for (int i = NR - 1; i >= 0; i--) CHECK_OK(put_float(w, vals[(i * 7) % NR]));
    CHECK_OK(put_float(w, 0.0));
    CHECK_OK(put_float(w, -0.0));
    CHECK_OK(put_float(w, 0.0));
    CHECK_OK(ctrec_writer_close(w));
    n = float_texts(rdir, &t);
    CHECK_U64(n, 2 * NR + 3);
    for (int i = NR - 1, k = NR; i >= 0 && (size_t)k < n; i--, k++)
        CHECK_STR(t[k], t[(i * 7) % NR]);
    if (n == 2 * NR + 3) {
        CHECK_STR(t[2 * NR], "0");
        CHECK_STR(t[2 * NR + 1], "-0");
        CHECK_STR(t[2 * NR + 2], "0");
    }
    int bad_round = 0, bad_short = 0;
    for (size_t i = 0; i < n && i < NR; i++) {
        if (!same_double(strtod(t[i], NULL), vals[i])) {
            if (bad_round++ < 5) fprintf(stderr, "  %.17g written as %s\n", vals[i], t[i]);
        }
        int p = sig_digits(t[i]);
        if (p > 1) {
            char shorter[400];
            snprintf(shorter, sizeof shorter, "%.*g", p - 1, vals[i]);
            if (same_double(strtod(shorter, NULL), vals[i]) && bad_short++ < 5)
                fprintf(stderr, "  %.17g written as %s, but %s reads back too\n", vals[i], t[i],
                        shorter);
        }
    }
    CHECK(bad_round == 0);
    CHECK(bad_short == 0);
    free_texts(t, n);
}

static void test_number_encoding(const char *tmp)
{
    LOCAL_PATH(dir, "%s/number", tmp);
    ctrec_writer *w = open_float_writer(dir, CTREC_FLOAT_NUMBER);
    for (size_t i = 0; i < NCASES; i++) CHECK_OK(put_float(w, cases[i].v));
    uint64_t n0 = ctrec_writer_event_count(w);
    CHECK_ERR(w, put_float(w, INFINITY), CTREC_E_FLOAT, "inf cannot be written with CTREC_FLOAT_NUMBER");
    CHECK_ERR(w, put_float(w, -INFINITY), CTREC_E_FLOAT, "-inf");
    CHECK_ERR(w, put_float(w, NAN), CTREC_E_FLOAT, "NaN");
    CHECK_U64(ctrec_writer_event_count(w), n0);
    /* inside a compound: the whole event goes */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, 1));
    CHECK_OK(ctrec_float(w, 1.0, 1));
    CHECK_ST(ctrec_float(w, NAN, 1), CTREC_E_FLOAT);
    /* the rest of the failed event returns its first error (issue 14) */
    CHECK_ST(ctrec_end_sequence(w), CTREC_E_FLOAT);
    CHECK_ERR(w, ctrec_end(w), CTREC_E_FLOAT, "NaN");
    CHECK_U64(ctrec_writer_event_count(w), n0);
    CHECK_OK(put_float(w, 2.5)); /* the writer goes on */
    CHECK_OK(ctrec_writer_close(w));

    char **t;
    size_t n = float_texts(dir, &t);
    CHECK_U64(n, NCASES + 1);
    for (size_t i = 0; i < NCASES && i < n; i++) {
        check_text(t[i], i);
        CHECK(same_double(strtod(t[i], NULL), cases[i].v));
    }
    free_texts(t, n);
    char *txt = read_file(pathf("%s/trace.json", dir), NULL);
    CHECK_HAS(txt, "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Float\",\"f\":2.5,"
                   "\"type_id\":1}}},\n");
    CHECK_HAS(txt, "{\"kind\":\"Float\",\"f\":-0,\"type_id\":1}");
    CHECK(!strstr(txt, "\"f\":\"") && !strstr(txt, "NaN") && !strstr(txt, "\"f\":inf"));
    free(txt);
    CHECK_PY(dir, 7 + (long)NCASES + 1, NULL);

    /* trace.bin always holds the float as text: inf is fine there */
    LOCAL_PATH(bdir, "%s/number-bin", tmp);
    ctrec_writer_options o = test_options();
    o.format = CTREC_FORMAT_BIN;
    o.float_encoding = CTREC_FLOAT_NUMBER;
    CHECK_OK(ctrec_writer_open(bdir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/f.x"), 1));
    CHECK_OK(ctrec_variable(w, S("f"), NULL));
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_float(w, INFINITY, 0));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_writer_close(w));
}

static void test_locale(const char *tmp)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8",
                                        "fr_FR.utf8", "ru_RU.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_ALL, names[i]);
    if (!got) {
        printf("locale sub-check skipped: no de_DE/fr_FR/ru_RU locale (LOCPATH=%s)\n",
               getenv("LOCPATH") ? getenv("LOCPATH") : "");
        return;
    }
    printf("locale sub-check with %s (decimal point \"%s\")\n", got,
           localeconv()->decimal_point);
    CHECK_STR(localeconv()->decimal_point, ","); /* or the check proves nothing */
    for (int fe = 0; fe < 2; fe++) {
        LOCAL_PATH(dir, "%s/locale%d", tmp, fe);
        ctrec_writer *w = open_float_writer(dir, (ctrec_float_encoding)fe);
        CHECK_OK(put_float(w, 2.5));
        CHECK_OK(put_float(w, 1.5e-7));
        CHECK_OK(ctrec_writer_close(w));
        char **t;
        size_t n = float_texts(dir, &t);
        CHECK_U64(n, 2);
        if (n == 2) {
            CHECK_STR(t[0], "2.5");
            CHECK_STR(t[1], "1.5e-7");
        }
        free_texts(t, n);
    }
    setlocale(LC_ALL, "C");
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    test_string_encoding(tmp);
    test_number_encoding(tmp);
    test_locale(tmp);
    rm_rf(tmp);
    return check_done("writer_floats");
}
