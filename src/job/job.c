/* gridr: job options: defaults, the key table, parsing every option from text, validation. */
#include "base/internal.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/raster.h"
#include "gridr/job.h"

#include "job_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- text parsing --------------------------------------------------------------------------- */

int gridr__job_bad_value(const char *key, const char *v, const char *expected)
{
    return gridr__fail(GRIDR_EINVAL, "bad value '%s' for key '%s' (expected %s)", v, key, expected);
}

static int parse_long(const char *key, const char *v, long lo, long hi, long *out)
{
    char *end = NULL;
    char what[96];
    snprintf(what, sizeof what, "an integer in [%ld, %ld]", lo, hi);
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end || errno == EINVAL)
        return gridr__job_bad_value(key, v, what);
    if (errno == ERANGE || n < lo || n > hi)
        return gridr__fail(GRIDR_ERANGE, "value '%s' for key '%s' is out of range (expected %s)", v,
                           key, what);
    *out = n;
    return 0;
}

/* A finite double; `nonfinite` also lets nan / inf / -inf through (nodata values). */
int gridr__job_parse_double(const char *key, const char *v, int nonfinite, double *out)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || (!nonfinite && !isfinite(d)))
        return gridr__job_bad_value(key, v, nonfinite ? "a number, nan or inf" : "a finite number");
    *out = d;
    return 0;
}

static int parse_bool(const char *key, const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return 0;
        }
    }
    return gridr__job_bad_value(key, v, "true or false");
}

/* "a" or "a,b" into two parts (b = a when absent). Ownership: the caller's buffers. */
int gridr__job_split_pair(const char *key, const char *v, char *a, char *b, size_t n,
                          const char *expected)
{
    const char *comma = strchr(v, ',');
    size_t la = comma ? (size_t)(comma - v) : strlen(v);
    if (la == 0 || la >= n ||
        (comma && (!comma[1] || strchr(comma + 1, ',') || strlen(comma + 1) >= n)))
        return gridr__job_bad_value(key, v, expected);
    memcpy(a, v, la);
    a[la] = '\0';
    snprintf(b, n, "%s", comma ? comma + 1 : a);
    return 0;
}

/* "COLSxROWS" or "N" (square); parts in [lo, hi]. */
static int parse_size(const char *key, const char *v, long lo, long *rows, long *cols)
{
    char a[32], b[32];
    const char *x = strpbrk(v, "xX");
    const char *expected = lo == 0 ? "COLSxROWS such as 512x256, N for NxN, or 0"
                                   : "COLSxROWS such as 512x256, or N for NxN";
    size_t la = x ? (size_t)(x - v) : strlen(v);
    if (la == 0 || la >= sizeof a || (x && (!x[1] || strlen(x + 1) >= sizeof b)))
        return gridr__job_bad_value(key, v, expected);
    memcpy(a, v, la);
    a[la] = '\0';
    snprintf(b, sizeof b, "%s", x ? x + 1 : a);
    long c = 0, r = 0;
    char *end;
    c = strtol(a, &end, 10);
    if (*end || c < lo || c > INT_MAX)
        return gridr__job_bad_value(key, v, expected);
    r = strtol(b, &end, 10);
    if (*end || r < lo || r > INT_MAX || (c == 0) != (r == 0))
        return gridr__job_bad_value(key, v, expected);
    *rows = r;
    *cols = c;
    return 0;
}

/* ---- the key table -------------------------------------------------------------------------- */

#define FIELD(type, j, off) ((type *)(void *)((char *)(j) + (off)))

static int usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)GRIDR__MIN(n, 4096) : 1;
}

static int set_string(gridr_job *j, const gridr__job_key *k, const char *v)
{
    char **field = FIELD(char *, j, k->off);
    char *copy = NULL;
    if (v && !*v)
        return gridr__job_bad_value(k->name, v, "a non-empty string");
    if (v && !(copy = strdup(v)))
        return gridr__fail(GRIDR_ENOMEM, "out of memory setting '%s'", k->name);
    free(*field);
    *field = copy;
    return 0;
}

