/* gridr: the scheduler's child side: fork server, worker processes, and the fault hook. */
#include "base/internal.h"
#include "gridr/sma.h"
#include "gridr/sched.h"
#include "sched_internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- fault hook (builds configured with --enable-fault-injection) ------------------------- */

#ifdef GRIDR_FAULT_INJECTION

static const struct {
    const char *name;
    int action;
} fault_actions[] = {
    {"kill", SIGKILL}, {"segv", SIGSEGV},           {"abort", SIGABRT},
    {"term", SIGTERM}, {"exit", GRIDR__FAULT_EXIT}, {"hang", GRIDR__FAULT_HANG},
};

static int parse_one_fault(const char *item, gridr__fault *f)
{
    char act[16];
    long k;
    int used = 0;
    if (sscanf(item, "%15[a-z]:window=%ld%n", act, &k, &used) != 2 || k < 0)
        return gridr__fail(GRIDR_EINVAL, "fault spec '%s': expected action:window=K[:once]", item);
    f->action = 0;
    for (size_t i = 0; i < sizeof fault_actions / sizeof fault_actions[0]; i++)
        if (strcmp(act, fault_actions[i].name) == 0)
            f->action = fault_actions[i].action;
    if (!f->action)
        return gridr__fail(GRIDR_EINVAL,
                           "fault spec '%s': unknown action '%s' (kill, segv, abort, term, exit, "
                           "hang)",
                           item, act);
    f->window = k;
    f->once = 0;
    if (strcmp(item + used, ":once") == 0)
        f->once = 1;
    else if (item[used])
        return gridr__fail(GRIDR_EINVAL, "fault spec '%s': unexpected '%s'", item, item + used);
    return 0;
}

int gridr__fault_parse(const char *spec, gridr__fault *f, int max, int *n)
{
    char buf[512];
    *n = 0;
    if (!spec || !*spec)
        return 0;
    if (strlen(spec) >= sizeof buf)
        return gridr__fail(GRIDR_EINVAL, "fault spec too long (%zu characters)", strlen(spec));
    strcpy(buf, spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (strstr(item, ":phase=") || strncmp(item, "group-commit=", 13) == 0)
            continue; /* a step of the parent (base/fault_phase.c), resume's group commits */
        if (*n == max)
            return gridr__fail(GRIDR_EINVAL, "fault spec '%s': more than %d faults", spec, max);
        int rc = parse_one_fault(item, &f[*n]);
        if (rc)
            return rc;
        (*n)++;
    }
    return 0;
}

static void apply_fault(const gridr_sched *s, long window, int attempt)
{
    for (int i = 0; i < s->nfaults; i++) {
        const gridr__fault *f = &s->faults[i];
        if (f->window != window || (f->once && attempt > 1))
            continue;
        if (f->action == GRIDR__FAULT_EXIT)
            _exit(3);
        if (f->action == GRIDR__FAULT_HANG)
            for (;;)
                pause();
        raise(f->action);       /* to this thread: delivered before raise() returns */
        _exit(128 + f->action); /* in case the work context blocks that signal */
    }
}
#endif

/* ---- worker ------------------------------------------------------------------------------ */

/* A worker keeps the segments it attached mapped until the parent's UNMAP at the end of the run:
 * slots are recycled from window to window, and mapping a shared-memory page again costs about
 * 0.8 us of page fault per 4 KiB, far more than the kernels' work on it. */
typedef struct mapping {
    char name[GRIDR_SMA_NAME_MAX];
    gridr_sma *sma;
} mapping;

typedef struct worker_env {
    const gridr_sched *s;
    int fd;
    mapping *maps;
    int nmaps, cap;
} worker_env;

#define MAPPINGS_MAX 1024

static void unmap_all(worker_env *e)
{
    for (int i = 0; i < e->nmaps; i++)
        gridr_sma_detach(e->maps[i].sma);
    e->nmaps = 0;
}

