/* gridr tests: raster outputs: georeferencing and metadata, atomic commit, abort, replace, cancel.
 */
#include "unit.h"
#include "raster_util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_conv.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop

/* ---- georeferencing and metadata ---------------------------------------------------------- */

static char *utm31_wkt(void)
{
    char *wkt = NULL, *copy;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32631);
    OSRExportToWkt(srs, &wkt);
    copy = strdup(wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    return copy;
}

static void test_georef_roundtrip(void)
{
    const double gt[6] = {500000.0, 10.0, 0.5, 4800000.0, -0.25, -10.0};
    gridr_raster_create_opts o = {0};
    gridr_raster *out = NULL, *in = NULL, *copy = NULL;
    char *wkt = utm31_wkt();
    uint16_t px[2 * 4 * 5] = {0};
    gridr_array a = gridr_array_make(px, GRIDR_DT_U16, 2, 4, 5);
    ASSERT_OK(gridr_raster_create(gridr_test_path("geo.tif"), 4, 5, 2, GRIDR_DT_U16, &o, &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_set_nodata(out, 2, 7));
    ASSERT_OK(gridr_raster_set_nodata(out, 0, 65535));
    ASSERT_STATUS(gridr_raster_set_nodata(out, 1, -1), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_raster_set_nodata(out, 1, 2.5), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_raster_set_nodata(out, 3, 0), GRIDR_ERANGE);
    ASSERT_OK(gridr_raster_set_geotransform(out, gt));
    ASSERT_OK(gridr_raster_set_crs_wkt(out, wkt));
    ASSERT_OK(gridr_raster_set_metadata(out, GRIDR_RASTER_MD_RES_ROW, "10"));
    ASSERT_OK(gridr_raster_set_metadata(out, GRIDR_RASTER_MD_RES_COL, "5"));
    ASSERT_OK(gridr_raster_set_metadata(out, "SENSOR", "test"));
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 4, 5}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    ASSERT_OK(gridr_raster_open(gridr_test_path("geo.tif"), &in));
    CU_ASSERT_FATAL(in != NULL);
    gridr_raster_info info;
    gridr_raster_get_info(in, &info);
    CU_ASSERT_EQUAL(info.has_geotransform, 1);
    CU_ASSERT_EQUAL(memcmp(info.geotransform, gt, sizeof gt), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(info.crs_wkt, "UTM zone 31N"));
    int has = 0;
    double nd = 0;
    ASSERT_OK(gridr_raster_band_nodata(in, 1, &has, &nd));
    CU_ASSERT(has && nd == 65535);
    ASSERT_OK(gridr_raster_band_nodata(in, 2, &has, &nd));
    CU_ASSERT(has && nd == 65535); /* GTiff: one value for all bands */
    long rr = 0, rc = 0;
    ASSERT_OK(gridr_pipeline_grid_res(in, &rr, &rc));
    CU_ASSERT(rr == 10 && rc == 5);
    CU_ASSERT_STRING_EQUAL(gridr_raster_metadata(in, "SENSOR"), "test");
    CU_ASSERT_PTR_NULL(gridr_raster_metadata(in, "NOPE"));
    /* Metadata copy with a band map: output band 1 <- source band 2; no GRIDR_RES_* items. */
    ASSERT_OK(gridr_raster_create(gridr_test_path("geo2.tif"), 2, 2, 1, GRIDR_DT_F32, &o, &copy));
    CU_ASSERT_FATAL(copy != NULL);
    const int map[1] = {2};
    ASSERT_OK(gridr_raster_copy_metadata(copy, in, map, 1));
    ASSERT_STATUS(gridr_raster_set_nodata(copy, 1, NAN), 0);
    ASSERT_OK(gridr_raster_commit(copy));
    gridr_raster_close(in);
    ASSERT_OK(gridr_raster_open(gridr_test_path("geo2.tif"), &in));
    CU_ASSERT_FATAL(in != NULL);
    CU_ASSERT_STRING_EQUAL(gridr_raster_metadata(in, "SENSOR"), "test");
    CU_ASSERT_PTR_NULL(gridr_raster_metadata(in, GRIDR_RASTER_MD_RES_ROW));
    ASSERT_OK(gridr_pipeline_grid_res(in, &rr, &rc));
    CU_ASSERT(rr == 1 && rc == 1);
    ASSERT_OK(gridr_raster_band_nodata(in, 1, &has, &nd));
    CU_ASSERT(has && isnan(nd));
    gridr_raster_close(in);
    free(wkt);
}

/* ---- atomic outputs ----------------------------------------------------------------------- */

