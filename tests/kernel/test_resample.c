/* gridr tests: resample: exactness, masks, nodata, boundary conditions, dtypes, tiling, threads. */
#include "unit.h"
#include "resample_util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MINL(a, b) ((a) < (b) ? (a) : (b))

static const char *kname(gridr_interp_kind k)
{
    return gridr_interp_name(k);
}

/* ---- fixtures (the shared ones are in resample_util.c) ----------------------------------- */

static const gridr_dtype all_dtypes[] = {GRIDR_DT_U8,  GRIDR_DT_U16, GRIDR_DT_I16, GRIDR_DT_U32,
                                         GRIDR_DT_I32, GRIDR_DT_F32, GRIDR_DT_F64};

static double v_quad(int b, long r, long c)
{
    (void)b;
    double y = (double)r, x = (double)c;
    return 0.5 * y * y - 0.25 * x * x + 0.3 * x * y + y - 2 * x + 7;
}

static const gridr_interp_kind direct_kernels[] = {GRIDR_INTERP_NEAREST, GRIDR_INTERP_LINEAR,
                                                   GRIDR_INTERP_CUBIC};

/* ---- exactness ---------------------------------------------------------------------------- */

static void test_identity_bit_exact(void)
{
    const long R = 17, C = 23;
    double *nodes;
    for (size_t d = 0; d < sizeof all_dtypes / sizeof *all_dtypes; d++) {
        tcase t = {.dt = all_dtypes[d], .odt = all_dtypes[d], .bands = 2, .R = R, .C = C};
        gridr_resample_opts_init(&t.o);
        gridr_test_identity_array_grid(&t.g, &nodes, R, C);
        t.data = gridr_test_make_raster(t.dt, 2, R, C, gridr_test_v_random);
        for (int k = 0; k < 3; k++) {
            t.o.interp = direct_kernels[k];
            void *out;
            uint8_t *om;
            ASSERT_OK(gridr_test_run_whole(&t, &out, &om));
            CU_ASSERT_EQUAL(memcmp(out, t.data, (size_t)(2 * R * C) * gridr_dtype_size(t.dt)), 0);
            long valid = 0;
            for (long i = 0; i < R * C; i++)
                valid += om[i];
            CU_ASSERT_EQUAL(valid, R * C);
            free(out);
            free(om);
        }
        free(t.data);
        free(nodes);
    }
}
static double f_quad(int b, double y, double x)
{
    (void)b;
    return 0.5 * y * y - 0.25 * x * x + 0.3 * x * y + y - 2 * x + 7;
}

static void test_subpixel_shift(void)
{
    const long R = 20, C = 25;
    const double shifts[][2] = {{0.3, -0.2}, {-0.45, 0.5}, {0.5, -0.5}, {2.7, 1.1}};
    tcase t = {.dt = GRIDR_DT_F64, .odt = GRIDR_DT_F64, .bands = 2, .R = R, .C = C};
    gridr_resample_opts_init(&t.o);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 2, R, C, gridr_test_v_ramp);
    for (size_t s = 0; s < 4; s++) {
        gridr_test_shift_grid(&t.g, shifts[s][0], shifts[s][1], R, C);
        t.o.interp = GRIDR_INTERP_LINEAR;
        CU_ASSERT(gridr_test_max_err(&t, shifts[s][0], shifts[s][1], 0, gridr_test_f_ramp) <= 1e-9);
        t.o.interp = GRIDR_INTERP_CUBIC;
        CU_ASSERT(gridr_test_max_err(&t, shifts[s][0], shifts[s][1], 1, gridr_test_f_ramp) <= 1e-9);
    }
    free(t.data);
    /* Keys (a = -0.5) reproduces quadratics. */
    t.bands = 1;
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, R, C, v_quad);
    t.o.interp = GRIDR_INTERP_CUBIC;
    for (size_t s = 0; s < 4; s++) {
        gridr_test_shift_grid(&t.g, shifts[s][0], shifts[s][1], R, C);
        CU_ASSERT(gridr_test_max_err(&t, shifts[s][0], shifts[s][1], 1, f_quad) <= 1e-9);
    }
    t.o.interp = GRIDR_INTERP_LINEAR; /* ... and linear does not (the test can fail) */
    gridr_test_shift_grid(&t.g, 0.3, 0.3, R, C);
    CU_ASSERT(gridr_test_max_err(&t, 0.3, 0.3, 0, f_quad) > 1e-3);
    free(t.data);
}

