/* gridr tests: sched_embed: the embedding program's view: killed parents, group signals, OpenMP. */
#include "unit.h"
#include "sched_util.h"

#include <errno.h>
#include <omp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the embedding program's view: processes acting as the parent ------------------------ */

/* Fork a process that runs fn(arg, fd) (fd: write end of a pipe read by the test) and ends
 * with exit(fn's result) when use_exit, else _exit. */
static pid_t spawn_parent(int (*fn)(void *, int), void *arg, int use_exit, int *rfd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        int rc = fn(arg, p[1]);
        if (use_exit)
            exit(rc);
        _exit(rc);
    }
    close(p[1]);
    *rfd = p[0];
    return pid;
}

/* Read exactly len bytes within timeout_ms; returns the bytes read. */
static size_t read_timeout(int fd, void *buf, size_t len, int timeout_ms)
{
    size_t got = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (got < len && poll(&p, 1, timeout_ms) > 0) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* Wait for pid (bounded); returns its wait status or -1 (then it is killed). */
static int wait_timeout(pid_t pid, int timeout_ms)
{
    int st;
    for (int t = 0; t < timeout_ms; t += 10) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static int all_gone(const pid_t *pids, int n)
{
    while (waitpid(-1, NULL, WNOHANG) > 0) /* we are the subreaper of the orphans */
        ;
    for (int i = 0; i < n; i++)
        if (kill(pids[i], 0) == 0 || errno != ESRCH)
            return 0;
    return 1;
}

typedef struct killed_info {
    char run_id[16];
    int npids;
    pid_t pids[8];
} killed_info;

static int info_fd = -1;
static gridr_sched *info_sched;

static int prepare_report(void *user, long k, gridr_array *a, int n, void *winp)
{
    if (k == 2 && info_fd >= 0) {
        killed_info ki;
        memset(&ki, 0, sizeof ki);
        snprintf(ki.run_id, sizeof ki.run_id, "%s", gridr_sched_run_id(info_sched));
        ki.npids = gridr_sched_pids(info_sched, ki.pids, 8);
        (void)!write(info_fd, &ki, sizeof ki);
    }
    return gridr_test_prepare_pattern(user, k, a, n, winp);
}

/* In a child acting as an embedding program: a 2-worker scheduler in state dir `arg` and a slow
 * run (100 windows of 100 ms) whose prepare reports pids on `fd`. Returns 0 or 1 (no scheduler). */
static int slow_reporting_run(void *arg, int fd, job *j, gridr_sched_run_desc *d)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = gridr_test_work_pattern;
    o.state_dir = arg;
    if (gridr_sched_new(&o, &info_sched))
        return 1;
    info_fd = fd;
    gridr_test_job_init(j, 100, 100, 10, 10);
    j->rp.sleep_ms = 100;
    gridr_test_job_desc(j, d);
    d->prepare = prepare_report;
    return 0;
}

static int killed_parent(void *arg, int fd)
{
    job j;
    gridr_sched_run_desc d;
    if (slow_reporting_run(arg, fd, &j, &d))
        return 1;
    gridr_sched_run(info_sched, &d); /* killed long before the end */
    return 2;
}

static void test_parent_killed(void)
{
    char dir[512];
    killed_info ki;
    int fd = -1;
    snprintf(dir, sizeof dir, "%s/state-killed", gridr_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t pid = spawn_parent(killed_parent, dir, 0, &fd);
    CU_ASSERT_EQUAL(read_timeout(fd, &ki, sizeof ki, 10000), sizeof ki);
    close(fd);
    CU_ASSERT_EQUAL(ki.npids, 3); /* fork server + 2 workers */
    gridr_test_note_run_id(ki.run_id);
    CU_ASSERT(gridr_test_count_shm(ki.run_id) > 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    int gone = 0;
    for (int t = 0; t < 100 && !(gone = all_gone(ki.pids, ki.npids)); t++)
        usleep(10000); /* within one second */
    CU_ASSERT(gone);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    CU_ASSERT(gridr_test_count_shm(ki.run_id) > 0); /* a SIGKILLed parent leaves its names */
    size_t removed = 0;
    ASSERT_OK(gridr_registry_sweep(dir, 0, NULL, NULL, &removed));
    CU_ASSERT(removed >= 1);
    CU_ASSERT_EQUAL(gridr_test_count_shm(ki.run_id), 0);
    gridr_test_assert_clean();
}

/* OpenMP in the caller before the scheduler: workers using 2 OpenMP threads must not hang. */
static void *omp_embedder(void *arg)
{
    int sum = 0;
    intptr_t bad = 0;
#pragma omp parallel num_threads(2)
    {
#pragma omp atomic
        sum++;
    }
    gridr_sched_opts o;
    gridr_sched *s;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.threads = 2;
    o.work = gridr_test_work_pattern;
    o.state_dir = arg;
    if (sum != 2 || gridr_sched_new(&o, &s))
        return (void *)1;
    job j;
    gridr_sched_run_desc d;
    gridr_test_job_init(&j, 64, 64, 16, 16);
    j.rp.omp = 1;
    gridr_test_job_desc(&j, &d);
    bad = gridr_sched_run(s, &d) ? 2 : gridr_test_job_errors(&j, -1, -1) ? 3 : 0;
    if (!bad && gridr_test_count_shm(gridr_sched_run_id(s)) != 0)
        bad = 5;
    for (long k = 0; !bad && k < j.windows; k++)
        bad = j.threads_seen[k] != 2 ? 4 : 0;
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    return (void *)bad;
}

static int omp_parent(void *arg, int fd)
{
    pthread_t t;
    void *res = (void *)9;
    (void)fd;
    alarm(20); /* a libgomp hang fails the test instead of blocking the suite */
    /* The embedding program's "main" thread is a fresh one, so that what the test binary ran
     * before does not matter: it runs an OpenMP region, then creates the scheduler. */
    if (pthread_create(&t, NULL, omp_embedder, arg) != 0 || pthread_join(t, &res) != 0)
        return 8;
    return (int)(intptr_t)res;
}

static void test_openmp_before_scheduler(void)
{
    char dir[512];
    int fd = -1;
    snprintf(dir, sizeof dir, "%s/state-omp", gridr_test_tmpdir());
    mkdir(dir, 0700);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t pid = spawn_parent(omp_parent, dir, 0, &fd);
    close(fd);
    int st = wait_timeout(pid, 30000);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "\nOpenMP embedder ended with status %#x\n", (unsigned)st);
    for (int t = 0; t < 100 && waitpid(-1, NULL, WNOHANG) >= 0; t++)
        usleep(10000); /* orphans of a failed attempt */
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    gridr_registry_sweep(dir, 0, NULL, NULL, NULL);
    gridr_test_assert_clean();
}

/* SIGTERM to the whole process group (systemd, kill -TERM -PGID): the workers die of it too,
 * yet the run reports the cancellation, not their deaths. */
static int group_parent(void *arg, int fd)
{
    job j;
    gridr_sched_run_desc d;
    setpgid(0, 0);
    if (slow_reporting_run(arg, fd, &j, &d))
        return 1;
    int rc = gridr_sched_run(info_sched, &d);
    int bad = rc != GRIDR_ECANCELED ? 2 : gridr_sched_signal(info_sched) != SIGTERM ? 3 : 0;
    if (!bad && gridr_test_count_shm(gridr_sched_run_id(info_sched)) != 0)
        bad = 4;
    gridr_sched_free(info_sched);
    return bad;
}

static void test_group_sigterm(void)
{
    killed_info ki;
    int fd = -1;
    pid_t pid = spawn_parent(group_parent, (void *)gridr_test_tmpdir(), 0, &fd);
    CU_ASSERT_EQUAL(read_timeout(fd, &ki, sizeof ki, 10000), sizeof ki);
    close(fd);
    gridr_test_note_run_id(ki.run_id);
    CU_ASSERT_EQUAL(kill(-pid, SIGTERM), 0);
    int st = wait_timeout(pid, 10000);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "\ngroup SIGTERM: parent ended with status %#x\n", (unsigned)st);
    gridr_test_assert_clean();
}

static int atexit_fd = -1;

static void atexit_write_pid(void)
{
    pid_t me = getpid();
    (void)!write(atexit_fd, &me, sizeof me);
}

static int atexit_parent(void *arg, int fd)
{
    gridr_sched_opts o;
    gridr_sched *s;
    atexit_fd = fd;
    atexit(atexit_write_pid);
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = gridr_test_work_pattern;
    o.state_dir = arg;
    if (gridr_sched_new(&o, &s))
        return 1;
    job j;
    gridr_sched_run_desc d;
    gridr_test_job_init(&j, 32, 32, 8, 8);
    gridr_test_job_desc(&j, &d);
    int rc = gridr_sched_run(s, &d) || gridr_test_job_errors(&j, -1, -1) ? 2 : 0;
    if (!rc && gridr_test_count_shm(gridr_sched_run_id(s)) != 0)
        rc = 3;
    gridr_test_job_free(&j);
    gridr_sched_free(s);
    return rc;
}

static void test_atexit_parent_only(void)
{
    int fd = -1;
    pid_t got[4];
    pid_t pid = spawn_parent(atexit_parent, (void *)gridr_test_tmpdir(), 1, &fd);
    int st = wait_timeout(pid, 20000);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    size_t n = read_timeout(fd, got, sizeof got, 2000); /* until every writer is gone */
    close(fd);
    CU_ASSERT_EQUAL(n, sizeof(pid_t));
    CU_ASSERT_EQUAL(got[0], pid);
    gridr_test_assert_clean();
}

/* Two embedding processes at once: distinct run ids, each sees only its own names. */
static int concurrent_fd_go = -1;

static int prepare_concurrent(void *user, long k, gridr_array *a, int n, void *winp)
{
    if (k == 0) {
        char id[16] = "";
        char go;
        snprintf(id, sizeof id, "%s", gridr_sched_run_id(info_sched));
        (void)!write(info_fd, id, sizeof id);
        (void)!read(concurrent_fd_go, &go, 1); /* both runs hold their names now */
    }
    return gridr_test_prepare_pattern(user, k, a, n, winp);
}

static int concurrent_parent(void *arg, int fd)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = gridr_test_work_pattern;
    o.state_dir = gridr_test_tmpdir();
    concurrent_fd_go = (int)(intptr_t)arg;
    info_fd = fd;
    if (gridr_sched_new(&o, &info_sched))
        return 1;
    job j;
    gridr_sched_run_desc d;
    gridr_test_job_init(&j, 60, 60, 10, 10);
    j.rp.sleep_ms = 5;
    gridr_test_job_desc(&j, &d);
    d.prepare = prepare_concurrent;
    gridr_test_cur_sched = info_sched;
    int rc = gridr_sched_run(info_sched, &d) ? 2 : gridr_test_job_errors(&j, -1, -1) ? 3 : 0;
    if (!rc && gridr_test_count_shm(gridr_sched_run_id(info_sched)) != 0)
        rc = 5;
    if (!rc && j.segs_seen_max != 3 * 3) /* its own 3 slots x 3 arrays, nothing else */
        rc = 4;
    gridr_test_job_free(&j);
    gridr_sched_free(info_sched);
    return rc;
}

