/* gridr tests: plan: coverage, determinism, source windows hold every tap, budget, alignment. */
#include "unit.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixtures ------------------------------------------------------------------------------- */

/* An oversampled array grid with a wobble: node (I, J) sits on output (I*rr, J*rc) and points at
 * source (I*rr*sy + oy + 3 sin(J/3), J*rc*sx + ox + 2 cos(I/2)). Nodes with mask_fn true are
 * masked. The caller frees g->nodes.data and g->mask.data. */
typedef struct wobble {
    long nrows, ncols;
    int rr, rc;
    double sy, sx, oy, ox, amp;
    int masked_block; /* mask nodes I < nrows/2, J < ncols/2 */
} wobble;

static void make_wobble(const wobble *w, gridr_grid *g)
{
    double *d = malloc(sizeof(double) * 2 * (size_t)w->nrows * (size_t)w->ncols);
    uint8_t *m = malloc((size_t)w->nrows * (size_t)w->ncols);
    size_t plane = (size_t)w->nrows * (size_t)w->ncols;
    CU_ASSERT_FATAL(d != NULL && m != NULL);
    for (long I = 0; I < w->nrows; I++)
        for (long J = 0; J < w->ncols; J++) {
            size_t k = (size_t)I * (size_t)w->ncols + (size_t)J;
            d[k] = (double)I * w->rr * w->sy + w->oy + w->amp * 3 * sin(J / 3.0);
            d[plane + k] = (double)J * w->rc * w->sx + w->ox + w->amp * 2 * cos(I / 2.0);
            m[k] = !(w->masked_block && I < w->nrows / 2 && J < w->ncols / 2);
        }
    ASSERT_OK(gridr_grid_init_array(g, gridr_array_make(d, GRIDR_DT_F64, 2, w->nrows, w->ncols),
                                    w->rr, w->rc));
    if (w->masked_block) {
        g->mask = gridr_array_make(m, GRIDR_DT_U8, 1, w->nrows, w->ncols);
        g->mask_valid = 1;
    } else {
        free(m);
    }
}

static void free_grid(gridr_grid *g)
{
    if (g->kind == GRIDR_GRID_ARRAY) {
        free(g->nodes.data);
        free(g->mask.data);
    }
}

/* Affine rotation by `deg` about the centre of an n x m raster, output n x m. */
static void make_rotation(gridr_grid *g, double deg, long n, long m)
{
    double t = deg * M_PI / 180, cr = (n - 1) / 2.0, cc = (m - 1) / 2.0;
    double a[6] = {cr - cos(t) * cr - sin(t) * cc, cos(t),  sin(t),
                   cc + sin(t) * cr - cos(t) * cc, -sin(t), cos(t)};
    ASSERT_OK(gridr_grid_init_affine(g, a, n, m));
}

static void make_shift(gridr_grid *g, double dr, double dc, long n, long m)
{
    double a[6] = {dr, 1, 0, dc, 0, 1};
    ASSERT_OK(gridr_grid_init_affine(g, a, n, m));
}

static void base_opts(gridr_plan_opts *o, const gridr_grid *g, const gridr_resample_opts *r,
                      long rows, long cols)
{
    gridr_plan_opts_init(o);
    o->grid = g;
    o->resample = r;
    o->raster_rows = rows;
    o->raster_cols = cols;
    o->src_dtype = GRIDR_DT_U8;
    o->out_dtype = GRIDR_DT_U8;
}

/* Every output pixel covered exactly once, windows in row-major order, indices in order. */
static void check_coverage(const gridr_plan *p)
{
    const gridr_plan_summary *s = gridr_plan_summary_get(p);
    unsigned char *cov = calloc((size_t)(s->out_rows * s->out_cols), 1);
    long bad = 0, prev_r = -1, prev_c = -1;
    CU_ASSERT_FATAL(cov != NULL);
    for (long i = 0; i < gridr_plan_count(p); i++) {
        const gridr_plan_window *w = gridr_plan_window_at(p, i);
        CU_ASSERT_EQUAL(w->index, i);
        CU_ASSERT(w->out.row0 > prev_r || (w->out.row0 == prev_r && w->out.col0 > prev_c));
        prev_r = w->out.row0;
        prev_c = w->out.col0;
        for (long r = w->out.row0; r < w->out.row0 + w->out.rows; r++)
            for (long c = w->out.col0; c < w->out.col0 + w->out.cols; c++)
                if (r < 0 || c < 0 || r >= s->out_rows || c >= s->out_cols)
                    bad++;
                else
                    cov[r * s->out_cols + c]++;
    }
    for (long k = 0; k < s->out_rows * s->out_cols; k++)
        bad += cov[k] != 1;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_PTR_NULL(gridr_plan_window_at(p, gridr_plan_count(p)));
    CU_ASSERT_PTR_NULL(gridr_plan_window_at(p, -1));
    free(cov);
}

