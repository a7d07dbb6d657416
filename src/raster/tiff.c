/* gridr: direct libtiff I/O of uncompressed GeoTIFF tiles and strips, bypassing GDAL's cache. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <tiffio.h>

/* GRIDR_RASTER_GDAL_ONLY (base/config.c): every read and write on GDAL (comparisons). */
static int gdal_only(void)
{
    return gridr__config()->gdal_only;
}

/* ---- libtiff handles and messages --------------------------------------------------------- */

__attribute__((format(printf, 4, 0))) static int on_error(TIFF *tif, void *user, const char *module,
                                                          const char *fmt, va_list ap)
{
    gridr_raster *r = user;
    int err = errno;
    char text[400];
    (void)tif;
    vsnprintf(text, sizeof text, fmt, ap);
    if (!r->tiff_msg[0]) {
        snprintf(r->tiff_msg, sizeof r->tiff_msg, "%s%s%s", module ? module : "",
                 module ? ": " : "", text);
        r->tiff_errno = err;
    }
    errno = err;
    return 1; /* handled: libtiff's global handlers (GDAL's or stderr) are not called */
}

__attribute__((format(printf, 4, 0))) static int
on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

/* libtiff on `path`, or on descriptor `fd` (>= 0; libtiff then owns it) named `path`. */
static TIFF *open_tiff_fd(gridr_raster *r, int fd, const char *path, const char *mode)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, r);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, r);
    r->tiff_msg[0] = 0;
    r->tiff_errno = 0;
    TIFF *tif = fd >= 0 ? TIFFFdOpenExt(fd, path, mode, o) : TIFFOpenExt(path, mode, o);
    TIFFOpenOptionsFree(o);
    return tif;
}

static TIFF *open_tiff(gridr_raster *r, const char *path, const char *mode)
{
    return open_tiff_fd(r, -1, path, mode);
}

static const char *tiff_msg(const gridr_raster *r)
{
    return r->tiff_msg[0] ? r->tiff_msg : "unknown libtiff error";
}

/* GRIDR_ENOSPC when libtiff's failure came from a full disk (errno, or no space left on the
 * file system of the temporary output), else GRIDR_EIO. */
static int io_status(const gridr_raster *r)
{
    char dir[PATH_MAX];
    struct statvfs sv;
    if (r->tiff_errno == ENOSPC || r->tiff_errno == EDQUOT)
        return GRIDR_ENOSPC;
    const char *slash = strrchr(r->tmp, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - r->tmp) + 1 : 1, slash ? r->tmp : ".");
    return statvfs(dir, &sv) == 0 && sv.f_bavail == 0 ? GRIDR_ENOSPC : GRIDR_EIO;
}

/* libtiff's message, with the system's reason when it reported one. */
static int fail_io(const gridr_raster *r, const char *what)
{
    int st = io_status(r);
    const char *why = st == GRIDR_ENOSPC ? strerror(ENOSPC)
                      : r->tiff_errno    ? strerror(r->tiff_errno)
                                         : NULL;
    return gridr__fail(st, "%s: %s%s%s", what, tiff_msg(r), why ? ": " : "", why ? why : "");
}

static void rcache_free(gridr_raster *r)
{
    free(r->rc_buf);
    free(r->rc_idx);
    free(r->rc_age);
    r->rc_buf = NULL;
    r->rc_idx = NULL;
    r->rc_age = NULL;
    r->rc_n = 0;
}

void gridr__tiff_close(gridr_raster *r)
{
    rcache_free(r);
    if (r->tif)
        TIFFClose(r->tif);
    r->tif = NULL;
    free(r->tiff_buf);
    r->tiff_buf = NULL;
    r->tiff_buf_size = 0;
}

/* ---- layout ------------------------------------------------------------------------------- */

