/* gridr: interpolation kernels: names, stencils, halos, weights, B-spline poles and margins. */
#include "base/internal.h"
#include "gridr/interp.h"

#include "interp_kernels.h"

#include <math.h>
#include <strings.h>

typedef struct kernel_info {
    gridr_interp_kind kind;
    const char *name;
    const char *alias;
} kernel_info;

static const kernel_info kernels[] = {
    {GRIDR_INTERP_NEAREST, "nearest", NULL},   {GRIDR_INTERP_LINEAR, "linear", "bilinear"},
    {GRIDR_INTERP_CUBIC, "cubic", "bicubic"},  {GRIDR_INTERP_BSPLINE3, "bspline3", NULL},
    {GRIDR_INTERP_BSPLINE5, "bspline5", NULL}, {GRIDR_INTERP_BSPLINE7, "bspline7", NULL},
    {GRIDR_INTERP_BSPLINE9, "bspline9", NULL}, {GRIDR_INTERP_BSPLINE11, "bspline11", NULL},
    {GRIDR_INTERP_LANCZOS, "lanczos", NULL},   {GRIDR_INTERP_AVERAGE, "average", NULL},
    {GRIDR_INTERP_MODE, "mode", NULL},
};

#define NKERNELS (sizeof kernels / sizeof kernels[0])

/* Poles of the un-normalised B-splines, GridR's constants (gx_bspline_prefiltering.rs). */
static const double poles3[] = {-0.2679491924311227};
static const double poles5[] = {-0.4305753470999738, -0.04309628820326465};
static const double poles7[] = {-0.5352804307964382, -0.1225546151923267, -0.009148694809608277};
static const double poles9[] = {-0.6079973891686259, -0.2017505201931532, -0.04322260854048175,
                                -0.002121306903180818};
static const double poles11[] = {-0.6612660689007345, -0.2721803492947859, -0.08975959979371331,
                                 -0.01666962736623466, -0.0005105575344465021};

int gridr_interp_parse(const char *text, gridr_interp_kind *out)
{
    if (!text || !out)
        return gridr__fail(GRIDR_EINVAL, "interpolation: no name given");
    for (size_t i = 0; i < NKERNELS; i++) {
        if (strcasecmp(text, kernels[i].name) == 0 ||
            (kernels[i].alias && strcasecmp(text, kernels[i].alias) == 0)) {
            *out = kernels[i].kind;
            return 0;
        }
    }
    return gridr__fail(GRIDR_EINVAL,
                       "unknown interpolation '%s' (nearest, linear, cubic, bspline3, bspline5, "
                       "bspline7, bspline9, bspline11, lanczos, average, mode)",
                       text);
}

const char *gridr_interp_name(gridr_interp_kind k)
{
    for (size_t i = 0; i < NKERNELS; i++)
        if (kernels[i].kind == k)
            return kernels[i].name;
    return "unknown";
}

int gridr_interp_is_bspline(gridr_interp_kind k)
{
    return k == GRIDR_INTERP_BSPLINE3 || k == GRIDR_INTERP_BSPLINE5 || k == GRIDR_INTERP_BSPLINE7 ||
           k == GRIDR_INTERP_BSPLINE9 || k == GRIDR_INTERP_BSPLINE11;
}

int gridr_interp_taps(gridr_interp_kind k)
{
    switch (k) {
    case GRIDR_INTERP_NEAREST:
        return 1;
    case GRIDR_INTERP_LINEAR:
        return 3;
    case GRIDR_INTERP_CUBIC:
        return 5;
    case GRIDR_INTERP_LANCZOS:
        return 7;
    case GRIDR_INTERP_AVERAGE:
    case GRIDR_INTERP_MODE:
        return 3;
    default:
        return gridr_interp_is_bspline(k) ? (int)k + 2 : 0;
    }
}