/* ---- coverage and determinism --------------------------------------------------------------- */

static void test_coverage_user_window(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    make_shift(&g, 0, 0, 1000, 777);
    base_opts(&o, &g, NULL, 1000, 777);
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
    check_coverage(p);
    gridr_plan_free(p);
}

static void test_coverage_budget(void)
{
    static const size_t budgets[] = {0, 64u << 20, 1u << 20, 300000, 40000};
    gridr_grid g;
    gridr_plan_opts o;
    make_shift(&g, 0.3, -0.2, 1000, 777);
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        gridr_plan *p = NULL;
        base_opts(&o, &g, NULL, 1000, 777);
        o.mem_budget = budgets[b];
        ASSERT_OK(gridr_plan_new(&o, &p));
        CU_ASSERT_FATAL(p != NULL);
        check_coverage(p);
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
    make_wobble(&wb, &g);
    base_opts(&o, &g, NULL, 250, 210);
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
    free_grid(&g);
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
    base_opts(&o, g, &ro, R, C);
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
    check_coverage(p);
    gridr_plan_free(p);
}

static const gridr_interp_kind kernels[] = {GRIDR_INTERP_NEAREST, GRIDR_INTERP_LINEAR,
                                            GRIDR_INTERP_CUBIC, GRIDR_INTERP_BSPLINE3};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

static void test_taps_affine(void)
{
    gridr_grid g;
    for (size_t k = 0; k < NKERNELS; k++) {
        make_shift(&g, 0, 0, 203, 151);
        check_taps(&g, kernels[k], 203, 151, 48, 40, "identity");
        ASSERT_OK(gridr_grid_init_zoom(&g, 2, 2, 406, 302));
        check_taps(&g, kernels[k], 203, 151, 64, 64, "zoom x2");
        ASSERT_OK(gridr_grid_init_zoom(&g, 0.5, 0.5, 101, 75));
        check_taps(&g, kernels[k], 203, 151, 16, 24, "zoom x0.5");
        make_rotation(&g, 30, 203, 151);
        check_taps(&g, kernels[k], 203, 151, 37, 53, "rotation 30");
        make_shift(&g, -20.6, 130.2, 203, 151);
        check_taps(&g, kernels[k], 203, 151, 32, 32, "shift");
    }
}

static void test_taps_array(void)
{
    wobble plain = {41, 31, 5, 4, 1, 1, 0.25, -0.5, 1, 0};
    wobble masked = {41, 31, 5, 4, 0.8, 1.2, -3.1, 2.7, 1, 1};
    gridr_grid g;
    for (size_t k = 0; k < NKERNELS; k++) {
        make_wobble(&plain, &g);
        check_taps(&g, kernels[k], 201, 121, 48, 40, "wobble");
        check_taps(&g, kernels[k], 201, 121, 7, 9, "wobble small windows");
        free_grid(&g);
        make_wobble(&masked, &g);
        check_taps(&g, kernels[k], 201, 121, 32, 16, "wobble masked");
        free_grid(&g);
    }
}

/* ---- edges, padding and empty windows ------------------------------------------------------- */

static void test_identity_halo_padding(void)
{
    gridr_grid g;
    gridr_resample_opts ro;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    make_shift(&g, 0, 0, 300, 200);
    gridr_resample_opts_init(&ro);
    ro.interp = GRIDR_INTERP_CUBIC; /* halo 2 */
    base_opts(&o, &g, &ro, 300, 200);
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
    make_shift(&g, 5000, 0, 100, 100);
    base_opts(&o, &g, NULL, 100, 100);
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
    make_shift(&g, -100, 70, 200, 200);
    base_opts(&o, &g, NULL, 200, 200);
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
    make_wobble(&wb, &g);
    base_opts(&o, &g, NULL, 400, 400);
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
    free_grid(&g);
}

