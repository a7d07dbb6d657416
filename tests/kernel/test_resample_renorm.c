/* gridr tests: the renormalize nodata policy (GDAL's): values by hand, validity, tilings. */
#include "resample_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MINL(a, b) ((a) < (b) ? (a) : (b))

/* A 5 x 6 f64 ramp 10 r + c with sample (2, 2) masked. */
static void ramp_case(tcase *t, double *data, uint8_t *mask, gridr_interp_kind k)
{
    memset(t, 0, sizeof *t);
    for (long r = 0; r < 5; r++)
        for (long c = 0; c < 6; c++) {
            data[r * 6 + c] = 10.0 * (double)r + (double)c;
            mask[r * 6 + c] = !(r == 2 && c == 2);
        }
    t->data = data;
    t->mask = mask;
    t->dt = t->odt = GRIDR_DT_F64;
    t->bands = 1;
    t->R = 5;
    t->C = 6;
    t->garbage = 0x7f;
    gridr_resample_opts_init(&t->o);
    t->o.interp = k;
    t->o.out_nodata = -1;
    t->o.nodata_policy = GRIDR_NODATA_RENORMALIZE;
}

/* Linear: the weights of the masked sample and of samples outside the raster are dropped and
 * the others renormalised; a target whose nearest sample is masked or outside stays nodata. */
static void test_linear_values(void)
{
    double data[30], val[6];
    uint8_t mask[30], m[6];
    tcase t;
    ramp_case(&t, data, mask, GRIDR_INTERP_LINEAR);
    const double pts[12] = {1.75, 2.5, 2.0, 2.25, -0.4, 1.5, 4.3, 5.2, 2.4, 2.3, 1.0, 0.5};
    gridr_test_run_targets(&t, pts, 6, val, m);
    /* (1.75, 2.5): taps rows 1, 2 x cols 2, 3; (2, 2) masked, weight 0.75 x 0.5 dropped. */
    double w = 0.25 * 0.5 + 0.25 * 0.5 + 0.75 * 0.5;
    double v = (0.25 * 0.5 * 12 + 0.25 * 0.5 * 13 + 0.75 * 0.5 * 23) / w;
    CU_ASSERT(m[0] == 1 && fabs(val[0] - v) < 1e-12);
    /* (2, 2.25): the nearest sample is the masked one. */
    CU_ASSERT(m[1] == 0 && val[1] == -1);
    /* (-0.4, 1.5): row -1 is outside: row 0 alone, the ramp's value there. */
    CU_ASSERT(m[2] == 1 && fabs(val[2] - 1.5) < 1e-12);
    /* (4.3, 5.2): rows 4, 5 and cols 5, 6; only (4, 5) exists. */
    CU_ASSERT(m[3] == 1 && fabs(val[3] - 45) < 1e-12);
    /* (2.4, 2.3): nearest (2, 2) masked. */
    CU_ASSERT(m[4] == 0);
    /* (1, 0.5): no invalid tap: the plain value. */
    CU_ASSERT(m[5] == 1 && fabs(val[5] - 10.5) < 1e-12);
    /* The exact rule leaves (1.75, 2.5) and (-0.4, 1.5) nodata. */
    t.o.nodata_policy = GRIDR_NODATA_EXACT;
    gridr_test_run_targets(&t, pts, 6, val, m);
    CU_ASSERT(m[0] == 0 && m[2] == 0 && m[5] == 1 && fabs(val[5] - 10.5) < 1e-12);
}

/* Cubic: a 4 x 4 box (from floor(t) - 1) that holds the masked sample, even under a zero
 * weight, gives the renormalised linear value; a box that only leaves the raster keeps the
 * cubic kernel, renormalised (on a ramp: the ramp's value, which cubic reproduces). */
static void test_cubic_values(void)
{
    double data[30], val[4];
    uint8_t mask[30], m[4];
    tcase t;
    ramp_case(&t, data, mask, GRIDR_INTERP_CUBIC);
    const double pts[8] = {3.0, 3.5, 1.5, 0.5, 0.3, 4.4, 3.2, 3.6};
    gridr_test_run_targets(&t, pts, 4, val, m);
    /* (3, 3.5): row weights (0, 1, 0, 0) over rows 2..5 and (2, 2) in the box: linear, the
     * ramp's value 33.5 (the masked sample has weight 0 in linear too). */
    CU_ASSERT(m[0] == 1 && fabs(val[0] - 33.5) < 1e-12);
    /* (1.5, 0.5): box rows 0..3, cols -1..2: (2, 2) inside, col -1 outside: linear. */
    CU_ASSERT(m[1] == 1 && fabs(val[1] - 15.5) < 1e-12);
    /* (0.3, 4.4): box rows -1..2, cols 3..6, no masked sample; cubic renormalised. */
    CU_ASSERT(m[2] == 1);
    /* (3.2, 3.6): box rows 2..5, cols 2..5 holds (2, 2): linear, renormalised. */
    double lin = 0.8 * 0.4 * 33 + 0.8 * 0.6 * 34 + 0.2 * 0.4 * 43 + 0.2 * 0.6 * 44;
    CU_ASSERT(m[3] == 1 && fabs(val[3] - lin) < 1e-12);
    /* Against the exact rule: (0.3, 4.4) is nodata there; (3, 3.5) is the cubic value. */
    t.o.nodata_policy = GRIDR_NODATA_EXACT;
    gridr_test_run_targets(&t, pts, 4, val, m);
    CU_ASSERT(m[2] == 0 && m[0] == 1);
}

