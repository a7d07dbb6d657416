/* gridr: set a job up in the parent: rasters, grid, nodata and types, plan, output. */
#include "base/internal.h"
#include "gridr/registry.h"
#include "gridr/sma.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/raster.h"
#include "gridr/job.h"
#include "gridr/pipeline.h"
#include "gridr/plan.h"
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Budget-derived plans get at least this many windows per worker (unless windows would drop
 * below the 256 block): with 2 workers, 9 windows of 2048^2 left one worker idle on the tail
 * and the first read and last write unoverlapped. (GRIDR_WINDOWS_PER_WORKER, which overrode it,
 * is gone: 0 and 16 measured within noise, docs/performance.md.)
 * (measurements; 0 = off). */
#define WINDOWS_PER_WORKER 16

static const char *job_name(const gridr_job *j)
{
    return j->origin ? j->origin : j->dst;
}

/* Resolve the source bands (all when none were given) and their common dtype. */
static int open_bands(gridr__pipeline_ctx *c, const gridr_job *j, const gridr_raster_info *in)
{
    int n = j->nbands ? (int)j->nbands : in->bands;
    if (!j->nbands && j->src_mask_bands && in->bands > 1 &&
        gridr_raster_alpha_band(c->src) == in->bands) { /* as gdalwarp: a mask, not data */
        c->src_alpha = in->bands;
        n--;
    }
    c->bands = malloc((size_t)n * sizeof *c->bands);
    if (!c->bands)
        return gridr__fail(GRIDR_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        c->bands[i] = j->nbands ? j->bands[i] : i + 1;
        if (c->bands[i] < 1 || c->bands[i] > in->bands)
            return gridr__fail(GRIDR_EINVAL, "band %d does not exist in %s (%d bands)", c->bands[i],
                               j->src, in->bands);
    }
    c->params.bands = n;
    int rc = gridr_raster_band_dtype(c->src, c->bands[0], &c->params.src_dtype);
    for (int i = 1; rc == 0 && i < n; i++) {
        gridr_dtype dt;
        rc = gridr_raster_band_dtype(c->src, c->bands[i], &dt);
        if (rc == 0 && dt != c->params.src_dtype)
            return gridr__fail(GRIDR_EFORMAT, "bands %d and %d of %s have different types",
                               c->bands[0], c->bands[i], j->src);
    }
    return rc;
}

/* The output's nodata: the job's, else the source's (or the job's src-nodata, as gdalwarp),
 * else none on a zoom (no value invented: a DEM's 0 m stays valid) and 0 on a grid job (GridR's
 * convention: a grid output has nodata wherever the grid leaves the source); "none": none. */
static void resolve_out_nodata(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr_resample_opts *o = &c->params.ropts;
    o->out_nodata = j->has_nodata ? j->nodata : (o->has_src_nodata ? o->src_nodata : 0);
    c->out_has_nodata =
        !j->nodata_none && (j->has_nodata || o->has_src_nodata || j->kind != GRIDR_JOB_ZOOM);
}

/* Source nodata (the job's, else the first band's), output nodata and type, kernel options. */
static int resolve_values(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr_resample_opts *o = &c->params.ropts;
    int has = 0;
    double v = 0;
    int rc = gridr_raster_band_nodata(c->src, c->bands[0], &has, &v);
    if (rc)
        return rc;
    has = has && !j->src_nodata_none;
    gridr_resample_opts_init(o);
    o->interp = j->interp;
    o->bspline_eps = j->bspline_eps;
    o->mask_influence = j->mask_influence;
    o->boundary = j->boundary;
    o->boundary_value = j->boundary_value;
    o->trust_padding = j->trust_padding;
    o->threads = j->threads;
    /* zoom and warp jobs antialias by default (as gdal_translate and gdalwarp), grid jobs not */
    o->antialias = j->antialias < 0 ? j->kind != GRIDR_JOB_GRID : j->antialias;
    o->antialias_snap = j->kind == GRIDR_JOB_WARP; /* gdalwarp's whole reductions */
    o->gdal_edges = j->kind == GRIDR_JOB_ZOOM && j->boundary == GRIDR_BC_NONE; /* issue 14 */
    o->has_src_nodata = j->has_src_nodata || has;
    o->src_nodata = j->has_src_nodata ? j->src_nodata : v;
    if (o->interp != GRIDR_INTERP_NEAREST && gridr_raster_band_categorical(c->src, c->bands[0]))
        snprintf(c->warning, sizeof c->warning,
                 "band %d of '%s' holds classes (a palette or an attribute table), which do not "
                 "interpolate: %s mixes them; use -r nearest",
                 c->bands[0], j->src, gridr_interp_name(o->interp));
    o->nodata_policy = j->nodata_policy >= 0       ? j->nodata_policy
                       : j->kind == GRIDR_JOB_ZOOM ? GRIDR_NODATA_RENORMALIZE
                                                   : GRIDR_NODATA_EXACT;
    resolve_out_nodata(c, j);
    c->params.out_dtype = j->out_dtype != GRIDR_DT_UNKNOWN ? j->out_dtype : c->params.src_dtype;
    return 0;
}