static int set_int(gridr_job *j, const gridr__job_key *k, const char *v)
{
    long n = (long)k->def;
    int rc = v ? parse_long(k->name, v, (long)k->lo, (long)k->hi, &n) : 0;
    if (!rc)
        *FIELD(int, j, k->off) = (int)n;
    return rc;
}

/* "workers": 1 .. GRIDR_JOB_MAX_WORKERS; default the usable cores, cut at the same bound. */
static int set_workers(gridr_job *j, const gridr__job_key *k, const char *v)
{
    long n = GRIDR__MIN((long)usable_cores(), (long)k->hi);
    int rc = v ? parse_long(k->name, v, (long)k->lo, (long)k->hi, &n) : 0;
    if (rc == GRIDR_ERANGE) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", gridr_last_error());
        return gridr__fail(rc,
                           "%s: the parent keeps one socket per worker, within the usual limit "
                           "of 1024 open files",
                           msg);
    }
    if (!rc)
        j->workers = (int)n;
    return rc;
}

/* Seconds in [lo, hi]; 0 = none. */
static int set_seconds(gridr_job *j, const gridr__job_key *k, const char *v)
{
    double d = k->def;
    int rc = v ? gridr__job_parse_double(k->name, v, 0, &d) : 0;
    if (!rc && !(d >= k->lo && d <= k->hi))
        rc = gridr__fail(GRIDR_ERANGE,
                         "value '%s' for key '%s' is out of range (expected seconds in [%g, %g], "
                         "0 = no limit)",
                         v, k->name, k->lo, k->hi);
    if (!rc)
        *FIELD(double, j, k->off) = d;
    return rc;
}

static int set_long(gridr_job *j, const gridr__job_key *k, const char *v)
{
    long n = (long)k->def;
    int rc = v ? parse_long(k->name, v, (long)k->lo, (long)k->hi, &n) : 0;
    if (!rc)
        *FIELD(long, j, k->off) = n;
    return rc;
}

static int set_bool(gridr_job *j, const gridr__job_key *k, const char *v)
{
    int b = 0;
    int rc = v ? parse_bool(k->name, v, &b) : 0;
    if (!rc)
        *FIELD(int, j, k->off) = b;
    return rc;
}

/* A boolean whose default is true. */
static int set_bool_on(gridr_job *j, const gridr__job_key *k, const char *v)
{
    int b = 1;
    int rc = v ? parse_bool(k->name, v, &b) : 0;
    if (!rc)
        *FIELD(int, j, k->off) = b;
    return rc;
}

/* A double in (lo, hi] (lo open when lo == 0 for eps-like keys) or any finite value if lo > hi. */
static int set_double(gridr_job *j, const gridr__job_key *k, const char *v)
{
    double d = k->def;
    int rc = v ? gridr__job_parse_double(k->name, v, 0, &d) : 0;
    if (!rc && v && k->lo <= k->hi && !(d > k->lo && d <= k->hi))
        rc = gridr__fail(GRIDR_ERANGE,
                         "value '%s' for key '%s' is out of range (expected a "
                         "number in (%g, %g])",
                         v, k->name, k->lo, k->hi);
    if (!rc)
        *FIELD(double, j, k->off) = d;
    return rc;
}

/* The "none" flag of a nodata key that takes it ("nodata", "src-nodata"), else NULL. */
static int *none_flag(gridr_job *j, const gridr__job_key *k)
{
    if (strcmp(k->name, "nodata") == 0)
        return &j->nodata_none;
    return strcmp(k->name, "src-nodata") == 0 ? &j->src_nodata_none : NULL;
}

static int set_nodata(gridr_job *j, const gridr__job_key *k, const char *v)
{
    double d = 0;
    int *none = none_flag(j, k);
    if (none)
        *none = v && strcasecmp(v, "none") == 0;
    if (none && *none) {
        *FIELD(int, j, k->off) = 0;
        return 0;
    }
    int rc = v ? gridr__job_parse_double(k->name, v, 1, &d) : 0;
    if (!rc) {
        *FIELD(int, j, k->off) = v != NULL;
        *FIELD(double, j, k->off2) = d;
    }
    return rc;
}

