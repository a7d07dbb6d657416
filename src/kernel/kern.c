/* gridr: resampling kernels: vectorised positions/weights (pass 1), per-dtype gathers (pass 2). */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/interp.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resample_impl.h"

#define CH GRIDR__RS_CHUNK

#include "vw.h"

/* ---- compact weights -----------------------------------------------------------------------
 * For offset x = t - c, a = |x|: u[0..KB) are the weights of the compact box (the taps that can
 * be non-zero) for x < 0, in increasing tap order; for x >= 0 the box is reversed and starts one
 * tap later in the natural stencil (c - K/2 + 1). The expressions are exactly those of interp's
 * natural-order weights (gridr_interp_weights), so both orders give the same bits. */

static inline void u_linear(vw a, vw *u)
{
    u[0] = a;
    u[1] = 1.0 - a;
}

static inline void u_cubic(vw a, vw *u)
{
    vw a2 = a * a, a3 = a2 * a;
    u[0] = 0.5 * a3 - 0.5 * a2;            /* far */
    u[1] = -1.5 * a3 + 2.0 * a2 + 0.5 * a; /* near */
    u[2] = 1.5 * a3 - 2.5 * a2 + 1.0;      /* centre */
    u[3] = -0.5 * a3 + a2 - 0.5 * a;       /* behind */
}

/* Un-normalised B-spline b_n (n! beta_n): u[j] = B_n(a + j), B_n(y) = b_n(y - (n+1)/2), by the
 * division-free Cox-de Boor recurrence B_k(y) = y B_{k-1}(y) + (k + 1 - y) B_{k-1}(y - 1). */
static inline __attribute__((always_inline)) void u_bspline(const int n, vw a, vw *u)
{
    vw g = 1.0 - a;
    u[0] = wsplat(1.0);
#pragma GCC unroll 16
    for (int k = 1; k <= n; k++) {
        u[k] = g * u[k - 1];
#pragma GCC unroll 16
        for (int j = k - 1; j >= 1; j--)
            u[j] = (a + (double)j) * u[j] + (g + (double)(k - j)) * u[j - 1];
        u[0] = a * u[0];
    }
}

#define DEFINE_U_BSPLINE(N)                                                                        \
    static inline void u_bspline##N(vw a, vw *u)                                                   \
    {                                                                                              \
        u_bspline(N, a, u);                                                                        \
    }

DEFINE_U_BSPLINE(3)
DEFINE_U_BSPLINE(5)
DEFINE_U_BSPLINE(7)
DEFINE_U_BSPLINE(9)
DEFINE_U_BSPLINE(11)

/* ---- pass 1: positions and weights ---------------------------------------------------------- */

/* Targets outside [tlo, thi] (far outside the window, NaN) get ok = 0 and a clamped value; the
 * window's coordinates fit in int32 (checked by the caller), so the clamped values floor with
 * wfloor_small. Works on pairs: tr[n], tc[n] must be readable when n is odd. */
typedef struct bounds {
    vw lr, hr, lc, hc;     /* usable targets */
    vw ar0, ar1, ac0, ac1; /* a kb-wide box starting in [ar0, ar1] x [ac0, ac1] is available */
} bounds;

static inline bounds get_bounds(const gridr__rs_src *s, int kb)
{
    bounds b = {wsplat(s->tlo_r),        wsplat(s->thi_r),
                wsplat(s->tlo_c),        wsplat(s->thi_c),
                wsplat((double)s->a_r0), wsplat((double)(s->a_r1 - kb)),
                wsplat((double)s->a_c0), wsplat((double)(s->a_c1 - kb))};
    return b;
}

/* The box starting at (br, bc) lies in the available rectangle. */
static inline vwm in_rect(const bounds *b, vw br, vw bc)
{
    return wand(wand(wge(br, b->ar0), wge(b->ar1, br)), wand(wge(bc, b->ac0), wge(b->ac1, bc)));
}

static inline vwm targets(const bounds *b, const double *tr, const double *tc, long j, vw *yr,
                          vw *yc)
{
    vw r = wload(tr + j), c = wload(tc + j);
    *yr = wclamp(r, b->lr, b->hr);
    *yc = wclamp(c, b->lc, b->hc);
    return wand(weq(*yr, r), weq(*yc, c));
}

