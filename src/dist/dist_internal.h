/* gridr: what the MPI layer's files share (never installed). */
#ifndef GRIDR_DIST_INTERNAL_H
#define GRIDR_DIST_INTERNAL_H

#include "gridr/dist.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* Message tags (every payload starts with the job's sequence number). */
enum {
    GRIDR__TAG_WANT = 11,   /* member -> 0: {seq, n}: up to n more windows */
    GRIDR__TAG_GIVE = 12,   /* 0 -> member: {seq, k...}: windows; none: no more */
    GRIDR__TAG_SIZE = 13,   /* member -> 0: {seq, k, bytes}: a compressed window wants room */
    GRIDR__TAG_OFFSET = 14, /* 0 -> member: {seq, k, offset} (GRIDR_PIPELINE_NO_PLACE: drop) */
    GRIDR__TAG_DONE = 15,   /* member -> 0: {seq, n, (k, len, note)...}: windows written */
    GRIDR__TAG_FIN = 16,    /* member -> 0: gridr__dist_fin: its part is over */
    GRIDR__TAG_JWANT = 17,  /* member -> 0: {seq, gridr_dist_job | -1}: a job done, the next? */
    GRIDR__TAG_JGIVE = 18   /* 0 -> member: {seq, index}: a whole job to run; -1: no more */
};

/* A member's last word on a job. */
typedef struct gridr__dist_fin {
    int64_t seq;
    int32_t rc, pad;
    int64_t windows;
    double seconds;
    uint64_t bytes_read, bytes_written;
    char host[64];
    char run_id[24];
    char msg[512];
} gridr__dist_fin;

/* A message being sent (its own copy of the bytes). */
typedef struct gridr__dist_sending {
    MPI_Request req;
    void *buf;
} gridr__dist_sending;

/* Offsets not known yet (the leader's allocation table). */
#define GRIDR__DIST_UNKNOWN UINT64_MAX

struct gridr_dist {
    int rank, size;
    char host[64];
    char run_id[24]; /* this rank's registry's */
    int64_t seq;     /* the job going on (its index in the batch) */
    double t0;       /* its start */
    /* leader */
    long next, windows;
    int aborting, nfin, rc_fin, encoded;
    char msg_fin[640];
    uint64_t *sizes, cursor;
    double place_seconds; /* rank 0's own compressed windows written (in allocate) */
    int *owner;
    long alloc_next;
    gridr_dist_rank *ranks;
    int nranks;
    int shared_called, joined;
    /* member */
    long *queue;
    long qhead, qlen, qcap;
    int want_out, ended, info_done, resumable, workers;
    long held; /* compressed windows waiting for an offset */
    unsigned char *dbuf;
    size_t dlen, dcap;
    long dcount;
    double last_flush;
    /* a batch's jobs spread whole (dist_spread.c) */
    long spread_next, spread_end; /* rank 0: the next job to hand out, the phase's end */
    int spread_told;              /* rank 0: members told that no job is left */
    gridr_dist_job *results;      /* rank 0: the members' finished jobs, not taken yet */
    long nresults, capresults;
    /* both */
    long own_windows;
    uint64_t fin_read, fin_written;
    gridr__dist_sending *sends; /* in flight */
    int nsend;
    long capsend;
};

double gridr__dist_now(void);
/* Room for n + 1 elements of `elem` bytes in *v (capacity *cap, doubled when full). */
int gridr__dist_grow(void **v, long *cap, long n, size_t elem, const char *what);
/* Send len bytes of buf (copied) to `to`, without blocking. */
int gridr__dist_post(gridr_dist *d, int to, int tag, const void *buf, size_t len);
/* Send `n` int64 values to `to` (as gridr__dist_post). */
int gridr__dist_send(gridr_dist *d, int to, int tag, const int64_t *v, int n);
/* A message that is there (MPI_Iprobe) or, with wait, the next one: its source, tag and bytes
 * into *st; 0 none (without wait). Negative: an MPI error. */
int gridr__dist_probe(gridr_dist *d, int wait, MPI_Status *st);
/* Receive the probed message into a malloc'ed buffer (*len bytes). */
int gridr__dist_recv(gridr_dist *d, const MPI_Status *st, unsigned char **buf, int *len);
/* Fail with an MPI error's text. */
int gridr__dist_fail(int err, const char *what);

/* Rank 0: broadcast job `index`'s header (the members' gridr_dist_next). */
int gridr__dist_header(gridr_dist *d, long index);
/* Rank 0: broadcast a header {index, spread_end} (0: job index shared by windows). */
int gridr__dist_header2(gridr_dist *d, long index, long spread_end);
/* Broadcast (rank 0) or receive (the others) the job's plan. */
int gridr__dist_bcast_info(gridr_pipeline_shared *info);

#endif
