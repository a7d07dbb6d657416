/* gridr-run: the ranks of an MPI job (docs/cluster.md): start, rank 0's report of every rank's
 * part, the other ranks' loop over the jobs rank 0 leads, and the end. */
#include "config.h"
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef GRIDR_HAVE_MPI
#include "gridr/dist.h"

const char *cli_dist_built(void)
{
    return "with MPI: started by mpirun or srun, the ranks share the jobs";
}

int cli_dist_start(void **dist)
{
    gridr_dist *d = NULL;
    *dist = NULL;
    if (!gridr_dist_launched()) /* started plainly: no MPI at all */
        return 0;
    if (gridr_dist_init(NULL, NULL, &d) != 0) {
        fprintf(stderr, "gridr-run: cannot join the MPI job: %s\n", gridr_last_error());
        return -1;
    }
    *dist = d;
    return 0;
}

int cli_dist_member(void *dist)
{
    return gridr_dist_rank_of(dist) != 0;
}

/* Each job rank 0 names, with the job's own retries, keep-going and time limit. */
static int member_job(gridr_dist *d, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                      int *signal)
{
    gridr_pipeline_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = cli_job_settings(s, j);
    if (rc == 0)
        rc = gridr_dist_member_run(d, s, reg, j, &rep);
    if (rc == 0)
        return 0;
    *signal = rep.signal ? rep.signal : cli_pending_signal();
    fprintf(stderr, "gridr-run: rank %d: %s\n", gridr_dist_rank_of(d), gridr_last_error());
    return 1;
}

/* A job of a spread step, run here alone: its outcome for rank 0 in *done. */
static void run_whole(gridr_dist *d, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                      long k, gridr_dist_job *done)
{
    gridr_dist_job_init(d, reg, k, done);
    int rc = cli_job_settings(s, j);
    if (rc == 0)
        rc = gridr_pipeline_run(s, reg, j, NULL, NULL, &done->rep);
    done->rc = rc;
    if (rc)
        snprintf(done->msg, sizeof done->msg, "%s", gridr_last_error());
    done->who.windows = done->rep.windows;
    done->who.seconds = done->rep.seconds_total;
    done->who.bytes_read = done->rep.bytes_read;
    done->who.bytes_written = done->rep.bytes_written;
}

/* The jobs rank 0 hands this rank in a spread step, until it says the step is over. Rank 0
 * says what each did; a signal ends the run (every rank). */
static int member_spread(gridr_dist *d, gridr_sched *s, gridr_registry *reg, gridr_job *jobs,
                         size_t n, int *signal)
{
    gridr_dist_job done;
    int have = 0, failed = 0;
    for (long k; !*signal;) {
        if (gridr_dist_spread_ask(d, have ? &done : NULL, &k) != 0) {
            fprintf(stderr, "gridr-run: rank %d: %s\n", gridr_dist_rank_of(d), gridr_last_error());
            return 1;
        }
        if (k < 0)
            break;
        if ((size_t)k >= n) {
            fprintf(stderr, "gridr-run: rank %d: rank 0 hands out job %ld of %zu\n",
                    gridr_dist_rank_of(d), k + 1, n);
            return 1;
        }
        cli_job_start();
        run_whole(d, s, reg, &jobs[k], k, &done);
        have = 1;
        failed |= done.rc != 0;
        if (done.rc && (done.rep.signal || cli_pending_signal()))
            *signal = done.rep.signal ? done.rep.signal : cli_pending_signal();
    }
    return failed;
}

int cli_dist_members(void *dist, gridr_sched *s, gridr_registry *reg, gridr_job *jobs, size_t n,
                     int *signal)
{
    gridr_dist *d = dist;
    int failed = 0;
    /* While rank 0 checks the batch: GDAL's drivers and the first inputs opened once here, so
     * that this rank's first job does not pay for them (0.2 s here) while rank 0 runs its own. */
    if (n > 0 && gridr_pipeline_check_dst(&jobs[0]) != 0)
        gridr_clear_error(); /* rank 0 says what is wrong with it */
    for (long i, end; !*signal;) {
        if (gridr_dist_next(d, &i, &end) != 0) {
            fprintf(stderr, "gridr-run: rank %d: %s\n", gridr_dist_rank_of(d), gridr_last_error());
            return 1;
        }
        if (i < 0)
            break;
        if ((size_t)i >= n || (end > 0 && (size_t)end > n)) {
            fprintf(stderr,
                    "gridr-run: rank %d: rank 0 runs job %ld, this rank read %zu jobs (run "
                    "every rank with the same arguments)\n",
                    gridr_dist_rank_of(d), (end > 0 ? end : i + 1), n);
            return 1;
        }
        if (end > 0)
            failed |= member_spread(d, s, reg, jobs, n, signal);
        else
            failed |= member_job(d, s, reg, &jobs[i], signal);
    }
    return failed;
}

