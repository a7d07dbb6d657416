/* gridr tests: raster pixel I/O: round trips of every dtype, strided reads, direct libtiff path. */
#include "unit.h"
#include "raster_util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal.h>
#pragma GCC diagnostic pop

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *const small_blocks[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", NULL};

/* Create `name` with the pattern of `dt` (bands x rows x cols) and commit it. */
static int make_raster(const char *name, gridr_dtype dt, int bands, long rows, long cols)
{
    gridr_raster_create_opts o = {.creation_options = small_blocks, .tag = "test"};
    gridr_raster *out = NULL;
    void *buf = gridr_test_raster_fill(dt, bands, rows, cols);
    gridr_array a = gridr_array_make(buf, dt, bands, rows, cols);
    int rc = gridr_raster_create(gridr_test_path(name), rows, cols, bands, dt, &o, &out);
    if (!rc)
        rc = gridr_test_write_shuffled(out, &a, 10, 12);
    if (!rc)
        rc = gridr_raster_commit(out);
    else
        gridr_raster_abort(out);
    free(buf);
    return rc;
}

/* ---- round trips -------------------------------------------------------------------------- */

static void roundtrip_one(gridr_dtype dt)
{
    const long rows = 37, cols = 53;
    const int bands = 2;
    char name[64], tmp[PATH_MAX];
    gridr_raster_create_opts o = {.creation_options = small_blocks, .tag = "abc123"};
    gridr_raster *out = NULL, *in = NULL;
    snprintf(name, sizeof name, "rt_%s.tif", gridr_dtype_name(dt));
    snprintf(tmp, sizeof tmp, "%s.tmp.abc123", gridr_test_path(name));
    void *buf = gridr_test_raster_fill(dt, bands, rows, cols);
    void *back = calloc((size_t)bands * rows * cols, gridr_dtype_size(dt));
    gridr_array a = gridr_array_make(buf, dt, bands, rows, cols);
    ASSERT_OK(gridr_raster_create(gridr_test_path(name), rows, cols, bands, dt, &o, &out));
    CU_ASSERT_FATAL(out != NULL);
    CU_ASSERT_STRING_EQUAL(gridr_raster_temp_files(out)[0], tmp);
    CU_ASSERT_PTR_NULL(gridr_raster_temp_files(out)[1]);
    CU_ASSERT(gridr_test_file_exists(tmp));
    CU_ASSERT(!gridr_test_file_exists(gridr_test_path(name)));
    ASSERT_OK(gridr_test_write_shuffled(out, &a, 10, 12));
    ASSERT_OK(gridr_raster_commit(out));
    CU_ASSERT(!gridr_test_file_exists(tmp));
    CU_ASSERT(gridr_test_file_exists(gridr_test_path(name)));
    ASSERT_OK(gridr_raster_open(gridr_test_path(name), &in));
    CU_ASSERT_FATAL(in != NULL);
    gridr_raster_info info;
    gridr_dtype got;
    gridr_raster_get_info(in, &info);
    CU_ASSERT(info.rows == rows && info.cols == cols && info.bands == bands);
    CU_ASSERT(info.block_rows == 16 && info.block_cols == 16);
    CU_ASSERT_STRING_EQUAL(info.driver, "GTiff");
    CU_ASSERT_EQUAL(info.has_geotransform, 0);
    ASSERT_OK(gridr_raster_band_dtype(in, 2, &got));
    CU_ASSERT_EQUAL(got, dt);
    gridr_array b = gridr_array_make(back, dt, bands, rows, cols);
    ASSERT_OK(gridr_raster_read(in, (gridr_rect){0, 0, rows, cols}, NULL, bands, &b));
    CU_ASSERT_EQUAL(memcmp(buf, back, (size_t)bands * rows * cols * gridr_dtype_size(dt)), 0);
    gridr_raster_close(in);
    free(buf);
    free(back);
}

static void test_roundtrip_dtypes(void)
{
    for (int dt = GRIDR_DT_U8; dt < GRIDR_DT_COUNT; dt++)
        roundtrip_one((gridr_dtype)dt);
}

static void test_strided_read(void)
{
    gridr_raster *in = NULL;
    ASSERT_OK(make_raster("strided.tif", GRIDR_DT_U16, 3, 40, 30));
    ASSERT_OK(gridr_raster_open(gridr_test_path("strided.tif"), &in));
    CU_ASSERT_FATAL(in != NULL);
    /* A 2-band 20 x 25 array; read bands {3, 1}, window rows [5, 17) cols [7, 22) into its
     * sub-window at (4, 6): everything else keeps the sentinel. */
    double big[2 * 20 * 25];
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        big[i] = -7;
    gridr_array a = gridr_array_make(big, GRIDR_DT_F64, 2, 20, 25), sub;
    gridr_rect w = {5, 7, 12, 15};
    ASSERT_OK(gridr_array_sub(&a, (gridr_rect){4, 6, 12, 15}, &sub));
    const int bands[2] = {3, 1};
    ASSERT_OK(gridr_raster_read(in, w, bands, 2, &sub));
    int bad = 0, sentinels = 0;
    for (int b = 0; b < 2; b++)
        for (long r = 0; r < 20; r++)
            for (long c = 0; c < 25; c++) {
                double v = big[(b * 20 + r) * 25 + c];
                int inside = r >= 4 && r < 16 && c >= 6 && c < 21;
                double want = inside ? gridr_test_raster_pattern(GRIDR_DT_U16, bands[b] - 1,
                                                                 r - 4 + 5, c - 6 + 7)
                                     : -7;
                bad += v != want;
                sentinels += !inside;
            }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(sentinels, 2 * (20 * 25 - 12 * 15));
    /* Empty window: nothing to do. */
    ASSERT_OK(gridr_raster_read(in, (gridr_rect){0, 0, 0, 0}, NULL, 1,
                                &(gridr_array){big, GRIDR_DT_F64, 1, 0, 0, 0, 0}));
    /* Out of the raster, wrong shape, bad band. */
    ASSERT_STATUS(gridr_raster_read(in, (gridr_rect){30, 0, 12, 15}, bands, 2, &sub), GRIDR_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "strided.tif"));
    ASSERT_STATUS(gridr_raster_read(in, (gridr_rect){0, 0, 12, 14}, bands, 2, &sub), GRIDR_EINVAL);
    const int band4[2] = {4, 1};
    ASSERT_STATUS(gridr_raster_read(in, w, band4, 2, &sub), GRIDR_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "band 4"));
    gridr_raster_close(in);
}

