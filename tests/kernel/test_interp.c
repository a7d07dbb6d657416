/* gridr tests: interp kernels, weights, B-spline poles, margins, FIR prefilter and masks. */
#include "unit.h"

#include "kernel/interp_kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const int orders[] = {3, 5, 7, 9, 11};
static const double eps_list[] = {1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-12};

/* Deterministic pseudo-random numbers in [-1, 1) (xorshift), independent of libc. */
static uint64_t rng_state = 88172645463325252ULL;
static double rnd(void)
{
    return 2 * gridr_test_urand(&rng_state) - 1.0;
}

static double factorial(int n)
{
    double f = 1;
    for (int i = 2; i <= n; i++)
        f *= i;
    return f;
}

/* Reference b_n = n! beta_n at an integer: the truncated-power formula in exact integers. */
static double bint(int n, int k)
{
    int64_t s = 0, c = 1; /* c = C(n+1, j) */
    for (int j = 0; j <= n + 1; j++) {
        int64_t y = k + (n + 1) / 2 - j, p = 1;
        for (int i = 0; i < n && y > 0; i++)
            p *= y;
        if (y > 0)
            s += (j & 1) ? -c * p : c * p;
        c = c * (n + 1 - j) / (j + 1);
    }
    return (double)s;
}

/* Reference b_n anywhere, independent of the library's recurrence: the degree recursion
 * b_n(x) = ((n+1)/2 + x) b_{n-1}(x + 1/2) + ((n+1)/2 - x) b_{n-1}(x - 1/2), b_0 = 1 on
 * [-1/2, 1/2). Non-negative terms only: accurate in plain double (valgrind has no long double). */
static double bref(int n, double x)
{
    if (n == 0)
        return x >= -0.5 && x < 0.5 ? 1.0 : 0.0;
    if (fabs(x) >= (n + 1) / 2.0)
        return 0.0;
    return ((n + 1) / 2.0 + x) * bref(n - 1, x + 0.5) + ((n + 1) / 2.0 - x) * bref(n - 1, x - 0.5);
}

/* Keys a = -0.5 by its piecewise definition. */
static double keys(double s)
{
    s = fabs(s);
    if (s <= 1)
        return 1.5 * s * s * s - 2.5 * s * s + 1;
    if (s < 2)
        return -0.5 * s * s * s + 2.5 * s * s - 4 * s + 2;
    return 0;
}

static double offset(int i, int nsteps)
{
    return -0.5 + (double)i / nsteps;
}

static void test_names(void)
{
    gridr_interp_kind k;
    ASSERT_OK(gridr_interp_parse("bilinear", &k));
    CU_ASSERT_EQUAL(k, GRIDR_INTERP_LINEAR);
    ASSERT_OK(gridr_interp_parse("BSpline11", &k));
    CU_ASSERT_EQUAL(k, GRIDR_INTERP_BSPLINE11);
    ASSERT_OK(gridr_interp_parse("bicubic", &k));
    CU_ASSERT_EQUAL(k, GRIDR_INTERP_CUBIC);
    ASSERT_STATUS(gridr_interp_parse("bspline4", &k), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "'bspline4'"));
    CU_ASSERT_STRING_EQUAL(gridr_interp_name(GRIDR_INTERP_BSPLINE7), "bspline7");
    CU_ASSERT_STRING_EQUAL(gridr_interp_name((gridr_interp_kind)4), "unknown");
    CU_ASSERT(gridr_interp_is_bspline(GRIDR_INTERP_BSPLINE9));
    CU_ASSERT(!gridr_interp_is_bspline(GRIDR_INTERP_CUBIC));
    CU_ASSERT_EQUAL(gridr_interp_taps(GRIDR_INTERP_NEAREST), 1);
    CU_ASSERT_EQUAL(gridr_interp_taps(GRIDR_INTERP_LINEAR), 3);
    CU_ASSERT_EQUAL(gridr_interp_taps(GRIDR_INTERP_CUBIC), 5);
    CU_ASSERT_EQUAL(gridr_interp_taps(GRIDR_INTERP_BSPLINE11), 13);
    CU_ASSERT_EQUAL(gridr_interp_halo(GRIDR_INTERP_NEAREST, 1e-6), 1);
    CU_ASSERT_EQUAL(gridr_interp_halo(GRIDR_INTERP_LINEAR, 1e-6), 1);
    CU_ASSERT_EQUAL(gridr_interp_halo(GRIDR_INTERP_CUBIC, 1e-6), 2);
    CU_ASSERT_EQUAL(gridr_interp_halo(GRIDR_INTERP_BSPLINE3, 1e-4), 11);
    CU_ASSERT_EQUAL(gridr_interp_halo(GRIDR_INTERP_BSPLINE5, 1e-6), 31);
    ASSERT_STATUS(gridr_interp_halo(GRIDR_INTERP_BSPLINE5, 0), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_interp_halo((gridr_interp_kind)4, 1e-6), GRIDR_EINVAL);
}

