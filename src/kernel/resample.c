/* gridr: resample one window (setup, availability, boundary conditions, OpenMP rows). */
#include "base/internal.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resample_impl.h"

/* ---- small public helpers ----------------------------------------------------------------- */

static const char *const bc_names[] = {"none", "constant", "edge", "reflect", "symmetric", "wrap"};

int gridr_boundary_parse(const char *text, gridr_boundary *out)
{
    *out = GRIDR_BC_NONE;
    for (int i = 0; text && i < 6; i++) {
        if (strcasecmp(text, bc_names[i]) == 0) {
            *out = (gridr_boundary)i;
            return 0;
        }
    }
    return gridr__fail(GRIDR_EINVAL,
                       "unknown boundary condition '%s' (expected none, constant, edge, reflect, "
                       "symmetric or wrap)",
                       text ? text : "(null)");
}

const char *gridr_boundary_name(gridr_boundary bc)
{
    return (int)bc >= 0 && (int)bc < 6 ? bc_names[bc] : "unknown";
}

void gridr_resample_opts_init(gridr_resample_opts *o)
{
    memset(o, 0, sizeof *o);
    o->interp = GRIDR_INTERP_LINEAR;
    o->bspline_eps = GRIDR_BSPLINE_DEFAULT_EPS;
    o->mask_influence = 1;
    o->out_nodata = 0;
    o->boundary = GRIDR_BC_NONE;
}

static int kernel_known(gridr_interp_kind k)
{
    return gridr_interp_taps(k) > 0;
}

/* ---- argument checks ---------------------------------------------------------------------- */

static int check_opts(const gridr_resample_opts *o)
{
    if (!kernel_known(o->interp))
        return gridr__fail(GRIDR_EINVAL, "resample: unsupported kernel %d", (int)o->interp);
    if ((int)o->boundary < 0 || (int)o->boundary > GRIDR_BC_WRAP)
        return gridr__fail(GRIDR_EINVAL, "resample: unknown boundary condition %d",
                           (int)o->boundary);
    if (!(o->bspline_eps > 0 && o->bspline_eps < 1))
        return gridr__fail(GRIDR_EINVAL, "resample: B-spline epsilon %g must be in (0, 1)",
                           o->bspline_eps);
    if (!(o->mask_influence > 0 && o->mask_influence <= 1))
        return gridr__fail(GRIDR_EINVAL, "resample: mask influence %g must be in (0, 1]",
                           o->mask_influence);
    if (o->threads < 0)
        return gridr__fail(GRIDR_EINVAL, "resample: thread count %d < 0", o->threads);
    if (o->nodata_policy != GRIDR_NODATA_EXACT && o->nodata_policy != GRIDR_NODATA_RENORMALIZE)
        return gridr__fail(GRIDR_EINVAL, "resample: unknown nodata policy %d", o->nodata_policy);
    if (o->bspline_mask_rule != GRIDR_BSPLINE_MASK_TAPS &&
        o->bspline_mask_rule != GRIDR_BSPLINE_MASK_SUPPORT)
        return gridr__fail(GRIDR_EINVAL, "resample: unknown B-spline mask rule %d",
                           o->bspline_mask_rule);
    return 0;
}

static int check_source(const gridr_source *src)
{
    const gridr_array *a = &src->data;
    if (!a->data || gridr_dtype_size(a->dtype) == 0 || a->bands < 1 || a->rows < 0 || a->cols < 0 ||
        a->row_stride < a->cols || (a->bands > 1 && a->band_stride < 1))
        return gridr__fail(
            GRIDR_EINVAL, "resample: bad source window (%s, %d bands, %ldx%ld, strides %ld/%ld)",
            gridr_dtype_name(a->dtype), a->bands, a->rows, a->cols, a->band_stride, a->row_stride);
    if (labs(src->row0) > (1L << 30) || labs(src->col0) > (1L << 30) || a->rows > (1L << 30) ||
        a->cols > (1L << 30))
        return gridr__fail(GRIDR_EINVAL,
                           "resample: source window at (%ld, %ld) of %ldx%ld is "
                           "beyond the supported 2^30 coordinates",
                           src->row0, src->col0, a->rows, a->cols);
    if (src->raster_rows < 1 || src->raster_cols < 1)
        return gridr__fail(GRIDR_EINVAL, "resample: raster size %ldx%ld is empty", src->raster_rows,
                           src->raster_cols);
    if (src->mask.data && (src->mask.dtype != GRIDR_DT_U8 || src->mask.rows != a->rows ||
                           src->mask.cols != a->cols || src->mask.row_stride < a->cols))
        return gridr__fail(GRIDR_EINVAL,
                           "resample: the source mask must be u8 %ldx%ld like the source window",
                           a->rows, a->cols);
    return 0;
}