/* ---- validity ----------------------------------------------------------------------------- */

static double v_index(int b, long r, long c)
{
    (void)b;
    return (double)(r * 10 + c);
}

static void test_masked_sample(void)
{
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = 6, .C = 6, .garbage = 0xff};
    gridr_resample_opts_init(&t.o);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, 6, 6, v_index);
    uint8_t mask[36];
    memset(mask, 1, sizeof mask);
    mask[2 * 6 + 3] = 0;
    t.mask = mask;
    const double pts[] = {2, 2, 2, 2.5, 2.5, 2, 2.5, 2.5, 2, 4, 1.5, 3.5, 3, 3, 2, 3};
    double val[8];
    uint8_t m[8];
    t.o.interp = GRIDR_INTERP_LINEAR;
    gridr_test_run_targets(&t, pts, 8, val, m);
    const uint8_t want_lin[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    CU_ASSERT_EQUAL(memcmp(m, want_lin, 8), 0);
    CU_ASSERT_EQUAL(val[0], 22);
    CU_ASSERT_EQUAL(val[2], 27);
    CU_ASSERT_EQUAL(val[1], 0); /* out_nodata */
    t.o.interp = GRIDR_INTERP_CUBIC;
    gridr_test_run_targets(&t, pts, 8, val, m);
    const uint8_t want_cub[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    CU_ASSERT_EQUAL(memcmp(m, want_cub, 8), 0);
    const double npts[] = {2, 2.6, 2, 2.4, 1.4, 3, 2.49, 3.49};
    t.o.interp = GRIDR_INTERP_NEAREST;
    gridr_test_run_targets(&t, npts, 4, val, m);
    CU_ASSERT(m[0] == 0 && m[1] == 1 && m[2] == 1 && m[3] == 0);
    CU_ASSERT_EQUAL(val[1], 22);
    /* The same with a source nodata instead of a mask. */
    t.mask = NULL;
    ((double *)t.data)[2 * 6 + 3] = -7;
    t.o.has_src_nodata = 1;
    t.o.src_nodata = -7;
    t.o.out_nodata = -1;
    t.o.interp = GRIDR_INTERP_LINEAR;
    gridr_test_run_targets(&t, pts, 8, val, m);
    CU_ASSERT_EQUAL(memcmp(m, want_lin, 8), 0);
    CU_ASSERT_EQUAL(val[1], -1);
    CU_ASSERT_EQUAL(val[4], 24);
    /* NaN nodata matches NaN samples. */
    ((double *)t.data)[2 * 6 + 3] = NAN;
    t.o.src_nodata = NAN;
    gridr_test_run_targets(&t, pts, 8, val, m);
    CU_ASSERT_EQUAL(memcmp(m, want_lin, 8), 0);
    free(t.data);
}

static void test_out_of_range(void)
{
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = 4, .C = 5};
    gridr_resample_opts_init(&t.o);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, 4, 5, v_index);
    const double pts[] = {0, 0, -0.1, 1, 3, 4, 3.1, 1, 1, 4.0001, NAN, 1, 1e300, 1, -0.5, 2};
    double val[8];
    uint8_t m[8];
    t.o.interp = GRIDR_INTERP_LINEAR;
    gridr_test_run_targets(&t, pts, 8, val, m);
    const uint8_t want[8] = {1, 0, 1, 0, 0, 0, 0, 0};
    CU_ASSERT_EQUAL(memcmp(m, want, 8), 0);
    CU_ASSERT_EQUAL(val[2], 34);
    t.o.interp = GRIDR_INTERP_NEAREST; /* valid domain [-0.5, n - 0.5) */
    const double npts[] = {-0.5, 0, -0.51, 0, 3.49, 4.49, 3.5, 0};
    gridr_test_run_targets(&t, npts, 4, val, m);
    CU_ASSERT(m[0] == 1 && m[1] == 0 && m[2] == 1 && m[3] == 0);
    CU_ASSERT_EQUAL(val[2], 34);
    free(t.data);
}

/* ---- boundary conditions ------------------------------------------------------------------ */

static double v_bc(int b, long r, long c)
{
    (void)b;
    (void)r;
    static const double v[4] = {10, 20, 40, 80};
    return v[c];
}

