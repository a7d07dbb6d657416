/* gridr tests: grids: densification, degenerate meshes, validity, shift, metrics, checks. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double round12(double t)
{
    return floor(1e12 * t + 0.5) / 1e12;
}

/* Smooth, non-affine node values of the row and column bands at full-resolution pixel (y, x). */
static double fun_row(double y, double x)
{
    return 3.25 + 0.93 * y + 0.05 * x + 0.8 * sin(0.05 * x + 0.02 * y);
}

static double fun_col(double y, double x)
{
    return -1.5 + 1.07 * x - 0.03 * y + 0.6 * cos(0.04 * y - 0.03 * x);
}

/* A (2, nr, nc) f64 node array sampled from fun_* at pixels (I*rr, J*rc). */
static double *make_nodes(long nr, long nc, int rr, int rc)
{
    double *n = malloc(sizeof(double) * 2 * (size_t)(nr * nc));
    for (long i = 0; i < nr; i++) {
        for (long j = 0; j < nc; j++) {
            n[i * nc + j] = fun_row((double)(i * rr), (double)(j * rc));
            n[nr * nc + i * nc + j] = fun_col((double)(i * rr), (double)(j * rc));
        }
    }
    return n;
}

/* GridR's densification, written out with all four terms. */
static double bilinear(const double *b, long nc, long nr, int rr, int rc, long i, long j)
{
    long I = i / rr, J = j / rc, a = i % rr, c = j % rc;
    long I1 = I + 1 < nr ? I + 1 : I, J1 = J + 1 < nc ? J + 1 : J;
    double w1 = (double)((rc - c) * (rr - a)), w2 = (double)(c * (rr - a));
    double w3 = (double)(c * a), w4 = (double)((rc - c) * a);
    return (w1 * b[I * nc + J] + w2 * b[I * nc + J1] + w3 * b[I1 * nc + J1] + w4 * b[I1 * nc + J]) /
           (double)(rr * rc);
}

