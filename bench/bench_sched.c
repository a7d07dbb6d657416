/* gridr benchmark: scheduler throughput on a copy job vs a plain single-process memcpy. */
#include <gridr/gridr.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* usage: bench_sched [side] (default 16384: a side x side u16 raster held in memory) */

typedef struct raster {
    long side, tile, tiles_x;
    uint16_t *src, *dst;
} raster;

typedef struct win {
    long row0, col0, rows, cols;
} win;

static win window_of(const raster *r, long k)
{
    win w = {k / r->tiles_x * r->tile, k % r->tiles_x * r->tile, r->tile, r->tile};
    if (w.row0 + w.rows > r->side)
        w.rows = r->side - w.row0;
    if (w.col0 + w.cols > r->side)
        w.cols = r->side - w.col0;
    return w;
}

/* Worker: output = input. */
static int copy_work(void *ctx, const void *runp, const void *winp, gridr_array *a, int n, long k)
{
    (void)ctx, (void)runp, (void)winp, (void)n, (void)k;
    memcpy(a[1].data, a[0].data, (size_t)(a[0].rows * a[0].cols) * sizeof(uint16_t));
    return 0;
}

/* Parent: window of the big source -> slot. */
static int prepare(void *user, long k, gridr_array *a, int n, void *winp)
{
    const raster *r = user;
    win w = window_of(r, k);
    (void)n, (void)winp;
    a[0] = gridr_array_make(a[0].data, GRIDR_DT_U16, 1, w.rows, w.cols);
    a[1] = gridr_array_make(a[1].data, GRIDR_DT_U16, 1, w.rows, w.cols);
    uint16_t *in = a[0].data;
    for (long i = 0; i < w.rows; i++)
        memcpy(in + i * w.cols, r->src + (w.row0 + i) * r->side + w.col0,
               (size_t)w.cols * sizeof(uint16_t));
    return 0;
}

/* Parent: slot -> window of the big destination. */
static int finish(void *user, long k, gridr_array *a, int n)
{
    raster *r = user;
    win w = window_of(r, k);
    const uint16_t *out = a[1].data;
    (void)n;
    for (long i = 0; i < w.rows; i++)
        memcpy(r->dst + (w.row0 + i) * r->side + w.col0, out + i * w.cols,
               (size_t)w.cols * sizeof(uint16_t));
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void report(const char *what, long side, long windows, double s)
{
    double bits = (double)side * (double)side * sizeof(uint16_t) * 8.0;
    printf("%-36s %8.3f s %11.0f windows/s %8.2f Gbit/s\n", what, s, (double)windows / s,
           bits / s / 1e9);
}

/* Best of `reps` runs of the copy job in tile x tile windows. */
static int bench_sched(gridr_sched *s, raster *r, long tile, int reps)
{
    gridr_sched_run_desc d;
    r->tile = tile;
    r->tiles_x = (r->side + tile - 1) / tile;
    gridr_sched_run_desc_init(&d);
    d.windows = r->tiles_x * r->tiles_x;
    d.narrays = 2;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, tile, tile};
    d.arrays[1] = d.arrays[0];
    d.prepare = prepare;
    d.finish = finish;
    d.user = r;
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        memset(r->dst, 0, (size_t)(r->side * r->side) * sizeof(uint16_t));
        double t0 = now();
        if (gridr_sched_run(s, &d) != 0) {
            fprintf(stderr, "bench_sched: %s\n", gridr_last_error());
            return 1;
        }
        double t = now() - t0;
        best = t < best ? t : best;
        if (memcmp(r->src, r->dst, (size_t)(r->side * r->side) * sizeof(uint16_t)) != 0) {
            fprintf(stderr, "bench_sched: output differs from input\n");
            return 1;
        }
    }
    char what[64];
    snprintf(what, sizeof what, "sched %d worker%s, %ld x %ld windows", gridr_sched_workers(s),
             gridr_sched_workers(s) > 1 ? "s" : "", tile, tile);
    report(what, r->side, d.windows, best);
    return 0;
}

/* The same three copies per window (prepare, work, finish) in this process, no scheduler. */
static int bench_inline(raster *r, long tile, int reps)
{
    r->tile = tile;
    r->tiles_x = (r->side + tile - 1) / tile;
    long windows = r->tiles_x * r->tiles_x;
    uint16_t *slot[2] = {malloc((size_t)(tile * tile) * 2), malloc((size_t)(tile * tile) * 2)};
    if (!slot[0] || !slot[1])
        return 1;
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        for (long k = 0; k < windows; k++) {
            gridr_array a[2] = {gridr_array_make(slot[0], GRIDR_DT_U16, 1, tile, tile),
                                gridr_array_make(slot[1], GRIDR_DT_U16, 1, tile, tile)};
            prepare(r, k, a, 2, NULL);
            copy_work(NULL, NULL, NULL, a, 2, k);
            finish(r, k, a, 2);
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    char what[64];
    snprintf(what, sizeof what, "no scheduler, %ld x %ld windows", tile, tile);
    report(what, r->side, windows, best);
    free(slot[0]);
    free(slot[1]);
    return 0;
}

static void bench_memcpy(raster *r, int reps)
{
    size_t bytes = (size_t)(r->side * r->side) * sizeof(uint16_t);
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        memcpy(r->dst, r->src, bytes);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    report("memcpy, one process, whole raster", r->side, 1, best);
}

int main(int argc, char **argv)
{
    static const long tiles[] = {256, 1024, 4096};
    gridr_sched *s[2] = {NULL, NULL};
    long side = argc > 1 ? atol(argv[1]) : 16384;
    /* Schedulers first: they fork before the 1 GiB of rasters exists. */
    for (int i = 0; i < 2; i++) {
        gridr_sched_opts o;
        gridr_sched_opts_init(&o);
        o.workers = i + 1;
        o.work = copy_work;
        if (gridr_sched_new(&o, &s[i]) != 0) {
            fprintf(stderr, "bench_sched: %s\n", gridr_last_error());
            return 1;
        }
    }
    raster r = {side, 0, 0, malloc((size_t)(side * side) * sizeof(uint16_t)),
                malloc((size_t)(side * side) * sizeof(uint16_t))};
    int rc = !r.src || !r.dst;
    for (long i = 0; !rc && i < side * side; i++)
        r.src[i] = (uint16_t)(i * 2654435761u >> 16);
    printf("copy of a %ld x %ld u16 raster (%.0f MiB) held in memory; best of 3\n", side, side,
           (double)(side * side) * 2 / 1048576.0);
    if (!rc)
        bench_memcpy(&r, 3);
    for (size_t t = 0; !rc && t < sizeof tiles / sizeof tiles[0]; t++)
        rc = tiles[t] <= side ? bench_inline(&r, tiles[t], 3) : 0;
    for (int i = 0; !rc && i < 2; i++)
        for (size_t t = 0; !rc && t < sizeof tiles / sizeof tiles[0]; t++)
            rc = tiles[t] <= side ? bench_sched(s[i], &r, tiles[t], 3) : 0;
    gridr_sched_free(s[0]);
    gridr_sched_free(s[1]);
    free(r.src);
    free(r.dst);
    return rc;
}
