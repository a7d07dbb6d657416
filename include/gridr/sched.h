/* gridr: the parallel engine: forked workers run a caller's work function on windows of arrays. */
#ifndef GRIDR_SCHED_H
#define GRIDR_SCHED_H

#include <stddef.h>
#include <sys/types.h>

#include "gridr/dtype.h"
#include "gridr/registry.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ============================================================================================
 *  CREATE THE SCHEDULER FIRST.
 *
 *  gridr_sched_new() forks a fork server, which forks the workers (at once, and later the
 *  replacements of workers that die). Call it early in the program, BEFORE opening any raster
 *  (GDAL), starting threads or running any OpenMP region, and call it, gridr_sched_run() and
 *  gridr_sched_free() from one thread that lives as long as the scheduler (the fork server and
 *  the workers are killed when that thread ends: PR_SET_PDEATHSIG).
 *
 *  Workers run with the memory of the process as it was inside gridr_sched_new(): the work
 *  function and everything its context points to must be complete by then. Anything decided
 *  later (job parameters, file names) travels in the run and window parameter blobs.
 * ============================================================================================
 */

/** Most arrays per window. */
#define GRIDR_SCHED_MAX_ARRAYS 8
/** Size of the per-run parameter blob every work call receives. */
#define GRIDR_SCHED_RUN_PARAMS_MAX 1024
/** Size of the per-window parameter blob filled by the prepare callback. */
#define GRIDR_SCHED_WIN_PARAMS_MAX 256
/** Longest message a worker sends back (a work function's gridr_last_error() is cut there). */
#define GRIDR_SCHED_MSG_MAX 240
/** Positive return of a prepare callback: the window needs no worker; finish is called at
 *  once with the arrays as prepare left them (e.g. a window outside the valid grid). */
#define GRIDR_SCHED_NO_WORK 1

/** A pool of forked workers. Opaque; owns its processes and its descriptors. */
typedef struct gridr_sched gridr_sched;

/** The work function, run in a worker process on one window. `run_params` (1024 bytes) and
 *  `win_params` (256 bytes) are copies of the run's and the window's blobs, zero-padded.
 *  `arrays[0..narrays)` are the window's arrays, mapped read-write, with the shapes the prepare
 *  callback gave them (contiguous). Return 0, or a negative GRIDR_E* code after
 *  gridr_set_error() (the message travels to the parent; the window fails, without retry). */
typedef int (*gridr_sched_work_fn)(void *ctx, const void *run_params, const void *win_params,
                                   gridr_array *arrays, int narrays, long window);

/** Parent callback: fill window `window`'s input arrays. The arrays come with their largest
 *  shape (the run description's); prepare may give any of them a smaller shape or another
 *  dtype in the same memory with `arrays[i] = gridr_array_make(arrays[i].data, dt, b, r, c)`,
 *  as long as it fits. `win_params` (256 bytes, zeroed) goes to the work function.
 *  Returns 0, GRIDR_SCHED_NO_WORK, or a negative code (the run stops with it). Called again for
 *  each retry of the window. */
typedef int (*gridr_sched_prepare_fn)(void *user, long window, gridr_array *arrays, int narrays,
                                      void *win_params);

/** Parent callback: consume window `window`'s results (e.g. write them). Windows finish in any
 *  order. Returns 0 or a negative code (the run stops with it). */
typedef int (*gridr_sched_finish_fn)(void *user, long window, gridr_array *arrays, int narrays);

/** Parent callback: write a short description of a window for messages, e.g.
 *  "rows 512..767, cols 0..255" (it appears as "window 7 [rows 512..767, cols 0..255]"). */
typedef void (*gridr_sched_describe_fn)(void *user, long window, char *buf, size_t len);

/** Progress, with the signature of GDAL's GDALProgressFunc (GDALTermProgress fits): called
 *  in the parent with the fraction of windows done; returning 0 cancels the run. */
typedef int (*gridr_sched_progress_fn)(double complete, const char *msg, void *arg);

/** Scheduler options. Initialise with gridr_sched_opts_init(); new fields go at the end. */
typedef struct gridr_sched_opts {
    int workers;    /**< worker processes; 0 = number of online CPUs (default) */
    int threads;    /**< OpenMP threads per worker (omp_set_num_threads); 0 = OpenMP's default;
                         default 1 */
    int prefetch;   /**< windows prepared ahead of the workers; slots = workers + prefetch;
                         default 1 */
    int retries;    /**< extra attempts for a window whose worker died; default 0 */
    int keep_going; /**< non-zero: a window that fails for good does not stop the run; the run
                         then returns GRIDR_EPARTIAL and gridr_sched_failed() lists them */
    gridr_sched_work_fn work; /**< required; fixed for the scheduler's life */
    void *ctx;                /**< passed to work; must exist before gridr_sched_new() */
    gridr_registry *registry; /**< borrowed registry for every run's names, or NULL: each run
                                   opens its own in state_dir and closes it at its end */
    const char *state_dir;    /**< state directory of own registries (NULL = default); copied */
    int grace_ms;             /**< SIGTERM -> SIGKILL grace when stopping workers; default 200 */
    double timeout; /**< seconds a worker may spend on one attempt of a window; past it the
                         worker is SIGKILLed and the window retried or failed as if the worker
                         had died (retries, keep_going). 0 = no limit (default) */
} gridr_sched_opts;

