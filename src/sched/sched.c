/* gridr: the scheduler's parent side: creation, the fork server's control channel, the pool. */
#include "base/internal.h"
#include "gridr/sched.h"
#include "sched_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void close_tracked_fd(int *fd)
{
    if (*fd >= 0) {
        gridr__fd_untrack(*fd);
        close(*fd);
        *fd = -1;
    }
}

/* ---- small helpers ----------------------------------------------------------------------- */

void gridr__wait_text(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev)
            snprintf(buf, len, "killed by SIG%s%s", abbrev,
                     WCOREDUMP(status) ? " (core dumped)" : "");
        else
            snprintf(buf, len, "killed by signal %d", sig);
    } else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended with wait status %#x", (unsigned)status);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

void gridr_sched_opts_init(gridr_sched_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->prefetch = 1;
    o->grace_ms = 200;
}

void gridr_sched_run_desc_init(gridr_sched_run_desc *d)
{
    memset(d, 0, sizeof *d);
}

/* ---- control channel --------------------------------------------------------------------- */

int gridr__send_ctl(gridr_sched *s, int op, int index, int arg, pid_t pid)
{
    gridr__ctl_msg m = {op, index, arg, (int32_t)pid};
    if (s->broken)
        return gridr__fail(GRIDR_ECHILD, "the scheduler's fork server is gone");
    ssize_t n;
    do
        n = send(s->ctl, &m, sizeof m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof m)
        return gridr__fail_errno(GRIDR_ECHILD, errno, "scheduler: writing to the fork server");
    return 0;
}

static int server_gone(gridr_sched *s)
{
    char how[64] = "ended";
    int st;
    s->broken = 1;
    if (s->server > 0 && waitpid(s->server, &st, 0) == s->server) {
        gridr__wait_text(st, how, sizeof how);
        if (WIFEXITED(st) && WEXITSTATUS(st) == GRIDR__SERVER_EXIT_NOMEM)
            snprintf(how, sizeof how, "ran out of memory (exit status %d)", WEXITSTATUS(st));
    }
    int rc = gridr__fail(GRIDR_ECHILD,
                         "the scheduler's fork server (pid %d) %s; its workers are "
                         "gone: create a new scheduler",
                         (int)s->server, how);
    s->server = 0;
    for (int i = 0; i < s->nworkers; i++)
        gridr__worker_drop(s, i);
    return rc;
}

static int take_fd(struct msghdr *h)
{
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            if (fd >= 0)
                close(fd);
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
        }
    return fd;
}

int gridr__recv_ctl(gridr_sched *s, gridr__ctl_msg *m, int *fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {m, sizeof *m};
    struct msghdr h;
    if (s->broken)
        return gridr__fail(GRIDR_ECHILD, "the scheduler's fork server is gone");
    memset(&h, 0, sizeof h);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = u.buf;
    h.msg_controllen = sizeof u.buf;
    ssize_t n;
    do
        n = recvmsg(s->ctl, &h, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    *fd = n > 0 ? take_fd(&h) : -1;
    if (n == (ssize_t)sizeof *m)
        return 1;
    if (*fd >= 0)
        close(*fd);
    return server_gone(s);
}

int gridr__worker_by_pid(const gridr_sched *s, pid_t pid)
{
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].pid == pid && s->w[i].state != GRIDR__W_EMPTY)
            return i;
    return -1;
}

void gridr__worker_drop(gridr_sched *s, int i)
{
    gridr__worker *w = &s->w[i];
    close_tracked_fd(&w->fd);
    w->pid = 0;
    w->state = GRIDR__W_EMPTY;
    w->slot = -1;
    w->hup = 0;
}

void gridr__apply_spawn(gridr_sched *s, const gridr__ctl_msg *m, int fd)
{
    int i = m->index;
    if (i < 0 || i >= s->nworkers || s->w[i].state != GRIDR__W_SPAWNING) {
        if (fd >= 0)
            close(fd);
        return;
    }
    gridr__worker *w = &s->w[i];
    if (m->op == GRIDR__CTL_SPAWNED && fd >= 0) {
        gridr__fd_track(fd);
        w->fd = fd;
        w->pid = m->pid;
        w->state = GRIDR__W_IDLE;
        w->slot = -1;
        w->hup = 0;
        s->st.spawned++;
    } else {
        if (fd >= 0)
            close(fd);
        w->state = GRIDR__W_FAILED;
        s->spawn_errno = m->op == GRIDR__CTL_SPAWN_FAILED ? m->arg : EPROTO;
    }
}

