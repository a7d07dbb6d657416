/* gridr tests: resample_kernels: B-splines, kernels vs formula, SSE2 vs AVX2, argument errors. */
#include "unit.h"
#include "resample_util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- B-splines ----------------------------------------------------------------------------- */

static int bspline_H(int n, double eps)
{
    int H = -1;
    CU_ASSERT_EQUAL(gridr_bspline_fir(n, eps, NULL, &H), 0);
    return H;
}

/* An identity grid reproduces the samples to eps * max wherever the output is valid; with BC
 * none the outer floor(n/2) ring is nodata (its taps reach the invalid padding). */
static void test_bspline_identity(void)
{
    const long R = 40, C = 45;
    const gridr_interp_kind ks[] = {GRIDR_INTERP_BSPLINE3, GRIDR_INTERP_BSPLINE5,
                                    GRIDR_INTERP_BSPLINE7};
    double *nodes;
    tcase t = {.dt = GRIDR_DT_F64, .odt = GRIDR_DT_F64, .bands = 1, .R = R, .C = C};
    gridr_resample_opts_init(&t.o);
    gridr_test_identity_array_grid(&t.g, &nodes, R, C);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, R, C, gridr_test_v_random);
    for (int k = 0; k < 3; k++) {
        for (int bc = 0; bc < 2; bc++) {
            t.o.interp = ks[k];
            t.o.boundary = bc ? GRIDR_BC_REFLECT : GRIDR_BC_NONE;
            t.o.trust_padding = bc;
            double *out;
            uint8_t *om;
            ASSERT_OK(gridr_test_run_whole(&t, (void **)&out, &om));
            long m = bc ? 0 : (long)ks[k] / 2, nvalid = 0, bad = 0;
            double err = 0;
            for (long i = 0; i < R; i++)
                for (long j = 0; j < C; j++) {
                    int inner = i >= m && i < R - m && j >= m && j < C - m;
                    nvalid += om[i * C + j];
                    bad += om[i * C + j] != inner;
                    if (om[i * C + j])
                        err = fmax(err, fabs(out[i * C + j] - ((double *)t.data)[i * C + j]));
                }
            CU_ASSERT_EQUAL(bad, 0);
            CU_ASSERT_EQUAL(nvalid, (R - 2 * m) * (C - 2 * m));
            CU_ASSERT(err <= 1e-6 * 250);
            free(out);
            free(om);
        }
    }
    free(t.data);
    free(nodes);
}

static void test_bspline_ramp(void)
{
    const long R = 70, C = 75;
    const double shifts[][2] = {{0.3, -0.2}, {-0.45, 0.5}, {0.5, -0.5}};
    tcase t = {.dt = GRIDR_DT_F64, .odt = GRIDR_DT_F64, .bands = 2, .R = R, .C = C};
    gridr_resample_opts_init(&t.o);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 2, R, C, gridr_test_v_ramp);
    for (int n = 3; n <= 5; n += 2) {
        t.o.interp = (gridr_interp_kind)n;
        long margin = bspline_H(n, t.o.bspline_eps) + n / 2 + 1;
        for (size_t s = 0; s < 3; s++) {
            gridr_test_shift_grid(&t.g, shifts[s][0], shifts[s][1], R, C);
            CU_ASSERT(gridr_test_max_err(&t, shifts[s][0], shifts[s][1], margin,
                                         gridr_test_f_ramp) <= 1e-9);
        }
    }
    free(t.data);
}

/* Natural-order reference: sum_i wr[i] sum_j wc[j] v(c_r - K/2 + i, c_c - K/2 + j), summed from
 * 0 in increasing order, with gridr_interp_weights. */
static double reference(gridr_interp_kind k, const double *v, long stride, long r0, long c0,
                        double tr, double tc)
{
    double wr[GRIDR_INTERP_MAX_TAPS], wc[GRIDR_INTERP_MAX_TAPS];
    tr = floor(1e12 * tr + 0.5) / 1e12;
    tc = floor(1e12 * tc + 0.5) / 1e12;
    double fr = floor(tr + 0.5), fc = floor(tc + 0.5), a = 0;
    int K = gridr_interp_taps(k);
    gridr_interp_weights(k, tr - fr, wr);
    gridr_interp_weights(k, tc - fc, wc);
    for (int i = 0; i < K; i++) {
        double d = 0;
        for (int j = 0; j < K; j++)
            if (wc[j] != 0)
                d += wc[j] * v[((long)fr - K / 2 + i - r0) * stride + (long)fc - K / 2 + j - c0];
        if (wr[i] != 0)
            a += wr[i] * d;
    }
    return a;
}

