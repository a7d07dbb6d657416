/* gridr tests: the separable path (zooms, axis-aligned affine grids) equals the generic path. */
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A source raster, a grid, options and an output type: one comparison case. */
typedef struct scase {
    gridr_resample_opts o;
    gridr_grid g;
    void *data; /* bands x R x C */
    gridr_dtype dt, odt;
    int bands;
    long R, C;
    uint8_t *mask; /* R x C or NULL */
} scase;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double urand(void)
{
    return gridr_test_urand(&rng);
}

/* Random samples over most of the type's range (f32/f64: with a few NaN when `nans`). */
static void *make_data(gridr_dtype dt, int bands, long R, long C, int nans)
{
    size_t n = (size_t)(bands * R * C);
    void *d = malloc(n * gridr_dtype_size(dt));
    const double span = dt == GRIDR_DT_U8 ? 255 : dt == GRIDR_DT_I16 ? 60000 : 65000;
    for (size_t k = 0; k < n; k++) {
        double v = urand() * span - (dt == GRIDR_DT_I16 || dt >= GRIDR_DT_F32 ? span / 2 : 0);
        if (nans && urand() < 0.002)
            v = NAN;
        gridr_dtype_set(d, dt, k, v);
    }
    return d;
}

/* Output window ow the way a worker computes it: the source window the planner would read. */
static int run_window(const scase *t, gridr_rect ow, unsigned char *out, uint8_t *om)
{
    gridr_rect sw;
    int empty, rc = gridr_resample_source_window(&t->o, &t->g, ow, t->R, t->C, &sw, &empty);
    if (rc || empty)
        return rc ? rc : -1000;
    const size_t es = gridr_dtype_size(t->dt), n = (size_t)(sw.rows * sw.cols);
    unsigned char *buf = calloc(n * (size_t)t->bands, es);
    uint8_t *mb = calloc(n, 1);
    for (long i = 0; i < sw.rows; i++)
        for (long j = 0; j < sw.cols; j++) {
            long r = sw.row0 + i, c = sw.col0 + j;
            if (r < 0 || r >= t->R || c < 0 || c >= t->C)
                continue;
            for (int b = 0; b < t->bands; b++)
                memcpy(buf + ((size_t)b * n + (size_t)(i * sw.cols + j)) * es,
                       (const unsigned char *)t->data +
                           ((size_t)b * (size_t)(t->R * t->C) + (size_t)(r * t->C + c)) * es,
                       es);
            mb[i * sw.cols + j] = t->mask ? t->mask[r * t->C + c] : 1;
        }
    gridr_source src = {gridr_array_make(buf, t->dt, t->bands, sw.rows, sw.cols),
                        {0},
                        sw.row0,
                        sw.col0,
                        t->R,
                        t->C};
    if (t->mask)
        src.mask = gridr_array_make(mb, GRIDR_DT_U8, 1, sw.rows, sw.cols);
    gridr_array oa = gridr_array_make(out, t->odt, t->bands, ow.rows, ow.cols);
    gridr_array ma = gridr_array_make(om, GRIDR_DT_U8, 1, ow.rows, ow.cols);
    rc = gridr_resample_window(&t->o, &t->g, ow, &src, &oa, &ma);
    free(buf);
    free(mb);
    return rc;
}

/* Run window ow with the separable path allowed, then forbidden: same bytes and mask. Returns
 * the number of valid output pixels (so callers can check the case is not all nodata). */
static long compare(const scase *t, gridr_rect ow)
{
    const size_t n = (size_t)(ow.rows * ow.cols),
                 ob = n * (size_t)t->bands * gridr_dtype_size(t->odt);
    unsigned char *o1 = malloc(ob), *o2 = malloc(ob);
    uint8_t *m1 = malloc(n), *m2 = malloc(n);
    memset(o1, 0xa5, ob);
    memset(o2, 0x5a, ob);
    GRIDR_TEST_SWITCH(separable, 1);
    ASSERT_OK(run_window(t, ow, o1, m1));
    GRIDR_TEST_SWITCH(separable, 0);
    ASSERT_OK(run_window(t, ow, o2, m2));
    GRIDR_TEST_SWITCH(separable, 1);
    CU_ASSERT_EQUAL(memcmp(o1, o2, ob), 0);
    CU_ASSERT_EQUAL(memcmp(m1, m2, n), 0);
    long valid = 0;
    for (size_t k = 0; k < n; k++)
        valid += m1[k];
    free(o1);
    free(o2);
    free(m1);
    free(m2);
    return valid;
}

/* Whole output, then a 3 x 3 split of it (windows with offsets, edges and interior). */
static void compare_tiled(const scase *t)
{
    long rows = t->g.out_rows, cols = t->g.out_cols;
    CU_ASSERT(compare(t, (gridr_rect){0, 0, rows, cols}) > rows * cols / 2);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            long r0 = rows * a / 3, r1 = rows * (a + 1) / 3;
            long c0 = cols * b / 3, c1 = cols * (b + 1) / 3;
            compare(t, (gridr_rect){r0, c0, r1 - r0, c1 - c0});
        }
}

