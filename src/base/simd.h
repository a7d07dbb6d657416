/* gridr: inline numerics (branch-free floor, GridR's 1e-12 rounding) and two-lane double vectors
 * shared by the kernels and the grid code. */
#ifndef GRIDR_BASE_SIMD_H
#define GRIDR_BASE_SIMD_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* floor() without a libm call or a branch (x86-64 baseline has no roundsd), so that loops
 * using it vectorise: exact for every double; NaN and |v| >= 2^52 (already integers) are
 * returned unchanged; -0 gives +0. */
static inline double gridr__floor(double v)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    const double c = 4503599627370496.0; /* 2^52: adding it rounds to an integer */
    double up = (v + c) - c, dn = (v - c) + c;
    double r = v >= 0 ? up : dn;
    r -= (double)(r > v);
    return fabs(v) < c ? r : v;
#else
    return floor(v);
#endif
}

/* GridR's position rounding: floor(1e12 * t + 0.5) / 1e12 (F64_GRID_PRECISION). */
static inline double gridr__round12(double t)
{
    return gridr__floor(1e12 * t + 0.5) / 1e12;
}

/* ---- two-lane vectors ------------------------------------------------------------------------
 * Position/weight loops are written on pairs of pixels so that they have no branch and no libm
 * call, whatever the compiler's vectoriser decides. Arithmetic uses the vector-extension
 * operators (one IEEE operation per lane, no contraction with -std=c11: bit-identical to the
 * scalar formulas); comparisons and selects use SSE2 where available. */
#if defined(__SSE2__)
#include <emmintrin.h>
typedef __m128d v2d; /* two doubles */
typedef __m128d v2m; /* a lane mask: all ones or zero */

static inline v2m vge(v2d a, v2d b)
{
    return _mm_cmpge_pd(a, b);
}

static inline v2m vgt(v2d a, v2d b)
{
    return _mm_cmpgt_pd(a, b);
}

static inline v2m vlt(v2d a, v2d b)
{
    return _mm_cmplt_pd(a, b);
}

static inline v2m veq(v2d a, v2d b)
{
    return _mm_cmpeq_pd(a, b);
}

static inline v2m vand(v2m a, v2m b)
{
    return _mm_and_pd(a, b);
}

/* m ? a : b per lane. */
static inline v2d vsel(v2m m, v2d a, v2d b)
{
    return _mm_or_pd(_mm_and_pd(m, a), _mm_andnot_pd(m, b));
}

static inline v2d vsplat(double x)
{
    return _mm_set1_pd(x);
}

static inline v2d vload(const double *p)
{
    return _mm_loadu_pd(p);
}

static inline void vstore(double *p, v2d v)
{
    _mm_storeu_pd(p, v);
}

static inline v2d vabs(v2d v)
{
    return _mm_andnot_pd(_mm_set1_pd(-0.0), v);
}

/* Lane minimum / maximum; a NaN in v gives m (MINPD/MAXPD return the second operand). */
static inline v2d vmin(v2d v, v2d m)
{
    return _mm_min_pd(v, m);
}

static inline v2d vmax(v2d v, v2d m)
{
    return _mm_max_pd(v, m);
}

/* v clamped to [lo, hi]; NaN gives lo (MAXPD returns its second operand on NaN). */
static inline v2d vclamp(v2d v, v2d lo, v2d hi)
{
    return _mm_min_pd(_mm_max_pd(v, lo), hi);
}

/* floor of values known to lie within the int32 range (two conversions, no 2^52 trick). */
static inline v2d vfloor_small(v2d v)
{
    v2d t = _mm_cvtepi32_pd(_mm_cvttpd_epi32(v));
    return t - _mm_and_pd(_mm_cmpgt_pd(t, v), _mm_set1_pd(1.0));
}

/* Two values into the lanes (a, b). */
static inline v2d vpair(double a, double b)
{
    return _mm_set_pd(b, a);
}

static inline v2d vload2(const double *a, const double *b)
{
    return _mm_loadh_pd(_mm_load_sd(a), b);
}

static inline int vany_nan(v2d v)
{
    return _mm_movemask_pd(_mm_cmpunord_pd(v, v)) != 0;
}

static inline double vlane(v2d v, int i)
{
    double d[2];
    _mm_storeu_pd(d, v);
    return d[i];
}
#else
typedef double v2d __attribute__((vector_size(16)));
typedef int64_t gridr__v2l __attribute__((vector_size(16)));
typedef v2d v2m;

#define GRIDR__VCMP(name, op)                                                                      \
    static inline v2m name(v2d a, v2d b)                                                           \
    {                                                                                              \
        return (v2d)(a op b);                                                                      \
    }
GRIDR__VCMP(vge, >=)
GRIDR__VCMP(vgt, >)
GRIDR__VCMP(vlt, <)
GRIDR__VCMP(veq, ==)

static inline v2m vand(v2m a, v2m b)
{
    return (v2d)((gridr__v2l)a & (gridr__v2l)b);
}

static inline v2d vsel(v2m m, v2d a, v2d b)
{
    return (v2d)(((gridr__v2l)a & (gridr__v2l)m) | ((gridr__v2l)b & ~(gridr__v2l)m));
}

static inline v2d vsplat(double x)
{
    return (v2d){x, x};
}

static inline v2d vload(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void vstore(double *p, v2d v)
{
    memcpy(p, &v, sizeof v);
}

static inline v2d vabs(v2d v)
{
    return (v2d)((gridr__v2l)v & (gridr__v2l){INT64_MAX, INT64_MAX});
}

static inline v2d vmin(v2d v, v2d m)
{
    return vsel(vlt(v, m), v, m);
}

static inline v2d vmax(v2d v, v2d m)
{
    return vsel(vgt(v, m), v, m);
}

static inline v2d vclamp(v2d v, v2d lo, v2d hi)
{
    v2d r = vsel(vge(v, lo), v, lo); /* NaN -> lo */
    return vsel(vgt(r, hi), hi, r);
}

static inline v2d vpair(double a, double b)
{
    return (v2d){a, b};
}

static inline v2d vload2(const double *a, const double *b)
{
    return (v2d){*a, *b};
}

static inline int vany_nan(v2d v)
{
    return v[0] != v[0] || v[1] != v[1];
}

static inline double vlane(v2d v, int i)
{
    return v[i];
}
#endif

/* 1.0 where m, else 0.0. */
static inline v2d vone(v2m m)
{
    return vsel(m, vsplat(1.0), vsplat(0.0));
}

/* gridr__floor on two lanes. */
static inline v2d vfloor(v2d v)
{
    const v2d c = vsplat(4503599627370496.0);
    v2d up = (v + c) - c, dn = (v - c) + c;
    v2d r = vsel(vge(v, vsplat(0.0)), up, dn);
    r = r - vone(vgt(r, v));
    return vsel(vlt(vabs(v), c), r, v);
}

#if !defined(__SSE2__)
static inline v2d vfloor_small(v2d v)
{
    return vfloor(v);
}
#endif

/* gridr__round12 on two lanes. */
static inline v2d vround12(v2d t)
{
    return vfloor(1e12 * t + 0.5) / 1e12;
}

/* The AVX2 builds of kernels and helpers (chosen at run time by the CPU and the config). */
#if defined(__GNUC__) && defined(__x86_64__)
#define GRIDR__HAVE_AVX2 1
#else
#define GRIDR__HAVE_AVX2 0
#endif

#endif
