/* gridr: job descriptions: from JSON job files and from command-line options, validated. */
#ifndef GRIDR_JOB_H
#define GRIDR_JOB_H

#include <stddef.h>

#include "gridr/dtype.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/plan.h"
#include "gridr/raster.h"
#include "gridr/registry.h"
#include "gridr/sched.h"
#include "gridr/status.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a job does. */
typedef enum gridr_job_kind {
    GRIDR_JOB_GRID = 0, /* resample through a localisation grid (default) */
    GRIDR_JOB_ZOOM = 1  /* resample by constant factors, no grid file */
} gridr_job_kind;

/** Default memory budget of a run, MiB. */
#define GRIDR_JOB_DEFAULT_MEM_MIB 1024

/** Most worker processes of a job ("workers", -j). The parent keeps one socket per worker open:
 *  512 is half the usual soft limit of open files (1024, `ulimit -n`), the other half staying
 *  for GDAL's files, the journal and the scheduler's own descriptors. The default (the usable
 *  cores) is cut there too. */
#define GRIDR_JOB_MAX_WORKERS 512

/** One job. Initialise with gridr_job_init(), fill with gridr_job_set() (or gridr_job_load()),
 *  check with gridr_job_validate(), release with gridr_job_clear(). The keys of docs/jobs.md are
 *  given in comments. Strings and arrays are owned by the job (freed by gridr_job_clear); change
 *  them through gridr_job_set(). New fields are only ever added at the end. */
typedef struct gridr_job {
    gridr_job_kind kind; /* "kind": grid | zoom */
    char *src;           /* "src": source raster (required) */
    char *dst;           /* "dst": output raster (required) */
    int *bands;          /* "band": 1-based source bands; NULL = all */
    size_t nbands;
    gridr_interp_kind interp; /* "resampling", default linear */
    double bspline_eps;       /* "bspline-eps", default GRIDR_BSPLINE_DEFAULT_EPS */
    double mask_influence;    /* "mask-influence", in (0, 1], default 1 */
    gridr_boundary boundary;  /* "boundary", default none */
    double boundary_value;    /* "boundary-value", default 0 */
    int trust_padding;        /* "trust-padding", default 0 */
    int has_src_nodata;       /* "src-nodata": overrides the source's own nodata */
    double src_nodata;
    int has_nodata; /* "nodata": output nodata; default: the source's nodata, else 0 */
    double nodata;
    gridr_dtype out_dtype;   /* "out-type", default GRIDR_DT_UNKNOWN = the source's type */
    char *format;            /* "format", default "GTiff" */
    char **creation_options; /* "co": NULL-terminated KEY=VALUE list (NULL when empty) */
    size_t ncreation_options;
    long tile_rows, tile_cols; /* "tile" COLSxROWS; 0 = from the memory budget */
    long mem_mib;              /* "mem", default GRIDR_JOB_DEFAULT_MEM_MIB */
    int workers;               /* "workers" (-j), default: usable cores */
    int threads;               /* "threads" (-t), per worker, default 1 */
    int retries;               /* "retries", default 1 */
    int keep_going;            /* "keep-going", default 0 */
    int dry_run;               /* "dry-run", default 0 */
    int quiet;                 /* "quiet", default 0 */
    char *report;              /* "report": JSON report path, default none */
    /* zoom */
    double zoom_fx, zoom_fy;   /* "factor" F or FX,FY; 0 = not set */
    long size_rows, size_cols; /* "size" COLSxROWS; 0 = not set */
    /* grid */
    char *grid;        /* "grid": grid raster (bands 1, 2 = row, col unless grid-col) */
    char *grid_col;    /* "grid-col": separate raster for the col positions */
    long grid_res_row; /* "grid-res" RR[,RC]; 0 = from the grid's metadata, else 1 */
    long grid_res_col;
    char *grid_mask;     /* "grid-mask": grid validity raster (u8) */
    int grid_mask_valid; /* "grid-mask-valid", default 1 */
    int has_grid_nodata; /* "grid-nodata": grid nodes equal to it are invalid */
    double grid_nodata;
    double grid_shift_row; /* "grid-shift" ROW,COL added to the grid positions; default 0 */
    double grid_shift_col;
    char *src_mask; /* "src-mask": source validity raster (u8, 0 = invalid) */
    char *origin;   /* where the job came from ("jobs.json, job 2"), for messages;
                       NULL for jobs built from options */
    double timeout; /* "timeout": seconds per attempt of a window, past which its worker is
                       killed and the window retried or failed; default 0 = none */
} gridr_job;

/** Defaults (listed above); no allocation. workers = the cores this process may run on. */
GRIDR_API void gridr_job_init(gridr_job *j);

/** Free what the job owns and re-initialise it to the defaults. Accepts NULL. */
GRIDR_API void gridr_job_clear(gridr_job *j);

/** Deep copy `src` into `dst` (dst is overwritten, not cleared). */
GRIDR_API int gridr_job_copy(gridr_job *dst, const gridr_job *src);

/** Set option `key` (see gridr_job_keys(), docs/jobs.md) from its text form. The one place every
 *  option is parsed: the CLI maps its options to these keys. List keys ("band", "co") append
 *  (band accepts "1,3" too); value NULL restores the key's default (and empties a list).
 *  Returns 0, or GRIDR_EINVAL / GRIDR_ERANGE with a message naming the key and the value. */
