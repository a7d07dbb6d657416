/* gridr: one scheduler run: the ring of slots, the event loop, failures, signals, progress. */
#include "base/internal.h"
#include "gridr/sma.h"
#include "gridr/registry.h"
#include "gridr/sched.h"
#include "sched_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* A slot goes FREE -> READY (prepared) -> RUNNING (on a worker) -> DONE (answered) -> FREE
 * (finished); RETRY: its window must be prepared again for another attempt. */
enum { SLOT_FREE = 0, SLOT_RETRY, SLOT_READY, SLOT_RUNNING, SLOT_DONE };

typedef struct slot {
    gridr_sma *seg[GRIDR_SCHED_MAX_ARRAYS];
    gridr_array arr[GRIDR_SCHED_MAX_ARRAYS];
    size_t cap[GRIDR_SCHED_MAX_ARRAYS];
    long k;
    int attempt;
    int state;
    int worker;
    long deadline; /* RUNNING with a timeout: CLOCK_MONOTONIC ms when its worker is killed */
    int timed_out; /* its worker was killed for the timeout */
    unsigned char winp[GRIDR_SCHED_WIN_PARAMS_MAX];
} slot;

typedef struct run {
    gridr_sched *s;
    const gridr_sched_run_desc *d;
    gridr_registry *reg;
    int own_reg;
    slot *sl;
    int nslots;
    long next, settled;
    long pending; /* with a source: the window it gave, not prepared yet (-1: none) */
    int src_end;  /* with a source: it said GRIDR_SCHED_END */
    int src_rc;   /* with a source: its error */
    int stopping;
    struct pollfd *pfd;
    int *pmap;
    unsigned char runp[GRIDR_SCHED_RUN_PARAMS_MAX];
    gridr__win_msg winmsg;
    gridr__sigsave sigs;
} run;

/* ---- messages ---------------------------------------------------------------------------- */

static void window_name(const run *r, long k, char *buf, size_t len)
{
    char desc[160] = "";
    if (r->d->describe)
        r->d->describe(r->d->user, k, desc, sizeof desc);
    if (desc[0])
        snprintf(buf, len, "window %ld [%s]", k, desc);
    else
        snprintf(buf, len, "window %ld", k);
}

static int record_failure(run *r, long k, const char *msg)
{
    gridr_sched *s = r->s;
    if (s->nfailures == s->cap_failures) {
        size_t cap = s->cap_failures ? 2 * s->cap_failures : 8;
        gridr__failure *f = realloc(s->failures, cap * sizeof *f);
        if (f)
            s->failures = f;
        long *ix = f ? realloc(s->failed_idx, cap * sizeof *ix) : NULL;
        if (ix)
            s->failed_idx = ix;
        if (!f || !ix)
            return gridr__fail(GRIDR_ENOMEM, "scheduler: out of memory recording failures");
        s->cap_failures = cap;
    }
    s->failures[s->nfailures].window = k;
    snprintf(s->failures[s->nfailures].msg, sizeof s->failures[0].msg, "%s", msg);
    s->failed_idx[s->nfailures++] = k;
    s->st.failed++;
    return 0;
}

static int partial_result(run *r)
{
    gridr_sched *s = r->s;
    char list[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < s->nfailures && used < sizeof list - 24; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%ld", i ? ", " : "",
                                 s->failed_idx[i]);
    if (s->nfailures > 0 && used >= sizeof list - 24)
        snprintf(list + used, sizeof list - used, ", ...");
    return gridr__fail(GRIDR_EPARTIAL, "%zu of %ld windows failed (%s); first: %s", s->nfailures,
                       r->d->windows, list, s->failures[0].msg);
}

