/* gridr tests: plan: coverage, determinism, taps inside source windows, edges, byte sizes. */
#include "unit.h"
#include "plan_util.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- coverage and determinism --------------------------------------------------------------- */

static void test_coverage_user_window(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    gridr_test_make_shift(&g, 0, 0, 1000, 777);
    gridr_test_base_opts(&o, &g, NULL, 1000, 777);
    o.win_rows = o.win_cols = 256;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 4 * 4);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->win_rows, 256);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->user_window, 1);
    /* last window: rows 768..999, cols 768..776 */
    const gridr_plan_window *w = gridr_plan_window_at(p, 15);
    CU_ASSERT_EQUAL(w->out.row0, 768);
    CU_ASSERT_EQUAL(w->out.rows, 232);
    CU_ASSERT_EQUAL(w->out.col0, 768);
    CU_ASSERT_EQUAL(w->out.cols, 9);
    gridr_test_check_coverage(p);
    gridr_plan_free(p);
}

static void test_coverage_budget(void)
{
    static const size_t budgets[] = {0, 64u << 20, 1u << 20, 300000, 40000};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_test_make_shift(&g, 0.3, -0.2, 1000, 777);
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        gridr_plan *p = NULL;
        gridr_test_base_opts(&o, &g, NULL, 1000, 777);
        o.mem_budget = budgets[b];
        ASSERT_OK(gridr_plan_new(&o, &p));
        CU_ASSERT_FATAL(p != NULL);
        gridr_test_check_coverage(p);
        if (budgets[b])
            CU_ASSERT(gridr_plan_peak_bytes(p) <= budgets[b]);
        gridr_plan_free(p);
    }
}

static void test_deterministic(void)
{
    wobble wb = {61, 41, 4, 5, 1, 1, 0.3, -0.4, 1, 0};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p1 = NULL, *p2 = NULL;
    gridr_test_make_wobble(&wb, &g);
    gridr_test_base_opts(&o, &g, NULL, 250, 210);
    o.mem_budget = 60000;
    o.block = 32;
    ASSERT_OK(gridr_plan_new(&o, &p1));
    ASSERT_OK(gridr_plan_new(&o, &p2));
    CU_ASSERT_FATAL(p1 && p2);
    CU_ASSERT_EQUAL(gridr_plan_count(p1), gridr_plan_count(p2));
    CU_ASSERT(gridr_plan_count(p1) > 4);
    CU_ASSERT_EQUAL(
        memcmp(gridr_plan_summary_get(p1), gridr_plan_summary_get(p2), sizeof(gridr_plan_summary)),
        0);
    for (long i = 0; i < gridr_plan_count(p1); i++)
        CU_ASSERT_EQUAL(memcmp(gridr_plan_window_at(p1, i), gridr_plan_window_at(p2, i),
                               sizeof(gridr_plan_window)),
                        0);
    gridr_plan_free(p1);
    gridr_plan_free(p2);
    gridr_test_free_grid(&g);
}

/* ---- every tap inside the source window ----------------------------------------------------- */

typedef struct tapstat {
    long pixels;    /* valid targets seen */
    long checked;   /* computable targets (every non-zero tap inside raster + halo) */
    long outside;   /* computable targets with a tap outside their window's src */
    long in_empty;  /* computable targets in a window flagged empty */
    long bad_rects; /* src outside raster + halo, or read != src ∩ raster */
} tapstat;

/* Non-zero taps of target t on one axis: [*lo, *hi]. */
static void tap_span(gridr_interp_kind k, double t, long *lo, long *hi)
{
    double w[GRIDR_INTERP_MAX_TAPS];
    int n = gridr_interp_taps(k);
    double c = floor(t + 0.5);
    gridr_interp_weights(k, t - c, w);
    *lo = LONG_MAX;
    *hi = LONG_MIN;
    for (int i = 0; i < n; i++)
        if (w[i] != 0) {
            long p = (long)c - n / 2 + i;
            *lo = p < *lo ? p : *lo;
            *hi = p > *hi ? p : *hi;
        }
}

static int inside(long lo, long hi, long r0, long n)
{
    return lo >= r0 && hi < r0 + n;
}

