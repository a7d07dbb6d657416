/* gridr: localisation grids (full or oversampled, masked) and analytic affine grids. */
#ifndef GRIDR_GRID_H
#define GRIDR_GRID_H

#include <stdint.h>

#include "gridr/dtype.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gridr_grid_kind {
    GRIDR_GRID_ARRAY = 0, /* nodes in memory (possibly a slice of a larger grid) */
    GRIDR_GRID_AFFINE = 1 /* src = affine(out pixel), no memory */
} gridr_grid_kind;

/** A backward localisation grid: for each output pixel (i, j), the absolute source position
 *  (row, col), pixel centres at integer coordinates (OGC PixelIsPoint).
 *  ARRAY: `nodes` is a 2-band (row, col) f32 or f64 array of grid nodes; node (I, J) of the full
 *  grid sits on output pixel (I*res_row, J*res_col). `nodes` may be a slice: its node (0, 0) is
 *  node (node_row0, node_col0) of the full grid. Full output shape:
 *  ((full_node_rows-1)*res_row+1, (full_node_cols-1)*res_col+1).
 *  Validity: optional `mask` (u8, 1 band, same geometry as `nodes`; a node is valid iff its value
 *  == mask_valid), or a nodata value compared on the row band (|g - nodata| < 1e-5); the two are
 *  exclusive. `shift_row/col` is added to every valid node before densification (grid_shift).
 *  AFFINE: src_row = a[0] + a[1]*i + a[2]*j, src_col = a[3] + a[4]*i + a[5]*j for output (i, j);
 *  out_rows x out_cols is the full output size.
 *  Ownership: a value; borrows `nodes` and `mask`. */
typedef struct gridr_grid {
    gridr_grid_kind kind;
    gridr_array nodes;
    long node_row0, node_col0;
    long full_node_rows, full_node_cols;
    int res_row, res_col;
    gridr_array mask;
    uint8_t mask_valid;
    int has_nodata;
    double nodata;
    double shift_row, shift_col;
    double affine[6];
    long out_rows, out_cols;
} gridr_grid;

/** Set `g` to an array grid over the whole of `nodes` (res >= 1, no mask, no shift). */
GRIDR_API int gridr_grid_init_array(gridr_grid *g, gridr_array nodes, int res_row, int res_col);

/** Set `g` to an affine grid of out_rows x out_cols. */
GRIDR_API int gridr_grid_init_affine(gridr_grid *g, const double a[6], long out_rows,
                                     long out_cols);

/** Affine grid of a zoom: output pixel (i, j) samples source ((i + 0.5) / fy - 0.5,
 *  (j + 0.5) / fx - 0.5) (pixel areas aligned, as GDAL). */
GRIDR_API int gridr_grid_init_zoom(gridr_grid *g, double fy, double fx, long out_rows,
                                   long out_cols);

/** Full-resolution output shape of the grid. */
GRIDR_API void gridr_grid_out_shape(const gridr_grid *g, long *rows, long *cols);

/** Checks the grid's consistency (dtypes, res >= 1, >= 2 nodes on an oversampled axis,
 *  mask geometry); message names the fault. */
GRIDR_API int gridr_grid_check(const gridr_grid *g);

/** The node window (in full-grid node indices) needed to evaluate output window `out`, and the
 *  grid describing it as a slice (caller points its nodes/mask at that window's data). */
GRIDR_API int gridr_grid_node_window(const gridr_grid *g, gridr_rect out, gridr_rect *nodes);

/** Cells (issue 14, antialiased grids): output pixel (i, j) of an array grid belongs to cell
 *  (I, J) = (min(i / res_row, full_node_rows - 2), min(j / res_col, full_node_cols - 2)) (0 on
 *  an axis of one node), the output pixels between nodes I..I+1 x J..J+1. The node window of the
 *  whole cells of output window `out`: gridr_grid_node_window's plus the corners of every cell
 *  it touches (so that a cell's Jacobian does not depend on the window cut). Affine grids: as
 *  gridr_grid_node_window. */
GRIDR_API int gridr_grid_cell_window(const gridr_grid *g, gridr_rect out, gridr_rect *nodes);

/** The cell (I, J) of output pixel (i, j) of an array grid (see gridr_grid_cell_window). */
GRIDR_API void gridr_grid_cell_of(const gridr_grid *g, long i, long j, long *ci, long *cj);

/** Jacobian of cell (I, J) (full-grid indices; its corners must be in the slice) from its four
 *  corner nodes, constant over the cell: jac = {d src_row / d out_row, d src_row / d out_col,
 *  d src_col / d out_row, d src_col / d out_col}, each the mean of the cell's two edge
 *  differences over res (0 along an axis of one node). Returns 1, or 0 when a corner is invalid
 *  (jac zeroed). */
GRIDR_API int gridr_grid_cell_jacobian(const gridr_grid *g, long ci, long cj, double jac[4]);

/** Evaluate output row `row`, columns [col0, col0+n): source row/col (densified with GridR's
 *  integer bilinear weights, shift applied, rounded to 1e-12) into src_row/src_col, and 1/0 into
 *  valid (a node with non-zero weight invalid -> 0). The nodes needed must be in `g->nodes`.
 *  Never fails on a checked grid; not thread-unsafe (pure). */
GRIDR_API void gridr_grid_eval_row(const gridr_grid *g, long row, long col0, long n,
                                   double *src_row, double *src_col, uint8_t *valid);

/** Bounding box of the source positions of the valid pixels of output window `out` (a full scan of
 *  its nodes, so non-topology-preserving grids are safe): [*rmin, *rmax] x [*cmin, *cmax].
 *  *any = 0 when the window has no valid node. */
GRIDR_API int gridr_grid_metrics(const gridr_grid *g, gridr_rect out, double *rmin, double *rmax,
                                 double *cmin, double *cmax, int *any);

#ifdef __cplusplus
}
#endif
#endif