static int set_kind(gridr_job *j, const gridr__job_key *k, const char *v)
{
    if (!v || strcasecmp(v, "grid") == 0)
        j->kind = GRIDR_JOB_GRID;
    else if (strcasecmp(v, "zoom") == 0)
        j->kind = GRIDR_JOB_ZOOM;
    else if (strcasecmp(v, "warp") == 0)
        j->kind = GRIDR_JOB_WARP;
    else
        return gridr__job_bad_value(k->name, v, "grid, zoom or warp");
    return 0;
}

static int set_interp(gridr_job *j, const gridr__job_key *k, const char *v)
{
    gridr_interp_kind kind = GRIDR_INTERP_LINEAR;
    if (v && gridr_interp_parse(v, &kind) != 0)
        return gridr__job_bad_value(
            k->name, v,
            "nearest, linear, cubic, bspline3, bspline5, bspline7, bspline9, "
            "bspline11, lanczos, average or mode");
    j->interp = kind;
    return 0;
}

/* antialias: true / false, or the default -1 (on for zoom jobs, off for grid jobs). */
static int set_antialias(gridr_job *j, const gridr__job_key *k, const char *v)
{
    int b = -1;
    int rc = v ? parse_bool(k->name, v, &b) : 0;
    if (!rc)
        j->antialias = b;
    return rc;
}

/* Names accepted by gridr_boundary_parse() (include/gridr/resample.h). */
static const char *const boundaries[] = {"none",    "constant",  "edge",
                                         "reflect", "symmetric", "wrap"};

static int set_boundary(gridr_job *j, const gridr__job_key *k, const char *v)
{
    if (!v) {
        j->boundary = GRIDR_BC_NONE;
        return 0;
    }
    for (int i = 0; i < 6; i++)
        if (strcasecmp(v, boundaries[i]) == 0) {
            j->boundary = (gridr_boundary)i;
            return 0;
        }
    return gridr__job_bad_value(k->name, v, "none, constant, edge, reflect, symmetric or wrap");
}

static int set_policy(gridr_job *j, const gridr__job_key *k, const char *v)
{
    gridr_nodata_policy p = GRIDR_NODATA_EXACT;
    if (v && gridr_nodata_policy_parse(v, &p) != 0)
        return gridr__job_bad_value(k->name, v, "exact or renormalize");
    j->nodata_policy = v ? (int)p : -1;
    return 0;
}

static int set_dtype(gridr_job *j, const gridr__job_key *k, const char *v)
{
    gridr_dtype dt = GRIDR_DT_UNKNOWN;
    if (v && gridr_dtype_parse(v, &dt) != 0)
        return gridr__job_bad_value(k->name, v, "u8, u16, i16, u32, i32, f32 or f64");
    j->out_dtype = dt;
    return 0;
}

static int set_bands(gridr_job *j, const gridr__job_key *k, const char *v)
{
    if (!v) {
        free(j->bands);
        j->bands = NULL;
        j->nbands = 0;
        return 0;
    }
    size_t n = 1, added = 0;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    int *bands = realloc(j->bands, (j->nbands + n) * sizeof *bands);
    if (!bands)
        return gridr__fail(GRIDR_ENOMEM, "out of memory setting '%s'", k->name);
    j->bands = bands;
    for (const char *p = v;; p = p + 1) {
        char *end = NULL;
        long b = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || b < 1 || b > 65535)
            return gridr__job_bad_value(k->name, v, "band numbers from 1, separated by commas");
        bands[j->nbands + added++] = (int)b;
        if (!*end)
            break;
        p = end;
    }
    j->nbands += added; /* all or nothing */
    return 0;
}

