/* gridr: resampling row kernels specialised per kernel and source dtype, and output stores. */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "resample_impl.h"

/* ---- weights (natural order: w[i] weighs tap c - KN/2 + i) ---------------------------------- */

/* Linear, K = 3 (GridR): (1 - |x|) on the two neighbours, the third tap a structural zero. */
static inline void w_linear(double x, double *w)
{
    if (x > 0) {
        w[0] = 0;
        w[1] = 1 - x;
        w[2] = x;
    } else if (x < 0) {
        w[0] = -x;
        w[1] = 1 + x;
        w[2] = 0;
    } else {
        w[0] = 0;
        w[1] = 1;
        w[2] = 0;
    }
}

/* Keys cubic convolution a = -0.5, K = 5 (GridR's factorised weights, one structural zero). */
static inline void w_cubic(double x, double *w)
{
    double x2 = x * x, x3 = x2 * x;
    if (x > 0) {
        w[0] = 0;
        w[1] = -0.5 * x3 + x2 - 0.5 * x;
        w[2] = 1.5 * x3 - 2.5 * x2 + 1;
        w[3] = -1.5 * x3 + 2 * x2 + 0.5 * x;
        w[4] = 0.5 * x3 - 0.5 * x2;
    } else if (x < 0) {
        w[0] = -0.5 * x3 - 0.5 * x2;
        w[1] = 1.5 * x3 + 2 * x2 - 0.5 * x;
        w[2] = -1.5 * x3 - 2.5 * x2 + 1;
        w[3] = 0.5 * x3 + x2 + 0.5 * x;
        w[4] = 0;
    } else {
        w[0] = w[1] = w[3] = w[4] = 0;
        w[2] = 1;
    }
}

/* First tap of the compact box (the non-zero taps) inside the natural stencil. */
static inline int off_linear(double x)
{
    return x < 0 ? 0 : 1;
}

static inline int off_upper(double x)
{
    return x > 0 ? 1 : 0;
}

/* ---- shared per-pixel steps --------------------------------------------------------------- */

/* Stencil centre (window-local) and offset of a target; 0 when it is far outside the window. */
static inline int position(const gridr__rs_src *s, double tr, double tc, long *cr, long *cc,
                           double *xr, double *xc)
{
    if (!(tr >= s->tlo_r && tr < s->thi_r && tc >= s->tlo_c && tc < s->thi_c))
        return 0;
    double fr = gridr__floor(tr + 0.5), fc = gridr__floor(tc + 0.5);
    *xr = tr - fr;
    *xc = tc - fc;
    *cr = (long)fr - s->org_r;
    *cc = (long)fc - s->org_c;
    return 1;
}

/* The kb x kb box at (br, bc) lies in the available rectangle and holds no invalid sample. */
static inline int box_fast(const gridr__rs_src *s, long br, long bc, int kb)
{
    if (br < s->a_r0 || br + kb > s->a_r1 || bc < s->a_c0 || bc + kb > s->a_c1)
        return 0;
    if (!s->integ)
        return 1;
    const uint32_t *q = s->integ;
    long w = s->cols + 1;
    return q[(br + kb) * w + bc + kb] - q[br * w + bc + kb] - q[(br + kb) * w + bc] +
               q[br * w + bc] ==
           0;
}

/* Every tap with a non-zero weight is available. */
static int taps_ok(const gridr__rs_src *s, long r0, long c0, const double *wr, const double *wc,
                   int kn)
{
    for (int i = 0; i < kn; i++) {
        if (wr[i] != 0 && (r0 + i < s->a_r0 || r0 + i >= s->a_r1))
            return 0;
        if (wc[i] != 0 && (c0 + i < s->a_c0 || c0 + i >= s->a_c1))
            return 0;
    }
    if (!s->map)
        return 1;
    for (int i = 0; i < kn; i++) {
        if (wr[i] == 0)
            continue;
        const uint8_t *mrow = s->map + (r0 + i) * s->cols + c0;
        for (int j = 0; j < kn; j++) {
            if (wc[j] != 0 && !mrow[j])
                return 0;
        }
    }
    return 1;
}

static inline void set_invalid(double *acc, long n, int bands, double nodata, uint8_t *m)
{
    for (int b = 0; b < bands; b++)
        acc[b * n] = nodata;
    *m = 0;
}

/* ---- row kernels ---------------------------------------------------------------------------- */