static int check_outputs(const gridr_source *src, gridr_rect ow, const gridr_array *out,
                         const gridr_array *om)
{
    if (!out || !out->data || gridr_dtype_size(out->dtype) == 0 || out->bands != src->data.bands ||
        out->rows != ow.rows || out->cols != ow.cols || out->row_stride < out->cols ||
        (out->bands > 1 && out->band_stride < 1))
        return gridr__fail(GRIDR_EINVAL,
                           "resample: output must have %d bands of %ldx%ld (got %d of %ldx%ld)",
                           src->data.bands, ow.rows, ow.cols, out ? out->bands : 0,
                           out ? out->rows : 0, out ? out->cols : 0);
    if (om && om->data &&
        (om->dtype != GRIDR_DT_U8 || om->rows != ow.rows || om->cols != ow.cols ||
         om->row_stride < om->cols))
        return gridr__fail(GRIDR_EINVAL, "resample: output mask must be u8 %ldx%ld", ow.rows,
                           ow.cols);
    return 0;
}

/* The grid can evaluate every pixel of the output window (antialiased: and every cell's
 * Jacobian). */
static int check_grid(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect ow)
{
    gridr_rect nw;
    int rc = gridr_grid_check(g);
    if (rc == 0)
        rc = o->antialias ? gridr_grid_cell_window(g, ow, &nw) : gridr_grid_node_window(g, ow, &nw);
    if (rc)
        return GRIDR_EINVAL;
    if (g->kind == GRIDR_GRID_ARRAY && (nw.row0 < g->node_row0 || nw.col0 < g->node_col0 ||
                                        nw.row0 + nw.rows > g->node_row0 + g->nodes.rows ||
                                        nw.col0 + nw.cols > g->node_col0 + g->nodes.cols))
        return gridr__fail(GRIDR_EINVAL,
                           "resample: grid slice (nodes %ld+%ld x %ld+%ld) lacks nodes %ld+%ld x "
                           "%ld+%ld of output window rows %ld+%ld cols %ld+%ld",
                           g->node_row0, g->nodes.rows, g->node_col0, g->nodes.cols, nw.row0,
                           nw.rows, nw.col0, nw.cols, ow.row0, ow.rows, ow.col0, ow.cols);
    return 0;
}

/* ---- the OpenMP row loop ------------------------------------------------------------------ */

/* Output row i, columns [j0, j1), chunk by chunk: grid -> targets -> pass 1 -> pass 2 -> stores. */
void gridr__rs_run_cols(const gridr__rs_run *r, long i, long j0, long j1, char *scr)
{
    if (r->wide.on) {
        gridr__rs_wide_cols(r, i, j0, j1, scr);
        return;
    }
    gridr__rs_work *w = (gridr__rs_work *)scr;
    double *tr = (double *)(w + 1), *tc = tr + GRIDR__RS_CHUNK, *acc = tc + GRIDR__RS_CHUNK;
    uint8_t *gv = (uint8_t *)(acc + (size_t)GRIDR__RS_CHUNK * (size_t)r->s->bands);
    uint8_t *m = gv + GRIDR__RS_CHUNK;
    for (long c0 = j0; c0 < j1; c0 += GRIDR__RS_CHUNK) {
        long len = GRIDR__MIN(GRIDR__RS_CHUNK, j1 - c0);
        gridr_grid_eval_row(r->g, r->ow.row0 + i, r->ow.col0 + c0, len, tr, tc, gv);
        for (long k = len; k < GRIDR__RS_CHUNK && (k & 3); k++) /* pass 1 works on 2/4 lanes */
            tr[k] = tc[k] = 0;
        r->k.pass1(r->s, tr, tc, len, w);
        /* One f64 band and the mask are written in place; anything else through stores. */
        double *a = r->direct ? gridr_array_at(r->out, 0, i, c0) : acc;
        uint8_t *mm = r->om && r->om->data ? gridr_array_at(r->om, 0, i, c0) : m;
        r->k.pass2(r->s, w, gv, len, r->nodata, a, mm);
        if (r->renorm)
            gridr__rs_renorm(r, w, tr, tc, gv, len, a, GRIDR__RS_CHUNK, mm);
        for (int b = 0; !r->direct && b < r->out->bands; b++)
            r->k.store(gridr_array_at(r->out, b, i, c0), r->out->dtype,
                       acc + (size_t)b * GRIDR__RS_CHUNK, len);
    }
}

