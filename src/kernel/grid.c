/* gridr: localisation grids: construction, checks, GridR densification, validity, metrics. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/grid.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/simd.h"

/* ---- construction and checks -------------------------------------------------------------- */

int gridr_grid_init_array(gridr_grid *g, gridr_array nodes, int res_row, int res_col)
{
    memset(g, 0, sizeof *g);
    g->kind = GRIDR_GRID_ARRAY;
    g->nodes = nodes;
    g->full_node_rows = nodes.rows;
    g->full_node_cols = nodes.cols;
    g->res_row = res_row;
    g->res_col = res_col;
    g->mask_valid = 1;
    int rc = gridr_grid_check(g);
    if (rc == 0)
        gridr_grid_out_shape(g, &g->out_rows, &g->out_cols);
    return rc;
}

int gridr_grid_init_affine(gridr_grid *g, const double a[6], long out_rows, long out_cols)
{
    memset(g, 0, sizeof *g);
    g->kind = GRIDR_GRID_AFFINE;
    memcpy(g->affine, a, sizeof g->affine);
    g->out_rows = out_rows;
    g->out_cols = out_cols;
    g->mask_valid = 1;
    return gridr_grid_check(g);
}

int gridr_grid_init_zoom(gridr_grid *g, double fy, double fx, long out_rows, long out_cols)
{
    if (!(fy > 0) || !(fx > 0) || !isfinite(fy) || !isfinite(fx)) {
        memset(g, 0, sizeof *g);
        return gridr__fail(GRIDR_EINVAL, "zoom grid: factors %g x %g must be finite and > 0", fy,
                           fx);
    }
    double a[6] = {0.5 / fy - 0.5, 1.0 / fy, 0, 0.5 / fx - 0.5, 0, 1.0 / fx};
    return gridr_grid_init_affine(g, a, out_rows, out_cols);
}

void gridr_grid_out_shape(const gridr_grid *g, long *rows, long *cols)
{
    if (g->kind == GRIDR_GRID_ARRAY) {
        *rows = (g->full_node_rows - 1) * g->res_row + 1;
        *cols = (g->full_node_cols - 1) * g->res_col + 1;
    } else {
        *rows = g->out_rows;
        *cols = g->out_cols;
    }
}

static int check_axis(const char *axis, long full, long first, long count, int res)
{
    if (res < 1)
        return gridr__fail(GRIDR_EINVAL, "grid: %s oversampling factor %d must be >= 1", axis, res);
    if (full < 1 || full > LONG_MAX / 2 / res)
        return gridr__fail(GRIDR_EINVAL, "grid: %ld node %ss is not a valid grid size", full, axis);
    if (res > 1 && full < 2)
        return gridr__fail(GRIDR_EINVAL,
                           "grid: an oversampled axis (%s factor %d) needs >= 2 nodes, got %ld",
                           axis, res, full);
    if (first < 0 || count < 1 || first + count > full)
        return gridr__fail(GRIDR_EINVAL, "grid: node %ss [%ld, %ld) outside the grid's %ld", axis,
                           first, first + count, full);
    return 0;
}

static int check_array(const gridr_grid *g)
{
    const gridr_array *n = &g->nodes;
    if (!n->data)
        return gridr__fail(GRIDR_EINVAL, "grid: no node data");
    if (n->dtype != GRIDR_DT_F32 && n->dtype != GRIDR_DT_F64)
        return gridr__fail(GRIDR_EINVAL, "grid: nodes must be f32 or f64, not %s",
                           gridr_dtype_name(n->dtype));
    if (n->bands < 2)
        return gridr__fail(GRIDR_EINVAL, "grid: nodes need 2 bands (row, col), got %d", n->bands);
    if (n->row_stride < n->cols || n->band_stride < 1)
        return gridr__fail(GRIDR_EINVAL, "grid: bad node strides (row %ld, band %ld)",
                           n->row_stride, n->band_stride);
    int rc = check_axis("row", g->full_node_rows, g->node_row0, n->rows, g->res_row);
    if (rc == 0)
        rc = check_axis("column", g->full_node_cols, g->node_col0, n->cols, g->res_col);
    if (rc)
        return rc;
    if (g->mask.data) {
        if (g->mask.dtype != GRIDR_DT_U8 || g->mask.rows != n->rows || g->mask.cols != n->cols)
            return gridr__fail(
                GRIDR_EINVAL, "grid: the mask must be u8 %ldx%ld like the nodes (got %s %ldx%ld)",
                n->rows, n->cols, gridr_dtype_name(g->mask.dtype), g->mask.rows, g->mask.cols);
        if (g->has_nodata)
            return gridr__fail(GRIDR_EINVAL, "grid: a grid mask and a grid nodata are exclusive");
    }
    return 0;
}

