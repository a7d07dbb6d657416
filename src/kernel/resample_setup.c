/* gridr: resample setup: availability rule, boundary conditions, masks, B-spline coefficients. */
#include "base/internal.h"
#include "gridr/interp.h"
#include "gridr/resample.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "resample_impl.h"

/* ---- kernel facts ------------------------------------------------------------------------- */

/* floor(d) of the B-spline mask dilation (0 without dilation). */
static long dilation(const gridr_resample_opts *o)
{
    if (!gridr_interp_is_bspline(o->interp) || !(o->mask_influence < 1))
        return 0;
    double d = gridr_bspline_mask_radius((int)o->interp, o->mask_influence);
    return isfinite(d) && d < 1e6 ? (long)floor(d) : 1000000;
}

long gridr__rs_halo(const gridr_resample_opts *o)
{
    long h = gridr_interp_halo(o->interp, o->bspline_eps);
    if (gridr_interp_is_bspline(o->interp))
        h = GRIDR__MAX(h, dilation(o) + (long)o->interp / 2);
    return h;
}

int gridr__rs_mirror_bc(const gridr_resample_opts *o)
{
    if (o->boundary == GRIDR_BC_NONE || o->boundary == GRIDR_BC_CONSTANT)
        return 0;
    return o->trust_padding || gridr_interp_is_bspline(o->interp);
}

static long pmod(long a, long p)
{
    long m = a % p;
    return m < 0 ? m + p : m;
}

/* a mod p in [0, p) for a period p up to 2 x LONG_MAX (a mirror's period on an axis of more
 * than LONG_MAX / 2 samples overflows a long). */
static unsigned long upmod(long a, unsigned long p)
{
    if (a >= 0)
        return (unsigned long)a % p;
    unsigned long m = ((unsigned long)(-(a + 1)) + 1) % p; /* |a| % p, LONG_MIN included */
    return m ? p - m : 0;
}

long gridr__rs_bc_map(gridr_boundary bc, long r, long n)
{
    unsigned long m, p;
    switch (bc) {
    case GRIDR_BC_EDGE:
        return r < 0 ? 0 : (r >= n ? n - 1 : r);
    case GRIDR_BC_REFLECT:
        if (n == 1)
            return 0;
        p = 2 * (unsigned long)(n - 1);
        m = upmod(r, p);
        return m >= (unsigned long)n ? (long)(p - m) : (long)m;
    case GRIDR_BC_SYMMETRIC:
        p = 2 * (unsigned long)n;
        m = upmod(r, p);
        return m >= (unsigned long)n ? (long)(p - 1 - m) : (long)m;
    case GRIDR_BC_WRAP:
        return pmod(r, n);
    default:
        return r;
    }
}

/* ---- per-axis availability ---------------------------------------------------------------- */

enum { AX_NONE = 0, AX_FILLED = 1, AX_VALID = 2 };

/* For window index i (raster index w0 + i) of an axis of n samples: AX_FILLED if the sample
 * exists (-halo <= r < n + halo) and has a value (inside the raster, constant BC, or a mirror BC
 * whose source is in the window; with BC none, padded samples exist with value 0 for the
 * B-spline prefilter), AX_VALID too if it counts as valid (inside, or padding trusted). */
static void axis_flags(const gridr__rs_setup *st, long w0, long len, long n, uint8_t *f)
{
    const gridr_resample_opts *o = st->o;
    int trusted = o->boundary != GRIDR_BC_NONE && o->trust_padding;
    for (long i = 0; i < len; i++) {
        long r = w0 + i;
        int has = 0;
        if (r < -st->halo || r >= n + st->halo)
            f[i] = AX_NONE;
        else if (r >= 0 && r < n)
            f[i] = AX_FILLED | AX_VALID;
        else {
            if (o->boundary == GRIDR_BC_NONE || o->boundary == GRIDR_BC_CONSTANT)
                has = 1;
            else {
                long m = gridr__rs_bc_map(o->boundary, r, n);
                has = m >= w0 && m < w0 + len;
            }
            f[i] = (uint8_t)((has ? AX_FILLED : 0) | (has && trusted ? AX_VALID : 0));
        }
    }
}