static int cancelled(run *r, int sig)
{
    r->s->last_signal = sig;
    if (sig)
        return gridr__fail(GRIDR_ECANCELED, "cancelled by SIG%s (%ld of %ld windows done)",
                           sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", r->settled, r->d->windows);
    return gridr__fail(GRIDR_ECANCELED,
                       "cancelled by the progress callback (%ld of %ld windows "
                       "done)",
                       r->settled, r->d->windows);
}

/* ---- time limits ------------------------------------------------------------------------- */

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A window just sent to a worker: its attempt may last until now + timeout. */
static void start_clock(const run *r, slot *sl)
{
    double t = r->s->o.timeout;
    sl->timed_out = 0;
    sl->deadline = t > 0 ? now_ms() + (long)ceil(t * 1000.0) : 0;
}

/* Milliseconds until the first running window's deadline, at most `ms` (-1: no bound). */
static int next_deadline(const run *r, int ms)
{
    if (r->s->o.timeout <= 0)
        return ms;
    long now = now_ms();
    for (int i = 0; i < r->nslots; i++) {
        const slot *sl = &r->sl[i];
        if (sl->state != SLOT_RUNNING || sl->timed_out)
            continue;
        long left = GRIDR__MAX(sl->deadline - now, 0L);
        if (ms < 0 || left < ms)
            ms = (int)GRIDR__MIN(left, (long)INT_MAX);
    }
    return ms;
}

/* Kill the workers past their window's deadline; their deaths (REAPED) fail or retry the
 * windows, with a message saying they timed out (on_death). */
static int kill_late(run *r)
{
    if (r->s->o.timeout <= 0)
        return 0;
    long now = now_ms();
    for (int i = 0; i < r->nslots; i++) {
        slot *sl = &r->sl[i];
        if (sl->state != SLOT_RUNNING || sl->timed_out || now < sl->deadline)
            continue;
        sl->timed_out = 1;
        int rc =
            gridr__send_ctl(r->s, GRIDR__CTL_SIGNAL, sl->worker, SIGKILL, r->s->w[sl->worker].pid);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- window life ------------------------------------------------------------------------- */

static int progress(run *r)
{
    const gridr_sched_run_desc *d = r->d;
    if (d->progress && !d->progress((double)r->settled / (double)d->windows, NULL, d->progress_arg))
        return cancelled(r, 0);
    return 0;
}

/* Window of `sl` is over: with `ok`, hand its results to finish; free the slot. */
static int settle(run *r, slot *sl, int ok)
{
    if (ok && r->d->finish) {
        gridr_clear_error();
        int rc = r->d->finish(r->d->user, sl->k, sl->arr, r->d->narrays);
        if (rc) {
            char name[256];
            window_name(r, sl->k, name, sizeof name);
            return gridr__fail(rc < 0 ? rc : GRIDR_EINVAL, "%s: finish: %s", name,
                               gridr_last_error()[0] ? gridr_last_error() : gridr_strerror(rc));
        }
    }
    r->s->st.done += ok;
    sl->state = SLOT_FREE;
    sl->worker = -1;
    r->settled++;
    return progress(r);
}

/* A window failed on `text`. Retry it if allowed, else record it and stop the run (or go on,
 * with keep_going). */
static int fail_window(run *r, slot *sl, int code, const char *text, int retryable)
{
    gridr_sched *s = r->s;
    char name[256], msg[512];
    int tries = s->o.retries + 1;
    if (retryable && sl->attempt < tries) {
        sl->state = SLOT_RETRY;
        sl->attempt++;
        s->st.retried++;
        return 0;
    }
    window_name(r, sl->k, name, sizeof name);
    snprintf(msg, sizeof msg, "%s attempt %d/%d: %s", name, sl->attempt, tries, text);
    int rc = record_failure(r, sl->k, msg);
    if (rc)
        return rc;
    if (!s->o.keep_going)
        return gridr__fail(code, "%s", msg);
    return settle(r, sl, 0);
}

/* prepare may reshape an array, but only as a contiguous array in the slot's memory. */
static int shape_fits(const slot *sl, int i)
{
    const gridr_array *a = &sl->arr[i];
    if (a->data != gridr_sma_array(sl->seg[i]).data || !gridr_dtype_size(a->dtype) ||
        a->bands < 0 || a->rows < 0 || a->cols < 0 || a->row_stride != a->cols ||
        a->band_stride != a->rows * a->cols)
        return 0;
    if (a->bands == 0 || a->rows == 0 || a->cols == 0)
        return 1; /* an empty array */
    size_t bytes = gridr_sma_bytes_for(a->dtype, a->bands, a->rows, a->cols);
    return bytes > 0 && bytes <= sl->cap[i];
}

static int check_shapes(const run *r, const slot *sl)
{
    for (int i = 0; i < r->d->narrays; i++) {
        const gridr_array *a = &sl->arr[i];
        if (!shape_fits(sl, i)) {
            char name[256];
            window_name(r, sl->k, name, sizeof name);
            return gridr__fail(
                GRIDR_ERANGE,
                "%s: prepare gave array %d the shape %s %d x %ld x %ld (strides %ld, "
                "%ld), which is not a contiguous array of its slot (%zu bytes)",
                name, i, gridr_dtype_name(a->dtype), a->bands, a->rows, a->cols, a->band_stride,
                a->row_stride, sl->cap[i]);
        }
    }
    return 0;
}

static int prepare_slot(run *r, slot *sl)
{
    const gridr_sched_run_desc *d = r->d;
    if (sl->state == SLOT_FREE) {
        sl->k = r->d->source ? r->pending : r->next++;
        r->pending = -1;
        sl->attempt = 1;
    }
    for (int i = 0; i < d->narrays; i++)
        sl->arr[i] = gridr_sma_array(sl->seg[i]);
    memset(sl->winp, 0, sizeof sl->winp);
    int rc = 0;
    if (d->prepare) {
        gridr_clear_error();
        rc = d->prepare(d->user, sl->k, sl->arr, d->narrays, sl->winp);
    }
    if (rc < 0) {
        char name[256];
        window_name(r, sl->k, name, sizeof name);
        return gridr__fail(rc, "%s: prepare: %s", name,
                           gridr_last_error()[0] ? gridr_last_error() : gridr_strerror(rc));
    }
    int rc2 = check_shapes(r, sl);
    if (rc2)
        return rc2;
    if (rc == GRIDR_SCHED_NO_WORK) {
        r->s->st.skipped++;
        return settle(r, sl, 1);
    }
    sl->state = SLOT_READY;
    return 0;
}

/* Whether a new window can be prepared: the next index, or one the source gives. */
static int have_window(run *r)
{
    const gridr_sched_run_desc *d = r->d;
    if (!d->source)
        return r->next < d->windows;
    if (r->pending >= 0 || r->src_end || r->src_rc)
        return r->pending >= 0;
    long k = -1;
    int rc = d->source(d->user, &k);
    if (rc == GRIDR_SCHED_END)
        r->src_end = 1;
    else if (rc == 0 && (k < 0 || k >= d->windows))
        r->src_rc = gridr__fail(GRIDR_EINVAL, "window source: window %ld of %ld", k, d->windows);
    else if (rc < 0)
        r->src_rc = rc;
    else if (rc == 0)
        r->pending = k;
    return r->pending >= 0;
}

/* Whether the run goes on: windows left, or (with a source) in flight or still to come. */
static int run_more(const run *r)
{
    if (!r->d->source)
        return r->settled < r->d->windows;
    if (!r->src_end)
        return 1;
    for (int i = 0; i < r->nslots; i++)
        if (r->sl[i].state != SLOT_FREE)
            return 1;
    return r->pending >= 0;
}

static slot *slot_to_prepare(run *r)
{
    int free_slot = -1;
    for (int i = 0; i < r->nslots; i++) {
        if (r->sl[i].state == SLOT_RETRY)
            return &r->sl[i];
        if (free_slot < 0 && r->sl[i].state == SLOT_FREE)
            free_slot = i;
    }
    return free_slot >= 0 && have_window(r) ? &r->sl[free_slot] : NULL;
}

/* ---- talking to workers ------------------------------------------------------------------ */

static void fill_window(const run *r, const slot *sl, gridr__win_msg *m)
{
    memset(m, 0, sizeof *m);
    m->magic = GRIDR__MSG_MAGIC;
    m->narrays = r->d->narrays;
    m->window = sl->k;
    m->attempt = sl->attempt;
    for (int i = 0; i < r->d->narrays; i++) {
        snprintf(m->arr[i].name, sizeof m->arr[i].name, "%s", gridr_sma_name(sl->seg[i]));
        m->arr[i].dtype = sl->arr[i].dtype;
        m->arr[i].bands = sl->arr[i].bands;
        m->arr[i].rows = sl->arr[i].rows;
        m->arr[i].cols = sl->arr[i].cols;
        m->arr[i].slot_dtype = r->d->arrays[i].dtype;
        m->arr[i].slot_bands = r->d->arrays[i].bands;
        m->arr[i].slot_rows = r->d->arrays[i].rows;
        m->arr[i].slot_cols = r->d->arrays[i].cols;
    }
    memcpy(m->run_params, r->runp, sizeof m->run_params);
    memcpy(m->win_params, sl->winp, sizeof m->win_params);
}

static int idle_worker(const gridr_sched *s)
{
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].state == GRIDR__W_IDLE && !s->w[i].hup)
            return i;
    return -1;
}

static slot *first_ready(run *r)
{
    slot *best = NULL;
    for (int i = 0; i < r->nslots; i++)
        if (r->sl[i].state == SLOT_READY && (!best || r->sl[i].k < best->k))
            best = &r->sl[i];
    return best;
}

static void dispatch_ready(run *r)
{
    gridr_sched *s = r->s;
    gridr__win_msg *m = &r->winmsg;
    for (slot *sl; (sl = first_ready(r));) {
        int wi = idle_worker(s);
        if (wi < 0)
            return;
        fill_window(r, sl, m);
        ssize_t n;
        do
            n = send(s->w[wi].fd, m, sizeof *m, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof *m) {
            s->w[wi].hup = 1; /* it is ending: its REAPED message will come */
            continue;
        }
        s->w[wi].state = GRIDR__W_BUSY;
        s->w[wi].slot = (int)(sl - r->sl);
        sl->state = SLOT_RUNNING;
        sl->worker = wi;
        start_clock(r, sl);
    }
}

static int on_reply(run *r, int wi, const gridr__reply_msg *m)
{
    gridr__worker *w = &r->s->w[wi];
    if (m->magic != GRIDR__MSG_MAGIC || w->state != GRIDR__W_BUSY || w->slot < 0 ||
        r->sl[w->slot].k != m->window)
        return gridr__fail(GRIDR_ECHILD, "worker pid %d sent an unexpected answer (window %ld)",
                           (int)w->pid, (long)m->window);
    slot *sl = &r->sl[w->slot];
    w->state = GRIDR__W_IDLE;
    w->slot = -1;
    sl->worker = -1;
    if (m->status == 0) {
        sl->state = SLOT_DONE; /* finished after the idle worker got its next window */
        return 0;
    }
    char text[GRIDR_SCHED_MSG_MAX + 96];
    if (m->where == GRIDR__AT_ATTACH) {
        snprintf(text, sizeof text, "worker pid %d could not attach the arrays: %s", (int)w->pid,
                 m->msg);
        return fail_window(r, sl, m->status, text, 0);
    }
    snprintf(text, sizeof text, "work function failed in worker pid %d (%s): %s", (int)w->pid,
             gridr_status_name(m->status), m->msg);
    /* A full disk is the run's state, not the window's: the caller sees it as such. */
    return fail_window(r, sl, m->status == GRIDR_ENOSPC ? GRIDR_ENOSPC : GRIDR_EWORK, text, 0);
}

/* Read every answer waiting on worker wi's channel. */
static int drain_worker(run *r, int wi)
{
    gridr__worker *w = &r->s->w[wi];
    while (w->fd >= 0 && !w->hup) {
        gridr__reply_msg m;
        ssize_t n = recv(w->fd, &m, sizeof m, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n == (ssize_t)sizeof m && m.where == GRIDR__AT_UNMAP) {
            w->state = w->state == GRIDR__W_UNMAPPING ? GRIDR__W_IDLE : w->state;
            continue;
        }
        if (n == (ssize_t)sizeof m) {
            int rc = r->stopping ? 0 : on_reply(r, wi, &m);
            if (rc)
                return rc;
            continue;
        }
        /* End of file (or a broken channel): make sure it is dead; REAPED tells how. */
        w->hup = 1;
        gridr__send_ctl(r->s, GRIDR__CTL_SIGNAL, wi, SIGKILL, w->pid);
    }
    return 0;
}

static int on_death(run *r, pid_t pid, int status)
{
    gridr_sched *s = r->s;
    int wi = gridr__worker_by_pid(s, pid);
    if (wi < 0)
        return 0;
    int rc = drain_worker(r, wi);
    int busy = s->w[wi].state == GRIDR__W_BUSY ? s->w[wi].slot : -1;
    gridr__worker_drop(s, wi);
    if (rc || r->stopping)
        return rc;
    rc = gridr__fill_pool(s); /* a replacement, forked by the fork server */
    if (rc || busy < 0)
        return rc;
    char how[64], text[160];
    gridr__wait_text(status, how, sizeof how);
    if (r->sl[busy].timed_out)
        snprintf(text, sizeof text, "timed out after %g s (worker pid %d %s)", s->o.timeout,
                 (int)pid, how);
    else
        snprintf(text, sizeof text, "worker pid %d %s", (int)pid, how);
    return fail_window(r, &r->sl[busy], GRIDR_ECHILD, text, 1);
}

static int no_worker_left(run *r)
{
    gridr_sched *s = r->s;
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].state != GRIDR__W_FAILED)
            return 0;
    return gridr__fail_errno(GRIDR_ESYS, s->spawn_errno, "scheduler: no worker could be forked");
}