static void test_densify_matches_full(void)
{
    const long nr = 6, nc = 5;
    const int rr = 10, rc = 7;
    const long fr = (nr - 1) * rr + 1, fc = (nc - 1) * rc + 1;
    double *low = make_nodes(nr, nc, rr, rc);
    double *full = malloc(sizeof(double) * 2 * (size_t)(fr * fc));
    for (long i = 0; i < fr; i++) {
        for (long j = 0; j < fc; j++) {
            full[i * fc + j] = bilinear(low, nc, nr, rr, rc, i, j);
            full[fr * fc + i * fc + j] = bilinear(low + nr * nc, nc, nr, rr, rc, i, j);
        }
    }
    gridr_grid gl, gf;
    ASSERT_OK(gridr_grid_init_array(&gl, gridr_array_make(low, GRIDR_DT_F64, 2, nr, nc), rr, rc));
    ASSERT_OK(gridr_grid_init_array(&gf, gridr_array_make(full, GRIDR_DT_F64, 2, fr, fc), 1, 1));
    long orows, ocols;
    gridr_grid_out_shape(&gl, &orows, &ocols);
    CU_ASSERT_EQUAL(orows, fr);
    CU_ASSERT_EQUAL(ocols, fc);
    double r1[64], c1[64], r2[64], c2[64];
    uint8_t v1[64], v2[64];
    long mismatches = 0;
    for (long i = 0; i < fr; i++) {
        gridr_grid_eval_row(&gl, i, 0, fc, r1, c1, v1);
        gridr_grid_eval_row(&gf, i, 0, fc, r2, c2, v2);
        for (long j = 0; j < fc; j++) {
            mismatches += r1[j] != r2[j] || c1[j] != c2[j] || !v1[j] || !v2[j];
            mismatches += r1[j] != round12(full[i * fc + j]);
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    /* A column sub-range evaluates the same values. */
    gridr_grid_eval_row(&gl, 17, 9, 11, r1, c1, v1);
    gridr_grid_eval_row(&gl, 17, 0, fc, r2, c2, v2);
    CU_ASSERT_EQUAL(memcmp(r1, r2 + 9, 11 * sizeof(double)), 0);
    CU_ASSERT_EQUAL(memcmp(c1, c2 + 9, 11 * sizeof(double)), 0);
    free(low);
    free(full);
}

/* Bilinear densification reproduces an affine function (to the 1e-12 rounding). */
static void test_densify_affine(void)
{
    const long nr = 5, nc = 4;
    const int rr = 10, rc = 7;
    double nodes[2 * 20];
    float nodes32[2 * 20];
    for (long i = 0; i < nr; i++) {
        for (long j = 0; j < nc; j++) {
            nodes[i * nc + j] = 12.5 + 0.75 * (double)(i * rr) - 0.125 * (double)(j * rc);
            nodes[20 + i * nc + j] = -3.0 + 0.25 * (double)(i * rr) + 1.5 * (double)(j * rc);
            nodes32[i * nc + j] = (float)nodes[i * nc + j];
            nodes32[20 + i * nc + j] = (float)nodes[20 + i * nc + j];
        }
    }
    gridr_grid g, g32;
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, nr, nc), rr, rc));
    ASSERT_OK(
        gridr_grid_init_array(&g32, gridr_array_make(nodes32, GRIDR_DT_F32, 2, nr, nc), rr, rc));
    double r[32], c[32], r32[32], c32[32], err = 0;
    uint8_t v[32];
    for (long i = 0; i < (nr - 1) * rr + 1; i++) {
        gridr_grid_eval_row(&g, i, 0, (nc - 1) * rc + 1, r, c, v);
        gridr_grid_eval_row(&g32, i, 0, (nc - 1) * rc + 1, r32, c32, v);
        for (long j = 0; j < (nc - 1) * rc + 1; j++) {
            err = fmax(err, fabs(r[j] - (12.5 + 0.75 * (double)i - 0.125 * (double)j)));
            err = fmax(err, fabs(c[j] - (-3.0 + 0.25 * (double)i + 1.5 * (double)j)));
            err = fmax(err, fabs(r32[j] - r[j]) + fabs(c32[j] - c[j]));
        }
    }
    CU_ASSERT(err <= 2e-12);
}

/* The last mesh of each axis collapses: its values are the last nodes', nothing read beyond. */
static void test_degenerate_last_mesh(void)
{
    /* Exactly 3x3 nodes in their own allocation (ASan catches any read past them). */
    double *nodes = malloc(sizeof(double) * 18);
    for (int k = 0; k < 18; k++)
        nodes[k] = 1.0 + k * 1.25;
    gridr_grid g;
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 3, 3), 4, 5));
    double r[11], c[11];
    uint8_t v[11];
    gridr_grid_eval_row(&g, 8, 0, 11, r, c, v);
    CU_ASSERT_EQUAL(r[10], round12(nodes[8]));
    CU_ASSERT_EQUAL(c[10], round12(nodes[17]));
    CU_ASSERT_EQUAL(r[0], round12(nodes[6]));
    /* Halfway along the last row: the mean of nodes (2,0) and (2,1)... over rc = 5: b = 2. */
    CU_ASSERT_DOUBLE_EQUAL(r[2], (3 * nodes[6] + 2 * nodes[7]) / 5, 1e-12);
    gridr_grid_eval_row(&g, 6, 10, 1, r, c, v); /* last column, inside the last row mesh */
    CU_ASSERT_DOUBLE_EQUAL(r[0], (2 * nodes[5] + 2 * nodes[8]) / 4, 1e-12);
    CU_ASSERT_EQUAL(v[0], 1);
    /* A one-row slice holding only the last node row evaluates the last output row. */
    gridr_grid s = g;
    s.nodes = gridr_array_make(nodes, GRIDR_DT_F64, 2, 3, 3);
    s.nodes.rows = 1;
    s.nodes.data = nodes + 6;
    s.node_row0 = 2;
    ASSERT_OK(gridr_grid_check(&s));
    double r2[11], c2[11];
    gridr_grid_eval_row(&s, 8, 0, 11, r2, c2, v);
    gridr_grid_eval_row(&g, 8, 0, 11, r, c, v);
    CU_ASSERT_EQUAL(memcmp(r, r2, sizeof r), 0);
    CU_ASSERT_EQUAL(memcmp(c, c2, sizeof c), 0);
    free(nodes);
}

