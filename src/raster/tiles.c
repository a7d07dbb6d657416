/* gridr: the tile machinery of outputs: tiles laid out and placed by workers (uncompressed) or
 * encoded by workers and written raw by the parent (compressed), and the parent's own windows. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
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

/* Bytes of one uncompressed tile of one plane. */
static size_t tile_bytes(const gridr_raster_tile_codec *c)
{
    size_t spp = c->separate ? 1 : (size_t)c->bands;
    return (size_t)c->tile_rows * (size_t)c->tile_cols * spp * gridr_dtype_size(c->dtype);
}

static int codec_ok(const gridr_raster_tile_codec *c)
{
    return c &&
           (c->compression == GRIDR_RASTER_TILES_NONE ||
            c->compression == GRIDR_RASTER_TILES_DEFLATE) &&
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
    size_t one = tile_bytes(c);
    if (c->compression == GRIDR_RASTER_TILES_DEFLATE)
        one = libdeflate_zlib_compress_bound(NULL, one);
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
        memset(dst, 0, tile_bytes(c));
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
    struct libdeflate_compressor *z; /* DEFLATE only */
    unsigned char *scratch;          /* one uncompressed tile (DEFLATE only) */
    unsigned char *buf;
    size_t cap, pos;
} enc;

/* Encode one tile plane at e->pos; its table entry into *te. */
static int encode_one(enc *e, gridr_rect win, const gridr_array *arr, long ty, long tx, int plane,
                      gridr__tiles_entry *te)
{
    size_t n = tile_bytes(e->c);
    if (!e->z) {
        if (e->cap - e->pos < n)
            return gridr__fail(GRIDR_ERANGE, "tiles: buffer of %zu bytes too small", e->cap);
        gridr__tiles_fill(e->c, win, arr, ty, tx, plane, e->buf + e->pos);
    } else {
        gridr__tiles_fill(e->c, win, arr, ty, tx, plane, e->scratch);
        n = libdeflate_zlib_compress(e->z, e->scratch, n, e->buf + e->pos, e->cap - e->pos);
        if (n == 0)
            return gridr__fail(GRIDR_ERANGE, "tiles: buffer of %zu bytes too small", e->cap);
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
    if (c->compression != GRIDR_RASTER_TILES_DEFLATE)
        return 0;
    e->z = libdeflate_alloc_compressor(c->level);
    e->scratch = malloc(tile_bytes(c));
    if (e->z && e->scratch)
        return 0;
    return gridr__fail(GRIDR_ENOMEM, "tiles: no memory for a DEFLATE level %d compressor",
                       c->level);
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
    libdeflate_free_compressor(e.z);
    free(e.scratch);
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
static int tiles_attach(gridr_raster *r)
{
    gridr_raster_tile_codec c;
    int rc = gridr__tiff_codec(r, &c);
    if (rc == 0 && (c.compression != r->guess.compression || c.tile_rows != r->guess.tile_rows ||
                    c.tile_cols != r->guess.tile_cols || c.separate != r->guess.separate))
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
    return tiles_attach(r);
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
    if ((rc = check_table(&c, win, buf, size, r->path)) != 0)
        return rc;
    const unsigned char *b = buf;
    long i = 0;
    for (long ty = win.row0 / c.tile_rows; ty * c.tile_rows < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / c.tile_cols; tx * c.tile_cols < win.col0 + win.cols; tx++)
            for (int pl = 0; pl < planes(&c); pl++, i++) { /* encoded: never a shared output */
                gridr__tiles_entry te;
                memcpy(&te, b + sizeof(gridr__tiles_head) + (size_t)i * sizeof te, sizeof te);
                rc = gridr__tiff_write_raw(r, win, ty, tx, pl, b + te.offset, te.size);
                if (rc)
                    return rc;
            }
    if (!r->share) /* workers start the write-back of what they write */
        gridr__tiff_writeback(r);
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
    e.cap = c->compression == GRIDR_RASTER_TILES_DEFLATE
                ? libdeflate_zlib_compress_bound(NULL, tile_bytes(c))
                : tile_bytes(c);
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
    libdeflate_free_compressor(e.z);
    free(e.scratch);
    free(e.buf);
    return rc;
}

/* ---- tiles placed by workers ---------------------------------------------------------------- */

/* Writing 288 MB of tiles into the page cache was most of the owner's CPU on W2: with as many
 * workers as cores it came out of the workers' share, and the owner is a serial stage that caps
 * how many workers a run can feed. Uncompressed tiles have a fixed size, so every tile's place in
 * the file is known before it is computed: workers write their own, the owner records them. */

enum { OFFSETS, COUNTS };

typedef struct ifd_arrays {
    uint64_t pos[2];   /* file positions of TileOffsets and TileByteCounts */
    uint64_t count[2]; /* their entries */
    int size[2];       /* bytes an entry: 2 (SHORT), 4 (LONG) or 8 (LONG8) */
} ifd_arrays;

typedef struct gridr__share {
    gridr_raster_tile_codec c;
    gridr_raster_tile_sink sink;
    ifd_arrays a;
    uint32_t ntiles;
    unsigned char *written; /* a byte a tile */
} gridr__share;

static int env_off(void)
{
    return !gridr__config()->worker_writes;
}

static uint64_t tile_number(const gridr_raster_tile_codec *c, long ty, long tx, int plane)
{
    uint64_t across = (uint64_t)ceil_div(c->cols, c->tile_cols);
    uint64_t down = (uint64_t)ceil_div(c->rows, c->tile_rows);
    return (c->separate ? (uint64_t)plane * across * down : 0) + (uint64_t)ty * across +
           (uint64_t)tx;
}

/* ---- the directory ------------------------------------------------------------------------ */

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    ssize_t got;
    do
        got = pread(fd, buf, n, (off_t)off);
    while (got < 0 && errno == EINTR);
    return got == (ssize_t)n ? 0 : -1;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

/* Note entry `e` (at file position `at`) if it is TileOffsets or TileByteCounts. -1: a type
 * this code does not rewrite. */
static int note_entry(const unsigned char *e, uint64_t at, int big, ifd_arrays *a)
{
    unsigned tag = (unsigned)le(e, 2), type = (unsigned)le(e + 2, 2);
    int k = tag == TIFFTAG_TILEOFFSETS ? OFFSETS : tag == TIFFTAG_TILEBYTECOUNTS ? COUNTS : -1;
    if (k < 0)
        return 0;
    int size = type == TIFF_SHORT ? 2 : type == TIFF_LONG ? 4 : type == TIFF_LONG8 ? 8 : 0;
    int voff = big ? 12 : 8, vsz = big ? 8 : 4;
    uint64_t count = big ? le(e + 4, 8) : le(e + 4, 4);
    if (!size || count == 0 || count > UINT32_MAX)
        return -1;
    a->size[k] = size;
    a->count[k] = count;
    a->pos[k] = count * (uint64_t)size <= (uint64_t)vsz ? at + (uint64_t)voff : le(e + voff, vsz);
    return 0;
}

/* The tile arrays of the first directory of a little-endian TIFF or BigTIFF. */
static int find_arrays(int fd, ifd_arrays *a)
{
    unsigned char h[16], e[20], nb[8];
    memset(a, 0, sizeof *a);
    if (read_at(fd, h, sizeof h, 0) != 0 || h[0] != 'I' || h[1] != 'I')
        return -1;
    int big = le(h + 2, 2) == 43;
    if (!big && le(h + 2, 2) != 42)
        return -1;
    uint64_t ifd = big ? le(h + 8, 8) : le(h + 4, 4);
    int csz = big ? 8 : 2, esz = big ? 20 : 12;
    if (read_at(fd, nb, (size_t)csz, ifd) != 0)
        return -1;
    uint64_t n = le(nb, csz);
    for (uint64_t i = 0; i < n && i < 4096; i++) {
        uint64_t at = ifd + (uint64_t)csz + i * (uint64_t)esz;
        if (read_at(fd, e, (size_t)esz, at) != 0 || note_entry(e, at, big, a) != 0)
            return -1;
    }
    return a->size[OFFSETS] && a->size[COUNTS] ? 0 : -1;
}

/* Every tile of the file is still empty (offset and byte count 0). */
static int all_empty(int fd, const ifd_arrays *a)
{
    for (int k = 0; k < 2; k++) {
        size_t n = (size_t)a->count[k] * (size_t)a->size[k];
        unsigned char *b = malloc(n);
        int ok = b && read_at(fd, b, n, a->pos[k]) == 0;
        for (size_t i = 0; ok && i < n; i++)
            ok = b[i] == 0;
        free(b);
        if (!ok)
            return 0;
    }
    return 1;
}

/* The layout workers write into: tiles from the first page boundary after the file's end. */
static int plan_layout(gridr_raster *r, const gridr_raster_tile_codec *c, gridr__share *sh)
{
    struct stat st;
    int fd = TIFFFileno(r->tif);
    uint32_t ntiles = TIFFNumberOfTiles(r->tif);
    if (fd < 0 || fstat(fd, &st) != 0 || find_arrays(fd, &sh->a) != 0 ||
        sh->a.count[OFFSETS] != ntiles || sh->a.count[COUNTS] != ntiles || !all_empty(fd, &sh->a))
        return 0;
    uint64_t tb = tile_bytes(c), base = ((uint64_t)st.st_size + 4095) / 4096 * 4096;
    uint64_t end = base + (uint64_t)ntiles * tb;
    if (sh->a.size[OFFSETS] < 4 || (sh->a.size[OFFSETS] == 4 && end > UINT32_MAX) ||
        (sh->a.size[COUNTS] == 2 && tb > UINT16_MAX) ||
        (sh->a.size[COUNTS] == 4 && tb > UINT32_MAX))
        return 0;
    sh->c = *c;
    sh->ntiles = ntiles;
    sh->sink = (gridr_raster_tile_sink){
        1, fd, (int64_t)getpid(), (uint64_t)st.st_dev, (uint64_t)st.st_ino, base, tb};
    return 1;
}

int gridr_raster_tiles_share(gridr_raster *r, gridr_raster_tile_sink *out)
{
    gridr_raster_tile_codec c;
    memset(out, 0, sizeof *out);
    if (!r || !r->writable)
        return gridr__fail(GRIDR_EINVAL, "tiles share of '%s': not an output being written",
                           r ? r->path : "");
    if (r->share) {
        *out = r->share->sink; /* shared already: the same places */
        return 0;
    }
    c = r->guess;
    if (c.compression != GRIDR_RASTER_TILES_NONE || env_off() || prctl(PR_GET_DUMPABLE) != 1)
        return 0; /* workers could not reopen the file of a non-dumpable process */
    gridr__share *sh = calloc(1, sizeof *sh);
    int rc =
        sh ? tiles_attach(r) : gridr__fail(GRIDR_ENOMEM, "tiles share of '%s': no memory", r->path);
    if (rc == 0 && !plan_layout(r, &c, sh)) /* a directory this code does not rewrite */
        rc = gridr__tiff_detach(r);         /* GDAL holds the file again: sink.ok stays 0 */
    if (rc || !sh->sink.ok) {
        free(sh);
        return rc;
    }
    sh->written = calloc(sh->ntiles, 1);
    if (!sh->written) {
        free(sh);
        return gridr__fail(GRIDR_ENOMEM, "tiles share of '%s': no memory", r->path);
    }
    r->share = sh;
    *out = sh->sink;
    return 0;
}

/* ---- the owner's writes and commit ---------------------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t n, uint64_t off, const char *what)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = w < 0 ? errno : EIO;
            return gridr__fail_errno(err == ENOSPC || err == EDQUOT ? GRIDR_ENOSPC : GRIDR_EIO, err,
                                     "%s", what);
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int gridr__share_write_raw(gridr_raster *r, gridr_rect win, long ty, long tx, int plane,
                           const void *data, size_t size)
{
    gridr__share *sh = r->share;
    uint64_t t = tile_number(&sh->c, ty, tx, plane);
    char what[PATH_MAX + 128];
    snprintf(what, sizeof what, "cannot write window rows [%ld, %ld) cols [%ld, %ld) of '%s'",
             win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    if (size != sh->sink.tile_bytes || t >= sh->ntiles)
        return gridr__fail(GRIDR_EINVAL, "%s: a tile of %zu bytes where the file takes %llu", what,
                           size, (unsigned long long)sh->sink.tile_bytes);
    int rc = write_all((int)sh->sink.fd, data, size, sh->sink.base + t * sh->sink.tile_bytes, what);
    if (rc == 0)
        sh->written[t] = 1;
    return rc;
}

int gridr__share_mark(gridr_raster *r, gridr_rect win, const void *buf, size_t size)
{
    gridr__share *sh = r->share;
    const gridr_raster_tile_codec *c = &sh->c;
    gridr__tiles_head h;
    if (size >= sizeof h)
        memcpy(&h, buf, sizeof h);
    if (size < sizeof h || h.magic != GRIDR__TILES_PUT_MAGIC || h.row0 != win.row0 ||
        h.col0 != win.col0 || h.rows != win.rows || h.cols != win.cols)
        return gridr__fail(GRIDR_EINVAL,
                           "tiles for window rows [%ld, %ld) cols [%ld, %ld) of '%s': not "
                           "written by a worker",
                           win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    for (long ty = win.row0 / c->tile_rows; ty * c->tile_rows < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / c->tile_cols; tx * c->tile_cols < win.col0 + win.cols; tx++)
            for (int pl = 0; pl < (c->separate ? c->bands : 1); pl++)
                sh->written[tile_number(c, ty, tx, pl)] = 1;
    return 0;
}

static int store_array(int fd, const gridr__share *sh, int k)
{
    int size = sh->a.size[k];
    unsigned char *b = malloc((size_t)sh->ntiles * (size_t)size);
    if (!b)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the tile directory");
    for (uint32_t t = 0; t < sh->ntiles; t++) {
        uint64_t off = sh->sink.base + (uint64_t)t * sh->sink.tile_bytes;
        uint64_t v = !sh->written[t] ? 0 : k == OFFSETS ? off : sh->sink.tile_bytes;
        put_le(b + (size_t)t * (size_t)size, v, size);
    }
    int rc = write_all(fd, b, (size_t)sh->ntiles * (size_t)size, sh->a.pos[k],
                       "cannot write the tile directory");
    free(b);
    return rc;
}

int gridr__share_commit(gridr_raster *r)
{
    gridr__tiff_close(r); /* libtiff wrote nothing: the tiles are recorded after it lets go */
    int rc = gridr__share_finish(r);
    gridr__share_free(r);
    return rc;
}

int gridr__share_finish(gridr_raster *r)
{
    gridr__share *sh = r->share;
    ifd_arrays now;
    int fd = open(r->tmp, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot reopen '%s' (temporary '%s')", r->path,
                                 r->tmp);
    int rc = 0;
    errno = 0; /* set only by a failed read: not "moved" but an I/O error */
    if (find_arrays(fd, &now) != 0 && errno)
        rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot read the tile directory of '%s'", r->path);
    else if (memcmp(&now, &sh->a, sizeof now) != 0)
        rc = gridr__fail(GRIDR_EIO, "'%s' (temporary '%s'): its tile directory moved", r->path,
                         r->tmp);
    for (int k = 0; rc == 0 && k < 2; k++)
        rc = store_array(fd, sh, k);
    if (rc)
        gridr__fail(rc, "%s (temporary '%s')", gridr_last_error(), r->tmp);
    close(fd);
    return rc;
}

void gridr__share_free(gridr_raster *r)
{
    if (r->share)
        free(r->share->written);
    free(r->share);
    r->share = NULL;
}

/* ---- the workers' side -------------------------------------------------------------------- */

/* The output, reopened for this window (closed after it: a worker keeps no file of a run that
 * ended, so an aborted output's space is freed when the run removes it). */
static int sink_open(const gridr_raster_tile_sink *s)
{
    char path[64];
    int fd = gridr__fdref_open(s->pid, (int)s->fd, s->dev, s->ino, O_WRONLY, path, sizeof path);
    return fd < 0 ? gridr__fail(fd, "tile sink: %s", gridr_last_error()) : fd;
}

/* Each row of tiles (and plane) of the window: laid out in `data`, one write at its place. */
static int put_rows(const gridr_raster_tile_sink *s, const gridr_raster_tile_codec *c,
                    gridr_rect win, const gridr_array *arr, unsigned char *data, int fd)
{
    long tx0 = win.col0 / c->tile_cols, tx1 = ceil_div(win.col0 + win.cols, c->tile_cols);
    long ty1 = ceil_div(win.row0 + win.rows, c->tile_rows);
    size_t len = (size_t)(tx1 - tx0) * s->tile_bytes;
    char what[192];
    snprintf(what, sizeof what, "cannot write window rows [%ld, %ld) cols [%ld, %ld) to the output",
             win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols);
    for (long ty = win.row0 / c->tile_rows; ty < ty1; ty++)
        for (int pl = 0; pl < (c->separate ? c->bands : 1); pl++) {
            for (long tx = tx0; tx < tx1; tx++)
                gridr__tiles_fill(c, win, arr, ty, tx, pl,
                                  data + (size_t)(tx - tx0) * s->tile_bytes);
            uint64_t off = s->base + tile_number(c, ty, tx0, pl) * s->tile_bytes;
            int rc = write_all(fd, data, len, off, what);
            if (rc)
                return rc;
            (void)sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
        }
    return 0;
}

int gridr_raster_tiles_put(const gridr_raster_tile_sink *s, const gridr_raster_tile_codec *c,
                           gridr_rect win, const gridr_array *arr, void *buf, size_t cap,
                           size_t *used)
{
    *used = 0;
    if (!s || !s->ok || !c || c->compression != GRIDR_RASTER_TILES_NONE ||
        tile_bytes(c) != s->tile_bytes)
        return gridr__fail(GRIDR_EINVAL, "tile sink: not a shared uncompressed output");
    int rc = gridr__tiles_check(c, win, arr, cap);
    if (rc)
        return rc;
    gridr__tiles_head h = {GRIDR__TILES_PUT_MAGIC,
                           (uint32_t)gridr__tiles_count(c, win),
                           sizeof h,
                           win.row0,
                           win.col0,
                           win.rows,
                           win.cols};
    int fd = sink_open(s);
    if (fd < 0)
        return fd;
    rc = put_rows(s, c, win, arr, (unsigned char *)buf + sizeof h, fd);
    close(fd);
    if (rc == 0) {
        memcpy(buf, &h, sizeof h);
        *used = sizeof h;
    }
    return rc;
}
