/* gridr: warp jobs in a worker: generate each output cell's grid from the exact transform, with
 * the node spacing its measured error allows, and resample the window cell by cell. */
#include "base/internal.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/transform.h"
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The worker's transform, kept while the jobs' descriptions stay the same (one per process:
 * GDAL and PROJ handles are opened after the fork, in the worker that uses them). */
static gridr_transform *cached;
static char *cached_desc;
static size_t cached_len;

static int transform_for(const char *desc, size_t len, gridr_transform **out)
{
    if (cached && len == cached_len && memcmp(desc, cached_desc, len) == 0) {
        *out = cached;
        return 0;
    }
    gridr_transform_free(cached);
    free(cached_desc);
    cached = NULL;
    cached_desc = malloc(len);
    cached_len = len;
    if (!cached_desc)
        return gridr__fail(GRIDR_ENOMEM, "warp: out of memory");
    memcpy(cached_desc, desc, len);
    int rc = gridr_transform_from_desc(desc, len, &cached);
    *out = cached;
    return rc;
}

/* One cell's generated grid; buffers reused from cell to cell. */
typedef struct cell {
    long row0, col0, rows, cols; /* output pixels of the cell */
    int res;                     /* node spacing accepted */
    long nr, nc;                 /* nodes */
    double *pr, *pc;             /* points transformed: rows, cols (fine grid) */
    uint8_t *ok;
    double *nodes; /* 2 x nr x nc */
    uint8_t *mask; /* nr x nc */
    long cap, ncap;
    int any_bad;
    int matters; /* near the raster: its spacing counts */
    double err;
} cell;

typedef struct warp_ctx {
    const gridr__pipeline_params *p;
    gridr_transform *t;
    cell c;
    gridr__warp_stats st;
    double band; /* cells farther than this outside the raster do not count */
} warp_ctx;

static int grow(cell *c, long n)
{
    if (n <= c->cap)
        return 0;
    double *a = realloc(c->pr, (size_t)n * 2 * sizeof *a);
    uint8_t *k = a ? realloc(c->ok, (size_t)n) : NULL;
    if (a)
        c->pr = a;
    if (k)
        c->ok = k;
    if (!a || !k)
        return gridr__fail(GRIDR_ENOMEM, "warp: no memory for %ld grid points", n);
    c->pc = c->pr + n;
    c->cap = n;
    return 0;
}

/* Transform the points of spacing `s` over the cell (rows x cols points). */
static int transform_points(warp_ctx *x, long s, long rows, long cols)
{
    cell *c = &x->c;
    long n = rows * cols;
    int rc = grow(c, n);
    if (rc)
        return rc;
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) {
            c->pr[i * cols + j] = (double)(c->row0 + i * s);
            c->pc[i * cols + j] = (double)(c->col0 + j * s);
        }
    x->st.points += n;
    return gridr_transform_points(x->t, n, c->pr, c->pc, c->ok);
}

/* Error of the fine point (i, j) (one index odd) against the bilinear value of its coarse
 * neighbours (the mean of 2 or 4 of them: GridR's densification at a midpoint). Sets *bad when
 * some of the points involved failed and others did not. */
static double point_error(const warp_ctx *x, long cols, long i, long j, int *bad)
{
    const cell *c = &x->c;
    long i0 = i & ~1L, j0 = j & ~1L, i1 = i0 + (i & 1) * 2, j1 = j0 + (j & 1) * 2;
    long idx[4] = {i0 * cols + j0, i0 * cols + j1, i1 * cols + j0, i1 * cols + j1};
    long k = i * cols + j;
    int valid = c->ok[k];
    double r = 0, q = 0;
    for (int a = 0; a < 4; a++) {
        valid += c->ok[idx[a]];
        r += c->pr[idx[a]] / 4;
        q += c->pc[idx[a]] / 4;
    }
    if (valid != 5) {
        *bad |= valid != 0;
        return 0;
    }
    return hypot(c->pr[k] - r, c->pc[k] - q);
}

/* Whether the cell can matter: the bounding box of its transformed points, grown by twice the
 * error measured and the kernel's band, meets the raster. A cell wholly outside is nodata
 * whatever its spacing (its error is not counted). */
static int cell_matters(const warp_ctx *x, long n, double e)
{
    const cell *c = &x->c;
    double r0 = HUGE_VAL, r1 = -HUGE_VAL, c0 = HUGE_VAL, c1 = -HUGE_VAL, g = 2 * e + x->band;
    for (long k = 0; k < n; k++)
        if (c->ok[k]) {
            r0 = GRIDR__MIN(r0, c->pr[k]), r1 = GRIDR__MAX(r1, c->pr[k]);
            c0 = GRIDR__MIN(c0, c->pc[k]), c1 = GRIDR__MAX(c1, c->pc[k]);
        }
    return r0 - g < (double)x->p->raster_rows - 1 && r1 + g > 0 &&
           c0 - g < (double)x->p->raster_cols - 1 && c1 + g > 0;
}