static int map_segment(worker_env *e, const gridr__msg_array *a, gridr_sma **out)
{
    for (int i = 0; i < e->nmaps; i++)
        if (strcmp(e->maps[i].name, a->name) == 0) {
            *out = e->maps[i].sma;
            return 0;
        }
    if (e->nmaps == MAPPINGS_MAX)
        unmap_all(e); /* a safety valve: a run never has that many segments */
    if (e->nmaps == e->cap) {
        int cap = e->cap ? 2 * e->cap : 32;
        mapping *m = realloc(e->maps, (size_t)cap * sizeof *m);
        if (!m)
            return gridr_set_error(GRIDR_ENOMEM, "worker: out of memory");
        e->maps = m;
        e->cap = cap;
    }
    int rc = gridr_sma_attach(a->name, (gridr_dtype)a->slot_dtype, a->slot_bands,
                              (long)a->slot_rows, (long)a->slot_cols, out);
    if (rc)
        return rc;
    snprintf(e->maps[e->nmaps].name, sizeof e->maps[0].name, "%s", a->name);
    e->maps[e->nmaps++].sma = *out;
    return 0;
}

static int send_reply(int fd, long window, int status, int where, const char *msg)
{
    gridr__reply_msg r;
    memset(&r, 0, sizeof r);
    r.magic = GRIDR__MSG_MAGIC;
    r.status = status;
    r.window = window;
    r.where = where;
    snprintf(r.msg, sizeof r.msg, "%s", msg);
    ssize_t n;
    do
        n = send(fd, &r, sizeof r, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof r ? 0 : -1;
}

static int attach_all(worker_env *e, const gridr__win_msg *m, gridr_array *arr)
{
    for (int i = 0; i < m->narrays; i++) {
        const gridr__msg_array *a = &m->arr[i];
        gridr_sma *sma;
        int rc = map_segment(e, a, &sma);
        if (rc)
            return rc;
        arr[i] = gridr_array_make(gridr_sma_array(sma).data, (gridr_dtype)a->dtype, a->bands,
                                  (long)a->rows, (long)a->cols);
    }
    return 0;
}

/* One window: attach (or reuse), (fault), work, answer. Returns -1 when the channel is gone. */
static int do_window(worker_env *e, const gridr__win_msg *m)
{
    gridr_array arr[GRIDR_SCHED_MAX_ARRAYS];
    gridr_clear_error();
    int rc = attach_all(e, m, arr);
    if (rc)
        return send_reply(e->fd, (long)m->window, rc, GRIDR__AT_ATTACH, gridr_last_error());
#ifdef GRIDR_FAULT_INJECTION
    apply_fault(e->s, (long)m->window, m->attempt);
#endif
    rc = e->s->o.work(e->s->o.ctx, m->run_params, m->win_params, arr, m->narrays, (long)m->window);
    if (rc && !gridr_last_error()[0])
        gridr_set_error(rc, "work function returned %d", rc);
    return send_reply(e->fd, (long)m->window, rc ? (rc < 0 ? rc : GRIDR_EWORK) : 0, GRIDR__AT_WORK,
                      rc ? gridr_last_error() : "");
}

/* The worker's loop. It runs in a thread created after fork so that libgomp builds a fresh
 * thread pool: the forking thread's pool, inherited from a parent that ran an OpenMP region,
 * has no threads behind it and would hang the first parallel region (GCC bug 60035). */
static void *worker_loop(void *arg)
{
    worker_env *e = arg;
    static gridr__win_msg m; /* one per process; too big for a comfortable stack frame */
#ifdef _OPENMP
    if (e->s->o.threads > 0)
        omp_set_num_threads(e->s->o.threads);
#endif
    for (;;) {
        ssize_t n = recv(e->fd, &m, sizeof m, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return (void *)0; /* parent closed the channel: normal end */
        if (n != (ssize_t)sizeof m || m.magic != GRIDR__MSG_MAGIC)
            return (void *)(intptr_t)(n < 0 ? 2 : 4);
        if (m.narrays < 0 || m.narrays > GRIDR_SCHED_MAX_ARRAYS)
            return (void *)(intptr_t)4;
        int rc;
        if (m.kind == GRIDR__WIN_UNMAP) {
            unmap_all(e);
            rc = send_reply(e->fd, -1, 0, GRIDR__AT_UNMAP, "");
        } else
            rc = do_window(e, &m);
        if (rc)
            return (void *)(intptr_t)2;
    }
}

/* SIGHUP was ignored when the scheduler was created (nohup): the workers keep ignoring it, so a
 * hang-up sent to the whole process group does not kill them either. Set by the fork server
 * before it forks any worker. */
static int hup_ignored;

static void reset_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &sa, NULL); /* glibc's internal signals answer EINVAL: fine */
}