static const gridr_interp_kind kernels[] = {GRIDR_INTERP_LINEAR, GRIDR_INTERP_CUBIC,
                                            GRIDR_INTERP_BSPLINE3, GRIDR_INTERP_BSPLINE5,
                                            GRIDR_INTERP_BSPLINE11};

static void zoom_case(gridr_interp_kind k, gridr_dtype dt, gridr_dtype odt, int bands, double f)
{
    scase t = {.dt = dt, .odt = odt, .bands = bands, .R = 61, .C = 67};
    gridr_resample_opts_init(&t.o);
    t.o.interp = k;
    t.data = make_data(dt, bands, t.R, t.C, 0);
    long rows = (long)floor(t.R * f), cols = (long)floor(t.C * f);
    ASSERT_OK(gridr_grid_init_zoom(&t.g, f, f, rows, cols));
    compare_tiled(&t);
    free(t.data);
}

/* Every kernel, source type and a few output types, 1 and 2 bands, up and down. */
static void test_zoom_identical(void)
{
    static const gridr_dtype types[] = {GRIDR_DT_U8,  GRIDR_DT_U16, GRIDR_DT_I16, GRIDR_DT_U32,
                                        GRIDR_DT_I32, GRIDR_DT_F32, GRIDR_DT_F64};
    for (size_t k = 0; k < sizeof kernels / sizeof *kernels; k++)
        for (size_t d = 0; d < 7; d++) {
            zoom_case(kernels[k], types[d], GRIDR_DT_F64, 1, 1.5);
            zoom_case(kernels[k], types[d], types[d], 2, 0.5);
            zoom_case(kernels[k], types[d], GRIDR_DT_U16, 1, 2.75);
        }
}

/* Flipped and shifted axes, boundary conditions that fill the padding, a constant fill. */
static void test_affine_and_boundaries(void)
{
    static const gridr_boundary bcs[] = {GRIDR_BC_NONE, GRIDR_BC_EDGE, GRIDR_BC_REFLECT,
                                         GRIDR_BC_CONSTANT};
    for (size_t k = 0; k < 3; k++)
        for (size_t b = 0; b < 4; b++) {
            scase t = {.dt = GRIDR_DT_U16, .odt = GRIDR_DT_F64, .bands = 1, .R = 50, .C = 45};
            gridr_resample_opts_init(&t.o);
            t.o.interp = kernels[k];
            t.o.boundary = bcs[b];
            t.o.trust_padding = 1;
            t.data = make_data(t.dt, 1, t.R, t.C, 0);
            const double a[6] = {52.3, -0.77, 0, -3.1, 0, 1.13};
            ASSERT_OK(gridr_grid_init_affine(&t.g, a, 70, 48));
            compare_tiled(&t);
            free(t.data);
        }
}

/* NaN samples (f32, f64) send their rows to the generic path; masks send the window there. */
static void test_nan_and_mask(void)
{
    for (int dt = GRIDR_DT_F32; dt <= GRIDR_DT_F64; dt++)
        for (size_t k = 0; k < 3; k++) {
            scase t = {.dt = (gridr_dtype)dt, .odt = GRIDR_DT_F64, .bands = 2, .R = 40, .C = 52};
            gridr_resample_opts_init(&t.o);
            t.o.interp = kernels[k];
            t.data = make_data(t.dt, 2, t.R, t.C, 1);
            ASSERT_OK(gridr_grid_init_zoom(&t.g, 1.3, 1.7, 52, 88));
            compare(&t, (gridr_rect){0, 0, 52, 88});
            t.mask = malloc((size_t)(t.R * t.C));
            for (long q = 0; q < t.R * t.C; q++)
                t.mask[q] = urand() > 0.01;
            compare(&t, (gridr_rect){0, 0, 52, 88});
            free(t.mask);
            free(t.data);
        }
}

/* Windows large enough for OpenMP (> 65536 pixels): each thread caches its own rows. */
static void test_threads(void)
{
    for (int th = 1; th <= 3; th++) {
        scase t = {.dt = GRIDR_DT_U16, .odt = GRIDR_DT_U16, .bands = 1, .R = 230, .C = 210};
        gridr_resample_opts_init(&t.o);
        t.o.interp = GRIDR_INTERP_CUBIC;
        t.o.threads = th;
        t.data = make_data(t.dt, 1, t.R, t.C, 0);
        ASSERT_OK(gridr_grid_init_zoom(&t.g, 1.5, 1.5, 345, 315));
        CU_ASSERT(compare(&t, (gridr_rect){0, 0, 345, 315}) > 300 * 300);
        free(t.data);
    }
}

