/* gridr: the files a job reads, by identity (device + inode): no output of a run may be one. */
#include "base/internal.h"
#include "gridr/raster.h"
#include "gridr/job.h"
#include "gridr/pipeline.h"
#include "pipeline_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct gridr__fileid {
    dev_t dev;
    ino_t ino;
    char *file;        /* the file as GDAL named it */
    const char *input; /* the input that reads it (borrowed: the raster's path) */
} gridr__fileid;

/* The first existing regular file along `p`, cut at its slashes: "a.zip/b/c.tif" -> "a.zip". */
static int stat_prefix(const char *p, struct stat *st)
{
    char buf[PATH_MAX];
    size_t n = strlen(p);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, p, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char keep = buf[i];
        buf[i] = '\0';
        int found = stat(buf, st) == 0 && S_ISREG(st->st_mode);
        buf[i] = keep;
        if (found)
            return 0;
    }
    return -1;
}

/* stat() of the local file behind `name`: the file itself, or for a GDAL virtual path
 * (/vsizip/a.zip/b.tif, /vsigzip//data/c.gz, chains of them) the archive it reads. -1 when no
 * local file is behind it (/vsimem, /vsicurl...). */
static int stat_local(const char *name, struct stat *st)
{
    const char *p = name;
    if (strncmp(p, "/vsi", 4) != 0)
        return stat(p, st);
    while (strncmp(p, "/vsi", 4) == 0) {
        const char *slash = strchr(p + 1, '/');
        if (!slash)
            return -1;
        p = slash + 1;
    }
    return stat_prefix(p, st);
}

static int add_id(gridr__fileset *s, const struct stat *st, const char *file, const char *input)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        gridr__fileid *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return gridr__fail(GRIDR_ENOMEM, "out of memory listing the files of '%s'", input);
        s->v = v;
        s->cap = cap;
    }
    gridr__fileid *e = &s->v[s->n];
    if ((e->file = strdup(file)) == NULL)
        return gridr__fail(GRIDR_ENOMEM, "out of memory listing the files of '%s'", input);
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->input = input;
    s->n++;
    return 0;
}

int gridr__fileset_add_raster(gridr__fileset *s, gridr_raster *r)
{
    const char *const *files = NULL;
    const char *input = gridr_raster_path(r);
    struct stat st;
    int rc = gridr_raster_file_list(r, &files);
    if (rc == 0 && stat_local(input, &st) == 0)
        rc = add_id(s, &st, input, input);
    for (size_t i = 0; rc == 0 && files && files[i]; i++)
        if (stat_local(files[i], &st) == 0)
            rc = add_id(s, &st, files[i], input);
    return rc;
}

const char *gridr__fileset_find(const gridr__fileset *s, const char *path, const char **input)
{
    struct stat st;
    if (stat_local(path, &st) != 0)
        return NULL;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].dev == st.st_dev && s->v[i].ino == st.st_ino) {
            *input = s->v[i].input;
            return s->v[i].file;
        }
    }
    return NULL;
}

int gridr__fileset_check(const gridr__fileset *s, const char *path, const char *what)
{
    const char *input = NULL, *file = gridr__fileset_find(s, path, &input);
    if (!file)
        return 0;
    if (strcmp(file, input) == 0)
        return gridr__fail(GRIDR_EINVAL, "%s '%s' is the input '%s'; give another path", what, path,
                           input);
    return gridr__fail(GRIDR_EINVAL,
                       "%s '%s' is '%s', a file that input '%s' reads; give another path", what,
                       path, file, input);
}

int gridr__pipeline_inputs(const gridr__pipeline_ctx *c, gridr__fileset *s)
{
    gridr_raster *in[5] = {c->src, c->src_mask, c->grid_r, c->grid_col_r, c->grid_mask_r};
    int rc = 0;
    memset(s, 0, sizeof *s);
    for (int i = 0; rc == 0 && i < 5; i++)
        if (in[i])
            rc = gridr__fileset_add_raster(s, in[i]);
    return rc;
}

