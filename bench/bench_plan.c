/* gridr bench: time gridr_plan_new on a 12000 x 12000 output (1201 x 1201 grid, and affine). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gridr/gridr.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of `reps` runs of gridr_plan_new, in ms; prints the plan's figures. */
static int run(const char *what, const gridr_plan_opts *o, int reps)
{
    double best = INFINITY;
    gridr_plan *p = NULL;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        if (gridr_plan_new(o, &p) != 0) {
            fprintf(stderr, "%s: %s\n", what, gridr_last_error());
            return 1;
        }
        best = fmin(best, (now() - t0) * 1e3);
        if (r + 1 < reps)
            gridr_plan_free(p);
    }
    const gridr_plan_summary *s = gridr_plan_summary_get(p);
    printf("%-34s budget %6zu MiB: %4ld x %4ld windows (%4ld), peak %7.1f MiB, %7.2f ms\n", what,
           o->mem_budget >> 20, s->win_rows, s->win_cols, s->count,
           (double)s->peak_bytes / 1048576.0, best);
    gridr_plan_free(p);
    return 0;
}

int main(void)
{
    static const size_t budgets[] = {(size_t)16 << 30, (size_t)1 << 30, (size_t)256 << 20,
                                     (size_t)64 << 20};
    long n = 1201, res = 10;
    double *d = malloc(sizeof(double) * 2 * (size_t)(n * n));
    gridr_grid ga, gz;
    gridr_resample_opts ro;
    gridr_plan_opts o;
    int rc = 0;
    if (!d)
        return 1;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            d[i * n + j] = (double)(i * res) + 3 * sin((double)j / 7.0);
            d[n * n + i * n + j] = (double)(j * res) + 2 * cos((double)i / 5.0);
        }
    if (gridr_grid_init_array(&ga, gridr_array_make(d, GRIDR_DT_F64, 2, n, n), (int)res,
                              (int)res) ||
        gridr_grid_init_zoom(&gz, 1, 1, 12001, 12001)) {
        fprintf(stderr, "grid: %s\n", gridr_last_error());
        return 1;
    }
    gridr_resample_opts_init(&ro);
    ro.interp = GRIDR_INTERP_CUBIC;
    gridr_plan_opts_init(&o);
    o.resample = &ro;
    o.raster_rows = o.raster_cols = 12001;
    o.bands = 4;
    o.src_dtype = o.out_dtype = GRIDR_DT_U16;
    o.has_out_mask = 1;
    o.workers = 8;
    o.prefetch = 2;
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        o.mem_budget = budgets[b];
        o.grid = &ga;
        rc |= run("12001^2, 1201^2 f64 grid res 10", &o, 5);
        o.grid = &gz;
        rc |= run("12001^2, affine", &o, 5);
    }
    free(d);
    return rc;
}