static int check_affine(const gridr_grid *g)
{
    for (int i = 0; i < 6; i++) {
        if (!isfinite(g->affine[i]))
            return gridr__fail(GRIDR_EINVAL, "affine grid: coefficient %d is not finite", i);
    }
    if (g->out_rows < 1 || g->out_cols < 1)
        return gridr__fail(GRIDR_EINVAL, "affine grid: output size %ldx%ld is empty", g->out_rows,
                           g->out_cols);
    return 0;
}

int gridr_grid_check(const gridr_grid *g)
{
    if (!g)
        return gridr__fail(GRIDR_EINVAL, "grid: none given");
    if (!isfinite(g->shift_row) || !isfinite(g->shift_col))
        return gridr__fail(GRIDR_EINVAL, "grid: shift (%g, %g) is not finite", g->shift_row,
                           g->shift_col);
    if (g->kind == GRIDR_GRID_ARRAY)
        return check_array(g);
    if (g->kind == GRIDR_GRID_AFFINE)
        return check_affine(g);
    return gridr__fail(GRIDR_EINVAL, "grid: unknown kind %d", (int)g->kind);
}

int gridr_grid_node_window(const gridr_grid *g, gridr_rect out, gridr_rect *nodes)
{
    long rows, cols;
    memset(nodes, 0, sizeof *nodes);
    gridr_grid_out_shape(g, &rows, &cols);
    if (out.row0 < 0 || out.col0 < 0 || out.rows < 1 || out.cols < 1 ||
        out.row0 + out.rows > rows || out.col0 + out.cols > cols)
        return gridr__fail(GRIDR_ERANGE,
                           "grid: output window rows %ld+%ld cols %ld+%ld outside "
                           "the grid's %ldx%ld output",
                           out.row0, out.rows, out.col0, out.cols, rows, cols);
    if (g->kind != GRIDR_GRID_ARRAY)
        return 0;
    long rr = g->res_row, rc = g->res_col;
    nodes->row0 = out.row0 / rr;
    nodes->col0 = out.col0 / rc;
    nodes->rows = (out.row0 + out.rows - 1 + rr - 1) / rr - nodes->row0 + 1;
    nodes->cols = (out.col0 + out.cols - 1 + rc - 1) / rc - nodes->col0 + 1;
    return 0;
}

/* ---- evaluation --------------------------------------------------------------------------- */

/* Node value of band `band` at local node (i, j). */
static inline double node_at(const gridr_grid *g, int band, long i, long j)
{
    const gridr_array *n = &g->nodes;
    size_t off =
        (size_t)band * (size_t)n->band_stride + (size_t)i * (size_t)n->row_stride + (size_t)j;
    if (n->dtype == GRIDR_DT_F64)
        return ((const double *)n->data)[off];
    return ((const float *)n->data)[off];
}

static inline int node_ok(const gridr_grid *g, long i, long j)
{
    if (g->mask.data)
        return ((const uint8_t *)
                    g->mask.data)[(size_t)i * (size_t)g->mask.row_stride + (size_t)j] ==
               g->mask_valid;
    if (g->has_nodata)
        return !(fabs(node_at(g, 0, i, j) - g->nodata) < 1e-5);
    return 1;
}

/* ---- cells (antialiased grids) ------------------------------------------------------------ */

static long cell_axis(long i, long res, long full)
{
    long c = i / res;
    return full < 2 ? 0 : GRIDR__MIN(c, full - 2);
}

void gridr_grid_cell_of(const gridr_grid *g, long i, long j, long *ci, long *cj)
{
    *ci = cell_axis(i, g->res_row, g->full_node_rows);
    *cj = cell_axis(j, g->res_col, g->full_node_cols);
}

