/* gridr tests: antialiased array grids (issue 14): per cell scales from the grid's Jacobian. */
#include "unit.h"
#include "resample_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* f(I, J) -> node (row, col) of an nr x nc array grid at res (rr, rc) (caller frees *nodes). */
typedef void (*node_fn)(double oi, double oj, double *r, double *c);

static void array_grid(gridr_grid *g, double **nodes, long nr, long nc, int rr, int rc, node_fn f)
{
    double *n = malloc((size_t)(2 * nr * nc) * sizeof *n);
    for (long I = 0; I < nr; I++)
        for (long J = 0; J < nc; J++)
            f((double)(I * rr), (double)(J * rc), &n[I * nc + J], &n[nr * nc + I * nc + J]);
    ASSERT_OK(gridr_grid_init_array(g, gridr_array_make(n, GRIDR_DT_F64, 2, nr, nc), rr, rc));
    *nodes = n;
}

/* The zoom by 1/3 (pixel areas aligned): src = 3 i + 1. */
static void third(double oi, double oj, double *r, double *c)
{
    *r = 3 * oi + 1;
    *c = 3 * oj + 1;
}

/* Enlarges near the origin, reduces far from it (up to ~2.7 x 3.6), with cross terms. */
static void mixed(double oi, double oj, double *r, double *c)
{
    *r = 2 + 0.3 * oi + 0.02 * oi * oi + 0.1 * oj;
    *c = 1 + 0.05 * oi + 0.4 * oj + 0.025 * oj * oj;
}

/* Enlarges by 2, slightly rotated. */
static void enlarge(double oi, double oj, double *r, double *c)
{
    *r = 3 + 0.5 * oi + 0.05 * oj;
    *c = 4 - 0.05 * oi + 0.5 * oj;
}

static tcase base(gridr_interp_kind k, gridr_dtype dt, gridr_dtype odt, long R, long C)
{
    tcase t;
    memset(&t, 0, sizeof t);
    gridr_resample_opts_init(&t.o);
    t.o.interp = k;
    t.o.antialias = 1;
    t.dt = dt;
    t.odt = odt;
    t.bands = 1;
    t.R = R;
    t.C = C;
    t.garbage = 0xa5;
    t.data = gridr_test_make_raster(dt, 1, R, C, gridr_test_v_random);
    return t;
}

/* (1) An array grid that is the affine /3 zoom gives the affine scaled filter's values. */
static void test_uniform_third_is_zoom(void)
{
    static const gridr_interp_kind ks[] = {GRIDR_INTERP_LINEAR, GRIDR_INTERP_CUBIC,
                                           GRIDR_INTERP_LANCZOS, GRIDR_INTERP_AVERAGE};
    static const gridr_dtype odts[] = {GRIDR_DT_F64, GRIDR_DT_U8};
    for (size_t k = 0; k < 4; k++)
        for (size_t d = 0; d < 2; d++) {
            tcase ta = base(ks[k], GRIDR_DT_U8, odts[d], 96, 99);
            tcase tz = ta;
            double *nodes, a[6] = {1, 3, 0, 1, 0, 3};
            array_grid(&ta.g, &nodes, 7, 7, 5, 5, third); /* 31 x 31 output */
            ASSERT_OK(gridr_grid_init_affine(&tz.g, a, 31, 31));
            void *oa, *oz;
            uint8_t *ma, *mz;
            ASSERT_OK(gridr_test_run_whole(&ta, &oa, &ma));
            ASSERT_OK(gridr_test_run_whole(&tz, &oz, &mz));
            long valid = 0;
            double worst = 0;
            for (size_t q = 0; q < 31 * 31; q++) {
                CU_ASSERT_EQUAL(ma[q], mz[q]);
                valid += ma[q] != 0;
                double va = gridr_dtype_get(oa, odts[d], q), vz = gridr_dtype_get(oz, odts[d], q);
                if (ma[q])
                    worst = fmax(worst, fabs(va - vz));
            }
            CU_ASSERT(valid > 500);
            CU_ASSERT(odts[d] == GRIDR_DT_F64 ? worst <= 1e-9 : worst == 0);
            free(oa);
            free(oz);
            free(ma);
            free(mz);
            free(nodes);
            free(ta.data);
        }
}

