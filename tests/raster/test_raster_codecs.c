/* gridr tests: every tile codec x predictor x sample type, encoded as workers do, decoded by GDAL
 * to exactly the pixels written. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal.h>
#pragma GCC diagnostic pop

/* Smooth rows with noise, negative values for signed types, a constant run (long LZW strings)
 * and a random block (a full LZW table, several Clear codes per tile). */
static double value(gridr_dtype dt, int b, long r, long c, uint64_t *rng)
{
    double u = gridr_test_urand(rng);
    if (r >= 20 && r < 30)
        return 7;
    if (c >= 40)
        return dt == GRIDR_DT_U8 ? (double)(long)(u * 256) : (double)(long)(u * 60000);
    double v = 100 + 40 * (r % 13) + 3 * c + 17 * b + (double)(long)(u * 4);
    if (dt == GRIDR_DT_U8)
        return (double)((long)v % 256);
    if (dt == GRIDR_DT_I16 || dt == GRIDR_DT_I32)
        return v - 400;
    return dt == GRIDR_DT_F32 || dt == GRIDR_DT_F64 ? v * 0.37 : v;
}

static void *fill(gridr_dtype dt, int bands, long rows, long cols)
{
    uint64_t rng = 12345;
    void *buf = malloc((size_t)bands * (size_t)(rows * cols) * gridr_dtype_size(dt));
    for (int b = 0; b < bands; b++)
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                gridr_dtype_set(buf, dt, (size_t)((b * rows + r) * cols + c),
                                value(dt, b, r, c, &rng));
    return buf;
}

typedef struct ccase {
    const char *compress; /* COMPRESS= */
    int code;             /* GRIDR_RASTER_TILES_* */
    int predictor;
    gridr_dtype dt;
    int bands, separate;
    long rows, cols, tile; /* square tiles; windows of 2 x 2 tiles */
} ccase;

static gridr_raster *create(const ccase *t, const char *name)
{
    char comp[32], pred[32], tile[2][32];
    snprintf(comp, sizeof comp, "COMPRESS=%s", t->compress);
    snprintf(pred, sizeof pred, "PREDICTOR=%d", t->predictor);
    snprintf(tile[0], sizeof tile[0], "BLOCKXSIZE=%ld", t->tile);
    snprintf(tile[1], sizeof tile[1], "BLOCKYSIZE=%ld", t->tile);
    const char *co[] = {
        comp, pred, tile[0], tile[1], t->separate ? "INTERLEAVE=BAND" : "INTERLEAVE=PIXEL", NULL};
    gridr_raster_create_opts o = {.creation_options = co, .tag = "cc"};
    gridr_raster *out = NULL;
    ASSERT_OK(
        gridr_raster_create(gridr_test_path(name), t->rows, t->cols, t->bands, t->dt, &o, &out));
    return out;
}

/* Every window encoded as a worker does (into a buffer of exactly the bound), written raw. */
static void write_windows(const ccase *t, gridr_raster *out, const gridr_array *a)
{
    gridr_raster_tile_codec c;
    ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
    CU_ASSERT_EQUAL(c.compression, t->code);
    CU_ASSERT_EQUAL(c.predictor, t->predictor);
    CU_ASSERT_FATAL(c.compression == t->code);
    ASSERT_OK(gridr_raster_tiles_begin(out));
    long step = 2 * t->tile;
    for (long r = 0; r < t->rows; r += step)
        for (long k = 0; k < t->cols; k += step) {
            gridr_rect w = {r, k, t->rows - r < step ? t->rows - r : step,
                            t->cols - k < step ? t->cols - k : step};
            gridr_array sub;
            size_t cap = gridr_raster_tiles_bound(&c, w), used = 0;
            unsigned char *buf = malloc(cap);
            ASSERT_OK(gridr_array_sub(a, w, &sub));
            ASSERT_OK(gridr_raster_tiles_encode(&c, w, &sub, buf, cap, &used));
            CU_ASSERT(used > 0 && used <= cap);
            ASSERT_OK(gridr_raster_write_tiles(out, w, buf, used));
            free(buf);
        }
}

/* GDAL reads back exactly `want`, and says the file has the codec and predictor. */
static int decodes_to(const char *path, const ccase *t, const void *want)
{
    size_t bytes = (size_t)t->bands * (size_t)(t->rows * t->cols) * gridr_dtype_size(t->dt);
    void *got = malloc(bytes);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    int ok = ds && got;
    const char *comp = ok ? GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE") : NULL;
    const char *pred = ok ? GDALGetMetadataItem(ds, "PREDICTOR", "IMAGE_STRUCTURE") : NULL;
    ok = ok && comp && strcmp(comp, t->compress) == 0 &&
         (t->predictor == 1 ? pred == NULL : pred && atoi(pred) == t->predictor);
    GDALDataType gt = GDALGetRasterDataType(GDALGetRasterBand(ds, 1));
    ok = ok && GDALDatasetRasterIO(ds, GF_Read, 0, 0, (int)t->cols, (int)t->rows, got, (int)t->cols,
                                   (int)t->rows, gt, t->bands, NULL, 0, 0, 0) == CE_None;
    ok = ok && memcmp(got, want, bytes) == 0;
    if (ds)
        GDALClose(ds);
    free(got);
    return ok;
}

