/* gridr tests: interp (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_interp_suite = {"interp", NULL, NULL, NULL, NULL, tests};