/* A zoom's interior values against the formula: linear x2 of a ramp is the ramp itself. */
static void test_zoom_ramp_values(void)
{
    scase t = {.dt = GRIDR_DT_F64, .odt = GRIDR_DT_F64, .bands = 1, .R = 32, .C = 40};
    gridr_resample_opts_init(&t.o);
    double *d = malloc((size_t)(t.R * t.C) * sizeof *d);
    for (long r = 0; r < t.R; r++)
        for (long c = 0; c < t.C; c++)
            d[r * t.C + c] = 3.0 * r + 0.5 * c;
    t.data = d;
    ASSERT_OK(gridr_grid_init_zoom(&t.g, 2, 2, 64, 80));
    double *out = malloc(64 * 80 * sizeof *out);
    uint8_t *om = malloc(64 * 80);
    ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 64, 80}, (unsigned char *)out, om));
    for (long i = 2; i < 62; i++)
        for (long j = 2; j < 78; j++) {
            double y = (i + 0.5) / 2 - 0.5, x = (j + 0.5) / 2 - 0.5;
            CU_ASSERT(om[i * 80 + j] == 1);
            CU_ASSERT_DOUBLE_EQUAL(out[i * 80 + j], 3.0 * y + 0.5 * x, 1e-12);
        }
    free(out);
    free(om);
    free(d);
}

/* Output window ow of a case equals the same pixels of the whole output (window independence). */
static void same_as_whole(const scase *t, const unsigned char *whole, const uint8_t *wm,
                          gridr_rect ow)
{
    const size_t es = gridr_dtype_size(t->odt), n = (size_t)(ow.rows * ow.cols);
    const long W = t->g.out_cols, H = t->g.out_rows;
    unsigned char *o = malloc(n * (size_t)t->bands * es);
    uint8_t *m = malloc(n);
    ASSERT_OK(run_window(t, ow, o, m));
    int diff = 0;
    for (int b = 0; b < t->bands; b++)
        for (long i = 0; i < ow.rows; i++) {
            long r = ow.row0 + i;
            diff |= memcmp(o + ((size_t)b * n + (size_t)(i * ow.cols)) * es,
                           whole + ((size_t)b * (size_t)(H * W) + (size_t)(r * W + ow.col0)) * es,
                           (size_t)ow.cols * es) != 0;
            diff |= b == 0 && memcmp(m + i * ow.cols, wm + r * W + ow.col0, (size_t)ow.cols) != 0;
        }
    CU_ASSERT_EQUAL(diff, 0);
    free(o);
    free(m);
}

/* The 4 x 3 split of the output equals the whole output, byte for byte. */
static void tiles_match_whole(const scase *t)
{
    const long H = t->g.out_rows, W = t->g.out_cols;
    const size_t n = (size_t)(H * W), es = gridr_dtype_size(t->odt);
    unsigned char *whole = malloc(n * (size_t)t->bands * es);
    uint8_t *wm = malloc(n);
    ASSERT_OK(run_window(t, (gridr_rect){0, 0, H, W}, whole, wm));
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 3; b++) {
            long r0 = H * a / 4, r1 = H * (a + 1) / 4, c0 = W * b / 3, c1 = W * (b + 1) / 3;
            same_as_whole(t, whole, wm, (gridr_rect){r0, c0, r1 - r0, c1 - c0});
        }
    free(whole);
    free(wm);
}

/* A scaled filter over a zoom by (fy, fx): separable = generic, tiles = whole. */
static void aa_case(gridr_interp_kind k, gridr_dtype dt, int bands, double fy, double fx,
                    gridr_boundary bc, int nans, int edges)
{
    scase t = {.dt = dt, .odt = dt, .bands = bands, .R = 181, .C = 199};
    gridr_resample_opts_init(&t.o);
    t.o.interp = k;
    t.o.antialias = 1;
    t.o.boundary = bc;
    t.o.trust_padding = bc != GRIDR_BC_NONE;
    t.o.gdal_edges = edges;
    t.data = make_data(dt, bands, t.R, t.C, nans);
    if (k == GRIDR_INTERP_MODE) /* classes */
        for (long q = 0; q < bands * t.R * t.C; q++)
            gridr_dtype_set(t.data, dt, (size_t)q, floor(urand() * 5));
    long rows = (long)floor(t.R * fy + 0.5), cols = (long)floor(t.C * fx + 0.5);
    ASSERT_OK(gridr_grid_init_zoom(&t.g, fy, fx, rows, cols));
    compare_tiled(&t);
    tiles_match_whole(&t);
    free(t.data);
}

/* Antialiased linear and cubic, lanczos, average, mode at reductions by 2, 3, 7.5, 1/0.6 and
 * anisotropic ones; several source types, 1 and 2 bands, boundary conditions, NaN samples. */