/* Without a src-mask file, the source's own GDAL masks (internal, .msk, alpha) when a band has
 * one that says more than its nodata value. */
static int open_gdal_mask(gridr__pipeline_ctx *c, const gridr_job *j)
{
    for (int i = 0; j->src_mask_bands && !c->mask_gdal && i < c->params.bands; i++) {
        int f = 0, rc = gridr_raster_mask_flags(c->src, c->bands[i], &f);
        if (rc)
            return rc;
        if (!(f & (GRIDR_RASTER_MASK_ALL_VALID | GRIDR_RASTER_MASK_NODATA)))
            c->mask_gdal = c->params.has_src_mask = 1;
    }
    return 0;
}

/* The alpha band (-dstalpha, or a source with an alpha band whose bands were not chosen). */
static void resolve_alpha(gridr__pipeline_ctx *c, const gridr_job *j)
{
    c->params.alpha = j->dst_alpha || c->src_alpha;
    c->params.alpha_max = c->params.out_dtype == GRIDR_DT_U16 ? 65535 : 255;
    c->params.has_out_mask = c->params.alpha;
}

static int open_source_mask(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr_raster_info mi;
    resolve_alpha(c, j);
    if (!j->src_mask)
        return open_gdal_mask(c, j);
    int rc = gridr_raster_open(j->src_mask, &c->src_mask);
    if (rc)
        return rc;
    gridr_raster_get_info(c->src_mask, &mi);
    if (mi.rows != c->params.raster_rows || mi.cols != c->params.raster_cols)
        return gridr__fail(GRIDR_EINVAL, "source mask %s is %ldx%ld, source %s is %ldx%ld",
                           j->src_mask, mi.cols, mi.rows, j->src, c->params.raster_cols,
                           c->params.raster_rows);
    c->params.has_src_mask = 1;
    return 0;
}

static int setup_zoom(gridr__pipeline_ctx *c, const gridr_job *j)
{
    long rows = c->params.raster_rows, cols = c->params.raster_cols;
    double fx = j->zoom_fx, fy = j->zoom_fy;
    if (j->size_rows > 0) {
        fx = (double)j->size_cols / (double)cols;
        fy = (double)j->size_rows / (double)rows;
    }
    long orows = j->size_rows > 0 ? j->size_rows : (long)floor((double)rows * fy + 0.5);
    long ocols = j->size_cols > 0 ? j->size_cols : (long)floor((double)cols * fx + 0.5);
    if (orows < 1 || ocols < 1)
        return gridr__fail(GRIDR_EINVAL, "zoom by %g,%g of %ldx%ld gives an empty output", fx, fy,
                           cols, rows);
    c->zoom_fx = fx;
    c->zoom_fy = fy;
    return gridr_grid_init_zoom(&c->grid, fy, fx, orows, ocols);
}

/* Bytes of decoded grid tiles kept per grid file: three rows of 256 x 256 f64 two-band tiles
 * (1 MiB each) of a 1200-node-wide grid, enough for output windows that cross a tile row. */
#define GRID_READ_CACHE ((size_t)16 << 20)

/* Open grid file `path` (rows x cols nodes, at least `band` bands) into *out. */

