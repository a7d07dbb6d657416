/* gridr tests: sched_safety: a window attempt's time limit (gridr_sched_set_timeout) and a pool
 * of hundreds of workers (the control channel must not deadlock). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the work function does: window `hang_window` sleeps until killed (every attempt, or with
 * `marker` set only the first one: the marker file's creation tells it), or every window sleeps
 * with `hang_all`; the others write window + 1 into their byte. */
typedef struct hang_params {
    long hang_window;
    int hang_all;
    char marker[400];
} hang_params;

static int work_hang(void *ctx, const void *run_params, const void *win_params, gridr_array *arrays,
                     int narrays, long window)
{
    const hang_params *p = run_params;
    (void)ctx, (void)win_params, (void)narrays;
    int hang = p->hang_all || window == p->hang_window;
    if (hang && p->marker[0] && window == p->hang_window) {
        int fd = open(p->marker, O_CREAT | O_EXCL | O_WRONLY, 0600);
        hang = fd >= 0; /* the first attempt only */
        if (fd >= 0)
            close(fd);
    }
    while (hang)
        pause();
    ((unsigned char *)arrays[0].data)[0] = (unsigned char)(window + 1);
    return 0;
}

/* What finish saw: the byte of every window (0: not finished). */
typedef struct seen {
    long windows;
    unsigned char *byte;
    gridr_sched *s;
    int set_rc; /* 1: call gridr_sched_set_timeout from the progress callback, result here */
} seen;

static int finish_seen(void *user, long k, gridr_array *a, int n)
{
    seen *sn = user;
    (void)n;
    sn->byte[k] = ((unsigned char *)a[0].data)[0];
    return 0;
}

static int probe_progress(double complete, const char *msg, void *arg)
{
    seen *sn = arg;
    (void)complete, (void)msg;
    if (sn->set_rc == 1)
        sn->set_rc = gridr_sched_set_timeout(sn->s, 3);
    return 1;
}

/* One run of sn->windows one-byte windows with parameters p; the run id lands in run_id. */
static int run_hang(gridr_sched *s, const hang_params *p, seen *sn, char run_id[16])
{
    gridr_sched_run_desc d;
    gridr_sched_run_desc_init(&d);
    memset(sn->byte, 0, (size_t)sn->windows);
    d.windows = sn->windows;
    d.narrays = 1;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, 1, 1};
    d.run_params = p;
    d.run_params_size = sizeof *p;
    d.finish = finish_seen;
    d.user = sn;
    d.progress = probe_progress;
    d.progress_arg = sn;
    int rc = gridr_sched_run(s, &d);
    snprintf(run_id, 16, "%s", gridr_sched_run_id(s));
    return rc;
}

static gridr_sched *new_hang_sched(int workers, int retries, int keep_going)
{
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    gridr_sched_opts_init(&o);
    o.workers = workers;
    o.retries = retries;
    o.keep_going = keep_going;
    o.work = work_hang;
    o.state_dir = gridr_test_tmpdir();
    ASSERT_OK(gridr_sched_new(&o, &s));
    return s;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* No /dev/shm name of the run, no child process left (after gridr_sched_free). */
static void assert_left_nothing(const char *run_id)
{
    CU_ASSERT_EQUAL(gridr_test_count_shm(run_id), 0);
    errno = 0;
    CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

static void hang_params_init(hang_params *p, long window, int first_only)
{
    memset(p, 0, sizeof *p);
    p->hang_window = window;
    if (first_only)
        snprintf(p->marker, sizeof p->marker, "%s", gridr_test_path("timeout.marker"));
    unlink(gridr_test_path("timeout.marker"));
}

/* Window 1 hangs on every attempt: with 0.5 s and one retry, the run fails for it after two
 * timeouts, saying so; the other windows were finished. */
static void test_timeout_fails_window(void)
{
    unsigned char bytes[6];
    seen sn = {6, bytes, NULL, 0};
    hang_params p;
    gridr_sched_stats st;
    char id[16];
    gridr_sched *s = new_hang_sched(2, 1, 0);
    if (!s)
        return;
    hang_params_init(&p, 1, 0);
    ASSERT_OK(gridr_sched_set_timeout(s, 0.5));
    double t0 = now_s();
    ASSERT_STATUS(run_hang(s, &p, &sn, id), GRIDR_ECHILD);
    double dt = now_s() - t0;
    CU_ASSERT(dt >= 1.0 && dt < 5.0);
    const char *e = gridr_last_error();
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "window 1 attempt 2/2: timed out after 0.5 s (worker pid "));
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "killed by SIGKILL)"));
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 1);
    CU_ASSERT_EQUAL(st.failed, 1);
    CU_ASSERT_EQUAL(bytes[1], 0);
    CU_ASSERT(bytes[0] == 1 && bytes[2] == 3);
    gridr_sched_free(s);
    assert_left_nothing(id);
}

