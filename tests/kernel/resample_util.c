/* gridr tests: test cases, rasters, grids and window runs shared by the resample suites. */
#include "unit.h"
#include "resample_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 88172645463325252ull;

double gridr_test_rs_urand(void)
{
    return gridr_test_urand(&rng_state);
}

/* The grid `t->g` restricted to the nodes output window `ow` needs (a slice, as the planner
 * hands it to workers; antialiased: the nodes of its whole cells). */
static gridr_grid grid_slice(const gridr_grid *g, gridr_rect ow, int cells)
{
    gridr_grid s = *g;
    gridr_rect nw;
    if (g->kind != GRIDR_GRID_ARRAY ||
        (cells ? gridr_grid_cell_window(g, ow, &nw) : gridr_grid_node_window(g, ow, &nw)) != 0)
        return s;
    CU_ASSERT_EQUAL_FATAL(gridr_array_sub(&g->nodes, nw, &s.nodes), 0);
    if (g->mask.data)
        CU_ASSERT_EQUAL_FATAL(gridr_array_sub(&g->mask, nw, &s.mask), 0);
    s.node_row0 = nw.row0;
    s.node_col0 = nw.col0;
    return s;
}

/* Resample output window `ow` the way a worker does: source window from
 * gridr_resample_source_window, a buffer of exactly that window (padding = garbage), the grid
 * slice. Output `out` (odt, bands x ow) and `om`. */
int gridr_test_run_window(const tcase *t, gridr_rect ow, void *out, uint8_t *om)
{
    gridr_rect sw;
    int empty, rc;
    gridr_grid gs = grid_slice(&t->g, ow, t->o.antialias);
    rc = gridr_resample_source_window(&t->o, &gs, ow, t->R, t->C, &sw, &empty);
    if (rc)
        return rc;
    size_t es = gridr_dtype_size(t->dt);
    size_t n = (size_t)(sw.rows > 0 ? sw.rows : 1) * (size_t)(sw.cols > 0 ? sw.cols : 1);
    unsigned char *buf = malloc(n * es * (size_t)t->bands);
    uint8_t *mbuf = malloc(n);
    memset(buf, t->garbage, n * es * (size_t)t->bands);
    memset(mbuf, 0x5a, n);
    for (long i = 0; !empty && i < sw.rows; i++) {
        long r = sw.row0 + i;
        for (long j = 0; j < sw.cols; j++) {
            long c = sw.col0 + j;
            if (r < 0 || r >= t->R || c < 0 || c >= t->C)
                continue;
            for (int b = 0; b < t->bands; b++)
                memcpy(buf + (((size_t)b * n) + (size_t)(i * sw.cols + j)) * es,
                       (const unsigned char *)t->data +
                           (((size_t)b * (size_t)(t->R * t->C)) + (size_t)(r * t->C + c)) * es,
                       es);
            if (t->mask)
                mbuf[i * sw.cols + j] = t->mask[r * t->C + c];
        }
    }
    gridr_source src = {
        gridr_array_make(buf, t->dt, t->bands, empty ? 0 : sw.rows, empty ? 0 : sw.cols),
        {0},
        sw.row0,
        sw.col0,
        t->R,
        t->C};
    if (t->mask)
        src.mask = gridr_array_make(mbuf, GRIDR_DT_U8, 1, src.data.rows, src.data.cols);
    gridr_array oa = gridr_array_make(out, t->odt, t->bands, ow.rows, ow.cols);
    gridr_array ma = gridr_array_make(om, GRIDR_DT_U8, 1, ow.rows, ow.cols);
    rc = gridr_resample_window(&t->o, &gs, ow, &src, &oa, &ma);
    free(buf);
    free(mbuf);
    return rc;
}

/* Whole output of a test case (caller frees both). */
int gridr_test_run_whole(const tcase *t, void **out, uint8_t **om)
{
    long rows, cols;
    gridr_grid_out_shape(&t->g, &rows, &cols);
    *out = malloc((size_t)(rows * cols) * (size_t)t->bands * gridr_dtype_size(t->odt));
    *om = malloc((size_t)(rows * cols));
    gridr_rect ow = {0, 0, rows, cols};
    return gridr_test_run_window(t, ow, *out, *om);
}

/* A contiguous raster of `dt` with values v(b, r, c) (stored with gridr_dtype_set). */
void *gridr_test_make_raster(gridr_dtype dt, int bands, long R, long C,
                             double (*v)(int b, long r, long c))
{
    void *d = malloc((size_t)(bands * R * C) * gridr_dtype_size(dt));
    for (int b = 0; b < bands; b++)
        for (long r = 0; r < R; r++)
            for (long c = 0; c < C; c++)
                gridr_dtype_set(d, dt, (size_t)((b * R + r) * C + c), v(b, r, c));
    return d;
}