/* A node with a non-zero weight in a pixel (rr = rc = 3) is one of its mesh's used corners. */
static int uses_node(long i, long j, long ni, long nj)
{
    long I = i / 3, J = j / 3, a = i % 3, b = j % 3;
    int row_used = ni == I || (a > 0 && ni == I + 1);
    int col_used = nj == J || (b > 0 && nj == J + 1);
    return row_used && col_used;
}

static void check_invalid_node(const gridr_grid *g, long ni, long nj)
{
    double r[10], c[10];
    uint8_t v[10];
    int bad = 0;
    for (long i = 0; i < 10; i++) {
        gridr_grid_eval_row(g, i, 0, 10, r, c, v);
        for (long j = 0; j < 10; j++)
            bad += v[j] != !uses_node(i, j, ni, nj);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_grid_mask_and_nodata(void)
{
    double nodes[32];
    for (int k = 0; k < 32; k++)
        nodes[k] = k * 0.5;
    uint8_t mask[16];
    memset(mask, 7, sizeof mask);
    mask[1 * 4 + 2] = 0;
    gridr_grid g;
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 4, 4), 3, 3));
    g.mask = gridr_array_make(mask, GRIDR_DT_U8, 1, 4, 4);
    g.mask_valid = 7;
    ASSERT_OK(gridr_grid_check(&g));
    check_invalid_node(&g, 1, 2);
    /* Nodata on the row band only; the column band's value is ignored. */
    gridr_grid h;
    ASSERT_OK(gridr_grid_init_array(&h, gridr_array_make(nodes, GRIDR_DT_F64, 2, 4, 4), 3, 3));
    nodes[2 * 4 + 1] = -9999.000001; /* |g - nodata| < 1e-5 */
    nodes[16 + 0] = -9999;           /* column band: no effect */
    h.has_nodata = 1;
    h.nodata = -9999;
    check_invalid_node(&h, 2, 1);
    /* Full resolution: only the node itself. */
    gridr_grid f;
    ASSERT_OK(gridr_grid_init_array(&f, gridr_array_make(nodes, GRIDR_DT_F64, 2, 4, 4), 1, 1));
    f.has_nodata = 1;
    f.nodata = -9999;
    double r[4], c[4];
    uint8_t v[4];
    gridr_grid_eval_row(&f, 2, 0, 4, r, c, v);
    CU_ASSERT(v[0] == 1 && v[1] == 0 && v[2] == 1 && v[3] == 1);
}

