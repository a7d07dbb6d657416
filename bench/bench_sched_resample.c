/* gridr benchmark: resampling through the scheduler vs the same windows in one process. */
#include <gridr/gridr.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* usage: bench_sched_resample [side [tile [reps]]] (default 8192, 1024, 3): a side x side u16
 * source resampled through an oversampled grid (1 node every 16 pixels: a 1-degree rotation plus
 * a small wave) into a side x side u16 output; every figure is the best of `reps` runs. */

enum { RES = 16 };

/* The work context: the grid, built before the schedulers fork (workers see it). */
static gridr_grid grid;

typedef struct run_params {
    gridr_resample_opts opts;
    long raster_rows, raster_cols;
} run_params;

typedef struct win_params {
    gridr_rect out, src;
} win_params;

typedef struct bench {
    long side, tile, tiles_x;
    int reps;
    uint16_t *src, *dst;
    run_params rp;
    double kernel_s; /* time inside gridr_resample_window during a run (summed by finish) */
} bench;

static long lmin(long a, long b)
{
    return a < b ? a : b;
}

static long lmax(long a, long b)
{
    return a > b ? a : b;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int make_grid(long side)
{
    long n = (side - 1 + RES - 1) / RES + 1; /* covers side x side */
    double *nodes = malloc(sizeof(double) * 2 * (size_t)(n * n));
    if (!nodes)
        return GRIDR_ENOMEM;
    double c = (double)(side - 1) / 2, a = 3.14159265358979 / 180;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            double y = (double)(i * RES) - c, x = (double)(j * RES) - c;
            nodes[i * n + j] = c + cos(a) * y - sin(a) * x + 2 * sin((double)j / 7);
            nodes[n * n + i * n + j] = c + sin(a) * y + cos(a) * x + 2 * cos((double)i / 5);
        }
    return gridr_grid_init_array(&grid, gridr_array_make(nodes, GRIDR_DT_F64, 2, n, n), RES, RES);
}

static gridr_rect out_window(const bench *b, long k)
{
    gridr_rect w = {k / b->tiles_x * b->tile, k % b->tiles_x * b->tile, b->tile, b->tile};
    w.rows = lmin(w.rows, b->side - w.row0);
    w.cols = lmin(w.cols, b->side - w.col0);
    return w;
}

/* Worker (or in-process): resample one window. */
static int resample_work(void *ctx, const void *runp, const void *winp, gridr_array *a, int n,
                         long k)
{
    const run_params *rp = runp;
    const win_params *wp = winp;
    (void)ctx, (void)n, (void)k;
    gridr_source s = {a[0], {0}, wp->src.row0, wp->src.col0, rp->raster_rows, rp->raster_cols};
    double t0 = now();
    int rc = gridr_resample_window(&rp->opts, &grid, wp->out, &s, &a[1], NULL);
    *(double *)a[2].data = now() - t0; /* kernel seconds, summed by finish */
    return rc;
}

/* Parent: the source window the output window needs, copied from the big source (the part
 * outside the raster is padding, filled by the kernel). */
static int prepare(void *user, long k, gridr_array *a, int n, void *winp)
{
    const bench *b = user;
    win_params w;
    int empty;
    (void)n;
    w.out = out_window(b, k);
    int rc =
        gridr_resample_source_window(&b->rp.opts, &grid, w.out, b->side, b->side, &w.src, &empty);
    if (rc)
        return rc;
    memcpy(winp, &w, sizeof w);
    a[0] = gridr_array_make(a[0].data, GRIDR_DT_U16, 1, w.src.rows, w.src.cols);
    a[1] = gridr_array_make(a[1].data, GRIDR_DT_U16, 1, w.out.rows, w.out.cols);
    *(double *)a[2].data = 0;
    if (empty) {
        memset(a[1].data, 0, (size_t)(w.out.rows * w.out.cols) * sizeof(uint16_t));
        return GRIDR_SCHED_NO_WORK;
    }
    long r0 = lmax(w.src.row0, 0), r1 = lmin(w.src.row0 + w.src.rows, b->side);
    long c0 = lmax(w.src.col0, 0), c1 = lmin(w.src.col0 + w.src.cols, b->side);
    uint16_t *in = a[0].data;
    for (long r = r0; r < r1; r++)
        memcpy(in + (r - w.src.row0) * w.src.cols + (c0 - w.src.col0), b->src + r * b->side + c0,
               (size_t)(c1 - c0) * sizeof(uint16_t));
    return 0;
}

