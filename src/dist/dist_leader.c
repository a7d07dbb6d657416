/* gridr: rank 0's side of a shared job: the plan broadcast, windows handed out on demand, the
 * offsets of compressed windows allocated in window order, the others' windows recorded. */
#include "base/internal.h"
#include "dist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the work queue ---------------------------------------------------------------------- */

/* The next window to hand out (skipping those an interrupted run wrote), or -1. */
static long take(gridr_dist *d, gridr_pipeline_job *job)
{
    if (d->aborting)
        return -1;
    while (d->next < d->windows && gridr_pipeline_job_taken(job, d->next))
        d->next++;
    return d->next < d->windows ? d->next++ : -1;
}

/* Answer member m's request for up to n windows (none: no more). */
static int give(gridr_dist *d, gridr_pipeline_job *job, int m, int64_t n)
{
    double t = gridr__dist_now();
    int64_t v[65];
    int c = 1;
    v[0] = d->seq;
    for (long k; c < 65 && c - 1 < n && (k = take(d, job)) >= 0;)
        v[c++] = k;
    d->ranks[0].handed += c - 1;
    int rc = gridr__dist_send(d, m, GRIDR__TAG_GIVE, v, c);
    d->ranks[0].hand_seconds += gridr__dist_now() - t;
    return rc;
}

/* ---- offsets of compressed windows --------------------------------------------------------- */

/* Hand out the offsets that are known now: in window order, each window after the one before. */
static int allocate(gridr_dist *d, gridr_pipeline_job *job)
{
    int rc = 0;
    for (; rc == 0 && d->alloc_next < d->windows && d->sizes[d->alloc_next] != GRIDR__DIST_UNKNOWN;
         d->alloc_next++) {
        long k = d->alloc_next;
        if (d->owner[k] < 0) /* taken over from an interrupted run */
            continue;
        uint64_t off = d->aborting ? GRIDR_PIPELINE_NO_PLACE : d->cursor;
        d->cursor += d->sizes[k];
        d->ranks[0].allocated++;
        if (d->owner[k] == 0) { /* its own: written here (not the allocation's cost) */
            double t = gridr__dist_now();
            rc = gridr_pipeline_job_place(job, k, off);
            d->place_seconds += gridr__dist_now() - t;
        } else {
            int64_t v[3] = {d->seq, k, (int64_t)off};
            rc = gridr__dist_send(d, d->owner[k], GRIDR__TAG_OFFSET, v, 3);
        }
    }
    return rc;
}

/* The job stops: nothing more is handed out or written. The windows that wait for an offset
 * behind a window that will never come are told to drop their tiles, so that no rank waits. */
static int stop_job(gridr_dist *d)
{
    int rc = 0;
    if (d->aborting == 2)
        return 0;
    d->aborting = 2;
    for (long k = d->alloc_next; d->encoded && k < d->windows; k++)
        if (d->sizes[k] != GRIDR__DIST_UNKNOWN && d->owner[k] > 0) {
            int64_t v[3] = {d->seq, k, (int64_t)GRIDR_PIPELINE_NO_PLACE};
            int e = gridr__dist_send(d, d->owner[k], GRIDR__TAG_OFFSET, v, 3);
            rc = rc ? rc : e;
        }
    if (d->encoded)
        d->alloc_next = d->windows; /* what is placed from now on: dropped (want_room) */
    return rc;
}

/* Window k of `bytes` bytes, computed by rank m, wants its place. */
static int want_room(gridr_dist *d, gridr_pipeline_job *job, int m, long k, uint64_t bytes)
{
    double t = gridr__dist_now(), placed = d->place_seconds;
    if (k < 0 || k >= d->windows || d->sizes[k] != GRIDR__DIST_UNKNOWN || bytes == 0)
        return gridr__fail(GRIDR_EINVAL, "rank %d: window %ld asks for room twice", m, k);
    int rc = 0;
    if (d->aborting) { /* nothing more is written */
        int64_t v[3] = {d->seq, k, (int64_t)GRIDR_PIPELINE_NO_PLACE};
        rc = m == 0 ? gridr_pipeline_job_place(job, k, GRIDR_PIPELINE_NO_PLACE)
                    : gridr__dist_send(d, m, GRIDR__TAG_OFFSET, v, 3);
    } else {
        d->sizes[k] = bytes;
        d->owner[k] = m;
        rc = allocate(d, job);
    }
    d->ranks[0].alloc_seconds += gridr__dist_now() - t - (d->place_seconds - placed);
    return rc;
}

/* ---- messages from the members --------------------------------------------------------------- */