int gridr_grid_cell_window(const gridr_grid *g, gridr_rect out, gridr_rect *nodes)
{
    int rc = gridr_grid_node_window(g, out, nodes);
    if (rc || g->kind != GRIDR_GRID_ARRAY)
        return rc;
    long r0, c0, r1, c1;
    gridr_grid_cell_of(g, out.row0, out.col0, &r0, &c0);
    gridr_grid_cell_of(g, out.row0 + out.rows - 1, out.col0 + out.cols - 1, &r1, &c1);
    r1 = GRIDR__MIN(r1 + 1, g->full_node_rows - 1);
    c1 = GRIDR__MIN(c1 + 1, g->full_node_cols - 1);
    r1 = GRIDR__MAX(r1, nodes->row0 + nodes->rows - 1);
    c1 = GRIDR__MAX(c1, nodes->col0 + nodes->cols - 1);
    nodes->row0 = GRIDR__MIN(r0, nodes->row0);
    nodes->col0 = GRIDR__MIN(c0, nodes->col0);
    nodes->rows = r1 - nodes->row0 + 1;
    nodes->cols = c1 - nodes->col0 + 1;
    return 0;
}

int gridr_grid_cell_jacobian(const gridr_grid *g, long ci, long cj, double jac[4])
{
    long i0 = ci - g->node_row0, j0 = cj - g->node_col0;
    long i1 = g->full_node_rows > 1 ? i0 + 1 : i0, j1 = g->full_node_cols > 1 ? j0 + 1 : j0;
    memset(jac, 0, 4 * sizeof *jac);
    if (!node_ok(g, i0, j0) || !node_ok(g, i1, j0) || !node_ok(g, i0, j1) || !node_ok(g, i1, j1))
        return 0;
    for (int b = 0; b < 2; b++) {
        double a = node_at(g, b, i0, j0), r = node_at(g, b, i1, j0);
        double c = node_at(g, b, i0, j1), d = node_at(g, b, i1, j1);
        jac[2 * b] = ((r - a) + (d - c)) / (2.0 * g->res_row);
        jac[2 * b + 1] = ((c - a) + (d - r)) / (2.0 * g->res_col);
    }
    return 1;
}

/* dst[k] = round12(src[k] + shift), two lanes at a time (src may be dst). */
static void round12_copy_sse2(double *dst, const double *src, long n, double shift)
{
    long k = 0;
    for (; k + 2 <= n; k += 2)
        vstore(dst + k, vround12(vload(src + k) + shift));
    for (; k < n; k++)
        dst[k] = gridr__round12(src[k] + shift);
}

#if GRIDR__HAVE_AVX2
#include <immintrin.h>

/* The same four lanes at a time (identical IEEE operations, so identical bits). */
__attribute__((target("avx2"))) static void round12_copy_avx2(double *dst, const double *src,
                                                              long n, double shift)
{
    const __m256d c = _mm256_set1_pd(4503599627370496.0), one = _mm256_set1_pd(1.0);
    const __m256d sign = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd();
    long k = 0;
    for (; k + 4 <= n; k += 4) {
        __m256d v = (_mm256_loadu_pd(src + k) + shift) * 1e12 + 0.5;
        __m256d up = (v + c) - c, dn = (v - c) + c;
        __m256d r = _mm256_blendv_pd(dn, up, _mm256_cmp_pd(v, zero, _CMP_GE_OQ));
        r = r - _mm256_and_pd(_mm256_cmp_pd(r, v, _CMP_GT_OQ), one);
        __m256d small = _mm256_cmp_pd(_mm256_andnot_pd(sign, v), c, _CMP_LT_OQ);
        _mm256_storeu_pd(dst + k, _mm256_blendv_pd(v, r, small) / 1e12);
    }
    round12_copy_sse2(dst + k, src + k, n - k, shift);
}
#endif

static void round12_copy(double *dst, const double *src, long n, double shift)
{
#if GRIDR__HAVE_AVX2
    if (gridr__config()->avx2 && __builtin_cpu_supports("avx2")) {
        round12_copy_avx2(dst, src, n, shift);
        return;
    }
#endif
    round12_copy_sse2(dst, src, n, shift);
}

