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
    GRIDR_INTERP_BSPLINE11 = 11,
    /* Filters whose support follows the reduction (see gridr_interp_scaled_weights): */
    GRIDR_INTERP_LANCZOS = 12, /* sinc(x) sinc(x / 3), |x| < 3 (GDAL's lanczos) */
    GRIDR_INTERP_AVERAGE = 13, /* area-weighted mean over the output pixel's footprint */
    GRIDR_INTERP_MODE = 14     /* most frequent value over the footprint (classes) */
} gridr_interp_kind;

/** Largest stencil of an unscaled point kernel (B-spline 11: 13). Scaled (antialiased) kernels
 *  and footprint kernels have ceil(2 R s) taps per axis instead, up to GRIDR_INTERP_MAX_SCALED. */
#define GRIDR_INTERP_MAX_TAPS 13

/** Most taps per axis of a scaled kernel (cubic at 1/1024, average at 1/4095). */
#define GRIDR_INTERP_MAX_SCALED 4096

/** Default B-spline precision (as GridR's benchmarks). */
#define GRIDR_BSPLINE_DEFAULT_EPS 1e-6

/** Parse "nearest", "linear" (or "bilinear"), "cubic" (or "bicubic"), "bspline3".."bspline11",
 *  "lanczos", "average", "mode". */
GRIDR_API int gridr_interp_parse(const char *text, gridr_interp_kind *out);

/** Name of a kernel. Ownership: static string. */
GRIDR_API const char *gridr_interp_name(gridr_interp_kind k);

/** Non-zero for the B-spline kernels. */
GRIDR_API int gridr_interp_is_bspline(gridr_interp_kind k);

/** Stencil size K (nearest 1, linear 3, cubic 5, B-spline n: n+2), as GridR; lanczos 7, average
 *  and mode 3 (their unscaled stencils); 0 for an unknown kind. */
GRIDR_API int gridr_interp_taps(gridr_interp_kind k);

/** Halo in source pixels a window needs around the bounding box of its targets
 *  ([floor(t_min), ceil(t_max)] on each axis, as GridR's source window), unscaled:
 *  nearest 1, linear 1, cubic 2, lanczos 3, average and mode 1, B-spline n: L0(n, eps)
 *  (>= FIR half-length + floor(n/2)). A scaled kernel needs gridr_interp_scaled_halo().
 *  GRIDR_EINVAL for an unknown kind or, for B-splines, eps outside (0, 1). */
GRIDR_API int gridr_interp_halo(gridr_interp_kind k, double eps);

/** Weights for offset x = t - floor(t + 0.5) in [-0.5, 0.5): w[i] is the weight of the tap at
 *  c - K/2 + i (natural order; GridR stores them reversed). B-spline weights are GridR's
 *  un-normalised b_n (for prefiltered coefficients). w has room for K doubles; an unknown kind
 *  leaves it untouched. Hot loops: the same functions inline in src/interp_kernels.h. */
GRIDR_API void gridr_interp_weights(gridr_interp_kind k, double x, double *w);

/** Whether kernel k is a filter that antialiasing scales (linear, cubic, lanczos) or a footprint
 *  kernel (average, mode): both take their weights from gridr_interp_scaled_weights(). */
GRIDR_API int gridr_interp_is_filter(gridr_interp_kind k);

/** Taps per axis of filter k at scale s (the source pixels one output pixel spans on that axis;
 *  linear, cubic and lanczos use max(s, 1), average and mode s itself): the number of source
 *  samples k with |k - t| < L, at most ceil(2 L), where L = R max(s, 1) for a kernel of radius R
 *  (linear 1, cubic 2, lanczos 3) and L = (s + 1) / 2 for the footprint kernels. 0 when k is not
 *  a filter or s is not finite and > 0; may exceed GRIDR_INTERP_MAX_SCALED (callers refuse). */
GRIDR_API int gridr_interp_scaled_taps(gridr_interp_kind k, double s);

/** GDAL's warper's rule for a reduction s (source pixels per output pixel): within 0.05 of a
 *  whole number it is that number, so below 1.05 there is none (1); else s itself. */
GRIDR_API double gridr_interp_snap_reduction(double s);