static void run_case(const ccase *t, int id)
{
    char name[64];
    snprintf(name, sizeof name, "codec_%d.tif", id);
    void *buf = fill(t->dt, t->bands, t->rows, t->cols);
    gridr_array a = gridr_array_make(buf, t->dt, t->bands, t->rows, t->cols);
    gridr_raster *out = create(t, name);
    CU_ASSERT_FATAL(out != NULL);
    write_windows(t, out, &a);
    ASSERT_OK(gridr_raster_commit(out));
    int ok = decodes_to(gridr_test_path(name), t, buf);
    if (!ok)
        fprintf(stderr, "\ncodec case %d: %s predictor %d %s, %d bands%s: not the pixels\n", id,
                t->compress, t->predictor, gridr_dtype_name(t->dt), t->bands,
                t->separate ? " (band interleaved)" : "");
    CU_ASSERT(ok);
    free(buf);
}

/* 45 x 70 in 16 x 16 tiles: edge tiles on both sides; 1 and 3 bands, pixel and band
 * interleaved. */
static void test_codecs_decode(void)
{
    static const char *const names[] = {"LZW", "DEFLATE", "ZSTD"};
    static const int codes[] = {GRIDR_RASTER_TILES_LZW, GRIDR_RASTER_TILES_DEFLATE,
                                GRIDR_RASTER_TILES_ZSTD};
    static const gridr_dtype dts[] = {GRIDR_DT_U8,  GRIDR_DT_U16, GRIDR_DT_I16,
                                      GRIDR_DT_U32, GRIDR_DT_F32, GRIDR_DT_F64};
    int id = 0;
    for (int k = 0; k < 3; k++)
        for (int d = 0; d < 6; d++)
            for (int p = 1; p <= 3; p++) {
                if (p == 3 && dts[d] != GRIDR_DT_F32 && dts[d] != GRIDR_DT_F64)
                    continue; /* GDAL refuses PREDICTOR=3 on integers */
                ccase one = {names[k], codes[k], p, dts[d], 1, 0, 45, 70, 16};
                ccase three = {names[k], codes[k], p, dts[d], 3, (d + p) % 2, 45, 70, 16};
                run_case(&one, id++);
                run_case(&three, id++);
            }
}

/* Tiles of 256 x 256 random bytes: LZW's table fills and clears many times in one tile, its
 * codes reach 12 bits; the bound holds for incompressible data. */
static void test_lzw_full_table(void)
{
    ccase t = {"LZW", GRIDR_RASTER_TILES_LZW, 1, GRIDR_DT_U8, 1, 0, 300, 290, 256};
    void *buf = malloc((size_t)(t.rows * t.cols));
    uint64_t rng = 99;
    for (long i = 0; i < t.rows * t.cols; i++)
        ((unsigned char *)buf)[i] = (unsigned char)(gridr_test_urand(&rng) * 256);
    gridr_array a = gridr_array_make(buf, t.dt, 1, t.rows, t.cols);
    gridr_raster *out = create(&t, "codec_lzw_random.tif");
    CU_ASSERT_FATAL(out != NULL);
    write_windows(&t, out, &a);
    ASSERT_OK(gridr_raster_commit(out));
    CU_ASSERT(decodes_to(gridr_test_path("codec_lzw_random.tif"), &t, buf));
    free(buf);
}

/* The levels the options give, GDAL's defaults otherwise; PREDICTOR is ignored without
 * compression, as GDAL does. */
static void test_levels(void)
{
    static const struct {
        const char *co[3];
        int code, level, predictor;
    } cases[] = {
        {{"COMPRESS=ZSTD", "ZSTD_LEVEL=1", NULL}, GRIDR_RASTER_TILES_ZSTD, 1, 1},
        {{"COMPRESS=ZSTD", "PREDICTOR=2", NULL}, GRIDR_RASTER_TILES_ZSTD, 9, 2},
        {{"COMPRESS=DEFLATE", "ZLEVEL=2", NULL}, GRIDR_RASTER_TILES_DEFLATE, 2, 1},
        {{"COMPRESS=DEFLATE", NULL, NULL}, GRIDR_RASTER_TILES_DEFLATE, 6, 1},
        {{"COMPRESS=LZW", "PREDICTOR=3", NULL}, GRIDR_RASTER_TILES_LZW, 6, 3},
        {{"COMPRESS=NONE", "PREDICTOR=2", NULL}, GRIDR_RASTER_TILES_NONE, 6, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gridr_raster_create_opts o = {.creation_options = cases[i].co};
        gridr_raster_tile_codec g;
        ASSERT_OK(gridr_raster_tile_codec_guess(&o, 100, 100, 1, GRIDR_DT_F32, &g));
        CU_ASSERT_EQUAL(g.compression, cases[i].code);
        CU_ASSERT_EQUAL(g.predictor, cases[i].predictor);
        if (cases[i].code != GRIDR_RASTER_TILES_NONE && cases[i].code != GRIDR_RASTER_TILES_LZW)
            CU_ASSERT_EQUAL(g.level, cases[i].level);
    }
    /* PREDICTOR=3 on integers: not the tiles path (GDAL refuses the file at create). */
    const char *co[] = {"COMPRESS=ZSTD", "PREDICTOR=3", NULL};
    gridr_raster_create_opts o = {.creation_options = co};
    gridr_raster_tile_codec g;
    ASSERT_OK(gridr_raster_tile_codec_guess(&o, 100, 100, 1, GRIDR_DT_U16, &g));
    CU_ASSERT_EQUAL(g.compression, 0);
}

static CU_TestInfo tests[] = {
    {"every codec x predictor x type decodes to the pixels", test_codecs_decode},
    {"LZW: full tables, 12-bit codes, incompressible tiles", test_lzw_full_table},
    {"codec levels and predictors from the options", test_levels},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_raster_codecs_suite = {"raster_codecs", NULL, NULL, NULL, NULL, tests};
