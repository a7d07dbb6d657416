/* gridr: the tile machinery of outputs: tiles laid out and placed by workers (uncompressed) or
 * encoded by workers and written raw by the parent (compressed), and the parent's own windows. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

/* ---- layout ------------------------------------------------------------------------------- */

static long ceil_div(long a, long b)
{
    return a / b + (a % b != 0);
}

static int planes(const gridr_raster_tile_codec *c)
{
    return c->separate ? c->bands : 1;
}

size_t gridr__tiles_bytes(const gridr_raster_tile_codec *c)
{
    size_t spp = c->separate ? 1 : (size_t)c->bands;
    return (size_t)c->tile_rows * (size_t)c->tile_cols * spp * gridr_dtype_size(c->dtype);
}

static int codec_ok(const gridr_raster_tile_codec *c)
{
    return c && gridr__codec_supported(c->compression, c->predictor, c->dtype) &&
           c->tile_rows > 0 && c->tile_cols > 0 && c->bands > 0 && c->rows > 0 && c->cols > 0 &&
           gridr_dtype_size(c->dtype) > 0;
}

/* Whole tiles only (cut at the raster's edges), inside the raster. */
static int win_ok(const gridr_raster_tile_codec *c, gridr_rect w)
{
    long y1 = w.row0 + w.rows, x1 = w.col0 + w.cols;
    return w.rows > 0 && w.cols > 0 && w.row0 >= 0 && w.col0 >= 0 && y1 <= c->rows &&
           x1 <= c->cols && w.row0 % c->tile_rows == 0 && w.col0 % c->tile_cols == 0 &&
           (y1 % c->tile_rows == 0 || y1 == c->rows) && (x1 % c->tile_cols == 0 || x1 == c->cols);
}

/* Tiles (times planes) of an aligned window. */
static long tile_count(const gridr_raster_tile_codec *c, gridr_rect w)
{
    return ceil_div(w.rows, c->tile_rows) * ceil_div(w.cols, c->tile_cols) * planes(c);
}

static size_t data_offset(long ntiles)
{
    return sizeof(gridr__tiles_head) + (size_t)ntiles * sizeof(gridr__tiles_entry);
}

size_t gridr_raster_tiles_bound(const gridr_raster_tile_codec *c, gridr_rect win)
{
    if (!codec_ok(c) || !win_ok(c, win))
        return 0;
    size_t one = gridr__codec_bound(c, gridr__tiles_bytes(c));
    long n = tile_count(c, win);
    return data_offset(n) + (size_t)n * one;
}

/* ---- encoding ----------------------------------------------------------------------------- */

/* n samples of sz bytes from a contiguous row to every step-th sample of dst. */
static void interleave(unsigned char *dst, size_t step, const unsigned char *src, long n, size_t sz)
{
    switch (sz) {
    case 1:
        for (long i = 0; i < n; i++)
            dst[(size_t)i * step] = src[i];
        break;
    case 2:
        for (long i = 0; i < n; i++)
            memcpy(dst + (size_t)i * step * 2, src + (size_t)i * 2, 2);
        break;
    case 4:
        for (long i = 0; i < n; i++)
            memcpy(dst + (size_t)i * step * 4, src + (size_t)i * 4, 4);
        break;
    default:
        for (long i = 0; i < n; i++)
            memcpy(dst + (size_t)i * step * 8, src + (size_t)i * 8, 8);
        break;
    }
}

void gridr__tiles_fill(const gridr_raster_tile_codec *c, gridr_rect win, const gridr_array *arr,
                       long ty, long tx, int plane, unsigned char *dst)
{
    size_t sz = gridr_dtype_size(c->dtype), spp = c->separate ? 1 : (size_t)c->bands;
    long y0 = ty * c->tile_rows, x0 = tx * c->tile_cols;
    long rows = GRIDR__MIN(c->tile_rows, win.row0 + win.rows - y0);
    long cols = GRIDR__MIN(c->tile_cols, win.col0 + win.cols - x0);
    size_t row_bytes = (size_t)c->tile_cols * spp * sz;
    if (rows < c->tile_rows || cols < c->tile_cols)
        memset(dst, 0, gridr__tiles_bytes(c));
    int k0 = c->separate ? plane : 0, k1 = c->separate ? plane + 1 : c->bands;
    for (int k = k0; k < k1; k++)
        for (long y = 0; y < rows; y++) {
            const unsigned char *s = gridr_array_at(arr, k, y0 + y - win.row0, x0 - win.col0);
            unsigned char *d = dst + (size_t)y * row_bytes + (size_t)(k - k0) * sz;
            if (spp == 1)
                memcpy(d, s, (size_t)cols * sz);
            else
                interleave(d, spp, s, cols, sz);
        }
}

