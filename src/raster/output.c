/* gridr: raster outputs over GDAL: create under a temporary name, write windows, commit/abort. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- drivers and directories ------------------------------------------------------------ */

typedef struct driver_caps {
    GDALDriverH drv;
    int can_create, can_copy;
} driver_caps;

static int has_cap(GDALDriverH drv, const char *cap)
{
    const char *v = GDALGetMetadataItem(drv, cap, NULL);
    return v && (strcasecmp(v, "YES") == 0 || strcasecmp(v, "TRUE") == 0);
}

/* Drivers that take no pixels of their own: MEM keeps them in memory (the file would stay
 * empty), VRT refers to other files (writing through it fails once the run has started). */
static int no_pixels_driver(const char *name)
{
    if (strcasecmp(name, "MEM") == 0)
        return gridr__fail(GRIDR_EINVAL, "output format MEM keeps the raster in memory and writes "
                                         "no file; use a file format such as GTiff");
    if (strcasecmp(name, "VRT") == 0)
        return gridr__fail(GRIDR_EINVAL, "output format VRT holds no pixels of its own; write a "
                                         "GTiff and describe it with gdalbuildvrt");
    return 0;
}

static int find_driver(const char *name, driver_caps *dc)
{
    gridr__gdal_capture c;
    gridr__gdal_init();
    gridr__gdal_begin(&c);
    dc->drv = GDALGetDriverByName(name);
    int raster = dc->drv && has_cap(dc->drv, GDAL_DCAP_RASTER);
    dc->can_create = dc->drv && has_cap(dc->drv, GDAL_DCAP_CREATE);
    dc->can_copy = dc->drv && has_cap(dc->drv, GDAL_DCAP_CREATECOPY);
    gridr__gdal_end(&c);
    if (!dc->drv)
        return gridr__fail(GRIDR_EINVAL,
                           "unknown output format '%s' (a GDAL driver name: GTiff, COG, PNG...)",
                           name);
    if (!raster || (!dc->can_create && !dc->can_copy))
        return gridr__fail(GRIDR_EINVAL, "GDAL driver '%s' cannot write raster files", name);
    return no_pixels_driver(name);
}

static int check_dir(const char *path)
{
    char dir[PATH_MAX];
    struct stat st;
    gridr__dir_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "output directory '%s' of '%s' cannot be used", dir, path);
    if (!S_ISDIR(st.st_mode))
        return gridr__fail(GRIDR_ENOENT, "output directory '%s' of '%s' is not a directory", dir,
                           path);
    if (access(dir, W_OK | X_OK) != 0)
        return gridr__fail_errno(GRIDR_EPERM, errno, "output directory '%s' is not writable", dir);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return gridr__fail(GRIDR_EINVAL, "output path '%s' is a directory", path);
    return 0;
}

static const char *file_kind(mode_t m)
{
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

int gridr_raster_check_replaceable(const char *path, const char *what)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? 0
                   : gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                       "%s '%s' cannot be looked at", what, path);
    if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
        return gridr__fail(GRIDR_EINVAL,
                           "%s '%s' is a symbolic link to nothing; give the path of a file, or "
                           "remove the link",
                           what, path);
    if (!S_ISREG(st.st_mode))
        return gridr__fail(GRIDR_EINVAL,
                           "%s '%s' exists and is %s: gridr replaces only regular files; give "
                           "another path",
                           what, path, file_kind(st.st_mode));
    return 0;
}

/* The file an output path names: a symbolic link is followed to its target (the target is what
 * gets replaced, the link stays); any other path as given. NULL with a message on failure.
 * Ownership: the caller frees. */
static char *output_target(const char *path, int *rc)
{
    struct stat st;
    char *t = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if ((t = realpath(path, NULL)) == NULL)
            *rc = gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                    "cannot follow the symbolic link '%s'", path);
    } else if ((t = strdup(path)) == NULL) {
        *rc = gridr__fail(GRIDR_ENOMEM, "out of memory checking '%s'", path);
    }
    return t;
}

