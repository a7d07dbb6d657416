/* gridr-pyrun: runs job files for pygridr.run() in a freshly exec'd process: progress lines and
 * the final report (JSON) on stdout, one line each; stopped cleanly by SIGTERM or SIGINT. */
#include "config.h"
#include "../gridr-run/cli.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* The protocol (python/pygridr/_run.py reads it), one line each on stdout:
 *   progress <job index, 0-based> <jobs> <fraction of the job's windows done>
 *   error <code> <GRIDR_NAME> <message>      a failure before any job ran
 *   report <JSON>                            last line: the report, as gridr-run --report
 * Exit status: 0 every job succeeded, 1 a job failed, 2 the jobs were refused, 128+signal. */

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct pyrun {
    gridr_job *jobs;
    size_t n, current;
    int workers;       /* --workers, 0 = the jobs' own */
    long parent;       /* --parent PID: end with it */
    int last_permille; /* last progress line sent for the current job */
    gridr_registry *reg;
    gridr_sched *sched;
    json_t *list;
} pyrun;

static void emit_error(int rc, const char *msg)
{
    char *line = strdup(msg);
    for (char *p = line; p && *p; p++)
        if (*p == '\n')
            *p = ' ';
    printf("error %d %s %s\n", rc, gridr_status_name(rc), line ? line : msg);
    fflush(stdout);
    free(line);
}

/* Progress of the current job: a line per 1/1000 of its windows; steps (msg) send nothing.
 * cli_show_progress (no terminal output: enabled 0) answers whether to go on: a pending
 * SIGTERM/SIGINT stops the job until its rename point. */
static int on_progress(double complete, const char *msg, void *arg)
{
    pyrun *r = arg;
    cli_progress quiet = {0, -1, 0.0, ""};
    int go = cli_show_progress(complete, msg, &quiet);
    int permille = (int)(complete * 1000.0);
    if (go && !msg && permille != r->last_permille) {
        r->last_permille = permille;
        printf("progress %zu %zu %.6f\n", r->current, r->n, complete);
        fflush(stdout);
    }
    return go;
}

static json_t *report_job(const gridr_job *j, const gridr_pipeline_report *p, int rc,
                          const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "src", json_string(j->src));
    json_object_set_new(o, "dst", json_string(j->dst));
    json_object_set_new(o, "resampling", json_string(gridr_interp_name(j->interp)));
    json_object_set_new(o, "status", json_string(rc ? gridr_status_name(rc) : "ok"));
    json_object_set_new(o, "code", json_integer(rc));
    json_object_set_new(o, "message", json_string(rc ? msg : ""));
    json_object_set_new(o, "out_rows", json_integer(p->out_rows));
    json_object_set_new(o, "out_cols", json_integer(p->out_cols));
    json_object_set_new(o, "bands", json_integer(p->bands));
    json_object_set_new(o, "windows", json_integer(p->windows));
    json_object_set_new(o, "empty_windows", json_integer(p->empty_windows));
    json_object_set_new(o, "failed_windows", json_integer(p->failed_windows));
    json_object_set_new(o, "retried_windows", json_integer(p->retried));
    json_object_set_new(o, "workers", json_integer(p->workers));
    json_object_set_new(o, "signal", json_integer(p->signal));
    json_object_set_new(o, "bytes_read", json_integer((json_int_t)p->bytes_read));
    json_object_set_new(o, "bytes_written", json_integer((json_int_t)p->bytes_written));
    json_object_set_new(o, "shm_peak_bytes", json_integer((json_int_t)p->shm_peak));
    json_object_set_new(o, "seconds_setup", json_real(p->seconds_setup));
    json_object_set_new(o, "seconds_run", json_real(p->seconds_run));
    json_object_set_new(o, "seconds_commit", json_real(p->seconds_commit));
    json_object_set_new(o, "seconds_total", json_real(p->seconds_total));
    json_object_set_new(o, "warning", json_string(p->warning));
    return o;
}

/* Load every job file and apply --workers. */
static int load_jobs(pyrun *r, char **files, int nfiles)
{
    char text[32];
    for (int f = 0; f < nfiles; f++) {
        gridr_job *part = NULL;
        size_t k = 0;
        int rc = gridr_job_load(files[f], &part, &k);
        gridr_job *all = rc ? NULL : realloc(r->jobs, (r->n + k) * sizeof *all);
        if (rc || !all) {
            gridr_job_free_list(part, k);
            return rc ? rc : gridr_set_error(GRIDR_ENOMEM, "out of memory loading %s", files[f]);
        }
        memcpy(all + r->n, part, k * sizeof *part);
        free(part); /* the jobs' contents moved into `all` */
        r->jobs = all;
        r->n += k;
    }
    snprintf(text, sizeof text, "%d", r->workers);
    for (size_t i = 0; r->workers > 0 && i < r->n; i++) {
        int rc = gridr_job_set(&r->jobs[i], "workers", text);
        if (rc)
            return rc;
    }
    return 0;
}

