/* gridr: B-spline prefilter as a window-independent truncated FIR, and coefficient masks. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/interp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Why a FIR and not GridR's recursive filters: a recursive filter started at the buffer border
 * makes every coefficient depend (weakly) on where the buffer starts, so two windows sharing a
 * sample would give different bytes. The FIR taps are the exact inverse filter of the sampled
 * b_n (Unser; Briand & Monasse's un-normalised form, so that sum_k c_k b_n(t - k) interpolates),
 * h(j) = sum_i A_i z_i^|j| with A_i = z_i/(z_i^2 - 1) / prod_{l != i} (a_i - a_l),
 * a_i = z_i + 1/z_i: partial fractions of prod_i 1/(u - a_i), u = Z + 1/Z, since
 * sum_k b_n(k) Z^k = prod_i (u - a_i). The terms shrink fast and alternate: no cancellation. */
static void fir_amplitudes(const double *z, int m, double *A)
{
    for (int i = 0; i < m; i++) {
        double ai = z[i] + 1.0 / z[i];
        A[i] = z[i] / (z[i] * z[i] - 1.0);
        for (int l = 0; l < m; l++)
            if (l != i)
                A[i] /= ai - (z[l] + 1.0 / z[l]);
    }
}

static double factorial(int n)
{
    double f = 1.0;
    for (int i = 2; i <= n; i++)
        f *= i;
    return f;
}

/* Smallest half-length H (capped) whose certified 2-D error is <= eps. Truncating h to
 * |j| <= H and folding the signed tail S = sum_{j>H} h(j) = sum_i A_i z_i^{H+1}/(1 - z_i) into
 * the end taps leaves an l1 error (times n!) e1 <= n! * 2 * (T + |S|), T = sum_i |A_i|
 * |z_i|^{H+1}/(1 - |z_i|) >= sum_{j>H} |h(j)|. Columns then rows: the 2-D error of any coefficient
 * is <= (e1 L + (L + e1) e1) max|s| with L = n! ||h||_1 = prod ((1-z_i)/(1+z_i))^2, and B-spline
 * weights are a convex combination, so interpolated values move by at most eps max|s|. */
static int fir_half(const double *z, const double *A, int m, double nf, double eps, int cap)
{
    double L = 1.0;
    for (int i = 0; i < m; i++)
        L *= (1.0 - z[i]) / (1.0 + z[i]);
    L *= L;
    for (int H = 0; H < cap; H++) {
        double T = 0.0, S = 0.0;
        for (int i = 0; i < m; i++) {
            double p = pow(z[i], H + 1);
            T += fabs(A[i] * p) / (1.0 - fabs(z[i]));
            S += A[i] * p / (1.0 - z[i]);
        }
        double e1 = nf * 2.0 * (T + fabs(S));
        if (e1 * (2.0 * L + e1) <= eps)
            return H;
    }
    return cap;
}

int gridr_bspline_fir(int n, double eps, double *h, int *H)
{
    double z[5], A[5];
    int m = gridr_bspline_poles(n, z);
    if (!H)
        return gridr__fail(GRIDR_EINVAL, "B-spline FIR: no output for H");
    if (m == 0)
        return gridr__fail(GRIDR_EINVAL, "B-spline order %d: must be 3, 5, 7, 9 or 11", n);
    int L0 = gridr_bspline_margin(n, eps); /* also checks eps */
    if (L0 < 0)
        return L0;
    fir_amplitudes(z, m, A);
    double nf = factorial(n);
    /* Cap: GridR's invalidated band L0 - m, so that H + m <= L0 = the halo. */
    int hl = fir_half(z, A, m, nf, eps, L0 - m);
    *H = hl;
    if (!h)
        return 0;
    double S = 0.0;
    for (int j = 0; j <= hl; j++) {
        double v = 0.0;
        for (int i = 0; i < m; i++)
            v += A[i] * pow(z[i], j);
        h[hl + j] = h[hl - j] = v;
    }
    for (int i = 0; i < m; i++)
        S += A[i] * pow(z[i], hl + 1) / (1.0 - z[i]);
    h[0] += S;
    h[2 * hl] += S; /* H = 0: the single tap gets both halves */
    /* Remove the last rounding residue of the DC gain (exactly 1/n! in exact arithmetic). */
    double sum = h[hl];
    for (int j = 1; j <= hl; j++)
        sum += 2.0 * h[hl + j];
    double delta = (1.0 / nf - sum) / (hl > 0 ? 2.0 : 1.0);
    h[0] += delta;
    if (hl > 0)
        h[2 * hl] += delta;
    return 0;
}

