/* gridr: warp jobs in the parent: the transform, the output grid, the planner's coarse grid. */
#include "base/internal.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/raster.h"
#include "gridr/transform.h"
#include "gridr/job.h"
#include "pipeline_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Node spacing of the planner's coarse grid (doubled while it has more nodes than COARSE_MAX). */
#define COARSE_SPACING 32
#define COARSE_MAX (1L << 20)

/* Source pixels around the raster where the coarse grid's error counts for the margin. */
#define COARSE_BAND 64

/* The transformer options of the job: "to", then the keys gdalwarp spells as options. */
static int job_options(const gridr_job *j, char ***out)
{
    size_t n = j->ntransform_options, k = 0;
    char **o = calloc(n + 5, sizeof *o), buf[64];
    int fail = !o;
    for (size_t i = 0; !fail && i < n; i++)
        fail = !(o[k++] = strdup(j->transform_options[i]));
    if (!fail && j->rpc_dem && (o[k] = malloc(strlen(j->rpc_dem) + 9)) != NULL)
        sprintf(o[k++], "RPC_DEM=%s", j->rpc_dem);
    else
        fail |= j->rpc_dem != NULL;
    if (!fail && j->has_rpc_height) {
        snprintf(buf, sizeof buf, "RPC_HEIGHT=%.17g", j->rpc_height);
        fail = !(o[k++] = strdup(buf));
    }
    if (!fail && j->gcp_order) {
        snprintf(buf, sizeof buf, "MAX_GCP_ORDER=%d", j->gcp_order);
        fail = !(o[k++] = strdup(buf));
    }
    if (!fail && j->tps)
        fail = !(o[k++] = strdup("METHOD=GCP_TPS"));
    *out = o;
    return fail ? gridr__fail(GRIDR_ENOMEM, "out of memory") : 0;
}

static void free_list(char **o)
{
    for (size_t i = 0; o && o[i]; i++)
        free(o[i]);
    free(o);
}

static int open_transform(gridr__pipeline_ctx *c, const gridr_job *j)
{
    char **opts = NULL;
    gridr_transform_target t = {.t_srs = j->t_srs,
                                .s_srs = j->s_srs,
                                .tr_x = j->tr_x,
                                .tr_y = j->tr_y,
                                .has_te = j->has_te,
                                .te_srs = j->te_srs,
                                .ts_cols = j->ts_cols,
                                .ts_rows = j->ts_rows,
                                .tap = j->tap};
    memcpy(t.te, j->te, sizeof t.te);
    int rc = job_options(j, &opts);
    t.options = (const char *const *)opts;
    if (rc == 0)
        rc = gridr_transform_open(j->src, &t, &c->xf);
    free_list(opts);
    return rc;
}

/* Position (r, c) counts for the margin: near the raster. */
static int near_raster(const gridr__pipeline_ctx *c, double r, double col)
{
    double b = COARSE_BAND;
    return r > -b && r < (double)c->params.raster_rows + b && col > -b &&
           col < (double)c->params.raster_cols + b;
}

/* The largest distance between the transform at the centres of the coarse cells and the
 * bilinear value of their 4 nodes (where both are valid and near the raster). */
static int coarse_error(gridr__pipeline_ctx *c, const double *nr, const double *nc,
                        const uint8_t *ok, long rows, long cols, long s, double *err)
{
    long n = (rows - 1) * (cols - 1), k = 0;
    double *r = malloc((size_t)GRIDR__MAX(n, 1) * 2 * sizeof *r), *q = r + GRIDR__MAX(n, 1);
    uint8_t *v = malloc((size_t)GRIDR__MAX(n, 1));
    *err = 0;
    if (!r || !v) {
        free(r), free(v);
        return gridr__fail(GRIDR_ENOMEM, "warp: no memory for the coarse grid's check");
    }
    for (long i = 0; i + 1 < rows; i++)
        for (long jj = 0; jj + 1 < cols; jj++, k++)
            r[k] = (double)(i * s) + (double)s / 2, q[k] = (double)(jj * s) + (double)s / 2;
    int rc = gridr_transform_points(c->xf, n, r, q, v);
    for (long i = 0, k2 = 0; rc == 0 && i + 1 < rows; i++)
        for (long jj = 0; jj + 1 < cols; jj++, k2++) {
            long a = i * cols + jj, b = a + 1, d = a + cols, e = d + 1;
            if (!v[k2] || !ok[a] || !ok[b] || !ok[d] || !ok[e])
                continue;
            double br = (nr[a] + nr[b] + nr[d] + nr[e]) / 4,
                   bc = (nc[a] + nc[b] + nc[d] + nc[e]) / 4;
            if (near_raster(c, r[k2], q[k2]) || near_raster(c, br, bc))
                *err = GRIDR__MAX(*err, hypot(r[k2] - br, q[k2] - bc));
        }
    free(r);
    free(v);
    return rc;
}