/* The single run of `bit` in f[0..len) into [a0, a1); -1 when there are several. */
static int single_run(const uint8_t *f, long len, uint8_t bit, long *a0, long *a1)
{
    long i = 0;
    while (i < len && !(f[i] & bit))
        i++;
    *a0 = i;
    while (i < len && (f[i] & bit))
        i++;
    *a1 = i;
    while (i < len && !(f[i] & bit))
        i++;
    if (*a0 == len)
        *a0 = *a1 = 0;
    return i == len ? 0 : -1;
}

/* Window index whose value a padded window index takes (mirror BCs), or the index itself. */
static long mirror_index(const gridr__rs_setup *st, long i, long w0, long n)
{
    long r = w0 + i;
    if (r >= 0 && r < n)
        return i;
    return gridr__rs_bc_map(st->o->boundary, r, n) - w0;
}

/* ---- direct kernels: boundary fill and availability map ----------------------------------- */

/* In-raster part [j0, j1) of the window's columns. */
static void raster_cols(const gridr_source *src, long *j0, long *j1)
{
    *j0 = GRIDR__MIN(GRIDR__MAX(-src->col0, 0L), src->data.cols);
    *j1 = GRIDR__MAX(GRIDR__MIN(src->raster_cols - src->col0, src->data.cols), *j0);
}

/* Write the boundary condition's value into every valid padded sample of the window. */
static void fill_padding(gridr__rs_setup *st)
{
    const gridr_source *src = st->src;
    const gridr_array *a = &src->data;
    const gridr_resample_opts *o = st->o;
    const size_t es = gridr_dtype_size(a->dtype);
    unsigned char cval[8];
    gridr_dtype_set(cval, a->dtype, 0, o->boundary_value);
    for (long i = 0; i < a->rows; i++) {
        long r = src->row0 + i;
        int row_in = r >= 0 && r < src->raster_rows;
        if (!(st->ax_r[i] & AX_VALID))
            continue;
        long mi = mirror_index(st, i, src->row0, src->raster_rows);
        for (long j = 0; j < a->cols; j++) {
            long c = src->col0 + j;
            if (!(st->ax_c[j] & AX_VALID) || (row_in && c >= 0 && c < src->raster_cols))
                continue;
            long mj = mirror_index(st, j, src->col0, src->raster_cols);
            for (int b = 0; b < a->bands; b++) {
                void *dst = gridr_array_at(a, b, i, j);
                if (o->boundary == GRIDR_BC_CONSTANT)
                    memcpy(dst, cval, es);
                else
                    memcpy(dst, gridr_array_at(a, b, mi, mj), es);
            }
        }
    }
}

static int is_nodata(const gridr_resample_opts *o, double v)
{
    return o->has_src_nodata && (v == o->src_nodata || (o->src_nodata != o->src_nodata && v != v));
}

/* No band of sample (i, j) equals the source nodata (NaN nodata matches NaN). */
static int not_nodata(const gridr__rs_setup *st, long i, long j)
{
    const gridr_array *a = &st->src->data;
    size_t off = (size_t)i * (size_t)a->row_stride + (size_t)j;
    for (int b = 0; b < a->bands; b++) {
        if (is_nodata(st->o,
                      gridr_dtype_get(a->data, a->dtype, off + (size_t)b * (size_t)a->band_stride)))
            return 0;
    }
    return 1;
}

/* Validity of window sample (i, j): the availability rule, then the source mask (at the mirror
 * for padded samples of a mirror BC; padded constant samples are valid) and the source nodata. */
static uint8_t sample_ok(const gridr__rs_setup *st, long i, long j)
{
    const gridr_source *src = st->src;
    if (!(st->ax_r[i] & st->ax_c[j] & AX_VALID))
        return 0;
    long mi = mirror_index(st, i, src->row0, src->raster_rows);
    long mj = mirror_index(st, j, src->col0, src->raster_cols);
    int padded = mi != i || mj != j ||
                 (st->o->boundary == GRIDR_BC_CONSTANT &&
                  (src->row0 + i < 0 || src->row0 + i >= src->raster_rows || src->col0 + j < 0 ||
                   src->col0 + j >= src->raster_cols));
    if (padded && st->o->boundary == GRIDR_BC_CONSTANT)
        return 1;
    if (src->mask.data && !((const uint8_t *)src->mask.data)[mi * src->mask.row_stride + mj])
        return 0;
    return st->o->has_src_nodata ? (uint8_t)not_nodata(st, mi, mj) : 1;
}

