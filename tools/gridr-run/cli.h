/* gridr-run: what the command-line program's files share (not part of the library). */
#ifndef GRIDR_CLI_H
#define GRIDR_CLI_H

#include "gridr/gridr.h"

#define GRIDR_CLI_OK 0
#define GRIDR_CLI_FAILED 1
#define GRIDR_CLI_USAGE 2

#define CLI_MAX(a, b) ((a) > (b) ? (a) : (b))

#define CLI_MAX_SETTINGS 256
#define CLI_MAX_POS 256

/* The parsed command line: positional arguments and (key, value) settings in order. */
typedef struct cli_args {
    const char *pos[CLI_MAX_POS];
    int npos;
    const char *settings[CLI_MAX_SETTINGS][2];
    int nsettings;
    int help, version, dry_run, quiet;
    int all;              /* cleanup --all */
    char joined[16][512]; /* values of options taking several arguments (-te), joined by ',' */
    int njoined;
} cli_args;

/* Terminal progress state. */
typedef struct cli_progress {
    int enabled;
    int last_pct;
    double t0;
    char label[64];
} cli_progress;

int cli_parse(int argc, char **argv, cli_args *a);
int cli_apply(const cli_args *a, gridr_job *j);
void cli_catch_signals(void);
int cli_pending_signal(void);
/* The run's registry (NULL: none), what an ending by force removes. */
void cli_set_registry(gridr_registry *reg);
/* A job starts: a signal stops it until its output is being renamed. */
void cli_job_start(void);
/* The interruption was reported on stderr (an ending by force says nothing more). */
void cli_reported(void);
int cli_show_progress(double complete, const char *msg, void *arg);
/* The scheduler's settings for job j (each job its own): retries, keep-going, time limit. */
int cli_job_settings(gridr_sched *s, const gridr_job *j);
double cli_now(void);

/* The ranks of an MPI job (tools/gridr-run/ranks.c; a run of its own when built without MPI or
 * started plainly). `dist` is the job's gridr_dist, NULL outside one. */
struct json_t;
const char *cli_dist_built(void); /* "with MPI: ..." or "without MPI ..." */
int cli_dist_start(void **dist);
int cli_dist_member(void *dist);
int cli_dist_members(void *dist, gridr_sched *s, gridr_registry *reg, gridr_job *jobs, size_t n,
                     int *signal);
/* Rank 0: run job i, its windows shared by the ranks, or (`spread`) here alone while the others
 * are answered. */
int cli_dist_run(void *dist, gridr_sched *s, gridr_registry *reg, const gridr_job *j, long i,
                 int spread, cli_progress *prog, gridr_pipeline_report *rep);
/* The report's "ranks" of the job rank 0 just ran (`spread`: rank 0 alone, `rep` its figures). */
void cli_dist_report(void *dist, struct json_t *o, gridr_registry *reg,
                     const gridr_pipeline_report *rep, int spread);
void cli_dist_finish(void *dist, int member, int code, int signal);

/* Rank 0: the batch cut into steps (docs/cluster.md): steps[i] > i + 1 when the jobs [i, steps[i])
 * are spread whole over the ranks, else job i has its windows shared. NULL: every job shared
 * (one rank, fewer jobs than ranks). Ownership: the caller frees the array. */
size_t *cli_dist_steps(void *dist, const gridr_job *jobs, size_t n, char *const *skipped);
/* A job another rank ran in a spread step: its outcome and the report's "ranks" (owned). */
typedef struct cli_dist_job {
    long index;
    int rc;
    gridr_pipeline_report rep;
    char msg[1024];
    struct json_t *ranks;
} cli_dist_job;
void cli_dist_spread_begin(void *dist, size_t first, size_t end); /* a failure ends every rank */
long cli_dist_spread_take(void *dist);                            /* rank 0's next job, or -1 */
int cli_dist_spread_result(void *dist, cli_dist_job *out);        /* 1: one in *out */
/* Answer the others for a while: 1 when the step is over, 0 not yet (an MPI failure ends every
 * rank). */
int cli_dist_spread_wait(void *dist);

#endif
