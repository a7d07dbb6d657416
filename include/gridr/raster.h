/* gridr: raster I/O behind one backend-neutral interface (GDAL, direct libtiff for plain TIFF). */
#ifndef GRIDR_RASTER_H
#define GRIDR_RASTER_H

#include <stddef.h>

#include <stdint.h>

#include "gridr/dtype.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Metadata items (default domain) giving a grid's oversampling factors: grid node (I, J) sits on
 *  full-resolution output pixel (I * GRIDR_RES_ROW, J * GRIDR_RES_COL). Positive integers. */
#define GRIDR_RASTER_MD_RES_ROW "GRIDR_RES_ROW"
#define GRIDR_RASTER_MD_RES_COL "GRIDR_RES_COL"

/** Default output driver and the default GTiff creation options (added unless the user gives the
 *  same key; the block sizes only when the output is tiled). */
#define GRIDR_RASTER_DEFAULT_DRIVER "GTiff"
#define GRIDR_RASTER_DEFAULT_BLOCK 256

/** An open raster: read-only (gridr_raster_open) or an output being written under a temporary
 *  name (gridr_raster_create). Opaque; owns a backend dataset. One thread at a time; never use
 *  one across fork(). */
typedef struct gridr_raster gridr_raster;

/** What every raster reports. Ownership: a value; the strings are borrowed from the raster. */
typedef struct gridr_raster_info {
    long rows, cols;
    int bands;
    long block_rows, block_cols; /* natural block of band 1 */
    int has_geotransform;        /* 0: geotransform holds GDAL's default (0,1,0,0,0,1) */
    double geotransform[6];      /* x = gt[0] + col*gt[1] + row*gt[2]; y = gt[3] + col*gt[4] +
                                    row*gt[5], (row, col) at pixel corners */
    const char *crs_wkt;         /* "" when none */
    const char *driver;          /* backend driver short name ("GTiff") */
} gridr_raster_info;

/** Open `path` read-only (any raster format GDAL reads). Fails with GRIDR_ENOENT (no such file),
 *  GRIDR_EFORMAT (not a raster GDAL reads), message naming the file. Bands of unsupported types
 *  do not fail the open; using them does (gridr_raster_band_dtype, gridr_raster_read).
 *  Ownership: caller closes *out with gridr_raster_close(). */
GRIDR_API int gridr_raster_open(const char *path, gridr_raster **out);

/** Close a raster. On an output that was not committed this is gridr_raster_abort(). Accepts
 *  NULL. */
GRIDR_API void gridr_raster_close(gridr_raster *r);

/** Path given at open or create (the final path for an output). Ownership: borrowed. */
GRIDR_API const char *gridr_raster_path(const gridr_raster *r);

/** Shape, georeferencing and driver. */
GRIDR_API void gridr_raster_get_info(const gridr_raster *r, gridr_raster_info *info);

/** The gridr type of band `band` (1-based). GRIDR_EFORMAT for a type gridr does not handle
 *  (64-bit integers, complex, signed bytes), GRIDR_ERANGE for a bad band; message names the file
 *  and the band. */
GRIDR_API int gridr_raster_band_dtype(const gridr_raster *r, int band, gridr_dtype *out);

/** Nodata of band `band` (1-based): *has = 1 and *value set when the band declares one, else
 *  *has = 0. GRIDR_ERANGE for a bad band. */
GRIDR_API int gridr_raster_band_nodata(const gridr_raster *r, int band, int *has, double *value);

/** Metadata item `key` of the dataset's default domain, NULL when absent. Ownership: borrowed,
 *  valid until the next call on `r`. */
GRIDR_API const char *gridr_raster_metadata(const gridr_raster *r, const char *key);

/** Read window `win` of bands `bands[0 .. nbands)` (1-based; NULL means 1 .. nbands) into `arr`,
 *  which must have nbands bands, win.rows rows and win.cols cols (any strides). Samples are
 *  converted to arr->dtype by GDAL when it differs from the band type (clamped, rounded to
 *  nearest). The window must lie inside the raster: callers read padding-free sub-views.
 *  Errors: GRIDR_EINVAL (shapes), GRIDR_ERANGE (window or band outside the raster), GRIDR_EFORMAT
 *  (unsupported band type), GRIDR_EIO (the backend failed: corrupt or truncated file); the
 *  message names the file, the window and the backend's message. */
