/* gridr: what identifies a resumable run (its job, every file its inputs read, gridr's version),
 * how two identities differ in words, and the record a committed resumable job leaves. */
#include "base/internal.h"
#include "gridr/version.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/job.h"
#include "gridr/pipeline.h"
#include "pipeline_internal.h"
#include "resume_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put_str(FILE *f, const char *key, const char *v)
{
    fprintf(f, "job %s=%s\n", key, v ? v : "");
}

static void put_num(FILE *f, const char *key, int has, double v)
{
    if (has)
        fprintf(f, "job %s=%.17g\n", key, v);
    else
        fprintf(f, "job %s=none\n", key);
}

static void put_list(FILE *f, const gridr_job *j)
{
    fprintf(f, "job band=");
    for (size_t i = 0; i < j->nbands; i++)
        fprintf(f, "%s%d", i ? "," : "", j->bands[i]);
    fprintf(f, "\njob co=");
    for (size_t i = 0; i < j->ncreation_options; i++)
        fprintf(f, "%s%s", i ? "," : "", j->creation_options[i]);
    fprintf(f, "\n");
}

/* Every key that changes the output's bytes, in words (the record shows them; a change is named
 * by its key). New keys that change the output belong here. */
static void put_job(FILE *f, const gridr_job *j)
{
    put_str(f, "kind", gridr_job_kind_name(j->kind));
    put_str(f, "src", j->src);
    put_str(f, "dst", j->dst);
    put_list(f, j);
    put_str(f, "resampling", gridr_interp_name(j->interp));
    put_num(f, "bspline-eps", 1, j->bspline_eps);
    put_num(f, "mask-influence", 1, j->mask_influence);
    put_str(f, "boundary", gridr_boundary_name(j->boundary));
    put_num(f, "boundary-value", 1, j->boundary_value);
    put_num(f, "trust-padding", 1, j->trust_padding);
    put_num(f, "src-nodata", j->has_src_nodata, j->src_nodata);
    put_num(f, "nodata", j->has_nodata, j->nodata);
    put_str(f, "out-type", gridr_dtype_name(j->out_dtype));
    put_str(f, "format", j->format);
    fprintf(f, "job factor=%.17g,%.17g\njob size=%ldx%ld\n", j->zoom_fx, j->zoom_fy, j->size_cols,
            j->size_rows);
    put_str(f, "grid", j->grid);
    put_str(f, "grid-col", j->grid_col);
    fprintf(f, "job grid-res=%ld,%ld\n", j->grid_res_row, j->grid_res_col);
    put_str(f, "grid-mask", j->grid_mask);
    put_num(f, "grid-mask-valid", 1, j->grid_mask_valid);
    put_num(f, "grid-nodata", j->has_grid_nodata, j->grid_nodata);
    fprintf(f, "job grid-shift=%.17g,%.17g\n", j->grid_shift_row, j->grid_shift_col);
    put_str(f, "src-mask", j->src_mask);
    fprintf(f, "job nodata-none=%d\njob src-nodata-none=%d\njob nodata-policy=%d\n", j->nodata_none,
            j->src_nodata_none, j->nodata_policy);
    fprintf(f, "job dst-alpha=%d\njob mask-bands=%d\njob antialias=%d\n", j->dst_alpha,
            j->src_mask_bands, j->antialias);
    put_str(f, "t-srs", j->t_srs);
    put_str(f, "s-srs", j->s_srs);
    fprintf(f, "job tr=%.17g,%.17g\njob te=%d:%.17g,%.17g,%.17g,%.17g\n", j->tr_x, j->tr_y,
            j->has_te, j->te[0], j->te[1], j->te[2], j->te[3]);
    put_str(f, "te-srs", j->te_srs);
    fprintf(f, "job ts=%ld,%ld\njob tap=%d\njob et=%.17g\njob to=", j->ts_cols, j->ts_rows, j->tap,
            j->et);
    for (size_t i = 0; i < j->ntransform_options; i++)
        fprintf(f, "%s%s", i ? "," : "", j->transform_options[i]);
    fprintf(f, "\n");
    put_str(f, "rpc-dem", j->rpc_dem);
    put_num(f, "rpc-height", j->has_rpc_height, j->rpc_height);
    fprintf(f, "job order=%d\njob tps=%d\n", j->gcp_order, j->tps);
    put_num(f, "dst-geotransform", j->has_dst_geotransform, j->dst_geotransform[0]);
    for (int i = 1; i < 6; i++)
        fprintf(f, "job dst-geotransform[%d]=%.17g\n", i, j->dst_geotransform[i]);
    put_str(f, "dst-srs", j->dst_srs);
}

