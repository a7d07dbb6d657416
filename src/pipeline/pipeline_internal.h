/* gridr: what the pipeline's files (the job runner) share (never installed). */
#ifndef GRIDR_PIPELINE_INTERNAL_H
#define GRIDR_PIPELINE_INTERNAL_H

#include "gridr/registry.h"
#include "gridr/grid.h"
#include "gridr/resample.h"
#include "gridr/raster.h"
#include "gridr/sched.h"
#include "gridr/job.h"
#include "gridr/plan.h"
#include "gridr/pipeline.h"
#include "gridr/transform.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "jobr": checks that a worker got a job's parameters (value kept from before the rename). */
#define GRIDR__PIPELINE_MAGIC 0x6a6f6272u

/* How a job's output is written: decided once, at setup (gridr__pipeline_plan), carried to the
 * workers in the run parameters and switched on by the work function and the parent's finish. */
typedef enum gridr__out_path {
    GRIDR__OUT_GDAL = 0, /* the parent writes each window's pixels through GDAL */
    GRIDR__OUT_PLACED,   /* workers write uncompressed tiles at places laid out in the file */
    GRIDR__OUT_ENCODED   /* workers compress the tiles; the parent writes them raw */
} gridr__out_path;

/* Parameters of a job's run, copied to every work call (fits GRIDR_SCHED_RUN_PARAMS_MAX).
 * The grid's nodes and mask are NULL here: the worker points them at the window's slices. */
typedef struct gridr__pipeline_params {
    unsigned magic;
    gridr_resample_opts ropts;
    gridr_grid grid;
    gridr_dtype src_dtype, out_dtype, grid_dtype;
    int bands;
    long raster_rows, raster_cols;
    long out_rows, out_cols;
    int has_src_mask, has_grid_mask, has_out_mask;
    gridr__out_path out_path;      /* the one I/O decision of the output */
    gridr_raster_tile_codec codec; /* the output's tiles (PLACED, ENCODED) */
    gridr_raster_worker_src wsrc;  /* ok: the worker reads the source window itself */
    gridr_raster_tile_sink sink;   /* ok: the worker writes the (uncompressed) tiles itself */
    /* nodata, masks and edges like GDAL (issue 14) */
    int alpha;        /* the output has an alpha band after the `bands` resampled ones */
    double alpha_max; /* its value on valid pixels (255; 65535 for u16 outputs, as gdalwarp) */
    /* warp jobs (src/pipeline/warp.c): the grid is generated per cell in the workers from the
       transform described in the window's warp array (index GRIDR__WARP_ARRAY) */
    int warp;
    double warp_et;       /* largest position error of the generated grid, source pixels */
    size_t warp_desc_len; /* bytes of the transform's description */
    double warp_aa_band;  /* antialiased: source pixels the widest scaled kernel reaches beyond
                             the unscaled one (cells that far from the raster still count) */
} gridr__pipeline_params;

/* Parameters of one window (fits GRIDR_SCHED_WIN_PARAMS_MAX). */
typedef struct gridr__pipeline_win {
    gridr_rect out, src, nodes;
    gridr_rect read; /* the part of src inside the raster */
} gridr__pipeline_win;

