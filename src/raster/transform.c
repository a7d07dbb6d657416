/* gridr: the exact transform of a warp (GDAL's generic transformer) and gdalwarp's output grid. */
#include "base/internal.h"
#include "gridr/transform.h"

#include "raster_internal.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal_alg.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Description keys of our own (the others are GDAL transformer options). */
#define KEY_GT "GRIDR_DST_GEOTRANSFORM="
#define KEY_SIZE "GRIDR_DST_SIZE="

struct gridr_transform {
    GDALDatasetH ds;
    void *xf;    /* GDAL's generic transformer, source -> output CRS */
    char *src;   /* the source's path */
    char **opts; /* the transformer's options, resolved (DST_SRS as WKT) */
    char *wkt;   /* output CRS */
    long rows, cols;
    double gt[6];
    char *desc; /* gridr_transform_desc, built on demand */
    size_t desc_len;
    double *buf; /* x, y, z of gridr_transform_points */
    int *okbuf;
    long cap;
};

void gridr_transform_free(gridr_transform *t)
{
    if (!t)
        return;
    if (t->xf)
        GDALDestroyGenImgProjTransformer(t->xf);
    if (t->ds)
        GDALClose(t->ds);
    CSLDestroy(t->opts);
    free(t->src);
    free(t->wkt);
    free(t->desc);
    free(t->buf);
    free(t->okbuf);
    free(t);
}

/* `text` (EPSG:4326, a WKT, a PROJ string, a file...) as WKT into *wkt (malloc'd). */
static int to_wkt(const char *text, const char *what, char **wkt)
{
    gridr__gdal_capture cap;
    OGRSpatialReferenceH h = OSRNewSpatialReference(NULL);
    char *w = NULL;
    gridr__gdal_begin(&cap);
    int bad = !h || OSRSetFromUserInput(h, text) != OGRERR_NONE || OSRExportToWkt(h, &w) != 0;
    gridr__gdal_end(&cap);
    if (h)
        OSRDestroySpatialReference(h);
    if (bad || !w) {
        CPLFree(w);
        return gridr__fail(GRIDR_EINVAL,
                           "%s '%s' is not a coordinate reference system GDAL knows: %s", what,
                           text, gridr__gdal_msg(&cap));
    }
    *wkt = strdup(w);
    CPLFree(w);
    return *wkt ? 0 : gridr__fail(GRIDR_ENOMEM, "out of memory");
}

int gridr_transform_srs_wkt(const char *text, const char *what, char **wkt)
{
    gridr__gdal_init();
    return to_wkt(text, what, wkt);
}

/* The source's own CRS (of its geotransform, else of its GCPs) or "". */
static const char *source_srs(GDALDatasetH ds)
{
    const char *p = GDALGetProjectionRef(ds);
    if (p && *p)
        return p;
    p = GDALGetGCPCount(ds) > 0 ? GDALGetGCPProjection(ds) : NULL;
    return p ? p : "";
}

/* Resolve the transformer options: the user's, SRC_SRS (-s_srs) and DST_SRS (-t_srs, else the
 * source's CRS), both as WKT. */
static int resolve_options(gridr_transform *t, const gridr_transform_target *g)
{
    char *s = NULL;
    int rc = 0;
    for (const char *const *o = g->options; o && *o; o++)
        t->opts = CSLAddString(t->opts, *o);
    if (g->s_srs && (rc = to_wkt(g->s_srs, "-s_srs", &s)) == 0) {
        t->opts = CSLSetNameValue(t->opts, "SRC_SRS", s);
        free(s);
    }
    if (rc)
        return rc;
    if (g->t_srs)
        rc = to_wkt(g->t_srs, "-t_srs", &t->wkt);
    else if (g->s_srs)
        rc = to_wkt(g->s_srs, "-s_srs", &t->wkt);
    else if (*source_srs(t->ds))
        rc = to_wkt(source_srs(t->ds), "the source's CRS", &t->wkt);
    else
        rc = gridr__fail(GRIDR_EFORMAT,
                         "'%s' has no coordinate reference system: give the output's (-t_srs) "
                         "and the source's (-s_srs) if it has a geotransform",
                         t->src);
    if (rc == 0)
        t->opts = CSLSetNameValue(t->opts, "DST_SRS", t->wkt);
    return rc;
}