int gridr__fill_pool(gridr_sched *s)
{
    for (int i = 0; i < s->nworkers; i++) {
        if (s->w[i].state != GRIDR__W_EMPTY)
            continue;
        int rc = gridr__send_ctl(s, GRIDR__CTL_SPAWN, i, 0, 0);
        if (rc)
            return rc;
        s->w[i].state = GRIDR__W_SPAWNING;
    }
    return 0;
}

/* Handle control messages outside a run: spawns land, ended workers are forgotten. */
static int drain_ctl(gridr_sched *s)
{
    for (;;) {
        gridr__ctl_msg m;
        int fd = -1;
        int rc = gridr__recv_ctl(s, &m, &fd);
        if (rc <= 0)
            return rc;
        if (m.op == GRIDR__CTL_REAPED) {
            int i = gridr__worker_by_pid(s, m.pid);
            if (i >= 0)
                gridr__worker_drop(s, i);
        } else
            gridr__apply_spawn(s, &m, fd);
    }
}

static int count_state(const gridr_sched *s, int state)
{
    int n = 0;
    for (int i = 0; i < s->nworkers; i++)
        n += s->w[i].state == state;
    return n;
}

/* Wait (bounded) until no spawn request is outstanding. */
static int wait_spawns(gridr_sched *s, int timeout_ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int rc = drain_ctl(s);
        if (rc < 0)
            return rc;
        if (count_state(s, GRIDR__W_SPAWNING) == 0)
            return 0;
        long left = timeout_ms - ms_since(&t0);
        if (left <= 0)
            return gridr__fail(GRIDR_ECHILD,
                               "scheduler: the fork server did not start the "
                               "workers within %d ms",
                               timeout_ms);
        struct pollfd p = {s->ctl, POLLIN, 0};
        poll(&p, 1, (int)left);
    }
}

int gridr__pool_ready(gridr_sched *s)
{
    int rc = drain_ctl(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < s->nworkers; i++)
        if (s->w[i].state == GRIDR__W_FAILED)
            s->w[i].state = GRIDR__W_EMPTY;
    return gridr__fill_pool(s);
}

/* ---- creation and end -------------------------------------------------------------------- */

static int check_timeout(double seconds)
{
    if (!(seconds >= 0 && seconds <= GRIDR__SCHED_TIMEOUT_MAX))
        return gridr__fail(GRIDR_EINVAL, "scheduler: timeout = %g s (0 .. %g; 0 = none)", seconds,
                           GRIDR__SCHED_TIMEOUT_MAX);
    return 0;
}

static int check_opts(const gridr_sched_opts *o)
{
    if (!o || !o->work)
        return gridr__fail(GRIDR_EINVAL, "scheduler: no work function given");
    if (o->workers < 0 || o->workers > 4096)
        return gridr__fail(GRIDR_EINVAL, "scheduler: workers = %d (0 .. 4096)", o->workers);
    if (o->threads < 0 || o->prefetch < 0 || o->retries < 0 || o->grace_ms < 0)
        return gridr__fail(GRIDR_EINVAL,
                           "scheduler: threads (%d), prefetch (%d), retries (%d) "
                           "and grace_ms (%d) must be >= 0",
                           o->threads, o->prefetch, o->retries, o->grace_ms);
    return check_timeout(o->timeout);
}

static int copy_opts(gridr_sched *s, const gridr_sched_opts *o)
{
    s->o = *o;
    s->state_dir = o->state_dir ? strdup(o->state_dir) : NULL;
    if (o->state_dir && !s->state_dir)
        return gridr__fail(GRIDR_ENOMEM, "scheduler: out of memory");
    s->o.state_dir = s->state_dir;
#ifdef GRIDR_FAULT_INJECTION
    return gridr__fault_parse(gridr__config_fault(), s->faults, GRIDR__FAULT_MAX, &s->nfaults);
#else
    return 0;
#endif
}

/* The parent keeps one descriptor per worker (its channel) for the scheduler's life, and each
 * channel travels through the control socket as a descriptor in flight, which the kernel counts
 * against the same limit: a pool that does not fit under RLIMIT_NOFILE, with GRIDR__FD_RESERVE
 * left for the program's own files, is refused here rather than failing one spawn at a time. */
