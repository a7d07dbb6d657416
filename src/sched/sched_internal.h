/* gridr: scheduler internals shared by the parent side, the run loop and the worker side. */
#ifndef GRIDR_SCHED_INTERNAL_H
#define GRIDR_SCHED_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "gridr/sched.h"

#define GRIDR__MSG_MAGIC 0x67724a42u
#define GRIDR__FD_RESERVE 64         /* descriptors left to the program beside one per worker */
#define GRIDR__SCHED_TIMEOUT_MAX 1e7 /* seconds (115 days): milliseconds still fit a long */

#ifdef GRIDR_FAULT_INJECTION
#define GRIDR__FAULT_MAX 8
#define GRIDR__FAULT_EXIT (-1) /* action: _exit(3) */
#define GRIDR__FAULT_HANG (-2) /* action: sleep until killed */

/** One fault of the test hook (builds configured with --enable-fault-injection): when a worker
 *  receives `window`, do `action` (a signal number or one of the negative codes above);
 *  `once`: only on attempt 1. */
typedef struct gridr__fault {
    int action;
    int once;
    long window;
} gridr__fault;
#endif

/** One array of a window message: the segment (name and the slot's shape, which the worker
 *  maps) and the window's shape inside it. */
typedef struct gridr__msg_array {
    char name[GRIDR_SMA_NAME_MAX];
    int32_t dtype, bands;
    int64_t rows, cols;
    int32_t slot_dtype, slot_bands;
    int64_t slot_rows, slot_cols;
} gridr__msg_array;

/** Kinds of parent -> worker messages. */
enum {
    GRIDR__WIN_WORK = 0, /* work on a window */
    GRIDR__WIN_UNMAP = 1 /* end of a run: unmap every segment kept mapped, answer */
};

/** Parent -> worker: one window, or an unmap request. Fixed size. */
typedef struct gridr__win_msg {
    uint32_t magic;
    int32_t narrays;
    int64_t window;
    int32_t attempt;
    int32_t kind;
    gridr__msg_array arr[GRIDR_SCHED_MAX_ARRAYS];
    unsigned char run_params[GRIDR_SCHED_RUN_PARAMS_MAX];
    unsigned char win_params[GRIDR_SCHED_WIN_PARAMS_MAX];
} gridr__win_msg;

/** What a worker's answer is about (gridr__reply_msg.where). */
enum {
    GRIDR__AT_WORK = 0,   /* the work function's result */
    GRIDR__AT_ATTACH = 1, /* the arrays could not be attached */
    GRIDR__AT_UNMAP = 2   /* answer to GRIDR__WIN_UNMAP */
};

/** Worker -> parent: the answer for one window. Fixed size. */
typedef struct gridr__reply_msg {
    uint32_t magic;
    int32_t status;
    int64_t window;
    int32_t where;
    int32_t pad;
    char msg[GRIDR_SCHED_MSG_MAX];
} gridr__reply_msg;

/** The fork server's exit status when it cannot allocate its reply queue (it cannot tell the
 *  parent otherwise): the parent's message says so. */
#define GRIDR__SERVER_EXIT_NOMEM 12

/** Parent <-> fork server control messages (gridr__ctl_msg.op). */
enum {
    GRIDR__CTL_SPAWN = 1,    /* parent: fork worker `index` */
    GRIDR__CTL_SIGNAL,       /* parent: send signal `arg` to worker `pid` if still unreaped */
    GRIDR__CTL_EXIT,         /* parent: stop every worker, reap them, exit */
    GRIDR__CTL_SPAWNED,      /* server: worker `index` is `pid`; its channel fd rides along */
    GRIDR__CTL_SPAWN_FAILED, /* server: fork failed with errno `arg` */
    GRIDR__CTL_REAPED        /* server: worker `pid` ended with wait status `arg` */
};

typedef struct gridr__ctl_msg {
    int32_t op;
    int32_t index;
    int32_t arg;
    int32_t pid;
} gridr__ctl_msg;