static void test_boundary_conditions(void)
{
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = 1, .C = 4, .garbage = 0x7f};
    gridr_resample_opts_init(&t.o);
    t.data = gridr_test_make_raster(GRIDR_DT_F64, 1, 1, 4, v_bc);
    const double a = 10, b = 20, c = 40, d = 80;
    /* pad(-1), pad(4) of numpy.pad(mode) for [a b c d] (constant: 5). */
    const double pads[6][2] = {{0, 0}, {5, 5}, {a, d}, {b, c}, {a, d}, {d, a}};
    const double pts[] = {0, -0.5, 0, -1, 0, 3.5, 0, 4, 0, -1.5, 0, 0.25};
    double val[6];
    uint8_t m[6];
    t.o.interp = GRIDR_INTERP_LINEAR;
    t.o.boundary_value = 5;
    for (int bc = GRIDR_BC_NONE; bc <= GRIDR_BC_WRAP; bc++) {
        t.o.boundary = (gridr_boundary)bc;
        for (int trust = 0; trust < 2; trust++) {
            t.o.trust_padding = trust;
            gridr_test_run_targets(&t, pts, 6, val, m);
            int ok = bc != GRIDR_BC_NONE && trust;
            CU_ASSERT(m[0] == ok && m[1] == ok && m[2] == ok && m[3] == ok);
            CU_ASSERT(m[4] == 0 && m[5] == 1); /* -1.5 needs sample -2, beyond the halo */
            if (!ok)
                continue;
            CU_ASSERT_DOUBLE_EQUAL(val[0], 0.5 * pads[bc][0] + 0.5 * a, 1e-12);
            CU_ASSERT_DOUBLE_EQUAL(val[1], pads[bc][0], 1e-12);
            CU_ASSERT_DOUBLE_EQUAL(val[2], 0.5 * d + 0.5 * pads[bc][1], 1e-12);
            CU_ASSERT_DOUBLE_EQUAL(val[3], pads[bc][1], 1e-12);
        }
    }
    /* Cubic at -0.5 with reflect: taps -2..1 = c b a b, Keys weights at x = -0.5. */
    t.o.interp = GRIDR_INTERP_CUBIC;
    t.o.boundary = GRIDR_BC_REFLECT;
    t.o.trust_padding = 1;
    gridr_test_run_targets(&t, pts, 1, val, m);
    CU_ASSERT_EQUAL(m[0], 1);
    CU_ASSERT_DOUBLE_EQUAL(val[0], -0.0625 * c + 0.5625 * b + 0.5625 * a - 0.0625 * b, 1e-12);
    t.o.boundary = GRIDR_BC_WRAP; /* -2 -> c, -1 -> d */
    gridr_test_run_targets(&t, pts, 1, val, m);
    CU_ASSERT_DOUBLE_EQUAL(val[0], -0.0625 * c + 0.5625 * d + 0.5625 * a - 0.0625 * b, 1e-12);
    free(t.data);
    gridr_boundary bc;
    ASSERT_OK(gridr_boundary_parse("Symmetric", &bc));
    CU_ASSERT_EQUAL(bc, GRIDR_BC_SYMMETRIC);
    CU_ASSERT_STRING_EQUAL(gridr_boundary_name(GRIDR_BC_WRAP), "wrap");
    ASSERT_STATUS(gridr_boundary_parse("mirror", &bc), GRIDR_EINVAL);
}

/* ---- output dtypes ------------------------------------------------------------------------ */

