/* gridr: resampling through separable grids (zooms, axis-aligned affine grids) row by row. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/grid.h"

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resample_impl.h"

/* When the row targets depend on the output row only and the column targets on the column only,
 * every pixel of a row shares its row weights and every pixel of a column its column weights.
 * The window is then resampled as: per source row, the column dot products of the whole output
 * row (computed once and reused by the output rows that need that source row); per output row,
 * those combined with its row weights. The operations and their order are exactly those of the
 * generic pass 2 (column dot product from 0, then 0 + row weight times it, rows ascending), so
 * the bits are the same. Pixels whose box leaves the available rectangle, and rows with a NaN
 * (float sources), take the generic path. */

/* Axis tables of a window: per index the box start, kb weights (weight k of index x at
 * w[k * n + x]), and whether the pixel takes the unchecked path on that axis. */
typedef struct axis_tab {
    long n;
    int32_t *b;
    double *w;
    uint8_t *fast;
} axis_tab;

typedef struct sep_ctx {
    const gridr__rs_run *r;
    gridr__rs_sep_kernel k;
    axis_tab rows, cols;
    long jf0, jf1;  /* the fast columns, contiguous */
    long seg0, seg; /* converted sources: the row segment read (window columns) */
    int floatsrc;
} sep_ctx;

static int env_off(void)
{
    return !gridr__config()->separable;
}

static int eligible(const gridr__rs_run *r)
{
    const gridr_grid *g = r->g;
    if (r->wide.on && r->wide.kind == GRIDR_INTERP_MODE)
        return 0;
    return r->kb >= 2 && g->kind == GRIDR_GRID_AFFINE && g->affine[2] == 0 && g->affine[4] == 0 &&
           !r->s->map && r->ow.rows > 0 && r->ow.cols >= 8 && !env_off();
}

static void axis_free(axis_tab *t)
{
    free(t->b);
    free(t->w);
    free(t->fast);
    memset(t, 0, sizeof *t);
}

static int axis_alloc(axis_tab *t, long n, int kb)
{
    t->n = n;
    t->b = malloc((size_t)n * sizeof *t->b);
    t->w = malloc((size_t)n * (size_t)kb * sizeof *t->w);
    t->fast = malloc((size_t)n);
    if (t->b && t->w && t->fast)
        return 0;
    axis_free(t);
    return gridr__fail(GRIDR_ENOMEM, "resample: no memory for the axis tables of %ld pixels", n);
}

/* Pass 1 over targets t (the axis in question), the other axis held at `other`; copies the
 * axis's box starts and weights into tab. `rows`: t are row targets. */
static void axis_pass1(const sep_ctx *c, const double *t, double other, int rows, axis_tab *tab,
                       gridr__rs_work *w)
{
    const int kb = c->r->kb;
    double a[GRIDR__RS_CHUNK], o[GRIDR__RS_CHUNK];
    for (long x0 = 0; x0 < tab->n; x0 += GRIDR__RS_CHUNK) {
        long len = GRIDR__MIN(GRIDR__RS_CHUNK, tab->n - x0);
        for (long k = 0; k < GRIDR__RS_CHUNK; k++) {
            a[k] = k < len ? t[x0 + k] : 0;
            o[k] = other;
        }
        c->r->k.pass1(c->r->s, rows ? a : o, rows ? o : a, len, w);
        for (long k = 0; k < len; k++) {
            tab->b[x0 + k] = (int32_t)(rows ? w->br[k] : w->bc[k]);
            for (int q = 0; q < kb; q++)
                tab->w[q * tab->n + x0 + k] = rows ? w->wr[q][k] : w->wc[q][k];
        }
    }
}

/* Scaled filters: the axis's box starts and weights from gridr_interp_scaled_weights (the
 * generic path's very function), n taps padded with zero weights to kb. */