/* Every kernel gives, bit for bit, the natural-order formula with interp's weights (on the
 * samples, or on coefficients from gridr_bspline_prefilter for B-splines). */
static void test_reference_formula(void)
{
    const long R = 50, C = 60, N = 400;
    double pts[2 * 400], val[400];
    uint8_t m[400];
    for (long k = 0; k < N; k++) {
        pts[2 * k] = 18 + 14 * gridr_test_rs_urand();
        pts[2 * k + 1] = 20 + 19 * gridr_test_rs_urand();
    }
    pts[0] = 25;
    pts[1] = 30.5; /* integer and half-integer positions */
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = R, .C = C};
    gridr_resample_opts_init(&t.o);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, R, C, gridr_test_v_random);
    for (int q = 0; q < 6; q++) {
        gridr_interp_kind k = gridr_test_all_kernels[q];
        t.o.interp = k;
        gridr_test_run_targets(&t, pts, N, val, m);
        const double *v = t.data;
        double *coef = NULL;
        long stride = C, r0 = 0, c0 = 0, bad = 0;
        if (gridr_interp_is_bspline(k)) { /* the window [-h, R + h) with zero padding */
            long h = gridr_interp_halo(k, t.o.bspline_eps), wr = R + 2 * h, wc = C + 2 * h;
            double *x = calloc((size_t)(wr * wc), sizeof *x), hh[1025];
            int H;
            coef = calloc((size_t)(wr * wc), sizeof *coef);
            for (long i = 0; i < R; i++)
                memcpy(x + (i + h) * wc + h, v + i * C, (size_t)C * sizeof *x);
            ASSERT_OK(gridr_bspline_fir((int)k, t.o.bspline_eps, hh, &H));
            ASSERT_OK(gridr_bspline_prefilter(hh, H, x, wc, wr, wc, coef, wc, 0, wr));
            free(x);
            v = coef;
            stride = wc;
            r0 = c0 = -h;
        }
        for (long p = 0; p < N; p++) {
            double ref = reference(k, v, stride, r0, c0, pts[2 * p], pts[2 * p + 1]);
            if (bad < 3 && (!m[p] || val[p] != ref))
                fprintf(stderr, "\n%s (%.17g, %.17g): %d %.17g vs %.17g", gridr_interp_name(k),
                        pts[2 * p], pts[2 * p + 1], m[p], val[p], ref);
            bad += !m[p] || val[p] != ref;
        }
        if (bad)
            fprintf(stderr, "\n%s: %ld values differ from the reference\n", gridr_interp_name(k),
                    bad);
        CU_ASSERT_EQUAL(bad, 0);
        free(coef);
    }
    free(t.data);
}

/* Count the invalid outputs of an identity grid inside [margin, 29 - margin]^2 of a 30x30
 * raster whose sample (15, 15) is masked (the margin skips the nodata ring along the raster
 * edges, whose padding is invalid with BC none). */
static long masked_footprint(gridr_bspline_mask_rule rule, double eps, double influence,
                             long margin)
{
    const long R = 30;
    uint8_t mask[900];
    double *nodes;
    memset(mask, 1, sizeof mask);
    mask[15 * R + 15] = 0;
    tcase t = {.dt = GRIDR_DT_F64, .odt = GRIDR_DT_F64, .bands = 1, .R = R, .C = R, .mask = mask};
    gridr_resample_opts_init(&t.o);
    t.o.interp = GRIDR_INTERP_BSPLINE3;
    t.o.bspline_eps = eps;
    t.o.bspline_mask_rule = rule;
    t.o.mask_influence = influence;
    gridr_test_identity_array_grid(&t.g, &nodes, R, R);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, R, R, gridr_test_v_random);
    void *out;
    uint8_t *om;
    long n = 0;
    ASSERT_OK(gridr_test_run_whole(&t, &out, &om));
    for (long i = margin; i < R - margin; i++)
        for (long j = margin; j < R - margin; j++)
            n += !om[i * R + j];
    free(out);
    free(om);
    free(nodes);
    free(t.data);
    return n;
}

