/* gridr tests: sched: windows through forked workers, failures, retries, signals, cleanup. */
#include "unit.h"

#include <dirent.h>
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
#include <time.h>
#include <unistd.h>

/* ---- a synthetic job: an image cut into tiles; out = in * mult + add + window ------------- */

typedef struct run_params {
    int mult, add;
    int sleep_ms;     /* per window, in the worker */
    long fail_window; /* the work function fails there (-1: never) */
    int omp;          /* use an OpenMP region in the work function */
} run_params;

typedef struct win_params {
    long k, row0, col0, rows, cols;
} win_params;

typedef struct job {
    int W, H, TW, TH, ntx, nty;
    long windows;
    uint16_t *src, *dst;
    int *finished;
    long *seen_k;
    int *threads_seen;
    int *ctx_seen; /* the work context's value as the worker saw it */
    run_params rp;
    /* hooks for individual tests */
    long raise_prep; /* prepare raises `raise_sig` at this window */
    long raise_fin;  /* finish raises `raise_sig` at this window */
    int raise_sig;
    long skip_mod;   /* prepare returns NO_WORK for windows with k % skip_mod == 1 */
    long prep_fail;  /* prepare fails at this window */
    long too_big_at; /* prepare gives a too large shape at this window */
    size_t shm_seen_peak;
    int segs_seen_max;
    int mapped_seen; /* segments mapped in the scheduler's processes at window 0's finish */
} job;

static void job_init(job *j, int W, int H, int TW, int TH)
{
    memset(j, 0, sizeof *j);
    j->W = W, j->H = H, j->TW = TW, j->TH = TH;
    j->ntx = (W + TW - 1) / TW;
    j->nty = (H + TH - 1) / TH;
    j->windows = (long)j->ntx * j->nty;
    j->src = malloc((size_t)W * H * sizeof *j->src);
    j->dst = malloc((size_t)W * H * sizeof *j->dst);
    j->finished = calloc((size_t)j->windows, sizeof *j->finished);
    j->seen_k = calloc((size_t)j->windows, sizeof *j->seen_k);
    j->threads_seen = calloc((size_t)j->windows, sizeof *j->threads_seen);
    j->ctx_seen = calloc((size_t)j->windows, sizeof *j->ctx_seen);
    for (long i = 0; i < (long)W * H; i++)
        j->src[i] = (uint16_t)(i * 7919 % 60000);
    memset(j->dst, 0, (size_t)W * H * sizeof *j->dst);
    j->rp = (run_params){3, 11, 0, -1, 0};
    j->raise_prep = j->raise_fin = j->prep_fail = j->too_big_at = -1;
}

static void job_free(job *j)
{
    free(j->src);
    free(j->dst);
    free(j->finished);
    free(j->seen_k);
    free(j->threads_seen);
    free(j->ctx_seen);
}

static win_params job_window(const job *j, long k)
{
    win_params w;
    w.k = k;
    w.row0 = (k / j->ntx) * j->TH;
    w.col0 = (k % j->ntx) * j->TW;
    w.rows = j->H - w.row0 < j->TH ? j->H - w.row0 : j->TH;
    w.cols = j->W - w.col0 < j->TW ? j->W - w.col0 : j->TW;
    return w;
}

static uint16_t expected(const job *j, long i, long k)
{
    return (uint16_t)(j->src[i] * j->rp.mult + j->rp.add + k);
}

/* Worker side: arrays = {in u16, out u16, info i32[4] = {k, threads, pid, marker}}. */
static int work_pattern(void *ctx, const void *runp, const void *winp, gridr_array *a, int n,
                        long k)
{
    const run_params *rp = runp;
    const win_params *wp = winp;
    (void)ctx;
    if (n != 3 || wp->k != k || a[0].rows != wp->rows || a[0].cols != wp->cols)
        return gridr_set_error(GRIDR_EINVAL, "bad message for window %ld", k);
    if (k == rp->fail_window)
        return gridr_set_error(GRIDR_EINVAL, "bad pixel in window %ld", k);
    if (rp->sleep_ms)
        nanosleep(&(struct timespec){0, rp->sleep_ms * 1000000L}, NULL);
    const uint16_t *in = a[0].data;
    uint16_t *out = a[1].data;
    long npx = a[0].rows * a[0].cols;
    int threads = 1;
    if (rp->omp) {
#pragma omp parallel
        {
#pragma omp single
            threads = omp_get_num_threads();
#pragma omp for
            for (long i = 0; i < npx; i++)
                out[i] = (uint16_t)(in[i] * rp->mult + rp->add + k);
        }
    } else
        for (long i = 0; i < npx; i++)
            out[i] = (uint16_t)(in[i] * rp->mult + rp->add + k);
    int32_t *info = a[2].data;
    info[0] = (int32_t)k, info[1] = threads, info[2] = (int32_t)getpid();
    info[3] = ctx ? *(const int *)ctx : 0x5eed;
    return 0;
}