/** Defaults: workers 0 (online CPUs), threads 1, prefetch 1, retries 0, grace 200 ms, no
 *  timeout. */
GRIDR_API void gridr_sched_opts_init(gridr_sched_opts *o);

/** Shape bound of one array of every window: a slot holds this much. */
typedef struct gridr_sched_array_desc {
    gridr_dtype dtype;
    int bands;
    long rows, cols;
} gridr_sched_array_desc;

/** One run. Initialise with gridr_sched_run_desc_init(). */
typedef struct gridr_sched_run_desc {
    long windows; /**< number of windows, processed as 0 .. windows-1 */
    int narrays;  /**< arrays per window, 0 .. GRIDR_SCHED_MAX_ARRAYS */
    gridr_sched_array_desc arrays[GRIDR_SCHED_MAX_ARRAYS]; /**< largest shape of each */
    const void *run_params;           /**< copied into every work call (may be NULL) */
    size_t run_params_size;           /**< <= GRIDR_SCHED_RUN_PARAMS_MAX */
    gridr_sched_prepare_fn prepare;   /**< may be NULL: the arrays are sent as they are */
    gridr_sched_finish_fn finish;     /**< may be NULL */
    gridr_sched_describe_fn describe; /**< may be NULL: windows are named by index */
    void *user;                       /**< passed to prepare, finish and describe */
    gridr_sched_progress_fn progress; /**< may be NULL */
    void *progress_arg;
    /** Where the windows come from; NULL: 0 .. windows-1 in order. Called in the parent when a
     *  slot is free: sets *k (0 <= *k < windows, each window at most once) and returns 0, or
     *  returns GRIDR_SCHED_WAIT (none now: asked again at the next turn, after `poll`) or
     *  GRIDR_SCHED_END (no more for this process: the run ends when the windows in flight are
     *  done), or a negative code (the run stops with it). For work shared with other processes
     *  (src/dist/): the run then does only the windows the source gave. */
    int (*source)(void *user, long *k);
    /** Called in the parent at every turn of the run and at least every poll_ms milliseconds
     *  (may be NULL); returns 0 or a negative code (the run stops with it). */
    int (*poll)(void *user);
    int poll_ms; /**< bound of the wait between two polls; <= 0: 2 ms */
} gridr_sched_run_desc;

/** Source return: no window to give now. */
#define GRIDR_SCHED_WAIT 2
/** Source return: no more windows for this run. */
#define GRIDR_SCHED_END 3

/** Zero everything. */
GRIDR_API void gridr_sched_run_desc_init(gridr_sched_run_desc *d);

/** Fork the fork server and the workers (read the note at the top of this header).
 *  In test builds (see the end of this header), a GRIDR_FAULT value that does not parse is an
 *  error (GRIDR_EINVAL).
 *  Ownership: caller frees *out with gridr_sched_free(). On failure *out is NULL and no
 *  process is left. */
GRIDR_API int gridr_sched_new(const gridr_sched_opts *o, gridr_sched **out);

/** Run the windows of `d` through the workers. At most workers + prefetch windows are in flight;
 *  each slot owns one shared-memory segment per array, created at the start of the run
 *  (registered before creation) and released at its end, on every path. Workers keep the
 *  segments they used mapped until the end of the run, when the parent has them unmap.
 *  SIGINT, SIGTERM and SIGHUP are caught during the run only (former handlers restored after;
 *  an ignored one stays ignored).
 *  Returns 0, or:
 *  - GRIDR_ECHILD: a worker died (or was killed past the timeout) on a window more than
 *    `retries` times, e.g. "window 7 [rows 512..767, cols 0..255] attempt 2/2: worker pid 1234
 *    killed by SIGKILL", or "... attempt 2/2: timed out after 30 s (worker pid 1234 killed by
 *    SIGKILL)";
 *  - GRIDR_EWORK: the work function failed on a window (its message follows; no retry);
 *    GRIDR_ENOSPC instead when it failed with GRIDR_ENOSPC (a full disk, written by workers);
 *  - GRIDR_EPARTIAL: with keep_going, some windows failed (see gridr_sched_failed());
 *  - GRIDR_ECANCELED: SIGINT/SIGTERM/SIGHUP (gridr_sched_signal() tells which) or progress
 *    returned 0;
 *  - the code of a failing prepare/finish callback, or of a shared-memory allocation
 *    (GRIDR_ENOSPC when /dev/shm is too small).
 *  On failure the workers that were busy are stopped (and replaced at the next run), every
 *  buffer is released, and the scheduler can run again. Not reentrant. */