/* Side files a commit may replace or remove next to the output. */
static const char *const side_suffixes[] = {".aux.xml", ".msk", ".ovr", NULL};

static int check_target(const char *target)
{
    char side[PATH_MAX];
    int rc = check_dir(target);
    for (int i = 0; rc == 0 && side_suffixes[i]; i++) {
        if (snprintf(side, sizeof side, "%s%s", target, side_suffixes[i]) >= (int)sizeof side)
            return gridr__fail(GRIDR_EINVAL, "output path '%s' is too long", target);
        rc = gridr_raster_check_replaceable(side, "output side file");
    }
    return rc;
}

int gridr_raster_check_output(const char *path, const char *driver)
{
    driver_caps dc;
    if (!path || !*path)
        return gridr__fail(GRIDR_EINVAL, "output path is empty");
    if (strncmp(path, "/vsi", 4) == 0)
        return gridr__fail(GRIDR_EINVAL,
                           "output '%s' must be a local file (GDAL virtual file systems cannot be "
                           "renamed atomically)",
                           path);
    int rc = find_driver(driver ? driver : GRIDR_RASTER_DEFAULT_DRIVER, &dc);
    if (rc == 0)
        rc = check_dir(path);
    if (rc == 0)
        rc = gridr_raster_check_replaceable(path, "output");
    char *target = rc == 0 ? output_target(path, &rc) : NULL;
    if (!target)
        return rc;
    if (rc == 0)
        rc = check_target(target);
    free(target);
    return rc;
}

/* ---- creation options --------------------------------------------------------------------- */

static int is_true(const char *v)
{
    return v && (strcasecmp(v, "YES") == 0 || strcasecmp(v, "TRUE") == 0 ||
                 strcasecmp(v, "ON") == 0 || strcmp(v, "1") == 0);
}

/* The GTiff defaults: tiled 256 x 256, BigTIFF when the size needs it. */
static char **gtiff_defaults(char **co)
{
    char block[32];
    snprintf(block, sizeof block, "%d", GRIDR_RASTER_DEFAULT_BLOCK);
    if (!CSLFetchNameValue(co, "TILED"))
        co = CSLSetNameValue(co, "TILED", "YES");
    if (!CSLFetchNameValue(co, "BIGTIFF"))
        co = CSLSetNameValue(co, "BIGTIFF", "IF_SAFER");
    if (is_true(CSLFetchNameValue(co, "TILED"))) {
        if (!CSLFetchNameValue(co, "BLOCKXSIZE"))
            co = CSLSetNameValue(co, "BLOCKXSIZE", block);
        if (!CSLFetchNameValue(co, "BLOCKYSIZE"))
            co = CSLSetNameValue(co, "BLOCKYSIZE", block);
    }
    return co;
}

static int build_options(const char *driver, GDALDriverH drv, const char *const *user, char ***out)
{
    gridr__gdal_capture c;
    char **co = NULL;
    *out = NULL;
    for (size_t i = 0; user && user[i]; i++) {
        const char *eq = strchr(user[i], '=');
        if (!eq || eq == user[i]) {
            CSLDestroy(co);
            return gridr__fail(GRIDR_EINVAL, "creation option '%s' is not KEY=VALUE", user[i]);
        }
        co = CSLAddString(co, user[i]);
    }
    if (strcasecmp(driver, "GTiff") == 0)
        co = gtiff_defaults(co);
    gridr__gdal_begin(&c);
    int ok = GDALValidateCreationOptions(drv, co);
    gridr__gdal_end(&c);
    if (!ok) {
        CSLDestroy(co);
        return gridr__fail(GRIDR_EINVAL, "bad creation option for driver %s: %s", driver,
                           c.warn[0] ? c.warn : gridr__gdal_msg(&c));
    }
    *out = co;
    return 0;
}