static int finish(void *user, long k, gridr_array *a, int n)
{
    bench *b = user;
    gridr_rect w = out_window(b, k);
    (void)n;
    b->kernel_s += *(double *)a[2].data;
    for (long r = 0; r < w.rows; r++)
        memcpy(b->dst + (w.row0 + r) * b->side + w.col0, (uint16_t *)a[1].data + r * w.cols,
               (size_t)w.cols * sizeof(uint16_t));
    return 0;
}

/* Largest source window over all windows: the slot size a planner would compute. */
static long max_src_pixels(bench *b, long *rows, long *cols)
{
    long windows = b->tiles_x * b->tiles_x;
    *rows = *cols = 1;
    for (long k = 0; k < windows; k++) {
        gridr_rect s;
        int empty;
        if (gridr_resample_source_window(&b->rp.opts, &grid, out_window(b, k), b->side, b->side, &s,
                                         &empty) == 0 &&
            !empty) {
            *rows = lmax(*rows, s.rows);
            *cols = lmax(*cols, s.cols);
        }
    }
    return windows;
}

static int run_inline(bench *b, long windows, long sr, long sc)
{
    gridr_array a[3];
    uint16_t *in = malloc((size_t)(sr * sc) * 2), *out = malloc((size_t)(b->tile * b->tile) * 2);
    double kernel;
    win_params w;
    int rc = in && out ? 0 : GRIDR_ENOMEM;
    for (long k = 0; !rc && k < windows; k++) {
        a[0] = gridr_array_make(in, GRIDR_DT_U16, 1, sr, sc);
        a[1] = gridr_array_make(out, GRIDR_DT_U16, 1, b->tile, b->tile);
        a[2] = gridr_array_make(&kernel, GRIDR_DT_F64, 1, 1, 1);
        rc = prepare(b, k, a, 3, &w);
        if (rc == 0)
            rc = resample_work(NULL, &b->rp, &w, a, 3, k);
        if (rc >= 0)
            rc = finish(b, k, a, 3);
    }
    free(in);
    free(out);
    return rc;
}

static int run_sched(gridr_sched *s, bench *b, long windows, long sr, long sc)
{
    gridr_sched_run_desc d;
    gridr_sched_run_desc_init(&d);
    d.windows = windows;
    d.narrays = 3;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, sr, sc};
    d.arrays[1] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, b->tile, b->tile};
    d.arrays[2] = (gridr_sched_array_desc){GRIDR_DT_F64, 1, 1, 1};
    d.run_params = &b->rp;
    d.run_params_size = sizeof b->rp;
    d.prepare = prepare;
    d.finish = finish;
    d.user = b;
    return gridr_sched_run(s, &d);
}

/* A configuration: in-process with `threads` OpenMP threads (s NULL), or a scheduler. */
typedef struct config {
    gridr_sched *s;
    const char *label;
    int threads;         /* in-process: OpenMP threads; scheduler: workers (kernels at once) */
    int cores;           /* threads x workers: compared with the in-process run on as many cores */
    double best, kernel; /* best wall time; kernel time of that run (per worker) */
} config;

/* One run of configuration c; the in-process 1-thread run is the reference output. */
static int run_config(bench *b, config *c, long windows, long sr, long sc, uint16_t *ref)
{
    size_t bytes = (size_t)(b->side * b->side) * sizeof(uint16_t);
    memset(b->dst, 0, bytes);
    b->kernel_s = 0;
    b->rp.opts.threads = c->s ? 0 : c->threads; /* in a worker, omp_set_num_threads() decides */
    double t0 = now();
    int rc = c->s ? run_sched(c->s, b, windows, sr, sc) : run_inline(b, windows, sr, sc);
    double t = now() - t0;
    if (!rc && !c->s && c->threads == 1)
        memcpy(ref, b->dst, bytes);
    else if (!rc && memcmp(ref, b->dst, bytes) != 0)
        return gridr_set_error(GRIDR_EINVAL, "%s: output differs", c->label);
    if (!rc && t < c->best) {
        c->best = t;
        c->kernel = b->kernel_s / (c->s ? (double)c->threads : 1.0);
    }
    return rc;
}

