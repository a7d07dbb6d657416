/* gridr tests: plan (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_plan_suite = {"plan", NULL, NULL, NULL, NULL, tests};
