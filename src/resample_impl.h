/* gridr: internals shared by grid.c and resample*.c: inline numerics, row-kernel interface. */
#ifndef GRIDR_RESAMPLE_IMPL_H
#define GRIDR_RESAMPLE_IMPL_H

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "gridr/gridr.h"

/* floor() without a libm call (x86-64 baseline has no roundsd): exact for every double;
 * NaN and |v| >= 2^52 (already integers) are returned unchanged. */
static inline double gridr__floor(double v)
{
    if (fabs(v) < 4503599627370496.0) {
        double t = (double)(long long)v;
        return t - (double)(t > v);
    }
    return v;
}

/* GridR's position rounding: floor(1e12 * t + 0.5) / 1e12 (F64_GRID_PRECISION). */
static inline double gridr__round12(double t)
{
    return gridr__floor(1e12 * t + 0.5) / 1e12;
}

/* What a row kernel reads: the source window (or the B-spline coefficients) and where its
 * samples are available. Coordinates are window-local unless said otherwise. */
typedef struct gridr__rs_src {
    const void *data; /* sample (0, 0, 0) of the window */
    gridr_dtype dtype;
    int bands;
    long bstride, rstride; /* in samples */
    long rows, cols;
    long org_r, org_c;   /* raster coordinates of local (0, 0) */
    double tlo_r, thi_r; /* targets outside [tlo, thi) are invalid (raster coordinates) */
    double tlo_c, thi_c;
    long a_r0, a_r1; /* available rectangle: rows [a_r0, a_r1) x cols [a_c0, a_c1) */
    long a_c0, a_c1;
    const uint8_t *map;    /* NULL, or rows x cols availability (1 = valid), contiguous */
    const uint32_t *integ; /* with map: (rows+1) x (cols+1) prefix sums of invalid samples */
} gridr__rs_src;

/* One output row: targets (tr, tc, gv from gridr_grid_eval_row) -> acc[b * n + j] (f64, every
 * band; out_nodata where invalid) and m[j] (1 valid, 0 not). */
typedef void (*gridr__rs_row_fn)(const gridr__rs_src *s, const double *tr, const double *tc,
                                 const uint8_t *gv, long n, double nodata, double *acc, uint8_t *m);

/* The row kernel of a kernel kind (nearest, linear, cubic, or a B-spline reading f64
 * coefficients) for a source dtype; NULL if unsupported. */
gridr__rs_row_fn gridr__rs_row_kernel(gridr_interp_kind kind, gridr_dtype dt);

/* Store band `b` of an acc row (n values) into `dst` (type dt) with clip and round half to even
 * (gridr_dtype_set semantics). */
void gridr__rs_store(void *dst, gridr_dtype dt, const double *acc, long n);

#endif