static void test_abort_and_replace(void)
{
    gridr_raster *out = NULL, *in = NULL;
    gridr_raster_create_opts o = {.tag = "r1"};
    uint8_t px[6] = {1, 2, 3, 4, 5, 6}, back[6];
    gridr_array a = gridr_array_make(px, GRIDR_DT_U8, 1, 2, 3);
    const char *dst = gridr_test_path("atomic.tif");
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp.r1", dst);
    /* Abort removes the temporary file and never creates the final one. */
    ASSERT_OK(gridr_raster_create(dst, 2, 3, 1, GRIDR_DT_U8, &o, &out));
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 2, 3}, &a));
    CU_ASSERT(gridr_test_file_exists(tmp));
    gridr_raster_abort(out);
    CU_ASSERT(!gridr_test_file_exists(tmp) && !gridr_test_file_exists(dst));
    gridr_raster_abort(NULL);
    gridr_raster_close(NULL);
    /* Closing an uncommitted output is an abort. */
    ASSERT_OK(gridr_raster_create(dst, 2, 3, 1, GRIDR_DT_U8, &o, &out));
    gridr_raster_close(out);
    CU_ASSERT(!gridr_test_file_exists(tmp) && !gridr_test_file_exists(dst));
    /* A taken temporary name is refused, not clobbered. */
    FILE *f = fopen(tmp, "w");
    fputs("someone else's", f);
    fclose(f);
    ASSERT_STATUS(gridr_raster_create(dst, 2, 3, 1, GRIDR_DT_U8, &o, &out), GRIDR_EEXIST);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT(gridr_test_file_exists(tmp));
    unlink(tmp);
    /* Commit replaces an existing final file and its stale .aux.xml. */
    char aux[PATH_MAX];
    snprintf(aux, sizeof aux, "%s.aux.xml", dst);
    f = fopen(dst, "w");
    fputs("old", f);
    fclose(f);
    f = fopen(aux, "w");
    fputs("<PAMDataset/>", f);
    fclose(f);
    ASSERT_OK(gridr_raster_create(dst, 2, 3, 1, GRIDR_DT_U8, &o, &out));
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 2, 3}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    CU_ASSERT(!gridr_test_file_exists(aux) && !gridr_test_file_exists(tmp));
    ASSERT_OK(gridr_raster_open(dst, &in));
    gridr_array b = gridr_array_make(back, GRIDR_DT_U8, 1, 2, 3);
    ASSERT_OK(gridr_raster_read(in, (gridr_rect){0, 0, 2, 3}, NULL, 1, &b));
    CU_ASSERT_EQUAL(memcmp(px, back, 6), 0);
    /* Writing into a read-only raster, committing it: refused. */
    ASSERT_STATUS(gridr_raster_write(in, (gridr_rect){0, 0, 2, 3}, &a), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_raster_commit(in), GRIDR_EINVAL); /* consumes it */
    CU_ASSERT(gridr_test_file_exists(dst));
}

/* COG and PNG can only CreateCopy: written to a staging GTiff, copied at commit. */
static void test_createcopy_drivers(void)
{
    const char *const cog_co[] = {"COMPRESS=DEFLATE", NULL};
    const double gt[6] = {100, 2, 0, 200, 0, -2};
    gridr_raster_create_opts o = {.driver = "COG", .creation_options = cog_co, .tag = "cc"};
    gridr_raster *out = NULL, *in = NULL;
    void *buf = gridr_test_raster_fill(GRIDR_DT_U8, 3, 20, 30);
    uint8_t back[3 * 20 * 30];
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U8, 3, 20, 30);
    const char *names[2] = {"out_cog.tif", "out.png"};
    for (int k = 0; k < 2; k++) {
        o.driver = k == 0 ? "COG" : "PNG";
        o.creation_options = k == 0 ? cog_co : NULL;
        ASSERT_OK(gridr_raster_create(gridr_test_path(names[k]), 20, 30, 3, GRIDR_DT_U8, &o, &out));
        CU_ASSERT_FATAL(out != NULL);
        const char *const *tmps = gridr_raster_temp_files(out);
        CU_ASSERT(tmps[0] && tmps[1] && !tmps[2]);
        CU_ASSERT_PTR_NOT_NULL(strstr(tmps[1], ".stage.tif"));
        char stage[PATH_MAX], tmp[PATH_MAX];
        snprintf(stage, sizeof stage, "%s", tmps[1]);
        snprintf(tmp, sizeof tmp, "%s", tmps[0]);
        ASSERT_OK(gridr_test_write_shuffled(out, &a, 7, 9));
        ASSERT_OK(gridr_raster_set_geotransform(out, gt));
        ASSERT_OK(gridr_raster_commit(out));
        CU_ASSERT(!gridr_test_file_exists(stage) && !gridr_test_file_exists(tmp));
        ASSERT_OK(gridr_raster_open(gridr_test_path(names[k]), &in));
        CU_ASSERT_FATAL(in != NULL);
        gridr_raster_info info;
        gridr_raster_get_info(in, &info);
        CU_ASSERT_STRING_EQUAL(info.driver, k == 0 ? "GTiff" : "PNG");
        CU_ASSERT(info.has_geotransform && info.geotransform[1] == 2); /* PNG: in .aux.xml */
        gridr_array b = gridr_array_make(back, GRIDR_DT_U8, 3, 20, 30);
        ASSERT_OK(gridr_raster_read(in, (gridr_rect){0, 0, 20, 30}, NULL, 3, &b));
        CU_ASSERT_EQUAL(memcmp(buf, back, sizeof back), 0);
        gridr_raster_close(in);
    }
    free(buf);
}