/* ---- byte sizes ----------------------------------------------------------------------------- */

static void test_bytes(void)
{
    wobble wb = {31, 21, 4, 6, 1, 1, 0.5, 0.5, 1, 1};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    size_t mx[GRIDR_PLAN_NARRAYS] = {0};
    make_wobble(&wb, &g);
    base_opts(&o, &g, NULL, 130, 130);
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
    free_grid(&g);
}

/* The encoded-tiles array: header + every enc tile a window touches; absent by default. */
static void test_tiles_bytes(void)
{
    wobble wb = {31, 21, 4, 6, 1, 1, 0.5, 0.5, 1, 1};
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL, *q = NULL;
    make_wobble(&wb, &g);
    base_opts(&o, &g, NULL, 130, 130);
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
    free_grid(&g);
}

/* ---- budget --------------------------------------------------------------------------------- */

static void test_budget_choice(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    const gridr_plan_summary *s;
    /* Identity 4096^2, u8, linear (halo 1), 2 in flight. A 1024^2 window needs
     * 1026^2 + 1024^2 = 2101252 B (x2 = 4202504); 1024 x 2048 needs 8400904 in flight. */
    make_shift(&g, 0, 0, 4096, 4096);
    base_opts(&o, &g, NULL, 4096, 4096);
    o.mem_budget = 4500000;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    s = gridr_plan_summary_get(p);
    CU_ASSERT_EQUAL(s->win_rows, 1024);
    CU_ASSERT_EQUAL(s->win_cols, 1024);
    CU_ASSERT_EQUAL(s->user_window, 0);
    CU_ASSERT_EQUAL(s->count, 16);
    CU_ASSERT_EQUAL(s->window_bytes, 2101252);
    CU_ASSERT_EQUAL(gridr_plan_peak_bytes(p), 4202504);
    gridr_plan_free(p);
    /* Just enough for 1024 x 2048 (wide before tall). */
    o.mem_budget = 8400904;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    s = gridr_plan_summary_get(p);
    CU_ASSERT_EQUAL(s->win_rows, 1024);
    CU_ASSERT_EQUAL(s->win_cols, 2048);
    CU_ASSERT_EQUAL(gridr_plan_peak_bytes(p), 8400904);
    gridr_plan_free(p);
    /* No budget: the largest window. */
    o.mem_budget = 0;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->win_rows, GRIDR_PLAN_MAX_WINDOW);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->win_cols, GRIDR_PLAN_MAX_WINDOW);
    gridr_plan_free(p);
}

static void test_budget_zoom_out(void)
{
    gridr_grid g1, g2;
    gridr_plan_opts o;
    gridr_plan *p1 = NULL, *p2 = NULL;
    /* The same budget gives smaller output windows when each maps to more source. */
    make_shift(&g1, 0, 0, 2048, 2048);
    ASSERT_OK(gridr_grid_init_zoom(&g2, 0.25, 0.25, 2048, 2048));
    base_opts(&o, &g1, NULL, 8192, 8192);
    o.mem_budget = 8u << 20;
    o.workers = 2;
    o.prefetch = 1;
    ASSERT_OK(gridr_plan_new(&o, &p1));
    o.grid = &g2;
    ASSERT_OK(gridr_plan_new(&o, &p2));
    CU_ASSERT_FATAL(p1 && p2);
    const gridr_plan_summary *s1 = gridr_plan_summary_get(p1), *s2 = gridr_plan_summary_get(p2);
    CU_ASSERT(s2->win_rows * s2->win_cols < s1->win_rows * s1->win_cols);
    CU_ASSERT(gridr_plan_peak_bytes(p1) <= o.mem_budget);
    CU_ASSERT(gridr_plan_peak_bytes(p2) <= o.mem_budget);
    CU_ASSERT(s2->max_src_rows >= 4 * s2->win_rows);
    check_coverage(p2);
    gridr_plan_free(p1);
    gridr_plan_free(p2);
}

