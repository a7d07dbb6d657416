/* gridr: what src/raster.c and src/raster_write.c share (GDAL handles, message capture). */
#ifndef GRIDR_RASTER_INTERNAL_H
#define GRIDR_RASTER_INTERNAL_H

/* GDAL's headers test undefined macros (__clang_major__): keep -Wundef for our code only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#pragma GCC diagnostic pop

#include "gridr/raster.h"

#include <stdint.h>

struct gridr_raster {
    GDALDatasetH ds; /* read: the dataset; output: the file being written (or the stage) */
    char *path;      /* as given; for an output, the final path */
    int writable;
    long rows, cols;
    int bands;
    gridr_dtype *dtypes;  /* per band, GRIDR_DT_UNKNOWN when unsupported */
    GDALDataType *gtypes; /* per band, as the backend reports it */
    int *signed_byte;     /* per band: GDAL 3.6 Byte band with PIXELTYPE=SIGNEDBYTE */
    int *has_nodata;
    double *nodata;
    int has_gt;
    double gt[6];
    char *wkt;
    long block_rows, block_cols;
    char driver[64];
    /* outputs only */
    char *tmp;   /* <path>.tmp.<tag> */
    char *stage; /* <tmp>.stage.tif when the driver can only CreateCopy, else NULL */
    GDALDriverH final_drv;
    char **copy_opts; /* creation options for the CreateCopy at commit */
    const char *temp_list[3];
    /* direct libtiff path (src/raster_tiff.c) */
    struct tiff *tif; /* libtiff handle while the direct path is active, else NULL */
    int tiff_mode;    /* 0: not decided yet, 1: eligible, -1: GDAL only */
    int tiff_tiled, tiff_separate;
    long tiff_th, tiff_tw; /* tile (or strip: rows per strip x cols) size */
    unsigned char *tiff_buf;
    size_t tiff_buf_size;
    char tiff_msg[512]; /* last libtiff error message */
    int tiff_errno;
    int tiff_zlevel; /* level of an output's codec (ZLEVEL, ZSTD_LEVEL or GDAL's default) */
    /* read cache of decoded chunks (gridr_raster_set_read_cache; direct path, sources only) */
    size_t rc_bytes;            /* the cap asked for (0: no cache) */
    int rc_n;                   /* slots allocated (0: not yet) */
    unsigned char *rc_buf;      /* rc_n x tiff_buf_size */
    int64_t *rc_idx;            /* chunk held by each slot (-1: none) */
    uint64_t *rc_age, rc_clock; /* errno at that message */
    struct gridr__share *share; /* tiles written by workers (gridr_raster_tiles_share), or NULL */
    uint64_t adopt_base; /* an interrupted run's partial output taken over: where its tiles begin */
    gridr_raster_tile_codec guess; /* an output's tile codec from its options (zero: GDAL only) */
    char **files; /* GDAL's file list of a source (gridr_raster_file_list), or NULL */
    int (*progress)(double, const char *, void *); /* commit's progress (outputs only) */
    void *progress_arg;
    int cancelled; /* the progress function asked the commit to stop */
    /* drivers other than GTiff (src/raster/stage.c): the copy goes to <tmp>.d/<basename> */
    char *copy_dir;  /* <tmp>.d, or NULL */
    char *copy_path; /* <tmp>.d/<basename of path> */
};

/** GDAL messages captured during one scoped call sequence. */
typedef struct gridr__gdal_capture {
    int failed;    /* saw CE_Failure or CE_Fatal */
    int sys_errno; /* errno when the first failure was reported */
    size_t len;
    char msg[768];  /* failure messages joined with "; " */
    char warn[384]; /* last warning */
} gridr__gdal_capture;

/** GDALAllRegister() and the quiet global handler, once per process (thread-safe). */
void gridr__gdal_init(void);

/** Start capturing GDAL messages of this thread into `c` (also resets CPL's last error). */
void gridr__gdal_begin(gridr__gdal_capture *c);

/** Stop capturing; notes a failure recorded by CPL but not seen by the handler. */
void gridr__gdal_end(gridr__gdal_capture *c);

/** The captured failure text (or CPL's last message, or "unknown GDAL error"). */
const char *gridr__gdal_msg(const gridr__gdal_capture *c);

/** GRIDR_ENOSPC when the capture or the file system of `path` says the disk is full, else
 *  GRIDR_EIO. */
int gridr__gdal_io_status(const gridr__gdal_capture *c, const char *path);

/* The directory part of `path` ("." when it has none) into dir[n]. */
void gridr__dir_of(const char *path, char *dir, size_t n);

/** The GDAL type of a gridr type (GDT_Unknown for GRIDR_DT_UNKNOWN). */
GDALDataType gridr__gdal_type(gridr_dtype dt);

/** GRIDR_EINVAL naming `what` unless `r` is an output being written. src/raster/meta.c. */
int gridr__raster_check_writable(const gridr_raster *r, const char *what);