static uint16_t sample_format(gridr_dtype dt)
{
    if (dt == GRIDR_DT_F32 || dt == GRIDR_DT_F64)
        return SAMPLEFORMAT_IEEEFP;
    return dt == GRIDR_DT_I16 || dt == GRIDR_DT_I32 ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

/* Every band of one supported type, none a GDAL signed byte. */
static int uniform_bands(const gridr_raster *r)
{
    for (int i = 0; i < r->bands; i++)
        if (r->dtypes[i] == GRIDR_DT_UNKNOWN || r->dtypes[i] != r->dtypes[0] || r->signed_byte[i])
            return 0;
    return r->bands > 0;
}

static int chunk_shape(gridr_raster *r, TIFF *tif)
{
    uint32_t tw = 0, th = 0;
    r->tiff_tiled = TIFFIsTiled(tif);
    if (r->tiff_tiled) {
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) ||
            !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th))
            return 0;
    } else {
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &th);
        tw = (uint32_t)r->cols;
        th = (uint32_t)GRIDR__MIN((long)th, r->rows);
    }
    r->tiff_tw = tw;
    r->tiff_th = th;
    uint64_t size = r->tiff_tiled ? TIFFTileSize64(tif) : TIFFStripSize64(tif);
    if (tw == 0 || th == 0 || size == 0 || size > ((uint64_t)1 << 31))
        return 0;
    free(r->tiff_buf);
    r->tiff_buf_size = (size_t)size;
    r->tiff_buf = malloc(r->tiff_buf_size);
    if (!r->tiff_buf) /* not a layout refusal: the caller must not say the file is unfit */
        return gridr__fail(GRIDR_ENOMEM, "no memory for a %zu-byte chunk buffer of '%s'",
                           r->tiff_buf_size, r->path);
    return 1;
}

/* Whether `tif` holds this raster's samples in a layout read/written directly: uncompressed, or
 * for an output (`writer`) also a codec the tile encoders write (src/raster/codec.c).
 * 1 yes, 0 no, GRIDR_ENOMEM (message set) when the chunk buffer could not be allocated. */
static int layout_ok(gridr_raster *r, TIFF *tif, int writer)
{
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 0, fmt = SAMPLEFORMAT_UINT, comp = 0, planar = 0, photo = 0, pred = 1;
    if (!uniform_bands(r) || !TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h))
        return 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photo);
    gridr_dtype dt = r->dtypes[0];
    int encoded = writer && comp != COMPRESSION_NONE;
    if (encoded)
        TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &pred);
    if (encoded && !gridr__codec_supported(comp, pred, dt))
        return 0;
    if (w != (uint32_t)r->cols || h != (uint32_t)r->rows || spp != r->bands ||
        (!encoded && (comp != COMPRESSION_NONE || pred != 1)) || bps != 8 * gridr_dtype_size(dt) ||
        fmt != sample_format(dt) || photo == PHOTOMETRIC_YCBCR)
        return 0;
    r->tiff_separate = planar == PLANARCONFIG_SEPARATE;
    return chunk_shape(r, tif);
}

static uint32_t chunk_index(const gridr_raster *r, long ty, long tx, int plane)
{
    uint32_t s = r->tiff_separate ? (uint32_t)plane : 0;
    if (r->tiff_tiled)
        return TIFFComputeTile(r->tif, (uint32_t)(tx * r->tiff_tw), (uint32_t)(ty * r->tiff_th), 0,
                               (uint16_t)s);
    return TIFFComputeStrip(r->tif, (uint32_t)(ty * r->tiff_th), (uint16_t)s);
}

/* The part of chunk (ty, tx) inside `win`. */
static gridr_rect chunk_part(const gridr_raster *r, gridr_rect win, long ty, long tx)
{
    long y0 = GRIDR__MAX(win.row0, ty * r->tiff_th), x0 = GRIDR__MAX(win.col0, tx * r->tiff_tw);
    long y1 = GRIDR__MIN(win.row0 + win.rows, (ty + 1) * r->tiff_th);
    long x1 = GRIDR__MIN(win.col0 + win.cols, (tx + 1) * r->tiff_tw);
    return (gridr_rect){y0, x0, y1 - y0, x1 - x0};
}