static void test_budget_impossible(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = (gridr_plan *)&g; /* must be reset to NULL */
    make_shift(&g, 0, 0, 1000, 1000);
    base_opts(&o, &g, NULL, 1000, 1000);
    o.mem_budget = 1024;
    o.workers = 4;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NULL(p);
    /* smallest window 16 x 16: 18*18 + 16*16 = 580 B x 5 in flight = 2900 B */
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "memory budget 1.0 KiB is too small"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "16 x 16 window needs at least 580 B x 5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "2.8 KiB"));
    /* Heavy zoom-out: even 16 x 16 output pixels need a 1602^2 source window. */
    ASSERT_OK(gridr_grid_init_zoom(&g, 0.01, 0.01, 100, 100));
    base_opts(&o, &g, NULL, 10000, 10000);
    o.mem_budget = 1u << 20;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "memory budget 1.0 MiB is too small"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "raise the memory budget"));
}

/* ---- user window, alignment ----------------------------------------------------------------- */

static void test_user_window(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    make_shift(&g, 0, 0, 1000, 777);
    base_opts(&o, &g, NULL, 1000, 777);
    o.win_rows = 300; /* cols follow */
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->win_cols, 300);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 4 * 3);
    CU_ASSERT_EQUAL(gridr_plan_window_at(p, 4)->out.row0, 300);
    CU_ASSERT_EQUAL(gridr_plan_window_at(p, 4)->out.col0, 300);
    check_coverage(p);
    gridr_plan_free(p);
    /* Given window over a non-zero budget: refused with both figures. */
    o.win_cols = 500;
    o.mem_budget = 100000;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "window size 300 x 500"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "over the memory budget 97.7 KiB"));
    /* Same window within the budget: honoured, peak reported. */
    o.mem_budget = 2 * (302 * 502 + 300 * 500);
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_peak_bytes(p), o.mem_budget);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->user_window, 1);
    gridr_plan_free(p);
}

static void check_aligned(const gridr_plan *p, long block)
{
    const gridr_plan_summary *s = gridr_plan_summary_get(p);
    long step_r = s->win_rows, step_c = s->win_cols;
    CU_ASSERT(step_r >= block ? step_r % block == 0 : block % step_r == 0);
    CU_ASSERT(step_c >= block ? step_c % block == 0 : block % step_c == 0);
    for (long i = 0; i < s->count; i++) {
        const gridr_plan_window *w = gridr_plan_window_at(p, i);
        CU_ASSERT_EQUAL(w->out.row0 % step_r, 0);
        CU_ASSERT_EQUAL(w->out.col0 % step_c, 0);
    }
}

static void test_alignment(void)
{
    static const size_t budgets[] = {1u << 30, 6u << 20, 3u << 20, 700000, 200000, 9000};
    gridr_grid g;
    gridr_plan_opts o;
    long prev = LONG_MAX;
    make_rotation(&g, 10, 3000, 2500);
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        gridr_plan *p = NULL;
        base_opts(&o, &g, NULL, 3000, 2500);
        o.mem_budget = budgets[b];
        ASSERT_OK(gridr_plan_new(&o, &p));
        CU_ASSERT_FATAL(p != NULL);
        const gridr_plan_summary *s = gridr_plan_summary_get(p);
        check_aligned(p, 256);
        CU_ASSERT(gridr_plan_peak_bytes(p) <= budgets[b]);
        CU_ASSERT(s->win_rows * s->win_cols <= prev);
        prev = s->win_rows * s->win_cols;
        gridr_plan_free(p);
    }
    CU_ASSERT(prev < 256 * 256); /* the last budget went below one block */
    /* another block size */
    gridr_plan *p = NULL;
    o.block = 100;
    o.mem_budget = 1u << 20;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    check_aligned(p, 100);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->block, 100);
    gridr_plan_free(p);
}

/* Plan of the W1 zoom /2 workload (12000^2 u16 -> 6000^2, linear, 2 workers, 1 GiB) with
 * min_windows m: the window count and size. */
static void zoom_half_plan(long m, long count, long rows, long cols)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    ASSERT_OK(gridr_grid_init_zoom(&g, 0.5, 0.5, 6000, 6000));
    base_opts(&o, &g, NULL, 12000, 12000);
    o.src_dtype = o.out_dtype = GRIDR_DT_U16;
    o.workers = 2;
    o.mem_budget = (size_t)1 << 30;
    o.min_windows = m;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    const gridr_plan_summary *s = gridr_plan_summary_get(p);
    CU_ASSERT_EQUAL(s->count, count);
    CU_ASSERT_EQUAL(s->win_rows, rows);
    CU_ASSERT_EQUAL(s->win_cols, cols);
    check_coverage(p);
    check_aligned(p, 256);
    gridr_plan_free(p);
}