static int open_grid_file(const char *path, int band, long rows, long cols, gridr_raster **out)
{
    gridr_raster_info in;
    int rc = gridr_raster_open(path, out);
    if (rc)
        return rc;
    gridr_raster_get_info(*out, &in);
    if (in.rows != rows || in.cols != cols)
        rc = gridr__fail(GRIDR_EINVAL, "%s is %ldx%ld, expected %ldx%ld like the grid", path,
                         in.cols, in.rows, cols, rows);
    else if (band > in.bands)
        rc = gridr__fail(GRIDR_EINVAL,
                         "grid %s has %d band%s; a grid needs 2 (row, col) or a second file "
                         "given with --grid-col",
                         path, in.bands, in.bands == 1 ? "" : "s");
    /* Node windows of neighbouring output windows share the file's tiles: keep a few. */
    if (rc == 0)
        rc = gridr_raster_set_read_cache(*out, GRID_READ_CACHE);
    if (rc) {
        gridr_raster_close(*out);
        *out = NULL;
    }
    return rc;
}

int gridr__pipeline_load_nodes(void *user, gridr_rect win, gridr_array *nodes, gridr_array *mask)
{
    static const int both[2] = {1, 2}, one = 1;
    gridr__pipeline_ctx *c = user;
    int rc;
    if (c->grid_col_r) {
        gridr_array p = *nodes;
        p.bands = 1;
        rc = gridr_raster_read(c->grid_r, win, &one, 1, &p);
        p.data = gridr_array_at(nodes, 1, 0, 0);
        if (rc == 0)
            rc = gridr_raster_read(c->grid_col_r, win, &one, 1, &p);
    } else {
        rc = gridr_raster_read(c->grid_r, win, both, 2, nodes);
    }
    if (rc == 0 && mask)
        rc = gridr_raster_read(c->grid_mask_r, win, &one, 1, mask);
    return rc;
}

/* The grid without its nodes (the planner and the runner load node windows from the files). */
static void grid_meta(gridr__pipeline_ctx *c, const gridr_job *j, const gridr_raster_info *gi,
                      long rr, long rcol)
{
    gridr_grid *g = &c->grid;
    memset(g, 0, sizeof *g);
    g->kind = GRIDR_GRID_ARRAY;
    g->nodes = gridr_array_make(NULL, c->params.grid_dtype, 2, gi->rows, gi->cols);
    g->full_node_rows = gi->rows;
    g->full_node_cols = gi->cols;
    g->res_row = (int)rr;
    g->res_col = (int)rcol;
    g->mask_valid = j->grid_mask ? (uint8_t)j->grid_mask_valid : 1;
    g->has_nodata = j->has_grid_nodata;
    g->nodata = j->grid_nodata;
    g->shift_row = j->grid_shift_row;
    g->shift_col = j->grid_shift_col;
    if (rr >= 1 && rcol >= 1)
        gridr_grid_out_shape(g, &g->out_rows, &g->out_cols);
}

/* Check the grid on its first node row (sizes, factors, mask and nodata are the same for all). */
static int check_grid(gridr__pipeline_ctx *c)
{
    gridr_grid s = c->grid;
    long n = s.full_node_cols;
    size_t es = gridr_dtype_size(c->params.grid_dtype);
    unsigned char *buf = malloc((size_t)n * (2 * es + 1));
    if (!buf)
        return gridr__fail(GRIDR_ENOMEM, "grid: no memory for a row of %ld nodes", n);
    s.nodes = gridr_array_make(buf, c->params.grid_dtype, 2, 1, n);
    if (c->params.has_grid_mask)
        s.mask = gridr_array_make(buf + 2 * es * (size_t)n, GRIDR_DT_U8, 1, 1, n);
    int rc = gridr__pipeline_load_nodes(c, (gridr_rect){0, 0, 1, n}, &s.nodes,
                                        c->params.has_grid_mask ? &s.mask : NULL);
    if (rc == 0)
        rc = gridr_grid_check(&s);
    free(buf);
    return rc;
}

