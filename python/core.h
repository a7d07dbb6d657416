/* pygridr._core: what the extension's files share (not installed). */
#ifndef PYGRIDR_CORE_H
#define PYGRIDR_CORE_H

#include "gridr/dtype.h"
#include "gridr/grid.h"
#include "gridr/resample.h"

/* The arguments of one resample() call, as the Python layer prepared them. */
typedef struct pygridr_call {
    int interp;
    PyObject *src, *src_mask;
    long src_row0, src_col0, raster_rows, raster_cols;
    PyObject *grid_row, *grid_col;
    int res_row, res_col;
    PyObject *grid_mask;
    int grid_mask_valid;
    PyObject *grid_nodata;
    double origin_row, origin_col;
    gridr_rect win;
    PyObject *out, *out_mask;
    double eps, mask_influence, nodata_out;
    int boundary, trust_padding, threads, prefiltered, clip_support;
    long pad; /* B-splines: src is the raster alone, each strip gets a padding band of pad */
} pygridr_call;

/* Raise the Python exception of gridr status `rc` (ValueError, MemoryError, RuntimeError) with
 * gridr_last_error(); returns NULL. */
PyObject *pygridr_fail(int rc);

/* Borrow a 2-D or 3-D numpy array as a gridr_array (errors name the argument `name`). */
int pygridr_borrow(PyObject *obj, const char *name, int ndim, int writable, gridr_array *out);

/* GridR's integrated mode for B-splines: `src` already holds prefiltered coefficients; evaluate
 * sum c_k b_n(t - k) at each target of window `win`, a target valid iff every tap with non-zero
 * row and column weights lies inside `src` and is valid in its mask and its grid mesh is valid.
 * Called without the GIL. Returns 0 or GRIDR_ENOMEM / GRIDR_EINVAL (message set). */
int pygridr_eval_coefs(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                       const gridr_source *src, gridr_array *out, gridr_array *out_mask);

/* After a B-spline resampling whose padding band was trusted (so that gridr needs no validity
 * map of the window: its fast path), make nodata every target of window `win` whose taps with
 * non-zero weight leave the raster [0, raster_rows) x [0, raster_cols): the result of an
 * untrusted band (GridR's boundary_condition None), whose coefficients are the same. Called
 * without the GIL. Returns 0 or GRIDR_ENOMEM. */
int pygridr_clip_support(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                         long raster_rows, long raster_cols, gridr_array *out,
                         gridr_array *out_mask);

/* gridr_resample_window for a B-spline: the output window in strips of about a million pixels,
 * each from the part of `src` it needs (gridr_resample_source_window), so that its coefficients
 * stay in cache and one strip's buffers are reused by the next. pad > 0: `src` is the raster
 * alone (row0 = col0 = 0) and each strip's source is a copy with its share of a padding band of
 * `pad` samples (zeros, filled by gridr; its mask 0), as a padded copy of the whole raster would
 * give. The result is that of one call on the whole window (gridr's rule: it does not depend on
 * the cut). Called without the GIL. Returns 0 or a GRIDR_E* code (message set). */
int pygridr_resample_strips(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                            const gridr_source *src, long pad, gridr_array *out,
                            gridr_array *out_mask);

#endif