/* KN natural taps, KB-wide compact box. */
#define DEFINE_PASS1(NAME, KN, KB, UFUN)                                                           \
    static void NAME(const gridr__rs_src *s, const double *tr, const double *tc, long n,           \
                     gridr__rs_work *w)                                                            \
    {                                                                                              \
        const vw orr = wsplat((double)(s->org_r + (KN) / 2));                                      \
        const vw occ = wsplat((double)(s->org_c + (KN) / 2));                                      \
        const bounds bd = get_bounds(s, KB);                                                       \
        for (long j = 0; j < n; j += WL) {                                                         \
            vw yr, yc, ur[(KB) + 1], uc[(KB) + 1];                                                 \
            vwm in = targets(&bd, tr, tc, j, &yr, &yc);                                            \
            vw fr = wfloor_small(yr + 0.5), fc = wfloor_small(yc + 0.5);                           \
            vw xr = yr - fr, xc = yc - fc;                                                         \
            vwm pr = wge(xr, wsplat(0.0)), pc = wge(xc, wsplat(0.0));                              \
            UFUN(wabs(xr), ur);                                                                    \
            UFUN(wabs(xc), uc);                                                                    \
            _Pragma("GCC unroll 16") for (int k = 0; k < (KB); k++)                                \
            {                                                                                      \
                wstore(&w->wr[k][j], wsel(pr, ur[(KB)-1 - k], ur[k]));                             \
                wstore(&w->wc[k][j], wsel(pc, uc[(KB)-1 - k], uc[k]));                             \
            }                                                                                      \
            vw br = fr - orr + wone(pr), bc = fc - occ + wone(pc);                                 \
            vwm fast = wand(in, in_rect(&bd, br, bc));                                             \
            wstore(&w->br[j], br);                                                                 \
            wstore(&w->bc[j], bc);                                                                 \
            wstore_mask(&w->ok[j], in);                                                            \
            wstore_mask(&w->fast[j], fast);                                                        \
            wstore_mask(&w->sr[j], pr);                                                            \
            wstore_mask(&w->sc[j], pc);                                                            \
        }                                                                                          \
    }

DEFINE_PASS1(pass1_linear, 3, 2, u_linear)
DEFINE_PASS1(pass1_cubic, 5, 4, u_cubic)
DEFINE_PASS1(pass1_bspline3, 5, 4, u_bspline3)
DEFINE_PASS1(pass1_bspline5, 7, 6, u_bspline5)
DEFINE_PASS1(pass1_bspline7, 9, 8, u_bspline7)
DEFINE_PASS1(pass1_bspline9, 11, 10, u_bspline9)
DEFINE_PASS1(pass1_bspline11, 13, 12, u_bspline11)

/* Nearest: ok = usable and inside the available rectangle; br = the sample's offset from the
 * window's first sample (exact in a double: window coordinates are < 2^30). */
static void pass1_nearest(const gridr__rs_src *s, const double *tr, const double *tc, long n,
                          gridr__rs_work *w)
{
    const vw orr = wsplat((double)s->org_r), occ = wsplat((double)s->org_c);
    const vw rs = wsplat((double)s->rstride);
    const bounds bd = get_bounds(s, 1);
    for (long j = 0; j < n; j += WL) {
        vw yr, yc;
        vwm in = targets(&bd, tr, tc, j, &yr, &yc);
        vw r = wfloor_small(yr + 0.5) - orr, c = wfloor_small(yc + 0.5) - occ;
        vwm ok = wand(in, in_rect(&bd, r, c));
        wstore(&w->br[j], r * rs + c);
        wstore(&w->bc[j], r * wsplat((double)s->cols) + c);
        wstore_mask(&w->ok[j], ok);
    }
}

/* ---- pass 2 helpers ------------------------------------------------------------------------- */

/* The kb x kb box at (br, bc), known to lie in the available rectangle, holds no invalid
 * sample. */
static inline int box_clean(const gridr__rs_src *s, long br, long bc, int kb)
{
    if (!s->integ)
        return 1;
    const uint32_t *q = s->integ;
    const long w = s->cols + 1;
    uint32_t bad =
        q[(br + kb) * w + bc + kb] - q[br * w + bc + kb] - q[(br + kb) * w + bc] + q[br * w + bc];
    return bad == 0;
}

