/* gridr tests: sched: windows through forked workers, failures, retries, signals. */
#include "unit.h"
#include "sched_util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- normal runs ------------------------------------------------------------------------- */

/* One run of a W x H image in TW x TH windows; the first result of each shape becomes the
 * reference of the next worker counts. */
static void check_one_shape(gridr_sched *s, const int *shape, uint16_t **ref)
{
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    gridr_test_job_init(&j, shape[0], shape[1], shape[2], shape[3]);
    gridr_test_job_desc(&j, &d);
    gridr_test_cur_sched = s;
    ASSERT_OK(gridr_test_run_sched(s, &d));
    gridr_test_cur_sched = NULL;
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, -1, -1), 0);
    size_t bytes = (size_t)j.W * j.H * sizeof *j.dst;
    if (*ref)
        CU_ASSERT_EQUAL(memcmp(*ref, j.dst, bytes), 0);
    if (!*ref && (*ref = malloc(bytes)))
        memcpy(*ref, j.dst, bytes);
    gridr_sched_get_stats(s, &st);
    long slots = gridr_sched_workers(s) + 1;
    CU_ASSERT_EQUAL(st.windows, j.windows);
    CU_ASSERT_EQUAL(st.done, j.windows);
    CU_ASSERT_EQUAL(st.failed + st.retried + st.skipped, 0);
    CU_ASSERT_EQUAL(st.slots, j.windows < slots ? j.windows : slots);
    CU_ASSERT(st.shm_peak > 0 && st.shm_peak <= st.shm_bound);
    CU_ASSERT(j.shm_seen_peak > 0 && j.shm_seen_peak <= st.shm_bound);
    CU_ASSERT_EQUAL(j.segs_seen_max, 3 * st.slots);
    CU_ASSERT_EQUAL(st.shm_bytes, 0);
    CU_ASSERT_EQUAL(gridr_test_count_shm(gridr_sched_run_id(s)), 0);
    CU_ASSERT(j.mapped_seen > 0);
    CU_ASSERT_EQUAL(gridr_test_mapped_segments(s), 0);
    gridr_test_job_free(&j);
}

static void test_windows_once_any_workers(void)
{
    static const int shapes[][4] = {
        {64, 48, 16, 16}, {100, 70, 33, 7}, {50, 50, 50, 50}, {37, 23, 5, 40}, {9, 300, 9, 1}};
    enum { NSHAPES = sizeof shapes / sizeof shapes[0] };
    uint16_t *ref[NSHAPES] = {NULL};
    for (int workers = 1; workers <= 3; workers++) {
        gridr_sched *s = gridr_test_new_sched(workers, 0, 0, NULL);
        CU_ASSERT_EQUAL(gridr_sched_workers(s), workers);
        for (int i = 0; s && i < NSHAPES; i++)
            check_one_shape(s, shapes[i], &ref[i]);
        gridr_sched_free(s);
        gridr_test_assert_clean();
    }
    for (int i = 0; i < NSHAPES; i++)
        free(ref[i]);
}

/* A window source that gives the even windows from the last down, saying "wait" every other
 * call, then "end"; and a poll hook that counts its calls. */
typedef struct src_state {
    long next;
    int calls, polls, waits;
} src_state;

static src_state src_st;

static int source_even_down(void *user, long *k)
{
    (void)user;
    if (++src_st.calls % 2 == 0) {
        src_st.waits++;
        return GRIDR_SCHED_WAIT;
    }
    if (src_st.next < 0)
        return GRIDR_SCHED_END;
    *k = src_st.next;
    src_st.next -= 2;
    return 0;
}

static int poll_count(void *user)
{
    (void)user;
    src_st.polls++;
    return 0;
}