GRIDR_API int gridr_raster_read(gridr_raster *r, gridr_rect win, const int *bands, int nbands,
                                gridr_array *arr);

/** Whether a run may replace what is at `path`: nothing, a regular file, or a symbolic link to a
 *  regular file (followed: the target is replaced, the link stays). A device node, FIFO, socket,
 *  directory or a link to nothing is refused with GRIDR_EINVAL and a message naming `what`
 *  ("output", "report") and the path. */
GRIDR_API int gridr_raster_check_replaceable(const char *path, const char *what);

/** Every file source `r` reads, as GDAL lists them (the file itself, VRT sources, `.aux.xml`,
 *  `.msk`, `.ovr`, world files...), NULL-terminated. Computed once. Errors: GRIDR_EINVAL (an
 *  output, or a source not open through GDAL), GRIDR_ENOMEM. Ownership: borrowed from `r`. */
GRIDR_API int gridr_raster_file_list(gridr_raster *r, const char *const **out);

/** Check, before any work, that an output can be written at `path` with driver `driver` (NULL:
 *  "GTiff"): the driver exists and writes rasters, `path` and the side files a commit replaces
 *  (`<path>.aux.xml`, `.msk`, `.ovr`) are replaceable (gridr_raster_check_replaceable), the
 *  directory of the file it names exists, is a directory and is writable. GRIDR_EINVAL (driver,
 *  what is at the path), GRIDR_ENOENT, GRIDR_EPERM; the message names the driver or the file. */
GRIDR_API int gridr_raster_check_output(const char *path, const char *driver);

/** Called by gridr_raster_create() with the temporary name `<path>.tmp.<tag>` before anything is
 *  created on disk: every file the output creates until its commit or abort is that name or
 *  `<that name>.<suffix>` (the staging file, GDAL's side files), e.g. for
 *  gridr_registry_add_temp(). A non-zero return (a GRIDR_E* code, message set) fails the create
 *  with that code; nothing is created then. `tmp` is borrowed for the call. */
typedef int (*gridr_raster_record_fn)(void *user, const char *tmp);

/** Options of gridr_raster_create(). Zero-initialise, then set what you need. */
typedef struct gridr_raster_create_opts {
    const char *driver;                  /* NULL: "GTiff" */
    const char *const *creation_options; /* NULL-terminated "KEY=VALUE" list, or NULL */
    const char *tag;                     /* temporary name suffix (the run id); NULL: random */
    gridr_raster_record_fn record;       /* NULL, or called before the first file is created */
    void *record_user;                   /* passed to record */
    /* Resuming: take over the partial output an interrupted run left under the same tag instead
       of creating one (its files must exist; nothing is created), its tiles beginning at
       adopt_base (gridr_raster_tiles_base of that run). 0: create as usual. */
    uint64_t adopt_base;
} gridr_raster_create_opts;

/** Create an output of rows x cols x bands samples of type `dt` that becomes `path` only when
 *  committed; when `path` is a symbolic link, its target becomes the file written (and every
 *  name below is the target's). The data go to `<path>.tmp.<tag>` (same directory, reserved with
 *  O_EXCL), after opts->record was called with that name. Every driver but GTiff (COG, PNG,
 *  ENVI, GPKG...) is written to a staging GTiff `<path>.tmp.<tag>.stage.tif` and copied at
 *  commit (GDALCreateCopy) into the directory `<path>.tmp.<tag>.d` under the output's own name,
 *  whose files are then renamed beside `path`; before that, a small copy probes the driver and
 *  what it cannot write (bands, type, options, a directory) fails the create with GDAL's
 *  reason. Unknown creation options are an error. Errors as gridr_raster_check_output,
 *  GRIDR_EEXIST (temporary name taken), GRIDR_EIO / GRIDR_ENOSPC (backend), opts->record's code;
 *  nothing is left on disk on failure.
 *  Ownership: caller ends *out with gridr_raster_commit() or gridr_raster_abort(). */
