/* gridr: plan a run: cut the output into windows, derive source/node windows, fit the budget. */
#include "base/internal.h"
#include "gridr/sma.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/plan.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A plan never has more windows than this (about 200 bytes each: the window list alone would be
 * 200 MiB, and evaluating every window takes seconds under ASan; 2^22 timed out in fuzz_plan). */
#define MAX_COUNT (1L << 20)

struct gridr_plan {
    gridr_plan_window *win;
    gridr_plan_summary sum;
};

/* A streamed grid (opts.load_nodes): the nodes of the current row of windows. */
typedef struct stream {
    gridr_plan_node_loader load;
    void *user;
    gridr_grid slice; /* the grid restricted to the loaded node rows */
    void *buf, *mbuf; /* node and mask data of the slice */
    size_t cap, mcap;
} stream;

/* Everything gridr_plan_new derives from the options once. */
typedef struct ctx {
    const gridr_grid *grid;
    gridr_resample_opts ropts;
    long out_rows, out_cols;
    int bands;
    gridr_dtype src_dt, out_dt, grid_dt;
    long raster_rows, raster_cols;
    int src_mask, grid_mask, out_mask;
    size_t budget;
    int in_flight;
    long block;
    long min_windows;
    double margin; /* opts.src_margin */
    double (*margin_at)(void *, gridr_rect);
    void *margin_user;
    int halo;
    long enc_rows, enc_cols; /* encoded output tiles (0: none) */
    size_t enc_tile, enc_head;
    stream *stream; /* NULL: the grid holds every node */
    int out_bands;  /* bands of the output array (an alpha band after the resampled ones) */
} ctx;

/* Result of evaluating one window size. */
typedef struct cand {
    long rows, cols; /* window size */
    long count, empty;
    size_t max[GRIDR_PLAN_NARRAYS];
    long max_src_rows, max_src_cols, max_node_rows, max_node_cols;
    int max_halo;
} cand;

static const char *const array_names[GRIDR_PLAN_NARRAYS] = {"src", "src_mask", "grid", "grid_mask",
                                                            "out", "out_mask", "tiles"};

const char *gridr_plan_array_name(gridr_plan_array kind)
{
    if ((int)kind < 0 || (int)kind >= GRIDR_PLAN_NARRAYS)
        return "unknown";
    return array_names[kind];
}

void gridr_plan_opts_init(gridr_plan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bands = 1;
    o->src_dtype = GRIDR_DT_UNKNOWN;
    o->out_dtype = GRIDR_DT_UNKNOWN;
    o->grid_dtype = GRIDR_DT_UNKNOWN;
    o->grid_mask = -1;
    o->workers = 1;
    o->prefetch = 1;
    o->block = GRIDR_PLAN_DEFAULT_BLOCK;
}

/* ---- sizes ---------------------------------------------------------------------------------- */

static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
    return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

static size_t sum_bytes(const size_t *b)
{
    size_t s = 0;
    for (int k = 0; k < GRIDR_PLAN_NARRAYS; k++)
        s = sat_add(s, b[k]);
    return s;
}

/* Bytes of a (bands, rows, cols) array of dt into *out; ERANGE on overflow. */
static int array_bytes(gridr_dtype dt, int bands, long rows, long cols, const char *what,
                       const gridr_rect *out_win, size_t *out)
{
    if (rows <= 0 || cols <= 0) {
        *out = 0;
        return 0;
    }
    *out = gridr_sma_bytes_for(dt, bands, rows, cols);
    if (*out == 0)
        return gridr__fail(GRIDR_ERANGE,
                           "plan: window at output (%ld, %ld): %s array of %d x %ld x %ld %s "
                           "overflows size_t",
                           out_win->row0, out_win->col0, what, bands, rows, cols,
                           gridr_dtype_name(dt));
    return 0;
}