int gridr__job_set_kv_list(const gridr__job_key *k, const char *v, char ***list, size_t *n,
                           const char *example)
{
    if (!v) {
        for (size_t i = 0; i < *n; i++)
            free((*list)[i]);
        free(*list);
        *list = NULL;
        *n = 0;
        return 0;
    }
    const char *eq = strchr(v, '=');
    if (!eq || eq == v)
        return gridr__job_bad_value(k->name, v, example);
    char **l = realloc(*list, (*n + 2) * sizeof *l);
    if (!l)
        return gridr__fail(GRIDR_ENOMEM, "out of memory setting '%s'", k->name);
    *list = l;
    if (!(l[*n] = strdup(v)))
        return gridr__fail(GRIDR_ENOMEM, "out of memory setting '%s'", k->name);
    l[++*n] = NULL;
    return 0;
}

static int set_co(gridr_job *j, const gridr__job_key *k, const char *v)
{
    return gridr__job_set_kv_list(k, v, &j->creation_options, &j->ncreation_options,
                                  "KEY=VALUE, e.g. COMPRESS=DEFLATE");
}

static int set_tile(gridr_job *j, const gridr__job_key *k, const char *v)
{
    long r = 0, c = 0;
    int rc = v ? parse_size(k->name, v, 0, &r, &c) : 0;
    if (!rc) {
        j->tile_rows = r;
        j->tile_cols = c;
    }
    return rc;
}

static int set_size(gridr_job *j, const gridr__job_key *k, const char *v)
{
    long r = 0, c = 0;
    int rc = v ? parse_size(k->name, v, 1, &r, &c) : 0;
    if (!rc) {
        j->size_rows = r;
        j->size_cols = c;
    }
    return rc;
}

static int set_factor(gridr_job *j, const gridr__job_key *k, const char *v)
{
    char a[64], b[64];
    double fx = 0, fy = 0;
    const char *what = "F or FX,FY with factors > 0, e.g. 2 or 2,0.5";
    if (v) {
        if (gridr__job_split_pair(k->name, v, a, b, sizeof a, what) ||
            gridr__job_parse_double(k->name, a, 0, &fx) ||
            gridr__job_parse_double(k->name, b, 0, &fy))
            return gridr__job_bad_value(k->name, v, what);
        if (!(fx > 0 && fy > 0 && fx <= 1e6 && fy <= 1e6))
            return gridr__fail(GRIDR_ERANGE,
                               "value '%s' for key '%s' is out of range (expected %s)", v, k->name,
                               what);
    }
    j->zoom_fx = fx;
    j->zoom_fy = fy;
    return 0;
}

static int set_grid_res(gridr_job *j, const gridr__job_key *k, const char *v)
{
    char a[32], b[32];
    long rr = 0, rc = 0;
    const char *what = "RES or RES_ROW,RES_COL, integers >= 1";
    if (v && (gridr__job_split_pair(k->name, v, a, b, sizeof a, what) ||
              parse_long(k->name, a, 1, 1000000, &rr) || parse_long(k->name, b, 1, 1000000, &rc)))
        return gridr__job_bad_value(k->name, v, what);
    j->grid_res_row = rr;
    j->grid_res_col = rc;
    return 0;
}

static int set_grid_shift(gridr_job *j, const gridr__job_key *k, const char *v)
{
    char a[64], b[64];
    double r = 0, c = 0;
    const char *what = "ROW,COL, e.g. -0.5,-0.5";
    if (v &&
        (!strchr(v, ',') || gridr__job_split_pair(k->name, v, a, b, sizeof a, what) ||
         gridr__job_parse_double(k->name, a, 0, &r) || gridr__job_parse_double(k->name, b, 0, &c)))
        return gridr__job_bad_value(k->name, v, what);
    j->grid_shift_row = r;
    j->grid_shift_col = c;
    return 0;
}

#define OFF(f) offsetof(gridr_job, f)
#define NOLIM 1, -1, 0