/** Halo of filter k at scale s: ceil(L) + 1 (see gridr_interp_scaled_taps). */
GRIDR_API long gridr_interp_scaled_halo(gridr_interp_kind k, double s);

/** The n = gridr_interp_scaled_taps(k, s) weights of filter k at scale s for target t (source
 *  pixel coordinates, centres at integers): w[i] weighs sample k0 + i, k0 = floor(t - L) + 1,
 *  returned. Linear, cubic, lanczos: w[i] = K((k0 + i - t) / max(s, 1)), the kernel stretched
 *  by the reduction (GDAL's antialiasing); average and mode: the length of the overlap of
 *  sample k's pixel [k - 1/2, k + 1/2] with the footprint [t - s/2, t + s/2] (overlaps under
 *  1e-9, rounding slivers of touching edges, count as 0). With clip_n > 0, samples outside
 *  [0, clip_n) get weight 0 (GDAL's edges: the taps inside the raster, renormalised). Then
 *  divided by their sum (sum 1; all 0 when no sample is left). A pure function of (k, s, t,
 *  clip_n): window-independent. */
GRIDR_API long gridr_interp_scaled_weights(gridr_interp_kind k, double s, double t, long clip_n,
                                           double *w);

/** The B-spline poles of order n (floor(n/2) of them) into z; returns their count, 0 if n is
 *  not 3, 5, 7, 9 or 11. */
GRIDR_API int gridr_bspline_poles(int n, double *z);

/** Truncation index N(i, eps) of pole i (1-based) of order n (Briand & Monasse), or
 *  GRIDR_EINVAL (bad n, i, or eps outside (0, 1)). */
GRIDR_API int gridr_bspline_trunc(int n, int i, double eps);

/** Total margin L0(n, eps) (GridR's table: n=3 eps=1e-4 -> 11, n=5 eps=1e-6 -> 31, ...), or
 *  GRIDR_EINVAL (bad n, or eps outside (0, 1)). */
GRIDR_API int gridr_bspline_margin(int n, double eps);

/** Mask influence radius ln(s)/ln|z1| (0 when s >= 1; +inf when s <= 0; NaN, with the message
 *  set, when n is not 3, 5, 7, 9 or 11). */
GRIDR_API double gridr_bspline_mask_radius(int n, double s);

/* ---- B-spline prefilter: window-independent truncated FIR -----------------------------------
 * The exact inverse of the sampled basis b_n is the symmetric filter h = h_1 * ... * h_m (m =
 * floor(n/2) poles), h_i(j) = z_i / (z_i^2 - 1) * z_i^|j|; in closed form
 * h(j) = sum_i A_i z_i^|j|. gridr truncates it to |j| <= H and folds the discarded tail into the
 * two end taps, so that sum_j h(j) = 1/n! exactly: constants and ramps are reproduced exactly.
 * H is the smallest half-length whose worst-case effect on any 2-D interpolated value is at most
 * eps * max|s| (bound e1 * (2 L + e1) <= eps, e1 = n! * l1 distance to the exact filter,
 * L = 1/rho = n! * ||h||_1), capped at L0(n, eps) - floor(n/2), GridR's invalidated border band,
 * so that H + floor(n/2) <= L0(n, eps) = gridr_interp_halo(): a window's halo always covers the
 * FIR support plus the non-zero taps (n=3: eps 1e-4 -> H 9, 1e-6 -> 13; n=5, 1e-6 -> 22;
 * n=11, 1e-6 -> 59). Each coefficient depends only on the (2H+1)^2 samples around it, summed in
 * a fixed order: bit-identical whatever the buffer it is computed in. */

/** Half-length H and taps of the truncated FIR prefilter of order n (3, 5, 7, 9, 11) for
 *  precision eps in (0, 1). If h is not NULL it receives 2H+1 taps: h[H + j] (= h[H - j]) weighs
 *  sample k + j in the coefficient of sample k. Call once with h = NULL to learn H.
 *  Returns 0 or GRIDR_EINVAL (bad n or eps). */
GRIDR_API int gridr_bspline_fir(int n, double eps, double *h, int *H);