/* A member's windows written: record each (k, note). */
static int on_done(gridr_dist *d, gridr_pipeline_job *job, const unsigned char *b, int len)
{
    int64_t n;
    size_t at = 2 * sizeof(int64_t);
    if (len < (int)at)
        return gridr__fail(GRIDR_EINVAL, "a short report of windows");
    memcpy(&n, b + sizeof(int64_t), sizeof n);
    int rc = 0;
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        int64_t k;
        int32_t nl;
        if (at + sizeof k + sizeof nl > (size_t)len)
            return gridr__fail(GRIDR_EINVAL, "a cut report of windows");
        memcpy(&k, b + at, sizeof k);
        memcpy(&nl, b + at + sizeof k, sizeof nl);
        at += sizeof k + sizeof nl;
        if (nl < 1 || at + (size_t)nl > (size_t)len || b[at + (size_t)nl - 1] != 0)
            return gridr__fail(GRIDR_EINVAL, "a cut report of windows");
        rc = d->aborting ? 0 : gridr_pipeline_job_record(job, (long)k, (const char *)b + at);
        at += (size_t)nl;
    }
    return rc;
}

static void on_fin(gridr_dist *d, int m, const unsigned char *b, int len)
{
    gridr__dist_fin f;
    memset(&f, 0, sizeof f);
    memcpy(&f, b, GRIDR__MIN((size_t)len, sizeof f));
    f.host[sizeof f.host - 1] = 0;
    f.msg[sizeof f.msg - 1] = 0;
    gridr_dist_rank *r = &d->ranks[m];
    f.run_id[sizeof f.run_id - 1] = 0;
    snprintf(r->host, sizeof r->host, "%s", f.host);
    snprintf(r->run_id, sizeof r->run_id, "%s", f.run_id);
    r->windows = (long)f.windows;
    r->seconds = f.seconds;
    r->bytes_read = f.bytes_read;
    r->bytes_written = f.bytes_written;
    d->nfin++;
    if (f.rc && !d->rc_fin) {
        d->rc_fin = f.rc;
        snprintf(d->msg_fin, sizeof d->msg_fin, "rank %d (%s): %s", m, f.host, f.msg);
    }
    if (f.rc)
        d->aborting = 1; /* the job cannot complete: serve_msg stops it */
}

static int serve_msg(gridr_dist *d, gridr_pipeline_job *job, const MPI_Status *st);

/* One message from a member (its handling timed: rank 0's cost of the others' windows). */
static int serve_one(gridr_dist *d, gridr_pipeline_job *job, const MPI_Status *st)
{
    double t = gridr__dist_now(), placed = d->place_seconds;
    int rc = serve_msg(d, job, st);
    d->ranks[0].serve_seconds += gridr__dist_now() - t - (d->place_seconds - placed);
    return rc;
}

static int serve_msg(gridr_dist *d, gridr_pipeline_job *job, const MPI_Status *st)
{
    unsigned char *b;
    int len, m = st->MPI_SOURCE;
    int rc = gridr__dist_recv(d, st, &b, &len);
    if (rc)
        return rc;
    int64_t v[3] = {-2, 0, 0};
    memcpy(v, b, GRIDR__MIN((size_t)len, sizeof v));
    if (v[0] == d->seq && m > 0 && m < d->size) {
        if (st->MPI_TAG == GRIDR__TAG_WANT)
            rc = give(d, job, m, v[1]);
        else if (st->MPI_TAG == GRIDR__TAG_SIZE)
            rc = want_room(d, job, m, (long)v[1], (uint64_t)v[2]);
        else if (st->MPI_TAG == GRIDR__TAG_DONE)
            rc = on_done(d, job, b, len);
        else if (st->MPI_TAG == GRIDR__TAG_FIN)
            on_fin(d, m, b, len);
        if (rc == 0 && d->aborting == 1)
            rc = stop_job(d);
    } /* else a message of an earlier job, answered by now: dropped */
    free(b);
    return rc;
}

/* Every message waiting now. */
static int serve(gridr_dist *d, gridr_pipeline_job *job)
{
    MPI_Status st;
    int got, rc = 0;
    while (rc == 0 && (got = gridr__dist_probe(d, 0, &st)) > 0)
        rc = serve_one(d, job, &st);
    return rc ? rc : got < 0 ? got : 0;
}

/* ---- the pipeline's hooks ----------------------------------------------------------------- */

static int start_tables(gridr_dist *d, gridr_pipeline_job *job)
{
    size_t n = (size_t)d->windows ? (size_t)d->windows : 1;
    free(d->sizes);
    free(d->owner);
    d->sizes = malloc(n * sizeof *d->sizes);
    d->owner = malloc(n * sizeof *d->owner);
    if (!d->sizes || !d->owner)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the offsets of %zu windows", n);
    for (long k = 0; k < d->windows; k++) {
        int taken = gridr_pipeline_job_taken(job, k);
        d->sizes[k] = taken ? 0 : GRIDR__DIST_UNKNOWN;
        d->owner[k] = taken ? -1 : 0;
    }
    d->cursor = gridr_pipeline_job_tiles_end(job);
    return 0;
}