static int on_ctl(run *r)
{
    for (;;) {
        gridr__ctl_msg m;
        int fd = -1;
        int rc = gridr__recv_ctl(r->s, &m, &fd);
        if (rc <= 0)
            return rc;
        if (m.op == GRIDR__CTL_REAPED)
            rc = on_death(r, m.pid, m.arg);
        else {
            gridr__apply_spawn(r->s, &m, fd);
            rc = r->stopping ? 0 : no_worker_left(r);
        }
        if (rc)
            return rc;
    }
}

/* Wait up to timeout_ms (-1: until something happens) and handle what happened. */
static int wait_events(run *r, int timeout_ms)
{
    gridr_sched *s = r->s;
    int n = 0;
    r->pfd[n++] = (struct pollfd){s->sigpipe[0], POLLIN, 0};
    r->pfd[n++] = (struct pollfd){s->ctl, POLLIN, 0};
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].fd >= 0 && !s->w[i].hup) {
            r->pmap[n] = i;
            r->pfd[n++] = (struct pollfd){s->w[i].fd, POLLIN, 0};
        }
    int got = poll(r->pfd, (nfds_t)n, timeout_ms);
    if (got < 0 && errno != EINTR)
        return gridr__fail_errno(GRIDR_ESYS, errno, "scheduler: poll");
    int sig = got < 0 || r->pfd[0].revents ? gridr__read_signal(r->s) : 0;
    if (sig && !r->stopping)
        return cancelled(r, sig);
    for (int j = 2; got > 0 && j < n; j++)
        if (r->pfd[j].revents) {
            int rc = drain_worker(r, r->pmap[j]);
            if (rc)
                return rc;
        }
    return got > 0 && r->pfd[1].revents ? on_ctl(r) : 0;
}