static int shm_of_run(const char *run_id, size_t *bytes)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "gridr.%s.", run_id);
    DIR *d = opendir("/dev/shm");
    int n = 0;
    *bytes = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        struct stat st;
        char path[300];
        snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && stat(path, &st) == 0) {
            n++;
            *bytes += (size_t)st.st_size;
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* Mappings of gridr segments in the processes of a scheduler (workers keep a run's segments
 * mapped between windows and must unmap them at its end). */
static int mapped_segments(const gridr_sched *s)
{
    pid_t pids[16];
    int n = gridr_sched_pids(s, pids, 16), count = 0;
    for (int i = 0; i < n; i++) {
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%d/maps", (int)pids[i]);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
            count += strstr(line, "/dev/shm/gridr.") != NULL;
        if (f)
            fclose(f);
    }
    return count;
}

static gridr_sched *cur_sched; /* for callbacks that look at the run */

static int prepare_pattern(void *user, long k, gridr_array *a, int n, void *winp)
{
    job *j = user;
    win_params w = job_window(j, k);
    (void)n;
    if (k == j->raise_prep)
        raise(j->raise_sig);
    if (k == j->prep_fail)
        return gridr_set_error(GRIDR_EIO, "cannot read source for window %ld", k);
    memcpy(winp, &w, sizeof w);
    a[0] = gridr_array_make(a[0].data, GRIDR_DT_U16, 1, w.rows, w.cols);
    a[1] = gridr_array_make(a[1].data, GRIDR_DT_U16, 1, w.rows, w.cols);
    if (k == j->too_big_at)
        a[1] = gridr_array_make(a[1].data, GRIDR_DT_U16, 2, w.rows * 20, w.cols);
    uint16_t *in = a[0].data, *out = a[1].data;
    for (long r = 0; r < w.rows; r++)
        memcpy(in + r * w.cols, j->src + (w.row0 + r) * j->W + w.col0, (size_t)w.cols * 2);
    memset(out, 0xff, (size_t)(w.rows * w.cols) * 2);
    memset(a[2].data, 0, 16);
    if (j->skip_mod && k % j->skip_mod == 1) {
        for (long i = 0; i < w.rows * w.cols; i++)
            out[i] = expected(j, (w.row0 + i / w.cols) * j->W + w.col0 + i % w.cols, k);
        ((int32_t *)a[2].data)[0] = (int32_t)k;
        return GRIDR_SCHED_NO_WORK;
    }
    return 0;
}

static int finish_pattern(void *user, long k, gridr_array *a, int n)
{
    job *j = user;
    win_params w = job_window(j, k);
    const uint16_t *out = a[1].data;
    (void)n;
    if (a[1].rows != w.rows || a[1].cols != w.cols)
        return gridr_set_error(GRIDR_EINVAL, "finish: window %ld has shape %ldx%ld", k, a[1].rows,
                               a[1].cols);
    for (long r = 0; r < w.rows; r++)
        memcpy(j->dst + (w.row0 + r) * j->W + w.col0, out + r * w.cols, (size_t)w.cols * 2);
    j->finished[k]++;
    j->seen_k[k] = ((int32_t *)a[2].data)[0];
    j->ctx_seen[k] = ((int32_t *)a[2].data)[3];
    j->threads_seen[k] = ((int32_t *)a[2].data)[1];
    if (cur_sched && k == 0)
        j->mapped_seen = mapped_segments(cur_sched);
    if (k == j->raise_fin)
        raise(j->raise_sig);
    if (cur_sched) {
        size_t bytes;
        int segs = shm_of_run(gridr_sched_run_id(cur_sched), &bytes);
        j->shm_seen_peak = bytes > j->shm_seen_peak ? bytes : j->shm_seen_peak;
        j->segs_seen_max = segs > j->segs_seen_max ? segs : j->segs_seen_max;
    }
    return 0;
}

static void describe_pattern(void *user, long k, char *buf, size_t len)
{
    win_params w = job_window(user, k);
    snprintf(buf, len, "rows %ld..%ld, cols %ld..%ld", w.row0, w.row0 + w.rows - 1, w.col0,
             w.col0 + w.cols - 1);
}

static void job_desc(job *j, gridr_sched_run_desc *d)
{
    gridr_sched_run_desc_init(d);
    d->windows = j->windows;
    d->narrays = 3;
    d->arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, j->TH, j->TW};
    d->arrays[1] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, j->TH, j->TW};
    d->arrays[2] = (gridr_sched_array_desc){GRIDR_DT_I32, 1, 1, 4};
    d->run_params = &j->rp;
    d->run_params_size = sizeof j->rp;
    d->prepare = prepare_pattern;
    d->finish = finish_pattern;
    d->describe = describe_pattern;
    d->user = j;
}

