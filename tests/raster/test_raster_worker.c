/* gridr tests: source reads by worker processes (gridr_raster_worker_source / _read). */
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static double value(long r, long c, int b)
{
    return (double)((r * 131 + c * 7 + b * 1000) % 60000);
}

/* A rows x cols raster of `bands` u16 bands with `co` (NULL-terminated), committed. */
static void make(const char *name, const char *const *co, int bands, long rows, long cols)
{
    gridr_raster_create_opts o = {.creation_options = co};
    gridr_raster *out = NULL;
    uint16_t *d = malloc((size_t)(bands * rows * cols) * sizeof *d);
    for (int b = 0; b < bands; b++)
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                d[(b * rows + r) * cols + c] = (uint16_t)value(r, c, b);
    gridr_array a = gridr_array_make(d, GRIDR_DT_U16, bands, rows, cols);
    ASSERT_OK(
        gridr_raster_create(gridr_test_path(name), rows, cols, bands, GRIDR_DT_U16, &o, &out));
    CU_ASSERT_FATAL(out != NULL);
    ASSERT_OK(gridr_raster_write(out, (gridr_rect){0, 0, rows, cols}, &a));
    ASSERT_OK(gridr_raster_commit(out));
    free(d);
}

/* Windows read by gridr_raster_worker_read equal the owner's reads; returns the mismatches. */
static long compare_windows(gridr_raster *r, const gridr_raster_worker_src *ws, long rows,
                            long cols)
{
    const gridr_rect wins[] = {
        {0, 0, rows, cols}, {3, 5, 40, 33}, {rows - 17, cols - 9, 17, 9}, {rows / 2, 0, 1, cols}};
    long bad = 0;
    for (size_t k = 0; k < sizeof wins / sizeof *wins; k++) {
        gridr_rect w = wins[k];
        size_t n = (size_t)(w.rows * w.cols);
        uint16_t *a = calloc(n, 2), *b = calloc(n, 2);
        gridr_array aa = gridr_array_make(a, GRIDR_DT_U16, 1, w.rows, w.cols);
        gridr_array ba = gridr_array_make(b, GRIDR_DT_U16, 1, w.rows, w.cols);
        ASSERT_OK(gridr_raster_read(r, w, NULL, 1, &aa));
        ASSERT_OK(gridr_raster_worker_read(ws, w, &ba));
        bad += memcmp(a, b, n * 2) != 0;
        bad += a[n - 1] != (uint16_t)value(w.row0 + w.rows - 1, w.col0 + w.cols - 1, 0);
        free(a);
        free(b);
    }
    return bad;
}

/* Tiled and stripped one-band files: the worker's reads equal the owner's. */
static void test_same_bytes(void)
{
    const char *const tiled[] = {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=16", NULL};
    const char *const strips[] = {"TILED=NO", "BLOCKYSIZE=5", NULL};
    const char *const *cos[] = {tiled, strips};
    for (int k = 0; k < 2; k++) {
        gridr_raster *r = NULL;
        gridr_raster_worker_src ws;
        make(k ? "wr_s.tif" : "wr_t.tif", cos[k], 1, 101, 87);
        ASSERT_OK(gridr_raster_open(gridr_test_path(k ? "wr_s.tif" : "wr_t.tif"), &r));
        ASSERT_OK(gridr_raster_worker_source(r, &ws));
        CU_ASSERT_EQUAL(ws.ok, 1);
        CU_ASSERT(ws.rows == 101 && ws.cols == 87 && ws.dtype == GRIDR_DT_U16);
        CU_ASSERT_EQUAL(compare_windows(r, &ws, 101, 87), 0);
        gridr_raster_close(r);
    }
}

/* In a forked child (as a worker): the same bytes; the child reports through its exit status. */
static void test_in_child(void)
{
    const char *const tiled[] = {"TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", NULL};
    gridr_raster *r = NULL;
    gridr_raster_worker_src ws;
    make("wr_c.tif", tiled, 1, 64, 70);
    ASSERT_OK(gridr_raster_open(gridr_test_path("wr_c.tif"), &r));
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    uint16_t *own = calloc(64 * 70, 2);
    gridr_array oa = gridr_array_make(own, GRIDR_DT_U16, 1, 64, 70);
    ASSERT_OK(gridr_raster_read(r, (gridr_rect){0, 0, 64, 70}, NULL, 1, &oa));
    pid_t pid = fork();
    if (pid == 0) {
        uint16_t *got = calloc(64 * 70, 2);
        gridr_array ga = gridr_array_make(got, GRIDR_DT_U16, 1, 64, 70);
        int rc = gridr_raster_worker_read(&ws, (gridr_rect){0, 0, 64, 70}, &ga);
        _exit(rc ? 2 : memcmp(got, own, 64 * 70 * 2) != 0);
    }
    int st = -1;
    CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &st, 0) == pid);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(own);
    gridr_raster_close(r);
}