int gridr__fileset_describe(const gridr__fileset *s, FILE *f)
{
    for (size_t i = 0; i < s->n; i++) {
        struct stat st;
        if (stat_local(s->v[i].file, &st) != 0)
            return gridr__fail_errno(GRIDR_EIO, errno, "cannot stat '%s' (read by '%s')",
                                     s->v[i].file, s->v[i].input);
        fprintf(f, "input %s size=%lld mtime=%lld.%09ld dev=%llu ino=%llu\n", s->v[i].file,
                (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    }
    return 0;
}

void gridr__fileset_free(gridr__fileset *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        free(s->v[i].file);
    if (s)
        free(s->v);
}

/* The output `path` and the side files a commit replaces or removes next to it. */
static int check_with_sides(const gridr__fileset *s, const char *path, const char *what)
{
    static const char *const sides[] = {"", ".aux.xml", ".msk", ".ovr"};
    char *target = realpath(path, NULL); /* a link's target is what gets replaced */
    const char *base = target ? target : path;
    char name[PATH_MAX];
    int rc = gridr__fileset_check(s, path, what);
    for (size_t i = 1; rc == 0 && i < sizeof sides / sizeof *sides; i++) {
        if (snprintf(name, sizeof name, "%s%s", base, sides[i]) >= (int)sizeof name)
            rc = gridr__fail(GRIDR_EINVAL, "%s path '%s' is too long", what, path);
        else
            rc = gridr__fileset_check(s, name, what);
    }
    free(target);
    return rc;
}

int gridr__pipeline_check_dst(gridr__pipeline_ctx *c, const gridr_job *j)
{
    gridr__fileset s;
    int rc = gridr__pipeline_inputs(c, &s);
    if (rc == 0)
        rc = check_with_sides(&s, j->dst, "dst");
    gridr__fileset_free(&s);
    return rc;
}

/* `path` with its directory made canonical (the file itself may not exist yet), into buf. */
static int canonical(const char *path, char *buf, size_t n)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 1, slash ? path : ".");
    if (!realpath(dir, real))
        return -1;
    return snprintf(buf, n, "%s/%s", real, base) >= (int)n ? -1 : 0;
}

int gridr_pipeline_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    char ca[PATH_MAX], cb[PATH_MAX];
    if (strcmp(a, b) == 0)
        return 1;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return canonical(a, ca, sizeof ca) == 0 && canonical(b, cb, sizeof cb) == 0 &&
           strcmp(ca, cb) == 0;
}

static int add_input(gridr__fileset *s, gridr_raster **open, int *n, const char *path)
{
    if (!path)
        return 0;
    int rc = gridr_raster_open(path, &open[*n]);
    if (rc == 0)
        rc = gridr__fileset_add_raster(s, open[(*n)++]);
    return rc;
}

/* The paths of the job's inputs (NULL where a kind is not used). */
static void input_paths(const gridr_job *j, const char *inputs[6])
{
    const char *v[6] = {j->src, j->src_mask, j->grid, j->grid_col, j->grid_mask, j->rpc_dem};
    memcpy(inputs, v, sizeof v);
}

/* The job's inputs, opened, and their files listed into *s (which borrows their names: close
 * them with close_inputs after the last use of *s). */
typedef struct opened {
    gridr_raster *open[6];
    int n;
} opened;

static void close_inputs(opened *in, gridr__fileset *s)
{
    gridr__fileset_free(s);
    for (int i = 0; i < in->n; i++)
        gridr_raster_close(in->open[i]);
}

static int input_files(const gridr_job *j, opened *in, gridr__fileset *s)
{
    const char *paths[6];
    int rc = 0;
    input_paths(j, paths);
    memset(s, 0, sizeof *s);
    memset(in, 0, sizeof *in);
    for (int i = 0; rc == 0 && i < 6; i++)
        rc = add_input(s, in->open, &in->n, paths[i]);
    return rc;
}

/* Check `path` (with its side files: `sides`) against the files of the job's inputs. */
static int check_against_inputs(const gridr_job *j, const char *path, const char *what, int sides)
{
    opened in;
    gridr__fileset s;
    int rc = input_files(j, &in, &s);
    if (rc == 0)
        rc = sides ? check_with_sides(&s, path, what) : gridr__fileset_check(&s, path, what);
    close_inputs(&in, &s);
    return rc;
}

/* Whether `path` is one of the files in s or names one of the job's inputs. */
static int reads_path(const gridr__fileset *s, const char *const inputs[6], const char *path)
{
    const char *input = NULL;
    if (!path)
        return 0;
    if (gridr__fileset_find(s, path, &input))
        return 1;
    for (int i = 0; i < 6; i++)
        if (inputs[i] && gridr_pipeline_same_file(inputs[i], path))
            return 1;
    return 0;
}

int gridr_pipeline_reads(const gridr_job *j, const char *const *paths, size_t n, size_t *which)
{
    const char *names[6];
    opened in;
    gridr__fileset s;
    int rc = input_files(j, &in, &s), found = 0;
    input_paths(j, names);
    for (size_t i = 0; rc == 0 && !found && i < n; i++)
        if (reads_path(&s, names, paths[i])) {
            found = 1;
            *which = i;
        }
    close_inputs(&in, &s);
    return rc ? gridr__pipeline_fail(j, rc) : found;
}

int gridr_pipeline_check_dst(const gridr_job *j)
{
    int rc = check_against_inputs(j, j->dst, "dst", 1);
    return rc ? gridr__pipeline_fail(j, rc) : 0;
}

int gridr_pipeline_check_output(const gridr_job *j, const char *path, const char *what)
{
    int rc = gridr_raster_check_replaceable(path, what);
    if (rc == 0 && j->dst && gridr_pipeline_same_file(path, j->dst))
        rc = gridr__fail(GRIDR_EINVAL, "%s '%s' is the output of a job; give another path", what,
                         path);
    if (rc == 0)
        rc = check_against_inputs(j, path, what, 0);
    return rc ? gridr__pipeline_fail(j, rc) : 0;
}