static int finish_done(run *r)
{
    int rc = 0;
    for (int i = 0; !rc && i < r->nslots; i++)
        if (r->sl[i].state == SLOT_DONE)
            rc = settle(r, &r->sl[i], 1);
    return rc;
}

/* How long a turn may wait for an event: for ever, or until the next poll of a run that has one
 * (or a source that said "wait"). */
static int poll_wait(const run *r)
{
    if (!r->d->poll && !r->d->source)
        return -1;
    return r->d->poll_ms > 0 ? r->d->poll_ms : 2;
}

/* Each turn: take what happened, give idle workers the windows already prepared, write what is
 * done, then prepare one more window (without blocking while there is one to prepare). */
static int run_loop(run *r)
{
    int rc = progress(r);
    while (!rc && run_more(r)) {
        dispatch_ready(r);
        rc = wait_events(r, next_deadline(r, slot_to_prepare(r) ? 0 : poll_wait(r)));
        if (!rc)
            rc = kill_late(r);
        if (!rc && r->d->poll)
            rc = r->d->poll(r->d->user);
        if (!rc)
            rc = r->src_rc;
        if (rc)
            break;
        dispatch_ready(r);
        rc = finish_done(r);
        slot *p = slot_to_prepare(r);
        if (!rc && p)
            rc = prepare_slot(r, p);
    }
    if (!rc && r->s->nfailures > 0)
        rc = partial_result(r);
    /* A signal sent to the whole process group also kills workers (SIGTERM): the parent's
     * signal, not the deaths it caused, is the reason the run stops. */
    int sig = rc && rc != GRIDR_ECANCELED ? gridr__read_signal(r->s) : 0;
    return sig ? cancelled(r, sig) : rc;
}