static void test_window_source(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    gridr_test_job_init(&j, 64, 48, 16, 16); /* 12 windows */
    gridr_test_job_desc(&j, &d);
    d.source = source_even_down;
    d.poll = poll_count;
    d.poll_ms = 1;
    src_st = (src_state){10, 0, 0, 0};
    ASSERT_OK(gridr_test_run_sched(s, &d));
    for (long k = 0; k < j.windows; k++) /* the even ones once, the odd ones never */
        CU_ASSERT_EQUAL(j.finished[k], k % 2 == 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.done, 6);
    CU_ASSERT(src_st.waits >= 6 && src_st.polls >= src_st.waits);
    /* a source that gives a window outside the run stops it with GRIDR_EINVAL */
    src_st = (src_state){12, 0, 0, 0};
    CU_ASSERT_EQUAL(gridr_test_run_sched(s, &d), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "window 12 of 12"));
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

static int count_progress;
static double last_progress;
static int progress_ok;

static int progress_cb(double complete, const char *msg, void *arg)
{
    (void)msg;
    int stop_at = *(int *)arg;
    if (complete < last_progress || complete > 1.0)
        progress_ok = 0;
    last_progress = complete;
    return ++count_progress != stop_at;
}

static void test_progress_and_no_work(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    int stop_at = -1;
    gridr_test_job_init(&j, 40, 40, 10, 10);
    j.skip_mod = 3; /* windows 1, 4, 7, ... need no worker */
    gridr_test_job_desc(&j, &d);
    d.progress = progress_cb;
    d.progress_arg = &stop_at;
    count_progress = 0, last_progress = 0, progress_ok = 1;
    ASSERT_OK(gridr_test_run_sched(s, &d));
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, -1, -1), 0);
    CU_ASSERT(progress_ok);
    CU_ASSERT_EQUAL(last_progress, 1.0);
    CU_ASSERT_EQUAL(count_progress, j.windows + 1);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.skipped, 5);
    CU_ASSERT_EQUAL(st.done, j.windows);
    for (long k = 1; k < j.windows; k += 3) /* the worker never saw them */
        CU_ASSERT_EQUAL(j.threads_seen[k], 0);
    CU_ASSERT_EQUAL(j.threads_seen[0], 1);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

static void test_progress_cancel(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    int stop_at = 4;
    gridr_test_job_init(&j, 60, 60, 10, 10);
    j.rp.sleep_ms = 20;
    gridr_test_job_desc(&j, &d);
    d.progress = progress_cb;
    d.progress_arg = &stop_at;
    count_progress = 0, last_progress = 0, progress_ok = 1;
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_ECANCELED);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "progress"));
    CU_ASSERT_EQUAL(gridr_sched_signal(s), 0);
    CU_ASSERT_EQUAL(count_progress, 4);
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    /* The same scheduler runs again: stopped workers are replaced. */
    gridr_test_job_free(&j);
    gridr_test_job_init(&j, 30, 30, 10, 10);
    gridr_test_job_desc(&j, &d);
    ASSERT_OK(gridr_test_run_sched(s, &d));
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, -1, -1), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

/* ---- failures ---------------------------------------------------------------------------- */

/* Workers that die on cue need the fault-injection hook (--enable-fault-injection). */
#ifdef GRIDR_FAULT_INJECTION
static void test_kill_once_retried(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 1, 0, "kill:window=3:once");
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    gridr_test_job_init(&j, 64, 64, 16, 16);
    gridr_test_job_desc(&j, &d);
    ASSERT_OK(gridr_test_run_sched(s, &d));
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, -1, -1), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 1);
    CU_ASSERT_EQUAL(st.failed, 0);
    CU_ASSERT_EQUAL(st.spawned, 3); /* 2 + 1 replacement */
    CU_ASSERT_EQUAL(gridr_sched_failed(s, NULL), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

/* A replacement worker comes from the fork server: it sees the work context as it was at
 * creation, not as the parent changed it since. */
static int generation = 1;

static void test_replacement_sees_creation_image(void)
{
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    gridr_sched_opts_init(&o);
    o.workers = 1; /* the retry runs on the replacement */
    o.retries = 1;
    o.work = gridr_test_work_pattern;
    o.ctx = &generation;
    o.state_dir = gridr_test_tmpdir();
    gridr__config_set_fault("kill:window=2:once");
    int rc = gridr_sched_new(&o, &s);
    gridr__config_set_fault(NULL);
    ASSERT_OK(rc);
    generation = 2; /* after the fork: no worker may see it */
    gridr_test_job_init(&j, 32, 32, 8, 8);
    gridr_test_job_desc(&j, &d);
    ASSERT_OK(gridr_test_run_sched(s, &d));
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, -1, -1), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.spawned, 2);
    CU_ASSERT_EQUAL(st.retried, 1);
    for (long k = 0; k < j.windows; k++)
        CU_ASSERT_EQUAL(j.ctx_seen[k], 1);
    generation = 1;
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