/** Fill the shape, band types, nodata, georeferencing of `r` from r->ds. */
int gridr__raster_describe(gridr_raster *r);

/** Check a window and an array against the raster and do one RasterIO. */
int gridr__raster_io(gridr_raster *r, GDALRWFlag rw, gridr_rect win, const int *bands, int nbands,
                     const gridr_array *arr);

/** Decide (once) and tell whether reads of source `r` take the direct libtiff path. */
int gridr__tiff_reader_ready(gridr_raster *r);

/** Open `path` with libtiff for direct reads of `r` (shape, band types and nodata already set, no
 *  GDAL dataset): 0, or GRIDR_EIO when it cannot be read directly. */
int gridr__tiff_reader_attach(gridr_raster *r, int fd);

/** Reopen descriptor `fd` of process `pid` (/proc/<pid>/fd/<fd>, the one place gridr does it)
 *  with open(2) `flags`, checking it is still the file (dev, ino): the new descriptor, or a
 *  negative GRIDR_EIO naming `path` (the /proc path, written into path[n]). src/raster/fdref.c. */
int gridr__fdref_open(int64_t pid, int fd, uint64_t dev, uint64_t ino, int flags, char *path,
                      size_t n);

/** Write window `win` (whole tiles of codec `c`, arr of the codec's type and bands) of an output
 *  whose tiles are placed (r->share) or written raw (libtiff attached): laid out, compressed if
 *  the codec says so, at the tiles' places. src/raster/tiles.c. */
int gridr__tiles_write_window(gridr_raster *r, const gridr_raster_tile_codec *c, gridr_rect win,
                              const gridr_array *arr);

/** Read part `p` (inside `win`) of chunk (ty, tx), file chunk `idx`, straight into band k of
 *  `arr` with preadv (src/raster/tiff_read.c): 0 done, 1 declined (byte-swapped, pixel-interleaved
 *  bands, rows narrower than the config's threshold: use libtiff's buffered read), < 0 error. */
int gridr__tiff_read_direct(gridr_raster *r, gridr_rect win, gridr_rect p, long ty, long tx,
                            uint32_t idx, const gridr_array *arr, int k);

/** Direct libtiff read of a checked window: 0 done, 1 declined (use GDAL), < 0 error. */
int gridr__tiff_read(gridr_raster *r, gridr_rect win, const int *bands, int nbands,
                     const gridr_array *arr);

/** Whether creation options `co` of a GTiff output allow the direct write path; if so, adds
 *  what the path needs (SPARSE_OK=TRUE) to *co. *zlevel: the codec's level (ZLEVEL for DEFLATE,
 *  ZSTD_LEVEL for ZSTD), GDAL's default (6, 9) when absent. */
int gridr__tiff_output_ok(char ***co, int *zlevel);

/* The codec of an output created with options `co` that gridr__tiff_output_ok accepted. */
void gridr__tiff_codec_guess(char **co, int zlevel, long rows, long cols, int bands, gridr_dtype dt,
                             gridr_raster_tile_codec *c);

/** Give an output back to GDAL: close the libtiff handle and reopen the dataset for update;
 *  the direct path is not used again. No-op when GDAL holds the file. */
int gridr__tiff_detach(gridr_raster *r);

/** Finish the libtiff handle of an output at commit (flush, close, check). */
int gridr__tiff_finish(gridr_raster *r);

/** Encoded tiles of one window (gridr_raster_tiles_encode): this header, `ntiles` entries
 *  (tile-row, tile-column, plane order), then the tiles' bytes. Read with memcpy (any alignment).
 */
typedef struct gridr__tiles_head {
    uint32_t magic; /* GRIDR__TILES_MAGIC once encoded */
    uint32_t ntiles;
    uint64_t used; /* bytes of header, table and data */
    int64_t row0, col0, rows, cols;
} gridr__tiles_head;

typedef struct gridr__tiles_entry {
    uint64_t offset, size; /* from the start of the buffer */
} gridr__tiles_entry;

#define GRIDR__TILES_MAGIC 0x73656c74u
/* A head alone: the worker wrote the window's tiles into the shared file itself. */
#define GRIDR__TILES_PUT_MAGIC 0x74757074u

/** Lay out plane `plane` of tile (ty, tx) of window `win` (whole tiles of the codec) into dst,
 *  a full uncompressed tile (edge tiles zero-padded). */
void gridr__tiles_fill(const gridr_raster_tile_codec *c, gridr_rect win, const gridr_array *arr,
                       long ty, long tx, int plane, unsigned char *dst);

/* ---- tile encoders (src/raster/codec.c) ---- */

/** One tile encoder: a compressor of a codec's kind, its level and predictor. Opaque; owns its
 *  compressor state. One thread at a time. */
typedef struct gridr__codec gridr__codec;

/** Whether the encoders write tiles of `compression` (GRIDR_RASTER_TILES_*) with TIFF predictor
 *  `predictor` for samples of `dt` (predictor 3: floating-point types only). */