static void axis_wide(const sep_ctx *c, const double *t, int rows, axis_tab *tab)
{
    const gridr__rs_wide *k = &c->r->wide;
    const int kb = c->r->kb, n = rows ? k->nr : k->nc;
    const long org = rows ? c->r->s->org_r : c->r->s->org_c;
    double w[GRIDR_INTERP_MAX_SCALED + 1];
    for (long x = 0; x < tab->n; x++) {
        long k0 = gridr_interp_scaled_weights(k->kind, rows ? k->sr : k->sc, t[x],
                                              rows ? k->clip_r : k->clip_c, w);
        tab->b[x] = (int32_t)(k0 - org);
        for (int q = 0; q < kb; q++)
            tab->w[q * tab->n + x] = q < n ? w[q] : 0;
    }
}

/* The unchecked-path test of pass 1 on one axis: target usable, box in the available range. */
static void axis_fast(const double *t, double lo, double hi, long a0, long a1, int kb,
                      axis_tab *tab)
{
    for (long x = 0; x < tab->n; x++) {
        long b = tab->b[x];
        tab->fast[x] = t[x] >= lo && t[x] <= hi && b >= a0 && b <= a1 - kb;
    }
}

/* Row targets (one per window row) and column targets (those of the first row). */
static int targets(const gridr__rs_run *r, double **tr, double **tc)
{
    const long nr = r->ow.rows, nc = r->ow.cols;
    uint8_t gv[1];
    double dummy;
    *tr = malloc((size_t)nr * sizeof **tr);
    *tc = malloc((size_t)nc * sizeof **tc);
    uint8_t *gvc = malloc((size_t)nc);
    double *trc = malloc((size_t)nc * sizeof *trc);
    if (!*tr || !*tc || !gvc || !trc) {
        free(gvc);
        free(trc);
        return gridr__fail(GRIDR_ENOMEM, "resample: no memory for %ld + %ld targets", nr, nc);
    }
    gridr_grid_eval_row(r->g, r->ow.row0, r->ow.col0, nc, trc, *tc, gvc);
    for (long i = 0; i < nr; i++)
        gridr_grid_eval_row(r->g, r->ow.row0 + i, r->ow.col0, 1, *tr + i, &dummy, gv);
    free(gvc);
    free(trc);
    return 0;
}

/* The contiguous range of fast columns; 0 when there is none or it has holes. */
static int fast_range(sep_ctx *c)
{
    const axis_tab *t = &c->cols;
    long a = 0, b = t->n;
    while (a < b && !t->fast[a])
        a++;
    while (b > a && !t->fast[b - 1])
        b--;
    for (long x = a; x < b; x++) {
        if (!t->fast[x])
            return 0;
    }
    c->jf0 = a;
    c->jf1 = b;
    return b > a;
}

/* Source types other than f64 are converted row segment by row segment: the segment the fast
 * columns read, and box starts relative to it. */
static void segment(sep_ctx *c)
{
    long lo = c->cols.b[c->jf0], hi = lo;
    for (long j = c->jf0; j < c->jf1; j++) {
        lo = GRIDR__MIN(lo, (long)c->cols.b[j]);
        hi = GRIDR__MAX(hi, (long)c->cols.b[j]);
    }
    c->seg0 = lo;
    c->seg = hi + c->r->kb - lo;
    for (long j = c->jf0; j < c->jf1; j++)
        c->cols.b[j] -= (int32_t)lo;
}

/* Build both axis tables; 1 when some pixel can take the separable path, 0 when none. */
static int tables(sep_ctx *c)
{
    const gridr__rs_run *r = c->r;
    const gridr__rs_src *s = r->s;
    double *tr = NULL, *tc = NULL;
    gridr__rs_work *w = aligned_alloc(64, (sizeof *w + 63) & ~(size_t)63);
    int rc = w ? targets(r, &tr, &tc)
               : gridr__fail(GRIDR_ENOMEM, "resample: no memory for a work chunk");
    if (rc == 0)
        rc = axis_alloc(&c->rows, r->ow.rows, r->kb);
    if (rc == 0)
        rc = axis_alloc(&c->cols, r->ow.cols, r->kb);
    if (rc == 0 && r->wide.on) {
        axis_wide(c, tr, 1, &c->rows);
        axis_wide(c, tc, 0, &c->cols);
    } else if (rc == 0) {
        axis_pass1(c, tr, tc[0], 1, &c->rows, w);
        axis_pass1(c, tc, tr[0], 0, &c->cols, w);
    }
    if (rc == 0) {
        axis_fast(tr, s->tlo_r, s->thi_r, s->a_r0, s->a_r1, r->kb, &c->rows);
        axis_fast(tc, s->tlo_c, s->thi_c, s->a_c0, s->a_c1, r->kb, &c->cols);
        rc = fast_range(c);
    }
    if (rc == 1 && c->k.cvt)
        segment(c);
    free(w);
    free(tr);
    free(tc);
    return rc;
}

