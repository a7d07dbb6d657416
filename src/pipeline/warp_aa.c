/* gridr: antialiased warp jobs: the planner's margin grown by the kernel's reach at each
 * window's reduction, and the workers' rule for cells whose reduction is too large. */
#include "base/internal.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>

/* Relative slack on a coarse cell's scale: a fine cell's Jacobian is a difference over fewer
 * pixels than the coarse cell's (its neighbours' scales are taken too, and 8E/s below). */
#define SCALE_SLACK 1.01

/* Largest scale of filter k with at most GRIDR_INTERP_MAX_SCALED taps (the kernel refuses
 * more): taps grow linearly with the scale (ceil(2 R s); footprints ceil(s + 1)). */
static double scale_cap(gridr_interp_kind k)
{
    int t = gridr_interp_scaled_taps(k, 1024.0);
    return t > 0 ? 1024.0 * GRIDR_INTERP_MAX_SCALED / (double)t : 0;
}

/* Source pixels the kernel at scale s reaches beyond the plan's halo (0 when not beyond), plus
 * one for the rounding of the cap. */
static double extra_at(const gridr__pipeline_ctx *c, double s)
{
    gridr_interp_kind k = c->params.ropts.interp;
    if (!(s > 0))
        return 0;
    s = s * SCALE_SLACK + c->warp_slack;
    s = fmin(fmax(s, gridr_interp_snap_reduction(s)), scale_cap(k)); /* the kernel's snap */
    long h = gridr_interp_scaled_halo(k, s) - c->warp_h1;
    return h > 0 ? (double)h + 1 : 0;
}

/* Scale of coarse cell (i, j): the longer row of its Jacobian (the kernel's rule on a grid
 * cell), 0 when a corner is invalid or its positions cannot reach the raster with that reach. */
static double coarse_scale(const gridr__pipeline_ctx *c, long i, long j)
{
    const long n = c->warp_crows * c->warp_ccols, cols = c->warp_ccols;
    const double *nr = c->warp_nodes, *nc = nr + n;
    double jac[4], b[4] = {HUGE_VAL, -HUGE_VAL, HUGE_VAL, -HUGE_VAL};
    if (!gridr_grid_cell_jacobian(&c->grid, i, j, jac))
        return 0;
    double s = fmax(hypot(jac[0], jac[1]), hypot(jac[2], jac[3]));
    for (long a = i; a <= i + 1; a++)
        for (long q = j; q <= j + 1; q++) {
            long k = a * cols + q;
            b[0] = fmin(b[0], nr[k]), b[1] = fmax(b[1], nr[k]);
            b[2] = fmin(b[2], nc[k]), b[3] = fmax(b[3], nc[k]);
        }
    double g = c->warp_margin + (double)c->warp_h1 + extra_at(c, s);
    int reach = b[0] - g < (double)c->params.raster_rows && b[1] + g > 0 &&
                b[2] - g < (double)c->params.raster_cols && b[3] + g > 0;
    return reach ? s : 0;
}

int gridr__warp_aa_setup(gridr__pipeline_ctx *c)
{
    gridr_grid unit;
    const double a[6] = {0, 1, 0, 0, 0, 1};
    long rows = c->grid.nodes.rows, cols = c->grid.nodes.cols;
    c->warp_crows = rows;
    c->warp_ccols = cols;
    c->warp_cs = c->grid.res_row;
    int rc = gridr_grid_init_affine(&unit, a, 2, 2);
    c->warp_h1 = rc ? 0 : gridr_resample_halo(&c->params.ropts, &unit);
    if (rc || c->warp_h1 < 0)
        return rc ? rc : (int)c->warp_h1;
    /* a coarse cell's bilinear error E at its centre bounds its second derivative by 8E/s^2 */
    c->warp_slack = 8 * c->warp_coarse_err / (double)c->warp_cs;
    if (!c->params.ropts.antialias || !gridr_interp_is_filter(c->params.ropts.interp))
        return 0;
    c->warp_scales = malloc((size_t)(rows - 1) * (size_t)(cols - 1) * sizeof *c->warp_scales);
    if (!c->warp_scales)
        return gridr__fail(GRIDR_ENOMEM, "warp: no memory for %ld x %ld cell scales", rows - 1,
                           cols - 1);
    for (long i = 0; i + 1 < rows; i++)
        for (long j = 0; j + 1 < cols; j++)
            c->warp_scales[i * (cols - 1) + j] = coarse_scale(c, i, j);
    c->params.warp_aa_band = gridr__warp_aa_max_margin(c) - c->warp_margin;
    return 0;
}

/* First and last coarse cells of output pixels [p0, p0 + n), with one more on each side. */
static void cell_span(long p0, long n, long s, long cells, long *a, long *b)
{
    *a = GRIDR__MAX(p0 / s - 1, 0);
    *b = GRIDR__MIN((p0 + n - 1) / s + 1, cells - 1);
}

double gridr__warp_aa_margin(void *ctx, gridr_rect out)
{
    const gridr__pipeline_ctx *c = ctx;
    long i0, i1, j0, j1, n = c->warp_ccols - 1;
    double s = 0;
    if (!c->warp_scales)
        return c->warp_margin;
    cell_span(out.row0, out.rows, c->warp_cs, c->warp_crows - 1, &i0, &i1);
    cell_span(out.col0, out.cols, c->warp_cs, n, &j0, &j1);
    for (long i = i0; i <= i1; i++)
        for (long j = j0; j <= j1; j++)
            s = fmax(s, c->warp_scales[i * n + j]);
    return c->warp_margin + extra_at(c, s);
}

double gridr__warp_aa_max_margin(const gridr__pipeline_ctx *c)
{
    double s = 0;
    long n = (c->warp_crows - 1) * (c->warp_ccols - 1);
    for (long k = 0; c->warp_scales && k < n; k++)
        s = fmax(s, c->warp_scales[k]);
    return c->warp_margin + extra_at(c, s);
}

/* The kernel's scale of a cell (kern_wide.c's rule: rounded to 1e-12, 1 when degenerate). */
static double kernel_scale(double a, double b)
{
    double s = floor(hypot(a, b) * 1e12 + 0.5) / 1e12;
    return s > 0 ? gridr_interp_snap_reduction(s) : 1; /* warps snap (antialias_snap) */
}

int gridr__warp_aa_cell_ok(const gridr__pipeline_params *p, const gridr_grid *g)
{
    gridr_interp_kind k = p->ropts.interp;
    for (long i = 0; i + 1 < g->nodes.rows; i++) /* a warp cell has 2 nodes or more a side */
        for (long j = 0; j + 1 < g->nodes.cols; j++) {
            double jac[4];
            gridr_grid_cell_jacobian(g, g->node_row0 + i, g->node_col0 + j, jac);
            if (gridr_interp_scaled_taps(k, kernel_scale(jac[0], jac[1])) >
                    GRIDR_INTERP_MAX_SCALED ||
                gridr_interp_scaled_taps(k, kernel_scale(jac[2], jac[3])) > GRIDR_INTERP_MAX_SCALED)
                return 0;
        }
    return 1;
}