static void check_rects(const gridr_plan_window *w, long R, long C, int h, tapstat *st)
{
    if (w->empty) {
        st->bad_rects += w->src.rows != 0 || w->read.rows != 0 || w->bytes[GRIDR_PLAN_SRC] != 0;
        return;
    }
    st->bad_rects += w->src.row0 < -h || w->src.col0 < -h || w->src.rows < 1 || w->src.cols < 1 ||
                     w->src.row0 + w->src.rows > R + h || w->src.col0 + w->src.cols > C + h;
    long r0 = w->src.row0 < 0 ? 0 : w->src.row0, c0 = w->src.col0 < 0 ? 0 : w->src.col0;
    long r1 = w->src.row0 + w->src.rows > R ? R : w->src.row0 + w->src.rows;
    long c1 = w->src.col0 + w->src.cols > C ? C : w->src.col0 + w->src.cols;
    if (r1 > r0 && c1 > c0)
        st->bad_rects += w->read.row0 != r0 || w->read.col0 != c0 || w->read.rows != r1 - r0 ||
                         w->read.cols != c1 - c0;
    else
        st->bad_rects += w->read.rows != 0 || w->read.cols != 0;
}

static void check_window_taps(const gridr_grid *g, gridr_interp_kind k, const gridr_plan_window *w,
                              long R, long C, int h, tapstat *st)
{
    long n = w->out.cols;
    double *tr = malloc(sizeof(double) * (size_t)n), *tc = malloc(sizeof(double) * (size_t)n);
    uint8_t *v = malloc((size_t)n);
    CU_ASSERT_FATAL(tr && tc && v);
    check_rects(w, R, C, h, st);
    for (long r = w->out.row0; r < w->out.row0 + w->out.rows; r++) {
        gridr_grid_eval_row(g, r, w->out.col0, n, tr, tc, v);
        for (long j = 0; j < n; j++) {
            long rlo, rhi, clo, chi;
            if (!v[j])
                continue;
            st->pixels++;
            tap_span(k, tr[j], &rlo, &rhi);
            tap_span(k, tc[j], &clo, &chi);
            if (!inside(rlo, rhi, -h, R + 2 * h) || !inside(clo, chi, -h, C + 2 * h))
                continue; /* beyond the padding band: nodata whatever the window */
            st->checked++;
            if (w->empty)
                st->in_empty++;
            else if (!inside(rlo, rhi, w->src.row0, w->src.rows) ||
                     !inside(clo, chi, w->src.col0, w->src.cols))
                st->outside++;
        }
    }
    free(tr);
    free(tc);
    free(v);
}

static void check_taps(const gridr_grid *g, gridr_interp_kind k, long R, long C, long wr, long wc,
                       const char *what)
{
    gridr_resample_opts ro;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    tapstat st = {0};
    gridr_resample_opts_init(&ro);
    ro.interp = k;
    gridr_test_base_opts(&o, g, &ro, R, C);
    o.win_rows = wr;
    o.win_cols = wc;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    int h = gridr_interp_halo(k, ro.bspline_eps);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->halo, h);
    for (long i = 0; i < gridr_plan_count(p); i++)
        check_window_taps(g, k, gridr_plan_window_at(p, i), R, C, h, &st);
    if (st.outside || st.in_empty || st.bad_rects || st.checked == 0)
        fprintf(stderr, "\n%s %s: %ld pixels, %ld checked, %ld outside, %ld in empty, %ld bad\n",
                what, gridr_interp_name(k), st.pixels, st.checked, st.outside, st.in_empty,
                st.bad_rects);
    CU_ASSERT(st.checked > 0);
    CU_ASSERT_EQUAL(st.outside, 0);
    CU_ASSERT_EQUAL(st.in_empty, 0);
    CU_ASSERT_EQUAL(st.bad_rects, 0);
    gridr_test_check_coverage(p);
    gridr_plan_free(p);
}

static const gridr_interp_kind kernels[] = {GRIDR_INTERP_NEAREST, GRIDR_INTERP_LINEAR,
                                            GRIDR_INTERP_CUBIC, GRIDR_INTERP_BSPLINE3};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

static void test_taps_affine(void)
{
    gridr_grid g;
    for (size_t k = 0; k < NKERNELS; k++) {
        gridr_test_make_shift(&g, 0, 0, 203, 151);
        check_taps(&g, kernels[k], 203, 151, 48, 40, "identity");
        ASSERT_OK(gridr_grid_init_zoom(&g, 2, 2, 406, 302));
        check_taps(&g, kernels[k], 203, 151, 64, 64, "zoom x2");
        ASSERT_OK(gridr_grid_init_zoom(&g, 0.5, 0.5, 101, 75));
        check_taps(&g, kernels[k], 203, 151, 16, 24, "zoom x0.5");
        gridr_test_make_rotation(&g, 30, 203, 151);
        check_taps(&g, kernels[k], 203, 151, 37, 53, "rotation 30");
        gridr_test_make_shift(&g, -20.6, 130.2, 203, 151);
        check_taps(&g, kernels[k], 203, 151, 32, 32, "shift");
    }
}

