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
#endif

#define GRIDR__MIN(a, b) ((a) < (b) ? (a) : (b))
#define GRIDR__MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
