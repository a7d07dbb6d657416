/* gridr tests: status codes, names and the thread-local last-error message. */
#include "unit.h"

#include <pthread.h>
#include <string.h>

static void test_names(void)
{
    CU_ASSERT_STRING_EQUAL(gridr_status_name(GRIDR_OK), "GRIDR_OK");
    CU_ASSERT_STRING_EQUAL(gridr_status_name(GRIDR_ENOSPC), "GRIDR_ENOSPC");
    CU_ASSERT_STRING_EQUAL(gridr_strerror(GRIDR_ECHILD), "worker process failed");
    CU_ASSERT_STRING_EQUAL(gridr_strerror(12345), "unknown status");
    CU_ASSERT_STRING_EQUAL(gridr_status_name(-999), "GRIDR_UNKNOWN");
    CU_ASSERT(GRIDR_EINVAL < 0 && GRIDR_EPARTIAL < 0);
}

static void test_message(void)
{
    CU_ASSERT_EQUAL(gridr_set_error(GRIDR_EIO, "read %s at %d", "a.tif", 7), GRIDR_EIO);
    CU_ASSERT_STRING_EQUAL(gridr_last_error(), "read a.tif at 7");
    /* A message may quote the previous one. */
    gridr_set_error(GRIDR_EIO, "job 2: %s", gridr_last_error());
    CU_ASSERT_STRING_EQUAL(gridr_last_error(), "job 2: read a.tif at 7");
    gridr_clear_error();
    CU_ASSERT_STRING_EQUAL(gridr_last_error(), "");
}

static void *other_thread(void *arg)
{
    (void)arg;
    int empty = gridr_last_error()[0] == '\0';
    gridr_set_error(GRIDR_EINVAL, "from the thread");
    return empty ? (void *)1 : NULL;
}

static void test_thread_local(void)
{
    pthread_t t;
    void *res = NULL;
    gridr_set_error(GRIDR_EIO, "main thread");
    CU_ASSERT_EQUAL(pthread_create(&t, NULL, other_thread, NULL), 0);
    pthread_join(t, &res);
    CU_ASSERT_PTR_EQUAL(res, (void *)1);
    CU_ASSERT_STRING_EQUAL(gridr_last_error(), "main thread");
}

static CU_TestInfo tests[] = {
    {"names", test_names},
    {"message", test_message},
    {"thread_local", test_thread_local},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_status_suite = {"status", NULL, NULL, NULL, NULL, tests};