/* Validate the jobs; no two may write one file. */
static int check_jobs(const pyrun *r)
{
    for (size_t i = 0; i < r->n; i++) {
        int rc = gridr_job_validate(&r->jobs[i]);
        if (rc)
            return rc;
        if (r->jobs[i].dry_run)
            return gridr_set_error(GRIDR_EINVAL, "%s: dry-run is not supported by pygridr.run()",
                                   r->jobs[i].origin ? r->jobs[i].origin : r->jobs[i].dst);
        for (size_t k = 0; k < i; k++)
            if (gridr_pipeline_same_file(r->jobs[i].dst, r->jobs[k].dst))
                return gridr_set_error(GRIDR_EINVAL, "jobs %zu and %zu both write '%s'", k + 1,
                                       i + 1, r->jobs[i].dst);
    }
    return 0;
}

/* Fork the workers (nothing has opened a raster yet), then check the outputs. */
static int start_pool(pyrun *r)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    for (size_t i = 0; i < r->n; i++) {
        o.workers = CLI_MAX(o.workers, r->jobs[i].workers);
        o.threads = CLI_MAX(o.threads, r->jobs[i].threads);
    }
    o.work = gridr_pipeline_work;
    int rc = gridr_registry_open(NULL, &r->reg);
    if (rc)
        return rc;
    cli_set_registry(r->reg);
    o.registry = r->reg;
    rc = gridr_sched_new(&o, &r->sched);
    for (size_t i = 0; rc == 0 && i < r->n && !cli_pending_signal(); i++)
        rc = gridr_pipeline_check_dst(&r->jobs[i]);
    return rc;
}

/* Run job i; returns its status. */
static int run_one(pyrun *r, size_t i)
{
    const gridr_job *j = &r->jobs[i];
    gridr_pipeline_report rep;
    memset(&rep, 0, sizeof rep);
    r->current = i;
    r->last_permille = -1;
    cli_job_start();
    int rc = gridr_sched_set_retries(r->sched, j->retries);
    if (rc == 0)
        rc = gridr_sched_set_keep_going(r->sched, j->keep_going);
    if (rc == 0)
        rc = gridr_sched_set_timeout(r->sched, j->timeout);
    if (rc == 0)
        rc = gridr_pipeline_run(r->sched, r->reg, j, on_progress, r, &rep);
    if (rc == GRIDR_ECANCELED && !rep.signal)
        rep.signal = cli_pending_signal();
    json_array_append_new(r->list, report_job(j, &rep, rc, gridr_last_error()));
    return rc;
}

/* Run the jobs in order; a signal stops the run (later jobs are not run). */
static int run_all(pyrun *r)
{
    int failed = 0;
    for (size_t i = 0; i < r->n && !cli_pending_signal(); i++) {
        int rc = run_one(r, i);
        if (rc == GRIDR_ECANCELED && cli_pending_signal())
            break;
        failed |= rc != 0;
    }
    return failed;
}

static void emit_report(const pyrun *r)
{
    json_t *root = json_pack("{s:s, s:s?, s:O}", "gridr_version", GRIDR_VERSION_STRING, "run_id",
                             r->reg ? gridr_registry_run_id(r->reg) : NULL, "jobs", r->list);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    printf("report %s\n", text ? text : "{}");
    fflush(stdout);
    free(text);
    json_decref(root);
}

static int parse_args(pyrun *r, int argc, char **argv, int *first)
{
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--workers") == 0)
            r->workers = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--parent") == 0)
            r->parent = atol(argv[i + 1]);
        else
            break;
    }
    *first = i;
    if (i >= argc || strncmp(argv[i], "--", 2) == 0) {
        fprintf(stderr, "usage: gridr-pyrun [--workers N] [--parent PID] JOB.json...\n"
                        "(started by pygridr.run(); see docs/python.md)\n");
        return -1;
    }
    return 0;
}

/* End with the Python process that started us (it may die without telling us). */
static int follow_parent(const pyrun *r)
{
    if (r->parent <= 0)
        return 0;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    return (long)getppid() == r->parent ? 0 : -1;
}

static int run_jobs(pyrun *r)
{
    int rc = start_pool(r);
    int status = 0;
    if (rc)
        emit_error(rc, gridr_last_error());
    else
        status = run_all(r) ? 1 : 0;
    gridr_sched_free(r->sched);
    r->sched = NULL;
    if (rc == 0 || r->reg)
        emit_report(r);
    cli_set_registry(NULL);
    gridr_registry_close(r->reg);
    r->reg = NULL;
    if (cli_pending_signal())
        return 128 + cli_pending_signal();
    return rc ? (rc == GRIDR_EINVAL ? 2 : 1) : status;
}

int main(int argc, char **argv)
{
    pyrun r;
    int first;
    memset(&r, 0, sizeof r);
    cli_catch_signals();      /* first: a signal in any phase stops the run at its next step */
    signal(SIGPIPE, SIG_IGN); /* a caller gone mid-run: finish cleaning up, do not die */
    if (parse_args(&r, argc, argv, &first))
        return 2;
    if (follow_parent(&r))
        return 128 + SIGTERM;
    int rc = load_jobs(&r, argv + first, argc - first);
    if (rc == 0)
        rc = check_jobs(&r);
    if (rc) {
        emit_error(rc, gridr_last_error());
        gridr_job_free_list(r.jobs, r.n);
        return rc == GRIDR_EINVAL || rc == GRIDR_ERANGE || rc == GRIDR_EFORMAT ? 2 : 1;
    }
    r.list = json_array();
    int status = run_jobs(&r);
    json_decref(r.list);
    gridr_job_free_list(r.jobs, r.n);
    return status;
}
