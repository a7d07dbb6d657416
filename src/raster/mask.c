/* gridr: GDAL mask bands of sources (internal, .msk, alpha), palettes, alpha bands of outputs. */
#include "base/internal.h"
#include "gridr/raster.h"
#include "raster_internal.h"

#include <stdlib.h>
#include <string.h>

static int bad_band(const gridr_raster *r, int band)
{
    return gridr__fail(GRIDR_ERANGE, "band %d of '%s' does not exist (it has %d band%s)", band,
                       r->path, r->bands, r->bands == 1 ? "" : "s");
}

int gridr_raster_mask_flags(gridr_raster *r, int band, int *flags)
{
    gridr__gdal_capture c;
    *flags = GRIDR_RASTER_MASK_ALL_VALID;
    if (!r || !r->ds || band < 1 || band > r->bands)
        return r ? bad_band(r, band) : gridr__fail(GRIDR_EINVAL, "mask flags: no raster");
    gridr__gdal_begin(&c);
    *flags = GDALGetMaskFlags(GDALGetRasterBand(r->ds, band));
    gridr__gdal_end(&c);
    return 0;
}

int gridr_raster_alpha_band(gridr_raster *r)
{
    gridr__gdal_capture c;
    if (!r || !r->ds || r->bands < 1)
        return 0;
    gridr__gdal_begin(&c); /* the last band only: GDAL's alpha is last, and a header may claim
                              64314 bands */
    int alpha =
        GDALGetRasterColorInterpretation(GDALGetRasterBand(r->ds, r->bands)) == GCI_AlphaBand;
    gridr__gdal_end(&c);
    return alpha ? r->bands : 0;
}

/* AND the mask of band `band` over `win` into out (u8, 0/1), through buf (win's size). */
static int and_mask(gridr_raster *r, int band, gridr_rect win, uint8_t *buf, gridr_array *out)
{
    gridr__gdal_capture c;
    gridr__gdal_begin(&c);
    GDALRasterBandH m = GDALGetMaskBand(GDALGetRasterBand(r->ds, band));
    CPLErr e = m ? GDALRasterIO(m, GF_Read, (int)win.col0, (int)win.row0, (int)win.cols,
                                (int)win.rows, buf, (int)win.cols, (int)win.rows, GDT_Byte, 0, 0)
                 : CE_Failure;
    gridr__gdal_end(&c);
    if (e != CE_None || c.failed)
        return gridr__fail(GRIDR_EIO,
                           "cannot read the mask of band %d of '%s' (rows [%ld, %ld)): %s", band,
                           r->path, win.row0, win.row0 + win.rows, gridr__gdal_msg(&c));
    for (long i = 0; i < win.rows; i++) {
        uint8_t *o = (uint8_t *)out->data + i * out->row_stride;
        const uint8_t *q = buf + i * win.cols;
        for (long j = 0; j < win.cols; j++)
            o[j] = (uint8_t)(o[j] & (q[j] != 0));
    }
    return 0;
}

int gridr_raster_read_mask(gridr_raster *r, const int *bands, int nbands, gridr_rect win,
                           gridr_array *out)
{
    if (!r || !r->ds || !out || !out->data || out->dtype != GRIDR_DT_U8 || out->rows != win.rows ||
        out->cols != win.cols || win.row0 < 0 || win.col0 < 0 || win.row0 + win.rows > r->rows ||
        win.col0 + win.cols > r->cols)
        return gridr__fail(GRIDR_EINVAL, "read mask: bad window or array for '%s'",
                           r && r->path ? r->path : "(none)");
    for (long i = 0; i < win.rows; i++)
        memset((uint8_t *)out->data + i * out->row_stride, 1, (size_t)win.cols);
    if (win.rows == 0 || win.cols == 0)
        return 0;
    uint8_t *buf = malloc((size_t)win.rows * (size_t)win.cols);
    if (!buf)
        return gridr__fail(GRIDR_ENOMEM, "out of memory for a mask window of '%s'", r->path);
    int rc = 0, done_dataset = 0;
    for (int k = 0; rc == 0 && k < nbands; k++) {
        int f = 0;
        rc = gridr_raster_mask_flags(r, bands[k], &f);
        if (rc || (f & (GRIDR_RASTER_MASK_ALL_VALID | GRIDR_RASTER_MASK_NODATA)) ||
            ((f & GRIDR_RASTER_MASK_PER_DATASET) && done_dataset))
            continue;
        done_dataset |= (f & GRIDR_RASTER_MASK_PER_DATASET) != 0;
        rc = and_mask(r, bands[k], win, buf, out);
    }
    free(buf);
    return rc;
}

int gridr_raster_band_categorical(gridr_raster *r, int band)
{
    gridr__gdal_capture c;
    if (!r || !r->ds || band < 1 || band > r->bands)
        return 0;
    gridr__gdal_begin(&c);
    GDALRasterBandH b = GDALGetRasterBand(r->ds, band);
    int cat = GDALGetRasterColorTable(b) != NULL || GDALGetDefaultRAT(b) != NULL ||
              GDALGetRasterColorInterpretation(b) == GCI_PaletteIndex;
    gridr__gdal_end(&c);
    return cat;
}

int gridr_raster_set_alpha(gridr_raster *r, int band)
{
    gridr__gdal_capture c;
    if (!r || !r->ds || band < 1 || band > r->bands)
        return r ? bad_band(r, band) : gridr__fail(GRIDR_EINVAL, "set alpha: no raster");
    gridr__gdal_begin(&c);
    CPLErr e = GDALSetRasterColorInterpretation(GDALGetRasterBand(r->ds, band), GCI_AlphaBand);
    gridr__gdal_end(&c);
    if (e != CE_None || c.failed)
        return gridr__fail(GRIDR_EIO, "cannot make band %d of '%s' an alpha band: %s", band,
                           r->path, gridr__gdal_msg(&c));
    return 0;
}
