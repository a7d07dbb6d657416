/* gridr: what an output takes before its commit: windows of pixels and metadata (nodata,
 * georeferencing, CRS, items, a source's metadata). */
#include "base/internal.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- write and set ------------------------------------------------------------------------ */

int gridr__raster_check_writable(const gridr_raster *r, const char *what)
{
    if (!r->writable || (!r->ds && !r->tif))
        return gridr__fail(GRIDR_EINVAL, "cannot %s '%s': not an output being written", what,
                           r->path);
    return 0;
}

/* Writable, and held by GDAL (metadata goes through GDAL: leave the direct path). */
static int check_settable(gridr_raster *r, const char *what)
{
    int rc = gridr__raster_check_writable(r, what);
    return rc ? rc : gridr__tiff_detach(r);
}

int gridr_raster_write(gridr_raster *r, gridr_rect win, const gridr_array *arr)
{
    int rc = gridr__raster_check_writable(r, "write a window of");
    return rc ? rc : gridr__raster_io(r, GF_Write, win, NULL, r->bands, arr);
}

static int nodata_fits(gridr_dtype dt, double v)
{
    if (isnan(v))
        return !gridr_dtype_is_integer(dt);
    if (dt == GRIDR_DT_F64 || isinf(v))
        return dt == GRIDR_DT_F64 || dt == GRIDR_DT_F32;
    return v >= gridr_dtype_min(dt) && v <= gridr_dtype_max(dt) &&
           (!gridr_dtype_is_integer(dt) || v == floor(v));
}

/* Read every band's nodata back from the dataset: GTiff keeps one value for all bands. */
static void reread_nodata(gridr_raster *r)
{
    for (int i = 0; i < r->bands; i++) {
        int ok = 0;
        r->nodata[i] = GDALGetRasterNoDataValue(GDALGetRasterBand(r->ds, i + 1), &ok);
        r->has_nodata[i] = ok != 0;
    }
}

/* Set the nodata of bands b0..b1, then read every band back once (re-reading after each band
 * was quadratic in the band count: minutes for a header claiming 64314 bands). */
static int set_bands_nodata(gridr_raster *r, int b0, int b1, double value)
{
    gridr__gdal_capture c;
    int bad = 0;
    for (int b = b0; b <= b1; b++)
        if (!nodata_fits(r->dtypes[b - 1], value))
            return gridr__fail(GRIDR_EINVAL, "nodata %.17g does not fit band %d (%s) of '%s'",
                               value, b, gridr_dtype_name(r->dtypes[b - 1]), r->path);
    gridr__gdal_begin(&c);
    for (int b = b0; b <= b1 && !bad; b++)
        if (GDALSetRasterNoDataValue(GDALGetRasterBand(r->ds, b), value) != CE_None || c.failed)
            bad = b;
    gridr__gdal_end(&c);
    reread_nodata(r);
    if (bad || c.failed)
        return gridr__fail(GRIDR_EIO, "cannot set nodata of band %d of '%s': %s", bad ? bad : b1,
                           r->path, gridr__gdal_msg(&c));
    return 0;
}

int gridr_raster_set_nodata(gridr_raster *r, int band, double value)
{
    int rc = check_settable(r, "set the nodata of");
    if (rc)
        return rc;
    if (band < 0 || band > r->bands)
        return gridr__fail(GRIDR_ERANGE, "band %d of '%s' does not exist (it has %d)", band,
                           r->path, r->bands);
    return set_bands_nodata(r, band ? band : 1, band ? band : r->bands, value);
}

int gridr_raster_set_geotransform(gridr_raster *r, const double gt[6])
{
    gridr__gdal_capture c;
    int rc = check_settable(r, "set the geotransform of");
    if (rc)
        return rc;
    double copy[6];
    memcpy(copy, gt, sizeof copy);
    gridr__gdal_begin(&c);
    CPLErr e = GDALSetGeoTransform(r->ds, copy);
    gridr__gdal_end(&c);
    if (e != CE_None || c.failed)
        return gridr__fail(GRIDR_EIO, "cannot set the geotransform of '%s': %s", r->path,
                           gridr__gdal_msg(&c));
    memcpy(r->gt, gt, sizeof r->gt);
    r->has_gt = 1;
    return 0;
}

int gridr_raster_set_crs_wkt(gridr_raster *r, const char *wkt)
{
    gridr__gdal_capture c;
    int rc = check_settable(r, "set the CRS of");
    if (rc)
        return rc;
    char *copy = strdup(wkt ? wkt : "");
    if (!copy)
        return gridr__fail(GRIDR_ENOMEM, "out of memory setting the CRS of '%s'", r->path);
    gridr__gdal_begin(&c);
    CPLErr e = GDALSetProjection(r->ds, copy);
    gridr__gdal_end(&c);
    if (e != CE_None || c.failed) {
        free(copy);
        return gridr__fail(GRIDR_EINVAL, "cannot set the CRS of '%s': %s", r->path,
                           gridr__gdal_msg(&c));
    }
    free(r->wkt);
    r->wkt = copy;
    return 0;
}