GRIDR_API int gridr_raster_create(const char *path, long rows, long cols, int bands, gridr_dtype dt,
                                  const gridr_raster_create_opts *opts, gridr_raster **out);

/** Temporary files of an output being written (the temporary output, then the staging file if
 *  any), NULL-terminated; for gridr_registry_add_file(). Empty list for a read-only raster.
 *  Ownership: borrowed from `r`. */
GRIDR_API const char *const *gridr_raster_temp_files(const gridr_raster *r);

/** Write window `win` of all bands from `arr` (arr->bands == the raster's bands, win.rows x
 *  win.cols, any strides, any dtype: GDAL converts, clamped and rounded to nearest). Windows may
 *  come in any order. Errors: GRIDR_EINVAL, GRIDR_ERANGE, GRIDR_EIO, GRIDR_ENOSPC. */
GRIDR_API int gridr_raster_write(gridr_raster *r, gridr_rect win, const gridr_array *arr);

/** TIFF compression codes of the encoded-tiles path (docs/api/raster.md). */
#define GRIDR_RASTER_TILES_NONE 1     /* uncompressed: tile samples in file byte order */
#define GRIDR_RASTER_TILES_LZW 5      /* TIFF LZW (MSB-first codes, early change) */
#define GRIDR_RASTER_TILES_DEFLATE 8  /* zlib stream (TIFF Adobe deflate) */
#define GRIDR_RASTER_TILES_ZSTD 50000 /* one Zstandard frame (libtiff's COMPRESSION_ZSTD) */

/** How an output stores its tiles, for encoding them away from the raster (in a worker): a value
 *  with no pointer, safe to copy across fork(). `compression` 0: the output does not take
 *  encoded tiles (use gridr_raster_write). */
typedef struct gridr_raster_tile_codec {
    int compression;           /* 0 or a GRIDR_RASTER_TILES_* code */
    int level;                 /* DEFLATE level (ZLEVEL 1..9, default 6) or ZSTD level
                                  (ZSTD_LEVEL 1..22, default 9), as GDAL's defaults */
    long rows, cols;           /* raster size */
    long tile_rows, tile_cols; /* tile size */
    int bands;
    int separate;      /* 1: one tile per band (INTERLEAVE=BAND), 0: samples interleaved */
    gridr_dtype dtype; /* sample type of every band (written in the host's byte order) */
    int predictor;     /* TIFF predictor of compressed tiles: 1 none, 2 horizontal differencing,
                          3 floating point (f32, f64); 1 for uncompressed tiles */
} gridr_raster_tile_codec;

/** Keep up to `bytes` of decoded chunks (tiles or strips) of source `r` for later reads on the
 *  direct libtiff path (0: none, the default). Worth it for rasters read in overlapping or
 *  neighbouring windows whose chunks are larger than the windows' steps, such as grids at a
 *  fraction of the output resolution. Ownership: `r` owns the cache (freed by close).
 *  Errors: GRIDR_EINVAL (an output). */
GRIDR_API int gridr_raster_set_read_cache(gridr_raster *r, size_t bytes);

/** The tile codec of output `r` as its creation options make it (the same as
 *  gridr_raster_tile_codec_guess): a GTiff on the direct libtiff path (docs/api/raster.md), tiled,
 *  uncompressed or DEFLATE, ZSTD or LZW with PREDICTOR 1, 2 or 3, GRIDR_RASTER_GDAL_ONLY unset;
 *  zeroed (compression 0) otherwise. Touches no file. Errors: GRIDR_EINVAL (not an output). */
GRIDR_API int gridr_raster_tile_codec_get(gridr_raster *r, gridr_raster_tile_codec *out);

/** Put output `r` on the raw tiles path: close GDAL's dataset (after nodata, georeferencing and
 *  metadata are set: a later setter is refused) and hand the file to libtiff, for
 *  gridr_raster_write_tiles() and whole-tile windows of gridr_raster_write(). Errors:
 *  GRIDR_EINVAL (not an output whose codec has a compression), GRIDR_EFORMAT (GDAL laid the file
 *  out otherwise), GRIDR_EIO / GRIDR_ENOSPC (closing the GDAL dataset). */