double gridr_test_v_random(int b, long r, long c)
{
    (void)b;
    (void)r;
    (void)c;
    return gridr_test_rs_urand() * 250.0 - (b ? 0 : 0);
}

double gridr_test_v_ramp(int b, long r, long c)
{
    return 2.5 + 0.75 * (double)r - 1.25 * (double)c + 10.0 * b;
}

/* An affine grid of the output size: src = (i + dr, j + dc). */
void gridr_test_shift_grid(gridr_grid *g, double dr, double dc, long rows, long cols)
{
    const double a[6] = {dr, 1, 0, dc, 0, 1};
    CU_ASSERT_EQUAL_FATAL(gridr_grid_init_affine(g, a, rows, cols), 0);
}

/* A full-resolution array grid (caller frees *nodes): identity. */
void gridr_test_identity_array_grid(gridr_grid *g, double **nodes, long rows, long cols)
{
    *nodes = malloc(sizeof(double) * 2 * (size_t)(rows * cols));
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) {
            (*nodes)[i * cols + j] = (double)i;
            (*nodes)[rows * cols + i * cols + j] = (double)j;
        }
    CU_ASSERT_EQUAL_FATAL(
        gridr_grid_init_array(g, gridr_array_make(*nodes, GRIDR_DT_F64, 2, rows, cols), 1, 1), 0);
}

/* Max |out - f(target)| over output pixels whose targets are >= margin inside the raster. */
double gridr_test_max_err(const tcase *t, double dr, double dc, long margin,
                          double (*f)(int, double, double))
{
    void *out;
    uint8_t *om;
    double err = 0;
    CU_ASSERT_EQUAL_FATAL(gridr_test_run_whole(t, &out, &om), 0);
    long rows = t->g.out_rows, cols = t->g.out_cols;
    for (int b = 0; b < t->bands; b++)
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++) {
                double y = (double)i + dr, x = (double)j + dc;
                if (y < (double)margin || y > (double)(t->R - 1 - margin) || x < (double)margin ||
                    x > (double)(t->C - 1 - margin))
                    continue;
                size_t k = (size_t)((b * rows + i) * cols + j);
                if (!om[i * cols + j])
                    err = INFINITY;
                else
                    err = fmax(err, fabs(((double *)out)[k] - f(b, y, x)));
            }
    free(out);
    free(om);
    return err;
}

double gridr_test_f_ramp(int b, double y, double x)
{
    return 2.5 + 0.75 * y - 1.25 * x + 10.0 * b;
}

/* Resample single targets (row, col) of a 1-band f64 raster; values and masks out. */
void gridr_test_run_targets(const tcase *base, const double *pts, long n, double *val, uint8_t *m)
{
    tcase t = *base;
    double *nodes = malloc(sizeof(double) * 2 * (size_t)n);
    for (long k = 0; k < n; k++) {
        nodes[k] = pts[2 * k];
        nodes[n + k] = pts[2 * k + 1];
    }
    CU_ASSERT_EQUAL_FATAL(
        gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 1, n), 1, 1), 0);
    t.odt = GRIDR_DT_F64;
    gridr_rect ow = {0, 0, 1, n};
    ASSERT_OK(gridr_test_run_window(&t, ow, val, m));
    free(nodes);
}

/* A smooth warp over the raster (some targets outside it) as an oversampled array grid. */
double *gridr_test_warp_nodes(long nr, long nc, int rr, int rc, long R, long C)
{
    double *n = malloc(sizeof(double) * 2 * (size_t)(nr * nc));
    for (long i = 0; i < nr; i++)
        for (long j = 0; j < nc; j++) {
            double y = (double)(i * rr), x = (double)(j * rc);
            n[i * nc + j] = -2.3 + y * (double)(R + 3) / (double)((nr - 1) * rr) +
                            1.7 * sin(0.21 * x) + 0.37 * gridr_test_rs_urand();
            n[nr * nc + i * nc + j] = -1.9 + x * (double)(C + 2) / (double)((nc - 1) * rc) +
                                      1.3 * cos(0.17 * y) + 0.37 * gridr_test_rs_urand();
        }
    return n;
}

const gridr_interp_kind gridr_test_all_kernels[6] = {GRIDR_INTERP_NEAREST,  GRIDR_INTERP_LINEAR,
                                                     GRIDR_INTERP_CUBIC,    GRIDR_INTERP_BSPLINE3,
                                                     GRIDR_INTERP_BSPLINE5, GRIDR_INTERP_BSPLINE11};