/* Die with `parent`; leave at once if it is already gone (the prctl would come too late). */
static void follow_parent(pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(1);
}

static void __attribute__((noreturn)) worker_main(const gridr_sched *s, int fd, pid_t server)
{
    follow_parent(server);
    reset_signals();
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the whole group: the parent decides */
    if (hup_ignored)
        signal(SIGHUP, SIG_IGN);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    worker_env e = {s, fd, NULL, 0, 0};
    pthread_t t;
    void *res = (void *)(intptr_t)1;
    if (pthread_create(&t, NULL, worker_loop, &e) == 0)
        pthread_join(t, &res);
    else
        res = worker_loop(&e);
    _exit((int)(intptr_t)res);
}

/* ---- fork server ------------------------------------------------------------------------- */

/* A reply waiting for room in the control socket, with the descriptor it carries (-1: none). */
typedef struct srv_reply {
    gridr__ctl_msg m;
    int fd;
} srv_reply;

typedef struct server {
    const gridr_sched *s;
    int ctl, sfd;
    pid_t self;
    pid_t *kids;
    int nkids, cap;
    srv_reply *out; /* replies not sent yet, in order: out[head .. nout) */
    int head, nout, capout;
} server;

/* Send one reply without blocking: 1 sent, 0 no room (try again on POLLOUT), -1 failed. */
static int srv_try_send(server *v, const srv_reply *r)
{
    gridr__ctl_msg m = r->m;
    struct iovec iov = {&m, sizeof m};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr h;
    memset(&h, 0, sizeof h);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    if (r->fd >= 0) {
        memset(&u, 0, sizeof u);
        h.msg_control = u.buf;
        h.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &r->fd, sizeof r->fd);
    }
    ssize_t n;
    do
        n = sendmsg(v->ctl, &h, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return 1;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == ENOMEM ? 0 : -1;
}

/* Send what the socket takes now, in order. The server never blocks on a send: the parent may
 * itself be blocked sending requests (a burst of SPAWN or SIGNAL for hundreds of workers), and
 * a server blocked on its replies would stop reading them: both ends would wait forever. */
static void srv_flush(server *v)
{
    while (v->head < v->nout) {
        srv_reply *r = &v->out[v->head];
        int rc = srv_try_send(v, r);
        if (rc == 0)
            return;
        if (rc < 0 && (errno == EPIPE || errno == ECONNRESET))
            _exit(0); /* the parent is gone; PDEATHSIG takes the workers */
        if (rc < 0 && r->m.op == GRIDR__CTL_SPAWNED) {
            /* The channel cannot travel (e.g. ETOOMANYREFS): the worker leaves when its channel
             * closes below; the parent hears that the spawn failed. */
            r->m = (gridr__ctl_msg){GRIDR__CTL_SPAWN_FAILED, r->m.index, errno, 0};
            close(r->fd);
            r->fd = -1;
            continue;
        }
        if (r->fd >= 0)
            close(r->fd);
        v->head++;
    }
    v->head = v->nout = 0;
}

/* Queue a reply (taking `fd`) and send what can be sent. */
static void srv_send(server *v, int op, int index, int arg, pid_t pid, int fd)
{
    if (v->nout == v->capout && v->head > 0) {
        memmove(v->out, v->out + v->head, (size_t)(v->nout - v->head) * sizeof *v->out);
        v->nout -= v->head;
        v->head = 0;
    }
    if (v->nout == v->capout) {
        int cap = v->capout ? 2 * v->capout : 64;
        srv_reply *o = realloc(v->out, (size_t)cap * sizeof *o);
        if (!o)
            _exit(GRIDR__SERVER_EXIT_NOMEM); /* the parent sees the server gone; the workers
                                              die with it (PDEATHSIG) */
        v->out = o;
        v->capout = cap;
    }
    v->out[v->nout++] = (srv_reply){{op, index, arg, (int32_t)pid}, fd};
    srv_flush(v);
}

/* In a new worker: close the parent's ends of other workers' channels still queued here. */
static void srv_close_queued(server *v)
{
    for (int i = v->head; i < v->nout; i++)
        if (v->out[i].fd >= 0)
            close(v->out[i].fd);
}

static int srv_has_kid(const server *v, pid_t pid)
{
    for (int i = 0; i < v->nkids; i++)
        if (v->kids[i] == pid)
            return 1;
    return 0;
}

