/* gridr: GridR's conventions in a run: grid oversampling metadata, zoom geotransform. */
#include "base/internal.h"
#include "gridr/raster.h"
#include "gridr/pipeline.h"

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
