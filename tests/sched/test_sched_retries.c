/* gridr tests: sched_retries: gridr_sched_set_retries / _set_keep_going between runs of one
 * scheduler. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the work function needs: the window whose first attempt kills the worker, and the
 * marker file whose creation tells "first attempt" (removed by the test before each run). */
typedef struct kill_params {
    long kill_window;
    char marker[400];
} kill_params;

static int work_kill_first(void *ctx, const void *run_params, const void *win_params,
                           gridr_array *arrays, int narrays, long window)
{
    const kill_params *p = run_params;
    (void)ctx, (void)win_params, (void)narrays;
    if (window == p->kill_window) {
        int fd = open(p->marker, O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd >= 0) /* first attempt of that window in this run */
            raise(SIGKILL);
    }
    ((unsigned char *)arrays[0].data)[0] = (unsigned char)(window + 1);
    return 0;
}

typedef struct progress_probe {
    gridr_sched *s;
    int rc; /* 1: call gridr_sched_set_retries during the run and put its result here */
} progress_probe;

static int probe_progress(double complete, const char *msg, void *arg)
{
    progress_probe *pp = arg;
    (void)complete, (void)msg;
    if (pp->rc == 1)
        pp->rc = gridr_sched_set_retries(pp->s, 5);
    return 1;
}

/* One run of 4 one-byte windows, window 2's first attempt killing its worker. */
static int run_kill_first(gridr_sched *s, progress_probe *pp, char run_id[16])
{
    kill_params p;
    gridr_sched_run_desc d;
    memset(&p, 0, sizeof p);
    p.kill_window = 2;
    snprintf(p.marker, sizeof p.marker, "%s", gridr_test_path("retries.marker"));
    unlink(p.marker);
    gridr_sched_run_desc_init(&d);
    d.windows = 4;
    d.narrays = 1;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, 1, 1};
    d.run_params = &p;
    d.run_params_size = sizeof p;
    d.progress = probe_progress;
    d.progress_arg = pp;
    int rc = gridr_sched_run(s, &d);
    snprintf(run_id, 16, "%s", gridr_sched_run_id(s));
    unlink(p.marker);
    return rc;
}

/* One worker running work_kill_first, retries 0, keep_going 0, no fault hook. */
static gridr_sched *new_kill_sched(void)
{
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    gridr_sched_opts_init(&o);
    o.workers = 1;
    o.retries = 0;
    o.work = work_kill_first;
    o.state_dir = gridr_test_tmpdir();
    ASSERT_OK(gridr_sched_new(&o, &s));
    return s;
}

static void test_set_retries_between_runs(void)
{
    gridr_sched *s = new_kill_sched();
    gridr_sched_stats st;
    progress_probe pp = {NULL, 0}; /* no probe in the first run */
    char id1[16], id2[16];
    if (!s)
        return;
    pp.s = s;
    ASSERT_STATUS(gridr_sched_set_retries(s, -1), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "retries = -1"));

    ASSERT_OK(gridr_sched_set_retries(s, 1)); /* the kill is retried */
    ASSERT_OK(run_kill_first(s, &pp, id1));
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 1);
    CU_ASSERT_EQUAL(st.done, 4);
    CU_ASSERT_EQUAL(st.failed, 0);

    ASSERT_OK(gridr_sched_set_retries(s, 0)); /* same scheduler: now the kill is final */
    pp.rc = 1;
    ASSERT_STATUS(run_kill_first(s, &pp, id2), GRIDR_ECHILD);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "attempt 1/1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "killed by SIGKILL"));
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 0);
    CU_ASSERT_EQUAL(st.failed, 1);
    /* set during the run (from its progress callback after window 0): refused, and the run
     * kept 0 retries ("attempt 1/1" above) */
    ASSERT_STATUS(pp.rc, GRIDR_EINVAL);

    gridr_sched_free(s);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id1), 0);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id2), 0);
    errno = 0;
    CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

/* keep_going set between runs: the killed window fails for good (no retries) and the others
 * finish (EPARTIAL), then the next run stops at it (ECHILD). */
static void test_set_keep_going_between_runs(void)
{
    gridr_sched *s = new_kill_sched();
    gridr_sched_stats st;
    progress_probe pp = {NULL, 0};
    char id1[16], id2[16];
    if (!s)
        return;
    pp.s = s;
    ASSERT_OK(gridr_sched_set_keep_going(s, 1));
    ASSERT_STATUS(run_kill_first(s, &pp, id1), GRIDR_EPARTIAL);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.done, 3);
    CU_ASSERT_EQUAL(st.failed, 1);
    const long *failed = NULL;
    CU_ASSERT_EQUAL(gridr_sched_failed(s, &failed), 1);
    CU_ASSERT(failed && failed[0] == 2);
    ASSERT_OK(gridr_sched_set_keep_going(s, 0));
    ASSERT_STATUS(run_kill_first(s, &pp, id2), GRIDR_ECHILD);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT(st.done < 4);
    gridr_sched_free(s);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id1), 0);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id2), 0);
}

static CU_TestInfo tests[] = {
    {"set_retries between runs of one scheduler", test_set_retries_between_runs},
    {"set_keep_going between runs of one scheduler", test_set_keep_going_between_runs},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_sched_retries_suite = {"sched_retries", NULL, NULL, NULL, NULL, tests};
