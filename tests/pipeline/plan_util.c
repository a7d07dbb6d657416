/* gridr tests: grid and option fixtures and the coverage check shared by the plan suites. */
#include "unit.h"
#include "plan_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

void gridr_test_make_wobble(const wobble *w, gridr_grid *g)
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

void gridr_test_free_grid(gridr_grid *g)
{
    if (g->kind == GRIDR_GRID_ARRAY) {
        free(g->nodes.data);
        free(g->mask.data);
    }
}

/* Affine rotation by `deg` about the centre of an n x m raster, output n x m. */
void gridr_test_make_rotation(gridr_grid *g, double deg, long n, long m)
{
    double t = deg * M_PI / 180, cr = (n - 1) / 2.0, cc = (m - 1) / 2.0;
    double a[6] = {cr - cos(t) * cr - sin(t) * cc, cos(t),  sin(t),
                   cc + sin(t) * cr - cos(t) * cc, -sin(t), cos(t)};
    ASSERT_OK(gridr_grid_init_affine(g, a, n, m));
}

void gridr_test_make_shift(gridr_grid *g, double dr, double dc, long n, long m)
{
    double a[6] = {dr, 1, 0, dc, 0, 1};
    ASSERT_OK(gridr_grid_init_affine(g, a, n, m));
}

void gridr_test_base_opts(gridr_plan_opts *o, const gridr_grid *g, const gridr_resample_opts *r,
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
void gridr_test_check_coverage(const gridr_plan *p)
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
