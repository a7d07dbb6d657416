/* gridr tests: raster errors (open, truncated, band types, outputs, disk full), zoom, sample data.
 */
#include "unit.h"
#include "raster_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal.h>
#pragma GCC diagnostic pop

/* ---- helpers ------------------------------------------------------------------------------ */

/* Redirect stderr to a file; stderr_end() restores it and returns the bytes written. */
static int saved_stderr = -1;

static void stderr_begin(void)
{
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(gridr_test_path("stderr.txt"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fd, 2);
    close(fd);
}

/* Restore stderr; return the bytes written to it, not counting valgrind's own "==PID==" lines
 * (make memcheck follows forked children, whose reports land in the redirected stderr). */
static long stderr_end(void)
{
    char line[4096];
    long n = 0;
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    FILE *f = fopen(gridr_test_path("stderr.txt"), "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        int pid_len = 0;
        if (!(sscanf(line, "==%*d==%n", &pid_len) == 0 && pid_len > 0))
            n += (long)strlen(line);
    }
    fclose(f);
    return n;
}

/* ---- errors ------------------------------------------------------------------------------- */

static void test_open_errors(void)
{
    gridr_raster *in = (gridr_raster *)1;
    stderr_begin();
    int rc_missing = gridr_raster_open(gridr_test_path("missing.tif"), &in);
    char msg_missing[1024];
    snprintf(msg_missing, sizeof msg_missing, "%s", gridr_last_error());
    FILE *f = fopen(gridr_test_path("text.tif"), "w");
    fputs("this is not a TIFF file\n", f);
    fclose(f);
    int rc_text = gridr_raster_open(gridr_test_path("text.tif"), &in);
    char msg_text[1024];
    snprintf(msg_text, sizeof msg_text, "%s", gridr_last_error());
    long printed = stderr_end();
    CU_ASSERT_EQUAL(rc_missing, GRIDR_ENOENT);
    CU_ASSERT_PTR_NULL(in);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg_missing, "missing.tif"));
    CU_ASSERT_EQUAL(rc_text, GRIDR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg_text, "text.tif"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg_text, "not a raster"));
    CU_ASSERT_EQUAL(printed, 0);
}

/* A valid TIFF cut in half: the open or the read fails with a message, nothing is printed. */
static void test_truncated(void)
{
    gridr_raster *in = NULL;
    struct stat st;
    const char *const co[] = {"TILED=NO", NULL};
    gridr_raster_create_opts o = {.creation_options = co};
    gridr_raster *out = NULL;
    void *buf = gridr_test_raster_fill(GRIDR_DT_U16, 1, 200, 100);
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U16, 1, 200, 100);
    ASSERT_OK(
        gridr_raster_create(gridr_test_path("trunc.tif"), 200, 100, 1, GRIDR_DT_U16, &o, &out));
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, 200, 100}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    CU_ASSERT_FATAL(stat(gridr_test_path("trunc.tif"), &st) == 0);
    CU_ASSERT_FATAL(truncate(gridr_test_path("trunc.tif"), st.st_size / 2) == 0);
    stderr_begin();
    int rc = gridr_raster_open(gridr_test_path("trunc.tif"), &in);
    if (rc == 0)
        rc = gridr_raster_read(in, (gridr_rect){0, 0, 200, 100}, NULL, 1, &a);
    long printed = stderr_end();
    CU_ASSERT(rc == GRIDR_EIO || rc == GRIDR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "trunc.tif"));
    CU_ASSERT_EQUAL(printed, 0);
    gridr_raster_close(in);
    free(buf);
}