static void test_weights_sum(void)
{
    const gridr_interp_kind simple[] = {GRIDR_INTERP_NEAREST, GRIDR_INTERP_LINEAR,
                                        GRIDR_INTERP_CUBIC};
    double w[GRIDR_INTERP_MAX_TAPS];
    for (int i = 0; i < 1000; i++) {
        double x = offset(i, 1000);
        for (int k = 0; k < 3; k++) {
            double s = 0;
            gridr_interp_weights(simple[k], x, w);
            for (int j = 0; j < gridr_interp_taps(simple[k]); j++)
                s += w[j];
            CU_ASSERT_DOUBLE_EQUAL(s, 1.0, 1e-15);
        }
        for (int o = 0; o < 5; o++) {
            int n = orders[o];
            double s = 0;
            gridr_interp_weights((gridr_interp_kind)n, x, w);
            for (int j = 0; j < n + 2; j++)
                s += w[j];
            CU_ASSERT_DOUBLE_EQUAL(s / factorial(n), 1.0, 1e-15);
        }
    }
}

static void test_linear_keys_values(void)
{
    double w[5];
    gridr_interp_weights(GRIDR_INTERP_LINEAR, 0.25, w);
    CU_ASSERT(w[0] == 0 && w[1] == 0.75 && w[2] == 0.25);
    gridr_interp_weights(GRIDR_INTERP_LINEAR, -0.25, w);
    CU_ASSERT(w[0] == 0.25 && w[1] == 0.75 && w[2] == 0);
    gridr_interp_weights(GRIDR_INTERP_NEAREST, 0.3, w);
    CU_ASSERT_EQUAL(w[0], 1.0);
    /* Keys at x = 0.25 by hand: taps c-1..c+2 at distances 1.25, 0.25, 0.75, 1.75. */
    gridr_interp_weights(GRIDR_INTERP_CUBIC, 0.25, w);
    CU_ASSERT_EQUAL(w[0], 0.0);
    CU_ASSERT_DOUBLE_EQUAL(w[1], -0.0703125, 1e-16);
    CU_ASSERT_DOUBLE_EQUAL(w[2], 0.8671875, 1e-16);
    CU_ASSERT_DOUBLE_EQUAL(w[3], 0.2265625, 1e-16);
    CU_ASSERT_DOUBLE_EQUAL(w[4], -0.0234375, 1e-16);
    gridr_interp_weights(GRIDR_INTERP_CUBIC, 0.0, w);
    CU_ASSERT(w[0] == 0 && w[1] == 0 && w[2] == 1 && w[3] == 0 && w[4] == 0);
    /* Every offset: w[i] = W(x + 2 - i), the definition. */
    for (int i = 0; i < 200; i++) {
        double x = offset(i, 200) + 0.00123;
        gridr_interp_weights(GRIDR_INTERP_CUBIC, x, w);
        for (int j = 0; j < 5; j++)
            CU_ASSERT_DOUBLE_EQUAL(w[j], keys(x + 2 - j), 1e-14);
    }
}

/* Keys a = -0.5 reproduces quadratics: sum_i w_i f(c - 2 + i) = f(t) for f(k) = k^2. */
static void test_keys_quadratic(void)
{
    double w[5];
    for (int i = 0; i < 500; i++) {
        double t = 3.0 + 7.3 * (i / 500.0);
        double c = floor(t + 0.5), x = t - c, v = 0;
        gridr_interp_weights(GRIDR_INTERP_CUBIC, x, w);
        for (int j = 0; j < 5; j++)
            v += w[j] * (c - 2 + j) * (c - 2 + j);
        CU_ASSERT_DOUBLE_EQUAL(v, t * t, 1e-12);
    }
}