/* ---- stopping busy workers --------------------------------------------------------------- */

static int count_state(const gridr_sched *s, int state)
{
    int n = 0;
    for (int i = 0; i < s->nworkers; i++)
        n += s->w[i].state == state;
    return n;
}

static void signal_state(run *r, int state, int sig)
{
    gridr_sched *s = r->s;
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].state == state)
            gridr__send_ctl(s, GRIDR__CTL_SIGNAL, i, sig, s->w[i].pid);
}

/* Handle events until no worker is in `state` any more, for at most `ms`. */
static void wait_state(run *r, int state, long ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (count_state(r->s, state) > 0 && !r->s->broken) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            return;
        wait_events(r, (int)left);
    }
}

/* Forget workers still in `state` (they could not be stopped: the server reaps them later). */
static void drop_state(run *r, int state)
{
    for (int i = 0; i < r->s->nworkers; i++)
        if (r->s->w[i].state == state)
            gridr__worker_drop(r->s, i);
}

/* After a failure: the windows in flight are abandoned, their workers stopped and reaped (the
 * next run replaces them). Idle workers stay. */
static void stop_busy(run *r)
{
    r->stopping = 1;
    signal_state(r, GRIDR__W_BUSY, SIGTERM);
    wait_state(r, GRIDR__W_BUSY, r->s->o.grace_ms);
    signal_state(r, GRIDR__W_BUSY, SIGKILL);
    wait_state(r, GRIDR__W_BUSY, 5000);
    drop_state(r, GRIDR__W_BUSY);
}