/* How far the exact positions of coarse cell (i, j)'s pixels (every step-th) lie beyond the
 * bounding box of its valid corners, near the raster; 0 unless 1 to 3 corners are valid. */
static int partial_excess(gridr__pipeline_ctx *c, const double *nr, const double *nc,
                          const uint8_t *ok, long cols, long s, long i, long j, double *x)
{
    long a[4] = {i * cols + j, i * cols + j + 1, (i + 1) * cols + j, (i + 1) * cols + j + 1};
    double bb[4] = {HUGE_VAL, -HUGE_VAL, HUGE_VAL, -HUGE_VAL};
    int nok = 0;
    *x = 0;
    for (int k = 0; k < 4; k++)
        if (ok[a[k]] && ++nok)
            bb[0] = fmin(bb[0], nr[a[k]]), bb[1] = fmax(bb[1], nr[a[k]]),
            bb[2] = fmin(bb[2], nc[a[k]]), bb[3] = fmax(bb[3], nc[a[k]]);
    if (nok == 0 || nok == 4)
        return 0;
    long step = GRIDR__MAX(s / COARSE_SPACING, 1), m = s / step + 1, n = m * m;
    double *r = malloc((size_t)n * 2 * sizeof *r), *q = r + n;
    uint8_t *v = malloc((size_t)n);
    int rc = r && v ? 0 : gridr__fail(GRIDR_ENOMEM, "warp: no memory for the coarse grid's check");
    for (long k = 0; rc == 0 && k < n; k++)
        r[k] = (double)(i * s + k / m * step), q[k] = (double)(j * s + k % m * step);
    if (rc == 0)
        rc = gridr_transform_points(c->xf, n, r, q, v);
    for (long k = 0; rc == 0 && k < n; k++)
        if (v[k] && near_raster(c, r[k], q[k]))
            *x = fmax(*x, fmax(fmax(bb[0] - r[k], r[k] - bb[1]), fmax(bb[2] - q[k], q[k] - bb[3])));
    free(r);
    free(v);
    return rc;
}

/* The largest partial_excess of the coarse cells: where the transform fails on part of a cell,
 * its valid pixels may map beyond its valid nodes (a swath's or an RPC's edge). */
static int partial_margin(gridr__pipeline_ctx *c, const double *nr, const double *nc,
                          const uint8_t *ok, long rows, long cols, long s, double *extra)
{
    int rc = 0;
    *extra = 0;
    for (long i = 0; rc == 0 && i + 1 < rows; i++)
        for (long j = 0; rc == 0 && j + 1 < cols; j++) {
            double x;
            rc = partial_excess(c, nr, nc, ok, cols, s, i, j, &x);
            *extra = fmax(*extra, x);
        }
    return rc;
}

/* Transform the coarse grid's nodes (spacing s) into c->warp_nodes: rows band, cols band, mask. */
static int coarse_nodes(gridr__pipeline_ctx *c, long rows, long cols, long s, int *any_bad)
{
    size_t n = (size_t)rows * (size_t)cols;
    double *nr = malloc(n * (2 * sizeof(double) + 1)), *nc = nr + n;
    if (!nr)
        return gridr__fail(GRIDR_ENOMEM, "warp: no memory for %ld x %ld grid nodes", cols, rows);
    c->warp_nodes = nr;
    uint8_t *ok = (uint8_t *)(nc + n);
    for (long i = 0; i < rows; i++)
        for (long jj = 0; jj < cols; jj++)
            nr[i * cols + jj] = (double)(i * s), nc[i * cols + jj] = (double)(jj * s);
    int rc = gridr_transform_points(c->xf, (long)n, nr, nc, ok);
    *any_bad = 0;
    for (size_t k = 0; rc == 0 && k < n; k++)
        if (!ok[k]) {
            nr[k] = nc[k] = 0; /* masked: any finite value */
            *any_bad = 1;
        }
    return rc;
}