GRIDR_API int gridr_raster_tiles_begin(gridr_raster *r);

/** The codec gridr_raster_tile_codec_get() gives for an output of this shape created with `opts`
 *  (same driver and option checks as gridr_raster_create), without creating anything: for plans
 *  made before the output exists (dry runs). Assumes the file is written in the host's byte
 *  order, as GDAL does. Errors: GRIDR_EINVAL (shape, type, unknown driver or option).
 */
GRIDR_API int gridr_raster_tile_codec_guess(const gridr_raster_create_opts *opts, long rows,
                                            long cols, int bands, gridr_dtype dt,
                                            gridr_raster_tile_codec *out);

/** Bytes gridr_raster_tiles_encode() may need for window `win` (a table plus the worst case of
 *  every tile and plane); 0 when `win` is not made of whole tiles (cut only at the raster's edges)
 *  or the codec takes no tiles. */
GRIDR_API size_t gridr_raster_tiles_bound(const gridr_raster_tile_codec *c, gridr_rect win);

/** Encode window `win` of `arr` (c->bands bands, win.rows x win.cols, any strides, dtype
 *  c->dtype) into buf[0 .. cap): a table of the tiles (in tile-row, tile-column, plane order)
 *  followed by each tile's final on-disk bytes (edge tiles zero-padded to the full tile, then
 *  compressed). Touches no file and no GDAL: meant for workers. *used: the bytes filled.
 *  Errors: GRIDR_EINVAL (window not tile-aligned, shapes or dtype differ from the codec),
 *  GRIDR_ERANGE (cap < gridr_raster_tiles_bound), GRIDR_ENOMEM. */
GRIDR_API int gridr_raster_tiles_encode(const gridr_raster_tile_codec *c, gridr_rect win,
                                        const gridr_array *arr, void *buf, size_t cap,
                                        size_t *used);

/** Bytes of the table in `buf` (cap bytes) that gridr_raster_tiles_encode or _put filled: what
 *  gridr_raster_write_tiles needs of it; `cap` when it is no such table. */
GRIDR_API size_t gridr_raster_tiles_used(const void *buf, size_t cap);

/** Write the tiles of window `win` encoded by gridr_raster_tiles_encode() (for the codec of
 *  gridr_raster_tile_codec_get(r)) as they are (libtiff TIFFWriteRawTile: no copy, no
 *  compression here), then start the write-back of the file's dirty pages (sync_file_range, not
 *  waiting; commit still fsyncs). Returns 0, or GRIDR_EINVAL (the output is not on the tiles
 *  path, or the buffer is not a table of this window's tiles), GRIDR_EIO, GRIDR_ENOSPC (message
 *  names the file and the window). */
GRIDR_API int gridr_raster_write_tiles(gridr_raster *r, gridr_rect win, const void *buf,
                                       size_t size);

/** Where worker processes write the uncompressed tiles of a shared output themselves (plain
 *  values, safe to copy across fork()): the owner's process and descriptor of the file (reopened
 *  through /proc/<pid>/fd/<fd>), its identity, and the layout: tile number t (libtiff's order,
 *  planes last) at base + t * tile_bytes. ok 0: not shared. */
typedef struct gridr_raster_tile_sink {
    int32_t ok;
    int32_t fd;
    int64_t pid;
    uint64_t dev, ino;
    uint64_t base, tile_bytes;
} gridr_raster_tile_sink;

/** Let workers write the tiles of output `r` into the file at fixed offsets
 *  (gridr_raster_tiles_put), so that the owner writes none of the pixels: an uncompressed
 *  output of the tiles path (gridr_raster_tile_codec_get), a process workers can reopen files of
 *  (dumpable), GRIDR_WORKER_WRITES not "0", the file's tile arrays where this code can rewrite
 *  them (little-endian TIFF or BigTIFF, every tile still empty, offsets that fit). Fills *out;
 *  ok 0 when the output cannot be shared: GDAL then holds it, for gridr_raster_write (a second
 *  call gives the same sink). Call it after nodata, georeferencing and metadata are set.
 *  Afterwards the output takes gridr_raster_write_tiles (tables of gridr_raster_tiles_put or
 *  _encode) and gridr_raster_write of whole tiles only, and no more setters; commit records the
 *  written tiles, tiles never written stay empty. Errors: GRIDR_EINVAL (not an output),
 *  GRIDR_EIO, GRIDR_ENOMEM. */