/** States of a worker entry. */
enum {
    GRIDR__W_EMPTY = 0, /* no process */
    GRIDR__W_SPAWNING,  /* spawn requested */
    GRIDR__W_IDLE,
    GRIDR__W_BUSY,
    GRIDR__W_UNMAPPING, /* asked to unmap at the end of a run */
    GRIDR__W_FAILED     /* its fork failed: not respawned until the next run */
};

typedef struct gridr__worker {
    pid_t pid;
    int fd;    /* parent end of the channel, -1 if none */
    int state; /* GRIDR__W_* */
    int slot;  /* ring slot it works on (BUSY), else -1 */
    int hup;   /* channel closed by the worker: waiting for the server's REAPED */
} gridr__worker;

typedef struct gridr__failure {
    long window;
    char msg[512];
} gridr__failure;

struct gridr_sched {
    gridr_sched_opts o; /* copy; strings below */
    char *state_dir;
#ifdef GRIDR_FAULT_INJECTION
    gridr__fault faults[GRIDR__FAULT_MAX]; /* parsed from gridr__config_fault() at creation */
    int nfaults;
#endif
    pid_t owner;  /* creating process */
    pid_t server; /* fork server pid, 0 once reaped */
    int ctl;      /* parent end of the control socket */
    int sigpipe[2];
    int broken; /* fork server gone: no run possible */
    int nworkers;
    gridr__worker *w;
    int running;
    int last_signal;
    int spawn_errno;
    gridr__failure *failures;
    size_t nfailures, cap_failures;
    long *failed_idx;
    gridr_sched_stats st;
    char run_id[16];
};

/* sched_signal.c: SIGINT/SIGTERM/SIGHUP during a run (GRIDR__NCAUGHT of them). */
#define GRIDR__NCAUGHT 3
/** Dispositions replaced by gridr__catch_signals(), for gridr__restore_signals(). */
typedef struct gridr__sigsave {
    struct sigaction old[GRIDR__NCAUGHT];
    int have[GRIDR__NCAUGHT];
} gridr__sigsave;
/** Catch the signals into s->sigpipe (one run per process at a time; ignored ones stay so). */
void gridr__catch_signals(gridr_sched *s, gridr__sigsave *sv);
/** Put back what gridr__catch_signals() replaced. */
void gridr__restore_signals(gridr__sigsave *sv);
/** The last signal written to s->sigpipe since the last call, or 0; empties the pipe. */
int gridr__read_signal(gridr_sched *s);

/* sched_child.c: the fork server (never returns) and the fault spec parser. */
void gridr__server_main(gridr_sched *s, int ctl, pid_t parent) __attribute__((noreturn));
#ifdef GRIDR_FAULT_INJECTION
int gridr__fault_parse(const char *spec, gridr__fault *f, int max, int *n);
#endif

/* sched.c: pool management used by the run loop. */
int gridr__send_ctl(gridr_sched *s, int op, int index, int arg, pid_t pid);
/** Read one control message without blocking: 1 = *m (and *fd for SPAWNED) filled, 0 = none,
 *  <0 = the fork server is gone (s->broken set, message set). */
int gridr__recv_ctl(gridr_sched *s, gridr__ctl_msg *m, int *fd);
/** Apply SPAWNED / SPAWN_FAILED to the worker table. */
void gridr__apply_spawn(gridr_sched *s, const gridr__ctl_msg *m, int fd);
/** Index of the worker with this pid, or -1. */
int gridr__worker_by_pid(const gridr_sched *s, pid_t pid);
/** Forget a worker's process: close its channel, mark it EMPTY. */
void gridr__worker_drop(gridr_sched *s, int i);
/** Start of a run: apply pending control messages, replace workers that ended. */
int gridr__pool_ready(gridr_sched *s);
/** Request a fork for every EMPTY entry. */
int gridr__fill_pool(gridr_sched *s);
/** Text for a wait status: "killed by SIGKILL", "exited with status 3". */
void gridr__wait_text(int status, char *buf, size_t len);

/* The checks of a run description before a run (creator process, not reentrant, shapes). */
int gridr__sched_check_desc(const gridr_sched *s, const gridr_sched_run_desc *d);
/* Zero the counters of the run about to start (spawned kept). */
void gridr__sched_reset_results(gridr_sched *s, const gridr_sched_run_desc *d);

#endif
