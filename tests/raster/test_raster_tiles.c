/* gridr tests: encoded output tiles (worker side) written raw (parent side) against the old path.
 */
#include "unit.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop

#define TMIN(a, b) ((a) < (b) ? (a) : (b))

static double pattern(gridr_dtype dt, int b, long r, long c)
{
    if (dt == GRIDR_DT_U8)
        return (double)((r * 7 + c * 3 + b * 50) % 256);
    if (dt == GRIDR_DT_U16) /* compressible but not constant */
        return (double)((r / 3 * 1031 + c / 2 * 17 + b * 9000) % 65536);
    return (double)(r - c) * 0.25 + b * 1000.5;
}

static void *fill(gridr_dtype dt, int bands, long rows, long cols)
{
    void *buf = malloc((size_t)bands * (size_t)(rows * cols) * gridr_dtype_size(dt));
    for (int b = 0; b < bands; b++)
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                gridr_dtype_set(buf, dt, (size_t)((b * rows + r) * cols + c), pattern(dt, b, r, c));
    return buf;
}

/* One case: an output of rows x cols, windows of wr x wc, creation options co. */
typedef struct tcase {
    gridr_dtype dt;
    int bands;
    long rows, cols, wr, wc;
    const char *const *co;
} tcase;

static const double gt[6] = {500000.0, 10.0, 0.0, 4800000.0, 0.0, -10.0};

static gridr_raster *create(const tcase *t, const char *name)
{
    gridr_raster_create_opts o = {.creation_options = t->co, .tag = "tt"};
    gridr_raster *out = NULL;
    ASSERT_OK(
        gridr_raster_create(gridr_test_path(name), t->rows, t->cols, t->bands, t->dt, &o, &out));
    if (out) {
        ASSERT_OK(gridr_raster_set_nodata(out, 0, 3));
        ASSERT_OK(gridr_raster_set_geotransform(out, gt));
        char *wkt = NULL;
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, 32631);
        OSRExportToWkt(srs, &wkt);
        ASSERT_OK(gridr_raster_set_crs_wkt(out, wkt));
        CPLFree(wkt);
        OSRDestroySpatialReference(srs);
    }
    return out;
}

/* Window k of the case's windows (in a shuffled order). */
static gridr_rect window(const tcase *t, long k, long *count)
{
    long nr = (t->rows + t->wr - 1) / t->wr, nc = (t->cols + t->wc - 1) / t->wc;
    *count = nr * nc;
    long i = (k * 7 + 3) % *count;
    gridr_rect w = {(i / nc) * t->wr, (i % nc) * t->wc, 0, 0};
    w.rows = TMIN(t->wr, t->rows - w.row0);
    w.cols = TMIN(t->wc, t->cols - w.col0);
    return w;
}

/* The old path: gridr_raster_write of every window. */
static void write_pixels(const tcase *t, const gridr_array *a, const char *name)
{
    gridr_raster *out = create(t, name);
    long n = 1;
    for (long k = 0; out && k < n; k++) {
        gridr_rect w = window(t, k, &n);
        gridr_array sub;
        ASSERT_OK(gridr_array_sub(a, w, &sub));
        ASSERT_OK(gridr_raster_write(out, w, &sub));
    }
    ASSERT_OK(gridr_raster_commit(out));
}

/* Encode window w as a worker would: into a buffer of exactly the bound. */
static void *encode(const gridr_raster_tile_codec *c, const gridr_array *a, gridr_rect w,
                    size_t *used)
{
    gridr_array sub;
    size_t cap = gridr_raster_tiles_bound(c, w);
    CU_ASSERT(cap > sizeof(uint32_t));
    void *buf = malloc(cap);
    ASSERT_OK(gridr_array_sub(a, w, &sub));
    ASSERT_OK(gridr_raster_tiles_encode(c, w, &sub, buf, cap, used));
    CU_ASSERT(*used > 0 && *used <= cap);
    return buf;
}

/* The tiles path: compressed tiles encoded as a worker would and written raw; uncompressed ones
 * (placed by workers in a run, gridr_raster_tiles_put) laid out by gridr_raster_write, which
 * refuses to encode them. */