/* Window 1 hangs on its first attempt only: the retry finishes it; windows that end in time are
 * not touched by the limit. */
static void test_timeout_retry_succeeds(void)
{
    unsigned char bytes[6];
    seen sn = {6, bytes, NULL, 0};
    hang_params p;
    gridr_sched_stats st;
    char id[16];
    gridr_sched *s = new_hang_sched(2, 1, 0);
    if (!s)
        return;
    hang_params_init(&p, 1, 1);
    ASSERT_OK(gridr_sched_set_timeout(s, 0.5));
    ASSERT_OK(run_hang(s, &p, &sn, id));
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 1);
    CU_ASSERT_EQUAL(st.done, 6);
    for (int k = 0; k < 6; k++)
        CU_ASSERT_EQUAL(bytes[k], k + 1);
    gridr_sched_free(s);
    unlink(p.marker);
    assert_left_nothing(id);
}

/* keep_going, no retry: the timed-out window is listed as failed, the five others finish. */
static void test_timeout_keep_going(void)
{
    unsigned char bytes[6];
    seen sn = {6, bytes, NULL, 0};
    hang_params p;
    const long *failed = NULL;
    char id[16];
    gridr_sched *s = new_hang_sched(2, 0, 1);
    if (!s)
        return;
    hang_params_init(&p, 4, 0);
    ASSERT_OK(gridr_sched_set_timeout(s, 0.5));
    ASSERT_STATUS(run_hang(s, &p, &sn, id), GRIDR_EPARTIAL);
    CU_ASSERT_EQUAL(gridr_sched_failed(s, &failed), 1);
    CU_ASSERT(failed && failed[0] == 4);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_sched_failed_message(s, 0), "window 4 attempt 1/1: timed out after 0.5 s"));
    for (int k = 0; k < 6; k++)
        CU_ASSERT_EQUAL(bytes[k], k == 4 ? 0 : k + 1);
    gridr_sched_free(s);
    assert_left_nothing(id);
}

/* Bad values and a change during a run are refused; the value in force stays. */
static void test_set_timeout_refused(void)
{
    unsigned char bytes[3];
    seen sn = {3, bytes, NULL, 1};
    hang_params p;
    char id[16];
    gridr_sched_opts o;
    gridr_sched *bad = NULL;
    gridr_sched_opts_init(&o);
    o.work = work_hang;
    o.timeout = -1;
    ASSERT_STATUS(gridr_sched_new(&o, &bad), GRIDR_EINVAL);
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "timeout = -1 s"));
    gridr_sched *s = new_hang_sched(1, 0, 0);
    if (!s)
        return;
    sn.s = s;
    ASSERT_STATUS(gridr_sched_set_timeout(s, -0.5), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_sched_set_timeout(s, NAN), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_sched_set_timeout(s, INFINITY), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_sched_set_timeout(s, 2e7), GRIDR_EINVAL);
    hang_params_init(&p, -1, 0);
    ASSERT_OK(run_hang(s, &p, &sn, id)); /* no limit: nothing hangs, nothing is killed */
    ASSERT_STATUS(sn.set_rc, GRIDR_EINVAL);
    CU_ASSERT(bytes[0] == 1 && bytes[1] == 2 && bytes[2] == 3);
    gridr_sched_free(s);
    assert_left_nothing(id);
}

/* ---- hundreds of workers ----------------------------------------------------------------- */

enum { MANY = 600 };

/* In a child process (the parent turns a hang into a failure): 600 workers, a run of 1200
 * windows, then a run where every window hangs until the 0.5 s timeout fails it: hundreds of
 * busy workers stopped at once. Returns 0 or the number of the first check that failed. */