/* Everything a running job holds in the parent (the public gridr_pipeline_job of shared jobs). */
typedef struct gridr_pipeline_job {
    gridr__pipeline_params params;
    gridr_raster *src, *src_mask, *dst;
    int *bands;      /* 1-based source bands */
    gridr_grid grid; /* full grid without node data (array grids: loaded per window) */
    gridr_raster *grid_r, *grid_col_r, *grid_mask_r; /* array grids: node files */
    gridr_plan *plan;
    double zoom_fx, zoom_fy; /* zoom jobs: the factors used */
    gridr_transform *xf;     /* warp jobs: the exact transform (parent) */
    void *warp_nodes;        /* warp jobs: the planner's coarse grid (nodes, then mask) */
    double warp_margin;      /* warp jobs: source pixels the plan's windows are grown by */
    double warp_max_err;     /* warp jobs: largest error the workers measured */
    long warp_nodes_count, warp_cells, warp_points;
    long warp_min_res; /* warp jobs: the smallest node spacing of a cell that matters (0: none) */
    /* warp jobs, antialiased (warp_aa.c): the coarse cells' scales (source pixels per output
       pixel, 0: invalid or out of reach), their grid, and what the margin adds to cover them */
    double *warp_scales;
    long warp_crows, warp_ccols, warp_cs; /* coarse nodes, spacing */
    double warp_coarse_err;               /* the coarse grid's error E (warp.c) */
    double warp_slack;                    /* a fine cell's scale beyond its coarse cells' */
    long warp_h1;                         /* the plan's halo (scaled filters at scale 1) */
    size_t bytes_read, bytes_written;
    struct gridr__resume *resume; /* a resumable run's record (j->resume), or NULL */
    struct gridr__order *order;   /* encoded tiles written in window order, or NULL */
    const char *adopt_tag;        /* resuming: the interrupted run's id (names its partial) */
    uint64_t adopt_base;          /* resuming: where its tiles begin */
    long win_rows, win_cols;      /* resuming: its window size (0: from the budget) */
    /* nodata, masks and edges like GDAL (issue 14) */
    int out_has_nodata; /* the output declares params.ropts.out_nodata as its nodata */
    int mask_gdal;      /* has_src_mask: the source's GDAL mask bands, not a src-mask file */
    int src_alpha;      /* the source's alpha band (1-based) left out of the bands, else 0 */
    char warning[256];  /* what setup found worth a warning (a palette interpolated), or "" */
    /* a job whose windows are shared with other processes (src/pipeline/shared.c) */
    const gridr_pipeline_peers *peers; /* NULL: not shared (or the leader runs it alone) */
    const gridr_job *job;
    int share_fd; /* this process's descriptor of the temporary output, when share_open */
    int share_open;
    int joined;  /* leader: the members joined the job (they wait for its drain) */
    void **held; /* compressed windows waiting for their offset, by window */
    size_t *held_size;
    long held_n;
    long shared_done; /* leader: windows written, every process's */
    gridr_sched_progress_fn progress;
    void *progress_arg;
    /* a job not shared but polled at every turn of its run (gridr_pipeline_run_polled) */
    int (*poll)(void *arg);
    void *poll_arg;
} gridr__pipeline_ctx;

/* gridr__pipeline_open's `dry`: a member of a shared job (no output checks; workers may read) */
#define GRIDR__OPEN_MEMBER 2

/* Open the source (and masks), load the grid, fill params. dry: no output checks. Exported (like
 * gridr__pipeline_create_output and gridr__pipeline_close) for tests/pipeline/test_pipeline.c only.
 */
GRIDR_API int gridr__pipeline_open(gridr__pipeline_ctx *c, const gridr_job *j, int dry);
/* gridr_plan_node_loader of a job (user: the gridr__pipeline_ctx): node window `win` from the grid
 * files into `nodes` (2 bands) and `mask` (NULL: none). */
int gridr__pipeline_load_nodes(void *user, gridr_rect win, gridr_array *nodes, gridr_array *mask);
/* Plan the windows for `workers` workers (with the encoded-tiles array when params.codec says so
 * and the windows fall on whole tiles; else params.codec is cleared). */
int gridr__pipeline_plan(gridr__pipeline_ctx *c, const gridr_job *j, int workers);
/* Refuse a job whose smallest window (GRIDR_PLAN_MIN_WINDOW square, every band) cannot fit its
 * memory budget with `workers` workers, before any output exists: GRIDR_EINVAL naming the source,
 * its bands and the figures. */
int gridr__pipeline_check_budget(const gridr__pipeline_ctx *c, const gridr_job *j, int workers);
/* Create the output under its temporary name, recorded in `reg` (gridr_registry_add_temp) before
 * any of its files exists, with its georeferencing. */
GRIDR_API int gridr__pipeline_create_output(gridr__pipeline_ctx *c, const gridr_job *j,
                                            gridr_registry *reg);
/* Prefix the current message with the job's name (its origin in a job file, else its dst), once:
 * the steps' messages name files and windows, the runner's entry points name the job. */
int gridr__pipeline_fail(const gridr_job *j, int rc);
/* Release everything the context holds (aborts an output still open). */
GRIDR_API void gridr__pipeline_close(gridr__pipeline_ctx *c);

/* A grid job's output georeferencing (src/pipeline/georef.c): the job's dst-geotransform and
 * dst-srs, else the grid file's GRIDR_DST_GEOTRANSFORM and GRIDR_DST_SRS metadata. */