GRIDR_API int gridr_raster_tiles_share(gridr_raster *r, gridr_raster_tile_sink *out);

/** In a worker: write the tiles of window `win` (whole tiles of codec `c`, uncompressed) of
 *  `arr` into the file `s` describes, each at its offset, as one write per row of tiles and
 *  plane (laid out in `buf`, cap >= gridr_raster_tiles_bound), then start their write-back.
 *  `buf` then holds a head telling the owner (gridr_raster_write_tiles) which window was
 *  written; *used its size. The file is reopened for the call (no descriptor is kept).
 *  Errors: GRIDR_EINVAL (window, shapes, codec), GRIDR_ERANGE (cap), GRIDR_EIO (reopen,
 *  identity, write; GRIDR_ENOSPC when the disk is full). */
GRIDR_API int gridr_raster_tiles_put(const gridr_raster_tile_sink *s,
                                     const gridr_raster_tile_codec *c, gridr_rect win,
                                     const gridr_array *arr, void *buf, size_t cap, size_t *used);

/** Resuming (a run that can be continued after it was killed). Text noting where the tiles of
 *  window `win` of output `r` are, for the run's record: "" for tiles at fixed places
 *  (uncompressed), "OFF+LEN ..." (each tile, in tile-row, tile-column, plane order) for tiles
 *  appended in the order written (compressed). Only for outputs whose tiles gridr keeps
 *  (gridr_raster_tiles_base non-zero). Ownership: *text is malloc'ed; the caller frees it. */
GRIDR_API int gridr_raster_tiles_note(const gridr_raster *r, gridr_rect win, char **text);

/** Take over the tiles of window `win` that an interrupted run wrote into the partial output
 *  `r` (created with adopt_base), as its note (gridr_raster_tiles_note) says: commit records
 *  them. GRIDR_EFORMAT when the note does not fit the file. */
GRIDR_API int gridr_raster_tiles_restore(gridr_raster *r, gridr_rect win, const char *text);

/** After the restores: cut the appended tiles no note kept, so that the next tiles go where an
 *  uninterrupted run puts them. No-op for tiles at fixed places. */
GRIDR_API int gridr_raster_tiles_trim(gridr_raster *r);

/** Work shared by processes that each write their part (src/dist/): take the tiles of window
 *  `win` that another process wrote into output `r`'s file, as its note says (as
 *  gridr_raster_tiles_restore, without looking at the file's size: on a shared filesystem this
 *  process may not see it yet). Commit records them. GRIDR_EFORMAT when the note does not fit. */
GRIDR_API int gridr_raster_tiles_record(gridr_raster *r, gridr_rect win, const char *text);

/** Where the next appended (compressed) tile of output `r` goes: the end of its tile data. 0 when
 *  gridr does not keep its tiles' places. */
GRIDR_API uint64_t gridr_raster_tiles_end(const gridr_raster *r);

/** Bytes of tile data in a table of encoded tiles (gridr_raster_tiles_encode), 0 when `buf` (size
 *  bytes) is no such table: the room gridr_raster_tiles_place needs. */
GRIDR_API uint64_t gridr_raster_tiles_data_bytes(const void *buf, size_t size);

/** Write the encoded tiles of table `buf` one after the other from offset `off` of the file open
 *  on `fd` (named `name` in messages), e.g. the temporary output of a run another process owns;
 *  *note (malloc'ed, the caller frees it) receives their places for gridr_raster_tiles_record.
 *  Errors: GRIDR_EINVAL (not a table), GRIDR_EIO, GRIDR_ENOSPC, GRIDR_ENOMEM. */
GRIDR_API int gridr_raster_tiles_place(int fd, const char *name, const void *buf, size_t size,
                                       uint64_t off, char **note);