/* ---- create ------------------------------------------------------------------------------- */

static void random_tag(char tag[9])
{
    unsigned char b[4] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        unsigned v = (unsigned)getpid() ^ (unsigned)(size_t)tag;
        memcpy(b, &v, sizeof b);
    }
    snprintf(tag, 9, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

static char *concat(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static int reserve(const char *path)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "cannot create temporary output '%s'", path);
    close(fd);
    return 0;
}

/* Remove the temporary files of an output: <tmp> and every <tmp>.<suffix> (the stage, and what
 * GDAL may have written next to them: .aux.xml, .ovr.tmp, .msk...). */
static void remove_temps(const gridr_raster *r)
{
    gridr__temp_remove(r->tmp);
}

static int check_args(const char *path, long rows, long cols, int bands, gridr_dtype dt)
{
    if (rows < 1 || cols < 1 || rows > INT_MAX || cols > INT_MAX || bands < 1 || bands > 65535)
        return gridr__fail(GRIDR_EINVAL, "bad output shape %d bands x %ld rows x %ld cols for '%s'",
                           bands, rows, cols, path ? path : "");
    if (gridr__gdal_type(dt) == GDT_Unknown)
        return gridr__fail(GRIDR_EINVAL, "bad output type %d for '%s'", (int)dt, path);
    return 0;
}

static gridr_raster *new_output(const char *path, const char *tag, int stage)
{
    char rnd[9];
    gridr_raster *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (!tag || !*tag) {
        random_tag(rnd);
        tag = rnd;
    }
    r->writable = 1;
    r->path = strdup(path);
    r->tmp = concat(path, ".tmp.", tag);
    r->stage = stage && r->tmp ? concat(r->tmp, ".stage.tif", "") : NULL;
    if (!r->path || !r->tmp || (stage && !r->stage)) {
        gridr__raster_free(r);
        return NULL;
    }
    r->temp_list[0] = r->tmp;
    r->temp_list[1] = r->stage;
    if (stage && gridr__stage_names(r) != 0) {
        gridr__raster_free(r);
        return NULL;
    }
    return r;
}

static GDALDatasetH create_dataset(gridr_raster *r, const driver_caps *dc, char **co, long rows,
                                   long cols, int bands, gridr_dtype dt, gridr__gdal_capture *c)
{
    GDALDatasetH ds;
    GDALDataType gt = gridr__gdal_type(dt);
    gridr__gdal_begin(c);
    if (!r->stage) {
        ds = GDALCreate(dc->drv, r->tmp, (int)cols, (int)rows, bands, gt, co);
    } else {
        char **sco = gtiff_defaults(NULL);
        ds = GDALCreate(GDALGetDriverByName("GTiff"), r->stage, (int)cols, (int)rows, bands, gt,
                        sco);
        CSLDestroy(sco);
    }
    gridr__gdal_end(c);
    return ds;
}

/* Reserve the temporary names and create the dataset; on failure nothing is left. */
static int open_output(gridr_raster *r, const driver_caps *dc, char **co, long rows, long cols,
                       int bands, gridr_dtype dt)
{
    gridr__gdal_capture c;
    int rc = reserve(r->tmp);
    if (!rc && r->stage && (rc = reserve(r->stage)) != 0)
        unlink(r->tmp);
    if (rc)
        return rc;
    r->ds = create_dataset(r, dc, co, rows, cols, bands, dt, &c);
    if (!r->ds) {
        remove_temps(r);
        return gridr__fail(gridr__gdal_io_status(&c, r->tmp), "cannot create '%s' (driver %s): %s",
                           r->stage ? r->stage : r->tmp,
                           r->stage ? "GTiff" : GDALGetDriverShortName(dc->drv),
                           gridr__gdal_msg(&c));
    }
    gridr__gdal_begin(&c);
    rc = gridr__raster_describe(r);
    gridr__gdal_end(&c);
    if (rc) {
        remove_temps(r);
        gridr__gdal_begin(&c);
        GDALClose(r->ds);
        gridr__gdal_end(&c);
        r->ds = NULL;
        remove_temps(r);
    }
    return rc;
}