/* Output window ow of t equals the whole output `whole` (odt, rows x cols), bytes and mask. */
static void window_matches(const tcase *t, gridr_rect ow, const void *whole, const uint8_t *wm,
                           long cols)
{
    size_t es = gridr_dtype_size(t->odt);
    unsigned char *o = malloc((size_t)(ow.rows * ow.cols) * es);
    uint8_t *m = malloc((size_t)(ow.rows * ow.cols));
    ASSERT_OK(gridr_test_run_window(t, ow, o, m));
    int same = 1;
    for (long i = 0; i < ow.rows; i++) {
        const unsigned char *w =
            (const unsigned char *)whole + ((ow.row0 + i) * cols + ow.col0) * (long)es;
        same &= memcmp(o + (size_t)(i * ow.cols) * es, w, (size_t)ow.cols * es) == 0;
        same &= memcmp(m + i * ow.cols, wm + (ow.row0 + i) * cols + ow.col0, (size_t)ow.cols) == 0;
    }
    CU_ASSERT(same);
    free(o);
    free(m);
}

/* (2) Tiles cut on and between node lines give the whole output's bytes. */
static void tiled_case(gridr_interp_kind k, gridr_dtype dt, gridr_dtype odt, int masked)
{
    tcase t = base(k, dt, odt, 120, 140);
    double *nodes;
    array_grid(&t.g, &nodes, 16, 16, 4, 4, mixed); /* 61 x 61 output */
    uint8_t gm[16 * 16];
    for (int q = 0; q < 16 * 16; q++)
        gm[q] = !(masked && (q == 5 * 16 + 7 || q == 12 * 16 + 3));
    if (masked)
        t.g.mask = gridr_array_make(gm, GRIDR_DT_U8, 1, 16, 16);
    void *whole;
    uint8_t *wm;
    ASSERT_OK(gridr_test_run_whole(&t, &whole, &wm));
    static const long rs[] = {0, 8, 13, 30, 31, 61}, cs[] = {0, 4, 21, 40, 60, 61};
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++)
            window_matches(&t, (gridr_rect){rs[a], cs[b], rs[a + 1] - rs[a], cs[b + 1] - cs[b]},
                           whole, wm, 61);
    free(whole);
    free(wm);
    free(nodes);
    free(t.data);
}

static void test_tiles_match_whole(void)
{
    tiled_case(GRIDR_INTERP_LINEAR, GRIDR_DT_U8, GRIDR_DT_U8, 0);
    tiled_case(GRIDR_INTERP_CUBIC, GRIDR_DT_U16, GRIDR_DT_F64, 0);
    tiled_case(GRIDR_INTERP_CUBIC, GRIDR_DT_F32, GRIDR_DT_F32, 1);
    tiled_case(GRIDR_INTERP_LANCZOS, GRIDR_DT_U8, GRIDR_DT_F64, 0);
    tiled_case(GRIDR_INTERP_AVERAGE, GRIDR_DT_U8, GRIDR_DT_U8, 1);
}

/* (3) Cells without reduction keep the point kernels' bytes; cells with one change. */
static void point_case(gridr_interp_kind k, node_fn f, int expect_all)
{
    tcase t = base(k, GRIDR_DT_U16, GRIDR_DT_F64, 120, 140);
    double *nodes;
    array_grid(&t.g, &nodes, 16, 16, 4, 4, f);
    tcase tp = t;
    tp.o.antialias = 0;
    void *oa, *op;
    uint8_t *ma, *mp;
    ASSERT_OK(gridr_test_run_whole(&t, &oa, &ma));
    ASSERT_OK(gridr_test_run_whole(&tp, &op, &mp));
    long kept = 0, changed = 0, bad = 0;
    for (long i = 0; i < 61; i++)
        for (long j = 0; j < 61; j++) {
            long ci, cj, q = i * 61 + j;
            double jac[4];
            gridr_grid_cell_of(&t.g, i, j, &ci, &cj);
            gridr_grid_cell_jacobian(&t.g, ci, cj, jac);
            int point = hypot(jac[0], jac[1]) <= 1 && hypot(jac[2], jac[3]) <= 1;
            double a = ((double *)oa)[q], p = ((double *)op)[q];
            if (point) {
                kept++;
                bad += ma[q] != mp[q] || (ma[q] && memcmp(&a, &p, sizeof a) != 0);
            } else if (ma[q] && mp[q] && a != p) {
                changed++;
            }
        }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(kept > 0);
    CU_ASSERT(expect_all ? kept == 61 * 61 : changed > 100);
    free(oa);
    free(op);
    free(ma);
    free(mp);
    free(nodes);
    free(t.data);
}