/** 1-D prefilter: dst[k] = sum_{j=-H..H} h[H+j] src[k+j] for k in [H, len - H); other cells of
 *  dst are not written. dst must not overlap src. Returns 0 or GRIDR_EINVAL. */
GRIDR_API int gridr_bspline_prefilter_1d(const double *h, int H, const double *src, long len,
                                         double *dst);

/** 2-D prefilter of a rows x cols f64 buffer (row stride src_stride >= cols, in samples) into
 *  dst, same geometry (row stride dst_stride >= cols): the coefficient of sample (r, k) goes to
 *  dst[r * dst_stride + k], for r in [max(row_begin, H), min(row_end, rows - H)) and k in
 *  [H, cols - H); no other cell of dst is written (the band of width H has no coefficient).
 *  Columns first (each column independently), then rows: c(r,k) = sum_j h_j sum_i h_i
 *  s(r+i, k+j), symmetric pairs added in increasing |i|, |j|. dst must not overlap src.
 *  Not parallel itself and thread-safe: call it from inside an OpenMP region with disjoint row
 *  ranges (it allocates 16 x cols doubles of scratch per call).
 *  Returns 0, GRIDR_EINVAL (bad geometry) or GRIDR_ENOMEM. */
GRIDR_API int gridr_bspline_prefilter(const double *h, int H, const double *src, long src_stride,
                                      long rows, long cols, double *dst, long dst_stride,
                                      long row_begin, long row_end);

/** Dilate the invalid samples of a u8 mask (0 invalid, anything else valid; rows x cols, row
 *  stride mask_stride) by the L1 ball of radius d (offsets |dx| + |dy| <= d, GridR's rule):
 *  out (0/1, row stride out_stride, may equal mask) is 0 where some invalid sample lies within
 *  the ball. Samples outside the buffer are not known and count as valid, so only cells at least
 *  floor(d) from the buffer edge are window-independent. d < 1 copies the mask as 0/1.
 *  Returns 0, GRIDR_EINVAL or GRIDR_ENOMEM. */
GRIDR_API int gridr_bspline_mask_dilate(double d, const uint8_t *mask, long mask_stride, long rows,
                                        long cols, uint8_t *out, long out_stride);

/** Which samples must be valid for a B-spline coefficient to be usable (see docs/api/interp.md).
 *  Both are window-independent as long as invalid and padded samples hold values that depend
 *  only on their raster position (raw values, boundary fill, or a fixed replacement). */
typedef enum gridr_bspline_mask_rule {
    /* GridR's rule: the coefficient's own sample, after dilation by the L1 ball of radius d.
     * Coefficients next to invalid samples stay usable (they include those samples' values, as
     * in GridR). */
    GRIDR_BSPLINE_MASK_TAPS = 0,
    /* Strict: every sample of the coefficient's FIR support (and of the ball of radius d) is
     * valid, so no valid output ever depends on an invalid or padded sample. Larger nodata
     * areas: H + floor(n/2) around each invalid sample instead of floor(n/2). */
    GRIDR_BSPLINE_MASK_SUPPORT = 1
} gridr_bspline_mask_rule;

/** Validity of the coefficients gridr_bspline_prefilter computes with half-length H: out(r, k)
 *  = 1 iff (r, k) is at least B = max(H, floor(d)) from the buffer edge (so the coefficient is
 *  computed and its mask neighbourhood is inside the buffer) and
 *  - GRIDR_BSPLINE_MASK_TAPS: no invalid sample lies within the L1 ball of radius d;
 *  - GRIDR_BSPLINE_MASK_SUPPORT: moreover every sample of [r-H, r+H] x [k-H, k+H] is valid;
 *  0 otherwise. mask: u8, 0 invalid, anything else valid; NULL = all valid (only the border band
 *  is 0). Depends on nothing outside the cell's neighbourhood: window-independent. out (0/1)
 *  must not overlap mask. Returns 0, GRIDR_EINVAL or GRIDR_ENOMEM. */
GRIDR_API int gridr_bspline_coef_mask(gridr_bspline_mask_rule rule, int H, double d,
                                      const uint8_t *mask, long mask_stride, long rows, long cols,
                                      uint8_t *out, long out_stride);

#ifdef __cplusplus
}
#endif
#endif