static void test_bspline_masks(void)
{
    /* GridR's rule: the taps (+-1 at integer positions) of the masked sample. */
    CU_ASSERT_EQUAL(masked_footprint(GRIDR_BSPLINE_MASK_TAPS, 1e-2, 1, 1), 9);
    /* Strict rule: the FIR support (+-H) grown by the taps. */
    long H = bspline_H(3, 1e-2), w = 2 * (H + 1) + 1;
    CU_ASSERT(H >= 3 && H <= 6);
    CU_ASSERT_EQUAL(masked_footprint(GRIDR_BSPLINE_MASK_SUPPORT, 1e-2, 1, H + 1), w * w);
    /* Dilation s = 0.01: d = 3.5, L1 ball of radius 3 grown by the 3x3 taps. */
    long expect = 0;
    for (long i = -4; i <= 4; i++)
        for (long j = -4; j <= 4; j++) {
            int hit = 0;
            for (long a = -1; a <= 1; a++)
                for (long b = -1; b <= 1; b++)
                    hit |= labs(i + a) + labs(j + b) <= 3;
            expect += hit;
        }
    CU_ASSERT_EQUAL(masked_footprint(GRIDR_BSPLINE_MASK_TAPS, 1e-2, 0.01, 5), expect);
}

/* The SSE2 and AVX2 builds of the kernels give the same bytes (GRIDR_NO_AVX2 picks SSE2; on a
 * CPU without AVX2 both runs use SSE2). */
static void test_sse2_equals_avx2(void)
{
    const long R = 60, C = 70;
    uint8_t *mask = malloc((size_t)(R * C));
    for (long k = 0; k < R * C; k++)
        mask[k] = gridr_test_rs_urand() > 0.01;
    for (int k = 0; k < 6; k++) {
        tcase t = {.dt = GRIDR_DT_I16, .odt = GRIDR_DT_F64, .bands = 2, .R = R, .C = C};
        gridr_resample_opts_init(&t.o);
        t.o.interp = gridr_test_all_kernels[k];
        t.mask = k % 2 ? mask : NULL;
        double *nodes = gridr_test_warp_nodes(30, 35, 2, 2, R, C);
        CU_ASSERT_EQUAL_FATAL(
            gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 30, 35), 2, 2), 0);
        t.data = gridr_test_make_raster(t.dt, 2, R, C, gridr_test_v_random);
        void *o1, *o2;
        uint8_t *m1, *m2;
        GRIDR_TEST_SWITCH(avx2, 0);
        ASSERT_OK(gridr_test_run_whole(&t, &o1, &m1));
        GRIDR_TEST_SWITCH(avx2, 1);
        ASSERT_OK(gridr_test_run_whole(&t, &o2, &m2));
        size_t n = (size_t)(t.g.out_rows * t.g.out_cols);
        CU_ASSERT_EQUAL(memcmp(o1, o2, 2 * n * sizeof(double)), 0);
        CU_ASSERT_EQUAL(memcmp(m1, m2, n), 0);
        free(o1);
        free(o2);
        free(m1);
        free(m2);
        free(nodes);
        free(t.data);
    }
    free(mask);
}

/* ---- source windows and argument errors --------------------------------------------------- */

