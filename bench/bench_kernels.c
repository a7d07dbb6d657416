/* gridr bench: resampling kernels on GridR's published workload, beside scipy's map_coordinates.
 *
 * Workload (GridR's benchmark suite): n x n image arange(n^2) (f64, and u16 = arange mod 65536),
 * full-resolution grid = identity + N(0, 0.1) noise on rows and columns (fixed seed), no mask,
 * B-spline eps 1e-6. Times are medians of --runs runs of gridr_resample_source_window +
 * gridr_resample_window over the whole image (prefilter included), 1 thread and all threads.
 * scipy.ndimage.map_coordinates (order 0, 1, 3, 5, prefilter=True) is timed on the same data in
 * the same run by bench/bench_kernels_scipy.py when a python3 with scipy is found.
 *
 * Usage: bench_kernels [--sizes 1000,2000,4000] [--runs 3] [--kernels nearest,linear,...]
 *                      [--dtypes f64,u16] [--no-scipy] [--one-thread] [--best]
 * --best prints the fastest run instead of the median (for comparisons on a busy machine).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gridr/gridr.h"

#ifndef BENCH_SCRIPT
#define BENCH_SCRIPT "bench/bench_kernels_scipy.py"
#endif

#define MAXK 8

static const char *const knames[12] = {"nearest", "linear",   "cubic", "bspline3",
                                       NULL,      "bspline5", NULL,    "bspline7",
                                       NULL,      "bspline9", NULL,    "bspline11"};

static const char *kname(gridr_interp_kind k)
{
    return (int)k >= 0 && (int)k < 12 && knames[k] ? knames[k] : "?";
}

static int kparse(const char *s, gridr_interp_kind *k)
{
    for (int i = 0; i < 12; i++)
        if (knames[i] && strcmp(s, knames[i]) == 0) {
            *k = (gridr_interp_kind)i;
            return 0;
        }
    return -1;
}

typedef struct bench_opts {
    long sizes[8];
    int nsizes, runs, scipy, only1, best;
    gridr_interp_kind kernels[MAXK];
    int nkernels;
    gridr_dtype dtypes[2];
    int ndtypes;
    char python[256];
} bench_opts;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

/* N(0, sigma) by Box-Muller. */
static double nrand(double sigma)
{
    return sigma * sqrt(-2 * log(urand())) * cos(6.283185307179586 * urand());
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Median ms of gridr on the whole image (source window + resampling; *win: the source window
 * alone); < 0 if the kernel is not available. */
static double time_gridr(const bench_opts *b, gridr_interp_kind k, int threads, gridr_grid *g,
                         gridr_array img, void *out, double *win)
{
    double t[32], c[32];
    long n = img.rows;
    gridr_resample_opts o;
    gridr_resample_opts_init(&o);
    o.interp = k;
    o.threads = threads;
    for (int r = 0; r < b->runs; r++) {
        double t0 = now_ms();
        gridr_rect ow = {0, 0, n, n}, sw;
        int empty;
        if (gridr_resample_source_window(&o, g, ow, n, n, &sw, &empty) != 0)
            return -1;
        c[r] = now_ms() - t0;
        gridr_source src = {img, {0}, 0, 0, n, n};
        gridr_array oa = gridr_array_make(out, img.dtype, 1, n, n);
        if (gridr_resample_window(&o, g, ow, &src, &oa, NULL) != 0)
            return -1;
        t[r] = now_ms() - t0;
    }
    *win = median(c, b->runs);
    return b->best ? (qsort(t, (size_t)b->runs, sizeof *t, cmp_double), t[0]) : median(t, b->runs);
}

static int write_file(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, bytes, f);
    return fclose(f) == 0 && w == bytes ? 0 : -1;
}

/* scipy medians per order (0, 1, 3, 5) into ms[order]; -1 where unavailable. */
static void time_scipy(const bench_opts *b, long n, const char *dir, gridr_dtype dt, double *ms)
{
    for (int k = 0; k < 12; k++)
        ms[k] = -1;
    if (!b->scipy)
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %ld %s %d 0,1,3,5 %s", b->python, BENCH_SCRIPT, n, dir,
             b->runs, gridr_dtype_name(dt));
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    int order;
    double v;
    while (fscanf(p, "order %d %lf\n", &order, &v) == 2)
        if (order >= 0 && order < 12)
            ms[order] = v;
    pclose(p);
}