static void expect_death(const char *fault, int retries, long k, const char *attempt,
                         const char *how)
{
    gridr_sched *s = gridr_test_new_sched(2, retries, 0, fault);
    job j;
    gridr_sched_run_desc d;
    char want[128];
    const long *failed = NULL;
    gridr_test_job_init(&j, 64, 64, 16, 16);
    gridr_test_job_desc(&j, &d);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_ECHILD);
    const char *msg = gridr_last_error();
    win_params w = gridr_test_job_window(&j, k);
    snprintf(want, sizeof want, "window %ld [rows %ld..%ld, cols %ld..%ld] attempt %s: worker pid ",
             k, w.row0, w.row0 + w.rows - 1, w.col0, w.col0 + w.cols - 1, attempt);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, how));
    if (!strstr(msg, want) || !strstr(msg, how))
        fprintf(stderr, "\nmessage: %s\nwanted: %s ... %s\n", msg, want, how);
    CU_ASSERT_EQUAL(gridr_sched_failed(s, &failed), 1);
    CU_ASSERT(failed && failed[0] == k);
    CU_ASSERT_EQUAL(j.finished[k], 0);
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    /* Reusable: a run that does not reach window k succeeds. */
    gridr_test_job_free(&j);
    gridr_test_job_init(&j, 64, 16, 16, 16);
    gridr_test_job_desc(&j, &d);
    d.windows = k < 4 ? k : 4;
    ASSERT_OK(gridr_test_run_sched(s, &d));
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

static void test_kill_exhausted(void)
{
    expect_death("kill:window=3", 1, 3, "2/2", "killed by SIGKILL");
}

static void test_segv(void)
{
    expect_death("segv:window=2", 0, 2, "1/1", "killed by SIGSEGV");
}

static void test_exit(void)
{
    expect_death("exit:window=1", 2, 1, "3/3", "exited with status 3");
}
#endif

static void test_work_error(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 2, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    gridr_test_job_init(&j, 64, 64, 16, 16);
    j.rp.fail_window = 4;
    gridr_test_job_desc(&j, &d);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EWORK);
    const char *msg = gridr_last_error();
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "window 4 [rows 16..31, cols 0..15] attempt 1/3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad pixel in window 4"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "GRIDR_EINVAL"));
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 0);
    CU_ASSERT_EQUAL(st.spawned, 2); /* nobody died */
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

#ifdef GRIDR_FAULT_INJECTION
static void test_keep_going(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 1, 1, "kill:window=2,segv:window=5");
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    const long *failed = NULL;
    gridr_test_job_init(&j, 64, 64, 16, 16);
    gridr_test_job_desc(&j, &d);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EPARTIAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "2 of 16 windows failed"));
    CU_ASSERT_EQUAL(gridr_sched_failed(s, &failed), 2);
    CU_ASSERT(failed && ((failed[0] == 2 && failed[1] == 5) || (failed[0] == 5 && failed[1] == 2)));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_sched_failed_message(s, failed[0] == 2 ? 0 : 1), "attempt 2/2: worker pid"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_sched_failed_message(s, failed[0] == 5 ? 0 : 1), "SIGSEGV"));
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, 2, 5), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.done, 14);
    CU_ASSERT_EQUAL(st.failed, 2);
    CU_ASSERT_EQUAL(st.retried, 2);
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}
#endif

