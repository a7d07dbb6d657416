/* gridr: run one job: open its rasters, plan its windows, resample them on the scheduler. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/registry.h"
#include "gridr/grid.h"
#include "gridr/resample.h"
#include "gridr/raster.h"
#include "gridr/sched.h"
#include "gridr/job.h"
#include "gridr/pipeline.h"
#include "gridr/plan.h"
#include "pipeline_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(gridr__pipeline_params) <= GRIDR_SCHED_RUN_PARAMS_MAX, "job run parameters");
_Static_assert(sizeof(gridr__pipeline_win) <= GRIDR_SCHED_WIN_PARAMS_MAX, "job window parameters");

/* ---- the work function (runs in a worker) -------------------------------------------------- */

/* The source window's part inside the raster, read by the worker when the parent did not. */
static int worker_read(const gridr__pipeline_params *p, const gridr__pipeline_win *w,
                       gridr_array *src)
{
    gridr_array sub;
    if (!p->wsrc.ok || w->read.rows <= 0 || w->read.cols <= 0)
        return 0;
    gridr_rect in = {w->read.row0 - w->src.row0, w->read.col0 - w->src.col0, w->read.rows,
                     w->read.cols};
    int rc = gridr_array_sub(src, in, &sub);
    return rc ? rc : gridr_raster_worker_read(&p->wsrc, w->read, &sub);
}

/* The alpha band (band `bands` of out) from the output mask: alpha_max valid, 0 nodata. */
static void fill_alpha(const gridr__pipeline_params *p, gridr_array *out, const gridr_array *m)
{
    for (long i = 0; i < out->rows; i++) {
        void *row = gridr_array_at(out, p->bands, i, 0);
        const uint8_t *mr = (const uint8_t *)m->data + i * m->row_stride;
        for (long j = 0; j < out->cols; j++)
            gridr_dtype_set(row, out->dtype, (size_t)j, mr[j] ? p->alpha_max : 0);
    }
}

/* Resample the window into the output's first `bands` bands, then its alpha band. */
static int resample(const gridr__pipeline_params *p, const gridr_grid *g,
                    const gridr__pipeline_win *w, gridr_source *src, gridr_array *arrays)
{
    gridr_array *omask = p->has_out_mask ? &arrays[GRIDR_PLAN_OUT_MASK] : NULL;
    gridr_array out = arrays[GRIDR_PLAN_OUT];
    out.bands = p->bands;
    int rc = gridr_resample_window(&p->ropts, g, w->out, src, &out, omask);
    if (rc == 0 && p->alpha)
        fill_alpha(p, &arrays[GRIDR_PLAN_OUT], omask);
    return rc;
}

int gridr_pipeline_work(void *ctx, const void *run_params, const void *win_params,
                        gridr_array *arrays, int narrays, long window)
{
    const gridr__pipeline_params *p = run_params;
    const gridr__pipeline_win *w = win_params;
    gridr_grid g = p->grid;
    (void)ctx;
    if (p->magic != GRIDR__PIPELINE_MAGIC || narrays != GRIDR_PLAN_NARRAYS + (p->warp != 0))
        return gridr_set_error(GRIDR_EINVAL, "window %ld: not a gridr job window", window);
    if (g.kind == GRIDR_GRID_ARRAY && !p->warp) {
        g.nodes = arrays[GRIDR_PLAN_GRID];
        g.node_row0 = w->nodes.row0;
        g.node_col0 = w->nodes.col0;
        if (p->has_grid_mask)
            g.mask = arrays[GRIDR_PLAN_GRID_MASK];
    }
    gridr_source src = {arrays[GRIDR_PLAN_SRC], {0},           w->src.row0, w->src.col0,
                        p->raster_rows,         p->raster_cols};
    if (p->has_src_mask)
        src.mask = arrays[GRIDR_PLAN_SRC_MASK];
    int rc = worker_read(p, w, &arrays[GRIDR_PLAN_SRC]);
    if (rc)
        return rc;
    if (p->warp) /* the grid generated cell by cell (src/pipeline/warp_work.c) */
        rc = gridr__warp_resample(p, w, &src, arrays,
                                  p->has_out_mask ? &arrays[GRIDR_PLAN_OUT_MASK] : NULL);
    else
        rc = resample(p, &g, w, &src, arrays);
    if (rc)
        return rc;
    size_t used;
    gridr_array *t = &arrays[GRIDR_PLAN_TILES];
    switch (p->out_path) { /* the setup's decision */
    case GRIDR__OUT_PLACED:
        return gridr_raster_tiles_put(&p->sink, &p->codec, w->out, &arrays[GRIDR_PLAN_OUT], t->data,
                                      (size_t)t->cols, &used);
    case GRIDR__OUT_ENCODED:
        return gridr_raster_tiles_encode(&p->codec, w->out, &arrays[GRIDR_PLAN_OUT], t->data,
                                         (size_t)t->cols, &used);
    default:
        return 0; /* the parent writes the pixels */
    }
}