static void eval_affine(const gridr_grid *g, long row, long col0, long n, double *restrict sr,
                        double *restrict sc, uint8_t *restrict valid)
{
    const double a0 = g->affine[0], a1 = g->affine[1], a2 = g->affine[2];
    const double a3 = g->affine[3], a4 = g->affine[4], a5 = g->affine[5];
    const double i = (double)row;
    for (long k = 0; k < n; k++) {
        double j = (double)(col0 + k);
        sr[k] = a0 + a1 * i + a2 * j;
        sc[k] = a3 + a4 * i + a5 * j;
    }
    round12_copy(sr, sr, n, g->shift_row);
    round12_copy(sc, sc, n, g->shift_col);
    memset(valid, 1, (size_t)n);
}

/* rr = rc = 1: a plain read of one node row (what the oversampled path gives at nodes). */
static void eval_plain(const gridr_grid *g, long row, long col0, long n, double *sr, double *sc,
                       uint8_t *valid)
{
    long li = row - g->node_row0, lj = col0 - g->node_col0;
    if (g->nodes.dtype == GRIDR_DT_F64) {
        round12_copy(sr, gridr_array_at(&g->nodes, 0, li, lj), n, g->shift_row);
        round12_copy(sc, gridr_array_at(&g->nodes, 1, li, lj), n, g->shift_col);
    } else {
        const float *pr = gridr_array_at(&g->nodes, 0, li, lj);
        const float *pc = gridr_array_at(&g->nodes, 1, li, lj);
        for (long k = 0; k < n; k++) {
            sr[k] = (double)pr[k];
            sc[k] = (double)pc[k];
        }
        round12_copy(sr, sr, n, g->shift_row);
        round12_copy(sc, sc, n, g->shift_col);
    }
    if (!g->mask.data && !g->has_nodata) {
        memset(valid, 1, (size_t)n);
        return;
    }
    for (long k = 0; k < n; k++)
        valid[k] = (uint8_t)node_ok(g, li, lj + k);
}

static int mesh_ok(const gridr_grid *g, long li, long lj, long a, long b)
{
    return node_ok(g, li, lj) && (!b || node_ok(g, li, lj + 1)) &&
           (!(a && b) || node_ok(g, li + 1, lj + 1)) && (!a || node_ok(g, li + 1, lj));
}

/* Nodes [lj0, lj0 + m) of local node row li, band `band`, plus the shift, as doubles. */
static void node_row(const gridr_grid *g, int band, long li, long lj0, long m, double *v)
{
    const double sh = band ? g->shift_col : g->shift_row;
    if (g->nodes.dtype == GRIDR_DT_F64) {
        const double *p = gridr_array_at(&g->nodes, band, li, lj0);
        for (long j = 0; j < m; j++)
            v[j] = p[j] + sh;
    } else {
        const float *p = gridr_array_at(&g->nodes, band, li, lj0);
        for (long j = 0; j < m; j++)
            v[j] = (double)p[j] + sh;
    }
}

#define DENSE_CHUNK 256

/* One band of n <= DENSE_CHUNK densified positions (unrounded) of output row offset a, the first
 * at node column lj0, offset b0: (w1 g1 + w2 g2 + w3 g3 + w4 g4) / (rr rc) in that order, nodes
 * with a zero weight skipped (the last mesh collapses: nothing past the last node is read), and
 * at a node (a = b = 0) the node itself (shift included). Node rows are read once. */