static int many_workers_child(void)
{
    struct rlimit rl;
    unsigned char bytes[2 * MANY];
    seen sn = {2 * MANY, bytes, NULL, 0};
    hang_params p;
    char id1[16], id2[16];
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    alarm(75); /* a hang, not a slow machine: 600 sanitized workers beside make -j2's other
                  tests took over 30 s once (the parent gives up at 90 s) */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MANY + 100) {
        rl.rlim_cur = rl.rlim_max < MANY + 100 ? rl.rlim_max : MANY + 100;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < MANY + 100)
            return 77; /* this test cannot run here */
    }
    gridr_sched_opts_init(&o);
    o.workers = MANY;
    o.work = work_hang;
    o.state_dir = gridr_test_tmpdir();
    if (gridr_sched_new(&o, &s) != 0)
        return 1;
    hang_params_init(&p, -1, 0);
    int bad = run_hang(s, &p, &sn, id1) != 0 ? 2 : 0;
    for (int k = 0; !bad && k < 2 * MANY; k++)
        bad = bytes[k] != (unsigned char)(k + 1) ? 3 : 0;
    p.hang_all = 1;
    sn.windows = MANY;
    if (!bad && gridr_sched_set_timeout(s, 0.5) != 0)
        bad = 4;
    if (!bad && run_hang(s, &p, &sn, id2) != GRIDR_ECHILD)
        bad = 5;
    if (!bad && !strstr(gridr_last_error(), "timed out after 0.5 s"))
        bad = 6;
    gridr_sched_free(s);
    if (!bad && (gridr_test_count_shm(id1) != 0 || gridr_test_count_shm(id2) != 0))
        bad = 7;
    return bad;
}

static void test_many_workers(void)
{
    const char *vg = getenv("GRIDR_UNDER_VALGRIND"); /* make memcheck: 600 valgrind processes */
    if (vg && *vg) {
        fprintf(stderr, "[skipped under valgrind: 600 workers] ");
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(many_workers_child());
    CU_ASSERT_FATAL(pid > 0);
    int st = 0;
    double t0 = now_s();
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_s() - t0 > 90) { /* the child's alarm should have fired long ago */
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        usleep(20000);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "\n%d workers: child ended with status %#x (%s)\n", MANY, (unsigned)st,
                WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "hung: killed by its alarm"
                                                           : "a check failed");
    CU_ASSERT(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77));
    errno = 0;
    CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

/* The parent keeps one descriptor per worker: a pool that cannot fit under RLIMIT_NOFILE is
 * refused with a message naming the limit, instead of failing one spawn at a time. */
static int fd_limit_child(void)
{
    struct rlimit rl;
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    rl.rlim_cur = 128; /* 100 workers + 64 for the program: too many; 8 + 64 fit */
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 77;
    gridr_sched_opts_init(&o);
    o.workers = 100;
    o.work = work_hang;
    if (gridr_sched_new(&o, &s) != GRIDR_EINVAL || s)
        return 2;
    if (!strstr(gridr_last_error(), "100 workers") || !strstr(gridr_last_error(), "ulimit -n"))
        return 3;
    o.workers = 8; /* fits */
    if (gridr_sched_new(&o, &s) != 0)
        return 4;
    gridr_sched_free(s);
    return 0;
}

static void test_fd_limit(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fd_limit_child());
    int st = 0;
    CU_ASSERT_FATAL(pid > 0);
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "\nfd limit: child ended with status %#x\n", (unsigned)st);
    CU_ASSERT(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77));
}

static CU_TestInfo tests[] = {
    {"a window past the timeout fails after its retries", test_timeout_fails_window},
    {"a window past the timeout is retried and succeeds", test_timeout_retry_succeeds},
    {"keep_going: the timed-out window is listed, the others finish", test_timeout_keep_going},
    {"set_timeout refuses bad values and changes during a run", test_set_timeout_refused},
    {"600 workers: created, run, stopped at once without deadlock", test_many_workers},
    {"a pool larger than RLIMIT_NOFILE allows is refused", test_fd_limit},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_sched_safety_suite = {"sched_safety", NULL, NULL, NULL, NULL, tests};