static void test_taps_array(void)
{
    wobble plain = {41, 31, 5, 4, 1, 1, 0.25, -0.5, 1, 0};
    wobble masked = {41, 31, 5, 4, 0.8, 1.2, -3.1, 2.7, 1, 1};
    gridr_grid g;
    for (size_t k = 0; k < NKERNELS; k++) {
        gridr_test_make_wobble(&plain, &g);
        check_taps(&g, kernels[k], 201, 121, 48, 40, "wobble");
        check_taps(&g, kernels[k], 201, 121, 7, 9, "wobble small windows");
        gridr_test_free_grid(&g);
        gridr_test_make_wobble(&masked, &g);
        check_taps(&g, kernels[k], 201, 121, 32, 16, "wobble masked");
        gridr_test_free_grid(&g);
    }
}

/* ---- edges, padding and empty windows ------------------------------------------------------- */

static void test_identity_halo_padding(void)
{
    gridr_grid g;
    gridr_resample_opts ro;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    gridr_test_make_shift(&g, 0, 0, 300, 200);
    gridr_resample_opts_init(&ro);
    ro.interp = GRIDR_INTERP_CUBIC; /* halo 2 */
    gridr_test_base_opts(&o, &g, &ro, 300, 200);
    o.win_rows = o.win_cols = 128;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 3 * 2);
    /* top-left: targets rows/cols 0..127 -> src -2..129, read 0..129 */
    const gridr_plan_window *w = gridr_plan_window_at(p, 0);
    CU_ASSERT(!w->empty);
    CU_ASSERT_EQUAL(w->src.row0, -2);
    CU_ASSERT_EQUAL(w->src.col0, -2);
    CU_ASSERT_EQUAL(w->src.rows, 132);
    CU_ASSERT_EQUAL(w->src.cols, 132);
    CU_ASSERT_EQUAL(w->read.row0, 0);
    CU_ASSERT_EQUAL(w->read.col0, 0);
    CU_ASSERT_EQUAL(w->read.rows, 130);
    CU_ASSERT_EQUAL(w->read.cols, 130);
    /* bottom-right: rows 256..299, cols 128..199 -> src 254..301 x 126..201 */
    w = gridr_plan_window_at(p, 5);
    CU_ASSERT_EQUAL(w->src.row0, 254);
    CU_ASSERT_EQUAL(w->src.rows, 48);
    CU_ASSERT_EQUAL(w->src.col0, 126);
    CU_ASSERT_EQUAL(w->src.cols, 76);
    CU_ASSERT_EQUAL(w->read.rows, 46);
    CU_ASSERT_EQUAL(w->read.cols, 74);
    CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_SRC], 48 * 76);
    CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_OUT], 44 * 72);
    CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_GRID], 0);
    CU_ASSERT_EQUAL(w->nodes.rows, 0);
    /* interior: exactly the halo around the window */
    w = gridr_plan_window_at(p, 2);
    CU_ASSERT_EQUAL(w->src.row0, 126);
    CU_ASSERT_EQUAL(w->src.rows, 132);
    CU_ASSERT_EQUAL(w->read.row0, 126);
    CU_ASSERT_EQUAL(w->read.rows, 132);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->max_src_rows, 132);
    gridr_plan_free(p);
}

