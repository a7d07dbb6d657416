/* gridr tests: the pixel pattern, file checks and shuffled writes shared by the raster suites. */
#include "unit.h"
#include "raster_util.h"

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#define TMIN(a, b) ((a) < (b) ? (a) : (b))

int gridr_test_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

double gridr_test_raster_pattern(gridr_dtype dt, int b, long r, long c)
{
    switch (dt) {
    case GRIDR_DT_U8:
        return (double)((r * 7 + c * 3 + b * 50) % 256);
    case GRIDR_DT_U16:
        return (double)((r * 1031 + c * 17 + b * 9000) % 65536);
    case GRIDR_DT_I16:
        return (double)((r * 1031 + c * 17 + b * 9000) % 65536) - 32768.0;
    case GRIDR_DT_U32:
        return (double)(4000000000u - (unsigned)(r * 100003 + c * 7 + b));
    case GRIDR_DT_I32:
        return -2000000000.0 + (double)(r * 100003 + c * 7 + b);
    case GRIDR_DT_F32:
        return (double)(r - c) * 0.25 + b * 1000.5;
    default:
        return sin((double)r * 0.1) * 1e6 + cos((double)c) / 3.0 + b;
    }
}

void *gridr_test_raster_fill(gridr_dtype dt, int bands, long rows, long cols)
{
    void *buf = malloc((size_t)bands * (size_t)(rows * cols) * gridr_dtype_size(dt));
    for (int b = 0; b < bands; b++)
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                gridr_dtype_set(buf, dt, (size_t)((b * rows + r) * cols + c),
                                gridr_test_raster_pattern(dt, b, r, c));
    return buf;
}

/* Write `a` (full raster) to `out` in windows of wr x wc, in a shuffled order. */
int gridr_test_write_shuffled(gridr_raster *out, const gridr_array *a, long wr, long wc)
{
    long nr = (a->rows + wr - 1) / wr, nc = (a->cols + wc - 1) / wc, n = nr * nc;
    for (long k = 0; k < n; k++) {
        long t = (k * 7 + 3) % n; /* n is not a multiple of 7 in these tests */
        gridr_rect w = {(t / nc) * wr, (t % nc) * wc, 0, 0};
        w.rows = TMIN(wr, a->rows - w.row0);
        w.cols = TMIN(wc, a->cols - w.col0);
        gridr_array sub;
        if (gridr_array_sub(a, w, &sub) != 0)
            return -1;
        int rc = gridr_raster_write(out, w, &sub);
        if (rc)
            return rc;
    }
    return 0;
}
