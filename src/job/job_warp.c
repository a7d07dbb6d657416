/* gridr: the warp job keys (gdalwarp's names): parsing them from text, and their checks. */
#include "base/internal.h"
#include "gridr/job.h"

#include "job_internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- setters --------------------------------------------------------------------------------- */

/* `n` finite numbers separated by commas or spaces (leading ones too) into `out`. Returns what
   follows them, or NULL when one is missing or not finite. */
static const char *scan_numbers(const char *v, double *out, int n)
{
    const char *p = v;
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        while (*p == ',' || *p == ' ')
            p++;
        out[i] = strtod(p, &end);
        if (end == p || !isfinite(out[i]))
            return NULL;
        p = end;
    }
    return p;
}

/* "tr" XRES,YRES (one value: square pixels). */
int gridr__job_set_tr(gridr_job *j, const gridr__job_key *k, const char *v)
{
    char a[64], b[64];
    double x = 0, y = 0;
    const char *what = "XRES,YRES, resolutions > 0 in the output CRS's units";
    if (v && (gridr__job_split_pair(k->name, v, a, b, sizeof a, what) ||
              gridr__job_parse_double(k->name, a, 0, &x) ||
              gridr__job_parse_double(k->name, b, 0, &y) || !(x > 0 && y > 0)))
        return gridr__job_bad_value(k->name, v, what);
    j->tr_x = x;
    j->tr_y = y;
    return 0;
}

/* "te" XMIN,YMIN,XMAX,YMAX (commas or spaces). */
int gridr__job_set_te(gridr_job *j, const gridr__job_key *k, const char *v)
{
    double e[4] = {0, 0, 0, 0};
    const char *p = v ? scan_numbers(v, e, 4) : "";
    if (!p)
        return gridr__job_bad_value(k->name, v, "XMIN,YMIN,XMAX,YMAX");
    if (v && (*p || !(e[2] > e[0] && e[3] > e[1])))
        return gridr__job_bad_value(k->name, v,
                                    "XMIN,YMIN,XMAX,YMAX with XMIN < XMAX and YMIN < YMAX");
    j->has_te = v != NULL;
    memcpy(j->te, e, sizeof e);
    return 0;
}

/* "dst-geotransform": six numbers separated by commas or spaces. */
int gridr__job_set_dst_gt(gridr_job *j, const gridr__job_key *k, const char *v)
{
    double g[6] = {0, 1, 0, 0, 0, 1};
    const char *p = v ? scan_numbers(v, g, 6) : "";
    if (!p)
        return gridr__job_bad_value(k->name, v, "six numbers X0,DX,RX,Y0,RY,DY (GDAL's order)");
    if (v && (*p || g[1] * g[5] - g[2] * g[4] == 0))
        return gridr__job_bad_value(k->name, v,
                                    "six numbers X0,DX,RX,Y0,RY,DY of an invertible transform");
    j->has_dst_geotransform = v != NULL;
    memcpy(j->dst_geotransform, g, sizeof g);
    return 0;
}

/* "ts" W,H or WxH; one of them may be 0 (from the extent's aspect). */
int gridr__job_set_ts(gridr_job *j, const gridr__job_key *k, const char *v)
{
    long w = 0, h = 0;
    char *end = NULL;
    const char *what = "W,H (or WxH), sizes >= 0, not both 0";
    if (v) {
        w = strtol(v, &end, 10);
        if (end == v || (*end != ',' && *end != 'x' && *end != 'X'))
            return gridr__job_bad_value(k->name, v, what);
        const char *q = end + 1;
        h = strtol(q, &end, 10);
        if (end == q || *end || w < 0 || h < 0 || w > INT_MAX || h > INT_MAX || (w == 0 && h == 0))
            return gridr__job_bad_value(k->name, v, what);
    }
    j->ts_cols = w;
    j->ts_rows = h;
    return 0;
}

/* "to": transformer options, a list like "co". */
int gridr__job_set_to(gridr_job *j, const gridr__job_key *k, const char *v)
{
    return gridr__job_set_kv_list(k, v, &j->transform_options, &j->ntransform_options,
                                  "KEY=VALUE, e.g. RPC_HEIGHT=100");
}

/* ---- validation ------------------------------------------------------------------------------ */

/* The keys of a warp job on another kind of job. */
int gridr__job_forbid_warp(const gridr_job *j)
{
    int rc = gridr__job_forbid(j, j->t_srs != NULL, "t-srs");
    rc = rc ? rc : gridr__job_forbid(j, j->s_srs != NULL, "s-srs");
    rc = rc ? rc : gridr__job_forbid(j, j->tr_x != 0, "tr");
    rc = rc ? rc : gridr__job_forbid(j, j->has_te, "te");
    rc = rc ? rc : gridr__job_forbid(j, j->te_srs != NULL, "te-srs");
    rc = rc ? rc : gridr__job_forbid(j, j->ts_cols != 0 || j->ts_rows != 0, "ts");
    rc = rc ? rc : gridr__job_forbid(j, j->tap, "tap");
    rc = rc ? rc : gridr__job_forbid(j, j->ntransform_options != 0, "to");
    rc = rc ? rc : gridr__job_forbid(j, j->rpc_dem != NULL, "rpc-dem");
    rc = rc ? rc : gridr__job_forbid(j, j->has_rpc_height, "rpc-height");
    rc = rc ? rc : gridr__job_forbid(j, j->gcp_order != 0, "order");
    rc = rc ? rc : gridr__job_forbid(j, j->keep_grid != NULL, "keep-grid");
    return rc ? rc : gridr__job_forbid(j, j->tps, "tps");
}

int gridr__job_check_warp(const gridr_job *j)
{
    int rc = gridr__job_forbid(j, j->zoom_fx != 0, "factor");
    rc = rc ? rc : gridr__job_forbid(j, j->size_rows != 0, "size");
    rc = rc ? rc : gridr__job_forbid(j, j->has_dst_geotransform, "dst-geotransform");
    rc = rc ? rc : gridr__job_forbid(j, j->dst_srs != NULL, "dst-srs");
    rc = rc ? rc : gridr__job_forbid_grid(j);
    if (!rc && j->tap && j->tr_x == 0)
        rc = gridr__fail(GRIDR_EINVAL, "%s: key 'tap' needs key 'tr'", gridr__job_origin(j));
    if (!rc && j->tr_x != 0 && (j->ts_cols || j->ts_rows))
        rc = gridr__fail(GRIDR_EINVAL, "%s: keys 'tr' and 'ts' exclude each other",
                         gridr__job_origin(j));
    if (!rc && j->te_srs && !j->has_te)
        rc = gridr__fail(GRIDR_EINVAL, "%s: key 'te-srs' needs key 'te'", gridr__job_origin(j));
    if (!rc && j->keep_grid && strcmp(j->keep_grid, j->dst) == 0)
        rc = gridr__fail(GRIDR_EINVAL, "%s: key 'keep-grid' names the output '%s'",
                         gridr__job_origin(j), j->dst);
    if (!rc && j->tps && j->gcp_order)
        rc = gridr__fail(GRIDR_EINVAL, "%s: keys 'tps' and 'order' exclude each other",
                         gridr__job_origin(j));
    return rc;
}
