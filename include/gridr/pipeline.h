/* gridr: running jobs: the pipeline that opens, plans, resamples and commits a described job. */
#ifndef GRIDR_PIPELINE_H
#define GRIDR_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gridr/grid.h"
#include "gridr/job.h"
#include "gridr/plan.h"
#include "gridr/raster.h"
#include "gridr/registry.h"
#include "gridr/sched.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Check that the job's dst, and the side files its commit replaces (`.aux.xml`, `.msk`, `.ovr`),
 *  are none of the files the job reads: every input's files as GDAL lists them (VRT sources,
 *  .aux.xml, .msk, world files; archives behind /vsizip), compared by device and inode, so that
 *  an input hidden behind a VRT is never replaced. Opens the inputs: call it after the scheduler
 *  has forked its workers. gridr_pipeline_run() makes the same check itself (this one lets a batch
 *  be refused before its first job runs). Errors: GRIDR_EINVAL naming the job, both files and
 *  the input; the inputs' open errors. Ownership: `j` is borrowed for the call. */
GRIDR_API int gridr_pipeline_check_dst(const gridr_job *j);

/** Whether paths `a` and `b` name one file: the same text, one identity (device and inode) when
 *  both exist, or else the same name in the same (canonical) directory, for outputs that do not
 *  exist yet. Used to refuse two outputs of a run that are one file. */
GRIDR_API int gridr_pipeline_same_file(const char *a, const char *b);

/** Check that `path`, an output of the run other than the job's dst (a report: `what` names it in
 *  messages), can be replaced (gridr_raster_check_replaceable), is not the job's dst and is none
 *  of the files the job reads (as gridr_pipeline_check_dst). Opens the inputs: call it after the
 *  scheduler has forked its workers. Errors: GRIDR_EINVAL naming the job and both files, the
 *  inputs' open errors. Ownership: `j`, `path` and `what` are borrowed for the call. */
GRIDR_API int gridr_pipeline_check_output(const gridr_job *j, const char *path, const char *what);

/** What a job's run did, for reports: plain values, owned by the caller. */
typedef struct gridr_pipeline_report {
    long out_rows, out_cols;
    int bands;
    long windows, empty_windows, failed_windows, retried;
    int workers;
    int signal; /* the signal that cancelled the run, or 0 */
    size_t bytes_read, bytes_written;
    size_t shm_peak, shm_bound;
    double seconds_setup, seconds_run, seconds_commit, seconds_total;
    char warning[512];    /* "" or what the user should know of a complete output: its directory
                             not synced, or every pixel nodata */
    long windows_resumed; /* windows taken from an interrupted run (job key "resume") */
    int already_done;     /* resume: the output exists and its record says this job wrote it:
                             nothing was run */
    /* warp jobs: the generated grids */
    double warp_max_error; /* largest distance, source pixels, between the densified grid and the
                              exact transform at the check points (cell midpoints) */
    long warp_nodes;       /* nodes of the grids used */
    long warp_cells;       /* output cells generated (a cell cut by windows counts per window) */
    long warp_points;      /* points transformed in the workers (nodes and check points) */
    double warp_margin;    /* source pixels the planner grew the source windows by */
} gridr_pipeline_report;

/** The scheduler work function that resamples one window of a job: pass it as
 *  gridr_sched_opts.work (ctx unused) to run jobs with gridr_pipeline_run(). Called by the
 *  scheduler in its workers; the parameters and arrays are the scheduler's. */
GRIDR_API int gridr_pipeline_work(void *ctx, const void *run_params, const void *win_params,
                                  gridr_array *arrays, int narrays, long window);

/** Run one validated job on `s` (a scheduler created with gridr_pipeline_work): open its rasters in
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
 *  GRIDR_ECHILD, GRIDR_EPARTIAL or the failing step's code; the message names the job.
 *  Ownership: `s`, `reg` and `j` are borrowed for the call; the output file is the caller's. */
GRIDR_API int gridr_pipeline_run(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                                 gridr_sched_progress_fn progress, void *progress_arg,
                                 gridr_pipeline_report *rep);