/* End of a run: idle workers unmap the run's segments (they keep them mapped between windows),
 * so that releasing the slots really frees the memory. A worker that does not answer is
 * killed. */
static void unmap_workers(run *r)
{
    gridr_sched *s = r->s;
    gridr__win_msg *m = &r->winmsg;
    r->stopping = 1;
    wait_state(r, GRIDR__W_SPAWNING, 2000); /* replacements land: the pool is whole again */
    memset(m, 0, sizeof *m);
    m->magic = GRIDR__MSG_MAGIC;
    m->kind = GRIDR__WIN_UNMAP;
    m->window = -1;
    for (int i = 0; i < s->nworkers; i++) {
        gridr__worker *w = &s->w[i];
        if (w->state != GRIDR__W_IDLE || w->hup)
            continue;
        if (send(w->fd, m, sizeof *m, MSG_NOSIGNAL) == (ssize_t)sizeof *m)
            w->state = GRIDR__W_UNMAPPING;
    }
    wait_state(r, GRIDR__W_UNMAPPING, 2000);
    signal_state(r, GRIDR__W_UNMAPPING, SIGKILL);
    drop_state(r, GRIDR__W_UNMAPPING);
}

/* ---- slots ------------------------------------------------------------------------------- */

/* What a segment of n bytes takes: whole pages, at least one (as gridr_sma maps them). */
static size_t page_round(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return n ? (n + pg - 1) / pg * pg : pg;
}

static int check_room(run *r, size_t bound)
{
    struct statvfs v;
    if (statvfs("/dev/shm", &v) != 0)
        return 0;
    double avail = (double)v.f_bavail * (double)v.f_frsize;
    if ((double)bound <= avail)
        return 0;
    return gridr__fail(GRIDR_ENOSPC,
                       "not enough /dev/shm: the run needs %.1f MiB (%d slots), %.1f MiB are "
                       "free; use fewer workers or a smaller prefetch or window, or enlarge "
                       "/dev/shm (docker --shm-size)",
                       (double)bound / 1048576.0, r->nslots, avail / 1048576.0);
}

