/* gridr: resample one window: grid x source (+ masks) -> output (+ mask). OpenMP lives here. */
#ifndef GRIDR_RESAMPLE_H
#define GRIDR_RESAMPLE_H

#include <stdint.h>

#include "gridr/dtype.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What fills the padding band (the part of a source window outside the raster). */
typedef enum gridr_boundary {
    GRIDR_BC_NONE = 0,      /* padded samples are invalid */
    GRIDR_BC_CONSTANT = 1,  /* boundary_value */
    GRIDR_BC_EDGE = 2,      /* nearest edge sample: aaa|abcd|ddd */
    GRIDR_BC_REFLECT = 3,   /* mirror without repeating the edge: cb|abcd|cb (numpy "reflect") */
    GRIDR_BC_SYMMETRIC = 4, /* mirror repeating the edge: ba|abcd|dc (numpy "symmetric") */
    GRIDR_BC_WRAP = 5       /* periodic: cd|abcd|ab */
} gridr_boundary;

/** Parse "none", "constant", "edge", "reflect", "symmetric", "wrap". */
GRIDR_API int gridr_boundary_parse(const char *text, gridr_boundary *out);

/** Name of a boundary condition. Ownership: static string. */
GRIDR_API const char *gridr_boundary_name(gridr_boundary bc);

/** What a pixel whose stencil meets invalid or missing samples becomes. */
typedef enum gridr_nodata_policy {
    GRIDR_NODATA_EXACT = 0,      /* GridR: any tap with a non-zero weight invalid -> nodata */
    GRIDR_NODATA_RENORMALIZE = 1 /* GDAL: valid iff the sample nearest the target is valid; the
                                    weights of the taps outside the raster (or untrusted padding)
                                    are dropped and the others renormalised; a cubic stencil that
                                    meets an invalid sample inside the raster falls back to linear
                                    (renormalised). B-splines keep the exact rule. */
} gridr_nodata_policy;

/** Parse "exact", "renormalize" (or "renormalise"). */
GRIDR_API int gridr_nodata_policy_parse(const char *text, gridr_nodata_policy *out);

/** Name of a policy. Ownership: static string. */
GRIDR_API const char *gridr_nodata_policy_name(gridr_nodata_policy p);

/** Options of a resampling; initialise with gridr_resample_opts_init(). New fields are only ever
 *  added at the end. */
typedef struct gridr_resample_opts {
    gridr_interp_kind interp; /* default linear */
    double bspline_eps;       /* default GRIDR_BSPLINE_DEFAULT_EPS */
    double mask_influence;    /* B-spline mask dilation threshold s; default 1 (no dilation) */
    int has_src_nodata;       /* a source sample equal to src_nodata is invalid */
    double src_nodata;
    double out_nodata;       /* default 0 */
    gridr_boundary boundary; /* default GRIDR_BC_NONE */
    double boundary_value;   /* for GRIDR_BC_CONSTANT */
    int trust_padding;       /* padded samples count as valid (with a BC other than none) */
    int threads;             /* OpenMP threads for this call; 0 = OpenMP's default */
    int bspline_mask_rule;   /* gridr_bspline_mask_rule; default GRIDR_BSPLINE_MASK_TAPS */
    /* nodata policy (issue 14) */
    int nodata_policy; /* gridr_nodata_policy; default GRIDR_NODATA_EXACT */
    /* Antialiasing (issue 14): linear, cubic and lanczos stretched by the grid's reduction
     * (gridr_interp_scaled_weights): on an affine grid the scale of a source axis is the length
     * of the grid's step along it, hypot(a[1], a[2]) for rows, hypot(a[4], a[5]) for columns;
     * on an array grid the same lengths from each cell's Jacobian (gridr_grid_cell_jacobian;
     * slices must then hold gridr_grid_cell_window's nodes), and linear / cubic keep the point
     * kernels on cells without reduction. Average and mode always use that footprint. Default 0. */
    int antialias;
    /* GDAL's edges for the scaled filters: taps outside the raster are dropped and the others
     * renormalised, per axis (what gdal_translate -outsize does at the edges, zooming in or
     * out); linear and cubic then take the scaled filters' path at every scale. Default 0. */
    int gdal_edges;
    /* Antialiased array grids: each cell's reductions by gridr_interp_snap_reduction, GDAL's
     * warper's rule (a reduction under 1.05 is none): what warp jobs do. Default 0. */
    int antialias_snap;
} gridr_resample_opts;

