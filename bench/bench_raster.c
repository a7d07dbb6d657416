/* gridr bench: GDAL-backend raster throughput: tiled GTiff write (create/windows/commit), read. */
#include "base/internal.h"
#include "gridr/raster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Cover rows x cols with win x win windows, row-major; call fn on each. */
static int each_window(gridr_raster *r, long rows, long cols, long win, int bands, gridr_array *buf,
                       int write)
{
    for (long r0 = 0; r0 < rows; r0 += win)
        for (long c0 = 0; c0 < cols; c0 += win) {
            gridr_rect w = {r0, c0, GRIDR__MIN(win, rows - r0), GRIDR__MIN(win, cols - c0)};
            gridr_array a = *buf;
            a.rows = w.rows;
            a.cols = w.cols;
            int rc =
                write ? gridr_raster_write(r, w, &a) : gridr_raster_read(r, w, NULL, bands, &a);
            if (rc)
                return rc;
        }
    return 0;
}

static int run(const char *path, long n, long win, int bands)
{
    gridr_raster *r = NULL;
    size_t bytes = (size_t)bands * (size_t)win * (size_t)win * 2;
    uint16_t *data = malloc(bytes);
    if (!data)
        return 1;
    for (size_t i = 0; i < bytes / 2; i++)
        data[i] = (uint16_t)(i * 2654435761u >> 20);
    gridr_array a = gridr_array_make(data, GRIDR_DT_U16, bands, win, win);
    double mib = (double)n * (double)n * bands * 2 / 1048576.0, t0 = now();
    int rc = gridr_raster_create(path, n, n, bands, GRIDR_DT_U16, NULL, &r);
    if (!rc)
        rc = each_window(r, n, n, win, bands, &a, 1);
    double t1 = now();
    if (!rc)
        rc = gridr_raster_commit(r);
    else
        gridr_raster_abort(r);
    double t2 = now();
    if (!rc)
        rc = gridr_raster_open(path, &r);
    if (!rc) {
        rc = each_window(r, n, n, win, bands, &a, 0);
        gridr_raster_close(r);
    }
    double t3 = now();
    if (rc)
        fprintf(stderr, "bench_raster: %s\n", gridr_last_error());
    else
        printf("%5ld x %5ld x %d u16 (%6.0f MiB), windows %4ld: write %7.1f MiB/s (commit %.2f s), "
               "read %7.1f MiB/s\n",
               n, n, bands, mib, win, mib / (t2 - t0), t2 - t1, mib / (t3 - t2));
    unlink(path);
    free(data);
    return rc != 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    long n = argc > 2 ? atol(argv[2]) : 8192;
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_raster.tif", dir);
    printf("GTiff (tiled 256, uncompressed) in %s, GDAL block cache default\n", dir);
    int rc = run(path, n, 256, 3);
    rc |= run(path, n, 1000, 3);
    rc |= run(path, n, 2048, 1);
    return rc;
}