/** Where the tiles of output `r` begin in its file: non-zero when gridr keeps the tiles' places
 *  (placed or appended tiles: a run that can be resumed), 0 otherwise. */
GRIDR_API uint64_t gridr_raster_tiles_base(const gridr_raster *r);

/** Make what was written to output `r` so far durable (fdatasync of its file): GRIDR_EIO. */
GRIDR_API int gridr_raster_sync(gridr_raster *r);

/** What a worker process needs to read a source raster itself (plain values, no pointer, safe
 *  to copy across fork()): the reader's process and descriptor of the file (reopened by the
 *  worker through /proc/<pid>/fd/<fd>), the file's identity, and the band's nodata. ok 0: the
 *  source is read by its owner (gridr_raster_read). */
typedef struct gridr_raster_worker_src {
    int32_t ok;
    int32_t fd;
    int64_t pid;
    uint64_t dev, ino;
    int32_t dtype; /* gridr_dtype of the band */
    int32_t has_nodata;
    double nodata;
    int32_t rows, cols;
    char name[160]; /* the source's path for messages (its last 159 bytes when longer) */
} gridr_raster_worker_src;

/** Whether workers can read source `r` themselves with gridr_raster_worker_read(): a one-band
 *  GTiff on the direct libtiff read path (uncompressed, tiled or stripped; docs/api/raster.md),
 *  GRIDR_RASTER_GDAL_ONLY unset. Fills *out (ok 0 otherwise). Ownership: `r` stays open for as
 *  long as workers read. Errors: GRIDR_EINVAL (an output). */
GRIDR_API int gridr_raster_worker_source(gridr_raster *r, gridr_raster_worker_src *out);

/** Read window `win` (inside the raster) of the source described by `ws` into `arr` (1 band of
 *  ws->dtype, win.rows x win.cols), in a worker process: the file is reopened once per process
 *  and kept open while `ws` names the same file (no GDAL involved). Same bytes as
 *  gridr_raster_read() by the source's owner. Errors: GRIDR_EIO (the file cannot be reopened, or
 *  it is not the one described any more; read errors name the window), GRIDR_EINVAL,
 *  GRIDR_ENOMEM. */
GRIDR_API int gridr_raster_worker_read(const gridr_raster_worker_src *ws, gridr_rect win,
                                       const gridr_array *arr);

/** Set the nodata value of band `band` (1-based; 0 = every band). The value must be
 *  representable in the band type (an integer in range, or any float / NaN for f32/f64). */
GRIDR_API int gridr_raster_set_nodata(gridr_raster *r, int band, double value);

/** Set the geotransform (see gridr_raster_info). */
GRIDR_API int gridr_raster_set_geotransform(gridr_raster *r, const double gt[6]);

/** Set the CRS from WKT ("" or NULL: none). */
GRIDR_API int gridr_raster_set_crs_wkt(gridr_raster *r, const char *wkt);

/** Set one metadata item of the default domain (value NULL removes it). */
GRIDR_API int gridr_raster_set_metadata(gridr_raster *r, const char *key, const char *value);

/* ---- GDAL mask bands and alpha (issue 14; src/raster/mask.c) ---- */

/** What band `band`'s GDAL mask is (the GMF_* flags, same values). */
#define GRIDR_RASTER_MASK_ALL_VALID 0x01   /* no mask: every sample valid */
#define GRIDR_RASTER_MASK_PER_DATASET 0x02 /* one mask for every band (.msk, internal, alpha) */
#define GRIDR_RASTER_MASK_ALPHA 0x04       /* the mask is an alpha band */
#define GRIDR_RASTER_MASK_NODATA 0x08      /* the mask only repeats the nodata value */

/** The GDAL mask flags of band `band` (1-based) into *flags. GRIDR_ERANGE for a bad band. */
GRIDR_API int gridr_raster_mask_flags(gridr_raster *r, int band, int *flags);

/** The last band's 1-based index when its colour interpretation is alpha, else 0. */
GRIDR_API int gridr_raster_alpha_band(gridr_raster *r);