static int scipy_order(gridr_interp_kind k)
{
    switch (k) {
    case GRIDR_INTERP_NEAREST:
        return 0;
    case GRIDR_INTERP_LINEAR:
        return 1;
    case GRIDR_INTERP_BSPLINE3:
        return 3;
    case GRIDR_INTERP_BSPLINE5:
        return 5;
    default:
        return -1;
    }
}

static void print_row(long n, gridr_interp_kind k, gridr_dtype dt, int threads, double ms,
                      double win, double sms)
{
    char th[16], sc[32], ratio[16];
    snprintf(th, sizeof th, threads ? "%d" : "all", threads);
    if (ms < 0) {
        printf("%5ld  %-10s %-4s %4s  %10s\n", n, kname(k), gridr_dtype_name(dt), th, "n/a");
        return;
    }
    snprintf(sc, sizeof sc, sms > 0 ? "%.1f" : "-", sms);
    snprintf(ratio, sizeof ratio, sms > 0 ? "%.2f" : "-", sms / ms);
    printf("%5ld  %-10s %-4s %4s  %10.1f %9.1f %9.1f  %10s %7s\n", n, kname(k),
           gridr_dtype_name(dt), th, ms, (double)(n * n) / ms / 1e3, win, sc, ratio);
    fflush(stdout);
}

static void bench_size(const bench_opts *b, long n, const char *dir)
{
    size_t nn = (size_t)(n * n);
    double *nodes = malloc(2 * nn * sizeof(double));
    double *img = malloc(nn * sizeof(double));
    uint16_t *img16 = malloc(nn * sizeof(uint16_t));
    double *out = malloc(nn * sizeof(double));
    if (!nodes || !img || !img16 || !out) {
        fprintf(stderr, "bench_kernels: no memory for n = %ld\n", n);
        exit(1);
    }
    for (size_t k = 0; k < nn; k++) {
        img[k] = (double)k;
        img16[k] = (uint16_t)(k % 65536);
        nodes[k] = (double)(k / (size_t)n) + nrand(0.1);
        nodes[nn + k] = (double)(k % (size_t)n) + nrand(0.1);
    }
    gridr_grid g;
    if (gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, n, n), 1, 1) != 0) {
        fprintf(stderr, "bench_kernels: %s\n", gridr_last_error());
        exit(1);
    }
    int ok = b->scipy && write_file(dir, "rows.f64", nodes, nn * 8) == 0 &&
             write_file(dir, "cols.f64", nodes + nn, nn * 8) == 0;
    for (int d = 0; d < b->ndtypes; d++) {
        gridr_dtype dt = b->dtypes[d];
        void *data = dt == GRIDR_DT_F64 ? (void *)img : (void *)img16;
        double sms[12];
        int wrote = ok && write_file(dir, "image.raw", data, nn * gridr_dtype_size(dt)) == 0;
        bench_opts bb = *b;
        bb.scipy = wrote;
        time_scipy(&bb, n, dir, dt, sms);
        gridr_array a = gridr_array_make(data, dt, 1, n, n);
        for (int k = 0; k < b->nkernels; k++) {
            int so = scipy_order(b->kernels[k]);
            for (int th = 1; th >= (b->only1 ? 1 : 0); th--) {
                double win = 0, ms = time_gridr(b, b->kernels[k], th, &g, a, out, &win);
                print_row(n, b->kernels[k], dt, th, ms, win, so >= 0 ? sms[so] : -1);
            }
        }
    }
    free(nodes);
    free(img);
    free(img16);
    free(out);
}