/* Take over the partial output an interrupted run left at r->tmp (a GTiff on the direct path):
 * opened read-only to learn its shape (closing it writes nothing), then written through libtiff
 * like the output the run created. Nothing is created; on failure nothing is removed. */
static int adopt_output(gridr_raster *r, int direct, uint64_t base, long rows, long cols, int bands,
                        gridr_dtype dt)
{
    static const char *const gtiff[] = {"GTiff", NULL};
    struct stat st;
    gridr__gdal_capture c;
    if (!direct || r->stage)
        return gridr__fail(GRIDR_EINVAL, "'%s': only a tiled GeoTIFF output can be resumed",
                           r->path);
    if (lstat(r->tmp, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return gridr__fail(GRIDR_ENOENT, "the partial output '%s' of '%s' is gone or not yours",
                           r->tmp, r->path);
    gridr__gdal_begin(&c);
    r->ds = GDALOpenEx(r->tmp, GDAL_OF_RASTER | GDAL_OF_VERBOSE_ERROR, gtiff, NULL, NULL);
    int rc = r->ds ? gridr__raster_describe(r) : GRIDR_EFORMAT;
    gridr__gdal_end(&c);
    if (!r->ds)
        return gridr__fail(GRIDR_EFORMAT, "cannot open the partial output '%s' of '%s': %s", r->tmp,
                           r->path, gridr__gdal_msg(&c));
    if (rc == 0 && (r->rows != rows || r->cols != cols || r->bands != bands || r->dtypes[0] != dt))
        rc =
            gridr__fail(GRIDR_EFORMAT, "the partial output '%s' of '%s' is not of this job's shape",
                        r->tmp, r->path);
    r->adopt_base = base;
    return rc;
}

/* What gridr_raster_create and gridr_raster_tile_codec_guess both work out: the driver, its
 * creation options, whether the direct libtiff path takes the output. */
typedef struct create_setup {
    const char *driver;
    driver_caps dc;
    char **co;
    int direct, zlevel;
} create_setup;

static int setup_create(const char *path, long rows, long cols, int bands, gridr_dtype dt,
                        const gridr_raster_create_opts *opts, int check_path, create_setup *cs)
{
    static const gridr_raster_create_opts none = {.driver = NULL};
    memset(cs, 0, sizeof *cs);
    opts = opts ? opts : &none;
    cs->driver = opts->driver ? opts->driver : GRIDR_RASTER_DEFAULT_DRIVER;
    int rc = check_args(path, rows, cols, bands, dt);
    if (!rc && check_path)
        rc = gridr_raster_check_output(path, cs->driver);
    if (!rc)
        rc = find_driver(cs->driver, &cs->dc);
    if (!rc)
        rc = build_options(cs->driver, cs->dc.drv, opts->creation_options, &cs->co);
    if (!rc)
        cs->direct = strcasecmp(cs->driver, "GTiff") == 0 && cs->dc.can_create &&
                     gridr__tiff_output_ok(&cs->co, &cs->zlevel);
    return rc;
}

int gridr_raster_tile_codec_guess(const gridr_raster_create_opts *opts, long rows, long cols,
                                  int bands, gridr_dtype dt, gridr_raster_tile_codec *out)
{
    create_setup cs;
    memset(out, 0, sizeof *out);
    int rc = setup_create("(planned output)", rows, cols, bands, dt, opts, 0, &cs);
    if (rc == 0 && cs.direct)
        gridr__tiff_codec_guess(cs.co, cs.zlevel, rows, cols, bands, dt, out);
    CSLDestroy(cs.co);
    return rc;
}

int gridr_raster_create(const char *path, long rows, long cols, int bands, gridr_dtype dt,
                        const gridr_raster_create_opts *opts, gridr_raster **out)
{
    create_setup cs;
    *out = NULL;
    int rc = setup_create(path, rows, cols, bands, dt, opts, 1, &cs);
    if (rc) {
        CSLDestroy(cs.co);
        return rc;
    }
    int trc = 0;
    char *target = output_target(path, &trc); /* a link's target is what gets replaced */
    /* Every driver but GTiff goes through a staging GTiff and CreateCopy (stage.c). */
    int staged = !cs.dc.can_create || strcasecmp(cs.driver, "GTiff") != 0;
    gridr_raster *r = target ? new_output(target, opts ? opts->tag : NULL, staged) : NULL;
    if (!r) {
        CSLDestroy(cs.co);
        rc = target ? gridr__fail(GRIDR_ENOMEM, "out of memory creating '%s'", path) : trc;
        free(target);
        return rc;
    }
    free(target);
    r->tiff_mode = cs.direct ? 1 : -1;
    r->tiff_zlevel = cs.zlevel;
    if (cs.direct)
        gridr__tiff_codec_guess(cs.co, cs.zlevel, rows, cols, bands, dt, &r->guess);
    if (r->stage) {
        r->final_drv = cs.dc.drv;
        r->copy_opts = cs.co;
        cs.co = NULL;
    }
    if (opts && opts->record && (rc = opts->record(opts->record_user, r->tmp)) != 0)
        rc = rc < 0 ? rc : gridr__fail(GRIDR_EINVAL, "recording '%s' failed", r->tmp);
    else if (opts && opts->adopt_base)
        rc = adopt_output(r, cs.direct, opts->adopt_base, rows, cols, bands, dt);
    else if (r->stage && (rc = gridr__stage_probe(r, rows, cols, bands, dt)) != 0)
        remove_temps(r);
    else
        rc = open_output(r, &cs.dc, cs.co, rows, cols, bands, dt);
    CSLDestroy(cs.co);
    if (rc) {
        gridr__raster_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

const char *const *gridr_raster_temp_files(const gridr_raster *r)
{
    return r->temp_list;
}

/* ---- commit and abort --------------------------------------------------------------------- */

static int fsync_path(const char *path, int dir);

int gridr__output_fsync(const char *path)
{
    return fsync_path(path, 0);
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno, "cannot open '%s'", path);
    if (fsync(fd) != 0 && errno != EINVAL) {
        int err = errno;
        close(fd);
        return gridr__fail_errno(err == ENOSPC ? GRIDR_ENOSPC : GRIDR_EIO, err, "cannot fsync '%s'",
                                 path);
    }
    close(fd);
    return 0;
}

static int cancelled(const gridr_raster *r)
{
    return gridr__fail(GRIDR_ECANCELED, "cancelled before '%s' was written (nothing renamed)",
                       r->path);
}

/* GDAL's progress of the CreateCopy at commit, passed on to the output's progress function. */
static int CPL_STDCALL copy_progress(double complete, const char *msg, void *arg)
{
    gridr_raster *r = arg;
    (void)msg;
    if (!r->progress(complete, GRIDR_RASTER_STEP_COPY, r->progress_arg))
        r->cancelled = 1;
    return !r->cancelled;
}

/* The last chance to cancel: after it, only renames. */
static int last_check(gridr_raster *r)
{
    if (r->progress && !r->progress(1.0, GRIDR_RASTER_STEP_RENAME, r->progress_arg))
        r->cancelled = 1;
    return r->cancelled ? cancelled(r) : 0;
}

void gridr_raster_set_progress(gridr_raster *r, int (*fn)(double, const char *, void *), void *arg)
{
    if (!r || !r->writable)
        return;
    r->progress = fn;
    r->progress_arg = arg;
}

/* Flush and close the dataset; with a staging file, CreateCopy it into r->tmp first. *files gets
 * the backend's file list of the final dataset (main file and side files). */
static int finish_dataset(gridr_raster *r, char ***files)
{
    gridr__gdal_capture c;
    GDALDatasetH ds = r->ds;
    if (!ds) /* the direct libtiff path holds the file */
        return r->share ? gridr__share_commit(r) : gridr__tiff_finish(r);
    r->ds = NULL;
    gridr__gdal_begin(&c);
    GDALFlushCache(ds);
    if (CPLGetLastErrorType() < CE_Failure && r->stage) {
        GDALDatasetH copy = GDALCreateCopy(r->final_drv, r->copy_path, ds, FALSE, r->copy_opts,
                                           r->progress ? copy_progress : NULL, r);
        if (copy) {
            GDALClose(copy); /* the files of r->copy_dir are the output (stage.c) */
        } else {
            CPLError(CE_Failure, CPLE_AppDefined, "CreateCopy to %s failed",
                     GDALGetDriverShortName(r->final_drv));
        }
    } else if (CPLGetLastErrorType() < CE_Failure) {
        *files = GDALGetFileList(ds);
    }
    GDALClose(ds);
    gridr__gdal_end(&c);
    if (r->cancelled)
        return cancelled(r);
    if (c.failed)
        return gridr__fail(gridr__gdal_io_status(&c, r->tmp),
                           "cannot write '%s' (temporary '%s'): %s", r->path, r->tmp,
                           gridr__gdal_msg(&c));
    return 0;
}

/* At commit, what is at `to` must still be nothing or a regular file: a link, a device or a
 * directory put there during the run is left alone and the commit fails. */
static int still_replaceable(const char *to)
{
    struct stat st;
    if (lstat(to, &st) != 0 || S_ISREG(st.st_mode))
        return 0;
    return gridr__fail(GRIDR_EINVAL, "'%s' became %s during the run; it was left as it is", to,
                       file_kind(st.st_mode));
}

int gridr__output_move(const char *from, const char *to)
{
    int rc = fsync_path(from, 0);
    if (!rc)
        rc = still_replaceable(to);
    if (!rc && rename(from, to) != 0)
        rc = gridr__fail_errno(gridr__status_from_errno(errno), errno, "cannot rename '%s' to '%s'",
                               from, to);
    return rc;
}

/* Side files named <tmp><suffix> become <path><suffix>; anything else is refused. */
static int move_side_files(gridr_raster *r, char **files)
{
    size_t n = strlen(r->tmp);
    for (size_t i = 0; files && files[i]; i++)
        if (strncmp(files[i], r->tmp, n) != 0)
            return gridr__fail(GRIDR_EINVAL,
                               "driver %s wrote '%s', a file not named after the output '%s'; "
                               "use a single-file format such as GTiff",
                               r->final_drv ? GDALGetDriverShortName(r->final_drv) : r->driver,
                               files[i], r->path);
    for (size_t i = 0; files && files[i]; i++) {
        if (strcmp(files[i], r->tmp) == 0 || access(files[i], F_OK) != 0)
            continue;
        char *to = concat(r->path, files[i] + n, "");
        int rc = to ? gridr__output_move(files[i], to) : gridr__fail(GRIDR_ENOMEM, "out of memory");
        free(to);
        if (rc)
            return rc;
    }
    return 0;
}

/* The PAM side file: GDAL may write <tmp>.aux.xml at close (not in the file list taken before);
 * without one, a <path>.aux.xml left by the file being replaced is stale and goes. */
static int move_aux(gridr_raster *r, int stale_pass)
{
    char *from = concat(r->tmp, ".aux.xml", "");
    char *to = concat(r->path, ".aux.xml", "");
    int rc = 0;
    if (!from || !to)
        rc = gridr__fail(GRIDR_ENOMEM, "out of memory committing '%s'", r->path);
    else if (access(from, F_OK) == 0)
        rc = stale_pass ? 0 : gridr__output_move(from, to);
    else if (stale_pass && (rc = still_replaceable(to)) != 0)
        ;
    else if (stale_pass && unlink(to) != 0 && errno != ENOENT)
        rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot remove stale '%s'", to);
    free(from);
    free(to);
    return rc;
}

/* The renames of an output written in place: side files, .aux.xml, the file last. */
static int move_written(gridr_raster *r, char **files)
{
    int rc = move_aux(r, 1);
    if (!rc)
        rc = move_side_files(r, files);
    if (!rc)
        rc = move_aux(r, 0);
    return rc ? rc : gridr__output_move(r->tmp, r->path);
}

static int move_into_place(gridr_raster *r, char **files)
{
    char dir[PATH_MAX];
    /* Every byte on disk before the last chance to cancel, so that only renames follow it. */
    int rc = r->copy_dir ? gridr__stage_sync(r) : fsync_path(r->tmp, 0);
    gridr_config_fault_phase("rename", NULL, NULL); /* kill-point tests: right before it */
    if (!rc)
        rc = last_check(r);
    if (!rc)
        rc = r->copy_dir ? gridr__stage_place(r) : move_written(r, files);
    if (rc)
        return rc;
    gridr_config_fault_phase("renamed", NULL, NULL);
    /* The output is in place: a failed directory sync makes it less durable, not absent. */
    gridr__dir_of(r->path, dir, sizeof dir);
    if (fsync_path(dir, 1) != 0)
        gridr__warn("'%s' is written, but its directory could not be synced (%s): a power loss "
                    "now may lose the new file",
                    r->path, gridr_last_error());
    return 0;
}

static void remove_files(char **files)
{
    for (size_t i = 0; files && files[i]; i++)
        unlink(files[i]);
}

int gridr_raster_commit(gridr_raster *r)
{
    char **files = NULL;
    if (!r)
        return gridr__fail(GRIDR_EINVAL, "commit of no raster");
    int rc = gridr__raster_check_writable(r, "commit");
    if (rc) {
        gridr_raster_close(r);
        return rc;
    }
    rc = finish_dataset(r, &files);
    if (!rc && r->stage) {
        if (unlink(r->stage) != 0)
            rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot remove staging file '%s'", r->stage);
        char *aux = concat(r->stage, ".aux.xml", "");
        if (aux)
            unlink(aux);
        free(aux);
    }
    if (!rc)
        rc = move_into_place(r, files);
    if (rc)
        remove_files(files);
    remove_temps(r); /* on success, what is left of <tmp>.* is litter of the backend */
    CSLDestroy(files);
    gridr__raster_free(r);
    return rc;
}

int gridr_raster_abort_keep(gridr_raster *r)
{
    gridr__gdal_capture c;
    if (!r || !r->writable || (!r->share && !r->adopt_base)) {
        gridr_raster_abort(r);
        return 0;
    }
    if (r->ds) { /* an adopted output not attached yet: opened read-only */
        gridr__gdal_begin(&c);
        GDALClose(r->ds);
        gridr__gdal_end(&c);
        r->ds = NULL;
    }
    gridr__tiff_close(r); /* libtiff wrote nothing: the tiles are gridr's */
    gridr__raster_free(r);
    return 1;
}

void gridr_raster_abort(gridr_raster *r)
{
    gridr__gdal_capture c;
    if (!r)
        return;
    if (!r->writable) {
        gridr_raster_close(r);
        return;
    }
    /* Unlink first: whatever the close flushes goes to an unlinked file. */
    remove_temps(r);
    if (r->ds) {
        gridr__gdal_begin(&c);
        GDALClose(r->ds);
        gridr__gdal_end(&c);
        r->ds = NULL;
    }
    remove_temps(r); /* side files written at close */
    gridr__raster_free(r);
}