static void test_no_reduction_is_point(void)
{
    point_case(GRIDR_INTERP_LINEAR, enlarge, 1);
    point_case(GRIDR_INTERP_CUBIC, enlarge, 1);
    point_case(GRIDR_INTERP_LINEAR, mixed, 0);
    point_case(GRIDR_INTERP_CUBIC, mixed, 0);
}

/* Cells: pixels of the last node line belong to the last cell; cell windows hold the corners. */
static void test_cells(void)
{
    gridr_grid g;
    double *nodes;
    array_grid(&g, &nodes, 16, 16, 4, 4, mixed);
    long ci, cj;
    gridr_grid_cell_of(&g, 60, 3, &ci, &cj);
    CU_ASSERT(ci == 14 && cj == 0);
    gridr_rect nw;
    ASSERT_OK(gridr_grid_node_window(&g, (gridr_rect){4, 8, 5, 4}, &nw));
    CU_ASSERT(nw.row0 == 1 && nw.rows == 2 && nw.col0 == 2 && nw.cols == 2);
    ASSERT_OK(gridr_grid_cell_window(&g, (gridr_rect){4, 8, 5, 4}, &nw));
    CU_ASSERT(nw.row0 == 1 && nw.rows == 3 && nw.col0 == 2 && nw.cols == 2);
    ASSERT_OK(gridr_grid_cell_window(&g, (gridr_rect){60, 60, 1, 1}, &nw));
    CU_ASSERT(nw.row0 == 14 && nw.rows == 2 && nw.col0 == 14 && nw.cols == 2);
    double jac[4];
    CU_ASSERT(gridr_grid_cell_jacobian(&g, 0, 0, jac) == 1);
    CU_ASSERT(fabs(jac[0] - 0.38) < 1e-12 && fabs(jac[1] - 0.1) < 1e-12);
    CU_ASSERT(fabs(jac[2] - 0.05) < 1e-12 && fabs(jac[3] - 0.5) < 1e-12);
    free(nodes);
}

/* A reduction beyond GRIDR_INTERP_MAX_SCALED taps is refused, naming it. */
static void huge_grid(double oi, double oj, double *r, double *c)
{
    *r = 3000 * oi;
    *c = oj;
}

static void test_too_large(void)
{
    tcase t = base(GRIDR_INTERP_LINEAR, GRIDR_DT_U8, GRIDR_DT_U8, 20, 20);
    double *nodes;
    array_grid(&t.g, &nodes, 2, 2, 2, 2, huge_grid);
    void *o;
    uint8_t *m;
    ASSERT_STATUS(gridr_test_run_whole(&t, &o, &m), GRIDR_EINVAL);
    CU_ASSERT(strstr(gridr_last_error(), "reduction of 3000") != NULL);
    free(o);
    free(m);
    free(nodes);
    free(t.data);
}

static CU_TestInfo tests[] = {
    {"cells, cell windows, Jacobians", test_cells},
    {"an array grid of the /3 zoom: the zoom's antialiased values", test_uniform_third_is_zoom},
    {"tiles cut on and between node lines give the whole's bytes", test_tiles_match_whole},
    {"cells without reduction keep the point kernels' bytes", test_no_reduction_is_point},
    {"too large a reduction is refused, named", test_too_large},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_grid_aa_suite = {"grid_aa", NULL, NULL, NULL, NULL, tests};
