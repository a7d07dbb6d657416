/* gridr tests: sma (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_sma_suite = {"sma", NULL, NULL, NULL, NULL, tests};