/* Number of windows whose output differs from the reference or that were not finished once. */
static long job_errors(const job *j, long skip_a, long skip_b)
{
    long bad = 0;
    for (long k = 0; k < j->windows; k++) {
        if (k == skip_a || k == skip_b) {
            bad += j->finished[k] != 0;
            continue;
        }
        win_params w = job_window(j, k);
        int ok = j->finished[k] == 1 && j->seen_k[k] == k;
        for (long r = 0; ok && r < w.rows; r++)
            for (long c = 0; ok && c < w.cols; c++) {
                long i = (w.row0 + r) * j->W + w.col0 + c;
                ok = j->dst[i] == expected(j, i, k);
            }
        bad += !ok;
    }
    return bad;
}

/* Run ids of this suite's runs: other gridr users of the machine may hold gridr.* names, so the
 * checks count the names of our runs only. */
static char run_ids[512][16];
static int nrun_ids;

static void note_run_id(const char *id)
{
    if (id[0] && nrun_ids < 512 && (!nrun_ids || strcmp(run_ids[nrun_ids - 1], id) != 0))
        snprintf(run_ids[nrun_ids++], sizeof run_ids[0], "%s", id);
}

static int run_sched(gridr_sched *s, const gridr_sched_run_desc *d)
{
    int rc = gridr_sched_run(s, d);
    note_run_id(gridr_sched_run_id(s));
    return rc;
}

static int our_shm(void)
{
    int n = 0;
    for (int i = 0; i < nrun_ids; i++)
        n += gridr_test_count_shm(run_ids[i]);
    return n;
}

