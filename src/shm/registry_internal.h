/* gridr: registry internals shared by sma.c, registry.c, registry_sweep.c and the tests. */
#ifndef GRIDR_REGISTRY_INTERNAL_H
#define GRIDR_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gridr/registry.h"

/** Name prefix and the largest sequence number whose name still fits in 30 characters
 *  ("/gridr." + 8 + "." + 14 hex digits). */
#define GRIDR__SHM_PREFIX "/gridr."
#define GRIDR__SEQ_MAX UINT64_C(0xffffffffffffff)

/** Where tmpfs POSIX shared memory lives on Linux, and the size of a "/dev/shm/<name>" path. */
#define GRIDR__SHM_DIR "/dev/shm"
#define GRIDR__SHM_PATH_MAX 48

/** Length of a boot id ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") plus its NUL. */
#define GRIDR__BOOT_ID_MAX 40

/** Draw the next name, journal it and hold it as *pending*: close() unlinks it, the
 *  emergency unlink skips it (it may still be someone else's segment). *slot identifies it for
 *  confirm/disown. */
int gridr__registry_draw(gridr_registry *reg, char name[GRIDR_SMA_NAME_MAX], size_t *slot);

/** The segment of a pending slot now exists and is ours (the emergency unlink will remove it). */
void gridr__registry_confirm(gridr_registry *reg, size_t slot);

/** Give a pending name up without unlinking it (it was never created by us, e.g. EEXIST):
 *  journals a release record. */
int gridr__registry_disown(gridr_registry *reg, size_t slot);

/** Test hook: the next name uses sequence number `seq`. GRIDR_ERANGE above GRIDR__SEQ_MAX. */
GRIDR_API int gridr__registry_set_seq(gridr_registry *reg, uint64_t seq);

/** Resolve the state directory (NULL = default), create it 0700 when `create` and it is
 *  missing, check that it is a real directory owned by us with no group/other access.
 *  *out is malloc'd. GRIDR_ENOENT when missing and !create. */
int gridr__state_dir(const char *dir, int create, char **out);

/** Start time of a process (field 22 of /proc/<pid>/stat, clock ticks after boot) and its state
 *  letter (field 3; `state` may be NULL). Returns 0, GRIDR_ENOENT (no such process) or another
 *  error. */
int gridr__proc_start_time(pid_t pid, unsigned long long *start, char *state);

/** This machine's boot id, without the newline. */
int gridr__boot_id(char out[GRIDR__BOOT_ID_MAX]);

/** Non-zero if `s` is exactly 8 lowercase hex digits. */
int gridr__is_run_id(const char *s, size_t len);

/** Non-zero if `name` is "/gridr.<run_id>.<1 to 14 lowercase hex digits>". */
int gridr__is_run_name(const char *name, const char *run_id);

#endif
