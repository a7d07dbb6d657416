/* gridr: separable-grid kernels: one source row through the column weights, rows combined. */
#include "base/internal.h"
#include "gridr/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resample_impl.h"
#include "vw.h"

/* Compiled twice like resample_kern.c (SSE2 here, AVX2 from resample_sepk_avx2.c). Both rows
 * do the generic pass 2's operations in its order, lane by lane: per source row the column dot
 * product from 0 (taps ascending), then per output pixel 0 + the row weights times those
 * (rows ascending). Same IEEE operations, hence the same bits as the generic kernels. */

/* Lanes of WL consecutive columns of one f64 source row: tap t of columns j .. j + WL - 1. */
#if WL == 4
#define GATHER(q, bc, j, t)                                                                        \
    _mm256_set_pd((q)[(bc)[(j) + 3] + (t)], (q)[(bc)[(j) + 2] + (t)], (q)[(bc)[(j) + 1] + (t)],    \
                  (q)[(bc)[(j)] + (t)])
#else
#define GATHER(q, bc, j, t) vpair((q)[(bc)[(j)] + (t)], (q)[(bc)[(j) + 1] + (t)])
#endif

/* h[j] = sum_t wc[t * ws + j] * q[bc[j] + t], t ascending from 0, for j in [0, n); the tail. */
static inline void hrow_tail(const double *q, const int32_t *bc, const double *wc, long ws, int kb,
                             long j, long n, double *h)
{
    for (; j < n; j++) {
        double d = 0;
        for (int t = 0; t < kb; t++)
            d += wc[t * ws + j] * q[bc[j] + t];
        h[j] = d;
    }
}

#define DEFINE_HROW(KB)                                                                            \
    static void hrow_##KB(const double *restrict q, const int32_t *restrict bc,                    \
                          const double *restrict wc, long ws, int kb, long n, double *restrict h)  \
    {                                                                                              \
        (void)kb;                                                                                  \
        long j = 0;                                                                                \
        for (; j + WL <= n; j += WL) {                                                             \
            vw d = wsplat(0.0);                                                                    \
            _Pragma("GCC unroll 16") for (int t = 0; t < (KB); t++) d =                            \
                d + wload(wc + t * ws + j) * GATHER(q, bc, j, t);                                  \
            wstore(h + j, d);                                                                      \
        }                                                                                          \
        hrow_tail(q, bc, wc, ws, KB, j, n, h);                                                     \
    }

#if defined(GRIDR__KERN_AVX2)
/* Two and four taps: one load per column, then a transpose into tap vectors (the same lane
 * operations as the gathers, fewer instructions). */
static void hrow_2(const double *restrict q, const int32_t *restrict bc, const double *restrict wc,
                   long ws, int kb, long n, double *restrict h)
{
    (void)kb;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d x = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(q + bc[j])),
                                         _mm_loadu_pd(q + bc[j + 2]), 1);
        __m256d y = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(q + bc[j + 1])),
                                         _mm_loadu_pd(q + bc[j + 3]), 1);
        __m256d d = _mm256_setzero_pd() + _mm256_loadu_pd(wc + j) * _mm256_unpacklo_pd(x, y);
        d = d + _mm256_loadu_pd(wc + ws + j) * _mm256_unpackhi_pd(x, y);
        _mm256_storeu_pd(h + j, d);
    }
    hrow_tail(q, bc, wc, ws, 2, j, n, h);
}

static void hrow_4(const double *restrict q, const int32_t *restrict bc, const double *restrict wc,
                   long ws, int kb, long n, double *restrict h)
{
    (void)kb;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d r0 = _mm256_loadu_pd(q + bc[j]), r1 = _mm256_loadu_pd(q + bc[j + 1]);
        __m256d r2 = _mm256_loadu_pd(q + bc[j + 2]), r3 = _mm256_loadu_pd(q + bc[j + 3]);
        __m256d lo01 = _mm256_unpacklo_pd(r0, r1), hi01 = _mm256_unpackhi_pd(r0, r1);
        __m256d lo23 = _mm256_unpacklo_pd(r2, r3), hi23 = _mm256_unpackhi_pd(r2, r3);
        __m256d d = _mm256_setzero_pd() +
                    _mm256_loadu_pd(wc + j) * _mm256_permute2f128_pd(lo01, lo23, 0x20);
        d = d + _mm256_loadu_pd(wc + ws + j) * _mm256_permute2f128_pd(hi01, hi23, 0x20);
        d = d + _mm256_loadu_pd(wc + 2 * ws + j) * _mm256_permute2f128_pd(lo01, lo23, 0x31);
        d = d + _mm256_loadu_pd(wc + 3 * ws + j) * _mm256_permute2f128_pd(hi01, hi23, 0x31);
        _mm256_storeu_pd(h + j, d);
    }
    hrow_tail(q, bc, wc, ws, 4, j, n, h);
}
#else
DEFINE_HROW(2)
DEFINE_HROW(4)
#endif
DEFINE_HROW(6)
DEFINE_HROW(8)
DEFINE_HROW(10)
DEFINE_HROW(12)

