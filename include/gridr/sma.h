/* gridr: named POSIX shared-memory arrays (bands, rows, cols) that cross fork(). */
#ifndef GRIDR_SMA_H
#define GRIDR_SMA_H

#include <stddef.h>

#include "gridr/dtype.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest name, including the leading '/' and the terminating NUL. Names have the form
 *  "/gridr.<8 hex run id>.<hex seq>" and are at most 30 characters (macOS allows 31). */
#define GRIDR_SMA_NAME_MAX 32

struct gridr_registry;

/** A named shared-memory array, or a mapping of one. Opaque; owns its mapping. */
typedef struct gridr_sma gridr_sma;

/** Create a new segment for a (bands, rows, cols) array of `dt`, zero-filled. Its name comes from
 *  `reg` and is journaled there *before* the segment exists. The segment is created with
 *  O_CREAT|O_EXCL, mode 0600 (whatever the umask), sized with posix_fallocate (a full /dev/shm
 *  gives GRIDR_ENOSPC, never SIGBUS later). A name that already exists is never adopted: another
 *  name is drawn (the foreign segment is left untouched).
 *  Ownership: *out is the caller's; gridr_sma_detach() unmaps it, gridr_registry_release()
 *  or gridr_registry_close() unlinks the name. On failure *out is NULL and nothing is left.
 *  Dimensions may be 0 (empty array); negative ones are GRIDR_EINVAL, too large GRIDR_ERANGE.
 *  Only the process that opened `reg` may create (GRIDR_EINVAL in a forked child). */
GRIDR_API int gridr_sma_create(struct gridr_registry *reg, gridr_dtype dt, int bands, long rows,
                               long cols, gridr_sma **out);

/** Attach an existing segment by name (read-write, no O_CREAT). Checks that the segment belongs
 *  to this user and that its size holds the shape. The whole mapping is populated at once (an
 *  attacher is expected to use the segment). Ownership: caller detaches *out. */
GRIDR_API int gridr_sma_attach(const char *name, gridr_dtype dt, int bands, long rows, long cols,
                               gridr_sma **out);

/** Unmap and free the handle; the segment itself stays until unlinked. Accepts NULL. */
GRIDR_API void gridr_sma_detach(gridr_sma *a);

/** Bytes free in /dev/shm now (statvfs: what new segments may take). The planner caps a run's
 *  memory budget with it, so that a container's small /dev/shm (Docker: 64 MiB) gets smaller
 *  windows rather than a failed run. Errors: GRIDR_EIO (the directory cannot be looked at). */
GRIDR_API int gridr_sma_room(size_t *bytes);

/** Unlink a segment by name. A name already gone is not an error. */
GRIDR_API int gridr_sma_unlink(const char *name);

/** Name of the segment. Ownership: borrowed, valid until detach. */
GRIDR_API const char *gridr_sma_name(const gridr_sma *a);

/** The whole array as a borrowed strided view (valid until detach). */
GRIDR_API gridr_array gridr_sma_array(const gridr_sma *a);

/** A sub-window view (rows/cols offsets and sizes, all bands) of the same segment, as GridR's
 *  array_slice. Returns 0 or GRIDR_ERANGE. The view borrows the mapping. */
GRIDR_API int gridr_sma_view(const gridr_sma *a, gridr_rect win, gridr_array *out);

/** Byte size of the mapping (>= bands*rows*cols*dtype size): whole pages, at least one, so an
 *  empty array (a zero dimension) still has a valid, non-NULL mapping. */
GRIDR_API size_t gridr_sma_bytes(const gridr_sma *a);

/** Bytes a (bands, rows, cols) array of dt needs, or 0 on overflow (also 0 for an empty shape,
 *  a negative dimension or an unknown dtype; gridr_sma_create() tells these apart). */
GRIDR_API size_t gridr_sma_bytes_for(gridr_dtype dt, int bands, long rows, long cols);

#ifdef __cplusplus
}
#endif
#endif
