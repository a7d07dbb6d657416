/* pygridr._core: B-spline evaluation of coefficients a caller prefiltered (GridR's integrated
 * mode), from the public API's grid evaluation and kernel weights. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gridr/dtype.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/status.h"

#include "core.h"

/* Stencil of one axis: first tap index and weights, for target t. */
static void stencil(gridr_interp_kind k, int K, double t, long *first, double *w)
{
    double c = floor(t + 0.5);
    gridr_interp_weights(k, t - c, w);
    *first = (long)c - K / 2;
}

/* Whether every tap with non-zero weights is inside the source and valid. */
static int taps_ok(const gridr_source *s, int K, long r0, const double *wr, long c0,
                   const double *wc)
{
    const gridr_array *d = &s->data, *m = &s->mask;
    for (int a = 0; a < K; a++) {
        if (wr[a] == 0.0)
            continue;
        long r = r0 + a;
        for (int b = 0; b < K; b++) {
            long c = c0 + b;
            if (wc[b] == 0.0)
                continue;
            if (r < 0 || r >= d->rows || c < 0 || c >= d->cols)
                return 0;
            if (m->data &&
                !((const uint8_t *)m->data)[(size_t)r * (size_t)m->row_stride + (size_t)c])
                return 0;
        }
    }
    return 1;
}

/* Value of band `band` at the stencil (row taps then column taps, accumulated in f64). */
static double dot(const gridr_array *d, int band, int K, long r0, const double *wr, long c0,
                  const double *wc)
{
    double acc = 0.0;
    for (int a = 0; a < K; a++) {
        if (wr[a] == 0.0)
            continue;
        double row = 0.0;
        for (int b = 0; b < K; b++)
            if (wc[b] != 0.0)
                row +=
                    wc[b] * gridr_dtype_get(gridr_array_at(d, band, r0 + a, c0 + b), d->dtype, 0);
        acc += wr[a] * row;
    }
    return acc;
}

/* A pass over an output window: what its pixels read and write. */
typedef struct pass {
    const gridr_resample_opts *o;
    const gridr_source *src; /* eval_pixel */
    gridr_array *out, *om;   /* om may be NULL */
} pass;

/* Pixel (i, j) of a window at source position (tr, tc), absolute raster coordinates. */
typedef void (*pixel_fn)(const pass *p, long i, long j, double tr, double tc, int valid);

/* A row's positions (rows then columns) and validity for `cols` pixels; both freed on failure. */
static int row_buffers(long cols, double **pos, uint8_t **valid)
{
    *pos = malloc(2 * (size_t)cols * sizeof **pos);
    *valid = malloc((size_t)cols);
    if (*pos && *valid)
        return 0;
    free(*pos);
    free(*valid);
    return gridr_set_error(GRIDR_ENOMEM, "out of memory (%ld columns)", cols);
}

/* Calls `fn` on every pixel of `win` with its position on grid `g` and whether it is valid. */
static int each_pixel(const gridr_grid *g, gridr_rect win, pixel_fn fn, const pass *p)
{
    double *pos;
    uint8_t *valid;
    int rc = row_buffers(win.cols, &pos, &valid);
    if (rc)
        return rc;
    for (long i = 0; i < win.rows; i++) {
        gridr_grid_eval_row(g, win.row0 + i, win.col0, win.cols, pos, pos + win.cols, valid);
        for (long j = 0; j < win.cols; j++)
            fn(p, i, j, pos[j], pos[win.cols + j], valid[j]);
    }
    free(pos);
    free(valid);
    return 0;
}

static void set_mask(gridr_array *om, long i, long j, int valid)
{
    ((uint8_t *)om->data)[(size_t)i * (size_t)om->row_stride + (size_t)j] = (uint8_t)valid;
}

/* One output pixel of the evaluation, valid or not. */
static void eval_pixel(const pass *p, long i, long j, double tr, double tc, int valid)
{
    const gridr_source *s = p->src;
    int K = gridr_interp_taps(p->o->interp);
    double wr[GRIDR_INTERP_MAX_TAPS], wc[GRIDR_INTERP_MAX_TAPS];
    long r0 = 0, c0 = 0;
    if (valid) {
        stencil(p->o->interp, K, tr - (double)s->row0, &r0, wr);
        stencil(p->o->interp, K, tc - (double)s->col0, &c0, wc);
        valid = taps_ok(s, K, r0, wr, c0, wc);
    }
    for (int b = 0; b < p->out->bands; b++) {
        double v = valid ? dot(&s->data, b, K, r0, wr, c0, wc) : p->o->out_nodata;
        gridr_dtype_set(gridr_array_at(p->out, b, i, j), p->out->dtype, 0, v);
    }
    if (p->om)
        set_mask(p->om, i, j, valid);
}

int pygridr_eval_coefs(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                       const gridr_source *src, gridr_array *out, gridr_array *out_mask)
{
    if (out->bands != src->data.bands || out->rows != win.rows || out->cols != win.cols)
        return gridr_set_error(GRIDR_EINVAL, "array_out: shape does not match the window");
    pass p = {.o = o, .src = src, .out = out, .om = out_mask};
    return each_pixel(g, win, eval_pixel, &p);
}

