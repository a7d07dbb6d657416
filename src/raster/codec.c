/* gridr: tile encoders of the encoded-tiles path: TIFF predictors 2 and 3, DEFLATE, ZSTD, LZW. */
#include "base/internal.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* LZW: TIFF's variant (TIFF 6.0 section 13): codes of 9 to 12 bits packed most significant bit
 * first, Clear 256 first and when the table is full, EndOfInformation 257 last, the code width
 * grows one code early (when the next free code reaches 2^width). The string table is a hash of
 * (prefix code, byte) pairs with linear probing, at most 4094 - 258 entries in 2^13 slots. */
enum { LZW_CLEAR = 256, LZW_EOI = 257, LZW_FIRST = 258, LZW_FULL = 4094, LZW_SLOTS = 1 << 13 };

typedef struct lzw_table {
    uint32_t key[LZW_SLOTS]; /* (prefix << 8 | byte) + 1; 0: empty */
    uint16_t code[LZW_SLOTS];
} lzw_table;

struct gridr__codec {
    gridr_raster_tile_codec c;
    struct libdeflate_compressor *z; /* DEFLATE */
    ZSTD_CCtx *zs;                   /* ZSTD */
    lzw_table *lzw;                  /* LZW */
    unsigned char *row;              /* one tile row (floating-point predictor) */
};

/* ---- which codecs ------------------------------------------------------------------------- */

static int is_float(gridr_dtype dt)
{
    return dt == GRIDR_DT_F32 || dt == GRIDR_DT_F64;
}

int gridr__codec_supported(int compression, int predictor, gridr_dtype dt)
{
    if (compression == GRIDR_RASTER_TILES_NONE)
        return 1;
    if (compression != GRIDR_RASTER_TILES_DEFLATE && compression != GRIDR_RASTER_TILES_ZSTD &&
        compression != GRIDR_RASTER_TILES_LZW)
        return 0;
    return predictor == 1 || predictor == 2 || (predictor == 3 && is_float(dt));
}

static size_t row_bytes(const gridr_raster_tile_codec *c)
{
    size_t spp = c->separate ? 1 : (size_t)c->bands;
    return (size_t)c->tile_cols * spp * gridr_dtype_size(c->dtype);
}

static size_t lzw_bound(size_t n)
{
    /* one code of at most 12 bits a byte, a Clear every 3836 codes, the first Clear, the EOI */
    return n / 2 * 3 + n / 2048 * 2 + 16;
}

size_t gridr__codec_bound(const gridr_raster_tile_codec *c, size_t n)
{
    switch (c->compression) {
    case GRIDR_RASTER_TILES_DEFLATE:
        return libdeflate_zlib_compress_bound(NULL, n);
    case GRIDR_RASTER_TILES_ZSTD:
        return ZSTD_compressBound(n);
    case GRIDR_RASTER_TILES_LZW:
        return lzw_bound(n);
    default:
        return n;
    }
}

/* ---- predictors --------------------------------------------------------------------------- */

#define HOR_DIFF(T)                                                                                \
    do {                                                                                           \
        T *x = (T *)(void *)p;                                                                     \
        for (size_t i = n - 1; i >= spp; i--)                                                      \
            x[i] = (T)(x[i] - x[i - spp]);                                                         \
    } while (0)

/* Predictor 2 on one row of n samples (spp a pixel): each sample minus the same sample of the
 * pixel before it, as unsigned integers of the sample's size (wrapping). */
static void hor_diff(unsigned char *p, size_t n, size_t spp, size_t sz)
{
    if (n <= spp)
        return;
    switch (sz) {
    case 1:
        HOR_DIFF(uint8_t);
        break;
    case 2:
        HOR_DIFF(uint16_t);
        break;
    case 4:
        HOR_DIFF(uint32_t);
        break;
    default:
        HOR_DIFF(uint64_t);
        break;
    }
}

static int host_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 0;
}

/* Predictor 3 (TIFF Technical Note 3) on one row of n samples of sz bytes, spp a pixel: the
 * bytes regrouped by significance (every sample's most significant byte first), then each byte
 * minus the byte spp before it. tmp holds a row. */
static void fp_diff(unsigned char *p, size_t n, size_t spp, size_t sz, unsigned char *tmp)
{
    int big = host_big_endian();
    memcpy(tmp, p, n * sz);
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < sz; b++)
            p[(big ? b : sz - 1 - b) * n + i] = tmp[i * sz + b];
    for (size_t i = n * sz - 1; i >= spp; i--)
        p[i] = (unsigned char)(p[i] - p[i - spp]);
}

static void predict(gridr__codec *k, unsigned char *tile)
{
    const gridr_raster_tile_codec *c = &k->c;
    size_t sz = gridr_dtype_size(c->dtype), spp = c->separate ? 1 : (size_t)c->bands;
    size_t rb = row_bytes(c), n = rb / sz;
    for (long y = 0; y < c->tile_rows; y++) {
        unsigned char *p = tile + (size_t)y * rb;
        if (c->predictor == 2)
            hor_diff(p, n, spp, sz);
        else
            fp_diff(p, n, spp, sz, k->row);
    }
}