typedef struct enc {
    const gridr_raster_tile_codec *c;
    gridr__codec *k;        /* compressed tiles only (src/raster/codec.c) */
    unsigned char *scratch; /* one uncompressed tile (compressed tiles only) */
    unsigned char *buf;
    size_t cap, pos;
} enc;

/* Encode one tile plane at e->pos; its table entry into *te. */
static int encode_one(enc *e, gridr_rect win, const gridr_array *arr, long ty, long tx, int plane,
                      gridr__tiles_entry *te)
{
    size_t n = gridr__tiles_bytes(e->c);
    if (!e->k) {
        if (e->cap - e->pos < n)
            return gridr__fail(GRIDR_ERANGE, "tiles: buffer of %zu bytes too small", e->cap);
        gridr__tiles_fill(e->c, win, arr, ty, tx, plane, e->buf + e->pos);
    } else {
        gridr__tiles_fill(e->c, win, arr, ty, tx, plane, e->scratch);
        int rc = gridr__codec_encode(e->k, e->scratch, n, e->buf + e->pos, e->cap - e->pos, &n);
        if (rc)
            return rc;
    }
    te->offset = e->pos;
    te->size = n;
    e->pos += n;
    return 0;
}

static int encode_all(enc *e, gridr_rect win, const gridr_array *arr, long ntiles)
{
    const gridr_raster_tile_codec *c = e->c;
    long i = 0;
    e->pos = data_offset(ntiles);
    for (long ty = win.row0 / c->tile_rows; ty * c->tile_rows < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / c->tile_cols; tx * c->tile_cols < win.col0 + win.cols; tx++)
            for (int pl = 0; pl < planes(c); pl++, i++) {
                gridr__tiles_entry te;
                int rc = encode_one(e, win, arr, ty, tx, pl, &te);
                if (rc)
                    return rc;
                memcpy(e->buf + sizeof(gridr__tiles_head) + (size_t)i * sizeof te, &te, sizeof te);
            }
    return 0;
}

long gridr__tiles_count(const gridr_raster_tile_codec *c, gridr_rect win)
{
    return tile_count(c, win);
}

int gridr__tiles_check(const gridr_raster_tile_codec *c, gridr_rect win, const gridr_array *arr,
                       size_t cap)
{
    if (!codec_ok(c) || !arr || !win_ok(c, win))
        return gridr__fail(GRIDR_EINVAL,
                           "tiles: window rows [%ld, %ld) cols [%ld, %ld) is not made of whole "
                           "tiles of the output (or the output takes no encoded tiles)",
                           win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols);
    if (arr->dtype != c->dtype || arr->bands != c->bands || arr->rows != win.rows ||
        arr->cols != win.cols)
        return gridr__fail(GRIDR_EINVAL,
                           "tiles: array %d x %ld x %ld %s does not match window %ld x %ld of %d "
                           "bands %s",
                           arr->bands, arr->rows, arr->cols, gridr_dtype_name(arr->dtype), win.rows,
                           win.cols, c->bands, gridr_dtype_name(c->dtype));
    if (cap < gridr_raster_tiles_bound(c, win))
        return gridr__fail(GRIDR_ERANGE, "tiles: buffer of %zu bytes below the bound %zu", cap,
                           gridr_raster_tiles_bound(c, win));
    return 0;
}

static int enc_open(enc *e, const gridr_raster_tile_codec *c)
{
    if (c->compression == GRIDR_RASTER_TILES_NONE)
        return 0;
    int rc = gridr__codec_open(c, &e->k);
    if (rc == 0 && (e->scratch = malloc(gridr__tiles_bytes(c))) == NULL)
        rc = gridr__fail(GRIDR_ENOMEM, "tiles: no memory for a tile of %zu bytes",
                         gridr__tiles_bytes(c));
    return rc;
}

static void enc_close(enc *e)
{
    gridr__codec_close(e->k);
    free(e->scratch);
}

