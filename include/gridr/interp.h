/* gridr: interpolation kernels (nearest, linear, Keys cubic, B-splines 3..11) and prefilters. */
#ifndef GRIDR_INTERP_H
#define GRIDR_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gridr_interp_kind {
    GRIDR_INTERP_NEAREST = 0,
    GRIDR_INTERP_LINEAR = 1,
    GRIDR_INTERP_CUBIC = 2, /* Keys, a = -0.5 */
    GRIDR_INTERP_BSPLINE3 = 3,
    GRIDR_INTERP_BSPLINE5 = 5,
    GRIDR_INTERP_BSPLINE7 = 7,
    GRIDR_INTERP_BSPLINE9 = 9,
    GRIDR_INTERP_BSPLINE11 = 11
} gridr_interp_kind;

/** Largest stencil of any kernel (B-spline 11: 13). */
#define GRIDR_INTERP_MAX_TAPS 13

/** Default B-spline precision (as GridR's benchmarks). */
#define GRIDR_BSPLINE_DEFAULT_EPS 1e-6

/** Parse "nearest", "linear" (or "bilinear"), "cubic" (or "bicubic"), "bspline3".."bspline11". */
GRIDR_API int gridr_interp_parse(const char *text, gridr_interp_kind *out);

/** Name of a kernel. Ownership: static string. */
GRIDR_API const char *gridr_interp_name(gridr_interp_kind k);

/** Non-zero for the B-spline kernels. */
GRIDR_API int gridr_interp_is_bspline(gridr_interp_kind k);

/** Stencil size K (nearest 1, linear 3, cubic 5, B-spline n: n+2), as GridR. */
GRIDR_API int gridr_interp_taps(gridr_interp_kind k);

/** Halo in source pixels a window needs around the bounding box of its targets:
 *  nearest 1, linear 1, cubic 2, B-spline n: L0(n, eps). */
GRIDR_API int gridr_interp_halo(gridr_interp_kind k, double eps);

/** Weights for offset x = t - floor(t + 0.5) in [-0.5, 0.5): w[i] is the weight of the tap at
 *  c - K/2 + i (natural order; GridR stores them reversed). B-spline weights are GridR's
 *  un-normalised b_n (for prefiltered coefficients). */
GRIDR_API void gridr_interp_weights(gridr_interp_kind k, double x, double *w);

/** The B-spline poles of order n (floor(n/2) of them) into z; returns their count, 0 if n is
 *  not 3, 5, 7, 9 or 11. */
GRIDR_API int gridr_bspline_poles(int n, double *z);

/** Truncation index N(i, eps) of pole i (1-based) of order n (Briand & Monasse). */
GRIDR_API int gridr_bspline_trunc(int n, int i, double eps);

/** Total margin L0(n, eps) (GridR's table: n=3 eps=1e-4 -> 11, n=5 eps=1e-6 -> 31, ...). */
GRIDR_API int gridr_bspline_margin(int n, double eps);

/** Mask influence radius ln(s)/ln|z1| (0 when s >= 1). */
GRIDR_API double gridr_bspline_mask_radius(int n, double s);

#ifdef __cplusplus
}
#endif
#endif