static void test_unsupported_types(void)
{
    gridr_raster *in = NULL;
    gridr_dtype dt;
    const char *p = gridr_test_path("cint16.tif");
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), p, 4, 3, 2, GDT_CInt16, NULL);
    CU_ASSERT_FATAL(ds != NULL);
    GDALClose(ds);
    ASSERT_OK(gridr_raster_open(p, &in));
    CU_ASSERT_FATAL(in != NULL);
    ASSERT_STATUS(gridr_raster_band_dtype(in, 2, &dt), GRIDR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "band 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "CInt16"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "cint16.tif"));
    ASSERT_STATUS(gridr_raster_band_dtype(in, 3, &dt), GRIDR_ERANGE);
    double v[12];
    gridr_array a = gridr_array_make(v, GRIDR_DT_F64, 1, 3, 4);
    ASSERT_STATUS(gridr_raster_read(in, (gridr_rect){0, 0, 3, 4}, NULL, 1, &a), GRIDR_EFORMAT);
    gridr_raster_close(in);
    /* GDAL 3.6 signed bytes: a Byte band with PIXELTYPE=SIGNEDBYTE. */
    const char *const sb[] = {"PIXELTYPE=SIGNEDBYTE", NULL};
    p = gridr_test_path("i8.tif");
    ds = GDALCreate(GDALGetDriverByName("GTiff"), p, 4, 3, 1, GDT_Byte, (char **)sb);
    CU_ASSERT_FATAL(ds != NULL);
    GDALClose(ds);
    ASSERT_OK(gridr_raster_open(p, &in));
    ASSERT_STATUS(gridr_raster_band_dtype(in, 1, &dt), GRIDR_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "signed byte"));
    gridr_raster_close(in);
}

static void test_output_errors(void)
{
    gridr_raster *out = (gridr_raster *)1;
    const char *const bad_co[] = {"COMPRESS=NOPE", NULL};
    const char *const not_kv[] = {"TILED", NULL};
    gridr_raster_create_opts o = {.creation_options = bad_co};
    FILE *f = fopen(gridr_test_path("plainfile"), "w");
    fclose(f);
    stderr_begin();
    int rc_nodir =
        gridr_raster_create(gridr_test_path("nodir/out.tif"), 2, 2, 1, GRIDR_DT_U8, NULL, &out);
    char m_nodir[1024];
    snprintf(m_nodir, sizeof m_nodir, "%s", gridr_last_error());
    int rc_filedir = gridr_raster_check_output(gridr_test_path("plainfile/out.tif"), NULL);
    char m_filedir[1024];
    snprintf(m_filedir, sizeof m_filedir, "%s", gridr_last_error());
    int rc_isdir = gridr_raster_check_output(gridr_test_tmpdir(), NULL);
    int rc_drv = gridr_raster_check_output(gridr_test_path("x.tif"), "NoSuchDriver");
    char m_drv[1024];
    snprintf(m_drv, sizeof m_drv, "%s", gridr_last_error());
    int rc_co = gridr_raster_create(gridr_test_path("co.tif"), 2, 2, 1, GRIDR_DT_U8, &o, &out);
    char m_co[1024];
    snprintf(m_co, sizeof m_co, "%s", gridr_last_error());
    o.creation_options = not_kv;
    int rc_kv = gridr_raster_create(gridr_test_path("co.tif"), 2, 2, 1, GRIDR_DT_U8, &o, &out);
    int rc_shape = gridr_raster_create(gridr_test_path("co.tif"), 0, 2, 1, GRIDR_DT_U8, NULL, &out);
    long printed = stderr_end();
    CU_ASSERT_EQUAL(rc_nodir, GRIDR_ENOENT);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(m_nodir, "nodir"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m_nodir, "output directory"));
    CU_ASSERT_EQUAL(rc_filedir, GRIDR_ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(m_filedir, "plainfile"));
    CU_ASSERT_EQUAL(rc_isdir, GRIDR_EINVAL);
    CU_ASSERT_EQUAL(rc_drv, GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(m_drv, "NoSuchDriver"));
    CU_ASSERT_EQUAL(rc_co, GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(m_co, "NOPE"));
    CU_ASSERT_EQUAL(rc_kv, GRIDR_EINVAL);
    CU_ASSERT_EQUAL(rc_shape, GRIDR_EINVAL);
    CU_ASSERT(!gridr_test_file_exists(gridr_test_path("co.tif")));
    CU_ASSERT_EQUAL(printed, 0);
    if (geteuid() == 0) {
        fprintf(stderr, "\n  [skipped: read-only directory check (root ignores modes)] ");
        return;
    }
    mkdir(gridr_test_path("ro"), 0500);
    ASSERT_STATUS(gridr_raster_check_output(gridr_test_path("ro/out.tif"), NULL), GRIDR_EPERM);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "not writable"));
    chmod(gridr_test_path("ro"), 0700);
}

