/* gridr: job descriptions: from JSON job files and from command-line options, validated. */
#ifndef GRIDR_JOB_H
#define GRIDR_JOB_H

#include <stddef.h>

#include "gridr/dtype.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a job does. */
typedef enum gridr_job_kind {
    GRIDR_JOB_GRID = 0, /* resample through a localisation grid (default) */
    GRIDR_JOB_ZOOM = 1, /* resample by constant factors, no grid file */
    GRIDR_JOB_WARP = 2  /* reproject: a grid generated from the exact transform (gdalwarp's keys) */
} gridr_job_kind;

/** Default memory budget of a run, MiB. */
#define GRIDR_JOB_DEFAULT_MEM_MIB 1024

/** Most worker processes of a job ("workers", -j). The parent keeps one socket per worker open:
 *  512 is half the usual soft limit of open files (1024, `ulimit -n`), the other half staying
 *  for GDAL's files, the journal and the scheduler's own descriptors. The default (the usable
 *  cores) is cut there too. */
#define GRIDR_JOB_MAX_WORKERS 512

/** One job: the description of a run (keys, types, validation); running it is the pipeline's
 *  (gridr/pipeline.h). Initialise with gridr_job_init(), fill with gridr_job_set() (or
 * gridr_job_load()), check with gridr_job_validate(), release with gridr_job_clear(). The keys of
 * docs/jobs.md are given in comments. Strings and arrays are owned by the job (freed by
 * gridr_job_clear); change them through gridr_job_set(). New fields are only ever added at the end.
 */
typedef struct gridr_job {
    gridr_job_kind kind; /* "kind": grid | zoom */
    char *src;           /* "src": source raster (required) */
    char *dst;           /* "dst": output raster (required) */
    int *bands;          /* "band": 1-based source bands; NULL = all */
    size_t nbands;
    gridr_interp_kind interp; /* "resampling", default linear */
    double bspline_eps;       /* "bspline-eps", default GRIDR_BSPLINE_DEFAULT_EPS */
    double mask_influence;    /* "mask-influence", in (0, 1], default 1 */
    gridr_boundary boundary;  /* "boundary", default none */
    double boundary_value;    /* "boundary-value", default 0 */
    int trust_padding;        /* "trust-padding", default 0 */
    int has_src_nodata;       /* "src-nodata": overrides the source's own nodata */
    double src_nodata;
    int has_nodata; /* "nodata": output nodata; default: the source's nodata (or src-nodata), else
                       none on a zoom, 0 on a grid job; "none": see nodata_none */
    double nodata;
    gridr_dtype out_dtype;   /* "out-type", default GRIDR_DT_UNKNOWN = the source's type */
    char *format;            /* "format", default "GTiff" */
    char **creation_options; /* "co": NULL-terminated KEY=VALUE list (NULL when empty) */
    size_t ncreation_options;
    long tile_rows, tile_cols; /* "tile" COLSxROWS; 0 = from the memory budget */
    long mem_mib;              /* "mem", default GRIDR_JOB_DEFAULT_MEM_MIB */
    int workers;               /* "workers" (-j), default: usable cores */
    int threads;               /* "threads" (-t), per worker, default 1 */
    int retries;               /* "retries", default 1 */
    int keep_going;            /* "keep-going", default 0 */
    /* The command's settings, kept here because job files carry them: the library only parses
       and copies them (no gridr_pipeline_* function reads them: it neither skips the run, nor
       prints, nor writes a report); gridr-run reads them. */
    int dry_run;  /* "dry-run", default 0 */
    int quiet;    /* "quiet", default 0 */
    char *report; /* "report": JSON report path, default none */
    /* zoom */
    double zoom_fx, zoom_fy;   /* "factor" F or FX,FY; 0 = not set */
    long size_rows, size_cols; /* "size" COLSxROWS; 0 = not set */
    /* grid */
    char *grid;        /* "grid": grid raster (bands 1, 2 = row, col unless grid-col) */
    char *grid_col;    /* "grid-col": separate raster for the col positions */
    long grid_res_row; /* "grid-res" RR[,RC]; 0 = from the grid's metadata, else 1 */
    long grid_res_col;
    char *grid_mask;     /* "grid-mask": grid validity raster (u8) */
    int grid_mask_valid; /* "grid-mask-valid", default 1 */
    int has_grid_nodata; /* "grid-nodata": grid nodes equal to it are invalid */
    double grid_nodata;
    double grid_shift_row; /* "grid-shift" ROW,COL added to the grid positions; default 0 */
    double grid_shift_col;
    char *src_mask; /* "src-mask": source validity raster (u8, 0 = invalid) */
    char *origin;   /* where the job came from ("jobs.json, job 2"), for messages;
                       NULL for jobs built from options */
    double timeout; /* "timeout": seconds per attempt of a window, past which its worker is
                       killed and the window retried or failed; default 0 = none */
    /* resume */
    int resume; /* "resume": continue the interrupted run that wrote dst (and make this run
                   resumable); default 0. Keys that change the output belong in the run's
                   identity too (src/pipeline/resume_id.c) */
    /* existing outputs (issue 14) */
    int overwrite; /* "overwrite": replace a dst that exists, default 0 (refused, as gdalwarp) */
    /* nodata, masks and edges like GDAL (issue 14) */
    int nodata_none;     /* "nodata" none: the output declares no nodata value */
    int src_nodata_none; /* "src-nodata" none: the source's own nodata value is ignored */
    int nodata_policy;   /* "nodata-policy": gridr_nodata_policy; -1 (default) = by kind:
                            renormalize for zoom, exact for grid */
    int dst_alpha;       /* "dst-alpha": add an alpha band (255 valid, 0 nodata), default 0 */
    int src_mask_bands;  /* "mask-bands": the source's GDAL mask bands (internal, .msk, alpha)
                            mark invalid samples; default 1 */
    /* antialiasing (issue 14) */
    int antialias; /* "antialias": stretch linear/cubic/lanczos by the reduction; -1 (default)
                      = on for zoom jobs (as GDAL), off for grid jobs (GridR's point sampling) */
    /* warp: gdalwarp's options (docs/jobs.md) */
    char *t_srs;       /* "t-srs": output CRS; default the source's */
    char *s_srs;       /* "s-srs": overrides the source's CRS */
    double tr_x, tr_y; /* "tr" XRES,YRES: output resolution; 0 = gdalwarp's */
    int has_te;        /* "te" XMIN,YMIN,XMAX,YMAX: output extent */
    double te[4];
    char *te_srs;             /* "te-srs": CRS of "te"; default t-srs */
    long ts_cols, ts_rows;    /* "ts" W,H: output size (one may be 0); 0,0 = none */
    int tap;                  /* "tap": align the extent on "tr" */
    double et;                /* "et": largest position error of the grid, source pixels; 0.01 */
    char **transform_options; /* "to": GDAL transformer options KEY=VALUE (NULL-terminated) */
    size_t ntransform_options;
    char *rpc_dem;      /* "rpc-dem": DEM for an RPC source's heights */
    int has_rpc_height; /* "rpc-height": constant height for an RPC source */
    double rpc_height;
    int gcp_order; /* "order": GCP polynomial order 1..3; 0 = GDAL's choice */
    int tps;       /* "tps": thin-plate spline through the GCPs */
    /* georeferenced grid outputs (grid jobs) */
    int has_dst_geotransform; /* "dst-geotransform": the output's geotransform, 6 numbers */
    double dst_geotransform[6];
    char *dst_srs; /* "dst-srs": the output's CRS (any GDAL user input) */
    /* warp */
    char *keep_grid; /* "keep-grid": also write the generated grid there (GridR's format) */
} gridr_job;

