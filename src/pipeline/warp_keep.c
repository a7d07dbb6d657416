/* gridr: --keep-grid of a warp job: its grid written in GridR's two-band format. */
#include "base/internal.h"
#include "gridr/raster.h"
#include "gridr/registry.h"
#include "gridr/transform.h"
#include "gridr/job.h"
#include "pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Node rows transformed and written at a time. */
#define STRIP 64

static const char *const keep_co[] = {"TILED=YES",        "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                                      "COMPRESS=DEFLATE", "PREDICTOR=3",    NULL};

/* The temporary name goes into the run's journal before the file exists. */
typedef struct keep_record {
    gridr_registry *reg;
    char *name;
} keep_record;

static int record(void *user, const char *tmp)
{
    keep_record *k = user;
    int rc = gridr_registry_add_temp(k->reg, tmp);
    if (rc == 0 && !(k->name = strdup(tmp)))
        rc = gridr__fail(GRIDR_ENOMEM, "out of memory");
    return rc;
}

/* Node rows [i0, i0 + n) of spacing s (cols nodes each) into buf (2 bands of n x cols). */
static int strip(gridr__pipeline_ctx *c, long i0, long n, long cols, long s, double *buf)
{
    double *r = buf, *q = buf + n * cols;
    uint8_t *ok = malloc((size_t)(n * cols));
    if (!ok)
        return gridr__fail(GRIDR_ENOMEM, "keep-grid: out of memory");
    for (long i = 0; i < n; i++)
        for (long j = 0; j < cols; j++)
            r[i * cols + j] = (double)((i0 + i) * s), q[i * cols + j] = (double)(j * s);
    int rc = gridr_transform_points(c->xf, n * cols, r, q, ok);
    for (long k = 0; rc == 0 && k < n * cols; k++)
        if (!ok[k])
            r[k] = q[k] = GRIDR__WARP_GRID_NODATA;
    free(ok);
    return rc;
}

static int metadata(gridr__pipeline_ctx *c, gridr_raster *g, long s)
{
    long rows, cols;
    double gt[6];
    char res[32], gts[256];
    gridr_transform_grid(c->xf, &rows, &cols, gt);
    snprintf(res, sizeof res, "%ld", s);
    snprintf(gts, sizeof gts, "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g", gt[0], gt[1], gt[2], gt[3],
             gt[4], gt[5]);
    int rc = gridr_raster_set_metadata(g, GRIDR_RASTER_MD_RES_ROW, res);
    if (rc == 0)
        rc = gridr_raster_set_metadata(g, GRIDR_RASTER_MD_RES_COL, res);
    if (rc == 0)
        rc = gridr_raster_set_metadata(g, "GRIDR_DST_GEOTRANSFORM", gts);
    if (rc == 0)
        rc = gridr_raster_set_metadata(g, "GRIDR_DST_SRS", gridr_transform_wkt(c->xf));
    for (int b = 1; rc == 0 && b <= 2; b++)
        rc = gridr_raster_set_nodata(g, b, GRIDR__WARP_GRID_NODATA);
    return rc;
}

static int write_nodes(gridr__pipeline_ctx *c, gridr_raster *g, long rows, long cols, long s)
{
    double *buf = malloc((size_t)(STRIP * cols) * 2 * sizeof *buf);
    int rc = buf ? 0 : gridr__fail(GRIDR_ENOMEM, "keep-grid: out of memory");
    for (long i = 0; rc == 0 && i < rows; i += STRIP) {
        long n = GRIDR__MIN(STRIP, rows - i);
        gridr_array a = gridr_array_make(buf, GRIDR_DT_F64, 2, n, cols);
        rc = strip(c, i, n, cols, s, buf);
        if (rc == 0)
            rc = gridr_raster_write(g, (gridr_rect){i, 0, n, cols}, &a);
    }
    free(buf);
    return rc;
}

int gridr__warp_keep_grid(gridr__pipeline_ctx *c, const gridr_job *j, gridr_registry *reg)
{
    long s = c->warp_min_res > 0 ? c->warp_min_res : GRIDR__WARP_CELL;
    long rows = (c->params.out_rows - 1 + s - 1) / s + 1,
         cols = (c->params.out_cols - 1 + s - 1) / s + 1;
    keep_record k = {reg, NULL};
    gridr_raster_create_opts co = {.creation_options = keep_co,
                                   .tag = gridr_registry_run_id(reg),
                                   .record = record,
                                   .record_user = &k};
    gridr_raster *g = NULL;
    rows = GRIDR__MAX(rows, 2);
    cols = GRIDR__MAX(cols, 2);
    int rc = gridr_raster_create(j->keep_grid, rows, cols, 2, GRIDR_DT_F64, &co, &g);
    if (rc == 0)
        rc = metadata(c, g, s);
    if (rc == 0)
        rc = write_nodes(c, g, rows, cols, s);
    if (rc == 0)
        rc = gridr_raster_commit(g);
    else
        gridr_raster_abort(g);
    if (k.name && access(k.name, F_OK) != 0)
        gridr_registry_forget_file(reg, k.name);
    free(k.name);
    return rc ? gridr__fail(rc, "keep-grid '%s': %s", j->keep_grid, gridr_last_error()) : 0;
}