/* A process that made itself non-dumpable keeps its reads: its children could not reopen the file
 * through /proc (unless privileged). Dumpable again, the workers read. */
static void test_not_dumpable(void)
{
    const char *const tiled[] = {"TILED=YES", NULL};
    gridr_raster *r = NULL;
    gridr_raster_worker_src ws;
    make("wr_d.tif", tiled, 1, 20, 20);
    ASSERT_OK(gridr_raster_open(gridr_test_path("wr_d.tif"), &r));
    CU_ASSERT_FATAL(prctl(PR_SET_DUMPABLE, 0) == 0);
    int rc = gridr_raster_worker_source(r, &ws);
    CU_ASSERT_FATAL(prctl(PR_SET_DUMPABLE, 1) == 0);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(ws.ok, 0);
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    CU_ASSERT_EQUAL(ws.ok, 1);
    gridr_raster_close(r);
}

/* Sources the workers do not read: several bands, compressed; GRIDR_WORKER_READS=0. */
static void test_declines(void)
{
    const char *const deflate[] = {"TILED=YES", "COMPRESS=DEFLATE", NULL};
    const char *const plain[] = {"TILED=YES", NULL};
    gridr_raster_worker_src ws;
    gridr_raster *r = NULL;
    make("wr_3b.tif", plain, 3, 20, 20);
    make("wr_z.tif", deflate, 1, 20, 20);
    make("wr_1.tif", plain, 1, 20, 20);
    ASSERT_OK(gridr_raster_open(gridr_test_path("wr_3b.tif"), &r));
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    CU_ASSERT_EQUAL(ws.ok, 0);
    gridr_raster_close(r);
    ASSERT_OK(gridr_raster_open(gridr_test_path("wr_z.tif"), &r));
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    CU_ASSERT_EQUAL(ws.ok, 0);
    gridr_raster_close(r);
    GRIDR_TEST_SWITCH(worker_reads, 0);
    ASSERT_OK(gridr_raster_open(gridr_test_path("wr_1.tif"), &r));
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    CU_ASSERT_EQUAL(ws.ok, 0);
    GRIDR_TEST_SWITCH(worker_reads, 1);
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    CU_ASSERT_EQUAL(ws.ok, 1);
    gridr_raster_close(r);
}

/* A description naming another file, a window outside the raster, a closed descriptor. */
static void test_errors(void)
{
    const char *const plain[] = {"TILED=YES", NULL};
    gridr_raster_worker_src ws, bad;
    gridr_raster *r = NULL;
    uint16_t buf[64];
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U16, 1, 8, 8);
    make("wr_e.tif", plain, 1, 30, 30);
    ASSERT_OK(gridr_raster_open(gridr_test_path("wr_e.tif"), &r));
    ASSERT_OK(gridr_raster_worker_source(r, &ws));
    bad = ws;
    bad.ino ^= 1;
    ASSERT_STATUS(gridr_raster_worker_read(&bad, (gridr_rect){0, 0, 8, 8}, &a), GRIDR_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "not the file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "wr_e.tif")); /* the user's file */
    ASSERT_STATUS(gridr_raster_worker_read(&ws, (gridr_rect){25, 25, 8, 8}, &a), GRIDR_EINVAL);
    ASSERT_OK(gridr_raster_worker_read(&ws, (gridr_rect){22, 22, 8, 8}, &a));
    CU_ASSERT_EQUAL(buf[63], (uint16_t)value(29, 29, 0));
    bad = ws;
    bad.fd = 1000000;
    ASSERT_STATUS(gridr_raster_worker_read(&bad, (gridr_rect){0, 0, 8, 8}, &a), GRIDR_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "worker source: '"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "wr_e.tif'"));
    bad.ok = 0;
    ASSERT_STATUS(gridr_raster_worker_read(&bad, (gridr_rect){0, 0, 8, 8}, &a), GRIDR_EINVAL);
    gridr_raster_close(r);
}

static CU_TestInfo tests[] = {
    {"worker reads equal the owner's (tiles, strips)", test_same_bytes},
    {"worker read in a forked child", test_in_child},
    {"sources left to the owner", test_declines},
    {"a non-dumpable owner keeps its reads", test_not_dumpable},
    {"errors", test_errors},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_raster_worker_suite = {"raster_worker", NULL, NULL, NULL, NULL, tests};
