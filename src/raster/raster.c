/* gridr: the raster front: open, close, information, reads and writes of windows (GDAL, the
 * direct libtiff reader or the tile machinery, as the raster is set up). */
#include "base/internal.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ---- open and describe -------------------------------------------------------------------- */

void gridr__raster_free(gridr_raster *r)
{
    gridr__share_free(r);
    gridr__tiff_close(r);
    free(r->path);
    free(r->dtypes);
    free(r->gtypes);
    free(r->signed_byte);
    free(r->has_nodata);
    free(r->nodata);
    free(r->wkt);
    free(r->tmp);
    free(r->stage);
    free(r->copy_dir);
    free(r->copy_path);
    CSLDestroy(r->copy_opts);
    CSLDestroy(r->files);
    free(r);
}

static int check_readable(const char *path)
{
    struct stat st;
    if (strncmp(path, "/vsi", 4) == 0)
        return 0; /* GDAL virtual file systems: let GDAL say */
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno, "cannot open raster '%s'",
                                 path);
    return 0;
}

int gridr_raster_open(const char *path, gridr_raster **out)
{
    gridr__gdal_capture c;
    *out = NULL;
    if (!path || !*path)
        return gridr__fail(GRIDR_EINVAL, "raster path is empty");
    int rc = check_readable(path);
    if (rc)
        return rc;
    gridr__gdal_init();
    gridr_raster *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return gridr__fail(GRIDR_ENOMEM, "out of memory opening '%s'", path);
    }
    gridr__gdal_begin(&c);
    r->ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, NULL, NULL,
                       NULL);
    gridr__gdal_end(&c);
    if (!r->ds) {
        gridr__raster_free(r);
        return gridr__fail(GRIDR_EFORMAT, "'%s' is not a raster GDAL can read: %s", path,
                           gridr__gdal_msg(&c));
    }
    gridr__gdal_begin(&c);
    rc = gridr__raster_describe(r);
    gridr__gdal_end(&c);
    if (rc) {
        gridr_raster_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void gridr_raster_close(gridr_raster *r)
{
    gridr__gdal_capture c;
    if (!r)
        return;
    if (r->writable) {
        gridr_raster_abort(r);
        return;
    }
    if (r->ds) {
        gridr__gdal_begin(&c);
        GDALClose(r->ds);
        gridr__gdal_end(&c);
    }
    gridr__raster_free(r);
}

int gridr_raster_file_list(gridr_raster *r, const char *const **out)
{
    gridr__gdal_capture c;
    *out = NULL;
    if (!r->ds || r->writable)
        return gridr__fail(GRIDR_EINVAL, "'%s': no file list (not a source open through GDAL)",
                           r->path);
    if (!r->files) {
        gridr__gdal_begin(&c);
        r->files = GDALGetFileList(r->ds);
        gridr__gdal_end(&c);
        if (!r->files) /* a dataset with no file of its own (MEM, some /vsi): its path alone */
            r->files = CSLAddString(NULL, r->path);
        if (!r->files)
            return gridr__fail(GRIDR_ENOMEM, "out of memory listing the files of '%s'", r->path);
    }
    *out = (const char *const *)r->files;
    return 0;
}

/* ---- info --------------------------------------------------------------------------------- */

const char *gridr_raster_path(const gridr_raster *r)
{
    return r->path;
}

void gridr_raster_get_info(const gridr_raster *r, gridr_raster_info *info)
{
    info->rows = r->rows;
    info->cols = r->cols;
    info->bands = r->bands;
    info->block_rows = r->block_rows;
    info->block_cols = r->block_cols;
    info->has_geotransform = r->has_gt;
    memcpy(info->geotransform, r->gt, sizeof r->gt);
    info->crs_wkt = r->wkt;
    info->driver = r->driver;
}

static int check_band(const gridr_raster *r, int band)
{
    if (band < 1 || band > r->bands)
        return gridr__fail(GRIDR_ERANGE, "band %d of '%s' does not exist (it has %d band%s)", band,
                           r->path, r->bands, r->bands == 1 ? "" : "s");
    return 0;
}

static int unsupported_band(const gridr_raster *r, int band)
{
    const char *name =
        r->signed_byte[band - 1] ? "Int8 (signed byte)" : GDALGetDataTypeName(r->gtypes[band - 1]);
    return gridr__fail(GRIDR_EFORMAT,
                       "band %d of '%s' has type %s, which gridr does not handle (it reads u8 u16 "
                       "i16 u32 i32 f32 f64)",
                       band, r->path, name ? name : "unknown");
}

int gridr_raster_band_dtype(const gridr_raster *r, int band, gridr_dtype *out)
{
    *out = GRIDR_DT_UNKNOWN;
    int rc = check_band(r, band);
    if (rc)
        return rc;
    if (r->dtypes[band - 1] == GRIDR_DT_UNKNOWN)
        return unsupported_band(r, band);
    *out = r->dtypes[band - 1];
    return 0;
}

int gridr_raster_band_nodata(const gridr_raster *r, int band, int *has, double *value)
{
    *has = 0;
    int rc = check_band(r, band);
    if (rc)
        return rc;
    *has = r->has_nodata[band - 1];
    if (*has)
        *value = r->nodata[band - 1];
    return 0;
}

const char *gridr_raster_metadata(const gridr_raster *r, const char *key)
{
    gridr__gdal_capture c;
    if (!r->ds || !key)
        return NULL;
    gridr__gdal_begin(&c);
    const char *v = GDALGetMetadataItem(r->ds, key, NULL);
    gridr__gdal_end(&c);
    return v;
}

/* ---- windows ------------------------------------------------------------------------------ */

static int check_window(const gridr_raster *r, gridr_rect win)
{
    if (win.rows < 0 || win.cols < 0 || win.row0 < 0 || win.col0 < 0 ||
        win.row0 > r->rows - win.rows || win.col0 > r->cols - win.cols)
        return gridr__fail(GRIDR_ERANGE,
                           "window rows [%ld, %ld) cols [%ld, %ld) is not inside '%s' (%ld rows x "
                           "%ld cols)",
                           win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path,
                           r->rows, r->cols);
    return 0;
}

static int check_array(const gridr_raster *r, gridr_rect win, int nbands, const gridr_array *a)
{
    if (!a || !a->data || gridr_dtype_size(a->dtype) == 0)
        return gridr__fail(GRIDR_EINVAL, "no buffer or unknown type for a window of '%s'", r->path);
    if (a->bands != nbands || a->rows != win.rows || a->cols != win.cols)
        return gridr__fail(GRIDR_EINVAL,
                           "array of %d bands x %ld x %ld does not match %d bands x %ld x %ld "
                           "of a window of '%s'",
                           a->bands, a->rows, a->cols, nbands, win.rows, win.cols, r->path);
    if (a->row_stride < a->cols || (nbands > 1 && a->band_stride < 1))
        return gridr__fail(GRIDR_EINVAL, "bad strides (%ld, %ld) for a window of '%s'",
                           a->band_stride, a->row_stride, r->path);
    return 0;
}

static int check_bands(const gridr_raster *r, const int *bands, int nbands)
{
    if (nbands < 1)
        return gridr__fail(GRIDR_EINVAL, "no band to read from '%s'", r->path);
    for (int i = 0; i < nbands; i++) {
        int b = bands ? bands[i] : i + 1;
        int rc = check_band(r, b);
        if (rc)
            return rc;
        if (r->dtypes[b - 1] == GRIDR_DT_UNKNOWN)
            return unsupported_band(r, b);
    }
    return 0;
}

int gridr__raster_io(gridr_raster *r, GDALRWFlag rw, gridr_rect win, const int *bands, int nbands,
                     const gridr_array *arr)
{
    gridr__gdal_capture c;
    int rc = check_window(r, win);
    if (!rc)
        rc = check_bands(r, bands, nbands);
    if (!rc)
        rc = check_array(r, win, nbands, arr);
    if (rc || win.rows == 0 || win.cols == 0)
        return rc;
    if (rw == GF_Write && r->tif) { /* an output in a tiles mode: its tiles, laid out here */
        gridr_raster_tile_codec k;
        rc = gridr__tiff_codec(r, &k);
        if (rc == 0 && k.compression)
            return gridr__tiles_write_window(r, &k, win, arr);
    }
    rc = rw == GF_Read ? gridr__tiff_read(r, win, bands, nbands, arr) : gridr__tiff_detach(r);
    if (rc < 0 || (rw == GF_Read && rc == 0))
        return rc;
    int *map = malloc((size_t)nbands * sizeof *map);
    if (!map)
        return gridr__fail(GRIDR_ENOMEM, "out of memory for a band map of '%s'", r->path);
    for (int i = 0; i < nbands; i++)
        map[i] = bands ? bands[i] : i + 1;
    GSpacing sz = (GSpacing)gridr_dtype_size(arr->dtype);
    gridr__gdal_begin(&c);
    CPLErr e =
        GDALDatasetRasterIOEx(r->ds, rw, (int)win.col0, (int)win.row0, (int)win.cols, (int)win.rows,
                              arr->data, (int)win.cols, (int)win.rows, gridr__gdal_type(arr->dtype),
                              nbands, map, sz, sz * arr->row_stride, sz * arr->band_stride, NULL);
    gridr__gdal_end(&c);
    free(map);
    if (e == CE_None && !c.failed)
        return 0;
    return gridr__fail(rw == GF_Read ? GRIDR_EIO : gridr__gdal_io_status(&c, r->path),
                       "cannot %s window rows [%ld, %ld) cols [%ld, %ld) of '%s': %s",
                       rw == GF_Read ? "read" : "write", win.row0, win.row0 + win.rows, win.col0,
                       win.col0 + win.cols, r->path, gridr__gdal_msg(&c));
}

int gridr_raster_read(gridr_raster *r, gridr_rect win, const int *bands, int nbands,
                      gridr_array *arr)
{
    return gridr__raster_io(r, GF_Read, win, bands, nbands, arr);
}