static void test_output_dtypes(void)
{
    const double in[10] = {-3.5, 2.5, 3.5, 300.7, 1e10, NAN, -2.5, 65535.5, 1e300, -0.5};
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = 1, .C = 10};
    gridr_resample_opts_init(&t.o);
    t.o.interp = GRIDR_INTERP_NEAREST;
    t.data = (void *)in;
    gridr_test_shift_grid(&t.g, 0, 0, 1, 10);
    uint8_t m[10];
    uint8_t o8[10];
    t.odt = GRIDR_DT_U8;
    ASSERT_OK(gridr_test_run_window(&t, (gridr_rect){0, 0, 1, 10}, o8, m));
    const uint8_t w8[10] = {0, 2, 4, 255, 255, 0, 0, 255, 255, 0};
    CU_ASSERT_EQUAL(memcmp(o8, w8, 10), 0);
    int16_t o16[10];
    t.odt = GRIDR_DT_I16;
    ASSERT_OK(gridr_test_run_window(&t, (gridr_rect){0, 0, 1, 10}, o16, m));
    const int16_t w16[10] = {-4, 2, 4, 301, 32767, 0, -2, 32767, 32767, 0};
    CU_ASSERT_EQUAL(memcmp(o16, w16, sizeof w16), 0);
    uint16_t ou16[10];
    t.odt = GRIDR_DT_U16;
    ASSERT_OK(gridr_test_run_window(&t, (gridr_rect){0, 0, 1, 10}, ou16, m));
    CU_ASSERT(ou16[7] == 65535 && ou16[3] == 301 && ou16[0] == 0);
    int32_t o32[10];
    t.odt = GRIDR_DT_I32;
    ASSERT_OK(gridr_test_run_window(&t, (gridr_rect){0, 0, 1, 10}, o32, m));
    CU_ASSERT(o32[4] == 2147483647 && o32[7] == 65536 && o32[6] == -2);
    float of[10];
    t.odt = GRIDR_DT_F32;
    ASSERT_OK(gridr_test_run_window(&t, (gridr_rect){0, 0, 1, 10}, of, m));
    CU_ASSERT(of[8] == FLT_MAX && of[1] == 2.5f && isnan(of[5]));
    /* Every store agrees with gridr_dtype_set. */
    for (size_t d = 0; d < 7; d++) {
        unsigned char ob[80], want[80];
        t.odt = all_dtypes[d];
        ASSERT_OK(gridr_test_run_window(&t, (gridr_rect){0, 0, 1, 10}, ob, m));
        for (int k = 0; k < 10; k++)
            gridr_dtype_set(want, t.odt, (size_t)k, in[k]);
        CU_ASSERT_EQUAL(memcmp(ob, want, 10 * gridr_dtype_size(t.odt)), 0);
    }
}

/* ---- tiling and threads ------------------------------------------------------------------- */

/* Every tiling of the output gives the bytes of the whole. */
static void check_tilings(tcase *t, const char *what)
{
    void *whole;
    uint8_t *wm;
    ASSERT_OK(gridr_test_run_whole(t, &whole, &wm));
    long rows, cols;
    gridr_grid_out_shape(&t->g, &rows, &cols);
    size_t es = gridr_dtype_size(t->odt);
    long nvalid = 0;
    for (long k = 0; k < rows * cols; k++)
        nvalid += wm[k];
    CU_ASSERT(nvalid > rows * cols / 3); /* the test means something */
    const long sizes[] = {7, 13, 64};
    unsigned char *tile = malloc((size_t)(64 * 64 * t->bands) * es);
    uint8_t tm[64 * 64];
    for (int s = 0; s < 3; s++) {
        long bad = 0, ts = sizes[s];
        for (long r0 = 0; r0 < rows; r0 += ts)
            for (long c0 = 0; c0 < cols; c0 += ts) {
                gridr_rect ow = {r0, c0, MINL(ts, rows - r0), MINL(ts, cols - c0)};
                ASSERT_OK(gridr_test_run_window(t, ow, tile, tm));
                for (int b = 0; b < t->bands; b++)
                    for (long i = 0; i < ow.rows; i++) {
                        size_t wo = (size_t)((b * rows + r0 + i) * cols + c0) * es;
                        size_t to = (size_t)((b * ow.rows + i) * ow.cols) * es;
                        bad += memcmp((char *)whole + wo, tile + to, (size_t)ow.cols * es) != 0;
                        bad += memcmp(wm + (r0 + i) * cols + c0, tm + i * ow.cols,
                                      (size_t)ow.cols) != 0;
                    }
            }
        if (bad)
            fprintf(stderr, "\ntiling %ld: %ld rows differ (%s, %s -> %s, %s)\n", ts, bad, what,
                    gridr_dtype_name(t->dt), gridr_dtype_name(t->odt), kname(t->o.interp));
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(tile);
    free(whole);
    free(wm);
}

static void tiled_case(gridr_interp_kind kind, gridr_dtype dt, int masked)
{
    const long R = 23, C = 47;
    const int rr = 3, rc = 4;
    const long nr = 11, nc = 70; /* output 31 x 277: rows of two chunks */
    tcase t = {
        .dt = dt, .odt = dt, .bands = dt == GRIDR_DT_F64 ? 1 : 2, .R = R, .C = C, .garbage = 0xc3};
    gridr_resample_opts_init(&t.o);
    t.o.interp = kind;
    t.o.out_nodata = 3;
    t.o.threads = 1;
    double *nodes = gridr_test_warp_nodes(nr, nc, rr, rc, R, C);
    uint8_t gmask[20 * 70];
    memset(gmask, 1, sizeof gmask);
    gmask[5 * nc + 7] = 0;
    CU_ASSERT_EQUAL_FATAL(
        gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, nr, nc), rr, rc), 0);
    uint8_t *mask = NULL;
    t.data = gridr_test_make_raster(dt, 2, R, C, gridr_test_v_random);
    if (masked) {
        t.g.mask = gridr_array_make(gmask, GRIDR_DT_U8, 1, nr, nc);
        mask = malloc((size_t)(R * C));
        double p = gridr_interp_is_bspline(kind) ? 0.002 : 0.03; /* B-splines: wider stencils */
        for (long k = 0; k < R * C; k++)
            mask[k] = gridr_test_rs_urand() > p;
        t.mask = mask;
        t.o.boundary = masked == 1 ? GRIDR_BC_REFLECT : GRIDR_BC_WRAP;
        t.o.trust_padding = 1;
        t.o.has_src_nodata = masked == 2;
        t.o.src_nodata = gridr_dtype_get(t.data, dt, 100);
    }
    check_tilings(&t, masked ? "mask + BC" : "plain");
    free(mask);
    free(nodes);
    free(t.data);
}

