/* gridr: runs over many machines: each gridr-run an MPI rank (Open MPI), rank 0 hands out windows.
 */
#ifndef GRIDR_DIST_H
#define GRIDR_DIST_H

#include <stdint.h>

#include "gridr/job.h"
#include "gridr/pipeline.h"
#include "gridr/registry.h"
#include "gridr/sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The layer above the pipeline that shares jobs between the ranks of an MPI job (docs/cluster.md).
 * Built into gridr-run when configure finds Open MPI (not part of libgridr: a program that embeds
 * the library pays nothing for MPI). Each rank is one node-local gridr: its own scheduler (created
 * BEFORE gridr_dist_init), registry, /dev/shm names. Rank 0 (the leader) sets every job up,
 * creates its output, hands the windows out on demand and commits; the other ranks (members)
 * write their windows into the leader's temporary output on the shared filesystem.
 */

/** One rank's part of a job, for reports. */
typedef struct gridr_dist_rank {
    char host[64];
    char run_id[24]; /* its run id: its journal and /dev/shm names */
    long windows;    /* windows it computed */
    double seconds;  /* its part of the run */
    uint64_t bytes_read, bytes_written;
    long handed;                        /* rank 0: windows handed out (to every rank) */
    long allocated;                     /* rank 0: offsets of compressed windows allocated */
    double hand_seconds, alloc_seconds; /* rank 0: time spent handing out and allocating */
    double serve_seconds;               /* rank 0: time spent on the others' messages (all of it) */
} gridr_dist_rank;

/** An MPI job's communicator, this rank's view. Opaque. */
typedef struct gridr_dist gridr_dist;

/** Whether this process was started by an MPI launcher (mpirun, mpiexec, srun): read from the
 *  environment the launchers set, so that a plain start pays nothing for MPI. */
int gridr_dist_launched(void);

/** Initialise MPI (after the scheduler forked its workers: they never call MPI). Ownership: the
 *  caller ends it with gridr_dist_finalize or gridr_dist_abort. Errors: GRIDR_ESYS. */
int gridr_dist_init(int *argc, char ***argv, gridr_dist **out);

/** This rank, and the number of ranks. */
int gridr_dist_rank_of(const gridr_dist *d);
int gridr_dist_size(const gridr_dist *d);

/** Rank 0: run job `j` (the index-th of the batch every rank read) with the other ranks, as
 *  gridr_pipeline_run does. Every rank's figures: gridr_dist_ranks. */
int gridr_dist_run(gridr_dist *d, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                   long index, gridr_sched_progress_fn progress, void *progress_arg,
                   gridr_pipeline_report *rep);

/** Rank 0: no more jobs (the others' gridr_dist_next returns -1). */
int gridr_dist_end(gridr_dist *d);

/** Other ranks: wait for rank 0's next step: job *index shared by windows (*spread_end 0), the
 *  jobs [*index, *spread_end) spread whole (gridr_dist_spread_ask), or the end (*index -1). */
int gridr_dist_next(gridr_dist *d, long *index, long *spread_end);

/** Other ranks: take part in the job rank 0 runs (the one gridr_dist_next named). */
int gridr_dist_member_run(gridr_dist *d, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                          gridr_pipeline_report *rep);

/* ---- a batch's jobs spread whole over the ranks (many small scenes) ------------------------ */

/** A job one rank ran alone, for rank 0's report: plain values (sent between the ranks). */
typedef struct gridr_dist_job {
    int64_t index; /* the job's index in the batch */
    int32_t rc;    /* 0 or the code it ended with */
    int32_t rank;  /* the rank that ran it */
    gridr_pipeline_report rep;
    gridr_dist_rank who; /* that rank: host, run id, and its figures for the job */
    char msg[1024];      /* rc != 0: the job's message */
} gridr_dist_job;

/** Rank 0: jobs [first, end) are run whole, each by one rank, handed out on demand; rank 0 takes
 *  its own with gridr_dist_spread_take and answers the others with gridr_dist_spread_serve until
 *  gridr_dist_spread_over. Broadcasts the step (the members' gridr_dist_next). */
int gridr_dist_spread_begin(gridr_dist *d, long first, long end);
/** Rank 0: the next job not handed out yet, for itself; -1 when none is left. */
long gridr_dist_spread_take(gridr_dist *d);
/** Rank 0: answer every request waiting now (never waits). The members' finished jobs are kept
 *  for gridr_dist_spread_result. */
int gridr_dist_spread_serve(gridr_dist *d);
/** Rank 0: hand out no more jobs (a signal stops the batch). */
void gridr_dist_spread_stop(gridr_dist *d);
/** Rank 0: whether every other rank has been told that no job is left (the step is over). */
int gridr_dist_spread_over(const gridr_dist *d);
/** Rank 0: a job another rank finished (1, copied into *out), or 0 when none is waiting. */
int gridr_dist_spread_result(gridr_dist *d, gridr_dist_job *out);
/** Fill *j for job `index` run by this rank (its host and run id; zero figures). */
void gridr_dist_job_init(const gridr_dist *d, gridr_registry *reg, long index, gridr_dist_job *j);
/** Other ranks: tell rank 0 of the job `done` (NULL: the step's first request) and wait for the
 *  next one: *index, or -1 when the step is over. */
int gridr_dist_spread_ask(gridr_dist *d, const gridr_dist_job *done, long *index);

/** Rank 0, after gridr_dist_run: every rank's part of the job (*n entries, rank order; empty for
 *  a job rank 0 ran alone). Ownership: borrowed until the next job. */
const gridr_dist_rank *gridr_dist_ranks(const gridr_dist *d, int *n);

/** End MPI normally and free. Accepts NULL. */
void gridr_dist_finalize(gridr_dist *d);

/** End the whole MPI job now with exit code `code` (every rank). Does not return. */
void gridr_dist_abort(gridr_dist *d, int code);

#ifdef __cplusplus
}
#endif
#endif
