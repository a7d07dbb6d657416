/* gridr tests: the synthetic tiled job and run bookkeeping shared by the sched suites. */
#include "unit.h"
#include "sched_util.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void gridr_test_job_init(job *j, int W, int H, int TW, int TH)
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

void gridr_test_job_free(job *j)
{
    free(j->src);
    free(j->dst);
    free(j->finished);
    free(j->seen_k);
    free(j->threads_seen);
    free(j->ctx_seen);
}

win_params gridr_test_job_window(const job *j, long k)
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
int gridr_test_work_pattern(void *ctx, const void *runp, const void *winp, gridr_array *a, int n,
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
int gridr_test_mapped_segments(const gridr_sched *s)
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

gridr_sched *gridr_test_cur_sched;

int gridr_test_prepare_pattern(void *user, long k, gridr_array *a, int n, void *winp)
{
    job *j = user;
    win_params w = gridr_test_job_window(j, k);
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
    win_params w = gridr_test_job_window(j, k);
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
    if (gridr_test_cur_sched && k == 0)
        j->mapped_seen = gridr_test_mapped_segments(gridr_test_cur_sched);
    if (k == j->raise_fin)
        raise(j->raise_sig);
    if (gridr_test_cur_sched) {
        size_t bytes;
        int segs = shm_of_run(gridr_sched_run_id(gridr_test_cur_sched), &bytes);
        j->shm_seen_peak = bytes > j->shm_seen_peak ? bytes : j->shm_seen_peak;
        j->segs_seen_max = segs > j->segs_seen_max ? segs : j->segs_seen_max;
    }
    return 0;
}

static void describe_pattern(void *user, long k, char *buf, size_t len)
{
    win_params w = gridr_test_job_window(user, k);
    snprintf(buf, len, "rows %ld..%ld, cols %ld..%ld", w.row0, w.row0 + w.rows - 1, w.col0,
             w.col0 + w.cols - 1);
}

void gridr_test_job_desc(job *j, gridr_sched_run_desc *d)
{
    gridr_sched_run_desc_init(d);
    d->windows = j->windows;
    d->narrays = 3;
    d->arrays[0] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, j->TH, j->TW};
    d->arrays[1] = (gridr_sched_array_desc){GRIDR_DT_U16, 1, j->TH, j->TW};
    d->arrays[2] = (gridr_sched_array_desc){GRIDR_DT_I32, 1, 1, 4};
    d->run_params = &j->rp;
    d->run_params_size = sizeof j->rp;
    d->prepare = gridr_test_prepare_pattern;
    d->finish = finish_pattern;
    d->describe = describe_pattern;
    d->user = j;
}

/* Number of windows whose output differs from the reference or that were not finished once. */
long gridr_test_job_errors(const job *j, long skip_a, long skip_b)
{
    long bad = 0;
    for (long k = 0; k < j->windows; k++) {
        if (k == skip_a || k == skip_b) {
            bad += j->finished[k] != 0;
            continue;
        }
        win_params w = gridr_test_job_window(j, k);
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

void gridr_test_note_run_id(const char *id)
{
    if (id[0] && nrun_ids < 512 && (!nrun_ids || strcmp(run_ids[nrun_ids - 1], id) != 0))
        snprintf(run_ids[nrun_ids++], sizeof run_ids[0], "%s", id);
}

int gridr_test_run_sched(gridr_sched *s, const gridr_sched_run_desc *d)
{
    int rc = gridr_sched_run(s, d);
    gridr_test_note_run_id(gridr_sched_run_id(s));
    return rc;
}

int gridr_test_our_shm(void)
{
    int n = 0;
    for (int i = 0; i < nrun_ids; i++)
        n += gridr_test_count_shm(run_ids[i]);
    return n;
}

void gridr_test_assert_clean(void)
{
    CU_ASSERT_EQUAL(gridr_test_our_shm(), 0);
    errno = 0;
    CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

gridr_sched *gridr_test_new_sched(int workers, int retries, int keep_going, const char *fault)
{
    gridr_sched_opts o;
    gridr_sched *s = NULL;
    gridr_sched_opts_init(&o);
    o.workers = workers;
    o.retries = retries;
    o.keep_going = keep_going;
    o.work = gridr_test_work_pattern;
    o.state_dir = gridr_test_tmpdir();
#ifdef GRIDR_FAULT_INJECTION
    gridr__config_set_fault(fault);
#else
    CU_ASSERT_PTR_NULL(fault); /* tests with faults are compiled in fault-injection builds only */
#endif
    int rc = gridr_sched_new(&o, &s);
#ifdef GRIDR_FAULT_INJECTION
    gridr__config_set_fault(NULL); /* parsed by gridr_sched_new(): the next schedulers have none */
#endif
    ASSERT_OK(rc);
    return s;
}