/* ---- direct libtiff path ------------------------------------------------------------------ */

/* Whole raster `path` through GDAL only (GRIDR_RASTER_GDAL_ONLY), band-sequential; NULL on error.
 */
static void *read_via_gdal(const char *path, gridr_dtype dt, int bands, long rows, long cols)
{
    gridr_raster *in = NULL;
    void *buf = calloc((size_t)(bands * rows * cols), gridr_dtype_size(dt));
    gridr_array a = gridr_array_make(buf, dt, bands, rows, cols);
    GRIDR_TEST_SWITCH(gdal_only, 1);
    int rc = gridr_raster_open(path, &in);
    if (!rc)
        rc = gridr_raster_read(in, (gridr_rect){0, 0, rows, cols}, NULL, bands, &a);
    GRIDR_TEST_SWITCH(gdal_only, 0);
    gridr_raster_close(in);
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

/* Write the pattern through gridr_raster_write in windows of wr x wc with options `co`, check
 * the bytes (an eighth of them when `deflate`: compressed) are on disk before the commit when
 * `direct` (the output put on the raw tiles path, gridr_raster_tiles_begin), and that GDAL reads
 * the same back. */
static void direct_write_one(gridr_dtype dt, int bands, const char *const *co, long wr, long wc,
                             int direct, int deflate)
{
    const long rows = 37, cols = 53;
    const double gt[6] = {1000.0, 2.0, 0.0, 5000.0, 0.0, -2.0};
    char name[64], tmp[PATH_MAX];
    struct stat st;
    gridr_raster_create_opts o = {.creation_options = co, .tag = "dw"};
    gridr_raster *out = NULL;
    snprintf(name, sizeof name, "dw_%s_%d_%ld_%d.tif", gridr_dtype_name(dt), bands, wr, deflate);
    snprintf(tmp, sizeof tmp, "%s.tmp.dw", gridr_test_path(name));
    void *buf = gridr_test_raster_fill(dt, bands, rows, cols);
    size_t bytes = (size_t)(bands * rows * cols) * gridr_dtype_size(dt);
    gridr_array a = gridr_array_make(buf, dt, bands, rows, cols);
    ASSERT_OK(gridr_raster_create(gridr_test_path(name), rows, cols, bands, dt, &o, &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_set_nodata(out, 0, 7));
    ASSERT_OK(gridr_raster_set_geotransform(out, gt));
    ASSERT_OK(gridr_raster_set_metadata(out, "SENSOR", "direct"));
    gridr_raster_tile_codec k;
    ASSERT_OK(gridr_raster_tile_codec_get(out, &k));
    CU_ASSERT_EQUAL(k.compression != 0, direct); /* the options make a tiles-path output */
    if (direct)
        ASSERT_OK(gridr_raster_tiles_begin(out));
    ASSERT_OK(gridr_test_write_shuffled(out, &a, wr, wc));
    CU_ASSERT_FATAL(stat(tmp, &st) == 0);
    /* On the GDAL path, GDAL's cache still holds them. */
    CU_ASSERT_EQUAL((size_t)st.st_size >= (deflate ? bytes / 8 : bytes), direct);
    /* Reading the output back before the commit (GDAL takes the file back): rows 5.. of band 0. */
    unsigned char *part = calloc((size_t)(bands * 20 * cols), gridr_dtype_size(dt));
    gridr_array pa = gridr_array_make(part, dt, bands, 20, cols);
    ASSERT_OK(gridr_raster_read(out, (gridr_rect){5, 0, 20, cols}, NULL, bands, &pa));
    CU_ASSERT_EQUAL(memcmp(part, (unsigned char *)buf + 5 * cols * gridr_dtype_size(dt),
                           (size_t)(20 * cols) * gridr_dtype_size(dt)),
                    0);
    free(part);
    ASSERT_OK(gridr_raster_commit(out));
    void *back = read_via_gdal(gridr_test_path(name), dt, bands, rows, cols);
    CU_ASSERT_FATAL(back != NULL);
    CU_ASSERT_EQUAL(memcmp(buf, back, bytes), 0);
    GDALDatasetH ds = GDALOpen(gridr_test_path(name), GA_ReadOnly);
    CU_ASSERT_FATAL(ds != NULL);
    double got[6] = {0};
    int has = 0;
    CU_ASSERT(GDALGetGeoTransform(ds, got) == CE_None && memcmp(got, gt, sizeof gt) == 0);
    CU_ASSERT(GDALGetRasterNoDataValue(GDALGetRasterBand(ds, bands), &has) == 7 && has);
    const char *md = GDALGetMetadataItem(ds, "SENSOR", NULL);
    CU_ASSERT(md && strcmp(md, "direct") == 0);
    CU_ASSERT_EQUAL(GDALGetRasterXSize(ds), cols);
    GDALClose(ds);
    free(buf);
    free(back);
}

static const char *const band_il[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "INTERLEAVE=BAND", NULL};
static const char *const lzw[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=LZW", NULL};
static const char *const lerc[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=LERC", NULL};
static const char *const deflate[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE",
                                      "ZLEVEL=1",      "PREDICTOR=1",   NULL};
static const char *const deflate_p2[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE",
                                         "PREDICTOR=2", NULL};

static void test_direct_write(void)
{
    for (int dt = GRIDR_DT_U8; dt < GRIDR_DT_COUNT; dt++) {
        direct_write_one((gridr_dtype)dt, 3, small_blocks, 16, 32, 1, 0); /* pixel interleaved */
        direct_write_one((gridr_dtype)dt, 1, small_blocks, 32, 16, 1, 0);
    }
    direct_write_one(GRIDR_DT_I16, 2, band_il, 16, 48, 1, 0); /* planar separate */
    direct_write_one(GRIDR_DT_F64, 3, deflate, 16, 32, 1, 1); /* the tiles encoder compresses */
    direct_write_one(GRIDR_DT_U16, 2, lzw, 16, 32, 1, 1);
    direct_write_one(GRIDR_DT_F64, 3, deflate_p2, 16, 32, 1, 1);
    /* Not on the tiles path, through GDAL: other compressions. */
    direct_write_one(GRIDR_DT_U16, 2, lerc, 16, 32, 0, 0);
}

/* Windows 0 .. 1 on the raw tiles path, then metadata: GDAL takes the file back and writes the
 * rest; a window cutting tiles on the tiles path is refused, not written some other way. */
static void test_direct_handover(void)
{
    const long rows = 40, cols = 40;
    gridr_raster_create_opts o = {.creation_options = small_blocks};
    gridr_raster *out = NULL;
    void *buf = gridr_test_raster_fill(GRIDR_DT_U16, 2, rows, cols);
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U16, 2, rows, cols), sub;
    const gridr_rect wins[] = {
        {0, 0, 16, 16}, {16, 32, 16, 8}, {32, 0, 8, 40}, {0, 16, 16, 24}, {16, 0, 16, 32}};
    ASSERT_OK(gridr_raster_create(gridr_test_path("handover.tif"), rows, cols, 2, GRIDR_DT_U16, &o,
                                  &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_tiles_begin(out));
    ASSERT_OK(gridr_array_sub(&a, (gridr_rect){0, 0, 10, 12}, &sub));
    ASSERT_STATUS(gridr_raster_write(out, (gridr_rect){0, 0, 10, 12}, &sub), GRIDR_EINVAL);
    for (int k = 0; k < 5; k++) {
        ASSERT_OK(gridr_array_sub(&a, wins[k], &sub));
        ASSERT_OK(gridr_raster_write(out, wins[k], &sub));
        if (k == 1)
            ASSERT_OK(gridr_raster_set_metadata(out, "STEP", "1"));
    }
    ASSERT_OK(gridr_raster_set_metadata(out, "STEP", "5"));
    ASSERT_OK(gridr_raster_commit(out));
    void *back = read_via_gdal(gridr_test_path("handover.tif"), GRIDR_DT_U16, 2, rows, cols);
    CU_ASSERT_FATAL(back != NULL);
    CU_ASSERT_EQUAL(memcmp(buf, back, (size_t)(2 * rows * cols) * 2), 0);
    gridr_raster *in = NULL;
    ASSERT_OK(gridr_raster_open(gridr_test_path("handover.tif"), &in));
    CU_ASSERT_FATAL(in != NULL);
    CU_ASSERT_STRING_EQUAL(gridr_raster_metadata(in, "STEP"), "5");
    gridr_raster_close(in);
    free(buf);
    free(back);
}

/* Random windows (edge chunks included) of `name`, read directly and through GDAL, with the
 * band order reversed: the same bytes. The direct reader holds its own descriptor. */
static void compare_readers(const char *name, gridr_dtype dt, int bands, long rows, long cols)
{
    gridr_raster *d = NULL;
    size_t sz = gridr_dtype_size(dt);
    int map[4] = {0};
    for (int b = 0; b < bands; b++)
        map[b] = bands - b;
    ASSERT_OK(gridr_raster_open(gridr_test_path(name), &d));
    CU_ASSERT_FATAL(d != NULL);
    int fds = count_fds();
    void *all = read_via_gdal(gridr_test_path(name), dt, bands, rows, cols);
    CU_ASSERT_FATAL(all != NULL);
    unsigned char *got = malloc((size_t)(bands * rows * (cols + 3)) * sz);
    unsigned seed = 12345;
    int bad = 0;
    for (int k = 0; k < 40; k++) {
        gridr_rect w = {(long)(rand_r(&seed) % rows), (long)(rand_r(&seed) % cols), 0, 0};
        w.rows = 1 + rand_r(&seed) % (rows - w.row0);
        w.cols = 1 + rand_r(&seed) % (cols - w.col0);
        if (k == 0)
            w = (gridr_rect){0, 0, rows, cols};
        gridr_array a = gridr_array_make(got, dt, bands, w.rows, w.cols + 3), sub;
        ASSERT_OK(gridr_array_sub(&a, (gridr_rect){0, 2, w.rows, w.cols}, &sub));
        ASSERT_OK(gridr_raster_read(d, w, map, bands, &sub));
        for (int b = 0; b < bands; b++)
            for (long r = 0; r < w.rows; r++)
                bad += memcmp(gridr_array_at(&sub, b, r, 0),
                              (unsigned char *)all +
                                  ((size_t)((map[b] - 1) * rows + w.row0 + r) * (size_t)cols +
                                   (size_t)w.col0) *
                                      sz,
                              (size_t)w.cols * sz) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(count_fds(), fds + 1);
    gridr_raster_close(d);
    free(all);
    free(got);
}

static void test_direct_read(void)
{
    const char *const strips[] = {"TILED=NO", "BLOCKYSIZE=5", NULL};
    const char *const strips_sep[] = {"TILED=NO", "BLOCKYSIZE=7", "INTERLEAVE=BAND", NULL};
    gridr_raster_create_opts tiled = {.creation_options = small_blocks},
                             st = {.creation_options = strips},
                             sts = {.creation_options = strips_sep},
                             sep = {.creation_options = band_il};
    const gridr_raster_create_opts *opts[4] = {&tiled, &st, &sts, &sep};
    const gridr_dtype dts[4] = {GRIDR_DT_U16, GRIDR_DT_F64, GRIDR_DT_I16, GRIDR_DT_U8};
    for (int k = 0; k < 4; k++) {
        char name[32];
        gridr_raster *out = NULL;
        snprintf(name, sizeof name, "dr%d.tif", k);
        void *buf = gridr_test_raster_fill(dts[k], 3, 45, 50);
        gridr_array a = gridr_array_make(buf, dts[k], 3, 45, 50);
        ASSERT_OK(gridr_raster_create(gridr_test_path(name), 45, 50, 3, dts[k], opts[k], &out));
        CU_ASSERT_FATAL(out != NULL);
        ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 45, 50}, &a));
        ASSERT_OK(gridr_raster_commit(out));
        compare_readers(name, dts[k], 3, 45, 50);
        free(buf);
    }
    /* A sparse file (tiles never written): both readers give the nodata value. */
    gridr_raster *out = NULL;
    uint16_t px[16 * 16];
    for (int i = 0; i < 16 * 16; i++)
        px[i] = (uint16_t)(i + 1);
    gridr_array a = gridr_array_make(px, GRIDR_DT_U16, 1, 16, 16);
    ASSERT_OK(
        gridr_raster_create(gridr_test_path("sparse.tif"), 40, 40, 1, GRIDR_DT_U16, &tiled, &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_set_nodata(out, 0, 9));
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){16, 16, 16, 16}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    compare_readers("sparse.tif", GRIDR_DT_U16, 1, 40, 40);
    uint16_t *back = read_via_gdal(gridr_test_path("sparse.tif"), GRIDR_DT_U16, 1, 40, 40);
    CU_ASSERT_FATAL(back != NULL);
    CU_ASSERT(back[0] == 9 && back[16 * 40 + 16] == 1 && back[39 * 40 + 39] == 9);
    free(back);
}

/* Write the pattern of dt (bands x rows x cols) to `name` with creation options co. */
static void make_file(const char *name, const char *const *co, gridr_dtype dt, int bands, long rows,
                      long cols)
{
    gridr_raster_create_opts o = {.creation_options = co};
    gridr_raster *out = NULL;
    void *buf = gridr_test_raster_fill(dt, bands, rows, cols);
    gridr_array a = gridr_array_make(buf, dt, bands, rows, cols);
    ASSERT_OK(gridr_raster_create(gridr_test_path(name), rows, cols, bands, dt, &o, &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, rows, cols}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    free(buf);
}

/* Band 2 alone of a window crossing chunks: the same bytes as GDAL's. */
static void compare_band_subset(const char *name, gridr_dtype dt, int bands, long rows, long cols)
{
    gridr_raster *d = NULL;
    size_t sz = gridr_dtype_size(dt);
    int two = 2, bad = 0;
    gridr_rect w = {rows / 3, cols / 4, rows - rows / 3 - 1, cols / 2};
    unsigned char *all = read_via_gdal(gridr_test_path(name), dt, bands, rows, cols);
    unsigned char *got = malloc((size_t)(w.rows * w.cols) * sz);
    CU_ASSERT_FATAL(all != NULL && got != NULL);
    ASSERT_OK(gridr_raster_open(gridr_test_path(name), &d));
    gridr_array a = gridr_array_make(got, dt, 1, w.rows, w.cols);
    ASSERT_OK(gridr_raster_read(d, w, &two, 1, &a));
    for (long r = 0; r < w.rows; r++)
        bad += memcmp(got + (size_t)(r * w.cols) * sz,
                      all + ((size_t)(rows + w.row0 + r) * (size_t)cols + (size_t)w.col0) * sz,
                      (size_t)w.cols * sz) != 0;
    CU_ASSERT_EQUAL(bad, 0);
    gridr_raster_close(d);
    free(all);
    free(got);
}

/* Files the preadv path reads (one band per chunk, native order): single band tiled and
 * stripped, wide strips (rows too far apart to join in one call), band-interleaved tiles; and
 * a big-endian one it leaves to libtiff; each equal to GDAL's and to libtiff's buffered path
 * (GRIDR_RASTER_PREADV=always / never; the default reads these narrow rows buffered). */
static void test_direct_preadv(void)
{
    const char *const t16[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=32", NULL};
    const char *const st[] = {"TILED=NO", "BLOCKYSIZE=3", NULL};
    const char *const sep[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "INTERLEAVE=BAND", NULL};
    const char *const be[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "ENDIANNESS=BIG", NULL};
    make_file("pv_be.tif", be, GRIDR_DT_U16, 1, 40, 40); /* byte-swapped: buffered path */
    make_file("pv_t.tif", t16, GRIDR_DT_U16, 1, 75, 61);
    make_file("pv_s.tif", st, GRIDR_DT_F32, 1, 40, 33);
    make_file("pv_w.tif", st, GRIDR_DT_U16, 1, 20, 5000);
    make_file("pv_sep.tif", sep, GRIDR_DT_I32, 3, 45, 50);
    static const int modes[] = {1, 0, 2}; /* always, never, rows of 4 KiB or more */
    for (int pass = 0; pass < 3; pass++) {
        GRIDR_TEST_SWITCH(preadv, modes[pass]);
        compare_readers("pv_t.tif", GRIDR_DT_U16, 1, 75, 61);
        compare_readers("pv_be.tif", GRIDR_DT_U16, 1, 40, 40);
        compare_readers("pv_s.tif", GRIDR_DT_F32, 1, 40, 33);
        compare_readers("pv_w.tif", GRIDR_DT_U16, 1, 20, 5000);
        compare_readers("pv_sep.tif", GRIDR_DT_I32, 3, 45, 50);
        compare_band_subset("pv_sep.tif", GRIDR_DT_I32, 3, 45, 50);
    }
}

/* Largest end (offset + size) of a block of band 1 of `path`, from GDAL's TIFF metadata. */
static long last_block_end(const char *path, long *offset)
{
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    long end = -1;
    if (!ds)
        return -1;
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int bw, bh;
    GDALGetBlockSize(b, &bw, &bh);
    for (int y = 0; y * bh < GDALGetRasterYSize(ds); y++)
        for (int x = 0; x * bw < GDALGetRasterXSize(ds); x++) {
            char key[64];
            snprintf(key, sizeof key, "BLOCK_OFFSET_%d_%d", x, y);
            const char *o = GDALGetMetadataItem(b, key, "TIFF");
            snprintf(key, sizeof key, "BLOCK_SIZE_%d_%d", x, y);
            const char *n = GDALGetMetadataItem(b, key, "TIFF");
            if (o && n && atol(o) + atol(n) > end) {
                end = atol(o) + atol(n);
                *offset = atol(o);
            }
        }
    GDALClose(ds);
    return end;
}

/* A tiled file whose last tile is cut: the preadv path fails with GRIDR_EIO naming the file. */
static void test_direct_short_read(void)
{
    struct stat st;
    long off = 0;
    uint16_t *buf = calloc(64 * 64, 2);
    gridr_raster *in = NULL;
    make_file("pv_cut.tif", small_blocks, GRIDR_DT_U16, 1, 64, 64);
    long end = last_block_end(gridr_test_path("pv_cut.tif"), &off);
    CU_ASSERT_FATAL(stat(gridr_test_path("pv_cut.tif"), &st) == 0 && buf != NULL);
    if (end != (long)st.st_size) {
        fprintf(stderr, "(skipped: the last tile is not at the end of the file) ");
        free(buf);
        return;
    }
    CU_ASSERT_FATAL(truncate(gridr_test_path("pv_cut.tif"), off + 100) == 0);
    int old = GRIDR_TEST_SWITCH(preadv, 1); /* 64-wide tiles: narrower than the default's */
    ASSERT_OK(gridr_raster_open(gridr_test_path("pv_cut.tif"), &in));
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U16, 1, 48, 64);
    gridr_array c = gridr_array_make(buf, GRIDR_DT_U16, 1, 24, 24);
    ASSERT_OK(gridr_raster_read(in, (gridr_rect){0, 0, 48, 64}, NULL, 1, &a));
    CU_ASSERT_EQUAL(buf[47 * 64 + 63],
                    (uint16_t)gridr_test_raster_pattern(GRIDR_DT_U16, 0, 47, 63));
    ASSERT_STATUS(gridr_raster_read(in, (gridr_rect){40, 40, 24, 24}, NULL, 1, &c), GRIDR_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "pv_cut.tif"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "short read"));
    GRIDR_TEST_SWITCH(preadv, old);
    gridr_raster_close(in);
    free(buf);
}

static CU_TestInfo tests[] = {
    {"round trip of every dtype, shuffled windows", test_roundtrip_dtypes},
    {"strided read, band map, conversion", test_strided_read},
    {"direct libtiff writes read back by GDAL, fallbacks", test_direct_write},
    {"direct writes handed back to GDAL mid-way", test_direct_handover},
    {"direct libtiff reads equal GDAL reads", test_direct_read},
    {"preadv reads equal GDAL and buffered reads", test_direct_preadv},
    {"preadv read of a cut tile", test_direct_short_read},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_raster_suite = {"raster", NULL, NULL, NULL, NULL, tests};