static void assert_clean(void)
{
    CU_ASSERT_EQUAL(our_shm(), 0);
    errno = 0;
    CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

static gridr_sched *new_sched(int workers, int retries, int keep_going, const char *fault)
{
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    gridr_sched_opts_init(&o);
    o.workers = workers;
    o.retries = retries;
    o.keep_going = keep_going;
    o.work = work_pattern;
    o.fault = fault ? fault : "";
    o.state_dir = gridr_test_tmpdir();
    ASSERT_OK(gridr_sched_new(&o, &s));
    return s;
}

/* ---- normal runs ------------------------------------------------------------------------- */

/* One run of a W x H image in TW x TH windows; the first result of each shape becomes the
 * reference of the next worker counts. */
static void check_one_shape(gridr_sched *s, const int *shape, uint16_t **ref)
{
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    job_init(&j, shape[0], shape[1], shape[2], shape[3]);
    job_desc(&j, &d);
    cur_sched = s;
    ASSERT_OK(run_sched(s, &d));
    cur_sched = NULL;
    CU_ASSERT_EQUAL(job_errors(&j, -1, -1), 0);
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
    CU_ASSERT_EQUAL(mapped_segments(s), 0);
    job_free(&j);
}

static void test_windows_once_any_workers(void)
{
    static const int shapes[][4] = {
        {64, 48, 16, 16}, {100, 70, 33, 7}, {50, 50, 50, 50}, {37, 23, 5, 40}, {9, 300, 9, 1}};
    enum { NSHAPES = sizeof shapes / sizeof shapes[0] };
    uint16_t *ref[NSHAPES] = {NULL};
    for (int workers = 1; workers <= 3; workers++) {
        gridr_sched *s = new_sched(workers, 0, 0, NULL);
        CU_ASSERT_EQUAL(gridr_sched_workers(s), workers);
        for (int i = 0; s && i < NSHAPES; i++)
            check_one_shape(s, shapes[i], &ref[i]);
        gridr_sched_free(s);
        assert_clean();
    }
    for (int i = 0; i < NSHAPES; i++)
        free(ref[i]);
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
    gridr_sched *s = new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    int stop_at = -1;
    job_init(&j, 40, 40, 10, 10);
    j.skip_mod = 3; /* windows 1, 4, 7, ... need no worker */
    job_desc(&j, &d);
    d.progress = progress_cb;
    d.progress_arg = &stop_at;
    count_progress = 0, last_progress = 0, progress_ok = 1;
    ASSERT_OK(run_sched(s, &d));
    CU_ASSERT_EQUAL(job_errors(&j, -1, -1), 0);
    CU_ASSERT(progress_ok);
    CU_ASSERT_EQUAL(last_progress, 1.0);
    CU_ASSERT_EQUAL(count_progress, j.windows + 1);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.skipped, 5);
    CU_ASSERT_EQUAL(st.done, j.windows);
    for (long k = 1; k < j.windows; k += 3) /* the worker never saw them */
        CU_ASSERT_EQUAL(j.threads_seen[k], 0);
    CU_ASSERT_EQUAL(j.threads_seen[0], 1);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
}

static void test_progress_cancel(void)
{
    gridr_sched *s = new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    int stop_at = 4;
    job_init(&j, 60, 60, 10, 10);
    j.rp.sleep_ms = 20;
    job_desc(&j, &d);
    d.progress = progress_cb;
    d.progress_arg = &stop_at;
    count_progress = 0, last_progress = 0, progress_ok = 1;
    ASSERT_STATUS(run_sched(s, &d), GRIDR_ECANCELED);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "progress"));
    CU_ASSERT_EQUAL(gridr_sched_signal(s), 0);
    CU_ASSERT_EQUAL(count_progress, 4);
    CU_ASSERT_EQUAL(our_shm(), 0);
    /* The same scheduler runs again: stopped workers are replaced. */
    job_free(&j);
    job_init(&j, 30, 30, 10, 10);
    job_desc(&j, &d);
    ASSERT_OK(run_sched(s, &d));
    CU_ASSERT_EQUAL(job_errors(&j, -1, -1), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
}

/* ---- failures ---------------------------------------------------------------------------- */

static void test_kill_once_retried(void)
{
    gridr_sched *s = new_sched(2, 1, 0, "kill:window=3:once");
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    job_init(&j, 64, 64, 16, 16);
    job_desc(&j, &d);
    ASSERT_OK(run_sched(s, &d));
    CU_ASSERT_EQUAL(job_errors(&j, -1, -1), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 1);
    CU_ASSERT_EQUAL(st.failed, 0);
    CU_ASSERT_EQUAL(st.spawned, 3); /* 2 + 1 replacement */
    CU_ASSERT_EQUAL(gridr_sched_failed(s, NULL), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
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
    o.work = work_pattern;
    o.ctx = &generation;
    o.fault = "kill:window=2:once";
    o.state_dir = gridr_test_tmpdir();
    ASSERT_OK(gridr_sched_new(&o, &s));
    generation = 2; /* after the fork: no worker may see it */
    job_init(&j, 32, 32, 8, 8);
    job_desc(&j, &d);
    ASSERT_OK(run_sched(s, &d));
    CU_ASSERT_EQUAL(job_errors(&j, -1, -1), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.spawned, 2);
    CU_ASSERT_EQUAL(st.retried, 1);
    for (long k = 0; k < j.windows; k++)
        CU_ASSERT_EQUAL(j.ctx_seen[k], 1);
    generation = 1;
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
}

static void expect_death(const char *fault, int retries, long k, const char *attempt,
                         const char *how)
{
    gridr_sched *s = new_sched(2, retries, 0, fault);
    job j;
    gridr_sched_run_desc d;
    char want[128];
    const long *failed = NULL;
    job_init(&j, 64, 64, 16, 16);
    job_desc(&j, &d);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_ECHILD);
    const char *msg = gridr_last_error();
    win_params w = job_window(&j, k);
    snprintf(want, sizeof want, "window %ld [rows %ld..%ld, cols %ld..%ld] attempt %s: worker pid ",
             k, w.row0, w.row0 + w.rows - 1, w.col0, w.col0 + w.cols - 1, attempt);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, how));
    if (!strstr(msg, want) || !strstr(msg, how))
        fprintf(stderr, "\nmessage: %s\nwanted: %s ... %s\n", msg, want, how);
    CU_ASSERT_EQUAL(gridr_sched_failed(s, &failed), 1);
    CU_ASSERT(failed && failed[0] == k);
    CU_ASSERT_EQUAL(j.finished[k], 0);
    CU_ASSERT_EQUAL(our_shm(), 0);
    /* Reusable: a run that does not reach window k succeeds. */
    job_free(&j);
    job_init(&j, 64, 16, 16, 16);
    job_desc(&j, &d);
    d.windows = k < 4 ? k : 4;
    ASSERT_OK(run_sched(s, &d));
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
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