/* Natural-order weights (K = kb + 1) of a box: the structural zero at the end away from x. */
static inline void natural(const double *box, int kb, int side, double *wn)
{
    wn[side ? 0 : kb] = 0;
    for (int k = 0; k < kb; k++)
        wn[k + side] = box[k];
}

/* Every tap with a non-zero weight is available (natural stencil at r0, c0, kn taps). */
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

static inline void set_invalid(double *acc, int bands, double nodata, uint8_t *m)
{
    for (int b = 0; b < bands; b++)
        acc[b * CH] = nodata;
    *m = 0;
}

/* ---- pass 2: per source dtype --------------------------------------------------------------- */

/* Checked path: the natural stencil, only taps with non-zero weights read, in the unchecked
 * path's order (rows ascending; per row the column dot product from 0, then the row weight). */
#define DEFINE_CHECKED(T, SUF)                                                                     \
    GRIDR__RS_DEFINE_BOX_DOT(box_dot_##SUF, T)                                                     \
    static int checked_##SUF(const gridr__rs_src *s, long r0, long c0, const double *wr,           \
                             const double *wc, int kn, double *acc)                                \
    {                                                                                              \
        if (!taps_ok(s, r0, c0, wr, wc, kn))                                                       \
            return 0;                                                                              \
        box_dot_##SUF(s, r0, c0, wr, kn, wc, kn, 1, acc);                                          \
        return 1;                                                                                  \
    }

/* Unchecked dot product of a KB x KB box (all weights, zeros included): per row the column dot
 * product from 0, then the row weight; the same order as the checked path. */
#define DEFINE_DOT(T, SUF, KB)                                                                     \
    static inline double dot##KB##_##SUF(const T *restrict p, long rs, const double *wr,           \
                                         const double *wc)                                         \
    {                                                                                              \
        double a = 0;                                                                              \
        _Pragma("GCC unroll 16") for (int i = 0; i < (KB); i++, p += rs)                           \
        {                                                                                          \
            double d = 0;                                                                          \
            _Pragma("GCC unroll 16") for (int k = 0; k < (KB); k++) d += wc[k] * (double)p[k];     \
            a += wr[i] * d;                                                                        \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    /* The same for pixels j and j + 1 at once, one per lane (identical operations per lane). */   \
    static inline v2d pdot##KB##_##SUF(const T *restrict p0, const T *restrict p1, long rs,        \
                                       const gridr__rs_work *w, long j)                            \
    {                                                                                              \
        v2d a = vsplat(0.0);                                                                       \
        _Pragma("GCC unroll 16") for (int i = 0; i < (KB); i++, p0 += rs, p1 += rs)                \
        {                                                                                          \
            v2d d = vsplat(0.0);                                                                   \
            _Pragma("GCC unroll 16") for (int k = 0; k < (KB); k++) d =                            \
                d + vload(&w->wc[k][j]) * LOAD2_##SUF(p0 + k, p1 + k);                             \
            a = a + vload(&w->wr[i][j]) * d;                                                       \
        }                                                                                          \
        return a;                                                                                  \
    }

#define LOAD2_f64(a, b) vload2(a, b)
#define LOAD2_f32(a, b) vpair((double)*(a), (double)*(b))
#define LOAD2_u8 LOAD2_f32
#define LOAD2_u16 LOAD2_f32
#define LOAD2_i16 LOAD2_f32
#define LOAD2_u32 LOAD2_f32
#define LOAD2_i32 LOAD2_f32

/* One pixel; FLOATSRC: a NaN from the unchecked path (a non-finite sample under a zero weight)
 * is recomputed by the checked path, which skips zero weights. */
#define DEFINE_ONE(NAME, T, SUF, KB, FLOATSRC)                                                     \
    static void NAME(const gridr__rs_src *s, const gridr__rs_work *w, const uint8_t *gv, long j,   \
                     double nodata, double *acc, uint8_t *m)                                       \
    {                                                                                              \
        const int nb = s->bands;                                                                   \
        if (!w->ok[j] || !gv[j]) {                                                                 \
            set_invalid(acc + j, nb, nodata, m + j);                                               \
            return;                                                                                \
        }                                                                                          \
        double wr[KB], wc[KB];                                                                     \
        for (int k = 0; k < (KB); k++) {                                                           \
            wr[k] = w->wr[k][j];                                                                   \
            wc[k] = w->wc[k][j];                                                                   \
        }                                                                                          \
        long br = (long)w->br[j], bc = (long)w->bc[j];                                             \
        int ok = 0;                                                                                \
        if (w->fast[j] && box_clean(s, br, bc, KB)) {                                              \
            const T *p = (const T *)s->data + br * s->rstride + bc;                                \
            ok = 1;                                                                                \
            for (int b = 0; b < nb; b++, p += s->bstride) {                                        \
                double a = dot##KB##_##SUF(p, s->rstride, wr, wc);                                 \
                if (FLOATSRC && a != a)                                                            \
                    ok = 0;                                                                        \
                acc[b * CH + j] = a;                                                               \
            }                                                                                      \
        }                                                                                          \
        if (!ok) {                                                                                 \
            double wnr[(KB) + 1], wnc[(KB) + 1];                                                   \
            natural(wr, KB, w->sr[j] != 0, wnr);                                                   \
            natural(wc, KB, w->sc[j] != 0, wnc);                                                   \
            ok = checked_##SUF(s, br - (w->sr[j] != 0), bc - (w->sc[j] != 0), wnr, wnc, (KB) + 1,  \
                               acc + j);                                                           \
        }                                                                                          \
        if (ok)                                                                                    \
            m[j] = 1;                                                                              \
        else                                                                                       \
            set_invalid(acc + j, nb, nodata, m + j);                                               \
    }