/* ---- parent side --------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fill_value(gridr_array *a, double v)
{
    size_t es = gridr_dtype_size(a->dtype);
    size_t n = (size_t)a->bands * (size_t)a->rows * (size_t)a->cols;
    if (n == 0)
        return;
    gridr_dtype_set(a->data, a->dtype, 0, v);
    for (size_t i = 1; i < n; i++)
        memcpy((char *)a->data + i * es, a->data, es);
}

/* The encoded-tiles array of the window, marked "not encoded" until a worker encodes it. */
static void prepare_tiles(gridr__pipeline_ctx *c, const gridr_plan_window *w, gridr_array *arrays)
{
    gridr_array *t = &arrays[GRIDR_PLAN_TILES];
    if (c->params.out_path == GRIDR__OUT_GDAL)
        return;
    *t = gridr_array_make(t->data, GRIDR_DT_U8, 1, 1, (long)w->bytes[GRIDR_PLAN_TILES]);
    memset(t->data, 0, GRIDR__MIN(w->bytes[GRIDR_PLAN_TILES], sizeof(uint32_t)));
}

static int prepare_empty(gridr__pipeline_ctx *c, const gridr_plan_window *w, gridr_array *arrays)
{
    const gridr__pipeline_params *p = &c->params;
    arrays[GRIDR_PLAN_OUT] = gridr_array_make(arrays[GRIDR_PLAN_OUT].data, p->out_dtype,
                                              p->bands + p->alpha, w->out.rows, w->out.cols);
    fill_value(&arrays[GRIDR_PLAN_OUT], p->ropts.out_nodata);
    if (p->has_out_mask) {
        arrays[GRIDR_PLAN_OUT_MASK] = gridr_array_make(arrays[GRIDR_PLAN_OUT_MASK].data,
                                                       GRIDR_DT_U8, 1, w->out.rows, w->out.cols);
        fill_value(&arrays[GRIDR_PLAN_OUT_MASK], 0);
    }
    if (p->alpha)
        fill_alpha(p, &arrays[GRIDR_PLAN_OUT], &arrays[GRIDR_PLAN_OUT_MASK]);
    if (p->out_path == GRIDR__OUT_ENCODED) { /* encoded here, written in order as the others */
        size_t used;
        gridr_array *t = &arrays[GRIDR_PLAN_TILES];
        int rc = gridr_raster_tiles_encode(&p->codec, w->out, &arrays[GRIDR_PLAN_OUT], t->data,
                                           (size_t)t->cols, &used);
        if (rc)
            return rc;
    }
    return GRIDR_SCHED_NO_WORK;
}

/* Read the part of the source window inside the raster into the slot, at its offset. */
static int read_source(gridr__pipeline_ctx *c, const gridr_plan_window *w, gridr_array *arr,
                       gridr_raster *r, const int *bands, int nbands)
{
    gridr_rect in = {w->read.row0 - w->src.row0, w->read.col0 - w->src.col0, w->read.rows,
                     w->read.cols};
    gridr_array sub;
    if (w->read.rows <= 0 || w->read.cols <= 0)
        return 0;
    int rc = gridr_array_sub(arr, in, &sub);
    if (rc == 0)
        rc = gridr_raster_read(r, w->read, bands, nbands, &sub);
    if (rc == 0)
        c->bytes_read += (size_t)nbands * (size_t)w->read.rows * (size_t)w->read.cols *
                         gridr_dtype_size(arr->dtype);
    return rc;
}

