/* gridr: named POSIX shared-memory arrays: create (O_EXCL, 0600, fallocate), attach, views. */
#include "base/internal.h"
#include "gridr/sma.h"
#include "gridr/registry.h"

#include "registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct gridr_sma {
    void *map;
    size_t len; /* mapping length: the array rounded up to whole pages, at least one page */
    gridr_array arr;
    char name[GRIDR_SMA_NAME_MAX];
};

/* Consecutive names found taken before giving up (squatting, or a run id collision). */
#define MAX_NAME_ATTEMPTS 64

#define MIB (1024.0 * 1024.0)

/* Bytes of the shape; the limit leaves room for page rounding and fits off_t and long. */
static int shape_bytes(gridr_dtype dt, int bands, long rows, long cols, size_t *out)
{
    const size_t lim = (size_t)PTRDIFF_MAX / 2;
    size_t es = gridr_dtype_size(dt);
    if (!es)
        return gridr__fail(GRIDR_EINVAL, "unknown dtype %d for a shared-memory array", (int)dt);
    if (bands < 0 || rows < 0 || cols < 0)
        return gridr__fail(GRIDR_EINVAL, "negative shape (%d, %ld, %ld)", bands, rows, cols);
    size_t n = (size_t)rows; /* rows*cols is also the band stride: it must fit too */
    int over = cols && n > lim / (size_t)cols;
    n *= over ? 0 : (size_t)cols;
    over |= bands && n > lim / (size_t)bands;
    n *= over ? 0 : (size_t)bands;
    if (over || n > lim / es)
        return gridr__fail(GRIDR_ERANGE, "shape (%d, %ld, %ld) of %s is too large", bands, rows,
                           cols, gridr_dtype_name(dt));
    *out = n * es;
    return 0;
}

size_t gridr_sma_bytes_for(gridr_dtype dt, int bands, long rows, long cols)
{
    size_t n;
    return shape_bytes(dt, bands, rows, cols, &n) ? 0 : n;
}

static size_t map_length(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return bytes ? (bytes + page - 1) / page * page : page;
}

static int new_handle(gridr_dtype dt, int bands, long rows, long cols, gridr_sma **out)
{
    size_t bytes;
    int rc = shape_bytes(dt, bands, rows, cols, &bytes);
    if (rc)
        return rc;
    gridr_sma *a = calloc(1, sizeof *a);
    if (!a)
        return gridr__fail(GRIDR_ENOMEM, "no memory for a shared-memory array handle");
    a->len = map_length(bytes);
    a->arr = gridr_array_make(NULL, dt, bands, rows, cols);
    *out = a;
    return 0;
}

/* extra: MAP_POPULATE where the mapper touches the whole segment (workers): one pass of the
 * page tables instead of a fault per page (W2 cubic -j 2: 47k faults down to 9k). */
static int map_fd(gridr_sma *a, int fd, int extra)
{
    void *p = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_SHARED | extra, fd, 0);
    if (p == MAP_FAILED)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "cannot map shared-memory segment %s (%zu bytes)", a->name,
                                 a->len);
    a->map = p;
    a->arr.data = p;
    return 0;
}

/* Draw names until one can be created exclusively; a taken name is given up, never opened. */
static int open_new(gridr_registry *reg, char name[GRIDR_SMA_NAME_MAX], size_t *slot)
{
    for (int attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
        int rc = gridr__registry_draw(reg, name, slot);
        if (rc)
            return rc;
        int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd >= 0) {
            gridr__registry_confirm(reg, *slot);
            return fd;
        }
        int err = errno;
        if ((rc = gridr__registry_disown(reg, *slot)))
            return rc;
        if (err != EEXIST && err != EINTR)
            return gridr__fail_errno(gridr__status_from_errno(err), err,
                                     "cannot create shared-memory segment %s", name);
    }
    return gridr__fail(GRIDR_EEXIST,
                       "%d shared-memory names of run %s in a row already exist in /dev/shm "
                       "(another process creates gridr names?)",
                       MAX_NAME_ATTEMPTS, gridr_registry_run_id(reg));
}

static int no_space(const char *name, size_t len)
{
    struct statvfs sv;
    if (statvfs(GRIDR__SHM_DIR, &sv) != 0)
        return gridr__fail(GRIDR_ENOSPC,
                           "cannot allocate shared-memory segment %s: need %.1f MiB "
                           "in /dev/shm, which is full",
                           name, (double)len / MIB);
    return gridr__fail(GRIDR_ENOSPC,
                       "cannot allocate shared-memory segment %s: need %.1f MiB in /dev/shm, "
                       "%.1f MiB free (enlarge /dev/shm, e.g. docker --shm-size, or lower the "
                       "memory budget)",
                       name, (double)len / MIB, (double)sv.f_bavail * (double)sv.f_frsize / MIB);
}

/* Mode 0600 whatever the umask, every page reserved now (a full tmpfs fails here, not with
 * SIGBUS on first touch), then the mapping. */
static int size_and_map(gridr_sma *a, int fd)
{
    if (fchmod(fd, 0600) != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "fchmod shared-memory segment %s", a->name);
    int err;
    do
        err = posix_fallocate(fd, 0, (off_t)a->len);
    while (err == EINTR);
    if (err == ENOSPC)
        return no_space(a->name, a->len);
    if (err)
        return gridr__fail_errno(gridr__status_from_errno(err), err,
                                 "cannot allocate %zu bytes for shared-memory segment %s", a->len,
                                 a->name);
    return map_fd(a, fd, 0);
}