static void write_tiles(const tcase *t, const gridr_array *a, const char *name, int compression)
{
    gridr_raster_tile_codec c;
    gridr_raster *out = create(t, name);
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
    CU_ASSERT_EQUAL(c.compression, compression);
    CU_ASSERT(c.rows == t->rows && c.cols == t->cols && c.bands == t->bands && c.dtype == t->dt);
    if (c.compression)
        ASSERT_OK(gridr_raster_tiles_begin(out));
    long n = 1;
    for (long k = 0; c.compression && k < n; k++) {
        size_t used = 0;
        gridr_array sub;
        gridr_rect w = window(t, k, &n);
        if (c.compression == GRIDR_RASTER_TILES_DEFLATE) {
            void *buf = encode(&c, a, w, &used);
            ASSERT_OK(gridr_raster_write_tiles(out, w, buf, used));
            free(buf);
            continue;
        }
        unsigned char junk[64];
        ASSERT_OK(gridr_array_sub(a, w, &sub));
        CU_ASSERT_EQUAL(gridr_raster_tiles_encode(&c, w, &sub, junk, (size_t)-1, &used),
                        GRIDR_EINVAL);
        ASSERT_OK(gridr_raster_write(out, w, &sub));
    }
    ASSERT_OK(gridr_raster_commit(out));
}

/* Tile bytes a[0 .. n) and b[0 .. m): the same, or with `decoded`, the same once inflated. */
static int same_bytes(const char *a, size_t n, const char *b, size_t m, int decoded)
{
    if (!decoded)
        return n == m && memcmp(a, b, n) == 0;
    size_t cap = 1 << 20, na = 0, nb = 0;
    char *da = malloc(cap), *db = malloc(cap);
    int same = CPLZLibInflate(a, n, da, cap, &na) && CPLZLibInflate(b, m, db, cap, &nb) &&
               na == nb && na > 0 && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return same;
}

/* Tile (x, y) of band k of both files, as stored: NULL offset when past the tiles. */
static int same_tile(GDALDatasetH a, GDALDatasetH b, FILE *fa, FILE *fb, int k, int x, int y,
                     int decoded)
{
    char key[64];
    GDALRasterBandH ba = GDALGetRasterBand(a, k), bb = GDALGetRasterBand(b, k);
    snprintf(key, sizeof key, "BLOCK_OFFSET_%d_%d", x, y);
    const char *oa = GDALGetMetadataItem(ba, key, "TIFF"),
               *ob = GDALGetMetadataItem(bb, key, "TIFF");
    long offa = oa ? atol(oa) : 0, offb = ob ? atol(ob) : 0;
    snprintf(key, sizeof key, "BLOCK_SIZE_%d_%d", x, y);
    const char *sa = GDALGetMetadataItem(ba, key, "TIFF"),
               *sb = GDALGetMetadataItem(bb, key, "TIFF");
    size_t na = sa ? (size_t)atol(sa) : 0, nb = sb ? (size_t)atol(sb) : 0;
    if (offa <= 0 || offb <= 0 || na == 0 || nb == 0)
        return 0;
    char *da = malloc(na), *db = malloc(nb);
    int same = fseek(fa, offa, SEEK_SET) == 0 && fread(da, 1, na, fa) == na &&
               fseek(fb, offb, SEEK_SET) == 0 && fread(db, 1, nb, fb) == nb &&
               same_bytes(da, na, db, nb, decoded);
    free(da);
    free(db);
    return same;
}

/* Every tile of both files holds the same bytes (with `decoded`, the same once inflated: libtiff
 * 4.5 compresses some small edge tiles with zlib instead of libdeflate, same data). */