/* ---- the row loop ------------------------------------------------------------------------- */

/* Per thread: for each band kb + 1 cached source rows of column dot products, their tags
 * (window row, -1 empty), the band accumulators, and the generic path's scratch. */
typedef struct sep_thread {
    double *h;         /* bands x (kb + 1) x len */
    long *tag;         /* bands x (kb + 1) */
    double *acc;       /* bands x len */
    double *row;       /* one converted source row segment */
    char *scr;         /* generic scratch */
    const double **hp; /* kb row pointers and */
    double *wr;        /* kb row weights of the output row */
} sep_thread;

static size_t up64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static size_t thread_bytes(const sep_ctx *c, size_t *hb, size_t *ab)
{
    const size_t len = (size_t)(c->jf1 - c->jf0), nb = (size_t)c->r->s->bands;
    const size_t slots = nb * (size_t)(c->r->kb + 1);
    *hb = up64(slots * len * sizeof(double));
    *ab = up64(nb * len * sizeof(double)) + up64((size_t)c->seg * sizeof(double));
    return *hb + *ab + up64(slots * sizeof(long)) + c->r->per_thread +
           2 * up64((size_t)c->r->kb * sizeof(double));
}

static sep_thread thread_at(const sep_ctx *c, char *base)
{
    size_t hb, ab, tb = thread_bytes(c, &hb, &ab);
    const size_t slots = (size_t)c->r->s->bands * (size_t)(c->r->kb + 1);
    sep_thread t = {
        (double *)base, (long *)(base + hb + ab), (double *)(base + hb), NULL, NULL, NULL, NULL};
    t.row = (double *)(void *)((char *)t.acc + (ab - up64((size_t)c->seg * sizeof(double))));
    t.scr = base + tb - c->r->per_thread;
    t.wr = (double *)(void *)(t.scr - up64((size_t)c->r->kb * sizeof(double)));
    t.hp = (const double **)(void *)((char *)t.wr - up64((size_t)c->r->kb * sizeof(double)));
    for (size_t k = 0; k < slots; k++)
        t.tag[k] = -1;
    return t;
}

/* Column dot products of window row `row`, band b: cached, else computed into a slot no row of
 * [keep, keep + kb) uses. */
static const double *hrow_get(const sep_ctx *c, sep_thread *t, int b, long row, long keep)
{
    const gridr__rs_src *s = c->r->s;
    const int slots = c->r->kb + 1;
    const long len = c->jf1 - c->jf0;
    long *tag = t->tag + (size_t)b * (size_t)slots;
    int victim = 0;
    for (int k = 0; k < slots; k++) {
        if (tag[k] == row)
            return t->h + ((size_t)b * (size_t)slots + (size_t)k) * (size_t)len;
        if (tag[k] < keep || tag[k] >= keep + c->r->kb)
            victim = k;
    }
    double *h = t->h + ((size_t)b * (size_t)slots + (size_t)victim) * (size_t)len;
    const size_t es = gridr_dtype_size(s->dtype);
    const char *src = (const char *)s->data + (size_t)(b * s->bstride + row * s->rstride) * es;
    const double *q = (const double *)(const void *)src;
    if (c->k.cvt) {
        c->k.cvt(src + (size_t)c->seg0 * es, c->seg, t->row);
        q = t->row;
    }
    c->k.hrow(q, c->cols.b + c->jf0, c->cols.w + c->jf0, c->cols.n, c->r->kb, len, h);
    tag[victim] = row;
    return h;
}

