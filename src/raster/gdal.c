/* gridr: the GDAL backend's common ground: initialisation, message capture, types, describing a
 * dataset. */
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

/* ---- GDAL messages ---------------------------------------------------------------------- */

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

/* The process-wide handler: GDAL messages emitted outside a capture (e.g. from GDAL's own
 * worker threads) are dropped instead of printed; CPL still records the last error. */
static void CPL_STDCALL quiet_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)cls;
    (void)num;
    (void)msg;
}

static void gdal_init_once(void)
{
    GDALAllRegister();
    CPLErrorHandler prev = CPLSetErrorHandler(quiet_handler);
    /* Keep an embedding program's own handler; replace only GDAL's printing default. */
    if (prev != CPLDefaultErrorHandler && prev != NULL)
        CPLSetErrorHandler(prev);
}

void gridr__gdal_init(void)
{
    pthread_once(&gdal_once, gdal_init_once);
}

static void append(gridr__gdal_capture *c, const char *msg)
{
    size_t room = sizeof c->msg - c->len;
    if (room <= 1)
        return;
    int n = snprintf(c->msg + c->len, room, "%s%s", c->len ? "; " : "", msg);
    c->len = n < 0 ? c->len : GRIDR__MIN(c->len + (size_t)n, sizeof c->msg - 1);
}

static void CPL_STDCALL capture_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    int err = errno;
    gridr__gdal_capture *c = CPLGetErrorHandlerUserData();
    (void)num;
    if (!c || !msg || cls == CE_Debug || cls == CE_None)
        return;
    if (cls == CE_Warning) {
        snprintf(c->warn, sizeof c->warn, "%s", msg);
        return;
    }
    if (!c->failed)
        c->sys_errno = err;
    c->failed = 1;
    append(c, msg);
}

void gridr__gdal_begin(gridr__gdal_capture *c)
{
    memset(c, 0, sizeof *c);
    CPLErrorReset();
    CPLPushErrorHandlerEx(capture_handler, c);
}

void gridr__gdal_end(gridr__gdal_capture *c)
{
    CPLPopErrorHandler();
    CPLErr last = CPLGetLastErrorType();
    if ((last == CE_Failure || last == CE_Fatal) && !c->failed) {
        c->failed = 1;
        append(c, CPLGetLastErrorMsg());
    }
}

const char *gridr__gdal_msg(const gridr__gdal_capture *c)
{
    if (c->len)
        return c->msg;
    return "unknown GDAL error";
}

void gridr__dir_of(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

int gridr__gdal_io_status(const gridr__gdal_capture *c, const char *path)
{
    char dir[PATH_MAX];
    struct statvfs sv;
    if (c->sys_errno == ENOSPC || c->sys_errno == EDQUOT || strstr(c->msg, "No space left") ||
        strstr(c->msg, "Disk quota"))
        return GRIDR_ENOSPC;
    gridr__dir_of(path, dir, sizeof dir);
    if (statvfs(dir, &sv) == 0 && sv.f_bavail == 0)
        return GRIDR_ENOSPC;
    return GRIDR_EIO;
}

/* ---- types -------------------------------------------------------------------------------- */

GDALDataType gridr__gdal_type(gridr_dtype dt)
{
    switch (dt) {
    case GRIDR_DT_U8:
        return GDT_Byte;
    case GRIDR_DT_U16:
        return GDT_UInt16;
    case GRIDR_DT_I16:
        return GDT_Int16;
    case GRIDR_DT_U32:
        return GDT_UInt32;
    case GRIDR_DT_I32:
        return GDT_Int32;
    case GRIDR_DT_F32:
        return GDT_Float32;
    case GRIDR_DT_F64:
        return GDT_Float64;
    default:
        return GDT_Unknown;
    }
}

static gridr_dtype from_gdal(GDALDataType t)
{
    for (int d = GRIDR_DT_U8; d < GRIDR_DT_COUNT; d++)
        if (gridr__gdal_type((gridr_dtype)d) == t)
            return (gridr_dtype)d;
    return GRIDR_DT_UNKNOWN;
}

/* ---- describe ---------------------------------------------------------------------------- */

static int alloc_bands(gridr_raster *r, int bands)
{
    size_t n = (size_t)bands;
    r->dtypes = calloc(n, sizeof *r->dtypes);
    r->gtypes = calloc(n, sizeof *r->gtypes);
    r->signed_byte = calloc(n, sizeof *r->signed_byte);
    r->has_nodata = calloc(n, sizeof *r->has_nodata);
    r->nodata = calloc(n, sizeof *r->nodata);
    if (!r->dtypes || !r->gtypes || !r->signed_byte || !r->has_nodata || !r->nodata)
        return gridr__fail(GRIDR_ENOMEM, "out of memory describing the %d bands of '%s'", bands,
                           r->path);
    return 0;
}

static void describe_band(gridr_raster *r, int i)
{
    GDALRasterBandH b = GDALGetRasterBand(r->ds, i + 1);
    int ok = 0;
    r->gtypes[i] = GDALGetRasterDataType(b);
    r->dtypes[i] = from_gdal(r->gtypes[i]);
    if (r->gtypes[i] == GDT_Byte) {
        const char *pt = GDALGetMetadataItem(b, "PIXELTYPE", "IMAGE_STRUCTURE");
        if (pt && strcmp(pt, "SIGNEDBYTE") == 0) {
            r->signed_byte[i] = 1;
            r->dtypes[i] = GRIDR_DT_UNKNOWN;
        }
    }
    r->nodata[i] = GDALGetRasterNoDataValue(b, &ok);
    r->has_nodata[i] = ok != 0;
}

int gridr__raster_describe(gridr_raster *r)
{
    r->rows = GDALGetRasterYSize(r->ds);
    r->cols = GDALGetRasterXSize(r->ds);
    r->bands = GDALGetRasterCount(r->ds);
    if (r->bands < 1)
        return gridr__fail(GRIDR_EFORMAT, "'%s' has no raster band", r->path);
    int rc = alloc_bands(r, r->bands);
    if (rc)
        return rc;
    for (int i = 0; i < r->bands; i++)
        describe_band(r, i);
    r->has_gt = GDALGetGeoTransform(r->ds, r->gt) == CE_None;
    if (!r->has_gt) {
        const double def[6] = {0, 1, 0, 0, 0, 1};
        memcpy(r->gt, def, sizeof def);
    }
    const char *wkt = GDALGetProjectionRef(r->ds);
    r->wkt = strdup(wkt ? wkt : "");
    int bx = 0, by = 0;
    GDALGetBlockSize(GDALGetRasterBand(r->ds, 1), &bx, &by);
    r->block_cols = bx;
    r->block_rows = by;
    GDALDriverH drv = GDALGetDatasetDriver(r->ds);
    snprintf(r->driver, sizeof r->driver, "%s", drv ? GDALGetDriverShortName(drv) : "");
    if (!r->wkt)
        return gridr__fail(GRIDR_ENOMEM, "out of memory describing '%s'", r->path);
    return 0;
}
