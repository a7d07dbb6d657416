/* gridr: a batch's jobs spread whole over the ranks: rank 0 hands each rank its next job on
 * demand and keeps the jobs the others finished for its report. */
#include "base/internal.h"
#include "dist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gridr_dist_spread_begin(gridr_dist *d, long first, long end)
{
    d->seq = first;
    d->spread_next = first;
    d->spread_end = end;
    d->spread_told = 0;
    d->nresults = 0;
    return gridr__dist_header2(d, first, end);
}

long gridr_dist_spread_take(gridr_dist *d)
{
    return d->spread_next < d->spread_end ? d->spread_next++ : -1;
}

void gridr_dist_spread_stop(gridr_dist *d)
{
    d->spread_next = d->spread_end;
}

int gridr_dist_spread_over(const gridr_dist *d)
{
    return d->spread_told >= d->size - 1;
}

/* A member's finished job, kept for gridr_dist_spread_result. */
static int keep_result(gridr_dist *d, int m, const unsigned char *b, int len)
{
    int rc = gridr__dist_grow((void **)&d->results, &d->capresults, d->nresults, sizeof *d->results,
                              "the ranks' jobs");
    if (rc)
        return rc;
    gridr_dist_job *r = &d->results[d->nresults];
    memset(r, 0, sizeof *r);
    memcpy(r, b + sizeof(int64_t), GRIDR__MIN((size_t)len - sizeof(int64_t), sizeof *r));
    r->rank = m;
    r->msg[sizeof r->msg - 1] = 0;
    r->who.host[sizeof r->who.host - 1] = 0;
    r->who.run_id[sizeof r->who.run_id - 1] = 0;
    if (r->index < d->seq || r->index >= d->spread_end)
        return gridr__fail(GRIDR_EINVAL, "rank %d reports job %lld, not one it was given", m,
                           (long long)r->index + 1);
    d->nresults++;
    return 0;
}

/* Member m asks for a job, with the one it finished (index -1: none). */
static int on_want(gridr_dist *d, int m, const unsigned char *b, int len)
{
    int64_t index = -1;
    if ((size_t)len >= sizeof(int64_t) + sizeof index)
        memcpy(&index, b + sizeof(int64_t), sizeof index);
    int rc = index >= 0 ? keep_result(d, m, b, len) : 0;
    int64_t v[2] = {d->seq, gridr_dist_spread_take(d)};
    if (rc == 0)
        rc = gridr__dist_send(d, m, GRIDR__TAG_JGIVE, v, 2);
    d->spread_told += v[1] < 0;
    return rc;
}

int gridr_dist_spread_serve(gridr_dist *d)
{
    MPI_Status st;
    int got, rc = 0;
    while (rc == 0 && (got = gridr__dist_probe(d, 0, &st)) > 0) {
        unsigned char *b;
        int len, m = st.MPI_SOURCE;
        if ((rc = gridr__dist_recv(d, &st, &b, &len)) != 0)
            return rc;
        int64_t seq = -2;
        memcpy(&seq, b, GRIDR__MIN((size_t)len, sizeof seq));
        if (seq == d->seq && st.MPI_TAG == GRIDR__TAG_JWANT && m > 0 && m < d->size)
            rc = on_want(d, m, b, len);
        free(b); /* else a late message of an earlier job: dropped */
    }
    return rc ? rc : got < 0 ? got : 0;
}

int gridr_dist_spread_result(gridr_dist *d, gridr_dist_job *out)
{
    if (d->nresults == 0)
        return 0;
    *out = d->results[0];
    memmove(d->results, d->results + 1, (size_t)--d->nresults * sizeof *d->results);
    return 1;
}

void gridr_dist_job_init(const gridr_dist *d, gridr_registry *reg, long index, gridr_dist_job *j)
{
    memset(j, 0, sizeof *j);
    j->index = index;
    j->rank = d->rank;
    snprintf(j->who.host, sizeof j->who.host, "%s", d->host);
    snprintf(j->who.run_id, sizeof j->who.run_id, "%s", reg ? gridr_registry_run_id(reg) : "");
}

int gridr_dist_spread_ask(gridr_dist *d, const gridr_dist_job *done, long *index)
{
    unsigned char b[sizeof(int64_t) + sizeof *done];
    int64_t seq = d->seq, none = -1;
    memcpy(b, &seq, sizeof seq);
    if (done)
        memcpy(b + sizeof seq, done, sizeof *done);
    else
        memcpy(b + sizeof seq, &none, sizeof none);
    int rc =
        gridr__dist_post(d, 0, GRIDR__TAG_JWANT, b, done ? sizeof b : sizeof seq + sizeof none);
    for (MPI_Status st; rc == 0;) { /* rank 0's answer (polled: a signal is seen) */
        int got = gridr__dist_probe(d, 1, &st);
        unsigned char *m;
        int len;
        if (got < 0 || (rc = gridr__dist_recv(d, &st, &m, &len)) != 0)
            return got < 0 ? got : rc;
        int64_t v[2] = {-2, -1};
        memcpy(v, m, GRIDR__MIN((size_t)len, sizeof v));
        free(m);
        if (st.MPI_TAG == GRIDR__TAG_JGIVE && v[0] == d->seq) {
            *index = (long)v[1];
            return 0;
        }
    }
    return rc;
}