/* "12.3 MiB" into buf. */
static const char *fmt_bytes(size_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%zu B", n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

/* ---- options -------------------------------------------------------------------------------- */

static int check_dtype(gridr_dtype dt, const char *what)
{
    if (gridr_dtype_size(dt) == 0)
        return gridr__fail(GRIDR_EINVAL, "plan: %s data type not set or unknown (%d)", what,
                           (int)dt);
    return 0;
}

static int check_counts(const gridr_plan_opts *o)
{
    if (o->bands < 1)
        return gridr__fail(GRIDR_EINVAL, "plan: bands must be >= 1 (got %d)", o->bands);
    if (o->raster_rows < 1 || o->raster_cols < 1)
        return gridr__fail(GRIDR_EINVAL, "plan: source raster size %ld x %ld is not positive",
                           o->raster_rows, o->raster_cols);
    if (o->workers < 1 || o->prefetch < 0 || o->workers > INT32_MAX / 2 ||
        o->prefetch > INT32_MAX / 2)
        return gridr__fail(GRIDR_EINVAL, "plan: workers (%d) must be >= 1 and prefetch (%d) >= 0",
                           o->workers, o->prefetch);
    if (o->block < 1)
        return gridr__fail(GRIDR_EINVAL, "plan: block alignment must be >= 1 (got %ld)", o->block);
    if (o->min_windows < 0)
        return gridr__fail(GRIDR_EINVAL, "plan: min_windows must be >= 0 (got %ld)",
                           o->min_windows);
    if (o->win_rows < 0 || o->win_cols < 0)
        return gridr__fail(GRIDR_EINVAL, "plan: window size %ld x %ld is negative", o->win_rows,
                           o->win_cols);
    return 0;
}

static int resolve_out_shape(const gridr_plan_opts *o, ctx *c)
{
    long gr, gc;
    gridr_grid_out_shape(o->grid, &gr, &gc);
    c->out_rows = o->out_rows > 0 ? o->out_rows : gr;
    c->out_cols = o->out_cols > 0 ? o->out_cols : gc;
    if (o->out_rows < 0 || o->out_cols < 0 || c->out_rows < 1 || c->out_cols < 1)
        return gridr__fail(GRIDR_EINVAL, "plan: output size %ld x %ld is not positive", c->out_rows,
                           c->out_cols);
    if (c->out_rows > gr || c->out_cols > gc)
        return gridr__fail(GRIDR_EINVAL,
                           "plan: output size %ld x %ld exceeds what the grid covers (%ld x %ld)",
                           c->out_rows, c->out_cols, gr, gc);
    return 0;
}

static int resolve_grid(const gridr_plan_opts *o, ctx *c)
{
    const gridr_grid *g = o->grid;
    int rc = 0;
    if (o->load_nodes && g->kind != GRIDR_GRID_ARRAY)
        return gridr__fail(GRIDR_EINVAL, "plan: load_nodes needs an array grid");
    if (!o->load_nodes)
        rc = gridr_grid_check(g); /* a streamed grid is checked at each load */
    if (rc)
        return rc;
    c->grid = g;
    if (g->kind == GRIDR_GRID_AFFINE) {
        c->grid_dt = GRIDR_DT_UNKNOWN;
        c->grid_mask = 0;
        return 0;
    }
    c->grid_dt = o->grid_dtype != GRIDR_DT_UNKNOWN ? o->grid_dtype : g->nodes.dtype;
    if (c->grid_dt != GRIDR_DT_F32 && c->grid_dt != GRIDR_DT_F64)
        return gridr__fail(GRIDR_EINVAL, "plan: grid data type %s is not f32 or f64",
                           gridr_dtype_name(c->grid_dt));
    c->grid_mask = o->grid_mask < 0 ? g->mask.data != NULL : o->grid_mask != 0;
    return 0;
}

static int resolve_enc(const gridr_plan_opts *o, ctx *c)
{
    if (o->enc_tile_rows == 0)
        return 0;
    if (o->enc_tile_rows < 0 || o->enc_tile_cols < 1 || o->enc_tile_bytes == 0)
        return gridr__fail(GRIDR_EINVAL,
                           "plan: encoded tiles of %ld x %ld, %zu bytes are not valid",
                           o->enc_tile_rows, o->enc_tile_cols, o->enc_tile_bytes);
    c->enc_rows = o->enc_tile_rows;
    c->enc_cols = o->enc_tile_cols;
    c->enc_tile = o->enc_tile_bytes;
    c->enc_head = o->enc_head_bytes;
    return 0;
}

/* ---- streamed grid -------------------------------------------------------------------------- */

static int grow(void **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    void *nb = realloc(*buf, need);
    if (!nb)
        return gridr__fail(GRIDR_ENOMEM, "plan: no memory for %zu bytes of grid nodes", need);
    *buf = nb;
    *cap = need;
    return 0;
}

/* The nodes output window `out` needs: antialiased, those of its whole cells (issue 14). */
static int node_window(const ctx *c, const gridr_grid *g, gridr_rect out, gridr_rect *nw)
{
    return c->ropts.antialias ? gridr_grid_cell_window(g, out, nw)
                              : gridr_grid_node_window(g, out, nw);
}

/* Load the nodes of output rows [row0, row0 + rows) (every column) into the slice. */
static int load_rows(const ctx *c, long row0, long rows)
{
    stream *s = c->stream;
    gridr_rect nw, out = {row0, 0, rows, c->out_cols};
    int rc = node_window(c, c->grid, out, &nw);
    gridr_dtype dt = c->grid->nodes.dtype;
    size_t n = (size_t)nw.rows * (size_t)nw.cols;
    if (rc || (rc = grow(&s->buf, &s->cap, 2 * n * gridr_dtype_size(dt))) ||
        (c->grid_mask && (rc = grow(&s->mbuf, &s->mcap, n))))
        return rc;
    s->slice = *c->grid;
    s->slice.node_row0 = nw.row0;
    s->slice.node_col0 = nw.col0;
    s->slice.nodes = gridr_array_make(s->buf, dt, 2, nw.rows, nw.cols);
    memset(&s->slice.mask, 0, sizeof s->slice.mask);
    if (c->grid_mask)
        s->slice.mask = gridr_array_make(s->mbuf, GRIDR_DT_U8, 1, nw.rows, nw.cols);
    rc = s->load(s->user, nw, &s->slice.nodes, c->grid_mask ? &s->slice.mask : NULL);
    return rc ? rc : gridr_grid_check(&s->slice);
}

static int resolve(const gridr_plan_opts *o, ctx *c)
{
    int rc;
    memset(c, 0, sizeof *c);
    if (!o || !o->grid)
        return gridr__fail(GRIDR_EINVAL, "plan: no %s given", o ? "grid" : "options");
    if ((rc = check_counts(o)) || (rc = check_dtype(o->src_dtype, "source")) ||
        (rc = check_dtype(o->out_dtype, "output")) || (rc = resolve_grid(o, c)) ||
        (rc = resolve_out_shape(o, c)))
        return rc;
    if (o->resample)
        c->ropts = *o->resample;
    else
        gridr_resample_opts_init(&c->ropts);
    c->bands = o->bands;
    c->out_bands = o->bands + (o->out_extra_bands > 0 ? o->out_extra_bands : 0);
    c->src_dt = o->src_dtype;
    c->out_dt = o->out_dtype;
    c->raster_rows = o->raster_rows;
    c->raster_cols = o->raster_cols;
    c->src_mask = o->has_src_mask != 0;
    c->out_mask = o->has_out_mask != 0;
    c->budget = o->mem_budget;
    c->in_flight = o->workers + o->prefetch;
    c->block = o->block;
    c->min_windows = o->min_windows;
    c->margin = o->src_margin > 0 ? o->src_margin : 0;
    c->margin_at = o->src_margin_at;
    c->margin_user = o->src_margin_user;
    c->halo = (int)gridr_resample_halo(&c->ropts, o->grid); /* scaled filters: issue 14 */
    return c->halo < 0 ? c->halo : resolve_enc(o, c);
}

/* ---- one window ----------------------------------------------------------------------------- */

static gridr_rect clip_to_raster(gridr_rect s, long rows, long cols)
{
    gridr_rect r;
    long r1 = GRIDR__MIN(s.row0 + s.rows, rows), c1 = GRIDR__MIN(s.col0 + s.cols, cols);
    r.row0 = GRIDR__MAX(s.row0, 0);
    r.col0 = GRIDR__MAX(s.col0, 0);
    r.rows = r1 - r.row0;
    r.cols = c1 - r.col0;
    if (r.rows <= 0 || r.cols <= 0)
        r.rows = r.cols = 0;
    return r;
}

/* Encoded tiles: the header plus every tile the window touches. */
static int tiles_bytes(const ctx *c, const gridr_rect *o, size_t *out)
{
    long ty0 = o->row0 / c->enc_rows, tx0 = o->col0 / c->enc_cols;
    long ty1 = (o->row0 + o->rows - 1) / c->enc_rows, tx1 = (o->col0 + o->cols - 1) / c->enc_cols;
    size_t n = sat_mul((size_t)(ty1 - ty0 + 1), (size_t)(tx1 - tx0 + 1));
    *out = sat_add(c->enc_head, sat_mul(n, c->enc_tile));
    if (*out == SIZE_MAX)
        return gridr__fail(GRIDR_ERANGE, "plan: window at output (%ld, %ld): tiles overflow size_t",
                           o->row0, o->col0);
    return 0;
}

static int window_bytes(const ctx *c, gridr_plan_window *w)
{
    const gridr_rect *o = &w->out;
    size_t *b = w->bytes;
    int rc;
    if ((rc = array_bytes(c->out_dt, c->out_bands, o->rows, o->cols, "output", o,
                          &b[GRIDR_PLAN_OUT])))
        return rc;
    if (c->enc_rows && (rc = tiles_bytes(c, o, &b[GRIDR_PLAN_TILES])))
        return rc;
    if (c->out_mask && (rc = array_bytes(GRIDR_DT_U8, 1, o->rows, o->cols, "output mask", o,
                                         &b[GRIDR_PLAN_OUT_MASK])))
        return rc;
    if (w->empty)
        return 0;
    if ((rc = array_bytes(c->src_dt, c->bands, w->src.rows, w->src.cols, "source", o,
                          &b[GRIDR_PLAN_SRC])))
        return rc;
    if (c->src_mask && (rc = array_bytes(GRIDR_DT_U8, 1, w->src.rows, w->src.cols, "source mask", o,
                                         &b[GRIDR_PLAN_SRC_MASK])))
        return rc;
    if (c->grid->kind != GRIDR_GRID_ARRAY)
        return 0;
    if ((rc = array_bytes(c->grid_dt, 2, w->nodes.rows, w->nodes.cols, "grid", o,
                          &b[GRIDR_PLAN_GRID])))
        return rc;
    if (c->grid_mask)
        rc = array_bytes(GRIDR_DT_U8, 1, w->nodes.rows, w->nodes.cols, "grid mask", o,
                         &b[GRIDR_PLAN_GRID_MASK]);
    return rc;
}

/* The source window of `out` with the margin: the kernel's rule (halo, padding band, mirrors)
 * applied to the bounding box of its targets grown by the margin, through an affine grid of
 * unit steps spanning that box (the scaled filters' halo at scale 1). */
static int margin_window(const ctx *c, const gridr_grid *g, gridr_rect out, gridr_rect *src,
                         int *empty)
{
    double rmin, rmax, cmin, cmax, m = c->margin_at ? c->margin_at(c->margin_user, out) : c->margin;
    int any = 0;
    gridr_grid box;
    *empty = 1;
    memset(src, 0, sizeof *src);
    int rc = gridr_grid_metrics(g, out, &rmin, &rmax, &cmin, &cmax, &any);
    if (rc || !any)
        return rc;
    double a[6] = {rmin - m, 1, 0, cmin - m, 0, 1};
    gridr_rect r = {0, 0, (long)ceil(rmax - rmin + 2 * m) + 1, (long)ceil(cmax - cmin + 2 * m) + 1};
    rc = gridr_grid_init_affine(&box, a, r.rows, r.cols);
    return rc ? rc
              : gridr_resample_source_window(&c->ropts, &box, r, c->raster_rows, c->raster_cols,
                                             src, empty);
}

/* Fill window w for output rectangle out. */
static int eval_window(const ctx *c, gridr_rect out, gridr_plan_window *w)
{
    int rc, empty = 0;
    memset(w, 0, sizeof *w);
    const gridr_grid *g = c->stream ? &c->stream->slice : c->grid;
    w->out = out;
    if (g->kind == GRIDR_GRID_ARRAY && (rc = node_window(c, g, out, &w->nodes)))
        return rc;
    if (c->margin > 0 || c->margin_at)
        rc = margin_window(c, g, out, &w->src, &empty);
    else
        rc = gridr_resample_source_window(&c->ropts, g, out, c->raster_rows, c->raster_cols,
                                          &w->src, &empty);
    if (rc)
        return rc;
    w->empty = empty != 0;
    w->halo = c->halo;
    if (!w->empty && g->kind == GRIDR_GRID_ARRAY && c->ropts.antialias) {
        long h = gridr_resample_halo_window(&c->ropts, g, out); /* its cells' reduction */
        if (h < 0)
            return (int)h;
        w->halo = (int)GRIDR__MAX(h, c->halo);
    }
    if (w->empty)
        memset(&w->src, 0, sizeof w->src);
    else
        w->read = clip_to_raster(w->src, c->raster_rows, c->raster_cols);
    return window_bytes(c, w);
}

/* ---- one window size ------------------------------------------------------------------------ */

static void cand_add(cand *k, const gridr_plan_window *w)
{
    for (int a = 0; a < GRIDR_PLAN_NARRAYS; a++)
        k->max[a] = GRIDR__MAX(k->max[a], w->bytes[a]);
    k->empty += w->empty;
    k->max_halo = GRIDR__MAX(k->max_halo, w->halo);
    k->max_src_rows = GRIDR__MAX(k->max_src_rows, w->src.rows);
    k->max_src_cols = GRIDR__MAX(k->max_src_cols, w->src.cols);
    if (!w->empty) {
        k->max_node_rows = GRIDR__MAX(k->max_node_rows, w->nodes.rows);
        k->max_node_cols = GRIDR__MAX(k->max_node_cols, w->nodes.cols);
    }
}

static size_t cand_peak(const ctx *c, const cand *k)
{
    return sat_mul((size_t)c->in_flight, sum_bytes(k->max));
}

static long ceil_div(long a, long b)
{
    return a / b + (a % b != 0);
}

/* Number of windows of rows x cols, or ERANGE-style failure when there are too many. */
static int count_windows(const ctx *c, long rows, long cols, long *count)
{
    long nr = ceil_div(c->out_rows, rows), nc = ceil_div(c->out_cols, cols);
    if (nr > MAX_COUNT / nc)
        return gridr__fail(GRIDR_EINVAL,
                           "plan: windows of %ld x %ld cut the %ld x %ld output into more than "
                           "%ld windows; use larger windows",
                           rows, cols, c->out_rows, c->out_cols, MAX_COUNT);
    *count = nr * nc;
    return 0;
}

/* A window list that grows as windows are evaluated (never to the whole count up front: a
 * candidate found over the budget at its first windows costs only those). */
typedef struct store {
    gridr_plan_window **buf;
    long *cap;
} store;

/* Make room for window i of a candidate of `count` windows: double, at most to `count`. */
static int store_room(store *st, long i, long count)
{
    if (i < *st->cap)
        return 0;
    long cap = GRIDR__MIN(count, GRIDR__MAX(64, 2 * *st->cap));
    gridr_plan_window *nb = realloc(*st->buf, (size_t)cap * sizeof *nb);
    if (!nb)
        return gridr__fail(GRIDR_ENOMEM, "plan: no memory for %ld windows", cap);
    *st->buf = nb;
    *st->cap = cap;
    return 0;
}

/* Evaluate every window of size k->rows x k->cols (row-major), storing them in `st` (NULL: do
 * not store). With `early` set, stop as soon as the peak exceeds the budget: *fits = 0. */
static int eval_cand(const ctx *c, cand *k, store *st, int early, int *fits)
{
    long nc = ceil_div(c->out_cols, k->cols);
    gridr_plan_window tmp;
    int rc = count_windows(c, k->rows, k->cols, &k->count);
    *fits = 0;
    if (rc)
        return rc;
    for (long i = 0; i < k->count; i++) {
        if (st && (rc = store_room(st, i, k->count)))
            return rc;
        gridr_plan_window *w = st ? &(*st->buf)[i] : &tmp;
        gridr_rect out;
        out.row0 = (i / nc) * k->rows;
        out.col0 = (i % nc) * k->cols;
        out.rows = GRIDR__MIN(k->rows, c->out_rows - out.row0);
        out.cols = GRIDR__MIN(k->cols, c->out_cols - out.col0);
        if (c->stream && out.col0 == 0 && (rc = load_rows(c, out.row0, out.rows)))
            return rc;
        if ((rc = eval_window(c, out, w)))
            return rc;
        w->index = i;
        cand_add(k, w);
        if (early && c->budget && cand_peak(c, k) > c->budget)
            return 0;
    }
    *fits = !c->budget || cand_peak(c, k) <= c->budget;
    return 0;
}

/* ---- the budget search ---------------------------------------------------------------------- */

static long round_up(long v, long m)
{
    return ceil_div(v, m) * m;
}

/* Next smaller side: halve, staying a multiple of the block while above it; 0 when none or
 * when it would go below `floor`. */
static long halve(long s, long block, long floor)
{
    long h = s > block ? GRIDR__MAX(block, s / 2 / block * block) : s / 2;
    return h >= GRIDR__MAX(GRIDR_PLAN_MIN_WINDOW, floor) && h < s ? h : 0;
}

static long start_side(const ctx *c, long out)
{
    long s =
        c->block >= GRIDR_PLAN_MAX_WINDOW ? c->block : GRIDR_PLAN_MAX_WINDOW / c->block * c->block;
    return GRIDR__MIN(s, round_up(out, c->block));
}

/* Next candidate after (rows, cols): halve rows if rows >= cols, else cols (rows first, so the
 * wider shape comes first at equal area); 0 when neither can shrink (to `floor` or more).
 * Candidates that do not change the effective (clipped) window are skipped. */
static int next_cand(const ctx *c, long *rows, long *cols, long floor)
{
    for (;;) {
        long er = GRIDR__MIN(*rows, c->out_rows), ec = GRIDR__MIN(*cols, c->out_cols);
        long hr = halve(*rows, c->block, floor), hc = halve(*cols, c->block, floor);
        if (!hr && !hc)
            return 0;
        if (hr && (*rows >= *cols || !hc))
            *rows = hr;
        else
            *cols = hc;
        if (GRIDR__MIN(*rows, c->out_rows) != er || GRIDR__MIN(*cols, c->out_cols) != ec)
            return 1;
    }
}

/* The smallest window k does not fit. Its figures are those of its windows evaluated until
 * one went over the budget: a lower bound ("at least"), found without evaluating the millions
 * of windows a huge output may have. */
static int too_small(const ctx *c, const cand *k)
{
    char b1[32], b2[32], b3[32];
    return gridr__fail(GRIDR_EINVAL,
                       "memory budget %s is too small: one %ld x %ld window needs at least %s "
                       "x %d in flight = %s; raise the memory budget (--mem) or lower "
                       "workers/prefetch",
                       fmt_bytes(c->budget, b1, sizeof b1), k->rows, k->cols,
                       fmt_bytes(sum_bytes(k->max), b2, sizeof b2), c->in_flight,
                       fmt_bytes(cand_peak(c, k), b3, sizeof b3));
}

/* Evaluate candidate k into the window buffer, grown as its windows are evaluated. */
static int eval_stored(const ctx *c, cand *k, gridr_plan_window **buf, long *cap, int early,
                       int *fits)
{
    store st = {buf, cap};
    return eval_cand(c, k, &st, early, fits);
}

/* Would windows of rows x cols exceed MAX_COUNT? (The search then stops at the last size.) */
static int too_many(const ctx *c, long rows, long cols)
{
    return ceil_div(c->out_rows, rows) > MAX_COUNT / ceil_div(c->out_cols, cols);
}

/* A fitting candidate k with too few windows: the next size to try into (rows, cols), or 0 when
 * k is the answer (enough windows, or no side can shrink without going below the block). */
static int refine(const ctx *c, const cand *k, long *rows, long *cols)
{
    *rows = k->rows;
    *cols = k->cols;
    return k->count < c->min_windows && next_cand(c, rows, cols, c->block) &&
           !too_many(c, *rows, *cols);
}

static int search(const ctx *c, cand *k, gridr_plan_window **buf, long *cap)
{
    int rc, fits;
    k->rows = start_side(c, c->out_rows);
    k->cols = start_side(c, c->out_cols);
    for (;;) {
        cand t = {.rows = k->rows, .cols = k->cols};
        if ((rc = eval_stored(c, &t, buf, cap, 1, &fits)))
            return rc;
        *k = t;
        if (fits && !refine(c, &t, &k->rows, &k->cols))
            return 0;
        if (fits)
            continue;
        if (!next_cand(c, &k->rows, &k->cols, 0) || too_many(c, k->rows, k->cols)) {
            k->rows = t.rows;
            k->cols = t.cols;
            return too_small(c, k);
        }
    }
}

static int user_window(const ctx *c, const gridr_plan_opts *o, cand *k, gridr_plan_window **buf,
                       long *cap)
{
    char b1[32], b2[32], b3[32];
    int rc, fits;
    k->rows = o->win_rows > 0 ? o->win_rows : o->win_cols;
    k->cols = o->win_cols > 0 ? o->win_cols : o->win_rows;
    if ((rc = eval_stored(c, k, buf, cap, 1, &fits)))
        return rc;
    if (fits) /* else its figures are those of its windows until one went over: "at least" */
        return 0;
    return gridr__fail(
        GRIDR_EINVAL,
        "window size %ld x %ld needs at least %s x %d in flight = %s, over the memory "
        "budget %s; lower the window size (--tile) or raise the budget (--mem)",
        k->rows, k->cols, fmt_bytes(sum_bytes(k->max), b1, sizeof b1), c->in_flight,
        fmt_bytes(cand_peak(c, k), b2, sizeof b2), fmt_bytes(c->budget, b3, sizeof b3));
}

/* ---- public --------------------------------------------------------------------------------- */

static void fill_summary(const ctx *c, const cand *k, int user, gridr_plan_summary *s)
{
    s->out_rows = c->out_rows;
    s->out_cols = c->out_cols;
    s->bands = c->bands;
    s->src_dtype = c->src_dt;
    s->out_dtype = c->out_dt;
    s->grid_dtype = c->grid_dt;
    s->raster_rows = c->raster_rows;
    s->raster_cols = c->raster_cols;
    s->win_rows = k->rows;
    s->win_cols = k->cols;
    s->user_window = user;
    s->block = c->block;
    s->count = k->count;
    s->empty_count = k->empty;
    s->halo = GRIDR__MAX(c->halo, k->max_halo);
    s->in_flight = c->in_flight;
    memcpy(s->max_bytes, k->max, sizeof s->max_bytes);
    s->max_src_rows = k->max_src_rows;
    s->max_src_cols = k->max_src_cols;
    s->max_node_rows = k->max_node_rows;
    s->max_node_cols = k->max_node_cols;
    s->window_bytes = sum_bytes(k->max);
    s->peak_bytes = cand_peak(c, k);
    s->mem_budget = c->budget;
}

int gridr_plan_new(const gridr_plan_opts *o, gridr_plan **out)
{
    ctx c;
    cand k;
    stream st;
    gridr_plan_window *buf = NULL;
    long cap = 0;
    gridr_plan *p;
    int user, rc;
    *out = NULL;
    if ((rc = resolve(o, &c)))
        return rc;
    memset(&k, 0, sizeof k);
    memset(&st, 0, sizeof st);
    if (o->load_nodes) {
        st.load = o->load_nodes;
        st.user = o->load_user;
        c.stream = &st;
    }
    user = o->win_rows > 0 || o->win_cols > 0;
    rc = user ? user_window(&c, o, &k, &buf, &cap) : search(&c, &k, &buf, &cap);
    free(st.buf);
    free(st.mbuf);
    if (rc == 0 && !(p = calloc(1, sizeof *p)))
        rc = gridr__fail(GRIDR_ENOMEM, "plan: no memory for the plan");
    if (rc) {
        free(buf);
        return rc;
    }
    p->win = buf;
    fill_summary(&c, &k, user, &p->sum);
    *out = p;
    return 0;
}

void gridr_plan_free(gridr_plan *p)
{
    if (!p)
        return;
    free(p->win);
    free(p);
}

long gridr_plan_count(const gridr_plan *p)
{
    return p ? p->sum.count : 0;
}

const gridr_plan_window *gridr_plan_window_at(const gridr_plan *p, long i)
{
    if (!p || i < 0 || i >= p->sum.count)
        return NULL;
    return &p->win[i];
}

const gridr_plan_summary *gridr_plan_summary_get(const gridr_plan *p)
{
    return p ? &p->sum : NULL;
}

size_t gridr_plan_max_bytes(const gridr_plan *p, gridr_plan_array kind)
{
    if (!p || (int)kind < 0 || (int)kind >= GRIDR_PLAN_NARRAYS)
        return 0;
    return p->sum.max_bytes[kind];
}

size_t gridr_plan_peak_bytes(const gridr_plan *p)
{
    return p ? p->sum.peak_bytes : 0;
}

/* ---- dump ----------------------------------------------------------------------------------- */

static void dump_summary(const gridr_plan_summary *s, FILE *f)
{
    char b[32];
    fprintf(f, "plan: output %ld x %ld, %ld windows of %ld x %ld (%s, block %ld), %ld empty\n",
            s->out_rows, s->out_cols, s->count, s->win_rows, s->win_cols,
            s->user_window ? "given" : "from the budget", s->block, s->empty_count);
    fprintf(f, "plan: halo %d, largest source window %ld x %ld, largest node window %ld x %ld\n",
            s->halo, s->max_src_rows, s->max_src_cols, s->max_node_rows, s->max_node_cols);
    fprintf(f, "plan: per window max:");
    for (int a = 0; a < GRIDR_PLAN_NARRAYS; a++)
        if (s->max_bytes[a])
            fprintf(f, " %s %s,", array_names[a], fmt_bytes(s->max_bytes[a], b, sizeof b));
    fprintf(f, " total %s\n", fmt_bytes(s->window_bytes, b, sizeof b));
    fprintf(f, "plan: %d in flight: peak %s", s->in_flight, fmt_bytes(s->peak_bytes, b, sizeof b));
    if (s->mem_budget)
        fprintf(f, " of budget %s\n", fmt_bytes(s->mem_budget, b, sizeof b));
    else
        fprintf(f, " (no budget)\n");
}

static void dump_rect(FILE *f, const char *name, gridr_rect r)
{
    fprintf(f, " %s=%ld,%ld+%ldx%ld", name, r.row0, r.col0, r.rows, r.cols);
}

static void dump_window(const gridr_plan_window *w, FILE *f)
{
    fprintf(f, "window %ld", w->index);
    dump_rect(f, "out", w->out);
    if (w->empty) {
        fprintf(f, " empty\n");
        return;
    }
    dump_rect(f, "src", w->src);
    dump_rect(f, "read", w->read);
    if (w->nodes.rows > 0)
        dump_rect(f, "nodes", w->nodes);
    fprintf(f, " bytes=%zu\n", sum_bytes(w->bytes));
}

int gridr_plan_dump(const gridr_plan *p, FILE *f, int windows)
{
    if (!p || !f)
        return gridr__fail(GRIDR_EINVAL, "plan_dump: no %s given", p ? "stream" : "plan");
    dump_summary(&p->sum, f);
    for (long i = 0; windows && i < p->sum.count; i++)
        dump_window(&p->win[i], f);
    if (fflush(f) != 0 || ferror(f))
        return gridr__fail(GRIDR_EIO, "plan_dump: writing the plan failed");
    return 0;
}