/* One kernel: every configuration `reps` times, interleaved (the machine's load drifts).
 * "other" is a run's wall time beyond the kernel time of that same run: the copies of prepare
 * and finish, and for the scheduler its own cost. "sched" gives it as a fraction of the kernel
 * time, then (in parentheses) beyond the in-process run's "other" on as many cores. */
static int bench_kind(config *cfg, int ncfg, bench *b, gridr_interp_kind k)
{
    long sr, sc;
    uint16_t *ref = malloc((size_t)(b->side * b->side) * sizeof(uint16_t));
    double mpx = (double)(b->side * b->side) / 1e6;
    b->rp.opts.interp = k;
    long windows = max_src_pixels(b, &sr, &sc);
    int rc = ref ? 0 : GRIDR_ENOMEM;
    for (int i = 0; i < ncfg; i++)
        cfg[i].best = 1e30;
    for (int r = 0; !rc && r < b->reps; r++)
        for (int i = 0; !rc && i < ncfg; i++)
            rc = run_config(b, &cfg[i], windows, sr, sc, ref);
    for (int i = 0; !rc && i < ncfg; i++) {
        const config *c = &cfg[i], *in = &cfg[c->cores > 1 ? 1 : 0];
        double other = c->best - c->kernel, in_other = in->best - in->kernel;
        printf("%-7s %-27s %6.3f s %6.1f Mpx/s  kernel %6.3f s  other %5.3f s",
               gridr_interp_name(k), c->label, c->best, mpx / c->best, c->kernel, other);
        if (c->s)
            printf("  sched %+5.1f%% (%+5.1f%%)", 100 * other / c->kernel,
                   100 * (other - in_other) / c->kernel);
        printf("\n");
    }
    free(ref);
    return rc;
}

static int new_sched(int workers, int threads, gridr_sched **s)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    o.workers = workers;
    o.threads = threads;
    o.work = resample_work;
    return gridr_sched_new(&o, s);
}

int main(int argc, char **argv)
{
    bench b;
    config cfg[5] = {{NULL, "no scheduler, 1 thread", 1, 1, 0, 0},
                     {NULL, "no scheduler, 2 threads", 2, 2, 0, 0},
                     {NULL, "sched 1 worker x 1 thread", 1, 1, 0, 0},
                     {NULL, "sched 2 workers x 1 thread", 2, 2, 0, 0},
                     {NULL, "sched 1 worker x 2 threads", 1, 2, 0, 0}};
    static const int workers[3] = {1, 2, 1}, threads[3] = {1, 1, 2};
    memset(&b, 0, sizeof b);
    b.side = argc > 1 ? atol(argv[1]) : 8192;
    b.tile = argc > 2 ? atol(argv[2]) : 1024;
    b.reps = argc > 3 ? atoi(argv[3]) : 3;
    /* The grid (the work context) first, then the schedulers, then the rasters. */
    int rc = make_grid(b.side);
    for (int i = 0; !rc && i < 3; i++)
        rc = new_sched(workers[i], threads[i], &cfg[2 + i].s);
    b.tiles_x = (b.side + b.tile - 1) / b.tile;
    b.src = malloc((size_t)(b.side * b.side) * sizeof(uint16_t));
    b.dst = malloc((size_t)(b.side * b.side) * sizeof(uint16_t));
    if (!rc && (!b.src || !b.dst))
        rc = GRIDR_ENOMEM;
    for (long i = 0; !rc && i < b.side * b.side; i++)
        b.src[i] = (uint16_t)(30000 + 20000 * sin((double)(i % b.side) / 40) *
                                          cos((double)(i / b.side) / 30));
    gridr_resample_opts_init(&b.rp.opts);
    b.rp.raster_rows = b.rp.raster_cols = b.side;
    if (!rc)
        printf("%ld x %ld u16 -> %ld x %ld u16, %ld x %ld windows, grid 1:%d, best of %d\n", b.side,
               b.side, b.side, b.side, b.tile, b.tile, RES, b.reps);
    if (!rc)
        rc = bench_kind(cfg, 5, &b, GRIDR_INTERP_LINEAR);
    if (!rc)
        rc = bench_kind(cfg, 5, &b, GRIDR_INTERP_CUBIC);
    if (rc)
        fprintf(stderr, "bench_sched_resample: %s\n", gridr_last_error());
    for (int i = 2; i < 5; i++)
        gridr_sched_free(cfg[i].s);
    free(b.src);
    free(b.dst);
    free(grid.nodes.data);
    return rc ? 1 : 0;
}