/* Rank 0's poll while it runs a job of a spread step: the others' requests answered. */
static int serve_poll(void *arg)
{
    return gridr_dist_spread_serve(arg);
}

/* Rank 0's job of a spread step: its progress, and the others answered at its steps too
 * (opening, planning, committing), where its scheduler does not poll. */
typedef struct spread_progress {
    gridr_dist *d;
    cli_progress *prog;
} spread_progress;

static int serve_progress(double complete, const char *msg, void *arg)
{
    spread_progress *sp = arg;
    if (gridr_dist_spread_serve(sp->d) != 0)
        return 0; /* the ranks cannot talk: stop */
    return cli_show_progress(complete, msg, sp->prog);
}

int cli_dist_run(void *dist, gridr_sched *s, gridr_registry *reg, const gridr_job *j, long i,
                 int spread, cli_progress *prog, gridr_pipeline_report *rep)
{
    spread_progress sp = {dist, prog};
    if (spread)
        return gridr_pipeline_run_polled(s, reg, j, serve_progress, &sp, rep, serve_poll, dist);
    return gridr_dist_run(dist, s, reg, j, i, cli_show_progress, prog, rep);
}

static json_t *rank_entry(int rank, const gridr_dist_rank *r)
{
    return json_pack("{s:i, s:s, s:s, s:I, s:f, s:I, s:I}", "rank", rank, "host", r->host, "run_id",
                     r->run_id, "windows", (json_int_t)r->windows, "seconds", r->seconds,
                     "bytes_read", (json_int_t)r->bytes_read, "bytes_written",
                     (json_int_t)r->bytes_written);
}

/* A job one rank ran whole: "ranks" of one entry. */
static json_t *alone_entry(const gridr_dist_job *r)
{
    json_t *a = json_array();
    if (a)
        json_array_append_new(a, rank_entry(r->rank, &r->who));
    return a;
}

void cli_dist_report(void *dist, struct json_t *o, gridr_registry *reg,
                     const gridr_pipeline_report *rep, int spread)
{
    int n = 0;
    const gridr_dist_rank *r = gridr_dist_ranks(dist, &n);
    if (spread) { /* rank 0 ran it alone: its figures are the job's */
        gridr_dist_job me;
        gridr_dist_job_init(dist, reg, 0, &me);
        me.who.windows = rep->windows;
        me.who.seconds = rep->seconds_total;
        me.who.bytes_read = rep->bytes_read;
        me.who.bytes_written = rep->bytes_written;
        json_object_set_new(o, "ranks", alone_entry(&me));
        return;
    }
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        json_t *e = rank_entry(i, &r[i]);
        if (e && i == 0) /* rank 0's cost of feeding the others */
            json_object_update_new(
                e, json_pack("{s:I, s:f, s:I, s:f, s:f}", "handed", (json_int_t)r[0].handed,
                             "hand_seconds", r[0].hand_seconds, "allocated",
                             (json_int_t)r[0].allocated, "alloc_seconds", r[0].alloc_seconds,
                             "serve_seconds", r[0].serve_seconds));
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "ranks", a);
}

/* Whether job k reads what an earlier job of the step [first, k) writes (its dst, its kept
 * grid), or cannot tell (its inputs do not open yet): then it starts a step of its own. */
static int depends(const gridr_job *jobs, size_t first, size_t k, const char **paths)
{
    size_t m = 0, which;
    for (size_t i = first; i < k; i++) {
        paths[m++] = jobs[i].dst;
        if (jobs[i].keep_grid)
            paths[m++] = jobs[i].keep_grid;
    }
    return gridr_pipeline_reads(&jobs[k], paths, m, &which) != 0;
}

