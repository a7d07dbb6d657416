/* gridr tests: grid (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_grid_suite = {"grid", NULL, NULL, NULL, NULL, tests};