/* The source's GDAL masks over the part of the source window inside the raster. */
static int read_gdal_mask(gridr__pipeline_ctx *c, const gridr_plan_window *w, gridr_array *arr)
{
    gridr_rect in = {w->read.row0 - w->src.row0, w->read.col0 - w->src.col0, w->read.rows,
                     w->read.cols};
    gridr_array sub;
    if (w->read.rows <= 0 || w->read.cols <= 0)
        return 0;
    int rc = gridr_array_sub(arr, in, &sub);
    if (rc == 0) /* an alpha band left out of the bands is their (per-dataset) mask */
        rc = gridr_raster_read_mask(c->src, c->bands, c->params.bands, w->read, &sub);
    if (rc == 0)
        c->bytes_read += (size_t)w->read.rows * (size_t)w->read.cols;
    return rc;
}

static int prepare_inputs(gridr__pipeline_ctx *c, const gridr_plan_window *w, gridr_array *arrays)
{
    const gridr__pipeline_params *p = &c->params;
    gridr_array *a = arrays;
    a[GRIDR_PLAN_SRC] =
        gridr_array_make(a[GRIDR_PLAN_SRC].data, p->src_dtype, p->bands, w->src.rows, w->src.cols);
    int rc = 0;
    if (p->wsrc.ok) /* the worker reads it */
        c->bytes_read +=
            (size_t)w->read.rows * (size_t)w->read.cols * gridr_dtype_size(p->src_dtype);
    else
        rc = read_source(c, w, &a[GRIDR_PLAN_SRC], c->src, c->bands, p->bands);
    if (rc == 0 && p->has_src_mask) {
        static const int one = 1;
        a[GRIDR_PLAN_SRC_MASK] =
            gridr_array_make(a[GRIDR_PLAN_SRC_MASK].data, GRIDR_DT_U8, 1, w->src.rows, w->src.cols);
        rc = c->mask_gdal ? read_gdal_mask(c, w, &a[GRIDR_PLAN_SRC_MASK])
                          : read_source(c, w, &a[GRIDR_PLAN_SRC_MASK], c->src_mask, &one, 1);
    }
    if (rc == 0 && p->grid.kind == GRIDR_GRID_ARRAY && !p->warp) {
        a[GRIDR_PLAN_GRID] = gridr_array_make(a[GRIDR_PLAN_GRID].data, p->grid_dtype, 2,
                                              w->nodes.rows, w->nodes.cols);
        if (p->has_grid_mask)
            a[GRIDR_PLAN_GRID_MASK] = gridr_array_make(a[GRIDR_PLAN_GRID_MASK].data, GRIDR_DT_U8, 1,
                                                       w->nodes.rows, w->nodes.cols);
        rc = gridr__pipeline_load_nodes(c, w->nodes, &a[GRIDR_PLAN_GRID],
                                        p->has_grid_mask ? &a[GRIDR_PLAN_GRID_MASK] : NULL);
    }
    return rc;
}

static int job_prepare(void *user, long k, gridr_array *arrays, int narrays, void *win_params)
{
    gridr__pipeline_ctx *c = user;
    const gridr__pipeline_params *p = &c->params;
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    (void)narrays;
    if (gridr__resume_taken(c->resume, k))
        return GRIDR_SCHED_NO_WORK; /* written by the interrupted run */
    prepare_tiles(c, w, arrays);
    if (p->warp)
        gridr__warp_prepare(c, arrays);
    if (w->empty)
        return prepare_empty(c, w, arrays);
    int rc = prepare_inputs(c, w, arrays);
    if (rc)
        return rc;
    arrays[GRIDR_PLAN_OUT] = gridr_array_make(arrays[GRIDR_PLAN_OUT].data, p->out_dtype,
                                              p->bands + p->alpha, w->out.rows, w->out.cols);
    if (p->has_out_mask)
        arrays[GRIDR_PLAN_OUT_MASK] = gridr_array_make(arrays[GRIDR_PLAN_OUT_MASK].data,
                                                       GRIDR_DT_U8, 1, w->out.rows, w->out.cols);
    gridr__pipeline_win win = {w->out, w->src, w->nodes, w->read};
    memcpy(win_params, &win, sizeof win);
    return 0;
}

