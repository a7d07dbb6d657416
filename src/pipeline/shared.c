/* gridr: a job whose windows are shared with other processes (src/dist/): the leader's hand-over
 * of its plan and temporary output, the members' setup, compressed windows held until their
 * offset comes, and the windows the others wrote recorded by the leader. */
#include "base/internal.h"
#include "gridr/pipeline.h"
#include "gridr/raster.h"
#include "pipeline_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* A checksum of the plan's windows: a member refuses a plan that is not the leader's. */
static int64_t plan_sum(const gridr_plan *plan)
{
    uint64_t h = 1469598103934665603ull;
    for (long k = 0; k < gridr_plan_count(plan); k++) {
        const gridr_plan_window *w = gridr_plan_window_at(plan, k);
        long v[8] = {w->out.row0, w->out.col0, w->out.rows, w->out.cols,
                     w->src.row0, w->src.col0, w->src.rows, w->src.cols};
        for (int i = 0; i < 8; i++)
            h = (h ^ (uint64_t)v[i]) * 1099511628211ull;
    }
    return (int64_t)(h >> 1);
}

/* This process's descriptor of the temporary output: a regular file, opened without following a
 * link (the leader created it under that name). */
static int open_tmp(gridr__pipeline_ctx *c, const char *tmp)
{
    struct stat st;
    int fd = open(tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return gridr__fail_errno(GRIDR_EIO, errno,
                                 "cannot open the shared temporary output '%s' (is it on a "
                                 "filesystem every node sees?)",
                                 tmp);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return gridr__fail(GRIDR_EIO, "'%s': not the regular file the leader created", tmp);
    }
    c->share_fd = fd;
    c->share_open = 1;
    return 0;
}

/* Room to hold the compressed windows until their offsets come. */
static int alloc_held(gridr__pipeline_ctx *c)
{
    size_t n = (size_t)gridr_plan_count(c->plan);
    c->held_n = (long)n;
    c->held = calloc(n ? n : 1, sizeof *c->held);
    c->held_size = calloc(n ? n : 1, sizeof *c->held_size);
    if (!c->held || !c->held_size)
        return gridr__fail(GRIDR_ENOMEM, "no memory to hold %zu windows", n);
    return 0;
}