/** gridr_pipeline_run, calling `poll(poll_arg)` at every turn of the windows' run (at least
 *  every few milliseconds): a caller that serves other processes while it runs a job of its own
 *  (src/dist/). A non-zero return stops the run with that code. Ownership as gridr_pipeline_run. */
GRIDR_API int gridr_pipeline_run_polled(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                                        gridr_sched_progress_fn progress, void *progress_arg,
                                        gridr_pipeline_report *rep, int (*poll)(void *arg),
                                        void *poll_arg);

/** Whether job `j` reads one of the n files `paths` (a later job of a batch reading an earlier
 *  one's output): 1 with *which its index, 0 when it reads none. Opens the job's inputs and
 *  compares every file GDAL lists for them by identity, and the inputs' names with the paths
 *  (an output that does not exist yet). Errors: the inputs' open errors (the caller treats the
 *  job as reading them all). Ownership: everything borrowed for the call. */
GRIDR_API int gridr_pipeline_reads(const gridr_job *j, const char *const *paths, size_t n,
                                   size_t *which);

/* ---- a job whose windows are shared with other processes (src/dist/: MPI ranks) ------------- */

/** A job being run (the pipeline's context), handed to the hooks below. Opaque. */
typedef struct gridr_pipeline_job gridr_pipeline_job;

/** What the process that owns a job's output (the leader) tells the others (the members) once
 *  the output exists and the windows are planned: plain values, no pointer (sent as bytes between
 *  processes of one machine kind). */
typedef struct gridr_pipeline_shared {
    int32_t alone;     /* 1: the leader runs every window itself (an output written through
                          GDAL, a warp's --keep-grid): the members skip the job */
    int32_t resumable; /* the job keeps a record: members make their windows durable before
                          they report them */
    int32_t out_path;  /* how the output is written (the leader's decision) */
    int32_t pad;
    int64_t windows;            /* windows of the plan */
    int64_t plan_sum;           /* a checksum of the plan's windows */
    int64_t win_rows, win_cols; /* the plan's cut: the members plan the same windows */
    gridr_raster_tile_codec codec;
    gridr_raster_tile_sink sink; /* placed tiles: their layout (fd and pid are the leader's) */
    char tmp[4096];              /* the temporary output every process writes into */
} gridr_pipeline_shared;

/** Offset given to gridr_pipeline_job_place for a window whose tiles are not to be written (the
 *  job stopped). */
#define GRIDR_PIPELINE_NO_PLACE UINT64_MAX

/** The hooks of a shared job (gridr_pipeline_run_shared). Each returns 0 or a negative code. */
typedef struct gridr_pipeline_peers {
    void *user;
    int member; /**< 0: this process owns the output (leader); 1: it writes into the leader's */
    /** Leader: the output exists and the windows are planned (info filled: tell the members);
     *  member: fill *info with the leader's (after its own rasters are open). */
    int (*shared)(void *user, gridr_pipeline_job *job, gridr_pipeline_shared *info);
    /** The windows this process runs (gridr_sched_run_desc.source). */
    int (*source)(void *user, gridr_pipeline_job *job, long *k);
    /** Called at every turn of this process's run (gridr_sched_run_desc.poll). */
    int (*poll)(void *user, gridr_pipeline_job *job);
    /** Window k is written by this process; `note` its tiles' places (gridr_raster_tiles_note's
     *  text, "" for placed tiles). */
    int (*done)(void *user, gridr_pipeline_job *job, long k, const char *note);
    /** Compressed window k holds `bytes` bytes of tiles: it waits for its offset
     *  (gridr_pipeline_job_place). */
    int (*encoded)(void *user, gridr_pipeline_job *job, long k, uint64_t bytes);
    /** This process's windows are over (rc: how its run ended): leader, wait until every member
     *  has finished; member, wait for its offsets and report. Returns rc or what failed. */
    int (*drain)(void *user, gridr_pipeline_job *job, int rc);
} gridr_pipeline_peers;

