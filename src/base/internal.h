/* gridr: helpers shared inside the library (never installed). */
#ifndef GRIDR_INTERNAL_H
#define GRIDR_INTERNAL_H

#include "config.h"
#include "gridr/dtype.h"
#include "gridr/status.h"

#include <stddef.h>

/** Store a formatted message as the thread's last error and return `status`. */
int gridr__fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Same, appending ": strerror(err)". */
int gridr__fail_errno(int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Store a formatted warning as the thread's last warning (gridr_last_warning()). */
void gridr__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Map an errno value to the nearest gridr status. */
int gridr__status_from_errno(int err);

/** Register / forget a descriptor that helper processes forked by gridr (the scheduler's fork
 *  server and its workers) must not inherit; close every tracked descriptor except `keep` (in a
 *  fresh child; no locking). src/files.c. */
void gridr__fd_track(int fd);
void gridr__fd_untrack(int fd);
void gridr__fd_close_tracked(int keep);

/** Called for one file of a temporary name: `name` in the directory open as `dfd`. Returns 0 or
 *  -1 (errno set). */
typedef int (*gridr__temp_fn)(void *user, int dfd, const char *name);

/** Call fn for every entry of the directory of `path` named exactly like its last component
 *  `base`, or `base.<suffix>`: the files of a temporary name (a run-unique name such as
 *  `<dst>.tmp.<run id>`, its staging file, GDAL's side files). Nothing else, whatever fn does.
 *  Async-signal-safe when fn is (open, getdents64, no allocation). Returns 0, or -1 when the
 *  directory cannot be read or fn failed (after calling it for every entry). A missing
 *  directory is 0. */
int gridr__temp_each(const char *path, gridr__temp_fn fn, void *user);

/** Unlink `name` (relative to `dfd`) if it is a regular file (never follows nor removes a
 *  symlink); a missing file is 0. Async-signal-safe. Returns 0 or -1 (errno set). */
int gridr__unlink_regular(int dfd, const char *name);

/** The private directory `<tmp>.d` beside a temporary name: outputs written by CreateCopy go
 *  there (src/raster/stage.c); gridr__temp_remove removes it with its files. */
#define GRIDR__TEMP_DIR_SUFFIX ".d"

/** Remove every regular file of temporary name `path` (gridr__temp_each), and the directory
 *  `<path>.d` with the files in it (links there removed, never followed). Async-signal-safe. */
int gridr__temp_remove(const char *path);

/** $XDG_RUNTIME_DIR and $TMPDIR as they are now (NULL when unset): where the run journals live.
 *  base/config.c, the one place the environment is read. */
void gridr__config_state_env(const char **xdg, const char **tmp);
/* 1 when an MPI launcher (mpirun, srun) started this process: its environment says so. */
int gridr__config_mpi_launched(void);

/** The switches in force (base/config.c: read once from the environment). Ownership: static. */
const struct gridr_config *gridr__config(void);

#ifdef GRIDR_FAULT_INJECTION
/** The fault-injection spec (GRIDR_FAULT, read once by base/config.c; docs/api/sched.md), or
 *  NULL when unset. Builds configured with --enable-fault-injection only. Ownership: static,
 *  valid until the next gridr__config_set_fault(). */
const char *gridr__config_fault(void);

/** Replace the fault-injection spec of this process (NULL: none), whatever GRIDR_FAULT says:
 *  for the unit tests, which call it before gridr_sched_new(). Not thread-safe against a
 *  concurrent gridr_sched_new() or run. Builds configured with --enable-fault-injection only. */
GRIDR_API void gridr__config_set_fault(const char *spec);

/** Classes of calls that the fault wrappers (base/fault_wrap.c) can fail, each with the errno of
 *  its usual real failure. */
enum {
    GRIDR__FC_ALLOC,     /* malloc calloc realloc strdup strndup aligned_alloc realpath: ENOMEM */
    GRIDR__FC_SHM_OPEN,  /* shm_open: EMFILE */
    GRIDR__FC_FALLOCATE, /* posix_fallocate: ENOSPC */
    GRIDR__FC_MMAP,      /* mmap: ENOMEM */
    GRIDR__FC_FORK,      /* fork: EAGAIN */
    GRIDR__FC_READ,      /* read pread preadv: EIO */
    GRIDR__FC_WRITE,     /* write pwrite: ENOSPC */
    GRIDR__FC_SYNC,      /* fsync fdatasync sync_file_range: EIO */
    GRIDR__FC_RENAME,    /* rename: ENOSPC */
    GRIDR__FC_OPEN,      /* open: EMFILE */
    GRIDR__FC_COUNT
};

/** The armed call failure (GRIDR_FAULT_CALL=CLASS:N[:parent|:server|:worker], read once by
 *  base/config.c): the Nth call of class `cls` made by a process at fork depth `depth` (0 the
 *  program, 1 a process it forked, 2 or more one forked by that) fails. */
typedef struct gridr__fault_call {
    int cls;   /* GRIDR__FC_*, or -1: nothing armed */
    long n;    /* 1-based, counted per process from its fork */
    int depth; /* 0 parent, 1 server, 2 worker */
} gridr__fault_call;

/** The armed call failure (cls -1 when GRIDR_FAULT_CALL is unset or does not parse: then
 *  `bad` is 1 and the wrappers say so on stderr). Ownership: static. */
const gridr__fault_call *gridr__config_fault_call(int *bad);

/** Name of call class `cls` ("alloc", "shm_open", ...), or NULL. */
const char *gridr__fault_call_name(int cls);
#endif

#define GRIDR__MIN(a, b) ((a) < (b) ? (a) : (b))
#define GRIDR__MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