static void dense_band(const gridr_grid *g, int band, long li, long a, long lj0, long b0, long n,
                       double *out)
{
    const long rr = g->res_row, rc = g->res_col;
    const double kk = (double)(rr * rc);
    double A[DENSE_CHUNK + 2], B[DENSE_CHUNK + 2];
    long m = GRIDR__MIN((b0 + n - 1) / rc + 2, g->nodes.cols - lj0);
    node_row(g, band, li, lj0, m, A);
    if (a)
        node_row(g, band, li + 1, lj0, m, B);
    const double ra = (double)(rr - a), da = (double)a;
    long k = 0;
    for (long J = 0, b = b0; k < n; J++, b = 0) { /* the weighted sums, mesh by mesh */
        long e = GRIDR__MIN(n, k + rc - b);
        /* exact integer weights in doubles, stepped along the mesh */
        double w1 = (double)(rc - b) * ra, w2 = (double)b * ra, w3 = (double)b * da;
        double w4 = (double)(rc - b) * da;
        const double a0 = A[J], a1 = J + 1 < m ? A[J + 1] : 0, b0v = a ? B[J] : 0;
        const double b1 = a && J + 1 < m ? B[J + 1] : 0;
        if (b == 0) { /* the node column: no J + 1 term */
            out[k++] = a ? w1 * a0 + w4 * b0v : w1 * a0;
            w1 -= ra, w2 += ra, w3 += da, w4 -= da;
        }
        if (a)
            for (; k < e; k++, w1 -= ra, w2 += ra, w3 += da, w4 -= da)
                out[k] = w1 * a0 + w2 * a1 + w3 * b1 + w4 * b0v;
        else
            for (; k < e; k++, w1 -= ra, w2 += ra)
                out[k] = w1 * a0 + w2 * a1;
    }
    k = 0; /* divided by rr rc, two lanes at a time */
    for (; k + 2 <= n; k += 2)
        vstore(out + k, vload(out + k) / kk);
    for (; k < n; k++)
        out[k] /= kk;
    if (a == 0) /* nodes of a node row: the node itself */
        for (long J = (k = (rc - b0) % rc) ? 1 : 0; k < n; k += rc, J++)
            out[k] = A[J];
}

static void eval_dense(const gridr_grid *g, long row, long col0, long n, double *sr, double *sc,
                       uint8_t *valid)
{
    const long rr = g->res_row, rc = g->res_col;
    const long li = row / rr - g->node_row0, a = row % rr;
    for (long k0 = 0; k0 < n; k0 += DENSE_CHUNK) {
        long len = GRIDR__MIN(DENSE_CHUNK, n - k0), c = col0 + k0;
        long lj0 = c / rc - g->node_col0, b0 = c % rc;
        dense_band(g, 0, li, a, lj0, b0, len, sr + k0);
        dense_band(g, 1, li, a, lj0, b0, len, sc + k0);
    }
    round12_copy(sr, sr, n, 0.0); /* v + 0.0 == v (a -0 becomes +0, which rounds the same) */
    round12_copy(sc, sc, n, 0.0);
    if (!g->mask.data && !g->has_nodata) {
        memset(valid, 1, (size_t)n);
        return;
    }
    long J = col0 / rc, b = col0 % rc;
    for (long k = 0; k < n; k++) {
        valid[k] = (uint8_t)mesh_ok(g, li, J - g->node_col0, a, b);
        if (++b == rc) {
            b = 0;
            J++;
        }
    }
}

void gridr_grid_eval_row(const gridr_grid *g, long row, long col0, long n, double *src_row,
                         double *src_col, uint8_t *valid)
{
    if (g->kind == GRIDR_GRID_AFFINE)
        eval_affine(g, row, col0, n, src_row, src_col, valid);
    else if (g->res_row == 1 && g->res_col == 1)
        eval_plain(g, row, col0, n, src_row, src_col, valid);
    else
        eval_dense(g, row, col0, n, src_row, src_col, valid);
}

/* ---- metrics ------------------------------------------------------------------------------ */

static void bbox_add(double r, double c, double *bb, int *any)
{
    if (r != r || c != c)
        return;
    if (!*any) {
        bb[0] = bb[1] = r;
        bb[2] = bb[3] = c;
        *any = 1;
        return;
    }
    bb[0] = fmin(bb[0], r);
    bb[1] = fmax(bb[1], r);
    bb[2] = fmin(bb[2], c);
    bb[3] = fmax(bb[3], c);
}

static void metrics_affine(const gridr_grid *g, gridr_rect out, double *bb, int *any)
{
    double r[2], c[2];
    uint8_t v[2];
    long last = out.col0 + out.cols - 1;
    for (int k = 0; k < 2; k++) {
        long row = k ? out.row0 + out.rows - 1 : out.row0;
        eval_affine(g, row, out.col0, 1, &r[0], &c[0], &v[0]);
        eval_affine(g, row, last, 1, &r[1], &c[1], &v[1]);
        bbox_add(r[0], c[0], bb, any);
        bbox_add(r[1], c[1], bb, any);
    }
}

