/* gridr tests: resample: exactness, masks, nodata, boundary conditions, dtypes, tiling, threads. */
#include "unit.h"

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

/* ---- fixtures ----------------------------------------------------------------------------- */

/* A raster in memory and how to resample it. */
typedef struct tcase {
    gridr_resample_opts o;
    gridr_grid g; /* over the whole output */
    void *data;   /* bands x R x C, contiguous */
    gridr_dtype dt;
    int bands;
    long R, C;
    uint8_t *mask; /* R x C or NULL */
    gridr_dtype odt;
    uint8_t garbage; /* byte written into the padding band of source windows */
} tcase;

static const gridr_dtype all_dtypes[] = {GRIDR_DT_U8,  GRIDR_DT_U16, GRIDR_DT_I16, GRIDR_DT_U32,
                                         GRIDR_DT_I32, GRIDR_DT_F32, GRIDR_DT_F64};

static uint64_t rng_state = 88172645463325252ull;

static double urand(void)
{
    return gridr_test_urand(&rng_state);
}

/* The grid `t->g` restricted to the nodes output window `ow` needs (a slice, as the planner
 * hands it to workers). */
static gridr_grid grid_slice(const gridr_grid *g, gridr_rect ow)
{
    gridr_grid s = *g;
    gridr_rect nw;
    if (g->kind != GRIDR_GRID_ARRAY || gridr_grid_node_window(g, ow, &nw) != 0)
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
static int run_window(const tcase *t, gridr_rect ow, void *out, uint8_t *om)
{
    gridr_rect sw;
    int empty, rc;
    gridr_grid gs = grid_slice(&t->g, ow);
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
static int run_whole(const tcase *t, void **out, uint8_t **om)
{
    long rows, cols;
    gridr_grid_out_shape(&t->g, &rows, &cols);
    *out = malloc((size_t)(rows * cols) * (size_t)t->bands * gridr_dtype_size(t->odt));
    *om = malloc((size_t)(rows * cols));
    gridr_rect ow = {0, 0, rows, cols};
    return run_window(t, ow, *out, *om);
}

/* A contiguous raster of `dt` with values v(b, r, c) (stored with gridr_dtype_set). */
static void *make_raster(gridr_dtype dt, int bands, long R, long C,
                         double (*v)(int b, long r, long c))
{
    void *d = malloc((size_t)(bands * R * C) * gridr_dtype_size(dt));
    for (int b = 0; b < bands; b++)
        for (long r = 0; r < R; r++)
            for (long c = 0; c < C; c++)
                gridr_dtype_set(d, dt, (size_t)((b * R + r) * C + c), v(b, r, c));
    return d;
}

static double v_random(int b, long r, long c)
{
    (void)b;
    (void)r;
    (void)c;
    return urand() * 250.0 - (b ? 0 : 0);
}

static double v_ramp(int b, long r, long c)
{
    return 2.5 + 0.75 * (double)r - 1.25 * (double)c + 10.0 * b;
}

static double v_quad(int b, long r, long c)
{
    (void)b;
    double y = (double)r, x = (double)c;
    return 0.5 * y * y - 0.25 * x * x + 0.3 * x * y + y - 2 * x + 7;
}

/* An affine grid of the output size: src = (i + dr, j + dc). */
static void shift_grid(gridr_grid *g, double dr, double dc, long rows, long cols)
{
    const double a[6] = {dr, 1, 0, dc, 0, 1};
    CU_ASSERT_EQUAL_FATAL(gridr_grid_init_affine(g, a, rows, cols), 0);
}

/* A full-resolution array grid (caller frees *nodes): identity. */
static void identity_array_grid(gridr_grid *g, double **nodes, long rows, long cols)
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
        identity_array_grid(&t.g, &nodes, R, C);
        t.data = make_raster(t.dt, 2, R, C, v_random);
        for (int k = 0; k < 3; k++) {
            t.o.interp = direct_kernels[k];
            void *out;
            uint8_t *om;
            ASSERT_OK(run_whole(&t, &out, &om));
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

/* Max |out - f(target)| over output pixels whose targets are >= margin inside the raster. */
static double max_err(const tcase *t, double dr, double dc, long margin,
                      double (*f)(int, double, double))
{
    void *out;
    uint8_t *om;
    double err = 0;
    CU_ASSERT_EQUAL_FATAL(run_whole(t, &out, &om), 0);
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

static double f_ramp(int b, double y, double x)
{
    return 2.5 + 0.75 * y - 1.25 * x + 10.0 * b;
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
    t.data = make_raster(GRIDR_DT_F64, 2, R, C, v_ramp);
    for (size_t s = 0; s < 4; s++) {
        shift_grid(&t.g, shifts[s][0], shifts[s][1], R, C);
        t.o.interp = GRIDR_INTERP_LINEAR;
        CU_ASSERT(max_err(&t, shifts[s][0], shifts[s][1], 0, f_ramp) <= 1e-9);
        t.o.interp = GRIDR_INTERP_CUBIC;
        CU_ASSERT(max_err(&t, shifts[s][0], shifts[s][1], 1, f_ramp) <= 1e-9);
    }
    free(t.data);
    /* Keys (a = -0.5) reproduces quadratics. */
    t.bands = 1;
    t.data = make_raster(GRIDR_DT_F64, 1, R, C, v_quad);
    t.o.interp = GRIDR_INTERP_CUBIC;
    for (size_t s = 0; s < 4; s++) {
        shift_grid(&t.g, shifts[s][0], shifts[s][1], R, C);
        CU_ASSERT(max_err(&t, shifts[s][0], shifts[s][1], 1, f_quad) <= 1e-9);
    }
    t.o.interp = GRIDR_INTERP_LINEAR; /* ... and linear does not (the test can fail) */
    shift_grid(&t.g, 0.3, 0.3, R, C);
    CU_ASSERT(max_err(&t, 0.3, 0.3, 0, f_quad) > 1e-3);
    free(t.data);
}

/* ---- validity ----------------------------------------------------------------------------- */

/* Resample single targets (row, col) of a 1-band f64 raster; values and masks out. */
static void run_targets(const tcase *base, const double *pts, long n, double *val, uint8_t *m)
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
    ASSERT_OK(run_window(&t, ow, val, m));
    free(nodes);
}

static double v_index(int b, long r, long c)
{
    (void)b;
    return (double)(r * 10 + c);
}

static void test_masked_sample(void)
{
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = 6, .C = 6, .garbage = 0xff};
    gridr_resample_opts_init(&t.o);
    t.data = make_raster(GRIDR_DT_F64, 1, 6, 6, v_index);
    uint8_t mask[36];
    memset(mask, 1, sizeof mask);
    mask[2 * 6 + 3] = 0;
    t.mask = mask;
    const double pts[] = {2, 2, 2, 2.5, 2.5, 2, 2.5, 2.5, 2, 4, 1.5, 3.5, 3, 3, 2, 3};
    double val[8];
    uint8_t m[8];
    t.o.interp = GRIDR_INTERP_LINEAR;
    run_targets(&t, pts, 8, val, m);
    const uint8_t want_lin[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    CU_ASSERT_EQUAL(memcmp(m, want_lin, 8), 0);
    CU_ASSERT_EQUAL(val[0], 22);
    CU_ASSERT_EQUAL(val[2], 27);
    CU_ASSERT_EQUAL(val[1], 0); /* out_nodata */
    t.o.interp = GRIDR_INTERP_CUBIC;
    run_targets(&t, pts, 8, val, m);
    const uint8_t want_cub[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    CU_ASSERT_EQUAL(memcmp(m, want_cub, 8), 0);
    const double npts[] = {2, 2.6, 2, 2.4, 1.4, 3, 2.49, 3.49};
    t.o.interp = GRIDR_INTERP_NEAREST;
    run_targets(&t, npts, 4, val, m);
    CU_ASSERT(m[0] == 0 && m[1] == 1 && m[2] == 1 && m[3] == 0);
    CU_ASSERT_EQUAL(val[1], 22);
    /* The same with a source nodata instead of a mask. */
    t.mask = NULL;
    ((double *)t.data)[2 * 6 + 3] = -7;
    t.o.has_src_nodata = 1;
    t.o.src_nodata = -7;
    t.o.out_nodata = -1;
    t.o.interp = GRIDR_INTERP_LINEAR;
    run_targets(&t, pts, 8, val, m);
    CU_ASSERT_EQUAL(memcmp(m, want_lin, 8), 0);
    CU_ASSERT_EQUAL(val[1], -1);
    CU_ASSERT_EQUAL(val[4], 24);
    /* NaN nodata matches NaN samples. */
    ((double *)t.data)[2 * 6 + 3] = NAN;
    t.o.src_nodata = NAN;
    run_targets(&t, pts, 8, val, m);
    CU_ASSERT_EQUAL(memcmp(m, want_lin, 8), 0);
    free(t.data);
}

static void test_out_of_range(void)
{
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = 4, .C = 5};
    gridr_resample_opts_init(&t.o);
    t.data = make_raster(GRIDR_DT_F64, 1, 4, 5, v_index);
    const double pts[] = {0, 0, -0.1, 1, 3, 4, 3.1, 1, 1, 4.0001, NAN, 1, 1e300, 1, -0.5, 2};
    double val[8];
    uint8_t m[8];
    t.o.interp = GRIDR_INTERP_LINEAR;
    run_targets(&t, pts, 8, val, m);
    const uint8_t want[8] = {1, 0, 1, 0, 0, 0, 0, 0};
    CU_ASSERT_EQUAL(memcmp(m, want, 8), 0);
    CU_ASSERT_EQUAL(val[2], 34);
    t.o.interp = GRIDR_INTERP_NEAREST; /* valid domain [-0.5, n - 0.5) */
    const double npts[] = {-0.5, 0, -0.51, 0, 3.49, 4.49, 3.5, 0};
    run_targets(&t, npts, 4, val, m);
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
    t.data = make_raster(GRIDR_DT_F64, 1, 1, 4, v_bc);
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
            run_targets(&t, pts, 6, val, m);
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
    run_targets(&t, pts, 1, val, m);
    CU_ASSERT_EQUAL(m[0], 1);
    CU_ASSERT_DOUBLE_EQUAL(val[0], -0.0625 * c + 0.5625 * b + 0.5625 * a - 0.0625 * b, 1e-12);
    t.o.boundary = GRIDR_BC_WRAP; /* -2 -> c, -1 -> d */
    run_targets(&t, pts, 1, val, m);
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
    shift_grid(&t.g, 0, 0, 1, 10);
    uint8_t m[10];
    uint8_t o8[10];
    t.odt = GRIDR_DT_U8;
    ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 1, 10}, o8, m));
    const uint8_t w8[10] = {0, 2, 4, 255, 255, 0, 0, 255, 255, 0};
    CU_ASSERT_EQUAL(memcmp(o8, w8, 10), 0);
    int16_t o16[10];
    t.odt = GRIDR_DT_I16;
    ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 1, 10}, o16, m));
    const int16_t w16[10] = {-4, 2, 4, 301, 32767, 0, -2, 32767, 32767, 0};
    CU_ASSERT_EQUAL(memcmp(o16, w16, sizeof w16), 0);
    uint16_t ou16[10];
    t.odt = GRIDR_DT_U16;
    ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 1, 10}, ou16, m));
    CU_ASSERT(ou16[7] == 65535 && ou16[3] == 301 && ou16[0] == 0);
    int32_t o32[10];
    t.odt = GRIDR_DT_I32;
    ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 1, 10}, o32, m));
    CU_ASSERT(o32[4] == 2147483647 && o32[7] == 65536 && o32[6] == -2);
    float of[10];
    t.odt = GRIDR_DT_F32;
    ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 1, 10}, of, m));
    CU_ASSERT(of[8] == FLT_MAX && of[1] == 2.5f && isnan(of[5]));
    /* Every store agrees with gridr_dtype_set. */
    for (size_t d = 0; d < 7; d++) {
        unsigned char ob[80], want[80];
        t.odt = all_dtypes[d];
        ASSERT_OK(run_window(&t, (gridr_rect){0, 0, 1, 10}, ob, m));
        for (int k = 0; k < 10; k++)
            gridr_dtype_set(want, t.odt, (size_t)k, in[k]);
        CU_ASSERT_EQUAL(memcmp(ob, want, 10 * gridr_dtype_size(t.odt)), 0);
    }
}