int gridr_interp_halo(gridr_interp_kind k, double eps)
{
    switch (k) {
    case GRIDR_INTERP_NEAREST:
    case GRIDR_INTERP_LINEAR:
    case GRIDR_INTERP_AVERAGE:
    case GRIDR_INTERP_MODE:
        return 1;
    case GRIDR_INTERP_CUBIC:
        return 2;
    case GRIDR_INTERP_LANCZOS:
        return 3;
    default:
        if (gridr_interp_is_bspline(k))
            return gridr_bspline_margin((int)k, eps); /* >= H + floor(n/2), see gridr__fir */
        return gridr__fail(GRIDR_EINVAL, "interpolation halo: unknown kernel %d", (int)k);
    }
}

void gridr_interp_weights(gridr_interp_kind k, double x, double *w)
{
    gridr__weights_fn fn = gridr__interp_weights_fn(k);
    if (fn)
        fn(x, w);
}

/* ---- scaled filters (antialiasing) and footprint kernels ------------------------------------ */

int gridr_interp_is_filter(gridr_interp_kind k)
{
    return k == GRIDR_INTERP_LINEAR || k == GRIDR_INTERP_CUBIC || k == GRIDR_INTERP_LANCZOS ||
           k == GRIDR_INTERP_AVERAGE || k == GRIDR_INTERP_MODE;
}

/* Half-width L of the open interval (t - L, t + L) of samples with a non-zero weight; 0 when k
 * is not a filter or s is not finite and > 0. */
static double scaled_reach(gridr_interp_kind k, double s)
{
    if (!(s > 0 && s < 1e9) || !gridr_interp_is_filter(k))
        return 0;
    switch (k) {
    case GRIDR_INTERP_AVERAGE:
    case GRIDR_INTERP_MODE:
        return (s + 1) / 2;
    case GRIDR_INTERP_LINEAR:
        return s > 1 ? s : 1;
    case GRIDR_INTERP_CUBIC:
        return 2 * (s > 1 ? s : 1);
    default:
        return 3 * (s > 1 ? s : 1);
    }
}

int gridr_interp_scaled_taps(gridr_interp_kind k, double s)
{
    double L = scaled_reach(k, s);
    return L > 0 ? (int)ceil(2 * L) : 0;
}

double gridr_interp_snap_reduction(double s)
{
    double n = floor(s + 0.5);
    return s > 1 && fabs(s - n) < 0.05 ? n : s;
}

long gridr_interp_scaled_halo(gridr_interp_kind k, double s)
{
    double L = scaled_reach(k, s);
    return L > 0 ? (long)ceil(L) + 1 : 0;
}

#define PI 3.14159265358979323846

/* The unscaled kernels at x (0 outside their support). */
static double kernel_at(gridr_interp_kind k, double x)
{
    double a = fabs(x);
    switch (k) {
    case GRIDR_INTERP_LINEAR:
        return a < 1 ? 1 - a : 0;
    case GRIDR_INTERP_CUBIC: /* Keys, a = -0.5 */
        if (a < 1)
            return (1.5 * a - 2.5) * a * a + 1;
        return a < 2 ? ((-0.5 * a + 2.5) * a - 4) * a + 2 : 0;
    default: /* lanczos, a = 3 */
        if (a == 0)
            return 1;
        if (a >= 3)
            return 0;
        return 3 * sin(PI * a) * sin(PI * a / 3) / (PI * PI * a * a);
    }
}

long gridr_interp_scaled_weights(gridr_interp_kind k, double s, double t, long clip_n, double *w)
{
    const double L = scaled_reach(k, s);
    const int n = gridr_interp_scaled_taps(k, s);
    const long k0 = (long)floor(t - L) + 1;
    const int foot = k == GRIDR_INTERP_AVERAGE || k == GRIDR_INTERP_MODE;
    const double sc = s > 1 ? s : 1, lo = t - s / 2, hi = t + s / 2;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double c = (double)(k0 + i);
        if (foot) {
            double a = c - 0.5 > lo ? c - 0.5 : lo, b = c + 0.5 < hi ? c + 0.5 : hi;
            w[i] = b - a > 1e-9 ? b - a : 0; /* no weight from rounding slivers */
        } else {
            w[i] = kernel_at(k, (c - t) / sc);
        }
        if (clip_n > 0 && (k0 + i < 0 || k0 + i >= clip_n))
            w[i] = 0;
        sum += w[i];
    }
    for (int i = 0; sum != 0 && i < n; i++)
        w[i] /= sum;
    return k0;
}