static void test_scaled_filters(void)
{
    static const gridr_interp_kind ks[] = {GRIDR_INTERP_LINEAR, GRIDR_INTERP_CUBIC,
                                           GRIDR_INTERP_LANCZOS, GRIDR_INTERP_AVERAGE,
                                           GRIDR_INTERP_MODE};
    static const double f[][2] = {{0.5, 0.5}, {1 / 3.0, 1 / 3.0}, {1 / 7.5, 1 / 7.5},
                                  {0.6, 0.6}, {0.5, 1.3},         {0.37, 0.21}};
    for (size_t k = 0; k < 5; k++)
        for (size_t q = 0; q < 6; q++) {
            aa_case(ks[k], GRIDR_DT_U16, 1, f[q][0], f[q][1], GRIDR_BC_NONE, 0, 0);
            aa_case(ks[k], q % 2 ? GRIDR_DT_U8 : GRIDR_DT_F64, 2, f[q][0], f[q][1], GRIDR_BC_EDGE,
                    0, 0);
            aa_case(ks[k], GRIDR_DT_I16, 1, f[q][0], f[q][1], GRIDR_BC_NONE, 0, 1);
        }
    aa_case(GRIDR_INTERP_CUBIC, GRIDR_DT_F32, 2, 0.4, 0.3, GRIDR_BC_NONE, 1, 0);
    aa_case(GRIDR_INTERP_AVERAGE, GRIDR_DT_I16, 1, 0.25, 0.25, GRIDR_BC_REFLECT, 0, 0);
    /* GDAL's edges also zooming in: linear and cubic through the scaled filters at scale 1. */
    aa_case(GRIDR_INTERP_LINEAR, GRIDR_DT_U16, 2, 1.5, 2.25, GRIDR_BC_NONE, 0, 1);
    aa_case(GRIDR_INTERP_CUBIC, GRIDR_DT_F32, 1, 3, 0.7, GRIDR_BC_NONE, 1, 1);
}

/* Antialiased values: a reduction by 4 of a ramp is the ramp at the output pixel centres (the
 * stretched kernels are symmetric and normalised), and average of a checkerboard by 2 is flat. */
static void test_scaled_values(void)
{
    scase t = {.dt = GRIDR_DT_F64, .odt = GRIDR_DT_F64, .bands = 1, .R = 64, .C = 80};
    double *d = malloc((size_t)(t.R * t.C) * sizeof *d);
    double *out = malloc(16 * 20 * sizeof *out);
    uint8_t *om = malloc(16 * 20);
    t.data = d;
    for (int k = 0; k < 3; k++) {
        gridr_resample_opts_init(&t.o);
        t.o.interp = k == 0   ? GRIDR_INTERP_LINEAR
                     : k == 1 ? GRIDR_INTERP_CUBIC
                              : GRIDR_INTERP_AVERAGE;
        t.o.antialias = 1;
        for (long r = 0; r < t.R; r++)
            for (long c = 0; c < t.C; c++)
                d[r * t.C + c] = 3.0 * r + 0.5 * c;
        ASSERT_OK(gridr_grid_init_zoom(&t.g, 0.25, 0.25, 16, 20));
        ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 16, 20}, (unsigned char *)out, om));
        for (long i = 2; i < 14; i++)
            for (long j = 2; j < 18; j++) {
                double y = (i + 0.5) * 4 - 0.5, x = (j + 0.5) * 4 - 0.5;
                CU_ASSERT(om[i * 20 + j] == 1);
                CU_ASSERT_DOUBLE_EQUAL(out[i * 20 + j], 3.0 * y + 0.5 * x, 1e-9);
            }
        /* Point sampling would give the checkerboard's 0 or 100; the filters give 50. */
        for (long r = 0; r < t.R; r++)
            for (long c = 0; c < t.C; c++)
                d[r * t.C + c] = (r + c) % 2 ? 100 : 0;
        ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 16, 20}, (unsigned char *)out, om));
        for (long i = 2; i < 14; i++)
            for (long j = 2; j < 18; j++)
                CU_ASSERT_DOUBLE_EQUAL(out[i * 20 + j], 50, k == 1 ? 1.0 : 1e-9);
    }
    free(out);
    free(om);
    free(d);
}

static CU_TestInfo tests[] = {
    {"zoom: separable equals generic", test_zoom_identical},
    {"affine and boundaries: identical", test_affine_and_boundaries},
    {"NaN rows and masks: identical", test_nan_and_mask},
    {"OpenMP threads: identical", test_threads},
    {"zoom of a ramp", test_zoom_ramp_values},
    {"scaled filters: separable = generic, tiles = whole", test_scaled_filters},
    {"scaled filters: values", test_scaled_values},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_resample_sep_suite = {"resample_sep", NULL, NULL, NULL, NULL, tests};
