/* gridr: GridR's conventions in a run: grid oversampling metadata, zoom geotransform. */
#include "base/internal.h"
#include "gridr/raster.h"
#include "gridr/pipeline.h"
#include "gridr/transform.h"
#include "pipeline_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int res_item(const gridr_raster *r, const char *key, long *out)
{
    const char *v = gridr_raster_metadata(r, key);
    char *end = NULL;
    *out = 1;
    if (!v)
        return 0;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (end && (*end == ' ' || *end == '\t'))
        end++;
    if (errno || end == v || *end || n < 1)
        return gridr__fail(GRIDR_EFORMAT, "metadata item %s='%s' of '%s' is not a positive integer",
                           key, v, gridr_raster_path(r));
    *out = n;
    return 0;
}

int gridr_pipeline_grid_res(const gridr_raster *r, long *res_row, long *res_col)
{
    int rc = res_item(r, GRIDR_RASTER_MD_RES_ROW, res_row);
    if (!rc)
        rc = res_item(r, GRIDR_RASTER_MD_RES_COL, res_col);
    return rc;
}

void gridr_pipeline_zoom_geotransform(const double src[6], double fy, double fx, double out[6])
{
    /* Output corner coordinate (y, x) is source corner coordinate (y / fy, x / fx). */
    double gt[6] = {src[0], src[1] / fx, src[2] / fy, src[3], src[4] / fx, src[5] / fy};
    memcpy(out, gt, sizeof gt);
}

/* Six numbers of a geotransform in `v` (commas or spaces); -1 when not. */
static int parse_gt(const char *v, double g[6])
{
    const char *p = v;
    for (int i = 0; i < 6; i++) {
        char *end = NULL;
        while (*p == ',' || *p == ' ')
            p++;
        g[i] = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
    }
    return *p ? -1 : 0;
}

/* A grid job's output georeferencing: the job's dst-geotransform / dst-srs, else the grid file's
 * GRIDR_DST_GEOTRANSFORM / GRIDR_DST_SRS metadata items; none when neither gives them. */
int gridr__pipeline_grid_georef(gridr__pipeline_ctx *c, const gridr_job *j)
{
    double gt[6];
    const char *md_gt =
        c->grid_r ? gridr_raster_metadata(c->grid_r, "GRIDR_DST_GEOTRANSFORM") : NULL;
    const char *srs = j->dst_srs  ? j->dst_srs
                      : c->grid_r ? gridr_raster_metadata(c->grid_r, "GRIDR_DST_SRS")
                                  : NULL;
    int rc = 0;
    if (j->has_dst_geotransform)
        rc = gridr_raster_set_geotransform(c->dst, j->dst_geotransform);
    else if (md_gt && parse_gt(md_gt, gt) != 0)
        rc = gridr__fail(GRIDR_EFORMAT,
                         "metadata item GRIDR_DST_GEOTRANSFORM='%s' of '%s' is not 6 numbers",
                         md_gt, j->grid);
    else if (md_gt)
        rc = gridr_raster_set_geotransform(c->dst, gt);
    if (rc == 0 && srs && *srs) {
        char *wkt = NULL;
        rc = gridr_transform_srs_wkt(srs, j->dst_srs ? "dst-srs" : "GRIDR_DST_SRS", &wkt);
        if (rc == 0)
            rc = gridr_raster_set_crs_wkt(c->dst, wkt);
        free(wkt);
    }
    return rc;
}