/* Largest error at the midpoints of the spacing-2 fine grid (rows x cols points); HUGE_VAL when
 * the transform fails on part of the cell (refine, so nodata shrinks to the failing pixels). */
static double fine_error(warp_ctx *x, long rows, long cols)
{
    double e = 0;
    int bad = 0;
    for (long i = 0; i < rows; i++)
        for (long j = (i & 1) ? 0 : 1; j < cols; j += (i & 1) ? 1 : 2)
            e = GRIDR__MAX(e, point_error(x, cols, i, j, &bad));
    return bad ? HUGE_VAL : e;
}

/* Keep the points of step `step` of the rows x cols fine grid as the cell's nodes. */
static int take_nodes(warp_ctx *x, long rows, long cols, long step)
{
    cell *c = &x->c;
    c->nr = (rows - 1) / step + 1;
    c->nc = (cols - 1) / step + 1;
    long n = c->nr * c->nc;
    if (n > c->ncap) {
        double *d = realloc(c->nodes, (size_t)n * (2 * sizeof *d + 1));
        if (!d)
            return gridr__fail(GRIDR_ENOMEM, "warp: no memory for %ld grid nodes", n);
        c->nodes = d;
        c->ncap = n;
    }
    c->mask = (uint8_t *)(c->nodes + 2 * n);
    c->any_bad = 0;
    for (long i = 0; i < c->nr; i++)
        for (long j = 0; j < c->nc; j++) {
            long k = i * step * cols + j * step, o = i * c->nc + j;
            c->mask[o] = c->ok[k];
            c->any_bad |= !c->ok[k];
            c->nodes[o] = c->ok[k] ? c->pr[k] : 0;
            c->nodes[n + o] = c->ok[k] ? c->pc[k] : 0;
        }
    return 0;
}

/* Nodes of spacing `res` over the cell: enough that the last covers its last pixel. */
static long node_count(long pixels, int res)
{
    return GRIDR__MAX((pixels - 1 + res - 1) / res, 1) + 1;
}

/* The cell's grid: the largest spacing (a power of 2 up to the cell) whose bilinear values stay
 * within et of the transform at every midpoint (edges and centres) of its cells. */
static int generate(warp_ctx *x)
{
    cell *c = &x->c;
    for (int res = GRIDR__WARP_CELL;; res /= 2) {
        long rows = node_count(c->rows, res), cols = node_count(c->cols, res);
        if (res == 1) { /* every pixel exact */
            int rc = transform_points(x, 1, rows, cols);
            c->res = 1;
            c->err = 0;
            c->matters = 1;
            return rc ? rc : take_nodes(x, rows, cols, 1);
        }
        int rc = transform_points(x, res / 2, 2 * rows - 1, 2 * cols - 1);
        if (rc)
            return rc;
        double e = fine_error(x, 2 * rows - 1, 2 * cols - 1);
        int matters = e == HUGE_VAL || cell_matters(x, (2 * rows - 1) * (2 * cols - 1), e);
        if (e <= x->p->warp_et || !matters) {
            c->res = res;
            c->err = matters ? e : 0;
            c->matters = matters;
            return take_nodes(x, 2 * rows - 1, 2 * cols - 1, 2);
        }
    }
}

/* The kernel's grid over the cell's nodes. */
static void cell_grid(const cell *c, gridr_grid *g)
{
    memset(g, 0, sizeof *g);
    g->kind = GRIDR_GRID_ARRAY;
    g->nodes = gridr_array_make(c->nodes, GRIDR_DT_F64, 2, c->nr, c->nc);
    g->node_row0 = c->row0 / c->res;
    g->node_col0 = c->col0 / c->res;
    g->full_node_rows = g->node_row0 + c->nr;
    g->full_node_cols = g->node_col0 + c->nc;
    g->res_row = g->res_col = c->res;
    g->mask_valid = 1;
    if (c->any_bad)
        g->mask = gridr_array_make(c->mask, GRIDR_DT_U8, 1, c->nr, c->nc);
    gridr_grid_out_shape(g, &g->out_rows, &g->out_cols);
}

static gridr_rect intersect(gridr_rect a, gridr_rect b)
{
    gridr_rect r;
    long r1 = GRIDR__MIN(a.row0 + a.rows, b.row0 + b.rows);
    long c1 = GRIDR__MIN(a.col0 + a.cols, b.col0 + b.cols);
    r.row0 = GRIDR__MAX(a.row0, b.row0);
    r.col0 = GRIDR__MAX(a.col0, b.col0);
    r.rows = GRIDR__MAX(r1 - r.row0, 0);
    r.cols = GRIDR__MAX(c1 - r.col0, 0);
    return r;
}

static gridr_rect shifted(gridr_rect r, long row0, long col0)
{
    r.row0 -= row0;
    r.col0 -= col0;
    return r;
}