static void test_min_windows(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    zoom_half_plan(0, 9, 2048, 2048);   /* off: the largest window, 3 x 3 */
    zoom_half_plan(9, 9, 2048, 2048);   /* already enough */
    zoom_half_plan(16, 18, 1024, 2048); /* 6 x 3: rows halve first */
    zoom_half_plan(32, 36, 1024, 1024);
    zoom_half_plan(64, 72, 512, 1024);
    zoom_half_plan(100000, 576, 256, 256); /* never below the block: 24 x 24 */
    /* A budget that already forces 1024^2 windows (16 of them) is not undone. */
    make_shift(&g, 0, 0, 4096, 4096);
    base_opts(&o, &g, NULL, 4096, 4096);
    o.mem_budget = 4500000;
    o.min_windows = 4;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 16);
    gridr_plan_free(p);
    /* An output below one block stays one window; a user window wins. */
    make_shift(&g, 0, 0, 200, 180);
    base_opts(&o, &g, NULL, 200, 180);
    o.min_windows = 50;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 1);
    gridr_plan_free(p);
    o.win_rows = 100;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 4);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->user_window, 1);
    gridr_plan_free(p);
    o.min_windows = -1;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "min_windows"));
}

/* ---- streamed grid -------------------------------------------------------------------------- */

typedef struct loader_state {
    const gridr_grid *full; /* the in-memory grid the loader copies from */
    long calls, max_rows, fail_at;
} loader_state;

static void copy_window(const gridr_array *src, gridr_rect win, gridr_array *dst)
{
    size_t es = gridr_dtype_size(src->dtype);
    for (int b = 0; b < dst->bands; b++)
        for (long r = 0; r < win.rows; r++)
            memcpy(gridr_array_at(dst, b, r, 0), gridr_array_at(src, b, win.row0 + r, win.col0),
                   (size_t)win.cols * es);
}

static int test_loader(void *user, gridr_rect win, gridr_array *nodes, gridr_array *mask)
{
    loader_state *st = user;
    if (++st->calls == st->fail_at)
        return gridr_set_error(GRIDR_EIO, "test loader: node rows %ld+%ld", win.row0, win.rows);
    if (nodes->rows != win.rows || nodes->cols != win.cols || nodes->bands != 2 ||
        (mask != NULL) != (st->full->mask.data != NULL))
        return gridr_set_error(GRIDR_EINVAL, "test loader: bad arrays");
    if (win.rows > st->max_rows)
        st->max_rows = win.rows;
    copy_window(&st->full->nodes, win, nodes);
    if (mask)
        copy_window(&st->full->mask, win, mask);
    return 0;
}

/* A plan from streamed nodes is the plan from the in-memory grid, window for window. */
static void check_streamed(const wobble *wb, long rows, long cols, size_t budget, long min_win)
{
    gridr_grid g, meta;
    gridr_plan_opts o;
    gridr_plan *p1 = NULL, *p2 = NULL;
    loader_state st = {&g, 0, 0, 0};
    make_wobble(wb, &g);
    base_opts(&o, &g, NULL, rows, cols);
    o.mem_budget = budget;
    o.min_windows = min_win;
    o.block = 32;
    ASSERT_OK(gridr_plan_new(&o, &p1));
    meta = g;
    meta.nodes.data = NULL;
    meta.mask.data = NULL;
    o.grid = &meta;
    o.grid_mask = g.mask.data != NULL;
    o.load_nodes = test_loader;
    o.load_user = &st;
    ASSERT_OK(gridr_plan_new(&o, &p2));
    CU_ASSERT_FATAL(p1 && p2);
    CU_ASSERT_EQUAL(gridr_plan_count(p1), gridr_plan_count(p2));
    CU_ASSERT_EQUAL(
        memcmp(gridr_plan_summary_get(p1), gridr_plan_summary_get(p2), sizeof(gridr_plan_summary)),
        0);
    for (long i = 0; i < gridr_plan_count(p1); i++)
        CU_ASSERT_EQUAL(memcmp(gridr_plan_window_at(p1, i), gridr_plan_window_at(p2, i),
                               sizeof(gridr_plan_window)),
                        0);
    /* one load per row of windows (and per candidate), never the whole grid */
    CU_ASSERT(st.calls >=
              (gridr_plan_summary_get(p2)->out_rows + 1) / gridr_plan_summary_get(p2)->win_rows);
    /* with the chosen window given, each load holds one row of windows' nodes */
    const gridr_plan_summary *su = gridr_plan_summary_get(p2);
    o.win_rows = su->win_rows;
    o.win_cols = su->win_cols;
    st.max_rows = 0;
    gridr_plan_free(p2);
    ASSERT_OK(gridr_plan_new(&o, &p2));
    CU_ASSERT(st.max_rows <= (o.win_rows - 1 + wb->rr - 1) / wb->rr + 1);
    o.win_rows = o.win_cols = 0;
    gridr_plan_free(p1);
    gridr_plan_free(p2);
    /* a loader failure is the plan's failure, nothing left behind */
    st.calls = 0;
    st.fail_at = 2;
    p2 = (gridr_plan *)&st;
    ASSERT_STATUS(gridr_plan_new(&o, &p2), GRIDR_EIO);
    CU_ASSERT_PTR_NULL(p2);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "test loader"));
    free_grid(&g);
}