/** gridr_pipeline_run with the job's windows shared: the leader (peers->member 0) sets the job up
 *  and commits it as gridr_pipeline_run does, running the windows its source gives; a member opens
 *  the inputs, plans the leader's windows and writes the windows its source gives into the
 *  leader's temporary output (its rep has its own figures). Returns as gridr_pipeline_run; a
 *  member whose leader runs the job alone returns 0 at once with rep->windows 0. */
GRIDR_API int gridr_pipeline_run_shared(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                                        gridr_sched_progress_fn progress, void *progress_arg,
                                        gridr_pipeline_report *rep,
                                        const gridr_pipeline_peers *peers);

/** Windows of the job's plan. */
GRIDR_API long gridr_pipeline_job_windows(const gridr_pipeline_job *job);
/** Leader: whether window k was taken over from an interrupted run (never to be handed out). */
GRIDR_API int gridr_pipeline_job_taken(const gridr_pipeline_job *job, long k);
/** Leader: where the next compressed tile goes (the first offset to allocate). */
GRIDR_API uint64_t gridr_pipeline_job_tiles_end(const gridr_pipeline_job *job);
/** Write the held compressed window k from offset `off` (GRIDR_PIPELINE_NO_PLACE: drop it), then
 *  tell peers->done (the leader records it itself). */
GRIDR_API int gridr_pipeline_job_place(gridr_pipeline_job *job, long k, uint64_t off);
/** Leader: window k written by a member, its tiles where `note` says: record it in the output
 *  (and the record of a resumable job), count it for progress. */
GRIDR_API int gridr_pipeline_job_record(gridr_pipeline_job *job, long k, const char *note);
/** Leader: ask the job's progress callback (every process's windows so far): 0 means cancel. */
GRIDR_API int gridr_pipeline_job_progress(gridr_pipeline_job *job);
/** Bytes this process read and wrote for the job so far. */
GRIDR_API void gridr_pipeline_job_bytes(const gridr_pipeline_job *job, uint64_t *read,
                                        uint64_t *written);
/** Make this process's writes to the output durable (fdatasync). */
GRIDR_API int gridr_pipeline_job_sync(gridr_pipeline_job *job);

/** What a resumable run's partial output holds (gridr-run cleanup lists it). */
typedef struct gridr_pipeline_partial {
    char dst[4096];           /* the output it becomes */
    long done, windows;       /* windows durably written, of the plan's */
    unsigned long long bytes; /* size of the partial file */
} gridr_pipeline_partial;

/** Read the record beside partial output `tmp` (a temporary name a sweep reported as
 *  "partial"). GRIDR_EFORMAT when there is no such record. Ownership: `out` is the caller's. */
GRIDR_API int gridr_pipeline_partial_info(const char *tmp, gridr_pipeline_partial *out);

/** Plan a job for `workers` workers and write the plan to `f` (caller's stream), writing no
 *  raster and creating no shared memory. Ownership: `j` and `f` are borrowed (`f` stays open). */
GRIDR_API int gridr_pipeline_dry_run(const gridr_job *j, int workers, FILE *f);

/* ---- GridR's conventions on rasters ---------------------------------------------------------- */

/** A grid's oversampling factors from its GRIDR_RES_ROW / GRIDR_RES_COL metadata items
 *  (GRIDR_RASTER_MD_RES_ROW / _COL, read with gridr_raster_metadata); an absent item gives 1.
 *  GRIDR_EFORMAT (naming file and item) when an item is not a positive integer. Ownership: `r`
 *  is borrowed; the factors are written to the caller's *res_row, *res_col. */
GRIDR_API int gridr_pipeline_grid_res(const gridr_raster *r, long *res_row, long *res_col);

/** The geotransform of a zoom by factors (fy, fx) of a raster with geotransform `src`: output
 *  pixel centre (i, j) maps to source pixel centre ((i + 0.5) / fy - 0.5, (j + 0.5) / fx - 0.5),
 *  so the origin is kept and the column terms (gt[1], gt[4]) are divided by fx, the row terms
 *  (gt[2], gt[5]) by fy. Ownership: caller's arrays (`out` may be `src`). */
GRIDR_API void gridr_pipeline_zoom_geotransform(const double src[6], double fy, double fx,
                                                double out[6]);

#ifdef __cplusplus
}
#endif
#endif
