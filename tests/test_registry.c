/* gridr tests: registry (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_registry_suite = {"registry", NULL, NULL, NULL, NULL, tests};
