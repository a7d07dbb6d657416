/* gridr bench: interpolation weight functions (ns per call) and B-spline prefilter throughput. */
#include "base/internal.h"

#include "kernel/interp_kernels.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const gridr_interp_kind kinds[] = {
    GRIDR_INTERP_NEAREST,  GRIDR_INTERP_LINEAR,   GRIDR_INTERP_CUBIC,    GRIDR_INTERP_BSPLINE3,
    GRIDR_INTERP_BSPLINE5, GRIDR_INTERP_BSPLINE7, GRIDR_INTERP_BSPLINE9, GRIDR_INTERP_BSPLINE11};

static void bench_weights(void)
{
    enum { CALLS = 4000000 };
    double w[GRIDR_INTERP_MAX_TAPS], sink = 0;
    printf("weights (one axis, one offset):\n");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        gridr__weights_fn fn = gridr__interp_weights_fn(kinds[k]);
        int K = gridr_interp_taps(kinds[k]);
        double t0 = now();
        for (int i = 0; i < CALLS; i++) {
            fn(-0.5 + (double)(i & 1023) / 1024.0, w);
            sink += w[i % K];
        }
        double t1 = now();
        for (int i = 0; i < CALLS; i++) {
            gridr_interp_weights(kinds[k], -0.5 + (double)(i & 1023) / 1024.0, w);
            sink += w[i % K];
        }
        double t2 = now();
        printf("  %-10s inline %6.1f ns   public %6.1f ns\n", gridr_interp_name(kinds[k]),
               1e9 * (t1 - t0) / CALLS, 1e9 * (t2 - t1) / CALLS);
    }
    if (sink == 42.4242)
        printf("#\n");
}

static void bench_prefilter(int n, double eps, long side, int threads)
{
    int H;
    if (gridr_bspline_fir(n, eps, NULL, &H))
        return;
    double *h = malloc(sizeof(double) * (size_t)(2 * H + 1));
    double *s = malloc(sizeof(double) * (size_t)(side * side));
    double *c = malloc(sizeof(double) * (size_t)(side * side));
    gridr_bspline_fir(n, eps, h, &H);
    for (long i = 0; i < side * side; i++)
        s[i] = (double)(i % 977);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            int nt = omp_get_num_threads(), id = omp_get_thread_num();
            long r0 = side * id / nt, r1 = side * (id + 1) / nt;
            gridr_bspline_prefilter(h, H, s, side, side, side, c, side, r0, r1);
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    double out = (double)(side - 2 * H) * (double)(side - 2 * H);
    printf("  bspline%-2d eps %-6g H %3d  %ldx%ld, %d thread(s): %7.1f ms  %6.1f Mcoef/s\n", n, eps,
           H, side, side, threads, 1e3 * best, out / best / 1e6);
    free(h);
    free(s);
    free(c);
}

int main(void)
{
    bench_weights();
    printf("prefilter (a 1000x1000 tile plus its halo L0 on each side):\n");
    const int ns[] = {3, 5, 7, 9, 11};
    const double eps[] = {1e-4, 1e-6};
    for (int e = 0; e < 2; e++)
        for (int o = 0; o < 5; o++)
            bench_prefilter(ns[o], eps[e], 1000 + 2 * gridr_bspline_margin(ns[o], eps[e]), 1);
    bench_prefilter(3, 1e-6, 1000 + 2 * 14, 2);
    bench_prefilter(11, 1e-6, 1000 + 2 * 105, 2);
    return 0;
}
