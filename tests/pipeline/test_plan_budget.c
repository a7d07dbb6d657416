/* gridr tests: plan_budget: budget, alignment, load balance, streamed grid, options, dump. */
#include "unit.h"
#include "plan_util.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- budget --------------------------------------------------------------------------------- */

static void test_budget_choice(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    const gridr_plan_summary *s;
    /* Identity 4096^2, u8, linear (halo 1), 2 in flight. A 1024^2 window needs
     * 1026^2 + 1024^2 = 2101252 B (x2 = 4202504); 1024 x 2048 needs 8400904 in flight. */
    gridr_test_make_shift(&g, 0, 0, 4096, 4096);
    gridr_test_base_opts(&o, &g, NULL, 4096, 4096);
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
    gridr_test_make_shift(&g1, 0, 0, 2048, 2048);
    ASSERT_OK(gridr_grid_init_zoom(&g2, 0.25, 0.25, 2048, 2048));
    gridr_test_base_opts(&o, &g1, NULL, 8192, 8192);
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
    gridr_test_check_coverage(p2);
    gridr_plan_free(p1);
    gridr_plan_free(p2);
}

static void test_budget_impossible(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = (gridr_plan *)&g; /* must be reset to NULL */
    gridr_test_make_shift(&g, 0, 0, 1000, 1000);
    gridr_test_base_opts(&o, &g, NULL, 1000, 1000);
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
    gridr_test_base_opts(&o, &g, NULL, 10000, 10000);
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
    gridr_test_make_shift(&g, 0, 0, 1000, 777);
    gridr_test_base_opts(&o, &g, NULL, 1000, 777);
    o.win_rows = 300; /* cols follow */
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_summary_get(p)->win_cols, 300);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 4 * 3);
    CU_ASSERT_EQUAL(gridr_plan_window_at(p, 4)->out.row0, 300);
    CU_ASSERT_EQUAL(gridr_plan_window_at(p, 4)->out.col0, 300);
    gridr_test_check_coverage(p);
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
    gridr_test_make_rotation(&g, 10, 3000, 2500);
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        gridr_plan *p = NULL;
        gridr_test_base_opts(&o, &g, NULL, 3000, 2500);
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
    gridr_test_base_opts(&o, &g, NULL, 12000, 12000);
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
    gridr_test_check_coverage(p);
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
    gridr_test_make_shift(&g, 0, 0, 4096, 4096);
    gridr_test_base_opts(&o, &g, NULL, 4096, 4096);
    o.mem_budget = 4500000;
    o.min_windows = 4;
    ASSERT_OK(gridr_plan_new(&o, &p));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(gridr_plan_count(p), 16);
    gridr_plan_free(p);
    /* An output below one block stays one window; a user window wins. */
    gridr_test_make_shift(&g, 0, 0, 200, 180);
    gridr_test_base_opts(&o, &g, NULL, 200, 180);
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
    gridr_test_make_wobble(wb, &g);
    gridr_test_base_opts(&o, &g, NULL, rows, cols);
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
    gridr_test_free_grid(&g);
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
    gridr_test_make_shift(&g, 0, 0, 100, 100);
    gridr_test_base_opts(&o, &g, NULL, 100, 100);
    o.load_nodes = test_loader;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
}

/* ---- options, dump -------------------------------------------------------------------------- */

static void test_bad_options(void)
{
    gridr_grid g;
    gridr_plan_opts o;
    gridr_plan *p = NULL;
    gridr_test_make_shift(&g, 0, 0, 100, 100);
    ASSERT_STATUS(gridr_plan_new(NULL, &p), GRIDR_EINVAL);
    gridr_test_base_opts(&o, NULL, NULL, 100, 100);
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "no grid"));
    gridr_test_base_opts(&o, &g, NULL, 100, 100);
    o.out_dtype = GRIDR_DT_UNKNOWN;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "output data type"));
    gridr_test_base_opts(&o, &g, NULL, 0, 100);
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "source raster size"));
    gridr_test_base_opts(&o, &g, NULL, 100, 100);
    o.workers = 0;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    gridr_test_base_opts(&o, &g, NULL, 100, 100);
    o.out_rows = 101;
    ASSERT_STATUS(gridr_plan_new(&o, &p), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "exceeds what the grid covers"));
    gridr_test_base_opts(&o, &g, NULL, 100, 100);
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
    gridr_test_make_shift(&g, 0, 0, 600, 500);
    gridr_test_base_opts(&o, &g, NULL, 600, 500);
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

CU_SuiteInfo gridr_test_plan_budget_suite = {"plan_budget", NULL, NULL, NULL, NULL, tests};
