/* gridr: the other ranks' side of a shared job: windows asked for ahead of need, compressed
 * windows written where rank 0 placed them, written windows reported (durable first). */
#include "base/internal.h"
#include "dist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds between two reports of written windows (each after an fdatasync when resumable). */
#define FLUSH_SECONDS 0.5

/* ---- windows asked for ----------------------------------------------------------------------- */

static int push(gridr_dist *d, long k)
{
    if (d->qhead > 0 && d->qhead + d->qlen == d->qcap) { /* room at the front: move down */
        memmove(d->queue, d->queue + d->qhead, (size_t)d->qlen * sizeof *d->queue);
        d->qhead = 0;
    }
    int rc = gridr__dist_grow((void **)&d->queue, &d->qcap, d->qlen, sizeof *d->queue,
                              "the window queue");
    if (rc)
        return rc;
    d->queue[d->qhead + d->qlen++] = k;
    return 0;
}

/* Ask for more while fewer windows than workers are waiting here. */
static int ask(gridr_dist *d)
{
    long want = 2L * d->workers - d->qlen;
    if (d->want_out || d->ended || d->qlen >= d->workers)
        return 0;
    int64_t v[2] = {d->seq, want > 0 ? want : 1};
    d->want_out = 1;
    return gridr__dist_send(d, 0, GRIDR__TAG_WANT, v, 2);
}

static int on_give(gridr_dist *d, const int64_t *v, int n)
{
    int rc = 0;
    d->want_out = 0;
    if (n <= 1)
        d->ended = 1;
    for (int i = 1; rc == 0 && i < n; i++)
        rc = push(d, (long)v[i]);
    return rc;
}

/* ---- written windows reported ---------------------------------------------------------------- */

static int put_bytes(gridr_dist *d, const void *p, size_t n)
{
    if (d->dlen + n > d->dcap) {
        size_t cap = GRIDR__MAX(2 * d->dcap, d->dlen + n + 4096);
        unsigned char *b = realloc(d->dbuf, cap);
        if (!b)
            return gridr__fail(GRIDR_ENOMEM, "no memory for the report of windows");
        d->dbuf = b;
        d->dcap = cap;
    }
    memcpy(d->dbuf + d->dlen, p, n);
    d->dlen += n;
    return 0;
}

/* Send the windows written since the last report (made durable first when `sync`). */
static int flush(gridr_dist *d, gridr_pipeline_job *job, int sync)
{
    d->last_flush = gridr__dist_now();
    if (d->dcount == 0)
        return 0;
    int rc = sync ? gridr_pipeline_job_sync(job) : 0;
    if (rc)
        return rc;
    int64_t head[2] = {d->seq, d->dcount};
    memcpy(d->dbuf, head, sizeof head);
    rc = gridr__dist_post(d, 0, GRIDR__TAG_DONE, d->dbuf, d->dlen);
    d->dlen = sizeof head;
    d->dcount = 0;
    return rc;
}

static int member_done(void *user, gridr_pipeline_job *job, long k, const char *note)
{
    gridr_dist *d = user;
    int64_t k64 = k;
    int32_t nl = (int32_t)strlen(note) + 1;
    int rc = put_bytes(d, &k64, sizeof k64);
    if (rc == 0)
        rc = put_bytes(d, &nl, sizeof nl);
    if (rc == 0)
        rc = put_bytes(d, note, (size_t)nl);
    d->dcount += rc == 0;
    d->own_windows += rc == 0;
    if (rc == 0 && gridr__dist_now() - d->last_flush > FLUSH_SECONDS)
        rc = flush(d, job, d->resumable);
    return rc;
}

/* ---- messages from rank 0 ------------------------------------------------------------------ */

static int on_message(gridr_dist *d, gridr_pipeline_job *job, const MPI_Status *st)
{
    unsigned char *b;
    int len;
    int rc = gridr__dist_recv(d, st, &b, &len);
    if (rc)
        return rc;
    int n = len / (int)sizeof(int64_t);
    int64_t *v = (int64_t *)(void *)b;
    if (n >= 1 && v[0] == d->seq && st->MPI_SOURCE == 0) {
        if (st->MPI_TAG == GRIDR__TAG_GIVE)
            rc = on_give(d, v, n);
        else if (st->MPI_TAG == GRIDR__TAG_OFFSET && n >= 3) {
            d->held--;
            rc = gridr_pipeline_job_place(job, (long)v[1], (uint64_t)v[2]);
        }
    } /* else a message of an earlier job: dropped */
    free(b);
    return rc;
}

