/* gridr tests: raster (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_raster_suite = {"raster", NULL, NULL, NULL, NULL, tests};