static void test_work_error(void)
{
    gridr_sched *s = new_sched(2, 2, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    job_init(&j, 64, 64, 16, 16);
    j.rp.fail_window = 4;
    job_desc(&j, &d);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EWORK);
    const char *msg = gridr_last_error();
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "window 4 [rows 16..31, cols 0..15] attempt 1/3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad pixel in window 4"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "GRIDR_EINVAL"));
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.retried, 0);
    CU_ASSERT_EQUAL(st.spawned, 2); /* nobody died */
    CU_ASSERT_EQUAL(our_shm(), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
}

static void test_keep_going(void)
{
    gridr_sched *s = new_sched(2, 1, 1, "kill:window=2,segv:window=5");
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    const long *failed = NULL;
    job_init(&j, 64, 64, 16, 16);
    job_desc(&j, &d);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EPARTIAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "2 of 16 windows failed"));
    CU_ASSERT_EQUAL(gridr_sched_failed(s, &failed), 2);
    CU_ASSERT(failed && ((failed[0] == 2 && failed[1] == 5) || (failed[0] == 5 && failed[1] == 2)));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_sched_failed_message(s, failed[0] == 2 ? 0 : 1), "attempt 2/2: worker pid"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_sched_failed_message(s, failed[0] == 5 ? 0 : 1), "SIGSEGV"));
    CU_ASSERT_EQUAL(job_errors(&j, 2, 5), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.done, 14);
    CU_ASSERT_EQUAL(st.failed, 2);
    CU_ASSERT_EQUAL(st.retried, 2);
    CU_ASSERT_EQUAL(our_shm(), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
}

static void test_callback_errors(void)
{
    gridr_sched *s = new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    job_init(&j, 64, 64, 16, 16);
    j.prep_fail = 6;
    job_desc(&j, &d);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EIO);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(gridr_last_error(), "window 6 [rows 16..31, cols 32..47]: prepare: cannot read"));
    CU_ASSERT_EQUAL(our_shm(), 0);
    job_free(&j);
    job_init(&j, 64, 64, 16, 16);
    j.too_big_at = 2;
    job_desc(&j, &d);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "window 2 [rows 0..15, cols 32..47]"));
    CU_ASSERT_EQUAL(our_shm(), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
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
    o.fault = "boom:window=1";
    ASSERT_STATUS(gridr_sched_new(&o, &s), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "boom"));
    o.fault = "kill:window=1:twice";
    ASSERT_STATUS(gridr_sched_new(&o, &s), GRIDR_EINVAL);
    o.fault = "";
    ASSERT_OK(gridr_sched_new(&o, &s));
    gridr_sched_run_desc d;
    gridr_sched_run_desc_init(&d);
    d.windows = 1;
    d.narrays = GRIDR_SCHED_MAX_ARRAYS + 1;
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EINVAL);
    d.narrays = 1;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, -1, 4};
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EINVAL);
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_UNKNOWN, 1, 4, 4};
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EINVAL);
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, 0, 4}; /* empty: allowed */
    ASSERT_OK(run_sched(s, &d));
    d.arrays[0].rows = 4;
    d.run_params_size = GRIDR_SCHED_RUN_PARAMS_MAX + 1;
    d.run_params = &o;
    ASSERT_STATUS(run_sched(s, &d), GRIDR_EINVAL);
    d.run_params_size = 0;
    d.windows = 0;
    ASSERT_OK(run_sched(s, &d)); /* nothing to do */
    gridr_sched_free(s);
    gridr_sched_free(NULL);
    assert_clean();
}