/* An encoded window's tiles, in window order (gridr__order's callback). */
static int write_encoded(void *user, long k, const void *buf, size_t size)
{
    gridr__pipeline_ctx *c = user;
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    int rc = gridr_raster_write_tiles(c->dst, w->out, buf, size);
    return rc == 0 && c->resume ? gridr__resume_note(c->resume, c, k) : rc;
}

static int job_finish(void *user, long k, gridr_array *arrays, int narrays)
{
    gridr__pipeline_ctx *c = user;
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    const gridr_array *t = &arrays[GRIDR_PLAN_TILES];
    (void)narrays;
    int rc;
    if (c->params.warp)
        gridr__warp_finish(c, arrays);
    if (c->peers) { /* windows shared with other processes */
        rc = gridr__shared_finish(c, k, arrays);
        gridr_config_fault_phase("window", NULL, NULL);
        return rc;
    }
    if (gridr__resume_taken(c->resume, k)) /* nothing to write; its place in the order */
        return c->order ? gridr__order_put(c->order, k, NULL, 0) : 0;
    if (c->order) /* encoded (by a worker, or by prepare for an empty window) */
        rc = gridr__order_put(c->order, k, t->data,
                              gridr_raster_tiles_used(t->data, (size_t)t->cols));
    else if (c->params.out_path == GRIDR__OUT_GDAL || w->empty) /* pixels; tiles laid out */
        rc = gridr_raster_write(c->dst, w->out, &arrays[GRIDR_PLAN_OUT]);
    else /* what the worker placed */
        rc = gridr_raster_write_tiles(c->dst, w->out, t->data, (size_t)t->cols);
    if (rc == 0 && c->resume && !c->order)
        rc = gridr__resume_note(c->resume, c, k);
    if (rc == 0)
        c->bytes_written += (size_t)(c->params.bands + c->params.alpha) * (size_t)w->out.rows *
                            (size_t)w->out.cols * gridr_dtype_size(c->params.out_dtype);
    gridr_config_fault_phase("window", NULL, NULL); /* kill-point tests: after each window */
    return rc;
}

static void job_describe(void *user, long k, char *buf, size_t len)
{
    gridr__pipeline_ctx *c = user;
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    snprintf(buf, len, "rows %ld..%ld, cols %ld..%ld", w->out.row0, w->out.row0 + w->out.rows - 1,
             w->out.col0, w->out.col0 + w->out.cols - 1);
}

/* The caller's poll of a job run alone (gridr_pipeline_run_polled). */
static int plain_poll(void *user)
{
    gridr__pipeline_ctx *c = user;
    return c->poll(c->poll_arg);
}

static void run_desc_fill(gridr__pipeline_ctx *c, gridr_sched_run_desc *d,
                          gridr_sched_progress_fn progress, void *progress_arg)
{
    const gridr__pipeline_params *p = &c->params;
    gridr_sched_run_desc_init(d);
    d->windows = gridr_plan_count(c->plan);
    d->narrays = GRIDR_PLAN_NARRAYS;
    for (int i = 0; i < GRIDR_PLAN_NARRAYS; i++) {
        /* Slots are sized in bytes: a flat u8 array of the plan's largest size of each kind. */
        size_t bytes = gridr_plan_max_bytes(c->plan, (gridr_plan_array)i);
        d->arrays[i] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, bytes ? 1 : 0, (long)bytes};
    }
    if (p->warp) { /* the transform's description and the workers' figures */
        size_t bytes = gridr__warp_array_bytes(c);
        d->arrays[d->narrays++] = (gridr_sched_array_desc){GRIDR_DT_U8, 1, 1, (long)bytes};
    }
    d->run_params = p;
    d->run_params_size = sizeof *p;
    d->prepare = job_prepare;
    d->finish = job_finish;
    d->describe = job_describe;
    d->user = c;
    d->progress = progress;
    d->progress_arg = progress_arg;
    if (c->poll && !c->peers)
        d->poll = plain_poll;
    if (c->peers) { /* the windows the others do not take; every process's progress */
        d->source = gridr__shared_source;
        d->poll = gridr__shared_poll;
        d->progress = c->peers->member ? NULL : gridr__shared_progress;
        d->progress_arg = c;
        c->progress = progress;
        c->progress_arg = progress_arg;
    }
}

