/* gridr tests: test cases, rasters, grids and window runs shared by the resample suites. */
#ifndef GRIDR_TESTS_RESAMPLE_UTIL_H
#define GRIDR_TESTS_RESAMPLE_UTIL_H

#include "unit.h"

#include <stdint.h>

/* A raster in memory and how to resample it. */
typedef struct tcase {
    gridr_resample_opts o;
    gridr_grid g; /* over the whole output */
    void *data;   /* bands x R x C, contiguous */
    gridr_dtype dt;
    int bands;
    long R, C;
    uint8_t *mask; /* R x C or NULL */
    gridr_dtype odt;
    uint8_t garbage; /* byte written into the padding band of source windows */
} tcase;

/** The resample suites' pseudo-random numbers in [0, 1): one sequence, shared in suite order. */
double gridr_test_rs_urand(void);

/** Resample output window `ow` the way a worker does: source window from
 *  gridr_resample_source_window, a buffer of exactly that window (padding = garbage), the grid
 *  slice. Output `out` (odt, bands x ow) and `om`. */
int gridr_test_run_window(const tcase *t, gridr_rect ow, void *out, uint8_t *om);

/** Whole output of a test case (caller frees both). */
int gridr_test_run_whole(const tcase *t, void **out, uint8_t **om);

/** A contiguous raster of `dt` with values v(b, r, c) (stored with gridr_dtype_set). */
void *gridr_test_make_raster(gridr_dtype dt, int bands, long R, long C,
                             double (*v)(int b, long r, long c));

/** Raster values: random in [0, 250) from gridr_test_rs_urand; a ramp. */
double gridr_test_v_random(int b, long r, long c);
double gridr_test_v_ramp(int b, long r, long c);

/** The ramp of gridr_test_v_ramp at real positions. */
double gridr_test_f_ramp(int b, double y, double x);

/** An affine grid of the output size: src = (i + dr, j + dc). */
void gridr_test_shift_grid(gridr_grid *g, double dr, double dc, long rows, long cols);

/** A full-resolution array grid (caller frees *nodes): identity. */
void gridr_test_identity_array_grid(gridr_grid *g, double **nodes, long rows, long cols);

/** Max |out - f(target)| over output pixels whose targets are >= margin inside the raster. */
double gridr_test_max_err(const tcase *t, double dr, double dc, long margin,
                          double (*f)(int, double, double));

/** Resample single targets (row, col) of a 1-band f64 raster; values and masks out. */
void gridr_test_run_targets(const tcase *base, const double *pts, long n, double *val, uint8_t *m);

/** A smooth warp over the raster (some targets outside it) as an oversampled array grid. */
double *gridr_test_warp_nodes(long nr, long nc, int rr, int rc, long R, long C);

/** Every kernel: nearest, linear, cubic, B-splines 3, 5, 11. */
extern const gridr_interp_kind gridr_test_all_kernels[6];

#endif