static void test_grid_shift(void)
{
    const long nr = 4, nc = 3;
    double *low = make_nodes(nr, nc, 5, 4);
    gridr_grid g;
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(low, GRIDR_DT_F64, 2, nr, nc), 5, 4));
    g.shift_row = -0.5;
    g.shift_col = 0.25;
    double *sh = malloc(sizeof(double) * 2 * (size_t)(nr * nc));
    for (long k = 0; k < nr * nc; k++) {
        sh[k] = low[k] - 0.5;
        sh[nr * nc + k] = low[nr * nc + k] + 0.25;
    }
    double r[9], c[9];
    uint8_t v[9];
    long bad = 0;
    for (long i = 0; i < 16; i++) {
        gridr_grid_eval_row(&g, i, 0, 9, r, c, v);
        for (long j = 0; j < 9; j++) {
            bad += r[j] != round12(bilinear(sh, nc, nr, 5, 4, i, j));
            bad += c[j] != round12(bilinear(sh + nr * nc, nc, nr, 5, 4, i, j));
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(low);
    free(sh);
}

static void test_metrics(void)
{
    const long nr = 6, nc = 7;
    double nodes[2 * 42];
    uint8_t mask[42];
    for (long i = 0; i < nr; i++) {
        for (long j = 0; j < nc; j++) {
            nodes[i * nc + j] = 10.0 + 2.0 * (double)i + 0.1 * (double)j;
            nodes[42 + i * nc + j] = 20.0 + 3.0 * (double)j - 0.2 * (double)i;
        }
    }
    memset(mask, 1, sizeof mask);
    gridr_grid g;
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, nr, nc), 4, 4));
    /* Output rows 5..12, cols 3..9: nodes rows 1..3, cols 0..3 (ceil(12/4) = 3, ceil(9/4) = 3). */
    gridr_rect w = {5, 3, 8, 7}, nw;
    ASSERT_OK(gridr_grid_node_window(&g, w, &nw));
    CU_ASSERT(nw.row0 == 1 && nw.rows == 3 && nw.col0 == 0 && nw.cols == 4);
    double rmin, rmax, cmin, cmax;
    int any;
    ASSERT_OK(gridr_grid_metrics(&g, w, &rmin, &rmax, &cmin, &cmax, &any));
    CU_ASSERT_EQUAL(any, 1);
    CU_ASSERT_DOUBLE_EQUAL(rmin, 12.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rmax, 16.3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(cmin, 20.0 - 0.6, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(cmax, 29.0 - 0.2, 1e-12);
    /* Non-monotonic: an interior node far away is found by the full scan. */
    nodes[2 * nc + 2] = -500;
    nodes[42 + 2 * nc + 1] = 900;
    ASSERT_OK(gridr_grid_metrics(&g, w, &rmin, &rmax, &cmin, &cmax, &any));
    CU_ASSERT_EQUAL(rmin, -500);
    CU_ASSERT_EQUAL(cmax, 900);
    /* Masked nodes are ignored; no valid node -> any = 0. */
    g.mask = gridr_array_make(mask, GRIDR_DT_U8, 1, nr, nc);
    mask[2 * nc + 2] = 0;
    ASSERT_OK(gridr_grid_metrics(&g, w, &rmin, &rmax, &cmin, &cmax, &any));
    CU_ASSERT_DOUBLE_EQUAL(rmin, 12.0, 1e-12);
    CU_ASSERT_EQUAL(cmax, 900);
    memset(mask, 0, sizeof mask);
    ASSERT_OK(gridr_grid_metrics(&g, w, &rmin, &rmax, &cmin, &cmax, &any));
    CU_ASSERT_EQUAL(any, 0);
    /* Output window outside the grid. */
    gridr_rect bad = {0, 0, 30, 1};
    ASSERT_STATUS(gridr_grid_metrics(&g, bad, &rmin, &rmax, &cmin, &cmax, &any), GRIDR_ERANGE);
}

static void test_affine_and_zoom(void)
{
    const double a[6] = {1.5, 0.5, 0.1, -2.0, 0.2, 2.0};
    gridr_grid g;
    ASSERT_OK(gridr_grid_init_affine(&g, a, 40, 30));
    long rows, cols;
    gridr_grid_out_shape(&g, &rows, &cols);
    CU_ASSERT(rows == 40 && cols == 30);
    double r[30], c[30];
    uint8_t v[30];
    int bad = 0;
    for (long i = 0; i < 40; i++) {
        gridr_grid_eval_row(&g, i, 0, 30, r, c, v);
        for (long j = 0; j < 30; j++) {
            bad += fabs(r[j] - (1.5 + 0.5 * (double)i + 0.1 * (double)j)) > 1e-12;
            bad += fabs(c[j] - (-2.0 + 0.2 * (double)i + 2.0 * (double)j)) > 1e-12;
            bad += v[j] != 1;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    gridr_rect w = {10, 5, 3, 4};
    double rmin, rmax, cmin, cmax;
    int any;
    ASSERT_OK(gridr_grid_metrics(&g, w, &rmin, &rmax, &cmin, &cmax, &any));
    CU_ASSERT_DOUBLE_EQUAL(rmin, 1.5 + 5 + 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rmax, 1.5 + 6 + 0.8, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(cmin, -2.0 + 2 + 10, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(cmax, -2.0 + 2.4 + 16, 1e-12);
    /* Zoom x2: output pixel i samples (i + 0.5) / 2 - 0.5. */
    ASSERT_OK(gridr_grid_init_zoom(&g, 2, 4, 10, 20));
    gridr_grid_eval_row(&g, 3, 0, 20, r, c, v);
    CU_ASSERT_DOUBLE_EQUAL(r[0], 1.25, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(c[0], -0.375, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(c[7], 1.375, 1e-12);
    ASSERT_STATUS(gridr_grid_init_zoom(&g, 0, 1, 10, 10), GRIDR_EINVAL);
}

static void expect_check_error(const gridr_grid *g, const char *word)
{
    ASSERT_STATUS(gridr_grid_check(g), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), word));
}

static void test_check_errors(void)
{
    double nodes[2 * 12] = {0};
    int16_t inodes[24] = {0};
    uint8_t mask[12] = {1};
    gridr_grid g, ok;
    ASSERT_OK(gridr_grid_init_array(&ok, gridr_array_make(nodes, GRIDR_DT_F64, 2, 3, 4), 2, 2));
    ASSERT_STATUS(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 3, 4), 0, 1),
                  GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), ">= 1"));
    ASSERT_STATUS(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 1, 4), 3, 1),
                  GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), ">= 2 nodes"));
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 1, 4), 1, 3));
    ASSERT_STATUS(gridr_grid_init_array(&g, gridr_array_make(inodes, GRIDR_DT_I16, 2, 3, 4), 1, 1),
                  GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "f32 or f64"));
    ASSERT_STATUS(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 1, 3, 4), 1, 1),
                  GRIDR_EINVAL);
    g = ok;
    g.mask = gridr_array_make(mask, GRIDR_DT_U8, 1, 3, 3);
    expect_check_error(&g, "mask");
    g.mask = gridr_array_make(mask, GRIDR_DT_U8, 1, 3, 4);
    ASSERT_OK(gridr_grid_check(&g));
    g.has_nodata = 1;
    expect_check_error(&g, "exclusive");
    g = ok;
    g.node_row0 = 1; /* the slice would end past the full grid */
    expect_check_error(&g, "outside");
    g = ok;
    g.shift_row = NAN;
    expect_check_error(&g, "shift");
    g = ok;
    g.kind = (gridr_grid_kind)7;
    expect_check_error(&g, "kind");
    const double a[6] = {0, 1, 0, 0, 0, INFINITY};
    ASSERT_STATUS(gridr_grid_init_affine(&g, a, 3, 3), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "coefficient 5"));
    const double b[6] = {0, 1, 0, 0, 0, 1};
    ASSERT_STATUS(gridr_grid_init_affine(&g, b, 0, 3), GRIDR_EINVAL);
}

static CU_TestInfo tests[] = {
    {"densified low-res grid == full-res grid", test_densify_matches_full},
    {"densification reproduces affine functions", test_densify_affine},
    {"degenerate last mesh and last-row slice", test_degenerate_last_mesh},
    {"grid mask and nodata: non-zero-weight nodes", test_grid_mask_and_nodata},
    {"grid shift before densification", test_grid_shift},
    {"metrics: bbox, full scan, masked, empty", test_metrics},
    {"affine and zoom grids", test_affine_and_zoom},
    {"check errors", test_check_errors},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_grid_suite = {"grid", NULL, NULL, NULL, NULL, tests};