static int check_fd_room(int nworkers)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        (rlim_t)nworkers + GRIDR__FD_RESERVE <= rl.rlim_cur)
        return 0;
    return gridr__fail(GRIDR_EINVAL,
                       "scheduler: %d workers need %d open files in this process (one socket "
                       "each, %d for its own files), but its limit is %llu (ulimit -n): use "
                       "fewer workers or raise the limit",
                       nworkers, nworkers + GRIDR__FD_RESERVE, GRIDR__FD_RESERVE,
                       (unsigned long long)rl.rlim_cur);
}

static int alloc_sched(const gridr_sched_opts *o, gridr_sched **out)
{
    gridr_sched *s = calloc(1, sizeof *s);
    if (!s)
        return gridr__fail(GRIDR_ENOMEM, "scheduler: out of memory");
    *out = s;
    s->ctl = s->sigpipe[0] = s->sigpipe[1] = -1;
    s->owner = getpid();
    int rc = copy_opts(s, o);
    if (rc)
        return rc;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->nworkers = o->workers > 0 ? o->workers : (int)GRIDR__MAX(ncpu, 1);
    rc = check_fd_room(s->nworkers);
    if (rc)
        return rc;
    s->w = calloc((size_t)s->nworkers, sizeof *s->w);
    if (!s->w)
        return gridr__fail(GRIDR_ENOMEM, "scheduler: out of memory for %d workers", s->nworkers);
    for (int i = 0; i < s->nworkers; i++)
        s->w[i].fd = -1, s->w[i].slot = -1;
    if (pipe2(s->sigpipe, O_NONBLOCK | O_CLOEXEC) != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "scheduler: pipe");
    gridr__fd_track(s->sigpipe[0]);
    gridr__fd_track(s->sigpipe[1]);
    return 0;
}

static int start_server(gridr_sched *s)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "scheduler: socketpair");
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        gridr__fd_close_tracked(-1);
        gridr__server_main(s, sv[1], s->owner);
    }
    int err = errno;
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return gridr__fail_errno(GRIDR_ESYS, err, "scheduler: fork of the fork server");
    }
    s->server = pid;
    s->ctl = sv[0];
    gridr__fd_track(s->ctl);
    return 0;
}

int gridr_sched_new(const gridr_sched_opts *o, gridr_sched **out)
{
    gridr_sched *s = NULL;
    *out = NULL;
    int rc = check_opts(o);
    if (!rc)
        rc = alloc_sched(o, &s);
    if (!rc)
        rc = start_server(s);
    if (!rc)
        rc = gridr__fill_pool(s);
    if (!rc)
        rc = wait_spawns(s, 10000);
    if (!rc && count_state(s, GRIDR__W_FAILED) > 0)
        rc = gridr__fail_errno(GRIDR_ESYS, s->spawn_errno, "scheduler: fork of a worker");
    if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", gridr_last_error());
        gridr_sched_free(s);
        gridr_set_error(rc, "%s", msg);
        return rc;
    }
    *out = s;
    return 0;
}

/* Ask the fork server to stop everyone and wait for it (bounded); then reap it. */
static void stop_server(gridr_sched *s)
{
    if (s->server <= 0)
        return;
    if (!s->broken && gridr__send_ctl(s, GRIDR__CTL_EXIT, 0, 0, 0) == 0) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long limit = 2L * s->o.grace_ms + 3000;
        for (long left = limit; left > 0; left = limit - ms_since(&t0)) {
            struct pollfd p = {s->ctl, POLLIN, 0};
            if (poll(&p, 1, (int)left) <= 0)
                continue;
            gridr__ctl_msg m;
            int fd = -1;
            if (gridr__recv_ctl(s, &m, &fd) < 0)
                return; /* end of file: server_gone() reaped it */
            if (fd >= 0)
                close(fd);
        }
    }
    kill(s->server, SIGKILL); /* its workers follow through PDEATHSIG */
    while (waitpid(s->server, NULL, 0) < 0 && errno == EINTR)
        ;
    s->server = 0;
}

void gridr_sched_free(gridr_sched *s)
{
    if (!s)
        return;
    int owner = getpid() == s->owner;
    for (int i = 0; i < s->nworkers && s->w; i++)
        close_tracked_fd(&s->w[i].fd); /* idle workers end when their channel closes */
    if (owner)
        stop_server(s);
    close_tracked_fd(&s->ctl);
    close_tracked_fd(&s->sigpipe[0]);
    close_tracked_fd(&s->sigpipe[1]);
    free(s->w);
    free(s->failures);
    free(s->failed_idx);
    free(s->state_dir);
    free(s);
}