/* Checked path: only taps with non-zero weights are read, in the fast path's order. */
#define DEFINE_CHECKED(T, SUF)                                                                     \
    static int checked_##SUF(const gridr__rs_src *s, long cr, long cc, const double *wr,           \
                             const double *wc, int kn, double *acc, long n)                        \
    {                                                                                              \
        long r0 = cr - kn / 2, c0 = cc - kn / 2;                                                   \
        if (!taps_ok(s, r0, c0, wr, wc, kn))                                                       \
            return 0;                                                                              \
        for (int b = 0; b < s->bands; b++) {                                                       \
            const T *p = (const T *)s->data + b * s->bstride + r0 * s->rstride + c0;               \
            double a = 0;                                                                          \
            for (int i = 0; i < kn; i++, p += s->rstride) {                                        \
                if (wr[i] == 0)                                                                    \
                    continue;                                                                      \
                double d = 0;                                                                      \
                for (int j = 0; j < kn; j++) {                                                     \
                    if (wc[j] != 0)                                                                \
                        d += wc[j] * (double)p[j];                                                 \
                }                                                                                  \
                a += wr[i] * d;                                                                    \
            }                                                                                      \
            acc[b * n] = a;                                                                        \
        }                                                                                          \
        return 1;                                                                                  \
    }

/* Separable kernel with KN natural taps of which the KB-wide box at OFF(x) holds the non-zero
 * ones. FLOATSRC: a NaN result of the unchecked path (a non-finite sample under a zero weight)
 * is recomputed by the checked path, which skips zero weights. */
#define DEFINE_SEPARABLE(NAME, T, SUF, KN, KB, WFUN, OFF, FLOATSRC)                                \
    static void NAME(const gridr__rs_src *s, const double *tr, const double *tc,                   \
                     const uint8_t *gv, long n, double nodata, double *acc, uint8_t *m)            \
    {                                                                                              \
        const T *base = (const T *)s->data;                                                        \
        const long rs = s->rstride, bs = s->bstride;                                               \
        for (long j = 0; j < n; j++) {                                                             \
            double wr[KN], wc[KN], xr, xc;                                                         \
            long cr, cc;                                                                           \
            if (!gv[j] || !position(s, tr[j], tc[j], &cr, &cc, &xr, &xc)) {                        \
                set_invalid(acc + j, n, s->bands, nodata, m + j);                                  \
                continue;                                                                          \
            }                                                                                      \
            WFUN(xr, wr);                                                                          \
            WFUN(xc, wc);                                                                          \
            int orr = OFF(xr), oc = OFF(xc), ok = 0;                                               \
            long br = cr - KN / 2 + orr, bc = cc - KN / 2 + oc;                                    \
            if (box_fast(s, br, bc, KB)) {                                                         \
                const double *wrb = wr + orr, *wcb = wc + oc;                                      \
                ok = 1;                                                                            \
                for (int b = 0; b < s->bands; b++) {                                               \
                    const T *p = base + b * bs + br * rs + bc;                                     \
                    double a = 0;                                                                  \
                    for (int i = 0; i < KB; i++, p += rs) {                                        \
                        double d = 0;                                                              \
                        for (int k = 0; k < KB; k++)                                               \
                            d += wcb[k] * (double)p[k];                                            \
                        a += wrb[i] * d;                                                           \
                    }                                                                              \
                    if (FLOATSRC && a != a)                                                        \
                        ok = 0;                                                                    \
                    acc[b * n + j] = a;                                                            \
                }                                                                                  \
            }                                                                                      \
            if (!ok)                                                                               \
                ok = checked_##SUF(s, cr, cc, wr, wc, KN, acc + j, n);                             \
            if (ok)                                                                                \
                m[j] = 1;                                                                          \
            else                                                                                   \
                set_invalid(acc + j, n, s->bands, nodata, m + j);                                  \
        }                                                                                          \
    }

/* Nearest: the centre sample itself. */
#define DEFINE_NEAREST(NAME, T)                                                                    \
    static void NAME(const gridr__rs_src *s, const double *tr, const double *tc,                   \
                     const uint8_t *gv, long n, double nodata, double *acc, uint8_t *m)            \
    {                                                                                              \
        const T *base = (const T *)s->data;                                                        \
        for (long j = 0; j < n; j++) {                                                             \
            double xr, xc;                                                                         \
            long cr, cc;                                                                           \
            if (!gv[j] || !position(s, tr[j], tc[j], &cr, &cc, &xr, &xc) || cr < s->a_r0 ||        \
                cr >= s->a_r1 || cc < s->a_c0 || cc >= s->a_c1 ||                                  \
                (s->map && !s->map[cr * s->cols + cc])) {                                          \
                set_invalid(acc + j, n, s->bands, nodata, m + j);                                  \
                continue;                                                                          \
            }                                                                                      \
            const T *p = base + cr * s->rstride + cc;                                              \
            for (int b = 0; b < s->bands; b++)                                                     \
                acc[b * n + j] = (double)p[b * s->bstride];                                        \
            m[j] = 1;                                                                              \
        }                                                                                          \
    }

