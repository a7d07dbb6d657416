/* gridr: the kernels' WL-lane vectors (SSE2: 2 lanes, AVX2 build: 4 lanes), for files compiled
 * twice. */
#ifndef GRIDR_RESAMPLE_VW_H
#define GRIDR_RESAMPLE_VW_H

#include <stdint.h>
#include <string.h>

#include "resample_impl.h"

/* ---- pass-1 vectors --------------------------------------------------------------------------
 * A file including this one is compiled twice: as is (SSE2, two lanes) and from its _avx2.c twin
 * under
 * `#pragma GCC target("avx2")` with GRIDR__KERN_AVX2 (four lanes, VEX encoding); the dispatcher
 * picks at run time. Lane operations are the same IEEE operations in both (no FMA: -std=c11
 * turns contraction off), so both give the same bits. */
#if defined(GRIDR__KERN_AVX2)
#include <immintrin.h>
#define WL 4
typedef __m256d vw;
typedef __m256d vwm;
#define KFN(name) name##_avx2

static inline vw wsplat(double x)
{
    return _mm256_set1_pd(x);
}

static inline vw wload(const double *p)
{
    return _mm256_loadu_pd(p);
}

static inline void wstore(double *p, vw v)
{
    _mm256_storeu_pd(p, v);
}

static inline vwm wge(vw a, vw b)
{
    return _mm256_cmp_pd(a, b, _CMP_GE_OQ);
}

static inline vwm wgt(vw a, vw b)
{
    return _mm256_cmp_pd(a, b, _CMP_GT_OQ);
}

static inline vwm weq(vw a, vw b)
{
    return _mm256_cmp_pd(a, b, _CMP_EQ_OQ);
}

static inline vwm wand(vwm a, vwm b)
{
    return _mm256_and_pd(a, b);
}

static inline vw wsel(vwm m, vw a, vw b)
{
    return _mm256_blendv_pd(b, a, m);
}

static inline vw wabs(vw v)
{
    return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
}

static inline vw wclamp(vw v, vw lo, vw hi)
{
    return _mm256_min_pd(_mm256_max_pd(v, lo), hi); /* NaN -> lo */
}

static inline vw wfloor_small(vw v)
{
    vw t = _mm256_cvtepi32_pd(_mm256_cvttpd_epi32(v));
    return t - _mm256_and_pd(wgt(t, v), wsplat(1.0));
}

static inline vw wone(vwm m)
{
    return _mm256_and_pd(m, wsplat(1.0));
}
#else
#define WL 2
typedef v2d vw;
typedef v2m vwm;
#define KFN(name) name
#define wsplat vsplat
#define wload vload
#define wstore vstore
#define wge vge
#define wgt vgt
#define weq veq
#define wand vand
#define wsel vsel
#define wabs vabs
#define wclamp vclamp
#define wfloor_small vfloor_small
#define wone vone
#endif

/* Store a lane mask as WL int64 flags (-1 / 0). */
static inline void wstore_mask(int64_t *p, vwm m)
{
    memcpy(p, &m, sizeof m);
}

#endif