int gridr_raster_tiles_encode(const gridr_raster_tile_codec *c, gridr_rect win,
                              const gridr_array *arr, void *buf, size_t cap, size_t *used)
{
    enc e = {c, NULL, NULL, buf, cap, 0};
    *used = 0;
    int rc = gridr__tiles_check(c, win, arr, cap);
    if (rc == 0 && c->compression == GRIDR_RASTER_TILES_NONE)
        rc = gridr__fail(GRIDR_EINVAL,
                         "tiles: uncompressed tiles are placed (gridr_raster_tiles_put), "
                         "not encoded");
    if (rc == 0)
        rc = enc_open(&e, c);
    long ntiles = rc == 0 ? tile_count(c, win) : 0;
    if (rc == 0)
        rc = encode_all(&e, win, arr, ntiles);
    if (rc == 0) {
        gridr__tiles_head h = {GRIDR__TILES_MAGIC, (uint32_t)ntiles, e.pos,   win.row0,
                               win.col0,           win.rows,         win.cols};
        memcpy(buf, &h, sizeof h);
        *used = e.pos;
    }
    enc_close(&e);
    return rc;
}

/* ---- writing (parent) --------------------------------------------------------------------- */

int gridr_raster_tile_codec_get(gridr_raster *r, gridr_raster_tile_codec *out)
{
    memset(out, 0, sizeof *out);
    if (!r || !r->writable || (!r->ds && !r->tif))
        return gridr__fail(GRIDR_EINVAL, "tile codec of '%s': not an output being written",
                           r ? r->path : "");
    *out = r->guess;
    return 0;
}

/* Hand the output to libtiff for tile writes; it must be the codec its options promised. */
int gridr__tiles_attach(gridr_raster *r)
{
    gridr_raster_tile_codec c;
    int rc = gridr__tiff_codec(r, &c);
    if (rc == 0 && (c.compression != r->guess.compression || c.tile_rows != r->guess.tile_rows ||
                    c.tile_cols != r->guess.tile_cols || c.separate != r->guess.separate ||
                    c.predictor != r->guess.predictor))
        rc = gridr__fail(GRIDR_EFORMAT,
                         "'%s' (temporary '%s'): GDAL did not lay the file out as its creation "
                         "options say; write it with GRIDR_RASTER_GDAL_ONLY=1",
                         r->path, r->tmp);
    return rc;
}

int gridr_raster_tiles_begin(gridr_raster *r)
{
    if (!r || !r->writable || !r->guess.compression)
        return gridr__fail(GRIDR_EINVAL, "'%s': not an output on the tiles path", r ? r->path : "");
    int rc = gridr__tiles_attach(r);
    if (rc || r->guess.compression == GRIDR_RASTER_TILES_NONE)
        return rc;
    return gridr__share_append_begin(r); /* else libtiff appends the raw tiles */
}

/* The buffer holds this window's table, every entry inside it. */
static int check_table(const gridr_raster_tile_codec *c, gridr_rect win, const unsigned char *buf,
                       size_t size, const char *path)
{
    gridr__tiles_head h;
    long n = tile_count(c, win);
    if (size >= sizeof h)
        memcpy(&h, buf, sizeof h);
    int ok = size >= data_offset(n) && h.magic == GRIDR__TILES_MAGIC && h.ntiles == (uint32_t)n &&
             h.used <= size && h.row0 == win.row0 && h.col0 == win.col0 && h.rows == win.rows &&
             h.cols == win.cols;
    for (long i = 0; ok && i < n; i++) {
        gridr__tiles_entry te;
        memcpy(&te, buf + sizeof h + (size_t)i * sizeof te, sizeof te);
        ok = te.offset >= data_offset(n) && te.size > 0 && te.offset <= h.used &&
             te.size <= h.used - te.offset;
    }
    if (ok)
        return 0;
    return gridr__fail(GRIDR_EINVAL,
                       "tiles for window rows [%ld, %ld) cols [%ld, %ld) of '%s': not an encoded "
                       "table of that window",
                       win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, path);
}

/* The tiles of an encoded table (checked) written raw: appended by gridr's own layout when the
 * output has one, else by libtiff. */