static void test_tiled_equals_whole(void)
{
    for (int k = 0; k < 5; k++)
        for (size_t d = 0; d < 7; d++)
            for (int masked = 0; masked < 3; masked++)
                tiled_case(gridr_test_all_kernels[k], all_dtypes[d], masked);
    tiled_case(GRIDR_INTERP_BSPLINE11, GRIDR_DT_U16, 1);
}

/* Large enough (> GRIDR__RS_MIN_PARALLEL pixels and samples) for the calls to use threads. */
static void test_threads_identical(void)
{
    const long R = 280, C = 300;
    uint8_t *mask = malloc((size_t)(R * C));
    for (long k = 0; k < R * C; k++)
        mask[k] = gridr_test_rs_urand() > 0.002;
    for (int k = 0; k < 5; k++) {
        tcase t = {.dt = GRIDR_DT_U16, .odt = GRIDR_DT_F32, .bands = 1, .R = R, .C = C};
        gridr_resample_opts_init(&t.o);
        t.o.interp = gridr_test_all_kernels[k];
        t.mask = k % 2 ? mask : NULL;
        double *nodes = gridr_test_warp_nodes(96, 81, 3, 4, R, C);
        CU_ASSERT_EQUAL_FATAL(
            gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 96, 81), 3, 4), 0);
        t.data = gridr_test_make_raster(t.dt, 1, R, C, gridr_test_v_random);
        void *ref = NULL;
        uint8_t *refm = NULL;
        for (int th = 1; th <= 3; th++) {
            void *out;
            uint8_t *om;
            t.o.threads = th;
            ASSERT_OK(gridr_test_run_whole(&t, &out, &om));
            if (!ref) {
                ref = out;
                refm = om;
                continue;
            }
            CU_ASSERT_EQUAL(memcmp(ref, out, (size_t)(t.g.out_rows * t.g.out_cols) * 4), 0);
            CU_ASSERT_EQUAL(memcmp(refm, om, (size_t)(t.g.out_rows * t.g.out_cols)), 0);
            free(out);
            free(om);
        }
        free(ref);
        free(refm);
        free(nodes);
        free(t.data);
    }
    free(mask);
}

static CU_TestInfo tests[] = {
    {"identity grid is bit-exact (all dtypes)", test_identity_bit_exact},
    {"sub-pixel shifts: ramps exact, Keys quadratics", test_subpixel_shift},
    {"masked sample / src nodata only under non-zero weights", test_masked_sample},
    {"out-of-range targets", test_out_of_range},
    {"boundary conditions (numpy.pad semantics)", test_boundary_conditions},
    {"output dtypes: clip and round half to even", test_output_dtypes},
    {"tiled == whole (kernels x dtypes x mask/BC)", test_tiled_equals_whole},
    {"1, 2, 3 threads give the same bytes", test_threads_identical},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_resample_suite = {"resample", NULL, NULL, NULL, NULL, tests};