static const gridr__job_key keys[] = {
    {"kind", GRIDR__J_STRING, set_kind, 0, 0, NOLIM},
    {"src", GRIDR__J_PATH, set_string, OFF(src), 0, NOLIM},
    {"dst", GRIDR__J_PATH, set_string, OFF(dst), 0, NOLIM},
    {"band", GRIDR__J_INTS, set_bands, 0, 0, NOLIM},
    {"resampling", GRIDR__J_STRING, set_interp, 0, 0, NOLIM},
    {"bspline-eps", GRIDR__J_NUM, set_double, OFF(bspline_eps), 0, 0, 0.1,
     GRIDR_BSPLINE_DEFAULT_EPS},
    {"mask-influence", GRIDR__J_NUM, set_double, OFF(mask_influence), 0, 0, 1, 1},
    {"boundary", GRIDR__J_STRING, set_boundary, 0, 0, NOLIM},
    {"boundary-value", GRIDR__J_NUM, set_double, OFF(boundary_value), 0, NOLIM},
    {"trust-padding", GRIDR__J_BOOL, set_bool, OFF(trust_padding), 0, NOLIM},
    {"src-nodata", GRIDR__J_NODATA, set_nodata, OFF(has_src_nodata), OFF(src_nodata), NOLIM},
    {"nodata", GRIDR__J_NODATA, set_nodata, OFF(has_nodata), OFF(nodata), NOLIM},
    {"out-type", GRIDR__J_STRING, set_dtype, 0, 0, NOLIM},
    {"format", GRIDR__J_STRING, set_string, OFF(format), 0, NOLIM},
    {"co", GRIDR__J_KV, set_co, 0, 0, NOLIM},
    {"tile", GRIDR__J_SIZE, set_tile, 0, 0, NOLIM},
    {"mem", GRIDR__J_INT, set_long, OFF(mem_mib), 0, 1, 1 << 30, GRIDR_JOB_DEFAULT_MEM_MIB},
    {"workers", GRIDR__J_INT, set_workers, OFF(workers), 0, 1, GRIDR_JOB_MAX_WORKERS, 0},
    {"threads", GRIDR__J_INT, set_int, OFF(threads), 0, 1, 1024, 1},
    {"retries", GRIDR__J_INT, set_int, OFF(retries), 0, 0, 100, 1},
    {"keep-going", GRIDR__J_BOOL, set_bool, OFF(keep_going), 0, NOLIM},
    {"timeout", GRIDR__J_NUM, set_seconds, OFF(timeout), 0, 0, 1e7, 0},
    {"dry-run", GRIDR__J_BOOL, set_bool, OFF(dry_run), 0, NOLIM},
    {"quiet", GRIDR__J_BOOL, set_bool, OFF(quiet), 0, NOLIM},
    {"report", GRIDR__J_PATH, set_string, OFF(report), 0, NOLIM},
    {"factor", GRIDR__J_PAIR, set_factor, 0, 0, NOLIM},
    {"size", GRIDR__J_SIZE, set_size, 0, 0, NOLIM},
    {"grid", GRIDR__J_PATH, set_string, OFF(grid), 0, NOLIM},
    {"grid-col", GRIDR__J_PATH, set_string, OFF(grid_col), 0, NOLIM},
    {"grid-res", GRIDR__J_IPAIR, set_grid_res, 0, 0, NOLIM},
    {"grid-mask", GRIDR__J_PATH, set_string, OFF(grid_mask), 0, NOLIM},
    {"grid-mask-valid", GRIDR__J_INT, set_int, OFF(grid_mask_valid), 0, 0, 255, 1},
    {"grid-nodata", GRIDR__J_NODATA, set_nodata, OFF(has_grid_nodata), OFF(grid_nodata), NOLIM},
    {"grid-shift", GRIDR__J_PAIR, set_grid_shift, 0, 0, NOLIM},
    {"src-mask", GRIDR__J_PATH, set_string, OFF(src_mask), 0, NOLIM},
    {"resume", GRIDR__J_BOOL, set_bool, OFF(resume), 0, NOLIM},
    /* existing outputs (issue 14) */
    {"overwrite", GRIDR__J_BOOL, set_bool, OFF(overwrite), 0, NOLIM},
    /* nodata, masks and edges like GDAL (issue 14) */
    {"nodata-policy", GRIDR__J_STRING, set_policy, 0, 0, NOLIM},
    {"dst-alpha", GRIDR__J_BOOL, set_bool, OFF(dst_alpha), 0, NOLIM},
    {"mask-bands", GRIDR__J_BOOL, set_bool_on, OFF(src_mask_bands), 0, NOLIM},
    /* antialiasing (issue 14) */
    {"antialias", GRIDR__J_BOOL, set_antialias, 0, 0, NOLIM},
    /* warp */
    {"t-srs", GRIDR__J_STRING, set_string, OFF(t_srs), 0, NOLIM},
    {"s-srs", GRIDR__J_STRING, set_string, OFF(s_srs), 0, NOLIM},
    {"tr", GRIDR__J_PAIR, gridr__job_set_tr, 0, 0, NOLIM},
    {"te", GRIDR__J_STRING, gridr__job_set_te, 0, 0, NOLIM},
    {"te-srs", GRIDR__J_STRING, set_string, OFF(te_srs), 0, NOLIM},
    {"ts", GRIDR__J_SIZE, gridr__job_set_ts, 0, 0, NOLIM},
    {"tap", GRIDR__J_BOOL, set_bool, OFF(tap), 0, NOLIM},
    {"et", GRIDR__J_NUM, set_double, OFF(et), 0, 0, 100, 0.01},
    {"to", GRIDR__J_KV, gridr__job_set_to, 0, 0, NOLIM},
    {"rpc-dem", GRIDR__J_PATH, set_string, OFF(rpc_dem), 0, NOLIM},
    {"rpc-height", GRIDR__J_NODATA, set_nodata, OFF(has_rpc_height), OFF(rpc_height), NOLIM},
    {"order", GRIDR__J_INT, set_int, OFF(gcp_order), 0, 0, 3, 0},
    {"tps", GRIDR__J_BOOL, set_bool, OFF(tps), 0, NOLIM},
    /* georeferenced grid outputs */
    {"dst-geotransform", GRIDR__J_STRING, gridr__job_set_dst_gt, 0, 0, NOLIM},
    {"dst-srs", GRIDR__J_STRING, set_string, OFF(dst_srs), 0, NOLIM},
    {"keep-grid", GRIDR__J_PATH, set_string, OFF(keep_grid), 0, NOLIM},
};