static void test_bspline_values(void)
{
    static const double at_int[5][6] = {{4, 1},
                                        {66, 26, 1},
                                        {2416, 1191, 120, 1},
                                        {156190, 88234, 14608, 502, 1},
                                        {15724248, 9738114, 2203488, 152637, 2036, 1}};
    double w[GRIDR_INTERP_MAX_TAPS];
    for (int o = 0; o < 5; o++) {
        int n = orders[o], h = (n + 2) / 2;
        gridr_interp_weights((gridr_interp_kind)n, 0.0, w);
        for (int i = 0; i < n + 2; i++) /* exact integers at x = 0 */
            CU_ASSERT_EQUAL(w[i], abs(h - i) <= n / 2 ? at_int[o][abs(h - i)] : 0.0);
        for (int i = 0; i < 300; i++) { /* natural order: w[i] = b_n(x + K/2 - i) */
            double x = offset(i, 300) + 0.000731;
            gridr_interp_weights((gridr_interp_kind)n, x, w);
            for (int j = 0; j < n + 2; j++)
                CU_ASSERT_DOUBLE_EQUAL(w[j], bref(n, x + h - j), 1e-12 * factorial(n));
        }
    }
    /* b3 by its closed form: 4 - 6x^2 + 3|x|^3, (2 - |x|)^3. */
    gridr_interp_weights(GRIDR_INTERP_BSPLINE3, 0.25, w);
    CU_ASSERT_EQUAL(w[0], 0.0);
    CU_ASSERT_DOUBLE_EQUAL(w[1], 0.421875, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(w[2], 3.671875, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(w[3], 1.890625, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(w[4], 0.015625, 1e-15);
}

/* The inline kernels of src/interp_kernels.h are what the public function returns. */
static void test_inline_kernels(void)
{
    const gridr_interp_kind all[] = {GRIDR_INTERP_NEAREST,  GRIDR_INTERP_LINEAR,
                                     GRIDR_INTERP_CUBIC,    GRIDR_INTERP_BSPLINE3,
                                     GRIDR_INTERP_BSPLINE5, GRIDR_INTERP_BSPLINE7,
                                     GRIDR_INTERP_BSPLINE9, GRIDR_INTERP_BSPLINE11};
    double a[GRIDR_INTERP_MAX_TAPS], b[GRIDR_INTERP_MAX_TAPS];
    for (int k = 0; k < 8; k++) {
        gridr__weights_fn fn = gridr__interp_weights_fn(all[k]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
        fn(-0.3125, a);
        gridr_interp_weights(all[k], -0.3125, b);
        CU_ASSERT_EQUAL(memcmp(a, b, sizeof(double) * (size_t)gridr_interp_taps(all[k])), 0);
    }
    CU_ASSERT_PTR_NULL(gridr__interp_weights_fn((gridr_interp_kind)4));
}

static void test_poles(void)
{
    double z[5];
    CU_ASSERT_EQUAL(gridr_bspline_poles(3, z), 1);
    CU_ASSERT_EQUAL(z[0], -0.2679491924311227);
    CU_ASSERT_DOUBLE_EQUAL(z[0], sqrt(3.0) - 2.0, 2e-16);
    CU_ASSERT_EQUAL(gridr_bspline_poles(5, z), 2);
    CU_ASSERT_EQUAL(z[1], -0.04309628820326465);
    CU_ASSERT_EQUAL(gridr_bspline_poles(7, z), 3);
    CU_ASSERT_EQUAL(z[2], -0.009148694809608277);
    CU_ASSERT_EQUAL(gridr_bspline_poles(9, z), 4);
    CU_ASSERT_EQUAL(z[0], -0.6079973891686259);
    CU_ASSERT_EQUAL(gridr_bspline_poles(11, z), 5);
    CU_ASSERT_EQUAL(z[4], -0.0005105575344465021);
    CU_ASSERT_EQUAL(gridr_bspline_poles(4, z), 0);
    /* Each pole is a root of sum_k b_n(k) z^k (k = -n/2..n/2). */
    for (int o = 0; o < 5; o++) {
        int n = orders[o], m = gridr_bspline_poles(n, z);
        for (int i = 0; i < m; i++) {
            double p = 0;
            for (int k = -n / 2; k <= n / 2; k++)
                p += bint(n, k) * pow(z[i], k + n / 2);
            CU_ASSERT_DOUBLE_EQUAL(p, 0.0, 1e-12 * factorial(n));
        }
    }
}

static void test_margins(void)
{
    static const int table[5][6] = {{7, 9, 11, 14, 18, 24},
                                    {17, 21, 24, 31, 38, 52},
                                    {30, 37, 42, 52, 62, 83},
                                    {47, 55, 63, 77, 91, 121},
                                    {70, 78, 87, 105, 125, 161}};
    for (int o = 0; o < 5; o++)
        for (int e = 0; e < 6; e++)
            CU_ASSERT_EQUAL(gridr_bspline_margin(orders[o], eps_list[e]), table[o][e]);
    CU_ASSERT_EQUAL(gridr_bspline_trunc(3, 1, 1e-6), 13);
    CU_ASSERT_EQUAL(gridr_bspline_trunc(5, 1, 1e-6), 22);
    CU_ASSERT_EQUAL(gridr_bspline_trunc(5, 2, 1e-6), 7);
    static const int n11[] = {58, 20, 11, 7, 4};
    for (int i = 1; i <= 5; i++)
        CU_ASSERT_EQUAL(gridr_bspline_trunc(11, i, 1e-6), n11[i - 1]);
    ASSERT_STATUS(gridr_bspline_trunc(11, 6, 1e-6), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_trunc(4, 1, 1e-6), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_margin(3, 1.0), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_margin(3, NAN), GRIDR_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "precision"));
}

static void test_mask_radius(void)
{
    CU_ASSERT_DOUBLE_EQUAL(gridr_bspline_mask_radius(3, 0.01), 3.5, 0.01);
    static const double r[] = {5.25, 8.20, 11.05, 13.88, 16.70};
    for (int o = 0; o < 5; o++)
        CU_ASSERT_DOUBLE_EQUAL(gridr_bspline_mask_radius(orders[o], 0.001), r[o], 0.01);
    CU_ASSERT_EQUAL(gridr_bspline_mask_radius(5, 1.0), 0.0);
    CU_ASSERT_EQUAL(gridr_bspline_mask_radius(5, 2.0), 0.0);
    CU_ASSERT(isinf(gridr_bspline_mask_radius(5, 0.0)));
    CU_ASSERT(isnan(gridr_bspline_mask_radius(6, 0.5)));
}

/* FIR: symmetric, DC gain exactly 1/n!, inverts the sampled basis up to eps, documented H. */
static void test_fir(void)
{
    double h[2 * 400 + 1];
    int H;
    for (int o = 0; o < 5; o++) {
        int n = orders[o];
        for (int e = 0; e < 6; e++) {
            ASSERT_OK(gridr_bspline_fir(n, eps_list[e], NULL, &H));
            CU_ASSERT(H >= 1 && H + n / 2 <= gridr_bspline_margin(n, eps_list[e]));
            ASSERT_OK(gridr_bspline_fir(n, eps_list[e], h, &H));
            double s = 0;
            for (int j = 0; j <= 2 * H; j++) {
                s += h[j];
                CU_ASSERT_EQUAL(h[j], h[2 * H - j]);
            }
            CU_ASSERT_DOUBLE_EQUAL(s * factorial(n), 1.0, 1e-14);
            /* (h * b_n)(k) = delta(k), away from the truncation */
            for (int k = -H + n / 2; k <= H - n / 2; k++) {
                double v = 0;
                for (int i = -(n / 2); i <= n / 2; i++)
                    v += bint(n, i) * h[H + k - i];
                CU_ASSERT_DOUBLE_EQUAL(v, k == 0 ? 1.0 : 0.0, eps_list[e]);
            }
        }
    }
    int Hs[4];
    gridr_bspline_fir(3, 1e-4, NULL, &Hs[0]);
    gridr_bspline_fir(3, 1e-6, NULL, &Hs[1]);
    gridr_bspline_fir(5, 1e-6, NULL, &Hs[2]);
    gridr_bspline_fir(11, 1e-6, NULL, &Hs[3]);
    CU_ASSERT(Hs[0] == 9 && Hs[1] == 13 && Hs[2] == 22 && Hs[3] == 59);
    /* The halo covers the FIR plus the taps for any precision. */
    for (double eps = 0.5; eps > 1e-15; eps /= 3.7)
        for (int o = 0; o < 5; o++) {
            ASSERT_OK(gridr_bspline_fir(orders[o], eps, NULL, &H));
            CU_ASSERT(H + orders[o] / 2 <= gridr_interp_halo((gridr_interp_kind)orders[o], eps));
        }
    ASSERT_STATUS(gridr_bspline_fir(4, 1e-6, h, &H), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_fir(3, 0.0, h, &H), GRIDR_EINVAL);
}

/* 1-D: c = prefilter(s) then sum_k c_k b_n(j - k) = s_j within eps max|s|. */
static void test_prefilter_1d(void)
{
    enum { LEN = 200 };
    double s[LEN], c[LEN], h[2 * 100 + 1];
    const double eps[] = {1e-4, 1e-6, 1e-10};
    for (int i = 0; i < LEN; i++)
        s[i] = 100 * rnd();
    for (int o = 0; o < 5; o++) {
        int n = orders[o], H;
        for (int e = 0; e < 3; e++) {
            ASSERT_OK(gridr_bspline_fir(n, eps[e], h, &H));
            ASSERT_OK(gridr_bspline_prefilter_1d(h, H, s, LEN, c));
            double worst = 0;
            for (int j = H + n / 2; j < LEN - H - n / 2; j++) {
                double v = 0;
                for (int i = -(n / 2); i <= n / 2; i++)
                    v += c[j - i] * bint(n, i);
                worst = fmax(worst, fabs(v - s[j]));
            }
            CU_ASSERT(worst <= eps[e] * 100);
            CU_ASSERT(LEN - 2 * H - n > 10);
        }
    }
}

/* Interpolate coefficients c (rows x cols, valid in [lo, hi) on both axes) at (tr, tc). */
static double interp2(int n, const double *c, long cols, double tr, double tc)
{
    double wr[GRIDR_INTERP_MAX_TAPS], wc[GRIDR_INTERP_MAX_TAPS], v = 0;
    long cr = (long)floor(tr + 0.5), cc = (long)floor(tc + 0.5), h = (n + 2) / 2;
    gridr_interp_weights((gridr_interp_kind)n, tr - (double)cr, wr);
    gridr_interp_weights((gridr_interp_kind)n, tc - (double)cc, wc);
    for (int i = 0; i < n + 2; i++) {
        double row = 0;
        if (wr[i] == 0)
            continue;
        for (int j = 0; j < n + 2; j++)
            if (wc[j] != 0)
                row += wc[j] * c[(cr - h + i) * cols + cc - h + j];
        v += wr[i] * row;
    }
    return v;
}

/* 2-D: interpolation passes through the samples; a ramp is reproduced at sub-pixel positions. */
static void test_prefilter_2d(void)
{
    enum { R = 120, C = 126 };
    double *s = malloc(sizeof(double) * R * C), *c = malloc(sizeof(double) * R * C);
    double *ramp = malloc(sizeof(double) * R * C), h[2 * 60 + 1];
    for (int i = 0; i < R * C; i++) {
        s[i] = 50 * rnd();
        ramp[i] = 3.25 + 0.75 * (i / C) - 1.5 * (i % C);
    }
    for (int o = 0; o < 5; o++) {
        int n = orders[o], H;
        ASSERT_OK(gridr_bspline_fir(n, 1e-4, h, &H));
        ASSERT_OK(gridr_bspline_prefilter(h, H, s, C, R, C, c, C, 0, R));
        double worst = 0;
        for (int r = H + n / 2; r < R - H - n / 2; r++)
            for (int k = H + n / 2; k < C - H - n / 2; k++)
                worst = fmax(worst, fabs(interp2(n, c, C, r, k) - s[r * C + k]));
        CU_ASSERT(worst <= 1e-4 * 50);
        ASSERT_OK(gridr_bspline_prefilter(h, H, ramp, C, R, C, c, C, 0, R));
        worst = 0;
        for (int i = 0; i < 200; i++) {
            double tr = H + n / 2 + (R - 2 * H - n - 1) * (0.5 + 0.5 * rnd());
            double tc = H + n / 2 + (C - 2 * H - n - 1) * (0.5 + 0.5 * rnd());
            worst = fmax(worst, fabs(interp2(n, c, C, tr, tc) - (3.25 + 0.75 * tr - 1.5 * tc)));
        }
        CU_ASSERT(worst <= 1e-9);
    }
    free(s);
    free(c);
    free(ramp);
}

/* Window independence: coefficients of a sub-window are bit-identical to the whole buffer's. */
static void test_prefilter_windows(void)
{
    enum { R = 110, C = 130 };
    double *s = malloc(sizeof(double) * R * C), *full = malloc(sizeof(double) * R * C);
    double *sub = malloc(sizeof(double) * R * C), h[2 * 60 + 1];
    double *win = malloc(sizeof(double) * (R * (C + 3) + 1));
    static const int wins[][4] = {{0, 0, 110, 130},   {3, 5, 100, 121}, {7, 1, 101, 103},
                                  {11, 17, 110, 130}, {1, 2, 108, 127}, {20, 30, 60, 70}};
    for (int i = 0; i < R * C; i++)
        s[i] = 1000 * rnd();
    for (int o = 0; o < 5; o += 2) {
        int n = orders[o], H;
        ASSERT_OK(gridr_bspline_fir(n, 1e-3, h, &H));
        ASSERT_OK(gridr_bspline_prefilter(h, H, s, C, R, C, full, C, 0, R));
        for (size_t w = 0; w < sizeof wins / sizeof wins[0]; w++) {
            int r0 = wins[w][0], c0 = wins[w][1], nr = wins[w][2] - r0, nc = wins[w][3] - c0;
            int same = 1, split = nr / 3 + 1;
            /* a copy of the window (other stride, other alignment), in two row ranges */
            long st = nc + 3;
            for (int r = 0; r < nr; r++)
                memcpy(win + 1 + r * st, s + (r + r0) * C + c0, sizeof(double) * (size_t)nc);
            ASSERT_OK(gridr_bspline_prefilter(h, H, win + 1, st, nr, nc, sub, nc, 0, split));
            ASSERT_OK(gridr_bspline_prefilter(h, H, win + 1, st, nr, nc, sub, nc, split, nr));
            for (int r = H; r < nr - H; r++)
                for (int k = H; k < nc - H; k++)
                    same &= memcmp(&sub[r * nc + k], &full[(r + r0) * C + k + c0], 8) == 0;
            /* and a view into the whole buffer */
            ASSERT_OK(gridr_bspline_prefilter(h, H, s + r0 * C + c0, C, nr, nc, sub, nc, 0, nr));
            for (int r = H; r < nr - H; r++)
                for (int k = H; k < nc - H; k++)
                    same &= memcmp(&sub[r * nc + k], &full[(r + r0) * C + k + c0], 8) == 0;
            CU_ASSERT(same);
        }
    }
    free(s);
    free(full);
    free(sub);
    free(win);
}

static void test_prefilter_args(void)
{
    double h[3] = {0, 1, 0}, s[16] = {0}, d[16];
    ASSERT_STATUS(gridr_bspline_prefilter(h, 1, s, 3, 4, 4, d, 4, 0, 4), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_prefilter(NULL, 1, s, 4, 4, 4, d, 4, 0, 4), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_prefilter_1d(h, -1, s, 16, d), GRIDR_EINVAL);
    /* too small: nothing computed, nothing written */
    d[0] = 42;
    ASSERT_OK(gridr_bspline_prefilter(h, 2, s, 4, 4, 4, d, 4, 0, 4));
    CU_ASSERT_EQUAL(d[0], 42);
}

/* Brute-force references for the masks. */
static int bf_ball_valid(const uint8_t *m, int R, int C, int r, int k, long D)
{
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            if (!m[i * C + j] && labs((long)(i - r)) + labs((long)(j - k)) <= D)
                return 0;
    return 1;
}

static int bf_coef_valid(const uint8_t *m, int R, int C, int r, int k, int rule, int H, double d)
{
    long D = (long)floor(d), B = H > D ? H : D;
    if (r < B || k < B || r >= R - B || k >= C - B)
        return 0;
    for (int i = r - H; rule == GRIDR_BSPLINE_MASK_SUPPORT && i <= r + H; i++)
        for (int j = k - H; j <= k + H; j++)
            if (!m[i * C + j])
                return 0;
    return bf_ball_valid(m, R, C, r, k, D);
}

/* Both rules against brute force, and a sub-window agrees wherever it has a coefficient. */
static void check_coef_mask(const uint8_t *m, int R, int C, int rule, int H, double d)
{
    uint8_t *out = malloc((size_t)(R * C)), *sub = malloc((size_t)(R * C));
    int ok = 1, r0 = 5, c0 = 9, nr = 25, nc = 30, B = H > (int)d ? H : (int)d;
    ASSERT_OK(gridr_bspline_coef_mask(rule, H, d, m, C, R, C, out, C));
    for (int r = 0; r < R; r++)
        for (int k = 0; k < C; k++)
            ok &= out[r * C + k] == bf_coef_valid(m, R, C, r, k, rule, H, d);
    CU_ASSERT(ok);
    ASSERT_OK(gridr_bspline_coef_mask(rule, H, d, m + r0 * C + c0, C, nr, nc, sub, nc));
    for (int r = B; r < nr - B; r++)
        for (int k = B; k < nc - B; k++)
            ok &= sub[r * nc + k] == out[(r + r0) * C + k + c0];
    CU_ASSERT(ok);
    free(out);
    free(sub);
}

static void test_masks(void)
{
    enum { R = 37, C = 45 };
    uint8_t m[R * C], out[R * C], copy[R * C];
    for (int i = 0; i < R * C; i++)
        m[i] = rnd() > -0.985 ? 7 : 0; /* ~0.75 % invalid, non-zero = valid */
    memcpy(copy, m, sizeof m);
    const double radii[] = {0, 0.99, 1, 2.5, 3.5, 5.25};
    for (int t = 0; t < 6; t++) {
        int ok = 1;
        ASSERT_OK(gridr_bspline_mask_dilate(radii[t], m, C, R, C, out, C));
        for (int r = 0; r < R; r++)
            for (int k = 0; k < C; k++)
                ok &= out[r * C + k] == bf_ball_valid(m, R, C, r, k, (long)floor(radii[t]));
        CU_ASSERT(ok);
        for (int H = 0; H <= 4; H += 2) {
            check_coef_mask(m, R, C, GRIDR_BSPLINE_MASK_TAPS, H, radii[t]);
            check_coef_mask(m, R, C, GRIDR_BSPLINE_MASK_SUPPORT, H, radii[t]);
        }
    }
    ASSERT_OK(gridr_bspline_coef_mask(GRIDR_BSPLINE_MASK_SUPPORT, 3, 0, NULL, 0, R, C, out, C));
    CU_ASSERT(out[3 * C + 3] == 1 && out[2 * C + 3] == 0 && out[(R - 4) * C + C - 4] == 1 &&
              out[(R - 3) * C + 5] == 0);
    ASSERT_OK(gridr_bspline_mask_dilate(0, m, C, R, C, m, C)); /* in place: 0/1 */
    int same = 1;
    for (int i = 0; i < R * C; i++)
        same &= m[i] == (copy[i] != 0);
    CU_ASSERT(same);
    ASSERT_STATUS(gridr_bspline_mask_dilate(-1, m, C, R, C, out, C), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_bspline_coef_mask(GRIDR_BSPLINE_MASK_TAPS, -1, 0, m, C, R, C, out, C),
                  GRIDR_EINVAL);
}

/* Scaled filters: tap counts, halos, weights against their definitions, clipping. */
static void test_scaled_filters(void)
{
    gridr_interp_kind k;
    ASSERT_OK(gridr_interp_parse("Lanczos", &k));
    CU_ASSERT_EQUAL(k, GRIDR_INTERP_LANCZOS);
    ASSERT_OK(gridr_interp_parse("average", &k));
    CU_ASSERT_STRING_EQUAL(gridr_interp_name(GRIDR_INTERP_MODE), "mode");
    CU_ASSERT(gridr_interp_is_filter(GRIDR_INTERP_CUBIC) &&
              !gridr_interp_is_filter(GRIDR_INTERP_NEAREST));
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_LINEAR, 2), 4);
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_CUBIC, 7.5), 30);
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_CUBIC, 0.5), 4);
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_LANCZOS, 1), 6);
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_AVERAGE, 2), 3);
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_NEAREST, 2), 0);
    CU_ASSERT_EQUAL(gridr_interp_scaled_taps(GRIDR_INTERP_CUBIC, NAN), 0);
    CU_ASSERT_EQUAL(gridr_interp_scaled_halo(GRIDR_INTERP_CUBIC, 7.5), 16);
    /* GDAL's warper's rule: within 0.05 of a whole reduction, that reduction */
    CU_ASSERT_EQUAL(gridr_interp_snap_reduction(1.03), 1.0);
    CU_ASSERT_EQUAL(gridr_interp_snap_reduction(2.96), 3.0);
    CU_ASSERT_EQUAL(gridr_interp_snap_reduction(3.04), 3.0);
    CU_ASSERT_EQUAL(gridr_interp_snap_reduction(1.06), 1.06);
    CU_ASSERT_EQUAL(gridr_interp_snap_reduction(2.5), 2.5);
    CU_ASSERT_EQUAL(gridr_interp_snap_reduction(0.97), 0.97); /* an enlargement: untouched */
    double w[64];
    static const gridr_interp_kind ks[] = {GRIDR_INTERP_LINEAR, GRIDR_INTERP_CUBIC,
                                           GRIDR_INTERP_LANCZOS, GRIDR_INTERP_AVERAGE};
    for (size_t q = 0; q < 4; q++)
        for (int i = 0; i < 200; i++) {
            double s = 0.3 + 9.7 * (rnd() + 1) / 2, t = 50 + 10 * rnd(), sum = 0, L;
            int n = gridr_interp_scaled_taps(ks[q], s);
            long k0 = gridr_interp_scaled_weights(ks[q], s, t, 0, w);
            L = ks[q] == GRIDR_INTERP_AVERAGE
                    ? (s + 1) / 2
                    : (ks[q] == GRIDR_INTERP_LANCZOS ? 3 : (int)ks[q]) * (s > 1 ? s : 1);
            CU_ASSERT(k0 > t - L && k0 - 1 <= t - L + 1e-9);
            for (int j = 0; j < n; j++) {
                sum += w[j];
                if (fabs(k0 + j - t) >= L)
                    CU_ASSERT_EQUAL(w[j], 0);
            }
            CU_ASSERT_DOUBLE_EQUAL(sum, 1, 1e-12);
        }
    /* Cubic /2 at t = 10.5: Keys at distances 0.25, 0.75 (x2 both sides), normalised. */
    long k0 = gridr_interp_scaled_weights(GRIDR_INTERP_CUBIC, 2, 10.5, 0, w);
    double e[8], es = 0;
    for (int j = 0; j < 8; j++)
        es += e[j] = keys((k0 + j - 10.5) / 2);
    CU_ASSERT_EQUAL(k0, 7);
    for (int j = 0; j < 8; j++)
        CU_ASSERT_DOUBLE_EQUAL(w[j], e[j] / es, 1e-15);
    /* Lanczos at scale 1, t = 0.25: sinc(x) sinc(x / 3) at x = k - 0.25. */
    k0 = gridr_interp_scaled_weights(GRIDR_INTERP_LANCZOS, 1, 0.25, 0, w);
    CU_ASSERT_EQUAL(k0, -2);
    es = 0;
    for (int j = 0; j < 6; j++) {
        double x = M_PI * (k0 + j - 0.25);
        es += e[j] = sin(x) / x * sin(x / 3) / (x / 3);
    }
    for (int j = 0; j < 6; j++)
        CU_ASSERT_DOUBLE_EQUAL(w[j], e[j] / es, 1e-14);
    /* Average /2.5 at t = 4.5: footprint [3.25, 5.75]: overlaps 0.25, 1, 1, 0.25 of 2.5. */
    k0 = gridr_interp_scaled_weights(GRIDR_INTERP_AVERAGE, 2.5, 4.5, 0, w);
    CU_ASSERT_EQUAL(k0, 3);
    CU_ASSERT(fabs(w[0] - 0.1) < 1e-15 && fabs(w[1] - 0.4) < 1e-15);
    CU_ASSERT(fabs(w[2] - 0.4) < 1e-15 && fabs(w[3] - 0.1) < 1e-15);
    /* Clipped to a raster of 6: the tap 6 drops out, the others renormalised. */
    k0 = gridr_interp_scaled_weights(GRIDR_INTERP_AVERAGE, 2.5, 4.5, 6, w);
    CU_ASSERT(fabs(w[0] - 1.0 / 9) < 1e-15 && fabs(w[2] - 4.0 / 9) < 1e-15 && w[3] == 0);
}

static CU_TestInfo tests[] = {{"names, taps, halos", test_names},
                              {"scaled filters", test_scaled_filters},
                              {"weights sum to 1 (n! for B-splines)", test_weights_sum},
                              {"linear and Keys values", test_linear_keys_values},
                              {"Keys reproduces quadratics", test_keys_quadratic},
                              {"B-spline basis values", test_bspline_values},
                              {"inline kernels", test_inline_kernels},
                              {"poles", test_poles},
                              {"L0 table and N(i, eps)", test_margins},
                              {"mask radius", test_mask_radius},
                              {"FIR taps", test_fir},
                              {"1-D prefilter inverts the basis", test_prefilter_1d},
                              {"2-D prefilter interpolates", test_prefilter_2d},
                              {"2-D prefilter window independence", test_prefilter_windows},
                              {"prefilter arguments", test_prefilter_args},
                              {"masks", test_masks},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo gridr_test_interp_suite = {"interp", NULL, NULL, NULL, NULL, tests};