static void test_source_window(void)
{
    gridr_grid g;
    gridr_resample_opts o;
    gridr_resample_opts_init(&o);
    gridr_test_shift_grid(&g, 0.25, -0.5, 100, 100);
    gridr_rect sw;
    int empty;
    /* rows 10.25..19.25 -> [10 - 1, 20 + 1]; cols -0.5..9.5 -> [-1 - 1, 10 + 1] clipped at -1. */
    ASSERT_OK(
        gridr_resample_source_window(&o, &g, (gridr_rect){10, 0, 10, 11}, 50, 60, &sw, &empty));
    CU_ASSERT(!empty && sw.row0 == 9 && sw.rows == 13 && sw.col0 == -1 && sw.cols == 13);
    o.interp = GRIDR_INTERP_CUBIC;
    ASSERT_OK(
        gridr_resample_source_window(&o, &g, (gridr_rect){10, 0, 10, 11}, 50, 60, &sw, &empty));
    CU_ASSERT(!empty && sw.row0 == 8 && sw.rows == 15 && sw.col0 == -2 && sw.cols == 15);
    /* Trusted reflect: the padding's mirror samples are added (cols -2, -1 -> 2, 1). */
    o.boundary = GRIDR_BC_REFLECT;
    o.trust_padding = 1;
    gridr_test_shift_grid(&g, 0, -3, 100, 100);
    ASSERT_OK(gridr_resample_source_window(&o, &g, (gridr_rect){10, 0, 1, 1}, 50, 60, &sw, &empty));
    CU_ASSERT(!empty && sw.col0 == -2 && sw.cols == 5);
    /* Entirely outside raster + halo -> empty. */
    gridr_test_shift_grid(&g, 0, 200, 100, 100);
    ASSERT_OK(gridr_resample_source_window(&o, &g, (gridr_rect){0, 0, 5, 5}, 50, 60, &sw, &empty));
    CU_ASSERT_EQUAL(empty, 1);
    /* No valid grid node -> empty. */
    double nodes[8] = {1, 2, 3, 4, 1, 2, 3, 4};
    uint8_t mask[4] = {0, 0, 0, 0};
    ASSERT_OK(gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 2, 2), 1, 1));
    g.mask = gridr_array_make(mask, GRIDR_DT_U8, 1, 2, 2);
    ASSERT_OK(gridr_resample_source_window(&o, &g, (gridr_rect){0, 0, 2, 2}, 50, 60, &sw, &empty));
    CU_ASSERT_EQUAL(empty, 1);
}

static void test_argument_errors(void)
{
    double data[16] = {0}, out[16];
    uint8_t m[16];
    gridr_grid g;
    gridr_resample_opts o;
    gridr_resample_opts_init(&o);
    gridr_test_shift_grid(&g, 0, 0, 4, 4);
    gridr_source src = {gridr_array_make(data, GRIDR_DT_F64, 1, 4, 4), {0}, 0, 0, 4, 4};
    gridr_array oa = gridr_array_make(out, GRIDR_DT_F64, 1, 4, 4);
    gridr_array ma = gridr_array_make(m, GRIDR_DT_U8, 1, 4, 4);
    gridr_rect ow = {0, 0, 4, 4};
    ASSERT_OK(gridr_resample_window(&o, &g, ow, &src, &oa, &ma));
    oa.bands = 2;
    ASSERT_STATUS(gridr_resample_window(&o, &g, ow, &src, &oa, &ma), GRIDR_EINVAL);
    oa.bands = 1;
    ma.dtype = GRIDR_DT_U16;
    ASSERT_STATUS(gridr_resample_window(&o, &g, ow, &src, &oa, &ma), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "mask"));
    ma.dtype = GRIDR_DT_U8;
    src.mask = gridr_array_make(m, GRIDR_DT_U8, 1, 3, 4);
    ASSERT_STATUS(gridr_resample_window(&o, &g, ow, &src, &oa, &ma), GRIDR_EINVAL);
    src.mask.data = NULL;
    o.interp = (gridr_interp_kind)4;
    ASSERT_STATUS(gridr_resample_window(&o, &g, ow, &src, &oa, &ma), GRIDR_EINVAL);
    o.interp = GRIDR_INTERP_LINEAR;
    gridr_rect big = {2, 0, 4, 4};
    ASSERT_STATUS(gridr_resample_window(&o, &g, big, &src, &oa, &ma), GRIDR_EINVAL);
    o.threads = -1;
    ASSERT_STATUS(gridr_resample_window(&o, &g, ow, &src, &oa, &ma), GRIDR_EINVAL);
}

static CU_TestInfo tests[] = {
    {"B-splines: identity within eps, nodata ring", test_bspline_identity},
    {"B-splines: sub-pixel shift of a ramp is exact", test_bspline_ramp},
    {"all kernels == natural-order formula, bit for bit", test_reference_formula},
    {"B-spline masks: GridR taps, strict support, dilation", test_bspline_masks},
    {"SSE2 and AVX2 kernels give the same bytes", test_sse2_equals_avx2},
    {"source windows", test_source_window},
    {"argument errors", test_argument_errors},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_resample_kernels_suite = {
    "resample_kernels", NULL, NULL, NULL, NULL, tests};