int gridr_raster_set_metadata(gridr_raster *r, const char *key, const char *value)
{
    gridr__gdal_capture c;
    int rc = check_settable(r, "set metadata of");
    if (rc)
        return rc;
    if (!key || !*key || strchr(key, '='))
        return gridr__fail(GRIDR_EINVAL, "bad metadata key '%s' for '%s'", key ? key : "", r->path);
    gridr__gdal_begin(&c);
    CPLErr e = GDALSetMetadataItem(r->ds, key, value, NULL);
    gridr__gdal_end(&c);
    if (e != CE_None || c.failed)
        return gridr__fail(GRIDR_EIO, "cannot set metadata %s of '%s': %s", key, r->path,
                           gridr__gdal_msg(&c));
    return 0;
}

/* ---- metadata copy ------------------------------------------------------------------------ */

static int skip_item(const char *item, int is_band)
{
    if (is_band)
        return strncmp(item, "STATISTICS_", 11) == 0;
    return strncmp(item, GRIDR_RASTER_MD_RES_ROW "=", sizeof GRIDR_RASTER_MD_RES_ROW) == 0 ||
           strncmp(item, GRIDR_RASTER_MD_RES_COL "=", sizeof GRIDR_RASTER_MD_RES_COL) == 0;
}

static void copy_items(GDALMajorObjectH from, GDALMajorObjectH to, int is_band)
{
    char **md = GDALGetMetadata(from, NULL);
    for (size_t i = 0; md && md[i]; i++) {
        char *key = NULL;
        const char *value = CPLParseNameValue(md[i], &key);
        if (key && value && !skip_item(md[i], is_band))
            GDALSetMetadataItem(to, key, value, NULL);
        CPLFree(key);
    }
}

static void copy_band(GDALRasterBandH sb, GDALRasterBandH db)
{
    int ok = 0;
    const char *desc = GDALGetDescription(sb);
    if (desc && *desc)
        GDALSetDescription(db, desc);
    GDALColorInterp ci = GDALGetRasterColorInterpretation(sb);
    GDALColorTableH ct = GDALGetRasterColorTable(sb);
    if (ct) /* a paletted map keeps its palette (GTiff: Byte and UInt16 bands) */
        GDALSetRasterColorTable(db, ct);
    if (ci != GCI_Undefined && ci != GCI_GrayIndex)
        GDALSetRasterColorInterpretation(db, ci);
    double offset = GDALGetRasterOffset(sb, &ok);
    if (ok && offset != 0)
        GDALSetRasterOffset(db, offset);
    double scale = GDALGetRasterScale(sb, &ok);
    if (ok && scale != 1)
        GDALSetRasterScale(db, scale);
    const char *unit = GDALGetRasterUnitType(sb);
    if (unit && *unit)
        GDALSetRasterUnitType(db, unit);
    copy_items(sb, db, 1);
}

static int check_band_map(const gridr_raster *dst, const gridr_raster *src, const int *bands,
                          int nbands)
{
    if (!src || !src->ds || nbands < 0 || nbands > dst->bands)
        return gridr__fail(GRIDR_EINVAL, "bad metadata source or band count %d for '%s'", nbands,
                           dst->path);
    for (int k = 0; bands && k < nbands; k++)
        if (bands[k] < 1 || bands[k] > src->bands)
            return gridr__fail(GRIDR_ERANGE, "band %d of '%s' does not exist (it has %d)", bands[k],
                               src->path, src->bands);
    return 0;
}

int gridr_raster_copy_metadata(gridr_raster *dst, const gridr_raster *src, const int *bands,
                               int nbands)
{
    gridr__gdal_capture c;
    int rc = check_settable(dst, "copy metadata into");
    if (!rc && !bands)
        nbands = src ? GRIDR__MIN(dst->bands, src->bands) : 0;
    if (!rc)
        rc = check_band_map(dst, src, bands, nbands);
    if (rc)
        return rc;
    gridr__gdal_begin(&c);
    copy_items(src->ds, dst->ds, 0);
    for (int k = 1; k <= nbands; k++)
        copy_band(GDALGetRasterBand(src->ds, bands ? bands[k - 1] : k),
                  GDALGetRasterBand(dst->ds, k));
    gridr__gdal_end(&c);
    if (c.failed)
        return gridr__fail(GRIDR_EIO, "cannot copy metadata of '%s' into '%s': %s", src->path,
                           dst->path, gridr__gdal_msg(&c));
    return 0;
}
