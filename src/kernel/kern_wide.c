/* gridr: scaled filters (antialiased linear/cubic, lanczos, average, mode): the generic path. */
#include "base/internal.h"
#include "gridr/grid.h"
#include "gridr/interp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resample_impl.h"

#define CH GRIDR__RS_CHUNK

/* ---- the window's filter -------------------------------------------------------------------- */

/* Scales rounded to 1e-12, like positions, so that 1 / (1 / 7.5) is 7.5. */
static double round12(double s)
{
    return floor(s * 1e12 + 0.5) / 1e12;
}

/* Taps at the window's scales, or GRIDR_EINVAL naming the reduction when there are too many. */
static int wide_taps(gridr__rs_wide *w)
{
    w->nr = gridr_interp_scaled_taps(w->kind, w->sr);
    w->nc = gridr_interp_scaled_taps(w->kind, w->sc);
    if (w->nr < 1 || w->nc < 1 || w->nr > GRIDR_INTERP_MAX_SCALED ||
        w->nc > GRIDR_INTERP_MAX_SCALED)
        return gridr__fail(GRIDR_EINVAL,
                           "resample: %s over a reduction of %g x %g source pixels needs more "
                           "than %d taps per axis",
                           gridr_interp_name(w->kind), w->sr, w->sc, GRIDR_INTERP_MAX_SCALED);
    w->on = 1;
    return 0;
}

/* A cell's scale on one source axis: the length of its Jacobian row (the affine rule), rounded;
 * 1 for a degenerate cell or one with an invalid corner (a zero Jacobian). */
static double cell_scale(double a, double b)
{
    double s = round12(hypot(a, b));
    return s > 0 ? s : 1;
}

static void cell_scales(const gridr__rs_wide *w, const gridr_grid *g, long ci, long cj, double *sr,
                        double *sc)
{
    double jac[4];
    gridr_grid_cell_jacobian(g, ci, cj, jac);
    *sr = cell_scale(jac[0], jac[1]);
    *sc = cell_scale(jac[2], jac[3]);
    if (w->snap) {
        *sr = gridr_interp_snap_reduction(*sr);
        *sc = gridr_interp_snap_reduction(*sc);
    }
}

/* Cell (sr, sc) keeps the point kernels (no reduction on either axis). */
static int cell_point(const gridr__rs_wide *w, double sr, double sc)
{
    return w->point_ok && !(sr > 1) && !(sc > 1);
}

/* Antialiased array grid: per cell scales; the window's filter is on when one of its cells
 * reduces (or the kernel is a footprint one), with the largest scales of its cells (scratch and
 * halo). Without a window (or nodes) the unscaled kernels' halo. */
static int wide_init_cells(const gridr_grid *g, const gridr_rect *ow, gridr__rs_wide *w)
{
    long a0, b0, a1, b1;
    int any = 0;
    w->cells = 1;
    if (!ow || !g->nodes.data) /* footprint kernels: scale 1, as without antialiasing */
        return w->point_ok ? 0 : wide_taps(w);
    gridr_grid_cell_of(g, ow->row0, ow->col0, &a0, &b0);
    gridr_grid_cell_of(g, ow->row0 + ow->rows - 1, ow->col0 + ow->cols - 1, &a1, &b1);
    for (long ci = a0; ci <= a1; ci++) {
        for (long cj = b0; cj <= b1; cj++) {
            double sr, sc;
            cell_scales(w, g, ci, cj, &sr, &sc);
            any |= !cell_point(w, sr, sc);
            w->sr = fmax(w->sr, sr);
            w->sc = fmax(w->sc, sc);
        }
    }
    return any ? wide_taps(w) : 0;
}

int gridr__rs_wide_init(const gridr_resample_opts *o, const gridr_grid *g, const gridr_rect *ow,
                        gridr__rs_wide *w)
{
    memset(w, 0, sizeof *w);
    const gridr_interp_kind k = o->interp;
    const int point = k == GRIDR_INTERP_LINEAR || k == GRIDR_INTERP_CUBIC;
    if (!gridr_interp_is_filter(k) || (point && !o->antialias && !o->gdal_edges))
        return 0;
    w->kind = k;
    w->sr = w->sc = 1;
    w->point_ok = point && (!o->gdal_edges || o->nodata_policy == GRIDR_NODATA_RENORMALIZE);
    w->snap = o->antialias_snap;
    if (g->kind == GRIDR_GRID_ARRAY && o->antialias) /* issue 14: the grid's local reduction */
        return wide_init_cells(g, ow, w);
    if (g->kind == GRIDR_GRID_AFFINE && (o->antialias || !point)) {
        w->sr = round12(hypot(g->affine[1], g->affine[2]));
        w->sc = round12(hypot(g->affine[4], g->affine[5]));
    }
    if (cell_point(w, w->sr, w->sc))
        return 0; /* no reduction: the point kernels (GDAL's edges by renorm.c's policy) */
    return wide_taps(w);
}