static void test_callback_errors(void)
{
    gridr_sched *s = gridr_test_new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    gridr_test_job_init(&j, 64, 64, 16, 16);
    j.prep_fail = 6;
    gridr_test_job_desc(&j, &d);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EIO);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_last_error(), "window 6 [rows 16..31, cols 32..47]: prepare: cannot read"));
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_test_job_free(&j);
    gridr_test_job_init(&j, 64, 64, 16, 16);
    j.too_big_at = 2;
    gridr_test_job_desc(&j, &d);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "window 2 [rows 0..15, cols 32..47]"));
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

static int work_empty(void *ctx, const void *runp, const void *winp, gridr_array *a, int n, long k)
{
    (void)ctx, (void)runp, (void)winp, (void)k;
    return n == 1 && a[0].rows == 0 && a[0].data ? 0 : gridr_set_error(GRIDR_EINVAL, "not empty");
}

static void test_bad_arguments(void)
{
    gridr_sched_opts o;
    gridr_sched *s = (gridr_sched *)&o;
    gridr_sched_opts_init(&o);
    ASSERT_STATUS(gridr_sched_new(&o, &s), GRIDR_EINVAL); /* no work function */
    CU_ASSERT_PTR_NULL(s);
    o.work = work_empty;
    o.workers = -1;
    ASSERT_STATUS(gridr_sched_new(&o, &s), GRIDR_EINVAL);
    o.workers = 1;
#ifdef GRIDR_FAULT_INJECTION /* a fault spec that does not parse */
    gridr__config_set_fault("boom:window=1");
    ASSERT_STATUS(gridr_sched_new(&o, &s), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "boom"));
    gridr__config_set_fault("kill:window=1:twice");
    ASSERT_STATUS(gridr_sched_new(&o, &s), GRIDR_EINVAL);
    gridr__config_set_fault("");
#endif
    ASSERT_OK(gridr_sched_new(&o, &s));
    gridr_sched_run_desc d;
    gridr_sched_run_desc_init(&d);
    d.windows = 1;
    d.narrays = GRIDR_SCHED_MAX_ARRAYS + 1;
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EINVAL);
    d.narrays = 1;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, -1, 4};
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EINVAL);
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_UNKNOWN, 1, 4, 4};
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EINVAL);
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, 0, 4}; /* empty: allowed */
    ASSERT_OK(gridr_test_run_sched(s, &d));
    d.arrays[0].rows = 4;
    d.run_params_size = GRIDR_SCHED_RUN_PARAMS_MAX + 1;
    d.run_params = &o;
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_EINVAL);
    d.run_params_size = 0;
    d.windows = 0;
    ASSERT_OK(gridr_test_run_sched(s, &d)); /* nothing to do */
    gridr_sched_free(s);
    gridr_sched_free(NULL);
    gridr_test_assert_clean();
}

/* A worker killed while idle, or the fork server killed: the next run notices. */
static void test_idle_worker_and_server_killed(void)
{
    /* One retry: the parent may hand window 0 to the killed worker before it has seen it die
     * (nothing orders the two); either way exactly one replacement is forked. */
    gridr_sched *s = gridr_test_new_sched(2, 1, 0, NULL);
    pid_t pids[3];
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    CU_ASSERT_EQUAL_FATAL(gridr_sched_pids(s, pids, 3), 3);
    kill(pids[1], SIGKILL);
    usleep(50000);
    gridr_test_job_init(&j, 32, 32, 8, 8);
    gridr_test_job_desc(&j, &d);
    ASSERT_OK(gridr_test_run_sched(s, &d)); /* a replacement was forked */
    CU_ASSERT_EQUAL(gridr_test_job_errors(&j, -1, -1), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.spawned, 3);
    kill(pids[0], SIGKILL); /* the fork server; its workers follow it */
    usleep(50000);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_ECHILD);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "fork server"));
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

/* A work function that ignores SIGTERM: a cancel still ends, by SIGKILL after the grace. */
static int work_stubborn(void *ctx, const void *runp, const void *winp, gridr_array *a, int n,
                         long k)
{
    (void)ctx, (void)runp, (void)winp, (void)a, (void)n, (void)k;
    signal(SIGTERM, SIG_IGN);
    sleep(30);
    return 0;
}