/* Prefix sums of the zeros of map (rows x cols) for the O(1) "whole box valid" test. */
static int build_integral(gridr__rs_setup *st, const uint8_t *map, long rows, long cols)
{
    st->integ = malloc((size_t)(rows + 1) * (size_t)(cols + 1) * sizeof *st->integ);
    if (!st->integ)
        return gridr__fail(GRIDR_ENOMEM, "resample: no memory for a %ldx%ld availability map", rows,
                           cols);
    uint32_t *q = st->integ;
    memset(q, 0, (size_t)(cols + 1) * sizeof *q);
    for (long i = 0; i < rows; i++) {
        uint32_t run = 0;
        uint32_t *prev = q + i * (cols + 1), *cur = prev + cols + 1;
        cur[0] = 0;
        for (long j = 0; j < cols; j++) {
            run += !map[i * cols + j];
            cur[j + 1] = prev[j + 1] + run;
        }
    }
    st->s.map = map;
    st->s.integ = q;
    st->s.a_r0 = st->s.a_c0 = 0;
    st->s.a_r1 = rows;
    st->s.a_c1 = cols;
    return 0;
}

#define NODATA_ROW(T, FLOATSRC)                                                                    \
    do {                                                                                           \
        const T *q = (const T *)p;                                                                 \
        for (long j = 0; j < n; j++) {                                                             \
            double v = (double)q[j];                                                               \
            m[j] &= (uint8_t)(!(v == nd || (FLOATSRC && nan_nd && v != v)));                       \
        }                                                                                          \
    } while (0)

/* m[j] = 0 where sample j of a row of type dt equals the nodata value (one switch per row). */
static void nodata_row(const void *p, gridr_dtype dt, long n, double nd, uint8_t *m)
{
    const int nan_nd = nd != nd;
    switch (dt) {
    case GRIDR_DT_U8:
        NODATA_ROW(uint8_t, 0);
        break;
    case GRIDR_DT_U16:
        NODATA_ROW(uint16_t, 0);
        break;
    case GRIDR_DT_I16:
        NODATA_ROW(int16_t, 0);
        break;
    case GRIDR_DT_U32:
        NODATA_ROW(uint32_t, 0);
        break;
    case GRIDR_DT_I32:
        NODATA_ROW(int32_t, 0);
        break;
    case GRIDR_DT_F32:
        NODATA_ROW(float, 1);
        break;
    default:
        NODATA_ROW(double, 1);
        break;
    }
}

/* Row i of the sample map: raster samples by rows of typed loops, padded ones one by one. */
static void map_row(const gridr__rs_setup *st, long i, long j0, long j1, uint8_t *m)
{
    const gridr_source *src = st->src;
    const gridr_array *a = &src->data;
    long r = src->row0 + i;
    if (r < 0 || r >= src->raster_rows || j1 <= j0) {
        for (long j = 0; j < a->cols; j++)
            m[j] = sample_ok(st, i, j);
        return;
    }
    for (long j = 0; j < j0; j++)
        m[j] = sample_ok(st, i, j);
    for (long j = j1; j < a->cols; j++)
        m[j] = sample_ok(st, i, j);
    const uint8_t *mk =
        src->mask.data ? (const uint8_t *)src->mask.data + i * src->mask.row_stride : NULL;
    for (long j = j0; j < j1; j++)
        m[j] = (uint8_t)(mk ? mk[j] != 0 : 1);
    if (st->o->has_src_nodata)
        for (int b = 0; b < a->bands; b++)
            nodata_row(gridr_array_at(a, b, i, j0), a->dtype, j1 - j0, st->o->src_nodata, m + j0);
}

static int setup_threads(const gridr__rs_setup *st, int threads);

/* The sample validity map of the window (NULL in *map when every sample is valid). */
static int sample_map(gridr__rs_setup *st, uint8_t **map)
{
    const gridr_array *a = &st->src->data;
    long r0, r1, c0, c1, j0, j1;
    *map = NULL;
    int runs = single_run(st->ax_r, a->rows, AX_VALID, &r0, &r1) |
               single_run(st->ax_c, a->cols, AX_VALID, &c0, &c1);
    if (runs == 0 && r0 == 0 && r1 == a->rows && c0 == 0 && c1 == a->cols && !st->src->mask.data &&
        !st->o->has_src_nodata)
        return 0;
    *map = malloc((size_t)a->rows * (size_t)a->cols + 1);
    if (!*map)
        return gridr__fail(GRIDR_ENOMEM, "resample: no memory for a %ldx%ld mask", a->rows,
                           a->cols);
    raster_cols(st->src, &j0, &j1);
    uint8_t *mp = *map;
#pragma omp parallel for schedule(static) num_threads(setup_threads(st, st->threads))
    for (long i = 0; i < a->rows; i++)
        map_row(st, i, j0, j1, mp + i * a->cols);
    return 0;
}