/* The member's sink: the leader's layout, this process's descriptor. */
static int member_sink(gridr__pipeline_ctx *c, const gridr_raster_tile_sink *leader)
{
    struct stat st;
    if (prctl(PR_GET_DUMPABLE) != 1)
        return gridr__fail(GRIDR_EINVAL,
                           "workers cannot reopen the output of a non-dumpable process");
    if (fstat(c->share_fd, &st) != 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot stat the shared temporary output");
    c->params.sink = *leader;
    c->params.sink.fd = c->share_fd;
    c->params.sink.pid = (int64_t)getpid();
    c->params.sink.dev = (uint64_t)st.st_dev;
    c->params.sink.ino = (uint64_t)st.st_ino;
    return 0;
}

/* The member's plan: the leader's cut, checked window by window. */
static int member_plan(gridr__pipeline_ctx *c, const gridr_job *j, int workers,
                       const gridr_pipeline_shared *info)
{
    c->params.codec = info->codec;
    c->win_rows = (long)info->win_rows;
    c->win_cols = (long)info->win_cols;
    int rc = gridr__pipeline_plan(c, j, workers);
    if (rc)
        return rc;
    if (gridr_plan_count(c->plan) != info->windows || plan_sum(c->plan) != (int64_t)info->plan_sum)
        return gridr__fail(GRIDR_EINVAL,
                           "this process plans %ld windows where the leader planned %lld: the "
                           "inputs differ between the nodes (same files, same versions?)",
                           gridr_plan_count(c->plan), (long long)info->windows);
    c->params.out_path = (gridr__out_path)info->out_path;
    return 0;
}

int gridr__shared_member_setup(gridr__pipeline_ctx *c, const gridr_job *j, int workers)
{
    const gridr_pipeline_peers *peers = c->peers;
    gridr_pipeline_shared info;
    memset(&info, 0, sizeof info);
    int rc = gridr__pipeline_open(c, j, GRIDR__OPEN_MEMBER);
    c->peers = peers; /* open cleared the context */
    c->job = j;
    if (rc == 0)
        rc = peers->shared(peers->user, c, &info);
    if (rc == 0 && info.alone)
        return GRIDR__SHARED_ALONE;
    if (rc == 0)
        rc = member_plan(c, j, workers, &info);
    if (rc == 0)
        rc = open_tmp(c, info.tmp);
    if (rc == 0 && c->params.out_path == GRIDR__OUT_PLACED)
        rc = member_sink(c, &info.sink);
    if (rc == 0 && c->params.out_path == GRIDR__OUT_ENCODED)
        rc = alloc_held(c);
    return rc;
}

int gridr__shared_leader_ready(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr_pipeline_shared info;
    const gridr_plan_window *w0 = gridr_plan_window_at(c->plan, 0);
    const char *const *tmp = gridr_raster_temp_files(c->dst);
    memset(&info, 0, sizeof info);
    c->job = j;
    info.alone = c->params.out_path == GRIDR__OUT_GDAL || j->keep_grid || !w0 || !tmp || !tmp[0];
    info.resumable = c->resume != NULL;
    info.out_path = (int32_t)c->params.out_path;
    info.windows = gridr_plan_count(c->plan);
    info.win_rows = w0 ? w0->out.rows : 0;
    info.win_cols = w0 ? w0->out.cols : 0;
    info.plan_sum = plan_sum(c->plan);
    info.codec = c->params.codec;
    info.sink = c->params.sink;
    if (!info.alone)
        snprintf(info.tmp, sizeof info.tmp, "%s", tmp[0]);
    const gridr_pipeline_peers *peers = c->peers;
    int rc = peers->shared(peers->user, c, &info);
    if (rc || info.alone) {
        c->peers = NULL; /* run as a job of its own */
        return rc;
    }
    c->joined = 1;
    if (c->params.out_path == GRIDR__OUT_ENCODED) {
        rc = open_tmp(c, info.tmp);
        if (rc == 0)
            rc = alloc_held(c);
    }
    return rc;
}

/* ---- windows ------------------------------------------------------------------------------ */

static size_t window_bytes(const gridr__pipeline_ctx *c, const gridr_plan_window *w)
{
    return (size_t)(c->params.bands + c->params.alpha) * (size_t)w->out.rows * (size_t)w->out.cols *
           gridr_dtype_size(c->params.out_dtype);
}

/* A compressed window: held (copied out of its slot) until its offset comes. */
static int hold(gridr__pipeline_ctx *c, long k, const gridr_array *t)
{
    size_t size = gridr_raster_tiles_used(t->data, (size_t)t->cols);
    uint64_t bytes = gridr_raster_tiles_data_bytes(t->data, size);
    if (!bytes)
        return gridr__fail(GRIDR_EINVAL, "window %ld: its tiles were not encoded", k);
    if ((c->held[k] = malloc(size)) == NULL)
        return gridr__fail(GRIDR_ENOMEM, "no memory to hold window %ld (%zu bytes)", k, size);
    memcpy(c->held[k], t->data, size);
    c->held_size[k] = size;
    return c->peers->encoded(c->peers->user, c, k, bytes);
}

/* The tiles of an empty window of a placed output, written by this process (a member). */
static int put_empty(gridr__pipeline_ctx *c, const gridr_plan_window *w, gridr_array *arrays)
{
    size_t used;
    gridr_array *t = &arrays[GRIDR_PLAN_TILES];
    return gridr_raster_tiles_put(&c->params.sink, &c->params.codec, w->out,
                                  &arrays[GRIDR_PLAN_OUT], t->data, (size_t)t->cols, &used);
}

/* Leader: its own placed window (the scheduler's usual finish, then counted). */
static int leader_placed(gridr__pipeline_ctx *c, long k, const gridr_plan_window *w,
                         gridr_array *arrays)
{
    const gridr_array *t = &arrays[GRIDR_PLAN_TILES];
    int rc = w->empty ? gridr_raster_write(c->dst, w->out, &arrays[GRIDR_PLAN_OUT])
                      : gridr_raster_write_tiles(c->dst, w->out, t->data, (size_t)t->cols);
    if (rc == 0 && c->resume)
        rc = gridr__resume_note(c->resume, c, k);
    if (rc == 0) {
        c->bytes_written += window_bytes(c, w);
        c->shared_done++;
    }
    return rc;
}

int gridr__shared_finish(gridr__pipeline_ctx *c, long k, gridr_array *arrays)
{
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    int rc;
    if (c->params.out_path == GRIDR__OUT_ENCODED)
        return hold(c, k, &arrays[GRIDR_PLAN_TILES]);
    if (!c->peers->member)
        return leader_placed(c, k, w, arrays);
    rc = w->empty ? put_empty(c, w, arrays) : 0;
    if (rc == 0)
        c->bytes_written += window_bytes(c, w);
    return rc ? rc : c->peers->done(c->peers->user, c, k, "");
}

int gridr__shared_source(void *user, long *k)
{
    gridr__pipeline_ctx *c = user;
    return c->peers->source(c->peers->user, c, k);
}

int gridr__shared_poll(void *user)
{
    gridr__pipeline_ctx *c = user;
    return c->peers->poll(c->peers->user, c);
}

/* Leader: the progress of every process's windows. */
int gridr__shared_progress(double complete, const char *msg, void *arg)
{
    gridr__pipeline_ctx *c = arg;
    long n = gridr_plan_count(c->plan);
    (void)complete;
    if (!c->progress)
        return 1;
    return c->progress(n > 0 ? (double)c->shared_done / (double)n : 1.0, msg, c->progress_arg);
}

void gridr__shared_close(gridr__pipeline_ctx *c)
{
    for (long k = 0; c->held && k < c->held_n; k++)
        free(c->held[k]);
    free(c->held);
    free(c->held_size);
    if (c->share_open)
        close(c->share_fd);
    c->held = NULL;
    c->held_size = NULL;
    c->share_open = 0;
}

/* ---- what the distribution layer calls ----------------------------------------------------- */

long gridr_pipeline_job_windows(const gridr_pipeline_job *job)
{
    return job && job->plan ? gridr_plan_count(job->plan) : 0;
}

int gridr_pipeline_job_taken(const gridr_pipeline_job *job, long k)
{
    return gridr__resume_taken(job->resume, k);
}

uint64_t gridr_pipeline_job_tiles_end(const gridr_pipeline_job *job)
{
    return gridr_raster_tiles_end(job->dst);
}

int gridr_pipeline_job_record(gridr_pipeline_job *c, long k, const char *note)
{
    if (k < 0 || k >= gridr_pipeline_job_windows(c) || !c->dst)
        return gridr__fail(GRIDR_EINVAL, "window %ld: not a window of this job's plan", k);
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    int rc = gridr_raster_tiles_record(c->dst, w->out, note);
    if (rc == 0 && c->resume)
        rc = gridr__resume_note(c->resume, c, k);
    if (rc)
        return rc;
    c->bytes_written += window_bytes(c, w);
    c->shared_done++;
    if (!gridr__shared_progress(0.0, NULL, c))
        return gridr__fail(GRIDR_ECANCELED, "cancelled by the progress callback");
    return 0;
}

int gridr_pipeline_job_place(gridr_pipeline_job *c, long k, uint64_t off)
{
    if (k < 0 || k >= gridr_pipeline_job_windows(c) || !c->held || !c->held[k])
        return gridr__fail(GRIDR_EINVAL, "window %ld: no compressed tiles held for it", k);
    char *note = NULL;
    int rc = off == GRIDR_PIPELINE_NO_PLACE
                 ? 0
                 : gridr_raster_tiles_place(c->share_fd, c->job->dst, c->held[k], c->held_size[k],
                                            off, &note);
    free(c->held[k]);
    c->held[k] = NULL;
    if (rc == 0 && note && c->peers->member) {
        c->bytes_written += window_bytes(c, gridr_plan_window_at(c->plan, k));
        rc = c->peers->done(c->peers->user, c, k, note);
    } else if (rc == 0 && note) {
        rc = gridr_pipeline_job_record(c, k, note);
    }
    free(note);
    return rc;
}

int gridr_pipeline_job_progress(gridr_pipeline_job *job)
{
    return gridr__shared_progress(0.0, NULL, job);
}

void gridr_pipeline_job_bytes(const gridr_pipeline_job *job, uint64_t *read, uint64_t *written)
{
    *read = job->bytes_read;
    *written = job->bytes_written;
}

int gridr_pipeline_job_sync(gridr_pipeline_job *c)
{
    if (c->share_open && fdatasync(c->share_fd) != 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot sync the output '%s'", c->job->dst);
    if (!c->share_open && c->dst)
        return gridr_raster_sync(c->dst);
    return 0;
}
