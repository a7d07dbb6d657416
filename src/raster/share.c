/* gridr: outputs whose uncompressed tiles workers write at fixed offsets; the owner keeps the
 * TIFF directory. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "raster_internal.h"

/* Writing 288 MB of tiles into the page cache was most of the owner's CPU on W2: with as many
 * workers as cores it came out of the workers' share, and the owner is a serial stage that caps
 * how many workers a run can feed. Uncompressed tiles have a fixed size, so every tile's place in
 * the file is known before it is computed: workers write their own, the owner records them. */

enum { OFFSETS, COUNTS };

typedef struct ifd_arrays {
    uint64_t pos[2];   /* file positions of TileOffsets and TileByteCounts */
    uint64_t count[2]; /* their entries */
    int size[2];       /* bytes an entry: 2 (SHORT), 4 (LONG) or 8 (LONG8) */
} ifd_arrays;

typedef struct gridr__share {
    gridr_raster_tile_codec c;
    gridr_raster_tile_sink sink;
    ifd_arrays a;
    uint32_t ntiles;
    unsigned char *written; /* a byte a tile */
} gridr__share;

static int env_off(void)
{
    return !gridr__config()->worker_writes;
}

static long ceil_div(long a, long b)
{
    return a / b + (a % b != 0);
}

static uint64_t tile_number(const gridr_raster_tile_codec *c, long ty, long tx, int plane)
{
    uint64_t across = (uint64_t)ceil_div(c->cols, c->tile_cols);
    uint64_t down = (uint64_t)ceil_div(c->rows, c->tile_rows);
    return (c->separate ? (uint64_t)plane * across * down : 0) + (uint64_t)ty * across +
           (uint64_t)tx;
}

/* ---- the directory ------------------------------------------------------------------------ */

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    ssize_t got;
    do
        got = pread(fd, buf, n, (off_t)off);
    while (got < 0 && errno == EINTR);
    return got == (ssize_t)n ? 0 : -1;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

/* Note entry `e` (at file position `at`) if it is TileOffsets or TileByteCounts. -1: a type
 * this code does not rewrite. */
static int note_entry(const unsigned char *e, uint64_t at, int big, ifd_arrays *a)
{
    unsigned tag = (unsigned)le(e, 2), type = (unsigned)le(e + 2, 2);
    int k = tag == TIFFTAG_TILEOFFSETS ? OFFSETS : tag == TIFFTAG_TILEBYTECOUNTS ? COUNTS : -1;
    if (k < 0)
        return 0;
    int size = type == TIFF_SHORT ? 2 : type == TIFF_LONG ? 4 : type == TIFF_LONG8 ? 8 : 0;
    int voff = big ? 12 : 8, vsz = big ? 8 : 4;
    uint64_t count = big ? le(e + 4, 8) : le(e + 4, 4);
    if (!size || count == 0 || count > UINT32_MAX)
        return -1;
    a->size[k] = size;
    a->count[k] = count;
    a->pos[k] = count * (uint64_t)size <= (uint64_t)vsz ? at + (uint64_t)voff : le(e + voff, vsz);
    return 0;
}

/* The tile arrays of the first directory of a little-endian TIFF or BigTIFF. */
static int find_arrays(int fd, ifd_arrays *a)
{
    unsigned char h[16], e[20], nb[8];
    memset(a, 0, sizeof *a);
    if (read_at(fd, h, sizeof h, 0) != 0 || h[0] != 'I' || h[1] != 'I')
        return -1;
    int big = le(h + 2, 2) == 43;
    if (!big && le(h + 2, 2) != 42)
        return -1;
    uint64_t ifd = big ? le(h + 8, 8) : le(h + 4, 4);
    int csz = big ? 8 : 2, esz = big ? 20 : 12;
    if (read_at(fd, nb, (size_t)csz, ifd) != 0)
        return -1;
    uint64_t n = le(nb, csz);
    for (uint64_t i = 0; i < n && i < 4096; i++) {
        uint64_t at = ifd + (uint64_t)csz + i * (uint64_t)esz;
        if (read_at(fd, e, (size_t)esz, at) != 0 || note_entry(e, at, big, a) != 0)
            return -1;
    }
    return a->size[OFFSETS] && a->size[COUNTS] ? 0 : -1;
}

/* Every tile of the file is still empty (offset and byte count 0). */
static int all_empty(int fd, const ifd_arrays *a)
{
    for (int k = 0; k < 2; k++) {
        size_t n = (size_t)a->count[k] * (size_t)a->size[k];
        unsigned char *b = malloc(n);
        int ok = b && read_at(fd, b, n, a->pos[k]) == 0;
        for (size_t i = 0; ok && i < n; i++)
            ok = b[i] == 0;
        free(b);
        if (!ok)
            return 0;
    }
    return 1;
}

static size_t tile_bytes(const gridr_raster_tile_codec *c)
{
    size_t spp = c->separate ? 1 : (size_t)c->bands;
    return (size_t)c->tile_rows * (size_t)c->tile_cols * spp * gridr_dtype_size(c->dtype);
}