/* Any kb (the scaled filters' wide boxes): the same lane operations, taps in a loop. */
static void hrow_n(const double *restrict q, const int32_t *restrict bc, const double *restrict wc,
                   long ws, int kb, long n, double *restrict h)
{
    long j = 0;
    for (; j + WL <= n; j += WL) {
        vw d = wsplat(0.0);
        for (int t = 0; t < kb; t++)
            d = d + wload(wc + t * ws + j) * GATHER(q, bc, j, t);
        wstore(h + j, d);
    }
    hrow_tail(q, bc, wc, ws, kb, j, n, h);
}

/* A source row segment to f64 (exact for every source type). */
#define DEFINE_CVT(T, SUF)                                                                         \
    static void cvt_##SUF(const void *src, long n, double *restrict dst)                           \
    {                                                                                              \
        const T *p = src;                                                                          \
        for (long j = 0; j < n; j++)                                                               \
            dst[j] = (double)p[j];                                                                 \
    }
DEFINE_CVT(uint8_t, u8)
DEFINE_CVT(int16_t, i16)
DEFINE_CVT(uint32_t, u32)
DEFINE_CVT(int32_t, i32)
DEFINE_CVT(float, f32)

#if defined(GRIDR__KERN_AVX2)
static void cvt_u16(const void *src, long n, double *restrict dst)
{
    const uint16_t *p = src;
    long j = 0;
    for (; j + 4 <= n; j += 4)
        _mm256_storeu_pd(dst + j, _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(
                                      _mm_loadl_epi64((const __m128i *)(const void *)(p + j)))));
    for (; j < n; j++)
        dst[j] = (double)p[j];
}
#else
DEFINE_CVT(uint16_t, u16)
#endif

/* acc[j] = 0 + wr[0] * h[0][j] + wr[1] * h[1][j] + ... (rows ascending), for j in [0, n). */
static void vrow(const double *const *h, const double *wr, int kb, long n, double *restrict acc)
{
    long j = 0;
    for (; j + WL <= n; j += WL) {
        vw a = wsplat(0.0);
        for (int k = 0; k < kb; k++)
            a = a + wsplat(wr[k]) * wload(h[k] + j);
        wstore(acc + j, a);
    }
    for (; j < n; j++) {
        double a = 0;
        for (int k = 0; k < kb; k++)
            a += wr[k] * h[k][j];
        acc[j] = a;
    }
}

int KFN(gridr__rs_get_sep_base)(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k)
{
    static const gridr__rs_hrow_fn hrows[6] = {hrow_2, hrow_4, hrow_6, hrow_8, hrow_10, hrow_12};
    static const gridr__rs_cvt_fn cvts[GRIDR_DT_COUNT] = {
        [GRIDR_DT_U8] = cvt_u8,   [GRIDR_DT_U16] = cvt_u16, [GRIDR_DT_I16] = cvt_i16,
        [GRIDR_DT_U32] = cvt_u32, [GRIDR_DT_I32] = cvt_i32, [GRIDR_DT_F32] = cvt_f32,
    };
    if (dt <= GRIDR_DT_UNKNOWN || dt >= GRIDR_DT_COUNT || kb < 2)
        return -1;
    k->hrow = kb <= 12 && kb % 2 == 0 ? hrows[kb / 2 - 1] : hrow_n;
    k->cvt = cvts[dt];
    k->vrow = vrow;
#if defined(GRIDR__KERN_AVX2)
    k->store = gridr__rs_store_avx2;
#else
    k->store = gridr__rs_store;
#endif
    return 0;
}

#if !defined(GRIDR__KERN_AVX2)
int gridr__rs_get_sep(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k)
{
#if GRIDR__HAVE_AVX2_KERN
    if (gridr__config()->avx2 && __builtin_cpu_supports("avx2"))
        return gridr__rs_get_sep_base_avx2(dt, kb, k);
#endif
    return gridr__rs_get_sep_base(dt, kb, k);
}
#endif