static int run_rows(gridr__rs_run *r, int threads)
{
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (nt > r->ow.rows)
        nt = (int)r->ow.rows;
    if (r->ow.rows * r->ow.cols < GRIDR__RS_MIN_PARALLEL)
        nt = 1;
    if (nt < 1)
        nt = 1;
    r->per_thread = sizeof(gridr__rs_work) +
                    (2 + (size_t)r->s->bands) * GRIDR__RS_CHUNK * sizeof(double) +
                    2 * GRIDR__RS_CHUNK;
    if (r->wide.on && r->wide.cells) /* the point kernels' scratch after the filter's */
        r->per_thread += (gridr__rs_wide_scratch(r) + 63) & ~(size_t)63;
    else if (r->wide.on)
        r->per_thread = GRIDR__MAX(r->per_thread, gridr__rs_wide_scratch(r));
    r->per_thread = (r->per_thread + 63) & ~(size_t)63;
    int rc = gridr__rs_run_separable(r, nt);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *scratch = aligned_alloc(64, r->per_thread * (size_t)nt);
    if (!scratch)
        return gridr__fail(GRIDR_ENOMEM, "resample: no memory for %d row buffers of %zu bytes", nt,
                           r->per_thread);
    const long rows = r->ow.rows;
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt)
    for (long i = 0; i < rows; i++)
        gridr__rs_run_cols(r, i, 0, r->ow.cols,
                           scratch + r->per_thread * (size_t)omp_get_thread_num());
    free(scratch);
    return 0;
}

/* GDAL's nodata policy applies to the direct kernels (not to B-splines, nor to nearest, where
 * it is the exact rule). */
static void set_renorm(gridr__rs_run *r, const gridr_resample_opts *o, const gridr_source *src)
{
    r->renorm = o->nodata_policy == GRIDR_NODATA_RENORMALIZE &&
                (o->interp == GRIDR_INTERP_LINEAR || o->interp == GRIDR_INTERP_CUBIC);
    r->interp = o->interp;
    r->raster_rows = src->raster_rows;
    r->raster_cols = src->raster_cols;
}

/* The run's kernel (the linear one's stores for the scaled filters) and, for an antialiased
 * array grid, the point kernel of its cells without reduction. */
static int set_kernels(gridr__rs_run *r, gridr_interp_kind k, gridr_dtype dt)
{
    r->pkb = gridr_interp_taps(k) > 1 ? gridr_interp_taps(k) - 1 : 0;
    if (gridr__rs_get_kernel(r->wide.on ? GRIDR_INTERP_LINEAR : k, dt, &r->k) != 0 ||
        (r->wide.on && r->wide.point_ok && gridr__rs_get_kernel(k, dt, &r->pk) != 0))
        return gridr__fail(GRIDR_EINVAL, "resample: kernel %d cannot read %s samples", (int)k,
                           gridr_dtype_name(dt));
    return 0;
}

int gridr_resample_window(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect out_win,
                          gridr_source *src, gridr_array *out, gridr_array *out_mask)
{
    if (!o || !g || !src)
        return gridr__fail(GRIDR_EINVAL, "resample: missing options, grid or source");
    int rc = check_opts(o);
    if (rc == 0)
        rc = check_grid(o, g, out_win);
    if (rc == 0)
        rc = check_source(src);
    if (rc == 0)
        rc = check_outputs(src, out_win, out, out_mask);
    if (rc)
        return rc;
    gridr__rs_setup st;
    gridr__rs_wide wide;
    rc = gridr__rs_wide_init(o, g, &out_win, &wide);
    if (rc)
        return rc;
    rc = gridr__rs_setup_init(&st, o, src, o->threads, g, &out_win);
    if (rc == 0) {
        gridr__rs_run run = {g,
                             out_win,
                             &st.s,
                             {NULL, NULL, NULL},
                             gridr_interp_taps(o->interp) > 1 ? gridr_interp_taps(o->interp) - 1
                                                              : 0,
                             o->out_nodata,
                             out,
                             out_mask,
                             out->dtype == GRIDR_DT_F64 && out->bands == 1,
                             0,
                             0,
                             GRIDR_INTERP_NEAREST,
                             0,
                             0,
                             wide,
                             {NULL, NULL, NULL},
                             0};
        set_renorm(&run, o, src);
        if (wide.on && o->gdal_edges) {
            run.wide.clip_r = src->raster_rows;
            run.wide.clip_c = src->raster_cols;
        }
        if (wide.on) /* the scaled filters use the linear kernel's stores only */
            run.kb = GRIDR__MAX(wide.nr, wide.nc) + (GRIDR__MAX(wide.nr, wide.nc) & 1);
        rc = set_kernels(&run, o->interp, st.s.dtype);
        if (rc == 0)
            rc = run_rows(&run, o->threads);
    }
    gridr__rs_setup_free(&st);
    return rc;
}