long gridr__rs_halo_grid(const gridr_resample_opts *o, const gridr_grid *g, const gridr_rect *ow)
{
    long h = gridr__rs_halo(o);
    gridr__rs_wide w;
    if (gridr__rs_wide_init(o, g, ow, &w) != 0 || !w.on)
        return h;
    h = GRIDR__MAX(h, gridr_interp_scaled_halo(w.kind, w.sr));
    return GRIDR__MAX(h, gridr_interp_scaled_halo(w.kind, w.sc));
}

long gridr_resample_halo(const gridr_resample_opts *o, const gridr_grid *g)
{
    if (!o || !g)
        return gridr__fail(GRIDR_EINVAL, "resample halo: missing options or grid");
    long h = gridr_interp_halo(o->interp, o->bspline_eps);
    return h < 0 ? h : gridr__rs_halo_grid(o, g, NULL);
}

long gridr_resample_halo_window(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect out)
{
    if (!o || !g)
        return gridr__fail(GRIDR_EINVAL, "resample halo: missing options or grid");
    long h = gridr_interp_halo(o->interp, o->bspline_eps);
    return h < 0 ? h : gridr__rs_halo_grid(o, g, &out);
}

/* ---- per-pixel kernels ---------------------------------------------------------------------- */

/* The nr x nc box at window (br, bc) lies in the available rectangle and holds no invalid
 * sample. */
static int box_fast(const gridr__rs_src *s, long br, long bc, int nr, int nc)
{
    if (br < s->a_r0 || br + nr > s->a_r1 || bc < s->a_c0 || bc + nc > s->a_c1)
        return 0;
    if (!s->integ)
        return 1;
    const uint32_t *q = s->integ;
    const long w = s->cols + 1;
    return q[(br + nr) * w + bc + nc] - q[br * w + bc + nc] - q[(br + nr) * w + bc] +
               q[br * w + bc] ==
           0;
}

/* Every tap with non-zero row and column weights is available. */
static int taps_ok(const gridr__rs_src *s, long br, long bc, const double *wr, int nr,
                   const double *wc, int nc)
{
    for (int i = 0; i < nr; i++) {
        if (wr[i] == 0)
            continue;
        if (br + i < s->a_r0 || br + i >= s->a_r1)
            return 0;
        const uint8_t *mrow = s->map ? s->map + (br + i) * s->cols + bc : NULL;
        for (int j = 0; j < nc; j++) {
            if (wc[j] != 0 && (bc + j < s->a_c0 || bc + j >= s->a_c1 || (mrow && !mrow[j])))
                return 0;
        }
    }
    return 1;
}

/* Per source type: the unchecked dot product (every tap; per row the column dot product from
 * 0, then the row weight: the separable path's operations in its order), the checked one (only
 * taps with non-zero weights, which gives the same bits on finite samples), and the mode. */
#define DEFINE_WIDE(T, SUF)                                                                        \
    GRIDR__RS_DEFINE_BOX_DOT(dot_##SUF, T)                                                         \
    static void mode_##SUF(const gridr__rs_src *s, long br, long bc, const double *wr, int nr,     \
                           const double *wc, int nc, double *v, double *acc)                       \
    {                                                                                              \
        for (int b = 0; b < s->bands; b++) {                                                       \
            const T *p = (const T *)s->data + b * s->bstride + br * s->rstride + bc;               \
            int n = 0;                                                                             \
            for (int i = 0; i < nr; i++, p += s->rstride) {                                        \
                for (int j = 0; wr[i] != 0 && j < nc; j++) {                                       \
                    if (wc[j] != 0)                                                                \
                        v[n++] = (double)p[j];                                                     \
                }                                                                                  \
            }                                                                                      \
            acc[b * CH] = most_frequent(v, n);                                                     \
        }                                                                                          \
    }

/* The most frequent of v[0..n) (n > 0); of equally frequent values, the first to reach that
 * count in scan order (GDAL's histogram rule). NaN samples count as one value. */