static void release_slots(run *r)
{
    for (int j = 0; r->sl && j < r->nslots; j++)
        for (int i = 0; i < r->d->narrays; i++) {
            gridr_sma *a = r->sl[j].seg[i];
            if (!a)
                continue;
            char name[GRIDR_SMA_NAME_MAX];
            snprintf(name, sizeof name, "%s", gridr_sma_name(a));
            r->s->st.shm_bytes -= gridr_sma_bytes(a);
            gridr_sma_detach(a);
            gridr_registry_release(r->reg, name);
            r->sl[j].seg[i] = NULL;
        }
}

static int create_slots(run *r)
{
    const gridr_sched_run_desc *d = r->d;
    gridr_sched *s = r->s;
    size_t per_slot = 0;
    for (int i = 0; i < d->narrays; i++)
        per_slot += page_round(gridr_sma_bytes_for(d->arrays[i].dtype, d->arrays[i].bands,
                                                   d->arrays[i].rows, d->arrays[i].cols));
    s->st.shm_bound = per_slot * (size_t)r->nslots;
    int rc = check_room(r, s->st.shm_bound);
    for (int j = 0; !rc && j < r->nslots; j++) {
        r->sl[j].worker = -1;
        for (int i = 0; !rc && i < d->narrays; i++) {
            const gridr_sched_array_desc *a = &d->arrays[i];
            rc = gridr_sma_create(r->reg, a->dtype, a->bands, a->rows, a->cols, &r->sl[j].seg[i]);
            if (rc)
                break;
            r->sl[j].cap[i] = gridr_sma_bytes(r->sl[j].seg[i]);
            s->st.shm_bytes += r->sl[j].cap[i];
            s->st.shm_peak = GRIDR__MAX(s->st.shm_peak, s->st.shm_bytes);
        }
    }
    return rc;
}

/* ---- the run ----------------------------------------------------------------------------- */

static int open_run(run *r)
{
    gridr_sched *s = r->s;
    const gridr_sched_run_desc *d = r->d;
    if (d->run_params_size)
        memcpy(r->runp, d->run_params, d->run_params_size);
    int rc = gridr__pool_ready(s);
    if (rc)
        return rc;
    r->reg = s->o.registry;
    if (!r->reg) {
        rc = gridr_registry_open(s->state_dir, &r->reg);
        if (rc)
            return rc;
        r->own_reg = 1;
    }
    snprintf(s->run_id, sizeof s->run_id, "%s", gridr_registry_run_id(r->reg));
    r->nslots = (int)GRIDR__MIN((long)s->nworkers + s->o.prefetch, d->windows);
    s->st.slots = r->nslots;
    r->sl = calloc((size_t)r->nslots, sizeof *r->sl);
    r->pfd = calloc((size_t)s->nworkers + 2, sizeof *r->pfd);
    r->pmap = calloc((size_t)s->nworkers + 2, sizeof *r->pmap);
    if (!r->sl || !r->pfd || !r->pmap)
        return gridr__fail(GRIDR_ENOMEM, "scheduler: out of memory for %d slots", r->nslots);
    return create_slots(r);
}

static void close_run(run *r)
{
    release_slots(r);
    if (r->own_reg)
        gridr_registry_close(r->reg);
    free(r->sl);
    free(r->pfd);
    free(r->pmap);
}

int gridr_sched_run(gridr_sched *s, const gridr_sched_run_desc *d)
{
    int rc = gridr__sched_check_desc(s, d);
    if (rc)
        return rc;
    gridr__sched_reset_results(s, d);
    if (d->windows == 0)
        return d->progress ? (d->progress(1.0, NULL, d->progress_arg), 0) : 0;
    run r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.d = d;
    r.pending = -1;
    s->running = 1;
    rc = open_run(&r);
    if (!rc) {
        gridr__catch_signals(s, &r.sigs);
        rc = run_loop(&r);
        if (rc && rc != GRIDR_EPARTIAL)
            stop_busy(&r);
        unmap_workers(&r);
        gridr__restore_signals(&r.sigs);
    }
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", gridr_last_error());
    close_run(&r);
    s->running = 0;
    return rc ? gridr_set_error(rc, "%s", msg) : 0;
}
