/* gridr: tiles at places the owner keeps: laid out for workers (uncompressed) or appended in
 * window order by the owner (compressed), recorded in the file's directory at commit, and the
 * notes that let a resumed run take them over. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

static long ceil_div(long a, long b)
{
    return a / b + (a % b != 0);
}

/* ---- tiles placed by workers ---------------------------------------------------------------- */

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
    int append;             /* compressed: the owner appends each tile at `end`, in the order
                               written (the caller writes windows in a fixed order) */
    uint64_t end;
    uint64_t *off, *len; /* append: each tile's place */
} gridr__share;

static int env_off(void)
{
    return !gridr__config()->worker_writes;
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

/* The layout: tiles from the first page boundary after the file GDAL made (or, for a resumed
 * output, where the interrupted run put them: r->adopt_base), each at a fixed place
 * (uncompressed) or appended from there (compressed). 0: a directory this code does not rewrite.
 */
static int plan_layout(gridr_raster *r, const gridr_raster_tile_codec *c, gridr__share *sh)
{
    struct stat st;
    int fd = TIFFFileno(r->tif);
    uint32_t ntiles = TIFFNumberOfTiles(r->tif);
    if (fd < 0 || fstat(fd, &st) != 0 || find_arrays(fd, &sh->a) != 0 ||
        sh->a.count[OFFSETS] != ntiles || sh->a.count[COUNTS] != ntiles ||
        (!r->adopt_base && !all_empty(fd, &sh->a)))
        return 0;
    uint64_t tb = gridr__tiles_bytes(c), base = ((uint64_t)st.st_size + 4095) / 4096 * 4096;
    if (r->adopt_base)
        base = r->adopt_base;
    sh->append = c->compression != GRIDR_RASTER_TILES_NONE;
    uint64_t end = base + (sh->append ? 0 : (uint64_t)ntiles * tb);
    if (sh->a.size[OFFSETS] < 4 || (sh->a.size[OFFSETS] == 4 && end > UINT32_MAX) ||
        (!sh->append && sh->a.size[COUNTS] == 2 && tb > UINT16_MAX) ||
        (sh->a.size[COUNTS] == 4 && tb > UINT32_MAX))
        return 0;
    sh->c = *c;
    sh->ntiles = ntiles;
    sh->end = base;
    sh->sink = (gridr_raster_tile_sink){
        !sh->append, fd, (int64_t)getpid(), (uint64_t)st.st_dev, (uint64_t)st.st_ino, base, tb};
    return 1;
}

/* The sharing state of `r` (libtiff attached), or NULL (*rc: 0, or an error). */
static gridr__share *share_new(gridr_raster *r, const gridr_raster_tile_codec *c, int *rc)
{
    gridr__share *sh = calloc(1, sizeof *sh);
    *rc = sh ? 0 : gridr__fail(GRIDR_ENOMEM, "tiles share of '%s': no memory", r->path);
    if (*rc || !plan_layout(r, c, sh)) { /* a directory this code does not rewrite */
        free(sh);
        return NULL;
    }
    sh->written = calloc(sh->ntiles, 1);
    if (sh->append) {
        sh->off = calloc(sh->ntiles, sizeof *sh->off);
        sh->len = calloc(sh->ntiles, sizeof *sh->len);
    }
    if (!sh->written || (sh->append && (!sh->off || !sh->len))) {
        r->share = sh;
        gridr__share_free(r);
        *rc = gridr__fail(GRIDR_ENOMEM, "tiles share of '%s': no memory", r->path);
        return NULL;
    }
    return sh;
}

int gridr_raster_tiles_share(gridr_raster *r, gridr_raster_tile_sink *out)
{
    memset(out, 0, sizeof *out);
    if (!r || !r->writable)
        return gridr__fail(GRIDR_EINVAL, "tiles share of '%s': not an output being written",
                           r ? r->path : "");
    if (r->share) {
        *out = r->share->sink; /* shared already: the same places */
        return 0;
    }
    gridr_raster_tile_codec c = r->guess;
    if (c.compression != GRIDR_RASTER_TILES_NONE || env_off() || prctl(PR_GET_DUMPABLE) != 1)
        return 0; /* workers could not reopen the file of a non-dumpable process */
    int rc = gridr__tiles_attach(r);
    gridr__share *sh = rc == 0 ? share_new(r, &c, &rc) : NULL;
    if (rc == 0 && !sh)
        rc = gridr__tiff_detach(r); /* GDAL holds the file again: sink.ok stays 0 */
    if (rc || !sh)
        return rc;
    r->share = sh;
    *out = sh->sink;
    return 0;
}

int gridr__share_appends(const gridr_raster *r)
{
    return r->share && r->share->append;
}

int gridr__share_append_begin(gridr_raster *r)
{
    int rc = 0;
    if (r->share)
        return 0;
    r->share = share_new(r, &r->guess, &rc);
    return rc;
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

/* Compressed tile t appended at the end of the data; its place kept for the directory. */
static int append_tile(gridr__share *sh, uint64_t t, const void *data, size_t size,
                       const char *what)
{
    uint64_t lim = sh->a.size[OFFSETS] == 4 ? UINT32_MAX : UINT64_MAX;
    if (size == 0 || size > lim - sh->end || (sh->a.size[COUNTS] == 2 && size > UINT16_MAX))
        return gridr__fail(GRIDR_ERANGE,
                           "%s: the compressed tiles pass 4 GiB, more than a classic TIFF holds; "
                           "create it with -co BIGTIFF=YES",
                           what);
    int rc = write_all((int)sh->sink.fd, data, size, sh->end, what);
    if (rc == 0) {
        sh->off[t] = sh->end;
        sh->len[t] = size;
        sh->end += size;
    }
    return rc;
}

int gridr__share_write_raw(gridr_raster *r, gridr_rect win, long ty, long tx, int plane,
                           const void *data, size_t size)
{
    gridr__share *sh = r->share;
    uint64_t t = tile_number(&sh->c, ty, tx, plane);
    char what[PATH_MAX + 128];
    snprintf(what, sizeof what, "cannot write window rows [%ld, %ld) cols [%ld, %ld) of '%s'",
             win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
    if (t >= sh->ntiles || (!sh->append && size != sh->sink.tile_bytes))
        return gridr__fail(GRIDR_EINVAL, "%s: a tile of %zu bytes where the file takes %llu", what,
                           size, (unsigned long long)sh->sink.tile_bytes);
    int rc = sh->append ? append_tile(sh, t, data, size, what)
                        : write_all((int)sh->sink.fd, data, size,
                                    sh->sink.base + t * sh->sink.tile_bytes, what);
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
        uint64_t off = sh->append ? sh->off[t] : sh->sink.base + (uint64_t)t * sh->sink.tile_bytes;
        uint64_t len = sh->append ? sh->len[t] : sh->sink.tile_bytes;
        uint64_t v = !sh->written[t] ? 0 : k == OFFSETS ? off : len;
        put_le(b + (size_t)t * (size_t)size, v, size);
    }
    int rc = write_all(fd, b, (size_t)sh->ntiles * (size_t)size, sh->a.pos[k],
                       "cannot write the tile directory");
    free(b);
    return rc;
}

int gridr__share_commit(gridr_raster *r)
{
    gridr__tiff_close(r); /* libtiff wrote nothing: the tiles are recorded after it lets go */
    gridr_config_fault_phase("directory", NULL, NULL);
    int rc = gridr__share_finish(r);
    gridr__share_free(r);
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
    errno = 0; /* set only by a failed read: not "moved" but an I/O error */
    if (find_arrays(fd, &now) != 0 && errno)
        rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot read the tile directory of '%s'", r->path);
    else if (memcmp(&now, &sh->a, sizeof now) != 0)
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
    if (r->share) {
        free(r->share->written);
        free(r->share->off);
        free(r->share->len);
    }
    free(r->share);
    r->share = NULL;
}

/* ---- resuming: where each window's tiles are --------------------------------------------- */

/* The tile numbers of window `win`, in tile-row, tile-column, plane order, into t[0..n). */
static long window_tiles(const gridr__share *sh, gridr_rect win, uint64_t *t, long cap)
{
    const gridr_raster_tile_codec *c = &sh->c;
    long n = 0;
    for (long ty = win.row0 / c->tile_rows; ty * c->tile_rows < win.row0 + win.rows; ty++)
        for (long tx = win.col0 / c->tile_cols; tx * c->tile_cols < win.col0 + win.cols; tx++)
            for (int pl = 0; pl < (c->separate ? c->bands : 1); pl++, n++)
                if (n < cap)
                    t[n] = tile_number(c, ty, tx, pl);
    return n;
}

/* Window `win`'s tile numbers (malloc'ed, *n of them), checked against the output. */
static int tiles_of(const gridr_raster *r, gridr_rect win, uint64_t **t, long *n)
{
    gridr__share *sh = r ? r->share : NULL;
    *t = NULL;
    if (!sh)
        return gridr__fail(GRIDR_EINVAL, "'%s': its tiles are not kept by gridr", r ? r->path : "");
    *n = window_tiles(sh, win, NULL, 0);
    if ((*t = malloc((size_t)(*n ? *n : 1) * sizeof **t)) == NULL)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the tiles of '%s'", r->path);
    window_tiles(sh, win, *t, *n);
    for (long i = 0; i < *n; i++)
        if ((*t)[i] >= sh->ntiles) {
            free(*t);
            *t = NULL;
            return gridr__fail(GRIDR_EINVAL,
                               "window rows [%ld, %ld) cols [%ld, %ld) is not in '%s'", win.row0,
                               win.row0 + win.rows, win.col0, win.col0 + win.cols, r->path);
        }
    return 0;
}

int gridr_raster_tiles_note(const gridr_raster *r, gridr_rect win, char **text)
{
    uint64_t *t;
    long n = 0;
    *text = NULL;
    int rc = tiles_of(r, win, &t, &n);
    if (rc)
        return rc;
    const gridr__share *sh = r->share;
    size_t cap = sh->append ? (size_t)n * 42 + 1 : 1, at = 0;
    char *s = malloc(cap);
    if (!s)
        rc = gridr__fail(GRIDR_ENOMEM, "no memory for the note of '%s'", r->path);
    for (long i = 0; s && sh->append && i < n; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%" PRIu64 "+%" PRIu64, i ? " " : "",
                               sh->off[t[i]], sh->len[t[i]]);
    if (s)
        s[at] = 0;
    free(t);
    *text = s;
    return rc;
}

/* One "OFF+LEN" of a note into off, len; the rest of the text in *end. */
static int note_item(const char *p, char **end, uint64_t *off, uint64_t *len)
{
    errno = 0;
    unsigned long long o = strtoull(p, end, 10);
    if (*end == p || **end != '+' || errno)
        return -1;
    p = *end + 1;
    unsigned long long l = strtoull(p, end, 10);
    if (*end == p || errno || (**end && **end != ' '))
        return -1;
    *off = o;
    *len = l;
    return 0;
}

/* An appended tile of a note, checked: inside the data, of a size the directory holds. */
static int restore_one(gridr__share *sh, uint64_t t, uint64_t off, uint64_t len, uint64_t size)
{
    uint64_t lim = sh->a.size[OFFSETS] == 4 ? UINT32_MAX : UINT64_MAX;
    if (off < sh->sink.base || len == 0 || len > size || off > size - len || off + len > lim ||
        (sh->a.size[COUNTS] == 2 && len > UINT16_MAX))
        return -1;
    sh->off[t] = off;
    sh->len[t] = len;
    sh->end = GRIDR__MAX(sh->end, off + len);
    return 0;
}

/* Take the tiles of window `win` as its note says, each inside the first `size` bytes. */
static int take_note(gridr_raster *r, gridr_rect win, const char *text, int check_size)
{
    uint64_t *t;
    long n = 0;
    struct stat st;
    int rc = tiles_of(r, win, &t, &n);
    if (rc)
        return rc;
    gridr__share *sh = r->share;
    int bad = check_size && fstat((int)sh->sink.fd, &st) != 0;
    uint64_t size = check_size ? (uint64_t)st.st_size : UINT64_MAX;
    const char *p = text ? text : "";
    for (long i = 0; !bad && sh->append && i < n; i++) {
        char *end;
        uint64_t off, len;
        bad = note_item(p, &end, &off, &len) != 0 || restore_one(sh, t[i], off, len, size) != 0;
        p = *end ? end + 1 : end;
    }
    bad |= *p != 0;
    for (long i = 0; !bad && i < n; i++)
        sh->written[t[i]] = 1;
    free(t);
    if (bad)
        return gridr__fail(GRIDR_EFORMAT,
                           "'%s': the note of window rows [%ld, %ld) cols [%ld, %ld) does not fit "
                           "the partial output '%s'",
                           r->path, win.row0, win.row0 + win.rows, win.col0, win.col0 + win.cols,
                           r->tmp);
    return 0;
}

int gridr_raster_tiles_restore(gridr_raster *r, gridr_rect win, const char *text)
{
    return take_note(r, win, text, 1);
}

int gridr_raster_tiles_record(gridr_raster *r, gridr_rect win, const char *text)
{
    return take_note(r, win, text, 0);
}

uint64_t gridr_raster_tiles_end(const gridr_raster *r)
{
    return r && r->share ? r->share->end : 0;
}

int gridr_raster_tiles_trim(gridr_raster *r)
{
    gridr__share *sh = r ? r->share : NULL;
    if (!sh || !sh->append)
        return 0;
    if (ftruncate((int)sh->sink.fd, (off_t)sh->end) != 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot cut the partial output '%s' of '%s'",
                                 r->tmp, r->path);
    return 0;
}

uint64_t gridr_raster_tiles_base(const gridr_raster *r)
{
    return r && r->share ? r->share->sink.base : 0;
}

int gridr_raster_sync(gridr_raster *r)
{
    int fd = r && r->share ? (int)r->share->sink.fd : r && r->tif ? TIFFFileno(r->tif) : -1;
    if (fd < 0)
        return gridr__fail(GRIDR_EINVAL, "'%s': not an output gridr writes itself",
                           r ? r->path : "");
    if (fdatasync(fd) != 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot sync '%s' (temporary '%s')", r->path,
                                 r->tmp);
    return 0;
}

/* ---- encoded windows written by other processes (src/dist/) ------------------------------- */

/* Entry i of an encoded table (checked: inside the buffer). -1 when it is no such table. */
static int table_entry(const unsigned char *b, size_t size, uint32_t i, gridr__tiles_entry *te)
{
    gridr__tiles_head h;
    if (size < sizeof h)
        return -1;
    memcpy(&h, b, sizeof h);
    size_t at = sizeof h + (size_t)i * sizeof *te;
    if (h.magic != GRIDR__TILES_MAGIC || h.used > size || i >= h.ntiles || at + sizeof *te > size)
        return -1;
    memcpy(te, b + at, sizeof *te);
    return te->size > 0 && te->offset <= h.used && te->size <= h.used - te->offset ? 0 : -1;
}

uint64_t gridr_raster_tiles_data_bytes(const void *buf, size_t size)
{
    gridr__tiles_head h;
    gridr__tiles_entry te;
    uint64_t sum = 0;
    if (!buf || size < sizeof h)
        return 0;
    memcpy(&h, buf, sizeof h);
    for (uint32_t i = 0; i < h.ntiles; i++) {
        if (table_entry(buf, size, i, &te) != 0)
            return 0;
        sum += te.size;
    }
    return sum;
}

int gridr_raster_tiles_place(int fd, const char *name, const void *buf, size_t size, uint64_t off,
                             char **note)
{
    gridr__tiles_head h;
    gridr__tiles_entry te;
    *note = NULL;
    if (!gridr_raster_tiles_data_bytes(buf, size))
        return gridr__fail(GRIDR_EINVAL, "'%s': not a table of encoded tiles", name);
    memcpy(&h, buf, sizeof h);
    size_t cap = (size_t)h.ntiles * 42 + 1, at = 0;
    char *s = malloc(cap), what[PATH_MAX + 64];
    if (!s)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the note of '%s'", name);
    snprintf(what, sizeof what, "cannot write the tiles of '%s'", name);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < h.ntiles; i++) {
        table_entry(buf, size, i, &te);
        rc = write_all(fd, (const unsigned char *)buf + te.offset, (size_t)te.size, off, what);
        at += (size_t)snprintf(s + at, cap - at, "%s%" PRIu64 "+%" PRIu64, i ? " " : "", off,
                               te.size);
        off += te.size;
    }
    if (rc)
        free(s);
    else
        *note = s;
    return rc;
}

/* ---- the workers' side -------------------------------------------------------------------- */

/* The output, reopened for this window (closed after it: a worker keeps no file of a run that
 * ended, so an aborted output's space is freed when the run removes it). */
static int sink_open(const gridr_raster_tile_sink *s)
{
    char path[64];
    int fd = gridr__fdref_open(s->pid, (int)s->fd, s->dev, s->ino, O_WRONLY, path, sizeof path);
    return fd < 0 ? gridr__fail(fd, "tile sink: %s", gridr_last_error()) : fd;
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
        gridr__tiles_bytes(c) != s->tile_bytes)
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