/* A commit's progress: the steps seen, and 0 (cancel) at step `stop_at` (NULL: never). */
typedef struct commit_calls {
    const char *stop_at;
    int copies, renames;
    char last[16];
} commit_calls;

static int commit_progress(double complete, const char *msg, void *arg)
{
    commit_calls *c = arg;
    CU_ASSERT(complete >= 0 && complete <= 1);
    c->copies += strcmp(msg, GRIDR_RASTER_STEP_COPY) == 0;
    c->renames += strcmp(msg, GRIDR_RASTER_STEP_RENAME) == 0;
    snprintf(c->last, sizeof c->last, "%s", msg);
    return !c->stop_at || strcmp(msg, c->stop_at) != 0;
}

/* Commit a 1-band 20 x 30 output of `driver` at `name` with progress `c`: the status. */
static int commit_with(const char *driver, const char *name, commit_calls *c, char tmp[PATH_MAX])
{
    gridr_raster_create_opts o = {.driver = driver, .tag = "cp"};
    gridr_raster *out = NULL;
    void *buf = gridr_test_raster_fill(GRIDR_DT_U8, 1, 20, 30);
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U8, 1, 20, 30);
    ASSERT_OK(gridr_raster_create(gridr_test_path(name), 20, 30, 1, GRIDR_DT_U8, &o, &out));
    CU_ASSERT_FATAL(out != NULL);
    snprintf(tmp, PATH_MAX, "%s", gridr_raster_temp_files(out)[0]);
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 20, 30}, &a));
    gridr_raster_set_progress(out, commit_progress, c);
    free(buf);
    return gridr_raster_commit(out);
}

/* The commit asks its progress during a CreateCopy and right before the rename: a cancel there
 * leaves nothing; going on past the rename writes the output. */
static void test_commit_cancel(void)
{
    char tmp[PATH_MAX];
    commit_calls go = {NULL, 0, 0, ""}, at_rename = {GRIDR_RASTER_STEP_RENAME, 0, 0, ""};
    commit_calls at_copy = {GRIDR_RASTER_STEP_COPY, 0, 0, ""};
    ASSERT_STATUS(commit_with("GTiff", "cancel_rename.tif", &at_rename, tmp), GRIDR_ECANCELED);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "cancel_rename.tif"));
    CU_ASSERT(at_rename.renames == 1 && at_rename.copies == 0);
    CU_ASSERT(!gridr_test_file_exists(gridr_test_path("cancel_rename.tif")) &&
              !gridr_test_file_exists(tmp));
    ASSERT_STATUS(commit_with("COG", "cancel_copy.tif", &at_copy, tmp), GRIDR_ECANCELED);
    CU_ASSERT(at_copy.copies == 1 && at_copy.renames == 0);
    CU_ASSERT(!gridr_test_file_exists(gridr_test_path("cancel_copy.tif")) &&
              !gridr_test_file_exists(tmp));
    ASSERT_OK(commit_with("COG", "commit_go.tif", &go, tmp));
    CU_ASSERT(go.copies >= 1 && go.renames == 1);
    CU_ASSERT_STRING_EQUAL(go.last, GRIDR_RASTER_STEP_RENAME); /* the last word before renames */
    CU_ASSERT(gridr_test_file_exists(gridr_test_path("commit_go.tif")) &&
              !gridr_test_file_exists(tmp));
}

static CU_TestInfo tests[] = {
    {"nodata, geotransform, CRS, metadata", test_georef_roundtrip},
    {"abort, close, taken temp name, replace", test_abort_and_replace},
    {"CreateCopy-only drivers (COG, PNG)", test_createcopy_drivers},
    {"commit cancelled at the copy or the rename", test_commit_cancel},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_raster_outputs_suite = {"raster_outputs", NULL, NULL, NULL, NULL, tests};