/* ---- sample copies ------------------------------------------------------------------------ */

#define COPY_N(SZ)                                                                                 \
    for (long i = 0; i < n; i++)                                                                   \
        memcpy(d + (size_t)i * dstep * (SZ), s + (size_t)i * sstep * (SZ), (SZ));

/* n samples of `sz` bytes from src (every sstep-th) to dst (every dstep-th). */
static void copy_samples(void *dst, size_t dstep, const void *src, size_t sstep, long n, size_t sz)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (dstep == 1 && sstep == 1) {
        memcpy(d, s, (size_t)n * sz);
        return;
    }
    switch (sz) {
    case 1:
        COPY_N(1) break;
    case 2:
        COPY_N(2) break;
    case 4:
        COPY_N(4) break;
    default:
        COPY_N(8) break;
    }
}

/* Byte offset in the chunk buffer of (row, col, sample) of chunk (ty, tx). */
static size_t buf_offset(const gridr_raster *r, long ty, long tx, long row, long col, int s)
{
    size_t spp = r->tiff_separate ? 1 : (size_t)r->bands;
    size_t y = (size_t)(row - ty * r->tiff_th), x = (size_t)(col - tx * r->tiff_tw);
    return ((y * (size_t)r->tiff_tw + x) * spp + (size_t)s) * gridr_dtype_size(r->dtypes[0]);
}

/* ---- reading ------------------------------------------------------------------------------ */

static int reader_open(gridr_raster *r)
{
    if (r->writable || gdal_only() || strcasecmp(r->driver, "GTiff") != 0 ||
        strncmp(r->path, "/vsi", 4) == 0 || !uniform_bands(r))
        return 0;
    r->tif = open_tiff(r, r->path, "rm");      /* no mmap: mapped pages would count as our RSS */
    if (r->tif && layout_ok(r, r->tif, 0) > 0) /* no memory: GDAL reads it */
        return 1;
    gridr__tiff_close(r);
    return 0;
}

/* Slots of the read cache for its byte cap (at most 256 chunks); 0 without a cache. */
static int rcache_slots(const gridr_raster *r)
{
    size_t n = r->tiff_buf_size ? r->rc_bytes / r->tiff_buf_size : 0;
    return n < 2 ? 0 : (int)GRIDR__MIN(n, 256);
}

static int rcache_init(gridr_raster *r)
{
    int n = rcache_slots(r);
    if (n == 0 || r->rc_n)
        return 0;
    r->rc_buf = malloc((size_t)n * r->tiff_buf_size);
    r->rc_idx = malloc((size_t)n * sizeof *r->rc_idx);
    r->rc_age = calloc((size_t)n, sizeof *r->rc_age);
    if (!r->rc_buf || !r->rc_idx || !r->rc_age) {
        rcache_free(r);
        return gridr__fail(GRIDR_ENOMEM, "no memory for a %d-chunk read cache of '%s'", n, r->path);
    }
    for (int k = 0; k < n; k++)
        r->rc_idx[k] = -1;
    r->rc_n = n;
    return 0;
}

/* The slot holding chunk idx (*hit 1), else the least recently used one (*hit 0). */
static int rcache_slot(gridr_raster *r, uint32_t idx, int *hit)
{
    int v = 0;
    for (int k = 0; k < r->rc_n; k++) {
        if (r->rc_idx[k] == (int64_t)idx) {
            *hit = 1;
            return k;
        }
        if (r->rc_age[k] < r->rc_age[v])
            v = k;
    }
    *hit = 0;
    return v;
}

/* Read chunk `idx` (or find it in the read cache); *data: its decoded bytes. 0 read, 1 sparse
 * (never written), < 0 error. */