int gridr_bspline_poles(int n, double *z)
{
    const double *p;
    int m;
    switch (n) {
    case 3:
        p = poles3, m = 1;
        break;
    case 5:
        p = poles5, m = 2;
        break;
    case 7:
        p = poles7, m = 3;
        break;
    case 9:
        p = poles9, m = 4;
        break;
    case 11:
        p = poles11, m = 5;
        break;
    default:
        return 0;
    }
    for (int i = 0; i < m; i++)
        z[i] = p[i];
    return m;
}

/* Poles of order n into z (count m), or a failure naming the caller's argument. */
static int check_order(int n, double eps, double *z, int *m)
{
    *m = gridr_bspline_poles(n, z);
    if (*m == 0)
        return gridr__fail(GRIDR_EINVAL, "B-spline order %d: must be 3, 5, 7, 9 or 11", n);
    if (!(eps > 0 && eps < 1))
        return gridr__fail(GRIDR_EINVAL, "B-spline precision %g: must lie in (0, 1)", eps);
    return 0;
}

/* N(i, eps) for all poles (1-based i stored at index i-1): the 2-D adaptation of Briand &
 * Monasse's Theorem 2, as GridR: mu_1 = 0, mu_k = l_k S_k / (1 + l_k S_k) with l_k = ln|z_k|,
 * S_k = sum_{i<k} 1/l_i; rho = (prod (1+z_j)/(1-z_j))^2;
 * N(i) = 1 + floor(ln(rho^2 eps (1-z_i)(1-mu_i) prod_{j>i} mu_j / 2) / ln|z_i|). */
static void trunc_all(const double *z, int m, double eps, int *nt)
{
    double l[5], mu[5], rho = 1.0;
    for (int k = 0; k < m; k++) {
        double s = 0.0;
        l[k] = log(fabs(z[k]));
        for (int i = 0; i < k; i++)
            s += 1.0 / l[i];
        mu[k] = k == 0 ? 0.0 : l[k] * s / (1.0 + l[k] * s);
        rho *= (1.0 + z[k]) / (1.0 - z[k]);
    }
    rho *= rho;
    for (int i = 0; i < m; i++) {
        double p = 1.0;
        for (int j = i + 1; j < m; j++)
            p *= mu[j];
        nt[i] =
            1 + (int)floor(log(0.5 * rho * rho * eps * (1.0 - z[i]) * (1.0 - mu[i]) * p) / l[i]);
    }
}

int gridr_bspline_trunc(int n, int i, double eps)
{
    double z[5];
    int m, nt[5];
    int rc = check_order(n, eps, z, &m);
    if (rc)
        return rc;
    if (i < 1 || i > m)
        return gridr__fail(GRIDR_EINVAL, "B-spline order %d: pole index %d not in [1, %d]", n, i,
                           m);
    trunc_all(z, m, eps, nt);
    return nt[i - 1];
}

int gridr_bspline_margin(int n, double eps)
{
    double z[5];
    int m, nt[5];
    int rc = check_order(n, eps, z, &m);
    if (rc)
        return rc;
    trunc_all(z, m, eps, nt);
    int L = m; /* L_m = m, L_j = L_{j+1} + N(j+1); the margin is L_0 */
    for (int j = m - 1; j >= 0; j--)
        L += nt[j];
    return L;
}

double gridr_bspline_mask_radius(int n, double s)
{
    double z[5];
    if (gridr_bspline_poles(n, z) == 0) {
        gridr__fail(GRIDR_EINVAL, "B-spline order %d: must be 3, 5, 7, 9 or 11", n);
        return NAN;
    }
    if (s >= 1)
        return 0.0;
    if (!(s > 0))
        return HUGE_VAL;
    return log(s) / log(fabs(z[0]));
}
