/* gridr tests: job (being written). */
#include "unit.h"

static CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_job_suite = {"job", NULL, NULL, NULL, NULL, tests};