/* The layout workers write into: tiles from the first page boundary after the file's end. */
static int plan_layout(gridr_raster *r, const gridr_raster_tile_codec *c, gridr__share *sh)
{
    struct stat st;
    int fd = TIFFFileno(r->tif);
    uint32_t ntiles = TIFFNumberOfTiles(r->tif);
    if (fd < 0 || fstat(fd, &st) != 0 || find_arrays(fd, &sh->a) != 0 ||
        sh->a.count[OFFSETS] != ntiles || sh->a.count[COUNTS] != ntiles || !all_empty(fd, &sh->a))
        return 0;
    uint64_t tb = tile_bytes(c), base = ((uint64_t)st.st_size + 4095) / 4096 * 4096;
    uint64_t end = base + (uint64_t)ntiles * tb;
    if (sh->a.size[OFFSETS] < 4 || (sh->a.size[OFFSETS] == 4 && end > UINT32_MAX) ||
        (sh->a.size[COUNTS] == 2 && tb > UINT16_MAX) ||
        (sh->a.size[COUNTS] == 4 && tb > UINT32_MAX))
        return 0;
    sh->c = *c;
    sh->ntiles = ntiles;
    sh->sink = (gridr_raster_tile_sink){
        1, fd, (int64_t)getpid(), (uint64_t)st.st_dev, (uint64_t)st.st_ino, base, tb};
    return 1;
}

int gridr_raster_tiles_share(gridr_raster *r, gridr_raster_tile_sink *out)
{
    gridr_raster_tile_codec c;
    memset(out, 0, sizeof *out);
    if (!r || !r->writable)
        return gridr__fail(GRIDR_EINVAL, "tiles share of '%s': not an output being written",
                           r ? r->path : "");
    int rc = gridr_raster_tile_codec_get(r, &c);
    if (rc == 0 && r->share)
        *out = r->share->sink; /* shared already: the same places */
    if (rc || r->share)
        return rc;
    if (c.compression != GRIDR_RASTER_TILES_NONE || !r->tif || env_off() ||
        prctl(PR_GET_DUMPABLE) != 1)
        return 0; /* workers could not reopen the file of a non-dumpable process */
    gridr__share *sh = calloc(1, sizeof *sh);
    if (!sh)
        return gridr__fail(GRIDR_ENOMEM, "tiles share of '%s': no memory", r->path);
    if (!plan_layout(r, &c, sh)) {
        free(sh);
        return 0;
    }
    sh->written = calloc(sh->ntiles, 1);
    if (!sh->written) {
        free(sh);
        return gridr__fail(GRIDR_ENOMEM, "tiles share of '%s': no memory", r->path);
    }
    r->share = sh;
    *out = sh->sink;
    return 0;
}

/* ---- the owner's writes and commit ---------------------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t n, uint64_t off, const char *what)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = w < 0 ? errno : EIO;
            return gridr__fail_errno(err == ENOSPC || err == EDQUOT ? GRIDR_ENOSPC : GRIDR_EIO, err,
                                     "%s", what);
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int gridr__share_write_raw(gridr_raster *r, gridr_rect win, long ty, long tx, int plane,
                           const void *data, size_t size)
{
    gridr__share *sh = r->share;
    uint64_t t = tile_number(&sh->c, ty, tx, plane);
    char what[PATH_MAX + 128];
    snprintf(what, sizeof what, "cannot write window rows [%ld, %ld) cols [%ld, %ld) of '%s'",
             win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    if (size != sh->sink.tile_bytes || t >= sh->ntiles)
        return gridr__fail(GRIDR_EINVAL, "%s: a tile of %zu bytes where the file takes %llu", what,
                           size, (unsigned long long)sh->sink.tile_bytes);
    int rc = write_all((int)sh->sink.fd, data, size, sh->sink.base + t * sh->sink.tile_bytes, what);
    if (rc == 0)
        sh->written[t] = 1;
    return rc;
}

int gridr__share_mark(gridr_raster *r, gridr_rect win, const void *buf, size_t size)
{
    gridr__share *sh = r->share;
    const gridr_raster_tile_codec *c = &sh->c;
    gridr__tiles_head h;
    if (size >= sizeof h)
        memcpy(&h, buf, sizeof h);
    if (size < sizeof h || h.magic != GRIDR__TILES_PUT_MAGIC || h.row0 != win.row0 ||
        h.col0 != win.col0 || h.rows != win.rows || h.cols != win.cols)
        return gridr__fail(GRIDR_EINVAL,
                           "tiles for window rows [%ld, %ld) cols [%ld, %ld) of '%s': not "
                           "written by a worker",
                           win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    for (long ty = win.row0 / c->tile_rows; ty * c->tile_rows < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / c->tile_cols; tx * c->tile_cols < win.col0 + win.cols; tx++)
            for (int pl = 0; pl < (c->separate ? c->bands : 1); pl++)
                sh->written[tile_number(c, ty, tx, pl)] = 1;
    return 0;
}

static int store_array(int fd, const gridr__share *sh, int k)
{
    int size = sh->a.size[k];
    unsigned char *b = malloc((size_t)sh->ntiles * (size_t)size);
    if (!b)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the tile directory");
    for (uint32_t t = 0; t < sh->ntiles; t++) {
        uint64_t off = sh->sink.base + (uint64_t)t * sh->sink.tile_bytes;
        uint64_t v = !sh->written[t] ? 0 : k == OFFSETS ? off : sh->sink.tile_bytes;
        put_le(b + (size_t)t * (size_t)size, v, size);
    }
    int rc = write_all(fd, b, (size_t)sh->ntiles * (size_t)size, sh->a.pos[k],
                       "cannot write the tile directory");
    free(b);
    return rc;
}

int gridr__share_finish(gridr_raster *r)
{
    gridr__share *sh = r->share;
    ifd_arrays now;
    int fd = open(r->tmp, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot reopen '%s' (temporary '%s')", r->path,
                                 r->tmp);
    int rc = 0;
    if (find_arrays(fd, &now) != 0 || memcmp(&now, &sh->a, sizeof now) != 0)
        rc = gridr__fail(GRIDR_EIO, "'%s' (temporary '%s'): its tile directory moved", r->path,
                         r->tmp);
    for (int k = 0; rc == 0 && k < 2; k++)
        rc = store_array(fd, sh, k);
    if (rc)
        gridr__fail(rc, "%s (temporary '%s')", gridr_last_error(), r->tmp);
    close(fd);
    return rc;
}

void gridr__share_free(gridr_raster *r)
{
    if (r->share)
        free(r->share->written);
    free(r->share);
    r->share = NULL;
}

/* ---- the workers' side -------------------------------------------------------------------- */

