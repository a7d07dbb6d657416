/* gridr: inline per-kernel weight functions for resampling hot loops (internal, not installed). */
#ifndef GRIDR_INTERP_KERNELS_H
#define GRIDR_INTERP_KERNELS_H

/* Every function below writes the K weights of offset x = t - floor(t + 0.5), x in [-0.5, 0.5)
 * (any |x| < 1 also gives the right values), in natural order: w[i] is the weight of the tap at
 * c - K/2 + i, with c = floor(t + 0.5) and K/2 integer division. They are exactly the functions
 * behind gridr_interp_weights(); the public function only dispatches on the kind. */

#include "gridr/interp.h"

/** Nearest, K = 1: the centre sample. */
static inline void gridr__w_nearest(double x, double *w)
{
    (void)x;
    w[0] = 1.0;
}

/** Linear, K = 3: (1 - |x|) on the centre and |x| on the neighbour on x's side. */
static inline void gridr__w_linear(double x, double *w)
{
    if (x >= 0) {
        w[0] = 0.0;
        w[1] = 1.0 - x;
        w[2] = x;
    } else {
        w[0] = -x;
        w[1] = 1.0 + x;
        w[2] = 0.0;
    }
}

/** Keys cubic convolution a = -0.5, K = 5 with one structural zero (GridR's factorised form). */
static inline void gridr__w_cubic(double x, double *w)
{
    double a = x >= 0 ? x : -x;
    double a2 = a * a, a3 = a2 * a;
    double far = 0.5 * a3 - 0.5 * a2;             /* tap at distance 2 - a */
    double near = -1.5 * a3 + 2.0 * a2 + 0.5 * a; /* tap at distance 1 - a */
    double centre = 1.5 * a3 - 2.5 * a2 + 1.0;    /* tap at distance a */
    double behind = -0.5 * a3 + a2 - 0.5 * a;     /* tap at distance 1 + a */
    if (x >= 0) {
        w[0] = 0.0;
        w[1] = behind;
        w[2] = centre;
        w[3] = near;
        w[4] = far;
    } else {
        w[0] = far;
        w[1] = near;
        w[2] = centre;
        w[3] = behind;
        w[4] = 0.0;
    }
}

/* Un-normalised B-spline b_n = n! beta_n, K = n + 2. With f = |x| in [0, 1), v[j] = B_n(f + j)
 * (j = 0..n) where B_n(y) = b_n(y - (n+1)/2) is the spline on [0, n+1]; computed with the
 * Cox-de Boor recurrence without its divisions (that is what multiplies beta_n by n!):
 * B_k(y) = y B_{k-1}(y) + (k + 1 - y) B_{k-1}(y - 1). Every term is a product of non-negative
 * factors, so the evaluation is stable (no cancellation), and exactly mirror-symmetric in x.
 * x >= 0: w[0] = 0, w[i] = v[n + 1 - i]; x < 0: w[i] = v[i], w[n + 1] = 0. */
static inline __attribute__((always_inline)) void gridr__w_bspline_n(const int n, double x,
                                                                     double *w)
{
    double f = x >= 0 ? x : -x;
    double g = 1.0 - f;
    double fp[GRIDR_INTERP_MAX_TAPS], gp[GRIDR_INTERP_MAX_TAPS], v[GRIDR_INTERP_MAX_TAPS];
    /* Full unrolling keeps v in registers: 28 ns instead of 60 for n = 11. */
#pragma GCC unroll 16
    for (int j = 0; j < n; j++) {
        fp[j] = f + j;
        gp[j] = g + j;
    }
    v[0] = 1.0;
#pragma GCC unroll 16
    for (int k = 1; k <= n; k++) {
        v[k] = g * v[k - 1];
#pragma GCC unroll 16
        for (int j = k - 1; j >= 1; j--)
            v[j] = fp[j] * v[j] + gp[k - j] * v[j - 1];
        v[0] = f * v[0];
    }
    if (x >= 0) {
        w[0] = 0.0;
#pragma GCC unroll 16
        for (int i = 1; i <= n + 1; i++)
            w[i] = v[n + 1 - i];
    } else {
#pragma GCC unroll 16
        for (int i = 0; i <= n; i++)
            w[i] = v[i];
        w[n + 1] = 0.0;
    }
}

static inline void gridr__w_bspline3(double x, double *w)
{
    gridr__w_bspline_n(3, x, w);
}

static inline void gridr__w_bspline5(double x, double *w)
{
    gridr__w_bspline_n(5, x, w);
}

static inline void gridr__w_bspline7(double x, double *w)
{
    gridr__w_bspline_n(7, x, w);
}

static inline void gridr__w_bspline9(double x, double *w)
{
    gridr__w_bspline_n(9, x, w);
}

static inline void gridr__w_bspline11(double x, double *w)
{
    gridr__w_bspline_n(11, x, w);
}

/** A weight function, for code that dispatches once per window rather than per pixel. */
typedef void (*gridr__weights_fn)(double x, double *w);

/** The weight function of a kernel, NULL for an unknown kind. */
static inline gridr__weights_fn gridr__interp_weights_fn(gridr_interp_kind k)
{
    switch (k) {
    case GRIDR_INTERP_NEAREST:
        return gridr__w_nearest;
    case GRIDR_INTERP_LINEAR:
        return gridr__w_linear;
    case GRIDR_INTERP_CUBIC:
        return gridr__w_cubic;
    case GRIDR_INTERP_BSPLINE3:
        return gridr__w_bspline3;
    case GRIDR_INTERP_BSPLINE5:
        return gridr__w_bspline5;
    case GRIDR_INTERP_BSPLINE7:
        return gridr__w_bspline7;
    case GRIDR_INTERP_BSPLINE9:
        return gridr__w_bspline9;
    case GRIDR_INTERP_BSPLINE11:
        return gridr__w_bspline11;
    case GRIDR_INTERP_LANCZOS: /* scaled filters: gridr_interp_scaled_weights */
    case GRIDR_INTERP_AVERAGE:
    case GRIDR_INTERP_MODE:
        break;
    }
    return NULL;
}

#endif