static void parse_args(int argc, char **argv, bench_opts *b)
{
    memset(b, 0, sizeof *b);
    const long sizes[] = {1000, 2000, 4000};
    memcpy(b->sizes, sizes, sizeof sizes);
    b->nsizes = 3;
    b->runs = 3;
    b->scipy = 1;
    const gridr_interp_kind ks[] = {GRIDR_INTERP_NEAREST,  GRIDR_INTERP_LINEAR,
                                    GRIDR_INTERP_CUBIC,    GRIDR_INTERP_BSPLINE3,
                                    GRIDR_INTERP_BSPLINE5, GRIDR_INTERP_BSPLINE7,
                                    GRIDR_INTERP_BSPLINE9, GRIDR_INTERP_BSPLINE11};
    memcpy(b->kernels, ks, sizeof ks);
    b->nkernels = 8;
    b->dtypes[0] = GRIDR_DT_F64;
    b->dtypes[1] = GRIDR_DT_U16;
    b->ndtypes = 2;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--no-scipy") == 0) {
            b->scipy = 0;
            continue;
        }
        if (strcmp(argv[i], "--best") == 0) {
            b->best = 1;
            continue;
        }
        if (strcmp(argv[i], "--one-thread") == 0) {
            b->only1 = 1;
            continue;
        }
        if (strcmp(argv[i], "--runs") == 0)
            b->runs = atoi(v) < 1 ? 1 : (atoi(v) > 32 ? 32 : atoi(v));
        else if (strcmp(argv[i], "--sizes") == 0) {
            b->nsizes = 0;
            for (char *s = strtok(strdup(v), ","); s && b->nsizes < 8; s = strtok(NULL, ","))
                b->sizes[b->nsizes++] = atol(s);
        } else if (strcmp(argv[i], "--kernels") == 0) {
            b->nkernels = 0;
            for (char *s = strtok(strdup(v), ","); s && b->nkernels < MAXK; s = strtok(NULL, ","))
                if (kparse(s, &b->kernels[b->nkernels]) == 0)
                    b->nkernels++;
        } else if (strcmp(argv[i], "--dtypes") == 0) {
            b->ndtypes = 0;
            for (char *s = strtok(strdup(v), ","); s && b->ndtypes < 2; s = strtok(NULL, ","))
                if (gridr_dtype_parse(s, &b->dtypes[b->ndtypes]) == 0)
                    b->ndtypes++;
        } else {
            fprintf(stderr, "usage: bench_kernels [--sizes N,...] [--runs R] [--kernels K,...] "
                            "[--dtypes f64,u16] [--no-scipy] [--one-thread] [--best]\n");
            exit(2);
        }
        i++;
    }
}

/* A python3 that imports scipy: $GRIDR_BENCH_PYTHON, $PYTHON3, python3, /usr/bin/python3. */
static int find_python(char *out, size_t len)
{
    const char *cands[] = {getenv("GRIDR_BENCH_PYTHON"), getenv("PYTHON3"), "python3",
                           "/usr/bin/python3"};
    for (int i = 0; i < 4; i++) {
        char cmd[512];
        if (!cands[i] || !*cands[i])
            continue;
        snprintf(cmd, sizeof cmd, "%s -c 'import scipy.ndimage' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0) {
            snprintf(out, len, "%s", cands[i]);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts b;
    parse_args(argc, argv, &b);
    char dir[] = "/tmp/gridr-bench.XXXXXX";
    if (b.scipy && (!find_python(b.python, sizeof b.python) || !mkdtemp(dir))) {
        fprintf(stderr, "bench_kernels: no python3 with scipy; scipy columns left empty\n");
        b.scipy = 0;
    }
    printf("# gridr bench_kernels: %ld cores; runs %d; times in ms (median); "
           "ratio = scipy / gridr\n",
           sysconf(_SC_NPROCESSORS_ONLN), b.runs);
    printf("%5s  %-10s %-4s %4s  %10s %9s %9s  %10s %7s\n", "n", "kernel", "type", "thr",
           "gridr ms", "Mpix/s", "win ms", "scipy ms", "ratio");
    for (int s = 0; s < b.nsizes; s++)
        bench_size(&b, b.sizes[s], dir);
    if (b.scipy) {
        const char *files[] = {"rows.f64", "cols.f64", "image.raw"};
        for (int k = 0; k < 3; k++) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, files[k]);
            unlink(path);
        }
        rmdir(dir);
    }
    return 0;
}