static void test_concurrent_runs(void)
{
    int go[2], fd[2];
    char id[2][16];
    pid_t pid[2];
    CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
    for (int i = 0; i < 2; i++)
        pid[i] = spawn_parent(concurrent_parent, (void *)(intptr_t)go[0], 0, &fd[i]);
    close(go[0]);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(read_timeout(fd[i], id[i], sizeof id[i], 10000), sizeof id[i]);
    CU_ASSERT_EQUAL(strlen(id[0]), 8);
    CU_ASSERT_STRING_NOT_EQUAL(id[0], id[1]);
    gridr_test_note_run_id(id[0]);
    gridr_test_note_run_id(id[1]);
    CU_ASSERT(gridr_test_count_shm(id[0]) > 0 && gridr_test_count_shm(id[1]) > 0);
    (void)!write(go[1], "gg", 2);
    close(go[1]);
    for (int i = 0; i < 2; i++) {
        int st = wait_timeout(pid[i], 20000);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(fd[i]);
    }
    gridr_test_assert_clean();
}

static CU_TestInfo tests[] = {
    {"parent SIGKILLed: workers die, sweep cleans", test_parent_killed},
    {"SIGTERM to the whole process group: cancelled", test_group_sigterm},
    {"OpenMP in the caller before the scheduler", test_openmp_before_scheduler},
    {"atexit handlers run in the parent only", test_atexit_parent_only},
    {"two runs at once keep to their names", test_concurrent_runs},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_sched_embed_suite = {"sched_embed", NULL, NULL, NULL, NULL, tests};