/* Pixels j and j + 1 together when both take the unchecked path; 0 otherwise (nothing written
 * that the single-pixel path does not overwrite). */
#define DEFINE_PAIR(NAME, T, SUF, KB, FLOATSRC)                                                    \
    static inline int NAME(const gridr__rs_src *s, const gridr__rs_work *w, const uint8_t *gv,     \
                           long j, double *acc)                                                    \
    {                                                                                              \
        if (!(w->fast[j] & w->fast[j + 1]) || !(gv[j] & gv[j + 1]))                                \
            return 0;                                                                              \
        long br0 = (long)w->br[j], bc0 = (long)w->bc[j];                                           \
        long br1 = (long)w->br[j + 1], bc1 = (long)w->bc[j + 1];                                   \
        if (s->integ && (!box_clean(s, br0, bc0, KB) || !box_clean(s, br1, bc1, KB)))              \
            return 0;                                                                              \
        const T *p0 = (const T *)s->data + br0 * s->rstride + bc0;                                 \
        const T *p1 = (const T *)s->data + br1 * s->rstride + bc1;                                 \
        for (int b = 0; b < s->bands; b++, p0 += s->bstride, p1 += s->bstride) {                   \
            v2d a = pdot##KB##_##SUF(p0, p1, s->rstride, w, j);                                    \
            if (FLOATSRC && vany_nan(a))                                                           \
                return 0;                                                                          \
            vstore(acc + b * CH + j, a);                                                           \
        }                                                                                          \
        return 1;                                                                                  \
    }

/* AVX2, 4-wide boxes: pixels j .. j + 3 at once, one per lane; each box row is loaded per pixel
 * (four taps, converted) and transposed into tap vectors, so every lane does the pair's
 * operations in its order. 0 when they cannot all take the unchecked path. */