static int open_grid(gridr__pipeline_ctx *c, const gridr_job *j, const gridr_raster_info *gi)
{
    int rc = 0;
    if (j->grid_col)
        rc = open_grid_file(j->grid_col, 1, gi->rows, gi->cols, &c->grid_col_r);
    else
        rc = open_grid_file(j->grid, 2, gi->rows, gi->cols, &c->grid_r);
    if (rc == 0 && !c->grid_r)
        rc = open_grid_file(j->grid, 1, gi->rows, gi->cols, &c->grid_r);
    if (rc == 0 && j->grid_mask) {
        rc = open_grid_file(j->grid_mask, 1, gi->rows, gi->cols, &c->grid_mask_r);
        c->params.has_grid_mask = rc == 0;
    }
    return rc;
}

static int setup_grid(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr_raster *g = NULL;
    gridr_raster_info gi;
    long rr = j->grid_res_row, rcol = j->grid_res_col;
    int rc = gridr_raster_open(j->grid, &g);
    if (rc)
        return rc;
    gridr_dtype dt = GRIDR_DT_UNKNOWN;
    gridr_raster_get_info(g, &gi);
    if (rr <= 0 || rcol <= 0)
        rc = gridr_pipeline_grid_res(g, &rr, &rcol);
    if (rc == 0)
        rc = gridr_raster_band_dtype(g, 1, &dt);
    gridr_raster_close(g);
    c->params.grid_dtype = dt == GRIDR_DT_F32 ? GRIDR_DT_F32 : GRIDR_DT_F64;
    if (rc == 0)
        rc = open_grid(c, j, &gi);
    if (rc)
        return rc;
    grid_meta(c, j, &gi, rr, rcol);
    rc = check_grid(c);
    if (rc)
        return gridr__fail(rc, "grid %s (%ldx%ld nodes, oversampling %ld,%ld): %s", j->grid,
                           gi.cols, gi.rows, rr, rcol, gridr_last_error());
    return 0;
}

int gridr__pipeline_open(gridr__pipeline_ctx *c, const gridr_job *j, int dry)
{
    gridr_raster_info in;
    memset(c, 0, sizeof *c);
    c->params.magic = GRIDR__PIPELINE_MAGIC;
    int rc = gridr_raster_open(j->src, &c->src);
    if (rc)
        return rc;
    gridr_raster_get_info(c->src, &in);
    c->params.raster_rows = in.rows;
    c->params.raster_cols = in.cols;
    rc = open_bands(c, j, &in);
    if (rc == 0)
        rc = resolve_values(c, j);
    if (rc == 0)
        rc = open_source_mask(c, j);
    if (rc == 0)
        rc = j->kind == GRIDR_JOB_ZOOM   ? setup_zoom(c, j)
             : j->kind == GRIDR_JOB_WARP ? gridr__warp_setup(c, j)
                                         : setup_grid(c, j);
    if (rc)
        return rc;
    if (!c->params.warp) /* a warp's output is the transform's, within its coarse grid */
        gridr_grid_out_shape(&c->grid, &c->params.out_rows, &c->params.out_cols);
    if (!dry &&
        (rc = gridr__pipeline_check_dst(c, j)) != 0) /* no input replaced through a VRT... */
        return rc;
    if (dry != 1 && c->params.bands == 1 && c->bands[0] == 1 &&
        (rc = gridr_raster_worker_source(c->src, &c->params.wsrc)) != 0)
        return rc;
    if (c->params.wsrc.dtype != (int32_t)c->params.src_dtype)
        c->params.wsrc.ok = 0;
    c->params.grid = c->grid;
    c->params.grid.nodes.data = NULL;
    c->params.grid.mask.data = NULL;
    return 0;
}

/* Bytes of one output window of rows x cols, every band: its output array and, for a zoom, the
 * source rows and columns it samples at least (no halo): what the planner asks at the least. */
static double min_window_bytes(const gridr__pipeline_ctx *c, const gridr_job *j, long rows,
                               long cols)
{
    const gridr__pipeline_params *p = &c->params;
    double px = (double)rows * (double)cols * (double)gridr_dtype_size(p->out_dtype);
    if (j->kind == GRIDR_JOB_ZOOM) {
        double sr = GRIDR__MIN(ceil((double)rows / c->zoom_fy), (double)p->raster_rows);
        double sc = GRIDR__MIN(ceil((double)cols / c->zoom_fx), (double)p->raster_cols);
        px += sr * sc * (double)gridr_dtype_size(p->src_dtype);
    }
    return px * (double)p->bands;
}