static void init_src(gridr__rs_setup *st, const void *data, gridr_dtype dt, long bstride,
                     long rstride)
{
    const gridr_source *src = st->src;
    const gridr_array *a = &src->data;
    gridr__rs_src *s = &st->s;
    int kn = gridr_interp_taps(st->o->interp);
    s->data = data;
    s->dtype = dt;
    s->bands = a->bands;
    s->bstride = bstride;
    s->rstride = rstride;
    s->rows = a->rows;
    s->cols = a->cols;
    s->org_r = src->row0;
    s->org_c = src->col0;
    s->tlo_r = (double)(src->row0 - kn);
    s->thi_r = (double)(src->row0 + a->rows + kn);
    s->tlo_c = (double)(src->col0 - kn);
    s->thi_c = (double)(src->col0 + a->cols + kn);
}

static int setup_direct(gridr__rs_setup *st)
{
    const gridr_array *a = &st->src->data;
    gridr__rs_src *s = &st->s;
    if (st->o->boundary != GRIDR_BC_NONE && st->o->trust_padding)
        fill_padding(st);
    init_src(st, a->data, a->dtype, a->band_stride, a->row_stride);
    int runs = single_run(st->ax_r, a->rows, AX_VALID, &s->a_r0, &s->a_r1) |
               single_run(st->ax_c, a->cols, AX_VALID, &s->a_c0, &s->a_c1);
    if (runs == 0 && !st->src->mask.data && !st->o->has_src_nodata)
        return 0;
    int rc = sample_map(st, &st->map);
    if (rc == 0 && st->map)
        rc = build_integral(st, st->map, a->rows, a->cols);
    return rc;
}

/* ---- B-splines ---------------------------------------------------------------------------- */

/* A sample's value in the prefilter input: nodata and non-finite samples become 0 (a value that
 * depends only on the position, so coefficients stay window-independent). */
static double clean(const gridr_resample_opts *o, double v)
{
    return is_nodata(o, v) || !isfinite(v) ? 0.0 : v;
}

#define CONVERT_ROW(T, FLOATSRC)                                                                   \
    do {                                                                                           \
        const T *q = (const T *)p;                                                                 \
        for (long j = 0; j < n; j++) {                                                             \
            double v = (double)q[j];                                                               \
            int bad = (o->has_src_nodata && v == nd) || (FLOATSRC && v - v != 0);                  \
            x[j] = bad ? 0.0 : v;                                                                  \
        }                                                                                          \
    } while (0)

/* n samples of type dt -> cleaned doubles (one switch per row, not per sample). */
static void convert_row(const void *p, gridr_dtype dt, long n, const gridr_resample_opts *o,
                        double *x)
{
    const double nd = o->src_nodata;
    switch (dt) {
    case GRIDR_DT_U8:
        CONVERT_ROW(uint8_t, 0);
        break;
    case GRIDR_DT_U16:
        CONVERT_ROW(uint16_t, 0);
        break;
    case GRIDR_DT_I16:
        CONVERT_ROW(int16_t, 0);
        break;
    case GRIDR_DT_U32:
        CONVERT_ROW(uint32_t, 0);
        break;
    case GRIDR_DT_I32:
        CONVERT_ROW(int32_t, 0);
        break;
    case GRIDR_DT_F32:
        CONVERT_ROW(float, 1);
        break;
    default:
        CONVERT_ROW(double, 1);
        break;
    }
}

/* The prefilter input value of a padded (or non-existent) sample of band b. */
static double pad_value(const gridr__rs_setup *st, int b, long i, long j)
{
    const gridr_source *src = st->src;
    const gridr_resample_opts *o = st->o;
    if (!(st->ax_r[i] & st->ax_c[j] & AX_FILLED) || o->boundary == GRIDR_BC_NONE)
        return 0;
    if (o->boundary == GRIDR_BC_CONSTANT)
        return clean(o, o->boundary_value);
    long mi = mirror_index(st, i, src->row0, src->raster_rows);
    long mj = mirror_index(st, j, src->col0, src->raster_cols);
    return clean(
        o, gridr_dtype_get(gridr_array_at(&src->data, b, mi, 0), src->data.dtype, (size_t)mj));
}