/** Defaults (listed above); no allocation. workers = the cores this process may run on. */
GRIDR_API void gridr_job_init(gridr_job *j);

/** Free what the job owns and re-initialise it to the defaults. Accepts NULL. */
GRIDR_API void gridr_job_clear(gridr_job *j);

/** Deep copy `src` into `dst` (dst is overwritten, not cleared). */
GRIDR_API int gridr_job_copy(gridr_job *dst, const gridr_job *src);

/** Set option `key` (see gridr_job_keys(), docs/jobs.md) from its text form. The one place every
 *  option is parsed: the CLI maps its options to these keys. List keys ("band", "co") append
 *  (band accepts "1,3" too); value NULL restores the key's default (and empties a list).
 *  Returns 0, or GRIDR_EINVAL / GRIDR_ERANGE with a message naming the key and the value. */
GRIDR_API int gridr_job_set(gridr_job *j, const char *key, const char *value);

/** The key closest to `key` (a misspelling: '_' for '-', one or two letters off), or NULL when
 *  none is close. Ownership: static string. */
GRIDR_API const char *gridr_job_suggest(const char *key);

/** Every key gridr_job_set() accepts, NULL-terminated. Ownership: static. */
GRIDR_API const char *const *gridr_job_keys(void);

/** Name of a kind ("grid", "zoom", "warp"). Ownership: static string. */
GRIDR_API const char *gridr_job_kind_name(gridr_job_kind k);

/** Load a JSON job file: one job (an object) or a list of jobs (an array of objects). Relative
 *  paths in the file are taken relative to the file's directory. Keys are checked (unknown key,
 *  wrong JSON type, bad value, missing src/dst/grid/factor-or-size) with messages naming the
 *  file, the job number (1-based) and the key; syntax errors give line and column.
 *  Ownership: *jobs is an array of *n jobs, freed with gridr_job_free_list(). */
GRIDR_API int gridr_job_load(const char *path, gridr_job **jobs, size_t *n);

/** Free an array returned by gridr_job_load(). Accepts NULL. */
GRIDR_API void gridr_job_free_list(gridr_job *jobs, size_t n);

/** Whether the job may write its dst: GRIDR_EEXIST, with a message naming the file and saying
 *  to pass --overwrite, when something exists at dst (a file, or a link to one) and the job's
 *  "overwrite" key is off; 0 otherwise (nothing there, or overwrite on). Touches no file.
 *  gridr_job_validate() and gridr_pipeline_run() call it before any work. */
GRIDR_API int gridr_job_check_overwrite(const gridr_job *j);

/** Check a job before running it: required keys, kind-specific keys (grid keys on a zoom job and
 *  zoom keys on a grid job are errors), consistency (trust-padding needs a boundary, dst differs
 *  from every input), input files exist and are readable, the output can be written (driver,
 *  directory: gridr_raster_check_output), an existing dst only with "overwrite"
 *  (gridr_job_check_overwrite). Messages name the job's origin, the key and the file. */
GRIDR_API int gridr_job_validate(const gridr_job *j);

#ifdef __cplusplus
}
#endif
#endif