static void test_outside_raster(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    const gridr_plan_summary *s;
    /* Entirely outside: every window empty, inputs not sized, outputs still sized. */
    gridr_test_make_shift(&g, 5000, 0, 100, 100);
    gridr_test_base_opts(&o, &g, NULL, 100, 100);
    o.has_out_mask = 1;
    o.has_src_mask = 1;
    o.win_rows = o.win_cols = 64;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    s = gridr_plan_summary_get(p);
    CU_ASSERT_EQUAL(s->count, 4);
    CU_ASSERT_EQUAL(s->empty_count, 4);
    for (long i = 0; i < s->count; i++) {
        const gridr_plan_window *w = gridr_plan_window_at(p, i);
        CU_ASSERT(w->empty);
        CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_SRC], 0);
        CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_SRC_MASK], 0);
        CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_OUT], (size_t)(w->out.rows * w->out.cols));
        CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_OUT_MASK], (size_t)(w->out.rows * w->out.cols));
    }
    CU_ASSERT_EQUAL(gridr_plan_max_bytes(p, GRIDR_PLAN_SRC), 0);
    CU_ASSERT_EQUAL(gridr_plan_peak_bytes(p), 2 * 2 * 64 * 64);
    gridr_plan_free(p);
    /* Partly outside (shifted by -100 rows, +70 cols): left/top bands empty or padded. */
    gridr_test_make_shift(&g, -100, 70, 200, 200);
    gridr_test_base_opts(&o, &g, NULL, 200, 200);
    o.win_rows = o.win_cols = 64;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    /* window (0,0): targets rows -100..-37 -> beyond the halo: empty */
    CU_ASSERT(gridr_plan_window_at(p, 0)->empty);
    /* window row 1 (out rows 64..127 -> src -36..27), col 0 (src 70..133): padded top */
    const gridr_plan_window *w = gridr_plan_window_at(p, 4);
    CU_ASSERT(!w->empty);
    CU_ASSERT_EQUAL(w->src.row0, -1);
    CU_ASSERT_EQUAL(w->read.row0, 0);
    CU_ASSERT_EQUAL(w->read.rows, 29);
    /* window row 1, col 2 (out cols 128..191 -> src 198..261): mostly outside, padded right */
    w = gridr_plan_window_at(p, 6);
    CU_ASSERT(!w->empty);
    CU_ASSERT_EQUAL(w->src.col0, 197);
    CU_ASSERT_EQUAL(w->src.cols, 4);
    CU_ASSERT_EQUAL(w->read.cols, 3);
    /* col 3 (out cols 192..199 -> src 262..269): empty */
    CU_ASSERT(gridr_plan_window_at(p, 7)->empty);
    gridr_plan_free(p);
}

static void test_masked_grid_empty(void)
{
    /* Half the nodes (top-left quarter) masked: windows inside it are empty. */
    wobble wb = {41, 41, 8, 8, 1, 1, 0, 0, 0, 1};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    gridr_test_make_wobble(&wb, &g);
    gridr_test_base_opts(&o, &g, NULL, 400, 400);
    o.win_rows = o.win_cols = 64;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    /* out 321 x 321 -> 6 x 6 windows; nodes 0..19 masked -> out rows/cols < 160 masked, so
     * windows (0..1) x (0..1) have only masked nodes (their node window ends at node 16). */
    CU_ASSERT_EQUAL(gridr_plan_count(p), 36);
    CU_ASSERT(gridr_plan_window_at(p, 0)->empty);
    CU_ASSERT(gridr_plan_window_at(p, 7)->empty);
    CU_ASSERT(!gridr_plan_window_at(p, 35)->empty);
    CU_ASSERT_EQUAL(gridr_plan_window_at(p, 0)->bytes[GRIDR_PLAN_GRID], 0);
    CU_ASSERT(gridr_plan_window_at(p, 35)->bytes[GRIDR_PLAN_GRID_MASK] > 0);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->empty_count, 4);
    gridr_plan_free(p);
    gridr_test_free_grid(&g);
}

/* ---- byte sizes ----------------------------------------------------------------------------- */

static void test_bytes(void)
{
    wobble wb = {31, 21, 4, 6, 1, 1, 0.5, 0.5, 1, 1};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    size_t mx[GRIDR_PLAN_NARRAYS] = {0};
    gridr_test_make_wobble(&wb, &g);
    gridr_test_base_opts(&o, &g, NULL, 130, 130);
    o.bands = 3;
    o.src_dtype = GRIDR_DT_U16;
    o.out_dtype = GRIDR_DT_F32;
    o.grid_dtype = GRIDR_DT_F32; /* slices stored as f32 though the full grid is f64 */
    o.has_src_mask = o.has_out_mask = 1;
    o.workers = 3;
    o.prefetch = 2;
    o.win_rows = 40;
    o.win_cols = 50;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    for (long i = 0; i < gridr_plan_count(p); i++) {
        const gridr_plan_window *w = gridr_plan_window_at(p, i);
        gridr_rect nw;
        ASSERT_OK(gridr_grid_node_window(&g, w->out, &nw));
        CU_ASSERT(memcmp(&nw, &w->nodes, sizeof nw) == 0);
        size_t s = (size_t)(w->src.rows * w->src.cols), n = (size_t)(nw.rows * nw.cols);
        size_t out = (size_t)(w->out.rows * w->out.cols);
        size_t e[GRIDR_PLAN_NARRAYS] = {3 * 2 * s, s, 2 * 4 * n, n, 3 * 4 * out, out};
        if (w->empty)
            e[GRIDR_PLAN_SRC] = e[GRIDR_PLAN_SRC_MASK] = e[GRIDR_PLAN_GRID] =
                e[GRIDR_PLAN_GRID_MASK] = 0;
        for (int a = 0; a < GRIDR_PLAN_NARRAYS; a++) {
            CU_ASSERT_EQUAL(w->bytes[a], e[a]);
            mx[a] = e[a] > mx[a] ? e[a] : mx[a];
        }
    }
    size_t sum = 0;
    for (int a = 0; a < GRIDR_PLAN_NARRAYS; a++) {
        CU_ASSERT_EQUAL(gridr_plan_max_bytes(p, (gridr_plan_array)a), mx[a]);
        sum += mx[a];
    }
    CU_ASSERT(mx[GRIDR_PLAN_SRC] > 0 && mx[GRIDR_PLAN_GRID_MASK] > 0);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->window_bytes, sum);
    CU_ASSERT_EQUAL(gridr_plan_peak_bytes(p), 5 * sum);
    const gridr_plan_summary *su = gridr_plan_summary_get(p);
    CU_ASSERT_EQUAL(su->bands, 3);
    CU_ASSERT_EQUAL(su->src_dtype, GRIDR_DT_U16);
    CU_ASSERT_EQUAL(su->out_dtype, GRIDR_DT_F32);
    CU_ASSERT_EQUAL(su->grid_dtype, GRIDR_DT_F32);
    CU_ASSERT_EQUAL(su->raster_rows, 130);
    CU_ASSERT_EQUAL(su->in_flight, 5);
    CU_ASSERT_STRING_EQUAL(gridr_plan_array_name(GRIDR_PLAN_GRID_MASK), "grid_mask");
    gridr_plan_free(p);
    gridr_test_free_grid(&g);
}