/* The f64 prefilter input of band b (row stride xs): the cleaned raster samples (when `inside`)
 * and the boundary fill in the padding (0 for BC none and for samples that do not exist). */
static void fill_row(const gridr__rs_setup *st, int b, long i, double *xr, int inside)
{
    const gridr_source *src = st->src;
    const gridr_array *a = &src->data;
    long r = src->row0 + i, j0, j1;
    raster_cols(src, &j0, &j1);
    if (r >= 0 && r < src->raster_rows && j1 > j0) {
        if (inside)
            convert_row(gridr_array_at(a, b, i, j0), a->dtype, j1 - j0, st->o, xr + j0);
        for (long j = 0; j < j0; j++)
            xr[j] = pad_value(st, b, i, j);
        for (long j = j1; j < a->cols; j++)
            xr[j] = pad_value(st, b, i, j);
    } else {
        for (long j = 0; j < a->cols; j++)
            xr[j] = pad_value(st, b, i, j);
    }
}

/* Threads for a pass over the window (one for small windows). */
static int setup_threads(const gridr__rs_setup *st, int threads)
{
    const gridr_array *a = &st->src->data;
    if (a->rows * a->cols * a->bands < GRIDR__RS_MIN_PARALLEL)
        return 1;
    return threads > 0 ? threads : omp_get_max_threads();
}

/* The f64 prefilter input (band stride xbs, row stride xrs): the cleaned raster samples (when
 * `inside`) and the boundary fill in the padding (0 for BC none and for samples that do not
 * exist). Rows over the OpenMP threads (independent writes). */
static void fill_input(const gridr__rs_setup *st, double *x, long xbs, long xrs, int inside,
                       int threads)
{
    const gridr_array *a = &st->src->data;
    const long rows = a->rows, n = rows * a->bands;
#pragma omp parallel for schedule(static) num_threads(setup_threads(st, threads))
    for (long k = 0; k < n; k++)
        fill_row(st, (int)(k / rows), k % rows, x + (k / rows) * xbs + (k % rows) * xrs, inside);
}

/* An f64 window whose raster samples are all finite and not nodata can be prefiltered in place
 * (only its padding band is written), saving a copy. */
static int clean_f64(const gridr__rs_setup *st, int threads)
{
    const gridr_source *src = st->src;
    const gridr_array *a = &src->data;
    const double nd = st->o->src_nodata;
    const int hn = st->o->has_src_nodata;
    const long rows = a->rows, n = rows * a->bands;
    long j0, j1, bad = 0;
    if (a->dtype != GRIDR_DT_F64)
        return 0;
    raster_cols(src, &j0, &j1);
#pragma omp parallel for schedule(static) num_threads(setup_threads(st, threads)) reduction(+ : bad)
    for (long k = 0; k < n; k++) {
        long i = k % rows, r = src->row0 + i;
        if (r < 0 || r >= src->raster_rows)
            continue;
        const double *p = gridr_array_at(a, (int)(k / rows), i, 0);
        for (long j = j0; j < j1; j++)
            bad += (p[j] - p[j] != 0) | (hn && p[j] == nd);
    }
    return bad == 0;
}

/* Prefilter every band, (band, row block) pairs split over the OpenMP threads (fixed
 * per-coefficient sums: identical for any thread count); small windows stay on one thread. */
static int prefilter_all(gridr__rs_setup *st, const double *x, long xbs, long xrs, const double *h,
                         int H, int threads)
{
    const gridr_array *a = &st->src->data;
    const long rows = a->rows, cols = a->cols, plane = rows * cols, step = 32;
    const long nblocks = (rows + step - 1) / step, njobs = nblocks * a->bands;
    int nt = threads > 0 ? threads : omp_get_max_threads(), failed = 0;
    if (plane * a->bands < GRIDR__RS_MIN_PARALLEL)
        nt = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(| : failed)
    for (long k = 0; k < njobs; k++) {
        long b = k / nblocks, r0 = (k % nblocks) * step;
        failed |= gridr_bspline_prefilter(h, H, x + b * xbs, xrs, rows, cols, st->coef + b * plane,
                                          cols, r0, r0 + step) != 0;
    }
    return failed ? gridr__fail(GRIDR_ENOMEM,
                                "resample: B-spline prefilter of a %ldx%ld window failed (out of "
                                "memory)",
                                rows, cols)
                  : 0;
}

