/* gridr-run: the ranks of an MPI job (docs/cluster.md): start, rank 0's report of every rank's
 * part, the other ranks' loop over the jobs rank 0 leads, and the end. */
#include "config.h"
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

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
    int rc = gridr_sched_set_retries(s, j->retries);
    if (rc == 0)
        rc = gridr_sched_set_keep_going(s, j->keep_going);
    if (rc == 0)
        rc = gridr_sched_set_timeout(s, j->timeout);
    if (rc == 0)
        rc = gridr_dist_member_run(d, s, reg, j, &rep);
    if (rc == 0)
        return 0;
    *signal = rep.signal ? rep.signal : cli_pending_signal();
    fprintf(stderr, "gridr-run: rank %d: %s\n", gridr_dist_rank_of(d), gridr_last_error());
    return 1;
}

int cli_dist_members(void *dist, gridr_sched *s, gridr_registry *reg, gridr_job *jobs, size_t n,
                     int *signal)
{
    gridr_dist *d = dist;
    int failed = 0;
    for (long i; !*signal;) {
        if (gridr_dist_next(d, &i) != 0) {
            fprintf(stderr, "gridr-run: rank %d: %s\n", gridr_dist_rank_of(d), gridr_last_error());
            return 1;
        }
        if (i < 0)
            break;
        if ((size_t)i >= n) {
            fprintf(stderr,
                    "gridr-run: rank %d: rank 0 runs job %ld, this rank read %zu jobs (run "
                    "every rank with the same arguments)\n",
                    gridr_dist_rank_of(d), i + 1, n);
            return 1;
        }
        failed |= member_job(d, s, reg, &jobs[i], signal);
    }
    return failed;
}

int cli_dist_run(void *dist, gridr_sched *s, gridr_registry *reg, const gridr_job *j, long i,
                 cli_progress *prog, gridr_pipeline_report *rep)
{
    return gridr_dist_run(dist, s, reg, j, i, cli_show_progress, prog, rep);
}

void cli_dist_report(void *dist, struct json_t *o)
{
    int n = 0;
    const gridr_dist_rank *r = gridr_dist_ranks(dist, &n);
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        json_t *e = json_pack("{s:i, s:s, s:s, s:I, s:f, s:I, s:I}", "rank", i, "host", r[i].host,
                              "run_id", r[i].run_id, "windows", (json_int_t)r[i].windows, "seconds",
                              r[i].seconds, "bytes_read", (json_int_t)r[i].bytes_read,
                              "bytes_written", (json_int_t)r[i].bytes_written);
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
                 cli_progress *prog, gridr_pipeline_report *rep)
{
    (void)dist, (void)i;
    return gridr_pipeline_run(s, reg, j, cli_show_progress, prog, rep);
}

void cli_dist_report(void *dist, struct json_t *o)
{
    (void)dist, (void)o;
}

void cli_dist_finish(void *dist, int member, int code, int signal)
{
    (void)dist, (void)member, (void)code, (void)signal;
}
#endif