int gridr__codec_supported(int compression, int predictor, gridr_dtype dt);

/** Worst-case size of one encoded tile of `n` uncompressed bytes. */
size_t gridr__codec_bound(const gridr_raster_tile_codec *c, size_t n);

/** An encoder for codec `c` (compression other than NONE). Ownership: gridr__codec_close. */
int gridr__codec_open(const gridr_raster_tile_codec *c, gridr__codec **out);

/** Encode one full uncompressed tile `tile` of `n` bytes (changed in place by the predictor)
 *  into dst[0 .. cap); *size the bytes written. GRIDR_ERANGE when cap is too small. */
int gridr__codec_encode(gridr__codec *k, unsigned char *tile, size_t n, unsigned char *dst,
                        size_t cap, size_t *size);

/** Free an encoder. Accepts NULL. */
void gridr__codec_close(gridr__codec *k);

/* ---- tiles at places the owner keeps (src/raster/share.c) ---- */

/** Checks of gridr_raster_tiles_encode (codec, whole-tile window, array shape, cap). */
int gridr__tiles_check(const gridr_raster_tile_codec *c, gridr_rect win, const gridr_array *arr,
                       size_t cap);

/** Bytes of one uncompressed tile of one plane. */
size_t gridr__tiles_bytes(const gridr_raster_tile_codec *c);

/** Hand output `r` to libtiff for tile writes, checking GDAL laid it out as its options say. */
int gridr__tiles_attach(gridr_raster *r);

/** Tiles (times planes) of a window made of whole tiles. */
long gridr__tiles_count(const gridr_raster_tile_codec *c, gridr_rect win);

/** Put compressed output `r` (libtiff attached) in append mode: the owner writes each tile at
 *  the end of the data, in the order written, and records it at commit. 0 and r->share set; 0
 *  and r->share NULL when the file's directory is not one this code rewrites; < 0 error. */
int gridr__share_append_begin(gridr_raster *r);

/** Write tile (ty, tx, plane) of window `win` of a shared output at its offset (appended in
 *  append mode); marks it. */
int gridr__share_write_raw(gridr_raster *r, gridr_rect win, long ty, long tx, int plane,
                           const void *data, size_t size);

/** Mark the tiles of window `win` written by a worker (buf: its GRIDR__TILES_PUT_MAGIC head). */
int gridr__share_mark(gridr_raster *r, gridr_rect win, const void *buf, size_t size);

/** Commit a shared output: let libtiff go, record the written tiles in the file's directory,
 *  free the sharing state. */
int gridr__share_commit(gridr_raster *r);

/** Record the written tiles in the file's directory (after libtiff let the file go). */
int gridr__share_finish(gridr_raster *r);

/** Whether the output's compressed tiles are appended by the owner (gridr__share_append_begin). */
int gridr__share_appends(const gridr_raster *r);

/** Free the sharing state (no file access). */
void gridr__share_free(gridr_raster *r);

/** The tile codec of an output on the direct path, attaching libtiff first if needed (zeroed:
 *  not on the path). */
int gridr__tiff_codec(gridr_raster *r, gridr_raster_tile_codec *c);

/** Write one encoded tile (ty, tx, plane) of window `win` as is. */
int gridr__tiff_write_raw(gridr_raster *r, gridr_rect win, long ty, long tx, int plane,
                          const void *data, size_t size);

/** Start the write-back of the output's dirty pages (no wait; errors ignored). */
void gridr__tiff_writeback(gridr_raster *r);

/** Close any libtiff handle and free its buffer (errors ignored). */
void gridr__tiff_close(gridr_raster *r);

/* ---- outputs of other drivers (src/raster/stage.c) ---- */

/** Name the private directory of a staged output (r->copy_dir, r->copy_path). */
int gridr__stage_names(gridr_raster *r);

/** Before any work: create r->copy_dir and CreateCopy a small raster of the output's bands and
 *  type there with r->final_drv and r->copy_opts: GRIDR_EINVAL with GDAL's reason when the
 *  driver cannot write it, when it writes a directory, or when a file it writes would replace
 *  something beside the output that is not replaceable. The probe's files are removed. */
int gridr__stage_probe(gridr_raster *r, long rows, long cols, int bands, gridr_dtype dt);

/** fsync every file of the copy's directory. */
int gridr__stage_sync(gridr_raster *r);

/** Rename every file of the copy's directory into the output's directory, the main file last
 *  (gridr__output_move); a stale <path>.aux.xml goes when the copy has none. */
int gridr__stage_place(gridr_raster *r);

/** fsync the file `path`. src/raster/output.c. */
int gridr__output_fsync(const char *path);

/** fsync `from`, check `to` is still nothing or a regular file, rename. src/raster/output.c. */
int gridr__output_move(const char *from, const char *to);

/** Free everything `r` owns except the dataset (already closed). */
void gridr__raster_free(gridr_raster *r);

#endif