int gridr__pipeline_grid_georef(gridr__pipeline_ctx *c, const gridr_job *j);

/* ---- warp jobs (src/pipeline/warp.c, warp_work.c) ---- */

/* The window array of a warp job after the plan's arrays: gridr__warp_stats, then the transform's
 * description (gridr_transform_desc). */
#define GRIDR__WARP_ARRAY GRIDR_PLAN_NARRAYS

/* Output cells of the generated grid: squares of this side at multiples of it, each with its own
 * node spacing (a power of 2 up to the side), whatever the windows: outputs do not depend on the
 * window size. */
#define GRIDR__WARP_CELL 256

/* What a worker measured on a window, written at the start of its warp array. */
typedef struct gridr__warp_stats {
    double max_err;  /* largest error at the check points of the accepted spacings */
    int64_t nodes;   /* nodes of the accepted grids */
    int64_t cells;   /* cells generated */
    int64_t points;  /* points transformed (nodes and check points) */
    int64_t min_res; /* smallest spacing of a cell near the raster (0: none) */
} gridr__warp_stats;

/* Value of the nodes of a kept grid (--keep-grid) where the transform fails (also the bands'
 * nodata: gridr-run grid --grid-nodata -1e9). */
#define GRIDR__WARP_GRID_NODATA -1e9

/* Write the job's keep-grid file: the grid at the smallest spacing the workers used, in GridR's
 * two-band format (GRIDR_RES_*, GRIDR_DST_* metadata), journaled in `reg`, committed. */
int gridr__warp_keep_grid(gridr__pipeline_ctx *c, const gridr_job *j, gridr_registry *reg);

/* Open the transform, the output grid and the planner's coarse grid (parent). */
int gridr__warp_setup(gridr__pipeline_ctx *c, const gridr_job *j);
/* Bytes of the warp array. */
size_t gridr__warp_array_bytes(const gridr__pipeline_ctx *c);
/* Fill a window's warp array (stats zeroed, the description). */
void gridr__warp_prepare(const gridr__pipeline_ctx *c, gridr_array *arrays);
/* Add a finished window's stats to the job's. */
void gridr__warp_finish(gridr__pipeline_ctx *c, gridr_array *arrays);
/* Set the output's geotransform and CRS. */
int gridr__warp_georef(gridr__pipeline_ctx *c);
/* Release the warp part of the context. */
void gridr__warp_close(gridr__pipeline_ctx *c);
/* Antialiased warps (src/pipeline/warp_aa.c), parent: the coarse cells' scales (after the
 * coarse grid and the margin are set); the plan's per-window margin (gridr_plan_opts's
 * src_margin_at, user = the context); the largest margin a window can get. */
int gridr__warp_aa_setup(gridr__pipeline_ctx *c);
double gridr__warp_aa_margin(void *ctx, gridr_rect out);
double gridr__warp_aa_max_margin(const gridr__pipeline_ctx *c);
/* Worker: whether a cell of grid g (its nodes, every cell of the slice) antialiases: its
 * largest scale has at most GRIDR_INTERP_MAX_SCALED taps (else point sampling, as without
 * antialiasing: a horizon's cells). */
int gridr__warp_aa_cell_ok(const gridr__pipeline_params *p, const gridr_grid *g);
/* Worker: resample window `w` of a warp job cell by cell through the generated grids. */
int gridr__warp_resample(const gridr__pipeline_params *p, const gridr__pipeline_win *w,
                         gridr_source *src, gridr_array *arrays, gridr_array *omask);

/* ---- the files a job reads (src/pipeline/files.c) ---- */

/* A set of file identities (device + inode), each with the input raster that reads it. */
typedef struct gridr__fileset {
    struct gridr__fileid *v;
    size_t n, cap;
} gridr__fileset;

/* Add every file source `r` reads (GDAL's file list; archives behind /vsizip and the like). */
int gridr__fileset_add_raster(gridr__fileset *s, gridr_raster *r);

/* The file of the set that `path` is (same device and inode), and in *input the input reading
 * it; NULL when none. Ownership: borrowed from the set. */
const char *gridr__fileset_find(const gridr__fileset *s, const char *path, const char **input);

/* 0 when `path` is none of the set's files, else GRIDR_EINVAL naming `what`, the path, the file
 * and the input that reads it. */