static double most_frequent(const double *v, int n)
{
    int best = 0;
    double bv = v[0];
    for (int p = 0; p < n; p++) {
        int c = 0;
        for (int q = 0; q <= p; q++)
            c += v[q] == v[p] || (v[q] != v[q] && v[p] != v[p]);
        if (c > best) {
            best = c;
            bv = v[p];
        }
    }
    return bv;
}

DEFINE_WIDE(uint8_t, u8)
DEFINE_WIDE(uint16_t, u16)
DEFINE_WIDE(int16_t, i16)
DEFINE_WIDE(uint32_t, u32)
DEFINE_WIDE(int32_t, i32)
DEFINE_WIDE(float, f32)
DEFINE_WIDE(double, f64)

typedef void (*dot_fn)(const gridr__rs_src *, long, long, const double *, int, const double *, int,
                       int, double *);
typedef void (*mode_fn)(const gridr__rs_src *, long, long, const double *, int, const double *, int,
                        double *, double *);

typedef struct wide_fns {
    dot_fn dot;
    mode_fn mode;
} wide_fns;

static wide_fns fns_for(gridr_dtype dt)
{
    switch (dt) {
    case GRIDR_DT_U8:
        return (wide_fns){dot_u8, mode_u8};
    case GRIDR_DT_U16:
        return (wide_fns){dot_u16, mode_u16};
    case GRIDR_DT_I16:
        return (wide_fns){dot_i16, mode_i16};
    case GRIDR_DT_U32:
        return (wide_fns){dot_u32, mode_u32};
    case GRIDR_DT_I32:
        return (wide_fns){dot_i32, mode_i32};
    case GRIDR_DT_F32:
        return (wide_fns){dot_f32, mode_f32};
    default:
        return (wide_fns){dot_f64, mode_f64};
    }
}

/* ---- the generic row ------------------------------------------------------------------------ */

/* Per-thread scratch: targets, grid validity, accumulators, mask, weights, mode values. */
typedef struct wide_scr {
    double *tr, *tc, *acc, *wr, *wc, *v;
    uint8_t *gv, *m;
    double last_tr; /* the row target wr and br0 hold (a zoom's row shares them): NaN = none */
    long br0;
} wide_scr;

static size_t up64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

size_t gridr__rs_wide_scratch(const gridr__rs_run *r)
{
    const size_t nr = (size_t)r->wide.nr, nc = (size_t)r->wide.nc;
    size_t d = (2 + (size_t)r->s->bands) * CH + nr + nc +
               (r->wide.kind == GRIDR_INTERP_MODE ? nr * nc : 0);
    return up64(d * sizeof(double)) + 2 * CH;
}

static wide_scr scr_at(const gridr__rs_run *r, char *scr)
{
    wide_scr w;
    w.tr = (double *)(void *)scr;
    w.tc = w.tr + CH;
    w.acc = w.tc + CH;
    w.wr = w.acc + (size_t)r->s->bands * CH;
    w.wc = w.wr + r->wide.nr;
    w.v = w.wc + r->wide.nc;
    size_t nd = (2 + (size_t)r->s->bands) * CH + (size_t)r->wide.nr + (size_t)r->wide.nc +
                (r->wide.kind == GRIDR_INTERP_MODE ? (size_t)r->wide.nr * (size_t)r->wide.nc : 0);
    w.gv = (uint8_t *)scr + up64(nd * sizeof(double));
    w.m = w.gv + CH;
    w.last_tr = NAN;
    w.br0 = 0;
    return w;
}

static void set_invalid(double *acc, int bands, double nodata, uint8_t *m)
{
    for (int b = 0; b < bands; b++)
        acc[b * CH] = nodata;
    *m = 0;
}

static int any_nan(const double *acc, int bands)
{
    for (int b = 0; b < bands; b++) {
        if (acc[b * CH] != acc[b * CH])
            return 1;
    }
    return 0;
}

static int any_weight(const double *w, int n)
{
    for (int i = 0; i < n; i++) {
        if (w[i] != 0)
            return 1;
    }
    return 0;
}