/** Defaults listed above. */
GRIDR_API void gridr_resample_opts_init(gridr_resample_opts *o);

/** A source window: `data` (bands x rows x cols, any dtype) holds the raster samples
 *  [row0, row0 + rows) x [col0, col0 + cols) in raster coordinates; the part of it outside
 *  [0, raster_rows) x [0, raster_cols) is the padding band (its content on entry is ignored;
 *  the call may overwrite it). `mask` (u8, 1 band, same geometry; data NULL = none): 0 = invalid.
 *  Ownership: a value; borrows its buffers. */
typedef struct gridr_source {
    gridr_array data;
    gridr_array mask;
    long row0, col0;
    long raster_rows, raster_cols;
} gridr_source;

/** Resample output window `out_win` (full-resolution output pixel coordinates) of grid `g`
 *  from `src` into `out` (bands == src bands, out_win.rows x out_win.cols, any dtype: values
 *  clipped to its range and integers rounded half to even) and `out_mask` (u8, 1 band, may be
 *  NULL or have data NULL): 1 valid, 0 nodata.
 *  Validity: a tap counts only if its weight is non-zero; a counted tap outside the source window,
 *  outside raster + padding, masked, equal to src nodata, or in an untrusted padding band, or a
 *  grid node with non-zero weight invalid -> out_nodata on every band and mask 0 (the exact
 *  policy; GRIDR_NODATA_RENORMALIZE computes such pixels as its comment says).
 *  The result does not depend on how the output is cut into windows, nor on the thread count.
 *  B-splines: the prefilter runs inside this call on an f64 copy of the source window (an f64
 *  window with no NaN, infinity or nodata sample is prefiltered in place: only its padding band
 *  is written).
 *  Returns 0, GRIDR_EINVAL (inconsistent shapes or options, message says which) or GRIDR_ENOMEM. */
GRIDR_API int gridr_resample_window(const gridr_resample_opts *o, const gridr_grid *g,
                                    gridr_rect out_win, gridr_source *src, gridr_array *out,
                                    gridr_array *out_mask);

/** The source window a given output window needs: bounding box of its targets grown by the
 *  kernel's halo, intersected with the raster grown by the halo (the padding band), plus the
 *  raster samples its padding mirrors when a mirror boundary condition's values can matter
 *  (for wrap that can be a whole axis). *empty = 1 when no valid target can be computed (the
 *  window is all nodata). */
GRIDR_API int gridr_resample_source_window(const gridr_resample_opts *o, const gridr_grid *g,
                                           gridr_rect out_win, long raster_rows, long raster_cols,
                                           gridr_rect *src_win, int *empty);

/** Halo in source pixels of options o on grid g: gridr_interp_halo() of the kernel, or, for the
 *  scaled filters (antialiasing, lanczos, average, mode, GDAL's edges), their reach on that
 *  grid, ceil(L) + 1 (see gridr_interp_scaled_halo). GRIDR_EINVAL for bad options. */
GRIDR_API long gridr_resample_halo(const gridr_resample_opts *o, const gridr_grid *g);

/** gridr_resample_halo for the targets of output window `out` only: for antialiased array grids
 *  the reach of the window's largest cell (gridr_resample_halo gives the point kernel's there).
 *  Errors as gridr_resample_halo. */
GRIDR_API long gridr_resample_halo_window(const gridr_resample_opts *o, const gridr_grid *g,
                                          gridr_rect out);

#ifdef __cplusplus
}
#endif
#endif