/* ---- LZW ---------------------------------------------------------------------------------- */

typedef struct bits {
    unsigned char *p, *end;
    uint64_t acc;
    int n, full;
} bits;

static void put_code(bits *w, unsigned code, int width)
{
    w->acc = w->acc << width | code;
    w->n += width;
    while (w->n >= 8) {
        w->n -= 8;
        if (w->p < w->end)
            *w->p++ = (unsigned char)(w->acc >> w->n);
        else
            w->full = 1;
    }
}

static size_t slot_of(uint32_t key)
{
    return (size_t)((key * 2654435761u) >> 19) & (LZW_SLOTS - 1);
}

/* Account for a code just emitted: the decoder adds an entry; width grows or the table clears. */
static void lzw_grow(lzw_table *t, bits *w, unsigned *next, int *width)
{
    if (++*next == LZW_FULL) {
        put_code(w, LZW_CLEAR, *width);
        memset(t->key, 0, sizeof t->key);
        *next = LZW_FIRST;
        *width = 9;
    } else if (*next > (1u << *width) - 1) {
        (*width)++;
    }
}

static size_t lzw_encode(lzw_table *t, const unsigned char *src, size_t n, unsigned char *dst,
                         size_t cap)
{
    bits w = {dst, dst + cap, 0, 0, 0};
    unsigned next = LZW_FIRST, ent = n ? src[0] : 0;
    int width = 9;
    memset(t->key, 0, sizeof t->key);
    put_code(&w, LZW_CLEAR, width);
    for (size_t i = 1; i < n; i++) {
        uint32_t key = ((uint32_t)ent << 8 | src[i]) + 1;
        size_t s = slot_of(key);
        while (t->key[s] && t->key[s] != key)
            s = (s + 1) & (LZW_SLOTS - 1);
        if (t->key[s]) {
            ent = t->code[s];
            continue;
        }
        put_code(&w, ent, width);
        t->key[s] = key;
        t->code[s] = (uint16_t)next;
        ent = src[i];
        lzw_grow(t, &w, &next, &width);
    }
    if (n) {
        put_code(&w, ent, width);
        lzw_grow(t, &w, &next, &width);
    }
    put_code(&w, LZW_EOI, width);
    if (w.n > 0)
        put_code(&w, 0, 8 - w.n);
    return w.full ? 0 : (size_t)(w.p - dst);
}

/* ---- one tile ----------------------------------------------------------------------------- */

int gridr__codec_open(const gridr_raster_tile_codec *c, gridr__codec **out)
{
    gridr__codec *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return gridr__fail(GRIDR_ENOMEM, "tiles: no memory for an encoder");
    k->c = *c;
    int ok = 1;
    if (c->compression == GRIDR_RASTER_TILES_DEFLATE)
        ok = (k->z = libdeflate_alloc_compressor(c->level)) != NULL;
    else if (c->compression == GRIDR_RASTER_TILES_ZSTD)
        ok = (k->zs = ZSTD_createCCtx()) != NULL;
    else if (c->compression == GRIDR_RASTER_TILES_LZW)
        ok = (k->lzw = malloc(sizeof *k->lzw)) != NULL;
    if (ok && c->predictor == 3)
        ok = (k->row = malloc(row_bytes(c))) != NULL;
    if (!ok) {
        gridr__codec_close(k);
        return gridr__fail(GRIDR_ENOMEM, "tiles: no memory for a compressor (codec %d, level %d)",
                           c->compression, c->level);
    }
    *out = k;
    return 0;
}

int gridr__codec_encode(gridr__codec *k, unsigned char *tile, size_t n, unsigned char *dst,
                        size_t cap, size_t *size)
{
    *size = 0;
    if (k->c.predictor >= 2 && k->c.compression != GRIDR_RASTER_TILES_NONE)
        predict(k, tile);
    switch (k->c.compression) {
    case GRIDR_RASTER_TILES_DEFLATE:
        *size = libdeflate_zlib_compress(k->z, tile, n, dst, cap);
        break;
    case GRIDR_RASTER_TILES_ZSTD: {
        size_t r = ZSTD_compressCCtx(k->zs, dst, cap, tile, n, k->c.level);
        *size = ZSTD_isError(r) ? 0 : r;
        break;
    }
    case GRIDR_RASTER_TILES_LZW:
        *size = lzw_encode(k->lzw, tile, n, dst, cap);
        break;
    default:
        if (cap >= n)
            memcpy(dst, tile, n);
        *size = cap >= n ? n : 0;
        break;
    }
    return *size ? 0 : gridr__fail(GRIDR_ERANGE, "tiles: buffer of %zu bytes too small", cap);
}

void gridr__codec_close(gridr__codec *k)
{
    if (!k)
        return;
    libdeflate_free_compressor(k->z);
    ZSTD_freeCCtx(k->zs);
    free(k->lzw);
    free(k->row);
    free(k);
}