/* Pixel j of the chunk: weights, then the unchecked or checked sums (or the mode). */
static void wide_pixel(const gridr__rs_run *r, const gridr__rs_wide *k, const wide_fns *f,
                       wide_scr *w, long j, double *acc, uint8_t *m)
{
    const gridr__rs_src *s = r->s;
    const double tr = w->tr[j], tc = w->tc[j];
    if (!w->gv[j] || !(tr >= s->tlo_r && tr <= s->thi_r && tc >= s->tlo_c && tc <= s->thi_c)) {
        set_invalid(acc, s->bands, r->nodata, m);
        return;
    }
    if (!(tr == w->last_tr)) {
        w->br0 = gridr_interp_scaled_weights(k->kind, k->sr, tr, k->clip_r, w->wr);
        w->last_tr = tr;
    }
    long br = w->br0 - s->org_r;
    long bc = gridr_interp_scaled_weights(k->kind, k->sc, tc, k->clip_c, w->wc) - s->org_c;
    if (!any_weight(w->wr, k->nr) || !any_weight(w->wc, k->nc)) {
        set_invalid(acc, s->bands, r->nodata, m);
        return;
    }
    int fast = box_fast(s, br, bc, k->nr, k->nc);
    if (!fast && !taps_ok(s, br, bc, w->wr, k->nr, w->wc, k->nc)) {
        set_invalid(acc, s->bands, r->nodata, m);
        return;
    }
    *m = 1;
    if (k->kind == GRIDR_INTERP_MODE) {
        f->mode(s, br, bc, w->wr, k->nr, w->wc, k->nc, w->v, acc);
        return;
    }
    f->dot(s, br, bc, w->wr, k->nr, w->wc, k->nc, !fast, acc);
    if (fast && (s->dtype == GRIDR_DT_F32 || s->dtype == GRIDR_DT_F64) && any_nan(acc, s->bands))
        f->dot(s, br, bc, w->wr, k->nr, w->wc, k->nc, 1, acc); /* a NaN under a zero weight */
}

/* Columns [j0, j1) of output row i with the filter k. */
static void wide_run(const gridr__rs_run *r, const gridr__rs_wide *k, long i, long j0, long j1,
                     char *scr)
{
    wide_scr w = scr_at(r, scr);
    const wide_fns f = fns_for(r->s->dtype);
    for (long c0 = j0; c0 < j1; c0 += CH) {
        long len = GRIDR__MIN(CH, j1 - c0);
        gridr_grid_eval_row(r->g, r->ow.row0 + i, r->ow.col0 + c0, len, w.tr, w.tc, w.gv);
        double *a = r->direct ? gridr_array_at(r->out, 0, i, c0) : w.acc;
        uint8_t *mm = r->om && r->om->data ? gridr_array_at(r->om, 0, i, c0) : w.m;
        for (long j = 0; j < len; j++)
            wide_pixel(r, k, &f, &w, j, a + j, mm + j);
        for (int b = 0; !r->direct && b < r->out->bands; b++)
            r->k.store(gridr_array_at(r->out, b, i, c0), r->out->dtype, w.acc + (size_t)b * CH,
                       len);
    }
}

/* Columns [j0, j1) of output row i through the point kernels (scratch after the filter's). */
static void point_run(const gridr__rs_run *r, long i, long j0, long j1, char *scr)
{
    gridr__rs_run p = *r;
    p.wide.on = 0;
    p.k = r->pk;
    p.kb = r->pkb;
    gridr__rs_run_cols(&p, i, j0, j1, scr + up64(gridr__rs_wide_scratch(r)));
}

/* Antialiased array grid: cell by cell, the cell's scales (point kernels without reduction). */
static void cells_cols(const gridr__rs_run *r, long i, long j0, long j1, char *scr)
{
    const gridr_grid *g = r->g;
    for (long a = j0; a < j1;) {
        long ci, cj;
        gridr_grid_cell_of(g, r->ow.row0 + i, r->ow.col0 + a, &ci, &cj);
        long b =
            cj + 2 >= g->full_node_cols ? j1 : GRIDR__MIN(j1, (cj + 1) * g->res_col - r->ow.col0);
        gridr__rs_wide k = r->wide;
        cell_scales(&k, g, ci, cj, &k.sr, &k.sc);
        if (cell_point(&k, k.sr, k.sc)) {
            point_run(r, i, a, b, scr);
        } else {
            k.nr = gridr_interp_scaled_taps(k.kind, k.sr);
            k.nc = gridr_interp_scaled_taps(k.kind, k.sc);
            wide_run(r, &k, i, a, b, scr);
        }
        a = b;
    }
}

void gridr__rs_wide_cols(const gridr__rs_run *r, long i, long j0, long j1, char *scr)
{
    if (r->wide.cells)
        cells_cols(r, i, j0, j1, scr);
    else
        wide_run(r, &r->wide, i, j0, j1, scr);
}