/* A worker killed while idle, or the fork server killed: the next run notices. */
static void test_idle_worker_and_server_killed(void)
{
    /* One retry: the parent may hand window 0 to the killed worker before it has seen it die
     * (nothing orders the two); either way exactly one replacement is forked. */
    gridr_sched *s = new_sched(2, 1, 0, NULL);
    pid_t pids[3];
    job j;
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    CU_ASSERT_EQUAL_FATAL(gridr_sched_pids(s, pids, 3), 3);
    kill(pids[1], SIGKILL);
    usleep(50000);
    job_init(&j, 32, 32, 8, 8);
    job_desc(&j, &d);
    ASSERT_OK(run_sched(s, &d)); /* a replacement was forked */
    CU_ASSERT_EQUAL(job_errors(&j, -1, -1), 0);
    gridr_sched_get_stats(s, &st);
    CU_ASSERT_EQUAL(st.spawned, 3);
    kill(pids[0], SIGKILL); /* the fork server; its workers follow it */
    usleep(50000);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_ECHILD);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "fork server"));
    CU_ASSERT_EQUAL(our_shm(), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
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
    ASSERT_STATUS(run_sched(s, &d), GRIDR_ECANCELED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(gridr_sched_signal(s), SIGTERM);
    CU_ASSERT(t1.tv_sec - t0.tv_sec < 3);
    CU_ASSERT_EQUAL(our_shm(), 0);
    gridr_sched_free(s);
    assert_clean();
}

/* ---- signals ----------------------------------------------------------------------------- */

static void expect_signal(int sig, int from_finish)
{
    gridr_sched *s = new_sched(2, 0, 0, NULL);
    job j;
    gridr_sched_run_desc d;
    struct sigaction before, after;
    sigaction(sig, NULL, &before);
    job_init(&j, 80, 80, 10, 10);
    j.rp.sleep_ms = 20;
    if (from_finish)
        j.raise_fin = 5;
    else
        j.raise_prep = 5;
    j.raise_sig = sig;
    job_desc(&j, &d);
    ASSERT_STATUS(run_sched(s, &d), GRIDR_ECANCELED);
    CU_ASSERT_EQUAL(gridr_sched_signal(s), sig);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), sig == SIGTERM  ? "SIGTERM"
                                                      : sig == SIGINT ? "SIGINT"
                                                                      : "SIGHUP"));
    sigaction(sig, NULL, &after);
    CU_ASSERT(after.sa_handler == before.sa_handler);
    CU_ASSERT_EQUAL(our_shm(), 0);
    job_free(&j);
    gridr_sched_free(s);
    assert_clean();
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
    return prepare_pattern(user, k, a, n, winp);
}

/* In a child acting as an embedding program: a 2-worker scheduler in state dir `arg` and a slow
 * run (100 windows of 100 ms) whose prepare reports pids on `fd`. Returns 0 or 1 (no scheduler). */