/* Extremes of the non-NaN values of one node row (+ shift) into bb (min r, max r, min c,
 * max c); two lanes at a time. */
static void row_extremes(const double *pr, const double *pc, long n, double s0, double s1,
                         double *bb)
{
    v2d rmin = vsplat(bb[0]), rmax = vsplat(bb[1]), cmin = vsplat(bb[2]), cmax = vsplat(bb[3]);
    long j = 0;
    for (; j + 2 <= n; j += 2) {
        v2d r = vload(pr + j) + s0, c = vload(pc + j) + s1;
        rmin = vmin(r, rmin);
        rmax = vmax(r, rmax);
        cmin = vmin(c, cmin);
        cmax = vmax(c, cmax);
    }
    bb[0] = fmin(vlane(rmin, 0), vlane(rmin, 1));
    bb[1] = fmax(vlane(rmax, 0), vlane(rmax, 1));
    bb[2] = fmin(vlane(cmin, 0), vlane(cmin, 1));
    bb[3] = fmax(vlane(cmax, 0), vlane(cmax, 1));
    for (; j < n; j++) {
        double r = pr[j] + s0, c = pc[j] + s1;
        if (r == r && c == c) {
            bb[0] = fmin(bb[0], r);
            bb[1] = fmax(bb[1], r);
            bb[2] = fmin(bb[2], c);
            bb[3] = fmax(bb[3], c);
        }
    }
}

static int metrics_array(const gridr_grid *g, gridr_rect out, double *bb, int *any)
{
    gridr_rect nw;
    int rc = gridr_grid_node_window(g, out, &nw);
    if (rc)
        return rc;
    long li0 = nw.row0 - g->node_row0, lj0 = nw.col0 - g->node_col0;
    if (li0 < 0 || lj0 < 0 || li0 + nw.rows > g->nodes.rows || lj0 + nw.cols > g->nodes.cols)
        return gridr__fail(GRIDR_ERANGE,
                           "grid: nodes rows %ld+%ld cols %ld+%ld needed by output window rows "
                           "%ld+%ld cols %ld+%ld are not in the grid slice",
                           nw.row0, nw.rows, nw.col0, nw.cols, out.row0, out.rows, out.col0,
                           out.cols);
    if (g->nodes.dtype == GRIDR_DT_F64 && !g->mask.data && !g->has_nodata) {
        bb[0] = bb[2] = INFINITY;
        bb[1] = bb[3] = -INFINITY;
        for (long i = li0; i < li0 + nw.rows; i++)
            row_extremes(gridr_array_at(&g->nodes, 0, i, lj0), gridr_array_at(&g->nodes, 1, i, lj0),
                         nw.cols, g->shift_row, g->shift_col, bb);
        *any = bb[0] <= bb[1];
        return 0;
    }
    for (long i = li0; i < li0 + nw.rows; i++) {
        for (long j = lj0; j < lj0 + nw.cols; j++) {
            if (node_ok(g, i, j))
                bbox_add(node_at(g, 0, i, j) + g->shift_row, node_at(g, 1, i, j) + g->shift_col, bb,
                         any);
        }
    }
    return 0;
}

int gridr_grid_metrics(const gridr_grid *g, gridr_rect out, double *rmin, double *rmax,
                       double *cmin, double *cmax, int *any)
{
    double bb[4] = {0, 0, 0, 0};
    int rc;
    *any = 0;
    if (g->kind == GRIDR_GRID_AFFINE) {
        gridr_rect nw;
        rc = gridr_grid_node_window(g, out, &nw);
        if (rc == 0)
            metrics_affine(g, out, bb, any);
    } else {
        rc = metrics_array(g, out, bb, any);
    }
    if (rc)
        return rc;
    /* Densified values are convex combinations and rounding is monotone: the rounded node
     * extremes bound every rounded position. */
    *rmin = gridr__round12(bb[0]);
    *rmax = gridr__round12(bb[1]);
    *cmin = gridr__round12(bb[2]);
    *cmax = gridr__round12(bb[3]);
    return 0;
}