int gridr__pipeline_check_budget(const gridr__pipeline_ctx *c, const gridr_job *j, int workers)
{
    gridr_plan_opts po;
    gridr_plan_opts_init(&po);
    long rows = GRIDR__MIN(GRIDR_PLAN_MIN_WINDOW, c->params.out_rows);
    long cols = GRIDR__MIN(GRIDR_PLAN_MIN_WINDOW, c->params.out_cols);
    int in_flight = GRIDR__MAX(workers, 1) + po.prefetch;
    double one = min_window_bytes(c, j, rows, cols), mib = 1048576.0;
    if (j->mem_mib <= 0 || one * in_flight <= (double)j->mem_mib * mib)
        return 0;
    return gridr__fail(
        GRIDR_EINVAL,
        "source '%s': %d band%s of %ld x %ld to resample: one %ld x %ld window of "
        "every band needs at least %.1f MiB x %d in flight = %.1f MiB, over the memory budget "
        "of %ld MiB; raise --mem, select bands with -b or use fewer workers (-j)",
        j->src, c->params.bands, c->params.bands == 1 ? "" : "s", c->params.raster_cols,
        c->params.raster_rows, cols, rows, one / mib, in_flight, one * in_flight / mib, j->mem_mib);
}

/* The windows of the plan fall on whole output tiles. */
static int plan_on_tiles(const gridr__pipeline_ctx *c)
{
    const gridr_plan_summary *s = gridr_plan_summary_get(c->plan);
    const gridr_raster_tile_codec *k = &c->params.codec;
    return (s->win_rows % k->tile_rows == 0 || s->win_rows >= s->out_rows) &&
           (s->win_cols % k->tile_cols == 0 || s->win_cols >= s->out_cols);
}

/* Size the encoded-tiles array from the output's codec: the bound of a one-tile window (its
 * table header included) times the tiles of a window is an upper bound (by 48 bytes a tile). */
static void plan_tiles(const gridr__pipeline_ctx *c, gridr_plan_opts *po)
{
    const gridr_raster_tile_codec *k = &c->params.codec;
    gridr_rect one = {0, 0, GRIDR__MIN(k->tile_rows, k->rows), GRIDR__MIN(k->tile_cols, k->cols)};
    size_t b1 = k->compression ? gridr_raster_tiles_bound(k, one) : 0;
    if (b1 == 0)
        return;
    po->enc_tile_rows = k->tile_rows;
    po->enc_tile_cols = k->tile_cols;
    po->enc_tile_bytes = b1;
    if (k->tile_rows == k->tile_cols)
        po->block = k->tile_rows;
}

/* The one I/O decision of the output, once the plan is known (docs/design.md): pixels through
 * GDAL, uncompressed tiles placed by the workers, or compressed tiles encoded by the workers and
 * written raw by the parent. A dry run (no output) plans the tiles array and decides nothing. */
static int decide_output(gridr__pipeline_ctx *c)
{
    gridr__pipeline_params *p = &c->params;
    p->out_path = GRIDR__OUT_GDAL;
    if (!c->dst || !p->codec.compression)
        return 0;
    if (p->codec.compression != GRIDR_RASTER_TILES_NONE) {
        p->out_path = GRIDR__OUT_ENCODED;
        return gridr_raster_tiles_begin(c->dst);
    }
    int rc = gridr_raster_tiles_share(c->dst, &p->sink);
    if (rc == 0 && p->sink.ok)
        p->out_path = GRIDR__OUT_PLACED;
    return rc;
}

/* The windows in flight live in /dev/shm: a budget larger than the room there (a container's
 * 64 MiB) plans windows that fit it, with a margin for page rounding and other processes. */
static size_t shm_budget(const gridr_job *j)
{
    size_t room = 0, budget = (size_t)j->mem_mib << 20;
    if (gridr_sma_room(&room) != 0 || room / 8 * 7 >= budget)
        return budget;
    return room / 8 * 7;
}