static int run_windows(gridr__pipeline_ctx *c, gridr_sched *s, gridr_sched_progress_fn progress,
                       void *progress_arg, gridr_pipeline_report *rep)
{
    gridr_sched_run_desc d;
    gridr_sched_stats st;
    run_desc_fill(c, &d, progress, progress_arg);
    int rc = c->params.out_path == GRIDR__OUT_ENCODED && !c->peers
                 ? gridr__order_new(d.windows, write_encoded, c, &c->order)
                 : 0;
    if (rc == 0)
        rc = gridr_sched_run(s, &d);
    if (c->peers) /* the others' windows (leader), the offsets still to come (member) */
        rc = c->peers->drain(c->peers->user, c, rc);
    if (rc == 0 && gridr__order_left(c->order) != 0)
        rc = gridr__fail(GRIDR_EPARTIAL, "%ld windows of '%s' were not written",
                         gridr__order_left(c->order), gridr_raster_path(c->dst));
    gridr_sched_get_stats(s, &st);
    rep->windows_resumed = gridr__resume_count(c->resume, NULL);
    rep->windows = st.windows;
    rep->empty_windows = st.skipped - rep->windows_resumed;
    rep->failed_windows = st.failed;
    rep->retried = st.retried;
    rep->shm_peak = st.shm_peak;
    rep->shm_bound = st.shm_bound;
    rep->workers = gridr_sched_workers(s);
    rep->signal = gridr_sched_signal(s);
    return rc;
}

/* A resumable run that did not complete keeps its partial output (and says so) when windows of
 * it are durable, or when it is an interrupted run's. 1 kept. */
static int keep_partial(gridr__pipeline_ctx *c, int rc)
{
    long durable = 0;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", gridr_last_error());
    gridr__resume_sync(c->resume, c, 1); /* what is written becomes durable: kept */
    gridr__resume_count(c->resume, &durable);
    if (durable == 0 && !c->adopt_base)
        return 0;
    if (gridr_raster_abort_keep(c->dst) && durable > 0)
        gridr__fail(rc, "%s; %ld of %ld windows are kept: run it again with --resume to continue",
                    msg, durable, gridr_plan_count(c->plan));
    else
        gridr__fail(rc, "%s", msg);
    return 1;
}

/* Commit or abort the output, then forget its temporary name: committed, or removed by the
 * abort (every <tmp>.* file), or kept for --resume. One the abort could not remove stays for
 * the registry's close. */
static int finish_output(gridr__pipeline_ctx *c, gridr_registry *reg, int rc)
{
    const char *const *tmp = gridr_raster_temp_files(c->dst);
    char *name = tmp && tmp[0] ? strdup(tmp[0]) : NULL;
    int kept = 0;
    if (rc == 0)
        rc = gridr_raster_commit(c->dst);
    else if (!(kept = keep_partial(c, rc)))
        gridr_raster_abort(c->dst);
    c->dst = NULL;
    if (name && !kept && access(name, F_OK) != 0)
        gridr_registry_forget_file(reg, name);
    free(name);
    gridr__resume_end(c->resume, rc == 0);
    c->resume = NULL;
    c->adopt_base = 0;
    return rc;
}

/* The progress callback of a job's run, also asked between its steps whether to go on. */
typedef struct job_progress {
    gridr_sched_progress_fn fn;
    void *arg;
    gridr__pipeline_ctx *c; /* the commit's: a resumable run records itself before the rename */
    const gridr_job *j;
} job_progress;