static int read_chunk(gridr_raster *r, uint32_t idx, gridr_rect win, const unsigned char **data)
{
    int hit = 0, slot = -1, rc = rcache_init(r);
    unsigned char *buf = r->tiff_buf;
    if (rc)
        return rc;
    if (TIFFGetStrileByteCount(r->tif, idx) == 0)
        return 1;
    if (r->rc_n) {
        slot = rcache_slot(r, idx, &hit);
        buf = r->rc_buf + (size_t)slot * r->tiff_buf_size;
        r->rc_age[slot] = ++r->rc_clock;
    }
    *data = buf;
    if (hit)
        return 0;
    if (slot >= 0)
        r->rc_idx[slot] = -1;
    r->tiff_msg[0] = 0;
    tmsize_t n = r->tiff_tiled ? TIFFReadEncodedTile(r->tif, idx, buf, (tmsize_t)r->tiff_buf_size)
                               : TIFFReadEncodedStrip(r->tif, idx, buf, (tmsize_t)r->tiff_buf_size);
    if (n >= 0) {
        if (slot >= 0)
            r->rc_idx[slot] = idx;
        return 0;
    }
    return gridr__fail(GRIDR_EIO, "cannot read window rows [%ld, %ld) cols [%ld, %ld) of '%s': %s",
                       win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path,
                       tiff_msg(r));
}

/* Copy (or, for a sparse chunk, fill with nodata or 0) file band `b` of part `p` into arr band k.
 */
static void scatter(const gridr_raster *r, gridr_rect win, long ty, long tx, gridr_rect p, int b,
                    const unsigned char *data, const gridr_array *arr, int k)
{
    const int sparse = data == NULL;
    size_t sz = gridr_dtype_size(arr->dtype);
    size_t step = r->tiff_separate ? 1 : (size_t)r->bands;
    int s = r->tiff_separate ? 0 : b;
    double fill = r->has_nodata[b] ? r->nodata[b] : 0;
    for (long y = p.row0; y < p.row0 + p.rows; y++) {
        unsigned char *d = gridr_array_at(arr, k, y - win.row0, p.col0 - win.col0);
        if (sparse)
            for (long x = 0; x < p.cols; x++)
                gridr_dtype_set(d, arr->dtype, (size_t)x, fill);
        else
            copy_samples(d, 1, data + buf_offset(r, ty, tx, y, p.col0, s), step, p.cols, sz);
    }
}

static int read_part(gridr_raster *r, gridr_rect win, long ty, long tx, const int *bands,
                     int nbands, const gridr_array *arr)
{
    gridr_rect p = chunk_part(r, win, ty, tx);
    int rc = 0;
    const unsigned char *data = NULL;
    for (int k = 0; k < nbands; k++) {
        int b = bands ? bands[k] - 1 : k;
        int direct = gridr__tiff_read_direct(r, win, p, ty, tx, chunk_index(r, ty, tx, b), arr, k);
        if (direct < 0)
            return direct;
        if (direct == 0)
            continue;
        if (k == 0 || r->tiff_separate)
            rc = read_chunk(r, chunk_index(r, ty, tx, b), win, &data);
        if (rc < 0)
            return rc;
        scatter(r, win, ty, tx, p, b, rc ? NULL : data, arr, k);
    }
    return 0;
}

int gridr_raster_set_read_cache(gridr_raster *r, size_t bytes)
{
    if (!r || r->writable)
        return gridr__fail(GRIDR_EINVAL, "read cache: not a raster open for reading");
    rcache_free(r);
    r->rc_bytes = bytes;
    return 0;
}

int gridr__tiff_reader_ready(gridr_raster *r)
{
    if (r->writable)
        return 0;
    if (r->tiff_mode == 0)
        r->tiff_mode = reader_open(r) ? 1 : -1;
    return r->tiff_mode > 0 && r->tif;
}