/* The output, reopened for this window (closed after it: a worker keeps no file of a run that
 * ended, so an aborted output's space is freed when the run removes it). */
static int sink_open(const gridr_raster_tile_sink *s)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%lld/fd/%d", (long long)s->pid, (int)s->fd);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "tile sink: cannot reopen %s", path);
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != s->dev || (uint64_t)st.st_ino != s->ino) {
        close(fd);
        return gridr__fail(GRIDR_EIO, "tile sink: %s is not the output the run created", path);
    }
    return fd;
}

/* Each row of tiles (and plane) of the window: laid out in `data`, one write at its place. */
static int put_rows(const gridr_raster_tile_sink *s, const gridr_raster_tile_codec *c,
                    gridr_rect win, const gridr_array *arr, unsigned char *data, int fd)
{
    long tx0 = win.col0 / c->tile_cols, tx1 = ceil_div(win.col0 + win.cols, c->tile_cols);
    long ty1 = ceil_div(win.row0 + win.rows, c->tile_rows);
    size_t len = (size_t)(tx1 - tx0) * s->tile_bytes;
    char what[192];
    snprintf(what, sizeof what, "cannot write window rows [%ld, %ld) cols [%ld, %ld) to the output",
             win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols);
    for (long ty = win.row0 / c->tile_rows; ty < ty1; ty++)
        for (int pl = 0; pl < (c->separate ? c->bands : 1); pl++) {
            for (long tx = tx0; tx < tx1; tx++)
                gridr__tiles_fill(c, win, arr, ty, tx, pl,
                                  data + (size_t)(tx - tx0) * s->tile_bytes);
            uint64_t off = s->base + tile_number(c, ty, tx0, pl) * s->tile_bytes;
            int rc = write_all(fd, data, len, off, what);
            if (rc)
                return rc;
            (void)sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
        }
    return 0;
}

int gridr_raster_tiles_put(const gridr_raster_tile_sink *s, const gridr_raster_tile_codec *c,
                           gridr_rect win, const gridr_array *arr, void *buf, size_t cap,
                           size_t *used)
{
    *used = 0;
    if (!s || !s->ok || !c || c->compression != GRIDR_RASTER_TILES_NONE ||
        tile_bytes(c) != s->tile_bytes)
        return gridr__fail(GRIDR_EINVAL, "tile sink: not a shared uncompressed output");
    int rc = gridr__tiles_check(c, win, arr, cap);
    if (rc)
        return rc;
    gridr__tiles_head h = {GRIDR__TILES_PUT_MAGIC,
                           (uint32_t)gridr__tiles_count(c, win),
                           sizeof h,
                           win.row0,
                           win.col0,
                           win.rows,
                           win.cols};
    int fd = sink_open(s);
    if (fd < 0)
        return fd;
    rc = put_rows(s, c, win, arr, (unsigned char *)buf + sizeof h, fd);
    close(fd);
    if (rc == 0) {
        memcpy(buf, &h, sizeof h);
        *used = sizeof h;
    }
    return rc;
}
