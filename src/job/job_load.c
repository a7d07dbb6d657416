/* gridr: JSON job files (jansson): one job object or a list of them, paths made file-relative. */
#include "base/internal.h"
#include "gridr/job.h"

#include "job_internal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where we are in a file, for messages and relative paths. */
typedef struct load_ctx {
    const char *file;
    char *base;   /* directory of the file; NULL when it is the current directory */
    size_t index; /* 1-based job number */
} load_ctx;

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int wrong_type(const load_ctx *c, const char *key, const char *expected, const json_t *v)
{
    return gridr__fail(GRIDR_EINVAL, "%s: job %zu: key '%s': expected %s, got %s", c->file,
                       c->index, key, expected, json_type_name(v));
}

/* Text form of a scalar: strings as they are, numbers printed exactly, booleans true/false. */
static int scalar_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        return snprintf(buf, n, "%s", json_string_value(v)) >= (int)n ? -1 : 0;
    if (json_is_integer(v))
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    return 0;
}

static int too_long(const load_ctx *c, const char *key, const json_t *v, size_t cap)
{
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    return gridr__fail(GRIDR_EINVAL,
                       "%s: job %zu: key '%s': a value of %zu characters is too long (at most %zu)",
                       c->file, c->index, key, n, cap - 1);
}

static int set_text(gridr_job *j, const char *key, const char *text)
{
    return gridr_job_set(j, key, text);
}

static int set_path(gridr_job *j, const load_ctx *c, const char *key, const char *p)
{
    if (!c->base || p[0] == '/' || !p[0])
        return set_text(j, key, p);
    size_t n = strlen(c->base) + strlen(p) + 2;
    char *full = malloc(n);
    if (!full)
        return gridr__fail(GRIDR_ENOMEM, "out of memory");
    snprintf(full, n, "%s/%s", c->base, p);
    int rc = set_text(j, key, full);
    free(full);
    return rc;
}

/* An array of 1 or 2 scalars of the given kind, joined by `sep` (2 required when `two`). */
static int join_array(const load_ctx *c, const char *key, const json_t *v, int ints, int two,
                      const char *sep, char *buf, size_t n)
{
    const char *expected = ints ? (two ? "an array of 2 integers" : "an array of 1 or 2 integers")
                                : (two ? "an array of 2 numbers" : "an array of 1 or 2 numbers");
    size_t len = json_array_size(v);
    if (len < (two ? 2u : 1u) || len > 2)
        return wrong_type(c, key, expected, v);
    char a[64] = "", b[64] = "";
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(v, i);
        if (ints ? !json_is_integer(e) : !json_is_number(e))
            return wrong_type(c, key, expected, v);
        scalar_text(e, i ? b : a, sizeof a);
    }
    snprintf(buf, n, "%s%s%s", a, len == 2 ? sep : "", len == 2 ? b : "");
    return 0;
}

/* A list key from an array (each element a scalar of the accepted kind). */
static int apply_list(gridr_job *j, const load_ctx *c, const char *key, const json_t *v, int ints)
{
    char buf[1024];
    size_t i;
    json_t *e;
    int rc = set_text(j, key, NULL);
    json_array_foreach(v, i, e)
    {
        if (ints ? !json_is_integer(e) : !json_is_string(e))
            return wrong_type(c, key, ints ? "an array of integers" : "an array of strings", v);
        if (scalar_text(e, buf, sizeof buf) != 0)
            return wrong_type(c, key, "shorter strings", e);
        if ((rc = set_text(j, key, buf)) != 0)
            return rc;
    }
    return rc;
}

/* Creation options as an object {"COMPRESS": "DEFLATE", "ZLEVEL": 9}. */
static int apply_kv_object(gridr_job *j, const load_ctx *c, const char *key, json_t *v)
{
    const char *k;
    json_t *e;
    char val[1024], kv[1200];
    int rc = set_text(j, key, NULL);
    json_object_foreach(v, k, e)
    {
        if (json_is_object(e) || json_is_array(e) || json_is_null(e) ||
            scalar_text(e, val, sizeof val) != 0)
            return wrong_type(c, key, "an object of string, number or boolean values", e);
        if (snprintf(kv, sizeof kv, "%s=%s", k, val) >= (int)sizeof kv)
            return wrong_type(c, key, "shorter options", e);
        if ((rc = set_text(j, key, kv)) != 0)
            return rc;
    }
    return rc;
}

static int apply_scalar(gridr_job *j, const load_ctx *c, const char *key, gridr__jtype t,
                        const json_t *v)
{
    static const char *const expected[] = {
        [GRIDR__J_STRING] = "a string",
        [GRIDR__J_PATH] = "a string (a path)",
        [GRIDR__J_INT] = "an integer",
        [GRIDR__J_NUM] = "a number",
        [GRIDR__J_NODATA] = "a number or a string (\"nan\")",
        [GRIDR__J_BOOL] = "true or false",
        [GRIDR__J_INTS] = "an integer, an array of integers or a string",
        [GRIDR__J_PAIR] = "a number, an array of numbers or a string",
        [GRIDR__J_IPAIR] = "an integer, an array of integers or a string",
        [GRIDR__J_SIZE] = "a string \"COLSxROWS\", an integer or [cols, rows]",
        [GRIDR__J_KV] = "a string \"KEY=VALUE\", an array of them or an object",
    };
    char buf[PATH_MAX];
    int ok;
    switch (t) {
    case GRIDR__J_STRING:
    case GRIDR__J_PATH:
    case GRIDR__J_KV:
        ok = json_is_string(v);
        break;
    case GRIDR__J_INT:
    case GRIDR__J_INTS:
    case GRIDR__J_IPAIR:
    case GRIDR__J_SIZE:
        ok = json_is_integer(v) || (t != GRIDR__J_INT && json_is_string(v));
        break;
    case GRIDR__J_NUM:
        ok = json_is_number(v);
        break;
    case GRIDR__J_BOOL:
        ok = json_is_boolean(v);
        break;
    default: /* nodata, pairs */
        ok = json_is_number(v) || json_is_string(v);
    }
    if (!ok)
        return wrong_type(c, key, expected[t], v);
    if (scalar_text(v, buf, sizeof buf) != 0)
        return too_long(c, key, v, sizeof buf);
    return t == GRIDR__J_PATH ? set_path(j, c, key, buf) : set_text(j, key, buf);
}