static int leader_shared(void *user, gridr_pipeline_job *job, gridr_pipeline_shared *info)
{
    gridr_dist *d = user;
    d->shared_called = 1;
    d->joined = !info->alone;
    d->windows = (long)info->windows;
    d->encoded = !info->alone && info->codec.compression > 1;
    int rc = gridr__dist_bcast_info(info);
    if (rc == 0 && d->encoded)
        rc = start_tables(d, job);
    return rc;
}

static int leader_source(void *user, gridr_pipeline_job *job, long *k)
{
    gridr_dist *d = user;
    int rc = serve(d, job);
    if (rc)
        return rc;
    *k = take(d, job);
    if (*k < 0)
        return GRIDR_SCHED_END;
    d->ranks[0].handed++;
    d->own_windows++;
    return 0;
}

static int leader_poll(void *user, gridr_pipeline_job *job)
{
    return serve(user, job);
}

static int leader_encoded(void *user, gridr_pipeline_job *job, long k, uint64_t bytes)
{
    return want_room(user, job, 0, k, bytes);
}

static int leader_done(void *user, gridr_pipeline_job *job, long k, const char *note)
{
    (void)user;
    (void)job;
    (void)k;
    (void)note;
    return 0; /* the leader records its own windows itself */
}

/* The leader's windows are over: wait for every member's end, serving them meanwhile. */
static int leader_drain(void *user, gridr_pipeline_job *job, int rc)
{
    gridr_dist *d = user;
    double asked = 0;
    if (rc)
        stop_job(d);
    while (d->nfin < d->size - 1) {
        MPI_Status st;
        int got = gridr__dist_probe(d, 0, &st);
        int e = got < 0 ? got : got ? serve_one(d, job, &st) : 0;
        if (!got && gridr__dist_now() - asked > 0.05) { /* a signal: stop waiting, keep what is */
            asked = gridr__dist_now();
            if (!gridr_pipeline_job_progress(job)) {
                stop_job(d);
                return rc ? rc : gridr__fail(GRIDR_ECANCELED, "cancelled while the ranks finish");
            }
        }
        if (!got) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
        if (e && !rc) {
            rc = e;
            stop_job(d);
        }
    }
    if (rc == 0 && d->rc_fin)
        rc = gridr__fail(d->rc_fin, "%s", d->msg_fin);
    if (rc == 0 && d->encoded && d->alloc_next < d->windows)
        rc = gridr__fail(GRIDR_EPARTIAL, "%ld windows of the job were not written",
                         d->windows - d->alloc_next);
    return rc;
}

static void reset_job(gridr_dist *d)
{
    d->next = d->windows = d->alloc_next = 0;
    d->aborting = d->nfin = d->rc_fin = d->encoded = d->shared_called = d->joined = 0;
    d->own_windows = 0;
    d->msg_fin[0] = 0;
    memset(d->ranks, 0, (size_t)d->size * sizeof *d->ranks);
}

int gridr_dist_run(gridr_dist *d, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                   long index, gridr_sched_progress_fn progress, void *progress_arg,
                   gridr_pipeline_report *rep)
{
    gridr_pipeline_peers peers = {d,           0,           leader_shared,  leader_source,
                                  leader_poll, leader_done, leader_encoded, leader_drain};
    if (!d->ranks && (d->ranks = calloc((size_t)d->size, sizeof *d->ranks)) == NULL)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the ranks' figures");
    reset_job(d);
    d->nranks = 0;
    int rc = gridr__dist_header(d, index);
    double t0 = gridr__dist_now();
    if (rc == 0)
        rc = gridr_pipeline_run_shared(s, reg, j, progress, progress_arg, rep, &peers);
    if (!d->shared_called) { /* set-up failed or nothing to do: the members skip the job */
        gridr_pipeline_shared info;
        memset(&info, 0, sizeof info);
        info.alone = 1;
        int e = gridr__dist_bcast_info(&info);
        rc = rc ? rc : e;
    }
    gridr_dist_rank *me = &d->ranks[0];
    uint64_t others = 0;
    for (int m = 1; m < d->size; m++)
        others += d->ranks[m].bytes_written;
    snprintf(me->host, sizeof me->host, "%s", d->host);
    snprintf(me->run_id, sizeof me->run_id, "%s", reg ? gridr_registry_run_id(reg) : "");
    me->windows = d->own_windows;
    me->seconds = gridr__dist_now() - t0;
    me->bytes_read = rep ? rep->bytes_read : 0;
    me->bytes_written = rep && rep->bytes_written > others ? rep->bytes_written - others : 0;
    d->nranks = d->joined ? d->size : 0;
    return rc;
}
