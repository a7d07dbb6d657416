/* gridr tests: the pipeline: a job's output temporary name is journaled before any of its files
 * exists. */
#include "unit.h"

#include "pipeline/pipeline_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the output's temporary name ------------------------------------------------------- */

typedef struct record_seen {
    int calls, existed;
    char tmp[PATH_MAX];
    int rc; /* what the callback returns */
} record_seen;

/* A record callback: notes whether any file of the temporary name existed when it was called. */
static int note_record(void *user, const char *tmp)
{
    record_seen *r = user;
    char stage[PATH_MAX + 16];
    struct stat st;
    snprintf(stage, sizeof stage, "%s.stage.tif", tmp);
    r->calls++;
    r->existed |= stat(tmp, &st) == 0 || stat(stage, &st) == 0;
    snprintf(r->tmp, sizeof r->tmp, "%s", tmp);
    return r->rc ? gridr_set_error(r->rc, "refused by the test") : 0;
}

/* Files in the test directory whose name starts with `prefix`. */
static int count_prefixed(const char *prefix)
{
    DIR *d = opendir(gridr_test_tmpdir());
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

/* gridr_raster_create calls the record callback with the temporary name before creating
 * anything, and a refusal leaves nothing on disk. */
static void test_create_records_first(void)
{
    record_seen r = {0};
    char want[PATH_MAX];
    gridr_raster *out = NULL;
    gridr_raster_create_opts o = {
        .driver = "PNG", .tag = "0c0ffee0", .record = note_record, .record_user = &r};
    snprintf(want, sizeof want, "%s.tmp.0c0ffee0", gridr_test_path("rec.png"));
    ASSERT_OK(gridr_raster_create(gridr_test_path("rec.png"), 4, 5, 1, GRIDR_DT_U8, &o, &out));
    CU_ASSERT(r.calls == 1 && !r.existed);
    CU_ASSERT_STRING_EQUAL(r.tmp, want);
    CU_ASSERT_EQUAL(count_prefixed("rec.png.tmp."), 3); /* the name, staging file, copy dir */
    gridr_raster_abort(out);
    CU_ASSERT_EQUAL(count_prefixed("rec.png"), 0);
    r.rc = GRIDR_EIO;
    o.driver = NULL;
    ASSERT_STATUS(gridr_raster_create(gridr_test_path("rec.tif"), 4, 5, 1, GRIDR_DT_U8, &o, &out),
                  GRIDR_EIO);
    CU_ASSERT(r.calls == 2 && !r.existed && out == NULL);
    CU_ASSERT_EQUAL(count_prefixed("rec.tif"), 0);
}

static void zoom_job(gridr_job *j, const char *dst)
{
    gridr_job_init(j);
    ASSERT_OK(gridr_job_set(j, "kind", "zoom"));
    ASSERT_OK(gridr_job_set(j, "src", gridr_test_data("sample.tif")));
    ASSERT_OK(gridr_job_set(j, "dst", gridr_test_path(dst)));
    ASSERT_OK(gridr_job_set(j, "factor", "0.5"));
}

/* In a forked child the registry refuses every record: the output must then not be created at
 * all (before, it was created and only then recorded: a kill in between left it to nobody). */
static int create_unrecorded(const gridr_job *j, gridr_registry *reg)
{
    gridr__pipeline_ctx c;
    int rc = gridr__pipeline_open(&c, j, 0);
    if (rc == 0)
        rc = gridr__pipeline_create_output(&c, j, reg);
    int left = count_prefixed("order.tif");
    gridr__pipeline_close(&c);
    return rc == GRIDR_EINVAL && left == 0 ? 0 : 1;
}

static void test_job_output_journaled_first(void)
{
    gridr_registry *reg = NULL;
    gridr__pipeline_ctx c;
    gridr_job j;
    char rec[PATH_MAX + 16];
    int status = 0;
    zoom_job(&j, "order.tif");
    ASSERT_OK(gridr_registry_open(gridr_test_path("order-state"), &reg));
    CU_ASSERT_FATAL(reg != NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(create_unrecorded(&j, reg));
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The owner: journaled as a temporary name, then created; the abort removes it. */
    ASSERT_OK(gridr__pipeline_open(&c, &j, 0));
    ASSERT_OK(gridr__pipeline_create_output(&c, &j, reg));
    snprintf(rec, sizeof rec, "+tmp %s.tmp.%s\n", j.dst, gridr_registry_run_id(reg));
    FILE *f = fopen(gridr_registry_journal(reg), "r");
    char text[8192] = "";
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, rec));
    CU_ASSERT_EQUAL(count_prefixed("order.tif.tmp."), 1);
    gridr__pipeline_close(&c);
    CU_ASSERT_EQUAL(count_prefixed("order.tif"), 0);
    gridr_registry_close(reg);
    gridr_job_clear(&j);
}

/* ---- GridR's conventions: grid oversampling metadata, zoom geotransform ----------------- */

static void test_bad_grid_res(void)
{
    gridr_raster *out = NULL, *in = NULL;
    float px[4] = {0};
    gridr_array a = gridr_array_make(px, GRIDR_DT_F32, 1, 2, 2);
    ASSERT_OK(
        gridr_raster_create(gridr_test_path("badres.tif"), 2, 2, 1, GRIDR_DT_F32, NULL, &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_set_metadata(out, GRIDR_RASTER_MD_RES_COL, "2.5"));
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 2, 2}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    ASSERT_OK(gridr_raster_open(gridr_test_path("badres.tif"), &in));
    long rr, rc;
    ASSERT_STATUS(gridr_pipeline_grid_res(in, &rr, &rc), GRIDR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "GRIDR_RES_COL='2.5'"));
    gridr_raster_close(in);
}

static void test_zoom_geotransform(void)
{
    const double src[6] = {500000.0, 10.0, 1.0, 4800000.0, 2.0, -10.0};
    double out[6];
    gridr_pipeline_zoom_geotransform(src, 4.0, 2.0, out);
    const double want[6] = {500000.0, 5.0, 0.25, 4800000.0, 1.0, -2.5};
    CU_ASSERT_EQUAL(memcmp(out, want, sizeof want), 0);
    /* Output pixel centre (i, j) lands on the geo position of source centre
     * ((i + 0.5) / fy - 0.5, (j + 0.5) / fx - 0.5). */
    const double fy = 3.0, fx = 0.5;
    gridr_pipeline_zoom_geotransform(src, fy, fx, out);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            double ox = out[0] + (j + 0.5) * out[1] + (i + 0.5) * out[2];
            double oy = out[3] + (j + 0.5) * out[4] + (i + 0.5) * out[5];
            double si = (i + 0.5) / fy - 0.5, sj = (j + 0.5) / fx - 0.5;
            double sx = src[0] + (sj + 0.5) * src[1] + (si + 0.5) * src[2];
            double sy = src[3] + (sj + 0.5) * src[4] + (si + 0.5) * src[5];
            CU_ASSERT_DOUBLE_EQUAL(ox, sx, 1e-6);
            CU_ASSERT_DOUBLE_EQUAL(oy, sy, 1e-6);
        }
}

static CU_TestInfo tests[] = {
    {"raster create: record callback before any file", test_create_records_first},
    {"job output: journaled before it is created", test_job_output_journaled_first},
    {"malformed grid oversampling item", test_bad_grid_res},
    {"zoom geotransform", test_zoom_geotransform},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_pipeline_suite = {"pipeline", NULL, NULL, NULL, NULL, tests};