/* The encoded-tiles array: header + every enc tile a window touches; absent by default. */
static void test_tiles_bytes(void)
{
    wobble wb = {31, 21, 4, 6, 1, 1, 0.5, 0.5, 1, 1};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL, *q = NULL;
    gridr_test_make_wobble(&wb, &g);
    gridr_test_base_opts(&o, &g, NULL, 130, 130);
    o.win_rows = 40;
    o.win_cols = 50;
    ASSERT_OK(gridr_plan_new(&o, &q));
    o.enc_tile_rows = 16;
    o.enc_tile_cols = 32;
    o.enc_tile_bytes = 1000;
    o.enc_head_bytes = 48;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL && q != NULL);
    size_t mx = 0;
    for (long i = 0; i < gridr_plan_count(p); i++) {
        const gridr_plan_window *w = gridr_plan_window_at(p, i);
        long nty = 0, ntx = 0;
        for (long t = 0; t * 16 < 130; t++)
            nty += t * 16 < w->out.row0 + w->out.rows && (t + 1) * 16 > w->out.row0;
        for (long t = 0; t * 32 < 130; t++)
            ntx += t * 32 < w->out.col0 + w->out.cols && (t + 1) * 32 > w->out.col0;
        CU_ASSERT_EQUAL(w->bytes[GRIDR_PLAN_TILES], 48 + (size_t)(nty * ntx) * 1000);
        CU_ASSERT_EQUAL(gridr_plan_window_at(q, i)->bytes[GRIDR_PLAN_TILES], 0);
        mx = w->bytes[GRIDR_PLAN_TILES] > mx ? w->bytes[GRIDR_PLAN_TILES] : mx;
    }
    CU_ASSERT_EQUAL(mx, 48 + 9 * 1000); /* rows [80, 120) and cols [50, 100) touch 3 x 3 */
    CU_ASSERT_EQUAL(gridr_plan_max_bytes(p, GRIDR_PLAN_TILES), mx);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->window_bytes,
                    gridr_plan_summary_get(q)->window_bytes + mx);
    CU_ASSERT_STRING_EQUAL(gridr_plan_array_name(GRIDR_PLAN_TILES), "tiles");
    gridr_plan_free(p);
    gridr_plan_free(q);
    o.enc_tile_bytes = 0;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    gridr_test_free_grid(&g);
}

static CU_TestInfo tests[] = {
    {"coverage with a given window", test_coverage_user_window},
    {"coverage with budget windows", test_coverage_budget},
    {"deterministic", test_deterministic},
    {"taps inside source windows (affine)", test_taps_affine},
    {"taps inside source windows (array)", test_taps_array},
    {"identity: halo and padding", test_identity_halo_padding},
    {"grid pointing outside the raster", test_outside_raster},
    {"masked grid nodes -> empty", test_masked_grid_empty},
    {"byte sizes and maxima", test_bytes},
    {"encoded-tiles array", test_tiles_bytes},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_plan_suite = {"plan", NULL, NULL, NULL, NULL, tests};
