/* gridr: the MPI layer's start, end and messages: which process is which rank, the job headers
 * rank 0 broadcasts, and the point-to-point messages of the work queue. */
#include "base/internal.h"
#include "dist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double gridr__dist_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int gridr_dist_launched(void)
{
    return gridr__config_mpi_launched();
}

int gridr__dist_fail(int err, const char *what)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(err, text, &len);
    return gridr__fail(GRIDR_ESYS, "MPI: %s: %s", what, text);
}

int gridr_dist_init(int *argc, char ***argv, gridr_dist **out)
{
    int provided = 0, err;
    *out = NULL;
    gridr_dist *d = calloc(1, sizeof *d);
    if (!d)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the MPI layer");
    /* gridr's messages are a few small ones a window (tiles go through the filesystem): Open
     * MPI's ob1 over its byte transports carries them, and skipping the probe of UCX and OFI
     * saves 0.2 s of start-up a run (2 ranks here). The user's choice (mpirun --mca pml, or
     * OMPI_MCA_pml) wins. */
    setenv("OMPI_MCA_pml", "ob1", 0);
    err = MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE, &provided);
    if (err != MPI_SUCCESS) {
        free(d);
        return gridr__dist_fail(err, "MPI_Init");
    }
    /* errors come back as codes: the caller ends the job with a message */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    if (gethostname(d->host, sizeof d->host - 1) != 0)
        snprintf(d->host, sizeof d->host, "?");
    d->seq = -1;
    *out = d;
    return 0;
}

int gridr_dist_rank_of(const gridr_dist *d)
{
    return d->rank;
}

int gridr_dist_size(const gridr_dist *d)
{
    return d->size;
}

/* Sends in flight, completed as the process polls. Never a blocking send: a peer that died
 * (mpirun ends the job then) must not hold this process inside MPI, deaf to the signal that
 * lets it remove its segments. */
static void reap(gridr_dist *d)
{
    for (int i = 0; i < d->nsend;) {
        int done = 0;
        if (MPI_Test(&d->sends[i].req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || done) {
            free(d->sends[i].buf);
            d->sends[i] = d->sends[--d->nsend];
        } else {
            i++;
        }
    }
}

int gridr__dist_grow(void **v, long *cap, long n, size_t elem, const char *what)
{
    if (n < *cap)
        return 0;
    long c = *cap ? 2 * *cap : 64;
    void *p = realloc(*v, (size_t)c * elem);
    if (!p)
        return gridr__fail(GRIDR_ENOMEM, "no memory for %s", what);
    *v = p;
    *cap = c;
    return 0;
}

int gridr__dist_post(gridr_dist *d, int to, int tag, const void *buf, size_t len)
{
    reap(d);
    int rc = gridr__dist_grow((void **)&d->sends, &d->capsend, d->nsend, sizeof *d->sends,
                              "the messages in flight");
    if (rc)
        return rc;
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return gridr__fail(GRIDR_ENOMEM, "no memory for a message of %zu bytes", len);
    memcpy(copy, buf, len);
    gridr__dist_sending *s = &d->sends[d->nsend];
    int err = MPI_Isend(copy, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD, &s->req);
    if (err != MPI_SUCCESS) {
        free(copy);
        return gridr__dist_fail(err, "send");
    }
    s->buf = copy;
    d->nsend++;
    return 0;
}

int gridr__dist_send(gridr_dist *d, int to, int tag, const int64_t *v, int n)
{
    return gridr__dist_post(d, to, tag, v, (size_t)n * sizeof *v);
}

/* Wait for the sends in flight (a normal end: every peer is there to take them). */
static void flush_sends(gridr_dist *d)
{
    while (d->nsend > 0) {
        reap(d);
        struct timespec ts = {0, 100000};
        if (d->nsend > 0)
            nanosleep(&ts, NULL);
    }
}

int gridr__dist_probe(gridr_dist *d, int wait, MPI_Status *st)
{
    int flag = 0;
    reap(d);
    if (!wait) {
        int err = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
        return err == MPI_SUCCESS ? flag : gridr__dist_fail(err, "probe");
    }
    /* Polled rather than blocked in MPI: a signal (the launcher ending the job) is seen here. */
    for (long spins = 0;; spins++) {
        reap(d);
        int err = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
        if (err != MPI_SUCCESS)
            return gridr__dist_fail(err, "probe");
        if (flag)
            return 1;
        struct timespec ts = {0, spins < 1000 ? 20000 : 500000};
        nanosleep(&ts, NULL);
    }
}

int gridr__dist_recv(gridr_dist *d, const MPI_Status *st, unsigned char **buf, int *len)
{
    (void)d;
    MPI_Get_count(st, MPI_BYTE, len);
    *buf = malloc(*len > 0 ? (size_t)*len : 1);
    if (!*buf)
        return gridr__fail(GRIDR_ENOMEM, "no memory for a message of %d bytes", *len);
    int err = MPI_Recv(*buf, *len, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE);
    if (err != MPI_SUCCESS) {
        free(*buf);
        *buf = NULL;
        return gridr__dist_fail(err, "receive");
    }
    return 0;
}

/* ---- job headers ------------------------------------------------------------------------- */

/* A job header: {index, spread_end}; index -1 ends the batch. */
static int bcast_header(gridr_dist *d, int64_t v[2])
{
    (void)d;
    int err = MPI_Bcast(v, 2, MPI_INT64_T, 0, MPI_COMM_WORLD);
    return err == MPI_SUCCESS ? 0 : gridr__dist_fail(err, "broadcast of the next job");
}

int gridr__dist_bcast_info(gridr_pipeline_shared *info)
{
    int err = MPI_Bcast(info, (int)sizeof *info, MPI_BYTE, 0, MPI_COMM_WORLD);
    return err == MPI_SUCCESS ? 0 : gridr__dist_fail(err, "broadcast of the job's plan");
}

int gridr_dist_end(gridr_dist *d)
{
    int64_t v[2] = {-1, 0};
    return d->size > 1 ? bcast_header(d, v) : 0;
}

int gridr_dist_next(gridr_dist *d, long *index, long *spread_end)
{
    int64_t v[2] = {-1, 0};
    int rc = bcast_header(d, v);
    *index = rc ? -1 : (long)v[0];
    *spread_end = rc ? 0 : (long)v[1];
    d->seq = v[0];
    return rc;
}

int gridr__dist_header2(gridr_dist *d, long index, long spread_end)
{
    int64_t v[2] = {index, spread_end};
    d->seq = index;
    return d->size > 1 ? bcast_header(d, v) : 0;
}

int gridr__dist_header(gridr_dist *d, long index)
{
    return gridr__dist_header2(d, index, 0);
}

const gridr_dist_rank *gridr_dist_ranks(const gridr_dist *d, int *n)
{
    *n = d->nranks;
    return d->ranks;
}

void gridr_dist_finalize(gridr_dist *d)
{
    if (!d)
        return;
    flush_sends(d);
    MPI_Finalize();
    free(d->ranks);
    free(d->queue);
    free(d->dbuf);
    free(d->sizes);
    free(d->owner);
    free(d->sends);
    free(d->results);
    free(d);
}

void gridr_dist_abort(gridr_dist *d, int code)
{
    (void)d;
    MPI_Abort(MPI_COMM_WORLD, code);
    _exit(code); /* not reached */
}