/* Disk full: a 128 KiB tmpfs in a private mount namespace (root only), in a child process; the
 * child reports through its exit status: 0 ok, 77 skipped, else the failed check number. */
static int disk_full_check(const char *dir, void *buf)
{
    char dst[PATH_MAX];
    snprintf(dst, sizeof dst, "%s/full.tif", dir);
    gridr_raster *out = NULL;
    gridr_array a = gridr_array_make(buf, GRIDR_DT_F64, 1, 256, 256);
    if (gridr_raster_create(dst, 256, 256, 1, GRIDR_DT_F64, NULL, &out) != 0)
        return 1;
    int rc = gridr_test_write_shuffled(out, &a, 64, 64);
    if (rc == 0)
        rc = gridr_raster_commit(out);
    else
        gridr_raster_abort(out);
    if (rc != GRIDR_ENOSPC)
        return 2;
    if (!strstr(gridr_last_error(), "full.tif"))
        return 3;
    struct stat st;
    if (stat(dst, &st) == 0)
        return 4;
    if (rmdir(dir) == 0 || errno != EBUSY) /* the tmpfs is still mounted */
        return 5;
    /* Nothing left in the directory. */
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    return system(cmd) == 0 ? 0 : 6;
}

static int disk_full_child(const char *dir)
{
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=128k") != 0)
        return 77;
    void *buf = gridr_test_raster_fill(GRIDR_DT_F64, 1, 256, 256); /* 512 KiB */
    int rc = disk_full_check(dir, buf);
    free(buf); /* the child ends with _exit: valgrind would count the buffer as lost */
    return rc;
}

static void test_disk_full(void)
{
    const char *dir = gridr_test_path("fullfs");
    mkdir(dir, 0700);
    stderr_begin();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(disk_full_child(dir));
    int st = 0;
    waitpid(pid, &st, 0);
    long printed = stderr_end();
    CU_ASSERT_FATAL(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        fprintf(stderr, "\n  [skipped: disk full needs root for a private tmpfs] ");
        return;
    }
    if (WEXITSTATUS(st) != 0)
        fprintf(stderr, "\n  disk-full child failed check %d\n", WEXITSTATUS(st));
    CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
    CU_ASSERT_EQUAL(printed, 0);
}

static void test_sample_data(void)
{
    gridr_raster *in = NULL;
    gridr_raster_info info;
    gridr_dtype dt;
    int has = 0;
    double nd = 0;
    long rr = 0, rc = 0;
    ASSERT_OK(gridr_raster_open(gridr_test_data("sample.tif"), &in));
    CU_ASSERT_FATAL(in != NULL);
    gridr_raster_get_info(in, &info);
    CU_ASSERT(info.bands == 3 && info.has_geotransform);
    CU_ASSERT_PTR_NOT_NULL(strstr(info.crs_wkt, "UTM zone 31N"));
    ASSERT_OK(gridr_raster_band_dtype(in, 1, &dt));
    CU_ASSERT_EQUAL(dt, GRIDR_DT_U16);
    ASSERT_OK(gridr_raster_band_nodata(in, 3, &has, &nd));
    CU_ASSERT(has);
    gridr_raster_close(in);
    ASSERT_OK(gridr_raster_open(gridr_test_data("sample_grid.tif"), &in));
    CU_ASSERT_FATAL(in != NULL);
    ASSERT_OK(gridr_pipeline_grid_res(in, &rr, &rc));
    CU_ASSERT(rr == 10 && rc == 10);
    ASSERT_OK(gridr_raster_band_dtype(in, 2, &dt));
    CU_ASSERT_EQUAL(dt, GRIDR_DT_F64);
    gridr_raster_close(in);
}

static CU_TestInfo tests[] = {
    {"open errors, nothing on stderr", test_open_errors},
    {"truncated TIFF", test_truncated},
    {"unsupported band types", test_unsupported_types},
    {"output directory and option errors", test_output_errors},
    {"disk full on commit", test_disk_full},
    {"sample data", test_sample_data},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_raster_errors_suite = {"raster_errors", NULL, NULL, NULL, NULL, tests};