/* The planner's grid: exact nodes every s output pixels, and the margin its bilinear values
 * need to contain the positions the workers will use. */
static int coarse_grid(gridr__pipeline_ctx *c, long out_rows, long out_cols)
{
    long s = COARSE_SPACING, rows, cols;
    int bad = 0;
    for (;;) {
        rows = (out_rows - 1 + s - 1) / s + 1;
        cols = (out_cols - 1 + s - 1) / s + 1;
        if (rows * cols <= COARSE_MAX)
            break;
        s *= 2;
    }
    rows = GRIDR__MAX(rows, 2);
    cols = GRIDR__MAX(cols, 2);
    int rc = coarse_nodes(c, rows, cols, s, &bad);
    double *nr = c->warp_nodes, *nc = nr + rows * cols, err = 0;
    uint8_t *ok = (uint8_t *)(nc + rows * cols);
    double extra = 0;
    if (rc == 0)
        rc = coarse_error(c, nr, nc, ok, rows, cols, s, &err);
    if (rc == 0 && bad)
        rc = partial_margin(c, nr, nc, ok, rows, cols, s, &extra);
    if (rc)
        return rc;
    c->warp_margin = fmax(2 * err, extra) + 1 + c->params.warp_et;
    c->warp_coarse_err = err;
    gridr_grid *g = &c->grid;
    memset(g, 0, sizeof *g);
    rc =
        gridr_grid_init_array(g, gridr_array_make(nr, GRIDR_DT_F64, 2, rows, cols), (int)s, (int)s);
    if (rc == 0 && bad)
        g->mask = gridr_array_make(ok, GRIDR_DT_U8, 1, rows, cols);
    return rc ? rc : gridr__warp_aa_setup(c); /* the margin at each window's reduction */
}

int gridr__warp_setup(gridr__pipeline_ctx *c, const gridr_job *j)
{
    long rows, cols;
    double gt[6];
    int rc = open_transform(c, j);
    if (rc)
        return rc;
    gridr_transform_grid(c->xf, &rows, &cols, gt);
    c->params.warp = 1;
    c->params.warp_et = j->et;
    c->params.grid_dtype = GRIDR_DT_F64;
    gridr_transform_desc(c->xf, &c->params.warp_desc_len);
    if (c->params.warp_desc_len == 0)
        return gridr__fail(GRIDR_ENOMEM, "out of memory");
    rc = coarse_grid(c, rows, cols);
    c->params.out_rows = rows;
    c->params.out_cols = cols;
    return rc;
}

size_t gridr__warp_array_bytes(const gridr__pipeline_ctx *c)
{
    return sizeof(gridr__warp_stats) + c->params.warp_desc_len;
}

void gridr__warp_prepare(const gridr__pipeline_ctx *c, gridr_array *arrays)
{
    size_t len;
    const char *d = gridr_transform_desc(c->xf, &len);
    char *a = arrays[GRIDR__WARP_ARRAY].data;
    memset(a, 0, sizeof(gridr__warp_stats));
    memcpy(a + sizeof(gridr__warp_stats), d, len);
}

void gridr__warp_finish(gridr__pipeline_ctx *c, gridr_array *arrays)
{
    gridr__warp_stats s;
    memcpy(&s, arrays[GRIDR__WARP_ARRAY].data, sizeof s);
    c->warp_max_err = GRIDR__MAX(c->warp_max_err, s.max_err);
    c->warp_nodes_count += (long)s.nodes;
    c->warp_cells += (long)s.cells;
    c->warp_points += (long)s.points;
    if (s.min_res > 0 && (c->warp_min_res == 0 || s.min_res < c->warp_min_res))
        c->warp_min_res = (long)s.min_res;
}

int gridr__warp_georef(gridr__pipeline_ctx *c)
{
    long rows, cols;
    double gt[6];
    gridr_transform_grid(c->xf, &rows, &cols, gt);
    int rc = gridr_raster_set_geotransform(c->dst, gt);
    return rc ? rc : gridr_raster_set_crs_wkt(c->dst, gridr_transform_wkt(c->xf));
}

void gridr__warp_close(gridr__pipeline_ctx *c)
{
    gridr_transform_free(c->xf);
    free(c->warp_nodes);
    free(c->warp_scales);
    c->xf = NULL;
    c->warp_nodes = NULL;
    c->warp_scales = NULL;
}