static void srv_spawn(server *v, int index)
{
    int sv[2];
    if (v->nkids == v->cap) {
        int cap = v->cap ? 2 * v->cap : 16;
        pid_t *k = realloc(v->kids, (size_t)cap * sizeof *k);
        if (!k) {
            srv_send(v, GRIDR__CTL_SPAWN_FAILED, index, ENOMEM, 0, -1);
            return;
        }
        v->kids = k;
        v->cap = cap;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        srv_send(v, GRIDR__CTL_SPAWN_FAILED, index, errno, 0, -1);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(v->ctl);
        close(v->sfd);
        close(sv[0]);
        srv_close_queued(v);
        worker_main(v->s, sv[1], v->self);
    }
    int err = errno;
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        srv_send(v, GRIDR__CTL_SPAWN_FAILED, index, err, 0, -1);
    } else {
        v->kids[v->nkids++] = pid;
        srv_send(v, GRIDR__CTL_SPAWNED, index, 0, pid, sv[0]); /* the queue owns sv[0] now */
    }
}

/* Reap every ended child; tell the parent unless we are shutting down. */
static void srv_reap(server *v, int tell)
{
    struct signalfd_siginfo si;
    while (read(v->sfd, &si, sizeof si) > 0)
        ;
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        for (int i = 0; i < v->nkids; i++)
            if (v->kids[i] == pid)
                v->kids[i] = v->kids[--v->nkids];
        if (tell)
            srv_send(v, GRIDR__CTL_REAPED, -1, st, pid, -1);
    }
}

static void srv_signal_all(server *v, int sig)
{
    for (int i = 0; i < v->nkids; i++)
        kill(v->kids[i], sig);
}

/* Wait up to `ms` for every child to end (ms < 0: no limit). */
static void srv_wait_kids(server *v, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (v->nkids > 0) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (ms >= 0 && left <= 0)
            return;
        struct pollfd p = {v->sfd, POLLIN, 0};
        poll(&p, 1, ms < 0 ? 100 : (int)GRIDR__MIN(left, 100));
        srv_reap(v, 0);
    }
}

static void __attribute__((noreturn)) srv_shutdown(server *v)
{
    int grace = v->s->o.grace_ms;
    srv_wait_kids(v, grace); /* idle workers leave on their own when their channel closes */
    srv_signal_all(v, SIGTERM);
    srv_wait_kids(v, grace);
    srv_signal_all(v, SIGKILL);
    srv_wait_kids(v, -1);
    close(v->ctl); /* the parent waits for this end-of-file */
    _exit(0);
}

static void srv_command(server *v, const gridr__ctl_msg *m)
{
    if (m->op == GRIDR__CTL_SPAWN)
        srv_spawn(v, m->index);
    else if (m->op == GRIDR__CTL_SIGNAL && m->pid > 0 && srv_has_kid(v, m->pid))
        kill(m->pid, m->arg); /* only unreaped children: their pid cannot have been reused */
    else if (m->op == GRIDR__CTL_EXIT)
        srv_shutdown(v);
}

static void srv_setup(server *v, pid_t parent)
{
    struct sigaction hup;
    follow_parent(parent);
    hup_ignored = sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler == SIG_IGN;
    reset_signals();
    /* The parent handles SIGINT/SIGTERM/SIGHUP (also when sent to the whole process group) and
     * stops us through the control socket; we die with it through PDEATHSIG. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_SETMASK, &chld, NULL);
    v->sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (v->sfd < 0)
        _exit(1);
    v->self = getpid();
}

void gridr__server_main(gridr_sched *s, int ctl, pid_t parent)
{
    server v;
    memset(&v, 0, sizeof v);
    v.s = s;
    v.ctl = ctl;
    srv_setup(&v, parent);
    for (;;) {
        short out = v.head < v.nout ? POLLOUT : 0; /* replies wait for room: keep reading */
        struct pollfd p[2] = {{ctl, (short)(POLLIN | out), 0}, {v.sfd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            _exit(1);
        if (p[0].revents & POLLOUT)
            srv_flush(&v);
        if (p[1].revents)
            srv_reap(&v, 1);
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        gridr__ctl_msg m;
        ssize_t n = recv(ctl, &m, sizeof m, MSG_DONTWAIT);
        if (n == (ssize_t)sizeof m)
            srv_command(&v, &m);
        else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            srv_shutdown(&v);
    }
}
