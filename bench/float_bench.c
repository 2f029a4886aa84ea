/* ctrec-float-bench: ns per double of text_double() against the snprintf /
 * strtod implementation it replaced (copied here), on three sets of values:
 *
 *   random   random bit patterns (finite ones), mostly 16-17 digits
 *   nbody    positions and velocities of a 5-body simulation (the Lua
 *            recorder's float-heavy traces look like this)
 *   short    short decimals and integers: 0.25, 12.5, 1000, 3.14
 *
 * Each figure is the median of 5 runs. Usage: ctrec-float-bench [N] */
#define _GNU_SOURCE /* newlocale / uselocale */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/text.h"

#include "text_double_snprintf.h"

/* ---- value sets ---- */

static uint64_t rng_state = 42;
static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void fill_random(double *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint64_t b = rng();
        double d;
        memcpy(&d, &b, sizeof d);
        if (isfinite(d)) v[i++] = d;
    }
}

/* The n-body benchmark's sun, Jupiter, Saturn, Uranus, Neptune. */
static void fill_nbody(double *v, size_t n)
{
    const double PI = 3.141592653589793, SOLAR = 4 * PI * PI, DAYS = 365.24;
    double b[5][7] = {
        {0, 0, 0, 0, 0, 0, SOLAR},
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * DAYS, 7.69901118419740425e-03 * DAYS,
         -6.90460016972063023e-05 * DAYS, 9.54791938424326609e-04 * SOLAR},
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * DAYS, 4.99852801234917238e-03 * DAYS,
         2.30417297573763929e-05 * DAYS, 2.85885980666130812e-04 * SOLAR},
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * DAYS, 2.37847173959480950e-03 * DAYS,
         -2.96589568540237556e-05 * DAYS, 4.36624404335156298e-05 * SOLAR},
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * DAYS, 1.62824170038242295e-03 * DAYS,
         -9.51592254519715870e-05 * DAYS, 5.15138902046611451e-05 * SOLAR}};
    const double dt = 0.01;
    size_t k = 0;
    while (k < n) {
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++) {
                double dx = b[i][0] - b[j][0], dy = b[i][1] - b[j][1], dz = b[i][2] - b[j][2];
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * sqrt(d2));
                for (int c = 0; c < 3; c++) {
                    double dd = c == 0 ? dx : c == 1 ? dy : dz;
                    b[i][3 + c] -= dd * b[j][6] * mag;
                    b[j][3 + c] += dd * b[i][6] * mag;
                }
            }
        for (int i = 0; i < 5; i++)
            for (int c = 0; c < 3; c++) b[i][c] += dt * b[i][3 + c];
        for (int i = 1; i < 5 && k < n; i++)
            for (int c = 0; c < 6 && k < n; c++) v[k++] = b[i][c];
    }
}

static void fill_short(double *v, size_t n)
{
    static const double scale[] = {1, 10, 100, 1000, 4};
    for (size_t i = 0; i < n; i++) {
        double m = (double)(rng() % 100000);
        v[i] = m / scale[rng() % 5];
    }
}

/* ---- timing ---- */

static volatile size_t sink;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double ns_per(size_t (*f)(char *, double), const double *v, size_t n)
{
    char out[40];
    size_t acc = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) acc += f(out, v[i]) + (unsigned char)out[0];
    double t1 = now();
    sink += acc;
    return (t1 - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median5(size_t (*f)(char *, double), const double *v, size_t n)
{
    double r[5];
    for (int i = 0; i < 5; i++) r[i] = ns_per(f, v, n);
    qsort(r, 5, sizeof r[0], cmp_double);
    return r[2];
}

int main(int argc, char **argv)
{
    static const char usage[] = "usage: ctrec-float-bench [N]   (N doubles, default 1000000)\n";
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    char *end = NULL;
    if (argc > 2 || (argc == 2 && (strtoull(argv[1], &end, 10) == 0 || *end))) {
        if (argv[1][0] == '-') fprintf(stderr, "ctrec-float-bench: unknown option '%s'\n", argv[1]);
        fputs(usage, stderr);
        return 2;
    }
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    size_t n_old = n / 5 ? n / 5 : 1;
    double *v = malloc(n * sizeof *v);
    if (!v) return 1;
    static const struct {
        const char *name;
        void (*fill)(double *, size_t);
    } sets[] = {{"random", fill_random}, {"nbody", fill_nbody}, {"short", fill_short}};
    printf("%-8s %12s %12s %8s   (ns per double, median of 5 runs; %zu new / %zu old values)\n",
           "set", "old", "new", "speedup", n, n_old);
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        sets[s].fill(v, n);
        double t_new = median5(text_double, v, n);
        double t_old = median5(old_text_double, v, n_old);
        printf("%-8s %12.1f %12.1f %7.1fx\n", sets[s].name, t_old, t_new, t_old / t_new);
    }
    free(v);
    return 0;
}
