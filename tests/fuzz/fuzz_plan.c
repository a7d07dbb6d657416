/* gridr fuzz target: the input decoded into plan options (sizes, bands, dtypes, windows, budget,
 * kernel, on a zoom or an affine grid), unclamped, through gridr_plan_new: its checks, not the
 * decoder's, must keep every size in range. The plan's windows are then walked and freed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gridr/gridr.h"

/* The input as a stream of fields; past its end every field reads 0. */
typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t rd_bytes(reader *r, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++) {
        v = v << 8 | (r->n ? *r->p : 0);
        if (r->n) {
            r->p++;
            r->n--;
        }
    }
    return v;
}

/* An integer of any width: a tag byte says small (0..127), 16, 32 or 64 bits (signed). */
static int64_t rd_int(reader *r)
{
    uint64_t tag = rd_bytes(r, 1);
    if (tag < 0x80)
        return (int64_t)tag;
    if (tag < 0xc0)
        return (int64_t)rd_bytes(r, 2);
    if (tag < 0xf0)
        return (int64_t)rd_bytes(r, 4);
    uint64_t u = rd_bytes(r, 8);
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A double: a tag byte below 0x80 gives (tag + 1) / 16, else 8 bytes of any double (NaN, inf). */
static double rd_double(reader *r)
{
    uint64_t tag = rd_bytes(r, 1);
    if (tag < 0x80)
        return (double)(tag + 1) / 16.0;
    uint64_t u = rd_bytes(r, 8);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static const gridr_interp_kind kernels[] = {
    GRIDR_INTERP_NEAREST,  GRIDR_INTERP_LINEAR,    GRIDR_INTERP_CUBIC,
    GRIDR_INTERP_BSPLINE3, GRIDR_INTERP_BSPLINE5,  GRIDR_INTERP_BSPLINE7,
    GRIDR_INTERP_BSPLINE9, GRIDR_INTERP_BSPLINE11, (gridr_interp_kind)4};

/* Everything a plan reports stays inside what it was asked for. */
static void check_plan(const gridr_plan *p)
{
    const gridr_plan_summary *s = gridr_plan_summary_get(p);
    long n = gridr_plan_count(p);
    if (!s || n < 1 || n != s->count || s->win_rows < 1 || s->win_cols < 1)
        abort();
    for (long i = 0; i < n; i++) {
        const gridr_plan_window *w = gridr_plan_window_at(p, i);
        if (!w || w->index != i || w->out.rows < 1 || w->out.cols < 1 || w->out.row0 < 0 ||
            w->out.col0 < 0 || w->out.row0 + w->out.rows > s->out_rows ||
            w->out.col0 + w->out.cols > s->out_cols)
            abort();
        for (int a = 0; a < GRIDR_PLAN_NARRAYS; a++)
            if (w->bytes[a] > s->max_bytes[a])
                abort();
    }
    if (gridr_plan_window_at(p, n) != NULL || gridr_plan_window_at(p, -1) != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    uint64_t flags = rd_bytes(&r, 1);
    gridr_grid g;
    int rc;
    if (flags & 1) {
        double a[6];
        for (int i = 0; i < 6; i++)
            a[i] = rd_double(&r);
        long rows = (long)rd_int(&r), cols = (long)rd_int(&r);
        rc = gridr_grid_init_affine(&g, a, rows, cols);
    } else {
        double fy = rd_double(&r), fx = rd_double(&r);
        long rows = (long)rd_int(&r), cols = (long)rd_int(&r);
        rc = gridr_grid_init_zoom(&g, fy, fx, rows, cols);
    }
    if (rc) {
        if (getenv("GRIDR_FUZZ_DEBUG"))
            fprintf(stderr, "grid: %s\n", gridr_last_error());
        gridr_clear_error();
        return 0;
    }
    gridr_resample_opts ro;
    gridr_resample_opts_init(&ro);
    ro.interp = kernels[rd_bytes(&r, 1) % (sizeof kernels / sizeof *kernels)];
    ro.boundary = (gridr_boundary)(rd_bytes(&r, 1) % 7);
    ro.trust_padding = (int)(rd_bytes(&r, 1) & 1);
    if (flags & 2)
        ro.bspline_eps = rd_double(&r);
    if (flags & 4)
        ro.mask_influence = rd_double(&r);
    gridr_plan_opts o;
    gridr_plan_opts_init(&o);
    o.grid = &g;
    o.resample = &ro;
    o.raster_rows = (long)rd_int(&r);
    o.raster_cols = (long)rd_int(&r);
    o.bands = (int)rd_int(&r);
    o.src_dtype = (gridr_dtype)(rd_bytes(&r, 1) % (GRIDR_DT_COUNT + 1));
    o.out_dtype = (gridr_dtype)(rd_bytes(&r, 1) % (GRIDR_DT_COUNT + 1));
    o.out_rows = (long)rd_int(&r);
    o.out_cols = (long)rd_int(&r);
    o.mem_budget = (size_t)rd_int(&r) << (rd_bytes(&r, 1) % 48);
    o.workers = (int)rd_int(&r);
    o.prefetch = (int)rd_int(&r);
    o.win_rows = (long)rd_int(&r);
    o.win_cols = (long)rd_int(&r);
    if (flags & 8)
        o.block = (long)rd_int(&r);
    o.has_src_mask = (int)(flags >> 4 & 1);
    o.has_out_mask = (int)(flags >> 5 & 1);
    if (flags & 0x40) {
        o.enc_tile_rows = (long)rd_int(&r);
        o.enc_tile_cols = (long)rd_int(&r);
        o.enc_tile_bytes = (size_t)rd_int(&r);
        o.enc_head_bytes = (size_t)rd_int(&r);
    }
    if (flags & 0x80)
        o.min_windows = (long)rd_int(&r);
    gridr_plan *p = NULL;
    rc = gridr_plan_new(&o, &p);
    if (rc == 0) {
        if (!p)
            abort();
        check_plan(p);
    } else if (p || rc > 0 || !*gridr_last_error()) {
        abort(); /* a failure returns no plan and says why */
    }
    if (getenv("GRIDR_FUZZ_DEBUG")) /* what became of the input */
        fprintf(stderr, "plan: %s\n", rc ? gridr_last_error() : "ok");
    gridr_plan_free(p);
    gridr_clear_error();
    return 0;
}
