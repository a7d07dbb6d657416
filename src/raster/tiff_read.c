/* gridr: direct reads of uncompressed GeoTIFF chunks into the caller's rows with preadv. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <tiffio.h>
#include <unistd.h>

/* gridr_config.preadv (GRIDR_RASTER_PREADV): "never", every chunk through libtiff's buffer;
 * "always", preadv whatever the row width (tests, comparisons); default: rows of at least MIN_ROW
 * bytes. Kept by the redesign's measurement: zoom /2 of a stripped 12000^2 u16 source, 2 workers,
 * 0.39 s of CPU with preadv against 0.56 s buffered (median of 7; W2 cubic: 3.08 s either way). */

/* Narrower chunk rows are read through libtiff's buffer: one iovec per row costs the kernel more
 * than the user copy it saves (a 256-wide u16 tile row is 512 bytes; measured on 12000^2 u16
 * tiled 256: buffered 0.08-0.09 s, preadv 0.09-0.13 s, more kernel time than user time saved). */
#define MIN_ROW 4096

/* Iovecs per preadv call (at most IOV_MAX, 1024 on Linux): two per row (data, gap). */
#define MAX_IOV 512

/* File bytes between two rows of a chunk part that are read into the chunk buffer (discarded)
 * rather than split into two calls (a syscall costs about as much as copying a few KiB). */
#define MAX_GAP 8192

/* 0: never, 1: always, 2: rows of at least MIN_ROW bytes. */
static int preadv_mode(void)
{
    return gridr__config()->preadv;
}

/* Whether the file's samples of one band sit in one chunk each, in native byte order: then a
 * row of a chunk part is a contiguous run of file bytes, read as is. */
static int direct_ok(const gridr_raster *r, size_t row_bytes)
{
    size_t sz = gridr_dtype_size(r->dtypes[0]);
    int mode = preadv_mode();
    return (r->tiff_separate || r->bands == 1) && (sz == 1 || !TIFFIsByteSwapped(r->tif)) &&
           (mode == 1 || (mode == 2 && row_bytes >= MIN_ROW));
}

/* Bytes the chunk (ty, *) must hold: a whole tile, or the rows of a (possibly last) strip. */
static uint64_t chunk_bytes(const gridr_raster *r, long ty, size_t sz)
{
    long rows = r->tiff_th;
    if (!r->tiff_tiled)
        rows = GRIDR__MIN(rows, r->rows - ty * r->tiff_th);
    return (uint64_t)rows * (uint64_t)r->tiff_tw * sz;
}

/* preadv until every iovec is full; advances `iov` on partial reads. Returns 0, or -1 with
 * errno set (0 for end of file). */
static int preadv_full(int fd, struct iovec *iov, int n, off_t off)
{
    while (n > 0) {
        ssize_t got = preadv(fd, iov, n, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = 0;
            return -1;
        }
        off += got;
        while (n > 0 && (size_t)got >= iov->iov_len) {
            got -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + got;
            iov->iov_len -= (size_t)got;
        }
    }
    return 0;
}

static int read_failed(const gridr_raster *r, gridr_rect win, int err)
{
    const char *why = err ? strerror(err) : "short read (file truncated?)";
    return gridr__fail(GRIDR_EIO, "cannot read window rows [%ld, %ld) cols [%ld, %ld) of '%s': %s",
                       win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path, why);
}

/* One chunk part into band k of arr: rows of `row_bytes` every `pitch` file bytes from `off`.
 * Consecutive rows are joined in one call while the gap between them is small. */
static int read_rows(const gridr_raster *r, gridr_rect win, gridr_rect p, uint64_t off,
                     size_t pitch, const gridr_array *arr, int k)
{
    size_t sz = gridr_dtype_size(arr->dtype), row_bytes = (size_t)p.cols * sz;
    size_t gap = pitch - row_bytes;
    int fd = TIFFFileno(r->tif), join = gap <= MAX_GAP && gap <= r->tiff_buf_size;
    struct iovec iov[MAX_IOV];
    for (long y = 0; y < p.rows;) {
        uint64_t start = off + (uint64_t)y * pitch;
        int n = 0;
        for (; y < p.rows && n + 2 <= MAX_IOV; y++) {
            if (n > 0 && !join)
                break;
            if (n > 0 && gap > 0)
                iov[n++] = (struct iovec){r->tiff_buf, gap};
            iov[n++] = (struct iovec){
                gridr_array_at(arr, k, p.row0 - win.row0 + y, p.col0 - win.col0), row_bytes};
        }
        if (start > (uint64_t)INT64_MAX || preadv_full(fd, iov, n, (off_t)start) != 0)
            return read_failed(r, win, errno);
    }
    return 0;
}

int gridr__tiff_read_direct(gridr_raster *r, gridr_rect win, gridr_rect p, long ty, long tx,
                            uint32_t idx, const gridr_array *arr, int k)
{
    size_t sz = gridr_dtype_size(arr->dtype), pitch = (size_t)r->tiff_tw * sz;
    if (!direct_ok(r, (size_t)p.cols * sz))
        return 1;
    uint64_t off = TIFFGetStrileOffset(r->tif, idx), n = TIFFGetStrileByteCount(r->tif, idx);
    if (n == 0 || n < chunk_bytes(r, ty, sz) || off > UINT64_MAX - n)
        return 1; /* sparse or odd chunk: libtiff's buffered read decides */
    uint64_t y = (uint64_t)(p.row0 - ty * r->tiff_th), x = (uint64_t)(p.col0 - tx * r->tiff_tw);
    return read_rows(r, win, p, off + y * pitch + x * sz, pitch, arr, k);
}
