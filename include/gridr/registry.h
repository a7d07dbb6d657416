/* gridr: the run registry: every shared-memory name and temporary file of a run, journaled. */
#ifndef GRIDR_REGISTRY_H
#define GRIDR_REGISTRY_H

#include <stddef.h>
#include <sys/types.h>

#include "gridr/sma.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The registry of one run. Opaque; owns a journal file in the state directory. */
typedef struct gridr_registry gridr_registry;

/** The registry is not thread-safe: use it from one thread. gridr_registry_new_name(),
 *  gridr_registry_release(), gridr_registry_add_file() and gridr_registry_forget_file() return
 *  GRIDR_EINVAL in any process other than the one that opened the registry. */

/** Open a registry: draws an 8-hex run id from getrandom() and creates the journal
 *  `<state_dir>/<run id>.journal` (O_EXCL, 0600), takes flock(LOCK_EX) on it before writing
 *  anything and holds it until gridr_registry_close() (the sweep's liveness test), then writes
 *  pid, process start time, boot id and uid. `state_dir` NULL means the default:
 * $XDG_RUNTIME_DIR/gridr, else $TMPDIR/gridr-<uid> (else /tmp/gridr-<uid>), created 0700 and
 * checked to belong to this user. Ownership: caller closes *out with gridr_registry_close(). */
GRIDR_API int gridr_registry_open(const char *state_dir, gridr_registry **out);

/** Unlink every name still held, remove registered temporary files and the journal, free.
 *  Only the process that opened the registry cleans up: in a forked child this only frees
 *  memory. Idempotent for names already gone. Accepts NULL. */
GRIDR_API void gridr_registry_close(gridr_registry *reg);

/** The run id (8 hex chars). Ownership: borrowed. */
GRIDR_API const char *gridr_registry_run_id(const gridr_registry *reg);

/** The journal path. Ownership: borrowed. */
GRIDR_API const char *gridr_registry_journal(const gridr_registry *reg);

/** Draw the next segment name into `name` and append it to the journal before returning (intent
 *  before create). Used by gridr_sma_create(). */
GRIDR_API int gridr_registry_new_name(gridr_registry *reg, char name[GRIDR_SMA_NAME_MAX]);

/** Unlink one segment and record its release. A name already gone is not an error. */
GRIDR_API int gridr_registry_release(gridr_registry *reg, const char *name);

/** Record a temporary file (e.g. an output being written) so that a close or a stale sweep
 *  removes it. */
GRIDR_API int gridr_registry_add_file(gridr_registry *reg, const char *path);

/** Record a temporary *name* (journal record `+tmp`): the regular file `path` and every regular
 *  file of its directory named `<last component of path>.<suffix>` (a staging file, GDAL's side
 *  files such as `.aux.xml`, `.ovr.tmp`, `.msk`) belong to the run, and close, the emergency
 *  unlink and a stale sweep remove them all; symlinks, directories and any other name are never
 *  touched. The name must be unique to the run (e.g. `<dst>.tmp.<run id>`). Record it before
 *  creating any of its files. Relative paths are made absolute. Errors as add_file, and
 *  GRIDR_EINVAL when `path` is already registered as a file. */
GRIDR_API int gridr_registry_add_temp(gridr_registry *reg, const char *path);

/** Keep temporary name `path` (registered with gridr_registry_add_temp) when the run ends
 *  unfinished, also on the emergency path: a resumable partial output (journal record `+keep`).
 *  Its journal then stays after close, and a stale sweep keeps its files while
 *  `<path>.resume` exists, unless asked to remove everything (GRIDR_SWEEP_ALL). */
GRIDR_API int gridr_registry_keep_temp(gridr_registry *reg, const char *path);

/** Forget a temporary file or name (it was renamed to its final name) without removing it. */
GRIDR_API int gridr_registry_forget_file(gridr_registry *reg, const char *path);

/** Number of segment names currently held (registered and not released). */
GRIDR_API size_t gridr_registry_count(const gridr_registry *reg);

/** Async-signal-safe emergency cleanup: unlink every held segment name and registered file
 *  with unlink(2) on precomputed paths, remove the journal. No allocation, no locks. For a
 *  fatal-signal handler; normal paths (including SIGINT/SIGTERM noticed by the scheduler's
 *  loop) use gridr_registry_close(). Does nothing in a process other than the owner. */
GRIDR_API void gridr_registry_emergency_unlink(gridr_registry *reg);

/** Called by the stale sweep for each object it removes (or would remove, on a dry run): `what`
 *  is "shm" (name is the segment name), "file" or "journal" (name is the path). A journal that
 *  cannot be parsed (or a headerless one whose lock cannot be tested) is reported with what =
 *  "unreadable" and left in place. */
typedef void (*gridr_sweep_fn)(void *user, const char *run_id, const char *what, const char *name);

/** gridr_registry_sweep flags: only report; also remove resumable partial outputs. */
#define GRIDR_SWEEP_DRY_RUN 1
#define GRIDR_SWEEP_ALL 2

/** Remove what dead runs of this user left: for each journal in `state_dir` (NULL = default)
 *  whose owner is gone, unlink its segments, temporary files and the files of its temporary
 *  names, and remove the journal. Liveness: a journal whose flock is held by any process is a
 *  live run and is not touched; with the lock free, a headerless journal (empty or a part of the
 *  header) is dead, a complete one is dead when its pid is missing, reused with another start
 *  time, a zombie, or of another boot. Other users' objects are never touched. A kept temporary
 *  name (gridr_registry_keep_temp) whose `<name>.resume` record exists is a resumable partial
 *  output: reported with what = "partial" and kept, with its journal, unless `flags` has
 *  GRIDR_SWEEP_ALL (a record locked by a live run resuming it is kept even then).
 *  GRIDR_SWEEP_DRY_RUN only reports. `*removed` (may be NULL) counts the objects removed or
 * reported ("unreadable" journals are not counted). A missing state directory is not an error
 * (nothing to sweep). */
GRIDR_API int gridr_registry_sweep(const char *state_dir, int flags, gridr_sweep_fn fn, void *user,
                                   size_t *removed);

#ifdef __cplusplus
}
#endif
#endif