#if defined(GRIDR__KERN_AVX2)
static inline uint32_t load_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#define LOAD4_u16(p)                                                                               \
    _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#define LOAD4_i16(p)                                                                               \
    _mm256_cvtepi32_pd(_mm_cvtepi16_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#define LOAD4_u8(p) _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)load_u32(p))))
#define LOAD4_i32(p) _mm256_cvtepi32_pd(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define LOAD4_u32(p) _mm256_set_pd((double)(p)[3], (double)(p)[2], (double)(p)[1], (double)(p)[0])
#define LOAD4_f32(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define LOAD4_f64(p) _mm256_loadu_pd(p)

/* Row i of the four boxes (taps across, one box per vector) -> tap vectors t[k] (pixels). */
static inline void transpose4(__m256d r0, __m256d r1, __m256d r2, __m256d r3, __m256d *t)
{
    __m256d lo01 = _mm256_unpacklo_pd(r0, r1), hi01 = _mm256_unpackhi_pd(r0, r1);
    __m256d lo23 = _mm256_unpacklo_pd(r2, r3), hi23 = _mm256_unpackhi_pd(r2, r3);
    t[0] = _mm256_permute2f128_pd(lo01, lo23, 0x20);
    t[1] = _mm256_permute2f128_pd(hi01, hi23, 0x20);
    t[2] = _mm256_permute2f128_pd(lo01, lo23, 0x31);
    t[3] = _mm256_permute2f128_pd(hi01, hi23, 0x31);
}

#define DEFINE_QUAD(NAME, T, SUF, FLOATSRC)                                                        \
    static inline int NAME(const gridr__rs_src *s, const gridr__rs_work *w, const uint8_t *gv,     \
                           long j, double *acc)                                                    \
    {                                                                                              \
        if (!(w->fast[j] & w->fast[j + 1] & w->fast[j + 2] & w->fast[j + 3]) ||                    \
            !(gv[j] & gv[j + 1] & gv[j + 2] & gv[j + 3]))                                          \
            return 0;                                                                              \
        const T *p[4];                                                                             \
        for (int q = 0; q < 4; q++) {                                                              \
            long br = (long)w->br[j + q], bc = (long)w->bc[j + q];                                 \
            if (s->integ && !box_clean(s, br, bc, 4))                                              \
                return 0;                                                                          \
            p[q] = (const T *)s->data + br * s->rstride + bc;                                      \
        }                                                                                          \
        const long rs = s->rstride;                                                                \
        for (int b = 0; b < s->bands; b++) {                                                       \
            __m256d a = _mm256_setzero_pd(), t[4];                                                 \
            for (int i = 0; i < 4; i++) {                                                          \
                transpose4(LOAD4_##SUF(p[0] + i * rs), LOAD4_##SUF(p[1] + i * rs),                 \
                           LOAD4_##SUF(p[2] + i * rs), LOAD4_##SUF(p[3] + i * rs), t);             \
                __m256d d = _mm256_setzero_pd();                                                   \
                for (int k = 0; k < 4; k++)                                                        \
                    d = d + _mm256_loadu_pd(&w->wc[k][j]) * t[k];                                  \
                a = a + _mm256_loadu_pd(&w->wr[i][j]) * d;                                         \
            }                                                                                      \
            if (FLOATSRC && _mm256_movemask_pd(_mm256_cmp_pd(a, a, _CMP_UNORD_Q)))                 \
                return 0;                                                                          \
            _mm256_storeu_pd(acc + b * CH + j, a);                                                 \
            for (int q = 0; q < 4; q++)                                                            \
                p[q] += s->bstride;                                                                \
        }                                                                                          \
        return 1;                                                                                  \
    }
#define QUAD_OK(KB) ((KB) == 4)
#else
#define DEFINE_QUAD(NAME, T, SUF, FLOATSRC)                                                        \
    static inline int NAME(const gridr__rs_src *s, const gridr__rs_work *w, const uint8_t *gv,     \
                           long j, double *acc)                                                    \
    {                                                                                              \
        (void)s, (void)w, (void)gv, (void)j, (void)acc;                                            \
        return 0;                                                                                  \
    }
#define QUAD_OK(KB) 0
#endif

#define DEFINE_PASS2(NAME, T, SUF, KB, FLOATSRC)                                                   \
    DEFINE_ONE(NAME##_one, T, SUF, KB, FLOATSRC)                                                   \
    DEFINE_PAIR(NAME##_pair, T, SUF, KB, FLOATSRC)                                                 \
    DEFINE_QUAD(NAME##_quad, T, SUF, FLOATSRC)                                                     \
    static void NAME(const gridr__rs_src *s, const gridr__rs_work *w, const uint8_t *gv, long n,   \
                     double nodata, double *acc, uint8_t *m)                                       \
    {                                                                                              \
        long j = 0;                                                                                \
        while (j < n) {                                                                            \
            if (QUAD_OK(KB) && j + 3 < n && NAME##_quad(s, w, gv, j, acc)) {                       \
                m[j] = m[j + 1] = m[j + 2] = m[j + 3] = 1;                                         \
                j += 4;                                                                            \
                continue;                                                                          \
            }                                                                                      \
            if (j + 1 < n && NAME##_pair(s, w, gv, j, acc)) {                                      \
                m[j] = m[j + 1] = 1;                                                               \
                j += 2;                                                                            \
                continue;                                                                          \
            }                                                                                      \
            NAME##_one(s, w, gv, j, nodata, acc, m);                                               \
            j++;                                                                                   \
        }                                                                                          \
    }

/* Nearest: the centre sample itself, no arithmetic (pass 1 did the bounds and offsets). */
#define DEFINE_NEAREST(NAME, T)                                                                    \
    static void NAME(const gridr__rs_src *s, const gridr__rs_work *w, const uint8_t *gv, long n,   \
                     double nodata, double *acc, uint8_t *m)                                       \
    {                                                                                              \
        const T *base = (const T *)s->data;                                                        \
        const long bs = s->bstride;                                                                \
        const int nb = s->bands;                                                                   \
        const uint8_t *map = s->map;                                                               \
        for (long j = 0; j < n; j++) {                                                             \
            if (!(w->ok[j] & gv[j]) || (map && !map[(long)w->bc[j]])) {                            \
                set_invalid(acc + j, nb, nodata, m + j);                                           \
                continue;                                                                          \
            }                                                                                      \
            const T *p = base + (long)w->br[j];                                                    \
            for (int b = 0; b < nb; b++)                                                           \
                acc[b * CH + j] = (double)p[b * bs];                                               \
            m[j] = 1;                                                                              \
        }                                                                                          \
    }

#define DEFINE_DTYPE(T, SUF, FLOATSRC)                                                             \
    DEFINE_CHECKED(T, SUF)                                                                         \
    DEFINE_DOT(T, SUF, 2)                                                                          \
    DEFINE_DOT(T, SUF, 4)                                                                          \
    DEFINE_NEAREST(nearest_##SUF, T)                                                               \
    DEFINE_PASS2(linear_##SUF, T, SUF, 2, FLOATSRC)                                                \
    DEFINE_PASS2(cubic_##SUF, T, SUF, 4, FLOATSRC)

DEFINE_DTYPE(uint8_t, u8, 0)
DEFINE_DTYPE(uint16_t, u16, 0)
DEFINE_DTYPE(int16_t, i16, 0)
DEFINE_DTYPE(uint32_t, u32, 0)
DEFINE_DTYPE(int32_t, i32, 0)
DEFINE_DTYPE(float, f32, 1)
DEFINE_DTYPE(double, f64, 1)

/* B-splines read f64 coefficients. */
DEFINE_DOT(double, f64, 6)
DEFINE_DOT(double, f64, 8)
DEFINE_DOT(double, f64, 10)
DEFINE_DOT(double, f64, 12)
DEFINE_PASS2(bspline3_f64, double, f64, 4, 1)
DEFINE_PASS2(bspline5_f64, double, f64, 6, 1)
DEFINE_PASS2(bspline7_f64, double, f64, 8, 1)
DEFINE_PASS2(bspline9_f64, double, f64, 10, 1)
DEFINE_PASS2(bspline11_f64, double, f64, 12, 1)

/* [dtype][nearest, linear, cubic] */
static const gridr__rs_pass2_fn table[GRIDR_DT_COUNT][3] = {
    [GRIDR_DT_U8] = {nearest_u8, linear_u8, cubic_u8},
    [GRIDR_DT_U16] = {nearest_u16, linear_u16, cubic_u16},
    [GRIDR_DT_I16] = {nearest_i16, linear_i16, cubic_i16},
    [GRIDR_DT_U32] = {nearest_u32, linear_u32, cubic_u32},
    [GRIDR_DT_I32] = {nearest_i32, linear_i32, cubic_i32},
    [GRIDR_DT_F32] = {nearest_f32, linear_f32, cubic_f32},
    [GRIDR_DT_F64] = {nearest_f64, linear_f64, cubic_f64},
};

static int get_bspline(gridr_interp_kind kind, gridr__rs_kernel *k)
{
    switch (kind) {
    case GRIDR_INTERP_BSPLINE3:
        *k = (gridr__rs_kernel){pass1_bspline3, bspline3_f64, NULL};
        return 0;
    case GRIDR_INTERP_BSPLINE5:
        *k = (gridr__rs_kernel){pass1_bspline5, bspline5_f64, NULL};
        return 0;
    case GRIDR_INTERP_BSPLINE7:
        *k = (gridr__rs_kernel){pass1_bspline7, bspline7_f64, NULL};
        return 0;
    case GRIDR_INTERP_BSPLINE9:
        *k = (gridr__rs_kernel){pass1_bspline9, bspline9_f64, NULL};
        return 0;
    case GRIDR_INTERP_BSPLINE11:
        *k = (gridr__rs_kernel){pass1_bspline11, bspline11_f64, NULL};
        return 0;
    default:
        return -1;
    }
}

int KFN(gridr__rs_get_kernel_base)(gridr_interp_kind kind, gridr_dtype dt, gridr__rs_kernel *k)
{
    static const gridr__rs_pass1_fn p1[3] = {pass1_nearest, pass1_linear, pass1_cubic};
    if (dt <= GRIDR_DT_UNKNOWN || dt >= GRIDR_DT_COUNT)
        return -1;
    if (kind == GRIDR_INTERP_NEAREST || kind == GRIDR_INTERP_LINEAR || kind == GRIDR_INTERP_CUBIC) {
        k->pass1 = p1[kind];
        k->pass2 = table[dt][kind];
        return 0;
    }
    return dt == GRIDR_DT_F64 ? get_bspline(kind, k) : -1;
}

#if defined(GRIDR__KERN_AVX2)
/* ---- stores, four lanes ------------------------------------------------------------------
 * gridr__rs_store's integer conversions (NaN -> 0, clip, round half to even with the 2^52
 * trick, truncate to int32) on four lanes, packed with saturation (already clipped, so exact). */
static inline __m128i clip_round4(__m256d v, __m256d lo, __m256d hi)
{
    const __m256d c = _mm256_set1_pd(4503599627370496.0), z = _mm256_setzero_pd();
    v = _mm256_and_pd(_mm256_cmp_pd(v, v, _CMP_EQ_OQ), v);
    v = _mm256_min_pd(_mm256_max_pd(v, lo), hi);
    __m256d up = (v + c) - c, dn = (v - c) + c;
    return _mm256_cvttpd_epi32(_mm256_blendv_pd(dn, up, _mm256_cmp_pd(v, z, _CMP_GE_OQ)));
}

#define DEFINE_STORE8(NAME, T, LO, HI, PACK)                                                       \
    static long NAME(void *dst, const double *acc, long n)                                         \
    {                                                                                              \
        T *d = dst;                                                                                \
        const __m256d lo = _mm256_set1_pd(LO), hi = _mm256_set1_pd(HI);                            \
        long j = 0;                                                                                \
        for (; j + 8 <= n; j += 8) {                                                               \
            __m128i a = clip_round4(_mm256_loadu_pd(acc + j), lo, hi);                             \
            __m128i b = clip_round4(_mm256_loadu_pd(acc + j + 4), lo, hi);                         \
            PACK(d + j, a, b);                                                                     \
        }                                                                                          \
        return j;                                                                                  \
    }

#define PACK_U16(p, a, b) _mm_storeu_si128((__m128i *)(void *)(p), _mm_packus_epi32(a, b))
#define PACK_I16(p, a, b) _mm_storeu_si128((__m128i *)(void *)(p), _mm_packs_epi32(a, b))
#define PACK_U8(p, a, b)                                                                           \
    _mm_storel_epi64((__m128i *)(void *)(p),                                                       \
                     _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_setzero_si128()))
#define PACK_I32(p, a, b)                                                                          \
    do {                                                                                           \
        _mm_storeu_si128((__m128i *)(void *)(p), a);                                               \
        _mm_storeu_si128((__m128i *)(void *)((p) + 4), b);                                         \
    } while (0)

DEFINE_STORE8(store8_u8, uint8_t, 0.0, 255.0, PACK_U8)
DEFINE_STORE8(store8_u16, uint16_t, 0.0, 65535.0, PACK_U16)
DEFINE_STORE8(store8_i16, int16_t, -32768.0, 32767.0, PACK_I16)
DEFINE_STORE8(store8_i32, int32_t, -2147483648.0, 2147483647.0, PACK_I32)

void gridr__rs_store_avx2(void *dst, gridr_dtype dt, const double *acc, long n)
{
    long done = 0;
    switch (dt) {
    case GRIDR_DT_U8:
        done = store8_u8(dst, acc, n);
        break;
    case GRIDR_DT_U16:
        done = store8_u16(dst, acc, n);
        break;
    case GRIDR_DT_I16:
        done = store8_i16(dst, acc, n);
        break;
    case GRIDR_DT_I32:
        done = store8_i32(dst, acc, n);
        break;
    default:
        break;
    }
    gridr__rs_store((char *)dst + (size_t)done * gridr_dtype_size(dt), dt, acc + done, n - done);
}
#endif

#if !defined(GRIDR__KERN_AVX2)
int gridr__rs_get_kernel(gridr_interp_kind kind, gridr_dtype dt, gridr__rs_kernel *k)
{
#if GRIDR__HAVE_AVX2_KERN
    if (gridr__config()->avx2 && __builtin_cpu_supports("avx2")) {
        int rc = gridr__rs_get_kernel_base_avx2(kind, dt, k);
        k->store = gridr__rs_store_avx2;
        return rc;
    }
#endif
    int rc = gridr__rs_get_kernel_base(kind, dt, k);
    k->store = gridr__rs_store;
    return rc;
}

/* ---- stores  --------------------------------------------------------------------------------- */

/* Round half to even for |v| < 2^52 (v already clipped to an integer type's range). */
static inline double round_even_clipped(double v)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    const double c = 4503599627370496.0;
    double up = (v + c) - c, dn = (v - c) + c;
    return v >= 0 ? up : dn;
#else
    return gridr_round_even(v);
#endif
}

/* v NaN -> 0, clipped to [lo, hi], rounded half to even (lo, hi integers). */
static inline double clip_round(double v, double lo, double hi)
{
    v = v == v ? v : 0;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return round_even_clipped(v);
}

#if defined(__SSE2__) && FLT_EVAL_METHOD == 0
/* The same on two lanes, to int32 (types whose range fits in int32). */
static inline __m128i vclip_round_i32(v2d v, v2d lo, v2d hi)
{
    const v2d c = vsplat(4503599627370496.0);
    v = vsel(veq(v, v), v, vsplat(0.0));
    v = vmin(vmax(v, lo), hi);
    v2d up = (v + c) - c, dn = (v - c) + c;
    return _mm_cvttpd_epi32(vsel(vge(v, vsplat(0.0)), up, dn));
}

#define DEFINE_STORE_INT(NAME, T, LO, HI)                                                          \
    static void NAME(void *dst, const double *acc, long n)                                         \
    {                                                                                              \
        T *d = dst;                                                                                \
        const v2d lo = vsplat(LO), hi = vsplat(HI);                                                \
        long j = 0;                                                                                \
        for (; j + 2 <= n; j += 2) {                                                               \
            int32_t q[4];                                                                          \
            _mm_storeu_si128((__m128i *)q, vclip_round_i32(vload(acc + j), lo, hi));               \
            d[j] = (T)q[0];                                                                        \
            d[j + 1] = (T)q[1];                                                                    \
        }                                                                                          \
        for (; j < n; j++)                                                                         \
            d[j] = (T)clip_round(acc[j], LO, HI);                                                  \
    }
#else
#define DEFINE_STORE_INT(NAME, T, LO, HI)                                                          \
    static void NAME(void *dst, const double *acc, long n)                                         \
    {                                                                                              \
        T *d = dst;                                                                                \
        for (long j = 0; j < n; j++)                                                               \
            d[j] = (T)clip_round(acc[j], LO, HI);                                                  \
    }
#endif

DEFINE_STORE_INT(store_u8, uint8_t, 0.0, 255.0)
DEFINE_STORE_INT(store_u16, uint16_t, 0.0, 65535.0)
DEFINE_STORE_INT(store_i16, int16_t, -32768.0, 32767.0)
DEFINE_STORE_INT(store_i32, int32_t, -2147483648.0, 2147483647.0)

/* u32 does not fit in int32: scalar, through int64. */
static void store_u32(void *dst, const double *acc, long n)
{
    uint32_t *d = dst;
    for (long j = 0; j < n; j++)
        d[j] = (uint32_t)(int64_t)clip_round(acc[j], 0.0, 4294967295.0);
}

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
#endif