static int setup_bspline(gridr__rs_setup *st, int threads)
{
    const gridr_array *a = &st->src->data;
    const gridr_resample_opts *o = st->o;
    const int n = (int)o->interp;
    const size_t plane = (size_t)a->rows * (size_t)a->cols;
    double h[2 * 512 + 1], d = 0;
    int H, rc = gridr_bspline_fir(n, o->bspline_eps, NULL, &H);
    if (rc == 0 && H > 512)
        rc = gridr__fail(GRIDR_EINVAL, "resample: B-spline epsilon %g too small (FIR %d taps)",
                         o->bspline_eps, 2 * H + 1);
    if (rc == 0)
        rc = gridr_bspline_fir(n, o->bspline_eps, h, &H);
    if (rc)
        return rc;
    if (o->mask_influence < 1)
        d = gridr_bspline_mask_radius(n, o->mask_influence);
    int in_place = clean_f64(st, threads);
    if (!in_place)
        st->x = malloc(plane * (size_t)a->bands * sizeof(double) + 8);
    st->coef = malloc(plane * (size_t)a->bands * sizeof(double) + 8);
    st->map = malloc(plane + 1);
    if ((!in_place && !st->x) || !st->coef || !st->map)
        return gridr__fail(GRIDR_ENOMEM,
                           "resample: no memory for the B-spline coefficients of "
                           "a %d x %ldx%ld window",
                           a->bands, a->rows, a->cols);
    double *x = in_place ? (double *)a->data : st->x;
    long xbs = in_place ? a->band_stride : (long)plane, xrs = in_place ? a->row_stride : a->cols;
    fill_input(st, x, xbs, xrs, !in_place, threads);
    rc = prefilter_all(st, x, xbs, xrs, h, H, threads);
    free(st->x);
    st->x = NULL;
    uint8_t *smap = NULL;
    if (rc == 0)
        rc = sample_map(st, &smap);
    if (rc)
        return rc;
    init_src(st, st->coef, GRIDR_DT_F64, (long)plane, a->cols);
    if (!smap) { /* every sample valid: only the border band of width max(H, floor(d)) */
        long bw = GRIDR__MAX((long)H, (long)floor(d));
        st->s.a_r0 = st->s.a_c0 = bw;
        st->s.a_r1 = GRIDR__MAX(bw, a->rows - bw);
        st->s.a_c1 = GRIDR__MAX(bw, a->cols - bw);
        return 0;
    }
    rc = gridr_bspline_coef_mask((gridr_bspline_mask_rule)o->bspline_mask_rule, H, d, smap, a->cols,
                                 a->rows, a->cols, st->map, a->cols);
    free(smap);
    return rc ? rc : build_integral(st, st->map, a->rows, a->cols);
}

/* ---- entry points ------------------------------------------------------------------------- */

int gridr__rs_setup_init(gridr__rs_setup *st, const gridr_resample_opts *o, gridr_source *src,
                         int threads, const gridr_grid *g, const gridr_rect *ow)
{
    const gridr_array *a = &src->data;
    memset(st, 0, sizeof *st);
    st->o = o;
    st->src = src;
    st->threads = threads;
    st->halo = gridr__rs_halo_grid(o, g, ow);
    st->ax_r = malloc((size_t)a->rows + 1);
    st->ax_c = malloc((size_t)a->cols + 1);
    if (!st->ax_r || !st->ax_c)
        return gridr__fail(GRIDR_ENOMEM, "resample: no memory for a %ldx%ld window", a->rows,
                           a->cols);
    axis_flags(st, src->row0, a->rows, src->raster_rows, st->ax_r);
    axis_flags(st, src->col0, a->cols, src->raster_cols, st->ax_c);
    if (gridr_interp_is_bspline(o->interp))
        return setup_bspline(st, threads);
    return setup_direct(st);
}

void gridr__rs_setup_free(gridr__rs_setup *st)
{
    free(st->ax_r);
    free(st->ax_c);
    free(st->map);
    free(st->integ);
    free(st->x);
    free(st->coef);
    memset(st, 0, sizeof *st);
}