/* A plan that fails for want of room in /dev/shm says so, and what to do. */
static int shm_fail(const gridr_job *j, int rc)
{
    size_t room = 0;
    if (rc != GRIDR_EINVAL || gridr_sma_room(&room) != 0 ||
        room / 8 * 7 >= ((size_t)j->mem_mib << 20))
        return rc;
    return gridr__fail(GRIDR_ENOSPC,
                       "not enough /dev/shm for the smallest windows (%.1f MiB free; %s); "
                       "enlarge /dev/shm (docker --shm-size) or use fewer workers (-j)",
                       (double)room / 1048576.0, gridr_last_error());
}

int gridr__pipeline_plan(gridr__pipeline_ctx *c, const gridr_job *j, int workers)
{
    gridr_plan_opts po;
    gridr_plan_opts_init(&po);
    po.grid = &c->grid;
    po.resample = &c->params.ropts;
    po.out_rows = c->params.out_rows;
    po.out_cols = c->params.out_cols;
    po.bands = c->params.bands;
    po.src_dtype = c->params.src_dtype;
    po.out_dtype = c->params.out_dtype;
    po.raster_rows = c->params.raster_rows;
    po.raster_cols = c->params.raster_cols;
    po.has_src_mask = c->params.has_src_mask;
    po.has_out_mask = c->params.alpha;
    po.out_extra_bands = c->params.alpha;
    po.mem_budget = shm_budget(j);
    po.workers = workers > 0 ? workers : 1;
    po.min_windows = WINDOWS_PER_WORKER * po.workers;
    po.src_margin = c->warp_margin;
    if (c->warp_scales) { /* antialiased warp: each window's reduction widens its margin */
        po.src_margin_at = gridr__warp_aa_margin;
        po.src_margin_user = c;
    }
    if (c->grid.kind == GRIDR_GRID_ARRAY && !c->params.warp) {
        po.load_nodes = gridr__pipeline_load_nodes;
        po.load_user = c;
        po.grid_mask = c->params.has_grid_mask;
    }
    po.win_rows = c->win_rows ? c->win_rows : j->tile_rows; /* resuming: the earlier cut */
    po.win_cols = c->win_cols ? c->win_cols : j->tile_cols;
    plan_tiles(c, &po);
    int rc = gridr_plan_new(&po, &c->plan);
    if (rc || !po.enc_tile_rows || plan_on_tiles(c))
        return rc ? shm_fail(j, rc) : decide_output(c);
    /* Windows cut tiles (a user window size): the parent writes pixels, without the array. */
    memset(&c->params.codec, 0, sizeof c->params.codec);
    gridr_plan_free(c->plan);
    c->plan = NULL;
    po.enc_tile_rows = po.enc_tile_cols = 0;
    po.enc_tile_bytes = 0;
    po.block = GRIDR_PLAN_DEFAULT_BLOCK;
    rc = gridr_plan_new(&po, &c->plan);
    return rc ? shm_fail(j, rc) : decide_output(c);
}

static int set_georef(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr_raster_info in;
    double gt[6];
    int rc = c->out_has_nodata ? gridr_raster_set_nodata(c->dst, 0, c->params.ropts.out_nodata) : 0;
    if (rc == 0 && j->kind == GRIDR_JOB_WARP)
        return gridr__warp_georef(c);
    if (rc == 0 && j->kind == GRIDR_JOB_GRID) /* when the job or the grid gives it */
        return gridr__pipeline_grid_georef(c, j);
    if (rc)
        return rc;
    gridr_raster_get_info(c->src, &in);
    if (in.has_geotransform) {
        gridr_pipeline_zoom_geotransform(in.geotransform, c->zoom_fy, c->zoom_fx, gt);
        rc = gridr_raster_set_geotransform(c->dst, gt);
    }
    if (rc == 0 && in.crs_wkt && *in.crs_wkt)
        rc = gridr_raster_set_crs_wkt(c->dst, in.crs_wkt);
    if (rc == 0)
        rc = gridr_raster_copy_metadata(c->dst, c->src, c->bands, c->params.bands);
    return rc;
}

/* The temporary output's name goes into the run's journal before any of its files exists. */
typedef struct temp_record {
    gridr_registry *reg;
    char *name; /* recorded */
} temp_record;