#define NKEYS (sizeof keys / sizeof keys[0])

static const gridr__job_key *find_key(const char *name)
{
    for (size_t i = 0; name && i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

int gridr__job_key_type(const char *key)
{
    const gridr__job_key *k = find_key(key);
    return k ? (int)k->jtype : -1;
}

static const char *key_names[NKEYS + 1];

static void fill_key_names(void)
{
    for (size_t i = 0; i < NKEYS; i++)
        key_names[i] = keys[i].name;
}

/* Keys whose setter owns memory (freed with a NULL value). */
static int owns_memory(gridr__job_setter s)
{
    return s == set_string || s == set_bands || s == set_co || s == gridr__job_set_to;
}

const char *const *gridr_job_keys(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fill_key_names);
    return key_names;
}

/* Edit distance, capped: enough to catch typos in short key names. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[40];
    if (la >= 40 || lb >= 40)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0], tmp;
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            tmp = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            row[j] = GRIDR__MIN(GRIDR__MIN(row[j] + 1, row[j - 1] + 1), sub);
            prev = tmp;
        }
    }
    return row[lb];
}

const char *gridr_job_suggest(const char *key)
{
    char norm[64];
    size_t best = 3, bi = NKEYS;
    if (!key)
        return NULL;
    snprintf(norm, sizeof norm, "%s", key);
    for (char *p = norm; *p; p++)
        *p = *p == '_' ? '-' : *p;
    for (size_t i = 0; i < NKEYS; i++) {
        size_t d = strcmp(norm, keys[i].name) == 0 ? 0 : distance(key, keys[i].name);
        if (d < best)
            best = d, bi = i;
    }
    return bi == NKEYS ? NULL : keys[bi].name;
}

const char *gridr__job_suggest(const char *key)
{
    static _Thread_local char buf[96];
    const char *s = gridr_job_suggest(key);
    if (!s)
        return "";
    snprintf(buf, sizeof buf, " (did you mean '%s'?)", s);
    return buf;
}

/* ---- public: init, clear, copy, set --------------------------------------------------------- */

void gridr_job_init(gridr_job *j)
{
    memset(j, 0, sizeof *j);
    for (size_t i = 0; i < NKEYS; i++)
        if (!owns_memory(keys[i].set))
            keys[i].set(j, &keys[i], NULL); /* defaults: no allocation, cannot fail */
}

void gridr_job_clear(gridr_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        if (owns_memory(keys[i].set))
            keys[i].set(j, &keys[i], NULL);
    free(j->origin);
    gridr_job_init(j);
}

static int dup_string(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? -1 : 0;
}

int gridr_job_copy(gridr_job *dst, const gridr_job *src)
{
    int fail = 0;
    *dst = *src;
    dst->bands = NULL;
    dst->creation_options = NULL;
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].set == set_string)
            fail |= dup_string(FIELD(char *, dst, keys[i].off), *FIELD(char *, src, keys[i].off));
    fail |= dup_string(&dst->origin, src->origin);
    if (src->nbands && (dst->bands = malloc(src->nbands * sizeof *dst->bands)) != NULL)
        memcpy(dst->bands, src->bands, src->nbands * sizeof *dst->bands);
    fail |= src->nbands && !dst->bands;
    dst->ncreation_options = 0;
    for (size_t i = 0; !fail && i < src->ncreation_options; i++)
        fail |= set_co(dst, find_key("co"), src->creation_options[i]) != 0;
    dst->transform_options = NULL;
    dst->ntransform_options = 0;
    for (size_t i = 0; !fail && i < src->ntransform_options; i++)
        fail |= gridr__job_set_to(dst, find_key("to"), src->transform_options[i]) != 0;
    if (fail) {
        gridr_job_clear(dst);
        return gridr__fail(GRIDR_ENOMEM, "out of memory copying a job");
    }
    return 0;
}

