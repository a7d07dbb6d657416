/* gridr: a file of the parent reopened by a worker (/proc/<pid>/fd/<n>, the one place that does
 * it), and the source reads workers do through it (direct libtiff path). */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "raster_internal.h"

/* The parent reads from its page cache copy the same bytes a worker would: moving the reads into
 * the workers takes the kernel copies and row copies off the parent, whose CPU otherwise comes
 * out of the workers' share when there are as many workers as cores. */

static int env_off(void)
{
    return !gridr__config()->worker_reads;
}

int gridr__fdref_open(int64_t pid, int fd, uint64_t dev, uint64_t ino, int flags, char *path,
                      size_t n)
{
    struct stat st;
    snprintf(path, n, "/proc/%lld/fd/%d", (long long)pid, fd);
    int fd2 = open(path, flags | O_CLOEXEC);
    if (fd2 < 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot reopen %s", path);
    if (fstat(fd2, &st) != 0 || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
        close(fd2);
        return gridr__fail(GRIDR_EIO, "%s is not the file the run opened", path);
    }
    return fd2;
}

/* A forked worker can reopen the file through /proc/<pid>/fd/<fd>: this process is dumpable (the
 * kernel lets a child of the same user read a dumpable process's descriptors only; a pipeline
 * that made itself non-dumpable with prctl would see every window fail) and the path reopens as
 * the same file. Where not, the parent keeps the reads. */
static int reopens(int fd, const struct stat *st)
{
    char path[64];
    if (prctl(PR_GET_DUMPABLE) != 1)
        return 0;
    int fd2 = gridr__fdref_open((int64_t)getpid(), fd, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
                                O_RDONLY, path, sizeof path);
    if (fd2 < 0)
        return 0;
    close(fd2);
    return 1;
}

int gridr_raster_worker_source(gridr_raster *r, gridr_raster_worker_src *out)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (!r || r->writable)
        return gridr__fail(GRIDR_EINVAL, "worker source: not a raster open for reading");
    if (r->bands != 1 || env_off() || !gridr__tiff_reader_ready(r) || r->rows > INT32_MAX ||
        r->cols > INT32_MAX)
        return 0;
    int fd = TIFFFileno(r->tif);
    if (fd < 0 || fstat(fd, &st) != 0 || !reopens(fd, &st))
        return 0;
    *out = (gridr_raster_worker_src){1,
                                     fd,
                                     (int64_t)getpid(),
                                     (uint64_t)st.st_dev,
                                     (uint64_t)st.st_ino,
                                     (int32_t)r->dtypes[0],
                                     r->has_nodata[0],
                                     r->nodata[0],
                                     (int32_t)r->rows,
                                     (int32_t)r->cols,
                                     {0}};
    size_t n = strlen(r->path), keep = sizeof out->name - 1;
    snprintf(out->name, sizeof out->name, "%s", r->path + (n > keep ? n - keep : 0));
    return 0;
}

/* ---- the worker's side ------------------------------------------------------------------- */

/* One reopened source per process, kept while the descriptions name the same file. */
static struct {
    pthread_mutex_t lock;
    gridr_raster *r;
    gridr_raster_worker_src ws;
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, {0}};

static int same_file(const gridr_raster_worker_src *a, const gridr_raster_worker_src *b)
{
    return a->pid == b->pid && a->fd == b->fd && a->dev == b->dev && a->ino == b->ino &&
           a->dtype == b->dtype && a->rows == b->rows && a->cols == b->cols &&
           a->has_nodata == b->has_nodata &&
           (a->nodata == b->nodata || (a->nodata != a->nodata && b->nodata != b->nodata));
}

static gridr_raster *worker_alloc(const gridr_raster_worker_src *ws, const char *path)
{
    gridr_raster *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->path = strdup(path);
    r->dtypes = malloc(sizeof *r->dtypes);
    r->signed_byte = calloc(1, sizeof *r->signed_byte);
    r->has_nodata = malloc(sizeof *r->has_nodata);
    r->nodata = malloc(sizeof *r->nodata);
    if (!r->path || !r->dtypes || !r->signed_byte || !r->has_nodata || !r->nodata) {
        gridr__raster_free(r);
        return NULL;
    }
    r->rows = ws->rows;
    r->cols = ws->cols;
    r->bands = 1;
    r->dtypes[0] = (gridr_dtype)ws->dtype;
    r->has_nodata[0] = ws->has_nodata;
    r->nodata[0] = ws->nodata;
    snprintf(r->driver, sizeof r->driver, "GTiff");
    return r;
}

/* Reopen the parent's file and check it is the one described. */
static int worker_open(const gridr_raster_worker_src *ws, gridr_raster **out)
{
    char path[64];
    gridr_raster *r = worker_alloc(ws, ws->name); /* messages name the user's file */
    if (!r)
        return gridr__fail(GRIDR_ENOMEM, "worker source: no memory");
    int fd = gridr__fdref_open(ws->pid, ws->fd, ws->dev, ws->ino, O_RDONLY, path, sizeof path);
    int rc = fd < 0 ? gridr__fail(fd, "worker source: '%s': %s", ws->name, gridr_last_error())
                    : gridr__tiff_reader_attach(r, fd);
    if (rc) {
        gridr__raster_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int read_locked(const gridr_raster_worker_src *ws, gridr_rect win, const gridr_array *arr)
{
    if (!cache.r || !same_file(&cache.ws, ws)) {
        if (cache.r)
            gridr__raster_free(cache.r);
        cache.r = NULL;
        int rc = worker_open(ws, &cache.r);
        if (rc)
            return rc;
        cache.ws = *ws;
    }
    gridr_raster *r = cache.r;
    if (win.row0 < 0 || win.col0 < 0 || win.rows < 1 || win.cols < 1 ||
        win.row0 + win.rows > r->rows || win.col0 + win.cols > r->cols || arr->bands != 1 ||
        arr->rows != win.rows || arr->cols != win.cols || arr->dtype != r->dtypes[0])
        return gridr__fail(GRIDR_EINVAL,
                           "worker source: window rows %ld+%ld cols %ld+%ld does not fit the "
                           "%ldx%ld raster or the %ldx%ld %s array",
                           win.row0, win.rows, win.col0, win.cols, r->rows, r->cols, arr->rows,
                           arr->cols, gridr_dtype_name(arr->dtype));
    int rc = gridr__tiff_read(r, win, NULL, 1, arr);
    return rc == 1 ? gridr__fail(GRIDR_EIO, "worker source: the direct read declined") : rc;
}

int gridr_raster_worker_read(const gridr_raster_worker_src *ws, gridr_rect win,
                             const gridr_array *arr)
{
    if (!ws || !ws->ok || !arr)
        return gridr__fail(GRIDR_EINVAL, "worker source: nothing to read");
    pthread_mutex_lock(&cache.lock);
    int rc = read_locked(ws, win, arr);
    pthread_mutex_unlock(&cache.lock);
    return rc;
}