int gridr__resume_identity(const gridr__pipeline_ctx *c, const gridr_job *j, char **text)
{
    size_t len = 0;
    gridr__fileset s;
    *text = NULL;
    FILE *f = open_memstream(text, &len);
    if (!f)
        return gridr__fail(GRIDR_ENOMEM, "no memory for the identity of '%s'", j->dst);
    fprintf(f, "%s\nversion %s\n", GRIDR__RESUME_MAGIC, GRIDR_VERSION_STRING);
    put_job(f, j);
    fprintf(f, "output rows=%ld cols=%ld bands=%d type=%s\n", c->params.out_rows,
            c->params.out_cols, c->params.bands, gridr_dtype_name(c->params.out_dtype));
    int rc = gridr__pipeline_inputs(c, &s);
    if (rc == 0)
        rc = gridr__fileset_describe(&s, f);
    gridr__fileset_free(&s);
    if (fclose(f) != 0 && rc == 0)
        rc = gridr__fail(GRIDR_ENOMEM, "no memory for the identity of '%s'", j->dst);
    if (rc) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

/* Length of the line at p (without its newline). */
static size_t line_len(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? (size_t)(nl - p) : strlen(p);
}

/* Line `a` (of the interrupted run) against `b` (now), in words, into msg. */
static void say_change(const char *a, size_t la, const char *b, size_t lb, char *msg, size_t n)
{
    const char *eq = memchr(a, '=', la);
    if (strncmp(a, "version ", 8) == 0 && strncmp(b, "version ", 8) == 0)
        snprintf(msg, n, "gridr's version changed (%.*s then, %.*s now)", (int)(la - 8), a + 8,
                 (int)(lb - 8), b + 8);
    else if (strncmp(a, "job ", 4) == 0 && eq && lb > (size_t)(eq - a) &&
             strncmp(a, b, (size_t)(eq - a + 1)) == 0)
        snprintf(msg, n, "the job's '%.*s' changed ('%.*s' then, '%.*s' now)", (int)(eq - a - 4),
                 a + 4, (int)(la - (size_t)(eq - a) - 1), eq + 1, (int)(lb - (size_t)(eq - a) - 1),
                 b + (eq - a) + 1);
    else if (strncmp(a, "input ", 6) == 0) {
        const char *sp = memchr(a + 6, ' ', la - 6);
        snprintf(msg, n, "the input file '%.*s' changed since (size, time or identity)",
                 (int)((sp ? sp : a + la) - a - 6), a + 6);
    } else if (strncmp(b, "input ", 6) == 0) {
        const char *sp = memchr(b + 6, ' ', lb - 6);
        snprintf(msg, n, "the job reads another file now ('%.*s')",
                 (int)((sp ? sp : b + lb) - b - 6), b + 6);
    } else
        snprintf(msg, n, "the job changed ('%.*s' then, '%.*s' now)", (int)la, a, (int)lb, b);
}

int gridr__resume_compare(const char *then, const char *now, char *msg, size_t n)
{
    const char *a = then, *b = now;
    while (*a || *b) {
        size_t la = line_len(a), lb = line_len(b);
        if (la != lb || memcmp(a, b, la) != 0) {
            say_change(a, la, b, lb, msg, n);
            return 1;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return 0;
}

/* ---- the record of a committed job: <dst>.gridr-resume ------------------------------------ */

static int dst_line(const char *dst, char *buf, size_t n)
{
    struct stat st;
    if (stat(dst, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    snprintf(buf, n, "committed size=%lld mtime=%lld.%09ld dev=%llu ino=%llu\n",
             (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    return 0;
}

/* The whole of a small regular file of ours (opened without following a link), or NULL. */
char *gridr__resume_slurp(const char *path, size_t max)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        (size_t)st.st_size <= max && (buf = malloc((size_t)st.st_size + 1)) != NULL) {
        ssize_t got = pread(fd, buf, (size_t)st.st_size, 0);
        if (got < 0) {
            free(buf);
            buf = NULL;
        } else {
            buf[got] = 0;
        }
    }
    close(fd);
    return buf;
}

int gridr__resume_committed(const gridr__pipeline_ctx *c, const gridr_job *j)
{
    char name[PATH_MAX], line[256], *ident = NULL;
    if (snprintf(name, sizeof name, "%s%s", j->dst, GRIDR__RESUME_DONE) >= (int)sizeof name ||
        dst_line(j->dst, line, sizeof line) != 0)
        return 0;
    char *rec = gridr__resume_slurp(name, 1 << 24);
    int same = rec && gridr__resume_identity(c, j, &ident) == 0;
    size_t n = same ? strlen(ident) : 0;
    same = same && strncmp(rec, ident, n) == 0 && strcmp(rec + n, line) == 0;
    free(rec);
    free(ident);
    return same;
}

/* A file at `path` we may replace with the record: none, or a record of ours. */
static int replaceable(const char *path)
{
    char *old = gridr__resume_slurp(path, 1 << 24);
    int ok = old ? strncmp(old, GRIDR__RESUME_MAGIC "\n", strlen(GRIDR__RESUME_MAGIC) + 1) == 0
                 : access(path, F_OK) != 0 && errno == ENOENT;
    free(old);
    return ok;
}

void gridr__resume_mark_committed(const char *ident, const gridr_job *j, const char *tag,
                                  const char *out)
{
    char name[PATH_MAX], tmp[PATH_MAX], line[256];
    if (snprintf(name, sizeof name, "%s%s", j->dst, GRIDR__RESUME_DONE) >= (int)sizeof name ||
        snprintf(tmp, sizeof tmp, "%s.tmp.%s", name, tag) >= (int)sizeof tmp ||
        dst_line(out, line, sizeof line) != 0 || !replaceable(name))
        return; /* best effort: without it, a rerun with --resume starts afresh */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    size_t a = strlen(ident), b = strlen(line);
    int ok =
        write(fd, ident, a) == (ssize_t)a && write(fd, line, b) == (ssize_t)b && fdatasync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, name) != 0)
        unlink(tmp);
}