static void test_streamed_grid(void)
{
    wobble plain = {61, 41, 4, 5, 1, 1, 0.3, -0.4, 1, 0};
    wobble masked = {41, 41, 8, 8, 1, 1, 0, 0, 0, 1};
    check_streamed(&plain, 250, 210, 60000, 0);
    check_streamed(&plain, 250, 210, 0, 12);
    check_streamed(&masked, 400, 400, 200000, 0);
    /* an affine grid cannot be streamed */
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    make_shift(&g, 0, 0, 100, 100);
    base_opts(&o, &g, NULL, 100, 100);
    o.load_nodes = test_loader;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
}

/* ---- options, dump -------------------------------------------------------------------------- */

static void test_bad_options(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    make_shift(&g, 0, 0, 100, 100);
    ASSERT_STATUS(gridr_plan_new(NULL, &p), GRIDR_EINVAL);
    base_opts(&o, NULL, NULL, 100, 100);
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "no grid"));
    base_opts(&o, &g, NULL, 100, 100);
    o.out_dtype = GRIDR_DT_UNKNOWN;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "output data type"));
    base_opts(&o, &g, NULL, 0, 100);
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "source raster size"));
    base_opts(&o, &g, NULL, 100, 100);
    o.workers = 0;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    base_opts(&o, &g, NULL, 100, 100);
    o.out_rows = 101;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "exceeds what the grid covers"));
    base_opts(&o, &g, NULL, 100, 100);
    o.win_rows = o.win_cols = 1;
    o.out_rows = 100;
    ASSERT_OK(gridr_plan_new(&o, &p)); /* 10000 windows of one pixel is fine */
    CU_ASSERT_EQUAL(gridr_plan_count(p), 10000);
    gridr_plan_free(p);
    gridr_plan_free(NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(NULL), 0);
}

static void test_dump(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    char *buf = NULL;
    size_t len = 0;
    make_shift(&g, 0, 0, 600, 500);
    base_opts(&o, &g, NULL, 600, 500);
    o.mem_budget = 64u << 20;
    o.block = 256;
    o.win_rows = o.win_cols = 256;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_FATAL(f != NULL);
    ASSERT_OK(gridr_plan_dump(p, f, 1));
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "6 windows of 256 x 256 (given, block 256), 0 empty"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "of budget 64.0 MiB"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(buf, "window 0 out=0,0+256x256 src=-1,-1+258x258 read=0,0+257x257"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "window 5 out=512,256+88x244"));
    long lines = 0;
    for (char *c = buf; *c; c++)
        lines += *c == '\n';
    CU_ASSERT_EQUAL(lines, 4 + 6);
    free(buf);
    ASSERT_STATUS(gridr_plan_dump(p, NULL, 0), GRIDR_EINVAL);
    gridr_plan_free(p);
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
    {"budget picks the window", test_budget_choice},
    {"budget with a zoom-out", test_budget_zoom_out},
    {"impossible budget", test_budget_impossible},
    {"user window", test_user_window},
    {"alignment", test_alignment},
    {"min_windows: load balance", test_min_windows},
    {"streamed grid nodes", test_streamed_grid},
    {"bad options", test_bad_options},
    {"dump", test_dump},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_plan_suite = {"plan", NULL, NULL, NULL, NULL, tests};