static void *term_later(void *arg)
{
    (void)arg;
    usleep(200000); /* the workers are busy by then */
    kill(getpid(), SIGTERM);
    return NULL;
}

static void test_stubborn_worker_cancel(void)
{
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    gridr_sched_run_desc d;
    struct timespec t0, t1;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = work_stubborn;
    o.grace_ms = 100;
    ASSERT_OK(gridr_sched_new(&o, &s));
    gridr_sched_run_desc_init(&d);
    d.windows = 4;
    d.narrays = 1;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, 8, 8};
    pthread_t t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, term_later, NULL), 0);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_ECANCELED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(gridr_sched_signal(s), SIGTERM);
    CU_ASSERT(t1.tv_sec - t0.tv_sec < 3);
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

/* ---- signals ----------------------------------------------------------------------------- */

static void expect_signal(int sig, int from_finish)
{
    gridr_sched *s = gridr_test_new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    struct sigaction before, after;
    sigaction(sig, NULL, &before);
    gridr_test_job_init(&j, 80, 80, 10, 10);
    j.rp.sleep_ms = 20;
    if (from_finish)
        j.raise_fin = 5;
    else
        j.raise_prep = 5;
    j.raise_sig = sig;
    gridr_test_job_desc(&j, &d);
    ASSERT_STATUS(gridr_test_run_sched(s, &d), GRIDR_ECANCELED);
    CU_ASSERT_EQUAL(gridr_sched_signal(s), sig);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), sig == SIGTERM  ? "SIGTERM"
                                                      : sig == SIGINT ? "SIGINT"
                                                                      : "SIGHUP"));
    sigaction(sig, NULL, &after);
    CU_ASSERT(after.sa_handler == before.sa_handler);
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    gridr_test_assert_clean();
}

/* The signal with its default action for the run (restored after): a suite started in the
 * background of a script inherits SIGINT ignored, and under nohup SIGHUP, which the scheduler
 * rightly leaves ignored. */
static void expect_signal_dfl(int sig, int from_finish)
{
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, &old);
    expect_signal(sig, from_finish);
    sigaction(sig, &old, NULL);
}

static void test_sigterm(void)
{
    expect_signal_dfl(SIGTERM, 0);
}

static void test_sigint(void)
{
    expect_signal_dfl(SIGINT, 1);
}

/* A terminal hang-up cancels like SIGTERM. */
static void test_sighup(void)
{
    expect_signal_dfl(SIGHUP, 0);
}

static CU_TestInfo tests[] = {
    {"every window once, 1-3 workers, several shapes", test_windows_once_any_workers},
    {"progress reaches 1, no-work windows skip workers", test_progress_and_no_work},
    {"progress returning 0 cancels cleanly", test_progress_cancel},
    {"a window source and a poll hook: only its windows", test_window_source},
#ifdef GRIDR_FAULT_INJECTION /* workers that die on cue */
    {"worker killed once, retried, same output", test_kill_once_retried},
    {"a replacement sees the creation-time context", test_replacement_sees_creation_image},
    {"worker killed every time: ECHILD names window", test_kill_exhausted},
    {"worker SIGSEGV: ECHILD names the signal", test_segv},
    {"worker exit(3): ECHILD with exit status", test_exit},
#endif
    {"work function error: EWORK, no retry", test_work_error},
#ifdef GRIDR_FAULT_INJECTION
    {"keep_going: EPARTIAL and the failed list", test_keep_going},
#endif
    {"prepare error and oversized shape stop the run", test_callback_errors},
    {"bad arguments", test_bad_arguments},
    {"idle worker or fork server killed between runs", test_idle_worker_and_server_killed},
    {"cancel ends a worker that ignores SIGTERM", test_stubborn_worker_cancel},
    {"SIGTERM during a run cancels cleanly", test_sigterm},
    {"SIGINT during a run cancels cleanly", test_sigint},
    {"SIGHUP during a run cancels cleanly", test_sighup},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_sched_suite = {"sched", NULL, NULL, NULL, NULL, tests};