/* Cache blocking of the column pass: a block of CBLOCK columns of the 2H + RBAND input rows a
 * band needs stays in L2 while the band's rows are computed, so each input sample comes from
 * memory about (2H + RBAND) / RBAND times instead of 2H + 1. */
#define CBLOCK 512
#define RBAND 16

/* d[k] = hh[0] s[k] + sum_{j=1..H} hh[j] (s[k - j step] + s[k + j step]) for k in [k0, k1),
 * always accumulated in that order whatever the lane or block position, so a coefficient does
 * not depend on the buffer it is computed in. step = 1 filters along a row, step = the row
 * stride along columns. 4 vectors of V doubles (GCC/clang vector extension: lane-wise IEEE
 * operations, no contraction with -std=c11, so a lane computes exactly what the scalar tail
 * computes) accumulated over j (named, not an array: GCC keeps arrays of vectors on the stack at
 * -O2). Defined twice: two lanes (SSE2) and four (the AVX2 build, picked at run time).
 * Callers make s[k0 - H step .. k1 + H step) readable; d and s disjoint. */
#define DEFINE_FIR_RUN(NAME, V, ATTR)                                                              \
    typedef double NAME##_v __attribute__((vector_size(8 * V)));                                   \
    ATTR static inline NAME##_v NAME##_ld(const double *p)                                         \
    {                                                                                              \
        NAME##_v v;                                                                                \
        memcpy(&v, p, sizeof v);                                                                   \
        return v;                                                                                  \
    }                                                                                              \
    ATTR static void NAME(const double *hh, int H, const double *s, long step, long k0, long k1,   \
                          double *restrict d)                                                      \
    {                                                                                              \
        long k = k0;                                                                               \
        for (; k + 4 * V <= k1; k += 4 * V) {                                                      \
            const double *c = s + k;                                                               \
            NAME##_v h0 = hh[0] - (NAME##_v){0};                                                   \
            NAME##_v a0 = h0 * NAME##_ld(c), a1 = h0 * NAME##_ld(c + V);                           \
            NAME##_v a2 = h0 * NAME##_ld(c + 2 * V), a3 = h0 * NAME##_ld(c + 3 * V);               \
            for (int j = 1; j <= H; j++) {                                                         \
                const double *lo = c - j * step, *hi = c + j * step;                               \
                NAME##_v hj = hh[j] - (NAME##_v){0};                                               \
                a0 += hj * (NAME##_ld(lo) + NAME##_ld(hi));                                        \
                a1 += hj * (NAME##_ld(lo + V) + NAME##_ld(hi + V));                                \
                a2 += hj * (NAME##_ld(lo + 2 * V) + NAME##_ld(hi + 2 * V));                        \
                a3 += hj * (NAME##_ld(lo + 3 * V) + NAME##_ld(hi + 3 * V));                        \
            }                                                                                      \
            memcpy(d + k, &a0, sizeof a0);                                                         \
            memcpy(d + k + V, &a1, sizeof a1);                                                     \
            memcpy(d + k + 2 * V, &a2, sizeof a2);                                                 \
            memcpy(d + k + 3 * V, &a3, sizeof a3);                                                 \
        }                                                                                          \
        for (; k < k1; k++) {                                                                      \
            double a = hh[0] * s[k];                                                               \
            for (int j = 1; j <= H; j++)                                                           \
                a += hh[j] * (s[k - j * step] + s[k + j * step]);                                  \
            d[k] = a;                                                                              \
        }                                                                                          \
    }

DEFINE_FIR_RUN(fir_run_sse2, 2, )
#if defined(__GNUC__) && defined(__x86_64__)
#define FIR_AVX2 1
DEFINE_FIR_RUN(fir_run_avx2, 4, __attribute__((target("avx2"))))
#endif

typedef void (*fir_fn)(const double *hh, int H, const double *s, long step, long k0, long k1,
                       double *restrict d);

/* The AVX2 build when the CPU has it and GRIDR_NO_AVX2 is unset (the same bits either way). */
static fir_fn fir_pick(void)
{
#ifdef FIR_AVX2
    if (gridr__config()->avx2 && __builtin_cpu_supports("avx2"))
        return fir_run_avx2;
#endif
    return fir_run_sse2;
}

int gridr_bspline_prefilter_1d(const double *h, int H, const double *src, long len, double *dst)
{
    if (!h || !src || !dst || H < 0 || len < 0)
        return gridr__fail(GRIDR_EINVAL, "B-spline prefilter: bad arguments (H %d, length %ld)", H,
                           len);
    if (len > 2L * H)
        fir_pick()(h + H, H, src, 1, H, len - H, dst);
    return 0;
}

/* Rows [r0, r1) (at most RBAND), a block of CBLOCK columns at a time: the column pass of the
 * block into t (rows of `cols`), then the row pass of the outputs whose taps t now holds (up to
 * H columns before the block's end), while those rows of t are still in cache. */
static void prefilter_band(fir_fn fir_run, const double *hh, int H, const double *src, long ss,
                           long cols, double *dst, long ds, long r0, long r1, double *t)
{
    long done = H; /* outputs of the row pass before this column are written */
    for (long b0 = 0; b0 < cols; b0 += CBLOCK) {
        long b1 = GRIDR__MIN(b0 + CBLOCK, cols), e = b1 == cols ? cols - H : b1 - H;
        for (long r = r0; r < r1; r++) {
            const double *row = src + (size_t)r * (size_t)ss;
            fir_run(hh, H, row, ss, b0, b1, t + (size_t)(r - r0) * (size_t)cols);
        }
        for (long r = r0; e > done && r < r1; r++)
            fir_run(hh, H, t + (size_t)(r - r0) * (size_t)cols, 1, done, e,
                    dst + (size_t)r * (size_t)ds);
        done = GRIDR__MAX(done, e);
    }
}

int gridr_bspline_prefilter(const double *h, int H, const double *src, long src_stride, long rows,
                            long cols, double *dst, long dst_stride, long row_begin, long row_end)
{
    if (!h || !src || !dst || H < 0 || rows < 0 || cols < 0 || src_stride < cols ||
        dst_stride < cols)
        return gridr__fail(GRIDR_EINVAL,
                           "B-spline prefilter: bad geometry (H %d, %ld x %ld, strides %ld/%ld)", H,
                           rows, cols, src_stride, dst_stride);
    long r0 = GRIDR__MAX(row_begin, (long)H), r1 = GRIDR__MIN(row_end, rows - H);
    if (r0 >= r1 || cols <= 2L * H)
        return 0;
    double *t = malloc((size_t)RBAND * (size_t)cols * sizeof *t);
    if (!t)
        return gridr__fail(GRIDR_ENOMEM, "B-spline prefilter: no memory for %d x %ld samples",
                           RBAND, cols);
    fir_fn fir = fir_pick();
    for (long b = r0; b < r1; b += RBAND)
        prefilter_band(fir, h + H, H, src, src_stride, cols, dst, dst_stride, b,
                       GRIDR__MIN(b + RBAND, r1), t);
    free(t);
    return 0;
}

/* ---- masks ---------------------------------------------------------------------------------- */

static int check_mask_args(const char *what, double d, long rows, long cols, long ms, long os,
                           int have_buffers)
{
    if (!have_buffers || rows < 0 || cols < 0 || ms < cols || os < cols || !(d >= 0))
        return gridr__fail(GRIDR_EINVAL,
                           "%s: bad arguments (radius %g, %ld x %ld, strides %ld/%ld)", what, d,
                           rows, cols, ms, os);
    return 0;
}

/* Radius in whole samples: |dx| + |dy| <= d with integers is |dx| + |dy| <= floor(d). */
static long whole_radius(double d, long rows, long cols)
{
    double cap = (double)rows + (double)cols;
    return d >= cap ? (long)cap : (long)floor(d);
}

/* Exact L1 distance (capped at cap) from each cell to the nearest invalid sample of the buffer:
 * two raster sweeps of the 4-neighbour chamfer, exact for the city-block metric. */
static void l1_distance(const uint8_t *mask, long ms, long rows, long cols, int32_t cap,
                        int32_t *dist)
{
    for (long r = 0; r < rows; r++) {
        int32_t *d = dist + r * cols;
        const uint8_t *m = mask + r * ms;
        for (long k = 0; k < cols; k++) {
            int32_t v = m[k] ? cap : 0;
            if (r > 0 && d[k - cols] + 1 < v)
                v = d[k - cols] + 1;
            if (k > 0 && d[k - 1] + 1 < v)
                v = d[k - 1] + 1;
            d[k] = v;
        }
    }
    for (long r = rows - 1; r >= 0; r--) {
        int32_t *d = dist + r * cols;
        for (long k = cols - 1; k >= 0; k--) {
            if (r + 1 < rows && d[k + cols] + 1 < d[k])
                d[k] = d[k + cols] + 1;
            if (k + 1 < cols && d[k + 1] + 1 < d[k])
                d[k] = d[k + 1] + 1;
        }
    }
}

int gridr_bspline_mask_dilate(double d, const uint8_t *mask, long mask_stride, long rows, long cols,
                              uint8_t *out, long out_stride)
{
    int rc = check_mask_args("B-spline mask dilation", d, rows, cols, mask_stride, out_stride,
                             mask && out);
    if (rc)
        return rc;
    long D = whole_radius(d, rows, cols);
    if (D == 0) {
        for (long r = 0; r < rows; r++)
            for (long k = 0; k < cols; k++)
                out[r * out_stride + k] = mask[r * mask_stride + k] != 0;
        return 0;
    }
    int32_t *dist = malloc((size_t)rows * (size_t)cols * sizeof *dist);
    if (!dist && rows > 0 && cols > 0)
        return gridr__fail(GRIDR_ENOMEM, "B-spline mask dilation: no memory for %ld x %ld", rows,
                           cols);
    l1_distance(mask, mask_stride, rows, cols, (int32_t)(D + 1), dist);
    for (long r = 0; r < rows; r++)
        for (long k = 0; k < cols; k++)
            out[r * out_stride + k] = dist[r * cols + k] > D;
    free(dist);
    return 0;
}

/* Box erosion of the valid samples by [-H, H]^2, on the interior [B, rows-B) x [B, cols-B) of out
 * (already zeroed): sliding counts of invalid samples, vertically per column then along the row.
 * Integer arithmetic: exact and independent of the buffer. */
static int box_erode(int H, long B, const uint8_t *mask, long ms, long rows, long cols,
                     uint8_t *out, long os)
{
    int32_t *cnt = calloc((size_t)cols, sizeof *cnt);
    if (!cnt)
        return gridr__fail(GRIDR_ENOMEM, "B-spline coefficient mask: no memory");
    for (long i = B - H; i <= B + H; i++)
        for (long k = 0; k < cols; k++)
            cnt[k] += mask[i * ms + k] == 0;
    for (long r = B; r < rows - B; r++) {
        long run = 0;
        for (long k = B - H; k <= B + H; k++)
            run += cnt[k] > 0;
        for (long k = B; k < cols - B; k++) {
            out[r * os + k] = run == 0;
            if (k + 1 < cols - B)
                run += (cnt[k + H + 1] > 0) - (cnt[k - H] > 0);
        }
        if (r + 1 < rows - B) {
            const uint8_t *add = mask + (r + H + 1) * ms, *sub = mask + (r - H) * ms;
            for (long k = 0; k < cols; k++)
                cnt[k] += (add[k] == 0) - (sub[k] == 0);
        }
    }
    free(cnt);
    return 0;
}

/* out &= (no invalid sample within L1 distance D), on the whole buffer. */
static int and_ball(double d, const uint8_t *mask, long ms, long rows, long cols, uint8_t *out,
                    long os)
{
    uint8_t *ball = malloc((size_t)rows * (size_t)cols);
    if (!ball)
        return gridr__fail(GRIDR_ENOMEM, "B-spline coefficient mask: no memory");
    int rc = gridr_bspline_mask_dilate(d, mask, ms, rows, cols, ball, cols);
    for (long r = 0; rc == 0 && r < rows; r++)
        for (long k = 0; k < cols; k++)
            out[r * os + k] &= ball[r * cols + k];
    free(ball);
    return rc;
}

int gridr_bspline_coef_mask(gridr_bspline_mask_rule rule, int H, double d, const uint8_t *mask,
                            long mask_stride, long rows, long cols, uint8_t *out, long out_stride)
{
    int rc = check_mask_args("B-spline coefficient mask", d, rows, cols, mask ? mask_stride : cols,
                             out_stride, out != NULL);
    if (rc)
        return rc;
    if (H < 0 || (rule != GRIDR_BSPLINE_MASK_TAPS && rule != GRIDR_BSPLINE_MASK_SUPPORT))
        return gridr__fail(GRIDR_EINVAL, "B-spline coefficient mask: bad H %d or rule %d", H,
                           (int)rule);
    long D = whole_radius(d, rows, cols), B = GRIDR__MAX((long)H, D);
    for (long r = 0; r < rows; r++)
        memset(out + r * out_stride, 0, (size_t)cols);
    if (rows <= 2 * B || cols <= 2 * B)
        return 0;
    for (long r = B; r < rows - B; r++)
        memset(out + r * out_stride + B, 1, (size_t)(cols - 2 * B));
    if (!mask)
        return 0;
    if (rule == GRIDR_BSPLINE_MASK_SUPPORT)
        rc = box_erode(H, B, mask, mask_stride, rows, cols, out, out_stride);
    /* The ball of radius d lies inside the box when floor(d) <= H. */
    if (rc == 0 && (rule == GRIDR_BSPLINE_MASK_TAPS || D > H))
        rc = and_ball(d, mask, mask_stride, rows, cols, out, out_stride);
    return rc;
}