GRIDR_API int gridr_job_set(gridr_job *j, const char *key, const char *value);

/** Every key gridr_job_set() accepts, NULL-terminated. Ownership: static. */
GRIDR_API const char *const *gridr_job_keys(void);

/** Name of a kind ("grid", "zoom"). Ownership: static string. */
GRIDR_API const char *gridr_job_kind_name(gridr_job_kind k);

/** Load a JSON job file: one job (an object) or a list of jobs (an array of objects). Relative
 *  paths in the file are taken relative to the file's directory. Keys are checked (unknown key,
 *  wrong JSON type, bad value, missing src/dst/grid/factor-or-size) with messages naming the
 *  file, the job number (1-based) and the key; syntax errors give line and column.
 *  Ownership: *jobs is an array of *n jobs, freed with gridr_job_free_list(). */
GRIDR_API int gridr_job_load(const char *path, gridr_job **jobs, size_t *n);

/** Free an array returned by gridr_job_load(). Accepts NULL. */
GRIDR_API void gridr_job_free_list(gridr_job *jobs, size_t n);

/** Check a job before running it: required keys, kind-specific keys (grid keys on a zoom job and
 *  zoom keys on a grid job are errors), consistency (trust-padding needs a boundary, dst differs
 *  from every input), input files exist and are readable, the output can be written (driver,
 *  directory: gridr_raster_check_output). Messages name the job's origin, the key and the file. */
GRIDR_API int gridr_job_validate(const gridr_job *j);

/** Check that the job's dst, and the side files its commit replaces (`.aux.xml`, `.msk`, `.ovr`),
 *  are none of the files the job reads: every input's files as GDAL lists them (VRT sources,
 *  .aux.xml, .msk, world files; archives behind /vsizip), compared by device and inode, so that
 *  an input hidden behind a VRT is never replaced. Opens the inputs: call it after the scheduler
 *  has forked its workers. gridr_job_run() makes the same check itself (this one lets a batch
 *  be refused before its first job runs). Errors: GRIDR_EINVAL naming the job, both files and
 *  the input; the inputs' open errors. */
GRIDR_API int gridr_job_check_dst(const gridr_job *j);

/** Check that `path`, an output of the run other than the job's dst (a report: `what` names it in
 *  messages), can be replaced (gridr_raster_check_replaceable), is not the job's dst and is none
 *  of the files the job reads (as gridr_job_check_dst). Opens the inputs: call it after the
 *  scheduler has forked its workers. Errors: GRIDR_EINVAL naming the job and both files, the
 *  inputs' open errors. */
GRIDR_API int gridr_job_check_output(const gridr_job *j, const char *path, const char *what);

/* ---- running jobs ---------------------------------------------------------------------------- */

/** What a job's run did, for reports. */
typedef struct gridr_job_report {
    long out_rows, out_cols;
    int bands;
    long windows, empty_windows, failed_windows, retried;
    int workers;
    int signal; /* the signal that cancelled the run, or 0 */
    size_t bytes_read, bytes_written;
    size_t shm_peak, shm_bound;
    double seconds_setup, seconds_run, seconds_commit, seconds_total;
    char warning[512]; /* what went wrong after the output was in place ("" if nothing) */
} gridr_job_report;

/** The scheduler work function that resamples one window of a job: pass it as
 *  gridr_sched_opts.work (ctx unused) to run jobs with gridr_job_run(). */
GRIDR_API int gridr_job_work(void *ctx, const void *run_params, const void *win_params,
                             gridr_array *arrays, int narrays, long window);

/** Run one validated job on `s` (a scheduler created with gridr_job_work): open its rasters in
 *  this (parent) process, plan its windows, resample them on the workers, write the output under
 *  a temporary name recorded in `reg`, and rename it to j->dst only when every window succeeded.
 *  `progress` (GDALProgressFunc-shaped, may be NULL) is called from this process; returning 0
 *  cancels. Besides the fraction of windows done (msg NULL) it is asked between the steps of the
 *  job, with msg naming the step ("setup" before the output is created, "plan", "commit"), during
 *  the commit's CreateCopy (GRIDR_RASTER_STEP_COPY) and right before the output is renamed
 *  (GRIDR_RASTER_STEP_RENAME, see gridr_raster_set_progress): a cancel at any of them removes
 *  the output; once the last one has returned non-zero the job succeeds unless the rename fails.
 *  The job is refused before its output is created when one GRIDR_PLAN_MIN_WINDOW-square window
 *  of every band cannot fit `mem_mib` (GRIDR_EINVAL). `rep` (may be NULL) receives figures.
 *  Returns 0, GRIDR_ECANCELED (see rep->signal),
 *  GRIDR_ECHILD, GRIDR_EPARTIAL or the failing step's code; the message names the job. */
GRIDR_API int gridr_job_run(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                            gridr_sched_progress_fn progress, void *progress_arg,
                            gridr_job_report *rep);

/** Plan a job for `workers` workers and write the plan to `f` (caller's stream), writing no
 *  raster and creating no shared memory. */
GRIDR_API int gridr_job_dry_run(const gridr_job *j, int workers, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