GRIDR_API int gridr_sched_run(gridr_sched *s, const gridr_sched_run_desc *d);

/** Set the extra attempts of a window whose worker died, for the next runs (what opts.retries
 *  set at creation). A batch of jobs on one scheduler gives each run its own value.
 *  Returns 0, or GRIDR_EINVAL if `retries` < 0 or a run is going on (nothing changes). */
GRIDR_API int gridr_sched_set_retries(gridr_sched *s, int retries);

/** Set keep_going (non-zero: a window that fails for good does not stop the run) for the next
 *  runs, what opts.keep_going set at creation. Returns 0, or GRIDR_EINVAL while a run is going
 *  on (nothing changes). */
GRIDR_API int gridr_sched_set_keep_going(gridr_sched *s, int keep_going);

/** Set the time limit of one attempt of a window, in seconds, for the next runs (what
 *  opts.timeout set at creation); 0 = no limit. A worker still on a window `seconds` after it
 *  received it is killed (SIGKILL) and the window is retried or fails for good by the rules of a
 *  worker that died, with a message saying it timed out. A batch of jobs on one scheduler gives
 *  each run its own value. Returns 0, or GRIDR_EINVAL if `seconds` is negative, not finite or
 *  above 1e7, or a run is going on (nothing changes). */
GRIDR_API int gridr_sched_set_timeout(gridr_sched *s, double seconds);

/** Signal (SIGINT, SIGTERM or SIGHUP) that cancelled the last run, or 0. */
GRIDR_API int gridr_sched_signal(const gridr_sched *s);

/** Windows of the last run that failed for good, in the order they failed (with keep_going all
 *  of them, else the one that stopped the run); returns their count.
 *  Ownership: *windows (may be NULL) is borrowed until the next run or free. */
GRIDR_API size_t gridr_sched_failed(const gridr_sched *s, const long **windows);

/** Message of the i-th failed window of the last run ("" if i is out of range).
 *  Ownership: borrowed until the next run or free. */
GRIDR_API const char *gridr_sched_failed_message(const gridr_sched *s, size_t i);

/** Counters of the last (or current) run. */
typedef struct gridr_sched_stats {
    long windows;     /**< windows of the run */
    long done;        /**< windows finished (including no-work windows) */
    long skipped;     /**< windows whose prepare returned GRIDR_SCHED_NO_WORK */
    long failed;      /**< windows that failed for good */
    long retried;     /**< attempts after the first */
    long spawned;     /**< worker processes forked since creation, replacements included */
    int slots;        /**< ring slots of the run */
    size_t shm_bytes; /**< shared memory held now */
    size_t shm_peak;  /**< largest shm_bytes during the run */
    size_t shm_bound; /**< planned bound: slots x sum over arrays of their segment bytes */
} gridr_sched_stats;

/** Copy the counters into *out. */
GRIDR_API void gridr_sched_get_stats(const gridr_sched *s, gridr_sched_stats *out);

/** Run id of the current or last run (its registry's), "" before the first.
 *  Ownership: borrowed until the next run or free. */
GRIDR_API const char *gridr_sched_run_id(const gridr_sched *s);

/** Number of worker processes the scheduler keeps. */
GRIDR_API int gridr_sched_workers(const gridr_sched *s);

/** Process ids: the fork server first, then the live workers; at most `max`. Returns the count
 *  written. For diagnostics and tests. */
GRIDR_API int gridr_sched_pids(const gridr_sched *s, pid_t *pids, int max);

/** Stop the workers (channels closed, then SIGTERM, grace, SIGKILL), reap the fork server, free.
 *  Only the creating process acts; in a forked child this only frees memory. Accepts NULL. */
GRIDR_API void gridr_sched_free(gridr_sched *s);

/*
 * Fault injection (test builds only: configured with --enable-fault-injection; the library of
 * other builds has no such hook). The environment variable GRIDR_FAULT, read once per process:
 * a list of `action:window=K[:once]` separated by commas, action one of kill (SIGKILL), segv
 * (SIGSEGV), abort (SIGABRT), term (SIGTERM), exit (_exit(3)), hang (sleeps until killed).
 * The worker that receives window K does it after attaching the arrays; with `once` only on
 * the first attempt. Example: GRIDR_FAULT=kill:window=7:once,segv:window=9
 */

#ifdef __cplusplus
}
#endif
#endif