size_t *cli_dist_steps(void *dist, const gridr_job *jobs, size_t n, char *const *skipped)
{
    size_t size = (size_t)gridr_dist_size(dist);
    if (size < 2 || n < size)
        return NULL;
    size_t *steps = calloc(n, sizeof *steps);
    const char **paths = calloc(2 * n, sizeof *paths);
    for (size_t i = 0; steps && paths && i < n;) {
        size_t e = i + 1;
        while (e < n && !(skipped && (skipped[i] || skipped[e])) && !depends(jobs, i, e, paths))
            e++;
        steps[i] = e - i >= size ? e : 0; /* fewer jobs than ranks: their windows are shared */
        i = e;
    }
    gridr_clear_error();
    free(paths);
    return steps;
}

void cli_dist_spread_begin(void *dist, size_t first, size_t end)
{
    if (gridr_dist_spread_begin(dist, (long)first, (long)end) == 0)
        return;
    fprintf(stderr, "gridr-run: %s\n", gridr_last_error()); /* the ranks cannot talk */
    gridr_dist_abort(dist, GRIDR_CLI_FAILED);
}

long cli_dist_spread_take(void *dist)
{
    if (gridr_dist_spread_serve(dist) != 0) { /* the others first: they wait, idle */
        fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
        gridr_dist_abort(dist, GRIDR_CLI_FAILED);
    }
    return gridr_dist_spread_take(dist);
}

int cli_dist_spread_result(void *dist, cli_dist_job *out)
{
    gridr_dist_job r;
    if (!gridr_dist_spread_result(dist, &r))
        return 0;
    out->index = (long)r.index;
    out->rc = r.rc;
    out->rep = r.rep;
    snprintf(out->msg, sizeof out->msg, "%s", r.msg);
    out->ranks = alone_entry(&r);
    return 1;
}

int cli_dist_spread_wait(void *dist)
{
    struct timespec ts = {0, 200000};
    if (gridr_dist_spread_serve(dist) != 0) { /* the ranks cannot talk: end them all */
        fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
        gridr_dist_abort(dist, GRIDR_CLI_FAILED);
    }
    if (gridr_dist_spread_over(dist))
        return 1;
    nanosleep(&ts, NULL);
    return 0;
}

void cli_dist_finish(void *dist, int member, int code, int signal)
{
    gridr_dist *d = dist;
    if (!d)
        return;
    if (signal)
        gridr_dist_abort(d, code); /* every rank ends now (mpirun reports it) */
    if (!member && gridr_dist_end(d) != 0)
        gridr_dist_abort(d, GRIDR_CLI_FAILED);
    gridr_dist_finalize(d);
}

#else /* built without MPI: every start is a run of its own */

const char *cli_dist_built(void)
{
    return "without MPI (configure found no Open MPI)";
}

int cli_dist_start(void **dist)
{
    *dist = NULL;
    return 0;
}

int cli_dist_member(void *dist)
{
    (void)dist;
    return 0;
}

int cli_dist_members(void *dist, gridr_sched *s, gridr_registry *reg, gridr_job *jobs, size_t n,
                     int *signal)
{
    (void)dist, (void)s, (void)reg, (void)jobs, (void)n, (void)signal;
    return 0;
}

int cli_dist_run(void *dist, gridr_sched *s, gridr_registry *reg, const gridr_job *j, long i,
                 int spread, cli_progress *prog, gridr_pipeline_report *rep)
{
    (void)dist, (void)i, (void)spread;
    return gridr_pipeline_run(s, reg, j, cli_show_progress, prog, rep);
}

void cli_dist_report(void *dist, struct json_t *o, gridr_registry *reg,
                     const gridr_pipeline_report *rep, int spread)
{
    (void)dist, (void)o, (void)reg, (void)rep, (void)spread;
}

size_t *cli_dist_steps(void *dist, const gridr_job *jobs, size_t n, char *const *skipped)
{
    (void)dist, (void)jobs, (void)n, (void)skipped;
    return NULL;
}

void cli_dist_spread_begin(void *dist, size_t first, size_t end)
{
    (void)dist, (void)first, (void)end;
}

long cli_dist_spread_take(void *dist)
{
    (void)dist;
    return -1;
}

int cli_dist_spread_result(void *dist, cli_dist_job *out)
{
    (void)dist, (void)out;
    return 0;
}

int cli_dist_spread_wait(void *dist)
{
    (void)dist;
    return 1;
}

void cli_dist_finish(void *dist, int member, int code, int signal)
{
    (void)dist, (void)member, (void)code, (void)signal;
}
#endif