static int apply(gridr_job *j, const load_ctx *c, const char *key, json_t *v)
{
    gridr__jtype t = (gridr__jtype)gridr__job_key_type(key);
    char buf[160];
    int rc;
    if (json_is_null(v))
        return set_text(j, key, NULL);
    if (json_is_array(v) && (t == GRIDR__J_INTS || t == GRIDR__J_KV))
        return apply_list(j, c, key, v, t == GRIDR__J_INTS);
    if (json_is_object(v) && t == GRIDR__J_KV)
        return apply_kv_object(j, c, key, v);
    if (json_is_array(v) && (t == GRIDR__J_PAIR || t == GRIDR__J_IPAIR || t == GRIDR__J_SIZE)) {
        int two = t == GRIDR__J_SIZE || strcmp(key, "grid-shift") == 0;
        rc = join_array(c, key, v, t != GRIDR__J_PAIR, two, t == GRIDR__J_SIZE ? "x" : ",", buf,
                        sizeof buf);
        return rc ? rc : set_text(j, key, buf);
    }
    return apply_scalar(j, c, key, t, v);
}

/* ---- one job, a file ------------------------------------------------------------------------ */

static int load_one(gridr_job *j, const load_ctx *c, json_t *obj)
{
    const char *key;
    json_t *v;
    char origin[1024];
    snprintf(origin, sizeof origin, "%s: job %zu", c->file, c->index);
    if (!(j->origin = strdup(origin)))
        return gridr__fail(GRIDR_ENOMEM, "out of memory loading '%s'", c->file);
    if (!json_is_object(obj))
        return gridr__fail(GRIDR_EFORMAT, "%s: expected an object, got %s", origin,
                           json_type_name(obj));
    json_object_foreach(obj, key, v)
    {
        int rc = gridr__job_key_type(key) < 0
                     ? gridr__fail(GRIDR_EINVAL, "unknown key '%s'%s", key, gridr__job_suggest(key))
                     : apply(j, c, key, v);
        if (rc) {
            if (!strstr(gridr_last_error(), origin))
                gridr__fail(rc, "%s: %s", origin, gridr_last_error());
            return rc;
        }
    }
    /* Without "kind", a job with a factor or a size and no grid is a zoom. */
    if (!json_object_get(obj, "kind") && !j->grid && (j->zoom_fx > 0 || j->size_rows > 0))
        j->kind = GRIDR_JOB_ZOOM;
    return gridr__job_check_structure(j);
}

static int check_distinct_dst(const gridr_job *jobs, size_t n, const char *file)
{
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(jobs[a].dst, jobs[b].dst) == 0)
                return gridr__fail(GRIDR_EINVAL, "%s: jobs %zu and %zu both write '%s'", file,
                                   a + 1, b + 1, jobs[a].dst);
    return 0;
}

static int parse_file(const char *path, json_t **out)
{
    json_error_t err;
    struct stat st;
    *out = NULL;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "cannot read job file '%s'", path);
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return gridr__fail(GRIDR_EFORMAT, "%s:%d:%d: invalid JSON: %s", path, err.line, err.column,
                           err.text);
    if (!json_is_object(root) && !json_is_array(root)) {
        json_decref(root);
        return gridr__fail(GRIDR_EFORMAT,
                           "%s: expected a job (an object) or a list of jobs (an array)", path);
    }
    if (json_is_array(root) && json_array_size(root) == 0) {
        json_decref(root);
        return gridr__fail(GRIDR_EFORMAT, "%s: the list of jobs is empty", path);
    }
    *out = root;
    return 0;
}

static char *base_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int gridr_job_load(const char *path, gridr_job **jobs, size_t *n)
{
    *jobs = NULL;
    *n = 0;
    json_t *root = NULL;
    int rc = parse_file(path, &root);
    if (rc)
        return rc;
    size_t count = json_is_array(root) ? json_array_size(root) : 1;
    gridr_job *list = calloc(count, sizeof *list);
    load_ctx c = {path, base_dir(path), 0};
    if (!list)
        rc = gridr__fail(GRIDR_ENOMEM, "out of memory loading '%s'", path);
    for (size_t i = 0; i < count && list; i++)
        gridr_job_init(&list[i]);
    for (size_t i = 0; !rc && i < count; i++) {
        c.index = i + 1;
        rc = load_one(&list[i], &c, json_is_array(root) ? json_array_get(root, i) : root);
    }
    if (!rc)
        rc = check_distinct_dst(list, count, path);
    free(c.base);
    json_decref(root);
    if (rc) {
        gridr_job_free_list(list, count);
        return rc;
    }
    *jobs = list;
    *n = count;
    return 0;
}

void gridr_job_free_list(gridr_job *jobs, size_t n)
{
    for (size_t i = 0; jobs && i < n; i++)
        gridr_job_clear(&jobs[i]);
    free(jobs);
}