static int has_nan(const double *a, long n)
{
    for (long j = 0; j < n; j++) {
        if (a[j] != a[j])
            return 1;
    }
    return 0;
}

/* Output row i's fast columns, every band, into t->acc (or the f64 output row); 0 when a NaN
 * sends the row to the generic path. */
static int sep_row(const sep_ctx *c, sep_thread *t, long i)
{
    const gridr__rs_run *r = c->r;
    const long len = c->jf1 - c->jf0, br = c->rows.b[i];
    const double **h = t->hp;
    double *wr = t->wr;
    for (int k = 0; k < r->kb; k++)
        wr[k] = c->rows.w[k * c->rows.n + i];
    for (int b = 0; b < r->s->bands; b++) {
        for (int k = 0; k < r->kb; k++)
            h[k] = hrow_get(c, t, b, br + k, br);
        double *acc = r->direct ? gridr_array_at(r->out, 0, i, c->jf0) : t->acc + b * len;
        c->k.vrow(h, wr, r->kb, len, acc);
        if (c->floatsrc && has_nan(acc, len))
            return 0;
    }
    return 1;
}

static void store_row(const sep_ctx *c, const sep_thread *t, long i)
{
    const gridr__rs_run *r = c->r;
    const long len = c->jf1 - c->jf0;
    for (int b = 0; !r->direct && b < r->out->bands; b++)
        c->k.store(gridr_array_at(r->out, b, i, c->jf0), r->out->dtype, t->acc + b * len, len);
    if (r->om && r->om->data)
        memset(gridr_array_at(r->om, 0, i, c->jf0), 1, (size_t)len);
}

static void one_row(const sep_ctx *c, sep_thread *t, long i)
{
    const gridr__rs_run *r = c->r;
    if (!c->rows.fast[i]) {
        gridr__rs_run_cols(r, i, 0, r->ow.cols, t->scr);
        return;
    }
    if (c->jf0 > 0)
        gridr__rs_run_cols(r, i, 0, c->jf0, t->scr);
    if (c->jf1 < r->ow.cols)
        gridr__rs_run_cols(r, i, c->jf1, r->ow.cols, t->scr);
    if (sep_row(c, t, i))
        store_row(c, t, i);
    else
        gridr__rs_run_cols(r, i, c->jf0, c->jf1, t->scr);
}

/* Contiguous blocks of rows per thread, so that consecutive rows reuse cached source rows. */
static void run_threads(const sep_ctx *c, char *scratch, size_t per, int nt)
{
    const long rows = c->r->ow.rows;
#pragma omp parallel num_threads(nt)
    {
        int id = omp_get_thread_num(), n = omp_get_num_threads();
        sep_thread t = thread_at(c, scratch + per * (size_t)id);
        long a = rows * id / n, b = rows * (id + 1) / n;
        for (long i = a; i < b; i++)
            one_row(c, &t, i);
    }
}

int gridr__rs_run_separable(const gridr__rs_run *r, int threads)
{
    if (!eligible(r))
        return 0;
    sep_ctx c = {.r = r};
    c.floatsrc = r->s->dtype == GRIDR_DT_F32 || r->s->dtype == GRIDR_DT_F64;
    if (gridr__rs_get_sep(r->s->dtype, r->kb, &c.k) != 0)
        return 0;
    int rc = tables(&c);
    if (rc == 1) {
        size_t hb, ab, per = (thread_bytes(&c, &hb, &ab) + 63) & ~(size_t)63;
        char *scratch = aligned_alloc(64, per * (size_t)threads);
        if (!scratch)
            rc = gridr__fail(GRIDR_ENOMEM, "resample: no memory for %d row caches of %zu bytes",
                             threads, per);
        else
            run_threads(&c, scratch, per, threads);
        free(scratch);
    }
    axis_free(&c.rows);
    axis_free(&c.cols);
    return rc;
}