static int commit_progress(double complete, const char *msg, void *arg)
{
    const job_progress *p = arg;
    if (msg && strcmp(msg, GRIDR_RASTER_STEP_RENAME) == 0)
        gridr__resume_renaming(p->c->resume, p->j);
    return p->fn ? p->fn(complete, msg, p->arg) : 1;
}

/* A step of the job in the parent: the test hook may hold it there, then a cancel stops the job
 * (nothing of the output is kept). */
static int step(const job_progress *p, const char *name, double complete)
{
    gridr_config_fault_phase(name, p->fn, p->arg);
    if (p->fn && !p->fn(complete, name, p->arg))
        return gridr__fail(GRIDR_ECANCELED, "cancelled at the %s step", name);
    return 0;
}

/* setup's answer for a resumable job whose output is complete already */
#define ALREADY_DONE 1

/* Open the rasters, check the budget, create the output, plan; the output is removed again when
 * a later step fails. */
static int setup(gridr__pipeline_ctx *c, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                 const job_progress *p, const gridr_pipeline_peers *peers)
{
    int workers = gridr_sched_workers(s);
    int rc = gridr__pipeline_open(c, j, 0);
    c->peers = peers;
    if (rc == 0) /* before any work: what the source's header asks for must fit the budget */
        rc = gridr__pipeline_check_budget(c, j, workers);
    if (rc == 0)
        rc = step(p, "setup", 0.0);
    if (rc == 0 && j->resume && gridr__resume_committed(c, j))
        return ALREADY_DONE;
    if (rc == 0) { /* replacing data is not undoable: only with --overwrite */
        gridr_job strict = *j;
        strict.resume = 0;
        rc = gridr_job_check_overwrite(&strict);
    }
    if (rc == 0 && j->resume) /* an interrupted run's partial output to take over? */
        rc = gridr__resume_find(c, j, &c->resume);
    if (rc == 0) /* the output first (its temporary names journaled before they exist) */
        rc = gridr__pipeline_create_output(c, j, reg);
    if (rc == 0)
        rc = step(p, "plan", 0.0);
    if (rc == 0)
        rc = gridr__pipeline_plan(c, j, workers);
    if (rc == 0 && j->resume) {
        gridr__resume *found = c->resume;
        c->resume = NULL;
        rc = gridr__resume_start(c, j, found, reg);
    }
    if (rc == 0 && c->peers) /* the members join (or the job is run here alone) */
        rc = gridr__shared_leader_ready(c, j);
    if (rc && c->dst)
        finish_output(c, reg, rc);
    return rc;
}

/* Rename the output into place when rc is 0 and nothing cancels before the rename; else remove
 * it. After the rename the job has succeeded, whatever arrives. */
static int commit(gridr__pipeline_ctx *c, gridr_registry *reg, const gridr_job *j,
                  const job_progress *p, int rc)
{
    if (rc == 0)
        rc = step(p, "commit", 1.0);
    job_progress cp = {p->fn, p->arg, c, j};
    if (rc == 0)
        gridr_raster_set_progress(c->dst, commit_progress, &cp);
    rc = finish_output(c, reg, rc);
    if (rc == 0)
        gridr_config_fault_phase("committed", p->fn, p->arg);
    return rc;
}

/* The figures of the run into the report. */
static void report_fill(const gridr__pipeline_ctx *c, gridr_pipeline_report *rep, double t0)
{
    rep->out_rows = c->params.out_rows;
    rep->out_cols = c->params.out_cols;
    rep->bands = c->params.bands;
    rep->bytes_read = c->bytes_read;
    rep->bytes_written = c->bytes_written;
    rep->warp_max_error = c->warp_max_err;
    rep->warp_nodes = c->warp_nodes_count;
    rep->warp_cells = c->warp_cells;
    rep->warp_points = c->warp_points;
    rep->warp_margin = gridr__warp_aa_max_margin(c); /* antialiased: the widest window's */
    rep->seconds_total = now_s() - t0;
}