static int receive(gridr_dist *d, gridr_pipeline_job *job, int wait)
{
    MPI_Status st;
    int got, rc = 0;
    while (rc == 0 && (got = gridr__dist_probe(d, wait, &st)) > 0) {
        rc = on_message(d, job, &st);
        wait = 0;
    }
    return rc ? rc : got < 0 ? got : 0;
}

/* ---- the pipeline's hooks ------------------------------------------------------------------ */

static int member_shared(void *user, gridr_pipeline_job *job, gridr_pipeline_shared *info)
{
    gridr_dist *d = user;
    (void)job;
    int rc = gridr__dist_bcast_info(info);
    d->info_done = 1;
    d->resumable = info->resumable;
    return rc;
}

static int member_source(void *user, gridr_pipeline_job *job, long *k)
{
    gridr_dist *d = user;
    int rc = receive(d, job, 0);
    if (rc == 0)
        rc = ask(d);
    if (rc)
        return rc;
    if (d->qlen > 0) {
        *k = d->queue[d->qhead++];
        d->qlen--;
        return ask(d);
    }
    return d->ended ? GRIDR_SCHED_END : GRIDR_SCHED_WAIT;
}

static int member_poll(void *user, gridr_pipeline_job *job)
{
    gridr_dist *d = user;
    int rc = receive(d, job, 0);
    if (rc == 0 && gridr__dist_now() - d->last_flush > FLUSH_SECONDS)
        rc = flush(d, job, d->resumable);
    return rc;
}

static int member_encoded(void *user, gridr_pipeline_job *job, long k, uint64_t bytes)
{
    gridr_dist *d = user;
    int64_t v[3] = {d->seq, k, (int64_t)bytes};
    (void)job;
    d->held++;
    return gridr__dist_send(d, 0, GRIDR__TAG_SIZE, v, 3);
}

/* The last word on the job to rank 0: how this part ended, its figures. */
static int send_fin(gridr_dist *d, int rc, double t0)
{
    gridr__dist_fin f;
    memset(&f, 0, sizeof f);
    f.seq = d->seq;
    f.rc = rc;
    f.windows = d->own_windows;
    f.seconds = gridr__dist_now() - t0;
    f.bytes_read = d->fin_read;
    f.bytes_written = d->fin_written;
    snprintf(f.host, sizeof f.host, "%s", d->host);
    snprintf(f.run_id, sizeof f.run_id, "%s", d->run_id);
    if (rc)
        snprintf(f.msg, sizeof f.msg, "%s", gridr_last_error());
    return gridr__dist_post(d, 0, GRIDR__TAG_FIN, &f, sizeof f);
}

/* This rank's windows are over: wait for the offsets of its compressed windows, report what it
 * wrote (durable), then its end. A failed part tells rank 0 at once (its job fails). */
static int member_drain(void *user, gridr_pipeline_job *job, int rc)
{
    gridr_dist *d = user;
    gridr_pipeline_shared info;
    if (!d->info_done) { /* failed before the plan came: take it, to stay in step */
        memset(&info, 0, sizeof info);
        int e = gridr__dist_bcast_info(&info);
        d->info_done = 1;
        if (e || info.alone)
            return rc ? rc : e;
    }
    while (rc == 0 && d->held > 0)
        rc = receive(d, job, 1);
    if (rc == 0)
        rc = flush(d, job, 1);
    gridr_pipeline_job_bytes(job, &d->fin_read, &d->fin_written);
    int e = send_fin(d, rc, d->t0);
    return rc ? rc : e;
}

int gridr_dist_member_run(gridr_dist *d, gridr_sched *s, gridr_registry *reg, const gridr_job *j,
                          gridr_pipeline_report *rep)
{
    snprintf(d->run_id, sizeof d->run_id, "%s", reg ? gridr_registry_run_id(reg) : "");
    gridr_pipeline_peers peers = {d,           1,           member_shared,  member_source,
                                  member_poll, member_done, member_encoded, member_drain};
    d->qhead = d->qlen = 0;
    d->want_out = d->ended = d->info_done = d->resumable = 0;
    d->held = d->dcount = d->own_windows = 0;
    d->dlen = 2 * sizeof(int64_t);
    d->workers = gridr_sched_workers(s);
    d->t0 = d->last_flush = gridr__dist_now();
    int rc = put_bytes(d, "", 0); /* room for the head of the first report */
    if (rc == 0)
        rc = gridr_pipeline_run_shared(s, NULL, j, NULL, NULL, rep, &peers);
    return rc;
}