static void fill_nodata(const warp_ctx *x, gridr_array *out, gridr_array *omask)
{
    for (int b = 0; b < out->bands; b++)
        for (long i = 0; i < out->rows; i++)
            for (long j = 0; j < out->cols; j++)
                gridr_dtype_set(gridr_array_at(out, b, i, j), out->dtype, 0,
                                x->p->ropts.out_nodata);
    for (long i = 0; omask && i < omask->rows; i++)
        memset(gridr_array_at(omask, 0, i, 0), 0, (size_t)omask->cols);
}

/* Resample the part `part` of the current cell (window w) into the window's arrays.
 * Antialiased: a cell that cannot reach the raster is nodata (its spacing was not refined), and
 * one whose reduction needs more taps than the kernel takes is point-sampled (whole cells
 * decide: outputs do not depend on the windows). */
static int resample_part(warp_ctx *x, const gridr__pipeline_win *w, gridr_rect part,
                         gridr_source *src, gridr_array *out, gridr_array *omask)
{
    gridr_grid g;
    gridr_rect sw = {0, 0, 0, 0};
    gridr_array ov, mv, *mvp = NULL;
    gridr_resample_opts o = x->p->ropts;
    int empty = 1;
    cell_grid(&x->c, &g);
    if (o.antialias && x->c.matters)
        o.antialias = gridr__warp_aa_cell_ok(x->p, &g);
    gridr_rect rel = shifted(part, w->out.row0, w->out.col0);
    int rc = gridr_array_sub(out, rel, &ov);
    if (rc == 0 && omask && (rc = gridr_array_sub(omask, rel, &mv)) == 0)
        mvp = &mv;
    if (rc == 0 && (!o.antialias || x->c.matters))
        rc = gridr_resample_source_window(&o, &g, part, x->p->raster_rows, x->p->raster_cols, &sw,
                                          &empty);
    gridr_rect have = {src->row0, src->col0, src->data.rows, src->data.cols};
    sw = intersect(sw, have);
    if (rc || empty || sw.rows == 0 || sw.cols == 0) {
        if (rc == 0)
            fill_nodata(x, &ov, mvp);
        return rc;
    }
    gridr_source s = *src;
    gridr_rect in = shifted(sw, src->row0, src->col0);
    rc = gridr_array_sub(&src->data, in, &s.data);
    if (rc == 0 && src->mask.data)
        rc = gridr_array_sub(&src->mask, in, &s.mask);
    s.row0 = sw.row0;
    s.col0 = sw.col0;
    return rc ? rc : gridr_resample_window(&o, &g, part, &s, &ov, mvp);
}

/* Generate cell (ci, cj) of the output and resample its part in window w. */
static int do_cell(warp_ctx *x, const gridr__pipeline_win *w, long ci, long cj, gridr_source *src,
                   gridr_array *out, gridr_array *omask)
{
    const long s = GRIDR__WARP_CELL;
    cell *c = &x->c;
    c->row0 = ci * s;
    c->col0 = cj * s;
    c->rows = GRIDR__MIN(s, x->p->out_rows - c->row0);
    c->cols = GRIDR__MIN(s, x->p->out_cols - c->col0);
    int rc = generate(x);
    if (rc)
        return rc;
    x->st.cells++;
    x->st.nodes += c->nr * c->nc;
    x->st.max_err = GRIDR__MAX(x->st.max_err, c->err);
    if (c->matters && (x->st.min_res == 0 || c->res < x->st.min_res))
        x->st.min_res = c->res;
    gridr_rect whole = {c->row0, c->col0, c->rows, c->cols};
    return resample_part(x, w, intersect(whole, w->out), src, out, omask);
}

int gridr__warp_resample(const gridr__pipeline_params *p, const gridr__pipeline_win *w,
                         gridr_source *src, gridr_array *arrays, gridr_array *omask)
{
    const long s = GRIDR__WARP_CELL;
    char *wa = arrays[GRIDR__WARP_ARRAY].data;
    warp_ctx x;
    memset(&x, 0, sizeof x);
    x.p = p;
    x.band =
        gridr_interp_halo(p->ropts.interp, p->ropts.bspline_eps) + 2 + p->warp_et + p->warp_aa_band;
    int rc = transform_for(wa + sizeof(gridr__warp_stats), p->warp_desc_len, &x.t);
    long i1 = (w->out.row0 + w->out.rows - 1) / s, j1 = (w->out.col0 + w->out.cols - 1) / s;
    for (long i = w->out.row0 / s; rc == 0 && i <= i1; i++)
        for (long j = w->out.col0 / s; rc == 0 && j <= j1; j++)
            rc = do_cell(&x, w, i, j, src, &arrays[GRIDR_PLAN_OUT], omask);
    free(x.c.pr);
    free(x.c.ok);
    free(x.c.nodes);
    memcpy(wa, &x.st, sizeof x.st);
    return rc;
}