/* ---- tiling and threads ------------------------------------------------------------------- */

/* A smooth warp over the raster (some targets outside it) as an oversampled array grid. */
static double *warp_nodes(long nr, long nc, int rr, int rc, long R, long C)
{
    double *n = malloc(sizeof(double) * 2 * (size_t)(nr * nc));
    for (long i = 0; i < nr; i++)
        for (long j = 0; j < nc; j++) {
            double y = (double)(i * rr), x = (double)(j * rc);
            n[i * nc + j] = -2.3 + y * (double)(R + 3) / (double)((nr - 1) * rr) +
                            1.7 * sin(0.21 * x) + 0.37 * urand();
            n[nr * nc + i * nc + j] = -1.9 + x * (double)(C + 2) / (double)((nc - 1) * rc) +
                                      1.3 * cos(0.17 * y) + 0.37 * urand();
        }
    return n;
}

/* Every tiling of the output gives the bytes of the whole. */
static void check_tilings(tcase *t, const char *what)
{
    void *whole;
    uint8_t *wm;
    ASSERT_OK(run_whole(t, &whole, &wm));
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
                ASSERT_OK(run_window(t, ow, tile, tm));
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
    double *nodes = warp_nodes(nr, nc, rr, rc, R, C);
    uint8_t gmask[20 * 70];
    memset(gmask, 1, sizeof gmask);
    gmask[5 * nc + 7] = 0;
    CU_ASSERT_EQUAL_FATAL(
        gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, nr, nc), rr, rc), 0);
    uint8_t *mask = NULL;
    t.data = make_raster(dt, 2, R, C, v_random);
    if (masked) {
        t.g.mask = gridr_array_make(gmask, GRIDR_DT_U8, 1, nr, nc);
        mask = malloc((size_t)(R * C));
        double p = gridr_interp_is_bspline(kind) ? 0.002 : 0.03; /* B-splines: wider stencils */
        for (long k = 0; k < R * C; k++)
            mask[k] = urand() > p;
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

static const gridr_interp_kind all_kernels[] = {GRIDR_INTERP_NEAREST,  GRIDR_INTERP_LINEAR,
                                                GRIDR_INTERP_CUBIC,    GRIDR_INTERP_BSPLINE3,
                                                GRIDR_INTERP_BSPLINE5, GRIDR_INTERP_BSPLINE11};

static void test_tiled_equals_whole(void)
{
    for (int k = 0; k < 5; k++)
        for (size_t d = 0; d < 7; d++)
            for (int masked = 0; masked < 3; masked++)
                tiled_case(all_kernels[k], all_dtypes[d], masked);
    tiled_case(GRIDR_INTERP_BSPLINE11, GRIDR_DT_U16, 1);
}

/* Large enough (> GRIDR__RS_MIN_PARALLEL pixels and samples) for the calls to use threads. */
static void test_threads_identical(void)
{
    const long R = 280, C = 300;
    uint8_t *mask = malloc((size_t)(R * C));
    for (long k = 0; k < R * C; k++)
        mask[k] = urand() > 0.002;
    for (int k = 0; k < 5; k++) {
        tcase t = {.dt = GRIDR_DT_U16, .odt = GRIDR_DT_F32, .bands = 1, .R = R, .C = C};
        gridr_resample_opts_init(&t.o);
        t.o.interp = all_kernels[k];
        t.mask = k % 2 ? mask : NULL;
        double *nodes = warp_nodes(96, 81, 3, 4, R, C);
        CU_ASSERT_EQUAL_FATAL(
            gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 96, 81), 3, 4), 0);
        t.data = make_raster(t.dt, 1, R, C, v_random);
        void *ref = NULL;
        uint8_t *refm = NULL;
        for (int th = 1; th <= 3; th++) {
            void *out;
            uint8_t *om;
            t.o.threads = th;
            ASSERT_OK(run_whole(&t, &out, &om));
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
    identity_array_grid(&t.g, &nodes, R, C);
    t.data = make_raster(GRIDR_DT_F64, 1, R, C, v_random);
    for (int k = 0; k < 3; k++) {
        for (int bc = 0; bc < 2; bc++) {
            t.o.interp = ks[k];
            t.o.boundary = bc ? GRIDR_BC_REFLECT : GRIDR_BC_NONE;
            t.o.trust_padding = bc;
            double *out;
            uint8_t *om;
            ASSERT_OK(run_whole(&t, (void **)&out, &om));
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
    t.data = make_raster(GRIDR_DT_F64, 2, R, C, v_ramp);
    for (int n = 3; n <= 5; n += 2) {
        t.o.interp = (gridr_interp_kind)n;
        long margin = bspline_H(n, t.o.bspline_eps) + n / 2 + 1;
        for (size_t s = 0; s < 3; s++) {
            shift_grid(&t.g, shifts[s][0], shifts[s][1], R, C);
            CU_ASSERT(max_err(&t, shifts[s][0], shifts[s][1], margin, f_ramp) <= 1e-9);
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
        pts[2 * k] = 18 + 14 * urand();
        pts[2 * k + 1] = 20 + 19 * urand();
    }
    pts[0] = 25;
    pts[1] = 30.5; /* integer and half-integer positions */
    tcase t = {.dt = GRIDR_DT_F64, .bands = 1, .R = R, .C = C};
    gridr_resample_opts_init(&t.o);
    t.data = make_raster(GRIDR_DT_F64, 1, R, C, v_random);
    for (int q = 0; q < 6; q++) {
        gridr_interp_kind k = all_kernels[q];
        t.o.interp = k;
        run_targets(&t, pts, N, val, m);
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
    identity_array_grid(&t.g, &nodes, R, R);
    t.data = make_raster(GRIDR_DT_F64, 1, R, R, v_random);
    void *out;
    uint8_t *om;
    long n = 0;
    ASSERT_OK(run_whole(&t, &out, &om));
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
        mask[k] = urand() > 0.01;
    for (int k = 0; k < 6; k++) {
        tcase t = {.dt = GRIDR_DT_I16, .odt = GRIDR_DT_F64, .bands = 2, .R = R, .C = C};
        gridr_resample_opts_init(&t.o);
        t.o.interp = all_kernels[k];
        t.mask = k % 2 ? mask : NULL;
        double *nodes = warp_nodes(30, 35, 2, 2, R, C);
        CU_ASSERT_EQUAL_FATAL(
            gridr_grid_init_array(&t.g, gridr_array_make(nodes, GRIDR_DT_F64, 2, 30, 35), 2, 2), 0);
        t.data = make_raster(t.dt, 2, R, C, v_random);
        void *o1, *o2;
        uint8_t *m1, *m2;
        GRIDR_TEST_SWITCH(avx2, 0);
        ASSERT_OK(run_whole(&t, &o1, &m1));
        GRIDR_TEST_SWITCH(avx2, 1);
        ASSERT_OK(run_whole(&t, &o2, &m2));
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
    shift_grid(&g, 0.25, -0.5, 100, 100);
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
    shift_grid(&g, 0, -3, 100, 100);
    ASSERT_OK(gridr_resample_source_window(&o, &g, (gridr_rect){10, 0, 1, 1}, 50, 60, &sw, &empty));
    CU_ASSERT(!empty && sw.col0 == -2 && sw.cols == 5);
    /* Entirely outside raster + halo -> empty. */
    shift_grid(&g, 0, 200, 100, 100);
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
    shift_grid(&g, 0, 0, 4, 4);
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
    {"identity grid is bit-exact (all dtypes)", test_identity_bit_exact},
    {"sub-pixel shifts: ramps exact, Keys quadratics", test_subpixel_shift},
    {"masked sample / src nodata only under non-zero weights", test_masked_sample},
    {"out-of-range targets", test_out_of_range},
    {"boundary conditions (numpy.pad semantics)", test_boundary_conditions},
    {"output dtypes: clip and round half to even", test_output_dtypes},
    {"tiled == whole (kernels x dtypes x mask/BC)", test_tiled_equals_whole},
    {"1, 2, 3 threads give the same bytes", test_threads_identical},
    {"B-splines: identity within eps, nodata ring", test_bspline_identity},
    {"B-splines: sub-pixel shift of a ramp is exact", test_bspline_ramp},
    {"all kernels == natural-order formula, bit for bit", test_reference_formula},
    {"B-spline masks: GridR taps, strict support, dilation", test_bspline_masks},
    {"SSE2 and AVX2 kernels give the same bytes", test_sse2_equals_avx2},
    {"source windows", test_source_window},
    {"argument errors", test_argument_errors},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_resample_suite = {"resample", NULL, NULL, NULL, NULL, tests};