/* ---- source windows ----------------------------------------------------------------------- */

/* Grow [*lo, *hi] (raster indices) to hold the boundary condition's sources of its padding. */
static void add_mirrors(gridr_boundary bc, long n, long *lo, long *hi)
{
    long a = *lo, b = *hi;
    for (long r = a; r <= b; r++) {
        if (r >= 0 && r < n) {
            r = n - 1; /* skip the inside */
            continue;
        }
        long m = gridr__rs_bc_map(bc, r, n);
        *lo = GRIDR__MIN(*lo, m);
        *hi = GRIDR__MAX(*hi, m);
    }
}

/* [floor(vmin) - h, ceil(vmax) + h] clipped to [-h, n + h); 0 when empty. */
static int axis_window(double vmin, double vmax, long h, long n, long *lo, long *hi)
{
    double dlo = floor(vmin) - (double)h, dhi = ceil(vmax) + (double)h;
    if (dlo < (double)-h)
        dlo = (double)-h;
    if (dhi > (double)(n + h - 1))
        dhi = (double)(n + h - 1);
    if (!(dlo <= dhi))
        return 0;
    *lo = (long)dlo;
    *hi = (long)dhi;
    return 1;
}

int gridr_resample_source_window(const gridr_resample_opts *o, const gridr_grid *g,
                                 gridr_rect out_win, long raster_rows, long raster_cols,
                                 gridr_rect *src_win, int *empty)
{
    double rmin, rmax, cmin, cmax;
    int any = 0, rc;
    memset(src_win, 0, sizeof *src_win);
    *empty = 1;
    if (!o || !g)
        return gridr__fail(GRIDR_EINVAL, "source window: missing options or grid");
    if ((rc = check_opts(o)) || (rc = check_grid(o, g, out_win)))
        return rc;
    if (raster_rows < 1 || raster_cols < 1)
        return gridr__fail(GRIDR_EINVAL, "source window: raster size %ldx%ld is empty", raster_rows,
                           raster_cols);
    rc = gridr_grid_metrics(g, out_win, &rmin, &rmax, &cmin, &cmax, &any);
    if (rc || !any)
        return rc;
    if (g->kind == GRIDR_GRID_ARRAY && (g->res_row > 1 || g->res_col > 1)) {
        /* A densified value can pass the nodes' extreme by a few ulps before rounding, and a
         * B-spline halo (L0 >= H + n/2) may have no slack for that: widen by that much. */
        rmin -= 16 * DBL_EPSILON * fabs(rmin) + 1e-12;
        rmax += 16 * DBL_EPSILON * fabs(rmax) + 1e-12;
        cmin -= 16 * DBL_EPSILON * fabs(cmin) + 1e-12;
        cmax += 16 * DBL_EPSILON * fabs(cmax) + 1e-12;
    }
    long h = gridr__rs_halo_grid(o, g, &out_win), r0, r1, c0, c1;
    if (!axis_window(rmin, rmax, h, raster_rows, &r0, &r1) ||
        !axis_window(cmin, cmax, h, raster_cols, &c0, &c1))
        return 0;
    if (gridr__rs_mirror_bc(o)) {
        add_mirrors(o->boundary, raster_rows, &r0, &r1);
        add_mirrors(o->boundary, raster_cols, &c0, &c1);
    }
    src_win->row0 = r0;
    src_win->col0 = c0;
    src_win->rows = r1 - r0 + 1;
    src_win->cols = c1 - c0 + 1;
    *empty = 0;
    return 0;
}
