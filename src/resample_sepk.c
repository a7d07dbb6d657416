/* gridr: separable-grid kernels: one source row through the column weights, rows combined. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resample_impl.h"
#include "resample_vw.h"

/* Compiled twice like resample_kern.c (SSE2 here, AVX2 from resample_sepk_avx2.c). Both rows
 * do the generic pass 2's operations in its order, lane by lane: per source row the column dot
 * product from 0 (taps ascending), then per output pixel 0 + the row weights times those
 * (rows ascending). Same IEEE operations, hence the same bits as the generic kernels. */

/* Lanes of WL consecutive columns of one source row: tap t of columns j .. j + WL - 1. */
#if WL == 4
#define GATHER(T, q, bc, j, t)                                                                     \
    _mm256_set_pd((double)(q)[(bc)[(j) + 3] + (t)], (double)(q)[(bc)[(j) + 2] + (t)],              \
                  (double)(q)[(bc)[(j) + 1] + (t)], (double)(q)[(bc)[(j)] + (t)])
#else
#define GATHER(T, q, bc, j, t) vpair((double)(q)[(bc)[(j)] + (t)], (double)(q)[(bc)[(j) + 1] + (t)])
#endif

/* h[j] = sum_t wc[t * ws + j] * q[bc[j] + t], t ascending from 0, for j in [0, n). */
#define DEFINE_HROW(T, SUF, KB)                                                                    \
    static void hrow_##SUF##_##KB(const void *row, const int32_t *restrict bc,                     \
                                  const double *restrict wc, long ws, long n, double *restrict h)  \
    {                                                                                              \
        const T *q = row;                                                                          \
        long j = 0;                                                                                \
        for (; j + WL <= n; j += WL) {                                                             \
            vw d = wsplat(0.0);                                                                    \
            _Pragma("GCC unroll 16") for (int t = 0; t < (KB); t++) d =                            \
                d + wload(wc + t * ws + j) * GATHER(T, q, bc, j, t);                               \
            wstore(h + j, d);                                                                      \
        }                                                                                          \
        for (; j < n; j++) {                                                                       \
            double d = 0;                                                                          \
            for (int t = 0; t < (KB); t++)                                                         \
                d += wc[t * ws + j] * (double)q[bc[j] + t];                                        \
            h[j] = d;                                                                              \
        }                                                                                          \
    }

#define DEFINE_HROWS(T, SUF)                                                                       \
    DEFINE_HROW(T, SUF, 2)                                                                         \
    DEFINE_HROW(T, SUF, 4)                                                                         \
    static const gridr__rs_hrow_fn hrows_##SUF[2] = {hrow_##SUF##_2, hrow_##SUF##_4};

DEFINE_HROWS(uint8_t, u8)
DEFINE_HROWS(uint16_t, u16)
DEFINE_HROWS(int16_t, i16)
DEFINE_HROWS(uint32_t, u32)
DEFINE_HROWS(int32_t, i32)
DEFINE_HROWS(float, f32)
DEFINE_HROWS(double, f64)

/* B-spline coefficients (f64), wider boxes. */
DEFINE_HROW(double, f64, 6)
DEFINE_HROW(double, f64, 8)
DEFINE_HROW(double, f64, 10)
DEFINE_HROW(double, f64, 12)

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

static gridr__rs_hrow_fn hrow_direct(gridr_dtype dt, int kb)
{
    static const gridr__rs_hrow_fn *const by_type[GRIDR_DT_COUNT] = {
        [GRIDR_DT_U8] = hrows_u8,   [GRIDR_DT_U16] = hrows_u16, [GRIDR_DT_I16] = hrows_i16,
        [GRIDR_DT_U32] = hrows_u32, [GRIDR_DT_I32] = hrows_i32, [GRIDR_DT_F32] = hrows_f32,
        [GRIDR_DT_F64] = hrows_f64,
    };
    if (dt <= GRIDR_DT_UNKNOWN || dt >= GRIDR_DT_COUNT || !by_type[dt] || (kb != 2 && kb != 4))
        return NULL;
    return by_type[dt][kb / 2 - 1];
}

int KFN(gridr__rs_get_sep_base)(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k)
{
    static const gridr__rs_hrow_fn wide[4] = {hrow_f64_6, hrow_f64_8, hrow_f64_10, hrow_f64_12};
    k->vrow = vrow;
#if defined(GRIDR__KERN_AVX2)
    k->store = gridr__rs_store_avx2;
#else
    k->store = gridr__rs_store;
#endif
    k->hrow = hrow_direct(dt, kb);
    if (!k->hrow && dt == GRIDR_DT_F64 && kb >= 6 && kb <= 12 && kb % 2 == 0)
        k->hrow = wide[kb / 2 - 3];
    return k->hrow ? 0 : -1;
}

#if !defined(GRIDR__KERN_AVX2)
int gridr__rs_get_sep(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k)
{
#if GRIDR__HAVE_AVX2_KERN
    const char *no = getenv("GRIDR_NO_AVX2");
    if (__builtin_cpu_supports("avx2") && !(no && *no && *no != '0'))
        return gridr__rs_get_sep_base_avx2(dt, kb, k);
#endif
    return gridr__rs_get_sep_base(dt, kb, k);
}
#endif