int gridr__fileset_check(const gridr__fileset *s, const char *path, const char *what);

void gridr__fileset_free(gridr__fileset *s);

/* Every file the job's open inputs read into *s (emptied first; free it with
 * gridr__fileset_free, also on failure). */
int gridr__pipeline_inputs(const gridr__pipeline_ctx *c, gridr__fileset *s);

/* One line a file of the set: "input <file> size=.. mtime=.. dev=.. ino=..", for a resumable
 * run's record. */
int gridr__fileset_describe(const gridr__fileset *s, FILE *f);

/* The job's dst (and the side files its commit replaces) is none of the files its open inputs
 * read: GRIDR_EINVAL otherwise. */
int gridr__pipeline_check_dst(gridr__pipeline_ctx *c, const gridr_job *j);

/* ---- resumable runs (src/pipeline/resume.c) ---- */

typedef struct gridr__resume gridr__resume;

/* 1 when the job's output exists and a record says this very job committed it (skip it). */
int gridr__resume_committed(const gridr__pipeline_ctx *c, const gridr_job *j);
/* Look for the partial output an interrupted run of this job left: *out NULL when there is
 * none (start afresh); else the record, locked, and c->adopt_* set. GRIDR_EINVAL when the
 * partial belongs to a changed job or is being written by a live run (nothing is touched). */
int gridr__resume_find(gridr__pipeline_ctx *c, const gridr_job *j, gridr__resume **out);
/* After the plan: take the interrupted run's windows over (adopting), or start the record of a
 * new resumable run; keep the temporary name in `reg`. c->resume is set (NULL with a warning
 * when the output cannot be resumed: written through GDAL). */
int gridr__resume_start(gridr__pipeline_ctx *c, const gridr_job *j, gridr__resume *found,
                        gridr_registry *reg);
/* Whether window k was taken over from the interrupted run. */
int gridr__resume_taken(const gridr__resume *rs, long k);
/* Windows taken over; windows durably recorded so far. */
long gridr__resume_count(const gridr__resume *rs, long *durable);
/* Window k is written: note it for the next group commit, which happens when one is due
 * (force: now). */
int gridr__resume_note(gridr__resume *rs, gridr__pipeline_ctx *c, long k);
int gridr__resume_sync(gridr__resume *rs, gridr__pipeline_ctx *c, int force);
/* The commit is about to rename the partial output (every byte on disk): record that this job
 * wrote it, beside j->dst. */
void gridr__resume_renaming(gridr__resume *rs, const gridr_job *j);
/* The run ended: committed, or not (the record stays beside the partial output when windows are
 * durable). Frees rs. */
void gridr__resume_end(gridr__resume *rs, int committed);

/* ---- jobs shared with other processes (src/pipeline/shared.c) ---- */

/* setup's answer for a member whose leader runs the job alone */
#define GRIDR__SHARED_ALONE 2

/* Member: open the inputs, take the leader's plan and temporary output. */
int gridr__shared_member_setup(gridr__pipeline_ctx *c, const gridr_job *j, int workers);
/* Leader: the job is set up: tell the members (c->peers cleared when it runs alone). */
int gridr__shared_leader_ready(gridr__pipeline_ctx *c, const gridr_job *j);
/* A finished window of a shared job (the scheduler's finish). */
int gridr__shared_finish(gridr__pipeline_ctx *c, long k, gridr_array *arrays);
/* The scheduler hooks of a shared job's run (user: the context). */
int gridr__shared_source(void *user, long *k);
int gridr__shared_poll(void *user);
int gridr__shared_progress(double complete, const char *msg, void *arg);
/* Release what the shared job holds. */
void gridr__shared_close(gridr__pipeline_ctx *c);

/* ---- encoded tiles in window order (src/pipeline/order.c) ---- */

typedef struct gridr__order gridr__order;
typedef int (*gridr__order_fn)(void *user, long k, const void *buf, size_t size);
int gridr__order_new(long windows, gridr__order_fn fn, void *user, gridr__order **out);
/* Window k's bytes (NULL: nothing to write): written now, in window order, or held (copied)
 * until the windows before it are. */
int gridr__order_put(gridr__order *o, long k, const void *buf, size_t size);
/* Windows not written yet (held or missing). */
long gridr__order_left(const gridr__order *o);
void gridr__order_free(gridr__order *o);

#endif
