/* gridr tests: the pixel pattern, file checks and shuffled writes shared by the raster suites. */
#ifndef GRIDR_TESTS_RASTER_UTIL_H
#define GRIDR_TESTS_RASTER_UTIL_H

#include "unit.h"

/** Whether `path` exists (stat succeeds). */
int gridr_test_file_exists(const char *path);

/** The test pattern of `dt`: the value of band `b` (0-based), row `r`, column `c`. */
double gridr_test_raster_pattern(gridr_dtype dt, int b, long r, long c);

/** A malloc'ed contiguous buffer of `dt`, bands x rows x cols, holding the pattern (caller frees).
 */
void *gridr_test_raster_fill(gridr_dtype dt, int bands, long rows, long cols);

/** Write `a` (full raster) to `out` in windows of wr x wc, in a shuffled order; the first status
 *  that is not 0 (-1 if a window cannot be cut). */
int gridr_test_write_shuffled(gridr_raster *out, const gridr_array *a, long wr, long wc);

#endif
