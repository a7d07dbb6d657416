/* gridr tests: the synthetic tiled job and run bookkeeping shared by the sched suites. */
#ifndef GRIDR_TESTS_SCHED_UTIL_H
#define GRIDR_TESTS_SCHED_UTIL_H

#include "unit.h"
#include "base/internal.h" /* gridr__config_set_fault (fault-injection builds) */

#include <stdint.h>

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

void gridr_test_job_init(job *j, int W, int H, int TW, int TH);
void gridr_test_job_free(job *j);
win_params gridr_test_job_window(const job *j, long k);

/** Fills j's run description: 3 arrays {in u16, out u16, info i32[4]}, the pattern callbacks. */
void gridr_test_job_desc(job *j, gridr_sched_run_desc *d);

/** Number of windows whose output differs from the reference or that were not finished once
 *  (windows skip_a and skip_b must not have finished). */
long gridr_test_job_errors(const job *j, long skip_a, long skip_b);

/** The work function of the synthetic job (worker side). */
int gridr_test_work_pattern(void *ctx, const void *runp, const void *winp, gridr_array *a, int n,
                            long k);

/** The prepare callback of the synthetic job, for tests that wrap it. */
int gridr_test_prepare_pattern(void *user, long k, gridr_array *a, int n, void *winp);

/** Mappings of gridr segments in the processes of a scheduler. */
int gridr_test_mapped_segments(const gridr_sched *s);

/** The scheduler whose run the finish callback inspects (NULL: none). */
extern gridr_sched *gridr_test_cur_sched;

/** Remember a run id: gridr_test_our_shm counts the names of the noted runs only. */
void gridr_test_note_run_id(const char *id);

/** gridr_sched_run, noting the run id. */
int gridr_test_run_sched(gridr_sched *s, const gridr_sched_run_desc *d);

/** Number of /dev/shm names of the noted runs. */
int gridr_test_our_shm(void);

/** Assert no name of a noted run is left and no child process is left. */
void gridr_test_assert_clean(void);

/** A scheduler running gridr_test_work_pattern in the test's state directory; its workers do
 *  `fault` (a GRIDR_FAULT spec, set for its creation only; NULL: none). A fault needs a build
 *  configured with --enable-fault-injection: the tests that pass one are compiled only there. */
gridr_sched *gridr_test_new_sched(int workers, int retries, int keep_going, const char *fault);

#endif