int gridr_job_set(gridr_job *j, const char *key, const char *value)
{
    const gridr__job_key *k = find_key(key);
    if (!k)
        return gridr__fail(GRIDR_EINVAL, "unknown key '%s'%s", key ? key : "(null)",
                           key ? gridr__job_suggest(key) : "");
    return k->set(j, k, value);
}

const char *gridr_job_kind_name(gridr_job_kind k)
{
    return k == GRIDR_JOB_ZOOM ? "zoom" : k == GRIDR_JOB_WARP ? "warp" : "grid";
}

/* ---- validation ----------------------------------------------------------------------------- */

const char *gridr__job_origin(const gridr_job *j)
{
    return j->origin ? j->origin : "job";
}

int gridr__job_forbid(const gridr_job *j, int present, const char *key)
{
    if (!present)
        return 0;
    return gridr__fail(GRIDR_EINVAL, "%s: key '%s' does not apply to a %s job",
                       gridr__job_origin(j), key, gridr_job_kind_name(j->kind));
}

int gridr__job_forbid_grid(const gridr_job *j)
{
    int rc = gridr__job_forbid(j, j->grid != NULL, "grid");
    rc = rc ? rc : gridr__job_forbid(j, j->grid_col != NULL, "grid-col");
    rc = rc ? rc : gridr__job_forbid(j, j->grid_res_row != 0, "grid-res");
    rc = rc ? rc : gridr__job_forbid(j, j->grid_mask != NULL, "grid-mask");
    rc = rc ? rc : gridr__job_forbid(j, j->has_grid_nodata, "grid-nodata");
    return rc ? rc
              : gridr__job_forbid(j, j->grid_shift_row != 0 || j->grid_shift_col != 0,
                                  "grid-shift");
}