#define DEFINE_DTYPE(T, SUF, FLOATSRC)                                                             \
    DEFINE_CHECKED(T, SUF)                                                                         \
    DEFINE_NEAREST(nearest_##SUF, T)                                                               \
    DEFINE_SEPARABLE(linear_##SUF, T, SUF, 3, 2, w_linear, off_linear, FLOATSRC)                   \
    DEFINE_SEPARABLE(cubic_##SUF, T, SUF, 5, 4, w_cubic, off_upper, FLOATSRC)

DEFINE_DTYPE(uint8_t, u8, 0)
DEFINE_DTYPE(uint16_t, u16, 0)
DEFINE_DTYPE(int16_t, i16, 0)
DEFINE_DTYPE(uint32_t, u32, 0)
DEFINE_DTYPE(int32_t, i32, 0)
DEFINE_DTYPE(float, f32, 1)
DEFINE_DTYPE(double, f64, 1)

/* [dtype][nearest, linear, cubic] */
static const gridr__rs_row_fn table[GRIDR_DT_COUNT][3] = {
    [GRIDR_DT_U8] = {nearest_u8, linear_u8, cubic_u8},
    [GRIDR_DT_U16] = {nearest_u16, linear_u16, cubic_u16},
    [GRIDR_DT_I16] = {nearest_i16, linear_i16, cubic_i16},
    [GRIDR_DT_U32] = {nearest_u32, linear_u32, cubic_u32},
    [GRIDR_DT_I32] = {nearest_i32, linear_i32, cubic_i32},
    [GRIDR_DT_F32] = {nearest_f32, linear_f32, cubic_f32},
    [GRIDR_DT_F64] = {nearest_f64, linear_f64, cubic_f64},
};

gridr__rs_row_fn gridr__rs_row_kernel(gridr_interp_kind kind, gridr_dtype dt)
{
    if (dt <= GRIDR_DT_UNKNOWN || dt >= GRIDR_DT_COUNT)
        return NULL;
    if (kind == GRIDR_INTERP_NEAREST || kind == GRIDR_INTERP_LINEAR || kind == GRIDR_INTERP_CUBIC)
        return table[dt][kind];
    return NULL;
}

/* ---- stores ------------------------------------------------------------------------------- */

/* Round half to even for |v| < 2^52 (v already clipped to an integer type's range). */
static inline double round_even_clipped(double v)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    const double c = 4503599627370496.0;
    return v >= 0 ? (v + c) - c : (v - c) + c;
#else
    return gridr_round_even(v);
#endif
}

#define DEFINE_STORE_INT(NAME, T, LO, HI)                                                          \
    static void NAME(void *dst, const double *acc, long n)                                         \
    {                                                                                              \
        T *d = dst;                                                                                \
        for (long j = 0; j < n; j++) {                                                             \
            double v = acc[j];                                                                     \
            v = v == v ? v : 0;                                                                    \
            v = v < (LO) ? (LO) : v;                                                               \
            v = v > (HI) ? (HI) : v;                                                               \
            d[j] = (T)round_even_clipped(v);                                                       \
        }                                                                                          \
    }

DEFINE_STORE_INT(store_u8, uint8_t, 0.0, 255.0)
DEFINE_STORE_INT(store_u16, uint16_t, 0.0, 65535.0)
DEFINE_STORE_INT(store_i16, int16_t, -32768.0, 32767.0)
DEFINE_STORE_INT(store_u32, uint32_t, 0.0, 4294967295.0)
DEFINE_STORE_INT(store_i32, int32_t, -2147483648.0, 2147483647.0)

static void store_f32(void *dst, const double *acc, long n)
{
    float *d = dst;
    for (long j = 0; j < n; j++) {
        double v = acc[j];
        if (v > FLT_MAX && !isinf(v))
            v = FLT_MAX;
        else if (v < -FLT_MAX && !isinf(v))
            v = -FLT_MAX;
        d[j] = (float)v;
    }
}

void gridr__rs_store(void *dst, gridr_dtype dt, const double *acc, long n)
{
    switch (dt) {
    case GRIDR_DT_U8:
        store_u8(dst, acc, n);
        break;
    case GRIDR_DT_U16:
        store_u16(dst, acc, n);
        break;
    case GRIDR_DT_I16:
        store_i16(dst, acc, n);
        break;
    case GRIDR_DT_U32:
        store_u32(dst, acc, n);
        break;
    case GRIDR_DT_I32:
        store_i32(dst, acc, n);
        break;
    case GRIDR_DT_F32:
        store_f32(dst, acc, n);
        break;
    case GRIDR_DT_F64:
        memcpy(dst, acc, (size_t)n * sizeof(double));
        break;
    default:
        break;
    }
}