/* ---- accessors --------------------------------------------------------------------------- */

int gridr_sched_set_retries(gridr_sched *s, int retries)
{
    if (retries < 0)
        return gridr__fail(GRIDR_EINVAL, "scheduler: retries = %d (must be >= 0)", retries);
    if (s->running)
        return gridr__fail(GRIDR_EINVAL,
                           "scheduler: retries cannot change while a run is going on");
    s->o.retries = retries;
    return 0;
}

int gridr_sched_set_keep_going(gridr_sched *s, int keep_going)
{
    if (s->running)
        return gridr__fail(GRIDR_EINVAL,
                           "scheduler: keep_going cannot change while a run is going on");
    s->o.keep_going = keep_going != 0;
    return 0;
}

int gridr_sched_set_timeout(gridr_sched *s, double seconds)
{
    int rc = check_timeout(seconds);
    if (rc)
        return rc;
    if (s->running)
        return gridr__fail(GRIDR_EINVAL,
                           "scheduler: the timeout cannot change while a run is going on");
    s->o.timeout = seconds;
    return 0;
}

int gridr_sched_signal(const gridr_sched *s)
{
    return s->last_signal;
}

size_t gridr_sched_failed(const gridr_sched *s, const long **windows)
{
    if (windows)
        *windows = s->failed_idx;
    return s->nfailures;
}

const char *gridr_sched_failed_message(const gridr_sched *s, size_t i)
{
    return i < s->nfailures ? s->failures[i].msg : "";
}

void gridr_sched_get_stats(const gridr_sched *s, gridr_sched_stats *out)
{
    *out = s->st;
}

const char *gridr_sched_run_id(const gridr_sched *s)
{
    return s->run_id;
}

int gridr_sched_workers(const gridr_sched *s)
{
    return s->nworkers;
}

int gridr_sched_pids(const gridr_sched *s, pid_t *pids, int max)
{
    int n = 0;
    if (s->server > 0 && n < max)
        pids[n++] = s->server;
    for (int i = 0; i < s->nworkers && n < max; i++)
        if (s->w[i].pid > 0)
            pids[n++] = s->w[i].pid;
    return n;
}

/* ---- a run's description and counters (sched_run.c's start) ---------------------------- */

int gridr__sched_check_desc(const gridr_sched *s, const gridr_sched_run_desc *d)
{
    if (getpid() != s->owner)
        return gridr__fail(GRIDR_EINVAL, "scheduler: run from a process other than its creator");
    if (s->running)
        return gridr__fail(GRIDR_EINVAL, "scheduler: a run is already going on (not reentrant)");
    if (!d || d->windows < 0 || d->narrays < 0 || d->narrays > GRIDR_SCHED_MAX_ARRAYS)
        return gridr__fail(GRIDR_EINVAL,
                           "scheduler: run description: windows (%ld) must be >= "
                           "0 and arrays (%d) 0 .. %d",
                           d ? d->windows : -1L, d ? d->narrays : -1, GRIDR_SCHED_MAX_ARRAYS);
    if (d->run_params_size > GRIDR_SCHED_RUN_PARAMS_MAX || (d->run_params_size && !d->run_params))
        return gridr__fail(GRIDR_EINVAL, "scheduler: run parameters of %zu bytes (at most %d)",
                           d->run_params_size, GRIDR_SCHED_RUN_PARAMS_MAX);
    for (int i = 0; i < d->narrays; i++) {
        const gridr_sched_array_desc *a = &d->arrays[i];
        int empty = a->bands == 0 || a->rows == 0 || a->cols == 0; /* allowed: one page */
        if (!gridr_dtype_size(a->dtype) || a->bands < 0 || a->rows < 0 || a->cols < 0 ||
            (!empty && !gridr_sma_bytes_for(a->dtype, a->bands, a->rows, a->cols)))
            return gridr__fail(GRIDR_EINVAL, "scheduler: array %d: bad shape %s %d x %ld x %ld", i,
                               gridr_dtype_name(a->dtype), a->bands, a->rows, a->cols);
    }
    return 0;
}

void gridr__sched_reset_results(gridr_sched *s, const gridr_sched_run_desc *d)
{
    long spawned = s->st.spawned;
    memset(&s->st, 0, sizeof s->st);
    s->st.spawned = spawned;
    s->st.windows = d->windows;
    s->last_signal = 0;
    s->nfailures = 0;
    s->run_id[0] = '\0';
}