static int write_table(gridr_raster *r, const gridr_raster_tile_codec *c, gridr_rect win,
                       const unsigned char *b)
{
    long i = 0;
    for (long ty = win.row0 / c->tile_rows; ty * c->tile_rows < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / c->tile_cols; tx * c->tile_cols < win.col0 + win.cols; tx++)
            for (int pl = 0; pl < planes(c); pl++, i++) {
                gridr__tiles_entry te;
                memcpy(&te, b + sizeof(gridr__tiles_head) + (size_t)i * sizeof te, sizeof te);
                int rc = r->share
                             ? gridr__share_write_raw(r, win, ty, tx, pl, b + te.offset, te.size)
                             : gridr__tiff_write_raw(r, win, ty, tx, pl, b + te.offset, te.size);
                if (rc)
                    return rc;
            }
    return 0;
}

size_t gridr_raster_tiles_used(const void *buf, size_t cap)
{
    gridr__tiles_head h;
    if (!buf || cap < sizeof h)
        return cap;
    memcpy(&h, buf, sizeof h);
    if (h.magic == GRIDR__TILES_PUT_MAGIC)
        return sizeof h;
    return h.magic == GRIDR__TILES_MAGIC && h.used <= cap ? (size_t)h.used : cap;
}

int gridr_raster_write_tiles(gridr_raster *r, gridr_rect win, const void *buf, size_t size)
{
    gridr_raster_tile_codec c;
    if (!r || !r->writable || (!r->ds && !r->tif))
        return gridr__fail(GRIDR_EINVAL, "cannot write tiles of '%s': not an output being written",
                           r ? r->path : "");
    if (!r->tif || r->tiff_mode <= 0)
        return gridr__fail(GRIDR_EINVAL, "cannot write tiles of '%s': GDAL holds it", r->path);
    int rc = gridr__tiff_codec(r, &c);
    if (rc || c.compression == 0)
        return rc ? rc : gridr__fail(GRIDR_EINVAL, "cannot write tiles of '%s'", r->path);
    if (!buf || !win_ok(&c, win))
        return gridr__fail(GRIDR_EINVAL,
                           "tiles for window rows [%ld, %ld) cols [%ld, %ld) of '%s': not whole "
                           "tiles",
                           win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    uint32_t magic = 0;
    if (size >= sizeof magic)
        memcpy(&magic, buf, sizeof magic);
    if (r->share && magic == GRIDR__TILES_PUT_MAGIC)
        return gridr__share_mark(r, win, buf, size);
    if ((rc = check_table(&c, win, buf, size, r->path)) != 0 ||
        (rc = write_table(r, &c, win, buf)) != 0)
        return rc;
    gridr__tiff_writeback(r); /* start the write-back of what was written */
    return 0;
}

/* ---- the parent's windows of an output in a tiles mode ------------------------------------ */

/* One tile plane of `win` laid out (and compressed when the codec says so) into e->buf. */
static int parent_tile(enc *e, gridr_raster *r, gridr_rect win, const gridr_array *arr, long ty,
                       long tx, int pl)
{
    gridr__tiles_entry te;
    e->pos = 0;
    int rc = encode_one(e, win, arr, ty, tx, pl, &te);
    if (rc == 0)
        rc = r->share ? gridr__share_write_raw(r, win, ty, tx, pl, e->buf, te.size)
                      : gridr__tiff_write_raw(r, win, ty, tx, pl, e->buf, te.size);
    return rc;
}

int gridr__tiles_write_window(gridr_raster *r, const gridr_raster_tile_codec *c, gridr_rect win,
                              const gridr_array *arr)
{
    enc e = {c, NULL, NULL, NULL, 0, 0};
    int rc = gridr__tiles_check(c, win, arr, (size_t)-1);
    if (rc == 0)
        rc = enc_open(&e, c);
    e.cap = gridr__codec_bound(c, gridr__tiles_bytes(c));
    if (rc == 0 && (e.buf = malloc(e.cap)) == NULL)
        rc = gridr__fail(GRIDR_ENOMEM, "no memory for a tile of '%s'", r->path);
    for (long ty = win.row0 / c->tile_rows; rc == 0 && ty * c->tile_rows < win.row0 + win.rows;
         ty++)
        for (long tx = win.col0 / c->tile_cols; rc == 0 && tx * c->tile_cols < win.col0 + win.cols;
             tx++)
            for (int pl = 0; rc == 0 && pl < planes(c); pl++)
                rc = parent_tile(&e, r, win, arr, ty, tx, pl);
    if (rc == 0 && !r->share)
        gridr__tiff_writeback(r);
    enc_close(&e);
    free(e.buf);
    return rc;
}
