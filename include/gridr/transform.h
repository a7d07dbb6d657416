/* gridr: exact pixel transforms of a warp: output pixel -> source pixel through GDAL's generic
 * transformer (geotransform + CRS, GCPs, RPCs, geolocation arrays), and gdalwarp's output grid. */
#ifndef GRIDR_TRANSFORM_H
#define GRIDR_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What gdalwarp's options ask of a warp's output grid and transformer (same names and meanings:
 *  -t_srs, -s_srs, -tr, -te, -te_srs, -ts, -tap, -to). Ownership: borrowed strings. */
typedef struct gridr_transform_target {
    const char *t_srs;          /* output CRS (any GDAL user input); NULL: the source's */
    const char *s_srs;          /* overrides the source's CRS; NULL: none */
    const char *const *options; /* more transformer options KEY=VALUE (GDAL's
                                   GDALCreateGenImgProjTransformer2), NULL-terminated, or NULL */
    double tr_x, tr_y;          /* -tr output resolution; 0: none */
    int has_te;                 /* -te given */
    double te[4];               /* xmin ymin xmax ymax, in te_srs (default t_srs) */
    const char *te_srs;         /* CRS of te; NULL: t_srs */
    long ts_cols, ts_rows;      /* -ts output size (one may be 0: from the aspect); 0,0: none */
    int tap;                    /* -tap: align the extent on tr (needs tr) */
} gridr_transform_target;

/** An exact transform from the pixels of a warp's output to those of its source. Opaque; owns
 *  its GDAL dataset and transformer. Not thread-safe: one per thread or process. */
typedef struct gridr_transform gridr_transform;

/** Open source raster `src` and build the output grid gdalwarp builds for the same options
 *  (GDALSuggestedWarpOutput2, then -te, -tr, -ts, -tap) and the transform of its pixels.
 *  Errors name the file and the option (GRIDR_EINVAL for options, GRIDR_EFORMAT for a source
 *  without georeferencing). Ownership: *out is the caller's (gridr_transform_free). */
GRIDR_API int gridr_transform_open(const char *src, const gridr_transform_target *t,
                                   gridr_transform **out);

/** The description of `t` for another process (gridr_transform_from_desc): text, `*len` bytes
 *  (NUL bytes inside). Ownership: borrowed from `t`. */
GRIDR_API const char *gridr_transform_desc(const gridr_transform *t, size_t *len);

/** Rebuild a transform from a description (opens the source again). Ownership: *out is the
 *  caller's. */
GRIDR_API int gridr_transform_from_desc(const char *desc, size_t len, gridr_transform **out);

/** Output size (rows, cols) and geotransform (GDAL's order). */
GRIDR_API void gridr_transform_grid(const gridr_transform *t, long *rows, long *cols, double gt[6]);

/** The output CRS as WKT. Ownership: borrowed from `t`. */
GRIDR_API const char *gridr_transform_wkt(const gridr_transform *t);

/** Transform `n` output positions in place: on entry (row[k], col[k]) in output pixels (pixel
 *  centres at integers), on return the source position (the same convention) and ok[k] = 1, or
 *  ok[k] = 0 where the transform fails (outside a projection's domain, RPC or geolocation
 *  range; row/col then NaN). Returns 0, or GRIDR_EIO when the transformer itself fails. */
GRIDR_API int gridr_transform_points(gridr_transform *t, long n, double *row, double *col,
                                     uint8_t *ok);

/** `text` (any CRS GDAL reads: EPSG:4326, WKT, PROJ string) as WKT into *wkt; `what` names it in
 *  messages (GRIDR_EINVAL). Ownership: *wkt is the caller's (free). */
GRIDR_API int gridr_transform_srs_wkt(const char *text, const char *what, char **wkt);

/** Release. Accepts NULL. */
GRIDR_API void gridr_transform_free(gridr_transform *t);

#ifdef __cplusplus
}
#endif
#endif