static int check_zoom(const gridr_job *j)
{
    if (!j->zoom_fx && !j->size_rows)
        return gridr__fail(GRIDR_EINVAL, "%s: a zoom job needs key 'factor' or key 'size'",
                           gridr__job_origin(j));
    if (j->zoom_fx && j->size_rows)
        return gridr__fail(GRIDR_EINVAL, "%s: keys 'factor' and 'size' exclude each other",
                           gridr__job_origin(j));
    int rc = gridr__job_forbid_grid(j);
    rc = rc ? rc : gridr__job_forbid(j, j->has_dst_geotransform, "dst-geotransform");
    rc = rc ? rc : gridr__job_forbid(j, j->dst_srs != NULL, "dst-srs");
    return rc;
}

static int check_grid(const gridr_job *j)
{
    if (!j->grid)
        return gridr__fail(GRIDR_EINVAL, "%s: a grid job needs key 'grid'", gridr__job_origin(j));
    int rc = gridr__job_forbid(j, j->zoom_fx != 0, "factor");
    return rc ? rc : gridr__job_forbid(j, j->size_rows != 0, "size");
}

int gridr__job_check_structure(const gridr_job *j)
{
    if (!j->src)
        return gridr__fail(GRIDR_EINVAL, "%s: missing key 'src'", gridr__job_origin(j));
    if (!j->dst)
        return gridr__fail(GRIDR_EINVAL, "%s: missing key 'dst'", gridr__job_origin(j));
    int rc = j->kind == GRIDR_JOB_WARP   ? gridr__job_check_warp(j)
             : j->kind == GRIDR_JOB_ZOOM ? check_zoom(j)
                                         : check_grid(j);
    if (!rc && j->kind != GRIDR_JOB_WARP)
        rc = gridr__job_forbid_warp(j);
    if (!rc && j->trust_padding && j->boundary == GRIDR_BC_NONE)
        rc = gridr__fail(GRIDR_EINVAL, "%s: key 'trust-padding' needs a 'boundary' other than none",
                         gridr__job_origin(j));
    return rc;
}

static int check_input(const gridr_job *j, const char *key, const char *path, const char *dst)
{
    struct stat st, sd;
    if (!path || strncmp(path, "/vsi", 4) == 0)
        return 0;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno, "%s: %s '%s'",
                                 gridr__job_origin(j), key, path);
    if (strcmp(path, dst) == 0 ||
        (stat(dst, &sd) == 0 && sd.st_dev == st.st_dev && sd.st_ino == st.st_ino))
        return gridr__fail(GRIDR_EINVAL, "%s: dst '%s' is the %s input '%s'", gridr__job_origin(j),
                           dst, key, path);
    return 0;
}

int gridr_job_check_overwrite(const gridr_job *j)
{
    struct stat st;
    char done[PATH_MAX];
    if (!j || !j->dst || j->overwrite || lstat(j->dst, &st) != 0)
        return 0;
    /* --resume with the record of a committed job: the run decides (it skips the job when the
       record says this very job wrote dst, and refuses otherwise) */
    if (j->resume && snprintf(done, sizeof done, "%s.gridr-resume", j->dst) < (int)sizeof done &&
        lstat(done, &st) == 0)
        return 0;
    return gridr__fail(GRIDR_EEXIST,
                       "%s: output '%s' exists; pass --overwrite (job key \"overwrite\": true) "
                       "to replace it",
                       gridr__job_origin(j), j->dst);
}

int gridr_job_validate(const gridr_job *j)
{
    const char *names[6] = {"src", "grid", "grid-col", "grid-mask", "src-mask", "rpc-dem"};
    const char *paths[6] = {j->src, j->grid, j->grid_col, j->grid_mask, j->src_mask, j->rpc_dem};
    int rc = gridr__job_check_structure(j);
    for (int i = 0; !rc && i < 6; i++)
        rc = check_input(j, names[i], paths[i], j->dst);
    if (!rc && (rc = gridr_raster_check_output(j->dst, j->format)) != 0)
        gridr__fail(rc, "%s: %s", gridr__job_origin(j), gridr_last_error());
    return rc ? rc : gridr_job_check_overwrite(j);
}