static int slow_reporting_run(void *arg, int fd, job *j, gridr_sched_run_desc *d)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = work_pattern;
    o.state_dir = arg;
    if (gridr_sched_new(&o, &info_sched))
        return 1;
    info_fd = fd;
    job_init(j, 100, 100, 10, 10);
    j->rp.sleep_ms = 100;
    job_desc(j, d);
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
    note_run_id(ki.run_id);
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
    assert_clean();
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
    o.work = work_pattern;
    o.state_dir = arg;
    if (sum != 2 || gridr_sched_new(&o, &s))
        return (void *)1;
    job j;
    gridr_sched_run_desc d;
    job_init(&j, 64, 64, 16, 16);
    j.rp.omp = 1;
    job_desc(&j, &d);
    bad = gridr_sched_run(s, &d) ? 2 : job_errors(&j, -1, -1) ? 3 : 0;
    if (!bad && gridr_test_count_shm(gridr_sched_run_id(s)) != 0)
        bad = 5;
    for (long k = 0; !bad && k < j.windows; k++)
        bad = j.threads_seen[k] != 2 ? 4 : 0;
    job_free(&j);
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
    assert_clean();
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
    note_run_id(ki.run_id);
    CU_ASSERT_EQUAL(kill(-pid, SIGTERM), 0);
    int st = wait_timeout(pid, 10000);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "\ngroup SIGTERM: parent ended with status %#x\n", (unsigned)st);
    assert_clean();
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
    o.work = work_pattern;
    o.state_dir = arg;
    if (gridr_sched_new(&o, &s))
        return 1;
    job j;
    gridr_sched_run_desc d;
    job_init(&j, 32, 32, 8, 8);
    job_desc(&j, &d);
    int rc = gridr_sched_run(s, &d) || job_errors(&j, -1, -1) ? 2 : 0;
    if (!rc && gridr_test_count_shm(gridr_sched_run_id(s)) != 0)
        rc = 3;
    job_free(&j);
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
    assert_clean();
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
    return prepare_pattern(user, k, a, n, winp);
}

static int concurrent_parent(void *arg, int fd)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = work_pattern;
    o.state_dir = gridr_test_tmpdir();
    concurrent_fd_go = (int)(intptr_t)arg;
    info_fd = fd;
    if (gridr_sched_new(&o, &info_sched))
        return 1;
    job j;
    gridr_sched_run_desc d;
    job_init(&j, 60, 60, 10, 10);
    j.rp.sleep_ms = 5;
    job_desc(&j, &d);
    d.prepare = prepare_concurrent;
    cur_sched = info_sched;
    int rc = gridr_sched_run(info_sched, &d) ? 2 : job_errors(&j, -1, -1) ? 3 : 0;
    if (!rc && gridr_test_count_shm(gridr_sched_run_id(info_sched)) != 0)
        rc = 5;
    if (!rc && j.segs_seen_max != 3 * 3) /* its own 3 slots x 3 arrays, nothing else */
        rc = 4;
    job_free(&j);
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
    note_run_id(id[0]);
    note_run_id(id[1]);
    CU_ASSERT(gridr_test_count_shm(id[0]) > 0 && gridr_test_count_shm(id[1]) > 0);
    (void)!write(go[1], "gg", 2);
    close(go[1]);
    for (int i = 0; i < 2; i++) {
        int st = wait_timeout(pid[i], 20000);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(fd[i]);
    }
    assert_clean();
}

static CU_TestInfo tests[] = {
    {"every window once, 1-3 workers, several shapes", test_windows_once_any_workers},
    {"progress reaches 1, no-work windows skip workers", test_progress_and_no_work},
    {"progress returning 0 cancels cleanly", test_progress_cancel},
    {"worker killed once, retried, same output", test_kill_once_retried},
    {"a replacement sees the creation-time context", test_replacement_sees_creation_image},
    {"worker killed every time: ECHILD names window", test_kill_exhausted},
    {"worker SIGSEGV: ECHILD names the signal", test_segv},
    {"worker exit(3): ECHILD with exit status", test_exit},
    {"work function error: EWORK, no retry", test_work_error},
    {"keep_going: EPARTIAL and the failed list", test_keep_going},
    {"prepare error and oversized shape stop the run", test_callback_errors},
    {"bad arguments", test_bad_arguments},
    {"idle worker or fork server killed between runs", test_idle_worker_and_server_killed},
    {"cancel ends a worker that ignores SIGTERM", test_stubborn_worker_cancel},
    {"SIGTERM during a run cancels cleanly", test_sigterm},
    {"SIGINT during a run cancels cleanly", test_sigint},
    {"SIGHUP during a run cancels cleanly", test_sighup},
    {"parent SIGKILLed: workers die, sweep cleans", test_parent_killed},
    {"SIGTERM to the whole process group: cancelled", test_group_sigterm},
    {"OpenMP in the caller before the scheduler", test_openmp_before_scheduler},
    {"atexit handlers run in the parent only", test_atexit_parent_only},
    {"two runs at once keep to their names", test_concurrent_runs},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_sched_suite = {"sched", NULL, NULL, NULL, NULL, tests};