int gridr__tiff_reader_attach(gridr_raster *r, int fd)
{
    const char *path = r->path;
    r->tif = open_tiff_fd(r, fd, path, "rm");
    if (!r->tif)
        close(fd);
    int ok = r->tif ? layout_ok(r, r->tif, 0) : 0;
    if (ok > 0) {
        r->tiff_mode = 1;
        return 0;
    }
    int rc = ok < 0
                 ? ok
                 : gridr__fail(GRIDR_EIO, "cannot read '%s' directly: %s", r->path,
                               r->tif ? "not an uncompressed GeoTIFF of the expected shape and type"
                                      : tiff_msg(r));
    gridr__tiff_close(r);
    r->tiff_mode = -1;
    return rc;
}

int gridr__tiff_read(gridr_raster *r, gridr_rect win, const int *bands, int nbands,
                     const gridr_array *arr)
{
    if (r->writable) { /* reading an output back: GDAL's dataset, as before the direct path */
        int rc = gridr__tiff_detach(r);
        return rc ? rc : 1;
    }
    if (r->tiff_mode == 0)
        r->tiff_mode = reader_open(r) ? 1 : -1;
    if (r->tiff_mode < 0 || !r->tif || arr->dtype != r->dtypes[0])
        return 1;
    for (long ty = win.row0 / r->tiff_th; ty * r->tiff_th < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / r->tiff_tw; tx * r->tiff_tw < win.col0 + win.cols; tx++) {
            int rc = read_part(r, win, ty, tx, bands, nbands, arr);
            if (rc)
                return rc;
        }
    return 0;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* An integer option in [lo, hi]. */
static int int_in(const char *value, long lo, long hi)
{
    char *end = NULL;
    long v = strtol(value, &end, 10);
    return end != value && *end == 0 && v >= lo && v <= hi;
}

static int option_ok(const char *key, const char *value)
{
    static const char *const free_keys[] = {"BLOCKXSIZE", "BLOCKYSIZE", "BIGTIFF", "SPARSE_OK",
                                            "NUM_THREADS"};
    for (size_t i = 0; i < sizeof free_keys / sizeof *free_keys; i++)
        if (strcasecmp(key, free_keys[i]) == 0)
            return 1;
    if (strcasecmp(key, "TILED") == 0)
        return strcasecmp(value, "YES") == 0 || strcasecmp(value, "TRUE") == 0 ||
               strcasecmp(value, "ON") == 0 || strcmp(value, "1") == 0;
    if (strcasecmp(key, "COMPRESS") == 0)
        return strcasecmp(value, "NONE") == 0 || strcasecmp(value, "DEFLATE") == 0 ||
               strcasecmp(value, "ZSTD") == 0 || strcasecmp(value, "LZW") == 0;
    if (strcasecmp(key, "PREDICTOR") == 0)
        return int_in(value, 1, 3);
    if (strcasecmp(key, "ZLEVEL") == 0)
        return int_in(value, 1, 9);
    if (strcasecmp(key, "ZSTD_LEVEL") == 0)
        return int_in(value, 1, 22);
    if (strcasecmp(key, "INTERLEAVE") == 0)
        return strcasecmp(value, "PIXEL") == 0 || strcasecmp(value, "BAND") == 0;
    return 0;
}

/* The TIFF compression code of a COMPRESS option (NULL: none). */
static int compress_code(const char *comp)
{
    if (comp && strcasecmp(comp, "DEFLATE") == 0)
        return GRIDR_RASTER_TILES_DEFLATE;
    if (comp && strcasecmp(comp, "ZSTD") == 0)
        return GRIDR_RASTER_TILES_ZSTD;
    if (comp && strcasecmp(comp, "LZW") == 0)
        return GRIDR_RASTER_TILES_LZW;
    return GRIDR_RASTER_TILES_NONE;
}

/* The level the options give the codec (ZLEVEL, ZSTD_LEVEL), GDAL's default when absent. */
static int codec_level(char **co, int comp)
{
    const char *z =
        CSLFetchNameValue(co, comp == GRIDR_RASTER_TILES_ZSTD ? "ZSTD_LEVEL" : "ZLEVEL");
    if (comp == GRIDR_RASTER_TILES_ZSTD)
        return z ? atoi(z) : 9;
    return z ? atoi(z) : 6;
}

int gridr__tiff_output_ok(char ***co, int *zlevel)
{
    int tiled = 0;
    *zlevel = codec_level(*co, compress_code(CSLFetchNameValue(*co, "COMPRESS")));
    if (gdal_only())
        return 0;
    for (size_t i = 0; *co && (*co)[i]; i++) {
        char *key = NULL;
        const char *value = CPLParseNameValue((*co)[i], &key);
        int ok = key && value && option_ok(key, value);
        tiled |= ok && strcasecmp(key, "TILED") == 0;
        CPLFree(key);
        if (!ok)
            return 0;
    }
    if (tiled) /* unwritten tiles stay empty: GDAL must not fill them at close */
        *co = CSLSetNameValue(*co, "SPARSE_OK", "TRUE");
    return tiled;
}

void gridr__tiff_codec_guess(char **co, int zlevel, long rows, long cols, int bands, gridr_dtype dt,
                             gridr_raster_tile_codec *c)
{
    const char *il = CSLFetchNameValue(co, "INTERLEAVE"), *pr = CSLFetchNameValue(co, "PREDICTOR");
    const char *bx = CSLFetchNameValue(co, "BLOCKXSIZE"), *by = CSLFetchNameValue(co, "BLOCKYSIZE");
    memset(c, 0, sizeof *c);
    c->compression = compress_code(CSLFetchNameValue(co, "COMPRESS"));
    c->predictor = c->compression != GRIDR_RASTER_TILES_NONE && pr ? atoi(pr) : 1;
    if (!gridr__codec_supported(c->compression, c->predictor, dt)) {
        memset(c, 0, sizeof *c); /* GDAL refuses it (PREDICTOR=3 on integers) */
        return;
    }
    c->level = zlevel;
    c->rows = rows;
    c->cols = cols;
    c->tile_cols = bx ? atol(bx) : 256; /* GDAL's GTiff default block */
    c->tile_rows = by ? atol(by) : 256;
    c->bands = bands;
    c->separate = bands > 1 && il && strcasecmp(il, "BAND") == 0;
    c->dtype = dt;
}

static int gdal_reopen(gridr_raster *r)
{
    gridr__gdal_capture c;
    gridr__gdal_begin(&c);
    r->ds = GDALOpenEx(r->tmp, GDAL_OF_RASTER | GDAL_OF_UPDATE | GDAL_OF_VERBOSE_ERROR, NULL, NULL,
                       NULL);
    gridr__gdal_end(&c);
    if (!r->ds)
        return gridr__fail(GRIDR_EIO, "cannot reopen temporary output '%s' of '%s': %s", r->tmp,
                           r->path, gridr__gdal_msg(&c));
    return 0;
}

int gridr__tiff_finish(gridr_raster *r)
{
    if (!r->tif)
        return 0;
    r->tiff_msg[0] = 0;
    int ok = TIFFFlush(r->tif);
    TIFFClose(r->tif);
    r->tif = NULL;
    if (ok && !r->tiff_msg[0])
        return 0;
    char what[2 * PATH_MAX + 64];
    snprintf(what, sizeof what, "cannot write '%s' (temporary '%s')", r->path, r->tmp);
    return fail_io(r, what);
}

int gridr__tiff_detach(gridr_raster *r)
{
    if (!r->writable || !r->tif)
        return 0; /* GDAL holds the file (the direct path may still start at the next write) */
    if (r->share && !gridr__share_appends(r))
        return gridr__fail(GRIDR_EINVAL,
                           "'%s': its tiles are shared with workers; set metadata before, and "
                           "write whole tiles only",
                           r->path);
    r->tiff_mode = -1;
    if (r->share) { /* appended tiles: recorded in the directory, then GDAL takes the file */
        int rc = gridr__share_commit(r);
        return rc ? rc : gdal_reopen(r);
    }
    int rc = gridr__tiff_finish(r);
    return rc ? rc : gdal_reopen(r);
}

/* The DEFLATE level the user asked for (GDAL's ZLEVEL; libtiff's default otherwise, 6 as GDAL's).
 */
static int zip_level(gridr_raster *r)
{
    uint16_t comp = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(r->tif, TIFFTAG_COMPRESSION, &comp);
    if (comp != COMPRESSION_ADOBE_DEFLATE || r->tiff_zlevel <= 0)
        return 1;
    return TIFFSetField(r->tif, TIFFTAG_ZIPQUALITY, r->tiff_zlevel) == 1;
}

/* Close GDAL's dataset (it writes the header, georeferencing and metadata) and reopen the file
 * with libtiff. 1: the file is not in a layout we write (GDAL holds it again). */
static int writer_attach(gridr_raster *r)
{
    gridr__gdal_capture c;
    gridr__gdal_begin(&c);
    GDALClose(r->ds);
    gridr__gdal_end(&c);
    r->ds = NULL;
    if (c.failed)
        return gridr__fail(gridr__gdal_io_status(&c, r->tmp),
                           "cannot write '%s' (temporary '%s'): %s", r->path, r->tmp,
                           gridr__gdal_msg(&c));
    r->tif = open_tiff(r, r->tmp, "r+m");
    int ok = r->tif ? layout_ok(r, r->tif, 1) : 0;
    if (ok > 0 && r->tiff_tiled && r->tiff_th == r->block_rows && r->tiff_tw == r->block_cols &&
        zip_level(r))
        return 0;
    gridr__tiff_close(r);
    r->tiff_mode = -1;
    if (ok < 0)
        return ok;
    int rc = gdal_reopen(r);
    return rc ? rc : 1;
}

/* ---- encoded tiles (src/raster_tiles.c encodes them in the workers) ------------------------ */

int gridr__tiff_codec(gridr_raster *r, gridr_raster_tile_codec *c)
{
    uint16_t comp = COMPRESSION_NONE, pred = 1;
    memset(c, 0, sizeof *c);
    if (!r->writable || r->tiff_mode <= 0)
        return 0;
    if (!r->tif) {
        int rc = writer_attach(r);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    if (TIFFIsByteSwapped(r->tif))
        return 0; /* raw tiles are in the host's order: libtiff swaps on the encoded path */
    TIFFGetFieldDefaulted(r->tif, TIFFTAG_COMPRESSION, &comp);
    TIFFGetFieldDefaulted(r->tif, TIFFTAG_PREDICTOR, &pred);
    c->compression = comp; /* one of the codes layout_ok accepted: GRIDR_RASTER_TILES_* */
    c->predictor = comp == COMPRESSION_NONE ? 1 : pred;
    c->level = r->tiff_zlevel; /* the options' level, GDAL's default when absent */
    c->rows = r->rows;
    c->cols = r->cols;
    c->tile_rows = r->tiff_th;
    c->tile_cols = r->tiff_tw;
    c->bands = r->bands;
    c->separate = r->tiff_separate;
    c->dtype = r->dtypes[0];
    return 0;
}

int gridr__tiff_write_raw(gridr_raster *r, gridr_rect win, long ty, long tx, int plane,
                          const void *data, size_t size)
{
    r->tiff_msg[0] = 0;
    errno = 0;
    uint32_t idx = chunk_index(r, ty, tx, plane);
    tmsize_t n = TIFFWriteRawTile(r->tif, idx, (void *)(uintptr_t)data, (tmsize_t)size);
    if (n == (tmsize_t)size)
        return 0;
    char what[PATH_MAX + 128];
    snprintf(what, sizeof what, "cannot write window rows [%ld, %ld) cols [%ld, %ld) of '%s'",
             win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    return fail_io(r, what);
}

void gridr__tiff_writeback(gridr_raster *r)
{
    int fd = r->tif ? TIFFFileno(r->tif) : -1;
    if (fd >= 0)
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}
