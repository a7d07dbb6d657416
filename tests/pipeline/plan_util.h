/* gridr tests: grid and option fixtures and the coverage check shared by the plan suites. */
#ifndef GRIDR_TESTS_PLAN_UTIL_H
#define GRIDR_TESTS_PLAN_UTIL_H

#include "unit.h"

/* An oversampled array grid with a wobble: node (I, J) sits on output (I*rr, J*rc) and points at
 * source (I*rr*sy + oy + 3 sin(J/3), J*rc*sx + ox + 2 cos(I/2)). Nodes with mask_fn true are
 * masked. The caller frees g->nodes.data and g->mask.data. */
typedef struct wobble {
    long nrows, ncols;
    int rr, rc;
    double sy, sx, oy, ox, amp;
    int masked_block; /* mask nodes I < nrows/2, J < ncols/2 */
} wobble;

void gridr_test_make_wobble(const wobble *w, gridr_grid *g);

/** Frees the nodes and mask of an array grid (nothing for an affine one). */
void gridr_test_free_grid(gridr_grid *g);

/** Affine rotation by `deg` about the centre of an n x m raster, output n x m. */
void gridr_test_make_rotation(gridr_grid *g, double deg, long n, long m);

/** Affine shift by (dr, dc), output n x m. */
void gridr_test_make_shift(gridr_grid *g, double dr, double dc, long n, long m);

/** Plan options for grid g, resampling r, a rows x cols U8 raster to U8. */
void gridr_test_base_opts(gridr_plan_opts *o, const gridr_grid *g, const gridr_resample_opts *r,
                          long rows, long cols);

/** Every output pixel covered exactly once, windows in row-major order, indices in order. */
void gridr_test_check_coverage(const gridr_plan *p);

#endif