static int record_temp(void *user, const char *tmp)
{
    temp_record *t = user;
    int rc = gridr_registry_add_temp(t->reg, tmp);
    if (rc == 0 && !(t->name = strdup(tmp)))
        rc = gridr__fail(GRIDR_ENOMEM, "out of memory");
    return rc;
}

/* A failed create left nothing; the name may even be another's file (EEXIST): forget it, keeping
 * the create's message. */
static int forget_failed(const temp_record *t, int rc)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", gridr_last_error());
    gridr_registry_forget_file(t->reg, t->name);
    return gridr_set_error(rc, "%s", msg);
}

int gridr__pipeline_create_output(gridr__pipeline_ctx *c, const gridr_job *j, gridr_registry *reg)
{
    temp_record t = {reg, NULL};
    gridr_raster_create_opts co = {.driver = j->format,
                                   .creation_options = (const char *const *)j->creation_options,
                                   .tag = c->adopt_tag ? c->adopt_tag : gridr_registry_run_id(reg),
                                   .record = record_temp,
                                   .record_user = &t,
                                   .adopt_base = c->adopt_base};
    int rc = gridr_raster_check_output(j->dst, j->format);
    if (rc == 0)
        rc = gridr_raster_create(j->dst, c->params.out_rows, c->params.out_cols,
                                 c->params.bands + c->params.alpha, c->params.out_dtype, &co,
                                 &c->dst);
    if (rc && t.name)
        rc = forget_failed(&t, rc);
    free(t.name);
    if (rc == 0 && !c->adopt_base) /* an adopted partial output has them already */
        rc = set_georef(c, j);
    if (rc == 0 && c->params.alpha)
        rc = gridr_raster_set_alpha(c->dst, c->params.bands + 1);
    if (rc == 0) /* what the output's options make of its tiles (no file touched) */
        rc = gridr_raster_tile_codec_get(c->dst, &c->params.codec);
    return rc;
}

void gridr__pipeline_close(gridr__pipeline_ctx *c)
{
    gridr__order_free(c->order);
    gridr__resume_end(c->resume, 0);
    gridr__shared_close(c);
    if (c->adopt_base)
        gridr_raster_abort_keep(c->dst); /* never remove what an interrupted run left */
    else
        gridr_raster_abort(c->dst);
    gridr_raster_close(c->src);
    gridr_raster_close(c->src_mask);
    gridr_plan_free(c->plan);
    gridr_raster_close(c->grid_r);
    gridr_raster_close(c->grid_col_r);
    gridr_raster_close(c->grid_mask_r);
    gridr__warp_close(c);
    free(c->bands);
    memset(c, 0, sizeof *c);
}

int gridr_pipeline_dry_run(const gridr_job *j, int workers, FILE *f)
{
    gridr__pipeline_ctx c;
    int rc = gridr__pipeline_open(&c, j, 1);
    if (rc == 0) { /* the tiles array the real run's workers will encode into */
        gridr_raster_create_opts co = {
            .driver = j->format, .creation_options = (const char *const *)j->creation_options};
        rc = gridr_raster_tile_codec_guess(&co, c.params.out_rows, c.params.out_cols,
                                           c.params.bands, c.params.out_dtype, &c.params.codec);
    }
    if (rc == 0)
        rc = gridr__pipeline_plan(&c, j, workers);
    if (rc == 0) {
        fprintf(f, "job %s: %s -> %s (%s)\n", job_name(j), j->src, j->dst,
                gridr_interp_name(j->interp));
        if (c.params.warp) /* antialiased: each window's margin grows with its reduction */
            fprintf(
                f,
                "warp: margin up to %.2f source pixels around a window's targets (antialias %s)\n",
                gridr__warp_aa_max_margin(&c), c.params.ropts.antialias ? "on" : "off");
        rc = gridr_plan_dump(c.plan, f, 1);
    }
    gridr__pipeline_close(&c);
    return rc ? gridr__pipeline_fail(j, rc) : 0;
}

int gridr__pipeline_fail(const gridr_job *j, int rc)
{
    return gridr__fail(rc, "%s: %s", job_name(j), gridr_last_error());
}
