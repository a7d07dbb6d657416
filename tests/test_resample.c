/* gridr tests: resample (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_resample_suite = {"resample", NULL, NULL, NULL, NULL, tests};