/* Open the source and create the transformer from the resolved options. */
static int create(gridr_transform *t)
{
    gridr__gdal_capture cap;
    gridr__gdal_init();
    gridr__gdal_begin(&cap);
    if (!t->ds)
        t->ds = GDALOpenEx(t->src, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (t->ds && t->opts)
        t->xf = GDALCreateGenImgProjTransformer2(t->ds, NULL, t->opts);
    gridr__gdal_end(&cap);
    if (!t->ds)
        return gridr__fail(GRIDR_EIO, "cannot open '%s': %s", t->src, gridr__gdal_msg(&cap));
    if (t->opts && !t->xf)
        return gridr__fail(GRIDR_EFORMAT, "no transform from '%s' to the output: %s", t->src,
                           gridr__gdal_msg(&cap));
    return 0;
}

/* ---- gdalwarp's output grid -------------------------------------------------------------------
 */

/* The extent (xmin ymin xmax ymax) of -te in the output CRS (its corners from -te_srs). */
static int target_extent(const gridr_transform *t, const gridr_transform_target *g, double e[4])
{
    memcpy(e, g->te, 4 * sizeof *e);
    if (!g->te_srs)
        return 0;
    char *w = NULL;
    int rc = to_wkt(g->te_srs, "-te_srs", &w);
    if (rc)
        return rc;
    OGRSpatialReferenceH a = OSRNewSpatialReference(w), b = OSRNewSpatialReference(t->wkt);
    OGRCoordinateTransformationH ct = NULL;
    gridr__gdal_capture cap;
    gridr__gdal_begin(&cap);
    if (a && b) {
        OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(a, b);
    }
    /* gdalwarp (GDAL 3.6) transforms the lower-left and upper-right corners only */
    double x[2] = {g->te[0], g->te[2]}, y[2] = {g->te[1], g->te[3]};
    int ok = ct && OCTTransform(ct, 2, x, y, NULL);
    e[0] = x[0], e[1] = y[0], e[2] = x[1], e[3] = y[1];
    gridr__gdal_end(&cap);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    free(w);
    if (!ok)
        return gridr__fail(GRIDR_EINVAL, "-te: cannot transform the extent from -te_srs '%s': %s",
                           g->te_srs, gridr__gdal_msg(&cap));
    return 0;
}

static int check_size(double cols, double rows)
{
    if (!(cols >= 1 && rows >= 1 && cols < 1e9 && rows < 1e9))
        return gridr__fail(GRIDR_EINVAL,
                           "the output would be %.0f x %.0f pixels: check -te, -tr and -ts", cols,
                           rows);
    return 0;
}

/* -tr (with -tap) over extent e. */
static int grid_tr(gridr_transform *t, const gridr_transform_target *g, double e[4])
{
    if (g->tap) {
        e[0] = floor(e[0] / g->tr_x) * g->tr_x;
        e[2] = ceil(e[2] / g->tr_x) * g->tr_x;
        e[1] = floor(e[1] / g->tr_y) * g->tr_y;
        e[3] = ceil(e[3] / g->tr_y) * g->tr_y;
    }
    double cols = floor((e[2] - e[0] + g->tr_x / 2) / g->tr_x);
    double rows = floor((fabs(e[3] - e[1]) + g->tr_y / 2) / g->tr_y);
    double gt[6] = {e[0], g->tr_x, 0, e[3], 0, -g->tr_y};
    memcpy(t->gt, gt, sizeof gt);
    t->cols = (long)cols;
    t->rows = (long)rows;
    return check_size(cols, rows);
}

/* -ts over extent e (one side 0: from the extent's aspect). */
static int grid_ts(gridr_transform *t, const gridr_transform_target *g, const double e[4])
{
    double w = e[2] - e[0], h = e[3] - e[1];
    double cols = (double)g->ts_cols, rows = (double)g->ts_rows;
    if (cols == 0)
        cols = floor(rows * w / h + 0.5);
    if (rows == 0)
        rows = floor(cols * h / w + 0.5);
    int rc = check_size(cols, rows);
    double rx = w / cols, ry = h / rows;
    if (g->ts_cols == 0) /* one size given: square pixels of its resolution */
        rx = ry;
    if (g->ts_rows == 0)
        ry = rx;
    double gt[6] = {e[0], rx, 0, e[3], 0, -ry};
    memcpy(t->gt, gt, sizeof gt);
    t->cols = (long)cols;
    t->rows = (long)rows;
    return rc;
}

/* The local output resolution at output point k of 3 (the point, one eps along x, one along y):
 * eps over the mean distance its steps make in the source, or 0 if not a usable point. */
static double local_res(const double *x, const double *y, const int *ok, double eps, int nx, int ny)
{
    if (!ok[0] || !ok[1] || !ok[2] || !(x[0] >= 0 && x[0] <= nx && y[0] >= 0 && y[0] <= ny))
        return 0;
    double r1 = fabs(eps) / hypot(x[1] - x[0], y[1] - y[0]);
    double r2 = fabs(eps) / hypot(x[2] - x[0], y[2] - y[0]);
    return isfinite(r1) && isfinite(r2) ? (r1 + r2) / 2 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

/* gdalwarp's resolution for -te alone (GDAL >= 3.2): the source's local resolution at 10 x 10
 * points over the extent, each with its neighbours eps = min(width, height) / 1000 away; the
 * smallest above a tenth of their median (outliers off). INFINITY when no point maps inside. */
static double te_resolution(const gridr_transform *t, const double e[4])
{
    enum { NX = 10, NY = 10, N = 3 * NX * NY };
    double x[N], y[N], z[N] = {0}, res[NX * NY];
    int ok[N], n = 0;
    double eps = fmin(e[2] - e[0], fabs(e[3] - e[1])) / 1000;
    for (int iy = 0, k = 0; iy < NY; iy++)
        for (int ix = 0; ix < NX; ix++, k += 3) {
            double px = e[0] + (double)ix * (e[2] - e[0]) / (NX - 1);
            double py = e[1] + (double)iy * (e[3] - e[1]) / (NY - 1);
            x[k] = px, y[k] = py;
            x[k + 1] = ix == NX - 1 ? px - eps : px + eps, y[k + 1] = py;
            x[k + 2] = px, y[k + 2] = iy == NY - 1 ? py - eps : py + eps;
        }
    gridr__gdal_capture cap;
    gridr__gdal_begin(&cap);
    GDALGenImgProjTransform(t->xf, TRUE, N, x, y, z, ok);
    gridr__gdal_end(&cap);
    int sx = GDALGetRasterXSize(t->ds), sy = GDALGetRasterYSize(t->ds);
    for (int k = 0; k < N; k += 3) {
        double r = local_res(x + k, y + k, ok + k, eps, sx, sy);
        if (r > 0)
            res[n++] = r;
    }
    qsort(res, (size_t)n, sizeof *res, cmp_double);
    for (int k = 0; k < n; k++)
        if (res[k] > res[n / 2] / 10)
            return res[k];
    return INFINITY;
}

/* -te alone: gdalwarp's resolution for the extent (else the suggested one), adjusted to fit the
 * extent in whole pixels. */
static int grid_te(gridr_transform *t, const double e[4])
{
    double rx = t->gt[1], ry = fabs(t->gt[5]), r = te_resolution(t, e);
    if (isfinite(r))
        rx = ry = r;
    double cols = floor((e[2] - e[0] + rx / 2) / rx);
    double rows = floor((fabs(e[3] - e[1]) + ry / 2) / ry);
    int rc = check_size(cols, rows);
    double gt[6] = {e[0], (e[2] - e[0]) / cols, 0, e[3], 0, -(e[3] - e[1]) / rows};
    memcpy(t->gt, gt, sizeof gt);
    t->cols = (long)cols;
    t->rows = (long)rows;
    return rc;
}

static int check_target(const gridr_transform_target *g)
{
    if (g->tap && !(g->tr_x > 0))
        return gridr__fail(GRIDR_EINVAL, "-tap needs -tr");
    if ((g->tr_x != 0 || g->tr_y != 0) &&
        !(g->tr_x > 0 && g->tr_y > 0 && isfinite(g->tr_x) && isfinite(g->tr_y)))
        return gridr__fail(GRIDR_EINVAL, "-tr %g %g: resolutions must be > 0", g->tr_x, g->tr_y);
    if (g->tr_x > 0 && (g->ts_cols || g->ts_rows))
        return gridr__fail(GRIDR_EINVAL, "-tr and -ts exclude each other");
    if (g->ts_cols < 0 || g->ts_rows < 0)
        return gridr__fail(GRIDR_EINVAL, "-ts %ld %ld: sizes must be >= 0", g->ts_cols, g->ts_rows);
    if (g->has_te && !(g->te[2] > g->te[0] && g->te[3] > g->te[1]))
        return gridr__fail(GRIDR_EINVAL, "-te %g %g %g %g: needs xmin < xmax and ymin < ymax",
                           g->te[0], g->te[1], g->te[2], g->te[3]);
    return 0;
}

/* GDALSuggestedWarpOutput2, then the options that override it, as gdalwarp applies them. */
static int output_grid(gridr_transform *t, const gridr_transform_target *g)
{
    gridr__gdal_capture cap;
    double ext[4], e[4];
    int px = 0, ln = 0;
    int rc = check_target(g);
    if (rc)
        return rc;
    gridr__gdal_begin(&cap);
    CPLErr err =
        GDALSuggestedWarpOutput2(t->ds, GDALGenImgProjTransform, t->xf, t->gt, &px, &ln, ext, 0);
    gridr__gdal_end(&cap);
    if (err != CE_None)
        return gridr__fail(GRIDR_EINVAL, "cannot find the output extent of '%s': %s", t->src,
                           gridr__gdal_msg(&cap));
    t->cols = px;
    t->rows = ln;
    e[0] = t->gt[0];
    e[2] = t->gt[0] + t->gt[1] * px;
    e[3] = t->gt[3];
    e[1] = t->gt[3] + t->gt[5] * ln;
    if (g->has_te && (rc = target_extent(t, g, e)) != 0)
        return rc;
    if (g->tr_x > 0)
        return grid_tr(t, g, e);
    if (g->ts_cols || g->ts_rows)
        return grid_ts(t, g, e);
    return g->has_te ? grid_te(t, e) : check_size((double)px, (double)ln);
}

int gridr_transform_open(const char *src, const gridr_transform_target *g, gridr_transform **out)
{
    gridr_transform *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t || !(t->src = strdup(src))) {
        free(t);
        return gridr__fail(GRIDR_ENOMEM, "out of memory");
    }
    int rc = create(t); /* opens the dataset (no transformer yet: no options) */
    if (rc == 0)
        rc = resolve_options(t, g);
    if (rc == 0)
        rc = create(t);
    if (rc == 0)
        rc = output_grid(t, g);
    if (rc) {
        gridr_transform_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- descriptions ------------------------------------------------------------------------- */

const char *gridr_transform_desc(const gridr_transform *t, size_t *len)
{
    gridr_transform *m = (gridr_transform *)t; /* built once, on demand */
    if (!m->desc) {
        char head[512];
        int n = snprintf(
            head, sizeof head, KEY_GT "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g%c" KEY_SIZE "%ld,%ld",
            t->gt[0], t->gt[1], t->gt[2], t->gt[3], t->gt[4], t->gt[5], 0, t->cols, t->rows);
        size_t total = strlen(t->src) + 1 + (size_t)n + 1 + 1;
        for (char **o = t->opts; o && *o; o++)
            total += strlen(*o) + 1;
        if (!(m->desc = malloc(total))) {
            *len = 0;
            return NULL;
        }
        size_t at = 0;
        memcpy(m->desc, t->src, strlen(t->src) + 1), at += strlen(t->src) + 1;
        memcpy(m->desc + at, head, (size_t)n + 1), at += (size_t)n + 1;
        for (char **o = t->opts; o && *o; o++)
            memcpy(m->desc + at, *o, strlen(*o) + 1), at += strlen(*o) + 1;
        m->desc[at++] = '\0';
        m->desc_len = at;
    }
    *len = m->desc_len;
    return m->desc;
}

/* One item of a description: gt and size into t, anything else a transformer option. */
static int desc_item(gridr_transform *t, const char *s)
{
    double *g = t->gt;
    if (strncmp(s, KEY_GT, strlen(KEY_GT)) == 0)
        return sscanf(s + strlen(KEY_GT), "%lg,%lg,%lg,%lg,%lg,%lg", &g[0], &g[1], &g[2], &g[3],
                      &g[4], &g[5]) == 6
                   ? 0
                   : -1;
    if (strncmp(s, KEY_SIZE, strlen(KEY_SIZE)) == 0)
        return sscanf(s + strlen(KEY_SIZE), "%ld,%ld", &t->cols, &t->rows) == 2 ? 0 : -1;
    t->opts = CSLAddString(t->opts, s);
    if (strncmp(s, "DST_SRS=", 8) == 0 && !(t->wkt = strdup(s + 8)))
        return -1;
    return 0;
}

int gridr_transform_from_desc(const char *desc, size_t len, gridr_transform **out)
{
    gridr_transform *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t || len < 2 || desc[len - 1] || desc[len - 2] || !(t->src = strdup(desc))) {
        free(t);
        return gridr__fail(GRIDR_EINVAL, "transform: not a transform description");
    }
    for (size_t at = strlen(desc) + 1; at < len && desc[at]; at += strlen(desc + at) + 1)
        if (desc_item(t, desc + at)) {
            gridr_transform_free(t);
            return gridr__fail(GRIDR_EINVAL, "transform: bad item '%.64s'", desc + at);
        }
    int rc = create(t);
    if (rc) {
        gridr_transform_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- use ---------------------------------------------------------------------------------- */

void gridr_transform_grid(const gridr_transform *t, long *rows, long *cols, double gt[6])
{
    *rows = t->rows;
    *cols = t->cols;
    memcpy(gt, t->gt, 6 * sizeof *gt);
}

const char *gridr_transform_wkt(const gridr_transform *t)
{
    return t->wkt;
}

static int reserve(gridr_transform *t, long n)
{
    if (n <= t->cap)
        return 0;
    double *b = realloc(t->buf, (size_t)n * 3 * sizeof *b);
    if (b)
        t->buf = b;
    int *k = b ? realloc(t->okbuf, (size_t)n * sizeof *k) : NULL;
    if (k)
        t->okbuf = k;
    if (!b || !k)
        return gridr__fail(GRIDR_ENOMEM, "transform: no memory for %ld points", n);
    t->cap = n;
    return 0;
}

int gridr_transform_points(gridr_transform *t, long n, double *row, double *col, uint8_t *ok)
{
    int rc =
        n > INT32_MAX ? gridr__fail(GRIDR_EINVAL, "transform: too many points") : reserve(t, n);
    if (rc || n <= 0)
        return rc;
    double *x = t->buf, *y = x + n, *z = y + n;
    const double *g = t->gt;
    for (long k = 0; k < n; k++) { /* output pixel centre -> output CRS */
        double c = col[k] + 0.5, r = row[k] + 0.5;
        x[k] = g[0] + c * g[1] + r * g[2];
        y[k] = g[3] + c * g[4] + r * g[5];
        z[k] = 0;
    }
    gridr__gdal_capture cap;
    gridr__gdal_begin(&cap);
    int all = GDALGenImgProjTransform(t->xf, TRUE, (int)n, x, y, z, t->okbuf);
    gridr__gdal_end(&cap);
    (void)all; /* FALSE when any point failed: the flags say which */
    for (long k = 0; k < n; k++) {
        int good = t->okbuf[k] && isfinite(x[k]) && isfinite(y[k]);
        ok[k] = (uint8_t)good;
        col[k] = good ? x[k] - 0.5 : NAN;
        row[k] = good ? y[k] - 0.5 : NAN;
    }
    return 0;
}