/* Every tiling of a masked, warped u16 / f32 source gives the whole's bytes, and every pixel the
 * exact rule makes valid keeps its value. */
static void tiled_case(gridr_interp_kind kind, gridr_dtype dt)
{
    const long R = 23, C = 47, nr = 11, nc = 70;
    tcase t = {.dt = dt, .odt = dt, .bands = 2, .R = R, .C = C, .garbage = 0xc3};
    gridr_resample_opts_init(&t.o);
    t.o.interp = kind;
    t.o.out_nodata = 3;
    t.o.threads = 1;
    t.o.nodata_policy = GRIDR_NODATA_RENORMALIZE;
    t.o.has_src_nodata = 1;
    double *nodes = gridr_test_warp_nodes(nr, nc, 3, 4, R, C);
    CU_ASSERT_EQUAL_FATAL(
        gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, nr, nc), 3, 4), 0);
    t.data = gridr_test_make_raster(dt, 2, R, C, gridr_test_v_random);
    t.o.src_nodata = gridr_dtype_get(t.data, dt, 100);
    uint8_t *mask = malloc((size_t)(R * C));
    for (long k = 0; k < R * C; k++)
        mask[k] = gridr_test_rs_urand() > 0.04;
    t.mask = mask;
    void *whole, *ex;
    uint8_t *wm, *em;
    ASSERT_OK(gridr_test_run_whole(&t, &whole, &wm));
    long rows = (nr - 1) * 3 + 1, cols = (nc - 1) * 4 + 1, bad = 0, more = 0;
    size_t es = gridr_dtype_size(dt);
    unsigned char *tile = malloc((size_t)(2 * 13 * 13) * es);
    uint8_t tm[13 * 13];
    for (long r0 = 0; r0 < rows; r0 += 13)
        for (long c0 = 0; c0 < cols; c0 += 13) {
            gridr_rect ow = {r0, c0, MINL(13, rows - r0), MINL(13, cols - c0)};
            ASSERT_OK(gridr_test_run_window(&t, ow, tile, tm));
            for (int b = 0; b < 2; b++)
                for (long i = 0; i < ow.rows; i++)
                    bad += memcmp((char *)whole + (size_t)((b * rows + r0 + i) * cols + c0) * es,
                                  tile + (size_t)((b * ow.rows + i) * ow.cols) * es,
                                  (size_t)ow.cols * es) != 0;
        }
    CU_ASSERT_EQUAL(bad, 0);
    t.o.nodata_policy = GRIDR_NODATA_EXACT;
    ASSERT_OK(gridr_test_run_whole(&t, &ex, &em));
    for (long k = 0; k < rows * cols; k++) {
        more += wm[k] && !em[k];
        /* linear: the same value wherever the exact rule has one (cubic may turn linear) */
        if (em[k] && kind == GRIDR_INTERP_LINEAR)
            bad += !wm[k] ||
                   memcmp((char *)whole + (size_t)k * es, (char *)ex + (size_t)k * es, es) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(more > 0);
    free(tile);
    free(whole);
    free(wm);
    free(ex);
    free(em);
    free(mask);
    free(nodes);
    free(t.data);
}

static void test_tiled_equals_whole(void)
{
    tiled_case(GRIDR_INTERP_LINEAR, GRIDR_DT_U16);
    tiled_case(GRIDR_INTERP_CUBIC, GRIDR_DT_U16);
    tiled_case(GRIDR_INTERP_CUBIC, GRIDR_DT_F32);
}

static void test_policy_names(void)
{
    gridr_nodata_policy p;
    ASSERT_OK(gridr_nodata_policy_parse("renormalise", &p));
    CU_ASSERT_EQUAL(p, GRIDR_NODATA_RENORMALIZE);
    ASSERT_OK(gridr_nodata_policy_parse("EXACT", &p));
    CU_ASSERT_EQUAL(p, GRIDR_NODATA_EXACT);
    CU_ASSERT_EQUAL(gridr_nodata_policy_parse("gdal", &p), GRIDR_EINVAL);
    CU_ASSERT_STRING_EQUAL(gridr_nodata_policy_name(GRIDR_NODATA_RENORMALIZE), "renormalize");
}

static CU_TestInfo tests[] = {
    {"linear: dropped taps renormalised, nearest sample decides", test_linear_values},
    {"cubic: GDAL's box, linear next to an invalid sample", test_cubic_values},
    {"tilings give the whole's bytes; a superset of the exact rule", test_tiled_equals_whole},
    {"policy names", test_policy_names},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_resample_renorm_suite = {"resample_renorm", NULL, NULL, NULL, NULL, tests};
