/* gridr: GDAL's nodata policy: pixels the exact rule leaves invalid, renormalised on valid taps. */
#include "base/internal.h"
#include "gridr/interp.h"
#include "gridr/resample.h"

#include <math.h>
#include <stdint.h>
#include <strings.h>

#include "resample_impl.h"

/* GDAL's threshold under which the valid taps' weights are taken as none (gdalwarp's bilinear). */
#define MIN_WEIGHT 1e-5

static const char *const policy_names[] = {"exact", "renormalize"};

int gridr_nodata_policy_parse(const char *text, gridr_nodata_policy *out)
{
    *out = GRIDR_NODATA_EXACT;
    if (text && strcasecmp(text, "exact") == 0)
        return 0;
    if (text && (strcasecmp(text, "renormalize") == 0 || strcasecmp(text, "renormalise") == 0)) {
        *out = GRIDR_NODATA_RENORMALIZE;
        return 0;
    }
    return gridr__fail(GRIDR_EINVAL, "unknown nodata policy '%s' (expected exact or renormalize)",
                       text ? text : "(null)");
}

const char *gridr_nodata_policy_name(gridr_nodata_policy p)
{
    return (int)p >= 0 && (int)p < 2 ? policy_names[p] : "unknown";
}

/* Window sample (i, j) exists and counts as valid. */
static int usable(const gridr__rs_src *s, long i, long j)
{
    if (i < s->a_r0 || i >= s->a_r1 || j < s->a_c0 || j >= s->a_c1 || i < 0 || j < 0 ||
        i >= s->rows || j >= s->cols)
        return 0;
    return !s->map || s->map[i * s->cols + j];
}

/* Window sample (i, j) lies inside the raster (an unusable one there is nodata or masked). */
static int in_raster(const gridr__rs_run *r, long i, long j)
{
    long ri = r->s->org_r + i, rj = r->s->org_c + j;
    return ri >= 0 && ri < r->raster_rows && rj >= 0 && rj < r->raster_cols;
}

/* GDAL's cubic turns linear when one of the 4 x 4 samples from (floor(t) - 1) is invalid,
 * whatever its weight (a target on a sample included: its zero-weight row or column counts);
 * samples outside the raster do not count here (gdal_translate's edges). */
static int cubic_hole(const gridr__rs_run *r, double tr, double tc)
{
    long i0 = (long)floor(tr) - 1 - r->s->org_r;
    long j0 = (long)floor(tc) - 1 - r->s->org_c;
    for (long i = i0; i < i0 + 4; i++)
        for (long j = j0; j < j0 + 4; j++)
            if (!usable(r->s, i, j) && in_raster(r, i, j))
                return 1;
    return 0;
}

/* Band b of the target (tr, tc) with kernel k: the weighted sum over the usable taps and their
 * weight (*ws). */
static double weighted(const gridr__rs_run *r, gridr_interp_kind k, double tr, double tc, int b,
                       double *ws)
{
    const gridr__rs_src *s = r->s;
    double wr[GRIDR_INTERP_MAX_TAPS], wc[GRIDR_INTERP_MAX_TAPS];
    double fr = floor(tr + 0.5), fc = floor(tc + 0.5), sum = 0;
    int kn = gridr_interp_taps(k);
    gridr_interp_weights(k, tr - fr, wr);
    gridr_interp_weights(k, tc - fc, wc);
    long i0 = (long)fr - kn / 2 - s->org_r, j0 = (long)fc - kn / 2 - s->org_c;
    *ws = 0;
    for (int i = 0; i < kn; i++) {
        for (int j = 0; j < kn && wr[i] != 0; j++) {
            double w = wr[i] * wc[j];
            if (w == 0)
                continue;
            if (!usable(s, i0 + i, j0 + j))
                continue;
            size_t off = (size_t)(b * s->bstride + (i0 + i) * s->rstride + j0 + j);
            sum += w * gridr_dtype_get(s->data, s->dtype, off);
            *ws += w;
        }
    }
    return sum;
}

/* One pixel under the renormalising policy into acc[b * bs]; 0 when it stays invalid. */
static int renorm_pixel(const gridr__rs_run *r, double tr, double tc, double *acc, long bs)
{
    const gridr__rs_src *s = r->s;
    long ni = (long)floor(tr + 0.5) - s->org_r, nj = (long)floor(tc + 0.5) - s->org_c;
    if (!usable(s, ni, nj))
        return 0;
    gridr_interp_kind k = r->interp;
    if (k == GRIDR_INTERP_CUBIC && cubic_hole(r, tr, tc))
        k = GRIDR_INTERP_LINEAR;
    for (int b = 0; b < s->bands; b++) {
        double ws = 0;
        double v = weighted(r, k, tr, tc, b, &ws);
        if (!(ws >= MIN_WEIGHT))
            return 0;
        acc[b * bs] = v / ws;
    }
    return 1;
}

/* A cubic pixel the exact rule computed (its invalid samples have zero weights) whose 4 x 4
 * box holds an invalid sample inside the raster: GDAL takes it linear. The compact box of
 * pass 1 is GDAL's box; its count of invalid samples comes from the prefix sums. */
static int cubic_redo(const gridr__rs_run *r, const gridr__rs_work *w, long j, double tr, double tc)
{
    const gridr__rs_src *s = r->s;
    if (r->interp != GRIDR_INTERP_CUBIC || !s->integ)
        return 0;
    long br = (long)w->br[j], bc = (long)w->bc[j], cw = s->cols + 1;
    if (br >= 0 && bc >= 0 && br + 4 <= s->rows && bc + 4 <= s->cols) {
        const uint32_t *q = s->integ;
        uint32_t bad = q[(br + 4) * cw + bc + 4] - q[br * cw + bc + 4] - q[(br + 4) * cw + bc] +
                       q[br * cw + bc];
        if (bad == 0)
            return 0;
    }
    return cubic_hole(r, tr, tc);
}

void gridr__rs_renorm(const gridr__rs_run *r, const gridr__rs_work *w, const double *tr,
                      const double *tc, const uint8_t *gv, long n, double *acc, long bs, uint8_t *m)
{
    for (long j = 0; j < n; j++) {
        if (!w->ok[j] || !gv[j] || (m[j] && !cubic_redo(r, w, j, tr[j], tc[j])))
            continue;
        if (renorm_pixel(r, tr[j], tc[j], acc + j, bs))
            m[j] = 1;
        else
            for (int b = 0; b < r->s->bands; b++) /* a band may have been written */
                acc[j + b * bs] = r->nodata;
    }
}
