/* gridr test tool: resample a whole image in one call, in memory, and compare with a raster.
 *
 * Usage: wholeimage KERNEL SRC GRID GRID_MASK OUT [OUT...]
 *   KERNEL: a kernel name, or aa:NAME for a grid job run with --antialias.
 *   GRID: a 2-band (row, col) grid raster, oversampling from its GRIDR_RES_* metadata, or
 *         "zoom:F" for a zoom by F in both directions; GRID_MASK: a u8 raster or "-".
 *   The reference: the whole output resampled in one gridr_resample_window() call from a source
 *   window covering everything the output needs (gridr_resample_source_window() of the whole
 *   output: the raster grown by the halo), with gridr-run's defaults (source nodata from the
 *   file, output nodata = source nodata else 0, boundary none, output type = source type; a
 *   zoom renormalises over valid taps, GDAL's policy, a grid keeps the exact rule).
 *   Prints, for each OUT, "identical, V of N pixels valid" or its first differing sample; exit 0
 * when all are identical, 1 when one differs, 2 on a usage or library error (message on stderr). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gridr/gridr.h"

typedef struct image {
    gridr_raster *r;
    gridr_raster_info info;
    gridr_dtype dt;
    void *buf;
    gridr_array a;
} image;

static void die(const char *what)
{
    fprintf(stderr, "wholeimage: %s: %s\n", what, gridr_last_error());
    exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "wholeimage: out of memory\n");
        exit(2);
    }
    return p;
}

/* Open `path` and read all its bands as `dt` (GRIDR_DT_UNKNOWN: the file's type). */
static void load(const char *path, gridr_dtype dt, image *im)
{
    if (gridr_raster_open(path, &im->r) != 0)
        die(path);
    gridr_raster_get_info(im->r, &im->info);
    im->dt = dt;
    if (dt == GRIDR_DT_UNKNOWN && gridr_raster_band_dtype(im->r, 1, &im->dt) != 0)
        die(path);
    long rows = im->info.rows, cols = im->info.cols;
    im->buf =
        xcalloc((size_t)im->info.bands * (size_t)rows * (size_t)cols, gridr_dtype_size(im->dt));
    im->a = gridr_array_make(im->buf, im->dt, im->info.bands, rows, cols);
    if (gridr_raster_read(im->r, (gridr_rect){0, 0, rows, cols}, NULL, im->info.bands, &im->a))
        die(path);
}

static void unload(image *im)
{
    gridr_raster_close(im->r);
    free(im->buf);
}

/* Copy the raster samples of `img` into `dst`, a window `sw` of raster coordinates. */
static void fill_window(const gridr_array *img, gridr_rect sw, gridr_array *dst)
{
    size_t es = gridr_dtype_size(img->dtype);
    long c0 = sw.col0 < 0 ? 0 : sw.col0;
    long c1 = sw.col0 + sw.cols > img->cols ? img->cols : sw.col0 + sw.cols;
    for (int b = 0; b < img->bands; b++)
        for (long r = sw.row0; r < sw.row0 + sw.rows; r++)
            if (r >= 0 && r < img->rows && c1 > c0)
                memcpy(gridr_array_at(dst, b, r - sw.row0, c0 - sw.col0),
                       gridr_array_at(img, b, r, c0), (size_t)(c1 - c0) * es);
}

/* Compare the reference with the raster at `path`: shape, type, then every sample. */
static int compare(const gridr_array *ref, const uint8_t *mask, const char *path, double nodata)
{
    image out;
    int has = 0;
    double v = 0;
    memset(&out, 0, sizeof out);
    load(path, GRIDR_DT_UNKNOWN, &out);
    int rc = 0;
    if (out.info.rows != ref->rows || out.info.cols != ref->cols || out.info.bands != ref->bands ||
        out.dt != ref->dtype) {
        printf("%s is %ldx%ldx%d %s, the reference %ldx%ldx%d %s\n", path, out.info.cols,
               out.info.rows, out.info.bands, gridr_dtype_name(out.dt), ref->cols, ref->rows,
               ref->bands, gridr_dtype_name(ref->dtype));
        rc = 1;
    } else if (gridr_raster_band_nodata(out.r, 1, &has, &v) != 0 || !has || v != nodata) {
        printf("%s: nodata %s%g, expected %g\n", path, has ? "" : "absent ", v, nodata);
        rc = 1;
    }
    size_t n = (size_t)ref->bands * (size_t)ref->rows * (size_t)ref->cols;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        double x = gridr_dtype_get(out.buf, out.dt, i),
               y = gridr_dtype_get(ref->data, ref->dtype, i);
        if (memcmp(&x, &y, sizeof x) != 0) {
            size_t plane = (size_t)ref->rows * (size_t)ref->cols;
            printf("band %zu row %zu col %zu: %s has %.17g, the whole-image resampling %.17g\n",
                   i / plane + 1, i % plane / (size_t)ref->cols, i % (size_t)ref->cols, path, x, y);
            rc = 1;
        }
    }
    unload(&out);
    size_t valid = 0, plane = (size_t)ref->rows * (size_t)ref->cols;
    for (size_t i = 0; i < plane; i++)
        valid += mask[i] != 0;
    if (rc == 0)
        printf("identical, %zu of %zu pixels valid\n", valid, plane);
    return rc;
}