/** Read window `win` of the GDAL masks of bands[0..nbands) into `out` (u8, 1 band, win's size):
 *  1 where every band's mask is non-zero, 0 elsewhere; bands whose mask is all-valid or only
 *  repeats the nodata value are skipped (a per-dataset mask is read once). Reads through GDAL
 *  (masks are in the file, a .msk beside it, or an alpha band). GRIDR_EIO naming the file. */
GRIDR_API int gridr_raster_read_mask(gridr_raster *r, const int *bands, int nbands, gridr_rect win,
                                     gridr_array *out);

/** 1 when band `band` holds classes rather than measures: it has a colour table (a palette)
 *  or a raster attribute table; else 0 (also for a bad band). */
GRIDR_API int gridr_raster_band_categorical(gridr_raster *r, int band);

/** Set the colour interpretation of output band `band` to alpha. */
GRIDR_API int gridr_raster_set_alpha(gridr_raster *r, int band);

/** Copy descriptive metadata from `src`: dataset default-domain items, and for output band k
 *  (1-based) the description, colour interpretation and default-domain items (except
 *  STATISTICS_*) of source band bands[k-1] (NULL: band k). Not copied: nodata, geotransform,
 *  CRS (set them explicitly). */
GRIDR_API int gridr_raster_copy_metadata(gridr_raster *dst, const gridr_raster *src,
                                         const int *bands, int nbands);

/** Finish an output: flush and close (checking the backend's error state, as GDAL 3.6 close and
 *  flush return nothing), CreateCopy from the staging file if any, fsync the file, rename it (and
 *  `<tmp>.aux.xml` if the backend wrote one) to the final path, fsync the directory. A stale
 *  `<path>.aux.xml` of a replaced file is removed. On failure the temporary files (every regular
 *  file named `<tmp>` or `<tmp>.<suffix>`) are removed and the final path is untouched
 *  (GRIDR_EIO, GRIDR_ENOSPC; the message names the file); a path that became anything but a
 *  regular file during the run is left alone (GRIDR_EINVAL). Once the rename is done the output
 *  exists: a failed sync of the directory then returns 0 with a warning (gridr_last_warning())
 *  saying the new file may not survive a power loss. Always consumes `r`. */
GRIDR_API int gridr_raster_commit(gridr_raster *r);

/** The `msg` of the commit's calls to a progress function set with gridr_raster_set_progress. */
#define GRIDR_RASTER_STEP_COPY "copy"     /* CreateCopy from the staging file, complete 0..1 */
#define GRIDR_RASTER_STEP_RENAME "rename" /* every byte is on disk; the renames come next */

/** Progress and cancellation of output `r`'s commit, GDALProgressFunc-shaped (NULL: none).
 *  gridr_raster_commit() calls it during the CreateCopy of a staged output (msg
 *  GRIDR_RASTER_STEP_COPY) and once more, with msg GRIDR_RASTER_STEP_RENAME and complete 1,
 *  after the file is flushed and fsynced and right before the first rename. Returning 0 cancels
 *  the commit: GRIDR_ECANCELED, the temporary files removed, the final path untouched. Once the
 *  GRIDR_RASTER_STEP_RENAME call has returned non-zero nothing cancels the commit any more. */
GRIDR_API void gridr_raster_set_progress(gridr_raster *r,
                                         int (*fn)(double complete, const char *msg, void *arg),
                                         void *arg);

/** Give up an output: close it and remove its temporary files (every regular file named `<tmp>`
 *  or `<tmp>.<suffix>`: the staging file and GDAL's side files too). Accepts NULL; consumes
 *  `r`. */
GRIDR_API void gridr_raster_abort(gridr_raster *r);

/** End output `r` without committing it but keep its partial file (a resumable run stopped):
 *  1 kept, when gridr keeps its tiles (gridr_raster_tiles_base non-zero) or when it is an
 *  interrupted run's partial output (created with adopt_base); otherwise it is
 *  aborted as gridr_raster_abort() does and 0 is returned. Ownership: `r` is freed. */
GRIDR_API int gridr_raster_abort_keep(gridr_raster *r);

#ifdef __cplusplus
}
#endif
#endif