/* The taps with non-zero weight of B-spline n at target t (absolute raster coordinate) stay
 * inside [0, len) iff lo <= t <= hi: b_n(t - k) != 0 iff |t - k| < (n + 1) / 2, so the taps are
 * floor(t - (n + 1) / 2) + 1 .. ceil(t + (n + 1) / 2) - 1. Exact on gridr's positions (rounded
 * to 1e-12: never within an ulp of a support's end without being on it). */
static void support_bounds(int n, long len, double b[2])
{
    b[0] = 0.5 * (n - 1);
    b[1] = (double)len - 0.5 * (n + 1);
}

/* Bounds of one clip pass: rows then columns, exact and shrunk by a margin far above the
 * rounding of a position to 1e-12 (and of the shift's addition), for the fast test. */
typedef struct clip_bounds {
    double exact[4], safe[4];
} clip_bounds;

/* Make nodata (and invalid in the mask) the valid pixels (i, j0 + j), j in [0, n), of the
 * output whose support leaves the raster; tr, tc, valid: their positions and validity. */
static void clip_row(const pass *p, long i, long j0, long n, const double *tr, const double *tc,
                     const uint8_t *valid, const double *b)
{
    for (long j = 0; j < n; j++) {
        int in = (tr[j] >= b[0]) & (tr[j] <= b[1]) & (tc[j] >= b[2]) & (tc[j] <= b[3]);
        if (!valid[j] || in)
            continue;
        for (int k = 0; k < p->out->bands; k++)
            gridr_dtype_set(gridr_array_at(p->out, k, i, j0 + j), p->out->dtype, 0,
                            p->o->out_nodata);
        if (p->om)
            set_mask(p->om, i, j0 + j, 0);
    }
}

/* Pixels a chunk of the fast row test covers. */
#define CLIP_CHUNK 64

/* Output row i (grid row gi, columns from gj0) of an f64 array grid at full resolution: a
 * position (node plus shift) surely inside the safe bounds before rounding is inside the exact
 * ones after, so only the others (NaN included) are evaluated and tested; chunks of CLIP_CHUNK
 * pixels all surely inside are skipped in one branch-free test. */
static void clip_fast_row(const pass *p, const gridr_grid *g, long i, long gi, long gj0, long n,
                          const clip_bounds *cb)
{
    const double *r = gridr_array_at(&g->nodes, 0, gi - g->node_row0, gj0 - g->node_col0);
    const double *c = gridr_array_at(&g->nodes, 1, gi - g->node_row0, gj0 - g->node_col0);
    const double sr = g->shift_row, sc = g->shift_col, *b = cb->safe;
    for (long k0 = 0; k0 < n; k0 += CLIP_CHUNK) {
        long k1 = n - k0 < CLIP_CHUNK ? n : k0 + CLIP_CHUNK;
        int ok = 1;
        for (long j = k0; j < k1; j++) {
            double tr = r[j] + sr, tc = c[j] + sc;
            ok &= (tr >= b[0]) & (tr <= b[1]) & (tc >= b[2]) & (tc <= b[3]);
        }
        for (long j = k0; !ok && j < k1; j++) {
            double tr = r[j] + sr, tc = c[j] + sc, er, ec;
            uint8_t v;
            if ((tr >= b[0]) & (tr <= b[1]) & (tc >= b[2]) & (tc <= b[3]))
                continue;
            gridr_grid_eval_row(g, gi, gj0 + j, 1, &er, &ec, &v);
            clip_row(p, i, j, 1, &er, &ec, &v, cb->exact);
        }
    }
}

static void clip_bounds_init(int n, long rows, long cols, clip_bounds *cb)
{
    support_bounds(n, rows, cb->exact);
    support_bounds(n, cols, cb->exact + 2);
    for (int k = 0; k < 4; k++) {
        double m = 1e-6 * (1.0 + fabs(cb->exact[k]));
        cb->safe[k] = cb->exact[k] + (k & 1 ? -m : m);
    }
}

int pygridr_clip_support(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                         long raster_rows, long raster_cols, gridr_array *out,
                         gridr_array *out_mask)
{
    if (!gridr_interp_is_bspline(o->interp))
        return gridr_set_error(GRIDR_EINVAL, "clip_support: only for B-splines");
    pass p = {.o = o, .out = out, .om = out_mask};
    clip_bounds cb;
    clip_bounds_init((int)o->interp, raster_rows, raster_cols, &cb);
    double *pos;
    uint8_t *valid;
    int rc = row_buffers(win.cols, &pos, &valid);
    if (rc)
        return rc;
    int fast = g->kind == GRIDR_GRID_ARRAY && g->res_row == 1 && g->res_col == 1 &&
               g->nodes.dtype == GRIDR_DT_F64;
    for (long i = 0; i < win.rows; i++) {
        if (fast) {
            clip_fast_row(&p, g, i, win.row0 + i, win.col0, win.cols, &cb);
            continue;
        }
        gridr_grid_eval_row(g, win.row0 + i, win.col0, win.cols, pos, pos + win.cols, valid);
        clip_row(&p, i, 0, win.cols, pos, pos + win.cols, valid, cb.exact);
    }
    free(pos);
    free(valid);
    return 0;
}