int gridr_sma_create(struct gridr_registry *reg, gridr_dtype dt, int bands, long rows, long cols,
                     gridr_sma **out)
{
    if (!out)
        return gridr__fail(GRIDR_EINVAL, "gridr_sma_create: out is NULL");
    *out = NULL;
    if (!reg)
        return gridr__fail(GRIDR_EINVAL, "gridr_sma_create: registry is NULL");
    gridr_sma *a;
    size_t slot;
    int rc = new_handle(dt, bands, rows, cols, &a);
    if (rc)
        return rc;
    int fd = open_new(reg, a->name, &slot);
    if (fd < 0) {
        free(a);
        return fd;
    }
    rc = size_and_map(a, fd);
    close(fd);
    if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", gridr_last_error());
        gridr_registry_release(reg, a->name); /* unlinks what we created, journals it */
        free(a);
        return gridr__fail(rc, "%s", msg);
    }
    *out = a;
    return 0;
}

static int check_name(const char *name)
{
    if (!name || name[0] != '/' || strlen(name) >= GRIDR_SMA_NAME_MAX || strchr(name + 1, '/') ||
        !name[1])
        return gridr__fail(GRIDR_EINVAL,
                           "bad shared-memory name \"%s\" (one leading '/', at most %d chars)",
                           name ? name : "(null)", GRIDR_SMA_NAME_MAX - 2);
    return 0;
}

static int check_segment(const gridr_sma *a, int fd)
{
    struct stat st;
    size_t need = gridr_sma_bytes_for(a->arr.dtype, a->arr.bands, a->arr.rows, a->arr.cols);
    if (fstat(fd, &st) != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "fstat shared-memory segment %s", a->name);
    if (st.st_uid != geteuid())
        return gridr__fail(GRIDR_EPERM,
                           "shared-memory segment %s belongs to uid %lu, not to uid %lu", a->name,
                           (unsigned long)st.st_uid, (unsigned long)geteuid());
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || (size_t)st.st_size < need)
        return gridr__fail(GRIDR_EFORMAT,
                           "shared-memory segment %s holds %lld bytes; a (%d, %ld, %ld) %s array "
                           "needs %zu",
                           a->name, (long long)st.st_size, a->arr.bands, a->arr.rows, a->arr.cols,
                           gridr_dtype_name(a->arr.dtype), need);
    return 0;
}

int gridr_sma_attach(const char *name, gridr_dtype dt, int bands, long rows, long cols,
                     gridr_sma **out)
{
    if (!out)
        return gridr__fail(GRIDR_EINVAL, "gridr_sma_attach: out is NULL");
    *out = NULL;
    gridr_sma *a;
    int rc = check_name(name);
    if (rc || (rc = new_handle(dt, bands, rows, cols, &a)))
        return rc;
    snprintf(a->name, sizeof a->name, "%s", name);
    int fd = shm_open(name, O_RDWR, 0); /* never O_CREAT: attach only what exists */
    if (fd < 0) {
        rc = gridr__fail_errno(gridr__status_from_errno(errno), errno,
                               "cannot open shared-memory segment %s", name);
        free(a);
        return rc;
    }
    rc = check_segment(a, fd);
    if (!rc)
        rc = map_fd(a, fd, MAP_POPULATE);
    close(fd);
    if (rc) {
        free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void gridr_sma_detach(gridr_sma *a)
{
    if (!a)
        return;
    if (a->map)
        munmap(a->map, a->len);
    free(a);
}

int gridr_sma_room(size_t *bytes)
{
    struct statvfs sv;
    *bytes = 0;
    if (statvfs(GRIDR__SHM_DIR, &sv) != 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot look at %s", GRIDR__SHM_DIR);
    double free_b = (double)sv.f_bavail * (double)sv.f_frsize;
    *bytes = free_b > (double)SIZE_MAX ? SIZE_MAX : (size_t)free_b;
    return 0;
}

int gridr_sma_unlink(const char *name)
{
    int rc = check_name(name);
    if (rc)
        return rc;
    if (shm_unlink(name) != 0 && errno != ENOENT)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "cannot unlink shared-memory segment %s", name);
    return 0;
}

const char *gridr_sma_name(const gridr_sma *a)
{
    return a ? a->name : NULL;
}

gridr_array gridr_sma_array(const gridr_sma *a)
{
    gridr_array none = {0};
    return a ? a->arr : none;
}

int gridr_sma_view(const gridr_sma *a, gridr_rect win, gridr_array *out)
{
    if (!a || !out)
        return gridr__fail(GRIDR_EINVAL, "gridr_sma_view: NULL argument");
    const gridr_array *arr = &a->arr;
    if (win.row0 < 0 || win.col0 < 0 || win.rows < 0 || win.cols < 0 || win.row0 > arr->rows ||
        win.col0 > arr->cols || win.rows > arr->rows - win.row0 || win.cols > arr->cols - win.col0)
        return gridr__fail(GRIDR_ERANGE,
                           "view rows %ld+%ld cols %ld+%ld outside shared-memory array %s "
                           "(%ld x %ld)",
                           win.row0, win.rows, win.col0, win.cols, a->name, arr->rows, arr->cols);
    return gridr_array_sub(arr, win, out);
}

size_t gridr_sma_bytes(const gridr_sma *a)
{
    return a ? a->len : 0;
}
