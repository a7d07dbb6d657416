/* gridr tests: sched (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_sched_suite = {"sched", NULL, NULL, NULL, NULL, tests};