/* A member of a shared job: the leader's plan, the windows its source gives, no commit. */
static int member_run(gridr_sched *s, const gridr_job *j, gridr_pipeline_report *rep,
                      const gridr_pipeline_peers *peers)
{
    gridr__pipeline_ctx c;
    double t0 = now_s();
    memset(&c, 0, sizeof c);
    c.peers = peers;
    int rc = gridr__shared_member_setup(&c, j, gridr_sched_workers(s));
    rep->seconds_setup = now_s() - t0;
    if (rc == 0) {
        rc = run_windows(&c, s, NULL, NULL, rep);
        rep->seconds_run = now_s() - t0 - rep->seconds_setup;
    } else if (rc == GRIDR__SHARED_ALONE) {
        rc = 0;
    } else if (c.peers) { /* the leader waits for this process's word */
        rc = peers->drain(peers->user, &c, rc);
    }
    report_fill(&c, rep, t0);
    gridr__pipeline_close(&c);
    return rc ? gridr__pipeline_fail(j, rc) : 0;
}

/* The caller's hook for a job run alone: called at every turn of its windows' run. */
typedef struct run_poll {
    int (*fn)(void *arg);
    void *arg;
} run_poll;

static int run_job(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                   gridr_sched_progress_fn progress, void *progress_arg, gridr_pipeline_report *rep,
                   const gridr_pipeline_peers *peers, run_poll poll)
{
    gridr__pipeline_ctx c;
    job_progress p = {progress, progress_arg, NULL, NULL};
    double t0 = now_s();
    gridr_clear_warning();
    int rc = setup(&c, s, reg, j, &p, peers);
    if (rc < 0 && c.peers && c.joined) /* the members joined: they wait for the leader's end */
        rc = peers->drain(peers->user, &c, rc);
    snprintf(rep->warning, sizeof rep->warning, "%s", gridr_last_warning()); /* setup's */
    rep->seconds_setup = now_s() - t0;
    if (rc == ALREADY_DONE) {
        rep->already_done = 1;
        rc = 0;
    } else if (rc == 0) {
        double t1 = now_s();
        c.poll = poll.fn;
        c.poll_arg = poll.arg;
        rc = run_windows(&c, s, progress, progress_arg, rep);
        if (rc == 0 && j->kind == GRIDR_JOB_WARP && j->keep_grid) /* before the output's commit */
            rc = gridr__warp_keep_grid(&c, j, reg);
        rep->seconds_run = now_s() - t1;
        double t2 = now_s();
        gridr_clear_warning();
        rc = commit(&c, reg, j, &p, rc);
        rep->seconds_commit = now_s() - t2;
        if (rc == 0)
            snprintf(rep->warning, sizeof rep->warning, "%s",
                     gridr_last_warning()[0] ? gridr_last_warning() : c.warning);
        if (rc == 0 && !rep->warning[0] && rep->windows > 0 && rep->empty_windows == rep->windows)
            snprintf(rep->warning, sizeof rep->warning,
                     "every pixel is nodata: no output pixel maps inside the source '%s' (check "
                     "the grid, its oversampling and shift)",
                     j->src);
    }
    report_fill(&c, rep, t0);
    gridr__pipeline_close(&c);
    return rc ? gridr__pipeline_fail(j, rc) : 0;
}

int gridr_pipeline_run(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                       gridr_sched_progress_fn progress, void *progress_arg,
                       gridr_pipeline_report *rep)
{
    return gridr_pipeline_run_shared(s, reg, j, progress, progress_arg, rep, NULL);
}

int gridr_pipeline_run_shared(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                              gridr_sched_progress_fn progress, void *progress_arg,
                              gridr_pipeline_report *rep, const gridr_pipeline_peers *peers)
{
    gridr_pipeline_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (peers && peers->member)
        return member_run(s, j, rep, peers);
    return run_job(s, reg, j, progress, progress_arg, rep, peers, (run_poll){NULL, NULL});
}

int gridr_pipeline_run_polled(gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                              gridr_sched_progress_fn progress, void *progress_arg,
                              gridr_pipeline_report *rep, int (*poll)(void *arg), void *poll_arg)
{
    gridr_pipeline_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    return run_job(s, reg, j, progress, progress_arg, rep, NULL, (run_poll){poll, poll_arg});
}