/* The grid: a zoom ("zoom:F") or the grid raster (+ mask); its buffers go to `grid`/`mask`. */
static void make_grid(const char *spec, const char *mask_path, const gridr_raster_info *src,
                      gridr_grid *g, image *grid, image *mask, int *renorm)
{
    if (strncmp(spec, "zoom:", 5) == 0) {
        double f = atof(spec + 5);
        long rows = (long)floor((double)src->rows * f + 0.5);
        long cols = (long)floor((double)src->cols * f + 0.5);
        if (gridr_grid_init_zoom(g, f, f, rows, cols) != 0)
            die(spec);
        *renorm = 1;
        return;
    }
    long rr = 1, rc = 1;
    load(spec, GRIDR_DT_F64, grid);
    if (gridr_pipeline_grid_res(grid->r, &rr, &rc) != 0 ||
        gridr_grid_init_array(g, grid->a, (int)rr, (int)rc) != 0)
        die(spec);
    if (strcmp(mask_path, "-") != 0) {
        load(mask_path, GRIDR_DT_U8, mask);
        g->mask = mask->a;
        g->mask_valid = 1;
    }
    gridr_grid_out_shape(g, &g->out_rows, &g->out_cols);
    if (gridr_grid_check(g) != 0)
        die(spec);
}

int main(int argc, char **argv)
{
    gridr_resample_opts o;
    gridr_resample_opts_init(&o);
    const int aa = argc > 1 && strncmp(argv[1], "aa:", 3) == 0;
    if (argc < 6 || gridr_interp_parse(argv[1] + (aa ? 3 : 0), &o.interp) != 0) {
        fprintf(stderr, "usage: wholeimage [aa:]KERNEL SRC GRID|zoom:F GRID_MASK|- OUT [OUT...]\n");
        return 2;
    }
    image src, grid, mask;
    memset(&grid, 0, sizeof grid);
    memset(&mask, 0, sizeof mask);
    load(argv[2], GRIDR_DT_UNKNOWN, &src);
    double nd = 0;
    if (gridr_raster_band_nodata(src.r, 1, &o.has_src_nodata, &nd) != 0)
        die(argv[2]);
    o.src_nodata = nd;
    o.out_nodata = o.has_src_nodata ? nd : 0;
    o.threads = 1;
    o.antialias = strncmp(argv[3], "zoom:", 5) == 0; /* gridr-run's defaults per job kind */
    o.gdal_edges = o.antialias;
    o.antialias |= aa;

    gridr_grid g;
    long rows = 0, cols = 0;
    int renorm = 0;
    make_grid(argv[3], argv[4], &src.info, &g, &grid, &mask, &renorm);
    o.nodata_policy = renorm ? GRIDR_NODATA_RENORMALIZE : GRIDR_NODATA_EXACT;
    gridr_grid_out_shape(&g, &rows, &cols);
    gridr_rect ow = {0, 0, rows, cols}, sw;
    int empty = 0;
    if (gridr_resample_source_window(&o, &g, ow, src.info.rows, src.info.cols, &sw, &empty))
        die("source window");
    int bands = src.info.bands;
    size_t es = gridr_dtype_size(src.dt);
    void *win = xcalloc((size_t)bands * (size_t)(sw.rows * sw.cols), es);
    void *ob = xcalloc((size_t)bands * (size_t)(rows * cols), es);
    uint8_t *om = xcalloc((size_t)(rows * cols), 1);
    gridr_array wa = gridr_array_make(win, src.dt, bands, sw.rows, sw.cols);
    gridr_array oa = gridr_array_make(ob, src.dt, bands, rows, cols);
    gridr_array ma = gridr_array_make(om, GRIDR_DT_U8, 1, rows, cols);
    if (empty) {
        fprintf(stderr, "wholeimage: the whole output is invalid; nothing to compare\n");
        return 2;
    }
    fill_window(&src.a, sw, &wa);
    gridr_source s = {wa, {0}, sw.row0, sw.col0, src.info.rows, src.info.cols};
    if (gridr_resample_window(&o, &g, ow, &s, &oa, &ma) != 0)
        die("resample");
    int rc = 0;
    for (int i = 5; i < argc; i++)
        rc |= compare(&oa, om, argv[i], o.out_nodata);
    free(win);
    free(ob);
    free(om);
    unload(&src);
    unload(&grid);
    unload(&mask);
    return rc;
}