static int same_tiles(const char *pa, const char *pb, int decoded)
{
    GDALDatasetH a = GDALOpen(pa, GA_ReadOnly), b = GDALOpen(pb, GA_ReadOnly);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = a && b && fa && fb;
    if (same) {
        int bx = 0, by = 0,
            sep = GDALGetMetadataItem(a, "INTERLEAVE", "IMAGE_STRUCTURE") &&
                  strcmp(GDALGetMetadataItem(a, "INTERLEAVE", "IMAGE_STRUCTURE"), "BAND") == 0;
        GDALGetBlockSize(GDALGetRasterBand(a, 1), &bx, &by);
        int nx = (GDALGetRasterXSize(a) + bx - 1) / bx, ny = (GDALGetRasterYSize(a) + by - 1) / by;
        for (int k = 1; k <= (sep ? GDALGetRasterCount(a) : 1); k++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    same = same && same_tile(a, b, fa, fb, k, x, y, decoded);
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    GDALClose(a);
    GDALClose(b);
    return same;
}

/* Pixels of `path` through GDAL equal the pattern. */
static int pixels_ok(const char *path, const tcase *t, const void *want)
{
    size_t bytes = (size_t)(t->bands * t->rows * t->cols) * gridr_dtype_size(t->dt);
    void *got = calloc(1, bytes);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    int ok = ds && GDALDatasetRasterIO(ds, GF_Read, 0, 0, (int)t->cols, (int)t->rows, got,
                                       (int)t->cols, (int)t->rows,
                                       gridr_dtype_size(t->dt) == 1   ? GDT_Byte
                                       : gridr_dtype_size(t->dt) == 2 ? GDT_UInt16
                                                                      : GDT_Float32,
                                       t->bands, NULL, 0, 0, 0) == CE_None;
    ok = ok && memcmp(got, want, bytes) == 0;
    if (ds)
        GDALClose(ds);
    free(got);
    return ok;
}

static void run_case(const tcase *t, int compression, int decoded, int id)
{
    char na[64], nb[64];
    snprintf(na, sizeof na, "tiles_%d_old.tif", id);
    snprintf(nb, sizeof nb, "tiles_%d_raw.tif", id);
    void *buf = fill(t->dt, t->bands, t->rows, t->cols);
    gridr_array a = gridr_array_make(buf, t->dt, t->bands, t->rows, t->cols);
    write_pixels(t, &a, na);
    write_tiles(t, &a, nb, compression);
    CU_ASSERT(pixels_ok(gridr_test_path(na), t, buf));
    CU_ASSERT(pixels_ok(gridr_test_path(nb), t, buf));
    CU_ASSERT(same_tiles(gridr_test_path(na), gridr_test_path(nb), decoded));
    free(buf);
}

static const char *const none16[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", NULL};
static const char *const defl16[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE", NULL};
static const char *const defl_band[] = {"BLOCKXSIZE=16",   "BLOCKYSIZE=32", "COMPRESS=DEFLATE",
                                        "INTERLEAVE=BAND", "ZLEVEL=3",      NULL};
static const char *const none_band[] = {"BLOCKXSIZE=32", "BLOCKYSIZE=16", "INTERLEAVE=BAND", NULL};
static const char *const defl256[] = {"COMPRESS=DEFLATE", NULL};

/* 37 x 53 in 16 x 16 tiles: edge tiles on both sides; windows of 2 x 2 and 1 x 3 tiles. */
static void test_same_as_old_path(void)
{
    static const gridr_dtype dts[] = {GRIDR_DT_U16, GRIDR_DT_U8, GRIDR_DT_F32};
    int id = 0;
    for (int d = 0; d < 3; d++)
        for (int bands = 1; bands <= 3; bands += 2) {
            tcase t1 = {dts[d], bands, 37, 53, 32, 32, none16};
            tcase t2 = {dts[d], bands, 37, 53, 16, 48, defl16};
            run_case(&t1, GRIDR_RASTER_TILES_NONE, 0, id++);
            run_case(&t2, GRIDR_RASTER_TILES_DEFLATE, 1, id++);
        }
    tcase sep = {GRIDR_DT_U16, 3, 70, 45, 64, 32, defl_band}; /* one tile per band, ZLEVEL */
    run_case(&sep, GRIDR_RASTER_TILES_DEFLATE, 1, id++);
    tcase sepn = {GRIDR_DT_F32, 2, 40, 70, 32, 64, none_band};
    run_case(&sepn, GRIDR_RASTER_TILES_NONE, 0, id++);
    tcase big = {GRIDR_DT_U16, 1, 300, 530, 256, 512, defl256}; /* gridr's default tiles */
    run_case(&big, GRIDR_RASTER_TILES_DEFLATE, 0, id++);        /* default tiles: same bytes */
}

/* A DEFLATE file written raw opens in GDAL with its georeferencing, nodata and compression. */
static void test_deflate_georef(void)
{
    tcase t = {GRIDR_DT_U16, 1, 37, 53, 32, 32, defl16};
    void *buf = fill(t.dt, 1, t.rows, t.cols);
    gridr_array a = gridr_array_make(buf, t.dt, 1, t.rows, t.cols);
    write_tiles(&t, &a, "tiles_georef.tif", GRIDR_RASTER_TILES_DEFLATE);
    GDALDatasetH ds = GDALOpen(gridr_test_path("tiles_georef.tif"), GA_ReadOnly);
    CU_ASSERT_FATAL(ds != NULL);
    double got[6] = {0};
    int has = 0;
    CU_ASSERT(GDALGetGeoTransform(ds, got) == CE_None && memcmp(got, gt, sizeof gt) == 0);
    CU_ASSERT(strstr(GDALGetProjectionRef(ds), "32631") != NULL);
    CU_ASSERT(GDALGetRasterNoDataValue(GDALGetRasterBand(ds, 1), &has) == 3 && has);
    const char *comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    CU_ASSERT(comp && strcmp(comp, "DEFLATE") == 0);
    GDALClose(ds);
    CU_ASSERT(pixels_ok(gridr_test_path("tiles_georef.tif"), &t, buf));
    free(buf);
}

/* Outputs the raw path does not cover say so (compression 0), refuse the tiles path and stay
 * with GDAL. */
static void test_declined(void)
{
    static const char *const lerc[] = {"COMPRESS=LERC", NULL};
    static const char *const packbits[] = {"COMPRESS=PACKBITS", NULL};
    static const char *const strips[] = {"TILED=NO", NULL};
    const char *const *cos[] = {lerc, packbits, strips, none16};
    for (int i = 0; i < 4; i++) {
        tcase t = {GRIDR_DT_U16, 1, 37, 53, 32, 32, cos[i]};
        if (i == 3)
            GRIDR_TEST_SWITCH(gdal_only, 1);
        gridr_raster_tile_codec c;
        gridr_raster *out = create(&t, "tiles_declined.tif");
        CU_ASSERT_FATAL(out != NULL);
        ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
        CU_ASSERT_EQUAL(c.compression, 0);
        gridr_rect w = {0, 0, 32, 32};
        CU_ASSERT_EQUAL(gridr_raster_tiles_bound(&c, w), 0);
        unsigned char junk[64] = {0};
        CU_ASSERT_EQUAL(gridr_raster_tiles_begin(out), GRIDR_EINVAL);
        CU_ASSERT_EQUAL(gridr_raster_write_tiles(out, w, junk, sizeof junk), GRIDR_EINVAL);
        GRIDR_TEST_SWITCH(gdal_only, 0);
        gridr_raster_abort(out);
    }
}

static void assert_same_codec(const gridr_raster_tile_codec *a, const gridr_raster_tile_codec *b)
{
    CU_ASSERT_EQUAL(a->compression, b->compression);
    if (!a->compression || !b->compression)
        return;
    CU_ASSERT_EQUAL(a->level, b->level);
    CU_ASSERT(a->rows == b->rows && a->cols == b->cols);
    CU_ASSERT(a->tile_rows == b->tile_rows && a->tile_cols == b->tile_cols);
    CU_ASSERT(a->bands == b->bands && a->dtype == b->dtype);
    CU_ASSERT_EQUAL(a->separate, b->separate);
    CU_ASSERT_EQUAL(a->predictor, b->predictor);
}

/* The codec planned before the output exists (dry runs) is the one the created output gets. */
static void test_guess(void)
{
    static const char *const z3[] = {"COMPRESS=DEFLATE", "ZLEVEL=3", "BLOCKXSIZE=32",
                                     "BLOCKYSIZE=16", NULL};
    static const char *const band[] = {"INTERLEAVE=BAND", "COMPRESS=DEFLATE", NULL};
    static const char *const pixel[] = {"INTERLEAVE=PIXEL", "TILED=YES", NULL};
    static const char *const pred[] = {"COMPRESS=DEFLATE", "PREDICTOR=2", NULL};
    static const char *const strips[] = {"TILED=NO", NULL};
    const tcase cases[] = {
        {GRIDR_DT_U16, 1, 37, 53, 0, 0, none16}, {GRIDR_DT_U8, 3, 40, 70, 0, 0, z3},
        {GRIDR_DT_F32, 2, 300, 260, 0, 0, band}, {GRIDR_DT_I16, 3, 33, 33, 0, 0, pixel},
        {GRIDR_DT_U16, 1, 20, 20, 0, 0, pred},   {GRIDR_DT_U16, 1, 20, 20, 0, 0, strips}};
    int tiled = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const tcase *t = &cases[i];
        gridr_raster_create_opts o = {.creation_options = t->co};
        gridr_raster_tile_codec g, c;
        ASSERT_OK(gridr_raster_tile_codec_guess(&o, t->rows, t->cols, t->bands, t->dt, &g));
        gridr_raster *out = create(t, "tiles_guess.tif");
        CU_ASSERT_FATAL(out != NULL);
        ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
        assert_same_codec(&g, &c);
        tiled += c.compression != 0;
        gridr_raster_abort(out);
    }
    CU_ASSERT_EQUAL(tiled, 5);
    gridr_raster_tile_codec g;
    gridr_raster_create_opts envi = {.driver = "ENVI"};
    ASSERT_OK(gridr_raster_tile_codec_guess(&envi, 10, 10, 1, GRIDR_DT_U8, &g));
    CU_ASSERT_EQUAL(g.compression, 0);
    gridr_raster_create_opts bad = {.driver = "NoSuchDriver"};
    CU_ASSERT_EQUAL(gridr_raster_tile_codec_guess(&bad, 10, 10, 1, GRIDR_DT_U8, &g), GRIDR_EINVAL);
    CU_ASSERT_EQUAL(gridr_raster_tile_codec_guess(NULL, 0, 10, 1, GRIDR_DT_U8, &g), GRIDR_EINVAL);
}

/* Metadata set after the hand-over gives the file back to GDAL: write_tiles is refused. */
static void test_handover(void)
{
    tcase t = {GRIDR_DT_U8, 1, 37, 53, 32, 32, defl16};
    void *buf = fill(t.dt, 1, t.rows, t.cols);
    gridr_array a = gridr_array_make(buf, t.dt, 1, t.rows, t.cols);
    gridr_raster_tile_codec c;
    size_t used = 0;
    gridr_raster *out = create(&t, "tiles_handover.tif");
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
    CU_ASSERT_EQUAL(c.compression, GRIDR_RASTER_TILES_DEFLATE);
    CU_ASSERT_EQUAL(c.level, 6);
    ASSERT_OK(gridr_raster_tiles_begin(out));
    gridr_rect w0 = {0, 0, 32, 32};
    void *e = encode(&c, &a, w0, &used);
    ASSERT_OK(gridr_raster_write_tiles(out, w0, e, used));
    free(e);
    ASSERT_OK(gridr_raster_set_metadata(out, "AFTER", "yes"));
    long n = 1;
    for (long k = 0; k < n; k++) {
        gridr_rect w = window(&t, k, &n);
        e = encode(&c, &a, w, &used);
        CU_ASSERT_EQUAL(gridr_raster_write_tiles(out, w, e, used), GRIDR_EINVAL);
        free(e);
        gridr_array sub;
        ASSERT_OK(gridr_array_sub(&a, w, &sub));
        ASSERT_OK(gridr_raster_write(out, w, &sub));
    }
    ASSERT_OK(gridr_raster_commit(out));
    CU_ASSERT(pixels_ok(gridr_test_path("tiles_handover.tif"), &t, buf));
    free(buf);
}

static void test_errors(void)
{
    tcase t = {GRIDR_DT_U16, 1, 37, 53, 32, 32, defl16};
    void *buf = fill(t.dt, 1, t.rows, t.cols);
    gridr_array a = gridr_array_make(buf, t.dt, 1, t.rows, t.cols);
    gridr_raster_tile_codec c;
    size_t used = 1;
    gridr_raster *out = create(&t, "tiles_errors.tif");
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
    ASSERT_OK(gridr_raster_tiles_begin(out));
    gridr_rect cut = {8, 0, 16, 16}, w = {32, 48, 5, 5}; /* w: the corner tile */
    unsigned char small[64] = {0};
    CU_ASSERT_EQUAL(gridr_raster_tiles_bound(&c, cut), 0);
    ASSERT_STATUS(gridr_raster_tiles_encode(&c, cut, &a, small, sizeof small, &used), GRIDR_EINVAL);
    CU_ASSERT_EQUAL(used, 0);
    gridr_array sub, wrong = gridr_array_make(buf, GRIDR_DT_I16, 1, 5, 5);
    ASSERT_OK(gridr_array_sub(&a, w, &sub));
    ASSERT_STATUS(gridr_raster_tiles_encode(&c, w, &sub, small, sizeof small, &used), GRIDR_ERANGE);
    ASSERT_STATUS(gridr_raster_tiles_encode(&c, w, &wrong, small, sizeof small, &used),
                  GRIDR_EINVAL);
    void *e = encode(&c, &a, w, &used);
    gridr_rect other = {32, 32, 5, 16};
    ASSERT_STATUS(gridr_raster_write_tiles(out, other, e, used), GRIDR_EINVAL); /* other window */
    ASSERT_STATUS(gridr_raster_write_tiles(out, w, e, used - 1), GRIDR_EINVAL); /* truncated */
    ASSERT_STATUS(gridr_raster_write_tiles(out, w, small, sizeof small), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_raster_write_tiles(out, cut, e, used), GRIDR_EINVAL);
    CU_ASSERT(strstr(gridr_last_error(), "tiles_errors.tif") != NULL);
    ASSERT_OK(gridr_raster_write_tiles(out, w, e, used));
    free(e);
    gridr_raster_abort(out);
    free(buf);
}

/* ---- tiles shared with workers ---- */

/* A forked worker writes window w into the file; the owner records it from the worker's head. */
static void put_in_child(const gridr_raster_tile_sink *s, const gridr_raster_tile_codec *c,
                         gridr_rect w, const gridr_array *sub, gridr_raster *out)
{
    size_t cap = gridr_raster_tiles_bound(c, w), used = 0;
    unsigned char *buf =
        mmap(NULL, cap + sizeof used, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(buf != MAP_FAILED);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = gridr_raster_tiles_put(s, c, w, sub, buf, cap, &used);
        memcpy(buf + cap, &used, sizeof used);
        _exit(rc ? 1 : 0);
    }
    int st = -1;
    CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &st, 0) == pid);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    memcpy(&used, buf + cap, sizeof used);
    CU_ASSERT(used > 0 && used < cap);
    ASSERT_OK(gridr_raster_write_tiles(out, w, buf, used));
    munmap(buf, cap + sizeof used);
}

/* Window k: a worker's put (k % 3 == 0) or the owner's pixels laid out at the same places (the
 * other windows); the last window is never written and reads as nodata. No setter once shared. */
static void write_shared(const tcase *t, const gridr_array *a, gridr_raster *out, void *want)
{
    gridr_raster_tile_codec c;
    gridr_raster_tile_sink s;
    ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
    ASSERT_OK(gridr_raster_tiles_share(out, &s));
    size_t spp = c.separate ? 1 : (size_t)t->bands;
    CU_ASSERT_FATAL(s.ok == 1);
    gridr_raster_tile_sink again;
    ASSERT_OK(gridr_raster_tiles_share(out, &again)); /* a second call: the same places */
    CU_ASSERT(memcmp(&again, &s, sizeof s) == 0);
    CU_ASSERT(s.base % 4096 == 0 && s.tile_bytes == (uint64_t)(c.tile_rows * c.tile_cols) * spp *
                                                        gridr_dtype_size(t->dt));
    long n = 1;
    for (long k = 0; k < n; k++) {
        gridr_rect w = window(t, k, &n);
        gridr_array sub;
        ASSERT_OK(gridr_array_sub(a, w, &sub));
        if (k == n - 1) {
            gridr_array hole = gridr_array_make(want, t->dt, t->bands, t->rows, t->cols), wh;
            ASSERT_OK(gridr_array_sub(&hole, w, &wh));
            for (int b = 0; b < t->bands; b++)
                for (long r = 0; r < w.rows; r++)
                    for (long q = 0; q < w.cols; q++)
                        gridr_dtype_set(gridr_array_at(&wh, b, r, q), t->dt, 0, 3.0);
        } else if (k % 3 == 0) {
            put_in_child(&s, &c, w, &sub, out);
        } else {
            ASSERT_OK(gridr_raster_write(out, w, &sub));
        }
    }
    CU_ASSERT_EQUAL(gridr_raster_set_metadata(out, "LATE", "1"), GRIDR_EINVAL);
}

/* Shared outputs hold the pixels of every written window, in every interleave and type. */
static void test_share(void)
{
    static const char *const none3[] = {"BLOCKXSIZE=16", "BLOCKYSIZE=16", "TILED=YES", NULL};
    const tcase cases[] = {{GRIDR_DT_U16, 1, 37, 53, 32, 32, none16},
                           {GRIDR_DT_U8, 3, 37, 53, 16, 48, none3},
                           {GRIDR_DT_F32, 2, 40, 70, 32, 64, none_band}};
    for (int i = 0; i < 3; i++) {
        const tcase *t = &cases[i];
        void *buf = fill(t->dt, t->bands, t->rows, t->cols);
        void *want = fill(t->dt, t->bands, t->rows, t->cols);
        gridr_array a = gridr_array_make(buf, t->dt, t->bands, t->rows, t->cols);
        gridr_raster *out = create(t, "tiles_share.tif");
        CU_ASSERT_FATAL(out != NULL);
        write_shared(t, &a, out, want);
        ASSERT_OK(gridr_raster_commit(out));
        CU_ASSERT(pixels_ok(gridr_test_path("tiles_share.tif"), t, want));
        free(buf);
        free(want);
    }
}

/* Outputs not shared (compressed, GRIDR_WORKER_WRITES=0, a non-dumpable owner); bad sinks and
 * windows. */
static void test_share_declined(void)
{
    tcase d = {GRIDR_DT_U16, 1, 37, 53, 32, 32, defl16},
          u = {GRIDR_DT_U16, 1, 37, 53, 32, 32, none16};
    gridr_raster_tile_codec c;
    gridr_raster_tile_sink s;
    for (int i = 0; i < 3; i++) {
        gridr_raster *out = create(i == 0 ? &d : &u, "tiles_share_no.tif");
        CU_ASSERT_FATAL(out != NULL);
        if (i == 1)
            GRIDR_TEST_SWITCH(worker_writes, 0);
        if (i == 2)
            CU_ASSERT_FATAL(prctl(PR_SET_DUMPABLE, 0) == 0);
        ASSERT_OK(gridr_raster_tiles_share(out, &s));
        prctl(PR_SET_DUMPABLE, 1);
        GRIDR_TEST_SWITCH(worker_writes, 1);
        CU_ASSERT_EQUAL(s.ok, 0);
        gridr_raster_abort(out);
    }
    gridr_raster *out = create(&u, "tiles_share_no.tif");
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_tile_codec_get(out, &c));
    ASSERT_OK(gridr_raster_tiles_share(out, &s));
    CU_ASSERT_FATAL(s.ok == 1);
    uint16_t px[32 * 32] = {0};
    unsigned char buf[64];
    size_t used = 1;
    gridr_array arr = gridr_array_make(px, GRIDR_DT_U16, 1, 32, 32);
    gridr_raster_tile_sink other = s;
    other.ino++;
    CU_ASSERT_EQUAL(gridr_raster_tiles_put(&other, &c, (gridr_rect){0, 0, 32, 32}, &arr, buf,
                                           sizeof buf, &used),
                    GRIDR_ERANGE); /* the buffer is checked first */
    unsigned char *big = malloc(gridr_raster_tiles_bound(&c, (gridr_rect){0, 0, 32, 32}));
    size_t cap = gridr_raster_tiles_bound(&c, (gridr_rect){0, 0, 32, 32});
    CU_ASSERT_EQUAL(
        gridr_raster_tiles_put(&other, &c, (gridr_rect){0, 0, 32, 32}, &arr, big, cap, &used),
        GRIDR_EIO);
    CU_ASSERT(strstr(gridr_last_error(), "not the file the run opened") != NULL);
    CU_ASSERT_EQUAL(used, 0);
    gridr_array part = gridr_array_make(px, GRIDR_DT_U16, 1, 20, 20);
    CU_ASSERT_EQUAL(
        gridr_raster_tiles_put(&s, &c, (gridr_rect){0, 0, 20, 20}, &part, big, cap, &used),
        GRIDR_EINVAL);
    other = s;
    other.ok = 0;
    CU_ASSERT_EQUAL(
        gridr_raster_tiles_put(&other, &c, (gridr_rect){0, 0, 32, 32}, &arr, big, cap, &used),
        GRIDR_EINVAL);
    free(big);
    gridr_raster_abort(out);
}

static CU_TestInfo tests[] = {
    {"raw tiles decode like the old path's, same bytes", test_same_as_old_path},
    {"DEFLATE raw tiles: georeferencing, nodata, compression", test_deflate_georef},
    {"outputs the raw path does not cover decline", test_declined},
    {"metadata after the hand-over: tiles decline", test_handover},
    {"bad windows, buffers and tables", test_errors},
    {"the codec planned before the output exists", test_guess},
    {"tiles written by workers into a shared output", test_share},
    {"outputs not shared, bad sinks and windows", test_share_declined},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_raster_tiles_suite = {"raster_tiles", NULL, NULL, NULL, NULL, tests};
